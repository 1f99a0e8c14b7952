#include "collector/flows_command.h"

#include <arpa/inet.h>
#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "collector/cli_util.h"
#include "collector/printable.h"
#include "collector/json_out.h"
#include "collector/store.h"
#include "encoding/base64.h"

namespace tapwatch::collector {
namespace {

// An address filter compiled to SQL: an exact text match or an IPv4 integer range.
struct AddressFilter {
  bool is_range = false;
  std::string text;  // canonical (inet_ntop) form
  uint32_t low = 0;
  uint32_t high = 0;
};

AddressFilter ParseAddress(std::string_view option, const std::string& value) {
  AddressFilter f;
  const size_t slash = value.find('/');
  const std::string addr = value.substr(0, slash);
  in_addr v4{};
  in6_addr v6{};
  char buf[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
    if (slash == std::string::npos) {
      f.text = inet_ntop(AF_INET, &v4, buf, sizeof(buf));
      return f;
    }
    const uint64_t bits = ParseUint(option, std::string_view(value).substr(slash + 1), 32);
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    f.is_range = true;
    f.low = ntohl(v4.s_addr) & mask;
    f.high = f.low | ~mask;
    return f;
  }
  if (slash == std::string::npos && inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
    f.text = inet_ntop(AF_INET6, &v6, buf, sizeof(buf));
    return f;
  }
  throw UsageError(std::string(option) +
                   ": expected an IPv4/IPv6 address or an IPv4 CIDR block, got '" + value + "'");
}

uint32_t ParseProto(const std::string& value) {
  if (value == "tcp") return 6;
  if (value == "udp") return 17;
  if (value == "icmp") return 1;
  if (value == "icmp6" || value == "ipv6-icmp") return 58;
  if (value == "gre") return 47;
  if (value == "esp") return 50;
  if (value == "sctp") return 132;
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
    return static_cast<uint32_t>(ParseUint("--proto", value, 255));
  }
  throw UsageError("--proto: expected tcp, udp, icmp, icmp6 or a number 0-255, got '" + value +
                   "'");
}

std::string ProtoName(int64_t proto) {
  switch (proto) {
    case 1:
      return "icmp";
    case 2:
      return "igmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 58:
      return "icmp6";
    case 132:
      return "sctp";
    default:
      return std::to_string(proto);
  }
}

std::string Endpoint(std::string_view addr, int64_t port) {
  std::string out;
  if (addr.find(':') != std::string_view::npos) {
    out = "[" + std::string(addr) + "]";  // IPv6: brackets keep the port readable
  } else {
    out = std::string(addr);
  }
  return out + ":" + std::to_string(port);
}

// ra-style direction: "->" one-way, "<->" both sides sent; "?" when the initiator is a guess.
std::string Direction(std::string_view direction, int64_t dst_pkts) {
  const bool guess = direction == "guess" || direction.empty();
  if (dst_pkts > 0) return guess ? "<?>" : "<->";
  return guess ? "?>" : "->";
}

std::string_view ColumnText(sqlite3_stmt* stmt, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt, i))};
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// The last one is NULL for a store no collector has opened since community_id was added.
constexpr char kTextColumns[] =
    "start_ns, ip_proto, src_addr, src_port, direction, dst_addr, dst_port, "
    "src_pkts + dst_pkts, src_wire_bytes + dst_wire_bytes, argus_state, conn_state, history, "
    "dst_pkts, ";

bool HasColumn(sqlite3* db, const char* table, const char* column) {
  sqlite3_stmt* stmt = nullptr;
  bool found = false;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &stmt,
                         nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC);
    found = sqlite3_step(stmt) == SQLITE_ROW;
  }
  sqlite3_finalize(stmt);
  return found;
}

void WriteTextHeader(FILE* out) {
  std::fprintf(out, "%-30s %-5s %21s %-3s %-21s %8s %10s %-5s %-6s %-12s %s\n", "StartTime",
               "Proto", "SrcAddr:Sport", "Dir", "DstAddr:Dport", "TotPkts", "TotBytes", "State",
               "Conn", "History", "CommunityID");
}

