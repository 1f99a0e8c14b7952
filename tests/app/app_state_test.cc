#include "decoders/app_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sensor/app_record.h"

namespace tapwatch::apptest {
namespace {

using decoders::AppConfig;
using decoders::AppDetailPool;
using decoders::AppScratch;
using decoders::AppState;
using decoders::DecodedPacket;

struct Env {
  AppConfig config;
  AppDetailPool pool{4};
  decoders::PayloadSignatureTable sigs;
  decoders::IcmpFingerprintTable icmp;
  decoders::FirstBytesPool first_bytes{16, 64};  // a chunk for each flow a test makes
  Env() {
    std::string e;
    decoders::ParsePayloadSignatures(decoders::DefaultPayloadSignaturesTsv(), sigs, e);
    decoders::ParseIcmpFingerprints(decoders::DefaultIcmpFingerprintsTsv(), icmp, e);
  }
  AppScratch Scratch() {
    AppScratch s;
    s.pool = &pool;
    s.signatures = &sigs;
    s.icmp_fingerprints = &icmp;
    s.first_bytes_pool = &first_bytes;
    return s;
  }
};

DecodedPacket Tcp(uint8_t flags, const std::string& payload, uint16_t sport = 1450,
                  uint16_t dport = 80) {
  static std::deque<std::string> keep;  // spans must outlive the packet (stable addresses)
  keep.push_back(payload);
  DecodedPacket p;
  p.ip_version = 4;
  p.ip_proto = decoders::kIpProtoTcp;
  p.has_l4 = true;
  p.tcp_flags = flags;
  p.src_port = sport;
  p.dst_port = dport;
  p.l4_payload = {reinterpret_cast<const uint8_t*>(keep.back().data()), keep.back().size()};
  p.l4_payload_wire_len = static_cast<uint32_t>(payload.size());
  return p;
}

TEST(AppState, FitsInAFlowSlot) { EXPECT_LE(sizeof(AppState), 48u); }

// The pipeline's fast path: for every packet AppFlagsOnly() accepts, UpdateAppFlags leaves the
// state exactly as UpdateAppState does (and the flows' later packets then see the same state).
TEST(AppState, FlagsOnlyFastPathEqualsFullUpdate) {
  Env env;
  // One first-bytes pool per state: both take chunk 0, so the states compare whole, and their
  // kept bytes are compared too.
  decoders::FirstBytesPool full_chunks(1, 64), fast_chunks(1, 64);
  std::mt19937 rng(99);
  int fast = 0, full = 0;
  for (int n = 0; n < 20000; ++n) {
    AppState full_state, fast_state;
    // A random history first, so flags, counters and kept bytes are not all zero.
    const int before = static_cast<int>(rng() % 4);
    for (int k = 0; k <= before; ++k) {
      const bool last = k == before;
      DecodedPacket p =
          Tcp(static_cast<uint8_t>(rng() % 64), std::string(rng() % 3 == 0 ? 0 : rng() % 80, 'G'),
              static_cast<uint16_t>(rng() % 2 ? 139 : 80), 80);
      p.ip_proto =
          std::array<uint8_t, 5>{decoders::kIpProtoTcp, decoders::kIpProtoUdp,
                                 decoders::kIpProtoIcmp, decoders::kIpProtoIcmpv6, 47}[rng() % 5];
      p.has_l4 = rng() % 5 != 0;
      p.is_later_fragment = rng() % 7 == 0;
      p.ttl = static_cast<uint8_t>(rng() % 3);
      const bool from_src = rng() % 2;
      AppScratch a = env.Scratch(), b = env.Scratch();
      a.pool = b.pool = nullptr;  // no pooled details: the two states are compared whole
      a.first_bytes_pool = &full_chunks;
      b.first_bytes_pool = &fast_chunks;
      if (!last || !decoders::AppFlagsOnly(p)) {
        decoders::UpdateAppState(p, from_src, env.config, full_state, a);
        DecodedPacket q = p;
        decoders::UpdateAppState(q, from_src, env.config, fast_state, b);
        if (last) ++full;
        continue;
      }
      decoders::UpdateAppState(p, from_src, env.config, full_state, a);
      decoders::UpdateAppFlags(p, from_src, fast_state);
      ++fast;
    }
    ASSERT_EQ(std::memcmp(&full_state, &fast_state, sizeof(AppState)), 0) << "case " << n;
    const std::span<uint8_t> full_bytes = full_chunks.Chunk(full_state.first_chunk);
    const std::span<uint8_t> fast_bytes = fast_chunks.Chunk(fast_state.first_chunk);
    ASSERT_EQ(full_bytes.size(), fast_bytes.size()) << "case " << n;
    for (size_t dir = 0; dir < 2 && !full_bytes.empty(); ++dir) {
      const size_t at = dir * env.config.first_bytes, n_kept = full_state.first_len[dir];
      ASSERT_TRUE(std::equal(full_bytes.begin() + at, full_bytes.begin() + at + n_kept,
                             fast_bytes.begin() + at))
          << "case " << n;
    }
    decoders::ReleaseAppState(full_state, nullptr, &full_chunks);
    decoders::ReleaseAppState(fast_state, nullptr, &fast_chunks);
  }
  EXPECT_GT(fast, 5000);
  EXPECT_GT(full, 3000);
}

TEST(AppState, BareAckOnlyWithoutSyn) {
  Env env;
  AppScratch s = env.Scratch();
  {
    // Handshake seen: no bare-ACK anywhere.
    AppState st;
    auto syn = Tcp(decoders::kTcpSyn, "");
    decoders::UpdateAppState(syn, true, env.config, st, s);
    auto synack = Tcp(decoders::kTcpSyn | decoders::kTcpAck, "", 80, 1450);
    decoders::UpdateAppState(synack, false, env.config, st, s);
    auto req = Tcp(decoders::kTcpAck | decoders::kTcpPsh, "GET / HTTP/1.0\r\n");
    decoders::UpdateAppState(req, true, env.config, st, s);
    auto resp = Tcp(decoders::kTcpAck, "HTTP/1.0 200 OK\r\n", 80, 1450);
    decoders::UpdateAppState(resp, false, env.config, st, s);
    EXPECT_FALSE(st.bare_ack());
    EXPECT_EQ(st.bare_ack_pkts[0], 0);
    EXPECT_EQ(st.bare_ack_pkts[1], 0);
  }
  {
    // Code Red bare ACK: an ACK with payload and no SYN, twice, no answer.
    AppState st;
    for (int i = 0; i < 2; ++i) {
      auto p = Tcp(decoders::kTcpAck, std::string("\x00\xff\x75\xfc", 4));
      decoders::UpdateAppState(p, true, env.config, st, s);
    }
    EXPECT_TRUE(st.bare_ack());
    EXPECT_EQ(st.bare_ack_pkts[0], 2);
  }
  {
    // First packet a pure ACK (no payload): the flow is not flagged, later data still counted.
    AppState st;
    auto ack = Tcp(decoders::kTcpAck, "");
    decoders::UpdateAppState(ack, true, env.config, st, s);
    auto data = Tcp(decoders::kTcpAck, "x");
    decoders::UpdateAppState(data, true, env.config, st, s);
    EXPECT_FALSE(st.bare_ack());
    EXPECT_EQ(st.bare_ack_pkts[0], 1);
  }
}

TEST(AppState, FirstBytesPerDirectionAndLimits) {
  Env env;
  AppScratch s = env.Scratch();
  AppState st;
  const std::string a(40, 'a'), b(40, 'b'), c(10, 'c');
  auto p1 = Tcp(decoders::kTcpAck, a);
  auto p2 = Tcp(decoders::kTcpAck, b);
  auto p3 = Tcp(decoders::kTcpAck, c, 80, 1450);
  decoders::UpdateAppState(p1, true, env.config, st, s);
  decoders::UpdateAppState(p2, true, env.config, st, s);
  decoders::UpdateAppState(p3, false, env.config, st, s);
  EXPECT_EQ(st.first_len[0], 64);
  EXPECT_EQ(st.first_len[1], 10);
  const std::span<uint8_t> kept = env.first_bytes.Chunk(st.first_chunk);
  ASSERT_EQ(kept.size(), 128u);
  EXPECT_EQ(std::string(kept.begin(), kept.begin() + 64), a + b.substr(0, 24));
  EXPECT_EQ(std::string(kept.begin() + 64, kept.begin() + 74), c);
  // first_bytes 0 disables: nothing kept, no chunk taken.
  AppConfig off = env.config;
  off.first_bytes = 0;
  AppState st2;
  decoders::UpdateAppState(p1, true, off, st2, s);
  EXPECT_EQ(st2.first_len[0], 0);
  EXPECT_EQ(st2.first_chunk, decoders::kNoDetail);
  // So does a scratch without a first-bytes pool; the rest of the update still happens.
  AppScratch no_pool = s;
  no_pool.first_bytes_pool = nullptr;
  AppState st3;
  auto code_red = Tcp(decoders::kTcpAck, "GET /default.ida?NNNN");
  decoders::UpdateAppState(code_red, true, env.config, st3, no_pool);
  EXPECT_EQ(st3.first_len[0], 0);
  EXPECT_EQ(st3.first_chunk, decoders::kNoDetail);
  EXPECT_NE(st3.label_mask, 0u);
  EXPECT_EQ(env.first_bytes.in_use(), 1u);  // st's only
}

TEST(AppState, SignaturesOnlyOnFirstPayloadPackets) {
  Env env;
  AppScratch s = env.Scratch();
  AppState st;
  for (int i = 0; i < 4; ++i) {
    auto p = Tcp(decoders::kTcpAck, "filler");
    decoders::UpdateAppState(p, true, env.config, st, s);
  }
  auto late = Tcp(decoders::kTcpAck, "GET /scripts/root.exe?/c+dir");
  decoders::UpdateAppState(late, true, env.config, st, s);
  EXPECT_EQ(st.label_mask, 0u);  // the 5th payload packet of a direction is not scanned
  auto other_dir = Tcp(decoders::kTcpAck, "cmd.exe", 80, 1450);
  decoders::UpdateAppState(other_dir, false, env.config, st, s);
  EXPECT_NE(st.label_mask, 0u);
}

TEST(AppState, PoolExhaustionKeepsInlineCountersAndIsCounted) {
  Env env;
  AppDetailPool pool(1);
  AppScratch s = env.Scratch();
  s.pool = &pool;
  DecodedPacket echo;
  echo.ip_version = 4;
  echo.ip_proto = decoders::kIpProtoIcmp;
  echo.has_l4 = true;
  echo.icmp_type = 8;
  echo.ip_total_len = 28;
  echo.ttl = 64;
  AppState a, b;
  decoders::UpdateAppState(echo, true, env.config, a, s);
  decoders::UpdateAppState(echo, true, env.config, b, s);
  decoders::UpdateAppState(echo, true, env.config, b, s);
  EXPECT_NE(a.detail, decoders::kNoDetail);
  EXPECT_EQ(b.detail, decoders::kNoDetail);
  EXPECT_EQ(pool.exhausted(), 1u);  // asked once per flow, not once per packet
  EXPECT_EQ(b.echo_requests, 2u);
  EXPECT_EQ(env.icmp.rules[b.icmp_rule].name, "nmap");
  EXPECT_EQ(pool.in_use(), 1u);
  decoders::ReleaseAppState(a, &pool);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(a.detail, decoders::kNoDetail);
  EXPECT_EQ(a.echo_requests, 0u);
  // The freed slot goes to the next flow, reset.
  AppState c;
  decoders::UpdateAppState(echo, true, env.config, c, s);
  ASSERT_NE(c.detail, decoders::kNoDetail);
  EXPECT_EQ(pool.Get<decoders::IcmpDetail>(c.detail)->ip_lengths.Get(28), 1u);
}

// Resident memory of this process, from the kernel (/proc/self/statm, in pages).
size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// The NBNS name sets keep their first M distinct strings while their bytes fit the budget; a
// string that does not fit is dropped even when items are left, a shorter one after it still
// fits, and a cleared mask empties the set whatever it held.
TEST(MarkedStringSet, ItemAndByteBudgets) {
  decoders::MarkedStringSet<64, 4, 2, 100> pack{};  // zeroed: a stack object, not a pool slot
  uint16_t mask = 0;
  EXPECT_TRUE(pack.Items(mask).empty());
  EXPECT_TRUE(pack.Add(mask, std::string(61, 'a')));
  EXPECT_EQ(mask, 1u << 2);
  EXPECT_TRUE(pack.Add(mask, std::string(30, 'b')));
  EXPECT_TRUE(pack.Add(mask, std::string(30, 'b')));  // already there: not added twice
  EXPECT_FALSE(pack.Add(mask, std::string(10, 'c')));  // 101 bytes > 100
  EXPECT_TRUE(pack.Add(mask, std::string(9, 'd')));    // exactly 100
  EXPECT_FALSE(pack.Add(mask, "e"));                    // no byte left
  EXPECT_EQ(pack.Dropped(mask), 2u);
  auto items = pack.Items(mask);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].view(), std::string(61, 'a'));
  EXPECT_EQ(items[1].view(), std::string(30, 'b'));
  EXPECT_EQ(items[2].view(), std::string(9, 'd'));
  EXPECT_TRUE(pack.Contains(mask, std::string(9, 'd')));
  EXPECT_FALSE(pack.Contains(mask, std::string(8, 'd')));
  // The item budget: four strings however short.
  uint16_t other = 0;
  decoders::MarkedStringSet<64, 4, 2, 100> small{};
  for (const char* s : {"w", "x", "y", "z"}) EXPECT_TRUE(small.Add(other, s));
  EXPECT_FALSE(small.Add(other, "v"));
  EXPECT_EQ(small.Items(other).size(), 4u);
  // A string longer than N-1 is cut, as MarkedStringSet cuts it.
  uint16_t cut_mask = 0;
  decoders::MarkedStringSet<8, 4, 0, 100> cut{};
  EXPECT_TRUE(cut.Add(cut_mask, "0123456789"));
  EXPECT_EQ(cut.Items(cut_mask)[0].view(), "0123456");
  EXPECT_TRUE(cut.Contains(cut_mask, "0123456"));
  // A cleared bit empties the set; the next Add starts it afresh.
  mask = 0;
  EXPECT_TRUE(pack.Items(mask).empty());
  EXPECT_EQ(pack.Dropped(mask), 0u);
  EXPECT_FALSE(pack.Contains(mask, std::string(9, 'd')));
  EXPECT_TRUE(pack.Add(mask, "new"));
  ASSERT_EQ(pack.Items(mask).size(), 1u);
  EXPECT_EQ(pack.Items(mask)[0].view(), "new");
  EXPECT_EQ(pack.Dropped(mask), 0u);
}

