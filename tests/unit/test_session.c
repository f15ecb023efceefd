/*
 * Unit tests for core/proto/session.c: a declarative transcript runner (the
 * transcripts live in tests/unit/transcripts/, format below) and C tests
 * for timings, deadlines and secrets.
 *
 * Transcript format, one directive per line; blank lines and lines
 * starting with '#' are ignored:
 *
 *   set KEY VALUE     configure the check (before anything else):
 *                     security none|starttls|tls, user, password,
 *                     mechs PLAIN,LOGIN, from, rcpt (repeatable),
 *                     probe (repeatable, rest of line), insecure_auth 0|1,
 *                     strict_quit 0|1, step_timeout MS, timeout MS,
 *                     subject, ehlo; and the session's environment:
 *                     wall_clock SECONDS (default 1767225600), random HEX
 *                     (1..16 bytes, repeated; default 00), buffer_limit N
 *                     (smtpchk_session_set_buffer_limit)
 *   at MS             the next event or feed happens MS ms after the
 *                     session was created (otherwise each is 1 ms later)
 *   S: TEXT           a server line; CRLF is appended. Consecutive S:/S=
 *                     lines are fed as one buffer
 *   S= TEXT           raw server bytes, no CRLF added; escapes \r \n \t
 *                     \\ \0 \xHH
 *   flush             feed the pending S: lines now (to split buffers)
 *   C: TEXT           the next line the client wrote, without CRLF.
 *                     "{size}" matches a number, remembered for <message>.
 *                     "C: <message>" takes the DATA payload up to and
 *                     including CRLF.CRLF; {size} must lie between its
 *                     RFC 1870 size and the octets sent
 *   event resolved | connecting | connected
 *                     transport events; each issues the earlier ones not
 *                     yet issued, 1 ms apart. Without any, the first feed
 *                     connects first (resolved 1 ms, connecting 2, connected 3)
 *   event tls ok | event tls fail ERRORNAME
 *                     (ok: TLSv1.3, a certificate with 90 days left;
 *                     fail: the facts of a certificate 3 days expired)
 *   event eof | event failed ERRORNAME | event timeout (at the deadline)
 *   expect FIELD VALUE
 *                     error NAME, step NAME, code N, action none|start_tls|
 *                     close, finished 0|1, state NAME, enhanced X.Y.Z|none,
 *                     greeting/reply_text/queue_reply/auth_mech/peer/
 *                     tls_version/cert_subject TEXT, detail_has TEXT, used_helo/tls/
 *                     quit_clean/has_cert 0|1, caps LIST|none,
 *                     server_auth LIST|none, size_limit N, nprobes N,
 *                     probe I CODE, cert_days_left N,
 *                     time PHASE ==|>=|<= MS (-1 = did not run),
 *                     transcript_has TEXT, transcript_lacks TEXT (the
 *                     callback's lines, logged as "C: ..", "S: ..", "*: .."),
 *                     message_has TEXT, message_line TEXT (a whole line
 *                     of the DATA payload, without CRLF)
 *
 * Before server bytes or a transport event, every line the client wrote
 * must have been matched by C: lines (client and server take turns); at
 * the end no client output may be left. Like a transport, the runner
 * takes (output_done) all the session queued after each batch of server
 * bytes and each event, so the next batch finds the command written.
 * The password and its base64 forms must never appear in the transcript
 * callback's lines. Each transcript runs twice: server bytes in one
 * buffer per batch, then one byte per feed (bytes of one batch arrived
 * together, so nothing is written between them).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "cunit_main.h"
#include "schema.h"
#include "session.h"
#include "smtpchk.h"

#ifndef TRANSCRIPT_DIR
#define TRANSCRIPT_DIR "tests/unit/transcripts"
#endif

#define EHLO_NAME "probe.test"
#define PEER "[192.0.2.10]:25"
#define T0 ((int64_t)1000000000) /* fake monotonic start, microseconds */
#define MS ((int64_t)1000)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- runner state and reporting ----------------------------------------- */

typedef struct runner {
    const char *name;         /* transcript name, for messages */
    unsigned lineno;
    int bytewise;             /* feed server bytes one at a time */
    int quiet;                /* count failures without telling CUnit (self-test) */
    smtpchk_check *check;
    smtpchk_session *s;
    int64_t now;
    int64_t at;               /* absolute time for the next step; -1 = now + 1 ms */
    int stage;                /* connect events done: 0 none, 1 resolved, 2 connecting, 3 connected */
    smtpchk_buf server;       /* pending server bytes */
    smtpchk_buf client;       /* client output not yet matched */
    smtpchk_buf log;          /* transcript callback lines, "C: line\n" */
    smtpchk_buf message;      /* the last DATA payload matched */
    long long size_param;     /* the SIZE= value seen; -1 = none */
    int64_t wall;             /* what the session's wall clock says */
    unsigned char rnd[16];    /* its random bytes, repeated */
    size_t nrnd;
    size_t buffer_limit;      /* 0 = the session's default */
    unsigned failures;
} runner;

static void
tx_fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tx_fail(runner *r, const char *fmt, ...)
{
    char msg[1024];
    int n = snprintf(msg, sizeof(msg), "%s", r->bytewise ? "[bytewise] " : "");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    r->failures++;
    if (r->quiet)
        return;
    fprintf(stderr, "\n  %s:%u: %s\n", r->name, r->lineno, msg);
    CU_assertImplementation(CU_FALSE, r->lineno, msg, r->name, "", CU_FALSE);
}

static void
expect_int(runner *r, const char *what, long long got, long long want)
{
    if (got != want)
        tx_fail(r, "%s: expected %lld, got %lld", what, want, got);
}

static void
expect_str(runner *r, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        tx_fail(r, "%s: expected \"%s\", got \"%s\"", what, want, got);
}

static int
parse_ll(runner *r, const char *s, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) {
        tx_fail(r, "not a number: \"%s\"", s);
        return -1;
    }
    *out = v;
    return 0;
}

static int
error_from_name(runner *r, const char *name, smtpchk_error *out)
{
    for (int e = 0; e < SMTPCHK_ERR__COUNT; e++) {
        if (strcmp(smtpchk_error_name((smtpchk_error)e), name) == 0) {
            *out = (smtpchk_error)e;
            return 0;
        }
    }
    tx_fail(r, "unknown error name \"%s\"", name);
    return -1;
}

static void
append_or_die(smtpchk_buf *b, const void *p, size_t n)
{
    CU_ASSERT_EQUAL_FATAL(smtpchk_buf_append(b, p, n), 0);
}

/* ---- driving the session ------------------------------------------------- */

