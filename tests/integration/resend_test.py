#!/usr/bin/env python3
"""A collector killed (-9) in the middle of a replay, restarted on the same store: nothing lost.

Usage: resend_test.py SENSOR COLLECTOR GENERATOR

The generator (gen_udp_flows.cc) writes N single-packet UDP flows with distinct 5-tuples (N =
1,000,000; 200,000 under sanitizers). The sensor replays them with --resend (a small memory
buffer, the rest spooled to disk); the first collector is killed with SIGKILL once it has
committed some flows, while the sensor goes on publishing into the void; a second collector
opens the same store. The truth is the generator's: N flows, every (src_addr, src_port) once.
Asserted:
  1. the store holds exactly N flow rows, N distinct sources (each flow stored once), and the
     sensors table says 0 lost, 0 unrecoverable, some records recovered by a resend (the kill
     lost records in flight: the test fails if the mechanism was not exercised);
  2. the sensor's summary says records were asked for and 0 were lost;
  3. with a buffer too small to cover the outage (--replay-buffer 1000, no spool) what had left
     it is counted lost on both sides, the same number: the collector's unrecoverable, the
     sensor's "lost (had left the buffer)", and N flows = stored + lost flows.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import tw_common as tw


def flows_committed(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        n = con.execute("SELECT COUNT(*) FROM flows").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return 0


def run(sensor, collector, pcap, tmp, name, sensor_extra, fails):
    """Replay with one collector kill; returns (sensor stderr, store path)."""
    db = os.path.join(tmp, name + ".db")
    port = tw.free_tcp_port()
    endpoint = "tcp://127.0.0.1:%d" % port
    resend = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
    cmd = [collector, "--connect", endpoint, "--db", db, "--exit-after-final", "1"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = subprocess.Popen([sensor, "-r", pcap, "--publish", endpoint, "--resend", resend,
                          "--sensor-id", name, "--idle-timeout", "udp=5", "--wait-timeout", "60",
                          "--max-flows", "262144"] + sensor_extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill once some flows are committed: the store is mid-load, records are in flight.
    deadline = time.time() + 120
    while flows_committed(db) < 20_000 and time.time() < deadline and s.poll() is None:
        time.sleep(0.05)
    first.kill()
    first.wait()
    killed_at = flows_committed(db)
    time.sleep(0.3)  # the sensor publishes with nobody listening: those records are lost
    second = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    serr = s.communicate(timeout=600)[1].decode()
    print("%s: killed with %d flows committed; restarted collector: rc %d: %s %s" %
          (name, killed_at, second.returncode, second.stdout.decode().strip(),
           second.stderr.decode().strip()))
    print("%s: sensor rc %d: %s" % (name, s.returncode, serr.strip()))
    fails.check(s.returncode == 0, "%s: sensor exit status %d" % (name, s.returncode))
    fails.check(second.returncode == 0,
                "%s: collector exit status %d" % (name, second.returncode))
    fails.check(killed_at < 900_000, "%s: the kill came too late (%d flows)" % (name, killed_at))
    return serr, db


def main():
    sensor, collector, generator = sys.argv[1:4]
    fails = tw.Failures()
    n = 200_000 if tw.sanitized() else 1_000_000
    if tw.sanitized():
        print("sanitizer build (TAPWATCH_SANITIZED=1): %d flows instead of 1,000,000" % n)
    tmp = tempfile.mkdtemp(prefix="tw_resend_")
    try:
        pcap = os.path.join(tmp, "udp_flows.pcap")
        subprocess.run([generator, pcap, str(n), "100"], check=True, timeout=120)
        spool = os.path.join(tmp, "spool")
        os.mkdir(spool)

        # 1 and 2: the buffer covers the outage.
        serr, db = run(sensor, collector, pcap, tmp, "whole",
                       ["--replay-buffer", "65536", "--spool", spool], fails)
        con = sqlite3.connect(db)
        rows, srcs = con.execute("SELECT COUNT(*), COUNT(DISTINCT src_addr || ':' || src_port) "
                                 "FROM flows").fetchone()
        fails.check(rows == n, "whole: %d flow rows, generated %d" % (rows, n))
        fails.check(srcs == n, "whole: %d distinct sources, generated %d" % (srcs, n))
        gaps, unrec, recovered, dups = con.execute(
            "SELECT gaps, unrecoverable, recovered, duplicates FROM sensors "
            "WHERE sensor_id = 'whole'").fetchone()
        fails.check(gaps == 0 and unrec == 0, "whole: sensors says %d lost, %d unrecoverable" %
                    (gaps, unrec))
        fails.check(recovered > 0, "whole: nothing recovered: the resend was not exercised")
        m = re.search(r"(\d+) records asked for, (\d+) sent again, (\d+) lost", serr)
        if fails.check(m is not None, "whole: no resend line in the sensor's summary"):
            fails.check(int(m.group(1)) > 0, "whole: the sensor was asked for nothing")
            fails.check(int(m.group(3)) == 0, "whole: the sensor lost %s" % m.group(3))
        con.close()
        print("whole: %d rows, %d distinct, recovered %d, duplicates %d" %
              (rows, srcs, recovered, dups))

        # 3: a buffer too small: what left it is lost, counted the same on both sides.
        serr, db = run(sensor, collector, pcap, tmp, "small", ["--replay-buffer", "1000"], fails)
        con = sqlite3.connect(db)
        rows, srcs = con.execute("SELECT COUNT(*), COUNT(DISTINCT src_addr || ':' || src_port) "
                                 "FROM flows").fetchone()
        gaps, unrec, received, last_seq = con.execute(
            "SELECT gaps, unrecoverable, received, last_seq FROM sensors "
            "WHERE sensor_id = 'small'").fetchone()
        stats = con.execute("SELECT COUNT(*) FROM stats").fetchone()[0]
        con.close()
        m = re.search(r"(\d+) records asked for, (\d+) sent again, (\d+) lost", serr)
        if fails.check(m is not None, "small: no resend line in the sensor's summary"):
            fails.check(int(m.group(3)) == unrec,
                        "small: sensor lost %s, collector unrecoverable %d" % (m.group(3), unrec))
        fails.check(unrec > 0, "small: nothing left the 1000-record buffer during the outage")
        fails.check(gaps == unrec, "small: lost %d, unrecoverable %d" % (gaps, unrec))
        fails.check(rows == srcs, "small: %d rows, %d distinct sources" % (rows, srcs))
        # Every record the sensor sent is a stored flow, a stored stats record or lost.
        sent = re.search(r"(\d+) records sent", serr)
        if fails.check(sent is not None, "small: no 'records sent' in the sensor's summary"):
            fails.check(rows + stats + gaps == int(sent.group(1)),
                        "small: %d flows + %d stats + %d lost != %s sent" %
                        (rows, stats, gaps, sent.group(1)))
        fails.check(rows < n, "small: %d flows stored, but records were lost" % rows)
        print("small: %d rows, lost %d (unrecoverable %d), received %d of %d" %
              (rows, gaps, unrec, received, last_seq))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fails.finish("resend")


if __name__ == "__main__":
    sys.exit(main())
