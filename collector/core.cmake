# Collector core (ingest, store, flows command). Included by collector/CMakeLists.txt.
# The store schema is embedded into the binary at build time: schema.sql is read here and written
# into a generated header, so the binary never needs the source tree at run time.
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/schema.sql TAPWATCH_SCHEMA_SQL_TEXT)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_SOURCE_DIR}/schema.sql)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/schema_sql.h.in
               ${PROJECT_BINARY_DIR}/collector/schema_sql.h @ONLY)

list(APPEND TAPWATCH_COLLECTOR_SOURCES
     ${CMAKE_CURRENT_SOURCE_DIR}/flow_columns.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/json_out.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/sequence_tracker.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/record_validation.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/store_check.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/store.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/subscriber.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/gap_requester.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/ingest_command.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/flows_command.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/analyze_command.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/cli_util.cc)
