/* C API: SLA policies and clocks: targets, start/pause/resume, sweep in chunks, errors. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"


int main(void) {
  crmkit_calendar* cal = NULL;
  crmkit_policy* policy = NULL;
  crmkit_clocks* clocks = NULL;
  char* json = NULL;
  uint64_t id = 0, id2 = 0;
  int64_t t = 0;
  crmkit_clock_status st;
  crmkit_clock_event events[3];
  size_t n = 0, total = 0, count = 0, bytes = 0;

  CHECK(crmkit_calendar_from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &cal) == CRMKIT_OK);
  CHECK(crmkit_policy_from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json", cal, &policy) == CRMKIT_OK);
  crmkit_calendar_free(cal); /* the policy keeps its own copy */
  CHECK(crmkit_policy_clocks(policy, &json) == CRMKIT_OK && strstr(json, "first_response") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_policy_target(policy, "first_response", "{\"channel\":\"phone\",\"tier\":\"gold\"}", &json) == CRMKIT_OK);
  CHECK(strstr(json, "\"business_seconds\":5400") != NULL);
  crmkit_string_free(json);

  CHECK(crmkit_clocks_new(&clocks) == CRMKIT_OK);
  CHECK(crmkit_clocks_create(clocks, policy, "first_response", "{\"channel\":\"phone\"}", &id) == CRMKIT_OK);
  CHECK(crmkit_clocks_create(clocks, policy, "first_response", NULL, &id2) == CRMKIT_OK);
  CHECK(crmkit_time_parse("2026-03-09T11:00:00+08:00", &t) == CRMKIT_OK);
  CHECK(crmkit_clocks_start(clocks, id, t) == CRMKIT_OK);
  CHECK(crmkit_clocks_start(clocks, id2, t) == CRMKIT_OK);
  CHECK(crmkit_clocks_status(clocks, id, t + 3600, &st) == CRMKIT_OK);
  CHECK(st.state == CRMKIT_CLOCK_RUNNING && st.elapsed_seconds == 3600 && st.has_due && st.target_seconds == 7200);
  /* 4 events for the phone clock (12:00, 14:00, 14:18, 14:30) in chunks of 3. */
  CHECK(crmkit_clocks_sweep(clocks, t + 24 * 3600, events, 3, &n) == CRMKIT_OK && n == 3);
  CHECK(events[0].clock == id && events[0].kind == CRMKIT_CLOCK_WARNING && events[0].at == t + 3600);
  total = n;
  while (n == 3) {
    CHECK(crmkit_clocks_sweep(clocks, t + 24 * 3600, events, 3, &n) == CRMKIT_OK);
    total += n;
  }
  CHECK(total == 4); /* the 24 h default clock has only 7.5 business hours by then: no warning yet */
  CHECK(crmkit_clocks_pause(clocks, id, t) == CRMKIT_OK);
  CHECK(crmkit_clocks_resume(clocks, id, t) == CRMKIT_OK);
  CHECK(crmkit_clocks_retarget(clocks, id, policy, "resolution", "{\"severity\":\"critical\"}", t + 10) == CRMKIT_OK);
  CHECK(crmkit_clocks_size(clocks, &count, &bytes) == CRMKIT_OK && count == 2 && bytes > 0);

  /* Errors: a status and a message, never a crash; nothing changes. */
  CHECK(crmkit_clocks_resume(clocks, id, t + 20) == CRMKIT_ESTATE);
  CHECK(crmkit_clocks_pause(clocks, 999, t + 20) == CRMKIT_ENOTFOUND);
  CHECK(crmkit_clocks_pause(clocks, id, t - 1) == CRMKIT_EINVAL);
  CHECK(crmkit_clocks_create(clocks, policy, "no_such_clock", NULL, &id) == CRMKIT_ENOTFOUND);
  CHECK(crmkit_clocks_create(clocks, policy, "first_response", "{\"channel\":", &id) == CRMKIT_EPARSE);
  CHECK(crmkit_clocks_create(clocks, policy, "first_response", "{\"channel\":5}", &id) == CRMKIT_EINVAL);
  CHECK(crmkit_clocks_sweep(clocks, t, NULL, 3, &n) == CRMKIT_EINVAL);
  CHECK(crmkit_clocks_sweep(clocks, t, NULL, 0, &n) == CRMKIT_OK && n == 0);
  CHECK(crmkit_policy_from_json("{\"clocks\":{}}", cal, &policy) == CRMKIT_EINVAL); /* cal was freed */
  CHECK(crmkit_policy_target(NULL, "x", NULL, &json) == CRMKIT_EINVAL);
  CHECK(crmkit_clocks_start((crmkit_clocks*)policy, 1, t) == CRMKIT_EINVAL); /* wrong handle type */
  crmkit_clocks_free(clocks);
  CHECK(crmkit_clocks_start(clocks, id, t) == CRMKIT_EINVAL); /* freed */
  crmkit_policy_free(policy);
  crmkit_policy_free(NULL);
  return report();
}
