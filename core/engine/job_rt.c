/*
 * The round trip (docs/cli.md, "Round trip"): after the SMTP session has
 * QUIT, the job parks (no socket, no slot: the engine frees it) until its
 * next poll; each poll is a job of its own over a new connection, a FIND
 * session of the mailbox's protocol, whose events this job passes on. The
 * delivery time runs from the final 250 after DATA to the end of the poll
 * that found the mail; none by the deadline is a deliveryTimeout.
 */
#include "job_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "probemail.h"
#include "rtsched.h"

struct job_rt {
    smtpchk_result res;        /* the SMTP session's, completed by the polls */
    smtpchk_check *mailbox;    /* the mailbox server as a check: host, port, TLS */
    smtpchk_job *poll;         /* the poll in flight, or NULL */
    smtpchk_mbox_params params; /* the poll's; borrows from mailbox, the check and below */
    int64_t queued_at;         /* the final 250 after DATA */
    int64_t deadline;          /* queued_at + the round trip's timeout */
    int64_t wake;              /* the next poll, while parked */
    int64_t smtp_end;          /* when the SMTP session ended */
    unsigned polls;            /* polls that ended without the mail */
    char token[SMTPCHK_TOKEN_MAX];
    char tag[SMTPCHK_TAG_MAX];
};

/* The mailbox server as a check of its own, for the poll's transport: its
 * TLS settings are the check's, its login the round trip's. */
static smtpchk_check *
mailbox_check(const smtpchk_check *c)
{
    smtpchk_check *m = smtpchk_check_new();
    if (m == NULL)
        return NULL;
    const smtpchk_roundtrip *rt = &c->rt;
    int bad = 0;
    const char *from[] = {rt->host, rt->user, rt->password, rt->mailbox, c->ca_file,
                          c->ca_dir, c->dns_servers, c->source_addr};
    char **to[] = {&m->host, &m->user, &m->password, &m->mailbox, &m->ca_file,
                   &m->ca_dir, &m->dns_servers, &m->source_addr};
    for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++)
        bad |= from[i] != NULL && (*to[i] = strdup(from[i])) == NULL;
    m->protocol = rt->protocol;
    m->port = smtpchk_roundtrip_port(rt);
    m->allow_insecure_auth = rt->allow_insecure_auth;
    m->security = rt->security;
    m->tls_verify = c->tls_verify;
    m->tls_min_version = c->tls_min_version;
    m->step_timeout_ms = c->step_timeout_ms;
    if (bad) {
        smtpchk_check_free(m);
        return NULL;
    }
    return m;
}

void
job_rt_free(job_rt *rt)
{
    if (rt == NULL)
        return;
    smtpchk_job_free(rt->poll);
    smtpchk_check_free(rt->mailbox);
    free(rt);
}

const smtpchk_result *
job_rt_result(const smtpchk_job *j)
{
    return &j->rt->res;
}

/* The round trip is over: its result is final. */
static void
finish(smtpchk_job *j, int64_t now)
{
    job_rt *rt = j->rt;
    rt->res.phase_us[SMTPCHK_PHASE_TOTAL] += now - rt->smtp_end;
    rt->smtp_end = now;
    j->ph = PH_DONE;
}

static void
fail(smtpchk_job *j, int64_t now, smtpchk_error err, smtpchk_step step, const char *detail)
{
    smtpchk_result *r = &j->rt->res;
    r->error = err;
    r->failed_step = step;
    r->response_code = -1;
    r->enhanced_class = r->enhanced_subject = r->enhanced_detail = -1;
    snprintf(r->error_detail, sizeof(r->error_detail), "%s", detail);
    finish(j, now);
}

static void
late(smtpchk_job *j, int64_t now)
{
    job_rt *rt = j->rt;
    char why[SMTPCHK_TEXT_MAX + 64];
    if (rt->res.queue_id[0] != '\0')
        snprintf(why, sizeof(why), "not in the mailbox %.1f s after it was queued as %s (%u polls)",
                 (double)(now - rt->queued_at) / 1e6, rt->res.queue_id, rt->polls);
    else
        snprintf(why, sizeof(why), "not in the mailbox %.1f s after \"%.150s\" (%u polls)",
                 (double)(now - rt->queued_at) / 1e6, rt->res.queue_reply, rt->polls);
    fail(j, now, SMTPCHK_ERR_DELIVERY_TIMEOUT, SMTPCHK_STEP_DELIVERY, why);
}

/* Waits for the next poll, or gives up when none fits before the deadline. */
static void
park(smtpchk_job *j, int64_t now)
{
    job_rt *rt = j->rt;
    rt->wake = smtpchk_rt_next_poll(rt->queued_at, rt->deadline, rt->polls, now);
    if (rt->wake == 0) {
        late(j, now);
        return;
    }
    j->ph = PH_PARKED;
}

