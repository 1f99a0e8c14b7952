#!/usr/bin/env python3
"""Flow semantics against tshark and argus on real captures and a crafted one.

Usage: flow_semantics_test.py SENSOR

1. Zeek t/T (retransmitted payload, once per direction): on every capture of
   $TAPWATCH_SHARED/pcaps, a TCP flow's history has T (originator) / t (responder) exactly when
   tshark marks a payload segment of that direction as a retransmission (plain, fast) or out of
   order, and not as a keep-alive. Left out: flows whose 12 history letters are all used (a late
   letter may not fit), and directions whose only marks are "spurious" (see below).
2. argus REQ/ACC for handshakes that went idle: a crafted capture (a lone SYN, a SYN sent twice,
   SYN + SYN-ACK, then one unrelated packet 600 s later) read with the default idle timeouts and
   no interim records: each TCP flow ends "idle" with the state argus 3.0.8 prints for it.
3. ICMP query pairs: markofu-pcaps__ICMP_echo_fingerprinting.pcap (xprobe2). Each timestamp,
   information or address-mask record argus prints is one flow of ours between the same hosts,
   with the same state, packet count and one-way/both-ways shape.
4. First fragments: zeek__ipv6-fragmented-dns.pcap. A first fragment (offset 0, more set) counts
   in the 5-tuple flow of the ports tshark shows in it, and its later fragments follow it; a later
   fragment whose first was never seen counts in the address-pair flow (ports 0). And a crafted
   SYN cut into 8-byte fragments (nmap -f): the first fragment holds only part of the TCP header,
   yet its ports (which tshark shows) key its flow.
"""

import ipaddress
import os
import struct
import subprocess
import sys
import tempfile
from collections import defaultdict

import pcap_writer as pw
import tw_common as tw

HISTORY_CHARS = 12  # kHistoryChars in flowtable/flow.h
ARGUS = ["argus", "-X", "-S", "86400"]


def norm(a):
    return ipaddress.ip_address(a).compressed


def tshark(path, fields, display_filter, extra=()):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    cmd += list(extra) + ["-Y", display_filter, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
    return [line.split("\t") for line in out.stdout.decode().splitlines()]


def ra(argus_file, fields, proto):
    out = subprocess.run(["ra", "-r", argus_file, "-n", "-c", ",", "-L", "-1", "-s"] + fields +
                         ["-", proto], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=60)
    return [[x.strip() for x in line.split(",")] for line in out.stdout.decode().splitlines()]


def retransmissions(sensor, pdir, fails):
    """Item 1: returns (directions compared, directions with T/t, directions left out)."""
    rexmit = ("tcp.len > 0 and (tcp.analysis.retransmission or tcp.analysis.fast_retransmission "
              "or tcp.analysis.spurious_retransmission or tcp.analysis.out_of_order) and not "
              "tcp.analysis.keep_alive")
    fields = ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
              "tcp.analysis.spurious_retransmission"]
    compared = with_t = left_out = 0
    for name in sorted(os.listdir(pdir)):
        if not name.endswith((".pcap", ".pcapng")):
            continue
        path = os.path.join(pdir, name)
        # tshark calls a segment "spurious" when the peer had acknowledged it already. That is
        # a real retransmission, or a capture that starts mid-stream or holds an ACK before the
        # data it acknowledges: Zeek's T looks only at the side's own data, so a direction whose
        # only marks are spurious ones is left out, not compared.
        want, spurious_only = set(), set()
        for c in tshark(path, fields, rexmit):
            if len(c) == 7 and c[2]:
                d = (norm(c[0] or c[1]), int(c[2]), norm(c[3] or c[4]), int(c[5]))
                (spurious_only if c[6] else want).add(d)
        spurious_only -= want
        _, flows, _, _ = tw.sensor_jsonl(sensor, ["-r", path])
        for f in flows:
            if f.get("ip_proto") != 6:
                continue
            h = f.get("history", "")
            if len(h) >= HISTORY_CHARS:
                continue
            src = (norm(f["src_addr"]), f.get("src_port", 0))
            dst = (norm(f["dst_addr"]), f.get("dst_port", 0))
            for letter, a, b in (("T", src, dst), ("t", dst, src)):
                ours = letter in h
                theirs = a + b in want
                if a + b in spurious_only:
                    left_out += 1
                    print("%s: %s:%d -> %s:%d: only spurious marks; history %s" %
                          (name, a[0], a[1], b[0], b[1], h))
                    continue
                compared += 1
                with_t += ours
                fails.check(ours == theirs, "%s: %s:%d -> %s:%d: history %s, tshark %s a "
                            "retransmission" % (name, a[0], a[1], b[0], b[1], h,
                                                "marks" if theirs else "does not mark"))
    return compared, with_t, left_out


