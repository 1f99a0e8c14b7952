#!/usr/bin/env bash
# Pipeline benchmark. One run measures, on the same generated capture:
#   - libpcap's bare read loop (the floor) and the sensor's own zero-copy reader's,
#   - tapwatch-sensor: decode + flow table + app decoders + publish to a counting subscriber,
#   - tapwatch-sensor --no-app (what the application decoders cost),
#   - argus -r and nfpcapd -r (the baselines users know),
# wall time and CPU time (user + sys; medians of RUNS) and peak RSS of each, and prints the
# ratios. The machine is shared: CPU-time ratios are the steadier ones. The app decoders' cost is
# also measured as adjacent pairs (APP_AB_PAIRS, default 7) and as side-by-side pairs (both at
# once, one per core; SIDE_BY_SIDE_BLOCKS of SIDE_BY_SIDE_ROUNDS, default 3 x 40). The sensor runs are timed alone,
# with their subscriber already connected. Then the export path alone
# (bench/export_bench.cc) in records per second.
# Usage: bench/pipeline_bench.sh [BUILD_DIR] [PACKETS] [FLOWS] [APP_SHARE]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
packets=${2:-2000000}
flows=${3:-250000}
app_share=${4:-0.33}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/tapwatch-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
sensor=$build/sensor/tapwatch-sensor
gen=$build/tools/tapwatch-gen
for tool in /usr/bin/time argus nfpcapd; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (run scripts/setup.sh)"; exit 2; }
done

capture=$work/bench.pcap
"$gen" bench --out "$capture" --packets "$packets" --flows "$flows" --app-share "$app_share" >/dev/null
echo "capture: $packets packets, $flows flows, app share $app_share, $(du -h "$capture" | cut -f1)"

