#include "sensor/record_builder.h"

#include <arpa/inet.h>

#include <cstring>


namespace tapwatch::sensor {

size_t FormatAddressTo(const decoders::IpAddress& a, char* buf) {
  if (a.family == 6) {
    if (inet_ntop(AF_INET6, a.bytes.data(), buf, kAddressTextBytes) == nullptr) return 0;
    return std::strlen(buf);
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
  return static_cast<size_t>(p - buf);
}

std::string FormatAddress(const decoders::IpAddress& a) {
  char buf[kAddressTextBytes];
  return std::string(buf, FormatAddressTo(a, buf));
}

size_t FormatLinkMacTo(const std::array<uint8_t, 6>& mac, char* buf) {
  uint8_t any = 0;
  for (uint8_t b : mac) any |= b;
  if (any == 0) return 0;
  // Lower-case hex, as app_record's FormatMac (the wire format of every MAC field).
  constexpr char kHex[] = "0123456789abcdef";
  char* p = buf;
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i) *p++ = ':';
    *p++ = kHex[mac[i] >> 4];
    *p++ = kHex[mac[i] & 0xF];
  }
  return kMacTextBytes;
}

std::string FormatLinkMac(const std::array<uint8_t, 6>& mac) {
  char buf[kMacTextBytes];
  return std::string(buf, FormatLinkMacTo(mac, buf));
}

void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out) {
  using flowtable::Flow;
  out.set_flow_id(flow.flow_id);
  // mutable_x()->assign() writes into the reused record's string: no allocation once it has
  // grown to size. (protobuf 3.21's set_x(data, size) builds a temporary std::string first.)
  out.mutable_sensor_id()->assign(sensor_id.data(), sensor_id.size());
  char text[kAddressTextBytes];
  out.mutable_src_addr()->assign(text, FormatAddressTo(flowtable::SrcAddr(flow), text));
  out.mutable_dst_addr()->assign(text, FormatAddressTo(flowtable::DstAddr(flow), text));
  out.set_src_port(flowtable::SrcPort(flow));
  out.set_dst_port(flowtable::DstPort(flow));
  out.set_ip_proto(flow.key.ip_proto);
  out.set_vlan(flow.key.vlan_outer);
  out.set_vlan_inner(flow.key.vlan_inner);
  if (flow.bits & flowtable::kBitHasMac) {
    out.mutable_src_mac()->assign(text, FormatLinkMacTo(flow.mac[0], text));
    out.mutable_dst_mac()->assign(text, FormatLinkMacTo(flow.mac[1], text));
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
  const std::string_view direction = flowtable::DirectionConfidenceName(flow.direction);
  out.mutable_direction()->assign(direction.data(), direction.size());
  const std::string_view conn_state = flowtable::ConnState(flow);
  out.mutable_conn_state()->assign(conn_state.data(), conn_state.size());
  flowtable::History(flow, *out.mutable_history());
  const std::string_view argus_state = flowtable::ArgusState(flow, why);
  out.mutable_argus_state()->assign(argus_state.data(), argus_state.size());
  flowtable::ArgusFlags(flow, *out.mutable_argus_flags());
  const std::string_view end_reason = flowtable::EndReasonName(why);
  out.mutable_end_reason()->assign(end_reason.data(), end_reason.size());
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
