#pragma once
// Base64 for text outputs of both executables (JSON lines, `flows --format jsonl`): the Protobuf
// JSON mapping writes `bytes` fields as standard base64 with padding (RFC 4648 section 4).

#include <string>
#include <string_view>

namespace tapwatch::encoding {

/// Appends `bytes` to `out` as standard base64 with padding (nettle's encoder).
void AppendBase64(std::string& out, std::string_view bytes);

}  // namespace tapwatch::encoding
