#include "alarm.h"

#include <string.h>

static const char *const metric_names[SMTPCHK_METRIC__COUNT] = {
    "none", "connectTime", "loginTime", "transferTime", "totalTime", "failure", "certDaysLeft",
};

const char *
smtpchk_metric_name(smtpchk_metric m)
{
    return (unsigned)m < SMTPCHK_METRIC__COUNT ? metric_names[m] : "unknown";
}

static void
configure_one(smtpchk_alarm *a, bool on, uint32_t rising, uint32_t falling)
{
    if (!on) {
        memset(a, 0, sizeof(*a));
        return;
    }
    a->configured = true;
    a->rising = rising;
    a->falling = falling <= rising ? falling : rising;
}

static void
configure_time(smtpchk_alarm *a, const smtpchk_threshold *t)
{
    configure_one(a, t->set, t->rising_ms, t->set ? t->falling_ms : 0);
}

void
smtpchk_alarm_set_configure(smtpchk_alarm_set *s, const smtpchk_alarm_cfg *cfg)
{
    configure_time(&s->a[SMTPCHK_METRIC_CONNECT_TIME], &cfg->connect_time);
    configure_time(&s->a[SMTPCHK_METRIC_LOGIN_TIME], &cfg->login_time);
    configure_time(&s->a[SMTPCHK_METRIC_TRANSFER_TIME], &cfg->transfer_time);
    configure_time(&s->a[SMTPCHK_METRIC_TOTAL_TIME], &cfg->total_time);
    uint32_t n = cfg->consecutive_failures ? cfg->consecutive_failures : 1;
    configure_one(&s->a[SMTPCHK_METRIC_FAILURE], cfg->on_error_code || cfg->on_response_code,
                  n, n);
    uint32_t days = cfg->cert_days > 0 ? (uint32_t)cfg->cert_days : 0;
    configure_one(&s->a[SMTPCHK_METRIC_CERT_DAYS], cfg->cert_days >= 0, days, days);
}

/* Moves a to `raise` and records the event; no event when unchanged. */
static size_t
transition(smtpchk_alarm *a, smtpchk_metric m, bool raise, int64_t now,
           smtpchk_alarm_event *ev, size_t max, size_t n)
{
    if (a->raised == raise || n >= max)
        return n;
    a->raised = raise;
    a->last_change = now;
    if (raise)
        a->raised_count++;
    ev[n] = (smtpchk_alarm_event){
        .metric = m,
        .raised = raise,
        .value = a->value,
        .threshold = raise ? a->rising : a->falling,
    };
    return n + 1;
}

/* Times: raised at >= rising, cleared below falling (hysteresis). */
static size_t
eval_time(smtpchk_alarm *a, smtpchk_metric m, int64_t us, int64_t now,
          smtpchk_alarm_event *ev, size_t max, size_t n)
{
    if (!a->configured || us < 0)
        return n; /* the phase did not run: nothing to compare */
    a->value = us / 1000;
    a->has_value = true;
    if (!a->raised && a->value >= (int64_t)a->rising)
        return transition(a, m, true, now, ev, max, n);
    if (a->raised && a->value < (int64_t)a->falling)
        return transition(a, m, false, now, ev, max, n);
    return n;
}

static size_t
eval_failure(smtpchk_alarm *a, const smtpchk_result *r, uint32_t consecutive, int64_t now,
             smtpchk_alarm_event *ev, size_t max, size_t n)
{
    if (!a->configured)
        return n;
    a->value = consecutive;
    a->has_value = true;
    if (r->error == SMTPCHK_OK)
        return transition(a, SMTPCHK_METRIC_FAILURE, false, now, ev, max, n);
    if (consecutive >= a->rising)
        return transition(a, SMTPCHK_METRIC_FAILURE, true, now, ev, max, n);
    return n;
}

static size_t
eval_cert(smtpchk_alarm *a, const smtpchk_result *r, int64_t now, smtpchk_alarm_event *ev,
          size_t max, size_t n)
{
    if (!a->configured || !r->has_cert)
        return n;
    a->value = r->cert_days_left;
    a->has_value = true;
    bool low = a->value < (int64_t)a->rising;
    return transition(a, SMTPCHK_METRIC_CERT_DAYS, low, now, ev, max, n);
}

size_t
smtpchk_alarm_set_update(smtpchk_alarm_set *s, const smtpchk_result *r,
                         uint32_t consecutive_failures, int64_t now,
                         smtpchk_alarm_event *ev, size_t max)
{
    /* A phase that completed has a time; the total only means something
     * for a check that succeeded (a refused connection is fast, not good). */
    const int64_t times[] = {0, r->phase_us[SMTPCHK_PHASE_CONNECT], r->phase_us[SMTPCHK_PHASE_LOGIN], r->phase_us[SMTPCHK_PHASE_TRANSFER],
                             r->error == SMTPCHK_OK ? r->phase_us[SMTPCHK_PHASE_TOTAL] : -1};
    size_t n = 0;
    for (int m = SMTPCHK_METRIC_CONNECT_TIME; m <= SMTPCHK_METRIC_TOTAL_TIME; m++)
        n = eval_time(&s->a[m], (smtpchk_metric)m, times[m], now, ev, max, n);
    n = eval_failure(&s->a[SMTPCHK_METRIC_FAILURE], r, consecutive_failures, now, ev, max, n);
    return eval_cert(&s->a[SMTPCHK_METRIC_CERT_DAYS], r, now, ev, max, n);
}

bool
smtpchk_alarm_set_any_raised(const smtpchk_alarm_set *s)
{
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        if (s->a[m].configured && s->a[m].raised)
            return true;
    return false;
}
