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


def ether(payload, src_mac=b"\x02\0\0\0\0\x01", dst_mac=b"\x02\0\0\0\0\x02", ethertype=0x0800):
    return dst_mac + src_mac + struct.pack("!H", ethertype) + payload


def udp_frame(src, dst, sport, dport, payload=b""):
    return ether(ipv4(src, dst, 17, udp(src, dst, sport, dport, payload)))


def v4(text):
    return bytes(int(x) for x in text.split("."))
