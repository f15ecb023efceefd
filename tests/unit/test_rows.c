/*
 * module/smtpcheck_rows.c: a row holds alarm states only while its check
 * configures an alarm. Built into the test from the module's source
 * (with Net-SNMP, no agent running); calloc is wrapped so that the alarm
 * states' allocation can fail.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "smtpcheck_rows.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int fail_alarms; /* the next calloc of an sc_alarms fails */

void *
__wrap_calloc(size_t n, size_t size)
{
    if (fail_alarms && n == 1 && size == sizeof(sc_alarms)) {
        fail_alarms = 0;
        return NULL;
    }
    return __real_calloc(n, size);
}

static smtpchk_alarm_cfg
no_alarms(void)
{
    smtpchk_alarm_cfg c;
    memset(&c, 0, sizeof(c));
    c.consecutive_failures = 1;
    c.cert_days = -1;
    return c;
}

static smtpchk_alarm_cfg
failure_alarm(void)
{
    smtpchk_alarm_cfg c = no_alarms();
    c.on_error_code = true;
    return c;
}

/* Describes r as check 7 with these alarms, as a (re)load does. */
static void
describe(sc_row *r, const smtpchk_alarm_cfg *alarms)
{
    smtpchk_config_entry e;
    memset(&e, 0, sizeof(e));
    e.check = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(e.check);
    e.check->index = 7;
    e.interval_ms = 60000;
    e.history = 5;
    e.alarms = *alarms;
    CU_ASSERT_EQUAL(sc_row_describe(r, &e), 0);
    smtpchk_check_free(e.check); /* the row keeps its share */
}

/* One failed run at t; returns the alarm events. */
static size_t
fail_once(sc_row *r, int64_t t, smtpchk_alarm_event *ev)
{
    smtpchk_engine_result res;
    memset(&res, 0, sizeof(res));
    smtpchk_result_init(&res.result);
    res.result.error = SMTPCHK_ERR_CONN_REFUSED;
    res.key = 7;
    res.finished = t;
    return sc_row_update(r, &res, ev, SMTPCHK_METRIC__COUNT);
}

static void
test_no_alarm_no_state(void)
{
    sc_row *r = sc_row_new(7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    smtpchk_alarm_cfg c = no_alarms();
    describe(r, &c);
    CU_ASSERT_PTR_NULL(r->alarms);
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    CU_ASSERT_EQUAL(fail_once(r, 1796000000, ev), 0);
    CU_ASSERT_EQUAL(sc_row_status(r), SC_STATUS_FAILED);
    for (int m = 0; m <= SMTPCHK_METRIC__COUNT; m++)
        CU_ASSERT_PTR_NULL(sc_row_alarm(r, m));
    sc_row_free(r);
}

/* A reload adds an alarm, keeps its raised state while it stays
 * configured, and drops the states with the last one. */
static void
test_alarm_configured_on_reload(void)
{
    sc_row *r = sc_row_new(7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    smtpchk_alarm_cfg c = no_alarms();
    describe(r, &c);
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    CU_ASSERT_EQUAL(fail_once(r, 1796000000, ev), 0);

    c = failure_alarm();
    describe(r, &c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->alarms);
    CU_ASSERT_PTR_NOT_NULL(sc_row_alarm(r, SMTPCHK_METRIC_FAILURE));
    CU_ASSERT_PTR_NULL(sc_row_alarm(r, SMTPCHK_METRIC_CONNECT_TIME));
    CU_ASSERT_EQUAL_FATAL(fail_once(r, 1796000060, ev), 1);
    CU_ASSERT_EQUAL(ev[0].metric, SMTPCHK_METRIC_FAILURE);
    CU_ASSERT_TRUE(ev[0].raised);
    CU_ASSERT_EQUAL(sc_row_status(r), SC_STATUS_ALARM);

    c.connect_time = (smtpchk_threshold){.set = true, .rising_ms = 500, .falling_ms = 300};
    describe(r, &c); /* another metric added: the raised one stays raised */
    const smtpchk_alarm *a = sc_row_alarm(r, SMTPCHK_METRIC_FAILURE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_TRUE(a->raised);
    CU_ASSERT_EQUAL(a->raised_count, 1);
    CU_ASSERT_PTR_NOT_NULL(sc_row_alarm(r, SMTPCHK_METRIC_CONNECT_TIME));
    CU_ASSERT_EQUAL(fail_once(r, 1796000120, ev), 0); /* still raised: no new event */

    c = no_alarms();
    describe(r, &c);
    CU_ASSERT_PTR_NULL(r->alarms);
    CU_ASSERT_EQUAL(sc_row_status(r), SC_STATUS_FAILED);
    sc_row_free(r);
}

/* The states outlive their last metric while an alarm table row still
 * points at them; the table's sync drops the rows, then trims. */
static void
test_alarm_state_waits_for_its_rows(void)
{
    sc_row *r = sc_row_new(7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    smtpchk_alarm_cfg c = failure_alarm();
    describe(r, &c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->alarms);
    static netsnmp_tdata_row stand_in; /* never dereferenced by the row */
    r->alarms->rows[SMTPCHK_METRIC_FAILURE] = &stand_in;
    c = no_alarms();
    describe(r, &c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->alarms);
    CU_ASSERT_PTR_NULL(sc_row_alarm(r, SMTPCHK_METRIC_FAILURE));
    r->alarms->rows[SMTPCHK_METRIC_FAILURE] = NULL; /* as smtpCheckAlarmTable_sync drops it */
    sc_row_alarms_trim(r);
    CU_ASSERT_PTR_NULL(r->alarms);
    sc_row_free(r);
}

/* Without memory for the states the check runs without alarms; the next
 * reload tries again. */
static void
test_alarm_state_without_memory(void)
{
    sc_row *r = sc_row_new(7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    smtpchk_alarm_cfg c = failure_alarm();
    fail_alarms = 1;
    describe(r, &c);
    CU_ASSERT_EQUAL(fail_alarms, 0); /* the failure was taken */
    CU_ASSERT_PTR_NULL(r->alarms);
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    CU_ASSERT_EQUAL(fail_once(r, 1796000000, ev), 0);
    CU_ASSERT_EQUAL(sc_row_status(r), SC_STATUS_FAILED);
    describe(r, &c);
    CU_ASSERT_PTR_NOT_NULL(r->alarms);
    CU_ASSERT_EQUAL(fail_once(r, 1796000060, ev), 1);
    sc_row_free(r);
}

void
register_tests(void)
{
    SUITE_ADD("rows", TEST(test_no_alarm_no_state), TEST(test_alarm_configured_on_reload),
              TEST(test_alarm_state_waits_for_its_rows), TEST(test_alarm_state_without_memory));
}
