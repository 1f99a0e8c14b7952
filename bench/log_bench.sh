#!/usr/bin/env bash
# Log benchmark: lines per second, against `grep -c .` over the same file as the floor.
# Input: a big log made by repeating the SOTM30 head (default 1M lines), time shifted forward.
# Prints, in one run, each with its ratio to grep (wall and CPU):
#   1. grep -c .                                  the floor: read the file, find the newlines
#   2. log_bench                                  lines parsed into frames (LogSource only)
#   3. tapwatch-sensor --log --jsonl /dev/null    lines into flows (decoder, flow table), records
#                                                 printed as JSON
#   4. tapwatch-sensor --log --publish            the same, records published over ZeroMQ to a
#                                                 counting subscriber (bench/zmq_count_sub)
# Times are medians of RUNS runs (default 3) of whole processes (/usr/bin/time: wall, user+sys);
# the subscriber's own CPU is not counted in 4. The machine is shared: CPU rates are the figures
# to compare, wall rates drop with other load (the load average is printed).
# PERF=1 also profiles run 4 (perf record) and splits its samples into parse / decode and flow
# table / record export (main thread and ZeroMQ I/O thread) / kernel and other.
# Build in release first, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-rel --target log_bench tapwatch-sensor zmq_count_sub
# Usage: bench/log_bench.sh [BUILD_DIR] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
lines=${2:-1000000}
runs=${RUNS:-3}
shared=${TAPWATCH_SHARED:-$(pwd)/../shared}
src=$shared/logs/Tetoronie-Scripting-and-Automation__iptables.log
[ -r "$src" ] || { echo "log_bench: $src not found (set TAPWATCH_SHARED)"; exit 2; }
[ -x "$build/bench/log_bench" ] || { echo "log_bench: $build/bench/log_bench not built"; exit 2; }
sensor=${SENSOR:-$build/sensor/tapwatch-sensor}
sub_bin=$build/bench/zmq_count_sub
work=$(mktemp -d /tmp/tapwatch-logbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
big=$work/big.log
# Each repetition of the 500-line head (Feb 1 00:00 - 01:08) is shifted 70 minutes later, so
# time moves forward as in a real month of logs (2004 calendar; 1M lines reach mid May).
awk -v n="$lines" '
  BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ");
          split("31 29 31 30 31 30 31 31 30 31 30 31", mdays, " ");
          for (m = 1; m <= 12; m++) idx[mon[m]] = m }
  { a[NR] = $0 }
  END {
    for (i = 0; i < n; i++) {
      line = a[i % NR + 1]; rep = int(i / NR)
      split(substr(line, 8, 8), hms, ":")
      day = substr(line, 5, 2) + 0; m = idx[substr(line, 1, 3)]
      t = (day - 1) * 86400 + hms[1] * 3600 + hms[2] * 60 + hms[3] + rep * 4200
      d = int(t / 86400); t -= d * 86400; d++
      while (d > mdays[m]) { d -= mdays[m]; m++ }
      printf "%s %2d %02d:%02d:%02d%s\n", mon[m], d, int(t / 3600), int(t % 3600 / 60), t % 60,
             substr(line, 16)
    }
  }' "$src" > "$big"
echo "input: $lines lines, $(du -h "$big" | cut -f1) (SOTM30 head repeated, time shifted forward)"
echo "runs: $runs per measurement, medians; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" \
  "on $(nproc) cores"
cat "$big" > /dev/null  # page cache warm for all

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# measure NAME CMD...: runs CMD $runs times; sets wall_s[NAME], cpu_s[NAME] (medians). A command
# named "sensor_publish" gets a fresh subscriber each run.
declare -A wall_s cpu_s
median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
measure() {
  local name=$1
  shift
  local ws=() cs=()
  for _ in $(seq "$runs"); do
    local sub_pid= args=("$@")
    if [ "$name" = sensor_publish ]; then
      local port
      port=$(free_port)
      "$sub_bin" "tcp://127.0.0.1:$port" > "$work/sub.out" &
      sub_pid=$!
      args=("${args[@]/PORT/$port}")
    fi
    local t
    /usr/bin/time -o "$work/time" -f '%e %U %S' "${args[@]}" > "$work/out" 2> "$work/err" || {
      echo "log_bench: ${args[*]} failed:"; tail -5 "$work/err"; exit 1; }
    t=$(tail -1 "$work/time")
    [ -z "$sub_pid" ] || wait "$sub_pid"
    ws+=("$(echo "$t" | awk '{print $1}')")
    cs+=("$(echo "$t" | awk '{print $2 + $3}')")
  done
  wall_s[$name]=$(printf '%s\n' "${ws[@]}" | median)
  cpu_s[$name]=$(printf '%s\n' "${cs[@]}" | median)
  # /usr/bin/time has 10 ms resolution: floor at 0.01 s.
  [ "$(echo "${wall_s[$name]} < 0.01" | bc -l)" = 1 ] && wall_s[$name]=0.01
  [ "$(echo "${cpu_s[$name]} < 0.01" | bc -l)" = 1 ] && cpu_s[$name]=0.01
  return 0
}

