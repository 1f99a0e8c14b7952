#include "decoders/netbios_name.h"

#include <gtest/gtest.h>

#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using decoders::ByteReader;
using decoders::DecodeNetbiosName;
using decoders::NameStatus;
using decoders::NetbiosNameString;

TEST(NetbiosName, DecodesFirstLevelEncodingWithSuffix) {
  // "FHEPFCELEHFCEPFFFACACACACACACABN" is WORKGROUP<1d> (RFC 1001 14.1 worked by hand).
  Bytes b{32};
  AppendText(b, "FHEPFCELEHFCEPFFFACACACACACACABN");
  b.push_back(0);
  ByteReader in(b);
  NetbiosNameString s;
  ASSERT_EQ(DecodeNetbiosName(in, b, s), NameStatus::kOk);
  EXPECT_EQ(s.view(), "WORKGROUP<1d>");
  EXPECT_TRUE(in.empty());
}

TEST(NetbiosName, WildcardNonPrintablesRenderedLikeWireshark) {
  Bytes raw = EncodeNetbiosName(std::string("*") + std::string(14, '\0'), 0x00);
  ByteReader in(raw);
  NetbiosNameString s;
  ASSERT_EQ(DecodeNetbiosName(in, raw, s), NameStatus::kOk);
  std::string want = "*";
  for (int i = 0; i < 15; ++i) want += "<00>";
  EXPECT_EQ(s.view(), want);  // tshark: "*<00><00>...<00>" (14 padding + suffix)
}

TEST(NetbiosName, ScopeAndCompressionPointer) {
  // Message: at offset 0 a name with scope "corp"; at offset 40 a pointer back to offset 0.
  Bytes msg = EncodeNetbiosName("HOST", 0x20, false);
  Append(msg, {4, 'c', 'o', 'r', 'p', 0});
  const size_t ptr_at = msg.size();
  Append(msg, {0xC0, 0x00, 0xAB});
  ByteReader first(msg);
  NetbiosNameString a, b;
  ASSERT_EQ(DecodeNetbiosName(first, msg, a), NameStatus::kOk);
  EXPECT_EQ(a.view(), "HOST<20>.corp");
  ByteReader second(std::span<const uint8_t>(msg).subspan(ptr_at));
  ASSERT_EQ(DecodeNetbiosName(second, msg, b), NameStatus::kOk);
  EXPECT_EQ(b.view(), "HOST<20>.corp");
  EXPECT_EQ(second.U8(), 0xAB);  // the cursor is right after the 2-byte pointer
}

TEST(NetbiosName, BadInput) {
  NetbiosNameString s;
  Bytes wrong_len{16};
  wrong_len.insert(wrong_len.end(), 16, 'A');
  wrong_len.push_back(0);
  ByteReader a(wrong_len);
  // A well-formed DNS label that is not a 32-byte NetBIOS encoding: skipped, reported illegal.
  EXPECT_EQ(DecodeNetbiosName(a, wrong_len, s), NameStatus::kIllegal);
  EXPECT_TRUE(a.empty());
  Bytes reserved_label{0x40, 'A', 0};
  ByteReader r(reserved_label);
  EXPECT_EQ(DecodeNetbiosName(r, reserved_label, s), NameStatus::kBad);
  Bytes bad_char = EncodeNetbiosName("X", 0x20);
  bad_char[5] = 'Z';  // outside 'A'..'P'
  ByteReader b(bad_char);
  EXPECT_EQ(DecodeNetbiosName(b, bad_char, s), NameStatus::kBad);
  Bytes loop{0xC0, 0x00};  // points at itself
  ByteReader c(loop);
  EXPECT_EQ(DecodeNetbiosName(c, loop, s), NameStatus::kBad);
  Bytes ptr_no_msg{0xC0, 0x00};
  ByteReader d(ptr_no_msg);
  EXPECT_EQ(DecodeNetbiosName(d, {}, s), NameStatus::kBad);  // pointers not allowed here
}

TEST(NetbiosName, EveryPrefixIsTruncated) {
  const Bytes full = EncodeNetbiosName("FILESERVER", 0x20);
  for (size_t n = 0; n < full.size(); ++n) {
    ByteReader in(std::span<const uint8_t>(full).first(n));
    NetbiosNameString s;
    EXPECT_EQ(DecodeNetbiosName(in, std::span<const uint8_t>(full).first(n), s),
              NameStatus::kTruncated)
        << n;
  }
}

}  // namespace
}  // namespace tapwatch::apptest
