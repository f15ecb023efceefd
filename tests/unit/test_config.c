/*
 * Unit tests for core/config.c: the example file, defaults and
 * inheritance, and one bad file per kind of mistake with its exact
 * messages. Files that need passwords are written at run time.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "config.h"
#include "cunit_main.h"
#include "smtpchk.h"

#ifndef CONFIG_DIR
#define CONFIG_DIR "tests/unit/configs"
#endif
#ifndef EXAMPLE_CONFIG
#define EXAMPLE_CONFIG "config/smtpcheck.conf"
#endif

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static void
fixture(const char *file, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", CONFIG_DIR, file);
}

static int
load(const char *path, bool read_files, smtpchk_config **cfg, smtpchk_diag *d)
{
    smtpchk_config_opts opts = {.read_files = read_files};
    return smtpchk_config_load_opts(path, &opts, cfg, d);
}

/* Compares one message, and says which on failure. */
static void
expect_message(const smtpchk_diag *d, size_t i, const char *want)
{
    const char *got = smtpchk_diag_message(d, i);
    if (got == NULL || strcmp(got, want) != 0)
        fprintf(stderr, "\n  message %zu\n   got: %s\n  want: %s\n", i, got ? got : "(none)",
                want);
    CU_ASSERT_STRING_EQUAL(got ? got : "", want);
}

/* Loading the fixture fails, with exactly these messages (file-relative). */
static void
expect_diags(const char *file, bool read_files, const char *const *want, size_t n)
{
    static smtpchk_config untouched;
    char path[512], full[1024];
    fixture(file, path, sizeof(path));
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = &untouched;
    CU_ASSERT_EQUAL(load(path, read_files, &cfg, d), -1);
    CU_ASSERT_PTR_NULL(cfg);
    if (smtpchk_diag_count(d, 0) != n)
        fprintf(stderr, "\n  %s: %zu messages, want %zu\n", file, smtpchk_diag_count(d, 0), n);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), n);
    for (size_t i = 0; i < n; i++) {
        snprintf(full, sizeof(full), "%s/%s", CONFIG_DIR, want[i]);
        expect_message(d, i, full);
    }
    smtpchk_diag_free(d);
}

#define EXPECT(file, read_files, ...)                                \
    do {                                                             \
        static const char *const want_[] = {__VA_ARGS__};            \
        expect_diags((file), (read_files), want_, NELEM(want_));     \
    } while (0)

/* Loads a fixture that must succeed without any message. */
static smtpchk_config *
load_clean(const char *path, bool read_files)
{
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(path, read_files, &cfg, d), 0);
    for (size_t i = 0; i < smtpchk_diag_count(d, 0); i++)
        fprintf(stderr, "\n  unexpected: %s\n", smtpchk_diag_message(d, i));
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), 0);
    smtpchk_diag_free(d);
    return cfg;
}

/* ---- a scratch directory for files with secrets ---- */

typedef struct scratch {
    char dir[64];
    char files[8][128];
    size_t n;
} scratch;

static int
scratch_init(scratch *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/smtpchk-config-XXXXXX");
    return mkdtemp(s->dir) != NULL ? 0 : -1;
}

/* A new name in the scratch directory, removed by scratch_clean. */
static char *
scratch_name(scratch *s, const char *name)
{
    if (s->n == NELEM(s->files))
        return NULL;
    char *path = s->files[s->n++];
    char tmp[sizeof(s->files[0])];
    snprintf(tmp, sizeof(tmp), "%s/%s", s->dir, name);
    memcpy(path, tmp, sizeof(tmp));
    return path;
}

/* Writes len bytes of text as name with exactly this mode. */
static const char *
scratch_bytes(scratch *s, const char *name, const char *text, size_t len, mode_t mode)
{
    char *path = scratch_name(s, name);
    int fd = path != NULL ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (fd < 0)
        return NULL;
    int ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    close(fd);
    return ok ? path : NULL;
}

static const char *
scratch_write(scratch *s, const char *name, const char *text, mode_t mode)
{
    return scratch_bytes(s, name, text, strlen(text), mode);
}

static const char *
scratch_fifo(scratch *s, const char *name)
{
    char *path = scratch_name(s, name);
    return path != NULL && mkfifo(path, 0600) == 0 ? path : NULL;
}

static const char *
scratch_dir(scratch *s, const char *name)
{
    char *path = scratch_name(s, name);
    return path != NULL && mkdir(path, 0700) == 0 ? path : NULL;
}

static void
scratch_clean(scratch *s)
{
    for (size_t i = 0; i < s->n; i++)
        remove(s->files[i]);
    rmdir(s->dir);
}

static const char auth_conf[] =
    "checks = (\n"
    "  { index = 1; name = \"a\"; host = \"mx.example.net\";\n"
    "    auth = { user = \"monitor\"; password_file = \"pw\"; };\n"
    "    mail = { from = \"a@example.net\"; to = [ \"b@example.net\" ];\n"
    "             body_html_file = \"body.html\"; }; }\n"
    ");\n";

/* ---- files that load ---- */

