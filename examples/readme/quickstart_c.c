/* C: load the engine, apply a complaint event, read the case back. */
#include <crmkit.h>
#include <stdio.h>

int main(int argc, char** argv) {
  char wf[256], policy[256], cal[256];
  const char* data = argc > 1 ? argv[1] : "data";
  crmkit_engine* engine = NULL;
  char* json = NULL;
  snprintf(wf, sizeof wf, "%s/workflows/default.json", data);
  snprintf(policy, sizeof policy, "%s/policies/default.json", data);
  snprintf(cal, sizeof cal, "%s/calendars/cn-2026.json", data);
  if (crmkit_engine_from_files(wf, policy, cal, &engine) != CRMKIT_OK ||
      crmkit_engine_apply(engine, "{\"id\":\"e-1\",\"case\":\"C-17\",\"type\":\"receive\","
                          "\"at\":\"2026-03-06T17:30:00+08:00\",\"actor\":\"u-7\",\"role\":\"agent\","
                          "\"data\":{\"channel\":\"phone\",\"category\":\"service\",\"severity\":\"normal\","
                          "\"customer\":\"K-42\",\"tier\":\"gold\"}}", NULL) != CRMKIT_OK ||
      crmkit_engine_get_case(engine, "C-17", &json) != CRMKIT_OK) {
    fprintf(stderr, "crmkit: %s\n", crmkit_last_error());
    return 1;
  }
  printf("%s\n", json); /* state "received", first_response due 2026-03-09T10:00+08:00 */
  crmkit_string_free(json);
  crmkit_engine_free(engine);
  return 0;
}
