/* The timer heap against a plain sorted reference, under random operations. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "heap.h"

#define N 500

static unsigned rng_state = 12345;

static unsigned
rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* The earliest queued timer, found the slow way. */
static smtpchk_timer *
reference_min(smtpchk_timer *t, const int *queued)
{
    smtpchk_timer *best = NULL;
    for (int i = 0; i < N; i++)
        if (queued[i] && (best == NULL || t[i].when < best->when))
            best = &t[i];
    return best;
}

static void
test_random_operations(void)
{
    static smtpchk_timer t[N];
    static int queued[N];
    memset(t, 0, sizeof(t));
    memset(queued, 0, sizeof(queued));
    smtpchk_heap h;
    smtpchk_heap_init(&h);
    for (int step = 0; step < 20000; step++) {
        int i = (int)(rnd() % N);
        unsigned op = rnd() % 3;
        if (op < 2) { /* queue or move */
            CU_ASSERT_EQUAL_FATAL(smtpchk_heap_set(&h, &t[i], (int64_t)(rnd() % 100000)), 0);
            queued[i] = 1;
        } else {
            smtpchk_heap_remove(&h, &t[i]);
            queued[i] = 0;
        }
        smtpchk_timer *top = smtpchk_heap_top(&h);
        smtpchk_timer *ref = reference_min(t, queued);
        if (ref == NULL) {
            CU_ASSERT_PTR_NULL_FATAL(top);
        } else {
            CU_ASSERT_PTR_NOT_NULL_FATAL(top);
            CU_ASSERT_EQUAL_FATAL(top->when, ref->when);
        }
    }
    /* Popping everything gives non-decreasing times. */
    int64_t last = -1;
    smtpchk_timer *top;
    while ((top = smtpchk_heap_top(&h)) != NULL) {
        CU_ASSERT_TRUE_FATAL(top->when >= last);
        last = top->when;
        smtpchk_heap_remove(&h, top);
        CU_ASSERT_EQUAL(top->pos, 0);
    }
    smtpchk_heap_free(&h);
}

static void
test_remove_twice_and_free(void)
{
    smtpchk_heap h;
    smtpchk_heap_init(&h);
    smtpchk_timer a = {0}, b = {0};
    CU_ASSERT_EQUAL(smtpchk_heap_set(&h, &a, 5), 0);
    CU_ASSERT_EQUAL(smtpchk_heap_set(&h, &b, 3), 0);
    CU_ASSERT_PTR_EQUAL(smtpchk_heap_top(&h), &b);
    smtpchk_heap_remove(&h, &b);
    smtpchk_heap_remove(&h, &b); /* not queued: nothing happens */
    CU_ASSERT_PTR_EQUAL(smtpchk_heap_top(&h), &a);
    CU_ASSERT_EQUAL(smtpchk_heap_set(&h, &a, 1), 0); /* moving keeps one copy */
    CU_ASSERT_EQUAL(h.n, 1);
    smtpchk_heap_free(&h);
    CU_ASSERT_EQUAL(a.pos, 0); /* free unqueues what was left */
    CU_ASSERT_PTR_NULL(smtpchk_heap_top(&h));
}

void
register_tests(void)
{
    SUITE_ADD("heap", TEST(test_random_operations), TEST(test_remove_twice_and_free));
}
