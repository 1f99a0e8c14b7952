#include "sensor/wire_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "encoding/base64.h"

namespace tapwatch::sensor {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

void AppendUnsigned(uint64_t v, std::string& out) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(end - p));
}

void AppendSigned(int64_t v, std::string& out) {
  if (v < 0) {
    out.push_back('-');
    AppendUnsigned(~static_cast<uint64_t>(v) + 1, out);
  } else {
    AppendUnsigned(static_cast<uint64_t>(v), out);
  }
}

/// protobuf's JsonEscaping for ASCII; false on a non-ASCII byte.
bool AppendString(std::string_view s, std::string& out) {
  constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return false;
    if (u >= 0x20 && u != '"' && u != '\\' && u != '<' && u != '>' && u != 0x7f) {
      out.push_back(c);
      continue;
    }
    switch (u) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\r':
        out.append("\\r");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
        out.append(esc, 6);
      }
    }
  }
  out.push_back('"');
  return true;
}

// What the walk needs to know of a field, built once per message type.
enum class Kind : uint8_t {
  kUnsupported,
  kInt32,
  kInt64,
  kUInt32,
  kUInt64,
  kBool,
  kString,
  kBytes,
  kMessage,
  kMap
};

struct TypeInfo;

struct FieldInfo {
  Kind kind = Kind::kUnsupported;
  bool repeated = false;
  std::string key;                       // "\"name\":"
  const TypeInfo* type = nullptr;        // kMessage: its type; kMap: the entry type
  const FieldInfo* map_key = nullptr;    // kMap: entry field 1
  const FieldInfo* map_value = nullptr;  // kMap: entry field 2
  int oneof = -1;                        // index of its oneof in the message, -1 for none
};

struct TypeInfo {
  std::vector<FieldInfo> by_number;  // index = field number; kind kUnsupported where none
  const FieldInfo* Find(uint64_t number) const {
    return number < by_number.size() && by_number[number].kind != Kind::kUnsupported
               ? &by_number[number]
               : nullptr;
  }
};

// Field numbers past this make a type unsupported (its table is indexed by number).
constexpr int kMaxFieldNumber = 4096;
constexpr int kMaxDepth = 16;
// Entries per map the walk prints (the sensor's maps are bounded far below); more are left to
// protobuf.
constexpr size_t kMaxMapEntries = 256;

Kind KindOf(const FieldDescriptor& f) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_INT32:
      return Kind::kInt32;
    case FieldDescriptor::TYPE_INT64:
      return Kind::kInt64;
    case FieldDescriptor::TYPE_UINT32:
      return Kind::kUInt32;
    case FieldDescriptor::TYPE_UINT64:
      return Kind::kUInt64;
    case FieldDescriptor::TYPE_BOOL:
      return Kind::kBool;
    case FieldDescriptor::TYPE_STRING:
      return Kind::kString;
    case FieldDescriptor::TYPE_BYTES:
      return Kind::kBytes;
    case FieldDescriptor::TYPE_MESSAGE:
      return f.is_map() ? Kind::kMap : Kind::kMessage;
    default:
      return Kind::kUnsupported;  // enums, zigzag, fixed-width, floating point, groups
  }
}

class TypeTables {
 public:
  const TypeInfo& Of(const Descriptor& d) {
    if (&d == last_descriptor_) return *last_;
    auto [it, inserted] = tables_.try_emplace(&d);
    if (inserted) it->second = std::make_unique<TypeInfo>();
    // Building may add the field types to tables_ (rehashing it): keep the table, not `it`. A
    // type that contains itself finds its own, still empty, entry and stops there.
    TypeInfo* info = it->second.get();
    if (inserted) Build(d, *info);
    last_descriptor_ = &d;
    last_ = info;
    return *info;
  }

