/*
 * The IMAP or POP3 session (MBOX_PROTO), driven through the protocol ops
 * by a server that says whatever the input says. The first byte picks the
 * parameters (security, insecure login allowed, FIND mode, mechanisms);
 * the rest is server bytes, cut into packets at 0xFF. Properties:
 * - no credentials leave before TLS unless insecure login is allowed;
 * - nothing is written between STARTTLS / STLS and the handshake;
 * - the session ends, and once ended it writes nothing more;
 * - an OK result has no failed step, a failure has one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "protocol.h"
#include "smtpchk.h"

#define PASSWORD "pw-SECRET-xyz"

typedef struct driver {
    const smtpchk_protocol_ops *ops;
    void *s;
    int tls, allow_insecure;
    int64_t now;
    smtpchk_buf plain;        /* the SASL PLAIN response, base64 */
} driver;

static int
has(const char *out, size_t len, const char *needle)
{
    return memmem(out, len, needle, strlen(needle)) != NULL;
}

static void
drain(driver *d)
{
    size_t len = 0;
    const char *out = d->ops->output(d->s, &len);
    if (len == 0)
        return;
    if (d->ops->finished(d->s))
        abort(); /* an ended session has nothing left to write */
    if (!d->tls && !d->allow_insecure &&
        (has(out, len, PASSWORD) || has(out, len, d->plain.data) || has(out, len, "LOGIN ") ||
         has(out, len, "PASS ") || has(out, len, "AUTH")))
        abort(); /* credentials in clear */
    const char *st = memmem(out, len, "STARTTLS\r\n", 10);
    if (st == NULL)
        st = memmem(out, len, "STLS\r\n", 6) != NULL ? (const char *)memmem(out, len, "STLS\r\n", 6) + 6 : NULL;
    else
        st += 10;
    if (st != NULL && st != out + len)
        abort(); /* bytes after STARTTLS, before the handshake */
    d->ops->output_done(d->s, 0, len);
}

static void
step(driver *d)
{
    drain(d);
    if (d->ops->action(d->s) == SMTPCHK_ACT_START_TLS) {
        smtpchk_tls_facts f = {.version = "TLSv1.3", .cipher = "TLS_AES_128_GCM_SHA256"};
        d->now += 1000;
        d->tls = 1;
        d->ops->tls_done(d->s, d->now, &f);
        drain(d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t pick = data[0];
    static const unsigned mechs[] = {0, SMTPCHK_AUTH_PLAIN, SMTPCHK_AUTH_LOGIN,
                                     SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN};
    smtpchk_mbox_params p = {
        .security = (smtpchk_security)(1 + pick % 3), .user = "user", .password = PASSWORD,
        .auth_mechs = mechs[(pick >> 4) & 3], .allow_insecure_auth = (pick & 4) != 0,
        .mailbox = (pick & 64) ? "Probe \"box\"" : NULL, .timeout_ms = 60000,
        .step_timeout_ms = 10000, .mode = (pick & 8) ? SMTPCHK_MBOX_FIND : SMTPCHK_MBOX_PROBE,
        .token = "tok-1", .check_id = (pick & 128) ? "7" : NULL, .max_scan = 8};
    driver d = {.ops = smtpchk_protocol_ops_get(MBOX_PROTO), .allow_insecure = p.allow_insecure_auth,
                .now = 1000000};
    smtpchk_buf_init(&d.plain);
    if (smtpchk_auth_plain_response(p.user, p.password, &d.plain) != 0)
        abort();
    d.s = d.ops->new_session(NULL, &p, NULL, NULL, d.now);
    if (d.s == NULL)
        abort();
    d.ops->resolved(d.s, d.now);
    d.ops->connecting(d.s, d.now);
    d.ops->connected(d.s, d.now, "127.0.0.1:143");
    step(&d);
    size_t off = 1;
    while (off < size && !d.ops->finished(d.s)) {
        const uint8_t *end = memchr(data + off, 0xFF, size - off);
        size_t len = end != NULL ? (size_t)(end - (data + off)) : size - off;
        d.now += 500;
        d.ops->feed(d.s, d.now, (const char *)data + off, len);
        step(&d);
        off += len + (end != NULL);
    }
    if (!d.ops->finished(d.s)) {
        d.ops->eof(d.s, d.now);
        step(&d);
    }
    if (!d.ops->finished(d.s))
        d.ops->timeout(d.s, d.ops->deadline(d.s));
    step(&d);
    if (!d.ops->finished(d.s) || d.ops->action(d.s) != SMTPCHK_ACT_CLOSE)
        abort(); /* one way to end, and it was taken */
    const smtpchk_result *r = d.ops->result(d.s);
    if ((unsigned)r->error >= SMTPCHK_ERR__COUNT ||
        (r->error == SMTPCHK_OK) != (r->failed_step == SMTPCHK_STEP_NONE))
        abort();
    smtpchk_find_result fr;
    d.ops->find_result(d.s, &fr);
    if (fr.deleted > 0 && !fr.found)
        abort(); /* nothing is deleted unless the token mail was found */
    d.ops->free_session(d.s);
    smtpchk_buf_free(&d.plain);
    return 0;
}
