// The flow record as the sensor built it before the direct encoder (git b4d1818:
// sensor/record_builder.cc BuildFlowRecord and sensor/app_record.cc FillAppRecord), kept verbatim
// as the test oracle the encoder's bytes are compared with. Test code only.

#include "tests/sensor/legacy_record_oracle.h"

#include <string>

#include "decoders/http_request.h"
#include "sensor/app_record.h"
#include "sensor/record_builder.h"

namespace tapwatch::sensor::legacy {
namespace {

using decoders::AppState;

template <typename StringSet>
void CopySet(const StringSet& set, uint16_t sets_used,
             google::protobuf::RepeatedPtrField<std::string>* out) {
  // Add() reuses a string the cleared record kept; assign() reuses its capacity.
  for (const auto& item : set.Items(sets_used)) {
    const std::string_view v = item.view();
    out->Add()->assign(v.data(), v.size());
  }
}

void FillSmb(const decoders::SmbDetail& d, proto::SmbSummary& s) {
  s.set_version(d.version);
  auto& smb1 = *s.mutable_smb1_commands();
  for (uint8_t i = 0; i < d.smb1_commands.size; ++i) {
    smb1[d.smb1_commands.keys[i]] = d.smb1_commands.counts[i];
  }
  if (d.smb1_commands.other) smb1[kSmb1OtherCommandsKey] = d.smb1_commands.other;
  auto& smb2 = *s.mutable_smb2_commands();
  const auto smb2_counts = d.smb2_commands.Counts(d.sets_used);
  for (size_t i = 0; i < smb2_counts.size(); ++i) {
    if (smb2_counts[i]) smb2[static_cast<uint32_t>(i)] = smb2_counts[i];
  }
  if (d.smb2_other_commands) smb2[kSmb2OtherCommandsKey] = d.smb2_other_commands;
  s.set_failed_responses(d.failed_responses);
  s.set_first_error_status(d.first_error_status);
  CopySet(d.dialects, d.sets_used, s.mutable_dialects());
  CopySet(d.tree_paths, d.sets_used, s.mutable_tree_paths());
  CopySet(d.pipes, d.sets_used, s.mutable_pipes());
  s.set_smb2_dialect(d.smb2_dialect);
  CopySet(d.nbss_called, d.sets_used, s.mutable_nbss_called_names());
  CopySet(d.nbss_calling, d.sets_used, s.mutable_nbss_calling_names());
  auto& types = *s.mutable_nbss_types();
  for (uint8_t i = 0; i < d.nbss_types.size; ++i) {
    types[d.nbss_types.keys[i]] = d.nbss_types.counts[i];
  }
  s.set_messages(d.messages);
}

void FillNetbios(const decoders::NbnsDetail& d, proto::NetbiosSummary& s) {
  auto& opcodes = *s.mutable_nbns_opcodes();
  for (size_t i = 0; i < d.nbns_opcodes.size(); ++i) {
    if (d.nbns_opcodes[i]) opcodes[static_cast<uint32_t>(i)] = d.nbns_opcodes[i];
  }
  CopySet(d.nbns_names, d.sets_used, s.mutable_nbns_names());
  s.set_nbns_nb_queries(d.nb_queries);
  s.set_nbns_nbstat_queries(d.nbstat_queries);
  s.set_nbns_broadcast(d.broadcast);
  s.set_nbns_responses(d.responses);
  s.set_nbns_error_responses(d.error_responses);
  CopySet(d.nbstat_names, d.sets_used, s.mutable_nbstat_names());
  if (d.has_nbstat_mac) s.set_nbstat_mac(FormatMac(d.nbstat_mac));
}

void FillNetbios(const decoders::NbdsDetail& d, proto::NetbiosSummary& s) {
  CopySet(d.nbds_source_names, d.sets_used, s.mutable_nbds_source_names());
  CopySet(d.nbds_destination_names, d.sets_used, s.mutable_nbds_destination_names());
  CopySet(d.browser_hosts, d.sets_used, s.mutable_browser_hosts());
  CopySet(d.browser_os, d.sets_used, s.mutable_browser_os());
}

void FillIcmp(const AppState& state, const decoders::AppScratch& scratch, proto::FlowRecord& rec) {
  const bool icmp_flow = state.kind == decoders::kAppKind<decoders::IcmpDetail>;
  if (!icmp_flow && state.errors_quoted == 0) return;
  proto::IcmpSummary& s = *rec.mutable_icmp();
  s.set_echo_requests(state.echo_requests);
  s.set_echo_replies(state.echo_replies);
  s.set_ttl1_probes(state.ttl1_probes);
  if (scratch.pool != nullptr) {
    if (const auto* d = scratch.pool->Get<decoders::IcmpDetail>(state.detail)) {
      auto& hist = *s.mutable_ip_length_histogram();
      for (uint8_t i = 0; i < d->ip_lengths.size; ++i) {
        hist[d->ip_lengths.keys[i]] = d->ip_lengths.counts[i];
      }
      if (d->ip_lengths.other) hist[kIcmpOtherLengthsKey] = d->ip_lengths.other;
    }
  }
  if (scratch.icmp_fingerprints != nullptr &&
      state.icmp_rule < scratch.icmp_fingerprints->rules.size()) {
    const auto& rule = scratch.icmp_fingerprints->rules[state.icmp_rule];
    s.set_fingerprint(rule.name);
    s.set_fingerprint_rule(rule.description + " (" + rule.hint + ")");
  }
  s.set_errors_quoted(state.errors_quoted);
  auto& types = *s.mutable_error_types();
  for (size_t i = 0; i < state.error_type_codes.size(); ++i) {
    if (state.error_type_counts[i]) types[state.error_type_codes[i]] = state.error_type_counts[i];
  }
  // Further error types are only counted: errors_quoted minus the listed counts.
}

}  // namespace

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
    const std::string& name =
        id < labels.size() ? labels[id] : std::string("label") + std::to_string(id);
    log_labels[name] += flow.label_pkts[i];
  }
  if (flow.label_other) log_labels["other"] += flow.label_other;
}

