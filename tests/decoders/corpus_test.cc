// Seed corpus for fuzz_decode_frame (tests/fuzz/corpus/decode_frame/). Each seed file is
// <name>.<expected status>: its first byte selects the link type (fuzz_decode_frame.cc), the
// rest is a frame. This test checks every seed on disk decodes with the status in its name, and
// that the set on disk matches the list below; TAPWATCH_WRITE_CORPUS=1 (re)writes the files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

// Link selector bytes, see kLinks in tests/fuzz/fuzz_decode_frame.cc.
constexpr uint8_t kSelEthernet = 0, kSelNull = 1, kSelLoop = 2, kSelRaw = 3, kSelIpv4 = 4,
                  kSelIpv6 = 5, kSelSll = 6, kSelSll2 = 7, kSelUnknown = 8, kSelSnaplen = 0x80;

const uint8_t kMacs[] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
const uint8_t kVlan10Ipv4[] = {0x81, 0x00, 0x00, 0x0a, 0x08, 0x00};
const uint8_t kQinQIpv4[] = {0x88, 0xa8, 0x00, 0x14, 0x81, 0x00, 0x00, 0x1e, 0x08, 0x00};
const uint8_t kArp[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01};
const uint8_t kLlc[] = {0x00, 0x03, 0xf0, 0xf0, 0x03};
const uint8_t kSll[] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
const uint8_t kSll2[] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
const uint8_t kNullLe2[] = {2, 0, 0, 0};
const uint8_t kLoop2[] = {0, 0, 0, 2};
const uint8_t kUdpOver6[] = {0x00, 0x89, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4};
const uint8_t kIcmpEcho[] = {0x45, 0x00, 0x00, 0x1c, 0, 1,  0, 0, 0x40, 0x01, 0,
                             0,    10,   0,    0,    1, 10, 0, 0, 2,  // 10.0.0.1 -> 10.0.0.2 ICMP
                             8,    0,    0,    0,    0, 1,  0, 1};    // echo request id 1 seq 1
const uint8_t kIcmpUnreach[] = {
    0x45, 0x00, 0x00, 0x38, 0, 1,    0,  0, 0x40, 0x01,
    0,    0,    10,   0,    0, 2,    10, 0, 0,    1,  // ICMP 10.0.0.2 -> 10.0.0.1
    3,    3,    0,    0,    0, 0,    0,  0,           // port unreachable
    0x45, 0,    0,    0x20, 0, 0,    0,  0, 0x40, 0x11,
    0,    0,    10,   0,    0, 1,    10, 0, 0,    2,  // quoted UDP header
    0x30, 0x39, 0x00, 0x35, 0, 0x0c, 0,  0};
const uint8_t kIpv6Frag[] = {
    0x60, 0,    0,    0,    0,    0x10, 0x2c, 0x40,  // plen 16, next fragment
    0x20, 1,    0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0,
    0,    1,    0x20, 1,    0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0,
    0,    0,    0,    2,    0x11, 0,    0x00, 0x01, 0, 0, 0, 9,  // UDP, offset 0, M
    0x00, 0x35, 0x00, 0x35, 0x01, 0x00, 0,    0};
const uint8_t kIpv6HbhTcp[] = {
    0x60, 0,    0,    0,    0,    0x1c, 0x00, 0x40,  // plen 28, hop-by-hop
    0xfe, 0x80, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0,    0,
    0,    1,    0xfe, 0x80, 0,    0,    0,    0,    0, 0, 0, 0, 0,    0,
    0,    0,    0,    2,    0x06, 0x00, 0x01, 0x04, 0, 0, 0, 0,  // HBH -> TCP, PadN
    0x00, 0x16, 0xc0, 0x00, 0,    0,    0,    1,    0, 0, 0, 0, 0x50, 0x02,
    0x10, 0x00, 0,    0,    0,    0};  // SYN

struct Seed {
  const char* name;
  Bytes bytes;  // selector byte + frame
};

