/*
 * An MX check in one job (RFC 5321 5.1): the MX query, then the addresses
 * of each exchanger in preference order, then one session per address,
 * one after another, each with the check's settings and its own
 * deadline. A test mail goes through the first target that takes it,
 * never once per target. The targets' results make one result by the
 * check's policy. The DNS phase runs in the job's first session, so its
 * deadline and its failures are those of a one-host check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "job_int.h"

struct job_mx {
    void *parent;             /* the DNS phase's session, kept for its result */
    smtpchk_mx_list list;
    size_t mx_i;              /* the exchanger being resolved */
    int64_t start_us, lookup_us;
    smtpchk_target *t;        /* SMTPCHK_TARGETS_MAX of them */
    int64_t dns_us[SMTPCHK_TARGETS_MAX]; /* each target's address lookup */
    bool ran[SMTPCHK_TARGETS_MAX];       /* has its result (a run or a DNS failure) */
    size_t n, cur;
    bool running;             /* a target's session is j->session */
    bool mailed;              /* a test mail went through */
    const smtpchk_check *check; /* the job's own */
    smtpchk_check *tcheck;    /* the running target's check */
    smtpchk_result agg;
    bool done;
};

static void resolve_next(smtpchk_job *j);

/* A lookup that finished before returning (NULL) ran its callback, which
 * may have started the next one and stored it: keep that, never NULL it. */
static void
keep_lookup(smtpchk_job *j, smtpchk_lookup *l)
{
    if (l != NULL)
        j->lookup = l;
}

void
job_mx_free(smtpchk_job *j)
{
    job_mx *m = j->mx;
    if (m == NULL)
        return;
    if (m->parent != NULL)
        j->ops->free_session(m->parent);
    smtpchk_check_free(m->tcheck);
    free(m->t);
    free(m);
}

/* The DNS phase failed: the parent session records it and ends the job. */
static void
dns_failed(smtpchk_job *j, smtpchk_error err, const char *fmt, const char *a, const char *b)
{
    char msg[SMTPCHK_TEXT_MAX];
    snprintf(msg, sizeof(msg), fmt, a, b);
    job_fail(j, err, msg);
}

/* An exchanger without an address is a target of its own, failed at DNS. */
static void
add_failed_target(job_mx *m, const smtpchk_mx *x, const char *why)
{
    if (m->n == SMTPCHK_TARGETS_MAX)
        return;
    smtpchk_target *t = &m->t[m->n];
    memset(t, 0, sizeof(*t));
    snprintf(t->mx, sizeof(t->mx), "%s", x->host);
    t->preference = x->preference;
    smtpchk_result_init(&t->result);
    t->result.error = SMTPCHK_ERR_DNS;
    t->result.failed_step = SMTPCHK_STEP_DNS;
    char msg[2 * SMTPCHK_TEXT_MAX]; /* cut to fit below */
    snprintf(msg, sizeof(msg), "cannot resolve %s: %s", x->host, why);
    snprintf(t->result.error_detail, sizeof(t->result.error_detail), "%.*s",
             (int)sizeof(t->result.error_detail) - 1, msg);
    m->dns_us[m->n] = smtpchk_now_us() - m->lookup_us;
    t->result.phase_us[SMTPCHK_PHASE_DNS] = m->dns_us[m->n];
    t->result.phase_us[SMTPCHK_PHASE_TOTAL] = m->dns_us[m->n];
    m->ran[m->n++] = true;
}

static void start_target(smtpchk_job *j);
static void finish(smtpchk_job *j);

static void
on_addrs(void *ud, int ok, const smtpchk_addrs *addrs, const char *why)
{
    smtpchk_job *j = ud;
    job_mx *m = j->mx;
    j->lookup = NULL;
    const smtpchk_mx *x = &m->list.mx[m->mx_i];
    if (ok) {
        size_t from = m->n;
        m->n = smtpchk_mx_add_targets(m->t, m->n, x->host, x->preference, addrs);
        for (size_t i = from; i < m->n; i++)
            m->dns_us[i] = smtpchk_now_us() - m->lookup_us;
    } else {
        add_failed_target(m, x, why);
    }
    m->mx_i++;
    resolve_next(j);
}

/* The exchangers' addresses one by one, then the targets. */
static void
resolve_next(smtpchk_job *j)
{
    job_mx *m = j->mx;
    if (m->mx_i < m->list.n && m->n < SMTPCHK_TARGETS_MAX) {
        m->lookup_us = smtpchk_now_us();
        keep_lookup(j, smtpchk_resolve(j->resolver, j->check->dns_servers,
                                       m->list.mx[m->mx_i].host, smtpchk_check_port(j->check),
                                       on_addrs, j));
        return;
    }
    j->ops->resolved(j->session, smtpchk_now_us());
    m->cur = 0;
    start_target(j);
}

