#pragma once
// SmbDetail -> the flow record's `smb` summary (proto SmbSummary), field numbers from the
// generated code.

#include <cstdint>

#include "decoders/app_detail.h"
#include "decoders/record_fields.h"

namespace tapwatch::decoders {

/// Keys of "every other command" in the bounded command maps (SMB1 codes are 0..255, SMB2
/// commands 0..0x12).
inline constexpr uint32_t kSmb1OtherCommandsKey = 0x100;
inline constexpr uint32_t kSmb2OtherCommandsKey = 0x10000;

template <typename Record, typename Writer>
void SmbDetail::EncodeRecord(Writer& out) const {
  using S = TAPWATCH_SUMMARY_TYPE(Record, smb);
  const size_t mark = out.BeginNested(RecordField<Record>());
  out.VarintField(S::kVersionFieldNumber, version);
  WriteCounter(S::kSmb1CommandsFieldNumber, smb1_commands, kSmb1OtherCommandsKey, out);
  WriteIndexCounts(S::kSmb2CommandsFieldNumber, smb2_commands.Counts(sets_used), out);
  if (smb2_other_commands) {
    out.MapEntry(S::kSmb2CommandsFieldNumber, kSmb2OtherCommandsKey, smb2_other_commands);
  }
  out.VarintField(S::kFailedResponsesFieldNumber, failed_responses);
  out.VarintField(S::kFirstErrorStatusFieldNumber, first_error_status);
  WriteSet(S::kDialectsFieldNumber, dialects, sets_used, out);
  WriteSet(S::kTreePathsFieldNumber, tree_paths, sets_used, out);
  WriteSet(S::kPipesFieldNumber, pipes, sets_used, out);
  out.VarintField(S::kSmb2DialectFieldNumber, smb2_dialect);
  WriteSet(S::kNbssCalledNamesFieldNumber, nbss_called, sets_used, out);
  WriteSet(S::kNbssCallingNamesFieldNumber, nbss_calling, sets_used, out);
  // NBSS message types are 0x00..0xff: no "other" key is ever written (6 distinct types exist).
  for (uint8_t i = 0; i < nbss_types.size; ++i) {
    out.MapEntry(S::kNbssTypesFieldNumber, nbss_types.keys[i], nbss_types.counts[i]);
  }
  out.VarintField(S::kMessagesFieldNumber, messages);
  out.EndNested(mark);
}

}  // namespace tapwatch::decoders
