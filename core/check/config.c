/*
 * The check file loader. It walks the libconfig tree once, fills one
 * smtpchk_check per entry and reports every problem instead of stopping
 * at the first, so that one run of --check-config shows them all.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "auth.h"
#include "message.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_INTERVAL_MS 60000u
#define DEFAULT_STEP_MS 10000u
#define MAX_JITTER_DEFAULT_MS 30000u
#define DEFAULT_MAX_IN_FLIGHT 256u
#define SECRET_MAX 1024         /* longest password line */
#define BODY_MAX (1024 * 1024)  /* largest body_html_file */
#define KEY_MAX 32              /* longer keys get no suggestion */
#define NAME_MAX_LEN 64         /* smtpCheckName is DisplayString (SIZE (0..64)) */
#define MAX_MECHS 8

/* ---- diagnostics ---- */

typedef struct diag_msg {
    char *text;
    bool error;
    int line;
    size_t seq;               /* insertion order, to keep the sort stable */
} diag_msg;

struct smtpchk_diag {
    diag_msg *v;
    size_t n, cap;
};

smtpchk_diag *
smtpchk_diag_new(void)
{
    return calloc(1, sizeof(smtpchk_diag));
}

void
smtpchk_diag_free(smtpchk_diag *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].text);
    free(d->v);
    free(d);
}

size_t
smtpchk_diag_count(const smtpchk_diag *d, int errors_only)
{
    if (d == NULL)
        return 0;
    if (!errors_only)
        return d->n;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].error;
    return n;
}

const char *
smtpchk_diag_message(const smtpchk_diag *d, size_t i)
{
    return d != NULL && i < d->n ? d->v[i].text : NULL;
}

bool
smtpchk_diag_is_error(const smtpchk_diag *d, size_t i)
{
    return d != NULL && i < d->n && d->v[i].error;
}

/* Best effort: a message lost to lack of memory still fails the load. */
static void
diag_add(smtpchk_diag *d, bool error, int line, const char *text)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        diag_msg *v = realloc(d->v, cap * sizeof(*v));
        if (v == NULL)
            return;
        d->v = v;
        d->cap = cap;
    }
    char *copy = strdup(text);
    if (copy == NULL)
        return;
    d->v[d->n] = (diag_msg){.text = copy, .error = error, .line = line, .seq = d->n};
    d->n++;
}

static int
cmp_diag(const void *a, const void *b)
{
    const diag_msg *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Cross-checks run after the walk; sorting puts messages in file order. */
static void
diag_sort_from(smtpchk_diag *d, size_t start)
{
    if (d != NULL && d->n > start)
        qsort(d->v + start, d->n - start, sizeof(d->v[0]), cmp_diag);
}

/* ---- reporting ---- */

typedef struct loader {
    const char *path;
    char *dir;                /* directory of path; NULL = the current one */
    bool read_files;
    smtpchk_diag *diags;
    size_t errors;
} loader;

static void
vreport(loader *ld, const char *file, int line, bool error, const char *fmt, va_list ap)
{
    char msg[512], full[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    const char *kind = error ? "error" : "warning";
    if (line > 0)
        snprintf(full, sizeof(full), "%s:%d: %s: %s", file, line, kind, msg);
    else
        snprintf(full, sizeof(full), "%s: %s: %s", file, kind, msg);
    if (error)
        ld->errors++;
    if (ld->diags != NULL)
        diag_add(ld->diags, error, line, full);
}

static void
vreport_setting(loader *ld, const config_setting_t *s, bool error, const char *fmt,
                va_list ap)
{
    const char *file = s != NULL ? config_setting_source_file(s) : NULL;
    int line = s != NULL ? (int)config_setting_source_line(s) : 0;
    vreport(ld, file != NULL ? file : ld->path, line, error, fmt, ap);
}

__attribute__((format(printf, 3, 4))) static int
bad(loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport_setting(ld, s, true, fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 3, 4))) static void
warn(loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport_setting(ld, s, false, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void
bad_at(loader *ld, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, file, line, true, fmt, ap);
    va_end(ap);
}

/* User text in messages: control bytes become '?', long text is cut. */
static const char *
shown(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    buf[i] = '\0';
    if (s[i] != '\0' && len > 4)
        memcpy(buf + len - 4, "...", 4);
    return buf;
}

/* ---- unknown keys ---- */

static size_t
min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance, case-insensitive; SIZE_MAX for long strings. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > KEY_MAX || lb > KEY_MAX)
        return SIZE_MAX;
    size_t row[KEY_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            row[j] = min3(row[j] + 1, row[j - 1] + 1, prev + cost);
            prev = up;
        }
    }
    return row[lb];
}

/* The closest valid key, or one the typo is a prefix of ("password"). */
static const char *
suggest(const char *key, const char *const *keys, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, keys[i]);
        if (d < best_d) {
            best_d = d;
            best = keys[i];
        }
    }
    if (best != NULL && best_d <= 2 && best_d < klen)
        return best;
    for (size_t i = 0; klen >= 4 && i < n; i++)
        if (strncmp(keys[i], key, klen) == 0)
            return keys[i];
    return NULL;
}

