// Fuzz target: a sequence of flow-table operations. Each 7-byte chunk is one operation (packet of
// some protocol / fragment / ICMP error, or a clock advance); invariants are checked after each:
// capacity never exceeded, created == exported + active, every exported flow was in use, and
// after the final flush the table is empty with every packet in exactly one record.

#include <cstdint>
#include <cstdlib>

#include "decoders/packet.h"
#include "flowtable/flow_table.h"

namespace {

using tapwatch::decoders::DecodedPacket;
using tapwatch::decoders::IpAddress;
namespace ft = tapwatch::flowtable;

void Check(bool ok) {
  if (!ok) std::abort();
}

class Sink : public ft::ExportSink {
 public:
  void Export(const ft::Flow& f, ft::EndReason why, bool interim) override {
    Check(f.in_use());
    Check(interim == (why == ft::EndReason::kActive));
    pkts += f.dir[0].pkts + f.dir[1].pkts;
    char flags[ft::kArgusFlagsTextBytes];
    Check(ft::HistoryView(f).size() <= size_t{ft::kHistoryChars});
    Check(ft::FormatArgusFlags(f, flags) <= sizeof flags);
    Check(!ConnState(f).empty() && !ArgusState(f, why).empty());
  }
  uint64_t pkts = 0;
};

IpAddress Host(uint8_t i, bool v6) {
  IpAddress a;
  if (v6) {
    a.family = 6;
    a.bytes[0] = 0x20;
    a.bytes[1] = 0x01;
    a.bytes[15] = static_cast<uint8_t>(i & 7);
  } else {
    a = IpAddress::FromV4(0x0a000000u | (i & 7));
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ft::FlowTableConfig cfg;
  cfg.capacity_log2 = 4;
  cfg.hash_seed = 42;
  cfg.sweep_buckets_per_packet = 1;
  cfg.fragment_cache_log2 = 2;
  cfg.timeouts.tcp_new_ns = 3'000'000'000;
  cfg.timeouts.tcp_established_ns = 9'000'000'000;
  cfg.timeouts.tcp_closed_ns = 1'000'000'000;
  cfg.timeouts.udp_ns = cfg.timeouts.icmp_ns = cfg.timeouts.other_ns = 5'000'000'000;
  cfg.timeouts.active_ns = 7'000'000'000;
  ft::FlowTable table(cfg);
  Sink sink;
  uint64_t t = 1'000'000'000;
  uint64_t counted = 0;
  for (size_t off = 0; off + 7 <= size; off += 7) {
    const uint8_t* b = data + off;
    t += uint64_t{b[6]} * 50'000'000;  // up to 12.75 s per step
    const uint8_t op = b[0] % 8;
    if (op == 7) {
      table.Advance(t, sink);
    } else {
      DecodedPacket p;
      p.ts_ns = (b[0] & 0x80) ? t - 1'000'000'000 : t;  // some out-of-order timestamps
      const bool v6 = b[1] & 0x80;
      p.ip_version = v6 ? 6 : 4;
      p.src = Host(b[1], v6);
      p.dst = Host(b[2], v6);
      p.vlan_outer = b[2] >> 6;
      p.ip_total_len = static_cast<uint16_t>(20 + b[5] * 4);
      p.wire_len = p.ip_total_len + 14u;
      p.ttl = b[5];
      p.l4_payload_wire_len = b[5];
      p.has_l4 = true;
      p.src_port = static_cast<uint16_t>(b[3] & 3);
      p.dst_port = static_cast<uint16_t>((b[3] >> 2) & 3);
      p.tcp_flags = b[4];
      p.tcp_seq = b[3];
      switch (op) {
        case 0:
        case 1:
          p.ip_proto = tapwatch::decoders::kIpProtoTcp;
          break;
        case 2:
          p.ip_proto = tapwatch::decoders::kIpProtoUdp;
          break;
        case 3:
        case 4:
          p.ip_proto = v6 ? tapwatch::decoders::kIpProtoIcmpv6 : tapwatch::decoders::kIpProtoIcmp;
          p.icmp_type = b[4] % 16 + (v6 && (b[4] & 0x10) ? 128 : 0);
          p.icmp_code = b[3] >> 4;
          p.icmp_id = b[3] & 3;
          if (op == 4) {
            p.icmp_quoted.present = true;
            p.icmp_quoted.src = p.dst;
            p.icmp_quoted.dst = Host(b[5], v6);
            p.icmp_quoted.ip_proto = b[4] & 1 ? 6 : 17;
            p.icmp_quoted.src_port = b[3] & 3;
            p.icmp_quoted.dst_port = (b[3] >> 2) & 3;
          }
          break;
        case 5:  // fragment
          p.ip_proto = tapwatch::decoders::kIpProtoUdp;
          p.is_fragment = true;
          p.is_later_fragment = b[4] & 1;
          p.has_l4 = !p.is_later_fragment;
          p.ip_id = b[4] >> 4;
          break;
        default:  // L4 failure / other protocol, with anomalies and a label
          p.ip_proto = b[4];
          p.has_l4 = false;
          for (int i = 0; i < (b[3] & 7); ++i) {
            p.Flag(static_cast<tapwatch::decoders::Anomaly>(1 + (b[5] + i) % 30));
          }
          p.source_label = b[3] >> 5;
          break;
      }
      const ft::UpdateResult r = table.Update(p, sink);
      Check(r.flow != nullptr && r.flow->in_use());
      Check(r.quoted_flow == nullptr || r.quoted_flow->in_use());
      Check(table.SlotIndex(*r.flow) < table.capacity());
      ++counted;
    }
    const ft::FlowTableStats& s = table.stats();
    Check(s.active <= table.capacity());
    Check(s.created == s.exported + s.active);
  }
  table.FlushAll(sink);
  Check(table.stats().active == 0);
  Check(sink.pkts == counted);
  return 0;
}
