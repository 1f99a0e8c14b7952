# Application-layer fields of the flow record: AppState -> proto::FlowRecord.
list(APPEND TAPWATCH_SENSOR_SOURCES app_record.cc)
