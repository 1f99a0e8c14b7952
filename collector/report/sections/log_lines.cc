#include "collector/report/sections/log_lines.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

JsonValue LogLinesSection::Build() {
  JsonValue s =
      NewSection("Firewall log lines",
                 "What did the firewall log, per prefix, per source, per port and per host?");
  int64_t lines = 0;
  {
    Stmt st(ctx_.db, "SELECT coalesce(max(log_lines_packet), 0) FROM stats");
    if (st.ok() && st.Step()) lines = st.Int(0);
  }
  s.Set("present", lines > 0);
  if (lines == 0) {
    s.Set("answer", "no firewall-log records in this store");
    return s;
  }
  const std::string where = ctx_.TimeClause();
  constexpr int kTop = 100;
  int64_t labelled = 0;
  JsonValue prefixes = JsonValue::Array();
  {
    Stmt st(ctx_.db,
            "SELECT j.key, sum(j.value), sum(flows.record_seq = 0) FROM flows, "
            "json_each(flows.log_labels_json) j WHERE flows.log_labels_json IS NOT NULL" +
                where + " GROUP BY j.key ORDER BY 2 DESC, 1");
    while (st.ok() && st.Step()) {
      JsonValue row = JsonValue::Object();
      row.Set("prefix", std::string(st.Text(0)));
      row.Set("packets", st.Int(1));
      row.Set("flows", st.Int(2));
      labelled += st.Int(1);
      prefixes.Push(row);
    }
  }
  int64_t packets = 0, source_count = 0;
  JsonValue sources = JsonValue::Array();
  {
    // Both directions: a flow's dst_pkts were sent by its dst_addr.
    Stmt st(ctx_.db,
            "SELECT addr, sum(n) FROM (SELECT src_addr AS addr, src_pkts AS n FROM flows "
            "WHERE src_pkts > 0" +
                where +
                " UNION ALL SELECT dst_addr, dst_pkts FROM flows "
                "WHERE dst_pkts > 0" +
                where + ") GROUP BY addr ORDER BY 2 DESC, 1");
    while (st.ok() && st.Step()) {
      packets += st.Int(1);
      if (source_count++ >= kTop) continue;
      JsonValue row = JsonValue::Object();
      row.Set("address", std::string(st.Text(0)));
      row.Set("packets", st.Int(1));
      sources.Push(row);
    }
  }
  JsonValue ports = JsonValue::Array();
  int64_t port_count = 0;
  {
    Stmt st(ctx_.db,
            "SELECT proto, port, sum(n) FROM (SELECT ip_proto AS proto, dst_port AS port, "
            "src_pkts AS n FROM flows WHERE ip_proto IN (6, 17) AND src_pkts > 0" +
                where +
                " UNION ALL SELECT ip_proto, src_port, dst_pkts FROM flows WHERE ip_proto IN "
                "(6, 17) AND dst_pkts > 0" +
                where + ") GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2");
    while (st.ok() && st.Step()) {
      if (port_count++ >= kTop) continue;
      JsonValue row = JsonValue::Object();
      row.Set("proto", st.Int(0) == 6 ? "tcp" : "udp");
      row.Set("port", st.Int(1));
      row.Set("packets", st.Int(2));
      ports.Push(row);
    }
  }
  // Per home host by prefix: a flow's labelled packets count for each of its home addresses.
  std::map<uint32_t, std::map<std::string, int64_t>> by_host;
  {
    Stmt st(ctx_.db,
            "SELECT flows.src_v4, flows.dst_v4, j.key, j.value FROM flows, "
            "json_each(flows.log_labels_json) j WHERE flows.log_labels_json IS NOT NULL" +
                where);
    while (st.ok() && st.Step()) {
      for (int c : {0, 1}) {
        if (st.Null(c) || !ctx_.IsHome(static_cast<uint32_t>(st.Int(c)))) continue;
        if (c == 1 && !st.Null(0) && st.Int(0) == st.Int(1)) continue;  // same host twice
        by_host[static_cast<uint32_t>(st.Int(c))][std::string(st.Text(2))] += st.Int(3);
      }
    }
  }
  std::vector<std::pair<int64_t, uint32_t>> ranked;
  for (const auto& [host, counts] : by_host) {
    int64_t total = 0;
    for (const auto& [prefix, n] : counts) total += n;
    ranked.emplace_back(-total, host);
  }
  std::sort(ranked.begin(), ranked.end());
  JsonValue hosts = JsonValue::Array();
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(kTop); ++i) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(ranked[i].second));
    row.Set("packets", -ranked[i].first);
    JsonValue counts = JsonValue::Object();
    for (const auto& [prefix, n] : by_host[ranked[i].second]) counts.Set(prefix, n);
    row.Set("by_prefix", counts);
    hosts.Push(row);
  }
  s.Set("log_lines_packet", lines);
  s.Set("packets", packets);
  s.Set("labelled_packets", labelled);
  s.Set("prefixes", prefixes);
  s.Set("sources_total", source_count);
  s.Set("sources", sources);
  s.Set("ports_total", port_count);
  s.Set("ports", ports);
  s.Set("hosts", hosts);
  s.Set("answer", std::to_string(packets) + " logged packets (" + std::to_string(labelled) +
                      " under " + std::to_string(prefixes.size()) + " prefixes) from " +
                      std::to_string(source_count) + " addresses, to " +
                      std::to_string(port_count) + " TCP/UDP ports; " +
                      std::to_string(by_host.size()) + " home hosts");
  return s;
}

}  // namespace tapwatch::collector::report
