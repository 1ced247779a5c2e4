// C ABI: business calendars.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/checks.hpp"
#include "crmkit/calendar.hpp"
#include "handle_types.hpp"
#include "handles.hpp"

using namespace crmkit;
using namespace crmkit::capi;

namespace {
const Calendar* get(const crmkit_calendar* h) {
  auto* p = check_handle<crmkit_calendar>(h, "calendar");
  return p ? &p->cal : nullptr;
}
int give(Calendar c, crmkit_calendar** out) {
  *out = make_handle(new crmkit_calendar{std::move(c)});
  return ok();
}
}  // namespace

extern "C" {

int crmkit_calendar_from_json(const char* json, crmkit_calendar** out) {
  CRMKIT_REQUIRE(json);
  CRMKIT_REQUIRE(out);
  return guard([&] { return give(Calendar::from_json(json), out); });
}

int crmkit_calendar_from_file(const char* path, crmkit_calendar** out) {
  CRMKIT_REQUIRE(path);
  CRMKIT_REQUIRE(out);
  return guard([&] { return give(Calendar::from_file(path), out); });
}

int crmkit_calendar_always_open(crmkit_calendar** out) {
  CRMKIT_REQUIRE(out);
  return guard([&] { return give(Calendar(), out); });
}

void crmkit_calendar_free(crmkit_calendar* c) { free_handle(c); }

int crmkit_calendar_to_json(const crmkit_calendar* h, char** out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = dup_string(c->to_json());
    return ok();
  });
}

int crmkit_calendar_holidays(const crmkit_calendar* h, int32_t first_year, int32_t last_year, char** out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    if (last_year < first_year || int64_t{last_year} - first_year >= 100)
      throw Error(Errc::invalid_argument, fmt::format("holidays: years {}..{} are reversed or more than 100", first_year, last_year));
    nlohmann::json list = nlohmann::json::array();
    for (int32_t y = first_year; y <= last_year; ++y)
      for (const auto& holiday : c->holidays_in(y)) list.push_back({{"date", holiday.date.to_string()}, {"name", holiday.name}});
    *out = dup_string(nlohmann::json{{"schema", 1}, {"holidays", std::move(list)}}.dump());
    return ok();
  });
}

int crmkit_calendar_import_ics(const char* ics, size_t length, const crmkit_calendar* base, int skip_timed,
                               crmkit_calendar** out, char** out_report) {
  CRMKIT_REQUIRE(ics);
  CRMKIT_REQUIRE(out);
  const Calendar* b = get(base);
  if (!b) return CRMKIT_EINVAL;
  return guard([&] {
    IcsImportReport report;
    Calendar cal(import_ics(std::string_view(ics, length), b->spec(), IcsImportOptions{skip_timed != 0}, &report));
    std::unique_ptr<char, void (*)(char*)> report_json(nullptr, crmkit_string_free);
    if (out_report)
      report_json.reset(dup_string(nlohmann::json{{"schema", 1},
                                              {"events", report.events},
                                              {"rules", report.rules},
                                              {"holidays", report.holidays},
                                              {"skipped", report.skipped}}
                                   .dump()));
    give(std::move(cal), out);
    if (out_report) *out_report = report_json.release();
    return ok();
  });
}

int crmkit_calendar_add(const crmkit_calendar* h, int64_t start, int64_t secs, int64_t* out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = c->add(Instant::from_unix_seconds(start), Duration::seconds(secs)).unix_seconds();
    return ok();
  });
}

int crmkit_calendar_between(const crmkit_calendar* h, int64_t from, int64_t to, int64_t* out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = c->between(Instant::from_unix_seconds(from), Instant::from_unix_seconds(to)).count_seconds();
    return ok();
  });
}

int crmkit_calendar_is_working(const crmkit_calendar* h, int64_t t, int* out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = c->is_working(Instant::from_unix_seconds(t)) ? 1 : 0;
    return ok();
  });
}

int crmkit_calendar_next_working(const crmkit_calendar* h, int64_t t, int64_t* out) {
  CRMKIT_REQUIRE(out);
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = c->next_working(Instant::from_unix_seconds(t)).unix_seconds();
    return ok();
  });
}

int crmkit_calendar_add_batch(const crmkit_calendar* h, const int64_t* starts, const int64_t* secs, size_t n,
                              int64_t* out) {
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  if (n == 0) return ok();
  CRMKIT_REQUIRE(starts);
  CRMKIT_REQUIRE(secs);
  CRMKIT_REQUIRE(out);
  size_t i = 0;
  return guard([&] {
    detail::checked_product(n, sizeof(int64_t), "n");  // a count no array can hold
    try {
      for (; i < n; ++i) out[i] = c->add(Instant::from_unix_seconds(starts[i]), Duration::seconds(secs[i])).unix_seconds();
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("row {}: {}", i, e.what()));
    }
    return ok();
  });
}

int crmkit_calendar_between_batch(const crmkit_calendar* h, const int64_t* from, const int64_t* to, size_t n,
                                  int64_t* out) {
  const Calendar* c = get(h);
  if (!c) return CRMKIT_EINVAL;
  if (n == 0) return ok();
  CRMKIT_REQUIRE(from);
  CRMKIT_REQUIRE(to);
  CRMKIT_REQUIRE(out);
  size_t i = 0;
  return guard([&] {
    detail::checked_product(n, sizeof(int64_t), "n");  // a count no array can hold
    try {
      for (; i < n; ++i)
        out[i] = c->between(Instant::from_unix_seconds(from[i]), Instant::from_unix_seconds(to[i])).count_seconds();
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("row {}: {}", i, e.what()));
    }
    return ok();
  });
}

}  // extern "C"
