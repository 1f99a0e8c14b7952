#include "decoders/smb.h"

#include <gtest/gtest.h>

#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using decoders::Anomaly;
using decoders::DecodedPacket;
using decoders::DecodeStatus;
using decoders::SmbDetail;

// Negotiate request (0x72): WordCount 0, ByteCount, dialects (0x02 + NUL-terminated).
Bytes Negotiate() {
  Bytes b = Smb1Header(0x72);
  Bytes dialects;
  for (std::string_view d : {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"}) {
    dialects.push_back(0x02);
    AppendText(dialects, d);
    dialects.push_back(0);
  }
  b.push_back(0);
  Le16(b, static_cast<uint16_t>(dialects.size()));
  Append(b, dialects);
  return b;
}

// Session Setup AndX (0x73, WordCount 12) chained to Tree Connect AndX (0x75, WordCount 4)
// with the unicode path \\SERVER\IPC$.
Bytes SessionSetupThenTreeConnect() {
  Bytes b = Smb1Header(0x73);
  // Session Setup AndX request words: AndXCommand 0x75, reserved, AndXOffset (patched below),
  // MaxBuffer, MaxMpx, VcNumber, SessionKey(4), SecurityBlobLength, Reserved(4), Capabilities(4).
  b.push_back(12);
  const size_t andx_off_at = b.size() + 2;
  Append(b, {0x75, 0x00, 0x00, 0x00});
  Le16(b, 4356);
  Le16(b, 10);
  Le16(b, 0);
  Le32(b, 0);
  Le16(b, 0);
  Le32(b, 0);
  Le32(b, 0x800000d4);
  Le16(b, 0);  // ByteCount 0
  const size_t tree_at = b.size();
  b[andx_off_at] = static_cast<uint8_t>(tree_at);
  b[andx_off_at + 1] = static_cast<uint8_t>(tree_at >> 8);
  // Tree Connect AndX words: AndXCommand 0xFF, reserved, AndXOffset 0, Flags, PasswordLength 1.
  b.push_back(4);
  Append(b, {0xFF, 0x00, 0x00, 0x00});
  Le16(b, 0x0008);
  Le16(b, 1);
  Bytes bytes{0x00};  // password
  // MS-CIFS 2.2.4.55.1: Path is 16-bit aligned from the SMB header start in unicode mode.
  if ((b.size() + 2 + bytes.size()) % 2 == 1) bytes.push_back(0);
  Utf16(bytes, "\\\\SERVER\\IPC$");
  AppendText(bytes, "?????");
  bytes.push_back(0);
  Le16(b, static_cast<uint16_t>(bytes.size()));
  Append(b, bytes);
  return b;
}

TEST(Smb1, TreeDisconnectAndEchoCounted) {
  SmbDetail d;
  DecodedPacket pkt;
  EXPECT_EQ(decoders::DecodeSmb1(Smb1TreeDisconnect(), true, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(decoders::DecodeSmb1(Smb1Echo(), true, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x71), 1u);
  EXPECT_EQ(d.smb1_commands.Get(0x2B), 1u);
  EXPECT_EQ(d.messages, 2u);
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(pkt.anomaly_count, 0);
}

TEST(Smb1, NegotiateDialects) {
  SmbDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeSmb1(Negotiate(), true, d, pkt), DecodeStatus::kOk);
  ASSERT_EQ(d.dialects.Items(d.sets_used).size(), 3);
  EXPECT_EQ(d.dialects.Items(d.sets_used)[0].view(), "PC NETWORK PROGRAM 1.0");
  EXPECT_EQ(d.dialects.Items(d.sets_used)[2].view(), "NT LM 0.12");
}

TEST(Smb1, AndxChainFollowedToTreeConnectPath) {
  SmbDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeSmb1(SessionSetupThenTreeConnect(), true, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x73), 1u);
  EXPECT_EQ(d.smb1_commands.Get(0x75), 1u);
  ASSERT_EQ(d.tree_paths.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.tree_paths.Items(d.sets_used)[0].view(), "\\\\SERVER\\IPC$");
}

TEST(Smb1, FailedResponsesNtAndDos) {
  SmbDetail d;
  DecodedPacket pkt;
  // Tree Connect response, NT status STATUS_ACCESS_DENIED (0xC0000022), reply flag 0x80.
  Bytes nt = Smb1Header(0x75, 0xC0000022, 0x98, 0xC803);
  Append(nt, {0, 0, 0});
  // Session setup response with STATUS_MORE_PROCESSING_REQUIRED: a normal leg, not a failure.
  Bytes more = Smb1Header(0x73, 0xC0000016, 0x98, 0xC803);
  Append(more, {0, 0, 0});
  // DOS error (Flags2 without NT status): class ERRDOS (1), code 2 (file not found).
  Bytes dos = Smb1Header(0x2D, 0x00020001, 0x98, 0x8001);
  Append(dos, {0, 0, 0});
  decoders::DecodeSmb1(more, true, d, pkt);
  EXPECT_EQ(d.failed_responses, 0u);
  decoders::DecodeSmb1(nt, true, d, pkt);
  decoders::DecodeSmb1(dos, true, d, pkt);
  EXPECT_EQ(d.failed_responses, 2u);
  EXPECT_EQ(d.first_error_status, 0xC0000022u);
}

TEST(Smb1, Anomalies) {
  SmbDetail d;
  {
    DecodedPacket pkt;
    Bytes bad = Smb1TreeDisconnect();
    bad[1] = 'X';
    EXPECT_EQ(decoders::DecodeSmb1(bad, true, d, pkt), DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kSmbBadHeader));
  }
  {
    // AndX offset pointing backwards into the header: a loop.
    DecodedPacket pkt;
    Bytes loop = SessionSetupThenTreeConnect();
    loop[32 + 3] = 10;
    loop[32 + 4] = 0;
    EXPECT_EQ(decoders::DecodeSmb1(loop, true, d, pkt), DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kSmbBadAndxChain));
  }
}

