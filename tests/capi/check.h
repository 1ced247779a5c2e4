/* CHECK for the C API tests: reports the failed condition with the library's last error and
 * counts it; main returns report() as its status. */
#ifndef CRMKIT_TEST_CHECK_H
#define CRMKIT_TEST_CHECK_H
#include <stdio.h>

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

static int report(void) {
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
#endif
