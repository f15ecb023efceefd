#include "resolve.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

struct smtpchk_lookup {
    smtpchk_resolver *r;
    struct chan *chan;        /* counts this lookup until its callback has returned */
    smtpchk_resolve_cb cb;    /* NULL once cancelled (both) */
    smtpchk_mx_cb mx_cb;
    void *ud;
    int *done;                /* while starting: set when it finished before returning */
};

/*
 * One c-ares channel per list of servers; the first is the system's and
 * stays. Reloads that change dns_servers would pile channels up (and every
 * socket event visits each), so beyond CHAN_KEEP the idle ones made first
 * go. A channel is busy from a lookup's start until its callback returned:
 * a callback that starts a lookup elsewhere never frees its own channel.
 */
#define CHAN_KEEP 8

typedef struct chan {
    struct chan *next;
    char *servers;            /* NULL = the system's (/etc/resolv.conf) */
    ares_channel channel;
    size_t busy;              /* lookups started and not yet returned */
} chan;

struct smtpchk_resolver {
    chan *chans;
    size_t nchans;
    size_t pending;
    smtpchk_sock_fn sock_cb;
    void *sock_ud;
    smtpchk_lookup_done_fn done_hook;
    void *done_ud;
};

static int
set_cloexec(ares_socket_t fd, int type, void *ud)
{
    (void)type;
    (void)ud;
    /* snmpd's extend/exec fork: our sockets must not leak into children. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    smtpchk_resolver *r = data;
    if (r->sock_cb != NULL)
        r->sock_cb(r->sock_ud, fd, readable, writable);
}

static void
chan_free(chan *c)
{
    if (c == NULL)
        return;
    ares_destroy(c->channel); /* runs callbacks with ARES_EDESTRUCTION */
    free(c->servers);
    free(c);
}

static chan *
chan_new(smtpchk_resolver *r, const char *servers, char *err, size_t errlen)
{
    chan *c = calloc(1, sizeof(*c));
    if (c == NULL || (servers != NULL && (c->servers = strdup(servers)) == NULL)) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.timeout = 2000; /* ms per try; the check's own deadline still rules */
    opts.tries = 2;
    opts.sock_state_cb = sock_state;
    opts.sock_state_cb_data = r;
    int rc = ares_init_options(&c->channel, &opts,
                               ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        free(c->servers);
        free(c);
        return NULL;
    }
    ares_set_socket_configure_callback(c->channel, set_cloexec, NULL);
    if (servers != NULL && (rc = ares_set_servers_ports_csv(c->channel, servers)) != ARES_SUCCESS) {
        snprintf(err, errlen, "DNS servers \"%s\": %s", servers, ares_strerror(rc));
        chan_free(c);
        return NULL;
    }
    return c;
}

/* Before a new channel: frees idle ones, oldest first, to leave room for it. */
static void
chan_prune(smtpchk_resolver *r)
{
    if (r->chans == NULL) /* never: the system's channel is made with r */
        return;
    chan **at = &r->chans->next;
    while (*at != NULL && r->nchans > CHAN_KEEP) { /* the system's + CHAN_KEEP - 1 */
        chan *c = *at;
        if (c->busy > 0) {
            at = &c->next;
            continue;
        }
        *at = c->next;
        r->nchans--;
        chan_free(c);
    }
}

/* The channel for servers, made on first use. */
static chan *
chan_for(smtpchk_resolver *r, const char *servers, char *err, size_t errlen)
{
    for (chan *c = r->chans; c != NULL; c = c->next)
        if (servers == NULL ? c->servers == NULL
                            : c->servers != NULL && strcmp(c->servers, servers) == 0)
            return c;
    chan_prune(r);
    chan **end = &r->chans;
    while (*end != NULL)
        end = &(*end)->next;
    chan *c = chan_new(r, servers, err, errlen);
    if (c == NULL)
        return NULL;
    *end = c; /* after the system's channel, which always heads the list */
    r->nchans++;
    return c;
}

smtpchk_resolver *
smtpchk_resolver_new(smtpchk_sock_fn sock_cb, void *ud, char *err, size_t errlen)
{
    static int lib_ok = -1;
    if (lib_ok < 0)
        lib_ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
    smtpchk_resolver *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->sock_cb = sock_cb;
    r->sock_ud = ud;
    r->chans = chan_new(r, NULL, err, errlen);
    if (r->chans == NULL) {
        free(r);
        return NULL;
    }
    r->nchans = 1;
    return r;
}

void
smtpchk_resolver_free(smtpchk_resolver *r)
{
    if (r == NULL)
        return;
    while (r->chans != NULL) {
        chan *c = r->chans;
        r->chans = c->next;
        chan_free(c);
    }
    free(r);
}

