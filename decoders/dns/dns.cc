#include "decoders/dns/dns.h"

#include <string_view>

#include "decoders/byte_reader.h"

namespace tapwatch::decoders {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeNs = 2;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypePtr = 12;
constexpr uint16_t kTypeMx = 15;
constexpr uint16_t kTypeAaaa = 28;
constexpr size_t kHeaderBytes = 12;
// Compression pointers followed per name: a name has at most 127 labels, and a pointer must
// point backwards (RFC 1035 4.1.4 "a prior occurrence"), so loops end anyway; this bounds work.
constexpr int kMaxPointers = 16;

/// A name's presentation text, cut at kDnsNameLen - 1 bytes.
struct NameText {
  std::array<char, kDnsNameLen> text;
  size_t len = 0;
  void Put(char c) {
    if (len < text.size() - 1) text[len++] = c;
  }
  std::string_view view() const { return {text.data(), len}; }
};

void PutEscaped(uint8_t b, NameText& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (b == '.' || b == '\\') {
    out.Put('\\');
    out.Put(static_cast<char>(b));
  } else if (b < '!' || b > '~') {
    out.Put('\\');
    out.Put('x');
    out.Put(kHex[b >> 4]);
    out.Put(kHex[b & 0xF]);
  } else {
    out.Put(static_cast<char>(b));
  }
}

/// Reads the name at `pos` of `msg`, following compression pointers; `pos` moves past the name
/// where it starts (after its first pointer, if any). False on a name that runs off the message,
/// a forward or looping pointer, a reserved label type or more than 255 octets.
bool ReadName(std::span<const uint8_t> msg, size_t& pos, NameText& out) {
  size_t at = pos;
  size_t wire_octets = 1;  // the root label
  int pointers = 0;
  bool jumped = false;
  for (;;) {
    if (at >= msg.size()) return false;
    const uint8_t len = msg[at];
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= msg.size() || ++pointers > kMaxPointers) return false;
      const size_t target = (size_t{len & 0x3Fu} << 8) | msg[at + 1];
      if (target >= at) return false;  // only backwards: no loops
      if (!jumped) pos = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if ((len & 0xC0) != 0) return false;  // 0x40 / 0x80: extended or reserved label types
    if (len == 0) {
      if (!jumped) pos = at + 1;
      if (out.len == 0) out.Put('.');
      return true;
    }
    wire_octets += 1 + len;
    if (wire_octets > 255 || at + 1 + len > msg.size()) return false;
    if (out.len != 0) out.Put('.');
    for (size_t i = 0; i < len; ++i) PutEscaped(msg[at + 1 + i], out);
    at += 1 + len;
  }
}

void FormatIpv4(std::span<const uint8_t> a, NameText& out) {
  for (size_t i = 0; i < 4; ++i) {
    if (i) out.Put('.');
    const uint8_t v = a[i];
    if (v >= 100) out.Put(static_cast<char>('0' + v / 100));
    if (v >= 10) out.Put(static_cast<char>('0' + v / 10 % 10));
    out.Put(static_cast<char>('0' + v % 10));
  }
}

// RFC 5952 text: lower-case hex, leading zeros dropped, the longest run of two or more zero
// groups (the first of equals) as "::".
void FormatIpv6(std::span<const uint8_t> a, NameText& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  int best = -1, best_len = 1, run = -1, run_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (g[i] == 0) {
      if (run < 0) run = i, run_len = 0;
      if (++run_len > best_len) best = run, best_len = run_len;
    } else {
      run = -1;
    }
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out.Put(':');
      out.Put(':');
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) out.Put(':');
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (g[i] >> shift) & 0xF;
      if (nibble != 0 || started || shift == 0) {
        out.Put(kHex[nibble]);
        started = true;
      }
    }
  }
}

