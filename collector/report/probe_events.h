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
  uint32_t t_s : 28;     // seconds since period start (clamped: 8.5 years)
  uint32_t pattern : 4;  // ProbePattern; in the same word as t_s: 16 bytes a probe, as before
  uint16_t port;         // 0 for ICMP
  uint8_t proto;
  uint8_t bits;  // kEv*
};
static_assert(sizeof(ScanEv) == 16, "one probe per flow: keep it small");
constexpr uint32_t kMaxProbeSeconds = (uint32_t{1} << 28) - 1;
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
