/* The verdict for one result under the thresholds (the outputs are out_*.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Writes which threshold a value crossed into why (when given). */
static int
crossed(char *why, size_t len, int state, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
crossed(char *why, size_t len, int state, const char *fmt, ...)
{
    if (why != NULL && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return state;
}

/* The delivery time's ranges, when the round trip measured one. */
static int
delivery_state(const smtpchk_result *r, int state, const cli_range *range,
               char *why, size_t len)
{
    int64_t us = r->phase_us[SMTPCHK_PHASE_DELIVERY];
    double s = (double)us / 1e6;
    if (us < 0 || !cli_range_alert(range, s))
        return ST_OK;
    return crossed(why, len, state, "delivery time %.3f s, %s range %s", s,
                   state == ST_CRITICAL ? "critical" : "warning", range->text);
}

static int
threshold_state(const cli *o, const smtpchk_result *r, double total, char *why, size_t len)
{
    int days = r->cert_days_left;
    if (cli_range_alert(&o->crit, total))
        return crossed(why, len, ST_CRITICAL, "total time %.3f s, critical range %s", total,
                       o->crit.text);
    if (delivery_state(r, ST_CRITICAL, &o->dcrit, why, len) != ST_OK)
        return ST_CRITICAL;
    if (o->cert_crit >= 0 && r->has_cert && days < o->cert_crit)
        return crossed(why, len, ST_CRITICAL, "certificate %d days left, critical below %d",
                       days, o->cert_crit);
    if (cli_range_alert(&o->warn, total))
        return crossed(why, len, ST_WARNING, "total time %.3f s, warning range %s", total,
                       o->warn.text);
    if (delivery_state(r, ST_WARNING, &o->dwarn, why, len) != ST_OK)
        return ST_WARNING;
    if (o->cert_warn >= 0 && r->has_cert && days < o->cert_warn)
        return crossed(why, len, ST_WARNING, "certificate %d days left, warning below %d", days,
                       o->cert_warn);
    return ST_OK;
}

int
cli_state_why(const cli *o, const smtpchk_result *r, char *why, size_t len)
{
    if (why != NULL && len > 0)
        why[0] = '\0';
    if (r->error == SMTPCHK_ERR_CONFIG || r->error == SMTPCHK_ERR_INTERNAL)
        return ST_UNKNOWN;
    if (r->error != SMTPCHK_OK)
        return ST_CRITICAL;
    double total = (double)r->phase_us[SMTPCHK_PHASE_TOTAL] / 1e6; /* seconds */
    return threshold_state(o, r, total, why, len);
}

int
cli_state(const cli *o, const smtpchk_result *r)
{
    return cli_state_why(o, r, NULL, 0);
}
