/* The 1 h and 24 h window figures against hand-computed values. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "window.h"

/* A multiple of both 300 and 7200: bucket numbers 5880000 and 245000. */
#define T0 1764000000

/* 20 runs a minute apart from T0; every fifth fails; run 0 took 100 ms,
 * the other successes 1 ms. */
static void
twenty_runs(smtpchk_window *w)
{
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 20; i++)
        smtpchk_window_add(w, T0 + 60 * i, i % 5 != 4, i == 0 ? 100000 : 1000);
}

static smtpchk_window_stats
at(const smtpchk_window *w, smtpchk_window_span span, int64_t now)
{
    smtpchk_window_stats s;
    smtpchk_window_stats_at(w, span, now, &s);
    return s;
}

/* Every figure of span at now is want's; a mismatch names the caller's line. */
#define EXPECT(w, span, now, ...) \
    expect_stats((w), (span), (now), &(smtpchk_window_stats){__VA_ARGS__}, __LINE__)

static void
expect_stats(const smtpchk_window *w, smtpchk_window_span span, int64_t now,
             const smtpchk_window_stats *want, unsigned line)
{
    smtpchk_window_stats s = at(w, span, now);
    char msg[160];
    snprintf(msg, sizeof(msg), "runs %u ok %u availability %u p50 %u p95 %u p99 %u", s.runs, s.ok,
             s.availability, s.p50_us, s.p95_us, s.p99_us);
    CU_assertImplementation(memcmp(&s, want, sizeof(s)) == 0, line, msg, __FILE__, "", CU_FALSE);
}

static void
test_bins(void)
{
    CU_ASSERT_EQUAL(smtpchk_window_bin(-1), 0);
    CU_ASSERT_EQUAL(smtpchk_window_bin(255), 0);
    CU_ASSERT_EQUAL(smtpchk_window_bin(256), 1);
    CU_ASSERT_EQUAL(smtpchk_window_bin(361), 1);
    CU_ASSERT_EQUAL(smtpchk_window_bin(362), 2); /* 256 * 1.414 */
    CU_ASSERT_EQUAL(smtpchk_window_bin(512), 3);
    CU_ASSERT_EQUAL(smtpchk_window_bin(1000), 4); /* [724, 1024) */
    CU_ASSERT_EQUAL(smtpchk_window_bin(100000), 18); /* [92672, 131072) */
    CU_ASSERT_EQUAL(smtpchk_window_bin(8388607), 30);
    CU_ASSERT_EQUAL(smtpchk_window_bin(8388608), 31);
    CU_ASSERT_EQUAL(smtpchk_window_bin(INT64_MAX), 31);
    CU_ASSERT_EQUAL(smtpchk_window_bin_value(0), 128);
    CU_ASSERT_EQUAL(smtpchk_window_bin_value(4), 861); /* 724 * 2^(1/4) */
    CU_ASSERT_EQUAL(smtpchk_window_bin_value(18), 110229);
    CU_ASSERT_EQUAL(smtpchk_window_bin_value(31), 8388608);
    /* Every bin's value lies in the bin. */
    for (unsigned b = 0; b < SMTPCHK_WINDOW_BINS; b++)
        CU_ASSERT_EQUAL(smtpchk_window_bin(smtpchk_window_bin_value(b)), b);
}

static void
test_empty(void)
{
    smtpchk_window w;
    memset(&w, 0, sizeof(w));
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0, .runs = 0);
    /* Only failures: availability 0, no percentile. */
    smtpchk_window_add(&w, T0, false, 5000);
    EXPECT(&w, SMTPCHK_WINDOW_24H, T0, .runs = 1);
}

static void
test_hour(void)
{
    smtpchk_window w;
    twenty_runs(&w);
    /* 20 min later: all 20 runs, 16 ok. Nearest rank of 16: p50 the 8th
     * (1 ms, bin 4), p95 and p99 the 16th (100 ms, bin 18). */
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 1200, .runs = 20, .ok = 16, .availability = 800,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    /* 65 min after T0 the window is buckets 5880002..5880013: runs 10..19
     * (T0 + 600 on), 2 of them failed, all successes took 1 ms. */
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 3900, .runs = 10, .ok = 8, .availability = 800,
           .p50_us = 861, .p95_us = 861, .p99_us = 861);
    /* Rounded down: 10 of 12 is 833. */
    smtpchk_window_add(&w, T0 + 3900, true, 1000);
    smtpchk_window_add(&w, T0 + 3901, true, 1000);
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 3901, .runs = 12, .ok = 10, .availability = 833,
           .p50_us = 861, .p95_us = 861, .p99_us = 861);
    /* Two hours on, nothing in the last hour. */
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 7200 + 3900, .runs = 0);
}

