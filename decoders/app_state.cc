#include "decoders/app_state.h"

#include <algorithm>
#include <limits>


namespace tapwatch::decoders {
namespace {

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

template <typename T>
T SatInc(T v) {
  return v < std::numeric_limits<T>::max() ? static_cast<T>(v + 1) : v;
}

// The detail slot of type T for this flow, taking one from the pool on first use.
template <typename T>
T* Detail(AppState& state, AppScratch& scratch) {
  constexpr AppKind kind = kAppKind<T>;
  if (state.kind == AppKind::kNone) state.kind = kind;
  if (state.kind != kind || scratch.pool == nullptr) return nullptr;
  if (state.detail == kNoDetail) {
    if (state.flags & AppState::kNoDetailSlot) return nullptr;  // asked once, pool was empty
    state.detail = scratch.pool->Acquire<T>();
    if (state.detail == kNoDetail) {
      state.flags |= AppState::kNoDetailSlot;
      return nullptr;
    }
  }
  return scratch.pool->Get<T>(state.detail);
}

// Appends the packet's payload to direction `dir`'s part of the flow's chunk `first` ([0,
// first_bytes) from the initiator, then the responder's), up to first_bytes. UpdateAppState has
// checked that the chunk holds both parts, this part is not full and the payload is not empty.
void KeepFirstBytes(const DecodedPacket& pkt, int dir, uint16_t first_bytes, AppState& state,
                    std::span<uint8_t> first) {
  const uint16_t have = state.first_len[dir];
  const size_t n = std::min<size_t>(first_bytes - have, pkt.l4_payload.size());
  std::copy_n(pkt.l4_payload.begin(), n,
              first.begin() + static_cast<size_t>(dir) * first_bytes + have);
  state.first_len[dir] = static_cast<uint16_t>(have + n);
}

void UpdateIcmp(const DecodedPacket& pkt, AppState& state, AppScratch& scratch) {
  if (IcmpDetail* d = Detail<IcmpDetail>(state, scratch)) {
    d->ip_lengths.Add(pkt.ip_total_len);
  }
  if (!pkt.has_l4) return;
  if (pkt.ttl <= 1) state.ttl1_probes = SatInc(state.ttl1_probes);
  const bool request = pkt.icmp_type == kIcmpEchoRequest;
  const bool reply = pkt.icmp_type == kIcmpEchoReply;
  if (!request && !reply) return;
  if (request) state.echo_requests = SatInc(state.echo_requests);
  if (reply) state.echo_replies = SatInc(state.echo_replies);
  if (scratch.icmp_fingerprints != nullptr) {
    const int rule = scratch.icmp_fingerprints->Match(pkt.ip_total_len, pkt.ttl, pkt.l4_payload,
                                                      pkt.l4_payload_wire_len);
    // Rows are in priority order: the flow keeps the best row any of its echoes matched.
    if (rule >= 0 && rule < state.icmp_rule) state.icmp_rule = static_cast<uint8_t>(rule);
  }
}

// The decoder of each detail type with ports, by kind (kAppRoutes says which ports).
using DecodeFn = void (*)(DecodedPacket&, int, AppState&, AppScratch&);
template <typename T>
void DecodeInto(DecodedPacket& pkt, int dir, AppState& state, AppScratch& scratch) {
  if (T* d = Detail<T>(state, scratch)) d->Decode(pkt, dir);
}
template <typename... Ts>
constexpr std::array<DecodeFn, sizeof...(Ts) + 1> MakeDecoders(DetailList<Ts...>) {
  return {nullptr, [] {
            if constexpr (HasPorts<Ts>) return &DecodeInto<Ts>;
            return DecodeFn{nullptr};
          }()...};
}
constexpr auto kDecoders = MakeDecoders(AppDetails{});

}  // namespace

void UpdateAppState(DecodedPacket& pkt, bool from_src, const AppConfig& config, AppState& state,
                    AppScratch& scratch) noexcept {
  if (!config.enabled || !pkt.is_ip()) return;
  const int dir = from_src ? 0 : 1;
  const bool first_of_flow = (state.flags & (AppState::kSeenSrc | AppState::kSeenDst)) == 0;
  UpdateAppFlags(pkt, from_src, state);  // seen / SYN flags, as for the packets that need no more
  const bool has_payload = pkt.has_l4 && pkt.l4_payload_wire_len > 0;

  if (pkt.ip_proto == kIpProtoIcmp) {
    UpdateIcmp(pkt, state, scratch);
    return;
  }
  if (!pkt.has_l4 || pkt.is_later_fragment) return;

  if (pkt.ip_proto == kIpProtoTcp) {
    const uint8_t syn_bit = from_src ? AppState::kSynSrc : AppState::kSynDst;
    // Zeek's "D without S": payload from a side whose SYN we never saw (the Code Red bare ACKs).
    if (has_payload && !(state.flags & syn_bit)) {
      state.bare_ack_pkts[dir] = SatInc(state.bare_ack_pkts[dir]);
      if (first_of_flow) state.flags |= AppState::kBareAck;
    }
  }
  if (!has_payload) return;

  // The first-bytes chunk and the detail slot are usually cold: start loading them now, so the
  // misses overlap with the signature scan below instead of following it.
  std::span<uint8_t> first;
  bool keep_bytes = scratch.first_bytes_pool != nullptr && config.first_bytes != 0 &&
                    state.first_len[dir] < config.first_bytes && !pkt.l4_payload.empty();
  if (keep_bytes) {
    // The flow's chunk is taken with its first kept byte (most flows of a busy link keep some).
    if (state.first_chunk == kNoDetail) state.first_chunk = scratch.first_bytes_pool->Acquire();
    first = scratch.first_bytes_pool->Chunk(state.first_chunk);
    keep_bytes = first.size() >= size_t{2} * config.first_bytes;
  }
  if (keep_bytes) {
    __builtin_prefetch(
        first.data() + static_cast<size_t>(dir) * config.first_bytes + state.first_len[dir], 1);
  }
  if (scratch.pool != nullptr) scratch.pool->Prefetch(state.detail);
  if (scratch.signatures != nullptr && state.scanned_pkts[dir] < config.signature_packets) {
    ++state.scanned_pkts[dir];
    state.label_mask |= scratch.signatures->Match(pkt.ip_proto, pkt.dst_port, pkt.l4_payload,
                                                  pkt.l4_payload_wire_len);
  }
  if (keep_bytes) KeepFirstBytes(pkt, dir, config.first_bytes, state, first);

  const AppKind route = RouteByPorts(pkt.ip_proto, pkt.src_port, pkt.dst_port);
  if (route != AppKind::kNone) kDecoders[static_cast<size_t>(route)](pkt, dir, state, scratch);
}

void NoteIcmpError(const DecodedPacket& pkt, AppState& quoted) noexcept {
  quoted.errors_quoted = SatInc(quoted.errors_quoted);
  const uint16_t key = static_cast<uint16_t>((pkt.icmp_type << 8) | pkt.icmp_code);
  for (size_t i = 0; i < quoted.error_type_codes.size(); ++i) {
    if (quoted.error_type_counts[i] == 0) {
      quoted.error_type_codes[i] = key;
      quoted.error_type_counts[i] = 1;
      return;
    }
    if (quoted.error_type_codes[i] == key) {
      quoted.error_type_counts[i] = SatInc(quoted.error_type_counts[i]);
      return;
    }
  }
  quoted.error_other = SatInc(quoted.error_other);
}

void ReleaseAppState(AppState& state, AppDetailPool* pool,
                     FirstBytesPool* first_bytes) noexcept {
  if (pool != nullptr) pool->Release(state.detail);
  if (first_bytes != nullptr) first_bytes->Release(state.first_chunk);
  state = AppState{};
}

}  // namespace tapwatch::decoders
