#include "collector/report/sections/bare_ack.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

bool BareAckSection::Dark(uint32_t a) {
  if (!dark_src_) {
    dark_src_ = std::make_unique<Stmt>(
        ctx_.db, "SELECT 1 FROM flows WHERE src_addr = ?1 AND src_pkts > 0 LIMIT 1");
    dark_dst_ = std::make_unique<Stmt>(
        ctx_.db, "SELECT 1 FROM flows WHERE dst_addr = ?1 AND dst_pkts > 0 LIMIT 1");
  }
  const std::string addr = FormatIpv4(a);
  for (Stmt* st : {dark_src_.get(), dark_dst_.get()}) {
    if (!st->ok()) continue;
    sqlite3_reset(st->get());
    sqlite3_bind_text(st->get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
    if (st->Step()) return false;
  }
  return true;
}

void BareAckSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (r.bare_ack) {
    auto& ba = bare_ack[r.src & 0xFFFF0000u];
    ba.flows += f.flows_inc;
    ba.packets += r.src_pkts;
    ba.payload_bytes += r.src_payload;
    if (ba.sources.size() < 10000) ba.sources.insert(r.src);
    if (ba.targets.size() < 10000) ba.targets.insert(r.dst);
    for (const auto& l : f.labels) ++ba.labels[l];
    ba.cmd_exe += f.cmd_exe_labels;
    ba.ida += f.ida_labels;
    labels_cmd_exe_bare += f.cmd_exe_labels;
    labels_ida_bare += f.ida_labels;
    bare_ack_sources.insert(r.src);
  } else {
    labels_cmd_exe_handshake += f.cmd_exe_labels;
    labels_ida_handshake += f.ida_labels;
  }
}

JsonValue BareAckSection::Build() {
  JsonValue s =
      NewSection("Payload without a handshake (bare ACK)",
                 "Why is the cmd.exe count higher than the .ida count; are the targets dark?");
  JsonValue arr = JsonValue::Array();
  int64_t flows = 0;
  for (const auto& [net, b] : bare_ack) {
    JsonValue row = JsonValue::Object();
    row.Set("source_network", FormatIpv4(net) + "/16");
    row.Set("flows", b.flows);
    row.Set("packets", b.packets);
    row.Set("payload_bytes", b.payload_bytes);
    row.Set("sources", static_cast<int64_t>(b.sources.size()));
    row.Set("targets", static_cast<int64_t>(b.targets.size()));
    int64_t dark = 0;
    for (uint32_t t : b.targets) dark += Dark(t) ? 1 : 0;
    row.Set("dark_targets", dark);
    row.Set("targets_all_dark", dark == static_cast<int64_t>(b.targets.size()));
    JsonValue labels = JsonValue::Object();
    for (const auto& [k, v] : b.labels) labels.Set(k, v);
    row.Set("payload_labels", labels);
    row.Set("cmd_exe_labels", b.cmd_exe);
    row.Set("ida_labels", b.ida);
    arr.Push(row);
    flows += b.flows;
  }
  for (uint32_t src : bare_ack_sources)
    ctx_.AddFinding(src, false, 10, "bare_ack", "sends payload without a handshake");
  JsonValue labels = JsonValue::Object();
  labels.Set("cmd_exe_with_handshake", labels_cmd_exe_handshake);
  labels.Set("ida_with_handshake", labels_ida_handshake);
  labels.Set("cmd_exe_bare_ack", labels_cmd_exe_bare);
  labels.Set("ida_bare_ack", labels_ida_bare);
  int64_t cmd = labels_cmd_exe_handshake + labels_cmd_exe_bare;
  int64_t ida = labels_ida_handshake + labels_ida_bare;
  labels.Set("cmd_exe_total", cmd);
  labels.Set("ida_total", ida);
  s.Set("label_counts", labels);
  std::string answer =
      std::to_string(flows) + " bare-ACK flow(s) from " + std::to_string(arr.size()) + " /16(s)";
  if (cmd > ida) {
    answer += "; cmd.exe exceeds .ida by " + std::to_string(cmd - ida) + ", of which " +
              std::to_string(std::max<int64_t>(0, labels_cmd_exe_bare - labels_ida_bare)) +
              " come from bare-ACK flows (payload fired without a handshake)";
  }
  s.Set("answer", answer);
  s.Set("networks", arr);
  return s;
}

}  // namespace tapwatch::collector::report
