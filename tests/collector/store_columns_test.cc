// The store binds each flows column by name: every scalar FlowRecord field, set to a value of
// its own, must come back from the column of the same name (the proto's descriptor and plain SQL
// are the references, not the collector's column table), and every sub-message from its
// <name>_json column.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "collector/store.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

using google::protobuf::FieldDescriptor;

std::filesystem::path TempDb() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tapwatch-store-columns-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "flows.db";
}

// The stored row as column name -> text (NULL as "<null>").
std::map<std::string, std::string> ReadRow(const std::string& path) {
  std::map<std::string, std::string> row;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT * FROM flows", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
    row[sqlite3_column_name(stmt, i)] = text ? std::string(text, sqlite3_column_bytes(stmt, i))
                                             : std::string("<null>");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return row;
}

TEST(StoreColumns, EveryScalarFieldLandsInTheColumnOfItsName) {
  proto::Envelope envelope;
  envelope.set_sensor_id("s1");
  envelope.set_seq(1);
  proto::FlowRecord& f = *envelope.mutable_flow();
  const auto* descriptor = proto::FlowRecord::descriptor();
  const auto* reflection = f.GetReflection();
  // A value per field that no other field has (its field number, which also passes the
  // collector's validation: octet fields <= 255, end_ns 12 after start_ns 11), so a column bound
  // to the wrong field shows.
  std::map<std::string, std::string> want;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated() || field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string value = std::to_string(field->number());
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_UINT32:
        reflection->SetUInt32(&f, field, field->number());
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        reflection->SetUInt64(&f, field, field->number());
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        reflection->SetBool(&f, field, true);
        want[field->name()] = "1";
        continue;
      case FieldDescriptor::CPPTYPE_STRING: {
        // Addresses must be addresses; other text names its field.
        const bool address = field->name() == "src_addr" || field->name() == "dst_addr";
        const std::string text = address ? "192.0.2." + value : field->name() + "-" + value;
        reflection->SetString(&f, field, text);
        want[field->name()] = text;
        continue;
      }
      default:
        FAIL() << "field type not covered: " << field->name();
    }
    want[field->name()] = value;
  }
  f.set_ip_proto(6);  // TCP: the initial TCP flags columns are not NULL
  want["ip_proto"] = "6";
  // The schema's NULL conventions: ICMP type and code only for ICMP; the envelope's sensor id
  // wins over the record's.
  want["icmp_type"] = want["icmp_code"] = "<null>";
  want["sensor_id"] = "s1";
  f.mutable_smb()->set_version(2);
  f.mutable_netbios()->set_nbns_responses(3);
  f.mutable_icmp()->set_echo_requests(4);
  f.mutable_dns()->add_query_names("irc.example.net");

  const std::string path = TempDb().string();
  {
    std::string error;
    auto store = Store::Open(path, error);
    ASSERT_NE(store, nullptr) << error;
    ASSERT_TRUE(store->Add(envelope)) << store->error();
    ASSERT_TRUE(store->Commit()) << store->error();
  }
  const auto row = ReadRow(path);
  for (const auto& [name, value] : want) {
    ASSERT_TRUE(row.count(name)) << "no column " << name;
    EXPECT_EQ(row.at(name), value) << name;
  }
  EXPECT_EQ(row.at("smb_json"), R"({"version":2})");
  EXPECT_EQ(row.at("netbios_json"), R"({"nbns_responses":3})");
  EXPECT_EQ(row.at("icmp_json"), R"({"echo_requests":4})");
  EXPECT_EQ(row.at("dns_json"), R"({"query_names":["irc.example.net"]})");
  EXPECT_EQ(row.at("seq"), "1");
  EXPECT_EQ(row.at("sensor_id"), "s1");
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace tapwatch::collector
