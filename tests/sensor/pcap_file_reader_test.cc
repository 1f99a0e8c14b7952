// The zero-copy classic pcap reader against libpcap 1.10 itself (the oracle): the same records,
// timestamps, lengths and bytes, in both byte orders, micro- and nanosecond magic; damage at every
// byte offset reported after the same complete records, with libpcap's wording, at the damaged
// record's offset; caplen above the snapshot length cut as libpcap cuts it. Then PcapSource: the
// BPF filter still applies, pcapng stays with libpcap.

#include "sensor/pcap_file_reader.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sensor/pcap_source.h"

namespace tapwatch::sensor {
namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes& b, uint16_t v, bool big) {
  if (big) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  } else {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
  }
}
void Put32(Bytes& b, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    const int shift = big ? 24 - 8 * i : 8 * i;
    b.push_back(static_cast<uint8_t>(v >> shift));
  }
}

struct Rec {
  uint32_t sec, frac, caplen, len;
};

/// A capture written byte by byte: `big` = big-endian (swapped on this x86 host).
Bytes MakeCapture(bool big, bool nano, uint32_t snaplen, const std::vector<Rec>& recs,
                  std::vector<size_t>* offsets = nullptr, uint32_t linktype = 1) {
  Bytes b;
  Put32(b, nano ? 0xa1b23c4d : 0xa1b2c3d4, big);
  Put16(b, 2, big);
  Put16(b, 4, big);
  Put32(b, 0, big);
  Put32(b, 0, big);
  Put32(b, snaplen, big);
  Put32(b, linktype, big);
  for (size_t i = 0; i < recs.size(); ++i) {
    if (offsets) offsets->push_back(b.size());
    Put32(b, recs[i].sec, big);
    Put32(b, recs[i].frac, big);
    Put32(b, recs[i].caplen, big);
    Put32(b, recs[i].len, big);
    for (uint32_t k = 0; k < recs[i].caplen; ++k) b.push_back(static_cast<uint8_t>(i * 31 + k));
  }
  return b;
}

struct Seen {
  std::vector<RawPacket> pkts;
  std::vector<Bytes> data;
  bool error = false;
  std::string message;
};

/// libpcap's view of the same bytes (nanosecond precision, as PcapSource opens files).
Seen ReadWithLibpcap(const Bytes& b) {
  Seen s;
  FILE* f = fmemopen(const_cast<uint8_t*>(b.data()), b.size(), "rb");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fclose(f);
    s.error = true;
    s.message = errbuf;
    return s;
  }
  pcap_pkthdr* h;
  const u_char* d;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    RawPacket r;
    r.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1000000000ull +
              static_cast<uint64_t>(h->ts.tv_usec);
    r.wire_len = h->len;
    r.cap_len = h->caplen;
    s.pkts.push_back(r);
    s.data.emplace_back(d, d + h->caplen);
  }
  if (rc != PCAP_ERROR_BREAK) {
    s.error = true;
    s.message = pcap_geterr(p);
  }
  pcap_close(p);  // closes f
  return s;
}

Seen ReadWithReader(const Bytes& b, uint64_t* error_offset = nullptr) {
  Seen s;
  PcapFileReader r;
  EXPECT_TRUE(r.OpenBuffer(b.data(), b.size()));
  RawPacket p;
  PcapFileReader::Result rc;
  while ((rc = r.Next(p)) == PcapFileReader::Result::kPacket) {
    s.pkts.push_back(p);
    s.data.emplace_back(p.data, p.data + p.cap_len);
  }
  if (rc == PcapFileReader::Result::kError) {
    s.error = true;
    s.message = r.error();
    if (error_offset) *error_offset = r.offset();
  }
  EXPECT_EQ(r.records(), s.pkts.size());
  return s;
}

void ExpectSame(const Seen& want, const Seen& got, const std::string& what) {
  ASSERT_EQ(want.pkts.size(), got.pkts.size()) << what;
  for (size_t i = 0; i < want.pkts.size(); ++i) {
    EXPECT_EQ(want.pkts[i].ts_ns, got.pkts[i].ts_ns) << what << " packet " << i;
    EXPECT_EQ(want.pkts[i].wire_len, got.pkts[i].wire_len) << what << " packet " << i;
    EXPECT_EQ(want.pkts[i].cap_len, got.pkts[i].cap_len) << what << " packet " << i;
    EXPECT_EQ(want.data[i], got.data[i]) << what << " packet " << i;
  }
  EXPECT_EQ(want.error, got.error) << what;
  EXPECT_EQ(want.message, got.message) << what;
}

