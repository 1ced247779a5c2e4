/* C API: defect feedback. A complaint's cause recorded, a corrective action opened on the closed
 * complaint (its clock runs on), a second one refused while the first is open (nothing changes),
 * the completion, and the KPI report grouped by root cause with breaches and compensation. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"

#define EV(id, type, at, role, data)                                                                                     \
  "{\"id\":\"" id "\",\"case\":\"C-1\",\"type\":\"" type "\",\"at\":\"2026-03-09T" at ":00+08:00\",\"actor\":\"u-1\",\"role\":\"" role \
  "\",\"data\":{" data "}}"

int main(void) {
  crmkit_engine* e = NULL;
  char* json = NULL;
  static const char* const steps[] = {
      EV("r", "receive", "09:00", "agent", "\"channel\":\"phone\",\"category\":\"billing\",\"severity\":\"normal\",\"customer\":\"K-1\""),
      EV("a", "acknowledge", "09:05", "agent", ""),
      EV("d", "dispatch", "09:10", "agent", "\"department\":\"billing\",\"owner\":\"u-1\""),
      EV("s", "resolve", "10:00", "agent", "\"resolution\":\"refund\",\"justified\":true,\"root_cause\":\"rating engine rounding error\","
                                           "\"component\":\"billing system\",\"supplier\":\"BillSoft\""),
      EV("m", "compensate", "10:10", "supervisor", "\"amount\":20"),
      EV("b", "callback", "11:00", "agent", "\"outcome\":\"satisfied\",\"manual\":true"),
      EV("x", "corrective_action", "11:30", "supervisor",
         "\"action\":\"fix the rounding\",\"owner\":\"q-1\",\"due\":\"2026-03-20T18:00:00+08:00\""),
  };
  CHECK(crmkit_engine_from_files(CRMKIT_SOURCE_DIR "/data/workflows", CRMKIT_SOURCE_DIR "/data/policies",
                                 CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &e) == CRMKIT_OK);
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; ++i) CHECK(crmkit_engine_apply(e, steps[i], NULL) == CRMKIT_OK);
  CHECK(crmkit_engine_get_case(e, "C-1", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"state\":\"closed\"") != NULL &&
        strstr(json, "\"name\":\"corrective_action\",\"instance\":1,\"state\":\"running\"") != NULL);
  crmkit_string_free(json);

  /* A second action while one is open: refused, nothing changes. */
  refused_unchanged(e, EV("y", "corrective_action", "12:00", "supervisor",
                          "\"action\":\"another\",\"owner\":\"q-2\",\"due\":\"2026-03-25T18:00:00+08:00\""),
                    CRMKIT_ESTATE, "clock 'corrective_action' is running", "C-1");

  CHECK(crmkit_engine_apply(e, EV("z", "complete_action", "15:00", "agent", "\"result\":\"patched\""), &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "{\"clock\":\"corrective_action\",\"op\":\"stop\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_kpi(e, NULL, &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"root_cause\":[{\"key\":\"rating engine rounding error\",\"received\":1,") != NULL);
  CHECK(json && strstr(json, "\"compensation\":{\"cases\":1,\"granted\":20.00}") != NULL);
  crmkit_string_free(json);
  crmkit_engine_free(e);
  return report();
}
