#pragma once
// JSON text helpers for the store (map columns) and the `flows --format jsonl` output.
// Hand-written rather than google::protobuf::util for maps and lists: the store's map columns
// keep numeric values ({"name": 2}), which the Protobuf JSON mapping would quote for uint64.

#include <google/protobuf/map.h>
#include <google/protobuf/message.h>
#include <google/protobuf/repeated_ptr_field.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::collector {

/// Appends `s` to `out` as a JSON string literal, quotes included (RFC 8259 section 7: '"', '\\'
/// and control characters are escaped, DEL and C1 controls too; other bytes pass unchanged).
void AppendJsonString(std::string& out, std::string_view s);

/// {"key": count, ...} with keys in sorted order; "" for an empty map.
std::string MapToJson(const google::protobuf::Map<std::string, uint32_t>& map);
std::string MapToJson(const google::protobuf::Map<std::string, uint64_t>& map);

/// ["a", "b"]; "" for an empty list.
std::string ListToJson(const google::protobuf::RepeatedPtrField<std::string>& list);

/// The message as Protobuf JSON with proto field names, map entries sorted by key (the same text
/// for the same message in every process); "" when the message equals its default (nothing set).
std::string MessageToJson(const google::protobuf::Message& message);

}  // namespace tapwatch::collector
