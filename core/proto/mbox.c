/*
 * The part of the IMAP and POP3 sessions that is not the protocol: the
 * transport lifecycle, deciding the result once, the one way to end.
 * The rules are those of session.c (read its comments for the why).
 */
#include "mbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_headers.h"
#include "reply.h"

static const mbox_state_row *
row(const smtpchk_mbox *m)
{
    return &m->hooks->states[m->st];
}

static int64_t
elapsed(int64_t from, int64_t now)
{
    return now >= from ? now - from : 0;
}

int
mbox_params_ok(const smtpchk_mbox_params *p)
{
    if (p == NULL || p->user == NULL || p->password == NULL || p->timeout_ms == 0 ||
        p->step_timeout_ms == 0)
        return 0;
    return p->mode != SMTPCHK_MBOX_FIND ||
           (smtpchk_probe_value_ok(p->token) &&
            (p->check_id == NULL || smtpchk_probe_value_ok(p->check_id)));
}

void
mbox_init(smtpchk_mbox *m, const mbox_hooks *h, const smtpchk_mbox_params *p, int64_t now)
{
    m->hooks = h;
    m->p = p;
    m->st = MB_RESOLVE;
    smtpchk_result_init(&m->res);
    smtpchk_buf_init(&m->out);
    m->start = m->step_start = m->phase_start = now;
}

void
mbox_note(smtpchk_mbox *m, char dir, const char *line)
{
    if (m->tfn != NULL)
        m->tfn(m->tud, dir, line, strlen(line));
}

int
mbox_set_state(smtpchk_mbox *m, int st, int64_t now)
{
    if (m->st == MB_DONE)
        return 0;
    if (m->tfn != NULL && st != m->st) {
        char msg[96];
        snprintf(msg, sizeof(msg), "state %s -> %s", row(m)->name, m->hooks->states[st].name);
        mbox_note(m, '*', msg);
    }
    m->st = st;
    m->step_start = now;
    return 1;
}

void
mbox_end(smtpchk_mbox *m, int64_t now)
{
    if (m->st == MB_DONE)
        return;
    if (m->out.len > 0 && m->tfn != NULL) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%zu queued bytes dropped unsent", m->out.len);
        mbox_note(m, '*', msg);
    }
    smtpchk_buf_wipe(&m->out); /* may hold credentials */
    m->res.phase_us[SMTPCHK_PHASE_TOTAL] = elapsed(m->start, now);
    mbox_set_state(m, MB_DONE, now);
}

void
mbox_phase_done(smtpchk_mbox *m, smtpchk_phase ph, int64_t now)
{
    m->res.phase_us[ph] = elapsed(m->phase_start, now);
}

void
mbox_send_raw(smtpchk_mbox *m, int64_t now, const char *data, size_t len)
{
    if (smtpchk_buf_append(&m->out, data, len) != 0)
        mbox_out_of_memory(m, now, "queueing a command");
    else
        m->out_at = now;
}

void
mbox_send(smtpchk_mbox *m, int64_t now, const char *line, const char *shown)
{
    if (smtpchk_buf_append_str(&m->out, line) != 0 || smtpchk_buf_append(&m->out, "\r\n", 2) != 0) {
        mbox_out_of_memory(m, now, "queueing a command");
        return;
    }
    m->out_at = now;
    mbox_note(m, '>', shown != NULL ? shown : line);
}

void
mbox_reply_text(smtpchk_mbox *m, const char *line)
{
    if (!m->failed) /* keep the response that decided a failure */
        smtpchk_sanitize(line, m->res.reply_text, sizeof(m->res.reply_text));
}

static int
decide(smtpchk_mbox *m, smtpchk_step step, smtpchk_error err, int code, const char *fmt,
       va_list ap) __attribute__((format(printf, 5, 0)));

/* The only place a failure is recorded; 0 when the result was decided already. */
static int
decide(smtpchk_mbox *m, smtpchk_step step, smtpchk_error err, int code, const char *fmt,
       va_list ap)
{
    if (m->failed || m->st == MB_DONE)
        return 0;
    m->failed = 1;
    m->res.error = err;
    m->res.response_code = code;
    m->res.failed_step = step;
    vsnprintf(m->res.error_detail, sizeof(m->res.error_detail), fmt, ap);
    return 1;
}

