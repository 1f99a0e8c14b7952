#include "collector/report/render.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

#include "collector/printable.h"
#include "collector/report/render_common.h"

namespace tapwatch::collector::report {

namespace {

constexpr size_t kMaxCell = 48;  // text and Markdown tables stay readable in a terminal
constexpr size_t kMaxRows = 60;

std::string Cell(const JsonValue& v) {
  std::string s = Scalar(v);
  if (s.size() > kMaxCell) s = s.substr(0, kMaxCell - 3) + "...";
  return s;
}

std::string Cell(const JsonValue& row, const std::string& col) {
  const JsonValue* v = row.Find(col);
  return v ? Cell(*v) : "";
}

void TextTable(std::string& out, const JsonValue& table) {
  auto cols = Columns(table);
  std::vector<size_t> width(cols.size());
  size_t rows = std::min(table.size(), kMaxRows);
  for (size_t c = 0; c < cols.size(); ++c) {
    width[c] = cols[c].size();
    for (size_t r = 0; r < rows; ++r)
      width[c] = std::max(width[c], Cell(table.items()[r], cols[c]).size());
  }
  auto line = [&](auto get) {
    out += "  ";
    for (size_t c = 0; c < cols.size(); ++c) {
      std::string s = get(c);
      out += s;
      if (c + 1 < cols.size()) out.append(width[c] - s.size() + 2, ' ');
    }
    out += "\n";
  };
  line([&](size_t c) { return cols[c]; });
  for (size_t r = 0; r < rows; ++r) line([&](size_t c) { return Cell(table.items()[r], cols[c]); });
  if (table.size() > rows)
    out += "  ... " + std::to_string(table.size() - rows) + " more (see --format json)\n";
}

// Markdown passes inline HTML through to the page: '<' '>' '&' as entities, so a log prefix
// "<script>" is shown, never run.
std::string MdEscape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += " ";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out.push_back(c);
  }
  return out;
}

void MdTable(std::string& out, const JsonValue& table) {
  auto cols = Columns(table);
  out += "|";
  for (const auto& c : cols) out += " " + MdEscape(c) + " |";
  out += "\n|";
  for (size_t i = 0; i < cols.size(); ++i) out += " --- |";
  out += "\n";
  size_t rows = std::min(table.size(), kMaxRows);
  for (size_t r = 0; r < rows; ++r) {
    out += "|";
    for (const auto& c : cols) out += " " + MdEscape(Cell(table.items()[r], c)) + " |";
    out += "\n";
  }
  if (table.size() > rows)
    out += "\n_" + std::to_string(table.size() - rows) + " more rows in the JSON output._\n";
  out += "\n";
}

}  // namespace

std::string RenderJson(const JsonValue& report) { return report.Dump(2) + "\n"; }

void RenderJsonTo(JsonValue&& report, const std::function<void(std::string_view)>& sink) {
  if (!report.is_object() || report.size() == 0) {
    sink(RenderJson(report));
    return;
  }
  // Same text as Dump(2): "{", then per member ",\n  \"key\": value", then "\n}\n".
  JsonValue doc = std::move(report);
  std::string chunk;
  const size_t n = doc.size();
  for (size_t i = 0; i < n; ++i) {
    auto& [key, value] = doc.TakeMember(i);
    AppendJsonMember(chunk, i, key, value);
    value = JsonValue();
    sink(chunk);
    chunk.clear();
    chunk.shrink_to_fit();
  }
  sink("\n}\n");
}

void AppendJsonMember(std::string& out, size_t index, std::string_view key,
                      const JsonValue& value) {
  out.push_back(index == 0 ? '{' : ',');
  out += "\n  ";
  AppendJsonString(out, key);
  out += ": ";
  value.DumpTo(out, 2, 1);
}

std::string RenderText(const JsonValue& report) {
  std::string out;
  if (const JsonValue* meta = report.Find("meta")) {
    out += "tapwatch report: " + Scalar(*meta->Find("db")) + "\n";
    out += "period " + Scalar(*meta->Find("first")) + " .. " + Scalar(*meta->Find("last")) + ", " +
           Scalar(*meta->Find("flows")) + " flows, home " + Scalar(*meta->Find("home")) + " (" +
           Scalar(*meta->Find("home_how")) + ")\n";
    if (const JsonValue* received = meta->Find("records_received")) {
      out += "records " + Scalar(*received) + " received, " + Scalar(*meta->Find("records_lost")) +
             " lost (" + Scalar(*meta->Find("records_unrecoverable")) + " gone from the sensor's "
             "buffer), " + Scalar(*meta->Find("records_recovered")) + " sent again; " +
             Scalar(*meta->Find("sequence_resyncs")) + " sequence resyncs, " +
             Scalar(*meta->Find("sensor_id_conflicts")) + " sensor id conflicts\n";
    }
  }
  int n = 0;
  for (const char* key : SectionKeys()) {
    const JsonValue* sec = report.Find(key);
    if (!sec) continue;
    out += "\n" + std::to_string(++n) + ". " + Scalar(*sec->Find("title")) + "  [" + key + "]\n";
    out += "Q: " + Scalar(*sec->Find("question")) + "\nA: " + Scalar(*sec->Find("answer")) + "\n";
    for (const auto& [k, v] : sec->members()) {
      if (IsHeaderKey(k)) continue;
      if (IsTable(v)) {
        out += "\n " + k + ":\n";
        TextTable(out, v);
      } else if (!v.is_array() || v.size() > 0) {
        std::string s = Scalar(v);
        if (s.size() > 200) s = s.substr(0, 197) + "...";
        out += " " + k + ": " + s + "\n";
      }
    }
  }
  return out;
}

std::string RenderMarkdown(const JsonValue& report) {
  std::string out = "# tapwatch report\n\n";
  if (const JsonValue* meta = report.Find("meta")) {
    out += "| | |\n| --- | --- |\n";
    for (const auto& [k, v] : meta->members())
      out += "| " + k + " | " + MdEscape(Scalar(v)) + " |\n";
    out += "\n";
  }
  int n = 0;
  for (const char* key : SectionKeys()) {
    const JsonValue* sec = report.Find(key);
    if (!sec) continue;
    out +=
        "## " + std::to_string(++n) + ". " + Scalar(*sec->Find("title")) + " (`" + key + "`)\n\n";
    out += "**Q:** " + MdEscape(Scalar(*sec->Find("question"))) + "  \n**A:** " +
           MdEscape(Scalar(*sec->Find("answer"))) + "\n\n";
    for (const auto& [k, v] : sec->members()) {
      if (IsHeaderKey(k)) continue;
      if (IsTable(v)) {
        out += "### " + k + "\n\n";
        MdTable(out, v);
      } else if (!v.is_array() || v.size() > 0) {
        std::string s = Scalar(v);
        if (s.size() > 300) s = s.substr(0, 297) + "...";
        out += "- " + k + ": " + MdEscape(s) + "\n";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace tapwatch::collector::report