report() {  # report NAME LABEL
  local name=$1 label=$2
  local w=${wall_s[$name]} c=${cpu_s[$name]}
  local rw rc
  rw=$(echo "$lines / $w" | bc -l)
  rc=$(echo "$lines / $c" | bc -l)
  if [ "$name" = grep ]; then
    printf '%-44s %6.2f s wall = %9.0f lines/s   %6.2f s CPU = %9.0f lines/s\n' "$label" "$w" \
      "$rw" "$c" "$rc"
  else
    printf '%-44s %6.2f s wall = %9.0f lines/s   %6.2f s CPU = %9.0f lines/s   grep is %.1fx (wall), %.1fx (CPU) faster\n' \
      "$label" "$w" "$rw" "$c" "$rc" "$(echo "$w / ${wall_s[grep]}" | bc -l)" \
      "$(echo "$c / ${cpu_s[grep]}" | bc -l)"
  fi
}

measure grep env LC_ALL=C grep -c . "$big"
n=$(cat "$work/out")
[ "$n" = "$lines" ] || { echo "grep counted $n lines, expected $lines"; exit 1; }
report grep "1. grep -c . (floor)"

measure log_bench "$build/bench/log_bench" "$big" 1
grep -q "$lines lines ($lines packets" "$work/out" || { cat "$work/out"; exit 1; }
report log_bench "2. log_bench (lines -> frames)"

have_sensor=0
if [ -x "$sensor" ] && [ -x "$sub_bin" ]; then
  have_sensor=1
  measure sensor_jsonl "$sensor" -q --log "$big" --year 2004 --jsonl /dev/null --hash-seed 1
  report sensor_jsonl "3. sensor --log, --jsonl /dev/null (flows)"
  measure sensor_publish "$sensor" -q --log "$big" --year 2004 --publish tcp://127.0.0.1:PORT \
    --wait-subscribers 1 --hash-seed 1
  report sensor_publish "4. sensor --log, --publish to a subscriber"
  echo "   subscriber (last run): $(cat "$work/sub.out")"
  parse_share=$(echo "100 * ${cpu_s[log_bench]} / ${cpu_s[sensor_publish]}" | bc -l)
  printf '   parsing (log_bench CPU) is %.0f%% of run 4 CPU, %.0f%% of run 3 CPU\n' "$parse_share" \
    "$(echo "100 * ${cpu_s[log_bench]} / ${cpu_s[sensor_jsonl]}" | bc -l)"
else
  echo "tapwatch-sensor or zmq_count_sub not built in $build: flows not timed"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# The target: >= 1M lines/s, i.e. a month of SOTM30 logs in well under a second. The
# SOTM30 head logs 500 lines in 68 min 23 s; at that rate Feb 1 - Feb 27 14:40 (the first and last
# line of the SOTM30 month) is ~280k lines.
month=280000
target=1000000
echo
for name in log_bench sensor_publish sensor_jsonl; do
  [ -n "${cpu_s[$name]:-}" ] || continue
  for kind in wall cpu; do
    if [ "$kind" = wall ]; then s=${wall_s[$name]}; else s=${cpu_s[$name]}; fi
    rate=$(echo "$lines / $s" | bc -l)
    if [ "$(echo "$rate >= $target" | bc -l)" = 1 ]; then verdict=met; else verdict="NOT met"; fi
    printf 'target >= %d lines/s, %-14s %-4s: %-7s (a SOTM30 month, ~%dk lines: %.2f s)\n' \
      "$target" "$name" "$kind" "$verdict" "$((month / 1000))" "$(echo "$month / $rate" | bc -l)"
  done
done

if [ "${PERF:-0}" = 1 ] && [ "$have_sensor" = 1 ] && command -v perf > /dev/null; then
  port=$(free_port)
  "$sub_bin" "tcp://127.0.0.1:$port" > "$work/sub.out" &
  sub_pid=$!
  perf record -q -o "$work/perf.data" "$sensor" -q --log "$big" --year 2004 \
    --publish "tcp://127.0.0.1:$port" --wait-subscribers 1 --hash-seed 1 2> /dev/null
  wait "$sub_pid"
  echo
  echo "perf (self time of run 4 by thread and symbol: the sensor's main thread and its ZeroMQ"
  echo "I/O thread; export = building, serializing and publishing records, incl. the I/O thread):"
  perf report -i "$work/perf.data" --no-children --stdio --sort comm,dso,sym 2> /dev/null |
    awk '/^ +[0-9.]+%/ {
      pct = $1; sub("%", "", pct); line = $0
      if (line ~ /ZMQbg/)
        c = "record export: ZeroMQ I/O thread (user + kernel)"
      else if (line ~ /LogSource|log_|Log[A-Z]|ParsePacket|ParseIpv|ParseHex|ParseSyslog|SplitSyslog|FindInToken|ParseNetfilter|ParseIpchains|WriteIp|WriteL4|ParseClock|ToUtcNs|ParseProto|TcpFlagBit|memchr|_copy_to_iter|filemap_/)
        c = "parse: log lines -> frames (incl. read(2) copies)"
      else if (line ~ /flowtable::|decoders::|Pipeline::OnFrame|UpdateAppState|Decode/)
        c = "decode + flow table"
      else if (line ~ /proto::|protobuf|BuildFlowRecord|FillAppRecord|Format|Publisher|publisher|zmq|malloc|free|_int_|memmove|memcpy|cfree|Record|Envelope|Arena|json|Json/)
        c = "record export: main thread (build, serialize, queue)"
      else if (line ~ /\[k\]/)
        c = "kernel, main thread: wake-ups of the I/O thread, page faults, other"
      else
        c = "other"
      share[c] += pct
    }
    END { for (c in share) printf "   %5.1f%%  %s\n", share[c], c }' | sort -rn
fi
