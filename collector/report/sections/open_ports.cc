#include "collector/report/sections/open_ports.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void OpenPortsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  const uint32_t src = r.src;
  const uint32_t dst = r.dst;
  const uint32_t sport = r.sport;
  const uint32_t dport = r.dport;
  const int proto = r.proto;
  const int64_t start = r.start_ns;
  const int64_t spk = r.src_pkts;
  const int64_t dpk = r.dst_pkts;
  const int64_t dpay = r.dst_payload;
  const int sflags = r.src_flags;
  const int dflags = r.dst_flags;
  const std::string_view direction = r.direction;
  const bool src_home = f.src_home;
  const bool dst_home = f.dst_home;
  const int64_t flows_inc = f.flows_inc;
  if (dst_home && dpk > 0) {
    bool answered = proto == 6 ? ((dflags & 0x12) == 0x12 || dpay > 0) : proto == 17;
    if (answered && (proto == 6 || proto == 17)) {
      auto [it, fresh] = open_ports.try_emplace({dst, proto, dport});
      auto& o = it->second;
      if (fresh) o.id = static_cast<uint32_t>(open_ports.size());
      o.flows += flows_inc;
      PushKey(open_port_clients, uint64_t{o.id} << 32 | src);
      if (o.first_ns == 0 || start < o.first_ns) o.first_ns = start;
    }
  }
  if (src_home && proto == 6 && direction == "guess" && spk > 0 && !(sflags & 0x06) &&
      (sflags & 0x10) && sport < dport && sport < 49152) {
    // Mid-stream flow first seen from the home side: the home host is the server (the
    // seed's "outgoing logs without SYN nor RST").
    auto [it, fresh] = open_ports.try_emplace({src, proto, sport});
    auto& o = it->second;
    if (fresh) o.id = static_cast<uint32_t>(open_ports.size());
    o.flows += flows_inc;
    PushKey(open_port_clients, uint64_t{o.id} << 32 | dst);
    if (o.first_ns == 0 || start < o.first_ns) o.first_ns = start;
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
