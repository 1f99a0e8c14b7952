#pragma once
// One bidirectional flow: the fixed-size record that lives in a flow-table slot. No heap, no
// pointers: the table allocates every slot once and reuses it.
//
// Orientation: `key` is canonical (lower endpoint first) so both directions of a conversation find
// the same slot; everything else is oriented to the flow's *initiator* (index 0 = "src" = the
// initiator, index 1 = "dst" = the responder), which is what a FlowRecord reports.
//
// Counters (packets, bytes, fragments, payload-without-handshake packets, anomaly and label
// counts) are deltas since the flow's previous record, so the sum over all records of a flow is
// its total. Flags, TTLs, TCP state, history and MACs are cumulative over the whole flow.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "decoders/anomaly.h"
#include "decoders/app_state.h"
#include "decoders/packet.h"

namespace tapwatch::flowtable {

/// Why a flow record was exported.
enum class EndReason : uint8_t {
  kIdle,      // no packet for the protocol's idle timeout
  kActive,    // interim record: active timeout (or a per-record counter about to overflow)
  kTcpClose,  // TCP closed (FIN both ways, or RST) and the closed timeout passed
  kEvicted,   // its bucket was full and it was the least recently seen flow
  kShutdown,  // end of input
};

/// "idle", "active", "tcp-close", "evicted", "shutdown" (FlowRecord.end_reason).
std::string_view EndReasonName(EndReason why) noexcept;

/// How the initiator was chosen (FlowRecord.direction).
enum class DirectionConfidence : uint8_t {
  kGuess,   // first packet's sender
  kSyn,     // sent a SYN (no ACK)
  kSynAck,  // receiver of a SYN-ACK that was the first packet
};

/// "syn", "synack", "guess".
std::string_view DirectionConfidenceName(DirectionConfidence d) noexcept;

/// Zeek per-endpoint TCP states (init-bare.zeek TCP_INACTIVE..TCP_RESET).
enum class TcpEndpointState : uint8_t {
  kInactive = 0,
  kSynSent = 1,
  kSynAckSent = 2,
  kPartial = 3,
  kEstablished = 4,
  kClosed = 5,
  kReset = 6,
};

/// Argus status bits (argus_def.h) that the flow tracks.
inline constexpr uint16_t kArgusSawSyn = 0x01;
inline constexpr uint16_t kArgusSawSynSent = 0x02;
inline constexpr uint16_t kArgusConEstablished = 0x04;
inline constexpr uint16_t kArgusFin = 0x08;
inline constexpr uint16_t kArgusFinAck = 0x10;
inline constexpr uint16_t kArgusNormalClose = 0x20;
inline constexpr uint16_t kArgusSrcReset = 0x1000;
inline constexpr uint16_t kArgusDstReset = 0x2000;

/// Canonical flow key. Plain bytes with no padding (42 bytes) so it hashes and compares as
/// memory. For ICMP the port slots hold the echo id or type/code (see flow_table.h).
struct FlowKey {
  std::array<uint8_t, 16> addr_lo{};  // IPv4 in the first 4 bytes, rest zero
  std::array<uint8_t, 16> addr_hi{};
  uint16_t port_lo = 0;
  uint16_t port_hi = 0;
  uint16_t vlan_outer = 0;
  uint16_t vlan_inner = 0;
  uint8_t ip_proto = 0;
  uint8_t meta = 0;  // low nibble: IP version (4/6); high nibble: FlowKeyKind

  /// Word-wise compare (the lookup's hot path; FlowKey has no padding).
  bool operator==(const FlowKey& o) const {
    uint64_t a[5], b[5];
    std::memcpy(a, this, 40);
    std::memcpy(b, &o, 40);
    uint16_t ta, tb;
    std::memcpy(&ta, reinterpret_cast<const uint8_t*>(this) + 40, 2);
    std::memcpy(&tb, reinterpret_cast<const uint8_t*>(&o) + 40, 2);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
            (ta ^ tb)) == 0;
  }
  auto operator<=>(const FlowKey&) const = default;
  uint8_t ip_version() const { return meta & 0x0f; }
};
static_assert(sizeof(FlowKey) == 42, "FlowKey must have no padding: it is hashed as bytes");

/// High nibble of FlowKey::meta: keeps the ids of each ICMP request/reply pair apart from one
/// another and from ICMP type/code keys.
enum class FlowKeyKind : uint8_t {
  kPorts = 0,
  kIcmpEcho = 1,
  kIcmpTypeCode = 2,
  kIcmpTimestamp = 3,    // ICMPv4 13/14
  kIcmpInfo = 4,         // ICMPv4 15/16
  kIcmpAddressMask = 5,  // ICMPv4 17/18 (RFC 950)
};