int
smtpchk_parse_literal(const char *host, uint16_t port, smtpchk_addrs *out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(host);
    if (len >= sizeof(buf))
        return 0;
    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
    } else {
        memcpy(buf, host, len + 1);
    }
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&out->addr[0];
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->addr[0];
    if (inet_pton(AF_INET, buf, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        out->len[0] = sizeof(*a4);
    } else if (inet_pton(AF_INET6, buf, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        out->len[0] = sizeof(*a6);
    } else {
        return 0;
    }
    out->n = 1;
    return 1;
}

void
smtpchk_resolver_set_done_hook(smtpchk_resolver *r, smtpchk_lookup_done_fn fn, void *ud)
{
    r->done_hook = fn;
    r->done_ud = ud;
}

/* A lookup ends (not cancelled): its user is told, then the hook. */
static int
lookup_ends(smtpchk_lookup *l, int status)
{
    if (l->done != NULL)
        *l->done = 1;
    int live = (l->cb != NULL || l->mx_cb != NULL) && status != ARES_EDESTRUCTION;
    if (live && l->r->done_hook != NULL)
        l->r->done_hook(l->r->done_ud, l->ud);
    return live;
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    smtpchk_lookup *l = arg;
    l->r->pending--;
    int live = lookup_ends(l, status);
    chan *c = l->chan;
    smtpchk_addrs addrs;
    memset(&addrs, 0, sizeof(addrs));
    if (status == ARES_SUCCESS && res != NULL) {
        addrs.cname = res->cnames != NULL;
        for (struct ares_addrinfo_node *n = res->nodes; n != NULL && addrs.n < SMTPCHK_MAX_ADDRS;
             n = n->ai_next) {
            if (n->ai_addrlen > sizeof(addrs.addr[0]))
                continue;
            memcpy(&addrs.addr[addrs.n], n->ai_addr, n->ai_addrlen);
            addrs.len[addrs.n++] = n->ai_addrlen;
        }
    }
    if (res != NULL)
        ares_freeaddrinfo(res);
    if (live) {
        if (addrs.n > 0)
            l->cb(l->ud, 1, &addrs, NULL);
        else
            l->cb(l->ud, 0, NULL, status == ARES_SUCCESS ? "no address" : ares_strerror(status));
    }
    free(l);
    c->busy--;
}

/* A new lookup, counted as pending; done is the starter's flag. */
static smtpchk_lookup *
lookup_new(smtpchk_resolver *r, chan *c, void *ud, int *done)
{
    smtpchk_lookup *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->r = r;
    l->chan = c;
    l->ud = ud;
    l->done = done;
    r->pending++;
    c->busy++;
    return l;
}

/*
 * The callback may already have run (hosts file, a bad name) and freed l.
 * The flag lives on the starter's stack, one per lookup: a callback that
 * runs before returning may start lookups of its own (an MX job resolving
 * its next exchanger), and each start must tell only of its own lookup.
 */
static smtpchk_lookup *
lookup_started(smtpchk_lookup *l, const int *done)
{
    if (*done)
        return NULL;
    l->done = NULL;
    return l;
}

smtpchk_lookup *
smtpchk_resolve(smtpchk_resolver *r, const char *servers, const char *host, uint16_t port,
                smtpchk_resolve_cb cb, void *ud)
{
    smtpchk_addrs lit;
    if (smtpchk_parse_literal(host, port, &lit)) {
        cb(ud, 1, &lit, NULL);
        return NULL;
    }
    char err[160];
    int done = 0;
    chan *c = chan_for(r, servers, err, sizeof(err));
    smtpchk_lookup *l = c != NULL ? lookup_new(r, c, ud, &done) : NULL;
    if (l == NULL) {
        cb(ud, 0, NULL, c == NULL ? err : "out of memory");
        return NULL;
    }
    l->cb = cb;
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_NUMERICSERV;
    ares_getaddrinfo(c->channel, host, service, &hints, on_addrinfo, l);
    return lookup_started(l, &done);
}

static void
on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    smtpchk_lookup *l = arg;
    l->r->pending--;
    if (lookup_ends(l, status))
        l->mx_cb(l->ud, status, abuf, alen, ares_strerror(status));
    l->chan->busy--;
    free(l);
}

smtpchk_lookup *
smtpchk_resolve_mx(smtpchk_resolver *r, const char *servers, const char *domain,
                   smtpchk_mx_cb cb, void *ud)
{
    char err[160];
    int done = 0;
    chan *c = chan_for(r, servers, err, sizeof(err));
    smtpchk_lookup *l = c != NULL ? lookup_new(r, c, ud, &done) : NULL;
    if (l == NULL) {
        cb(ud, ARES_ENOMEM, NULL, 0, c == NULL ? err : "out of memory");
        return NULL;
    }
    l->mx_cb = cb;
    ares_query(c->channel, domain, 1 /* IN */, 15 /* MX */, on_mx, l);
    return lookup_started(l, &done);
}

int
smtpchk_resolve_status_nxdomain(int status)
{
    return status == ARES_ENOTFOUND;
}

int
smtpchk_resolve_status_nodata(int status)
{
    return status == ARES_ENODATA;
}

void
smtpchk_lookup_cancel(smtpchk_lookup *l)
{
    if (l != NULL) {
        l->cb = NULL;
        l->mx_cb = NULL;
    }
}

void
smtpchk_resolver_process_fd(smtpchk_resolver *r, int fd, int readable, int writable)
{
    /* A channel that does not own fd only looks at its own timeouts. */
    for (chan *c = r->chans; c != NULL; c = c->next)
        ares_process_fd(c->channel, readable ? fd : ARES_SOCKET_BAD,
                        writable ? fd : ARES_SOCKET_BAD);
}

void
smtpchk_resolver_process_timeouts(smtpchk_resolver *r)
{
    for (chan *c = r->chans; c != NULL; c = c->next)
        ares_process_fd(c->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int
smtpchk_resolver_timeout_ms(smtpchk_resolver *r)
{
    if (r->pending == 0)
        return -1;
    int ms = -1;
    for (chan *c = r->chans; c != NULL; c = c->next) {
        struct timeval tv;
        struct timeval *t = ares_timeout(c->channel, NULL, &tv);
        int v = t != NULL ? (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000) : -1;
        if (v >= 0 && (ms < 0 || v < ms))
            ms = v;
    }
    return ms;
}

size_t
smtpchk_resolver_pending(const smtpchk_resolver *r)
{
    return r->pending;
}

size_t
smtpchk_resolver_channels(const smtpchk_resolver *r)
{
    return r->nchans;
}
