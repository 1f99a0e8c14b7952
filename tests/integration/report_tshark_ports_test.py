"""The report's `hosts`, `ports` and `open_ports` on real captures against tshark.

For every capture in $TAPWATCH_SHARED/pcaps with IPv4 TCP or UDP traffic, the capture goes
sensor -> ZeroMQ -> collector -> SQLite -> report --format json --home H --top 100000, and the
three sections must equal what this script computes from tshark's per-packet fields alone.

Why it can be reproduced from packets: the sensor runs with idle timeouts of 4e9 s and no
active timeout, so no flow ends inside a capture and a flow is exactly the set of packets of one
bidirectional key (VLAN ids, protocol, the two addresses, the two TCP/UDP ports; ICMP echo,
timestamp, information and address-mask queries: the pair and its identifier; other ICMP: type
and code). The flow's initiator is the sender of its first
packet, except when that packet is a SYN-ACK (then the receiver); the sensor's "guess" direction
is a first packet without SYN. From there the report's definitions (docs/report.md) are applied
here to the packets:

  hosts: per flow, a = initiator, b = responder, "reversed" when a sent nothing; then swap
    a/b. Category: broadcast when a is home and the responder address is broadcast/multicast
    (not reversed); outbound_{tcp,udp,other} or dns (responder port 53, not reversed) when only a
    is home; inbound_{tcp,udp,icmp,other} when only b is home; internal (both hosts) when both.
    Per home host and category: packets (both directions) and flows.
  ports: flows from an external initiator to a home responder, TCP/UDP, not reversed; per
    (proto, responder port): initiator packets, flows, distinct initiators, distinct responders.
  open_ports: per (home responder, proto, port): TCP when the responder's flags include SYN and
    ACK or it sent payload (tshark tcp.len), UDP when it sent any packet; plus mid-stream TCP
    flows first seen from a home initiator (no SYN, no RST, ACK, source port < destination port
    and < 49152): the home side is the server. Per port: flows, distinct clients.

Flow counts are compared too: with these timeouts they follow from the keys alone (a live
sensor's flows would also depend on idle timeouts and TCP close). Not compared: trend values and
first-seen times (bucket arithmetic on the same rows), rows beyond the ranked `hosts` table.
Not modelled: the sensor files later IPv4 fragments under the first fragment's ports; this script
gives them ports 0 (tshark without reassembly has no ports), which would show as a mismatch.

usage: report_tshark_ports_test.py SENSOR COLLECTOR
"""

import collections
import glob
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402

FIELDS = ["frame.number", "vlan.id", "ip.src", "ip.dst", "ip.proto", "ip.flags.mf",
          "ip.frag_offset", "ip.len", "ip.hdr_len", "tcp.srcport", "tcp.dstport", "tcp.flags",
          "tcp.len", "udp.srcport", "udp.dstport", "udp.length", "icmp.type", "icmp.code", "icmp.ident"]

# ICMPv4 query/reply pairs keyed by identifier, request and reply in one flow:
# type -> (pair, is the request).
ICMP_QUERIES = {8: ("echo", True), 0: ("echo", False), 13: ("timestamp", True),
                14: ("timestamp", False), 15: ("info", True), 16: ("info", False),
                17: ("mask", True), 18: ("mask", False)}


def first(v):
    return v.split(",")[0] if v else ""


def as_int(v, default=0):
    v = first(v)
    if not v:
        return default
    return int(v, 16) if v.startswith("0x") else int(v)


