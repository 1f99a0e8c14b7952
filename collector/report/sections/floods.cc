#include "collector/report/sections/floods.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "collector/report/analysis_util.h"
#include "collector/report/backscatter.h"
#include "collector/report/reference_data.h"
#include "collector/report/report_builder.h"

namespace tapwatch::collector::report {
namespace {

// A SYN flood: half-open SYNs onto one victim from at least this many sources, or from fewer
// sources onto at most kFewPorts ports with at least kMinFloodPackets packets (one busy flooder;
// a port scan spreads over many ports instead).
constexpr int64_t kMinFloodSources = 50;
constexpr int64_t kFewPorts = 3;
constexpr int64_t kMinFloodPackets = 500;
constexpr double kMinSynFloodRate = 10.0;  // half-open flows per second
// UDP and ICMP echo floods: packets onto one victim, and their rate over the flood's span.
constexpr int64_t kMinVolumePackets = 1000;
constexpr double kMinVolumeRate = 100.0;  // packets per second
// Backscatter: unsolicited SYN-ACK/RST answers from one host to this many addresses.
constexpr int64_t kMinBackscatterAddresses = 10;
// At most this many victims are tracked one by one (bounded memory under random targets).
constexpr size_t kMaxVictims = size_t{1} << 20;

const char* KindName(int kind) { return kind == 0 ? "syn" : kind == 1 ? "udp" : "icmp_echo"; }

// The span of an aggregate, at least 1 ms; an empty aggregate (first > last) spans 1 ms too.
double Seconds(int64_t first, int64_t last) {
  if (last <= first) return 1e-3;
  return std::max(1e-3, (static_cast<double>(last) - static_cast<double>(first)) / 1e9);
}

// How a flood's sources look: spoofed when nearly every source sent one unanswered packet and
// the sources spread over the address space.
void Describe(JsonValue& row, int64_t flows, int64_t one_packet, int64_t answered, int64_t sources,
              int64_t networks, bool tcp) {
  const double one = flows ? static_cast<double>(one_packet) / flows : 0;
  const double unanswered = flows ? 1.0 - static_cast<double>(answered) / flows : 0;
  const double spread = sources ? static_cast<double>(networks) / sources : 0;
  const bool spoofed =
      sources >= kMinFloodSources && one >= 0.9 && spread >= 0.5 && (!tcp || unanswered >= 0.9);
  row.Set("sources_look_spoofed", spoofed);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%.0f%% of flows one packet, %.0f%% unanswered, %lld sources over %lld /16s",
                one * 100, unanswered * 100, static_cast<long long>(sources),
                static_cast<long long>(networks));
  row.Set("source_evidence", std::string(buf));
}

}  // namespace

template <typename Distinct>
void FloodsSection::Aggregate<Distinct>::Add(const FlowRow& r, uint32_t peer, uint32_t port,
                                             int64_t pkts) {
  flows += r.first_record ? 1 : 0;
  packets += pkts;
  if (r.first_record && r.src_pkts + r.dst_pkts == 1) ++one_packet_flows;
  if (r.first_record && r.dst_pkts > 0) ++answered_flows;
  first_ns = std::min(first_ns, r.start_ns);
  last_ns = std::max(last_ns, std::max(r.end_ns, r.start_ns));
  peers.Add(peer);
  peer16.Add(peer >> 16);
  ports.Add(port);
}

void FloodsSection::Observe(const FlowRow& r, const RowFacts& /*facts*/) {
  if (!r.ipv4) return;
  int kind = -1;
  if (r.HalfOpen() && r.src_pkts > 0) {
    kind = 0;
    all_half_open_.Add(r, r.src, r.dport, r.src_pkts);
    half_open_victims_.Add(r.dst);
  } else if (r.Udp() && r.src_pkts > 0) {
    kind = 1;
  } else if (r.proto == 1 && r.icmp_type == 8 && r.src_pkts > 0) {
    kind = 2;
  }
  if (kind >= 0) {
    const uint64_t key = uint64_t{r.dst} << 2 | static_cast<uint64_t>(kind);
    if (PerAddress* a = victims_.FindOrInsert(key, kMaxVictims)) {
      a->Add(r, r.src, r.dport, r.src_pkts);
    } else {
      victims_full_ = true;
    }
  }
  if (const auto b = AsBackscatter(r)) {
    if (PerAddress* a = backscatter_.FindOrInsert(b->answerer, kMaxVictims)) {
      a->Add(r, b->asked, b->service_port, b->packets);
    }
  }
}

