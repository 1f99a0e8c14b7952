// AppendJson (the JSON-lines printer) against protobuf's own MessageToJsonString with
// preserve_proto_field_names: byte-identical (up to map order, see ExpectPrintedAsProtobuf) on
// thousands of envelopes whose every field (flow,
// stats, every application sub-message, repeated fields, maps) is filled at random through
// reflection, with zeros (omitted defaults), extremes, and strings full of characters protobuf
// escapes. Non-ASCII text is refused, so the publisher leaves it to protobuf.

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "sensor/wire_json.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

class Filler {
 public:
  explicit Filler(uint32_t seed) : rng_(seed) {}

  void Fill(Message& m, int depth) {
    const auto* d = m.GetDescriptor();
    const Reflection& r = *m.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->containing_oneof() != nullptr && Pick(2) == 0) continue;
      if (f->is_map() || f->is_repeated()) {
        const int n = static_cast<int>(Pick(4));
        for (int k = 0; k < n; ++k) {
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Fill(*r.AddMessage(&m, f), depth + 1);
          } else {
            AddScalar(m, r, f);
          }
        }
        continue;
      }
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (depth < 3 && Pick(3) != 0) Fill(*r.MutableMessage(&m, f), depth + 1);
        continue;
      }
      if (Pick(4) == 0) continue;  // stays at its default
      SetScalar(m, r, f);
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  uint64_t Number() {
    switch (Pick(5)) {
      case 0:
        return 0;
      case 1:
        return ~uint64_t{0};
      case 2:
        return Pick(10);
      case 3:
        return uint64_t{1} << Pick(64);
      default:
        return rng_();
    }
  }
  std::string Text(bool bytes) {
    static const std::string kChars =
        std::string("abcXYZ019 .:_-/\\\"<>&'{}[]\x7f\b\t\n\f\r") + '\0' + "\x01\x1f";
    std::string s;
    const size_t n = Pick(12);
    for (size_t i = 0; i < n; ++i) {
      s.push_back(bytes ? static_cast<char>(Pick(256)) : kChars[Pick(kChars.size())]);
    }
    return s;
  }
  void SetScalar(Message& m, const Reflection& r, const FieldDescriptor* f) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.SetInt32(&m, f, static_cast<int32_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.SetUInt32(&m, f, static_cast<uint32_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.SetInt64(&m, f, static_cast<int64_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.SetUInt64(&m, f, Number());
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.SetBool(&m, f, Pick(2) == 1);
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.SetString(&m, f, Text(f->type() == FieldDescriptor::TYPE_BYTES));
        break;
      default:
        FAIL() << "unexpected type in tapwatch.proto: " << f->full_name();
    }
  }
  void AddScalar(Message& m, const Reflection& r, const FieldDescriptor* f) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.AddInt32(&m, f, static_cast<int32_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.AddUInt32(&m, f, static_cast<uint32_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.AddInt64(&m, f, static_cast<int64_t>(Number()));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.AddUInt64(&m, f, Number());
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.AddBool(&m, f, Pick(2) == 1);
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.AddString(&m, f, Text(f->type() == FieldDescriptor::TYPE_BYTES));
        break;
      default:
        FAIL() << "unexpected type in tapwatch.proto: " << f->full_name();
    }
  }
  std::mt19937_64 rng_;
};

std::string ProtobufJson(const Message& m) {
  std::string s;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &s, o).ok());
  return s;
}

// Map entries print in key order (AppendJson serializes deterministically, so a capture always
// gives the same bytes); protobuf's printer follows its hash order, which changes from process
// to process. So: the output reads back as the message, and is byte-identical to protobuf's
// wherever no map has two entries to order.
bool HasMapWithTwoEntries(const Message& m) {
  const auto* d = m.GetDescriptor();
  const Reflection& r = *m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map() && r.FieldSize(m, f) >= 2) return true;
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (f->is_repeated()) {
      for (int k = 0; k < r.FieldSize(m, f); ++k) {
        if (HasMapWithTwoEntries(r.GetRepeatedMessage(m, f, k))) return true;
      }
    } else if (r.HasField(m, f) && HasMapWithTwoEntries(r.GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

void ExpectPrintedAsProtobuf(const proto::Envelope& e, const std::string& mine,
                             const std::string& context) {
  proto::Envelope back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(mine, &back).ok()) << context << mine;
  ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, e)) << context << mine;
  if (!HasMapWithTwoEntries(e)) {
    ASSERT_EQ(mine, ProtobufJson(e)) << context;
  }
}

