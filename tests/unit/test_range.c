/* cli/range.c: monitoring-plugins threshold ranges, parsed and evaluated. */
#include <math.h>
#include <string.h>

#include "cunit_main.h"
#include "range.h"

typedef struct {
    const char *text;
    double value;
    bool alert;
} alert_case;

/* The examples of the Nagios plugin guidelines, and their edges. */
static void
test_alerts(void)
{
    static const alert_case cases[] = {
        {"10", -0.5, true},   {"10", 0, false},      {"10", 10, false},    {"10", 10.01, true},
        {"10:", 9.99, true},  {"10:", 10, false},    {"10:", 1e9, false},  {"~:10", -1e9, false},
        {"~:10", 10, false},  {"~:10", 10.5, true},  {"10:20", 9, true},   {"10:20", 10, false},
        {"10:20", 20, false}, {"10:20", 21, true},   {"@10:20", 9, false}, {"@10:20", 10, true},
        {"@10:20", 20, true}, {"@10:20", 21, false}, {"0.1", 0.3, true},   {"2", 0.3, false},
        {"-5:5", -5, false},  {"-5:5", -6, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cli_range r;
        CU_ASSERT_EQUAL_FATAL(cli_range_parse(cases[i].text, &r), 0);
        CU_ASSERT_STRING_EQUAL(r.text, cases[i].text);
        if (cli_range_alert(&r, cases[i].value) != cases[i].alert)
            fprintf(stderr, "\n  %s at %g: want %d\n", cases[i].text, cases[i].value,
                    cases[i].alert);
        CU_ASSERT_EQUAL(cli_range_alert(&r, cases[i].value), cases[i].alert);
    }
}

static void
test_refused(void)
{
    static const char *const bad[] = {"",    "x",   "10:5", "~",   "~10", "@",   "1:2:3",
                                      "10s", " 10", "+1",   "nan", "inf", "1:x", "@@1"};
    cli_range r = {.set = false};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cli_range_parse(bad[i], &r) != -1)
            fprintf(stderr, "\n  accepted \"%s\"\n", bad[i]);
        CU_ASSERT_EQUAL(cli_range_parse(bad[i], &r), -1);
    }
    CU_ASSERT_FALSE(r.set); /* untouched */
    CU_ASSERT_FALSE(cli_range_alert(&r, 1e9));
    CU_ASSERT_EQUAL(cli_range_parse(NULL, &r), -1);
}

/* Perfdata: the same range in the value's unit. */
static void
test_format(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"0.1", "100"},           {"2", "2000"},
        {"10:", "10000:"},        {"~:10", "~:10000"},
        {"10:20", "10000:20000"}, {"@10:20", "@10000:20000"},
        {"@5", "@0:5000"},        {"0:", "0:"},
        {"0.0015", "1.5"},        {"1000", "1000000"},
    };
    char buf[80];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cli_range r;
        CU_ASSERT_EQUAL_FATAL(cli_range_parse(cases[i].in, &r), 0);
        cli_range_format(&r, 1000.0, buf, sizeof(buf));
        CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
    }
    cli_range none = {.set = false};
    cli_range_format(&none, 1000.0, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "");
}

void
register_tests(void)
{
    SUITE_ADD("range", TEST(test_alerts), TEST(test_refused), TEST(test_format));
}
