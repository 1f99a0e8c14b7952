#pragma once
// Hand-built packets and a recording export sink for the flow-table tests.

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "decoders/packet.h"
#include "flowtable/flow.h"
#include "flowtable/flow_table.h"

namespace tapwatch::flowtable::testing {

using decoders::DecodedPacket;
using decoders::IpAddress;

inline constexpr uint64_t kSec = 1'000'000'000;

inline IpAddress Addr(const char* text) {
  IpAddress a;
  if (std::strchr(text, ':') != nullptr) {
    a.family = 6;
    inet_pton(AF_INET6, text, a.bytes.data());
  } else {
    a.family = 4;
    inet_pton(AF_INET, text, a.bytes.data());
  }
  return a;
}

inline std::string AddrText(const IpAddress& a) {
  char buf[64] = {};
  inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof(buf));
  return buf;
}

inline DecodedPacket Ip(const char* src, const char* dst, uint8_t proto, uint64_t ts_ns,
                        uint16_t ip_total_len = 40) {
  DecodedPacket p;
  p.ts_ns = ts_ns;
  p.src = Addr(src);
  p.dst = Addr(dst);
  p.ip_version = p.src.family;
  p.ip_proto = proto;
  p.ip_total_len = ip_total_len;
  p.wire_len = ip_total_len + 14u;
  p.cap_len = p.wire_len;
  p.ttl = 64;
  return p;
}

inline DecodedPacket Tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                         uint8_t flags, uint64_t ts_ns, uint32_t payload = 0, uint32_t seq = 1000) {
  DecodedPacket p = Ip(src, dst, decoders::kIpProtoTcp, ts_ns, static_cast<uint16_t>(40 + payload));
  p.has_l4 = true;
  p.src_port = sport;
  p.dst_port = dport;
  p.tcp_flags = flags;
  p.tcp_seq = seq;
  p.l4_payload_wire_len = payload;
  return p;
}

inline DecodedPacket Udp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                         uint64_t ts_ns, uint32_t payload = 20) {
  DecodedPacket p = Ip(src, dst, decoders::kIpProtoUdp, ts_ns, static_cast<uint16_t>(28 + payload));
  p.has_l4 = true;
  p.src_port = sport;
  p.dst_port = dport;
  p.l4_payload_wire_len = payload;
  return p;
}

inline DecodedPacket Icmp(const char* src, const char* dst, uint8_t type, uint8_t code, uint16_t id,
                          uint64_t ts_ns, uint32_t payload = 32) {
  const bool v6 = std::strchr(src, ':') != nullptr;
  DecodedPacket p = Ip(src, dst, v6 ? decoders::kIpProtoIcmpv6 : decoders::kIpProtoIcmp, ts_ns,
                       static_cast<uint16_t>((v6 ? 48 : 28) + payload));
  p.has_l4 = true;
  p.icmp_type = type;
  p.icmp_code = code;
  p.icmp_id = id;
  p.l4_payload_wire_len = payload;
  return p;
}

/// What a sink sees of one exported record, copied during Export().
struct Rec {
  uint64_t flow_id = 0;
  uint32_t slot = 0;
  EndReason why = EndReason::kIdle;
  bool interim = false;
  uint16_t record_seq = 0;
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
  DirStats d0, d1;
  uint64_t first_ns = 0, last_ns = 0;
  std::string conn_state, history, argus_state, argus_flags, direction;
  Flow flow;
};

class RecordingSink : public ExportSink {
 public:
  explicit RecordingSink(const FlowTable* table = nullptr) : table_(table) {}
  void Export(const Flow& f, EndReason why, bool interim) override {
    Rec r;
    r.flow_id = f.flow_id;
    if (table_ != nullptr) r.slot = table_->SlotIndex(f);
    r.why = why;
    r.interim = interim;
    r.record_seq = f.record_seq;
    r.src = AddrText(SrcAddr(f));
    r.dst = AddrText(DstAddr(f));
    r.sport = SrcPort(f);
    r.dport = DstPort(f);
    r.proto = f.key.ip_proto;
    r.d0 = f.dir[0];
    r.d1 = f.dir[1];
    r.first_ns = f.first_ns;
    r.last_ns = f.last_ns;
    r.conn_state = std::string(ConnState(f));
    r.history = std::string(HistoryView(f));
    r.argus_state = std::string(ArgusState(f, why));
    char flags[kArgusFlagsTextBytes];
    r.argus_flags.assign(flags, FormatArgusFlags(f, flags));
    r.direction = std::string(DirectionConfidenceName(f.direction));
    r.flow = f;
    records.push_back(r);
  }
  void set_table(const FlowTable* t) { table_ = t; }
  std::vector<Rec> records;

 private:
  const FlowTable* table_;
};

}  // namespace tapwatch::flowtable::testing
