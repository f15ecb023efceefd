/* An MX check's plan (mx.h): parse, order, expand. */
#include "mx.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <ares.h>

void
smtpchk_mx_add(smtpchk_mx_list *l, const char *host, int preference)
{
    smtpchk_mx *m = l->n < SMTPCHK_MX_MAX ? &l->mx[l->n++] : NULL;
    if (m == NULL) { /* full: the new record replaces the least preferred, if better */
        l->dropped++;
        m = &l->mx[0];
        for (size_t i = 1; i < l->n; i++)
            if (l->mx[i].preference >= m->preference)
                m = &l->mx[i];
        if (preference >= m->preference)
            return;
    }
    snprintf(m->host, sizeof(m->host), "%s", host);
    size_t len = strlen(m->host);
    if (smtpchk_mx_root_dot(m->host, len))
        m->host[len - 1] = '\0'; /* "." is the root: an empty name */
    m->preference = preference;
}

int
smtpchk_mx_root_dot(const char *name, size_t len)
{
    size_t slashes = 0;
    while (len >= 2 + slashes && name[len - 2 - slashes] == '\\')
        slashes++;
    return len > 0 && name[len - 1] == '.' && slashes % 2 == 0;
}

smtpchk_mx_kind
smtpchk_mx_parse(const unsigned char *abuf, int alen, smtpchk_mx_list *l)
{
    memset(l, 0, sizeof(*l));
    struct ares_mx_reply *mx = NULL;
    int rc = ares_parse_mx_reply(abuf, alen, &mx);
    if (rc == ARES_ENODATA)
        return SMTPCHK_MXK_NONE;
    if (rc != ARES_SUCCESS)
        return SMTPCHK_MXK_BAD;
    for (struct ares_mx_reply *m = mx; m != NULL; m = m->next)
        smtpchk_mx_add(l, m->host, m->priority);
    ares_free_data(mx);
    return smtpchk_mx_order(l);
}

/* Insertion sort: stable, and at most SMTPCHK_MX_MAX records. */
static void
sort_stable(smtpchk_mx_list *l)
{
    for (size_t i = 1; i < l->n; i++) {
        smtpchk_mx m = l->mx[i];
        size_t j = i;
        for (; j > 0 && l->mx[j - 1].preference > m.preference; j--)
            l->mx[j] = l->mx[j - 1];
        l->mx[j] = m;
    }
}

smtpchk_mx_kind
smtpchk_mx_order(smtpchk_mx_list *l)
{
    if (l->n == 1 && l->dropped == 0 && l->mx[0].host[0] == '\0' && l->mx[0].preference == 0)
        return SMTPCHK_MXK_NULL;
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->mx[i].host[0] != '\0') /* RFC 7505 3: a null MX beside others is ignored */
            l->mx[kept++] = l->mx[i];
    l->n = kept;
    if (kept == 0)
        return SMTPCHK_MXK_NONE;
    sort_stable(l);
    return SMTPCHK_MXK_LIST;
}

size_t
smtpchk_mx_add_targets(smtpchk_target *ts, size_t n, const char *mx, int preference,
                       const smtpchk_addrs *a)
{
    for (size_t i = 0; i < a->n && n < SMTPCHK_TARGETS_MAX; i++) {
        smtpchk_target *t = &ts[n];
        memset(t, 0, sizeof(*t));
        snprintf(t->mx, sizeof(t->mx), "%s", mx);
        t->preference = preference;
        t->via_cname = a->cname != 0;
        const struct sockaddr *sa = (const struct sockaddr *)&a->addr[i];
        const void *bin = sa->sa_family == AF_INET6
                              ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                              : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
        if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
            continue;
        t->family = sa->sa_family == AF_INET6 ? 2 : 1;
        inet_ntop(sa->sa_family, bin, t->address, sizeof(t->address));
        smtpchk_result_init(&t->result);
        n++;
    }
    return n;
}
