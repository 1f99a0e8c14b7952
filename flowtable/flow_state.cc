// TCP connection state of a flow, in the vocabularies of Zeek (conn_state, history) and Argus
// (state, -Z b flags). The rules follow Zeek's main.zeek (conn_state), Argus's ArgusGetTCPStatus
// (state precedence) and Zeek's TCPSessionAdapter.cc (UpdateInactiveState, UpdateSYN_SentState,
// UpdateEstablishedState, UpdateClosedState, update_history); sequence-number based weirds and
// role flips are left out.

#include <cstring>
#include <string>
#include <string_view>

#include "flowtable/flow.h"

namespace tapwatch::flowtable {
namespace {

using decoders::kTcpAck;
using decoders::kTcpFin;
using decoders::kTcpRst;
using decoders::kTcpSyn;
using State = TcpEndpointState;

// Bit index of a history letter in Flow::history_mask (+8 for the responder). S and H share one
// bit, as Zeek's HIST_SYN_PKT does.
enum HistIdx : int { kHSyn = 0, kHFin, kHRst, kHData, kHAck, kHFinRst, kHMulti, kHRexmit };
static_assert(kHRexmit < 8, "history_mask keeps 8 letters per direction");

void AddHistory(Flow& f, int side, char upper) {
  const char c = side == 0 ? upper : static_cast<char>(upper - 'A' + 'a');
  for (char& slot : f.history) {
    if (slot == '\0') {
      slot = c;
      return;
    }
  }
  // Full: further letters are dropped (the history is a bounded summary).
}

// Zeek TCP_Endpoint::CheckHistory: records the letter the first time and returns false;
// returns true when it was already recorded.
bool CheckHistory(Flow& f, int side, HistIdx idx, char upper) {
  const uint16_t bit = static_cast<uint16_t>(1u << (idx + 8 * side));
  if ((f.history_mask & bit) == 0) {
    f.history_mask |= bit;
    AddHistory(f, side, upper);
    return false;
  }
  return true;
}

// update_history() of TCPSessionAdapter.cc, with 16-bit sequence numbers.
void UpdateHistory(Flow& f, int side, uint8_t flags, uint32_t seq, uint32_t len) {
  const bool syn = flags & kTcpSyn, fin = flags & kTcpFin, rst = flags & kTcpRst;
  const int bits_set = int{syn} + int{fin} + int{rst};
  auto& last = f.hist_seq[side];
  if (bits_set > 1) {
    if (fin && rst) {
      CheckHistory(f, side, kHFinRst, 'I');
    } else {
      CheckHistory(f, side, kHMulti, 'Q');
    }
  } else if (bits_set == 1) {
    if (syn) {
      const char code = (flags & kTcpAck) ? 'H' : 'S';
      const auto s = static_cast<uint16_t>(seq);
      if (CheckHistory(f, side, kHSyn, code) && s != last[0]) AddHistory(f, side, code);
      last[0] = s;
    }
    if (fin) {
      // The FIN's sequence number is at the end of the packet's data.
      const auto s = static_cast<uint16_t>(seq + len);
      if (CheckHistory(f, side, kHFin, 'F') && s != last[1]) AddHistory(f, side, 'F');
      last[1] = s;
    }
    if (rst) {
      const auto s = static_cast<uint16_t>(seq);
      if (CheckHistory(f, side, kHRst, 'R') && s != last[2]) AddHistory(f, side, 'R');
      last[2] = s;
    }
  } else if (len > 0) {
    CheckHistory(f, side, kHData, 'D');
  } else if (flags & kTcpAck) {
    CheckHistory(f, side, kHAck, 'A');
  }
}

constexpr uint32_t kSeqFrontMask = 0xFFFFFF;
constexpr uint32_t kSeqFrontHalf = 0x800000;

uint32_t SeqFront(const Flow& f, int side) {
  const auto& b = f.seq_front[side];
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16;
}

void SetSeqFront(Flow& f, int side, uint32_t v) {
  f.seq_front[side] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                       static_cast<uint8_t>(v >> 16)};
}

// Zeek's T/t: payload starting before the front of what the side already sent (the highest
// seq + length, SYN and FIN counting one each), recorded once per direction. A keep-alive (0 or 1
// byte starting one below the front, no SYN/FIN) is not one, as with tshark. RSTs are skipped:
// some stacks send them with an unrelated sequence number. Out-of-order segments count too: no
// holes are kept.
void UpdateRetransmission(Flow& f, int side, uint8_t flags, uint32_t seq, uint32_t len) {
  if (flags & kTcpRst) return;
  const uint16_t known_bit = side == 0 ? kBitSeqFrontSrc : kBitSeqFrontDst;
  const uint32_t end = seq + len + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
  // A SYN starts the side's sequence space (again, when a port pair is reused).
  if (!(f.bits & known_bit) || (flags & kTcpSyn)) {
    f.bits |= known_bit;
    SetSeqFront(f, side, end & kSeqFrontMask);
    return;
  }
  const uint32_t front = SeqFront(f, side);
  const bool starts_behind = ((seq - front) & kSeqFrontMask) >= kSeqFrontHalf;
  const bool keep_alive = len <= 1 && !(flags & (kTcpSyn | kTcpFin)) &&
                          ((seq + 1 - front) & kSeqFrontMask) == 0;
  if (len > 0 && starts_behind && !keep_alive) CheckHistory(f, side, kHRexmit, 'T');
  const uint32_t ahead = (end - front) & kSeqFrontMask;
  if (ahead != 0 && ahead < kSeqFrontHalf) SetSeqFront(f, side, end & kSeqFrontMask);
}

// UpdateStateMachine() and its helpers.
void UpdateStates(Flow& f, int side, uint8_t flags, uint32_t len) {
  const bool syn = flags & kTcpSyn, fin = flags & kTcpFin, rst = flags & kTcpRst,
             ack = flags & kTcpAck;
  const bool is_orig = side == 0;
  const int peer = 1 - side;
  switch (f.TcpState(side)) {
    case State::kInactive:
      if (syn) {
        if (is_orig) {
          f.SetTcpState(side, ack ? State::kSynAckSent : State::kSynSent);
        } else {
          // A responder's SYN or SYN-ACK establishes both sides (simultaneous open included).
          if (f.TcpState(peer) == State::kSynSent) f.SetTcpState(peer, State::kEstablished);
          f.SetTcpState(side, State::kEstablished);
        }
      }
      if (fin) f.SetTcpState(side, State::kClosed);
      if (rst) f.SetTcpState(side, State::kReset);
      if (f.TcpState(side) == State::kInactive) {
        if (!is_orig && len == 0 && f.TcpState(0) == State::kSynSent) {
          // Some stacks ACK a SYN before answering it: not a partial connection yet.
        } else if (ack && f.TcpState(peer) == State::kEstablished) {
          // SYN-ACK seen, SYN missed, now a pure ACK: establish rather than call it partial.
          f.SetTcpState(side, State::kEstablished);
        } else {
          f.SetTcpState(side, State::kPartial);
        }
      }
      break;
    case State::kSynSent:
    case State::kSynAckSent:
      if (fin) f.SetTcpState(side, State::kClosed);
      if (rst) f.SetTcpState(side, State::kReset);
      break;
    case State::kEstablished:
    case State::kPartial:
      if (syn && f.TcpState(side) == State::kPartial && f.TcpState(peer) == State::kInactive &&
          !ack) {
        f.SetTcpState(side, State::kSynSent);
      }
      if (fin && !rst) {
        f.SetTcpState(side, State::kClosed);
        // The peer sent a FIN followed by a RST: that was a normal termination after all.
        if (f.TcpState(peer) == State::kReset && f.PrevTcpState(peer) == State::kClosed) {
          f.SetTcpState(peer, State::kClosed);
        }
      }
      if (rst) f.SetTcpState(side, State::kReset);
      break;
    case State::kClosed:
      // After a FIN exchange a RST does not change the state.
      if (rst && f.TcpState(peer) != State::kClosed) f.SetTcpState(side, State::kReset);
      break;
    case State::kReset:
      break;
  }
}

void UpdateArgus(Flow& f, int side, uint8_t flags) {
  const bool syn = flags & kTcpSyn, ack = flags & kTcpAck;
  uint16_t& st = f.argus_status;
  if (syn && !ack) st |= kArgusSawSyn;
  if (syn && ack) st |= kArgusSawSynSent;
  // The ACK completing the handshake, or anything after it.
  if (!syn && ack && (st & kArgusSawSynSent)) st |= kArgusConEstablished;
  if (flags & kTcpFin) st |= kArgusFin;
  // An ACK from the side that received a FIN acknowledges it (approximation: no seq check).
  if (ack && !(flags & kTcpFin) && (f.dir[1 - side].tcp_flags & kTcpFin)) st |= kArgusFinAck;
  if ((f.dir[0].tcp_flags & kTcpFin) && (f.dir[1].tcp_flags & kTcpFin) && (st & kArgusFinAck)) {
    st |= kArgusNormalClose;
  }
  if (flags & kTcpRst) st |= side == 0 ? kArgusSrcReset : kArgusDstReset;
}

// Zeek's RSTOS0 test: history =~ /^\^?S[^HAFGIQ]*R.*/
bool HistoryLooksLikeSynThenRst(const Flow& f) {
  size_t i = 0;
  const auto& h = f.history;
  if (h[0] == '^') i = 1;
  if (i >= h.size() || h[i] != 'S') return false;
  for (++i; i < h.size() && h[i] != '\0'; ++i) {
    const char c = h[i];
    if (c == 'R') return true;
    if (c == 'H' || c == 'A' || c == 'F' || c == 'G' || c == 'I' || c == 'Q') return false;
  }
  return false;
}

std::string_view IcmpV4Mnemonic(uint8_t type, uint8_t code) {
  switch (type) {
    case 0:
      return "ECR";
    case 3:
      switch (code) {
        case 0:
          return "URN";
        case 1:
          return "URH";
        case 2:
          return "URP";
        case 3:
          return "URP";
        case 4:
          return "URF";
        case 5:
          return "URS";
        case 6:
          return "URNU";
        case 7:
          return "URHU";
        case 8:
          return "URISO";
        case 9:
          return "URNPRO";
        case 10:
          return "URHPRO";
        case 11:
          return "URNTOS";
        case 12:
          return "URHTOS";
        case 13:
          return "URFIL";
        case 14:
          return "URPRE";
        case 15:
          return "URCUT";
        default:
          return "UNR";
      }
    case 4:
      return "SRC";
    case 5:
      return "RED";
    case 8:
      return "ECO";
    case 9:
      return "RTA";
    case 10:
      return "RTS";
    case 11:
      return "TXD";
    case 12:
      return "PAR";
    case 13:
      return "TST";
    case 14:
      return "TSR";
    case 15:
      return "IRQ";
    case 16:
      return "IRR";
    case 17:
      return "MAS";
    case 18:
      return "MSR";
    default:
      return "UNK";
  }
}

std::string_view IcmpV6Mnemonic(uint8_t type, uint8_t code) {
  switch (type) {
    case 1:
      switch (code) {
        case 0:
          return "URN";
        case 1:
          return "URNPRO";
        case 3:
          return "URH";
        case 4:
          return "URP";
        default:
          return "UNR";
      }
    case 2:
      return "PTB";
    case 3:
      return "TXD";
    case 4:
      return "PAR";
    case 128:
      return "ECO";
    case 129:
      return "ECR";
    case 130:
      return "MRQ";
    case 131:
      return "MHR";
    case 133:
      return "NRS";
    case 134:
      return "NRA";
    case 135:
      return "NNS";
    case 136:
      return "NNA";
    default:
      return "UNK";
  }
}

decoders::IpAddress ToAddr(const std::array<uint8_t, 16>& bytes, uint8_t version) {
  decoders::IpAddress a;
  a.bytes = bytes;
  a.family = version;
  return a;
}

}  // namespace

