#include "decoders/nbds.h"

#include "decoders/byte_reader.h"
#include "decoders/netbios_name.h"

namespace tapwatch::decoders {
namespace {

constexpr size_t kSmbHeaderLen = 32;
constexpr uint8_t kSmbTrans = 0x25;
constexpr uint8_t kBrowserHostAnnouncement = 0x01;
constexpr uint8_t kBrowserLocalMasterAnnouncement = 0x0F;

// The SMB Trans request inside a datagram; MS-BRWS data sits at the header + DataOffset.
void DecodeBrowser(std::span<const uint8_t> smb, NbdsDetail& d) {
  ByteReader in(smb);
  if (in.U32Be() != 0xFF534D42u || in.U8() != kSmbTrans || !in.Skip(kSmbHeaderLen - 5)) return;
  const auto wc = in.U8();
  // Trans request words (MS-CIFS 2.2.4.33.1): TotalParameterCount TotalDataCount
  // MaxParameterCount MaxDataCount (2 each) MaxSetupCount Reserved (1 each) Flags(2) Timeout(4)
  // Reserved2 ParameterCount ParameterOffset DataCount (2 each), then DataOffset at byte 24.
  if (!wc || *wc < 14 || !in.Skip(24)) return;
  const auto data_offset = in.U16Le();
  if (!data_offset || *data_offset >= smb.size()) return;
  ByteReader data(smb.subspan(*data_offset));
  // MS-BRWS 2.2.1: Opcode(1) UpdateCount(1) Periodicity(4) ServerName(16) OSMajor(1) OSMinor(1).
  const auto opcode = data.U8();
  if (!opcode ||
      (*opcode != kBrowserHostAnnouncement && *opcode != kBrowserLocalMasterAnnouncement)) {
    return;
  }
  std::array<uint8_t, 16> name{};
  if (!data.Skip(5) || !data.Copy(name)) return;
  FixedString<kNameLen> host;
  for (uint8_t c : name) {
    if (c == 0) break;
    host.Push(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (host.len > 0) d.browser_hosts.Add(d.sets_used, host.view());
  const auto major = data.U8();
  const auto minor = data.U8();
  if (!major || !minor) return;
  char os[8];
  size_t n = 0;
  auto put_num = [&](uint8_t v) {
    if (v >= 100) os[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) os[n++] = static_cast<char>('0' + (v / 10) % 10);
    os[n++] = static_cast<char>('0' + v % 10);
  };
  put_num(*major);
  os[n++] = '.';
  put_num(*minor);
  d.browser_os.Add(d.sets_used, std::string_view(os, n));
}

}  // namespace

DecodeStatus DecodeNbds(std::span<const uint8_t> msg, NbdsDetail& d, DecodedPacket& pkt) noexcept {
  ByteReader in(msg);
  // RFC 1002 4.4.1: MSG_TYPE(1) FLAGS(1) DGM_ID(2) SOURCE_IP(4) SOURCE_PORT(2).
  const auto type = in.U8();
  if (!type || !in.Skip(9)) return pkt.Flag(Anomaly::kNbdsTruncated);
  switch (*type) {
    case 0x10:    // direct unique
    case 0x11:    // direct group
    case 0x12: {  // broadcast
      // DGM_LENGTH(2) PACKET_OFFSET(2) SOURCE_NAME DESTINATION_NAME USER_DATA (4.4.2).
      if (!in.Skip(4)) return pkt.Flag(Anomaly::kNbdsTruncated);
      NetbiosNameString src, dst;
      if (DecodeNetbiosName(in, {}, src) != NameStatus::kOk) {
        return pkt.Flag(Anomaly::kNbdsTruncated);
      }
      d.nbds_source_names.Add(d.sets_used, src.view());
      if (DecodeNetbiosName(in, {}, dst) != NameStatus::kOk) {
        return pkt.Flag(Anomaly::kNbdsTruncated);
      }
      d.nbds_destination_names.Add(d.sets_used, dst.view());
      DecodeBrowser(in.Rest(), d);
      return DecodeStatus::kOk;
    }
    case 0x13:  // error: ERROR_CODE(1)
      return DecodeStatus::kOk;
    case 0x14:    // query request
    case 0x15:    // positive query response
    case 0x16: {  // negative query response: DESTINATION_NAME (4.4.4)
      NetbiosNameString dst;
      if (DecodeNetbiosName(in, {}, dst) != NameStatus::kOk) {
        return pkt.Flag(Anomaly::kNbdsTruncated);
      }
      d.nbds_destination_names.Add(d.sets_used, dst.view());
      return DecodeStatus::kOk;
    }
    default:
      return DecodeStatus::kUnsupported;
  }
}

void NbdsDetail::Decode(DecodedPacket& pkt, int /*dir*/) noexcept {
  DecodeNbds(pkt.l4_payload, *this, pkt);
}

void NbdsDetail::PrefetchForExport() const noexcept {
  // The mask with the source names' head, and the destination names' head: every datagram that
  // names anyone names its destination.
  __builtin_prefetch(this, 0, 3);
  __builtin_prefetch(&nbds_destination_names, 0, 3);
}

}  // namespace tapwatch::decoders
