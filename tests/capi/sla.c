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
  CHECK(strstr(json, "\"duration_seconds\":5400") != NULL && strstr(json, "\"kind\":\"business\"") != NULL);
  crmkit_string_free(json);
  /* A web reply is 24 elapsed hours (a promise in wall-clock time). */
  CHECK(crmkit_policy_target(policy, "first_response", "{\"channel\":\"web\"}", &json) == CRMKIT_OK);
  CHECK(strstr(json, "\"duration_seconds\":86400") != NULL && strstr(json, "\"kind\":\"elapsed\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_policy_target(policy, "first_response", "{\"chanel\":\"web\"}", &json) == CRMKIT_EINVAL); /* a typo */

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

  /* An instant target: due at the time the case's field gives, plus the offset; it does not pause. */
  CHECK(crmkit_calendar_from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &cal) == CRMKIT_OK);
  CHECK(crmkit_policy_from_json("{\"clocks\":{\"notice\":{\"kind\":\"instant\",\"field\":\"visit_at\",\"offset\":\"-30m\"}}}", cal,
                                &policy) == CRMKIT_OK);
  crmkit_calendar_free(cal);
  CHECK(crmkit_clocks_new(&clocks) == CRMKIT_OK);
  CHECK(crmkit_clocks_create(clocks, policy, "notice", NULL, &id) == CRMKIT_EINVAL); /* no visit_at */
  CHECK(crmkit_clocks_create(clocks, policy, "notice", "{\"fields\":{\"visit_at\":\"soon\"}}", &id) == CRMKIT_EINVAL);
  CHECK(crmkit_clocks_create(clocks, policy, "notice", "{\"fields\":{\"visit_at\":\"2026-03-09T14:00:00+08:00\"}}", &id) == CRMKIT_OK);
  CHECK(crmkit_clocks_start(clocks, id, t) == CRMKIT_OK); /* 11:00 */
  CHECK(crmkit_clocks_status(clocks, id, t, &st) == CRMKIT_OK);
  CHECK(st.has_due && st.due == t + 2 * 3600 + 1800 && st.target_seconds == 2 * 3600 + 1800);
  CHECK(crmkit_clocks_pause(clocks, id, t + 60) == CRMKIT_ESTATE);
  /* Moved to 16:00: due 15:30. */
  CHECK(crmkit_clocks_retarget(clocks, id, policy, "notice", "{\"fields\":{\"visit_at\":\"2026-03-09T16:00:00+08:00\"}}", t + 60) ==
        CRMKIT_OK);
  CHECK(crmkit_clocks_status(clocks, id, t + 60, &st) == CRMKIT_OK && st.due == t + 4 * 3600 + 1800);
  crmkit_clocks_free(clocks);
  crmkit_policy_free(policy);
  crmkit_policy_free(NULL);
  return report();
}