def idle_handshakes(sensor, tmp, fails):
    """Item 2."""
    a, b, c, d = pw.v4("10.1.0.1"), pw.v4("10.1.0.2"), pw.v4("10.1.0.3"), pw.v4("10.1.0.4")
    t = 1_700_000_000 * 1_000_000
    s = 1_000_000
    recs = [
        pw.record(t, pw.tcp_frame(a, b, 40000, 80, 1000, 0x02)),                  # lone SYN
        pw.record(t + s, pw.tcp_frame(a, b, 40001, 81, 2000, 0x02)),              # SYN ...
        pw.record(t + s + s // 10, pw.tcp_frame(b, a, 81, 40001, 9000, 0x12, ack=2001)),  # SYN-ACK
        pw.record(t + 2 * s, pw.tcp_frame(a, b, 40002, 82, 3000, 0x02)),          # SYN, twice
        pw.record(t + 3 * s, pw.tcp_frame(a, b, 40002, 82, 3000, 0x02)),
        # After every TCP idle timeout (SYN + SYN-ACK counts as established: 300 s).
        pw.record(t + 600 * s, pw.udp_frame(c, d, 1, 2)),
    ]
    pcap = os.path.join(tmp, "idle.pcap")
    with open(pcap, "wb") as out:
        out.write(pw.global_header() + b"".join(recs))
    rc, out, err = tw.run_sensor(sensor, ["-r", pcap, "--jsonl", "-", "-q", "--hash-seed", "1",
                                          "--active-timeout", "0"])
    fails.check(rc == 0, "idle handshakes: sensor exit %d: %s" % (rc, err.strip()[:200]))
    flows, _ = tw.parse_jsonl(out)
    af = os.path.join(tmp, "idle.argus")
    subprocess.run(ARGUS + ["-r", pcap, "-w", af], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   timeout=60)
    theirs = {int(r[1]): r[2] for r in ra(af, ["saddr", "sport", "state:8"], "tcp") if len(r) == 3}
    fails.check(len(theirs) == 3, "idle handshakes: argus printed %d TCP records" % len(theirs))
    seen = 0
    for f in flows:
        if f.get("ip_proto") != 6:
            continue
        seen += 1
        port = f.get("src_port")
        fails.check(f.get("end_reason") == "idle",
                    "idle handshakes: port %s ended %s, want idle" % (port, f.get("end_reason")))
        fails.check(f.get("argus_state") == theirs.get(port),
                    "idle handshakes: port %s: ours %s, argus %s" %
                    (port, f.get("argus_state"), theirs.get(port)))
        print("idle handshake from port %s: ours %s, argus %s" %
              (port, f.get("argus_state"), theirs.get(port)))
    fails.check(seen == 3, "idle handshakes: %d TCP flows, want 3" % seen)


def icmp_queries(sensor, pdir, tmp, fails):
    """Item 3."""
    path = os.path.join(pdir, "markofu-pcaps__ICMP_echo_fingerprinting.pcap")
    if not os.path.exists(path):
        fails.add("missing " + path)
        return
    af = os.path.join(tmp, "xprobe.argus")
    subprocess.run(ARGUS + ["-r", path, "-w", af], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=60)
    rows = ra(af, ["saddr", "dir", "daddr", "pkts", "state:8"], "icmp")
    queries = [r for r in rows if len(r) == 5 and r[4] in ("TST", "TSR", "IRQ", "IRR", "MAS",
                                                            "MSR")]
    fails.check(len(queries) >= 2, "xprobe: argus printed %d ICMP query records, want >= 2" %
                len(queries))
    _, flows, _, _ = tw.sensor_jsonl(sensor, ["-r", path])
    for saddr, direction, daddr, pkts, state in queries:
        mine = [f for f in flows if f.get("ip_proto") == 1 and f.get("argus_state") == state and
                {f["src_addr"], f["dst_addr"]} == {saddr, daddr}]
        if not fails.check(len(mine) == 1, "xprobe %s %s %s: %d flows of ours" %
                           (saddr, state, daddr, len(mine))):
            continue
        f = mine[0]
        sp, dp = tw.u64(f, "src_pkts"), tw.u64(f, "dst_pkts")
        fails.check(f["src_addr"] == saddr and sp + dp == int(pkts) and
                    (dp > 0) == (direction == "<->"),
                    "xprobe %s: argus %s %s %s %s packets; ours %s -> %s, %d + %d packets" %
                    (state, saddr, direction, daddr, pkts, f["src_addr"], f["dst_addr"], sp, dp))
        print("xprobe %s: argus %s %s %s, %s packets; ours %d + %d" %
              (state, saddr, direction, daddr, pkts, sp, dp))


def first_fragments(sensor, pdir, fails):
    """Item 4."""
    path = os.path.join(pdir, "zeek__ipv6-fragmented-dns.pcap")
    if not os.path.exists(path):
        fails.add("missing " + path)
        return
    rows = tshark(path, ["ipv6.src", "ipv6.dst", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
                         "ipv6.fraghdr.ident", "udp.srcport", "udp.dstport"], "ipv6")
    want = defaultdict(lambda: [0, 0])  # (src, sport, dst, dport) -> [packets, fragments]
    firsts = {}  # (src, dst, ident) -> the 5-tuple of the first fragment
    n_first = 0
    for src, dst, off, more, ident, sport, dport in rows:
        src, dst = norm(src), norm(dst)
        frag = off != ""
        if sport:
            key = (src, int(sport), dst, int(dport))
            if frag:
                n_first += off == "0" and more == "1"
                firsts[(src, dst, ident)] = key
        else:
            key = firsts.get((src, dst, ident), (src, 0, dst, 0))
        want[key][0] += 1
        want[key][1] += frag
    fails.check(n_first >= 1, "ipv6-fragmented-dns: tshark shows no first fragment with ports")
    _, flows, _, _ = tw.sensor_jsonl(sensor, ["-r", path])
    got = defaultdict(lambda: [0, 0])
    for f in flows:
        s = (norm(f["src_addr"]), f.get("src_port", 0))
        d = (norm(f["dst_addr"]), f.get("dst_port", 0))
        got[s + d][0] += tw.u64(f, "src_pkts")
        got[s + d][1] += tw.u64(f, "src_fragments")
        got[d + s][0] += tw.u64(f, "dst_pkts")
        got[d + s][1] += tw.u64(f, "dst_fragments")
    for key, (pkts, frags) in sorted(want.items()):
        fails.check(got.get(key) == [pkts, frags],
                    "ipv6-fragmented-dns %s: ours %s packets/fragments, tshark %s" %
                    (key, got.get(key), [pkts, frags]))
    print("ipv6-fragmented-dns: %d first fragment(s); per direction %s" %
          (n_first, dict(want)))


def tiny_first_fragment(sensor, tmp, fails):
    """Item 4, TCP: nmap -f cuts a SYN's header into 8-byte fragments; tshark shows the ports
    of the first. Both fragments and the SYN-ACK are one flow of those ports."""
    a, b = pw.v4("10.2.0.1"), pw.v4("10.2.0.2")

    def ip(payload, flags_offset):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, flags_offset, 64, 6, 0,
                          a, b)
        return hdr[:10] + struct.pack("!H", pw.checksum(hdr)) + hdr[12:] + payload

    syn = pw.tcp(a, b, 40000, 80, 1000, 0x02)
    t = 1_700_000_000 * 1_000_000
    pcap = os.path.join(tmp, "tinyfrag.pcap")
    with open(pcap, "wb") as out:
        out.write(pw.global_header() + pw.record(t, pw.ether(ip(syn[:8], 0x2000))) +
                  pw.record(t + 1000, pw.ether(ip(syn[8:], 1))) +
                  pw.record(t + 2000, pw.tcp_frame(b, a, 80, 40000, 5000, 0x12, ack=1001)))
    rows = tshark(pcap, ["frame.number", "tcp.srcport", "tcp.dstport"], "frame.number == 1")
    fails.check(rows == [["1", "40000", "80"]], "tiny fragment: tshark shows %s" % rows)
    _, flows, _, _ = tw.sensor_jsonl(sensor, ["-r", pcap])
    got = [(f.get("src_port", 0), f.get("dst_port", 0), tw.u64(f, "src_pkts"),
            tw.u64(f, "src_fragments"), tw.u64(f, "dst_pkts")) for f in flows]
    fails.check(got == [(40000, 80, 2, 2, 1)],
                "tiny fragment: flows (sport, dport, src pkts, src fragments, dst pkts) %s, "
                "want [(40000, 80, 2, 2, 1)]" % got)
    print("tiny first fragment: %s" % got)


def main():
    sensor = sys.argv[1]
    pdir = os.path.join(tw.shared_dir(), "pcaps")
    for tool in ("tshark", "argus", "ra"):
        if subprocess.run(["which", tool], stdout=subprocess.PIPE).returncode != 0:
            tw.skip(tool + " not installed")
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_semantics_")
    idle_handshakes(sensor, tmp, fails)
    tiny_first_fragment(sensor, tmp, fails)
    if not os.path.isdir(pdir):
        tw.skip("no shared captures in " + pdir)
    icmp_queries(sensor, pdir, tmp, fails)
    first_fragments(sensor, pdir, fails)
    compared, with_t, left_out = retransmissions(sensor, pdir, fails)
    print("retransmissions: %d TCP flow directions compared with tshark, %d with T/t; %d with "
          "only spurious marks left out" % (compared, with_t, left_out))
    fails.check(with_t >= 10, "only %d directions with T/t: the comparison is too thin" % with_t)
    fails.finish("flow semantics")


if __name__ == "__main__":
    sys.exit(main())
