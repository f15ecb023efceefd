/* The module's side of the check engine (smtpcheck_engine.h). */
#include "smtpcheck_engine.h"

#include "smtpCheckTable.h"
#include "smtpcheck.h"
#include "smtpcheck_traps.h"

#define RESULT_BATCH 64
/* Results reach the tables in batches: one wake of snmpd's main thread
 * per HANDOFF_MS of results instead of one per result (issue 13: a wake
 * costs about as much CPU as the check). The rows lag by that much. */
#define HANDOFF_MS 100
/* Checks due within this many ms after one that is due start with it,
 * on one wake-up of the engine thread, and their replies then tend to
 * arrive together too: each wake-up costs a context switch. 20 ms gave
 * 3.0 switches and 0.22 ms of CPU per plain check at 100 checks/s;
 * 100 ms gives 1.5 and 0.12-0.16 ms (bench/modrate). A run starts at
 * most this early. */
#define DUE_SLACK_MS 100

static void start_engine(unsigned reg, void *clientarg);

void
smtpcheck_engine_init(sc_module *m)
{
    m->start_alarm = snmp_alarm_register(0, 0, start_engine, m);
}

int
smtpcheck_engine_create(sc_module *m, const smtpchk_config *cfg)
{
    if (m->engine != NULL)
        return 0;
    char err[200];
    smtpchk_engine_opts o = {.max_in_flight = cfg->max_in_flight,
                             .max_per_server = cfg->max_per_server,
                             .handoff_ms = HANDOFF_MS,
                             .due_slack_ms = DUE_SLACK_MS};
    m->engine = smtpchk_engine_new(&o, err, sizeof(err));
    if (m->engine == NULL) {
        snmp_log(LOG_ERR, "smtpcheck: %s\n", err);
        return -1;
    }
    if (m->start_missed) /* after daemonizing already: start on the next tick */
        m->start_alarm = snmp_alarm_register(0, 0, start_engine, m);
    m->start_missed = false;
    return 0;
}

static void
take_result(sc_module *m, const smtpchk_engine_result *res)
{
    sc_row *r = smtpCheckTable_find(m, (unsigned)res->key);
    if (r == NULL)
        return; /* removed by a reload while it ran */
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    size_t n = sc_row_update(r, res, ev, SMTPCHK_METRIC__COUNT);
    DEBUGMSGTL(("smtpcheck:results", "check %u (%s): %s, %zu alarm events\n", r->index,
                sc_row_name(r), smtpchk_error_name(res->result.error), n));
    for (size_t i = 0; i < n; i++)
        smtpcheck_send_alarm(r, &ev[i]);
    m->dirty = true;
}

/* Takes one batch; returns how many results it took. */
static size_t
take_batch(sc_module *m)
{
    smtpchk_engine_result batch[RESULT_BATCH];
    size_t n = smtpchk_engine_drain(m->engine, batch, RESULT_BATCH);
    for (size_t i = 0; i < n; i++) {
        take_result(m, &batch[i]);
        smtpchk_engine_result_release(&batch[i]);
    }
    return n;
}

/* The engine's fd is readable: a batch of results waits in its queue.
 * RESULT_BATCH per call keeps GETs flowing between calls; the fd stays
 * readable while more wait, so the main thread does not sleep until the
 * queue is empty (one wake per batch, however large). */
static void
on_results(int fd, void *data)
{
    (void)fd;
    take_batch(data);
}

static void
start_engine(unsigned reg, void *clientarg)
{
    (void)reg;
    sc_module *m = clientarg;
    m->start_alarm = 0;
    if (m->engine == NULL) {
        m->start_missed = true;
        return;
    }
    if (smtpchk_engine_start(m->engine) != 0) {
        snmp_log(LOG_ERR, "smtpcheck: cannot start the check thread\n");
        return;
    }
    if (register_readfd(smtpchk_engine_fd(m->engine), on_results, m) == 0)
        m->fd_registered = true;
    else
        snmp_log(LOG_ERR, "smtpcheck: cannot watch the engine's fd\n");
}

uint32_t
smtpcheck_engine_in_flight(sc_module *m)
{
    if (m->engine == NULL)
        return 0;
    smtpchk_engine_stats st;
    smtpchk_engine_stats_get(m->engine, &st);
    return (uint32_t)st.in_flight;
}

void
smtpcheck_engine_stop(sc_module *m)
{
    if (m->start_alarm)
        snmp_alarm_unregister(m->start_alarm);
    m->start_alarm = 0;
    if (m->engine == NULL)
        return;
    /* Joined first, so nothing is added while the queue empties. */
    smtpchk_engine_stop(m->engine);
    size_t taken = 0, n;
    while ((n = take_batch(m)) > 0)
        taken += n;
    DEBUGMSGTL(("smtpcheck:results", "%zu results taken at stop\n", taken));
    if (m->fd_registered)
        unregister_readfd(smtpchk_engine_fd(m->engine));
    m->fd_registered = false;
}

void
smtpcheck_engine_free(sc_module *m)
{
    smtpchk_engine_free(m->engine);
    m->engine = NULL;
}
