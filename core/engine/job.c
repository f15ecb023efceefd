#include "job_int.h"

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "clock.h"
#include "conn.h"
#include "tls.h"

static void job_pump(smtpchk_job *j);

/* The transport's facts, as the session's view of them (borrowed). */
static void
tls_facts_from(const smtpchk_tls_info *info, smtpchk_tls_facts *f)
{
    f->version = info->version;
    f->cipher = info->cipher;
    f->subject = info->subject;
    f->issuer = info->issuer;
    f->has_cert = info->has_cert;
    f->days_left = info->days_left;
}

/* The session has no clocks (docs/design.md); the engine lends these. */
static int64_t
wall_clock(void *ud)
{
    (void)ud;
    return (int64_t)time(NULL);
}

static int
random_bytes(void *ud, unsigned char *buf, size_t len)
{
    (void)ud;
    return len <= INT_MAX && RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

const smtpchk_session_env job_session_env = {wall_clock, random_bytes, NULL};

/* An IMAP or POP3 session reads the check's settings through its mailbox
 * parameters, which borrow the check's strings (the password too: wiped
 * with the check, like SMTP AUTH's). */
void *
job_session_new(smtpchk_job *j, const smtpchk_check *check, int64_t now_us)
{
    if (check->protocol == SMTPCHK_PROTO_SMTP)
        return j->ops->new_session(check, NULL, j->default_ehlo, &job_session_env, now_us);
    smtpchk_mbox_params_from_check(check, &j->mbox);
    j->mbox.mailbox = check->mailbox;
    return j->ops->new_session(check, &j->mbox, NULL, &job_session_env, now_us);
}

smtpchk_job *
smtpchk_job_new(const smtpchk_check *check, const smtpchk_job_env *env,
                smtpchk_transcript_fn tfn, void *tud)
{
    smtpchk_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->check = check;
    j->default_ehlo = env->default_ehlo;
    j->tfn = tfn;
    j->tud = tud;
    j->resolver = env->resolver;
    j->tls = env->tls;
    j->ops = smtpchk_protocol_ops_get(check->protocol);
    j->session = j->ops != NULL ? job_session_new(j, check, smtpchk_now_us()) : NULL;
    j->conn = smtpchk_conn_new();
    if (j->session == NULL || j->conn == NULL) {
        smtpchk_job_free(j);
        return NULL;
    }
    j->ops->set_transcript(j->session, tfn, tud);
    return j;
}

void
smtpchk_job_set_close_hook(smtpchk_job *j, smtpchk_fd_close_fn fn, void *ud)
{
    j->close_hook = fn;
    j->close_ud = ud;
}

void *
smtpchk_job_hook_ud(const smtpchk_job *j)
{
    return j->close_ud;
}

/* Every close goes through here, so the loop hears of it first. */
static void
drop_conn(smtpchk_job *j)
{
    int fd = smtpchk_conn_fd(j->conn);
    if (fd >= 0 && j->close_hook != NULL)
        j->close_hook(j->close_ud, fd);
    smtpchk_conn_close(j->conn);
    j->rd_ready = 0;
}

void
smtpchk_job_free(smtpchk_job *j)
{
    if (j == NULL)
        return;
    smtpchk_lookup_cancel(j->lookup);
    if (j->conn != NULL)
        drop_conn(j);
    smtpchk_conn_free(j->conn);
    if (j->session != NULL)
        j->ops->free_session(j->session);
    job_mx_free(j);
    job_rt_free(j->rt);
    SSL_CTX_free(j->ssl_ctx);
    free(j);
}

void
job_fail(smtpchk_job *j, smtpchk_error err, const char *why)
{
    j->ops->transport_failed(j->session, smtpchk_now_us(), err, why);
    job_pump(j);
}

static void
conn_failed(smtpchk_job *j)
{
    const char *why = NULL;
    smtpchk_error err = smtpchk_conn_error(j->conn, &why);
    job_fail(j, err, why);
}

/* The time given to the session for something that came in at `at`: never
 * before our last bytes went out or the time given before. */
static int64_t
stamp(smtpchk_job *j, int64_t at)
{
    if (at < j->floor)
        at = j->floor;
    j->floor = at;
    return at;
}

/*
 * When the event in hand came: its first use takes the time its batch was
 * seen (the engine may have handled others since); any later one, the clock.
 */
static int64_t
arrival(smtpchk_job *j)
{
    int64_t at = j->io_at;
    j->io_at = 0;
    return stamp(j, at != 0 ? at : smtpchk_now_us());
}

static void
connected(smtpchk_job *j)
{
    j->ph = PH_STREAM;
    j->ops->connected(j->session, arrival(j), smtpchk_conn_peer(j->conn));
    job_pump(j);
}

/* Adds peer to the list of addresses that failed, for the error detail. */
static void
remember_failure(smtpchk_job *j)
{
    size_t used = strlen(j->tried);
    snprintf(j->tried + used, sizeof(j->tried) - used, "%s%s", used ? ", " : "",
             smtpchk_conn_peer(j->conn));
}

static void
all_addresses_failed(smtpchk_job *j)
{
    const char *why = NULL;
    smtpchk_error err = smtpchk_conn_error(j->conn, &why);
    char msg[2 * SMTPCHK_TEXT_MAX]; /* the session cuts it to fit */
    if (j->addrs.n > 1)
        snprintf(msg, sizeof(msg), "%s (tried %s)", why, j->tried);
    else
        snprintf(msg, sizeof(msg), "%s", why);
    j->ph = PH_IDLE;
    job_fail(j, err, msg);
}

/* Tries the addresses in order; a refused or failed one moves to the next. */
void
job_try_connect(smtpchk_job *j)
{
    while (j->addr_i < j->addrs.n) {
        size_t i = j->addr_i++;
        j->floor = smtpchk_now_us(); /* our SYN */
        j->ops->connecting(j->session, j->floor);
        drop_conn(j);
        smtpchk_io io = smtpchk_conn_connect(j->conn, (struct sockaddr *)&j->addrs.addr[i],
                                             j->addrs.len[i], j->check->source_addr);
        char line[96];
        snprintf(line, sizeof(line), "connecting to %s", smtpchk_conn_peer(j->conn));
        j->ops->note(j->session, line);
        if (io == SMTPCHK_IO_DONE) {
            connected(j);
            return;
        }
        if (io == SMTPCHK_IO_AGAIN) {
            j->ph = PH_CONNECTING;
            return;
        }
        remember_failure(j);
    }
    all_addresses_failed(j);
}

static void
on_resolved(void *ud, int ok, const smtpchk_addrs *addrs, const char *why)
{
    smtpchk_job *j = ud;
    j->lookup = NULL;
    if (!ok) {
        char msg[SMTPCHK_TEXT_MAX];
        snprintf(msg, sizeof(msg), "cannot resolve %s: %s", j->check->host, why);
        job_fail(j, SMTPCHK_ERR_DNS, msg);
        return;
    }
    j->addrs = *addrs;
    j->addr_i = 0;
    j->ops->resolved(j->session, smtpchk_now_us());
    job_try_connect(j);
}

void
smtpchk_job_start(smtpchk_job *j)
{
    char err[SMTPCHK_TEXT_MAX];
    /* Checks are validated where they are made (the schema, for the check
     * file and the CLI); only what would crash here is guarded. */
    if ((j->check->host == NULL || j->check->host[0] == '\0') && j->check->mx == NULL) {
        job_fail(j, SMTPCHK_ERR_CONFIG, "no host");
        return;
    }
    if (j->check->security != SMTPCHK_SEC_NONE) {
        j->ssl_ctx = smtpchk_tls_cache_get(j->tls, j->check, err, sizeof(err));
        if (j->ssl_ctx == NULL) {
            job_fail(j, SMTPCHK_ERR_CONFIG, err);
            return;
        }
    }
    j->ph = PH_RESOLVING;
    if (j->check->mx != NULL) {
        job_mx_start(j);
        return;
    }
    j->lookup = smtpchk_resolve(j->resolver, j->check->dns_servers, j->check->host,
                                smtpchk_check_port(j->check), on_resolved, j);
}

static void
tls_finished(smtpchk_job *j, smtpchk_io io)
{
    smtpchk_tls_facts f;
    tls_facts_from(smtpchk_conn_tls_info(j->conn), &f);
    if (io == SMTPCHK_IO_AGAIN) {
        j->ph = PH_HANDSHAKE;
        return;
    }
    j->ph = PH_STREAM;
    if (io == SMTPCHK_IO_DONE) {
        j->rd_ready = 1; /* OpenSSL may have left bytes it did not need */
        /* Done when our last flight left, now: the handshake's CPU on this
         * side is part of it (the next phase starts now, too). */
        j->io_at = 0;
        j->ops->tls_done(j->session, arrival(j), &f);
        job_pump(j);
        return;
    }
    j->ops->tls_facts(j->session, &f);
    if (io == SMTPCHK_IO_EOF)
        job_fail(j, SMTPCHK_ERR_TLS_HANDSHAKE, "TLS handshake failed: connection closed");
    else
        conn_failed(j);
}

static void
close_job(smtpchk_job *j)
{
    drop_conn(j);
    j->ph = PH_DONE;
    if (j->mx != NULL)
        job_mx_session_over(j); /* may start the next target */
    else if (j->check->protocol == SMTPCHK_PROTO_SMTP &&
             j->check->rt.protocol != SMTPCHK_PROTO_SMTP)
        job_rt_session_over(j); /* may park until the first poll */
}

/* Writes what the session queued. 1 = all out, 0 = wait, -1 = handled failure. */
static int
flush_output(smtpchk_job *j)
{
    size_t len;
    const char *out = j->ops->output(j->session, &len);
    while (len > 0) {
        size_t n = 0;
        smtpchk_io io = smtpchk_conn_write(j->conn, out, len, &n);
        if (io == SMTPCHK_IO_AGAIN)
            return 0;
        if (io != SMTPCHK_IO_DONE) {
            if (io == SMTPCHK_IO_EOF)
                j->ops->eof(j->session, smtpchk_now_us());
            else
                conn_failed(j);
            return -1;
        }
        j->floor = smtpchk_now_us();
        j->ops->output_done(j->session, j->floor, n);
        out = j->ops->output(j->session, &len);
    }
    return 1;
}

/* Reads until the socket is drained (the fd is edge-triggered), or for
 * READS_PER_WAKEUP reads: then rd_ready stays, and the engine comes back
 * (smtpchk_job_io_pending) after the others had their turn. */
static void
read_input(smtpchk_job *j)
{
    char buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_WAKEUP && j->ph == PH_STREAM; i++) {
        size_t n = 0;
        smtpchk_io io = smtpchk_conn_read(j->conn, buf, sizeof(buf), &n);
        if (io == SMTPCHK_IO_AGAIN) {
            j->rd_ready = 0;
            return;
        }
        if (io == SMTPCHK_IO_EOF) {
            j->rd_ready = 0;
            j->ops->eof(j->session, arrival(j));
        } else if (io == SMTPCHK_IO_ERROR) {
            j->rd_ready = 0;
            conn_failed(j);
            return;
        } else {
            j->ops->feed(j->session, arrival(j), buf, n);
        }
        job_pump(j);
        if (io == SMTPCHK_IO_EOF)
            return;
    }
}

