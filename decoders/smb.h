#pragma once
// SMB1 (MS-CIFS) and SMB2/3 (MS-SMB2) message decoders. They read one message (as carried in one
// NBSS session message) and add what they find to an SmbDetail: command counts (SMB1 AndX chains
// and SMB2 compound chains followed), failed responses and the first error, dialects, tree paths
// and named pipes. Only the captured part of a message is read; `complete` says whether the whole
// message is present (false for a message split across TCP segments: a short body is then not an
// anomaly, and what lies in later segments is not decoded).

#include <cstdint>
#include <span>

#include "decoders/app_detail.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

inline constexpr uint32_t kNtStatusMoreProcessingRequired = 0xC0000016;
inline constexpr uint32_t kNtStatusPending = 0x00000103;

/// Decodes one SMB1 message starting at its 0xFF 'S' 'M' 'B' header.
/// Anomalies: kSmbTruncated, kSmbBadHeader, kSmbBadAndxChain.
DecodeStatus DecodeSmb1(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                        DecodedPacket& pkt) noexcept;

/// Decodes one SMB2/3 message (and the compound chain after it) starting at 0xFE 'S' 'M' 'B'.
/// Anomalies: kSmb2Truncated, kSmbBadHeader.
DecodeStatus DecodeSmb2(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                        DecodedPacket& pkt) noexcept;

/// Dispatches on the protocol id: SMB1, SMB2, or SMB3 transform (encrypted, counted only).
/// kUnsupported for anything else.
DecodeStatus DecodeSmbMessage(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                              DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
