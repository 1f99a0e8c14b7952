#include "collector/report/reference_data.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>

namespace tapwatch::collector::report {

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t addr = 0;
  int parts = 0;
  size_t pos = 0;
  while (parts < 4) {
    if (pos >= text.size()) return std::nullopt;
    size_t end = pos;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == pos || end - pos > 3) return std::nullopt;
    unsigned value = 0;
    std::from_chars(text.data() + pos, text.data() + end, value);
    if (value > 255) return std::nullopt;
    addr = (addr << 8) | value;
    ++parts;
    pos = end;
    if (parts < 4) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
  }
  if (pos != text.size()) return std::nullopt;
  return addr;
}

std::optional<Cidr> ParseCidr(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = ParseIpv4(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int len = 32;
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    if (l.empty() || l.size() > 2) return std::nullopt;
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len < 0 || len > 32) return std::nullopt;
  }
  Cidr c;
  c.prefix_len = len;
  c.mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  c.network = *addr & c.mask;
  return c;
}

std::string FormatIpv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string Cidr::ToString() const {
  return FormatIpv4(network) + "/" + std::to_string(prefix_len);
}

namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) out.push_back(field);
  if (!line.empty() && line.back() == '\t') out.emplace_back();
  return out;
}

// "YYYY-MM" -> ns since the epoch at the first of that month, UTC; -1 when malformed.
int64_t ParseYearMonth(const std::string& s) {
  int year = 0, month = 0;
  if (std::sscanf(s.c_str(), "%d-%d", &year, &month) != 2 || month < 1 || month > 12) return -1;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000000000LL;
}

}  // namespace

bool ReferenceData::Load(const std::string& dir, std::string* error) {
  reserved_.clear();
  ports_.clear();
  const std::string reserved_path = dir + "/reserved_networks.tsv";
  std::ifstream reserved(reserved_path);
  if (!reserved) {
    *error = "cannot read " + reserved_path + " (use --data-dir)";
    return false;
  }
  std::string line;
  int line_no = 0;
  while (std::getline(reserved, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto f = SplitTabs(line);
    auto cidr = f.size() >= 3 ? ParseCidr(f[0]) : std::nullopt;
    int64_t until = 0;
    if (cidr && f[2] != "-") until = ParseYearMonth(f[2]);
    if (!cidr || until < 0) {
      *error = reserved_path + ":" + std::to_string(line_no) + ": malformed row";
      return false;
    }
    reserved_.push_back({*cidr, f[1], until, f.size() > 3 ? f[3] : ""});
  }
  BuildIndex();
  const std::string ports_path = dir + "/ports.tsv";
  std::ifstream ports(ports_path);
  if (!ports) {
    *error = "cannot read " + ports_path + " (use --data-dir)";
    return false;
  }
  line_no = 0;
  while (std::getline(ports, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto f = SplitTabs(line);
    unsigned port = 0;
    bool ok = f.size() >= 3 && (f[0] == "tcp" || f[0] == "udp") &&
              std::from_chars(f[1].data(), f[1].data() + f[1].size(), port).ec == std::errc() &&
              port <= 65535;
    if (!ok) {
      *error = ports_path + ":" + std::to_string(line_no) + ": malformed row";
      return false;
    }
    uint32_t key = (static_cast<uint32_t>(f[0] == "tcp" ? 6 : 17) << 16) | port;
    ports_.emplace(key, PortInfo{f[2], f.size() > 3 ? f[3] : ""});
  }
  AddSystemServices();
  return true;
}

void ReferenceData::AddSystemServices() {
  // The system's services database (netbase's /etc/services, read by libc) names every other
  // well-known port; the project's ports.tsv, loaded first, keeps its names and notes.
  setservent(0);
  while (const servent* s = getservent()) {
    const std::string_view proto = s->s_proto;
    if (proto != "tcp" && proto != "udp") continue;
    const uint32_t port = ntohs(static_cast<uint16_t>(s->s_port));
    const uint32_t key = (static_cast<uint32_t>(proto == "tcp" ? 6 : 17) << 16) | port;
    ports_.emplace(key, PortInfo{s->s_name, ""});
  }
  endservent();
}

void ReferenceData::BuildIndex() {
  for (auto& v : by_octet_) v.clear();
  for (size_t i = 0; i < reserved_.size(); ++i) {
    for (uint32_t octet = 0; octet < 256; ++octet) {
      // The range covers some address with this first octet when the prefixes agree on the
      // bits both of them fix.
      uint32_t shared_mask = reserved_[i].cidr.mask & 0xFF000000u;
      if (((octet << 24) & shared_mask) == (reserved_[i].cidr.network & shared_mask)) {
        by_octet_[octet].push_back(static_cast<uint16_t>(i));
      }
    }
  }
}

const ReservedRange* ReferenceData::FindReserved(uint32_t addr, int64_t time_ns) const {
  const ReservedRange* best = nullptr;
  for (uint16_t i : by_octet_[addr >> 24]) {
    const ReservedRange& r = reserved_[i];
    if (!r.cidr.Contains(addr)) continue;
    if (r.unallocated_until_ns != 0 && time_ns >= r.unallocated_until_ns) continue;
    if (!best || r.cidr.prefix_len > best->cidr.prefix_len) best = &r;
  }
  return best;
}

const PortInfo* ReferenceData::FindPort(int ip_proto, uint32_t port) const {
  auto it = ports_.find((static_cast<uint32_t>(ip_proto) << 16) | port);
  return it == ports_.end() ? nullptr : &it->second;
}

std::vector<std::string> DefaultDataDirs() {
  std::vector<std::string> dirs;
#ifdef TAPWATCH_DATA_INSTALL_DIR
  dirs.push_back(TAPWATCH_DATA_INSTALL_DIR);
#endif
#ifdef TAPWATCH_DATA_SOURCE_DIR
  dirs.push_back(TAPWATCH_DATA_SOURCE_DIR);
#endif
  return dirs;
}

}  // namespace tapwatch::collector::report