std::string_view EndReasonName(EndReason why) noexcept {
  switch (why) {
    case EndReason::kIdle:
      return "idle";
    case EndReason::kActive:
      return "active";
    case EndReason::kTcpClose:
      return "tcp-close";
    case EndReason::kEvicted:
      return "evicted";
    case EndReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

std::string_view DirectionConfidenceName(DirectionConfidence d) noexcept {
  switch (d) {
    case DirectionConfidence::kSyn:
      return "syn";
    case DirectionConfidence::kSynAck:
      return "synack";
    case DirectionConfidence::kGuess:
      return "guess";
  }
  return "guess";
}

decoders::IpAddress SrcAddr(const Flow& f) noexcept {
  return ToAddr(f.initiator_is_lo() ? f.key.addr_lo : f.key.addr_hi, f.key.ip_version());
}
decoders::IpAddress DstAddr(const Flow& f) noexcept {
  return ToAddr(f.initiator_is_lo() ? f.key.addr_hi : f.key.addr_lo, f.key.ip_version());
}
uint16_t SrcPort(const Flow& f) noexcept {
  return f.initiator_is_lo() ? f.key.port_lo : f.key.port_hi;
}
uint16_t DstPort(const Flow& f) noexcept {
  return f.initiator_is_lo() ? f.key.port_hi : f.key.port_lo;
}

void UpdateTcp(Flow& f, int side, uint8_t flags, uint32_t seq, uint32_t /*ack*/,
               uint32_t payload_len) noexcept {
  UpdateHistory(f, side, flags, seq, payload_len);
  UpdateRetransmission(f, side, flags, seq, payload_len);
  UpdateStates(f, side, flags, payload_len);
  UpdateArgus(f, side, flags);
}

void UpdateUdp(Flow& f, int side) noexcept { CheckHistory(f, side, kHData, 'D'); }

void AddAnomaly(Flow& f, decoders::Anomaly a) noexcept {
  for (int i = 0; i < kFlowAnomalySlots; ++i) {
    if (f.anomaly[i] == a || f.anomaly[i] == decoders::Anomaly::kNone) {
      f.anomaly[i] = a;
      if (f.anomaly_count[i] != 0xffff) {
        ++f.anomaly_count[i];
        return;
      }
      break;  // the slot is full: the excess is still counted, as "other"
    }
  }
  if (f.anomaly_other != 0xffff) ++f.anomaly_other;
}

void AddPacketAnomalies(Flow& f, const decoders::DecodedPacket& pkt, uint8_t first) noexcept {
  const uint8_t named = std::min(pkt.anomaly_count, decoders::kMaxAnomaliesPerPacket);
  for (uint8_t i = first; i < named; ++i) AddAnomaly(f, pkt.anomalies[i]);
  const int unnamed = std::max(0, int{pkt.anomaly_count} - std::max<int>(first, named));
  f.anomaly_other = static_cast<uint16_t>(std::min(0xffff, f.anomaly_other + unnamed));
}

std::string_view ConnState(const Flow& f) noexcept {
  if (f.key.ip_proto == decoders::kIpProtoUdp) {
    const bool o = f.bits & kBitSeenSrc, r = f.bits & kBitSeenDst;
    return o ? (r ? "SF" : "S0") : (r ? "SHR" : "OTH");
  }
  if (f.key.ip_proto != decoders::kIpProtoTcp) return "OTH";
  const State os = f.TcpState(0), rs = f.TcpState(1);
  const bool o_inactive = os == State::kInactive || os == State::kPartial;
  const bool r_inactive = rs == State::kInactive || rs == State::kPartial;
  const bool no_payload = !(f.bits & (kBitPayloadSrc | kBitPayloadDst));
  if (rs == State::kReset) {
    if (os == State::kSynSent || os == State::kSynAckSent || (os == State::kReset && no_payload)) {
      return "REJ";
    }
    return o_inactive ? "RSTRH" : "RSTR";
  }
  if (os == State::kReset) {
    if (r_inactive) return HistoryLooksLikeSynThenRst(f) ? "RSTOS0" : "OTH";
    return "RSTO";
  }
  if (rs == State::kClosed && os == State::kClosed) return "SF";
  if (os == State::kClosed) return r_inactive ? "SH" : "S2";
  if (rs == State::kClosed) return o_inactive ? "SHR" : "S3";
  if (os == State::kSynSent && rs == State::kInactive) return "S0";
  if (os == State::kEstablished && rs == State::kEstablished) return "S1";
  return "OTH";
}

std::string_view HistoryView(const Flow& f) noexcept {
  const void* nul = std::memchr(f.history.data(), '\0', f.history.size());
  const size_t n = nul ? static_cast<size_t>(static_cast<const char*>(nul) - f.history.data())
                       : f.history.size();
  return {f.history.data(), n};
}

std::string_view ArgusState(const Flow& f, EndReason why) noexcept {
  const uint8_t proto = f.key.ip_proto;
  if (proto == decoders::kIpProtoTcp) {
    const uint16_t st = f.argus_status;
    if (st & (kArgusSrcReset | kArgusDstReset)) return "RST";
    if (st & (kArgusFin | kArgusFinAck)) return "FIN";
    if (st & kArgusNormalClose) return "CLO";
    // An unfinished handshake keeps its stage when it times out: argus 3.0.8 prints REQ for a
    // lone SYN and ACC for SYN + SYN-ACK that went idle, never TIM.
    if (!(st & kArgusConEstablished)) {
      if (st & kArgusSawSynSent) return "ACC";
      if (st & kArgusSawSyn) return "REQ";
    }
    if (why == EndReason::kIdle) return "TIM";
    return "CON";
  }
  if ((f.bits & kBitHasIcmp) &&
      (proto == decoders::kIpProtoIcmp || proto == decoders::kIpProtoIcmpv6)) {
    return f.key.ip_version() == 6 ? IcmpV6Mnemonic(f.icmp_type, f.icmp_code)
                                   : IcmpV4Mnemonic(f.icmp_type, f.icmp_code);
  }
  const bool both = (f.bits & kBitSeenSrc) && (f.bits & kBitSeenDst);
  return both ? "CON" : "INT";
}

size_t FormatArgusFlags(const Flow& f, char* buf) noexcept {
  // Argus 3.0.8 `ra -Z b` prints ECE as 'E' (seen on xscan_capture.pcap: "SRE_SA"); CWR as 'C'
  // by the same convention (no capture here has one).
  static constexpr char kLetters[] = "FSRPAUEC";
  char* p = buf;
  for (int side = 0; side < 2; ++side) {
    if (side == 1) *p++ = '_';
    for (int bit = 0; bit < 8; ++bit) {
      if (f.dir[side].tcp_flags & (1u << bit)) *p++ = kLetters[bit];
    }
  }
  return static_cast<size_t>(p - buf);
}

bool BareAck(const Flow& f, int side) noexcept {
  return (f.bits & (side == 0 ? kBitBareAckSrc : kBitBareAckDst)) != 0;
}

bool BareAck(const Flow& f) noexcept { return BareAck(f, 0) || BareAck(f, 1); }

std::string_view ArgusDir(const Flow& f) noexcept {
  if (f.key.ip_proto == decoders::kIpProtoTcp && !(f.bits & kBitSynSeen)) return "?>";
  const bool both = (f.bits & kBitSeenSrc) && (f.bits & kBitSeenDst);
  return both ? "<->" : "->";
}

}  // namespace tapwatch::flowtable
