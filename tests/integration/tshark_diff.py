#!/usr/bin/env python3
"""Differential test: tapwatch-sensor flows against tshark, on every capture of
$TAPWATCH_SHARED/pcaps that tshark reads.

Usage: tshark_diff.py SENSOR [CAPTURE... | --dir DIR]
       (no capture: every file in $TAPWATCH_SHARED/pcaps; --dir: every capture in DIR)

For each capture, the sensor runs with timeouts longer than the capture (one record per flow) and
--jsonl; tshark prints one line per packet (frame.len and the outermost IP header's addresses,
protocol and TCP/UDP ports), with IP and IPv6 reassembly off so every fragment is its own line.
The test aggregates tshark's lines and asserts:

  A. Total: the file's packet count (capinfos -c -M; tshark's line count for damaged files) equals
     the final stats record's cumulative total_packets and the sum of decoded + unsupported +
     malformed over all stats records.
  B. Per unordered address pair + IP protocol: packets and wire bytes (sum of frame.len) of our
     flows equal tshark's, for every IP packet tshark sees.
  C. Per bidirectional TCP/UDP 5-tuple: packets and wire bytes equal tshark's, for every address
     pair + protocol group where tshark gave every packet its ports.

Deliberate differences, and how the comparison handles them:
  - ICMP/ICMPv6: our key puts the query id (echo, timestamp, information, address mask) or
    type/code (others, errors included) in the port slots, and an ICMP error is counted in its
    own ICMP flow (the quoted flow only notes it). tshark has no such key: ICMP is compared per
    address pair + protocol (B) only.
  - Fragments: a later fragment joins its datagram's 5-tuple flow when we saw the first fragment
    (else the address-pair flow with ports 0); tshark (reassembly off) gives later fragments no
    ports. Groups with port-less TCP/UDP packets in tshark are compared at level B only.
  - VLAN: our key includes the VLAN id; tshark's fields do not. Our flows are summed across VLANs.
  - Non-IP frames (ARP, LLC, IPX) are in no flow on either side; they count in A only.
  - Malformed L4 headers: a packet whose UDP length (RFC 768: 8..IP payload) or TCP data offset
    (RFC 9293: 20..IP payload bytes) is impossible joins the address-pair flow with ports 0 on our
    side; tshark still prints its ports. The test applies the same RFC rule to tshark's own
    udp.length / tcp.hdr_len / ip.len fields and expects ports 0 for those packets. Except a
    first fragment (offset 0, more fragments) that ends inside the TCP header: it keeps the ports
    its first bytes hold, on both sides.
  - Damaged (truncated) files: exit status 1 and the byte offset of the first incomplete record
    (computed here from the pcap record headers) in stderr; every complete record before the
    damage matches tshark (tshark reads up to the damage too). The zeek trunc captures
    (ip4-trunc, icmp-header-trunc, trunc-hdr) are complete files of snaplen-truncated packets,
    not damaged files: exit status 0, every packet counted (A), in a flow when its IP header is
    whole (B, C), like tshark, which shows no addresses for a cut IP header either.
  - Timeouts: --idle-timeout 4000000000 (126 years; nDPI__netbios.pcap spans six years) and
    --active-timeout 0, so every record ends with "shutdown" and is never interim.
"""

import concurrent.futures
import ipaddress
import os
import re
import struct
import subprocess
import sys
from collections import defaultdict

import tw_common as tw

TSHARK_FIELDS = [
    "frame.len", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.dstopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "ip.frag_offset",
    "ipv6.fraghdr.offset", "ip.len", "ip.hdr_len", "ipv6.plen", "udp.length", "tcp.hdr_len",
    "ip.flags.mf", "ipv6.fraghdr.more",
]
F = {name: i for i, name in enumerate(TSHARK_FIELDS)}
EXT_HEADERS = {0: "ipv6.hopopts.nxt", 60: "ipv6.dstopts.nxt", 43: "ipv6.routing.nxt",
               44: "ipv6.fraghdr.nxt"}

# Captures whose damage is expected: name -> True (exit 1 with a byte offset).
DAMAGED = {"markofu-pcaps__http-fault-post.pcap"}


def first(field):
    return field.split("|", 1)[0] if field else ""


def norm_addr(a):
    return ipaddress.ip_address(a).compressed


