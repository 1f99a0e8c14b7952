#include "decoders/nbns.h"

#include "decoders/byte_reader.h"
#include "decoders/netbios_name.h"

namespace tapwatch::decoders {
namespace {

// RFC 1002 4.2.1.1 allows a handful of records per message; more is bad input, not work to do.
constexpr uint32_t kMaxRecords = 64;

uint32_t Inc(uint32_t v) { return v < UINT32_MAX ? v + 1 : v; }

void CountType(uint16_t type, bool question, NbnsDetail& d) {
  if (type == kNbnsTypeNb) {
    question ? (d.nb_queries = Inc(d.nb_queries)) : (d.rr_nb = Inc(d.rr_nb));
  } else if (type == kNbnsTypeNbstat) {
    question ? (d.nbstat_queries = Inc(d.nbstat_queries)) : (d.rr_nbstat = Inc(d.rr_nbstat));
  } else {
    d.other_types = Inc(d.other_types);
  }
}

// RFC 1002 4.2.18: NODE_STATUS response RDATA = NUM_NAMES(1), NUM_NAMES x (name 16, flags 2),
// then statistics starting with the 6-byte unit ID (the MAC address).
void DecodeNodeStatus(ByteReader rdata, NbnsDetail& d) {
  const auto num = rdata.U8();
  if (!num) return;
  for (uint8_t i = 0; i < *num; ++i) {
    std::array<uint8_t, 16> raw{};
    if (!rdata.Copy(raw) || !rdata.Skip(2)) return;
    NetbiosNameString s;
    RenderNetbiosName(raw, s);
    d.nbstat_names.Add(d.sets_used, s.view());
  }
  std::array<uint8_t, 6> mac{};
  if (rdata.Copy(mac) && !d.has_nbstat_mac) {
    d.nbstat_mac = mac;
    d.has_nbstat_mac = true;
  }
}

}  // namespace

DecodeStatus DecodeNbns(std::span<const uint8_t> msg, NbnsDetail& d, DecodedPacket& pkt) noexcept {
  ByteReader in(msg);
  // RFC 1002 4.2.1.1 header: NAME_TRN_ID(2) flags(2) QDCOUNT ANCOUNT NSCOUNT ARCOUNT.
  const auto id = in.U16Be();
  const auto flags = in.U16Be();
  const auto qd = in.U16Be();
  const auto an = in.U16Be();
  const auto ns = in.U16Be();
  const auto ar = in.U16Be();
  if (!id || !flags || !qd || !an || !ns || !ar) return pkt.Flag(Anomaly::kNbnsTruncated);
  const bool response = (*flags & 0x8000) != 0;
  const uint8_t opcode = (*flags >> 11) & 0xF;
  const uint8_t rcode = *flags & 0xF;
  d.nbns_opcodes[opcode] = Inc(d.nbns_opcodes[opcode]);
  if (*flags & 0x0010) d.broadcast = Inc(d.broadcast);
  if (response) {
    d.responses = Inc(d.responses);
    if (rcode != 0) d.error_responses = Inc(d.error_responses);
  }
  if (uint32_t{*qd} + *an + *ns + *ar > kMaxRecords) return pkt.Flag(Anomaly::kNbnsBadCount);
  DecodeStatus result = DecodeStatus::kOk;
  for (uint16_t i = 0; i < *qd; ++i) {
    NetbiosNameString name;
    const NameStatus name_status = DecodeNetbiosName(in, msg, name);
    if (name_status == NameStatus::kTruncated) return pkt.Flag(Anomaly::kNbnsTruncated);
    if (name_status == NameStatus::kBad) return pkt.Flag(Anomaly::kNbnsBadName);
    // An illegal (non-NetBIOS) name is flagged, but the record after it is still read.
    if (name_status == NameStatus::kIllegal) result = pkt.Flag(Anomaly::kNbnsBadName);
    const auto type = in.U16Be();
    const auto cls = in.U16Be();
    if (!type || !cls) return pkt.Flag(Anomaly::kNbnsTruncated);
    if (name_status == NameStatus::kOk) d.nbns_names.Add(d.sets_used, name.view());
    CountType(*type, true, d);
  }
  const uint32_t records = uint32_t{*an} + *ns + *ar;
  for (uint32_t i = 0; i < records; ++i) {
    NetbiosNameString name;
    const NameStatus name_status = DecodeNetbiosName(in, msg, name);
    if (name_status == NameStatus::kTruncated) return pkt.Flag(Anomaly::kNbnsTruncated);
    if (name_status == NameStatus::kBad) return pkt.Flag(Anomaly::kNbnsBadName);
    // An illegal (non-NetBIOS) name is flagged, but the record after it is still read.
    if (name_status == NameStatus::kIllegal) result = pkt.Flag(Anomaly::kNbnsBadName);
    // RR: TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA.
    const auto type = in.U16Be();
    const auto cls = in.U16Be();
    const auto ttl = in.U32Be();
    const auto rdlen = in.U16Be();
    if (!type || !cls || !ttl || !rdlen) return pkt.Flag(Anomaly::kNbnsTruncated);
    if (name_status == NameStatus::kOk) d.nbns_names.Add(d.sets_used, name.view());
    CountType(*type, false, d);
    // A short capture may cut RDATA: decode what is there (snaplen is not an anomaly).
    const bool whole = in.remaining() >= *rdlen;
    ByteReader rdata = in.TakeUpTo(*rdlen);
    if (*type == kNbnsTypeNbstat && response && i < *an) DecodeNodeStatus(rdata, d);
    if (!whole && i + 1 < records) return pkt.Flag(Anomaly::kNbnsTruncated);
  }
  return result;
}

void NbnsDetail::Decode(DecodedPacket& pkt, int /*dir*/) noexcept {
  DecodeNbns(pkt.l4_payload, *this, pkt);
}

void NbnsDetail::PrefetchForExport() const noexcept {
  // The counters and the opcode table (read whole), and the head of the names set.
  for (const void* p : {static_cast<const void*>(this), static_cast<const void*>(&nbns_opcodes),
                        static_cast<const void*>(&nbns_names)}) {
    __builtin_prefetch(p, 0, 3);
  }
}

}  // namespace tapwatch::decoders
