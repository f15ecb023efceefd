/*
 * The schema's insides, shared by schema.c (the table), fill.c (storing
 * values), namedfile.c (the files a check names), validate.c (the rules)
 * and config.c (the check-file walk).
 */
#ifndef SMTPCHK_SCHEMA_INT_H
#define SMTPCHK_SCHEMA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "schema.h"

/* Where a field lives in memory. */
enum { AT_CHECK, AT_ENTRY, AT_RUN };
/* No second member: offset 0 (a check's name, an entry's check) never is one. */
#define NO_OFF 0
/* Messages without key names: smtpchk_check_validate's. */
#define NAME_SUMMARY ((smtpchk_naming)2)

#define SECRET_MAX 1024           /* longest password line */
#define BODY_MAX ((size_t)1024 * 1024)   /* largest body, inline or from a file */
#define CHECK_FILE_MAX (4u << 20) /* largest check file */
#define CHECK_LINE_MAX (1u << 20) /* longest line of a check file */
#define SHOWN_MAX 256             /* user text quoted back in a message */

/* The names an ENUM (or a MECHANISM list) accepts: name(v) for v in
 * [first, last], skipping NULLs. */
typedef struct enum_def {
    int first, last;
    const char *(*name)(int v);
} enum_def;

typedef struct row {
    smtpchk_setting f;                 /* first: a field pointer is a row pointer */
    unsigned char at;                /* AT_* */
    unsigned char size;              /* bytes of a number in memory */
    size_t off;                      /* the member */
    size_t off2;                     /* a path's content, a list's count, a second bool */
    const enum_def *values;          /* ENUM and MECHANISM lists */
    const char *noun;                /* for messages without key names; NULL = the key */
    void (*derive)(smtpchk_fill *f); /* the default when not given */
} row;

/* One value on its way in, whatever its source. */
typedef struct fvalue {
    long long i;              /* INT, BOOL; ENUM and MECHANISM lists once resolved */
    double d;                 /* SECONDS */
    const char *s;            /* STRING, PATH, ENUM */
    const char *const *items; /* LIST */
    size_t n;
    long long rising, falling; /* THRESHOLD; falling < 0 when not given */
} fvalue;

static inline const row *
row_of(const smtpchk_setting *f)
{
    return (const row *)f;
}

static inline uint64_t
bit_of(const smtpchk_setting *f)
{
    return (uint64_t)1 << smtpchk_schema_index(f);
}

/* schema.c */
const row *schema_row(size_t i);
/* "a", "b" or "c" (quoted or not) of an enum_def. */
void schema_values_text(const enum_def *v, bool quoted, char *buf, size_t len);
/* Resolves a name to its value; -1 when unknown. */
int schema_value_of(const enum_def *v, const char *name, size_t len, int *out);
/* Control bytes become '?', long text is cut with "...". */
const char *smtpchk_shown(const char *s, char *buf, size_t len);

/* fill.c */
/* Reports one problem: keyed names the field ("\"user\"" or "--user"),
 * summary says it without key names ({} is the field's noun there). */
void fill_say(smtpchk_fill *f, const row *r, long item, bool error, const char *keyed,
              const char *summary, ...);
/* The field's name as messages show it. */
void fill_name(const smtpchk_fill *f, const row *r, char *buf, size_t len);
/* Checks a value (reporting every problem) and stores it. 0 or -1. */
int fill_value(smtpchk_fill *f, const smtpchk_setting *fld, fvalue *v);
/* Reads back what is stored; false when the field is not set. */
bool fill_get(const smtpchk_fill *f, const row *r, fvalue *v);
/* Set for the rules: stored, or a path whose file is not read. */
bool fill_is_set(const smtpchk_fill *f, const row *r);
void *fill_at(const smtpchk_fill *f, const row *r, size_t off);
/* The second member: a path's content (always in the check), a list's
 * count, on_error's twin. */
void *fill_at2(const smtpchk_fill *f, const row *r);
/* "\"port\" must be an integer": a value of the wrong type. */
void fill_type_error(smtpchk_fill *f, const smtpchk_setting *fld, long item);

/* namedfile.c: reads the file path names into the check, or reports why not. */
void namedfile_read(smtpchk_fill *f, const row *r, const char *path);

/* validate.c */
/* Checks a value; every problem is reported. 0 or -1. Resolves ENUM and
 * MECHANISM names into v->i. */
int validate_value(smtpchk_fill *f, const row *r, fvalue *v);
/* ENUM names and MECHANISM items into v->i, without reporting; -1 when
 * one is unknown. */
int validate_resolve(const row *r, fvalue *v);
/* The keys inside a THRESHOLD group, rising first. */
extern const char *const validate_threshold_keys[2];
/* Would fld's file conflict with a field already given (EXCLUSIVE)? */
bool validate_exclusive_given(const smtpchk_fill *f, const row *r);
void validate_required(smtpchk_fill *f);
void validate_rules(smtpchk_fill *f);
/* Settings of another protocol than the check's, and the login a
 * mailbox check needs. */
void validate_protocol(smtpchk_fill *f);

#endif
