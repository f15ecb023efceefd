/*
 * Growable byte buffer with a hard size cap. Always NUL-terminated.
 * Buffers carry AUTH payloads, so nothing they held survives them: growth
 * copies and wipes the old block, and consume, clear and free wipe what
 * they drop.
 */
#ifndef SMTPCHK_BUF_H
#define SMTPCHK_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct smtpchk_buf {
    char *data;   /* NULL until the first append; data[len] == '\0' */
    size_t len;
    size_t cap;
    size_t max;   /* 0 = SMTPCHK_BUF_DEFAULT_MAX */
} smtpchk_buf;

#define SMTPCHK_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void smtpchk_buf_init(smtpchk_buf *b);
/* Each append returns 0, or -1 when memory or the cap runs out (b unchanged). */
int smtpchk_buf_append(smtpchk_buf *b, const void *p, size_t n);
int smtpchk_buf_append_str(smtpchk_buf *b, const char *s);
int smtpchk_buf_appendf(smtpchk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int smtpchk_buf_vappendf(smtpchk_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes. */
void smtpchk_buf_consume(smtpchk_buf *b, size_t n);
void smtpchk_buf_clear(smtpchk_buf *b);
/* Wipes and releases the memory (smtpchk_buf_wipe is the same, kept for callers that want to say it). */
void smtpchk_buf_free(smtpchk_buf *b);
void smtpchk_buf_wipe(smtpchk_buf *b);

#endif