/* Logged as "C: line", "S: line" or "*: event", like the transcript files. */
static void
on_transcript(void *ud, char dir, const char *line, size_t len)
{
    runner *r = ud;
    const char *tag = dir == '>' ? "C: " : dir == '<' ? "S: " : dir == '*' ? "*: " : "?: ";
    if (dir != '>' && dir != '<' && dir != '*')
        tx_fail(r, "transcript line with direction '%c'", dir);
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

/* Moves everything the session wants to send into r->client. */
static void
collect_output(runner *r)
{
    size_t len = 0;
    const char *out = smtpchk_session_output(r->s, &len);
    if (len == 0)
        return;
    append_or_die(&r->client, out, len);
    smtpchk_session_output_done(r->s, r->now, len);
    smtpchk_session_output(r->s, &len);
    if (len != 0)
        tx_fail(r, "output_done did not consume the output");
}

/* The session's environment: the pinned wall clock and random bytes. */
static int64_t
runner_wall_clock(void *ud)
{
    const runner *r = ud;
    return r->wall;
}

static int
runner_random(void *ud, unsigned char *buf, size_t len)
{
    const runner *r = ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = r->rnd[i % r->nrnd];
    return 0;
}

static int
start_session(runner *r)
{
    if (r->s != NULL)
        return 0;
    char err[160];
    if (smtpchk_check_validate(r->check, err, sizeof(err)) != 0) {
        tx_fail(r, "invalid check: %s", err);
        return -1;
    }
    r->now = T0;
    smtpchk_session_env env = {runner_wall_clock, runner_random, r};
    r->s = smtpchk_session_new(r->check, EHLO_NAME, &env, T0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->s);
    smtpchk_session_set_transcript(r->s, on_transcript, r);
    smtpchk_session_set_buffer_limit(r->s, r->buffer_limit);
    return 0;
}

/* Client and server take turns: nothing the client wrote may be unmatched. */
static void
require_client_idle(runner *r, const char *before)
{
    if (r->client.len == 0)
        return;
    tx_fail(r, "unmatched client output before %s: \"%s\"", before, r->client.data);
    smtpchk_buf_clear(&r->client);
}

/* Issues the connect events not yet issued, up to `upto` (1..3), 1 ms apart. */
static void
do_connect_events(runner *r, int upto)
{
    if (upto <= r->stage)
        tx_fail(r, "connect event repeated or out of order");
    for (r->stage++; r->stage <= upto; r->stage++) {
        tick(r);
        if (r->stage == 1)
            smtpchk_session_resolved(r->s, r->now);
        else if (r->stage == 2)
            smtpchk_session_connecting(r->s, r->now);
        else
            smtpchk_session_connected(r->s, r->now, PEER);
    }
    r->stage = upto;
    collect_output(r);
}

static void
feed_bytes(runner *r, const char *data, size_t len)
{
    if (!r->bytewise) {
        char *copy = malloc(len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
        memcpy(copy, data, len);
        smtpchk_session_feed(r->s, r->now, copy, len);
        free(copy);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        char *one = malloc(1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(one);
        *one = data[i];
        size_t used = smtpchk_session_feed(r->s, r->now, one, 1);
        free(one);
        if (used == 0)
            break; /* the session stopped reading (done or TLS next) */
    }
}

static void
flush_server(runner *r)
{
    if (r->server.len == 0)
        return;
    if (r->stage == 0)
        do_connect_events(r, 3);
    require_client_idle(r, "the server's reply");
    tick(r);
    feed_bytes(r, r->server.data, r->server.len);
    collect_output(r);
    smtpchk_buf_clear(&r->server);
}

/* ---- directives: set ------------------------------------------------------ */

static int hex_value(char ch);

/* String settings: "set user monitor" and so on. Returns 0 if key is none. */
static int
set_string_key(runner *r, const char *key, const char *value)
{
    static const struct {
        const char *key;
        size_t offset;
    } keys[] = {
        {"user", offsetof(smtpchk_check, user)},
        {"password", offsetof(smtpchk_check, password)},
        {"from", offsetof(smtpchk_check, mail_from)},
        {"subject", offsetof(smtpchk_check, subject)},
        {"ehlo", offsetof(smtpchk_check, ehlo_name)},
    };
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (strcmp(keys[i].key, key) != 0)
            continue;
        char **field = (char **)(void *)((char *)r->check + keys[i].offset);
        free(*field);
        *field = strdup(value);
        CU_ASSERT_PTR_NOT_NULL_FATAL(*field);
        return 1;
    }
    return 0;
}

static void
set_list_item(runner *r, char ***list, size_t *n, size_t max, const char *value)
{
    if (*n >= max) {
        tx_fail(r, "too many list items");
        return;
    }
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(list, n, value), 0);
}

/* Numeric settings; returns 0 if key is none of them. */
static int
set_number_key(runner *r, const char *key, const char *value)
{
    static const char *const keys[] = {"insecure_auth", "strict_quit", "step_timeout",
                                       "timeout"};
    size_t i = 0;
    while (i < ARRAY_LEN(keys) && strcmp(keys[i], key) != 0)
        i++;
    long long n = 0;
    if (i == ARRAY_LEN(keys))
        return 0;
    if (parse_ll(r, value, &n) != 0)
        return 1;
    smtpchk_check *c = r->check;
    switch (i) {
    case 0: c->allow_insecure_auth = n != 0; break;
    case 1: c->strict_quit = n != 0; break;
    case 2: c->step_timeout_ms = (uint32_t)n; break;
    default: c->timeout_ms = (uint32_t)n; break;
    }
    return 1;
}

/* "0123abcd": 1..16 bytes in hex. */
static void
set_random(runner *r, const char *hex)
{
    size_t len = strlen(hex);
    if (len == 0 || len % 2 != 0 || len / 2 > sizeof(r->rnd)) {
        tx_fail(r, "bad random \"%s\"", hex);
        return;
    }
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            tx_fail(r, "bad random \"%s\"", hex);
            return;
        }
        r->rnd[i] = (unsigned char)(hi * 16 + lo);
    }
    r->nrnd = len / 2;
}

/* The session's environment and limits; returns 0 if key is none of them. */
static int
set_env_key(runner *r, const char *key, const char *value)
{
    long long n = 0;
    if (strcmp(key, "random") == 0) {
        set_random(r, value);
    } else if (strcmp(key, "wall_clock") == 0) {
        if (parse_ll(r, value, &n) == 0)
            r->wall = n;
    } else if (strcmp(key, "buffer_limit") == 0) {
        if (parse_ll(r, value, &n) == 0)
            r->buffer_limit = (size_t)n;
    } else {
        return 0;
    }
    return 1;
}

static void
do_set(runner *r, const char *arg)
{
    char key[32];
    const char *value = strchr(arg, ' ');
    size_t klen = value != NULL ? (size_t)(value - arg) : strlen(arg);
    if (r->s != NULL || klen == 0 || klen >= sizeof(key) || value == NULL) {
        tx_fail(r, "bad set (it must come first and have a value): \"%s\"", arg);
        return;
    }
    memcpy(key, arg, klen);
    key[klen] = '\0';
    value++;
    smtpchk_check *c = r->check;
    char err[128];
    if (set_string_key(r, key, value) || set_number_key(r, key, value) ||
        set_env_key(r, key, value))
        return;
    if (strcmp(key, "security") == 0) {
        if (smtpchk_security_parse(value, &c->security) != 0)
            tx_fail(r, "bad security \"%s\"", value);
    } else if (strcmp(key, "rcpt") == 0) {
        set_list_item(r, &c->rcpt, &c->nrcpt, SMTPCHK_MAX_RCPT, value);
    } else if (strcmp(key, "probe") == 0) {
        set_list_item(r, &c->probes, &c->nprobes, SMTPCHK_MAX_PROBES, value);
    } else if (strcmp(key, "mechs") == 0) {
        if (smtpchk_auth_parse_list(value, &c->auth_mechs, err, sizeof(err)) != 0)
            tx_fail(r, "bad mechs: %s", err);
    } else {
        tx_fail(r, "unknown set key \"%s\"", key);
    }
}

/* ---- directives: server bytes and client lines ---------------------------- */

static int
hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes one escape at s (just after the backslash); returns its length. */
static size_t
unescape_one(runner *r, const char *s, char *out)
{
    switch (s[0]) {
    case 'r': *out = '\r'; return 1;
    case 'n': *out = '\n'; return 1;
    case 't': *out = '\t'; return 1;
    case '0': *out = '\0'; return 1;
    case '\\': *out = '\\'; return 1;
    case 'x': {
        int hi = s[1] != '\0' ? hex_value(s[1]) : -1;
        int lo = hi >= 0 && s[2] != '\0' ? hex_value(s[2]) : -1;
        if (lo >= 0) {
            *out = (char)(hi * 16 + lo);
            return 3;
        }
        break;
    }
    default:
        break;
    }
    tx_fail(r, "bad escape in S= line");
    *out = '?';
    return s[0] != '\0' ? 1 : 0;
}

