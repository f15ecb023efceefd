/* The MX plan (net/mx.c): DNS answers in wire format, order, null MX, targets. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "mx.h"

/* A DNS answer to "d.test MX" with n records {preference, exchange}. */
typedef struct rec {
    int pref;
    const char *host;
} rec;

static size_t
put_name(unsigned char *p, const char *name)
{
    size_t n = 0;
    while (*name != '\0') {
        size_t len = strcspn(name, ".");
        p[n++] = (unsigned char)len;
        memcpy(p + n, name, len);
        n += len;
        name += len;
        if (*name == '.')
            name++;
    }
    p[n++] = 0;
    return n;
}

static int
answer(unsigned char *buf, const rec *r, size_t n)
{
    static const unsigned char head[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(buf, head, sizeof(head));
    buf[7] = (unsigned char)n;
    size_t off = sizeof(head);
    off += put_name(buf + off, "d.test");
    const unsigned char q[4] = {0, 15, 0, 1};
    memcpy(buf + off, q, 4);
    off += 4;
    for (size_t i = 0; i < n; i++) {
        buf[off++] = 0xc0; /* the question's name */
        buf[off++] = 12;
        const unsigned char fixed[8] = {0, 15, 0, 1, 0, 0, 1, 0};
        memcpy(buf + off, fixed, 8);
        off += 8;
        unsigned char rdata[300];
        rdata[0] = (unsigned char)(r[i].pref >> 8);
        rdata[1] = (unsigned char)r[i].pref;
        size_t len = 2 + put_name(rdata + 2, r[i].host);
        buf[off++] = (unsigned char)(len >> 8);
        buf[off++] = (unsigned char)len;
        memcpy(buf + off, rdata, len);
        off += len;
    }
    return (int)off;
}

static void
test_sorted_by_preference_ties_in_answer_order(void)
{
    unsigned char buf[2048];
    const rec r[] = {{20, "b.test"}, {10, "a1.test"}, {30, "c.test"}, {10, "a2.test"}};
    smtpchk_mx_list l;
    CU_ASSERT_EQUAL(smtpchk_mx_parse(buf, answer(buf, r, 4), &l), SMTPCHK_MXK_LIST);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    const char *want[] = {"a1.test", "a2.test", "b.test", "c.test"};
    const int prefs[] = {10, 10, 20, 30};
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(l.mx[i].host, want[i]);
        CU_ASSERT_EQUAL(l.mx[i].preference, prefs[i]);
    }
}

static void
test_null_mx(void)
{
    unsigned char buf[512];
    const rec null[] = {{0, ""}};
    smtpchk_mx_list l;
    CU_ASSERT_EQUAL(smtpchk_mx_parse(buf, answer(buf, null, 1), &l), SMTPCHK_MXK_NULL);
    /* A "." beside real records is ignored (RFC 7505 section 3). */
    const rec mixed[] = {{0, ""}, {10, "a.test"}};
    CU_ASSERT_EQUAL(smtpchk_mx_parse(buf, answer(buf, mixed, 2), &l), SMTPCHK_MXK_LIST);
    CU_ASSERT_EQUAL(l.n, 1);
    CU_ASSERT_STRING_EQUAL(l.mx[0].host, "a.test");
    /* "." with a preference other than 0 is no null MX, and names no host. */
    const rec odd[] = {{10, ""}};
    CU_ASSERT_EQUAL(smtpchk_mx_parse(buf, answer(buf, odd, 1), &l), SMTPCHK_MXK_NONE);
}

static void
test_empty_and_bad_answers(void)
{
    unsigned char buf[512];
    smtpchk_mx_list l;
    CU_ASSERT_EQUAL(smtpchk_mx_parse(buf, answer(buf, NULL, 0), &l), SMTPCHK_MXK_NONE);
    int len = answer(buf, (const rec[]){{10, "a.test"}}, 1);
    for (int cut = 1; cut < len; cut++) /* every truncation: no crash, never a list */
        CU_ASSERT_NOT_EQUAL(smtpchk_mx_parse(buf, cut, &l), SMTPCHK_MXK_LIST);
}

