// Base64 against the RFC 4648 section 10 test vectors.
#include "encoding/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace tapwatch::encoding {
namespace {

std::string Base64(std::string_view s) {
  std::string out;
  AppendBase64(out, s);
  return out;
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, AppendsAfterWhatIsThere) {
  std::string out = "\"";
  AppendBase64(out, "foob");
  EXPECT_EQ(out, "\"Zm9vYg==");
}

}  // namespace
}  // namespace tapwatch::encoding
