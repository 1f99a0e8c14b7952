#pragma once
// A growable buffer of protobuf wire-format bytes, written field by field (proto3 rules are the
// caller's: it decides what to omit). Nested messages get their length slot patched when they
// end, with the minimal varint, so the bytes equal libprotobuf's for the same fields in the same
// order. The buffer keeps its capacity across Clear(): once grown, writing allocates nothing.
// String fields and map keys are written as valid UTF-8 (valid_utf8.h); bytes fields as they are.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "sensor/valid_utf8.h"

namespace tapwatch::sensor {

class WireWriter {
 public:
  enum WireType : uint8_t { kVarint = 0, kLengthDelimited = 2 };

  const uint8_t* data() const { return buf_.get(); }
  size_t size() const { return pos_; }
  size_t capacity() const { return capacity_; }
  void Clear() { pos_ = 0; }
  /// Drops everything written after `mark` (a size() taken earlier).
  void Truncate(size_t mark) { pos_ = mark < pos_ ? mark : pos_; }

  static size_t VarintSize(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      ++n;
    }
    return n;
  }

  void Varint(uint64_t v) {
    Reserve(10);
    pos_ = static_cast<size_t>(Put(v, buf_.get() + pos_) - buf_.get());
  }
  void Tag(uint32_t field, WireType type) { Varint((uint64_t{field} << 3) | type); }

  /// A scalar field, omitted at 0 as proto3 does.
  void VarintField(uint32_t field, uint64_t v) {
    if (v == 0) return;
    Reserve(20);  // one check for tag and value
    uint8_t* p = Put((uint64_t{field} << 3) | kVarint, buf_.get() + pos_);
    pos_ = static_cast<size_t>(Put(v, p) - buf_.get());
  }
  /// A string field, omitted when empty as proto3 does. Made valid UTF-8 (valid_utf8.h), as
  /// every string field written here.
  void StringField(uint32_t field, std::string_view s) {
    if (!s.empty()) RepeatedString(field, s);
  }
  /// One element of a repeated string: written even when empty.
  void RepeatedString(uint32_t field, std::string_view s) {
    LengthDelimited(field, ValidUtf8(s, text_scratch_));
  }
  /// A bytes field (any bytes), omitted when empty.
  void BytesField(uint32_t field, std::string_view s) {
    if (!s.empty()) LengthDelimited(field, s);
  }
  /// One entry of a map<uint32, uint32>: key and value both written, as libprotobuf does.
  void MapEntry(uint32_t field, uint32_t key, uint32_t value) {
    // One room check for the whole entry: tag (<= 5 bytes), length (1: the entry is at most 12
    // bytes), key tag, key (<= 5), value tag, value (<= 5).
    Reserve(18);
    uint8_t* p = Put((uint64_t{field} << 3) | kLengthDelimited, buf_.get() + pos_);
    p = Put(2 + VarintSize(key) + VarintSize(value), p);
    *p++ = (1 << 3) | kVarint;
    p = Put(key, p);
    *p++ = (2 << 3) | kVarint;
    p = Put(value, p);
    pos_ = static_cast<size_t>(p - buf_.get());
  }
  /// One entry of a map<string, uint32>; the key is made valid UTF-8.
  void MapEntry(uint32_t field, std::string_view key, uint32_t value) {
    key = ValidUtf8(key, text_scratch_);
    Tag(field, kLengthDelimited);
    Varint(2 + VarintSize(key.size()) + key.size() + VarintSize(value));
    LengthDelimited(1, key);
    Tag(2, kVarint);
    Varint(value);
  }
  void Bytes(const void* p, size_t n) {
    Reserve(n);
    if (n != 0) std::memcpy(buf_.get() + pos_, p, n);
    pos_ += n;
  }

  /// Appends `n` bytes for the caller to fill; the pointer is valid until the next write.
  uint8_t* Extend(size_t n) {
    Reserve(n);
    uint8_t* p = buf_.get() + pos_;
    pos_ += n;
    return p;
  }

  /// Starts a length-delimited field whose length is not known yet; returns the mark EndNested()
  /// takes. Two bytes are reserved for the length (messages of 128..16383 bytes need no move).
  size_t BeginNested(uint32_t field) {
    Tag(field, kLengthDelimited);
    Reserve(2);
    const size_t mark = pos_;
    pos_ += 2;
    return mark;
  }
  /// Writes the length of the field begun at `mark`, moving its body if the length's varint is
  /// not two bytes long.
  void EndNested(size_t mark) {
    const size_t body = mark + 2;
    const size_t len = pos_ - body;
    const size_t n = VarintSize(len);
    if (n > 2) Reserve(n - 2);
    if (n != 2) std::memmove(buf_.get() + mark + n, buf_.get() + body, len);
    Put(len, buf_.get() + mark);
    pos_ = mark + n + len;
  }

  /// Makes room for `n` more bytes.
  void Reserve(size_t n) {
    if (n > capacity_ - pos_) Grow(n);
  }

 private:
  /// Tag, length and the bytes of `s`, as they are.
  void LengthDelimited(uint32_t field, std::string_view s) {
    Reserve(20 + s.size());  // one check for tag, length and bytes
    uint8_t* p = Put((uint64_t{field} << 3) | kLengthDelimited, buf_.get() + pos_);
    p = Put(s.size(), p);
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    pos_ = static_cast<size_t>(p - buf_.get()) + s.size();
  }
  /// Writes `v` as a varint at `p` (room checked by the caller); returns the end.
  static uint8_t* Put(uint64_t v, uint8_t* p) {
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
  }
  __attribute__((noinline)) void Grow(size_t n) {
    size_t capacity = capacity_ ? 2 * capacity_ : 4096;
    if (capacity < pos_ + n) capacity = pos_ + n;
    std::unique_ptr<uint8_t[]> grown(new uint8_t[capacity]);
    if (pos_ != 0) std::memcpy(grown.get(), buf_.get(), pos_);
    buf_ = std::move(grown);
    capacity_ = capacity;
  }

  std::unique_ptr<uint8_t[]> buf_;
  size_t capacity_ = 0;
  size_t pos_ = 0;
  std::string text_scratch_;  // a string with invalid UTF-8, escaped (rare)
};

}  // namespace tapwatch::sensor
