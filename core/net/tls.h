/* OpenSSL glue: contexts, host-name verification, certificate facts. */
#ifndef SMTPCHK_TLS_H
#define SMTPCHK_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "smtpchk.h"

/* What a handshake tells: filled by smtpchk_tls_collect and the verify callback. */
typedef struct smtpchk_tls_info {
    char version[16];
    char cipher[64];
    char subject[SMTPCHK_TEXT_MAX];
    char issuer[SMTPCHK_TEXT_MAX];
    int has_cert;
    int days_left;
    long verify_error;        /* first X509_V_ERR_*; 0 = none */
} smtpchk_tls_info;

/* A client context for the check's TLS options, its trust store loaded
 * only when it verifies; NULL with err on failure. Costly (the system
 * bundle is parsed): the engine shares them (tlsctx.h). */
SSL_CTX *smtpchk_tls_ctx_new(const smtpchk_check *c, char *err, size_t errlen);
/* A connection object on fd: SNI and host or IP verification set up.
 * info must outlive the SSL object; the verify callback writes to it. */
SSL *smtpchk_tls_new(SSL_CTX *ctx, int fd, const char *host, int verify,
                     smtpchk_tls_info *info);
/* Fills version/cipher/certificate facts after a handshake. info is the
 * one given to smtpchk_tls_new (zeroed before): the leaf's facts that the
 * verify callback took are kept, not computed again. */
void smtpchk_tls_collect(SSL *ssl, smtpchk_tls_info *info);
/* Maps a failed handshake to an error code and a reason. */
smtpchk_error smtpchk_tls_failure(const smtpchk_tls_info *info, unsigned long ssl_err,
                                  char *detail, size_t len);
/* Days from now until t (floor; negative once past). */
int smtpchk_tls_days_left(const ASN1_TIME *t);

#endif
