#include "sensor/app_record.h"

#include <string>

#include "decoders/http_request.h"

namespace tapwatch::sensor {
namespace {

using decoders::AppKind;
using decoders::AppState;

// Field numbers (proto/tapwatch.proto): FlowRecord's application fields and the summaries.
enum FlowField : uint32_t {
  kBareAck = 43, kSrcBareAckPkts, kDstBareAckPkts, kSrcFirstBytes, kDstFirstBytes,
  kPayloadLabels, kHttpMethod, kHttpUri, kSmb, kNetbios, kIcmp,
};
enum SmbField : uint32_t {
  kSmbVersion = 1, kSmb1Commands, kSmb2Commands, kFailedResponses, kFirstErrorStatus, kDialects,
  kTreePaths, kPipes, kSmb2Dialect, kNbssCalledNames, kNbssCallingNames, kNbssTypes, kMessages,
};
enum NetbiosField : uint32_t {
  kNbnsOpcodes = 1, kNbnsNames, kNbnsNbQueries, kNbnsNbstatQueries, kNbnsBroadcast,
  kNbnsResponses, kNbnsErrorResponses, kNbstatNames, kNbstatMac, kNbdsSourceNames,
  kNbdsDestinationNames, kBrowserHosts, kBrowserOs,
};
enum IcmpField : uint32_t {
  kEchoRequests = 1, kEchoReplies, kIpLengthHistogram, kFingerprint, kFingerprintRule,
  kTtl1Probes, kErrorsQuoted, kErrorTypes,
};

// An empty set is skipped on its owner's mask alone, without reading the set's own cache line.
template <typename StringSet>
void WriteSet(uint32_t field, const StringSet& set, uint16_t sets_used, WireWriter& out) {
  for (const auto& item : set.Items(sets_used)) out.RepeatedString(field, item.view());
}

// BoundedCounter keys are distinct by construction, and its "other" key is outside their range.
template <typename Key, size_t K>
void WriteCounter(uint32_t field, const decoders::BoundedCounter<Key, K>& c, WireWriter& out) {
  for (uint8_t i = 0; i < c.size; ++i) out.MapEntry(field, c.keys[i], c.counts[i]);
}

/// Index -> count tables (SMB2 commands, NBNS opcodes): an entry per non-zero count.
void WriteIndexCounts(uint32_t field, std::span<const uint32_t> counts, WireWriter& out) {
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i]) out.MapEntry(field, static_cast<uint32_t>(i), counts[i]);
  }
}

void EncodeSmb(const decoders::SmbDetail& d, WireWriter& out) {
  const size_t mark = out.BeginNested(kSmb);
  out.VarintField(kSmbVersion, d.version);
  WriteCounter(kSmb1Commands, d.smb1_commands, out);
  if (d.smb1_commands.other) {
    out.MapEntry(kSmb1Commands, kSmb1OtherCommandsKey, d.smb1_commands.other);
  }
  WriteIndexCounts(kSmb2Commands, d.smb2_commands.Counts(d.sets_used), out);
  if (d.smb2_other_commands) {
    out.MapEntry(kSmb2Commands, kSmb2OtherCommandsKey, d.smb2_other_commands);
  }
  out.VarintField(kFailedResponses, d.failed_responses);
  out.VarintField(kFirstErrorStatus, d.first_error_status);
  WriteSet(kDialects, d.dialects, d.sets_used, out);
  WriteSet(kTreePaths, d.tree_paths, d.sets_used, out);
  WriteSet(kPipes, d.pipes, d.sets_used, out);
  out.VarintField(kSmb2Dialect, d.smb2_dialect);
  WriteSet(kNbssCalledNames, d.nbss_called, d.sets_used, out);
  WriteSet(kNbssCallingNames, d.nbss_calling, d.sets_used, out);
  WriteCounter(kNbssTypes, d.nbss_types, out);
  out.VarintField(kMessages, d.messages);
  out.EndNested(mark);
}

// The record's one `netbios` message carries both services' fields, the NBNS ones first. A flow
// has the detail of one service (its kind says which) and writes that service's fields only: the
// other's would all be empty, and an empty field writes nothing.
void EncodeNetbios(const decoders::NbnsDetail& d, WireWriter& out) {
  const size_t mark = out.BeginNested(kNetbios);
  WriteIndexCounts(kNbnsOpcodes, d.nbns_opcodes, out);
  WriteSet(kNbnsNames, d.nbns_names, d.sets_used, out);
  out.VarintField(kNbnsNbQueries, d.nb_queries);
  out.VarintField(kNbnsNbstatQueries, d.nbstat_queries);
  out.VarintField(kNbnsBroadcast, d.broadcast);
  out.VarintField(kNbnsResponses, d.responses);
  out.VarintField(kNbnsErrorResponses, d.error_responses);
  WriteSet(kNbstatNames, d.nbstat_names, d.sets_used, out);
  if (d.has_nbstat_mac) {
    char mac[17];
    out.StringField(kNbstatMac, {mac, FormatMacTo(d.nbstat_mac, mac)});
  }
  out.EndNested(mark);
}

