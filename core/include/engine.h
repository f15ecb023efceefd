/*
 * The check engine: one event loop (epoll + a timer heap) that runs many
 * checks at once on their intervals, in its own thread or, for one-shot
 * runs, in the caller's. Finished results go into a queue that another
 * thread drains, woken through an eventfd. No global state: several
 * engines may live in one process. It calls no Net-SNMP function.
 */
#ifndef SMTPCHK_ENGINE_H
#define SMTPCHK_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "smtpchk.h"

typedef struct smtpchk_engine smtpchk_engine;

typedef struct smtpchk_engine_spec {
    uint64_t key;             /* the caller's id for this check (e.g. its index) */
    /* Shared, not copied (smtpchk_check_share): the engine and its runs
     * read it until the last of them ends, so nobody may change it. */
    const smtpchk_check *check;
    uint32_t interval_ms;     /* > 0 */
    uint32_t jitter_ms;       /* each run starts up to this much late */
    /* For a key the engine does not know yet: when its last run ended
     * (wall clock, seconds since the epoch; 0 = unknown), so that its
     * schedule goes on where it was (a new engine after a reload, a
     * restart) instead of running at once. Its first run is then due one
     * interval after that; a time past, or too far ahead (the clock
     * moved), gives the usual spread over the first seconds. */
    int64_t last_end;
} smtpchk_engine_spec;

typedef struct smtpchk_engine_result {
    uint64_t key;
    uint64_t run;             /* this check's run number, from 1 */
    uint64_t skipped;         /* runs skipped so far: the previous one was still busy */
    int64_t finished;         /* wall clock, seconds since the epoch */
    smtpchk_result result;    /* an MX check's: its targets' by its policy */
    /* An MX check's targets in preference order, owned by whoever drains
     * the result: free() them (smtpchk_engine_result_release). */
    smtpchk_target *targets;
    size_t ntargets;
} smtpchk_engine_result;

/* Frees r's targets; r stays usable without them. */
void smtpchk_engine_result_release(smtpchk_engine_result *r);

/* The default cap per server: below Postfix's defaults of 50 connections
 * per client (smtpd_client_connection_count_limit) and 100 smtpd
 * processes and listen backlog, which 500 at once overflowed. */
#define SMTPCHK_ENGINE_PER_SERVER 32

typedef struct smtpchk_engine_opts {
    size_t max_in_flight;     /* 0 = 256; more due checks wait in a queue */
    /* Runs in flight against one server (host as written, and port) at
     * most; 0 = SMTPCHK_ENGINE_PER_SERVER. More due checks of that server
     * wait without a slot; a check's deadlines start when it starts. */
    size_t max_per_server;
    const char *default_ehlo; /* NULL = this host's FQDN (net/fqdn.h) */
    uint32_t first_spread_ms; /* first runs spread over [0, min(interval, this)]; 0 = 5000 */
    /* Results are handed over in batches: the fd wakes the drainer once
     * per batch, this long after the batch's first result (0 = after the
     * batch of events that finished it). A few ms to a few hundred trade
     * that much delay for one wake-up for every result in the window. */
    uint32_t handoff_ms;
    /* Due checks up to this many ms ahead start with one due now (0 =
     * each on its time): checks due close together share one wake-up of
     * the loop. A run starts at most this early, never late; deadlines
     * and round-trip polls keep their times. Runs-once start at once. */
    uint32_t due_slack_ms;
    /* Results waiting for the drainer at most (0 = the number of checks,
     * and at least 1024). While that many wait, nobody is reading them:
     * due runs are skipped (and counted so) instead of queueing more. */
    size_t max_results;
    /* Optional, called in the loop's thread: each check's transcript. */
    void (*transcript)(void *ud, const smtpchk_check *c, char dir, const char *line,
                       size_t len);
    void *ud;
} smtpchk_engine_opts;

typedef struct smtpchk_engine_stats {
    size_t checks, in_flight, waiting;
    uint64_t started, finished, skipped;
} smtpchk_engine_stats;

smtpchk_engine *smtpchk_engine_new(const smtpchk_engine_opts *o, char *err, size_t errlen);
/* Stops the thread if it runs, aborts checks in flight, frees everything. */
void smtpchk_engine_free(smtpchk_engine *e);

/*
 * Replaces the set of checks (config reload). A key that stays with an
 * identical check keeps its schedule and skip count; a changed check is
 * used from its next run; a removed check's run in flight still delivers
 * its result. Thread-safe. Returns 0 or -1 (no memory).
 */
int smtpchk_engine_set_checks(smtpchk_engine *e, const smtpchk_engine_spec *specs, size_t n);

/* Starts the loop thread (with every signal blocked in it). */
int smtpchk_engine_start(smtpchk_engine *e);
/* Stops and joins the thread; checks in flight are aborted. */
void smtpchk_engine_stop(smtpchk_engine *e);
/* In the calling thread, runs every check once, now, and returns when all
 * have finished (results are in the queue). Not while started. */
int smtpchk_engine_run_once(smtpchk_engine *e);

/* Readable once a batch of results waits in the queue (an eventfd; see
 * handoff_ms), and after run_once when results wait. */
int smtpchk_engine_fd(const smtpchk_engine *e);
/* Moves up to max results out of the queue; returns how many. Results
 * left behind keep the fd readable: the next batch may wait for them. */
size_t smtpchk_engine_drain(smtpchk_engine *e, smtpchk_engine_result *out, size_t max);
/* The figures as the loop last published them (between its batches of
 * events, and when it stops); thread-safe. */
void smtpchk_engine_stats_get(smtpchk_engine *e, smtpchk_engine_stats *st);

/* Runs checks once and fills results[i] for checks[i] (the CLI's way). */
typedef struct smtpchk_run_opts {
    size_t max_in_flight;
    size_t max_per_server;
    void (*transcript)(void *ud, const smtpchk_check *c, char dir, const char *line, size_t len);
    void (*done)(void *ud, size_t idx, const smtpchk_result *r);
    /* Optional, before done for an MX check: its targets (borrowed for the call). */
    void (*targets)(void *ud, size_t idx, const smtpchk_target *t, size_t n);
    void *ud;
} smtpchk_run_opts;
int smtpchk_run(const smtpchk_check *const *checks, size_t n, smtpchk_result *results,
                const smtpchk_run_opts *opts);

#endif
