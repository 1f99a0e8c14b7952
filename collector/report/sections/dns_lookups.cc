#include "collector/report/sections/dns_lookups.h"

#include <algorithm>
#include <string>

#include "collector/report/analysis_util.h"
#include "collector/report/report_builder.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {
namespace {

// IRC: 6660-6669 (6665-6669 IANA ircu, the rest common use), 6697 (TLS), 7000 (common
// alternative): the ports bots of the honeynet era and since dial their controllers on.
bool IrcPort(uint32_t port) {
  return (port >= 6660 && port <= 6669) || port == 6697 || port == 7000;
}

// A lookup counts as leading to an IRC connection made within this time after it.
constexpr int64_t kBeforeIrcNs = 10 * 60 * kSecondNs;
// Memory bound on the IRC connections kept (a host scanning IRC ports makes many).
constexpr size_t kMaxIrcConnections = size_t{1} << 16;

std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xFF) + "." +
         std::to_string((a >> 8) & 0xFF) + "." + std::to_string(a & 0xFF);
}

}  // namespace

void DnsLookupsSection::Observe(const FlowRow& r, const RowFacts&) {
  if (r.proto != 6 || !r.ipv4 || !r.first_record || !IrcPort(r.dport)) return;
  if (irc_kept_ >= kMaxIrcConnections) return;
  irc_[r.src].push_back({r.start_ns, r.dst, r.dport});
  ++irc_kept_;
}

JsonValue DnsLookupsSection::Build() {
  JsonValue s = NewSection("DNS lookups",
                           "Which names did hosts look up just before connecting to IRC, or "
                           "after they were attacked?");
  // The first attack on each victim (recon and compromise filled ctx_.attacks before this).
  std::unordered_map<uint32_t, int64_t> attacked_ns;
  for (const Attack& a : ctx_.attacks) {
    const int64_t t = ctx_.period.first_ns + int64_t{a.t_s} * kSecondNs;
    auto [it, fresh] = attacked_ns.emplace(a.victim, t);
    if (!fresh) it->second = std::min(it->second, t);
  }
  for (auto& [host, conns] : irc_) {
    std::sort(conns.begin(), conns.end(), [](const IrcConnection& a, const IrcConnection& b) {
      return a.start_ns < b.start_ns;
    });
  }

  // Read after the pass, and only the DNS rows: a store written before the column has none.
  Stmt st(ctx_.db,
          "SELECT src_v4, start_ns, dns_json FROM flows WHERE dns_json IS NOT NULL AND src_v4 "
          "IS NOT NULL AND start_ns BETWEEN ?1 AND ?2 ORDER BY start_ns");
  if (!st.ok()) {
    s.Set("answer", "this store has no DNS summaries (written before the dns_json column)");
    s.Set("lookups", JsonValue::Array());
    return s;
  }
  st.Bind(1, ctx_.period.first_ns);
  st.Bind(2, ctx_.period.last_ns);
  JsonValue rows = JsonValue::Array();
  int64_t dns_flows = 0, before_irc = 0, after_attack = 0;
  while (st.Step()) {
    ++dns_flows;
    const auto host = static_cast<uint32_t>(st.Int(0));
    const int64_t t = st.Int(1);
    const IrcConnection* irc = nullptr;
    if (auto it = irc_.find(host); it != irc_.end()) {
      auto next =
          std::lower_bound(it->second.begin(), it->second.end(), t,
                           [](const IrcConnection& c, int64_t v) { return c.start_ns < v; });
      if (next != it->second.end() && next->start_ns - t <= kBeforeIrcNs) irc = &*next;
    }
    const auto attack = attacked_ns.find(host);
    const bool after = attack != attacked_ns.end() && t >= attack->second;
    if (irc == nullptr && !after) continue;
    before_irc += irc != nullptr;
    after_attack += after;
    if (rows.size() >= ctx_.opt.top) continue;
    const auto summary = JsonValue::Parse(st.Text(2));
    JsonValue names = JsonValue::Array(), answers = JsonValue::Array();
    bool resolved_to_peer = false;
    if (summary && summary->is_object()) {
      if (const JsonValue* n = summary->Find("query_names")) {
        for (const JsonValue& v : n->items()) names.Push(v.as_string());
      }
      if (const JsonValue* a = summary->Find("answers")) {
        for (const JsonValue& v : a->items()) {
          answers.Push(v.as_string());
          resolved_to_peer |= irc != nullptr && v.as_string() == Dotted(irc->peer);
        }
      }
    }
    JsonValue row = JsonValue::Object();
    row.Set("host", Dotted(host));
    row.Set("time", FormatTimeNs(t));
    row.Set("names", std::move(names));
    row.Set("answers", std::move(answers));
    row.Set("reason", irc != nullptr ? "before_irc" : "after_attack");
    if (irc != nullptr) {
      row.Set("irc_peer", Dotted(irc->peer) + ":" + std::to_string(irc->port));
      row.Set("irc_after_s", (irc->start_ns - t) / kSecondNs);
      row.Set("resolved_to_irc_peer", resolved_to_peer);
    }
    if (after) row.Set("attacked", FormatTimeNs(attack->second));
    rows.Push(std::move(row));
  }
  s.Set("dns_flows", dns_flows);
  s.Set("before_irc", before_irc);
  s.Set("after_attack", after_attack);
  s.Set("answer", before_irc + after_attack == 0
                      ? "no lookup before an IRC connection or by an attacked host (" +
                            std::to_string(dns_flows) + " DNS flows)"
                      : std::to_string(before_irc) +
                            " lookup flow(s) within 10 min before an IRC "
                            "connection, " +
                            std::to_string(after_attack) + " by a host after it was attacked");
  s.Set("lookups", std::move(rows));
  return s;
}

}  // namespace tapwatch::collector::report
