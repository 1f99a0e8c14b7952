#pragma once
// DnsDetail -> the flow record's `dns` summary (proto DnsSummary), field numbers from the
// generated code.

#include <cstdint>

#include "decoders/dns/dns.h"
#include "decoders/record_fields.h"

namespace tapwatch::decoders {

/// Key of "every other type" in query_types (QTYPEs are 0..65535).
inline constexpr uint32_t kDnsOtherTypesKey = 0x10000;

template <typename Record, typename Writer>
void DnsDetail::EncodeRecord(Writer& out) const {
  using S = TAPWATCH_SUMMARY_TYPE(Record, dns);
  const size_t mark = out.BeginNested(RecordField<Record>());
  out.VarintField(S::kQueriesFieldNumber, queries);
  out.VarintField(S::kResponsesFieldNumber, responses);
  WriteSet(S::kQueryNamesFieldNumber, query_names, sets_used, out);
  WriteCounter(S::kQueryTypesFieldNumber, query_types, kDnsOtherTypesKey, out);
  WriteIndexCounts(S::kRcodesFieldNumber, rcodes, out);
  WriteSet(S::kAnswersFieldNumber, answers, sets_used, out);
  out.VarintField(S::kAnswerRecordsFieldNumber, answer_records);
  out.VarintField(S::kNamesDroppedFieldNumber,
                  query_names.Dropped(sets_used) + answers.Dropped(sets_used));
  out.VarintField(S::kMalformedFieldNumber, malformed);
  out.VarintField(S::kTcpSegmentsSkippedFieldNumber, tcp_segments_skipped);
  out.EndNested(mark);
}

}  // namespace tapwatch::decoders
