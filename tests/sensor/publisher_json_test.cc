// AppendJson (the JSON-lines printer) against protobuf's own MessageToJsonString with
// preserve_proto_field_names: byte-identical on thousands of envelopes whose every field (flow,
// stats, every application sub-message, repeated fields, maps) is filled at random through
// reflection, with zeros (omitted defaults), extremes, and strings full of characters protobuf
// escapes. Non-ASCII text is refused, so the publisher leaves it to protobuf.

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sensor/publisher.h"
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
      case 0: return 0;
      case 1: return ~uint64_t{0};
      case 2: return Pick(10);
      case 3: return uint64_t{1} << Pick(64);
      default: return rng_();
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
      case FieldDescriptor::CPPTYPE_INT32: r.SetInt32(&m, f, static_cast<int32_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_UINT32: r.SetUInt32(&m, f, static_cast<uint32_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_INT64: r.SetInt64(&m, f, static_cast<int64_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_UINT64: r.SetUInt64(&m, f, Number()); break;
      case FieldDescriptor::CPPTYPE_BOOL: r.SetBool(&m, f, Pick(2) == 1); break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.SetString(&m, f, Text(f->type() == FieldDescriptor::TYPE_BYTES));
        break;
      default: FAIL() << "unexpected type in tapwatch.proto: " << f->full_name();
    }
  }
  void AddScalar(Message& m, const Reflection& r, const FieldDescriptor* f) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r.AddInt32(&m, f, static_cast<int32_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_UINT32: r.AddUInt32(&m, f, static_cast<uint32_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_INT64: r.AddInt64(&m, f, static_cast<int64_t>(Number())); break;
      case FieldDescriptor::CPPTYPE_UINT64: r.AddUInt64(&m, f, Number()); break;
      case FieldDescriptor::CPPTYPE_BOOL: r.AddBool(&m, f, Pick(2) == 1); break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.AddString(&m, f, Text(f->type() == FieldDescriptor::TYPE_BYTES));
        break;
      default: FAIL() << "unexpected type in tapwatch.proto: " << f->full_name();
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

TEST(PublisherJson, RandomEnvelopesPrintExactlyAsProtobuf) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    proto::Envelope filled;
    Filler(seed).Fill(filled, 0);
    // Through the wire, as a record filled with the generated API: the maps then live in their
    // Map (reflection's Add* above filled their repeated view, whose order differs).
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromString(filled.SerializeAsString()));
    std::string mine = "prefix";
    ASSERT_TRUE(AppendJson(e, mine)) << "seed " << seed;
    ASSERT_EQ(mine, "prefix" + ProtobufJson(e)) << "seed " << seed;
  }
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

TEST(PublisherJson, NonAsciiIsLeftToProtobuf) {
  proto::Envelope e;
  e.mutable_flow()->set_http_uri("/caf\xc3\xa9");
  std::string s = "keep";
  EXPECT_FALSE(AppendJson(e, s));
  EXPECT_EQ(s, "keep");
}

}  // namespace
}  // namespace tapwatch::sensor
