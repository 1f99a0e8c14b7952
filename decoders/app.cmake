# Application decoders: SMB over NBSS / direct TCP, NBNS, NBDS, ICMP fingerprints,
# payload signatures, HTTP request line, and the per-flow AppState + AppDetailPool.
list(APPEND TAPWATCH_DECODER_SOURCES
  app_state.cc
  netbios_name.cc
  nbss.cc
  smb.cc
  nbns.cc
  nbds.cc
  icmp_fingerprint.cc
  payload_signature.cc
  signature_text.cc
  http_request.cc)
# One folder per protocol, each with its own .cmake (docs/adding-a-protocol.md).
include(${CMAKE_CURRENT_LIST_DIR}/dns/dns.cmake)

# The signature tables are data files read at start-up; their default contents are also embedded
# so the sensor works without the installed files.
set(_tw_payload_tsv ${PROJECT_SOURCE_DIR}/data/payload_signatures.tsv)
set(_tw_icmp_tsv ${PROJECT_SOURCE_DIR}/data/icmp_fingerprints.tsv)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_tw_payload_tsv} ${_tw_icmp_tsv})
file(READ ${_tw_payload_tsv} TAPWATCH_PAYLOAD_SIGNATURES_TSV)
file(READ ${_tw_icmp_tsv} TAPWATCH_ICMP_FINGERPRINTS_TSV)
configure_file(${CMAKE_CURRENT_LIST_DIR}/default_tables.cc.in
               ${CMAKE_CURRENT_BINARY_DIR}/generated/default_tables.cc @ONLY)
list(APPEND TAPWATCH_DECODER_SOURCES ${CMAKE_CURRENT_BINARY_DIR}/generated/default_tables.cc)
install(FILES ${_tw_payload_tsv} ${_tw_icmp_tsv} DESTINATION share/tapwatch)
