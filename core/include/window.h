/*
 * A check's figures over sliding windows of 1 h and 24 h: runs,
 * availability (successful runs per mille) and the 50th, 95th and 99th
 * percentiles of the total time of the successful runs. A compact sketch,
 * independent of the history's length: 12 five-minute buckets and 12
 * two-hour buckets, each with its run and success counts and a
 * log-scale histogram of total times (32 bins, half an octave each):
 * 880 bytes a check (768 more for one that runs more often than every
 * 30 s; see smtpchk_window).
 *
 * Accuracy (docs/mib.md): the 1 h window is the current five-minute
 * bucket and the 11 before it (the last 55 to 60 minutes); the 24 h
 * window is the current two-hour bucket and the 11 before it (22 to 24
 * hours). A
 * percentile is the middle of the half-octave bin that holds the true
 * (nearest-rank) percentile: within a factor 2^(1/4) (-16 %, +19 %) of it
 * between 256 us and 8.4 s; a time below 256 us reads 128 us, one at or
 * above 8388608 us reads 8388608 us. Counts are exact.
 *
 * Pure: the caller gives every time (Unix seconds), so tests need no clock.
 */
#ifndef SMTPCHK_WINDOW_H
#define SMTPCHK_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPCHK_WINDOW_BINS 32

typedef enum smtpchk_window_span {
    SMTPCHK_WINDOW_1H,  /* 12 buckets of 5 minutes */
    SMTPCHK_WINDOW_24H, /* 12 buckets of 2 hours */
    SMTPCHK_WINDOW__COUNT
} smtpchk_window_span;

#define SMTPCHK_WINDOW_1H_BUCKETS 12
#define SMTPCHK_WINDOW_24H_BUCKETS 12
#define SMTPCHK_WINDOW_SLOTS (SMTPCHK_WINDOW_1H_BUCKETS + SMTPCHK_WINDOW_24H_BUCKETS)

/*
 * Bucket slot: the 1 h span's number % 12, the 24 h span's 12 + number %
 * 12. A bin's count takes one byte while every count fits, as it does for
 * a check every 30 s or slower: one run ends per interval, so a two-hour
 * bucket holds about 7200 / 30 = 240 of them. From the first count above
 * 255 (a faster check), the window keeps two bytes a bin in `wide`
 * (saturating, like runs and ok) until smtpchk_window_clear or a parse:
 * the counts are exact either way, only the memory differs. All zero is
 * an empty window.
 */
typedef struct smtpchk_window {
    /* The number (Unix time / width) of each span's newest bucket; 0 = none. */
    uint32_t newest[SMTPCHK_WINDOW__COUNT];
    uint16_t runs[SMTPCHK_WINDOW_SLOTS]; /* saturating */
    uint16_t ok[SMTPCHK_WINDOW_SLOTS];   /* saturating */
    uint8_t bins[SMTPCHK_WINDOW_SLOTS][SMTPCHK_WINDOW_BINS]; /* successes by total time */
    uint16_t (*wide)[SMTPCHK_WINDOW_BINS]; /* instead of bins once one needs it; or NULL */
} smtpchk_window;

typedef struct smtpchk_window_stats {
    uint32_t runs, ok;
    uint32_t availability;          /* ok * 1000 / runs, rounded down; 0 when runs == 0 */
    uint32_t p50_us, p95_us, p99_us; /* 0 when no run succeeded */
} smtpchk_window_stats;

/* Counts one run that ended at `when`; total_us is taken for a success
 * (ok) only. A run older than a span's window is left out of that span.
 * Without memory for two-byte bins, a count stops at 255. */
void smtpchk_window_add(smtpchk_window *w, int64_t when, bool ok, int64_t total_us);
/* The figures of one span as seen at `now`. */
void smtpchk_window_stats_at(const smtpchk_window *w, smtpchk_window_span span, int64_t now,
                             smtpchk_window_stats *out);
/* The bucket width of a span in seconds, and its number of buckets. */
uint32_t smtpchk_window_width(smtpchk_window_span span);
uint32_t smtpchk_window_buckets(smtpchk_window_span span);
/* Empties w and frees what it holds (the two-byte bins). */
void smtpchk_window_clear(smtpchk_window *w);
/*
 * The buckets as text for the persisted state: "SPAN.SLOT.RUNS.OK" then
 * "/BIN.COUNT" for each bin in use, buckets joined by ','; empty buckets
 * are left out. format returns the length it needed (like snprintf);
 * parse fills w's buckets (not `newest`) and returns 0, or -1 with every
 * bucket emptied when the text is bad. The text is the same whatever the
 * width of the bins.
 */
size_t smtpchk_window_format(const smtpchk_window *w, char *buf, size_t len);
int smtpchk_window_parse(smtpchk_window *w, const char *s);
/* The histogram: the bin of a total time, and the value a bin reads as. */
unsigned smtpchk_window_bin(int64_t total_us);
uint32_t smtpchk_window_bin_value(unsigned bin);

#endif
