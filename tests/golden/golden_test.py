"""Golden outputs: the sensor's JSON lines for one capture or log, or the honeynet report JSON,
compared with the file kept in tests/golden/. They pin behaviour across refactors; tshark, argus
and the planted truth stay the judges of correctness (tests/integration/).

Run-dependent values are normalised first: `sensor_start_ns` (wall clock) in the JSON lines, the
store path (`meta.db`) in the report. A mismatch prints the differing fields by JSON path.
UPDATE_GOLDEN=1 rewrites the golden file instead of comparing; the rewritten file's diff is then
reviewed in the commit (docs/CONTRIBUTING.md). Files over 64 KiB are kept xz-compressed.

usage: golden_test.py jsonl SENSOR GOLDEN (-r|--log) INPUT [SENSOR ARGS...]
       golden_test.py report SENSOR COLLECTOR GOLDEN PCAP TRUTH_JSON
INPUT is a path; `shared:pcaps/x.pcap` is read from $TAPWATCH_SHARED (skips visibly when absent,
fails under CI=true).
"""

import difflib
import json
import lzma
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tw_common  # noqa: E402

COMPRESS_OVER_BYTES = 64 * 1024
MAX_DIFFS_SHOWN = 40
# Fixed inputs to the sensor's run-dependent choices: the flow hash decides the order of flows
# flushed at end of input, the sensor id is in every record.
SENSOR_ARGS = ["--sensor-id", "golden", "--hash-seed", "1", "-q"]


def resolve(path):
    if not path.startswith("shared:"):
        return path
    full = os.path.join(tw_common.shared_dir(), path[len("shared:"):])
    if not os.path.exists(full):
        tw_common.skip("%s not found (set TAPWATCH_SHARED)" % full)
    return full


def sensor_jsonl(sensor, kind, source, extra):
    r = subprocess.run([sensor, kind, source, "--jsonl", "-"] + SENSOR_ARGS + extra,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print("FAIL: sensor exit status %d: %s" % (r.returncode, r.stderr.strip()))
        sys.exit(1)
    lines = []
    for line in r.stdout.splitlines():
        record = json.loads(line)
        record["sensor_start_ns"] = "0"
        lines.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
    return "\n".join(lines) + "\n"


def honeynet_report(sensor, collector, pcap, truth_path):
    truth = json.load(open(truth_path))
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "flows.db")
        endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
        col = subprocess.Popen([collector, "--connect", endpoint, "--db", db,
                                "--exit-after-final", "1", "--idle-exit", "120", "--quiet"])
        s = subprocess.run([sensor, "-r", pcap, "--publish", endpoint, "--wait-subscribers", "1",
                            "--stats-interval", "3600"] + SENSOR_ARGS,
                           capture_output=True, text=True, timeout=300)
        col.wait(timeout=300)
        if s.returncode != 0 or col.returncode != 0:
            print("FAIL: sensor %d, collector %d: %s" % (s.returncode, col.returncode, s.stderr))
            sys.exit(1)
        args = [collector, "report", "--db", db, "--format", "json", "--honeynet"]
        for h in truth["home"]:
            args += ["--home", h]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("FAIL: report exit status %d: %s" % (r.returncode, r.stderr.strip()))
            sys.exit(1)
    report = json.loads(r.stdout)
    report["meta"]["db"] = "flows.db"
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def read_golden(path):
    for candidate, opener in ((path, open), (path + ".xz", lzma.open)):
        if os.path.exists(candidate):
            with opener(candidate, "rt", encoding="utf-8") as f:
                return f.read()
    return None


def write_golden(path, text):
    data = text.encode("utf-8")
    for stale in (path, path + ".xz"):
        if os.path.exists(stale):
            os.remove(stale)
    if len(data) > COMPRESS_OVER_BYTES:
        with lzma.open(path + ".xz", "wb", preset=9) as f:
            f.write(data)
        return path + ".xz", os.path.getsize(path + ".xz")
    with open(path, "wb") as f:
        f.write(data)
    return path, len(data)


def json_diffs(want, got, path, out):
    """Appends 'path: want -> got' for each leaf that differs."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in list(want) + [k for k in got if k not in want]:
            json_diffs(want.get(k, "<absent>"), got.get(k, "<absent>"), "%s.%s" % (path, k), out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            json_diffs(w, g, "%s[%d]" % (path, i), out)
    elif want != got:
        out.append("%s: %s -> %s" % (path, clip(json.dumps(want)), clip(json.dumps(got))))


def clip(s, n=160):
    return s if len(s) <= n else s[:n] + "..."


def describe_jsonl(want_text, got_text):
    """Readable differences of two JSON-lines texts: aligned records by field, others whole."""
    want, got = want_text.splitlines(), got_text.splitlines()
    out = ["%d records golden, %d now" % (len(want), len(got))]
    matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                fields = []
                json_diffs(json.loads(want[i1 + k]), json.loads(got[j1 + k]), "", fields)
                out.append("line %d: %s" % (i1 + k + 1, "; ".join(f.lstrip(".") for f in fields)))
            continue
        out += ["- line %d: %s" % (i + 1, clip(want[i], 300)) for i in range(i1, i2)]
        out += ["+ line %d: %s" % (j + 1, clip(got[j], 300)) for j in range(j1, j2)]
    return out


def describe_json(want_text, got_text):
    fields = []
    json_diffs(json.loads(want_text), json.loads(got_text), "", fields)
    return ["%d fields differ" % len(fields)] + [f.lstrip(".") for f in fields]


def main():
    mode = sys.argv[1]
    if mode == "jsonl":
        sensor, golden, kind, source = sys.argv[2:6]
        got = sensor_jsonl(sensor, kind, resolve(source), sys.argv[6:])
        describe = describe_jsonl
    elif mode == "report":
        sensor, collector, golden, pcap, truth = sys.argv[2:7]
        got = honeynet_report(sensor, collector, pcap, truth)
        describe = describe_json
    else:
        sys.exit(__doc__)

    if os.environ.get("UPDATE_GOLDEN") == "1":
        path, size = write_golden(golden, got)
        print("UPDATED %s (%d bytes): review its diff before committing" % (path, size))
        return 0
    want = read_golden(golden)
    if want is None:
        print("FAIL: no golden file %s[.xz]; write it with UPDATE_GOLDEN=1" % golden)
        return 1
    if want == got:
        print("PASS: %s equals %s" % (source if mode == "jsonl" else pcap, golden))
        return 0
    lines = describe(want, got)
    print("FAIL: output differs from %s" % golden)
    for line in lines[:MAX_DIFFS_SHOWN]:
        print("  " + line)
    if len(lines) > MAX_DIFFS_SHOWN:
        print("  ... %d more" % (len(lines) - MAX_DIFFS_SHOWN))
    print("If the change is intended: UPDATE_GOLDEN=1 ctest -R golden, and review the diff in the "
          "commit (docs/CONTRIBUTING.md).")
    return 1


if __name__ == "__main__":
    sys.exit(main())
