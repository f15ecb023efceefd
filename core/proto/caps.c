#include "caps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "smtpchk.h"

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
    unsigned flag = smtpchk_cap_from_name(line, klen);
    caps->flags |= flag;
    if (flag == SMTPCHK_CAP_AUTH)
        caps->auth |= parse_auth_params(params);
    else if (flag == SMTPCHK_CAP_SIZE)
        caps->size = parse_size(params);
}

void
smtpchk_caps_parse(const smtpchk_reply *r, smtpchk_caps *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 1; i < r->nlines; i++)
        smtpchk_caps_parse_line(r->lines[i], out);
}
