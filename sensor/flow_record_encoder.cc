#include "sensor/flow_record_encoder.h"

#include <cstring>

#include "sensor/app_record.h"
#include "sensor/community_id.h"
#include "sensor/record_builder.h"

namespace tapwatch::sensor {
namespace {

// FlowRecord field numbers (proto/tapwatch.proto).
enum Field : uint32_t {
  kFlowId = 1,
  kSensorId,
  kSrcAddr,
  kDstAddr,
  kSrcPort,
  kDstPort,
  kIpProto,
  kVlan,
  kSrcMac,
  kDstMac,
  kStartNs,
  kEndNs,
  kSrcPkts,
  kDstPkts,
  kSrcIpBytes,
  kDstIpBytes,
  kSrcWireBytes,
  kDstWireBytes,
  kSrcPayloadBytes,
  kDstPayloadBytes,
  kSrcTcpFlags,
  kDstTcpFlags,
  kSrcTtlMin,
  kSrcTtlMax,
  kIcmpType,
  kIcmpCode,
  kDirection,
  kConnState,
  kHistory,
  kArgusState,
  kEndReason,
  kAnomalies,
  kVlanInner,
  kDstTtlMin,
  kDstTtlMax,
  kInterim,
  kRecordSeq,
  kSrcFragments,
  kDstFragments,
  kArgusFlags,
  kSrcInitialTcpFlags,
  kDstInitialTcpFlags,
  kBareAck,
  kSrcBareAckPkts,
  kDstBareAckPkts,
  kLogLabels = 54,
  kInIface,
  kOutIface,
  kCommunityId,
};

/// A map<string, uint32> of at most N keys, filled as the message builder's `map[key] += n`
/// (a repeated key adds up), written in insertion order.
template <size_t N>
struct SmallStringCounts {
  std::string_view keys[N];
  uint32_t counts[N];
  size_t size = 0;
  void Add(std::string_view key, uint32_t n) {
    for (size_t i = 0; i < size; ++i) {
      if (keys[i] == key) {
        counts[i] += n;
        return;
      }
    }
    keys[size] = key;
    counts[size++] = n;
  }
  void Write(uint32_t field, WireWriter& out) const {
    for (size_t i = 0; i < size; ++i) out.MapEntry(field, keys[i], counts[i]);
  }
};

using flowtable::FormatArgusFlags;
using flowtable::HistoryView;

}  // namespace

void EncodeFlowRecord(const FlowRecordSource& source, WireWriter& out) {
  const flowtable::Flow& flow = *source.flow;
  const auto& s = flow.dir[0];
  const auto& d = flow.dir[1];
  char text[kAddressTextBytes];
  out.VarintField(kFlowId, flow.flow_id);
  out.StringField(kSensorId, source.sensor_id);
  out.StringField(kSrcAddr, {text, FormatAddressTo(flowtable::SrcAddr(flow), text)});
  out.StringField(kDstAddr, {text, FormatAddressTo(flowtable::DstAddr(flow), text)});
  out.VarintField(kSrcPort, flowtable::SrcPort(flow));
  out.VarintField(kDstPort, flowtable::DstPort(flow));
  out.VarintField(kIpProto, flow.key.ip_proto);
  out.VarintField(kVlan, flow.key.vlan_outer);
  if (flow.bits & flowtable::kBitHasMac) {
    out.StringField(kSrcMac, {text, FormatLinkMacTo(flow.mac[0], text)});
    out.StringField(kDstMac, {text, FormatLinkMacTo(flow.mac[1], text)});
  }
  // An interim record covers [record_start, last]; the first record starts at the flow's start.
  out.VarintField(kStartNs, flow.record_start_ns ? flow.record_start_ns : flow.first_ns);
  out.VarintField(kEndNs, flow.last_ns);
  out.VarintField(kSrcPkts, s.pkts);
  out.VarintField(kDstPkts, d.pkts);
  out.VarintField(kSrcIpBytes, s.ip_bytes);
  out.VarintField(kDstIpBytes, d.ip_bytes);
  out.VarintField(kSrcWireBytes, s.wire_bytes);
  out.VarintField(kDstWireBytes, d.wire_bytes);
  out.VarintField(kSrcPayloadBytes, s.payload_bytes);
  out.VarintField(kDstPayloadBytes, d.payload_bytes);
  out.VarintField(kSrcTcpFlags, s.tcp_flags);
  out.VarintField(kDstTcpFlags, d.tcp_flags);
  const bool seen_src = (flow.bits & flowtable::kBitSeenSrc) != 0;
  const bool seen_dst = (flow.bits & flowtable::kBitSeenDst) != 0;
  if (seen_src) {
    out.VarintField(kSrcTtlMin, s.ttl_min);
    out.VarintField(kSrcTtlMax, s.ttl_max);
  }
  if (flow.bits & flowtable::kBitHasIcmp) {
    out.VarintField(kIcmpType, flow.icmp_type);
    out.VarintField(kIcmpCode, flow.icmp_code);
  }
  out.StringField(kDirection, flowtable::DirectionConfidenceName(flow.direction));
  out.StringField(kConnState, flowtable::ConnState(flow));
  out.StringField(kHistory, HistoryView(flow));
  out.StringField(kArgusState, flowtable::ArgusState(flow, source.why));
  out.StringField(kEndReason, flowtable::EndReasonName(source.why));

  SmallStringCounts<flowtable::kFlowAnomalySlots + 1> anomalies;
  for (int i = 0; i < flowtable::kFlowAnomalySlots; ++i) {
    if (flow.anomaly_count[i] != 0) {
      anomalies.Add(decoders::AnomalyName(flow.anomaly[i]), flow.anomaly_count[i]);
    }
  }
  if (flow.anomaly_other) anomalies.Add("other", flow.anomaly_other);
  anomalies.Write(kAnomalies, out);

  out.VarintField(kVlanInner, flow.key.vlan_inner);
  if (seen_dst) {
    out.VarintField(kDstTtlMin, d.ttl_min);
    out.VarintField(kDstTtlMax, d.ttl_max);
  }
  out.VarintField(kInterim, source.interim ? 1 : 0);
  out.VarintField(kRecordSeq, flow.record_seq);
  out.VarintField(kSrcFragments, s.fragments);
  out.VarintField(kDstFragments, d.fragments);
  char flags[flowtable::kArgusFlagsTextBytes];
  out.StringField(kArgusFlags, {flags, FormatArgusFlags(flow, flags)});
  out.VarintField(kSrcInitialTcpFlags, s.initial_tcp_flags);
  out.VarintField(kDstInitialTcpFlags, d.initial_tcp_flags);

  if (source.app != nullptr) {
    EncodeAppRecord(flow.app, *source.app, out);  // fields 43..53
  } else {
    out.VarintField(kBareAck, flowtable::BareAck(flow) ? 1 : 0);
    out.VarintField(kSrcBareAckPkts, s.bare_ack_pkts);
    out.VarintField(kDstBareAckPkts, d.bare_ack_pkts);
  }

  // A label id past the table (never made by the sensor) is shown by number.
  char unknown[flowtable::kFlowLabelSlots][16];
  SmallStringCounts<flowtable::kFlowLabelSlots + 1> labels;
  for (int i = 0; i < flowtable::kFlowLabelSlots; ++i) {
    const uint16_t id = flow.label_id[i];
    if (id == 0 || flow.label_pkts[i] == 0) continue;
    if (source.labels != nullptr && id < source.labels->size()) {
      labels.Add((*source.labels)[id], flow.label_pkts[i]);
    } else {
      std::memcpy(unknown[i], "label", 5);
      char* p = unknown[i] + 5;
      char digits[6];
      int n = 0;
      for (unsigned v = id; v != 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
      while (n > 0) *p++ = digits[--n];
      labels.Add({unknown[i], static_cast<size_t>(p - unknown[i])}, flow.label_pkts[i]);
    }
  }
  if (flow.label_other) labels.Add("other", flow.label_other);
  labels.Write(kLogLabels, out);

  out.StringField(kInIface, source.in_iface);
  out.StringField(kOutIface, source.out_iface);

  if (source.community_id_seed) {
    CommunityIdTuple tuple;
    char id[kCommunityIdBytes];
    if (FlowCommunityIdTuple(flow, tuple)) {
      out.StringField(kCommunityId, {id, FormatCommunityId(tuple, *source.community_id_seed, id)});
    }
  }
}

}  // namespace tapwatch::sensor
