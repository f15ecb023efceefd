/* core/engine/rtsched.c: when a round trip polls, with an injected clock. */
#include "cunit_main.h"
#include "rtsched.h"

#define S 1000000LL

/* Polls that each take 100 ms and never find the mail: 0.25, 0.5, 1, 2,
 * 4, 8, 8 ... s apart (from the 250, then from the end of the last poll),
 * and a last one a second before the deadline. */
static void
test_backoff_to_deadline(void)
{
    const int64_t q = 50 * S, deadline = q + 30 * S;
    const int64_t c = S / 100; /* centiseconds */
    const int64_t want[] = {q + 25 * c,   q + 85 * c,   q + 195 * c,  q + 405 * c,
                            q + 815 * c,  q + 1625 * c, q + 2435 * c,
                            q + 29 * S}; /* the last look */
    int64_t now = q;
    unsigned n = 0;
    for (;; n++) {
        int64_t at = smtpchk_rt_next_poll(q, deadline, n, now);
        if (at == 0)
            break;
        CU_ASSERT_FATAL(n < sizeof(want) / sizeof(want[0]));
        CU_ASSERT_EQUAL(at, want[n]);
        now = at + S / 10;
    }
    CU_ASSERT_EQUAL(n, sizeof(want) / sizeof(want[0]));
}

/* The cap holds however many polls ran; a late start polls at once. */
static void
test_cap_and_late_start(void)
{
    const int64_t q = 0, deadline = 3600 * S;
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(q, deadline, 3, 100 * S), 102 * S);
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(q, deadline, 5, 100 * S), 108 * S);
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(q, deadline, 40, 100 * S), 108 * S);
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(q, deadline, 1000, 100 * S), 108 * S);
    /* the first poll after a long SMTP tail: not in the past */
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(q, deadline, 0, 5 * S), 5 * S);
}

/* A deadline shorter than the reserve leaves no poll; a short one one. */
static void
test_short_deadlines(void)
{
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(0, S / 2, 0, 0), 0);
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(0, S + S / 2, 0, 0), S / 4);
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(0, S + S / 4, 0, 0), S / 4); /* just fits */
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(0, S + S / 5, 0, 0), S / 5); /* the last look */
    CU_ASSERT_EQUAL(smtpchk_rt_next_poll(0, S + S / 2, 1, S / 2 + 1), 0);
}

void
register_tests(void)
{
    SUITE_ADD("rtsched", TEST(test_backoff_to_deadline), TEST(test_cap_and_late_start),
              TEST(test_short_deadlines));
}
