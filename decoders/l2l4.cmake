# Link, network and transport layer decoders. Explicit list, no GLOB.
list(APPEND TAPWATCH_DECODER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decode_frame.cc
  ${CMAKE_CURRENT_LIST_DIR}/ethernet.cc
  ${CMAKE_CURRENT_LIST_DIR}/vlan.cc
  ${CMAKE_CURRENT_LIST_DIR}/linux_sll.cc
  ${CMAKE_CURRENT_LIST_DIR}/null_loopback.cc
  ${CMAKE_CURRENT_LIST_DIR}/ipv4.cc
  ${CMAKE_CURRENT_LIST_DIR}/ipv6.cc
  ${CMAKE_CURRENT_LIST_DIR}/transport.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp.cc
  ${CMAKE_CURRENT_LIST_DIR}/udp.cc
  ${CMAKE_CURRENT_LIST_DIR}/sctp.cc
  ${CMAKE_CURRENT_LIST_DIR}/icmp.cc
)
