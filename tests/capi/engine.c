/* C API: the workflow engine from JSON text and from files; apply, sweep, queries, KPIs; every
 * error is a status and a message and changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"


static char* slurp(const char* path) {
  FILE* f = fopen(path, "rb");
  long n;
  char* s;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (s) s[n] = '\0';
  fclose(f);
  return s;
}

#define RECEIVE                                                                                       \
  "{\"id\":\"e1\",\"case\":\"C-1\",\"type\":\"receive\",\"at\":\"2026-03-02T09:00:00+08:00\","        \
  "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"channel\":\"phone\",\"category\":\"billing\","   \
  "\"severity\":\"high\",\"customer\":\"K-1\"}}"

int main(void) {
  char* wf = slurp(CRMKIT_SOURCE_DIR "/data/workflows/default.json");
  char* policy = slurp(CRMKIT_SOURCE_DIR "/data/policies/default.json");
  char* cal = slurp(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  crmkit_engine* e = NULL;
  crmkit_engine* bad = NULL;
  char* json = NULL;
  size_t n = 0, cases = 0, events = 0, bytes = 0;
  int64_t t = 0;

  CHECK(wf && policy && cal);
  CHECK(crmkit_engine_from_json(wf, policy, cal, &e) == CRMKIT_OK);
  CHECK(crmkit_engine_apply(e, RECEIVE, &json) == CRMKIT_OK && strstr(json, "\"created\":true") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_apply(e, RECEIVE, &json) == CRMKIT_OK && strstr(json, "\"duplicate\":true") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_apply(e, "{\"id\":\"e2\",\"case\":\"C-1\",\"type\":\"acknowledge\",\"at\":\"2026-03-02T09:30:00+08:00\","
                               "\"actor\":\"u-1\",\"role\":\"agent\"}", NULL) == CRMKIT_OK);
  CHECK(crmkit_time_parse("2026-03-03T18:00:00+08:00", &t) == CRMKIT_OK);
  CHECK(crmkit_engine_sweep(e, t, &json, &n) == CRMKIT_OK && n > 0 && strstr(json, "\"resolution\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "C-1", &json) == CRMKIT_OK && strstr(json, "\"state\":\"acknowledged\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_find(e, "{\"state\":\"acknowledged\"}", &json) == CRMKIT_OK && strcmp(json, "[\"C-1\"]") == 0);
  crmkit_string_free(json);
  CHECK(crmkit_engine_find(e, NULL, &json) == CRMKIT_OK && strcmp(json, "[\"C-1\"]") == 0);
  crmkit_string_free(json);
  CHECK(crmkit_engine_due_before(e, t + 86400 * 30, &json) == CRMKIT_OK && strstr(json, "resolution") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_kpi(e, "{\"top_reasons\":3}", &json) == CRMKIT_OK && strstr(json, "\"overall\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_stats(e, &cases, &events, &bytes) == CRMKIT_OK && cases == 1 && events == 2 && bytes > 0);

  /* Declared fields: kept, typed, masked unless the role may read personal data. */
  CHECK(crmkit_engine_apply(e, "{\"id\":\"f1\",\"case\":\"C-1\",\"type\":\"update\",\"at\":\"2026-03-03T18:00:00+08:00\","
                               "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"phone\":\"13812345678\",\"justified\":true}}",
                            NULL) == CRMKIT_OK);
  CHECK(crmkit_engine_get_case(e, "C-1", &json) == CRMKIT_OK && strstr(json, "\"phone\":\"*******5678\"") != NULL &&
        strstr(json, "13812345678") == NULL && strstr(json, "\"justified\":true") != NULL &&
        strstr(json, "\"personal_data\":\"masked\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"personal_data_role\":\"supervisor\",\"events\":false}", &json) == CRMKIT_OK &&
        strstr(json, "\"phone\":\"13812345678\"") != NULL && strstr(json, "\"events\"") == NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case_ext(e, "C-1", NULL, &json) == CRMKIT_OK && strstr(json, "*******5678") != NULL);
  crmkit_string_free(json);
  json = NULL;
  CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"personal_data_role\":\"agent\"}", &json) == CRMKIT_EPERM && json == NULL &&
        strstr(crmkit_last_error(), "personal_data_roles") != NULL);
  CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"personal_data_rol\":\"director\"}", &json) == CRMKIT_EINVAL && json == NULL);
  CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"events\":1}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_get_case_ext(e, "C-404", NULL, &json) == CRMKIT_ENOTFOUND);
  CHECK(crmkit_engine_get_case_ext(NULL, "C-1", NULL, &json) == CRMKIT_EINVAL);
  /* An undeclared key, a wrong type: refused naming the key, nothing changes. */
  {
    char* before = NULL;
    char* after = NULL;
    CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"personal_data_role\":\"director\"}", &before) == CRMKIT_OK);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"f2\",\"case\":\"C-1\",\"type\":\"update\",\"at\":\"2026-03-03T18:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"favourite_colour\":\"blue\"}}",
                              NULL) == CRMKIT_EINVAL &&
          strstr(crmkit_last_error(), "data.favourite_colour") != NULL);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"f3\",\"case\":\"C-1\",\"type\":\"update\",\"at\":\"2026-03-03T18:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"justified\":\"yes\"}}",
                              NULL) == CRMKIT_EINVAL &&
          strstr(crmkit_last_error(), "data.justified") != NULL);
    CHECK(crmkit_engine_get_case_ext(e, "C-1", "{\"personal_data_role\":\"director\"}", &after) == CRMKIT_OK);
    CHECK(before && after && strcmp(before, after) == 0);
    crmkit_string_free(before);
    crmkit_string_free(after);
  }
  CHECK(crmkit_engine_stats(e, &cases, &events, &bytes) == CRMKIT_OK && cases == 1 && events == 3);

  /* Reclassified midway: the clocks take the new targets and show their kind, paused time and
   * each retarget with its reason; a refused reclassify changes nothing. */
  {
    char* before = NULL;
    char* after = NULL;
    CHECK(crmkit_engine_get_case_ext(e, "R-1", NULL, &json) == CRMKIT_ENOTFOUND);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"r1\",\"case\":\"R-1\",\"type\":\"receive\",\"at\":\"2026-03-03T18:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"channel\":\"web\",\"category\":\"billing\","
                                 "\"severity\":\"normal\",\"customer\":\"K-7\"}}",
                              NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_get_case_ext(e, "R-1", NULL, &before) == CRMKIT_OK);
    CHECK(before && strstr(before, "\"name\":\"first_response\",\"instance\":1,\"state\":\"running\",\"kind\":\"elapsed\"") != NULL);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"r2\",\"case\":\"R-1\",\"type\":\"reclassify\",\"at\":\"2026-03-03T19:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"severity\":\"high\",\"reason\":\"group\"}}",
                              NULL) == CRMKIT_EPERM);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"r3\",\"case\":\"R-1\",\"type\":\"reclassify\",\"at\":\"2026-03-03T19:00:00+08:00\","
                                 "\"actor\":\"s-1\",\"role\":\"supervisor\",\"data\":{\"severity\":\"urgent\",\"reason\":\"x\"}}",
                              NULL) == CRMKIT_EINVAL &&
          strstr(crmkit_last_error(), "data.severity 'urgent'") != NULL);
    CHECK(crmkit_engine_get_case_ext(e, "R-1", NULL, &after) == CRMKIT_OK);
    CHECK(before && after && strcmp(before, after) == 0);
    crmkit_string_free(after);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"r4\",\"case\":\"R-1\",\"type\":\"reclassify\",\"at\":\"2026-03-03T19:00:00+08:00\","
                                 "\"actor\":\"s-1\",\"role\":\"supervisor\",\"data\":{\"severity\":\"high\",\"reason\":\"group complaint\"}}",
                              &json) == CRMKIT_OK);
    crmkit_string_free(json);
    CHECK(crmkit_engine_get_case_ext(e, "R-1", "{\"events\":false}", &after) == CRMKIT_OK);
    CHECK(after && strstr(after, "\"paused_seconds\":0") != NULL && strstr(after, "\"reason\":\"group complaint\"") != NULL &&
          strstr(after, "\"severity\":\"high\"") != NULL);
    crmkit_string_free(before);
    crmkit_string_free(after);
  }

  /* Compensation limits are per case and cumulative: an agent's second 150 waits for approval; a
   * remedy the role may not grant is refused and changes nothing. */
  {
    char* before = NULL;
    char* after = NULL;
    const char* steps[] = {
        "{\"id\":\"m1\",\"case\":\"M-1\",\"type\":\"receive\",\"at\":\"2026-03-03T09:00:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"channel\":\"phone\",\"category\":\"billing\",\"severity\":\"normal\",\"customer\":\"K-8\"}}",
        "{\"id\":\"m2\",\"case\":\"M-1\",\"type\":\"acknowledge\",\"at\":\"2026-03-03T09:10:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\"}",
        "{\"id\":\"m3\",\"case\":\"M-1\",\"type\":\"dispatch\",\"at\":\"2026-03-03T09:20:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"department\":\"billing\",\"owner\":\"u-2\"}}",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; ++i) CHECK(crmkit_engine_apply(e, steps[i], NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m4\",\"case\":\"M-1\",\"type\":\"compensate\",\"at\":\"2026-03-03T10:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"amount\":150}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"compensation\":\"granted\"") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m5\",\"case\":\"M-1\",\"type\":\"compensate\",\"at\":\"2026-03-03T10:01:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"amount\":150}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"compensation\":\"pending\"") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_get_case_ext(e, "M-1", NULL, &before) == CRMKIT_OK);
    CHECK(before && strstr(before, "\"compensation\":{\"granted\":150.00,\"pending\":[150.00],\"pending_remedies\":[\"money\"]}") != NULL);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m6\",\"case\":\"M-1\",\"type\":\"compensate\",\"at\":\"2026-03-03T10:02:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"remedy\":\"replace\"}}",
                              NULL) == CRMKIT_EPERM &&
          strstr(crmkit_last_error(), "may not grant a replace remedy") != NULL);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m7\",\"case\":\"M-1\",\"type\":\"approve_compensation\",\"at\":\"2026-03-03T10:03:00+08:00\","
                                 "\"actor\":\"s-1\",\"role\":\"supervisor\",\"data\":{\"amount\":151}}",
                              NULL) == CRMKIT_ESTATE);
    CHECK(crmkit_engine_get_case_ext(e, "M-1", NULL, &after) == CRMKIT_OK);
    CHECK(before && after && strcmp(before, after) == 0);
    crmkit_string_free(after);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m8\",\"case\":\"M-1\",\"type\":\"approve_compensation\",\"at\":\"2026-03-03T10:04:00+08:00\","
                                 "\"actor\":\"s-1\",\"role\":\"supervisor\",\"data\":{\"amount\":150}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"compensation\":\"approved\"") != NULL);
    crmkit_string_free(json);
    crmkit_string_free(before);
    /* An automatic callback answered unsatisfied: no reason needed, the case stays resolved and
     * owes a manual callback; another automatic one is refused. */
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m9\",\"case\":\"M-1\",\"type\":\"resolve\",\"at\":\"2026-03-03T11:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"resolution\":\"refunded\"}}",
                              NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m10\",\"case\":\"M-1\",\"type\":\"callback\",\"at\":\"2026-03-03T12:00:00+08:00\","
                                 "\"actor\":\"ivr\",\"role\":\"agent\",\"data\":{\"outcome\":\"unsatisfied\",\"manual\":false}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"to\":\"resolved\"") != NULL && strstr(json, "\"manual_callback_required\":true") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m11\",\"case\":\"M-1\",\"type\":\"callback\",\"at\":\"2026-03-03T12:30:00+08:00\","
                                 "\"actor\":\"ivr\",\"role\":\"agent\",\"data\":{\"outcome\":\"satisfied\"}}",
                              NULL) == CRMKIT_ESTATE &&
          strstr(crmkit_last_error(), "a manual callback is owed") != NULL);
    /* 首问负责制: after a handover to u-9 the first receiver may no longer act on the case. */
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m12\",\"case\":\"M-1\",\"type\":\"handover\",\"at\":\"2026-03-03T12:40:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"to\":\"u-9\",\"reason\":\"end of shift\"}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"outside_responsibility\":false") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"m13\",\"case\":\"M-1\",\"type\":\"update\",\"at\":\"2026-03-03T12:50:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"justified\":true}}",
                              NULL) == CRMKIT_EPERM &&
          strstr(crmkit_last_error(), "first-contact owner 'u-9'") != NULL);
  }

  /* The department reports back, the control desk replies once; the callback's same-day goal
   * starts; one callback covers both of the customer's cases. */
  {
    const char* steps[] = {
        "{\"id\":\"n1\",\"case\":\"N-1\",\"type\":\"receive\",\"at\":\"2026-03-04T09:00:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"channel\":\"phone\",\"category\":\"billing\",\"severity\":\"normal\",\"customer\":\"K-6\"}}",
        "{\"id\":\"n2\",\"case\":\"N-1\",\"type\":\"acknowledge\",\"at\":\"2026-03-04T09:05:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\"}",
        "{\"id\":\"n3\",\"case\":\"N-1\",\"type\":\"dispatch\",\"at\":\"2026-03-04T09:10:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"department\":\"billing\",\"owner\":\"u-2\"}}",
        "{\"id\":\"n4\",\"case\":\"N-1\",\"type\":\"report_back\",\"at\":\"2026-03-04T10:00:00+08:00\",\"actor\":\"u-2\",\"role\":\"agent\","
        "\"data\":{\"result\":\"refunded\"}}",
        "{\"id\":\"n5\",\"case\":\"N-1\",\"type\":\"reply\",\"at\":\"2026-03-04T10:30:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"resolution\":\"refund sent\"}}",
        "{\"id\":\"o1\",\"case\":\"N-2\",\"type\":\"receive\",\"at\":\"2026-03-04T09:00:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"channel\":\"web\",\"category\":\"service\",\"severity\":\"normal\",\"customer\":\"K-6\"}}",
        "{\"id\":\"o2\",\"case\":\"N-2\",\"type\":\"acknowledge\",\"at\":\"2026-03-04T09:05:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\"}",
        "{\"id\":\"o3\",\"case\":\"N-2\",\"type\":\"dispatch\",\"at\":\"2026-03-04T09:10:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\","
        "\"data\":{\"department\":\"service\",\"owner\":\"u-3\"}}",
        "{\"id\":\"o4\",\"case\":\"N-2\",\"type\":\"resolve\",\"at\":\"2026-03-04T10:00:00+08:00\",\"actor\":\"u-3\",\"role\":\"agent\","
        "\"data\":{\"resolution\":\"apologised\"}}",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; ++i) CHECK(crmkit_engine_apply(e, steps[i], NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_get_case_ext(e, "N-1", "{\"events\":false}", &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"name\":\"callback_goal\",\"instance\":1,\"state\":\"running\",\"kind\":\"instant\","
                               "\"due\":\"2026-03-04T10:00:00Z\",\"goal\":true") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"cb\",\"case\":\"N-1\",\"type\":\"callback\",\"at\":\"2026-03-04T11:00:00+08:00\",\"actor\":\"u-5\","
                                 "\"role\":\"agent\",\"data\":{\"outcome\":\"satisfied\",\"manual\":true,\"cases\":[\"N-2\"]}}",
                              &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"covered\":[\"N-2\"]") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_get_case_ext(e, "N-2", NULL, &json) == CRMKIT_OK);
    CHECK(json && strstr(json, "\"state\":\"closed\"") != NULL && strstr(json, "\"cases\":[\"N-1\",\"N-2\"]") != NULL);
    crmkit_string_free(json);
  }

  /* Another workflow beside the complaints: received by name, kept apart in the KPIs. */
  {
    char* inquiry = slurp(CRMKIT_SOURCE_DIR "/data/workflows/inquiry.json");
    char* inquiry_policy = slurp(CRMKIT_SOURCE_DIR "/data/policies/inquiry.json");
    CHECK(inquiry && inquiry_policy);
    CHECK(crmkit_engine_add_workflow(e, inquiry, inquiry_policy) == CRMKIT_OK);
    CHECK(crmkit_engine_add_workflow(e, inquiry, inquiry_policy) == CRMKIT_ECONFLICT);
    CHECK(crmkit_engine_add_workflow(e, "{\"name\":", inquiry_policy) == CRMKIT_EPARSE);
    CHECK(crmkit_engine_add_workflow(e, NULL, inquiry_policy) == CRMKIT_EINVAL);
    CHECK(crmkit_engine_add_workflow(NULL, inquiry, inquiry_policy) == CRMKIT_EINVAL);
    CHECK(crmkit_engine_workflows(e, &json) == CRMKIT_OK &&
          strcmp(json, "[{\"default\":true,\"name\":\"default\",\"version\":1},{\"default\":false,\"name\":\"inquiry\",\"version\":1}]") == 0);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"q1\",\"case\":\"Q-1\",\"type\":\"receive\",\"at\":\"2026-03-03T18:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"workflow\":\"inquiry\",\"channel\":\"web\","
                                 "\"category\":\"billing\",\"customer\":\"K-1\"}}", NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_get_case(e, "Q-1", &json) == CRMKIT_OK && strstr(json, "\"workflow\":\"inquiry\",\"workflow_version\":1") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_apply(e, "{\"id\":\"q2\",\"case\":\"Q-2\",\"type\":\"receive\",\"at\":\"2026-03-03T18:00:00+08:00\","
                                 "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"workflow\":\"survey\",\"channel\":\"web\"}}",
                              NULL) == CRMKIT_ENOTFOUND && strstr(crmkit_last_error(), "survey") != NULL);
    CHECK(crmkit_engine_kpi(e, NULL, &json) == CRMKIT_OK && strstr(json, "\"by_workflow\":[{\"key\":\"default\"") != NULL &&
          strstr(json, "{\"key\":\"inquiry\",\"received\":1") != NULL);
    crmkit_string_free(json);
    free(inquiry);
    free(inquiry_policy);
  }

  /* Refusals: status + message, nothing changes. */
  CHECK(crmkit_engine_apply(e, "{\"id\":\"e3\",\"case\":\"C-1\",\"type\":\"resolve\",\"at\":\"2026-03-04T09:00:00+08:00\","
                               "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"resolution\":\"x\"}}", NULL) == CRMKIT_ESTATE);
  CHECK(crmkit_engine_apply(e, "{\"id\":\"e4\",\"case\":\"C-9\",\"type\":\"acknowledge\",\"at\":\"2026-03-04T09:00:00+08:00\","
                               "\"actor\":\"u-1\",\"role\":\"agent\"}", NULL) == CRMKIT_ENOTFOUND);
  CHECK(crmkit_engine_apply(e, "{\"id\":\"e5\",\"case\":\"C-1\",\"type\":\"reject\",\"at\":\"2026-03-04T09:00:00+08:00\","
                               "\"actor\":\"u-1\",\"role\":\"agent\",\"data\":{\"reason\":\"spam\"}}", NULL) == CRMKIT_EPERM);
  CHECK(crmkit_engine_apply(e, "{\"id\":\"e6\",\"case\":", NULL) == CRMKIT_EPARSE);
  CHECK(crmkit_engine_apply(e, NULL, NULL) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_get_case(e, "C-404", &json) == CRMKIT_ENOTFOUND);
  CHECK(crmkit_engine_find(e, "{\"limit\":-1}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_kpi(e, "{\"as_of\":\"soon\"}", &json) == CRMKIT_EPARSE);
  /* Typos in option and query keys, values out of range: refused, never a silent default. */
  CHECK(crmkit_engine_find(e, "{\"stat\":\"closed\"}", &json) == CRMKIT_EINVAL && strstr(crmkit_last_error(), "stat") != NULL);
  CHECK(crmkit_engine_find(e, "{\"state\":\"clozed\"}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_find(e, "{\"escalation_level\":4294967296}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_kpi(e, "{\"start\":\"2026-01-01T00:00:00Z\"}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_kpi(e, "{\"as_of\":9223372036854775807}", &json) == CRMKIT_EINVAL);
  /* The staff and management measures are in every bucket. */
  CHECK(crmkit_engine_kpi(e, NULL, &json) == CRMKIT_OK && strstr(json, "\"by_severity\":[") != NULL &&
        strstr(json, "\"handling_times\":[{\"measure\":\"first_response\",\"elapsed\":{\"count\":") != NULL &&
        strstr(json, "\"ended\":{") != NULL && strstr(json, "\"targets\":{\"satisfaction\":\">0.95\"") != NULL);
  crmkit_string_free(json);
  json = NULL;
  /* KPI targets: the policy's, overridden by the caller's; an unknown measure or a bad target names it. */
  CHECK(crmkit_engine_kpi(e, "{\"targets\":{\"closure\":\">=0.5\",\"repeat\":\"minimise\"}}", &json) == CRMKIT_OK &&
        strstr(json, "\"closure\":\">=0.5\"") != NULL && strstr(json, "\"satisfaction\":\">0.95\"") != NULL);
  crmkit_string_free(json);
  json = NULL;
  CHECK(crmkit_engine_kpi(e, "{\"targets\":{\"closur\":\">0.5\"}}", &json) == CRMKIT_EINVAL &&
        strstr(crmkit_last_error(), "options.targets.closur") != NULL && json == NULL);
  CHECK(crmkit_engine_kpi(e, "{\"targets\":{\"closure\":\">1.5\"}}", &json) == CRMKIT_EINVAL &&
        strstr(crmkit_last_error(), "options.targets.closure") != NULL);
  CHECK(crmkit_engine_kpi(e, "{\"targets\":{\"closure\":0.9}}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_kpi(e, "{\"targets\":[\"closure\"]}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_set_options(e, "{\"sweep_before_aply\":true}") == CRMKIT_EINVAL);
  CHECK(crmkit_engine_set_options(e, "{\"sweep_before_apply\":1}") == CRMKIT_EINVAL);
  CHECK(crmkit_engine_set_options(e, "{\"sweep_before_apply\":false}") == CRMKIT_OK);
  CHECK(crmkit_engine_sweep(e, INT64_MIN, NULL, &n) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_due_before(e, INT64_MAX, &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_due(e, "{\"before\":\"2026-04-30T00:00:00Z\",\"limit\":1}", &json) == CRMKIT_OK &&
        strstr(json, "[{\"case\":\"M-1\",\"clock\":\"callback_goal\",\"due\":\"2026-03-03T10:00:00Z\"}]") != NULL);  /* same day */
  crmkit_string_free(json);
  CHECK(crmkit_engine_due(e, "{\"limit\":1}", &json) == CRMKIT_EINVAL);
  CHECK(crmkit_engine_due(e, "{\"before\":0,\"limt\":1}", &json) == CRMKIT_EINVAL);
  {
    int64_t seq = -1;
    CHECK(crmkit_engine_journal_position(e, &seq) == CRMKIT_OK && seq == 0);
    CHECK(crmkit_engine_journal_position(e, NULL) == CRMKIT_EINVAL);
    CHECK(crmkit_engine_snapshot(e) == CRMKIT_ESTATE && strstr(crmkit_last_error(), "store") != NULL); /* in memory */
  }
  CHECK(crmkit_engine_stats(e, &cases, &events, NULL) == CRMKIT_OK && events == 26);  /* receive, acknowledge, update; receive, reclassify; 9 of M-1; 5 of N-1, 4 of N-2 and their callback; an inquiry */
  CHECK(crmkit_engine_from_json("{\"states\":[]}", policy, cal, &bad) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "workflow") != NULL);
  CHECK(crmkit_engine_from_files("/nonexistent.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                 CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &bad) == CRMKIT_EIO);
  CHECK(crmkit_engine_from_files(CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                 CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", &bad) == CRMKIT_OK);
  crmkit_engine_free(bad);
  CHECK(crmkit_engine_apply(bad, RECEIVE, NULL) == CRMKIT_EINVAL); /* freed */
  CHECK(crmkit_engine_apply((crmkit_engine*)cal, RECEIVE, NULL) == CRMKIT_EINVAL); /* not a handle */
  crmkit_engine_free(e);
  crmkit_engine_free(NULL);

  /* The durable store: acknowledged events survive closing; a second engine is refused. */
  {
    const char* db = "/tmp/crmkit-capi-engine-test.db";
    crmkit_engine* d = NULL;
    crmkit_engine* d2 = NULL;
    size_t applied = 0;
    char* report = NULL;
    remove(db);
    remove("/tmp/crmkit-capi-engine-test.db-wal");
    remove("/tmp/crmkit-capi-engine-test.db-shm");
    remove("/tmp/crmkit-capi-engine-test.db-lock");
    CHECK(crmkit_engine_open(db, CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                             CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", "{\"durability\":\"normal\"}", &d) == CRMKIT_OK);
    CHECK(crmkit_engine_apply(d, RECEIVE, NULL) == CRMKIT_OK);
    CHECK(crmkit_engine_apply_batch(d, "{\"id\":\"e2\",\"case\":\"C-1\",\"type\":\"acknowledge\",\"at\":\"2026-03-02T09:30:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\"}\n"
                                     "{\"id\":\"e3\",\"case\":\"C-9\",\"type\":\"acknowledge\",\"at\":\"2026-03-02T09:30:00+08:00\",\"actor\":\"u-1\",\"role\":\"agent\"}\n",
                                     &applied, &report) == CRMKIT_OK);
    CHECK(applied == 1 && strstr(report, "\"line\":2") != NULL);
    crmkit_string_free(report);
    CHECK(crmkit_engine_snapshot(d) == CRMKIT_OK);
    CHECK(crmkit_engine_open(db, CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                             CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", NULL, &d2) == CRMKIT_ELOCKED);
    crmkit_engine_free(d);
    CHECK(crmkit_engine_open(db, CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                             CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", NULL, &d2) == CRMKIT_OK);
    CHECK(crmkit_engine_get_case(d2, "C-1", &json) == CRMKIT_OK && strstr(json, "\"state\":\"acknowledged\"") != NULL);
    crmkit_string_free(json);
    CHECK(crmkit_engine_open(db, "x", "y", "z", "{\"durability\":\"sometimes\"}", &d) != CRMKIT_OK);
    {
      int64_t seq = 0;
      CHECK(crmkit_engine_journal_position(d2, &seq) == CRMKIT_OK && seq == 2);
    }
    crmkit_engine_free(d2);
    /* The host's last position: a journal that ends before it is refused; a typo in an option too. */
    CHECK(crmkit_engine_open(db, CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                             CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", "{\"expect_seq\":3}", &d2) == CRMKIT_ECORRUPT);
    CHECK(crmkit_engine_open(db, CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                             CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json", "{\"snapshot_evry\":3}", &d2) == CRMKIT_EINVAL);
    CHECK(crmkit_engine_snapshot(NULL) == CRMKIT_EINVAL);
    remove(db);
    remove("/tmp/crmkit-capi-engine-test.db-wal");
    remove("/tmp/crmkit-capi-engine-test.db-shm");
    remove("/tmp/crmkit-capi-engine-test.db-lock");
  }
  free(wf);
  free(policy);
  free(cal);
  return report();
}
