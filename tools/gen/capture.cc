#include "tools/gen/capture.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace tapwatch::tools {

std::string Ip4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

uint32_t Ip4(const std::string& dotted) {
  uint32_t out = 0;
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    size_t next = dotted.find('.', pos);
    out = (out << 8) | static_cast<uint32_t>(std::stoul(dotted.substr(pos, next - pos)));
    pos = next + 1;
  }
  return out;
}

void Capture::Add(uint64_t ts_us, Tins::PDU& pdu, const std::string& label) {
  Frame f;
  f.meta.ts_us = ts_us;
  f.meta.label = label;
  f.bytes = pdu.serialize();
  if (const auto* ip = pdu.find_pdu<Tins::IP>()) {
    f.meta.proto = ip->protocol();
    // Tins::IPv4Address converts to a host-order uint32 that is little-endian on x86; go
    // through the dotted string to stay independent of that.
    f.meta.src = Ip4(ip->src_addr().to_string());
    f.meta.dst = Ip4(ip->dst_addr().to_string());
    f.meta.ip_len = static_cast<uint16_t>(ip->size());
  }
  if (const auto* tcp = pdu.find_pdu<Tins::TCP>()) {
    f.meta.sport = tcp->sport();
    f.meta.dport = tcp->dport();
    f.meta.tcp_flags = static_cast<uint8_t>(tcp->flags());
    f.meta.payload_bytes = tcp->inner_pdu() ? tcp->inner_pdu()->size() : 0;
  } else if (const auto* udp = pdu.find_pdu<Tins::UDP>()) {
    f.meta.sport = udp->sport();
    f.meta.dport = udp->dport();
    f.meta.payload_bytes = udp->inner_pdu() ? udp->inner_pdu()->size() : 0;
  } else if (const auto* icmp = pdu.find_pdu<Tins::ICMP>()) {
    f.meta.icmp_type = icmp->type();
    f.meta.payload_bytes = icmp->inner_pdu() ? icmp->inner_pdu()->size() : 0;
  }
  if (!frames_.empty() && ts_us < frames_.back().meta.ts_us) sorted_ = false;
  frames_.push_back(std::move(f));
}

const std::vector<Frame>& Capture::Sorted() {
  if (!sorted_) {
    std::stable_sort(frames_.begin(), frames_.end(),
                     [](const Frame& a, const Frame& b) { return a.meta.ts_us < b.meta.ts_us; });
    sorted_ = true;
  }
  return frames_;
}

void Capture::Write(const std::string& path) {
  Tins::PacketWriter writer(path, Tins::DataLinkType<Tins::EthernetII>());
  for (const Frame& f : Sorted()) {
    Tins::RawPDU raw(f.bytes.data(), static_cast<uint32_t>(f.bytes.size()));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(f.meta.ts_us / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(f.meta.ts_us % 1000000);
    Tins::Packet packet(raw, Tins::Timestamp(tv));
    writer.write(packet);
  }
}

Totals Capture::ComputeTotals() {
  Totals t;
  std::set<std::tuple<uint8_t, uint64_t, uint64_t>> flows;
  for (const Frame& f : Sorted()) {
    const FrameMeta& m = f.meta;
    ++t.packets;
    t.bytes += f.bytes.size();
    if (m.proto == 0) continue;
    ++t.ip;
    const bool udp = m.proto == 17, tcp = m.proto == 6;
    if (tcp) ++t.tcp;
    if (udp) ++t.udp;
    if (m.proto == 1) ++t.icmp;
    if (udp && (m.sport == 137 || m.dport == 137)) ++t.nbns;
    if (udp && (m.sport == 53 || m.dport == 53)) ++t.dns;
    if (udp && (m.sport == 514 || m.dport == 514)) ++t.syslog;
    if (tcp && (m.sport == 445 || m.dport == 445) && m.payload_bytes > 0) ++t.smb;
    uint64_t a = (uint64_t{m.src} << 16) | m.sport;
    uint64_t b = (uint64_t{m.dst} << 16) | m.dport;
    if (a > b) std::swap(a, b);
    flows.emplace(m.proto, a, b);
  }
  t.flows_5tuple = flows.size();
  return t;
}

std::string TotalsJson(const Totals& t, const std::string& in) {
  auto kv = [&](const char* k, uint64_t v, bool last = false) {
    return in + "  \"" + k + "\": " + std::to_string(v) + (last ? "\n" : ",\n");
  };
  return in + "\"totals\": {\n" + kv("packets", t.packets) + kv("bytes", t.bytes) +
         kv("ip", t.ip) + kv("tcp", t.tcp) + kv("udp", t.udp) + kv("icmp", t.icmp) +
         kv("nbns", t.nbns) + kv("smb", t.smb) + kv("dns", t.dns) + kv("syslog", t.syslog) +
         kv("flows_5tuple", t.flows_5tuple, true) + in + "}";
}

}  // namespace tapwatch::tools