static void
do_server_raw(runner *r, const char *arg)
{
    for (const char *p = arg; *p != '\0';) {
        char ch = *p++;
        if (ch == '\\')
            p += unescape_one(r, p, &ch);
        append_or_die(&r->server, &ch, 1);
    }
}

static void
do_server(runner *r, const char *arg)
{
    append_or_die(&r->server, arg, strlen(arg));
    append_or_die(&r->server, "\r\n", 2);
}

/* The next CRLF-terminated client line, without CRLF; 0 when none. */
static int
pop_client_line(runner *r, char *line, size_t linesize)
{
    const char *crlf = r->client.len > 0 ? strstr(r->client.data, "\r\n") : NULL;
    if (crlf == NULL)
        return 0;
    size_t n = (size_t)(crlf - r->client.data);
    if (n >= linesize)
        n = linesize - 1;
    memcpy(line, r->client.data, n);
    line[n] = '\0';
    smtpchk_buf_consume(&r->client, (size_t)(crlf - r->client.data) + 2);
    return 1;
}

/* "PREFIX{size}SUFFIX": the middle must be digits; remembers the number. */
static int
match_size_pattern(runner *r, const char *want, const char *got)
{
    const char *mark = strstr(want, "{size}");
    size_t pre = (size_t)(mark - want);
    const char *suffix = mark + 6;
    size_t glen = strlen(got), slen = strlen(suffix);
    if (glen < pre + slen + 1 || strncmp(got, want, pre) != 0 ||
        strcmp(got + glen - slen, suffix) != 0)
        return 0;
    long long v = 0;
    for (size_t i = pre; i < glen - slen; i++) {
        if (got[i] < '0' || got[i] > '9')
            return 0;
        v = v * 10 + (got[i] - '0');
    }
    r->size_param = v;
    return 1;
}

static void
check_message_shape(runner *r)
{
    const char *m = r->message.data;
    for (size_t i = 0; i < r->message.len; i++) {
        if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) {
            tx_fail(r, "bare LF in the message at offset %zu", i);
            return;
        }
    }
    if (r->size_param < 0)
        return;
    /* RFC 1870 counts the content without the final "." and the stuffing
     * dots; SIZE= is an estimate, so anything from that up to the bytes
     * actually sent is right. */
    long long sent = (long long)r->message.len, stuffed = 0;
    for (const char *p = strstr(m, "\r\n.."); p != NULL; p = strstr(p + 3, "\r\n.."))
        stuffed++;
    long long exact = sent - 3 - stuffed;
    if (r->size_param < exact || r->size_param > sent)
        tx_fail(r, "SIZE=%lld, but the message has %lld octets (%lld sent)", r->size_param,
                exact, sent);
}

static void
expect_message(runner *r)
{
    const char *end = r->client.len > 0 ? strstr(r->client.data, "\r\n.\r\n") : NULL;
    if (end == NULL) {
        tx_fail(r, "expected the message ending in CRLF.CRLF, got \"%s\"",
                r->client.len > 0 ? r->client.data : "");
        return;
    }
    size_t n = (size_t)(end - r->client.data) + 5;
    smtpchk_buf_clear(&r->message);
    append_or_die(&r->message, r->client.data, n);
    smtpchk_buf_consume(&r->client, n);
    check_message_shape(r);
}

static void
do_client(runner *r, const char *want)
{
    if (strcmp(want, "<message>") == 0) {
        expect_message(r);
        return;
    }
    char got[4096];
    if (!pop_client_line(r, got, sizeof(got))) {
        tx_fail(r, "expected client line \"%s\", got %s \"%s\"", want,
                r->client.len > 0 ? "an unfinished line" : "nothing",
                r->client.len > 0 ? r->client.data : "");
        return;
    }
    int ok = strstr(want, "{size}") != NULL ? match_size_pattern(r, want, got)
                                            : strcmp(got, want) == 0;
    if (!ok)
        tx_fail(r, "expected client line \"%s\", got \"%s\"", want, got);
}

/* ---- directives: events --------------------------------------------------- */

static const smtpchk_tls_facts good_facts = {
    "TLSv1.3", "TLS_AES_256_GCM_SHA384", "CN=mx.example.net", "CN=Example CA", 1, 90,
};
static const smtpchk_tls_facts expired_facts = {
    "TLSv1.3", "TLS_AES_256_GCM_SHA384", "CN=mx.example.net", "CN=Example CA", 1, -3,
};

static void
event_tls(runner *r, const char *arg)
{
    if (smtpchk_session_action(r->s) != SMTPCHK_ACT_START_TLS)
        tx_fail(r, "a TLS event, but the session did not ask for TLS");
    tick(r);
    smtpchk_error err;
    if (strcmp(arg, "ok") == 0) {
        smtpchk_session_tls_done(r->s, r->now, &good_facts);
    } else if (strncmp(arg, "fail ", 5) == 0 && error_from_name(r, arg + 5, &err) == 0) {
        smtpchk_session_tls_facts(r->s, &expired_facts);
        smtpchk_session_transport_failed(r->s, r->now, err, NULL);
    } else {
        tx_fail(r, "bad tls event \"%s\"", arg);
    }
}

static void
do_event(runner *r, const char *arg)
{
    smtpchk_error err;
    static const char *const stages[] = {"resolved", "connecting", "connected"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(arg, stages[i]) == 0) {
            do_connect_events(r, i + 1);
            return;
        }
    }
    require_client_idle(r, arg);
    if (strncmp(arg, "tls ", 4) == 0) {
        event_tls(r, arg + 4);
    } else if (strcmp(arg, "eof") == 0) {
        tick(r);
        smtpchk_session_eof(r->s, r->now);
    } else if (strcmp(arg, "timeout") == 0) {
        r->now = r->at >= 0 ? T0 + r->at * MS : smtpchk_session_deadline(r->s);
        r->at = -1;
        smtpchk_session_timeout(r->s, r->now);
    } else if (strncmp(arg, "failed ", 7) == 0 && error_from_name(r, arg + 7, &err) == 0) {
        tick(r);
        smtpchk_session_transport_failed(r->s, r->now, err, NULL);
    } else {
        tx_fail(r, "unknown event \"%s\"", arg);
    }
    collect_output(r);
}

/* ---- directives: expect ---------------------------------------------------- */

typedef struct {
    const char *name;
    unsigned bit;
} bit_name;

static const bit_name cap_names[] = {
    {"SIZE", SMTPCHK_CAP_SIZE},
    {"STARTTLS", SMTPCHK_CAP_STARTTLS},
    {"AUTH", SMTPCHK_CAP_AUTH},
    {"PIPELINING", SMTPCHK_CAP_PIPELINING},
    {"8BITMIME", SMTPCHK_CAP_8BITMIME},
    {"SMTPUTF8", SMTPCHK_CAP_SMTPUTF8},
    {"ENHANCEDSTATUSCODES", SMTPCHK_CAP_ENHANCEDSTATUSCODES},
    {"CHUNKING", SMTPCHK_CAP_CHUNKING},
};

static const bit_name mech_names[] = {
    {"PLAIN", SMTPCHK_AUTH_PLAIN},
    {"LOGIN", SMTPCHK_AUTH_LOGIN},
    {"CRAM-MD5", SMTPCHK_AUTH_CRAM_MD5},
};

