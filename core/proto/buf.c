#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
smtpchk_buf_init(smtpchk_buf *b)
{
    memset(b, 0, sizeof(*b));
}

static int
buf_reserve(smtpchk_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : SMTPCHK_BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    /* Not realloc: it may leave a copy of what the buffer held (an AUTH
     * payload) in freed memory. Copy, then wipe the old block. */
    char *p = malloc(cap);
    if (p == NULL)
        return -1;
    if (b->data != NULL) {
        memcpy(p, b->data, b->len + 1);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int
smtpchk_buf_append(smtpchk_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
smtpchk_buf_append_str(smtpchk_buf *b, const char *s)
{
    return smtpchk_buf_append(b, s, strlen(s));
}

int
smtpchk_buf_vappendf(smtpchk_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
smtpchk_buf_appendf(smtpchk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = smtpchk_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
smtpchk_buf_consume(smtpchk_buf *b, size_t n)
{
    if (n >= b->len) {
        smtpchk_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    /* What was sent (credentials among it) does not linger past len. */
    OPENSSL_cleanse(b->data + b->len, n + 1);
}

void
smtpchk_buf_clear(smtpchk_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->len + 1);
    b->len = 0;
}

void
smtpchk_buf_free(smtpchk_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
smtpchk_buf_wipe(smtpchk_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    smtpchk_buf_free(b);
}