// One answer record's data as text, when its type is one we keep; false when it did not parse.
bool ReadAnswer(std::span<const uint8_t> msg, size_t& pos, DnsDetail& d) {
  NameText owner;
  if (!ReadName(msg, pos, owner)) return false;
  ByteReader r(msg.subspan(pos));
  const auto type = r.U16Be();
  const auto cls = r.U16Be();
  const auto ttl = r.U32Be();
  const auto rdlen = r.U16Be();
  if (!type || !cls || !ttl || !rdlen || r.remaining() < *rdlen) return false;
  const size_t rdata = pos + 10;
  pos = rdata + *rdlen;
  ++d.answer_records;
  NameText text;
  const std::span<const uint8_t> bytes = msg.subspan(rdata, *rdlen);
  switch (*type) {
    case kTypeA:
      if (*rdlen != 4) return false;
      FormatIpv4(bytes, text);
      break;
    case kTypeAaaa:
      if (*rdlen != 16) return false;
      FormatIpv6(bytes, text);
      break;
    case kTypeNs:
    case kTypeCname:
    case kTypePtr:
    case kTypeMx: {
      size_t at = rdata + (*type == kTypeMx ? 2 : 0);
      if (at > pos || !ReadName(msg.first(pos), at, text)) return false;
      break;
    }
    default:
      return true;  // counted, its data not kept
  }
  d.answers.Add(d.sets_used, text.view());
  return true;
}

bool DecodeMessage(std::span<const uint8_t> msg, DnsDetail& d) {
  ByteReader h(msg);
  h.Skip(2);  // id
  const uint16_t flags = *h.U16Be();
  const uint16_t qdcount = *h.U16Be();
  const uint16_t ancount = *h.U16Be();
  const bool response = (flags & 0x8000) != 0;
  if (response) {
    ++d.responses;
    ++d.rcodes[flags & 0xF];
  } else {
    ++d.queries;
  }
  size_t pos = kHeaderBytes;
  for (uint16_t i = 0; i < qdcount && i < kDnsQuestionsPerMessage; ++i) {
    NameText name;
    if (!ReadName(msg, pos, name)) return false;
    ByteReader q(msg.subspan(pos));
    const auto qtype = q.U16Be();
    if (!qtype || !q.Skip(2)) return false;
    pos += 4;
    d.query_types.Add(*qtype);
    d.query_names.Add(d.sets_used, name.view());
  }
  if (qdcount > kDnsQuestionsPerMessage) return true;  // the answers follow questions not read
  if (!response) return true;
  for (uint16_t i = 0; i < ancount && i < kDnsAnswersPerMessage; ++i) {
    if (!ReadAnswer(msg, pos, d)) return false;
  }
  return true;
}

}  // namespace

bool DecodeDnsMessage(std::span<const uint8_t> msg, DnsDetail& d) noexcept {
  if (msg.size() < kHeaderBytes || !DecodeMessage(msg, d)) {
    ++d.malformed;
    return false;
  }
  return true;
}

void DnsDetail::Decode(DecodedPacket& pkt, int dir) noexcept {
  const std::span<const uint8_t> payload = pkt.l4_payload;
  // A message cut by the capture's snaplen is decoded as far as it goes, not counted malformed.
  const bool whole = payload.size() >= pkt.l4_payload_wire_len;
  if (pkt.ip_proto != kIpProtoTcp) {
    const uint32_t malformed_before = malformed;
    if (!DecodeDnsMessage(payload, *this) && !whole) malformed = malformed_before;
    return;
  }
  // TCP: messages prefixed by their 2-byte length (RFC 1035 4.2.2, RFC 7766).
  size_t at = 0;
  if (tcp_pending_len[dir] != 0) {
    const uint16_t len = tcp_pending_len[dir];
    tcp_pending_len[dir] = 0;
    if (payload.size() >= len) {
      DecodeDnsMessage(payload.first(len), *this);
      at = len;
    } else {
      ++tcp_segments_skipped;
      return;
    }
  }
  while (at < payload.size()) {
    const size_t left = payload.size() - at;
    if (left < 2) {
      ++tcp_segments_skipped;
      return;
    }
    const uint16_t len = static_cast<uint16_t>((payload[at] << 8) | payload[at + 1]);
    if (left == 2 && whole) {  // the length alone: its message is the next segment
      tcp_pending_len[dir] = len;
      return;
    }
    if (len < kHeaderBytes || left - 2 < len) {
      ++tcp_segments_skipped;
      return;
    }
    DecodeDnsMessage(payload.subspan(at + 2, len), *this);
    at += 2 + size_t{len};
  }
}

}  // namespace tapwatch::decoders
