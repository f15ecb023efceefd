/* The result history ring: length, roll-over, numbering, resize, text. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "cunit_main.h"
#include "history.h"

static smtpchk_history_entry
entry(uint32_t when)
{
    return (smtpchk_history_entry){.when = when, .total_us = when * 10, .code = 250};
}

static void
add_runs(smtpchk_history *h, uint32_t from, uint32_t to)
{
    for (uint32_t t = from; t <= to; t++) {
        smtpchk_history_entry e = entry(t);
        smtpchk_history_add(h, &e);
    }
}

/* The numbers held, oldest first, as the table walks them. */
static size_t
walk(const smtpchk_history *h, uint32_t *seqs, size_t max)
{
    size_t n = 0;
    for (uint32_t s = smtpchk_history_next(h, 0); s != 0 && n < max;
         s = smtpchk_history_next(h, s))
        seqs[n++] = s;
    return n;
}

static void
test_fill_and_roll_over(void)
{
    smtpchk_history h;
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_init(&h, 3), 0);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 0), 0);
    CU_ASSERT_PTR_NULL(smtpchk_history_get(&h, 1));
    add_runs(&h, 101, 102);
    CU_ASSERT_EQUAL(h.n, 2);
    CU_ASSERT_EQUAL(smtpchk_history_first_seq(&h), 1);
    add_runs(&h, 103, 107); /* 7 runs into 3 slots */
    uint32_t seqs[8];
    CU_ASSERT_EQUAL_FATAL(walk(&h, seqs, 8), 3);
    CU_ASSERT_EQUAL(seqs[0], 5);
    CU_ASSERT_EQUAL(seqs[1], 6);
    CU_ASSERT_EQUAL(seqs[2], 7);
    CU_ASSERT_PTR_NULL(smtpchk_history_get(&h, 4)); /* dropped: the oldest first */
    CU_ASSERT_PTR_NULL(smtpchk_history_get(&h, 8));
    CU_ASSERT_PTR_NULL(smtpchk_history_get(&h, 0));
    CU_ASSERT_EQUAL(smtpchk_history_get(&h, 5)->when, 105);
    CU_ASSERT_EQUAL(smtpchk_history_get(&h, 7)->when, 107);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 6), 7);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 7), 0);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 2), 5);
    smtpchk_history_clear(&h);
}

static void
test_off_still_numbers(void)
{
    smtpchk_history h;
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_init(&h, 0), 0);
    add_runs(&h, 1, 4);
    CU_ASSERT_EQUAL(h.n, 0);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 0), 0);
    CU_ASSERT_EQUAL(h.next_seq, 5);
    /* Turned on later: numbering goes on, no number is reused. */
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_resize(&h, 2), 0);
    add_runs(&h, 5, 5);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 0), 5);
    smtpchk_history_clear(&h);
}

static void
test_resize_keeps_newest(void)
{
    smtpchk_history h;
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_init(&h, 4), 0);
    add_runs(&h, 1, 6); /* holds 3..6, the ring wrapped */
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_resize(&h, 2), 0);
    uint32_t seqs[4];
    CU_ASSERT_EQUAL_FATAL(walk(&h, seqs, 4), 2);
    CU_ASSERT_EQUAL(seqs[0], 5);
    CU_ASSERT_EQUAL(smtpchk_history_get(&h, 6)->when, 6);
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_resize(&h, 10), 0);
    add_runs(&h, 7, 8);
    CU_ASSERT_EQUAL(walk(&h, seqs, 4), 4);
    CU_ASSERT_EQUAL(seqs[0], 5);
    CU_ASSERT_EQUAL(seqs[3], 8);
    CU_ASSERT_EQUAL(smtpchk_history_get(&h, 8)->when, 8);
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_resize(&h, SMTPCHK_HISTORY_MAX + 5), 0);
    CU_ASSERT_EQUAL(h.cap, SMTPCHK_HISTORY_MAX);
    smtpchk_history_clear(&h);
}

