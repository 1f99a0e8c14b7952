#!/usr/bin/env bash
# The main job, end to end on the bundled honeynet capture:
#   tapwatch-sensor -r pcaps/honeynet.pcap  --(ZeroMQ)-->  tapwatch-collector  --> SQLite --> report
# Usage: scripts/demo.sh [CAPTURE] [OUTDIR]   (defaults: pcaps/honeynet.pcap, out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-pcaps/honeynet.pcap}
out=${2:-out/demo}
sensor=${TAPWATCH_SENSOR:-$(command -v tapwatch-sensor || echo build/sensor/tapwatch-sensor)}
collector=${TAPWATCH_COLLECTOR:-$(command -v tapwatch-collector || echo build/collector/tapwatch-collector)}
mkdir -p "$out"
db="$out/flows.db"
rm -f "$db" "$db-wal" "$db-shm"
# A free loopback port for this run.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="tcp://127.0.0.1:$port"

echo "demo: $capture -> $sensor -> $endpoint -> $collector -> $db"
"$collector" --connect "$endpoint" --db "$db" --exit-after-final 1 --idle-exit 120 &
collector_pid=$!
"$sensor" -r "$capture" --publish "$endpoint" --sensor-id demo --wait-subscribers 1 \
  --stats-interval 3600
wait "$collector_pid"

home_args=()
if [ -f "${capture%.pcap}.truth.json" ]; then
  home=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1])).get("home", [])))' "${capture%.pcap}.truth.json")
  for h in $home; do home_args+=(--home "$h"); done
  home_args+=(--honeynet)  # the bundled capture is a honeynet: honeypots never initiate
fi
"$collector" report --db "$db" "${home_args[@]}" --format html --out "$out/report.html"
"$collector" report --db "$db" "${home_args[@]}" --format json --out "$out/report.json"
"$collector" report --db "$db" "${home_args[@]}" --format text
echo "demo: report also in $out/report.html and $out/report.json; flows in $db"