static bool
known_key(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

static void
check_keys(loader *ld, const config_setting_t *grp, const char *const *keys, size_t n)
{
    int len = config_setting_length(grp);
    for (int i = 0; i < len; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *key = config_setting_name(s);
        if (key == NULL || known_key(key, keys, n))
            continue;
        const char *hint = suggest(key, keys, n);
        if (hint != NULL)
            bad(ld, s, "unknown key \"%s\" (did you mean \"%s\"?)", key, hint);
        else
            bad(ld, s, "unknown key \"%s\"", key);
    }
}

/* ---- typed getters: 1 = set and valid, 0 = absent, -1 = reported ---- */

static const config_setting_t *
member(const config_setting_t *grp, const char *key)
{
    return grp == NULL ? NULL : config_setting_get_member(grp, key);
}

static bool
is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static int
get_int(loader *ld, const config_setting_t *grp, const char *key, long long lo, long long hi,
        long long *out)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    if (!is_int(s))
        return bad(ld, s, "\"%s\" must be an integer", key);
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi)
        return bad(ld, s, "\"%s\" must be between %lld and %lld", key, lo, hi);
    *out = v;
    return 1;
}

/* Seconds in the file (int or float), milliseconds in memory. */
static int
get_seconds(loader *ld, const config_setting_t *grp, const char *key, double lo, double hi,
            uint32_t *ms)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    double v;
    if (is_int(s))
        v = (double)config_setting_get_int64(s);
    else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
        v = config_setting_get_float(s);
    else
        return bad(ld, s, "\"%s\" must be a number of seconds", key);
    if (!(v >= lo && v <= hi))
        return bad(ld, s, "\"%s\" must be between %g and %g seconds", key, lo, hi);
    *ms = (uint32_t)(v * 1000.0 + 0.5);
    return 1;
}

static int
get_bool(loader *ld, const config_setting_t *grp, const char *key, bool *out)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return bad(ld, s, "\"%s\" must be true or false", key);
    *out = config_setting_get_bool(s) != 0;
    return 1;
}

static int
get_string(loader *ld, const config_setting_t *grp, const char *key, const char **out)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return bad(ld, s, "\"%s\" must be a string", key);
    *out = config_setting_get_string(s);
    return 1;
}

static int
get_group(loader *ld, const config_setting_t *grp, const char *key,
          const config_setting_t **out)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return bad(ld, s, "\"%s\" must be a group { ... }", key);
    *out = s;
    return 1;
}

/* A list or array of strings; a lone string counts as a list of one. */
static int
get_strings(loader *ld, const config_setting_t *grp, const char *key,
            const config_setting_t **items, size_t max, size_t *n)
{
    const config_setting_t *s = member(grp, key);
    if (s == NULL)
        return 0;
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_STRING) {
        items[0] = s;
        *n = 1;
        return 1;
    }
    if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY)
        return bad(ld, s, "\"%s\" must be a list of strings", key);
    size_t len = (size_t)config_setting_length(s);
    if (len > max)
        return bad(ld, s, "\"%s\" has more than %zu entries", key, max);
    int rc = 1;
    for (size_t i = 0; i < len; i++) {
        items[i] = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(items[i]) != CONFIG_TYPE_STRING)
            rc = bad(ld, items[i], "\"%s\" must be a list of strings", key);
    }
    *n = len;
    return rc;
}

static int
replace_str(loader *ld, const config_setting_t *s, char **dst, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return bad(ld, s, "out of memory");
    free(*dst);
    *dst = copy;
    return 1;
}

static int
set_str(loader *ld, const config_setting_t *grp, const char *key, char **dst)
{
    const char *v = NULL;
    int rc = get_string(ld, grp, key, &v);
    if (rc <= 0)
        return rc;
    return replace_str(ld, member(grp, key), dst, v);
}

/* ---- value checks ---- */

static bool
has_crlf(const char *s)
{
    return smtpchk_header_value_ok(s) != 0;
}

static bool
has_space_or_ctl(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A mailbox for MAIL FROM / RCPT TO: brackets or spaces break the command. */
static bool
bare_address(const char *a)
{
    return strpbrk(a, "<> \t") == NULL;
}

static int
check_header(loader *ld, const config_setting_t *s, const char *key, const char *v)
{
    if (has_crlf(v))
        return bad(ld, s, "\"%s\" contains CR or LF (header injection)", key);
    return 0;
}

/* The message builder needs UTF-8; say so here, with the line. */
static int
check_utf8(loader *ld, const config_setting_t *s, const char *key, const char *v)
{
    if (smtpchk_utf8_ok(v) != 0)
        return bad(ld, s, "\"%s\" must be valid UTF-8", key);
    return 0;
}

static bool
probe_allowed(const char *p)
{
    static const char *const bare[] = {"NOOP", "RSET", "HELP"};
    for (size_t i = 0; i < NELEM(bare); i++)
        if (strcmp(p, bare[i]) == 0)
            return true;
    return strncmp(p, "VRFY ", 5) == 0 && p[5] != '\0' && p[5] != ' ' && !has_crlf(p);
}

/* ---- files ---- */

static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    return strndup(path, len);
}

