"""The report's numbers on real captures against tshark, computed independently.

For every capture in $TAPWATCH_SHARED/pcaps that carries ICMPv4 echo traffic, the capture goes
sensor -> ZeroMQ -> collector -> SQLite -> report --format json, and the `icmp_lengths` table
(ICMP packets per IP total length) must equal tshark's count of ICMP packets per ip.len. Lengths
are compared only where the report's per-flow length histogram did not overflow (a flow keeps at
most 8 distinct lengths, the rest are counted as "other"); such captures are named in the output.

usage: report_tshark_test.py SENSOR COLLECTOR
"""

import collections
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402


def tshark_icmp_lengths(pcap):
    # Only the outer ICMP header counts (not ICMP quoted inside another ICMP error); tshark
    # prints nested values comma-separated, so the first ip.len is the outer packet's.
    out = subprocess.run(["tshark", "-r", pcap, "-o", "ip.defragment:FALSE", "-Y", "icmp",
                          "-T", "fields", "-e", "ip.len"],
                         capture_output=True, text=True, timeout=120).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        if line.strip():
            counts[int(line.split(",")[0])] += 1
    return counts


def main():
    sensor, collector = sys.argv[1:3]
    shared = tw_common.shared_dir()
    pcaps = sorted(glob.glob(os.path.join(shared, "pcaps", "*.pcap*")))
    if not pcaps:
        tw_common.skip("no captures under %s/pcaps" % shared)
    if subprocess.run(["which", "tshark"], capture_output=True).returncode != 0:
        tw_common.skip("tshark not installed")
    failures = 0
    compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in pcaps:
            name = os.path.basename(pcap)
            want = tshark_icmp_lengths(pcap)
            if not want:
                continue
            db = os.path.join(tmp, os.path.basename(pcap) + ".db")
            report, err = tw_common.pcap_report(sensor, collector, pcap, db)
            if report is None:
                print("FAIL %s: report failed: %s" % (name, err.strip()))
                failures += 1
                continue
            got = collections.Counter()
            overflow = False
            for row in report["icmp_lengths"]["lengths"]:
                if row["ip_length"] == 0:  # histogram overflow bucket ("other")
                    overflow = True
                    continue
                got[row["ip_length"]] += row["packets"]
            if overflow:
                # Only lengths the report kept can be compared; none may exceed tshark's count.
                bad = {k: (v, want.get(k, 0)) for k, v in got.items() if v > want.get(k, 0)}
                ok = not bad
                detail = "histogram overflowed; over-counted lengths %s" % bad
            else:
                ok = got == want
                diff = {k: (got.get(k, 0), want.get(k, 0)) for k in set(got) | set(want)
                        if got.get(k, 0) != want.get(k, 0)}
                detail = "per length (report, tshark): %s" % diff
            compared += 1
            print(("PASS " if ok else "FAIL ") + "%s: %d ICMP packets in %d lengths%s" %
                  (name, sum(want.values()), len(want), "" if ok else "; " + detail))
            failures += 0 if ok else 1
    if compared == 0:
        tw_common.skip("no capture with ICMP found")
    if failures:
        print("FAIL: %d of %d captures differ from tshark" % (failures, compared))
        return 1
    print("PASS: icmp_lengths equal tshark on %d captures" % compared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
