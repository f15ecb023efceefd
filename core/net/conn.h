/*
 * One non-blocking connection: the only code that calls connect, read,
 * write and SSL_*. AGAIN means: wait for the socket's next readiness (the
 * engine registers each fd once, edge-triggered, for reading and writing).
 */
#ifndef SMTPCHK_CONN_H
#define SMTPCHK_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "smtpchk.h"
#include "tls.h"

typedef struct smtpchk_conn smtpchk_conn;

typedef enum smtpchk_io {
    SMTPCHK_IO_DONE = 0,      /* finished (connected, handshake done) */
    SMTPCHK_IO_AGAIN = 1,     /* would block: retry on the next readiness */
    SMTPCHK_IO_EOF = 2,       /* the peer closed */
    SMTPCHK_IO_ERROR = 3      /* see smtpchk_conn_error() */
} smtpchk_io;

smtpchk_conn *smtpchk_conn_new(void);
void smtpchk_conn_free(smtpchk_conn *c);   /* closes; NULL is a no-op */
void smtpchk_conn_close(smtpchk_conn *c);  /* back to the fresh state */

/* Starts a non-blocking connect to sa, optionally from source (an IP literal). */
smtpchk_io smtpchk_conn_connect(smtpchk_conn *c, const struct sockaddr *sa, socklen_t len,
                                const char *source);
/* After the fd became writable: did the connect succeed? maybe_failed: the
 * readiness came with POLLERR or POLLHUP (only then is SO_ERROR read). */
smtpchk_io smtpchk_conn_connect_done(smtpchk_conn *c, int maybe_failed);
smtpchk_io smtpchk_conn_tls_start(smtpchk_conn *c, SSL_CTX *ctx, const char *host, int verify);
smtpchk_io smtpchk_conn_tls_continue(smtpchk_conn *c);
const smtpchk_tls_info *smtpchk_conn_tls_info(const smtpchk_conn *c);

/* Reads into buf; *n is the count on DONE. */
smtpchk_io smtpchk_conn_read(smtpchk_conn *c, char *buf, size_t len, size_t *n);
/* Writes; *n is how much went out (possibly less than len) on DONE. */
smtpchk_io smtpchk_conn_write(smtpchk_conn *c, const char *buf, size_t len, size_t *n);

int smtpchk_conn_fd(const smtpchk_conn *c);
int smtpchk_conn_is_tls(const smtpchk_conn *c);
/* The last error: its code and a reason. */
smtpchk_error smtpchk_conn_error(const smtpchk_conn *c, const char **detail);
/* "127.0.0.1:25" or "[::1]:25" for the connected address. */
const char *smtpchk_conn_peer(const smtpchk_conn *c);

#endif