/* "A,B,C" or "none" to a mask. */
static unsigned
parse_bits(runner *r, const char *list, const bit_name *names, size_t n)
{
    unsigned mask = 0;
    if (strcmp(list, "none") == 0)
        return 0;
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        while (i < n && (strlen(names[i].name) != len || strncmp(names[i].name, p, len) != 0))
            i++;
        if (i == n)
            tx_fail(r, "unknown name in \"%s\"", list);
        else
            mask |= names[i].bit;
        p += len + (p[len] == ',');
    }
    return mask;
}

/* "PHASE OP MS": MS in milliseconds, -1 = the phase did not run. */
static void
expect_time(runner *r, const smtpchk_result *res, const char *arg)
{
    char phase[16], op[3];
    long long ms = 0;
    int off = 0;
    if (sscanf(arg, "%15s %2s %n", phase, op, &off) != 2 || off == 0) {
        tx_fail(r, "bad time expectation \"%s\"", arg);
        return;
    }
    if (parse_ll(r, arg + off, &ms) != 0)
        return;
    size_t i = 0;
    while (i < SMTPCHK_PHASE__COUNT && strcmp(smtpchk_phase_name((smtpchk_phase)i), phase) != 0)
        i++;
    if (i == SMTPCHK_PHASE__COUNT) {
        tx_fail(r, "unknown phase \"%s\"", phase);
        return;
    }
    int64_t got = res->phase_us[i];
    int64_t want = ms < 0 ? -1 : ms * MS;
    int ok = strcmp(op, "==") == 0   ? got == want
             : strcmp(op, ">=") == 0 ? got >= want
             : strcmp(op, "<=") == 0 ? got <= want && got >= 0
                                     : -1;
    if (ok < 0)
        tx_fail(r, "bad operator \"%s\"", op);
    else if (!ok)
        tx_fail(r, "time %s: expected %s %lld ms, got %lld us", phase, op, ms, (long long)got);
}

static void
expect_enhanced(runner *r, const smtpchk_result *res, const char *arg)
{
    char got[48];
    if (res->enhanced_class < 0)
        snprintf(got, sizeof(got), "none");
    else
        snprintf(got, sizeof(got), "%d.%d.%d", res->enhanced_class, res->enhanced_subject,
                 res->enhanced_detail);
    expect_str(r, "enhanced", got, arg);
}

static void
expect_probe(runner *r, const smtpchk_result *res, const char *arg)
{
    char first[24];
    long long i = -1, code = 0;
    int off = 0;
    if (sscanf(arg, "%23s %n", first, &off) != 1 || off == 0 || parse_ll(r, first, &i) != 0 ||
        parse_ll(r, arg + off, &code) != 0 || i < 0 || i >= SMTPCHK_MAX_PROBES) {
        tx_fail(r, "bad probe expectation \"%s\"", arg);
        return;
    }
    expect_int(r, "probe code", res->probe_codes[i], code);
}

static const char *
action_name(smtpchk_action a)
{
    switch (a) {
    case SMTPCHK_ACT_NONE: return "none";
    case SMTPCHK_ACT_START_TLS: return "start_tls";
    case SMTPCHK_ACT_CLOSE: return "close";
    }
    return "unknown";
}

static int
expect_number_field(runner *r, const smtpchk_result *res, const char *field, const char *arg)
{
    static const struct {
        const char *name;
        size_t offset;
        int is_bool;
    } fields[] = {
        {"code", offsetof(smtpchk_result, response_code), 0},
        {"cert_days_left", offsetof(smtpchk_result, cert_days_left), 0},
        {"used_helo", offsetof(smtpchk_result, used_helo), 1},
        {"tls", offsetof(smtpchk_result, tls), 1},
        {"quit_clean", offsetof(smtpchk_result, quit_clean), 1},
        {"has_cert", offsetof(smtpchk_result, has_cert), 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (strcmp(fields[i].name, field) != 0)
            continue;
        const char *p = (const char *)res + fields[i].offset;
        long long got, want;
        if (fields[i].is_bool) {
            bool b;
            memcpy(&b, p, sizeof(b));
            got = b;
        } else {
            int v;
            memcpy(&v, p, sizeof(v));
            got = v;
        }
        if (parse_ll(r, arg, &want) == 0)
            expect_int(r, field, got, want);
        return 1;
    }
    return 0;
}

static int
expect_text_field(runner *r, const smtpchk_result *res, const char *field, const char *arg)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"greeting", offsetof(smtpchk_result, greeting)},
        {"reply_text", offsetof(smtpchk_result, reply_text)},
        {"queue_reply", offsetof(smtpchk_result, queue_reply)},
        {"auth_mech", offsetof(smtpchk_result, auth_mech)},
        {"peer", offsetof(smtpchk_result, peer)},
        {"tls_version", offsetof(smtpchk_result, tls_version)},
        {"cert_subject", offsetof(smtpchk_result, cert_subject)},
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (strcmp(fields[i].name, field) == 0) {
            expect_str(r, field, (const char *)res + fields[i].offset, arg);
            return 1;
        }
    }
    return 0;
}

static void
expect_contains(runner *r, const char *what, const char *hay, const char *needle, int want)
{
    int has = strstr(hay != NULL ? hay : "", needle) != NULL;
    if (has != want)
        tx_fail(r, "%s %s \"%s\"", what, want ? "lacks" : "contains", needle);
}

/* Some CRLF-terminated line of the last DATA payload is exactly want. */
static void
expect_message_line(runner *r, const char *want)
{
    size_t wlen = strlen(want);
    const char *m = r->message.data != NULL ? r->message.data : "";
    for (const char *p = m; *p != '\0';) {
        const char *crlf = strstr(p, "\r\n");
        if (crlf == NULL)
            break;
        if ((size_t)(crlf - p) == wlen && memcmp(p, want, wlen) == 0)
            return;
        p = crlf + 2;
    }
    tx_fail(r, "the message has no line \"%s\"", want);
}

static int
expect_session_field(runner *r, const char *field, const char *arg)
{
    long long n = 0;
    if (strcmp(field, "action") == 0)
        expect_str(r, "action", action_name(smtpchk_session_action(r->s)), arg);
    else if (strcmp(field, "state") == 0)
        expect_str(r, "state", smtpchk_session_state_name(r->s), arg);
    else if (strcmp(field, "finished") == 0 && parse_ll(r, arg, &n) == 0)
        expect_int(r, "finished", smtpchk_session_finished(r->s) != 0, n);
    else if (strcmp(field, "transcript_has") == 0)
        expect_contains(r, "the transcript", r->log.data, arg, 1);
    else if (strcmp(field, "transcript_lacks") == 0)
        expect_contains(r, "the transcript", r->log.data, arg, 0);
    else if (strcmp(field, "message_has") == 0)
        expect_contains(r, "the message", r->message.data, arg, 1);
    else if (strcmp(field, "message_line") == 0)
        expect_message_line(r, arg);
    else
        return 0;
    return 1;
}

