/* The engine's destinations (dest.h): a chained hash of host:port. */
#include "dest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BUCKETS 4096

/* FNV-1a over the lower-cased host and the port: host names are not
 * case-sensitive, so "MX.example" and "mx.example" are one server. */
static size_t
hash(const char *host, uint16_t port)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)host; *p; p++)
        h = (h ^ (uint64_t)tolower(*p)) * 1099511628211ULL;
    h = (h ^ port) * 1099511628211ULL;
    return (size_t)h;
}

dest *
dest_get(dest_table *t, const char *host, uint16_t port)
{
    if (t->buckets == NULL) {
        t->buckets = calloc(BUCKETS, sizeof(*t->buckets)); // NOLINT(bugprone-sizeof-expression): pointers
        if (t->buckets == NULL)
            return NULL;
        t->nbuckets = BUCKETS;
    }
    dest **b = &t->buckets[hash(host, port) % t->nbuckets];
    for (dest *d = *b; d != NULL; d = d->next)
        if (d->port == port && strcasecmp(d->host, host) == 0)
            return dest_ref(d);
    dest *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->host = strdup(host)) == NULL) {
        free(d);
        return NULL;
    }
    d->port = port;
    d->refs = 1;
    d->next = *b;
    *b = d;
    t->n++;
    return d;
}

dest *
dest_ref(dest *d)
{
    if (d != NULL)
        d->refs++;
    return d;
}

void
dest_put(dest_table *t, dest *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    dest **pp = &t->buckets[hash(d->host, d->port) % t->nbuckets];
    while (*pp != d)
        pp = &(*pp)->next;
    *pp = d->next;
    t->n--;
    free(d->host);
    free(d);
}

void
dest_table_free(dest_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        while (t->buckets[i] != NULL) {
            dest *d = t->buckets[i];
            t->buckets[i] = d->next;
            free(d->host);
            free(d);
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = t->n = 0;
}
