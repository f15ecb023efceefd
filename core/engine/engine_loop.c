/*
 * The engine's event loop: epoll over job and resolver sockets, one timer
 * heap for due checks and step deadlines, and the slot pool that caps
 * concurrency.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine_int.h"

#define MAX_EVENTS 256

/* ---- randomness for jitter (xorshift; no need for crypto here) ------- */

static uint32_t
rnd(smtpchk_engine *e, uint32_t bound)
{
    e->rng ^= e->rng << 13;
    e->rng ^= e->rng >> 7;
    e->rng ^= e->rng << 17;
    return bound ? (uint32_t)(e->rng % bound) : 0;
}

/* ---- epoll registration ------------------------------------------------ */

/* The job closes its fd: closing drops it from the set (a stale event,
 * should its file outlive the close in a forked child, has an old gen). */
static void
on_fd_close(void *ud, int fd)
{
    slot *s = ud;
    (void)fd;
    s->reg_fd = -1;
}

static uint64_t
slot_tag(const smtpchk_engine *e, const slot *s)
{
    return TAG_SLOT_BIT | (uint64_t)s->gen << TAG_SLOT_INDEX_BITS | (uint64_t)(s - e->slots);
}

/* The slot an event names, or NULL when it is of an fd closed since. */
static slot *
tag_slot(smtpchk_engine *e, uint64_t tag)
{
    size_t i = (size_t)(tag & (((uint64_t)1 << TAG_SLOT_INDEX_BITS) - 1));
    if (i >= e->cap)
        return NULL;
    slot *s = &e->slots[i];
    return s->job != NULL && s->reg_fd >= 0 && tag == slot_tag(e, s) ? s : NULL;
}

/*
 * A job's fd is registered once, edge-triggered, for reading and writing:
 * no epoll_ctl when it turns from connecting (writable) to reading, none
 * before close. The job keeps what an edge told it (smtpchk_job_io).
 */
static void
sync_slot(smtpchk_engine *e, slot *s)
{
    int fd = smtpchk_job_fd(s->job);
    if (fd != s->reg_fd && s->reg_fd >= 0) {
        epoll_ctl(e->ep, EPOLL_CTL_DEL, s->reg_fd, NULL); /* still open: not the job's */
        s->reg_fd = -1;
    }
    if (fd >= 0 && s->reg_fd < 0) {
        s->gen = (s->gen + 1) & 0xffffffffu;
        struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                 .data.u64 = slot_tag(e, s)};
        if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ee) == 0)
            s->reg_fd = fd;
    }
    smtpchk_heap_set(&e->timers, &s->deadline.t, smtpchk_job_deadline(s->job));
    if (smtpchk_job_io_pending(s->job) && !s->again) {
        s->again = 1;
        s->next_again = e->again;
        e->again = s;
    }
}

void
engine_sock_cb(void *ud, int fd, int readable, int writable)
{
    smtpchk_engine *e = ud;
    struct epoll_event ee = {
        .events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0),
        .data.u64 = TAG_RESOLVER_BIT | (uint64_t)(unsigned)fd,
    };
    if (!readable && !writable) {
        epoll_ctl(e->ep, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    if (epoll_ctl(e->ep, EPOLL_CTL_MOD, fd, &ee) != 0 && errno == ENOENT)
        epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ee);
}

/* A lookup of job's ends: its run goes on the list after_moved visits. */
void
engine_lookup_done(void *ud, void *job)
{
    smtpchk_engine *e = ud;
    slot *s = smtpchk_job_hook_ud(job);
    if (s == NULL || s->moved)
        return;
    s->moved = 1;
    s->next_moved = e->moved;
    e->moved = s;
}

/* ---- entries and scheduling ------------------------------------------- */

static void
entry_free(smtpchk_engine *e, entry *en)
{
    dest_put(&e->dests, en->dest);
    smtpchk_check_free(en->check);
    free(en);
}

/* The check's destination, with a reference; NULL (no cap) without memory. */
static dest *
dest_of(smtpchk_engine *e, const smtpchk_check *c)
{
    const char *host = c->host != NULL ? c->host : c->mx != NULL ? c->mx : "";
    return dest_get(&e->dests, host, smtpchk_check_port(c));
}

static void
schedule_next(smtpchk_engine *e, entry *en)
{
    if (e->once) {
        smtpchk_heap_remove(&e->timers, &en->due.t);
        return;
    }
    en->k++;
    int64_t due = en->base + (int64_t)en->k * en->interval_ms * 1000 +
                  (int64_t)rnd(e, en->jitter_ms) * 1000;
    smtpchk_heap_set(&e->timers, &en->due.t, due);
}

