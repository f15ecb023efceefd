/* Engine lifecycle: creation, the thread, control messages, the result queue. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "clock.h"
#include "engine_int.h"
#include "fqdn.h"

/* ---- creation ------------------------------------------------------------ */

static int
make_slots(smtpchk_engine *e)
{
    e->slots = calloc(e->cap, sizeof(*e->slots));
    if (e->slots == NULL)
        return -1;
    for (size_t i = e->cap; i-- > 0;) {
        slot *s = &e->slots[i];
        s->e = e;
        s->reg_fd = -1;
        s->deadline.kind = TM_DEADLINE;
        s->deadline.owner = s;
        s->next_free = e->free_slots;
        e->free_slots = s;
    }
    return 0;
}

static int
make_fds(smtpchk_engine *e)
{
    e->ep = epoll_create1(EPOLL_CLOEXEC);
    e->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    e->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e->ep < 0 || e->ctl_fd < 0 || e->notify_fd < 0)
        return -1;
    struct epoll_event ee = {.events = EPOLLIN, .data.u64 = TAG_CTL};
    return epoll_ctl(e->ep, EPOLL_CTL_ADD, e->ctl_fd, &ee);
}

smtpchk_engine *
smtpchk_engine_new(const smtpchk_engine_opts *o, char *err, size_t errlen)
{
    smtpchk_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    static const smtpchk_engine_opts none;
    e->o = o ? *o : none;
    e->ep = e->ctl_fd = e->notify_fd = -1;
    e->cap = e->o.max_in_flight ? e->o.max_in_flight : 256;
    if (e->cap > (size_t)1 << TAG_SLOT_INDEX_BITS)
        e->cap = (size_t)1 << TAG_SLOT_INDEX_BITS; /* an epoll tag holds the index */
    e->per_dest = e->o.max_per_server ? e->o.max_per_server : SMTPCHK_ENGINE_PER_SERVER;
    e->ehlo = e->o.default_ehlo ? e->o.default_ehlo : smtpchk_default_ehlo();
    pthread_mutex_init(&e->mu, NULL);
    smtpchk_heap_init(&e->timers);
    if (RAND_bytes((unsigned char *)&e->rng, sizeof(e->rng)) != 1 || e->rng == 0)
        e->rng = (uint64_t)smtpchk_now_us() | 1;
    if (make_fds(e) != 0 || make_slots(e) != 0) {
        snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
        smtpchk_engine_free(e);
        return NULL;
    }
    e->resolver = smtpchk_resolver_new(engine_sock_cb, e, err, errlen);
    if (e->resolver == NULL) {
        smtpchk_engine_free(e);
        return NULL;
    }
    smtpchk_resolver_set_done_hook(e->resolver, engine_lookup_done, e);
    e->tls = smtpchk_tls_cache_new();
    if (e->tls == NULL) {
        snprintf(err, errlen, "out of memory");
        smtpchk_engine_free(e);
        return NULL;
    }
    e->job_env = (smtpchk_job_env){.resolver = e->resolver, .tls = e->tls, .default_ehlo = e->ehlo};
    return e;
}

void
smtpchk_engine_free(smtpchk_engine *e)
{
    if (e == NULL)
        return;
    smtpchk_engine_stop(e);
    if (e->slots != NULL)
        engine_abort_all(e);
    smtpchk_heap_free(&e->timers); /* it writes to the timers: before the entries go */
    for (size_t i = 0; i < e->nentries; i++) {
        smtpchk_check_free(e->entries[i]->check);
        free(e->entries[i]);
    }
    free(e->entries);
    free(e->wait);
    dest_table_free(&e->dests); /* after the entries: nothing points here now */
    smtpchk_resolver_free(e->resolver);
    smtpchk_tls_cache_free(e->tls);
    pending_set_free(e->pending);
    for (size_t i = 0; i < e->nresults; i++)
        smtpchk_engine_result_release(&e->results[i]);
    free(e->results);
    free(e->slots);
    int fds[] = {e->ep, e->ctl_fd, e->notify_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* ---- control -------------------------------------------------------------- */

void
pending_set_free(pending_set *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->n; i++)
        smtpchk_check_free((smtpchk_check *)ps->specs[i].check);
    free(ps->specs);
    free(ps);
}

static pending_set *
copy_set(const smtpchk_engine_spec *specs, size_t n)
{
    pending_set *ps = calloc(1, sizeof(*ps));
    if (ps == NULL)
        return NULL;
    ps->specs = calloc(n ? n : 1, sizeof(*ps->specs));
    if (ps->specs == NULL) {
        free(ps);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        ps->specs[i] = specs[i];
        ps->specs[i].check = smtpchk_check_share(specs[i].check);
    }
    ps->n = n;
    return ps;
}

static void
poke(int fd)
{
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof(one));
    (void)w; /* a full counter is still readable: nothing is lost */
}

int
smtpchk_engine_set_checks(smtpchk_engine *e, const smtpchk_engine_spec *specs, size_t n)
{
    pending_set *ps = copy_set(specs, n);
    if (ps == NULL)
        return -1;
    pthread_mutex_lock(&e->mu);
    int threaded = e->thread_on;
    if (threaded) {
        pending_set_free(e->pending);
        e->pending = ps;
    }
    pthread_mutex_unlock(&e->mu);
    if (threaded)
        poke(e->ctl_fd);
    else
        engine_apply_set(e, ps);
    return 0;
}

