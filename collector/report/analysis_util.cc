#include "collector/report/analysis_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tapwatch::collector::report {

std::string ProtoName(int p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    default:
      return "ip" + std::to_string(p);
  }
}

std::string FlagNames(int flags) {
  static const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (flags & (1 << i)) {
      if (!out.empty()) out += "|";
      out += kNames[i];
    }
  }
  return out.empty() ? "none" : out;
}

// Least-squares slope of y over x = 0..n-1.
double Slope(const std::vector<double>& y) {
  size_t n = y.size();
  if (n < 2) return 0;
  double mx = (n - 1) / 2.0, my = 0;
  for (double v : y) my += v;
  my /= n;
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    num += (i - mx) * (y[i] - my);
    den += (i - mx) * (i - mx);
  }
  return den == 0 ? 0 : num / den;
}

// Direction of a series: the fitted change across the whole window relative to its mean, and
// only when the slope is clearly non-zero (|t| >= 2 for the least-squares slope), so a handful of
// packets on two days is not a "trend".
std::string Direction(const std::vector<double>& y, double* slope_out, double* change_out) {
  double slope = Slope(y);
  const size_t n = y.size();
  double mean = 0;
  for (double v : y) mean += v;
  mean = n == 0 ? 0 : mean / n;
  double change = mean > 0 && n > 1 ? slope * (n - 1) / mean : 0;
  *slope_out = slope;
  *change_out = change;
  if (n < 3) return "insufficient-data";
  double mx = (n - 1) / 2.0, sxx = 0, ssr = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (i - mx) * (i - mx);
    double fit = mean + slope * (i - mx);
    ssr += (y[i] - fit) * (y[i] - fit);
  }
  double se = std::sqrt(ssr / (n - 2) / sxx);
  bool significant = se == 0 ? slope != 0 : std::fabs(slope / se) >= 2.0;
  if (significant && change > 0.25) return "growing";
  if (significant && change < -0.25) return "shrinking";
  return "stable";
}

std::string SmbCommandName(int code) {
  switch (code) {
    case 0x04:
      return "Close";
    case 0x25:
      return "Trans";
    case 0x2b:
      return "Echo";
    case 0x2d:
      return "Open AndX";
    case 0x2e:
      return "Read AndX";
    case 0x2f:
      return "Write AndX";
    case 0x32:
      return "Trans2";
    case 0x71:
      return "Tree Disconnect";
    case 0x72:
      return "Negotiate";
    case 0x73:
      return "Session Setup AndX";
    case 0x74:
      return "Logoff AndX";
    case 0x75:
      return "Tree Connect AndX";
    case 0xa2:
      return "NT Create AndX";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%02x", code);
      return buf;
    }
  }
}

// Sorted-vector distinct counting: pushes keys, then sorts and dedupes once.
void SortUnique(std::vector<uint64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Appends a key to a vector counted as a set. Before the vector would grow (from 1M keys on),
// it drops its duplicates, and grows only when they were few: memory follows the distinct keys,
// not the rows (one MAC seen with the same few addresses on every row).
void PushKey(std::vector<uint64_t>& v, uint64_t k) {
  if (v.size() == v.capacity() && v.size() >= (size_t{1} << 20)) {
    SortUnique(v);
    if (v.size() > v.capacity() / 4 * 3) v.reserve(v.capacity() * 2);
  }
  v.push_back(k);
}

// A section object with its title and the question it answers (members in this order).
JsonValue NewSection(const char* title, const char* question) {
  JsonValue s = JsonValue::Object();
  s.Set("title", title);
  s.Set("question", question);
  return s;
}

}  // namespace tapwatch::collector::report