const std::vector<Rec> kRecs = {
    {1700000000, 999999, 60, 60}, {1700000001, 0, 0, 0},      {1700000002, 5, 1514, 1514},
    {1700000003, 123456, 40, 9000}, {0x80000000u, 7, 14, 14},  // a negative 32-bit second
    {1700000005, 999999999, 33, 33},
};

TEST(PcapFileReader, EveryByteOrderAndPrecisionMatchesLibpcapAndHandValues) {
  for (bool big : {false, true}) {
    for (bool nano : {false, true}) {
      const Bytes b = MakeCapture(big, nano, 65535, kRecs);
      const std::string what = std::string(big ? "big" : "little") + (nano ? " nano" : " micro");
      PcapFileHeader h;
      ASSERT_TRUE(PcapFileReader::ParseHeader(b.data(), b.size(), h)) << what;
      EXPECT_EQ(h.swapped, big) << what;  // this test runs on a little-endian host
      EXPECT_EQ(h.nano, nano) << what;
      EXPECT_EQ(h.linktype, 1u);
      const Seen got = ReadWithReader(b);
      ExpectSame(ReadWithLibpcap(b), got, what);
      ASSERT_EQ(got.pkts.size(), kRecs.size());
      // Hand-computed: record 3 is 1700000003 s + 123456 us (or ns), caplen 40 of len 9000.
      EXPECT_EQ(got.pkts[3].ts_ns, 1700000003ull * 1000000000ull + (nano ? 123456u : 123456000u));
      EXPECT_EQ(got.pkts[3].cap_len, 40u);
      EXPECT_EQ(got.pkts[3].wire_len, 9000u);
      EXPECT_EQ(got.data[2][0], static_cast<uint8_t>(2 * 31));
      EXPECT_FALSE(got.error) << got.message;
    }
  }
}

TEST(PcapFileReader, TruncationAtEveryOffsetMatchesLibpcap) {
  for (bool big : {false, true}) {
    std::vector<size_t> offsets;
    const std::vector<Rec> recs = {{1, 2, 60, 60}, {3, 4, 7, 100}, {5, 6, 0, 0}, {7, 8, 20, 20}};
    const Bytes full = MakeCapture(big, false, 65535, recs, &offsets);
    for (size_t cut = PcapFileReader::kFileHeaderBytes; cut < full.size(); ++cut) {
      const Bytes b(full.begin(), full.begin() + static_cast<long>(cut));
      uint64_t at = 0;
      const Seen got = ReadWithReader(b, &at);
      const std::string what = "cut at " + std::to_string(cut) + (big ? " big" : " little");
      ExpectSame(ReadWithLibpcap(b), got, what);
      // Hand-computed: the complete records are those ending at or before the cut; damage is
      // reported at the first incomplete record's header, a cut on a boundary is a clean end.
      size_t complete = 0;
      while (complete < recs.size() && offsets[complete] + 16 + recs[complete].caplen <= cut) {
        ++complete;
      }
      EXPECT_EQ(got.pkts.size(), complete) << what;
      const bool boundary = complete < recs.size() && offsets[complete] == cut;
      EXPECT_EQ(got.error, !boundary) << what;
      if (!boundary) {
        EXPECT_EQ(at, offsets[complete]) << what;
      }
    }
  }
}

TEST(PcapFileReader, TruncatedFileHeaderIsRefused) {
  const Bytes full = MakeCapture(false, false, 65535, kRecs);
  for (size_t n = 0; n < PcapFileReader::kFileHeaderBytes; ++n) {
    PcapFileReader r;
    EXPECT_FALSE(r.OpenBuffer(full.data(), n)) << n;
  }
  PcapFileReader r;
  EXPECT_TRUE(r.OpenBuffer(full.data(), PcapFileReader::kFileHeaderBytes));
  RawPacket p;
  EXPECT_EQ(r.Next(p), PcapFileReader::Result::kEnd);
}

TEST(PcapFileReader, CaplenAboveSnaplenIsCutLikeLibpcap) {
  // snaplen 64: a 100-byte record is delivered as its first 64 bytes, and the next record follows.
  const std::vector<Rec> recs = {{1, 0, 100, 100}, {2, 0, 30, 30}, {3, 0, 64, 80}};
  for (bool big : {false, true}) {
    const Bytes b = MakeCapture(big, true, 64, recs);
    const Seen got = ReadWithReader(b);
    ExpectSame(ReadWithLibpcap(b), got, big ? "big" : "little");
    ASSERT_EQ(got.pkts.size(), 3u);
    EXPECT_EQ(got.pkts[0].cap_len, 64u);
    EXPECT_EQ(got.pkts[0].wire_len, 100u);
    EXPECT_EQ(got.data[1][0], static_cast<uint8_t>(31));
    // Truncated inside the part beyond the snapshot length, and inside the first 64 bytes.
    for (size_t cut : {24u + 16u + 80u, 24u + 16u + 10u}) {
      const Bytes t(b.begin(), b.begin() + static_cast<long>(cut));
      ExpectSame(ReadWithLibpcap(t), ReadWithReader(t), "cut " + std::to_string(cut));
    }
  }
}

