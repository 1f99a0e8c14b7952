#!/usr/bin/env python3
"""An authenticated stream: the sensor publishes with --curve-keys and only a collector whose
key is authorized receives anything. Three real collectors subscribe to one sensor replaying a
capture with 1,000 planted flows:
  authorized   (--curve-keys with a key in the sensor's authorized/)  stores all 1,000 flows
  unauthorized (--curve-keys with a key pair the sensor does not know) stores nothing
  plain        (no CURVE at all)                                      stores nothing
The keys are made by `tapwatch-collector keygen`; the secret key file must be mode 0600. The
counts come from the stores (Python's sqlite3) against the planted 1,000.

Usage: curve_test.py SENSOR COLLECTOR
"""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile

import pcap_writer as pw
import tw_common as tw

FLOWS = 1000


def count(db, table):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
    finally:
        con.close()


def keygen(collector, d, name, fails):
    r = subprocess.run([collector, "keygen", d, name], capture_output=True, text=True)
    fails.check(r.returncode == 0, "keygen %s %s: %s" % (d, name, r.stderr))
    mode = stat.S_IMODE(os.stat(os.path.join(d, name + ".key")).st_mode)
    fails.check(mode == 0o600, "%s.key has mode %o, want 600" % (name, mode))
    with open(os.path.join(d, name + ".pub")) as f:
        fails.check("secret-key" not in f.read(), "%s.pub holds the secret key" % name)


def main():
    sensor, collector = sys.argv[1:3]
    probe = subprocess.run([collector, "keygen", tempfile.mkdtemp(), "probe"],
                           capture_output=True, text=True)
    if probe.returncode != 0 and "no CURVE" in probe.stderr:
        tw.skip("libzmq without CURVE: " + probe.stderr.strip())
    fails = tw.Failures()
    with tempfile.TemporaryDirectory() as tmp:
        sensor_dir = os.path.join(tmp, "sensor")
        good, bad = os.path.join(tmp, "good"), os.path.join(tmp, "bad")
        keygen(collector, sensor_dir, "sensor", fails)
        keygen(collector, good, "collector", fails)
        keygen(collector, bad, "collector", fails)
        # A second keygen never overwrites a key.
        again = subprocess.run([collector, "keygen", good, "collector"], capture_output=True)
        fails.check(again.returncode != 0, "keygen overwrote an existing key")
        os.makedirs(os.path.join(sensor_dir, "authorized"))
        shutil.copy(os.path.join(good, "collector.pub"),
                    os.path.join(sensor_dir, "authorized", "good-collector.pub"))
        for d in (good, bad):
            shutil.copy(os.path.join(sensor_dir, "sensor.pub"), d)

        cap = os.path.join(tmp, "flows.pcap")
        pw.write_udp_flows(cap, FLOWS)
        endpoint = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
        collectors = {}
        for name, extra in (("authorized", ["--curve-keys", good]),
                            ("unauthorized", ["--curve-keys", bad]), ("plain", [])):
            db = os.path.join(tmp, name + ".db")
            stop = ["--exit-after-final", "1"] if name == "authorized" else ["--idle-exit", "4"]
            collectors[name] = (db, subprocess.Popen(
                [collector, "--connect", endpoint, "--db", db, "--quiet"] + stop + extra,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        r = subprocess.run([sensor, "-r", cap, "--publish", endpoint, "--curve-keys", sensor_dir,
                            "--wait-subscribers", "2", "--wait-timeout", "3"],
                           capture_output=True, text=True, timeout=120)
        fails.check(r.returncode == 0, "sensor exit %d: %s" % (r.returncode, r.stderr))
        print("sensor: " + " | ".join(r.stderr.splitlines()))
        # It waits 3 s for a second subscriber that never gets in: meanwhile the unauthorized
        # collector tries and is refused, and says so.
        fails.check("1 of 2 subscribers" in r.stderr,
                    "the sensor did not see exactly one subscriber")
        fails.check("refused a subscriber" in r.stderr,
                    "the sensor did not say it refused the unauthorized collector")
        want = {"authorized": (FLOWS, 1), "unauthorized": (0, 0), "plain": (0, 0)}
        for name, (db, proc) in collectors.items():
            _, err = proc.communicate(timeout=120)
            flows, stats = count(db, "flows"), count(db, "stats")
            print("%s collector: exit %d, %d flows, %d stats" % (name, proc.returncode, flows,
                                                                  stats))
            fails.check(proc.returncode == 0, "%s collector exit %d: %s" %
                        (name, proc.returncode, err))
            fails.check((flows, stats) == want[name], "%s collector stored %d flows, %d stats; "
                        "want %d, %d" % ((name, flows, stats) + want[name]))
        # A sensor without authorized keys would admit nobody: refused at start (status 3).
        os.remove(os.path.join(sensor_dir, "authorized", "good-collector.pub"))
        r = subprocess.run([sensor, "-r", cap, "--publish", endpoint, "--curve-keys", sensor_dir],
                           capture_output=True, text=True, timeout=60)
        fails.check(r.returncode == 3 and "authorized" in r.stderr,
                    "no authorized key: exit %d: %s" % (r.returncode, r.stderr))
    fails.finish("CURVE: only the authorized collector receives records")


if __name__ == "__main__":
    main()