TEST(Smb1, EveryPrefixOfACompleteMessageIsTruncated) {
  for (const Bytes& full :
       {Smb1TreeDisconnect(), Smb1Echo(), Negotiate(), SessionSetupThenTreeConnect()}) {
    for (size_t n = 0; n < full.size(); ++n) {
      SmbDetail d;
      DecodedPacket pkt;
      const std::span<const uint8_t> part(full.data(), n);
      const DecodeStatus s = decoders::DecodeSmb1(part, true, d, pkt);
      // A cut inside the fixed header or the first block must be flagged; a cut inside the
      // byte block (ByteCount says more) is read as far as it goes.
      if (n < 35) {
        EXPECT_EQ(s, DecodeStatus::kMalformed) << n;
        EXPECT_TRUE(pkt.Has(Anomaly::kSmbTruncated)) << n;
      }
      // The same bytes as the first part of a message split over segments: never an anomaly.
      DecodedPacket split;
      SmbDetail d2;
      EXPECT_NE(decoders::DecodeSmb1(part, false, d2, split), DecodeStatus::kMalformed) << n;
    }
  }
}

// MS-SMB2 2.2.1.2 sync header, 64 bytes.
Bytes Smb2Header(uint16_t cmd, bool response, uint32_t status = 0, uint32_t next = 0) {
  Bytes b{0xFE, 'S', 'M', 'B'};
  Le16(b, 64);
  Le16(b, 1);  // CreditCharge
  Le32(b, status);
  Le16(b, cmd);
  Le16(b, 1);  // Credits
  Le32(b, response ? 1 : 0);
  Le32(b, next);
  b.insert(b.end(), 8, 0);   // MessageId
  b.insert(b.end(), 4, 0);   // Reserved
  Le32(b, 1);                // TreeId
  b.insert(b.end(), 8, 0);   // SessionId
  b.insert(b.end(), 16, 0);  // Signature
  return b;
}

