/*
 * The check schema: one row per setting of a check, with its key in the
 * check file, its command-line option, its type, range or values, default
 * and a one-line doc. The check-file loader, the CLI's option parser and
 * usage text, --check-config and the docs (docs/config.md, docs/cli.md,
 * kept in step by tests/docs) all come from this one table, and one
 * validator holds every rule. Adding a check option is one row in
 * core/check/schema.c plus its docs.
 *
 * A check is filled through an smtpchk_fill: from command-line text
 * (smtpchk_fill_text) or, in the loader, from the file's typed values.
 * Every value goes through the same checks whatever its source, and
 * smtpchk_fill_finish applies the defaults that depend on other values
 * and the rules that tie several fields together.
 */
#ifndef SMTPCHK_SCHEMA_H
#define SMTPCHK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "smtpchk.h"

typedef enum smtpchk_stype {
    SMTPCHK_ST_INT,     /* an integer */
    SMTPCHK_ST_SECONDS, /* seconds, decimals allowed; milliseconds in memory */
    SMTPCHK_ST_BOOL,
    SMTPCHK_ST_ENUM, /* one of a few names (any case) */
    SMTPCHK_ST_STRING,
    SMTPCHK_ST_PATH,      /* a file or directory; relative to the check file */
    SMTPCHK_ST_LIST,      /* strings; a lone string is a list of one */
    SMTPCHK_ST_THRESHOLD, /* { rising = MS; falling = MS; } */
    SMTPCHK_ST__COUNT
} smtpchk_stype;

/* What a string (or each list item, or the file a path names) must be. */
typedef enum smtpchk_syntax {
    SMTPCHK_SYN_ANY,
    SMTPCHK_SYN_NAME,        /* a label: no control characters */
    SMTPCHK_SYN_HOST,        /* a host name or address: no spaces or control bytes */
    SMTPCHK_SYN_HOSTNAME,    /* a name sent in a command: as HOST, CR/LF named as injection */
    SMTPCHK_SYN_ADDRESS,     /* a bare mailbox: no <>, spaces or control bytes */
    SMTPCHK_SYN_HEADER,      /* a header value: UTF-8 without CR or LF */
    SMTPCHK_SYN_TEXT,        /* UTF-8 */
    SMTPCHK_SYN_PROBE,       /* NOOP, RSET, HELP or "VRFY <address>" */
    SMTPCHK_SYN_MECHANISM,   /* an AUTH mechanism name */
    SMTPCHK_SYN_SECRET_FILE, /* its first line is a password */
    SMTPCHK_SYN_BODY_FILE,   /* UTF-8 text, at most 1 MiB */
    SMTPCHK_SYN_CA_FILE,     /* a regular file (PEM) */
    SMTPCHK_SYN_CA_DIR,      /* a directory */
    SMTPCHK_SYN_DNS_SERVERS, /* "IP[:port],...": IPv4, IPv6, [IPv6]:port */
    SMTPCHK_SYN__COUNT
} smtpchk_syntax;

/* Where a key may be written in the check file. */
enum { SMTPCHK_IN_DEFAULTS = 1u << 0, SMTPCHK_IN_CHECK = 1u << 1 };

enum {
    SMTPCHK_F_REQUIRED = 1u << 0,       /* every check needs it */
    SMTPCHK_F_FILE_REQUIRED = 1u << 1,  /* every check of a check file (filled with
                                           SMTPCHK_NAME_KEY) needs it */
    SMTPCHK_F_GROUP_REQUIRED = 1u << 2, /* needed once any key of its group is given */
    SMTPCHK_F_UNIQUE = 1u << 3,         /* no two checks of a file share it */
    SMTPCHK_F_REPEAT = 1u << 4,         /* the option adds one list item each time */
    SMTPCHK_F_SPLIT = 1u << 5,          /* the option takes a list: "a,b" or "a b" */
    SMTPCHK_F_FLAG = 1u << 6,           /* the option takes no value: it sets the
                                           opposite of the default */
    SMTPCHK_F_ZERO_UNSET = 1u << 7,     /* 0 in memory means "not set" */
    SMTPCHK_F__LAST = SMTPCHK_F_ZERO_UNSET
};

typedef struct smtpchk_setting {
    const char *key;    /* in the check file: "timeout", "auth.user" */
    const char *option; /* long option without "--"; NULL = check file only */
    int short_opt;      /* 'p', or 0 */
    const char *arg;    /* the option's value in usage text: "S", "ADDR" */
    smtpchk_stype type;
    smtpchk_syntax syntax;
    unsigned scope;      /* SMTPCHK_IN_* */
    unsigned flags;      /* SMTPCHK_F_* */
    double lo, hi;       /* numbers: range; strings: length; lists: entries */
    const char *unit;    /* a threshold's unit; NULL = "ms" */
    const char *def;     /* the default as a value; NULL = none */
    const char *def_doc; /* the default in words, when def does not say it */
    const char *example; /* a valid value, for docs and tests */
    const char *doc;     /* one line */
    unsigned protocols;  /* SMTPCHK_PROTO_BIT()s it applies to; 0 = every protocol */
} smtpchk_setting;

