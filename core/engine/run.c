/* One-shot runs for the CLI: an engine in the caller's thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void
fail_all(smtpchk_result *results, size_t n, const char *why)
{
    for (size_t i = 0; i < n; i++) {
        smtpchk_result_init(&results[i]);
        results[i].error = SMTPCHK_ERR_INTERNAL;
        snprintf(results[i].error_detail, sizeof(results[i].error_detail), "%s", why);
    }
}

static void
collect(smtpchk_engine *e, smtpchk_result *results, size_t n, const smtpchk_run_opts *o)
{
    smtpchk_engine_result batch[64];
    size_t got;
    while ((got = smtpchk_engine_drain(e, batch, 64)) > 0) {
        for (size_t i = 0; i < got; i++) {
            size_t idx = (size_t)batch[i].key;
            if (idx < n && batch[i].targets != NULL && o->targets != NULL)
                o->targets(o->ud, idx, batch[i].targets, batch[i].ntargets);
            smtpchk_engine_result_release(&batch[i]);
            if (idx >= n)
                continue;
            results[idx] = batch[i].result;
            if (o->done != NULL)
                o->done(o->ud, idx, &results[idx]);
        }
    }
}

int
smtpchk_run(const smtpchk_check *const *checks, size_t n, smtpchk_result *results,
            const smtpchk_run_opts *opts)
{
    static const smtpchk_run_opts none;
    const smtpchk_run_opts *o = opts ? opts : &none;
    char err[200];
    smtpchk_engine_opts eo = {
        .max_in_flight = o->max_in_flight,
        .max_per_server = o->max_per_server,
        .transcript = o->transcript,
        .ud = o->ud,
    };
    smtpchk_engine *e = smtpchk_engine_new(&eo, err, sizeof(err));
    smtpchk_engine_spec *specs = calloc(n ? n : 1, sizeof(*specs));
    if (e == NULL || specs == NULL) {
        fail_all(results, n, e == NULL ? err : "out of memory");
        smtpchk_engine_free(e);
        free(specs);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        specs[i] = (smtpchk_engine_spec){.key = i, .check = checks[i], .interval_ms = 60000};
    fail_all(results, n, "the check did not run");
    int rc = smtpchk_engine_set_checks(e, specs, n);
    free(specs);
    if (rc == 0)
        rc = smtpchk_engine_run_once(e);
    collect(e, results, n, o);
    smtpchk_engine_free(e);
    return rc;
}
