#include "sensor/record_builder.h"

#include <arpa/inet.h>

#include <cstring>

#include "sensor/app_record.h"
#include "sensor/flow_record_encoder.h"

namespace tapwatch::sensor {

size_t FormatAddressTo(const decoders::IpAddress& a, char* buf) {
  if (a.family == 6) {
    if (inet_ntop(AF_INET6, a.bytes.data(), buf, kAddressTextBytes) == nullptr) return 0;
    return std::strlen(buf);
  }
  // Dotted quad by hand: glibc's inet_ntop formats IPv4 through sprintf, which was a visible
  // share of the export path.
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    unsigned v = a.bytes[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return static_cast<size_t>(p - buf);
}

std::string FormatAddress(const decoders::IpAddress& a) {
  char buf[kAddressTextBytes];
  return std::string(buf, FormatAddressTo(a, buf));
}

size_t FormatLinkMacTo(const std::array<uint8_t, 6>& mac, char* buf) {
  uint8_t any = 0;
  for (uint8_t b : mac) any |= b;
  if (any == 0) return 0;
  return FormatMacTo(mac, buf);
}

std::string FormatLinkMac(const std::array<uint8_t, 6>& mac) {
  char buf[kMacTextBytes];
  return std::string(buf, FormatLinkMacTo(mac, buf));
}

void BuildFlowRecord(const flowtable::Flow& flow, flowtable::EndReason why, bool interim,
                     std::string_view sensor_id, const std::vector<std::string>& labels,
                     proto::FlowRecord& out, uint16_t community_id_seed) {
  // The encoder's bytes, parsed: one definition of the record. The writer and the reused
  // message keep their buffers, so a warm call allocates nothing but map entries.
  thread_local WireWriter bytes;
  bytes.Clear();
  FlowRecordSource source;
  source.flow = &flow;
  source.why = why;
  source.interim = interim;
  source.sensor_id = sensor_id;
  source.labels = &labels;
  source.community_id_seed = community_id_seed;
  EncodeFlowRecord(source, bytes);
  (void)out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace tapwatch::sensor