static int
expect_result_field(runner *r, const smtpchk_result *res, const char *field, const char *arg)
{
    long long n = 0;
    if (strcmp(field, "error") == 0)
        expect_str(r, "error", smtpchk_error_name(res->error), arg);
    else if (strcmp(field, "step") == 0)
        expect_str(r, "step", smtpchk_step_name(res->failed_step), arg);
    else if (strcmp(field, "enhanced") == 0)
        expect_enhanced(r, res, arg);
    else if (strcmp(field, "detail_has") == 0)
        expect_contains(r, "error_detail", res->error_detail, arg, 1);
    else if (strcmp(field, "caps") == 0)
        expect_int(r, "caps", res->caps, parse_bits(r, arg, cap_names, ARRAY_LEN(cap_names)));
    else if (strcmp(field, "server_auth") == 0)
        expect_int(r, "server_auth", res->server_auth, parse_bits(r, arg, mech_names, ARRAY_LEN(mech_names)));
    else if (strcmp(field, "size_limit") == 0 && parse_ll(r, arg, &n) == 0)
        expect_int(r, "size_limit", (long long)res->size_limit, n);
    else if (strcmp(field, "nprobes") == 0 && parse_ll(r, arg, &n) == 0)
        expect_int(r, "nprobes", (long long)res->nprobes, n);
    else if (strcmp(field, "probe") == 0)
        expect_probe(r, res, arg);
    else if (strcmp(field, "time") == 0)
        expect_time(r, res, arg);
    else
        return expect_number_field(r, res, field, arg) ||
               expect_text_field(r, res, field, arg);
    return 1;
}

static void
do_expect(runner *r, const char *arg)
{
    char field[32];
    const char *value = strchr(arg, ' ');
    size_t flen = value != NULL ? (size_t)(value - arg) : strlen(arg);
    if (flen == 0 || flen >= sizeof(field)) {
        tx_fail(r, "bad expect \"%s\"", arg);
        return;
    }
    memcpy(field, arg, flen);
    field[flen] = '\0';
    value = value != NULL ? value + 1 : "";
    if (start_session(r) != 0)
        return;
    const smtpchk_result *res = smtpchk_session_result(r->s);
    if (!expect_session_field(r, field, value) && !expect_result_field(r, res, field, value))
        tx_fail(r, "unknown expect field \"%s\"", field);
}

/* ---- the runner --------------------------------------------------------------- */

static void
do_at(runner *r, const char *arg)
{
    long long ms = 0;
    if (parse_ll(r, arg, &ms) == 0) {
        if (T0 + ms * MS < r->now)
            tx_fail(r, "time goes backwards");
        r->at = ms;
    }
}

/* One directive; "S:"/"S=" add to the pending server bytes, the rest flush them. */
static void
run_line(runner *r, const char *line)
{
    if (line[0] == '\0' || line[0] == '#')
        return;
    const char *sp = strchr(line, ' ');
    size_t klen = sp != NULL ? (size_t)(sp - line) : strlen(line);
    const char *arg = sp != NULL ? sp + 1 : "";
    if (klen == 3 && strncmp(line, "set", 3) == 0) {
        do_set(r, arg);
        return;
    }
    if (start_session(r) != 0)
        return;
    if (klen == 2 && strncmp(line, "S:", 2) == 0) {
        do_server(r, arg);
        return;
    }
    if (klen == 2 && strncmp(line, "S=", 2) == 0) {
        do_server_raw(r, arg);
        return;
    }
    flush_server(r);
    if (klen == 2 && strncmp(line, "C:", 2) == 0)
        do_client(r, arg);
    else if (klen == 5 && strncmp(line, "event", 5) == 0)
        do_event(r, arg);
    else if (klen == 6 && strncmp(line, "expect", 6) == 0)
        do_expect(r, arg);
    else if (klen == 2 && strncmp(line, "at", 2) == 0)
        do_at(r, arg);
    else if (!(klen == 5 && strncmp(line, "flush", 5) == 0))
        tx_fail(r, "unknown directive \"%s\"", line);
}

/* Base64 of (a, alen) for the secrets check. */
static void
b64_of(const char *a, size_t alen, char *out, size_t outlen)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_encode(a, alen, &b), 0);
    snprintf(out, outlen, "%s", b.data != NULL ? b.data : "");
    smtpchk_buf_free(&b);
}

/* The transcript must never show the password, in clear or base64. */
static void
check_no_secrets(runner *r)
{
    const char *pass = r->check->password;
    if (pass == NULL || pass[0] == '\0' || r->log.len == 0)
        return;
    char plain[512], enc[700];
    const char *user = r->check->user != NULL ? r->check->user : "";
    int n = snprintf(plain, sizeof(plain), "%c%s%c%s", 0, user, 0, pass);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(plain));
    expect_contains(r, "the transcript", r->log.data, pass, 0);
    b64_of(pass, strlen(pass), enc, sizeof(enc));
    expect_contains(r, "the transcript", r->log.data, enc, 0);
    b64_of(plain, (size_t)n, enc, sizeof(enc));
    expect_contains(r, "the transcript", r->log.data, enc, 0);
}

static void
finish_run(runner *r)
{
    flush_server(r);
    if (r->client.len > 0)
        tx_fail(r, "unexpected client output at the end: \"%s\"", r->client.data);
    check_no_secrets(r);
}

static void
runner_init(runner *r, const char *name, int bytewise, int quiet)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->bytewise = bytewise;
    r->quiet = quiet;
    r->at = -1;
    r->size_param = -1;
    r->wall = 1767225600; /* 2026-01-01 00:00:00 UTC */
    r->nrnd = 1;          /* one zero byte, repeated */
    r->check = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->check);
    r->check->host = strdup("mx.example.net");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->check->host);
    smtpchk_buf_init(&r->server);
    smtpchk_buf_init(&r->client);
    smtpchk_buf_init(&r->log);
    smtpchk_buf_init(&r->message);
}

static void
runner_free(runner *r)
{
    smtpchk_session_free(r->s);
    smtpchk_check_free(r->check);
    smtpchk_buf_free(&r->server);
    smtpchk_buf_free(&r->client);
    smtpchk_buf_free(&r->log);
    smtpchk_buf_free(&r->message);
}

/* Runs a script (lines separated by LF); returns the number of failures. */
static unsigned
run_script(const char *name, const char *text, int bytewise, int quiet)
{
    runner r;
    runner_init(&r, name, bytewise, quiet);
    char line[4096];
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        size_t keep = n;
        while (keep > 0 && p[keep - 1] == '\r')
            keep--;
        r.lineno++;
        if (keep >= sizeof(line)) {
            tx_fail(&r, "line too long");
            keep = sizeof(line) - 1;
        }
        memcpy(line, p, keep);
        line[keep] = '\0';
        run_line(&r, line);
        p += n + (p[n] == '\n');
    }
    r.lineno++;
    if (start_session(&r) == 0)
        finish_run(&r);
    unsigned failures = r.failures;
    runner_free(&r);
    return failures;
}

static char *
read_transcript(const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", TRANSCRIPT_DIR, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "\n  cannot open %s\n", path);
        return NULL;
    }
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
    char *text = read_transcript(file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    if (run_script(file, text, 0, 0) == 0)
        run_script(file, text, 1, 0);
    free(text);
}

/* ---- one CUnit test per transcript file --------------------------------------- */

