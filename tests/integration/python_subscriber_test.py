#!/usr/bin/env python3
"""Any tool can subscribe: scripts/tapwatch_subscribe.py (Debian's python3-zmq and Python
protobuf, an implementation independent of the C++ collector) reads the sensor's stream.

The sensor replays pcaps/honeynet.pcap twice, batched (default, topic batch.flow) and with
--batch 1 (topic flow), publishing to the Python subscriber while also writing --jsonl. The flows
the subscriber prints must equal the sensor's own JSON lines record for record (same fields and
values: Python's protobuf parsed the C++ encoder's EnvelopeBatch and Envelope bodies), with no
missed sequence numbers and no malformed message; the packets in the received flows must add up
to the capture's planted packet count (pcaps/honeynet.truth.json, the generator's own total).
Usage: python_subscriber_test.py SENSOR PB2_DIR
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "tapwatch_subscribe.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-zmq and python3-protobuf live


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sensor, pb2_dir = sys.argv[1], sys.argv[2]
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import zmq, google.protobuf"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        tw_common.skip("%s lacks python3-zmq / python3-protobuf (scripts/setup.sh installs "
                       "them): %s" % (SYSTEM_PYTHON, probe.stderr.strip()[-200:]))
    pcap = os.path.join(REPO, "pcaps", "honeynet.pcap")
    with open(os.path.join(REPO, "pcaps", "honeynet.truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    fails = tw_common.Failures()
    with tempfile.TemporaryDirectory(prefix="tw_pysub_") as tmp:
        for batch in ("64", "1"):
            endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
            sub = subprocess.Popen([SYSTEM_PYTHON, SCRIPT, "--connect", endpoint, "--jsonl",
                                    "--idle", "60", "--pb2-dir", pb2_dir],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            own = os.path.join(tmp, "own%s.jsonl" % batch)
            t0 = time.time()
            rc, _, err = tw_common.run_sensor(
                sensor, ["-r", pcap, "--publish", endpoint, "--jsonl", own, "--batch", batch,
                         "--wait-subscribers", "1", "--hash-seed", "1", "-q"])
            got_out, got_err = sub.communicate(timeout=120)
            where = "--batch %s" % batch
            if not fails.check(rc == 0, "%s: sensor exit %d: %s" % (where, rc, err[-300:])):
                continue
            fails.check(sub.returncode == 0, "%s: subscriber exit %d: %s" %
                        (where, sub.returncode, got_err[-300:]))
            received = [json.loads(line) for line in got_out.splitlines() if line.strip()]
            with open(own, encoding="utf-8") as f:
                expected = [json.loads(line)["flow"] for line in f if '"flow"' in line]
            print("%s: %d flows from the Python subscriber, %d in the sensor's JSON lines, "
                  "%.1f s; %s" % (where, len(received), len(expected), time.time() - t0,
                                  got_err.strip().splitlines()[-1:]))
            packets = sum(tw_common.u64(r, "src_pkts") + tw_common.u64(r, "dst_pkts")
                          for r in received)
            fails.check(packets == truth["totals"]["packets"],
                        "%s: received flows hold %d packets, the generator planted %d" %
                        (where, packets, truth["totals"]["packets"]))
            fails.check(len(received) == len(expected), "%s: received %d flows, sensor wrote %d"
                        % (where, len(received), len(expected)))
            for i, (a, b) in enumerate(zip(received, expected)):
                if not fails.check(a == b, "%s: flow %d differs:\n  python %s\n  sensor %s" %
                                   (where, i + 1, json.dumps(a)[:300], json.dumps(b)[:300])):
                    break
            fails.check("missed 0" in got_err and " 0 malformed" in got_err,
                        "%s: subscriber reports loss: %s" % (where, got_err[-300:]))
    fails.finish("a Python subscriber receives exactly the sensor's flows, batched and not")


if __name__ == "__main__":
    sys.exit(main())