TEST(AppDetailPool, TouchesMemoryOnlyForPeakLiveDetails) {
  const size_t rss_before = ResidentBytes();
  AppDetailPool pool(200000);  // ~400 MB reserved
  EXPECT_GE(pool.memory_bytes(), 200000u * sizeof(decoders::SmbDetail));
  EXPECT_EQ(pool.touched(), 0u);
  // Each type has its own slots, sized for it: an ICMP histogram takes one cache line, and an
  // NBNS or NBDS detail leaves out the other service's fields (one NetBIOS slot for both took
  // 2 KiB).
  EXPECT_EQ(sizeof(decoders::DetailSlot<decoders::IcmpDetail>), 64u);
  EXPECT_LT(sizeof(decoders::DetailSlot<decoders::NbnsDetail>), 2048u);
  EXPECT_LT(sizeof(decoders::DetailSlot<decoders::NbdsDetail>), 2048u);
  const uint32_t a = pool.Acquire<decoders::SmbDetail>();
  const uint32_t b = pool.Acquire<decoders::NbnsDetail>();
  const uint32_t c = pool.Acquire<decoders::IcmpDetail>();
  const uint32_t n = pool.Acquire<decoders::NbdsDetail>();
  EXPECT_EQ((std::set<uint32_t>{a, b, c, n}.size()), 4u);
  EXPECT_EQ(pool.Get<decoders::NbnsDetail>(a), nullptr);  // wrong kind
  EXPECT_EQ(pool.Get<decoders::SmbDetail>(c), nullptr);
  // NBNS and NBDS each have a live slot 0: only the kind bits tell b and n apart.
  EXPECT_EQ(pool.Get<decoders::NbdsDetail>(b), nullptr);
  EXPECT_EQ(pool.Get<decoders::NbnsDetail>(n), nullptr);
  EXPECT_NE(pool.Get<decoders::NbdsDetail>(n), nullptr);
  // ICMP's kind (4) needs the third kind bit: with two, its index would read as kind 0.
  EXPECT_NE(pool.Get<decoders::IcmpDetail>(c), nullptr);
  EXPECT_EQ(pool.Get<decoders::SmbDetail>(a + 3), nullptr);  // an SMB slot never handed out
  EXPECT_EQ(pool.Get<decoders::IcmpDetail>(decoders::kNoDetail), nullptr);
  decoders::SmbDetail* smb = pool.Get<decoders::SmbDetail>(a);
  ASSERT_NE(smb, nullptr);
  smb->messages = 7;
  smb->dialects.Add(smb->sets_used, "NT LM 0.12");
  EXPECT_TRUE(smb->dialects.UsedIn(smb->sets_used));
  EXPECT_FALSE(smb->tree_paths.UsedIn(smb->sets_used));
  smb->smb2_commands.Add(smb->sets_used, 3, 9);
  // A released slot is reused (before any untouched one) and comes back reset.
  pool.Release(a);
  pool.Release(a);  // twice: ignored
  pool.Release(decoders::kNoDetail);  // ignored
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_EQ(pool.Get<decoders::SmbDetail>(a), nullptr);  // released
  const uint32_t d = pool.Acquire<decoders::SmbDetail>();
  EXPECT_EQ(d, a);
  const decoders::SmbDetail* again = pool.Get<decoders::SmbDetail>(d);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->messages, 0u);
  EXPECT_EQ(again->dialects.Items(again->sets_used).size(), 0u);
  EXPECT_EQ(again->sets_used, 0u);  // the reset clears the mask too
  EXPECT_EQ(again->smb2_commands.Get(again->sets_used, 3), 0u);
  EXPECT_TRUE(again->smb2_commands.Counts(again->sets_used).empty());
  // The reset wrote nothing in the set (its count still holds the previous flow's 1): the first
  // Add empties it, so the new flow sees only its own string.
  decoders::SmbDetail* reused = pool.Get<decoders::SmbDetail>(d);
  reused->dialects.Add(reused->sets_used, "SMB 2.002");
  ASSERT_EQ(reused->dialects.Items(reused->sets_used).size(), 1u);
  EXPECT_EQ(reused->dialects.Items(reused->sets_used)[0].view(), "SMB 2.002");
  EXPECT_EQ(reused->dialects.Dropped(reused->sets_used), 0u);
  // Likewise the SMB2 table: its first Add zeroes the 9 the previous flow left at index 3.
  reused->smb2_commands.Add(reused->sets_used, 4);
  EXPECT_EQ(reused->smb2_commands.Get(reused->sets_used, 3), 0u);
  EXPECT_EQ(reused->smb2_commands.Get(reused->sets_used, 4), 1u);
  pool.Release(d);
  // A released SMB slot is not handed to another type: an NBNS detail takes an NBNS slot.
  const uint32_t e = pool.Acquire<decoders::NbnsDetail>();
  EXPECT_NE(e, a);
  EXPECT_NE(e, b);
  const decoders::NbnsDetail* nb_again = pool.Get<decoders::NbnsDetail>(e);
  ASSERT_NE(nb_again, nullptr);
  EXPECT_EQ(nb_again->nbns_names.Items(nb_again->sets_used).size(), 0u);
  EXPECT_EQ(pool.Get<decoders::SmbDetail>(e), nullptr);
  // 100000 short flows, at most 5 alive at once: only 5 slots (plus the 2 still held) touched.
  std::deque<uint32_t> live;
  for (int i = 0; i < 100000; ++i) {
    live.push_back(pool.Acquire<decoders::NbnsDetail>());
    decoders::NbnsDetail* nb = pool.Get<decoders::NbnsDetail>(live.back());
    nb->nbns_names.Add(nb->sets_used, "NAME");
    if (live.size() == 5) {
      pool.Release(live.front());
      live.pop_front();
    }
  }
  // Peak: one SMB, one ICMP and one NBDS slot, two NBNS slots still held (b, e) + 5 live.
  EXPECT_EQ(pool.touched(), 1u + 1u + 1u + 2u + 5u);
  EXPECT_EQ(pool.touched_bytes(), sizeof(decoders::DetailSlot<decoders::SmbDetail>) +
                                      sizeof(decoders::DetailSlot<decoders::IcmpDetail>) +
                                      sizeof(decoders::DetailSlot<decoders::NbdsDetail>) +
                                      7 * sizeof(decoders::DetailSlot<decoders::NbnsDetail>) +
                                      10 * sizeof(uint32_t));
  EXPECT_EQ(pool.exhausted(), 0u);
  // The kernel agrees: far less than the 400 MB reserved became resident.
  const size_t rss_after = ResidentBytes();
  if (rss_before != 0 && rss_after != 0) {
    EXPECT_LT(rss_after, rss_before + (16u << 20));
  }
}