void WriteTextRow(sqlite3_stmt* stmt, FILE* out) {
  const std::string start = FormatTimeNs(sqlite3_column_int64(stmt, 0));
  const std::string proto = ProtoName(sqlite3_column_int64(stmt, 1));
  // Stored text is as a sensor sent it: shown without its control characters.
  const std::string src = Printable(Endpoint(ColumnText(stmt, 2), sqlite3_column_int64(stmt, 3)));
  const std::string dir = Direction(ColumnText(stmt, 4), sqlite3_column_int64(stmt, 12));
  const std::string dst = Printable(Endpoint(ColumnText(stmt, 5), sqlite3_column_int64(stmt, 6)));
  const std::string state = Printable(ColumnText(stmt, 9));
  const std::string conn = Printable(ColumnText(stmt, 10));
  const std::string history = Printable(ColumnText(stmt, 11));
  const std::string community_id = Printable(ColumnText(stmt, 13));
  std::fprintf(out, "%-30s %-5s %21s %-3s %-21s %8lld %10lld %-5s %-6s %-12s %s\n", start.c_str(),
               proto.c_str(), src.c_str(), dir.c_str(), dst.c_str(),
               static_cast<long long>(sqlite3_column_int64(stmt, 7)),
               static_cast<long long>(sqlite3_column_int64(stmt, 8)),
               state.empty() ? "-" : state.c_str(), conn.empty() ? "-" : conn.c_str(),
               history.empty() ? "-" : history.c_str(),
               community_id.empty() ? "-" : community_id.c_str());
}

// One JSON object per row, keyed by the FlowRecord field names: columns *_json hold JSON text
// and are embedded under the field name without the suffix; BLOBs are base64 (the Protobuf JSON
// mapping for bytes); NULL columns are left out; src_v4/dst_v4/id are store-only and skipped.
void WriteJsonRow(sqlite3_stmt* stmt, FILE* out, std::string& line) {
  line.clear();
  line.push_back('{');
  bool first = true;
  const int columns = sqlite3_column_count(stmt);
  for (int i = 0; i < columns; ++i) {
    const int type = sqlite3_column_type(stmt, i);
    if (type == SQLITE_NULL) continue;
    std::string_view name = sqlite3_column_name(stmt, i);
    if (name == "id" || name == "src_v4" || name == "dst_v4") continue;
    const bool is_json = name.ends_with("_json");
    if (is_json) name.remove_suffix(5);
    if (!first) line += ", ";
    first = false;
    AppendJsonString(line, name);
    line += ": ";
    if (type == SQLITE_INTEGER) {
      const sqlite3_int64 v = sqlite3_column_int64(stmt, i);
      if (name == "interim" || name == "bare_ack") {
        line += v ? "true" : "false";
      } else {
        line += std::to_string(static_cast<uint64_t>(v));
      }
    } else if (type == SQLITE_BLOB) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      const std::string_view bytes(p, static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      line.push_back('"');
      encoding::AppendBase64(line, bytes);
      line.push_back('"');
    } else if (is_json) {
      line += ColumnText(stmt, i);
    } else if (type == SQLITE_FLOAT) {
      line += std::to_string(sqlite3_column_double(stmt, i));
    } else {
      AppendJsonString(line, ColumnText(stmt, i));
    }
  }
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), out);
}

}  // namespace

FlowsOptions ParseFlowsOptions(int argc, char** argv, int first) {
  FlowsOptions o;
  ArgScanner args(argc, argv, first);
  while (!args.Done()) {
    const std::string_view opt = args.Next();
    if (opt == "--db") {
      o.db_path = args.Value();
    } else if (opt == "--src") {
      o.src = args.Value();
      ParseAddress(opt, o.src);
    } else if (opt == "--dst") {
      o.dst = args.Value();
      ParseAddress(opt, o.dst);
    } else if (opt == "--port") {
      o.port = static_cast<uint32_t>(ParseUint(opt, args.Value(), 65535));
    } else if (opt == "--proto") {
      o.ip_proto = ParseProto(args.Value());
    } else if (opt == "--sensor") {
      o.sensor = args.Value();
    } else if (opt == "--community-id") {
      o.community_id = args.Value();
    } else if (opt == "--from") {
      o.from_ns = ParseTimeNs(opt, args.Value());
    } else if (opt == "--to") {
      o.to_ns = ParseTimeNs(opt, args.Value());
    } else if (opt == "--limit") {
      o.limit = ParseUint(opt, args.Value(), INT64_MAX);
    } else if (opt == "--format") {
      const std::string format = args.Value();
      if (format == "jsonl") {
        o.jsonl = true;
      } else if (format == "text") {
        o.jsonl = false;
      } else {
        throw UsageError("--format: expected text or jsonl, got '" + format + "'");
      }
    } else {
      throw UsageError("flows: unknown option '" + std::string(opt) + "'");
    }
  }
  if (o.db_path.empty()) throw UsageError("flows: missing --db FILE");
  return o;
}

