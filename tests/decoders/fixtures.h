#pragma once
// Hand-written byte fixtures shared by the decoder tests. Every field is commented; values were
// computed by hand from the RFCs, not produced by the code under test.

#include <cstdint>

namespace tapwatch::decoders::testing {

// Ethernet II header: 00:11:22:33:44:55 <- 66:77:88:99:aa:bb, IPv4.
inline constexpr uint8_t kEthIpv4[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // source MAC
    0x08, 0x00,                          // EtherType IPv4
};
inline constexpr uint8_t kEthIpv6[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // source MAC
    0x86, 0xdd,                          // EtherType IPv6
};

// IPv4 header, 20 bytes: 192.168.1.2 -> 10.0.0.1, TCP, total length 48 (20 + 24 TCP + 4 data).
inline constexpr uint8_t kIpv4Tcp[] = {
    0x45,                    // version 4, IHL 5 (20 bytes)
    0x10,                    // TOS 0x10
    0x00, 0x30,              // total length 48
    0x12, 0x34,              // identification 0x1234
    0x40, 0x00,              // flags DF, fragment offset 0
    0x40,                    // TTL 64
    0x06,                    // protocol TCP
    0x00, 0x00,              // header checksum (not verified)
    0xc0, 0xa8, 0x01, 0x02,  // source 192.168.1.2
    0x0a, 0x00, 0x00, 0x01,  // destination 10.0.0.1
};

// TCP header with one MSS option (24 bytes) + 4 payload bytes.
inline constexpr uint8_t kTcpMss[] = {
    0x04, 0xd2,              // source port 1234
    0x00, 0x50,              // destination port 80
    0x00, 0x00, 0x00, 0x01,  // sequence number 1
    0x00, 0x00, 0x00, 0x02,  // acknowledgment number 2
    0x60,                    // data offset 6 (24 bytes)
    0x18,                    // flags PSH|ACK
    0x20, 0x00,              // window 8192
    0x00, 0x00,              // checksum (not verified)
    0x00, 0x00,              // urgent pointer
    0x02, 0x04, 0x05, 0xb4,  // option: MSS 1460
    'a',  'b',  'c',  'd',   // payload
};

// IPv4 header: 10.1.1.1 -> 10.2.2.2, UDP, total length 32 (20 + 8 UDP + 4 data), TTL 128.
inline constexpr uint8_t kIpv4Udp[] = {
    0x45,                    // version 4, IHL 5
    0x00,                    // TOS
    0x00, 0x20,              // total length 32
    0xab, 0xcd,              // identification
    0x00, 0x00,              // no flags, offset 0
    0x80,                    // TTL 128
    0x11,                    // protocol UDP
    0x00, 0x00,              // checksum
    0x0a, 0x01, 0x01, 0x01,  // source 10.1.1.1
    0x0a, 0x02, 0x02, 0x02,  // destination 10.2.2.2
};

// UDP header (length 12) + 4 payload bytes.
inline constexpr uint8_t kUdp12[] = {
    0x00, 0x89,              // source port 137
    0x00, 0x35,              // destination port 53
    0x00, 0x0c,              // length 12
    0x00, 0x00,              // checksum (not verified)
    0xde, 0xad, 0xbe, 0xef,  // payload
};

// IPv6 header: 2001:db8::1 -> 2001:db8::2, next header UDP, payload length 12, hop limit 64.
inline constexpr uint8_t kIpv6Udp[] = {
    0x60, 0x00, 0x00, 0x00,  // version 6, traffic class 0, flow label 0
    0x00, 0x0c,              // payload length 12
    0x11,                    // next header UDP
    0x40,                    // hop limit 64
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // source 2001:db8::1
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,  // destination 2001:db8::2
};

}  // namespace tapwatch::decoders::testing
