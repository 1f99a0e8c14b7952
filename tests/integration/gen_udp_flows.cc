// Writes a classic pcap of COUNT single-packet UDP flows, every 5-tuple distinct, deterministic
// (the same bytes as pcap_writer.write_udp_flows in python, only fast enough for millions):
// flow i goes from 10.(i>>16).(i>>8).(i) port 1024 + i % 60000 to 192.0.2.1 port 40000 at
// 1600000000 s + i * STEP_US, with a 4-byte payload (the flow number); frame 46 bytes, IPv4 header
// checksum correct, UDP checksum 0 (RFC 768: none computed).
//
// Usage: tw_gen_udp_flows OUT.pcap COUNT [STEP_US]

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

void Put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  Put16(b, at, static_cast<uint16_t>(v >> 16));
  Put16(b, at + 2, static_cast<uint16_t>(v));
}
void PutLe32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = static_cast<uint8_t>(v >> (8 * k));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tw_gen_udp_flows OUT.pcap COUNT [STEP_US]\n");
    return 2;
  }
  const uint64_t count = std::strtoull(argv[2], nullptr, 10);
  const uint64_t step_us = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100;
  if (count == 0 || count > (1u << 24)) {
    std::fprintf(stderr, "tw_gen_udp_flows: COUNT must be 1..%u\n", 1u << 24);
    return 2;
  }
  FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr) {
    std::perror(argv[1]);
    return 3;
  }
  std::vector<uint8_t> g(24, 0);
  PutLe32(g, 0, 0xA1B2C3D4);
  g[4] = 2;    // version 2.4, little endian
  g[6] = 4;
  PutLe32(g, 16, 65535);  // snaplen
  PutLe32(g, 20, 1);      // LINKTYPE_ETHERNET
  std::fwrite(g.data(), 1, g.size(), f);

  constexpr size_t kFrame = 46;
  std::vector<uint8_t> r(16 + kFrame, 0);
  const uint8_t dst_mac[6] = {2, 0, 0, 0, 0, 2}, src_mac[6] = {2, 0, 0, 0, 0, 1};
  for (int k = 0; k < 6; ++k) {
    r[16 + k] = dst_mac[k];
    r[22 + k] = src_mac[k];
  }
  Put16(r, 28, 0x0800);
  const size_t ip = 30;
  r[ip] = 0x45;
  Put16(r, ip + 2, 32);      // total length
  Put16(r, ip + 4, 1);       // identification
  Put16(r, ip + 6, 0x4000);  // DF
  r[ip + 8] = 64;
  r[ip + 9] = 17;
  Put32(r, ip + 16, 0xC0000201);  // 192.0.2.1
  const size_t udp = ip + 20;
  Put16(r, udp + 2, 40000);
  Put16(r, udp + 4, 12);
  const uint64_t t0_us = 1'600'000'000ull * 1'000'000ull;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t ts = t0_us + i * step_us;
    PutLe32(r, 0, static_cast<uint32_t>(ts / 1'000'000));
    PutLe32(r, 4, static_cast<uint32_t>(ts % 1'000'000));
    PutLe32(r, 8, kFrame);
    PutLe32(r, 12, kFrame);
    const uint32_t src = 0x0A000000u | static_cast<uint32_t>(i & 0xFFFFFF);
    Put32(r, ip + 12, src);
    Put16(r, ip + 10, 0);
    uint32_t sum = 0;
    for (size_t k = 0; k < 20; k += 2) sum += (uint32_t{r[ip + k]} << 8) | r[ip + k + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    Put16(r, ip + 10, static_cast<uint16_t>(~sum));
    Put16(r, udp, static_cast<uint16_t>(1024 + i % 60000));
    Put32(r, udp + 8, static_cast<uint32_t>(i));
    std::fwrite(r.data(), 1, r.size(), f);
  }
  if (std::fclose(f) != 0) {
    std::perror(argv[1]);
    return 3;
  }
  return 0;
}
