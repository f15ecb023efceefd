/*
 * Alarm state per check: thresholds with hysteresis, evaluated on each
 * result. Pure (no I/O, no SNMP): the module turns events into traps.
 */
#ifndef SMTPCHK_ALARM_H
#define SMTPCHK_ALARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

/* One time alarm: raised at >= rising_ms, cleared at < falling_ms. The
 * availability alarm uses the same pair in per mille, the other way
 * round: raised below falling, cleared at >= rising (RMON's falling
 * alarm). */
typedef struct smtpchk_threshold {
    bool set;
    uint32_t rising_ms;
    uint32_t falling_ms;      /* <= rising_ms; equals it when not given */
} smtpchk_threshold;

typedef struct smtpchk_alarm_cfg {
    smtpchk_threshold connect_time, login_time, transfer_time, total_time;
    bool on_response_code;    /* alarm on a non-zero response code */
    bool on_error_code;       /* alarm on a non-zero error code */
    uint32_t consecutive_failures; /* >= 1: failures in a row before alarming */
    int cert_days;            /* alarm below this many days left; -1 = off */
    smtpchk_threshold availability; /* per mille over 1 h (window.h) */
    smtpchk_threshold delivery_time; /* round trip: final 250 to the mail found */
} smtpchk_alarm_cfg;

/* Numbers are stable: the MIB's SmtpCheckMetric. */
typedef enum smtpchk_metric {
    SMTPCHK_METRIC_CONNECT_TIME = 1,
    SMTPCHK_METRIC_LOGIN_TIME = 2,
    SMTPCHK_METRIC_TRANSFER_TIME = 3,
    SMTPCHK_METRIC_TOTAL_TIME = 4,
    SMTPCHK_METRIC_FAILURE = 5,
    SMTPCHK_METRIC_CERT_DAYS = 6,
    SMTPCHK_METRIC_AVAILABILITY = 7,
    SMTPCHK_METRIC_DELIVERY_TIME = 8,
    SMTPCHK_METRIC__COUNT
} smtpchk_metric;

/* Widest members first: 32 bytes, not 40 (one per metric per check). */
typedef struct smtpchk_alarm {
    int64_t value;            /* the metric's last value */
    int64_t last_change;      /* wall clock seconds; 0 = never */
    uint32_t rising;          /* ms; failures in a row; days for certificates;
                                 per mille: availability cleared at or above this */
    uint32_t falling;         /* ms: cleared below this; equals rising otherwise;
                                 per mille: availability raised below this */
    uint32_t raised_count;
    bool configured;
    bool raised;
    bool has_value;
} smtpchk_alarm;

typedef struct smtpchk_alarm_set {
    smtpchk_alarm a[SMTPCHK_METRIC__COUNT]; /* indexed by metric; [0] unused */
} smtpchk_alarm_set;

typedef struct smtpchk_alarm_event {
    smtpchk_metric metric;
    bool raised;              /* false: cleared */
    int64_t value;
    uint32_t threshold;       /* the one crossed */
} smtpchk_alarm_event;

/*
 * Applies the thresholds of cfg. A metric that stays configured keeps its
 * state (raised or not) and counters; one no longer configured is reset.
 */
void smtpchk_alarm_set_configure(smtpchk_alarm_set *s, const smtpchk_alarm_cfg *cfg);
/* Whether cfg configures at least one metric: a check without any needs
 * no alarm set at all (the module holds one only for such checks). */
bool smtpchk_alarm_cfg_any(const smtpchk_alarm_cfg *cfg);
/*
 * Evaluates one result. consecutive_failures counts this run. Writes at
 * most one event per metric that changed state into ev; returns the count.
 */
size_t smtpchk_alarm_set_update(smtpchk_alarm_set *s, const smtpchk_result *r,
                                uint32_t consecutive_failures, int64_t now,
                                smtpchk_alarm_event *ev, size_t max);
/*
 * Evaluates the availability alarm on the 1 h availability (per mille)
 * after a run; runs is the runs in that window (none: nothing to
 * compare). Returns the events written (0 or 1).
 */
size_t smtpchk_alarm_set_availability(smtpchk_alarm_set *s, uint32_t permille, uint32_t runs,
                                      int64_t now, smtpchk_alarm_event *ev, size_t max);
bool smtpchk_alarm_set_any_raised(const smtpchk_alarm_set *s);
const char *smtpchk_metric_name(smtpchk_metric m);

#endif
