#include "sensor/log/netfilter_parser.h"

#include "decoders/packet.h"
#include "sensor/log/text.h"

namespace tapwatch::sensor {
namespace {

namespace d = tapwatch::decoders;

enum class Step : uint8_t { kOk, kMalformed, kIncomplete, kNotIp };

Step Fail(LogParseError& err, const char* field, const char* why) {
  err.field = field;
  err.why = why;
  return Step::kMalformed;
}

bool IsIcmpError(const LogIpFields& ip) {
  if (ip.proto == d::kIpProtoIcmp) {
    // RFC 792: destination unreachable, source quench, redirect, time exceeded quote the packet;
    // nf_log_ipv4 dumps the quote for exactly these (and parameter problem it does not).
    return ip.icmp_type == 3 || ip.icmp_type == 4 || ip.icmp_type == 5 || ip.icmp_type == 11;
  }
  // RFC 4443: destination unreachable, packet too big, time exceeded (nf_log_ipv6 quotes these).
  return ip.icmp_type == 1 || ip.icmp_type == 2 || ip.icmp_type == 3;
}

bool IsIcmpEcho(const LogIpFields& ip) {
  if (ip.proto == d::kIpProtoIcmp) return ip.icmp_type == 0 || ip.icmp_type == 8;
  return ip.icmp_type == 128 || ip.icmp_type == 129;
}

uint8_t TcpFlagBit(std::string_view tok) {
  if (tok.size() != 3) return 0;
  switch (tok[0]) {
    case 'C': return tok == "CWR" ? d::kTcpCwr : 0;
    case 'E': return tok == "ECE" ? d::kTcpEce : 0;
    case 'U': return tok == "URG" ? d::kTcpUrg : 0;
    case 'A': return tok == "ACK" ? d::kTcpAck : 0;
    case 'P': return tok == "PSH" ? d::kTcpPsh : 0;
    case 'R': return tok == "RST" ? d::kTcpRst : 0;
    case 'S': return tok == "SYN" ? d::kTcpSyn : 0;
    case 'F': return tok == "FIN" ? d::kTcpFin : 0;
    default: return 0;
  }
}

bool ParseProto(std::string_view v, uint8_t* proto) {
  switch (v.empty() ? '\0' : v[0]) {
    case 'T': if (v == "TCP") { *proto = d::kIpProtoTcp; return true; } break;
    case 'U':
      if (v == "UDP") { *proto = d::kIpProtoUdp; return true; }
      if (v == "UDPLITE") { *proto = 136; return true; }
      break;
    case 'I':
      if (v == "ICMP") { *proto = d::kIpProtoIcmp; return true; }
      if (v == "ICMPv6") { *proto = d::kIpProtoIcmpv6; return true; }
      break;
    case 'A': if (v == "AH") { *proto = 51; return true; } break;
    case 'E': if (v == "ESP") { *proto = 50; return true; } break;
    case 'S': if (v == "SCTP") { *proto = 132; return true; } break;
    default: break;
  }
  return ParseDecAs(v, proto, 255);
}

// Checks that a packet's required fields were logged (what the kernel always prints).
Step Validate(const LogIpFields& ip, bool seen_src, bool seen_dst, bool inner, bool quote_closed,
              LogParseError& err) {
  if (!seen_src) return inner ? Fail(err, "SRC", "missing in quoted packet") : Step::kIncomplete;
  if (!seen_dst) return inner ? Fail(err, "DST", "missing in quoted packet") : Step::kIncomplete;
  if (!ip.has_len) return inner ? Fail(err, "LEN", "missing in quoted packet") : Step::kIncomplete;
  if (!ip.has_proto) return inner ? Fail(err, "PROTO", "missing in quoted packet") : Step::kIncomplete;
  if (!inner) {
    // The outer header is rebuilt in full, so its length must at least hold it.
    if (ip.ip_version == 4 && ip.ip_len < 20) return Fail(err, "LEN", "below the IPv4 header");
    if (ip.ip_version == 4 && ip.ip_len > 65535) return Fail(err, "LEN", "above 65535");
    if (ip.ip_version == 6 && ip.ip_len < 40) return Fail(err, "LEN", "below the IPv6 header");
  }
  if (ip.is_later_fragment() || ip.incomplete) return Step::kOk;
  if (ip.proto == d::kIpProtoTcp) {
    if (!ip.has_ports) return Fail(err, "DPT", "missing");
    if (!inner && !ip.has_window) return Fail(err, "WINDOW", "missing");
    if (!inner && !ip.has_urgp) return Fail(err, "URGP", "missing");
  } else if (ip.proto == d::kIpProtoUdp || ip.proto == 136) {
    if (!ip.has_ports) return Fail(err, "DPT", "missing");
    if (!inner && !ip.has_udp_len) return Fail(err, "LEN", "UDP length missing");
  } else if (ip.proto == d::kIpProtoIcmp || ip.proto == d::kIpProtoIcmpv6) {
    if (!ip.has_icmp) return Fail(err, "TYPE", "missing");
    if (IsIcmpEcho(ip) && !ip.has_icmp_echo) return Fail(err, "SEQ", "echo id/sequence missing");
    if (!inner && IsIcmpError(ip) && !quote_closed) {
      return Fail(err, "[", "quoted packet missing or unterminated");
    }
  }
  return Step::kOk;
}

// Parses the tokens of one packet. For the quoted packet of an ICMP error (inner = true) it
// consumes up to and including the closing "]". `first` is a token already taken from tk.
Step ParsePacket(Tokenizer& tk_io, std::string_view first, LogRecord& rec, LogIpFields& ip,
                 bool inner, LogParseError& err) {
  // A local copy whose address never escapes, so its position stays in a register: through the
  // reference, every byte-sized store into `ip` (which may alias anything) forced a reload.
  Tokenizer tk = tk_io;
  bool seen_src = false;
  bool seen_dst = false;
  bool closed = false;        // inner: saw "]"
  bool quote_closed = false;  // outer: the ICMP quote was parsed completely
  bool icmp_id_seen = false;
  std::string_view tok = first;
  size_t eq = first.find('=');
  bool have = !first.empty();
  while (have || tk.Next(&tok, &eq)) {
    have = false;
    if (inner) {
      if (tok == "]") {
        closed = true;
        break;
      }
      if (tok.back() == ']' && tok.find('[') == std::string_view::npos) {
        tok.remove_suffix(1);
        closed = true;
        if (tok.empty()) break;
      }
    }
    if (!inner && ip.has_proto && tok.front() == '[' &&
        (ip.proto == d::kIpProtoIcmp || ip.proto == d::kIpProtoIcmpv6)) {
      // The packet an ICMP error quotes: "[SRC=... DST=... ... ] " (dumped once, not nested).
      if (rec.has_inner) return Fail(err, "[", "second quoted packet");
      rec.has_inner = true;
      const std::string_view rest = tok.substr(1);
      std::string_view next = rest;
      if (rest.empty() && !tk.Next(&next)) return Fail(err, "[", "quoted packet unterminated");
      Tokenizer sub = tk;
      const Step s = ParsePacket(sub, next, rec, rec.inner, true, err);
      tk = sub;
      if (s != Step::kOk) return s;
      quote_closed = true;
      continue;
    }
    if (eq == std::string_view::npos) {
      // Flag words and the few "KEY:value" forms.
      if (!ip.has_proto) {
        if (tok == "DF") { ip.df = true; continue; }
        if (tok == "MF") { ip.mf = true; continue; }
        if (tok == "CE") { ip.ce = true; continue; }
        if (tok.starts_with("FRAG:")) {
          uint16_t v = 0;
          if (ip.ip_version == 6) {
            // nf_log_ipv6 prints the fragment header's offset field & 0xFFF8, i.e. bytes.
            if (!ParseDecAs(tok.substr(5), &v, 0xFFF8)) return Fail(err, "FRAG", "bad offset");
            ip.ipv6_frag_header = true;
            ip.frag_offset_units = static_cast<uint16_t>(v >> 3);
          } else {
            if (!ParseDecAs(tok.substr(5), &v, 0x1FFF)) return Fail(err, "FRAG", "bad offset");
            ip.frag_offset_units = v;
          }
          continue;
        }
        if (tok.starts_with("ID:")) {  // IPv6 fragment identification, hex
          uint64_t v = 0;
          if (!ParseHex(tok.substr(3), 0xFFFFFFFFu, &v)) return Fail(err, "ID", "bad hex");
          ip.ipv6_frag_id = static_cast<uint32_t>(v);
          continue;
        }
        if (tok == "INCOMPLETE") {  // IPv6 fragment header: more fragments follow
          ip.mf = true;
          continue;
        }
      } else {
        const uint8_t bit = TcpFlagBit(tok);
        if (bit != 0 && ip.proto == d::kIpProtoTcp) {
          ip.tcp_flags |= bit;
          continue;
        }
        if (tok == "INCOMPLETE") {
          // "INCOMPLETE [65535 bytes]": skip to the token that closes the bracket.
          ip.incomplete = true;
          std::string_view t;
          bool ok = false;
          while (tk.Next(&t)) {
            if (t.back() == ']') { ok = true; break; }
          }
          if (!ok) return Fail(err, "INCOMPLETE", "unterminated");
          continue;
        }
      }
      // OPT (hex), "(", ")", and anything else we do not know: ignored.
      continue;
    }
    const std::string_view key = tok.substr(0, eq);
    const std::string_view val = tok.substr(eq + 1);
    if (!ip.has_proto) {
      // Network layer (and the link fields before it).
      switch (key.size()) {
        case 2:
          if (key == "IN") { if (!inner) rec.in_iface = val; continue; }
          if (key == "ID") {
            if (!ParseDecAs(val, &ip.ip_id)) return Fail(err, "ID", "not a 16-bit number");
            continue;
          }
          if (key == "TC") {
            if (!ParseDecAs(val, &ip.tos)) return Fail(err, "TC", "not an 8-bit number");
            continue;
          }
          break;
        case 3:
          if (key == "SRC" || key == "DST") {
            const bool is_src = key[0] == 'S';
            auto& addr = is_src ? ip.src : ip.dst;
            uint8_t version = 4;
            bool ok;
            if (val.find(':') != std::string_view::npos) {
              version = 6;
              ok = ParseIpv6(val, &addr);
            } else {
              ok = ParseIpv4(val, addr.data());
            }
            if (!ok) return Fail(err, is_src ? "SRC" : "DST", "not an IP address");
            if (ip.ip_version != 0 && ip.ip_version != version) {
              return Fail(err, is_src ? "SRC" : "DST", "address family mismatch");
            }
            ip.ip_version = version;
            (is_src ? seen_src : seen_dst) = true;
            continue;
          }
          if (key == "LEN") {
            if (!ParseDecAs(val, &ip.ip_len, 65535 + 40)) return Fail(err, "LEN", "not a length");
            ip.has_len = true;
            continue;
          }
          if (key == "TOS") {
            uint64_t v = 0;
            if (!ParseHex(val, 0xFF, &v)) return Fail(err, "TOS", "not a hex byte");
            ip.tos |= static_cast<uint8_t>(v);
            continue;
          }
          if (key == "TTL") {
            if (!ParseDecAs(val, &ip.ttl)) return Fail(err, "TTL", "not an 8-bit number");
            continue;
          }
          if (key == "OUT") { if (!inner) rec.out_iface = val; continue; }
          if (key == "MAC") {
            // The link header as hex bytes: dst, src, EtherType for Ethernet. Other link types
            // (or an empty MAC=) leave the frame with zero MACs.
            if (!inner && val.size() >= 14 * 3 - 1 && val.size() % 3 == 2) {
              uint8_t buf[12];
              if (ParseMacBytes(val.substr(0, 12 * 3 - 1), 12, buf)) {
                for (int i = 0; i < 6; ++i) {
                  rec.dst_mac[i] = buf[i];
                  rec.src_mac[i] = buf[6 + i];
                }
                rec.has_mac = true;
              }
            }
            continue;
          }
          break;
        case 4:
          if (key == "PREC") {
            uint64_t v = 0;
            if (!ParseHex(val, 0xFF, &v)) return Fail(err, "PREC", "not a hex byte");
            ip.tos |= static_cast<uint8_t>(v);
            continue;
          }
          if (key == "FRAG") {  // accepted spelling FRAG=n (IPv4 units of 8 bytes)
            if (!ParseDecAs(val, &ip.frag_offset_units, 0x1FFF)) {
              return Fail(err, "FRAG", "bad offset");
            }
            continue;
          }
          break;
        case 5:
          if (key == "HTYPE") return Step::kNotIp;  // nf_log_arp: an ARP frame, not IP
          if (key == "PROTO") {
            if (!ParseProto(val, &ip.proto)) {
              // Bridge logs of non-IP frames print PROTO=0x0806 etc. without SRC=.
              if (!seen_src && val.starts_with("0x")) return Step::kNotIp;
              return Fail(err, "PROTO", "unknown protocol");
            }
            if (!seen_src) return Fail(err, "SRC", "missing before PROTO");
            ip.has_proto = true;
            continue;
          }
          break;
        case 6:
          if (key == "PHYSIN") { if (!inner) rec.phys_in = val; continue; }
          if (key == "MACSRC" || key == "MACDST") {
            auto& mac = key[3] == 'S' ? rec.src_mac : rec.dst_mac;
            if (!inner && ParseMacBytes(val, 6, mac.data())) rec.has_mac = true;
            continue;
          }
          break;
        case 7:
          if (key == "PHYSOUT") { if (!inner) rec.phys_out = val; continue; }
          if (key == "FLOWLBL") {
            if (!ParseDecAs(val, &ip.flow_label, 0xFFFFF)) return Fail(err, "FLOWLBL", "bad");
            continue;
          }
          break;
        case 8:
          if (key == "HOPLIMIT") {
            if (!ParseDecAs(val, &ip.ttl)) return Fail(err, "HOPLIMIT", "not an 8-bit number");
            continue;
          }
          break;
        default:
          break;
      }
      continue;  // MARK=, UID=, MACPROTO=, VPROTO=, ...: not part of the rebuilt headers
    }
    // Transport layer.
    switch (key.size()) {
      case 2:
        if (key == "ID" && (ip.proto == d::kIpProtoIcmp || ip.proto == d::kIpProtoIcmpv6)) {
          if (!ParseDecAs(val, &ip.icmp_id)) return Fail(err, "ID", "not a 16-bit number");
          icmp_id_seen = true;
          continue;
        }
        break;
      case 3:
        if (key == "SPT" || key == "DPT") {
          const bool is_src = key[0] == 'S';
          if (!ParseDecAs(val, is_src ? &ip.src_port : &ip.dst_port)) {
            return Fail(err, is_src ? "SPT" : "DPT", "not a port");
          }
          if (!is_src) ip.has_ports = true;
          continue;
        }
        if (key == "SEQ") {
          if (ip.proto == d::kIpProtoTcp) {
            if (!ParseDecAs(val, &ip.tcp_seq)) return Fail(err, "SEQ", "not a 32-bit number");
            ip.has_seq = true;
          } else {
            if (!ParseDecAs(val, &ip.icmp_seq)) return Fail(err, "SEQ", "not a 16-bit number");
            ip.has_icmp_echo = icmp_id_seen;
          }
          continue;
        }
        if (key == "ACK") {
          if (!ParseDecAs(val, &ip.tcp_ack)) return Fail(err, "ACK", "not a 32-bit number");
          continue;
        }
        if (key == "RES") {
          uint64_t v = 0;
          if (!ParseHex(val, 0xFF, &v)) return Fail(err, "RES", "not a hex byte");
          ip.tcp_reserved = static_cast<uint8_t>(v);
          continue;
        }
        if (key == "LEN") {
          if (!ParseDecAs(val, &ip.udp_len)) return Fail(err, "LEN", "not a UDP length");
          ip.has_udp_len = true;
          continue;
        }
        if (key == "MTU") {
          uint16_t v = 0;
          if (!ParseDecAs(val, &v)) return Fail(err, "MTU", "not a 16-bit number");
          // RFC 1191: IPv4 next-hop MTU in the low 16 bits; RFC 4443: IPv6 MTU is 32 bits.
          ip.icmp_rest = v;
          continue;
        }
        break;
      case 4:
        if (key == "TYPE" || key == "CODE") {
          const bool is_type = key[0] == 'T';
          if (!ParseDecAs(val, is_type ? &ip.icmp_type : &ip.icmp_code)) {
            return Fail(err, is_type ? "TYPE" : "CODE", "not an 8-bit number");
          }
          if (!is_type) ip.has_icmp = true;
          continue;
        }
        if (key == "URGP") {
          if (!ParseDecAs(val, &ip.tcp_urgp)) return Fail(err, "URGP", "not a 16-bit number");
          ip.has_urgp = true;
          continue;
        }
        break;
      case 6:
        if (key == "WINDOW") {
          if (!ParseDecAs(val, &ip.tcp_window)) return Fail(err, "WINDOW", "not a 16-bit number");
          ip.has_window = true;
          continue;
        }
        break;
      case 7:
        if (key == "GATEWAY") {
          uint8_t a[4];
          if (!ParseIpv4(val, a)) return Fail(err, "GATEWAY", "not an IPv4 address");
          ip.icmp_rest = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) |
                         a[3];
          continue;
        }
        if (key == "POINTER") {  // IPv6 parameter problem, printed %08x
          uint64_t v = 0;
          if (!ParseHex(val, 0xFFFFFFFFu, &v)) return Fail(err, "POINTER", "bad hex");
          ip.icmp_rest = static_cast<uint32_t>(v);
          continue;
        }
        break;
      case 9:
        if (key == "PARAMETER") {
          uint8_t v = 0;
          if (!ParseDecAs(val, &v)) return Fail(err, "PARAMETER", "not an 8-bit number");
          ip.icmp_rest = uint32_t{v} << 24;  // RFC 792: pointer in the first byte
          continue;
        }
        break;
      default:
        break;
    }
    // SPI=, UID=, GID=, MARK=, ...: ignored.
  }
  if (inner && !closed) return Fail(err, "[", "quoted packet unterminated");
  tk_io = tk;
  return Validate(ip, seen_src, seen_dst, inner, quote_closed, err);
}

size_t FindInToken(std::string_view msg) {
  size_t p = 0;
  while (true) {
    p = msg.find("IN=", p);
    if (p == std::string_view::npos) return p;
    if (p == 0 || msg[p - 1] == ' ') return p;
    p += 3;
  }
}

}  // namespace

