#include "decoders/icmp_fingerprint.h"

#include <gtest/gtest.h>

#include <vector>

namespace tapwatch::apptest {
namespace {

using decoders::IcmpFingerprintTable;

std::string Label(const IcmpFingerprintTable& t, uint16_t ip_len, uint8_t ttl,
                  const std::vector<uint8_t>& data) {
  const int i = t.Match(ip_len, ttl, data, static_cast<uint32_t>(data.size()));
  return i < 0 ? "" : t.rules[i].name;
}

IcmpFingerprintTable Default() {
  IcmpFingerprintTable t;
  std::string error;
  EXPECT_TRUE(decoders::ParseIcmpFingerprints(decoders::DefaultIcmpFingerprintsTsv(), t, error))
      << error;
  return t;
}

// Every row of the default table, checked against hand-built echo payloads.
TEST(IcmpFingerprint, DefaultTableRows) {
  const IcmpFingerprintTable t = Default();
  EXPECT_EQ(Label(t, 92, 128, std::vector<uint8_t>(64, 0xAA)), "welchia");
  EXPECT_EQ(Label(t, 92, 128, std::vector<uint8_t>(64, 0x00)), "windows_tracert");
  EXPECT_EQ(Label(t, 92, 1, std::vector<uint8_t>(64, 0x00)), "windows_tracert");  // priority
  EXPECT_EQ(Label(t, 28, 64, {}), "nmap");
  const std::string win = "abcdefghijklmnopqrstuvwabcdefghi";
  EXPECT_EQ(Label(t, 60, 128, std::vector<uint8_t>(win.begin(), win.end())), "windows_ping");
  EXPECT_EQ(Label(t, 84, 64, std::vector<uint8_t>(56, 0x10)), "linux_ping");
  EXPECT_EQ(Label(t, 100, 255, std::vector<uint8_t>(72, 0xAB)), "cisco_ping");
  EXPECT_EQ(Label(t, 128, 255, std::vector<uint8_t>(100, 0xAB)), "cisco_ping");
  EXPECT_EQ(Label(t, 38, 1, std::vector<uint8_t>(10, 0x40)), "traceroute");
  // Length 92 with another fill is neither Welchia nor tracert: length alone does not decide.
  EXPECT_EQ(Label(t, 92, 128, std::vector<uint8_t>(64, 0x41)), "");
  EXPECT_EQ(Label(t, 92, 128, {}), "");  // no data captured: no fill to judge
  EXPECT_EQ(Label(t, 1500, 64, std::vector<uint8_t>(10, 0)), "");
}

TEST(IcmpFingerprint, SnaplenCutFillStillJudgedOnCapturedBytes) {
  const IcmpFingerprintTable t = Default();
  const std::vector<uint8_t> part(20, 0xAA);
  EXPECT_EQ(t.rules[t.Match(92, 128, part, 64)].name, "welchia");
  EXPECT_EQ(t.Match(28, 64, {}, 4), -1);  // 4 data bytes on the wire: not "empty"
}

TEST(IcmpFingerprint, ParserRejectsBadRows) {
  IcmpFingerprintTable t;
  std::string error;
  EXPECT_FALSE(decoders::ParseIcmpFingerprints("a\t92\tfill:zz\t*\thint\n", t, error));
  EXPECT_NE(error.find("line 1"), std::string::npos);
  EXPECT_FALSE(decoders::ParseIcmpFingerprints("# c\n\na\t92\t*\t*\n", t, error));
  EXPECT_NE(error.find("line 3"), std::string::npos);
  EXPECT_FALSE(decoders::ParseIcmpFingerprints("a\t70000\t*\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParseIcmpFingerprints("a\t92\tpattern\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParseIcmpFingerprints("a\t92\t*\t300\th\n", t, error));
  ASSERT_TRUE(decoders::ParseIcmpFingerprints("x\t*\tprefix:ab\\x00\t*\thint\r\n", t, error))
      << error;
  ASSERT_EQ(t.rules.size(), 1u);
  EXPECT_EQ(t.rules[0].prefix, std::string("ab\0", 3));
  EXPECT_EQ(t.rules[0].hint, "hint");
}

}  // namespace
}  // namespace tapwatch::apptest
