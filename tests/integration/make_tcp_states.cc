// Crafts a small capture with libtins from per-connection scripts given on the command line, for
// tcp_states_test.py, which holds the hand-derived expectations next to each script.
//
// Usage: tw_make_tcp_states OUT.pcap CASE...
//   CASE = PROTO:RESP_PORT:STEPS, PROTO one of tcp, udp, icmp; STEPS separated by spaces.
//   Connection i (0-based): originator 10.9.0.1 port 50000+i, responder 10.9.0.2 port RESP_PORT,
//   first packet at 1700000000 + 10 i seconds, then one packet every 10 ms.
//   Step = SIDE ':' BODY, SIDE 'c' (originator) or 's' (responder).
//     tcp  BODY = flag letters from S A F R P U, then optional modifiers:
//                 '+' carries 16 payload bytes; '=' retransmits (same sequence number as this
//                 side's previous segment, same payload); '!' jumps the sequence number by 100000
//                 first (a new SYN). The ACK field acknowledges what the peer sent so far.
//     udp  BODY = '+' (16 payload bytes) or '0' (empty datagram).
//     icmp BODY = 'Q' echo request or 'P' echo reply (id 0x4242; a reply echoes the last
//                 request's sequence number).

#include <sys/time.h>
#include <tins/tins.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace Tins;

struct Side {
  uint32_t seq = 0;       // next sequence number to send
  uint32_t last_seq = 0;  // sequence number of the previous segment
  uint32_t last_len = 0;  // its payload length
  uint16_t flags = 0;
};

uint16_t TcpFlags(const std::string& body) {
  uint16_t f = 0;
  for (char ch : body) {
    switch (ch) {
      case 'S': f |= TCP::SYN; break;
      case 'A': f |= TCP::ACK; break;
      case 'F': f |= TCP::FIN; break;
      case 'R': f |= TCP::RST; break;
      case 'P': f |= TCP::PSH; break;
      case 'U': f |= TCP::URG; break;
      default: break;
    }
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tw_make_tcp_states OUT.pcap PROTO:RESP_PORT:STEPS...\n");
    return 2;
  }
  PacketWriter writer(argv[1], DataLinkType<EthernetII>());
  const EthernetII::address_type mac_c("02:00:00:00:09:01"), mac_s("02:00:00:00:09:02");
  for (int i = 2; i < argc; ++i) {
    const std::string spec = argv[i];
    const size_t a = spec.find(':'), b = spec.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) {
      std::fprintf(stderr, "bad case '%s'\n", spec.c_str());
      return 2;
    }
    const std::string proto = spec.substr(0, a);
    const auto resp_port = static_cast<uint16_t>(std::stoi(spec.substr(a + 1, b - a - 1)));
    const auto orig_port = static_cast<uint16_t>(50000 + (i - 2));
    std::istringstream steps(spec.substr(b + 1));
    Side side[2];  // 0 = originator, 1 = responder
    side[0].seq = 0x10000000u * static_cast<uint32_t>(i - 1);
    side[1].seq = 0x80000000u + 0x01000000u * static_cast<uint32_t>(i - 1);
    uint64_t t_us = (1'700'000'000ull + 10ull * static_cast<uint64_t>(i - 2)) * 1'000'000ull;
    std::string step;
    uint16_t icmp_seq = 0;
    while (steps >> step) {
      if (step.size() < 2 || (step[0] != 'c' && step[0] != 's') || step[1] != ':') {
        std::fprintf(stderr, "bad step '%s' in '%s'\n", step.c_str(), spec.c_str());
        return 2;
      }
      const int me = step[0] == 'c' ? 0 : 1;
      const std::string body = step.substr(2);
      IP ip = me == 0 ? IP("10.9.0.2", "10.9.0.1") : IP("10.9.0.1", "10.9.0.2");
      ip.ttl(me == 0 ? 64 : 128);
      EthernetII eth = me == 0 ? EthernetII(mac_s, mac_c) : EthernetII(mac_c, mac_s);
      const uint16_t sport = me == 0 ? orig_port : resp_port;
      const uint16_t dport = me == 0 ? resp_port : orig_port;
      const std::string payload_text = me == 0 ? "hello from orig\n" : "hello from resp\n";
      const std::vector<uint8_t> payload(payload_text.begin(), payload_text.end());
      std::vector<uint8_t> data;
      if (proto == "tcp") {
        Side& s = side[me];
        const Side& peer = side[1 - me];
        const bool retransmit = body.find('=') != std::string::npos;
        if (body.find('!') != std::string::npos) s.seq += 100000;
        if (body.find('+') != std::string::npos) data = payload;
        const uint16_t flags = TcpFlags(body);
        uint32_t seq = s.seq;
        if (retransmit) seq = s.last_seq;
        TCP tcp(dport, sport);
        tcp.flags(flags);
        tcp.seq(seq);
        tcp.ack_seq((flags & TCP::ACK) ? peer.seq : 0);
        tcp.window(me == 0 ? 29200 : 28960);
        if (!retransmit) {
          s.last_seq = seq;
          s.last_len = static_cast<uint32_t>(data.size());
          s.seq = seq + static_cast<uint32_t>(data.size()) + ((flags & TCP::SYN) ? 1 : 0) +
                  ((flags & TCP::FIN) ? 1 : 0);
        }
        if (data.empty()) {
          eth /= ip / tcp;
        } else {
          eth /= ip / tcp / RawPDU(data);
        }
      } else if (proto == "udp") {
        UDP udp(dport, sport);
        if (body == "+") {
          eth /= ip / udp / RawPDU(payload);
        } else {
          eth /= ip / udp;
        }
      } else if (proto == "icmp") {
        ICMP icmp(body == "Q" ? ICMP::ECHO_REQUEST : ICMP::ECHO_REPLY);
        icmp.id(0x4242);
        if (body == "Q") ++icmp_seq;  // a reply echoes the last request's sequence number
        icmp.sequence(icmp_seq);
        eth /= ip / icmp / RawPDU(std::vector<uint8_t>(32, 0x61));
      } else {
        std::fprintf(stderr, "bad protocol '%s'\n", proto.c_str());
        return 2;
      }
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(t_us / 1'000'000);
      tv.tv_usec = static_cast<suseconds_t>(t_us % 1'000'000);
      Packet packet(eth, Timestamp(tv));
      writer.write(packet);
      t_us += 10'000;
    }
  }
  return 0;
}