/* Goes on with a schedule from before this engine: the first run is
 * due one interval after the last one ended. 0 when that is not ahead,
 * or more than an interval ahead (the wall clock moved). */
static int
schedule_resume(smtpchk_engine *e, entry *en, int64_t last_end, int64_t now)
{
    if (e->once || last_end <= 0)
        return 0;
    int64_t ahead_s = last_end + en->interval_ms / 1000 - (int64_t)time(NULL);
    if (ahead_s <= 0 || ahead_s > (int64_t)en->interval_ms / 1000)
        return 0;
    en->k = 0;
    en->base = now + ahead_s * 1000000 + (int64_t)rnd(e, 1000) * 1000;
    smtpchk_heap_set(&e->timers, &en->due.t, en->base);
    return 1;
}

static void
schedule_first(smtpchk_engine *e, entry *en, int64_t now)
{
    uint32_t spread = e->o.first_spread_ms ? e->o.first_spread_ms : 5000;
    if (spread > en->interval_ms)
        spread = en->interval_ms;
    en->k = 0;
    en->base = e->once ? now : now + (int64_t)rnd(e, spread) * 1000;
    smtpchk_heap_set(&e->timers, &en->due.t, en->base);
}

static int
wait_push(smtpchk_engine *e, entry *en)
{
    if (e->wait_n == e->wait_cap) {
        size_t cap = e->wait_cap ? e->wait_cap * 2 : 64;
        entry **w = malloc(cap * sizeof(*w)); // NOLINT(bugprone-sizeof-expression): an array of pointers
        if (w == NULL)
            return -1;
        for (size_t i = 0; i < e->wait_n; i++)
            w[i] = e->wait[(e->wait_head + i) % e->wait_cap];
        free(e->wait);
        e->wait = w;
        e->wait_cap = cap;
        e->wait_head = 0;
    }
    e->wait[(e->wait_head + e->wait_n++) % e->wait_cap] = en;
    en->waiting = 1;
    return 0;
}

static entry *
wait_pop(smtpchk_engine *e)
{
    while (e->wait_n > 0) {
        entry *en = e->wait[e->wait_head];
        e->wait_head = (e->wait_head + 1) % e->wait_cap;
        e->wait_n--;
        en->waiting = 0;
        if (!en->removed)
            return en;
        if (en->running == NULL)
            entry_free(e, en);
    }
    return NULL;
}

/* ---- the cap per destination ----------------------------------------- */

/* en is due but its destination is at the cap: it waits there, still
 * "waiting" (so it is skipped when due again), without a slot. */
static void
block(smtpchk_engine *e, entry *en)
{
    dest *d = en->dest;
    en->waiting = 1;
    en->blocked_in = dest_ref(d);
    en->next_blocked = NULL;
    if (d->blocked_tail != NULL)
        d->blocked_tail->next_blocked = en;
    else
        d->blocked = en;
    d->blocked_tail = en;
    e->blocked_n++;
}

/* The first entry waiting for d, out of its FIFO (NULL if none). */
static entry *
unblock(smtpchk_engine *e, dest *d)
{
    entry *en = d->blocked;
    if (en == NULL)
        return NULL;
    d->blocked = en->next_blocked;
    if (d->blocked == NULL)
        d->blocked_tail = NULL;
    en->next_blocked = NULL;
    en->blocked_in = NULL;
    en->waiting = 0;
    e->blocked_n--;
    dest_put(&e->dests, d);
    return en;
}

/* Frees the removed entries at the head of d's FIFO; returns the first
 * live one, out of the FIFO, or NULL. */
static entry *
unblock_live(smtpchk_engine *e, dest *d)
{
    entry *en;
    while ((en = unblock(e, d)) != NULL && en->removed)
        if (en->running == NULL)
            entry_free(e, en);
    return en;
}

/* A run to d ended: the first check waiting for d queues for a slot
 * again; when the engine stops (requeue 0) waits stay as they are. */
void
engine_release_dest(smtpchk_engine *e, dest *d, int requeue)
{
    if (d == NULL)
        return;
    d->in_flight--;
    if (requeue) {
        dest_ref(d); /* unblock drops the waits' references */
        entry *en = unblock_live(e, d);
        /* No memory to queue it: it misses this run (unblock cleared
         * "waiting", so its next due time queues it again). Blocking it
         * again could leave it where no run ends to free it. */
        if (en != NULL)
            (void)wait_push(e, en);
        dest_put(&e->dests, d);
    }
    dest_put(&e->dests, d); /* the run's reference */
}

