#pragma once
// NetBIOS names in first-level encoding (RFC 1001 section 14.1, RFC 1002 section 4.1): a 32-byte
// label of 'A'..'P' nibbles holding 16 bytes (15 name bytes + suffix), then optional scope labels,
// in NBNS possibly a DNS compression pointer (RFC 1002 section 4.1, RFC 1035 section 4.1.4).
// Rendered like Wireshark: trailing spaces dropped, non-printable bytes as "<xx>", then "<suffix>"
// and ".scope", e.g. "WORKGROUP<1d>".

#include <cstdint>
#include <span>
#include <string_view>

#include "decoders/app_detail.h"
#include "decoders/byte_reader.h"

namespace tapwatch::decoders {

using NetbiosNameString = FixedString<kNameLen>;

/// Renders the 16 raw name bytes (15 characters + suffix byte) as "NAME<xx>".
void RenderNetbiosName(std::span<const uint8_t, 16> raw, NetbiosNameString& out) noexcept;

/// Decodes one encoded name at the cursor of `in`. `message` is the whole NBNS message, for
/// compression pointers (nullptr-sized span: pointers not allowed). On success the cursor is after
/// the name (after the pointer, if one was followed). kTruncated when the bytes end inside the
/// name; kBad on a bad label, bad first-level encoding or pointer loop (cursor then unspecified);
/// kIllegal when the labels are well-formed DNS labels but the first is not a 32-byte NetBIOS
/// encoding (Wireshark's "Illegal NetBIOS name"): the cursor is then after the name, so the
/// record can still be read.
enum class NameStatus : uint8_t { kOk, kTruncated, kBad, kIllegal };
NameStatus DecodeNetbiosName(ByteReader& in, std::span<const uint8_t> message,
                             NetbiosNameString& out) noexcept;

}  // namespace tapwatch::decoders
