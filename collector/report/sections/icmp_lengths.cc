#include "collector/report/sections/icmp_lengths.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void IcmpLengthsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (f.icmp == nullptr) return;
  // Both arms as views: a mixed ternary would build a temporary std::string and leave fp
  // dangling (ASan: stack-use-after-scope).
  const std::string_view fp = f.icmp->fingerprint.empty() ? std::string_view("unlabelled")
                                                          : std::string_view(f.icmp->fingerprint);
  for (const auto& [len, n] : f.icmp->lengths) {
    auto& l = icmp_lens[len];
    l.packets += n;
    if (r.first_record) ++l.flows;
    if (r.has_src_v4) l.sources.push_back(r.src);
    auto it = l.fingerprints.find(fp);
    if (it == l.fingerprints.end()) it = l.fingerprints.emplace(std::string(fp), 0).first;
    it->second += n;
  }
}

JsonValue IcmpLengthsSection::Build() {
  JsonValue s = NewSection("ICMP packets by IP length, with fingerprints",
                           "What ICMP is this (Welchia, Windows tracert, nmap, ping)?");
  // Filled by the flows pass (icmp_json of the ip_proto = 1 rows).
  auto& lens = icmp_lens;
  auto known = [](int64_t len) -> std::string {
    switch (len) {
      case 28:
        return "nmap ping (no data)";
      case 60:
        return "Windows ping (32 bytes abcdefghi...)";
      case 84:
        return "Linux/BSD ping (56 bytes)";
      case 92:
        return "Welchia/Nachi (0xAA x64) or Windows tracert (zeros)";
      case 100:
        return "Cisco IOS ping (100 bytes)";
      case 128:
        return "Cisco IOS ping (alternate size)";
      default:
        return "";
    }
  };
  JsonValue arr = JsonValue::Array();
  int64_t total = 0;
  for (auto& [len, l] : lens) {
    std::sort(l.sources.begin(), l.sources.end());
    l.sources.erase(std::unique(l.sources.begin(), l.sources.end()), l.sources.end());
    JsonValue row = JsonValue::Object();
    row.Set("ip_length", len);
    row.Set("packets", l.packets);
    row.Set("flows", l.flows);
    row.Set("sources", static_cast<int64_t>(l.sources.size()));
    JsonValue fps = JsonValue::Object();
    for (const auto& [k, v] : l.fingerprints) fps.Set(k, v);
    row.Set("fingerprints", fps);
    row.Set("known_as", known(len));
    arr.Push(row);
    total += l.packets;
  }
  std::string answer =
      std::to_string(total) + " ICMP packets in " + std::to_string(lens.size()) + " lengths";
  if (!lens.empty()) {
    auto top = std::max_element(lens.begin(), lens.end(), [](auto& a, auto& b) {
      return a.second.packets < b.second.packets;
    });
    answer += "; most common IP length " + std::to_string(top->first);
    std::string best_fp;
    int64_t best = -1;
    for (const auto& [k, v] : top->second.fingerprints) {
      if (v > best) best = v, best_fp = k;
    }
    answer += " (" + best_fp + ")";
  }
  s.Set("answer", answer);
  s.Set("lengths", arr);
  return s;
}

}  // namespace tapwatch::collector::report
