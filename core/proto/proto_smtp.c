/* The SMTP session (session.h) as an entry of the protocol ops table. */
#include "protocol.h"

static void *
smtp_new(const smtpchk_check *check, const smtpchk_mbox_params *mbox, const char *default_ehlo,
         const smtpchk_session_env *env, int64_t now_us)
{
    if (check == NULL || mbox != NULL)
        return NULL;
    return smtpchk_session_new(check, default_ehlo, env, now_us);
}

static void smtp_free(void *s) { smtpchk_session_free(s); }
static void smtp_set_buffer_limit(void *s, size_t max) { smtpchk_session_set_buffer_limit(s, max); }
static void
smtp_set_transcript(void *s, smtpchk_transcript_fn fn, void *ud)
{
    smtpchk_session_set_transcript(s, fn, ud);
}
static void smtp_resolved(void *s, int64_t now) { smtpchk_session_resolved(s, now); }
static void smtp_connecting(void *s, int64_t now) { smtpchk_session_connecting(s, now); }
static void smtp_note(void *s, const char *line) { smtpchk_session_note(s, line); }
static void
smtp_connected(void *s, int64_t now, const char *peer)
{
    smtpchk_session_connected(s, now, peer);
}
static void
smtp_tls_done(void *s, int64_t now, const smtpchk_tls_facts *f)
{
    smtpchk_session_tls_done(s, now, f);
}
static void smtp_tls_facts(void *s, const smtpchk_tls_facts *f) { smtpchk_session_tls_facts(s, f); }
static void
smtp_transport_failed(void *s, int64_t now, smtpchk_error err, const char *detail)
{
    smtpchk_session_transport_failed(s, now, err, detail);
}
static size_t
smtp_feed(void *s, int64_t now, const char *buf, size_t len)
{
    return smtpchk_session_feed(s, now, buf, len);
}
static void smtp_eof(void *s, int64_t now) { smtpchk_session_eof(s, now); }
static void smtp_timeout(void *s, int64_t now) { smtpchk_session_timeout(s, now); }
static smtpchk_action smtp_action(const void *s) { return smtpchk_session_action(s); }
static const char *smtp_output(const void *s, size_t *len) { return smtpchk_session_output(s, len); }
static void
smtp_output_done(void *s, int64_t now_us, size_t n)
{
    smtpchk_session_output_done(s, now_us, n);
}
static int64_t smtp_deadline(const void *s) { return smtpchk_session_deadline(s); }
static int smtp_finished(const void *s) { return smtpchk_session_finished(s); }
static smtpchk_step smtp_step(const void *s) { return smtpchk_session_step(s); }
static const smtpchk_result *smtp_result(const void *s) { return smtpchk_session_result(s); }
static const char *smtp_state_name(const void *s) { return smtpchk_session_state_name(s); }

static void
smtp_find_result(const void *s, smtpchk_find_result *out)
{
    (void)s;
    *out = (smtpchk_find_result){0};
}

const smtpchk_protocol_ops smtpchk_smtp_ops = {
    .protocol = SMTPCHK_PROTO_SMTP,
    .new_session = smtp_new,
    .free_session = smtp_free,
    .set_buffer_limit = smtp_set_buffer_limit,
    .set_transcript = smtp_set_transcript,
    .resolved = smtp_resolved,
    .connecting = smtp_connecting,
    .note = smtp_note,
    .connected = smtp_connected,
    .tls_done = smtp_tls_done,
    .tls_facts = smtp_tls_facts,
    .transport_failed = smtp_transport_failed,
    .feed = smtp_feed,
    .eof = smtp_eof,
    .timeout = smtp_timeout,
    .action = smtp_action,
    .output = smtp_output,
    .output_done = smtp_output_done,
    .deadline = smtp_deadline,
    .finished = smtp_finished,
    .step = smtp_step,
    .result = smtp_result,
    .state_name = smtp_state_name,
    .find_result = smtp_find_result,
};
