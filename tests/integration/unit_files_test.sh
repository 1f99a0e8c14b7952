#!/usr/bin/env bash
# The systemd units as installed (dist/systemd, configured by CMake) pass `systemd-analyze
# verify` without a single warning, with ExecStart pointed at the built executables, and keep the
# hardening docs/deployment.md promises: the sensor's capability bounding set is CAP_NET_RAW
# CAP_NET_ADMIN, the collector's is empty. A copy with one bad setting must draw a warning,
# so the check can fail. Skips visibly without systemd-analyze (fails under CI=true).
#
# The example /etc/tapwatch/tapwatch.conf is accepted by both executables, as the units start
# them.
#
# Usage: unit_files_test.sh UNIT_DIR SENSOR COLLECTOR EXAMPLE_CONF
set -u
units=${1:?usage: unit_files_test.sh UNIT_DIR SENSOR COLLECTOR EXAMPLE_CONF}
sensor=$(realpath "${2:?}")
collector=$(realpath "${3:?}")
conf=${4:?}
skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL (CI=true, would skip): $1"; exit 1; fi
  echo "SKIPPED: $1"; exit 77
}
command -v systemd-analyze >/dev/null || skip "systemd-analyze (package systemd) not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# verify UNIT_FILE_NAME: prints what systemd-analyze says; true when it says nothing.
verify() {
  (cd "$tmp" && systemd-analyze verify --man=no "$1" > out.txt 2>&1)
  # A missing device unit for the template's interface is the only thing it may say.
  grep -v "Unknown device type" "$tmp/out.txt" > "$tmp/said.txt"
  [[ ! -s $tmp/said.txt ]]
}

sed "s#^ExecStart=[^ ]*/tapwatch-sensor #ExecStart=$sensor #" "$units/tapwatch-sensor@.service" \
  > "$tmp/tapwatch-sensor@.service"
sed "s#^ExecStart=[^ ]*/tapwatch-collector #ExecStart=$collector #" \
  "$units/tapwatch-collector.service" > "$tmp/tapwatch-collector.service"
for unit in tapwatch-sensor@eth1.service tapwatch-collector.service; do
  if verify "$unit"; then
    echo "$unit: systemd-analyze verify: no warning"
  else
    echo "FAIL: $unit: $(cat "$tmp/said.txt")"; fail=1
  fi
done

# Hardening, read from the files.
setting() { sed -n "s/^$1=//p" "$2"; }
expect() {
  if [[ $3 == "$4" ]]; then echo "$1: $2=$3"; else echo "FAIL: $1: $2 is '$3', want '$4'"; fail=1; fi
}
for unit in tapwatch-sensor@.service tapwatch-collector.service; do
  f=$tmp/$unit
  for key in NoNewPrivileges ProtectHome PrivateTmp; do expect "$unit" $key "$(setting $key "$f")" yes; done
  expect "$unit" ProtectSystem "$(setting ProtectSystem "$f")" strict
  expect "$unit" StateDirectory "$(setting StateDirectory "$f")" tapwatch
  expect "$unit" User "$(setting User "$f")" tapwatch
done
expect sensor CapabilityBoundingSet "$(setting CapabilityBoundingSet "$tmp/tapwatch-sensor@.service")" \
  "CAP_NET_RAW CAP_NET_ADMIN"
expect collector CapabilityBoundingSet \
  "$(setting CapabilityBoundingSet "$tmp/tapwatch-collector.service")" ""
grep -q -- "-i %I" "$tmp/tapwatch-sensor@.service" || { echo "FAIL: sensor unit ignores %I"; fail=1; }

# The checker itself: a wrong value must be reported.
sed -i 's/^ProtectSystem=strict/ProtectSystem=sideways/' "$tmp/tapwatch-collector.service"
if verify tapwatch-collector.service; then
  echo "FAIL: systemd-analyze verify accepted ProtectSystem=sideways: the check cannot fail"; fail=1
else
  echo "self-check: a bad setting is reported: $(head -1 "$tmp/said.txt")"
fi

# The example configuration, as the units start the executables: the sensor parses it (and
# prints its version); the collector runs on it (its store moved to the scratch directory) and
# stops when idle.
if out=$("$sensor" --config "$conf" -i eth1 --version 2>&1); then
  echo "example config: sensor accepts it ($out)"
else
  echo "FAIL: example config: sensor: $out"; fail=1
fi
if out=$("$collector" --config "$conf" --db "$tmp/flows.db" --idle-exit 0.3 --quiet 2>&1); then
  echo "example config: collector runs on it"
else
  echo "FAIL: example config: collector: $out"; fail=1
fi
if [[ $fail -ne 0 ]]; then echo "FAIL: unit files"; exit 1; fi
echo "PASS: unit files verify clean and are hardened"