/* A protocol as a bit of smtpchk_setting.protocols. */
#define SMTPCHK_PROTO_BIT(p) (1u << (unsigned)(p))
/* "smtp", "imap", "smtp,imap" or "all" for a setting's protocols. */
void smtpchk_schema_protocols_text(const smtpchk_setting *f, char *buf, size_t len);

size_t smtpchk_schema_count(void);
/* Field i (table order; groups are contiguous, top-level keys first). */
const smtpchk_setting *smtpchk_schema_field(size_t i);
size_t smtpchk_schema_index(const smtpchk_setting *f);
/* NULL when unknown. */
const smtpchk_setting *smtpchk_schema_find_key(const char *key);
const smtpchk_setting *smtpchk_schema_find_option(const char *option);
/* The i-th accepted name of an ENUM field or MECHANISM list; NULL past the end. */
const char *smtpchk_schema_value_name(const smtpchk_setting *f, size_t i);
/* The key's last part ("user" of "auth.user") and its group ("auth", or ""). */
const char *smtpchk_schema_leaf(const smtpchk_setting *f);
size_t smtpchk_schema_group_len(const smtpchk_setting *f);
/* A title for a group of keys ("TLS" for "tls"; "Connection" for ""). */
const char *smtpchk_schema_group_title(const char *group, size_t len);
const char *smtpchk_stype_name(smtpchk_stype t);
const char *smtpchk_syntax_name(smtpchk_syntax s);
/* "required", "unique", ... for one SMTPCHK_F_* bit; NULL past the last. */
const char *smtpchk_schema_flag_name(unsigned bit);
/* The range or the accepted values in words: "1..65535", "\"1.2\" or \"1.3\"". */
void smtpchk_schema_describe(const smtpchk_setting *f, char *buf, size_t len);

/* ---- rules that tie two fields together (one table, validate.c) ---- */

typedef enum smtpchk_rule_kind {
    SMTPCHK_RULE_NOT_ABOVE, /* first <= second */
    SMTPCHK_RULE_REQUIRES,  /* first given => second given */
    SMTPCHK_RULE_EXCLUSIVE  /* not both */
} smtpchk_rule_kind;

typedef struct smtpchk_rule {
    smtpchk_rule_kind kind;
    const char *first, *second; /* keys */
    const char *summary;        /* the message without key names; NULL = generic */
} smtpchk_rule;

size_t smtpchk_schema_rule_count(void);
const smtpchk_rule *smtpchk_schema_rule(size_t i);
const char *smtpchk_rule_kind_name(smtpchk_rule_kind k);

/* ---- filling a check ---- */

/* How messages name a field: "\"user\"" (the check file) or "--user". */
typedef enum smtpchk_naming { SMTPCHK_NAME_KEY, SMTPCHK_NAME_OPTION } smtpchk_naming;

/* One problem. item is the list item or threshold part (0 rising, 1
 * falling) it is about, or -1 for the whole field. f is NULL for a problem
 * of no one field. */
typedef void (*smtpchk_fill_report)(void *ud, const smtpchk_setting *f, long item, bool error,
                                    const char *msg);

typedef struct smtpchk_fill {
    smtpchk_config_entry *entry; /* what is filled; its check and paths are the caller's */
    uint32_t max_in_flight;      /* the keys about the whole run: this one first */
    uint32_t max_per_server;
    unsigned scope;              /* SMTPCHK_IN_DEFAULTS or SMTPCHK_IN_CHECK */
    uint64_t given;              /* fields given here or inherited (bit = index) */
    uint64_t here;               /* fields given in this group: rules report only these */
    uint64_t bad;                /* fields refused: not reported again */
    uint64_t groups;             /* groups written out, even empty (bit of their first field) */
    const char *dir;             /* relative paths resolve here; NULL = as given */
    bool read_files;             /* read password and body files, look at CA paths */
    smtpchk_naming naming;
    smtpchk_fill_report report;
    void *ud;
    size_t errors;
} smtpchk_fill;

/*
 * Starts a fill of e (zeroed by the caller) with every default of the
 * table: e->check is a new check. Returns 0, or -1 without memory.
 */
int smtpchk_fill_init(smtpchk_fill *f, smtpchk_config_entry *e, unsigned scope);
/* A check that inherits what src holds (defaults): a deep copy into e. */
int smtpchk_fill_copy(smtpchk_fill *dst, const smtpchk_fill *src, smtpchk_config_entry *e);
/* Sets a field from command-line text (NULL for a SMTPCHK_F_FLAG option).
 * Returns 0, or -1 after reporting why. */
int smtpchk_fill_text(smtpchk_fill *f, const smtpchk_setting *fld, const char *text);
/* The group of fld exists in the file (so its required keys are due). */
void smtpchk_fill_group(smtpchk_fill *f, const smtpchk_setting *fld);
/* Derived defaults, required fields, cross-field rules. Returns the
 * number of errors reported so far (0 = a valid check). */
size_t smtpchk_fill_finish(smtpchk_fill *f);

/* Validates a check built in code (not from the file or the options):
 * the same rules as the schema; 0, or -1 with a reason in err. */
int smtpchk_check_validate(const smtpchk_check *c, char *err, size_t errlen);

#endif