TEST(Smb2, NegotiateTreeConnectAndStatus) {
  SmbDetail d;
  DecodedPacket pkt;
  Bytes neg = Smb2Header(0, false);
  Le16(neg, 36);
  Le16(neg, 3);  // DialectCount
  Le16(neg, 1);
  Le16(neg, 0);
  Le32(neg, 0);
  neg.insert(neg.end(), 16, 0);  // ClientGuid
  neg.insert(neg.end(), 8, 0);   // ClientStartTime / contexts
  Le16(neg, 0x0202);
  Le16(neg, 0x0210);
  Le16(neg, 0x0311);
  ASSERT_EQ(decoders::DecodeSmb2(neg, true, d, pkt), DecodeStatus::kOk);
  Bytes resp = Smb2Header(0, true);
  Le16(resp, 65);
  Le16(resp, 1);
  Le16(resp, 0x0311);
  resp.insert(resp.end(), 58, 0);
  ASSERT_EQ(decoders::DecodeSmb2(resp, true, d, pkt), DecodeStatus::kOk);
  Bytes tree = Smb2Header(3, false);
  Le16(tree, 9);
  Le16(tree, 0);
  Le16(tree, 72);  // PathOffset: header 64 + 8
  Bytes path;
  Utf16(path, "\\\\fs1\\share", false);
  Le16(tree, static_cast<uint16_t>(path.size()));
  Append(tree, path);
  ASSERT_EQ(decoders::DecodeSmb2(tree, true, d, pkt), DecodeStatus::kOk);
  Bytes denied = Smb2Header(3, true, 0xC0000022);
  Append(denied, {9, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(decoders::DecodeSmb2(denied, true, d, pkt), DecodeStatus::kOk);

  EXPECT_EQ(d.version, 2);
  EXPECT_EQ(d.smb2_commands.Get(d.sets_used, 0), 2u);
  EXPECT_EQ(d.smb2_commands.Get(d.sets_used, 3), 2u);
  EXPECT_EQ(d.smb2_dialect, 0x0311);
  ASSERT_EQ(d.dialects.Items(d.sets_used).size(), 3);
  EXPECT_EQ(d.dialects.Items(d.sets_used)[2].view(), "0x0311");
  ASSERT_EQ(d.tree_paths.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.tree_paths.Items(d.sets_used)[0].view(), "\\\\fs1\\share");
  EXPECT_EQ(d.failed_responses, 1u);
  EXPECT_EQ(d.first_error_status, 0xC0000022u);
}

TEST(Smb2, CompoundChainAndPrefixes) {
  // Two compounded requests: Create (5) then Close (6); NextCommand = 64 + 8 (8-byte aligned).
  Bytes m = Smb2Header(5, false, 0, 72);
  m.insert(m.end(), 8, 0);
  Append(m, Smb2Header(6, false));
  Append(m, {24, 0, 0, 0, 0, 0, 0, 0});
  SmbDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeSmb2(m, true, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb2_commands.Get(d.sets_used, 5), 1u);
  EXPECT_EQ(d.smb2_commands.Get(d.sets_used, 6), 1u);
  for (size_t n = 0; n < 64; ++n) {
    SmbDetail dn;
    DecodedPacket pn;
    EXPECT_EQ(decoders::DecodeSmb2({m.data(), n}, true, dn, pn), DecodeStatus::kMalformed) << n;
    EXPECT_TRUE(pn.Has(Anomaly::kSmb2Truncated)) << n;
  }
  for (size_t n = 72; n < 72 + 64; ++n) {  // second header cut: flagged, first still counted
    SmbDetail dn;
    DecodedPacket pn;
    EXPECT_EQ(decoders::DecodeSmb2({m.data(), n}, true, dn, pn), DecodeStatus::kMalformed) << n;
    EXPECT_EQ(dn.smb2_commands.Get(dn.sets_used, 5), 1u);
  }
}

TEST(SmbMessage, DispatchAndEncrypted) {
  SmbDetail d;
  DecodedPacket pkt;
  Bytes transform{0xFD, 'S', 'M', 'B'};
  transform.insert(transform.end(), 48, 0);
  EXPECT_EQ(decoders::DecodeSmbMessage(transform, true, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.messages, 1u);
  Bytes other{'H', 'T', 'T', 'P'};
  EXPECT_EQ(decoders::DecodeSmbMessage(other, true, d, pkt), DecodeStatus::kUnsupported);
}

}  // namespace
}  // namespace tapwatch::apptest
