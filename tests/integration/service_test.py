#!/usr/bin/env python3
"""The collector as a service: a --config file read by both executables, --retain-days, and a
SIGTERM that loses no received record. Real processes, ZeroMQ on loopback, the store read with
Python's own sqlite3.

1. Config and retention: one file configures both programs ([sensor], [collector] sections).
   The collector runs continuously with retain-days = 2 (checked every second). A sensor sends
   200 flows from an hour ago, another 300 flows from ten days ago: the 200 stay, the 300 are
   deleted while it runs, and the counts it prints (stderr lines, summary) say 300.
2. SIGTERM: with commits held back (--commit-ms one hour) the store has no flow committed after
   a sensor sent 5,000; SIGTERM, and all 5,000 are in the store.

Usage: service_test.py SENSOR COLLECTOR
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import pcap_writer as pw
import tw_common as tw

DAY_S = 86400


def count(db, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def wait_until(what, predicate, timeout_s=60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    print("  timed out waiting for " + what)
    return False


def run_sensor(sensor, args):
    r = subprocess.run([sensor] + args, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stderr


def config_and_retention(sensor, collector, tmp, fails):
    endpoint = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
    db = os.path.join(tmp, "retain.db")
    now = int(time.time())
    recent, old = os.path.join(tmp, "recent.pcap"), os.path.join(tmp, "old.pcap")
    pw.write_udp_flows(recent, 200, start_s=now - 3600)
    pw.write_udp_flows(old, 300, start_s=now - 10 * DAY_S)
    conf = os.path.join(tmp, "tapwatch.conf")
    with open(conf, "w") as f:
        f.write("# both programs, one file\n"
                "[sensor]\n"
                "publish = %s\n"
                "--wait-subscribers=1\n"
                "idle-timeout = 4000000000\n"
                "q\n"
                "[collector]\n"
                "connect = %s\n"
                "db = %s\n"
                "retain-days = 2\n"
                "retain-every = 1\n" % (endpoint, endpoint, db))
    err_path = os.path.join(tmp, "collector.err")
    with open(err_path, "w") as err:
        col = subprocess.Popen([collector, "--config", conf], stdout=subprocess.PIPE, stderr=err,
                               text=True)
    try:
        rc, err = run_sensor(sensor, ["--config", conf, "-r", recent, "--sensor-id", "recent"])
        fails.check(rc == 0, "sensor (recent) exit %d: %s" % (rc, err))
        fails.check(wait_until("200 recent flows", lambda: os.path.exists(db) and count(
            db, "SELECT count(*) FROM flows") == 200), "recent flows not stored")
        rc, err = run_sensor(sensor, ["--config", conf, "-r", old, "--sensor-id", "old"])
        fails.check(rc == 0, "sensor (old) exit %d: %s" % (rc, err))

        def deleted_flows():
            with open(err_path) as f:
                return sum(int(n) for n in re.findall(r"deleted (\d+) flows", f.read()))
        fails.check(wait_until("300 flows deleted", lambda: deleted_flows() >= 300),
                    "old flows not deleted while running")
        fails.check(col.poll() is None, "collector exited on its own")
    finally:
        col.send_signal(signal.SIGTERM)
        out, _ = col.communicate(timeout=60)
    fails.check(col.returncode == 0, "collector exit status %d" % col.returncode)
    cutoff_ns = (now - 2 * DAY_S) * 10**9
    flows = count(db, "SELECT count(*) FROM flows")
    old_left = count(db, "SELECT count(*) FROM flows WHERE start_ns < %d" % cutoff_ns)
    old_stats = count(db, "SELECT count(*) FROM stats WHERE sensor_id = 'old'")
    print("retention: %d flows kept, %d older than 2 days left, %d old stats left; summary: %s"
          % (flows, old_left, old_stats, " | ".join(out.splitlines())))
    fails.check(flows == 200, "want the 200 recent flows kept, have %d" % flows)
    fails.check(old_left == 0, "%d flows older than 2 days left" % old_left)
    fails.check(old_stats == 0, "%d stats rows of the old sensor left" % old_stats)
    fails.check(re.search(r"^expired 300 flows, \d+ stats older than 2 days$", out, re.M),
                "summary does not count 300 expired flows: " + out)


def sigterm_commits(sensor, collector, tmp, fails):
    endpoint = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
    db = os.path.join(tmp, "sigterm.db")
    cap = os.path.join(tmp, "five_thousand.pcap")
    pw.write_udp_flows(cap, 5000)
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--commit-ms",
                            "3600000", "--commit-rows", "100000000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rc, err = run_sensor(sensor, ["-r", cap, "--publish", endpoint, "-q"])
        fails.check(rc == 0, "sensor exit %d: %s" % (rc, err))
        time.sleep(1)
        before = count(db, "SELECT count(*) FROM flows")
        fails.check(before == 0, "%d flows committed before SIGTERM (commits were held back)"
                    % before)
    finally:
        col.send_signal(signal.SIGTERM)
        out, err = col.communicate(timeout=60)
    after = count(db, "SELECT count(*) FROM flows")
    print("SIGTERM: %d flows committed before, %d after; collector exit %d: %s"
          % (before, after, col.returncode, " | ".join(out.splitlines())))
    fails.check(col.returncode == 0, "collector exit status %d: %s" % (col.returncode, err))
    fails.check(after == 5000, "want 5000 flows after SIGTERM, have %d" % after)


def main():
    sensor, collector = sys.argv[1:3]
    fails = tw.Failures()
    with tempfile.TemporaryDirectory() as tmp:
        config_and_retention(sensor, collector, tmp, fails)
        sigterm_commits(sensor, collector, tmp, fails)
    fails.finish("collector service: config file, retention, SIGTERM")


if __name__ == "__main__":
    main()
