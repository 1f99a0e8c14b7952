#include "collector/report/icmp_summary.h"

#include <cstdlib>

#include "collector/report/json_value.h"

namespace tapwatch::collector::report {
namespace {

// Fast path for the printer's compact output: flat keys without escapes, unsigned numbers
// (bare or quoted), one nested object (the histogram). Returns false on anything else.
bool ParseIcmpJsonFast(std::string_view s, IcmpJson* out) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  };
  auto eat = [&](char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  auto str = [&](std::string_view* v) {
    if (!eat('"')) return false;
    size_t b = i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') return false;  // escapes: leave to the full parser
      ++i;
    }
    if (i >= s.size()) return false;
    *v = s.substr(b, i - b);
    ++i;
    return true;
  };
  auto num = [&](int64_t* v) {
    ws();
    bool quoted = i < s.size() && s[i] == '"';
    if (quoted) ++i;
    size_t b = i;
    int64_t x = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - b < 18) x = x * 10 + (s[i++] - '0');
    if (i == b || (i < s.size() && s[i] >= '0' && s[i] <= '9')) return false;
    if (quoted && !(i < s.size() && s[i++] == '"')) return false;
    *v = x;
    return true;
  };
  // Skips a string or number value; anything else (nested objects, arrays, literals) -> false.
  auto skip = [&] {
    ws();
    if (i < s.size() && s[i] == '"') {
      std::string_view unused;
      return str(&unused);
    }
    int64_t unused = 0;
    return num(&unused);
  };
  out->Clear();
  if (!eat('{')) return false;
  if (eat('}')) return true;
  do {
    std::string_view key;
    if (!str(&key) || !eat(':')) return false;
    if (key == "ip_length_histogram") {
      if (!eat('{')) return false;
      if (!eat('}')) {
        do {
          std::string_view len_text;
          int64_t len = 0, packets = 0;
          if (!str(&len_text) || !eat(':') || !num(&packets)) return false;
          for (char c : len_text) {
            if (c < '0' || c > '9' || len > 1000000) return false;
            len = len * 10 + (c - '0');
          }
          if (len_text.empty()) return false;
          out->lengths.emplace_back(len, packets);
        } while (eat(','));
        if (!eat('}')) return false;
      }
    } else if (key == "ttl1_probes") {
      if (!num(&out->ttl1_probes)) return false;
    } else if (key == "fingerprint") {
      std::string_view fp;
      if (!str(&fp)) return false;
      out->fingerprint.assign(fp.data(), fp.size());
    } else if (!skip()) {
      return false;
    }
  } while (eat(','));
  if (!eat('}')) return false;
  ws();
  return i == s.size();
}

}  // namespace

void ParseIcmpJson(std::string_view s, IcmpJson* out) {
  if (ParseIcmpJsonFast(s, out)) return;
  out->Clear();
  auto v = JsonValue::Parse(s);
  if (!v || !v->is_object()) return;
  if (const JsonValue* t = v->Find("ttl1_probes")) {
    out->ttl1_probes =
        t->is_string() ? std::strtoll(t->as_string().c_str(), nullptr, 10) : t->as_int();
  }
  if (const JsonValue* f = v->Find("fingerprint"); f && f->is_string())
    out->fingerprint = f->as_string();
  if (const JsonValue* h = v->Find("ip_length_histogram"); h && h->is_object()) {
    for (const auto& [k, n] : h->members()) {
      int64_t packets =
          n.is_string() ? std::strtoll(n.as_string().c_str(), nullptr, 10) : n.as_int();
      out->lengths.emplace_back(std::strtoll(k.c_str(), nullptr, 10), packets);
    }
  }
}

}  // namespace tapwatch::collector::report
