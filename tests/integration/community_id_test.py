#!/usr/bin/env python3
"""Community ID v1 of every flow of the specification's combined capture, through the real sensor,
against the three baselines the specification publishes for it (computed by its reference
implementation): defaults, seed 1 (--community-id-seed 1) and no base64 (the default run's IDs
decoded to hex). Every baseline entry (one per direction a tuple was seen in) must find a sensor
flow of the same protocol and endpoints with the same ID, and every sensor flow's ID must be one
of the baseline's. The default run is also replayed through ZeroMQ into the collector: `flows`
must print the same IDs.

Usage: community_id_test.py SENSOR COLLECTOR
Reads $TAPWATCH_SHARED/interop/community-id/ (skips visibly when absent; fails under CI=true).
"""

import base64
import gzip
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile

import tw_common

PORT_PROTOS = (6, 17, 132)


def endpoints(proto, saddr, daddr, sport, dport):
    """The unordered endpoint pair a flow and a baseline entry must share."""
    a, b = ipaddress.ip_address(saddr), ipaddress.ip_address(daddr)
    if proto in PORT_PROTOS:
        return frozenset([(a, sport), (b, dport)])
    return frozenset([a, b])


def flow_key(f):
    return endpoints(f.get("ip_proto", 0), f["src_addr"], f["dst_addr"], f.get("src_port", 0),
                     f.get("dst_port", 0))


def to_hex(community_id):
    return "1:" + base64.b64decode(community_id[2:]).hex()


def match(name, baseline, flows, render, failures):
    ids = {}
    for f in flows:
        ids.setdefault((f.get("ip_proto", 0), flow_key(f)), set()).add(
            render(f.get("community_id", "")))
    matched = 0
    for e in baseline:
        key = (e["proto"], endpoints(e["proto"], e["saddr"], e["daddr"], e["sport"], e["dport"]))
        got = ids.get(key, set())
        if failures.check(e["communityid"] in got, "%s: %s -> %s" % (name, json.dumps(e),
                                                                      sorted(got) or "no flow")):
            matched += 1
    wanted = {e["communityid"] for e in baseline}
    for f in flows:
        failures.check(render(f.get("community_id", "")) in wanted,
                       "%s: sensor flow not in the baseline: %s" % (name, json.dumps(f)))
    print("%s: %d/%d baseline entries matched (%d distinct IDs), %d sensor flows" %
          (name, matched, len(baseline), len(wanted), len(flows)))


def main():
    sensor, collector = sys.argv[1], sys.argv[2]
    root = os.path.join(tw_common.shared_dir(), "interop", "community-id")
    capture = os.path.join(root, "pcaps", "combined.pcap.gz")
    if not os.path.exists(capture):
        tw_common.skip("no Community ID capture at " + capture)
    baselines = {}
    for name in ("deflt", "seed1", "nob64"):
        with open(os.path.join(root, "baseline", "baseline_%s.json" % name)) as fh:
            baselines[name] = json.load(fh)

    failures = tw_common.Failures()
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "combined.pcap")
        with gzip.open(capture, "rb") as src, open(pcap, "wb") as dst:
            shutil.copyfileobj(src, dst)
        runs = {}
        for name, extra in (("deflt", []), ("seed1", ["--community-id-seed", "1"])):
            rc, flows, _, err = tw_common.sensor_jsonl(sensor, ["-r", pcap], extra)
            if rc != 0:
                print("FAIL: sensor exited %d: %s" % (rc, err))
                sys.exit(1)
            runs[name] = flows
        match("default", baselines["deflt"], runs["deflt"], lambda i: i, failures)
        match("seed 1", baselines["seed1"], runs["seed1"], lambda i: i, failures)
        match("no base64", baselines["nob64"], runs["deflt"],
              lambda i: to_hex(i) if i else i, failures)

        # Stored by the collector and printed by `flows` as the sensor sent them.
        db = os.path.join(tmp, "flows.db")
        tw_common.pcap_report(sensor, collector, pcap, db)
        r = subprocess.run([collector, "flows", "--db", db, "--format", "jsonl"],
                           capture_output=True, text=True, timeout=120)
        stored = sorted((int(json.loads(line)["flow_id"]), json.loads(line).get("community_id"))
                        for line in r.stdout.splitlines())
        sent = sorted((int(f["flow_id"]), f.get("community_id")) for f in runs["deflt"])
        failures.check(r.returncode == 0 and stored == sent,
                       "collector flows: %s, expected %s %s" % (stored, sent, r.stderr))
        print("collector: %d stored flows, IDs as sent" % len(stored))
    failures.finish("Community ID v1 against the specification's baselines")


if __name__ == "__main__":
    main()