/// Per-direction counters of one flow. Index 0 = initiator (src), 1 = responder (dst).
struct DirStats {
  uint32_t pkts = 0;           // delta
  uint32_t ip_bytes = 0;       // delta: sum of IP total lengths from the headers
  uint32_t wire_bytes = 0;     // delta: sum of pcap wire lengths
  uint32_t payload_bytes = 0;  // delta: sum of L4 payload lengths from the headers
  uint16_t fragments = 0;      // delta: IP fragments
  uint16_t bare_ack_pkts = 0;  // delta: TCP payload packets while no SYN was seen on the flow
  uint8_t tcp_flags = 0;       // cumulative OR
  uint8_t initial_tcp_flags = 0;
  uint8_t ttl_min = 0;  // cumulative; valid when the direction has sent a packet
  uint8_t ttl_max = 0;
};

inline constexpr int kFlowAnomalySlots = 3;
inline constexpr int kFlowLabelSlots = 4;
inline constexpr int kHistoryChars = 12;

/// Flow::bits.
inline constexpr uint16_t kBitInitiatorIsLo = 0x0001;  // the initiator is key.addr_lo/port_lo
inline constexpr uint16_t kBitSeenSrc = 0x0002;        // the initiator has sent a packet
inline constexpr uint16_t kBitSeenDst = 0x0004;        // the responder has sent a packet
inline constexpr uint16_t kBitPayloadSrc = 0x0008;     // the initiator sent payload (ever)
inline constexpr uint16_t kBitPayloadDst = 0x0010;
inline constexpr uint16_t kBitSynSeen = 0x0020;     // some packet of the flow carried SYN
inline constexpr uint16_t kBitBareAckSrc = 0x0040;  // initiator's first packet: payload, no SYN
inline constexpr uint16_t kBitBareAckDst = 0x0080;  // responder's first packet: payload, no SYN
inline constexpr uint16_t kBitHasIcmp = 0x0100;     // icmp_type/code are set
inline constexpr uint16_t kBitHasMac = 0x0200;      // macs are set
inline constexpr uint16_t kBitSeqFrontSrc = 0x0400;  // seq_front[0] holds the initiator's front
inline constexpr uint16_t kBitSeqFrontDst = 0x0800;
// A flow stored outside its home bucket, in the same group of four: these two bits hold
// (stored bucket XOR home bucket), 1..3; 0 = at home.
inline constexpr uint16_t kSpillShift = 12;
inline constexpr uint16_t kSpillMask = 0x3000;
inline constexpr uint16_t kBitInUse = 0x8000;

// Aligned to a cache line, with everything the lookup and the expiry check read (key, TCP
// states, bits, last_ns, record_start_ns) in the first 64 bytes.
struct alignas(64) Flow {
  FlowKey key;  // 42 bytes
  // [src, dst] Zeek endpoint states: low nibble current TcpEndpointState, high nibble previous
  // (Zeek's prev_state, needed for its FIN-after-RST rule). Use TcpState()/SetTcpState().
  std::array<uint8_t, 2> tcp_state{};
  uint16_t bits = 0;      // kBit*
  uint8_t icmp_type = 0;  // of the first ICMP packet
  uint8_t icmp_code = 0;
  uint64_t last_ns = 0;          // latest packet of the flow
  uint64_t record_start_ns = 0;  // start of the active-timeout period of the current record
  uint64_t first_ns = 0;         // first packet of the flow
  uint64_t flow_id = 0;          // unique, increasing in creation order, starts at 1
  std::array<DirStats, 2> dir{};
  DirectionConfidence direction = DirectionConfidence::kGuess;
  std::array<decoders::Anomaly, kFlowAnomalySlots> anomaly{};  // delta counts per record
  std::array<std::array<uint8_t, 6>, 2> mac{};  // [src, dst] from the first packet, oriented
  std::array<char, kHistoryChars> history{};    // Zeek history letters, NUL padded
  uint16_t history_mask = 0;                    // letters already recorded once (per direction)
  uint16_t argus_status = 0;                    // kArgus* bits
  uint16_t record_seq = 0;                      // records exported so far for this flow
  // Zeek's repeat rules compare sequence numbers; we keep their low 16 bits (so a repeated
  // letter is missed once in 65536 new sequence numbers). [endpoint][syn, fin, rst]
  std::array<std::array<uint16_t, 3>, 2> hist_seq{};
  std::array<uint16_t, kFlowAnomalySlots> anomaly_count{};
  uint16_t anomaly_other = 0;  // anomalies that found no free slot
  std::array<uint16_t, kFlowLabelSlots> label_id{};
  std::array<uint16_t, kFlowLabelSlots> label_pkts{};
  uint16_t label_other = 0;  // packets whose label found no free slot
  decoders::AppState app;    // application-decoder state, owned by the caller's decoders
  // Firewall-log source: [in, out] interface of the flow's first packet, as ids the caller
  // interns (0 = none). Captures leave them 0.
  std::array<uint8_t, 2> iface_id{};
  // [src, dst] low 24 bits of the sequence number just past what the side has sent, for Zeek's
  // t/T (the slot's last 6 bytes; 24 bits tell "behind" from "ahead" within 8 MiB).
  std::array<std::array<uint8_t, 3>, 2> seq_front{};