static void
test_cap_keeps_lowest_preferences(void)
{
    smtpchk_mx_list l;
    memset(&l, 0, sizeof(l));
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "mx%d.test.", i);
        smtpchk_mx_add(&l, name, 100 - i); /* the best come last */
    }
    CU_ASSERT_EQUAL(smtpchk_mx_order(&l), SMTPCHK_MXK_LIST);
    CU_ASSERT_EQUAL(l.n, SMTPCHK_MX_MAX);
    CU_ASSERT_EQUAL(l.dropped, 40 - SMTPCHK_MX_MAX);
    CU_ASSERT_EQUAL(l.mx[0].preference, 61);
    CU_ASSERT_STRING_EQUAL(l.mx[0].host, "mx39.test"); /* the trailing dot goes */
    CU_ASSERT_EQUAL(l.mx[SMTPCHK_MX_MAX - 1].preference, 61 + SMTPCHK_MX_MAX - 1);
}

static void
add_addr(smtpchk_addrs *a, int family, const char *text)
{
    struct sockaddr_storage *ss = &a->addr[a->n];
    memset(ss, 0, sizeof(*ss));
    ss->ss_family = (sa_family_t)family;
    void *bin = family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)ss)->sin6_addr
                                   : (void *)&((struct sockaddr_in *)ss)->sin_addr;
    CU_ASSERT_EQUAL(inet_pton(family, text, bin), 1);
    a->len[a->n++] = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void
test_targets_expand_every_address(void)
{
    static smtpchk_target t[SMTPCHK_TARGETS_MAX];
    smtpchk_addrs a = {0};
    add_addr(&a, AF_INET6, "::1");
    add_addr(&a, AF_INET, "127.0.0.1");
    a.cname = 1;
    size_t n = smtpchk_mx_add_targets(t, 0, "good.test", 10, &a);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(t[0].address, "::1");
    CU_ASSERT_EQUAL(t[0].family, 2);
    CU_ASSERT_STRING_EQUAL(t[1].address, "127.0.0.1");
    CU_ASSERT_EQUAL(t[1].family, 1);
    CU_ASSERT_EQUAL(t[1].preference, 10);
    CU_ASSERT_TRUE(t[1].via_cname);
    CU_ASSERT_EQUAL(t[1].result.error, SMTPCHK_OK);
    CU_ASSERT_EQUAL(t[1].result.phase_us[SMTPCHK_PHASE_TOTAL], -1);
    /* The cap: never more than SMTPCHK_TARGETS_MAX. */
    while (n < SMTPCHK_TARGETS_MAX)
        n = smtpchk_mx_add_targets(t, n, "more.test", 20, &a);
    CU_ASSERT_EQUAL(smtpchk_mx_add_targets(t, n, "over.test", 30, &a), SMTPCHK_TARGETS_MAX);
}

/* Only the root's dot goes: c-ares escapes a dot inside a label ("a\\."). */
static void
test_trailing_dot(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"mx.test.", "mx.test"}, {"mx.test", "mx.test"}, {".", ""},
        {"odd.label\\.", "odd.label\\."}, {"slash\\\\.", "slash\\\\"},
        {"both\\..", "both\\."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        smtpchk_mx_list l;
        memset(&l, 0, sizeof(l));
        smtpchk_mx_add(&l, cases[i].in, 10);
        CU_ASSERT_STRING_EQUAL(l.mx[0].host, cases[i].out);
    }
}

void
register_tests(void)
{
    SUITE_ADD("mx", TEST(test_trailing_dot), TEST(test_sorted_by_preference_ties_in_answer_order), TEST(test_null_mx),
              TEST(test_empty_and_bad_answers), TEST(test_cap_keeps_lowest_preferences),
              TEST(test_targets_expand_every_address));
}