#define TRANSCRIPTS(X)                \
    X(probe_421)                      \
    X(smtputf8_offered)               \
    X(smtputf8_not_offered)           \
    X(auth_cram_empty_challenge)      \
    X(auth_login_bad_challenge)       \
    X(greeting_ok)                    \
    X(greeting_421)                   \
    X(greeting_554)                   \
    X(greeting_multiline)             \
    X(greeting_eof)                   \
    X(ehlo_custom_name)               \
    X(ehlo_helo_fallback)             \
    X(ehlo_421)                       \
    X(helo_rejected)                  \
    X(starttls_ok)                    \
    X(starttls_not_offered)           \
    X(starttls_rejected)              \
    X(starttls_handshake_fail)        \
    X(starttls_injection)             \
    X(starttls_caps_forgotten)        \
    X(implicit_tls_ok)                \
    X(implicit_tls_fail)              \
    X(auth_plain_ok)                  \
    X(auth_tls_prefers_plain)         \
    X(auth_tls_cram_before_login)     \
    X(auth_plain_fail)                \
    X(auth_login_ok)                  \
    X(auth_login_fail)                \
    X(auth_cram_md5)                  \
    X(auth_plaintext_refused)         \
    X(auth_no_mechanism)              \
    X(auth_not_offered)               \
    X(mail_full)                      \
    X(mail_no_size)                   \
    X(mail_rejected)                  \
    X(rcpt_second_rejected)           \
    X(data_rejected)                  \
    X(message_rejected)               \
    X(probes)                         \
    X(quit_eof)                       \
    X(quit_eof_strict)                \
    X(quit_bad_code)                  \
    X(quit_bad_code_strict)           \
    X(timeout_greeting)               \
    X(timeout_connect)                \
    X(timeout_dns)                    \
    X(timeout_overall)                \
    X(eof_mid_reply)                  \
    X(garbage_line)                   \
    X(network_error)                  \
    X(enhanced_not_stale)             \
    X(early_talker_greeting)          \
    X(early_reply_before_auth)        \
    X(early_reply_after_ehlo)         \
    X(early_reply_after_failure)      \
    X(message_date_id)                \
    X(oom_command)                    \
    X(oom_message)

#define TRANSCRIPT_FN(name) \
    static void test_tx_##name(void) { run_transcript(#name ".txt"); }
TRANSCRIPTS(TRANSCRIPT_FN)

#define TRANSCRIPT_NAME(name) #name ".txt",
static const char *const transcript_files[] = {TRANSCRIPTS(TRANSCRIPT_NAME)};

/* Every *.txt in the directory is listed above, so none is silently skipped. */
static void
test_all_transcripts_listed(void)
{
    DIR *d = opendir(TRANSCRIPT_DIR);
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
            fprintf(stderr, "\n  transcript %s is not in TRANSCRIPTS()\n", e->d_name);
        CU_ASSERT(i < total);
        seen++;
    }
    closedir(d);
    CU_ASSERT_EQUAL(seen, total);
}

/* The runner itself must catch a wrong client line and leftover output. */
static void
test_runner_catches_mismatch(void)
{
    static const char wrong_line[] = "S: 220 mx\nC: HELO probe.test\n";
    static const char leftover[] = "S: 220 mx\n";
    static const char turns[] = "S: 220 mx\nflush\nS: 250 ok\nC: EHLO probe.test\n";
    static const char wrong_expect[] = "S: 421 busy\nexpect code 420\n";
    static const char lacks[] = "set user monitor\nset password secret\n"
                                 "set insecure_auth 1\n"
                                 "S: 220 mx\nC: EHLO probe.test\nS: 250-mx\nS: 250 AUTH PLAIN\n"
                                 "C: AUTH PLAIN AG1vbml0b3IAc2VjcmV0\n"
                                 "expect transcript_lacks C: AUTH PLAIN <redacted>\n"
                                 "S: 235 ok\nC: QUIT\nS: 221 bye\n";
    static const char good[] = "S: 220 mx\nC: EHLO probe.test\nS: 250 mx\nC: QUIT\n"
                               "S: 221 bye\nexpect error ok\n";
    CU_ASSERT_EQUAL(run_script("selftest-good", good, 0, 1), 0);
    CU_ASSERT_EQUAL(run_script("selftest-good", good, 1, 1), 0); /* one byte per feed */
    CU_ASSERT(run_script("selftest-wrong-line", wrong_line, 0, 1) >= 1);
    CU_ASSERT(run_script("selftest-leftover", leftover, 0, 1) >= 1);
    CU_ASSERT(run_script("selftest-turns", turns, 0, 1) >= 1);
    CU_ASSERT(run_script("selftest-wrong-expect", wrong_expect, 0, 1) >= 1);
    CU_ASSERT(run_script("selftest-lacks", lacks, 0, 1) >= 1);
    /* A number with trailing junk or out of range fails, as its right form passes. */
    static const char *const numbers[][2] = {
        {"expect time total >= 0", "expect time total >= 0ms"},
        {"expect time login == -1", "expect time login == 99999999999999999999"},
        {"expect probe 0 -1", "expect probe 0x -1"},
        {"expect probe 0 -1", "expect probe 0 -1.0"},
    };
    char script[200];
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        for (int bad = 0; bad < 2; bad++) {
            snprintf(script, sizeof(script), "%s%s\n", good, numbers[i][bad]);
            unsigned n = run_script("selftest-number", script, 0, 1);
            CU_ASSERT(bad ? n >= 1 : n == 0);
        }

    /* The secrets check itself: a log with base64("\0user\0pass") fails. */
    runner r;
    runner_init(&r, "selftest-secrets", 0, 1);
    r.check->user = strdup("monitor");
    r.check->password = strdup("secret");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.check->password);
    append_or_die(&r.log, "C: AUTH PLAIN AG1vbml0b3IAc2VjcmV0\n", 35);
    check_no_secrets(&r);
    /* Two hits: "\0monitor\0" is 9 bytes, so base64("secret") is a suffix. */
    CU_ASSERT_EQUAL(r.failures, 2);
    runner_free(&r);
}

/* ---- C tests ----------------------------------------------------------------- */

static smtpchk_check *
new_check(void)
{
    smtpchk_check *c = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    c->host = strdup("mx.example.net");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->host);
    return c;
}

static void
set_credentials(smtpchk_check *c, const char *user, const char *pass, unsigned mechs)
{
    c->user = strdup(user);
    c->password = strdup(pass);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->user);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->password);
    c->auth_mechs = mechs;
    c->allow_insecure_auth = true;
}

static int64_t
fixed_wall_clock(void *ud)
{
    (void)ud;
    return 1767225600;
}

static int
zero_random(void *ud, unsigned char *buf, size_t len)
{
    (void)ud;
    memset(buf, 0, len);
    return 0;
}

static const smtpchk_session_env test_env = {fixed_wall_clock, zero_random, NULL};

static smtpchk_session *
new_session(const smtpchk_check *c)
{
    return smtpchk_session_new(c, EHLO_NAME, &test_env, T0);
}

/* Like a transport, writes what the session queued (gone unless taken
 * with take_output before), then feeds text from an exact heap copy. */
static void
feed_at(smtpchk_session *s, int64_t now, const char *text)
{
    size_t pending = 0;
    smtpchk_session_output(s, &pending);
    smtpchk_session_output_done(s, 0, pending);
    size_t len = strlen(text);
    char *copy = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, text, len);
    CU_ASSERT_EQUAL(smtpchk_session_feed(s, now, copy, len), len);
    free(copy);
}

/* Takes the session's output into wire (appended). */
static void
take_output(smtpchk_session *s, smtpchk_buf *wire)
{
    size_t len = 0;
    const char *out = smtpchk_session_output(s, &len);
    if (len > 0)
        append_or_die(wire, out, len);
    smtpchk_session_output_done(s, 0, len);
}