static void
check_example_defaults(const smtpchk_config *cfg)
{
    CU_ASSERT_EQUAL(cfg->max_in_flight, 256);
    const smtpchk_config_entry *e = smtpchk_config_find(cfg, "backup-mx");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const smtpchk_check *c = e->check;
    CU_ASSERT_EQUAL(c->index, 10);
    CU_ASSERT_STRING_EQUAL(c->host, "2001:db8::25");
    CU_ASSERT_EQUAL(e->interval_ms, 60000);
    CU_ASSERT_EQUAL(e->jitter_ms, 5000);
    CU_ASSERT_EQUAL(e->history, 50);
    CU_ASSERT_EQUAL(smtpchk_config_find(cfg, "mx1")->history, 288);
    CU_ASSERT_EQUAL(c->timeout_ms, 30000);
    CU_ASSERT_EQUAL(c->step_timeout_ms, 10000);
    CU_ASSERT_STRING_EQUAL(c->ehlo_name, "probe.example.net");
    CU_ASSERT_TRUE(c->tls_verify);
    CU_ASSERT_STRING_EQUAL(c->ca_file, "/etc/ssl/certs/ca-certificates.crt");
    CU_ASSERT_PTR_NULL(c->ca_dir);
    CU_ASSERT_EQUAL(c->tls_min_version, TLS1_2_VERSION);
    CU_ASSERT_EQUAL(c->security, SMTPCHK_SEC_NONE);
    CU_ASSERT_EQUAL(c->port, 0);
    CU_ASSERT_PTR_NULL(c->user);
    CU_ASSERT_EQUAL(c->nrcpt, 0);
    CU_ASSERT_EQUAL(c->nprobes, 0);
    CU_ASSERT_FALSE(e->alarms.connect_time.set);
    CU_ASSERT_FALSE(e->alarms.on_error_code);
    CU_ASSERT_EQUAL(e->alarms.consecutive_failures, 1);
    CU_ASSERT_EQUAL(e->alarms.cert_days, -1);
}

static void
check_example_mx1_connection(const smtpchk_config_entry *e)
{
    const smtpchk_check *c = e->check;
    CU_ASSERT_EQUAL(c->index, 1);
    CU_ASSERT_STRING_EQUAL(c->name, "mx1");
    CU_ASSERT_STRING_EQUAL(c->host, "mx1.example.net");
    CU_ASSERT_EQUAL(c->port, 25);
    CU_ASSERT_EQUAL(c->security, SMTPCHK_SEC_STARTTLS);
    CU_ASSERT_STRING_EQUAL(c->source_addr, "192.0.2.10");
    CU_ASSERT_TRUE(c->strict_quit);
    CU_ASSERT_STRING_EQUAL(c->ehlo_name, "mx1-probe.example.net");
    CU_ASSERT_EQUAL(e->interval_ms, 300000);
    CU_ASSERT_EQUAL(e->jitter_ms, 20000);
    CU_ASSERT_EQUAL(c->timeout_ms, 45000);
    CU_ASSERT_EQUAL(c->step_timeout_ms, 15500);
    /* tls merges key by key with defaults.tls */
    CU_ASSERT_TRUE(c->tls_verify);
    CU_ASSERT_STRING_EQUAL(c->ca_file, "/etc/ssl/certs/ca-certificates.crt");
    CU_ASSERT_STRING_EQUAL(c->ca_dir, "/etc/ssl/certs");
    CU_ASSERT_EQUAL(c->tls_min_version, TLS1_3_VERSION);
}

static void
check_example_mx1_session(const smtpchk_config_entry *e)
{
    const smtpchk_check *c = e->check;
    CU_ASSERT_STRING_EQUAL(c->user, "monitor");
    CU_ASSERT_STRING_EQUAL(e->password_file, "/etc/smtpcheck/mx1.pw");
    CU_ASSERT_PTR_NULL(c->password); /* files not read in this test */
    CU_ASSERT_EQUAL(c->auth_mechs, SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_FALSE(c->allow_insecure_auth);
    CU_ASSERT_STRING_EQUAL(c->mail_from, "probe@example.net");
    CU_ASSERT_EQUAL_FATAL(c->nrcpt, 2);
    CU_ASSERT_STRING_EQUAL(c->rcpt[0], "ops@example.net");
    CU_ASSERT_STRING_EQUAL(c->rcpt[1], "noc@example.net");
    CU_ASSERT_STRING_EQUAL(c->subject, "SMTP probe");
    CU_ASSERT_STRING_EQUAL(c->body_html, "<p>probe</p>");
    CU_ASSERT_STRING_EQUAL(c->body_text, "probe");
    CU_ASSERT_PTR_NULL(e->body_html_file);
    CU_ASSERT_EQUAL_FATAL(c->nprobes, 4);
    CU_ASSERT_STRING_EQUAL(c->probes[0], "NOOP");
    CU_ASSERT_STRING_EQUAL(c->probes[1], "RSET");
    CU_ASSERT_STRING_EQUAL(c->probes[2], "HELP");
    CU_ASSERT_STRING_EQUAL(c->probes[3], "VRFY postmaster");
}

static void
expect_threshold(const smtpchk_threshold *t, uint32_t rising, uint32_t falling)
{
    CU_ASSERT_TRUE(t->set);
    CU_ASSERT_EQUAL(t->rising_ms, rising);
    CU_ASSERT_EQUAL(t->falling_ms, falling);
}

static void
check_example_mx1_alarms(const smtpchk_alarm_cfg *a)
{
    expect_threshold(&a->connect_time, 500, 300);
    expect_threshold(&a->login_time, 1000, 1000);
    expect_threshold(&a->transfer_time, 2000, 1500);
    expect_threshold(&a->total_time, 5000, 4000);
    CU_ASSERT_TRUE(a->on_response_code);
    CU_ASSERT_TRUE(a->on_error_code);
    CU_ASSERT_EQUAL(a->consecutive_failures, 3);
    CU_ASSERT_EQUAL(a->cert_days, 14);
    expect_threshold(&a->availability, 995, 990);
}

static void
check_example_submission(const smtpchk_config_entry *e, const char *config_dir)
{
    const smtpchk_check *c = e->check;
    char want[1024];
    CU_ASSERT_EQUAL(c->index, 2);
    CU_ASSERT_EQUAL(c->security, SMTPCHK_SEC_TLS);
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 465);
    CU_ASSERT_FALSE(c->tls_verify);
    CU_ASSERT_STRING_EQUAL(c->ca_file, "/etc/ssl/certs/ca-certificates.crt");
    CU_ASSERT_EQUAL(c->auth_mechs, SMTPCHK_AUTH_CRAM_MD5);
    snprintf(want, sizeof(want), "%s/submission.pw", config_dir);
    CU_ASSERT_STRING_EQUAL(e->password_file, want);
    snprintf(want, sizeof(want), "%s/probe.html", config_dir);
    CU_ASSERT_STRING_EQUAL(e->body_html_file, want);
    CU_ASSERT_PTR_NULL(c->body_html);
    CU_ASSERT_TRUE(e->alarms.on_response_code);
    CU_ASSERT_FALSE(e->alarms.on_error_code);
    CU_ASSERT_EQUAL(e->alarms.cert_days, -1);
}