TEST(PcapFileReader, InsaneCaplenIsDamageWithLibpcapWording) {
  // caplen 300000 > 262144 (libpcap's limit for Ethernet), with and without the bytes present.
  for (uint32_t snaplen : {0u, 65535u, 1000000u}) {
    Bytes b = MakeCapture(false, false, snaplen, {{1, 0, 10, 10}});
    const size_t bad = b.size();
    Put32(b, 2, false);
    Put32(b, 0, false);
    Put32(b, 300000, false);
    Put32(b, 300000, false);
    b.resize(b.size() + 300000, 0xab);
    uint64_t at = 0;
    const Seen got = ReadWithReader(b, &at);
    ExpectSame(ReadWithLibpcap(b), got, "snaplen " + std::to_string(snaplen));
    EXPECT_TRUE(got.error);
    EXPECT_EQ(got.pkts.size(), 1u);
    EXPECT_EQ(at, bad);
  }
}

TEST(PcapFileReader, OtherFormatsAreLeftToLibpcap) {
  Bytes v23 = MakeCapture(false, false, 65535, kRecs);
  v23[6] = 3;  // version 2.3: caplen/len may be swapped, libpcap guesses
  PcapFileHeader h;
  EXPECT_FALSE(PcapFileReader::ParseHeader(v23.data(), v23.size(), h));
  Bytes modified = MakeCapture(false, false, 65535, kRecs);
  const uint32_t kuznetzov = 0xa1b2cd34;
  std::memcpy(modified.data(), &kuznetzov, 4);
  EXPECT_FALSE(PcapFileReader::ParseHeader(modified.data(), modified.size(), h));
  Bytes pcapng = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
  pcapng.resize(28, 0);
  EXPECT_FALSE(PcapFileReader::ParseHeader(pcapng.data(), pcapng.size(), h));
}

std::string WriteTemp(const std::string& name, const Bytes& b) {
  const std::string path = "/tmp/tw_pcapreader_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return path;
}

