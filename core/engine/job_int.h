/* The job's insides, shared by job.c (one host) and job_mx.c (an MX set). */
#ifndef SMTPCHK_JOB_INT_H
#define SMTPCHK_JOB_INT_H

#include <stdbool.h>

#include "conn.h"
#include "job.h"
#include "mx.h"
#include "protocol.h"

typedef struct job_mx job_mx;

typedef struct job_rt job_rt;

/* PH_PARKED: a round trip waits for its next poll (no fd, no slot);
 * PH_POLLING: its poll, a job of its own, runs (job_rt.c). */
typedef enum {
    PH_IDLE, PH_RESOLVING, PH_CONNECTING, PH_HANDSHAKE, PH_STREAM, PH_DONE, PH_PARKED, PH_POLLING
} phase;

#define READ_CHUNK 4096
#define READS_PER_WAKEUP 16

struct smtpchk_job {
    const smtpchk_check *check;
    smtpchk_resolver *resolver;
    smtpchk_tls_cache *tls;
    const smtpchk_protocol_ops *ops; /* the check's protocol */
    void *session;            /* of ops: SMTP, IMAP or POP3 */
    smtpchk_mbox_params mbox; /* an IMAP or POP3 session's; borrows from the check */
    smtpchk_conn *conn;
    SSL_CTX *ssl_ctx;
    smtpchk_lookup *lookup;
    smtpchk_addrs addrs;
    size_t addr_i;
    char tried[SMTPCHK_TEXT_MAX]; /* addresses that failed, for the detail */
    phase ph;
    int rd_ready;             /* the fd may hold unread bytes (edge-triggered) */
    int64_t io_at;            /* when the readiness in hand was seen; 0 = taken */
    int64_t floor;            /* our last bytes out, or the last time given the session */
    smtpchk_fd_close_fn close_hook;
    void *close_ud;
    const char *default_ehlo;
    smtpchk_transcript_fn tfn;
    void *tud;
    job_mx *mx;               /* an MX check's targets; NULL for one host */
    job_rt *rt;               /* a round trip once its mail is queued; NULL otherwise */
};

/* job.c: what job_mx.c drives a target with. */
extern const smtpchk_session_env job_session_env;
/* A session of the check's protocol (j->ops) for check, which it borrows. */
void *job_session_new(smtpchk_job *j, const smtpchk_check *check, int64_t now_us);
void job_fail(smtpchk_job *j, smtpchk_error err, const char *why);
void job_try_connect(smtpchk_job *j);

/* job_mx.c */
void job_mx_start(smtpchk_job *j);
/* The session ended: record it, start the next target or finish. */
void job_mx_session_over(smtpchk_job *j);
void job_mx_free(smtpchk_job *j);
const smtpchk_result *job_mx_result(const smtpchk_job *j);

/* job_rt.c: the round trip after the SMTP session (docs/cli.md). */
/* The SMTP session ended: park until the first poll when the mail was
 * queued and the check has a round trip; the job is done otherwise. */
void job_rt_session_over(smtpchk_job *j);
void job_rt_free(job_rt *rt);
const smtpchk_result *job_rt_result(const smtpchk_job *j);
/* While PH_POLLING: the poll's. */
int job_rt_fd(const smtpchk_job *j);
void job_rt_io(smtpchk_job *j, short revents, int64_t at_us);
int job_rt_io_pending(const smtpchk_job *j);
int64_t job_rt_deadline(const smtpchk_job *j);
void job_rt_timeout(smtpchk_job *j);

/* job_find.c: a poll, a job running a FIND session of protocol p on the
 * mailbox server m (borrowed, like *params: both outlive the job); NULL
 * with the reason in why when it cannot be made. */
smtpchk_job *job_new_find(const smtpchk_check *m, smtpchk_protocol p,
                          const smtpchk_mbox_params *params, const smtpchk_job_env *env,
                          smtpchk_transcript_fn tfn, void *tud, char *why, size_t whylen);
/* What the poll found; all zero before it ended. */
void job_find_result(const smtpchk_job *j, smtpchk_find_result *out);

#endif
