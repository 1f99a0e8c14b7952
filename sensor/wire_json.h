#pragma once
// Protobuf's JSON mapping printed straight from a message's binary encoding: what the JSON-lines
// output (--jsonl) writes for every record.
//
// protobuf's own util::MessageToJsonString converts the message's binary encoding too, so walking
// the bytes gives its field order and default handling by construction: AppendJson prints a
// message byte for byte as MessageToJsonString with preserve_proto_field_names does, except that
// map entries come in key order (it serializes deterministically) where protobuf follows its
// hash order, which differs from process to process.
// Walking the bytes with a per-type table replaces a reflection walk that spent half the --jsonl
// path's CPU in Reflection::HasBit and field offset lookups.

#include <cstddef>
#include <string>
#include <string_view>

namespace google::protobuf {
class Descriptor;
class Message;
}  // namespace google::protobuf

namespace tapwatch::sensor {

/// Appends the JSON of a `type` message whose binary encoding is `wire`; map entries in the order
/// they are encoded. Handles what
/// tapwatch.proto uses (varint integers, bool, string, bytes, messages, repeated fields packed or
/// not, maps with scalar values). Returns false, leaving `out` as it was, on anything else: other
/// field types, unknown or out-of-order fields, malformed bytes, a string with a non-ASCII byte
/// (whose escaping and UTF-8 checks stay protobuf's own).
bool AppendJsonFromWire(const google::protobuf::Descriptor& type, std::string_view wire,
                        std::string& out);

/// The same for a message object: serializes it (SerializeDeterministic, into a buffer reused per
/// thread) and walks the bytes.
bool AppendJson(const google::protobuf::Message& message, std::string& out);

/// Writes `message`'s binary encoding, `size` bytes (its ByteSizeLong(), just computed), to
/// `target`, deterministically: map entries in key order, so one capture always gives the same
/// bytes. The publisher's wire messages and AppendJson both serialize through it.
void SerializeDeterministic(const google::protobuf::Message& message, size_t size, void* target);

}  // namespace tapwatch::sensor
