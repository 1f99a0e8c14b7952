#include "collector/report/sections/recon.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/probe_events.h"

namespace tapwatch::collector::report {

namespace {

std::string SuggestHorizontalTool(int proto, uint32_t port, bool sequential, bool welchia,
                                  bool nmap28) {
  if (proto == 1) {
    if (welchia) return "Welchia/Nachi worm ping sweep";
    if (nmap28) return "nmap ping sweep (-sn / -PE)";
    return "ICMP ping sweep";
  }
  std::string base = sequential ? "sequential sweep" : "random-order sweep";
  if (proto == 6 && (port == 135 || port == 445 || port == 139))
    return base + ": RPC/SMB worm (Blaster/Welchia/Sasser-style)";
  if (proto == 17 && port == 1434) return base + ": SQL Slammer";
  if (proto == 6 && (port == 80 || port == 443))
    return base + ": web worm or vulnerability scanner";
  if (proto == 6 && (port == 3127 || port == 1080 || port == 3128 || port == 8080))
    return base + ": MyDoom backdoor / open-proxy scanner";
  return base + (sequential ? " (worm or scanner walking the address space)"
                            : " (worm with random targets)");
}

}  // namespace

void ReconSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  // Every source, home or not: a scan is a scan whoever sends it.
  if (r.src_pkts > 0 && r.first_record && !IsMulticast(r.dst) && !IsLimitedBroadcast(r.dst) &&
      !(IsThisNetwork(r.src) && r.proto == 17)) {
    ScanEv ev{};
    ev.pattern = ClassifyProbe(r);
    if (r.Conversation()) ev.bits |= kEvConversation;
    if (f.src_home) ev.bits |= kEvFromHome;
    ev.src = r.src;
    ev.dst = r.dst;
    ev.t_s = ctx_.SecondsIntoPeriod(r.start_ns);
    ev.t_ms = static_cast<uint16_t>(
        std::max<int64_t>(0, r.start_ns - ctx_.period.first_ns) / 1000000 % 1000);
    ev.proto = static_cast<uint8_t>(r.proto);
    ev.port = r.proto == 6 || r.proto == 17 ? static_cast<uint16_t>(r.dport) : 0;
    bool success =
        r.proto == 6 ? ((r.dst_flags & 0x12) == 0x12 || r.dst_payload > 0) : r.dst_pkts > 0;
    if (success) ev.bits |= kEvSuccess;
    if (r.proto == 1 && r.icmp_type == 8) ev.bits |= kEvEcho;
    if (f.icmp_length28_packets > 0) ev.bits |= kEvNmap28;
    std::string_view fp =
        (f.icmp != nullptr) ? std::string_view(f.icmp->fingerprint) : std::string_view();
    if (fp.find("welchia") != std::string_view::npos ||
        fp.find("nachi") != std::string_view::npos) {
      ev.bits |= kEvWelchia;
    }
    std::string combo;
    if (r.proto == 6) {
      int first_flags = (r.src_initial_flags >= 0) ? r.src_initial_flags : r.src_flags;
      if ((first_flags & 0x3F) == 0x01)
        combo = "FIN";
      else if ((first_flags & 0x29) == 0x29 && !(first_flags & 0x02))
        combo = "XMAS";
      else if ((first_flags & 0x3F) == 0 && (r.src_initial_flags >= 0))
        combo = "NULL";
      else if ((first_flags & 0x03) == 0x03)
        combo = "SYN|FIN";
    }
    if (!combo.empty()) ev.bits |= kEvOddFlags;
    ctx_.probe_events.push_back(ev);
    if (f.icmp_length28_packets > 0 || !combo.empty()) {
      auto& p = probe_table[r.src];
      p.nmap28_packets += f.icmp_length28_packets;
      if (!combo.empty()) {
        ++p.odd_flag_flows;
        ++p.combos[combo];
      }
      if (p.targets.size() < 1000) p.targets.insert(r.dst);
    }
  }
  // Traceroutes: TTL <= 1 probes.
  int64_t ttl1 = (f.icmp != nullptr) ? f.icmp->ttl1_probes : 0;
  if (r.src_pkts > 0 && (r.src_ttl_min <= 1 || ttl1 > 0)) {
    if (IsMulticast(r.dst)) {
      multicast_ttl1_flows += f.flows_inc;
    } else {
      auto& tr = trace_table[r.src];
      tr.flows += f.flows_inc;
      tr.packets += ttl1 > 0 ? ttl1 : r.src_pkts;
      if (tr.dsts.size() < 100) tr.dsts.insert(r.dst);
      tr.first_ns = std::min(tr.first_ns, r.start_ns);
      if (r.proto == 1)
        tr.tool = "ICMP echo with TTL 1 (Windows tracert or traceroute -I)";
      else if (r.proto == 17 && r.dport >= 33434 && r.dport <= 33534)
        tr.tool = "UDP traceroute (Unix)";
      else if (tr.tool.empty())
        tr.tool = "TTL-limited " + ProtoName(r.proto) + " probe (tcptraceroute or similar)";
    }
  }
}