static void
test_timings(void)
{
    smtpchk_check *c = new_check();
    set_credentials(c, "monitor", "secret", SMTPCHK_AUTH_PLAIN);
    smtpchk_buf wire;
    smtpchk_buf_init(&wire);
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0 + 4 * MS);
    smtpchk_session_connecting(s, T0 + 5 * MS);
    smtpchk_session_connected(s, T0 + 12 * MS, PEER);
    feed_at(s, T0 + 262 * MS, "220 mx ESMTP\r\n");          /* greeting after 250 ms */
    take_output(s, &wire);
    feed_at(s, T0 + 270 * MS, "250-mx\r\n250 AUTH PLAIN\r\n"); /* AUTH sent now */
    take_output(s, &wire);
    CU_ASSERT_STRING_EQUAL(wire.data, "EHLO probe.test\r\nAUTH PLAIN AG1vbml0b3IAc2VjcmV0\r\n");
    feed_at(s, T0 + 300 * MS + 7, "235 2.7.0 ok\r\n");       /* login 30 ms + 7 us */
    feed_at(s, T0 + 305 * MS, "221 bye\r\n");

    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_OK);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_DNS], 4 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_CONNECT], 7 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_GREETING], 250 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_EHLO], 8 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_LOGIN], 30 * MS + 7);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TLS], -1);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TRANSFER], -1);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_QUIT], 5 * MS - 7);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TOTAL], 305 * MS);
    CU_ASSERT(smtpchk_session_finished(s));
    smtpchk_session_free(s);
    smtpchk_check_free(c);
    smtpchk_buf_free(&wire);
}

/* TLS time runs from STARTTLS sent to the handshake done. */
static void
test_timings_starttls(void)
{
    smtpchk_check *c = new_check();
    c->security = SMTPCHK_SEC_STARTTLS;
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0, PEER);
    feed_at(s, T0 + 10 * MS, "220 mx\r\n");
    feed_at(s, T0 + 20 * MS, "250-mx\r\n250 STARTTLS\r\n"); /* EHLO 10 ms; STARTTLS sent */
    feed_at(s, T0 + 25 * MS, "220 go ahead\r\n");
    CU_ASSERT_EQUAL(smtpchk_session_action(s), SMTPCHK_ACT_START_TLS);
    smtpchk_tls_facts f = {"TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", NULL, NULL, 0, 0};
    smtpchk_session_tls_done(s, T0 + 60 * MS, &f);               /* TLS 40 ms */
    CU_ASSERT_EQUAL(smtpchk_session_action(s), SMTPCHK_ACT_NONE);
    feed_at(s, T0 + 64 * MS, "250 mx\r\n");                      /* EHLO again: +4 ms */
    feed_at(s, T0 + 70 * MS, "221 bye\r\n");
    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_OK);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_GREETING], 10 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TLS], 40 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_EHLO], 14 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_QUIT], 6 * MS);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TOTAL], 70 * MS);
    CU_ASSERT_STRING_EQUAL(res->tls_version, "TLSv1.2");
    CU_ASSERT_EQUAL(res->has_cert, false);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

/* deadline() = min(step start + step timeout, start + overall timeout). */
static void
test_deadline(void)
{
    smtpchk_check *c = new_check();
    c->step_timeout_ms = 2000;
    c->timeout_ms = 5000;
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 2000 * MS);
    smtpchk_session_resolved(s, T0 + 1000 * MS); /* connect step starts */
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 3000 * MS);
    smtpchk_session_connecting(s, T0 + 1100 * MS);
    smtpchk_session_connected(s, T0 + 1500 * MS, PEER);
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 3500 * MS);
    /* Partial input does not move the deadline: a trickling server
     * cannot keep a step alive. */
    feed_at(s, T0 + 2000 * MS, "220 mx");
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 3500 * MS);
    feed_at(s, T0 + 2500 * MS, "\r\n"); /* EHLO step starts */
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 4500 * MS);
    feed_at(s, T0 + 3500 * MS, "250 mx\r\n"); /* QUIT step: the overall end is sooner */
    CU_ASSERT_EQUAL(smtpchk_session_deadline(s), T0 + 5000 * MS);
    smtpchk_session_timeout(s, T0 + 5000 * MS);
    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(res->failed_step, SMTPCHK_STEP_QUIT);
    CU_ASSERT_EQUAL(res->response_code, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(res->error_detail, "overall"));
    CU_ASSERT(smtpchk_session_finished(s));
    CU_ASSERT_EQUAL(smtpchk_session_action(s), SMTPCHK_ACT_CLOSE);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_TOTAL], 5000 * MS);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

/* A step timeout names the step and its limit. */
static void
test_step_timeout_detail(void)
{
    smtpchk_check *c = new_check();
    c->step_timeout_ms = 2000;
    c->timeout_ms = 30000;
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0 + 10 * MS, PEER);
    int64_t dl = smtpchk_session_deadline(s);
    CU_ASSERT_EQUAL(dl, T0 + 2010 * MS);
    smtpchk_session_timeout(s, dl);
    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(res->failed_step, SMTPCHK_STEP_GREETING);
    CU_ASSERT_PTR_NOT_NULL(strstr(res->error_detail, "2000 ms"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res->error_detail, "greeting"));
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_GREETING], -1);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

typedef struct {
    smtpchk_buf log;
} log_sink;

static void
sink_line(void *ud, char dir, const char *line, size_t len)
{
    log_sink *k = ud;
    CU_ASSERT_EQUAL(strlen(line), len);
    append_or_die(&k->log, &dir, 1);
    append_or_die(&k->log, line, len);
    append_or_die(&k->log, "\n", 1);
}

/* Runs one AUTH exchange: the wire has on_wire, the log none of secrets. */
static void
check_auth_redaction(unsigned mech, const char *user, const char *pass, const char *const *server,
                     const char *const *secrets, const char *on_wire)
{
    smtpchk_check *c = new_check();
    set_credentials(c, user, pass, mech);
    log_sink k;
    smtpchk_buf_init(&k.log);
    smtpchk_buf wire;
    smtpchk_buf_init(&wire);
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_set_transcript(s, sink_line, &k);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0, PEER);
    for (size_t i = 0; server[i] != NULL; i++) {
        feed_at(s, T0 + (int64_t)(i + 1) * MS, server[i]);
        take_output(s, &wire);
    }
    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_OK);
    CU_ASSERT(smtpchk_session_finished(s));
    CU_ASSERT_PTR_NOT_NULL(strstr(wire.data, on_wire)); /* redaction is for the log only */
    CU_ASSERT_PTR_NOT_NULL_FATAL(k.log.data);
    CU_ASSERT_PTR_NOT_NULL(strstr(k.log.data, "<redacted>"));
    for (size_t i = 0; secrets[i] != NULL; i++) {
        CU_ASSERT_PTR_NULL(strstr(k.log.data, secrets[i]));
        CU_ASSERT_PTR_NULL(strstr(res->error_detail, secrets[i]));
        CU_ASSERT_PTR_NULL(strstr(res->reply_text, secrets[i]));
    }
    smtpchk_session_free(s);
    smtpchk_check_free(c);
    smtpchk_buf_free(&k.log);
    smtpchk_buf_free(&wire);
}

static void
test_transcript_hides_password(void)
{
    static const char *const plain_server[] = {
        "220 mx\r\n", "250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n", "235 ok\r\n",
        "221 bye\r\n", NULL};
    static const char *const plain_secrets[] = {"secret", "c2VjcmV0", "AG1vbml0b3IAc2VjcmV0",
                                                NULL};
    check_auth_redaction(SMTPCHK_AUTH_PLAIN, "monitor", "secret", plain_server, plain_secrets,
                         "AUTH PLAIN AG1vbml0b3IAc2VjcmV0\r\n");

    static const char *const login_server[] = {
        "220 mx\r\n", "250-mx\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
        "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n", "221 bye\r\n", NULL};
    check_auth_redaction(SMTPCHK_AUTH_LOGIN, "monitor", "secret", login_server, plain_secrets,
                         "\r\nbW9uaXRvcg==\r\nc2VjcmV0\r\n");

    static const char *const cram_server[] = {
        "220 mx\r\n", "250-mx\r\n250 AUTH CRAM-MD5\r\n",
        "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n", "235 ok\r\n",
        "221 bye\r\n", NULL};
    static const char *const cram_secrets[] = {"tanstaaftanstaaf", "dGFuc3RhYWZ0YW5zdGFhZg==",
                                               "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", NULL};
    check_auth_redaction(SMTPCHK_AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", cram_server,
                         cram_secrets, "\r\ndGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
}

/* A session of c, connected at T0. */
static smtpchk_session *
connected_session(const smtpchk_check *c)
{
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0, PEER);
    return s;
}

