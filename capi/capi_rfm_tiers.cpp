// C ABI: RFM scores and customer tiers over plain arrays.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "common/checks.hpp"
#include "crmkit/rfm.hpp"
#include "crmkit/tiering.hpp"
#include "handles.hpp"

using namespace crmkit;
using namespace crmkit::capi;
using nlohmann::json;

namespace {

rfm::Config rfm_config(const char* text) { return text && *text ? rfm::Config::from_json(text) : rfm::Config{}; }
/// The default of a NULL config: the shipped data/tiers/default.json, whose individual thresholds
/// (average monthly spend 50 / 18 / 4, set for the CDNOW data) are also the CLI's and Python's
/// default; every other field equals tiering::Config{}. tests/capi/rfm_tiers.c checks they agree.
tiering::Config shipped_tier_config() {
  tiering::Config c;
  c.individual = {{"diamond", 50}, {"gold", 18}, {"silver", 4}, {"basic", 0}};
  return c;
}
tiering::Config tier_config(const char* text) { return text && *text ? tiering::Config::from_json(text) : shipped_tier_config(); }

int change_code(const std::string& change) {
  if (change == "same") return CRMKIT_TIER_SAME;
  if (change == "upgrade") return CRMKIT_TIER_UPGRADE;
  if (change == "downgrade") return CRMKIT_TIER_DOWNGRADE;
  if (change == "held") return CRMKIT_TIER_HELD;
  return CRMKIT_TIER_NEW;
}

}  // namespace
namespace {

/// crmkit_rfm_score and its minor-units twin: `score` is the kernel for the amount type.
template <class Amount, class Kernel>
int score_arrays(const uint32_t* customer, const int32_t* day, const Amount* amount, size_t n, size_t n_customers,
                 int32_t asof_day, const char* config_json, int32_t* out_recency, int64_t* out_frequency,
                 double* out_monetary, uint8_t* out_r, uint8_t* out_f, uint8_t* out_m, uint16_t* out_segment,
                 uint8_t* out_present, Kernel score) {
  if (n > 0) {
    CRMKIT_REQUIRE(customer);
    CRMKIT_REQUIRE(day);
    CRMKIT_REQUIRE(amount);
  }
  if (n_customers > 0) CRMKIT_REQUIRE(out_present);
  return guard([&] {
    // The widest per-customer buffer bounds the others (8-byte frequency and monetary).
    detail::checked_product(n_customers, sizeof(int64_t), "n_customers");
    detail::checked_product(n, sizeof(double), "n");
    rfm::Config c = rfm_config(config_json);
    std::vector<int32_t> rec(n_customers);
    std::vector<int64_t> freq(n_customers);
    std::vector<double> mon(n_customers);
    std::vector<uint8_t> r(n_customers), f(n_customers), m(n_customers), present(n_customers);
    std::vector<uint16_t> seg(n_customers);
    score(customer, day, amount, n, n_customers, asof_day, c, rec.data(), freq.data(), mon.data(), r.data(), f.data(),
          m.data(), seg.data(), present.data());
    auto copy = [&](auto* out, const auto& v) {
      if (out) std::copy(v.begin(), v.end(), out);
    };
    copy(out_recency, rec);
    copy(out_frequency, freq);
    copy(out_monetary, mon);
    copy(out_r, r);
    copy(out_f, f);
    copy(out_m, m);
    copy(out_segment, seg);
    copy(out_present, present);
    return ok();
  });
}

}  // namespace

extern "C" {

int crmkit_rfm_score(const uint32_t* customer, const int32_t* day, const double* amount, size_t n, size_t n_customers,
                     int32_t asof_day, const char* config_json, int32_t* out_recency, int64_t* out_frequency,
                     double* out_monetary, uint8_t* out_r, uint8_t* out_f, uint8_t* out_m, uint16_t* out_segment,
                     uint8_t* out_present) {
  return score_arrays(customer, day, amount, n, n_customers, asof_day, config_json, out_recency, out_frequency,
                      out_monetary, out_r, out_f, out_m, out_segment, out_present, rfm::score_columns);
}

int crmkit_rfm_score_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor, size_t n,
                           size_t n_customers, int32_t asof_day, const char* config_json, int32_t* out_recency,
                           int64_t* out_frequency, double* out_monetary, uint8_t* out_r, uint8_t* out_f, uint8_t* out_m,
                           uint16_t* out_segment, uint8_t* out_present) {
  return score_arrays(customer, day, amount_minor, n, n_customers, asof_day, config_json, out_recency, out_frequency,
                      out_monetary, out_r, out_f, out_m, out_segment, out_present, rfm::score_columns_minor);
}

