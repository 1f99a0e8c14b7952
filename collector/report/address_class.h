// Classes of IPv4 addresses (host byte order) that the report's verdicts turn on.
#pragma once

#include <cstdint>

namespace tapwatch::collector::report {

inline bool IsMulticast(uint32_t a) { return (a >> 28) == 0xE; }
inline bool IsClassE(uint32_t a) { return (a >> 28) == 0xF && a != 0xFFFFFFFFu; }
inline bool IsLimitedBroadcast(uint32_t a) { return a == 0xFFFFFFFFu; }
inline bool IsLoopback(uint32_t a) { return (a >> 24) == 127; }
inline bool IsThisNetwork(uint32_t a) { return (a >> 24) == 0; }
/// RFC 1918, plus the shared (100.64/10) and link-local (169.254/16) ranges: addresses that are
/// genuine on the inside of a network and cannot arrive from the Internet.
inline bool IsPrivate(uint32_t a) {
  return (a >> 24) == 10 || (a >> 20) == (0xAC10u >> 4) || (a >> 16) == 0xC0A8u ||
         (a >> 22) == (0x6440u >> 6) || (a >> 16) == 0xA9FEu;
}
/// Neither private nor special: an address that can be routed on the Internet.
inline bool IsPublic(uint32_t a) {
  return !IsPrivate(a) && !IsMulticast(a) && !IsClassE(a) && !IsLimitedBroadcast(a) &&
         !IsLoopback(a) && !IsThisNetwork(a);
}

}  // namespace tapwatch::collector::report