/// A UDP/IPv4 Ethernet frame with the given destination port (checksums zero: BPF ignores them).
Bytes UdpFrame(uint16_t dport) {
  Bytes f(14 + 20 + 8 + 4, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 20 + 8 + 4;
  f[22] = 64;
  f[23] = 17;
  f[26] = 10, f[29] = 1, f[30] = 10, f[33] = 2;
  f[34] = 0x30, f[35] = 0x39;
  f[36] = static_cast<uint8_t>(dport >> 8), f[37] = static_cast<uint8_t>(dport);
  f[39] = 8 + 4;
  return f;
}

Bytes CaptureOfFrames(const std::vector<Bytes>& frames, std::vector<size_t>* offsets) {
  Bytes b = MakeCapture(false, false, 65535, {});
  for (size_t i = 0; i < frames.size(); ++i) {
    offsets->push_back(b.size());
    Put32(b, 100 + static_cast<uint32_t>(i), false);
    Put32(b, 0, false);
    Put32(b, static_cast<uint32_t>(frames[i].size()), false);
    Put32(b, static_cast<uint32_t>(frames[i].size()), false);
    b.insert(b.end(), frames[i].begin(), frames[i].end());
  }
  return b;
}

TEST(PcapSourceFile, ZeroCopyPathAppliesTheBpfFilterAndReportsDamageOffsets) {
  std::vector<Bytes> frames;
  for (int i = 0; i < 20; ++i) frames.push_back(UdpFrame(i % 3 == 0 ? 53 : 1000 + i));
  std::vector<size_t> offsets;
  const Bytes full = CaptureOfFrames(frames, &offsets);
  const std::string path = WriteTemp("filter.pcap", full);
  std::string error;
  auto src = PcapSource::OpenFile(path, "udp dst port 53", error);
  ASSERT_TRUE(src) << error;
  EXPECT_TRUE(src->zero_copy());
  EXPECT_EQ(src->link_type(), 1);
  RawPacket p;
  std::vector<uint64_t> seconds;
  PcapSource::Result r;
  while ((r = src->Next(p)) == PcapSource::Result::kPacket) {
    seconds.push_back(p.ts_ns / 1000000000ull);
  }
  EXPECT_EQ(r, PcapSource::Result::kEnd);
  // Planted: frames 0, 3, ..., 18 go to port 53 (timestamps 100 + index).
  EXPECT_EQ(seconds, (std::vector<uint64_t>{100, 103, 106, 109, 112, 115, 118}));
  EXPECT_EQ(src->packets_read(), 7u);
  std::remove(path.c_str());

  // Truncated inside frame 13: 13 complete records, damage at frame 13's header offset.
  const Bytes cut(full.begin(), full.begin() + static_cast<long>(offsets[13] + 20));
  const std::string cut_path = WriteTemp("cut.pcap", cut);
  src = PcapSource::OpenFile(cut_path, "", error);
  ASSERT_TRUE(src) << error;
  EXPECT_TRUE(src->zero_copy());
  int n = 0;
  while ((r = src->Next(p)) == PcapSource::Result::kPacket) ++n;
  EXPECT_EQ(r, PcapSource::Result::kError);
  EXPECT_EQ(n, 13);
  EXPECT_NE(src->error().find("byte offset " + std::to_string(offsets[13]) + " after 13 "),
            std::string::npos)
      << src->error();
  EXPECT_NE(src->error().find("truncated dump file"), std::string::npos) << src->error();
  std::remove(cut_path.c_str());
}

// A capture cut short while it is being read (truncate, log rotation): damage reported with the
// file's new size, never a SIGBUS. Far ahead of the reader, the per-window size check finds it
// before any vanished page is touched; just ahead, the vanished page faults and the guard maps
// zeros there, and the reader stops at the next record. Every packet byte is touched, as the
// decoders would.
TEST(PcapFileReader, FileThatShrinksWhileReadIsDamageNotACrash) {
  std::vector<Rec> recs;
  for (uint32_t i = 0; i < 4000; ++i) recs.push_back({1000 + i, 0, 1000, 1000});
  std::vector<size_t> offsets;
  const Bytes full = MakeCapture(false, false, 65535, recs, &offsets);
  for (const bool just_ahead : {false, true}) {
    const std::string path = WriteTemp(just_ahead ? "shrink_near.pcap" : "shrink_far.pcap", full);
    PcapFileReader reader;
    std::string error;
    ASSERT_TRUE(reader.OpenFile(path, error)) << error;
    RawPacket p;
    size_t n = 0;
    uint32_t sum = 0;
    const auto touch = [&] {
      for (uint32_t k = 0; k < p.cap_len; ++k) sum += p.data[k];
    };
    for (; n < 10; ++n) {
      ASSERT_EQ(reader.Next(p), PcapFileReader::Result::kPacket);
      touch();
    }
    // Far: at record 3000 (~3 MB, windows ahead). Near: 40 bytes into record 60 (~60 KB).
    const size_t cut = just_ahead ? offsets[60] + 40 : offsets[3000];
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(cut)), 0);
    PcapFileReader::Result r;
    while ((r = reader.Next(p)) == PcapFileReader::Result::kPacket) {
      ++n;
      touch();
      ASSERT_LE(n, 4000u);
    }
    EXPECT_EQ(r, PcapFileReader::Result::kError) << just_ahead;
    EXPECT_NE(reader.error().find("shrank while being read (from " + std::to_string(full.size()) +
                                  " to " + std::to_string(cut) + " bytes)"),
              std::string::npos)
        << reader.error();
    if (just_ahead) {
      EXPECT_GE(n, 60u);  // everything before the cut, perhaps the record it cut
      EXPECT_LE(n, 61u);
    } else {
      EXPECT_LT(n, 3000u);  // stopped at a window check, before the cut
      EXPECT_GE(n, 10u);
    }
    EXPECT_NE(sum, 0u);
    std::remove(path.c_str());
  }
}

