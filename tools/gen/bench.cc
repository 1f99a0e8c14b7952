// The benchmark capture: millions of packets written as raw pcap records (libtins would build a
// PDU tree per packet, ~20x slower). Deterministic: flow i always gets the same addresses,
// ports and payload bytes, and packets are interleaved round-robin over a fixed window of
// concurrently active flows with a constant packet-time step.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/gen/generators.h"

namespace tapwatch::tools {
namespace {

constexpr uint64_t kBaseUs = 1100000000ULL * 1000000ULL;  // 2004-11-09 11:33:20 UTC
constexpr uint64_t kSpanUs = 600ULL * 1000000ULL;         // ~10 minutes of packet time
constexpr size_t kActiveFlows = 64;

enum class Kind : uint8_t { kTcp, kSyn, kUdp, kIcmp, kSmb, kNbns };

struct FlowSpec {
  Kind kind;
  uint32_t client, server;
  uint16_t cport, sport;
  uint32_t cisn, sisn;
  int packets;  // packets this flow emits
};

// One packet of a 13-packet TCP session: direction and payload size.
struct Step {
  bool from_client;
  uint8_t flags;
  uint16_t len;
};
constexpr uint8_t F = 0x01, S = 0x02, P = 0x08, A = 0x10;
constexpr std::array<Step, 14> kSession = {{
    {true, S, 0},       {false, S | A, 0},   {true, A, 0},        {true, P | A, 220},
    {false, A, 0},      {false, A, 536},     {false, A, 536},     {true, A, 0},
    {false, P | A, 300}, {true, A, 0},       {true, F | A, 0},    {false, F | A, 0},
    {true, A, 0},       {true, A, 0} /* 14th: only for flows that absorb the remainder */}};

class Writer {
 public:
  explicit Writer(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw std::runtime_error("cannot open " + path);
    buf_.reserve(1 << 22);
    const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // LINKTYPE_ETHERNET
    Put(hdr, sizeof hdr);
  }
  ~Writer() {
    Flush();
    std::fclose(f_);
  }
  void Put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
    if (buf_.size() > (1 << 22)) Flush();
  }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      throw std::runtime_error("short write");
    }
    buf_.clear();
  }

 private:
  std::FILE* f_;
  std::vector<uint8_t> buf_;
};

uint32_t Sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
void Be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Be32(uint8_t* p, uint32_t v) {
  Be16(p, static_cast<uint16_t>(v >> 16));
  Be16(p + 2, static_cast<uint16_t>(v));
}

class BenchGen {
 public:
  explicit BenchGen(const BenchOptions& o) : opt_(o), out_(o.out) {
    for (size_t i = 0; i < payload_.size(); ++i) {
      payload_[i] = static_cast<uint8_t>("tapwatch bench payload "[i % 23]);
    }
  }
  void Run();

 private:
  void Emit(const FlowSpec& f, int step);
  void Frame(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t* l4, size_t l4_len);

  BenchOptions opt_;
  Writer out_;
  uint64_t written_ = 0, app_packets_ = 0, bytes_ = 0;
  std::array<uint8_t, 2048> payload_{};
  uint8_t frame_[1600];
};

void BenchGen::Frame(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t* l4,
                     size_t l4_len) {
  uint8_t* e = frame_;
  const uint8_t dmac[6] = {0x00, 0x00, 0x0c, 0x46, 0x5c, 0xd1};
  const uint8_t smac[6] = {0x00, 0x0c, 0x29, static_cast<uint8_t>(src >> 16),
                           static_cast<uint8_t>(src >> 8), static_cast<uint8_t>(src)};
  std::memcpy(e, dmac, 6);
  std::memcpy(e + 6, smac, 6);
  e[12] = 0x08;
  e[13] = 0x00;
  uint8_t* ip = e + 14;
  const size_t ip_len = 20 + l4_len;
  ip[0] = 0x45;
  ip[1] = 0;
  Be16(ip + 2, static_cast<uint16_t>(ip_len));
  Be16(ip + 4, static_cast<uint16_t>(written_));
  Be16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = proto;
  Be16(ip + 10, 0);
  Be32(ip + 12, src);
  Be32(ip + 16, dst);
  Be16(ip + 10, Fold(Sum16(ip, 20)));
  std::memcpy(ip + 20, l4, l4_len);
  size_t len = 14 + ip_len;
  if (len < 60) {
    std::memset(frame_ + len, 0, 60 - len);
    len = 60;
  }
  const uint64_t ts = kBaseUs + written_ * kSpanUs / opt_.packets;
  const uint32_t rec[4] = {static_cast<uint32_t>(ts / 1000000), static_cast<uint32_t>(ts % 1000000),
                           static_cast<uint32_t>(len), static_cast<uint32_t>(len)};
  out_.Put(rec, sizeof rec);
  out_.Put(frame_, len);
  ++written_;
  bytes_ += len;
}