void
job_rt_session_over(smtpchk_job *j)
{
    const smtpchk_result *r = j->ops->result(j->session); /* an SMTP session (job.c) */
    int64_t queued = smtpchk_session_queued_at(j->session);
    if (r->error != SMTPCHK_OK || queued == 0 || j->rt != NULL)
        return; /* no mail to look for: the SMTP result is the check's */
    int64_t now = smtpchk_now_us();
    job_rt *rt = calloc(1, sizeof(*rt));
    if (rt != NULL && (rt->mailbox = mailbox_check(j->check)) == NULL) {
        free(rt);
        rt = NULL;
    }
    if (rt == NULL) {
        job_fail(j, SMTPCHK_ERR_INTERNAL, "out of memory for the round trip");
        return;
    }
    j->rt = rt;
    rt->res = *r;
    rt->queued_at = queued;
    rt->deadline = queued + (int64_t)j->check->rt.timeout_ms * 1000;
    rt->smtp_end = now;
    snprintf(rt->token, sizeof(rt->token), "%s", smtpchk_session_token(j->session));
    smtpchk_probe_tag(j->check->name != NULL ? j->check->name : smtpchk_check_target(j->check),
                      rt->tag);
    park(j, now);
}

int64_t
smtpchk_job_wake_at(const smtpchk_job *j)
{
    return j->ph == PH_PARKED ? j->rt->wake : 0;
}

/* The poll ended: found, not yet, or the mailbox failed. */
static void
poll_over(smtpchk_job *j, int64_t now)
{
    job_rt *rt = j->rt;
    smtpchk_find_result fr;
    const smtpchk_result *pr = smtpchk_job_result(rt->poll);
    job_find_result(rt->poll, &fr);
    if (pr->error == SMTPCHK_OK && fr.found) {
        rt->res.phase_us[SMTPCHK_PHASE_DELIVERY] = now - rt->queued_at;
        smtpchk_job_free(rt->poll);
        rt->poll = NULL;
        finish(j, now);
        return;
    }
    if (pr->error != SMTPCHK_OK) {
        char why[SMTPCHK_TEXT_MAX + 64];
        snprintf(why, sizeof(why), "mailbox %s: %.200s", rt->mailbox->host, pr->error_detail);
        smtpchk_error err = pr->error;
        smtpchk_step step = pr->failed_step;
        int code = pr->response_code;
        smtpchk_job_free(rt->poll);
        rt->poll = NULL;
        fail(j, now, err, step, why);
        rt->res.response_code = code;
        return;
    }
    smtpchk_job_free(rt->poll);
    rt->poll = NULL;
    rt->polls++;
    park(j, now);
}

static void
after_poll(smtpchk_job *j)
{
    if (j->rt->poll != NULL && smtpchk_job_done(j->rt->poll))
        poll_over(j, smtpchk_now_us());
}

void
smtpchk_job_wake(smtpchk_job *j)
{
    if (j->ph != PH_PARKED)
        return;
    job_rt *rt = j->rt;
    int64_t now = smtpchk_now_us();
    int64_t left_ms = (rt->deadline - now) / 1000;
    rt->mailbox->timeout_ms = left_ms > 100 ? (uint32_t)left_ms : 100;
    if (rt->mailbox->step_timeout_ms > rt->mailbox->timeout_ms)
        rt->mailbox->step_timeout_ms = rt->mailbox->timeout_ms;
    smtpchk_mbox_params *p = &rt->params;
    smtpchk_mbox_params_from_check(rt->mailbox, p);
    p->mailbox = j->check->rt.mailbox;
    p->mode = SMTPCHK_MBOX_FIND;
    p->token = rt->token;
    p->check_id = rt->tag;
    smtpchk_job_env env = {j->resolver, j->tls, j->default_ehlo};
    char why[SMTPCHK_TEXT_MAX];
    rt->poll = job_new_find(rt->mailbox, j->check->rt.protocol, p, &env, j->tfn, j->tud, why,
                            sizeof(why));
    if (rt->poll == NULL) {
        fail(j, now, SMTPCHK_ERR_CONFIG, SMTPCHK_STEP_DELIVERY, why);
        return;
    }
    smtpchk_job_set_close_hook(rt->poll, j->close_hook, j->close_ud);
    j->ph = PH_POLLING;
    smtpchk_job_start(rt->poll);
    after_poll(j);
}

int
job_rt_fd(const smtpchk_job *j)
{
    return smtpchk_job_fd(j->rt->poll);
}

void
job_rt_io(smtpchk_job *j, short revents, int64_t at_us)
{
    smtpchk_job_io(j->rt->poll, revents, at_us);
    after_poll(j);
}

int
job_rt_io_pending(const smtpchk_job *j)
{
    return smtpchk_job_io_pending(j->rt->poll);
}

int64_t
job_rt_deadline(const smtpchk_job *j)
{
    return j->ph == PH_POLLING ? smtpchk_job_deadline(j->rt->poll) : j->rt->deadline;
}

void
job_rt_timeout(smtpchk_job *j)
{
    if (j->ph == PH_POLLING) {
        smtpchk_job_timeout(j->rt->poll);
        after_poll(j);
    } else {
        late(j, smtpchk_now_us());
    }
}

void
smtpchk_job_set_transcript(smtpchk_job *j, smtpchk_transcript_fn fn, void *ud)
{
    j->tfn = fn;
    j->tud = ud;
}
