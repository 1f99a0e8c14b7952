#!/usr/bin/env python3
"""argus cross-check: per TCP flow, our argus_state and argus_flags ("A_RPA") equal what argus
(argus 3.0.8 server + ra client) prints for the same capture.

Usage: argus_check.py SENSOR [CAPTURE...]   (default: a fixed list from $TAPWATCH_SHARED/pcaps)

Commands (with the Debian config's 5 s status interval overridden):
    argus -X -S 86400 -r F -w F.argus          # -X: no /etc/argus.conf; -S: one record per flow
    ra -r F.argus -n -c , -Z b -s saddr sport daddr dport proto state:16 pkts - tcp
    ra -r F.argus -n -c , -s saddr sport daddr dport proto state:16 pkts - tcp

Compared only where argus and we agree on the flow: exactly one argus record and one record of
ours for the bidirectional 5-tuple, with the same packet count. Deliberate differences:
  - argus's idle timeout (TCP 60 s, not configurable in 3.0.8) splits long-idle flows into several
    records; our timeouts here are longer than the capture. Such keys are listed, not compared.
  - argus reverses a flow's direction when it sees the SYN-ACK first, like ours; when our initiator
    is argus's destination, our per-side flags are swapped before comparing.
At least MIN_COMPARED flows must be compared over the whole run, so the test cannot pass vacuously.
"""

import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import tw_common as tw

CAPTURES = [
    "markofu-pcaps__attack-trace.pcap", "markofu-pcaps__portscan.pcap", "nDPI__synscan.pcap",
    "markofu-pcaps__FIN_SCAN.pcap", "markofu-pcaps__XMAS_TREE_SCAN.pcap",
    "markofu-pcaps__evilprogram.pcap", "markofu-pcaps__blaster.pcap",
    "nDPI__heuristic_tcp_ack_payload.pcap", "suricata-verify__smb1_osx.pcap",
    "zeek__raw_ntlm_in_smb.pcap", "markofu-pcaps__dosattack.pcap", "nDPI__tcp_scan.pcapng",
    "markofu-pcaps__puzzle1.pcap",
]
MIN_COMPARED = 500


def ra_rows(argus_file, flags):
    cmd = ["ra", "-r", argus_file, "-n", "-c", ",", "-L", "-1"] + \
          (["-Z", "b"] if flags else []) + \
          ["-s", "saddr", "sport", "daddr", "dport", "proto", "state:16", "pkts", "-", "tcp"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    rows = []
    for line in p.stdout.decode().splitlines():
        c = [x.strip() for x in line.split(",")]
        if len(c) < 7 or c[4] != "tcp":
            continue
        rows.append((c[0], int(c[1]), c[2], int(c[3]), c[5], int(c[6])))
    return rows


def main():
    sensor = sys.argv[1]
    if len(sys.argv) > 2:
        captures = sys.argv[2:]
    else:
        pdir = os.path.join(tw.shared_dir(), "pcaps")
        if not os.path.isdir(pdir):
            tw.skip("no captures: %s is absent (set TAPWATCH_SHARED)" % pdir)
        captures = [os.path.join(pdir, n) for n in CAPTURES]
        missing = [c for c in captures if not os.path.exists(c)]
        if missing:
            tw.skip("captures missing: " + ", ".join(missing))
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_argus_")
    compared_total = 0
    for path in captures:
        name = os.path.basename(path)
        af = os.path.join(tmp, name + ".argus")
        subprocess.run(["argus", "-X", "-S", "86400", "-r", path, "-w", af],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        with_flags = ra_rows(af, True)
        with_state = ra_rows(af, False)
        if len(with_flags) != len(with_state):
            fails.add(name + ": ra printed %d vs %d rows" % (len(with_flags), len(with_state)))
            continue
        argus = defaultdict(list)
        for (sa, sp, da, dp, flags, pkts), st in zip(with_flags, with_state):
            argus[tw.canon_5tuple(6, sa, sp, da, dp)].append((sa, sp, flags, st[4], pkts))
        rc, flows, _, err = tw.sensor_jsonl(sensor, ["-r", path])
        fails.check(rc == 0, name + ": sensor exit status %d: %s" % (rc, err.strip()[:200]))
        ours = defaultdict(list)
        for f in flows:
            if f.get("ip_proto") != 6:
                continue
            k = tw.canon_5tuple(6, f["src_addr"], f.get("src_port", 0), f["dst_addr"],
                                f.get("dst_port", 0))
            ours[k].append(f)
        compared = split = disagree = 0
        for k, recs in sorted(argus.items()):
            o = ours.get(k, [])
            if len(recs) != 1 or len(o) != 1:
                split += 1
                continue
            sa, sp, aflags, astate, apkts = recs[0]
            f = o[0]
            pkts = tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts")
            if pkts != apkts:
                disagree += 1
                print("  %s %s: argus %d packets, ours %d: not compared" % (name, k, apkts, pkts))
                continue
            flags = f.get("argus_flags", "")
            if (f["src_addr"], f.get("src_port", 0)) != (sa, sp) and "_" in flags:
                a, b = flags.split("_", 1)
                flags = b + "_" + a
            compared += 1
            fails.check(f.get("argus_state", "") == astate,
                        "%s %s: argus state %s, ours %s (history %s, conn_state %s)" %
                        (name, k, astate, f.get("argus_state"), f.get("history"),
                         f.get("conn_state")))
            fails.check(flags == aflags, "%s %s: argus flags %s, ours %s (as sent: %s)" %
                        (name, k, aflags, flags, f.get("argus_flags")))
        compared_total += compared
        print("%s: %d argus TCP keys, %d compared, %d split by argus or us, %d packet-count "
              "disagreements" % (name, len(argus), compared, split, disagree))
    fails.check(compared_total >= MIN_COMPARED or len(sys.argv) > 2,
                "only %d flows compared (want at least %d)" % (compared_total, MIN_COMPARED))
    fails.finish("argus cross-check (%d TCP flows compared)" % compared_total)


if __name__ == "__main__":
    sys.exit(main())
