/* The result history ring (history.h). */
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
smtpchk_history_init(smtpchk_history *h, uint32_t cap)
{
    memset(h, 0, sizeof(*h));
    h->next_seq = 1;
    return smtpchk_history_resize(h, cap);
}

void
smtpchk_history_clear(smtpchk_history *h)
{
    free(h->ring);
    memset(h, 0, sizeof(*h));
    h->next_seq = 1;
}

int
smtpchk_history_resize(smtpchk_history *h, uint32_t cap)
{
    if (cap > SMTPCHK_HISTORY_MAX)
        cap = SMTPCHK_HISTORY_MAX;
    if (cap == h->cap)
        return 0;
    smtpchk_history_entry *ring = NULL;
    if (cap > 0 && (ring = calloc(cap, sizeof(*ring))) == NULL)
        return -1;
    uint32_t keep = h->n < cap ? h->n : cap;
    /* The newest `keep` entries, oldest first, into slots 0..keep-1. */
    for (uint32_t i = 0; i < keep; i++)
        ring[i] = h->ring[(h->head + h->n - keep + i) % h->cap];
    free(h->ring);
    h->ring = ring;
    h->cap = cap;
    h->n = keep;
    h->head = 0;
    return 0;
}

static uint32_t
sat_u32(int64_t x)
{
    return x <= 0 ? 0 : x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

smtpchk_history_entry
smtpchk_history_entry_of(const smtpchk_result *r, int64_t when)
{
    bool has_status = r->enhanced_class >= 0 && r->enhanced_subject >= 0 &&
                      r->enhanced_detail >= 0;
    int64_t status = ((int64_t)r->enhanced_class * 1000 + r->enhanced_subject) * 1000 +
                     r->enhanced_detail;
    int code = r->response_code < -1 ? -1 : r->response_code > 999 ? 999 : r->response_code;
    return (smtpchk_history_entry){
        .when = sat_u32(when),
        .total_us = sat_u32(r->phase_us[SMTPCHK_PHASE_TOTAL]),
        .connect_us = sat_u32(r->phase_us[SMTPCHK_PHASE_CONNECT]),
        .status = has_status ? sat_u32(status) : 0,
        .code = (int16_t)code,
        .error = (uint8_t)r->error,
        .step = (uint8_t)r->failed_step,
    };
}

void
smtpchk_history_add(smtpchk_history *h, const smtpchk_history_entry *e)
{
    /* Numbers are Unsigned32: 2^32 - 1 runs, 136 years at one a second. */
    if (h->next_seq == 0)
        h->next_seq = 1; /* 0 is never a number */
    h->next_seq++;
    if (h->cap == 0)
        return;
    if (h->n == h->cap) {
        h->ring[h->head] = *e;
        h->head = (h->head + 1) % h->cap;
        return;
    }
    h->ring[(h->head + h->n) % h->cap] = *e;
    h->n++;
}

void
smtpchk_history_set_next(smtpchk_history *h, uint32_t next)
{
    if (next == 0 || next == h->next_seq)
        return;
    h->n = 0;
    h->head = 0;
    h->next_seq = next;
}

void
smtpchk_history_restore(smtpchk_history *h, uint32_t seq, const smtpchk_history_entry *e)
{
    if (seq == 0)
        return;
    smtpchk_history_set_next(h, seq);
    smtpchk_history_add(h, e);
}

int
smtpchk_history_entry_format(const smtpchk_history_entry *e, char *buf, size_t len)
{
    return snprintf(buf, len, "%" PRIu32 ".%" PRIu32 ".%" PRIu32 ".%" PRIu32 ".%d.%u.%u",
                    e->when, e->total_us, e->connect_us, e->status, e->code, e->error,
                    e->step);
}

/* The next number of s[*i..len), in [lo, hi], and the '.' after it. */
static int
take_num(const char *s, size_t len, size_t *i, long long lo, long long hi, long long *out)
{
    size_t start = *i;
    bool neg = *i < len && s[*i] == '-';
    long long v = 0;
    if (neg)
        (*i)++;
    for (; *i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 12; (*i)++)
        v = v * 10 + (s[*i] - '0');
    if (*i == start + (size_t)neg || (*i < len && s[*i] != '.'))
        return -1;
    v = neg ? -v : v;
    if (*i < len)
        (*i)++; /* the '.' */
    *out = v;
    return v < lo || v > hi ? -1 : 0;
}

int
smtpchk_history_entry_parse(const char *s, size_t len, smtpchk_history_entry *e)
{
    static const long long hi[7] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, 999,
                                    UINT8_MAX, UINT8_MAX};
    long long v[7];
    size_t i = 0;
    for (int k = 0; k < 7; k++)
        if (take_num(s, len, &i, k == 4 ? -1 : 0, hi[k], &v[k]) != 0)
            return -1;
    if (i != len || s[len - 1] == '.')
        return -1;
    *e = (smtpchk_history_entry){.when = (uint32_t)v[0], .total_us = (uint32_t)v[1],
                                 .connect_us = (uint32_t)v[2], .status = (uint32_t)v[3],
                                 .code = (int16_t)v[4], .error = (uint8_t)v[5],
                                 .step = (uint8_t)v[6]};
    return 0;
}

uint32_t
smtpchk_history_first_seq(const smtpchk_history *h)
{
    return h->next_seq - h->n;
}

const smtpchk_history_entry *
smtpchk_history_get(const smtpchk_history *h, uint32_t seq)
{
    uint32_t off = seq - smtpchk_history_first_seq(h);
    if (seq == 0 || h->n == 0 || off >= h->n)
        return NULL;
    return &h->ring[(h->head + off) % h->cap];
}

uint32_t
smtpchk_history_next(const smtpchk_history *h, uint32_t after)
{
    if (h->n == 0)
        return 0;
    uint32_t first = smtpchk_history_first_seq(h), last = first + h->n - 1;
    if (after < first)
        return first;
    return after < last ? after + 1 : 0;
}
