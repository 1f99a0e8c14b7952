// A small ordered JSON document model for the report: built by the analyses, written as JSON and
// walked by the text / Markdown / HTML renderers. Also parses the JSON text columns of the store
// (smb_json, netbios_json, payload_labels_json) so the one-pass scan needs no second query.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/json_out.h"

namespace tapwatch::collector::report {

/// A JSON value. Objects keep insertion order so the output keys are stable.
class JsonValue {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  JsonValue() = default;
  JsonValue(const JsonValue& other);
  JsonValue& operator=(const JsonValue& other);
  JsonValue(JsonValue&&) noexcept = default;
  JsonValue& operator=(JsonValue&&) noexcept = default;
  ~JsonValue();
  JsonValue(bool b) : kind_(Kind::kBool), bool_(b) {}                          // NOLINT
  JsonValue(int v) : kind_(Kind::kInt), int_(v) {}                             // NOLINT
  JsonValue(int64_t v) : kind_(Kind::kInt), int_(v) {}                         // NOLINT
  JsonValue(uint64_t v) : kind_(Kind::kInt), int_(static_cast<int64_t>(v)) {}  // NOLINT
  JsonValue(uint32_t v) : kind_(Kind::kInt), int_(v) {}                        // NOLINT
  JsonValue(double v) : kind_(Kind::kDouble), double_(v) {}                    // NOLINT
  JsonValue(const char* s) : kind_(Kind::kString), string_(s) {}               // NOLINT
  JsonValue(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}    // NOLINT
  JsonValue(std::string_view s) : kind_(Kind::kString), string_(s) {}          // NOLINT

  /// An empty array / object.
  static JsonValue Array() {
    JsonValue v;
    v.kind_ = Kind::kArray;
    return v;
  }
  static JsonValue Object() {
    JsonValue v;
    v.kind_ = Kind::kObject;
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool as_bool() const { return bool_; }
  int64_t as_int() const { return kind_ == Kind::kDouble ? static_cast<int64_t>(double_) : int_; }
  double as_double() const { return kind_ == Kind::kInt ? static_cast<double>(int_) : double_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const;
  const std::vector<std::pair<std::string, JsonValue>>& members() const;
  /// Object: member i, mutable (for releasing a large document member by member).
  std::pair<std::string, JsonValue>& TakeMember(size_t i);

  /// Object: sets key (replacing an existing one). Returns *this for chaining.
  JsonValue& Set(std::string_view key, JsonValue value);
  /// Object: the member or nullptr.
  const JsonValue* Find(std::string_view key) const;
  /// Array: appends.
  JsonValue& Push(JsonValue value);
  size_t size() const { return kind_ == Kind::kArray ? items().size() : members().size(); }

  /// Serialises; indent < 0 writes compact JSON, else pretty with that many spaces per level.
  std::string Dump(int indent = -1) const;
  void DumpTo(std::string& out, int indent, int level) const;

  /// Parses JSON text; std::nullopt on any syntax error (never throws).
  static std::optional<JsonValue> Parse(std::string_view text);

 private:
  // Array items and object members live behind one pointer, allocated on first use: a report's
  // tree holds millions of scalar nodes (64 bytes each instead of 104).
  struct Children;
  Children& Kids();

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::unique_ptr<Children> kids_;
};

struct JsonValue::Children {
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;
};

inline const std::vector<JsonValue>& JsonValue::items() const {
  static const std::vector<JsonValue> kNone;
  return kids_ ? kids_->items : kNone;
}

inline const std::vector<std::pair<std::string, JsonValue>>& JsonValue::members() const {
  static const std::vector<std::pair<std::string, JsonValue>> kNone;
  return kids_ ? kids_->members : kNone;
}

inline JsonValue::Children& JsonValue::Kids() {
  if (!kids_) kids_ = std::make_unique<Children>();
  return *kids_;
}

inline std::pair<std::string, JsonValue>& JsonValue::TakeMember(size_t i) {
  return Kids().members[i];
}

/// Appends s as a quoted JSON string: the collector's one escaper (json_out.h).
using collector::AppendJsonString;

}  // namespace tapwatch::collector::report