uint64_t RunFlows(const FlowsOptions& options, FILE* out) {
  std::string index_error;  // best effort: without the indexes the filters scan the table
  EnsureFlowsIndexes(options.db_path, index_error);
  sqlite3* raw_db = nullptr;
  const int rc = sqlite3_open_v2(options.db_path.c_str(), &raw_db, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw_db);
  if (rc != SQLITE_OK) {
    throw UsageError("--db " + options.db_path +
                     ": cannot open: " + (raw_db ? sqlite3_errmsg(raw_db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);

  const bool has_community_id = HasColumn(db.get(), "flows", "community_id");
  std::string sql = "SELECT ";
  if (options.jsonl) {
    sql += "*";
  } else {
    sql += kTextColumns;
    sql += has_community_id ? "community_id" : "NULL";
  }
  sql += " FROM flows WHERE 1";
  // Each filter appends SQL and the values to bind, in order.
  struct Param {
    bool is_text;
    int64_t number;
    std::string text;
  };
  std::vector<Param> params;
  auto add_number = [&](const char* clause, int64_t v, int times = 1) {
    sql += clause;
    for (int i = 0; i < times; ++i) params.push_back({false, v, {}});
  };
  auto add_address = [&](const char* option, const std::string& value, const char* side) {
    if (value.empty()) return;
    const AddressFilter f = ParseAddress(option, value);
    if (f.is_range) {
      sql += std::string(" AND ") + side + "_v4 BETWEEN ? AND ?";
      params.push_back({false, f.low, {}});
      params.push_back({false, f.high, {}});
    } else {
      sql += std::string(" AND ") + side + "_addr = ?";
      params.push_back({true, 0, f.text});
    }
  };
  add_address("--src", options.src, "src");
  add_address("--dst", options.dst, "dst");
  if (options.port) add_number(" AND (src_port = ? OR dst_port = ?)", *options.port, 2);
  if (options.ip_proto) add_number(" AND ip_proto = ?", *options.ip_proto);
  if (options.sensor) {
    sql += " AND sensor_id = ?";
    params.push_back({true, 0, *options.sensor});
  }
  if (options.community_id) {
    // An old store has no IDs: nothing matches.
    sql += has_community_id ? " AND community_id = ?" : " AND 0";
    if (has_community_id) params.push_back({true, 0, *options.community_id});
  }
  if (options.from_ns) add_number(" AND start_ns >= ?", static_cast<int64_t>(*options.from_ns));
  if (options.to_ns) add_number(" AND start_ns < ?", static_cast<int64_t>(*options.to_ns));
  sql += " ORDER BY start_ns, id";
  if (options.limit) add_number(" LIMIT ?", static_cast<int64_t>(*options.limit));

  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw_stmt, nullptr) != SQLITE_OK) {
    throw UsageError("--db " + options.db_path +
                     ": not a readable tapwatch store: " + sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt(raw_stmt);
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (params[i].is_text) {
      sqlite3_bind_text(stmt.get(), index, params[i].text.c_str(), -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int64(stmt.get(), index, params[i].number);
    }
  }
  if (!options.jsonl) WriteTextHeader(out);
  uint64_t rows = 0;
  std::string line;
  int step;
  while ((step = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (options.jsonl) {
      WriteJsonRow(stmt.get(), out, line);
    } else {
      WriteTextRow(stmt.get(), out);
    }
    ++rows;
  }
  if (step != SQLITE_DONE) {
    throw UsageError("--db " + options.db_path + ": read error: " + sqlite3_errmsg(db.get()));
  }
  std::fflush(out);
  return rows;
}

int RunFlowsCommand(int argc, char** argv, int first) {
  RunFlows(ParseFlowsOptions(argc, argv, first), stdout);
  return 0;
}

}  // namespace tapwatch::collector