static void
test_restore(void)
{
    smtpchk_history h;
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_init(&h, 3), 0);
    smtpchk_history_entry e = entry(40);
    smtpchk_history_restore(&h, 40, &e);
    e = entry(41);
    smtpchk_history_restore(&h, 41, &e);
    CU_ASSERT_EQUAL(smtpchk_history_first_seq(&h), 40);
    CU_ASSERT_EQUAL(h.next_seq, 42);
    /* A gap: what was held goes, numbers stay consecutive. */
    e = entry(50);
    smtpchk_history_restore(&h, 50, &e);
    CU_ASSERT_EQUAL(h.n, 1);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 0), 50);
    smtpchk_history_set_next(&h, 51); /* follows: kept */
    CU_ASSERT_EQUAL(h.n, 1);
    smtpchk_history_set_next(&h, 60); /* does not: dropped */
    CU_ASSERT_EQUAL(h.n, 0);
    add_runs(&h, 1, 1);
    CU_ASSERT_EQUAL(smtpchk_history_next(&h, 0), 60);
    smtpchk_history_clear(&h);
}

static void
test_entry_of_result(void)
{
    smtpchk_result r;
    smtpchk_result_init(&r);
    r.error = SMTPCHK_ERR_SENDER;
    r.failed_step = SMTPCHK_STEP_MAIL;
    r.response_code = 550;
    r.enhanced_class = 5;
    r.enhanced_subject = 7;
    r.enhanced_detail = 1;
    r.phase_us[SMTPCHK_PHASE_TOTAL] = 12345;
    r.phase_us[SMTPCHK_PHASE_CONNECT] = -1;
    smtpchk_history_entry e = smtpchk_history_entry_of(&r, 1764000000);
    CU_ASSERT_EQUAL(e.when, 1764000000u);
    CU_ASSERT_EQUAL(e.total_us, 12345);
    CU_ASSERT_EQUAL(e.connect_us, 0);
    CU_ASSERT_EQUAL(e.code, 550);
    CU_ASSERT_EQUAL(e.error, SMTPCHK_ERR_SENDER);
    CU_ASSERT_EQUAL(e.step, SMTPCHK_STEP_MAIL);
    CU_ASSERT_EQUAL(e.status, 5007001u);
    r.enhanced_class = -1;
    r.response_code = -1;
    e = smtpchk_history_entry_of(&r, -5);
    CU_ASSERT_EQUAL(e.status, 0);
    CU_ASSERT_EQUAL(e.code, -1);
    CU_ASSERT_EQUAL(e.when, 0);
    CU_ASSERT_TRUE(sizeof(smtpchk_history_entry) <= 20);
}

static void
test_text(void)
{
    smtpchk_history_entry e = {.when = 1764000000, .total_us = 4294967295u, .connect_us = 7,
                               .status = 5007001, .code = -1, .error = 27, .step = 14};
    char buf[64];
    smtpchk_history_entry_format(&e, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "1764000000.4294967295.7.5007001.-1.27.14");
    smtpchk_history_entry back;
    CU_ASSERT_EQUAL_FATAL(smtpchk_history_entry_parse(buf, strlen(buf), &back), 0);
    CU_ASSERT_EQUAL(memcmp(&back, &e, sizeof(e)), 0);
    const char *bad[] = {"", "1.2.3.4.5.6", "1.2.3.4.5.6.7.", "1.2.3.4.5.6.7.8", "1.2.3.4.1000.6.7",
                         "1.2.3.4.5.6.256", "4294967296.2.3.4.5.6.7", "1..3.4.5.6.7", "a.2.3.4.5.6.7",
                         "1.2.3.4.-2.6.7"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(smtpchk_history_entry_parse(bad[i], strlen(bad[i]), &back), -1);
}

void
register_tests(void)
{
    SUITE_ADD("history", TEST(test_fill_and_roll_over), TEST(test_off_still_numbers),
              TEST(test_resize_keeps_newest), TEST(test_restore), TEST(test_entry_of_result),
              TEST(test_text));
}
