/*
 * Runs that wait without a slot: a round trip between two polls of its
 * mailbox (job.h, smtpchk_job_wake_at). Waiting for a mail can take a
 * minute; holding one of max_in_flight slots, and a place under its SMTP
 * server's cap, that long would starve the other checks. So the run
 * moves out of its slot into a parked copy with a wake timer, and when
 * the timer fires it queues for a free slot ahead of the due checks. Its
 * entry keeps pointing at the run (entry.running), so a due time meanwhile
 * is skipped, a reload hands it the old check, and a removal waits for it,
 * exactly as for a run in a slot.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static void
unlink_parked(smtpchk_engine *e, slot *p)
{
    if (p->park_prev != NULL)
        p->park_prev->park_next = p->park_next;
    else
        e->parked = p->park_next;
    if (p->park_next != NULL)
        p->park_next->park_prev = p->park_prev;
    p->park_prev = p->park_next = NULL;
}

int
engine_park(smtpchk_engine *e, slot *s)
{
    int64_t wake = smtpchk_job_wake_at(s->job);
    if (wake == 0)
        return 0;
    slot *p = malloc(sizeof(*p));
    if (p == NULL) {
        smtpchk_job_wake(s->job); /* no memory to wait apart: poll now, in the slot */
        engine_after_job(e, s);
        return 1;
    }
    smtpchk_heap_remove(&e->timers, &s->deadline.t);
    *p = *s;
    memset(&p->deadline, 0, sizeof(p->deadline));
    p->deadline.kind = TM_WAKE;
    p->deadline.owner = p;
    p->reg_fd = -1;
    p->dest = NULL;
    p->park_prev = NULL;
    p->park_next = e->parked;
    if (e->parked != NULL)
        e->parked->park_prev = p;
    e->parked = p;
    p->ent->running = p;
    smtpchk_heap_set(&e->timers, &p->deadline.t, wake);
    /* The SMTP server's place goes with the slot: the polls are another
     * server's. */
    engine_release_dest(e, s->dest, 1);
    s->dest = NULL;
    s->job = NULL;
    s->check = NULL;
    s->own = NULL;
    s->ent = NULL;
    s->next_free = e->free_slots;
    e->free_slots = s;
    e->active--;
    e->parked_n++;
    return 1;
}

void
engine_park_due(smtpchk_engine *e, slot *p)
{
    p->next_free = NULL;
    if (e->resume_tail != NULL)
        e->resume_tail->next_free = p;
    else
        e->resume_head = p;
    e->resume_tail = p;
}

static void
resume(smtpchk_engine *e, slot *p)
{
    slot *s = e->free_slots;
    e->free_slots = s->next_free;
    s->ent = p->ent;
    s->check = p->check;
    s->own = p->own;
    s->job = p->job;
    s->dest = NULL;
    s->reg_fd = -1;
    s->next_free = NULL;
    s->ent->running = s;
    unlink_parked(e, p);
    free(p);
    e->parked_n--;
    e->active++;
    engine_bind_job(s);
    smtpchk_job_wake(s->job);
    engine_after_job(e, s);
}

void
engine_resume_parked(smtpchk_engine *e)
{
    while (e->resume_head != NULL && e->free_slots != NULL) {
        slot *p = e->resume_head;
        e->resume_head = p->next_free;
        if (e->resume_head == NULL)
            e->resume_tail = NULL;
        resume(e, p);
    }
}

void
engine_park_abort_all(smtpchk_engine *e)
{
    while (e->parked != NULL) {
        slot *p = e->parked;
        unlink_parked(e, p);
        smtpchk_heap_remove(&e->timers, &p->deadline.t);
        smtpchk_job_free(p->job);
        smtpchk_check_free(p->own);
        engine_entry_done(e, p->ent);
        free(p);
    }
    e->resume_head = e->resume_tail = NULL;
    e->parked_n = 0;
}