JsonValue FloodsSection::Build() {
  const ReportContext& ctx = ctx_;
  JsonValue s = JsonValue::Object();
  s.Set("title", "Floods");
  s.Set("question", "Is any host being flooded (SYN, UDP, ICMP), from how many sources, spoofed?");
  struct Found {
    double packets;
    uint64_t key;  // ties broken by address: the table's order is arbitrary
    JsonValue row;
  };
  auto by_packets = [](const Found& a, const Found& b) {
    return a.packets != b.packets ? a.packets > b.packets : a.key < b.key;
  };
  std::vector<Found> floods;
  victims_.ForEach([&](uint64_t key, const PerAddress& a) {
    const int kind = static_cast<int>(key & 3);
    const uint32_t victim = static_cast<uint32_t>(key >> 2);
    const int64_t sources = a.peers.Count(), ports = a.ports.Count();
    const double secs = Seconds(a.first_ns, a.last_ns);
    const double rate = a.packets / secs;
    bool flood = false;
    if (kind == 0) {
      // Many sources, and fast: background scanning reaches one host from many sources too,
      // but over hours.
      flood = (sources >= kMinFloodSources && a.flows / secs >= kMinSynFloodRate) ||
              (ports <= kFewPorts && a.packets >= kMinFloodPackets && rate >= kMinVolumeRate);
    } else {
      // A UDP port scan sends as many packets, over many ports.
      flood = a.packets >= kMinVolumePackets && rate >= kMinVolumeRate &&
              (kind == 2 || ports <= kFewPorts || sources >= kMinFloodSources);
    }
    if (!flood) return;
    JsonValue row = JsonValue::Object();
    row.Set("victim", FormatIpv4(victim));
    row.Set("kind", KindName(kind));
    row.Set("home", ctx.IsHome(victim));
    row.Set("sources", sources);
    row.Set("sources_exact", a.peers.Exact());
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("ports", ports);
    if (ports == 1 && kind != 2) row.Set("port", static_cast<int64_t>(a.ports.Keys().front()));
    row.Set("packets_per_second", std::round(rate * 10) / 10);
    row.Set("start", FormatTimeNs(a.first_ns));
    row.Set("duration_s", std::round(secs * 1000) / 1000);
    Describe(row, a.flows, a.one_packet_flows, a.answered_flows, sources, a.peer16.Count(),
             kind == 0);
    floods.push_back({static_cast<double>(a.packets), key, row});
    ctx_.AddFinding(victim, ctx.IsHome(victim), 30, "floods",
                    std::string(KindName(kind)) + " flood victim: " + std::to_string(a.packets) +
                        " packets from " + std::to_string(sources) + " sources");
  });
  // Half-open SYNs from many sources spread over many victims (each below the per-victim bar):
  // one flood with randomised targets.
  const int64_t all_sources = all_half_open_.peers.Count();
  const double all_secs = Seconds(all_half_open_.first_ns, all_half_open_.last_ns);
  if (floods.empty() && all_sources >= kMinFloodSources &&
      all_half_open_.flows / all_secs >= kMinVolumeRate) {
    JsonValue row = JsonValue::Object();
    row.Set("victim", "(" + std::to_string(half_open_victims_.Count()) + " addresses)");
    row.Set("kind", "syn");
    row.Set("home", false);
    row.Set("sources", all_sources);
    row.Set("sources_exact", all_half_open_.peers.Exact());
    row.Set("flows", all_half_open_.flows);
    row.Set("packets", all_half_open_.packets);
    row.Set("ports", all_half_open_.ports.Count());
    row.Set("packets_per_second", std::round(all_half_open_.packets / all_secs * 10) / 10);
    row.Set("start", FormatTimeNs(all_half_open_.first_ns));
    row.Set("duration_s", std::round(all_secs * 1000) / 1000);
    Describe(row, all_half_open_.flows, all_half_open_.one_packet_flows,
             all_half_open_.answered_flows, all_sources, all_half_open_.peer16.Count(), true);
    row.Set("note",
            "half-open SYNs onto randomised targets and ports: a flood tool spraying "
            "spoofed packets, not one victim");
    floods.push_back({static_cast<double>(all_half_open_.packets), ~uint64_t{0}, row});
  }
  std::stable_sort(floods.begin(), floods.end(), by_packets);
  JsonValue arr = JsonValue::Array();
  for (size_t i = 0; i < floods.size() && i < ctx.opt.top; ++i) arr.Push(floods[i].row);

  std::vector<Found> bs;
  backscatter_.ForEach([&](uint64_t key, const PerAddress& a) {
    const uint32_t host = static_cast<uint32_t>(key);
    const int64_t answered = a.peers.Count();
    if (answered < kMinBackscatterAddresses) return;
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(host));
    row.Set("answered_addresses", answered);
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("start", FormatTimeNs(a.first_ns));
    row.Set("duration_s", std::round(Seconds(a.first_ns, a.last_ns) * 1000) / 1000);
    row.Set("why", "answers (SYN-ACK / RST) to " + std::to_string(answered) +
                       " addresses that never opened a connection: it is being flooded "
                       "elsewhere by someone spoofing them");
    bs.push_back({static_cast<double>(a.packets), key, row});
  });
  std::stable_sort(bs.begin(), bs.end(), by_packets);
  JsonValue barr = JsonValue::Array();
  for (size_t i = 0; i < bs.size() && i < ctx.opt.top; ++i) barr.Push(bs[i].row);

  std::string answer = floods.empty() ? "no flood" : std::to_string(floods.size()) + " flood(s)";
  if (!floods.empty()) {
    const JsonValue& top = floods.front().row;
    answer += "; largest: " + top.Find("kind")->as_string() + " onto " +
              top.Find("victim")->as_string() + " from " +
              std::to_string(top.Find("sources")->as_int()) + " sources" +
              (top.Find("sources_look_spoofed")->as_bool() ? " (spoofed)" : "");
  }
  answer += "; " + std::to_string(bs.size()) + " backscatter source(s)";
  s.Set("answer", answer);
  s.Set("floods_total", static_cast<int64_t>(floods.size()));
  s.Set("floods", arr);
  s.Set("backscatter_total", static_cast<int64_t>(bs.size()));
  s.Set("backscatter", barr);
  s.Set("victims_tracked_all", !victims_full_);
  s.Set("method",
        "SYN flood: half-open SYNs (no ACK, no payload) onto one victim from >= 50 sources at "
        ">= 10 flows/s, or "
        ">= 500 packets at >= 100/s onto <= 3 ports; UDP / ICMP echo flood: >= 1000 packets at "
        ">= 100/s onto one victim; spoofed-looking: >= 90% one-packet, unanswered flows from "
        "sources spread over >= 1 /16 per 2 sources. Distinct counts are exact to 4096, then "
        "HyperLogLog (~3%).");
  return s;
}

}  // namespace tapwatch::collector::report
