#pragma once
// NbnsDetail and NbdsDetail -> the flow record's one `netbios` summary (proto NetbiosSummary),
// field numbers from the generated code. A flow has the detail of one service (its kind says
// which) and writes that service's fields only: the other's would all be empty, and an empty
// field writes nothing.

#include <cstdint>

#include "decoders/app_detail.h"
#include "decoders/record_fields.h"

namespace tapwatch::decoders {

template <typename Record, typename Writer>
void NbnsDetail::EncodeRecord(Writer& out) const {
  using S = TAPWATCH_SUMMARY_TYPE(Record, netbios);
  const size_t mark = out.BeginNested(RecordField<Record>());
  WriteIndexCounts(S::kNbnsOpcodesFieldNumber, nbns_opcodes, out);
  WriteSet(S::kNbnsNamesFieldNumber, nbns_names, sets_used, out);
  out.VarintField(S::kNbnsNbQueriesFieldNumber, nb_queries);
  out.VarintField(S::kNbnsNbstatQueriesFieldNumber, nbstat_queries);
  out.VarintField(S::kNbnsBroadcastFieldNumber, broadcast);
  out.VarintField(S::kNbnsResponsesFieldNumber, responses);
  out.VarintField(S::kNbnsErrorResponsesFieldNumber, error_responses);
  WriteSet(S::kNbstatNamesFieldNumber, nbstat_names, sets_used, out);
  if (has_nbstat_mac) {
    char mac[17];
    out.StringField(S::kNbstatMacFieldNumber, {mac, FormatMacTo(nbstat_mac, mac)});
  }
  out.EndNested(mark);
}

template <typename Record, typename Writer>
void NbdsDetail::EncodeRecord(Writer& out) const {
  using S = TAPWATCH_SUMMARY_TYPE(Record, netbios);
  const size_t mark = out.BeginNested(RecordField<Record>());
  WriteSet(S::kNbdsSourceNamesFieldNumber, nbds_source_names, sets_used, out);
  WriteSet(S::kNbdsDestinationNamesFieldNumber, nbds_destination_names, sets_used, out);
  WriteSet(S::kBrowserHostsFieldNumber, browser_hosts, sets_used, out);
  WriteSet(S::kBrowserOsFieldNumber, browser_os, sets_used, out);
  out.EndNested(mark);
}

}  // namespace tapwatch::decoders
