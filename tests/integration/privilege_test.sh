#!/usr/bin/env bash
# Least privilege while capturing: in a network namespace, tapwatch-sensor -i opens the capture,
# then runs without privilege, and still captures. Two ways in, as deployed:
#   -Z nobody, started as root (tcpdump's way): afterwards uid and gid are nobody's, no
#     supplementary groups, no capability in the effective, permitted or bounding set;
#   started as nobody with ambient CAP_NET_RAW CAP_NET_ADMIN (systemd's User= with
#     AmbientCapabilities=, here through setpriv): afterwards no capability is left.
# The process's own /proc/PID/status is the witness (Uid, Gid, Groups, CapEff, CapPrm, CapBnd,
# CapAmb), read while it captures; a replay then proves it still captures: its flows equal those
# of reading the same file (live_compare.py).
#
# Usage: privilege_test.sh SENSOR GENERATOR
set -u
sensor=${1:?usage: privilege_test.sh SENSOR GENERATOR}
generator=${2:?usage: privilege_test.sh SENSOR GENERATOR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns_pair.sh
source "$here/netns_pair.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
command -v python3 >/dev/null || skip "python3 not installed"
sensor_pid=
netns_pair_cleanup_extra='[[ -n $sensor_pid ]] && kill -KILL "$sensor_pid" 2>/dev/null'
netns_pair_up
# The sensor, once unprivileged, must still be able to run from the build tree.
chmod o+rx "$tmp"

nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)
"$generator" "$tmp/gen.pcap" 2000 50 || exit 1
common=(--jsonl - --sensor-id priv --idle-timeout 4000000000 --active-timeout 0
        --stats-interval 31536000 --hash-seed 1)
"$sensor" -r "$tmp/gen.pcap" "${common[@]}" -q > "$tmp/file.jsonl" 2> "$tmp/file.err" || {
  echo "FAIL: sensor -r failed: $(cat "$tmp/file.err")"; exit 1; }

fail=0
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }
expect() {  # name what got want
  if [[ $3 == "$4" ]]; then echo "$1: $2 $3"; else echo "FAIL: $1: $2 is '$3', want '$4'"; fail=1; fi
}

run_case() {  # name; the arrays prefix (runs the sensor) and extra (its further options)
  local name=$1
  rm -f "$tmp/live.jsonl" "$tmp/live.err"
  ip netns exec "$nsb" "${prefix[@]}" "$sensor" -i "$vb" "${common[@]}" "${extra[@]}" \
    > "$tmp/live.jsonl" 2> "$tmp/live.err" &
  sensor_pid=$!
  if ! wait_for_line "$tmp/live.err" "flow table" "$sensor_pid"; then
    echo "FAIL: $name: sensor did not start capturing: $(cat "$tmp/live.err")"
    kill -KILL "$sensor_pid" 2>/dev/null
    sensor_pid=
    fail=1
    return
  fi
  # ip netns exec and setpriv exec the sensor: the PID is the sensor's own.
  cp "/proc/$sensor_pid/status" "$tmp/status"
  expect "$name" "process" "$(field Name "$tmp/status")" "tapwatch-sensor"
  expect "$name" "Uid (real, effective, saved, fs)" "$(field Uid "$tmp/status" | xargs)" \
    "$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
  expect "$name" "Gid (real, effective, saved, fs)" "$(field Gid "$tmp/status" | xargs)" \
    "$nobody_gid $nobody_gid $nobody_gid $nobody_gid"
  expect "$name" "Groups" "$(field Groups "$tmp/status" | xargs)" ""
  expect "$name" "CapEff" "$(field CapEff "$tmp/status")" "0000000000000000"
  expect "$name" "CapPrm" "$(field CapPrm "$tmp/status")" "0000000000000000"
  expect "$name" "CapAmb" "$(field CapAmb "$tmp/status")" "0000000000000000"
  [[ $name == -Z* ]] && expect "$name" "CapBnd" "$(field CapBnd "$tmp/status")" "0000000000000000"
  ip netns exec "$nsa" tcpreplay -i "$va" --pps=1000 "$tmp/gen.pcap" > "$tmp/replay.out" 2>&1 || {
    echo "FAIL: $name: tcpreplay failed: $(cat "$tmp/replay.out")"; fail=1; }
  sleep 1
  kill -TERM "$sensor_pid"
  wait "$sensor_pid"
  local rc=$?
  sensor_pid=
  [[ $rc -eq 0 ]] || { echo "FAIL: $name: exit status $rc: $(cat "$tmp/live.err")"; fail=1; }
  python3 "$here/live_compare.py" "$name" "$tmp/file.jsonl" "$tmp/live.jsonl" || fail=1
}

prefix=(env)
extra=(-Z nobody)
run_case "-Z nobody"
prefix=(setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups
        --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin)
extra=()
# The check can fail: a program started this way holds CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
before=$("${prefix[@]}" awk '$1 == "CapAmb:" { print $2 }' /proc/self/status)
expect "before any drop" "CapAmb" "$before" "0000000000003000"
run_case "ambient capabilities"
if [[ $fail -ne 0 ]]; then echo "FAIL: privilege drop"; exit 1; fi
echo "PASS: the capturing sensor holds no privilege and still captures"