def tshark_packets(pcap):
    """One dict per IPv4 packet (outer header only: nested values are comma-separated)."""
    out = subprocess.run(["tshark", "-r", pcap, "-o", "ip.defragment:FALSE", "-Y", "ip",
                          "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"] +
                         sum([["-e", f] for f in FIELDS], []),
                         capture_output=True, text=True, timeout=300).stdout
    pkts = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if not v.get("ip.src"):
            continue
        proto = as_int(v["ip.proto"])
        p = {"src": first(v["ip.src"]), "dst": first(v["ip.dst"]), "proto": proto,
             "vlan": tuple(as_int(x) for x in v["vlan.id"].split(",")) if v["vlan.id"] else (),
             "frag": as_int(v["ip.flags.mf"]) != 0 or as_int(v["ip.frag_offset"]) != 0,
             "sport": 0, "dport": 0, "flags": 0, "payload": 0, "has_l4": False}
        if proto == 6 and v["tcp.srcport"]:
            p.update(sport=as_int(v["tcp.srcport"]), dport=as_int(v["tcp.dstport"]),
                     flags=as_int(v["tcp.flags"]), payload=as_int(v["tcp.len"]), has_l4=True)
        elif proto == 17 and v["udp.srcport"] and (p["frag"] or 8 <= as_int(v["udp.length"]) <=
                                                   as_int(v["ip.len"]) - as_int(v["ip.hdr_len"])):
            # RFC 768: a length field below 8 or past the IP payload is no UDP header (the
            # sensor keeps such a packet in the addresses-only flow, ports 0).
            p.update(sport=as_int(v["udp.srcport"]), dport=as_int(v["udp.dstport"]), has_l4=True)
        elif proto == 1 and v["icmp.type"]:
            t = as_int(v["icmp.type"])
            ident = as_int(v["icmp.ident"])
            p["has_l4"] = True
            p["icmp_type"] = t
            if t in ICMP_QUERIES:
                kind, request = ICMP_QUERIES[t]
                p.update(sport=ident if request else 0, dport=0 if request else ident, kind=kind)
            else:
                p.update(sport=t, dport=as_int(v["icmp.code"]), kind="tc")
        pkts.append(p)
    return pkts


def flows_of(pkts):
    """Packets grouped into the sensor's flows (see the module docstring)."""
    flows = collections.OrderedDict()
    for p in pkts:
        src = int(ipaddress.IPv4Address(p["src"]))
        dst = int(ipaddress.IPv4Address(p["dst"]))
        s_end, d_end = (src, p["sport"]), (dst, p["dport"])
        lo, hi = (s_end, d_end) if s_end <= d_end else (d_end, s_end)
        key = (p["vlan"], p["proto"], p.get("kind", ""), lo, hi)
        f = flows.get(key)
        if f is None:
            synack = p["proto"] == 6 and (p["flags"] & 0x12) == 0x12
            init = d_end if synack else s_end
            resp = s_end if synack else d_end
            direction = "syn" if p["proto"] == 6 and (p["flags"] & 0x02) and not synack else \
                "synack" if synack else "guess"
            f = flows[key] = {"init": init, "resp": resp, "proto": p["proto"],
                              "direction": direction, "spk": 0, "dpk": 0, "sflags": 0, "dflags": 0,
                              "spay": 0, "dpay": 0, "frag": False, "icmp_type": p.get("icmp_type")}
        side = "s" if s_end == f["init"] else "d"
        f[side + "pk"] += 1
        f[side + "flags"] |= p["flags"]
        f[side + "pay"] += p["payload"]
        f["frag"] |= p["frag"]
    return list(flows.values())


