/*
 * One client SSL_CTX per distinct TLS setting, shared by every check and
 * run of one engine: the trust store (the system bundle, 220 kB of PEM,
 * or a --ca-file) is parsed once, not once per check. Used by one thread
 * (the engine's loop); SSL objects made from a context may outlive its
 * cache entry, since each holder keeps a reference.
 */
#ifndef SMTPCHK_TLSCTX_H
#define SMTPCHK_TLSCTX_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "smtpchk.h"

typedef struct smtpchk_tls_cache smtpchk_tls_cache;

smtpchk_tls_cache *smtpchk_tls_cache_new(void);
/* Drops the cache's references; contexts still held elsewhere live on. */
void smtpchk_tls_cache_free(smtpchk_tls_cache *tc);
/* The context for c's TLS settings, built on first use, with a reference
 * for the caller (SSL_CTX_free drops it); NULL with err on failure (not
 * cached: a broken CA file is retried by the next run). */
SSL_CTX *smtpchk_tls_cache_get(smtpchk_tls_cache *tc, const smtpchk_check *c, char *err,
                               size_t errlen);
/* Keeps only the contexts that the n checks use (after a reload). */
void smtpchk_tls_cache_keep(smtpchk_tls_cache *tc, const smtpchk_check *const *checks,
                            size_t n);
/* How many contexts the cache holds (tests). */
size_t smtpchk_tls_cache_size(const smtpchk_tls_cache *tc);

#endif
