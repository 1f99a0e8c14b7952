#!/usr/bin/env python3
"""A log and a pcap of the same traffic give identical flows.

For each log: `tapwatch-sensor --log L --write-pcap P --jsonl A`, then `tapwatch-sensor -r P
--jsonl B`, with the sensor's default timeouts and stats interval (so idle expiry, interim records
and stats intervals must line up too), and a fixed hash seed. The two record streams must be
identical field by field, in the same order, except:
  - flow.log_labels: per-prefix packet counts exist only on the log side (a pcap has no log
    prefix). Checked instead: every log-side flow has them, and they sum to the flow's packets.
  - flow.in_iface / out_iface: the interfaces of the flow's first line, log side only. Checked
    instead against a regex pass over the netfilter lines: the record's pair is the pair
    (PHYSIN or IN, PHYSOUT or OUT) of one of the lines between the flow's two addresses, and a
    flow whose lines all name an interface has one.
  - stats.log_lines_packet / log_lines_other / log_lines_malformed: log line counters, log side
    only. Checked instead: the last stats record's log_lines_packet equals the packet-line count.
  - envelope sensor_start_ns: the wall clock when each sensor process started.
Independent anchors (so two empty or equally wrong outputs cannot pass): the packet lines counted
by awk over the log, the pcap's packet count by tshark (when installed), and total_packets in the
pcap side's last stats record all equal.

Logs: the SOTM30 head and the UFW log of $TAPWATCH_SHARED/logs (skipped visibly when absent,
failing under CI=true), and a log of verbatim quoted lines (SOTM30 netfilter, the 1.11.0.0/16
leak's wrapped ipchains) plus kernel-format ICMP error, fragment and IPv6 lines, which always runs.
Usage: log_pcap_flows_test.py SENSOR
"""

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

LOG_ONLY_FLOW_FIELDS = {"log_labels", "in_iface", "out_iface"}
LOG_ONLY_STATS_FIELDS = {"log_lines_packet", "log_lines_other", "log_lines_malformed"}
ENVELOPE_DIFFERS = {"sensor_start_ns"}

