#!/usr/bin/env bash
# The manual pages: groff renders them without one warning (-ww), man -l shows them, and every
# option the executables' --help lists is documented in their page (so a new option without
# documentation fails here). A page with a bad request must draw a warning: the check can fail.
#
# Usage: man_pages_test.sh MAN_DIR SENSOR COLLECTOR
set -u
man_dir=${1:?usage: man_pages_test.sh MAN_DIR SENSOR COLLECTOR}
sensor=${2:?}
collector=${3:?}
skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL (CI=true, would skip): $1"; exit 1; fi
  echo "SKIPPED: $1"; exit 77
}
command -v groff >/dev/null || skip "groff (package groff-base) not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

lint() { groff -man -ww -z "$1" 2>&1; }

# Options named in a help text: --long and -x (the "--opt=VALUE" of its preamble is no option).
options_of() {
  grep -oE '(^|[ [(,])--?[a-zA-Z][a-zA-Z0-9-]*' "$1" | sed 's/^[ [(,]//' | grep -vx -- --opt |
    sort -u
}

# check_page PAGE HELP_FILE: prints what is wrong; false when anything is.
check_page() {
  local page=$1 help=$2 said missing=() ok=0
  said=$(lint "$page")
  if [[ -n $said ]]; then echo "FAIL: $page: groff -ww: $said"; ok=1; fi
  if command -v man >/dev/null; then
    MANWIDTH=100 man -l "$page" > "$tmp/rendered.txt" 2>&1 && [[ -s $tmp/rendered.txt ]] ||
      { echo "FAIL: man -l $page: $(head -3 "$tmp/rendered.txt")"; ok=1; }
  fi
  # In the page source a hyphen is written \-.
  sed 's/\\-/-/g' "$page" > "$tmp/source.txt"
  while read -r opt; do
    grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|$)" "$tmp/source.txt" || missing+=("$opt")
  done < <(options_of "$help")
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "FAIL: $(basename "$page") does not document: ${missing[*]}"; ok=1
  fi
  [[ $ok -eq 0 ]] && echo "$(basename "$page"): groff -ww clean; documents every option of --help"
  return $ok
}

"$sensor" --help > "$tmp/sensor.help"
{ "$collector" --help; "$collector" report --help; } > "$tmp/collector.help"
check_page "$man_dir/tapwatch-sensor.8" "$tmp/sensor.help" || fail=1
check_page "$man_dir/tapwatch-collector.8" "$tmp/collector.help" || fail=1

# The checkers can fail: an undefined request is a warning; an option left out is missing.
printf '.TH X 8\n.SH NAME\nx \\- y\n.BOGUS request\n' > "$tmp/bad.8"
if [[ -z $(lint "$tmp/bad.8") ]]; then echo "FAIL: groff -ww did not warn on a bad page"; fail=1; fi
grep -v -- 'retain\\-every' "$man_dir/tapwatch-collector.8" > "$tmp/tapwatch-collector.8"
if check_page "$tmp/tapwatch-collector.8" "$tmp/collector.help" > "$tmp/self.txt"; then
  echo "FAIL: self-check: a page without --retain-every passed"; fail=1
else
  echo "self-check: $(grep -o 'does not document.*' "$tmp/self.txt")"
fi
if [[ $fail -ne 0 ]]; then echo "FAIL: manual pages"; exit 1; fi
echo "PASS: manual pages"