static char *
resolve_path(const loader *ld, const char *p)
{
    if (p[0] == '/' || ld->dir == NULL)
        return strdup(p);
    size_t len = strlen(ld->dir) + 1 + strlen(p) + 1;
    char *full = malloc(len);
    if (full != NULL)
        snprintf(full, len, "%s/%s", ld->dir, p);
    return full;
}

static int
open_regular(loader *ld, const config_setting_t *s, const char *what, const char *path,
             struct stat *st)
{
    char sh[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = errno;
    if (fd < 0)
        return bad(ld, s, "cannot read %s \"%s\": %s", what, shown(path, sh, sizeof(sh)),
                   strerror(err));
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return bad(ld, s, "%s \"%s\" is not a regular file", what, shown(path, sh, sizeof(sh)));
    }
    return fd;
}

/* Reads until EOF or cap bytes. */
static ssize_t
read_upto(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len < cap) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        len += (size_t)r;
    }
    return (ssize_t)len;
}

/* The first line, without CR/LF. Plain read(): stdio would keep copies. */
static int
secret_line(loader *ld, const config_setting_t *s, int fd, const char *path, char **out)
{
    char buf[SECRET_MAX + 2], sh[256];
    int rc = 1;
    ssize_t got = read_upto(fd, buf, sizeof(buf));
    int err = errno;
    size_t len = got > 0 ? (size_t)got : 0;
    char *nl = memchr(buf, '\n', len);
    size_t line = nl != NULL ? (size_t)(nl - buf) : len;
    if (line > 0 && buf[line - 1] == '\r')
        line--;
    shown(path, sh, sizeof(sh));
    if (got < 0)
        rc = bad(ld, s, "cannot read password file \"%s\": %s", sh, strerror(err));
    else if (line > SECRET_MAX)
        rc = bad(ld, s, "password file \"%s\": the password is too long", sh);
    else if (line == 0)
        rc = bad(ld, s, "password file \"%s\" is empty", sh);
    else if (memchr(buf, '\0', line) != NULL)
        rc = bad(ld, s, "password file \"%s\" contains a NUL byte", sh);
    else if ((*out = strndup(buf, line)) == NULL)
        rc = bad(ld, s, "out of memory");
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

static int
read_secret(loader *ld, const config_setting_t *s, const char *path, char **out)
{
    struct stat st;
    int fd = open_regular(ld, s, "password file", path, &st);
    if (fd < 0)
        return -1;
    if (st.st_mode & (S_IRGRP | S_IROTH)) {
        char sh[256];
        warn(ld, s, "password file \"%s\" is readable by group or others (mode %04o)",
             shown(path, sh, sizeof(sh)), (unsigned)(st.st_mode & 07777));
    }
    int rc = secret_line(ld, s, fd, path, out);
    close(fd);
    return rc;
}

static int
read_body(loader *ld, const config_setting_t *s, const char *path, char **out)
{
    struct stat st;
    char sh[256];
    shown(path, sh, sizeof(sh));
    int fd = open_regular(ld, s, "body file", path, &st);
    if (fd < 0)
        return -1;
    if (st.st_size < 0 || st.st_size > BODY_MAX) {
        close(fd);
        return bad(ld, s, "body file \"%s\" is larger than 1 MiB", sh);
    }
    size_t cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    ssize_t got = buf != NULL ? read_upto(fd, buf, cap) : -1;
    close(fd);
    if (got < 0) {
        free(buf);
        return bad(ld, s, "cannot read body file \"%s\"", sh);
    }
    size_t len = (size_t)got;
    buf[len] = '\0';
    if (strlen(buf) != len || smtpchk_utf8_ok(buf) != 0) {
        free(buf);
        return bad(ld, s, "body file \"%s\" is not valid UTF-8", sh);
    }
    free(*out);
    *out = buf;
    return 1;
}

/* A path key: resolved against the file's directory, optionally checked. */
static int
set_path(loader *ld, const config_setting_t *grp, const char *key, char **dst)
{
    const char *v = NULL;
    int rc = get_string(ld, grp, key, &v);
    if (rc <= 0)
        return rc;
    const config_setting_t *s = member(grp, key);
    if (v[0] == '\0')
        return bad(ld, s, "\"%s\" must not be empty", key);
    char *full = resolve_path(ld, v);
    if (full == NULL)
        return bad(ld, s, "out of memory");
    free(*dst);
    *dst = full;
    return 1;
}

static void
check_readable(loader *ld, const config_setting_t *grp, const char *key, const char *path)
{
    if (!ld->read_files || access(path, R_OK) == 0)
        return;
    int err = errno;
    char sh[256];
    bad(ld, member(grp, key), "cannot read %s \"%s\": %s", key, shown(path, sh, sizeof(sh)),
        strerror(err));
}

/* ---- tls, timing, ehlo: allowed in defaults and in each check ---- */

typedef struct timing {
    uint32_t interval_ms, jitter_ms;
    bool step_set, jitter_set;  /* given here or in defaults */
} timing;

static void
parse_min_version(loader *ld, const config_setting_t *tls, smtpchk_check *c)
{
    const config_setting_t *s = member(tls, "min_version");
    if (s == NULL)
        return;
    bool str = config_setting_type(s) == CONFIG_TYPE_STRING;
    const char *v = str ? config_setting_get_string(s) : "";
    if (strcmp(v, "1.2") == 0)
        c->tls_min_version = TLS1_2_VERSION;
    else if (strcmp(v, "1.3") == 0)
        c->tls_min_version = TLS1_3_VERSION;
    else
        bad(ld, s, "\"min_version\" must be \"1.2\" or \"1.3\"");
}

static void
parse_tls(loader *ld, const config_setting_t *tls, smtpchk_check *c)
{
    static const char *const keys[] = {"verify", "ca_file", "ca_dir", "min_version"};
    check_keys(ld, tls, keys, NELEM(keys));
    bool b = false;
    if (get_bool(ld, tls, "verify", &b) > 0)
        c->tls_verify = b;
    if (set_path(ld, tls, "ca_file", &c->ca_file) > 0)
        check_readable(ld, tls, "ca_file", c->ca_file);
    if (set_path(ld, tls, "ca_dir", &c->ca_dir) > 0)
        check_readable(ld, tls, "ca_dir", c->ca_dir);
    parse_min_version(ld, tls, c);
}

static void
parse_ehlo(loader *ld, const config_setting_t *grp, smtpchk_check *c)
{
    const char *v = NULL;
    if (get_string(ld, grp, "ehlo_name", &v) <= 0)
        return;
    const config_setting_t *s = member(grp, "ehlo_name");
    if (check_header(ld, s, "ehlo_name", v) < 0)
        return;
    if (v[0] == '\0' || has_space_or_ctl(v)) {
        bad(ld, s, "\"ehlo_name\" must be a host name without spaces");
        return;
    }
    replace_str(ld, s, &c->ehlo_name, v);
}

/*
 * Defaults that depend on other values, and cross-checks. A group only
 * reports a conflict it takes part in, so a bad default is reported once
 * and not again for every check.
 */
static void
resolve_timing(loader *ld, const config_setting_t *grp, smtpchk_check *c, timing *t)
{
    const config_setting_t *step = member(grp, "step_timeout"), *to = member(grp, "timeout");
    if (!t->step_set)
        c->step_timeout_ms = c->timeout_ms < DEFAULT_STEP_MS ? c->timeout_ms : DEFAULT_STEP_MS;
    else if (c->step_timeout_ms > c->timeout_ms && (step != NULL || to != NULL))
        bad(ld, step != NULL ? step : to, "\"step_timeout\" must not exceed \"timeout\"");
    const config_setting_t *jit = member(grp, "jitter"), *iv = member(grp, "interval");
    if (!t->jitter_set) {
        uint32_t j = t->interval_ms / 10;
        t->jitter_ms = j < MAX_JITTER_DEFAULT_MS ? j : MAX_JITTER_DEFAULT_MS;
    } else if (t->jitter_ms > t->interval_ms && (jit != NULL || iv != NULL)) {
        bad(ld, jit != NULL ? jit : iv, "\"jitter\" must not exceed \"interval\"");
    }
}

static void
parse_common(loader *ld, const config_setting_t *grp, smtpchk_check *c, timing *t)
{
    uint32_t ms = 0;
    if (get_seconds(ld, grp, "interval", 1, 86400, &ms) > 0)
        t->interval_ms = ms;
    if (get_seconds(ld, grp, "jitter", 0, 86400, &ms) > 0) {
        t->jitter_ms = ms;
        t->jitter_set = true;
    }
    if (get_seconds(ld, grp, "timeout", 0.1, 3600, &ms) > 0)
        c->timeout_ms = ms;
    if (get_seconds(ld, grp, "step_timeout", 0.1, 3600, &ms) > 0) {
        c->step_timeout_ms = ms;
        t->step_set = true;
    }
    parse_ehlo(ld, grp, c);
    const config_setting_t *tls = NULL;
    if (get_group(ld, grp, "tls", &tls) > 0)
        parse_tls(ld, tls, c);
    resolve_timing(ld, grp, c, t);
}

/* ---- auth ---- */

static void
parse_mechanisms(loader *ld, const config_setting_t *auth, smtpchk_check *c)
{
    const config_setting_t *items[MAX_MECHS];
    size_t n = 0;
    if (get_strings(ld, auth, "mechanisms", items, MAX_MECHS, &n) <= 0)
        return;
    if (n == 0) {
        bad(ld, member(auth, "mechanisms"), "\"mechanisms\" must not be empty");
        return;
    }
    unsigned mask = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *name = config_setting_get_string(items[i]);
        unsigned bit = smtpchk_auth_mech_from_name(name, strlen(name));
        if (bit == 0) {
            char sh[64];
            bad(ld, items[i], "unknown AUTH mechanism \"%s\" (PLAIN, LOGIN or CRAM-MD5)",
                shown(name, sh, sizeof(sh)));
            ok = false;
        }
        mask |= bit;
    }
    if (ok)
        c->auth_mechs = mask;
}

