/*
 * The result fields: one table that names every fact a check reports,
 * with its type, unit, MIB column and a line of documentation. The CLI's
 * human, JSON and Nagios outputs, the module's smtpCheckTable columns,
 * the trap varbinds and the persisted state all walk this table instead
 * of listing fields again. Adding a result field means one row in
 * fields.c plus its OBJECT-TYPE in the MIB (when it has a column).
 */
#ifndef SMTPCHK_FIELDS_H
#define SMTPCHK_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

typedef enum smtpchk_ftype {
    SMTPCHK_FT_DURATION,      /* int64 microseconds; absent when < 0 */
    SMTPCHK_FT_INT,           /* int */
    SMTPCHK_FT_COUNT,         /* uint64 (octets) */
    SMTPCHK_FT_BOOL,
    SMTPCHK_FT_TEXT,          /* char array; absent when empty */
    SMTPCHK_FT_ERROR,         /* smtpchk_error, as its number */
    SMTPCHK_FT_ERROR_NAME,    /* smtpchk_error, as its name (derived) */
    SMTPCHK_FT_OK,            /* error == ok (derived) */
    SMTPCHK_FT_STEP,          /* smtpchk_step: a number in the MIB, a name in text */
    SMTPCHK_FT_STATUS,        /* enhanced status, MTA-MIB style ((c*1000)+s)*1000+d */
    SMTPCHK_FT_CAPS,          /* set of SMTPCHK_CAP_* */
    SMTPCHK_FT_MECHS,         /* set of SMTPCHK_AUTH_* */
    SMTPCHK_FT_PHASES         /* bit p set when phase_us[p] >= 0, total left out (derived) */
} smtpchk_ftype;

/* Field flags. */
enum {
    SMTPCHK_FF_TRAP = 1u << 0,     /* a varbind of the alarm notifications, in table order */
    SMTPCHK_FF_HUMAN = 1u << 1,    /* a line of the CLI's human output */
    SMTPCHK_FF_PERFDATA = 1u << 2, /* Nagios perfdata (durations always are) */
    SMTPCHK_FF_DERIVED = 1u << 3   /* computed from other fields: not stored */
};

typedef struct smtpchk_field {
    const char *name;         /* JSON key, persisted name, perfdata label */
    const char *unit;         /* "us", "days", "octets"; NULL = none */
    const char *mib_name;     /* the column's OBJECT-TYPE name; NULL = not published */
    const char *mib_us_name;  /* a duration's microsecond column (below); NULL = none */
    const char *doc;          /* one line, for docs and --result-fields */
    size_t offset;            /* in smtpchk_result */
    size_t size;              /* storage size (the array size for text) */
    long present_if;          /* offset of a bool saying the value exists; -1 = always */
    smtpchk_ftype type;
    unsigned mib_column;      /* smtpCheckEntry column (stable); 0 = not published */
    /* A duration's second column, in whole microseconds (Gauge32, saturating),
     * beside the millisecond one; 0 = none. */
    unsigned mib_us_column;
    unsigned flags;           /* SMTPCHK_FF_* */
} smtpchk_field;

/* A field's value in one result. Text is borrowed from the result. */
typedef struct smtpchk_value {
    bool present;             /* false: the phase did not run, no certificate, ... */
    int64_t i;                /* numbers, booleans, enums, bit sets, status */
    const char *s;            /* text, and the names of enums */
} smtpchk_value;

size_t smtpchk_field_count(void);
/* Row i, in the order outputs show them; NULL past the end. */
const smtpchk_field *smtpchk_field_at(size_t i);
const smtpchk_field *smtpchk_field_find(const char *name);
/* The field published as smtpCheckEntry column col (its mib_column or its
 * mib_us_column); NULL if none is. */
const smtpchk_field *smtpchk_field_by_column(unsigned col);
const char *smtpchk_ftype_name(smtpchk_ftype t);

smtpchk_value smtpchk_field_get(const smtpchk_field *f, const smtpchk_result *r);

/*
 * Stored fields as text, for the persisted state: numbers in decimal,
 * text as is (the caller escapes). format returns the length written
 * (truncating like snprintf) or -1 for a derived field; parse returns 0,
 * or -1 leaving r unchanged when the text does not fit the field.
 */
int smtpchk_field_format(const smtpchk_field *f, const smtpchk_result *r, char *buf,
                         size_t len);
int smtpchk_field_parse(const smtpchk_field *f, smtpchk_result *r, const char *text);

/*
 * A result kept compactly (an SNMP row's last result): its bytes with each
 * text field cut at its end of string: 210 bytes plus the texts present
 * (about 300 for a plain check) instead of sizeof(smtpchk_result), 1896.
 * pack returns a malloc'd copy (NULL without memory) and its length;
 * unpack restores it whole into r, the bytes of each text after its end
 * of string zeroed.
 */
unsigned char *smtpchk_result_pack(const smtpchk_result *r, size_t *len);
void smtpchk_result_unpack(const unsigned char *p, smtpchk_result *r);

/* "4.7.0" for an encoded enhanced status; "" when v is not present. */
void smtpchk_status_text(smtpchk_value v, char *buf, size_t len);

#endif
