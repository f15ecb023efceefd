/*
 * smtpCheckHistoryTable: one row per run kept in a check's history ring
 * (history.h), indexed by (smtpCheckIndex, smtpCheckHistoryIndex). Served
 * from the rings themselves: no Net-SNMP row per entry.
 */
#include "smtpCheckHistoryTable.h"

#include "history.h"
#include "smtpcheck.h"
#include "smtpcheck_varbind.h"
#include "smtpcheck_walk.h"

typedef struct column {
    sc_walk_column c;
    long (*value)(const smtpchk_history_entry *e);
    u_char type; /* 0: the index, not accessible */
} column;

static const oid entry_oid[] = {SMTPCHECK_OID_HISTORY_ENTRY};

static long
when(const smtpchk_history_entry *e)
{
    return (long)e->when;
}

static long
total_us(const smtpchk_history_entry *e)
{
    return (long)e->total_us;
}

static long
connect_us(const smtpchk_history_entry *e)
{
    return (long)e->connect_us;
}

static long
code(const smtpchk_history_entry *e)
{
    return e->code;
}

static long
error(const smtpchk_history_entry *e)
{
    return e->error;
}

static long
step(const smtpchk_history_entry *e)
{
    return e->step;
}

static long
status(const smtpchk_history_entry *e)
{
    return (long)e->status;
}

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const column columns[] = {
    {{"smtpCheckHistoryIndex", 1}, NULL, 0},
    {{"smtpCheckHistoryTime", 2}, when, ASN_UNSIGNED},
    {{"smtpCheckHistoryTotalTimeUs", 3}, total_us, ASN_GAUGE},
    {{"smtpCheckHistoryConnectTimeUs", 4}, connect_us, ASN_GAUGE},
    {{"smtpCheckHistoryResponseCode", 5}, code, ASN_INTEGER},
    {{"smtpCheckHistoryErrorCode", 6}, error, ASN_INTEGER},
    {{"smtpCheckHistoryFailedStep", 7}, step, ASN_INTEGER},
    {{"smtpCheckHistoryEnhancedStatus", 8}, status, ASN_UNSIGNED},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static uint32_t
next_seq(const sc_row *r, uint32_t after)
{
    return smtpchk_history_next(&r->history, after);
}

static int
get(netsnmp_variable_list *v, const sc_row *r, uint32_t seq, unsigned col)
{
    const smtpchk_history_entry *e = smtpchk_history_get(&r->history, seq);
    if (e == NULL || col < 1 || col > NCOLUMNS || columns[col - 1].type == 0)
        return 0;
    snmp_set_var_typed_integer(v, columns[col - 1].type, columns[col - 1].value(e));
    return 1;
}

const sc_walk_spec smtpCheckHistoryTable_spec = {
    .name = "smtpCheckHistoryTable",
    .entry_oid = entry_oid,
    .entry_len = OID_LENGTH(entry_oid),
    .min_col = 2,
    .max_col = NCOLUMNS,
    .next_sub = next_seq,
    .get = get,
    SC_WALK_COLUMNS(columns),
};
