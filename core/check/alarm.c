#include "alarm.h"

#include <string.h>

/* Each metric's name (the MIB's SmtpCheckMetric labels) and, for times,
 * the phase it watches. */
typedef struct metric_info {
    const char *name;
    int phase;                /* smtpchk_phase; -1 = not a time */
} metric_info;

static const metric_info metrics[SMTPCHK_METRIC__COUNT] = {
    [0] = {"none", -1},
    [SMTPCHK_METRIC_CONNECT_TIME] = {"connectTime", SMTPCHK_PHASE_CONNECT},
    [SMTPCHK_METRIC_LOGIN_TIME] = {"loginTime", SMTPCHK_PHASE_LOGIN},
    [SMTPCHK_METRIC_TRANSFER_TIME] = {"transferTime", SMTPCHK_PHASE_TRANSFER},
    [SMTPCHK_METRIC_TOTAL_TIME] = {"totalTime", SMTPCHK_PHASE_TOTAL},
    [SMTPCHK_METRIC_FAILURE] = {"failure", -1},
    [SMTPCHK_METRIC_CERT_DAYS] = {"certDaysLeft", -1},
    [SMTPCHK_METRIC_AVAILABILITY] = {"availability", -1},
    [SMTPCHK_METRIC_DELIVERY_TIME] = {"deliveryTime", SMTPCHK_PHASE_DELIVERY},
};

const char *
smtpchk_metric_name(smtpchk_metric m)
{
    return (unsigned)m < SMTPCHK_METRIC__COUNT ? metrics[m].name : "unknown";
}

/* The time a metric watches in r, in us; -1 = nothing to compare. */
static int64_t
metric_time(smtpchk_metric m, const smtpchk_result *r)
{
    int ph = metrics[m].phase;
    if (ph < 0)
        return -1;
    /* The total only means something for a check that succeeded
     * (a refused connection is fast, not good). */
    if (ph == SMTPCHK_PHASE_TOTAL && r->error != SMTPCHK_OK)
        return -1;
    return r->phase_us[ph];
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
    configure_time(&s->a[SMTPCHK_METRIC_AVAILABILITY], &cfg->availability);
    configure_time(&s->a[SMTPCHK_METRIC_DELIVERY_TIME], &cfg->delivery_time);
}

/* Asks smtpchk_alarm_set_configure itself, so that the two never differ
 * on what configures a metric. Only at configuration time. */
bool
smtpchk_alarm_cfg_any(const smtpchk_alarm_cfg *cfg)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_set_configure(&s, cfg);
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        if (s.a[m].configured)
            return true;
    return false;
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
    /* The threshold crossed; availability is raised by falling below
     * `falling` and cleared by rising to `rising`. */
    bool low_is_bad = m == SMTPCHK_METRIC_AVAILABILITY;
    ev[n] = (smtpchk_alarm_event){
        .metric = m,
        .raised = raise,
        .value = a->value,
        .threshold = raise != low_is_bad ? a->rising : a->falling,
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
    size_t n = 0;
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        if (metrics[m].phase >= 0)
            n = eval_time(&s->a[m], (smtpchk_metric)m, metric_time((smtpchk_metric)m, r), now,
                          ev, max, n);
    n = eval_failure(&s->a[SMTPCHK_METRIC_FAILURE], r, consecutive_failures, now, ev, max, n);
    return eval_cert(&s->a[SMTPCHK_METRIC_CERT_DAYS], r, now, ev, max, n);
}

/* Low is bad: raised below falling, cleared at or above rising. */
size_t
smtpchk_alarm_set_availability(smtpchk_alarm_set *s, uint32_t permille, uint32_t runs,
                               int64_t now, smtpchk_alarm_event *ev, size_t max)
{
    smtpchk_alarm *a = &s->a[SMTPCHK_METRIC_AVAILABILITY];
    if (!a->configured || runs == 0)
        return 0;
    a->value = permille;
    a->has_value = true;
    if (!a->raised && a->value < (int64_t)a->falling)
        return transition(a, SMTPCHK_METRIC_AVAILABILITY, true, now, ev, max, 0);
    if (a->raised && a->value >= (int64_t)a->rising)
        return transition(a, SMTPCHK_METRIC_AVAILABILITY, false, now, ev, max, 0);
    return 0;
}

bool
smtpchk_alarm_set_any_raised(const smtpchk_alarm_set *s)
{
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        if (s->a[m].configured && s->a[m].raised)
            return true;
    return false;
}
