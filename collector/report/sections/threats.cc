#include "collector/report/sections/threats.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

JsonValue ThreatsSection::Build() {
  struct ThreatAgg {
    bool home = false;
    int score = 0;
    std::set<std::string> sections;
    std::vector<std::string> reasons;
  };
  std::map<uint32_t, ThreatAgg> threats_;
  for (const auto& f : ctx_.findings) {
    auto& t = threats_[f.address];
    t.home = f.home;
    t.score += f.score;
    t.sections.insert(f.section);
    if (t.reasons.size() < 6) t.reasons.push_back(f.reason);
  }
  JsonValue s =
      NewSection("Highest threats",
                 "Which source IPs or home hosts should be focused on as the highest threat?");
  std::vector<std::pair<uint32_t, const ThreatAgg*>> v;
  for (const auto& [a, t] : threats_) v.push_back({a, &t});
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second->score != b.second->score ? a.second->score > b.second->score
                                              : a.first < b.first;
  });
  JsonValue arr = JsonValue::Array();
  for (size_t i = 0; i < v.size() && i < ctx_.opt.top; ++i) {
    JsonValue row = JsonValue::Object();
    row.Set("rank", static_cast<int64_t>(i + 1));
    row.Set("address", FormatIpv4(v[i].first));
    row.Set("kind", v[i].second->home ? "home host" : "external source");
    row.Set("score", static_cast<int64_t>(v[i].second->score));
    JsonValue secs = JsonValue::Array();
    for (const auto& sec : v[i].second->sections) secs.Push(sec);
    row.Set("sections", secs);
    JsonValue rs = JsonValue::Array();
    for (const auto& r : v[i].second->reasons) rs.Push(r);
    row.Set("reasons", rs);
    arr.Push(row);
  }
  s.Set("scoring",
        "compromised home host 100, unanswered outbound 20, low-and-slow 25, scan "
        "10 + size, bare ACK 10, reserved destinations 10, nmap probes 5, spoofed 3, "
        "traceroute 2; summed over sections");
  s.Set("answer",
        arr.size() ? "highest threat: " + arr.items()[0].Find("address")->as_string() : "none");
  s.Set("ranked", arr);
  return s;
}

}  // namespace tapwatch::collector::report
