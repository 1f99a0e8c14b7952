#!/usr/bin/env python3
"""A damaged store is refused, and a full disk is counted exactly.

1. A real store: a publisher (rogue_publisher.py) sends 50,000 planted flows through a real
   collector. Read whole, `flows` prints all 50,000 and `report` exits 0. Then copies of it are
   damaged by overwriting bytes: the SQLite header, a page in the middle, the tail cut off, one
   flow's end_ns set to 2045, one flow's start_ns moved past its end, the meta schema string.
   On each, `report` and `flows` must exit 2 with one line on stderr naming the file and the
   cause, and print nothing.
2. A full disk: the collector writes into a 2 MiB tmpfs mounted in a private mount namespace
   (unshare -m, root) while 100,000 flows arrive. It must exit 1 naming the error; the flows
   its summary says were stored must be exactly the rows the store holds; and every record sent
   must be counted: received with nothing lost, stored + not stored = sent.

Usage: collector_store_damage_test.py COLLECTOR PB2_DIR
"""

import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rogue_publisher as rp  # noqa: E402
import tw_common  # noqa: E402

PLANTED_FLOWS = 50000
FULL_DISK_FLOWS = 100000
YEAR_2045_NS = 2366841600 * 10**9


def publish(pb2, endpoint, sensor, flows, per_batch=64):
    """Sends `flows` planted flows and a final stats record once the collector subscribed."""
    rogue = rp.Rogue(endpoint)
    try:
        rogue.wait_subscribed()
        seq = 0
        for first in range(0, flows, per_batch):
            envelopes = []
            for i in range(first, min(first + per_batch, flows)):
                seq += 1
                envelopes.append(rp.flow_envelope(pb2, sensor, seq, i))
            rogue.send(b"batch.flow", rp.batch(pb2, envelopes))
        seq += 1
        rogue.send(b"stats", rp.final_stats(pb2, sensor, seq).SerializeToString())
    finally:
        rogue.close()
    return seq


def build_store(collector, pb2, db):
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            "1", "--idle-exit", "120", "--quiet"])
    publish(pb2, endpoint, "planted", PLANTED_FLOWS)
    return col.wait(timeout=300)


