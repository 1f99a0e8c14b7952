#!/usr/bin/env python3
"""The command line people expect, on the real executables, against independent references:
  --version      both print "NAME VERSION" with the version of CMakeLists.txt's project();
  -c COUNT       the sensor stops after COUNT packets: its final stats record counts COUNT, as
                 many as `tcpdump -c COUNT` reads from the same capture;
  -F FILE        the BPF expression from a file (with '#' comments) selects the same packets as
                 `tcpdump -F FILE`, and the same flows as the expression on the command line;
  --opt=value    gives the same records as --opt value.

Usage: command_line_test.py SENSOR COLLECTOR PROJECT_CMAKELISTS CAPTURE
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import tw_common as tw


def tcpdump_count(args):
    r = subprocess.run(["tcpdump", "-nn", "-q"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("tcpdump %s: %s" % (args, r.stderr))
    return len([l for l in r.stdout.splitlines() if l.strip()])


def final_packets(stats):
    finals = [s for s in stats if s.get("final")]
    return tw.u64(finals[0], "total_packets") if len(finals) == 1 else -1


def main():
    sensor, collector, cmakelists, capture = sys.argv[1:5]
    if shutil.which("tcpdump") is None:
        tw.skip("tcpdump not installed")
    fails = tw.Failures()
    version = re.search(r"project\(tapwatch VERSION (\S+)", open(cmakelists).read()).group(1)
    for exe, name in ((sensor, "tapwatch-sensor"), (collector, "tapwatch-collector")):
        r = subprocess.run([exe, "--version"], capture_output=True, text=True)
        fails.check(r.returncode == 0 and r.stdout == "%s %s\n" % (name, version),
                    "%s --version: exit %d, %r" % (name, r.returncode, r.stdout))

    for count in (1, 10, 100):
        rc, flows, stats, err = tw.sensor_jsonl(sensor, ["-r", capture, "-c", str(count)])
        want = tcpdump_count(["-r", capture, "-c", str(count)])
        got = final_packets(stats)
        flow_pkts = sum(tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts") for f in flows)
        print("-c %d: sensor %d packets (%d in flows), tcpdump %d" % (count, got, flow_pkts, want))
        fails.check(rc == 0, "-c %d: exit %d: %s" % (count, rc, err))
        fails.check(got == want == count, "-c %d: sensor read %d, tcpdump %d" % (count, got, want))

    with tempfile.TemporaryDirectory() as tmp:
        bpf = os.path.join(tmp, "filter.bpf")
        with open(bpf, "w") as f:
            f.write("# the web and the name service\ntcp port 80   # web\n or udp port 53\n")
        want = tcpdump_count(["-r", capture, "-F", bpf])
        rc, flows, stats, err = tw.sensor_jsonl(sensor, ["-r", capture, "-F", bpf])
        got = final_packets(stats)
        rc2, flows2, _, err2 = tw.sensor_jsonl(sensor, ["-r", capture, "tcp", "port", "80", "or",
                                                        "udp", "port", "53"])
        print("-F: sensor %d packets in %d flows, tcpdump -F %d packets; the expression on the "
              "command line: %d flows" % (got, len(flows), want, len(flows2)))
        fails.check(rc == 0 and rc2 == 0, "-F: exit %d / %d: %s %s" % (rc, rc2, err, err2))
        fails.check(got == want and want > 0, "-F: sensor %d packets, tcpdump %d" % (got, want))
        fails.check(flows == flows2, "-F and the command-line expression give different flows")

    base = ["--jsonl", "-", "--sensor-id", "x", "--hash-seed", "7", "-q", "--active-timeout"]
    rc, spaced, _ = tw.run_sensor(sensor, ["-r", capture] + base + ["30", "--idle-timeout", "5"])
    rc2, joined, _ = tw.run_sensor(sensor, ["-r" + capture, "--jsonl=-", "--sensor-id=x",
                                            "--hash-seed=7", "-q", "--active-timeout=30",
                                            "--idle-timeout=5"])
    spaced_flows, joined_flows = tw.parse_jsonl(spaced)[0], tw.parse_jsonl(joined)[0]
    print("--opt=value: %d flows, --opt value: %d flows" % (len(joined_flows), len(spaced_flows)))
    fails.check(rc == rc2 == 0 and spaced_flows == joined_flows and len(spaced_flows) > 0,
                "--opt=value and -rFILE give different flows than --opt value and -r FILE")
    fails.finish("command line: --version, -c, -F, --opt=value")


if __name__ == "__main__":
    main()
