/* The names of the AUTH mechanisms and EHLO capabilities (smtpchk.h lists them). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpchk.h"

/* Longest mechanism name quoted back in an error message. */
#define MECH_ERR_MAX 64

typedef struct {
    unsigned bit;
    const char *name;
} mech_entry;

#define MECH_ENTRY(id, bit, name) {SMTPCHK_AUTH_##id, name},
static const mech_entry mech_table[] = {SMTPCHK_MECHANISMS(MECH_ENTRY)};
#define CAP_ENTRY(id, bit, name) {SMTPCHK_CAP_##id, name},
static const mech_entry cap_table[] = {SMTPCHK_CAPABILITIES(CAP_ENTRY)};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const mech_entry *t, size_t n, unsigned bit)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].bit == bit)
            return t[i].name;
    return NULL;
}

static unsigned
bit_of(const mech_entry *t, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strlen(t[i].name) == len && strncasecmp(t[i].name, name, len) == 0)
            return t[i].bit;
    return 0;
}

const char *
smtpchk_cap_name(unsigned cap)
{
    return name_of(cap_table, NELEM(cap_table), cap);
}

unsigned
smtpchk_cap_from_name(const char *name, size_t len)
{
    return bit_of(cap_table, NELEM(cap_table), name, len);
}

const char *
smtpchk_auth_mech_name(unsigned mech)
{
    return name_of(mech_table, NELEM(mech_table), mech);
}

unsigned
smtpchk_auth_mech_from_name(const char *name, size_t len)
{
    return bit_of(mech_table, NELEM(mech_table), name, len);
}

static void
set_err(char *err, size_t errlen, const char *msg, const char *tok, size_t toklen)
{
    if (err == NULL || errlen == 0)
        return;
    int n = toklen > MECH_ERR_MAX ? MECH_ERR_MAX : (int)toklen;
    if (tok != NULL)
        snprintf(err, errlen, "%s \"%.*s\"", msg, n, tok);
    else
        snprintf(err, errlen, "%s", msg);
}

static int
is_list_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

int
smtpchk_auth_parse_list(const char *list, unsigned *mask, char *err, size_t errlen)
{
    if (list == NULL || mask == NULL) {
        set_err(err, errlen, "no AUTH mechanism list", NULL, 0);
        return -1;
    }
    unsigned m = 0;
    const char *p = list;
    while (*p != '\0') {
        while (is_list_sep(*p))
            p++;
        const char *tok = p;
        while (*p != '\0' && !is_list_sep(*p))
            p++;
        size_t toklen = (size_t)(p - tok);
        if (toklen == 0)
            break;
        unsigned bit = smtpchk_auth_mech_from_name(tok, toklen);
        if (bit == 0) {
            set_err(err, errlen, "unknown AUTH mechanism", tok, toklen);
            return -1;
        }
        m |= bit;
    }
    if (m == 0) {
        /* An empty allow-list could never authenticate: a config mistake. */
        set_err(err, errlen, "empty AUTH mechanism list", NULL, 0);
        return -1;
    }
    *mask = m;
    return 0;
}
