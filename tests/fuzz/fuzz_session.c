/*
 * The session state machine, driven through its sans-I/O API by a server
 * that says whatever the input says. The first byte picks the check
 * (security, AUTH, insecure AUTH allowed, a test mail); the rest is server
 * bytes, cut into packets at 0xFF. Properties:
 * - no credentials leave before TLS unless insecure AUTH is allowed;
 * - nothing is written between STARTTLS and the handshake;
 * - the session ends, and once ended it writes nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "smtpchk.h"

#define PASSWORD "pw-SECRET-xyz"

typedef struct driver {
    smtpchk_session *s;
    int tls;                  /* the connection is encrypted */
    int allow_insecure;
    int64_t now;
} driver;

static int64_t
wall(void *ud)
{
    (void)ud;
    return 1700000000;
}

static int
rnd(void *ud, unsigned char *buf, size_t len)
{
    (void)ud;
    memset(buf, 0x5a, len);
    return 0;
}

static smtpchk_check *
make_check(uint8_t pick)
{
    smtpchk_check *c = smtpchk_check_new();
    c->host = strdup("mx.example.net");
    c->security = (smtpchk_security)(1 + pick % 3);
    if (pick & 4) {
        c->user = strdup("user");
        c->password = strdup(PASSWORD);
    }
    c->allow_insecure_auth = (pick & 8) != 0;
    if (pick & 16) {
        c->mail_from = strdup("a@example.net");
        smtpchk_check_list_add(&c->rcpt, &c->nrcpt, "b@example.net");
    }
    if (pick & 32) {
        smtpchk_check_list_add(&c->probes, &c->nprobes, "NOOP");
    }
    return c;
}

/* Takes everything queued, checking what may be written now. */
static void
drain(driver *d)
{
    size_t len = 0;
    const char *out = smtpchk_session_output(d->s, &len);
    if (len == 0)
        return;
    if (smtpchk_session_finished(d->s))
        abort(); /* an ended session has nothing left to write */
    if (!d->tls && !d->allow_insecure &&
        (memmem(out, len, "AUTH ", 5) != NULL || memmem(out, len, "cHctU0VDUkVU", 12) != NULL ||
         memmem(out, len, PASSWORD, strlen(PASSWORD)) != NULL))
        abort(); /* credentials in clear */
    const char *st = memmem(out, len, "STARTTLS\r\n", 10);
    if (st != NULL && st + 10 != out + len)
        abort(); /* bytes after STARTTLS, before the handshake */
    smtpchk_session_output_done(d->s, 0, len);
}

static void
step(driver *d)
{
    drain(d);
    if (smtpchk_session_action(d->s) == SMTPCHK_ACT_START_TLS) {
        smtpchk_tls_facts f = {.version = "TLSv1.3", .cipher = "TLS_AES_128_GCM_SHA256"};
        d->now += 1000;
        d->tls = 1;
        smtpchk_session_tls_done(d->s, d->now, &f);
        drain(d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    smtpchk_check *c = make_check(data[0]);
    smtpchk_session_env env = {.wall_clock = wall, .random_bytes = rnd};
    driver d = {.allow_insecure = c->allow_insecure_auth, .now = 1000000};
    d.s = smtpchk_session_new(c, "probe.test", &env, d.now);
    smtpchk_session_resolved(d.s, d.now);
    smtpchk_session_connecting(d.s, d.now);
    smtpchk_session_connected(d.s, d.now, "127.0.0.1:25");
    step(&d);
    size_t off = 1;
    while (off < size && !smtpchk_session_finished(d.s)) {
        const uint8_t *end = memchr(data + off, 0xFF, size - off);
        size_t len = end != NULL ? (size_t)(end - (data + off)) : size - off;
        d.now += 500;
        smtpchk_session_feed(d.s, d.now, (const char *)data + off, len);
        step(&d);
        off += len + (end != NULL);
    }
    if (!smtpchk_session_finished(d.s)) {
        smtpchk_session_eof(d.s, d.now);
        step(&d);
    }
    if (!smtpchk_session_finished(d.s))
        smtpchk_session_timeout(d.s, smtpchk_session_deadline(d.s));
    step(&d);
    if (!smtpchk_session_finished(d.s) || smtpchk_session_action(d.s) != SMTPCHK_ACT_CLOSE)
        abort(); /* one way to end, and it was taken */
    const smtpchk_result *r = smtpchk_session_result(d.s);
    if ((unsigned)r->error >= SMTPCHK_ERR__COUNT || (r->error == SMTPCHK_OK) != (r->failed_step == SMTPCHK_STEP_NONE))
        abort();
    smtpchk_session_free(d.s);
    smtpchk_check_free(c);
    return 0;
}
