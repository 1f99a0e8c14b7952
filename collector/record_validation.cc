#include "collector/record_validation.h"

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <cstring>
#include <limits>
#include <numeric>

namespace tapwatch::collector {
namespace {

using Verdict = std::optional<RejectReason>;

constexpr uint64_t kMaxStoredInteger = std::numeric_limits<int64_t>::max();

// 0: not an address; else AF_INET or AF_INET6. inet_pton wants a terminated string.
int AddressFamily(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressBytes) return 0;
  char buffer[kMaxAddressBytes + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char scratch[16];
  if (inet_pton(AF_INET, buffer, scratch) == 1) return AF_INET;
  if (inet_pton(AF_INET6, buffer, scratch) == 1) return AF_INET6;
  return 0;
}

bool AllBelow(std::initializer_list<uint64_t> values, uint64_t max) {
  for (uint64_t v : values) {
    if (v > max) return false;
  }
  return true;
}

bool TextFits(const std::string& s) { return s.size() <= kMaxTextBytes; }

bool ListFits(const google::protobuf::RepeatedPtrField<std::string>& list) {
  if (static_cast<size_t>(list.size()) > kMaxListEntries) return false;
  for (const std::string& s : list) {
    if (!TextFits(s)) return false;
  }
  return true;
}

template <typename Map>
bool MapFits(const Map& map) {
  if (map.size() > kMaxListEntries) return false;
  for (const auto& [key, value] : map) {
    if (!TextFits(key)) return false;
  }
  return true;
}

// Strings and lists of a summary sub-message (SMB, NetBIOS, ICMP), walked by reflection: they are
// present on a minority of flows, and a new field is covered without a second list to keep.
bool SubMessageFits(const google::protobuf::Message& message) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    using google::protobuf::FieldDescriptor;
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      if (static_cast<size_t>(n) > kMaxListEntries) return false;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        for (int i = 0; i < n; ++i) {
          std::string scratch;
          if (!TextFits(reflection->GetRepeatedStringReference(message, field, i, &scratch))) {
            return false;
          }
        }
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string scratch;
      if (!TextFits(reflection->GetStringReference(message, field, &scratch))) return false;
    }
  }
  return true;
}

Verdict CheckFlow(const proto::FlowRecord& f, uint64_t received_ns) {
  const int src_family = AddressFamily(f.src_addr());
  if (src_family == 0 || src_family != AddressFamily(f.dst_addr())) return RejectReason::kAddress;
  if (f.src_port() > 65535 || f.dst_port() > 65535) return RejectReason::kPort;
  if (f.ip_proto() > 255) return RejectReason::kIpProto;
  if (f.vlan() > 4095 || f.vlan_inner() > 4095) return RejectReason::kVlan;
  if (!AllBelow({f.src_tcp_flags(), f.dst_tcp_flags(), f.src_initial_tcp_flags(),
                 f.dst_initial_tcp_flags(), f.src_ttl_min(), f.src_ttl_max(), f.dst_ttl_min(),
                 f.dst_ttl_max(), f.icmp_type(), f.icmp_code()},
                255)) {
    return RejectReason::kOctetField;
  }
  if (!AllBelow({f.flow_id(), f.src_pkts(), f.dst_pkts(), f.src_ip_bytes(), f.dst_ip_bytes(),
                 f.src_wire_bytes(), f.dst_wire_bytes(), f.src_payload_bytes(),
                 f.dst_payload_bytes(), f.src_fragments(), f.dst_fragments(), f.start_ns(),
                 f.end_ns()},
                kMaxStoredInteger)) {
    return RejectReason::kCounter;
  }
  if (f.src_mac().size() > kMaxMacBytes || f.dst_mac().size() > kMaxMacBytes ||
      f.src_first_bytes().size() > kMaxFirstBytes ||
      f.dst_first_bytes().size() > kMaxFirstBytes || !TextFits(f.direction()) ||
      !TextFits(f.conn_state()) || !TextFits(f.history()) || !TextFits(f.argus_state()) ||
      !TextFits(f.argus_flags()) || !TextFits(f.end_reason()) || !TextFits(f.http_method()) ||
      !TextFits(f.http_uri()) || !TextFits(f.in_iface()) || !TextFits(f.out_iface()) ||
      !TextFits(f.community_id()) || !ListFits(f.payload_labels()) || !MapFits(f.anomalies()) ||
      !MapFits(f.log_labels()) || (f.has_smb() && !SubMessageFits(f.smb())) ||
      (f.has_netbios() && !SubMessageFits(f.netbios())) ||
      (f.has_icmp() && !SubMessageFits(f.icmp()))) {
    return RejectReason::kTextLength;
  }
  if (f.end_ns() < f.start_ns()) return RejectReason::kTimeOrder;
  if (f.end_ns() > received_ns + kMaxFutureNs) return RejectReason::kFutureTime;
  return std::nullopt;
}

