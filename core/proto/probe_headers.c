/* The rule for round-trip header values (probe_headers.h). */
#include "probe_headers.h"

#include <string.h>

int
smtpchk_probe_value_ok(const char *s)
{
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    return n > 0 && n <= SMTPCHK_PROBE_VALUE_MAX && strspn(s, SMTPCHK_PROBE_VALUE_CHARS) == n;
}
