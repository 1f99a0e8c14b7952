#include "decoders/http_request.h"

namespace tapwatch::decoders {

bool ParseHttpRequestLine(std::span<const uint8_t> bytes, HttpRequestLine& out) noexcept {
  // A char view of the same bytes, for the returned string_views (no copy).
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  size_t i = 0;
  while (i < bytes.size() && bytes[i] >= 'A' && bytes[i] <= 'Z' && i <= 16) ++i;
  if (i < 3 || i > 16 || i >= bytes.size() || bytes[i] != ' ') return false;
  const size_t method_len = i++;
  const size_t uri_start = i;
  while (i < bytes.size() && bytes[i] > 0x20 && bytes[i] < 0x7f) ++i;
  if (i == uri_start && i < bytes.size()) return false;  // empty target
  const size_t uri_len = i - uri_start;
  bool complete = false;
  if (i < bytes.size()) {
    // After the target: " HTTP/" (or its cut beginning at the end of the bytes), or a bare CRLF
    // (HTTP/0.9 simple request).
    constexpr std::string_view kVersion = " HTTP/";
    if (bytes[i] == '\r' || bytes[i] == '\n') {
      complete = true;
    } else {
      for (size_t k = 0; k < kVersion.size() && i + k < bytes.size(); ++k) {
        if (bytes[i + k] != static_cast<uint8_t>(kVersion[k])) return false;
      }
      complete = true;
    }
  }
  if (uri_len == 0) return false;
  out.method = text.substr(0, method_len);
  out.uri = text.substr(uri_start, uri_len);
  out.uri_complete = complete;
  return true;
}

}  // namespace tapwatch::decoders