/* Once the check is over, more events change nothing. */
static void
test_events_after_done_ignored(void)
{
    smtpchk_check *c = new_check();
    smtpchk_session *s = connected_session(c);
    feed_at(s, T0 + MS, "421 busy\r\n");
    CU_ASSERT(smtpchk_session_finished(s));
    smtpchk_result before = *smtpchk_session_result(s);
    CU_ASSERT_EQUAL(before.error, SMTPCHK_ERR_GREETING);

    static const char more[] = "250 late\r\n";
    CU_ASSERT_EQUAL(smtpchk_session_feed(s, T0 + 2 * MS, more, sizeof(more) - 1), 0);
    smtpchk_session_eof(s, T0 + 3 * MS);
    smtpchk_session_timeout(s, T0 + 4 * MS);
    smtpchk_session_transport_failed(s, T0 + 5 * MS, SMTPCHK_ERR_NETWORK, "late");
    smtpchk_session_tls_done(s, T0 + 6 * MS, &good_facts);
    CU_ASSERT(memcmp(&before, smtpchk_session_result(s), sizeof(before)) == 0);
    CU_ASSERT_EQUAL(smtpchk_session_action(s), SMTPCHK_ACT_CLOSE);
    size_t len = 99;
    smtpchk_session_output(s, &len);
    CU_ASSERT_EQUAL(len, 0);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

/*
 * A phase a command begins starts when its last byte went out, not when
 * the reply before it arrived: the time between is the client's (its
 * engine busy with other checks), not the server's.
 */
static void
test_phase_starts_when_sent(void)
{
    smtpchk_check *c = new_check();
    smtpchk_session *s = connected_session(c);
    CU_ASSERT_EQUAL(smtpchk_session_feed(s, T0 + 2 * MS, "220 mx\r\n", 8), 8);
    size_t len = 0;
    smtpchk_session_output(s, &len);
    smtpchk_session_output_done(s, T0 + 5 * MS, 4);   /* "EHLO" */
    smtpchk_session_output_done(s, T0 + 9 * MS, len - 4); /* the rest, later */
    CU_ASSERT_EQUAL(smtpchk_session_feed(s, T0 + 12 * MS, "250 mx\r\n", 8), 8);
    smtpchk_session_output(s, &len);
    smtpchk_session_output_done(s, T0 + 20 * MS, len); /* QUIT */
    CU_ASSERT_EQUAL(smtpchk_session_feed(s, T0 + 21 * MS, "221 bye\r\n", 9), 9);
    const smtpchk_result *r = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(r->error, SMTPCHK_OK);
    CU_ASSERT_EQUAL(r->phase_us[SMTPCHK_PHASE_GREETING], 2 * MS);
    CU_ASSERT_EQUAL(r->phase_us[SMTPCHK_PHASE_EHLO], 3 * MS);
    CU_ASSERT_EQUAL(r->phase_us[SMTPCHK_PHASE_QUIT], 1 * MS);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

/* Output can be written in pieces. */
static void
test_partial_output_done(void)
{
    smtpchk_check *c = new_check();
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0, PEER);
    feed_at(s, T0 + MS, "220 mx\r\n");
    size_t len = 0;
    const char *out = smtpchk_session_output(s, &len);
    CU_ASSERT_EQUAL_FATAL(len, strlen("EHLO probe.test\r\n"));
    CU_ASSERT(memcmp(out, "EHLO probe.test\r\n", len) == 0);
    smtpchk_session_output_done(s, 0, 5);
    out = smtpchk_session_output(s, &len);
    CU_ASSERT_EQUAL_FATAL(len, strlen("probe.test\r\n"));
    CU_ASSERT(memcmp(out, "probe.test\r\n", len) == 0);
    smtpchk_session_output_done(s, 0, len);
    smtpchk_session_output(s, &len);
    CU_ASSERT_EQUAL(len, 0);
    smtpchk_session_free(s);
    smtpchk_check_free(c);
}

/*
 * A subject that is not UTF-8 is refused by smtpchk_check_validate (the
 * job never connects). Should a session get one anyway, it cannot build
 * the message: configurationError before MAIL FROM goes out, and as the
 * connection is healthy, the session still QUITs (RFC 5321 4.1.1.10).
 */
static void
test_unbuildable_message(void)
{
    smtpchk_check *c = new_check();
    c->mail_from = strdup("monitor@example.org");
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->rcpt, &c->nrcpt, "postmaster@example.net"), 0);
    c->subject = strdup("caf\xe9 latin-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->subject);
    char err[160];
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_validate(c, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "the subject and bodies must be UTF-8");
    smtpchk_buf wire;
    smtpchk_buf_init(&wire);
    smtpchk_session *s = new_session(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smtpchk_session_resolved(s, T0);
    smtpchk_session_connecting(s, T0);
    smtpchk_session_connected(s, T0, PEER);
    feed_at(s, T0 + MS, "220 mx\r\n");
    take_output(s, &wire);
    feed_at(s, T0 + 2 * MS, "250 mx\r\n");
    take_output(s, &wire);
    const smtpchk_result *res = smtpchk_session_result(s);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_ERR_CONFIG);
    CU_ASSERT_EQUAL(res->response_code, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(res->error_detail, "UTF-8"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(wire.data);
    CU_ASSERT_PTR_NULL(strstr(wire.data, "MAIL FROM"));
    CU_ASSERT_STRING_EQUAL(wire.data, "EHLO probe.test\r\nQUIT\r\n");
    smtpchk_session_free(s);
    smtpchk_check_free(c);
    smtpchk_buf_free(&wire);
}

/* The session has no clock of its own: without an environment, no session. */
static void
test_env_required(void)
{
    smtpchk_check *c = new_check();
    smtpchk_session_env no_clock = {NULL, zero_random, NULL};
    smtpchk_session_env no_random = {fixed_wall_clock, NULL, NULL};
    CU_ASSERT_PTR_NULL(smtpchk_session_new(c, EHLO_NAME, NULL, T0));
    CU_ASSERT_PTR_NULL(smtpchk_session_new(c, EHLO_NAME, &no_clock, T0));
    CU_ASSERT_PTR_NULL(smtpchk_session_new(c, EHLO_NAME, &no_random, T0));
    smtpchk_check_free(c);
}

static void
test_free_null(void)
{
    smtpchk_session_free(NULL);
    CU_PASS("smtpchk_session_free(NULL) is a no-op");
}

void
register_tests(void)
{
#define TRANSCRIPT_TEST(name) TEST(test_tx_##name),
    SUITE_ADD("session",
              TRANSCRIPTS(TRANSCRIPT_TEST)
              TEST(test_all_transcripts_listed),
              TEST(test_runner_catches_mismatch),
              TEST(test_timings),
              TEST(test_timings_starttls),
              TEST(test_deadline),
              TEST(test_step_timeout_detail),
              TEST(test_transcript_hides_password),
              TEST(test_events_after_done_ignored),
              TEST(test_partial_output_done), TEST(test_phase_starts_when_sent),
              TEST(test_unbuildable_message),
              TEST(test_env_required),
              TEST(test_free_null));
#undef TRANSCRIPT_TEST
}
