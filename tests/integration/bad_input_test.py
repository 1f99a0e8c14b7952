#!/usr/bin/env python3
"""Bad input on the command line of tapwatch-sensor: one clear line naming the problem, the right
exit status (2 usage, 3 start-up, 1 damaged or useless input), and no crash (no signal, no
sanitizer report).

Usage: bad_input_test.py SENSOR
"""

import gzip
import os
import re
import subprocess
import sys
import tempfile

import pcap_writer as pw
import tw_common as tw


def main():
    sensor = sys.argv[1]
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_badinput_")

    # A small valid capture: 10 single-packet UDP flows (payload 10 bytes, frame 52 bytes).
    frames = [pw.udp_frame(pw.v4("10.1.0.1"), pw.v4("10.2.0.%d" % (i + 1)), 1000 + i, 53,
                           b"0123456789") for i in range(10)]
    good = os.path.join(tmp, "good.pcap")
    offsets = []
    with open(good, "wb") as f:
        f.write(pw.global_header())
        for i, fr in enumerate(frames):
            offsets.append(f.tell())
            f.write(pw.record(1_000_000 + i, fr))
    good_bytes = open(good, "rb").read()

    # Truncated in the middle of record 7 (0-based): 7 complete records before it.
    trunc = os.path.join(tmp, "trunc.pcap")
    with open(trunc, "wb") as f:
        f.write(good_bytes[:offsets[7] + 16 + 20])
    # Linktype 147 (DLT_USER0): a valid file of a link type nobody decodes.
    lt147 = os.path.join(tmp, "lt147.pcap")
    with open(lt147, "wb") as f:
        f.write(pw.global_header(linktype=147) + pw.record(1, b"\0" * 40))
    # Not a capture at all.
    garbage = os.path.join(tmp, "garbage.pcap")
    with open(garbage, "wb") as f:
        f.write(b"this is not a capture file, just text\n" * 4)

    no_pub = ["--jsonl", os.devnull]
    cases = [
        # (name, args, expected status, regex the one stderr line must match)
        ("missing file", ["-r", os.path.join(tmp, "nope.pcap")] + no_pub, 3,
         r"nope\.pcap.*(no such|not found|cannot)"),
        ("unknown option", ["-r", good, "--frobnicate"] + no_pub, 2, r"--frobnicate"),
        ("option without value", ["-r", good, "--max-flows"], 2, r"--max-flows"),
        ("bad number", ["-r", good, "--stats-interval", "ten"] + no_pub, 2,
         r"--stats-interval.*ten"),
        ("no input", no_pub, 2, r"input|-r"),
        ("bad BPF", ["-r", good, "tcp", "port", "notaport"] + no_pub, 2,
         r"(?i)BPF.*notaport|notaport.*BPF"),
        ("unknown link type", ["-r", lt147] + no_pub, 3, r"lt147\.pcap.*link type.*147"),
        ("not a capture", ["-r", garbage] + no_pub, 3, r"garbage\.pcap"),
        ("missing interface", ["-i", "tw-no-such-if0"] + no_pub, 3, r"tw-no-such-if0"),
    ]
    for name, args, want_rc, pattern in cases:
        rc, _, err = tw.run_sensor(sensor, ["-q"] + args, timeout=30)
        lines = [l for l in err.splitlines() if l.strip()]
        fails.check(rc == want_rc, "%s: exit status %d, want %d (stderr: %s)" %
                    (name, rc, want_rc, err.strip()[:300]))
        fails.check(len(lines) == 1, "%s: want one stderr line, got %d: %s" %
                    (name, len(lines), err.strip()[:500]))
        fails.check(bool(lines) and re.search(pattern, lines[0]) is not None,
                    "%s: stderr does not name the problem (want /%s/): %s" %
                    (name, pattern, err.strip()[:300]))
        print("%s: rc %d: %s" % (name, rc, lines[0] if lines else "(no stderr)"))

    # Truncated capture: everything before the damage is processed, offset and count reported.
    rc, flows, stats, err = tw.sensor_jsonl(sensor, ["-r", trunc])
    print("truncated: rc %d: %s" % (rc, err.strip()))
    fails.check(rc == 1, "truncated: exit status %d, want 1" % rc)
    fails.check("byte offset %d" % offsets[7] in err,
                "truncated: want 'byte offset %d' in stderr: %s" % (offsets[7], err.strip()))
    fails.check(len(err.strip().splitlines()) == 1, "truncated: want one stderr line (-q)")
    pkts = sum(tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts") for f in flows)
    fails.check(len(flows) == 7 and pkts == 7,
                "truncated: want the 7 complete packets in 7 flows, got %d flows %d packets" %
                (len(flows), pkts))
    finals = [s for s in stats if s.get("final")]
    fails.check(len(finals) == 1 and tw.u64(finals[0], "total_packets") == 7,
                "truncated: want a final stats record with total_packets 7")

    # The good file, read twice in sequence, and a damaged file after a good one.
    rc, flows, _, err = tw.sensor_jsonl(sensor, ["-r", good, "-r", trunc])
    pkts = sum(tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts") for f in flows)
    fails.check(rc == 1 and pkts == 17,
                "good then truncated: rc %d (want 1), %d packets (want 17)" % (rc, pkts))

    # The same truncated capture from a pipe: the same packets, the same line.
    p = subprocess.run([sensor, "-r", "-", "--jsonl", os.devnull, "-q"],
                       input=open(trunc, "rb").read(), capture_output=True, timeout=60)
    perr = p.stderr.decode("utf-8", "replace").strip()
    fails.check(p.returncode == 1 and "byte offset %d after 7 complete packets" % offsets[7] in perr,
                "truncated from a pipe: rc %d: %s" % (p.returncode, perr))

    # A gzip log cut short: the lines before the cut, one line naming the file and the count.
    lines = "".join("Feb  1 00:%02d:%02d fw kernel: DROP: IN=eth0 OUT= SRC=10.0.%d.%d DST=10.9.0.1 "
                    "LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP SPT=%d DPT=80 WINDOW=512 "
                    "RES=0x00 SYN URGP=0\n" % (i // 60 % 60, i % 60, i // 250, i % 250, 1024 + i)
                    for i in range(2000)).encode()
    packed = gzip.compress(lines)
    cut = os.path.join(tmp, "cut.log.gz")
    with open(cut, "wb") as f:
        f.write(packed[:len(packed) // 2])
    rc, flows, stats, err = tw.sensor_jsonl(sensor, ["--log", cut, "--year", "2004"])
    got = [l for l in err.splitlines() if l.strip()]
    print("cut gzip log: rc %d: %s" % (rc, err.strip()))
    fails.check(rc == 1, "cut gzip log: exit status %d, want 1" % rc)
    fails.check(len(got) == 1 and re.search(r"cut\.log\.gz: damaged input after (\d+) lines.*gzip",
                                            got[0]) is not None,
                "cut gzip log: want one line naming the file and the lines read: %s" % err.strip())
    m = re.search(r"after (\d+) lines", err)
    fails.check(m is not None and 0 < len(flows) == int(m.group(1)) < 2000,
                "cut gzip log: want one flow per complete line before the cut, got %d (%s)" %
                (len(flows), m.group(1) if m else "no count"))

    # Real inputs of $TAPWATCH_SHARED: logs with no packet line, a capture cut by its author.
    shared = tw.shared_dir()
    real = [
        ("Apache access log", ["--log", os.path.join(
            shared, "logs", "wagaken-first-step-for-log-analysis__access_log")], 1,
         r"access_log: no packet line in 90 lines"),
        ("Cisco ASA log", ["--log", os.path.join(
            shared, "logs", "munetworkforensics-Ch8-EventLogs__firewall.log")], 1,
         r"firewall\.log: no packet line in 6556 lines"),
        ("capture cut by its author", ["-r", os.path.join(
            shared, "pcaps", "markofu-pcaps__http-fault-post.pcap")], 1,
         r"http-fault-post\.pcap: damaged input at byte offset \d+ after 25 complete packets"),
    ]
    for name, args, want_rc, pattern in real:
        if not os.path.exists(args[1]):
            if tw.ci():
                fails.add("%s: missing %s (CI=true)" % (name, args[1]))
            else:
                print("SKIPPED %s: missing %s" % (name, args[1]))
            continue
        rc, flows, _, err = tw.sensor_jsonl(sensor, args)
        got = [l for l in err.splitlines() if l.strip()]
        print("%s: rc %d, %d flows: %s" % (name, rc, len(flows), err.strip()))
        fails.check(rc == want_rc, "%s: exit status %d, want %d" % (name, rc, want_rc))
        fails.check(len(got) == 1 and re.search(pattern, got[0]) is not None,
                    "%s: want one line /%s/, got: %s" % (name, pattern, err.strip()))
        if args[0] == "-r":
            fails.check(len(flows) > 0, "%s: the packets before the damage make flows" % name)
    fails.finish("bad input")


if __name__ == "__main__":
    sys.exit(main())
