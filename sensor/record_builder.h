#pragma once
// Text renderings of the flow record (addresses, MACs), and the flow record as a protobuf message
// for tests and tools: BuildFlowRecord parses what EncodeFlowRecord (flow_record_encoder.h, the
// export path) writes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flowtable/flow.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {

/// Room FormatAddressTo() needs (INET6_ADDRSTRLEN).
inline constexpr size_t kAddressTextBytes = 46;
/// Renders an address as text ("192.0.2.1", "2001:db8::1") into `buf`; returns its length.
size_t FormatAddressTo(const decoders::IpAddress& a, char* buf);
/// Same, as a string.
std::string FormatAddress(const decoders::IpAddress& a);
/// Room FormatLinkMacTo() needs.
inline constexpr size_t kMacTextBytes = 17;
/// "00:11:22:33:44:55" into `buf`; returns its length: 0 for an all-zero MAC (no link layer, e.g.
/// log lines without MAC=), which renders empty.
size_t FormatLinkMacTo(const std::array<uint8_t, 6>& mac, char* buf);
/// Same, as a string.
std::string FormatLinkMac(const std::array<uint8_t, 6>& mac);

/// Sets `out` to the flow-level fields of `flow` (not the application-layer ones, nor the log
/// interfaces): EncodeFlowRecord's bytes, parsed.
/// `labels` maps a log label id to its text (index 0 unused).
void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out, uint16_t community_id_seed = 0);

}  // namespace tapwatch::sensor
