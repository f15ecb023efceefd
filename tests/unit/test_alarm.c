/* Alarm evaluation: hysteresis, consecutive failures, certificates, reloads. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "alarm.h"
#include "cunit_main.h"

static smtpchk_result
ok_result(int64_t connect_ms)
{
    smtpchk_result r;
    smtpchk_result_init(&r);
    r.phase_us[SMTPCHK_PHASE_CONNECT] = connect_ms * 1000;
    r.phase_us[SMTPCHK_PHASE_TOTAL] = connect_ms * 1000 + 5000;
    return r;
}

static smtpchk_result
failed_result(void)
{
    smtpchk_result r;
    smtpchk_result_init(&r);
    r.error = SMTPCHK_ERR_CONN_REFUSED;
    r.response_code = -1;
    r.phase_us[SMTPCHK_PHASE_TOTAL] = 300;
    return r;
}

static smtpchk_alarm_cfg
cfg_connect(uint32_t rising, uint32_t falling)
{
    smtpchk_alarm_cfg c;
    memset(&c, 0, sizeof(c));
    c.connect_time = (smtpchk_threshold){.set = true, .rising_ms = rising, .falling_ms = falling};
    c.consecutive_failures = 1;
    c.cert_days = -1;
    return c;
}

/* The worked example of docs/mib.md: 200, 600, 550, 350, 250 ms. */
static void
test_hysteresis(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c = cfg_connect(500, 300);
    smtpchk_alarm_set_configure(&s, &c);
    const int64_t values[] = {200, 600, 550, 350, 250, 299, 500};
    const int expect[] = {0, 1, 0, 0, -1, 0, 1}; /* 1 raised, -1 cleared, 0 none */
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        smtpchk_result r = ok_result(values[i]);
        smtpchk_alarm_event ev[8];
        size_t n = smtpchk_alarm_set_update(&s, &r, 0, 100 + (int64_t)i, ev, 8);
        if (expect[i] == 0) {
            CU_ASSERT_EQUAL(n, 0);
            continue;
        }
        CU_ASSERT_EQUAL_FATAL(n, 1);
        CU_ASSERT_EQUAL(ev[0].metric, SMTPCHK_METRIC_CONNECT_TIME);
        CU_ASSERT_EQUAL(ev[0].raised, expect[i] > 0);
        CU_ASSERT_EQUAL(ev[0].value, values[i]);
        CU_ASSERT_EQUAL(ev[0].threshold, expect[i] > 0 ? 500u : 300u);
    }
    CU_ASSERT_EQUAL(s.a[SMTPCHK_METRIC_CONNECT_TIME].raised_count, 2);
    CU_ASSERT_TRUE(smtpchk_alarm_set_any_raised(&s));
}

static void
test_falling_defaults_to_rising(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c = cfg_connect(500, 500);
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_alarm_event ev[4];
    smtpchk_result r = ok_result(500);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 1, ev, 4), 1);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 2, ev, 4), 0); /* no storm */
    r = ok_result(499);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 3, ev, 4), 1);
    CU_ASSERT_FALSE(ev[0].raised);
}

static void
test_consecutive_failures(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c;
    memset(&c, 0, sizeof(c));
    c.on_error_code = true;
    c.consecutive_failures = 3;
    c.cert_days = -1;
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_result bad = failed_result();
    smtpchk_alarm_event ev[4];
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &bad, 1, 1, ev, 4), 0);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &bad, 2, 2, ev, 4), 0);
    CU_ASSERT_EQUAL_FATAL(smtpchk_alarm_set_update(&s, &bad, 3, 3, ev, 4), 1);
    CU_ASSERT_EQUAL(ev[0].metric, SMTPCHK_METRIC_FAILURE);
    CU_ASSERT_TRUE(ev[0].raised);
    CU_ASSERT_EQUAL(ev[0].value, 3);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &bad, 4, 4, ev, 4), 0); /* still bad: quiet */
    smtpchk_result good = ok_result(10);
    CU_ASSERT_EQUAL_FATAL(smtpchk_alarm_set_update(&s, &good, 0, 5, ev, 4), 1);
    CU_ASSERT_FALSE(ev[0].raised);
    CU_ASSERT_EQUAL(s.a[SMTPCHK_METRIC_FAILURE].last_change, 5);
}

static void
test_failed_run_does_not_clear_total(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c;
    memset(&c, 0, sizeof(c));
    c.total_time = (smtpchk_threshold){.set = true, .rising_ms = 100, .falling_ms = 50};
    c.consecutive_failures = 1;
    c.cert_days = -1;
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_alarm_event ev[4];
    smtpchk_result slow = ok_result(200);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &slow, 0, 1, ev, 4), 1);
    smtpchk_result bad = failed_result(); /* total 0.3 ms, but it failed */
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &bad, 1, 2, ev, 4), 0);
    CU_ASSERT_TRUE(s.a[SMTPCHK_METRIC_TOTAL_TIME].raised);
}

static void
test_cert_days(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c;
    memset(&c, 0, sizeof(c));
    c.cert_days = 14;
    c.consecutive_failures = 1;
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_result r = ok_result(1);
    smtpchk_alarm_event ev[4];
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 1, ev, 4), 0); /* no cert seen */
    r.has_cert = true;
    r.cert_days_left = 20;
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 2, ev, 4), 0);
    r.cert_days_left = 13;
    CU_ASSERT_EQUAL_FATAL(smtpchk_alarm_set_update(&s, &r, 0, 3, ev, 4), 1);
    CU_ASSERT_EQUAL(ev[0].metric, SMTPCHK_METRIC_CERT_DAYS);
    CU_ASSERT_EQUAL(ev[0].value, 13);
    r.cert_days_left = 14;
    CU_ASSERT_EQUAL_FATAL(smtpchk_alarm_set_update(&s, &r, 0, 4, ev, 4), 1);
    CU_ASSERT_FALSE(ev[0].raised);
}