TEST(PublisherJson, RandomEnvelopesPrintExactlyAsProtobuf) {
  int ordered = 0;
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    proto::Envelope filled;
    Filler(seed).Fill(filled, 0);
    // Through the wire, as a record filled with the generated API: the maps then live in their
    // Map (reflection's Add* above filled their repeated view, whose order differs).
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromString(filled.SerializeAsString()));
    std::string mine = "prefix";
    ASSERT_TRUE(AppendJson(e, mine)) << "seed " << seed;
    ASSERT_EQ(mine.substr(0, 6), "prefix");
    ExpectPrintedAsProtobuf(e, mine.substr(6), "seed " + std::to_string(seed) + ": ");
    if (HasMapWithTwoEntries(e)) ++ordered;
  }
  EXPECT_GT(ordered, 500);  // many envelopes had map entries to put in order
}

TEST(PublisherJson, EmptyAndSparseMessages) {
  proto::Envelope e;
  std::string s;
  ASSERT_TRUE(AppendJson(e, s));
  EXPECT_EQ(s, ProtobufJson(e));
  EXPECT_EQ(s, "{}");
  e.mutable_flow()->mutable_smb();  // present but empty sub-messages print as {}
  s.clear();
  ASSERT_TRUE(AppendJson(e, s));
  EXPECT_EQ(s, ProtobufJson(e));
  EXPECT_EQ(s, "{\"flow\":{\"smb\":{}}}");
  e.mutable_flow()->set_src_pkts(18446744073709551615ull);
  (*e.mutable_flow()->mutable_anomalies())["ip-bad-checksum"] = 0;
  s.clear();
  ASSERT_TRUE(AppendJson(e, s));
  EXPECT_EQ(s, ProtobufJson(e));
}

TEST(PublisherJson, ReusedRecordsPrintAsProtobuf) {
  // The publisher clears and refills one record: its maps then iterate in an order their
  // reflection view did not always follow (the reflection printer this replaced put a real SMB
  // record's {"43":1,"113":2} as {"113":2,"43":1}).
  proto::Envelope e;
  for (int round = 0; round < 300; ++round) {
    e.mutable_flow()->Clear();
    auto& commands = *e.mutable_flow()->mutable_smb()->mutable_smb1_commands();
    for (int k = 0; k <= round % 6; ++k)
      commands[static_cast<uint32_t>(round * 37 + k * 70) % 256] += 1;
    (*e.mutable_flow()->mutable_anomalies())["a" + std::to_string(round % 7)] += 1;
    std::string mine;
    ASSERT_TRUE(AppendJson(e, mine));
    ExpectPrintedAsProtobuf(e, mine, "round " + std::to_string(round) + ": ");
    // Key order, whatever order the map iterates in: map<uint32, ...> keys compare as numbers
    // ({"43":1,"113":2}, where string order would put "113" first).
    const auto& commands_map = e.flow().smb().smb1_commands();
    const std::map<uint32_t, uint32_t> sorted(commands_map.begin(), commands_map.end());
    std::string want = "\"smb1_commands\":{";
    for (const auto& [key, count] : sorted) {
      if (want.back() != '{') want += ',';
      want += "\"" + std::to_string(key) + "\":" + std::to_string(count);
    }
    EXPECT_NE(mine.find(want + "}"), std::string::npos) << mine;
  }
}

TEST(PublisherJson, NonAsciiIsLeftToProtobuf) {
  proto::Envelope e;
  e.mutable_flow()->set_http_uri("/caf\xc3\xa9");
  std::string s = "keep";
  EXPECT_FALSE(AppendJson(e, s));
  EXPECT_EQ(s, "keep");
}