TEST(AppState, IcmpErrorsAttributedAndBounded) {
  AppState st;
  DecodedPacket err;
  err.icmp_type = 3;
  err.icmp_code = 1;
  decoders::NoteIcmpError(err, st);
  decoders::NoteIcmpError(err, st);
  err.icmp_type = 11;
  err.icmp_code = 0;
  decoders::NoteIcmpError(err, st);
  err.icmp_type = 3;
  err.icmp_code = 3;
  decoders::NoteIcmpError(err, st);
  EXPECT_EQ(st.errors_quoted, 4);
  EXPECT_EQ(st.error_type_codes[0], 0x0301);
  EXPECT_EQ(st.error_type_counts[0], 2);
  EXPECT_EQ(st.error_type_codes[1], 0x0B00);
  EXPECT_EQ(st.error_other, 1);
  proto::FlowRecord rec;
  Env env;
  sensor::FillAppRecord(st, env.Scratch(), rec);
  ASSERT_TRUE(rec.has_icmp());
  EXPECT_EQ(rec.icmp().errors_quoted(), 4u);
  EXPECT_EQ(rec.icmp().error_types().at(0x0301), 2u);
  EXPECT_EQ(rec.icmp().error_types().at(0x0B00), 1u);
}

TEST(AppState, DisabledDoesNothing) {
  Env env;
  AppScratch s = env.Scratch();
  AppConfig off;
  off.enabled = false;
  AppState st;
  auto p = Tcp(decoders::kTcpAck, "GET /default.ida?NNNN");
  decoders::UpdateAppState(p, true, off, st, s);
  EXPECT_EQ(st.flags, 0);
  EXPECT_EQ(st.label_mask, 0u);
  EXPECT_EQ(env.pool.in_use(), 0u);
}

