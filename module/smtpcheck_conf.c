/*
 * snmpd.conf: `smtpcheckConfig /path/to/smtpcheck.conf`. The check file is
 * read after every config read (start and SIGHUP). A bad file is logged
 * with file:line for every problem and changes nothing: the last good
 * configuration stays, also across the module reload that SIGHUP does,
 * through a copy kept in the persistent directory.
 */
#include "smtpcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAST_GOOD "smtpcheck-lastgood.conf"

static int have_checks;    /* a configuration is applied in this instance */
static int globals_loaded; /* the load counters were restored */

static void
parse_token(const char *token, char *line)
{
    (void)token;
    sc_globals *g = smtpcheck_globals();
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    p[strcspn(p, " \t\r\n")] = '\0';
    if (p[0] != '/') {
        config_perror("smtpcheckConfig needs an absolute path");
        return;
    }
    snprintf(g->config_path, sizeof(g->config_path), "%s", p);
}

static void
release_token(void)
{
    smtpcheck_globals()->config_path[0] = '\0';
}

const char *
smtpcheck_conf_path(void)
{
    return smtpcheck_globals()->config_path;
}

static int
last_good_path(char *buf, size_t len)
{
    const char *dir = get_persistent_directory();
    int n = dir ? snprintf(buf, len, "%s/%s", dir, LAST_GOOD) : -1;
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Keeps a private copy of a file that loaded well. */
static void
keep_last_good(const char *src)
{
    char dst[1024], tmp[1040];
    if (last_good_path(dst, sizeof(dst)) != 0)
        return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
    FILE *in = fopen(src, "re");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    char buf[8192];
    size_t n;
    int bad = in == NULL || out == NULL;
    while (!bad && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    if (in != NULL)
        fclose(in);
    if (out != NULL)
        bad |= fclose(out) != 0;
    else if (fd >= 0)
        close(fd);
    if (!bad)
        smtpcheck_give_to_agent_user(tmp);
    if (bad || rename(tmp, dst) != 0)
        unlink(tmp);
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
apply_rows(const smtpchk_config *cfg)
{
    sc_row *r = smtpCheckTable_first();
    while (r != NULL) {
        sc_row *next = smtpCheckTable_next(r);
        if (smtpchk_config_find_index(cfg, r->index) == NULL) {
            smtpCheckTable_remove(r);
            sc_row_free(r);
        }
        r = next;
    }
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_config_entry *e = &cfg->entries[i];
        sc_row *row = smtpCheckTable_find(e->check->index);
        int fresh = row == NULL;
        if (fresh && ((row = sc_row_new(e->check->index)) == NULL || smtpCheckTable_add(row))) {
            sc_row_free(row);
            continue;
        }
        sc_row_describe(row, e);
        if (fresh)
            smtpcheck_persist_restore(row);
        smtpCheckAlarmTable_sync(row);
    }
}

static int
apply_engine(const smtpchk_config *cfg)
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
    int rc = smtpchk_engine_set_checks(smtpcheck_engine(), specs, cfg->n);
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

int
smtpcheck_conf_apply(void)
{
    sc_globals *g = smtpcheck_globals();
    if (g->config_path[0] == '\0')
        return 0;
    if (!globals_loaded) { /* counters survive reloads and restarts too */
        smtpcheck_persist_load_globals(g);
        globals_loaded = 1;
    }
    smtpchk_config *cfg = NULL;
    char saved[1024];
    const char *from = "";
    if (load(g->config_path, NULL, &cfg) == 0) {
        keep_last_good(g->config_path);
    } else {
        g->config_errors++;
        snmp_log(LOG_ERR, "smtpcheck: %s has errors; keeping the last good configuration\n",
                 g->config_path);
        if (have_checks || last_good_path(saved, sizeof(saved)) != 0 ||
            access(saved, R_OK) != 0 || load(saved, g->config_path, &cfg) != 0)
            return -1;
        from = "the last good copy of ";
    }
    if (smtpcheck_engine_create(cfg->max_in_flight) != 0) {
        smtpchk_config_free(cfg);
        return -1;
    }
    smtpcheck_persist_load();
    apply_rows(cfg);
    smtpcheck_persist_forget();
    int rc = apply_engine(cfg);
    if (rc == 0) {
        have_checks = 1;
        g->config_loads++;
        g->last_load = time(NULL);
        snmp_log(LOG_INFO, "smtpcheck: %zu checks from %s%s\n", cfg->n, from, g->config_path);
    }
    smtpchk_config_free(cfg);
    return rc;
}

static int
post_read_config(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)server;
    (void)client;
    smtpcheck_conf_apply();
    return SNMP_ERR_NOERROR;
}

void
smtpcheck_conf_init(void)
{
    have_checks = 0;
    globals_loaded = 0;
    register_app_config_handler("smtpcheckConfig", parse_token, release_token,
                                "/path/to/smtpcheck.conf");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                           post_read_config, NULL);
}

void
smtpcheck_conf_shutdown(void)
{
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                             post_read_config, NULL, 1);
    unregister_app_config_handler("smtpcheckConfig");
}
