// Record validation: each planted bad value lands under its reason, values at the limits of what a
// sensor sends pass, the batch envelope count is read from the wire, and the store accounts a
// rejected record in its sensor's sequence without storing it.

#include "collector/record_validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "collector/store.h"
#include "collector_test_util.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

constexpr uint64_t kNow = 1765000000ull * 1000000000ull;  // 2025-12-06

proto::Envelope ValidFlow() {
  proto::Envelope e;
  e.set_sensor_id("s");
  e.set_seq(1);
  proto::FlowRecord& f = *e.mutable_flow();
  f.set_src_addr("192.0.2.1");
  f.set_dst_addr("198.51.100.7");
  f.set_src_port(65535);
  f.set_dst_port(0);
  f.set_ip_proto(255);
  f.set_vlan(4095);
  f.set_src_ttl_max(255);
  f.set_start_ns(kNow - 5);
  f.set_end_ns(kNow + kMaxFutureNs);  // exactly the clock skew allowed
  f.set_src_first_bytes(std::string(kMaxFirstBytes, 'x'));
  f.set_http_uri(std::string(kMaxTextBytes, '/'));
  return e;
}

std::optional<RejectReason> With(const std::function<void(proto::Envelope&)>& edit) {
  proto::Envelope e = ValidFlow();
  edit(e);
  return ValidateEnvelope(e, kNow);
}

TEST(RecordValidation, LimitsOfASensorPass) {
  EXPECT_EQ(ValidateEnvelope(ValidFlow(), kNow), std::nullopt);
  EXPECT_EQ(With([](auto& e) {
              e.mutable_flow()->set_src_addr("2001:db8::1");
              e.mutable_flow()->set_dst_addr("::ffff:192.0.2.1");
            }),
            std::nullopt);
  proto::Envelope stats;
  stats.set_sensor_id(std::string(kMaxSensorIdBytes, 's'));
  stats.mutable_stats()->set_interval_start_ns(kNow);
  stats.mutable_stats()->set_interval_end_ns(kNow);
  EXPECT_EQ(ValidateEnvelope(stats, kNow), std::nullopt);
}

TEST(RecordValidation, EachBadValueUnderItsReason) {
  using R = RejectReason;
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_dst_port(70000); }), R::kPort);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_ip_proto(4294967295u); }), R::kIpProto);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_src_addr("not-an-ip"); }), R::kAddress);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_src_addr("192.0.2.1 "); }), R::kAddress);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_dst_addr(""); }), R::kAddress);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_dst_addr("2001:db8::1"); }), R::kAddress);
  EXPECT_EQ(With([](auto& e) { e.set_sensor_id(std::string(1 << 20, 's')); }), R::kSensorId);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_sensor_id(std::string(256, 's')); }),
            R::kSensorId);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_vlan_inner(4096); }), R::kVlan);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_dst_ttl_min(256); }), R::kOctetField);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_icmp_code(300); }), R::kOctetField);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_src_pkts(1ull << 63); }), R::kCounter);
  EXPECT_EQ(With([](auto& e) { e.set_seq(1ull << 63); }), R::kCounter);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_http_uri(std::string(8193, 'a')); }),
            R::kTextLength);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_src_mac(std::string(18, 'a')); }),
            R::kTextLength);
  EXPECT_EQ(With([](auto& e) {
              e.mutable_flow()->set_dst_first_bytes(std::string(kMaxFirstBytes + 1, 'x'));
            }),
            R::kTextLength);
  EXPECT_EQ(With([](auto& e) {
              e.mutable_flow()->mutable_smb()->add_tree_paths(std::string(9000, 'p'));
            }),
            R::kTextLength);
  EXPECT_EQ(With([](auto& e) {
              for (int i = 0; i < 4097; ++i) e.mutable_flow()->add_payload_labels("x");
            }),
            R::kTextLength);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_end_ns(kNow - 6); }), R::kTimeOrder);
  EXPECT_EQ(With([](auto& e) { e.mutable_flow()->set_end_ns(kNow + kMaxFutureNs + 1); }),
            R::kFutureTime);
  proto::Envelope stats;
  stats.mutable_stats()->set_interval_start_ns(kNow);
  stats.mutable_stats()->set_interval_end_ns(kNow - 1);
  EXPECT_EQ(ValidateEnvelope(stats, kNow), R::kTimeOrder);
  stats.mutable_stats()->set_interval_end_ns(2366841600ull * 1000000000ull);  // 2045
  EXPECT_EQ(ValidateEnvelope(stats, kNow), R::kFutureTime);
}

TEST(RecordValidation, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    names.insert(RejectReasonName(static_cast<RejectReason>(i)));
  }
  EXPECT_EQ(names.size(), kRejectReasonCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(RecordValidation, CountsBatchEnvelopesOnTheWire) {
  proto::EnvelopeBatch batch;
  for (int i = 0; i < 7; ++i) *batch.add_envelopes() = ValidFlow();
  EXPECT_EQ(CountBatchEnvelopes(batch.SerializeAsString()), 7u);
  EXPECT_EQ(CountBatchEnvelopes(""), 0u);
  std::string empties;
  for (int i = 0; i < 5000; ++i) empties += std::string("\x0a\x00", 2);
  EXPECT_EQ(CountBatchEnvelopes(empties), 5000u);
  EXPECT_EQ(CountBatchEnvelopes("\x0a\x05\x01"), std::nullopt);  // length past the end
  EXPECT_EQ(CountBatchEnvelopes(std::string("\xff\xff\xff\xff\xff\xff", 6)), std::nullopt);
}

TEST(RecordValidation, StoreAccountsButDoesNotStoreARejectedRecord) {
  const std::string db = testing::TempDbPath("validation_store");
  std::string error;
  auto store = Store::Open(db, error);
  ASSERT_TRUE(store) << error;
  proto::Envelope good = ValidFlow();
  good.mutable_flow()->set_end_ns(good.flow().start_ns() + 1);
  proto::Envelope bad = good;
  bad.set_seq(2);
  bad.mutable_flow()->set_dst_port(70000);
  proto::Envelope after = good;
  after.set_seq(3);
  proto::Envelope anonymous = good;
  anonymous.set_sensor_id(std::string(1000, 'z'));
  for (const proto::Envelope* e : {&good, &bad, &after, &anonymous}) {
    ASSERT_TRUE(store->Add(*e)) << store->error();
  }
  ASSERT_TRUE(store->Commit()) << store->error();
  EXPECT_EQ(store->flows_stored(), 2u);
  EXPECT_EQ(store->rejected().total(), 2u);
  const SensorCounters& c = store->tracker().sensors().at("s");
  EXPECT_EQ(c.received, 3u);
  EXPECT_EQ(c.gaps, 0u);  // the rejected record is not missing
  EXPECT_EQ(store->tracker().sensors().size(), 1u);
  store.reset();
  EXPECT_EQ(testing::Query(db, "SELECT count(*), max(dst_port) FROM flows"),
            (std::vector<std::vector<std::string>>{{"2", "0"}}));
  EXPECT_EQ(testing::Query(db, "SELECT sensor_id, reason, records FROM rejected_records "
                               "ORDER BY sensor_id"),
            (std::vector<std::vector<std::string>>{{"", "sensor_id", "1"}, {"s", "port", "1"}}));
}

}  // namespace
}  // namespace tapwatch::collector