 private:
  void Build(const Descriptor& d, TypeInfo& info) {
    int max_number = 0;
    for (int i = 0; i < d.field_count(); ++i)
      max_number = std::max(max_number, d.field(i)->number());
    if (max_number > kMaxFieldNumber) return;  // no field known: every walk of it fails
    info.by_number.resize(static_cast<size_t>(max_number) + 1);
    for (int i = 0; i < d.field_count(); ++i) {
      const FieldDescriptor& f = *d.field(i);
      FieldInfo& fi = info.by_number[static_cast<size_t>(f.number())];
      fi.kind = KindOf(f);
      fi.repeated = f.is_repeated();
      if (const auto* oneof = f.real_containing_oneof()) {
        fi.oneof = oneof->index();
        // The walk remembers members seen in a 64-bit mask.
        if (fi.oneof >= 64) fi.kind = Kind::kUnsupported;
      }
      fi.key = "\"" + f.name() + "\":";
      if (fi.kind == Kind::kMessage || fi.kind == Kind::kMap) fi.type = &Of(*f.message_type());
      if (fi.kind == Kind::kMap) {
        fi.map_key = fi.type->Find(1);
        fi.map_value = fi.type->Find(2);
        // A map of messages, or keys of a type we cannot print: leave the message to protobuf.
        if (fi.map_key == nullptr || fi.map_value == nullptr || fi.map_key->kind == Kind::kBytes ||
            fi.map_value->kind == Kind::kMessage || fi.map_value->kind == Kind::kMap) {
          fi.kind = Kind::kUnsupported;
        }
      }
    }
  }

  std::unordered_map<const Descriptor*, std::unique_ptr<TypeInfo>> tables_;
  const Descriptor* last_descriptor_ = nullptr;
  const TypeInfo* last_ = nullptr;
};

class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}
  bool done() const { return p_ >= end_; }
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto b = static_cast<uint8_t>(*p_++);
      v |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) return true;
    }
    return false;
  }
  bool Bytes(std::string_view& s) {
    uint64_t n = 0;
    if (!Varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    s = std::string_view(p_, n);
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

bool AppendObject(const TypeInfo& type, std::string_view wire, int depth, std::string& out);

// A varint-encoded value of `f` (as_key: a map key, always a JSON string).
bool AppendVarint(const FieldInfo& f, uint64_t v, bool as_key, std::string& out) {
  const bool quote = as_key || f.kind == Kind::kInt64 || f.kind == Kind::kUInt64;
  if (quote) out.push_back('"');
  switch (f.kind) {
    case Kind::kInt32:
      AppendSigned(static_cast<int32_t>(v), out);
      break;
    case Kind::kInt64:
      AppendSigned(static_cast<int64_t>(v), out);
      break;
    case Kind::kUInt32:
      AppendUnsigned(static_cast<uint32_t>(v), out);
      break;
    case Kind::kUInt64:
      AppendUnsigned(v, out);
      break;
    case Kind::kBool:
      out.append(v != 0 ? "true" : "false");
      break;
    default:
      return false;
  }
  if (quote) out.push_back('"');
  return true;
}

bool IsVarintKind(Kind k) {
  return k == Kind::kInt32 || k == Kind::kInt64 || k == Kind::kUInt32 || k == Kind::kUInt64 ||
         k == Kind::kBool;
}

// A length-delimited value of `f`: string, bytes or message.
bool AppendDelimited(const FieldInfo& f, std::string_view s, int depth, std::string& out) {
  switch (f.kind) {
    case Kind::kString:
      return AppendString(s, out);
    case Kind::kBytes:
      out.push_back('"');
      encoding::AppendBase64(out, s);
      out.push_back('"');
      return true;
    case Kind::kMessage:
      return AppendObject(*f.type, s, depth + 1, out);
    default:
      return false;
  }
}

// One map entry: key (field 1) and value (field 2), each at its default when absent (an entry
// always prints its value).
bool AppendMapEntry(const FieldInfo& map, std::string_view entry, std::string& out,
                    size_t& key_text_bytes) {
  const FieldInfo& key = *map.map_key;
  const FieldInfo& value = *map.map_value;
  uint64_t key_int = 0, value_int = 0;
  std::string_view key_text, value_text;
  Reader r(entry.data(), entry.data() + entry.size());
  uint64_t last_number = 0;
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(tag)) return false;
    const uint64_t number = tag >> 3;
    const FieldInfo& f = number == 1 ? key : number == 2 ? value : key;
    if (number != 1 && number != 2) return false;
    // The generated serializer writes the key, then the value, once each. A repeated one would
    // be overwritten unseen (protobuf keeps the last), so its bytes would go unchecked: refuse.
    if (number <= last_number) return false;
    last_number = number;
    uint64_t& as_int = number == 1 ? key_int : value_int;
    std::string_view& as_text = number == 1 ? key_text : value_text;
    if ((tag & 7) == 0 && IsVarintKind(f.kind)) {
      if (!r.Varint(as_int)) return false;
    } else if ((tag & 7) == 2 && !IsVarintKind(f.kind)) {
      if (!r.Bytes(as_text)) return false;
    } else {
      return false;
    }
  }
  const size_t key_start = out.size();
  if (IsVarintKind(key.kind) ? !AppendVarint(key, key_int, true, out)
                             : !AppendString(key_text, out)) {
    return false;
  }
  key_text_bytes = out.size() - key_start;
  out.push_back(':');
  return IsVarintKind(value.kind) ? AppendVarint(value, value_int, false, out)
                                  : AppendDelimited(value, value_text, 0, out);
}

