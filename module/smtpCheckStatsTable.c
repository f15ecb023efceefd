/*
 * smtpCheckStatsTable: AUGMENTS smtpCheckEntry with each check's figures
 * over the last hour and the last day, computed at request time from the
 * row's window sketch (window.h). Served from the check rows: no Net-SNMP
 * row of its own.
 */
#include "smtpCheckStatsTable.h"

#include <time.h>

#include "smtpcheck.h"
#include "smtpcheck_varbind.h"
#include "smtpcheck_walk.h"
#include "window.h"

typedef enum figure { RUNS, AVAILABILITY, P50, P95, P99 } figure;

typedef struct column {
    sc_walk_column c;
    smtpchk_window_span span;
    figure figure;
} column;

static const oid entry_oid[] = {SMTPCHECK_OID_STATS_ENTRY};

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const column columns[] = {
    {{"smtpCheckStats1hRuns", 1}, SMTPCHK_WINDOW_1H, RUNS},
    {{"smtpCheckStats1hAvailability", 2}, SMTPCHK_WINDOW_1H, AVAILABILITY},
    {{"smtpCheckStats1hP50Us", 3}, SMTPCHK_WINDOW_1H, P50},
    {{"smtpCheckStats1hP95Us", 4}, SMTPCHK_WINDOW_1H, P95},
    {{"smtpCheckStats1hP99Us", 5}, SMTPCHK_WINDOW_1H, P99},
    {{"smtpCheckStats24hRuns", 6}, SMTPCHK_WINDOW_24H, RUNS},
    {{"smtpCheckStats24hAvailability", 7}, SMTPCHK_WINDOW_24H, AVAILABILITY},
    {{"smtpCheckStats24hP50Us", 8}, SMTPCHK_WINDOW_24H, P50},
    {{"smtpCheckStats24hP95Us", 9}, SMTPCHK_WINDOW_24H, P95},
    {{"smtpCheckStats24hP99Us", 10}, SMTPCHK_WINDOW_24H, P99},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static int
get(netsnmp_variable_list *v, const sc_row *r, uint32_t sub, unsigned col)
{
    (void)sub;
    if (col < 1 || col > NCOLUMNS)
        return 0;
    const column *c = &columns[col - 1];
    smtpchk_window_stats s;
    smtpchk_window_stats_at(&r->window, c->span, (int64_t)time(NULL), &s);
    switch (c->figure) {
    case RUNS: snmp_set_var_typed_integer(v, ASN_GAUGE, (long)s.runs); break;
    case AVAILABILITY: snmp_set_var_typed_integer(v, ASN_UNSIGNED, (long)s.availability); break;
    case P50: snmp_set_var_typed_integer(v, ASN_GAUGE, (long)s.p50_us); break;
    case P95: snmp_set_var_typed_integer(v, ASN_GAUGE, (long)s.p95_us); break;
    default: snmp_set_var_typed_integer(v, ASN_GAUGE, (long)s.p99_us); break;
    }
    return 1;
}

const sc_walk_spec smtpCheckStatsTable_spec = {
    .name = "smtpCheckStatsTable",
    .entry_oid = entry_oid,
    .entry_len = OID_LENGTH(entry_oid),
    .min_col = 1,
    .max_col = NCOLUMNS,
    .next_sub = NULL,
    .get = get,
    SC_WALK_COLUMNS(columns),
};
