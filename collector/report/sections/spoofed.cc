#include "collector/report/sections/spoofed.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
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
  const uint32_t src = r.src;
  const uint32_t dst = r.dst;
  const uint32_t sport = r.sport;
  const uint32_t dport = r.dport;
  const int proto = r.proto;
  const int64_t start = r.start_ns;
  const int64_t end = r.end_ns;
  const int64_t spk = r.src_pkts;
  const int64_t dpk = r.dst_pkts;
  const int64_t spay = r.src_payload;
  const int64_t dpay = r.dst_payload;
  const int sflags = r.src_flags;
  const int dflags = r.dst_flags;
  const bool has_sinit = r.src_initial_flags >= 0;
  const int sinit = r.src_initial_flags;
  const std::string_view direction = r.direction;
  const bool src_home = f.src_home;
  const bool dst_home = f.dst_home;
  const int64_t flows_inc = f.flows_inc;
  if (spk > 0) {
    const ReservedRange* range = ctx_.ref.FindReserved(src, start);
    if (range && SpoofedSource(r, *range, src_home)) {
      auto& s = spoofed[src];
      s.category = range->category;
      s.note = range->note;
      s.flows += flows_inc;
      s.packets += spk;
      s.flags |= sflags;
      if (s.targets.size() < 1000) s.targets.insert(dst);
      if (proto == 6 || proto == 17) s.ports[sport] += 1;
      s.first_ns = std::min(s.first_ns, start);
      s.last_ns = std::max(s.last_ns, end);
    }
  }
  if (proto == 6) {
    // The side that sent packets is external, the home side sent nothing, and what it sent
    // is an answer (SYN-ACK or RST without SYN, no payload): a reply to a SYN the home host
    // never sent, i.e. backscatter of a spoofed flood.
    uint32_t reflector = 0, victim = 0;
    int flags = 0, init = 0;
    bool candidate = false;
    if (src_home && !dst_home && spk == 0 && dpk > 0 && dpay == 0) {
      reflector = dst, victim = src, flags = dflags, init = dflags, candidate = true;
    } else if (!src_home && dst_home && dpk == 0 && spk > 0 && spay == 0 && direction != "syn") {
      reflector = src, victim = dst, flags = sflags, init = has_sinit ? sinit : sflags;
      candidate = true;
    }
    if (candidate) {
      bool synack = (init & 0x12) == 0x12;
      bool rst = (flags & 0x04) && !(flags & 0x02);
      if (synack || rst) {
        auto& bs = backscatter[reflector];
        bs.flows += flows_inc;
        bs.packets += std::max(spk, dpk);
        (synack ? bs.synack : bs.rst) += flows_inc;
        if (bs.victims.size() < 1000) bs.victims.insert(victim);
        bs.src_ports[reflector == src ? sport : dport] += 1;
        bs.first_ns = std::min(bs.first_ns, start);
        bs.last_ns = std::max(bs.last_ns, end);
      }
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
