# flowtable sources (owned by the flow-table work).
list(APPEND TAPWATCH_FLOWTABLE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/flow_state.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_table.cc)
