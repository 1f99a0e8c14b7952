#include "collector/report/render.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

#include "collector/printable.h"
#include "collector/report/sections/section_list.h"

namespace tapwatch::collector::report {

namespace {

// The sections' keys in output order (sections/section_list.cc), meta excepted: it is the
// header of every format.
const std::vector<const char*>& SectionKeys() {
  static const std::vector<const char*> keys = [] {
    std::vector<const char*> k;
    for (const auto& entry : kSections) {
      if (std::string_view(entry.key) != "meta") k.push_back(entry.key);
    }
    return k;
  }();
  return keys;
}

constexpr size_t kMaxCell = 48;
constexpr size_t kMaxRows = 60;

bool IsTable(const JsonValue& v) {
  return v.is_array() && v.size() > 0 && v.items()[0].is_object();
}

bool IsHeaderKey(const std::string& k) { return k == "title" || k == "question" || k == "answer"; }

std::string Scalar(const JsonValue& v) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      return "-";
    case JsonValue::Kind::kBool:
      return v.as_bool() ? "yes" : "no";
    case JsonValue::Kind::kString:
      return Printable(v.as_string());  // text from sensors and logs: no control characters
    case JsonValue::Kind::kInt:
    case JsonValue::Kind::kDouble:
      return v.Dump();
    default:
      break;
  }
  std::string out;
  if (v.is_array()) {
    for (const auto& i : v.items()) {
      if (!out.empty()) out += ", ";
      out += i.is_object() || i.is_array() ? i.Dump() : Scalar(i);
      if (out.size() > 400) break;
    }
  } else {
    for (const auto& [k, m] : v.members()) {
      if (!out.empty()) out += ", ";
      out += Printable(k) + "=" + (m.is_object() || m.is_array() ? m.Dump() : Scalar(m));
      if (out.size() > 400) break;
    }
  }
  return out;
}

std::string Cell(const JsonValue& v) {
  std::string s = Scalar(v);
  if (s.size() > kMaxCell) s = s.substr(0, kMaxCell - 3) + "...";
  return s;
}

