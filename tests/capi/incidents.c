/* C API: an incident (a mass fault) with complaints of two customers and a work order linked to
 * it; one incident_notice and one incident_resolve written into every open linked case (the apply
 * result's "covered"); a refused broadcast changes nothing; a durable store gives the same after
 * reopening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crmkit.h"

#define EV(id, c, type, at, actor, role, data)                                                                       \
  "{\"id\":\"" id "\",\"case\":\"" c "\",\"type\":\"" type "\",\"at\":\"2026-03-09T" at ":00+08:00\",\"actor\":\"" actor \
  "\",\"role\":\"" role "\",\"data\":{" data "}}"
#define COMPLAINT(customer) "\"channel\":\"phone\",\"category\":\"product_quality\",\"severity\":\"normal\",\"customer\":\"" customer "\""

static const char* const kSteps[] = {
    EV("i1", "INC-1", "receive", "09:00", "s-1", "supervisor",
       "\"workflow\":\"incident\",\"category\":\"network\",\"severity\":\"critical\",\"description\":\"fibre cut\""),
    EV("c1", "C-1", "receive", "09:05", "u-1", "agent", COMPLAINT("K-1")),
    EV("c2", "C-2", "receive", "09:06", "u-2", "agent", COMPLAINT("K-2")),
    EV("w1", "W-1", "receive", "09:07", "u-3", "agent",
       "\"workflow\":\"work_order\",\"customer\":\"K-3\",\"kind\":\"fault_repair\",\"product\":\"broadband\""),
    EV("l1", "INC-1", "link", "09:10", "u-1", "agent", "\"case\":\"C-1\""),
    EV("l2", "INC-1", "link", "09:11", "u-1", "agent", "\"case\":\"C-2\""),
    EV("l3", "INC-1", "link", "09:12", "u-1", "agent", "\"case\":\"W-1\""),
    EV("dup", "C-2", "acknowledge", "09:13", "u-2", "agent", ""),
};

static void walk(crmkit_engine* e) {
  char* json = NULL;
  for (size_t i = 0; i < sizeof kSteps / sizeof kSteps[0]; ++i) {
    CHECK(crmkit_engine_apply(e, kSteps[i], &json) == CRMKIT_OK);
    if (i >= 4 && i <= 6) CHECK(json && strstr(json, "\"covered\":[\"") != NULL);  /* the linked case records the link too */
    crmkit_string_free(json);
    json = NULL;
  }
  /* Refused for all: C-2 holds an event "dup" already. Nothing changes anywhere. */
  refused_unchanged(e, EV("dup", "INC-1", "incident_notice", "09:20", "u-1", "agent", "\"note\":\"crew on site\""), CRMKIT_ECONFLICT,
                    "a linked case: case 'C-2'", "C-1");

  CHECK(crmkit_engine_apply(e, EV("n1", "INC-1", "incident_notice", "09:25", "u-1", "agent", "\"note\":\"crew on site\""), &json) ==
        CRMKIT_OK);
  CHECK(json && strstr(json, "\"covered\":[\"C-1\",\"C-2\",\"W-1\"]") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_apply(e, EV("r1", "INC-1", "incident_resolve", "11:00", "s-1", "supervisor", "\"resolution\":\"fibre spliced\""),
                            &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"to\":\"restored\"") != NULL && strstr(json, "\"covered\":[\"C-1\",\"C-2\",\"W-1\"]") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "C-2", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"state\":\"resolved\"") != NULL && strstr(json, "\"type\":\"incident_resolve\"") != NULL &&
        strstr(json, "\"case\":\"INC-1\"") != NULL && strstr(json, "\"links\":[\"INC-1\"]") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "W-1", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"state\":\"completed\"") != NULL);
  crmkit_string_free(json);
  CHECK(crmkit_engine_get_case(e, "INC-1", &json) == CRMKIT_OK);
  CHECK(json && strstr(json, "\"links\":[\"C-1\",\"C-2\",\"W-1\"]") != NULL &&
        strstr(json, "\"name\":\"restoration\",\"instance\":1,\"state\":\"stopped\"") != NULL);
  crmkit_string_free(json);
}

int main(void) {
  walk_in_memory_and_durable(walk, "C-1");
  return report();
}
