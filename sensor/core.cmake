list(APPEND TAPWATCH_SENSOR_SOURCES
  options.cc
  pcap_source.cc
  publisher.cc
)
