#!/usr/bin/env python3
"""Malformed application payloads are counted, named anomalies, end to end.

The application decoders (NBNS, NBDS, NBSS, SMB) flag a malformed payload after the flow table
has counted the packet's L2-L4 anomalies. This test plants one malformed payload per decoder in
a hand-written capture, plus a well-formed NBNS query, and checks that tapwatch-sensor reports
each planted anomaly exactly once in the stats records and in its own flow's record, nothing
for the well-formed flow, and that the packets still count as decoded (an application anomaly
does not make an L2-L4 packet malformed). tshark must see the same frames as malformed (an
independent reading of the same bytes). Six runs give the same bytes (map fields in key order).

Usage: app_anomalies_test.py SENSOR
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import pcap_writer as pw
import tw_common as tw

A, B = pw.v4("10.9.0.1"), pw.v4("10.9.0.2")


def nbns_query(name_byte=b"A"):
    # RFC 1002 4.2.12: header (id, flags = query, 1 question), the 32-byte first-level encoded
    # name, type NB, class IN.
    encoded = b"".join(bytes([0x41 + (c >> 4), 0x41 + (c & 0xF)]) for c in name_byte * 15 + b"\0")
    return struct.pack("!HHHHHH", 0x1234, 0x0110, 1, 0, 0, 0) + b"\x20" + encoded + b"\0" + \
        struct.pack("!HH", 0x20, 1)


def main():
    sensor = sys.argv[1]
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_appanom_")
    path = os.path.join(tmp, "app_anomalies.pcap")

    # (frame, flow key, planted anomaly or None)
    planted = [
        # NBNS: a 5-byte payload cannot hold the 12-byte header.
        (pw.udp_frame(A, B, 137, 137, b"\x12\x34\x01\x10\x00"),
         ("udp", 137, 137), "nbns_truncated"),
        # NBDS: a 3-byte payload cannot hold the datagram header.
        (pw.udp_frame(A, B, 138, 138, b"\x11\x02\x00"), ("udp", 138, 138), "nbds_truncated"),
        # NBSS on 139: a keepalive, then (contiguous) a message of unknown type 0x7f.
        (pw.tcp_frame(A, B, 40139, 139, 1000, 0x18, b"\x85\x00\x00\x00"),
         ("tcp", 40139, 139), None),
        (pw.tcp_frame(A, B, 40139, 139, 1004, 0x18, b"\x7f\x00\x00\x00"),
         ("tcp", 40139, 139), "nbss_bad_type"),
        # Direct SMB on 445: a whole 8-byte session message cannot hold a 32-byte SMB1 header.
        (pw.tcp_frame(A, B, 40445, 445, 5000, 0x18, b"\x00\x00\x00\x08\xffSMB\x72\0\0\0"),
         ("tcp", 40445, 445), "smb_truncated"),
        # A well-formed NBNS name query: no anomaly.
        (pw.udp_frame(A, B, 40137, 137, nbns_query()), ("udp", 40137, 137), None),
    ]
    with open(path, "wb") as f:
        f.write(pw.global_header())
        for i, (frame, _, _) in enumerate(planted):
            f.write(pw.record(1_700_000_000_000_000 + i * 1000, frame))

    rc, flows, stats, err = tw.sensor_jsonl(sensor, ["-r", path])
    fails.check(rc == 0, "sensor exit status %d: %s" % (rc, err))

    want_stats = {}
    want_flows = {}
    for _, key, anomaly in planted:
        want_flows.setdefault(key, {})
        if anomaly:
            want_stats[anomaly] = want_stats.get(anomaly, 0) + 1
            want_flows[key][anomaly] = want_flows[key].get(anomaly, 0) + 1

    got_stats = {}
    decoded = malformed = packets = 0
    for s in stats:
        for name, n in s.get("anomalies", {}).items():
            got_stats[name] = got_stats.get(name, 0) + int(n)
        decoded += tw.u64(s, "decoded")
        malformed += tw.u64(s, "malformed")
        packets += tw.u64(s, "packets")
    fails.check(got_stats == want_stats, "stats anomalies %s, want %s" % (got_stats, want_stats))
    fails.check(packets == len(planted) and decoded == len(planted) and malformed == 0,
                "packets %d decoded %d malformed %d, want %d decoded and 0 malformed"
                % (packets, decoded, malformed, len(planted)))

    got_flows = {}
    for fl in flows:
        proto = {6: "tcp", 17: "udp"}.get(int(fl.get("ip_proto", 0)), "?")
        key = (proto, int(fl.get("src_port", 0)), int(fl.get("dst_port", 0)))
        got_flows[key] = {k: int(v) for k, v in fl.get("anomalies", {}).items()}
    fails.check(got_flows == want_flows, "flow anomalies %s, want %s" % (got_flows, want_flows))

    # Map fields (the stats anomalies) come out in key order: the same capture gives the same
    # bytes every run (protobuf's hash order differs from process to process).
    outputs = set()
    for _ in range(6):
        rc, out, err = tw.run_sensor(sensor, ["-r", path, "--jsonl", "-", "-q", "--sensor-id",
                                              "itest", "--hash-seed", "1"])
        outputs.add(re.sub(rb'"sensor_start_ns":"[0-9]+"', b"", out))
    fails.check(len(outputs) == 1, "%d different outputs from 6 runs of one capture" % len(outputs))

    # Independent reading: the planted frames are malformed for tshark too, except the NBSS one:
    # tshark shows an unknown message type after a complete message as "Continuation data"
    # rather than an error, where we know the stream is in sync and the type is invalid.
    if shutil.which("tshark"):
        out = subprocess.run(
            ["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-Y",
             "_ws.malformed"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        flagged = {int(x) for x in out.split()}
        for i, (_, key, anomaly) in enumerate(planted):
            if anomaly and anomaly != "nbss_bad_type":
                fails.check(i + 1 in flagged,
                            "tshark does not flag frame %d (%s) as malformed" % (i + 1, anomaly))
    elif tw.ci():
        fails.check(False, "tshark missing under CI")
    else:
        print("tshark missing: independent check skipped")

    shutil.rmtree(tmp, ignore_errors=True)
    fails.finish("application anomalies: %d planted, each counted once in stats and flow"
                 % len(want_stats))


if __name__ == "__main__":
    main()
