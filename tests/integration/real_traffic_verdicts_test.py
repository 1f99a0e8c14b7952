"""The report's verdicts on real traffic made by others: every capture and log labelled in
tests/report/real_traffic_truth.json goes sensor -> ZeroMQ -> collector -> report with no --home,
and every labelled verdict must be reached (and every listed false alarm absent).

usage: real_traffic_verdicts_test.py SENSOR COLLECTOR
"""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402

TRUTH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "report",
                     "real_traffic_truth.json")


def lookup(doc, path):
    """'compromise.hosts[0].evidence' -> the value, or None."""
    cur = doc
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?", part)
        if cur is None or m is None or not isinstance(cur, dict) or m.group(1) not in cur:
            return None
        cur = cur[m.group(1)]
        if m.group(2) is not None:
            i = int(m.group(2))
            cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
    return cur


def matches(item, where):
    return isinstance(item, dict) and all(item.get(k) == v for k, v in where.items())


def judge(report, check):
    """Returns "" when the check holds, else what was found."""
    for kind in ("has", "lacks", "equals", "contains", "at_least"):
        if kind in check:
            path = check[kind]
            break
    else:
        return "unknown check %s" % check
    got = lookup(report, path)
    if kind == "has":
        ok = isinstance(got, list) and any(matches(x, check["where"]) for x in got)
    elif kind == "lacks":
        ok = isinstance(got, list) and not any(matches(x, check["where"]) for x in got)
    elif kind == "equals":
        ok = got == check["value"]
    elif kind == "contains":
        ok = isinstance(got, list) and check["value"] in got
    else:
        ok = isinstance(got, (int, float)) and got >= check["value"]
    if ok:
        return ""
    shown = json.dumps(got)
    return "%s %s: got %s" % (kind, path, shown[:300] + ("..." if len(shown) > 300 else ""))


def log_report(sensor, collector, log, year, db, report_args):
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            "1", "--idle-exit", "60", "--quiet"])
    subprocess.run([sensor, "--log", log, "--year", str(year), "--publish", endpoint,
                    "--wait-subscribers", "1", "-q"], capture_output=True, timeout=300)
    col.wait(timeout=300)
    r = subprocess.run([collector, "report", "--db", db, "--format", "json"] + report_args,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, r.stderr
    return json.loads(r.stdout), ""


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sensor, collector = sys.argv[1:]
    shared = tw_common.shared_dir()
    truth = json.load(open(TRUTH))
    missing = [i["file"] for i in truth["inputs"]
               if not os.path.exists(os.path.join(shared, i["file"]))]
    if missing:
        tw_common.skip("not in %s: %s" % (shared, ", ".join(missing)))
    failures = 0
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, item in enumerate(truth["inputs"]):
            path = os.path.join(shared, item["file"])
            db = os.path.join(tmp, "%d.db" % n)
            if "year" in item:
                report, err = log_report(sensor, collector, path, item["year"], db,
                                         item.get("report_args", []))
            else:
                report, err = tw_common.pcap_report(sensor, collector, path, db,
                                                    item.get("report_args", []))
            name = os.path.basename(item["file"])
            if report is None:
                print("FAIL %s: report failed: %s" % (name, err.strip()))
                failures += 1
                continue
            for check in item["checks"]:
                checks += 1
                problem = judge(report, check)
                if problem:
                    failures += 1
                    print("FAIL %s: %s" % (name, problem))
                    print("     shown by: %s" % item["shows"])
            print("%s %s (%d checks)" % ("ok  " if not failures else "..  ", name,
                                          len(item["checks"])))
    if failures:
        print("FAIL: %d of %d checks on %d inputs" % (failures, checks, len(truth["inputs"])))
        return 1
    print("PASS: %d checks on %d real captures and logs" % (checks, len(truth["inputs"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
