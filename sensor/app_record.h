#pragma once
// Export of the application-layer flow state (decoders::AppState and its pooled details) into the
// application FlowRecord fields: bare_ack .. http_uri, SmbSummary, NetbiosSummary, IcmpSummary,
// encoded as wire bytes (EncodeAppRecord, the definition) or merged into a message (FillAppRecord).

#include "decoders/app_state.h"
#include "sensor/wire_writer.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {

/// Key used in the bounded maps for "every other key" once the first K distinct keys are taken:
/// smb1_commands (codes are 0..255) and ip_length_histogram (an IP total length is never 0).
inline constexpr uint32_t kSmb1OtherCommandsKey = 0x100;
inline constexpr uint32_t kSmb2OtherCommandsKey = 0x10000;
inline constexpr uint32_t kIcmpOtherLengthsKey = 0;

/// Appends the application fields (FlowRecord fields 43..53, in number order) of `state` to
/// `out`. `scratch` gives the detail pool, the signature tables (for rule names and hints) and
/// the first-bytes pool, as passed to UpdateAppState. Fields with nothing to say are omitted.
/// Allocates nothing once `out` has grown. Call before decoders::ReleaseAppState.
void EncodeAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                     WireWriter& out);

/// The same fields merged into `rec` (through EncodeAppRecord's bytes; allocates: for tests and
/// tools, not the export path).
void FillAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec);

/// Starts loading the cache lines EncodeAppRecord will read (first bytes, pooled details), which
/// have been cold since the flow's last packet. Call it with the same arguments as EncodeAppRecord,
/// as early as possible before it (e.g. before building the rest of the record) so the misses
/// overlap with other work. Reads nothing itself; never faults.
void PrefetchAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch);

/// "aa:bb:cc:dd:ee:ff" into `buf` (17 bytes); returns 17.
size_t FormatMacTo(const std::array<uint8_t, 6>& mac, char* buf);
/// "aa:bb:cc:dd:ee:ff".
std::string FormatMac(const std::array<uint8_t, 6>& mac);

}  // namespace tapwatch::sensor
