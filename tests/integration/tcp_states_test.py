#!/usr/bin/env python3
"""Connection state and history on hand-made captures.

Usage: tcp_states_test.py SENSOR MAKE_TCP_STATES PCAPS_DIR

Part 1 (always): tw_make_tcp_states (libtins) writes one connection per CASE below. Each case
carries its Zeek conn_state and history, worked out by hand from Zeek's main.zeek (conn_state from
the endpoint states) and update_history (history letters: upper case originator, lower case
responder; S/H once per SYN sequence number, F/R likewise, D/A once), and its Argus state/flags
(ArgusGetTCPStatus: state precedence RST > FIN > CLO > ... > REQ; flags = OR of each side's TCP
flags in the order F S R P A U, "src_dst"). The argus fields are asserted twice: against the hand
value, and against argus itself run on the same capture (ra -Z b; argus -X -S 86400).
Part 2 (when the generator has written them): PCAPS_DIR/tcp_states.pcap against
PCAPS_DIR/tcp_states.truth.json (hand-derived expectations per connection): conn_state, history,
argus_state and argus_flags (when not null).
"""

import json
import os
import subprocess
import sys
import tempfile

import tw_common as tw

# (name, proto, responder port, script, conn_state, history, argus_state, argus_flags)
# Scripts: c = originator 10.9.0.1, s = responder 10.9.0.2; '+' payload, '=' retransmission
# (same sequence number), '!' a new SYN sequence number. See make_tcp_states.cc.
CASES = [
    # SYN retransmitted with the same seq: one S. Data, responder pure ACK (a), FINs both ways.
    # Both endpoints CLOSED -> SF.
    ("sf_retx_syn", "tcp", 2101, "c:S c:S= s:SA c:A c:PA+ s:A s:FA c:FA s:A",
     "SF", "ShADafF", "FIN", "FSPA_FSA"),
    # A second SYN with a new sequence number adds a second S. orig SYN_SENT, resp INACTIVE: S0.
    ("s0_new_isn", "tcp", 2102, "c:S c:S!", "S0", "SS", "REQ", "S_"),
    # Retransmitted SYN then RST-ACK: resp RESET while orig SYN_SENT -> REJ.
    ("rej_retx", "tcp", 2103, "c:S c:S= s:RA", "REJ", "Sr", "RST", "S_RA"),
    # Both FINs, then the originator resets: a RST after FIN moves to RESET only when the peer is
    # not CLOSED, so both stay CLOSED -> SF; the R is still in the history. Argus: RST first.
    ("sf_then_rst", "tcp", 2104, "c:S s:SA c:A c:FA s:FA c:A c:R",
     "SF", "ShAFfR", "RST", "FSRA_FSA"),
    # Data both ways, then the responder resets: resp RESET, orig ESTABLISHED -> RSTR.
    ("rstr_data", "tcp", 2105, "c:S s:SA c:A c:PA+ s:PA+ s:RA", "RSTR", "ShADdr", "RST",
     "SPA_SRPA"),
    # Established, data, only an ACK back, no close: both ESTABLISHED -> S1.
    ("s1_data", "tcp", 2106, "c:S s:SA c:A c:PA+ s:A", "S1", "ShADa", "CON", "SPA_SA"),
    # Midstream: two data segments from one side, no SYN, no answer: orig PARTIAL, resp
    # INACTIVE -> OTH; D once.
    ("oth_midstream", "tcp", 2107, "c:PA+ c:PA+", "OTH", "D", "CON", "PA_"),
    # UDP both ways: orig ACTIVE, resp ACTIVE -> SF; D then d. Argus: CON (both directions).
    ("udp_both", "udp", 2108, "c:+ s:+ c:+", "SF", "Dd", "CON", ""),
    # UDP one way: S0, D. Argus: INT.
    ("udp_oneway", "udp", 2109, "c:+ c:+", "S0", "D", "INT", ""),
    # Each side resends its data segment (same sequence number): T after D, t after d, once
    # each (Zeek's retransmission letters), then a normal close.
    ("sf_retx_data", "tcp", 2110, "c:S s:SA c:A c:PA+ c:PA+= s:PA+ s:PA+= c:PA+= c:FA s:FA c:A",
     "SF", "ShADTdtFf", "FIN", "FSPA_FSPA"),
]


