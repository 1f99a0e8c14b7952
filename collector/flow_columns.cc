#include "collector/flow_columns.h"

#include <arpa/inet.h>

#include "collector/json_out.h"

namespace tapwatch::collector {
namespace {

// IPv4 dotted quad -> host-order integer (for range queries); false for IPv6.
bool ParseIpv4(const std::string& text, uint32_t& out) {
  in_addr addr{};
  if (text.empty() || inet_pton(AF_INET, text.c_str(), &addr) != 1) return false;
  out = ntohl(addr.s_addr);
  return true;
}

using R = FlowRowValues;
using B = ParamBinder;

// NULL conventions: collector/schema.sql's header.
constexpr FlowColumn kFlowColumns[] = {
    {"sensor_id", [](const R& r, B& b) { b.Text(r.sensor_id); }},
    {"seq", [](const R& r, B& b) { b.U64(r.envelope.seq()); }},
    {"flow_id", [](const R& r, B& b) { b.U64(r.f.flow_id()); }},
    {"src_addr", [](const R& r, B& b) { b.Text(r.f.src_addr()); }},
    {"dst_addr", [](const R& r, B& b) { b.Text(r.f.dst_addr()); }},
    {"src_v4", [](const R& r, B& b) { b.U64OrNull(r.src_is_v4, r.src_v4); }},
    {"dst_v4", [](const R& r, B& b) { b.U64OrNull(r.dst_is_v4, r.dst_v4); }},
    {"src_port", [](const R& r, B& b) { b.U64(r.f.src_port()); }},
    {"dst_port", [](const R& r, B& b) { b.U64(r.f.dst_port()); }},
    {"ip_proto", [](const R& r, B& b) { b.U64(r.f.ip_proto()); }},
    {"vlan", [](const R& r, B& b) { b.U64(r.f.vlan()); }},
    {"vlan_inner", [](const R& r, B& b) { b.U64(r.f.vlan_inner()); }},
    {"src_mac", [](const R& r, B& b) { b.TextOrNull(r.f.src_mac()); }},
    {"dst_mac", [](const R& r, B& b) { b.TextOrNull(r.f.dst_mac()); }},
    {"start_ns", [](const R& r, B& b) { b.U64(r.f.start_ns()); }},
    {"end_ns", [](const R& r, B& b) { b.U64(r.f.end_ns()); }},
    {"src_pkts", [](const R& r, B& b) { b.U64(r.f.src_pkts()); }},
    {"dst_pkts", [](const R& r, B& b) { b.U64(r.f.dst_pkts()); }},
    {"src_ip_bytes", [](const R& r, B& b) { b.U64(r.f.src_ip_bytes()); }},
    {"dst_ip_bytes", [](const R& r, B& b) { b.U64(r.f.dst_ip_bytes()); }},
    {"src_wire_bytes", [](const R& r, B& b) { b.U64(r.f.src_wire_bytes()); }},
    {"dst_wire_bytes", [](const R& r, B& b) { b.U64(r.f.dst_wire_bytes()); }},
    {"src_payload_bytes", [](const R& r, B& b) { b.U64(r.f.src_payload_bytes()); }},
    {"dst_payload_bytes", [](const R& r, B& b) { b.U64(r.f.dst_payload_bytes()); }},
    {"src_tcp_flags", [](const R& r, B& b) { b.U64(r.f.src_tcp_flags()); }},
    {"dst_tcp_flags", [](const R& r, B& b) { b.U64(r.f.dst_tcp_flags()); }},
    {"src_initial_tcp_flags",
     [](const R& r, B& b) { b.U64OrNull(r.tcp, r.f.src_initial_tcp_flags()); }},
    {"dst_initial_tcp_flags",
     [](const R& r, B& b) { b.U64OrNull(r.tcp, r.f.dst_initial_tcp_flags()); }},
    {"src_ttl_min", [](const R& r, B& b) { b.U64OrNull(r.f.src_pkts() > 0, r.f.src_ttl_min()); }},
    {"src_ttl_max", [](const R& r, B& b) { b.U64OrNull(r.f.src_pkts() > 0, r.f.src_ttl_max()); }},
    {"dst_ttl_min", [](const R& r, B& b) { b.U64OrNull(r.f.dst_pkts() > 0, r.f.dst_ttl_min()); }},
    {"dst_ttl_max", [](const R& r, B& b) { b.U64OrNull(r.f.dst_pkts() > 0, r.f.dst_ttl_max()); }},
    {"icmp_type", [](const R& r, B& b) { b.U64OrNull(r.icmp, r.f.icmp_type()); }},
    {"icmp_code", [](const R& r, B& b) { b.U64OrNull(r.icmp, r.f.icmp_code()); }},
    {"direction", [](const R& r, B& b) { b.TextOrNull(r.f.direction()); }},
    {"conn_state", [](const R& r, B& b) { b.TextOrNull(r.f.conn_state()); }},
    {"history", [](const R& r, B& b) { b.TextOrNull(r.f.history()); }},
    {"argus_state", [](const R& r, B& b) { b.TextOrNull(r.f.argus_state()); }},
    {"argus_flags", [](const R& r, B& b) { b.TextOrNull(r.f.argus_flags()); }},
    {"end_reason", [](const R& r, B& b) { b.TextOrNull(r.f.end_reason()); }},
    {"interim", [](const R& r, B& b) { b.U64(r.f.interim() ? 1 : 0); }},
    {"record_seq", [](const R& r, B& b) { b.U64(r.f.record_seq()); }},
    {"src_fragments", [](const R& r, B& b) { b.U64(r.f.src_fragments()); }},
    {"dst_fragments", [](const R& r, B& b) { b.U64(r.f.dst_fragments()); }},
    {"anomalies_json", [](const R& r, B& b) { b.TextOrNull(r.anomalies); }},
    {"bare_ack", [](const R& r, B& b) { b.U64(r.f.bare_ack() ? 1 : 0); }},
    {"src_bare_ack_pkts", [](const R& r, B& b) { b.U64(r.f.src_bare_ack_pkts()); }},
    {"dst_bare_ack_pkts", [](const R& r, B& b) { b.U64(r.f.dst_bare_ack_pkts()); }},
    {"src_first_bytes", [](const R& r, B& b) { b.BlobOrNull(r.f.src_first_bytes()); }},
    {"dst_first_bytes", [](const R& r, B& b) { b.BlobOrNull(r.f.dst_first_bytes()); }},
    {"payload_labels_json", [](const R& r, B& b) { b.TextOrNull(r.payload_labels); }},
    {"http_method", [](const R& r, B& b) { b.TextOrNull(r.f.http_method()); }},
    {"http_uri", [](const R& r, B& b) { b.TextOrNull(r.f.http_uri()); }},
    {"smb_json", [](const R& r, B& b) { b.TextOrNull(r.smb); }},
    {"netbios_json", [](const R& r, B& b) { b.TextOrNull(r.netbios); }},
    {"icmp_json", [](const R& r, B& b) { b.TextOrNull(r.icmp_json); }},
    {"log_labels_json", [](const R& r, B& b) { b.TextOrNull(r.log_labels); }},
    {"in_iface", [](const R& r, B& b) { b.TextOrNull(r.f.in_iface()); }},
    {"out_iface", [](const R& r, B& b) { b.TextOrNull(r.f.out_iface()); }},
    {"community_id", [](const R& r, B& b) { b.TextOrNull(r.f.community_id()); }},
    {"dns_json", [](const R& r, B& b) { b.TextOrNull(r.dns); }},
};

}  // namespace

FlowRowValues::FlowRowValues(const proto::Envelope& envelope, std::string_view sensor_id)
    : envelope(envelope), f(envelope.flow()), sensor_id(sensor_id) {
  tcp = f.ip_proto() == 6;
  icmp = f.ip_proto() == 1 || f.ip_proto() == 58;
  src_is_v4 = ParseIpv4(f.src_addr(), src_v4);
  dst_is_v4 = ParseIpv4(f.dst_addr(), dst_v4);
  anomalies = MapToJson(f.anomalies());
  payload_labels = ListToJson(f.payload_labels());
  if (f.has_smb()) smb = MessageToJson(f.smb());
  if (f.has_netbios()) netbios = MessageToJson(f.netbios());
  if (f.has_icmp()) icmp_json = MessageToJson(f.icmp());
  if (f.has_dns()) dns = MessageToJson(f.dns());
  log_labels = MapToJson(f.log_labels());
}

std::span<const FlowColumn> FlowColumns() { return kFlowColumns; }

std::string InsertFlowSql() {
  std::string names, params;
  for (const FlowColumn& c : kFlowColumns) {
    names.append(names.empty() ? "" : ", ").append(c.name);
    params.append(params.empty() ? ":" : ", :").append(c.name);
  }
  return "INSERT INTO flows (" + names + ") VALUES (" + params + ")";
}

}  // namespace tapwatch::collector