JsonValue ReconSection::Build() {
  JsonValue s =
      NewSection("Reconnaissance",
                 "What types of reconnaissance and scan patterns (sequential, ...) are there?");
  constexpr uint32_t kEpisodeGapS = 3600;
  constexpr size_t kHorizontalMin = 5, kVerticalMin = 10;
  auto& ev = ctx_.probe_events;
  JsonValue horizontal = JsonValue::Array(), vertical = JsonValue::Array(),
            sweeps = JsonValue::Array();
  // Horizontal scans and ping sweeps: (src, proto, port) episodes.
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    if (a.src != b.src) return a.src < b.src;
    if (a.proto != b.proto) return a.proto < b.proto;
    if (a.port != b.port) return a.port < b.port;
    return EarlierProbe(a, b);
  });
  struct Found {
    int64_t targets;
    JsonValue row;
  };
  std::vector<Found> hz, sw;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i + 1;
    while (j < ev.size() && ev[j].src == ev[i].src && ev[j].proto == ev[i].proto &&
           ev[j].port == ev[i].port &&
           static_cast<uint32_t>(ev[j].t_s - ev[j - 1].t_s) <= kEpisodeGapS) {
      ++j;
    }
    // Fewer probes than the threshold cannot be a sweep: skip without building sets.
    if ((ev[i].proto == 1 && !(ev[i].bits & kEvEcho)) || j - i < kHorizontalMin) {
      i = j;
      continue;
    }
    // First-contact order of the targets.
    std::vector<uint32_t> order;
    std::unordered_set<uint32_t> seen;
    bool welchia = false, nmap28 = false;
    int64_t answered = 0, conversations = 0;
    for (size_t k = i; k < j; ++k) {
      if (seen.insert(ev[k].dst).second) order.push_back(ev[k].dst);
      welchia |= (ev[k].bits & kEvWelchia) != 0;
      nmap28 |= (ev[k].bits & kEvNmap28) != 0;
      if (ev[k].bits & kEvSuccess) ++answered;
      if (ev[k].bits & kEvConversation) ++conversations;
    }
    // A client talking to many servers on one port (web, DNS) holds conversations; a sweep
    // mostly does not.
    if (order.size() >= kHorizontalMin && conversations * 2 < static_cast<int64_t>(j - i)) {
      size_t up = 0, down = 0;
      for (size_t k = 1; k < order.size(); ++k) {
        if (order[k] > order[k - 1])
          ++up;
        else
          ++down;
      }
      size_t pairs = order.size() - 1;
      std::string pattern = up * 10 >= pairs * 8     ? "sequential-ascending"
                            : down * 10 >= pairs * 8 ? "sequential-descending"
                                                     : "random";
      bool sequential = pattern != "random";
      auto [mn, mx] = std::minmax_element(order.begin(), order.end());
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("scope", ctx_.Scope(ev[i].src, order.front()));
      row.Set("proto", ProtoName(ev[i].proto));
      if (ev[i].proto != 1) row.Set("port", static_cast<int64_t>(ev[i].port));
      row.Set("targets", static_cast<int64_t>(order.size()));
      row.Set("pattern", pattern);
      row.Set("sequential", sequential);
      row.Set("first_target", FormatIpv4(order.front()));
      row.Set("last_target", FormatIpv4(order.back()));
      row.Set("range", FormatIpv4(*mn) + "-" + FormatIpv4(*mx));
      row.Set("answered", answered);
      int64_t t0 = ctx_.period.first_ns + static_cast<int64_t>(ev[i].t_s) * kSecondNs;
      row.Set("start", FormatTimeNs(t0));
      row.Set("duration_s", static_cast<int64_t>(ev[j - 1].t_s - ev[i].t_s));
      row.Set("tool", SuggestHorizontalTool(ev[i].proto, ev[i].port, sequential, welchia, nmap28));
      (ev[i].proto == 1 ? sw : hz).push_back({static_cast<int64_t>(order.size()), row});
      ctx_.AddFinding(ev[i].src, ctx_.IsHome(ev[i].src),
                      10 + static_cast<int>(std::min<size_t>(order.size(), 50) / 5), "recon",
                      std::string(ev[i].proto == 1 ? "ping sweep of " : "horizontal scan of ") +
                          std::to_string(order.size()) + " hosts" +
                          (ev[i].proto == 1 ? "" : " on port " + std::to_string(ev[i].port)));
    }
    i = j;
  }
  // Vertical scans: (src, dst) episodes with many ports.
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    if (a.src != b.src) return a.src < b.src;
    if (a.dst != b.dst) return a.dst < b.dst;
    return EarlierProbe(a, b);
  });
  std::vector<Found> vt;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i + 1;
    while (j < ev.size() && ev[j].src == ev[i].src && ev[j].dst == ev[i].dst &&
           static_cast<uint32_t>(ev[j].t_s - ev[j - 1].t_s) <= kEpisodeGapS) {
      ++j;
    }
    if (j - i < kVerticalMin) {
      i = j;
      continue;
    }
    std::set<std::pair<int, int>> ports;
    std::set<int> open, protocols;
    int udp = 0, tcp = 0, conversations = 0;
    std::array<int, kProbePatterns> patterns{};
    for (size_t k = i; k < j; ++k) {
      protocols.insert(ev[k].proto);
      if (ev[k].bits & kEvConversation) ++conversations;
      if (ev[k].proto != 6 && ev[k].proto != 17) continue;
      ports.insert({ev[k].proto, ev[k].port});
      if (ev[k].bits & kEvSuccess) open.insert(ev[k].port);
      if (ev[k].proto == 17) ++udp;
      if (ev[k].proto == 6) {
        ++tcp;
        ++patterns[ev[k].pattern];
      }
    }
    const bool protocol_scan = protocols.size() >= kVerticalMin;
    if ((ports.size() >= kVerticalMin || protocol_scan) &&
        conversations * 2 < static_cast<int>(j - i)) {
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("target", FormatIpv4(ev[i].dst));
      row.Set("scope", ctx_.Scope(ev[i].src, ev[i].dst));
      row.Set("ports", static_cast<int64_t>(ports.size()));
      row.Set("protocols", static_cast<int64_t>(protocols.size()));
      row.Set("lowest_port", static_cast<int64_t>(ports.empty() ? 0 : ports.begin()->second));
      row.Set("highest_port", static_cast<int64_t>(ports.empty() ? 0 : ports.rbegin()->second));
      JsonValue pats = JsonValue::Object();
      for (int p = 1; p < kProbePatterns; ++p) {
        if (patterns[p]) pats.Set(kProbeNames[p], static_cast<int64_t>(patterns[p]));
      }
      row.Set("tcp_probes", pats);
      JsonValue op = JsonValue::Array();
      for (int p : open) op.Push(static_cast<int64_t>(p));
      row.Set("answered_ports", op);
      row.Set("start",
              FormatTimeNs(ctx_.period.first_ns + static_cast<int64_t>(ev[i].t_s) * kSecondNs));
      row.Set("duration_s", static_cast<int64_t>(ev[j - 1].t_s - ev[i].t_s));
      // The tool: IP protocols when many protocols and few ports; else the majority of the
      // probes (UDP, or the commonest TCP flag pattern).
      const int top_pattern = static_cast<int>(
          std::max_element(patterns.begin() + 1, patterns.end()) - patterns.begin());
      std::string tool = protocol_scan && ports.size() < kVerticalMin
                             ? "IP protocol scan (nmap -sO)"
                         : udp > tcp                       ? "UDP port scan (nmap -sU)"
                         : patterns[top_pattern] * 2 > tcp ? kProbeTools[top_pattern]
                                                           : kProbeTools[kProbeOther];
      row.Set("tool", tool);
      vt.push_back({static_cast<int64_t>(std::max(ports.size(), protocols.size())), row});
      for (int p : open)
        ctx_.attacks.push_back(
            {ev[i].dst, ev[i].src, p, static_cast<uint32_t>(ev[i].t_s), "port scan"});
      ctx_.AddFinding(
          ev[i].src, ctx_.IsHome(ev[i].src),
          10 + static_cast<int>(std::min<size_t>(ports.size(), 100) / 10), "recon",
          (protocol_scan && ports.size() < kVerticalMin
               ? "IP protocol scan of " + std::to_string(protocols.size()) + " protocols"
               : "vertical scan of " + std::to_string(ports.size()) + " ports") +
              " on " + FormatIpv4(ev[i].dst) +
              (ctx_.Scope(ev[i].src, ev[i].dst) == "internal"
                   ? " (internal host scanning its neighbours)"
                   : ""));
    }
    i = j;
  }
  auto emit = [&](std::vector<Found>& v, JsonValue& out) {
    std::stable_sort(v.begin(), v.end(),
                     [](const Found& a, const Found& b) { return a.targets > b.targets; });
    for (size_t i = 0; i < v.size() && i < std::max<size_t>(ctx_.opt.top, 50); ++i)
      out.Push(v[i].row);
  };
  emit(hz, horizontal);
  emit(vt, vertical);
  emit(sw, sweeps);
  JsonValue probes = JsonValue::Array();
  for (const auto& [src, p] : probe_table) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("icmp_length28_packets", p.nmap28_packets);
    row.Set("odd_flag_flows", p.odd_flag_flows);
    JsonValue combos = JsonValue::Object();
    for (const auto& [k, v] : p.combos) combos.Set(k, v);
    row.Set("flag_combinations", combos);
    row.Set("targets", static_cast<int64_t>(p.targets.size()));
    row.Set("tool", p.odd_flag_flows ? "nmap (-sF/-sX/-sN or OS detection)"
                                     : "nmap ping (ICMP echo without data)");
    probes.Push(row);
    ctx_.AddFinding(src, false, 5, "recon", "nmap-style probes");
  }
  JsonValue traces = JsonValue::Array();
  for (const auto& [src, t] : trace_table) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    JsonValue d = JsonValue::Array();
    for (uint32_t a : t.dsts) d.Push(FormatIpv4(a));
    row.Set("targets", d);
    row.Set("packets", t.packets);
    row.Set("first", FormatTimeNs(t.first_ns));
    row.Set("tool", t.tool);
    traces.Push(row);
    ctx_.AddFinding(src, ctx_.IsHome(src), 2, "recon", "traceroute (TTL 1 probes)");
  }
  int64_t internal = 0;
  for (const auto* v : {&hz, &vt, &sw}) {
    for (const auto& f : *v) internal += f.row.Find("scope")->as_string() == "internal";
  }
  s.Set("answer", std::to_string(hz.size()) + " horizontal scans, " + std::to_string(vt.size()) +
                      " vertical scans, " + std::to_string(sw.size()) + " ping sweeps, " +
                      std::to_string(probes.size()) + " nmap-style probers, " +
                      std::to_string(traces.size()) + " traceroutes" +
                      (internal ? "; " + std::to_string(internal) +
                                      " by internal hosts scanning their neighbours"
                                : ""));
  s.Set("horizontal_total", static_cast<int64_t>(hz.size()));
  s.Set("vertical_total", static_cast<int64_t>(vt.size()));
  s.Set("ping_sweeps_total", static_cast<int64_t>(sw.size()));
  s.Set("horizontal", horizontal);
  s.Set("vertical", vertical);
  s.Set("ping_sweeps", sweeps);
  s.Set("nmap_probes", probes);
  s.Set("traceroutes", traces);
  s.Set("multicast_ttl1_flows", multicast_ttl1_flows);
  s.Set("method",
        "episodes: probes from one source separated by at most 1 h; horizontal = >= 5 "
        "hosts on one port, sequential when >= 80% of consecutive first contacts move "
        "the same way through the address space; vertical = >= 10 ports (or IP protocols) on "
        "one host. Any source counts, home or not (scope: inbound, outbound, internal, "
        "external); episodes where most probes held a conversation (payload both ways) are "
        "clients, not scans. The tool follows the commonest TCP flag pattern of the probes.");
  return s;
}

}  // namespace tapwatch::collector::report
