/* Command-line parsing: every option fills the check template or cli. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "cli.h"

enum {
    OPT_SECURITY = 256, OPT_USER, OPT_PASSWORD_FILE, OPT_AUTH_MECHS, OPT_ALLOW_INSECURE,
    OPT_FROM, OPT_TO, OPT_SUBJECT, OPT_BODY_FILE, OPT_TEXT_FILE, OPT_EHLO, OPT_CA_FILE,
    OPT_CA_DIR, OPT_INSECURE, OPT_TLS_MIN, OPT_SOURCE, OPT_TIMEOUT, OPT_STEP_TIMEOUT,
    OPT_PROBE, OPT_STRICT_QUIT, OPT_JSON, OPT_NAGIOS, OPT_CRITICAL, OPT_CONFIG,
    OPT_CERT_WARN, OPT_CERT_CRIT, OPT_PROGRESS, OPT_MAX_IN_FLIGHT, OPT_CHECK_CONFIG,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"security", required_argument, NULL, OPT_SECURITY},
    {"user", required_argument, NULL, OPT_USER},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"auth-mechs", required_argument, NULL, OPT_AUTH_MECHS},
    {"allow-insecure-auth", no_argument, NULL, OPT_ALLOW_INSECURE},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"subject", required_argument, NULL, OPT_SUBJECT},
    {"body-file", required_argument, NULL, OPT_BODY_FILE},
    {"text-file", required_argument, NULL, OPT_TEXT_FILE},
    {"ehlo-name", required_argument, NULL, OPT_EHLO},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"ca-dir", required_argument, NULL, OPT_CA_DIR},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"tls-min", required_argument, NULL, OPT_TLS_MIN},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
    {"probe", required_argument, NULL, OPT_PROBE},
    {"strict-quit", no_argument, NULL, OPT_STRICT_QUIT},
    {"json", no_argument, NULL, OPT_JSON},
    {"nagios", no_argument, NULL, OPT_NAGIOS},
    {"warning", required_argument, NULL, 'w'},
    {"critical", required_argument, NULL, OPT_CRITICAL},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"cert-warn", required_argument, NULL, OPT_CERT_WARN},
    {"cert-crit", required_argument, NULL, OPT_CERT_CRIT},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"max-in-flight", required_argument, NULL, OPT_MAX_IN_FLIGHT},
    {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: smtpcheck [options] HOST[:PORT]...\n"
    "       smtpcheck -c FILE [NAME...]      (checks from a check file)\n"
    "       smtpcheck -c FILE --check-config (validate it)\n"
    "Connection: -p/--port N  --security none|starttls|tls  --source ADDR\n"
    "            --ehlo-name NAME  --timeout S  --step-timeout S  --strict-quit\n"
    "TLS:        --ca-file F  --ca-dir D  --tls-min 1.2|1.3  --insecure (no verification)\n"
    "AUTH:       --user U  --password-file F (or SMTPCHECK_PASSWORD)  --auth-mechs LIST\n"
    "            --allow-insecure-auth\n"
    "Test mail:  --from A  --to A (repeatable)  --subject S  --body-file F (HTML)\n"
    "            --text-file F (plain-text alternative)\n"
    "Probes:     --probe NOOP|RSET|HELP|\"VRFY addr\" (repeatable, after login)\n"
    "Output:     --json  --nagios  -w/--warning S  -c/--critical S (total time)\n"
    "            --cert-warn DAYS  --cert-crit DAYS  -v (transcript)  --progress\n"
    "-c takes a number (seconds) as the critical threshold, anything else as a\n"
    "check file; --config FILE and --critical S are the unambiguous forms.\n";

static int
bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "smtpcheck: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return ST_UNKNOWN;
}

static int
parse_double(const char *s, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
is_number(const char *s)
{
    double d;
    return parse_double(s, 0, 1e9, &d) == 0;
}

/* Reads a whole small file (max bytes); NULL with errno on failure. */
static char *
read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int err = ferror(f) || n > max;
    fclose(f);
    if (buf == NULL || err) {
        free(buf);
        errno = err ? EFBIG : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int
set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst == NULL ? bad("%s", "out of memory") : 0;
}

static int
read_password(smtpchk_check *c, const char *path)
{
    char *pw = read_file(path, 4096);
    if (pw == NULL)
        return bad("cannot read the password file: %s", path);
    pw[strcspn(pw, "\r\n")] = '\0';
    if (c->password != NULL) {
        OPENSSL_cleanse(c->password, strlen(c->password));
        free(c->password);
    }
    c->password = pw;
    return 0;
}