static void
parse_auth(loader *ld, const config_setting_t *auth, smtpchk_config_entry *e)
{
    static const char *const keys[] = {"user", "password_file", "mechanisms", "allow_insecure"};
    smtpchk_check *c = e->check;
    check_keys(ld, auth, keys, NELEM(keys));
    int user = set_str(ld, auth, "user", &c->user);
    if (user > 0 && c->user[0] == '\0')
        bad(ld, member(auth, "user"), "\"user\" must not be empty");
    int pwf = set_path(ld, auth, "password_file", &e->password_file);
    if (user == 0)
        bad(ld, auth, "missing \"user\"");
    if (pwf == 0)
        bad(ld, auth, "missing \"password_file\"");
    if (pwf > 0 && ld->read_files)
        read_secret(ld, member(auth, "password_file"), e->password_file, &c->password);
    parse_mechanisms(ld, auth, c);
    bool b = false;
    if (get_bool(ld, auth, "allow_insecure", &b) > 0)
        c->allow_insecure_auth = b;
}

/* ---- mail ---- */

static void
parse_from(loader *ld, const config_setting_t *mail, smtpchk_check *c)
{
    const char *v = NULL;
    if (get_string(ld, mail, "from", &v) <= 0)
        return;
    const config_setting_t *s = member(mail, "from");
    if (check_header(ld, s, "from", v) < 0)
        return;
    if (v[0] == '\0' || !bare_address(v)) {
        bad(ld, s, "\"from\" must be a bare address (no spaces or angle brackets)");
        return;
    }
    replace_str(ld, s, &c->mail_from, v);
}