static void
test_example_file(void)
{
    smtpchk_config *cfg = load_clean(EXAMPLE_CONFIG, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_STRING_EQUAL(cfg->path, EXAMPLE_CONFIG);
    CU_ASSERT_EQUAL_FATAL(cfg->n, 5);
    CU_ASSERT_EQUAL(cfg->entries[0].check->index, 1);
    CU_ASSERT_EQUAL(cfg->entries[1].check->index, 2);
    CU_ASSERT_EQUAL(cfg->entries[2].check->index, 3);
    CU_ASSERT_EQUAL(cfg->entries[2].check->protocol, SMTPCHK_PROTO_IMAP);
    CU_ASSERT_STRING_EQUAL(cfg->entries[2].check->mailbox, "INBOX");
    CU_ASSERT_EQUAL(smtpchk_check_port(cfg->entries[2].check), 993);
    CU_ASSERT_EQUAL(cfg->entries[3].check->protocol, SMTPCHK_PROTO_POP3);
    CU_ASSERT_EQUAL(smtpchk_check_port(cfg->entries[3].check), 110);
    CU_ASSERT_EQUAL(cfg->entries[4].check->index, 10);
    CU_ASSERT_EQUAL(cfg->entries[4].check->protocol, SMTPCHK_PROTO_SMTP);
    check_example_defaults(cfg);
    check_example_mx1_connection(&cfg->entries[0]);
    check_example_mx1_session(&cfg->entries[0]);
    check_example_mx1_alarms(&cfg->entries[0].alarms);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", EXAMPLE_CONFIG);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    check_example_submission(&cfg->entries[1], dir);
    smtpchk_config_free(cfg);
}

static void
test_minimal_defaults(void)
{
    char path[512];
    fixture("ok_minimal.conf", path, sizeof(path));
    smtpchk_config *cfg = load_clean(path, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL_FATAL(cfg->n, 1);
    CU_ASSERT_EQUAL(cfg->max_in_flight, 256);
    const smtpchk_config_entry *e = &cfg->entries[0];
    const smtpchk_check *c = e->check;
    CU_ASSERT_EQUAL(e->line, 3);
    CU_ASSERT_EQUAL(c->index, 7);
    CU_ASSERT_STRING_EQUAL(c->name, "plain");
    CU_ASSERT_EQUAL(e->interval_ms, 60000);
    CU_ASSERT_EQUAL(e->jitter_ms, 6000); /* interval / 10 */
    CU_ASSERT_EQUAL(e->history, 50);
    CU_ASSERT_FALSE(e->alarms.availability.set);
    CU_ASSERT_EQUAL(c->timeout_ms, 30000);
    CU_ASSERT_EQUAL(c->step_timeout_ms, 10000);
    CU_ASSERT_EQUAL(c->security, SMTPCHK_SEC_NONE);
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 25);
    CU_ASSERT_TRUE(c->tls_verify);
    CU_ASSERT_EQUAL(c->tls_min_version, 0);
    CU_ASSERT_PTR_NULL(c->ehlo_name);
    CU_ASSERT_EQUAL(c->auth_mechs, SMTPCHK_AUTH_ALL);
    CU_ASSERT_FALSE(c->strict_quit);
    CU_ASSERT_FALSE(e->alarms.total_time.set);
    CU_ASSERT_FALSE(e->alarms.on_response_code);
    CU_ASSERT_EQUAL(e->alarms.consecutive_failures, 1);
    CU_ASSERT_EQUAL(e->alarms.cert_days, -1);
    smtpchk_config_free(cfg);
}

static void
test_inherit_and_override(void)
{
    char path[512], want[512];
    fixture("ok_inherit.conf", path, sizeof(path));
    smtpchk_config *cfg = load_clean(path, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL_FATAL(cfg->n, 2);
    CU_ASSERT_EQUAL(cfg->max_in_flight, 8);
    /* sorted by index, not file order */
    const smtpchk_config_entry *first = &cfg->entries[0], *second = &cfg->entries[1];
    CU_ASSERT_STRING_EQUAL(first->check->name, "first");
    CU_ASSERT_EQUAL(first->interval_ms, 600500);
    CU_ASSERT_EQUAL(first->jitter_ms, 0);
    CU_ASSERT_EQUAL(first->check->timeout_ms, 5000);
    CU_ASSERT_EQUAL(first->check->step_timeout_ms, 5000); /* clamped to timeout */
    CU_ASSERT_STRING_EQUAL(first->check->ehlo_name, "probe.example.net");
    CU_ASSERT_FALSE(first->check->tls_verify);
    CU_ASSERT_EQUAL(first->check->tls_min_version, TLS1_3_VERSION);
    CU_ASSERT_STRING_EQUAL(second->check->name, "second");
    CU_ASSERT_EQUAL(second->line, 10);
    CU_ASSERT_EQUAL(second->interval_ms, 120000);
    CU_ASSERT_EQUAL(second->jitter_ms, 12000);
    CU_ASSERT_EQUAL(second->check->timeout_ms, 60000);
    CU_ASSERT_EQUAL(second->check->step_timeout_ms, 10000);
    CU_ASSERT_FALSE(second->check->tls_verify);
    snprintf(want, sizeof(want), "%s/certs", CONFIG_DIR);
    CU_ASSERT_STRING_EQUAL(second->check->ca_dir, want);
    CU_ASSERT_EQUAL(second->check->nrcpt, 0); /* empty "to": no mail */
    CU_ASSERT_PTR_NULL(second->check->mail_from);
    smtpchk_config_free(cfg);
}

static void
test_jitter_default_capped(void)
{
    scratch s;
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf",
                                     "defaults = { interval = 3600; };\n"
                                     "checks = ( { index = 1; name = \"a\"; host = \"h\"; } );\n",
                                     0644);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    smtpchk_config *cfg = load_clean(conf, true);
    CU_ASSERT_PTR_NOT_NULL(cfg);
    if (cfg != NULL)
        CU_ASSERT_EQUAL(cfg->entries[0].jitter_ms, 30000);
    smtpchk_config_free(cfg);
    scratch_clean(&s);
}

static void
test_find(void)
{
    smtpchk_config *cfg = load_clean(EXAMPLE_CONFIG, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const smtpchk_config_entry *e = smtpchk_config_find(cfg, "submission");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->check->index, 2);
    CU_ASSERT_PTR_EQUAL(smtpchk_config_find_index(cfg, 2), e);
    CU_ASSERT_PTR_NULL(smtpchk_config_find(cfg, "nope"));
    CU_ASSERT_PTR_NULL(smtpchk_config_find(cfg, NULL));
    CU_ASSERT_PTR_NULL(smtpchk_config_find_index(cfg, 5));
    CU_ASSERT_PTR_NULL(smtpchk_config_find(NULL, "mx1"));
    smtpchk_config_free(cfg);
    smtpchk_config_free(NULL);
}

/* ---- passwords and files next to the check file ---- */

static void
test_password_private(void)
{
    scratch s;
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", auth_conf, 0644);
    CU_ASSERT_PTR_NOT_NULL(scratch_write(&s, "pw", "s3cret\r\nsecond line\n", 0600));
    CU_ASSERT_PTR_NOT_NULL(scratch_write(&s, "body.html", "<p>from a file</p>\n", 0644));
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    smtpchk_config *cfg = load_clean(conf, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const smtpchk_check *c = cfg->entries[0].check;
    CU_ASSERT_STRING_EQUAL(c->password, "s3cret");
    CU_ASSERT_STRING_EQUAL(c->body_html, "<p>from a file</p>\n");
    CU_ASSERT_STRING_EQUAL(cfg->entries[0].password_file, s.files[1]);
    smtpchk_config_free(cfg);
    scratch_clean(&s);
}

/* A group-readable password file loads, with one warning. */
static void
test_password_warning_only(void)
{
    scratch s;
    char want[512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", auth_conf, 0644);
    const char *pw = scratch_write(&s, "pw", "s3cret", 0644);
    CU_ASSERT_PTR_NOT_NULL(scratch_write(&s, "body.html", "<p>x</p>", 0644));
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(conf, true, &cfg, d), 0);
    CU_ASSERT_PTR_NOT_NULL(cfg);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), 1);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 1), 0);
    CU_ASSERT_FALSE(smtpchk_diag_is_error(d, 0));
    snprintf(want, sizeof(want),
             "%s:3: warning: password file \"%s\" is readable by others (mode 0644)",
             conf, pw);
    expect_message(d, 0, want);
    if (cfg != NULL)
        CU_ASSERT_STRING_EQUAL(cfg->entries[0].check->password, "s3cret");
    smtpchk_config_free(cfg);
    smtpchk_diag_free(d);
    scratch_clean(&s);
}