def tshark_packets(path):
    """One tuple per frame: (wire_len, src, dst, proto, sport, dport, has_ports) or
    (wire_len, None...) for non-IP frames."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o",
           "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=|"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    rows = []
    for line in p.stdout.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        c = line.split("\t")
        c += [""] * (len(TSHARK_FIELDS) - len(c))
        wire = int(first(c[F["frame.len"]]))
        # The outermost IP header decides (tunnels are keyed by their outer header on our side
        # too); IPv4 is taken first when both are present.
        if c[F["ip.src"]]:
            src, dst = first(c[F["ip.src"]]), first(c[F["ip.dst"]])
            proto = int(first(c[F["ip.proto"]]))
            later_frag = first(c[F["ip.frag_offset"]]) not in ("", "0")
        elif c[F["ipv6.src"]]:
            src, dst = first(c[F["ipv6.src"]]), first(c[F["ipv6.dst"]])
            proto = int(first(c[F["ipv6.nxt"]]))
            seen = set()
            while proto in EXT_HEADERS and proto not in seen:
                seen.add(proto)
                nxt = first(c[F[EXT_HEADERS[proto]]])
                if not nxt:
                    break
                proto = int(nxt)
            later_frag = first(c[F["ipv6.fraghdr.offset"]]) not in ("", "0")
        else:
            rows.append((wire, None, None, None, 0, 0, False))
            continue
        sport = dport = 0
        has_ports = False
        # IP payload length from the IP header (IPv6: payload length, which includes extension
        # headers, so an upper bound; the L4 rules below only need an upper bound).
        if c[F["ip.src"]]:
            l3_payload = int(first(c[F["ip.len"]]) or 0) - int(first(c[F["ip.hdr_len"]]) or 0)
        else:
            l3_payload = int(first(c[F["ipv6.plen"]]) or 0)
        if not later_frag:
            if proto == 6 and c[F["tcp.srcport"]]:
                sport, dport = int(first(c[F["tcp.srcport"]])), int(first(c[F["tcp.dstport"]]))
                has_ports = True
                # RFC 9293 3.1: data offset of 5..15 words, inside the IP payload; a TCP header
                # that breaks this is rejected and the packet joins the address-pair flow.
                hl = int(first(c[F["tcp.hdr_len"]]) or 0)
                # A first fragment that ends inside the header keeps the ports it holds.
                first_frag = "1" in (first(c[F["ip.flags.mf"]]), first(c[F["ipv6.fraghdr.more"]]))
                cut = l3_payload < 20 or (hl >= 20 and hl > l3_payload)
                if first_frag and cut:
                    pass
                elif hl < 20 or hl > l3_payload:
                    sport = dport = 0
            elif proto == 17 and c[F["udp.srcport"]]:
                sport, dport = int(first(c[F["udp.srcport"]])), int(first(c[F["udp.dstport"]]))
                has_ports = True
                # RFC 768: length >= 8 and within the IP payload, else malformed (ports 0).
                ul = int(first(c[F["udp.length"]]) or 0)
                if ul < 8 or ul > l3_payload:
                    sport = dport = 0
        rows.append((wire, norm_addr(src), norm_addr(dst), proto, sport, dport, has_ports))
    return rows, p.returncode, p.stderr.decode("utf-8", "replace")


def damage_offset(path):
    """Classic pcap: byte offset of the first record that does not fit in the file (None when
    every record is complete or the file is not classic pcap)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            return off
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        if off + 16 + caplen > len(data):
            return off
        off += 16 + caplen
    return None


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-c", "-M", "-T", "-r", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode().strip().split("\n")
    if p.returncode != 0 or not out or "\t" not in out[-1]:
        return None
    try:
        return int(out[-1].split("\t")[1])
    except ValueError:
        return None


