"""`tapwatch-collector analyze` (capture and log to report in one command) against the
two-process path (tapwatch-sensor --publish tcp://... and tapwatch-collector --connect ...):
the same flow rows in the store, and the same report, byte for byte apart from the store's path.
Inputs: the bundled honeynet capture, and a real capture plus a real UFW log from ../shared.
A capture that cannot be read gives a non-zero exit and no report.

usage: analyze_test.py SENSOR COLLECTOR PCAP_DIR
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402

# Every column but the row id (insertion order) and the envelope sequence number (which message
# carried the record: batches also leave on a 100 ms timer, so their cut depends on timing).
def flow_rows(db):
    c = sqlite3.connect(db)
    cols = [r[1] for r in c.execute("PRAGMA table_info(flows)") if r[1] not in ("id", "seq")]
    rows = sorted(tuple("" if v is None else str(v) for v in r)
                  for r in c.execute("SELECT %s FROM flows" % ", ".join(cols)))
    c.close()
    return rows


def two_process(sensor, collector, captures, logs, db, report_args):
    """The sensor runs analyze makes (captures in one, logs in another), into one collector."""
    runs = []
    if captures:
        runs.append(("analyze", sum((["-r", c] for c in captures), [])))
    if logs:
        runs.append(("analyze-log", sum((["--log", lg] for lg in logs), [])))
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            str(len(runs)), "--idle-exit", "120", "--quiet"])
    for sensor_id, inputs in runs:
        s = subprocess.run([sensor] + inputs + ["--publish", endpoint, "--sensor-id", sensor_id,
                                                "--wait-subscribers", "1", "--stats-interval",
                                                "3600", "-q"],
                           capture_output=True, text=True, timeout=300)
        assert s.returncode == 0, s.stderr
    col.wait(timeout=300)
    assert col.returncode == 0
    r = subprocess.run([collector, "report", "--db", db, "--format", "json"] + report_args,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def without_db(report):
    report["meta"].pop("db", None)
    return report


def main():
    sensor, collector, pcap_dir = sys.argv[1:4]
    fails = tw_common.Failures()
    cases = [("honeynet", [os.path.join(pcap_dir, "honeynet.pcap")], [],
              ["--home", "11.11.11.0/24", "--honeynet"])]
    shared = tw_common.shared_dir()
    capture = os.path.join(shared, "pcaps", "nDPI__netbios_wildcard_dns_query.pcap")
    log = os.path.join(shared, "logs", "teliten-log.plemma__ufw.log")
    if os.path.exists(capture) and os.path.exists(log):
        cases.append(("capture and log from shared", [capture], [log], []))
    elif tw_common.ci():
        tw_common.skip("shared capture or log missing under " + shared)
    else:
        print("SKIPPED part: shared capture or log missing under " + shared)

    with tempfile.TemporaryDirectory() as tmp:
        for name, captures, logs, report_args in cases:
            ref_db = os.path.join(tmp, "two.db")
            ref = two_process(sensor, collector, captures, logs, ref_db, report_args)

            one_db = os.path.join(tmp, "one.db")
            out = os.path.join(tmp, "one.json")
            args = [collector, "analyze"] + captures
            for lg in logs:
                args += ["--log", lg]
            r = subprocess.run(args + ["--db", one_db, "--format", "json", "--out", out] +
                               report_args, capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, TAPWATCH_SENSOR=sensor))
            fails.check(r.returncode == 0, "%s: analyze exit %d: %s" % (name, r.returncode,
                                                                        r.stderr))
            if r.returncode != 0:
                continue
            a, b = flow_rows(one_db), flow_rows(ref_db)
            fails.check(len(a) > 0, "%s: no flow stored" % name)
            fails.check(a == b, "%s: stores differ: %d vs %d rows, %d rows only in one" %
                        (name, len(a), len(b), len(set(a) ^ set(b))))
            one = json.load(open(out))
            one = without_db(one)
            ref = without_db(ref)
            diff = sorted(k for k in set(one) | set(ref) if one.get(k) != ref.get(k))
            fails.check(not diff, "%s: reports differ in %s" % (name, diff))
            if a == b and not diff:
                print("PASS %s: %d flow rows, same store and report" % (name, len(a)))
            for f in (ref_db, one_db):
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(f + suffix):
                        os.remove(f + suffix)

        # A capture that cannot be read: a clear failure, no report.
        bad = os.path.join(tmp, "bad.pcap")
        open(bad, "wb").write(b"not a capture at all")
        out = os.path.join(tmp, "bad.json")
        r = subprocess.run([collector, "analyze", bad, "--format", "json", "--out", out],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, TAPWATCH_SENSOR=sensor))
        fails.check(r.returncode != 0, "damaged capture: exit 0")
        fails.check(not os.path.exists(out), "damaged capture: a report was written")
        fails.check("bad.pcap" in r.stderr, "damaged capture: stderr does not name the file: " +
                    r.stderr)
    fails.finish("analyze")


if __name__ == "__main__":
    main()
