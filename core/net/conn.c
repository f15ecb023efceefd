#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

struct smtpchk_conn {
    int fd;
    SSL *ssl;
    int unacked;              /* plain: bytes read since our last write */
    uint64_t tls_read;        /* TLS: bytes the socket gave OpenSSL, as of the last wait */
    smtpchk_error err;
    char detail[SMTPCHK_TEXT_MAX];
    char peer[64];
    smtpchk_tls_info tls;
};

smtpchk_conn *
smtpchk_conn_new(void)
{
    smtpchk_conn *c = calloc(1, sizeof(*c));
    if (c != NULL)
        c->fd = -1;
    return c;
}

void
smtpchk_conn_close(smtpchk_conn *c)
{
    if (c->ssl != NULL) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->unacked = 0;
    c->tls_read = 0;
    memset(&c->tls, 0, sizeof(c->tls));
}

void
smtpchk_conn_free(smtpchk_conn *c)
{
    if (c == NULL)
        return;
    smtpchk_conn_close(c);
    free(c);
}

static smtpchk_io
conn_fail(smtpchk_conn *c, smtpchk_error err, const char *what, int errnum)
{
    c->err = err;
    if (errnum != 0)
        snprintf(c->detail, sizeof(c->detail), "%s: %s", what, strerror(errnum));
    else
        snprintf(c->detail, sizeof(c->detail), "%s", what);
    return SMTPCHK_IO_ERROR;
}

static void
format_peer(smtpchk_conn *c, const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?";
    char serv[8] = "?";
    getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in),
                host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(c->peer, sizeof(c->peer), sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
             host, serv);
}

static int
bind_source(int fd, int family, const char *source)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, source, &a->sin6_addr) != 1)
            return -1;
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        if (inet_pton(AF_INET, source, &a->sin_addr) != 1)
            return -1;
        len = sizeof(*a);
    }
    return bind(fd, (struct sockaddr *)&ss, len);
}

smtpchk_io
smtpchk_conn_connect(smtpchk_conn *c, const struct sockaddr *sa, socklen_t len,
                     const char *source)
{
    smtpchk_conn_close(c);
    format_peer(c, sa);
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return conn_fail(c, SMTPCHK_ERR_INTERNAL, "socket", errno);
    /* Commands go out whole and at once: never let Nagle hold them. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (source != NULL && bind_source(c->fd, sa->sa_family, source) != 0)
        return conn_fail(c, SMTPCHK_ERR_CONNECT, "cannot bind the source address", errno);
    if (connect(c->fd, sa, len) == 0)
        return SMTPCHK_IO_DONE;
    if (errno == EINPROGRESS)
        return SMTPCHK_IO_AGAIN;
    if (errno == ECONNREFUSED)
        return conn_fail(c, SMTPCHK_ERR_CONN_REFUSED, "connection refused", 0);
    return conn_fail(c, SMTPCHK_ERR_CONNECT, "connect", errno);
}

smtpchk_io
smtpchk_conn_connect_done(smtpchk_conn *c, int maybe_failed)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    /* A connect that failed, or was reset at once, raises POLLERR or
     * POLLHUP with POLLOUT: without them it succeeded, no need to ask. */
    if (maybe_failed && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr == 0)
        return SMTPCHK_IO_DONE;
    if (soerr == ECONNREFUSED)
        return conn_fail(c, SMTPCHK_ERR_CONN_REFUSED, "connection refused", 0);
    if (soerr == ETIMEDOUT)
        return conn_fail(c, SMTPCHK_ERR_CONNECT_TIMEOUT, "connect", soerr);
    /* The handshake completed and the server reset it at once. */
    if (soerr == ECONNRESET)
        return conn_fail(c, SMTPCHK_ERR_CLOSED, "connection reset by the server", 0);
    return conn_fail(c, SMTPCHK_ERR_CONNECT, "connect", soerr);
}

static void quickack(smtpchk_conn *c);

/* Maps an SSL_* return to AGAIN / EOF / ERROR. */
static smtpchk_io
ssl_status(smtpchk_conn *c, int rc, const char *what)
{
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        quickack(c);
        return SMTPCHK_IO_AGAIN;
    }
    if (e == SSL_ERROR_WANT_WRITE)
        return SMTPCHK_IO_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN)
        return SMTPCHK_IO_EOF;
    unsigned long le = ERR_peek_last_error();
    if (e == SSL_ERROR_SYSCALL && le == 0) {
        ERR_clear_error();
        if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
            return SMTPCHK_IO_EOF; /* closed without close_notify */
        return conn_fail(c, SMTPCHK_ERR_NETWORK, what, errno);
    }
    char buf[160];
    ERR_error_string_n(le, buf, sizeof(buf));
    ERR_clear_error();
    char msg[200];
    snprintf(msg, sizeof(msg), "%s: %s", what, buf);
    return conn_fail(c, SMTPCHK_ERR_NETWORK, msg, 0);
}

