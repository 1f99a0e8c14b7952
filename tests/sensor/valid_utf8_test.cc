// ValidUtf8 and every string field of the flow record: whatever bytes go in, libprotobuf (the
// collector's parser, the oracle here) parses the record, and valid text comes out unchanged.

#include "sensor/valid_utf8.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sensor/wire_writer.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Hex(uint8_t b) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02X", b);
  return buf;
}

// Does libprotobuf take `s` as a proto3 string? (FlowRecord.sensor_id, written as raw bytes.)
bool ProtobufTakes(const std::string& s) {
  google::protobuf::LogSilencer quiet;  // a refused string is expected here, not news
  WireWriter w;
  w.BytesField(2, s);
  proto::FlowRecord r;
  return r.ParseFromArray(w.data(), static_cast<int>(w.size()));
}

// Inputs around every byte value: alone, inside ASCII, as a lead byte before 1-3 continuation
// bytes, after a lead byte, and at the end of a cut sequence.
std::vector<std::string> Samples() {
  std::vector<std::string> out;
  for (int v = 0; v < 256; ++v) {
    const char b = static_cast<char>(v);
    out.push_back(std::string(1, b));
    out.push_back(std::string("a") + b + "z");
    out.push_back(std::string(1, b) + "\x80");
    out.push_back(std::string(1, b) + "\x80\x80");
    out.push_back(std::string(1, b) + "\xbf\xbf\xbf");
    out.push_back(std::string("\xc3") + b);
    out.push_back(std::string("\xe2\x82") + b);
    out.push_back(std::string("\xf0\x9f\x98") + b);
    out.push_back(std::string("ok \xc3\xa9 ") + b + std::string(20, 'x'));
  }
  return out;
}

TEST(ValidUtf8, KeepsValidTextAndMakesTheRestValid) {
  std::string scratch;
  int valid = 0;
  int escaped = 0;
  for (const std::string& in : Samples()) {
    const std::string out(ValidUtf8(in, scratch));
    EXPECT_TRUE(ProtobufTakes(out)) << "input " << ::testing::PrintToString(in);
    if (ProtobufTakes(in)) {
      EXPECT_EQ(out, in);
      ++valid;
    } else {
      EXPECT_NE(out.find("\\x"), std::string::npos) << ::testing::PrintToString(in);
      ++escaped;
    }
  }
  EXPECT_GT(valid, 500);
  EXPECT_GT(escaped, 500);
  // The escapes, byte by byte.
  for (int v = 0x80; v < 256; ++v) {
    const auto b = static_cast<uint8_t>(v);
    EXPECT_EQ(ValidUtf8(std::string("a") + static_cast<char>(b) + "z"), "a" + Hex(b) + "z");
  }
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "\\xC0\\xAF");           // an overlong '/'
  EXPECT_EQ(ValidUtf8("\xe2\x82\xac\xe2\x82"), "\xe2\x82\xac\\xE2\\x82");  // a cut euro sign
  EXPECT_EQ(ValidUtf8("INBOUND \x1b[31mTCP"), "INBOUND \x1b[31mTCP");     // controls: valid
}

// Writes `value` into the string field `f` of a message of type `d`, nested in `path` (the
// message fields that lead from FlowRecord to `d`), as the encoder writes that kind of field.
void WriteField(WireWriter& w, const std::vector<const FieldDescriptor*>& path,
                const FieldDescriptor* f, const std::string& value) {
  std::vector<size_t> marks;
  for (const FieldDescriptor* m : path) marks.push_back(w.BeginNested(m->number()));
  if (f->is_map()) {
    w.MapEntry(f->number(), value, 7);
  } else if (f->is_repeated()) {
    w.RepeatedString(f->number(), value);
  } else {
    w.StringField(f->number(), value);
  }
  for (size_t i = marks.size(); i-- > 0;) w.EndNested(marks[i]);
}

// The string read back from field `f`.
std::string ReadField(const google::protobuf::Message& record,
                      const std::vector<const FieldDescriptor*>& path,
                      const FieldDescriptor* f) {
  const google::protobuf::Message* m = &record;
  for (const FieldDescriptor* p : path) m = &m->GetReflection()->GetMessage(*m, p);
  const auto* r = m->GetReflection();
  if (f->is_map()) {
    const auto& entry = r->GetRepeatedMessage(*m, f, 0);
    return entry.GetReflection()->GetString(entry, entry.GetDescriptor()->FindFieldByNumber(1));
  }
  if (f->is_repeated()) return r->GetRepeatedString(*m, f, 0);
  return r->GetString(*m, f);
}

// Every string field (and map<string, ...> key) of FlowRecord and the messages inside it.
void StringFields(const Descriptor* d, std::vector<const FieldDescriptor*>& path,
                  std::vector<std::pair<std::vector<const FieldDescriptor*>,
                                        const FieldDescriptor*>>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      if (f->message_type()->FindFieldByNumber(1)->type() == FieldDescriptor::TYPE_STRING) {
        out.push_back({path, f});
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      out.push_back({path, f});
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated()) {
      path.push_back(f);
      StringFields(f->message_type(), path, out);
      path.pop_back();
    }
  }
}

TEST(ValidUtf8, EveryByteThroughEveryStringFieldOfTheRecordParses) {
  std::vector<const FieldDescriptor*> path;
  std::vector<std::pair<std::vector<const FieldDescriptor*>, const FieldDescriptor*>> fields;
  StringFields(proto::FlowRecord::descriptor(), path, fields);
  // sensor_id .. in_iface, the summaries' names, both string-keyed maps.
  EXPECT_GE(fields.size(), 30u);
  for (const auto& [where, f] : fields) {
    for (int v = 0; v < 256; ++v) {
      const auto b = static_cast<uint8_t>(v);
      const std::string in = std::string("x") + static_cast<char>(b) + "y";
      WireWriter w;
      WriteField(w, where, f, in);
      proto::FlowRecord record;
      ASSERT_TRUE(record.ParseFromArray(w.data(), static_cast<int>(w.size())))
          << f->full_name() << " byte " << v;
      EXPECT_EQ(ReadField(record, where, f), b < 0x80 ? in : "x" + Hex(b) + "y")
          << f->full_name() << " byte " << v;
    }
  }
}

TEST(ValidUtf8, BytesFieldsKeepTheirBytes) {
  std::string all;
  for (int v = 0; v < 256; ++v) all.push_back(static_cast<char>(v));
  WireWriter w;
  w.BytesField(46, all);  // src_first_bytes
  proto::FlowRecord record;
  ASSERT_TRUE(record.ParseFromArray(w.data(), static_cast<int>(w.size())));
  EXPECT_EQ(record.src_first_bytes(), all);
}

}  // namespace
}  // namespace tapwatch::sensor
