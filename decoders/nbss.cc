#include "decoders/nbss.h"

#include <algorithm>

#include "decoders/byte_reader.h"
#include "decoders/netbios_name.h"
#include "decoders/smb.h"

namespace tapwatch::decoders {
namespace {

constexpr size_t kNbssHeaderLen = 4;
constexpr int kMaxMessagesPerSegment = 64;

bool ValidType(uint8_t type) {
  return type == kNbssSessionMessage || (type >= kNbssSessionRequest && type <= kNbssKeepalive);
}

// RFC 1002 4.3.2: session request body = called name, calling name (encoded, no pointers).
DecodeStatus DecodeSessionRequest(std::span<const uint8_t> body, SmbDetail& d, DecodedPacket& pkt) {
  ByteReader in(body);
  NetbiosNameString called, calling;
  if (DecodeNetbiosName(in, {}, called) != NameStatus::kOk)
    return pkt.Flag(Anomaly::kNbssTruncated);
  d.nbss_called.Add(d.sets_used, called.view());
  if (DecodeNetbiosName(in, {}, calling) != NameStatus::kOk)
    return pkt.Flag(Anomaly::kNbssTruncated);
  d.nbss_calling.Add(d.sets_used, calling.view());
  return DecodeStatus::kOk;
}

}  // namespace

DecodeStatus DecodeNbssSegment(std::span<const uint8_t> payload, uint32_t wire_len, uint32_t seq,
                               SmbStreamState& st, SmbDetail& d, DecodedPacket& pkt) noexcept {
  wire_len = std::max<uint32_t>(wire_len, static_cast<uint32_t>(payload.size()));
  if (wire_len == 0) return DecodeStatus::kOk;
  size_t pos = 0;
  bool resync = !st.seq_valid;
  if (st.seq_valid) {
    const auto diff = static_cast<int32_t>(seq - st.next_seq);
    if (diff < 0) {
      // Retransmission or overlap: only bytes beyond next_seq are new.
      const uint32_t old = static_cast<uint32_t>(-static_cast<int64_t>(diff));
      if (old >= wire_len) return DecodeStatus::kOk;
      pos = old;
    } else if (diff > 0) {
      // Gap (lost or unseen segment): skip what it covered of the current message, else resync.
      if (st.skip_bytes >= static_cast<uint32_t>(diff)) {
        st.skip_bytes -= static_cast<uint32_t>(diff);
      } else {
        st.skip_bytes = 0;
        resync = true;
      }
    }
  }
  st.next_seq = seq + wire_len;
  st.seq_valid = true;
  if (st.skip_bytes >= wire_len - pos) {
    st.skip_bytes -= static_cast<uint32_t>(wire_len - pos);
    return DecodeStatus::kOk;
  }
  pos += st.skip_bytes;
  st.skip_bytes = 0;

  DecodeStatus result = DecodeStatus::kOk;
  for (int n = 0; n < kMaxMessagesPerSegment && pos < wire_len; ++n) {
    if (pos + kNbssHeaderLen > payload.size()) {
      // Header cut by the segment end (can't know the length) or by snaplen: lose sync.
      if (pos + kNbssHeaderLen > wire_len && pos < payload.size() && !resync) {
        result = pkt.Flag(Anomaly::kNbssTruncated);
      }
      st.seq_valid = false;
      return result;
    }
    const uint8_t type = payload[pos];
    // RFC 1002 4.3.1: Type(1) Flags(1, bit 0 = length extension) Length(2); direct TCP (445)
    // uses a 24-bit length. Reading 24 bits covers both.
    const uint32_t len =
        (uint32_t{payload[pos + 1]} << 16) | (uint32_t{payload[pos + 2]} << 8) | payload[pos + 3];
    if (!ValidType(type) || (type != kNbssSessionMessage && payload[pos + 1] != 0)) {
      // After a gap, garbage here is expected (we are mid-message): drop the segment quietly.
      if (!resync) result = pkt.Flag(Anomaly::kNbssBadType);
      st.seq_valid = resync ? false : st.seq_valid;
      return result;
    }
    resync = false;
    d.nbss_types.Add(type);
    const size_t body_at = pos + kNbssHeaderLen;
    const size_t msg_end = body_at + len;
    const size_t captured_end = std::min<size_t>(msg_end, payload.size());
    const std::span<const uint8_t> body = payload.subspan(body_at, captured_end - body_at);
    const bool complete = msg_end <= payload.size();
    if (type == kNbssSessionMessage) {
      if (len > 0) {
        const DecodeStatus s = DecodeSmbMessage(body, complete, d, pkt);
        if (s == DecodeStatus::kMalformed) result = s;
      }
    } else if (type == kNbssSessionRequest) {
      if (complete || body.size() >= 68) {
        if (DecodeSessionRequest(body, d, pkt) == DecodeStatus::kMalformed) {
          result = DecodeStatus::kMalformed;
        }
      }
    }
    if (msg_end > wire_len) {
      st.skip_bytes = static_cast<uint32_t>(msg_end - wire_len);
      return result;
    }
    pos = msg_end;
  }
  return result;
}

void SmbDetail::Decode(DecodedPacket& pkt, int dir) noexcept {
  DecodeNbssSegment(pkt.l4_payload, pkt.l4_payload_wire_len, pkt.tcp_seq, stream[dir], *this, pkt);
}

void SmbDetail::PrefetchForExport() const noexcept {
  // The first lines (counters, the sets_used mask) and the SMB1 command table; the string sets
  // and the SMB2 table are read only when the mask says they hold something (an SMB2 session
  // for the table), so they are not asked for.
  for (const void* p : {static_cast<const void*>(this), static_cast<const void*>(&smb1_commands),
                        static_cast<const void*>(&smb1_commands.counts.back())}) {
    __builtin_prefetch(p, 0, 3);
  }
}

}  // namespace tapwatch::decoders
