// The honeynet "month": a synthetic capture modelled on the Honeynet SOTM30 logs, the
// 1.11.0.0/16 SMB/NBNS leak and the Code Red bare-ACK trickle, with every
// planted phenomenon recorded in a ground-truth JSON file. pcaps/README.md documents both.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/gen/capture.h"
#include "tools/gen/generators.h"
#include "tools/gen/packets.h"
#include "tools/gen/tcp_conv.h"

namespace tapwatch::tools {
namespace {

constexpr uint64_t kSec = 1000000;
constexpr uint64_t kDay = 86400 * kSec;
constexpr uint64_t kT0 = 1075593600ULL * kSec;         // 2004-02-01 00:00:00 UTC
constexpr uint64_t kEnd = kT0 + 2299206ULL * kSec;     // 2004-02-27 14:40:06 (last packet)
constexpr uint64_t kGapFrom = kT0 + 830838ULL * kSec;  // 2004-02-10 14:47:18 (last before gap)
constexpr uint64_t kGapTo = kT0 + 900212ULL * kSec;    // 2004-02-11 10:03:32 (first after gap)
constexpr int kDays = 27;                              // Feb 1 .. Feb 27
constexpr uint32_t kHome = 0x0b0b0b00;                 // 11.11.11.0/24

uint32_t H(int last_octet) { return kHome | static_cast<uint32_t>(last_octet); }
bool IsHome(uint32_t ip) { return (ip & 0xffffff00) == kHome; }
bool InGap(uint64_t t) { return t > kGapFrom && t < kGapTo; }

const std::vector<int> kAlive = {64, 65, 67, 69, 70, 71, 72, 73, 75, 80, 81, 82, 83,
                                 84, 85, 87, 89, 90, 95, 100, 105, 110, 115, 120, 125};

// Open TCP ports per honeypot (SOTM30 answer to "what ports were open"), UDP 137 on .67.
const std::map<int, std::vector<uint16_t>> kOpenTcp = {
    {67, {80, 139, 443}},      {69, {21, 80, 443}},           {71, {21, 80, 443}},
    {72, {21, 80, 443}},       {73, {21, 80, 139, 443, 3128}}, {75, {21, 80, 443}},
    {80, {21, 80, 139, 443}},
};

bool IsOpen(int host, uint16_t port) {
  auto it = kOpenTcp.find(host);
  return it != kOpenTcp.end() &&
         std::find(it->second.begin(), it->second.end(), port) != it->second.end();
}

std::string Mac(uint32_t ip) {
  char buf[32];
  if (IsHome(ip)) {
    const int o = static_cast<int>(ip & 0xff);
    if (o == 255) return "ff:ff:ff:ff:ff:ff";
    if (o == 65) return "00:02:b3:65:c9:71";               // the bridge / syslog host
    if (o == 67 || o == 69) return "00:b0:d0:87:85:c3";   // IP aliasing: one card, two IPs
    std::snprintf(buf, sizeof buf, "00:0c:29:0b:0b:%02x", o);
    return buf;
  }
  if ((ip & 0xffff0000) == 0xac1e0000) {  // 172.30.0.0/16: the internal office LAN
    std::snprintf(buf, sizeof buf, "00:0d:56:1e:%02x:%02x", (ip >> 8) & 0xff, ip & 0xff);
    return buf;
  }
  return "00:00:0c:46:5c:d1";  // upstream router: every outside address is behind it
}

std::string JsonStrList(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s + "]";
}

std::string JsonIntList(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

class Honeynet {
 public:
  Honeynet() : rng_(20040201), f_(cap_, Mac) {
    for (const char* s :
         {"63.126.133.117", "64.156.39.12", "66.60.166.84", "63.204.248.182", "218.103.70.82",
          "83.30.20.8", "217.81.50.100", "203.69.14.162", "80.184.152.4", "200.203.174.67",
          "200.203.174.125", "209.63.57.10", "195.36.244.104", "61.48.11.170", "22.22.22.22",
          "216.239.39.99", "66.35.250.150", "216.109.118.66", "207.46.130.14",
          "68.237.49.113", "161.58.176.160"}) {
      used_.insert(Ip4(s));
    }
  }

  void Build();
  void WriteTruth(const std::string& path);
  Capture& cap() { return cap_; }

 private:
  // Moves a session of `dur_us` that would overlap the capture gap to after it, so that the
  // gap holds no packet at all.
  uint64_t Place(uint64_t t, uint64_t dur_us = 600 * kSec) {
    if (t + dur_us > kGapFrom && t < kGapTo) t += (kGapTo - kGapFrom) + kSec;
    return t;
  }
  uint64_t TimeOnDay(int day, uint64_t from_s = 0, uint64_t to_s = 86399) {
    if (day == kDays - 1) to_s = std::min<uint64_t>(to_s, 13 * 3600);  // stay before kEnd
    return kT0 + day * kDay + rng_.Range(from_s, to_s) * kSec + rng_.Below(kSec);
  }
  int PickDay(const std::vector<uint64_t>& weights) {
    uint64_t total = 0;
    for (uint64_t w : weights) total += w;
    uint64_t r = rng_.Below(total);
    for (size_t d = 0; d < weights.size(); ++d) {
      if (r < weights[d]) return static_cast<int>(d);
      r -= weights[d];
    }
    return 0;
  }
  // A fresh public address never used before (so noise sources stay one-off).
  uint32_t NewOutside() {
    // /8s that were allocated and routed in February 2004 (201/8 only came in 2005).
    static const uint8_t kFirst[] = {24,  61,  62,  65,  66,  67,  68,  69,  80,  81,  82,
                                     83,  194, 195, 200, 202, 203, 209, 210, 211, 212, 213,
                                     217, 218, 219, 220, 221};
    for (;;) {
      uint32_t ip = (uint32_t{kFirst[rng_.Below(sizeof kFirst)]} << 24) |
                    static_cast<uint32_t>(rng_.Range(1, 254) << 16) |
                    static_cast<uint32_t>(rng_.Range(0, 255) << 8) |
                    static_cast<uint32_t>(rng_.Range(1, 254));
      if ((ip >> 16) == 0x8243) continue;    // 130.67/16 is reserved for the bare-ACK sources
      if ((ip >> 8) == 0xcb0071) continue;   // 203.0.113/24: RFC 5737 documentation
      if (used_.insert(ip).second) return ip;
    }
  }
  uint16_t Eph() { return static_cast<uint16_t>(rng_.Range(1025, 4999)); }
  uint32_t Isn() { return static_cast<uint32_t>(rng_.Next()); }
  uint8_t OutTtl() { return static_cast<uint8_t>(rng_.Below(2) ? rng_.Range(100, 120)
                                                                 : rng_.Range(40, 55)); }
  TcpConv Conv(uint64_t t, uint32_t c, uint16_t cp, uint32_t s, uint16_t sp) {
    const uint8_t cttl = IsHome(c) ? 64 : OutTtl();
    const uint8_t sttl = IsHome(s) ? 64 : OutTtl();
    return TcpConv(f_, t, {c, cp, Isn(), cttl, static_cast<uint16_t>(IsHome(c) ? 5840 : 64240)},
                   {s, sp, Isn(), sttl, static_cast<uint16_t>(IsHome(s) ? 5840 : 64240)});
  }
  // A SYN probe from outside: open port -> SYN-ACK then the prober's RST (half-open scan);
  // closed port on a live host -> RST-ACK; dark address -> nothing.
  void Probe(uint64_t t, uint32_t src, uint32_t dst, uint16_t dport, bool alive = true) {
    TcpConv c = Conv(t, src, Eph(), dst, dport);
    c.C(kSyn);
    if (!alive) return;
    if (IsOpen(static_cast<int>(dst & 0xff), dport)) {
      c.S(kSyn | kAck).C(kRst);
    } else {
      c.S(kRst | kAck);
    }
  }
  void FullSession(uint64_t t, uint32_t src, uint32_t dst, uint16_t port);

  void Background();
  void OpenPortEvidence();
  void IcmpPhenomena();
  void Scans();
  void SlowScanners();
  void SpoofAndBackscatter();
  void Compromise();
  void IdentAndDns();
  void HousekeepingUdp();
  void ReservedLeak();
  void BareAck();
  void PortTrends();

  Capture cap_;
  Rng rng_;
  PacketFactory f_;
  std::set<uint32_t> used_;
  // Planted truth that is known by construction.
  std::vector<std::string> internal_hosts_;
  std::vector<std::vector<std::string>> hosts_by_week_{4};
  uint64_t smb_tree_disconnect_ = 0, smb_echo_ = 0, nbstat_to_reserved_ = 0;
  std::vector<std::string> bare_ack_sources_, bare_ack_targets_;
  uint64_t code_red_ = 0, nimda_ = 0;
  std::map<uint16_t, std::vector<uint64_t>> trend_sources_;
};

void Honeynet::FullSession(uint64_t t, uint32_t src, uint32_t dst, uint16_t port) {
  TcpConv c = Conv(t, src, Eph(), dst, port);
  c.Handshake();
  switch (port) {
    case 21:
      c.S(kPsh | kAck, Str("220 FTP server (Version wu-2.6.1) ready.\r\n"))
          .C(kPsh | kAck, Str("USER anonymous\r\n"))
          .S(kPsh | kAck, Str("331 Guest login ok, send your e-mail as password.\r\n"))
          .C(kPsh | kAck, Str("QUIT\r\n"))
          .S(kPsh | kAck, Str("221 Goodbye.\r\n"));
      break;
    case 80:
      c.C(kPsh | kAck, Str("GET / HTTP/1.0\r\n\r\n"))
          .S(kPsh | kAck,
             Str("HTTP/1.1 200 OK\r\nServer: Apache/1.3.27 (Unix)\r\nContent-Length: 0\r\n\r\n"));
      break;
    case 139: {
      // NBSS session request (RFC 1002 4.3.2) and positive response.
      Bytes req{0x81, 0x00, 0x00, 0x44};
      Bytes called = NetbiosName("*SMBSERVER", 0x20), calling = NetbiosName("SCANNER", 0x00);
      req.insert(req.end(), called.begin(), called.end());
      req.insert(req.end(), calling.begin(), calling.end());
      c.C(kPsh | kAck, req).S(kPsh | kAck, Bytes{0x82, 0x00, 0x00, 0x00});
      break;
    }
    case 443: {
      // SSLv2 CLIENT-HELLO (the OpenSSL/slapper era), 7 cipher specs, 16-byte challenge.
      Bytes hello{0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
                  0x07, 0x00, 0xc0, 0x05, 0x00, 0x80, 0x03, 0x00, 0x80, 0x01, 0x00,
                  0x80, 0x06, 0x00, 0x40, 0x04, 0x00, 0x80, 0x02, 0x00, 0x80};
      for (int i = 0; i < 16; ++i) hello.push_back(static_cast<uint8_t>(rng_.Next()));
      c.C(kPsh | kAck, hello).S(kAck);
      break;
    }
    case 3128:
      c.C(kPsh | kAck, Str("CONNECT 64.4.50.50:25 HTTP/1.0\r\n\r\n"))
          .S(kPsh | kAck, Str("HTTP/1.0 403 Forbidden\r\n\r\n"));
      break;
    default:
      break;
  }
  c.CloseByClient();
}

// Internet noise: one-off sources, 1-3 SYN probes each within a minute, mostly on worm ports.
// Targets are weighted so that .75, .80 and .67 are clearly the most attacked hosts. The daily
// volume grows slowly over the month (the SOTM30 logs' "INBOUND TCP is increasing").
void Honeynet::Background() {
  std::vector<std::pair<int, uint64_t>> host_w;
  for (int h : kAlive) host_w.push_back({h, h == 75 ? 40 : h == 80 ? 34 : h == 67 ? 34 : 4});
  const std::vector<std::pair<uint16_t, uint64_t>> port_w = {
      {135, 30}, {445, 25}, {139, 10}, {80, 8},   {3127, 6},  {1433, 5}, {1080, 4}, {3128, 4},
      {4899, 3}, {21, 3},   {443, 3},  {1025, 2}, {901, 2},   {10080, 2}, {23, 2},  {25, 2}};
  auto pick = [&](const auto& table) {
    uint64_t total = 0;
    for (const auto& e : table) total += e.second;
    uint64_t r = rng_.Below(total);
    for (const auto& e : table) {
      if (r < e.second) return e.first;
      r -= e.second;
    }
    return table.front().first;
  };
  std::vector<uint64_t> day_w;
  for (int d = 0; d < kDays; ++d) day_w.push_back(20 + static_cast<uint64_t>(d));
  for (int n = 0; n < 1300; ++n) {
    const uint32_t src = NewOutside();
    uint64_t t = Place(TimeOnDay(PickDay(day_w)));
    const int probes = static_cast<int>(rng_.Range(1, 3));
    for (int k = 0; k < probes; ++k) {
      const int host = pick(host_w);
      const uint16_t port = pick(port_w);
      if (port == 80 && IsOpen(host, 80) && rng_.Below(4) == 0) {
        FullSession(t, src, H(host), 80);
      } else {
        Probe(t, src, H(host), port);
      }
      t += rng_.Range(1, 20) * kSec;
    }
  }
  // Inbound UDP noise: NBSTAT queries to port 137 (only .67 answers, see OpenPortEvidence) and
  // empty datagrams to 1026/1027, one-off sources.
  for (int n = 0; n < 60; ++n) {
    const uint32_t src = NewOutside();
    int host = kAlive[rng_.Below(kAlive.size())];
    if (host == 67) host = 70;
    const uint64_t t = Place(TimeOnDay(static_cast<int>(rng_.Below(kDays))));
    if (n % 2 == 0) {
      f_.AddUdp(t, src, 137, H(host), 137, NbnsNbstatQuery(static_cast<uint16_t>(rng_.Next())),
                OutTtl());
    } else {
      f_.AddUdp(t, src, Eph(), H(host), static_cast<uint16_t>(1026 + n % 4 / 2), {}, OutTtl());
    }
  }
  // The one-off burst (SOTM30: 66.60.166.84 hammering .75 over HTTPS around Feb 7, 17h): many
  // connections in 40 minutes, then never again. Not a slow scanner.
  const uint32_t burst = Ip4("66.60.166.84");
  for (int n = 0; n < 120; ++n) {
    FullSession(kT0 + 6 * kDay + 17 * 3600 * kSec + n * 20 * kSec + rng_.Below(5 * kSec), burst,
                H(75), 443);
  }
}

// Every open port is shown by complete sessions from several sources; .67 answers NBSTAT.
void Honeynet::OpenPortEvidence() {
  for (const auto& [host, ports] : kOpenTcp) {
    for (uint16_t port : ports) {
      for (int n = 0; n < 4; ++n) {
        FullSession(Place(TimeOnDay(static_cast<int>(rng_.Below(kDays)))), NewOutside(), H(host),
                    port);
      }
    }
  }
  const Bytes mac67{0x00, 0xb0, 0xd0, 0x87, 0x85, 0xc3};
  for (int n = 0; n < 6; ++n) {
    const uint32_t src = NewOutside();
    const uint64_t t = Place(TimeOnDay(static_cast<int>(rng_.Below(kDays))));
    const uint16_t id = static_cast<uint16_t>(rng_.Next());
    f_.AddUdp(t, src, 137, H(67), 137, NbnsNbstatQuery(id), OutTtl());
    f_.AddUdp(t + 2000, H(67), 137, src, 137,
              NbnsNbstatResponse(id, {"HONEYPOT67", "WORKGROUP"}, mac67), 64);
  }
}

void Honeynet::IcmpPhenomena() {
  // Welchia/Nachi: echo requests of IP length 92 with 64 bytes of 0xAA, from many infected
  // sources, each probing 1-3 hosts; fewer every day ("INBOUND ICMP is decreasing").
  std::vector<uint64_t> day_w;
  for (int d = 0; d < kDays; ++d) day_w.push_back(static_cast<uint64_t>(kDays + 3 - d));
  const Bytes aa(64, 0xaa);
  for (int n = 0; n < 260; ++n) {
    const uint32_t src = NewOutside();
    uint64_t t = Place(TimeOnDay(PickDay(day_w)));
    const uint8_t ttl = static_cast<uint8_t>(rng_.Range(100, 120));
    const int targets = static_cast<int>(rng_.Range(1, 3));
    for (int k = 0; k < targets; ++k) {
      const uint32_t dst = H(kAlive[rng_.Below(kAlive.size())]);
      const int pings = static_cast<int>(rng_.Range(1, 2));
      for (int p = 0; p < pings; ++p) {
        f_.AddEcho(t, src, dst, true, 0x0200, static_cast<uint16_t>(rng_.Next()), aa, ttl,
                   "welchia");
        t += rng_.Range(1, 3) * kSec;
      }
    }
  }
  // Windows ping (IP length 60, "abcdefghijklmnopqrstuvwabcdefghi"), 4 echoes, one host each.
  const Bytes win = Str("abcdefghijklmnopqrstuvwabcdefghi");
  for (int n = 0; n < 20; ++n) {
    const uint32_t src = NewOutside();
    const uint32_t dst = H(kAlive[rng_.Below(kAlive.size())]);
    const uint64_t t = Place(TimeOnDay(static_cast<int>(rng_.Below(kDays))));
    for (int p = 0; p < 4; ++p) {
      f_.AddEcho(t + p * kSec, src, dst, true, 0x0200, static_cast<uint16_t>(0x1000 + p), win,
                 118, "windows_ping");
    }
  }
  // Linux iputils ping (IP length 84): 8-byte timeval then bytes 0x08..0x37.
  {
    const uint32_t src = Ip4("68.237.49.113");
    const uint64_t t = kT0 + 12 * kDay + 9 * 3600 * kSec;
    for (int p = 0; p < 4; ++p) {
      Bytes data;
      const uint32_t sec = static_cast<uint32_t>((t / kSec) + p);
      for (int i = 3; i >= 0; --i) data.push_back(static_cast<uint8_t>(sec >> (8 * (3 - i))));
      data.insert(data.end(), {0x00, 0x0a, 0x3c, 0x11});
      for (uint8_t i = 8; i < 56; ++i) data.push_back(i);
      f_.AddEcho(t + p * kSec, src, H(75), true, 0x4d21, static_cast<uint16_t>(p + 1), data, 51,
                 "linux_ping");
    }
  }
  // nmap ping (IP length 28, no data): a ping sweep of 40 hosts (.61-.100, in order) ...
  {
    const uint32_t src = Ip4("217.81.50.100");
    const uint64_t t = kT0 + 2 * kDay + 3 * 3600 * kSec;
    for (int o = 61; o <= 100; ++o) {
      f_.AddEcho(t + (o - 61) * 1200000, src, H(o), true, static_cast<uint16_t>(0x3a00 + o), 0,
                 {}, 47, "nmap");
    }
  }
  // ... and an ICMP-only nmap user pinging two hosts 47 times within the hour.
  {
    const uint32_t src = Ip4("203.69.14.162");
    const uint64_t t = kT0 + 8 * kDay + 5 * 3600 * kSec;
    for (int p = 0; p < 47; ++p) {
      f_.AddEcho(t + p * 70 * kSec, src, H(p % 2 ? 64 : 75), true, 0x7c11, 0, {}, 49,
                 "nmap");
    }
  }
  // Windows tracert from outside (161.58.176.160) to .75. The sensor sits upstream of the two
  // honeynet routers, so it sees the probes arrive with TTL 1, 2, 3, 4 (3 each, IP length 92,
  // zero-filled): TTL 1 expires at 11.11.11.1, TTL 2 at 11.11.11.254 (time-exceeded back to
  // the source), TTL 3 and 4 reach .75, which (like every honeypot) does not answer echoes.
  {
    const uint32_t src = Ip4("161.58.176.160"), dst = H(75);
    const uint32_t routers[] = {H(1), H(254)};
    uint64_t t = kT0 + 7 * kDay + (11 * 3600 + 2 * 60 + 10) * kSec;
    const Bytes zeros(64, 0);
    uint16_t seq = 0x4b00;
    for (int ttl = 1; ttl <= 4; ++ttl) {
      for (int p = 0; p < 3; ++p, ++seq) {
        Bytes ip = f_.AddEcho(t, src, dst, true, 0x0200, seq, zeros, static_cast<uint8_t>(ttl),
                              "windows_tracert");
        if (ttl <= 2) {
          f_.AddTimeExceeded(t + 900, routers[ttl - 1], src, ip, 255);
        }
        t += ttl <= 2 ? 1200000 : 4000000;  // unanswered probes wait for the 4 s timeout
      }
    }
  }
}

void Honeynet::Scans() {
  // Sequential horizontal scan: port 135 on .1 .. .60 in address order (all dark).
  {
    const uint32_t src = Ip4("63.204.248.182");
    const uint64_t t = kT0 + 10 * kDay + (11 * 3600 + 8 * 60 + 38) * kSec;
    for (int o = 1; o <= 60; ++o) {
      Probe(t + (o - 1) * 1500000, src, H(o), 135, /*alive=*/false);
    }
  }
  // Random-order horizontal scan: port 445 on .61 .. .125 shuffled; live hosts answer RST.
  {
    const uint32_t src = Ip4("218.103.70.82");
    std::vector<int> order;
    for (int o = 61; o <= 125; ++o) order.push_back(o);
    rng_.Shuffle(order);
    const uint64_t t = kT0 + 16 * kDay + 4 * 3600 * kSec;
    for (size_t i = 0; i < order.size(); ++i) {
      const bool alive = std::find(kAlive.begin(), kAlive.end(), order[i]) != kAlive.end();
      Probe(t + i * 250000, src, H(order[i]), 445, alive);
    }
  }
  // Vertical scan of .80: ports 1..130 plus ten well-known ones, in random order.
  {
    const uint32_t src = Ip4("83.30.20.8");
    std::vector<uint16_t> ports;
    for (uint16_t p = 1; p <= 130; ++p) ports.push_back(p);
    for (uint16_t p : {135, 139, 443, 445, 1080, 1433, 3128, 3306, 3389, 8080}) ports.push_back(p);
    rng_.Shuffle(ports);
    const uint64_t t = kT0 + 21 * kDay + 2 * 3600 * kSec;
    for (size_t i = 0; i < ports.size(); ++i) Probe(t + i * 100000, src, H(80), ports[i]);
  }
  // nmap odd-flag probes (FIN, XMAS = FIN+PSH+URG, NULL) on six ports of one host each. All
  // ports are closed there, so each probe draws a RST-ACK (RFC 793 3.4).
  struct Odd {
    const char* src;
    int host;
    uint8_t flags;
    int day;
  };
  for (const Odd& o : {Odd{"80.184.152.4", 83, kFin, 5}, Odd{"200.203.174.67", 84,
                                                             kFin | kPsh | kUrg, 13},
                       Odd{"200.203.174.125", 85, 0, 19}}) {
    uint64_t t = kT0 + o.day * kDay + 6 * 3600 * kSec;
    const uint16_t sport = Eph();
    for (uint16_t port : {21, 22, 23, 25, 80, 110}) {
      const uint32_t seq = Isn();
      f_.AddTcp(t, {Ip4(o.src), H(o.host), sport, port, o.flags, seq, 0, 1024, 52, false});
      f_.AddTcp(t + 800, {H(o.host), Ip4(o.src), port, sport, kRst | kAck, 0,
                          seq + ((o.flags & kFin) ? 1u : 0u), 0, 64, true});
      t += 150000;
    }
  }
}

// Low and slow: 63.126.133.117 comes back every 3 days to the same two hosts and ports;
// 64.156.39.12 sends empty UDP datagrams to port 135 of three hosts every 9-12 hours.
void Honeynet::SlowScanners() {
  const uint32_t a = Ip4("63.126.133.117");
  for (int day = 2; day < kDays; day += 3) {
    uint64_t t = Place(TimeOnDay(day, 3600, 12 * 3600));
    for (int host : {72, 73}) {
      for (uint16_t port : {135, 445}) {
        Probe(t, a, H(host), port);
        t += rng_.Range(20, 40) * kSec;
      }
    }
  }
  const uint32_t b = Ip4("64.156.39.12");
  for (uint64_t t = kT0 + 10 * 3600 * kSec; t < kEnd - 3600 * kSec;
       t += rng_.Range(9 * 3600, 12 * 3600) * kSec) {
    if (InGap(t) || InGap(t + 60 * kSec)) continue;
    uint64_t u = t;
    for (int host : {80, 83, 84}) {
      f_.AddUdp(u, b, 1029, H(host), 135, {}, 110);
      u += rng_.Range(2, 9) * kSec;
    }
  }
}

void Honeynet::SpoofAndBackscatter() {
  // Loopback RSTs (SOTM30: SRC=127.0.0.1 SPT=80 ... ACK RST, WINDOW=0, TTL=119, Feb 16 08:08).
  uint64_t t = kT0 + 15 * kDay + (8 * 3600 + 8 * 60 + 9) * kSec;
  for (int n = 0; n < 15; ++n) {
    const int host = kAlive[rng_.Below(kAlive.size())];
    f_.AddTcp(t, {Ip4("127.0.0.1"), H(host), 80, Eph(), kRst | kAck, 0, Isn(), 0, 119, false});
    t += rng_.Range(10, 40) * kSec;
  }
  // RFC 1918 sources that can only be spoofed on the outside interface.
  struct Sp {
    const char* src;
    int day;
    int n;
    uint8_t flags;
  };
  for (const Sp& s : {Sp{"10.10.228.18", 4, 8, kRst}, Sp{"192.168.0.1", 12, 10, kRst | kAck},
                      Sp{"192.168.0.9", 12, 10, kRst}, Sp{"172.16.3.74", 20, 6, kRst | kAck}}) {
    uint64_t u = Place(kT0 + s.day * kDay + 14 * 3600 * kSec);
    for (int n = 0; n < s.n; ++n) {
      const int host = kAlive[rng_.Below(kAlive.size())];
      f_.AddTcp(u, {Ip4(s.src), H(host), static_cast<uint16_t>(s.flags & kAck ? 80 : Eph()),
                    Eph(), s.flags, Isn(), Isn(), 0, 113, false});
      u += rng_.Range(5, 60) * kSec;
    }
  }
  // Backscatter: SYN-ACKs / RST-ACKs from servers that were SYN-flooded with home addresses
  // forged as the source. The home hosts never sent a SYN; the bridge drops the answers.
  struct Bs {
    const char* src;
    uint16_t sport;
    uint8_t flags;
    int day;
    int n;
  };
  for (const Bs& b : {Bs{"66.35.250.150", 80, kSyn | kAck, 3, 12},
                      Bs{"216.109.118.66", 25, kSyn | kAck, 18, 10},
                      Bs{"207.46.130.14", 80, kRst | kAck, 22, 10}}) {
    uint64_t u = kT0 + b.day * kDay + 20 * 3600 * kSec;
    for (int n = 0; n < b.n; ++n) {
      const int host = kAlive[rng_.Below(kAlive.size())];
      f_.AddTcp(u, {Ip4(b.src), H(host), b.sport, Eph(), b.flags, Isn(), Isn(), 8760, 50, true});
      u += rng_.Range(30, 300) * kSec;
    }
  }
}

// .69 is attacked over HTTPS, then downloads a kit by FTP (passive mode) and joins IRC.
void Honeynet::Compromise() {
  const uint32_t h69 = H(69);
  {
    const uint64_t t = kT0 + 6 * kDay + (15 * 3600 + 55 * 60) * kSec;
    TcpConv c = Conv(t, Ip4("61.48.11.170"), 4022, h69, 443);
    Bytes hello{0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
    Bytes exploit(1200, 0x90);  // NOP sled stand-in for the SSLv2 key-arg overflow
    for (int i = 0; i < 37; ++i) hello.push_back(static_cast<uint8_t>(0x41 + i % 26));
    c.Handshake().C(kPsh | kAck, hello).S(kAck).C(kPsh | kAck, exploit).S(kAck);
    c.S(kPsh | kAck, Str("uid=48(apache) gid=48(apache) groups=48(apache)\n"))
        .C(kAck)
        .CloseByClient();
  }
  const uint32_t ftp = Ip4("209.63.57.10");
  uint64_t t = kT0 + 6 * kDay + (16 * 3600 + 28 * 60 + 50) * kSec;
  TcpConv ctl = Conv(t, h69, 32770, ftp, 21);
  ctl.Handshake()
      .S(kPsh | kAck, Str("220 0catch.com FTP server ready.\r\n"))
      .C(kPsh | kAck, Str("USER anonymous\r\n"))
      .S(kPsh | kAck, Str("331 Guest login ok, send your e-mail as password.\r\n"))
      .C(kPsh | kAck, Str("PASS wget@\r\n"))
      .S(kPsh | kAck, Str("230 Guest login ok, access restrictions apply.\r\n"))
      .C(kPsh | kAck, Str("TYPE I\r\n"))
      .S(kPsh | kAck, Str("200 Type set to I.\r\n"))
      .C(kPsh | kAck, Str("PASV\r\n"))
      .S(kPsh | kAck, Str("227 Entering Passive Mode (209,63,57,10,12,110)\r\n"));
  // 12*256+110 = 3182: the data connection.
  TcpConv data = Conv(ctl.now(), h69, 32771, ftp, 3182);
  data.Handshake();
  ctl.Wait(data.now() - ctl.now());
  ctl.C(kPsh | kAck, Str("RETR psybnc.tgz\r\n"))
      .S(kPsh | kAck,
         Str("150 Opening BINARY mode data connection for psybnc.tgz (29200 bytes).\r\n"));
  Bytes kit(29200);
  for (auto& b : kit) b = static_cast<uint8_t>(rng_.Next());
  kit[0] = 0x1f;  // gzip magic
  kit[1] = 0x8b;
  data.Wait(ctl.now() - data.now());
  data.SBulk(kit).S(kFin | kAck).C(kFin | kAck).S(kAck);
  ctl.Wait(data.now() - ctl.now());
  ctl.S(kPsh | kAck, Str("226 Transfer complete.\r\n"))
      .C(kPsh | kAck, Str("QUIT\r\n"))
      .S(kPsh | kAck, Str("221 Goodbye.\r\n"))
      .CloseByClient();

  // IRC: joins a channel, answers the server's PING every 2 minutes for 3 hours (keep-alives
  // well inside any flow idle timeout, so the connection stays one flow), then quits.
  t = kT0 + 7 * kDay + (10 * 3600 + 50 * 60 + 4) * kSec;
  TcpConv irc = Conv(t, h69, 32772, Ip4("195.36.244.104"), 6667);
  irc.Handshake()
      .C(kPsh | kAck, Str("NICK h0n3y\r\nUSER h0n3y 8 * :h0n3y\r\n"))
      .S(kPsh | kAck, Str(":irc.h4x.net 001 h0n3y :Welcome to the IRC Network h0n3y\r\n"))
      .C(kPsh | kAck, Str("JOIN #h4x0r\r\n"))
      .S(kPsh | kAck, Str(":h0n3y!h0n3y@11.11.11.69 JOIN :#h4x0r\r\n"))
      .C(kAck);
  for (int ping = 0; ping < 90; ++ping) {
    irc.Wait(120 * kSec);
    irc.S(kPsh | kAck, Str("PING :irc.h4x.net\r\n")).C(kPsh | kAck, Str("PONG :irc.h4x.net\r\n"));
  }
  irc.C(kPsh | kAck, Str("QUIT :bye\r\n"))
      .S(kPsh | kAck, Str("ERROR :Closing Link: h0n3y (Quit: bye)\r\n"))
      .S(kFin | kAck)
      .C(kFin | kAck)
      .S(kAck);
}

// .73 is NOT compromised: its only outbound traffic is ident (113) lookups back to the clients
// of its FTP server, and DNS queries to the provider's resolver.
void Honeynet::IdentAndDns() {
  const uint32_t h73 = H(73);
  for (int n = 0; n < 16; ++n) {
    const uint32_t client = NewOutside();
    const uint64_t t = Place(TimeOnDay(static_cast<int>(rng_.Below(kDays))));
    const uint16_t cport = Eph();
    TcpConv c = Conv(t, client, cport, h73, 21);
    c.Handshake();
    TcpConv ident = Conv(c.now(), h73, static_cast<uint16_t>(32800 + n), client, 113);
    if (n % 4 == 0) {
      ident.Handshake()
          .C(kPsh | kAck, Str(std::to_string(cport) + ", 21\r\n"))
          .S(kPsh | kAck, Str(std::to_string(cport) + ", 21 : ERROR : NO-USER\r\n"))
          .S(kFin | kAck)
          .C(kFin | kAck)
          .S(kAck);
    } else {
      ident.C(kSyn).S(kRst | kAck);
    }
    c.Wait(ident.now() - c.now());
    c.S(kPsh | kAck, Str("220 FTP server (Version wu-2.6.1) ready.\r\n"))
        .C(kPsh | kAck, Str("QUIT\r\n"))
        .S(kPsh | kAck, Str("221 Goodbye.\r\n"))
        .CloseByClient();
  }
  const uint32_t resolver = Ip4("22.22.22.22");
  for (int n = 0; n < 30; ++n) {
    const uint64_t t = Place(TimeOnDay(static_cast<int>(rng_.Below(kDays))));
    const uint16_t id = static_cast<uint16_t>(rng_.Next());
    const std::string name = "host" + std::to_string(n) + ".example.net";
    const uint16_t sport = static_cast<uint16_t>(1030 + n);
    f_.AddUdp(t, h73, sport, resolver, 53, DnsQuery(id, name), 64);
    f_.AddUdp(t + 35000, resolver, 53, h73, sport,
              DnsResponse(id, name, 0x0a000000u | static_cast<uint32_t>(n)), 60);
  }
}

// Syslog from .67 and .69 (one card, two IPs) to the bridge .65 every 20 minutes, NBNS name
// registrations broadcast twice a day, and the two packets that bound the capture gap.
void Honeynet::HousekeepingUdp() {
  static const char* kMon = "Feb";
  int k = 0;
  for (uint64_t t = kT0 + 60 * kSec; t < kEnd - 60 * kSec; t += 1200 * kSec, ++k) {
    if (InGap(t) || t == kGapFrom || t == kGapTo) continue;
    const int host = (k % 2) ? 69 : 67;
    const uint64_t s = (t - kT0) / kSec;
    char msg[160];
    std::snprintf(msg, sizeof msg, "<38>%s %2d %02d:%02d:%02d hp%d sshd[%d]: session check ok",
                  kMon, static_cast<int>(s / 86400 + 1), static_cast<int>(s / 3600 % 24),
                  static_cast<int>(s / 60 % 60), static_cast<int>(s % 60), host,
                  1000 + k % 3000);
    f_.AddUdp(t, H(host), 1025, H(65), 514, Str(msg), 64);
  }
  for (uint64_t t = kT0 + 3 * 3600 * kSec; t < kEnd - 3600 * kSec; t += 12 * 3600 * kSec) {
    if (InGap(t) || InGap(t + 7 * 60 * kSec)) continue;
    f_.AddUdp(t, H(67), 137, H(255), 137,
              NbnsRegistration(static_cast<uint16_t>(t / kSec), "HONEYPOT67", H(67)), 64);
    f_.AddUdp(t + 7 * 60 * kSec, H(69), 137, H(255), 137,
              NbnsRegistration(static_cast<uint16_t>(t / kSec + 1), "HONEYPOT69", H(69)), 64);
  }
  f_.AddUdp(kGapFrom, H(69), 137, H(255), 137, NbnsRegistration(0x1469, "HONEYPOT69", H(69)), 64,
            "gap_start");
  f_.AddUdp(kGapTo, H(67), 137, H(255), 137, NbnsRegistration(0x1067, "HONEYPOT67", H(67)), 64,
            "gap_end");
}

// The 1.11.0.0/16 leak: internal Windows hosts send SMB (Tree Disconnect, Echo) over 445 after
// a SYN that is never answered, and NBSTAT queries, to 1.11.0.0/16; more hosts every week
// (2, 4, 7, 10).
void Honeynet::ReservedLeak() {
  const std::vector<std::pair<const char*, int>> hosts = {
      {"172.30.3.56", 0},  {"172.30.3.78", 0},  {"172.30.2.201", 1}, {"172.30.1.15", 1},
      {"172.30.2.33", 2},  {"172.30.4.12", 2},  {"172.30.1.140", 2}, {"172.30.3.99", 3},
      {"172.30.4.77", 3},  {"172.30.2.18", 3}};
  for (const auto& [ip, first_week] : hosts) {
    internal_hosts_.push_back(ip);
    const uint32_t src = Ip4(ip);
    for (int week = first_week; week < 4; ++week) {
      hosts_by_week_[week].push_back(ip);
      for (int s = 0; s < 2; ++s) {
        // ISO weeks: Monday Feb 2, 9, 16, 23 (Feb 1 2004 is a Sunday); the last week ends with
        // the capture on Friday Feb 27.
        const int day = 1 + week * 7 + static_cast<int>(rng_.Below(week == 3 ? 5 : 7));
        uint64_t t = Place(TimeOnDay(day), 60 * kSec);
        const uint32_t dst = 0x010b0000u | static_cast<uint32_t>(rng_.Range(1, 120) << 8) |
                             static_cast<uint32_t>(rng_.Range(1, 254));
        const uint16_t sport = Eph();
        const uint32_t seq = Isn(), ack = Isn();
        f_.AddTcp(t, {src, dst, sport, 445, kSyn, seq, 0, 64240, 128, true});
        uint32_t next = seq + 1;
        const uint16_t pid = static_cast<uint16_t>(rng_.Range(100, 4000));
        int mid = 1;
        for (uint8_t cmd : {0x71, 0x2b, 0x71}) {
          t += rng_.Range(1, 3) * kSec;
          const Bytes smb = NbssSmb1Request(cmd, 2048, pid, 2049, static_cast<uint16_t>(mid++));
          f_.AddTcp(t, {src, dst, sport, 445, kPsh | kAck, next, ack, 64240, 128, true}, smb);
          next += static_cast<uint32_t>(smb.size());
          (cmd == 0x71 ? smb_tree_disconnect_ : smb_echo_) += 1;
        }
        t += rng_.Range(1, 5) * kSec;
        f_.AddUdp(t, src, 137, dst, 137, NbnsNbstatQuery(static_cast<uint16_t>(rng_.Next())), 128);
        ++nbstat_to_reserved_;
      }
    }
  }
}

// Bare ACKs: ACK+PSH segments carrying Code Red (.ida) or Nimda (cmd.exe) requests, with no
// handshake, from 130.67.0.0/16 to home addresses that never answer.
void Honeynet::BareAck() {
  const char* srcs[] = {"130.67.240.225", "130.67.216.237", "130.67.114.61", "130.67.10.87",
                        "130.67.240.131", "130.67.58.251",  "130.67.118.172", "130.67.229.89"};
  std::string ida = "GET /default.ida?" + std::string(224, 'N') +
                    "%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3"
                    "%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a "
                    "HTTP/1.0\r\nContent-type: text/xml\r\nContent-length: 3379\r\n\r\n";
  std::string nimda =
      "GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0\r\nHost: www\r\n"
      "Connnection: close\r\n\r\n";
  int k = 0, src_index = 0;
  for (const char* s : srcs) {
    bare_ack_sources_.push_back(s);
    const int n = 1 + (src_index++ % 3);  // 1, 2 or 3 segments per source: 15 in all
    for (int i = 0; i < n; ++i, ++k) {
      const int dark = 140 + static_cast<int>(rng_.Below(111));  // .140 - .250: unused
      const std::string target = Ip4(H(dark));
      if (std::find(bare_ack_targets_.begin(), bare_ack_targets_.end(), target) ==
          bare_ack_targets_.end()) {
        bare_ack_targets_.push_back(target);
      }
      const bool is_nimda = (k % 8) < 5;  // cmd.exe outnumbers .ida, as in the logged trickle
      const uint64_t t = Place(TimeOnDay(3 + static_cast<int>(rng_.Below(6))));
      f_.AddTcp(t, {Ip4(s), H(dark), Eph(), 80, kPsh | kAck, Isn(), Isn(), 8760, 101, true},
                Str(is_nimda ? nimda : ida), is_nimda ? "nimda" : "code_red");
      (is_nimda ? nimda_ : code_red_) += 1;
    }
  }
  std::sort(bare_ack_targets_.begin(), bare_ack_targets_.end());
}

// Daily distinct sources: port 6129 (DameWare) grows from 1 to 14 a day, port 17300 (Kuang2)
// shrinks from 14 to 1. One-off sources, one SYN each, answered by RST-ACK (closed everywhere).
void Honeynet::PortTrends() {
  for (int d = 0; d < kDays; ++d) {
    const int grow = 1 + d / 2, shrink = 14 - d / 2;
    for (auto [port, count] : {std::pair<uint16_t, int>{6129, grow}, {17300, shrink}}) {
      trend_sources_[port].push_back(static_cast<uint64_t>(count));
      for (int n = 0; n < count; ++n) {
        const int host = kAlive[rng_.Below(kAlive.size())];
        // Keep each day's count intact: on the gap's two days, stay on the day's open side.
        const uint64_t t = d == 9    ? TimeOnDay(d, 0, 14 * 3600)
                           : d == 10 ? TimeOnDay(d, 10 * 3600 + 300, 86399)
                                     : TimeOnDay(d);
        Probe(t, NewOutside(), H(host), port);
      }
    }
  }
}

void Honeynet::Build() {
  HousekeepingUdp();
  Background();
  OpenPortEvidence();
  IcmpPhenomena();
  Scans();
  SlowScanners();
  SpoofAndBackscatter();
  Compromise();
  IdentAndDns();
  ReservedLeak();
  BareAck();
  PortTrends();
}

void Honeynet::WriteTruth(const std::string& path) {
  const std::vector<Frame>& frames = cap_.Sorted();
  // Margin checks: fail loudly rather than write truth the capture does not support.
  std::map<uint32_t, uint64_t> inbound;
  std::map<int, std::map<std::string, uint64_t>> icmp;  // ip_len -> label -> echo requests
  uint64_t max_other_gap = 0, gap_from = 0, gap_to = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameMeta& m = frames[i].meta;
    if (m.proto && IsHome(m.dst) && !IsHome(m.src) && (m.dst & 0xff) != 255) ++inbound[m.dst];
    if (m.proto == 1) ++icmp[m.ip_len][m.label];
    if (i > 0) {
      const uint64_t d = m.ts_us - frames[i - 1].meta.ts_us;
      if (d > gap_to - gap_from) {
        max_other_gap = std::max(max_other_gap, gap_to - gap_from);
        gap_from = frames[i - 1].meta.ts_us;
        gap_to = m.ts_us;
      } else {
        max_other_gap = std::max(max_other_gap, d);
      }
    }
  }
  if (gap_from != kGapFrom || gap_to != kGapTo) throw std::runtime_error("gap not where planted");
  if (max_other_gap > 30 * 60 * kSec) throw std::runtime_error("background has a long lull");
  if (frames.front().meta.ts_us < kT0 || frames.back().meta.ts_us > kEnd) {
    throw std::runtime_error("packets outside the month");
  }
  std::vector<std::pair<uint64_t, uint32_t>> rank;
  for (auto [ip, n] : inbound) rank.push_back({n, ip});
  std::sort(rank.begin(), rank.end(), [](auto a, auto b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (rank.size() < 4 || rank[2].first < rank[3].first * 3 / 2) {
    throw std::runtime_error("top-3 hosts not clearly ahead");
  }
  const Totals totals = cap_.ComputeTotals();

  std::ostringstream j;
  j << "{\n";
  j << "  \"capture\": {\"first_ns\": " << frames.front().meta.ts_us * 1000
    << ", \"last_ns\": " << frames.back().meta.ts_us * 1000 << ", \"days\": " << kDays
    << ", \"max_other_gap_s\": " << max_other_gap / kSec << "},\n";
  j << "  \"home\": [\"11.11.11.0/24\", \"172.30.0.0/16\"],\n";
  j << "  \"honeynet\": \"11.11.11.0/24\",\n";
  j << "  \"internal_lan\": \"172.30.0.0/16\",\n";
  j << "  \"hosts_top3\": " << JsonStrList({Ip4(rank[0].second), Ip4(rank[1].second),
                                             Ip4(rank[2].second)})
    << ",\n";
  j << "  \"hosts_inbound_packets\": {";
  for (size_t i = 0; i < rank.size(); ++i) {
    j << (i ? ", " : "") << "\"" << Ip4(rank[i].second) << "\": " << rank[i].first;
  }
  j << "},\n";
  j << "  \"open_ports\": {\n";
  {
    size_t i = 0;
    for (const auto& [host, ports] : kOpenTcp) {
      std::vector<uint64_t> p(ports.begin(), ports.end());
      j << "    \"" << Ip4(H(host)) << "\": {\"tcp\": " << JsonIntList(p)
        << ", \"udp\": " << (host == 67 ? "[137]" : "[]") << "}"
        << (++i < kOpenTcp.size() ? ",\n" : "\n");
    }
  }
  j << "  },\n";
  j << "  \"mac_aliases\": [{\"mac\": \"00:b0:d0:87:85:c3\", \"ips\": [\"11.11.11.67\", "
       "\"11.11.11.69\"]}],\n";
  j << "  \"logging_host\": {\"ip\": \"11.11.11.65\", \"mac\": \"00:02:b3:65:c9:71\", "
       "\"udp_port\": 514, \"senders\": [\"11.11.11.67\", \"11.11.11.69\"]},\n";
  j << "  \"gateway_mac\": \"00:00:0c:46:5c:d1\",\n";
  j << "  \"icmp_lengths\": {\n";
  {
    size_t i = 0;
    for (const auto& [len, labels] : icmp) {
      uint64_t total = 0;
      std::string label, by;
      for (const auto& [l, n] : labels) {
        total += n;
        label += (label.empty() ? "" : "+") + l;
        by += (by.empty() ? "\"" : ", \"") + l + "\": " + std::to_string(n);
      }
      j << "    \"" << len << "\": {\"packets\": " << total << ", \"label\": \"" << label
        << "\", \"by_fingerprint\": {" << by << "}}" << (++i < icmp.size() ? ",\n" : "\n");
    }
  }
  j << "  },\n";
  j << "  \"ping_sweeps\": [{\"src\": \"217.81.50.100\", \"targets\": 40, \"ip_len\": 28}],\n";
  j << "  \"horizontal_scans\": [\n"
       "    {\"src\": \"63.204.248.182\", \"port\": 135, \"targets\": 60, \"sequential\": true},\n"
       "    {\"src\": \"218.103.70.82\", \"port\": 445, \"targets\": 65, \"sequential\": false}\n"
       "  ],\n";
  j << "  \"vertical_scans\": [{\"src\": \"83.30.20.8\", \"dst\": \"11.11.11.80\", \"ports\": "
       "140}],\n";
  j << "  \"odd_flag_probes\": [\n"
       "    {\"src\": \"80.184.152.4\", \"kind\": \"FIN\", \"dst\": \"11.11.11.83\", \"ports\": 6},\n"
       "    {\"src\": \"200.203.174.67\", \"kind\": \"XMAS\", \"dst\": \"11.11.11.84\", "
       "\"ports\": 6},\n"
       "    {\"src\": \"200.203.174.125\", \"kind\": \"NULL\", \"dst\": \"11.11.11.85\", "
       "\"ports\": 6}\n"
       "  ],\n";
  j << "  \"traceroutes\": [{\"src\": \"161.58.176.160\", \"dst\": \"11.11.11.75\", "
       "\"ttls_seen\": [1, 2, 3, 4], \"time_exceeded\": 6, \"routers\": [\"11.11.11.1\", "
       "\"11.11.11.254\"], \"tool\": \"windows_tracert\"}],\n";
  j << "  \"slow_scanners\": [\"63.126.133.117\", \"64.156.39.12\"],\n";
  j << "  \"not_slow\": [\"66.60.166.84\", \"63.204.248.182\", \"218.103.70.82\", "
       "\"83.30.20.8\"],\n";
  j << "  \"spoofed\": [\n"
       "    {\"src\": \"127.0.0.1\", \"kind\": \"loopback\"},\n"
       "    {\"src\": \"10.10.228.18\", \"kind\": \"rfc1918\"},\n"
       "    {\"src\": \"172.16.3.74\", \"kind\": \"rfc1918\"},\n"
       "    {\"src\": \"192.168.0.1\", \"kind\": \"rfc1918\"},\n"
       "    {\"src\": \"192.168.0.9\", \"kind\": \"rfc1918\"}\n"
       "  ],\n";
  j << "  \"backscatter\": [\"10.10.228.18\", \"127.0.0.1\", \"172.16.3.74\", \"192.168.0.1\", "
       "\"192.168.0.9\", \"207.46.130.14\", \"216.109.118.66\", \"66.35.250.150\"],\n";
  j << "  \"backscatter_genuine\": [\"207.46.130.14\", \"216.109.118.66\", \"66.35.250.150\"],\n";
  j << "  \"compromised\": [{\"host\": \"11.11.11.69\", \"outbound\": [\n"
       "    {\"dst\": \"209.63.57.10\", \"port\": 21},\n"
       "    {\"dst\": \"209.63.57.10\", \"port\": 3182},\n"
       "    {\"dst\": \"195.36.244.104\", \"port\": 6667}\n"
       "  ]}],\n";
  j << "  \"not_compromised\": [\"11.11.11.73\"],\n";
  j << "  \"gaps\": [{\"from_ns\": " << kGapFrom * 1000 << ", \"to_ns\": " << kGapTo * 1000
    << "}],\n";
  j << "  \"reserved_destinations\": {\"network\": \"1.11.0.0/16\", \"hosts\": ";
  std::vector<std::string> sorted_hosts = internal_hosts_;
  std::sort(sorted_hosts.begin(), sorted_hosts.end());
  j << JsonStrList(sorted_hosts) << ", \"hosts_per_week\": [";
  for (int w = 0; w < 4; ++w) j << (w ? ", " : "") << hosts_by_week_[w].size();
  j << "], \"week_start_ns\": [";
  for (int w = 0; w < 4; ++w) j << (w ? ", " : "") << (kT0 + (1 + w * 7) * kDay) * 1000;
  j << "], \"smb1_commands\": {\"0x71\": " << smb_tree_disconnect_ << ", \"0x2b\": " << smb_echo_
    << "}, \"nbns_nbstat_queries\": " << nbstat_to_reserved_ << ", \"answered\": false},\n";
  j << "  \"bare_ack\": {\"sources\": " << JsonStrList(bare_ack_sources_)
    << ", \"source_network\": \"130.67.0.0/16\", \"labels\": {\"code_red\": " << code_red_
    << ", \"nimda\": " << nimda_ << "}, \"targets\": " << JsonStrList(bare_ack_targets_)
    << ", \"targets_dark\": true},\n";
  j << "  \"port_trends\": {\"growing\": [6129], \"shrinking\": [17300], \"daily_sources\": "
       "{\"6129\": "
    << JsonIntList(trend_sources_[6129]) << ", \"17300\": " << JsonIntList(trend_sources_[17300])
    << "}},\n";
  j << TotalsJson(totals, "  ") << "\n";
  j << "}\n";
  std::ofstream out(path, std::ios::binary);
  out << j.str();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int GenerateHoneynet(const std::string& pcap_path, const std::string& truth_path) {
  Honeynet h;
  h.Build();
  h.cap().Write(pcap_path);
  h.WriteTruth(truth_path);
  return 0;
}

}  // namespace tapwatch::tools
