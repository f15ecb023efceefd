/*
 * snmpd.conf: `smtpcheckConfig /path/to/smtpcheck.conf`. The check file is
 * read after every config read (start and SIGHUP). A bad file, or one the
 * agent cannot read any more, is logged with file:line for every problem
 * and changes nothing: the last good configuration stays, also across
 * the module reload that SIGHUP does (smtpcheck_kept.h keeps it in memory,
 * secrets included, so nothing is re-read as the unprivileged user).
 */
#include "smtpcheck_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpCheckAlarmTable.h"
#include "smtpCheckTable.h"
#include "smtpcheck.h"
#include "smtpcheck_engine.h"
#include "smtpcheck_files.h"
#include "smtpcheck_kept.h"
#include "smtpcheck_persist.h"

#define TOKEN "smtpcheckConfig"

/* Net-SNMP calls the token's parser without a client argument. */
static void
parse_smtpcheckConfig(const char *token, char *line)
{
    (void)token;
    sc_module *m = smtpcheck_instance();
    if (m == NULL)
        return;
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    p[strcspn(p, " \t\r\n")] = '\0';
    if (p[0] != '/') {
        config_perror(TOKEN " needs an absolute path");
        return;
    }
    snprintf(m->globals.config_path, sizeof(m->globals.config_path), "%s", p);
}

static void
release_smtpcheckConfig(void)
{
    sc_module *m = smtpcheck_instance();
    if (m != NULL)
        m->globals.config_path[0] = '\0';
}

static void
log_diags(const smtpchk_diag *d)
{
    for (size_t i = 0; i < smtpchk_diag_count(d, 0); i++)
        snmp_log(smtpchk_diag_is_error(d, i) ? LOG_ERR : LOG_WARNING, "smtpcheck: %s\n",
                 smtpchk_diag_message(d, i));
}

/* Rows: update the kept ones, add the new ones, drop the rest. */
static void
apply_rows(sc_module *m, const smtpchk_config *cfg)
{
    sc_row *r = smtpCheckTable_first(m);
    while (r != NULL) {
        sc_row *next = smtpCheckTable_next(m, r);
        if (smtpchk_config_find_index(cfg, r->index) == NULL) {
            smtpCheckTable_remove(m, r);
            sc_row_free(r);
        }
        r = next;
    }
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        sc_row *row = smtpCheckTable_find(m, e->check->index);
        int fresh = row == NULL;
        if (fresh &&
            ((row = sc_row_new(e->check->index)) == NULL || smtpCheckTable_add(m, row))) {
            sc_row_free(row);
            continue;
        }
        if (sc_row_describe(row, e) != 0)
            snmp_log(LOG_ERR, "smtpcheck: check %u: no memory for its history\n", row->index);
        if (fresh)
            smtpcheck_persist_restore(m, row);
        smtpCheckAlarmTable_sync(m, row);
    }
}

/*
 * When the check's last run ended, for a new engine to go on with its
 * schedule (a reload makes a new engine, as the module is reloaded): the
 * row's, restored or kept. 0, for a new schedule, when the interval or
 * jitter changed since the last configuration (as the engine does for a
 * key it knows); a changed check otherwise keeps its schedule and is
 * used from its next run, as in smtpchk_engine_set_checks.
 */
static int64_t
last_end_of(sc_module *m, const smtpchk_config_entry *e)
{
    const smtpchk_config *prev = smtpcheck_kept_get();
    const smtpchk_config_entry *was =
        prev != NULL ? smtpchk_config_find_index(prev, e->check->index) : NULL;
    if (prev != NULL &&
        (was == NULL || was->interval_ms != e->interval_ms || was->jitter_ms != e->jitter_ms))
        return 0;
    const sc_row *row = smtpCheckTable_find(m, e->check->index);
    return row != NULL ? row->last_run : 0;
}

static int
apply_engine(sc_module *m, const smtpchk_config *cfg)
{
    smtpchk_engine_spec *specs = calloc(cfg->n ? cfg->n : 1, sizeof(*specs));
    if (specs == NULL)
        return -1;
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        specs[i] = (smtpchk_engine_spec){.key = e->check->index, .check = e->check,
                                         .interval_ms = e->interval_ms,
                                         .jitter_ms = e->jitter_ms,
                                         .last_end = last_end_of(m, e)};
    }
    int rc = smtpchk_engine_set_checks(m->engine, specs, cfg->n);
    free(specs);
    return rc;
}

