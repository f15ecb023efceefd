/* The check description: defaults, copies, validation; and result init. */
#include "smtpchk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "text.h"

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
    c->step_timeout_ms = 10000;
    return c;
}

static void
free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

void
smtpchk_check_free(smtpchk_check *c)
{
    if (c == NULL)
        return;
    if (c->password != NULL)
        OPENSSL_cleanse(c->password, strlen(c->password));
    char *strs[] = {c->name, c->host, c->source_addr, c->ehlo_name, c->ca_file, c->ca_dir,
                    c->user, c->password, c->mail_from, c->subject, c->body_html,
                    c->body_text};
    free_list(strs, sizeof(strs) / sizeof(strs[0]));
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

smtpchk_check *
smtpchk_check_dup(const smtpchk_check *c)
{
    smtpchk_check *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    *d = *c;
    int bad = 0;
    char **fields[] = {&d->name, &d->host, &d->source_addr, &d->ehlo_name, &d->ca_file,
                       &d->ca_dir, &d->user, &d->password, &d->mail_from, &d->subject,
                       &d->body_html, &d->body_text};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        bad |= dup_str(fields[i], *fields[i]);
    for (size_t i = 0; i < c->nrcpt; i++)
        bad |= dup_str(&d->rcpt[i], c->rcpt[i]);
    for (size_t i = 0; i < c->nprobes; i++)
        bad |= dup_str(&d->probes[i], c->probes[i]);
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
    return c->security == SMTPCHK_SEC_TLS ? 465 : 25;
}

static int
probe_ok(const char *p)
{
    static const char *const bare[] = {"NOOP", "RSET", "HELP"};
    for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++)
        if (strcmp(p, bare[i]) == 0)
            return 1;
    return strncmp(p, "VRFY ", 5) == 0 && p[5] != '\0';
}

/* A mailbox for MAIL FROM / RCPT TO: no brackets, spaces or line breaks. */
static int
address_ok(const char *a)
{
    return strpbrk(a, "<>\r\n \t") == NULL;
}

static int
invalid(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

int
smtpchk_check_validate(const smtpchk_check *c, char *err, size_t errlen)
{
    if (c->host == NULL || c->host[0] == '\0')
        return invalid(err, errlen, "no host");
    if (c->timeout_ms == 0 || c->step_timeout_ms == 0)
        return invalid(err, errlen, "timeouts must be positive");
    if (c->ehlo_name != NULL && (smtpchk_header_value_ok(c->ehlo_name) != 0 ||
                                 strchr(c->ehlo_name, ' ') != NULL || c->ehlo_name[0] == '\0'))
        return invalid(err, errlen, "bad EHLO name");
    if (c->user != NULL && c->password == NULL)
        return invalid(err, errlen, "a user is set but no password");
    if (c->user != NULL && (c->auth_mechs & SMTPCHK_AUTH_ALL) == 0)
        return invalid(err, errlen, "no AUTH mechanism allowed");
    if (c->nrcpt > 0 && (c->mail_from == NULL))
        return invalid(err, errlen, "recipients are set but no sender (from)");
    if (c->mail_from != NULL && !address_ok(c->mail_from))
        return invalid(err, errlen, "bad sender address (header injection?)");
    for (size_t i = 0; i < c->nrcpt; i++)
        if (!address_ok(c->rcpt[i]) || c->rcpt[i][0] == '\0')
            return invalid(err, errlen, "bad recipient address (header injection?)");
    if (c->subject != NULL && smtpchk_header_value_ok(c->subject) != 0)
        return invalid(err, errlen, "CR or LF in the subject (header injection)");
    const char *texts[] = {c->subject, c->body_html, c->body_text};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (texts[i] != NULL && smtpchk_utf8_ok(texts[i]) != 0)
            return invalid(err, errlen, "the subject and bodies must be UTF-8");
    for (size_t i = 0; i < c->nprobes; i++)
        if (!probe_ok(c->probes[i]) || smtpchk_header_value_ok(c->probes[i]) != 0)
            return invalid(err, errlen, "probe must be NOOP, RSET, HELP or \"VRFY <address>\"");
    return 0;
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
