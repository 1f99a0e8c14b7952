#pragma once
// DNS (RFC 1035) over UDP and TCP port 53: per flow, the queries and responses, question names
// and types, response codes and answer data, all bounded. No TCP reassembly: a segment that
// holds whole length-prefixed messages is decoded, as is one whose 2-byte length came alone in
// the segment before (the two ways stub resolvers and servers send); anything else is counted
// in tcp_segments_skipped.
// Names are written in presentation form, ASCII only: "www.example.com", "." for the root; a
// byte outside '!'..'~' in a label is "\xNN", a '.' or '\' inside a label is escaped with '\'.

#include <array>
#include <cstdint>
#include <span>

#include "decoders/app_detail.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Longest name kept (a name is at most 255 octets on the wire; escapes may make its text
/// longer, then it is cut).
inline constexpr size_t kDnsNameLen = 256;
/// Questions and answer records read per message; the header's counts beyond are not read.
inline constexpr uint16_t kDnsQuestionsPerMessage = 16;
inline constexpr uint16_t kDnsAnswersPerMessage = 32;

struct DnsDetail {
  DnsDetail() noexcept {}
  uint16_t sets_used = 0;          // which string sets below hold anything (MarkedStringSet)
  uint32_t queries = 0;            // messages with QR = 0
  uint32_t responses = 0;          // messages with QR = 1
  uint32_t answer_records = 0;     // answer records read in responses
  uint32_t malformed = 0;          // messages that did not decode to their end
  uint32_t tcp_segments_skipped = 0;  // TCP payload that did not start a whole message
  std::array<uint16_t, 2> tcp_pending_len{};  // a length prefix that came alone, per direction
  std::array<uint32_t, 16> rcodes{};          // responses per RCODE
  BoundedCounter<uint16_t, 8> query_types;    // QTYPE -> questions
  // The first 4 distinct question names and the first 8 distinct answer data (A, AAAA, CNAME,
  // NS, PTR, MX), each set in 512 bytes.
  MarkedStringSet<kDnsNameLen, 4, 0, 512> query_names;
  MarkedStringSet<kDnsNameLen, 8, 1, 512> answers;

  /// Domain Name System (IANA), over UDP and over TCP.
  static constexpr AppPort kPorts[] = {{kIpProtoUdp, 53}, {kIpProtoTcp, 53}};
  /// One payload packet of the flow, from side `dir` (0 initiator).
  void Decode(DecodedPacket& pkt, int dir) noexcept;
  void PrefetchForExport() const noexcept { __builtin_prefetch(this, 0, 3); }
  /// The record's `dns` summary (dns_record.h).
  template <typename Record>
  static constexpr uint32_t RecordField() { return Record::kDnsFieldNumber; }
  template <typename Record, typename Writer>
  void EncodeRecord(Writer& out) const;
};

/// Decodes one DNS message (no TCP length prefix) into `d`; false when it did not decode to the
/// end of what its header announces (counted in d.malformed).
bool DecodeDnsMessage(std::span<const uint8_t> msg, DnsDetail& d) noexcept;

}  // namespace tapwatch::decoders
