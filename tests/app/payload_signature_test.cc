#include "decoders/payload_signature.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapwatch::apptest {
namespace {

using decoders::PayloadSignatureTable;

PayloadSignatureTable Default() {
  PayloadSignatureTable t;
  std::string error;
  EXPECT_TRUE(decoders::ParsePayloadSignatures(decoders::DefaultPayloadSignaturesTsv(), t, error))
      << error;
  return t;
}

std::vector<std::string> Names(const PayloadSignatureTable& t, uint8_t proto, uint16_t port,
                               const std::string& payload, uint32_t wire_len = 0) {
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()),
                                       payload.size());
  const uint32_t mask =
      t.Match(proto, port, bytes, wire_len ? wire_len : static_cast<uint32_t>(payload.size()));
  std::vector<std::string> out;
  for (size_t i = 0; i < t.rules.size(); ++i) {
    if (mask & (1u << i)) out.push_back(t.rules[i].name);
  }
  return out;
}

using V = std::vector<std::string>;

TEST(PayloadSignature, CodeRedNimdaSlammer) {
  const PayloadSignatureTable t = Default();
  // Code Red I request line (CERT CA-2001-19): GET /default.ida?NNNN...N%u9090...
  const std::string code_red =
      "GET /default.ida?" + std::string(224, 'N') + "%u9090%u6858 HTTP/1.0";
  EXPECT_EQ(Names(t, 6, 80, code_red), V{"code_red"});
  EXPECT_EQ(Names(t, 6, 80, "GET /default.ida?" + std::string(224, 'X')), V{"code_red_ii"});
  EXPECT_EQ(Names(t, 6, 80, "GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0"),
            (V{"iis_cmd_exe", "iis_unicode_traversal"}));
  EXPECT_EQ(Names(t, 6, 80, "GET /scripts/..%255c../winnt/system32/CMD.EXE?/c+dir"),
            (V{"iis_cmd_exe", "iis_double_decode"}));
  EXPECT_EQ(Names(t, 6, 80, "GET /scripts/root.exe?/c+dir HTTP/1.0"), V{"iis_root_exe"});
  // Slammer: UDP to 1434, 376 bytes starting 0x04.
  std::string slammer(376, '\x01');
  slammer[0] = '\x04';
  EXPECT_EQ(Names(t, 17, 1434, slammer), V{"slammer"});
  EXPECT_EQ(Names(t, 17, 1434, slammer.substr(0, 100), 376), V{"slammer"});  // snaplen cut
  EXPECT_EQ(Names(t, 17, 1435, slammer), V{});
  EXPECT_EQ(Names(t, 17, 1434, slammer.substr(0, 375)), V{});
  EXPECT_EQ(Names(t, 6, 1434, slammer), V{});
  EXPECT_EQ(Names(t, 6, 80, "GET /index.html HTTP/1.1"), V{});
  EXPECT_EQ(Names(t, 6, 80, ""), V{});
}

TEST(PayloadSignature, MatchesAtEitherEndAndAcrossCase) {
  const PayloadSignatureTable t = Default();
  EXPECT_EQ(Names(t, 6, 80, "cmd.exe"), V{"iis_cmd_exe"});          // the whole payload
  EXPECT_EQ(Names(t, 6, 80, "xxxxCmD.ExE"), V{"iis_cmd_exe"});      // at the end, mixed case
  EXPECT_EQ(Names(t, 6, 80, "..%C0%AF..rest"), V{"iis_unicode_traversal"});  // at the start
  EXPECT_EQ(Names(t, 6, 80, "cmd.ex"), V{});                         // one byte short
  EXPECT_EQ(Names(t, 6, 80, ".%c0%af.."), V{});                      // cut before the anchor
  EXPECT_EQ(Names(t, 6, 80, std::string(2000, 'x') + "root.exe"), V{"iis_root_exe"});
}

TEST(PayloadSignature, ParserRowsAndErrors) {
  PayloadSignatureTable t;
  std::string error;
  ASSERT_TRUE(decoders::ParsePayloadSignatures(
      "# comment\nr1\tsubstring\tA\\sB\\x00\t*\t*\t10-20\thint one\nr2\t-\t\tudp\t53\t*\th\n", t,
      error))
      << error;
  ASSERT_EQ(t.rules.size(), 2u);
  EXPECT_EQ(t.rules[0].pattern, std::string("a b\0", 4));
  EXPECT_EQ(t.rules[0].min_len, 10u);
  EXPECT_EQ(t.rules[0].max_len, 20u);
  EXPECT_EQ(t.rules[1].dst_port, 53);
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\tsubstring\t\\x4\t*\t*\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\tregex\tx\t*\t*\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\t-\t\t*\t*\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\tprefix\tx\ticmp\t*\t*\th\n", t, error));
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\tprefix\tx\t*\t*\t9-3\th\n", t, error));
  EXPECT_FALSE(decoders::ParsePayloadSignatures("r\tprefix\tx\t*\t*\t*\n", t, error));
  std::string many;
  for (int i = 0; i < 33; ++i) many += "r" + std::to_string(i) + "\tprefix\tx\t*\t*\t*\th\n";
  EXPECT_FALSE(decoders::ParsePayloadSignatures(many, t, error));
}

}  // namespace
}  // namespace tapwatch::apptest
