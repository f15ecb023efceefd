/*
 * The resolver's handles (net/resolve.c): a lookup that finishes before
 * smtpchk_resolve returns gives NULL, even when its callback started the
 * next lookup, whose own handle must stay valid (an MX job resolves its
 * exchangers that way). Answers come from /etc/hosts ("localhost") or not
 * at all (a closed loopback port as the only server): no DNS leaves.
 */
#include <CUnit/CUnit.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cunit_main.h"
#include "resolve.h"

typedef struct probe {
    smtpchk_resolver *r;
    char servers[64];
    int calls, ok;
    smtpchk_lookup *inner;  /* the lookup the callback started */
    int inner_calls;
} probe;

static void
sock_ignored(void *ud, int fd, int readable, int writable)
{
    (void)ud, (void)fd, (void)readable, (void)writable;
}

/* A UDP port on 127.0.0.1 that nothing listens on (bound, then closed). */
static int
closed_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static void
on_inner(void *ud, int ok, const smtpchk_addrs *a, const char *why)
{
    (void)ok, (void)a, (void)why;
    ((probe *)ud)->inner_calls++;
}

static void
on_outer(void *ud, int ok, const smtpchk_addrs *a, const char *why)
{
    (void)a, (void)why;
    probe *p = ud;
    p->calls++;
    p->ok = ok;
    p->inner = smtpchk_resolve(p->r, p->servers, "pending.invalid", 25, on_inner, p);
}

static void
test_nested_start_keeps_both_handles_right(void)
{
    probe p = {0};
    int port = closed_port();
    CU_ASSERT_FATAL(port > 0);
    snprintf(p.servers, sizeof(p.servers), "127.0.0.1:%d", port);
    char err[160];
    p.r = smtpchk_resolver_new(sock_ignored, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p.r);
    smtpchk_lookup *outer = smtpchk_resolve(p.r, p.servers, "localhost", 25, on_outer, &p);
    CU_ASSERT_EQUAL(p.calls, 1); /* /etc/hosts: answered before returning */
    CU_ASSERT_EQUAL(p.ok, 1);
    CU_ASSERT_PTR_NULL(outer); /* finished and freed: no handle to cancel */
    CU_ASSERT_PTR_NOT_NULL(p.inner); /* the callback's own lookup is pending */
    CU_ASSERT_EQUAL(smtpchk_resolver_pending(p.r), 1);
    smtpchk_lookup_cancel(p.inner);
    smtpchk_resolver_free(p.r);
    CU_ASSERT_EQUAL(p.inner_calls, 0); /* cancelled: never called */
}

static void
test_literal_answers_at_once(void)
{
    probe p = {0};
    char err[160];
    p.r = smtpchk_resolver_new(sock_ignored, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p.r);
    snprintf(p.servers, sizeof(p.servers), "127.0.0.1:%d", closed_port());
    CU_ASSERT_PTR_NULL(smtpchk_resolve(p.r, NULL, "[::1]", 25, on_outer, &p));
    CU_ASSERT_EQUAL(p.calls, 1);
    CU_ASSERT_PTR_NOT_NULL(p.inner);
    smtpchk_lookup_cancel(p.inner);
    smtpchk_resolver_free(p.r);
}

static void
on_counted(void *ud, int ok, const smtpchk_addrs *a, const char *why)
{
    (void)ok, (void)a, (void)why;
    ((probe *)ud)->calls++;
}

/* Forty lists of servers, one after another, as reloads that change
 * dns_servers would bring: idle channels go, a busy one stays. */
static void
test_channels_do_not_pile_up(void)
{
    probe p = {0};
    char err[160];
    p.r = smtpchk_resolver_new(sock_ignored, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p.r);
    int port = closed_port();
    CU_ASSERT_FATAL(port > 0);
    char busy_servers[64];
    snprintf(busy_servers, sizeof(busy_servers), "127.0.0.1:%d", port);
    smtpchk_lookup *busy = smtpchk_resolve(p.r, busy_servers, "pending.invalid", 25, on_counted, &p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(busy);
    size_t most = 0;
    for (int i = 0; i < 40; i++) {
        char servers[64];
        snprintf(servers, sizeof(servers), "127.0.0.%d:%d", 2 + i, port);
        /* /etc/hosts answers: the lookup ends before it returns */
        CU_ASSERT_PTR_NULL(smtpchk_resolve(p.r, servers, "localhost", 25, on_counted, &p));
        size_t n = smtpchk_resolver_channels(p.r);
        most = n > most ? n : most;
    }
    CU_ASSERT_EQUAL(p.calls, 40);
    CU_ASSERT(most <= 9);
    CU_ASSERT(most >= 3);
    /* the busy lookup's channel was kept: it still ends in its callback */
    CU_ASSERT_EQUAL(smtpchk_resolver_pending(p.r), 1);
    smtpchk_lookup_cancel(busy);
    smtpchk_resolver_free(p.r);
    CU_ASSERT_EQUAL(p.calls, 40);
}

void
register_tests(void)
{
    SUITE_ADD("resolve", TEST(test_nested_start_keeps_both_handles_right),
              TEST(test_literal_answers_at_once), TEST(test_channels_do_not_pile_up));
}
