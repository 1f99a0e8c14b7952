#include "collector/report/sections/compromise.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <string_view>
#include <unordered_set>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/reference_data.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

void CompromiseSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (ctx_.opt.honeynet) {
    if (f.src_home && !f.dst_home && r.src_pkts > 0 && !f.dst_broadcast) {
      bool initiated = true;
      if (r.proto == 6)
        initiated = (r.src_flags & 0x02) &&
                    !(((r.src_initial_flags >= 0) ? r.src_initial_flags : r.src_flags) & 0x10 &&
                      ((r.src_initial_flags >= 0) ? (r.src_initial_flags & 0x12) == 0x12 : false));
      else if (r.proto == 17)
        initiated = !(r.sport < 1024 && r.dport >= 1024);
      else if (r.proto == 1)
        initiated = r.icmp_type == 8;
      const ReservedRange* rr = ctx_.ref.FindReserved(r.dst, r.start_ns);
      if (initiated && !rr && !ctx_.Allowed(r.proto, r.proto == 6 || r.proto == 17 ? r.dport : 0)) {
        auto& o = outbound[{r.src, r.dst, r.proto, r.proto == 6 || r.proto == 17 ? r.dport : 0}];
        o.flows += f.flows_inc;
        o.bytes += r.src_ip_bytes + r.dst_ip_bytes;
        o.payload_bytes += r.src_payload + r.dst_payload;
        bool est =
            r.proto == 6 ? (r.dst_flags & 0x12) == 0x12 || r.dst_payload > 0 : r.dst_pkts > 0;
        if (est) o.established += f.flows_inc;
        o.first_ns = std::min(o.first_ns, r.start_ns);
        o.last_ns = std::max(o.last_ns, r.end_ns);
      }
    }
  }
  // Attacks a compromise verdict can follow: exploit or worm payloads, bare-ACK worm
  // payloads, and SMB/RPC sessions opened from outside home.
  if (r.first_record && r.src_pkts > 0 && r.src != r.dst &&
      ctx_.attacks.size() < ReportContext::kMaxAttacks) {
    const uint32_t t_s = ctx_.SecondsIntoPeriod(r.start_ns);
    const bool smb_rpc = r.proto == 6 && (r.dport == 135 || r.dport == 139 || r.dport == 445) &&
                         r.Conversation() && !f.src_home;
    if (!f.labels.empty() || (r.bare_ack && r.src_payload > 0) || smb_rpc) {
      ctx_.attacks.push_back({r.dst, r.src, static_cast<int>(r.dport), t_s,
                              !f.labels.empty() ? "exploit payload"
                              : r.bare_ack      ? "bare-ACK worm payload"
                                                : "SMB/RPC session from outside"});
    }
  }
  if (f.src_home && !f.labels.empty() && r.src_payload > 0 && malware_out_.size() < 1000) {
    malware_out_.push_back({r.src, r.dst, r.start_ns, f.labels.front()});
  }
}