static void
test_password_empty_and_body_missing(void)
{
    scratch s;
    char want[2][512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", auth_conf, 0644);
    const char *pw = scratch_write(&s, "pw", "\nnot the first line\n", 0600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(conf, true, &cfg, d), -1);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 1), 2);
    snprintf(want[0], sizeof(want[0]), "%s:3: error: password file \"%s\" is empty", conf, pw);
    snprintf(want[1], sizeof(want[1]),
             "%s:5: error: cannot read body file \"%s/body.html\": No such file or directory",
             conf, s.dir);
    expect_message(d, 0, want[0]);
    expect_message(d, 1, want[1]);
    smtpchk_diag_free(d);
    scratch_clean(&s);
}

static void
test_password_unreadable(void)
{
    EXPECT("password_missing.conf", true,
           "password_missing.conf:3: error: cannot read password file \"" CONFIG_DIR
           "/no-such.pw\": No such file or directory");
}

/* ---- bad files: one per kind of mistake ---- */

static void
test_missing_file(void)
{
    EXPECT("no-such-file.conf", true,
           "no-such-file.conf: error: cannot read the file: No such file or directory");
}

static void
test_syntax_error(void)
{
    EXPECT("syntax.conf", true, "syntax.conf:3: error: syntax error");
    /* The errors libconfig 1.5 leaks on; ASan's leak check watches these. */
    EXPECT("syntax_string.conf", true, "syntax_string.conf:4: error: syntax error");
    EXPECT("syntax_after_string.conf", true, "syntax_after_string.conf:3: error: syntax error");
}

