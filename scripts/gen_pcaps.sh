#!/bin/sh
# Regenerates every committed capture in pcaps/ (and its ground-truth JSON) with tapwatch-gen.
# Output is byte-identical on every run; tests/generator checks that against the committed files.
#   scripts/gen_pcaps.sh [path/to/tapwatch-gen]
# Without an argument it builds tapwatch-gen in build-gen-pcaps/ first.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
gen=${1:-}
if [ -z "$gen" ]; then
  cmake -S "$root" -B "$root/build-gen-pcaps" -DCMAKE_BUILD_TYPE=Release \
    -DTAPWATCH_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build-gen-pcaps" -j2 --target tapwatch-gen >/dev/null
  gen="$root/build-gen-pcaps/tools/tapwatch-gen"
fi
"$gen" honeynet --out "$root/pcaps/honeynet.pcap" --truth "$root/pcaps/honeynet.truth.json"
for name in welchia_vs_tracert codered_bare_ack smb_reserved_leak tcp_states; do
  "$gen" small "$name" --dir "$root/pcaps"
done
ls -l "$root/pcaps"
