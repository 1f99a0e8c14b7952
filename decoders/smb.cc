#include "decoders/smb.h"

#include <string_view>

#include "decoders/byte_reader.h"

namespace tapwatch::decoders {
namespace {

constexpr uint8_t kSmb1Negotiate = 0x72;
constexpr uint8_t kSmb1TreeConnectAndx = 0x75;
constexpr uint8_t kSmb1Trans = 0x25;
constexpr uint8_t kSmb1NtCreateAndx = 0xA2;
constexpr uint8_t kSmb1NoAndx = 0xFF;
constexpr int kMaxAndxHops = 8;
constexpr int kMaxCompoundHops = 16;
constexpr size_t kSmb1HeaderLen = 32;
constexpr size_t kSmb2HeaderLen = 64;

// MS-CIFS 2.2.4: commands whose parameter block starts with an AndX header.
bool IsAndx(uint8_t cmd) {
  switch (cmd) {
    case 0x24:  // Locking AndX
    case 0x2D:  // Open AndX
    case 0x2E:  // Read AndX
    case 0x2F:  // Write AndX
    case 0x73:  // Session Setup AndX
    case 0x74:  // Logoff AndX
    case 0x75:  // Tree Connect AndX
    case 0xA2:  // NT Create AndX
      return true;
    default:
      return false;
  }
}

bool IEndsWith(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (a != suffix[i]) return false;
  }
  return true;
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (a != prefix[i]) return false;
  }
  return true;
}

bool HasIpcTree(const SmbDetail& d) {
  for (const auto& path : d.tree_paths.Items(d.sets_used)) {
    if (IEndsWith(path.view(), "IPC$")) return true;
  }
  return false;
}