static void
test_day(void)
{
    smtpchk_window w;
    twenty_runs(&w);
    EXPECT(&w, SMTPCHK_WINDOW_24H, T0 + 3900, .runs = 20, .ok = 16, .availability = 800,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    /* Late (a clock set back 2 h): the day counts it, the hour does not. */
    smtpchk_window_add(&w, T0 - 7200, true, 1000);
    CU_ASSERT_EQUAL(at(&w, SMTPCHK_WINDOW_24H, T0 + 1200).runs, 21);
    CU_ASSERT_EQUAL(at(&w, SMTPCHK_WINDOW_1H, T0 + 1200).runs, 20);
    /* 22 h on the first two hours are still in; 24 h on they are gone. */
    CU_ASSERT_EQUAL(at(&w, SMTPCHK_WINDOW_24H, T0 + 22 * 3600).runs, 20);
    CU_ASSERT_EQUAL(at(&w, SMTPCHK_WINDOW_24H, T0 + 24 * 3600).runs, 0);
    /* A run after a long gap empties what it passed over. */
    smtpchk_window_add(&w, T0 + 30 * 3600, false, 0);
    EXPECT(&w, SMTPCHK_WINDOW_24H, T0 + 30 * 3600, .runs = 1);
}

static void
test_text(void)
{
    smtpchk_window w, back;
    twenty_runs(&w);
    size_t need = smtpchk_window_format(&w, NULL, 0);
    char *text = malloc(need + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(smtpchk_window_format(&w, text, need + 1), need);
    CU_ASSERT_EQUAL(strlen(text), need);
    memset(&back, 0, sizeof(back));
    memcpy(back.newest, w.newest, sizeof(w.newest));
    CU_ASSERT_EQUAL_FATAL(smtpchk_window_parse(&back, text), 0);
    CU_ASSERT_EQUAL(memcmp(&back, &w, sizeof(w)), 0);
    free(text);
    const char *bad[] = {"2.0.1.1", "0.12.1.1", "1.12.1.1", "0.1.1.2", "0.1.3.3/32.1", "0.1.3.3/4", "0.1.3.3,",
                         "x", "0.1.3.3/4.2", "0.1.3.1/4.2", "0.1.3.2/4.1/4.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(smtpchk_window_parse(&back, bad[i]), -1);
        CU_ASSERT_EQUAL(at(&back, SMTPCHK_WINDOW_24H, T0).runs, 0); /* emptied */
    }
    CU_ASSERT_EQUAL(smtpchk_window_parse(&back, ""), 0);
}

/* 300 runs of 1 ms and 250 of 100 ms in one five-minute bucket (one
 * run a second): bin 4 holds 300, more than a byte, so the window takes
 * two bytes a bin and p50 stays in bin 4 (the 275th success); a count
 * stuck at 255 would put it in bin 18. The text and a parse of it agree. */
static void
test_wide(void)
{
    smtpchk_window w, back;
    memset(&w, 0, sizeof(w));
    for (int i = 0; i < 550; i++)
        smtpchk_window_add(&w, T0 + i % 300, true, i < 300 ? 1000 : 100000);
    CU_ASSERT_PTR_NOT_NULL(w.wide);
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 299, .runs = 550, .ok = 550, .availability = 1000,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    EXPECT(&w, SMTPCHK_WINDOW_24H, T0 + 299, .runs = 550, .ok = 550, .availability = 1000,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    char text[256];
    CU_ASSERT_FATAL(smtpchk_window_format(&w, text, sizeof(text)) < sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "0.0.550.550/4.300/18.250,1.8.550.550/4.300/18.250");
    memset(&back, 0, sizeof(back));
    memcpy(back.newest, w.newest, sizeof(w.newest));
    CU_ASSERT_EQUAL(smtpchk_window_parse(&back, text), 0);
    CU_ASSERT_PTR_NOT_NULL(back.wide);
    EXPECT(&back, SMTPCHK_WINDOW_1H, T0 + 299, .runs = 550, .ok = 550, .availability = 1000,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    /* A parse of small counts goes back to one byte a bin. */
    CU_ASSERT_EQUAL(smtpchk_window_parse(&back, "0.0.2.2/4.2"), 0);
    CU_ASSERT_PTR_NULL(back.wide);
    EXPECT(&back, SMTPCHK_WINDOW_1H, T0 + 299, .runs = 2, .ok = 2, .availability = 1000,
           .p50_us = 861, .p95_us = 861, .p99_us = 861);
    /* The buckets a later run passes over are emptied in the wide bins too. */
    smtpchk_window_add(&w, T0 + 3 * 3600, true, 1000);
    EXPECT(&w, SMTPCHK_WINDOW_24H, T0 + 3 * 3600, .runs = 551, .ok = 551, .availability = 1000,
           .p50_us = 861, .p95_us = 110229, .p99_us = 110229);
    EXPECT(&w, SMTPCHK_WINDOW_1H, T0 + 3 * 3600, .runs = 1, .ok = 1, .availability = 1000,
           .p50_us = 861, .p95_us = 861, .p99_us = 861);
    smtpchk_window_clear(&w);
    CU_ASSERT_PTR_NULL(w.wide);
    smtpchk_window_clear(&back);
}

void
register_tests(void)
{
    SUITE_ADD("window", TEST(test_bins), TEST(test_empty), TEST(test_hour), TEST(test_day),
              TEST(test_text), TEST(test_wide));
}
