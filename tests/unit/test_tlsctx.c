/* tlsctx.c: one TLS context per distinct setting, shared, pruned on reload. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "smtpchk.h"
#include "tlsctx.h"

static smtpchk_check *
tls_check(bool verify, const char *ca_file, int min_version)
{
    smtpchk_check *c = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    c->security = SMTPCHK_SEC_STARTTLS;
    c->tls_verify = verify;
    c->ca_file = ca_file ? strdup(ca_file) : NULL;
    c->tls_min_version = min_version;
    return c;
}

static SSL_CTX *
get(smtpchk_tls_cache *tc, const smtpchk_check *c)
{
    char err[200] = "";
    SSL_CTX *ctx = smtpchk_tls_cache_get(tc, c, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(ctx);
    return ctx;
}

/* The default (system store, verify on) is built once for any number of
 * checks: the bundle is not parsed per check (issue 13, defect 1). */
static void
test_same_setting_shares_one_context(void)
{
    smtpchk_tls_cache *tc = smtpchk_tls_cache_new();
    smtpchk_check *a = tls_check(true, NULL, 0), *b = tls_check(true, NULL, 0);
    SSL_CTX *x = get(tc, a), *y = get(tc, b);
    CU_ASSERT_PTR_EQUAL(x, y);
    CU_ASSERT_EQUAL(smtpchk_tls_cache_size(tc), 1);
    SSL_CTX_free(x);
    SSL_CTX_free(y);
    smtpchk_tls_cache_free(tc);
    smtpchk_check_free(a);
    smtpchk_check_free(b);
}

static void
test_distinct_settings_get_their_own(void)
{
    smtpchk_tls_cache *tc = smtpchk_tls_cache_new();
    smtpchk_check *v[] = {tls_check(true, NULL, 0), tls_check(false, NULL, 0),
                          tls_check(true, NULL, TLS1_3_VERSION),
                          tls_check(false, "/nonexistent/ca.pem", 0)};
    SSL_CTX *c0 = get(tc, v[0]), *c1 = get(tc, v[1]), *c2 = get(tc, v[2]), *c3 = get(tc, v[3]);
    CU_ASSERT_PTR_NOT_EQUAL(c0, c1);
    CU_ASSERT_PTR_NOT_EQUAL(c0, c2);
    /* Without verification the CA file is never read, so it is no key. */
    CU_ASSERT_PTR_EQUAL(c1, c3);
    CU_ASSERT_EQUAL(smtpchk_tls_cache_size(tc), 3);
    CU_ASSERT_EQUAL(SSL_CTX_get_min_proto_version(c2), TLS1_3_VERSION);
    /* Not verifying: no trust store was loaded at all. */
    CU_ASSERT_EQUAL(sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(c1))), 0);
    SSL_CTX *ctxs[] = {c0, c1, c2, c3};
    for (size_t i = 0; i < 4; i++) {
        SSL_CTX_free(ctxs[i]);
        smtpchk_check_free(v[i]);
    }
    smtpchk_tls_cache_free(tc);
}

static void
test_bad_ca_file_fails_and_is_not_cached(void)
{
    smtpchk_tls_cache *tc = smtpchk_tls_cache_new();
    smtpchk_check *c = tls_check(true, "/nonexistent/ca.pem", 0);
    char err[200] = "";
    CU_ASSERT_PTR_NULL(smtpchk_tls_cache_get(tc, c, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
    CU_ASSERT_EQUAL(smtpchk_tls_cache_size(tc), 0);
    smtpchk_check_free(c);
    smtpchk_tls_cache_free(tc);
}

/* A reload keeps the contexts still used and drops the others; a run
 * holding a dropped one keeps it alive through its reference. */
static void
test_keep_prunes_unused(void)
{
    smtpchk_tls_cache *tc = smtpchk_tls_cache_new();
    smtpchk_check *a = tls_check(true, NULL, 0), *b = tls_check(false, NULL, 0);
    SSL_CTX *ca = get(tc, a), *cb = get(tc, b);
    const smtpchk_check *set[] = {a};
    smtpchk_tls_cache_keep(tc, set, 1);
    CU_ASSERT_EQUAL(smtpchk_tls_cache_size(tc), 1);
    SSL_CTX *again = get(tc, a);
    CU_ASSERT_PTR_EQUAL(again, ca); /* unchanged settings: not rebuilt */
    SSL *ssl = SSL_new(cb);         /* the dropped one still works */
    CU_ASSERT_PTR_NOT_NULL(ssl);
    SSL_free(ssl);
    smtpchk_tls_cache_keep(tc, NULL, 0);
    CU_ASSERT_EQUAL(smtpchk_tls_cache_size(tc), 0);
    SSL_CTX_free(ca);
    SSL_CTX_free(cb);
    SSL_CTX_free(again);
    smtpchk_tls_cache_free(tc);
    smtpchk_check_free(a);
    smtpchk_check_free(b);
}

void
register_tests(void)
{
    SUITE_ADD("tlsctx", TEST(test_same_setting_shares_one_context),
              TEST(test_distinct_settings_get_their_own),
              TEST(test_bad_ca_file_fails_and_is_not_cached), TEST(test_keep_prunes_unused));
}