static int
at_cap(const smtpchk_engine *e, const entry *en)
{
    return en->dest != NULL && en->dest->in_flight >= e->per_dest;
}

/* Results nobody drains: so many wait that a new run would only add one. */
static int
results_backed_up(const smtpchk_engine *e)
{
    size_t cap = e->o.max_results;
    if (cap == 0)
        cap = e->nentries > 1024 ? e->nentries : 1024;
    return e->nresults >= cap; /* under e->mu */
}

static void
on_due(smtpchk_engine *e, entry *en)
{
    int busy = en->running != NULL || en->waiting; /* never two runs of one check at once */
    pthread_mutex_lock(&e->mu);
    int skip = busy || results_backed_up(e);
    if (skip)
        e->skipped_total++;
    pthread_mutex_unlock(&e->mu);
    if (skip)
        en->skipped++;
    else
        wait_push(e, en);
    schedule_next(e, en);
}

/* ---- runs ------------------------------------------------------------- */

static void
on_line(void *ud, char dir, const char *line, size_t len)
{
    slot *s = ud;
    s->e->o.transcript(s->e->o.ud, s->check, dir, line, len);
}

static void
finish_run(smtpchk_engine *e, slot *s)
{
    entry *en = s->ent;
    smtpchk_engine_result r;
    memset(&r, 0, sizeof(r));
    r.key = en->key;
    r.run = ++en->runs;
    r.skipped = en->skipped;
    r.finished = (int64_t)time(NULL);
    r.result = *smtpchk_job_result(s->job);
    r.targets = smtpchk_job_take_targets(s->job, &r.ntargets);
    engine_push_result(e, &r);
    smtpchk_heap_remove(&e->timers, &s->deadline.t);
    smtpchk_job_free(s->job);
    smtpchk_check_free(s->own);
    s->job = NULL;
    s->check = NULL;
    s->own = NULL;
    en->running = NULL;
    en->ran_once = 1;
    engine_release_dest(e, s->dest, 1);
    s->dest = NULL;
    if (en->removed && !en->waiting)
        entry_free(e, en);
    s->ent = NULL;
    s->next_free = e->free_slots;
    e->free_slots = s;
    e->active--;
    e->finished++;
}

/* After anything touched a job: reap it, or update its fd and deadline. */
static void
after_job(smtpchk_engine *e, slot *s)
{
    if (smtpchk_job_done(s->job))
        finish_run(e, s);
    else if (!engine_park(e, s))
        sync_slot(e, s);
}

void
engine_after_job(smtpchk_engine *e, slot *s)
{
    after_job(e, s);
}

static void
fail_start(smtpchk_engine *e, entry *en, slot *s)
{
    smtpchk_engine_result r;
    memset(&r, 0, sizeof(r));
    r.key = en->key;
    r.run = ++en->runs;
    r.finished = (int64_t)time(NULL);
    smtpchk_result_init(&r.result);
    r.result.error = SMTPCHK_ERR_INTERNAL;
    snprintf(r.result.error_detail, sizeof(r.result.error_detail), "out of memory");
    engine_push_result(e, &r);
    en->ran_once = 1;
    s->next_free = e->free_slots;
    e->free_slots = s;
}

/* The job's callbacks name its slot. */
void
engine_bind_job(slot *s)
{
    smtpchk_job_set_close_hook(s->job, on_fd_close, s);
    if (s->e->o.transcript != NULL)
        smtpchk_job_set_transcript(s->job, on_line, s);
}

static void
start_run(smtpchk_engine *e, entry *en)
{
    slot *s = e->free_slots;
    e->free_slots = s->next_free;
    s->ent = en;
    s->reg_fd = -1;
    s->check = en->check;
    s->own = NULL;
    s->job = smtpchk_job_new(s->check, &e->job_env, e->o.transcript ? on_line : NULL, s);
    if (s->job == NULL) {
        s->check = NULL;
        fail_start(e, en, s);
        return;
    }
    engine_bind_job(s);
    s->dest = dest_ref(en->dest);
    if (s->dest != NULL)
        s->dest->in_flight++;
    en->running = s;
    e->active++;
    e->started++;
    smtpchk_job_start(s->job);
    after_job(e, s);
}

