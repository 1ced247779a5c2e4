// crmkit calendar deadline|elapsed|check|holidays|import-ics — batch business-time arithmetic over
// CSV, and the calendar's holidays (rules, iCalendar import).
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "crmkit/calendar.hpp"
#include "common/parallel.hpp"
#include "value/text_scan.hpp"
#include "crmkit/error.hpp"

namespace {

using namespace crmkit;

// Splits one CSV record into fields (RFC 4180 quotes honoured; quotes are kept in the text,
// which is fine for locating our columns and for passing the row through unchanged).
void split_csv(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  if (line.find('"') == std::string_view::npos) {  // most rows: no quotes, the commas found by memchr
    for (size_t start = 0;;) {
      const size_t comma = line.find(',', start);
      out.push_back(line.substr(start, comma - start));
      if (comma == std::string_view::npos) return;
      start = comma + 1;
    }
  }
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(line.substr(start));
}

std::string_view unquote(std::string_view f) {
  if (f.size() >= 2 && f.front() == '"' && f.back() == '"') return f.substr(1, f.size() - 2);
  return f;
}

size_t column(const std::vector<std::string_view>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (unquote(header[i]) == name) return i;
  throw Error(Errc::parse, fmt::format("line 1: the header has no column '{}'", name));
}

Instant instant_field(std::string_view f, size_t line, std::string_view column_name) {
  Instant t;
  if (!try_parse_instant(unquote(f), t))
    throw Error(Errc::parse, fmt::format("line {}: {} '{}' is not an instant (YYYY-MM-DDTHH:MM:SSZ)", line, column_name, f));
  return t;
}

void write_out(std::string_view out) {
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
    throw Error(Errc::io, "cannot write standard output");
}

// Shared driver of `deadline` and `elapsed`: reads CSV from stdin, appends one computed column,
// compute(a, b, line) of the row's two columns, written by format(value, out). Rows are computed on
// every core first (a bad row stops the command before anything is written), then written in
// blocks: memory holds the input and one number per row, not the whole output.
template <class Compute, class Format>
void run_batch(const char* col_a, const char* col_b, const char* new_col, Compute&& compute, Format&& format) {
  const detail::FileBuffer file = cli::read_stdin();
  const std::string_view input = file.view();
  // The header: the first non-empty line (after a UTF-8 byte order mark, which the scanner skips).
  value::detail::LineScanner lines(input);
  std::string_view header;
  while (lines.next(header) && header.empty()) {
  }
  if (header.empty()) throw Error(Errc::parse, fmt::format("empty input: expected a header '{},{}'", col_a, col_b));
  std::vector<std::string_view> fields;
  split_csv(header, fields);
  const size_t ia = column(fields, col_a), ib = column(fields, col_b), width = fields.size();
  const std::vector<std::string_view> chunks = detail::line_chunks(lines.rest(), size_t{1} << 20);
  const std::vector<size_t> first = detail::first_lines(chunks, lines.line_number() + 1);
  struct Rows {
    std::vector<std::string_view> line;
    std::vector<int64_t> value;
  };
  std::vector<Rows> rows(chunks.size());
  detail::run_each(chunks.size(), [&](size_t k) {  // a chunk stops at its first bad row
    std::vector<std::string_view> f;
    const size_t row_bytes = std::max<size_t>(header.size(), 8);  // a guess at the rows' count: no regrowth copies
    rows[k].line.reserve(chunks[k].size() / row_bytes + 16);
    rows[k].value.reserve(chunks[k].size() / row_bytes + 16);
    cli::for_each_line(chunks[k], [&](std::string_view line, size_t n) {
      if (line.empty()) return;
      split_csv(line, f);
      if (f.size() != width)
        throw Error(Errc::parse, fmt::format("line {}: expected {} fields, found {}", first[k] + n - 1, width, f.size()));
      rows[k].line.push_back(line);
      rows[k].value.push_back(compute(f[ia], f[ib], first[k] + n - 1));
    });
  });
  std::string head(header);
  head.append(",").append(new_col).push_back('\n');
  for (size_t k = 0; k < rows.size(); ++k)
    cli::write_rows(k == 0 ? std::string_view(head) : std::string_view(), rows[k].line.size(), [&](size_t i, std::string& out) {
      out.append(rows[k].line[i]).push_back(',');
      format(rows[k].value[i], out);
      out.push_back('\n');
    });
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("calendar", "Business-calendar arithmetic: deadlines and elapsed business time");
  cmd->require_subcommand(1);
  static std::string calendar_path;
  auto load = [] { return Calendar::from_file(calendar_path.empty() ? cli::data_path("calendars/cn-2026.json") : calendar_path); };

  auto* deadline = cmd->add_subcommand(
      "deadline",
      "Reads CSV 'start_utc,add_seconds' on stdin, writes 'start_utc,add_seconds,deadline_utc' on stdout");
  deadline->add_option("--calendar", calendar_path, "Calendar JSON (default: the shipped China 2026 calendar)");
  deadline->callback([load] {
    const Calendar cal = load();
    run_batch(
        "start_utc", "add_seconds", "deadline_utc",
        [&](std::string_view a, std::string_view b, size_t line) {
          Instant start = instant_field(a, line, "start_utc");
          b = unquote(b);
          int64_t secs = 0;
          auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), secs);
          if (ec != std::errc() || p != b.data() + b.size() || secs < 0)
            throw Error(Errc::parse, fmt::format("line {}: add_seconds '{}' is not a non-negative integer", line, b));
          try {
            return cal.add(start, Duration::seconds(secs)).unix_seconds();
          } catch (const Error& e) {
            throw Error(e.code(), fmt::format("line {}: {}", line, e.what()));
          }
        },
        [](int64_t due, std::string& out) {
          char buf[20];
          out.append(buf, static_cast<size_t>(format_utc(Instant::from_unix_seconds(due), buf)));
        });
  });

  auto* elapsed = cmd->add_subcommand(
      "elapsed", "Reads CSV 'from_utc,to_utc' on stdin, writes 'from_utc,to_utc,business_seconds' on stdout");
  elapsed->add_option("--calendar", calendar_path, "Calendar JSON (default: the shipped China 2026 calendar)");
  elapsed->callback([load] {
    const Calendar cal = load();
    run_batch(
        "from_utc", "to_utc", "business_seconds",
        [&](std::string_view a, std::string_view b, size_t line) {
          Instant from = instant_field(a, line, "from_utc");
          Instant to = instant_field(b, line, "to_utc");
          try {
            return cal.between(from, to).count_seconds();
          } catch (const Error& e) {
            throw Error(e.code(), fmt::format("line {}: {}", line, e.what()));
          }
        },
        [](int64_t seconds, std::string& out) {
          char buf[24];
          auto [p, ec] = std::to_chars(buf, buf + sizeof buf, seconds);
          out.append(buf, static_cast<size_t>(p - buf));
        });
  });

  auto* check = cmd->add_subcommand("check", "Validates a calendar and prints a summary");
  check->add_option("--calendar", calendar_path, "Calendar JSON (default: the shipped China 2026 calendar)");
  check->callback([load] {
    const Calendar cal = load();
    static constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    const auto& s = cal.spec();
    int64_t weekly = 0;
    std::string week;
    for (int d = 0; d < 7; ++d) {
      int64_t secs = 0;
      for (const auto& iv : s.week[d]) secs += iv.end - iv.begin;
      weekly += secs;
      week += fmt::format("{}{} {:.2f}h", d ? ", " : "", kDays[d], secs / 3600.0);
    }
    fmt::print("calendar OK: {}\nzone: {}\nweek: {} (total {:.2f}h)\nholidays: {}\nholiday rules: {}\nmake-up working days: {}\n",
               s.name.empty() ? "(unnamed)" : s.name, s.zone, week, weekly / 3600.0, s.holidays.size(), s.rules.size(),
               s.workdays.size());
  });

  static int32_t first_year = 0, last_year = 0;
  auto* holidays = cmd->add_subcommand(
      "holidays", "Writes CSV 'date,name' of the holidays in force (explicit and from the rules, after make-up days)");
  holidays->add_option("--calendar", calendar_path, "Calendar JSON (default: the shipped China 2026 calendar)");
  holidays->add_option("--year", first_year, "First year (1900..2499)")->required();
  holidays->add_option("--to-year", last_year, "Last year (default: --year)");
  holidays->callback([load] {
    const Calendar cal = load();
    const int32_t last = last_year == 0 ? first_year : last_year;
    if (last < first_year) throw Error(Errc::invalid_argument, fmt::format("--to-year {} is before --year {}", last, first_year));
    std::string out = "date,name\n";
    for (int32_t y = first_year; y <= last; ++y)
      for (const auto& h : cal.holidays_in(y)) out += fmt::format("{},{}\n", h.date.to_string(), cli::csv_field(h.name));
    write_out(out);
  });

  static std::string ics_path, ics_zone, ics_name;
  static bool skip_timed = false;
  auto* import = cmd->add_subcommand(
      "import-ics",
      "Reads an iCalendar (.ics) file's all-day events as holidays (yearly ones as rules) into a calendar; "
      "writes the calendar JSON on stdout and what was imported on stderr");
  import->add_option("ics", ics_path, "The .ics file")->required();
  import->add_option("--calendar", calendar_path,
                     "Base calendar JSON (zone, working hours, its own holidays); without it --zone is required "
                     "and the week is Monday..Friday 09:00-17:00");
  import->add_option("--zone", ics_zone, "IANA zone of a new calendar (without --calendar)");
  import->add_option("--name", ics_name, "Name of the calendar written (default: the base's)");
  import->add_flag("--skip-timed", skip_timed, "Leave out events with a time of day (default: refuse the file)");
  import->callback([] {
    CalendarSpec base;
    if (!calendar_path.empty()) {
      if (!ics_zone.empty()) throw Error(Errc::invalid_argument, "give --calendar or --zone, not both");
      base = Calendar::from_file(calendar_path).spec();
    } else {
      if (ics_zone.empty()) throw Error(Errc::invalid_argument, "give --calendar BASE.json or --zone ZONE");
      base.zone = ics_zone;
      for (int d = 0; d < 5; ++d) base.week[d] = {DayInterval{9 * 3600, 17 * 3600}};
    }
    if (!ics_name.empty()) base.name = ics_name;
    IcsImportReport report;
    const Calendar cal(import_ics(cli::read_file(ics_path).view(), std::move(base), IcsImportOptions{skip_timed}, &report));
    write_out(nlohmann::json::parse(cal.to_json()).dump(2) + "\n");
    fmt::print(stderr, "import-ics: {} events: {} yearly rules, {} holiday dates, {} timed events skipped\n", report.events,
               report.rules, report.holidays, report.skipped.size());
    for (const auto& s : report.skipped) fmt::print(stderr, "import-ics: skipped {}\n", s);
  });
}

CRMKIT_CLI_COMMAND(10, setup);

}  // namespace
