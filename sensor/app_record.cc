#include "sensor/app_record.h"

#include <string>

#include "decoders/http_request.h"

namespace tapwatch::sensor {
namespace {

using decoders::AppKind;
using decoders::AppState;

template <size_t N, size_t M>
void CopySet(const decoders::FixedStringSet<N, M>& set,
             google::protobuf::RepeatedPtrField<std::string>* out) {
  // Add() reuses a string the cleared record kept; assign() reuses its capacity.
  for (uint8_t i = 0; i < set.count; ++i) {
    const std::string_view v = set.items[i].view();
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
  for (size_t i = 0; i < d.smb2_commands.size(); ++i) {
    if (d.smb2_commands[i]) smb2[static_cast<uint32_t>(i)] = d.smb2_commands[i];
  }
  if (d.smb2_other_commands) smb2[kSmb2OtherCommandsKey] = d.smb2_other_commands;
  s.set_failed_responses(d.failed_responses);
  s.set_first_error_status(d.first_error_status);
  CopySet(d.dialects, s.mutable_dialects());
  CopySet(d.tree_paths, s.mutable_tree_paths());
  CopySet(d.pipes, s.mutable_pipes());
  s.set_smb2_dialect(d.smb2_dialect);
  CopySet(d.nbss_called, s.mutable_nbss_called_names());
  CopySet(d.nbss_calling, s.mutable_nbss_calling_names());
  auto& types = *s.mutable_nbss_types();
  for (uint8_t i = 0; i < d.nbss_types.size; ++i) {
    types[d.nbss_types.keys[i]] = d.nbss_types.counts[i];
  }
  s.set_messages(d.messages);
}

void FillNetbios(const decoders::NetbiosDetail& d, proto::NetbiosSummary& s) {
  auto& opcodes = *s.mutable_nbns_opcodes();
  for (size_t i = 0; i < d.nbns_opcodes.size(); ++i) {
    if (d.nbns_opcodes[i]) opcodes[static_cast<uint32_t>(i)] = d.nbns_opcodes[i];
  }
  CopySet(d.nbns_names, s.mutable_nbns_names());
  s.set_nbns_nb_queries(d.nb_queries);
  s.set_nbns_nbstat_queries(d.nbstat_queries);
  s.set_nbns_broadcast(d.broadcast);
  s.set_nbns_responses(d.responses);
  s.set_nbns_error_responses(d.error_responses);
  CopySet(d.nbstat_names, s.mutable_nbstat_names());
  if (d.has_nbstat_mac) s.set_nbstat_mac(FormatMac(d.nbstat_mac));
  CopySet(d.nbds_source_names, s.mutable_nbds_source_names());
  CopySet(d.nbds_destination_names, s.mutable_nbds_destination_names());
  CopySet(d.browser_hosts, s.mutable_browser_hosts());
  CopySet(d.browser_os, s.mutable_browser_os());
}

void FillIcmp(const AppState& state, const decoders::AppScratch& scratch, proto::FlowRecord& rec) {
  const bool icmp_flow = state.kind == AppKind::kIcmp;
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

// Export reads application state that has been cold since the flow's last packet (first bytes,
// pooled details): ask for all the cache lines it will read at once, so their misses overlap
// instead of following one another.
void Prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

void PrefetchDetail(const AppState& state, const decoders::AppScratch& scratch) {
  if (scratch.pool == nullptr || state.detail == decoders::kNoDetail) return;
  if (state.kind == AppKind::kSmb) {
    if (const auto* d = scratch.pool->Peek<decoders::SmbDetail>(state.detail)) {
      for (const void* p : {static_cast<const void*>(d), static_cast<const void*>(&d->smb1_commands),
                            static_cast<const void*>(&d->smb2_commands),
                            static_cast<const void*>(&d->smb2_commands.back()),
                            static_cast<const void*>(&d->dialects.count),
                            static_cast<const void*>(&d->nbss_called.count),
                            static_cast<const void*>(&d->nbss_calling.count),
                            static_cast<const void*>(&d->tree_paths.count),
                            static_cast<const void*>(&d->pipes.count)}) {
        Prefetch(p);
      }
    }
  } else if (state.kind == AppKind::kNbns || state.kind == AppKind::kNbds) {
    if (const auto* d = scratch.pool->Peek<decoders::NetbiosDetail>(state.detail)) {
      for (const void* p : {static_cast<const void*>(d), static_cast<const void*>(&d->nbns_opcodes),
                            static_cast<const void*>(&d->nbns_names.count),
                            static_cast<const void*>(&d->nbns_names.items[0]),
                            static_cast<const void*>(&d->nbstat_names.count),
                            static_cast<const void*>(&d->nbds_source_names.count),
                            static_cast<const void*>(&d->nbds_destination_names.count),
                            static_cast<const void*>(&d->browser_hosts.count),
                            static_cast<const void*>(&d->browser_os.count)}) {
        Prefetch(p);
      }
    }
  } else if (state.kind == AppKind::kIcmp) {
    if (const auto* d = scratch.pool->Peek<decoders::IcmpDetail>(state.detail)) Prefetch(d);
  }
}

}  // namespace

std::string FormatMac(const std::array<uint8_t, 6>& mac) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out(3 * mac.size() - 1, ':');  // one allocation, no growth
  for (size_t i = 0; i < mac.size(); ++i) {
    out[3 * i] = kHex[mac[i] >> 4];
    out[3 * i + 1] = kHex[mac[i] & 0xF];
  }
  return out;
}

void PrefetchAppRecord(const AppState& state, const decoders::AppScratch& scratch) {
  const size_t per_dir_bytes = scratch.first_bytes.size() / 2;
  for (int dir = 0; dir < 2; ++dir) {
    if (state.first_len[dir] == 0 || per_dir_bytes == 0) continue;
    const uint8_t* p = scratch.first_bytes.data() + dir * per_dir_bytes;
    Prefetch(p);
    Prefetch(p + std::min<size_t>(state.first_len[dir], per_dir_bytes) - 1);
  }
  PrefetchDetail(state, scratch);
}

void FillAppRecord(const AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec) {
  PrefetchAppRecord(state, scratch);  // cheap when the caller already did it (lines in cache)

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
    if (state.kind == AppKind::kSmb) {
      if (const auto* d = scratch.pool->Get<decoders::SmbDetail>(state.detail)) {
        FillSmb(*d, *rec.mutable_smb());
      }
    } else if (state.kind == AppKind::kNbns || state.kind == AppKind::kNbds) {
      if (const auto* d = scratch.pool->Get<decoders::NetbiosDetail>(state.detail)) {
        FillNetbios(*d, *rec.mutable_netbios());
      }
    }
  }
  FillIcmp(state, scratch, rec);

  // First payload bytes: the arena part holds [src | dst], each first_bytes long.
  const size_t per_dir = scratch.first_bytes.size() / 2;
  std::span<const uint8_t> first[2];
  for (int dir = 0; dir < 2; ++dir) {
    const size_t n = std::min<size_t>(state.first_len[dir], per_dir);
    first[dir] = std::span<const uint8_t>(scratch.first_bytes).subspan(dir * per_dir, n);
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

}  // namespace tapwatch::sensor
