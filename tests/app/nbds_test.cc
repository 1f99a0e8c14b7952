#include "decoders/nbds.h"

#include <gtest/gtest.h>

#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using decoders::Anomaly;
using decoders::DecodedPacket;
using decoders::DecodeStatus;
using decoders::NbdsDetail;

// RFC 1002 4.4.2 DIRECT_GROUP datagram carrying an SMB Trans to \MAILSLOT\BROWSE with an
// MS-BRWS HostAnnouncement for "GUNNAR", OS 5.1.
Bytes HostAnnouncement() {
  Bytes browse{0x01, 0x00};  // Opcode HostAnnouncement, UpdateCount
  Le32(browse, 720000);      // Periodicity
  std::string name = "GUNNAR";
  name.resize(16, '\0');
  AppendText(browse, name);
  Append(browse, {5, 1});    // OS major.minor
  Le32(browse, 0x00001003);  // server type
  Append(browse, {0x0f, 0x01, 0x55, 0xaa});
  AppendText(browse, "comment");
  browse.push_back(0);

  Bytes smb = Smb1Header(0x25, 0, 0x00, 0x0000);
  smb.push_back(17);  // WordCount
  const std::string slot = "\\MAILSLOT\\BROWSE";
  const uint16_t data_offset = static_cast<uint16_t>(32 + 1 + 34 + 2 + slot.size() + 1);
  Le16(smb, 0);                                     // TotalParameterCount
  Le16(smb, static_cast<uint16_t>(browse.size()));  // TotalDataCount
  Le16(smb, 0);
  Le16(smb, 0);
  Append(smb, {0, 0});                              // MaxSetupCount, Reserved
  Le16(smb, 0);                                     // Flags
  Le32(smb, 0);                                     // Timeout
  Le16(smb, 0);                                     // Reserved2
  Le16(smb, 0);                                     // ParameterCount
  Le16(smb, 0);                                     // ParameterOffset
  Le16(smb, static_cast<uint16_t>(browse.size()));  // DataCount
  Le16(smb, data_offset);                           // DataOffset
  Append(smb, {3, 0});                              // SetupCount, Reserved3
  Le16(smb, 1);
  Le16(smb, 1);
  Le16(smb, 2);  // setup words
  Le16(smb, static_cast<uint16_t>(slot.size() + 1 + browse.size()));
  AppendText(smb, slot);
  smb.push_back(0);
  EXPECT_EQ(smb.size(), data_offset);
  Append(smb, browse);

  Bytes b{0x11, 0x02};  // DIRECT_GROUP, flags (first fragment, B node)
  Be16(b, 0x8123);
  Append(b, {192, 168, 1, 20});
  Be16(b, 138);
  const Bytes src = EncodeNetbiosName("GUNNAR", 0x00);
  const Bytes dst = EncodeNetbiosName("VIGILANT_GROUP", 0x1D);
  Be16(b, static_cast<uint16_t>(src.size() + dst.size() + smb.size()));
  Be16(b, 0);
  Append(b, src);
  Append(b, dst);
  Append(b, smb);
  return b;
}

TEST(Nbds, NamesAndBrowserAnnouncement) {
  NbdsDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeNbds(HostAnnouncement(), d, pkt), DecodeStatus::kOk);
  ASSERT_EQ(d.nbds_source_names.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.nbds_source_names.Items(d.sets_used)[0].view(), "GUNNAR<00>");
  EXPECT_EQ(d.nbds_destination_names.Items(d.sets_used)[0].view(), "VIGILANT_GROUP<1d>");
  ASSERT_EQ(d.browser_hosts.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.browser_hosts.Items(d.sets_used)[0].view(), "GUNNAR");
  ASSERT_EQ(d.browser_os.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.browser_os.Items(d.sets_used)[0].view(), "5.1");
}

TEST(Nbds, QueryRequestAndUnknownType) {
  Bytes q{0x14, 0x02, 0x00, 0x01, 10, 0, 0, 1, 0x00, 0x8a};
  Append(q, EncodeNetbiosName("PRINTER", 0x20));
  NbdsDetail d;
  DecodedPacket pkt;
  EXPECT_EQ(decoders::DecodeNbds(q, d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.nbds_destination_names.Items(d.sets_used)[0].view(), "PRINTER<20>");
  Bytes unknown{0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(decoders::DecodeNbds(unknown, d, pkt), DecodeStatus::kUnsupported);
}

TEST(Nbds, EveryPrefix) {
  const Bytes full = HostAnnouncement();
  const size_t names_end = 14 + 34 + 34;
  for (size_t n = 0; n < full.size(); ++n) {
    NbdsDetail d;
    DecodedPacket pkt;
    const auto s = decoders::DecodeNbds({full.data(), n}, d, pkt);
    if (n < names_end) {
      EXPECT_EQ(s, DecodeStatus::kMalformed) << n;
      EXPECT_TRUE(pkt.Has(Anomaly::kNbdsTruncated)) << n;
    } else {
      // The SMB/browser part is read as far as it was captured.
      EXPECT_EQ(s, DecodeStatus::kOk) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::apptest
