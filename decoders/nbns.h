#pragma once
// NetBIOS name service (RFC 1002 section 4.2, UDP 137): opcode, broadcast flag, response code,
// question and resource-record names with their suffix, question types NB / NBSTAT, and the name
// table and MAC address of node status (NBSTAT) responses.

#include <cstdint>
#include <span>

#include "decoders/app_detail.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

inline constexpr uint16_t kNbnsTypeNb = 0x20;
inline constexpr uint16_t kNbnsTypeNbstat = 0x21;

/// Decodes one NBNS message (the UDP payload) into `d`.
/// Anomalies: kNbnsTruncated, kNbnsBadName, kNbnsBadCount.
DecodeStatus DecodeNbns(std::span<const uint8_t> msg, NbnsDetail& d, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
