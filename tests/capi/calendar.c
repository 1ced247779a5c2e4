/* C API: calendars, time parsing, errors, bad handles and NULL pointers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"


int main(void) {
  crmkit_calendar* cal = NULL;
  int64_t t = 0, due = 0, secs = 0, next = 0;
  int working = -1;
  char buf[32];
  char* json = NULL;

  CHECK(strcmp(crmkit_version(), CRMKIT_VERSION_STRING) == 0);
  CHECK(crmkit_version_number() == CRMKIT_VERSION_NUMBER);
  CHECK(crmkit_calendar_from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &cal) == CRMKIT_OK);
  CHECK(crmkit_time_parse("2026-09-30T17:00:00+08:00", &t) == CRMKIT_OK);
  CHECK(crmkit_calendar_add(cal, t, 7200, &due) == CRMKIT_OK);
  CHECK(crmkit_time_format(due, buf, sizeof buf) == CRMKIT_OK);
  CHECK(strcmp(buf, "2026-10-08T02:00:00Z") == 0);
  CHECK(crmkit_calendar_between(cal, t, due, &secs) == CRMKIT_OK && secs == 7200);
  CHECK(crmkit_calendar_is_working(cal, t, &working) == CRMKIT_OK && working == 1);
  CHECK(crmkit_calendar_next_working(cal, due, &next) == CRMKIT_OK && next == due + 0);
  CHECK(crmkit_calendar_to_json(cal, &json) == CRMKIT_OK && strstr(json, "Asia/Shanghai") != NULL);
  crmkit_string_free(json);

  {
    int64_t starts[3], adds[3] = {0, 3600, 7200}, out[3];
    starts[0] = starts[1] = starts[2] = t;
    CHECK(crmkit_calendar_add_batch(cal, starts, adds, 3, out) == CRMKIT_OK);
    CHECK(out[2] == due);
    adds[1] = -1;
    CHECK(crmkit_calendar_add_batch(cal, starts, adds, 3, out) == CRMKIT_EINVAL);
    CHECK(strstr(crmkit_last_error(), "row 1") != NULL);
    CHECK(crmkit_calendar_add_batch(cal, NULL, NULL, 0, NULL) == CRMKIT_OK);
    CHECK(crmkit_calendar_between_batch(cal, starts, out, 3, out) == CRMKIT_OK);
  }

  /* Errors: every one a status and a message, never a crash. */
  CHECK(crmkit_calendar_add(cal, t, -5, &due) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_add(NULL, t, 5, &due) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_add(cal, t, 5, NULL) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_from_json("{\"zone\":", &cal) == CRMKIT_EPARSE);
  CHECK(crmkit_calendar_from_json("{\"zone\":\"Nowhere/Land\"}", &cal) == CRMKIT_ENOTFOUND);
  CHECK(strstr(crmkit_last_error(), "calendar.zone") != NULL);
  CHECK(crmkit_calendar_from_json("{\"zone\":\"UTC\",\"week\":{\"mon\":[[\"10:00\",\"09:00\"]]}}", &cal) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_from_json(NULL, &cal) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_from_file("/nonexistent.json", &cal) == CRMKIT_EIO);
  CHECK(crmkit_time_parse("yesterday", &t) == CRMKIT_EPARSE);
  CHECK(crmkit_time_format(0, buf, 5) == CRMKIT_EINVAL);
  CHECK(strcmp(crmkit_status_name(CRMKIT_EPARSE), "parse") == 0);

  /* A freed handle and a foreign pointer are refused. */
  crmkit_calendar_free(cal);
  CHECK(crmkit_calendar_add(cal, t, 5, &due) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "not a live handle") != NULL);
  CHECK(crmkit_calendar_add((const crmkit_calendar*)buf, t, 5, &due) == CRMKIT_EINVAL);
  crmkit_calendar_free(cal); /* double free is harmless */
  crmkit_calendar_free(NULL);

  CHECK(crmkit_calendar_always_open(&cal) == CRMKIT_OK);
  CHECK(crmkit_calendar_add(cal, 0, 90, &due) == CRMKIT_OK && due == 90);
  crmkit_calendar_free(cal);

  return report();
}
