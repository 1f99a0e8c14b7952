#pragma once
// Export of the application-layer flow state (decoders::AppState and its pooled details) into the
// FlowRecord fields of issue 3: bare_ack .. http_uri, SmbSummary, NetbiosSummary, IcmpSummary.

#include "decoders/app_state.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {

/// Key used in the bounded maps for "every other key" once the first K distinct keys are taken:
/// smb1_commands (codes are 0..255) and ip_length_histogram (an IP total length is never 0).
inline constexpr uint32_t kSmb1OtherCommandsKey = 0x100;
inline constexpr uint32_t kSmb2OtherCommandsKey = 0x10000;
inline constexpr uint32_t kIcmpOtherLengthsKey = 0;

/// Fills the application fields of `rec` from `state`. `scratch` gives the detail pool, the
/// signature tables (for rule names and hints) and the flow slot's first-bytes arena part, exactly
/// as passed to UpdateAppState. Fields with nothing to say are left unset. Call before
/// decoders::ReleaseAppState.
void FillAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec);

/// Starts loading the cache lines FillAppRecord will read (first bytes, pooled details), which
/// have been cold since the flow's last packet. Call it with the same arguments as FillAppRecord,
/// as early as possible before it (e.g. before building the rest of the record) so the misses
/// overlap with other work. Reads nothing itself; never faults.
void PrefetchAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch);

/// "aa:bb:cc:dd:ee:ff".
std::string FormatMac(const std::array<uint8_t, 6>& mac);

}  // namespace tapwatch::sensor
