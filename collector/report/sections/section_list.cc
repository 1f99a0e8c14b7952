#include "collector/report/sections/section_list.h"

#include "collector/report/sections/bare_ack.h"
#include "collector/report/sections/compromise.h"
#include "collector/report/sections/dns_lookups.h"
#include "collector/report/sections/floods.h"
#include "collector/report/sections/gaps.h"
#include "collector/report/sections/hosts.h"
#include "collector/report/sections/icmp_lengths.h"
#include "collector/report/sections/log_lines.h"
#include "collector/report/sections/mac_aliases.h"
#include "collector/report/sections/meta.h"
#include "collector/report/sections/open_ports.h"
#include "collector/report/sections/ports.h"
#include "collector/report/sections/recon.h"
#include "collector/report/sections/reserved_destinations.h"
#include "collector/report/sections/slow_scans.h"
#include "collector/report/sections/spoofed.h"
#include "collector/report/sections/threats.h"
#include "collector/report/sections/trends.h"

namespace tapwatch::collector::report {
namespace {

template <typename T>
std::unique_ptr<ReportSection> Make(ReportContext& ctx) {
  return std::make_unique<T>(ctx);
}

}  // namespace

// Build order matters where one section feeds another: recon fills the probe events slow_scans
// reads and the attacks compromise and dns_lookups read; threats comes last.
const std::array<SectionEntry, kSectionCount> kSections = {{
    {"meta", Make<MetaSection>},
    {"hosts", Make<HostsSection>},
    {"open_ports", Make<OpenPortsSection>},
    {"mac_aliases", Make<MacAliasesSection>},
    {"icmp_lengths", Make<IcmpLengthsSection>},
    {"ports", Make<PortsSection>},
    {"trends", Make<TrendsSection>},
    {"recon", Make<ReconSection>},
    {"slow_scans", Make<SlowScansSection>},
    {"spoofed", Make<SpoofedSection>},
    {"floods", Make<FloodsSection>},
    {"compromise", Make<CompromiseSection>},
    {"dns_lookups", Make<DnsLookupsSection>},
    {"gaps", Make<GapsSection>},
    {"reserved_destinations", Make<ReservedDestinationsSection>},
    {"bare_ack", Make<BareAckSection>},
    {"log_lines", Make<LogLinesSection>},
    {"threats", Make<ThreatsSection>},
}};

}  // namespace tapwatch::collector::report
