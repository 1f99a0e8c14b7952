#include "sensor/log/frame_builder.h"

#include <cstring>

#include "decoders/packet.h"

namespace tapwatch::sensor {
namespace {

namespace d = tapwatch::decoders;

// A writer over the frame buffer. Unchecked stores: the largest frame is
// 14 + 40 + 8 + 8 + 40 + 8 + 8 = 126 bytes (Ethernet, IPv6 + fragment header, ICMPv6, quoted
// IPv6 + fragment header, its first 8 bytes) < kLogFrameCapacity, so no write can pass the end.
static_assert(kLogFrameCapacity >= 126);
class Out {
 public:
  explicit Out(std::span<uint8_t, kLogFrameCapacity> buf) : p_(buf.data()) {}
  void U8(uint8_t v) { p_[pos_++] = v; }
  void U16(uint16_t v) {
    p_[pos_] = static_cast<uint8_t>(v >> 8);
    p_[pos_ + 1] = static_cast<uint8_t>(v);
    pos_ += 2;
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(const uint8_t* p, size_t n) {
    std::memcpy(p_ + pos_, p, n);
    pos_ += n;
  }
  void Zeros(size_t n) {
    std::memset(p_ + pos_, 0, n);
    pos_ += n;
  }
  size_t pos() const { return pos_; }
  void Patch16(size_t at, uint16_t v) {
    p_[at] = static_cast<uint8_t>(v >> 8);
    p_[at + 1] = static_cast<uint8_t>(v);
  }
  // RFC 1071 sum over the 20-byte IPv4 header at `at` (16-bit words, end-around carry).
  uint16_t Ipv4HeaderChecksum(size_t at) const {
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2) sum += (uint32_t{p_[at + i]} << 8) | p_[at + i + 1];
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
  }

 private:
  uint8_t* p_;
  size_t pos_ = 0;
};

// IPv4 (RFC 791) or IPv6 (RFC 8200, + fragment header) header of `ip`.
void WriteIp(Out& o, const LogIpFields& ip) {
  if (ip.ip_version == 4) {
    const size_t start = o.pos();
    o.U8(0x45);  // version 4, IHL 5: options are not logged by default
    o.U8(ip.tos);
    o.U16(static_cast<uint16_t>(ip.ip_len > 0xFFFF ? 0xFFFF : ip.ip_len));
    o.U16(ip.ip_id);
    uint16_t frag = ip.frag_offset_units & 0x1FFF;
    if (ip.ce) frag |= 0x8000;
    if (ip.df) frag |= 0x4000;
    if (ip.mf) frag |= 0x2000;
    o.U16(frag);
    o.U8(ip.ttl);
    o.U8(ip.proto);
    o.U16(0);  // checksum, patched below
    o.Bytes(ip.src.data(), 4);
    o.Bytes(ip.dst.data(), 4);
    o.Patch16(start + 10, o.Ipv4HeaderChecksum(start));
    return;
  }
  const uint32_t payload = ip.ip_len >= 40 ? ip.ip_len - 40 : 0;
  o.U32((6u << 28) | (uint32_t{ip.tos} << 20) | (ip.flow_label & 0xFFFFF));
  o.U16(static_cast<uint16_t>(payload > 0xFFFF ? 0xFFFF : payload));
  o.U8(ip.ipv6_frag_header ? 44 : ip.proto);
  o.U8(ip.ttl);
  o.Bytes(ip.src.data(), 16);
  o.Bytes(ip.dst.data(), 16);
  if (ip.ipv6_frag_header) {  // RFC 8200 4.5
    o.U8(ip.proto);
    o.U8(0);
    o.U16(static_cast<uint16_t>((ip.frag_offset_units << 3) | (ip.mf ? 1 : 0)));
    o.U32(ip.ipv6_frag_id);
  }
}

// The ICMP header's first 8 bytes.
void WriteIcmpHeader(Out& o, const LogIpFields& ip) {
  o.U8(ip.icmp_type);
  o.U8(ip.icmp_code);
  o.U16(0);  // checksum: covers the (unknown) payload
  if (ip.has_icmp_echo) {
    o.U16(ip.icmp_id);
    o.U16(ip.icmp_seq);
  } else {
    o.U32(ip.icmp_rest);
  }
}

// ICMPv4 messages whose fixed header is longer than 8 bytes (RFC 792 timestamp: three 32-bit
// timestamps; RFC 950 address mask: the mask). Not logged, so zero, but present so that decoders
// that require them (libtins) accept the frame.
size_t IcmpExtraHeaderBytes(const LogIpFields& ip) {
  if (ip.proto != d::kIpProtoIcmp) return 0;
  if (ip.icmp_type == 13 || ip.icmp_type == 14) return 12;
  if (ip.icmp_type == 17 || ip.icmp_type == 18) return 4;
  return 0;
}

// L4 header. `quoted`: only the first 8 bytes, as an ICMP error quotes them.
void WriteL4(Out& o, const LogRecord& rec, const LogIpFields& ip, bool quoted) {
  if (ip.is_later_fragment() || ip.incomplete) return;
  switch (ip.proto) {
    case d::kIpProtoTcp:
      if (!ip.has_ports) return;
      o.U16(ip.src_port);
      o.U16(ip.dst_port);
      o.U32(ip.tcp_seq);
      if (quoted) return;
      o.U32(ip.tcp_ack);
      // RES= is (flag word & 0x0F000000) >> 22: the 4 reserved bits sit at bits 2..5 of it.
      o.U8(static_cast<uint8_t>(0x50 | ((ip.tcp_reserved >> 2) & 0x0F)));
      o.U8(ip.tcp_flags);
      o.U16(ip.tcp_window);
      o.U16(0);  // checksum
      o.U16(ip.tcp_urgp);
      return;
    case d::kIpProtoUdp:
    case 136:  // UDP-Lite: same 8-byte layout (RFC 3828; the length field is the coverage)
      if (!ip.has_ports) return;
      o.U16(ip.src_port);
      o.U16(ip.dst_port);
      o.U16(ip.udp_len);
      o.U16(0);
      return;
    case 132:  // SCTP common header (RFC 9260): ports, verification tag, checksum
      if (!ip.has_ports) return;
      o.U16(ip.src_port);
      o.U16(ip.dst_port);
      o.Zeros(quoted ? 4 : 8);
      return;
    case d::kIpProtoIcmp:
    case d::kIpProtoIcmpv6:
      if (!ip.has_icmp) return;
      WriteIcmpHeader(o, ip);
      if (!quoted) o.Zeros(IcmpExtraHeaderBytes(ip));
      if (!quoted && rec.has_inner) {
        WriteIp(o, rec.inner);
        WriteL4(o, rec, rec.inner, true);
      }
      return;
    default:
      return;
  }
}

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    sum += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  }
  if (bytes.size() % 2 == 1) sum += uint32_t{bytes.back()} << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t BuildLogFrame(const LogRecord& rec, std::span<uint8_t, kLogFrameCapacity> out) {
  Out o(out);
  o.Bytes(rec.dst_mac.data(), 6);  // zero when the line has no MAC=
  o.Bytes(rec.src_mac.data(), 6);
  o.U16(rec.ip.ip_version == 6 ? 0x86DD : 0x0800);
  WriteIp(o, rec.ip);
  WriteL4(o, rec, rec.ip, false);
  return o.pos();
}

}  // namespace tapwatch::sensor
