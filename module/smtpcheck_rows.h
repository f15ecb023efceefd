/*
 * Check rows: what a check is, its last result, its counters and its
 * alarm states. Knows nothing of SNMP requests: the tables serve rows.
 */
#ifndef SMTPCHECK_ROWS_H
#define SMTPCHECK_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "alarm.h"
#include "config.h"
#include "engine.h"
#include "fields.h"
#include "history.h"
#include "smtpchk.h"
#include "window.h"

/* Running figures over one kind of time (ms). */
typedef struct sc_stat {
    uint32_t min, max;
    uint64_t sum, count;
} sc_stat;

/*
 * A check's alarms, held only while it configures at least one (most
 * checks configure none: 360 bytes a check saved): their states and
 * their rows in smtpCheckAlarmTable.
 */
typedef struct sc_alarms {
    smtpchk_alarm_set set;
    netsnmp_tdata_row *rows[SMTPCHK_METRIC__COUNT]; /* in the alarm table */
} sc_alarms;

/* One configured check: what it is, its last result and its history. */
typedef struct sc_row {
    unsigned index;
    /* The configured check, shared read-only with the configuration and
     * the engine (smtpchk_check_share): its name and host are the row's.
     * NULL until sc_row_describe. */
    const smtpchk_check *check;
    unsigned port;
    int security;
    int protocol;         /* SmtpCheckProtocolType: smtp(1), imap(2), pop3(3) */
    unsigned interval_s;
    bool have_result;
    unsigned char *last;  /* packed (fields.h); read it with sc_row_last */
    int64_t last_run;     /* wall clock seconds; 0 = never */
    int64_t last_success; /* end of the last run that ended ok; 0 = never */
    uint32_t runs, failures, skipped, consecutive;
    uint32_t skipped_base; /* skips counted before this module instance */
    sc_stat connect, total, delivery;
    sc_alarms *alarms;       /* NULL: no alarm configured (or no memory for it) */
    smtpchk_history history; /* the last runs: smtpCheckHistoryTable */
    smtpchk_window window;   /* 1 h and 24 h figures: smtpCheckStatsTable */
    smtpchk_target *targets; /* an MX check's last run: smtpCheckTargetTable */
    uint32_t ntargets;
    netsnmp_tdata_row *row;  /* in smtpCheckTable */
} sc_row;

/* smtpCheckStatus values. */
enum { SC_STATUS_UNKNOWN = 1, SC_STATUS_OK = 2, SC_STATUS_FAILED = 3, SC_STATUS_ALARM = 4 };

sc_row *sc_row_new(unsigned index);
void sc_row_free(sc_row *r);
/* Applies the check's settings and takes a share of its check; -1 when
 * its history could not be resized. Alarm states are kept for the metrics
 * that stay configured (a reload), made when the first one is configured
 * (without memory: logged, the check runs without alarms) and let go
 * with the last one, once no alarm table row is left (sc_row_alarms_trim). */
int sc_row_describe(sc_row *r, const smtpchk_config_entry *e);
/* The state of metric m, or NULL when it is not configured. */
const smtpchk_alarm *sc_row_alarm(const sc_row *r, int m);
/* Frees the alarms once no metric is configured and no table row is held. */
void sc_row_alarms_trim(sc_row *r);
/* smtpCheckName and smtpCheckHost: the check's name, and its host or MX
 * domain ("" before sc_row_describe). */
const char *sc_row_name(const sc_row *r);
const char *sc_row_host(const sc_row *r);
/* Takes one result; returns the alarm events it caused. */
size_t sc_row_update(sc_row *r, const smtpchk_engine_result *res, smtpchk_alarm_event *ev,
                     size_t max);
int sc_row_status(const sc_row *r);
/* The last result, whole, into out; an empty result before the first. */
void sc_row_last(const sc_row *r, smtpchk_result *out);
/* Keeps x as the last result; -1 without memory, keeping the one before. */
int sc_row_set_last(sc_row *r, const smtpchk_result *x);
uint32_t sc_stat_avg(const sc_stat *s);
/* Microseconds as whole milliseconds, rounded; 0 for none. */
uint32_t sc_ms(int64_t us);
/* SmtpCheckProtocolType's value of a protocol: the enum's number plus one
 * (SMIv2 enumerations start at 1). */
int sc_protocol_value(smtpchk_protocol p);
/* Unix seconds as Unsigned32: 0 for none or before 1970, saturating. */
uint32_t sc_unix_u32(int64_t t);

#endif
