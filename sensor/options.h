#pragma once
// Command-line options of tapwatch-sensor. Parsing is the only place that may fail loudly: one
// clear line naming the bad option, and a non-zero exit, never a core dump.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tapwatch::sensor {

struct IdleTimeouts {
  uint32_t tcp_new_s = 30;
  uint32_t tcp_established_s = 300;
  uint32_t tcp_closed_s = 10;
  uint32_t udp_s = 60;
  uint32_t icmp_s = 60;
  uint32_t other_s = 60;
};

struct SensorOptions {
  std::vector<std::string> read_files;  // -r FILE (repeatable: merged by packet time)
  std::string interface;                // -i IFACE
  std::vector<std::string> log_files;   // --log FILE (repeatable; "-" = stdin)
  std::string log_format = "auto";      // auto | netfilter | ipchains
  int log_year = 0;                     // 0 = infer from the file's date
  std::string log_timezone = "UTC";
  std::string write_pcap;               // --write-pcap FILE (log source)
  std::string bpf;                      // remaining positional words, joined
  std::string publish;                  // --publish ENDPOINT
  bool publish_given = false;
  int batch_records = 64;               // --batch N: flow records per ZeroMQ message
  std::string jsonl;                    // --jsonl FILE|-
  std::string resend;                   // --resend ENDPOINT: answer collectors' resend requests
  uint64_t replay_buffer = 131072;      // --replay-buffer N: records kept in memory for them
  std::string spool;                    // --spool DIR: records leaving memory go on to files
  uint64_t spool_mb = 1024;             // --spool-mb N: at most this much in DIR
  std::string sensor_id;
  IdleTimeouts idle;
  uint32_t active_timeout_s = 300;
  uint64_t max_flows = 1u << 18;        // rounded up to a power of two
  uint32_t stats_interval_s = 60;
  int wait_subscribers = 1;
  uint32_t wait_timeout_s = 10;
  uint32_t first_bytes = 64;
  bool app_decoders = true;
  uint64_t hash_seed = 0;               // 0 = random at start
  uint16_t community_id_seed = 0;       // Community ID v1 seed (the spec's default 0)
  std::string signatures_file;          // payload signature table (default: built in)
  std::string icmp_fingerprints_file;   // ICMP fingerprint table (default: built in)
  // Live snap length: the ring holds buffer / frame-slot bytes, and libpcap sizes a slot by the
  // snap length in immediate mode; 2048 keeps a whole Ethernet frame and ~30k slots in 64 MiB.
  uint32_t snaplen = 2048;
  uint32_t buffer_mb = 64;
  std::string curve_keys_dir;           // --curve-keys DIR: CURVE server keys, authorized/*.pub
  std::string run_as_user;              // -Z USER: switch to USER once the capture is open
  uint64_t packet_count = 0;             // -c COUNT: stop after COUNT packets (0 = all)
  bool quiet = false;
};

/// Parses argv (and the [sensor] sections of --config files). On error returns nullopt and sets
/// `error` to one line naming the problem. `help` is set when -h/--help was given (the caller
/// prints Usage() and exits 0), `*version` when --version was.
std::optional<SensorOptions> ParseSensorOptions(int argc, char** argv, std::string& error,
                                                bool& help, bool* version = nullptr);

/// The usage text.
const char* SensorUsage();

}  // namespace tapwatch::sensor
