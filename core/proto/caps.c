#include "caps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "smtpchk.h"

typedef struct {
    const char *keyword;
    unsigned flag;
} cap_entry;

static const cap_entry cap_table[] = {
    {"SIZE", SMTPCHK_CAP_SIZE},
    {"STARTTLS", SMTPCHK_CAP_STARTTLS},
    {"AUTH", SMTPCHK_CAP_AUTH},
    {"PIPELINING", SMTPCHK_CAP_PIPELINING},
    {"8BITMIME", SMTPCHK_CAP_8BITMIME},
    {"SMTPUTF8", SMTPCHK_CAP_SMTPUTF8},
    {"ENHANCEDSTATUSCODES", SMTPCHK_CAP_ENHANCEDSTATUSCODES},
    {"CHUNKING", SMTPCHK_CAP_CHUNKING},
};

static int
is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Each space-separated word after AUTH that names a known mechanism. */
static unsigned
parse_auth_params(const char *p)
{
    unsigned mask = 0;
    while (*p != '\0') {
        while (is_space(*p))
            p++;
        size_t n = 0;
        while (p[n] != '\0' && !is_space(p[n]))
            n++;
        if (n > 0)
            mask |= smtpchk_auth_mech_from_name(p, n);
        p += n;
    }
    return mask;
}

static uint64_t
parse_size(const char *p)
{
    while (is_space(*p))
        p++;
    if (*p < '0' || *p > '9')
        return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno != 0 || (*end != '\0' && !is_space(*end)))
        return 0;
    return (uint64_t)v;
}

void
smtpchk_caps_parse_line(const char *line, smtpchk_caps *caps)
{
    size_t klen = 0;
    while (line[klen] != '\0' && !is_space(line[klen]) && line[klen] != '=')
        klen++;
    const char *params = line + klen;
    /* "AUTH=PLAIN LOGIN" is the pre-RFC 4954 form some servers still send. */
    if (*params == '=' || is_space(*params))
        params++;
    for (size_t i = 0; i < sizeof(cap_table) / sizeof(cap_table[0]); i++) {
        const cap_entry *e = &cap_table[i];
        if (strlen(e->keyword) != klen || strncasecmp(line, e->keyword, klen) != 0)
            continue;
        caps->flags |= e->flag;
        if (e->flag == SMTPCHK_CAP_AUTH)
            caps->auth |= parse_auth_params(params);
        else if (e->flag == SMTPCHK_CAP_SIZE)
            caps->size = parse_size(params);
        return;
    }
}

void
smtpchk_caps_parse(const smtpchk_reply *r, smtpchk_caps *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 1; i < r->nlines; i++)
        smtpchk_caps_parse_line(r->lines[i], out);
}
