#include "sensor/options.h"

#include <unistd.h>

#include <charconv>
#include <string_view>

#include "sensor/valid_utf8.h"

namespace tapwatch::sensor {
namespace {

bool ParseUint(std::string_view text, uint64_t max, uint64_t& out) {
  if (text.empty()) return false;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return false;
  out = v;
  return true;
}

// "--idle-timeout tcp=300,udp=60" or a single number applied to every protocol.
bool ParseIdleTimeouts(std::string_view text, IdleTimeouts& t, std::string& error) {
  uint64_t all = 0;
  if (ParseUint(text, UINT32_MAX, all)) {
    t = IdleTimeouts{static_cast<uint32_t>(all), static_cast<uint32_t>(all),
                     static_cast<uint32_t>(all), static_cast<uint32_t>(all),
                     static_cast<uint32_t>(all), static_cast<uint32_t>(all)};
    return true;
  }
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    uint64_t v = 0;
    if (eq == std::string_view::npos || !ParseUint(item.substr(eq + 1), UINT32_MAX, v)) {
      error = "--idle-timeout: expected SECONDS or NAME=SECONDS[,...], got '" + std::string(item) +
              "'";
      return false;
    }
    const std::string_view name = item.substr(0, eq);
    const auto s = static_cast<uint32_t>(v);
    if (name == "tcp") {
      t.tcp_established_s = s;
    } else if (name == "tcp-new") {
      t.tcp_new_s = s;
    } else if (name == "tcp-closed") {
      t.tcp_closed_s = s;
    } else if (name == "udp") {
      t.udp_s = s;
    } else if (name == "icmp") {
      t.icmp_s = s;
    } else if (name == "other") {
      t.other_s = s;
    } else {
      error = "--idle-timeout: unknown protocol '" + std::string(name) +
              "' (tcp, tcp-new, tcp-closed, udp, icmp, other)";
      return false;
    }
  }
  return true;
}

}  // namespace

const char* SensorUsage() {
  return "usage: tapwatch-sensor (-r FILE [-r FILE...] | -i IFACE | --log FILE) [BPF expression...]\n"
         "  -r FILE                 read a pcap or pcapng file (- = stdin; pipes and FIFOs too;\n"
         "                          repeatable: merged by packet time)\n"
         "  -i IFACE                capture live on IFACE\n"
         "  --log FILE              read a firewall log (netfilter LOG/UFW, ipchains; .gz; - = stdin)\n"
         "  --log-format F          auto | netfilter | ipchains (default auto)\n"
         "  --year YYYY             year of syslog timestamps (default: guessed from the file's date,\n"
         "                          with a warning)\n"
         "  --timezone TZ           time zone of syslog timestamps (default UTC)\n"
         "  --write-pcap FILE       also write the packets reconstructed from a log as a pcap\n"
         "  --publish ENDPOINT      ZeroMQ PUB endpoint (default tcp://127.0.0.1:5556)\n"
         "  --batch N               flow records per ZeroMQ message, topic batch.flow\n"
         "                          (default 64; 1 = one per message, topic flow)\n"
         "  --jsonl FILE|-          write records as JSON lines (alone: nothing is published)\n"
         "  --resend ENDPOINT       keep the latest records and send them again to a collector\n"
         "                          that asks (ZeroMQ ROUTER, announced in the stream)\n"
         "  --replay-buffer N       records kept in memory for --resend (default 131072)\n"
         "  --spool DIR             records leaving that memory go on to files in DIR\n"
         "  --spool-mb N            at most N MiB of files in the spool (default 1024)\n"
         "  --sensor-id NAME        sensor name in every record (default: host name)\n"
         "  --idle-timeout T        SECONDS, or tcp=S,tcp-new=S,tcp-closed=S,udp=S,icmp=S,other=S\n"
         "  --active-timeout S      interim records for flows longer than S seconds (default 300)\n"
         "  --max-flows N           flow table capacity, rounded up to a power of two (default 262144)\n"
         "  --stats-interval S      stats record every S seconds of packet time (default 60)\n"
         "  --wait-subscribers N    file replay: wait (bounded) for N subscribers (default 1; 0 = no wait)\n"
         "  --wait-timeout S        how long to wait for subscribers (default 10)\n"
         "  --first-bytes N         payload bytes kept per direction (default 64; 0 disables)\n"
         "  --no-app                disable application decoders (SMB, NetBIOS, signatures)\n"
         "  --signatures FILE       payload signature table (default: built in)\n"
         "  --icmp-fingerprints FILE  ICMP fingerprint table (default: built in)\n"
         "  --hash-seed N           fixed flow-hash seed (default: random)\n"
         "  --community-id-seed N   seed of every record's Community ID v1, 0-65535 (default 0)\n"
         "  --snaplen N             live capture snap length (default 2048)\n"
         "  --buffer-mb N           live capture ring buffer in MiB (default 64)\n"
         "  -q, --quiet             no summary on stderr\n";
}