  bool in_use() const { return (bits & kBitInUse) != 0; }
  TcpEndpointState TcpState(int side) const {
    return static_cast<TcpEndpointState>(tcp_state[side] & 0x0f);
  }
  TcpEndpointState PrevTcpState(int side) const {
    return static_cast<TcpEndpointState>(tcp_state[side] >> 4);
  }
  /// Zeek TCP_Endpoint::SetState: remembers the previous state on a change.
  void SetTcpState(int side, TcpEndpointState s) {
    const uint8_t cur = tcp_state[side] & 0x0f;
    if (cur == static_cast<uint8_t>(s)) return;
    tcp_state[side] = static_cast<uint8_t>((cur << 4) | static_cast<uint8_t>(s));
  }
  bool initiator_is_lo() const { return (bits & kBitInitiatorIsLo) != 0; }
};

// The benchmark runs 2^19 slots inside ~160 MB (305 bytes a slot). Everything except AppState
// fits in 200 bytes; AppState is budgeted at 48 bytes by its owner, so a slot is <= 256 bytes
// (2^19 slots = 128 MiB plus 4 MiB of bucket metadata).
static_assert(offsetof(Flow, app) <= 200, "Flow grew: its own fields are budgeted at 200 bytes");
static_assert(sizeof(Flow) <= 256, "Flow must stay within 256 bytes a slot");
static_assert(offsetof(Flow, record_start_ns) + 8 <= 64, "hot fields must share a cache line");

/// Initiator ("src") address / port of the record.
decoders::IpAddress SrcAddr(const Flow& f) noexcept;
decoders::IpAddress DstAddr(const Flow& f) noexcept;
uint16_t SrcPort(const Flow& f) noexcept;
uint16_t DstPort(const Flow& f) noexcept;

/// Zeek conn_state: "S0","S1","SF","REJ","S2","S3","RSTO","RSTR","RSTOS0","RSTRH","SH","SHR",
/// "OTH". UDP follows Zeek's UDP rule; every other protocol is "OTH".
std::string_view ConnState(const Flow& f) noexcept;

/// The Zeek history letters (upper case = initiator), a view into the flow.
std::string_view HistoryView(const Flow& f) noexcept;

/// Argus state: TCP RST/FIN/CLO/TIM/CON/ACC/REQ, ICMP mnemonic of the first ICMP type (ECO, ECR,
/// URP, TXD, ...), otherwise CON (both directions seen) or INT (one-way).
std::string_view ArgusState(const Flow& f, EndReason why) noexcept;

/// Room FormatArgusFlags() needs: eight letters a side and the '_'.
inline constexpr size_t kArgusFlagsTextBytes = 17;
/// Argus `-Z b` rendering "<src flags>_<dst flags>", letters in the order FSRPAUEC (ECE, CWR),
/// e.g. "A_RPA", into `buf`; returns its length.
size_t FormatArgusFlags(const Flow& f, char* buf) noexcept;

/// True when `side`'s (0 = src, 1 = dst) first packet carried payload and no SYN had been seen
/// on the flow (Zeek "D" without S/H; Argus "?>").
bool BareAck(const Flow& f, int side) noexcept;
/// Either side.
bool BareAck(const Flow& f) noexcept;

/// Argus "dir" hint: "->" SYN/SYN-ACK oriented or one-way, "<->" both ways, "?>" no SYN seen on
/// a TCP flow.
std::string_view ArgusDir(const Flow& f) noexcept;

/// Per-packet TCP update of states, history, Argus status (internal; exposed for tests).
/// `side` 0 = from the initiator.
void UpdateTcp(Flow& f, int side, uint8_t flags, uint32_t seq, uint32_t ack,
               uint32_t payload_len) noexcept;

/// Counts anomaly `a` in the flow's current record: its slot (one of kFlowAnomalySlots, by first
/// appearance), else anomaly_other. Saturates at 0xffff.
void AddAnomaly(Flow& f, decoders::Anomaly a) noexcept;

/// Counts `pkt`'s anomalies from index `first` on in the flow's current record: those the packet
/// names by AddAnomaly, those past its kMaxAnomaliesPerPacket slots in anomaly_other
/// (saturating). The flow table passes 0; a later decoder (the application decoders, which flag
/// after the table counted the packet) passes the count it found.
void AddPacketAnomalies(Flow& f, const decoders::DecodedPacket& pkt, uint8_t first = 0) noexcept;

/// Per-packet UDP history update: Zeek's UDP analyzer records "D"/"d" once per direction.
void UpdateUdp(Flow& f, int side) noexcept;

}  // namespace tapwatch::flowtable
