/*
 * Non-blocking name resolution on c-ares. The event loop polls the
 * resolver's sockets and calls smtpchk_resolver_process(). IP literals
 * are answered at once without DNS.
 */
#ifndef SMTPCHK_RESOLVE_H
#define SMTPCHK_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SMTPCHK_MAX_ADDRS 16

typedef struct smtpchk_addrs {
    size_t n;
    int cname;                /* the name was an alias (CNAME) */
    struct sockaddr_storage addr[SMTPCHK_MAX_ADDRS];
    socklen_t len[SMTPCHK_MAX_ADDRS];
} smtpchk_addrs;

/* status 0 = ok (addrs filled, in the resolver's order), else a reason. */
typedef void (*smtpchk_resolve_cb)(void *ud, int ok, const smtpchk_addrs *addrs,
                                   const char *why);

typedef struct smtpchk_resolver smtpchk_resolver;
typedef struct smtpchk_lookup smtpchk_lookup;

/* Told when c-ares opens, changes or (before closing) drops a socket:
 * readable/writable say what to wait for; both 0 = forget the fd. */
typedef void (*smtpchk_sock_fn)(void *ud, int fd, int readable, int writable);

smtpchk_resolver *smtpchk_resolver_new(smtpchk_sock_fn sock_cb, void *ud, char *err,
                                       size_t errlen);
/* Cancels pending lookups without calling their callbacks. */
void smtpchk_resolver_free(smtpchk_resolver *r);

/*
 * Starts a lookup of host ("mx.example", "192.0.2.1", "::1", "[::1]").
 * Literals call cb before returning and give NULL. Otherwise returns a
 * handle, valid until cb runs or smtpchk_lookup_cancel is called.
 * servers: "IP[:port],..." to ask instead of the system's resolvers
 * (one c-ares channel per distinct list, kept while r lives); NULL = the
 * system's.
 */
smtpchk_lookup *smtpchk_resolve(smtpchk_resolver *r, const char *servers, const char *host,
                                uint16_t port, smtpchk_resolve_cb cb, void *ud);

/* An MX answer: status is an ARES_* code (0 = an answer in abuf, which
 * mx.h parses); why names a failure. abuf is valid during the call. */
typedef void (*smtpchk_mx_cb)(void *ud, int status, const unsigned char *abuf, int alen,
                              const char *why);
/* Queries the MX records of domain (no search list); as smtpchk_resolve. */
smtpchk_lookup *smtpchk_resolve_mx(smtpchk_resolver *r, const char *servers, const char *domain,
                                   smtpchk_mx_cb cb, void *ud);
/* c-ares's "no such domain" and "no records of that type" statuses. */
int smtpchk_resolve_status_nxdomain(int status);
int smtpchk_resolve_status_nodata(int status);
/* cb will not be called; safe until the callback has run. */
void smtpchk_lookup_cancel(smtpchk_lookup *l);

/* Told with a lookup's ud just before its callback runs (not for
 * literals, nor for cancelled lookups): an event loop learns which of its
 * users a socket event or a timeout moved on, without visiting them all. */
typedef void (*smtpchk_lookup_done_fn)(void *hook_ud, void *lookup_ud);
void smtpchk_resolver_set_done_hook(smtpchk_resolver *r, smtpchk_lookup_done_fn fn, void *ud);

/* Handles readiness of one resolver socket. */
void smtpchk_resolver_process_fd(smtpchk_resolver *r, int fd, int readable, int writable);
/* Handles the resolver's own timeouts; call when timeout_ms has passed. */
void smtpchk_resolver_process_timeouts(smtpchk_resolver *r);
/* Milliseconds until the resolver needs process_timeouts(); -1 = none. */
int smtpchk_resolver_timeout_ms(smtpchk_resolver *r);
size_t smtpchk_resolver_pending(const smtpchk_resolver *r);
/* c-ares channels held, the system's included: at most 1 + 8 idle ones. */
size_t smtpchk_resolver_channels(const smtpchk_resolver *r);

/* Parses an IPv4/IPv6 literal (brackets allowed). 1 = yes, 0 = not a literal. */
int smtpchk_parse_literal(const char *host, uint16_t port, smtpchk_addrs *out);

#endif
