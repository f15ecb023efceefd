/*
 * A round trip's poll as a job (job_int.h): a job of the mailbox's
 * protocol whose session runs in FIND mode (protocol.h). The job is made
 * as for a mailbox check, then its PROBE session is swapped for a FIND
 * one, so that job.c alone knows how a job is put together.
 */
#include "job_int.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

smtpchk_job *
job_new_find(const smtpchk_check *m, smtpchk_protocol p, const smtpchk_mbox_params *params,
             const smtpchk_job_env *env, smtpchk_transcript_fn tfn, void *tud, char *why,
             size_t whylen)
{
    if (p == SMTPCHK_PROTO_SMTP || m->protocol != p || smtpchk_protocol_ops_get(p) == NULL) {
        snprintf(why, whylen, "round trip: no %s client in this build", smtpchk_protocol_name(p));
        return NULL;
    }
    smtpchk_job *j = smtpchk_job_new(m, env, tfn, tud);
    if (j != NULL) {
        j->ops->free_session(j->session);
        j->mbox = *params;
        j->session = j->ops->new_session(m, &j->mbox, NULL, &job_session_env, smtpchk_now_us());
    }
    if (j == NULL || j->session == NULL) {
        smtpchk_job_free(j);
        snprintf(why, whylen, "round trip: out of memory for a poll");
        return NULL;
    }
    j->ops->set_transcript(j->session, tfn, tud);
    return j;
}

void
job_find_result(const smtpchk_job *j, smtpchk_find_result *out)
{
    memset(out, 0, sizeof(*out));
    if (j->session != NULL)
        j->ops->find_result(j->session, out);
}
