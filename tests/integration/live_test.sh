#!/usr/bin/env bash
# Live capture test: two network namespaces joined by a veth pair; tcpreplay sends captures from
# namespace A, tapwatch-sensor -i captures them in namespace B, and the flows equal those from
# reading the same files with -r (packets and wire bytes per 5-tuple; kernel drops 0, or counted
# in the stats and accounted for). Needs root, iproute2 and tcpreplay: skips visibly otherwise
# (fails under CI=true). Traffic never leaves the two namespaces this script creates; they are
# deleted on every exit (trap).
#
# Usage: live_test.sh SENSOR GENERATOR [CAPTURE...]
#   GENERATOR = tw_gen_udp_flows (a generated capture is always replayed; CAPTURE files are too,
#   default: $TAPWATCH_SHARED/pcaps/markofu-pcaps__attack-trace.pcap when present).
set -u
sensor=${1:?usage: live_test.sh SENSOR GENERATOR [CAPTURE...]}
generator=${2:?usage: live_test.sh SENSOR GENERATOR [CAPTURE...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)

skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL (CI=true, would skip): $1"; exit 1; fi
  echo "SKIPPED: $1"; exit 77
}
[[ $(id -u) -eq 0 ]] || skip "live test needs root (network namespaces, veth, packet capture)"
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
command -v tcpreplay >/dev/null || skip "tcpreplay not installed"
command -v python3 >/dev/null || skip "python3 not installed"

tag=$$
nsa=twlA$tag nsb=twlB$tag
va=twa$tag vb=twb$tag
tmp=$(mktemp -d)
sensor_pid=
cleanup() {
  [[ -n $sensor_pid ]] && kill -KILL "$sensor_pid" 2>/dev/null
  ip netns del "$nsa" 2>/dev/null
  ip netns del "$nsb" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$nsa" || skip "cannot create network namespaces (ip netns add failed)"
ip netns add "$nsb" || exit 1
for ns in "$nsa" "$nsb"; do
  # No IPv6 autoconfiguration or MLD chatter on the link: only replayed frames cross it.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" || exit 1
ip -n "$nsa" addr add 10.213.77.1/30 dev "$va"
ip -n "$nsb" addr add 10.213.77.2/30 dev "$vb"
ip -n "$nsa" link set "$va" up
ip -n "$nsb" link set "$vb" up

captures=("$@")
if [[ ${#captures[@]} -eq 0 ]]; then
  shared=${TAPWATCH_SHARED:-$here/../../../shared}
  at=$shared/pcaps/markofu-pcaps__attack-trace.pcap
  if [[ -f $at ]]; then captures+=("$at"); else echo "NOTE: $at absent; generated capture only"; fi
fi
"$generator" "$tmp/gen.pcap" 20000 50 || exit 1
# A small capture replayed at a modest rate, so that one comparison is exact even on a loaded
# machine; the big one goes at top speed and may see kernel drops, which must be counted.
"$generator" "$tmp/gen_small.pcap" 2000 50 || exit 1
captures=("$tmp/gen.pcap" "$tmp/gen_small.pcap" "${captures[@]}")

fail=0
for cap in "${captures[@]}"; do
  name=$(basename "$cap")
  common=(--jsonl - --sensor-id live --idle-timeout 4000000000 --active-timeout 0
          --stats-interval 31536000 --hash-seed 1 ${TW_LIVE_EXTRA:-} -q)
  "$sensor" -r "$cap" "${common[@]}" > "$tmp/file.jsonl" 2> "$tmp/file.err" || {
    echo "FAIL: $name: sensor -r failed: $(cat "$tmp/file.err")"; fail=1; continue; }
  # Without -q the sensor prints its "flow table" line after the capture is active (the kernel
  # ring buffer receives from then on); replaying earlier would lose packets nobody counts.
  # Remove the previous capture's output first: the background child truncates live.err only
  # once it runs, and until then the loop below would find the old "flow table" line and start
  # the replay before this sensor is capturing (packets lost that nobody could count).
  rm -f "$tmp/live.jsonl" "$tmp/live.err"
  ip netns exec "$nsb" "$sensor" -i "$vb" "${common[@]:0:${#common[@]}-1}" \
    > "$tmp/live.jsonl" 2> "$tmp/live.err" &
  sensor_pid=$!
  started=
  for i in $(seq 900); do
    grep -q "flow table" "$tmp/live.err" 2>/dev/null && { started=$i; break; }
    kill -0 "$sensor_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $started ]] || ! kill -0 "$sensor_pid" 2>/dev/null; then
    if kill -0 "$sensor_pid" 2>/dev/null; then
      echo "FAIL: $name: live sensor did not start within 90 s: $(cat "$tmp/live.err")"
    else
      wait "$sensor_pid"
      echo "FAIL: $name: live sensor exited early (status $?): $(cat "$tmp/live.err")"
    fi
    fail=1
    kill -KILL "$sensor_pid" 2>/dev/null
    sensor_pid=
    continue
  fi
  echo "$name: live sensor started after $((started / 10)).$((started % 10)) s"
  ip -n "$nsb" -s link show "$vb" > "$tmp/link_before.txt"
  speed=(--topspeed)
  [[ $name == gen_small.pcap ]] && speed=(--pps=1000)
  ip netns exec "$nsa" tcpreplay -i "$va" "${speed[@]}" "$cap" > "$tmp/replay.out" 2>&1 || {
    echo "FAIL: $name: tcpreplay failed: $(cat "$tmp/replay.out")"; fail=1; }
  sleep 1
  ip -n "$nsb" -s link show "$vb" > "$tmp/link_after.txt"
  kill -TERM "$sensor_pid"
  wait "$sensor_pid"
  rc=$?
  sensor_pid=
  if [[ $rc -ne 0 ]]; then
    echo "FAIL: $name: live sensor exit status $rc after SIGTERM: $(cat "$tmp/live.err")"; fail=1
  fi
  echo "$name: tcpreplay: $(grep -E "Actual:|Successful|Failed|Truncated|Retried" "$tmp/replay.out" | tr -s " \n" " ")"
  # Frames the veth in B received during the replay (kernel interface counter): tells a loss
  # before the capture (veth/backlog) from one inside the capture path.
  rx_before=$(awk '/RX:/{getline; print $2; exit}' "$tmp/link_before.txt")
  rx_after=$(awk '/RX:/{getline; print $2; exit}' "$tmp/link_after.txt")
  if ! python3 "$here/live_compare.py" "$name" "$tmp/file.jsonl" "$tmp/live.jsonl" \
      $((rx_after - rx_before)); then
    fail=1
    echo "live sensor stderr: $(cat "$tmp/live.err")"
  fi
done
if [[ $fail -ne 0 ]]; then echo "FAIL: live capture"; exit 1; fi
echo "PASS: live capture through a veth pair (${#captures[@]} captures)"
