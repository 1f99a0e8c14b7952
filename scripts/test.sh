#!/usr/bin/env bash
# Runs every test: unit, fuzz-corpus replay, differential (tshark/argus on ../shared captures),
# golden outputs, end-to-end (sensor -> ZeroMQ -> collector) and live capture in network
# namespaces. Builds and runs through the presets of CMakePresets.json.
#   scripts/test.sh              preset release: tests in build/ (built by scripts/setup.sh)
#   scripts/test.sh --sanitize   preset asan: the same suite with ASan + UBSan in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
export TAPWATCH_SHARED="${TAPWATCH_SHARED:-$(cd .. && pwd)/shared}"
preset=release
if [ "${1:-}" = "--sanitize" ]; then
  preset=asan
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"
ctest --preset "$preset"
