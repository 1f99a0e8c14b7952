#include "collector/report/sections/ports.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void PortsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (!f.src_home && f.dst_home && (r.proto == 6 || r.proto == 17) && !f.reversed) {
    uint64_t pbit = r.proto == 6 ? 0 : 1;
    uint64_t bucket = ctx_.period.Bucket(r.start_ns);
    PushKey(port_src_keys, pbit << 63 | uint64_t{r.dport} << 47 | uint64_t{r.src} << 15 | bucket);
    PushKey(port_dst_keys, pbit << 63 | uint64_t{r.dport} << 47 | uint64_t{r.dst} << 15 | bucket);
    auto& c = port_counts[{r.proto, r.dport}];
    c.flows += f.flows_inc;
    c.packets += r.src_pkts;
  }
}

JsonValue PortsSection::Build() {
  JsonValue s = NewSection("Inbound destination ports",
                           "Which ports are attacked, is it growing (ISC trend), what malware?");
  struct PortAgg {
    int64_t sources = 0, targets = 0;
    std::vector<int64_t> src_per_bucket, dst_per_bucket;
  };
  std::map<std::pair<int, uint32_t>, PortAgg> agg;
  auto count = [&](std::vector<uint64_t>& keys, bool is_src) {
    // Sorted by (proto, port, addr, bucket): a run of equal (proto, port, addr) is one distinct
    // address; a run of equal full keys is one distinct (address, bucket).
    SortUnique(keys);
    uint64_t prev_addr_key = ~uint64_t{0};
    for (uint64_t k : keys) {
      int proto = (k >> 63) ? 17 : 6;
      uint32_t port = static_cast<uint32_t>((k >> 47) & 0xFFFF);
      size_t bucket = static_cast<size_t>(k & 0x7FFF);
      auto& p = agg[{proto, port}];
      auto& series = is_src ? p.src_per_bucket : p.dst_per_bucket;
      if (series.empty()) series.assign(ctx_.period.buckets, 0);
      ++series[std::min(bucket, ctx_.period.buckets - 1)];
      if ((k >> 15) != prev_addr_key) {
        ++(is_src ? p.sources : p.targets);
        prev_addr_key = k >> 15;
      }
    }
    keys.clear();
    keys.shrink_to_fit();
  };
  count(port_src_keys, true);
  count(port_dst_keys, false);
  auto avg_before_last = [&](const std::vector<int64_t>& v) {
    if (v.size() < 2) return 0.0;
    size_t n = std::min<size_t>(30, v.size() - 1);
    double sum = 0;
    for (size_t i = v.size() - 1 - n; i < v.size() - 1; ++i) sum += v[i];
    return sum / n;
  };
  JsonValue tcp = JsonValue::Array(), udp = JsonValue::Array();
  for (int proto : {6, 17}) {
    std::vector<std::pair<std::pair<int, uint32_t>, Counter>> rows;
    for (const auto& [k, c] : port_counts) {
      if (k.first == proto) rows.push_back({k, c});
    }
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) {
      return a.second.packets != b.second.packets ? a.second.packets > b.second.packets
                                                  : a.first.second < b.first.second;
    });
    int64_t other_packets = 0;
    JsonValue& out = proto == 6 ? tcp : udp;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i >= ctx_.opt.top) {
        other_packets += rows[i].second.packets;
        continue;
      }
      const auto& [key, c] = rows[i];
      PortAgg& p = agg[key];
      JsonValue row = JsonValue::Object();
      row.Set("port", static_cast<int64_t>(key.second));
      row.Set("service", ctx_.Service(proto, key.second));
      row.Set("packets", c.packets);
      row.Set("flows", c.flows);
      row.Set("sources", p.sources);
      row.Set("targets", p.targets);
      if (ctx_.period.buckets >= 2 && !p.src_per_bucket.empty()) {
        double S = static_cast<double>(p.src_per_bucket.back()),
               sa = avg_before_last(p.src_per_bucket);
        double T = static_cast<double>(p.dst_per_bucket.back()),
               ta = avg_before_last(p.dst_per_bucket);
        double ss = std::max(sa, 1.0), tt = std::max(ta, 1.0);
        double mag = std::sqrt((S - sa) * (S - sa) / ss + (T - ta) * (T - ta) / tt);
        double sign = ((S - sa) / ss + (T - ta) / tt) < 0 ? -1 : 1;
        row.Set("trend", mag == 0 ? 0.0 : sign * mag);
        row.Set("last_bucket_sources", static_cast<int64_t>(S));
        row.Set("avg_sources", sa);
      } else {
        row.Set("trend", JsonValue());
      }
      const PortInfo* info = ctx_.ref.FindPort(proto, key.second);
      row.Set("annotation", info ? info->note : "");
      out.Push(row);
    }
    if (other_packets > 0) {
      JsonValue row = JsonValue::Object();
      row.Set("port", "other");
      row.Set("packets", other_packets);
      out.Push(row);
    }
  }
  s.Set("trend_formula",
        "sign * sqrt((S-s)^2/max(s,1) + (T-t)^2/max(t,1)); S,T = distinct sources/targets in "
        "the last " +
            std::string(ctx_.period.bucket_ns == kDayNs ? "24 h" : "hour") +
            ", s,t = their average over up to 30 earlier buckets (ISC trends.html)");
  std::string answer = "top TCP port: ";
  answer += tcp.size() ? std::to_string(tcp.items()[0].Find("port")->as_int()) : "none";
  answer += ", top UDP port: ";
  answer += udp.size() && udp.items()[0].Find("port")->is_number()
                ? std::to_string(udp.items()[0].Find("port")->as_int())
                : "none";
  s.Set("answer", answer);
  s.Set("tcp", tcp);
  s.Set("udp", udp);
  return s;
}

}  // namespace tapwatch::collector::report
