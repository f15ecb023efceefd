/*
 * A binary min-heap of timers, ordered by `when`. Each timer remembers
 * its position, so it can be moved or removed in O(log n). Timers are
 * embedded in their owners; the heap never allocates them.
 */
#ifndef SMTPCHK_HEAP_H
#define SMTPCHK_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct smtpchk_timer {
    int64_t when;             /* monotonic microseconds */
    size_t pos;               /* index in the heap + 1; 0 = not queued */
} smtpchk_timer;

typedef struct smtpchk_heap {
    smtpchk_timer **v;
    size_t n, cap;
} smtpchk_heap;

void smtpchk_heap_init(smtpchk_heap *h);
void smtpchk_heap_free(smtpchk_heap *h);
/* Queues t at `when`, or moves it there if already queued. 0 or -1 (no memory). */
int smtpchk_heap_set(smtpchk_heap *h, smtpchk_timer *t, int64_t when);
void smtpchk_heap_remove(smtpchk_heap *h, smtpchk_timer *t);
/* The earliest timer, or NULL. */
smtpchk_timer *smtpchk_heap_top(const smtpchk_heap *h);

#endif
