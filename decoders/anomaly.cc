#include "decoders/anomaly.h"

#include <array>

namespace tapwatch::decoders {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Anomaly::kCount)> kNames = {
    "none",
    "ethernet_truncated",
    "vlan_truncated",
    "too_many_layers",
    "sll_truncated",
    "null_truncated",
    "unknown_link_type",
    "ipv4_truncated",
    "ipv4_bad_version",
    "ipv4_bad_header_length",
    "ipv4_total_length_too_small",
    "ipv4_total_length_exceeds_frame",
    "ipv4_bad_options",
    "ipv4_fragment_overflow",
    "ipv6_truncated",
    "ipv6_bad_version",
    "ipv6_payload_length_exceeds_frame",
    "ipv6_extension_header_truncated",
    "ipv6_too_many_extension_headers",
    "tcp_truncated",
    "tcp_bad_data_offset",
    "tcp_options_truncated",
    "udp_truncated",
    "udp_bad_length",
    "icmp_truncated",
    "icmpv6_truncated",
    "icmp_quoted_packet_truncated",
    "sctp_truncated",
    "nbss_truncated",
    "nbss_bad_type",
    "nbns_truncated",
    "nbns_bad_name",
    "nbns_bad_count",
    "nbds_truncated",
    "smb_truncated",
    "smb_bad_header",
    "smb_bad_andx_chain",
    "smb2_truncated",
    "log_missing_field",
};

}  // namespace

std::string_view AnomalyName(Anomaly a) noexcept {
  const auto i = static_cast<size_t>(a);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown_anomaly");
}

Anomaly AnomalyFromName(std::string_view name) noexcept {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Anomaly>(i);
  }
  return Anomaly::kNone;
}

}  // namespace tapwatch::decoders