static void
test_reconfigure_keeps_state(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c = cfg_connect(500, 300);
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_alarm_event ev[4];
    smtpchk_result r = ok_result(900);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 1, ev, 4), 1);
    c = cfg_connect(800, 400); /* a reload with new thresholds */
    smtpchk_alarm_set_configure(&s, &c);
    CU_ASSERT_TRUE(s.a[SMTPCHK_METRIC_CONNECT_TIME].raised);
    CU_ASSERT_EQUAL(s.a[SMTPCHK_METRIC_CONNECT_TIME].rising, 800);
    memset(&c, 0, sizeof(c)); /* alarm removed from the file */
    c.cert_days = -1;
    smtpchk_alarm_set_configure(&s, &c);
    CU_ASSERT_FALSE(s.a[SMTPCHK_METRIC_CONNECT_TIME].configured);
    CU_ASSERT_FALSE(smtpchk_alarm_set_any_raised(&s));
}

/* Each way of configuring a metric counts, and none is none. */
static void
test_cfg_any(void)
{
    smtpchk_alarm_cfg none;
    memset(&none, 0, sizeof(none));
    none.cert_days = -1;
    none.consecutive_failures = 3; /* a count alone alarms on nothing */
    CU_ASSERT_FALSE(smtpchk_alarm_cfg_any(&none));
    smtpchk_alarm_cfg c = cfg_connect(500, 300);
    CU_ASSERT_TRUE(smtpchk_alarm_cfg_any(&c));
    smtpchk_threshold on = {.set = true, .rising_ms = 10, .falling_ms = 5};
    smtpchk_threshold *times[] = {&c.login_time, &c.transfer_time, &c.total_time,
                                  &c.availability, &c.delivery_time};
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        c = none;
        *times[i] = on;
        CU_ASSERT_TRUE(smtpchk_alarm_cfg_any(&c));
    }
    c = none;
    c.on_error_code = true;
    CU_ASSERT_TRUE(smtpchk_alarm_cfg_any(&c));
    c = none;
    c.on_response_code = true;
    CU_ASSERT_TRUE(smtpchk_alarm_cfg_any(&c));
    c = none;
    c.cert_days = 0;
    CU_ASSERT_TRUE(smtpchk_alarm_cfg_any(&c));
}

static void
test_event_capacity(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c = cfg_connect(1, 1);
    c.total_time = (smtpchk_threshold){.set = true, .rising_ms = 1, .falling_ms = 1};
    smtpchk_alarm_set_configure(&s, &c);
    smtpchk_result r = ok_result(10);
    smtpchk_alarm_event ev[1];
    /* Only one fits: the other transition must wait, not be lost silently. */
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 1, ev, 1), 1);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 2, ev, 1), 1);
    CU_ASSERT_EQUAL(smtpchk_alarm_set_update(&s, &r, 0, 3, ev, 1), 0);
    CU_ASSERT_STRING_EQUAL(smtpchk_metric_name(SMTPCHK_METRIC_FAILURE), "failure");
}

/* Availability is inverted: raised below falling, cleared at >= rising;
 * a window without runs changes nothing. */
static void
test_availability(void)
{
    smtpchk_alarm_set s;
    memset(&s, 0, sizeof(s));
    smtpchk_alarm_cfg c = cfg_connect(1, 1);
    c.connect_time.set = false;
    c.availability = (smtpchk_threshold){.set = true, .rising_ms = 995, .falling_ms = 990};
    smtpchk_alarm_set_configure(&s, &c);
    const uint32_t values[] = {1000, 990, 989, 994, 0, 995, 989};
    const uint32_t runs[] = {10, 10, 10, 10, 0, 10, 10};
    const int expect[] = {0, 0, 1, 0, 0, -1, 1}; /* 1 raised, -1 cleared, 0 none */
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        smtpchk_alarm_event ev[2];
        size_t n = smtpchk_alarm_set_availability(&s, values[i], runs[i], 100 + (int64_t)i, ev, 2);
        CU_ASSERT_EQUAL_FATAL(n, expect[i] != 0);
        if (n == 0)
            continue;
        CU_ASSERT_EQUAL(ev[0].metric, SMTPCHK_METRIC_AVAILABILITY);
        CU_ASSERT_EQUAL(ev[0].raised, expect[i] > 0);
        CU_ASSERT_EQUAL(ev[0].value, values[i]);
        CU_ASSERT_EQUAL(ev[0].threshold, expect[i] > 0 ? 990 : 995);
    }
    CU_ASSERT_EQUAL(s.a[SMTPCHK_METRIC_AVAILABILITY].raised_count, 2);
    CU_ASSERT_TRUE(smtpchk_alarm_set_any_raised(&s));
    CU_ASSERT_STRING_EQUAL(smtpchk_metric_name(SMTPCHK_METRIC_AVAILABILITY), "availability");
    /* Not configured: never an event. */
    smtpchk_alarm_set off;
    memset(&off, 0, sizeof(off));
    smtpchk_alarm_event ev[1];
    CU_ASSERT_EQUAL(smtpchk_alarm_set_availability(&off, 0, 10, 1, ev, 1), 0);
}

void
register_tests(void)
{
    SUITE_ADD("alarm", TEST(test_hysteresis), TEST(test_falling_defaults_to_rising),
              TEST(test_consecutive_failures), TEST(test_failed_run_does_not_clear_total),
              TEST(test_cert_days), TEST(test_reconfigure_keeps_state),
              TEST(test_cfg_any), TEST(test_event_capacity), TEST(test_availability));
}
