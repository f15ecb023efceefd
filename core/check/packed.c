/*
 * A result packed for keeping (fields.h): the struct's bytes with each
 * text field cut at its end of string. The text fields are found in the
 * field table, so a new text field is packed without a second list.
 */
#include "fields.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXTS 32

typedef struct text_span {
    size_t offset, size;
} text_span;

static text_span texts[MAX_TEXTS]; /* by offset, each member once */
static size_t ntexts;
static pthread_once_t texts_once = PTHREAD_ONCE_INIT;

static void
add_text(size_t offset, size_t size)
{
    size_t i = 0;
    while (i < ntexts && texts[i].offset < offset)
        i++;
    if ((i < ntexts && texts[i].offset == offset) || ntexts == MAX_TEXTS)
        return; /* the same member under a second name */
    memmove(&texts[i + 1], &texts[i], (ntexts - i) * sizeof(texts[0]));
    texts[i] = (text_span){offset, size};
    ntexts++;
}

static void
find_texts(void)
{
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if (f->type == SMTPCHK_FT_TEXT)
            add_text(f->offset, f->size);
    }
}

/* Walks the result: fixed bytes verbatim, texts up to their NUL. With
 * out NULL only counts. */
static size_t
pack_into(const smtpchk_result *r, unsigned char *out)
{
    const unsigned char *src = (const unsigned char *)r;
    size_t pos = 0, len = 0;
    for (size_t i = 0; i < ntexts; i++) {
        size_t fixed = texts[i].offset - pos;
        size_t n = strnlen((const char *)src + texts[i].offset, texts[i].size - 1);
        if (out != NULL) {
            memcpy(out + len, src + pos, fixed);
            memcpy(out + len + fixed, src + texts[i].offset, n);
            out[len + fixed + n] = '\0';
        }
        len += fixed + n + 1;
        pos = texts[i].offset + texts[i].size;
    }
    if (out != NULL)
        memcpy(out + len, src + pos, sizeof(*r) - pos);
    return len + sizeof(*r) - pos;
}

unsigned char *
smtpchk_result_pack(const smtpchk_result *r, size_t *len)
{
    pthread_once(&texts_once, find_texts);
    size_t n = pack_into(r, NULL);
    unsigned char *p = malloc(n);
    if (p != NULL)
        pack_into(r, p);
    if (len != NULL)
        *len = n;
    return p;
}

void
smtpchk_result_unpack(const unsigned char *p, smtpchk_result *r)
{
    pthread_once(&texts_once, find_texts);
    unsigned char *dst = (unsigned char *)r;
    size_t pos = 0;
    for (size_t i = 0; i < ntexts; i++) {
        size_t fixed = texts[i].offset - pos;
        memcpy(dst + pos, p, fixed);
        p += fixed;
        size_t n = strlen((const char *)p);
        memcpy(dst + texts[i].offset, p, n);
        memset(dst + texts[i].offset + n, 0, texts[i].size - n);
        p += n + 1;
        pos = texts[i].offset + texts[i].size;
    }
    memcpy(dst + pos, p, sizeof(*r) - pos);
}