Bytes Sel(uint8_t selector, std::initializer_list<std::span<const uint8_t>> parts) {
  const uint8_t s[] = {selector};
  Bytes out = Cat({s});
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<Seed> Seeds() {
  Bytes bad_tcp = Cat({kIpv4Tcp, kTcpMss});
  bad_tcp[32] = 0x30;  // data offset 3
  Bytes bad_ihl = Cat({kIpv4Udp, kUdp12});
  bad_ihl[0] = 0x43;
  Bytes ihl6 = {0x46, 0, 0, 0x20, 0, 0, 0, 0, 0x40, 0x11, 0, 0,
                1,    1, 1, 1,    2, 2, 2, 2, 0x94, 0x04, 0, 0,  // router alert
                0,    7, 0, 9,    0, 8, 0, 0};
  const uint8_t eth_ip_type[] = {0x08, 0x00};
  // kIpv4Udp's total length (32) holds exactly an SCTP common header: ports 2905 -> 2906.
  const uint8_t sctp_header[] = {0x0b, 0x59, 0x0b, 0x5a, 1, 2, 3, 4, 0, 0, 0, 0};
  Bytes sctp = Cat({kIpv4Udp, sctp_header});
  sctp[9] = 132;
  Bytes sctp_short(sctp.begin(), sctp.end() - 1);
  sctp_short[3] = 31;
  return {
      {"eth_ipv4_tcp.ok", Sel(kSelEthernet, {kEthIpv4, kIpv4Tcp, kTcpMss})},
      {"eth_ipv4_udp.ok", Sel(kSelEthernet, {kEthIpv4, kIpv4Udp, kUdp12})},
      {"eth_ipv6_udp.ok", Sel(kSelEthernet, {kEthIpv6, kIpv6Udp, kUdpOver6})},
      {"eth_vlan_udp.ok", Sel(kSelEthernet, {kMacs, kVlan10Ipv4, kIpv4Udp, kUdp12})},
      {"eth_qinq_tcp.ok", Sel(kSelEthernet, {kMacs, kQinQIpv4, kIpv4Tcp, kTcpMss})},
      {"eth_arp.unsupported", Sel(kSelEthernet, {kMacs, kArp})},
      {"eth_llc.unsupported", Sel(kSelEthernet, {kMacs, kLlc})},
      {"eth_icmp_echo.ok", Sel(kSelEthernet, {kEthIpv4, kIcmpEcho})},
      {"eth_icmp_unreach.ok", Sel(kSelEthernet, {kEthIpv4, kIcmpUnreach})},
      {"eth_truncated.malformed", Sel(kSelEthernet, {std::span(kMacs, 10)})},
      {"null_ipv4_udp.ok", Sel(kSelNull, {kNullLe2, kIpv4Udp, kUdp12})},
      {"loop_ipv4_tcp.ok", Sel(kSelLoop, {kLoop2, kIpv4Tcp, kTcpMss})},
      {"raw_ipv6_frag.ok", Sel(kSelRaw, {kIpv6Frag})},
      {"ipv4_options.ok", Sel(kSelIpv4, {ihl6})},
      {"ipv6_hbh_tcp.ok", Sel(kSelIpv6, {kIpv6HbhTcp})},
      {"sll_ipv4_udp.ok", Sel(kSelSll, {kSll, kIpv4Udp, kUdp12})},
      {"sll2_ipv4_tcp.ok", Sel(kSelSll2, {kSll2, kIpv4Tcp, kTcpMss})},
      {"unknown_link.malformed", Sel(kSelUnknown, {kIpv4Udp, kUdp12})},
      {"ipv4_bad_tcp_offset.malformed", Sel(kSelIpv4, {bad_tcp})},
      {"ipv4_bad_ihl.malformed", Sel(kSelIpv4, {bad_ihl})},
      {"eth_snaplen_tcp.ok",
       Sel(kSelEthernet | kSelSnaplen, {kEthIpv4, kIpv4Tcp, std::span(kTcpMss, 10)})},
      {"eth_vlan_empty_ipv4.malformed", Sel(kSelEthernet, {kMacs, kVlan10Ipv4, eth_ip_type})},
      {"ipv4_sctp.ok", Sel(kSelIpv4, {sctp})},
      {"ipv4_sctp_truncated.malformed", Sel(kSelIpv4, {sctp_short})},
  };
}

DecodeStatus StatusFromName(const std::string& name) {
  if (name.ends_with(".ok")) return DecodeStatus::kOk;
  if (name.ends_with(".unsupported")) return DecodeStatus::kUnsupported;
  return DecodeStatus::kMalformed;
}

// Mirrors the harness: selector byte picks the link type; bit 7 adds 1500 wire bytes.
DecodeStatus DecodeSeed(const Bytes& seed) {
  static constexpr LinkType kLinks[] = {
      LinkType::kEthernet, LinkType::kNull,      LinkType::kLoop,
      LinkType::kRaw,      LinkType::kIpv4,      LinkType::kIpv6,
      LinkType::kLinuxSll, LinkType::kLinuxSll2, static_cast<LinkType>(147)};
  const LinkType link = kLinks[(seed[0] & 0x7f) % 9];
  const std::span<const uint8_t> frame(seed.data() + 1, seed.size() - 1);
  const size_t wire = frame.size() + ((seed[0] & 0x80) ? 1500 : 0);
  return DecodeAs(link, frame, frame.size(), wire).status;
}

TEST(DecodeFrameCorpus, SeedsHaveTheStatusInTheirName) {
  const std::filesystem::path dir = TAPWATCH_FUZZ_CORPUS_DIR;
  const auto seeds = Seeds();
  const char* write = std::getenv("TAPWATCH_WRITE_CORPUS");
  if (write != nullptr && std::string(write) == "1") {
    std::filesystem::create_directories(dir);
    for (const auto& s : seeds) {
      std::ofstream out(dir / s.name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(s.bytes.data()),
                static_cast<std::streamsize>(s.bytes.size()));
    }
  }
  std::set<std::string> expected;
  for (const auto& s : seeds) {
    expected.insert(s.name);
    EXPECT_EQ(DecodeSeed(s.bytes), StatusFromName(s.name)) << s.name;
  }
  std::set<std::string> on_disk;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " (run with TAPWATCH_WRITE_CORPUS=1)";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    on_disk.insert(name);
    std::ifstream in(e.path(), std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(bytes.empty()) << name;
    EXPECT_EQ(DecodeSeed(bytes), StatusFromName(name)) << name;
  }
  EXPECT_EQ(on_disk, expected);
}

}  // namespace
}  // namespace tapwatch::decoders::testing
