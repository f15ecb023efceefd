/* The round trip's poll times (rtsched.h). */
#include "rtsched.h"

static int64_t
delay(unsigned polls)
{
    int64_t d = SMTPCHK_RT_FIRST_US;
    for (unsigned i = 0; i < polls && d < SMTPCHK_RT_CAP_US; i++)
        d *= 2;
    return d < SMTPCHK_RT_CAP_US ? d : SMTPCHK_RT_CAP_US;
}

int64_t
smtpchk_rt_next_poll(int64_t queued_at, int64_t deadline, unsigned polls, int64_t now)
{
    int64_t last = deadline - SMTPCHK_RT_RESERVE_US;
    int64_t from = polls == 0 ? queued_at : now;
    int64_t at = from + delay(polls);
    if (at < now)
        at = now;
    if (at <= last)
        return at;
    /* One last look just before the deadline, unless the one that just
     * ended was it. */
    return now < last ? last : 0;
}
