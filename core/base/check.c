/*
 * The check description: defaults, copies; and result init. What a valid
 * check is lives in one place above this layer: the schema's validator
 * (core/check/validate.c, smtpchk_check_validate).
 */
#include "smtpchk.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

smtpchk_check *
smtpchk_check_new(void)
{
    smtpchk_check *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->security = SMTPCHK_SEC_NONE;
    c->tls_verify = true;
    c->auth_mechs = SMTPCHK_AUTH_ALL;
    c->timeout_ms = 30000;
    c->mx_policy = SMTPCHK_MX_ALL;
    c->step_timeout_ms = 10000;
    c->rt.security = SMTPCHK_SEC_NONE;
    c->rt.timeout_ms = 60000;
    return c;
}

static void
free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

static void
free_list(char **v, size_t n)
{
    if (v != NULL)
        free_strs(v, n);
    free(v);
}

int
smtpchk_check_list_add(char ***list, size_t *n, const char *s)
{
    char *copy = strdup(s);
    char **v = copy != NULL ? realloc(*list, (*n + 1) * sizeof(*v)) : NULL;
    if (v == NULL) {
        free(copy);
        return -1;
    }
    v[(*n)++] = copy;
    *list = v;
    return 0;
}

smtpchk_check *
smtpchk_check_share(const smtpchk_check *c)
{
    smtpchk_check *m = (smtpchk_check *)c; /* only the count changes */
    __atomic_add_fetch(&m->shares, 1, __ATOMIC_RELAXED);
    return m;
}

/* Owners drop their shares in any thread; acquire-release orders the
 * free, by whoever drops last (the count was 0), after every other
 * owner's reads. */
static bool
last_owner(smtpchk_check *c)
{
    return __atomic_fetch_sub(&c->shares, 1, __ATOMIC_ACQ_REL) == 0;
}

void
smtpchk_check_free(smtpchk_check *c)
{
    if (c == NULL || !last_owner(c))
        return;
    if (c->password != NULL)
        OPENSSL_cleanse(c->password, strlen(c->password));
    if (c->rt.password != NULL)
        OPENSSL_cleanse(c->rt.password, strlen(c->rt.password));
    char *strs[] = {c->name, c->host, c->mx, c->dns_servers, c->source_addr, c->ehlo_name, c->ca_file, c->ca_dir,
                    c->user, c->password, c->mail_from, c->subject, c->body_html,
                    c->body_text, c->mailbox, c->rt.host, c->rt.user, c->rt.password, c->rt.mailbox};
    free_strs(strs, sizeof(strs) / sizeof(strs[0]));
    free_list(c->rcpt, c->nrcpt);
    free_list(c->probes, c->nprobes);
    free(c);
}

static int
dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    *dst = strdup(src);
    return *dst == NULL ? -1 : 0;
}

/* A list's copy; on failure a list that smtpchk_check_free can free. */
static int
dup_list(char ***dst, size_t *n, char *const *src)
{
    size_t want = *n;
    *dst = NULL;
    *n = 0;
    int bad = 0;
    for (size_t i = 0; i < want; i++)
        bad |= smtpchk_check_list_add(dst, n, src[i]);
    return bad;
}

smtpchk_check *
smtpchk_check_dup(const smtpchk_check *c)
{
    smtpchk_check *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    /* Everything but the owner count (d's stays 0: a copy is its own),
     * which other owners of c may change meanwhile in other threads. */
    size_t at = offsetof(smtpchk_check, shares), past = at + sizeof(c->shares);
    memcpy(d, c, at);
    memcpy((char *)d + past, (const char *)c + past, sizeof(*d) - past);
    int bad = 0;
    char **fields[] = {&d->name, &d->host, &d->mx, &d->dns_servers, &d->source_addr, &d->ehlo_name, &d->ca_file,
                       &d->ca_dir, &d->user, &d->password, &d->mail_from, &d->subject,
                       &d->body_html, &d->body_text, &d->mailbox, &d->rt.host, &d->rt.user,
                       &d->rt.password, &d->rt.mailbox};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        bad |= dup_str(fields[i], *fields[i]);
    bad |= dup_list(&d->rcpt, &d->nrcpt, c->rcpt);
    bad |= dup_list(&d->probes, &d->nprobes, c->probes);
    if (bad) {
        smtpchk_check_free(d);
        return NULL;
    }
    return d;
}

uint16_t
smtpchk_check_port(const smtpchk_check *c)
{
    if (c->port != 0)
        return c->port;
    return smtpchk_protocol_default_port(c->protocol, c->security);
}

uint16_t
smtpchk_roundtrip_port(const smtpchk_roundtrip *rt)
{
    return rt->port != 0 ? rt->port : smtpchk_protocol_default_port(rt->protocol, rt->security);
}

void
smtpchk_result_init(smtpchk_result *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < SMTPCHK_PHASE__COUNT; i++)
        r->phase_us[i] = -1;
    r->enhanced_class = r->enhanced_subject = r->enhanced_detail = -1;
    for (size_t i = 0; i < SMTPCHK_MAX_PROBES; i++)
        r->probe_codes[i] = -1;
}

const char *
smtpchk_check_target(const smtpchk_check *c)
{
    return c->host != NULL ? c->host : c->mx != NULL ? c->mx : "";
}
