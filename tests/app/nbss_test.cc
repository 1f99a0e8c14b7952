#include "decoders/nbss.h"

#include <gtest/gtest.h>

#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using decoders::Anomaly;
using decoders::DecodedPacket;
using decoders::DecodeStatus;
using decoders::SmbDetail;
using decoders::SmbStreamState;

// RFC 1002 4.3.2 session request: called "*SMBSERVER<20>", calling "CLIENT<00>".
Bytes SessionRequest() {
  Bytes body = EncodeNetbiosName("*SMBSERVER", 0x20);
  Append(body, EncodeNetbiosName("CLIENT", 0x00));
  return Nbss(0x81, body);
}

TEST(Nbss, SessionRequestNamesAndTypes) {
  SmbDetail d;
  SmbStreamState st;
  DecodedPacket pkt;
  const Bytes req = SessionRequest();
  ASSERT_EQ(decoders::DecodeNbssSegment(req, req.size(), 1, st, d, pkt), DecodeStatus::kOk);
  const Bytes positive = Nbss(0x82, {});
  SmbStreamState st2;
  ASSERT_EQ(decoders::DecodeNbssSegment(positive, 4, 1, st2, d, pkt), DecodeStatus::kOk);
  const Bytes keepalive = Nbss(0x85, {});
  ASSERT_EQ(decoders::DecodeNbssSegment(keepalive, 4, 1 + 4, st2, d, pkt), DecodeStatus::kOk);
  ASSERT_EQ(d.nbss_called.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.nbss_called.Items(d.sets_used)[0].view(), "*SMBSERVER<20>");
  EXPECT_EQ(d.nbss_calling.Items(d.sets_used)[0].view(), "CLIENT<00>");
  EXPECT_EQ(d.nbss_types.Get(0x81), 1u);
  EXPECT_EQ(d.nbss_types.Get(0x82), 1u);
  EXPECT_EQ(d.nbss_types.Get(0x85), 1u);
}

TEST(Nbss, SeveralMessagesInOneSegment) {
  Bytes seg = Nbss(0x00, Smb1TreeDisconnect());
  Append(seg, Nbss(0x00, Smb1Echo()));
  Append(seg, Nbss(0x00, Smb1Echo()));
  SmbDetail d;
  SmbStreamState st;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeNbssSegment(seg, seg.size(), 100, st, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x71), 1u);
  EXPECT_EQ(d.smb1_commands.Get(0x2B), 2u);
  EXPECT_EQ(d.messages, 3u);
}

TEST(Nbss, MessageSplitAcrossSegmentsAndRetransmission) {
  // A 35-byte Tree Disconnect padded to 300 bytes of message, split 100/200, then an Echo.
  Bytes body = Smb1TreeDisconnect();
  body.resize(300, 0);
  Bytes stream = Nbss(0x00, body);
  Append(stream, Nbss(0x00, Smb1Echo()));
  const std::span<const uint8_t> all(stream);
  SmbDetail d;
  SmbStreamState st;
  DecodedPacket pkt;
  const uint32_t isn = 0xFFFFFF00;  // sequence numbers wrap inside this stream
  EXPECT_EQ(decoders::DecodeNbssSegment(all.first(100), 100, isn, st, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x71), 1u);  // the header was whole in the first segment
  // Retransmission of the first segment: nothing counted twice.
  EXPECT_EQ(decoders::DecodeNbssSegment(all.first(100), 100, isn, st, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x71), 1u);
  const auto rest = all.subspan(100);
  EXPECT_EQ(decoders::DecodeNbssSegment(rest, rest.size(), isn + 100, st, d, pkt),
            DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x2B), 1u);
  EXPECT_EQ(d.messages, 2u);
  EXPECT_EQ(pkt.anomaly_count, 0);
}

TEST(Nbss, SnaplenCutSegmentSkipsByWireLength) {
  Bytes first = Nbss(0x00, Smb1TreeDisconnect());
  first.resize(first.size() + 1000, 0);  // message longer than captured
  first[2] = static_cast<uint8_t>((35 + 1000) >> 8);
  first[3] = static_cast<uint8_t>(35 + 1000);
  SmbDetail d;
  SmbStreamState st;
  DecodedPacket pkt;
  // Only 60 bytes captured of a 1039-byte segment: decoded from the header, not an anomaly.
  EXPECT_EQ(decoders::DecodeNbssSegment(std::span<const uint8_t>(first).first(60),
                                        static_cast<uint32_t>(first.size()), 7, st, d, pkt),
            DecodeStatus::kOk);
  const Bytes next = Nbss(0x00, Smb1Echo());
  EXPECT_EQ(decoders::DecodeNbssSegment(next, next.size(), 7 + first.size(), st, d, pkt),
            DecodeStatus::kOk);
  EXPECT_EQ(d.smb1_commands.Get(0x71), 1u);
  EXPECT_EQ(d.smb1_commands.Get(0x2B), 1u);
  EXPECT_EQ(pkt.anomaly_count, 0);
}

TEST(Nbss, BadTypeFlaggedButNotAfterAGap) {
  const Bytes junk{0x42, 0x00, 0x00, 0x00};
  {
    SmbDetail d;
    SmbStreamState st;
    DecodedPacket pkt;
    // The first segment seen may start mid-message (capture started late): dropped quietly.
    EXPECT_EQ(decoders::DecodeNbssSegment(junk, 4, 1, st, d, pkt), DecodeStatus::kOk);
    const Bytes ok = Nbss(0x00, Smb1Echo());
    EXPECT_EQ(decoders::DecodeNbssSegment(ok, ok.size(), 5000, st, d, pkt), DecodeStatus::kOk);
    EXPECT_EQ(d.smb1_commands.Get(0x2B), 1u);
    // In sync, a bad type is an anomaly.
    EXPECT_EQ(decoders::DecodeNbssSegment(junk, 4, 5000 + ok.size(), st, d, pkt),
              DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kNbssBadType));
  }
}

TEST(Nbss, EveryPrefixOfSessionRequest) {
  const Bytes req = SessionRequest();
  for (size_t n = 1; n < req.size(); ++n) {
    SmbDetail d;
    SmbStreamState st;
    st.seq_valid = true;  // in sync: the cut is a real truncation of a whole segment
    DecodedPacket pkt;
    const auto s =
        decoders::DecodeNbssSegment({req.data(), n}, static_cast<uint32_t>(n), 0, st, d, pkt);
    if (n < 4) {
      EXPECT_EQ(s, DecodeStatus::kMalformed) << n;
      EXPECT_TRUE(pkt.Has(Anomaly::kNbssTruncated)) << n;
    } else {
      // The header promises more than the segment holds: later segments would carry the rest.
      EXPECT_NE(s, DecodeStatus::kMalformed) << n;
      EXPECT_EQ(st.skip_bytes, req.size() - n) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::apptest
