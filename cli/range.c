/* Threshold ranges in the monitoring-plugins syntax (range.h). */
#include "range.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole finite number in [s, end); -1 when it is not one. */
static int
number(const char *s, const char *end, double *out)
{
    char buf[64], *stop = NULL;
    size_t len = (size_t)(end - s);
    if (len == 0 || len >= sizeof(buf) || s[0] == ' ' || s[0] == '+')
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &stop);
    return errno != 0 || *stop != '\0' || !isfinite(*out) ? -1 : 0;
}

/* "start:end", "start:", "~:end", ":end" or "end" (start 0). */
static int
bounds(const char *s, double *lo, double *hi)
{
    const char *colon = strchr(s, ':'), *end = s + strlen(s);
    *lo = 0;
    *hi = INFINITY;
    if (colon == NULL)
        return number(s, end, hi);
    if (colon - s == 1 && s[0] == '~')
        *lo = -INFINITY;
    else if (colon > s && number(s, colon, lo) != 0)
        return -1;
    if (colon[1] != '\0' && number(colon + 1, end, hi) != 0)
        return -1;
    return *lo <= *hi ? 0 : -1;
}

int
cli_range_parse(const char *s, cli_range *r)
{
    cli_range v = {.set = true};
    if (s == NULL || strlen(s) >= sizeof(v.text))
        return -1;
    snprintf(v.text, sizeof(v.text), "%s", s);
    v.inside = s[0] == '@';
    if (bounds(s + v.inside, &v.lo, &v.hi) != 0)
        return -1;
    *r = v;
    return 0;
}

bool
cli_range_alert(const cli_range *r, double value)
{
    if (!r->set)
        return false;
    bool in = value >= r->lo && value <= r->hi;
    return r->inside ? in : !in;
}

void
cli_range_format(const cli_range *r, double scale, char *buf, size_t len)
{
    char lo[32] = "", hi[32] = "";
    buf[0] = '\0';
    if (!r->set)
        return;
    if (isinf(r->lo))
        snprintf(lo, sizeof(lo), "~:");
    else if (r->lo != 0 || r->inside)
        snprintf(lo, sizeof(lo), "%.10g:", r->lo * scale);
    if (!isinf(r->hi))
        snprintf(hi, sizeof(hi), "%.10g", r->hi * scale);
    else if (lo[0] == '\0')
        snprintf(lo, sizeof(lo), "0:");
    snprintf(buf, len, "%s%s%s", r->inside ? "@" : "", lo, hi);
}
