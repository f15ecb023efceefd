/* Test-mail token, check tag and queue ID (probemail.h). */
#include "probemail.h"

#include "probe_headers.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void
smtpchk_probe_token(int64_t wall, const unsigned char rnd[8], char out[SMTPCHK_TOKEN_MAX])
{
    snprintf(out, SMTPCHK_TOKEN_MAX, "%lld.%02x%02x%02x%02x%02x%02x%02x%02x",
             (long long)(wall < 0 ? 0 : wall), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
             rnd[6], rnd[7]);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

int
smtpchk_probe_token_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_digit(s[i]))
        i++;
    if (i == 0 || i > 20 || i + 17 != len || s[i] != '.')
        return 0;
    for (i++; i < len; i++)
        if (!is_hex(s[i]))
            return 0;
    return 1;
}

void
smtpchk_probe_tag(const char *name, char out[SMTPCHK_TAG_MAX])
{
    size_t n = name != NULL ? strlen(name) : 0;
    bool plain = n > 0 && n < SMTPCHK_TAG_MAX;
    plain = plain && strspn(name, SMTPCHK_PROBE_VALUE_CHARS) == n;
    if (plain) {
        memcpy(out, name, n + 1);
        return;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
    snprintf(out, SMTPCHK_TAG_MAX, "h%016llx", (unsigned long long)h);
}

static bool
id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' ||
           c == '_' || c == '-';
}

/* The ID at text[at]: its length when it is one, else 0. */
static size_t
id_at(const char *text, size_t textlen, size_t at)
{
    size_t n = 0;
    while (at + n < textlen && id_char(text[at + n]))
        if (++n >= SMTPCHK_QUEUE_ID_MAX)
            return 0;
    if (at + n < textlen && text[at + n] != ' ')
        return 0;
    return n;
}

/* Where marker (any case) ends in text, or textlen when it is absent. */
static size_t
after(const char *text, size_t textlen, const char *marker)
{
    size_t m = strlen(marker);
    for (size_t i = 0; i + m <= textlen; i++)
        if (strncasecmp(text + i, marker, m) == 0)
            return i + m;
    return textlen;
}

static int
take(const char *text, size_t at, size_t n, char out[SMTPCHK_QUEUE_ID_MAX])
{
    memcpy(out, text + at, n);
    out[n] = '\0';
    return 0;
}

int
smtpchk_queue_id(const char *text, size_t textlen, char out[SMTPCHK_QUEUE_ID_MAX])
{
    static const char *const markers[] = {"queued as ", "id="};
    out[0] = '\0';
    textlen = strnlen(text, textlen);
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        size_t at = after(text, textlen, markers[i]);
        size_t n = at < textlen ? id_at(text, textlen, at) : 0;
        if (n > 0)
            return take(text, at, n, out);
    }
    /* Sendmail: the ID first (after any enhanced status), then
     * "Message accepted for delivery". */
    size_t at = 0;
    if (textlen > 2 && text[0] >= '2' && text[0] <= '5' && text[1] == '.') {
        const char *sp = memchr(text, ' ', textlen);
        at = sp != NULL ? (size_t)(sp - text) + 1 : textlen;
    }
    size_t n = at < textlen ? id_at(text, textlen, at) : 0;
    if (n > 0 && at + n + 17 <= textlen && strncasecmp(text + at + n, " Message accepted", 17) == 0)
        return take(text, at, n, out);
    return -1;
}
