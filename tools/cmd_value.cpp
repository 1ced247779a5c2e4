// crmkit value fit|predict, crmkit rfm, crmkit tiers — customer value from the command line.
#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "cli.hpp"
#include "crmkit/error.hpp"
#include "crmkit/rfm.hpp"
#include "crmkit/tiering.hpp"
#include "crmkit/value.hpp"

namespace {

using namespace crmkit;

/// Buffered stdout for large CSV outputs.
class Out {
 public:
  ~Out() { flush(); }
  template <class... A>
  void print(fmt::format_string<A...> f, A&&... a) {
    fmt::format_to(std::back_inserter(buf_), f, std::forward<A>(a)...);
    if (buf_.size() > (1 << 20)) flush();
  }
  void flush() {
    fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

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
    if (!summary.empty()) return value::read_summary_csv(cli::read_file(summary));
    if (calibration_end.empty()) throw Error(Errc::invalid_argument, "--transactions needs --calibration-end");
    return value::summarize(read_log(transactions, skip), CivilDate::parse(calibration_end), unit_of(period));
  }
};

/// Gamma-Gamma needs m > 0: customers with x > 0 and a zero mean spend are left out of its fit.
value::GammaGamma::Fit fit_spend(const std::vector<value::CustomerSummary>& rows) {
  std::vector<value::CustomerSummary> used;
  for (const auto& c : rows)
    if (c.x > 0 && c.m > 0) used.push_back(c);
  return value::GammaGamma::fit(used);
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
      auto g = fit_spend(table.rows);
      gg = fmt::format(R"({{"p": {:.6g}, "q": {:.6g}, "v": {:.6g}, "loglik": {:.6f}, "customers": {}}})", g.model.p, g.model.q,
                       g.model.v, g.log_likelihood, g.customers);
    }
    fmt::print(R"({{"bgnbd": {{"r": {:.6g}, "alpha": {:.6g}, "a": {:.6g}, "b": {:.6g}, "loglik": {:.6f}}}, "gammagamma": {}, "customers": {}}})"
               "\n",
               bg.model.r, bg.model.alpha, bg.model.a, bg.model.b, bg.log_likelihood, gg, table.rows.size());
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
    auto gg = fit_spend(table.rows);
    value::ClvOptions o;
    o.horizon_months = horizon;
    o.monthly_discount = discount;
    o.unit = unit_of(pred_in.period);
    o.margin = margin;
    auto values = value::predict(bg.model, gg.model, table.rows, t, o);
    Out out;
    out.print("id,expected_purchases,p_alive,expected_spend,clv\n");
    for (size_t i = 0; i < values.size(); ++i)
      out.print("{},{:.6f},{:.6f},{:.4f},{:.4f}\n", table.ids[i], values[i].expected_purchases, values[i].p_alive,
                values[i].expected_spend, values[i].clv);
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
    rfm::Config c = config.empty() ? rfm::Config{} : rfm::Config::from_json(cli::read_file(config));
    auto table = rfm::score(read_log(transactions, skip), CivilDate::parse(asof), c);
    Out out;
    out.print("customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n");
    for (size_t i = 0; i < table.size(); ++i)
      out.print("{},{},{},{:.2f},{},{},{},{},{}\n", table.ids[i], table.recency_days[i], table.frequency[i], table.monetary[i],
                table.r[i], table.f[i], table.m[i], table.code[i], table.segment_names[table.segment[i]]);
  });
}

void setup_tiers(CLI::App& app) {
  static std::string transactions, asof, config, history;
  static bool skip = false;
  auto* cmd = app.add_subcommand("tiers", "Individual tiers (diamond/gold/silver/basic) as of a date, with the rule (CSV)");
  cmd->add_option("--transactions", transactions, "Transaction log (CSV customer_id,date,amount or CDNOW text)")->required();
  cmd->add_option("--asof", asof, "As-of date YYYY-MM-DD")->required();
  cmd->add_option("--config", config, "Tier rules JSON (default: the shipped data/tiers/default.json)");
  cmd->add_option("--history", history, "Earlier grades CSV customer_id,tier[,periods_below]: re-rate with hysteresis");
  cmd->add_flag("--skip-bad-rows", skip, "Report bad rows on stderr and go on (default: stop)");
  cmd->callback([] {
    auto c = tiering::Config::from_file(config.empty() ? cli::data_path("tiers/default.json") : config);
    std::optional<tiering::History> h;
    if (!history.empty()) h = tiering::History::from_csv(cli::read_file(history));
    auto rows = tiering::individual_tiers(read_log(transactions, skip), CivilDate::parse(asof), c, h ? &*h : nullptr);
    Out out;
    auto quote = [](const std::string& s) {
      std::string q = "\"";
      for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      return q + "\"";
    };
    out.print("{}", h ? "customer_id,tier,previous_tier,change,periods_below,reason\n" : "customer_id,tier,reason\n");
    for (const auto& r : rows) {
      if (h)
        out.print("{},{},{},{},{},{}\n", r.customer_id, r.rating.tier, r.rating.previous, r.rating.change, r.rating.periods_below,
                  quote(r.rating.reason));
      else
        out.print("{},{},{}\n", r.customer_id, r.rating.tier, quote(r.rating.reason));
    }
  });
}

CRMKIT_CLI_COMMAND(40, setup_value);
CRMKIT_CLI_COMMAND(41, setup_rfm);
CRMKIT_CLI_COMMAND(42, setup_tiers);

}  // namespace