void EncodeNetbios(const decoders::NbdsDetail& d, WireWriter& out) {
  const size_t mark = out.BeginNested(kNetbios);
  WriteSet(kNbdsSourceNames, d.nbds_source_names, d.sets_used, out);
  WriteSet(kNbdsDestinationNames, d.nbds_destination_names, d.sets_used, out);
  WriteSet(kBrowserHosts, d.browser_hosts, d.sets_used, out);
  WriteSet(kBrowserOs, d.browser_os, d.sets_used, out);
  out.EndNested(mark);
}

void EncodeIcmp(const AppState& state, const decoders::AppScratch& scratch, WireWriter& out) {
  const bool icmp_flow = state.kind == AppKind::kIcmp;
  if (!icmp_flow && state.errors_quoted == 0) return;
  const size_t mark = out.BeginNested(kIcmp);
  out.VarintField(kEchoRequests, state.echo_requests);
  out.VarintField(kEchoReplies, state.echo_replies);
  if (scratch.pool != nullptr) {
    if (const auto* d = scratch.pool->Get<decoders::IcmpDetail>(state.detail)) {
      WriteCounter(kIpLengthHistogram, d->ip_lengths, out);
      if (d->ip_lengths.other) {
        out.MapEntry(kIpLengthHistogram, kIcmpOtherLengthsKey, d->ip_lengths.other);
      }
    }
  }
  if (scratch.icmp_fingerprints != nullptr &&
      state.icmp_rule < scratch.icmp_fingerprints->rules.size()) {
    const auto& rule = scratch.icmp_fingerprints->rules[state.icmp_rule];
    out.StringField(kFingerprint, rule.name);
    // "<description> (<hint>)": the table is a data file, so the text goes through StringField.
    thread_local std::string text;
    text.assign(rule.description).append(" (").append(rule.hint).append(")");
    out.StringField(kFingerprintRule, text);
  }
  out.VarintField(kTtl1Probes, state.ttl1_probes);
  out.VarintField(kErrorsQuoted, state.errors_quoted);
  // The first two distinct error types; further ones are only counted in errors_quoted.
  for (size_t i = 0; i < state.error_type_codes.size(); ++i) {
    if (state.error_type_counts[i]) {
      out.MapEntry(kErrorTypes, state.error_type_codes[i], state.error_type_counts[i]);
    }
  }
  out.EndNested(mark);
}

// Export reads application state that has been cold since the flow's last packet (first bytes,
// pooled details): ask for all the cache lines it will read at once, so their misses overlap
// instead of following one another.
void Prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

// The flow's first-bytes chunk, [initiator's first_bytes | responder's]; empty when it has none.
std::span<const uint8_t> FirstBytesChunk(const AppState& state,
                                         const decoders::AppScratch& scratch) {
  if (scratch.first_bytes_pool == nullptr) return {};
  return scratch.first_bytes_pool->Chunk(state.first_chunk);
}

void PrefetchDetail(const AppState& state, const decoders::AppScratch& scratch) {
  if (scratch.pool == nullptr || state.detail == decoders::kNoDetail) return;
  // The detail's first lines (kind, counters, the sets_used mask) and its SMB1 command table; the
  // string sets and the SMB2 table are read only when the mask says they hold something (an SMB2
  // session for the table), so they are not asked for.
  if (state.kind == AppKind::kSmb) {
    if (const auto* d = scratch.pool->Peek<decoders::SmbDetail>(state.detail)) {
      for (const void* p : {static_cast<const void*>(d), static_cast<const void*>(&d->smb1_commands),
                            static_cast<const void*>(&d->smb1_commands.counts.back())}) {
        Prefetch(p);
      }
    }
  } else if (state.kind == AppKind::kNbns) {
    // The counters and the opcode table (read whole), and the head of the names set.
    if (const auto* d = scratch.pool->Peek<decoders::NbnsDetail>(state.detail)) {
      for (const void* p : {static_cast<const void*>(d), static_cast<const void*>(&d->nbns_opcodes),
                            static_cast<const void*>(&d->nbns_names)}) {
        Prefetch(p);
      }
    }
  } else if (state.kind == AppKind::kNbds) {
    // The mask with the source names' head, and the destination names' head: every datagram
    // that names anyone names its destination.
    if (const auto* d = scratch.pool->Peek<decoders::NbdsDetail>(state.detail)) {
      Prefetch(d);
      Prefetch(&d->nbds_destination_names);
    }
  } else if (state.kind == AppKind::kIcmp) {
    if (const auto* d = scratch.pool->Peek<decoders::IcmpDetail>(state.detail)) Prefetch(d);
  }
}

}  // namespace

