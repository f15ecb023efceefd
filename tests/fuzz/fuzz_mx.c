/*
 * An MX check's plan (core/net/mx.c) from any DNS answer: the answer
 * parses or is refused, the list is bounded and in preference order, its
 * names end without the root's dot (an escaped one is part of a label), and its expansion into targets stays within
 * SMTPCHK_TARGETS_MAX with addresses that read back as literals.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx.h"
#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(smtpchk_mx_kind k, const smtpchk_mx_list *l)
{
    if (l->n > SMTPCHK_MX_MAX || (k == SMTPCHK_MXK_LIST) != (l->n > 0))
        abort();
    for (size_t i = 0; i < l->n; i++) {
        size_t len = strnlen(l->mx[i].host, sizeof(l->mx[i].host));
        if (len == 0 || len == sizeof(l->mx[i].host) || smtpchk_mx_root_dot(l->mx[i].host, len))
            abort();
        if (i > 0 && l->mx[i - 1].preference > l->mx[i].preference)
            abort();
    }
}

/* i addresses for the i-th exchanger: its own name if a literal, else a
 * mix of IPv4 and IPv6 loopback addresses (no lookup: mx.c is sans I/O). */
static void
addresses(const smtpchk_mx *x, size_t i, smtpchk_addrs *a)
{
    if (smtpchk_parse_literal(x->host, 25, a))
        return;
    memset(a, 0, sizeof(*a));
    a->cname = (int)(i & 1);
    for (size_t j = 0; j <= i % 4; j++) {
        char lit[64];
        if (j % 2)
            snprintf(lit, sizeof(lit), "::%zu", j + i);
        else
            snprintf(lit, sizeof(lit), "127.0.%zu.%zu", i % 256, j);
        smtpchk_addrs one;
        if (smtpchk_parse_literal(lit, 25, &one) && a->n < SMTPCHK_MAX_ADDRS) {
            a->addr[a->n] = one.addr[0];
            a->len[a->n++] = one.len[0];
        }
    }
}

static void
check_targets(const smtpchk_mx_list *l)
{
    static smtpchk_target ts[SMTPCHK_TARGETS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        smtpchk_addrs a;
        addresses(&l->mx[i], i, &a);
        size_t before = n;
        n = smtpchk_mx_add_targets(ts, n, l->mx[i].host, l->mx[i].preference, &a);
        if (n < before || n > SMTPCHK_TARGETS_MAX || n - before > a.n)
            abort();
    }
    for (size_t i = 0; i < n; i++) {
        smtpchk_addrs back;
        if ((ts[i].family != 1 && ts[i].family != 2) ||
            !smtpchk_parse_literal(ts[i].address, 25, &back) ||
            strnlen(ts[i].mx, sizeof(ts[i].mx)) == sizeof(ts[i].mx))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65535)
        return 0; /* a DNS message's limit (TCP length prefix) */
    smtpchk_mx_list l;
    smtpchk_mx_kind k = smtpchk_mx_parse(data, (int)size, &l);
    if (k == SMTPCHK_MXK_BAD || k == SMTPCHK_MXK_NONE || k == SMTPCHK_MXK_NULL) {
        if (l.n > SMTPCHK_MX_MAX || (k != SMTPCHK_MXK_NULL && l.n != 0))
            abort();
        return 0;
    }
    check_list(k, &l);
    check_targets(&l);
    return 0;
}
