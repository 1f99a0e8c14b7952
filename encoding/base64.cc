#include "encoding/base64.h"

#include <nettle/base64.h>

#include <cstdint>

namespace tapwatch::encoding {

void AppendBase64(std::string& out, std::string_view bytes) {
  const size_t at = out.size();
  out.resize(at + BASE64_ENCODE_RAW_LENGTH(bytes.size()));
  base64_encode_raw(reinterpret_cast<char*>(out.data() + at), bytes.size(),
                    reinterpret_cast<const uint8_t*>(bytes.data()));
}

}  // namespace tapwatch::encoding
