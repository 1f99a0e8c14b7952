#!/usr/bin/env python3
"""Compares the flows of a live capture with those of reading the same file (live_test.sh).

Usage: live_compare.py NAME FILE.jsonl LIVE.jsonl [VETH_RX_FRAMES]

Per bidirectional 5-tuple (VLAN ignored: a veth passes tags through unchanged), packets and wire
bytes must be equal. When the live run's final stats record reports kernel drops, the flows may
fall short, but by no more than the drops: total live packets + kernel drops = file packets.
"""

import sys
from collections import defaultdict

import tw_common as tw


def per_tuple(flows):
    out = defaultdict(lambda: [0, 0])
    for f in flows:
        k = tw.canon_5tuple(f.get("ip_proto", 0), f["src_addr"], f.get("src_port", 0),
                            f["dst_addr"], f.get("dst_port", 0))
        out[k][0] += tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts")
        out[k][1] += tw.u64(f, "src_wire_bytes") + tw.u64(f, "dst_wire_bytes")
    return out


def main():
    name, file_jsonl, live_jsonl = sys.argv[1:4]
    veth_rx = int(sys.argv[4]) if len(sys.argv) > 4 else -1
    with open(file_jsonl, "rb") as f:
        file_flows, file_stats = tw.parse_jsonl(f.read())
    with open(live_jsonl, "rb") as f:
        live_flows, live_stats = tw.parse_jsonl(f.read())
    fails = tw.Failures()
    finals = [s for s in live_stats if s.get("final")]
    if not fails.check(len(finals) == 1, "%s: live run wrote %d final stats records" %
                       (name, len(finals))):
        fails.finish(name)
    drops = tw.u64(finals[0], "kernel_drops") + tw.u64(finals[0], "kernel_if_drops")
    file_total = tw.u64([s for s in file_stats if s.get("final")][0], "total_packets")
    live_total = tw.u64(finals[0], "total_packets")
    a, b = per_tuple(file_flows), per_tuple(live_flows)
    print("%s: file %d packets in %d flows; live %d packets in %d flows, %d kernel drops; the "
          "veth received %d frames" % (name, file_total, len(a), live_total, len(b), drops,
                                       veth_rx))
    if drops == 0:
        fails.check(live_total == file_total, "%s: live saw %d packets, the file has %d" %
                    (name, live_total, file_total))
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                fails.add("%s: %s: file %s, live %s (packets, wire bytes)" %
                          (name, k, a.get(k), b.get(k)))
    else:
        fails.check(live_total + drops == file_total,
                    "%s: live %d packets + %d drops != %d in the file" %
                    (name, live_total, drops, file_total))
        for k in sorted(b):
            fails.check(k in a and b[k][0] <= a[k][0],
                        "%s: %s: live %s exceeds file %s" % (name, k, b[k], a.get(k)))
    fails.finish("%s: live flows equal file flows" % name)


if __name__ == "__main__":
    sys.exit(main())
