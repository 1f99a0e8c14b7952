"""Writes classic pcap files byte by byte (standard library only), so tests know every offset.

Frames are Ethernet/IPv4/UDP or Ethernet/IPv4/TCP with correct IP and UDP/TCP checksums.
"""

import struct

PCAP_GLOBAL_HEADER_BYTES = 24
PCAP_RECORD_HEADER_BYTES = 16


def global_header(linktype=1, snaplen=65535):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def record(ts_us, frame, wire_len=None):
    wire = len(frame) if wire_len is None else wire_len
    return struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(frame), wire) + frame


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=1):
    """src/dst as 4-byte strings."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0,
                      src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, length)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + payload
    c = checksum(pseudo + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, seq, flags, payload=b"", ack=0):
    """A 20-byte TCP header (no options) + payload; flags as the header byte (0x18 = PSH|ACK)."""
    length = 20 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, length)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = checksum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def tcp_frame(src, dst, sport, dport, seq, flags, payload=b"", ack=0):
    return ether(ipv4(src, dst, 6, tcp(src, dst, sport, dport, seq, flags, payload, ack)))


def ether(payload, src_mac=b"\x02\0\0\0\0\x01", dst_mac=b"\x02\0\0\0\0\x02", ethertype=0x0800):
    return dst_mac + src_mac + struct.pack("!H", ethertype) + payload


def udp_frame(src, dst, sport, dport, payload=b""):
    return ether(ipv4(src, dst, 17, udp(src, dst, sport, dport, payload)))


def v4(text):
    return bytes(int(x) for x in text.split("."))


def write_udp_flows(path, count, step_us=100, start_s=1_600_000_000):
    """`count` single-packet UDP flows, all distinct 5-tuples, deterministic: flow i goes from
    10.(i>>16).(i>>8).(i) port 1024 + i % 60000 to 192.0.2.1 port 40000, at start_s + i * step_us,
    with a 4-byte payload (frame 46 bytes). UDP checksum 0 (RFC 768: none computed)."""
    ip = bytearray(ipv4(b"\0\0\0\0", b"\xc0\x00\x02\x01", 17, b"\0" * 12))
    ip[10:12] = b"\0\0"
    # IP checksum: the sum of the fixed words, then per flow add the varying source address.
    fixed = sum(struct.unpack("!10H", bytes(ip[:20])))
    head = bytes(ether(b"")) + bytes(ip[:10])  # Ethernet + first 10 IP bytes, then checksum
    dst = bytes(ip[16:20])
    rec = struct.Struct("<IIII46s")
    body = struct.Struct("!24sHI4sHHHHI")
    t0 = start_s * 1_000_000
    parts = [global_header()]
    for i in range(count):
        src = 0x0A000000 | (i & 0xFFFFFF)
        s = fixed + (src >> 16) + (src & 0xFFFF)
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        ts = t0 + i * step_us
        frame = body.pack(head, (~s) & 0xFFFF, src, dst, 1024 + i % 60000, 40000, 12, 0, i)
        parts.append(rec.pack(ts // 1_000_000, ts % 1_000_000, 46, 46, frame))
    with open(path, "wb") as f:
        f.write(b"".join(parts))
