#include "collector/report/json_value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tapwatch::collector::report {

JsonValue::JsonValue(const JsonValue& other)
    : kind_(other.kind_),
      bool_(other.bool_),
      int_(other.int_),
      double_(other.double_),
      string_(other.string_),
      kids_(other.kids_ ? std::make_unique<Children>(*other.kids_) : nullptr) {}

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) *this = JsonValue(other);
  return *this;
}

JsonValue::~JsonValue() = default;

JsonValue& JsonValue::Set(std::string_view key, JsonValue value) {
  kind_ = Kind::kObject;
  auto& members_ = Kids().members;
  for (auto& [k, v] : members_) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  members_.emplace_back(std::string(key), std::move(value));
  return *this;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members()) {
    if (k == key) return &v;
  }
  return nullptr;
}

JsonValue& JsonValue::Push(JsonValue value) {
  kind_ = Kind::kArray;
  Kids().items.push_back(std::move(value));
  return *this;
}

namespace {
void NewLine(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out.push_back('\n');
  out.append(static_cast<size_t>(indent * level), ' ');
}
}  // namespace

void JsonValue::DumpTo(std::string& out, int indent, int level) const {
  switch (kind_) {
    case Kind::kNull:
      out += "null";
      break;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      break;
    case Kind::kInt:
      out += std::to_string(int_);
      break;
    case Kind::kDouble: {
      if (!std::isfinite(double_)) {
        out += "null";
        break;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f", double_);
      // Trim trailing zeros for readability, keep one digit after the point.
      std::string s(buf);
      while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
      out += s;
      break;
    }
    case Kind::kString:
      AppendJsonString(out, string_);
      break;
    case Kind::kArray: {
      const auto& items_ = items();
      if (items_.empty()) {
        out += "[]";
        break;
      }
      out.push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out.push_back(',');
        NewLine(out, indent, level + 1);
        items_[i].DumpTo(out, indent, level + 1);
      }
      NewLine(out, indent, level);
      out.push_back(']');
      break;
    }
    case Kind::kObject: {
      const auto& members_ = members();
      if (members_.empty()) {
        out += "{}";
        break;
      }
      out.push_back('{');
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i) out.push_back(',');
        NewLine(out, indent, level + 1);
        AppendJsonString(out, members_[i].first);
        out += indent < 0 ? ":" : ": ";
        members_[i].second.DumpTo(out, indent, level + 1);
      }
      NewLine(out, indent, level);
      out.push_back('}');
      break;
    }
  }
}

std::string JsonValue::Dump(int indent) const {
  std::string out;
  DumpTo(out, indent, 0);
  return out;
}

namespace {

// Recursive-descent parser over a string_view; depth-limited so hostile input cannot overflow.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool ParseValue(JsonValue& out, int depth) {
    if (depth > 64) return false;
    SkipWs();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      std::string str;
      if (!ParseString(str)) return false;
      out = JsonValue(std::move(str));
      return true;
    }
    if (Literal("true")) {
      out = JsonValue(true);
      return true;
    }
    if (Literal("false")) {
      out = JsonValue(false);
      return true;
    }
    if (Literal("null")) {
      out = JsonValue();
      return true;
    }
    return ParseNumber(out);
  }

  bool AtEnd() {
    SkipWs();
    return pos_ == s_.size();
  }

 private:
  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) == lit) {
      pos_ += lit.size();
      return true;
    }
    return false;
  }
  bool ParseNumber(JsonValue& out) {
    size_t start = pos_;
    bool is_double = false;
    if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+') {
        is_double = true;
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) return false;
    std::string num(s_.substr(start, pos_ - start));
    char* end = nullptr;
    if (is_double) {
      double d = std::strtod(num.c_str(), &end);
      if (*end) return false;
      out = JsonValue(d);
    } else {
      long long v = std::strtoll(num.c_str(), &end, 10);
      if (*end) return false;
      out = JsonValue(static_cast<int64_t>(v));
    }
    return true;
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return false;
          uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            cp <<= 4;
            if (h >= '0' && h <= '9')
              cp |= static_cast<uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
              cp |= static_cast<uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              cp |= static_cast<uint32_t>(h - 'A' + 10);
            else
              return false;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  /// Consumes `c` if it is next.
  bool Take(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool ParseArray(JsonValue& out, int depth) {
    ++pos_;
    out = JsonValue::Array();
    SkipWs();
    if (Take(']')) return true;
    while (true) {
      JsonValue item;
      if (!ParseValue(item, depth + 1)) return false;
      out.Push(std::move(item));
      SkipWs();
      if (Take(',')) continue;
      return Take(']');
    }
  }
  bool ParseObject(JsonValue& out, int depth) {
    ++pos_;
    out = JsonValue::Object();
    SkipWs();
    if (Take('}')) return true;
    while (true) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"') return false;
      std::string key;
      if (!ParseString(key)) return false;
      SkipWs();
      if (!Take(':')) return false;
      JsonValue value;
      if (!ParseValue(value, depth + 1)) return false;
      out.Set(key, std::move(value));
      SkipWs();
      if (Take(',')) continue;
      return Take('}');
    }
  }
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<JsonValue> JsonValue::Parse(std::string_view text) {
  Parser p(text);
  JsonValue v;
  if (!p.ParseValue(v, 0) || !p.AtEnd()) return std::nullopt;
  return v;
}

}  // namespace tapwatch::collector::report
