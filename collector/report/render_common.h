// What every report format shares: the section order, and how a JSON value reads as text.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "collector/report/json_value.h"

namespace tapwatch::collector::report {

/// The sections' keys in output order (sections/section_list.cc), meta excepted: it is the
/// header of every format.
const std::vector<const char*>& SectionKeys();

/// An array of objects: rendered as a table.
bool IsTable(const JsonValue& v);
/// title, question and answer: every section's header, not its body.
bool IsHeaderKey(const std::string& k);

/// A value as one line of text, control characters neutralised. Arrays and objects stop after
/// about max_chars characters (the text formats); the HTML page passes SIZE_MAX and shows all.
std::string Scalar(const JsonValue& v, size_t max_chars = 400);

/// Table columns: the union of the first rows' keys, without the wide nested ones (objects of
/// more than four members, arrays of objects), which only the JSON output carries.
std::vector<std::string> Columns(const JsonValue& table);

}  // namespace tapwatch::collector::report
