/*
 * When a round trip polls the mailbox: after 0.25, 0.5, 1, 2, 4 and then
 * every 8 seconds (the delay doubles up to the cap), never past the deadline,
 * with a last poll just before it. Pure: the caller gives every time
 * (monotonic microseconds), so tests inject the clock.
 */
#ifndef SMTPCHK_RTSCHED_H
#define SMTPCHK_RTSCHED_H

#include <stdint.h>

/* The first poll, after the 250. A local delivery takes a fraction of a
 * second, and the delivery time is rounded up to the poll that finds the
 * mail: a 1 s first poll made every fast delivery read about 1 s. */
#define SMTPCHK_RT_FIRST_US 250000LL
#define SMTPCHK_RT_CAP_US 8000000LL   /* the longest wait between polls */
/* What a last poll gets before the deadline: enough to connect, log in,
 * search and delete on a mail server near by. */
#define SMTPCHK_RT_RESERVE_US 1000000LL

/*
 * The time of poll number `polls` (0 = the first), the previous one
 * having ended at now; 0 when no poll fits before the deadline any more
 * (the mail is late: deliveryTimeout).
 */
int64_t smtpchk_rt_next_poll(int64_t queued_at, int64_t deadline, unsigned polls, int64_t now);

#endif
