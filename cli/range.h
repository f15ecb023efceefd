/*
 * Monitoring-plugins threshold ranges (the Nagios plugin guidelines):
 *   "10"     alert when the value is < 0 or > 10
 *   "10:"    alert when < 10
 *   "~:10"   alert when > 10 (no lower end)
 *   "10:20"  alert when outside 10..20
 *   "@10:20" alert when inside 10..20 (ends included)
 * Pure: no I/O.
 */
#ifndef SMTPCHECK_RANGE_H
#define SMTPCHECK_RANGE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_range {
    char text[64]; /* as given; "" = no range */
    bool set;
    bool inside;   /* '@': alert inside [lo, hi] */
    double lo, hi; /* -INFINITY / INFINITY for an open end */
} cli_range;

/* Returns 0 and fills r, or -1 (r untouched) when s is not a range. */
int cli_range_parse(const char *s, cli_range *r);
/* Whether value is alarming; never for a range that is not set. */
bool cli_range_alert(const cli_range *r, double value);
/* The range in the same syntax with both ends multiplied by scale (for
 * perfdata in the value's unit); "" when not set. */
void cli_range_format(const cli_range *r, double scale, char *buf, size_t len);

#endif
