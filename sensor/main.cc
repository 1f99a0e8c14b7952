// tapwatch-sensor: capture (-i), replay (-r) or read firewall logs (--log), keep flows, publish
// flow and stats records over ZeroMQ and/or JSON lines.
//
// Exit status: 0 all input processed; 1 input damaged (everything before the damage processed,
// the place reported) or useless (a log without a packet line); 2 bad command line or
// configuration; 3 start-up failure (missing file, interface, privilege, bind).

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <system_error>

#include "cli/command_line.h"
#include "decoders/decode_frame.h"
#include "decoders/icmp_fingerprint.h"
#include "decoders/payload_signature.h"
#include "sensor/log/pcap_writer.h"
#include "sensor/log/prefetcher.h"
#include "sensor/log/source.h"
#include "sensor/options.h"
#include "sensor/pcap_merge.h"
#include "sensor/pcap_source.h"
#include "sensor/pipeline.h"
#include "sensor/privileges.h"
#include "sensor/publisher.h"
#include "sensor/replay_buffer.h"
#include "sensor/resend_server.h"

namespace {

using namespace tapwatch;
using namespace tapwatch::sensor;

std::atomic<bool> g_stop{false};
std::atomic<PcapSource*> g_live_source{nullptr};

void OnSignal(int) {
  g_stop.store(true);
  if (PcapSource* s = g_live_source.load()) s->BreakLoop();
}

// Log lines as the stats records count them: packet, other (non-packet + continuation), malformed.
struct LineCounts {
  uint64_t packet = 0;
  uint64_t other = 0;
  uint64_t malformed = 0;
  LineCounts Plus(const LineCounts& o) const {
    return {packet + o.packet, other + o.other, malformed + o.malformed};
  }
};

LineCounts LineCountsOf(const LogCounters& c) {
  return {c.packet, c.non_packet + c.continuation, c.malformed};
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "tapwatch-sensor: %s\n", message.c_str());
  return code;
}

uint64_t WallNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Tells this process's records from another's with the same --sensor-id (never 0: "none").
uint64_t NewInstanceId() {
  std::random_device random;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{random()} << 32) ^ random() ^ WallNowNs();
  return id;
}

// At the end of input the resend socket stays up until no collector asked for this long.
constexpr std::chrono::milliseconds kResendQuiet{2000};
constexpr std::chrono::milliseconds kResendLingerLimit{120000};

bool ReadFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

uint32_t Log2Ceil(uint64_t n) {
  uint32_t k = 0;
  while ((uint64_t{1} << k) < n) ++k;
  return k;
}

// Transparent huge pages for the flow table: random slot access is TLB-bound without them.
void AdviseHugePages(void* addr, size_t bytes) {
  const uintptr_t page = 2u << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(addr) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(addr) + bytes) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

class LiveDrops : public DropSource {
 public:
  explicit LiveDrops(const PcapSource& s) : source_(s) {}
  void KernelDrops(uint64_t& dropped, uint64_t& if_dropped) const override {
    source_.KernelDrops(dropped, if_dropped);
  }

 private:
  const PcapSource& source_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  bool help = false;
  bool version = false;
  const auto parsed = ParseSensorOptions(argc, argv, error, help, &version);
  if (help) {
    std::fputs(SensorUsage(), stdout);
    return 0;
  }
  if (version) {
    std::puts(cli::VersionLine("tapwatch-sensor").c_str());
    return 0;
  }
  if (!parsed) return Fail(2, error);
  const SensorOptions& opt = *parsed;

  // Tables are data files; without one given, the copies built into the binary are used.
  decoders::PayloadSignatureTable signatures;
  decoders::IcmpFingerprintTable fingerprints;
  {
    std::string text(decoders::DefaultPayloadSignaturesTsv());
    if (!opt.signatures_file.empty() && !ReadFile(opt.signatures_file, text, error)) {
      return Fail(2, "--signatures " + error);
    }
    if (!decoders::ParsePayloadSignatures(text, signatures, error)) {
      return Fail(2, "payload signatures: " + error);
    }
    text = std::string(decoders::DefaultIcmpFingerprintsTsv());
    if (!opt.icmp_fingerprints_file.empty() && !ReadFile(opt.icmp_fingerprints_file, text, error)) {
      return Fail(2, "--icmp-fingerprints " + error);
    }
    if (!decoders::ParseIcmpFingerprints(text, fingerprints, error)) {
      return Fail(2, "ICMP fingerprints: " + error);
    }
  }

