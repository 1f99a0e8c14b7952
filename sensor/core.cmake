list(APPEND TAPWATCH_SENSOR_SOURCES
  options.cc
  pcap_file_reader.cc
  pcap_source.cc
  pcap_merge.cc
  pipeline.cc
  publisher.cc
  replay_buffer.cc
  resend_server.cc
  wire_json.cc
  record_builder.cc
  flow_record_encoder.cc
  community_id.cc
  privileges.cc
)
