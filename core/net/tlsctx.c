/* The engine's TLS contexts, one per distinct setting (tlsctx.h). */
#include "tlsctx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

/* What makes two checks' contexts the same. Without verification the
 * trust store is never consulted, so it is not part of the key (and not
 * loaded). */
typedef struct ctx_key {
    bool verify;
    int min_version;
    const char *ca_file, *ca_dir; /* borrowed from a check while looking up */
} ctx_key;

typedef struct cached {
    struct cached *next;
    bool verify;
    int min_version;
    char *ca_file, *ca_dir;
    SSL_CTX *ctx;
    bool used;                /* mark for smtpchk_tls_cache_keep */
} cached;

struct smtpchk_tls_cache {
    cached *head;
    size_t n;
};

static ctx_key
key_of(const smtpchk_check *c)
{
    ctx_key k = {.verify = c->tls_verify, .min_version = c->tls_min_version};
    if (k.verify) {
        k.ca_file = c->ca_file;
        k.ca_dir = c->ca_dir;
    }
    return k;
}

static bool
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static cached *
find(const smtpchk_tls_cache *tc, const ctx_key *k)
{
    for (cached *x = tc->head; x != NULL; x = x->next)
        if (x->verify == k->verify && x->min_version == k->min_version &&
            same_str(x->ca_file, k->ca_file) && same_str(x->ca_dir, k->ca_dir))
            return x;
    return NULL;
}

static void
cached_free(cached *x)
{
    SSL_CTX_free(x->ctx);
    free(x->ca_file);
    free(x->ca_dir);
    free(x);
}

smtpchk_tls_cache *
smtpchk_tls_cache_new(void)
{
    return calloc(1, sizeof(smtpchk_tls_cache));
}

void
smtpchk_tls_cache_free(smtpchk_tls_cache *tc)
{
    if (tc == NULL)
        return;
    while (tc->head != NULL) {
        cached *x = tc->head;
        tc->head = x->next;
        cached_free(x);
    }
    free(tc);
}

static char *
dup_or_null(const char *s, bool *bad)
{
    char *d = s != NULL ? strdup(s) : NULL;
    *bad |= s != NULL && d == NULL;
    return d;
}

static cached *
build(smtpchk_tls_cache *tc, const smtpchk_check *c, const ctx_key *k, char *err,
      size_t errlen)
{
    cached *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bool bad = false;
    x->verify = k->verify;
    x->min_version = k->min_version;
    x->ca_file = dup_or_null(k->ca_file, &bad);
    x->ca_dir = dup_or_null(k->ca_dir, &bad);
    x->ctx = bad ? NULL : smtpchk_tls_ctx_new(c, err, errlen);
    if (bad || x->ctx == NULL) {
        if (bad)
            snprintf(err, errlen, "out of memory");
        cached_free(x);
        return NULL;
    }
    x->next = tc->head;
    tc->head = x;
    tc->n++;
    return x;
}

SSL_CTX *
smtpchk_tls_cache_get(smtpchk_tls_cache *tc, const smtpchk_check *c, char *err, size_t errlen)
{
    ctx_key k = key_of(c);
    cached *x = find(tc, &k);
    if (x == NULL && (x = build(tc, c, &k, err, errlen)) == NULL)
        return NULL;
    SSL_CTX_up_ref(x->ctx);
    return x->ctx;
}

void
smtpchk_tls_cache_keep(smtpchk_tls_cache *tc, const smtpchk_check *const *checks, size_t n)
{
    for (cached *x = tc->head; x != NULL; x = x->next)
        x->used = false;
    for (size_t i = 0; i < n; i++) {
        ctx_key k = key_of(checks[i]);
        cached *x = checks[i]->security != SMTPCHK_SEC_NONE ? find(tc, &k) : NULL;
        if (x != NULL)
            x->used = true;
    }
    cached **pp = &tc->head;
    while (*pp != NULL) {
        cached *x = *pp;
        if (x->used) {
            pp = &x->next;
            continue;
        }
        *pp = x->next;
        tc->n--;
        cached_free(x);
    }
}

size_t
smtpchk_tls_cache_size(const smtpchk_tls_cache *tc)
{
    return tc->n;
}