static int
load(const char *path, smtpchk_config **cfg)
{
    smtpchk_diag *d = smtpchk_diag_new();
    int rc = smtpchk_config_load(path, cfg, d);
    log_diags(d);
    smtpchk_diag_free(d);
    return rc;
}

/* Files a check names that snmpd's -u/-g user may not read: once it has
 * dropped root, a reload could not re-read them (docs/snmp.md). */
static void
warn_unreadable(const smtpchk_config *cfg)
{
    smtpcheck_warn_unreadable(cfg->path, "the check file");
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        smtpcheck_warn_unreadable(e->password_file, "a password file");
        smtpcheck_warn_unreadable(e->rt_password_file, "a password file");
        smtpcheck_warn_unreadable(e->body_html_file, "a body file");
        smtpcheck_warn_unreadable(e->body_text_file, "a body file");
        smtpcheck_warn_unreadable(e->check->ca_file, "a CA file");
    }
}

/*
 * The file named; else, when this instance runs no checks yet (a new one
 * after SIGHUP), the last good configuration kept in memory. *kept says
 * which: a kept configuration is borrowed, a loaded one is the caller's.
 */
static int
load_config(sc_module *m, smtpchk_config **cfg, bool *kept)
{
    sc_globals *g = &m->globals;
    *kept = false;
    if (load(g->config_path, cfg) == 0)
        return 0;
    g->config_errors++;
    snmp_log(LOG_ERR, "smtpcheck: %s has errors; keeping the last good configuration\n",
             g->config_path);
    const smtpchk_config *last = m->have_checks ? NULL : smtpcheck_kept_get();
    if (last == NULL)
        return -1;
    *cfg = (smtpchk_config *)last;
    *kept = true;
    return 0;
}

static int
apply(sc_module *m, const smtpchk_config *cfg)
{
    if (smtpcheck_engine_create(m, cfg) != 0)
        return -1;
    smtpcheck_persist_load(m);
    apply_rows(m, cfg);
    smtpcheck_persist_forget(m);
    return apply_engine(m, cfg);
}

int
smtpcheck_conf_apply(sc_module *m)
{
    sc_globals *g = &m->globals;
    if (g->config_path[0] == '\0')
        return 0;
    if (!m->globals_loaded) { /* counters survive reloads and restarts too */
        smtpcheck_persist_load_globals(m);
        m->globals_loaded = true;
    }
    smtpchk_config *cfg = NULL;
    bool kept;
    if (load_config(m, &cfg, &kept) != 0)
        return -1;
    int rc = apply(m, cfg);
    if (rc == 0) {
        m->have_checks = true;
        g->config_loads++;
        g->last_load = time(NULL);
        snmp_log(LOG_INFO, "smtpcheck: %zu checks from %s%s\n", cfg->n,
                 kept ? "the last good configuration of " : "", g->config_path);
    }
    if (!kept && rc == 0) {
        warn_unreadable(cfg);
        smtpcheck_kept_set(cfg); /* the new last good configuration */
    } else if (!kept) {
        smtpchk_config_free(cfg);
    }
    return rc;
}

int
smtpcheck_conf_use(sc_module *m, const char *path)
{
    snprintf(m->globals.config_path, sizeof(m->globals.config_path), "%s", path);
    return smtpcheck_conf_apply(m);
}

static int
post_read_config(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)server;
    DEBUGMSGTL(("smtpcheck:conf", "config read; check file \"%s\"\n",
                ((sc_module *)client)->globals.config_path));
    smtpcheck_conf_apply(client);
    return SNMP_ERR_NOERROR;
}

void
smtpcheck_conf_init(sc_module *m)
{
    register_app_config_handler(TOKEN, parse_smtpcheckConfig, release_smtpcheckConfig,
                                "/path/to/smtpcheck.conf");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                           post_read_config, m);
}

void
smtpcheck_conf_shutdown(sc_module *m)
{
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                             post_read_config, m, 1);
    unregister_app_config_handler(TOKEN);
}
