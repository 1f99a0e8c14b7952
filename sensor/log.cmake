# Firewall logs as a packet source: netfilter/UFW/ulogd and ipchains lines -> frames.
list(APPEND TAPWATCH_SENSOR_SOURCES
     log_text.cc
     log_syslog_time.cc
     log_netfilter_parser.cc
     log_ipchains_parser.cc
     log_line_parser.cc
     log_frame_builder.cc
     log_source.cc
     log_pcap_writer.cc
     log_prefetcher.cc)

# The same sources as a small library of their own, so the log tests and the benchmark build and
# link without the rest of sensor_core (pcap capture, publisher) being finished.
add_library(tapwatch_log STATIC
            log_text.cc log_syslog_time.cc log_netfilter_parser.cc log_ipchains_parser.cc
            log_line_parser.cc log_frame_builder.cc log_source.cc log_pcap_writer.cc
            log_prefetcher.cc)
target_include_directories(tapwatch_log PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_features(tapwatch_log PUBLIC cxx_std_20)
target_link_libraries(tapwatch_log PUBLIC ZLIB::ZLIB Threads::Threads PRIVATE tapwatch_warnings)