static int
output_pending(const smtpchk_job *j)
{
    size_t pending;
    j->ops->output(j->session, &pending);
    return pending > 0;
}

/* Acts on what the session asks for, until it waits for the network. */
static void
job_pump(smtpchk_job *j)
{
    if (j->ph == PH_DONE)
        return;
    /* A finished session has nothing left to write (session.h): close now,
     * never through flush_output, whose failures would pump again. */
    if (j->ops->finished(j->session)) {
        close_job(j);
        return;
    }
    if (j->ph != PH_STREAM)
        return;
    int flushed = flush_output(j);
    if (flushed <= 0) {
        if (flushed < 0)
            job_pump(j);
        return;
    }
    if (j->ops->action(j->session) == SMTPCHK_ACT_START_TLS) {
        j->ph = PH_HANDSHAKE;
        tls_finished(j, smtpchk_conn_tls_start(j->conn, j->ssl_ctx, j->check->host,
                                               j->check->tls_verify));
    }
}

/*
 * The fd is edge-triggered (engine_loop.c): readiness is reported once,
 * so it is remembered in rd_ready until a read drains the socket, and
 * acted on whenever the job can read: after a connect, a handshake, a
 * flush, in the same call.
 */
void
smtpchk_job_io(smtpchk_job *j, short revents, int64_t at_us)
{
    if (j->ph == PH_POLLING) {
        job_rt_io(j, revents, at_us);
        return;
    }
    if (revents & (POLLIN | POLLERR | POLLHUP))
        j->rd_ready = 1;
    j->io_at = at_us;
    switch (j->ph) {
    case PH_CONNECTING:
        if (smtpchk_conn_connect_done(j->conn, (revents & (POLLERR | POLLHUP)) != 0) ==
            SMTPCHK_IO_DONE) {
            connected(j);
        } else {
            remember_failure(j);
            job_try_connect(j);
        }
        break;
    case PH_HANDSHAKE:
        tls_finished(j, smtpchk_conn_tls_continue(j->conn));
        break;
    case PH_STREAM:
        if (output_pending(j))
            job_pump(j);
        break;
    default:
        break;
    }
    if (j->ph == PH_STREAM && j->rd_ready && !output_pending(j))
        read_input(j);
    j->io_at = 0;
}