TEST(AppState, FirstBytesPoolChunks) {
  decoders::FirstBytesPool pool(3, 64);
  EXPECT_EQ(pool.memory_bytes(), 3u * 2 * 64);
  EXPECT_TRUE(pool.Chunk(decoders::kNoDetail).empty());
  const uint32_t a = pool.Acquire(), b = pool.Acquire(), c = pool.Acquire();
  EXPECT_EQ(pool.Acquire(), decoders::kNoDetail);  // all three taken
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_EQ(pool.Chunk(a).size(), 128u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pool.Chunk(a).data()) % 64, 0u);  // two whole lines
  EXPECT_EQ(pool.Chunk(c).data() - pool.Chunk(a).data(), 256);
  pool.Release(a);
  pool.Release(b);
  pool.Release(decoders::kNoDetail);  // ignored
  EXPECT_EQ(pool.Acquire(), b);       // the most recently released first (warm)
  EXPECT_EQ(pool.in_use(), 2u);
  decoders::FirstBytesPool none(3, 0);
  EXPECT_EQ(none.Acquire(), decoders::kNoDetail);
}

// With a pool, the first bytes go to the flow's own chunk, taken with the first kept byte and
// given back by ReleaseAppState; flows without payload take none.
TEST(AppState, FirstBytesFromPool) {
  Env env;
  decoders::FirstBytesPool chunks(2, 64);
  AppScratch s = env.Scratch();
  s.first_bytes_pool = &chunks;
  AppState empty;
  auto syn = Tcp(decoders::kTcpSyn, "");
  decoders::UpdateAppState(syn, true, env.config, empty, s);
  EXPECT_EQ(empty.first_chunk, decoders::kNoDetail);
  AppState st;
  const std::string a(40, 'a'), c(10, 'c');
  auto p1 = Tcp(decoders::kTcpAck, a);
  auto p2 = Tcp(decoders::kTcpAck, c, 80, 1450);
  decoders::UpdateAppState(p1, true, env.config, st, s);
  decoders::UpdateAppState(p2, false, env.config, st, s);
  ASSERT_NE(st.first_chunk, decoders::kNoDetail);
  const std::span<uint8_t> got = chunks.Chunk(st.first_chunk);
  EXPECT_EQ(st.first_len[0], 40);
  EXPECT_EQ(st.first_len[1], 10);
  EXPECT_EQ(std::string(got.begin(), got.begin() + 40), a);
  EXPECT_EQ(std::string(got.begin() + 64, got.begin() + 74), c);
  EXPECT_EQ(chunks.in_use(), 1u);
  decoders::ReleaseAppState(st, &env.pool, &chunks);
  EXPECT_EQ(chunks.in_use(), 0u);
  EXPECT_EQ(st.first_chunk, decoders::kNoDetail);
}

