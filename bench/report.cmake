# Report benchmark: generates N synthetic flow rows straight into a store and
# times the full `tapwatch-collector report`. See bench/report_bench.cc for the traffic mix.
add_executable(report_bench ${CMAKE_CURRENT_LIST_DIR}/report_bench.cc
               ${PROJECT_SOURCE_DIR}/tests/report/store_builder.cc)
target_link_libraries(report_bench PRIVATE tapwatch_collector_core SQLite::SQLite3 tapwatch_warnings)
target_compile_definitions(report_bench PRIVATE
  TAPWATCH_SCHEMA_SQL="${PROJECT_SOURCE_DIR}/collector/schema.sql"
  TAPWATCH_DATA_DIR="${PROJECT_SOURCE_DIR}/data")