pending_set *
engine_take_pending(smtpchk_engine *e, int *stop)
{
    pthread_mutex_lock(&e->mu);
    pending_set *ps = e->pending;
    e->pending = NULL;
    *stop = e->stop_req;
    pthread_mutex_unlock(&e->mu);
    return ps;
}

static void *
thread_main(void *arg)
{
    smtpchk_engine *e = arg;
    engine_loop(e);
    engine_abort_all(e);
    engine_handoff(e, INT64_MAX); /* a batch still waiting: the fd says so */
    return NULL;
}

int
smtpchk_engine_start(smtpchk_engine *e)
{
    if (e->thread_on)
        return 0;
    sigset_t all, old;
    sigfillset(&all);
    /* The loop thread must never take the host's signals (SIGHUP, SIGTERM). */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    e->once = 0;
    e->stop_req = 0;
    int rc = pthread_create(&e->thread, NULL, thread_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    pthread_mutex_lock(&e->mu);
    e->thread_on = 1;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

void
smtpchk_engine_stop(smtpchk_engine *e)
{
    pthread_mutex_lock(&e->mu);
    int on = e->thread_on;
    e->stop_req = 1;
    pthread_mutex_unlock(&e->mu);
    if (!on)
        return;
    poke(e->ctl_fd);
    pthread_join(e->thread, NULL);
    pthread_mutex_lock(&e->mu);
    e->thread_on = 0;
    pthread_mutex_unlock(&e->mu);
}

int
smtpchk_engine_run_once(smtpchk_engine *e)
{
    if (e->thread_on)
        return -1;
    e->once = 1;
    e->once_scan = 0;
    int64_t now = smtpchk_now_us();
    for (size_t i = 0; i < e->nentries; i++) {
        entry *en = e->entries[i];
        en->ran_once = 0;
        smtpchk_heap_set(&e->timers, &en->due.t, now);
    }
    int rc = engine_loop(e);
    e->once = 0;
    engine_handoff(e, INT64_MAX); /* every result waits: the fd says so */
    return rc;
}

/* ---- results ---------------------------------------------------------------- */

void
smtpchk_engine_result_release(smtpchk_engine_result *r)
{
    free(r->targets);
    r->targets = NULL;
    r->ntargets = 0;
}

void
engine_push_result(smtpchk_engine *e, const smtpchk_engine_result *r)
{
    pthread_mutex_lock(&e->mu);
    if (e->nresults == e->res_cap) {
        size_t cap = e->res_cap ? e->res_cap * 2 : 64;
        smtpchk_engine_result *v = realloc(e->results, cap * sizeof(*v));
        if (v == NULL) {
            pthread_mutex_unlock(&e->mu);
            free(r->targets);
            return; /* dropped; the next run reports again */
        }
        e->results = v;
        e->res_cap = cap;
    }
    e->results[e->nresults++] = *r;
    int first = !e->batch_open;
    e->batch_open = 1;
    pthread_mutex_unlock(&e->mu);
    if (first) /* the batch starts: it is handed over handoff_ms from now */
        e->handoff_at = smtpchk_now_us() + (int64_t)e->o.handoff_ms * 1000;
}

/* One wake of the drainer per batch, not one per result: a result costs
 * its reader a context switch otherwise (snmpd's main thread). */
void
engine_handoff(smtpchk_engine *e, int64_t now)
{
    if (e->handoff_at == 0 || now < e->handoff_at)
        return;
    e->handoff_at = 0;
    poke(e->notify_fd);
}

size_t
smtpchk_engine_drain(smtpchk_engine *e, smtpchk_engine_result *out, size_t max)
{
    uint64_t v;
    ssize_t rd = read(e->notify_fd, &v, sizeof(v));
    (void)rd; /* clear first: a result pushed after this wakes us again */
    pthread_mutex_lock(&e->mu);
    size_t n = e->nresults < max ? e->nresults : max;
    if (n > 0) {
        memcpy(out, e->results, n * sizeof(*out));
        memmove(e->results, e->results + n, (e->nresults - n) * sizeof(*out));
        e->nresults -= n;
    }
    int more = e->nresults > 0;
    e->batch_open = more; /* the next result starts a new batch */
    pthread_mutex_unlock(&e->mu);
    if (more)
        poke(e->notify_fd);
    return n;
}

int
smtpchk_engine_fd(const smtpchk_engine *e)
{
    return e->notify_fd;
}

void
smtpchk_engine_stats_get(smtpchk_engine *e, smtpchk_engine_stats *st)
{
    pthread_mutex_lock(&e->mu);
    st->checks = e->stat_checks;
    st->in_flight = e->stat_active;
    st->waiting = e->stat_wait;
    st->skipped = e->skipped_total;
    /* The loop thread writes started/finished unlocked: read its copies. */
    st->started = e->stat_started;
    st->finished = e->stat_finished;
    pthread_mutex_unlock(&e->mu);
}
