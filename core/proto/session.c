/*
 * The check's state machine. Entering a state sends its command
 * (session_enter); one switch handles the reply for the current state
 * (session_on_reply); set_state is the only place the state changes.
 * ST_DONE is the one terminal state, and end_session the one way there.
 */
#include "session.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "buf.h"
#include "caps.h"
#include "message.h"
#include "probemail.h"
#include "protocol.h"
#include "reply.h"

typedef enum {
    ST_RESOLVE,
    ST_CONNECT,
    ST_TLS,            /* implicit TLS handshake */
    ST_GREETING,
    ST_EHLO,
    ST_HELO,
    ST_STARTTLS,       /* STARTTLS sent, waiting for 220 */
    ST_STARTTLS_HS,    /* handshake after 220 */
    ST_AUTH,           /* AUTH sent: waiting for 235 or the first 334 */
    ST_AUTH_LOGIN_PASS,
    ST_AUTH_FINAL,
    ST_MAIL,
    ST_RCPT,
    ST_DATA,
    ST_MESSAGE,
    ST_PROBE,
    ST_QUIT,
    ST_DONE,           /* terminal: the result is final, nothing more is sent */
    ST__COUNT
} state;

/*
 * One row per state: its name in the transcript, the step it reports, and
 * whether the server speaks next (the greeting, or the reply to the
 * command this state sent).
 */
static const struct {
    const char *name;
    smtpchk_step step;
    bool awaits_reply;
} states[ST__COUNT] = {
    [ST_RESOLVE] = {"RESOLVE", SMTPCHK_STEP_DNS, false},
    [ST_CONNECT] = {"CONNECT", SMTPCHK_STEP_CONNECT, false},
    [ST_TLS] = {"TLS", SMTPCHK_STEP_TLS, false},
    [ST_GREETING] = {"GREETING", SMTPCHK_STEP_GREETING, true},
    [ST_EHLO] = {"EHLO", SMTPCHK_STEP_EHLO, true},
    [ST_HELO] = {"HELO", SMTPCHK_STEP_HELO, true},
    [ST_STARTTLS] = {"STARTTLS", SMTPCHK_STEP_STARTTLS, true},
    [ST_STARTTLS_HS] = {"STARTTLS_HANDSHAKE", SMTPCHK_STEP_TLS, false},
    [ST_AUTH] = {"AUTH", SMTPCHK_STEP_AUTH, true},
    [ST_AUTH_LOGIN_PASS] = {"AUTH_LOGIN_PASS", SMTPCHK_STEP_AUTH, true},
    [ST_AUTH_FINAL] = {"AUTH_FINAL", SMTPCHK_STEP_AUTH, true},
    [ST_MAIL] = {"MAIL", SMTPCHK_STEP_MAIL, true},
    [ST_RCPT] = {"RCPT", SMTPCHK_STEP_RCPT, true},
    [ST_DATA] = {"DATA", SMTPCHK_STEP_DATA, true},
    [ST_MESSAGE] = {"MESSAGE", SMTPCHK_STEP_MESSAGE, true},
    [ST_PROBE] = {"PROBE", SMTPCHK_STEP_PROBE, true},
    [ST_QUIT] = {"QUIT", SMTPCHK_STEP_QUIT, true},
    [ST_DONE] = {"DONE", SMTPCHK_STEP_NONE, false},
};

struct smtpchk_session {
    const smtpchk_check *check;
    const char *ehlo_name;
    smtpchk_session_env env;  /* wall clock and randomness, lent by the driver */
    state st;
    smtpchk_result res;
    smtpchk_reply_parser *parser;
    smtpchk_buf out;
    smtpchk_buf msg;          /* the test message, built before MAIL FROM */
    smtpchk_caps caps;
    unsigned mech;            /* AUTH mechanism in use */
    size_t rcpt_i;
    size_t probe_i;
    int smtputf8;             /* MAIL FROM carries SMTPUTF8 */
    int failed;               /* the result is decided; only QUIT politely */
    int64_t start;            /* check start */
    int64_t step_start;       /* when the current step began */
    int64_t phase_start;      /* start of the timing phase in progress */
    int64_t out_at;           /* when the output was queued; 0 = none queued */
    int64_t queued_at;        /* the final 250 after DATA; 0 = not yet */
    char token[SMTPCHK_TOKEN_MAX]; /* the test mail's (probemail.h); "" = none */
    smtpchk_transcript_fn tfn;
    void *tud;
};

static void session_enter(smtpchk_session *s, state st, int64_t now);

/* ---- small helpers ---------------------------------------------------- */

static void
note(smtpchk_session *s, char dir, const char *line)
{
    if (s->tfn != NULL)
        s->tfn(s->tud, dir, line, strlen(line));
}

