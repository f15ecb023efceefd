/*
 * The reply parser: the same bytes fed whole, in chunks the input chooses,
 * and one at a time must give the same replies and the same verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

#define MAX_REPLIES 64

typedef struct outcome {
    int status;               /* the last feed's status */
    size_t nreplies;
    char summary[MAX_REPLIES][64]; /* code, line count, hash of the text */
} outcome;

static unsigned long
hash_reply(const smtpchk_reply *r)
{
    unsigned long h = 5381;
    for (size_t i = 0; i < r->nlines; i++)
        for (const char *p = r->lines[i]; *p != '\0'; p++)
            h = h * 33 + (unsigned char)*p;
    return h;
}

/* Feeds data in pieces of at most `chunk` bytes (0 = whole). */
static void
run(const uint8_t *data, size_t size, size_t chunk, outcome *out)
{
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(0, 0);
    memset(out, 0, sizeof(*out));
    size_t off = 0;
    while (off < size && out->status != SMTPCHK_PARSE_ERROR) {
        size_t len = chunk == 0 || size - off < chunk ? size - off : chunk;
        size_t used = 0;
        out->status = smtpchk_reply_parser_feed(p, (const char *)data + off, len, &used);
        if (used > len)
            abort();
        off += used;
        if (out->status == SMTPCHK_PARSE_COMPLETE) {
            const smtpchk_reply *r = smtpchk_reply_parser_reply(p);
            if (r->code < 200 || r->code > 599 || r->nlines == 0)
                abort();
            if (out->nreplies < MAX_REPLIES)
                snprintf(out->summary[out->nreplies], 64, "%d/%zu/%lu", r->code, r->nlines,
                         hash_reply(r));
            out->nreplies++;
            smtpchk_reply_parser_reset(p);
            out->status = SMTPCHK_PARSE_NEED_MORE;
        } else if (out->status == SMTPCHK_PARSE_NEED_MORE && used < len) {
            abort(); /* it must take every byte it does not complete on */
        }
    }
    smtpchk_reply_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = 1 + data[0] % 17; /* the first byte picks the chunk size */
    data++;
    size--;
    static outcome whole, chunks, bytes;
    run(data, size, 0, &whole);
    run(data, size, chunk, &chunks);
    run(data, size, 1, &bytes);
    if (memcmp(&whole, &chunks, sizeof(whole)) != 0 || memcmp(&whole, &bytes, sizeof(whole)) != 0)
        abort();
    return 0;
}