/* Returns how many addresses were given, valid or not. */
static size_t
parse_to(loader *ld, const config_setting_t *mail, smtpchk_check *c)
{
    const config_setting_t *items[SMTPCHK_MAX_RCPT];
    size_t n = 0;
    if (get_strings(ld, mail, "to", items, SMTPCHK_MAX_RCPT, &n) <= 0)
        return n;
    for (size_t i = 0; i < n; i++) {
        const char *v = config_setting_get_string(items[i]);
        if (check_header(ld, items[i], "to", v) < 0)
            continue;
        if (v[0] == '\0' || !bare_address(v)) {
            bad(ld, items[i], "\"to\" must hold bare addresses (no spaces or angle brackets)");
            continue;
        }
        if ((c->rcpt[c->nrcpt] = strdup(v)) == NULL) {
            bad(ld, items[i], "out of memory");
            break;
        }
        c->nrcpt++;
    }
    return n;
}

static void
parse_subject(loader *ld, const config_setting_t *mail, smtpchk_check *c)
{
    const char *v = NULL;
    if (get_string(ld, mail, "subject", &v) <= 0)
        return;
    const config_setting_t *s = member(mail, "subject");
    if (check_header(ld, s, "subject", v) == 0 && check_utf8(ld, s, "subject", v) == 0)
        replace_str(ld, s, &c->subject, v);
}

/* A string key that must be UTF-8 (a message body). */
static int
set_text(loader *ld, const config_setting_t *grp, const char *key, char **dst)
{
    const char *v = NULL;
    int rc = get_string(ld, grp, key, &v);
    if (rc <= 0)
        return rc;
    const config_setting_t *s = member(grp, key);
    if (check_utf8(ld, s, key, v) < 0)
        return -1;
    return replace_str(ld, s, dst, v);
}

static void
parse_body(loader *ld, const config_setting_t *mail, smtpchk_config_entry *e)
{
    smtpchk_check *c = e->check;
    int inline_html = set_text(ld, mail, "body_html", &c->body_html);
    const config_setting_t *fs = member(mail, "body_html_file");
    if (fs != NULL && member(mail, "body_html") != NULL) {
        bad(ld, fs, "\"body_html\" and \"body_html_file\" are mutually exclusive");
        return;
    }
    if (inline_html == 0 && set_path(ld, mail, "body_html_file", &e->body_html_file) > 0 &&
        ld->read_files)
        read_body(ld, fs, e->body_html_file, &c->body_html);
    set_text(ld, mail, "body_text", &c->body_text);
}

static void
parse_mail(loader *ld, const config_setting_t *mail, smtpchk_config_entry *e)
{
    static const char *const keys[] = {"from", "to", "subject", "body_html", "body_html_file",
                                       "body_text"};
    check_keys(ld, mail, keys, NELEM(keys));
    parse_from(ld, mail, e->check);
    size_t nto = parse_to(ld, mail, e->check);
    parse_subject(ld, mail, e->check);
    parse_body(ld, mail, e);
    if (nto > 0 && member(mail, "from") == NULL)
        bad(ld, mail, "missing \"from\" (required when \"to\" is not empty)");
}

static void
parse_probes(loader *ld, const config_setting_t *grp, smtpchk_check *c)
{
    const config_setting_t *items[SMTPCHK_MAX_PROBES];
    size_t n = 0;
    if (get_strings(ld, grp, "probe", items, SMTPCHK_MAX_PROBES, &n) <= 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *v = config_setting_get_string(items[i]);
        if (!probe_allowed(v)) {
            char sh[64];
            bad(ld, items[i],
                "probe \"%s\" is not allowed (NOOP, RSET, HELP or \"VRFY <address>\")",
                shown(v, sh, sizeof(sh)));
            continue;
        }
        if ((c->probes[c->nprobes] = strdup(v)) == NULL) {
            bad(ld, items[i], "out of memory");
            return;
        }
        c->nprobes++;
    }
}

