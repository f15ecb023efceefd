/*
 * bench/memparts.c: the heap a configured check costs, part by part
 * (docs/mib.md "Memory per check"), measured with mallinfo2 around each
 * step, as snmpd's module does them: load N checks (as bench P4 writes
 * them), make and describe their rows, take results (the first, then 59
 * more: history and window in use), hand the set to an engine (not
 * started). Prints bytes per check, malloc's headers included.
 *
 *     cc -O2 -Imodule -Icore/include $(net-snmp-config --cflags) -o memparts \
 *        bench/memparts.c module/smtpcheck_rows.c build/core/libsmtpchk.a \
 *        -lssl -lcrypto -lcares -lconfig -lpthread $(net-snmp-config --agent-libs)
 *     ./memparts [N [HISTORY]]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argnum.h"
#include "config.h"
#include "engine.h"
#include "smtpcheck_rows.h"

#define CONF "/tmp/memparts.conf"

static size_t
used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static int
write_conf(size_t n, int history)
{
    FILE *f = fopen(CONF, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "defaults = { ehlo_name = \"bench.example\"; timeout = 10; interval = 60; "
               "history = %d; };\nchecks = (\n", history);
    for (size_t i = 1; i <= n; i++)
        fprintf(f, "{ index = %zu; name = \"c%zu\"; host = \"127.0.0.1\"; port = 40123; }%s\n",
                i, i, i < n ? "," : "");
    fprintf(f, ");\n");
    return fclose(f);
}

/* What smtp-sink's plain check leaves: greeting, last reply, peer. */
static void
sink_result(smtpchk_engine_result *res)
{
    memset(res, 0, sizeof(*res));
    smtpchk_result *r = &res->result;
    smtpchk_result_init(r);
    for (int p = 0; p < SMTPCHK_PHASE__COUNT; p++)
        r->phase_us[p] = -1;
    r->phase_us[SMTPCHK_PHASE_CONNECT] = 73;
    r->phase_us[SMTPCHK_PHASE_TOTAL] = 242;
    r->enhanced_class = r->enhanced_subject = r->enhanced_detail = -1;
    snprintf(r->greeting, sizeof(r->greeting), "sink.example ESMTP");
    snprintf(r->reply_text, sizeof(r->reply_text), "221 Bye");
    snprintf(r->peer, sizeof(r->peer), "127.0.0.1:40123");
    r->quit_clean = true;
}

static void
show(const char *what, size_t bytes, size_t n)
{
    printf("  %-44s %6.0f\n", what, (double)bytes / (double)n);
}

int
main(int argc, char **argv)
{
    long long nn = 10000, hh = 50;
    if ((argc > 1 && bench_num(argv[1], 1, 10000000, &nn) != 0) ||
        (argc > 2 && bench_num(argv[2], 0, 100000, &hh) != 0)) {
        fprintf(stderr, "usage: memparts [N (1..10000000) [HISTORY (0..100000)]]\n");
        return 2;
    }
    size_t n = (size_t)nn;
    int history = (int)hh;
    smtpchk_config *cfg;
    if (write_conf(n, history) != 0)
        return 1;
    size_t m0 = used();
    if (smtpchk_config_load(CONF, &cfg, NULL) != 0)
        return 1;
    size_t m1 = used();
    sc_row **rows = calloc(n, sizeof(*rows));
    size_t m2 = used();
    for (size_t i = 0; i < n; i++) {
        rows[i] = sc_row_new(cfg->entries[i].check->index);
        if (rows[i] == NULL || sc_row_describe(rows[i], &cfg->entries[i]) != 0)
            return 1;
    }
    size_t m3 = used();
    smtpchk_engine_result res;
    smtpchk_alarm_event ev[SMTPCHK_METRIC__COUNT];
    sink_result(&res);
    for (int k = 0; k < 60; k++)
        for (size_t i = 0; i < n; i++) {
            res.key = i + 1;
            res.finished = 1796000000 + 60 * k;
            sc_row_update(rows[i], &res, ev, SMTPCHK_METRIC__COUNT);
        }
    size_t m4 = used();
    char err[200];
    smtpchk_engine_opts o = {0};
    smtpchk_engine *e = smtpchk_engine_new(&o, err, sizeof(err));
    smtpchk_engine_spec *specs = calloc(n, sizeof(*specs));
    if (e == NULL || specs == NULL)
        return 1;
    for (size_t i = 0; i < n; i++)
        specs[i] = (smtpchk_engine_spec){.key = cfg->entries[i].check->index,
                                         .check = cfg->entries[i].check,
                                         .interval_ms = 3600000};
    size_t m5 = used();
    if (smtpchk_engine_set_checks(e, specs, n) != 0)
        return 1;
    size_t m6 = used();
    printf("sizeof: sc_row %zu, window %zu, alarms (a check with one) %zu, check %zu, "
           "config entry %zu\n",
           sizeof(sc_row), sizeof(smtpchk_window), sizeof(sc_alarms), sizeof(smtpchk_check),
           sizeof(smtpchk_config_entry));
    printf("heap bytes per check, %zu checks, history = %d:\n", n, history);
    show("configuration (entry, check, its strings)", m1 - m0, n);
    show("row, described (row, history ring)", m3 - m2, n);
    show("60 results (packed last result)", m4 - m3, n);
    show("engine (entry, schedule; the check shared)", m6 - m5, n);
    show("total", (m1 - m0) + (m3 - m2) + (m4 - m3) + (m6 - m5), n);
    smtpchk_engine_free(e);
    free(specs);
    for (size_t i = 0; i < n; i++)
        sc_row_free(rows[i]);
    free(rows);
    smtpchk_config_free(cfg);
    remove(CONF);
    return 0;
}