static void
on_mx(void *ud, int status, const unsigned char *abuf, int alen, const char *why)
{
    smtpchk_job *j = ud;
    job_mx *m = j->mx;
    const char *domain = j->check->mx;
    j->lookup = NULL;
    smtpchk_mx_kind k = SMTPCHK_MXK_BAD;
    if (status == 0)
        k = smtpchk_mx_parse(abuf, alen, &m->list);
    else if (smtpchk_resolve_status_nodata(status))
        k = SMTPCHK_MXK_NONE;
    if (k == SMTPCHK_MXK_NULL) {
        dns_failed(j, SMTPCHK_ERR_NULL_MX, "%s has a null MX (RFC 7505)%s", domain, "");
        return;
    }
    if (k == SMTPCHK_MXK_BAD) {
        dns_failed(j, SMTPCHK_ERR_DNS, "cannot resolve the MX of %s: %s", domain,
                   status == 0 ? "a bad answer" : why);
        return;
    }
    if (k == SMTPCHK_MXK_NONE) { /* RFC 5321 5.1: the domain is its own exchanger */
        memset(&m->list, 0, sizeof(m->list));
        smtpchk_mx_add(&m->list, domain, -1);
    }
    m->mx_i = 0;
    resolve_next(j);
}

void
job_mx_start(smtpchk_job *j)
{
    job_mx *m = calloc(1, sizeof(*m));
    smtpchk_target *t = calloc(SMTPCHK_TARGETS_MAX, sizeof(*t));
    if (m == NULL || t == NULL) {
        free(m);
        free(t);
        job_fail(j, SMTPCHK_ERR_INTERNAL, "out of memory");
        return;
    }
    m->t = t;
    m->check = j->check;
    m->start_us = smtpchk_now_us();
    j->mx = m;
    keep_lookup(j, smtpchk_resolve_mx(j->resolver, j->check->dns_servers, j->check->mx, on_mx, j));
}

/* The check for one target: the exchanger's name is the host (SNI, the
 * certificate's name, the transcript); after a mail went through, no more. */
static smtpchk_check *
target_check(const job_mx *m, const smtpchk_target *t)
{
    smtpchk_check *c = smtpchk_check_dup(m->check);
    if (c == NULL)
        return NULL;
    free(c->host);
    free(c->mx);
    c->mx = NULL;
    c->host = strdup(t->mx);
    if (m->mailed) {
        for (size_t i = 0; i < c->nrcpt; i++)
            free(c->rcpt[i]);
        free(c->rcpt);
        c->rcpt = NULL;
        c->nrcpt = 0;
    }
    if (c->host == NULL) {
        smtpchk_check_free(c);
        return NULL;
    }
    return c;
}

/* Runs the next target without a result, or ends the job. */
static void
start_target(smtpchk_job *j)
{
    job_mx *m = j->mx;
    while (m->cur < m->n && m->ran[m->cur])
        m->cur++;
    if (m->cur == m->n) {
        finish(j);
        return;
    }
    smtpchk_target *t = &m->t[m->cur];
    smtpchk_check *c = target_check(m, t);
    int64_t now = smtpchk_now_us();
    void *s = c != NULL ? job_session_new(j, c, now) : NULL;
    if (s == NULL || !smtpchk_parse_literal(t->address, smtpchk_check_port(c), &j->addrs)) {
        if (s != NULL)
            j->ops->free_session(s);
        smtpchk_check_free(c);
        t->result.error = SMTPCHK_ERR_INTERNAL;
        if (s == NULL)
            snprintf(t->result.error_detail, sizeof(t->result.error_detail), "out of memory");
        else /* the resolver's own text: cannot happen unless it is broken */
            snprintf(t->result.error_detail, sizeof(t->result.error_detail),
                     "exchanger address \"%s\" is not an IP address", t->address);
        m->ran[m->cur] = true;
        start_target(j);
        return;
    }
    if (m->parent == NULL)
        m->parent = j->session;
    else
        j->ops->free_session(j->session);
    smtpchk_check_free(m->tcheck);
    m->tcheck = c;
    j->check = c;
    j->session = s;
    j->ops->set_transcript(s, j->tfn, j->tud);
    m->running = true;
    j->addr_i = 0;
    j->tried[0] = '\0';
    j->ops->resolved(s, now);
    job_try_connect(j);
}