bool LooksLikeNetfilter(std::string_view msg) { return FindInToken(msg) != std::string_view::npos; }

size_t FindNetfilterInToken(std::string_view msg) { return FindInToken(msg); }

LineKind ParseNetfilterMessage(std::string_view msg, LogRecord& rec, LogParseError& err) {
  const size_t in_pos = FindInToken(msg);
  if (in_pos == std::string_view::npos) return LineKind::kNonPacket;
  return ParseNetfilterMessage(msg, in_pos, rec, err);
}

LineKind ParseNetfilterMessage(std::string_view msg, size_t in_pos, LogRecord& rec,
                               LogParseError& err) {
  rec.format = LogFormat::kNetfilter;
  // The prefix is free text set by the rule (--log-prefix), usually ending in ": " or " ".
  std::string_view label = msg.substr(0, in_pos);
  while (!label.empty() && (label.back() == ' ' || label.back() == ':')) label.remove_suffix(1);
  while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
  rec.label = label;
  Tokenizer tk(msg.substr(in_pos));
  switch (ParsePacket(tk, {}, rec, rec.ip, false, err)) {
    case Step::kOk: return LineKind::kPacket;
    case Step::kIncomplete:
      err.field = "PROTO";
      err.why = "line ends before SRC/DST/LEN/PROTO";
      return LineKind::kIncomplete;
    case Step::kNotIp: return LineKind::kNonPacket;
    case Step::kMalformed: return LineKind::kMalformed;
  }
  return LineKind::kMalformed;
}

}  // namespace tapwatch::sensor
