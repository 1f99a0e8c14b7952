#!/usr/bin/env python3
"""The report on a firewall log equals counts taken from the log itself.

Each real log of $TAPWATCH_SHARED/logs (the SOTM30 head, the UFW log) goes tapwatch-sensor --log
-> ZeroMQ -> tapwatch-collector -> SQLite -> report (JSON). The report's `log_lines` section must
agree with counts this script takes from the log's text with regular expressions, sharing no
code with the sensor's parser:
  - per prefix (the text between "kernel: " and " IN=", without a trailing colon): packets;
  - per sending address (the line's first SRC=): packets, for every address the report lists,
    and the number of distinct addresses and of packet lines;
  - per destination port (the first DPT= of TCP and UDP lines): packets;
  - per home host and prefix: the lines whose SRC or DST is that host.
Logs absent: skipped visibly (a failure under CI=true).
Usage: log_report_test.py SENSOR COLLECTOR
"""

import collections
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402

# name, file, --year, the protected network (--home)
LOGS = (("sotm30", "Tetoronie-Scripting-and-Automation__iptables.log", 2004, "11.11.11.0/24"),
        ("ufw", "teliten-log.plemma__ufw.log", 2022, "158.247.223.84/32"))

PREFIX = re.compile(r"kernel: (?:\[[0-9. ]+\] )?(.*?) ?IN=")
FIRST = {k: re.compile(r"(?:^| )%s=(\S+)" % k) for k in ("SRC", "DST", "DPT", "PROTO")}


def log_counts(path, home):
    net = ipaddress.ip_network(home)
    c = {"lines": 0, "prefix": collections.Counter(), "src": collections.Counter(),
         "port": collections.Counter(), "host": collections.defaultdict(collections.Counter)}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if " IN=" not in line:
                continue
            c["lines"] += 1
            m = PREFIX.search(line)
            prefix = m.group(1).rstrip(":") if m else ""
            fields = {k: (r.search(line).group(1) if r.search(line) else None)
                      for k, r in FIRST.items()}
            if prefix:
                c["prefix"][prefix] += 1
            c["src"][fields["SRC"]] += 1
            if fields["PROTO"] in ("TCP", "UDP") and fields["DPT"] is not None:
                c["port"][(fields["PROTO"].lower(), int(fields["DPT"]))] += 1
            if prefix:
                for a in {fields["SRC"], fields["DST"]}:
                    if a and ipaddress.ip_address(a) in net:
                        c["host"][a][prefix] += 1
    return c


def report_of(sensor, collector, log, year, home, db):
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            "1", "--idle-exit", "60", "--quiet"])
    s = subprocess.run([sensor, "--log", log, "--year", str(year), "--publish", endpoint,
                        "--wait-subscribers", "1", "-q"], capture_output=True, timeout=300)
    col.wait(timeout=300)
    if s.returncode != 0 or col.returncode != 0:
        return None, "sensor %d / collector %d: %s" % (s.returncode, col.returncode, s.stderr)
    r = subprocess.run([collector, "report", "--db", db, "--format", "json", "--home", home],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, r.stderr
    return json.loads(r.stdout), ""


def compare(name, want, section, fails):
    where = name + ": "
    if not fails.check(section.get("present") is True, where + "log_lines not present"):
        return
    fails.check(section["packets"] == want["lines"],
                where + "packets %d, the log has %d packet lines" % (section["packets"],
                                                                      want["lines"]))
    got_prefix = {p["prefix"]: p["packets"] for p in section["prefixes"]}
    fails.check(got_prefix == dict(want["prefix"]),
                where + "prefixes %r, the log %r" % (got_prefix, dict(want["prefix"])))
    fails.check(section["sources_total"] == len(want["src"]),
                where + "%d sources, the log %d" % (section["sources_total"], len(want["src"])))
    for s in section["sources"]:
        fails.check(s["packets"] == want["src"][s["address"]],
                    where + "source %s: %d packets, the log %d" %
                    (s["address"], s["packets"], want["src"][s["address"]]))
    fails.check(section["ports_total"] == len(want["port"]),
                where + "%d ports, the log %d" % (section["ports_total"], len(want["port"])))
    for p in section["ports"]:
        key = (p["proto"], p["port"])
        fails.check(p["packets"] == want["port"][key],
                    where + "port %s/%d: %d packets, the log %d" %
                    (key[0], key[1], p["packets"], want["port"][key]))
    fails.check(len(section["hosts"]) == min(100, len(want["host"])),
                where + "%d home hosts, the log %d" % (len(section["hosts"]), len(want["host"])))
    for h in section["hosts"]:
        fails.check(h["by_prefix"] == dict(want["host"][h["host"]]),
                    where + "host %s: %r, the log %r" %
                    (h["host"], h["by_prefix"], dict(want["host"][h["host"]])))
    # Nothing above may pass on an empty or trivial report.
    fails.check(len(section["sources"]) > 5 and len(section["ports"]) > 5 and section["hosts"],
                where + "too little in the section to compare")
    print("%s: %d lines, %d prefixes, %d sources, %d ports, %d home hosts compared" %
          (name, want["lines"], len(got_prefix), len(section["sources"]), len(section["ports"]),
           len(section["hosts"])))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sensor, collector = sys.argv[1:3]
    fails = tw_common.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_logreport_")
    missing = []
    try:
        for name, file, year, home in LOGS:
            path = os.path.join(tw_common.shared_dir(), "logs", file)
            if not os.access(path, os.R_OK):
                missing.append(path)
                continue
            report, err = report_of(sensor, collector, path, year, home,
                                    os.path.join(tmp, name + ".db"))
            if not fails.check(report is not None, name + ": " + err):
                continue
            compare(name, log_counts(path, home), report["log_lines"], fails)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if missing:
        if tw_common.ci():
            fails.add("shared logs missing under CI: " + ", ".join(missing))
        elif not fails.items:
            tw_common.skip("shared logs absent: " + ", ".join(missing))
    fails.finish("the report's log_lines section equals counts taken from the logs")


if __name__ == "__main__":
    sys.exit(main())
