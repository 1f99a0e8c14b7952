// The report's sections, in output order: one list drives the JSON, text, Markdown and HTML
// outputs. Adding a section touches its own files, this list (section_list.cc) and its doc.
#pragma once

#include <array>
#include <memory>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

struct SectionEntry {
  const char* key;  // the report's JSON key (docs/report.md)
  std::unique_ptr<ReportSection> (*make)(ReportContext& ctx);
};

constexpr size_t kSectionCount = 18;
/// meta first, threats last (it ranks the findings of every section built before it).
extern const std::array<SectionEntry, kSectionCount> kSections;

}  // namespace tapwatch::collector::report
