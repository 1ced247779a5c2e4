/* The public header compiles as strict C99 on its own. */
#include "crmkit.h"

int main(void) { return crmkit_version() ? 0 : 1; }
