/* smtpcheck --config FILE: the checks of the file the SNMP module reads too. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static void
print_diags(const smtpchk_diag *d)
{
    for (size_t i = 0; i < smtpchk_diag_count(d, 0); i++)
        fprintf(stderr, "%s\n", smtpchk_diag_message(d, i));
}

static int
wanted(const cli *o, const char *name)
{
    if (o->nnames == 0)
        return 1;
    for (size_t i = 0; i < o->nnames; i++)
        if (strcmp(o->names[i], name) == 0)
            return 1;
    return 0;
}

static int
take_checks(cli *o, smtpchk_config *cfg)
{
    for (size_t i = 0; i < o->nnames; i++)
        if (smtpchk_config_find(cfg, o->names[i]) == NULL) {
            fprintf(stderr, "smtpcheck: no check named \"%s\" in %s\n", o->names[i], o->config);
            return ST_UNKNOWN;
        }
    for (size_t i = 0; i < cfg->n; i++) {
        smtpchk_config_entry *e = &cfg->entries[i];
        if (!wanted(o, e->check->name))
            continue;
        if (cli_add_target(o, e->check) != 0) {
            e->check = NULL;
            fprintf(stderr, "smtpcheck: out of memory\n");
            return ST_UNKNOWN;
        }
        e->check = NULL; /* taken: no copy */
    }
    if (o->max_in_flight == 0)
        o->max_in_flight = cfg->max_in_flight;
    if (o->max_per_server == 0)
        o->max_per_server = cfg->max_per_server;
    return 0;
}

int
cli_load_config(cli *o)
{
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    if (d == NULL) {
        fprintf(stderr, "smtpcheck: out of memory\n");
        return ST_UNKNOWN;
    }
    int rc = smtpchk_config_load(o->config, &cfg, d);
    print_diags(d);
    size_t errors = smtpchk_diag_count(d, 1);
    smtpchk_diag_free(d);
    if (o->check_config) {
        if (rc == 0)
            printf("%s: %zu checks, no errors\n", o->config, cfg->n);
        smtpchk_config_free(cfg);
        return rc == 0 ? ST_OK : ST_CRITICAL;
    }
    if (rc != 0) {
        fprintf(stderr, "smtpcheck: %s: %zu errors\n", o->config, errors);
        return ST_UNKNOWN;
    }
    rc = take_checks(o, cfg);
    smtpchk_config_free(cfg);
    return rc;
}
