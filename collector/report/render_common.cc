#include "collector/report/render_common.h"

#include <algorithm>
#include <string_view>

#include "collector/printable.h"
#include "collector/report/sections/section_list.h"

namespace tapwatch::collector::report {

const std::vector<const char*>& SectionKeys() {
  static const std::vector<const char*> keys = [] {
    std::vector<const char*> k;
    for (const auto& entry : kSections) {
      if (std::string_view(entry.key) != "meta") k.push_back(entry.key);
    }
    return k;
  }();
  return keys;
}

bool IsTable(const JsonValue& v) {
  return v.is_array() && v.size() > 0 && v.items()[0].is_object();
}

bool IsHeaderKey(const std::string& k) { return k == "title" || k == "question" || k == "answer"; }

std::string Scalar(const JsonValue& v, size_t max_chars) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      return "-";
    case JsonValue::Kind::kBool:
      return v.as_bool() ? "yes" : "no";
    case JsonValue::Kind::kString:
      return Printable(v.as_string());  // text from sensors and logs: no control characters
    case JsonValue::Kind::kInt:
    case JsonValue::Kind::kDouble:
      return v.Dump();
    default:
      break;
  }
  std::string out;
  if (v.is_array()) {
    for (const auto& i : v.items()) {
      if (!out.empty()) out += ", ";
      out += i.is_object() || i.is_array() ? i.Dump() : Scalar(i);
      if (out.size() > max_chars) break;
    }
  } else {
    for (const auto& [k, m] : v.members()) {
      if (!out.empty()) out += ", ";
      out += Printable(k) + "=" + (m.is_object() || m.is_array() ? m.Dump() : Scalar(m));
      if (out.size() > max_chars) break;
    }
  }
  return out;
}

std::vector<std::string> Columns(const JsonValue& table) {
  std::vector<std::string> cols, wide;
  for (size_t r = 0; r < table.size() && r < 20; ++r) {
    for (const auto& [k, m] : table.items()[r].members()) {
      bool is_wide = (m.is_object() && m.size() > 4) || (IsTable(m) && m.items()[0].size() > 3);
      auto& list = is_wide ? wide : cols;
      if (std::find(list.begin(), list.end(), k) == list.end()) list.push_back(k);
    }
  }
  std::vector<std::string> out;
  for (const auto& c : cols) {
    if (std::find(wide.begin(), wide.end(), c) == wide.end()) out.push_back(c);
  }
  return out;
}

}  // namespace tapwatch::collector::report
