// Micro-benchmark of the application decoders' per-packet cost. Loads captures
// into memory, then times, over the same frames: (a) DecodeFrame + a flow lookup (hash map of
// slots and pools preallocated), and (b) the same plus UpdateAppState. Prints ns/packet for
// each, the overhead of (b) over (a), and the share of SMB/NBNS/NBDS/ICMP packets in the mix.
// (a) is less work than the real sensor does per packet (no flow-table timeouts, no export, no
// publishing), so the overhead printed is an upper bound of what the decoders cost the sensor.
// Usage: app_bench ROUNDS FILE.pcap...
#include <pcap/pcap.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoders/app_state.h"
#include "decoders/decode_frame.h"

using namespace tapwatch::decoders;

namespace {

struct Frame {
  LinkType link;
  std::vector<uint8_t> bytes;
  uint32_t wire_len;
};

struct Key {
  std::array<uint8_t, 16> a, b;
  uint16_t pa, pb;
  uint8_t proto;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const uint8_t* p, size_t n) {
      for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    mix(k.a.data(), 16);
    mix(k.b.data(), 16);
    h ^= (uint64_t{k.pa} << 24) ^ (uint64_t{k.pb} << 8) ^ k.proto;
    return h;
  }
};

struct Slot {
  AppState app;
  uint32_t index;
  bool a_is_src;
};

double Run(const std::vector<Frame>& frames, int rounds, bool app, uint64_t& app_pkts) {
  AppConfig config;
  AppDetailPool pool(1 << 16);
  FirstBytesPool first_bytes(1 << 18, config.first_bytes);
  PayloadSignatureTable sigs;
  IcmpFingerprintTable icmp;
  std::string error;
  ParsePayloadSignatures(DefaultPayloadSignaturesTsv(), sigs, error);
  ParseIcmpFingerprints(DefaultIcmpFingerprintsTsv(), icmp, error);
  std::unordered_map<Key, Slot, KeyHash> flows;
  flows.reserve(1 << 18);
  AppScratch scratch;
  scratch.pool = &pool;
  scratch.signatures = &sigs;
  scratch.icmp_fingerprints = &icmp;
  scratch.first_bytes_pool = &first_bytes;
  uint64_t sink = 0;
  app_pkts = 0;
  auto t0 = std::chrono::steady_clock::now();
  // Round -1 is a warm-up (first touch of the pools' pages, hash-map growth): the
  // sensor allocates these once at start and runs warm.
  for (int r = -1; r < rounds; ++r) {
    if (r == 0) t0 = std::chrono::steady_clock::now();
    for (auto& [k, s] : flows) ReleaseAppState(s.app, &pool, &first_bytes);
    flows.clear();
    for (const Frame& f : frames) {
      DecodedPacket pkt;
      pkt.wire_len = f.wire_len;
      pkt.cap_len = static_cast<uint32_t>(f.bytes.size());
      DecodeFrame(f.link, f.bytes, pkt);
      if (!pkt.is_ip()) continue;
      Key k{pkt.src.bytes, pkt.dst.bytes, pkt.src_port, pkt.dst_port, pkt.ip_proto};
      const bool swap = std::make_pair(k.b, k.pb) < std::make_pair(k.a, k.pa);
      if (swap) {
        std::swap(k.a, k.b);
        std::swap(k.pa, k.pb);
      }
      auto [it, created] = flows.try_emplace(k);
      if (created) {
        it->second.index = static_cast<uint32_t>(flows.size() - 1) & ((1 << 18) - 1);
        it->second.a_is_src = !swap;
      }
      sink += it->second.index;
      if (app) {
        if (r == 0 && (pkt.ip_proto == kIpProtoIcmp || pkt.src_port == 137 || pkt.dst_port == 137 ||
                       pkt.src_port == 138 || pkt.dst_port == 138 || pkt.src_port == 139 ||
                       pkt.dst_port == 139 || pkt.src_port == 445 || pkt.dst_port == 445)) {
          ++app_pkts;
        }
        UpdateAppState(pkt, it->second.a_is_src == !swap, config, it->second.app, scratch);
        sink += it->second.app.flags;
      }
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  if (sink == 42) std::puts("");
  return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ROUNDS FILE.pcap...\n", argv[0]);
    return 2;
  }
  const int rounds = std::atoi(argv[1]);
  std::vector<Frame> frames;
  for (int i = 2; i < argc; ++i) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(argv[i], err);
    if (!p) {
      std::fprintf(stderr, "%s: %s\n", argv[i], err);
      return 1;
    }
    const auto link = static_cast<LinkType>(pcap_datalink(p));
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) frames.push_back({link, {d, d + h->caplen}, h->len});
    pcap_close(p);
  }
  uint64_t app_pkts = 0, unused = 0;
  double base = 1e300, with = 1e300;
  for (int rep = 0; rep < 5; ++rep) {  // best of 5, interleaved, to damp noise on a shared host
    base = std::min(base, Run(frames, rounds, false, unused));
    with = std::min(with, Run(frames, rounds, true, app_pkts));
  }
  const double n = static_cast<double>(frames.size()) * rounds;
  std::printf("frames %zu x %d rounds; SMB/NBNS/NBDS/ICMP share %.1f%%\n", frames.size(), rounds,
              100.0 * static_cast<double>(app_pkts) / static_cast<double>(frames.size()));
  std::printf("decode+lookup       %.1f ns/pkt\n", base / n);
  std::printf("decode+lookup+app   %.1f ns/pkt\n", with / n);
  std::printf("app decoder overhead %.1f%%\n", 100.0 * (with - base) / base);
  return 0;
}
