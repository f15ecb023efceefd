/* The verdict for one result under the thresholds (the outputs are out_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
cli_state(const cli *o, const smtpchk_result *r)
{
    if (r->error == SMTPCHK_ERR_CONFIG || r->error == SMTPCHK_ERR_INTERNAL)
        return ST_UNKNOWN;
    if (r->error != SMTPCHK_OK)
        return ST_CRITICAL;
    double total = (double)r->phase_us[SMTPCHK_PHASE_TOTAL] / 1000.0;
    int st = ST_OK;
    if ((o->crit_ms >= 0 && total > o->crit_ms) ||
        (o->cert_crit >= 0 && r->has_cert && r->cert_days_left < o->cert_crit))
        return ST_CRITICAL;
    if ((o->warn_ms >= 0 && total > o->warn_ms) ||
        (o->cert_warn >= 0 && r->has_cert && r->cert_days_left < o->cert_warn))
        st = ST_WARNING;
    return st;
}
