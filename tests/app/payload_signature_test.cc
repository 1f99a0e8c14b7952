#include "decoders/payload_signature.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
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

// The search anchors on a byte that costs one memchr pass when the pattern has a fitting one,
// and patterns share one where they can: the default table's four substring rules need a single
// pass ('.'), not two ('.' and '%') or three (x, X and %). A letter still wins when the caseless
// bytes are all common.
TEST(PayloadSignature, AnchorsPreferCaselessBytes) {
  const PayloadSignatureTable t = Default();
  std::string anchors;
  for (const auto& r : t.rules) {
    if (r.match == decoders::PayloadMatch::kSubstring) anchors += r.pattern[r.anchor];
  }
  EXPECT_EQ(anchors, "....");  // cmd.exe, root.exe, ..%c0%af.., ..%255c..
  PayloadSignatureTable u;
  std::string error;
  ASSERT_TRUE(
      decoders::ParsePayloadSignatures("a\tsubstring\t/x /\t*\t*\t*\th\n"
                                       "b\tsubstring\tab.9\t*\t*\t*\th\n",
                                       u, error))
      << error;
  EXPECT_EQ(u.rules[0].pattern[u.rules[0].anchor], 'x');  // '/' and ' ' are commoner still
  EXPECT_EQ(u.rules[1].pattern[u.rules[1].anchor], '9');  // a digit has no case either
  // Two patterns with '%' share it (the second alone would anchor on its '?'); a
  // third whose only caseless byte is '/' keeps its own anchor.
  ASSERT_TRUE(
      decoders::ParsePayloadSignatures("a\tsubstring\t%a$\t*\t*\t*\th\n"
                                       "b\tsubstring\t?b%\t*\t*\t*\th\n"
                                       "c\tsubstring\tq/\t*\t*\t*\th\n",
                                       u, error))
      << error;
  EXPECT_EQ(u.rules[0].pattern[u.rules[0].anchor], '%');
  EXPECT_EQ(u.rules[1].pattern[u.rules[1].anchor], '%');
  EXPECT_EQ(u.rules[2].pattern[u.rules[2].anchor], 'q');
}

TEST(PayloadSignature, MatchesAtEitherEndAndAcrossCase) {
  const PayloadSignatureTable t = Default();
  EXPECT_EQ(Names(t, 6, 80, "cmd.exe"), V{"iis_cmd_exe"});      // the whole payload
  EXPECT_EQ(Names(t, 6, 80, "xxxxCmD.ExE"), V{"iis_cmd_exe"});  // at the end, mixed case
  EXPECT_EQ(Names(t, 6, 80, "..%C0%AF..rest"), V{"iis_unicode_traversal"});  // at the start
  EXPECT_EQ(Names(t, 6, 80, "cmd.ex"), V{});                                 // one byte short
  EXPECT_EQ(Names(t, 6, 80, ".%c0%af.."), V{});  // cut before the anchor
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

// A naive reference, written from the TSV's documented meaning (not from Match): rule i matches
// when its protocol, port and length conditions hold and its pattern occurs (prefix: at offset
// 0) in the captured bytes, comparing ASCII case-insensitively.
uint32_t ReferenceMatch(const PayloadSignatureTable& t, uint8_t proto, uint16_t port,
                        const std::string& payload, uint32_t wire_len) {
  const auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  uint32_t mask = 0;
  for (size_t i = 0; i < t.rules.size(); ++i) {
    const auto& r = t.rules[i];
    if ((r.ip_proto && r.ip_proto != proto) || (r.dst_port && r.dst_port != port)) continue;
    if (wire_len < r.min_len || wire_len > r.max_len) continue;
    bool ok = true;
    if (r.match == decoders::PayloadMatch::kPrefix) {
      ok = payload.size() >= r.pattern.size() &&
           std::equal(r.pattern.begin(), r.pattern.end(), payload.begin(), eq);
    } else if (r.match == decoders::PayloadMatch::kSubstring) {
      ok = std::search(payload.begin(), payload.end(), r.pattern.begin(), r.pattern.end(), eq) !=
           payload.end();
    }
    if (ok) mask |= 1u << i;
  }
  return mask;
}

// The indexed Match (rules grouped by anchor byte, first-byte table for prefixes, port / length
// pre-filters) against the reference on random payloads built from the patterns' own bytes, so
// that partial, overlapping, mixed-case and edge matches are frequent. Also the table after a
// hand edit of `rules` without BuildIndex (Match must not use the stale index).
TEST(PayloadSignature, IndexedMatchEqualsReferenceOnRandomPayloads) {
  PayloadSignatureTable t;
  std::string error;
  ASSERT_TRUE(decoders::ParsePayloadSignatures(
      std::string(decoders::DefaultPayloadSignaturesTsv()) +
          "ab_x\tsubstring\tabx\t*\t*\t*\th\n"      // anchor x, like cmd.exe/root.exe
          "xx_end\tsubstring\tax.\tudp\t*\t*\th\n"  // same anchor byte, other offset
          "pct\tsubstring\t%%\t*\t80\t*\th\n"       // anchor %, port condition
          "pre_g\tprefix\tget\t*\t*\t*\th\n"        // prefix sharing GET with code_red
          "pre_G2\tprefix\tGe\ttcp\t*\t3-40\th\n"   // length condition
          "port_only\t-\t\tudp\t53\t*\th\n"
          "len_only\t-\t\t*\t*\t5-9\th\n"
          "bin\tsubstring\t\\x00\\xff\t*\t*\t*\th\n",
      t, error))
      << error;
  const std::string alphabet("GETget /default.ida?NXxXabzZ.%%c0afAF25cmdrootEXE\x00\xff\x04", 52);
  std::mt19937 rng(12345);
  int matched = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string payload(rng() % 48, ' ');
    for (char& c : payload) c = alphabet[rng() % alphabet.size()];
    if (rng() % 4 == 0) {  // plant a pattern somewhere, in random case
      const auto& r = t.rules[rng() % t.rules.size()];
      std::string p = r.pattern;
      for (char& c : p) {
        if (rng() % 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      const size_t at =
          r.match == decoders::PayloadMatch::kPrefix ? 0 : rng() % (payload.size() + 1);
      payload.insert(at, p);
    }
    const uint8_t proto = std::array<uint8_t, 3>{6, 17, 1}[rng() % 3];
    const uint16_t port = std::array<uint16_t, 4>{80, 53, 1434, 445}[rng() % 4];
    const uint32_t wire =
        static_cast<uint32_t>(payload.size() + (rng() % 3 == 0 ? rng() % 400 : 0));
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()),
                                         payload.size());
    const uint32_t want = ReferenceMatch(t, proto, port, payload, wire);
    ASSERT_EQ(t.Match(proto, port, bytes, wire), want)
        << "payload [" << payload << "] proto " << int{proto} << " port " << port;
    if (want) ++matched;
  }
  EXPECT_GT(matched, 5000);  // the comparison covered many matches, not only misses
  EXPECT_EQ(t.Label(2), "iis_cmd_exe: IIS cmd.exe access (Nimda, Code Red II backdoor use)");

  // A hand edit without BuildIndex: Match falls back to the rules themselves.
  t.rules.push_back(t.rules[0]);
  t.rules.back().match = decoders::PayloadMatch::kSubstring;
  t.rules.back().name = "hand_qq";
  t.rules.back().pattern = "qq";
  t.rules.back().anchor = 0;
  EXPECT_EQ(Names(t, 6, 80, "xxQQ"), V{"hand_qq"});
  EXPECT_EQ(t.Label(0), "");  // no label text from a stale index
}

