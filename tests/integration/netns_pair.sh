# Sourced by live-capture tests: two network namespaces joined by a veth pair, deleted on every
# exit. Traffic never leaves them. Defines skip(), and after netns_pair_up: $nsa $nsb (names),
# $va $vb (the veth ends, 10.213.77.1 in A, 10.213.77.2 in B) and $tmp (a scratch directory).
# A test adds its own clean-up to netns_pair_cleanup_extra.

skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL (CI=true, would skip): $1"; exit 1; fi
  echo "SKIPPED: $1"; exit 77
}

netns_pair_cleanup_extra=:
netns_pair_cleanup() {
  eval "$netns_pair_cleanup_extra"
  ip netns del "$nsa" 2>/dev/null
  ip netns del "$nsb" 2>/dev/null
  rm -rf "$tmp"
}

netns_pair_up() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, veth, packet capture)"
  command -v ip >/dev/null || skip "iproute2 (ip) not installed"
  command -v tcpreplay >/dev/null || skip "tcpreplay not installed"
  local tag=$$
  nsa=twlA$tag nsb=twlB$tag
  va=twa$tag vb=twb$tag
  tmp=$(mktemp -d)
  trap netns_pair_cleanup EXIT INT TERM
  ip netns add "$nsa" || skip "cannot create network namespaces (ip netns add failed)"
  ip netns add "$nsb" || exit 1
  local ns
  for ns in "$nsa" "$nsb"; do
    # No IPv6 autoconfiguration or MLD chatter on the link: only replayed frames cross it.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip link add "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" || exit 1
  ip -n "$nsa" addr add 10.213.77.1/30 dev "$va"
  ip -n "$nsb" addr add 10.213.77.2/30 dev "$vb"
  ip -n "$nsa" link set "$va" up
  ip -n "$nsb" link set "$vb" up
}

# wait_for_line FILE PATTERN PID: until FILE has a line matching PATTERN (true), PID exits or
# 90 s pass (false).
wait_for_line() {
  local i
  for i in $(seq 900); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