// An empty pool keeps the flow's bytes out, not the flow: it asks again with its next payload
// packet, and keeps from there once a chunk is free.
TEST(AppState, FirstBytesPoolEmptyKeepsNoneUntilAChunkIsFree) {
  Env env;
  decoders::FirstBytesPool chunks(1, 64);
  AppScratch s = env.Scratch();
  s.first_bytes_pool = &chunks;
  AppState first, second;
  auto p1 = Tcp(decoders::kTcpAck, "first");
  auto p2 = Tcp(decoders::kTcpAck, "second", 1451);
  decoders::UpdateAppState(p1, true, env.config, first, s);
  decoders::UpdateAppState(p2, true, env.config, second, s);
  EXPECT_EQ(first.first_len[0], 5);
  EXPECT_EQ(second.first_len[0], 0);
  EXPECT_EQ(second.first_chunk, decoders::kNoDetail);
  EXPECT_EQ(second.scanned_pkts[0], 1);  // the rest of the update happened
  decoders::ReleaseAppState(first, &env.pool, &chunks);
  auto p3 = Tcp(decoders::kTcpAck, "later", 1451);
  decoders::UpdateAppState(p3, true, env.config, second, s);
  ASSERT_NE(second.first_chunk, decoders::kNoDetail);
  EXPECT_EQ(second.first_len[0], 5);
  const std::span<uint8_t> got = chunks.Chunk(second.first_chunk);
  EXPECT_EQ(std::string(got.begin(), got.begin() + 5), "later");
}

}  // namespace
}  // namespace tapwatch::apptest