TEST(PcapSourceFile, PcapngStaysWithLibpcap) {
  // Written by libpcap's own pcapng-capable reader? libpcap cannot write pcapng, so build the
  // minimal one by hand: SHB, IDB (Ethernet), one EPB with a 46-byte frame.
  Bytes b;
  auto block = [&](uint32_t type, const Bytes& body) {
    Put32(b, type, false);
    Put32(b, static_cast<uint32_t>(12 + body.size()), false);
    b.insert(b.end(), body.begin(), body.end());
    Put32(b, static_cast<uint32_t>(12 + body.size()), false);
  };
  Bytes shb;
  Put32(shb, 0x1a2b3c4d, false);
  Put16(shb, 1, false);
  Put16(shb, 0, false);
  Put32(shb, 0xffffffff, false);
  Put32(shb, 0xffffffff, false);
  block(0x0a0d0d0a, shb);
  Bytes idb;
  Put16(idb, 1, false);
  Put16(idb, 0, false);
  Put32(idb, 65535, false);
  block(1, idb);
  const Bytes frame = UdpFrame(53);
  Bytes epb;
  Put32(epb, 0, false);
  Put32(epb, 0, false);
  Put32(epb, 1000000, false);  // 1 s in microseconds (default if_tsresol)
  Put32(epb, static_cast<uint32_t>(frame.size()), false);
  Put32(epb, static_cast<uint32_t>(frame.size()), false);
  epb.insert(epb.end(), frame.begin(), frame.end());
  while (epb.size() % 4) epb.push_back(0);
  block(6, epb);
  const std::string path = WriteTemp("one.pcapng", b);
  std::string error;
  auto src = PcapSource::OpenFile(path, "udp", error);
  ASSERT_TRUE(src) << error;
  EXPECT_FALSE(src->zero_copy());
  RawPacket p;
  ASSERT_EQ(src->Next(p), PcapSource::Result::kPacket);
  EXPECT_EQ(p.ts_ns, 1000000000ull);
  EXPECT_EQ(p.cap_len, frame.size());
  EXPECT_EQ(src->Next(p), PcapSource::Result::kEnd);
  std::remove(path.c_str());
}

/// Every real capture in $TAPWATCH_SHARED/pcaps through PcapSource and through plain libpcap
/// (pcap_next_ex with pcap_setfilter): the same packets, bytes, timestamps and end, with and
/// without a BPF filter. Classic pcap files take the zero-copy path, pcapng files libpcap's.
TEST(PcapSourceFile, RealCapturesMatchLibpcapPacketForPacket) {
  const char* env = std::getenv("TAPWATCH_SHARED");
  const std::filesystem::path dir =
      std::filesystem::path(env != nullptr ? env : TAPWATCH_SHARED_DEFAULT) / "pcaps";
  const char* ci = std::getenv("CI");
  if (!std::filesystem::is_directory(dir)) {
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "missing " << dir;
    GTEST_SKIP() << "shared captures not found: " << dir << " (set TAPWATCH_SHARED)";
  }
  int files = 0, zero_copy = 0;
  uint64_t packets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".pcap") && !path.ends_with(".pcapng")) continue;
    for (const std::string bpf : {"", "tcp or icmp"}) {
      const std::string what = path + " [" + bpf + "]";
      char errbuf[PCAP_ERRBUF_SIZE] = {};
      pcap_t* p =
          pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
      std::string error;
      auto src = PcapSource::OpenFile(path, bpf, error);
      ASSERT_EQ(p != nullptr, src != nullptr) << what << ": " << errbuf << " / " << error;
      if (p == nullptr) continue;
      if (!bpf.empty()) {
        bpf_program prog{};
        ASSERT_EQ(pcap_compile(p, &prog, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0) << what;
        ASSERT_EQ(pcap_setfilter(p, &prog), 0) << what;
        pcap_freecode(&prog);
      } else {
        ++files;
        zero_copy += src->zero_copy() ? 1 : 0;
      }
      pcap_pkthdr* h;
      const u_char* d;
      int rc;
      uint64_t n = 0;
      RawPacket got;
      while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        ASSERT_EQ(src->Next(got), PcapSource::Result::kPacket) << what << " packet " << n;
        EXPECT_EQ(got.ts_ns, static_cast<uint64_t>(h->ts.tv_sec) * 1000000000ull +
                                 static_cast<uint64_t>(h->ts.tv_usec))
            << what << " packet " << n;
        ASSERT_EQ(got.cap_len, h->caplen) << what << " packet " << n;
        EXPECT_EQ(got.wire_len, h->len) << what << " packet " << n;
        EXPECT_EQ(std::memcmp(got.data, d, h->caplen), 0) << what << " packet " << n;
        ++n;
      }
      const PcapSource::Result end = src->Next(got);
      EXPECT_EQ(end, rc == PCAP_ERROR_BREAK ? PcapSource::Result::kEnd : PcapSource::Result::kError)
          << what << ": " << pcap_geterr(p) << " / " << src->error();
      packets += n;
      pcap_close(p);
    }
  }
  EXPECT_GT(files, 10);
  EXPECT_GT(zero_copy, 10);
  EXPECT_LT(zero_copy, files);  // the pcapng files stayed with libpcap
  std::printf("%d captures (%d zero-copy), %llu packets compared\n", files, zero_copy,
              static_cast<unsigned long long>(packets));
}

}  // namespace
}  // namespace tapwatch::sensor
