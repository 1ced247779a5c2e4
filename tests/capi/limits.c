/* C API: hostile inputs — instants outside the supported range, huge horizons and counts,
 * NaN/Inf/negative numbers, devices as files, and handle misuse. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"

#define HAS(text) (strstr(crmkit_last_error(), (text)) != NULL)

static void time_range(void) {
  char buf[32];
  int64_t t = 0;
  CHECK(crmkit_time_format(INT64_MIN, buf, sizeof buf) == CRMKIT_EINVAL && HAS("supported range"));
  CHECK(crmkit_time_format(INT64_MAX, buf, sizeof buf) == CRMKIT_EINVAL);
  CHECK(crmkit_time_format(-2208988800 - 1, buf, sizeof buf) == CRMKIT_EINVAL);
  CHECK(crmkit_time_format(16725225599 + 1, buf, sizeof buf) == CRMKIT_EINVAL);
  CHECK(crmkit_time_format(-2208988800, buf, sizeof buf) == CRMKIT_OK && strcmp(buf, "1900-01-01T00:00:00Z") == 0);
  CHECK(crmkit_time_format(16725225599, buf, sizeof buf) == CRMKIT_OK && strcmp(buf, "2499-12-31T23:59:59Z") == 0);
  CHECK(crmkit_time_parse("1899-12-31T23:59:59Z", &t) == CRMKIT_EINVAL);
  CHECK(crmkit_time_parse("2500-01-01T00:00:00Z", &t) == CRMKIT_EINVAL);
  CHECK(crmkit_time_parse("2499-12-31T23:59:59Z", &t) == CRMKIT_OK && t == 16725225599);
}

static void clv_bounds(void) {
  crmkit_bgnbd bg = {0.24, 4.4, 0.79, 2.4};
  crmkit_gammagamma gg = {6.25, 3.74, 15.4};
  double x[2] = {2, 1}, t_x[2] = {30, 10}, T[2] = {38, 38}, m[2] = {20, 30}, clv[2], out = 0;
  crmkit_clv_options o;
  CHECK(crmkit_clv_options_init(&o) == CRMKIT_OK);
  o.horizon_months = INT_MAX; /* hung for hours before */
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_ELIMIT &&
        HAS("horizon_months"));
  o.horizon_months = 1200;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_OK);
  CHECK(crmkit_value_simple_clv(100, 0.8, 0.01, INT_MAX, &out) == CRMKIT_ELIMIT && HAS("periods"));
  CHECK(crmkit_value_simple_clv(NAN, 0.8, 0.01, 12, &out) == CRMKIT_EINVAL && HAS("margin"));
  CHECK(crmkit_value_simple_clv(100, 0.8, INFINITY, 12, &out) == CRMKIT_EINVAL && HAS("discount"));

  /* A NaN, infinite or negative spend gave a NaN or negative CLV. */
  o.horizon_months = 12;
  m[1] = NAN;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_EINVAL &&
        HAS("customer 1") && HAS("m (mean spend)"));
  m[1] = INFINITY;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_EINVAL);
  m[1] = -5;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_EINVAL);
  m[1] = 30;
  bg.r = NAN;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_EINVAL && HAS("bgnbd.r"));
  bg.r = 0.24;
  o.margin = INFINITY;
  CHECK(crmkit_value_predict(&bg, &gg, x, t_x, T, m, 2, 10, &o, NULL, NULL, NULL, clv) == CRMKIT_EINVAL);
  CHECK(crmkit_value_predict(&bg, &gg, NULL, t_x, T, m, 2, 10, NULL, NULL, NULL, NULL, clv) == CRMKIT_EINVAL);
}

/* Counts no array can hold are refused before any element is touched (the arrays here hold 2). */
static void huge_counts(void) {
  const size_t huge = SIZE_MAX;
  double d[2] = {1, 2}, out_d[2];
  int32_t i32[2] = {0, 0};
  uint32_t u32[2] = {0, 0};
  int64_t i64[2] = {0, 0}, out_i64[2];
  uint8_t u8[2];
  char grades[6], classes[2] = {'A', 'B'};
  crmkit_bgnbd bg;
  crmkit_gammagamma gg = {6.25, 3.74, 15.4};
  crmkit_calendar* cal = NULL;
  crmkit_clocks* clocks = NULL;
  crmkit_clock_event ev[2];
  size_t count = 0;

  CHECK(crmkit_tiers_enterprise(NULL, classes, d, huge, grades) == CRMKIT_ELIMIT && HAS("n"));
  CHECK(crmkit_tiers_enterprise(NULL, classes, d, huge / 3 + 1, grades) == CRMKIT_ELIMIT); /* 3n wraps */
  CHECK(crmkit_tiers_individual(NULL, d, NULL, NULL, huge, i32, NULL, NULL) == CRMKIT_ELIMIT);
  CHECK(crmkit_tiers_pyramid(NULL, d, huge, i32) == CRMKIT_ELIMIT);
  CHECK(crmkit_tiers_abc(NULL, d, huge, grades) == CRMKIT_ELIMIT);
  CHECK(crmkit_rfm_score(u32, i32, d, huge, 2, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, u8) == CRMKIT_ELIMIT);
  CHECK(crmkit_rfm_score(u32, i32, d, 2, huge, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, u8) == CRMKIT_ELIMIT);
  CHECK(crmkit_value_summarize(u32, i32, d, huge, 2, 0, CRMKIT_PERIOD_DAY, out_d, out_d, out_d, NULL, u8) ==
        CRMKIT_ELIMIT);
  CHECK(crmkit_value_summarize(u32, i32, d, 2, huge, 0, CRMKIT_PERIOD_DAY, out_d, out_d, out_d, NULL, u8) ==
        CRMKIT_ELIMIT);
  CHECK(crmkit_value_bgnbd_fit(d, d, d, huge, &bg, NULL) == CRMKIT_ELIMIT);
  CHECK(crmkit_value_gammagamma_fit(d, d, huge, &gg, NULL, NULL) == CRMKIT_ELIMIT);
  CHECK(crmkit_value_predict(&bg, &gg, d, d, d, d, huge, 1, NULL, NULL, NULL, NULL, out_d) == CRMKIT_ELIMIT);

  CHECK(crmkit_calendar_always_open(&cal) == CRMKIT_OK);
  CHECK(crmkit_calendar_add_batch(cal, i64, i64, huge, out_i64) == CRMKIT_ELIMIT);
  CHECK(crmkit_calendar_between_batch(cal, i64, i64, huge, out_i64) == CRMKIT_ELIMIT);
  CHECK(crmkit_calendar_add_batch(cal, NULL, i64, 2, out_i64) == CRMKIT_EINVAL);
  crmkit_calendar_free(cal);

  CHECK(crmkit_clocks_new(&clocks) == CRMKIT_OK);
  CHECK(crmkit_clocks_sweep(clocks, 0, ev, huge, &count) == CRMKIT_ELIMIT && HAS("capacity"));
  CHECK(crmkit_clocks_sweep(clocks, 0, NULL, 2, &count) == CRMKIT_EINVAL);
  crmkit_clocks_free(clocks);
}

