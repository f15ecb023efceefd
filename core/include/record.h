/*
 * Named records for state that outlives a process (the module's persisted
 * counters and last results): one line "KIND key=value key=value ...".
 * Values are percent-encoded, so a line never holds a space, '=' or a
 * control byte inside a value. A reader skips keys it does not know and
 * keeps its defaults for keys it does not find: old and new versions of
 * the program read each other's files. Pure: no I/O but the FILE given.
 */
#ifndef SMTPCHK_RECORD_H
#define SMTPCHK_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include "smtpchk.h"

#define SMTPCHK_RECORD_MAX_LINE ((size_t)64 * 1024) /* longer lines are not records */
#define SMTPCHK_RECORD_MAX_PAIRS 256

typedef struct smtpchk_record smtpchk_record;

/* Parses one line (with or without its newline); NULL when it is not a
 * well-formed record (a comment, a blank line, garbage, over the limits). */
smtpchk_record *smtpchk_record_parse(const char *line, size_t len);
void smtpchk_record_free(smtpchk_record *rec);
const char *smtpchk_record_kind(const smtpchk_record *rec);
/* The decoded value of key; NULL when absent. Owned by rec. */
const char *smtpchk_record_get(const smtpchk_record *rec, const char *key);
/* key as an integer in [lo, hi]: 0 and *out set, or -1 (absent or bad). */
int smtpchk_record_get_int(const smtpchk_record *rec, const char *key, long long lo,
                           long long hi, long long *out);

/* Writers: "KIND", then " key=value" each, then the newline. */
void smtpchk_record_begin(FILE *f, const char *kind);
void smtpchk_record_put(FILE *f, const char *key, const char *value);
void smtpchk_record_put_int(FILE *f, const char *key, long long value);
void smtpchk_record_end(FILE *f);

/* Every stored result field (fields.h), by name. */
void smtpchk_record_put_result(FILE *f, const smtpchk_result *r);
/* Sets each stored field rec names; returns how many it restored. */
size_t smtpchk_record_get_result(const smtpchk_record *rec, smtpchk_result *r);

#endif
