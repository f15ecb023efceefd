/* Text predicates every layer shares: UTF-8 and header-safe values. */
#include "text.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
size_t
smtpchk_utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    unsigned cp = c & (0x3fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

bool
smtpchk_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = smtpchk_utf8_seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

int
smtpchk_utf8_ok(const char *s)
{
    return s != NULL && smtpchk_utf8_valid(s, strlen(s)) ? 0 : -1;
}

int
smtpchk_header_value_ok(const char *value)
{
    if (value == NULL)
        return -1;
    return strpbrk(value, "\r\n") == NULL ? 0 : -1;
}
