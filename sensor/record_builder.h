#pragma once
// Turns an exported flow-table entry into the wire FlowRecord. Runs once per exported record, not
// per packet, so it may format strings.

#include <string>
#include <string_view>
#include <vector>

#include "flowtable/flow.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {

/// Renders an address as text ("192.0.2.1", "2001:db8::1").
std::string FormatAddress(const decoders::IpAddress& a);
/// "00:11:22:33:44:55"; all-zero MACs (no link layer, e.g. log lines without MAC=) render empty.
std::string FormatLinkMac(const std::array<uint8_t, 6>& mac);

/// Fills the flow-level fields of `out` from `flow` (not the application-layer ones).
/// `labels` maps a log label id to its text (index 0 unused).
void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out);

}  // namespace tapwatch::sensor