void
job_mx_session_over(smtpchk_job *j)
{
    job_mx *m = j->mx;
    if (!m->running) { /* the DNS phase failed or timed out */
        finish(j);
        return;
    }
    m->running = false;
    smtpchk_target *t = &m->t[m->cur];
    t->result = *j->ops->result(j->session);
    t->result.phase_us[SMTPCHK_PHASE_DNS] = m->dns_us[m->cur];
    if (t->result.error == SMTPCHK_OK && m->tcheck->nrcpt > 0)
        m->mailed = true;
    m->ran[m->cur] = true;
    start_target(j); /* sets j->ph again unless it was the last */
}

/* The targets the policy looks at: all, or those of the lowest preference
 * (the first target's: they are in preference order). */
static bool
counts(const job_mx *m, size_t i)
{
    return m->check->mx_policy != SMTPCHK_MX_PRIMARY || m->t[i].preference == m->t[0].preference;
}

/* The target whose result stands for the check: the first failure under
 * all and primary, the first success under any; else the first counted. */
static size_t
pick(const job_mx *m, size_t *ok, size_t *counted)
{
    bool want_ok = m->check->mx_policy == SMTPCHK_MX_ANY;
    size_t chosen = m->n;
    *ok = *counted = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!counts(m, i))
            continue;
        bool good = m->t[i].result.error == SMTPCHK_OK;
        *ok += good;
        ++*counted;
        if (chosen == m->n && good == want_ok)
            chosen = i;
    }
    return chosen < m->n ? chosen : 0;
}

static void
aggregate(const smtpchk_job *j, job_mx *m, int64_t now)
{
    size_t ok, counted;
    const smtpchk_target *t = &m->t[pick(m, &ok, &counted)];
    m->agg = t->result;
    if (t->result.error != SMTPCHK_OK) {
        char msg[3 * SMTPCHK_TEXT_MAX]; /* cut to fit below */
        snprintf(msg, sizeof(msg), "%s [%s]: %s (%zu of %zu targets OK)", t->mx,
                 t->address[0] ? t->address : "no address", t->result.error_detail, ok,
                 counted);
        snprintf(m->agg.error_detail, sizeof(m->agg.error_detail), "%.*s",
                 (int)sizeof(m->agg.error_detail) - 1, msg);
    }
    int64_t dns = m->parent != NULL ? j->ops->result(m->parent)->phase_us[SMTPCHK_PHASE_DNS]
                                    : -1;
    m->agg.phase_us[SMTPCHK_PHASE_DNS] = dns;
    m->agg.phase_us[SMTPCHK_PHASE_TOTAL] = now - m->start_us;
}

/* The DNS phase failed (its deadline) before any target ran: the targets
 * it had found were never checked, and fail as it did, never counting as
 * a success. */
static void
fail_unchecked(job_mx *m, const smtpchk_result *dns)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->ran[i])
            continue;
        smtpchk_result *r = &m->t[i].result;
        r->error = dns->error;
        r->failed_step = dns->failed_step;
        snprintf(r->error_detail, sizeof(r->error_detail), "not checked: %.*s",
                 (int)sizeof(r->error_detail) - 16, dns->error_detail);
        r->phase_us[SMTPCHK_PHASE_DNS] = m->dns_us[i];
        m->ran[i] = true;
    }
}

static void
finish(smtpchk_job *j)
{
    job_mx *m = j->mx;
    int64_t now = smtpchk_now_us();
    const smtpchk_result *dns = j->ops->result(m->parent != NULL ? m->parent : j->session);
    bool dns_failed = m->parent == NULL && dns->error != SMTPCHK_OK;
    if (dns_failed)
        fail_unchecked(m, dns);
    if (m->n == 0 || dns_failed) {
        /* Nothing ran: the DNS phase's own result (a failure, a null MX). */
        m->agg = *dns;
        if (m->agg.error == SMTPCHK_OK) {
            m->agg.error = SMTPCHK_ERR_DNS;
            m->agg.failed_step = SMTPCHK_STEP_DNS;
            snprintf(m->agg.error_detail, sizeof(m->agg.error_detail), "no MX target");
        }
    } else {
        aggregate(j, m, now);
    }
    m->done = true;
    j->ph = PH_DONE;
}

const smtpchk_result *
job_mx_result(const smtpchk_job *j)
{
    return j->mx->done ? &j->mx->agg : j->ops->result(j->session);
}

smtpchk_target *
smtpchk_job_take_targets(smtpchk_job *j, size_t *n)
{
    *n = 0;
    if (j->mx == NULL || !j->mx->done)
        return NULL;
    smtpchk_target *t = j->mx->t;
    *n = j->mx->n;
    j->mx->t = NULL;
    j->mx->n = 0;
    return t;
}
