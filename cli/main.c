/* smtpcheck: run SMTP checks from the command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "values.h"

typedef struct run_ctx {
    const cli *o;
    size_t done, total;
    int tty;
} run_ctx;

/*
 * Transcript text comes from the server: control bytes (ESC sequences
 * could drive the operator's terminal) and bytes outside well-formed
 * UTF-8 are shown as \xHH, and a backslash as \\.
 */
static void
print_escaped(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = smtpchk_utf8_seq_len(p + i, len - i);
        if (n == 0 || p[i] < 0x20 || p[i] == 0x7f)
            fprintf(stderr, "\\x%02x", p[i]);
        else if (p[i] == '\\')
            fputs("\\\\", stderr);
        else
            fwrite(p + i, 1, n, stderr);
        i += n > 0 ? n : 1;
    }
}

static void
on_transcript(void *ud, const smtpchk_check *c, char dir, const char *line, size_t len)
{
    (void)ud;
    const char *who = dir == '>' ? "C:" : dir == '<' ? "S:" : "* ";
    const char *label = cli_label(c);
    fputc('[', stderr);
    print_escaped(label, strlen(label));
    fprintf(stderr, "] %s ", who);
    print_escaped(line, len);
    fputc('\n', stderr);
}

/* Keeps an MX check's targets for the output (the engine frees its own). */
static void
on_targets(void *ud, size_t idx, const smtpchk_target *t, size_t n)
{
    run_ctx *ctx = ud;
    cli_mx *m = &ctx->o->mx[idx];
    free(m->t);
    m->t = malloc(n * sizeof(*t));
    m->n = m->t != NULL ? n : 0;
    if (m->t != NULL)
        memcpy(m->t, t, n * sizeof(*t));
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
            output_human(o, checks[i], &res[i], &o->mx[i]);
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
    o.mx = calloc(o.ntargets ? o.ntargets : 1, sizeof(*o.mx));
    if (res == NULL || o.mx == NULL) {
        free(res);
        fprintf(stderr, "smtpcheck: out of memory\n");
        cli_free(&o);
        return ST_UNKNOWN;
    }
    run_ctx ctx = {.o = &o, .total = o.ntargets, .tty = isatty(STDERR_FILENO)};
    smtpchk_run_opts ro = {
        .max_in_flight = o.max_in_flight,
        .max_per_server = o.max_per_server,
        .transcript = o.verbose ? on_transcript : NULL,
        .done = on_done,
        .targets = on_targets,
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
