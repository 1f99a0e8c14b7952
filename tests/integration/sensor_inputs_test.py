#!/usr/bin/env python3
"""Inputs given in pieces: several -r files, and firewall logs without --year.

Usage: sensor_inputs_test.py SENSOR

1. Several -r: a real capture (markofu-pcaps__attack-trace.pcap, 348 packets) cut in two halves
   named second half first, and cut into odd and even packets (two files overlapping in time),
   gives the same flow records as the whole capture: the sensor merges its files by packet time.
2. --log without --year: exactly one warning line on stderr, naming the year the year-less
   timestamps were given (the file's modification year); with --year, none.
"""

import os
import struct
import sys
import tempfile

import tw_common as tw

CAPTURE = "markofu-pcaps__attack-trace.pcap"


def read_pcap(path):
    """(global header, [records]) of a classic little- or big-endian pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(path + ": not a classic pcap file")
    records, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        records.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return data[:24], records


def write_pcap(path, header, records):
    with open(path, "wb") as f:
        f.write(header + b"".join(records))


def canonical(flows):
    return sorted(repr(sorted(f.items())) for f in flows)


def several_files(sensor, pdir, tmp, fails):
    path = os.path.join(pdir, CAPTURE)
    if not os.path.exists(path):
        tw.skip("missing " + path)
    header, records = read_pcap(path)
    rc, whole, _, err = tw.sensor_jsonl(sensor, ["-r", path])
    fails.check(rc == 0 and len(whole) > 0, "whole capture: exit %d, %d flows: %s" %
                (rc, len(whole), err.strip()[:200]))
    half = len(records) // 2
    a, b = os.path.join(tmp, "first.pcap"), os.path.join(tmp, "second.pcap")
    write_pcap(a, header, records[:half])
    write_pcap(b, header, records[half:])
    odd, even = os.path.join(tmp, "odd.pcap"), os.path.join(tmp, "even.pcap")
    write_pcap(odd, header, records[1::2])
    write_pcap(even, header, records[0::2])
    for name, files in (("halves, second first", [b, a]), ("halves in order", [a, b]),
                        ("odd and even packets", [odd, even])):
        args = []
        for f in files:
            args += ["-r", f]
        rc, flows, stats, err = tw.sensor_jsonl(sensor, args)
        fails.check(rc == 0, "%s: exit %d: %s" % (name, rc, err.strip()[:200]))
        same = canonical(flows) == canonical(whole)
        fails.check(same, "%s: %d flow records differ from the whole capture's %d" %
                    (name, len(flows), len(whole)))
        finals = [s for s in stats if s.get("final")]
        fails.check(len(finals) == 1 and tw.u64(finals[0], "total_packets") == len(records),
                    "%s: final stats record does not count %d packets" % (name, len(records)))
        print("%s: %d flows, %s the whole capture's" % (name, len(flows),
                                                        "same as" if same else "NOT"))


LINE = ("{stamp} fw kernel: INBOUND TCP: IN=br0 SRC=1.2.3.4 DST=5.6.7.8 LEN=40 TOS=0x00 "
        "PREC=0x00 TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0\n")


def log_year(sensor, tmp, fails):
    log = os.path.join(tmp, "fw.log")
    with open(log, "w") as f:
        f.write(LINE.format(stamp="Feb  1 00:00:02") + LINE.format(stamp="Feb  1 00:00:03"))
    when = 1078488000  # 2004-03-05 12:00:00 UTC
    os.utime(log, (when, when))
    for args, want in ((["-q"], 1), ([], 1), (["-q", "--year", "2004"], 0)):
        rc, out, err = tw.run_sensor(sensor, ["--log", log, "--jsonl", "-"] + args)
        fails.check(rc == 0, "--log %s: exit %d: %s" % (args, rc, err.strip()[:200]))
        warnings = [l for l in err.splitlines() if "--year" in l]
        fails.check(len(warnings) == want, "--log %s: %d warning lines about --year, want %d: %s"
                    % (args, len(warnings), want, err.strip()[:400]))
        if want:
            fails.check(bool(warnings) and "2004" in warnings[0] and "warning" in warnings[0],
                        "--log %s: the warning names neither the year nor itself: %s" %
                        (args, warnings))
        flows, _ = tw.parse_jsonl(out)
        fails.check(len(flows) == 1 and tw.u64(flows[0], "start_ns") // 10**9 == 1075593602,
                    "--log %s: want one flow starting 2004-02-01 00:00:02 UTC" % args)
        print("--log %s: %s" % (args, warnings[0] if warnings else "(no warning)"))


def main():
    sensor = sys.argv[1]
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_inputs_")
    log_year(sensor, tmp, fails)
    pdir = os.path.join(tw.shared_dir(), "pcaps")
    if not os.path.isdir(pdir):
        tw.skip("no shared captures in " + pdir)
    several_files(sensor, pdir, tmp, fails)
    fails.finish("sensor inputs")


if __name__ == "__main__":
    sys.exit(main())
