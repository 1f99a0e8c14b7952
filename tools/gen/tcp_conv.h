// A scripted TCP conversation between a client and a server: each step emits one segment with
// consistent sequence/acknowledgement numbers and advances packet time.
#pragma once

#include <cstdint>
#include <string>

#include "tools/gen/packets.h"

namespace tapwatch::tools {

class TcpConv {
 public:
  struct Side {
    uint32_t ip;
    uint16_t port;
    uint32_t isn;
    uint8_t ttl;
    uint16_t window;
  };
  TcpConv(PacketFactory& f, uint64_t t_us, Side client, Side server, uint32_t step_us = 30000)
      : f_(f), t_(t_us), c_(client), s_(server), cseq_(client.isn), sseq_(server.isn),
        step_(step_us) {}

  TcpConv& Wait(uint64_t us) {
    t_ += us;
    return *this;
  }
  /// One segment from the client (`from_client`) or the server with `flags` and `payload`;
  /// SYN and FIN consume one sequence number (RFC 793 3.3).
  TcpConv& Seg(bool from_client, uint8_t flags, const Bytes& payload = {},
               const std::string& label = "") {
    Side& me = from_client ? c_ : s_;
    Side& peer = from_client ? s_ : c_;
    uint32_t& seq = from_client ? cseq_ : sseq_;
    const uint32_t ack = from_client ? sseq_ : cseq_;
    PacketFactory::Tcp t{me.ip, peer.ip, me.port, peer.port, flags, seq, ack, me.window, me.ttl};
    f_.AddTcp(t_, t, payload, label);
    seq += static_cast<uint32_t>(payload.size()) + ((flags & (kSyn | kFin)) ? 1 : 0);
    t_ += step_;
    return *this;
  }
  TcpConv& C(uint8_t flags, const Bytes& p = {}, const std::string& l = "") {
    return Seg(true, flags, p, l);
  }
  TcpConv& S(uint8_t flags, const Bytes& p = {}, const std::string& l = "") {
    return Seg(false, flags, p, l);
  }
  /// SYN, SYN-ACK, ACK.
  TcpConv& Handshake() { return C(kSyn).S(kSyn | kAck).C(kAck); }
  /// Client FIN, server FIN-ACK, client ACK.
  TcpConv& CloseByClient() { return C(kFin | kAck).S(kFin | kAck).C(kAck); }
  /// Server sends `data` in MSS-sized segments, the client ACKs every second one.
  TcpConv& SBulk(const Bytes& data, size_t mss = 1460) {
    size_t n = 0;
    for (size_t off = 0; off < data.size(); off += mss, ++n) {
      Bytes chunk(data.begin() + off, data.begin() + std::min(data.size(), off + mss));
      S(kAck | ((off + mss >= data.size()) ? kPsh : 0), chunk);
      if (n % 2 == 1 || off + mss >= data.size()) C(kAck);
    }
    return *this;
  }
  uint64_t now() const { return t_; }

 private:
  PacketFactory& f_;
  uint64_t t_;
  Side c_, s_;
  uint32_t cseq_, sseq_;
  uint32_t step_;
};

}  // namespace tapwatch::tools
