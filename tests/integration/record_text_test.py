#!/usr/bin/env python3
"""Text from packets, logs, tables and the command line, whatever its bytes, reaches the store
whole and is shown neutralised.

Every byte value 0..255 (but the newline that ends a log line) goes into a log prefix, bytes
0x80..0xff into interface names, invalid UTF-8 and terminal escapes into the sensor id, and into
the name, hint and description of a payload signature and an ICMP fingerprint that a crafted
capture matches. The sensor publishes to a real collector: every flow it sends must be stored
(libprotobuf refuses a proto3 string that is not valid UTF-8, and with it the batch of 64
records). Then the collector's summary, `flows` (text and JSON lines) and the text and Markdown
reports must hold no control character (C0, DEL, C1) and the Markdown no raw HTML.

Usage: record_text_test.py SENSOR COLLECTOR
"""

import os
import re
import subprocess
import sys
import tempfile

import pcap_writer as pw
import tw_common as tw

SENSOR_ID = b"s\xff\xfe\x1b]0;owned\x07\x1b[2J\x9b31m"
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def log_lines():
    """One packet line per byte value (but '\\n'): the byte in the prefix; ifaces carry 0x80+."""
    out = []
    for b in range(256):
        if b == 0x0A:
            continue
        iface = b"e" + bytes([0x80 + b % 128]) + b"0"
        prefix = b"DROP<script>" + bytes([b]) + b"</script>:"
        out.append(b"Feb  1 00:%02d:%02d fw kernel: " % (b // 60, b % 60) + prefix +
                   b" IN=" + iface + b" OUT=" + iface + b" SRC=10.1.%d.%d DST=10.9.0.1 LEN=40 "
                   b"TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP SPT=%d DPT=80 WINDOW=512 RES=0x00 "
                   b"SYN URGP=0\n" % (b // 200, b % 200 + 1, 1024 + b))
    return b"".join(out)


def capture(path):
    """An HTTP GET (payload signature) and a 92-byte ICMP echo of 0xAA (ICMP fingerprint)."""
    a, b = pw.v4("10.2.0.1"), pw.v4("10.2.0.2")
    frames = [
        pw.tcp_frame(a, b, 40000, 80, 1, 0x02),
        pw.tcp_frame(b, a, 80, 40000, 100, 0x12, ack=2),
        pw.tcp_frame(a, b, 40000, 80, 2, 0x18, b"GET /x HTTP/1.0\r\n\r\n", ack=101),
    ]
    icmp = bytearray(b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"\xaa" * 64)
    c = pw.checksum(bytes(icmp))
    icmp[2], icmp[3] = c >> 8, c & 0xFF
    frames.append(pw.ether(pw.ipv4(a, b, 1, bytes(icmp))))
    with open(path, "wb") as f:
        f.write(pw.global_header())
        for i, fr in enumerate(frames):
            f.write(pw.record(1_000_000 + i * 1000, fr))


def main():
    sensor, collector = sys.argv[1], sys.argv[2]
    fails = tw.Failures()
    tmp = tempfile.mkdtemp(prefix="tw_text_")
    log = os.path.join(tmp, "bytes.log")
    with open(log, "wb") as f:
        f.write(log_lines())
    pcap = os.path.join(tmp, "text.pcap")
    capture(pcap)
    sigs = os.path.join(tmp, "sigs.tsv")
    with open(sigs, "wb") as f:
        f.write(b"get\xff\x1b[31m\tprefix\tGET /\ttcp\t*\t*\thint \xfe\xc3 <b>\n")
    fps = os.path.join(tmp, "fps.tsv")
    with open(fps, "wb") as f:
        f.write(b"fp\xff\x1b[1m\t92\tfill:aa\t*\thint \xc2\x9b31m\xff\n")

    db = os.path.join(tmp, "flows.db")
    endpoint = "tcp://127.0.0.1:%d" % tw.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db, "--exit-after-final",
                            "2", "--idle-exit", "60"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    common = ["--publish", endpoint, "--wait-subscribers", "1", "--sensor-id", SENSOR_ID,
              "--idle-timeout", "4000000000", "--active-timeout", "0", "--hash-seed", "1"]
    sent = 0
    for args in (["--log", log, "--year", "2004"],
                 ["-r", pcap, "--signatures", sigs, "--icmp-fingerprints", fps]):
        jsonl = os.path.join(tmp, "sent.jsonl")
        p = subprocess.run([sensor] + args + common + ["--jsonl", jsonl, "-q"],
                           capture_output=True, timeout=120)
        fails.check(p.returncode == 0, "sensor %s: exit %d: %s" %
                    (args[1], p.returncode, p.stderr[-500:]))
        flows, _ = tw.parse_jsonl(open(jsonl, "rb").read())
        sent += len(flows)
        if args[0] == "-r":
            labels = [l for f in flows for l in f.get("payload_labels", [])]
            icmp = [f["icmp"] for f in flows if "icmp" in f]
            fails.check(labels == ["get\\xFF\x1b[31m: hint \\xFE\\xC3 <b>"],
                        "payload label not escaped as expected: %r" % labels)
            fails.check(len(icmp) == 1 and icmp[0].get("fingerprint") == "fp\\xFF\x1b[1m" and
                        "\u009b31m\\xFF" in icmp[0].get("fingerprint_rule", ""),
                        "ICMP fingerprint not escaped as expected: %r" % icmp)
    out, err = col.communicate(timeout=120)
    fails.check(col.returncode == 0, "collector exit %d: %s" % (col.returncode, err[-500:]))

    r = subprocess.run([collector, "flows", "--db", db, "--format", "jsonl"], capture_output=True,
                       timeout=60)
    stored = [l for l in r.stdout.splitlines() if l.strip()]
    print("flows sent %d, stored %d" % (sent, len(stored)))
    fails.check(sent == 255 + 2 and len(stored) == sent,
                "flows sent %d (want 257), stored %d" % (sent, len(stored)))

    shown = [("collector summary", out + err), ("flows jsonl", r.stdout)]
    r = subprocess.run([collector, "flows", "--db", db], capture_output=True, timeout=60)
    shown.append(("flows text", r.stdout))
    for fmt in ("text", "md"):
        r = subprocess.run([collector, "report", "--db", db, "--format", fmt],
                           capture_output=True, timeout=120)
        fails.check(r.returncode == 0, "report %s: exit %d: %s" % (fmt, r.returncode, r.stderr))
        shown.append(("report " + fmt, r.stdout))
        if fmt == "md":
            fails.check(b"<script>" not in r.stdout and b"<b>" not in r.stdout,
                        "Markdown report holds raw HTML")
            fails.check(b"&lt;script&gt;" in r.stdout, "Markdown report lacks the log prefixes")
    for what, text in shown:
        bad = sorted(set(m.group(0) for m in CONTROL.finditer(text)))
        fails.check(not bad, "%s: raw control characters %r" % (what, bad[:10]))
    fails.finish("record text")


if __name__ == "__main__":
    sys.exit(main())