def ra_rows(argus_file, flags):
    cmd = ["ra", "-r", argus_file, "-n", "-c", ",", "-L", "-1"] + \
          (["-Z", "b"] if flags else []) + \
          ["-s", "saddr", "sport", "daddr", "dport", "proto", "state:16"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = {}
    for line in p.stdout.decode().splitlines():
        c = [x.strip() for x in line.split(",")]
        if len(c) >= 6 and c[4] in ("tcp", "udp"):
            out[(c[4], int(c[1]), int(c[3]))] = (c[0], c[5])
    return out


def by_ports(flows):
    out = {}
    for f in flows:
        ports = (f.get("src_port", 0), f.get("dst_port", 0))
        out[(f.get("ip_proto", 0),) + tuple(sorted(ports))] = f
    return out


def oriented_flags(f, orig_addr):
    flags = f.get("argus_flags", "")
    if f.get("src_addr") != orig_addr and "_" in flags:
        a, b = flags.split("_", 1)
        flags = b + "_" + a
    return flags


def main():
    sensor, maker, pcaps_dir = sys.argv[1:4]
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_states_")
    pcap = os.path.join(tmp, "states.pcap")
    specs = ["%s:%d:%s" % (proto, port, script) for _, proto, port, script, *_ in CASES]
    subprocess.run([maker, pcap] + specs, check=True, timeout=60)
    rc, flows, _, err = tw.sensor_jsonl(sensor, ["-r", pcap])
    fails.check(rc == 0, "sensor exit status %d: %s" % (rc, err.strip()[:200]))
    ours = by_ports(flows)
    fails.check(len(flows) == len(CASES), "%d flow records for %d cases" % (len(flows), len(CASES)))
    af = os.path.join(tmp, "states.argus")
    subprocess.run(["argus", "-X", "-S", "86400", "-r", pcap, "-w", af], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=60)
    a_flags, a_state = ra_rows(af, True), ra_rows(af, False)
    fails.check(len(a_state) == len(CASES), "argus printed %d flows for %d cases" %
                (len(a_state), len(CASES)))
    for i, (name, proto, port, script, conn, hist, astate, aflags) in enumerate(CASES):
        pnum = 6 if proto == "tcp" else 17
        f = ours.get((pnum,) + tuple(sorted((50000 + i, port))))
        if not fails.check(f is not None, "%s: no flow record" % name):
            continue
        got = (f.get("conn_state", ""), f.get("history", ""), f.get("argus_state", ""))
        fails.check(got == (conn, hist, astate),
                    "%s (%s): conn_state/history/argus_state %s, hand-derived %s" %
                    (name, script, got, (conn, hist, astate)))
        fails.check(f.get("src_addr") == "10.9.0.1" and f.get("src_port") == 50000 + i,
                    "%s: initiator %s:%s, want 10.9.0.1:%d" %
                    (name, f.get("src_addr"), f.get("src_port"), 50000 + i))
        if proto == "tcp":
            fails.check(oriented_flags(f, "10.9.0.1") == aflags,
                        "%s: argus_flags %s, hand-derived %s" % (name, f.get("argus_flags"),
                                                                   aflags))
        key = (proto, 50000 + i, port)
        rkey = (proto, port, 50000 + i)
        if key in a_state or rkey in a_state:
            k = key if key in a_state else rkey
            fails.check(f.get("argus_state", "") == a_state[k][1],
                        "%s: argus says state %s, ours %s" % (name, a_state[k][1],
                                                             f.get("argus_state")))
            if proto == "tcp" and k in a_flags:
                fails.check(oriented_flags(f, a_flags[k][0]) == a_flags[k][1],
                            "%s: argus says flags %s, ours %s" % (name, a_flags[k][1],
                                                                 f.get("argus_flags")))
        else:
            fails.add("%s: argus has no record for %s" % (name, key))
        print("%s: %s -> %s" % (name, script, got))

    # Part 2: the generator's capture and truth file.
    gen_pcap = os.path.join(pcaps_dir, "tcp_states.pcap")
    truth = os.path.join(pcaps_dir, "tcp_states.truth.json")
    if os.path.exists(gen_pcap) and os.path.exists(truth):
        with open(truth) as t:
            conns = json.load(t)["connections"]
        rc, flows, _, err = tw.sensor_jsonl(sensor, ["-r", gen_pcap])
        fails.check(rc == 0, "tcp_states.pcap: sensor exit status %d" % rc)
        ours = {}
        for f in flows:
            ours[tw.canon_5tuple(f.get("ip_proto", 0), f["src_addr"], f.get("src_port", 0),
                                 f["dst_addr"], f.get("dst_port", 0))] = f
        for c in conns:
            k = tw.canon_5tuple(6, c["orig_h"], c["orig_p"], c["resp_h"], c["resp_p"])
            f = ours.get(k)
            if not fails.check(f is not None, "tcp_states.pcap %s: no flow" % c["conn_state"]):
                continue
            got = (f.get("conn_state", ""), f.get("history", ""), f.get("argus_state", ""))
            want = (c["conn_state"], c["history"], c["argus_state"])
            fails.check(got == want, "tcp_states.pcap %s (%s): ours %s, truth %s" %
                        (c["conn_state"], c.get("script"), got, want))
            if c.get("argus_flags"):
                fl = oriented_flags(f, c["orig_h"])
                fails.check(fl == c["argus_flags"], "tcp_states.pcap %s: argus_flags %s, truth %s"
                            % (c["conn_state"], fl, c["argus_flags"]))
        print("tcp_states.pcap: %d connections compared with tcp_states.truth.json" % len(conns))
    else:
        print("NOTE: %s not generated yet; only the crafted capture was checked" % gen_pcap)
    fails.finish("connection state and history (%d crafted cases)" % len(CASES))


if __name__ == "__main__":
    sys.exit(main())
