/*
 * A round trip's poll as a job (job_int.h). The job runs a session
 * through the protocol ops table (protocol.h) once job.c drives its
 * sessions through it and the IMAP and POP3 cores are in (issue 11:
 * branches proto and imapcheck); until then a round trip fails at its
 * first poll with a configurationError that says so.
 */
#include "job_int.h"

#include <stdio.h>
#include <string.h>

smtpchk_job *
job_new_find(const smtpchk_check *m, smtpchk_protocol p, const smtpchk_mbox_params *params,
             const smtpchk_job_env *env, smtpchk_transcript_fn tfn, void *tud, char *why,
             size_t whylen)
{
    (void)m;
    (void)params;
    (void)env;
    (void)tfn;
    (void)tud;
    snprintf(why, whylen, "round trip: no %s client in this build",
             smtpchk_protocol_name(p));
    return NULL;
}

void
job_find_result(const smtpchk_job *j, smtpchk_find_result *out)
{
    (void)j;
    memset(out, 0, sizeof(*out));
}