static void bad_numbers(void) {
  double spend[2] = {100, 200};
  int32_t below[2] = {0, INT32_MAX}, tier[2];
  const char* previous[2] = {"gold", "gold"};
  char grades[6], classes[2] = {'A', 'A'};
  double revenue[2] = {1e6, NAN};
  crmkit_calendar* cal = NULL;
  int64_t out = 0;

  /* periods_below + 1 overflowed */
  CHECK(crmkit_tiers_individual(NULL, spend, previous, below, 2, tier, NULL, NULL) == CRMKIT_EINVAL &&
        HAS("row 1") && HAS("periods_below"));
  spend[0] = -INFINITY;
  CHECK(crmkit_tiers_individual(NULL, spend, NULL, NULL, 2, tier, NULL, NULL) == CRMKIT_EINVAL && HAS("row 0"));
  CHECK(crmkit_tiers_enterprise(NULL, classes, revenue, 2, grades) == CRMKIT_EINVAL && HAS("annual revenue"));

  CHECK(crmkit_calendar_always_open(&cal) == CRMKIT_OK);
  CHECK(crmkit_calendar_add(cal, INT64_MIN, 10, &out) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_add(cal, 0, INT64_MAX, &out) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_between(cal, INT64_MIN, INT64_MAX, &out) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_next_working(cal, INT64_MAX, &out) == CRMKIT_EINVAL);
  crmkit_calendar_free(cal);
}

static void devices_as_files(void) {
  crmkit_calendar* cal = NULL;
  CHECK(crmkit_calendar_from_file("/dev/zero", &cal) == CRMKIT_EINVAL && HAS("/dev/zero"));
  CHECK(crmkit_calendar_from_file("/", &cal) == CRMKIT_EINVAL);
  CHECK(cal == NULL);
}

static void handles(void) {
  crmkit_calendar *a = NULL, *b = NULL;
  crmkit_clocks* clocks = NULL;
  char* s = NULL;
  size_t count = 0;

  /* A handle of another type is refused, and freeing it as that type does nothing. */
  CHECK(crmkit_calendar_always_open(&a) == CRMKIT_OK);
  CHECK(crmkit_clocks_size((crmkit_clocks*)a, &count, NULL) == CRMKIT_EINVAL && HAS("not a live handle"));
  CHECK(crmkit_policy_clocks((const crmkit_policy*)a, &s) == CRMKIT_EINVAL);
  crmkit_clocks_free((crmkit_clocks*)a);
  crmkit_policy_free((crmkit_policy*)a);
  CHECK(crmkit_calendar_to_json(a, &s) == CRMKIT_OK);
  crmkit_string_free(s);
  CHECK(crmkit_clocks_new(&clocks) == CRMKIT_OK);
  CHECK(crmkit_calendar_to_json((const crmkit_calendar*)clocks, &s) == CRMKIT_EINVAL);
  crmkit_clocks_free(clocks);

  /* A freed handle is refused; a double free is harmless. */
  crmkit_calendar_free(a);
  CHECK(crmkit_calendar_to_json(a, &s) == CRMKIT_EINVAL);
  crmkit_calendar_free(a);

#if CRMKIT_TEST_HARDENED_HANDLES
  /* Hardened build: the stale pointer's second free must not destroy a handle made since (the
   * allocator would hand the freed address straight back), and freed handles stay refused. */
  {
    int i;
    CHECK(crmkit_calendar_always_open(&b) == CRMKIT_OK);
    CHECK(b != a);
    crmkit_calendar_free(a);
    CHECK(crmkit_calendar_to_json(b, &s) == CRMKIT_OK);
    crmkit_string_free(s);
    for (i = 0; i < 1000; ++i) {
      crmkit_calendar* c = NULL;
      CHECK(crmkit_calendar_always_open(&c) == CRMKIT_OK);
      crmkit_calendar_free(c);
      CHECK(crmkit_calendar_to_json(c, &s) == CRMKIT_EINVAL);
      CHECK(crmkit_calendar_to_json(a, &s) == CRMKIT_EINVAL);
    }
    crmkit_calendar_free(b);
  }
#else
  (void)b;
#endif
}

int main(void) {
  time_range();
  clv_bounds();
  huge_counts();
  bad_numbers();
  devices_as_files();
  handles();
  return report();
}
