#!/usr/bin/env bash
# Layering check (docs/CONTRIBUTING.md): greps the #include lines of each library directory.
#   decoders/   includes only decoders/ and the standard library: nothing from flowtable/ sensor/
#               collector/ proto/, no pcap, ZeroMQ, Protobuf or SQLite headers.
#   flowtable/  includes only decoders/, flowtable/ and the standard library.
#   collector/  never includes decoders/ or flowtable/.
#   sensor/log/ includes only sensor/log/ and decoders/ of the project (its own library, linked
#               by the sensor: it must not reach back into the rest of sensor/).
# Before checking the repository it checks itself on a synthetic tree with one violation per rule,
# so a checker that can no longer fail is caught.
#
# Usage: layering_test.sh REPO_ROOT
set -u
repo=${1:?usage: layering_test.sh REPO_ROOT}

# Standard headers: C++ headers have no extension; the C headers allowed are listed, with the
# compiler's SSE2 intrinsics (no library behind them).
std_c='(assert|ctype|errno|float|inttypes|limits|math|stdarg|stddef|stdint|stdio|stdlib|string|time|wchar|emmintrin)\.h'

includes() {  # dir -> "file:line:#include ..." for every source file
  find "$1" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.in' \) \
    -print0 2>/dev/null | xargs -0 -r grep -HnE '^[[:space:]]*#[[:space:]]*include' || true
}

check_tree() {  # root -> prints violations, returns their count
  local root=$1 bad=0 line
  # decoders/: quoted includes start with decoders/; angle includes are standard headers.
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    if [[ $line =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      [[ ${BASH_REMATCH[1]} == decoders/* ]] && continue
      echo "decoders may include only decoders/ and the standard library: $line"; ((bad++))
    elif [[ $line =~ \#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      local h=${BASH_REMATCH[1]}
      if [[ $h == */* || ( $h == *.* && ! $h =~ ^$std_c$ ) ]]; then
        echo "decoders may not include a non-standard header: $line"; ((bad++))
      fi
    fi
  done < <(includes "$root/decoders")
  # flowtable/: decoders/ and flowtable/ only, plus the standard library.
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    if [[ $line =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      [[ ${BASH_REMATCH[1]} == decoders/* || ${BASH_REMATCH[1]} == flowtable/* ]] && continue
      echo "flowtable may include only decoders/, flowtable/ and std: $line"; ((bad++))
    elif [[ $line =~ \#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      local h=${BASH_REMATCH[1]}
      if [[ $h == */* || ( $h == *.* && ! $h =~ ^$std_c$ ) ]]; then
        echo "flowtable may not include a non-standard header: $line"; ((bad++))
      fi
    fi
  done < <(includes "$root/flowtable")
  # collector/: never decoders/ or flowtable/.
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    if [[ $line =~ \#[[:space:]]*include[[:space:]]*[\"\<](decoders|flowtable)/ ]]; then
      echo "collector may not include decoders/ or flowtable/: $line"; ((bad++))
    fi
  done < <(includes "$root/collector")
  # sensor/log/: of the project's headers, only sensor/log/ and decoders/.
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    if [[ $line =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      [[ ${BASH_REMATCH[1]} == sensor/log/* || ${BASH_REMATCH[1]} == decoders/* ]] && continue
      echo "sensor/log may include only sensor/log/ and decoders/: $line"; ((bad++))
    fi
  done < <(includes "$root/sensor/log")
  return $((bad > 255 ? 255 : bad))
}

# Self-check: every rule must fire on a synthetic violation, and a clean tree must pass.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/decoders" "$tmp/flowtable" "$tmp/collector" "$tmp/sensor/log"
printf '#include <cstdint>\n#include <stdint.h>\n#include "decoders/packet.h"\n' > "$tmp/decoders/ok.h"
printf '#include <vector>\n#include "decoders/packet.h"\n#include "flowtable/flow.h"\n' > "$tmp/flowtable/ok.h"
printf '#include "tapwatch.pb.h"\n#include <zmq.h>\n' > "$tmp/collector/ok.cc"
printf '#include <zlib.h>\n#include "sensor/log/record.h"\n#include "decoders/packet.h"\n' \
  > "$tmp/sensor/log/ok.cc"
check_tree "$tmp" >/dev/null
if [[ $? -ne 0 ]]; then echo "FAIL: layering checker rejects a clean tree"; exit 1; fi
printf '#include "flowtable/flow.h"\n#include "tapwatch.pb.h"\n#include <pcap/pcap.h>\n#include <zmq.h>\n  #  include <google/protobuf/message.h>\n' \
  > "$tmp/decoders/bad.h"
printf '#include "sensor/pipeline.h"\n#include <sqlite3.h>\n' > "$tmp/flowtable/bad.cc"
printf '#include "decoders/packet.h"\n#include <flowtable/flow.h>\n' > "$tmp/collector/bad.cc"
printf '#include "sensor/pipeline.h"\n' > "$tmp/sensor/log/bad.cc"
check_tree "$tmp" >/dev/null
n=$?
if [[ $n -ne 10 ]]; then echo "FAIL: layering checker found $n of 10 planted violations"; exit 1; fi

check_tree "$repo"
n=$?
if [[ $n -ne 0 ]]; then echo "FAIL: $n layering violations"; exit 1; fi
echo "PASS: layering (decoders/, flowtable/, collector/, sensor/log/)"
