// Renders the report document (see report_builder.h) as text, Markdown, JSON or one
// self-contained HTML page (render_html.cc: inline SVG charts and a small script, no external
// resources).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "collector/report/json_value.h"

namespace tapwatch::collector::report {

std::string RenderText(const JsonValue& report);
std::string RenderMarkdown(const JsonValue& report);
std::string RenderJson(const JsonValue& report);
/// RenderJson's text, handed to sink one top-level member at a time (bounded memory for a large
/// report); each member's tree is released once written, so report is left empty.
void RenderJsonTo(JsonValue&& report, const std::function<void(std::string_view)>& sink);
/// The text RenderJsonTo writes for the report's member number index (from 0): "{" (first) or
/// "," (others), then "\n  \"key\": value"; "\n}\n" follows the last member.
void AppendJsonMember(std::string& out, size_t index, std::string_view key, const JsonValue& value);
std::string RenderHtml(const JsonValue& report);

}  // namespace tapwatch::collector::report
