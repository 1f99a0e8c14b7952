#!/usr/bin/env python3
"""The collector stores only what a sensor could have sent, and its memory stays bounded.

A rogue publisher (rogue_publisher.py: python3-zmq and Python protobuf, not our C++ code) plants:

1. Records that parse but no sensor sends: port 70000, protocol 4294967295, src_addr
   'not-an-ip', an IPv4 source with an IPv6 destination, a 1 MiB sensor id, an end in 2045, an
   end before the start, VLAN 5000, TTL 300, a count of 2^63, a 10,000-byte URI and 5,000
   payload labels; valid records on topics 'flowX' and 'statsfoo'; a body that is not
   Protobuf; a 3-frame message; a batch of 5,000 envelopes. Around them, 40 valid flows and a
   final stats record. The store must hold exactly the 40 flows and the stats record, the
   summary and the rejected_records table must count each planted case under its reason, and
   the sensor's sequence must show nothing lost (rejected records are accounted, not missing).
2. Ten 100 MB frames, 40 MB frames of random bytes, of empty envelopes and with a 40 MB URI:
   the collector's peak resident memory (VmHWM, /proc) stays under a generous bound (it
   reached 1.8 GB before frames were limited), and what reached it is counted.

Usage: collector_hostile_input_test.py COLLECTOR PB2_DIR
"""

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rogue_publisher as rp  # noqa: E402
import tw_common  # noqa: E402

# Peak RSS allowed while the hostile frames arrive. The collector's own floor is ~20 MB; its
# bounded queues and page cache allow ~250 MB more; the frames themselves are 1.4 GB.
RSS_BOUND_MIB = 512


