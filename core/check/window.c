/* Sliding-window figures from bucketed counts and histograms (window.h). */
#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BIN_BASE_US 256u

typedef struct span_def {
    uint32_t width;   /* seconds */
    uint32_t buckets;
    uint32_t first;   /* its first slot in the window's arrays */
} span_def;

static const span_def spans[SMTPCHK_WINDOW__COUNT] = {
    [SMTPCHK_WINDOW_1H] = {300, SMTPCHK_WINDOW_1H_BUCKETS, 0},
    [SMTPCHK_WINDOW_24H] = {7200, SMTPCHK_WINDOW_24H_BUCKETS, SMTPCHK_WINDOW_1H_BUCKETS},
};

uint32_t
smtpchk_window_width(smtpchk_window_span span)
{
    return spans[span].width;
}

uint32_t
smtpchk_window_buckets(smtpchk_window_span span)
{
    return spans[span].buckets;
}

/* The slot of bucket number num of a span. */
static uint32_t
slot_of(smtpchk_window_span span, uint32_t num)
{
    return spans[span].first + num % spans[span].buckets;
}

/* ---- bins: one byte each, or two in `wide` (window.h) ---- */

static uint32_t
bin_get(const smtpchk_window *w, uint32_t slot, unsigned bin)
{
    return w->wide != NULL ? w->wide[slot][bin] : w->bins[slot][bin];
}

/* Two bytes a bin from now on; false without memory. */
static bool
widen(smtpchk_window *w)
{
    w->wide = calloc(SMTPCHK_WINDOW_SLOTS, sizeof(*w->wide));
    if (w->wide == NULL)
        return false;
    for (uint32_t i = 0; i < SMTPCHK_WINDOW_SLOTS; i++)
        for (unsigned b = 0; b < SMTPCHK_WINDOW_BINS; b++)
            w->wide[i][b] = w->bins[i][b];
    memset(w->bins, 0, sizeof(w->bins));
    return true;
}

/* Sets a count (at most UINT16_MAX), widening the bins when it needs it. */
static void
bin_set(smtpchk_window *w, uint32_t slot, unsigned bin, uint32_t v)
{
    if (w->wide == NULL && v > UINT8_MAX && !widen(w))
        v = UINT8_MAX;
    if (w->wide != NULL)
        w->wide[slot][bin] = (uint16_t)v;
    else
        w->bins[slot][bin] = (uint8_t)v;
}

static void
empty_slot(smtpchk_window *w, uint32_t slot)
{
    w->runs[slot] = w->ok[slot] = 0;
    memset(w->bins[slot], 0, sizeof(w->bins[slot]));
    if (w->wide != NULL)
        memset(w->wide[slot], 0, sizeof(w->wide[slot]));
}

void
smtpchk_window_clear(smtpchk_window *w)
{
    free(w->wide);
    memset(w, 0, sizeof(*w));
}

/* ---- the histogram: bin 0 below 256 us, then half octaves ---- */

/* The lower edge of bin b (b >= 1): 256 us * 2^((b - 1) / 2). */
static uint32_t
bin_edge(unsigned b)
{
    unsigned k = (b - 1) / 2;
    uint32_t e = BIN_BASE_US << k;
    return (b - 1) % 2 ? (uint32_t)((uint64_t)e * 1448 / 1024) : e; /* sqrt(2) */
}

unsigned
smtpchk_window_bin(int64_t total_us)
{
    for (unsigned b = SMTPCHK_WINDOW_BINS - 1; b >= 1; b--)
        if (total_us >= (int64_t)bin_edge(b))
            return b;
    return 0;
}

uint32_t
smtpchk_window_bin_value(unsigned bin)
{
    if (bin == 0)
        return BIN_BASE_US / 2;
    if (bin >= SMTPCHK_WINDOW_BINS - 1) /* open above: its lower edge */
        return bin_edge(SMTPCHK_WINDOW_BINS - 1);
    return (uint32_t)((uint64_t)bin_edge(bin) * 1218 / 1024); /* 2^(1/4): the middle */
}

/* ---- adding ---- */

static uint16_t
inc16(uint16_t x)
{
    return x == UINT16_MAX ? x : (uint16_t)(x + 1);
}

/* Moves a span's newest bucket to number num, emptying the buckets it
 * passes over (all of them after a long gap). */
static void
advance(smtpchk_window *w, smtpchk_window_span span, uint32_t num)
{
    uint32_t n = spans[span].buckets, newest = w->newest[span];
    if (newest != 0 && num <= newest)
        return;
    uint32_t gap = newest == 0 || num - newest >= n ? n : num - newest;
    for (uint32_t i = 0; i < gap; i++)
        empty_slot(w, slot_of(span, num - i));
    w->newest[span] = num;
}

void
smtpchk_window_add(smtpchk_window *w, int64_t when, bool ok, int64_t total_us)
{
    if (when <= 0 || when > (int64_t)UINT32_MAX)
        return;
    for (int s = 0; s < SMTPCHK_WINDOW__COUNT; s++) {
        uint32_t num = (uint32_t)when / spans[s].width, n = spans[s].buckets;
        advance(w, (smtpchk_window_span)s, num);
        if (num + n <= w->newest[s])
            continue; /* the clock went back past this window */
        uint32_t slot = slot_of((smtpchk_window_span)s, num);
        w->runs[slot] = inc16(w->runs[slot]);
        if (!ok)
            continue;
        w->ok[slot] = inc16(w->ok[slot]);
        unsigned bin = smtpchk_window_bin(total_us);
        bin_set(w, slot, bin, inc16((uint16_t)bin_get(w, slot, bin)));
    }
}

/* ---- reading ---- */