/* ---- alarms ---- */

#define THRESHOLD_MAX_MS 3600000

static void
parse_threshold(loader *ld, const config_setting_t *alarms, const char *key,
                smtpchk_threshold *t)
{
    static const char *const keys[] = {"rising", "falling"};
    const config_setting_t *g = NULL;
    if (get_group(ld, alarms, key, &g) <= 0)
        return;
    check_keys(ld, g, keys, NELEM(keys));
    long long rising = 0, falling = 0;
    int hr = get_int(ld, g, "rising", 1, THRESHOLD_MAX_MS, &rising);
    int hf = get_int(ld, g, "falling", 1, THRESHOLD_MAX_MS, &falling);
    if (hr == 0)
        bad(ld, g, "missing \"rising\"");
    if (hr <= 0 || hf < 0)
        return;
    if (hf == 0)
        falling = rising;
    if (rising < falling) {
        bad(ld, member(g, "falling"), "\"rising\" (%lld) must not be below \"falling\" (%lld)",
            rising, falling);
        return;
    }
    *t = (smtpchk_threshold){.set = true, .rising_ms = (uint32_t)rising,
                             .falling_ms = (uint32_t)falling};
}

static void
parse_code_alarms(loader *ld, const config_setting_t *alarms, smtpchk_alarm_cfg *a)
{
    bool b = false;
    if (get_bool(ld, alarms, "on_error", &b) > 0)
        a->on_response_code = a->on_error_code = b;
    if (get_bool(ld, alarms, "response_code", &b) > 0)
        a->on_response_code = b;
    if (get_bool(ld, alarms, "error_code", &b) > 0)
        a->on_error_code = b;
}

static void
parse_alarms(loader *ld, const config_setting_t *alarms, smtpchk_alarm_cfg *a)
{
    static const char *const keys[] = {"connect_time", "login_time", "transfer_time",
                                       "total_time", "on_error", "response_code",
                                       "error_code", "consecutive_failures", "cert_days"};
    check_keys(ld, alarms, keys, NELEM(keys));
    parse_threshold(ld, alarms, "connect_time", &a->connect_time);
    parse_threshold(ld, alarms, "login_time", &a->login_time);
    parse_threshold(ld, alarms, "transfer_time", &a->transfer_time);
    parse_threshold(ld, alarms, "total_time", &a->total_time);
    parse_code_alarms(ld, alarms, a);
    long long v = 0;
    if (get_int(ld, alarms, "consecutive_failures", 1, 1000, &v) > 0)
        a->consecutive_failures = (uint32_t)v;
    if (get_int(ld, alarms, "cert_days", 0, 3650, &v) > 0)
        a->cert_days = (int)v;
}

/* ---- one check ---- */

static void
parse_index(loader *ld, const config_setting_t *g, smtpchk_check *c)
{
    long long v = 0;
    int rc = get_int(ld, g, "index", 1, 65535, &v);
    if (rc == 0)
        bad(ld, g, "missing \"index\"");
    if (rc > 0)
        c->index = (unsigned)v;
}

static void
parse_name(loader *ld, const config_setting_t *g, smtpchk_check *c)
{
    const char *v = NULL;
    int rc = get_string(ld, g, "name", &v);
    if (rc == 0)
        bad(ld, g, "missing \"name\"");
    if (rc <= 0)
        return;
    const config_setting_t *s = member(g, "name");
    bool ctl = false;
    for (const char *p = v; *p != '\0'; p++)
        ctl |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (v[0] == '\0' || strlen(v) > NAME_MAX_LEN || ctl)
        bad(ld, s, "\"name\" must be 1 to %d characters, without control characters",
            NAME_MAX_LEN);
    else
        replace_str(ld, s, &c->name, v);
}

/* A host name or address: one token, no spaces or control bytes. */
static int
set_host(loader *ld, const config_setting_t *g, const char *key, char **dst)
{
    const char *v = NULL;
    int rc = get_string(ld, g, key, &v);
    if (rc <= 0)
        return rc;
    const config_setting_t *s = member(g, key);
    if (v[0] == '\0' || has_space_or_ctl(v))
        return bad(ld, s, "\"%s\" must be a host name or address", key);
    return replace_str(ld, s, dst, v);
}

static void
parse_security(loader *ld, const config_setting_t *g, smtpchk_check *c)
{
    const config_setting_t *s = member(g, "security");
    if (s == NULL)
        return;
    bool str = config_setting_type(s) == CONFIG_TYPE_STRING;
    const char *v = str ? config_setting_get_string(s) : "";
    if (smtpchk_security_parse(v, &c->security) != 0)
        bad(ld, s, "\"security\" must be \"none\", \"starttls\" or \"tls\"");
}

static void
parse_identity(loader *ld, const config_setting_t *g, smtpchk_check *c)
{
    parse_index(ld, g, c);
    parse_name(ld, g, c);
    if (set_host(ld, g, "host", &c->host) == 0)
        bad(ld, g, "missing \"host\"");
    long long port = 0;
    if (get_int(ld, g, "port", 1, 65535, &port) > 0)
        c->port = (uint16_t)port;
    parse_security(ld, g, c);
    set_host(ld, g, "source", &c->source_addr);
    get_bool(ld, g, "strict_quit", &c->strict_quit);
}

