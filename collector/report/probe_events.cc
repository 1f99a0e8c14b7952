#include "collector/report/probe_events.h"

namespace tapwatch::collector::report {

ProbePattern ClassifyProbe(const FlowRow& r) {
  if (!r.Tcp()) return kProbeOther;
  const int f = (r.src_initial_flags >= 0 ? r.src_initial_flags : r.src_flags) & 0x3F;
  if (f == 0x01) return kProbeFin;
  if ((f & 0x29) == 0x29 && !(f & 0x02)) return kProbeXmas;
  if (f == 0 && r.src_initial_flags >= 0) return kProbeNull;
  if ((f & 0x03) == 0x03) return kProbeSynFin;
  if (f == 0x11 && r.src_payload == 0) return kProbeMaimon;
  if (f == 0x10 && r.src_payload == 0 && r.src_pkts <= 2) return kProbeAck;
  if (f == 0x02 && r.src_payload == 0)
    return (r.src_flags & 0x10) && (r.dst_flags & 0x12) == 0x12 ? kProbeConnect : kProbeSyn;
  return kProbeOther;
}

}  // namespace tapwatch::collector::report