static void
test_unknown_keys(void)
{
    EXPECT("unknown_keys.conf", true,
           "unknown_keys.conf:1: error: unknown key \"check\" (did you mean \"checks\"?)",
           "unknown_keys.conf:2: error: unknown key \"intervall\" (did you mean \"interval\"?)",
           "unknown_keys.conf:2: error: unknown key \"verfy\" (did you mean \"verify\"?)",
           "unknown_keys.conf:4: error: unknown key \"hots\" (did you mean \"host\"?)",
           "unknown_keys.conf:5: error: unknown key \"password\" (did you mean \"password_file\"?)",
           "unknown_keys.conf:5: error: missing \"password_file\"",
           "unknown_keys.conf:6: error: unknown key \"subjet\" (did you mean \"subject\"?)",
           "unknown_keys.conf:7: error: unknown key \"cert_day\" (did you mean \"cert_days\"?)",
           "unknown_keys.conf:7: error: unknown key \"zzzzzz\"",
           "unknown_keys.conf:7: error: unknown key \"risng\" (did you mean \"rising\"?)");
}

static void
test_wrong_types(void)
{
    EXPECT("types.conf", true,
           "types.conf:1: error: \"interval\" must be a number of seconds",
           "types.conf:1: error: \"tls\" must be a group { ... }",
           "types.conf:3: error: \"name\" must be a string",
           "types.conf:3: error: \"host\" must be a string",
           "types.conf:3: error: \"port\" must be an integer",
           "types.conf:3: error: \"strict_quit\" must be true or false",
           "types.conf:4: error: \"to\" must be a list of strings",
           "types.conf:5: error: \"connect_time\" must be a group { ... }",
           "types.conf:5: error: \"on_error\" must be true or false");
}

static void
test_out_of_range(void)
{
    EXPECT("ranges.conf", true,
           "ranges.conf:1: error: \"jitter\" must be between 0 and 86400 seconds",
           "ranges.conf:1: error: \"max_in_flight\" must be between 1 and 100000",
           "ranges.conf:3: error: \"index\" must be between 1 and 65535",
           "ranges.conf:3: error: \"port\" must be between 1 and 65535",
           "ranges.conf:4: error: \"interval\" must be between 1 and 86400 seconds",
           "ranges.conf:4: error: \"timeout\" must be between 0.1 and 3600 seconds",
           "ranges.conf:4: error: \"step_timeout\" must be between 0.1 and 3600 seconds",
           "ranges.conf:5: error: \"consecutive_failures\" must be between 1 and 1000",
           "ranges.conf:5: error: \"cert_days\" must be between 0 and 3650",
           "ranges.conf:6: error: \"rising\" must be between 1 and 3600000");
}

static void
test_duplicates(void)
{
    EXPECT("duplicates.conf", true,
           "duplicates.conf:4: error: duplicate index 1 (first used on line 2)",
           "duplicates.conf:6: error: duplicate name \"a\" (first used on line 2)");
}

static void
test_missing_required(void)
{
    EXPECT("missing.conf", true,
           "missing.conf:2: error: missing \"index\"",
           "missing.conf:2: error: missing \"name\"",
           "missing.conf:2: error: missing \"host\"",
           "missing.conf:3: error: missing \"user\"",
           "missing.conf:3: error: missing \"password_file\"",
           "missing.conf:4: error: missing \"rising\"");
}

static void
test_bad_security_and_tls(void)
{
    EXPECT("security.conf", true,
           "security.conf:2: error: \"security\" must be \"none\", \"starttls\" or \"tls\"",
           "security.conf:3: error: \"min_version\" must be \"1.2\" or \"1.3\"",
           "security.conf:4: error: \"security\" must be \"none\", \"starttls\" or \"tls\"",
           "security.conf:5: error: \"min_version\" must be \"1.2\" or \"1.3\"");
}

static void
test_bad_mechanisms(void)
{
    EXPECT("mechanisms.conf", false,
           "mechanisms.conf:3: error: unknown AUTH mechanism \"XOAUTH2\" (PLAIN, LOGIN or "
           "CRAM-MD5)",
           "mechanisms.conf:5: error: \"mechanisms\" must not be empty");
}

static void
test_rising_below_falling(void)
{
    EXPECT("thresholds.conf", true,
           "thresholds.conf:4: error: \"rising\" (300) must not be below \"falling\" (500)",
           "thresholds.conf:6: error: \"rising\" (2000) must not be below \"falling\" (2001)");
}

