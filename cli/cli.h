/* The smtpcheck command line: options, output formats. */
#ifndef SMTPCHECK_CLI_H
#define SMTPCHECK_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpchk.h"

/* Nagios plugin states, also our exit statuses. */
enum { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };

typedef enum { OUT_HUMAN, OUT_JSON, OUT_NAGIOS } out_format;

#define CLI_MAX_TARGETS 1024

typedef struct cli {
    smtpchk_check *tmpl;      /* options shared by every HOST */
    smtpchk_check *targets[CLI_MAX_TARGETS];
    size_t ntargets;
    const char *config;       /* -c FILE */
    out_format format;
    double warn_ms, crit_ms;  /* on the total time; < 0 = none */
    int cert_warn, cert_crit; /* days; < 0 = none */
    int verbose;
    bool progress;
    bool check_config;        /* only validate the check file */
    const char *const *names; /* with -c: the checks to run (none = all) */
    size_t nnames;
    size_t max_in_flight;
} cli;

/* Parses argv into o. Returns 0, or prints one line and returns ST_UNKNOWN. */
int cli_parse(int argc, char **argv, cli *o);
void cli_free(cli *o);

/* -c FILE: validates, or fills o->targets from the file. Returns 0 to run
 * the checks, or the exit status to stop with. */
int cli_load_config(cli *o);

/* The verdict for one result under the thresholds. */
int cli_state(const cli *o, const smtpchk_result *r);
void output_human(const cli *o, const smtpchk_check *c, const smtpchk_result *r);
/* JSON: one object per check; several are wrapped in an array. */
void output_json(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n);
/* One Nagios status line with perfdata; returns the worst state. */
int output_nagios(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n);

#endif
