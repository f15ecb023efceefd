/*
 * The SMTP check as one state machine, sans I/O. The driver reports
 * transport events and server bytes, with a monotonic time in
 * microseconds; the session answers with bytes to send and an action
 * (start TLS, close). It owns the result it fills in.
 */
#ifndef SMTPCHK_SESSION_H
#define SMTPCHK_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

typedef struct smtpchk_session smtpchk_session;

/* dir: '>' line sent, '<' line received, '*' an event. line has no CRLF. */
typedef void (*smtpchk_transcript_fn)(void *ud, char dir, const char *line, size_t len);

typedef enum smtpchk_action {
    SMTPCHK_ACT_NONE = 0,     /* write any output, then wait for input */
    SMTPCHK_ACT_START_TLS,    /* write any output, then do the TLS handshake */
    SMTPCHK_ACT_CLOSE         /* write any output, then close: the check is over */
} smtpchk_action;

typedef struct smtpchk_tls_facts {
    const char *version;      /* "TLSv1.3" */
    const char *cipher;
    const char *subject;      /* may be NULL */
    const char *issuer;
    int has_cert;
    int days_left;
} smtpchk_tls_facts;

/* check is borrowed and must outlive the session; default_ehlo too. */
smtpchk_session *smtpchk_session_new(const smtpchk_check *check, const char *default_ehlo,
                                     int64_t now_us);
void smtpchk_session_free(smtpchk_session *s);
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
void smtpchk_session_transport_failed(smtpchk_session *s, int64_t now_us,
                                      smtpchk_error err, const char *detail);
/* Server bytes; returns how many were consumed (all, unless the session ended). */
size_t smtpchk_session_feed(smtpchk_session *s, int64_t now_us, const char *buf, size_t len);
void smtpchk_session_eof(smtpchk_session *s, int64_t now_us);
/* The deadline (smtpchk_session_deadline) passed. */
void smtpchk_session_timeout(smtpchk_session *s, int64_t now_us);

/* Outputs. */
smtpchk_action smtpchk_session_action(const smtpchk_session *s);
/* Pending bytes to write; mark what was written. */
const char *smtpchk_session_output(const smtpchk_session *s, size_t *len);
void smtpchk_session_output_done(smtpchk_session *s, size_t n);
/* Absolute monotonic time at which the current step times out. */
int64_t smtpchk_session_deadline(const smtpchk_session *s);
int smtpchk_session_finished(const smtpchk_session *s);
smtpchk_step smtpchk_session_step(const smtpchk_session *s);
const smtpchk_result *smtpchk_session_result(const smtpchk_session *s);
const char *smtpchk_session_state_name(const smtpchk_session *s);

#endif
