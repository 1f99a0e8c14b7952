#include "collector/report/sections/open_ports.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void OpenPortsSection::Count(uint32_t server, int proto, uint32_t port, uint32_t client,
                             const FlowRow& r, const RowFacts& f) {
  auto [it, fresh] = open_ports.try_emplace({server, proto, port});
  auto& o = it->second;
  if (fresh) o.id = static_cast<uint32_t>(open_ports.size());
  o.flows += f.flows_inc;
  PushKey(open_port_clients, uint64_t{o.id} << 32 | client);
  if (o.first_ns == 0 || r.start_ns < o.first_ns) o.first_ns = r.start_ns;
}

void OpenPortsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (f.dst_home && r.dst_pkts > 0 && (r.proto == 6 || r.proto == 17) &&
      (r.proto == 17 || (r.dst_flags & 0x12) == 0x12 || r.dst_payload > 0)) {
    Count(r.dst, r.proto, r.dport, r.src, r, f);
  }
  if (f.src_home && r.proto == 6 && r.direction == "guess" && r.src_pkts > 0 &&
      !(r.src_flags & 0x06) && (r.src_flags & 0x10) && r.sport < r.dport && r.sport < 49152) {
    // Mid-stream flow first seen from the home side: the home host is the server (the
    // SOTM30 analysis's "outgoing logs without SYN nor RST").
    Count(r.src, r.proto, r.sport, r.dst, r, f);
  }
}

JsonValue OpenPortsSection::Build() {
  JsonValue s = NewSection("Open ports per home host", "What ports were open on each of them?");
  SortUnique(open_port_clients);
  std::vector<int64_t> clients(open_ports.size() + 1, 0);
  for (uint64_t k : open_port_clients) ++clients[k >> 32];
  std::map<uint32_t, std::vector<std::pair<std::pair<int, uint32_t>, const OpenPortAgg*>>> by_host;
  for (auto& [k, v] : open_ports) {
    v.clients = clients[v.id];
    by_host[std::get<0>(k)].push_back({{std::get<1>(k), std::get<2>(k)}, &v});
  }
  for (auto& [host, ports] : by_host) std::sort(ports.begin(), ports.end());
  JsonValue arr = JsonValue::Array();
  for (const auto& [host, ports] : by_host) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(host));
    JsonValue tcp = JsonValue::Array(), udp = JsonValue::Array();
    JsonValue detail = JsonValue::Array();
    for (const auto& [pp, agg] : ports) {
      (pp.first == 6 ? tcp : udp).Push(static_cast<int64_t>(pp.second));
      JsonValue d = JsonValue::Object();
      d.Set("proto", ProtoName(pp.first));
      d.Set("port", static_cast<int64_t>(pp.second));
      d.Set("service", ctx_.Service(pp.first, pp.second));
      d.Set("flows", agg->flows);
      d.Set("clients", agg->clients);
      d.Set("first", FormatTimeNs(agg->first_ns));
      detail.Push(d);
    }
    row.Set("tcp", tcp);
    row.Set("udp", udp);
    row.Set("ports", detail);
    arr.Push(row);
  }
  s.Set("answer", std::to_string(by_host.size()) + " home hosts answered on at least one port");
  s.Set("hosts", arr);
  return s;
}

}  // namespace tapwatch::collector::report
