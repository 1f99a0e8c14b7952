#include "sensor/log/ipchains_parser.h"

#include "decoders/packet.h"
#include "sensor/log/text.h"

namespace tapwatch::sensor {
namespace {

namespace d = tapwatch::decoders;

constexpr std::string_view kMarker = "Packet log: ";

LineKind Fail(LogParseError& err, const char* field, const char* why) {
  err.field = field;
  err.why = why;
  return LineKind::kMalformed;
}

LineKind Incomplete(LogParseError& err, const char* field) {
  err.field = field;
  err.why = "line ends before this field";
  return LineKind::kIncomplete;
}

// "a.b.c.d:port"
bool ParseEndpoint(std::string_view tok, uint8_t* addr4, uint16_t* port) {
  const size_t colon = tok.rfind(':');
  if (colon == std::string_view::npos) return false;
  return ParseIpv4(tok.substr(0, colon), addr4) && ParseDecAs(tok.substr(colon + 1), port);
}

// "K=value" with the expected key; false when the key differs.
bool KeyValue(std::string_view tok, std::string_view key, std::string_view* val) {
  if (tok.size() <= key.size() || tok.substr(0, key.size()) != key || tok[key.size()] != '=') {
    return false;
  }
  *val = tok.substr(key.size() + 1);
  return true;
}

}  // namespace

bool LooksLikeIpchains(std::string_view msg) { return msg.starts_with(kMarker); }

LineKind ParseIpchainsMessage(std::string_view msg, LogRecord& rec, LogParseError& err) {
  if (!msg.starts_with(kMarker)) return LineKind::kNonPacket;
  rec.format = LogFormat::kIpchains;
  const std::string_view body = msg.substr(kMarker.size());
  Tokenizer tk(body);
  std::string_view chain, target, iface, tok, val;
  if (!tk.Next(&chain)) return Incomplete(err, "chain");
  if (!tk.Next(&target)) return Incomplete(err, "target");
  // The label is "chain target" as one view into the line.
  const size_t chain_at = static_cast<size_t>(chain.data() - body.data());
  rec.label = body.substr(chain_at, static_cast<size_t>(target.data() + target.size() -
                                                        chain.data()));
  if (!tk.Next(&iface)) return Incomplete(err, "interface");
  // ip_fw.c prints the device the chain sees: input/forward the arriving one, output the leaving.
  if (chain == "output") {
    rec.out_iface = iface;
  } else {
    rec.in_iface = iface;
  }
  LogIpFields& ip = rec.ip;
  ip.ip_version = 4;
  if (!tk.Next(&tok)) return Incomplete(err, "PROTO");
  if (!KeyValue(tok, "PROTO", &val)) return Fail(err, "PROTO", "expected PROTO=n");
  if (!ParseDecAs(val, &ip.proto)) return Fail(err, "PROTO", "not a protocol number");
  ip.has_proto = true;
  uint16_t sport = 0;
  uint16_t dport = 0;
  if (!tk.Next(&tok)) return Incomplete(err, "source");
  if (!ParseEndpoint(tok, ip.src.data(), &sport)) return Fail(err, "source", "not addr:port");
  if (!tk.Next(&tok)) return Incomplete(err, "destination");
  if (!ParseEndpoint(tok, ip.dst.data(), &dport)) {
    return Fail(err, "destination", "not addr:port");
  }
  if (!tk.Next(&tok)) return Incomplete(err, "L");
  if (!KeyValue(tok, "L", &val) || !ParseDecAs(val, &ip.ip_len, 65535)) {
    return Fail(err, "L", "not a length");
  }
  if (ip.ip_len < 20) return Fail(err, "L", "below the IPv4 header");
  ip.has_len = true;
  uint64_t v = 0;
  if (!tk.Next(&tok)) return Incomplete(err, "S");
  if (!KeyValue(tok, "S", &val) || !ParseHex(val, 0xFF, &v)) return Fail(err, "S", "not hex");
  ip.tos = static_cast<uint8_t>(v);
  if (!tk.Next(&tok)) return Incomplete(err, "I");
  if (!KeyValue(tok, "I", &val) || !ParseDecAs(val, &ip.ip_id)) return Fail(err, "I", "not an id");
  if (!tk.Next(&tok)) return Incomplete(err, "F");
  if (!KeyValue(tok, "F", &val) || !ParseHex(val, 0xFFFF, &v)) return Fail(err, "F", "not hex");
  ip.ce = (v & 0x8000) != 0;
  ip.df = (v & 0x4000) != 0;
  ip.mf = (v & 0x2000) != 0;
  ip.frag_offset_units = static_cast<uint16_t>(v & 0x1FFF);
  if (!tk.Next(&tok)) return Incomplete(err, "T");
  if (!KeyValue(tok, "T", &val) || !ParseDecAs(val, &ip.ttl)) return Fail(err, "T", "not a TTL");
  bool syn = false;
  while (tk.Next(&tok)) {
    if (tok == "SYN") {
      syn = true;
    } else if (!(tok.starts_with("(#") && tok.ends_with(")"))) {
      return Fail(err, "rule", "unexpected text after T=");
    }
  }
  if (ip.is_later_fragment()) return LineKind::kPacket;  // no L4 header in this fragment
  switch (ip.proto) {
    case d::kIpProtoTcp:
      ip.has_ports = true;
      ip.src_port = sport;
      ip.dst_port = dport;
      // Assumption: see the header comment.
      if (syn) {
        ip.tcp_flags = d::kTcpSyn;
      } else {
        ip.tcp_flags = d::kTcpAck;
        if (ip.ip_len > 40) ip.tcp_flags |= d::kTcpPsh;
      }
      ip.has_window = ip.has_urgp = true;  // logged as 0: ipchains does not print them
      break;
    case d::kIpProtoUdp:
      ip.has_ports = true;
      ip.src_port = sport;
      ip.dst_port = dport;
      // UDP length = IP total length - 20 (ipchains logs no IP options).
      ip.has_udp_len = true;
      ip.udp_len = static_cast<uint16_t>(ip.ip_len >= 28 ? ip.ip_len - 20 : 8);
      break;
    case d::kIpProtoIcmp:
      // ip_fw.c prints the ICMP type and code in the port positions.
      if (sport > 255 || dport > 255) return Fail(err, "source", "ICMP type/code above 255");
      ip.has_icmp = true;
      ip.icmp_type = static_cast<uint8_t>(sport);
      ip.icmp_code = static_cast<uint8_t>(dport);
      break;
    default:
      break;
  }
  return LineKind::kPacket;
}

}  // namespace tapwatch::sensor
