#include "sensor/flow_record_encoder.h"

#include <cstring>

#include "sensor/app_record.h"
#include "sensor/community_id.h"
#include "sensor/record_builder.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {
namespace {

// Field numbers come from the generated code: proto/tapwatch.proto is their one definition.
using R = proto::FlowRecord;

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
  out.VarintField(R::kFlowIdFieldNumber, flow.flow_id);
  out.StringField(R::kSensorIdFieldNumber, source.sensor_id);
  out.StringField(R::kSrcAddrFieldNumber,
                  {text, FormatAddressTo(flowtable::SrcAddr(flow), text)});
  out.StringField(R::kDstAddrFieldNumber,
                  {text, FormatAddressTo(flowtable::DstAddr(flow), text)});
  out.VarintField(R::kSrcPortFieldNumber, flowtable::SrcPort(flow));
  out.VarintField(R::kDstPortFieldNumber, flowtable::DstPort(flow));
  out.VarintField(R::kIpProtoFieldNumber, flow.key.ip_proto);
  out.VarintField(R::kVlanFieldNumber, flow.key.vlan_outer);
  if (flow.bits & flowtable::kBitHasMac) {
    out.StringField(R::kSrcMacFieldNumber, {text, FormatLinkMacTo(flow.mac[0], text)});
    out.StringField(R::kDstMacFieldNumber, {text, FormatLinkMacTo(flow.mac[1], text)});
  }
  // An interim record covers [record_start, last]; the first record starts at the flow's start.
  out.VarintField(R::kStartNsFieldNumber,
                  flow.record_start_ns ? flow.record_start_ns : flow.first_ns);
  out.VarintField(R::kEndNsFieldNumber, flow.last_ns);
  out.VarintField(R::kSrcPktsFieldNumber, s.pkts);
  out.VarintField(R::kDstPktsFieldNumber, d.pkts);
  out.VarintField(R::kSrcIpBytesFieldNumber, s.ip_bytes);
  out.VarintField(R::kDstIpBytesFieldNumber, d.ip_bytes);
  out.VarintField(R::kSrcWireBytesFieldNumber, s.wire_bytes);
  out.VarintField(R::kDstWireBytesFieldNumber, d.wire_bytes);
  out.VarintField(R::kSrcPayloadBytesFieldNumber, s.payload_bytes);
  out.VarintField(R::kDstPayloadBytesFieldNumber, d.payload_bytes);
  out.VarintField(R::kSrcTcpFlagsFieldNumber, s.tcp_flags);
  out.VarintField(R::kDstTcpFlagsFieldNumber, d.tcp_flags);
  const bool seen_src = (flow.bits & flowtable::kBitSeenSrc) != 0;
  const bool seen_dst = (flow.bits & flowtable::kBitSeenDst) != 0;
  if (seen_src) {
    out.VarintField(R::kSrcTtlMinFieldNumber, s.ttl_min);
    out.VarintField(R::kSrcTtlMaxFieldNumber, s.ttl_max);
  }
  if (flow.bits & flowtable::kBitHasIcmp) {
    out.VarintField(R::kIcmpTypeFieldNumber, flow.icmp_type);
    out.VarintField(R::kIcmpCodeFieldNumber, flow.icmp_code);
  }
  out.StringField(R::kDirectionFieldNumber, flowtable::DirectionConfidenceName(flow.direction));
  out.StringField(R::kConnStateFieldNumber, flowtable::ConnState(flow));
  out.StringField(R::kHistoryFieldNumber, HistoryView(flow));
  out.StringField(R::kArgusStateFieldNumber, flowtable::ArgusState(flow, source.why));
  out.StringField(R::kEndReasonFieldNumber, flowtable::EndReasonName(source.why));

  SmallStringCounts<flowtable::kFlowAnomalySlots + 1> anomalies;
  for (int i = 0; i < flowtable::kFlowAnomalySlots; ++i) {
    if (flow.anomaly_count[i] != 0) {
      anomalies.Add(decoders::AnomalyName(flow.anomaly[i]), flow.anomaly_count[i]);
    }
  }
  if (flow.anomaly_other) anomalies.Add("other", flow.anomaly_other);
  anomalies.Write(R::kAnomaliesFieldNumber, out);

  out.VarintField(R::kVlanInnerFieldNumber, flow.key.vlan_inner);
  if (seen_dst) {
    out.VarintField(R::kDstTtlMinFieldNumber, d.ttl_min);
    out.VarintField(R::kDstTtlMaxFieldNumber, d.ttl_max);
  }
  out.VarintField(R::kInterimFieldNumber, source.interim ? 1 : 0);
  out.VarintField(R::kRecordSeqFieldNumber, flow.record_seq);
  out.VarintField(R::kSrcFragmentsFieldNumber, s.fragments);
  out.VarintField(R::kDstFragmentsFieldNumber, d.fragments);
  char flags[flowtable::kArgusFlagsTextBytes];
  out.StringField(R::kArgusFlagsFieldNumber, {flags, FormatArgusFlags(flow, flags)});
  out.VarintField(R::kSrcInitialTcpFlagsFieldNumber, s.initial_tcp_flags);
  out.VarintField(R::kDstInitialTcpFlagsFieldNumber, d.initial_tcp_flags);

  if (source.app != nullptr) {
    EncodeAppRecord(flow.app, *source.app, out);  // bare_ack .. icmp
  } else {
    out.VarintField(R::kBareAckFieldNumber, flowtable::BareAck(flow) ? 1 : 0);
    out.VarintField(R::kSrcBareAckPktsFieldNumber, s.bare_ack_pkts);
    out.VarintField(R::kDstBareAckPktsFieldNumber, d.bare_ack_pkts);
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
  labels.Write(R::kLogLabelsFieldNumber, out);

  out.StringField(R::kInIfaceFieldNumber, source.in_iface);
  out.StringField(R::kOutIfaceFieldNumber, source.out_iface);

  if (source.community_id_seed) {
    CommunityIdTuple tuple;
    char id[kCommunityIdBytes];
    if (FlowCommunityIdTuple(flow, tuple)) {
      out.StringField(R::kCommunityIdFieldNumber,
                      {id, FormatCommunityId(tuple, *source.community_id_seed, id)});
    }
  }
  // Detail summaries numbered after community_id (added to the schema since).
  if (source.app != nullptr) {
    EncodeDetailSummary(flow.app, *source.app, kFirstLateSummaryField, UINT32_MAX, out);
  }
}

}  // namespace tapwatch::sensor