size_t FormatMacTo(const std::array<uint8_t, 6>& mac, char* buf) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i) buf[3 * i - 1] = ':';
    buf[3 * i] = kHex[mac[i] >> 4];
    buf[3 * i + 1] = kHex[mac[i] & 0xF];
  }
  return 3 * mac.size() - 1;
}

std::string FormatMac(const std::array<uint8_t, 6>& mac) {
  char buf[17];
  return std::string(buf, FormatMacTo(mac, buf));
}

void PrefetchAppRecord(const AppState& state, const decoders::AppScratch& scratch) {
  const std::span<const uint8_t> chunk = FirstBytesChunk(state, scratch);
  const size_t per_dir_bytes = chunk.size() / 2;
  for (int dir = 0; dir < 2; ++dir) {
    if (state.first_len[dir] == 0 || per_dir_bytes == 0) continue;
    const uint8_t* p = chunk.data() + dir * per_dir_bytes;
    Prefetch(p);
    Prefetch(p + std::min<size_t>(state.first_len[dir], per_dir_bytes) - 1);
  }
  PrefetchDetail(state, scratch);
}

void EncodeAppRecord(const AppState& state, const decoders::AppScratch& scratch,
                     WireWriter& out) {
  PrefetchAppRecord(state, scratch);  // cheap when the caller already did it (lines in cache)

  out.VarintField(kBareAck, state.bare_ack() ? 1 : 0);
  out.VarintField(kSrcBareAckPkts, state.bare_ack_pkts[0]);
  out.VarintField(kDstBareAckPkts, state.bare_ack_pkts[1]);

  // First payload bytes: the flow's chunk holds [src | dst], each first_bytes long.
  const std::span<const uint8_t> chunk = FirstBytesChunk(state, scratch);
  const size_t per_dir = chunk.size() / 2;
  std::span<const uint8_t> first[2];
  for (int dir = 0; dir < 2; ++dir) {
    const size_t n = std::min<size_t>(state.first_len[dir], per_dir);
    first[dir] = chunk.subspan(dir * per_dir, n);
  }
  const auto as_view = [](std::span<const uint8_t> b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  out.BytesField(kSrcFirstBytes, as_view(first[0]));
  out.BytesField(kDstFirstBytes, as_view(first[1]));

  if (scratch.signatures != nullptr && state.label_mask != 0) {
    const auto& rules = scratch.signatures->rules;
    for (size_t i = 0; i < rules.size() && i < 32; ++i) {
      if (!(state.label_mask & (1u << i))) continue;
      const std::string_view label = scratch.signatures->Label(i);
      if (!label.empty()) {
        out.RepeatedString(kPayloadLabels, label);
      } else {  // "name: hint"
        thread_local std::string text;
        text.assign(rules[i].name).append(": ").append(rules[i].hint);
        out.RepeatedString(kPayloadLabels, text);
      }
    }
  }

  // HTTP request line: the initiator's first bytes, else the responder's (a bare-ACK flow's
  // "initiator" is only the first sender we saw).
  for (int dir = 0; dir < 2; ++dir) {
    decoders::HttpRequestLine line;
    if (decoders::ParseHttpRequestLine(first[dir], line)) {
      out.StringField(kHttpMethod, line.method);
      out.StringField(kHttpUri, line.uri);
      break;
    }
  }

  // The pooled details were cold; their prefetches have been under way since the top.
  if (scratch.pool != nullptr) {
    if (state.kind == AppKind::kSmb) {
      if (const auto* d = scratch.pool->Get<decoders::SmbDetail>(state.detail)) EncodeSmb(*d, out);
    } else if (state.kind == AppKind::kNbns) {
      if (const auto* d = scratch.pool->Get<decoders::NbnsDetail>(state.detail)) {
        EncodeNetbios(*d, out);
      }
    } else if (state.kind == AppKind::kNbds) {
      if (const auto* d = scratch.pool->Get<decoders::NbdsDetail>(state.detail)) {
        EncodeNetbios(*d, out);
      }
    }
  }
  EncodeIcmp(state, scratch, out);
}

void FillAppRecord(const AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec) {
  WireWriter bytes;
  EncodeAppRecord(state, scratch, bytes);
  // Merging replaces the scalars the bytes carry; a false/0 one is absent from them.
  rec.clear_bare_ack();
  rec.clear_src_bare_ack_pkts();
  rec.clear_dst_bare_ack_pkts();
  (void)rec.MergeFromString(
      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace tapwatch::sensor
