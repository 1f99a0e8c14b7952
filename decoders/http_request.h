#pragma once
// HTTP request line (RFC 9112 section 3): "METHOD SP request-target SP HTTP-version CRLF".
// Used on the first payload bytes of a flow, so a request target cut by the end of the kept bytes
// is returned cut (the method must be whole).

#include <cstdint>
#include <span>
#include <string_view>

namespace tapwatch::decoders {

struct HttpRequestLine {
  std::string_view method;  // views into the bytes passed in
  std::string_view uri;
  bool uri_complete = false;  // false when the bytes ended inside the request target
};

/// True when `bytes` starts with an HTTP request line: a method token of 3-16 upper-case letters,
/// one space, a request target of printable non-space bytes, then a space followed by "HTTP/",
/// or the end of `bytes`. Never allocates.
bool ParseHttpRequestLine(std::span<const uint8_t> bytes, HttpRequestLine& out) noexcept;

}  // namespace tapwatch::decoders
