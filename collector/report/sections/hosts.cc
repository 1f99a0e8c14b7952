#include "collector/report/sections/hosts.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void HostsSection::InitSlots() {
  slots_ready_ = true;
  uint64_t total = 0;
  for (const auto& c : ctx_.home) {
    slot_base_.push_back(total);
    total += uint64_t{1} << (32 - c.prefix_len);
  }
  if (total <= (1u << 20)) {
    hosts.resize(total);
    host_seen.assign(total, 0);
  }
}

HostsSection::HostAgg& HostsSection::Slot(uint32_t a) {
  if (!hosts.empty()) {
    for (size_t i = 0; i < ctx_.home.size(); ++i) {
      if (ctx_.home[i].Contains(a)) {
        size_t slot = slot_base_[i] + (a - ctx_.home[i].network);
        host_seen[slot] = 1;
        return hosts[slot];
      }
    }
  }
  return hosts_big[a];
}

uint32_t HostsSection::SlotAddress(size_t slot) const {
  for (size_t i = ctx_.home.size(); i-- > 0;) {
    if (slot >= slot_base_[i])
      return ctx_.home[i].network + static_cast<uint32_t>(slot - slot_base_[i]);
  }
  return 0;
}

void HostsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4 || !f.has_host) return;
  if (!slots_ready_) InitSlots();
  auto& h = Slot(f.host).cat[f.category];
  h.flows += f.flows_inc;
  h.packets += f.packets;
  if (f.category == kInternal) {
    auto& h2 = Slot(f.other).cat[f.category];
    h2.flows += f.flows_inc;
    h2.packets += f.packets;
  }
}

JsonValue HostsSection::Build() {
  struct Row {
    uint32_t host;
    int64_t inbound, outbound, total;
  };
  std::vector<Row> rows;
  std::vector<std::pair<uint32_t, const HostAgg*>> all;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (host_seen[i]) all.push_back({SlotAddress(i), &hosts[i]});
  }
  for (const auto& [h, agg] : hosts_big) all.push_back({h, &agg});
  std::unordered_map<uint32_t, const HostAgg*> by_addr;
  for (const auto& [h, aggp] : all) {
    const HostAgg& agg = *aggp;
    by_addr[h] = aggp;
    Row r{h, 0, 0, 0};
    for (int c = 0; c < kNumCategories; ++c) {
      r.total += agg.cat[c].packets;
      if (c <= kInOther) r.inbound += agg.cat[c].packets;
      if (c >= kOutTcp && c <= kDns) r.outbound += agg.cat[c].packets;
    }
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.inbound != b.inbound) return a.inbound > b.inbound;
    return a.total != b.total ? a.total > b.total : a.host < b.host;
  });
  JsonValue s = NewSection("Most attacked / most active home hosts",
                           "What home systems were attacked the most?");
  JsonValue arr = JsonValue::Array();
  size_t rank = 0;
  for (const auto& r : rows) {
    if (rank >= std::max<size_t>(ctx_.opt.top, 256)) break;
    const auto& agg = *by_addr[r.host];
    JsonValue row = JsonValue::Object();
    row.Set("rank", static_cast<int64_t>(++rank));
    row.Set("host", FormatIpv4(r.host));
    row.Set("inbound_packets", r.inbound);
    row.Set("outbound_packets", r.outbound);
    row.Set("total_packets", r.total);
    JsonValue pk = JsonValue::Object(), fl = JsonValue::Object();
    for (int c = 0; c < kNumCategories - 1; ++c) {
      pk.Set(kCategories[c], agg.cat[c].packets);
      fl.Set(kCategories[c], agg.cat[c].flows);
    }
    row.Set("packets", pk);
    row.Set("flows", fl);
    arr.Push(row);
  }
  std::string answer = rows.empty() ? "no home hosts seen" : "most attacked: ";
  for (size_t i = 0; i < rows.size() && i < 3; ++i) {
    answer += (i ? ", " : "") + FormatIpv4(rows[i].host) + " (" + std::to_string(rows[i].inbound) +
              " inbound packets)";
  }
  s.Set("answer", answer);
  s.Set("hosts", arr);
  return s;
}

}  // namespace tapwatch::collector::report
