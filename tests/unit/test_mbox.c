/*
 * Unit tests for the IMAP and POP3 cores (core/proto/imap.c, pop3.c,
 * mbox.c), driven through the protocol ops table exactly as the engine
 * drives them. Transcripts live in tests/unit/transcripts_mbox/; the
 * format is that of test_session.c, with these keys:
 *
 *   set KEY VALUE     protocol imap|pop3, security none|starttls|tls,
 *                     user, password, mechs PLAIN,LOGIN, insecure_auth 0|1,
 *                     mailbox, mode probe|find, token, check, max_scan N,
 *                     step_timeout MS, timeout MS
 *   at MS             the next event or feed happens MS ms after start
 *                     (otherwise each is 1 ms later)
 *   S: TEXT           a server line (CRLF appended); S= raw bytes with
 *                     escapes \r \n \\ \xHH; consecutive ones are one buffer
 *   flush             feed the pending server bytes now
 *   C: TEXT           the next line the client wrote, without CRLF
 *   event tls ok | tls fail ERRORNAME | eof | timeout | failed ERRORNAME
 *   expect error NAME | step NAME | code N | action none|start_tls|close |
 *          finished 0|1 | state NAME | found 0|1 | deleted N | scanned N |
 *          tls 0|1 | quit_clean 0|1 | auth_mech TEXT | greeting TEXT |
 *          time PHASE == MS (-1 = did not run) | transcript_has TEXT |
 *          transcript_lacks TEXT | detail_has TEXT
 *
 * The session connects before the first server bytes (resolved at 1 ms,
 * connected at 3 ms; implicit TLS then waits for "event tls ok"). Client
 * output is taken after every call, as a transport would; a C: line
 * must match it, and none may be left at the end. The password and the
 * SASL PLAIN response must never appear in the transcript callback's
 * lines. Each script runs whole and then one byte per feed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "cunit_main.h"
#include "protocol.h"
#include "smtpchk.h"

#ifndef MBOX_TRANSCRIPT_DIR
#define MBOX_TRANSCRIPT_DIR "tests/unit/transcripts_mbox"
#endif

#define T0 ((int64_t)1000000000)
#define MS ((int64_t)1000)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct runner {
    const char *name;
    unsigned lineno;
    int bytewise, quiet;
    smtpchk_protocol proto;
    smtpchk_mbox_params p;
    char user[128], password[128], mailbox[128], token[160], check[160];
    const smtpchk_protocol_ops *ops;
    void *s;
    int64_t now, at;
    int connected;
    smtpchk_buf server, client, log;
    unsigned failures;
} runner;

static void
tx_fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tx_fail(runner *r, const char *fmt, ...)
{
    r->failures++;
    if (r->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n  %s:%u (%s): ", r->name, r->lineno, r->bytewise ? "bytewise" : "whole");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    CU_FAIL("transcript mismatch");
}

static void
append_or_die(smtpchk_buf *b, const void *p, size_t n)
{
    if (smtpchk_buf_append(b, p, n) != 0)
        abort();
}

static void
on_transcript(void *ud, char dir, const char *line, size_t len)
{
    runner *r = ud;
    const char *tag = dir == '>' ? "C: " : dir == '<' ? "S: " : "*: ";
    append_or_die(&r->log, tag, 3);
    append_or_die(&r->log, line, len);
    append_or_die(&r->log, "\n", 1);
}

static void
tick(runner *r)
{
    r->now = r->at >= 0 ? T0 + r->at * MS : r->now + MS;
    r->at = -1;
}

static void
collect(runner *r)
{
    size_t n;
    const char *out = r->ops->output(r->s, &n);
    if (n > 0) {
        append_or_die(&r->client, out, n);
        r->ops->output_done(r->s, r->now, n);
    }
}

static int
start(runner *r)
{
    if (r->s != NULL)
        return 0;
    r->ops = smtpchk_protocol_ops_get(r->proto);
    r->s = r->ops->new_session(NULL, &r->p, NULL, NULL, T0);
    if (r->s == NULL) {
        tx_fail(r, "new_session failed");
        return -1;
    }
    r->ops->set_transcript(r->s, on_transcript, r);
    return 0;
}

static void
connect_now(runner *r)
{
    if (r->connected)
        return;
    r->connected = 1;
    r->ops->resolved(r->s, T0 + 1 * MS);
    r->ops->connecting(r->s, T0 + 2 * MS);
    r->ops->connected(r->s, T0 + 3 * MS, "[192.0.2.10]:143");
    if (r->now < T0 + 3 * MS)
        r->now = T0 + 3 * MS;
    collect(r);
}

static void
require_idle(runner *r, const char *before)
{
    if (r->client.len > 0) {
        tx_fail(r, "client wrote \"%.*s\" not matched before %s", (int)r->client.len,
                r->client.data, before);
        smtpchk_buf_clear(&r->client);
    }
}

static void
flush_server(runner *r)
{
    if (r->server.len == 0)
        return;
    if (start(r) != 0)
        return;
    connect_now(r);
    require_idle(r, "server bytes");
    tick(r);
    size_t len = r->server.len, used = 0;
    while (used < len) {
        size_t want = r->bytewise ? 1 : len - used;
        size_t n = r->ops->feed(r->s, r->now, r->server.data + used, want);
        used += n;
        if (n < want)
            break;
    }
    collect(r); /* one batch arrived at once: nothing is written in between */
    smtpchk_buf_clear(&r->server);
}

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void
server_raw(runner *r, const char *s)
{
    while (*s != '\0') {
        char c = *s++;
        if (c == '\\' && *s != '\0') {
            char e = *s++;
            c = e == 'r' ? '\r' : e == 'n' ? '\n' : e;
            if (e == 'x' && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
                c = (char)(hexval(s[0]) * 16 + hexval(s[1]));
                s += 2;
            }
        }
        append_or_die(&r->server, &c, 1);
    }
}

