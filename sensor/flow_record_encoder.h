#pragma once
// Encodes an exported flow-table entry as FlowRecord wire bytes (proto/tapwatch.proto), straight
// from the Flow (and its application state), fields in number order, proto3 defaults omitted as
// libprotobuf omits them: the single definition of what a flow record contains. Allocates
// nothing once the writer has grown. Parsed by libprotobuf, the bytes give the message the
// sensor publishes (BuildFlowRecord is that parse, for callers that want a message).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoders/app_state.h"
#include "flowtable/flow.h"
#include "sensor/wire_writer.h"

namespace tapwatch::sensor {

struct FlowRecordSource {
  const flowtable::Flow* flow = nullptr;
  flowtable::EndReason why = flowtable::EndReason::kIdle;
  bool interim = false;
  std::string_view sensor_id;
  const std::vector<std::string>* labels = nullptr;  // log label id -> text (index 0 unused)
  std::string_view in_iface;                         // log source interfaces; empty: none
  std::string_view out_iface;
  // Application fields from flow->app (see app_record.h); nullptr: the app decoders are off and
  // only the flow table's bare-ACK fields are written.
  const decoders::AppScratch* app = nullptr;
  // Community ID seed; nullopt leaves the field out (the pre-Community-ID oracle's tests).
  std::optional<uint16_t> community_id_seed;
};

/// Appends the FlowRecord's fields (the message body, no tag or length of its own) to `out`.
void EncodeFlowRecord(const FlowRecordSource& source, WireWriter& out);

}  // namespace tapwatch::sensor
