"""Ground truth, end to end: pcaps/honeynet.pcap goes sensor -> ZeroMQ -> collector -> SQLite ->
report (JSON), and every planted phenomenon of pcaps/honeynet.truth.json (written by the
generator from what it planted, not from our output) must be found, and nothing it says must
not be.

usage: honeynet_report_test.py SENSOR COLLECTOR PCAP_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402


def main():
    sensor, collector, pcap_dir = sys.argv[1:4]
    pcap = os.path.join(pcap_dir, "honeynet.pcap")
    truth = json.load(open(os.path.join(pcap_dir, "honeynet.truth.json")))
    failures = []

    def check(name, ok, detail):
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
        if not ok:
            failures.append(name)

    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "flows.db")
        endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
        col = subprocess.Popen([collector, "--connect", endpoint, "--db", db,
                                "--exit-after-final", "1", "--idle-exit", "120", "--quiet"])
        s = subprocess.run([sensor, "-r", pcap, "--publish", endpoint, "--sensor-id", "honeynet",
                            "--wait-subscribers", "1", "--stats-interval", "3600", "-q"],
                           capture_output=True, text=True, timeout=300)
        check("sensor exit status", s.returncode == 0, s.stderr)
        col.wait(timeout=300)
        check("collector exit status", col.returncode == 0, str(col.returncode))
        args = [collector, "report", "--db", db, "--format", "json", "--honeynet"]
        for h in truth["home"]:
            args += ["--home", h]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        check("report exit status", r.returncode == 0, r.stderr)
        report = json.loads(r.stdout)

    # hosts: the three most attacked home hosts, in order.
    top3 = [h["host"] for h in report["hosts"]["hosts"][:3]]
    check("hosts top 3", top3 == truth["hosts_top3"], "%s != %s" % (top3, truth["hosts_top3"]))

    # open_ports: per home host, exactly the planted TCP and UDP ports.
    found = {h["host"]: {"tcp": sorted(h["tcp"]), "udp": sorted(h["udp"])}
             for h in report["open_ports"]["hosts"]}
    want = {h: {"tcp": sorted(p["tcp"]), "udp": sorted(p["udp"])}
            for h, p in truth["open_ports"].items()}
    check("open ports", found == want, "%s != %s" % (found, want))

    # mac_aliases: the shared MAC and its home addresses.
    aliases = sorted((a["mac"], sorted(a["home_ips"])) for a in report["mac_aliases"]["aliases"])
    want_aliases = sorted((a["mac"], sorted(a["ips"])) for a in truth["mac_aliases"])
    check("mac aliases", aliases == want_aliases, "%s != %s" % (aliases, want_aliases))

    # slow_scans: exactly the slow scanners; the one-off burst source is not among them.
    slow = sorted(x["source"] for x in report["slow_scans"]["sources"])
    check("slow scanners", slow == sorted(truth["slow_scanners"]),
          "%s != %s" % (slow, truth["slow_scanners"]))
    check("not slow", not set(slow) & set(truth["not_slow"]), "flagged %s" % (set(slow) & set(truth["not_slow"])))

    # spoofed: RFC 1918 and loopback sources.
    spoofed = {x["source"] for x in report["spoofed"]["sources"]}
    want_spoofed = {x["src"] for x in truth["spoofed"]}
    check("spoofed sources", want_spoofed <= spoofed, "missing %s" % (want_spoofed - spoofed))

    # compromise: exactly the compromised home hosts; the ident/DNS-only host is not.
    compromised = sorted(report["compromise"]["compromised"])
    want_comp = sorted(c["host"] for c in truth["compromised"])
    check("compromised hosts", compromised == want_comp, "%s != %s" % (compromised, want_comp))
    check("not compromised", not set(compromised) & set(truth["not_compromised"]),
          "flagged %s" % (set(compromised) & set(truth["not_compromised"])))

    # gaps: the planted silence, to the nanosecond of the packets around it.
    gaps = [(g["start_ns"], g["end_ns"]) for g in report["gaps"]["gaps"]]
    want_gaps = [(g["from_ns"], g["to_ns"]) for g in truth["gaps"]]
    check("capture gaps", gaps == want_gaps, "%s != %s" % (gaps, want_gaps))

    # reserved_destinations: the internal hosts leaking to 1.11.0.0/16, per week.
    rd = truth["reserved_destinations"]
    nets = [n for n in report["reserved_destinations"]["networks"]
            if n["network"] == rd["network"]]
    hosts = sorted(nets[0]["host_list"]) if nets else []
    check("reserved destination hosts", hosts == sorted(rd["hosts"]), "%s != %s" % (hosts, rd["hosts"]))
    weekly = [w["hosts"] for w in report["reserved_destinations"]["weeks"]]
    check("reserved hosts per week", weekly == rd["hosts_per_week"],
          "%s != %s" % (weekly, rd["hosts_per_week"]))
    check("nothing got through", nets and nets[0]["data_got_through"] is False, str(nets))

    # bare_ack: the source network and that every target is dark.
    ba = truth["bare_ack"]
    bnets = [n for n in report["bare_ack"]["networks"] if n["source_network"] == ba["source_network"]]
    check("bare-ACK network", len(bnets) == 1, str(report["bare_ack"]["networks"]))
    if bnets:
        check("bare-ACK sources", bnets[0]["sources"] == len(ba["sources"]),
              "%s != %d" % (bnets[0]["sources"], len(ba["sources"])))
        check("bare-ACK targets dark", bnets[0]["targets_all_dark"] is True, str(bnets[0]))

    if failures:
        print("FAIL: %d check(s): %s" % (len(failures), ", ".join(failures)))
        return 1
    print("PASS: the report finds every planted item of honeynet.truth.json checked here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