// Table columns: the union of the first rows' keys, without the wide nested ones (objects of
// more than four members, arrays of objects), which only the JSON output carries.
std::vector<std::string> Columns(const JsonValue& table) {
  std::vector<std::string> cols, wide;
  for (size_t r = 0; r < table.size() && r < 20; ++r) {
    for (const auto& [k, m] : table.items()[r].members()) {
      bool is_wide = (m.is_object() && m.size() > 4) || (IsTable(m) && m.items()[0].size() > 3);
      auto& list = is_wide ? wide : cols;
      if (std::find(list.begin(), list.end(), k) == list.end()) list.push_back(k);
    }
  }
  std::vector<std::string> out;
  for (const auto& c : cols) {
    if (std::find(wide.begin(), wide.end(), c) == wide.end()) out.push_back(c);
  }
  return out;
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

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void HtmlTable(std::string& out, const JsonValue& table) {
  auto cols = Columns(table);
  out += "<table><tr>";
  for (const auto& c : cols) out += "<th>" + HtmlEscape(c) + "</th>";
  out += "</tr>\n";
  size_t rows = std::min(table.size(), kMaxRows);
  for (size_t r = 0; r < rows; ++r) {
    out += "<tr>";
    for (const auto& c : cols) out += "<td>" + HtmlEscape(Cell(table.items()[r], c)) + "</td>";
    out += "</tr>\n";
  }
  out += "</table>\n";
  if (table.size() > rows)
    out += "<p class=more>" + std::to_string(table.size() - rows) +
           " more rows in the JSON output.</p>\n";
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Horizontal bar chart: labels and values.
std::string SvgBars(const std::string& title,
                    const std::vector<std::pair<std::string, double>>& bars) {
  if (bars.empty()) return "";
  const double w = 640, label_w = 140, bar_h = 16, gap = 4;
  double h = 30 + bars.size() * (bar_h + gap);
  double mx = 0;
  for (auto& b : bars) mx = std::max(mx, b.second);
  if (mx <= 0) mx = 1;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + Fmt(w) + "' height='" +
                  Fmt(h) + "' role='img'><title>" + HtmlEscape(title) + "</title>";
  s += "<text x='4' y='16' class='t'>" + HtmlEscape(title) + "</text>";
  for (size_t i = 0; i < bars.size(); ++i) {
    double y = 26 + i * (bar_h + gap);
    double bw = (w - label_w - 90) * bars[i].second / mx;
    s += "<text x='" + Fmt(label_w - 6) + "' y='" + Fmt(y + 12) + "' text-anchor='end'>" +
         HtmlEscape(bars[i].first) + "</text>";
    s += "<rect x='" + Fmt(label_w) + "' y='" + Fmt(y) + "' width='" + Fmt(std::max(bw, 1.0)) +
         "' height='" + Fmt(bar_h) + "' class='bar'/>";
    s += "<text x='" + Fmt(label_w + bw + 4) + "' y='" + Fmt(y + 12) + "'>" +
         std::to_string(static_cast<long long>(bars[i].second)) + "</text>";
  }
  return s + "</svg>\n";
}

// Line chart: one polyline per series over a shared x axis.
std::string SvgLines(const std::string& title,
                     const std::vector<std::pair<std::string, std::vector<double>>>& series,
                     const std::string& first_label, const std::string& last_label) {
  if (series.empty()) return "";
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000"};
  const double w = 720, h = 260, left = 60, right = 150, top = 26, bottom = 30;
  double mx = 0;
  size_t n = 0;
  for (auto& [name, ys] : series) {
    n = std::max(n, ys.size());
    for (double y : ys) mx = std::max(mx, y);
  }
  if (mx <= 0) mx = 1;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + Fmt(w) + "' height='" +
                  Fmt(h) + "' role='img'><title>" + HtmlEscape(title) + "</title>";
  s += "<text x='4' y='16' class='t'>" + HtmlEscape(title) + "</text>";
  s += "<line x1='" + Fmt(left) + "' y1='" + Fmt(h - bottom) + "' x2='" + Fmt(w - right) +
       "' y2='" + Fmt(h - bottom) + "' class='axis'/>";
  s += "<line x1='" + Fmt(left) + "' y1='" + Fmt(top) + "' x2='" + Fmt(left) + "' y2='" +
       Fmt(h - bottom) + "' class='axis'/>";
  s += "<text x='" + Fmt(left - 4) + "' y='" + Fmt(top + 10) + "' text-anchor='end'>" +
       std::to_string(static_cast<long long>(mx)) + "</text>";
  s += "<text x='" + Fmt(left) + "' y='" + Fmt(h - 10) + "'>" + HtmlEscape(first_label) + "</text>";
  s += "<text x='" + Fmt(w - right) + "' y='" + Fmt(h - 10) + "' text-anchor='end'>" +
       HtmlEscape(last_label) + "</text>";
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& ys = series[i].second;
    std::string pts;
    for (size_t k = 0; k < ys.size(); ++k) {
      double x = left + (n > 1 ? (w - left - right) * k / (n - 1) : 0);
      double y = (h - bottom) - (h - top - bottom) * ys[k] / mx;
      pts += Fmt(x) + "," + Fmt(y) + " ";
    }
    const char* color = kColors[i % 11];
    s += "<polyline fill='none' stroke='" + std::string(color) + "' stroke-width='1.5' points='" +
         pts + "'/>";
    s += "<text x='" + Fmt(w - right + 6) + "' y='" + Fmt(top + 12 + 14 * i) + "' fill='" + color +
         "'>" + HtmlEscape(series[i].first) + "</text>";
  }
  return s + "</svg>\n";
}

std::string Charts(const std::string& key, const JsonValue& sec) {
  std::string out;
  if (key == "trends") {
    std::vector<std::pair<std::string, std::vector<double>>> series;
    if (const JsonValue* cats = sec.Find("categories")) {
      for (const auto& c : cats->items()) {
        std::vector<double> ys;
        if (const JsonValue* sv = c.Find("series")) {
          for (const auto& v : sv->items()) ys.push_back(v.as_double());
        }
        series.push_back({c.Find("category")->as_string(), ys});
      }
    }
    std::string first, last;
    if (const JsonValue* st = sec.Find("bucket_starts"); st && st->size()) {
      first = st->items().front().as_string().substr(0, 16);
      last = st->items().back().as_string().substr(0, 16);
    }
    out += SvgLines("Packets per " +
                        (sec.Find("bucket") ? sec.Find("bucket")->as_string() : "bucket") +
                        " and category",
                    series, first, last);
  } else if (key == "ports") {
    for (const char* proto : {"tcp", "udp"}) {
      std::vector<std::pair<std::string, double>> bars;
      if (const JsonValue* rows = sec.Find(proto)) {
        for (const auto& r : rows->items()) {
          if (bars.size() >= 20) break;
          std::string label = Scalar(*r.Find("port"));
          if (const JsonValue* svc = r.Find("service"); svc && !svc->as_string().empty())
            label += " " + svc->as_string();
          bars.push_back({label, r.Find("packets")->as_double()});
        }
      }
      out += SvgBars(std::string("Inbound ") + proto + " packets by destination port", bars);
    }
  } else if (key == "icmp_lengths") {
    std::vector<std::pair<std::string, double>> bars;
    if (const JsonValue* rows = sec.Find("lengths")) {
      for (const auto& r : rows->items()) {
        bars.push_back({"len " + Scalar(*r.Find("ip_length")), r.Find("packets")->as_double()});
      }
    }
    out += SvgBars("ICMP packets by IP total length", bars);
  }
  return out;
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

std::string RenderHtml(const JsonValue& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>tapwatch "
      "report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}"
      "table{border-collapse:collapse;margin:.5em 0;font-size:12px}td,th{border:1px solid #ccc;"
      "padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee}"
      "h2{border-bottom:2px solid #444;margin-top:2em}.q{color:#555}.a{font-weight:bold}"
      "svg{display:block;margin:.5em 0;font-size:11px;font-family:sans-serif}.bar{fill:#4682b4}"
      ".axis{stroke:#333}.t{font-weight:bold;font-size:13px}.more{color:#777}</style></"
      "head><body>\n"
      "<h1>tapwatch report</h1>\n";
  if (const JsonValue* meta = report.Find("meta")) {
    out += "<table>";
    for (const auto& [k, v] : meta->members()) {
      out += "<tr><th>" + HtmlEscape(k) + "</th><td>" + HtmlEscape(Scalar(v)) + "</td></tr>";
    }
    out += "</table>\n<ol>";
    for (const char* key : SectionKeys()) {
      if (const JsonValue* sec = report.Find(key)) {
        out += "<li><a href='#" + std::string(key) + "'>" +
               HtmlEscape(Scalar(*sec->Find("title"))) + "</a></li>";
      }
    }
    out += "</ol>\n";
  }
  for (const char* key : SectionKeys()) {
    const JsonValue* sec = report.Find(key);
    if (!sec) continue;
    out += "<section id='" + std::string(key) + "'><h2>" + HtmlEscape(Scalar(*sec->Find("title"))) +
           " <code>" + key + "</code></h2>\n";
    out += "<p class=q>" + HtmlEscape(Scalar(*sec->Find("question"))) + "</p><p class=a>" +
           HtmlEscape(Scalar(*sec->Find("answer"))) + "</p>\n";
    out += Charts(key, *sec);
    for (const auto& [k, v] : sec->members()) {
      if (IsHeaderKey(k)) continue;
      if (IsTable(v)) {
        out += "<h3>" + HtmlEscape(k) + "</h3>\n";
        HtmlTable(out, v);
      } else if (!v.is_array() || v.size() > 0) {
        std::string s = Scalar(v);
        if (s.size() > 600) s = s.substr(0, 597) + "...";
        out += "<p><b>" + HtmlEscape(k) + ":</b> " + HtmlEscape(s) + "</p>\n";
      }
    }
    out += "</section>\n";
  }
  return out + "</body></html>\n";
}

}  // namespace tapwatch::collector::report