/* The only place the state changes. ST_DONE is final: returns 0 then. */
static int
set_state(smtpchk_session *s, state st, int64_t now)
{
    if (s->st == ST_DONE)
        return 0;
    if (s->tfn != NULL && st != s->st) {
        char msg[96];
        snprintf(msg, sizeof(msg), "state %s -> %s", states[s->st].name, states[st].name);
        note(s, '*', msg);
    }
    s->st = st;
    s->step_start = now;
    return 1;
}

static int64_t
elapsed(int64_t from, int64_t now)
{
    return now >= from ? now - from : 0;
}

/*
 * The one way a session ends. Anything still queued is dropped unsent:
 * each way here has either had its last reply or must say no more (a
 * broken channel, a server out of turn, no memory), and the queue may
 * hold credentials.
 */
static void
end_session(smtpchk_session *s, int64_t now)
{
    if (s->st == ST_DONE)
        return;
    if (s->out.len > 0 && s->tfn != NULL) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%zu queued bytes dropped unsent", s->out.len);
        note(s, '*', msg);
    }
    smtpchk_buf_wipe(&s->out);
    smtpchk_buf_free(&s->msg);
    s->res.phase_us[SMTPCHK_PHASE_TOTAL] = elapsed(s->start, now);
    set_state(s, ST_DONE, now);
}

static void
set_reply_text(smtpchk_session *s, const smtpchk_reply *r)
{
    const char *text = r->nlines > 0 ? r->lines[r->nlines - 1] : "";
    char line[SMTPCHK_TEXT_MAX];
    snprintf(line, sizeof(line), "%d %s", r->code, text);
    smtpchk_sanitize(line, s->res.reply_text, sizeof(s->res.reply_text));
}

/* ---- failing: the result is decided once ------------------------------ */

static int
decide(smtpchk_session *s, smtpchk_step step, smtpchk_error err, int code, const char *fmt,
       va_list ap) __attribute__((format(printf, 5, 0)));

/* The only place a failure is recorded; 0 when the result was decided already. */
static int
decide(smtpchk_session *s, smtpchk_step step, smtpchk_error err, int code, const char *fmt,
       va_list ap)
{
    if (s->failed || s->st == ST_DONE)
        return 0;
    s->failed = 1;
    s->res.error = err;
    s->res.response_code = code;
    s->res.failed_step = step;
    vsnprintf(s->res.error_detail, sizeof(s->res.error_detail), fmt, ap);
    return 1;
}

/* RFC 5321 4.1.1.10: end with QUIT while the channel works, unless the
 * server is closing (421) or QUIT itself is what failed. */
static void
quit_politely(smtpchk_session *s, int64_t now, int code)
{
    if (code != 421 && s->st != ST_QUIT)
        session_enter(s, ST_QUIT, now);
    else
        end_session(s, now);
}