# measure NAME CMD... -> prints "NAME wall_s cpu_s peak_kb" (median wall and CPU, max rss over
# runs; CPU is user + sys of the command and its children)
declare -A wall cpu rss
run_times=() run_cpus=() run_peak=0
timed_run() {  # NAME CMD...: one run, appended to run_times / run_cpus / run_peak
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "bench: $name failed:"; cat "$work/stderr"; exit 1; }
  read -r t u s m <"$work/time"
  run_times+=("$t")
  run_cpus+=("$(echo "$u + $s" | bc -l)")
  if [ "$m" -gt "$run_peak" ]; then run_peak=$m; fi
}
summarize() {  # NAME: medians of the runs so far, then a fresh start
  local name=$1
  wall[$name]=$(printf '%s\n' "${run_times[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  cpu[$name]=$(printf '%s\n' "${run_cpus[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  rss[$name]=$run_peak
  run_times=() run_cpus=() run_peak=0
  printf '%-22s %8.2f s wall %8.2f s cpu  %8.1f MiB peak RSS\n' "$name" "${wall[$name]}" \
    "${cpu[$name]}" "$(echo "${rss[$name]} / 1024" | bc -l)"
}
measure() {
  local name=$1; shift
  for ((i = 0; i < runs; i++)); do timed_run "$name" "$@"; done
  summarize "$name"
}

# The sensor publishing to a real subscriber on loopback. The subscriber is started and given
# time to connect before the clock starts, so only the sensor process is timed (as argus and
# nfpcapd are): no shell, port probe or subscriber start-up in its wall time. The subscriber
# must then report every flow record, or the run fails.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
measure_sensor() {
  local name=$1; shift
  local port sub
  for ((i = 0; i < runs; i++)); do
    port=$(free_port)
    "$build/bench/zmq_count_sub" "tcp://127.0.0.1:$port" >"$work/sub.out" &
    sub=$!
    sleep 0.3
    timed_run "$name" "$sensor" -r "$capture" --publish "tcp://127.0.0.1:$port" \
      --wait-subscribers 1 --hash-seed 1 -q "$@"
    wait "$sub"
    grep -q "^received $flows flow records" "$work/sub.out" || {
      echo "bench: $name: the subscriber did not receive $flows flow records:"
      cat "$work/sub.out"
      exit 1
    }
  done
  summarize "$name"
}

measure pcap_read_loop "$build/bench/pcap_read_loop" "$capture"
measure zero_copy_read "$build/bench/pcap_read_loop" --zero-copy "$capture"
measure_sensor sensor
measure_sensor sensor_no_app --no-app
measure sensor_jsonl_none "$sensor" -r "$capture" --jsonl /dev/null --hash-seed 1 -q
measure argus argus -r "$capture" -w "$work/out.argus"
rm -rf "$work/nfp"; mkdir -p "$work/nfp"
measure nfpcapd nfpcapd -r "$capture" -w "$work/nfp"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
echo "sensor / pcap_read_loop wall:      $(ratio "${wall[sensor]}" "${wall[pcap_read_loop]}")x   (target <= 2)"
echo "sensor / pcap_read_loop cpu:       $(ratio "${cpu[sensor]}" "${cpu[pcap_read_loop]}")x"
echo "pcap_read_loop / zero_copy_read cpu: $(ratio "${cpu[pcap_read_loop]}" "${cpu[zero_copy_read]}")x"
echo "argus / sensor wall:               $(ratio "${wall[argus]}" "${wall[sensor]}")x   (target >= 5)"
echo "argus / sensor cpu:                $(ratio "${cpu[argus]}" "${cpu[sensor]}")x"
echo "nfpcapd / sensor wall:             $(ratio "${wall[nfpcapd]}" "${wall[sensor]}")x"
echo "sensor / argus peak RSS:           $(ratio "${rss[sensor]}" "${rss[argus]}")   (target <= 0.25)"
echo "sensor / nfpcapd peak RSS:         $(ratio "${rss[sensor]}" "${rss[nfpcapd]}")"
# Target: enabling the app decoders may cost at most 15% of the sensor's throughput, i.e.
# 1 - (packets/s with) / (packets/s without) = 1 - t_without / t_with <= 0.15 (t_with / t_without
# <= 1/0.85 = 1.176).
cost_pct() { printf '%.1f' "$(echo "scale=6; 100 * (1 - $2 / $1)" | bc -l)"; }
echo "app decoders cost, medians: $(ratio "${wall[sensor]}" "${wall[sensor_no_app]}")x wall = \
$(cost_pct "${wall[sensor]}" "${wall[sensor_no_app]}")% of throughput; \
$(ratio "${cpu[sensor]}" "${cpu[sensor_no_app]}")x cpu   (target <= 15%)"
# Once more as adjacent pairs (with, then --no-app): a pair shares the host's conditions, so the
# median of per-pair ratios is steadier on a shared machine than a ratio of medians.
pairs=${APP_AB_PAIRS:-7}
ab=()
for ((p = 0; p < pairs; p++)); do
  runs=1 measure_sensor app_pair_with >/dev/null
  runs=1 measure_sensor app_pair_without --no-app >/dev/null
  ab+=("$(echo "${wall[app_pair_with]} / ${wall[app_pair_without]}" | bc -l)")
done
mid=$(printf '%s\n' "${ab[@]}" | sort -g | sed -n "$(( (pairs + 1) / 2 ))p")
echo "app decoders cost, median of $pairs adjacent pairs: $(printf '%.3f' "$mid")x wall = \
$(printf '%.1f' "$(echo "scale=6; 100 * (1 - 1 / $mid)" | bc -l)")% of throughput (pair range $(printf '%s\n' \
  "${ab[@]}" | sort -g | sed -n '1p;$p' | xargs printf '%.2f ' | sed 's/ $//;s/ /-/')x; target <= 15%)"

# Once more side by side: with and without the decoders running at the same time, one per core
# (cores swapped every round), CPU time of each, without a subscriber. Two runs that share the
# same seconds share the host's noise, which sequential pairs do not (bench/side_by_side.py).
# Blocks of rounds taken a little apart: the host's load still moves one block's median by a few
# percent, so the median of the blocks is the figure, with their range beside it.
blocks=${SIDE_BY_SIDE_BLOCKS:-3}
rounds=${SIDE_BY_SIDE_ROUNDS:-40}
sbs_mids=()
for ((b = 0; b < blocks; b++)); do
  read -r mid lo hi with without <<<"$(python3 bench/side_by_side.py "$rounds" "$capture" "$sensor" \
    "$sensor --no-app")"
  sbs_mids+=("$mid")
  echo "  side-by-side block $((b + 1)): median ${mid}x cpu (pairs ${lo}-${hi}x; ${with} s vs ${without} s cpu)"
done
sbs_mid=$(printf '%s\n' "${sbs_mids[@]}" | sort -g | sed -n "$(( (blocks + 1) / 2 ))p")
echo "app decoders cost, median of $blocks blocks of $rounds side-by-side pairs: ${sbs_mid}x cpu = \
$(printf '%.1f' "$(echo "scale=6; 100 * (1 - 1 / $sbs_mid)" | bc -l)")% of throughput (block medians \
$(printf '%s\n' "${sbs_mids[@]}" | sort -g | sed -n '1p;$p' | xargs | sed 's/ /-/')x; target <= 15%)"

echo
echo "export path alone (flows of the same capture; encode = EncodeFlowRecord into the publisher, publish = + ZeroMQ"
echo "to a subscriber thread, message = a prebuilt protobuf message copied, serialized by libprotobuf and sent):"
"$build/bench/export_bench" "$capture" 3
