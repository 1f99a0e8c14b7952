#include "sensor/pipeline.h"

#include <cstdio>

#include "decoders/decode_frame.h"
#include "sensor/app_record.h"
#include "sensor/flow_record_encoder.h"

namespace tapwatch::sensor {

Pipeline::Pipeline(const PipelineConfig& config, Publisher& publisher)
    : config_(config), publisher_(publisher), table_(config.table) {
  if (config_.app.enabled) {
    const uint32_t slots = table_.capacity();
    const uint32_t divisor = config_.app_detail_divisor ? config_.app_detail_divisor : 1;
    app_pool_ = std::make_unique<decoders::AppDetailPool>(slots / divisor + 1);
    first_bytes_ = std::make_unique<decoders::FirstBytesPool>(slots, config_.app.first_bytes);
    scratch_.pool = app_pool_.get();
    scratch_.first_bytes_pool = first_bytes_.get();
    scratch_.signatures = config_.signatures;
    scratch_.icmp_fingerprints = config_.icmp_fingerprints;
  }
}

Pipeline::~Pipeline() = default;

uint64_t Pipeline::memory_bytes() const {
  uint64_t total = table_.memory_bytes();
  if (app_pool_) total += app_pool_->memory_bytes();
  if (first_bytes_) total += first_bytes_->memory_bytes();
  return total;
}

void Pipeline::OnFrame(decoders::LinkType link, uint64_t ts_ns, uint32_t wire_len,
                       const uint8_t* data, uint32_t cap_len, std::string_view label,
                       std::string_view in_iface, std::string_view out_iface) {
  // A busy live link never times out: look at the batch's age every few thousand frames.
  if ((++frames_ & 0xFFF) == 0) publisher_.FlushIfDue();
  decoders::DecodedPacket& pkt = pkt_;
  pkt.ts_ns = ts_ns;
  pkt.wire_len = wire_len;
  pkt.cap_len = cap_len;
  const decoders::DecodeStatus status =
      decoders::DecodeFrame(link, std::span<const uint8_t>(data, cap_len), pkt);
  pkt.source_label = labels_.IdOf(label);
  MaybeEmitStats(ts_ns);
  interval_.Count(status, pkt);
  totals_.Count(status, pkt);
  if (!pkt.is_ip()) return;
  const flowtable::UpdateResult r = table_.Update(pkt, *this);
  if (r.flow == nullptr) return;
  if (r.created && !(in_iface.empty() && out_iface.empty())) {
    r.flow->iface_id = {ifaces_.IdOf(in_iface), ifaces_.IdOf(out_iface)};
  }
  if (!config_.app.enabled) return;
  if (decoders::AppFlagsOnly(pkt)) {
    decoders::UpdateAppFlags(pkt, r.from_src, r.flow->app);
  } else {
    const uint8_t counted = pkt.anomaly_count;
    decoders::UpdateAppState(pkt, r.from_src, config_.app, r.flow->app, scratch_);
    // They flag a malformed payload after the stats and the flow table counted the packet's
    // anomalies: the new ones are counted now (the packet stays decoded).
    if (pkt.anomaly_count != counted) {
      interval_.CountAnomalies(pkt, counted);
      totals_.CountAnomalies(pkt, counted);
      flowtable::AddPacketAnomalies(*r.flow, pkt, counted);
    }
  }
  if (r.quoted_flow != nullptr) decoders::NoteIcmpError(pkt, r.quoted_flow->app);
}

void Pipeline::OnIdle(uint64_t now_ns) {
  publisher_.FlushIfDue();
  if (!have_time_) return;
  if (now_ns <= last_ts_ns_) return;
  MaybeEmitStats(now_ns);
  table_.Advance(now_ns, *this);
}

void Pipeline::Finish() {
  table_.FlushAll(*this);
  EmitStats(have_time_ ? last_ts_ns_ : 0, /*final=*/true);
}

void Pipeline::SetLogLineCounts(uint64_t packet, uint64_t other, uint64_t malformed) {
  log_packet_ = packet;
  log_other_ = other;
  log_malformed_ = malformed;
}

void Pipeline::Export(const flowtable::Flow& flow, flowtable::EndReason why, bool interim) {
  if (config_.app.enabled) {
    // The application state is cold too: its loads overlap with building the flow fields.
    PrefetchAppRecord(flow.app, scratch_);
  }
  FlowRecordSource source;
  source.flow = &flow;
  source.why = why;
  source.interim = interim;
  source.sensor_id = config_.sensor_id;
  source.labels = &labels_.names();
  if (flow.iface_id[0] != 0) source.in_iface = ifaces_.Name(flow.iface_id[0]);
  if (flow.iface_id[1] != 0) source.out_iface = ifaces_.Name(flow.iface_id[1]);
  if (config_.app.enabled) source.app = &scratch_;
  source.community_id_seed = config_.community_id_seed;
  EncodeFlowRecord(source, publisher_.BeginFlow());
  publisher_.EndFlow();
  // The slot is about to be reused: give its pooled details back. Interim records keep them.
  if (config_.app.enabled && !interim) {
    decoders::ReleaseAppState(const_cast<flowtable::Flow&>(flow).app, app_pool_.get(),
                              first_bytes_.get());
  }
  ++records_exported_;
  ++interval_flows_exported_;
}

void Pipeline::MaybeEmitStats(uint64_t ts_ns) {
  if (!have_time_) {
    have_time_ = true;
    interval_start_ns_ = ts_ns - ts_ns % config_.stats_interval_ns;
  }
  if (ts_ns > last_ts_ns_) last_ts_ns_ = ts_ns;
  if (ts_ns < interval_start_ns_ + config_.stats_interval_ns) return;
  EmitStats(interval_start_ns_ + config_.stats_interval_ns, /*final=*/false);
  // Intervals with no packets are skipped: a capture gap shows as missing intervals.
  interval_start_ns_ = ts_ns - ts_ns % config_.stats_interval_ns;
}

void Pipeline::EmitStats(uint64_t end_ns, bool final) {
  proto::StatsRecord& st = publisher_.NextStats();
  st.set_sensor_id(config_.sensor_id);
  st.set_interval_start_ns(interval_start_ns_);
  st.set_interval_end_ns(end_ns < interval_start_ns_ ? interval_start_ns_ : end_ns);
  st.set_packets(interval_.packets);
  st.set_wire_bytes(interval_.wire_bytes);
  st.set_decoded(interval_.decoded);
  st.set_unsupported(interval_.unsupported);
  st.set_malformed(interval_.malformed);
  st.set_non_ip(interval_.non_ip);
  auto& anomalies = *st.mutable_anomalies();
  for (size_t i = 1; i < interval_.anomalies.size(); ++i) {
    if (interval_.anomalies[i] == 0) continue;
    anomalies[std::string(decoders::AnomalyName(static_cast<decoders::Anomaly>(i)))] =
        interval_.anomalies[i];
  }
  if (app_pool_ && app_pool_->exhausted()) {
    anomalies["app_detail_pool_exhausted_total"] = app_pool_->exhausted();
  }
  auto& ethertypes = *st.mutable_non_ip_ethertypes();
  for (size_t i = 0; i < interval_.non_ip_ethertype_slots_used; ++i) {
    char key[8];
    std::snprintf(key, sizeof(key), "0x%04x", interval_.non_ip_ethertypes[i].type);
    ethertypes[key] = interval_.non_ip_ethertypes[i].count;
  }
  if (interval_.non_ip_other_ethertypes != 0) {
    ethertypes["other"] = interval_.non_ip_other_ethertypes;
  }
  const auto& ts = table_.stats();
  st.set_flows_created(ts.created - interval_flows_created_base_);
  st.set_flows_exported(interval_flows_exported_);
  st.set_flows_evicted(ts.evicted - interval_flows_evicted_base_);
  st.set_flows_active(ts.active);
  uint64_t dropped = 0, if_dropped = 0;
  if (drop_source_ != nullptr) drop_source_->KernelDrops(dropped, if_dropped);
  st.set_kernel_drops(dropped);
  st.set_kernel_if_drops(if_dropped);
  st.set_zmq_send_drops(publisher_.send_drops());
  st.set_final(final);
  st.set_total_packets(totals_.packets);
  st.set_log_lines_packet(log_packet_);
  st.set_log_lines_other(log_other_);
  st.set_log_lines_malformed(log_malformed_);
  publisher_.SendStats();
  interval_ = PacketCounters{};
  interval_flows_created_base_ = ts.created;
  interval_flows_evicted_base_ = ts.evicted;
  interval_flows_exported_ = 0;
}

}  // namespace tapwatch::sensor
