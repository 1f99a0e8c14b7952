#!/usr/bin/env bash
# Runs every test: unit, fuzz-corpus replay, differential (tshark/argus on ../shared captures),
# end-to-end (sensor -> ZeroMQ -> collector) and live capture in network namespaces.
#   scripts/test.sh              tests in build/ (built by scripts/setup.sh; rebuilt if needed)
#   scripts/test.sh --sanitize   the same suite built with AddressSanitizer + UBSan in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
export TAPWATCH_SHARED="${TAPWATCH_SHARED:-$(cd .. && pwd)/shared}"
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DTAPWATCH_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export TAPWATCH_SANITIZED=1
fi
cmake -S . -B "$dir" "${flags[@]}" -DTAPWATCH_BUILD_TESTS=ON >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j2 --timeout 900
