#include "tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static int app_data_idx = -1;
static CRYPTO_ONCE idx_once = CRYPTO_ONCE_STATIC_INIT;

static void
make_idx(void)
{
    app_data_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

SSL_CTX *
smtpchk_tls_ctx_new(const smtpchk_check *c, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, c->tls_min_version ? c->tls_min_version : TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!c->tls_verify) { /* never consulted: parsing a bundle would be wasted */
        ERR_clear_error();
        return ctx;
    }
    int ok = (c->ca_file != NULL || c->ca_dir != NULL)
                 ? SSL_CTX_load_verify_locations(ctx, c->ca_file, c->ca_dir)
                 : SSL_CTX_set_default_verify_paths(ctx);
    if (!ok) {
        snprintf(err, errlen, "cannot load CA certificates from %s",
                 c->ca_file ? c->ca_file : c->ca_dir ? c->ca_dir : "the system store");
        SSL_CTX_free(ctx);
        return NULL;
    }
    ERR_clear_error();
    return ctx;
}

static void
name_of(X509_NAME *n, char *out, size_t len)
{
    out[0] = '\0';
    if (n == NULL)
        return;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    int got = BIO_read(b, out, (int)len - 1);
    out[got > 0 ? got : 0] = '\0';
    BIO_free(b);
}

int
smtpchk_tls_days_left(const ASN1_TIME *t)
{
    int days = 0, secs = 0;
    if (t == NULL || !ASN1_TIME_diff(&days, &secs, NULL, t))
        return 0;
    long long total = (long long)days * 86400 + secs;
    long long d = total / 86400;
    if (total % 86400 != 0 && total < 0)
        d--; /* floor: expired a moment ago is -1, not 0 */
    return (int)d;
}

static void
cert_facts(X509 *cert, smtpchk_tls_info *info)
{
    if (cert == NULL)
        return;
    info->has_cert = 1;
    name_of(X509_get_subject_name(cert), info->subject, sizeof(info->subject));
    name_of(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer));
    info->days_left = smtpchk_tls_days_left(X509_get0_notAfter(cert));
}

/* Keeps the first verification error and the leaf's facts, then lets
 * OpenSSL decide as usual (the handshake fails on an error). */
static int
verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    smtpchk_tls_info *info = ssl ? SSL_get_ex_data(ssl, app_data_idx) : NULL;
    if (info == NULL)
        return preverify_ok;
    if (!info->has_cert)
        cert_facts(X509_STORE_CTX_get0_cert(xs), info);
    if (!preverify_ok && info->verify_error == 0)
        info->verify_error = X509_STORE_CTX_get_error(xs);
    return preverify_ok;
}

static int
is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

SSL *
smtpchk_tls_new(SSL_CTX *ctx, int fd, const char *host, int verify, smtpchk_tls_info *info)
{
    CRYPTO_THREAD_run_once(&idx_once, make_idx);
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    int ok = SSL_set_fd(ssl, fd) && SSL_set_ex_data(ssl, app_data_idx, info);
    /* RFC 6066 3: the SNI host name has no trailing dot; certificates
     * name hosts without it too. */
    char name[256];
    snprintf(name, sizeof(name), "%s", host);
    size_t len = strlen(name);
    if (len > 1 && name[len - 1] == '.')
        name[len - 1] = '\0';
    if (ok && !is_ip_literal(name))
        ok = SSL_set_tlsext_host_name(ssl, name);
    if (ok && verify) {
        SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
        ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
                                 : SSL_set1_host(ssl, name);
    } else if (ok) {
        SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    }
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

void
smtpchk_tls_collect(SSL *ssl, smtpchk_tls_info *info)
{
    snprintf(info->version, sizeof(info->version), "%s", SSL_get_version(ssl));
    snprintf(info->cipher, sizeof(info->cipher), "%s", SSL_get_cipher_name(ssl));
    /* A verifying handshake has them already: verify_cb read the same leaf. */
    if (!info->has_cert)
        cert_facts(SSL_get0_peer_certificate(ssl), info);
}

smtpchk_error
smtpchk_tls_failure(const smtpchk_tls_info *info, unsigned long ssl_err, char *detail,
                    size_t len)
{
    long v = info->verify_error;
    if (v != 0) {
        snprintf(detail, len, "certificate verification failed: %s",
                 X509_verify_cert_error_string(v));
        if (v == X509_V_ERR_CERT_HAS_EXPIRED)
            return SMTPCHK_ERR_CERT_EXPIRED;
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            return SMTPCHK_ERR_CERT_HOSTNAME;
        return SMTPCHK_ERR_CERT_UNTRUSTED;
    }
    char buf[200];
    ERR_error_string_n(ssl_err, buf, sizeof(buf));
    snprintf(detail, len, "TLS handshake failed: %s", ssl_err ? buf : "unexpected end");
    return SMTPCHK_ERR_TLS_HANDSHAKE;
}