  // Open the input before binding anything, so a missing file or interface fails fast.
  std::unique_ptr<PcapSource> pcap;  // live capture (and each file while it is opened)
  std::unique_ptr<PcapMerge> files;
  std::unique_ptr<LogSource> log;
  const bool live = !opt.interface.empty();
  auto open_file = [&](const std::string& path) -> bool {
    pcap = PcapSource::OpenFile(path, opt.bpf, error);
    if (!pcap) return false;
    if (!decoders::IsSupportedLinkType(pcap->link_type())) {
      error = path + ": unsupported link type " + std::to_string(pcap->link_type()) + " (" +
              (pcap_datalink_val_to_name(pcap->link_type())
                   ? pcap_datalink_val_to_name(pcap->link_type())
                   : "unknown") +
              ")";
      pcap.reset();
      return false;
    }
    return true;
  };
  for (const std::string& path : opt.read_files) {
    struct stat st{};
    if (path != "-" && ::stat(path.c_str(), &st) != 0) return Fail(3, path + ": no such file");
  }
  if (!opt.read_files.empty()) {
    // All open at once: their packets are merged in time order.
    std::vector<std::unique_ptr<PcapSource>> opened;
    for (const std::string& path : opt.read_files) {
      // An invalid BPF expression is a bad command line (2), not a start-up failure (3).
      if (!open_file(path)) return Fail(error.starts_with("invalid BPF") ? 2 : 3, error);
      opened.push_back(std::move(pcap));
    }
    files = std::make_unique<PcapMerge>(std::move(opened));
  } else if (live) {
    LiveOptions lo;
    lo.snaplen = opt.snaplen;
    lo.buffer_mb = opt.buffer_mb;
    pcap = PcapSource::OpenLive(opt.interface, opt.bpf, lo, error);
    if (!pcap) return Fail(error.starts_with("invalid BPF") ? 2 : 3, error);
    if (!decoders::IsSupportedLinkType(pcap->link_type())) {
      return Fail(3, "-i " + opt.interface + ": unsupported link type " +
                         std::to_string(pcap->link_type()));
    }
  }
  size_t next_log = 0;
  LogSourceOptions log_options;
  std::unique_ptr<PcapWriter> pcap_out;
  if (!opt.log_files.empty()) {
    if (!ParseLogFormat(opt.log_format, &log_options.format)) {
      return Fail(2, "--log-format: bad value " + opt.log_format);
    }
    log_options.year = opt.log_year;
    log_options.timezone = opt.log_timezone == "UTC" ? "" : opt.log_timezone;
    log_options.path = opt.log_files[next_log++];
    log = LogSource::Open(log_options, &error);
    if (!log) return Fail(3, error);
    if (!opt.write_pcap.empty()) {
      pcap_out = PcapWriter::Open(opt.write_pcap, &error);
      if (!pcap_out) return Fail(3, "--write-pcap " + error);
    }
  }

  // The replay buffer and its resend socket come first: the stream announces the endpoint.
  const uint64_t instance_id = NewInstanceId();
  std::unique_ptr<ReplayBuffer> replay;
  std::unique_ptr<ResendServer> resend;
  if (!opt.resend.empty()) {
    ReplayBufferOptions ro;
    ro.max_records = opt.replay_buffer;
    ro.spool_dir = opt.spool;
    ro.spool_max_bytes = opt.spool_mb << 20;
    replay = ReplayBuffer::Create(ro, error);
    if (!replay) return Fail(3, error);
    resend = ResendServer::Start(opt.resend, opt.sensor_id, instance_id, *replay, error);
    if (!resend) return Fail(3, error);
  }

