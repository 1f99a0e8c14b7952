// Fuzz target: payload signature table parser (text), matcher and the HTTP request-line parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/http_request.h"
#include "decoders/payload_signature.h"

using namespace tapwatch::decoders;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  PayloadSignatureTable table;
  std::string error;
  if (!ParsePayloadSignatures(text, table, error)) {
    ParsePayloadSignatures(DefaultPayloadSignaturesTsv(), table, error);
  }
  table.Match(data[0] & 1 ? 17 : 6, data[0] & 2 ? 1434 : 80, {data + 1, size - 1},
              static_cast<uint32_t>(size - 1));
  HttpRequestLine line;
  ParseHttpRequestLine({data + 1, size - 1}, line);
  return 0;
}
