/* The smtpcheck command line: options, output formats. */
#ifndef SMTPCHECK_CLI_H
#define SMTPCHECK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "range.h"
#include "schema.h"
#include "smtpchk.h"

/* Nagios plugin states, also our exit statuses. */
enum { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };

typedef enum { OUT_HUMAN, OUT_JSON, OUT_NAGIOS } out_format;

typedef struct cli {
    smtpchk_config_entry tmpl; /* what the check options say, for every HOST */
    smtpchk_fill fill;         /* fills tmpl through the schema */
    smtpchk_check **targets;   /* the checks to run; grows, no limit */
    size_t ntargets, cap;
    const char *config; /* --config FILE */
    out_format format;
    cli_range warn, crit;     /* on the total time, seconds */
    cli_range dwarn, dcrit;   /* on the round trip's delivery time, seconds */
    int cert_warn, cert_crit; /* days; < 0 = none */
    int verbose;
    bool progress;
    bool check_config;        /* only validate (the check file or the options) */
    bool list_fields;         /* print the check schema */
    bool failed;              /* an error was printed: stay quiet after it */
    const char *const *names; /* with --config: the checks to run (none = all) */
    size_t nnames;
    size_t max_in_flight;     /* 0 = the engine's default; an option beats the file */
    size_t max_per_server;
    struct cli_mx *mx;        /* per check, after the run: an MX check's targets */
} cli;

/* An MX check's targets, in preference order (n = 0 for a host check). */
typedef struct cli_mx {
    smtpchk_target *t;
    size_t n;
} cli_mx;

/* An option about the run and its output (not a check field). */
typedef struct cli_run_opt {
    const char *name;
    int short_opt;
    const char *arg; /* NULL: takes no value */
    const char *doc;
    int (*apply)(cli *o, const char *arg);
} cli_run_opt;

extern const cli_run_opt cli_run_opts[];
extern const size_t cli_run_nopts;

/* Parses argv into o. Returns 0, or prints one line and returns ST_UNKNOWN. */
int cli_parse(int argc, char **argv, cli *o);
void cli_free(cli *o);
/* Takes c into o->targets; -1 (c freed) without memory. */
int cli_add_target(cli *o, smtpchk_check *c);
/* The usage text, and the schema as tab-separated lines (--list-fields):
 * both come from the schema and the table of run options. */
void cli_usage(FILE *out);
void cli_list_fields(FILE *out);

/* --config FILE: validates, or fills o->targets from the file. Returns 0
 * to run the checks, or the exit status to stop with. */
int cli_load_config(cli *o);

/* The verdict for one result under the thresholds. */
int cli_state(const cli *o, const smtpchk_result *r);
/* The same, and for a threshold state which threshold was crossed, in
 * words, into why ("" otherwise). */
int cli_state_why(const cli *o, const smtpchk_result *r, char *why, size_t len);
void output_human(const cli *o, const smtpchk_check *c, const smtpchk_result *r,
                  const cli_mx *mx);
/* JSON: one object per check; several are wrapped in an array. */
void output_json(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n);
/* One Nagios status line with perfdata; returns the worst state. */
int output_nagios(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n);

#endif