void FillAppRecord(const AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec) {
  rec.set_bare_ack(state.bare_ack());
  rec.set_src_bare_ack_pkts(state.bare_ack_pkts[0]);
  rec.set_dst_bare_ack_pkts(state.bare_ack_pkts[1]);

  if (scratch.signatures != nullptr && state.label_mask != 0) {
    const auto& rules = scratch.signatures->rules;
    for (size_t i = 0; i < rules.size() && i < 32; ++i) {
      if (!(state.label_mask & (1u << i))) continue;
      const std::string_view label = scratch.signatures->Label(i);
      if (!label.empty()) {
        rec.add_payload_labels()->assign(label.data(), label.size());
      } else {
        rec.add_payload_labels(rules[i].name + ": " + rules[i].hint);
      }
    }
  }
  // The pooled details and the first bytes were cold; their prefetches have been under way
  // since the top of this function.
  if (scratch.pool != nullptr) {
    if (state.kind == decoders::kAppKind<decoders::SmbDetail>) {
      if (const auto* d = scratch.pool->Get<decoders::SmbDetail>(state.detail)) {
        FillSmb(*d, *rec.mutable_smb());
      }
    } else if (state.kind == decoders::kAppKind<decoders::NbnsDetail>) {
      if (const auto* d = scratch.pool->Get<decoders::NbnsDetail>(state.detail)) {
        FillNetbios(*d, *rec.mutable_netbios());
      }
    } else if (state.kind == decoders::kAppKind<decoders::NbdsDetail>) {
      if (const auto* d = scratch.pool->Get<decoders::NbdsDetail>(state.detail)) {
        FillNetbios(*d, *rec.mutable_netbios());
      }
    }
  }
  FillIcmp(state, scratch, rec);

  // First payload bytes: the flow's pool chunk holds [src | dst], each first_bytes long.
  const std::span<const uint8_t> chunk = scratch.first_bytes_pool != nullptr
                                             ? scratch.first_bytes_pool->Chunk(state.first_chunk)
                                             : std::span<uint8_t>{};
  const size_t per_dir = chunk.size() / 2;
  std::span<const uint8_t> first[2];
  for (int dir = 0; dir < 2; ++dir) {
    const size_t n = std::min<size_t>(state.first_len[dir], per_dir);
    first[dir] = chunk.subspan(dir * per_dir, n);
  }
  // mutable_*()->assign(): set_*_bytes(ptr, n) would build a temporary std::string per call,
  // while the reused record's field keeps its buffer.
  const auto as_chars = [](std::span<const uint8_t> b) {
    return reinterpret_cast<const char*>(b.data());
  };
  if (!first[0].empty()) rec.mutable_src_first_bytes()->assign(as_chars(first[0]), first[0].size());
  if (!first[1].empty()) rec.mutable_dst_first_bytes()->assign(as_chars(first[1]), first[1].size());

  // HTTP request line: the initiator's first bytes, else the responder's (a bare-ACK flow's
  // "initiator" is only the first sender we saw).
  for (int dir = 0; dir < 2; ++dir) {
    decoders::HttpRequestLine line;
    if (decoders::ParseHttpRequestLine(first[dir], line)) {
      rec.mutable_http_method()->assign(line.method.data(), line.method.size());
      rec.mutable_http_uri()->assign(line.uri.data(), line.uri.size());
      break;
    }
  }
}

}  // namespace tapwatch::sensor::legacy
