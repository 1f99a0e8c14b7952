// One record per probe (a flow's first record with packets from its initiator), kept by
// `recon` in ReportContext::probe_events for `recon`, `slow_scans` and `compromise`.
#pragma once

#include <cstdint>

#include "collector/report/flow_row.h"

namespace tapwatch::collector::report {

// A compact probe record for scan analysis.
struct ScanEv {
  uint32_t src;
  uint32_t dst;
  uint32_t t_s;          // seconds since period start
  uint16_t port;         // 0 for ICMP
  uint8_t proto;
  uint8_t bits;          // kEv*
  uint16_t t_ms : 10;    // and milliseconds: the order of a fast scan's probes within a second
  uint16_t pattern : 4;  // ProbePattern
};
static_assert(sizeof(ScanEv) == 20, "one probe per flow: keep it small");

// Probes of one source in time order; the target breaks a tie within a millisecond, so the order
// (and every first/last target) does not depend on the order rows were stored in.
inline bool EarlierProbe(const ScanEv& a, const ScanEv& b) {
  if (a.t_s != b.t_s) return a.t_s < b.t_s;
  if (a.t_ms != b.t_ms) return a.t_ms < b.t_ms;
  if (a.dst != b.dst) return a.dst < b.dst;
  return a.port < b.port;
}
constexpr uint8_t kEvSuccess = 1, kEvEcho = 2, kEvNmap28 = 4, kEvOddFlags = 8, kEvWelchia = 16,
                  kEvConversation = 32, kEvFromHome = 64;

// What a TCP probe's first packet looked like: nmap's scan types differ by flags alone.
enum ProbePattern : uint8_t {
  kProbeOther,
  kProbeSyn,      // SYN, never acknowledged (-sS)
  kProbeConnect,  // SYN then ACK, no payload (-sT)
  kProbeAck,      // a lone ACK without payload (-sA / -sW)
  kProbeFin,
  kProbeXmas,
  kProbeNull,
  kProbeSynFin,
  kProbeMaimon,  // FIN|ACK (-sM)
  kProbePatterns
};
constexpr const char* kProbeNames[kProbePatterns] = {"other", "SYN",  "connect", "ACK",    "FIN",
                                                     "XMAS",  "NULL", "SYN|FIN", "FIN|ACK"};
constexpr const char* kProbeTools[kProbePatterns] = {
    "TCP port scan",        "SYN scan (nmap -sS)", "connect scan (nmap -sT)",
    "ACK scan (nmap -sA)",  "FIN scan (nmap -sF)", "Xmas scan (nmap -sX)",
    "NULL scan (nmap -sN)", "SYN|FIN probes",      "Maimon scan (nmap -sM)"};

ProbePattern ClassifyProbe(const FlowRow& r);

}  // namespace tapwatch::collector::report