static int
add_to_list(char **list, size_t *n, size_t max, const char *v, const char *what)
{
    if (*n >= max)
        return bad("too many %s", what);
    list[*n] = strdup(v);
    if (list[*n] == NULL)
        return bad("%s", "out of memory");
    (*n)++;
    return 0;
}

static int
set_seconds(uint32_t *ms, const char *arg, const char *name)
{
    double s;
    if (parse_double(arg, 0.001, 86400, &s) != 0)
        return bad(name, arg);
    *ms = (uint32_t)(s * 1000.0 + 0.5);
    return 0;
}

static int
set_tls_min(smtpchk_check *c, const char *arg)
{
    if (strcmp(arg, "1.2") == 0)
        c->tls_min_version = TLS1_2_VERSION;
    else if (strcmp(arg, "1.3") == 0)
        c->tls_min_version = TLS1_3_VERSION;
    else if (strcmp(arg, "1.1") == 0)
        c->tls_min_version = TLS1_1_VERSION;
    else if (strcmp(arg, "1.0") == 0)
        c->tls_min_version = TLS1_VERSION;
    else
        return bad("bad --tls-min: %s (1.0, 1.1, 1.2 or 1.3)", arg);
    return 0;
}

static int
set_body(char **dst, const char *path)
{
    char *body = read_file(path, 1024 * 1024);
    if (body == NULL)
        return bad("cannot read the body file: %s", path);
    free(*dst);
    *dst = body;
    return 0;
}

static int
set_threshold(double *ms, const char *arg, const char *what)
{
    double s;
    if (parse_double(arg, 0, 86400, &s) != 0)
        return bad(what, arg);
    *ms = s * 1000.0;
    return 0;
}

static int
set_days(int *days, const char *arg, const char *what)
{
    long v;
    if (parse_long(arg, 0, 100000, &v) != 0)
        return bad(what, arg);
    *days = (int)v;
    return 0;
}

static int
set_port(smtpchk_check *c, const char *arg)
{
    long v;
    if (parse_long(arg, 1, 65535, &v) != 0)
        return bad("bad port: %s", arg);
    c->port = (uint16_t)v;
    return 0;
}

/* Options that describe the check itself. */
static int
check_option(cli *o, int opt, const char *arg)
{
    smtpchk_check *c = o->tmpl;
    char err[160];
    switch (opt) {
    case 'p': return set_port(c, arg);
    case OPT_SECURITY:
        return smtpchk_security_parse(arg, &c->security) == 0
                   ? 0 : bad("bad --security: %s (none, starttls or tls)", arg);
    case OPT_USER: return set_str(&c->user, arg);
    case OPT_PASSWORD_FILE: return read_password(c, arg);
    case OPT_AUTH_MECHS:
        if (smtpchk_auth_parse_list(arg, &c->auth_mechs, err, sizeof(err)) != 0)
            return bad("bad --auth-mechs: %s", err);
        return 0;
    case OPT_ALLOW_INSECURE: c->allow_insecure_auth = true; return 0;
    case OPT_FROM: return set_str(&c->mail_from, arg);
    case OPT_TO: return add_to_list(c->rcpt, &c->nrcpt, SMTPCHK_MAX_RCPT, arg, "recipients");
    case OPT_SUBJECT: return set_str(&c->subject, arg);
    case OPT_BODY_FILE: return set_body(&c->body_html, arg);
    case OPT_TEXT_FILE: return set_body(&c->body_text, arg);
    case OPT_EHLO: return set_str(&c->ehlo_name, arg);
    case OPT_CA_FILE: return set_str(&c->ca_file, arg);
    case OPT_CA_DIR: return set_str(&c->ca_dir, arg);
    case OPT_INSECURE: c->tls_verify = false; return 0;
    case OPT_TLS_MIN: return set_tls_min(c, arg);
    case OPT_SOURCE: return set_str(&c->source_addr, arg);
    case OPT_TIMEOUT: return set_seconds(&c->timeout_ms, arg, "bad --timeout: %s");
    case OPT_STEP_TIMEOUT: return set_seconds(&c->step_timeout_ms, arg, "bad --step-timeout: %s");
    case OPT_PROBE: return add_to_list(c->probes, &c->nprobes, SMTPCHK_MAX_PROBES, arg, "probes");
    case OPT_STRICT_QUIT: c->strict_quit = true; return 0;
    }
    return -1;
}