static void
test_header_injection(void)
{
    EXPECT("injection.conf", true,
           "injection.conf:1: error: \"ehlo_name\" contains CR or LF (header injection)",
           "injection.conf:4: error: \"from\" contains CR or LF (header injection)",
           "injection.conf:5: error: \"to\" contains CR or LF (header injection)",
           "injection.conf:6: error: \"subject\" contains CR or LF (header injection)");
}

static void
test_from_missing(void)
{
    /* the second check has an empty "to" and no "from": that is fine */
    EXPECT("from_missing.conf", true,
           "from_missing.conf:3: error: missing \"from\" (required when \"to\" is not empty)");
}

static void
test_bad_probes(void)
{
    const char *tail = " is not allowed (NOOP, RSET, HELP or \"VRFY <address>\")";
    const char *probes[] = {"EXPN root", "VRFY", "noop", "VRFY a??DATA"};
    char want[4][256];
    const char *w[4];
    for (size_t i = 0; i < 4; i++) {
        snprintf(want[i], sizeof(want[i]), "probes.conf:3: error: probe \"%s\"%s", probes[i],
                 tail);
        w[i] = want[i];
    }
    expect_diags("probes.conf", true, w, 4);
}

static void
test_timing_conflicts(void)
{
    /* the bad default is reported once, not again for check "c" */
    EXPECT("timing.conf", true,
           "timing.conf:1: error: \"step_timeout\" must not exceed \"timeout\"",
           "timing.conf:3: error: \"step_timeout\" must not exceed \"timeout\"",
           "timing.conf:4: error: \"jitter\" must not exceed \"interval\"");
}

static void
test_body_both(void)
{
    EXPECT("body_both.conf", true,
           "body_both.conf:5: error: \"body_html\" and \"body_html_file\" are mutually "
           "exclusive");
}

static void
test_bad_utf8(void)
{
    /* the subject holds a valid two-byte sequence */
    EXPECT("utf8.conf", true,
           "utf8.conf:5: error: \"body_html\" must be valid UTF-8",
           "utf8.conf:6: error: \"body_text\" must be valid UTF-8");
}

static void
test_body_file_not_utf8(void)
{
    scratch s;
    char want[512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", auth_conf, 0644);
    CU_ASSERT_PTR_NOT_NULL(scratch_write(&s, "pw", "s3cret\n", 0600));
    const char *body = scratch_write(&s, "body.html", "<p>\xe9t\xe9</p>", 0644);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(conf, true, &cfg, d), -1);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), 1);
    snprintf(want, sizeof(want), "%s:5: error: body file \"%s\" is not valid UTF-8", conf, body);
    expect_message(d, 0, want);
    smtpchk_diag_free(d);
    scratch_clean(&s);
}

static void
test_bad_addresses(void)
{
    EXPECT("addresses.conf", true,
           "addresses.conf:2: error: \"name\" must be 1 to 64 characters, without control "
           "characters",
           "addresses.conf:2: error: \"host\" must be a host name or address",
           "addresses.conf:2: error: \"source\" must be a host name or address",
           "addresses.conf:3: error: \"from\" must be a bare address (no spaces or angle "
           "brackets)",
           "addresses.conf:3: error: \"to\" must hold bare addresses (no spaces or angle "
           "brackets)",
           "addresses.conf:3: error: \"to\" must hold bare addresses (no spaces or angle "
           "brackets)");
}

static void
test_bad_shapes(void)
{
    EXPECT("shape.conf", true,
           "shape.conf:1: error: \"defaults\" must be a group { ... }",
           "shape.conf:3: error: each entry of \"checks\" must be a group { ... }",
           "shape.conf:4: error: \"auth\" must be a group { ... }");
    EXPECT("not_list.conf", true,
           "not_list.conf:1: error: \"checks\" must be a list ( { ... }, ... )");
}

/* Every problem of a file with many, in file order, in one load. */
static void
test_multi_error(void)
{
    EXPECT("multi.conf", true,
           "multi.conf:1: error: \"timeout\" must be between 0.1 and 3600 seconds",
           "multi.conf:3: error: unknown key \"hots\" (did you mean \"host\"?)",
           "multi.conf:3: error: missing \"host\"",
           "multi.conf:5: error: \"port\" must be between 1 and 65535",
           "multi.conf:6: error: password file \"/dev/null\" is not a regular file",
           "multi.conf:6: error: unknown AUTH mechanism \"NTLM\" (PLAIN, LOGIN or CRAM-MD5)",
           "multi.conf:7: error: \"rising\" (100) must not be below \"falling\" (200)",
           "multi.conf:9: error: duplicate index 1 (first used on line 3)",
           "multi.conf:9: error: duplicate name \"mx1\" (first used on line 3)",
           "multi.conf:10: error: probe \"QUIT\" is not allowed (NOOP, RSET, HELP or "
           "\"VRFY <address>\")");
}

/* One bad check means no check at all, and *out is reset. */
static void
test_all_or_nothing(void)
{
    EXPECT("partial.conf", true, "partial.conf:4: error: \"port\" must be between 1 and 65535");
    char path[512];
    fixture("partial.conf", path, sizeof(path));
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(path, true, &cfg, NULL), -1); /* diags may be NULL */
    CU_ASSERT_PTR_NULL(cfg);
}

static void
test_no_checks_is_a_warning(void)
{
    scratch s;
    char want[512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", "defaults = { interval = 5; };\n", 0644);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    CU_ASSERT_EQUAL(load(conf, true, &cfg, d), 0);
    CU_ASSERT_PTR_NOT_NULL(cfg);
    if (cfg != NULL)
        CU_ASSERT_EQUAL(cfg->n, 0);
    snprintf(want, sizeof(want), "%s: warning: no checks defined", conf);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), 1);
    expect_message(d, 0, want);
    smtpchk_config_free(cfg);
    smtpchk_diag_free(d);
    scratch_clean(&s);
}