static void
fail(smtpchk_session *s, int64_t now, smtpchk_error err, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The current step failed: decide the result, then QUIT politely. */
static void
fail(smtpchk_session *s, int64_t now, smtpchk_error err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int first = decide(s, states[s->st].step, err, code, fmt, ap);
    va_end(ap);
    if (first)
        quit_politely(s, now, code);
}

static void
fail_before(smtpchk_session *s, int64_t now, smtpchk_step step, smtpchk_error err,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Like fail(), for a step that could not even start (say, STARTTLS not offered). */
static void
fail_before(smtpchk_session *s, int64_t now, smtpchk_step step, smtpchk_error err,
            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int first = decide(s, step, err, -1, fmt, ap);
    va_end(ap);
    if (first)
        quit_politely(s, now, -1);
}

static void
stop(smtpchk_session *s, int64_t now, smtpchk_error err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Ends at once, without QUIT: the channel is broken or cannot be trusted,
 * or there is no memory to say more. A result decided before stays.
 */
static void
stop(smtpchk_session *s, int64_t now, smtpchk_error err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    decide(s, states[s->st].step, err, -1, fmt, ap);
    va_end(ap);
    end_session(s, now);
}

static void
out_of_memory(smtpchk_session *s, int64_t now, const char *doing)
{
    stop(s, now, SMTPCHK_ERR_INTERNAL, "out of memory %s", doing);
}

/* Queues one command line. `shown` replaces it in the transcript (secrets). */
static void
send_line(smtpchk_session *s, int64_t now, const char *line, const char *shown)
{
    if (smtpchk_buf_append_str(&s->out, line) != 0 ||
        smtpchk_buf_append(&s->out, "\r\n", 2) != 0) {
        out_of_memory(s, now, "queueing a command");
        return;
    }
    s->out_at = now;
    note(s, '>', shown != NULL ? shown : line);
}

/* ---- entering states: each sends its command ------------------------- */

static void
send_ehlo(smtpchk_session *s, int64_t now, const char *verb)
{
    char line[512];
    snprintf(line, sizeof(line), "%s %s", verb, s->ehlo_name);
    send_line(s, now, line, NULL);
}

static void
send_auth(smtpchk_session *s, int64_t now)
{
    smtpchk_buf resp;
    smtpchk_buf_init(&resp);
    const char *name = smtpchk_auth_mech_name(s->mech);
    snprintf(s->res.auth_mech, sizeof(s->res.auth_mech), "%s", name);
    s->phase_start = now;
    if (s->mech != SMTPCHK_AUTH_PLAIN) {
        char line[64];
        snprintf(line, sizeof(line), "AUTH %s", name);
        send_line(s, now, line, NULL);
        return;
    }
    /* A validated check has a password, so only memory can run out here. */
    if (smtpchk_buf_append_str(&resp, "AUTH PLAIN ") != 0 ||
        smtpchk_auth_plain_response(s->check->user, s->check->password, &resp) != 0) {
        smtpchk_buf_wipe(&resp);
        out_of_memory(s, now, "encoding AUTH PLAIN");
        return;
    }
    send_line(s, now, resp.data, "AUTH PLAIN <redacted>");
    smtpchk_buf_wipe(&resp);
}

static void
send_mail_from(smtpchk_session *s, int64_t now)
{
    char line[600];
    int n = snprintf(line, sizeof(line), "MAIL FROM:<%s>",
                     s->check->mail_from != NULL ? s->check->mail_from : "");
    /* RFC 1870: SIZE= may be given whenever SIZE is advertised, limit or not. */
    if ((s->caps.flags & SMTPCHK_CAP_SIZE) && n > 0 &&
        (size_t)n < sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, " SIZE=%zu", s->msg.len);
    if (s->smtputf8 && n > 0 && (size_t)n < sizeof(line))
        snprintf(line + n, sizeof(line) - (size_t)n, " SMTPUTF8");
    send_line(s, now, line, NULL);
}

static void
send_message(smtpchk_session *s, int64_t now)
{
    if (smtpchk_buf_append(&s->out, s->msg.data, s->msg.len) != 0) {
        out_of_memory(s, now, "queueing the message");
        return;
    }
    s->out_at = now;
    char line[64];
    snprintf(line, sizeof(line), "<message, %zu octets>", s->msg.len);
    note(s, '>', line);
    smtpchk_buf_free(&s->msg);
}

static void
session_enter(smtpchk_session *s, state st, int64_t now)
{
    if (!set_state(s, st, now))
        return; /* the session is over: nothing more is sent */
    switch (st) {
    case ST_EHLO:
        send_ehlo(s, now, "EHLO");
        break;
    case ST_HELO:
        s->res.used_helo = true;
        send_ehlo(s, now, "HELO");
        break;
    case ST_STARTTLS:
        s->phase_start = now;
        send_line(s, now, "STARTTLS", NULL);
        break;
    case ST_AUTH:
        send_auth(s, now);
        break;
    case ST_MAIL:
        s->phase_start = now;
        send_mail_from(s, now);
        break;
    case ST_RCPT: {
        char line[600];
        snprintf(line, sizeof(line), "RCPT TO:<%s>", s->check->rcpt[s->rcpt_i]);
        send_line(s, now, line, NULL);
        break;
    }
    case ST_DATA:
        send_line(s, now, "DATA", NULL);
        break;
    case ST_MESSAGE:
        send_message(s, now);
        break;
    case ST_PROBE:
        send_line(s, now, s->check->probes[s->probe_i], NULL);
        break;
    case ST_QUIT:
        s->phase_start = now;
        send_line(s, now, "QUIT", NULL);
        break;
    default: /* TLS states: the driver acts (smtpchk_session_action) */
        break;
    }
}

/* ---- what comes after each stage ------------------------------------- */

/* The token "<seconds>.<16 hex digits>" (the wall-clock second and 8
 * random bytes) and the Message-ID "<token@name>". */
static void
make_message_id(smtpchk_session *s, int64_t wall, char *out, size_t outlen)
{
    unsigned char rnd[8];
    /* Without them the id is still well-formed and, with the second and
     * our name, rarely repeated: not worth failing the check for. */
    if (s->env.random_bytes(s->env.ud, rnd, sizeof(rnd)) != 0)
        memset(rnd, 0, sizeof(rnd));
    smtpchk_probe_token(wall, rnd, s->token);
    snprintf(out, outlen, "<%s@%s>", s->token, s->ehlo_name);
}

static int
build_message(smtpchk_session *s, int64_t now)
{
    const smtpchk_check *c = s->check;
    int64_t wall = s->env.wall_clock(s->env.ud);
    char mid[300];
    make_message_id(s, wall, mid, sizeof(mid));
    smtpchk_msgspec spec = {
        .from = c->mail_from != NULL ? c->mail_from : "",
        .to = (const char *const *)c->rcpt,
        .nto = c->nrcpt,
        .subject = c->subject != NULL ? c->subject : "SMTP check",
        .body_html = c->body_html,
        .body_text = c->body_text,
        .date = (time_t)wall,
        .message_id = mid,
        .boundary = NULL,
    };
    char tag[SMTPCHK_TAG_MAX];
    if (c->rt.protocol != 0) {
        smtpchk_probe_tag(c->name != NULL ? c->name : smtpchk_check_target(c), tag);
        spec.token = s->token;
        spec.check_tag = tag;
    }
    char err[160];
    if (smtpchk_message_check(&spec, err, sizeof(err)) != 0) {
        fail(s, now, SMTPCHK_ERR_CONFIG, -1, "test message: %s", err);
        return -1;
    }
    /* A spec that passed the check fails to build only for want of memory. */
    if (smtpchk_message_build(&spec, &s->msg, err, sizeof(err)) != 0) {
        out_of_memory(s, now, "building the test message");
        return -1;
    }
    return 0;
}

static void
after_transfer(smtpchk_session *s, int64_t now)
{
    if (s->probe_i < s->check->nprobes)
        session_enter(s, ST_PROBE, now);
    else
        session_enter(s, ST_QUIT, now);
}

static int
ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* RFC 6531: a non-ASCII address needs the server's SMTPUTF8. */
static int
needs_smtputf8(const smtpchk_check *c)
{
    int all = c->mail_from == NULL || ascii(c->mail_from);
    for (size_t i = 0; all && i < c->nrcpt; i++)
        all = ascii(c->rcpt[i]);
    return !all;
}

static void
after_login(smtpchk_session *s, int64_t now)
{
    if (s->check->nrcpt == 0) {
        after_transfer(s, now);
        return;
    }
    s->smtputf8 = needs_smtputf8(s->check);
    if (s->smtputf8 && !(s->caps.flags & SMTPCHK_CAP_SMTPUTF8)) {
        fail_before(s, now, SMTPCHK_STEP_MAIL, SMTPCHK_ERR_SMTPUTF8,
                    "an address is not ASCII and the server does not offer SMTPUTF8");
        return;
    }
    if (build_message(s, now) == 0)
        session_enter(s, ST_MAIL, now);
}

static void
start_auth(smtpchk_session *s, int64_t now)
{
    if (!s->res.tls && !s->check->allow_insecure_auth) {
        fail_before(s, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_INSECURE,
                    "refusing to send credentials over an unencrypted connection");
        return;
    }
    unsigned allowed = s->check->auth_mechs ? s->check->auth_mechs : SMTPCHK_AUTH_ALL;
    s->mech = smtpchk_auth_choose(s->caps.auth, allowed, s->res.tls);
    if (s->mech == 0) {
        fail_before(s, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_UNAVAILABLE, "%s",
                    (s->caps.flags & SMTPCHK_CAP_AUTH) ? "no allowed AUTH mechanism is offered"
                                                       : "the server offers no AUTH");
        return;
    }
    session_enter(s, ST_AUTH, now);
}

static void
after_hello(smtpchk_session *s, int64_t now)
{
    s->res.phase_us[SMTPCHK_PHASE_EHLO] = (s->res.phase_us[SMTPCHK_PHASE_EHLO] < 0 ? 0 : s->res.phase_us[SMTPCHK_PHASE_EHLO]) + elapsed(s->step_start, now);
    s->res.caps = s->caps.flags;
    s->res.server_auth = s->caps.auth;
    s->res.size_limit = s->caps.size;
    if (s->check->security == SMTPCHK_SEC_STARTTLS && !s->res.tls) {
        if (s->caps.flags & SMTPCHK_CAP_STARTTLS)
            session_enter(s, ST_STARTTLS, now);
        else
            fail_before(s, now, SMTPCHK_STEP_STARTTLS, SMTPCHK_ERR_STARTTLS_UNAVAILABLE,
                        "the server does not offer STARTTLS");
        return;
    }
    if (s->check->user != NULL)
        start_auth(s, now);
    else
        after_login(s, now);
}

/* ---- replies ---------------------------------------------------------- */

static int
is_code(const smtpchk_reply *r, int code)
{
    return r->code == code;
}

static void
on_greeting(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    smtpchk_sanitize(r->lines[0], s->res.greeting, sizeof(s->res.greeting));
    if (!is_code(r, 220)) {
        fail(s, now, SMTPCHK_ERR_GREETING, r->code, "greeting was %d, not 220", r->code);
        return;
    }
    s->res.phase_us[SMTPCHK_PHASE_GREETING] = elapsed(s->phase_start, now);
    session_enter(s, ST_EHLO, now);
}

static void
on_ehlo(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    if (is_code(r, 250)) {
        smtpchk_caps_parse(r, &s->caps);
        after_hello(s, now);
    } else if (r->code >= 500) {
        s->res.phase_us[SMTPCHK_PHASE_EHLO] = elapsed(s->step_start, now);
        session_enter(s, ST_HELO, now);
    } else {
        fail(s, now, SMTPCHK_ERR_EHLO, r->code, "EHLO rejected with %d", r->code);
    }
}

static void
on_helo(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    if (!is_code(r, 250)) {
        fail(s, now, SMTPCHK_ERR_EHLO, r->code, "HELO rejected with %d", r->code);
        return;
    }
    memset(&s->caps, 0, sizeof(s->caps));
    after_hello(s, now);
}

static void
on_starttls(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    if (!is_code(r, 220)) {
        fail(s, now, SMTPCHK_ERR_STARTTLS_REJECTED, r->code, "STARTTLS rejected with %d",
             r->code);
        return;
    }
    int64_t keep = s->phase_start;
    session_enter(s, ST_STARTTLS_HS, now);
    s->phase_start = keep; /* tls time includes the STARTTLS exchange */
}

static void
auth_login_done(smtpchk_session *s, int64_t now)
{
    s->res.phase_us[SMTPCHK_PHASE_LOGIN] = elapsed(s->phase_start, now);
    after_login(s, now);
}

/* Sends base64(value) as a continuation line; secret lines are redacted. */
static void
send_b64(smtpchk_session *s, const char *value, int secret, int64_t now)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    if (smtpchk_base64_encode(value, strlen(value), &b) != 0) {
        smtpchk_buf_wipe(&b);
        out_of_memory(s, now, "encoding AUTH data");
        return;
    }
    send_line(s, now, b.data, secret ? "<redacted>" : NULL);
    smtpchk_buf_wipe(&b);
}

static void
send_cram(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    const char *ch = r->lines[0];
    if (smtpchk_auth_cram_md5_response(ch, strlen(ch), s->check->user, s->check->password, &b) != 0) {
        smtpchk_buf_wipe(&b);
        fail(s, now, SMTPCHK_ERR_PROTOCOL, r->code, "bad CRAM-MD5 challenge");
        return;
    }
    set_state(s, ST_AUTH_FINAL, now);
    send_line(s, now, b.data, "<redacted>");
    smtpchk_buf_wipe(&b);
}

/* RFC 4954: a 334 carries a base64 challenge ("Username:", "Password:"
 * for LOGIN). One that is not base64 is a broken or hostile server: no
 * user name and no password go in answer to it. */
static int
login_challenge_ok(const smtpchk_reply *r)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    const char *ch = r->lines[0];
    int ok = smtpchk_base64_decode(ch, strlen(ch), &b) == 0;
    smtpchk_buf_wipe(&b);
    return ok;
}

static void
on_auth(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    if (is_code(r, 235)) {
        auth_login_done(s, now);
        return;
    }
    if (!is_code(r, 334) || s->st == ST_AUTH_FINAL) {
        fail(s, now, SMTPCHK_ERR_AUTH_FAILED, r->code, "AUTH %s rejected with %d",
             s->res.auth_mech, r->code);
        return;
    }
    if (s->mech == SMTPCHK_AUTH_LOGIN && !login_challenge_ok(r)) {
        stop(s, now, SMTPCHK_ERR_PROTOCOL, "AUTH LOGIN challenge is not base64");
        return;
    }
    if (s->mech == SMTPCHK_AUTH_LOGIN && s->st == ST_AUTH) {
        set_state(s, ST_AUTH_LOGIN_PASS, now);
        send_b64(s, s->check->user, 0, now);
    } else if (s->mech == SMTPCHK_AUTH_LOGIN) {
        set_state(s, ST_AUTH_FINAL, now);
        send_b64(s, s->check->password, 1, now);
    } else if (s->mech == SMTPCHK_AUTH_CRAM_MD5) {
        send_cram(s, r, now);
    } else {
        fail(s, now, SMTPCHK_ERR_PROTOCOL, r->code, "unexpected 334 to AUTH PLAIN");
    }
}

static void
on_mail_reply(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    int ok = r->code / 100 == 2;
    switch (s->st) {
    case ST_MAIL:
        if (!ok) {
            fail(s, now, SMTPCHK_ERR_SENDER, r->code, "MAIL FROM rejected with %d", r->code);
            return;
        }
        s->rcpt_i = 0;
        session_enter(s, ST_RCPT, now);
        return;
    case ST_RCPT:
        if (!ok) {
            fail(s, now, SMTPCHK_ERR_RECIPIENT, r->code, "recipient <%s> rejected with %d",
                 s->check->rcpt[s->rcpt_i], r->code);
            return;
        }
        s->rcpt_i++;
        session_enter(s, s->rcpt_i < s->check->nrcpt ? ST_RCPT : ST_DATA, now);
        return;
    case ST_DATA:
        if (!is_code(r, 354)) {
            fail(s, now, SMTPCHK_ERR_DATA, r->code, "DATA rejected with %d", r->code);
            return;
        }
        session_enter(s, ST_MESSAGE, now);
        return;
    default:
        if (!ok) {
            fail(s, now, SMTPCHK_ERR_MESSAGE, r->code, "message rejected with %d", r->code);
            return;
        }
        smtpchk_sanitize(r->nlines > 0 ? r->lines[r->nlines - 1] : "", s->res.queue_reply,
                         sizeof(s->res.queue_reply));
        (void)smtpchk_queue_id(s->res.queue_reply, sizeof(s->res.queue_reply),
                               s->res.queue_id);
        s->queued_at = now;
        s->res.phase_us[SMTPCHK_PHASE_TRANSFER] = elapsed(s->phase_start, now);
        after_transfer(s, now);
        return;
    }
}

static void
on_probe(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    s->res.probe_codes[s->probe_i++] = r->code;
    s->res.nprobes = s->probe_i;
    /* Probe codes do not fail a check, but 421 closes the channel. */
    if (is_code(r, 421)) {
        fail(s, now, SMTPCHK_ERR_CLOSED, r->code, "the server is closing the channel (421 to %s)",
             s->check->probes[s->probe_i - 1]);
        return;
    }
    after_transfer(s, now);
}

static void
on_quit(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    s->res.phase_us[SMTPCHK_PHASE_QUIT] = elapsed(s->phase_start, now);
    s->res.quit_clean = is_code(r, 221);
    if (!s->res.quit_clean && s->check->strict_quit && !s->failed) {
        fail(s, now, SMTPCHK_ERR_QUIT, r->code, "QUIT answered with %d", r->code);
        return;
    }
    end_session(s, now);
}

static void
session_on_reply(smtpchk_session *s, const smtpchk_reply *r, int64_t now)
{
    for (size_t i = 0; s->tfn != NULL && i < r->nlines; i++) { /* formatted if shown */
        char line[SMTPCHK_REPLY_MAX_LINE + 8];
        snprintf(line, sizeof(line), "%d%c%s", r->code, i + 1 < r->nlines ? '-' : ' ',
                 r->lines[i]);
        note(s, '<', line);
    }
    if (!s->failed) { /* keep the reply that decided a failure */
        set_reply_text(s, r);
        s->res.enhanced_class = r->enh_class;
        s->res.enhanced_subject = r->enh_subject;
        s->res.enhanced_detail = r->enh_detail;
    }
    switch (s->st) {
    case ST_GREETING: on_greeting(s, r, now); break;
    case ST_EHLO: on_ehlo(s, r, now); break;
    case ST_HELO: on_helo(s, r, now); break;
    case ST_STARTTLS: on_starttls(s, r, now); break;
    case ST_AUTH:
    case ST_AUTH_LOGIN_PASS:
    case ST_AUTH_FINAL: on_auth(s, r, now); break;
    case ST_MAIL:
    case ST_RCPT:
    case ST_DATA:
    case ST_MESSAGE: on_mail_reply(s, r, now); break;
    case ST_PROBE: on_probe(s, r, now); break;
    case ST_QUIT: on_quit(s, r, now); break;
    default:
        fail(s, now, SMTPCHK_ERR_PROTOCOL, r->code, "unexpected reply %d in state %s",
             r->code, states[s->st].name);
        break;
    }
}

/* ---- public API -------------------------------------------------------- */

smtpchk_session *
smtpchk_session_new(const smtpchk_check *check, const char *default_ehlo,
                    const smtpchk_session_env *env, int64_t now_us)
{
    if (env == NULL || env->wall_clock == NULL || env->random_bytes == NULL)
        return NULL;
    smtpchk_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->parser = smtpchk_reply_parser_new(0, 0);
    /* The password is the check's, borrowed: no copy of it to wipe. */
    if (s->parser == NULL) {
        smtpchk_session_free(s);
        return NULL;
    }
    s->check = check;
    s->env = *env;
    s->ehlo_name = check->ehlo_name != NULL ? check->ehlo_name
                   : default_ehlo != NULL   ? default_ehlo
                                            : "localhost";
    smtpchk_buf_init(&s->out);
    smtpchk_buf_init(&s->msg);
    smtpchk_result_init(&s->res);
    s->st = ST_RESOLVE;
    s->start = s->step_start = s->phase_start = now_us;
    return s;
}

void
smtpchk_session_free(smtpchk_session *s)
{
    if (s == NULL)
        return;
    smtpchk_reply_parser_free(s->parser);
    smtpchk_buf_wipe(&s->out);
    smtpchk_buf_free(&s->msg);
    free(s);
}

void
smtpchk_session_set_buffer_limit(smtpchk_session *s, size_t max)
{
    s->out.max = max;
    s->msg.max = max;
}

void
smtpchk_session_set_transcript(smtpchk_session *s, smtpchk_transcript_fn fn, void *ud)
{
    s->tfn = fn;
    s->tud = ud;
}

void
smtpchk_session_resolved(smtpchk_session *s, int64_t now_us)
{
    if (s->st != ST_RESOLVE)
        return;
    s->res.phase_us[SMTPCHK_PHASE_DNS] = elapsed(s->phase_start, now_us);
    set_state(s, ST_CONNECT, now_us);
}

void
smtpchk_session_connecting(smtpchk_session *s, int64_t now_us)
{
    if (s->st == ST_CONNECT)
        s->phase_start = now_us; /* a new attempt, e.g. the next address */
}

void
smtpchk_session_note(smtpchk_session *s, const char *line)
{
    note(s, '*', line);
}

void
smtpchk_session_connected(smtpchk_session *s, int64_t now_us, const char *peer)
{
    if (s->st != ST_CONNECT)
        return;
    s->res.phase_us[SMTPCHK_PHASE_CONNECT] = elapsed(s->phase_start, now_us);
    snprintf(s->res.peer, sizeof(s->res.peer), "%s", peer != NULL ? peer : "");
    if (s->tfn != NULL) {
        char msg[96];
        snprintf(msg, sizeof(msg), "connected to %s", s->res.peer);
        note(s, '*', msg);
    }
    s->phase_start = now_us;
    if (s->check->security == SMTPCHK_SEC_TLS)
        session_enter(s, ST_TLS, now_us);
    else
        set_state(s, ST_GREETING, now_us);
}

void
smtpchk_session_tls_facts(smtpchk_session *s, const smtpchk_tls_facts *f)
{
    smtpchk_tls_facts_store(&s->res, f);
}

void
smtpchk_tls_facts_store(smtpchk_result *r, const smtpchk_tls_facts *f)
{
    snprintf(r->tls_version, sizeof(r->tls_version), "%s", f->version ? f->version : "");
    snprintf(r->tls_cipher, sizeof(r->tls_cipher), "%s", f->cipher ? f->cipher : "");
    r->has_cert = f->has_cert != 0;
    if (f->has_cert) {
        smtpchk_sanitize(f->subject ? f->subject : "", r->cert_subject, sizeof(r->cert_subject));
        smtpchk_sanitize(f->issuer ? f->issuer : "", r->cert_issuer, sizeof(r->cert_issuer));
        r->cert_days_left = f->days_left;
    }
}

void
smtpchk_session_tls_done(smtpchk_session *s, int64_t now_us, const smtpchk_tls_facts *f)
{
    if (s->st != ST_TLS && s->st != ST_STARTTLS_HS)
        return;
    s->res.tls = true;
    s->res.phase_us[SMTPCHK_PHASE_TLS] = elapsed(s->phase_start, now_us);
    smtpchk_session_tls_facts(s, f);
    if (s->tfn != NULL) {
        char msg[128];
        snprintf(msg, sizeof(msg), "TLS established: %s %s", s->res.tls_version,
                 s->res.tls_cipher);
        note(s, '*', msg);
    }
    if (s->st == ST_TLS) {
        s->phase_start = now_us;
        set_state(s, ST_GREETING, now_us);
    } else {
        memset(&s->caps, 0, sizeof(s->caps)); /* forget what was said in clear */
        session_enter(s, ST_EHLO, now_us);
    }
}

void
smtpchk_session_transport_failed(smtpchk_session *s, int64_t now_us, smtpchk_error err,
                                 const char *detail)
{
    /* A failure during the polite QUIT keeps the result decided before. */
    stop(s, now_us, err, "%s", detail != NULL ? detail : smtpchk_error_description(err));
}

static bool
tls_next(const smtpchk_session *s)
{
    return s->st == ST_TLS || s->st == ST_STARTTLS_HS;
}

/*
 * Server bytes are due only while a reply is: the greeting, or the answer
 * to a command handed wholly to the transport. This client does not
 * pipeline, so bytes before that answer nothing we asked.
 */
static bool
reply_due(const smtpchk_session *s)
{
    return states[s->st].awaits_reply && s->out.len == 0;
}

/* Feeds the reply parser and acts on a complete reply; returns bytes used. */
static size_t
feed_reply(smtpchk_session *s, int64_t now, const char *buf, size_t len)
{
    size_t n = 0;
    smtpchk_parse_status st = smtpchk_reply_parser_feed(s->parser, buf, len, &n);
    if (st == SMTPCHK_PARSE_ERROR) /* a garbled stream is not worth a QUIT */
        stop(s, now, SMTPCHK_ERR_PROTOCOL, "%s", smtpchk_reply_parser_error(s->parser));
    else if (st == SMTPCHK_PARSE_COMPLETE)
        session_on_reply(s, smtpchk_reply_parser_reply(s->parser), now);
    return n;
}

size_t
smtpchk_session_feed(smtpchk_session *s, int64_t now_us, const char *buf, size_t len)
{
    size_t used = 0;
    while (used < len && s->st != ST_DONE && !tls_next(s)) {
        if (!reply_due(s)) {
            /* Taken as a reply, it could steer us ahead of the server (say,
             * into sending credentials); what we queued is dropped unsent. */
            stop(s, now_us, SMTPCHK_ERR_PROTOCOL,
                 "server data before the command it would answer was sent");
            return used;
        }
        used += feed_reply(s, now_us, buf + used, len - used);
    }
    if (used < len && s->st == ST_STARTTLS_HS) {
        /* Plaintext after "220 ready for TLS" could be injected (CVE-2011-0411). */
        stop(s, now_us, SMTPCHK_ERR_PROTOCOL, "data after the STARTTLS reply");
    }
    return used;
}

void
smtpchk_session_eof(smtpchk_session *s, int64_t now_us)
{
    if (s->st == ST_DONE)
        return;
    if (s->st == ST_QUIT) {
        s->res.phase_us[SMTPCHK_PHASE_QUIT] = elapsed(s->phase_start, now_us);
        if (!s->failed && s->check->strict_quit) {
            fail(s, now_us, SMTPCHK_ERR_QUIT, -1, "connection closed before 221");
            return;
        }
        end_session(s, now_us);
        return;
    }
    const char *why = smtpchk_reply_parser_partial(s->parser)
                          ? "connection closed in the middle of a reply"
                          : "connection closed by the server";
    smtpchk_session_transport_failed(s, now_us, SMTPCHK_ERR_CLOSED, why);
}

void
smtpchk_session_timeout(smtpchk_session *s, int64_t now_us)
{
    if (s->st == ST_DONE)
        return;
    int overall = now_us - s->start >= (int64_t)s->check->timeout_ms * 1000;
    smtpchk_error err = s->st == ST_CONNECT ? SMTPCHK_ERR_CONNECT_TIMEOUT : SMTPCHK_ERR_TIMEOUT;
    if (s->st == ST_RESOLVE)
        err = SMTPCHK_ERR_DNS;
    char why[160];
    if (overall)
        snprintf(why, sizeof(why), "overall deadline of %u ms exceeded during %s",
                 s->check->timeout_ms, smtpchk_step_name(states[s->st].step));
    else
        snprintf(why, sizeof(why), "no answer within %u ms at %s", s->check->step_timeout_ms,
                 smtpchk_step_name(states[s->st].step));
    smtpchk_session_transport_failed(s, now_us, err, why);
}

smtpchk_action
smtpchk_session_action(const smtpchk_session *s)
{
    if (s->st == ST_DONE)
        return SMTPCHK_ACT_CLOSE;
    return tls_next(s) ? SMTPCHK_ACT_START_TLS : SMTPCHK_ACT_NONE;
}

const char *
smtpchk_session_output(const smtpchk_session *s, size_t *len)
{
    *len = s->out.len;
    return s->out.data;
}

void
smtpchk_session_output_done(smtpchk_session *s, int64_t now_us, size_t n)
{
    smtpchk_buf_consume(&s->out, n);
    if (s->out.len == 0)
        smtpchk_stamp_sent(&s->out_at, now_us, &s->step_start, &s->phase_start);
}

int64_t
smtpchk_session_deadline(const smtpchk_session *s)
{
    int64_t overall = s->start + (int64_t)s->check->timeout_ms * 1000;
    int64_t step = s->step_start + (int64_t)s->check->step_timeout_ms * 1000;
    return step < overall ? step : overall;
}

int
smtpchk_session_finished(const smtpchk_session *s)
{
    return s->st == ST_DONE;
}

smtpchk_step
smtpchk_session_step(const smtpchk_session *s)
{
    return states[s->st].step;
}

const smtpchk_result *
smtpchk_session_result(const smtpchk_session *s)
{
    return &s->res;
}

const char *
smtpchk_session_state_name(const smtpchk_session *s)
{
    return states[s->st].name;
}

const char *
smtpchk_session_token(const smtpchk_session *s)
{
    return s->token;
}

int64_t
smtpchk_session_queued_at(const smtpchk_session *s)
{
    return s->queued_at;
}
