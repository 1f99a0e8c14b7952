#include "decoders/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace tapwatch::apptest {
namespace {

bool Parse(std::string_view s, decoders::HttpRequestLine& out) {
  return decoders::ParseHttpRequestLine({reinterpret_cast<const uint8_t*>(s.data()), s.size()},
                                        out);
}

TEST(HttpRequest, MethodAndUri) {
  decoders::HttpRequestLine l;
  ASSERT_TRUE(Parse("GET /default.ida?NNNN HTTP/1.0\r\nHost: x\r\n", l));
  EXPECT_EQ(l.method, "GET");
  EXPECT_EQ(l.uri, "/default.ida?NNNN");
  EXPECT_TRUE(l.uri_complete);
  ASSERT_TRUE(Parse("PROPFIND /dav/ HTTP/1.1\r\n", l));
  EXPECT_EQ(l.method, "PROPFIND");
  ASSERT_TRUE(Parse("GET /a/very/long/uri/cut/by/the/first/bytes", l));  // cut at 64 bytes
  EXPECT_EQ(l.uri, "/a/very/long/uri/cut/by/the/first/bytes");
  EXPECT_FALSE(l.uri_complete);
  ASSERT_TRUE(Parse("GET /x HTT", l));  // cut inside the version
  EXPECT_EQ(l.uri, "/x");
}

TEST(HttpRequest, NotARequest) {
  decoders::HttpRequestLine l;
  EXPECT_FALSE(Parse("", l));
  EXPECT_FALSE(Parse("HTTP/1.1 200 OK\r\n", l));
  EXPECT_FALSE(Parse("get / HTTP/1.0", l));
  EXPECT_FALSE(Parse("GE / HTTP/1.0", l));
  EXPECT_FALSE(Parse("GET  / HTTP/1.0", l));
  EXPECT_FALSE(Parse("GET / FTP/1.0", l));
  EXPECT_FALSE(Parse("\xffSMBr", l));
  EXPECT_FALSE(Parse("ABCDEFGHIJKLMNOPQRSTU / HTTP/1.0", l));
  // Every prefix of a request shorter than "GET /" is not a request; from there on it is.
  const std::string req = "GET /index.html HTTP/1.1\r\n";
  for (size_t n = 0; n <= req.size(); ++n) {
    EXPECT_EQ(Parse(req.substr(0, n), l), n >= 5) << n;
  }
}

}  // namespace
}  // namespace tapwatch::apptest