/* Starts due checks, a batch at a time: between batches the loop reads
 * events, so a burst of starts does not delay the replies of the first. */
#define STARTS_PER_PASS 32

static void
start_waiting(smtpchk_engine *e)
{
    int n = 0;
    engine_resume_parked(e); /* runs begun go first */
    while (n < STARTS_PER_PASS && e->free_slots != NULL && e->wait_n > 0) {
        entry *en = wait_pop(e);
        if (en == NULL)
            break;
        if (at_cap(e, en)) {
            block(e, en); /* a run to its server ending queues it again */
            continue;
        }
        start_run(e, en);
        n++;
    }
}

/* ---- the check set ---------------------------------------------------- */

/* The current entries sorted by key, so a reload of N checks finds each
 * old entry in O(log N) instead of scanning them all (O(N^2) in all). */
static int
by_key(const void *a, const void *b)
{
    uint64_t x = (*(entry *const *)a)->key, y = (*(entry *const *)b)->key;
    return x < y ? -1 : x > y;
}

static entry *
find_entry(entry *const *sorted, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid]->key == key)
            return sorted[mid];
        if (sorted[mid]->key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void
retire(smtpchk_engine *e, entry *en)
{
    smtpchk_heap_remove(&e->timers, &en->due.t);
    en->removed = 1;
    if (en->running == NULL && !en->waiting)
        entry_free(e, en);
}

static entry *
entry_new(smtpchk_engine *e, const smtpchk_engine_spec *sp, smtpchk_check *c, int64_t now)
{
    entry *en = calloc(1, sizeof(*en));
    if (en == NULL) {
        smtpchk_check_free(c);
        return NULL;
    }
    en->key = sp->key;
    en->check = c;
    en->dest = dest_of(e, c);
    en->interval_ms = sp->interval_ms ? sp->interval_ms : 60000;
    en->jitter_ms = sp->jitter_ms;
    en->due.kind = TM_DUE;
    en->due.owner = en;
    if (!schedule_resume(e, en, sp->last_end, now))
        schedule_first(e, en, now);
    return en;
}

/*
 * Takes the check out of sp. A key already known keeps its entry, and so
 * its counters and its run in flight (never two runs of one check): the
 * check is replaced for the next run, and a new interval or jitter starts
 * a new schedule from now.
 */
static entry *
adopt(smtpchk_engine *e, entry *old, smtpchk_engine_spec *sp, int64_t now)
{
    smtpchk_check *c = (smtpchk_check *)sp->check;
    sp->check = NULL;
    if (old == NULL)
        return entry_new(e, sp, c, now);
    /* A run in flight reads the check it started with: it keeps it. A
     * check replaced twice during one run was never read by it. */
    if (old->running != NULL && old->running->own == NULL)
        old->running->own = old->check;
    else
        smtpchk_check_free(old->check);
    old->check = c;
    dest_put(&e->dests, old->dest); /* a wait or a run keeps its own reference */
    old->dest = dest_of(e, c);
    uint32_t interval = sp->interval_ms ? sp->interval_ms : 60000;
    if (old->interval_ms != interval || old->jitter_ms != sp->jitter_ms) {
        old->interval_ms = interval;
        old->jitter_ms = sp->jitter_ms;
        schedule_first(e, old, now);
    }
    return old;
}

/* Contexts of TLS settings that no check uses any more go (a reload). */
static void
keep_tls_contexts(smtpchk_engine *e)
{
    const smtpchk_check **v = calloc(e->nentries ? e->nentries : 1, sizeof(*v)); // NOLINT(bugprone-sizeof-expression): pointers
    if (v == NULL)
        return; /* kept a little longer: harmless */
    for (size_t i = 0; i < e->nentries; i++)
        v[i] = e->entries[i]->check;
    smtpchk_tls_cache_keep(e->tls, v, e->nentries);
    free(v);
}

void
engine_apply_set(smtpchk_engine *e, pending_set *ps)
{
    entry **next = calloc(ps->n ? ps->n : 1, sizeof(*next)); // NOLINT(bugprone-sizeof-expression): pointers
    if (next == NULL) {
        pending_set_free(ps);
        return;
    }
    /* Sorted in place: the old order is not needed, next replaces it.
     * (No entries yet: no array either, and qsort must not see NULL.) */
    if (e->nentries > 1)
        qsort(e->entries, e->nentries, sizeof(entry *), by_key); // NOLINT(bugprone-sizeof-expression): pointers
    for (size_t i = 0; i < e->nentries; i++)
        e->entries[i]->kept = 0;
    int64_t now = smtpchk_now_us();
    size_t nn = 0;
    for (size_t i = 0; i < ps->n; i++) {
        entry *old = find_entry(e->entries, e->nentries, ps->specs[i].key);
        if (old != NULL && old->kept)
            continue; /* a key given twice: the first one counts */
        entry *en = adopt(e, old, &ps->specs[i], now);
        if (en != NULL) {
            en->kept = 1;
            next[nn++] = en;
        }
    }
    /* Only now, with nothing pointing at them any more, retire the rest. */
    for (size_t i = 0; i < e->nentries; i++)
        if (!e->entries[i]->kept)
            retire(e, e->entries[i]);
    free(e->entries);
    e->entries = next;
    e->nentries = nn;
    pending_set_free(ps);
    keep_tls_contexts(e);
    pthread_mutex_lock(&e->mu);
    e->stat_checks = nn;
    pthread_mutex_unlock(&e->mu);
}

/* The loop's figures, for smtpchk_engine_stats_get in other threads. */
static void
publish_stats(smtpchk_engine *e)
{
    pthread_mutex_lock(&e->mu);
    e->stat_active = e->active;
    e->stat_wait = e->wait_n + e->blocked_n;
    e->stat_started = e->started;
    e->stat_finished = e->finished;
    pthread_mutex_unlock(&e->mu);
}

/* Every check waiting for its destination stops waiting (the engine
 * stops). Freeing a removed entry may free another destination, which
 * leaves the chain: d's next is read only after, while d is held. */
static void
unblock_all(smtpchk_engine *e)
{
    for (size_t i = 0; i < e->dests.nbuckets; i++) {
        dest *d = e->dests.buckets[i];
        while (d != NULL) {
            dest_ref(d);
            while (unblock_live(e, d) != NULL)
                ;
            dest *next = d->next;
            dest_put(&e->dests, d);
            d = next;
        }
    }
}

void
engine_abort_all(smtpchk_engine *e)
{
    for (size_t i = 0; i < e->cap; i++) {
        slot *s = &e->slots[i];
        if (s->job == NULL)
            continue;
        smtpchk_job_free(s->job); /* its close hook drops the fd from epoll */
        smtpchk_check_free(s->own);
        smtpchk_heap_remove(&e->timers, &s->deadline.t);
        s->job = NULL;
        s->check = NULL;
        s->own = NULL;
        engine_release_dest(e, s->dest, 0);
        s->dest = NULL;
        if (s->ent != NULL) {
            s->ent->running = NULL;
            if (s->ent->removed && !s->ent->waiting)
                entry_free(e, s->ent);
        }
        s->ent = NULL;
        s->next_free = e->free_slots;
        e->free_slots = s;
    }
    e->active = 0;
    engine_park_abort_all(e);
    while (wait_pop(e) != NULL)
        ;
    unblock_all(e);
    publish_stats(e);
}

/* ---- the loop ---------------------------------------------------------- */

static int
next_timeout_ms(smtpchk_engine *e)
{
    if (((e->wait_n > 0 || e->resume_head != NULL) && e->free_slots != NULL) ||
        e->again != NULL)
        return 0; /* more checks to start, or bytes to read: look at events first */
    int64_t wait = 1000000;
    smtpchk_timer *t = smtpchk_heap_top(&e->timers);
    if (t != NULL)
        wait = t->when - smtpchk_now_us();
    int ms = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
    if (ms > 1000)
        ms = 1000;
    if (e->handoff_at != 0 && !e->once) {
        int64_t h = e->handoff_at - smtpchk_now_us();
        int hms = h <= 0 ? 0 : (int)((h + 999) / 1000);
        ms = hms < ms ? hms : ms;
    }
    int rt = smtpchk_resolver_timeout_ms(e->resolver);
    return rt >= 0 && rt < ms ? rt : ms;
}

/* Due checks up to due_slack_ms ahead start with the ones due now: checks
 * due close together share one wake-up (each costs a context switch),
 * and their replies then come back together. Only due times move, and
 * only earlier: a deadline or a poll behind them keeps its time. */
static int64_t
due_horizon(const smtpchk_engine *e, int64_t now)
{
    return e->once ? now : now + (int64_t)e->o.due_slack_ms * 1000;
}

static void
fire_timers(smtpchk_engine *e)
{
    int64_t now = smtpchk_now_us(), due_until = due_horizon(e, now);
    smtpchk_timer *t;
    while ((t = smtpchk_heap_top(&e->timers)) != NULL) {
        etimer *et = (etimer *)t;
        if (t->when > (et->kind == TM_DUE ? due_until : now))
            break;
        if (et->kind == TM_DUE) {
            on_due(e, et->owner);
            continue;
        }
        if (et->kind == TM_WAKE) {
            smtpchk_heap_remove(&e->timers, t);
            engine_park_due(e, et->owner);
            continue;
        }
        slot *s = et->owner;
        smtpchk_heap_remove(&e->timers, t);
        smtpchk_job_timeout(s->job);
        after_job(e, s);
    }
}

/* Runs whose lookups ended (engine_lookup_done) are connecting or have
 * failed: only those are updated, not every slot. A run may be listed
 * after it ended, or its slot reused: after_job is right for any job. */
static void
after_moved(smtpchk_engine *e)
{
    while (e->moved != NULL) {
        slot *s = e->moved;
        e->moved = s->next_moved;
        s->moved = 0;
        if (s->job != NULL)
            after_job(e, s);
    }
}

static void
resolver_event(smtpchk_engine *e, int fd, uint32_t ev)
{
    smtpchk_resolver_process_fd(e->resolver, fd, (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0,
                                (ev & EPOLLOUT) != 0);
    after_moved(e);
}

/* Every event of a batch is dated when epoll_wait returned: its bytes
 * came then at the latest, however long the batch takes to handle. */
static int
handle_events(smtpchk_engine *e, struct epoll_event *evs, int n, int64_t seen)
{
    int ctl = 0;
    for (int i = 0; i < n; i++) {
        uint64_t tag = evs[i].data.u64;
        if (tag == TAG_CTL) {
            uint64_t v;
            ctl = read(e->ctl_fd, &v, sizeof(v)) > 0 || ctl;
        } else if (tag & TAG_RESOLVER_BIT) {
            resolver_event(e, (int)(tag & 0x7fffffff), evs[i].events);
        } else {
            slot *s = tag_slot(e, tag);
            if (s == NULL)
                continue; /* its fd was closed, maybe earlier in this batch */
            smtpchk_job_io(s->job, (short)evs[i].events, seen);
            after_job(e, s);
        }
    }
    return ctl;
}

/* Runs that stopped reading at their cap read on, once per pass. */
static void
read_again(smtpchk_engine *e)
{
    slot *list = e->again;
    e->again = NULL;
    while (list != NULL) {
        slot *s = list;
        list = s->next_again;
        s->again = 0;
        if (s->job != NULL && smtpchk_job_io_pending(s->job)) {
            smtpchk_job_io(s->job, 0, 0);
            after_job(e, s);
        }
    }
}

/* Asked once per pass of the loop: a cursor past the entries known to
 * have run (they stay so) keeps that O(1) amortized, not O(checks). */
static int
once_finished(smtpchk_engine *e)
{
    if (e->active > 0 || e->wait_n > 0 || e->blocked_n > 0 || e->parked_n > 0)
        return 0;
    while (e->once_scan < e->nentries && e->entries[e->once_scan]->ran_once)
        e->once_scan++;
    return e->once_scan == e->nentries;
}

int
engine_loop(smtpchk_engine *e)
{
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        start_waiting(e);
        publish_stats(e);
        if (e->once && once_finished(e))
            return 0;
        int n = epoll_wait(e->ep, evs, MAX_EVENTS, next_timeout_ms(e));
        if (n < 0 && errno != EINTR)
            return -1;
        read_again(e);
        if (n > 0 && handle_events(e, evs, n, smtpchk_now_us())) {
            int stop = 0;
            pending_set *ps = engine_take_pending(e, &stop);
            if (ps != NULL)
                engine_apply_set(e, ps);
            if (stop)
                return 0;
        }
        if (smtpchk_resolver_timeout_ms(e->resolver) == 0) {
            smtpchk_resolver_process_timeouts(e->resolver);
            after_moved(e); /* a lookup that timed out fails its run now */
        }
        fire_timers(e);
        if (!e->once)
            engine_handoff(e, smtpchk_now_us());
    }
}

/* A run of en ended without a result (the engine stops). */
void
engine_entry_done(smtpchk_engine *e, entry *en)
{
    en->running = NULL;
    if (en->removed && !en->waiting)
        entry_free(e, en);
}