JsonValue CompromiseSection::Build() {
  if (ctx_.opt.honeynet) return BuildHoneynet();
  JsonValue s = NewSection("Compromised hosts", "Was a home host compromised? How do you know?");
  static const std::set<uint32_t> kIrc = {6660, 6661, 6662, 6663, 6664, 6665,
                                          6666, 6667, 6668, 6669, 7000};
  constexpr size_t kMaxVictimsQueried = 500;  // bounded index reads on a large store
  constexpr int64_t kMinNewDestinations = 20;
  std::sort(ctx_.attacks.begin(), ctx_.attacks.end(), [](const Attack& a, const Attack& b) {
    // A total order: the same attacks in any stored row order give the same report.
    if (a.victim != b.victim) return a.victim < b.victim;
    if (a.t_s != b.t_s) return a.t_s < b.t_s;
    if (a.attacker != b.attacker) return a.attacker < b.attacker;
    if (a.port != b.port) return a.port < b.port;
    return std::strcmp(a.what, b.what) < 0;
  });
  Stmt before(ctx_.db,
              "SELECT DISTINCT dst_v4 FROM flows WHERE src_addr = ?1 AND start_ns < ?2 "
              "AND dst_v4 IS NOT NULL LIMIT 2000");
  Stmt after(ctx_.db,
             "SELECT dst_v4, src_port, dst_port, ip_proto, start_ns, src_tcp_flags, "
             "src_initial_tcp_flags, dst_pkts, dst_tcp_flags, dst_payload_bytes FROM flows "
             "WHERE src_addr = ?1 AND start_ns >= ?2 AND record_seq = 0 AND dst_v4 IS NOT NULL "
             "ORDER BY start_ns LIMIT 1000");
  struct Verdict {
    uint32_t host;
    bool compromised;
    int64_t first_ns;
    JsonValue row;
  };
  std::vector<Verdict> verdicts;
  std::map<uint32_t, std::vector<std::string>> malware;
  for (const auto& m : malware_out_) {
    if (malware[m.host].size() < 5)
      malware[m.host].push_back("sent '" + m.label + "' to " + FormatIpv4(m.dst) + " at " +
                                FormatTimeNs(m.t_ns));
  }
  size_t victims = 0;
  for (size_t i = 0; i < ctx_.attacks.size();) {
    size_t j = i;
    while (j < ctx_.attacks.size() && ctx_.attacks[j].victim == ctx_.attacks[i].victim) ++j;
    const uint32_t host = ctx_.attacks[i].victim;
    const int64_t attacked_ns = ctx_.period.first_ns + int64_t{ctx_.attacks[i].t_s} * kSecondNs;
    JsonValue reasons = JsonValue::Array(), evidence = JsonValue::Array(),
              attacks = JsonValue::Array();
    std::map<uint32_t, int64_t> attacker_since;  // attacker -> first attack (ns)
    for (size_t k = i; k < j; ++k) {
      const int64_t t = ctx_.period.first_ns + int64_t{ctx_.attacks[k].t_s} * kSecondNs;
      attacker_since.try_emplace(ctx_.attacks[k].attacker, t);
      if (attacks.size() < 10) {
        JsonValue a = JsonValue::Object();
        a.Set("time", FormatTimeNs(t));
        a.Set("attacker", FormatIpv4(ctx_.attacks[k].attacker));
        a.Set("port", static_cast<int64_t>(ctx_.attacks[k].port));
        a.Set("what", ctx_.attacks[k].what);
        attacks.Push(a);
      }
    }
    if (auto m = malware.find(host); m != malware.end()) {
      for (const auto& r : m->second) reasons.Push(r);
      malware.erase(m);
    }
    const std::string addr = FormatIpv4(host);
    if (victims++ < kMaxVictimsQueried && before.ok() && after.ok()) {
      std::unordered_set<uint32_t> known;
      sqlite3_reset(before.get());
      sqlite3_bind_text(before.get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
      before.Bind(2, attacked_ns);
      while (before.Step()) known.insert(static_cast<uint32_t>(before.Int(0)));
      sqlite3_reset(after.get());
      sqlite3_bind_text(after.get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
      after.Bind(2, attacked_ns);
      std::unordered_set<uint32_t> fresh;
      std::set<std::string> said;
      while (after.Step()) {
        const uint32_t dst = static_cast<uint32_t>(after.Int(0));
        const uint32_t sport = static_cast<uint32_t>(after.Int(1));
        const uint32_t dport = static_cast<uint32_t>(after.Int(2));
        const int proto = static_cast<int>(after.Int(3));
        const int64_t t = after.Int(4);
        const int sflags = static_cast<int>(after.Int(5));
        const int sinit = after.Null(6) ? sflags : static_cast<int>(after.Int(6));
        // Opened by the host: a TCP SYN without ACK, a UDP datagram not from a service port.
        // Pings and traceroutes (ICMP) never count.
        // Opened by the host: a TCP SYN without ACK, a UDP datagram from an ephemeral port (a
        // reply from a service port, 137 -> 137 or 500 -> 500, is not). ICMP never counts.
        bool opened = proto == 6 ? (sinit & 0x12) == 0x02 : proto == 17 && sport >= 1024;
        if (!opened || sport == 20 || ctx_.Allowed(proto, dport) || IsMulticast(dst) ||
            IsLimitedBroadcast(dst) || dst == host)
          continue;
        const bool answered =
            after.Int(7) > 0 && (proto != 6 || (after.Int(8) & 0x12) == 0x12 || after.Int(9) > 0);
        const std::string what = ProtoName(proto) + "/" + std::to_string(dport);
        std::string why;
        auto a = attacker_since.find(dst);
        if (a != attacker_since.end() && a->second <= t) {
          why = "connected back to its attacker";
        } else if (proto == 6 && kIrc.count(dport)) {
          why = "IRC";
        } else if (((proto == 6 && dport == 21) || (proto == 17 && dport == 69)) &&
                   !known.count(dst)) {
          why = proto == 6 ? "FTP fetch from a new host" : "TFTP fetch from a new host";
        }
        if (!known.count(dst) && !ctx_.IsHome(dst)) fresh.insert(dst);
        if (why.empty()) continue;
        if (said.insert(why + FormatIpv4(dst) + what).second && evidence.size() < 50) {
          JsonValue e = JsonValue::Object();
          e.Set("time", FormatTimeNs(t));
          e.Set("destination", FormatIpv4(dst));
          e.Set("proto", ProtoName(proto));
          e.Set("port", static_cast<int64_t>(dport));
          e.Set("answered", answered);
          e.Set("why", why);
          evidence.Push(e);
          if (reasons.size() < 8)
            reasons.Push(why + ": " + what + " to " + FormatIpv4(dst) + " at " + FormatTimeNs(t));
        }
      }
      if (static_cast<int64_t>(fresh.size()) >= kMinNewDestinations) {
        reasons.Push("after the attack it opened connections to " + std::to_string(fresh.size()) +
                     " hosts it had never contacted (spreading)");
      }
    }
    const bool compromised = reasons.size() > 0;
    JsonValue row = JsonValue::Object();
    row.Set("host", addr);
    row.Set("home", ctx_.IsHome(host));
    row.Set("verdict", compromised ? "compromised" : "attacked");
    row.Set("attacked_at", FormatTimeNs(attacked_ns));
    row.Set("attacks", attacks);
    row.Set("reasons", reasons);
    row.Set("evidence", evidence);
    verdicts.push_back({host, compromised, attacked_ns, row});
    i = j;
  }
  // Malware sent out by a home host nobody was seen attacking.
  for (auto& [host, rs] : malware) {
    JsonValue row = JsonValue::Object(), reasons = JsonValue::Array();
    for (const auto& r : rs) reasons.Push(r);
    row.Set("host", FormatIpv4(host));
    row.Set("home", ctx_.IsHome(host));
    row.Set("verdict", "compromised");
    row.Set("reasons", reasons);
    row.Set("evidence", JsonValue::Array());
    verdicts.push_back({host, true, 0, row});
  }
  std::stable_sort(verdicts.begin(), verdicts.end(), [](const Verdict& a, const Verdict& b) {
    return a.compromised != b.compromised ? a.compromised : a.first_ns < b.first_ns;
  });
  JsonValue judged = JsonValue::Array(), arr = JsonValue::Array();
  int64_t compromised = 0;
  for (const auto& v : verdicts) {
    if (v.compromised) {
      ++compromised;
      judged.Push(FormatIpv4(v.host));
      ctx_.AddFinding(v.host, ctx_.IsHome(v.host), 100, "compromise",
                      v.row.Find("reasons")->items()[0].as_string());
    }
    if (arr.size() < ctx_.opt.top) arr.Push(v.row);
  }
  s.Set("answer", compromised ? std::to_string(compromised) + " host(s) judged compromised, " +
                                    std::to_string(verdicts.size()) + " attacked"
                              : "no host judged compromised (" + std::to_string(verdicts.size()) +
                                    " attacked)");
  s.Set("mode", "network");
  s.Set("compromised", judged);
  s.Set("attacked_total", static_cast<int64_t>(verdicts.size()));
  s.Set("hosts", arr);
  s.Set("method",
        "a host is compromised when, after an attack on it (exploit or worm payload, bare-ACK "
        "worm payload, an SMB/RPC session from outside home, a port scan that found an open "
        "port), it opens what it never did before: a connection back to its attacker, IRC, an "
        "FTP/TFTP fetch from a new host, or connections to >= 20 hosts it had never contacted; "
        "or when a home host sends a known malware payload out. Pings and traceroutes never "
        "count. --honeynet instead judges any outbound connection of a honeypot.");
  return s;
}

JsonValue CompromiseSection::BuildHoneynet() {
  JsonValue s = NewSection("Outbound connections and compromised home hosts",
                           "Was a home host compromised? How do you know?");
  std::map<uint32_t,
           std::vector<std::pair<std::tuple<uint32_t, int, uint32_t>, const OutboundAgg*>>>
      by_host;
  for (const auto& [k, v] : outbound) {
    by_host[std::get<0>(k)].push_back({{std::get<1>(k), std::get<2>(k), std::get<3>(k)}, &v});
  }
  static const std::set<uint32_t> kIrc = {6660, 6661, 6662, 6663, 6664, 6665,
                                          6666, 6667, 6668, 6669, 7000};
  JsonValue arr = JsonValue::Array(), judged = JsonValue::Array();
  for (auto& [host, entries] : by_host) {
    std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) {
      return a.second->first_ns != b.second->first_ns ? a.second->first_ns < b.second->first_ns
                                                      : a.first < b.first;
    });
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(host));
    JsonValue reasons = JsonValue::Array();
    std::set<uint32_t> dsts;
    int64_t established = 0, first_ns = INT64_MAX;
    JsonValue timeline = JsonValue::Array();
    for (const auto& [k, o] : entries) {
      auto [dst, proto, port] = k;
      dsts.insert(dst);
      first_ns = std::min(first_ns, o->first_ns);
      std::string svc = ctx_.Service(proto, port);
      std::string what = ProtoName(proto) + (proto == 1 ? "" : "/" + std::to_string(port)) +
                         (svc.empty() ? "" : " (" + svc + ")");
      if (o->established > 0) {
        ++established;
        if (reasons.size() < 8) {
          reasons.Push("established outbound " + what + " to " + FormatIpv4(dst) + " at " +
                       FormatTimeNs(o->first_ns));
        }
      } else if (proto == 6 && kIrc.count(port) && reasons.size() < 8) {
        reasons.Push("outbound IRC attempt " + what + " to " + FormatIpv4(dst));
      }
      if (timeline.size() < 200) {
        JsonValue t = JsonValue::Object();
        t.Set("first", FormatTimeNs(o->first_ns));
        t.Set("destination", FormatIpv4(dst));
        t.Set("proto", ProtoName(proto));
        t.Set("port", static_cast<int64_t>(port));
        t.Set("service", svc);
        t.Set("flows", o->flows);
        t.Set("bytes", o->bytes);
        t.Set("payload_bytes", o->payload_bytes);
        t.Set("established", o->established > 0);
        timeline.Push(t);
      }
    }
    bool scanning = dsts.size() >= 20;
    if (scanning)
      reasons.Push("outbound connections to " + std::to_string(dsts.size()) +
                   " external hosts (scanning)");
    bool compromised =
        established > 0 || scanning || std::any_of(entries.begin(), entries.end(), [&](auto& e) {
          return std::get<1>(e.first) == 6 && kIrc.count(std::get<2>(e.first));
        });
    row.Set("verdict", compromised ? "compromised" : "suspicious");
    if (!compromised) reasons.Push("outbound attempts to non-allowed services, none answered");
    row.Set("reasons", reasons);
    row.Set("first_outbound", FormatTimeNs(first_ns));
    row.Set("destinations", static_cast<int64_t>(dsts.size()));
    row.Set("established_destinations", established);
    row.Set("timeline", timeline);
    arr.Push(row);
    if (compromised) {
      judged.Push(FormatIpv4(host));
      ctx_.AddFinding(host, true, 100, "compromise",
                      reasons.size() ? reasons.items()[0].as_string() : "compromised");
    } else {
      ctx_.AddFinding(host, true, 20, "compromise", "unanswered outbound attempts");
    }
  }
  s.Set("answer", judged.size() ? std::to_string(judged.size()) + " home host(s) judged compromised"
                                : "no home host judged compromised");
  s.Set("mode", "honeynet");
  s.Set("compromised", judged);
  s.Set("hosts", arr);
  s.Set("method",
        "honeynet mode (a honeypot never initiates): outbound flows initiated by home hosts (TCP "
        "with the host's SYN, UDP not from a service "
        "port, ICMP echo) to external, non-reserved destinations, excluding the allowed services; "
        "compromised = an answered (established) connection, IRC, or >= 20 external destinations");
  return s;
}

}  // namespace tapwatch::collector::report
