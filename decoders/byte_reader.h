#pragma once
// The only code that touches packet bytes. Every decoder reads through a ByteReader, so a
// length check cannot be forgotten: a failed read returns nullopt/false and leaves the cursor
// where it was. Never throws, never allocates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tapwatch::decoders {

/// Forward-only cursor over captured bytes.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  ByteReader(const uint8_t* data, size_t size) : bytes_(data, size) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  std::optional<uint8_t> U8() {
    if (remaining() < 1) return std::nullopt;
    return bytes_[pos_++];
  }
  std::optional<uint16_t> U16Be() {
    if (remaining() < 2) return std::nullopt;
    const auto v = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::optional<uint16_t> U16Le() {
    if (remaining() < 2) return std::nullopt;
    const auto v = static_cast<uint16_t>(bytes_[pos_] | (bytes_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> U32Be() {
    if (remaining() < 4) return std::nullopt;
    const uint32_t v = (uint32_t{bytes_[pos_]} << 24) | (uint32_t{bytes_[pos_ + 1]} << 16) |
                       (uint32_t{bytes_[pos_ + 2]} << 8) | uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::optional<uint32_t> U32Le() {
    if (remaining() < 4) return std::nullopt;
    const uint32_t v = uint32_t{bytes_[pos_]} | (uint32_t{bytes_[pos_ + 1]} << 8) |
                       (uint32_t{bytes_[pos_ + 2]} << 16) | (uint32_t{bytes_[pos_ + 3]} << 24);
    pos_ += 4;
    return v;
  }
  /// Peeks at byte `offset` from the cursor without moving it.
  std::optional<uint8_t> PeekU8(size_t offset = 0) const {
    if (remaining() <= offset) return std::nullopt;
    return bytes_[pos_ + offset];
  }
  std::optional<uint16_t> PeekU16Be(size_t offset = 0) const {
    if (remaining() < offset + 2) return std::nullopt;
    return static_cast<uint16_t>((bytes_[pos_ + offset] << 8) | bytes_[pos_ + offset + 1]);
  }
  /// Copies `out.size()` bytes; false (cursor unchanged) if fewer remain.
  bool Copy(std::span<uint8_t> out) {
    if (remaining() < out.size()) return false;
    for (size_t i = 0; i < out.size(); ++i) out[i] = bytes_[pos_ + i];
    pos_ += out.size();
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  /// Splits off the next `n` bytes, e.g. an IPv4 payload bounded by total-length.
  std::optional<ByteReader> Take(size_t n) {
    if (remaining() < n) return std::nullopt;
    ByteReader sub(bytes_.subspan(pos_, n));
    pos_ += n;
    return sub;
  }
  /// Like Take, but clips to what was captured (snaplen) instead of failing.
  ByteReader TakeUpTo(size_t n) {
    const size_t k = n < remaining() ? n : remaining();
    ByteReader sub(bytes_.subspan(pos_, k));
    pos_ += k;
    return sub;
  }
  std::span<const uint8_t> Rest() const { return bytes_.subspan(pos_); }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace tapwatch::decoders
