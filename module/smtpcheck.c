/*
 * smtpcheck.so: init_smtpcheck / deinit_smtpcheck for dlmod (and the
 * AgentX subagent). The engine thread starts from a one-shot alarm, after
 * snmpd has daemonized (a thread started in init_ would die in the fork).
 * Results come back through one registered fd; rows, alarms and traps are
 * only ever touched here, in the main thread.
 */
#include "smtpcheck.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "smtpcheck_oids.h"

#define EXPORT __attribute__((visibility("default")))
#define SAVE_EVERY_S 30
#define RESULT_BATCH 64

void init_smtpcheck(void) EXPORT;
void deinit_smtpcheck(void) EXPORT;

static sc_globals globals;
static smtpchk_engine *engine;
static unsigned start_alarm, save_alarm;
static int fd_registered, dirty;
static int start_missed; /* the start alarm ran before there was an engine */

static void start_engine(unsigned reg, void *arg);

smtpchk_engine *
smtpcheck_engine(void)
{
    return engine;
}

int
smtpcheck_engine_create(size_t max_in_flight)
{
    if (engine != NULL)
        return 0;
    char err[200];
    smtpchk_engine_opts o = {.max_in_flight = max_in_flight};
    engine = smtpchk_engine_new(&o, err, sizeof(err));
    if (engine == NULL) {
        snmp_log(LOG_ERR, "smtpcheck: %s\n", err);
        return -1;
    }
    if (start_missed) /* after daemonizing already: start on the next tick */
        start_alarm = snmp_alarm_register(0, 0, start_engine, NULL);
    start_missed = 0;
    return 0;
}

sc_globals *
smtpcheck_globals(void)
{
    return &globals;
}

size_t
smtpcheck_date_and_time(time_t t, u_char *buf)
{
    struct tm tm;
    if (t == 0 || gmtime_r(&t, &tm) == NULL)
        return 0;
    int year = tm.tm_year + 1900;
    buf[0] = (u_char)(year >> 8);
    buf[1] = (u_char)year;
    buf[2] = (u_char)(tm.tm_mon + 1);
    buf[3] = (u_char)tm.tm_mday;
    buf[4] = (u_char)tm.tm_hour;
    buf[5] = (u_char)tm.tm_min;
    buf[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
    buf[7] = 0;
    buf[8] = '+';
    buf[9] = 0;
    buf[10] = 0;
    return 11;
}

void
smtpcheck_give_to_agent_user(const char *path)
{
    /* While snmpd is still root (before -u/-g take effect), what we write
     * must stay readable for the user it becomes: a SIGHUP re-reads it as
     * that user. */
    int uid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_USERID);
    int gid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_GROUPID);
    if (geteuid() == 0 && (uid > 0 || gid > 0) &&
        chown(path, uid > 0 ? (uid_t)uid : (uid_t)-1, gid > 0 ? (gid_t)gid : (gid_t)-1) != 0)
        snmp_log(LOG_WARNING, "smtpcheck: cannot give %s to uid %d: %s\n", path, uid,
                 strerror(errno));
}

static void
take_result(const smtpchk_engine_result *res)
{
    sc_row *r = smtpCheckTable_find((unsigned)res->key);
    if (r == NULL)
        return; /* removed by a reload while it ran */
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    size_t n = sc_row_update(r, res, ev, SMTPCHK_METRIC__COUNT);
    DEBUGMSGTL(("smtpcheck:results", "check %u (%s): %s, %zu alarm events\n", r->index,
                r->name, smtpchk_error_name(res->result.error), n));
    for (size_t i = 0; i < n; i++)
        smtpcheck_send_alarm(r, &ev[i]);
    dirty = 1;
}

/* The engine's fd is readable: results wait in its queue. */
static void
on_results(int fd, void *data)
{
    (void)fd;
    (void)data;
    smtpchk_engine_result batch[RESULT_BATCH];
    size_t n = smtpchk_engine_drain(engine, batch, RESULT_BATCH);
    for (size_t i = 0; i < n; i++)
        take_result(&batch[i]);
}

uint32_t
smtpcheck_in_flight(void)
{
    if (engine == NULL)
        return 0;
    smtpchk_engine_stats st;
    smtpchk_engine_stats_get(engine, &st);
    return (uint32_t)st.in_flight;
}

static void
start_engine(unsigned reg, void *arg)
{
    (void)reg;
    (void)arg;
    start_alarm = 0;
    if (engine == NULL) {
        start_missed = 1;
        return;
    }
    if (smtpchk_engine_start(engine) != 0) {
        snmp_log(LOG_ERR, "smtpcheck: cannot start the check thread\n");
        return;
    }
    if (register_readfd(smtpchk_engine_fd(engine), on_results, NULL) == 0)
        fd_registered = 1;
    else
        snmp_log(LOG_ERR, "smtpcheck: cannot watch the engine's fd\n");
}

static void
save_state(unsigned reg, void *arg)
{
    (void)reg;
    (void)arg;
    if (dirty)
        smtpcheck_persist_save();
    dirty = 0;
}

static int
store_data(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)server;
    (void)client;
    smtpcheck_persist_save();
    return SNMP_ERR_NOERROR;
}

void
init_smtpcheck(void)
{
    DEBUGMSGTL(("smtpcheck", "init\n"));
    memset(&globals, 0, sizeof(globals));
    start_missed = 0;
    /* The engine is made with the first good check file (max_in_flight). */
    if (init_smtpCheckTable() != 0 || init_smtpCheckAlarmTable() != 0 ||
        init_smtpcheck_globals(&globals) != 0)
        snmp_log(LOG_ERR, "smtpcheck: cannot register the MIB tables\n");
    smtpcheck_conf_init();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_STORE_DATA, store_data, NULL);
    start_alarm = snmp_alarm_register(0, 0, start_engine, NULL);
    save_alarm = snmp_alarm_register(SAVE_EVERY_S, SA_REPEAT, save_state, NULL);
}

void
deinit_smtpcheck(void)
{
    DEBUGMSGTL(("smtpcheck", "deinit\n"));
    if (start_alarm)
        snmp_alarm_unregister(start_alarm);
    if (save_alarm)
        snmp_alarm_unregister(save_alarm);
    start_alarm = save_alarm = 0;
    if (fd_registered && engine != NULL) {
        on_results(0, NULL); /* keep what already finished */
        unregister_readfd(smtpchk_engine_fd(engine));
    }
    fd_registered = 0;
    smtpcheck_persist_save();
    smtpchk_engine_free(engine); /* stops and joins the thread */
    engine = NULL;
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_STORE_DATA, store_data, NULL,
                             1);
    smtpcheck_conf_shutdown();
    shutdown_smtpcheck_globals();
    shutdown_smtpCheckTable();
    shutdown_smtpCheckAlarmTable();
}