def expected(flows, home):
    nets = [ipaddress.IPv4Network(h) for h in home]

    def is_home(a):
        return any(ipaddress.IPv4Address(a) in n for n in nets)

    def is_bcast(a):
        if a == 0xFFFFFFFF or (a >> 28) == 0xE:
            return True
        for n in nets:
            if ipaddress.IPv4Address(a) in n:
                if n.prefixlen <= 30 and a == int(n.broadcast_address):
                    return True
                if (a & 0xFF) == 0xFF:
                    return True
        return False

    hosts = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    ports = collections.defaultdict(lambda: {"packets": 0, "flows": 0, "sources": set(),
                                             "targets": set()})
    open_ports = collections.defaultdict(lambda: {"flows": 0, "clients": set()})
    for f in flows:
        src, sport = f["init"]
        dst, dport = f["resp"]
        proto = f["proto"]
        spk, dpk = f["spk"], f["dpk"]
        src_home, dst_home = is_home(src), is_home(dst)
        dst_bcast = is_bcast(dst)
        pk = spk + dpk
        reversed_ = spk == 0 and dpk > 0
        a, b = (dst, src) if reversed_ else (src, dst)
        a_home, b_home = (dst_home, src_home) if reversed_ else (src_home, dst_home)
        cat, host = None, None
        if a_home and (not reversed_ and dst_bcast):
            cat, host = "broadcast", a
        elif a_home and not b_home:
            host = a
            if dport == 53 and not reversed_:
                cat = "dns"
            else:
                cat = {6: "outbound_tcp", 17: "outbound_udp"}.get(proto, "outbound_other")
        elif not a_home and b_home:
            host = b
            cat = {6: "inbound_tcp", 17: "inbound_udp", 1: "inbound_icmp"}.get(proto,
                                                                              "inbound_other")
        elif a_home and b_home:
            cat, host = "internal", a
        if host is not None:
            hosts[host][cat][0] += pk
            hosts[host][cat][1] += 1
            if cat == "internal":
                hosts[b][cat][0] += pk
                hosts[b][cat][1] += 1
        # ports (inbound)
        if not src_home and dst_home and proto in (6, 17) and not reversed_:
            p = ports[(proto, dport)]
            p["packets"] += spk
            p["flows"] += 1
            p["sources"].add(src)
            p["targets"].add(dst)
        # open ports
        if dst_home and dpk > 0 and proto in (6, 17):
            answered = proto == 17 or (f["dflags"] & 0x12) == 0x12 or f["dpay"] > 0
            if answered:
                o = open_ports[(dst, proto, dport)]
                o["flows"] += 1
                o["clients"].add(src)
        if (src_home and proto == 6 and f["direction"] == "guess" and spk > 0 and
                not (f["sflags"] & 0x06) and (f["sflags"] & 0x10) and sport < dport and
                sport < 49152):
            o = open_ports[(src, proto, sport)]
            o["flows"] += 1
            o["clients"].add(dst)
    return hosts, ports, open_ports


def choose_homes(flows):
    """Two --home choices per capture, so inbound and outbound categories are both exercised:
    the responder of the most flows (its /24, or the /32 when most of its flows stay inside that
    /24, where a /24 would make them all internal), and the initiator of the most flows (/32)."""
    homes = []
    resp = collections.Counter(f["resp"][0] for f in flows)
    init = collections.Counter(f["init"][0] for f in flows)
    if resp:
        target = resp.most_common(1)[0][0]
        mine = [f for f in flows if target in (f["init"][0], f["resp"][0])]
        same24 = sum(1 for f in mine if (f["init"][0] >> 8) == (f["resp"][0] >> 8))
        addr = str(ipaddress.IPv4Address(target))
        if same24 * 2 > len(mine):
            homes.append([addr + "/32"])
        else:
            homes.append([str(ipaddress.IPv4Network(addr + "/24", strict=False))])
    if init:
        source = init.most_common(1)[0][0]
        net = [str(ipaddress.IPv4Address(source)) + "/32"]
        if not homes or ipaddress.IPv4Address(source) not in ipaddress.IPv4Network(homes[0][0]):
            homes.append(net)
    return homes


def report_for(sensor, collector, pcap, tmp, home):
    db = os.path.join(tmp, "%s.%s.db" % (os.path.basename(pcap), home[0].replace("/", "_")))
    return tw_common.pcap_report(sensor, collector, pcap, db,
                                 ["--home", ",".join(home), "--top", "100000"])


def ip(a):
    return str(ipaddress.IPv4Address(a))


