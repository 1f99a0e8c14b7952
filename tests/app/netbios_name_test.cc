#include "decoders/netbios_name.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

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

// The 32-byte label is folded as a whole: a byte just outside 'A'..'P' at any of the 32
// positions makes the name bad, and every raw byte value at every position decodes back to
// itself (rendered as tshark does: printable ASCII as is, anything else as <xx>).
TEST(NetbiosName, EveryPositionAndByteValueOfTheFirstLevelEncoding) {
  NetbiosNameString s;
  for (size_t pos = 0; pos < 32; ++pos) {
    for (const uint8_t bad : {uint8_t{'A' - 1}, uint8_t{'P' + 1}, uint8_t{0}, uint8_t{0xFF},
                              uint8_t{'a'}}) {
      Bytes name = EncodeNetbiosName("FILESERVER", 0x20);
      name[1 + pos] = bad;
      ByteReader in(name);
      EXPECT_EQ(DecodeNetbiosName(in, name, s), NameStatus::kBad) << pos << " " << int{bad};
    }
  }
  for (int value = 0; value < 256; ++value) {
    for (size_t pos = 0; pos < 16; ++pos) {
      std::string raw(15, 'N');
      uint8_t suffix = 0x20;
      if (pos < 15) {
        raw[pos] = static_cast<char>(value);
      } else {
        suffix = static_cast<uint8_t>(value);
      }
      const Bytes name = EncodeNetbiosName(raw, suffix);
      ByteReader in(name);
      ASSERT_EQ(DecodeNetbiosName(in, name, s), NameStatus::kOk) << value << " " << pos;
      std::string want;
      for (size_t i = 0; i < 15; ++i) {
        const auto c = static_cast<uint8_t>(raw[i]);
        char hex[5];
        std::snprintf(hex, sizeof hex, "<%02x>", c);
        want += c >= 0x20 && c <= 0x7e ? std::string(1, static_cast<char>(c)) : std::string(hex);
      }
      while (!want.empty() && want.back() == ' ') want.pop_back();
      char hex[5];
      std::snprintf(hex, sizeof hex, "<%02x>", suffix);
      want += hex;
      ASSERT_EQ(s.view(), want.substr(0, decoders::kNameLen - 1)) << value << " " << pos;
    }
  }
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
