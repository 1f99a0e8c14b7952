"""Shared helpers of the integration tests (python3, standard library only).

Every test is a script run by CTest. Exit status: 0 pass, 1 fail, 77 skipped (registered with
SKIP_RETURN_CODE 77). Skips print a visible reason; under CI=true a skip becomes a failure.
"""

import json
import os
import socket
import subprocess
import sys

SKIP = 77


def ci():
    return os.environ.get("CI", "") == "true"


def sanitized():
    return os.environ.get("TAPWATCH_SANITIZED", "") not in ("", "0")


def skip(reason):
    """Skips visibly, or fails when CI=true."""
    if ci():
        print("FAIL (CI=true, would skip): " + reason)
        sys.exit(1)
    print("SKIPPED: " + reason)
    sys.exit(SKIP)


def shared_dir():
    """$TAPWATCH_SHARED, else <repo>/../shared (the repo is two levels above this file)."""
    env = os.environ.get("TAPWATCH_SHARED")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo), "shared")


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pcap_report(sensor, collector, pcap, db, report_args=()):
    """Replays `pcap` through sensor -> ZeroMQ -> collector into `db` (timeouts longer than any
    capture, so no flow ends inside it) and returns (report JSON, "") or (None, stderr)."""
    endpoint = "tcp://127.0.0.1:%d" % free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            "1", "--idle-exit", "60", "--quiet"])
    subprocess.run([sensor, "-r", pcap, "--publish", endpoint, "--wait-subscribers", "1",
                    "--idle-timeout", "4000000000", "--active-timeout", "0", "-q"],
                   capture_output=True, timeout=300)
    col.wait(timeout=300)
    r = subprocess.run([collector, "report", "--db", db, "--format", "json"] + list(report_args),
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, r.stderr
    return json.loads(r.stdout), ""


class Failures:
    """Collects failures so one run reports all of them, capped per key."""

    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)
        if len(self.items) <= 200:
            print("  MISMATCH: " + msg)

    def check(self, cond, msg):
        if not cond:
            self.add(msg)
        return cond

    def finish(self, what):
        if self.items:
            print("FAIL: %s: %d mismatches" % (what, len(self.items)))
            sys.exit(1)
        print("PASS: " + what)
        sys.exit(0)


def run_sensor(sensor, args, timeout=120):
    """Runs tapwatch-sensor; returns (returncode, stdout bytes, stderr text)."""
    p = subprocess.run([sensor] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def sensor_jsonl(sensor, inputs, extra=(), timeout=120):
    """Reads captures with timeouts longer than any capture; returns (rc, flows, stats, stderr).

    `inputs` is the argument list naming the input (["-r", path] or ["-i", iface]).
    """
    args = list(inputs) + ["--jsonl", "-", "--idle-timeout", "4000000000", "--active-timeout", "0",
                           "--stats-interval", "31536000", "--sensor-id", "itest", "-q",
                           "--hash-seed", "1"] + list(extra)
    rc, out, err = run_sensor(sensor, args, timeout)
    flows, stats = parse_jsonl(out)
    return rc, flows, stats, err


def parse_jsonl(data):
    flows, stats = [], []
    for line in data.decode("utf-8").splitlines():
        if not line.strip():
            continue
        env = json.loads(line)
        if "flow" in env:
            flows.append(env["flow"])
        elif "stats" in env:
            stats.append(env["stats"])
        else:
            raise ValueError("envelope with neither flow nor stats: " + line[:200])
    return flows, stats


def u64(record, name):
    """A uint64 field of the Protobuf JSON mapping (a string, absent when 0)."""
    return int(record.get(name, 0))


def canon_pair(a, b):
    return (a, b) if a <= b else (b, a)


def canon_5tuple(proto, sa, sp, da, dp):
    """Bidirectional key: the smaller (address, port) end first."""
    x, y = (sa, sp), (da, dp)
    if y < x:
        x, y = y, x
    return (proto, x[0], x[1], y[0], y[1])
