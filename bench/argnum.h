/*
 * bench/argnum.h: a whole decimal number in [min, max] from a bench tool's
 * argument or config line (trailing blanks allowed), for the tools built
 * one file at a time with cc. atoi would read "1e4" as 1 and "x" as 0.
 */
#ifndef BENCH_ARGNUM_H
#define BENCH_ARGNUM_H

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

/* 0 and *out set, or -1 (not a number, trailing text, out of range). */
static inline int
bench_num(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno == ERANGE || v < min || v > max)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

#endif
