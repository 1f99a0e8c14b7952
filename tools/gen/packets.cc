#include "tools/gen/packets.h"

namespace tapwatch::tools {

namespace {

void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void Put16Le(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void Append(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }

}  // namespace

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

Tins::EthernetII PacketFactory::Eth(uint32_t src, uint32_t dst) {
  return Tins::EthernetII(Tins::EthernetII::address_type(mac_(dst)),
                          Tins::EthernetII::address_type(mac_(src)));
}

Tins::IP PacketFactory::Ip(uint32_t src, uint32_t dst, uint8_t ttl, bool df) {
  Tins::IP ip(Ip4(dst), Ip4(src));
  ip.ttl(ttl);
  auto it = ip_ids_.find(src);
  // Start each source's IP ID counter at a value derived from its address, then count up.
  if (it == ip_ids_.end()) {
    it = ip_ids_.emplace(src, static_cast<uint16_t>((src * 2654435761u) >> 16)).first;
  }
  ip.id(it->second++);
  ip.flags(df ? Tins::IP::DONT_FRAGMENT : static_cast<Tins::IP::Flags>(0));
  return ip;
}

void PacketFactory::AddTcp(uint64_t ts_us, const Tcp& t, const Bytes& payload,
                           const std::string& label) {
  Tins::TCP tcp(t.dport, t.sport);
  tcp.flags(t.flags);
  tcp.seq(t.seq);
  tcp.ack_seq((t.flags & kAck) ? t.ack : 0);
  tcp.window(t.window);
  Tins::EthernetII pkt = Eth(t.src, t.dst) / Ip(t.src, t.dst, t.ttl, t.df) / tcp;
  if (!payload.empty()) pkt /= Tins::RawPDU(payload);
  cap_.Add(ts_us, pkt, label);
}

void PacketFactory::AddUdp(uint64_t ts_us, uint32_t src, uint16_t sport, uint32_t dst,
                           uint16_t dport, const Bytes& payload, uint8_t ttl,
                           const std::string& label) {
  Tins::EthernetII pkt = Eth(src, dst) / Ip(src, dst, ttl, false) / Tins::UDP(dport, sport);
  if (!payload.empty()) pkt /= Tins::RawPDU(payload);
  cap_.Add(ts_us, pkt, label);
}

Bytes PacketFactory::AddEcho(uint64_t ts_us, uint32_t src, uint32_t dst, bool request,
                             uint16_t id, uint16_t seq, const Bytes& data, uint8_t ttl,
                             const std::string& label) {
  Tins::ICMP icmp(request ? Tins::ICMP::ECHO_REQUEST : Tins::ICMP::ECHO_REPLY);
  icmp.id(id);
  icmp.sequence(seq);
  Tins::EthernetII pkt = Eth(src, dst) / Ip(src, dst, ttl, false) / icmp;
  if (!data.empty()) pkt /= Tins::RawPDU(data);
  cap_.Add(ts_us, pkt, label);
  return pkt.find_pdu<Tins::IP>()->serialize();
}

void PacketFactory::AddTimeExceeded(uint64_t ts_us, uint32_t router, uint32_t dst,
                                    const Bytes& quoted_ip, uint8_t ttl) {
  Tins::ICMP icmp(Tins::ICMP::TIME_EXCEEDED);
  icmp.code(0);
  Bytes quoted(quoted_ip.begin(), quoted_ip.begin() + std::min<size_t>(28, quoted_ip.size()));
  Tins::EthernetII pkt = Eth(router, dst) / Ip(router, dst, ttl, false) / icmp /
                         Tins::RawPDU(quoted);
  cap_.Add(ts_us, pkt, "time_exceeded");
}

Bytes NetbiosName(const std::string& name, uint8_t suffix, uint8_t pad) {
  uint8_t raw[16];
  for (int i = 0; i < 15; ++i) {
    raw[i] = i < static_cast<int>(name.size()) ? static_cast<uint8_t>(name[i]) : pad;
  }
  raw[15] = suffix;
  Bytes out{32};
  for (uint8_t c : raw) {
    out.push_back(static_cast<uint8_t>('A' + (c >> 4)));
    out.push_back(static_cast<uint8_t>('A' + (c & 0x0f)));
  }
  out.push_back(0);
  return out;
}

Bytes NbnsNbstatQuery(uint16_t id) {
  Bytes b;
  Put16(b, id);
  Put16(b, 0x0000);  // query, opcode 0, no flags (unicast)
  Put16(b, 1);
  Put16(b, 0);
  Put16(b, 0);
  Put16(b, 0);
  Append(b, NetbiosName("*", 0x00, 0x00));  // "*" padded with NULs: CKAAAA...
  Put16(b, 0x0021);                         // NBSTAT
  Put16(b, 0x0001);                         // IN
  return b;
}

Bytes NbnsNbstatResponse(uint16_t id, const std::vector<std::string>& names, const Bytes& mac) {
  Bytes rdata;
  rdata.push_back(static_cast<uint8_t>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    std::string n = names[i];
    n.resize(15, ' ');
    rdata.insert(rdata.end(), n.begin(), n.end());
    rdata.push_back(0x00);                       // suffix <00>
    Put16(rdata, i == 0 ? 0x0400 : 0x8400);      // active; group bit on the workgroup name
  }
  Bytes stats(46, 0);
  std::copy(mac.begin(), mac.begin() + 6, stats.begin());  // unit id = adapter MAC
  Append(rdata, stats);
  Bytes b;
  Put16(b, id);
  Put16(b, 0x8400);  // response, authoritative
  Put16(b, 0);
  Put16(b, 1);
  Put16(b, 0);
  Put16(b, 0);
  Append(b, NetbiosName("*", 0x00, 0x00));
  Put16(b, 0x0021);
  Put16(b, 0x0001);
  Put32(b, 0);
  Put16(b, static_cast<uint16_t>(rdata.size()));
  Append(b, rdata);
  return b;
}

Bytes NbnsRegistration(uint16_t id, const std::string& name, uint32_t ip) {
  Bytes b;
  Put16(b, id);
  Put16(b, 0x2910);  // opcode 5 registration, RD, broadcast
  Put16(b, 1);
  Put16(b, 0);
  Put16(b, 0);
  Put16(b, 1);
  Append(b, NetbiosName(name, 0x00));
  Put16(b, 0x0020);  // NB
  Put16(b, 0x0001);
  Put16(b, 0xc00c);  // pointer to the question name
  Put16(b, 0x0020);
  Put16(b, 0x0001);
  Put32(b, 300000);
  Put16(b, 6);
  Put16(b, 0x0000);  // B-node, unique
  Put32(b, ip);
  return b;
}

Bytes NbssSmb1Request(uint8_t command, uint16_t tid, uint16_t pid, uint16_t uid, uint16_t mid) {
  Bytes smb{0xff, 'S', 'M', 'B', command, 0, 0, 0, 0, 0x18};
  Put16Le(smb, 0xc807);                 // flags2: unicode, NT status, long names...
  smb.insert(smb.end(), 12, 0);         // PID high, signature, reserved
  Put16Le(smb, tid);
  Put16Le(smb, pid);
  Put16Le(smb, uid);
  Put16Le(smb, mid);
  if (command == 0x2b) {  // SMB_COM_ECHO: WCT 1, EchoCount 1, BCC 1, one data byte
    smb.push_back(1);
    Put16Le(smb, 1);
    Put16Le(smb, 1);
    smb.push_back(0x61);
  } else {  // SMB_COM_TREE_DISCONNECT and others: WCT 0, BCC 0
    smb.push_back(0);
    Put16Le(smb, 0);
  }
  Bytes b{0x00, 0x00};  // session message, length (17 bits; fits in 16 here)
  Put16(b, static_cast<uint16_t>(smb.size()));
  Append(b, smb);
  return b;
}

namespace {
void PutQname(Bytes& b, const std::string& qname) {
  size_t pos = 0;
  while (pos <= qname.size()) {
    size_t dot = qname.find('.', pos);
    if (dot == std::string::npos) dot = qname.size();
    b.push_back(static_cast<uint8_t>(dot - pos));
    b.insert(b.end(), qname.begin() + pos, qname.begin() + dot);
    pos = dot + 1;
  }
  b.push_back(0);
}
}  // namespace

Bytes DnsQuery(uint16_t id, const std::string& qname) {
  Bytes b;
  Put16(b, id);
  Put16(b, 0x0100);  // RD
  Put16(b, 1);
  Put16(b, 0);
  Put16(b, 0);
  Put16(b, 0);
  PutQname(b, qname);
  Put16(b, 1);
  Put16(b, 1);
  return b;
}

Bytes DnsResponse(uint16_t id, const std::string& qname, uint32_t addr) {
  Bytes b;
  Put16(b, id);
  Put16(b, 0x8180);
  Put16(b, 1);
  Put16(b, 1);
  Put16(b, 0);
  Put16(b, 0);
  PutQname(b, qname);
  Put16(b, 1);
  Put16(b, 1);
  Put16(b, 0xc00c);
  Put16(b, 1);
  Put16(b, 1);
  Put32(b, 3600);
  Put16(b, 4);
  Put32(b, addr);
  return b;
}

}  // namespace tapwatch::tools