/* Options about the run and its output. */
static int
run_option(cli *o, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_JSON: o->format = OUT_JSON; return 0;
    case OPT_NAGIOS: o->format = OUT_NAGIOS; return 0;
    case 'w': return set_threshold(&o->warn_ms, arg, "bad -w: %s (seconds)");
    case OPT_CRITICAL: return set_threshold(&o->crit_ms, arg, "bad -c: %s (seconds)");
    case 'c':
        if (is_number(arg))
            return set_threshold(&o->crit_ms, arg, "bad -c: %s (seconds)");
        o->config = arg;
        return 0;
    case OPT_CONFIG: o->config = arg; return 0;
    case OPT_CERT_WARN: return set_days(&o->cert_warn, arg, "bad --cert-warn: %s (days)");
    case OPT_CERT_CRIT: return set_days(&o->cert_crit, arg, "bad --cert-crit: %s (days)");
    case OPT_PROGRESS: o->progress = true; return 0;
    case OPT_CHECK_CONFIG: o->check_config = true; return 0;
    case OPT_MAX_IN_FLIGHT:
        if (parse_long(arg, 1, 100000, &v) != 0)
            return bad("bad --max-in-flight: %s", arg);
        o->max_in_flight = (size_t)v;
        return 0;
    case 'v': o->verbose++; return 0;
    }
    return -1;
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 literal. */
static int
add_target(cli *o, const char *arg)
{
    if (o->ntargets >= CLI_MAX_TARGETS)
        return bad("too many hosts (at most %s)", "1024");
    smtpchk_check *c = smtpchk_check_dup(o->tmpl);
    if (c == NULL)
        return bad("%s", "out of memory");
    o->targets[o->ntargets++] = c;
    char host[300];
    snprintf(host, sizeof(host), "%s", arg);
    const char *colon = strrchr(host, ':');
    int bracket = host[0] == '[';
    if (colon != NULL && (bracket ? colon > strchr(host, ']') : strchr(host, ':') == colon)) {
        host[colon - host] = '\0';
        if (set_port(c, colon + 1) != 0)
            return ST_UNKNOWN;
    }
    size_t len = strlen(host);
    if (bracket && len > 2 && host[len - 1] == ']') {
        host[len - 1] = '\0';
        return set_str(&c->host, host + 1);
    }
    return set_str(&c->host, host);
}

static int
finish_parse(cli *o, int argc, char **argv)
{
    const char *env = getenv("SMTPCHECK_PASSWORD");
    if (o->tmpl->password == NULL && env != NULL && set_str(&o->tmpl->password, env) != 0)
        return ST_UNKNOWN;
    if (o->config != NULL) {
        o->names = (const char *const *)argv + optind; /* checks in the file */
        o->nnames = (size_t)(argc - optind);
        return 0;
    }
    if (o->check_config)
        return bad("%s", "--check-config needs -c FILE");
    if (optind >= argc)
        return bad("%s", "no HOST given (see --help)");
    for (int i = optind; i < argc; i++)
        if (add_target(o, argv[i]) != 0)
            return ST_UNKNOWN;
    char err[200];
    for (size_t i = 0; i < o->ntargets; i++)
        if (smtpchk_check_validate(o->targets[i], err, sizeof(err)) != 0)
            return bad("%s", err);
    return 0;
}

int
cli_parse(int argc, char **argv, cli *o)
{
    memset(o, 0, sizeof(*o));
    o->warn_ms = o->crit_ms = -1;
    o->cert_warn = o->cert_crit = -1;
    o->tmpl = smtpchk_check_new();
    if (o->tmpl == NULL)
        return bad("%s", "out of memory");
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":p:w:c:vhV", long_opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            exit(ST_OK);
        }
        if (opt == 'V') {
            printf("smtpcheck %s\n", SMTPCHECK_VERSION);
            exit(ST_OK);
        }
        if (opt == '?')
            return bad("unknown option: %s", argv[optind - 1]);
        if (opt == ':')
            return bad("option needs a value: %s", argv[optind - 1]);
        int rc = check_option(o, opt, optarg);
        if (rc == -1)
            rc = run_option(o, opt, optarg);
        if (rc != 0)
            return ST_UNKNOWN;
    }
    return finish_parse(o, argc, argv);
}

void
cli_free(cli *o)
{
    for (size_t i = 0; i < o->ntargets; i++)
        smtpchk_check_free(o->targets[i]);
    smtpchk_check_free(o->tmpl);
    memset(o, 0, sizeof(*o));
}
