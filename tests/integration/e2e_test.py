#!/usr/bin/env python3
"""End to end: tapwatch-sensor -> ZeroMQ -> tapwatch-collector -> SQLite, a million flows.

Usage: e2e_test.py SENSOR COLLECTOR GENERATOR

The generator (gen_udp_flows.cc) writes N single-packet UDP flows with distinct 5-tuples (N =
1,000,000; 200,000 under sanitizers, said in the output). The collector subscribes first; the
sensor replays the file with --wait-subscribers 1. The truth is the generator's: N flows, N
packets, 46 N wire bytes, every (src_addr, src_port) once. Asserted:
  - SQLite holds exactly N flow rows with those sums and N distinct sources; evicted records
    (few: 8-way buckets) equal the sensor's count in its summary and stats;
  - flow rows + stats rows = the records the sensor says it sent, sequence numbers 1..sent all
    present (nothing lost at the start: slow joiner; nor at the end: linger), the sensors table
    says received = sent, 0 gaps, 0 duplicates, last_seq = sent, one final record;
  - the stats rows add up: packets = N and the final record's total_packets = N.
Also: with --wait-subscribers 1 and nobody subscribing, the sensor finishes within its wait
timeout (plus a margin), exit status 0, saying how many subscribers it saw.
"""

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

import tw_common as tw