// Reads a NUL-terminated string (UTF-16LE when `unicode`, else 8-bit), at most `max_bytes` bytes
// of input; non-ASCII characters become '?'. Stops quietly at the end of the captured bytes.
void ReadSmbString(ByteReader& in, bool unicode, size_t max_bytes, FixedString<kPathLen>& out) {
  out.len = 0;
  size_t used = 0;
  while (used < max_bytes) {
    uint16_t c = 0;
    if (unicode) {
      const auto u = in.U16Le();
      if (!u) return;
      c = *u;
      used += 2;
    } else {
      const auto b = in.U8();
      if (!b) return;
      c = *b;
      used += 1;
    }
    if (c == 0) return;
    out.Push(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
}

void NoteFailure(SmbDetail& d, uint32_t status) {
  if (d.failed_responses == 0) d.first_error_status = status;
  if (d.failed_responses < UINT32_MAX) ++d.failed_responses;
}

// An NT status of severity "error" (MS-ERREF 2.3: top two bits 11), except the one that is part
// of a normal multi-leg session setup.
bool IsNtError(uint32_t status) {
  return (status >> 30) == 3 && status != kNtStatusMoreProcessingRequired;
}

// Request-specific fields of one SMB1 command block. `block` starts at the WordCount byte;
// `smb` is the whole message (offsets for alignment are relative to its start).
void DecodeSmb1Request(uint8_t cmd, std::span<const uint8_t> smb, size_t block, uint8_t wc,
                       bool unicode, SmbDetail& d) {
  const size_t bytes_at = block + 1 + 2 * size_t{wc} + 2;  // after WordCount, words, ByteCount
  if (bytes_at > smb.size()) return;
  ByteReader words(smb.subspan(block + 1, 2 * size_t{wc}));
  ByteReader bcc(smb.subspan(block + 1 + 2 * size_t{wc}, 2));
  const uint16_t byte_count = bcc.U16Le().value_or(0);
  ByteReader bytes(
      smb.subspan(bytes_at).first(std::min<size_t>(byte_count, smb.size() - bytes_at)));
  FixedString<kPathLen> s;
  switch (cmd) {
    case kSmb1Negotiate: {
      // MS-CIFS 2.2.4.52.1: a list of 0x02 + NUL-terminated OEM dialect strings.
      while (bytes.remaining() > 0) {
        if (bytes.U8() != uint8_t{0x02}) return;
        ReadSmbString(bytes, false, bytes.remaining(), s);
        d.dialects.Add(d.sets_used, s.view());
      }
      return;
    }
    case kSmb1TreeConnectAndx: {
      // MS-CIFS 2.2.4.55.1: words AndX(4) Flags(2) PasswordLength(2); bytes Password, Path.
      if (wc < 4 || !words.Skip(6)) return;
      const uint16_t pw_len = words.U16Le().value_or(0);
      if (!bytes.Skip(pw_len)) return;
      if (unicode && ((bytes_at + bytes.position()) & 1)) bytes.Skip(1);  // pad to 16 bits
      ReadSmbString(bytes, unicode, bytes.remaining(), s);
      if (s.len > 0) d.tree_paths.Add(d.sets_used, s.view());
      return;
    }
    case kSmb1Trans: {
      // MS-CIFS 2.2.4.33.1: bytes start with the transaction name (\PIPE\..., \MAILSLOT\...).
      if (wc < 14) return;
      if (unicode && (bytes_at & 1)) bytes.Skip(1);
      ReadSmbString(bytes, unicode, bytes.remaining(), s);
      if (IStartsWith(s.view(), "\\PIPE\\") && s.len > 6) d.pipes.Add(d.sets_used, s.view());
      return;
    }
    case kSmb1NtCreateAndx: {
      // MS-CIFS 2.2.4.64.1: 24 words; bytes are (pad) FileName. On an IPC$ tree it is a pipe.
      if (wc < 24 || !HasIpcTree(d)) return;
      if (unicode && (bytes_at & 1)) bytes.Skip(1);
      ReadSmbString(bytes, unicode, bytes.remaining(), s);
      if (s.len > 0) d.pipes.Add(d.sets_used, s.view());
      return;
    }
    default:
      return;
  }
}

}  // namespace

DecodeStatus DecodeSmb1(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                        DecodedPacket& pkt) noexcept {
  ByteReader in(msg);
  const auto magic = in.U32Be();
  if (!magic) return complete ? pkt.Flag(Anomaly::kSmbTruncated) : DecodeStatus::kOk;
  if (*magic != 0xFF534D42u) return pkt.Flag(Anomaly::kSmbBadHeader);
  // MS-CIFS 2.2.3.1: Command(1) Status(4) Flags(1) Flags2(2) PIDHigh(2) Signature(8) Reserved(2)
  // TID(2) PIDLow(2) UID(2) MID(2).
  const auto cmd = in.U8();
  const auto status = in.U32Le();
  const auto flags = in.U8();
  const auto flags2 = in.U16Le();
  if (!cmd || !status || !flags || !flags2 || !in.Skip(20)) {
    return complete ? pkt.Flag(Anomaly::kSmbTruncated) : DecodeStatus::kOk;
  }
  if (d.version < 1) d.version = 1;
  if (d.messages < UINT32_MAX) ++d.messages;
  d.smb1_commands.Add(*cmd);
  const bool reply = (*flags & 0x80) != 0;
  const bool unicode = (*flags2 & 0x8000) != 0;
  if (reply) {
    if (*flags2 & 0x4000) {
      if (IsNtError(*status)) NoteFailure(d, *status);
    } else if ((*status & 0xFF) != 0) {
      // DOS error: ErrorClass(1) Reserved(1) ErrorCode(2).
      NoteFailure(d, ((*status & 0xFF) << 16) | (*status >> 16));
    }
  }
  // Walk the command blocks: the first after the header, then the AndX chain.
  size_t block = kSmb1HeaderLen;
  uint8_t command = *cmd;
  for (int hop = 0; hop <= kMaxAndxHops; ++hop) {
    if (block >= msg.size()) {
      return complete ? pkt.Flag(Anomaly::kSmbTruncated) : DecodeStatus::kOk;
    }
    const uint8_t wc = msg[block];
    const size_t block_end = block + 1 + 2 * size_t{wc} + 2;
    if (block_end > msg.size()) {
      return complete ? pkt.Flag(Anomaly::kSmbTruncated) : DecodeStatus::kOk;
    }
    if (!reply) DecodeSmb1Request(command, msg, block, wc, unicode, d);
    if (!IsAndx(command) || wc < 2) return DecodeStatus::kOk;
    // AndX header (MS-CIFS 2.2.3.4): AndXCommand(1) AndXReserved(1) AndXOffset(2).
    const uint8_t next = msg[block + 1];
    const size_t next_offset = size_t{msg[block + 3]} | (size_t{msg[block + 4]} << 8);
    if (next == kSmb1NoAndx) return DecodeStatus::kOk;
    // The chain must move forward (a loop or a backward jump is bad input).
    if (next_offset < block_end || next_offset >= msg.size()) {
      if (next_offset >= msg.size() && next_offset > block && !complete) {
        d.smb1_commands.Add(next);  // the next block lies in a later segment
        return DecodeStatus::kOk;
      }
      return pkt.Flag(Anomaly::kSmbBadAndxChain);
    }
    d.smb1_commands.Add(next);
    block = next_offset;
    command = next;
  }
  return pkt.Flag(Anomaly::kSmbBadAndxChain);
}

DecodeStatus DecodeSmb2(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                        DecodedPacket& pkt) noexcept {
  size_t offset = 0;
  for (int hop = 0; hop < kMaxCompoundHops; ++hop) {
    ByteReader in(msg.subspan(offset));
    // MS-SMB2 2.2.1: ProtocolId(4) StructureSize(2)=64 CreditCharge(2) Status(4) Command(2)
    // Credits(2) Flags(4) NextCommand(4) MessageId(8) ... (64 bytes).
    const auto magic = in.U32Be();
    const auto size = in.U16Le();
    if (magic && *magic != 0xFE534D42u) return pkt.Flag(Anomaly::kSmbBadHeader);
    const auto status = (in.Skip(2), in.U32Le());
    const auto cmd = in.U16Le();
    const auto flags = (in.Skip(2), in.U32Le());
    const auto next = in.U32Le();
    if (!magic || !size || !status || !cmd || !flags || !next || !in.Skip(kSmb2HeaderLen - 24)) {
      return complete ? pkt.Flag(Anomaly::kSmb2Truncated) : DecodeStatus::kOk;
    }
    if (*size != kSmb2HeaderLen) return pkt.Flag(Anomaly::kSmbBadHeader);
    d.version = 2;
    if (d.messages < UINT32_MAX) ++d.messages;
    if (*cmd < d.smb2_commands.size()) {
      d.smb2_commands.Add(d.sets_used, *cmd);
    } else {
      ++d.smb2_other_commands;
    }
    const bool response = (*flags & 1) != 0;
    if (response && IsNtError(*status)) NoteFailure(d, *status);
    ByteReader body = in;
    if (*cmd == 0 && !response) {
      // Negotiate request (2.2.3): StructureSize(2)=36 DialectCount(2) ... Dialects at +36.
      body.Skip(2);
      const uint16_t count = body.U16Le().value_or(0);
      if (body.Skip(32)) {
        for (uint16_t i = 0; i < count && i < 16; ++i) {
          const auto dialect = body.U16Le();
          if (!dialect) break;
          char text[7] = {'0', 'x', 0, 0, 0, 0, 0};
          constexpr char kHex[] = "0123456789abcdef";
          for (int k = 0; k < 4; ++k) text[2 + k] = kHex[(*dialect >> (12 - 4 * k)) & 0xF];
          d.dialects.Add(d.sets_used, std::string_view(text, 6));
        }
      }
    } else if (*cmd == 0 && response && *status == 0) {
      // Negotiate response (2.2.4): StructureSize(2) SecurityMode(2) DialectRevision(2).
      if (body.Skip(4)) {
        if (const auto dialect = body.U16Le()) d.smb2_dialect = *dialect;
      }
    } else if ((*cmd == 3 || *cmd == 5) && !response) {
      // Tree Connect request (2.2.9): Size(2) Flags(2) PathOffset(2) PathLength(2).
      // Create request (2.2.13): NameOffset at +44, NameLength at +46. Offsets from the header.
      const bool tree = *cmd == 3;
      if (body.Skip(tree ? 4 : 44)) {
        const auto name_off = body.U16Le();
        const auto name_len = body.U16Le();
        if (name_off && name_len && *name_off >= kSmb2HeaderLen &&
            offset + *name_off < msg.size()) {
          const bool want = tree || HasIpcTree(d);
          ByteReader name(msg.subspan(offset + *name_off));
          FixedString<kPathLen> s;
          ReadSmbString(name, true, *name_len, s);
          if (want && s.len > 0) {
            tree ? d.tree_paths.Add(d.sets_used, s.view()) : d.pipes.Add(d.sets_used, s.view());
          }
        }
      }
    }
    if (*next == 0) return DecodeStatus::kOk;
    if (*next < kSmb2HeaderLen || offset + *next >= msg.size()) {
      return complete ? pkt.Flag(Anomaly::kSmb2Truncated) : DecodeStatus::kOk;
    }
    offset += *next;
  }
  return DecodeStatus::kOk;
}

DecodeStatus DecodeSmbMessage(std::span<const uint8_t> msg, bool complete, SmbDetail& d,
                              DecodedPacket& pkt) noexcept {
  if (msg.size() < 4) return complete ? pkt.Flag(Anomaly::kSmbTruncated) : DecodeStatus::kOk;
  if (msg[1] != 'S' || msg[2] != 'M' || msg[3] != 'B') return DecodeStatus::kUnsupported;
  switch (msg[0]) {
    case 0xFF:
      return DecodeSmb1(msg, complete, d, pkt);
    case 0xFE:
      return DecodeSmb2(msg, complete, d, pkt);
    case 0xFD:  // SMB3 transform header (MS-SMB2 2.2.41): encrypted, nothing to read
    case 0xFC:  // SMB3 compression transform
      d.version = 2;
      if (d.messages < UINT32_MAX) ++d.messages;
      return DecodeStatus::kOk;
    default:
      return DecodeStatus::kUnsupported;
  }
}

}  // namespace tapwatch::decoders
