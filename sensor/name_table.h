#pragma once
// Short names interned to small ids, so a flow slot stores a 1- or 2-byte id instead of a
// string: log prefixes ("INBOUND TCP") and interface names ("eth0"). Id 0 is the empty name, and
// what a name gets once the table is full (counted in refused()). Names are kept as valid UTF-8.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sensor/valid_utf8.h"

namespace tapwatch::sensor {

template <typename Id>
class NameTable {
 public:
  /// Ids 1..max_id are handed out.
  explicit NameTable(size_t max_id) : max_id_(max_id) {}

  /// The id of `raw` made valid UTF-8: names go into records as they are kept here, and two
  /// names that read alike once escaped share one id (a record's map has one entry per name).
  Id IdOf(std::string_view raw) {
    if (raw.empty()) return 0;
    // Consecutive packets usually repeat the last name: skip the map then.
    if (raw == last_) return last_id_;
    const std::string_view name = ValidUtf8(raw, scratch_);
    Id id = 0;
    if (const auto it = ids_.find(name); it != ids_.end()) {
      id = it->second;
    } else if (names_.size() <= max_id_) {
      id = static_cast<Id>(names_.size());
      names_.emplace_back(name);
      ids_.emplace(names_.back(), id);
    } else {
      ++refused_;  // past max_id distinct names: counted, not named
    }
    last_.assign(raw);
    last_id_ = id;
    return id;
  }

  const std::string& Name(Id id) const { return names_[id]; }
  /// Every name by id (index 0 = "").
  const std::vector<std::string>& names() const { return names_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t max_id_;
  std::vector<std::string> names_{std::string()};
  std::unordered_map<std::string, Id, Hash, std::equal_to<>> ids_;
  std::string last_;  // as given, not escaped
  Id last_id_ = 0;
  std::string scratch_;
  uint64_t refused_ = 0;
};

}  // namespace tapwatch::sensor
