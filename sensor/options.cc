#include "sensor/options.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <string_view>

#include "cli/command_line.h"
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
         "  Every option also takes --opt=VALUE; --config FILE reads option lines from a file.\n"
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
         "  --curve-keys DIR        encrypt the stream (CURVE) and admit only the collectors whose\n"
         "                          keys are in DIR/authorized/*.pub; this sensor's key: DIR/sensor.key\n"
         "  --jsonl FILE|-          write records as JSON lines (alone: nothing is published)\n"
         "  --resend ENDPOINT       keep the latest records and send them again to a collector\n"
         "                          that asks (ZeroMQ ROUTER, announced in the stream)\n"
         "  --replay-buffer N       records kept in memory for --resend (default 131072)\n"
         "  --spool DIR             records leaving that memory go on to files in DIR\n"
         "  --spool-mb N            at most N MiB of files in the spool (default 1024)\n"
         "  --sensor-id NAME        name in every record, at most 255 bytes (default: host name)\n"
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
         "  -c, --count N           stop after N packets\n"
         "  -F FILE                 read the BPF expression from FILE ('#' starts a comment)\n"
         "  -Z, --user USER         once the capture is open, run as USER with no capabilities\n"
         "                          (without -Z a non-root sensor drops its capabilities)\n"
         "  --config FILE           option lines (KEY = value) from the [sensor] and\n"
         "                          [sensor.IFACE] sections of FILE; the command line wins\n"
         "  -q, --quiet             no summary on stderr\n"
         "  --version               print the version and exit\n";
}

namespace {

// tcpdump -F: the whole file is the expression; '#' starts a comment to the end of the line.
std::string ReadBpfFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw cli::UsageError("-F " + path + ": cannot read");
  std::string bpf;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    if (!bpf.empty()) bpf += ' ';
    bpf += line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
  }
  return bpf;
}

}  // namespace

std::optional<SensorOptions> ParseSensorOptions(int argc, char** argv, std::string& error,
                                                bool& help, bool* version) {
  SensorOptions o;
  help = false;
  if (version != nullptr) *version = false;
  std::vector<std::string> words;
  std::string bpf_file;
  // [sensor] of a --config file, then [sensor.IFACE] for the interface captured.
  std::vector<std::string> sections{"sensor"};
  if (const std::string iface = cli::CommandLine::Peek(argc, argv, 1, "-i"); !iface.empty()) {
    sections.push_back("sensor." + iface);
  }
  cli::CommandLine cl(sections);
  cl.Texts("-r", o.read_files);
  cl.Text("-i", o.interface);
  cl.Texts("--log", o.log_files);
  cl.Custom("--log-format", [&](const std::string& v) {
    if (v != "auto" && v != "netfilter" && v != "ipchains") {
      throw cli::UsageError("--log-format: expected auto, netfilter or ipchains, got '" + v + "'");
    }
    o.log_format = v;
  });
  cl.Uint("--year", o.log_year, 9999, 1970);
  cl.Text("--timezone", o.log_timezone);
  cl.Text("--write-pcap", o.write_pcap);
  cl.Custom("--publish", [&](const std::string& v) {
    o.publish = v;
    o.publish_given = true;
  });
  cl.Text("--jsonl", o.jsonl);
  cl.Text("--resend", o.resend);
  cl.Uint("--replay-buffer", o.replay_buffer, uint64_t{1} << 32, 1);
  cl.Text("--spool", o.spool);
  cl.Uint("--spool-mb", o.spool_mb, uint64_t{1} << 24, 1);
  cl.Custom("--sensor-id", [&](const std::string& v) {
    // The collector refuses longer ids (collector/record_validation.h kMaxSensorIdBytes).
    if (v.size() > 255) throw cli::UsageError("--sensor-id: at most 255 bytes");
    o.sensor_id = v;
  });
  cl.CustomEach("--idle-timeout", [&](const std::string& v) {
    if (!ParseIdleTimeouts(v, o.idle, error)) throw cli::UsageError(error);
  });
  cl.Uint("--active-timeout", o.active_timeout_s, 86400 * 365);
  cl.Uint("--max-flows", o.max_flows, uint64_t{1} << 28, 64);
  cl.Uint("--stats-interval", o.stats_interval_s, 86400 * 365, 1);
  cl.Uint("--wait-subscribers", o.wait_subscribers, 1000);
  cl.Uint("--wait-timeout", o.wait_timeout_s, 3600);
  cl.Uint("--batch", o.batch_records, 4096, 1);
  cl.Uint("--first-bytes", o.first_bytes, 1024);
  cl.Flag("--no-app", o.app_decoders, false);
  cl.Text("--signatures", o.signatures_file);
  cl.Text("--icmp-fingerprints", o.icmp_fingerprints_file);
  cl.Uint("--hash-seed", o.hash_seed, UINT64_MAX);
  cl.Uint("--community-id-seed", o.community_id_seed, UINT16_MAX);
  cl.Uint("--snaplen", o.snaplen, 262144);
  cl.Uint("--buffer-mb", o.buffer_mb, 4096);
  cl.Uint("-c,--count", o.packet_count, UINT64_MAX, 1);
  cl.Text("-F", bpf_file);
  cl.Text("-Z,--user", o.run_as_user);
  cl.Text("--curve-keys", o.curve_keys_dir);
  cl.Flag("-q,--quiet", o.quiet);
  cl.Positionals(words);
  try {
    const cli::ParseOutcome outcome = cl.Parse(argc, argv, 1);
    help = outcome == cli::ParseOutcome::kHelp;
    if (version != nullptr) *version = outcome == cli::ParseOutcome::kVersion;
    if (help || outcome == cli::ParseOutcome::kVersion) return o;
    if (!bpf_file.empty()) {
      if (!words.empty()) {
        throw cli::UsageError("give the BPF expression with -F FILE or on the command line, "
                              "not both");
      }
      words.push_back(ReadBpfFile(bpf_file));
    }
  } catch (const cli::UsageError& e) {
    error = e.what();
    return std::nullopt;
  }
  std::string bpf;
  for (const std::string& w : words) {
    if (!bpf.empty()) bpf += ' ';
    bpf += w;
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
