/* --nagios: one status line and perfdata for every timing (fields.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "values.h"

/*
 * Text in the status line: the server controls most of it, and a '|'
 * would start perfdata of its choosing, a line break a long-output
 * section. Both become '/'.
 */
static void
status_text(const char *s)
{
    for (; *s != '\0'; s++)
        putchar(*s == '|' || *s == '\n' || *s == '\r' ? '/' : *s);
}

/* A perfdata label is quoted: no quote, '=' or '|' inside. */
static void
label_text(const char *prefix, const char *name)
{
    putchar('\'');
    for (const char *parts[] = {prefix, name}, **p = parts; p < parts + 2; p++)
        for (const char *c = *p; *c != '\0'; c++)
            putchar(*c == '\'' || *c == '=' || *c == '|' ? '_' : *c);
    putchar('\'');
}

/* The thresholds of the total time (-w, -c) and of the delivery time. */
static void
perf_thresholds(const cli_range *warn, const cli_range *crit)
{
    if (!warn->set && !crit->set)
        return;
    /* The ranges are in seconds; the value is in ms. */
    char w[80], c[80];
    cli_range_format(warn, 1000.0, w, sizeof(w));
    cli_range_format(crit, 1000.0, c, sizeof(c));
    printf(";%s;%s", w, c);
}

/* Every timing, always: a phase that did not run is 'U' (undetermined),
 * so graphs keep the same labels; other perfdata fields when present. */
static void
perf_field(const cli *o, const char *prefix, const smtpchk_field *f, const smtpchk_result *r)
{
    smtpchk_value v = smtpchk_field_get(f, r);
    if (f->type == SMTPCHK_FT_DURATION) {
        putchar(' ');
        label_text(prefix, f->name);
        if (!v.present)
            printf("=U");
        else
            printf("=%.3fms", cli_ms(v.i));
        if (f->offset == offsetof(smtpchk_result, phase_us[SMTPCHK_PHASE_TOTAL]))
            perf_thresholds(&o->warn, &o->crit);
        else if (f->offset == offsetof(smtpchk_result, phase_us[SMTPCHK_PHASE_DELIVERY]))
            perf_thresholds(&o->dwarn, &o->dcrit);
    } else if ((f->flags & SMTPCHK_FF_PERFDATA) && v.present) {
        putchar(' ');
        label_text(prefix, f->name);
        printf("=%lld", (long long)v.i);
    }
}

static void
perfdata(const cli *o, const char *prefix, const smtpchk_result *r)
{
    for (size_t i = 0; i < smtpchk_field_count(); i++)
        perf_field(o, prefix, smtpchk_field_at(i), r);
}

/* An MX check's targets: each one's total time, 'U' when it failed. */
static void
target_perfdata(const cli *o, const char *prefix, const cli_mx *mx)
{
    (void)o;
    for (size_t i = 0; mx != NULL && i < mx->n; i++) {
        const smtpchk_result *r = &mx->t[i].result;
        char label[128];
        snprintf(label, sizeof(label), "%starget%zu_%s_", prefix, i + 1, mx->t[i].address);
        putchar(' ');
        label_text(label, "total_time");
        if (r->error != SMTPCHK_OK || r->phase_us[SMTPCHK_PHASE_TOTAL] < 0)
            printf("=U");
        else
            printf("=%.3fms", cli_ms(r->phase_us[SMTPCHK_PHASE_TOTAL]));
    }
}

static void
nagios_summary(const cli *o, const smtpchk_check *c, const smtpchk_result *r)
{
    status_text(cli_label(c));
    char why[160];
    cli_state_why(o, r, why, sizeof(why));
    if (why[0] != '\0')
        printf(": %s", why); /* the threshold crossed, first */
    if (r->error == SMTPCHK_OK) {
        printf("%s%.1f ms", why[0] ? "; " : ": ", cli_ms(r->phase_us[SMTPCHK_PHASE_TOTAL]));
        if (r->tls) {
            fputs(", ", stdout);
            status_text(r->tls_version);
        }
        if (r->has_cert)
            printf(", certificate %d days left", r->cert_days_left);
        return;
    }
    printf(": %s at %s (response code %d): ", smtpchk_error_name(r->error),
           smtpchk_step_name(r->failed_step), r->response_code);
    status_text(r->reply_text[0] ? r->reply_text : r->error_detail);
}

/* The service in the status line, as check_smtp and check_imap name theirs:
 * the checks' protocol, or MAIL when they mix protocols. */
static void
service_name(const smtpchk_check *const *c, size_t n, char *buf, size_t len)
{
    const char *name = n > 0 ? smtpchk_protocol_name(c[0]->protocol) : "smtp";
    for (size_t i = 1; i < n; i++)
        if (c[i]->protocol != c[0]->protocol)
            name = "mail";
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < len; i++)
        buf[i] = (char)toupper((unsigned char)name[i]);
    buf[i] = '\0';
}

int
output_nagios(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n)
{
    int worst = ST_OK;
    for (size_t i = 0; i < n; i++) {
        int st = cli_state(o, &r[i]);
        worst = st > worst ? st : worst;
    }
    char service[16];
    service_name(c, n, service, sizeof(service));
    printf("%s %s - ", service, cli_state_word(worst));
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (n > 1 && cli_state(o, &r[i]) != worst)
            continue;
        fputs(sep, stdout);
        nagios_summary(o, c[i], &r[i]);
        sep = "; ";
    }
    fputs(" |", stdout);
    for (size_t i = 0; i < n; i++) {
        char prefix[80] = "";
        if (n > 1)
            snprintf(prefix, sizeof(prefix), "%s_", cli_label(c[i]));
        perfdata(o, prefix, &r[i]);
        target_perfdata(o, prefix, o->mx != NULL ? &o->mx[i] : NULL);
    }
    putchar('\n');
    return worst;
}