def main():
    sensor, collector, generator = sys.argv[1:4]
    fails = tw.Failures()
    n = 200_000 if tw.sanitized() else 1_000_000
    if tw.sanitized():
        print("sanitizer build (TAPWATCH_SANITIZED=1): %d flows instead of 1,000,000" % n)
    tmp = tempfile.mkdtemp(prefix="tw_e2e_")
    pcap = os.path.join(tmp, "udp_flows.pcap")
    db = os.path.join(tmp, "store.db")
    subprocess.run([generator, pcap, str(n), "100"], check=True, timeout=120)
    endpoint = "tcp://127.0.0.1:%d" % tw.free_tcp_port()

    t0 = time.time()
    coll = subprocess.Popen([collector, "--connect", endpoint, "--db", db,
                             "--exit-after-final", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        # Idle timeout 5 s of packet time at one flow per 100 us: ~50k live flows, no eviction.
        s = subprocess.run([sensor, "-r", pcap, "--publish", endpoint, "--wait-subscribers", "1",
                            "--wait-timeout", "60", "--sensor-id", "e2e", "--idle-timeout",
                            "udp=5", "--stats-interval", "10", "--max-flows", "262144"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=500)
        serr = s.stderr.decode()
        t_sensor = time.time() - t0
        cout, cerr = coll.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        coll.kill()
        coll.communicate()
        print("FAIL: timed out")
        return 1
    t_all = time.time() - t0
    print("sensor: rc %d, %.1f s: %s" % (s.returncode, t_sensor, serr.strip()))
    print("collector: rc %d, %.1f s total: %s %s" % (coll.returncode, t_all, cout.decode().strip(),
                                                      cerr.decode().strip()))
    fails.check(s.returncode == 0, "sensor exit status %d" % s.returncode)
    fails.check(coll.returncode == 0, "collector exit status %d" % coll.returncode)
    m = re.search(r"(\d+) records sent, (\d+) send drops", serr)
    if not fails.check(m is not None, "no 'records sent' in the sensor's summary"):
        fails.finish("e2e")
    sent, drops = int(m.group(1)), int(m.group(2))
    fails.check(drops == 0, "sensor reports %d send drops in file replay" % drops)

    con = sqlite3.connect(db)
    q = lambda sql: con.execute(sql).fetchone()
    rows, pkts, wire, srcs = q("SELECT COUNT(*), SUM(src_pkts + dst_pkts), "
                               "SUM(src_wire_bytes + dst_wire_bytes), "
                               "COUNT(DISTINCT src_addr || ':' || src_port) FROM flows "
                               "WHERE sensor_id = 'e2e'")
    fails.check(rows == n, "flow rows %d, generated flows %d" % (rows, n))
    fails.check(pkts == n, "packets in flows %s, generated %d" % (pkts, n))
    fails.check(wire == 46 * n, "wire bytes in flows %s, generated %d" % (wire, 46 * n))
    fails.check(srcs == n, "distinct sources %d, generated %d" % (srcs, n))
    # The table is 8-way set associative: a few evictions from full buckets are expected even at
    # ~20% load; each is exported (end reason "evicted") and counted in the stats and summary.
    evicted = q("SELECT COUNT(*) FROM flows WHERE end_reason = 'evicted'")[0]
    stats_rows, spkts, sevicted = q("SELECT COUNT(*), SUM(packets), SUM(flows_evicted) FROM stats "
                                    "WHERE sensor_id = 'e2e'")
    me = re.search(r"\((\d+) evicted\)", serr)
    fails.check(me is not None and int(me.group(1)) == evicted == sevicted,
                "evicted: %d rows, %s in stats, summary says %s" %
                (evicted, sevicted, me.group(1) if me else None))
    fails.check(evicted < n // 100, "%d evictions at ~20%% table load" % evicted)
    fails.check(rows + stats_rows == sent, "flow rows %d + stats rows %d != %d records sent" %
                (rows, stats_rows, sent))
    fails.check(spkts == n, "stats packets sum %s, generated %d" % (spkts, n))
    final = con.execute("SELECT total_packets FROM stats WHERE sensor_id = 'e2e' AND is_final = 1"
                        ).fetchall()
    fails.check(final == [(n,)], "final stats rows %s, want one with total_packets %d" % (final, n))
    lo, hi, distinct = q("SELECT MIN(seq), MAX(seq), COUNT(DISTINCT seq) FROM "
                         "(SELECT seq FROM flows WHERE sensor_id = 'e2e' UNION ALL "
                         "SELECT seq FROM stats WHERE sensor_id = 'e2e')")
    fails.check(lo == 1, "first sequence number stored %s, want 1 (slow joiner lost records)" % lo)
    fails.check(hi == sent, "last sequence number stored %s, want %d (lost at the end)" % (hi, sent))
    fails.check(distinct == sent, "%d distinct sequence numbers, want %d" % (distinct, sent))
    srow = con.execute("SELECT received, gaps, duplicates, last_seq, final_records FROM sensors "
                       "WHERE sensor_id = 'e2e'").fetchall()
    fails.check(srow == [(sent, 0, 0, sent, 1)],
                "sensors row %s, want (received %d, gaps 0, duplicates 0, last_seq %d, final 1)" %
                (srow, sent, sent))
    con.close()
    print("%d flows, %d records sent, sensor %.1f s, end to end %.1f s" % (n, sent, t_sensor, t_all))

    # Nobody subscribes: the sensor waits at most --wait-timeout, then runs to completion.
    small = os.path.join(tmp, "small.pcap")
    subprocess.run([generator, small, "50", "1000"], check=True, timeout=60)
    endpoint2 = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
    t1 = time.time()
    rc, _, err = tw.run_sensor(sensor, ["-r", small, "--publish", endpoint2, "--wait-subscribers",
                                        "1", "--wait-timeout", "2"], timeout=60)
    took = time.time() - t1
    print("no subscriber: rc %d in %.1f s: %s" % (rc, took, err.strip().splitlines()[0:3]))
    fails.check(rc == 0, "no subscriber: exit status %d" % rc)
    fails.check(1.5 <= took <= 2 + 8, "no subscriber: took %.1f s with --wait-timeout 2" % took)
    fails.check(re.search(r"0 of 1 subscribers", err) is not None,
                "no subscriber: stderr does not say 0 of 1 subscribers")
    fails.check(re.search(r"50 packets", err) is not None, "no subscriber: not all packets read")
    for f in (pcap, db, small):
        if os.path.exists(f):
            os.remove(f)
    fails.finish("e2e sensor -> ZeroMQ -> collector -> SQLite (%d flows)" % n)


if __name__ == "__main__":
    sys.exit(main())
