#pragma once
// The detail pool of one capture thread: a DetailSlots per detail type of a DetailList, each
// type's kind being its place in the list (1, 2, ...; 0 is no detail). app_protocols.h names the
// list the sensor uses (AppDetailPool). Standard library only; Acquire/Release never allocate.

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "decoders/app_detail.h"

namespace tapwatch::decoders {

/// A list of detail types, in dispatch order.
template <typename... Ts>
struct DetailList {
  static constexpr size_t size = sizeof...(Ts);
};

/// T's place in Ts, from 1 (a compile error when T is not in the list).
template <typename T, typename... Ts>
constexpr uint8_t KindIn() {
  uint8_t kind = 0;
  uint8_t i = 0;
  ((++i, kind = std::is_same_v<T, Ts> ? i : kind), ...);
  return kind;
}

template <typename List>
class DetailPool;

/// A DetailSlots per type, `capacity` slots each. A detail's index carries its kind in the top
/// three bits, so Get<T> on another type's index, Release and Prefetch need nothing but the
/// index. Not thread-safe.
template <typename... Ts>
class DetailPool<DetailList<Ts...>> {
 public:
  /// T's kind: its place in the list, from 1.
  template <typename T>
  static constexpr uint8_t kKind = KindIn<T, Ts...>();

  explicit DetailPool(uint32_t capacity) : slots_(CapacityOf<Ts>(capacity)...) {}

  /// Takes a slot and resets it to `T{}`; kNoDetail (and counts it) when T's slots are all taken.
  template <typename T>
  uint32_t Acquire() noexcept {
    const uint32_t i = Slots<T>().Acquire();
    return i == kNoDetail ? kNoDetail : (uint32_t{kKind<T>} << kKindShift) | i;
  }
  /// Gives detail `i` back. kNoDetail, a free or an out-of-range index is ignored.
  void Release(uint32_t i) noexcept {
    OnSlotsOf(i, [](auto& slots, uint32_t slot) { slots.Release(slot); });
  }
  /// Detail `i` when it is a live T, else nullptr.
  template <typename T>
  T* Get(uint32_t i) noexcept {
    return (i >> kKindShift) == kKind<T> ? Slots<T>().Get(i & kSlotMask) : nullptr;
  }
  template <typename T>
  const T* Get(uint32_t i) const noexcept {
    return const_cast<DetailPool*>(this)->Get<T>(i);
  }
  /// Detail `i`'s address as a T, WITHOUT checking that it is live: only for prefetching its
  /// cache lines before Get. nullptr when `i` is not a T's index in range.
  template <typename T>
  const T* Peek(uint32_t i) const noexcept {
    return (i >> kKindShift) == kKind<T>
               ? const_cast<DetailPool*>(this)->Slots<T>().Peek(i & kSlotMask)
               : nullptr;
  }
  /// Calls visit(detail) with live detail `i` as its own type; nothing when `i` is none.
  template <typename F>
  void Visit(uint32_t i, F visit) const noexcept {
    const_cast<DetailPool*>(this)->OnSlotsOf(i, [&](auto& slots, uint32_t slot) {
      if (const auto* d = slots.Get(slot)) visit(*d);
    });
  }
  /// Calls visit(detail) with detail `i`'s address as its own type, live or not (for
  /// prefetching); nothing when `i` is none or out of range.
  template <typename F>
  void VisitUnchecked(uint32_t i, F visit) const noexcept {
    const_cast<DetailPool*>(this)->OnSlotsOf(i, [&](auto& slots, uint32_t slot) {
      if (const auto* d = slots.Peek(slot)) visit(*d);
    });
  }
  /// Starts loading detail i's first cache line (its first members); kNoDetail is ignored.
  void Prefetch(uint32_t i) const noexcept {
    const_cast<DetailPool*>(this)->OnSlotsOf(
        i, [](const auto& slots, uint32_t slot) { slots.Prefetch(slot); });
  }
  /// Details in use, of all types.
  uint32_t in_use() const {
    return std::apply([](const auto&... s) { return (uint32_t{0} + ... + s.in_use()); }, slots_);
  }
  /// Slots ever handed out (each type's peak of live details): only their memory was touched.
  uint32_t touched() const {
    return std::apply([](const auto&... s) { return (uint32_t{0} + ... + s.touched()); }, slots_);
  }
  /// Acquire calls that found their type's slots all taken (the flow kept its inline counters).
  uint64_t exhausted() const {
    return std::apply([](const auto&... s) { return (uint64_t{0} + ... + s.exhausted()); },
                      slots_);
  }
  /// Bytes reserved at start (the cap); touched_bytes() of them are in use at most.
  size_t memory_bytes() const {
    return std::apply([](const auto&... s) { return (size_t{0} + ... + s.memory_bytes()); },
                      slots_);
  }
  size_t touched_bytes() const {
    return std::apply([](const auto&... s) { return (size_t{0} + ... + s.touched_bytes()); },
                      slots_);
  }

 private:
  // Three bits of kind: room for kinds 1..6, and kNoDetail's top bits (7) name none of them, so
  // kNoDetail is never a valid index whatever its low bits.
  static constexpr unsigned kKindShift = 29;
  static constexpr uint32_t kSlotMask = (uint32_t{1} << kKindShift) - 1;
  static_assert(sizeof...(Ts) < (kNoDetail >> kKindShift),
                "the highest kind must stay below kNoDetail's: at most 6 detail types");
  // Slot indices stay below the mask, so that none reaches into the kind bits.
  template <typename T>
  static uint32_t CapacityOf(uint32_t capacity) {
    return capacity < kSlotMask ? capacity : kSlotMask;
  }

  // Calls on_slots(slots, slot) with the slots of index i's type; nothing for kNoDetail or an
  // unknown kind.
  template <typename F>
  void OnSlotsOf(uint32_t i, F on_slots) noexcept {
    const uint32_t kind = i >> kKindShift;
    const uint32_t slot = i & kSlotMask;
    ((kind == kKind<Ts> ? on_slots(std::get<DetailSlots<Ts>>(slots_), slot) : void()), ...);
  }

  template <typename T>
  DetailSlots<T>& Slots() noexcept {
    return std::get<DetailSlots<T>>(slots_);
  }
  std::tuple<DetailSlots<Ts>...> slots_;
};

}  // namespace tapwatch::decoders
