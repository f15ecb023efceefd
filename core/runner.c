#include "runner.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "job.h"
#include "resolve.h"

#define RESOLVER_FDS 16

typedef struct slot {
    struct runner *run;
    size_t idx;               /* index into the checks */
    smtpchk_job *job;
} slot;

typedef struct runner {
    const smtpchk_check *const *checks;
    smtpchk_result *results;
    size_t n, next, active, cap;
    const smtpchk_run_opts *o;
    const char *ehlo;
    smtpchk_resolver *resolver;
    slot *slots;
    struct pollfd *pfds;
    slot **pslot;             /* pfds[i] belongs to pslot[i] (NULL: resolver) */
} runner;

static char ehlo_name[256];
static pthread_once_t ehlo_once = PTHREAD_ONCE_INIT;

static void
find_ehlo(void)
{
    char host[200];
    if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0') {
        snprintf(ehlo_name, sizeof(ehlo_name), "localhost");
        return;
    }
    host[sizeof(host) - 1] = '\0';
    snprintf(ehlo_name, sizeof(ehlo_name), "%s", host);
    if (strchr(host, '.') != NULL)
        return;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    if (getaddrinfo(host, NULL, &hints, &res) == 0 && res != NULL && res->ai_canonname &&
        strchr(res->ai_canonname, '.') != NULL)
        snprintf(ehlo_name, sizeof(ehlo_name), "%s", res->ai_canonname);
    if (res != NULL)
        freeaddrinfo(res);
}

const char *
smtpchk_default_ehlo(void)
{
    pthread_once(&ehlo_once, find_ehlo);
    return ehlo_name;
}

static void
on_line(void *ud, char dir, const char *line, size_t len)
{
    slot *s = ud;
    s->run->o->transcript(s->run->o->ud, s->idx, dir, line, len);
}

static void
internal_error(smtpchk_result *r, const char *why)
{
    smtpchk_result_init(r);
    r->error = SMTPCHK_ERR_INTERNAL;
    r->response_code = -1;
    snprintf(r->error_detail, sizeof(r->error_detail), "%s", why);
}

static void
start_next(runner *r, slot *s)
{
    s->run = r;
    s->idx = r->next++;
    s->job = smtpchk_job_new(r->checks[s->idx], r->resolver, r->ehlo,
                             r->o->transcript ? on_line : NULL, s);
    if (s->job == NULL) {
        internal_error(&r->results[s->idx], "out of memory");
        if (r->o->done)
            r->o->done(r->o->ud, s->idx, &r->results[s->idx]);
        return;
    }
    r->active++;
    smtpchk_job_start(s->job);
}

static void
reap(runner *r, slot *s)
{
    if (s->job == NULL || !smtpchk_job_done(s->job))
        return;
    r->results[s->idx] = *smtpchk_job_result(s->job);
    smtpchk_job_free(s->job);
    s->job = NULL;
    r->active--;
    if (r->o->done)
        r->o->done(r->o->ud, s->idx, &r->results[s->idx]);
}

static void
fill_slots(runner *r)
{
    for (size_t i = 0; i < r->cap && r->next < r->n; i++) {
        if (r->slots[i].job == NULL)
            start_next(r, &r->slots[i]);
        reap(r, &r->slots[i]);
    }
}

/* Builds the poll set; returns its size and the poll timeout in ms. */
static size_t
build_poll(runner *r, int *timeout_ms)
{
    size_t np = smtpchk_resolver_pollfds(r->resolver, r->pfds, RESOLVER_FDS);
    for (size_t i = 0; i < np; i++)
        r->pslot[i] = NULL;
    int64_t now = smtpchk_now_us(), first = INT64_MAX;
    for (size_t i = 0; i < r->cap; i++) {
        slot *s = &r->slots[i];
        if (s->job == NULL)
            continue;
        int64_t d = smtpchk_job_deadline(s->job);
        first = d < first ? d : first;
        int fd = smtpchk_job_fd(s->job);
        if (fd < 0)
            continue;
        r->pfds[np] = (struct pollfd){.fd = fd, .events = smtpchk_job_events(s->job)};
        r->pslot[np++] = s;
    }
    int64_t wait = first == INT64_MAX ? 1000 : (first - now + 999) / 1000;
    int rt = smtpchk_resolver_timeout_ms(r->resolver);
    if (wait < 0)
        wait = 0;
    if (rt >= 0 && rt < wait)
        wait = rt;
    *timeout_ms = (int)(wait > 1000 ? 1000 : wait);
    return np;
}

static void
expire(runner *r)
{
    int64_t now = smtpchk_now_us();
    for (size_t i = 0; i < r->cap; i++) {
        slot *s = &r->slots[i];
        if (s->job != NULL && smtpchk_job_deadline(s->job) <= now)
            smtpchk_job_timeout(s->job);
        reap(r, s);
    }
}

static int
loop_once(runner *r)
{
    int timeout;
    size_t np = build_poll(r, &timeout);
    int rc = poll(r->pfds, np, timeout);
    if (rc < 0 && errno != EINTR)
        return -1;
    size_t nres = 0;
    while (nres < np && r->pslot[nres] == NULL)
        nres++;
    smtpchk_resolver_process(r->resolver, r->pfds, nres);
    for (size_t i = nres; rc > 0 && i < np; i++) {
        slot *s = r->pslot[i];
        if (r->pfds[i].revents != 0 && s->job != NULL)
            smtpchk_job_io(s->job, r->pfds[i].revents);
        reap(r, s);
    }
    expire(r);
    return 0;
}

static int
runner_init(runner *r, const smtpchk_check *const *checks, size_t n, smtpchk_result *results,
            const smtpchk_run_opts *o)
{
    memset(r, 0, sizeof(*r));
    r->checks = checks;
    r->results = results;
    r->n = n;
    r->o = o;
    r->cap = o->max_in_flight ? o->max_in_flight : 256;
    if (r->cap > n)
        r->cap = n;
    r->ehlo = o->default_ehlo ? o->default_ehlo : smtpchk_default_ehlo();
    char err[128];
    r->resolver = smtpchk_resolver_new(err, sizeof(err));
    r->slots = calloc(r->cap, sizeof(*r->slots));
    r->pfds = calloc(r->cap + RESOLVER_FDS, sizeof(*r->pfds));
    r->pslot = calloc(r->cap + RESOLVER_FDS, sizeof(*r->pslot));
    return (r->resolver && r->slots && r->pfds && r->pslot) ? 0 : -1;
}

static void
runner_free(runner *r)
{
    for (size_t i = 0; r->slots != NULL && i < r->cap; i++)
        smtpchk_job_free(r->slots[i].job);
    smtpchk_resolver_free(r->resolver);
    free(r->slots);
    free(r->pfds);
    free(r->pslot);
}

int
smtpchk_run(const smtpchk_check *const *checks, size_t n, smtpchk_result *results,
            const smtpchk_run_opts *opts)
{
    static const smtpchk_run_opts none;
    runner r;
    int rc = 0;
    if (n == 0)
        return 0;
    if (runner_init(&r, checks, n, results, opts ? opts : &none) != 0) {
        rc = -1;
    } else {
        while ((r.next < r.n || r.active > 0) && rc == 0) {
            fill_slots(&r);
            if (r.active > 0)
                rc = loop_once(&r);
        }
    }
    for (size_t i = r.next; rc != 0 && i < n; i++)
        internal_error(&results[i], "the event loop failed");
    runner_free(&r);
    return rc;
}
