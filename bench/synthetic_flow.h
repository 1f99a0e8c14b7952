#pragma once
// The synthetic flow records of the ingest benchmarks (collector_ingest over ZeroMQ, sqlite_floor
// from memory): both must store the same rows for their figures to compare.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tapwatch.pb.h"

namespace tapwatch::bench {

inline constexpr uint64_t kStartNs = 1092114948000000000ull;  // 2004-08-10 05:15:48 UTC

inline void FillFlow(uint64_t i, tapwatch::proto::FlowRecord& f) {
  // Realistic field population: a TCP conversation with most scalar fields set, every 100th
  // flow with an anomaly map, every 10th UDP.
  const bool udp = i % 10 == 3;
  f.set_flow_id(i + 1);
  f.set_sensor_id("bench");
  // Address shape: 1,024 internal sources; destinations drawn from 65,536 hosts (a scan-like
  // spread), so the (dst_addr, dst_port) and (src_addr, start_ns) indexes see scattered inserts.
  const uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 32;
  char addr[32];
  std::snprintf(addr, sizeof(addr), "10.1.%u.%u", static_cast<unsigned>((h >> 8) & 3),
                static_cast<unsigned>(h & 255));
  f.set_src_addr(addr);
  std::snprintf(addr, sizeof(addr), "1.11.%u.%u", static_cast<unsigned>((h >> 12) & 255),
                static_cast<unsigned>((h >> 20) & 255));
  f.set_dst_addr(addr);
  f.set_src_port(1024 + static_cast<uint32_t>(i % 60000));
  f.set_dst_port(udp ? 53 : (i % 3 == 0 ? 445 : 80));
  f.set_ip_proto(udp ? 17 : 6);
  f.set_src_mac("00:0c:29:12:34:56");
  f.set_dst_mac("00:50:56:ab:cd:ef");
  f.set_start_ns(kStartNs + i * 1000000);
  f.set_end_ns(kStartNs + i * 1000000 + 250000000);
  f.set_src_pkts(6 + i % 7);
  f.set_dst_pkts(5 + i % 5);
  f.set_src_ip_bytes(700 + i % 1000);
  f.set_dst_ip_bytes(4000 + i % 9000);
  f.set_src_wire_bytes(800 + i % 1000);
  f.set_dst_wire_bytes(4100 + i % 9000);
  f.set_src_payload_bytes(400 + i % 1000);
  f.set_dst_payload_bytes(3600 + i % 9000);
  f.set_src_ttl_min(64);
  f.set_src_ttl_max(64);
  f.set_dst_ttl_min(128);
  f.set_dst_ttl_max(128);
  if (!udp) {
    f.set_src_tcp_flags(0x1b);
    f.set_dst_tcp_flags(0x1b);
    f.set_src_initial_tcp_flags(0x02);
    f.set_dst_initial_tcp_flags(0x12);
    f.set_direction("syn");
    f.set_conn_state("SF");
    f.set_history("ShADadFf");
    f.set_argus_state("FIN");
    f.set_argus_flags("A_RPA");
    f.set_end_reason("tcp-close");
  } else {
    f.set_direction("guess");
    f.set_conn_state("SF");
    f.set_history("Dd");
    f.set_argus_state("CON");
    f.set_end_reason("idle");
  }
  if (i % 100 == 0) (*f.mutable_anomalies())["tcp_bad_checksum"] = 1;
}

/// Envelopes 1..flows (sensor "bench", seq = i + 1) serialized back to back into `all`; `ends`
/// gets the end offset of each.
inline void SerializeSyntheticEnvelopes(uint64_t flows, std::string& all,
                                        std::vector<size_t>& ends) {
  tapwatch::proto::Envelope env;
  std::string wire;
  ends.reserve(ends.size() + flows);
  for (uint64_t i = 0; i < flows; ++i) {
    env.Clear();
    env.set_sensor_id("bench");
    env.set_seq(i + 1);
    env.set_sensor_start_ns(kStartNs);
    FillFlow(i, *env.mutable_flow());
    env.SerializeToString(&wire);
    all += wire;
    ends.push_back(all.size());
  }
}

}  // namespace tapwatch::bench
