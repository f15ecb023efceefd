/*
 * One interface for the check's protocols: SMTP (session.h), IMAP4rev1
 * (imap.c) and POP3 (pop3.c). The engine drives any of them through the
 * ops table of smtpchk_protocol_ops_get(), exactly as it drives the SMTP
 * session: the same transport events, the same outputs, the same one way
 * to end (finished() turns true, action() turns SMTPCHK_ACT_CLOSE and no
 * output is left). Every entry has the meaning of the smtpchk_session_*
 * function of the same name (session.h); the session pointer is the
 * opaque `void *` that new() returned.
 *
 * Creating a session, per protocol:
 *   SMTP:      new(check, NULL, default_ehlo, env, now). check is borrowed
 *              and must outlive the session; mbox must be NULL.
 *   IMAP/POP3: new(NULL or check, mbox, NULL, env, now). Only *mbox is read
 *              (check is ignored, so a round trip can check a mailbox of
 *              another host than its SMTP check). mbox and every string
 *              in it are borrowed and must outlive the session; the caller
 *              wipes the password after free(). smtpchk_mbox_params_from_check
 *              fills it from a check's own settings.
 * new() returns NULL when out of memory or the arguments are unusable
 * (no mbox for IMAP/POP3, a FIND without a valid token, env lacking a
 * function).
 *
 * Phases of IMAP and POP3, so that the MIB's timing columns keep their
 * meaning (docs/mib.md): the greeting is "greeting"; CAPABILITY / CAPA is
 * "ehlo"; STARTTLS / STLS and its handshake is "tls"; LOGIN, AUTHENTICATE,
 * USER/PASS and AUTH are "login"; SELECT / STAT, and in FIND mode the
 * search and the deletion, are "transfer"; LOGOUT / QUIT is "quit".
 *
 * Response codes (smtpchk_result.response_code) of IMAP and POP3: the one
 * table smtpchk_mbox_status in this header, documented in docs/mib.md.
 */
#ifndef SMTPCHK_PROTOCOL_H
#define SMTPCHK_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "smtpchk.h"

/* What a mailbox session does once logged in. */
typedef enum smtpchk_mbox_mode {
    SMTPCHK_MBOX_PROBE = 0,   /* login, SELECT / STAT, logout */
    SMTPCHK_MBOX_FIND = 1     /* also look for the token mail; delete it and older probe mails */
} smtpchk_mbox_mode;

/*
 * How an IMAP or POP3 session runs. All pointers are borrowed.
 *
 * auth_mechs uses the SMTPCHK_AUTH_* bits with these meanings here:
 * SMTPCHK_AUTH_PLAIN allows SASL PLAIN (IMAP AUTHENTICATE PLAIN, POP3 AUTH
 * PLAIN); SMTPCHK_AUTH_LOGIN allows the protocol's own clear login (IMAP
 * LOGIN, POP3 USER/PASS). 0 allows both. SASL PLAIN is preferred when the
 * server offers it. CRAM-MD5 is not used for mailboxes.
 *
 * Credentials never cross an unencrypted connection unless
 * allow_insecure_auth (as for SMTP), and never when an IMAP server says
 * LOGINDISABLED (the LOGIN command) or offers no allowed mechanism.
 */
typedef struct smtpchk_mbox_params {
    smtpchk_security security;  /* none | starttls (STARTTLS / STLS) | tls (implicit) */
    const char *user;           /* required */
    const char *password;       /* secret: borrowed, the caller wipes it */
    unsigned auth_mechs;        /* see above; 0 = all */
    bool allow_insecure_auth;
    const char *mailbox;        /* IMAP SELECT; NULL = "INBOX" */
    uint32_t timeout_ms;        /* overall deadline */
    uint32_t step_timeout_ms;   /* per step */
    smtpchk_mbox_mode mode;
    /* FIND mode (probe_headers.h names the headers): */
    const char *token;          /* the X-Smtpcheck-Token value to look for */
    const char *check_id;       /* the X-Smtpcheck-Check value; NULL = delete only the token mail */
    unsigned max_scan;          /* POP3: newest messages read per session; 0 = the default */
} smtpchk_mbox_params;

