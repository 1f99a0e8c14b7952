#include "sensor/record_builder.h"

#include <arpa/inet.h>

#include "sensor/app_record.h"

namespace tapwatch::sensor {

std::string FormatAddress(const decoders::IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family == 6) {
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
    return buf;
  }
  // Dotted quad by hand: glibc's inet_ntop formats IPv4 through sprintf, which was a visible
  // share of the export path.
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    unsigned v = a.bytes[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return std::string(buf, p);
}

std::string FormatLinkMac(const std::array<uint8_t, 6>& mac) {
  for (uint8_t b : mac) {
    if (b != 0) return FormatMac(mac);
  }
  return {};
}

void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out) {
  using flowtable::Flow;
  out.set_flow_id(flow.flow_id);
  out.set_sensor_id(std::string(sensor_id));
  out.set_src_addr(FormatAddress(flowtable::SrcAddr(flow)));
  out.set_dst_addr(FormatAddress(flowtable::DstAddr(flow)));
  out.set_src_port(flowtable::SrcPort(flow));
  out.set_dst_port(flowtable::DstPort(flow));
  out.set_ip_proto(flow.key.ip_proto);
  out.set_vlan(flow.key.vlan_outer);
  out.set_vlan_inner(flow.key.vlan_inner);
  if (flow.bits & flowtable::kBitHasMac) {
    out.set_src_mac(FormatLinkMac(flow.mac[0]));
    out.set_dst_mac(FormatLinkMac(flow.mac[1]));
  }
  // An interim record covers [record_start, last]; the first record starts at the flow's start.
  out.set_start_ns(flow.record_start_ns ? flow.record_start_ns : flow.first_ns);
  out.set_end_ns(flow.last_ns);
  const auto& s = flow.dir[0];
  const auto& d = flow.dir[1];
  out.set_src_pkts(s.pkts);
  out.set_dst_pkts(d.pkts);
  out.set_src_ip_bytes(s.ip_bytes);
  out.set_dst_ip_bytes(d.ip_bytes);
  out.set_src_wire_bytes(s.wire_bytes);
  out.set_dst_wire_bytes(d.wire_bytes);
  out.set_src_payload_bytes(s.payload_bytes);
  out.set_dst_payload_bytes(d.payload_bytes);
  out.set_src_tcp_flags(s.tcp_flags);
  out.set_dst_tcp_flags(d.tcp_flags);
  out.set_src_initial_tcp_flags(s.initial_tcp_flags);
  out.set_dst_initial_tcp_flags(d.initial_tcp_flags);
  if (flow.bits & flowtable::kBitSeenSrc) {
    out.set_src_ttl_min(s.ttl_min);
    out.set_src_ttl_max(s.ttl_max);
  }
  if (flow.bits & flowtable::kBitSeenDst) {
    out.set_dst_ttl_min(d.ttl_min);
    out.set_dst_ttl_max(d.ttl_max);
  }
  out.set_src_fragments(s.fragments);
  out.set_dst_fragments(d.fragments);
  if (flow.bits & flowtable::kBitHasIcmp) {
    out.set_icmp_type(flow.icmp_type);
    out.set_icmp_code(flow.icmp_code);
  }
  out.set_direction(std::string(flowtable::DirectionConfidenceName(flow.direction)));
  out.set_conn_state(std::string(flowtable::ConnState(flow)));
  flowtable::History(flow, *out.mutable_history());
  out.set_argus_state(std::string(flowtable::ArgusState(flow, why)));
  flowtable::ArgusFlags(flow, *out.mutable_argus_flags());
  out.set_end_reason(std::string(flowtable::EndReasonName(why)));
  out.set_interim(interim);
  out.set_record_seq(flow.record_seq);
  auto& anomalies = *out.mutable_anomalies();
  for (int i = 0; i < flowtable::kFlowAnomalySlots; ++i) {
    if (flow.anomaly_count[i] == 0) continue;
    anomalies[std::string(decoders::AnomalyName(flow.anomaly[i]))] += flow.anomaly_count[i];
  }
  if (flow.anomaly_other) anomalies["other"] += flow.anomaly_other;
  out.set_bare_ack(flowtable::BareAck(flow));
  out.set_src_bare_ack_pkts(s.bare_ack_pkts);
  out.set_dst_bare_ack_pkts(d.bare_ack_pkts);
  auto& log_labels = *out.mutable_log_labels();
  for (int i = 0; i < flowtable::kFlowLabelSlots; ++i) {
    const uint16_t id = flow.label_id[i];
    if (id == 0 || flow.label_pkts[i] == 0) continue;
    const std::string& name = id < labels.size() ? labels[id] : std::string("label") + std::to_string(id);
    log_labels[name] += flow.label_pkts[i];
  }
  if (flow.label_other) log_labels["other"] += flow.label_other;
}

}  // namespace tapwatch::sensor