/* The smallest bin where the count of successes reaches rank. */
static uint32_t
percentile(const uint32_t *bins, uint32_t ok, unsigned pct)
{
    if (ok == 0)
        return 0;
    uint64_t rank = ((uint64_t)ok * pct + 99) / 100, seen = 0; /* nearest rank */
    for (unsigned b = 0; b < SMTPCHK_WINDOW_BINS; b++) {
        seen += bins[b];
        if (seen >= rank)
            return smtpchk_window_bin_value(b);
    }
    return smtpchk_window_bin_value(SMTPCHK_WINDOW_BINS - 1);
}

void
smtpchk_window_stats_at(const smtpchk_window *w, smtpchk_window_span span, int64_t now,
                        smtpchk_window_stats *out)
{
    uint32_t n = spans[span].buckets, newest = w->newest[span], bins[SMTPCHK_WINDOW_BINS];
    uint32_t num_now = now <= 0 ? 0 : (uint32_t)(now / spans[span].width);
    memset(out, 0, sizeof(*out));
    memset(bins, 0, sizeof(bins));
    for (uint32_t i = 0; newest != 0 && i < n && i <= num_now; i++) {
        uint32_t num = num_now - i;
        if (num > newest || num + n <= newest)
            continue; /* not kept: empty, or overwritten */
        uint32_t slot = slot_of(span, num);
        out->runs += w->runs[slot];
        out->ok += w->ok[slot];
        for (unsigned k = 0; k < NELEM(bins); k++)
            bins[k] += bin_get(w, slot, k);
    }
    out->availability = out->runs ? (uint32_t)((uint64_t)out->ok * 1000 / out->runs) : 0;
    out->p50_us = percentile(bins, out->ok, 50);
    out->p95_us = percentile(bins, out->ok, 95);
    out->p99_us = percentile(bins, out->ok, 99);
}

/* ---- text ---- */

/* Appends "SEP A.B" like snprintf, counting what did not fit. */
static void
put(char *buf, size_t len, size_t *at, const char *sep, unsigned a, unsigned b)
{
    int n = snprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, "%s%u.%u", sep,
                     a, b);
    *at += n > 0 ? (size_t)n : 0;
}

size_t
smtpchk_window_format(const smtpchk_window *w, char *buf, size_t len)
{
    size_t at = 0;
    if (len > 0)
        buf[0] = '\0';
    for (int s = 0; s < SMTPCHK_WINDOW__COUNT; s++)
        for (uint32_t i = 0; i < spans[s].buckets; i++) {
            uint32_t slot = spans[s].first + i;
            if (w->runs[slot] == 0)
                continue;
            put(buf, len, &at, at ? "," : "", (unsigned)s, i);
            put(buf, len, &at, ".", w->runs[slot], w->ok[slot]);
            for (unsigned k = 0; k < SMTPCHK_WINDOW_BINS; k++)
                if (bin_get(w, slot, k) != 0)
                    put(buf, len, &at, "/", k, bin_get(w, slot, k));
        }
    return at;
}

_Static_assert(SMTPCHK_WINDOW_BINS <= 64, "a bucket's bins fit one 64-bit mask");

/* A number of at most 5 digits, at most hi; *s moves past it. */
static int
num(const char **s, unsigned hi, unsigned *out)
{
    char *end;
    if (**s < '0' || **s > '9')
        return -1;
    unsigned long v = strtoul(*s, &end, 10);
    if (end - *s > 5 || v > hi)
        return -1;
    *s = end;
    *out = (unsigned)v;
    return 0;
}

/* "A.B": two numbers and the dot between them. */
static int
pair(const char **s, unsigned hi_a, unsigned hi_b, unsigned *a, unsigned *b)
{
    if (num(s, hi_a, a) != 0 || **s != '.')
        return -1;
    (*s)++;
    return num(s, hi_b, b);
}

static int
parse_bucket(smtpchk_window *w, const char **s)
{
    unsigned span, slot, runs, ok, bin, count;
    if (pair(s, SMTPCHK_WINDOW__COUNT - 1, 99, &span, &slot) != 0 ||
        slot >= spans[span].buckets || **s != '.')
        return -1;
    (*s)++;
    if (pair(s, UINT16_MAX, UINT16_MAX, &runs, &ok) != 0 || ok > runs)
        return -1;
    slot += spans[span].first;
    w->runs[slot] = (uint16_t)runs;
    w->ok[slot] = (uint16_t)ok;
    uint64_t seen = 0, sum = 0;
    while (**s == '/') {
        (*s)++;
        if (pair(s, SMTPCHK_WINDOW_BINS - 1, UINT16_MAX, &bin, &count) != 0 ||
            (seen & (UINT64_C(1) << bin)) != 0)
            return -1; /* a bin given twice */
        seen |= UINT64_C(1) << bin;
        sum += count;
        bin_set(w, slot, bin, count);
    }
    /* Every success is in one bin; only a saturated ok may fall short. */
    return sum == ok || (ok == UINT16_MAX && sum > ok) ? 0 : -1;
}

/* Every bucket emptied, one byte a bin again; `newest` stays. */
static void
empty(smtpchk_window *w)
{
    uint32_t newest[SMTPCHK_WINDOW__COUNT];
    memcpy(newest, w->newest, sizeof(newest));
    smtpchk_window_clear(w);
    memcpy(w->newest, newest, sizeof(newest));
}

int
smtpchk_window_parse(smtpchk_window *w, const char *s)
{
    empty(w);
    if (*s == '\0')
        return 0;
    for (;;) {
        if (parse_bucket(w, &s) != 0)
            break;
        if (*s == '\0')
            return 0;
        if (*s++ != ',')
            break;
    }
    empty(w);
    return -1;
}
