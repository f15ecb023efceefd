/*
 * One check in flight: drives a session with a connection, a resolver
 * lookup and the session's deadline. Non-blocking; an event loop asks
 * for its fd, events and deadline, and reports readiness and timeouts.
 */
#ifndef SMTPCHK_JOB_H
#define SMTPCHK_JOB_H

#include <stdint.h>

#include "resolve.h"
#include "session.h"
#include "smtpchk.h"
#include "tlsctx.h"

typedef struct smtpchk_job smtpchk_job;

/* What a job borrows from its engine; all of it outlives the job. */
typedef struct smtpchk_job_env {
    smtpchk_resolver *resolver;
    smtpchk_tls_cache *tls;   /* the job holds a reference to its context */
    const char *default_ehlo;
} smtpchk_job_env;

/* check and env are borrowed; they outlive the job. */
smtpchk_job *smtpchk_job_new(const smtpchk_check *check, const smtpchk_job_env *env,
                             smtpchk_transcript_fn tfn, void *tud);
/* Called with the job's fd just before it is closed (to drop it from epoll). */
typedef void (*smtpchk_fd_close_fn)(void *ud, int fd);
void smtpchk_job_set_close_hook(smtpchk_job *j, smtpchk_fd_close_fn fn, void *ud);
/* The ud given with the close hook: the loop's handle on this job. */
void *smtpchk_job_hook_ud(const smtpchk_job *j);

/* Starts resolving and connecting; the job may finish at once. */
void smtpchk_job_start(smtpchk_job *j);
void smtpchk_job_free(smtpchk_job *j);

int smtpchk_job_fd(const smtpchk_job *j);         /* -1 = nothing to poll */
/* The fd is ready (revents: poll bits), as seen at at_us (monotonic; 0 =
 * now). The fd is watched edge-triggered: for POLLIN|POLLOUT from the
 * start, and told of again only when new bytes or space come. */
void smtpchk_job_io(smtpchk_job *j, short revents, int64_t at_us);
/* Bytes may wait unread with no new edge to come (a read cap was hit):
 * call smtpchk_job_io(j, 0, 0) again soon. */
int smtpchk_job_io_pending(const smtpchk_job *j);
int64_t smtpchk_job_deadline(const smtpchk_job *j);
/* Call when the monotonic clock passed the deadline. */
void smtpchk_job_timeout(smtpchk_job *j);
int smtpchk_job_done(const smtpchk_job *j);
/* A round trip waiting for its next poll: when (monotonic us), with no fd
 * and no deadline meanwhile; 0 when the job is not waiting. The engine
 * frees the job's slot meanwhile and calls smtpchk_job_wake then. */
int64_t smtpchk_job_wake_at(const smtpchk_job *j);
void smtpchk_job_wake(smtpchk_job *j);
/* Where later sessions of the job (a round trip's polls) write their
 * transcript: a parked job resumes in another slot. */
void smtpchk_job_set_transcript(smtpchk_job *j, smtpchk_transcript_fn fn, void *ud);
const smtpchk_result *smtpchk_job_result(const smtpchk_job *j);
/* An MX check's targets once done, in order; the caller frees the array
 * (NULL, *n = 0 for a one-host check, or when taken already). */
smtpchk_target *smtpchk_job_take_targets(smtpchk_job *j, size_t *n);

#endif
