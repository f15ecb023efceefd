/* tls.c: what a connection object is set up to send and verify. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cunit_main.h"
#include "smtpchk.h"
#include "tls.h"

static SSL *
client_for(const char *host, smtpchk_tls_info *info, SSL_CTX **ctx)
{
    smtpchk_check *c = smtpchk_check_new();
    char err[200];
    *ctx = smtpchk_tls_ctx_new(c, err, sizeof(err));
    smtpchk_check_free(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*ctx);
    int sv[2];
    CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    SSL *ssl = smtpchk_tls_new(*ctx, sv[0], host, 1, info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssl);
    return ssl;
}

static void
release(SSL *ssl, SSL_CTX *ctx)
{
    close(SSL_get_fd(ssl));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

/* RFC 6066 3: "The hostname is represented ... without a trailing dot." */
static void
test_sni_without_trailing_dot(void)
{
    smtpchk_tls_info info = {0};
    SSL_CTX *ctx;
    SSL *ssl = client_for("mx.example.net.", &info, &ctx);
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sni);
    CU_ASSERT_STRING_EQUAL(sni, "mx.example.net");
    CU_ASSERT_STRING_EQUAL(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0), "mx.example.net");
    release(ssl, ctx);

    ssl = client_for("mx.example.net", &info, &ctx);
    CU_ASSERT_STRING_EQUAL(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "mx.example.net");
    release(ssl, ctx);
}

/* An address literal is verified as an address and sends no SNI. */
static void
test_ip_literal_has_no_sni(void)
{
    smtpchk_tls_info info = {0};
    SSL_CTX *ctx;
    SSL *ssl = client_for("127.0.0.1", &info, &ctx);
    CU_ASSERT_PTR_NULL(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
    release(ssl, ctx);
}

/* A verifying handshake's callback took the leaf's facts: collecting after
 * the handshake keeps them instead of formatting the same certificate again
 * (here no handshake ran, so a second look would find no certificate). */
static void
test_collect_keeps_verified_facts(void)
{
    smtpchk_tls_info info = {0};
    SSL_CTX *ctx;
    SSL *ssl = client_for("mx.example.net", &info, &ctx);
    info.has_cert = 1;
    info.days_left = 42;
    snprintf(info.subject, sizeof(info.subject), "CN=mx.example.net");
    snprintf(info.issuer, sizeof(info.issuer), "CN=Test CA");
    smtpchk_tls_collect(ssl, &info);
    CU_ASSERT_EQUAL(info.has_cert, 1);
    CU_ASSERT_EQUAL(info.days_left, 42);
    CU_ASSERT_STRING_EQUAL(info.subject, "CN=mx.example.net");
    CU_ASSERT_STRING_EQUAL(info.issuer, "CN=Test CA");
    release(ssl, ctx);

    smtpchk_tls_info none = {0};
    ssl = client_for("mx.example.net", &none, &ctx);
    smtpchk_tls_collect(ssl, &none);
    CU_ASSERT_EQUAL(none.has_cert, 0);
    CU_ASSERT_STRING_EQUAL(none.subject, "");
    release(ssl, ctx);
}

void
register_tests(void)
{
    SUITE_ADD("tls", TEST(test_sni_without_trailing_dot), TEST(test_ip_literal_has_no_sni),
              TEST(test_collect_keeps_verified_facts));
}
