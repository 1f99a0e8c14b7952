// The HTML report: one self-contained page (inline CSS, SVG and a small script; nothing fetched
// at view time). The first screen tells the story: period, networks, findings ranked by threat,
// each with its evidence section and the `flows` command that lists its flows. Then the sections
// in the seed's order; a section with nothing to show is one line. Tables sort on a click on
// their header and filter as one types; a long value opens in full on demand.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "collector/report/render.h"
#include "collector/report/render_common.h"

namespace tapwatch::collector::report {

namespace {

constexpr size_t kShortCell = 60;      // longer values open on demand
constexpr size_t kMaxHtmlRows = 5000;  // beyond it the page says how many rows the JSON holds
constexpr size_t kFilterAbove = 12;    // tables longer than this get a filter box
constexpr size_t kStoryFindings = 10;

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
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
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Text(const JsonValue* v) { return v ? Scalar(*v, SIZE_MAX) : ""; }

// A cell: short values as they are; a long one shows its start and opens in full. Numbers carry
// data-v so sorting is numeric.
std::string HtmlCell(const JsonValue* v) {
  if (!v) return "<td></td>";
  const std::string s = Scalar(*v, SIZE_MAX);
  std::string attr;
  if (v->kind() == JsonValue::Kind::kInt || v->kind() == JsonValue::Kind::kDouble)
    attr = " data-v='" + v->Dump() + "'";
  if (s.size() <= kShortCell) return "<td" + attr + ">" + HtmlEscape(s) + "</td>";
  return "<td" + attr + "><details><summary>" + HtmlEscape(s.substr(0, kShortCell - 12)) +
         "&hellip; (" + std::to_string(s.size()) + " chars)</summary>" + HtmlEscape(s) +
         "</details></td>";
}

void HtmlTable(std::string& out, const JsonValue& table) {
  const auto cols = Columns(table);
  if (table.size() > kFilterAbove)
    out += "<input type=search class=filter placeholder='filter these " +
           std::to_string(table.size()) + " rows'>";
  out += "<table class=sortable><thead><tr>";
  for (const auto& c : cols) out += "<th title='sort'>" + HtmlEscape(c) + "</th>";
  out += "</tr></thead><tbody>\n";
  const size_t rows = std::min(table.size(), kMaxHtmlRows);
  for (size_t r = 0; r < rows; ++r) {
    out += "<tr>";
    for (const auto& c : cols) out += HtmlCell(table.items()[r].Find(c));
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (table.size() > rows)
    out += "<p class=more>" + std::to_string(table.size() - rows) +
           " more rows: see --format json.</p>\n";
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// 1234567 -> "1.2M": axis labels stay short.
std::string Short(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string SvgOpen(double w, double h, const std::string& title) {
  return "<svg xmlns='http://www.w3.org/2000/svg' width='" + Fmt(w) + "' height='" + Fmt(h) +
         "' role='img'><title>" + HtmlEscape(title) + "</title><text x='4' y='16' class='t'>" +
         HtmlEscape(title) + "</text>";
}

// Horizontal bars: a label and a value per bar, the value printed at the bar's end.
std::string SvgBars(const std::string& title,
                    const std::vector<std::pair<std::string, double>>& bars) {
  if (bars.empty()) return "";
  const double w = 940, label_w = 420, bar_h = 16, gap = 4;
  const double h = 30 + static_cast<double>(bars.size()) * (bar_h + gap);
  double mx = 0;
  for (const auto& b : bars) mx = std::max(mx, b.second);
  if (mx <= 0) mx = 1;
  std::string s = SvgOpen(w, h, title);
  for (size_t i = 0; i < bars.size(); ++i) {
    const double y = 26 + static_cast<double>(i) * (bar_h + gap);
    const double bw = (w - label_w - 90) * bars[i].second / mx;
    s += "<text x='" + Fmt(label_w - 6) + "' y='" + Fmt(y + 12) + "' text-anchor='end'>" +
         HtmlEscape(bars[i].first) + "</text>";
    s += "<rect x='" + Fmt(label_w) + "' y='" + Fmt(y) + "' width='" + Fmt(std::max(bw, 1.0)) +
         "' height='" + Fmt(bar_h) + "' class='bar'/>";
    s += "<text x='" + Fmt(label_w + bw + 4) + "' y='" + Fmt(y + 12) + "'>" + Short(bars[i].second) +
         "</text>";
  }
  return s + "</svg>\n";
}

// Time series: one line per series over shared time buckets, with y ticks and dated x ticks.
// Series that differ by more than 100x go on a log scale (log10(1 + y)), which the axis says,
// so a small series is not flattened by a large one.
std::string SvgLines(const std::string& title, const std::string& unit,
                     const std::vector<std::pair<std::string, std::vector<double>>>& series,
                     const std::vector<std::string>& x_labels) {
  if (series.empty()) return "";
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000"};
  const double w = 860, h = 300, left = 64, right = 170, top = 30, bottom = 44;
  double mx = 0, smallest_peak = 0;
  size_t n = 0;
  for (const auto& [name, ys] : series) {
    n = std::max(n, ys.size());
    double peak = 0;
    for (double y : ys) peak = std::max(peak, y);
    mx = std::max(mx, peak);
    if (peak > 0 && (smallest_peak == 0 || peak < smallest_peak)) smallest_peak = peak;
  }
  if (mx <= 0) mx = 1;
  const bool log_scale = smallest_peak > 0 && mx / smallest_peak > 100;
  auto scale = [&](double v) { return log_scale ? std::log10(1 + std::max(v, 0.0)) : v; };
  const double top_v = scale(mx);
  const double plot_w = w - left - right, plot_h = h - top - bottom;
  auto px = [&](size_t k) {
    return left + (n > 1 ? plot_w * static_cast<double>(k) / static_cast<double>(n - 1) : 0);
  };
  auto py = [&](double v) { return (h - bottom) - plot_h * scale(v) / top_v; };

  std::string s = SvgOpen(w, h, title + (log_scale ? " (log scale)" : ""));
  s += "<line x1='" + Fmt(left) + "' y1='" + Fmt(h - bottom) + "' x2='" + Fmt(w - right) +
       "' y2='" + Fmt(h - bottom) + "' class='axis'/>";
  s += "<line x1='" + Fmt(left) + "' y1='" + Fmt(top) + "' x2='" + Fmt(left) + "' y2='" +
       Fmt(h - bottom) + "' class='axis'/>";
  // y ticks: powers of ten on a log scale, quarters of the maximum on a linear one.
  std::vector<double> ticks;
  if (log_scale) {
    for (double t = 1; t <= mx * 1.0001; t *= 10) ticks.push_back(t);
  } else {
    for (int q = 0; q <= 4; ++q) ticks.push_back(mx * q / 4);
  }
  for (double t : ticks) {
    const double y = py(t);
    s += "<line x1='" + Fmt(left - 4) + "' y1='" + Fmt(y) + "' x2='" + Fmt(w - right) + "' y2='" +
         Fmt(y) + "' class='grid'/><text x='" + Fmt(left - 6) + "' y='" + Fmt(y + 4) +
         "' text-anchor='end'>" + Short(t) + "</text>";
  }
  s += "<text x='12' y='" + Fmt(top + plot_h / 2) + "' transform='rotate(-90 12 " +
       Fmt(top + plot_h / 2) + ")' text-anchor='middle'>" + HtmlEscape(unit) + "</text>";
  // x ticks: about six dated labels.
  const size_t every = std::max<size_t>(1, (x_labels.size() + 5) / 6);
  for (size_t k = 0; k < x_labels.size() && k < n; k += every) {
    const double x = px(k);
    s += "<line x1='" + Fmt(x) + "' y1='" + Fmt(h - bottom) + "' x2='" + Fmt(x) + "' y2='" +
         Fmt(h - bottom + 4) + "' class='axis'/><text x='" + Fmt(x) + "' y='" +
         Fmt(h - bottom + 16) + "' text-anchor='middle'>" + HtmlEscape(x_labels[k]) + "</text>";
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& ys = series[i].second;
    std::string pts;
    for (size_t k = 0; k < ys.size(); ++k) pts += Fmt(px(k)) + "," + Fmt(py(ys[k])) + " ";
    const char* color = kColors[i % 11];
    s += "<polyline fill='none' stroke='" + std::string(color) + "' stroke-width='1.5' points='" +
         pts + "'><title>" + HtmlEscape(series[i].first) + "</title></polyline>";
    s += "<text x='" + Fmt(w - right + 6) + "' y='" + Fmt(top + 12 + 14 * static_cast<double>(i)) +
         "' fill='" + color + "'>" + HtmlEscape(series[i].first) + "</text>";
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
        series.push_back({Text(c.Find("category")), ys});
      }
    }
    std::vector<std::string> x_labels;
    if (const JsonValue* st = sec.Find("bucket_starts")) {
      for (const auto& t : st->items()) x_labels.push_back(t.as_string().substr(0, 10));
    }
    const std::string bucket = sec.Find("bucket") ? Text(sec.Find("bucket")) : "bucket";
    out += SvgLines("Packets per " + bucket + " and category", "packets per " + bucket, series,
                    x_labels);
  } else if (key == "ports") {
    for (const char* proto : {"tcp", "udp"}) {
      std::vector<std::pair<std::string, double>> bars;
      if (const JsonValue* rows = sec.Find(proto)) {
        for (const auto& r : rows->items()) {
          if (bars.size() >= 20) break;
          std::string label = std::string(proto) + "/" + Text(r.Find("port"));
          if (const JsonValue* svc = r.Find("service"); svc && !svc->as_string().empty())
            label += " " + svc->as_string();
          bars.push_back({label, r.Find("packets") ? r.Find("packets")->as_double() : 0});
        }
      }
      out += SvgBars(std::string("Inbound ") + proto + " packets by destination port", bars);
    }
  } else if (key == "icmp_lengths") {
    std::vector<std::pair<std::string, double>> bars;
    if (const JsonValue* rows = sec.Find("lengths")) {
      for (const auto& r : rows->items()) {
        std::string label = "IP length " + Text(r.Find("ip_length"));
        // The fingerprint's name: what the length is known as, else its commonest label.
        if (const JsonValue* k = r.Find("known_as"); k && !k->as_string().empty()) {
          label += ": " + k->as_string();
        } else if (const JsonValue* f = r.Find("fingerprints"); f && f->size() > 0) {
          label += ": " + f->members().front().first;
        }
        bars.push_back({label, r.Find("packets") ? r.Find("packets")->as_double() : 0});
      }
    }
    out += SvgBars("ICMP packets by IP total length", bars);
  }
  return out;
}

// A section with no table rows: nothing to show beyond its answer.
bool Quiet(const JsonValue& sec) {
  for (const auto& [k, v] : sec.members()) {
    if (IsTable(v)) return false;
  }
  return true;
}

std::string Meta(const JsonValue& report, const char* key) {
  const JsonValue* meta = report.Find("meta");
  return meta ? Text(meta->Find(key)) : "";
}

// The first screen: period, networks, and the findings ranked by threat.
void Story(std::string& out, const JsonValue& report) {
  out += "<section id=story><p class=period><b>" + HtmlEscape(Meta(report, "first")) + "</b> to <b>" +
         HtmlEscape(Meta(report, "last")) + "</b> (UTC) &middot; " +
         HtmlEscape(Meta(report, "flows")) + " flows, " + HtmlEscape(Meta(report, "packets")) +
         " packets</p>\n<p class=period>Home networks: <b>" + HtmlEscape(Meta(report, "home")) +
         "</b> (" + HtmlEscape(Meta(report, "home_how")) + ")</p>\n";
  const JsonValue* threats = report.Find("threats");
  const JsonValue* ranked = threats ? threats->Find("ranked") : nullptr;
  if (!ranked || ranked->size() == 0) {
    out += "<h2>Findings</h2><p>No finding: no section flagged a host.</p></section>\n";
    return;
  }
  const std::string db = Meta(report, "db");
  out += "<h2>Findings, ranked by threat</h2>\n<ol class=findings>\n";
  for (size_t i = 0; i < ranked->size() && i < kStoryFindings; ++i) {
    const JsonValue& f = ranked->items()[i];
    const std::string address = Text(f.Find("address"));
    std::string reasons;
    if (const JsonValue* rs = f.Find("reasons")) {
      for (const auto& r : rs->items()) reasons += (reasons.empty() ? "" : "; ") + Text(&r);
    }
    out += "<li><b>" + HtmlEscape(address) + "</b> (" + HtmlEscape(Text(f.Find("kind"))) +
           ", score " + HtmlEscape(Text(f.Find("score"))) + "): " + HtmlEscape(reasons) +
           ". Evidence:";
    if (const JsonValue* secs = f.Find("sections")) {
      for (const auto& s : secs->items()) {
        const std::string k = Text(&s);
        out += " <a href='#" + HtmlEscape(k) + "'>" + HtmlEscape(k) + "</a>";
      }
    }
    // Its flows: what it sent (a source's probes, a compromised host's outbound connections).
    out += "<br>flows: <code class=cmd>tapwatch-collector flows --db " + HtmlEscape(db) +
           " --src " + HtmlEscape(address) + "</code></li>\n";
  }
  out += "</ol>\n";
  if (ranked->size() > kStoryFindings)
    out += "<p><a href='#threats'>All " + std::to_string(ranked->size()) +
           " ranked hosts</a></p>\n";
  out += "</section>\n";
}

void Section(std::string& out, const std::string& key, const JsonValue& sec) {
  const std::string title = Text(sec.Find("title"));
  const std::string answer = Text(sec.Find("answer"));
  if (Quiet(sec)) {
    out += "<details class=quiet id='" + key + "'><summary><b>" + HtmlEscape(title) + ":</b> " +
           HtmlEscape(answer) + "</summary><p class=q>" + HtmlEscape(Text(sec.Find("question"))) +
           "</p>";
    for (const auto& [k, v] : sec.members()) {
      if (IsHeaderKey(k) || (v.is_array() && v.size() == 0)) continue;
      out += "<p><b>" + HtmlEscape(k) + ":</b> " + HtmlEscape(Scalar(v, SIZE_MAX)) + "</p>";
    }
    out += "</details>\n";
    return;
  }
  out += "<section id='" + key + "'><h2>" + HtmlEscape(title) + " <code>" + key + "</code></h2>\n";
  out += "<p class=q>" + HtmlEscape(Text(sec.Find("question"))) + "</p><p class=a>" +
         HtmlEscape(answer) + "</p>\n";
  out += Charts(key, sec);
  std::string notes;
  bool first_table = true;
  for (const auto& [k, v] : sec.members()) {
    if (IsHeaderKey(k)) continue;
    if (IsTable(v)) {
      // The section's first table answers its question; a long table after it is detail (every
      // MAC of the capture, the UDP ports after the TCP ones) and opens on demand.
      if (!first_table && v.size() > kFilterAbove) {
        out += "<details class=detail><summary><b>" + HtmlEscape(k) + "</b> (" +
               std::to_string(v.size()) + " rows)</summary>\n";
        HtmlTable(out, v);
        out += "</details>\n";
      } else {
        out += "<h3>" + HtmlEscape(k) + "</h3>\n";
        HtmlTable(out, v);
      }
      first_table = false;
    } else if (!v.is_array() || v.size() > 0) {
      notes += "<p><b>" + HtmlEscape(k) + ":</b> " + HtmlEscape(Scalar(v, SIZE_MAX)) + "</p>\n";
    }
  }
  if (!notes.empty()) out += "<details class=notes><summary>method and totals</summary>" + notes +
                             "</details>\n";
  out += "</section>\n";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:2em;max-width:1250px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:12px}td,th{border:1px solid #ccc;"
    "padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee;cursor:pointer}"
    "th.asc:after{content:' \\25B2'}th.desc:after{content:' \\25BC'}"
    "h2{border-bottom:2px solid #444;margin-top:1.6em}.q{color:#555}.a{font-weight:bold}"
    "svg{display:block;margin:.5em 0;font-size:11px;font-family:sans-serif}.bar{fill:#4682b4}"
    ".axis{stroke:#333}.grid{stroke:#e4e4e4}.t{font-weight:bold;font-size:13px}.more{color:#777}"
    ".findings li{margin:.4em 0}.cmd{font-size:11px;background:#f4f4f4;padding:0 3px}"
    ".period{font-size:15px;margin:.2em 0}details.quiet{margin:.3em 0;color:#444}"
    "details.quiet summary,details.detail summary{cursor:pointer}details.detail{margin:.6em 0}"
    "input.filter{margin-top:.3em;width:20em}"
    "td details summary{cursor:pointer;color:#1f4e99}";

// Sorting (numbers by data-v, else text) and filtering; no library needed for these two.
constexpr const char* kScript =
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "var hs=t.tHead.rows[0].cells;"
    "Array.prototype.forEach.call(hs,function(th,i){th.addEventListener('click',function(){"
    "var asc=!th.classList.contains('asc');"
    "Array.prototype.forEach.call(hs,function(h){h.classList.remove('asc','desc');});"
    "th.classList.add(asc?'asc':'desc');var b=t.tBodies[0];"
    "var rows=Array.prototype.slice.call(b.rows);"
    "function key(r){var c=r.cells[i];if(!c)return '';"
    "var v=c.getAttribute('data-v');return v===null?c.textContent:parseFloat(v);}"
    "rows.sort(function(x,y){var a=key(x),c=key(y);"
    "var d=(typeof a==='number'&&typeof c==='number')?a-c:String(a).localeCompare(String(c));"
    "return asc?d:-d;});rows.forEach(function(r){b.appendChild(r);});});});});"
    "document.querySelectorAll('input.filter').forEach(function(inp){"
    "var t=inp.nextElementSibling;inp.addEventListener('input',function(){"
    "var q=inp.value.toLowerCase();Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
    "r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});});";

}  // namespace

std::string RenderHtml(const JsonValue& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>tapwatch report</title>"
      "\n<style>" +
      std::string(kStyle) + "</style></head><body>\n<h1>tapwatch report</h1>\n";
  Story(out, report);
  out += "<nav><h2>Sections</h2><ol>";
  for (const char* key : SectionKeys()) {
    if (const JsonValue* sec = report.Find(key)) {
      out += "<li><a href='#" + std::string(key) + "'>" + HtmlEscape(Text(sec->Find("title"))) +
             "</a>: " + HtmlEscape(Text(sec->Find("answer"))) + "</li>";
    }
  }
  out += "</ol></nav>\n";
  for (const char* key : SectionKeys()) {
    if (const JsonValue* sec = report.Find(key)) Section(out, key, *sec);
  }
  if (const JsonValue* meta = report.Find("meta")) {
    out += "<details id=meta><summary>About this report (store, counters)</summary><table>";
    for (const auto& [k, v] : meta->members()) {
      out += "<tr><th>" + HtmlEscape(k) + "</th>" + HtmlCell(&v) + "</tr>";
    }
    out += "</table></details>\n";
  }
  return out + "<script>" + kScript + "</script>\n</body></html>\n";
}

}  // namespace tapwatch::collector::report
