/*
 * The SMTP check as one state machine, sans I/O and without clocks. The
 * driver reports transport events and server bytes, with a monotonic time
 * in microseconds, and lends the wall clock and randomness (an
 * environment); the session answers with bytes to send and an action
 * (start TLS, close). It owns the result it fills in.
 *
 * The session is over in one way only: smtpchk_session_finished() turns
 * true, the action turns SMTPCHK_ACT_CLOSE, and nothing is left to write.
 * It ends at once (no QUIT) on a transport failure, a timeout, out of
 * memory (internalError) or server bytes that arrive before the command
 * they would answer was wholly written (protocolViolation: this client
 * does not pipeline); other failures QUIT first.
 */
#ifndef SMTPCHK_SESSION_H
#define SMTPCHK_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

typedef struct smtpchk_session smtpchk_session;

/* dir: '>' line sent, '<' line received, '*' an event. line has no CRLF. */
typedef void (*smtpchk_transcript_fn)(void *ud, char dir, const char *line, size_t len);

/* What the driver does next; derived from the session's state. */
typedef enum smtpchk_action {
    SMTPCHK_ACT_NONE = 0,     /* write any output, then wait for input */
    SMTPCHK_ACT_START_TLS,    /* write any output, then do the TLS handshake */
    SMTPCHK_ACT_CLOSE         /* the check is over: close now (no output is left) */
} smtpchk_action;

/*
 * What the session may not do itself (the protocol layer has no clocks):
 * read the wall clock, for the message's Date and Message-ID, and draw
 * random bytes, for the Message-ID. The engine lends time() and
 * RAND_bytes; tests pin both. ud is passed back to each.
 */
typedef struct smtpchk_session_env {
    int64_t (*wall_clock)(void *ud);                               /* seconds since 1970 */
    int (*random_bytes)(void *ud, unsigned char *buf, size_t len); /* 0, or -1 on failure */
    void *ud;
} smtpchk_session_env;

typedef struct smtpchk_tls_facts {
    const char *version;      /* "TLSv1.3" */
    const char *cipher;
    const char *subject;      /* may be NULL */
    const char *issuer;
    int has_cert;
    int days_left;
} smtpchk_tls_facts;

/*
 * check is borrowed and must outlive the session; default_ehlo and env->ud
 * too. *env is copied. NULL when out of memory or env lacks a function.
 */
smtpchk_session *smtpchk_session_new(const smtpchk_check *check, const char *default_ehlo,
                                     const smtpchk_session_env *env, int64_t now_us);
void smtpchk_session_free(smtpchk_session *s);
/* Caps the output and message buffers at max bytes (0 = the default cap).
 * Reaching it ends the check like running out of memory. */
void smtpchk_session_set_buffer_limit(smtpchk_session *s, size_t max);
void smtpchk_session_set_transcript(smtpchk_session *s, smtpchk_transcript_fn fn, void *ud);

/* Transport events, in the order they happen. */
void smtpchk_session_resolved(smtpchk_session *s, int64_t now_us);
void smtpchk_session_connecting(smtpchk_session *s, int64_t now_us);
/* A line for the transcript ('*'), e.g. each address tried. */
void smtpchk_session_note(smtpchk_session *s, const char *line);
void smtpchk_session_connected(smtpchk_session *s, int64_t now_us, const char *peer);
void smtpchk_session_tls_done(smtpchk_session *s, int64_t now_us, const smtpchk_tls_facts *f);
/* Records facts of a failed handshake (certificate details) before tls_failed. */
void smtpchk_session_tls_facts(smtpchk_session *s, const smtpchk_tls_facts *f);
/* The same, into any result (the mailbox sessions share it). */
void smtpchk_tls_facts_store(smtpchk_result *r, const smtpchk_tls_facts *f);
void smtpchk_session_transport_failed(smtpchk_session *s, int64_t now_us,
                                      smtpchk_error err, const char *detail);
/* Server bytes; returns how many were consumed (all, unless the session
 * ended or a TLS handshake comes next). */
size_t smtpchk_session_feed(smtpchk_session *s, int64_t now_us, const char *buf, size_t len);
void smtpchk_session_eof(smtpchk_session *s, int64_t now_us);
/* The deadline (smtpchk_session_deadline) passed. */
void smtpchk_session_timeout(smtpchk_session *s, int64_t now_us);

/* Outputs. */
smtpchk_action smtpchk_session_action(const smtpchk_session *s);
/* Pending bytes to write; mark what was written (at now_us, when the
 * transport took it). Server bytes are due only once all of it is marked
 * written; the step and phase a command began start when its last byte was. */
const char *smtpchk_session_output(const smtpchk_session *s, size_t *len);
void smtpchk_session_output_done(smtpchk_session *s, int64_t now_us, size_t n);
/* Absolute monotonic time at which the current step times out. */
int64_t smtpchk_session_deadline(const smtpchk_session *s);
/* The check is over: the result is final. */
int smtpchk_session_finished(const smtpchk_session *s);
smtpchk_step smtpchk_session_step(const smtpchk_session *s);
const smtpchk_result *smtpchk_session_result(const smtpchk_session *s);
const char *smtpchk_session_state_name(const smtpchk_session *s);
/* The test mail's token (probemail.h); "" before it was built. */
const char *smtpchk_session_token(const smtpchk_session *s);
/* When the final 250 after DATA came (monotonic us); 0 = it did not. */
int64_t smtpchk_session_queued_at(const smtpchk_session *s);

#endif