/* Log out while the channel works, unless the server said BYE or the
 * logout itself is what failed. */
static void
quit_politely(smtpchk_mbox *m, int64_t now, int code)
{
    if (code != SMTPCHK_MBOX_STATUS_BYE && m->st != m->hooks->quit_state)
        m->hooks->quit(m, now);
    else
        mbox_end(m, now);
}

void
mbox_fail(smtpchk_mbox *m, int64_t now, smtpchk_error err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int first = decide(m, row(m)->step, err, code, fmt, ap);
    va_end(ap);
    if (first)
        quit_politely(m, now, code);
}

void
mbox_fail_before(smtpchk_mbox *m, int64_t now, smtpchk_step step, smtpchk_error err,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int first = decide(m, step, err, -1, fmt, ap);
    va_end(ap);
    if (first)
        quit_politely(m, now, -1);
}

void
mbox_stop(smtpchk_mbox *m, int64_t now, smtpchk_error err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    decide(m, row(m)->step, err, -1, fmt, ap);
    va_end(ap);
    mbox_end(m, now);
}

void
mbox_out_of_memory(smtpchk_mbox *m, int64_t now, const char *doing)
{
    mbox_stop(m, now, SMTPCHK_ERR_INTERNAL, "out of memory %s", doing);
}

/* ---- the shared ops entries ------------------------------------------ */

void
mbox_free(void *s)
{
    smtpchk_mbox *m = s;
    if (m == NULL)
        return;
    m->hooks->cleanup(m);
    smtpchk_buf_wipe(&m->out);
    free(m);
}

void
mbox_set_buffer_limit(void *s, size_t max)
{
    ((smtpchk_mbox *)s)->out.max = max;
}

void
mbox_set_transcript(void *s, smtpchk_transcript_fn fn, void *ud)
{
    smtpchk_mbox *m = s;
    m->tfn = fn;
    m->tud = ud;
}

void
mbox_resolved(void *s, int64_t now)
{
    smtpchk_mbox *m = s;
    if (m->st != MB_RESOLVE)
        return;
    mbox_phase_done(m, SMTPCHK_PHASE_DNS, now);
    mbox_set_state(m, MB_CONNECT, now);
}

void
mbox_connecting(void *s, int64_t now)
{
    smtpchk_mbox *m = s;
    if (m->st == MB_CONNECT)
        m->phase_start = now;
}

void
mbox_note_event(void *s, const char *line)
{
    mbox_note(s, '*', line);
}

void
mbox_connected(void *s, int64_t now, const char *peer)
{
    smtpchk_mbox *m = s;
    if (m->st != MB_CONNECT)
        return;
    mbox_phase_done(m, SMTPCHK_PHASE_CONNECT, now);
    snprintf(m->res.peer, sizeof(m->res.peer), "%s", peer != NULL ? peer : "");
    if (m->tfn != NULL) {
        char msg[96];
        snprintf(msg, sizeof(msg), "connected to %s", m->res.peer);
        mbox_note(m, '*', msg);
    }
    m->phase_start = now;
    mbox_set_state(m, m->p->security == SMTPCHK_SEC_TLS ? MB_TLS : MB_GREETING, now);
}

void
mbox_tls_facts(void *s, const smtpchk_tls_facts *f)
{
    smtpchk_tls_facts_store(&((smtpchk_mbox *)s)->res, f);
}

void
mbox_tls_done(void *s, int64_t now, const smtpchk_tls_facts *f)
{
    smtpchk_mbox *m = s;
    if (m->st != MB_TLS && m->st != MB_STLS_HS)
        return;
    m->res.tls = true;
    mbox_phase_done(m, SMTPCHK_PHASE_TLS, now);
    smtpchk_tls_facts_store(&m->res, f);
    if (m->tfn != NULL) {
        char msg[128];
        snprintf(msg, sizeof(msg), "TLS established: %s %s", m->res.tls_version,
                 m->res.tls_cipher);
        mbox_note(m, '*', msg);
    }
    m->phase_start = now;
    if (m->st == MB_TLS)
        mbox_set_state(m, MB_GREETING, now);
    else
        m->hooks->after_tls(m, now);
}