TEST(WireJson, EveryPrefixOfAnEncodingIsRefusedOrPrintedAsProtobufReadsIt) {
  // A cut encoding either fails (the output untouched) or, where it ends on a field boundary, is
  // a valid shorter message: then protobuf's JSON parser reads the output back as exactly the
  // message protobuf's binary parser reads from the prefix. (Compared as messages: a map prints
  // in wire order here, in its hash order once parsed.)
  const auto* type = proto::Envelope::descriptor();
  int printed = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    proto::Envelope e;
    Filler(seed).Fill(e, 0);
    const std::string wire = e.SerializeAsString();
    for (size_t n = 0; n <= wire.size(); ++n) {
      const std::string_view prefix(wire.data(), n);
      std::string mine = "keep";
      const bool ok = AppendJsonFromWire(*type, prefix, mine);
      proto::Envelope parsed;
      if (!parsed.ParseFromArray(prefix.data(), static_cast<int>(n))) {
        ASSERT_FALSE(ok) << "seed " << seed << " prefix " << n;
      }
      if (!ok) {
        ASSERT_EQ(mine, "keep");
        continue;
      }
      ++printed;
      proto::Envelope back;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(mine.substr(4), &back).ok()) << mine;
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, parsed))
          << "seed " << seed << " prefix " << n << ": " << mine;
    }
  }
  EXPECT_GT(printed, 100);
}

// Hand-written encodings the generated serializer does not produce but protobuf reads.
TEST(WireJson, MapEntriesWithoutKeyOrValueAndFieldOrder) {
  const auto* type = proto::FlowRecord::descriptor();
  // anomalies (map<string, uint64>): one entry with no value field, one with no key field.
  const auto* anomalies = type->FindFieldByName("anomalies");
  ASSERT_NE(anomalies, nullptr);
  const auto tag = [](int number, int wire_type) {
    std::string t;
    uint32_t v = static_cast<uint32_t>(number << 3 | wire_type);
    while (v >= 0x80) {
      t.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    t.push_back(static_cast<char>(v));
    return t;
  };
  const std::string key_only = tag(1, 2) + std::string("\x01x", 2);
  const std::string value_only = tag(2, 0) + "\x07";
  std::string wire = tag(anomalies->number(), 2) + static_cast<char>(key_only.size()) + key_only +
                     tag(anomalies->number(), 2) + static_cast<char>(value_only.size()) +
                     value_only;
  proto::FlowRecord parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  std::string mine;
  ASSERT_TRUE(AppendJsonFromWire(*type, wire, mine));
  proto::FlowRecord back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(mine, &back).ok()) << mine;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, parsed)) << mine;
  EXPECT_EQ(mine, "{\"anomalies\":{\"x\":0,\"\":7}}");

  const auto* smb_type = proto::SmbSummary::descriptor();
  const auto* version = smb_type->FindFieldByName("version");
  const auto* messages = smb_type->FindFieldByName("messages");
  ASSERT_NE(version, nullptr);
  ASSERT_NE(messages, nullptr);
  // Out of number order: protobuf accepts it; the walk leaves it to protobuf.
  const std::string reversed =
      tag(messages->number(), 0) + "\x05" + tag(version->number(), 0) + "\x01";
  proto::SmbSummary s;
  ASSERT_TRUE(s.ParseFromString(reversed));
  mine = "keep";
  EXPECT_FALSE(AppendJsonFromWire(*smb_type, reversed, mine));
  EXPECT_EQ(mine, "keep");
  // The same field twice (protobuf keeps the last): also left to protobuf.
  const std::string twice = tag(version->number(), 0) + "\x01" + tag(version->number(), 0) + "\x02";
  EXPECT_FALSE(AppendJsonFromWire(*smb_type, twice, mine));
  // An unknown field number.
  EXPECT_FALSE(AppendJsonFromWire(*smb_type, tag(1000, 0) + "\x01", mine));
  EXPECT_EQ(mine, "keep");
}

}  // namespace
}  // namespace tapwatch::sensor
