/* C API: RFM scores and tiers over plain arrays; errors. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"


/* NULL config = the shipped data/tiers/default.json (the CLI's and Python's default): the same
 * tiers at and around every threshold, the same pyramid levels and A/B/C classes. */
static void shipped_default(void) {
  static char text[1 << 16];
  double spend[9] = {2500, 50, 49.99, 18, 17.99, 4, 3.99, 0, 600};
  double values[100], clv[6] = {900, 500, 300, 100, 60, 1};
  int32_t a[9], b[9], la[100], lb[100];
  char ca[6], cb[6];
  size_t len;
  int i;
  FILE* f = fopen(CRMKIT_SOURCE_DIR "/data/tiers/default.json", "rb");
  CHECK(f != NULL);
  if (!f) return;
  len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = 0;
  CHECK(crmkit_tiers_individual(NULL, spend, NULL, NULL, 9, a, NULL, NULL) == CRMKIT_OK);
  CHECK(crmkit_tiers_individual(text, spend, NULL, NULL, 9, b, NULL, NULL) == CRMKIT_OK);
  for (i = 0; i < 9; ++i) CHECK(a[i] == b[i]);
  CHECK(a[1] == 0 && a[2] == 1 && a[3] == 1 && a[4] == 2 && a[5] == 2 && a[6] == 3 && a[8] == 0);
  for (i = 0; i < 100; ++i) values[i] = (i * 37) % 100;
  CHECK(crmkit_tiers_pyramid(NULL, values, 100, la) == CRMKIT_OK && crmkit_tiers_pyramid(text, values, 100, lb) == CRMKIT_OK);
  for (i = 0; i < 100; ++i) CHECK(la[i] == lb[i]);
  CHECK(crmkit_tiers_abc(NULL, clv, 6, ca) == CRMKIT_OK && crmkit_tiers_abc(text, clv, 6, cb) == CRMKIT_OK);
  CHECK(memcmp(ca, cb, 6) == 0);
}

/* Money in minor units: the _minor entry points equal the double ones on amounts with at most four
 * decimals, and a refused call (amount out of range, total past 9e14) writes nothing. */
static void money_minor_units(void) {
  uint32_t cust[] = {0, 0, 1, 1, 1};
  int32_t day[] = {1, 3, 2, 2, 5};
  double amount[] = {0.1, 0.2, 133.95, 0.3, 0.00015};
  int64_t minor[] = {1000, 2000, 1339500, 3000, 1}; /* 0.00015 * 10000 = 1.4999999999999998 -> 1 */
  double mon_d[2], mon_m[2], x[2], t_x[2], T[2], m_d[2], m_m[2];
  int32_t rec[2];
  int64_t freq[2];
  uint8_t r[2], f[2], m[2], present[2], seen[2];
  uint16_t seg[2];
  CHECK(crmkit_rfm_score(cust, day, amount, 5, 2, 10, NULL, rec, freq, mon_d, r, f, m, seg, present) == CRMKIT_OK);
  CHECK(crmkit_rfm_score_minor(cust, day, minor, 5, 2, 10, NULL, rec, freq, mon_m, r, f, m, seg, present) == CRMKIT_OK);
  CHECK(mon_d[0] == 0.3 && mon_m[0] == 0.3); /* 0.1 + 0.2 in minor units */
  CHECK(mon_d[1] == mon_m[1] && mon_d[1] == 134.2501);
  CHECK(crmkit_rfm_score(cust, day, amount, 5, 2, 10, "{\"monetary\":\"average\"}", NULL, NULL, mon_d, r, f, m, NULL,
                         present) == CRMKIT_OK);
  CHECK(mon_d[0] == 0.15);
  CHECK(crmkit_value_summarize(cust, day, amount, 5, 2, 10, CRMKIT_PERIOD_DAY, x, t_x, T, m_d, seen) == CRMKIT_OK);
  CHECK(crmkit_value_summarize_minor(cust, day, minor, 5, 2, 10, CRMKIT_PERIOD_DAY, x, t_x, T, m_m, seen) == CRMKIT_OK);
  CHECK(m_d[0] == 0.2 && m_m[0] == 0.2 && m_d[1] == 0.0001 && m_m[1] == 0.0001);
  /* Refusals name the row or the customer and leave the outputs alone. */
  minor[3] = -1;
  mon_m[0] = -7;
  m_m[0] = -7;
  CHECK(crmkit_rfm_score_minor(cust, day, minor, 5, 2, 10, NULL, rec, freq, mon_m, r, f, m, seg, present) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "transaction 3") != NULL);
  CHECK(crmkit_value_summarize_minor(cust, day, minor, 5, 2, 10, CRMKIT_PERIOD_DAY, x, t_x, T, m_m, seen) == CRMKIT_EINVAL);
  CHECK(mon_m[0] == -7 && m_m[0] == -7);
  minor[3] = 9000000000000000000LL;
  minor[2] = 1;
  CHECK(crmkit_rfm_score_minor(cust, day, minor, 5, 2, 10, NULL, rec, freq, mon_m, r, f, m, seg, present) == CRMKIT_ELIMIT);
  CHECK(strstr(crmkit_last_error(), "customer 1") != NULL);
  CHECK(crmkit_value_summarize_minor(cust, day, minor, 5, 2, 10, CRMKIT_PERIOD_DAY, x, t_x, T, m_m, seen) == CRMKIT_ELIMIT);
  CHECK(mon_m[0] == -7 && m_m[0] == -7);
  amount[4] = 1e15;
  CHECK(crmkit_rfm_score(cust, day, amount, 5, 2, 10, NULL, rec, freq, mon_m, r, f, m, seg, present) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "transaction 4") != NULL);
  CHECK(crmkit_rfm_score_minor(cust, day, NULL, 5, 2, 10, NULL, rec, freq, mon_m, r, f, m, seg, present) == CRMKIT_EINVAL);
  CHECK(mon_m[0] == -7);
}

