#include "collector/json_out.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <algorithm>
#include <utility>

#include "collector/printable.h"

namespace tapwatch::collector {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    // DEL and the C1 controls are legal in JSON text, but act on a terminal that shows it.
    if (u >= 0x7f && ControlCharBytes(s.substr(i)) != 0) {
      const unsigned code = u == 0x7f ? u : static_cast<unsigned char>(s[++i]);
      out += "\\u00";
      out.push_back(kHex[code >> 4]);
      out.push_back(kHex[code & 0xf]);
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

namespace {

template <typename Value>
std::string SortedMapToJson(const google::protobuf::Map<std::string, Value>& map) {
  if (map.empty()) return {};
  // Map iteration order is unspecified; sorted keys make the stored text deterministic.
  std::vector<std::pair<std::string_view, Value>> entries;
  entries.reserve(map.size());
  for (const auto& [key, value] : map) entries.emplace_back(key, value);
  std::sort(entries.begin(), entries.end());
  std::string out = "{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ", ";
    AppendJsonString(out, entries[i].first);
    out += ": ";
    out += std::to_string(entries[i].second);
  }
  out += "}";
  return out;
}

}  // namespace

std::string MapToJson(const google::protobuf::Map<std::string, uint32_t>& map) {
  return SortedMapToJson(map);
}

std::string MapToJson(const google::protobuf::Map<std::string, uint64_t>& map) {
  return SortedMapToJson(map);
}

std::string ListToJson(const google::protobuf::RepeatedPtrField<std::string>& list) {
  if (list.empty()) return {};
  std::string out = "[";
  for (int i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    AppendJsonString(out, list.Get(i));
  }
  out += "]";
  return out;
}

std::string MessageToJson(const google::protobuf::Message& message) {
  if (message.ByteSizeLong() == 0) return {};
  // MessageToJsonString prints map entries in the map's iteration order, which differs from one
  // process to the next: the same flow would be stored as different text. Deterministic
  // serialisation sorts map entries by key, and the binary-to-JSON printer keeps wire order.
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializeToCodedStream(&coded)) return {};
  }
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::BinaryToJsonString(
           resolver, "type.googleapis.com/" + message.GetDescriptor()->full_name(), binary, &out,
           options)
           .ok()) {
    return {};
  }
  return out;
}

}  // namespace tapwatch::collector
