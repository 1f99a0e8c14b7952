#pragma once
// NetBIOS datagram service (RFC 1002 section 4.4, UDP 138): source and destination names of
// direct/broadcast datagrams, and browser announcements (MS-BRWS 2.2.1 HostAnnouncement and
// LocalMasterAnnouncement carried in an SMB1 Trans to \MAILSLOT\BROWSE): host name and OS version.

#include <cstdint>
#include <span>

#include "decoders/app_detail.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes one NBDS datagram (the UDP payload) into `d`. Anomalies: kNbdsTruncated (also for a bad
/// name: the names are fixed-size in this protocol, so a bad one means the header is garbage).
DecodeStatus DecodeNbds(std::span<const uint8_t> msg, NbdsDetail& d, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