int
smtpchk_job_io_pending(const smtpchk_job *j)
{
    if (j->ph == PH_POLLING)
        return job_rt_io_pending(j);
    return j->ph == PH_STREAM && j->rd_ready && !output_pending(j);
}

int
smtpchk_job_fd(const smtpchk_job *j)
{
    if (j->ph == PH_POLLING)
        return job_rt_fd(j);
    if (j->ph == PH_CONNECTING || j->ph == PH_HANDSHAKE || j->ph == PH_STREAM)
        return smtpchk_conn_fd(j->conn);
    return -1;
}

int64_t
smtpchk_job_deadline(const smtpchk_job *j)
{
    if (j->ph == PH_POLLING || j->ph == PH_PARKED)
        return job_rt_deadline(j);
    return j->ops->deadline(j->session);
}

void
smtpchk_job_timeout(smtpchk_job *j)
{
    if (j->ph == PH_DONE)
        return;
    if (j->ph == PH_POLLING || j->ph == PH_PARKED) {
        job_rt_timeout(j);
        return;
    }
    smtpchk_lookup_cancel(j->lookup);
    j->lookup = NULL;
    j->ops->timeout(j->session, smtpchk_now_us());
    if (j->ph != PH_STREAM)
        j->ph = PH_STREAM; /* let a polite QUIT (never for timeouts) or close happen */
    job_pump(j);
}

int
smtpchk_job_done(const smtpchk_job *j)
{
    return j->ph == PH_DONE;
}

const smtpchk_result *
smtpchk_job_result(const smtpchk_job *j)
{
    if (j->rt != NULL)
        return job_rt_result(j);
    return j->mx != NULL ? job_mx_result(j) : j->ops->result(j->session);
}