int main(void) {
  /* 5 customers, customer 4 has no purchase before the as-of day 100. */
  uint32_t cust[] = {0, 0, 0, 1, 1, 2, 3, 4};
  int32_t day[] = {99, 90, 80, 95, 50, 60, 10, 150};
  double amount[] = {10, 10, 10, 40, 40, 5, 1, 1000};
  int32_t rec[5];
  int64_t freq[5];
  double mon[5];
  uint8_t r[5], f[5], m[5], present[5];
  uint16_t seg[5];
  char* names = NULL;
  int32_t tier[3], below[3], change[3], level[100];
  double spend[3] = {30, 10, 1};
  const char* previous[3] = {NULL, "diamond", "silver"};
  int32_t prev_below[3] = {0, 0, 0};
  char grades[9], classes[5];
  double revenue[3] = {20e6, 60e3, 0}, clv[5] = {700, 100, 100, 50, 50}, values[100];
  int i;

  CHECK(crmkit_rfm_score(cust, day, amount, 8, 5, 100, NULL, rec, freq, mon, r, f, m, seg, present) == CRMKIT_OK);
  CHECK(present[0] && present[3] && !present[4]);
  CHECK(rec[0] == 1 && freq[0] == 3 && mon[0] == 30);
  CHECK(r[0] == 4 && f[0] == 4 && m[1] == 4); /* 4 customers: the best has L = 3, 1 + floor(15/4) = 4 */
  CHECK(crmkit_rfm_segment_names(NULL, &names) == CRMKIT_OK && strstr(names, "\"champions\"") != NULL);
  crmkit_string_free(names);
  /* Outputs other than present may be NULL. */
  CHECK(crmkit_rfm_score(cust, day, amount, 8, 5, 100, NULL, NULL, NULL, NULL, r, NULL, NULL, NULL, present) == CRMKIT_OK);
  CHECK(crmkit_rfm_score(cust, day, amount, 8, 5, 100, "{\"scoring\":\"cut_points\"}", NULL, NULL, NULL, r, f, m, NULL, present) == CRMKIT_OK);
  CHECK(crmkit_rfm_score(cust, day, amount, 8, 5, 100, "{\"scoring\":", NULL, NULL, NULL, r, f, m, NULL, present) == CRMKIT_EPARSE);
  cust[2] = 9;
  CHECK(crmkit_rfm_score(cust, day, amount, 8, 5, 100, NULL, NULL, NULL, NULL, r, f, m, NULL, present) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "transaction 2") != NULL);
  CHECK(crmkit_rfm_score(NULL, NULL, NULL, 0, 0, 100, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == CRMKIT_OK);

  CHECK(crmkit_tiers_individual(NULL, spend, previous, prev_below, 3, tier, below, change) == CRMKIT_OK);
  /* defaults (data/tiers/default.json): diamond >= 50, gold >= 18, silver >= 4, basic */
  CHECK(tier[0] == 1 && change[0] == CRMKIT_TIER_NEW);
  CHECK(tier[1] == 0 && change[1] == CRMKIT_TIER_HELD && below[1] == 1);
  CHECK(tier[2] == 2 && change[2] == CRMKIT_TIER_HELD);
  CHECK(crmkit_tiers_names(NULL, &names) == CRMKIT_OK && strstr(names, "\"5B\"") != NULL);
  crmkit_string_free(names);
  spend[1] = -1;
  CHECK(crmkit_tiers_individual(NULL, spend, NULL, NULL, 3, tier, NULL, NULL) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "row 1") != NULL);

  CHECK(crmkit_tiers_enterprise(NULL, "ABA", revenue, 3, grades) == CRMKIT_OK);
  CHECK(strcmp(grades, "1A") == 0 && strcmp(grades + 3, "4B") == 0 && strcmp(grades + 6, "5A") == 0);
  CHECK(crmkit_tiers_enterprise(NULL, "AZ", revenue, 2, grades) == CRMKIT_EINVAL);
  for (i = 0; i < 100; ++i) values[i] = i;
  CHECK(crmkit_tiers_pyramid(NULL, values, 100, level) == CRMKIT_OK && level[99] == 0 && level[0] == 3);
  CHECK(crmkit_tiers_abc(NULL, clv, 5, classes) == CRMKIT_OK && classes[0] == 'A' && classes[1] == 'B' && classes[4] == 'C');
  CHECK(crmkit_tiers_abc(NULL, NULL, 5, classes) == CRMKIT_EINVAL);
  shipped_default();
  money_minor_units();
  return report();
}
