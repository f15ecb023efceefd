/*
 * Runs a set of checks once, concurrently, in the calling thread: one
 * poll loop over every job in flight, with a cap on concurrency.
 */
#ifndef SMTPCHK_RUNNER_H
#define SMTPCHK_RUNNER_H

#include <stddef.h>

#include "smtpchk.h"

typedef struct smtpchk_run_opts {
    size_t max_in_flight;     /* 0 = 256 */
    const char *default_ehlo; /* NULL = smtpchk_default_ehlo() */
    /* Optional: the transcript of check idx ('>' sent, '<' received, '*' event). */
    void (*transcript)(void *ud, size_t idx, char dir, const char *line, size_t len);
    /* Optional: called as each check finishes. */
    void (*done)(void *ud, size_t idx, const smtpchk_result *r);
    void *ud;
} smtpchk_run_opts;

/* Fills results[i] for each checks[i]. Returns 0, or -1 if the loop could
 * not run at all (then every result says internalError). */
int smtpchk_run(const smtpchk_check *const *checks, size_t n, smtpchk_result *results,
                const smtpchk_run_opts *opts);

/* This host's name for EHLO: its FQDN when known. Computed once. */
const char *smtpchk_default_ehlo(void);

#endif
