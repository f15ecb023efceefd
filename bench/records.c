/*
 * bench/records.c: what reading a state file costs in record.c, line by
 * line as the module's restore does it (smtpcheck_persist.c parses each
 * line, takes what it needs, frees it): the time per line (best of 5
 * passes) and the heap one parsed record holds (mallinfo2 around it,
 * malloc's headers included), mean and largest. glibc's tcache keeps
 * freed small chunks counted as in use, so turn it off for the heap
 * figure; count the allocations with valgrind's summary ("total heap
 * usage", over the 5 passes).
 *
 *     cc -O2 -Icore/include -o records bench/records.c build/core/libsmtpchk.a \
 *        -lssl -lcrypto -lcares -lconfig -lpthread
 *     GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ./records STATE_FILE
 *     valgrind ./records STATE_FILE
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

#define PASSES 5

static size_t
used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses every line as the restore does; heap held by each record into *held. */
static size_t
pass(FILE *f, char *line, size_t cap, size_t *held_sum, size_t *held_max)
{
    size_t n = 0;
    rewind(f);
    while (fgets(line, (int)cap, f) != NULL) {
        size_t m0 = used();
        smtpchk_record *rec = smtpchk_record_parse(line, strlen(line));
        size_t held = used() - m0;
        if (rec == NULL)
            continue;
        if (strcmp(smtpchk_record_kind(rec), "result") == 0) {
            smtpchk_result r;
            smtpchk_result_init(&r);
            smtpchk_record_get_result(rec, &r);
        }
        smtpchk_record_free(rec);
        *held_sum += held;
        *held_max = held > *held_max ? held : *held_max;
        n++;
    }
    return n;
}

int
main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    size_t cap = SMTPCHK_RECORD_MAX_LINE + 2;
    char *line = malloc(cap);
    if (f == NULL || line == NULL) {
        fprintf(stderr, "usage: records STATE_FILE\n");
        return 2;
    }
    double best = 1e9;
    size_t n = 0, held_sum = 0, held_max = 0;
    for (int p = 0; p < PASSES; p++) {
        held_sum = held_max = 0;
        double t0 = now_s();
        n = pass(f, line, cap, &held_sum, &held_max);
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
    if (n == 0)
        return 1;
    printf("%zu records: %.0f ns a line (best of %d), heap held by a record: mean %zu, max %zu "
           "bytes\n",
           n, best * 1e9 / (double)n, PASSES, held_sum / n, held_max);
    free(line);
    fclose(f);
    return 0;
}
