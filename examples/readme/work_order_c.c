/* C: a work order's life: received, dispatched, a visit window agreed, the technician on time, done. */
#include <crmkit.h>
#include <stdio.h>

static const char* const kEvents[] = {
    "{\"id\":\"w1\",\"case\":\"W-7\",\"type\":\"receive\",\"at\":\"2026-03-09T09:00:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
    "\"data\":{\"customer\":\"K-42\",\"tier\":\"gold\",\"kind\":\"fault_repair\",\"product\":\"broadband\"}}",
    "{\"id\":\"w2\",\"case\":\"W-7\",\"type\":\"dispatch\",\"at\":\"2026-03-09T09:10:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
    "\"data\":{\"department\":\"team-east\",\"owner\":\"t-7\"}}",
    "{\"id\":\"w3\",\"case\":\"W-7\",\"type\":\"appoint\",\"at\":\"2026-03-09T09:30:00+08:00\",\"actor\":\"t-7\",\"role\":\"technician\","
    "\"data\":{\"start\":\"2026-03-09T14:00:00+08:00\",\"end\":\"2026-03-09T16:00:00+08:00\"}}",
    "{\"id\":\"w4\",\"case\":\"W-7\",\"type\":\"arrive\",\"at\":\"2026-03-09T13:52:00+08:00\",\"actor\":\"t-7\",\"role\":\"technician\"}",
    "{\"id\":\"w5\",\"case\":\"W-7\",\"type\":\"complete\",\"at\":\"2026-03-09T15:05:00+08:00\",\"actor\":\"t-7\",\"role\":\"technician\","
    "\"data\":{\"result\":\"modem replaced\"}}"};

int main(int argc, char** argv) {
  char wf[256], policy[256], cal[256];
  const char* data = argc > 1 ? argv[1] : "data";
  crmkit_engine* engine = NULL;
  char* json = NULL;
  snprintf(wf, sizeof wf, "%s/workflows/work-order.json", data);
  snprintf(policy, sizeof policy, "%s/policies/work-order.json", data);
  snprintf(cal, sizeof cal, "%s/calendars/cn-2026.json", data);
  int rc = crmkit_engine_from_files(wf, policy, cal, &engine);
  for (size_t i = 0; rc == CRMKIT_OK && i < sizeof kEvents / sizeof kEvents[0]; ++i) rc = crmkit_engine_apply(engine, kEvents[i], NULL);
  if (rc == CRMKIT_OK) rc = crmkit_engine_get_case(engine, "W-7", &json);
  if (rc != CRMKIT_OK) {
    fprintf(stderr, "crmkit: %s\n", crmkit_last_error());
    crmkit_engine_free(engine);
    return 1;
  }
  printf("%s\n", json); /* "completed"; arrival met (13:52, due 14:00); confirm, pre_visit_notice breached: never done */
  crmkit_string_free(json);
  crmkit_engine_free(engine);
  return 0;
}