int crmkit_rfm_segment_names(const char* config_json, char** out) {
  CRMKIT_REQUIRE(out);
  return guard([&] {
    *out = dup_string(json(rfm::segment_names(rfm_config(config_json))).dump());
    return ok();
  });
}

int crmkit_tiers_names(const char* config_json, char** out) {
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto c = tier_config(config_json);
    json j;
    for (const auto& t : c.individual) j["individual"].push_back(t.tier);
    for (const auto& p : c.pyramid) j["pyramid"].push_back(p.first);
    for (char cls : {'A', 'B'})
      for (int band = 1; band <= 5; ++band) j["enterprise"].push_back(fmt::format("{}{}", band, cls));
    *out = dup_string(j.dump());
    return ok();
  });
}

int crmkit_tiers_individual(const char* config_json, const double* spend, const char* const* previous, const int32_t* below,
                            size_t n, int32_t* out_tier, int32_t* out_below, int32_t* out_change) {
  if (n > 0) {
    CRMKIT_REQUIRE(spend);
    CRMKIT_REQUIRE(out_tier);
  }
  size_t i = 0;
  return guard([&] {
    detail::checked_product(n, sizeof(double), "n");  // spend, the widest input
    auto c = tier_config(config_json);
    std::vector<int32_t> tier(n), b(n), change(n);
    try {
      for (; i < n; ++i) {
        auto grade = tiering::individual_tier(spend[i], c);
        const char* prev = previous ? previous[i] : nullptr;
        int32_t periods = below ? below[i] : 0;
        if (periods < 0) throw Error(Errc::invalid_argument, "periods_below must be >= 0");
        auto r = tiering::rerate(grade, prev ? prev : "", periods, c);
        for (size_t k = 0; k < c.individual.size(); ++k)
          if (c.individual[k].tier == r.tier) tier[i] = static_cast<int32_t>(k);
        b[i] = r.periods_below;
        change[i] = change_code(r.change);
      }
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("row {}: {}", i, e.what()));
    }
    std::copy(tier.begin(), tier.end(), out_tier);
    if (out_below) std::copy(b.begin(), b.end(), out_below);
    if (out_change) std::copy(change.begin(), change.end(), out_change);
    return ok();
  });
}

int crmkit_tiers_enterprise(const char* config_json, const char* account_class, const double* revenue, size_t n,
                            char* out_grade) {
  if (n > 0) {
    CRMKIT_REQUIRE(account_class);
    CRMKIT_REQUIRE(revenue);
    CRMKIT_REQUIRE(out_grade);
  }
  size_t i = 0;
  return guard([&] {
    auto c = tier_config(config_json);
    std::vector<char> out(detail::checked_product(n, 3, "n"));  // 3 bytes per grade
    try {
      for (; i < n; ++i) {
        auto g = tiering::enterprise_grade(account_class[i], revenue[i], c);
        out[3 * i] = g.tier[0];
        out[3 * i + 1] = g.tier[1];
        out[3 * i + 2] = '\0';
      }
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("row {}: {}", i, e.what()));
    }
    std::copy(out.begin(), out.end(), out_grade);
    return ok();
  });
}

int crmkit_tiers_pyramid(const char* config_json, const double* values, size_t n, int32_t* out_level) {
  if (n > 0) {
    CRMKIT_REQUIRE(values);
    CRMKIT_REQUIRE(out_level);
  }
  return guard([&] {
    detail::checked_product(n, sizeof(tiering::Grade), "n");  // one Grade per value
    auto c = tier_config(config_json);
    auto grades = tiering::pyramid(std::span<const double>(values, n), c);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < c.pyramid.size(); ++k)
        if (c.pyramid[k].first == grades[i].tier) out_level[i] = static_cast<int32_t>(k);
    return ok();
  });
}

int crmkit_tiers_abc(const char* config_json, const double* clv, size_t n, char* out_class) {
  if (n > 0) {
    CRMKIT_REQUIRE(clv);
    CRMKIT_REQUIRE(out_class);
  }
  return guard([&] {
    detail::checked_product(n, sizeof(tiering::Grade), "n");  // one Grade per CLV
    auto grades = tiering::abc_by_clv(std::span<const double>(clv, n), tier_config(config_json));
    for (size_t i = 0; i < n; ++i) out_class[i] = grades[i].tier[0];
    return ok();
  });
}

}  // extern "C"
