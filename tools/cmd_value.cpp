// crmkit value fit|predict, crmkit rfm, crmkit tiers — customer value from the command line.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "crmkit/error.hpp"
#include "crmkit/rfm.hpp"
#include "crmkit/tiering.hpp"
#include "crmkit/value.hpp"

namespace {

using namespace crmkit;
using cli::csv_field;
using cli::decimal;

/// Buffered stdout for large CSV outputs; finish() writes the rest and reports a failed write (a
/// full disk, a closed pipe). A command that fails before finish() leaves out what it had not yet
/// written (all of it for outputs under 1 MiB).
class Out {
 public:
  template <class... A>
  void print(fmt::format_string<A...> f, A&&... a) {
    fmt::format_to(std::back_inserter(buf_), f, std::forward<A>(a)...);
    if (buf_.size() > (1 << 20)) flush();
  }
  void flush() {
    const bool ok = std::fwrite(buf_.data(), 1, buf_.size(), stdout) == buf_.size();
    buf_.clear();
    if (!ok) throw Error(Errc::io, "cannot write standard output");
  }
  void finish() {
    flush();
    if (std::fflush(stdout) != 0) throw Error(Errc::io, "cannot write standard output");
  }

 private:
  std::string buf_;
};

/// Splits one CSV record (RFC 4180 quotes; "" inside quotes is a quote).
std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (ch == '"') quoted = false;
      else out.back() += ch;
    } else if (ch == '"') quoted = true;
    else if (ch == ',') out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

/// Reads a transaction log; with skip, bad rows are reported on stderr by line and skipped.
value::TransactionLog read_log(const std::string& path, bool skip) {
  auto log = value::read_transactions_file(path, skip ? value::BadRowPolicy::skip : value::BadRowPolicy::stop);
  for (const auto& b : log.bad_rows) fmt::print(stderr, "{}:{}: skipped: {}\n", path, b.line, b.message);
  log.sort_customers_by_id();
  return log;
}

value::PeriodUnit unit_of(const std::string& p) {
  if (p == "week") return value::PeriodUnit::week;
  if (p == "day") return value::PeriodUnit::day;
  throw Error(Errc::invalid_argument, fmt::format("--period must be week or day, got '{}'", p));
}

struct SummaryInput {
  std::string summary, transactions, calibration_end, period = "week";
  bool skip = false;

  void add(CLI::App* cmd) {
    cmd->add_option("--summary", summary, "Summary CSV: ID,x,t_x,T[,zbar] or ID,frequency,recency,T[,monetary_value]");
    cmd->add_option("--transactions", transactions, "Transaction log (CSV customer_id,date,amount or CDNOW text) to summarize");
    cmd->add_option("--calibration-end", calibration_end, "End of the calibration period (YYYY-MM-DD), with --transactions");
    cmd->add_option("--period", period, "Time unit of t_x and T: week or day")->capture_default_str();
    cmd->add_flag("--skip-bad-rows", skip, "Report bad transaction rows on stderr and go on (default: stop)");
  }

  value::SummaryTable load() const {
    if (summary.empty() == transactions.empty())
      throw Error(Errc::invalid_argument, "give either --summary or --transactions with --calibration-end");
    if (!summary.empty()) return value::read_summary_csv(cli::read_file(summary).view());
    if (calibration_end.empty()) throw Error(Errc::invalid_argument, "--transactions needs --calibration-end");
    return value::summarize(read_log(transactions, skip), CivilDate::parse(calibration_end), unit_of(period));
  }
};

/// The core's rule (GammaGamma::fit): x = 0 and x > 0 with m = 0 are left out (the latter counted
/// and reported), m < 0 or a non-finite value is an error naming the customer id.
value::GammaGamma::Fit fit_spend(const value::SummaryTable& table) {
  auto fit = value::GammaGamma::fit_table(table);
  if (fit.excluded_zero_spend)
    fmt::print(stderr, "gamma-gamma: {} customer(s) with x > 0 and m = 0 left out of the fit\n", fit.excluded_zero_spend);
  return fit;
}