void BenchGen::Emit(const FlowSpec& f, int step) {
  uint8_t l4[1500];
  const bool app = f.kind == Kind::kSmb || f.kind == Kind::kNbns || f.kind == Kind::kIcmp;
  if (app) ++app_packets_;
  if (f.kind == Kind::kTcp || f.kind == Kind::kSyn || f.kind == Kind::kSmb) {
    const Step& s = kSession[static_cast<size_t>(step)];
    // Sequence numbers follow the scripted session (data and SYN/FIN consume sequence space).
    uint32_t cseq = f.cisn, sseq = f.sisn;
    for (int k = 0; k < step; ++k) {
      const Step& p = kSession[static_cast<size_t>(k)];
      const uint32_t adv = p.len + ((p.flags & (S | F)) ? 1u : 0u);
      (p.from_client ? cseq : sseq) += adv;
    }
    const uint32_t src = s.from_client ? f.client : f.server;
    const uint32_t dst = s.from_client ? f.server : f.client;
    Be16(l4, s.from_client ? f.cport : f.sport);
    Be16(l4 + 2, s.from_client ? f.sport : f.cport);
    Be32(l4 + 4, s.from_client ? cseq : sseq);
    Be32(l4 + 8, (s.flags & A) ? (s.from_client ? sseq : cseq) : 0);
    l4[12] = 0x50;
    l4[13] = s.flags;
    Be16(l4 + 14, 64240);
    Be16(l4 + 16, 0);
    Be16(l4 + 18, 0);
    uint16_t len = s.len;
    if (f.kind == Kind::kSmb && len > 0) {
      // NBSS session message + 32-byte SMB1 header (Tree Disconnect 0x71 from the client,
      // Echo 0x2b from the server), WCT 0, then BCC bytes of data to fill the segment.
      uint8_t* m = l4 + 20;
      std::memset(m, 0, 4 + 35);
      Be16(m + 2, static_cast<uint16_t>(len - 4));
      const uint8_t smb[10] = {0xff, 'S', 'M', 'B', s.from_client ? uint8_t{0x71} : uint8_t{0x2b},
                               0, 0, 0, 0, 0x18};
      std::memcpy(m + 4, smb, sizeof smb);
      const uint16_t bcc = static_cast<uint16_t>(len - 4 - 35);
      m[4 + 33] = static_cast<uint8_t>(bcc);
      m[4 + 34] = static_cast<uint8_t>(bcc >> 8);
      std::memcpy(m + 4 + 35, payload_.data(), bcc);
    } else if (len > 0) {
      std::memcpy(l4 + 20, payload_.data(), len);
    }
    uint32_t sum = Sum16(l4, 20u + len);
    sum += (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6u + 20u + len;
    Be16(l4 + 16, Fold(sum));
    Frame(src, dst, 6, l4, 20u + len);
    return;
  }
  const bool reply = step == 1;
  const uint32_t src = reply ? f.server : f.client;
  const uint32_t dst = reply ? f.client : f.server;
  if (f.kind == Kind::kIcmp) {
    l4[0] = reply ? 0 : 8;
    l4[1] = 0;
    Be16(l4 + 2, 0);
    Be16(l4 + 4, f.cport);
    Be16(l4 + 6, 1);
    std::memset(l4 + 8, 0xaa, 64);  // Welchia-style 92-byte echo
    Be16(l4 + 2, Fold(Sum16(l4, 72)));
    Frame(src, dst, 1, l4, 72);
    return;
  }
  size_t len = 40;
  uint8_t* d = l4 + 8;
  if (f.kind == Kind::kNbns) {
    // NBSTAT query / a short negative response (RFC 1002 4.2.17).
    const uint8_t q[50] = {static_cast<uint8_t>(f.cport >> 8), static_cast<uint8_t>(f.cport),
                           static_cast<uint8_t>(reply ? 0x84 : 0x00), 0, 0, 1, 0, 0, 0, 0, 0, 0,
                           0x20, 'C', 'K'};
    std::memcpy(d, q, 50);
    for (int i = 15; i < 45; ++i) d[i] = 'A';
    d[45] = 0;
    d[46] = 0;
    d[47] = 0x21;
    d[48] = 0;
    d[49] = 1;
    len = 50;
  } else {
    // DNS A query for bench.example / its answer (RFC 1035 4.1), id from the flow.
    static const uint8_t kQuestion[19] = {5,   'b', 'e', 'n', 'c', 'h', 7, 'e', 'x', 'a',
                                          'm', 'p', 'l', 'e', 0,   0,   1, 0,   1};
    const uint8_t hdr[12] = {static_cast<uint8_t>(f.cport >> 8), static_cast<uint8_t>(f.cport),
                             static_cast<uint8_t>(reply ? 0x81 : 0x01),
                             static_cast<uint8_t>(reply ? 0x80 : 0x00), 0, 1, 0,
                             static_cast<uint8_t>(reply ? 1 : 0), 0, 0, 0, 0};
    std::memcpy(d, hdr, 12);
    std::memcpy(d + 12, kQuestion, sizeof kQuestion);
    len = 12 + sizeof kQuestion;
    if (reply) {
      const uint8_t answer[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4,
                                  192, 0, 2, static_cast<uint8_t>(f.server)};
      std::memcpy(d + len, answer, sizeof answer);
      len += sizeof answer;
    }
  }
  Be16(l4, reply ? f.sport : f.cport);
  Be16(l4 + 2, reply ? f.cport : f.sport);
  Be16(l4 + 4, static_cast<uint16_t>(8 + len));
  Be16(l4 + 6, 0);
  uint32_t sum = Sum16(l4, 8 + len);
  sum += (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17u +
         static_cast<uint32_t>(8 + len);
  uint16_t c = Fold(sum);
  Be16(l4 + 6, c == 0 ? 0xffff : c);
  Frame(src, dst, 17, l4, 8 + len);
}

void BenchGen::Run() {
  const uint64_t n = opt_.packets, nf = opt_.flows;
  // Small flows cycle SYN, SYN, SYN, UDP, UDP, ICMP ... (avg 1.5 packets); TCP sessions have 13.
  static const Kind kSmall[10] = {Kind::kSyn, Kind::kSyn, Kind::kSyn, Kind::kSyn, Kind::kSyn,
                                  Kind::kSyn, Kind::kUdp, Kind::kUdp, Kind::kUdp, Kind::kIcmp};
  const double small_avg = 1.4;
  uint64_t tcp_flows = 0;
  if (static_cast<double>(n) > small_avg * static_cast<double>(nf)) {
    tcp_flows = std::min<uint64_t>(
        nf, static_cast<uint64_t>((static_cast<double>(n) - small_avg * nf) / (13 - small_avg)));
  }
  // With --app-share, part of the TCP sessions become SMB over 445 and part of the UDP pairs
  // NBNS over 137 so that app packets (SMB + NBNS + ICMP) approach the requested share.
  const uint64_t small_flows = nf - tcp_flows;
  const uint64_t icmp_pkts = 2 * (small_flows / 10);
  const double target = opt_.app_share * static_cast<double>(n) - static_cast<double>(icmp_pkts);
  uint64_t smb_flows = 0, nbns_flows = 0;
  if (opt_.app_share > 0 && target > 0) {
    nbns_flows = std::min<uint64_t>(3 * small_flows / 10, static_cast<uint64_t>(target * 0.25 / 2));
    smb_flows = std::min<uint64_t>(tcp_flows, static_cast<uint64_t>((target - 2.0 * nbns_flows) / 13));
  }
  // Packet budget: flows emit their nominal count; the remainder (if any) goes to extra ACKs
  // on TCP sessions (14 packets instead of 13), the excess (if any) truncates the last flows.
  uint64_t nominal = 13 * tcp_flows;
  for (uint64_t i = 0; i < small_flows; ++i) nominal += kSmall[i % 10] == Kind::kSyn ? 1 : 2;
  uint64_t extra = n > nominal ? std::min<uint64_t>(n - nominal, tcp_flows) : 0;

  std::deque<FlowSpec> active;
  uint64_t next_flow = 0, tcp_made = 0, small_made = 0, smb_made = 0, nbns_made = 0;
  auto make = [&](uint64_t i) {
    FlowSpec f{};
    // Interleave TCP and small flows in proportion.
    const bool tcp = tcp_made * nf < tcp_flows * (i + 1) && tcp_made < tcp_flows;
    if (tcp || small_made >= small_flows) {
      f.kind = smb_made * tcp_flows < smb_flows * (tcp_made + 1) && smb_made < smb_flows
                   ? Kind::kSmb
                   : Kind::kTcp;
      if (f.kind == Kind::kSmb) ++smb_made;
      f.packets = 13 + (tcp_made < extra ? 1 : 0);
      ++tcp_made;
    } else {
      f.kind = kSmall[small_made % 10];
      if (f.kind == Kind::kUdp && nbns_made < nbns_flows) {
        f.kind = Kind::kNbns;
        ++nbns_made;
      }
      f.packets = f.kind == Kind::kSyn ? 1 : 2;
      ++small_made;
    }
    const uint32_t h = static_cast<uint32_t>(i * 2654435761u);
    f.client = 0x0a000000u | static_cast<uint32_t>(i & 0xffffff);                 // 10.x.y.z
    f.server = 0xac100000u | static_cast<uint32_t>((h >> 8) & 0x0fff);            // 172.16/20
    f.cport = static_cast<uint16_t>(1024 + (h & 0x7fff));
    static const uint16_t kTcpPorts[4] = {80, 443, 22, 25};
    switch (f.kind) {
      case Kind::kSmb: f.sport = 445; break;
      case Kind::kNbns: f.sport = 137; f.cport = 137; break;
      case Kind::kUdp: f.sport = 53; break;
      case Kind::kIcmp: f.sport = 0; break;
      default: f.sport = kTcpPorts[h >> 30]; break;
    }
    f.cisn = h ^ 0x5bd1e995u;
    f.sisn = h * 31u + 7u;
    return f;
  };
  std::deque<int> step_of;
  while (written_ < n) {
    while (active.size() < kActiveFlows && next_flow < nf) {
      active.push_back(make(next_flow++));
      step_of.push_back(0);
    }
    if (active.empty()) break;
    FlowSpec f = active.front();
    int step = step_of.front();
    active.pop_front();
    step_of.pop_front();
    Emit(f, step);
    if (step + 1 < f.packets) {
      active.push_back(f);
      step_of.push_back(step + 1);
    }
  }
  out_.Flush();
  std::fprintf(stderr,
               "tapwatch-gen bench: %llu packets, %llu flows (%llu TCP sessions, %llu SMB, %llu "
               "NBNS), %llu bytes, app share %.3f, %s\n",
               static_cast<unsigned long long>(written_), static_cast<unsigned long long>(next_flow),
               static_cast<unsigned long long>(tcp_made), static_cast<unsigned long long>(smb_made),
               static_cast<unsigned long long>(nbns_made), static_cast<unsigned long long>(bytes_),
               written_ ? static_cast<double>(app_packets_) / static_cast<double>(written_) : 0.0,
               opt_.out.c_str());
}

}  // namespace

int GenerateBench(const BenchOptions& opt) {
  BenchGen g(opt);
  g.Run();
  return 0;
}

}  // namespace tapwatch::tools
