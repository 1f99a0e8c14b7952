// Small focused captures for unit and differential tests (pcaps/README.md documents each).
#include <fstream>
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
constexpr uint64_t kBase = 1100000000ULL * kSec;  // 2004-11-09 11:33:20 UTC

std::string LanMac(uint32_t ip) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "02:00:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 0xff,
                (ip >> 8) & 0xff, ip & 0xff);
  return buf;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string Finish(Capture& cap, const std::string& dir, const std::string& name,
                   const std::string& body) {
  cap.Write(dir + "/" + name + ".pcap");
  return "{\n" + body + TotalsJson(cap.ComputeTotals(), "  ") + "\n}\n";
}

// Welchia echoes (64 x 0xAA) next to a Windows tracert (64 zero bytes): same IP length 92.
void WelchiaVsTracert(const std::string& dir) {
  Capture cap;
  PacketFactory f(cap, LanMac);
  uint64_t t = kBase;
  const Bytes aa(64, 0xaa), zeros(64, 0);
  const char* worms[] = {"61.12.34.56", "202.96.1.7", "218.8.9.10"};
  uint16_t seq = 0x1200;
  for (const char* w : worms) {
    for (const char* dst : {"11.11.11.75", "11.11.11.80"}) {
      for (int p = 0; p < 2; ++p) {
        f.AddEcho(t, Ip4(w), Ip4(dst), true, 0x0200, seq++, aa, 113, "welchia");
        t += kSec;
      }
    }
  }
  const uint32_t src = Ip4("11.11.11.64"), dst = Ip4("216.239.39.99");
  const char* routers[] = {"12.118.20.1", "12.123.13.62", "12.122.2.149"};
  for (int ttl = 1; ttl <= 4; ++ttl) {
    for (int p = 0; p < 3; ++p, ++seq) {
      Bytes ip = f.AddEcho(t, src, dst, true, 0x0200, seq, zeros, static_cast<uint8_t>(ttl),
                           "windows_tracert");
      if (ttl < 4) {
        f.AddTimeExceeded(t + 20000, Ip4(routers[ttl - 1]), src, ip,
                          static_cast<uint8_t>(255 - ttl));
      } else {
        f.AddEcho(t + 40000, dst, src, false, 0x0200, seq, zeros, 56, "tracert_reply");
      }
      t += kSec;
    }
  }
  const std::string body =
      "  \"icmp_lengths\": {\"92\": {\"packets\": 24, \"label\": \"welchia+windows_tracert\", "
      "\"by_fingerprint\": {\"welchia\": 12, \"windows_tracert\": 12}}},\n"
      "  \"echo_replies\": {\"92\": 3},\n"
      "  \"time_exceeded\": 9,\n"
      "  \"welchia_sources\": [\"202.96.1.7\", \"218.8.9.10\", \"61.12.34.56\"],\n"
      "  \"traceroutes\": [{\"src\": \"11.11.11.64\", \"dst\": \"216.239.39.99\", \"hops\": 4, "
      "\"tool\": \"windows_tracert\"}],\n";
  WriteFile(dir + "/welchia_vs_tracert.truth.json", Finish(cap, dir, "welchia_vs_tracert", body));
}

