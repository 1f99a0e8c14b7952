#include "collector/report/sections/mac_aliases.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void MacAliasesSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (r.proto == 17 && r.dport == 514 && f.src_home && f.dst_home)
    syslog[r.dst][r.src] += r.src_pkts;

  for (int side = 0; side < 2; ++side) {
    std::string_view mac = side == 0 ? r.src_mac : r.dst_mac;
    if (mac.empty() || mac == "ff:ff:ff:ff:ff:ff" || mac == "00:00:00:00:00:00") continue;
    uint32_t ip = side == 0 ? r.src : r.dst;
    if ((side == 0 ? r.src_pkts : r.dst_pkts) == 0 && side == 0) continue;
    if (IsMulticast(ip) || ip == 0xFFFFFFFFu) continue;
    // Consecutive rows often carry the same MAC: remember the last lookup per side.
    MacAgg* mp;
    if (mac == last_mac_[side]) {
      mp = last_mac_agg_[side];
    } else {
      auto it = mac_table.find(mac);
      if (it == mac_table.end()) {
        it = mac_table.emplace(std::string(mac), MacAgg{}).first;
        it->second.id = static_cast<uint32_t>(mac_table.size());
      }
      mp = &it->second;
      last_mac_[side].assign(mac.data(), mac.size());  // reuses the buffer: no allocation
      last_mac_agg_[side] = mp;
    }
    auto& m = *mp;
    m.flows += f.flows_inc;
    const bool ip_home = side == 0 ? f.src_home : f.dst_home;
    if (ip_home && !(f.dst_broadcast && side == 1)) {
      if (ip != m.last_home_ip) PushKey(mac_ips, uint64_t{m.id} << 33 | uint64_t{1} << 32 | ip);
      m.last_home_ip = ip;
    } else if (!ip_home && m.external_sample.size() < kMacExternalSample &&
               std::find(m.external_sample.begin(), m.external_sample.end(), ip) ==
                   m.external_sample.end()) {
      // Only "many" matters (a router): stop counting external addresses at the sample size.
      m.external_sample.push_back(ip);
    }
  }
}

JsonValue MacAliasesSection::Build() {
  JsonValue s =
      NewSection("MAC to IP mapping",
                 "Which addresses share a network card (IP aliasing), which is the bridge / "
                 "logging host?");
  JsonValue macs = JsonValue::Array(), aliases = JsonValue::Array();
  std::vector<std::string> keys;
  std::vector<MacAgg*> by_id(mac_table.size() + 1, nullptr);
  for (auto& [mac, agg] : mac_table) {
    keys.push_back(mac);
    by_id[agg.id] = &agg;
  }
  std::sort(keys.begin(), keys.end());
  SortUnique(mac_ips);
  for (uint64_t k : mac_ips) {
    MacAgg* m = by_id[k >> 33];
    if ((k >> 32) & 1) m->home_ips.push_back(static_cast<uint32_t>(k));
  }
  for (auto& [mac, agg] : mac_table)
    agg.external_ips = static_cast<int64_t>(agg.external_sample.size());
  for (const auto& mac : keys) {
    const MacAgg& m = mac_table[mac];
    if (m.home_ips.empty()) continue;
    JsonValue row = JsonValue::Object();
    row.Set("mac", mac);
    JsonValue ips = JsonValue::Array();
    for (uint32_t ip : m.home_ips) ips.Push(FormatIpv4(ip));
    row.Set("home_ips", ips);
    row.Set("external_ips", m.external_ips);
    std::string role = m.external_ips >= 16    ? "gateway/router (many external addresses)"
                       : m.home_ips.size() > 1 ? "IP aliasing (several home addresses)"
                                               : "host";
    row.Set("role", role);
    macs.Push(row);
    if (m.home_ips.size() > 1 && m.external_ips < 16) aliases.Push(row);
  }
  JsonValue logging = JsonValue::Array();
  for (const auto& [recv, senders] : syslog) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(recv));
    JsonValue ss = JsonValue::Array();
    int64_t packets = 0;
    for (const auto& [snd, p] : senders) {
      ss.Push(FormatIpv4(snd));
      packets += p;
    }
    row.Set("senders", ss);
    row.Set("packets", packets);
    row.Set("why", "receives syslog (udp/514) from home hosts: the logging host / bridge");
    logging.Push(row);
  }
  s.Set("answer", std::to_string(aliases.size()) + " MAC(s) carry several home addresses; " +
                      std::to_string(logging.size()) + " logging host(s)");
  s.Set("aliases", aliases);
  s.Set("logging_hosts", logging);
  s.Set("macs", macs);
  return s;
}

}  // namespace tapwatch::collector::report
