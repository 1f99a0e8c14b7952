#pragma once
// The pre-encoder message builders (BuildFlowRecord + FillAppRecord as of git b4d1818), kept
// only as the oracle of flow_record_encoder_test.

#include <string>
#include <string_view>
#include <vector>

#include "decoders/app_state.h"
#include "flowtable/flow.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor::legacy {

void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out);

void FillAppRecord(const decoders::AppState& state, const decoders::AppScratch& scratch,
                   proto::FlowRecord& rec);

}  // namespace tapwatch::sensor::legacy
