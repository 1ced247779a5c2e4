/* Built with `pkg-config --cflags --libs crmkit` against the installed tree. */
#include <crmkit.h>
#include <stdio.h>

int main(void) {
  crmkit_calendar* cal = NULL;
  int64_t due = 0;
  if (crmkit_calendar_always_open(&cal) != CRMKIT_OK) return 1;
  if (crmkit_calendar_add(cal, 0, 3600, &due) != CRMKIT_OK || due != 3600) return 1;
  crmkit_calendar_free(cal);
  printf("crmkit C ABI %s via pkg-config OK\n", crmkit_version());
  return 0;
}
