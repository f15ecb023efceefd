/*
 * smtpcheck.so: init_smtpcheck / deinit_smtpcheck for dlmod (and the
 * AgentX subagent). Rows, alarms and traps are only ever touched in the
 * main thread; the state is saved every SAVE_EVERY_S when it changed, when
 * Net-SNMP stores its data, and at deinit (a SIGHUP unloads the module).
 */
#include "smtpcheck.h"

#include <stdint.h>
#include <stdlib.h>

#include "smtpCheckAlarmTable.h"
#include "smtpCheckHistoryTable.h"
#include "smtpCheckTargetTable.h"
#include "smtpCheckStatsTable.h"
#include "smtpCheckTable.h"
#include "smtpcheck_conf.h"
#include "smtpcheck_engine.h"
#include "smtpcheck_globals.h"
#include "smtpcheck_persist.h"

#define EXPORT __attribute__((visibility("default")))
#define SAVE_EVERY_S 30
/* A save in steps: this many rows every SAVE_STEP_US, so that no tick of
 * the main thread formats every row (10,000 checks: 3 s of steps, each
 * well under a millisecond's worth of GETs). */
#define SAVE_STEP_ROWS 64
#define SAVE_STEP_US 20000L

void init_smtpcheck(void) EXPORT;
void deinit_smtpcheck(void) EXPORT;

/* The one instance (see smtpcheck.h). */
static sc_module *instance;

sc_module *
smtpcheck_instance(void)
{
    return instance;
}

static void
stop_save_steps(sc_module *m)
{
    if (m->save_step_alarm)
        snmp_alarm_unregister(m->save_step_alarm);
    m->save_step_alarm = 0;
}

static void
save_step(unsigned reg, void *clientarg)
{
    (void)reg;
    sc_module *m = clientarg;
    if (smtpcheck_persist_save_step(m, SAVE_STEP_ROWS))
        stop_save_steps(m);
}

/* Every SAVE_EVERY_S: when results came in, a save in steps begins (one
 * still running goes on; the results since it began wait for the next). */
static void
save_state(unsigned reg, void *clientarg)
{
    (void)reg;
    sc_module *m = clientarg;
    if (!m->dirty || m->save_step_alarm != 0)
        return;
    m->dirty = false;
    if (smtpcheck_persist_save_begin(m) != 0)
        return;
    struct timeval every = {0, SAVE_STEP_US};
    m->save_step_alarm = snmp_alarm_register_hr(every, SA_REPEAT, save_step, m);
    if (m->save_step_alarm == 0) /* cannot step: save whole, as before */
        smtpcheck_persist_save_step(m, SIZE_MAX);
}

static int
store_data(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)server;
    sc_module *m = client;
    stop_save_steps(m);
    smtpcheck_persist_save(m); /* whole, now: snmpd may be about to exit */
    return SNMP_ERR_NOERROR;
}

void
init_smtpcheck(void)
{
    DEBUGMSGTL(("smtpcheck", "init\n"));
    sc_module *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snmp_log(LOG_ERR, "smtpcheck: out of memory\n");
        return;
    }
    instance = m;
    /* The engine is made with the first good check file (max_in_flight). */
    if (init_smtpCheckTable(m) != 0 || init_smtpCheckAlarmTable(m) != 0 ||
        init_smtpcheck_globals(m) != 0 ||
        sc_walk_register(&m->history, m, &smtpCheckHistoryTable_spec) != 0 ||
        sc_walk_register(&m->stats, m, &smtpCheckStatsTable_spec) != 0 ||
        sc_walk_register(&m->targets, m, &smtpCheckTargetTable_spec) != 0)
        snmp_log(LOG_ERR, "smtpcheck: cannot register the MIB tables\n");
    smtpcheck_conf_init(m);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_STORE_DATA, store_data, m);
    smtpcheck_engine_init(m);
    m->save_alarm = snmp_alarm_register(SAVE_EVERY_S, SA_REPEAT, save_state, m);
}

void
deinit_smtpcheck(void)
{
    DEBUGMSGTL(("smtpcheck", "deinit\n"));
    sc_module *m = instance;
    if (m == NULL)
        return;
    if (m->save_alarm)
        snmp_alarm_unregister(m->save_alarm);
    stop_save_steps(m);
    smtpcheck_engine_stop(m); /* keeps every result that finished */
    smtpcheck_persist_save(m);
    smtpcheck_engine_free(m);
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_STORE_DATA, store_data, m, 1);
    smtpcheck_conf_shutdown(m);
    smtpcheck_persist_forget(m);
    shutdown_smtpcheck_globals(m);
    sc_walk_unregister(&m->history);
    sc_walk_unregister(&m->stats);
    sc_walk_unregister(&m->targets);
    shutdown_smtpCheckTable(m);
    shutdown_smtpCheckAlarmTable(m);
    instance = NULL;
    free(m);
}