smtpchk_io
smtpchk_conn_tls_start(smtpchk_conn *c, SSL_CTX *ctx, const char *host, int verify)
{
    memset(&c->tls, 0, sizeof(c->tls));
    c->ssl = smtpchk_tls_new(ctx, c->fd, host, verify, &c->tls);
    if (c->ssl == NULL)
        return conn_fail(c, SMTPCHK_ERR_INTERNAL, "cannot set up TLS", 0);
    return smtpchk_conn_tls_continue(c);
}

smtpchk_io
smtpchk_conn_tls_continue(smtpchk_conn *c)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        smtpchk_tls_collect(c->ssl, &c->tls);
        return SMTPCHK_IO_DONE;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return ssl_status(c, rc, "TLS handshake");
    unsigned long le = ERR_peek_last_error();
    ERR_clear_error();
    c->err = smtpchk_tls_failure(&c->tls, le, c->detail, sizeof(c->detail));
    return SMTPCHK_IO_ERROR;
}

const smtpchk_tls_info *
smtpchk_conn_tls_info(const smtpchk_conn *c)
{
    return &c->tls;
}

/*
 * About to wait for more of the server's bytes after reading some that we
 * have not answered: send their ACK now. Linux delays the ACK of a socket
 * in "pingpong" mode (it expects our next command to carry it), and a
 * server whose next segment Nagle holds until that ACK (TLS 1.3 session
 * tickets before a reply, a reply written in pieces) would wait 40 ms for
 * it, which a phase time would show. Bytes answered by a command need
 * nothing: the command carries the ACK.
 */
static void
quickack(smtpchk_conn *c)
{
    int due;
    if (c->ssl != NULL) {
        uint64_t got = BIO_number_read(SSL_get_rbio(c->ssl));
        due = got != c->tls_read;
        c->tls_read = got;
    } else {
        due = c->unacked;
    }
    c->unacked = 0;
#ifdef TCP_QUICKACK
    int one = 1;
    if (due)
        setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
    (void)due;
#endif
}

smtpchk_io
smtpchk_conn_read(smtpchk_conn *c, char *buf, size_t len, size_t *n)
{
    *n = 0;
    if (c->ssl != NULL) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_read(c->ssl, buf, (int)(len > 65536 ? 65536 : len));
        if (rc > 0) {
            *n = (size_t)rc;
            return SMTPCHK_IO_DONE;
        }
        return ssl_status(c, rc, "TLS read");
    }
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r > 0) {
        *n = (size_t)r;
        c->unacked = 1;
        return SMTPCHK_IO_DONE;
    }
    if (r == 0)
        return SMTPCHK_IO_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        quickack(c);
        return SMTPCHK_IO_AGAIN;
    }
    if (errno == ECONNRESET)
        return SMTPCHK_IO_EOF;
    return conn_fail(c, SMTPCHK_ERR_NETWORK, "read", errno);
}

smtpchk_io
smtpchk_conn_write(smtpchk_conn *c, const char *buf, size_t len, size_t *n)
{
    *n = 0;
    if (c->ssl != NULL) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_write(c->ssl, buf, (int)(len > 65536 ? 65536 : len));
        if (rc > 0) {
            *n = (size_t)rc;
            c->tls_read = BIO_number_read(SSL_get_rbio(c->ssl)); /* ACKed by this */
            return SMTPCHK_IO_DONE;
        }
        return ssl_status(c, rc, "TLS write");
    }
    ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (w >= 0) {
        *n = (size_t)w;
        c->unacked = 0; /* our segment carries the ACK */
        return SMTPCHK_IO_DONE;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return SMTPCHK_IO_AGAIN;
    if (errno == EPIPE || errno == ECONNRESET)
        return SMTPCHK_IO_EOF;
    return conn_fail(c, SMTPCHK_ERR_NETWORK, "write", errno);
}

int
smtpchk_conn_fd(const smtpchk_conn *c)
{
    return c->fd;
}

int
smtpchk_conn_is_tls(const smtpchk_conn *c)
{
    return c->ssl != NULL;
}

smtpchk_error
smtpchk_conn_error(const smtpchk_conn *c, const char **detail)
{
    if (detail != NULL)
        *detail = c->detail;
    return c->err;
}

const char *
smtpchk_conn_peer(const smtpchk_conn *c)
{
    return c->peer;
}
