#include "collector/report/sections/spoofed.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/backscatter.h"
#include "collector/report/reference_data.h"

namespace tapwatch::collector::report {

bool SpoofedSection::SpoofedSource(const FlowRow& r, const ReservedRange& range,
                                   bool src_home) const {
  const std::string& c = range.category;
  if (c == "loopback") return !IsLoopback(r.dst);  // a loopback capture is genuine
  if (c == "this-network") return !(r.Udp() && r.sport == 68 && r.dport == 67);  // DHCP
  if (c == "multicast" || c == "reserved" || c == "broadcast") return true;
  if (c == "private" || c == "shared" || c == "link-local") {
    // Genuine on the inside. Outside a known home (given, or inferred with its private
    // side), a private source can only have come from outside: it cannot be genuine there.
    return !src_home && !ctx_.home.empty();
  }
  return !src_home;  // unallocated, documentation, benchmarking: not routed on the Internet
}

void SpoofedSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (r.src_pkts > 0) {
    const ReservedRange* range = ctx_.ref.FindReserved(r.src, r.start_ns);
    if (range && SpoofedSource(r, *range, f.src_home)) {
      auto& s = spoofed[r.src];
      s.category = range->category;
      s.note = range->note;
      s.flows += f.flows_inc;
      s.packets += r.src_pkts;
      s.flags |= r.src_flags;
      if (s.targets.size() < 1000) s.targets.insert(r.dst);
      if (r.proto == 6 || r.proto == 17) s.ports[r.sport] += 1;
      s.first_ns = std::min(s.first_ns, r.start_ns);
      s.last_ns = std::max(s.last_ns, r.end_ns);
    }
  }
  // Backscatter to home: a home address was spoofed in a flood against an outside host.
  if (const auto a = AsBackscatter(r)) {
    const bool asked_home = a->asked == r.src ? f.src_home : f.dst_home;
    const bool answerer_home = a->answerer == r.src ? f.src_home : f.dst_home;
    if (asked_home && !answerer_home) {
      auto& bs = backscatter[a->answerer];
      bs.flows += f.flows_inc;
      bs.packets += a->packets;
      (a->synack ? bs.synack : bs.rst) += f.flows_inc;
      if (bs.victims.size() < 1000) bs.victims.insert(a->asked);
      bs.src_ports[a->service_port] += 1;
      bs.first_ns = std::min(bs.first_ns, r.start_ns);
      bs.last_ns = std::max(bs.last_ns, r.end_ns);
    }
  }
}

JsonValue SpoofedSection::Build() {
  JsonValue s = NewSection(
      "Spoofed sources and backscatter",
      "Any traffic that cannot be genuine (RFC 1918, 127.0.0.1, reserved, backscatter)?");
  JsonValue arr = JsonValue::Array();
  for (const auto& [src, a] : spoofed) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("category", a.category);
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("targets", static_cast<int64_t>(a.targets.size()));
    row.Set("tcp_flags", FlagNames(a.flags));
    std::vector<std::pair<int64_t, uint32_t>> ports;
    for (auto& [p, c] : a.ports) ports.push_back({c, p});
    std::sort(ports.rbegin(), ports.rend());
    JsonValue sp = JsonValue::Array();
    for (size_t i = 0; i < ports.size() && i < 5; ++i)
      sp.Push(static_cast<int64_t>(ports[i].second));
    row.Set("source_ports", sp);
    row.Set("first", FormatTimeNs(a.first_ns));
    row.Set("last", FormatTimeNs(a.last_ns));
    row.Set("note", a.note);
    arr.Push(row);
    ctx_.AddFinding(src, false, 3, "spoofed", a.category + " source address (spoofed)");
  }
  JsonValue bs = JsonValue::Array();
  for (const auto& [src, a] : backscatter) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("synack_flows", a.synack);
    row.Set("rst_flows", a.rst);
    row.Set("home_hosts", static_cast<int64_t>(a.victims.size()));
    std::vector<std::pair<int64_t, uint32_t>> ports;
    for (auto& [p, c] : a.src_ports) ports.push_back({c, p});
    std::sort(ports.rbegin(), ports.rend());
    JsonValue sp = JsonValue::Array();
    for (size_t i = 0; i < ports.size() && i < 5; ++i)
      sp.Push(static_cast<int64_t>(ports[i].second));
    row.Set("service_ports", sp);
    row.Set("first", FormatTimeNs(a.first_ns));
    row.Set("why",
            "answers (SYN-ACK / RST) to connections no home host opened: someone spoofed "
            "home addresses in a flood against this host");
    bs.Push(row);
  }
  s.Set("answer", std::to_string(arr.size()) + " spoofed source(s), " + std::to_string(bs.size()) +
                      " backscatter source(s)");
  s.Set("sources", arr);
  s.Set("backscatter", bs);
  return s;
}

}  // namespace tapwatch::collector::report
