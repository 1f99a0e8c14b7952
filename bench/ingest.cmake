# collector_ingest: publishes N synthetic flow envelopes over tcp://127.0.0.1 to the real
# tapwatch-collector binary and reports flows/s and the collector's peak RSS.
if(TARGET tapwatch-collector)
  add_executable(collector_ingest ${CMAKE_CURRENT_SOURCE_DIR}/collector_ingest.cc)
  target_link_libraries(collector_ingest PRIVATE tapwatch_proto PkgConfig::ZMQ SQLite::SQLite3
                        tapwatch_warnings)
  target_compile_definitions(collector_ingest PRIVATE
                             TAPWATCH_COLLECTOR_PATH="$<TARGET_FILE:tapwatch-collector>")
  add_dependencies(collector_ingest tapwatch-collector)
endif()
