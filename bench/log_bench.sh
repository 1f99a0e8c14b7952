#!/usr/bin/env bash
# Log source benchmark (issue 5): a big log made by repeating the SOTM30 head (default 1M lines),
# parsed into frames by log_bench, against `grep -c .` over the same file as the floor.
# Prints both rates and their ratio. Build log_bench in Release first, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target log_bench
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
awk -v n="$lines" '{a[NR]=$0} END{for(i=0;i<n;i++) print a[i%NR+1]}' "$src" > "$big"
echo "input: $lines lines, $(du -h "$big" | cut -f1) (SOTM30 head repeated)"
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
