// Self-contained HTML with inline SVG charts.
#include "html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "crmkit/error.hpp"

namespace crmkit::cli {
namespace {

constexpr const char* kPalette[] = {"#2b6cb0", "#dd6b20", "#38a169", "#d53f8c", "#805ad5", "#319795", "#b7791f", "#718096"};
constexpr double kWidth = 720, kHeight = 280, kLeft = 56, kRight = 16, kTop = 34, kBottom = 56;

std::string color(size_t i) { return kPalette[i % (sizeof kPalette / sizeof *kPalette)]; }

std::string format_value(const std::string& f, double v) { return fmt::format(fmt::runtime(f), v); }

/// The frame: title, y axis with 5 grid lines between lo and hi, x labels under each slot.
std::string frame(const std::string& title, const std::vector<std::string>& labels, double lo, double hi,
                  const std::string& y_format) {
  std::string s = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img" aria-label="{2}">)"
      R"(<text x="{3}" y="20" class="t">{2}</text>)",
      kWidth, kHeight, html_escape(title), kLeft);
  const double plot_h = kHeight - kTop - kBottom;
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4.0, y = kTop + plot_h * (1 - i / 4.0);
    s += fmt::format(R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="g"/>)", kLeft, kWidth - kRight, y, y);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" class="ya">{}</text>)", kLeft - 6, y + 4, html_escape(format_value(y_format, v)));
  }
  const double slot = (kWidth - kLeft - kRight) / std::max<size_t>(1, labels.size());
  // Thin out labels so they do not overlap (about 7 px per character).
  size_t longest = 1;
  for (auto& l : labels) longest = std::max(longest, l.size());
  size_t every = std::max<size_t>(1, static_cast<size_t>(std::ceil(longest * 7.0 / slot)));
  for (size_t i = 0; i < labels.size(); i += every)
    s += fmt::format(R"(<text x="{:.1f}" y="{}" class="xa">{}</text>)", kLeft + slot * (i + 0.5), kHeight - kBottom + 16,
                     html_escape(labels[i]));
  return s;
}

double y_of(double v, double lo, double hi) {
  const double plot_h = kHeight - kTop - kBottom;
  double f = hi > lo ? (v - lo) / (hi - lo) : 0;
  return kTop + plot_h * (1 - std::clamp(f, 0.0, 1.0));
}

double nice_max(double v) {
  if (!(v > 0)) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (v <= m * p) return m * p;
  return 10 * p;
}

std::string legend(const std::vector<Series>& series) {
  std::string s;
  double x = kLeft;
  for (size_t i = 0; i < series.size(); ++i) {
    s += fmt::format(R"(<rect x="{:.0f}" y="{}" width="10" height="10" fill="{}"/><text x="{:.0f}" y="{}" class="l">{}</text>)",
                     x, kHeight - 22, color(i), x + 14, kHeight - 13, html_escape(series[i].name));
    x += 24 + 7.0 * series[i].name.size();
  }
  return s;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::string& value_format) {
  double hi = 0;
  for (double v : values)
    if (std::isfinite(v)) hi = std::max(hi, v);
  hi = nice_max(hi);
  std::string s = frame(title, labels, 0, hi, "{:.0f}");
  const double slot = (kWidth - kLeft - kRight) / std::max<size_t>(1, labels.size());
  for (size_t i = 0; i < values.size() && i < labels.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    double y = y_of(values[i], 0, hi), x = kLeft + slot * i + slot * 0.15;
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)", x, y,
                     slot * 0.7, kHeight - kBottom - y, color(0), html_escape(labels[i]),
                     html_escape(format_value(value_format, values[i])));
    if (slot >= 28)
      s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="v">{}</text>)", x + slot * 0.35, y - 4,
                       html_escape(format_value(value_format, values[i])));
  }
  return s + "</svg>";
}

