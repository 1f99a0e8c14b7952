// Value parsers of log lines, checked against inet_pton / strtoul (the C library).

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sensor/log/text.h"

namespace tapwatch::sensor {
namespace {

TEST(LogText, Ipv6AgreesWithInetPton) {
  const char* cases[] = {"::",          "::1",           "2001:db8::1",      "fe80::2:3",
                         "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "2001:db8:0:0:1::", "1::",
                         "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::1.2.3.4",     "a:b:c:d:e:f:0:1",
                         ":",           ":::",           "1:2:3:4:5:6:7:8:9", "1::2::3",
                         "12345::",     "g::",           "1:2:3:4:5:6:7",    "::1.2.3",
                         "1.2.3.4",     "1:",            ":1",               "::ffff:1.2.3.4:5",
                         "1:2:3:4:5:6:7:8::", "0x1::"};
  for (const char* c : cases) {
    std::array<uint8_t, 16> ours{};
    unsigned char ref[16];
    const bool ok_ref = inet_pton(AF_INET6, c, ref) == 1;
    const bool ok = ParseIpv6(c, &ours);
    EXPECT_EQ(ok, ok_ref) << c;
    if (ok && ok_ref) {
      EXPECT_EQ(std::memcmp(ours.data(), ref, 16), 0) << c;
    }
  }
}

TEST(LogText, Ipv4AgreesWithInetPton) {
  const char* cases[] = {"0.0.0.0", "255.255.255.255", "11.11.11.84", "256.1.1.1", "1.2.3",
                         "1.2.3.4.5", "1..2.3", "01.2.3.4", "1.2.3.4 ", "", "a.b.c.d", "1.2.3.1000"};
  for (const char* c : cases) {
    uint8_t ours[4];
    unsigned char ref[4];
    const bool ok_ref = inet_pton(AF_INET, c, ref) == 1;
    const bool ok = ParseIpv4(c, ours);
    // inet_pton rejects leading zeros ("01"); syslog never prints them, we accept them.
    if (std::string(c) == "01.2.3.4") {
      EXPECT_TRUE(ok);
      continue;
    }
    EXPECT_EQ(ok, ok_ref) << c;
    if (ok) {
      EXPECT_EQ(std::memcmp(ours, ref, 4), 0) << c;
    }
  }
}

TEST(LogText, RandomIpv4AndHexAgreeWithTheCLibrary) {
  // Random strings over the characters that matter (digits, '.', hex letters, 'x'): the inline
  // parsers must accept exactly what inet_pton / strtoul accept (leading zeros aside, see above).
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char ipv4_chars[] = "0123456789.....a";
  const char hex_chars[] = "0123456789abcdefABCDEFxXg 0";
  int accepted_ipv4 = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const size_t len = next() % 17;
    for (size_t k = 0; k < len; ++k) s.push_back(ipv4_chars[next() % (sizeof(ipv4_chars) - 1)]);
    if (i % 4 == 0) {  // a plausible address now and then, so that many are valid
      s = std::to_string(next() % 300) + "." + std::to_string(next() % 256) + "." +
          std::to_string(next() % 256) + "." + std::to_string(next() % 1000);
    }
    uint8_t ours[4];
    unsigned char ref[4];
    const bool ok = ParseIpv4(s, ours);
    const bool ok_ref = inet_pton(AF_INET, s.c_str(), ref) == 1;
    bool leading_zero = false;
    for (size_t k = 0; k + 1 < s.size(); ++k) {
      const bool starts_part = k == 0 || s[k - 1] == '.';
      leading_zero |= starts_part && s[k] == '0' && s[k + 1] >= '0' && s[k + 1] <= '9';
    }
    if (leading_zero) continue;  // inet_pton rejects "01"; syslog never prints it
    ASSERT_EQ(ok, ok_ref) << "'" << s << "'";
    if (ok) {
      ++accepted_ipv4;
      ASSERT_EQ(std::memcmp(ours, ref, 4), 0) << s;
    }
  }
  EXPECT_GT(accepted_ipv4, 10000);
  for (int i = 0; i < 200000; ++i) {
    std::string s = i % 3 == 0 ? "0x" : "";
    const size_t len = next() % 6;
    for (size_t k = 0; k < len; ++k) s.push_back(hex_chars[next() % (sizeof(hex_chars) - 1)]);
    uint64_t v = 0;
    const bool ok = ParseHex(s, 0xFFFF, &v);
    char* end = nullptr;
    errno = 0;
    const unsigned long ref = std::strtoul(s.c_str(), &end, 16);
    // strtoul also takes leading blanks and signs, and "0x" alone as 0 with end at 'x'.
    const std::string digits = s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0 ? s.substr(2) : s;
    const bool plain = !digits.empty() && digits.find_first_not_of("0123456789abcdefABCDEF") ==
                                              std::string::npos;
    const bool ok_ref = plain && *end == '\0' && errno == 0 && ref <= 0xFFFF;
    ASSERT_EQ(ok, ok_ref) << "'" << s << "'";
    if (ok) {
      ASSERT_EQ(v, ref) << s;
    }
  }
}

TEST(LogText, NumbersAgreeWithStrtoul) {
  for (const char* c : {"0", "65535", "65536", "4294967295", "4294967296", "18446744073709551615",
                        "18446744073709551616", "", "12a", "-1", "+1", " 1"}) {
    uint64_t v = 0;
    const bool ok = ParseDec(c, 0xFFFFFFFFu, &v);
    char* end = nullptr;
    errno = 0;
    const unsigned long long ref = std::strtoull(c, &end, 10);
    const bool ok_ref = *c >= '0' && *c <= '9' && *end == '\0' && errno == 0 && ref <= 0xFFFFFFFFu;
    EXPECT_EQ(ok, ok_ref) << c;
    if (ok) {
      EXPECT_EQ(v, ref) << c;
    }
  }
  for (const char* c : {"0x00", "0xFF", "0x100", "0X1a", "ff", "0x", "0xg1"}) {
    uint64_t v = 0;
    const bool ok = ParseHex(c, 0xFF, &v);
    char* end = nullptr;
    const unsigned long ref = std::strtoul(c, &end, 16);
    const bool ok_ref = *end == '\0' && ref <= 0xFF && std::strlen(c) > 0 && std::string(c) != "0x";
    EXPECT_EQ(ok, ok_ref) << c;
    if (ok) {
      EXPECT_EQ(v, ref) << c;
    }
  }
}

TEST(LogText, MacBytes) {
  uint8_t b[14];
  ASSERT_TRUE(ParseMacBytes("56:00:03:85:82:df:fe:00:03:85:82:df:08:00", 14, b));
  EXPECT_EQ(b[0], 0x56);
  EXPECT_EQ(b[5], 0xdf);
  EXPECT_EQ(b[12], 0x08);
  EXPECT_FALSE(ParseMacBytes("56:00:03:85:82:d", 6, b));
  EXPECT_FALSE(ParseMacBytes("56-00-03-85-82-df", 6, b));
  EXPECT_FALSE(ParseMacBytes("zz:00:03:85:82:df", 6, b));
}

TEST(LogText, TokenizerSplitsOnRunsOfBlanks) {
  // From a std::string, as the parsers pass lines: a literal lets GCC 12 warn (-Warray-bounds)
  // about the 16-byte loop that a 10-byte input never enters.
  const std::string line = "  a  bb\tc ";
  Tokenizer tk(line);
  std::string_view t;
  ASSERT_TRUE(tk.Next(&t));
  EXPECT_EQ(t, "a");
  ASSERT_TRUE(tk.Next(&t));
  EXPECT_EQ(t, "bb");
  ASSERT_TRUE(tk.Next(&t));
  EXPECT_EQ(t, "c");
  EXPECT_FALSE(tk.Next(&t));
}

TEST(LogText, TokenizerEqualsPositionAgreesWithFind) {
  // Tokens shorter and longer than the 16-byte block, '=' before/after a block boundary, none.
  const std::string text =
      "K=V PHYSOUT=eth1 MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 abcdefghijklmnopq=1 "
      "abcdefghijklmno=2 noequals_and_quite_a_long_token_indeed x  =  == a=b=c "
      "SRC=2001:db8:1234:5678:9abc:def0:1234:5678 last=";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string s = text.substr(0, cut);
    Tokenizer tk(s);
    std::string_view tok;
    size_t eq = 0;
    size_t count = 0;
    while (tk.Next(&tok, &eq)) {
      ++count;
      EXPECT_EQ(eq, tok.find('=')) << tok;
      EXPECT_EQ(tok.find(' '), std::string_view::npos);
      EXPECT_FALSE(tok.empty());
    }
    // Reference split with a plain loop.
    size_t ref = 0;
    bool in = false;
    for (char c : s) {
      const bool blank = c == ' ' || c == '\t';
      if (!blank && !in) ++ref;
      in = !blank;
    }
    EXPECT_EQ(count, ref) << s;
  }
}

}  // namespace
}  // namespace tapwatch::sensor