# Verbatim quoted lines (SOTM30 netfilter; the 1.11.0.0/16 leak's ipchains, wrapped over two
# lines), then kernel-format lines for the cases those quotes do not show, in time order (one
# year).
SEED_LOG = """\
Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=192.150.249.87 DST=11.11.11.84 LEN=40 TOS=0x00 PREC=0x00 TTL=110 ID=12973 PROTO=TCP SPT=220 DPT=6129 WINDOW=16384 RES=0x00 SYN URGP=0
Feb  3 10:00:00 fw kernel: OUT ICMP: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=68 TOS=0x00 PREC=0xC0 TTL=64 ID=1234 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.1 LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=42 DF PROTO=UDP SPT=5353 DPT=53 LEN=20 ] 
Feb  3 13:43:51 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.0.2 LEN=32
Feb  3 13:45:06 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb  3 13:45:11 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb  3 13:45:11 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb  8 11:02:10 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=161.58.176.160 DST=11.11.11.75 LEN=28 TOS=0x00 PREC=0x00 TTL=1 ID=55782 PROTO=ICMP TYPE=8 CODE=0 ID=512 SEQ=19298
Feb  8 11:02:11 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=161.58.176.160 DST=11.11.11.75 LEN=28 TOS=0x00 PREC=0x00 TTL=1 ID=55910 PROTO=ICMP TYPE=8 CODE=0 ID=512 SEQ=22370
Feb  8 11:02:13 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=161.58.176.160 DST=11.11.11.75 LEN=28 TOS=0x00 PREC=0x00 TTL=1 ID=55966 PROTO=ICMP TYPE=8 CODE=0 ID=512 SEQ=25442
Feb 10 14:03:35 bridge kernel: INBLOCK: IN=eth1 OUT= MAC=00:02:b3:65:c9:71:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.69 DST=11.11.11.65 LEN=65 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=1025 DPT=514 LEN=45
Feb 10 14:47:18 bridge kernel: INBLOCK: IN=eth1 OUT= MAC=ff:ff:ff:ff:ff:ff:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.69 DST=11.11.11.255 LEN=241 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=138 DPT=138 LEN=221
Feb 11 10:03:32 bridge kernel: INBLOCK: IN=eth1 OUT= MAC=ff:ff:ff:ff:ff:ff:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.67 DST=11.11.11.255 LEN=96 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=137 DPT=137 LEN=76
Feb 11 11:08:38 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=63.204.248.182 DST=11.11.11.90 LEN=48 TOS=0x00 PREC=0x00 TTL=113 ID=23614 DF PROTO=TCP SPT=3961 DPT=135 WINDOW=64800 RES=0x00 SYN URGP=0
Feb 16 08:08:09 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=127.0.0.1 DST=11.11.11.82 LEN=40 TOS=0x00 PREC=0x00 TTL=119 ID=21925 PROTO=TCP SPT=80 DPT=1537 WINDOW=0 RES=0x00 ACK RST URGP=0
Feb 16 08:08:22 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=127.0.0.1 DST=11.11.11.72 LEN=40 TOS=0x00 PREC=0x00 TTL=119 ID=23190 PROTO=TCP SPT=80 DPT=1866 WINDOW=0 RES=0x00 ACK RST URGP=0
Feb 16 08:08:34 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=127.0.0.1 DST=11.11.11.85 LEN=40 TOS=0x00 PREC=0x00 TTL=119 ID=24295 PROTO=TCP SPT=80 DPT=1271 WINDOW=0 RES=0x00 ACK RST URGP=0
Feb 19 12:11:00 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb 19 12:11:01 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb 19 12:11:04 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.67 DST=224.0.1.1 LEN=32
Feb 27 14:40:06 bridge kernel: OUTG CONN TCP: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 SRC=11.11.11.71 DST=220.210.69.62 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=50688 DF PROTO=TCP SPT=80 DPT=1325 WINDOW=6432 RES=0x00 ACK URGP=0
Mar  1 00:00:00 fw kernel: FRAG: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=548 TOS=0x10 PREC=0x20 TTL=50 ID=777 FRAG:185 PROTO=UDP 
Mar  1 00:00:01 fw kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 CE DF PROTO=TCP SPT=1 DPT=2 SEQ=4000000000 ACK=123456 WINDOW=5 RES=0x00 CWR ECE URG ACK PSH RST SYN FIN URGP=7 
Jun  2 12:00:00 host kernel: [UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01:00:11:22:33:44:55:86:dd SRC=2001:db8::1 DST=fe80::2:3 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=654321 PROTO=TCP SPT=443 DPT=50000 WINDOW=100 RES=0x00 ACK FIN URGP=0 
Jun  2 12:00:01 host kernel: v6ping IN=eth0 OUT= SRC=::ffff:1.2.3.4 DST=2001:db8::99 LEN=104 TC=16 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=9 
Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6
172.30.3.56:4425 1.11.68.22:445 L=40 S=0x00 I=42620 F=0x4000 T=128 (#13)
Aug 10 05:15:49 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6
172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42665 F=0x4000 T=128 (#13)
Aug 10 05:15:50 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6
172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42673 F=0x4000 T=128 (#13)
Aug 10 05:54:32 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6
172.30.3.78:1160 1.11.31.99:445 L=79 S=0x00 I=11794 F=0x4000 T=128 (#13)
Aug 10 05:54:32 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6
172.30.3.78:1160 1.11.31.99:445 L=79 S=0x00 I=11795 F=0x4000 T=128 (#13)
"""
# 17 netfilter lines + 5 ipchains lines wrapped over two physical lines. The 7 "OUTG CONN OTHER"
# lines are truncated in the SOTM30 quote (no PROTO=): malformed on the log side, no packet.
SEED_PACKETS = 22


def awk_packet_lines(path):
    """Packet lines counted independently: netfilter lines carry " IN=" and " PROTO=", ipchains
    "Packet log:"."""
    out = subprocess.run(["awk", "/ IN=.* PROTO=|Packet log:/ {n++} END {print n+0}", path],
                         stdout=subprocess.PIPE, check=True).stdout
    return int(out)


def tshark_count(pcap):
    if shutil.which("tshark") is None:
        return None
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    return len(out.splitlines())