void
mbox_transport_failed(void *s, int64_t now, smtpchk_error err, const char *detail)
{
    mbox_stop(s, now, err, "%s", detail != NULL ? detail : smtpchk_error_description(err));
}

static bool
tls_next(const smtpchk_mbox *m)
{
    return m->st == MB_TLS || m->st == MB_STLS_HS;
}

size_t
mbox_feed(void *s, int64_t now, const char *buf, size_t len)
{
    smtpchk_mbox *m = s;
    size_t used = 0;
    while (used < len && m->st != MB_DONE && !tls_next(m)) {
        if (!row(m)->awaits_reply || m->out.len > 0) {
            /* This client does not pipeline: bytes before the command
             * was wholly sent answer nothing we asked (session.c). */
            mbox_stop(m, now, SMTPCHK_ERR_PROTOCOL,
                      "server data before the command it would answer was sent");
            return used;
        }
        used += m->hooks->feed(m, now, buf + used, len - used);
    }
    if (used < len && m->st == MB_STLS_HS) /* injection before TLS (CVE-2011-0411 class) */
        mbox_stop(m, now, SMTPCHK_ERR_PROTOCOL, "data after the STARTTLS reply");
    return used;
}

void
mbox_eof(void *s, int64_t now)
{
    smtpchk_mbox *m = s;
    if (m->st == MB_DONE)
        return;
    if (m->st == m->hooks->quit_state) {
        mbox_phase_done(m, SMTPCHK_PHASE_QUIT, now);
        mbox_end(m, now);
        return;
    }
    mbox_transport_failed(m, now, SMTPCHK_ERR_CLOSED,
                          m->hooks->partial(m) ? "connection closed in the middle of a response"
                                               : "connection closed by the server");
}

void
mbox_timeout(void *s, int64_t now)
{
    smtpchk_mbox *m = s;
    if (m->st == MB_DONE)
        return;
    int overall = now - m->start >= (int64_t)m->p->timeout_ms * 1000;
    smtpchk_error err = m->st == MB_CONNECT ? SMTPCHK_ERR_CONNECT_TIMEOUT : SMTPCHK_ERR_TIMEOUT;
    if (m->st == MB_RESOLVE)
        err = SMTPCHK_ERR_DNS;
    const char *step = smtpchk_step_name(row(m)->step);
    char why[160];
    if (overall)
        snprintf(why, sizeof(why), "overall deadline of %u ms exceeded during %s",
                 m->p->timeout_ms, step);
    else
        snprintf(why, sizeof(why), "no answer within %u ms at %s", m->p->step_timeout_ms, step);
    mbox_transport_failed(m, now, err, why);
}

smtpchk_action
mbox_action(const void *s)
{
    const smtpchk_mbox *m = s;
    if (m->st == MB_DONE)
        return SMTPCHK_ACT_CLOSE;
    return tls_next(m) ? SMTPCHK_ACT_START_TLS : SMTPCHK_ACT_NONE;
}

const char *
mbox_output(const void *s, size_t *len)
{
    const smtpchk_mbox *m = s;
    *len = m->out.len;
    return m->out.data;
}

void
mbox_output_done(void *s, int64_t now, size_t n)
{
    smtpchk_mbox *m = s;
    smtpchk_buf_consume(&m->out, n);
    if (m->out.len == 0)
        smtpchk_stamp_sent(&m->out_at, now, &m->step_start, &m->phase_start);
}

int64_t
mbox_deadline(const void *s)
{
    const smtpchk_mbox *m = s;
    int64_t overall = m->start + (int64_t)m->p->timeout_ms * 1000;
    int64_t step = m->step_start + (int64_t)m->p->step_timeout_ms * 1000;
    return step < overall ? step : overall;
}

int
mbox_finished(const void *s)
{
    return ((const smtpchk_mbox *)s)->st == MB_DONE;
}

smtpchk_step
mbox_step(const void *s)
{
    return row(s)->step;
}

const smtpchk_result *
mbox_result(const void *s)
{
    return &((const smtpchk_mbox *)s)->res;
}

const char *
mbox_state_name(const void *s)
{
    return row(s)->name;
}

void
mbox_find_result(const void *s, smtpchk_find_result *out)
{
    *out = ((const smtpchk_mbox *)s)->find;
}