void setup_value(CLI::App& app) {
  auto* value_cmd = app.add_subcommand("value", "Lifetime value: BG/NBD + Gamma-Gamma fit and predictions");
  value_cmd->require_subcommand(1);

  static SummaryInput fit_in;
  auto* fit = value_cmd->add_subcommand("fit", "Fit BG/NBD and Gamma-Gamma; prints JSON");
  fit_in.add(fit);
  fit->callback([] {
    auto table = fit_in.load();
    auto bg = value::BgNbd::fit(table.rows);
    bool has_spend = false;
    for (const auto& c : table.rows) has_spend = has_spend || (c.x > 0 && c.m > 0);
    std::string gg = "null";
    if (has_spend) {
      auto g = fit_spend(table);
      gg = fmt::format(R"({{"p": {}, "q": {}, "v": {}, "loglik": {}, "customers": {}, "excluded_zero_spend": {}}})",
                       decimal(g.model.p), decimal(g.model.q), decimal(g.model.v), decimal(g.log_likelihood), g.customers,
                       g.excluded_zero_spend);
    }
    fmt::print(R"({{"bgnbd": {{"r": {}, "alpha": {}, "a": {}, "b": {}, "loglik": {}}}, "gammagamma": {}, "customers": {}}})"
               "\n",
               decimal(bg.model.r), decimal(bg.model.alpha), decimal(bg.model.a), decimal(bg.model.b),
               decimal(bg.log_likelihood), gg, table.rows.size());
  });

  static SummaryInput pred_in;
  static double t = 39, discount = 0.01, margin = 1.0;
  static int horizon = 12;
  auto* predict = value_cmd->add_subcommand("predict", "Per customer: expected purchases, P(alive), expected spend, CLV (CSV)");
  pred_in.add(predict);
  predict->add_option("--t", t, "Periods ahead for expected purchases")->capture_default_str();
  predict->add_option("--horizon-months", horizon, "CLV horizon in months")->capture_default_str();
  predict->add_option("--discount", discount, "Monthly discount rate")->capture_default_str();
  predict->add_option("--margin", margin, "Profit margin applied to spend (1 = revenue)")->capture_default_str();
  predict->callback([] {
    auto table = pred_in.load();
    auto bg = value::BgNbd::fit(table.rows);
    auto gg = fit_spend(table);
    value::ClvOptions o;
    o.horizon_months = horizon;
    o.monthly_discount = discount;
    o.unit = unit_of(pred_in.period);
    o.margin = margin;
    auto values = value::predict_table(bg.model, gg.model, table, t, o);
    // At least the decimals printed before every digit was (six, four), so old readers see the same columns.
    cli::write_rows("id,expected_purchases,p_alive,expected_spend,clv\n", values.size(), [&](size_t i, std::string& out) {
      out += csv_field(table.ids[i]);
      for (auto [v, decimals] : {std::pair{values[i].expected_purchases, 6}, std::pair{values[i].p_alive, 6},
                                 std::pair{values[i].expected_spend, 4}, std::pair{values[i].clv, 4}}) {
        out += ',';
        cli::append_decimal(out, v, decimals);
      }
      out += '\n';
    });
  });
}

void setup_rfm(CLI::App& app) {
  static std::string transactions, asof, config;
  static bool skip = false;
  auto* cmd = app.add_subcommand("rfm", "RFM scores and segments as of a date (CSV)");
  cmd->add_option("--transactions", transactions, "Transaction log (CSV customer_id,date,amount or CDNOW text)")->required();
  cmd->add_option("--asof", asof, "As-of date YYYY-MM-DD (later transactions are ignored)")->required();
  cmd->add_option("--config", config, "RFM config JSON (scoring, cut points, window, segment map)");
  cmd->add_flag("--skip-bad-rows", skip, "Report bad rows on stderr and go on (default: stop)");
  cmd->callback([] {
    rfm::Config c = config.empty() ? rfm::Config{} : rfm::Config::from_file(config);
    std::vector<value::BadRow> skipped;
    auto table = rfm::score_file(transactions, CivilDate::parse(asof), c,
                                 skip ? value::BadRowPolicy::skip : value::BadRowPolicy::stop, &skipped);
    for (const auto& b : skipped) fmt::print(stderr, "{}:{}: skipped: {}\n", transactions, b.line, b.message);
    cli::write_rows("customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n", table.size(),
                    [&](size_t i, std::string& out) {
                      fmt::format_to(std::back_inserter(out), "{},{},{},", csv_field(table.ids[i]), table.recency_days[i],
                                     table.frequency[i]);
                      cli::append_decimal(out, table.monetary[i], 2);
                      fmt::format_to(std::back_inserter(out), ",{},{},{},{},{}\n", table.r[i], table.f[i], table.m[i],
                                     table.code[i], table.segment_names[table.segment[i]]);
                    });
  });
}

