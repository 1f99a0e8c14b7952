#include "sensor/app_record.h"

#include <string>
#include <type_traits>

#include "decoders/http_request.h"

namespace tapwatch::sensor {
namespace {

using decoders::AppState;

using Record = proto::FlowRecord;
using IcmpFields = proto::IcmpSummary;

void EncodeIcmp(const AppState& state, const decoders::AppScratch& scratch, WireWriter& out) {
  const bool icmp_flow = state.kind == decoders::kAppKind<decoders::IcmpDetail>;
  if (!icmp_flow && state.errors_quoted == 0) return;
  const size_t mark = out.BeginNested(Record::kIcmpFieldNumber);
  out.VarintField(IcmpFields::kEchoRequestsFieldNumber, state.echo_requests);
  out.VarintField(IcmpFields::kEchoRepliesFieldNumber, state.echo_replies);
  if (scratch.pool != nullptr) {
    if (const auto* d = scratch.pool->Get<decoders::IcmpDetail>(state.detail)) {
      decoders::WriteCounter(IcmpFields::kIpLengthHistogramFieldNumber, d->ip_lengths,
                             kIcmpOtherLengthsKey, out);
    }
  }
  if (scratch.icmp_fingerprints != nullptr &&
      state.icmp_rule < scratch.icmp_fingerprints->rules.size()) {
    const auto& rule = scratch.icmp_fingerprints->rules[state.icmp_rule];
    out.StringField(IcmpFields::kFingerprintFieldNumber, rule.name);
    // "<description> (<hint>)": the table is a data file, so the text goes through StringField.
    thread_local std::string text;
    text.assign(rule.description).append(" (").append(rule.hint).append(")");
    out.StringField(IcmpFields::kFingerprintRuleFieldNumber, text);
  }
  out.VarintField(IcmpFields::kTtl1ProbesFieldNumber, state.ttl1_probes);
  out.VarintField(IcmpFields::kErrorsQuotedFieldNumber, state.errors_quoted);
  // The first two distinct error types; further ones are only counted in errors_quoted.
  for (size_t i = 0; i < state.error_type_codes.size(); ++i) {
    if (state.error_type_counts[i]) {
      out.MapEntry(IcmpFields::kErrorTypesFieldNumber, state.error_type_codes[i],
                   state.error_type_counts[i]);
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
  scratch.pool->VisitUnchecked(state.detail, [](const auto& d) { d.PrefetchForExport(); });
}

template <typename T>
concept HasRecord = requires(const T& d, WireWriter& out) { d.template EncodeRecord<Record>(out); };

}  // namespace

std::string FormatMac(const std::array<uint8_t, 6>& mac) {
  char buf[17];
  return std::string(buf, decoders::FormatMacTo(mac, buf));
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

  out.VarintField(Record::kBareAckFieldNumber, state.bare_ack() ? 1 : 0);
  out.VarintField(Record::kSrcBareAckPktsFieldNumber, state.bare_ack_pkts[0]);
  out.VarintField(Record::kDstBareAckPktsFieldNumber, state.bare_ack_pkts[1]);

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
  out.BytesField(Record::kSrcFirstBytesFieldNumber, as_view(first[0]));
  out.BytesField(Record::kDstFirstBytesFieldNumber, as_view(first[1]));

  if (scratch.signatures != nullptr && state.label_mask != 0) {
    const auto& rules = scratch.signatures->rules;
    for (size_t i = 0; i < rules.size() && i < 32; ++i) {
      if (!(state.label_mask & (1u << i))) continue;
      const std::string_view label = scratch.signatures->Label(i);
      if (!label.empty()) {
        out.RepeatedString(Record::kPayloadLabelsFieldNumber, label);
      } else {  // "name: hint"
        thread_local std::string text;
        text.assign(rules[i].name).append(": ").append(rules[i].hint);
        out.RepeatedString(Record::kPayloadLabelsFieldNumber, text);
      }
    }
  }

  // HTTP request line: the initiator's first bytes, else the responder's (a bare-ACK flow's
  // "initiator" is only the first sender we saw).
  for (int dir = 0; dir < 2; ++dir) {
    decoders::HttpRequestLine line;
    if (decoders::ParseHttpRequestLine(first[dir], line)) {
      out.StringField(Record::kHttpMethodFieldNumber, line.method);
      out.StringField(Record::kHttpUriFieldNumber, line.uri);
      break;
    }
  }

  // The pooled details were cold; their prefetches have been under way since the top.
  EncodeDetailSummary(state, scratch, Record::kSmbFieldNumber, Record::kIcmpFieldNumber - 1, out);
  EncodeIcmp(state, scratch, out);
}

void EncodeDetailSummary(const AppState& state, const decoders::AppScratch& scratch,
                         uint32_t first_field, uint32_t last_field, WireWriter& out) {
  if (scratch.pool == nullptr) return;
  scratch.pool->Visit(state.detail, [&](const auto& d) {
    using T = std::remove_cvref_t<decltype(d)>;
    if constexpr (HasRecord<T>) {
      constexpr uint32_t field = T::template RecordField<Record>();
      if (field >= first_field && field <= last_field) d.template EncodeRecord<Record>(out);
    }
  });
}

void FillAppRecord(const AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec) {
  WireWriter bytes;
  EncodeAppRecord(state, scratch, bytes);
  EncodeDetailSummary(state, scratch, kFirstLateSummaryField, UINT32_MAX, bytes);
  // Merging replaces the scalars the bytes carry; a false/0 one is absent from them.
  rec.clear_bare_ack();
  rec.clear_src_bare_ack_pkts();
  rec.clear_dst_bare_ack_pkts();
  (void)rec.MergeFromString(
      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace tapwatch::sensor
