#include "collector/report/home_inference.h"

#include <algorithm>
#include <map>

#include "collector/report/address_class.h"

namespace tapwatch::collector::report {
namespace {

// Share of flows with a public end that may run public <-> public while the private side is still
// taken for the inside of a NAT (stray noise in a client capture).
constexpr double kMaxPublicPublicShare = 0.05;
// Fewest answered connections that make a public host a server of the capture's side.
constexpr int64_t kMinAnswered = 2;
// Fewest distinct sources that make a host a watched target.
constexpr int64_t kMinTargetedSources = 10;

bool Usable(uint32_t a) {
  return !IsMulticast(a) && !IsLimitedBroadcast(a) && !IsThisNetwork(a) && !IsLoopback(a) &&
         !IsClassE(a);
}

std::string Plural(int64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::vector<Cidr> GroupHomeAddresses(std::vector<uint32_t> addresses, bool always_24) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  std::vector<Cidr> out;
  for (size_t i = 0; i < addresses.size();) {
    size_t j = i;
    while (j < addresses.size() && (addresses[j] >> 8) == (addresses[i] >> 8)) ++j;
    if (always_24 || j - i >= 2) {
      out.push_back(Cidr{addresses[i] & 0xFFFFFF00u, 0xFFFFFF00u, 24});
    } else {
      out.push_back(Cidr{addresses[i], 0xFFFFFFFFu, 32});
    }
    i = j;
  }
  // Three or more busy /24s of one /16: the /16.
  std::map<uint32_t, int> per16;
  for (const auto& c : out) {
    if (c.prefix_len == 24) ++per16[c.network >> 16];
  }
  std::vector<Cidr> merged;
  for (const auto& c : out) {
    uint32_t n16 = c.network >> 16;
    if (per16[n16] >= 3) {
      if (merged.empty() || merged.back().network != (n16 << 16) || merged.back().prefix_len != 16)
        merged.push_back(Cidr{n16 << 16, 0xFFFF0000u, 16});
      continue;
    }
    merged.push_back(c);
  }
  return merged;
}

void HomeEvidence::Observe(const FlowRow& r) {
  if (!r.ipv4 || !r.first_record) return;
  ++flows_;
  const bool logged = !r.in_iface.empty() || !r.out_iface.empty();
  if (logged) {
    // netfilter: IN= set and OUT= empty is the INPUT chain, a packet for the firewall itself;
    // both set is forwarded. The same interface on both sides is routed back out, not inside.
    if (!r.in_iface.empty() && r.out_iface.empty()) {
      ++log_input_lines_;
      if (Usable(r.dst)) ++by_address_[r.dst].firewall_input;
    } else if (!r.in_iface.empty() && !r.out_iface.empty()) {
      if (r.in_iface == r.out_iface) {
        ++same_iface_lines_;
      } else {
        ++forwarded_lines_;
        forwarded_.push_back({r.src, r.dst, std::string(r.in_iface)});
        if (IsPublic(r.src)) ++public_sources_by_in_iface_[std::string(r.in_iface)];
      }
    }
  }
  if (r.src_pkts > 0 && Usable(r.src)) {
    ++by_address_[r.src].initiated;
    // ICMP errors (TTL exceeded, unreachable) answer the host; they do not reach for it.
    const bool icmp_error = r.proto == 1 && r.icmp_type != 8 && r.icmp_type != 13 &&
                            r.icmp_type != 15 && r.icmp_type != 17;
    if (Usable(r.dst) && !icmp_error && contacts_.size() < kMaxContacts)
      contacts_.push_back(uint64_t{r.dst} << 32 | r.src);
  }
  if (Usable(r.dst)) by_address_[r.dst];  // every endpoint is a candidate
  if (r.Answered() && Usable(r.dst)) ++by_address_[r.dst].answered;
  if (!Usable(r.src) || !Usable(r.dst)) return;
  const bool sp = IsPrivate(r.src), dp = IsPrivate(r.dst);
  if (sp && dp) {
    ++private_private_;
  } else if (sp != dp) {
    ++private_public_;
    if (sp && r.Answered()) ++private_initiated_answered_;
  } else {
    ++public_public_;
  }
}

HomeVerdict HomeEvidence::Decide() const {
  HomeVerdict v;
  // 1. A firewall log names its own interfaces.
  if (log_input_lines_ > 0 || forwarded_lines_ > 0) {
    std::vector<uint32_t> inside;
    if (log_input_lines_ > 0) {
      std::vector<std::pair<int64_t, uint32_t>> targets;
      for (const auto& [a, s] : by_address_) {
        if (s.firewall_input > 0) targets.push_back({s.firewall_input, a});
      }
      std::sort(targets.rbegin(), targets.rend());
      for (const auto& [n, a] : targets) inside.push_back(a);
      std::string names;
      for (size_t i = 0; i < targets.size() && i < 3; ++i)
        names += (i ? ", " : "") + FormatIpv4(targets[i].second);
      v.evidence.push_back(Plural(log_input_lines_, "log line") +
                           " on the INPUT side (IN= set, OUT= empty) are addressed to the "
                           "firewall itself: " +
                           names);
    }
    if (forwarded_lines_ > 0 && !public_sources_by_in_iface_.empty()) {
      auto outside =
          std::max_element(public_sources_by_in_iface_.begin(), public_sources_by_in_iface_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      // An inside address named by one line only is kept when it shares a /24 with another
      // (a lone line can carry a flow whose initiator the sensor guessed the wrong way round).
      std::unordered_map<uint32_t, int> lines;
      for (const auto& f : forwarded_) {
        uint32_t a = f.in_iface == outside->first ? f.dst : f.src;
        if (Usable(a)) ++lines[a];
      }
      std::unordered_map<uint32_t, int> per24;
      for (const auto& [a, n] : lines) ++per24[a >> 8];
      for (const auto& [a, n] : lines) {
        if (n >= 2 || per24[a >> 8] >= 2) inside.push_back(a);
      }
      v.evidence.push_back(Plural(forwarded_lines_, "forwarded log line") + "; " + outside->first +
                           " is the outside interface (" + std::to_string(outside->second) +
                           " lines with public sources arrive on it): home is what lies "
                           "behind it");
    }
    if (same_iface_lines_ > 0) {
      v.evidence.push_back(Plural(same_iface_lines_, "log line") +
                           " forwarded out of the interface they came in on (IN = OUT): "
                           "addresses routed through the firewall, not home");
    }
    if (!inside.empty()) {
      v.home = GroupHomeAddresses(inside, false);
      v.rule = "firewall_interfaces";
      v.confidence = "high";
      return v;
    }
  }
  const int64_t with_public = private_public_ + public_public_;
  // 2. No public address at all: every address is a local host.
  if (private_private_ > 0 && with_public == 0) {
    std::vector<uint32_t> a;
    for (const auto& [addr, s] : by_address_) {
      if (IsPrivate(addr)) a.push_back(addr);
    }
    v.home = GroupHomeAddresses(a, true);
    v.rule = "all_private";
    v.confidence = "high";
    v.evidence.push_back("all " + Plural(private_private_, "flow") +
                         " run between private addresses: the capture has no outside, every "
                         "address is a local host");
    return v;
  }
  // 3. Private hosts talking to public ones, and the public side never talking among itself:
  // the capture sits on the private side of a NAT router.
  if (private_public_ > 0 &&
      static_cast<double>(public_public_) <= kMaxPublicPublicShare * with_public) {
    std::vector<uint32_t> a;
    for (const auto& [addr, s] : by_address_) {
      if (IsPrivate(addr)) a.push_back(addr);
    }
    v.home = GroupHomeAddresses(a, true);
    v.rule = "private_side";
    v.confidence = private_initiated_answered_ * 2 >= private_public_ ? "high" : "medium";
    v.evidence.push_back(Plural(private_public_, "flow") +
                         " between private and public addresses and " +
                         std::to_string(public_public_) +
                         " between public ones: the capture sees the private side of a router; " +
                         std::to_string(private_initiated_answered_) +
                         " were opened from the private side and answered");
    return v;
  }
  // 4. Hosts that many distinct sources reach: what the capture point watches being probed
  // (a honeynet, an Internet-facing host taking background radiation, a busy server).
  {
    std::vector<uint64_t> pairs = contacts_;
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<uint32_t> targeted;
    int64_t most = 0;
    for (size_t i = 0; i < pairs.size();) {
      size_t j = i;
      while (j < pairs.size() && (pairs[j] >> 32) == (pairs[i] >> 32)) ++j;
      const auto a = static_cast<uint32_t>(pairs[i] >> 32);
      if (static_cast<int64_t>(j - i) >= kMinTargetedSources &&
          (IsPublic(a) || private_public_ == 0)) {
        targeted.push_back(a);
        most = std::max<int64_t>(most, static_cast<int64_t>(j - i));
      }
      i = j;
    }
    if (!targeted.empty()) {
      v.home = GroupHomeAddresses(targeted, false);
      v.rule = "targeted_hosts";
      v.confidence = most >= 50 ? "medium" : "low";
      v.evidence.push_back(Plural(static_cast<int64_t>(targeted.size()), "host") +
                           " reached by >= " + std::to_string(kMinTargetedSources) +
                           " distinct sources (at most " + std::to_string(most) +
                           "): taken as the hosts the capture point watches");
      return v;
    }
  }
  // 5. Public hosts that answer more connections than they open: the servers the capture
  // point protects.
  std::vector<uint32_t> servers;
  int64_t answered_total = 0;
  for (const auto& [addr, s] : by_address_) {
    if (s.answered >= kMinAnswered && s.answered >= s.initiated &&
        (IsPublic(addr) || private_public_ == 0)) {
      servers.push_back(addr);
      answered_total += s.answered;
    }
  }
  if (!servers.empty()) {
    v.home = GroupHomeAddresses(servers, false);
    v.rule = "answering_hosts";
    v.confidence = servers.size() >= 2 || answered_total >= 20 ? "medium" : "low";
    v.evidence.push_back(Plural(static_cast<int64_t>(servers.size()), "host") +
                         " answer more connections than they open (" +
                         std::to_string(answered_total) +
                         " answered in all): taken as the servers behind the capture point");
    return v;
  }
  v.rule = "none";
  v.confidence = "none";
  v.evidence.push_back(
      flows_ == 0 ? "no IPv4 flows"
                  : "no firewall interfaces, no private side and no host that answers more than "
                    "it opens: the data cannot tell which side is home (give --home)");
  return v;
}

}  // namespace tapwatch::collector::report
