/*
 * snmpd.conf: `smtpcheckConfig /path/to/smtpcheck.conf`. The check file is
 * read after every config read (start and SIGHUP). A bad file is logged
 * with file:line for every problem and changes nothing: the last good
 * configuration stays, also across the module reload that SIGHUP does,
 * through a copy kept in the persistent directory.
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
#include "smtpcheck_persist.h"

#define TOKEN "smtpcheckConfig"
#define LAST_GOOD "smtpcheck-lastgood.conf"

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

/* Keeps a private copy of a file that loaded well. */
static void
keep_last_good(const char *src)
{
    FILE *in = fopen(src, "re");
    sc_file_writer w;
    if (in == NULL || smtpcheck_file_begin(&w, LAST_GOOD) != 0) {
        if (in != NULL)
            fclose(in);
        return;
    }
    char buf[8192];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        ok = fwrite(buf, 1, n, w.f) == n;
    ok = ok && !ferror(in);
    fclose(in);
    smtpcheck_file_end(&w, ok);
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
        sc_row_describe(row, e);
        if (fresh)
            smtpcheck_persist_restore(m, row);
        smtpCheckAlarmTable_sync(m, row);
    }
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
                                         .jitter_ms = e->jitter_ms};
    }
    int rc = smtpchk_engine_set_checks(m->engine, specs, cfg->n);
    free(specs);
    return rc;
}

static int
load(const char *path, const char *origin, smtpchk_config **cfg)
{
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config_opts o = {.read_files = true, .origin = origin};
    int rc = smtpchk_config_load_opts(path, &o, cfg, d);
    log_diags(d);
    smtpchk_diag_free(d);
    return rc;
}

/* The file named, else (in a new instance) the last good copy of it. */
static int
load_config(sc_module *m, smtpchk_config **cfg, const char **from)
{
    sc_globals *g = &m->globals;
    char saved[1024];
    *from = "";
    if (load(g->config_path, NULL, cfg) == 0) {
        keep_last_good(g->config_path);
        return 0;
    }
    g->config_errors++;
    snmp_log(LOG_ERR, "smtpcheck: %s has errors; keeping the last good configuration\n",
             g->config_path);
    if (m->have_checks || smtpcheck_file_path(saved, sizeof(saved), LAST_GOOD) != 0 ||
        access(saved, R_OK) != 0 || load(saved, g->config_path, cfg) != 0)
        return -1;
    *from = "the last good copy of ";
    return 0;
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
    const char *from;
    if (load_config(m, &cfg, &from) != 0)
        return -1;
    if (smtpcheck_engine_create(m, cfg->max_in_flight) != 0) {
        smtpchk_config_free(cfg);
        return -1;
    }
    smtpcheck_persist_load(m);
    apply_rows(m, cfg);
    smtpcheck_persist_forget(m);
    int rc = apply_engine(m, cfg);
    if (rc == 0) {
        m->have_checks = true;
        g->config_loads++;
        g->last_load = time(NULL);
        snmp_log(LOG_INFO, "smtpcheck: %zu checks from %s%s\n", cfg->n, from, g->config_path);
    }
    smtpchk_config_free(cfg);
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
