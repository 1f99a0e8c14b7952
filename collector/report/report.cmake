# tapwatch-collector report. Included by collector/CMakeLists.txt; appends the
# report sources to TAPWATCH_COLLECTOR_SOURCES. Data files (data/ports.tsv,
# data/reserved_networks.tsv) are read at run time: --data-dir, else the install prefix
# (share/tapwatch), else the source tree's data/ directory embedded here at build time.
include(GNUInstallDirs)
list(APPEND TAPWATCH_COLLECTOR_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/json_value.cc
     ${CMAKE_CURRENT_LIST_DIR}/reference_data.cc
     ${CMAKE_CURRENT_LIST_DIR}/report_builder.cc
     ${CMAKE_CURRENT_LIST_DIR}/home_inference.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/floods.cc
     ${CMAKE_CURRENT_LIST_DIR}/render.cc
     ${CMAKE_CURRENT_LIST_DIR}/report_command.cc)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/reference_data.cc PROPERTIES
  COMPILE_DEFINITIONS
  "TAPWATCH_DATA_INSTALL_DIR=\"${CMAKE_INSTALL_FULL_DATADIR}/tapwatch\";TAPWATCH_DATA_SOURCE_DIR=\"${PROJECT_SOURCE_DIR}/data\"")
install(FILES ${PROJECT_SOURCE_DIR}/data/ports.tsv ${PROJECT_SOURCE_DIR}/data/reserved_networks.tsv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/tapwatch)
