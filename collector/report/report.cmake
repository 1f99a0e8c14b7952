# tapwatch-collector report. Included by collector/CMakeLists.txt; appends the
# report sources to TAPWATCH_COLLECTOR_SOURCES. Data files (data/ports.tsv,
# data/reserved_networks.tsv) are read at run time: --data-dir, else the install prefix
# (share/tapwatch), else the source tree's data/ directory embedded here at build time.
include(GNUInstallDirs)
list(APPEND TAPWATCH_COLLECTOR_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/json_value.cc
     ${CMAKE_CURRENT_LIST_DIR}/reference_data.cc
     ${CMAKE_CURRENT_LIST_DIR}/report_builder.cc
     ${CMAKE_CURRENT_LIST_DIR}/report_context.cc
     ${CMAKE_CURRENT_LIST_DIR}/flow_scan.cc
     ${CMAKE_CURRENT_LIST_DIR}/analysis_util.cc
     ${CMAKE_CURRENT_LIST_DIR}/icmp_summary.cc
     ${CMAKE_CURRENT_LIST_DIR}/probe_events.cc
     ${CMAKE_CURRENT_LIST_DIR}/home_inference.cc
     ${CMAKE_CURRENT_LIST_DIR}/render.cc
     ${CMAKE_CURRENT_LIST_DIR}/render_common.cc
     ${CMAKE_CURRENT_LIST_DIR}/render_html.cc
     ${CMAKE_CURRENT_LIST_DIR}/report_command.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/section_list.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/meta.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/hosts.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/open_ports.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/mac_aliases.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/icmp_lengths.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/ports.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/trends.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/recon.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/slow_scans.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/spoofed.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/floods.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/compromise.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/gaps.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/reserved_destinations.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/bare_ack.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/log_lines.cc
     ${CMAKE_CURRENT_LIST_DIR}/sections/threats.cc)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/reference_data.cc PROPERTIES
  COMPILE_DEFINITIONS
  "TAPWATCH_DATA_INSTALL_DIR=\"${CMAKE_INSTALL_FULL_DATADIR}/tapwatch\";TAPWATCH_DATA_SOURCE_DIR=\"${PROJECT_SOURCE_DIR}/data\"")
install(FILES ${PROJECT_SOURCE_DIR}/data/ports.tsv ${PROJECT_SOURCE_DIR}/data/reserved_networks.tsv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/tapwatch)