  PublisherOptions po;
  po.endpoint = opt.publish;
  po.instance_id = instance_id;
  po.replay = replay.get();
  po.resend_endpoint = resend ? resend->endpoint() : std::string();
  po.jsonl_path = opt.jsonl;
  po.sensor_id = opt.sensor_id;
  po.sensor_start_ns = WallNowNs();
  po.lossless = !live;
  po.batch_records = opt.batch_records;
  po.curve_keys_dir = opt.curve_keys_dir;
  auto publisher = Publisher::Create(po, error);
  if (!publisher) return Fail(3, error);

  PipelineConfig pc;
  pc.sensor_id = opt.sensor_id;
  pc.stats_interval_ns = uint64_t{opt.stats_interval_s} * 1'000'000'000ull;
  pc.community_id_seed = opt.community_id_seed;
  pc.table.capacity_log2 = Log2Ceil(opt.max_flows);
  pc.table.advise_memory = &AdviseHugePages;
  if (pc.table.capacity_log2 < 3) pc.table.capacity_log2 = 3;
  pc.table.hash_seed = opt.hash_seed ? opt.hash_seed : std::random_device{}() * 0x9e3779b97f4a7c15ull;
  const uint64_t s = 1'000'000'000ull;
  pc.table.timeouts.tcp_new_ns = opt.idle.tcp_new_s * s;
  pc.table.timeouts.tcp_established_ns = opt.idle.tcp_established_s * s;
  pc.table.timeouts.tcp_closed_ns = opt.idle.tcp_closed_s * s;
  pc.table.timeouts.udp_ns = opt.idle.udp_s * s;
  pc.table.timeouts.icmp_ns = opt.idle.icmp_s * s;
  pc.table.timeouts.other_ns = opt.idle.other_s * s;
  pc.table.timeouts.active_ns = opt.active_timeout_s * s;
  pc.app.enabled = opt.app_decoders;
  pc.app.first_bytes = static_cast<uint16_t>(opt.first_bytes);
  pc.signatures = &signatures;
  pc.icmp_fingerprints = &fingerprints;
  std::unique_ptr<Pipeline> pipeline;
  try {
    pipeline = std::make_unique<Pipeline>(pc, *publisher);
  } catch (const std::exception& e) {
    return Fail(2, std::string("flow table: ") + e.what());
  }
  // Everything is open (capture, files, sockets): no privilege is needed from here on. Before
  // the "flow table" line, which says the sensor is capturing.
  if (!DropPrivileges(opt.run_as_user, error)) return Fail(3, error);
  if (!opt.quiet) {
    std::fprintf(stderr,
                 "tapwatch-sensor: flow table %u slots x %zu bytes (in use from %u, doubling on "
                 "demand); memory cap %.1f MiB (with application state)\n",
                 pipeline->table().capacity(), sizeof(flowtable::Flow),
                 pipeline->table().active_capacity(),
                 static_cast<double>(pipeline->memory_bytes()) / (1024.0 * 1024.0));
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  // File replay waits (bounded) for its subscribers so the first records are not lost to the
  // ZeroMQ slow-joiner problem; live capture cannot wait.
  if (!opt.publish.empty() && !live && opt.wait_subscribers > 0) {
    const int seen = publisher->WaitForSubscribers(opt.wait_subscribers,
                                                   static_cast<int>(opt.wait_timeout_s) * 1000);
    if (seen < opt.wait_subscribers && !opt.quiet) {
      std::fprintf(stderr, "tapwatch-sensor: %d of %d subscribers after %u s; going on\n", seen,
                   opt.wait_subscribers, opt.wait_timeout_s);
    }
  }

  int exit_code = 0;
  std::unique_ptr<LiveDrops> drops;
  if (live) {
    drops = std::make_unique<LiveDrops>(*pcap);
    pipeline->set_drop_source(drops.get());
    g_live_source.store(pcap.get());
  }
  // -c COUNT: the input ends after COUNT packets, as if the capture stopped there.
  const auto count_reached = [&] {
    return opt.packet_count != 0 && pipeline->totals().packets >= opt.packet_count;
  };
  const auto t0 = std::chrono::steady_clock::now();
  if (files) {
    RawPacket raw;
    int link = 0;
    while (!g_stop.load(std::memory_order_relaxed)) {
      const PcapMerge::Result r = files->Next(raw, link);
      if (r == PcapMerge::Result::kPacket) {
        pipeline->OnFrame(static_cast<decoders::LinkType>(link), raw.ts_ns, raw.wire_len,
                          raw.data, raw.cap_len);
        if (count_reached()) break;
        continue;
      }
      if (r == PcapMerge::Result::kEnd) break;
      // A damaged file ends at the damage; the others go on.
      std::fprintf(stderr, "tapwatch-sensor: %s\n", files->error().c_str());
      exit_code = 1;
    }
  } else if (pcap) {
    RawPacket raw;
    while (!g_stop.load(std::memory_order_relaxed)) {
      const auto link = static_cast<decoders::LinkType>(pcap->link_type());
      const PcapSource::Result r = pcap->Next(raw);
      if (r == PcapSource::Result::kPacket) {
        pipeline->OnFrame(link, raw.ts_ns, raw.wire_len, raw.data, raw.cap_len);
        if (count_reached()) break;
        continue;
      }
      if (r == PcapSource::Result::kTimeout) {
        pipeline->OnIdle(WallNowNs());
        continue;
      }
      if (r == PcapSource::Result::kError) {
        std::fprintf(stderr, "tapwatch-sensor: %s\n", pcap->error().c_str());
        exit_code = 1;
      }
      break;
    }
    g_live_source.store(nullptr);
  } else if (log) {
    // A regular file is parsed a chunk ahead on a second thread (log_prefetcher.h); standard
    // input is read line by line, so `tail -F` lines reach the flows as they arrive.
    std::unique_ptr<LogPrefetcher> ahead;
    // False, with the reason printed, when the reader thread cannot start (no threads left).
    const auto read_ahead = [&]() -> bool {
      if (log_options.path == "-") return true;
      try {
        ahead = std::make_unique<LogPrefetcher>(std::move(log));
        return true;
      } catch (const std::system_error& e) {
        std::fprintf(stderr, "tapwatch-sensor: %s: cannot start the log reader thread: %s\n",
                     log_options.path.c_str(), e.what());
        exit_code = 1;
        return false;
      }
    };
    const bool started = read_ahead();
    // Stats records carry cumulative line counts over every file read so far.
    LineCounts done_files;  // files finished
    LineCounts now;         // done_files + the current file, up to the last line processed
    LogFrame direct;
    while (started && !g_stop.load(std::memory_order_relaxed)) {
      const LogFrame* frame = nullptr;
      if (ahead) {
        if (const PrefetchedFrame* f = ahead->Next()) {
          frame = &f->frame;
          now = done_files.Plus({f->packet_lines, f->other_lines, f->malformed_lines});
        }
      } else if (log->Next(direct)) {
        frame = &direct;
        now = done_files.Plus(LineCountsOf(log->counters()));
      }
      if (frame == nullptr) {
        const LogSource& source = ahead ? ahead->source() : *log;
        const LogCounters& c = source.counters();
        done_files = done_files.Plus(LineCountsOf(c));
        now = done_files;
        // Even with -q: every time in the records depends on it.
        if (c.guessed_year != 0) {
          std::fprintf(stderr,
                       "tapwatch-sensor: warning: %s: no --year: syslog timestamps without a "
                       "year were dated from %d on, guessed from %s; give --year if wrong\n",
                       log_options.path.c_str(), c.guessed_year,
                       log_options.path == "-" ? "today's date" : "the file's modification time");
        }
        if (!opt.quiet) {
          std::fprintf(stderr,
                       "tapwatch-sensor: %s: %llu lines: %llu packets, %llu other, %llu "
                       "malformed, %llu continuation\n",
                       log_options.path.c_str(), (unsigned long long)c.lines,
                       (unsigned long long)c.packet, (unsigned long long)c.non_packet,
                       (unsigned long long)c.malformed, (unsigned long long)c.continuation);
          for (const std::string& e : c.first_errors) {
            std::fprintf(stderr, "tapwatch-sensor: %s: %s\n", log_options.path.c_str(), e.c_str());
          }
        }
        // Damaged, or no packet line at all: said even with -q, after the summary.
        if (const std::string problem = source.EndProblem(log_options.path); !problem.empty()) {
          std::fprintf(stderr, "tapwatch-sensor: %s\n", problem.c_str());
          exit_code = 1;
        }
        ahead.reset();
        log.reset();
        if (next_log >= opt.log_files.size()) break;
        log_options.path = opt.log_files[next_log++];
        log = LogSource::Open(log_options, &error);
        if (!log) {
          std::fprintf(stderr, "tapwatch-sensor: %s\n", error.c_str());
          exit_code = 1;
          break;
        }
        if (!read_ahead()) break;
        continue;
      }
      if (pcap_out) pcap_out->Write(*frame);
      pipeline->OnFrame(decoders::LinkType::kEthernet, frame->ts_ns, frame->wire_len,
                        frame->bytes.data(), frame->cap_len, frame->label, frame->in_iface,
                        frame->out_iface);
      // After OnFrame: a stats record it emitted closes the previous interval, which must not
      // count this line yet.
      pipeline->SetLogLineCounts(now.packet, now.other, now.malformed);
      if (count_reached()) break;
    }
    // Interrupted: the lines processed so far (a prefetcher has read further, unprocessed).
    pipeline->SetLogLineCounts(now.packet, now.other, now.malformed);
    if (pcap_out && !pcap_out->Close(&error)) {
      std::fprintf(stderr, "tapwatch-sensor: --write-pcap %s\n", error.c_str());
      exit_code = 1;
    }
  }
  pipeline->Finish();
  publisher->Close();
  if (resend) {
    // A collector asks for what it missed when its writer gets to the gap, which may be well
    // after it received the last records: answer until no request came for --wait-timeout
    // (at least kResendQuiet), for at most kResendLingerLimit.
    const auto quiet =
        std::max(kResendQuiet, std::chrono::milliseconds(opt.wait_timeout_s * 1000ull));
    resend->Linger(quiet, std::max(quiet, kResendLingerLimit));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!opt.quiet) {
    const PacketCounters& t = pipeline->totals();
    const auto& fs = pipeline->table().stats();
    std::fprintf(stderr,
                 "tapwatch-sensor: %llu packets (%llu decoded, %llu unsupported incl. %llu "
                 "non-IP, %llu malformed) in %.2f s; %llu flows, %llu records (%llu evicted), "
                 "%llu records sent, %llu send drops; flow table peak %u slots in use\n",
                 (unsigned long long)t.packets, (unsigned long long)t.decoded,
                 (unsigned long long)t.unsupported, (unsigned long long)t.non_ip,
                 (unsigned long long)t.malformed, secs, (unsigned long long)fs.created,
                 (unsigned long long)pipeline->records_exported(), (unsigned long long)fs.evicted,
                 (unsigned long long)publisher->sent(), (unsigned long long)publisher->send_drops(),
                 pipeline->table().active_capacity());
    if (publisher->curve_refused() > 0) {
      std::fprintf(stderr, "tapwatch-sensor: %llu subscriber connections refused (CURVE key not "
                   "authorized)\n", (unsigned long long)publisher->curve_refused());
    }
    if (replay) {
      const ResendCounters& c = replay->counters();
      std::fprintf(stderr,
                   "tapwatch-sensor: resend %s: %llu records asked for, %llu sent again, %llu "
                   "lost (had left the buffer)\n",
                   resend->endpoint().c_str(), (unsigned long long)c.requested.load(),
                   (unsigned long long)c.sent.load(), (unsigned long long)c.unavailable.load());
    }
    for (size_t i = 1; i < t.anomalies.size(); ++i) {
      if (t.anomalies[i] == 0) continue;
      std::fprintf(stderr, "tapwatch-sensor:   anomaly %s: %llu\n",
                   std::string(decoders::AnomalyName(static_cast<decoders::Anomaly>(i))).c_str(),
                   (unsigned long long)t.anomalies[i]);
    }
  }
  return exit_code;
}