Verdict CheckStats(const proto::StatsRecord& s, uint64_t received_ns) {
  if (!AllBelow({s.interval_start_ns(), s.interval_end_ns(), s.packets(), s.wire_bytes(),
                 s.decoded(), s.unsupported(), s.malformed(), s.non_ip(), s.flows_created(),
                 s.flows_exported(), s.flows_evicted(), s.flows_active(), s.kernel_drops(),
                 s.kernel_if_drops(), s.zmq_send_drops(), s.total_packets(),
                 s.log_lines_packet(), s.log_lines_other(), s.log_lines_malformed()},
                kMaxStoredInteger)) {
    return RejectReason::kCounter;
  }
  if (!MapFits(s.anomalies()) || !MapFits(s.non_ip_ethertypes())) {
    return RejectReason::kTextLength;
  }
  if (s.interval_end_ns() < s.interval_start_ns()) return RejectReason::kTimeOrder;
  if (s.interval_end_ns() > received_ns + kMaxFutureNs) return RejectReason::kFutureTime;
  return std::nullopt;
}

}  // namespace

const char* RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kSensorId:
      return "sensor_id";
    case RejectReason::kAddress:
      return "address";
    case RejectReason::kPort:
      return "port";
    case RejectReason::kIpProto:
      return "ip_proto";
    case RejectReason::kVlan:
      return "vlan";
    case RejectReason::kOctetField:
      return "octet_field";
    case RejectReason::kCounter:
      return "counter";
    case RejectReason::kTextLength:
      return "text_length";
    case RejectReason::kTimeOrder:
      return "time_order";
    case RejectReason::kFutureTime:
      return "future_time";
    case RejectReason::kCount:
      break;
  }
  return "unknown";
}

std::optional<size_t> CountBatchEnvelopes(std::string_view body) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  size_t envelopes = 0;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == proto::EnvelopeBatch::kEnvelopesFieldNumber) {
      ++envelopes;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
  }
  if (!in.ConsumedEntireMessage()) return std::nullopt;
  return envelopes;
}

std::optional<RejectReason> CheckSensorId(std::string_view sensor_id) {
  if (sensor_id.size() > kMaxSensorIdBytes) return RejectReason::kSensorId;
  return std::nullopt;
}

std::optional<RejectReason> ValidateEnvelope(const proto::Envelope& envelope,
                                             uint64_t received_ns) {
  // Every sensor id the envelope carries: accounting uses the envelope's, a body's is stored.
  if (CheckSensorId(envelope.sensor_id()) ||
      (envelope.has_flow() && CheckSensorId(envelope.flow().sensor_id())) ||
      (envelope.has_stats() && CheckSensorId(envelope.stats().sensor_id()))) {
    return RejectReason::kSensorId;
  }
  if (envelope.seq() > kMaxStoredInteger || envelope.sensor_start_ns() > kMaxStoredInteger) {
    return RejectReason::kCounter;
  }
  switch (envelope.body_case()) {
    case proto::Envelope::kFlow:
      return CheckFlow(envelope.flow(), received_ns);
    case proto::Envelope::kStats:
      return CheckStats(envelope.stats(), received_ns);
    case proto::Envelope::BODY_NOT_SET:
      break;
  }
  return std::nullopt;
}

uint64_t RejectCounts::total() const {
  return std::accumulate(by_reason.begin(), by_reason.end(), uint64_t{0});
}

}  // namespace tapwatch::collector