def load(path):
    """Envelopes in file order: (kind, envelope without its payload, payload)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            env = json.loads(line)
            kind = "flow" if "flow" in env else "stats" if "stats" in env else None
            if kind is None:
                raise ValueError("envelope with neither flow nor stats: " + line[:200])
            payload = env.pop(kind)
            rows.append((kind, env, payload))
    return rows


def netfilter_ifaces(log):
    """{frozenset of the two addresses: set of (in, out) interface pairs}, from netfilter lines:
    in = PHYSIN= if logged else IN=, out = PHYSOUT= else OUT= (before any quoted inner packet)."""
    pairs = {}
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            outer = line.split("[SRC=", 1)[0] if " kernel: " in line else ""
            m_src = re.search(r" SRC=(\S+)", outer)
            m_dst = re.search(r" DST=(\S+)", outer)
            if not (m_src and m_dst and re.search(r" IN=", outer)):
                continue

            def field(key):
                m = re.search(r" %s=(\S*)" % key, outer)
                return m.group(1) if m else ""
            try:
                key = frozenset(ipaddress.ip_address(x).compressed
                                for x in (m_src.group(1), m_dst.group(1)))
            except ValueError:
                continue
            pair = (field("PHYSIN") or field("IN"), field("PHYSOUT") or field("OUT"))
            pairs.setdefault(key, set()).add(pair)
    return pairs


def check_ifaces(name, log, records, fails):
    pairs = netfilter_ifaces(log)
    checked = 0
    for kind, _, p in records:
        if kind != "flow":
            continue
        key = frozenset((p.get("src_addr", ""), p.get("dst_addr", "")))
        if key not in pairs:
            continue  # an ipchains line, or one this regex does not read
        got = (p.get("in_iface", ""), p.get("out_iface", ""))
        checked += 1
        fails.check(got in pairs[key], "%s: flow %s -> %s has interfaces %r, its lines %r" %
                    (name, p.get("src_addr"), p.get("dst_addr"), got, sorted(pairs[key])))
        if all(a or b for a, b in pairs[key]):
            fails.check(got != ("", ""), "%s: flow %s -> %s lost its interfaces" %
                        (name, p.get("src_addr"), p.get("dst_addr")))
    fails.check(checked > 0, "%s: no flow's interfaces could be checked" % name)


def compare(name, log, year, tmp, sensor, fails):
    pcap = os.path.join(tmp, name + ".pcap")
    a = os.path.join(tmp, name + ".log.jsonl")
    b = os.path.join(tmp, name + ".pcap.jsonl")
    common = ["-q", "--hash-seed", "1", "--sensor-id", "itest"]
    rc, _, err = tw_common.run_sensor(
        sensor, ["--log", log, "--year", str(year), "--write-pcap", pcap, "--jsonl", a] + common)
    if not fails.check(rc == 0, "%s: sensor --log exit %d: %s" % (name, rc, err[-500:])):
        return
    rc, _, err = tw_common.run_sensor(sensor, ["-r", pcap, "--jsonl", b] + common)
    if not fails.check(rc == 0, "%s: sensor -r exit %d: %s" % (name, rc, err[-500:])):
        return
    ra, rb = load(a), load(b)
    check_ifaces(name, log, ra, fails)
    lines = awk_packet_lines(log)
    # A line without a log prefix ("kernel: IN=...") counts under no label.
    unlabelled = subprocess.run(["grep", "-c", "kernel: IN=", log], stdout=subprocess.PIPE).stdout
    all_labelled = int(unlabelled or 0) == 0
    n_flows = sum(1 for k, _, _ in ra if k == "flow")
    print("%s: %d packet lines, %d log records (%d flow), %d pcap records" %
          (name, lines, len(ra), n_flows, len(rb)))
    fails.check(n_flows > 0, "%s: no flow records" % name)
    fails.check(len(ra) == len(rb), "%s: %d records from the log, %d from the pcap" %
                (name, len(ra), len(rb)))
    # Independent anchors.
    n_pcap = tshark_count(pcap)
    if n_pcap is not None:
        fails.check(n_pcap == lines, "%s: tshark reads %d packets, awk counts %d packet lines" %
                    (name, n_pcap, lines))
    stats_a = [p for k, _, p in ra if k == "stats"]
    stats_b = [p for k, _, p in rb if k == "stats"]
    if fails.check(stats_a and stats_b, "%s: no stats records" % name):
        fails.check(tw_common.u64(stats_b[-1], "total_packets") == lines,
                    "%s: pcap side total_packets %s, awk %d" %
                    (name, stats_b[-1].get("total_packets"), lines))
        fails.check(tw_common.u64(stats_a[-1], "log_lines_packet") == lines,
                    "%s: log side log_lines_packet %s, awk %d" %
                    (name, stats_a[-1].get("log_lines_packet"), lines))
    # Field by field, in order.
    for i, ((ka, ea, pa), (kb, eb, pb)) in enumerate(zip(ra, rb)):
        where = "%s record %d" % (name, i + 1)
        if not fails.check(ka == kb, "%s: %s from the log, %s from the pcap" % (where, ka, kb)):
            break
        for key in sorted(set(ea) | set(eb)):
            if key not in ENVELOPE_DIFFERS:
                fails.check(ea.get(key) == eb.get(key), "%s envelope %s: log %r, pcap %r" %
                            (where, key, ea.get(key), eb.get(key)))
        skip = LOG_ONLY_FLOW_FIELDS if ka == "flow" else LOG_ONLY_STATS_FIELDS
        for key in sorted(set(pa) | set(pb)):
            if key in skip:
                fails.check(key not in pb, "%s: %s on the pcap side" % (where, key))
                continue
            fails.check(pa.get(key) == pb.get(key), "%s %s.%s: log %r, pcap %r" %
                        (where, ka, key, pa.get(key), pb.get(key)))
        if ka == "flow":
            labels = pa.get("log_labels", {})
            pkts = tw_common.u64(pa, "src_pkts") + tw_common.u64(pa, "dst_pkts")
            total = sum(int(v) for v in labels.values())
            fails.check(total == pkts if all_labelled else total <= pkts,
                        "%s: log_labels %r do not add up to the %d packets" % (where, labels, pkts))


def check_several_logs(seed, year, tmp, sensor, fails):
    """Stats line counters are cumulative over every log of a run: with the seed log given twice,
    they never go down and the last record counts both copies (awk's count, twice)."""
    out = os.path.join(tmp, "twice.jsonl")
    rc, _, err = tw_common.run_sensor(
        sensor, ["--log", seed, "--log", seed, "--year", str(year), "--jsonl", out])
    if not fails.check(rc == 0, "two logs: sensor exit %d: %s" % (rc, err[-500:])):
        return
    stats = [p for k, _, p in load(out) if k == "stats"]
    if not fails.check(stats, "two logs: no stats records"):
        return
    for key in sorted(LOG_ONLY_STATS_FIELDS):
        values = [tw_common.u64(p, key) for p in stats]
        fails.check(values == sorted(values), "two logs: %s goes down: %r" % (key, values))
    fails.check(tw_common.u64(stats[-1], "log_lines_packet") == 2 * awk_packet_lines(seed),
                "two logs: last log_lines_packet %s, awk counts 2 x %d" %
                (stats[-1].get("log_lines_packet"), awk_packet_lines(seed)))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    sensor = sys.argv[1]
    fails = tw_common.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_logpcap_")
    missing = []
    try:
        seed = os.path.join(tmp, "seed.log")
        with open(seed, "w", encoding="utf-8") as f:
            f.write(SEED_LOG)
        fails.check(awk_packet_lines(seed) == SEED_PACKETS, "seed log: awk count changed")
        compare("seed", seed, 2004, tmp, sensor, fails)
        check_several_logs(seed, 2004, tmp, sensor, fails)
        logs = os.path.join(tw_common.shared_dir(), "logs")
        real = (("sotm30", "Tetoronie-Scripting-and-Automation__iptables.log", 2004),
                ("ufw", "teliten-log.plemma__ufw.log", 2022))
        for name, file, year in real:
            path = os.path.join(logs, file)
            if os.access(path, os.R_OK):
                compare(name, path, year, tmp, sensor, fails)
            else:
                missing.append(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if missing and not fails.items:
        tw_common.skip("seed log identical; real logs absent: " + ", ".join(missing))
    fails.finish("log and pcap of the same traffic give identical records")


if __name__ == "__main__":
    sys.exit(main())
