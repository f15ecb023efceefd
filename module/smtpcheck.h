/*
 * The smtpcheck Net-SNMP module: shared declarations. Only the main
 * thread touches anything here (Net-SNMP has no locks); the check engine
 * runs in its own thread and hands results over through one fd.
 */
#ifndef SMTPCHECK_MODULE_H
#define SMTPCHECK_MODULE_H

#include <stdint.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "alarm.h"
#include "config.h"
#include "engine.h"
#include "smtpchk.h"

/* Running figures over one kind of time (ms). */
typedef struct sc_stat {
    uint32_t min, max;
    uint64_t sum, count;
} sc_stat;

/* One configured check: what it is, its last result and its history. */
typedef struct sc_row {
    unsigned index;
    char name[65];
    char host[256];
    unsigned port;
    int security;
    unsigned interval_s;
    int have_result;
    smtpchk_result last;
    time_t last_run;
    uint32_t runs, failures, skipped, consecutive;
    uint32_t skipped_base;    /* skips counted before this module instance */
    sc_stat connect, total;
    smtpchk_alarm_set alarms;
    netsnmp_tdata_row *row;                               /* in smtpCheckTable */
    netsnmp_tdata_row *alarm_rows[SMTPCHK_METRIC__COUNT]; /* in the alarm table */
} sc_row;

typedef struct sc_globals {
    char config_path[1024];
    uint32_t config_loads, config_errors;
    time_t last_load;
} sc_globals;

/* smtpcheck_data.c: the rows, independent of SNMP requests. */
sc_row *sc_row_new(unsigned index);
void sc_row_free(sc_row *r);
void sc_row_describe(sc_row *r, const smtpchk_config_entry *e);
/* Takes one result; returns the alarm events it caused. */
size_t sc_row_update(sc_row *r, const smtpchk_engine_result *res, smtpchk_alarm_event *ev,
                     size_t max);
int sc_row_status(const sc_row *r);
uint32_t sc_stat_avg(const sc_stat *s);
uint32_t sc_ms(int64_t us);

/* smtpcheck_tdata.c: what both read-only tables share. */
typedef struct sc_tdata {
    netsnmp_tdata *table;
    netsnmp_handler_registration *reg;
    netsnmp_table_registration_info *info; /* ours to free: the handler does not */
} sc_tdata;
int sc_tdata_register(sc_tdata *t, const char *name, Netsnmp_Node_Handler *handler,
                      const oid *table_oid, size_t len, unsigned min_col, unsigned max_col,
                      int with_metric);
/* Unregisters the handler, then removes every row, giving its data to free_data. */
void sc_tdata_unregister(sc_tdata *t, void (*free_data)(void *));

/* smtpCheckTable.c / smtpCheckAlarmTable.c / smtpcheck_globals.c */
int init_smtpCheckTable(void);
void shutdown_smtpCheckTable(void);
int smtpCheckTable_add(sc_row *r);
void smtpCheckTable_remove(sc_row *r);
sc_row *smtpCheckTable_find(unsigned index);
sc_row *smtpCheckTable_first(void);
sc_row *smtpCheckTable_next(sc_row *r);
int init_smtpCheckAlarmTable(void);
void shutdown_smtpCheckAlarmTable(void);
/* Adds or drops alarm rows to match the row's configured alarms. */
void smtpCheckAlarmTable_sync(sc_row *r);
void smtpCheckAlarmTable_remove(sc_row *r);
int init_smtpcheck_globals(sc_globals *g);
void shutdown_smtpcheck_globals(void);

/* smtpcheck_traps.c */
void smtpcheck_send_alarm(const sc_row *r, const smtpchk_alarm_event *ev);

/* smtpcheck_persist.c: counters and alarm states across reloads/restarts. */
void smtpcheck_persist_load(void);
void smtpcheck_persist_restore(sc_row *r);
void smtpcheck_persist_save(void);
void smtpcheck_persist_forget(void);
/* Once per module instance: the load counters of smtpCheckGlobals. */
void smtpcheck_persist_load_globals(sc_globals *g);

/* smtpcheck_conf.c */
void smtpcheck_conf_init(void);
void smtpcheck_conf_shutdown(void);
/* Loads the check file; on success applies it (rows, engine). */
int smtpcheck_conf_apply(void);
const char *smtpcheck_conf_path(void);

/* smtpcheck.c */
smtpchk_engine *smtpcheck_engine(void); /* NULL until a check file loaded */
int smtpcheck_engine_create(size_t max_in_flight);
uint32_t smtpcheck_in_flight(void);
/* chown to snmpd's -u/-g user while still root; a no-op otherwise. */
void smtpcheck_give_to_agent_user(const char *path);
sc_globals *smtpcheck_globals(void);
/* DateAndTime (8 octets, UTC) for t; returns the length (0 when t == 0). */
size_t smtpcheck_date_and_time(time_t t, u_char *buf);

#endif