std::string svg_line_chart(const std::string& title, const std::vector<std::string>& labels,
                           const std::vector<Series>& series, double y_min, double y_max, std::optional<double> target,
                           const std::string& y_format) {
  std::string s = frame(title, labels, y_min, y_max, y_format);
  const double slot = (kWidth - kLeft - kRight) / std::max<size_t>(1, labels.size());
  if (target) {
    double y = y_of(*target, y_min, y_max);
    s += fmt::format(R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="target"/>)", kLeft, kWidth - kRight, y, y);
  }
  for (size_t k = 0; k < series.size(); ++k) {
    std::string path;
    bool pen_down = false;
    for (size_t i = 0; i < series[k].values.size() && i < labels.size(); ++i) {
      double v = series[k].values[i];
      if (!std::isfinite(v)) {
        pen_down = false;
        continue;
      }
      path += fmt::format("{}{:.1f},{:.1f} ", pen_down ? "L" : "M", kLeft + slot * (i + 0.5), y_of(v, y_min, y_max));
      pen_down = true;
    }
    s += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2"/>)", path, color(k));
  }
  return s + legend(series) + "</svg>";
}

std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& labels,
                             const std::vector<Series>& series) {
  double hi = 0;
  for (auto& se : series)
    for (double v : se.values)
      if (std::isfinite(v)) hi = std::max(hi, v);
  hi = nice_max(hi);
  std::string s = frame(title, labels, 0, hi, "{:.0f}");
  const double slot = (kWidth - kLeft - kRight) / std::max<size_t>(1, labels.size());
  const double bar = slot * 0.8 / std::max<size_t>(1, series.size());
  for (size_t k = 0; k < series.size(); ++k)
    for (size_t i = 0; i < series[k].values.size() && i < labels.size(); ++i) {
      double v = series[k].values[i];
      if (!std::isfinite(v)) continue;
      double y = y_of(v, 0, hi);
      s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{} / {}: {:.0f}</title></rect>)",
                       kLeft + slot * i + slot * 0.1 + bar * k, y, bar, kHeight - kBottom - y, color(k),
                       html_escape(labels[i]), html_escape(series[k].name), v);
    }
  return s + legend(series) + "</svg>";
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(const std::string& text) { body_ += "<h2>" + html_escape(text) + "</h2>\n"; }
void HtmlReport::paragraph(const std::string& text) { body_ += "<p>" + html_escape(text) + "</p>\n"; }
void HtmlReport::raw(const std::string& markup) { body_ += "<figure>" + markup + "</figure>\n"; }

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       size_t numeric_from) {
  body_ += "<table><thead><tr>";
  for (size_t i = 0; i < header.size(); ++i)
    body_ += fmt::format("<th{}>{}</th>", i >= numeric_from ? " class=n" : "", html_escape(header[i]));
  body_ += "</tr></thead><tbody>\n";
  for (auto& row : rows) {
    body_ += "<tr>";
    for (size_t i = 0; i < row.size(); ++i)
      body_ += fmt::format("<td{}>{}</td>", i >= numeric_from ? " class=n" : "", html_escape(row[i]));
    body_ += "</tr>\n";
  }
  body_ += "</tbody></table>\n";
}

std::string HtmlReport::str() const {
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#1a202c;padding:0 1em}}
h1{{font-size:1.6em}} h2{{margin-top:1.8em;border-bottom:1px solid #e2e8f0}}
table{{border-collapse:collapse;margin:.6em 0}} th,td{{padding:3px 10px;border-bottom:1px solid #edf2f7;text-align:left}}
.n{{text-align:right;font-variant-numeric:tabular-nums}} figure{{margin:1em 0}}
svg .t{{font-weight:600;font-size:14px}} svg .g{{stroke:#e2e8f0}} svg text{{font-size:11px;fill:#4a5568}}
svg .ya{{text-anchor:end}} svg .xa{{text-anchor:middle}} svg .v{{text-anchor:middle;font-size:10px}}
svg .target{{stroke:#e53e3e;stroke-dasharray:5 4}} .met{{color:#2f855a}} .missed{{color:#c53030}}
</style></head><body>
<h1>{0}</h1>
{1}</body></html>
)",
                     html_escape(title_), body_);
}

void HtmlReport::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(Errc::io, fmt::format("cannot write {}", path));
  out << str();
  out.close();
  if (!out) throw Error(Errc::io, fmt::format("error writing {}", path));
}

}  // namespace crmkit::cli