// More distinct anchor bytes than the 16-byte compare pass takes: the byte-at-a-time loop, and
// long payloads where candidates fall in the middle of blocks, at block edges and in the tail.
TEST(PayloadSignature, ManyAnchorBytesAndLongPayloadsEqualReference) {
  PayloadSignatureTable t;
  std::string error;
  for (const bool many : {false, true}) {
    std::string tsv = "a\tsubstring\tj1\t*\t*\t*\th\nb\tsubstring\t%z\t*\t*\t*\th\n";
    if (many) {
      tsv +=
          "c\tsubstring\tk2\t*\t*\t*\th\nd\tsubstring\tv3\t*\t*\t*\th\n"
          "e\tsubstring\tq4\t*\t*\t*\th\nf\tsubstring\t$5\t*\t*\t*\th\n"
          "g\tsubstring\t?6\t*\t*\t*\th\nh\tsubstring\tx7\t*\t*\t*\th\n";
    }
    ASSERT_TRUE(decoders::ParsePayloadSignatures(tsv, t, error)) << error;
    const std::string alphabet = "jJ1%zZkK2vV3qQ4$5?6xX7 abc";
    std::mt19937 rng(many ? 7 : 8);
    int matched = 0;
    for (int n = 0; n < 5000; ++n) {
      std::string payload(rng() % 200, '.');
      for (char& c : payload) {
        if (rng() % 8 == 0) c = alphabet[rng() % alphabet.size()];
      }
      if (rng() % 2 == 0) {  // plant a pattern, in random case, anywhere
        std::string pat = t.rules[rng() % t.rules.size()].pattern;
        for (char& c : pat) {
          if (rng() % 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        payload.insert(rng() % (payload.size() + 1), pat);
      }
      const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()),
                                           payload.size());
      const auto wire = static_cast<uint32_t>(payload.size());
      const uint32_t want = ReferenceMatch(t, 6, 80, payload, wire);
      ASSERT_EQ(t.Match(6, 80, bytes, wire), want) << "payload [" << payload << "] many " << many;
      if (want) ++matched;
    }
    EXPECT_GT(matched, 1000) << many;
  }
}

}  // namespace
}  // namespace tapwatch::apptest