// Bare ACKs: ACK+PSH segments with Code Red / Nimda requests and no handshake, to dark hosts;
// one normal HTTP session carrying the same .ida request as a control (NOT a bare ACK).
void CodeRedBareAck(const std::string& dir) {
  Capture cap;
  PacketFactory f(cap, LanMac);
  const std::string ida = "GET /default.ida?" + std::string(224, 'N') +
                          "%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3"
                          "%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000"
                          "%u00=a HTTP/1.0\r\nContent-type: text/xml\r\nContent-length: 3379 "
                          "\r\n\r\n";
  const std::string nimda =
      "GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0\r\nHost: www\r\n"
      "Connnection: close\r\n\r\n";
  struct B {
    const char* src;
    uint16_t sport;
    const char* dst;
    bool is_nimda;
  };
  const B bare[] = {
      {"130.67.240.225", 1450, "130.216.223.150", true}, {"130.67.216.237", 3339, "130.216.246.91", true},
      {"130.67.216.237", 3955, "130.216.145.172", true}, {"130.67.114.61", 2124, "130.216.213.213", false},
      {"130.67.10.87", 1922, "130.216.78.223", true},    {"130.67.58.251", 3371, "130.216.187.210", false},
      {"130.67.118.172", 4396, "130.216.149.34", true},  {"130.67.229.89", 2904, "130.216.51.74", false},
  };
  uint64_t t = kBase;
  uint32_t seq = 0xe68e61f7, ack = 0xe5c99396;  // as logged: Seq 0xE68E61F7 Ack 0xE5C99396
  for (const B& b : bare) {
    f.AddTcp(t, {Ip4(b.src), Ip4(b.dst), b.sport, 80, kPsh | kAck, seq, ack, 0x2238, 101, true},
             Str(b.is_nimda ? nimda : ida), b.is_nimda ? "nimda" : "code_red");
    seq += 0x01010101;
    ack += 0x00f00f01;
    t += kSec;
  }
  // Control: a real handshake, then the same .ida request, answered and closed.
  TcpConv c(f, t, {Ip4("130.216.5.9"), 1100, 1000, 116, 8760},
            {Ip4("130.216.223.10"), 80, 5000, 64, 5840}, kSec);
  c.Handshake()
      .C(kPsh | kAck, Str(ida), "code_red_handshaked")
      .S(kPsh | kAck, Str("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
      .CloseByClient();
  const std::string body =
      "  \"bare_ack\": {\"sources\": [\"130.67.10.87\", \"130.67.114.61\", \"130.67.118.172\", "
      "\"130.67.216.237\", \"130.67.229.89\", \"130.67.240.225\", \"130.67.58.251\"], "
      "\"source_network\": \"130.67.0.0/16\", \"flows\": 8, \"labels\": {\"code_red\": 3, "
      "\"nimda\": 5}, \"targets_dark\": true},\n"
      "  \"not_bare_ack\": [{\"src\": \"130.216.5.9\", \"sport\": 1100, \"dst\": "
      "\"130.216.223.10\", \"dport\": 80, \"label\": \"code_red\", \"history\": \"ShADdFf\"}],\n";
  WriteFile(dir + "/codered_bare_ack.truth.json", Finish(cap, dir, "codered_bare_ack", body));
}

// The 1.11.0.0/16 leak: internal hosts send SMB1 Tree Disconnect / Echo after an unanswered SYN,
// and NBSTAT queries, to 1.11.0.0/16.
void SmbReservedLeak(const std::string& dir) {
  Capture cap;
  PacketFactory f(cap, LanMac);
  struct L {
    const char* src;
    uint16_t sport;
    const char* dst;
  };
  const L leaks[] = {{"172.30.3.56", 4425, "1.11.68.22"},
                     {"172.30.3.78", 1160, "1.11.31.99"},
                     {"172.30.2.201", 4801, "1.11.69.61"}};
  uint64_t t = kBase;
  uint32_t isn = 0x10000000;
  uint16_t mid = 1, nbns_id = 0x8001;
  for (const L& l : leaks) {
    f.SetIpId(Ip4(l.src), 42620);
    f.AddTcp(t, {Ip4(l.src), Ip4(l.dst), l.sport, 445, kSyn, isn, 0, 64240, 128, true});
    uint32_t next = isn + 1;
    for (uint8_t cmd : {0x71, 0x2b, 0x71}) {
      t += kSec;
      const Bytes smb = NbssSmb1Request(cmd, 2048, 0xfeff, 2049, mid++);
      f.AddTcp(t, {Ip4(l.src), Ip4(l.dst), l.sport, 445, kPsh | kAck, next, 0x5a5a0001, 64240,
                   128, true},
               smb);
      next += static_cast<uint32_t>(smb.size());
    }
    t += kSec;
    f.AddUdp(t, Ip4(l.src), 137, Ip4(l.dst), 137, NbnsNbstatQuery(nbns_id++), 128);
    t += kSec;
    isn += 0x01000000;
  }
  const std::string body =
      "  \"reserved_destinations\": {\"network\": \"1.11.0.0/16\", \"hosts\": [\"172.30.2.201\", "
      "\"172.30.3.56\", \"172.30.3.78\"], \"destinations\": [\"1.11.31.99\", \"1.11.68.22\", "
      "\"1.11.69.61\"], \"smb1_commands\": {\"0x71\": 6, \"0x2b\": 3}, \"nbns_nbstat_queries\": 3, "
      "\"answered\": false},\n"
      "  \"tcp_flows\": [{\"conn_state\": \"S0\", \"history\": \"SD\", \"argus_state\": "
      "\"REQ\", \"count\": 3, \"note\": \"SYN then data, never answered\"}],\n";
  WriteFile(dir + "/smb_reserved_leak.truth.json", Finish(cap, dir, "smb_reserved_leak", body));
}

// One TCP connection per Zeek conn_state. Connection i starts at kBase + i seconds; its packets
// are 10 ms apart. The expected values were worked out by hand from Zeek's and Argus's rules
// (main.zeek, TCPSessionAdapter, update_history; ArgusGetTCPStatus).
struct StateCase {
  const char* conn_state;
  const char* history;
  const char* argus_state;
  const char* argus_flags;  // ra -Z b, src = the Zeek originator; "" = not claimed
  bool flipped;             // the first packet comes from the Zeek responder
  uint16_t resp_port;
  const char* script;       // c = originator, s = responder; see below
};

const StateCase kStates[] = {
    // S0: a lone SYN. orig SYN_SENT, resp INACTIVE.
    {"S0", "S", "REQ", "S_", false, 2001, "c:S"},
    // S1: handshake, no close. Both ESTABLISHED.
    {"S1", "ShA", "CON", "SA_SA", false, 2002, "c:S s:SA c:A"},
    // SF: handshake, data both ways, FINs both ways. Both CLOSED.
    {"SF", "ShADdFf", "FIN", "FSPA_FSPA", false, 2003, "c:S s:SA c:A c:PA+ s:PA+ c:FA s:FA c:A"},
    // REJ: SYN answered by RST-ACK. resp RESET while orig SYN_SENT.
    {"REJ", "Sr", "RST", "S_RA", false, 2004, "c:S s:RA"},
    // S2: handshake, then only the originator sends FIN. orig CLOSED, resp ESTABLISHED.
    {"S2", "ShAF", "FIN", "FSA_SA", false, 2005, "c:S s:SA c:A c:FA"},
    // S3: handshake, then only the responder sends FIN. resp CLOSED, orig ESTABLISHED.
    {"S3", "ShAf", "FIN", "SA_FSA", false, 2006, "c:S s:SA c:A s:FA"},
    // RSTO: handshake, then the originator resets. orig RESET, resp ESTABLISHED.
    {"RSTO", "ShAR", "RST", "SRA_SA", false, 2007, "c:S s:SA c:A c:RA"},
    // RSTR: handshake, then the responder resets. resp RESET, orig ESTABLISHED.
    {"RSTR", "ShAr", "RST", "SA_SRA", false, 2008, "c:S s:SA c:A s:RA"},
    // RSTOS0: SYN then RST from the originator, no SYN-ACK. History S...R matches the regex.
    {"RSTOS0", "SR", "RST", "SR_", false, 2009, "c:S c:R"},
    // RSTRH: SYN-ACK then RST from port 80 (a likely server port, so Zeek flips the roles and
    // adds '^'); orig INACTIVE, resp RESET.
    {"RSTRH", "^hr", "RST", "", true, 80, "s:SA s:RA"},
    // SH: SYN then FIN from the originator, no answer. orig CLOSED, resp INACTIVE.
    {"SH", "SF", "FIN", "FS_", false, 2011, "c:S c:F"},
    // SHR: SYN-ACK then FIN from port 8080 (likely server port: flipped); resp CLOSED, orig
    // INACTIVE.
    {"SHR", "^hf", "FIN", "", true, 8080, "s:SA s:FA"},
    // OTH: midstream, no SYN: originator data, responder ACK. Both PARTIAL.
    {"OTH", "Da", "CON", "PA_A", false, 2013, "c:PA+ s:A"},
};

uint8_t FlagsOf(const std::string& f) {
  uint8_t out = 0;
  for (char ch : f) {
    switch (ch) {
      case 'S': out |= kSyn; break;
      case 'A': out |= kAck; break;
      case 'F': out |= kFin; break;
      case 'R': out |= kRst; break;
      case 'P': out |= kPsh; break;
      default: break;
    }
  }
  return out;
}

void TcpStates(const std::string& dir) {
  Capture cap;
  PacketFactory f(cap, LanMac);
  const uint32_t orig = Ip4("10.1.0.1"), resp = Ip4("10.1.0.2");
  std::ostringstream j;
  j << "  \"note\": \"Expected values worked out by hand from Zeek main.zeek / "
       "TCPSessionAdapter rules and Argus ArgusGetTCPStatus precedence (prior-art.md 4a-4c); "
       "argus_flags is ra -Z b oriented by the Zeek originator, omitted where the first packet "
       "comes from the responder.\",\n";
  j << "  \"connections\": [\n";
  int i = 0;
  for (const StateCase& sc : kStates) {
    const uint16_t orig_port = static_cast<uint16_t>(40001 + i);
    TcpConv c(f, kBase + static_cast<uint64_t>(i) * kSec,
              {orig, orig_port, 0x01000000u * static_cast<uint32_t>(i + 1), 64, 29200},
              {resp, sc.resp_port, 0x80000000u + 0x00100000u * static_cast<uint32_t>(i), 64, 28960},
              10000);
    std::istringstream script(sc.script);
    std::string step;
    int packets = 0;
    std::string first_src;
    while (script >> step) {
      const bool from_client = step[0] == 'c';
      std::string flags = step.substr(2);
      Bytes payload;
      if (!flags.empty() && flags.back() == '+') {
        flags.pop_back();
        payload = Str(from_client ? "hello from orig\n" : "hello from resp\n");
      }
      if (packets == 0) first_src = from_client ? "orig" : "resp";
      c.Seg(from_client, FlagsOf(flags), payload);
      ++packets;
    }
    j << "    {\"conn_state\": \"" << sc.conn_state << "\", \"history\": \"" << sc.history
      << "\", \"argus_state\": \"" << sc.argus_state << "\", \"argus_flags\": "
      << (*sc.argus_flags ? "\"" + std::string(sc.argus_flags) + "\"" : std::string("null"))
      << ", \"orig_h\": \"10.1.0.1\", \"orig_p\": " << orig_port
      << ", \"resp_h\": \"10.1.0.2\", \"resp_p\": " << sc.resp_port
      << ", \"first_packet_from\": \"" << first_src << "\", \"flipped\": "
      << (sc.flipped ? "true" : "false") << ", \"packets\": " << packets
      << ", \"script\": \"" << sc.script << "\", \"start_ns\": "
      << (kBase + static_cast<uint64_t>(i) * kSec) * 1000 << "}"
      << (i + 1 < static_cast<int>(std::size(kStates)) ? ",\n" : "\n");
    ++i;
  }
  j << "  ],\n";
  WriteFile(dir + "/tcp_states.truth.json", Finish(cap, dir, "tcp_states", j.str()));
}

}  // namespace

int GenerateSmall(const std::string& name, const std::string& dir) {
  if (name == "welchia_vs_tracert") {
    WelchiaVsTracert(dir);
  } else if (name == "codered_bare_ack") {
    CodeRedBareAck(dir);
  } else if (name == "smb_reserved_leak") {
    SmbReservedLeak(dir);
  } else if (name == "tcp_states") {
    TcpStates(dir);
  } else if (name == "all") {
    WelchiaVsTracert(dir);
    CodeRedBareAck(dir);
    SmbReservedLeak(dir);
    TcpStates(dir);
  } else {
    std::fprintf(stderr, "tapwatch-gen: unknown capture %s\n", name.c_str());
    return 2;
  }
  return 0;
}

}  // namespace tapwatch::tools
