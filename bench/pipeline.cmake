# Pipeline benchmark helpers (bench/pipeline_bench.sh runs them).
add_executable(pcap_read_loop ${CMAKE_CURRENT_SOURCE_DIR}/pcap_read_loop.cc)
target_link_libraries(pcap_read_loop PRIVATE tapwatch_sensor_core PkgConfig::PCAP)
add_executable(zmq_count_sub ${CMAKE_CURRENT_SOURCE_DIR}/zmq_count_sub.cc)
target_link_libraries(zmq_count_sub PRIVATE tapwatch_proto PkgConfig::ZMQ)
add_executable(export_bench ${CMAKE_CURRENT_SOURCE_DIR}/export_bench.cc)
target_link_libraries(export_bench PRIVATE tapwatch_sensor_core)