def overwrite(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def damaged_copies(pristine, tmp):
    """(name, path, cause substring) for each damaged copy of the store."""
    with open(pristine, "rb") as f:
        content = f.read()
    page = struct.unpack(">H", content[16:18])[0]
    page = 65536 if page == 1 else page
    out = []

    def copy(name):
        path = os.path.join(tmp, name + ".db")
        shutil.copyfile(pristine, path)
        return path

    p = copy("header")
    overwrite(p, 0, b"NOT A DATABASE!\0")
    out.append(("header", p, "not an SQLite database: its header is not SQLite's"))

    p = copy("middle_page")
    pages = len(content) // page
    overwrite(p, (pages // 2) * page, bytes((i * 37 + 11) & 255 for i in range(page)))
    out.append(("middle_page", p, ": damaged: SQLite quick_check"))

    p = copy("truncated")
    with open(p, "r+b") as f:
        f.truncate((pages * 6 // 10) * page)
    out.append(("truncated", p, "cut off: its header says %d bytes" % (pages * page)))

    # Flow 777's end_ns: an 8-byte big-endian integer in its row, in no index.
    end_777 = 1081000000000000000 + 777 * 1000000 + 499999937
    needle = struct.pack(">q", end_777)
    p = copy("end_2045")
    at = content.find(needle)
    if at < 0 or content.find(needle, at + 1) >= 0:
        raise RuntimeError("flow 777's end_ns is not once in the store")
    overwrite(p, at, struct.pack(">q", YEAR_2045_NS))
    out.append(("end_2045", p, "a flow ends at 2045-01-01"))

    # Flow 1234's start_ns in its row (followed there by its end_ns), moved past its end.
    start_1234 = 1081000000000000000 + 1234 * 1000000
    row = struct.pack(">qq", start_1234, start_1234 + 499999937)
    p = copy("start_changed")
    at = content.find(row)
    if at < 0 or content.find(row, at + 1) >= 0:
        raise RuntimeError("flow 1234's start_ns and end_ns are not once in the store")
    overwrite(p, at, struct.pack(">q", start_1234 + 10**9))
    out.append(("start_changed", p, ": 1 flows end before they start"))

    p = copy("schema")
    at = content.find(b"tapwatch-1")
    overwrite(p, at, b"tapwatch-9")
    out.append(("schema", p, "meta schema is 'tapwatch-9'"))
    return out


def damage_case(collector, pb2, tmp, fails):
    pristine = os.path.join(tmp, "pristine.db")
    rc = build_store(collector, pb2, pristine)
    if not fails.check(rc == 0, "building the store: collector exit %d" % rc):
        return
    for leftover in ("-wal", "-shm"):
        fails.check(not os.path.exists(pristine + leftover) or
                    os.path.getsize(pristine + leftover) == 0,
                    "the collector left %s%s behind" % (pristine, leftover))
    copies = damaged_copies(pristine, tmp)
    good = subprocess.run([collector, "flows", "--db", pristine, "--format", "jsonl"],
                          capture_output=True, text=True, timeout=300)
    rows = len(good.stdout.splitlines())
    fails.check(good.returncode == 0 and rows == PLANTED_FLOWS,
                "pristine store: flows exit %d, %d rows of %d: %s"
                % (good.returncode, rows, PLANTED_FLOWS, good.stderr[-300:]))
    report = subprocess.run([collector, "report", "--db", pristine, "--format", "json"],
                            capture_output=True, text=True, timeout=300)
    fails.check(report.returncode == 0, "pristine store: report exit %d: %s"
                % (report.returncode, report.stderr[-300:]))
    for name, path, cause in copies:
        for command in (["report", "--format", "json"], ["flows"]):
            r = subprocess.run([collector, command[0], "--db", path] + command[1:],
                               capture_output=True, text=True, timeout=300)
            err = r.stderr
            print("%-13s %-6s exit %d: %s" % (name, command[0], r.returncode, err.strip()))
            fails.check(r.returncode == 2, "%s: %s exit %d, expected 2" %
                        (name, command[0], r.returncode))
            fails.check(r.stdout == "", "%s: %s printed %d bytes from a damaged store" %
                        (name, command[0], len(r.stdout)))
            fails.check(err.count("\n") == 1 and path in err and cause in err,
                        "%s: %s stderr should be one line naming %s and '%s': %r" %
                        (name, command[0], path, cause, err[-400:]))


def full_disk_case(collector, pb2, tmp, fails):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        tw_common.skip("the full-disk case mounts a tmpfs in a mount namespace: needs root and "
                       "unshare")
    mnt = os.path.join(tmp, "mnt")
    out_dir = os.path.join(tmp, "full")
    os.makedirs(mnt)
    os.makedirs(out_dir)
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    # Inside a private mount namespace: the tmpfs, the collector, then the store copied out.
    script = ('mount -t tmpfs -o size=2m tapwatch-full "$1" || exit 90; '
              '"$2" --connect "$3" --db "$1/flows.db" --exit-after-final 1 --idle-exit 120 '
              # Small commits: under load one 10,000-row commit alone can outgrow the 2 MiB disk.
              '--commit-rows 1000 '
              '>"$4/summary" 2>"$4/stderr"; echo $? >"$4/rc"; cp "$1"/flows.db* "$4"/')
    col = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", mnt, collector, endpoint,
                            out_dir])
    sent = publish(pb2, endpoint, "full", FULL_DISK_FLOWS)
    if col.wait(timeout=300) == 90:
        tw_common.skip("cannot mount a tmpfs in a mount namespace here")
    with open(os.path.join(out_dir, "rc")) as f:
        rc = int(f.read())
    with open(os.path.join(out_dir, "summary")) as f:
        summary = f.read()
    with open(os.path.join(out_dir, "stderr")) as f:
        stderr = f.read()
    print(summary.strip())
    print(stderr.strip())
    fails.check(rc == 1, "full disk: collector exit %d, expected 1" % rc)
    fails.check("disk is full" in stderr, "full disk: stderr does not say so: %r" % stderr)
    con = sqlite3.connect(os.path.join(out_dir, "flows.db"))
    held = con.execute("SELECT count(*) FROM flows").fetchone()[0]
    held_stats = con.execute("SELECT count(*) FROM stats").fetchone()[0]
    con.close()
    m = re.search(r"^stored (\d+) flows, (\d+) stats;.*?(?:; (\d+) records not stored "
                  r"\(store error\))?$", summary, re.M)
    if not fails.check(m is not None, "full disk: no totals line in %r" % summary):
        return
    stored, stats, unstored = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    print("full disk: the store holds %d flows and %d stats; the summary says %d, %d stored "
          "and %d not stored, of %d sent" % (held, held_stats, stored, stats, unstored, sent))
    fails.check(0 < held < FULL_DISK_FLOWS, "full disk: the store holds %d flows: the disk "
                "never filled?" % held)
    fails.check(stored == held and stats == held_stats,
                "full disk: summary says %d flows, %d stats stored; the store holds %d, %d"
                % (stored, stats, held, held_stats))
    fails.check(stored + stats + unstored == sent,
                "full disk: %d stored + %d not stored != %d sent" % (stored + stats, unstored,
                                                                    sent))
    fails.check("sensor full: received %d, lost 0, duplicates 0\n" % sent in summary,
                "full disk: the sensor line should count all %d records received: %r"
                % (sent, summary))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rp.ensure_system_python(tw_common.skip)
    collector, pb2_dir = sys.argv[1], sys.argv[2]
    pb2 = rp.load_pb2(pb2_dir)
    fails = tw_common.Failures()
    with tempfile.TemporaryDirectory(prefix="tw_damage_") as tmp:
        damage_case(collector, pb2, tmp, fails)
        full_disk_case(collector, pb2, tmp, fails)
    fails.finish("damaged stores are refused by name and cause; a full disk is counted exactly")


if __name__ == "__main__":
    sys.exit(main())
