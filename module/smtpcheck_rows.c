/* Check rows: last result, counters, running statistics, alarm state. */
#include "smtpcheck_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sc_row *
sc_row_new(unsigned index)
{
    sc_row *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->index = index;
    smtpchk_history_init(&r->history, 0); /* sized by sc_row_describe */
    return r;
}

void
sc_row_free(sc_row *r)
{
    if (r != NULL) {
        smtpchk_history_clear(&r->history);
        smtpchk_window_clear(&r->window);
        smtpchk_check_free((smtpchk_check *)r->check);
        free(r->targets);
        free(r->last);
        free(r->alarms); /* its table rows are gone: smtpCheckAlarmTable_remove */
    }
    free(r);
}

static void
describe_alarms(sc_row *r, const smtpchk_alarm_cfg *cfg)
{
    if (r->alarms == NULL && smtpchk_alarm_cfg_any(cfg)) {
        r->alarms = calloc(1, sizeof(*r->alarms));
        if (r->alarms == NULL)
            snmp_log(LOG_ERR, "smtpcheck: check %u: no memory for its alarms\n", r->index);
    }
    if (r->alarms != NULL)
        smtpchk_alarm_set_configure(&r->alarms->set, cfg);
    sc_row_alarms_trim(r);
}

int
sc_row_describe(sc_row *r, const smtpchk_config_entry *e)
{
    const smtpchk_check *c = e->check;
    smtpchk_check_free((smtpchk_check *)r->check);
    r->check = smtpchk_check_share(c);
    r->port = smtpchk_check_port(c);
    r->security = c->security;
    r->protocol = sc_protocol_value(c->protocol);
    r->interval_s = e->interval_ms / 1000;
    describe_alarms(r, &e->alarms);
    return smtpchk_history_resize(&r->history, e->history);
}

const smtpchk_alarm *
sc_row_alarm(const sc_row *r, int m)
{
    if (r->alarms == NULL || m < 1 || m >= SMTPCHK_METRIC__COUNT ||
        !r->alarms->set.a[m].configured)
        return NULL;
    return &r->alarms->set.a[m];
}

void
sc_row_alarms_trim(sc_row *r)
{
    if (r->alarms == NULL)
        return;
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        if (r->alarms->set.a[m].configured || r->alarms->rows[m] != NULL)
            return;
    free(r->alarms);
    r->alarms = NULL;
}

const char *
sc_row_name(const sc_row *r)
{
    return r->check != NULL && r->check->name != NULL ? r->check->name : "";
}

const char *
sc_row_host(const sc_row *r)
{
    const char *h = r->check != NULL ? smtpchk_check_target(r->check) : NULL;
    return h != NULL ? h : "";
}

int
sc_protocol_value(smtpchk_protocol p)
{
    return (int)p + 1;
}

uint32_t
sc_ms(int64_t us)
{
    if (us <= 0)
        return 0;
    int64_t ms = (us + 500) / 1000;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

uint32_t
sc_unix_u32(int64_t t)
{
    return t <= 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static void
stat_add(sc_stat *s, int64_t us)
{
    if (us < 0)
        return;
    uint32_t v = sc_ms(us);
    if (s->count == 0 || v < s->min)
        s->min = v;
    if (v > s->max)
        s->max = v;
    s->sum += v;
    s->count++;
}

uint32_t
sc_stat_avg(const sc_stat *s)
{
    return s->count ? (uint32_t)((s->sum + s->count / 2) / s->count) : 0;
}

/* The run's targets replace the last run's: rows follow DNS. Without
 * memory the row shows none rather than stale ones. */
static void
take_targets(sc_row *r, const smtpchk_engine_result *res)
{
    free(r->targets);
    r->targets = NULL;
    r->ntargets = 0;
    if (res->ntargets == 0)
        return;
    r->targets = malloc(res->ntargets * sizeof(*r->targets));
    if (r->targets == NULL)
        return;
    memcpy(r->targets, res->targets, res->ntargets * sizeof(*r->targets));
    r->ntargets = (uint32_t)res->ntargets;
}

size_t
sc_row_update(sc_row *r, const smtpchk_engine_result *res, smtpchk_alarm_event *ev, size_t max)
{
    const smtpchk_result *x = &res->result;
    r->have_result = true;
    sc_row_set_last(r, x);
    take_targets(r, res);
    r->last_run = res->finished;
    r->runs++;
    /* The engine counts skips since this module instance added the check. */
    r->skipped = r->skipped_base + (uint32_t)res->skipped;
    if (x->error != SMTPCHK_OK) {
        r->failures++;
        r->consecutive++;
    } else {
        r->consecutive = 0;
        r->last_success = res->finished;
        stat_add(&r->total, x->phase_us[SMTPCHK_PHASE_TOTAL]);
    }
    stat_add(&r->connect, x->phase_us[SMTPCHK_PHASE_CONNECT]);
    stat_add(&r->delivery, x->phase_us[SMTPCHK_PHASE_DELIVERY]);
    int64_t when = (int64_t)res->finished;
    smtpchk_history_entry h = smtpchk_history_entry_of(x, when);
    smtpchk_history_add(&r->history, &h);
    smtpchk_window_add(&r->window, when, x->error == SMTPCHK_OK, x->phase_us[SMTPCHK_PHASE_TOTAL]);
    if (r->alarms == NULL)
        return 0; /* none configured */
    smtpchk_alarm_set *s = &r->alarms->set;
    size_t n = smtpchk_alarm_set_update(s, x, r->consecutive, when, ev, max);
    smtpchk_window_stats hour;
    smtpchk_window_stats_at(&r->window, SMTPCHK_WINDOW_1H, when, &hour);
    return n + smtpchk_alarm_set_availability(s, hour.availability, hour.runs, when, ev + n,
                                              max - n);
}

int
sc_row_status(const sc_row *r)
{
    if (!r->have_result)
        return SC_STATUS_UNKNOWN;
    if (r->alarms != NULL && smtpchk_alarm_set_any_raised(&r->alarms->set))
        return SC_STATUS_ALARM;
    smtpchk_result last;
    sc_row_last(r, &last);
    return last.error == SMTPCHK_OK ? SC_STATUS_OK : SC_STATUS_FAILED;
}

/* Kept packed: a full result is about 1.9 kB, mostly text buffers that
 * are nearly empty; 10,000 rows hold one each (docs/mib.md). */
void
sc_row_last(const sc_row *r, smtpchk_result *out)
{
    if (r->last != NULL)
        smtpchk_result_unpack(r->last, out);
    else
        smtpchk_result_init(out);
}

int
sc_row_set_last(sc_row *r, const smtpchk_result *x)
{
    unsigned char *p = smtpchk_result_pack(x, NULL);
    if (p == NULL)
        return -1;
    free(r->last);
    r->last = p;
    return 0;
}