/// Enterprise grades of a CSV customer_id,class,annual_revenue (header names: customer_id|id|customer,
/// class|account_class, annual_revenue|revenue); writes customer_id,grade,reason.
void enterprise_grades(const std::string& path, const tiering::Config& c, bool skip, Out& out) {
  const detail::FileBuffer file = cli::read_file(path);
  const std::string_view text = file.view();
  int col_id = -1, col_class = -1, col_rev = -1;
  auto fail = [&](size_t line, const std::string& what) {
    if (!skip) throw Error(Errc::parse, fmt::format("{}:{}: {}", path, line, what));
    fmt::print(stderr, "{}:{}: skipped: {}\n", path, line, what);
  };
  out.print("customer_id,grade,reason\n");
  cli::for_each_line(text, [&](std::string_view line, size_t line_no) {
    if (line.empty()) return;
    auto f = split_csv(line);
    if (col_id < 0) {
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "customer_id" || f[i] == "id" || f[i] == "customer") col_id = static_cast<int>(i);
        else if (f[i] == "class" || f[i] == "account_class") col_class = static_cast<int>(i);
        else if (f[i] == "annual_revenue" || f[i] == "revenue") col_rev = static_cast<int>(i);
      }
      if (col_id < 0 || col_class < 0 || col_rev < 0)
        throw Error(Errc::parse, fmt::format("{}:{}: the header needs customer_id, class and annual_revenue", path, line_no));
      return;
    }
    if (static_cast<int>(f.size()) <= std::max({col_id, col_class, col_rev})) {
      fail(line_no, "too few fields");
      return;
    }
    const std::string& cls = f[col_class];
    const std::string& rev = f[col_rev];
    double revenue = 0;
    auto [p, ec] = std::from_chars(rev.data(), rev.data() + rev.size(), revenue);
    if (rev.empty() || ec != std::errc() || p != rev.data() + rev.size()) {
      fail(line_no, fmt::format("annual_revenue '{}' is not a number", rev));
      return;
    }
    if (cls.size() != 1) {
      fail(line_no, fmt::format("class '{}' is not A or B", cls));
      return;
    }
    try {
      auto g = tiering::enterprise_grade(cls[0], revenue, c);
      out.print("{},{},{}\n", csv_field(f[col_id]), g.tier, csv_field(g.reason));
    } catch (const Error& e) {
      fail(line_no, e.what());
    }
  });
}

void setup_tiers(CLI::App& app) {
  static std::string transactions, asof, config, history, enterprise;
  static bool skip = false;
  auto* cmd = app.add_subcommand("tiers", "Individual tiers (diamond/gold/silver/basic) as of a date, or enterprise grades, with the rule (CSV)");
  cmd->add_option("--transactions", transactions, "Transaction log (CSV customer_id,date,amount or CDNOW text)");
  cmd->add_option("--asof", asof, "As-of date YYYY-MM-DD (with --transactions; later transactions are ignored)");
  cmd->add_option("--config", config, "Tier rules JSON (default: the shipped data/tiers/default.json)");
  cmd->add_option("--history", history,
                  "Earlier grades CSV customer_id,tier[,periods_below]: re-rate with hysteresis (the output with "
                  "--history is the next period's history)");
  cmd->add_option("--enterprise", enterprise, "Enterprise accounts CSV customer_id,class,annual_revenue: grades 1A-5B");
  cmd->add_flag("--skip-bad-rows", skip, "Report bad rows on stderr and go on (default: stop)");
  cmd->callback([] {
    auto c = tiering::Config::from_file(config.empty() ? cli::data_path("tiers/default.json") : config);
    Out out;
    if (!enterprise.empty()) {
      if (!transactions.empty() || !history.empty())
        throw Error(Errc::invalid_argument, "--enterprise grades accounts by class and revenue: no --transactions or --history");
      enterprise_grades(enterprise, c, skip, out);
      out.finish();
      return;
    }
    if (transactions.empty() || asof.empty()) throw Error(Errc::invalid_argument, "give --transactions and --asof (or --enterprise)");
    std::optional<tiering::History> h;
    if (!history.empty()) {
      try {
        h = tiering::History::from_csv(cli::read_file(history).view());
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", history, e.what()));
      }
    }
    auto rows = tiering::individual_tiers(read_log(transactions, skip), CivilDate::parse(asof), c, h ? &*h : nullptr);
    out.print("{}", h ? "customer_id,tier,previous_tier,change,periods_below,reason\n" : "customer_id,tier,reason\n");
    for (const auto& r : rows) {
      if (h)
        out.print("{},{},{},{},{},{}\n", csv_field(r.customer_id), r.rating.tier, csv_field(r.rating.previous), r.rating.change,
                  r.rating.periods_below, csv_field(r.rating.reason));
      else
        out.print("{},{},{}\n", csv_field(r.customer_id), r.rating.tier, csv_field(r.rating.reason));
    }
    out.finish();
  });
}

CRMKIT_CLI_COMMAND(40, setup_value);
CRMKIT_CLI_COMMAND(41, setup_rfm);
CRMKIT_CLI_COMMAND(42, setup_tiers);

}  // namespace