std::optional<SensorOptions> ParseSensorOptions(int argc, char** argv, std::string& error,
                                                bool& help) {
  SensorOptions o;
  help = false;
  std::string bpf;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) {
        error = std::string(arg) + ": missing value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    auto number = [&](uint64_t max, uint64_t& out) -> bool {
      std::string text;
      if (!value(text)) return false;
      if (!ParseUint(text, max, out)) {
        error = std::string(arg) + ": expected a number up to " + std::to_string(max) + ", got '" +
                text + "'";
        return false;
      }
      return true;
    };
    uint64_t n = 0;
    std::string text;
    if (arg == "-h" || arg == "--help") {
      help = true;
      return o;
    } else if (arg == "-r") {
      if (!value(text)) return std::nullopt;
      o.read_files.push_back(text);
    } else if (arg == "-i") {
      if (!value(o.interface)) return std::nullopt;
    } else if (arg == "--log") {
      if (!value(text)) return std::nullopt;
      o.log_files.push_back(text);
    } else if (arg == "--log-format") {
      if (!value(o.log_format)) return std::nullopt;
      if (o.log_format != "auto" && o.log_format != "netfilter" && o.log_format != "ipchains") {
        error = "--log-format: expected auto, netfilter or ipchains, got '" + o.log_format + "'";
        return std::nullopt;
      }
    } else if (arg == "--year") {
      if (!number(9999, n)) return std::nullopt;
      if (n < 1970) {
        error = "--year: expected a year from 1970, got " + std::to_string(n);
        return std::nullopt;
      }
      o.log_year = static_cast<int>(n);
    } else if (arg == "--timezone") {
      if (!value(o.log_timezone)) return std::nullopt;
    } else if (arg == "--write-pcap") {
      if (!value(o.write_pcap)) return std::nullopt;
    } else if (arg == "--publish") {
      if (!value(o.publish)) return std::nullopt;
      o.publish_given = true;
    } else if (arg == "--jsonl") {
      if (!value(o.jsonl)) return std::nullopt;
    } else if (arg == "--resend") {
      if (!value(o.resend)) return std::nullopt;
    } else if (arg == "--replay-buffer") {
      if (!number(uint64_t{1} << 32, n)) return std::nullopt;
      if (n == 0) {
        error = "--replay-buffer: at least 1 record";
        return std::nullopt;
      }
      o.replay_buffer = n;
    } else if (arg == "--spool") {
      if (!value(o.spool)) return std::nullopt;
    } else if (arg == "--spool-mb") {
      if (!number(uint64_t{1} << 24, n)) return std::nullopt;
      if (n == 0) {
        error = "--spool-mb: at least 1 MiB";
        return std::nullopt;
      }
      o.spool_mb = n;
    } else if (arg == "--sensor-id") {
      if (!value(o.sensor_id)) return std::nullopt;
    } else if (arg == "--idle-timeout") {
      if (!value(text) || !ParseIdleTimeouts(text, o.idle, error)) return std::nullopt;
    } else if (arg == "--active-timeout") {
      if (!number(86400 * 365, n)) return std::nullopt;
      o.active_timeout_s = static_cast<uint32_t>(n);
    } else if (arg == "--max-flows") {
      if (!number(uint64_t{1} << 28, n)) return std::nullopt;
      if (n < 64) {
        error = "--max-flows: at least 64, got " + std::to_string(n);
        return std::nullopt;
      }
      o.max_flows = n;
    } else if (arg == "--stats-interval") {
      if (!number(86400 * 365, n)) return std::nullopt;
      if (n == 0) {
        error = "--stats-interval: must be at least 1 second";
        return std::nullopt;
      }
      o.stats_interval_s = static_cast<uint32_t>(n);
    } else if (arg == "--wait-subscribers") {
      if (!number(1000, n)) return std::nullopt;
      o.wait_subscribers = static_cast<int>(n);
    } else if (arg == "--wait-timeout") {
      if (!number(3600, n)) return std::nullopt;
      o.wait_timeout_s = static_cast<uint32_t>(n);
    } else if (arg == "--batch") {
      if (!number(4096, n)) return std::nullopt;
      if (n == 0) {
        error = "--batch: at least 1 record per message";
        return std::nullopt;
      }
      o.batch_records = static_cast<int>(n);
    } else if (arg == "--first-bytes") {
      if (!number(1024, n)) return std::nullopt;
      o.first_bytes = static_cast<uint32_t>(n);
    } else if (arg == "--no-app") {
      o.app_decoders = false;
    } else if (arg == "--signatures") {
      if (!value(o.signatures_file)) return std::nullopt;
    } else if (arg == "--icmp-fingerprints") {
      if (!value(o.icmp_fingerprints_file)) return std::nullopt;
    } else if (arg == "--hash-seed") {
      if (!number(UINT64_MAX, n)) return std::nullopt;
      o.hash_seed = n;
    } else if (arg == "--community-id-seed") {
      if (!number(UINT16_MAX, n)) return std::nullopt;
      o.community_id_seed = static_cast<uint16_t>(n);
    } else if (arg == "--snaplen") {
      if (!number(262144, n)) return std::nullopt;
      o.snaplen = static_cast<uint32_t>(n);
    } else if (arg == "--buffer-mb") {
      if (!number(4096, n)) return std::nullopt;
      o.buffer_mb = static_cast<uint32_t>(n);
    } else if (arg == "-q" || arg == "--quiet") {
      o.quiet = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      error = "unknown option '" + std::string(arg) + "' (see --help)";
      return std::nullopt;
    } else {
      if (!bpf.empty()) bpf += ' ';
      bpf += arg;
    }
  }
  o.bpf = bpf;
  const int sources = (o.read_files.empty() ? 0 : 1) + (o.interface.empty() ? 0 : 1) +
                      (o.log_files.empty() ? 0 : 1);
  if (sources == 0) {
    error = "no input: give -r FILE, -i IFACE or --log FILE (see --help)";
    return std::nullopt;
  }
  if (sources > 1) {
    error = "give only one kind of input: -r, -i or --log";
    return std::nullopt;
  }
  if (!o.log_files.empty() && !o.bpf.empty()) {
    error = "a BPF expression applies to -r and -i only, not to --log";
    return std::nullopt;
  }
  if (!o.write_pcap.empty() && o.log_files.empty()) {
    error = "--write-pcap goes with --log";
    return std::nullopt;
  }
  if (!o.spool.empty() && o.resend.empty()) {
    error = "--spool goes with --resend ENDPOINT (nothing else reads the spool)";
    return std::nullopt;
  }
  // --jsonl alone publishes nothing; --publish (or neither) publishes.
  if (!o.publish_given && o.jsonl.empty()) o.publish = "tcp://127.0.0.1:5556";
  if (!o.resend.empty() && o.publish.empty()) {
    error = "--resend goes with a ZeroMQ stream (--publish)";
    return std::nullopt;
  }
  // The id goes into every record and envelope: a string field, so valid UTF-8.
  o.sensor_id = ValidUtf8(o.sensor_id);
  if (o.sensor_id.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
      o.sensor_id = host;
    } else {
      o.sensor_id = "sensor";
    }
  }
  return o;
}

}  // namespace tapwatch::sensor
