/* C API: work orders beside complaints (both shipped workflows from their folders): the window's
 * clocks, a reschedule, a refused one changing nothing, nobody at home, join and link recorded on
 * both cases, the work-order KPIs; a durable store gives the same after reopening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crmkit.h"

#define EV(id, c, type, at, actor, role, data)                                                                       \
  "{\"id\":\"" id "\",\"case\":\"" c "\",\"type\":\"" type "\",\"at\":\"2026-03-09T" at ":00+08:00\",\"actor\":\"" actor \
  "\",\"role\":\"" role "\",\"data\":{" data "}}"

static const char* const kSteps[] = {
    EV("w1", "W-1", "receive", "09:00", "u-1", "agent",
       "\"workflow\":\"work_order\",\"customer\":\"K-1\",\"kind\":\"fault_repair\",\"product\":\"broadband\""),
    EV("w2", "W-1", "dispatch", "09:05", "u-1", "agent", "\"department\":\"team-east\",\"owner\":\"t-7\""),
    EV("w3", "W-1", "appoint", "09:20", "t-7", "technician",
       "\"start\":\"2026-03-09T14:00:00+08:00\",\"end\":\"2026-03-09T16:00:00+08:00\""),
    EV("w4", "W-1", "reschedule", "10:00", "u-1", "agent",
       "\"start\":\"2026-03-09T15:00:00+08:00\",\"end\":\"2026-03-09T17:00:00+08:00\",\"by\":\"customer\",\"reason\":\"late lunch\""),
    EV("w5", "W-1", "confirm", "11:00", "t-7", "technician", ""),
    EV("w6", "W-1", "notify", "14:20", "t-7", "technician", ""),
    EV("w7", "W-1", "arrive", "14:50", "t-7", "technician", ""),
    EV("w8", "W-1", "not_at_home", "15:00", "t-7", "technician", "\"notice\":\"card left\""),
    EV("x1", "W-2", "receive", "09:10", "u-1", "agent",
       "\"workflow\":\"work_order\",\"customer\":\"K-1\",\"kind\":\"installation\",\"product\":\"tv\""),
    EV("j1", "W-1", "join", "15:10", "u-1", "agent", "\"order\":\"W-2\""),
    EV("c1", "C-1", "receive", "09:30", "u-1", "agent",
       "\"channel\":\"phone\",\"category\":\"installation\",\"severity\":\"normal\",\"customer\":\"K-1\""),
    EV("l1", "C-1", "link", "15:20", "u-1", "agent", "\"case\":\"W-1\""),
};

/* Applies the steps and checks what a host sees. */
static void walk(crmkit_engine* e) {
  char* json = NULL;
  char* before = NULL;
  char* after = NULL;
  int64_t position = 0, position_after = 0;
  for (size_t i = 0; i < sizeof kSteps / sizeof kSteps[0]; ++i) {
    CHECK(crmkit_engine_apply(e, kSteps[i], &json) == CRMKIT_OK);
    if (i == 3) CHECK(json && strstr(json, "\"clocks\":[]") != NULL);  /* the clocks move; none starts or stops */
    if (i == 9 || i == 11) CHECK(json && strstr(json, "\"covered\":[\"W-") != NULL);
    crmkit_string_free(json);
    json = NULL;
  }
  CHECK(crmkit_engine_get_case_ext(e, "W-1", "{\"events\":false}", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"state\":\"absent\"") != NULL);
  CHECK(json && strstr(json, "\"name\":\"arrival\",\"instance\":1,\"state\":\"stopped\",\"kind\":\"instant\",\"due\":\"2026-03-09T07:00:00Z\","
                             "\"goal\":false,\"breached\":false") != NULL);
  CHECK(json && strstr(json, "\"name\":\"repair\",\"instance\":1,\"state\":\"paused\"") != NULL);
  crmkit_string_free(json);

  /* Refused: the same window again (nothing to move), start before the event, a window set by update. */
  CHECK(crmkit_engine_get_case(e, "W-1", &before) == CRMKIT_OK);
  CHECK(crmkit_engine_journal_position(e, &position) == CRMKIT_OK);
  CHECK(crmkit_engine_apply(e, EV("y1", "W-1", "appoint", "16:00", "u-1", "agent",
                                  "\"start\":\"2026-03-09T15:00:00+08:00\",\"end\":\"2026-03-09T17:00:00+08:00\""),
                            NULL) == CRMKIT_EINVAL &&
        strstr(crmkit_last_error(), "data.start 2026-03-09T07:00:00Z is before the event") != NULL);
  CHECK(crmkit_engine_apply(e, EV("y2", "W-1", "update", "16:00", "u-1", "agent", "\"end\":\"2026-03-10T17:00:00+08:00\""), NULL) ==
            CRMKIT_EINVAL &&
        strstr(crmkit_last_error(), "data.end: the visit window changes only with an appoint or a reschedule") != NULL);
  CHECK(crmkit_engine_apply(e, EV("y3", "W-1", "join", "16:00", "u-1", "agent", "\"order\":\"W-2\""), NULL) == CRMKIT_ECONFLICT);
  CHECK(crmkit_engine_get_case(e, "W-1", &after) == CRMKIT_OK);
  CHECK(crmkit_engine_journal_position(e, &position_after) == CRMKIT_OK);
  CHECK(before && after && strcmp(before, after) == 0 && position == position_after);
  crmkit_string_free(before);
  crmkit_string_free(after);

  CHECK(crmkit_engine_get_case(e, "W-2", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"type\":\"join\"") != NULL && strstr(json, "\"order\":\"W-1\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "W-1", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"case\":\"C-1\"") != NULL && strstr(json, "\"by\":\"customer\"") != NULL);
  CHECK(json && strstr(json, "\"links\":[\"W-2\",\"C-1\"]") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_kpi(e, NULL, &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"appointments\":{\"appointed\":1,\"reschedules_by_customer\":1,\"reschedules_by_company\":0,\"visits\":1,"
                             "\"not_at_home\":1,") != NULL);
  CHECK(json && strstr(json, "\"by_field\":{") != NULL && strstr(json, "\"key\":\"t-7\"") != NULL);
  crmkit_string_free(json);
}

int main(void) {
  walk_in_memory_and_durable(walk, "W-1");
  return report();
}
