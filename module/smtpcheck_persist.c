/*
 * Counters, alarm states and the last result survive an snmpd restart and
 * a SIGHUP (which unloads the module: its statics start from zero). They
 * live in smtpcheck-state.conf under Net-SNMP's persistent directory,
 * written atomically, one "row" line per check keyed by index and name.
 */
#include "smtpcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE "smtpcheck-state.conf"
#define STATE_VERSION 1

typedef struct saved {
    struct saved *next;
    char *line;
    unsigned index;
} saved;

static saved *pending;

static int
state_path(char *buf, size_t len, const char *suffix)
{
    const char *dir = get_persistent_directory();
    if (dir == NULL)
        return -1;
    mkdirhier(dir, NETSNMP_AGENT_DIRECTORY_MODE, 0);
    int n = snprintf(buf, len, "%s/%s%s", dir, STATE_FILE, suffix);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static void
hex_out(FILE *f, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
}

static int
hex_in(const char *s, void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        b[i] = (unsigned char)v;
    }
    return s[2 * n] == '\0' || s[2 * n] == '\n' || s[2 * n] == ' ' ? 0 : -1;
}

/* The fields after "row": every number, then name, result as hex. */
static void
write_row(FILE *f, const sc_row *r)
{
    fprintf(f, "row %d %u %u %u %u %u %lld %d ", STATE_VERSION, r->index, r->runs, r->failures,
            r->skipped, r->consecutive, (long long)r->last_run, r->have_result);
    fprintf(f, "%u %u %llu %llu %u %u %llu %llu ", r->connect.min, r->connect.max,
            (unsigned long long)r->connect.sum, (unsigned long long)r->connect.count,
            r->total.min, r->total.max, (unsigned long long)r->total.sum,
            (unsigned long long)r->total.count);
    hex_out(f, r->name, strlen(r->name) + 1);
    fputc(' ', f);
    hex_out(f, &r->last, sizeof(r->last));
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++) {
        const smtpchk_alarm *a = &r->alarms.a[m];
        fprintf(f, " %d:%d:%u:%lld:%d:%lld", m, a->raised, a->raised_count,
                (long long)a->last_change, a->has_value, (long long)a->value);
    }
    fputc('\n', f);
}

void
smtpcheck_persist_save(void)
{
    char path[1024], tmp[1040];
    if (state_path(path, sizeof(path), "") != 0 || state_path(tmp, sizeof(tmp), ".tmp") != 0)
        return;
    FILE *f = fopen(tmp, "we");
    if (f == NULL) {
        snmp_log(LOG_WARNING, "smtpcheck: cannot write %s: %s\n", tmp, strerror(errno));
        return;
    }
    fprintf(f, "# smtpcheck state: counters and alarm states. Written by the module.\n");
    const sc_globals *g = smtpcheck_globals();
    fprintf(f, "globals %d %u %u %lld\n", STATE_VERSION, g->config_loads, g->config_errors,
            (long long)g->last_load);
    for (sc_row *r = smtpCheckTable_first(); r != NULL; r = smtpCheckTable_next(r))
        write_row(f, r);
    int bad = ferror(f);
    smtpcheck_give_to_agent_user(tmp);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        snmp_log(LOG_WARNING, "smtpcheck: cannot save %s\n", path);
        unlink(tmp);
    }
}

void
smtpcheck_persist_load_globals(sc_globals *g)
{
    char path[1024], line[256];
    if (state_path(path, sizeof(path), "") != 0)
        return;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned version, loads, errors;
        long long last;
        if (sscanf(line, "globals %u %u %u %lld", &version, &loads, &errors, &last) == 4 &&
            version == STATE_VERSION) {
            g->config_loads = loads;
            g->config_errors = errors;
            g->last_load = (time_t)last;
            break;
        }
    }
    fclose(f);
}

void
smtpcheck_persist_forget(void)
{
    while (pending != NULL) {
        saved *s = pending;
        pending = s->next;
        free(s->line);
        free(s);
    }
}

void
smtpcheck_persist_load(void)
{
    char path[1024];
    smtpcheck_persist_forget();
    if (state_path(path, sizeof(path), "") != 0)
        return;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        unsigned version, index;
        if (sscanf(line, "row %u %u", &version, &index) != 2 || version != STATE_VERSION)
            continue;
        saved *s = calloc(1, sizeof(*s));
        if (s == NULL || (s->line = strdup(line)) == NULL) {
            free(s);
            break;
        }
        s->index = index;
        s->next = pending;
        pending = s;
    }
    free(line);
    fclose(f);
}

static void
restore_alarms(sc_row *r, const char *p)
{
    int m, raised, has;
    unsigned count;
    long long changed, value;
    int used;
    while (sscanf(p, " %d:%d:%u:%lld:%d:%lld%n", &m, &raised, &count, &changed, &has, &value,
                  &used) == 6) {
        p += used;
        if (m < 1 || m >= SMTPCHK_METRIC__COUNT || !r->alarms.a[m].configured)
            continue; /* an alarm no longer configured starts afresh */
        smtpchk_alarm *a = &r->alarms.a[m];
        a->raised = raised != 0;
        a->raised_count = count;
        a->last_change = changed;
        a->has_value = has != 0;
        a->value = value;
    }
}

/* Parses one saved line into r when it is the same check (index and name). */
static int
restore_line(sc_row *r, const char *line)
{
    unsigned version, index, have;
    long long last_run;
    unsigned long long csum, ccount, tsum, tcount;
    char name_hex[140], result_hex[2 * sizeof(smtpchk_result) + 2];
    int used = 0;
    sc_row t = *r;
    int n = sscanf(line, "row %u %u %u %u %u %u %lld %u %u %u %llu %llu %u %u %llu %llu %139s %n",
                   &version, &index, &t.runs, &t.failures, &t.skipped, &t.consecutive,
                   &last_run, &have, &t.connect.min, &t.connect.max, &csum, &ccount,
                   &t.total.min, &t.total.max, &tsum, &tcount, name_hex, &used);
    if (n != 17 || used == 0)
        return -1;
    char name[sizeof(r->name)] = "";
    size_t nlen = strlen(name_hex) / 2;
    if (nlen == 0 || nlen > sizeof(name) || hex_in(name_hex, name, nlen) != 0 ||
        name[nlen - 1] != '\0' || strcmp(name, r->name) != 0)
        return -1; /* another check now has this index: start afresh */
    size_t rlen = strcspn(line + used, " \n");
    if (rlen == 0 || rlen >= sizeof(result_hex))
        return -1;
    memcpy(result_hex, line + used, rlen);
    result_hex[rlen] = '\0';
    if (hex_in(result_hex, &t.last, sizeof(t.last)) != 0)
        return -1;
    t.last_run = (time_t)last_run;
    t.have_result = have != 0;
    t.connect.sum = csum;
    t.connect.count = ccount;
    t.total.sum = tsum;
    t.total.count = tcount;
    *r = t;
    r->skipped_base = r->skipped;
    restore_alarms(r, line + used + strlen(result_hex));
    return 0;
}

void
smtpcheck_persist_restore(sc_row *r)
{
    for (saved *s = pending; s != NULL; s = s->next)
        if (s->index == r->index && restore_line(r, s->line) == 0) {
            DEBUGMSGTL(("smtpcheck:persist", "restored check %u (%s): %u runs\n", r->index,
                        r->name, r->runs));
            return;
        }
}
