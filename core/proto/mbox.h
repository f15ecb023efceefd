/*
 * What the IMAP and POP3 sessions share: the transport lifecycle, the
 * result, the output queue, the transcript, deadlines and the one way to
 * end. Each protocol embeds smtpchk_mbox as the first member of its own
 * session and numbers its states after MB__COMMON; its state table gives
 * every state a name, a step and whether the server speaks next.
 *
 * mbox_set_state is the only place any mailbox session's state changes;
 * MB_DONE is the one terminal state and mbox_end the one way there.
 */
#ifndef SMTPCHK_MBOX_H
#define SMTPCHK_MBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "protocol.h"

enum {
    MB_RESOLVE,
    MB_CONNECT,
    MB_TLS,        /* implicit TLS handshake */
    MB_GREETING,
    MB_STLS_HS,    /* handshake after STARTTLS / STLS was accepted */
    MB_DONE,       /* terminal */
    MB__COMMON     /* the protocol's own states start here */
};

typedef struct mbox_state_row {
    const char *name;
    smtpchk_step step;
    bool awaits_reply;
} mbox_state_row;

typedef struct smtpchk_mbox smtpchk_mbox;

typedef struct mbox_hooks {
    const mbox_state_row *states;  /* indexed by state */
    int quit_state;                /* LOGOUT / QUIT */
    /* Feeds the protocol's parser; acts on at most one complete response. */
    size_t (*feed)(smtpchk_mbox *m, int64_t now, const char *buf, size_t len);
    /* After the STARTTLS / STLS handshake: ask the capabilities again. */
    void (*after_tls)(smtpchk_mbox *m, int64_t now);
    /* Sends LOGOUT / QUIT (entering quit_state). */
    void (*quit)(smtpchk_mbox *m, int64_t now);
    /* True while part of a response has been fed. */
    int (*partial)(const smtpchk_mbox *m);
    /* Frees what the protocol added (not m itself). */
    void (*cleanup)(smtpchk_mbox *m);
} mbox_hooks;

struct smtpchk_mbox {
    const mbox_hooks *hooks;
    const smtpchk_mbox_params *p;
    int st;
    smtpchk_result res;
    smtpchk_buf out;
    smtpchk_find_result find;
    int failed;               /* the result is decided; only log out politely */
    int64_t start, step_start, phase_start;
    int64_t out_at;        /* when the output was queued; 0 = none queued */
    smtpchk_transcript_fn tfn;
    void *tud;
};

/* Checks the parameters every mailbox session needs; 0 or -1. */
int mbox_params_ok(const smtpchk_mbox_params *p);
void mbox_init(smtpchk_mbox *m, const mbox_hooks *h, const smtpchk_mbox_params *p, int64_t now);

void mbox_note(smtpchk_mbox *m, char dir, const char *line);
/* 0 when the session is over (MB_DONE), so nothing more may be sent. */
int mbox_set_state(smtpchk_mbox *m, int st, int64_t now);
void mbox_end(smtpchk_mbox *m, int64_t now);
/* Records the time of a phase that ran from phase_start to now. */
void mbox_phase_done(smtpchk_mbox *m, smtpchk_phase ph, int64_t now);
/* Queues one command line; shown (if not NULL) replaces it in the transcript. */
void mbox_send(smtpchk_mbox *m, int64_t now, const char *line, const char *shown);
/* Queues raw bytes without a transcript line (the caller notes them). */
void mbox_send_raw(smtpchk_mbox *m, int64_t now, const char *data, size_t len);
/* The last server line, sanitised, as the result's reply text. */
void mbox_reply_text(smtpchk_mbox *m, const char *line);

/* The current step failed with a server status (SMTPCHK_MBOX_STATUS_*, or
 * -1): decide the result, then log out politely (not after a BYE). */
void mbox_fail(smtpchk_mbox *m, int64_t now, smtpchk_error err, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Like mbox_fail, for a step that could not start. */
void mbox_fail_before(smtpchk_mbox *m, int64_t now, smtpchk_step step, smtpchk_error err,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Ends at once, without logging out (broken or untrustworthy channel). */
void mbox_stop(smtpchk_mbox *m, int64_t now, smtpchk_error err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void mbox_out_of_memory(smtpchk_mbox *m, int64_t now, const char *doing);

/* The ops entries every mailbox protocol shares (s is an smtpchk_mbox). */
void mbox_free(void *s);
void mbox_set_buffer_limit(void *s, size_t max);
void mbox_set_transcript(void *s, smtpchk_transcript_fn fn, void *ud);
void mbox_resolved(void *s, int64_t now);
void mbox_connecting(void *s, int64_t now);
void mbox_note_event(void *s, const char *line);
void mbox_connected(void *s, int64_t now, const char *peer);
void mbox_tls_done(void *s, int64_t now, const smtpchk_tls_facts *f);
void mbox_tls_facts(void *s, const smtpchk_tls_facts *f);
void mbox_transport_failed(void *s, int64_t now, smtpchk_error err, const char *detail);
size_t mbox_feed(void *s, int64_t now, const char *buf, size_t len);
void mbox_eof(void *s, int64_t now);
void mbox_timeout(void *s, int64_t now);
smtpchk_action mbox_action(const void *s);
const char *mbox_output(const void *s, size_t *len);
void mbox_output_done(void *s, int64_t now, size_t n);
int64_t mbox_deadline(const void *s);
int mbox_finished(const void *s);
smtpchk_step mbox_step(const void *s);
const smtpchk_result *mbox_result(const void *s);
const char *mbox_state_name(const void *s);
void mbox_find_result(const void *s, smtpchk_find_result *out);

/* An ops table of a mailbox protocol: its enum value and its new(). */
#define SMTPCHK_MBOX_OPS(proto, new_fn)                                          \
    {                                                                            \
        .protocol = (proto), .new_session = (new_fn), .free_session = mbox_free, \
        .set_buffer_limit = mbox_set_buffer_limit,                               \
        .set_transcript = mbox_set_transcript, .resolved = mbox_resolved,        \
        .connecting = mbox_connecting, .note = mbox_note_event,                  \
        .connected = mbox_connected, .tls_done = mbox_tls_done,                  \
        .tls_facts = mbox_tls_facts, .transport_failed = mbox_transport_failed,  \
        .feed = mbox_feed, .eof = mbox_eof, .timeout = mbox_timeout,             \
        .action = mbox_action, .output = mbox_output,                            \
        .output_done = mbox_output_done, .deadline = mbox_deadline,              \
        .finished = mbox_finished, .step = mbox_step, .result = mbox_result,     \
        .state_name = mbox_state_name, .find_result = mbox_find_result,          \
    }

#endif
