/*
 * bench/reload.c: what a reload of N checks costs the engine (issue 13).
 *
 *     reload N    prints one JSON object
 *
 * The checks point at 127.0.0.1:9 with a one-hour interval and a one-hour
 * first spread, so none of them runs while it is measured. Two figures:
 *   - main_ms: smtpchk_engine_set_checks with the engine's thread running,
 *     which is what the caller's thread (snmpd's main thread) pays;
 *   - apply_ms: the same call with no thread, where it also applies the
 *     set (engine_apply_set) in the caller's thread: the whole reload.
 * Both are medians of 5 reloads of a set whose every check changed (a new
 * EHLO name), over an engine that already holds N checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argnum.h"
#include "engine.h"
#include "smtpchk.h"

#define REPEATS 5

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static smtpchk_engine_spec *
make_specs(size_t n, int generation)
{
    smtpchk_engine_spec *v = calloc(n, sizeof(*v));
    char ehlo[64];
    snprintf(ehlo, sizeof(ehlo), "reload%d.example", generation);
    for (size_t i = 0; v != NULL && i < n; i++) {
        smtpchk_check *c = smtpchk_check_new();
        if (c == NULL)
            exit(1);
        c->host = strdup("127.0.0.1");
        c->port = 9;
        c->ehlo_name = strdup(ehlo);
        /* Keys in a scattered order, as a config's indexes may come. */
        v[i] = (smtpchk_engine_spec){.key = (i * 7919) % n + 1, .check = c,
                                     .interval_ms = 3600000};
    }
    return v;
}

static void
free_specs(smtpchk_engine_spec *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        smtpchk_check_free((smtpchk_check *)v[i].check);
    free(v);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median ms of REPEATS reloads; threaded: with the loop thread running. */
static double
measure(size_t n, int threaded)
{
    char err[200];
    smtpchk_engine_opts o = {.first_spread_ms = 3600000};
    smtpchk_engine *e = smtpchk_engine_new(&o, err, sizeof(err));
    if (e == NULL) {
        fprintf(stderr, "reload: %s\n", err);
        exit(1);
    }
    smtpchk_engine_spec *first = make_specs(n, 0);
    smtpchk_engine_set_checks(e, first, n); /* applied now: no thread yet */
    free_specs(first, n);
    if (threaded && smtpchk_engine_start(e) != 0)
        exit(1);
    double ms[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        smtpchk_engine_spec *v = make_specs(n, r + 1);
        double t0 = now_ms();
        if (smtpchk_engine_set_checks(e, v, n) != 0)
            exit(1);
        ms[r] = now_ms() - t0;
        free_specs(v, n);
    }
    smtpchk_engine_free(e);
    qsort(ms, REPEATS, sizeof(ms[0]), cmp_double);
    return ms[REPEATS / 2];
}

int
main(int argc, char **argv)
{
    long long nn = 10000;
    if (argc > 1 && bench_num(argv[1], 1, 10000000, &nn) != 0) {
        fprintf(stderr, "usage: reload [N (1..10000000)]\n");
        return 2;
    }
    size_t n = (size_t)nn;
    double main_ms = measure(n, 1);
    double apply_ms = measure(n, 0);
    printf("{\"checks\": %zu, \"main_ms\": %.3f, \"apply_ms\": %.3f}\n", n, main_ms, apply_ms);
    return 0;
}
