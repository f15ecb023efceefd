/*
 * The usage text and --list-fields: both generated from the check schema
 * and the table of run options (options.c), so that neither can forget
 * an option.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
usage_line(FILE *out, int short_opt, const char *name, const char *arg, const char *doc,
           const char *extra)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "%c%c%s--%s%s%s", short_opt ? '-' : ' ',
             short_opt ? short_opt : ' ', short_opt ? ", " : "  ", name, arg ? " " : "",
             arg ? arg : "");
    fprintf(out, "  %-30s %s%s\n", spec, doc, extra);
}

static void
usage_field(FILE *out, const smtpchk_setting *f)
{
    char range[128], extra[256] = "";
    const char *def = f->def_doc != NULL ? f->def_doc : f->def;
    smtpchk_schema_describe(f, range, sizeof(range));
    if (range[0] != '\0' || (def != NULL && !(f->flags & SMTPCHK_F_FLAG)))
        snprintf(extra, sizeof(extra), " (%s%s%s%s)", range, range[0] && def ? "; " : "",
                 def != NULL ? "default " : "", def != NULL ? def : "");
    usage_line(out, f->short_opt, f->option, f->arg, f->doc, extra);
}

void
cli_usage(FILE *out)
{
    fputs("usage: smtpcheck [options] HOST[:PORT]...\n"
          "       smtpcheck --config FILE [NAME...]      (the checks of a check file)\n"
          "       smtpcheck --config FILE --check-config (validate it)\n",
          out);
    size_t prev_len = (size_t)-1;
    const char *prev = "";
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const smtpchk_setting *f = smtpchk_schema_field(i);
        size_t glen = smtpchk_schema_group_len(f);
        if (f->option == NULL)
            continue;
        if (glen != prev_len || strncmp(f->key, prev, glen) != 0)
            fprintf(out, "%s:\n", smtpchk_schema_group_title(f->key, glen));
        prev = f->key;
        prev_len = glen;
        usage_field(out, f);
    }
    fputs("Output and run:\n", out);
    for (size_t i = 0; i < cli_run_nopts; i++)
        usage_line(out, cli_run_opts[i].short_opt, cli_run_opts[i].name, cli_run_opts[i].arg,
                   cli_run_opts[i].doc, "");
    fputs("A RANGE is seconds in the monitoring-plugins syntax: 10, 10:, ~:10, 10:20, "
          "@10:20.\nThe password may also come from SMTPCHECK_PASSWORD. See docs/cli.md.\n",
          out);
}

static void
list_field(FILE *out, const smtpchk_setting *f)
{
    char range[128], flags[160] = "", scope[32], protocols[32];
    smtpchk_schema_describe(f, range, sizeof(range));
    for (unsigned b = 1; b != 0 && smtpchk_schema_flag_name(b) != NULL; b <<= 1)
        if (f->flags & b)
            snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s",
                     flags[0] ? "," : "", smtpchk_schema_flag_name(b));
    snprintf(scope, sizeof(scope), "%s%s%s", f->scope & SMTPCHK_IN_DEFAULTS ? "defaults" : "",
             f->scope == (SMTPCHK_IN_DEFAULTS | SMTPCHK_IN_CHECK) ? "," : "",
             f->scope & SMTPCHK_IN_CHECK ? "check" : "");
    fprintf(out, "field\t%s\t%s\t%c\t%s\t%s\t%s\t%s\t%s\t%.10g\t%.10g\t", f->key,
            f->option ? f->option : "", f->short_opt ? f->short_opt : '-', f->arg ? f->arg : "",
            smtpchk_stype_name(f->type), smtpchk_syntax_name(f->syntax), scope, flags, f->lo,
            f->hi);
    for (size_t i = 0; smtpchk_schema_value_name(f, i) != NULL; i++)
        fprintf(out, "%s%s", i ? "," : "", smtpchk_schema_value_name(f, i));
    smtpchk_schema_protocols_text(f, protocols, sizeof(protocols));
    fprintf(out, "\t%s\t%s\t%s\t%s\t%s\t%s\n", range, f->def ? f->def : "",
            f->def_doc ? f->def_doc : (f->def ? f->def : ""), f->example ? f->example : "", f->doc,
            protocols);
}

void
cli_list_fields(FILE *out)
{
    fputs("#kind\tkey\toption\tshort\targ\ttype\tsyntax\tscope\tflags\tlo\thi\tvalues\t"
          "range\tdefault\tdefault_doc\texample\tdoc\tprotocols\n",
          out);
    for (size_t i = 0; i < smtpchk_schema_count(); i++)
        list_field(out, smtpchk_schema_field(i));
    for (size_t i = 0; i < smtpchk_schema_rule_count(); i++) {
        const smtpchk_rule *r = smtpchk_schema_rule(i);
        fprintf(out, "rule\t%s\t%s\t%s\t%s\n", smtpchk_rule_kind_name(r->kind), r->first, r->second,
                r->summary ? r->summary : "");
    }
    for (size_t i = 0; i < cli_run_nopts; i++)
        fprintf(out, "option\t%s\t%c\t%s\t%s\n", cli_run_opts[i].name,
                cli_run_opts[i].short_opt ? cli_run_opts[i].short_opt : '-',
                cli_run_opts[i].arg ? cli_run_opts[i].arg : "", cli_run_opts[i].doc);
}
