#!/usr/bin/env bash
# What the replay buffer costs: replay-to-store throughput of N generated single-packet UDP flows
# (tests/integration/gen_udp_flows.cc), tapwatch-sensor -> ZeroMQ -> tapwatch-collector ->
# SQLite, timed from the sensor's start to the collector's exit (every flow committed, indexes
# built; the sensor's linger for late resend requests is not counted), in one run:
#   - without a buffer (the baseline),
#   - --resend with the memory buffer (default --replay-buffer 131072),
#   - --resend --spool DIR (memory buffer of 65536, the rest written to files),
# runs interleaved (RUNS rounds, default 3; medians), ratios against the baseline, and the peak
# RSS of the sensor. The machine is shared: read the ratios, not the absolute rates.
# Usage: bench/resend_bench.sh [BUILD_DIR] [FLOWS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
flows=${2:-500000}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/tapwatch-resend-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
sensor=$build/sensor/tapwatch-sensor
collector=$build/collector/tapwatch-collector
gen=$build/tests/integration/tw_gen_udp_flows
for tool in /usr/bin/time "$sensor" "$collector" "$gen" python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (build with tests)"; exit 2; }
done
capture=$work/flows.pcap
"$gen" "$capture" "$flows" 100 >/dev/null
echo "capture: $flows single-packet UDP flows, $(du -h "$capture" | cut -f1); $runs rounds"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# one NAME SENSOR_ARGS...: one replay into a new store; appends "wall_ms rss_kb" to $work/NAME
one() {
  local name=$1; shift
  local endpoint="tcp://127.0.0.1:$(port)"
  rm -f "$work"/store.db*
  rm -rf "$work/spool.d" && mkdir "$work/spool.d"
  "$collector" --connect "$endpoint" --db "$work/store.db" --exit-after-final 1 --quiet &
  local cpid=$!
  local t0; t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$sensor" -r "$capture" --publish "$endpoint" -q \
    --idle-timeout udp=5 --max-flows 262144 "$@" >/dev/null &
  local spid=$!
  # Replay to store: until the collector has committed the last record and exits (a sensor
  # with --resend then still answers requests for a while; that is not throughput).
  wait "$cpid"
  local t1; t1=$(date +%s%N)
  wait "$spid"
  local rows; rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM flows').fetchone()[0])" "$work/store.db")
  [ "$rows" -eq "$flows" ] || { echo "bench: $name stored $rows flows of $flows"; exit 1; }
  echo "$(( (t1 - t0) / 1000000 )) $(cat "$work/rss")" >>"$work/$name"
}

for ((r = 0; r < runs; r++)); do
  one baseline
  one memory --resend "tcp://127.0.0.1:$(port)"
  one spool --resend "tcp://127.0.0.1:$(port)" --replay-buffer 65536 --spool "$work/spool.d"
done

python3 - "$work" "$flows" <<'EOF'
import statistics, sys
work, flows = sys.argv[1], int(sys.argv[2])
def load(name):
    rows = [line.split() for line in open("%s/%s" % (work, name))]
    return statistics.median(int(w) / 1000 for w, _ in rows), max(int(m) for _, m in rows)
base, _ = load("baseline")
print("%-34s %9s %12s %7s %12s" % ("", "wall s", "flows/s", "ratio", "sensor RSS"))
for name, what in (("baseline", "no buffer"), ("memory", "--resend (memory, 131072 records)"),
                   ("spool", "--resend --spool (65536 + files)")):
    wall, rss = load(name)
    print("%-34s %9.2f %12.0f %7.2f %9.0f MiB" % (what, wall, flows / wall, wall / base,
                                                 rss / 1024))
EOF
