/* C API: progress promises. The periodic-update clock starts at receipt and again at each
 * contact; promise_contact {by} opens a fixed-instant clock the next contact stops; refusals (no
 * data.by, a promise in the past, data.by outside a promise) change nothing; a durable store gives
 * the same after reopening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"

#define EV(id, type, at, data)                                                                                  \
  "{\"id\":\"" id "\",\"case\":\"K-1\",\"type\":\"" type "\",\"at\":\"2026-03-" at ":00+08:00\",\"actor\":\"u-1\"," \
  "\"role\":\"agent\",\"data\":{" data "}}"

static void walk(crmkit_engine* e) {
  char* json = NULL;
  CHECK(crmkit_engine_apply(e, EV("r", "receive", "09T09:00", "\"channel\":\"phone\",\"category\":\"service\",\"severity\":\"normal\",\"customer\":\"c-1\""),
                            NULL) == CRMKIT_OK);
  refused_unchanged(e, EV("p", "promise_contact", "09T10:00", ""), CRMKIT_EINVAL, "data.by", "K-1");
  refused_unchanged(e, EV("p", "promise_contact", "09T10:00", "\"by\":\"2026-03-09T09:59:00+08:00\""), CRMKIT_EINVAL,
                    "is not after the event", "K-1");
  refused_unchanged(e, EV("u", "update", "09T10:00", "\"by\":\"2026-03-10T09:59:00+08:00\""), CRMKIT_EINVAL,
                    "only by a promise", "K-1");
  CHECK(crmkit_engine_apply(e, EV("p", "promise_contact", "09T10:00", "\"by\":\"2026-03-10T17:00:00+08:00\""), &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "{\"clock\":\"promised_contact\",\"op\":\"restart\",\"due\":\"2026-03-10T09:00:00Z\"}") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_apply(e, EV("n", "notify_customer", "10T11:00", "\"note\":\"the engineer comes tomorrow\""), &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "{\"clock\":\"promised_contact\",\"op\":\"stop\",\"due\":null}") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "K-1", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"name\":\"promised_contact\",\"instance\":1,\"state\":\"stopped\",\"kind\":\"instant\"") != NULL);
  CHECK(json && strstr(json, "\"name\":\"progress_update\",\"instance\":3,\"state\":\"running\"") != NULL);
  crmkit_string_free(json);
}

int main(void) {
  walk_in_memory_and_durable(walk, "K-1");
  if (!failures) printf("capi progress clocks OK\n");
  return report();
}
