# Application-layer fields of the flow record (issue 3): AppState -> proto::FlowRecord.
list(APPEND TAPWATCH_SENSOR_SOURCES app_record.cc)
