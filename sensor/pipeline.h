#pragma once
// The per-packet path of the sensor: decode -> flow table -> application decoders, and the
// export path: flow record -> publisher, plus periodic stats records. One pipeline per capture
// thread; no locks.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "decoders/app_detail.h"
#include "decoders/app_state.h"
#include "decoders/icmp_fingerprint.h"
#include "decoders/payload_signature.h"
#include "decoders/packet.h"
#include "flowtable/flow_table.h"
#include "sensor/name_table.h"
#include "sensor/packet_counters.h"
#include "sensor/publisher.h"

namespace tapwatch::sensor {

struct PipelineConfig {
  std::string sensor_id;
  flowtable::FlowTableConfig table;
  decoders::AppConfig app;
  uint64_t stats_interval_ns = 60'000'000'000ull;
  uint16_t community_id_seed = 0;  // Community ID v1 seed of every flow record
  // Application detail slots (SMB, NetBIOS, ICMP histograms) as a share of the flow slots.
  uint32_t app_detail_divisor = 32;
  const decoders::PayloadSignatureTable* signatures = nullptr;
  const decoders::IcmpFingerprintTable* icmp_fingerprints = nullptr;
};

/// Where kernel-drop counters come from (live capture); null for files and logs.
class DropSource {
 public:
  virtual ~DropSource() = default;
  virtual void KernelDrops(uint64_t& dropped, uint64_t& if_dropped) const = 0;
};

class Pipeline : public flowtable::ExportSink {
 public:
  Pipeline(const PipelineConfig& config, Publisher& publisher);
  ~Pipeline() override;

  /// One captured frame. `label` is a log prefix, `in_iface` / `out_iface` the interfaces a
  /// log line names (all empty for captures); a new flow keeps its first packet's interfaces.
  void OnFrame(decoders::LinkType link, uint64_t ts_ns, uint32_t wire_len, const uint8_t* data,
               uint32_t cap_len, std::string_view label = {}, std::string_view in_iface = {},
               std::string_view out_iface = {});
  /// Time passes on an idle live link (wall clock): expire flows, emit due stats.
  void OnIdle(uint64_t now_ns);
  /// End of input: export every flow (end reason shutdown) and the final stats record.
  void Finish();

  void set_drop_source(const DropSource* s) { drop_source_ = s; }
  /// Log-source line counters carried into stats records.
  void SetLogLineCounts(uint64_t packet, uint64_t other, uint64_t malformed);

  const PacketCounters& totals() const { return totals_; }
  const flowtable::FlowTable& table() const { return table_; }
  /// Bytes reserved at start for flows (the cap): table slots, first-bytes pool, detail pool.
  uint64_t memory_bytes() const;
  uint64_t app_pool_exhausted() const { return app_pool_ ? app_pool_->exhausted() : 0; }
  uint64_t records_exported() const { return records_exported_; }

  void Export(const flowtable::Flow& flow, flowtable::EndReason why, bool interim) override;
  // No Moved override: a flow's first-bytes chunk and detail slot are indexes in its AppState,
  // which the table copies with the flow.

 private:
  void MaybeEmitStats(uint64_t ts_ns);
  void EmitStats(uint64_t end_ns, bool final);

  PipelineConfig config_;
  Publisher& publisher_;
  flowtable::FlowTable table_;
  decoders::DecodedPacket pkt_;
  PacketCounters interval_;
  PacketCounters totals_;
  uint64_t interval_start_ns_ = 0;
  bool have_time_ = false;
  uint64_t last_ts_ns_ = 0;
  uint64_t records_exported_ = 0;
  uint32_t frames_ = 0;  // frames seen, for the periodic batch-age check
  uint64_t interval_flows_created_base_ = 0;
  uint64_t interval_flows_exported_ = 0;
  uint64_t interval_flows_evicted_base_ = 0;
  const DropSource* drop_source_ = nullptr;
  uint64_t log_packet_ = 0, log_other_ = 0, log_malformed_ = 0;
  NameTable<uint16_t> labels_{0xFFFE};  // log prefixes, ids in DecodedPacket::source_label
  NameTable<uint8_t> ifaces_{0xFF};      // log interfaces, ids in Flow::iface_id
  std::unique_ptr<decoders::AppDetailPool> app_pool_;
  std::unique_ptr<decoders::FirstBytesPool> first_bytes_;
  decoders::AppScratch scratch_;
};

}  // namespace tapwatch::sensor
