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
    smtpchk_resolve_cb cb;    /* NULL once cancelled */
    void *ud;
};

struct smtpchk_resolver {
    ares_channel channel;
    size_t pending;
    smtpchk_lookup *starting; /* the lookup inside ares_getaddrinfo() */
    int sync_done;            /* ...which finished before returning */
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

smtpchk_resolver *
smtpchk_resolver_new(char *err, size_t errlen)
{
    static int lib_ok = -1;
    if (lib_ok < 0)
        lib_ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
    smtpchk_resolver *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.timeout = 2000; /* ms per try; the check's own deadline still rules */
    opts.tries = 2;
    int rc = ares_init_options(&r->channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        free(r);
        return NULL;
    }
    ares_set_socket_configure_callback(r->channel, set_cloexec, NULL);
    return r;
}

void
smtpchk_resolver_free(smtpchk_resolver *r)
{
    if (r == NULL)
        return;
    ares_destroy(r->channel); /* runs callbacks with ARES_EDESTRUCTION */
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

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    smtpchk_lookup *l = arg;
    l->r->pending--;
    if (l->r->starting == l)
        l->r->sync_done = 1;
    smtpchk_addrs addrs;
    memset(&addrs, 0, sizeof(addrs));
    if (status == ARES_SUCCESS && res != NULL) {
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
    if (l->cb != NULL && status != ARES_EDESTRUCTION) {
        if (addrs.n > 0)
            l->cb(l->ud, 1, &addrs, NULL);
        else
            l->cb(l->ud, 0, NULL, status == ARES_SUCCESS ? "no address" : ares_strerror(status));
    }
    free(l);
}

smtpchk_lookup *
smtpchk_resolve(smtpchk_resolver *r, const char *host, uint16_t port, smtpchk_resolve_cb cb,
                void *ud)
{
    smtpchk_addrs lit;
    if (smtpchk_parse_literal(host, port, &lit)) {
        cb(ud, 1, &lit, NULL);
        return NULL;
    }
    smtpchk_lookup *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        cb(ud, 0, NULL, "out of memory");
        return NULL;
    }
    l->r = r;
    l->cb = cb;
    l->ud = ud;
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_NUMERICSERV;
    r->pending++;
    r->starting = l;
    r->sync_done = 0;
    ares_getaddrinfo(r->channel, host, service, &hints, on_addrinfo, l);
    r->starting = NULL;
    /* The callback may already have run (hosts file) and freed l. */
    return r->sync_done ? NULL : l;
}

void
smtpchk_lookup_cancel(smtpchk_lookup *l)
{
    if (l != NULL)
        l->cb = NULL;
}

size_t
smtpchk_resolver_pollfds(smtpchk_resolver *r, struct pollfd *fds, size_t max)
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(r->channel, socks, ARES_GETSOCK_MAXNUM);
    size_t n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
        short ev = 0;
        if (ARES_GETSOCK_READABLE(bits, i))
            ev |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i))
            ev |= POLLOUT;
        if (ev == 0)
            continue;
        fds[n].fd = socks[i];
        fds[n].events = ev;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

void
smtpchk_resolver_process(smtpchk_resolver *r, const struct pollfd *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ares_socket_t rd = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd
                                                                          : ARES_SOCKET_BAD;
        ares_socket_t wr = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
            ares_process_fd(r->channel, rd, wr);
    }
    ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
}

int
smtpchk_resolver_timeout_ms(smtpchk_resolver *r)
{
    if (r->pending == 0)
        return -1;
    struct timeval tv;
    struct timeval *t = ares_timeout(r->channel, NULL, &tv);
    if (t == NULL)
        return -1;
    return (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}

size_t
smtpchk_resolver_pending(const smtpchk_resolver *r)
{
    return r->pending;
}
