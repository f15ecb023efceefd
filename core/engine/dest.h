/*
 * Destinations: the (host as written, port) pairs that checks connect to,
 * each with its runs in flight and the checks waiting for one of them to
 * end. The engine caps runs per destination apart from its global cap: a
 * server whose listen queue overflows drops connections silently, and as
 * the server speaks first in SMTP the client only sees a greeting timeout
 * (issue 13, defect 2). Names that resolve to the same address count
 * apart: the cap applies before the lookup, so a waiting check holds
 * neither a slot, a socket nor a running deadline. Used by one thread.
 */
#ifndef SMTPCHK_DEST_H
#define SMTPCHK_DEST_H

#include <stddef.h>
#include <stdint.h>

struct entry;

typedef struct dest {
    struct dest *next;        /* hash chain */
    char *host;
    uint16_t port;
    size_t refs;              /* entries, runs and waits that point here */
    size_t in_flight;
    struct entry *blocked, *blocked_tail; /* FIFO through entry.next_blocked */
} dest;

typedef struct dest_table {
    dest **buckets;
    size_t nbuckets, n;
} dest_table;

/* The destination of host:port with a new reference; NULL without memory. */
dest *dest_get(dest_table *t, const char *host, uint16_t port);
/* Another reference to d (NULL stays NULL). */
dest *dest_ref(dest *d);
/* Drops a reference; the last one frees it. NULL is a no-op. */
void dest_put(dest_table *t, dest *d);
/* Frees every destination, references or not (the engine is going). */
void dest_table_free(dest_table *t);

#endif