def tshark_reads(path):
    p = subprocess.run(["capinfos", "-t", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode == 0 or b"cut short" in p.stderr or b"truncated" in p.stderr


def gather(sensor, path):
    """The slow part (tshark, capinfos, the sensor), run for several captures at once."""
    if not tshark_reads(path):
        return None
    rows, _, _ = tshark_packets(path)
    return rows, capinfos_count(path), tw.sensor_jsonl(sensor, ["-r", path])


def check_capture(path, gathered, fails):
    name = os.path.basename(path)
    rows, count, (rc, flows, stats, err) = gathered
    damaged = name in DAMAGED or count is None
    if count is None:
        count = len(rows)
    pre = name + ": "
    if damaged:
        fails.check(rc == 1, pre + "damaged file: expected exit status 1, got %d" % rc)
        want = damage_offset(path)
        if want is not None:
            fails.check("byte offset %d " % want in err,
                        pre + "damaged file: want 'byte offset %d' in stderr: %s" %
                        (want, err.strip()[:300]))
        else:
            fails.check(re.search(r"offset \d+", err) is not None,
                        pre + "damaged file: no byte offset in stderr: " + err.strip()[:300])
    else:
        fails.check(rc == 0, pre + "exit status %d, stderr: %s" % (rc, err.strip()[:300]))

    # A. totals.
    finals = [s for s in stats if s.get("final")]
    if not fails.check(len(finals) == 1, pre + "%d final stats records" % len(finals)):
        return
    total = tw.u64(finals[0], "total_packets")
    parts = sum(tw.u64(s, k) for s in stats for k in ("decoded", "unsupported", "malformed"))
    fails.check(total == count, pre + "total_packets %d, file has %d" % (total, count))
    fails.check(parts == total, pre + "decoded+unsupported+malformed %d != total %d" %
                (parts, total))
    fails.check(len(rows) == count, pre + "tshark read %d of %d packets" % (len(rows), count))

    # B. per address pair + protocol.
    t_pair = defaultdict(lambda: [0, 0])
    t_5 = defaultdict(lambda: [0, 0])
    portless = set()
    for wire, src, dst, proto, sp, dp, has_ports in rows:
        if src is None:
            continue
        pk = (proto,) + tw.canon_pair(src, dst)
        t_pair[pk][0] += 1
        t_pair[pk][1] += wire
        if proto in (6, 17):
            if has_ports:
                k = tw.canon_5tuple(proto, src, sp, dst, dp)
                t_5[k][0] += 1
                t_5[k][1] += wire
            else:
                portless.add(pk)
    o_pair = defaultdict(lambda: [0, 0])
    o_5 = defaultdict(lambda: [0, 0])
    for f in flows:
        src, dst = norm_addr(f["src_addr"]), norm_addr(f["dst_addr"])
        proto = f.get("ip_proto", 0)
        pk = (proto,) + tw.canon_pair(src, dst)
        pkts = tw.u64(f, "src_pkts") + tw.u64(f, "dst_pkts")
        wire = tw.u64(f, "src_wire_bytes") + tw.u64(f, "dst_wire_bytes")
        o_pair[pk][0] += pkts
        o_pair[pk][1] += wire
        if proto in (6, 17):
            k = tw.canon_5tuple(proto, src, f.get("src_port", 0), dst, f.get("dst_port", 0))
            o_5[k][0] += pkts
            o_5[k][1] += wire
        fails.check(not f.get("interim") and f.get("end_reason") == "shutdown",
                    pre + "flow %s: record interim=%s end_reason=%s with endless timeouts" %
                    (pk, f.get("interim"), f.get("end_reason")))
    unflowed = 0
    for pk in sorted(set(t_pair) | set(o_pair)):
        t, o = t_pair.get(pk, [0, 0]), o_pair.get(pk, [0, 0])
        if t != o:
            fails.add(pre + "pair %s: tshark %d pkts %d bytes, ours %d pkts %d bytes" %
                      (pk, t[0], t[1], o[0], o[1]))
            unflowed += t[0] - o[0]

    # C. per 5-tuple, where tshark gave every TCP/UDP packet of the group its ports.
    compared = 0
    for k in sorted(set(t_5) | set(o_5)):
        pk = (k[0],) + tw.canon_pair(k[1], k[3])
        if pk in portless:
            continue
        compared += 1
        t, o = t_5.get(k, [0, 0]), o_5.get(k, [0, 0])
        if t != o:
            fails.add(pre + "5-tuple %s: tshark %d pkts %d bytes, ours %d pkts %d bytes" %
                      (k, t[0], t[1], o[0], o[1]))
    print("%s: %d packets, %d flow records, %d pairs, %d 5-tuples compared, %d pair groups with "
          "port-less fragments%s" % (name, count, len(flows), len(t_pair), compared,
                                     len(portless), ", damaged (rc %d)" % rc if damaged else ""))


def main():
    if len(sys.argv) < 2:
        print("usage: tshark_diff.py SENSOR [CAPTURE...]")
        return 2
    sensor = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] != "--dir":
        captures = sys.argv[2:]
    else:
        if len(sys.argv) > 3:  # --dir DIR: the project's own generated captures (pcaps/)
            pdir = sys.argv[3]
            if not os.path.isdir(pdir):
                tw.skip("no captures: %s is absent (generated by the set-up command)" % pdir)
        else:
            pdir = os.path.join(tw.shared_dir(), "pcaps")
            if not os.path.isdir(pdir):
                tw.skip("no captures: %s is absent (set TAPWATCH_SHARED)" % pdir)
        captures = sorted(os.path.join(pdir, n) for n in os.listdir(pdir)
                          if n.endswith((".pcap", ".pcapng", ".cap")))
        if not captures:
            tw.skip("no captures in " + pdir)
    fails = tw.Failures()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda p: gather(sensor, p), captures)
        for path, gathered in zip(captures, results):
            if gathered is None:
                print("%s: tshark/capinfos cannot read it; not compared" % os.path.basename(path))
                continue
            check_capture(path, gathered, fails)
    fails.finish("tshark differential over %d captures" % len(captures))


if __name__ == "__main__":
    sys.exit(main())
