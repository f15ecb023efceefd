/* The names of the AUTH mechanisms (SMTPCHK_AUTH_* bits). */
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

static const mech_entry mech_table[] = {
    {SMTPCHK_AUTH_CRAM_MD5, "CRAM-MD5"},
    {SMTPCHK_AUTH_PLAIN, "PLAIN"},
    {SMTPCHK_AUTH_LOGIN, "LOGIN"},
};

#define MECH_COUNT (sizeof(mech_table) / sizeof(mech_table[0]))

const char *
smtpchk_auth_mech_name(unsigned mech)
{
    for (size_t i = 0; i < MECH_COUNT; i++)
        if (mech_table[i].bit == mech)
            return mech_table[i].name;
    return NULL;
}

unsigned
smtpchk_auth_mech_from_name(const char *name, size_t len)
{
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < MECH_COUNT; i++) {
        const char *n = mech_table[i].name;
        if (strlen(n) == len && strncasecmp(n, name, len) == 0)
            return mech_table[i].bit;
    }
    return 0;
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