static void
copy_value(runner *r, char *dst, size_t n, const char *v)
{
    if (strlen(v) >= n)
        tx_fail(r, "value too long");
    snprintf(dst, n, "%s", v);
}

/* A whole decimal number in [min, max]; anything else fails the script. */
static int
parse_num(runner *r, const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max) {
        tx_fail(r, "not a number in [%lld, %lld]: \"%s\"", min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* The numeric settings: 0 if key is one of them (set, or failed). */
static int
set_number(runner *r, const char *key, const char *v)
{
    smtpchk_mbox_params *p = &r->p;
    long long n;
    if (strcmp(key, "insecure_auth") == 0) {
        if (parse_num(r, v, 0, 1, &n) == 0)
            p->allow_insecure_auth = n != 0;
    } else if (strcmp(key, "max_scan") == 0) {
        if (parse_num(r, v, 0, UINT_MAX, &n) == 0)
            p->max_scan = (unsigned)n;
    } else if (strcmp(key, "step_timeout") == 0) {
        if (parse_num(r, v, 0, UINT32_MAX, &n) == 0)
            p->step_timeout_ms = (uint32_t)n;
    } else if (strcmp(key, "timeout") == 0) {
        if (parse_num(r, v, 0, UINT32_MAX, &n) == 0)
            p->timeout_ms = (uint32_t)n;
    } else {
        return -1;
    }
    return 0;
}

static void
do_set(runner *r, const char *key, const char *v)
{
    smtpchk_mbox_params *p = &r->p;
    if (strcmp(key, "protocol") == 0 && smtpchk_protocol_parse(v, &r->proto) == 0)
        return;
    if (strcmp(key, "security") == 0 && smtpchk_security_parse(v, &p->security) == 0)
        return;
    if (set_number(r, key, v) == 0)
        return;
    if (strcmp(key, "user") == 0)
        copy_value(r, r->user, sizeof(r->user), v);
    else if (strcmp(key, "password") == 0)
        copy_value(r, r->password, sizeof(r->password), v);
    else if (strcmp(key, "mailbox") == 0)
        p->mailbox = (copy_value(r, r->mailbox, sizeof(r->mailbox), v), r->mailbox);
    else if (strcmp(key, "token") == 0)
        p->token = (copy_value(r, r->token, sizeof(r->token), v), r->token);
    else if (strcmp(key, "check") == 0)
        p->check_id = (copy_value(r, r->check, sizeof(r->check), v), r->check);
    else if (strcmp(key, "mode") == 0)
        p->mode = strcmp(v, "find") == 0 ? SMTPCHK_MBOX_FIND : SMTPCHK_MBOX_PROBE;
    else if (strcmp(key, "mechs") == 0) {
        if (smtpchk_auth_parse_list(v, &p->auth_mechs, NULL, 0) != 0)
            tx_fail(r, "bad mechs %s", v);
    } else
        tx_fail(r, "unknown set %s", key);
}

static void
do_client(runner *r, const char *want)
{
    flush_server(r);
    if (start(r) != 0)
        return;
    connect_now(r);
    size_t n = strcspn(r->client.data != NULL ? r->client.data : "", "\n");
    if (r->client.len == 0 || n == r->client.len || n == 0 || r->client.data[n - 1] != '\r') {
        tx_fail(r, "expected client line \"%s\", client wrote \"%.*s\"", want,
                (int)r->client.len, r->client.data != NULL ? r->client.data : "");
        smtpchk_buf_clear(&r->client);
        return;
    }
    if (n - 1 != strlen(want) || memcmp(r->client.data, want, n - 1) != 0)
        tx_fail(r, "expected client line \"%s\", got \"%.*s\"", want, (int)(n - 1),
                r->client.data);
    smtpchk_buf_consume(&r->client, n + 1);
}

static void
tls_facts(smtpchk_tls_facts *f, int expired)
{
    *f = (smtpchk_tls_facts){"TLSv1.3", "TLS_AES_256_GCM_SHA384", "CN=mail.test", "CN=ca",
                             1, expired ? -3 : 90};
}

static int
error_named(runner *r, const char *name, smtpchk_error *e)
{
    for (int i = 0; i < SMTPCHK_ERR__COUNT; i++)
        if (strcmp(smtpchk_error_name((smtpchk_error)i), name) == 0) {
            *e = (smtpchk_error)i;
            return 0;
        }
    tx_fail(r, "unknown error name %s", name);
    return -1;
}

static void
do_event(runner *r, const char *arg)
{
    flush_server(r);
    if (start(r) != 0)
        return;
    connect_now(r);
    require_idle(r, arg);
    tick(r);
    smtpchk_tls_facts f;
    smtpchk_error e;
    if (strcmp(arg, "tls ok") == 0) {
        tls_facts(&f, 0);
        r->ops->tls_done(r->s, r->now, &f);
    } else if (strncmp(arg, "tls fail ", 9) == 0 && error_named(r, arg + 9, &e) == 0) {
        tls_facts(&f, 1);
        r->ops->tls_facts(r->s, &f);
        r->ops->transport_failed(r->s, r->now, e, "handshake failed");
    } else if (strncmp(arg, "failed ", 7) == 0 && error_named(r, arg + 7, &e) == 0) {
        r->ops->transport_failed(r->s, r->now, e, NULL);
    } else if (strcmp(arg, "eof") == 0) {
        r->ops->eof(r->s, r->now);
    } else if (strcmp(arg, "timeout") == 0) {
        r->now = r->ops->deadline(r->s);
        r->ops->timeout(r->s, r->now);
    } else {
        tx_fail(r, "unknown event %s", arg);
    }
    collect(r);
}

static void
expect_int(runner *r, const char *what, long long got, long long want)
{
    if (got != want)
        tx_fail(r, "%s: got %lld, want %lld", what, got, want);
}

/* want is the script's text: a number, or the script fails. */
static void
expect_num(runner *r, const char *what, long long got, const char *want)
{
    long long n;
    if (parse_num(r, want, LLONG_MIN, LLONG_MAX, &n) == 0)
        expect_int(r, what, got, n);
}

static void
expect_str(runner *r, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        tx_fail(r, "%s: got \"%s\", want \"%s\"", what, got, want);
}

static const char *
action_name(smtpchk_action a)
{
    return a == SMTPCHK_ACT_CLOSE ? "close" : a == SMTPCHK_ACT_START_TLS ? "start_tls" : "none";
}

static void
expect_time(runner *r, const smtpchk_result *res, const char *arg)
{
    char phase[32];
    int off = 0;
    if (sscanf(arg, "%31s == %n", phase, &off) != 1 || off == 0) {
        tx_fail(r, "bad time expectation %s", arg);
        return;
    }
    for (int i = 0; i < SMTPCHK_PHASE__COUNT; i++) {
        if (strcmp(smtpchk_phase_name((smtpchk_phase)i), phase) != 0)
            continue;
        int64_t us = res->phase_us[i];
        expect_num(r, phase, us < 0 ? -1 : us / MS, arg + off);
        return;
    }
    tx_fail(r, "unknown phase %s", phase);
}

static void
expect_contains(runner *r, const char *what, const char *hay, const char *needle, int want)
{
    int has = strstr(hay != NULL ? hay : "", needle) != NULL;
    if (has != want)
        tx_fail(r, "%s %s \"%s\"", what, want ? "lacks" : "has", needle);
}

static void
do_expect(runner *r, const char *arg)
{
    flush_server(r);
    if (start(r) != 0)
        return;
    const smtpchk_result *res = r->ops->result(r->s);
    smtpchk_find_result fr;
    r->ops->find_result(r->s, &fr);
    char field[32];
    int off = 0;
    if (sscanf(arg, "%31s %n", field, &off) != 1) {
        tx_fail(r, "bad expect");
        return;
    }
    const char *v = arg + off;
    if (strcmp(field, "error") == 0)
        expect_str(r, field, smtpchk_error_name(res->error), v);
    else if (strcmp(field, "step") == 0)
        expect_str(r, field, smtpchk_step_name(res->failed_step), v);
    else if (strcmp(field, "code") == 0)
        expect_num(r, field, res->response_code, v);
    else if (strcmp(field, "action") == 0)
        expect_str(r, field, action_name(r->ops->action(r->s)), v);
    else if (strcmp(field, "finished") == 0)
        expect_num(r, field, r->ops->finished(r->s), v);
    else if (strcmp(field, "state") == 0)
        expect_str(r, field, r->ops->state_name(r->s), v);
    else if (strcmp(field, "found") == 0)
        expect_num(r, field, fr.found, v);
    else if (strcmp(field, "deleted") == 0)
        expect_num(r, field, fr.deleted, v);
    else if (strcmp(field, "scanned") == 0)
        expect_num(r, field, fr.scanned, v);
    else if (strcmp(field, "tls") == 0)
        expect_num(r, field, res->tls, v);
    else if (strcmp(field, "quit_clean") == 0)
        expect_num(r, field, res->quit_clean, v);
    else if (strcmp(field, "auth_mech") == 0)
        expect_str(r, field, res->auth_mech, v);
    else if (strcmp(field, "greeting") == 0)
        expect_str(r, field, res->greeting, v);
    else if (strcmp(field, "time") == 0)
        expect_time(r, res, v);
    else if (strcmp(field, "transcript_has") == 0)
        expect_contains(r, "transcript", r->log.data, v, 1);
    else if (strcmp(field, "transcript_lacks") == 0)
        expect_contains(r, "transcript", r->log.data, v, 0);
    else if (strcmp(field, "detail_has") == 0)
        expect_contains(r, "detail", res->error_detail, v, 1);
    else
        tx_fail(r, "unknown expect %s", field);
}

static void
run_line(runner *r, const char *line)
{
    if (line[0] == '\0' || line[0] == '#')
        return;
    if (strncmp(line, "S: ", 3) == 0) {
        append_or_die(&r->server, line + 3, strlen(line + 3));
        append_or_die(&r->server, "\r\n", 2);
    } else if (strncmp(line, "S= ", 3) == 0) {
        server_raw(r, line + 3);
    } else if (strcmp(line, "flush") == 0) {
        flush_server(r);
    } else if (strncmp(line, "C: ", 3) == 0) {
        do_client(r, line + 3);
    } else if (strncmp(line, "set ", 4) == 0) {
        char key[32];
        int off = 0;
        if (r->s != NULL || sscanf(line + 4, "%31s %n", key, &off) != 1)
            tx_fail(r, "bad set");
        else
            do_set(r, key, line + 4 + off);
    } else if (strncmp(line, "at ", 3) == 0) {
        flush_server(r);
        long long at;
        if (parse_num(r, line + 3, 0, (INT64_MAX - T0) / MS, &at) == 0)
            r->at = at;
    } else if (strncmp(line, "event ", 6) == 0) {
        do_event(r, line + 6);
    } else if (strncmp(line, "expect ", 7) == 0) {
        do_expect(r, line + 7);
    } else {
        tx_fail(r, "unknown directive %s", line);
    }
}

/* Neither the password nor the SASL PLAIN response may be logged. */
static void
check_no_secrets(runner *r)
{
    if (r->log.data == NULL || strlen(r->password) < 4)
        return;
    expect_contains(r, "transcript", r->log.data, r->password, 0);
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    if (smtpchk_auth_plain_response(r->user, r->password, &b) == 0)
        expect_contains(r, "transcript", r->log.data, b.data, 0);
    smtpchk_buf_free(&b);
}

static unsigned
run_script(const char *name, const char *text, int bytewise, int quiet)
{
    runner r;
    memset(&r, 0, sizeof(r));
    r.name = name;
    r.bytewise = bytewise;
    r.quiet = quiet;
    r.at = -1;
    r.now = T0;
    r.proto = SMTPCHK_PROTO_IMAP;
    r.p = (smtpchk_mbox_params){.security = SMTPCHK_SEC_NONE, .user = r.user,
                                .password = r.password, .timeout_ms = 60000,
                                .step_timeout_ms = 10000};
    snprintf(r.user, sizeof(r.user), "monitor");
    snprintf(r.password, sizeof(r.password), "s3cret!pw");
    smtpchk_buf_init(&r.server);
    smtpchk_buf_init(&r.client);
    smtpchk_buf_init(&r.log);
    char line[4096];
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        r.lineno++;
        snprintf(line, sizeof(line), "%.*s", (int)n, p);
        run_line(&r, line);
        p += n + (p[n] == '\n');
    }
    flush_server(&r);
    if (r.s != NULL)
        require_idle(&r, "the end");
    check_no_secrets(&r);
    unsigned failures = r.failures;
    if (r.s != NULL)
        r.ops->free_session(r.s);
    smtpchk_buf_free(&r.server);
    smtpchk_buf_free(&r.client);
    smtpchk_buf_free(&r.log);
    return failures;
}

static char *
read_file(const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", MBOX_TRANSCRIPT_DIR, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        append_or_die(&b, chunk, n);
    fclose(f);
    append_or_die(&b, "", 0);
    return b.data;
}

static void
run_transcript(const char *file)
{
    char *text = read_file(file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    if (run_script(file, text, 0, 0) == 0)
        run_script(file, text, 1, 0);
    free(text);
}

#include "mbox_transcripts.h"

#define TRANSCRIPT_FN(name) \
    static void test_tx_##name(void) { run_transcript(#name ".txt"); }
MBOX_TRANSCRIPTS(TRANSCRIPT_FN)

#define TRANSCRIPT_NAME(name) #name ".txt",
static const char *const transcript_files[] = {MBOX_TRANSCRIPTS(TRANSCRIPT_NAME)};

static void
test_all_transcripts_listed(void)
{
    DIR *d = opendir(MBOX_TRANSCRIPT_DIR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    size_t seen = 0, total = ARRAY_LEN(transcript_files);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        size_t i = 0;
        while (i < total && strcmp(transcript_files[i], e->d_name) != 0)
            i++;
        if (i == total)
            fprintf(stderr, "\n  transcript %s is not in MBOX_TRANSCRIPTS()\n", e->d_name);
        CU_ASSERT(i < total);
        seen++;
    }
    closedir(d);
    CU_ASSERT_EQUAL(seen, total);
}

/* The runner must catch a wrong client line, leftover output, a wrong
 * expectation and a logged password. */
static void
test_runner_catches_mismatch(void)
{
    static const char wrong_line[] = "S: * OK hi\nC: A1 NOOP\n";
    static const char leftover[] = "S: * OK hi\n";
    static const char wrong_expect[] = "S: * BYE go\nexpect code 3\n";
    static const char secret[] = "set password s3cret!pw\nset insecure_auth 1\n"
                                 "set protocol pop3\nset mechs LOGIN\n"
                                 "S: +OK\nC: CAPA\nS: -ERR\nC: USER monitor\nS: +OK\n"
                                 "C: PASS <redacted>\nexpect transcript_has PASS s3cret\n";
    CU_ASSERT(run_script("wrong_line", wrong_line, 0, 1) > 0);
    CU_ASSERT(run_script("leftover", leftover, 0, 1) > 0);
    CU_ASSERT(run_script("wrong_expect", wrong_expect, 0, 1) > 0);
    CU_ASSERT(run_script("secret", secret, 0, 1) > 0);
}

/* A number the script gets wrong fails it instead of reading as 0 or a prefix. */
static void
test_runner_refuses_bad_numbers(void)
{
    static const char *const bad[] = {
        "set max_scan 2x\n",       "set timeout -1\n",
        "set step_timeout 4294967296\n", "set insecure_auth yes\n",
        "at 10ms\n",               "S: * BYE go\nexpect code 4O\n",
        "S: * BYE go\nexpect code 99999999999999999999\n",
        "S: * BYE go\nexpect time greeting == 1.5\n",
        "S: * BYE go\nexpect time greeting = 0\n",
    };
    static const char *const good[] = {
        "set max_scan 2\n",       "set timeout 0\n",
        "set step_timeout 4294967295\n", "set insecure_auth 1\n",
        "at 10\n",                "S: * BYE go\nexpect code 4\n",
        "S: * BYE go\nexpect code 4\n",
        "S: * BYE go\nexpect time greeting == 1\n",
        "S: * BYE go\nexpect time greeting == 1\n",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        CU_ASSERT(run_script("bad_number", bad[i], 0, 1) > 0);
        CU_ASSERT_EQUAL(run_script("good_number", good[i], 0, 1), 0);
    }
}

/* new() refuses what it cannot run. */
static void
test_new_refuses_bad_params(void)
{
    smtpchk_mbox_params p = {.security = SMTPCHK_SEC_NONE, .user = "u", .password = "p",
                             .timeout_ms = 1000, .step_timeout_ms = 1000};
    const smtpchk_protocol_ops *imap = smtpchk_protocol_ops_get(SMTPCHK_PROTO_IMAP);
    const smtpchk_protocol_ops *pop3 = smtpchk_protocol_ops_get(SMTPCHK_PROTO_POP3);
    CU_ASSERT_PTR_NULL(imap->new_session(NULL, NULL, NULL, NULL, T0));
    p.mode = SMTPCHK_MBOX_FIND;
    p.token = "bad token";
    CU_ASSERT_PTR_NULL(imap->new_session(NULL, &p, NULL, NULL, T0));
    p.token = "tok-1";
    p.check_id = "a\"b";
    CU_ASSERT_PTR_NULL(pop3->new_session(NULL, &p, NULL, NULL, T0));
    p.check_id = NULL;
    p.password = "x\r\nDELE 1";
    CU_ASSERT_PTR_NULL(pop3->new_session(NULL, &p, NULL, NULL, T0));
    p.password = "p";
    void *s = pop3->new_session(NULL, &p, NULL, NULL, T0);
    CU_ASSERT_PTR_NOT_NULL(s);
    pop3->free_session(s);
    pop3->free_session(NULL);
    CU_ASSERT_PTR_NULL(smtpchk_protocol_ops_get(SMTPCHK_PROTO__COUNT));
    CU_ASSERT_PTR_NULL(smtpchk_smtp_ops.new_session(NULL, &p, NULL, NULL, T0));
}

static void
test_protocol_names(void)
{
    smtpchk_protocol p;
    CU_ASSERT_STRING_EQUAL(smtpchk_protocol_name(SMTPCHK_PROTO_POP3), "pop3");
    CU_ASSERT_EQUAL(smtpchk_protocol_parse("IMAP", &p), 0);
    CU_ASSERT_EQUAL(p, SMTPCHK_PROTO_IMAP);
    CU_ASSERT_EQUAL(smtpchk_protocol_parse("nntp", &p), -1);
    CU_ASSERT_EQUAL(smtpchk_protocol_default_port(SMTPCHK_PROTO_IMAP, SMTPCHK_SEC_TLS), 993);
    CU_ASSERT_EQUAL(smtpchk_protocol_default_port(SMTPCHK_PROTO_POP3, SMTPCHK_SEC_STARTTLS), 110);
    CU_ASSERT_EQUAL(smtpchk_protocol_default_port(SMTPCHK_PROTO_SMTP, SMTPCHK_SEC_NONE), 25);
    for (int i = 0; i < SMTPCHK_PROTO__COUNT; i++)
        CU_ASSERT_EQUAL((int)smtpchk_protocol_ops_get((smtpchk_protocol)i)->protocol, i);
}

#define TRANSCRIPT_TEST(name) TEST(test_tx_##name),

void
register_tests(void)
{
    SUITE_ADD("mbox", TEST(test_all_transcripts_listed), TEST(test_runner_catches_mismatch),
              TEST(test_runner_refuses_bad_numbers),
              TEST(test_new_refuses_bad_params), TEST(test_protocol_names),
              MBOX_TRANSCRIPTS(TRANSCRIPT_TEST) CU_TEST_INFO_NULL);
}