static void
parse_sections(loader *ld, const config_setting_t *g, smtpchk_config_entry *e)
{
    const config_setting_t *sub = NULL;
    if (get_group(ld, g, "auth", &sub) > 0)
        parse_auth(ld, sub, e);
    if (get_group(ld, g, "mail", &sub) > 0)
        parse_mail(ld, sub, e);
    if (get_group(ld, g, "alarms", &sub) > 0)
        parse_alarms(ld, sub, &e->alarms);
    parse_probes(ld, g, e->check);
}

/* Catches any gap between this loader and the check's own rules. */
static void
final_validate(loader *ld, const config_setting_t *g, const smtpchk_check *c)
{
    char err[256];
    if (smtpchk_check_validate(c, err, sizeof(err)) != 0)
        bad(ld, g, "invalid check: %s", err);
}

static void
parse_entry(loader *ld, const config_setting_t *g, const smtpchk_check *tmpl,
            const timing *dt, smtpchk_config_entry *e)
{
    static const char *const keys[] = {
        "index", "name", "host", "port", "security", "source", "strict_quit",
        "auth", "mail", "probe", "alarms", "interval", "jitter", "timeout",
        "step_timeout", "ehlo_name", "tls"};
    size_t errors_before = ld->errors;
    e->line = (int)config_setting_source_line(g);
    e->alarms = (smtpchk_alarm_cfg){.consecutive_failures = 1, .cert_days = -1};
    if ((e->check = smtpchk_check_dup(tmpl)) == NULL) {
        bad(ld, g, "out of memory");
        return;
    }
    check_keys(ld, g, keys, NELEM(keys));
    parse_identity(ld, g, e->check);
    timing t = *dt;
    parse_common(ld, g, e->check, &t);
    e->interval_ms = t.interval_ms;
    e->jitter_ms = t.jitter_ms;
    parse_sections(ld, g, e);
    /* Without the files the password is missing by design. */
    if (ld->errors == errors_before && ld->read_files)
        final_validate(ld, g, e->check);
}

/* ---- the whole file ---- */

static void
parse_defaults(loader *ld, const config_setting_t *root, smtpchk_check *tmpl, timing *t,
               smtpchk_config *cfg)
{
    static const char *const keys[] = {"interval", "jitter", "timeout", "step_timeout",
                                       "ehlo_name", "tls", "max_in_flight"};
    const config_setting_t *d = NULL;
    get_group(ld, root, "defaults", &d);
    if (d != NULL)
        check_keys(ld, d, keys, NELEM(keys));
    parse_common(ld, d, tmpl, t);
    long long v = 0;
    if (get_int(ld, d, "max_in_flight", 1, 100000, &v) > 0)
        cfg->max_in_flight = (uint32_t)v;
}

static void
parse_checks(loader *ld, const config_setting_t *root, const smtpchk_check *tmpl,
             const timing *t, smtpchk_config *cfg)
{
    const config_setting_t *list = member(root, "checks");
    int type = list != NULL ? config_setting_type(list) : CONFIG_TYPE_NONE;
    if (list != NULL && type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY) {
        bad(ld, list, "\"checks\" must be a list ( { ... }, ... )");
        return;
    }
    size_t n = list != NULL ? (size_t)config_setting_length(list) : 0;
    if (n == 0) {
        warn(ld, list, "no checks defined");
        return;
    }
    if ((cfg->entries = calloc(n, sizeof(*cfg->entries))) == NULL) {
        bad(ld, list, "out of memory");
        return;
    }
    cfg->n = n;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            bad(ld, g, "each entry of \"checks\" must be a group { ... }");
        else
            parse_entry(ld, g, tmpl, t, &cfg->entries[i]);
    }
}

/* An entry with its position in the file, for duplicate detection. */
typedef struct entry_ref {
    const smtpchk_config_entry *e;
    const config_setting_t *g;
    size_t pos;
} entry_ref;

static int
cmp_ref_index(const void *a, const void *b)
{
    const entry_ref *x = a, *y = b;
    if (x->e->check->index != y->e->check->index)
        return x->e->check->index < y->e->check->index ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
cmp_ref_name(const void *a, const void *b)
{
    const entry_ref *x = a, *y = b;
    int c = strcmp(x->e->check->name, y->e->check->name);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void
report_dup_index(loader *ld, entry_ref *r, size_t n)
{
    qsort(r, n, sizeof(*r), cmp_ref_index);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (r[i].e->check->index != r[first].e->check->index) {
            first = i;
            continue;
        }
        unsigned line = config_setting_source_line(member(r[first].g, "index"));
        bad(ld, member(r[i].g, "index"), "duplicate index %u (first used on line %u)",
            r[i].e->check->index, line);
    }
}

static void
report_dup_name(loader *ld, entry_ref *r, size_t n)
{
    qsort(r, n, sizeof(*r), cmp_ref_name);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(r[i].e->check->name, r[first].e->check->name) != 0) {
            first = i;
            continue;
        }
        char sh[64];
        unsigned line = config_setting_source_line(member(r[first].g, "name"));
        bad(ld, member(r[i].g, "name"), "duplicate name \"%s\" (first used on line %u)",
            shown(r[i].e->check->name, sh, sizeof(sh)), line);
    }
}