bool AppendObject(const TypeInfo& type, std::string_view wire, int depth, std::string& out) {
  if (depth > kMaxDepth) return false;
  out.push_back('{');
  Reader r(wire.data(), wire.data() + wire.size());
  uint64_t last_number = 0;
  const FieldInfo* open = nullptr;  // the repeated field whose array (or map object) is open
  bool first_element = true;
  // The open map's printed keys (offset and length in `out`): protobuf keeps the last of
  // duplicate keys, which a JSON object cannot say, so a map repeating a key is left to it.
  std::array<std::pair<size_t, size_t>, kMaxMapEntries> keys;
  size_t key_count = 0;
  uint64_t oneofs_seen = 0;  // a second member of a oneof: protobuf keeps the last one only
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(tag)) return false;
    const uint64_t number = tag >> 3;
    const FieldInfo* f = type.Find(number);
    if (f == nullptr) return false;
    if (f != open) {
      if (open != nullptr) out.push_back(open->kind == Kind::kMap ? '}' : ']');
      open = nullptr;
      // The generated serializer writes fields in number order, a repeated field's elements
      // together; anything else (merged messages, unknown order) is left to protobuf.
      if (number <= last_number) return false;
      if (f->oneof >= 0) {
        const uint64_t bit = uint64_t{1} << f->oneof;
        if (oneofs_seen & bit) return false;
        oneofs_seen |= bit;
      }
      if (last_number != 0) out.push_back(',');
      last_number = number;
      out.append(f->key);
      if (f->repeated) {
        out.push_back(f->kind == Kind::kMap ? '{' : '[');
        open = f;
        first_element = true;
        key_count = 0;
      }
    }
    const auto separate = [&] {
      if (f->repeated && !first_element) out.push_back(',');
      first_element = false;
    };
    const uint32_t wire_type = tag & 7;
    if (wire_type == 0 && IsVarintKind(f->kind)) {
      uint64_t v = 0;
      if (!r.Varint(v)) return false;
      separate();
      if (!AppendVarint(*f, v, false, out)) return false;
    } else if (wire_type == 2) {
      std::string_view s;
      if (!r.Bytes(s)) return false;
      if (IsVarintKind(f->kind)) {
        if (!f->repeated) return false;
        Reader packed(s.data(), s.data() + s.size());  // a packed run of elements
        while (!packed.done()) {
          uint64_t v = 0;
          if (!packed.Varint(v)) return false;
          separate();
          if (!AppendVarint(*f, v, false, out)) return false;
        }
      } else if (f->kind == Kind::kMap) {
        separate();
        const size_t key_start = out.size();
        size_t key_bytes = 0;
        if (key_count == keys.size() || !AppendMapEntry(*f, s, out, key_bytes)) return false;
        const std::string_view key(out.data() + key_start, key_bytes);
        for (size_t k = 0; k < key_count; ++k) {
          if (key == std::string_view(out.data() + keys[k].first, keys[k].second)) return false;
        }
        keys[key_count++] = {key_start, key_bytes};
      } else {
        separate();
        if (!AppendDelimited(*f, s, depth, out)) return false;
      }
    } else {
      return false;
    }
  }
  if (open != nullptr) out.push_back(open->kind == Kind::kMap ? '}' : ']');
  out.push_back('}');
  return true;
}

TypeTables& Tables() {
  thread_local TypeTables tables;
  return tables;
}

}  // namespace

bool AppendJsonFromWire(const Descriptor& type, std::string_view wire, std::string& out) {
  const size_t mark = out.size();
  if (AppendObject(Tables().Of(type), wire, 0, out)) return true;
  out.resize(mark);
  return false;
}

bool AppendJson(const google::protobuf::Message& message, std::string& out) {
  thread_local std::string wire;
  const size_t size = message.ByteSizeLong();
  wire.resize(size);
  SerializeDeterministic(message, size, wire.data());
  return AppendJsonFromWire(*message.GetDescriptor(), wire, out);
}

void SerializeDeterministic(const google::protobuf::Message& message, size_t size, void* target) {
  google::protobuf::io::ArrayOutputStream array(target, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
}

}  // namespace tapwatch::sensor
