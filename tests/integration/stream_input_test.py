#!/usr/bin/env python3
"""Captures and logs read from a stream give exactly what the file gives: `-r -`, `-r /dev/stdin`
and a FIFO (pcap and pcapng), `--log -` and `--log /dev/stdin` (plain and gzip), on real captures
and logs of $TAPWATCH_SHARED. Each byte must be read once: a second open of a pipe to look at its
magic took the first bytes away from libpcap.

Usage: stream_input_test.py SENSOR
"""

import gzip
import os
import subprocess
import sys
import tempfile
import threading

import tw_common as tw

# Real captures: the largest classic pcap (12,014 packets), a small one (its FIFO writer is gone
# before the sensor is done opening) and the pcapng ones.
CAPTURES = ["markofu-pcaps__xscan_capture.pcap", "nDPI__synscan.pcap", "markofu-pcaps__icmp.pcap",
            "nDPI__netbios.pcap",
            "chrissanders-packets__activeosfingerprinting.pcapng",
            "zeek__pcapng-multi-interface.pcapng"]
LOGS = ["teliten-log.plemma__ufw.log", "Tetoronie-Scripting-and-Automation__iptables.log"]

COMMON = ["--jsonl", "-", "--idle-timeout", "4000000000", "--active-timeout", "0",
          "--stats-interval", "31536000", "--sensor-id", "itest", "-q", "--hash-seed", "1"]


def run(sensor, args, stdin_bytes=None, stdin_file=None):
    """Runs the sensor with `stdin_bytes` written into a pipe on its standard input, or with
    `stdin_file` (a path) as its standard input; returns (rc, flows, final stats, stderr)."""
    f = open(stdin_file, "rb") if stdin_file else None
    try:
        redirect = {"stdin": f} if f else {"input": stdin_bytes}
        p = subprocess.run([sensor] + args + COMMON, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60, **redirect)
    except subprocess.TimeoutExpired:
        return -1, [], [], "no end after 60 s"
    finally:
        if f:
            f.close()
    flows, stats = tw.parse_jsonl(p.stdout)
    finals = [s for s in stats if s.get("final")]
    return p.returncode, flows, finals, p.stderr.decode("utf-8", "replace")


def run_fifo(sensor, option, data, tmp, extra=()):
    """The sensor reads a FIFO that a thread writes `data` into."""
    fifo = os.path.join(tmp, "input.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "wb") as w:
            try:
                w.write(data)
            except BrokenPipeError:
                pass

    t = threading.Thread(target=writer)
    t.start()
    try:
        return run(sensor, [option, fifo] + list(extra))
    finally:
        t.join(timeout=60)


def packets(finals):
    return tw.u64(finals[0], "total_packets") if finals else -1


def main():
    sensor = sys.argv[1]
    shared = os.path.join(tw.shared_dir(), "pcaps")
    logs = os.path.join(tw.shared_dir(), "logs")
    if not os.path.isdir(shared) or not os.path.isdir(logs):
        tw.skip("no shared captures/logs in %s" % tw.shared_dir())
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_stream_")

    for name in CAPTURES:
        path = os.path.join(shared, name)
        if not os.path.exists(path):
            tw.skip("missing " + path)
        data = open(path, "rb").read()
        rc, want, want_final, err = run(sensor, ["-r", path])
        fails.check(rc == 0 and want, "%s: file: rc %d, %d flows: %s" %
                    (name, rc, len(want), err.strip()))
        ways = [
            ("-r - (pipe)", lambda: run(sensor, ["-r", "-"], stdin_bytes=data)),
            ("-r /dev/stdin (pipe)", lambda: run(sensor, ["-r", "/dev/stdin"], stdin_bytes=data)),
            ("-r /dev/stdin (redirected file)",
             lambda: run(sensor, ["-r", "/dev/stdin"], stdin_file=path)),
            ("-r - (redirected file)", lambda: run(sensor, ["-r", "-"], stdin_file=path)),
            ("-r FIFO", lambda: run_fifo(sensor, "-r", data, tmp)),
        ]
        for how, call in ways:
            rc, got, final, err = call()
            fails.check(rc == 0, "%s: %s: exit status %d: %s" % (name, how, rc, err.strip()))
            fails.check(got == want, "%s: %s: %d flows, the file gives %d (packets %d vs %d)" %
                        (name, how, len(got), len(want), packets(final), packets(want_final)))
            fails.check(packets(final) == packets(want_final),
                        "%s: %s: %d packets, the file gives %d" %
                        (name, how, packets(final), packets(want_final)))
        print("%s: %d packets, %d flows from the file; the same from every stream" %
              (name, packets(want_final), len(want)))

    for name in LOGS:
        path = os.path.join(logs, name)
        if not os.path.exists(path):
            tw.skip("missing " + path)
        data = open(path, "rb").read()
        packed = gzip.compress(data)
        gz = os.path.join(tmp, name + ".gz")
        with open(gz, "wb") as f:
            f.write(packed)
        year = ["--year", "2022"]
        rc, want, want_final, err = run(sensor, ["--log", path] + year)
        fails.check(rc == 0 and want, "%s: file: rc %d, %d flows: %s" %
                    (name, rc, len(want), err.strip()))
        ways = [
            ("--log FILE.gz", lambda: run(sensor, ["--log", gz] + year)),
            ("--log - (pipe)", lambda: run(sensor, ["--log", "-"] + year, stdin_bytes=data)),
            ("--log - (gzip pipe)", lambda: run(sensor, ["--log", "-"] + year,
                                                stdin_bytes=packed)),
            ("--log /dev/stdin (pipe)", lambda: run(sensor, ["--log", "/dev/stdin"] + year,
                                                    stdin_bytes=data)),
            ("--log /dev/stdin (gzip pipe)", lambda: run(sensor, ["--log", "/dev/stdin"] + year,
                                                         stdin_bytes=packed)),
            ("--log FIFO", lambda: run_fifo(sensor, "--log", data, tmp, year)),
        ]
        for how, call in ways:
            rc, got, final, err = call()
            fails.check(rc == 0, "%s: %s: exit status %d: %s" % (name, how, rc, err.strip()))
            fails.check(got == want, "%s: %s: %d flows, the file gives %d" %
                        (name, how, len(got), len(want)))
            fails.check(packets(final) == packets(want_final),
                        "%s: %s: %d packets, the file gives %d" %
                        (name, how, packets(final), packets(want_final)))
        print("%s: %d packets, %d flows from the file; the same from every stream" %
              (name, packets(want_final), len(want)))
    fails.finish("stream input")


if __name__ == "__main__":
    sys.exit(main())
