# collector_ingest: publishes N synthetic flow envelopes over tcp://127.0.0.1 to the real
# tapwatch-collector binary and reports flows/s and the collector's peak RSS.
# sqlite_floor: the same rows inserted straight into SQLite (the floor), then through Store.
add_executable(collector_ingest ${CMAKE_CURRENT_SOURCE_DIR}/collector_ingest.cc)
target_include_directories(collector_ingest PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(collector_ingest PRIVATE tapwatch_proto PkgConfig::ZMQ SQLite::SQLite3
                      tapwatch_warnings)
target_compile_definitions(collector_ingest PRIVATE
                           TAPWATCH_COLLECTOR_PATH="$<TARGET_FILE:tapwatch-collector>")
add_dependencies(collector_ingest tapwatch-collector)

add_executable(sqlite_floor ${CMAKE_CURRENT_SOURCE_DIR}/sqlite_floor.cc)
target_include_directories(sqlite_floor PRIVATE ${PROJECT_BINARY_DIR})
target_link_libraries(sqlite_floor PRIVATE tapwatch_collector_core SQLite::SQLite3
                      tapwatch_warnings)
