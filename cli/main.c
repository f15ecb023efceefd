/* smtpcheck: run SMTP checks from the command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

typedef struct run_ctx {
    const cli *o;
    size_t done, total;
    int tty;
} run_ctx;

static void
on_transcript(void *ud, const smtpchk_check *c, char dir, const char *line, size_t len)
{
    (void)ud;
    const char *who = dir == '>' ? "C:" : dir == '<' ? "S:" : "* ";
    fprintf(stderr, "[%s] %s %.*s\n", c->name ? c->name : c->host, who, (int)len, line);
}

static void
on_done(void *ud, size_t idx, const smtpchk_result *r)
{
    (void)idx;
    (void)r;
    run_ctx *ctx = ud;
    ctx->done++;
    if (ctx->o->progress && ctx->tty)
        fprintf(stderr, "\r%zu/%zu checks done", ctx->done, ctx->total);
}

static int
report(const cli *o, smtpchk_result *res)
{
    const smtpchk_check *const *checks = (const smtpchk_check *const *)o->targets;
    if (o->format == OUT_NAGIOS)
        return output_nagios(o, checks, res, o->ntargets);
    int worst = ST_OK;
    for (size_t i = 0; i < o->ntargets; i++) {
        int st = cli_state(o, &res[i]);
        worst = st > worst ? st : worst;
        if (o->format == OUT_HUMAN)
            output_human(o, checks[i], &res[i]);
    }
    if (o->format == OUT_JSON)
        output_json(o, checks, res, o->ntargets);
    return worst;
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    cli o;
    int rc = cli_parse(argc, argv, &o);
    if (rc == 0 && o.list_fields)
        cli_list_fields(stdout);
    else if (rc == 0 && o.config != NULL)
        rc = cli_load_config(&o);
    else if (rc == 0 && o.check_config)
        printf("command line: %zu checks, no errors\n", o.ntargets);
    if (rc != 0 || o.check_config || o.list_fields) {
        cli_free(&o);
        return rc;
    }
    smtpchk_result *res = calloc(o.ntargets, sizeof(*res));
    if (res == NULL) {
        fprintf(stderr, "smtpcheck: out of memory\n");
        cli_free(&o);
        return ST_UNKNOWN;
    }
    run_ctx ctx = {.o = &o, .total = o.ntargets, .tty = isatty(STDERR_FILENO)};
    smtpchk_run_opts ro = {
        .max_in_flight = o.max_in_flight,
        .transcript = o.verbose ? on_transcript : NULL,
        .done = on_done,
        .ud = &ctx,
    };
    smtpchk_run((const smtpchk_check *const *)o.targets, o.ntargets, res, &ro);
    if (o.progress && ctx.tty)
        fputc('\n', stderr);
    rc = report(&o, res);
    free(res);
    cli_free(&o);
    return rc;
}
