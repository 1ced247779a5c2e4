// A self-contained HTML report with inline SVG charts (no scripts, no external files), used by
// `crmkit demo --html`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace crmkit::cli {

/// Escapes text for HTML element content and attribute values.
std::string html_escape(const std::string& text);

struct Series {
  std::string name;
  std::vector<double> values;  ///< one per x label; NaN leaves a gap
};

/// Vertical bars, one per label, with the value printed above each.
std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::string& value_format = "{:.0f}");

/// Lines over shared x labels; an optional horizontal target line (e.g. 95 %). Values in [y_min, y_max].
std::string svg_line_chart(const std::string& title, const std::vector<std::string>& labels,
                           const std::vector<Series>& series, double y_min, double y_max,
                           std::optional<double> target = std::nullopt, const std::string& y_format = "{:.0f}");

/// Grouped bars: for each label, one bar per series (e.g. breaches by channel and clock).
std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& labels,
                             const std::vector<Series>& series);

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);
  void heading(const std::string& text);
  void paragraph(const std::string& text);
  /// A table; cells are escaped. `numeric_from` right-aligns columns from that index on.
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
             size_t numeric_from = 1);
  /// Raw markup (an SVG chart from the functions above).
  void raw(const std::string& markup);
  std::string str() const;
  /// Writes the report; Error(io) if the file cannot be written.
  void write(const std::string& path) const;

 private:
  std::string title_;
  std::string body_;
};

}  // namespace crmkit::cli
