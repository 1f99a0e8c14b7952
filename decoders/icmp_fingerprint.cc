#include "decoders/icmp_fingerprint.h"

#include "decoders/signature_text.h"

namespace tapwatch::decoders {

int IcmpFingerprintTable::Match(uint16_t ip_total_len, uint8_t ttl, std::span<const uint8_t> data,
                                uint32_t data_wire_len) const noexcept {
  for (size_t i = 0; i < rules.size(); ++i) {
    const IcmpFingerprintRule& r = rules[i];
    if (r.ip_total_len >= 0 && r.ip_total_len != ip_total_len) continue;
    if (r.ttl_max >= 0 && ttl > r.ttl_max) continue;
    bool ok = true;
    switch (r.pattern) {
      case IcmpPayloadPattern::kAny:
        break;
      case IcmpPayloadPattern::kEmpty:
        ok = data_wire_len == 0;
        break;
      case IcmpPayloadPattern::kFill:
        // Judged on the captured bytes (a snaplen cut leaves fewer to check, not a mismatch).
        ok = !data.empty();
        for (uint8_t b : data) {
          if (b != r.fill) {
            ok = false;
            break;
          }
        }
        break;
      case IcmpPayloadPattern::kPrefix:
        ok = data.size() >= r.prefix.size();
        for (size_t k = 0; ok && k < r.prefix.size(); ++k) {
          ok = data[k] == static_cast<uint8_t>(r.prefix[k]);
        }
        break;
    }
    if (ok) return static_cast<int>(i);
  }
  return -1;
}

bool ParseIcmpFingerprints(std::string_view text, IcmpFingerprintTable& out, std::string& error) {
  out.rules.clear();
  std::vector<int> lines;
  const auto rows = table_text::Rows(text, lines);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& f = rows[i];
    const std::string where = "icmp fingerprints line " + std::to_string(lines[i]) + ": ";
    if (f.size() != 5) {
      error = where + "expected 5 tab-separated fields";
      return false;
    }
    IcmpFingerprintRule r;
    r.name = std::string(f[0]);
    if (r.name.empty()) {
      error = where + "empty name";
      return false;
    }
    if (f[1] != "*") {
      const auto n = table_text::Number(f[1], 65535);
      if (!n) {
        error = where + "bad ip_total_len";
        return false;
      }
      r.ip_total_len = static_cast<int32_t>(*n);
    }
    const std::string_view p = f[2];
    if (p == "*") {
      r.pattern = IcmpPayloadPattern::kAny;
    } else if (p == "empty") {
      r.pattern = IcmpPayloadPattern::kEmpty;
    } else if (p.substr(0, 5) == "fill:" && p.size() == 7) {
      const auto b = table_text::Unescape(std::string("\\x") + std::string(p.substr(5)));
      if (!b || b->size() != 1) {
        error = where + "bad fill byte";
        return false;
      }
      r.pattern = IcmpPayloadPattern::kFill;
      r.fill = static_cast<uint8_t>((*b)[0]);
    } else if (p.substr(0, 7) == "prefix:" && p.size() > 7) {
      const auto s = table_text::Unescape(p.substr(7));
      if (!s) {
        error = where + "bad prefix escape";
        return false;
      }
      r.pattern = IcmpPayloadPattern::kPrefix;
      r.prefix = *s;
    } else {
      error = where + "payload must be *, empty, fill:HH or prefix:TEXT";
      return false;
    }
    if (f[3] != "*") {
      const auto n = table_text::Number(f[3], 255);
      if (!n) {
        error = where + "bad ttl_max";
        return false;
      }
      r.ttl_max = static_cast<int16_t>(*n);
    }
    r.hint = std::string(f[4]);
    r.description = r.name + ": ip_len=" + std::string(f[1]) + " payload=" + std::string(p) +
                    " ttl<=" + std::string(f[3]);
    out.rules.push_back(std::move(r));
  }
  if (out.rules.size() > 250) {
    error = "icmp fingerprints: more than 250 rules";
    return false;
  }
  return true;
}

}  // namespace tapwatch::decoders
