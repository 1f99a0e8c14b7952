#include "collector/report/sections/reserved_destinations.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/reference_data.h"

namespace tapwatch::collector::report {

void ReservedDestinationsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (f.src_home && !f.dst_broadcast) {
    if (const ReservedRange* range = ctx_.ref.FindReserved(r.dst, r.start_ns)) {
      const std::string& c = range->category;
      if (c != "private" && c != "multicast" && c != "broadcast" && c != "link-local" &&
          c != "shared" && c != "loopback") {
        std::string key = FormatIpv4(r.dst & 0xFFFF0000u) + "/16";
        auto& ra = reserved[key];
        ra.range = range->cidr.ToString();
        ra.category = c;
        ra.note = range->note;
        ra.hosts.insert(r.src);
        if (ra.dsts.size() < 1000) ra.dsts.insert(r.dst);
        ra.flows += f.flows_inc;
        ra.packets += f.packets;
        if (r.dst_pkts > 0) ra.answered_flows += f.flows_inc;
        ra.payload_bytes_sent += r.src_payload;
        ra.payload_bytes_received += r.dst_payload;
        ra.services[ProtoName(r.proto) + "/" +
                    std::to_string(r.proto == 6 || r.proto == 17 ? r.dport : 0)] += f.flows_inc;
        ra.first_ns = std::min(ra.first_ns, r.start_ns);
        ra.last_ns = std::max(ra.last_ns, r.end_ns);
        int64_t day = r.start_ns >= 0 ? r.start_ns / kDayNs : (r.start_ns - kDayNs + 1) / kDayNs;
        int64_t monday = day - ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
        reserved_week_hosts.push_back(static_cast<uint64_t>(monday) << 32 | r.src);
        if (!r.smb_json.empty()) {
          if (auto smb = JsonValue::Parse(r.smb_json)) {
            if (const JsonValue* cmds = smb->Find("smb1_commands")) {
              for (const auto& [k, v] : cmds->members()) {
                int code = static_cast<int>(std::strtol(k.c_str(), nullptr, 0));
                ra.smb_commands[code] += v.as_int();
              }
            }
            if (const JsonValue* f = smb->Find("failed_responses")) ra.smb_failed += f->as_int();
            if (const JsonValue* m = smb->Find("messages")) ra.smb_messages += m->as_int();
          }
        }
        if (!r.netbios_json.empty()) {
          if (auto nb = JsonValue::Parse(r.netbios_json)) {
            if (const JsonValue* q = nb->Find("nbns_nbstat_queries"))
              ra.nbstat_queries += q->as_int();
            if (const JsonValue* q = nb->Find("nbns_nb_queries")) ra.nb_queries += q->as_int();
            if (const JsonValue* names = nb->Find("nbns_names")) {
              for (const auto& n : names->items()) {
                if (ra.nbns_names.size() < 20) ra.nbns_names.insert(n.as_string());
              }
            }
          }
        }
      }
    }
  }
}

JsonValue ReservedDestinationsSection::Build() {
  JsonValue s =
      NewSection("Home hosts sending to reserved / unallocated networks",
                 "Which internal hosts send to reserved networks (1.11.0.0/16), is it growing, "
                 "what do they send, does anything get through?");
  SortUnique(reserved_week_hosts);
  std::map<int64_t, int64_t> per_week;
  for (uint64_t k : reserved_week_hosts) ++per_week[static_cast<int64_t>(k >> 32)];
  JsonValue weeks = JsonValue::Array();
  std::vector<double> y;
  if (!per_week.empty()) {
    for (int64_t w = per_week.begin()->first; w <= per_week.rbegin()->first; w += 7) {
      JsonValue row = JsonValue::Object();
      row.Set("week_start", FormatTimeNs(w * kDayNs).substr(0, 10));
      int64_t n = per_week.count(w) ? per_week[w] : 0;
      row.Set("hosts", n);
      weeks.Push(row);
      y.push_back(static_cast<double>(n));
    }
  }
  double slope = 0, change = 0;
  std::string dir = Direction(y, &slope, &change);
  if (y.size() == 2) dir = y[1] > y[0] ? "growing" : y[1] < y[0] ? "shrinking" : "stable";
  JsonValue nets = JsonValue::Array();
  std::set<uint32_t> all_hosts;
  int64_t answered = 0;
  for (const auto& [key, r] : reserved) {
    JsonValue row = JsonValue::Object();
    row.Set("network", key);
    row.Set("range", r.range);
    row.Set("category", r.category);
    row.Set("hosts", static_cast<int64_t>(r.hosts.size()));
    JsonValue hl = JsonValue::Array();
    for (uint32_t h : r.hosts) {
      if (hl.size() < 100) hl.Push(FormatIpv4(h));
      all_hosts.insert(h);
      ctx_.AddFinding(h, true, 10, "reserved_destinations", "sends to reserved network " + key);
    }
    row.Set("host_list", hl);
    row.Set("destinations", static_cast<int64_t>(r.dsts.size()));
    row.Set("flows", r.flows);
    row.Set("packets", r.packets);
    JsonValue svc = JsonValue::Object();
    for (const auto& [k, v] : r.services) svc.Set(k, v);
    row.Set("services", svc);
    JsonValue smb = JsonValue::Object();
    for (const auto& [code, n] : r.smb_commands) smb.Set(SmbCommandName(code), n);
    row.Set("smb_commands", smb);
    row.Set("smb_failed_responses", r.smb_failed);
    row.Set("nbns_nbstat_queries", r.nbstat_queries);
    row.Set("nbns_nb_queries", r.nb_queries);
    JsonValue names = JsonValue::Array();
    for (const auto& n : r.nbns_names) names.Push(n);
    row.Set("nbns_names", names);
    row.Set("answered_flows", r.answered_flows);
    row.Set("payload_bytes_sent", r.payload_bytes_sent);
    row.Set("payload_bytes_received", r.payload_bytes_received);
    row.Set("data_got_through", r.answered_flows > 0 && r.payload_bytes_received > 0);
    row.Set("first", FormatTimeNs(r.first_ns));
    row.Set("last", FormatTimeNs(r.last_ns));
    row.Set("note", r.note);
    nets.Push(row);
    answered += r.answered_flows;
  }
  s.Set("answer", all_hosts.empty()
                      ? "no home host sends to reserved networks"
                      : std::to_string(all_hosts.size()) +
                            " home host(s) send to reserved networks; weekly host "
                            "count " +
                            dir + "; " +
                            (answered ? "some flows were answered" : "nothing was ever answered"));
  s.Set("hosts_total", static_cast<int64_t>(all_hosts.size()));
  s.Set("weekly_direction", dir);
  s.Set("weekly_slope", slope);
  s.Set("weeks", weeks);
  s.Set("networks", nets);
  return s;
}

}  // namespace tapwatch::collector::report
