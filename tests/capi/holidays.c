/* C API: recurring holiday rules and iCalendar import (crmkit_calendar_holidays,
 * crmkit_calendar_import_ics): results, ownership, and refusals that change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"

static char* slurp(const char* path, size_t* length) {
  FILE* f = fopen(path, "rb");
  CHECK(f != NULL);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc((size_t)n + 1);
  CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
  buf[n] = 0;
  fclose(f);
  *length = (size_t)n;
  return buf;
}

int main(void) {
  crmkit_calendar *us = NULL, *imported = NULL;
  char *json = NULL, *report = NULL;
  int64_t t = 0, due = 0;

  /* The shipped US federal calendar: rules observed on the nearest weekday. */
  CHECK(crmkit_calendar_from_file(CRMKIT_SOURCE_DIR "/data/calendars/us-federal.json", &us) == CRMKIT_OK);
  CHECK(crmkit_calendar_holidays(us, 2027, 2027, &json) == CRMKIT_OK);
  CHECK(strstr(json, "{\"date\":\"2027-07-05\",\"name\":\"Independence Day\"}") != NULL);
  CHECK(strstr(json, "\"2027-12-31\"") != NULL); /* New Year's Day 2028 falls on a Saturday */
  crmkit_string_free(json);
  /* Thanksgiving: Wednesday 16:00 EST + 3 h = Friday 11:00 EST. */
  CHECK(crmkit_time_parse("2026-11-25T16:00:00-05:00", &t) == CRMKIT_OK);
  CHECK(crmkit_calendar_add(us, t, 3 * 3600, &due) == CRMKIT_OK);
  CHECK(due == t + 43 * 3600);

  json = (char*)"untouched";
  CHECK(crmkit_calendar_holidays(us, 2027, 2026, &json) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "2027..2026") != NULL);
  CHECK(crmkit_calendar_holidays(us, 1899, 1900, &json) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_holidays(us, 2000, 2100, &json) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_holidays(NULL, 2026, 2026, &json) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_holidays(us, 2026, 2026, NULL) == CRMKIT_EINVAL);
  CHECK(strcmp(json, "untouched") == 0);

  /* An iCalendar feed on top of the US calendar. */
  size_t length = 0;
  char* ics = slurp(CRMKIT_SOURCE_DIR "/tests/fixtures/company-holidays.ics", &length);
  CHECK(crmkit_calendar_import_ics(ics, length, us, 0, &imported, &report) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "'Team offsite' (UID offsite@example.com") != NULL);
  CHECK(imported == NULL && report == NULL);
  CHECK(crmkit_calendar_import_ics(ics, length, us, 1, &imported, &report) == CRMKIT_OK);
  CHECK(strcmp(report, "{\"events\":8,\"holidays\":8,\"rules\":5,\"schema\":1,\"skipped\":[\"event 'Team offsite' (UID "
                       "offsite@example.com, DTSTART 20260415T090000Z): not an all-day event\"]}") == 0);
  crmkit_string_free(report);
  CHECK(crmkit_calendar_holidays(imported, 2026, 2026, &json) == CRMKIT_OK);
  CHECK(strstr(json, "\"2026-11-27\",\"name\":\"Thanksgiving Day and the day after\"") != NULL);
  CHECK(strstr(json, "\"2026-07-03\",\"name\":\"Independence Day\"") != NULL); /* the base's rules stay */
  crmkit_string_free(json);
  crmkit_calendar_free(imported);
  imported = NULL;
  /* Without a report; the base is unchanged. */
  CHECK(crmkit_calendar_import_ics(ics, length, us, 1, &imported, NULL) == CRMKIT_OK);
  crmkit_calendar_free(imported);
  CHECK(crmkit_calendar_holidays(us, 2026, 2026, &json) == CRMKIT_OK);
  CHECK(strstr(json, "Thanksgiving Day and the day after") == NULL);
  crmkit_string_free(json);

  /* Refusals: a length that cuts the text, NULLs, a freed base. */
  imported = NULL;
  CHECK(crmkit_calendar_import_ics("garbage", 7, us, 0, &imported, NULL) == CRMKIT_EPARSE);
  CHECK(crmkit_calendar_import_ics(ics, 0, us, 0, &imported, NULL) == CRMKIT_EPARSE);
  CHECK(crmkit_calendar_import_ics(NULL, 0, us, 0, &imported, NULL) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_import_ics(ics, length, NULL, 0, &imported, NULL) == CRMKIT_EINVAL);
  CHECK(crmkit_calendar_import_ics(ics, length, us, 0, NULL, NULL) == CRMKIT_EINVAL);
  CHECK(imported == NULL);
  free(ics);
  crmkit_calendar_free(us);
  CHECK(crmkit_calendar_holidays(us, 2026, 2026, &json) == CRMKIT_EINVAL);
  printf("capi holidays OK\n");
  return 0;
}
