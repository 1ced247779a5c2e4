/* C API: RFM scores and tiers over plain arrays; errors. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"


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
  double spend[3] = {600, 20, 1};
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
  /* defaults: diamond >= 2000, gold >= 500, silver >= 100, basic */
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
  return report();
}