/* ---- nothing in a check file can block, hang or exit the loader ---- */

static double
now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Loads path: it fails within a second with exactly these messages. */
static void
expect_refused(const char *path, const char *const *want, size_t n)
{
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    double t0 = now_s();
    CU_ASSERT_EQUAL(load(path, true, &cfg, d), -1);
    CU_ASSERT_TRUE(now_s() - t0 < 1.0);
    CU_ASSERT_PTR_NULL(cfg);
    if (smtpchk_diag_count(d, 0) != n)
        fprintf(stderr, "\n  %s: %zu messages, want %zu\n", path, smtpchk_diag_count(d, 0), n);
    CU_ASSERT_EQUAL(smtpchk_diag_count(d, 0), n);
    for (size_t i = 0; i < n; i++)
        expect_message(d, i, want[i]);
    smtpchk_diag_free(d);
}

static const char named_files_conf[] =
    "checks = (\n"
    "  { index = 1; name = \"a\"; host = \"h\";\n"
    "    auth = { user = \"u\"; password_file = \"pw.fifo\"; };\n"
    "    mail = { body_html_file = \"body.fifo\"; }; },\n"
    "  { index = 2; name = \"b\"; host = \"h\";\n"
    "    auth = { user = \"u\"; password_file = \"/dev/zero\"; };\n"
    "    tls = { ca_file = \"pw.fifo\"; ca_dir = \"pw.fifo\"; }; mail = { body_text_file = \"sub\"; }; }\n"
    ");\n";

/* FIFOs nobody writes to, a device and a directory as the files a check
 * names: each refused before reading, with its line. */