/* Fills *p from the check's own settings: security, user, password
 * (borrowed from the check), auth_mechs, allow_insecure_auth, timeouts;
 * mailbox NULL (INBOX), PROBE mode. */
void smtpchk_mbox_params_from_check(const smtpchk_check *check, smtpchk_mbox_params *p);

/*
 * response_code of IMAP and POP3 results: the one table of these numbers.
 * 0 = OK (the check passed), -1 = no response (as for SMTP).
 */
typedef enum smtpchk_mbox_status {
    SMTPCHK_MBOX_STATUS_OK = 0,
    SMTPCHK_MBOX_STATUS_NO = 2,   /* IMAP tagged NO; POP3 -ERR */
    SMTPCHK_MBOX_STATUS_BAD = 3,  /* IMAP tagged BAD */
    SMTPCHK_MBOX_STATUS_BYE = 4   /* IMAP BYE (greeting or untagged) */
} smtpchk_mbox_status;

/* What a FIND session found. found and deleted are final once finished(). */
typedef struct smtpchk_find_result {
    bool found;               /* a mail carrying the token is in the mailbox */
    unsigned deleted;         /* mails deleted: the token mail and older probe mails */
    unsigned scanned;         /* messages looked at (POP3 TOP; IMAP: search hits) */
} smtpchk_find_result;

typedef struct smtpchk_protocol_ops {
    smtpchk_protocol protocol;
    void *(*new_session)(const smtpchk_check *check, const smtpchk_mbox_params *mbox,
                         const char *default_ehlo, const smtpchk_session_env *env,
                         int64_t now_us);
    void (*free_session)(void *s);
    void (*set_buffer_limit)(void *s, size_t max);
    void (*set_transcript)(void *s, smtpchk_transcript_fn fn, void *ud);
    void (*resolved)(void *s, int64_t now_us);
    void (*connecting)(void *s, int64_t now_us);
    void (*note)(void *s, const char *line);
    void (*connected)(void *s, int64_t now_us, const char *peer);
    void (*tls_done)(void *s, int64_t now_us, const smtpchk_tls_facts *f);
    void (*tls_facts)(void *s, const smtpchk_tls_facts *f);
    void (*transport_failed)(void *s, int64_t now_us, smtpchk_error err, const char *detail);
    size_t (*feed)(void *s, int64_t now_us, const char *buf, size_t len);
    void (*eof)(void *s, int64_t now_us);
    void (*timeout)(void *s, int64_t now_us);
    smtpchk_action (*action)(const void *s);
    const char *(*output)(const void *s, size_t *len);
    void (*output_done)(void *s, int64_t now_us, size_t n);
    int64_t (*deadline)(const void *s);
    int (*finished)(const void *s);
    smtpchk_step (*step)(const void *s);
    const smtpchk_result *(*result)(const void *s);
    const char *(*state_name)(const void *s);
    /* FIND outcome; all zero for SMTP and PROBE sessions. */
    void (*find_result)(const void *s, smtpchk_find_result *out);
} smtpchk_protocol_ops;

/*
 * The output queued at *queued_at (0 = none) went out wholly at now: the
 * step and phase its command began start then, not when the reply that
 * led to it arrived (that time between is the client's). For the
 * sessions' output_done.
 */
void smtpchk_stamp_sent(int64_t *queued_at, int64_t now, int64_t *step_start,
                        int64_t *phase_start);

/* The ops of one protocol; NULL for a value outside the enum. */
const smtpchk_protocol_ops *smtpchk_protocol_ops_get(smtpchk_protocol p);

extern const smtpchk_protocol_ops smtpchk_smtp_ops;
extern const smtpchk_protocol_ops smtpchk_imap_ops;
extern const smtpchk_protocol_ops smtpchk_pop3_ops;

#endif
