/* An ERP-style host: loads the default workflow, policy and China 2026 calendar, receives a
 * phone complaint, dispatches it, resolves it, sweeps the SLA clocks, calls the customer back
 * and prints the case. Usage: example_erp_complaint DATA_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crmkit.h"

static crmkit_engine* engine = NULL;

/* Applies one event; on failure prints the library's message and exits. */
static void apply(const char* event_json) {
  char* result = NULL;
  int status = crmkit_engine_apply(engine, event_json, &result);
  if (status != CRMKIT_OK) {
    fprintf(stderr, "event refused (%s): %s\n", crmkit_status_name(status), crmkit_last_error());
    exit(1);
  }
  printf("applied: %s\n", result);
  crmkit_string_free(result);
}

int main(int argc, char** argv) {
  const char* data = argc > 1 ? argv[1] : "data";
  char workflow[512], policy[512], calendar[512];
  char* json = NULL;
  size_t fired = 0;
  int64_t t = 0;
  snprintf(workflow, sizeof workflow, "%s/workflows/default.json", data);
  snprintf(policy, sizeof policy, "%s/policies/default.json", data);
  snprintf(calendar, sizeof calendar, "%s/calendars/cn-2026.json", data);
  if (crmkit_engine_from_files(workflow, policy, calendar, &engine) != CRMKIT_OK) {
    fprintf(stderr, "cannot load the engine: %s\n", crmkit_last_error());
    return 1;
  }
  printf("crmkit %s\n", crmkit_version());

  apply("{\"id\":\"erp-1\",\"case\":\"C-1001\",\"type\":\"receive\",\"at\":\"2026-03-06T17:30:00+08:00\","
        "\"actor\":\"u-7\",\"role\":\"agent\",\"data\":{\"channel\":\"phone\",\"category\":\"billing\","
        "\"severity\":\"normal\",\"customer\":\"K-42\",\"tier\":\"gold\",\"description\":\"charged twice\"}}");
  /* Monday morning: the first-response clock (gold: 1.5 h of business time) has been running
   * 30 min on Friday and 1 h on Monday: the sweep reports its warnings. */
  crmkit_time_parse("2026-03-09T10:00:00+08:00", &t);
  crmkit_engine_sweep(engine, t, &json, &fired);
  printf("SLA warnings by Monday 10:00 (%zu): %s\n", fired, json);
  crmkit_string_free(json);
  apply("{\"id\":\"erp-2\",\"case\":\"C-1001\",\"type\":\"acknowledge\",\"at\":\"2026-03-09T10:05:00+08:00\","
        "\"actor\":\"u-7\",\"role\":\"agent\"}");
  apply("{\"id\":\"erp-3\",\"case\":\"C-1001\",\"type\":\"dispatch\",\"at\":\"2026-03-09T10:10:00+08:00\","
        "\"actor\":\"u-7\",\"role\":\"agent\",\"data\":{\"department\":\"billing\",\"owner\":\"u-31\"}}");
  apply("{\"id\":\"erp-4\",\"case\":\"C-1001\",\"type\":\"contact\",\"at\":\"2026-03-09T11:00:00+08:00\","
        "\"actor\":\"u-31\",\"role\":\"agent\"}");
  apply("{\"id\":\"erp-5\",\"case\":\"C-1001\",\"type\":\"compensate\",\"at\":\"2026-03-09T15:00:00+08:00\","
        "\"actor\":\"u-31\",\"role\":\"agent\",\"data\":{\"amount\":120}}");
  apply("{\"id\":\"erp-6\",\"case\":\"C-1001\",\"type\":\"resolve\",\"at\":\"2026-03-09T15:10:00+08:00\","
        "\"actor\":\"u-31\",\"role\":\"agent\",\"data\":{\"resolution\":\"duplicate charge refunded\"}}");
  /* Gold customers get a manual callback (policy: callback.manual_tiers). */
  apply("{\"id\":\"erp-7\",\"case\":\"C-1001\",\"type\":\"callback\",\"at\":\"2026-03-09T17:00:00+08:00\","
        "\"actor\":\"u-40\",\"role\":\"agent\",\"data\":{\"outcome\":\"satisfied\",\"manual\":true}}");
  /* Retrying an event is harmless: the same id is reported as a duplicate. */
  apply("{\"id\":\"erp-7\",\"case\":\"C-1001\",\"type\":\"callback\",\"at\":\"2026-03-09T17:00:00+08:00\","
        "\"actor\":\"u-40\",\"role\":\"agent\",\"data\":{\"outcome\":\"satisfied\",\"manual\":true}}");
  /* A refused event changes nothing and says why. */
  if (crmkit_engine_apply(engine, "{\"id\":\"erp-8\",\"case\":\"C-1001\",\"type\":\"resolve\","
                          "\"at\":\"2026-03-09T17:05:00+08:00\",\"actor\":\"u-31\",\"role\":\"agent\","
                          "\"data\":{\"resolution\":\"again\"}}", NULL) != CRMKIT_OK)
    printf("refused as expected: %s\n", crmkit_last_error());

  if (crmkit_engine_get_case(engine, "C-1001", &json) != CRMKIT_OK) {
    fprintf(stderr, "%s\n", crmkit_last_error());
    return 1;
  }
  printf("case: %s\n", json);
  crmkit_string_free(json);
  crmkit_engine_free(engine);
  return 0;
}
