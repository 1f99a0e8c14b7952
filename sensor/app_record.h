#pragma once
// Export of the application-layer flow state (decoders::AppState and its pooled details) into the
// application FlowRecord fields: bare_ack .. http_uri, the detail summaries, IcmpSummary,
// encoded as wire bytes (EncodeAppRecord, the definition) or merged into a message (FillAppRecord).

#include "decoders/app_state.h"
#include "sensor/wire_writer.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {

/// Key used in the bounded maps for "every other key" once the first K distinct keys are taken:
/// smb1_commands (codes are 0..255, decoders/smb_record.h) and ip_length_histogram (an IP total
/// length is never 0).
using decoders::kSmb1OtherCommandsKey;
using decoders::kSmb2OtherCommandsKey;
inline constexpr uint32_t kIcmpOtherLengthsKey = 0;

/// Summaries whose FlowRecord field was added after community_id (57) are written after it, so
/// the record stays in field-number order (EncodeDetailSummary).
inline constexpr uint32_t kFirstLateSummaryField = proto::FlowRecord::kCommunityIdFieldNumber + 1;

/// Appends the application fields (FlowRecord fields bare_ack .. icmp, in number order) of
/// `state` to `out`; the detail summaries numbered later come from EncodeDetailSummary. `scratch` gives the detail pool, the signature tables (for rule names and hints) and
/// the first-bytes pool, as passed to UpdateAppState. Fields with nothing to say are omitted.
/// Allocates nothing once `out` has grown. Call before decoders::ReleaseAppState.
void EncodeAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                     WireWriter& out);

/// The flow's detail summary (its type's EncodeRecord, decoders/app_protocols.h) when its
/// FlowRecord field number lies in [first_field, last_field]; nothing otherwise.
void EncodeDetailSummary(const decoders::AppState& state, const decoders::AppScratch& scratch,
                         uint32_t first_field, uint32_t last_field, WireWriter& out);

/// The same fields, late summaries included, merged into `rec` (through EncodeAppRecord's bytes; allocates: for tests and
/// tools, not the export path).
void FillAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec);

/// Starts loading the cache lines EncodeAppRecord will read (first bytes, pooled details), which
/// have been cold since the flow's last packet. Call it with the same arguments as EncodeAppRecord,
/// as early as possible before it (e.g. before building the rest of the record) so the misses
/// overlap with other work. Reads nothing itself; never faults.
void PrefetchAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch);

using decoders::FormatMacTo;
/// "aa:bb:cc:dd:ee:ff".
std::string FormatMac(const std::array<uint8_t, 6>& mac);

}  // namespace tapwatch::sensor
