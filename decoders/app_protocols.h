#pragma once
// The application protocols, as one list of detail types (AppDetails). The list drives the
// detail pool (a DetailSlots per type), the kinds (a type's place in the list), the routing of
// packets by port and the export of each type's record summary; nothing else names the types.
// Adding a protocol is a folder of its own and a line here: see docs/adding-a-protocol.md.
//
// A detail type T of the list is a pool slot's contents with:
//   static constexpr AppPort kPorts[]         the ports whose flows it takes (may be absent);
//   void Decode(DecodedPacket&, int dir)      one payload packet of such a flow (with kPorts);
//   void PrefetchForExport() const            starts loading what EncodeRecord reads first;
//   template <Record> RecordField()           the FlowRecord field of its summary, and
//   template <Record, Writer> EncodeRecord()  the summary's wire bytes (absent for ICMP),
// where Record is the generated proto::FlowRecord, so field numbers come from the schema.
// Standard library only: the record encoders are templates the sensor instantiates.

#include <array>
#include <cstddef>
#include <cstdint>

#include "decoders/app_detail.h"
#include "decoders/app_detail_pool.h"
#include "decoders/dns/dns.h"
#include "decoders/dns/dns_record.h"
#include "decoders/netbios_record.h"
#include "decoders/smb_record.h"

namespace tapwatch::decoders {

/// Every detail type, in routing order: the first whose ports match a packet takes its flow.
using AppDetails = DetailList<SmbDetail, NbnsDetail, NbdsDetail, IcmpDetail, DnsDetail>;

using AppDetailPool = DetailPool<AppDetails>;

/// Which detail type owns a flow's detail slot (decided by its first packet that needs one):
/// kNone, or kAppKind<T>, T's place in AppDetails.
enum class AppKind : uint8_t { kNone = 0 };
template <typename T>
inline constexpr AppKind kAppKind = static_cast<AppKind>(AppDetailPool::kKind<T>);

/// A port routed to a detail type.
struct AppRoute {
  uint8_t ip_proto = 0;
  uint16_t port = 0;
  AppKind kind = AppKind::kNone;
};

template <typename T>
concept HasPorts = requires { T::kPorts; };

/// Every type's ports, in list order.
template <typename... Ts>
constexpr auto MakeAppRoutes(DetailList<Ts...>) {
  constexpr size_t n = (size_t{0} + ... + [] {
    if constexpr (HasPorts<Ts>) return std::size(Ts::kPorts);
    return size_t{0};
  }());
  std::array<AppRoute, n> routes{};
  size_t i = 0;
  (
      [&] {
        if constexpr (HasPorts<Ts>) {
          for (const AppPort& p : Ts::kPorts) routes[i++] = {p.ip_proto, p.port, kAppKind<Ts>};
        }
      }(),
      ...);
  return routes;
}
inline constexpr auto kAppRoutes = MakeAppRoutes(AppDetails{});

/// The detail type a packet's ports route it to (either port may be the service's), kNone when
/// none.
inline AppKind RouteByPorts(uint8_t ip_proto, uint16_t src_port, uint16_t dst_port) noexcept {
  for (const AppRoute& r : kAppRoutes) {
    if (r.ip_proto == ip_proto && (r.port == src_port || r.port == dst_port)) return r.kind;
  }
  return AppKind::kNone;
}

}  // namespace tapwatch::decoders