def compare(report, flows, home, fails, name):
    hosts, ports, open_ports = expected(flows, home)
    # hosts
    got_hosts = {h["host"]: h for h in report["hosts"]["hosts"]}
    want_hosts = {ip(h): c for h, c in hosts.items()}
    for h in sorted(set(got_hosts) | set(want_hosts)):
        g, w = got_hosts.get(h), want_hosts.get(h, {})
        if g is None:
            fails.add("%s hosts: %s missing from the report (tshark %s)" % (name, h, dict(w)))
            continue
        for cat in g["packets"]:
            wp, wf = w.get(cat, [0, 0])
            if g["packets"][cat] != wp or g["flows"][cat] != wf:
                fails.add("%s hosts %s %s: report packets/flows %d/%d, tshark %d/%d" %
                          (name, h, cat, g["packets"][cat], g["flows"][cat], wp, wf))
    # ports
    got_ports = {}
    for proto, key in ((6, "tcp"), (17, "udp")):
        for row in report["ports"][key]:
            if row["port"] == "other":
                fails.add("%s ports: an 'other' row despite --top 100000" % name)
                continue
            got_ports[(proto, row["port"])] = row
    for k in sorted(set(got_ports) | set(ports)):
        g, w = got_ports.get(k), ports.get(k)
        if g is None or w is None:
            fails.add("%s ports %s/%d: only in the %s" % (name, k[0], k[1],
                                                          "report" if w is None else "tshark"))
            continue
        want = (w["packets"], w["flows"], len(w["sources"]), len(w["targets"]))
        have = (g["packets"], g["flows"], g["sources"], g["targets"])
        if want != have:
            fails.add("%s ports %d/%d (packets, flows, sources, targets): report %s, tshark %s" %
                      (name, k[0], k[1], have, want))
    # open ports
    got_open = {}
    for row in report["open_ports"]["hosts"]:
        lists = {6: set(row["tcp"]), 17: set(row["udp"])}
        for d in row["ports"]:
            proto = 6 if d["proto"] == "tcp" else 17
            got_open[(row["host"], proto, d["port"])] = (d["flows"], d["clients"])
            if d["port"] not in lists[proto]:
                fails.add("%s open_ports %s: %s/%d detail not in the port list" %
                          (name, row["host"], d["proto"], d["port"]))
        if sum(len(x) for x in lists.values()) != len(row["ports"]):
            fails.add("%s open_ports %s: port lists and details differ" % (name, row["host"]))
    want_open = {(ip(h), proto, port): (o["flows"], len(o["clients"]))
                 for (h, proto, port), o in open_ports.items()}
    for k in sorted(set(got_open) | set(want_open)):
        if got_open.get(k) != want_open.get(k):
            fails.add("%s open_ports %s %d/%d (flows, clients): report %s, tshark %s" %
                      (name, k[0], k[1], k[2], got_open.get(k), want_open.get(k)))
    return (len(want_hosts), len(ports), len(want_open))


def main():
    sensor, collector = sys.argv[1:3]
    shared = tw_common.shared_dir()
    pcaps = sorted(glob.glob(os.path.join(shared, "pcaps", "*.pcap*")))
    if not pcaps:
        tw_common.skip("no captures under %s/pcaps" % shared)
    if subprocess.run(["which", "tshark"], capture_output=True).returncode != 0:
        tw_common.skip("tshark not installed")
    fails = tw_common.Failures()
    compared = 0
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in pcaps:
            name = os.path.basename(pcap)
            pkts = tshark_packets(pcap)
            if not any(p["proto"] in (6, 17) and p["has_l4"] for p in pkts):
                continue
            flows = flows_of(pkts)
            for home in choose_homes(flows):
                before = len(fails.items)
                report, err = report_for(sensor, collector, pcap, tmp, home)
                if report is None:
                    fails.add("%s: report failed: %s" % (name, err.strip()))
                    continue
                n = compare(report, flows, home, fails, name)
                totals = [t + x for t, x in zip(totals, n)]
                compared += 1
                print("%s %s --home %s: %d home hosts, %d inbound ports, %d open ports" %
                      ("PASS" if len(fails.items) == before else "FAIL", name, ",".join(home),
                       *n))
    if compared == 0:
        tw_common.skip("no capture with IPv4 TCP/UDP found")
    if fails.items:
        print("FAIL: %d mismatches over %d reports" % (len(fails.items), compared))
        return 1
    print("PASS: hosts, ports and open_ports equal tshark in %d reports (%d hosts, %d ports, "
          "%d open ports)" % (compared, *totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
