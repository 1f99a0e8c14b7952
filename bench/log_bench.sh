#!/usr/bin/env bash
# Log source benchmark (issue 5): a big log made by repeating the SOTM30 head (default 1M lines),
# parsed into frames by log_bench, against `grep -c .` over the same file as the floor.
# Prints both rates and their ratio. Build log_bench in Release first, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target log_bench
# When tapwatch-sensor is built (or SENSOR=path), also times the whole path the issue asks for:
# lines parsed into flows (tapwatch-sensor --log BIG: decode, flow table, records published).
# Usage: bench/log_bench.sh [BUILD_DIR] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
lines=${2:-1000000}
runs=${RUNS:-3}
shared=${TAPWATCH_SHARED:-$(pwd)/../shared}
src=$shared/logs/Tetoronie-Scripting-and-Automation__iptables.log
[ -r "$src" ] || { echo "log_bench: $src not found (set TAPWATCH_SHARED)"; exit 2; }
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
cat "$big" > /dev/null  # page cache warm for both

best_grep=
best_grep_cpu=
for _ in $(seq "$runs"); do
  t=$( { /usr/bin/time -f '%e %U %S' env LC_ALL=C grep -c . "$big" > "$work/n"; } 2>&1 )
  s=$(echo "$t" | awk '{print $1}')
  c=$(echo "$t" | awk '{print $2 + $3}')
  if [ -z "$best_grep" ] || [ "$(echo "$s < $best_grep" | bc -l)" = 1 ]; then best_grep=$s; fi
  if [ -z "$best_grep_cpu" ] || [ "$(echo "$c < $best_grep_cpu" | bc -l)" = 1 ]; then
    best_grep_cpu=$c
  fi
done
n=$(cat "$work/n")
# /usr/bin/time has 10 ms resolution: floor both at 0.01 s.
[ "$(echo "$best_grep < 0.01" | bc -l)" = 1 ] && best_grep=0.01
[ "$(echo "$best_grep_cpu < 0.01" | bc -l)" = 1 ] && best_grep_cpu=0.01
grep_rate=$(echo "$n / $best_grep" | bc -l)
grep_cpu_rate=$(echo "$n / $best_grep_cpu" | bc -l)
printf 'grep -c . : %d lines in %.2f s = %.0f lines/s wall, %.0f lines/s of CPU (floor)\n' \
  "$n" "$best_grep" "$grep_rate" "$grep_cpu_rate"

out=$("$build/bench/log_bench" "$big" "$runs")
echo "$out"
ours=$(echo "$out" | sed -nE '1s/.*= ([0-9]+) lines\/s.*/\1/p')
ours_cpu=$(echo "$out" | sed -nE '2s/.*= ([0-9]+) lines\/s.*/\1/p')
printf 'ratio wall: grep is %.1fx faster than log_bench; ratio CPU: %.1fx\n' \
  "$(echo "$grep_rate / $ours" | bc -l)" "$(echo "$grep_cpu_rate / $ours_cpu" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall rates suffer under load)"
target=1000000
for what in wall:$ours cpu:$ours_cpu; do
  rate=${what#*:}
  if [ "$(echo "$rate >= $target" | bc -l)" = 1 ]; then verdict=met; else verdict="NOT met"; fi
  echo "target >= $target lines/s (${what%%:*}): $verdict"
done

sensor=${SENSOR:-$build/sensor/tapwatch-sensor}
if [ -x "$sensor" ]; then
  best_sensor=
  for _ in $(seq "$runs"); do
    # Records published on loopback with no subscriber (serialized, then dropped by ZeroMQ);
    # --jsonl is far slower (protobuf JSON printing) and not what a deployment runs.
    t=$( { /usr/bin/time -f '%e %U %S' "$sensor" -q --log "$big" --year 2004 \
           --publish tcp://127.0.0.1:${BENCH_PORT:-56998} --wait-subscribers 0 --hash-seed 1; } \
         2>&1 | tail -1 )
    s=$(echo "$t" | awk '{print $1}')
    c=$(echo "$t" | awk '{print $2 + $3}')
    if [ -z "$best_sensor" ] || [ "$(echo "$s < $best_sensor" | bc -l)" = 1 ]; then
      best_sensor=$s
      best_sensor_cpu=$c
    fi
  done
  printf 'tapwatch-sensor --log (into flows): %.2f s wall = %.0f lines/s, %.2f s CPU = %.0f lines/s\n' \
    "$best_sensor" "$(echo "$lines / $best_sensor" | bc -l)" "$best_sensor_cpu" \
    "$(echo "$lines / $best_sensor_cpu" | bc -l)"
else
  echo "tapwatch-sensor not built ($sensor): flows path not timed"
fi
