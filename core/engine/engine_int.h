/* Engine internals shared by engine.c (lifecycle, queue) and engine_loop.c. */
#ifndef SMTPCHK_ENGINE_INT_H
#define SMTPCHK_ENGINE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "dest.h"
#include "engine.h"
#include "heap.h"
#include "job.h"
#include "resolve.h"
#include "tlsctx.h"

typedef enum { TM_DUE, TM_DEADLINE, TM_WAKE } timer_kind;

typedef struct etimer {
    smtpchk_timer t;          /* first: the heap hands back smtpchk_timer* */
    timer_kind kind;
    void *owner;              /* entry or slot */
} etimer;

struct slot;

/* One configured check and its schedule. */
typedef struct entry {
    uint64_t key;
    smtpchk_check *check;
    uint32_t interval_ms, jitter_ms;
    etimer due;
    int64_t base;             /* schedule origin: run k is due at base + k*interval + jitter */
    uint64_t k;
    struct slot *running;     /* the run in flight, if any */
    dest *dest;               /* where the check connects (a reference) */
    int waiting;              /* due, queued for a free slot or its destination */
    struct entry *next_blocked; /* in blocked_in's FIFO */
    dest *blocked_in;         /* waiting for a run to that destination to end */
    int removed;              /* gone from the set; freed when its run ends */
    int ran_once;             /* run-once mode: its run has finished */
    int kept;                 /* engine_apply_set: in the new set already */
    uint64_t runs, skipped;
} entry;

/* One run in flight. */
typedef struct slot {
    struct smtpchk_engine *e;
    entry *ent;
    const smtpchk_check *check; /* the entry's, shared read-only: no copy per run */
    smtpchk_check *own;       /* that check, when a reload replaced it mid-run */
    smtpchk_job *job;
    dest *dest;               /* the run's destination (a reference) */
    etimer deadline;
    int reg_fd;               /* registered with epoll, or -1 */
    uint32_t gen;             /* registrations so far: tags this one's events */
    struct slot *next_again;  /* in the engine's list of runs to read again */
    int again;                /* in that list */
    struct slot *next_free;   /* free slots; parked runs due to resume */
    struct slot *park_prev, *park_next; /* parked runs (engine_park.c) */
    struct slot *next_moved;  /* in the engine's list of runs a lookup moved on */
    int moved;                /* in that list */
} slot;

typedef struct pending_set {
    smtpchk_engine_spec *specs; /* each holds a share of its check */
    size_t n;
} pending_set;

struct smtpchk_engine {
    smtpchk_engine_opts o;
    const char *ehlo;
    int ep, ctl_fd, notify_fd;
    smtpchk_resolver *resolver;
    smtpchk_tls_cache *tls;   /* one TLS context per distinct setting */
    smtpchk_job_env job_env;
    smtpchk_heap timers;
    entry **entries;
    size_t nentries;
    slot *slots;
    slot *free_slots;
    size_t cap, active;
    slot *moved;              /* runs whose lookup ended since last looked at */
    slot *again;              /* runs with bytes left unread (smtpchk_job_io_pending) */
    entry **wait;             /* FIFO of due entries without a slot */
    size_t wait_head, wait_n, wait_cap;
    dest_table dests;
    size_t per_dest;          /* runs in flight per destination at most */
    size_t blocked_n;         /* due entries waiting for their destination */
    slot *parked;             /* runs waiting without a slot: malloc'd copies */
    slot *resume_head, *resume_tail; /* parked runs whose time came, for a slot */
    size_t parked_n;          /* parked runs, due to resume or not */
    uint64_t rng;
    int once;
    size_t once_scan;         /* run_once: entries before this one have run */
    uint64_t started, finished; /* the loop's own; published as stat_* */
    int64_t handoff_at;       /* when to wake the drainer for this batch; 0 = none */

    pthread_mutex_t mu;       /* guards everything below */
    pthread_t thread;
    int thread_on, stop_req;
    pending_set *pending;
    smtpchk_engine_result *results;
    size_t nresults, res_cap;
    int batch_open;           /* results wait that the drainer was not told of yet */
    uint64_t skipped_total;
    size_t stat_checks, stat_active, stat_wait;
    uint64_t stat_started, stat_finished;
};

/* engine_loop.c */
int engine_loop(struct smtpchk_engine *e);
void engine_apply_set(struct smtpchk_engine *e, pending_set *ps);
void engine_abort_all(struct smtpchk_engine *e);
void engine_sock_cb(void *ud, int fd, int readable, int writable);
/* engine_loop.c, for engine_park.c */
void engine_release_dest(struct smtpchk_engine *e, dest *d, int requeue);
void engine_after_job(struct smtpchk_engine *e, slot *s);
void engine_bind_job(slot *s);
void engine_entry_done(struct smtpchk_engine *e, entry *en);
/* engine_park.c: a round trip between polls holds no slot (job.h). */
/* Parks the run of pool slot s when its job waits; 1 when it did. */
int engine_park(struct smtpchk_engine *e, slot *s);
/* The wake timer of parked run p fired: it queues for a slot. */
void engine_park_due(struct smtpchk_engine *e, slot *p);
/* Gives free slots to parked runs whose time came. */
void engine_resume_parked(struct smtpchk_engine *e);
void engine_park_abort_all(struct smtpchk_engine *e);
void engine_lookup_done(void *ud, void *job);
/* engine.c */
void engine_push_result(struct smtpchk_engine *e, const smtpchk_engine_result *r);
void engine_handoff(struct smtpchk_engine *e, int64_t now);
pending_set *engine_take_pending(struct smtpchk_engine *e, int *stop);
void pending_set_free(pending_set *ps);

/* epoll data tags. A slot's is TAG_SLOT_BIT, its registration count (gen)
 * and its index in slots (below 2^24): an event of an fd closed since
 * (its file may live on in a forked child, so close did not remove it
 * from the set) carries an old gen and is dropped. */
#define TAG_CTL ((uint64_t)1)
#define TAG_RESOLVER_BIT ((uint64_t)1 << 63)
#define TAG_SLOT_BIT ((uint64_t)1 << 62)
#define TAG_SLOT_INDEX_BITS 24

#endif
