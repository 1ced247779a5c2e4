/* CHECK for the C API tests: reports the failed condition with the library's last error and
 * counts it; main returns report() as its status. */
#ifndef CRMKIT_TEST_CHECK_H
#define CRMKIT_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crmkit.h"

static int failures = 0;
#define CHECK(cond)                                                                                  \
  do {                                                                                               \
    if (!(cond)) {                                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond,       \
              crmkit_last_error());                                                                  \
      ++failures;                                                                                    \
    }                                                                                                \
  } while (0)

/* Runs walk() on an engine of the shipped workflows and policies, in memory, then on a durable
 * store in a temporary file, and checks that the store reopened shows case `case_id` as the live
 * engine did. The store's files are removed. */
static inline void walk_in_memory_and_durable(void (*walk)(crmkit_engine*), const char* case_id) {
  const char* workflows = CRMKIT_SOURCE_DIR "/data/workflows";
  const char* policies = CRMKIT_SOURCE_DIR "/data/policies";
  const char* calendar = CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json";
  crmkit_engine* e = NULL;
  char db[] = "/tmp/crmkit-capi-XXXXXX";
  char side[64];
  char* live = NULL;
  char* reopened = NULL;
  int fd;
  CHECK(crmkit_engine_from_files(workflows, policies, calendar, &e) == CRMKIT_OK);
  if (e) walk(e);
  crmkit_engine_free(e);
  e = NULL;
  fd = mkstemp(db);
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  unlink(db);
  CHECK(crmkit_engine_open(db, workflows, policies, calendar, NULL, &e) == CRMKIT_OK);
  if (e) walk(e);
  CHECK(crmkit_engine_get_case(e, case_id, &live) == CRMKIT_OK);
  crmkit_engine_free(e);
  e = NULL;
  CHECK(crmkit_engine_open(db, workflows, policies, calendar, NULL, &e) == CRMKIT_OK);
  CHECK(crmkit_engine_get_case(e, case_id, &reopened) == CRMKIT_OK);
  CHECK(live && reopened && strcmp(live, reopened) == 0);
  crmkit_string_free(live);
  crmkit_string_free(reopened);
  crmkit_engine_free(e);
  unlink(db);
  snprintf(side, sizeof side, "%s-wal", db);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", db);
  unlink(side);
}

/* Applies `event`, which must be refused with `code` and a message containing `message`, and checks
 * that case `case_id` and the journal position are as before. */
static inline void refused_unchanged(crmkit_engine* e, const char* event, int code, const char* message, const char* case_id) {
  char* before = NULL;
  char* after = NULL;
  int64_t position = 0, position_after = 0;
  CHECK(crmkit_engine_get_case(e, case_id, &before) == CRMKIT_OK);
  CHECK(crmkit_engine_journal_position(e, &position) == CRMKIT_OK);
  CHECK(crmkit_engine_apply(e, event, NULL) == code && strstr(crmkit_last_error(), message) != NULL);
  CHECK(crmkit_engine_get_case(e, case_id, &after) == CRMKIT_OK);
  CHECK(crmkit_engine_journal_position(e, &position_after) == CRMKIT_OK);
  CHECK(before && after && strcmp(before, after) == 0 && position == position_after);
  crmkit_string_free(before);
  crmkit_string_free(after);
}

static int report(void) {
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
#endif
