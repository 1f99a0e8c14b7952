#include "tests/app/pcap_flows.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstdlib>

#include "decoders/decode_frame.h"

namespace tapwatch::apptest {

using decoders::DecodedPacket;

std::string CanonicalKey(uint8_t proto, const std::string& a, uint32_t pa, const std::string& b,
                         uint32_t pb) {
  std::string x = a + ":" + std::to_string(pa);
  std::string y = b + ":" + std::to_string(pb);
  if (y < x) std::swap(x, y);
  return std::to_string(proto) + " " + x + " " + y;
}

std::string SharedDir() {
  if (const char* env = std::getenv("TAPWATCH_SHARED"); env && *env) return env;
  return std::string(TAPWATCH_SOURCE_DIR) + "/../shared";
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string AddrText(const decoders::IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family == 4) {
    inet_ntop(AF_INET, a.bytes.data(), buf, sizeof(buf));
  } else if (a.family == 6) {
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
  }
  return buf;
}

PcapFlows::PcapFlows(uint16_t first_bytes, uint32_t pool_slots)
    : pool_(std::make_unique<decoders::AppDetailPool>(pool_slots)),
      first_bytes_(kFirstBytesFlows, first_bytes) {
  config_.first_bytes = first_bytes;
  std::string error;
  if (!decoders::ParsePayloadSignatures(decoders::DefaultPayloadSignaturesTsv(), signatures_,
                                        error) ||
      !decoders::ParseIcmpFingerprints(decoders::DefaultIcmpFingerprintsTsv(), icmp_, error)) {
    std::abort();  // the embedded tables are tested on their own; this is a build defect
  }
}

decoders::AppScratch PcapFlows::Scratch() {
  decoders::AppScratch s;
  s.pool = pool_.get();
  s.signatures = &signatures_;
  s.icmp_fingerprints = &icmp_;
  s.first_bytes_pool = &first_bytes_;
  return s;
}

namespace {

// The flow-table view of the ports: ICMP echo flows use the identifier, other ICMP none.
void FlowPorts(const DecodedPacket& pkt, uint32_t& sp, uint32_t& dp) {
  sp = pkt.src_port;
  dp = pkt.dst_port;
  if (pkt.ip_proto == decoders::kIpProtoIcmp) {
    const bool echo = pkt.icmp_type == 0 || pkt.icmp_type == 8;
    sp = echo ? pkt.icmp_id : 0;
    dp = echo ? pkt.icmp_id : 0;
  }
}

}  // namespace

bool PcapFlows::Run(const std::string& path, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (!p) {
    error = errbuf;
    return false;
  }
  const auto link = static_cast<decoders::LinkType>(pcap_datalink(p));
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &hdr, &data) == 1) {
    ++frames_;
    DecodedPacket pkt;
    pkt.wire_len = hdr->len;
    pkt.cap_len = hdr->caplen;
    decoders::DecodeFrame(link, {data, hdr->caplen}, pkt);
    anomalies_ += pkt.anomaly_count;
    if (!pkt.is_ip()) continue;
    uint32_t sp = 0, dp = 0;
    FlowPorts(pkt, sp, dp);
    const std::string s = AddrText(pkt.src), d = AddrText(pkt.dst);
    const std::string key = CanonicalKey(pkt.ip_proto, s, sp, d, dp);
    auto [it, created] = flows_.try_emplace(key);
    TestFlow& flow = it->second;
    const std::string sender = s + ":" + std::to_string(sp);
    if (created) initiator_[key] = sender;
    ++flow.packets;
    const bool from_src = initiator_[key] == sender;
    decoders::AppScratch scratch = Scratch();
    const uint8_t before = pkt.anomaly_count;
    decoders::UpdateAppState(pkt, from_src, config_, flow.state, scratch);
    anomalies_ += pkt.anomaly_count - before;
    if (pkt.ip_proto == decoders::kIpProtoIcmp && pkt.icmp_quoted.present) {
      const auto& q = pkt.icmp_quoted;
      uint32_t qsp = q.src_port, qdp = q.dst_port;
      if (q.ip_proto == decoders::kIpProtoIcmp) qsp = qdp = 0;  // quoted echo id not kept
      const std::string qkey = CanonicalKey(q.ip_proto, AddrText(q.src), qsp, AddrText(q.dst), qdp);
      auto qf = flows_.find(qkey);
      if (qf == flows_.end() && q.ip_proto == decoders::kIpProtoIcmp) {
        // The quote keeps no echo identifier: take the ICMP flow between the same addresses.
        const std::string a = AddrText(q.src), b = AddrText(q.dst);
        for (auto f = flows_.begin(); f != flows_.end(); ++f) {
          if (f->first.rfind("1 ", 0) == 0 && f->first.find(a + ":") != std::string::npos &&
              f->first.find(b + ":") != std::string::npos) {
            qf = f;
            break;
          }
        }
      }
      if (qf != flows_.end()) decoders::NoteIcmpError(pkt, qf->second.state);
    }
  }
  pcap_close(p);
  return true;
}

}  // namespace tapwatch::apptest