def start_collector(collector, endpoint, db):
    return subprocess.Popen([collector, "--connect", endpoint, "--db", db,
                             "--exit-after-final", "1", "--idle-exit", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def summary_counts(line):
    """{'malformed': n, 'unknown topic': n, 'too many': n, 'rejected': {reason: n}, ...}."""
    out = {}
    m = re.search(r"stored (\d+) flows, (\d+) stats; (\d+) malformed messages", line)
    if m:
        out["flows"], out["stats"], out["malformed"] = map(int, m.groups())
    m = re.search(r", (\d+) with an unknown topic", line)
    out["unknown_topic"] = int(m.group(1)) if m else 0
    m = re.search(r", (\d+) over 64 MiB", line)
    out["too_large"] = int(m.group(1)) if m else 0
    m = re.search(r", (\d+) with over 4096 records", line)
    out["too_many"] = int(m.group(1)) if m else 0
    m = re.search(r"; rejected (\d+) records \(([^)]*)\)", line)
    out["rejected_total"] = int(m.group(1)) if m else 0
    out["rejected"] = {}
    if m:
        for part in m.group(2).split(", "):
            reason, n = part.rsplit(" ", 1)
            out["rejected"][reason] = int(n)
    return out


def planted_records(pb2):
    """(reason, envelope-editing function) for each record a sensor never sends."""
    def port(e):
        e.flow.dst_port = 70000

    def proto(e):
        e.flow.ip_proto = 4294967295

    def not_ip(e):
        e.flow.src_addr = "not-an-ip"

    def families(e):
        e.flow.dst_addr = "2001:db8::1"

    def future(e):
        e.flow.end_ns = 2366841600 * 10**9  # 2045-01-01

    def backwards(e):
        e.flow.end_ns = e.flow.start_ns - 1

    def vlan(e):
        e.flow.vlan = 5000

    def ttl(e):
        e.flow.src_ttl_max = 300

    def counter(e):
        e.flow.src_pkts = 2**63

    def uri(e):
        e.flow.http_uri = "/" + "a" * 10000

    def labels(e):
        e.flow.payload_labels.extend(["x"] * 5000)

    return [("port", port), ("ip_proto", proto), ("address", not_ip), ("address", families),
            ("future_time", future), ("time_order", backwards), ("vlan", vlan),
            ("octet_field", ttl), ("counter", counter), ("text_length", uri),
            ("text_length", labels)]


def validation_case(collector, pb2, tmp, fails):
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    db = os.path.join(tmp, "validation.db")
    rogue = rp.Rogue(endpoint)
    col = start_collector(collector, endpoint, db)
    try:
        rogue.wait_subscribed()
        seq = 0
        valid = []
        for i in range(40):
            seq += 1
            valid.append(rp.flow_envelope(pb2, "good", seq, i))
        rogue.send(b"batch.flow", rp.batch(pb2, valid[:20]))
        for e in valid[20:]:
            rogue.send(b"flow", e.SerializeToString())
        expected = {}
        for n, (reason, edit) in enumerate(planted_records(pb2)):
            seq += 1
            e = rp.flow_envelope(pb2, "good", seq, 1000 + n)
            edit(e)
            rogue.send(b"flow", e.SerializeToString())
            expected[reason] = expected.get(reason, 0) + 1
        # A megabyte of sensor id: counted, never a sensor of its own.
        huge = rp.flow_envelope(pb2, "s" * (1 << 20), 1, 2000)
        rogue.send(b"flow", huge.SerializeToString())
        expected["sensor_id"] = 1
        # Valid records under topics that only start like ours.
        rogue.send(b"flowX", rp.flow_envelope(pb2, "topic-probe", 1, 3000).SerializeToString())
        rogue.send(b"statsfoo", rp.final_stats(pb2, "topic-probe", 2).SerializeToString())
        rogue.send(b"flow", b"\xff\xff\xff\xff not protobuf")
        rogue.send(b"flow", valid[0].SerializeToString(), b"third frame")
        rogue.send(b"batch.flow", rp.batch(
            pb2, [rp.flow_envelope(pb2, "overflow", k + 1, k) for k in range(5000)]))
        seq += 1
        rogue.send(b"stats", rp.final_stats(pb2, "good", seq).SerializeToString())
        out, err = col.communicate(timeout=120)
    finally:
        if col.poll() is None:
            col.kill()
        rogue.close()
    print(out.strip())
    fails.check(col.returncode == 0, "validation: collector exit %d: %s" % (col.returncode, err))
    lines = out.strip().splitlines()
    total = summary_counts(lines[-1] if lines else "")
    fails.check(total.get("flows") == 40 and total.get("stats") == 1,
                "validation: summary stores %s flows, %s stats; planted 40 and 1"
                % (total.get("flows"), total.get("stats")))
    fails.check(total.get("malformed") == 2, "validation: %s malformed, planted 2"
                % total.get("malformed"))
    fails.check(total["unknown_topic"] == 2, "validation: %d unknown topics, planted 2"
                % total["unknown_topic"])
    fails.check(total["too_many"] == 1, "validation: %d oversized batches, planted 1"
                % total["too_many"])
    fails.check(total["rejected"] == expected, "validation: summary rejects %s, planted %s"
                % (total["rejected"], expected))
    planted_good = sum(n for r, n in expected.items() if r != "sensor_id")
    sensor_lines = [l for l in lines if l.startswith("sensor ")]
    fails.check(sensor_lines == ["sensor good: received %d, lost 0, duplicates 0, rejected %d"
                                 % (seq, planted_good)],
                "validation: sensor lines %s" % [l[:120] for l in sensor_lines])
    con = sqlite3.connect(db)
    rows = con.execute("SELECT count(*), max(src_port), max(dst_port), max(ip_proto), "
                       "max(end_ns) FROM flows").fetchone()
    fails.check(rows[0] == 40, "validation: the store holds %d flows, planted 40 valid" % rows[0])
    fails.check(rows[2] == 80 and rows[3] == 6 and rows[4] < 2366841600 * 10**9,
                "validation: a planted bad value was stored: %s" % (rows,))
    stored_ids = {r[0] for r in con.execute("SELECT flow_id FROM flows")}
    fails.check(stored_ids == set(range(1, 41)), "validation: stored flow ids %s"
                % sorted(stored_ids)[:50])
    table = {}
    for sensor, reason, n in con.execute("SELECT sensor_id, reason, records FROM "
                                         "rejected_records"):
        table[(sensor, reason)] = n
    want = {("good", r): n for r, n in expected.items() if r != "sensor_id"}
    want[("", "sensor_id")] = 1
    fails.check(table == want, "validation: rejected_records %s, planted %s" % (table, want))
    sensors = [r[0] for r in con.execute("SELECT sensor_id FROM sensors")]
    fails.check(sensors == ["good"], "validation: sensors table %s" % sensors)
    con.close()


def memory_case(collector, pb2, tmp, fails):
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    db = os.path.join(tmp, "memory.db")
    rogue = rp.Rogue(endpoint)
    col = start_collector(collector, endpoint, db)
    peak = [0]

    def sample():
        v = rp.peak_rss_kib(col.pid)
        if v:
            peak[0] = max(peak[0], v)

    try:
        rogue.wait_subscribed()
        huge = bytearray(100 << 20)
        for _ in range(10):
            rogue.send(b"flow", huge)
        del huge
        garbage = os.urandom(40 << 20)
        for _ in range(10):
            rogue.send(b"flow", garbage)
        for _ in range(5):
            rogue.send(b"batch.flow", garbage)
        empty_envelopes = b"\x0a\x00" * (20 << 20)  # 20 million empty envelopes, 40 MB
        for _ in range(5):
            rogue.send(b"batch.flow", empty_envelopes)
        for k in range(3):
            e = rp.flow_envelope(pb2, "big", k + 1, k)
            e.flow.http_uri = "/" + "u" * (40 << 20)
            rogue.send(b"flow", e.SerializeToString())
        rogue.send(b"stats", rp.final_stats(pb2, "big", 4).SerializeToString())
        deadline = time.time() + 180
        while col.poll() is None and time.time() < deadline:
            sample()
            time.sleep(0.05)
        out, err = col.communicate(timeout=60)
    finally:
        if col.poll() is None:
            col.kill()
        rogue.close()
    print(out.strip())
    print("peak RSS under hostile frames: %.0f MiB (bound %d MiB)" % (peak[0] / 1024.0,
                                                                    RSS_BOUND_MIB))
    fails.check(col.returncode == 0, "memory: collector exit %s: %s" % (col.returncode, err))
    # AddressSanitizer keeps freed memory in quarantine and adds shadow memory: no bound there.
    fails.check(peak[0] > 0 and (tw_common.sanitized() or peak[0] <= RSS_BOUND_MIB * 1024),
                "memory: peak RSS %d KiB, bound %d MiB" % (peak[0], RSS_BOUND_MIB))
    lines = out.strip().splitlines()
    total = summary_counts(lines[-1] if lines else "")
    fails.check(total.get("malformed") == 15, "memory: %s malformed, planted 15"
                % total.get("malformed"))
    fails.check(total["too_large"] == 10, "memory: %d messages over 64 MiB, planted 10"
                % total["too_large"])
    fails.check(total["too_many"] == 5, "memory: %d oversized batches, planted 5"
                % total["too_many"])
    fails.check(total["rejected"] == {"text_length": 3}, "memory: rejected %s, planted "
                "text_length 3" % total["rejected"])
    fails.check(total.get("flows") == 0 and total.get("stats") == 1,
                "memory: stored %s flows, %s stats; planted 0 and 1"
                % (total.get("flows"), total.get("stats")))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rp.ensure_system_python(tw_common.skip)
    collector, pb2_dir = sys.argv[1], sys.argv[2]
    pb2 = rp.load_pb2(pb2_dir)
    fails = tw_common.Failures()
    with tempfile.TemporaryDirectory(prefix="tw_hostile_") as tmp:
        validation_case(collector, pb2, tmp, fails)
        memory_case(collector, pb2, tmp, fails)
    fails.finish("the collector stores only valid records, counts the rest, bounds its memory")


if __name__ == "__main__":
    sys.exit(main())