/* Gathers the entries that have the field, then reports repeats. */
static void
report_duplicates(loader *ld, const config_setting_t *root, const smtpchk_config *cfg)
{
    entry_ref *refs = calloc(cfg->n + 1, sizeof(*refs));
    if (refs == NULL) {
        bad(ld, NULL, "out of memory");
        return;
    }
    const config_setting_t *list = member(root, "checks");
    size_t ni = 0, nn = 0;
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        if (e->check != NULL && e->check->index != 0)
            refs[ni++] = (entry_ref){e, config_setting_get_elem(list, (unsigned)i), i};
    }
    report_dup_index(ld, refs, ni);
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        if (e->check != NULL && e->check->name != NULL)
            refs[nn++] = (entry_ref){e, config_setting_get_elem(list, (unsigned)i), i};
    }
    report_dup_name(ld, refs, nn);
    free(refs);
}

static int
cmp_entry_index(const void *a, const void *b)
{
    const smtpchk_config_entry *x = a, *y = b;
    return x->check->index < y->check->index ? -1 : x->check->index > y->check->index;
}

static void
build(loader *ld, const config_t *lc, smtpchk_config *cfg)
{
    static const char *const keys[] = {"defaults", "checks"};
    const config_setting_t *root = config_root_setting(lc);
    check_keys(ld, root, keys, NELEM(keys));
    smtpchk_check *tmpl = smtpchk_check_new();
    if (tmpl == NULL) {
        bad(ld, NULL, "out of memory");
        return;
    }
    timing t = {.interval_ms = DEFAULT_INTERVAL_MS};
    parse_defaults(ld, root, tmpl, &t, cfg);
    parse_checks(ld, root, tmpl, &t, cfg);
    smtpchk_check_free(tmpl);
    report_duplicates(ld, root, cfg);
    if (ld->errors == 0 && cfg->n > 0)
        qsort(cfg->entries, cfg->n, sizeof(*cfg->entries), cmp_entry_index);
}

static int
read_config(loader *ld, config_t *lc)
{
    if (ld->dir != NULL)
        config_set_include_dir(lc, ld->dir);
    if (config_read_file(lc, ld->path) == CONFIG_TRUE)
        return 0;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
        /* libconfig drops errno; ask again for a useful reason. */
        int fd = open(ld->path, O_RDONLY | O_CLOEXEC);
        int err = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        bad_at(ld, ld->path, 0, "cannot read the file: %s", err ? strerror(err) : "I/O error");
        return -1;
    }
    const char *file = config_error_file(lc);
    bad_at(ld, file != NULL ? file : ld->path, config_error_line(lc), "%s",
           config_error_text(lc));
    return -1;
}

static smtpchk_config *
config_new(const char *path)
{
    smtpchk_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    cfg->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    if ((cfg->path = strdup(path)) == NULL) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

int
smtpchk_config_load_opts(const char *path, const smtpchk_config_opts *opts,
                         smtpchk_config **out, smtpchk_diag *diags)
{
    *out = NULL;
    loader ld = {.path = path, .read_files = opts == NULL || opts->read_files, .diags = diags};
    size_t start = smtpchk_diag_count(diags, 0);
    const char *origin = opts != NULL && opts->origin != NULL ? opts->origin : path;
    ld.dir = dir_of(origin);
    smtpchk_config *cfg = config_new(path);
    if (cfg == NULL || (strchr(origin, '/') != NULL && ld.dir == NULL)) {
        bad_at(&ld, path, 0, "out of memory");
    } else {
        config_t lc;
        config_init(&lc);
        if (read_config(&ld, &lc) == 0)
            build(&ld, &lc, cfg);
        config_destroy(&lc);
    }
    free(ld.dir);
    diag_sort_from(diags, start);
    if (ld.errors > 0) {
        smtpchk_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

int
smtpchk_config_load(const char *path, smtpchk_config **out, smtpchk_diag *diags)
{
    smtpchk_config_opts opts = {.read_files = true};
    return smtpchk_config_load_opts(path, &opts, out, diags);
}

void
smtpchk_config_free(smtpchk_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        smtpchk_check_free(cfg->entries[i].check);
        free(cfg->entries[i].password_file);
        free(cfg->entries[i].body_html_file);
    }
    free(cfg->entries);
    free(cfg->path);
    free(cfg);
}

const smtpchk_config_entry *
smtpchk_config_find(const smtpchk_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->n; i++)
        if (strcmp(cfg->entries[i].check->name, name) == 0)
            return &cfg->entries[i];
    return NULL;
}

const smtpchk_config_entry *
smtpchk_config_find_index(const smtpchk_config *cfg, unsigned index)
{
    for (size_t i = 0; cfg != NULL && i < cfg->n; i++)
        if (cfg->entries[i].check->index == index)
            return &cfg->entries[i];
    return NULL;
}