static void
test_named_files_refused(void)
{
    scratch s;
    char want[6][512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", named_files_conf, 0644);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(scratch_fifo(&s, "pw.fifo"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(scratch_fifo(&s, "body.fifo"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(scratch_dir(&s, "sub"));
    snprintf(want[0], sizeof(want[0]), "%s:3: error: password file \"%s/pw.fifo\" is not a "
             "regular file", conf, s.dir);
    snprintf(want[1], sizeof(want[1]), "%s:4: error: body file \"%s/body.fifo\" is not a "
             "regular file", conf, s.dir);
    snprintf(want[2], sizeof(want[2]), "%s:6: error: password file \"/dev/zero\" is not a "
             "regular file", conf);
    snprintf(want[3], sizeof(want[3]), "%s:7: error: CA file \"%s/pw.fifo\" is not a regular "
             "file", conf, s.dir);
    snprintf(want[4], sizeof(want[4]), "%s:7: error: cannot read CA directory \"%s/pw.fifo\": "
             "Not a directory", conf, s.dir);
    snprintf(want[5], sizeof(want[5]), "%s:7: error: body file \"%s/sub\" is not a regular "
             "file", conf, s.dir);
    const char *w[] = {want[0], want[1], want[2], want[3], want[4], want[5]};
    expect_refused(conf, w, NELEM(w));
    scratch_clean(&s);
}

/* A check file of len bytes: a head, then fill up to len, then tail. */
static const char *
big_file(scratch *s, const char *name, const char *head, char fill, size_t len,
         const char *tail)
{
    char *text = malloc(len + 1);
    if (text == NULL)
        return NULL;
    size_t h = strlen(head), t = strlen(tail);
    memcpy(text, head, h);
    memset(text + h, fill, len - h - t);
    memcpy(text + len - t, tail, t);
    const char *path = scratch_bytes(s, name, text, len, 0644);
    free(text);
    return path;
}

__attribute__((format(printf, 2, 3))) static void
expect_one(const char *path, const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    const char *w[] = {want};
    expect_refused(path, w, 1);
}

static void
test_check_file_refused(void)
{
    scratch s;
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *fifo = scratch_fifo(&s, "fifo.conf"), *dir = scratch_dir(&s, "sub");
    const char *inc = scratch_write(&s, "inc.conf", "checks = ();\n  @include \"sub\"\n", 0644);
    const char *nul = scratch_bytes(&s, "nul.conf", "checks = ();\n#\0\n", 15, 0644);
    const char *token = big_file(&s, "token.conf", "a = \"", 'x', 10000008, "\";\n");
    const char *line = big_file(&s, "line.conf", "checks = ();\nb = \"", 'x', 3000000, "\";\n");
    const char *big = big_file(&s, "big.conf", "checks = ();\n", '\n', 5u << 20, "");
    CU_ASSERT_FATAL(fifo && dir && inc && nul && token && line && big);
    expect_one(fifo, "%s: error: not a regular file (a FIFO)", fifo);
    expect_one(dir, "%s: error: not a regular file (a directory)", dir);
    expect_one("/dev/zero", "/dev/zero: error: not a regular file (a device)");
    expect_one(inc, "%s:2: error: @include is not supported: write the checks in this file", inc);
    expect_one(nul, "%s:2: error: a NUL byte", nul);
    expect_one(token, "%s:1: error: the file is larger than 4 MiB (10000008 bytes)", token);
    expect_one(line, "%s:2: error: the line is longer than 1 MiB (split a long string: "
                     "\"a\" \"b\")", line);
    /* the line where the 4 MiB are crossed: a head line, then newlines */
    expect_one(big, "%s:4194293: error: the file is larger than 4 MiB (5242880 bytes)", big);
    scratch_clean(&s);
}

static void
test_body_text_file(void)
{
    scratch s;
    char want[512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf",
                                     "checks = ( { index = 1; name = \"a\"; host = \"h\";\n"
                                     "  mail = { body_text_file = \"t.txt\"; }; } );\n", 0644);
    CU_ASSERT_PTR_NOT_NULL(scratch_write(&s, "t.txt", "plain text\n", 0644));
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    smtpchk_config *cfg = load_clean(conf, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_STRING_EQUAL(cfg->entries[0].check->body_text, "plain text\n");
    snprintf(want, sizeof(want), "%s/t.txt", s.dir);
    CU_ASSERT_STRING_EQUAL(cfg->entries[0].body_text_file, want);
    smtpchk_config_free(cfg);
    conf = scratch_write(&s, "d.conf",
                         "checks = ( { index = 1; name = \"a\"; host = \"h\";\n"
                         "  mail = { body_text = \"x\";\n body_text_file = \"t.txt\"; }; } );\n",
                         0644);
    snprintf(want, sizeof(want), "%s:3: error: \"body_text\" and \"body_text_file\" are mutually "
             "exclusive", conf);
    const char *w[] = {want};
    expect_refused(conf, w, 1);
    scratch_clean(&s);
}

/* Only a password file's first line counts, so only its head is read;
 * a body is capped at 1 MiB. */
static void
test_file_sizes(void)
{
    scratch s;
    char want[512];
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    const char *conf = scratch_write(&s, "c.conf", auth_conf, 0644);
    CU_ASSERT_PTR_NOT_NULL(big_file(&s, "pw", "s3cret\n", '#', 100000, "\n"));
    chmod(s.files[1], 0600);
    const char *body = big_file(&s, "body.html", "<p>", 'x', (1u << 20) + 1, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    snprintf(want, sizeof(want), "%s:5: error: body file \"%s\" is larger than 1 MiB", conf,
             body);
    const char *w[] = {want};
    expect_refused(conf, w, 1);
    CU_ASSERT_PTR_NOT_NULL(big_file(&s, "body.html", "<p>", 'x', 1u << 20, ""));
    smtpchk_config *cfg = load_clean(conf, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_STRING_EQUAL(cfg->entries[0].check->password, "s3cret");
    CU_ASSERT_EQUAL(strlen(cfg->entries[0].check->body_html), 1u << 20);
    smtpchk_config_free(cfg);
    scratch_clean(&s);
}

/* No hidden limit on the number of checks. */
static void
test_many_checks(void)
{
    enum { N = 1500 };
    scratch s;
    CU_ASSERT_EQUAL_FATAL(scratch_init(&s), 0);
    size_t cap = 64 * N + 64, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    len += (size_t)snprintf(text, cap, "checks = (\n");
    for (int i = 1; i <= N; i++)
        len += (size_t)snprintf(text + len, cap - len, "{ index = %d; name = \"c%d\"; host = "
                                "\"h\"; }%s\n", i, i, i < N ? "," : "");
    len += (size_t)snprintf(text + len, cap - len, ");\n");
    const char *conf = scratch_bytes(&s, "c.conf", text, len, 0644);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    smtpchk_config *cfg = load_clean(conf, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(cfg->n, N);
    CU_ASSERT_EQUAL(cfg->entries[N - 1].check->index, N);
    smtpchk_config_free(cfg);
    scratch_clean(&s);
}

static void
test_diag_edges(void)
{
    smtpchk_diag_free(NULL);
    CU_ASSERT_EQUAL(smtpchk_diag_count(NULL, 0), 0);
    CU_ASSERT_PTR_NULL(smtpchk_diag_message(NULL, 0));
    smtpchk_diag *d = smtpchk_diag_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NULL(smtpchk_diag_message(d, 0));
    CU_ASSERT_FALSE(smtpchk_diag_is_error(d, 0));
    smtpchk_diag_free(d);
}

void
register_tests(void)
{
    SUITE_ADD("config",
              TEST(test_example_file),
              TEST(test_minimal_defaults),
              TEST(test_inherit_and_override),
              TEST(test_jitter_default_capped),
              TEST(test_find),
              TEST(test_password_private),
              TEST(test_password_warning_only),
              TEST(test_password_empty_and_body_missing),
              TEST(test_password_unreadable),
              TEST(test_missing_file),
              TEST(test_syntax_error),
              TEST(test_unknown_keys),
              TEST(test_wrong_types),
              TEST(test_out_of_range),
              TEST(test_duplicates),
              TEST(test_missing_required),
              TEST(test_bad_security_and_tls),
              TEST(test_bad_mechanisms),
              TEST(test_rising_below_falling),
              TEST(test_header_injection),
              TEST(test_from_missing),
              TEST(test_bad_probes),
              TEST(test_timing_conflicts),
              TEST(test_body_both),
              TEST(test_bad_utf8),
              TEST(test_body_file_not_utf8),
              TEST(test_bad_addresses),
              TEST(test_bad_shapes),
              TEST(test_multi_error),
              TEST(test_all_or_nothing),
              TEST(test_no_checks_is_a_warning),
              TEST(test_named_files_refused),
              TEST(test_check_file_refused),
              TEST(test_body_text_file),
              TEST(test_file_sizes),
              TEST(test_many_checks),
              TEST(test_diag_edges));
}
