#!/usr/bin/env bash
# One command for a fresh Debian 12 machine (as root): install what tapwatch needs, build it,
# install tapwatch-sensor and tapwatch-collector on the PATH, and run the main job end to end on
# the bundled honeynet capture: sensor -> ZeroMQ -> collector -> SQLite -> report.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ccache
  libpcap-dev libtins-dev libprotobuf-dev protobuf-compiler libzmq3-dev cppzmq-dev
  libgtest-dev libgmock-dev libsqlite3-dev sqlite3 zlib1g-dev nettle-dev libutfcpp-dev
  tshark argus-server argus-client nfdump tcpreplay iproute2 time bc jq netbase
  clang libclang-rt-14-dev python3 python3-zmq python3-protobuf
  chromium chromium-driver python3-selenium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
cmake --install build --prefix /usr/local >/dev/null
echo "setup: installed $(command -v tapwatch-sensor) and $(command -v tapwatch-collector)"

bash scripts/demo.sh
