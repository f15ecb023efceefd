/* The human output: a table of the phases, the facts, a verdict line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "values.h"

static void
phases(const smtpchk_result *r)
{
    printf("  %-10s %10s\n", "phase", "time");
    for (size_t i = 0; i < SMTPCHK_PHASE__COUNT; i++) {
        const char *name = smtpchk_phase_name((smtpchk_phase)i);
        if (r->phase_us[i] < 0)
            printf("  %-10s %10s\n", name, "-");
        else
            printf("  %-10s %7.1f ms\n", name, cli_ms(r->phase_us[i]));
    }
}

/* Each present field flagged for people, "  tls version: TLSv1.3". */
static void
facts(const smtpchk_result *r)
{
    char text[SMTPCHK_TEXT_MAX + 32], label[64];
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        smtpchk_value v = smtpchk_field_get(f, r);
        if (!(f->flags & SMTPCHK_FF_HUMAN) || !v.present)
            continue;
        snprintf(label, sizeof(label), "%s", f->name);
        for (char *p = label; *p != '\0'; p++)
            if (*p == '_')
                *p = ' ';
        cli_value_text(f, v, text, sizeof(text));
        printf("  %s: %s\n", label, text);
    }
}

static void
verdict(int st, const smtpchk_result *r)
{
    if (r->error == SMTPCHK_OK) {
        printf("%s: every step passed (response code 0)\n", cli_state_word(st));
        return;
    }
    printf("%s: %s at %s: %s (response code %d)%s%s\n", cli_state_word(st),
           smtpchk_error_name(r->error), smtpchk_step_name(r->failed_step), r->error_detail,
           r->response_code, r->reply_text[0] ? "; server said: " : "", r->reply_text);
}

/* One line per target of an MX check, in the order they ran. */
static void
targets(const cli *o, const cli_mx *mx)
{
    for (size_t i = 0; mx != NULL && i < mx->n; i++) {
        const smtpchk_target *t = &mx->t[i];
        const smtpchk_result *r = &t->result;
        printf("  target %zu: %s", i + 1, t->mx);
        if (t->preference >= 0)
            printf(" (MX %d%s)", t->preference, t->via_cname ? ", a CNAME" : "");
        else
            printf(" (no MX: the domain's address)");
        printf(" %s: %s", t->address[0] ? t->address : "no address",
               cli_state_word(cli_state(o, r)));
        if (r->error == SMTPCHK_OK)
            printf(", %.1f ms\n", cli_ms(r->phase_us[SMTPCHK_PHASE_TOTAL]));
        else
            printf(", %s at %s: %s\n", smtpchk_error_name(r->error),
                   smtpchk_step_name(r->failed_step), r->error_detail);
    }
}

void
output_human(const cli *o, const smtpchk_check *c, const smtpchk_result *r, const cli_mx *mx)
{
    if (c->mx != NULL)
        printf("%s  MX of %s (policy %s), %zu targets\n", cli_label(c), c->mx,
               smtpchk_mx_policy_name(c->mx_policy), mx != NULL ? mx->n : 0);
    targets(o, mx);
    printf("%s  %s %s port %u, security %s%s%s\n", cli_label(c),
           smtpchk_protocol_name(c->protocol), smtpchk_check_target(c),
           (unsigned)smtpchk_check_port(c), smtpchk_security_name(c->security),
           r->peer[0] ? ", connected to " : "", r->peer);
    phases(r);
    facts(r);
    for (size_t i = 0; i < r->nprobes && i < c->nprobes; i++)
        printf("  probe %s: %d\n", c->probes[i], r->probe_codes[i]);
    verdict(cli_state(o, r), r);
}
