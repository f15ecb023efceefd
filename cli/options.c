/*
 * Command-line parsing. Options that describe a check come from the check
 * schema (schema.h): their names, values, checks and help text are the
 * check file's. The few options about the run and its output are in
 * cli_run_opts below. getopt's table (here) and the usage text (usage.c)
 * are built from both.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "rturl.h"
#include "smtpcheck_version.h"

enum { SCHEMA_OPT = 0x1000, RUN_OPT = 0x2000 };

/* ---- reporting: one line, the first error only ---- */

__attribute__((format(printf, 2, 3))) static int
fail(cli *o, const char *fmt, ...)
{
    va_list ap;
    if (!o->failed) {
        fputs("smtpcheck: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    o->failed = true;
    return ST_UNKNOWN;
}

static void
on_report(void *ud, const smtpchk_setting *f, long item, bool error, const char *msg)
{
    cli *o = ud;
    (void)f;
    (void)item;
    if (error)
        fail(o, "%s", msg);
    else if (!o->failed)
        fprintf(stderr, "smtpcheck: warning: %s\n", msg);
}

/* ---- the run and output options ---- */

static int
opt_config(cli *o, const char *arg)
{
    o->config = arg;
    return 0;
}

static int
opt_check_config(cli *o, const char *arg)
{
    (void)arg;
    o->check_config = true;
    return 0;
}

static int
opt_json(cli *o, const char *arg)
{
    (void)arg;
    o->format = OUT_JSON;
    return 0;
}

static int
opt_nagios(cli *o, const char *arg)
{
    (void)arg;
    o->format = OUT_NAGIOS;
    return 0;
}

static int
set_range(cli *o, cli_range *r, const char *arg, const char *what)
{
    if (cli_range_parse(arg, r) == 0)
        return 0;
    return fail(o, "bad %s: %s (seconds, or a range such as 10:, ~:10, 10:20, @10:20)", what, arg);
}

static int
opt_warning(cli *o, const char *arg)
{
    return set_range(o, &o->warn, arg, "--warning");
}

static int
opt_critical(cli *o, const char *arg)
{
    return set_range(o, &o->crit, arg, "--critical");
}

static int
opt_delivery_warning(cli *o, const char *arg)
{
    return set_range(o, &o->dwarn, arg, "--delivery-warning");
}

static int
opt_delivery_critical(cli *o, const char *arg)
{
    return set_range(o, &o->dcrit, arg, "--delivery-critical");
}

static int
set_days(cli *o, int *days, const char *arg, const char *what)
{
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || v > 100000)
        return fail(o, "bad %s: %s (days)", what, arg);
    *days = (int)v;
    return 0;
}

static int
opt_cert_warn(cli *o, const char *arg)
{
    return set_days(o, &o->cert_warn, arg, "--cert-warn");
}

static int
opt_cert_crit(cli *o, const char *arg)
{
    return set_days(o, &o->cert_crit, arg, "--cert-crit");
}

static int
opt_progress(cli *o, const char *arg)
{
    (void)arg;
    o->progress = true;
    return 0;
}

static int
opt_verbose(cli *o, const char *arg)
{
    (void)arg;
    o->verbose++;
    return 0;
}

static int
opt_list_fields(cli *o, const char *arg)
{
    (void)arg;
    o->list_fields = true;
    return 0;
}

/* The URL's parts, each through the schema like its own option. */
static int
opt_roundtrip(cli *o, const char *arg)
{
    cli_rturl u;
    char err[128];
    if (cli_rturl_parse(arg, &u, err, sizeof(err)) != 0)
        return fail(o, "--roundtrip: %s", err);
    const struct {
        const char *key, *value;
    } parts[] = {
        {"roundtrip.protocol", u.protocol}, {"roundtrip.security", u.security},
        {"roundtrip.host", u.host},         {"roundtrip.port", u.port},
        {"roundtrip.user", u.user},         {"roundtrip.mailbox", u.mailbox},
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (parts[i].value[0] != '\0' &&
            smtpchk_fill_text(&o->fill, smtpchk_schema_find_key(parts[i].key), parts[i].value) != 0)
            return ST_UNKNOWN;
    return 0;
}

static int
opt_help(cli *o, const char *arg)
{
    (void)o;
    (void)arg;
    cli_usage(stdout);
    exit(ST_OK);
}

static int
opt_version(cli *o, const char *arg)
{
    (void)o;
    (void)arg;
    printf("smtpcheck %s\n", SMTPCHECK_VERSION_FULL);
    exit(ST_OK);
}

const cli_run_opt cli_run_opts[] = {
    {"config", 0, "FILE", "run the checks of a check file (docs/config.md)", opt_config},
    {"check-config", 0, NULL, "only validate: the check file, or the options and HOSTs",
     opt_check_config},
    {"json", 0, NULL, "JSON: an array with one object per check", opt_json},
    {"nagios", 0, NULL, "one Nagios status line with perfdata", opt_nagios},
    {"warning", 'w', "RANGE", "WARNING when the total time (s) is in alarm", opt_warning},
    {"critical", 'c', "RANGE", "CRITICAL when the total time (s) is in alarm", opt_critical},
    {"delivery-warning", 0, "RANGE", "WARNING when the round trip's delivery time (s) is in alarm",
     opt_delivery_warning},
    {"delivery-critical", 0, "RANGE",
     "CRITICAL when the round trip's delivery time (s) is in alarm", opt_delivery_critical},
    {"cert-warn", 0, "DAYS", "WARNING when the certificate has fewer days left", opt_cert_warn},
    {"cert-crit", 0, "DAYS", "CRITICAL when the certificate has fewer days left", opt_cert_crit},
    {"progress", 0, NULL, "show \"n/m checks done\" on a terminal", opt_progress},
    {"verbose", 'v', NULL, "the SMTP transcript on stderr (secrets redacted)", opt_verbose},
    {"roundtrip", 0, "URL",
     "read the test mail back: imap[s]://USER@HOST[:PORT][/MAILBOX] or pop3[s]://USER@HOST[:PORT]",
     opt_roundtrip},
    {"list-fields", 0, NULL, "print the check schema, tab-separated, and exit", opt_list_fields},
    {"help", 'h', NULL, "this text", opt_help},
    {"version", 'V', NULL, "the version", opt_version},
};

const size_t cli_run_nopts = sizeof(cli_run_opts) / sizeof(cli_run_opts[0]);

/* ---- getopt's tables, from the schema and cli_run_opts ---- */

static struct option *
long_options(void)
{
    size_t n = 0, nf = smtpchk_schema_count();
    struct option *v = calloc(nf + cli_run_nopts + 1, sizeof(*v));
    for (size_t i = 0; v != NULL && i < nf; i++) {
        const smtpchk_setting *f = smtpchk_schema_field(i);
        if (f->option != NULL)
            v[n++] = (struct option){f->option,
                                     f->flags & SMTPCHK_F_FLAG ? no_argument : required_argument,
                                     NULL, SCHEMA_OPT + (int)i};
    }
    for (size_t i = 0; v != NULL && i < cli_run_nopts; i++)
        v[n++] = (struct option){cli_run_opts[i].name,
                                 cli_run_opts[i].arg ? required_argument : no_argument, NULL,
                                 RUN_OPT + (int)i};
    return v;
}

static void
add_short(char *s, size_t *n, int ch, bool arg)
{
    s[(*n)++] = (char)ch;
    if (arg)
        s[(*n)++] = ':';
    s[*n] = '\0';
}

/* ":p:w:c:vhV": a leading ':' so that a missing value is told apart. */
static void
short_options(char *s, size_t len)
{
    size_t n = 0;
    add_short(s, &n, ':', false);
    for (size_t i = 0; i < smtpchk_schema_count() && n + 3 < len; i++) {
        const smtpchk_setting *f = smtpchk_schema_field(i);
        if (f->short_opt != 0)
            add_short(s, &n, f->short_opt, !(f->flags & SMTPCHK_F_FLAG));
    }
    for (size_t i = 0; i < cli_run_nopts && n + 3 < len; i++)
        if (cli_run_opts[i].short_opt != 0)
            add_short(s, &n, cli_run_opts[i].short_opt, cli_run_opts[i].arg != NULL);
}

/* A short option's long code. */
static int
long_code(int ch)
{
    for (size_t i = 0; i < smtpchk_schema_count(); i++)
        if (smtpchk_schema_field(i)->short_opt == ch)
            return SCHEMA_OPT + (int)i;
    for (size_t i = 0; i < cli_run_nopts; i++)
        if (cli_run_opts[i].short_opt == ch)
            return RUN_OPT + (int)i;
    return ch;
}

static int
apply(cli *o, int code, const char *arg)
{
    if (code >= RUN_OPT && code < RUN_OPT + (int)cli_run_nopts)
        return cli_run_opts[code - RUN_OPT].apply(o, arg);
    const smtpchk_setting *f = smtpchk_schema_field((size_t)(code - SCHEMA_OPT));
    if (code < SCHEMA_OPT || f == NULL)
        return fail(o, "internal error: option %d", code);
    return smtpchk_fill_text(&o->fill, f, arg) == 0 ? 0 : ST_UNKNOWN;
}

/* ---- targets: HOST arguments ---- */

int
cli_add_target(cli *o, smtpchk_check *c)
{
    if (o->ntargets == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        smtpchk_check **v = realloc(o->targets, cap * sizeof(*v)); // NOLINT(bugprone-sizeof-expression): pointers
        if (v == NULL) {
            smtpchk_check_free(c);
            return -1;
        }
        o->targets = v;
        o->cap = cap;
    }
    o->targets[o->ntargets++] = c;
    return 0;
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 literal, through the
 * schema like every other value. */
static int
fill_host(smtpchk_fill *f, const char *arg)
{
    char host[300];
    const char *port = NULL;
    snprintf(host, sizeof(host), "%s", arg);
    char *colon = strrchr(host, ':');
    int bracket = host[0] == '[';
    if (colon != NULL && (bracket ? colon > strchr(host, ']') : strchr(host, ':') == colon)) {
        *colon = '\0';
        port = colon + 1;
    }
    size_t len = strlen(host);
    char *name = host;
    if (bracket && len > 2 && host[len - 1] == ']') {
        host[len - 1] = '\0';
        name++;
    }
    if (smtpchk_fill_text(f, smtpchk_schema_find_key("host"), name) != 0)
        return -1;
    return port != NULL ? smtpchk_fill_text(f, smtpchk_schema_find_key("port"), port) : 0;
}

/* One check from the options; arg, when not NULL, is a HOST argument. */
static int
add_host(cli *o, const char *arg)
{
    smtpchk_config_entry e = {0};
    smtpchk_fill f;
    int rc = ST_UNKNOWN;
    if (smtpchk_fill_copy(&f, &o->fill, &e) != 0) {
        fail(o, "out of memory");
    } else {
        f.here = f.given; /* one group: every option takes part in the rules */
        if ((arg == NULL || fill_host(&f, arg) == 0) && smtpchk_fill_finish(&f) == 0) {
            rc = cli_add_target(o, e.check) == 0 ? 0 : fail(o, "out of memory");
            e.check = NULL;
        }
    }
    smtpchk_config_entry_clear(&e);
    return rc;
}

/*
 * SMTPCHECK_PASSWORD is read once, then wiped where it lives (the
 * process's environment, readable in /proc/PID/environ) and unset.
 */
static int
take_env_password(cli *o)
{
    smtpchk_check *t = o->tmpl.check;
    char *env = getenv("SMTPCHECK_PASSWORD");
    if (env == NULL)
        return 0;
    int rc = 0;
    if (t->password == NULL && (t->password = strdup(env)) == NULL)
        rc = fail(o, "out of memory");
    OPENSSL_cleanse(env, strlen(env));
    unsetenv("SMTPCHECK_PASSWORD");
    return rc;
}

/* Each check has its own copy; the template's goes once they are made. */
static void
drop_template_password(cli *o)
{
    smtpchk_check *t = o->tmpl.check;
    if (t->password != NULL) {
        OPENSSL_cleanse(t->password, strlen(t->password));
        free(t->password);
        t->password = NULL;
    }
}

static int
add_hosts(cli *o, int argc, char **argv)
{
    const smtpchk_setting *mx = smtpchk_schema_find_key("mx");
    if (optind >= argc && (o->fill.given & ((uint64_t)1 << smtpchk_schema_index(mx))))
        return add_host(o, NULL); /* --mx DOMAIN: the domain's MX set */
    if (optind >= argc)
        return fail(o, "no HOST given (see --help)");
    for (int i = optind; i < argc; i++)
        if (add_host(o, argv[i]) != 0)
            return ST_UNKNOWN;
    return 0;
}

static int
finish_parse(cli *o, int argc, char **argv)
{
    if (take_env_password(o) != 0)
        return ST_UNKNOWN;
    int rc = 0;
    if (o->config != NULL) {
        o->names = (const char *const *)argv + optind; /* checks in the file */
        o->nnames = (size_t)(argc - optind);
    } else {
        rc = add_hosts(o, argc, argv);
    }
    drop_template_password(o);
    return rc;
}

static int
parse_loop(cli *o, int argc, char **argv)
{
    char shorts[64];
    struct option *longs = long_options();
    int opt, rc = 0;
    if (longs == NULL)
        return fail(o, "out of memory");
    short_options(shorts, sizeof(shorts));
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (opt == '?')
            rc = fail(o, "unknown option: %s", argv[optind - 1]);
        else if (opt == ':')
            rc = fail(o, "option needs a value: %s", argv[optind - 1]);
        else
            rc = apply(o, long_code(opt), optarg) == 0 ? 0 : ST_UNKNOWN;
    }
    free(longs);
    return rc;
}

int
cli_parse(int argc, char **argv, cli *o)
{
    memset(o, 0, sizeof(*o));
    o->cert_warn = o->cert_crit = -1;
    if (smtpchk_fill_init(&o->fill, &o->tmpl, SMTPCHK_IN_DEFAULTS | SMTPCHK_IN_CHECK) != 0)
        return fail(o, "out of memory");
    o->fill.naming = SMTPCHK_NAME_OPTION;
    o->fill.read_files = true;
    o->fill.report = on_report;
    o->fill.ud = o;
    int rc = parse_loop(o, argc, argv);
    if (rc != 0 || o->list_fields)
        return rc;
    if (o->fill.given & ((uint64_t)1 << smtpchk_schema_index(smtpchk_schema_find_key("max_in_flight"))))
        o->max_in_flight = o->fill.max_in_flight;
    if (o->fill.given & ((uint64_t)1 << smtpchk_schema_index(smtpchk_schema_find_key("max_per_server"))))
        o->max_per_server = o->fill.max_per_server;
    return finish_parse(o, argc, argv);
}

void
cli_free(cli *o)
{
    for (size_t i = 0; i < o->ntargets; i++)
        smtpchk_check_free(o->targets[i]);
    free(o->targets);
    for (size_t i = 0; o->mx != NULL && i < o->ntargets; i++)
        free(o->mx[i].t);
    free(o->mx);
    smtpchk_config_entry_clear(&o->tmpl);
    memset(o, 0, sizeof(*o));
}
