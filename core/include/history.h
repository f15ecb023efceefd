/*
 * A check's result history: the last N runs in a ring, each a compact
 * entry (20 bytes) with a sequence number that increases by one per run
 * and is never reused while the entry exists (DISMAN-PING-MIB's
 * pingProbeHistoryIndex). The entries held always have consecutive
 * sequence numbers, so the number is not stored: entry i of the ring is
 * first_seq + i. Pure: no I/O, no clock (the caller gives the time).
 */
#ifndef SMTPCHK_HISTORY_H
#define SMTPCHK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

#define SMTPCHK_HISTORY_MAX 1000 /* the schema's bound for "history" */

typedef struct smtpchk_history_entry {
    uint32_t when;       /* Unix seconds of the run's end */
    uint32_t total_us;   /* saturating; 0 when the phase did not run */
    uint32_t connect_us; /* likewise */
    uint32_t status;     /* enhanced status ((c*1000)+s)*1000+d; 0 = none */
    int16_t code;        /* response code: 0 ok, the SMTP code, -1 none */
    uint8_t error;       /* smtpchk_error */
    uint8_t step;        /* smtpchk_step */
} smtpchk_history_entry;

typedef struct smtpchk_history {
    smtpchk_history_entry *ring; /* cap slots; NULL when cap is 0 */
    uint32_t cap;                /* N: 0 = history off */
    uint32_t n;                  /* entries held, <= cap */
    uint32_t head;               /* slot of the oldest */
    uint32_t next_seq;           /* the next run's number; the first run is 1 */
} smtpchk_history;

/* An empty history of cap entries (0 = off). Returns 0, or -1 without memory. */
int smtpchk_history_init(smtpchk_history *h, uint32_t cap);
void smtpchk_history_clear(smtpchk_history *h);
/* A new length: keeps the newest entries and the numbering. 0 or -1. */
int smtpchk_history_resize(smtpchk_history *h, uint32_t cap);
/* One run's entry from its result, ended at `when` (Unix seconds). */
smtpchk_history_entry smtpchk_history_entry_of(const smtpchk_result *r, int64_t when);
/* Appends e as number next_seq (dropping the oldest when full); a history
 * that is off only counts the number. */
void smtpchk_history_add(smtpchk_history *h, const smtpchk_history_entry *e);
/* Restoring: adds e as number seq. When seq does not follow the newest
 * entry, the entries held are dropped first, so numbers stay consecutive. */
void smtpchk_history_restore(smtpchk_history *h, uint32_t seq, const smtpchk_history_entry *e);
/* Restoring: the next run's number. Entries held are dropped when it
 * does not follow them. */
void smtpchk_history_set_next(smtpchk_history *h, uint32_t next);
/* An entry as "when.total.connect.status.code.error.step" (persisted
 * state); parse returns 0, or -1 leaving e unchanged on bad text. */
int smtpchk_history_entry_format(const smtpchk_history_entry *e, char *buf, size_t len);
int smtpchk_history_entry_parse(const char *s, size_t len, smtpchk_history_entry *e);
/* The oldest number held; next_seq when empty. */
uint32_t smtpchk_history_first_seq(const smtpchk_history *h);
/* Entry number seq, or NULL when not held. */
const smtpchk_history_entry *smtpchk_history_get(const smtpchk_history *h, uint32_t seq);
/* The first number held that is > after (0 = from the oldest); 0 when none. */
uint32_t smtpchk_history_next(const smtpchk_history *h, uint32_t after);

#endif
