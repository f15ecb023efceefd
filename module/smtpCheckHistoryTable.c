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
    const char *mib_name;
    long (*value)(const smtpchk_history_entry *e);
    unsigned number; /* smtpCheckHistoryEntry.<number> */
    u_char type;     /* 0: the index, not accessible */
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
    {"smtpCheckHistoryIndex", NULL, 1, 0},
    {"smtpCheckHistoryTime", when, 2, ASN_UNSIGNED},
    {"smtpCheckHistoryTotalTimeUs", total_us, 3, ASN_GAUGE},
    {"smtpCheckHistoryConnectTimeUs", connect_us, 4, ASN_GAUGE},
    {"smtpCheckHistoryResponseCode", code, 5, ASN_INTEGER},
    {"smtpCheckHistoryErrorCode", error, 6, ASN_INTEGER},
    {"smtpCheckHistoryFailedStep", step, 7, ASN_INTEGER},
    {"smtpCheckHistoryEnhancedStatus", status, 8, ASN_UNSIGNED},
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

static const sc_walk_spec spec = {
    .name = "smtpCheckHistoryTable",
    .entry_oid = entry_oid,
    .entry_len = OID_LENGTH(entry_oid),
    .min_col = 2,
    .max_col = NCOLUMNS,
    .next_sub = next_seq,
    .get = get,
};

int
init_smtpCheckHistoryTable(sc_module *m)
{
    return sc_walk_register(&m->history, m, &spec);
}

void
shutdown_smtpCheckHistoryTable(sc_module *m)
{
    sc_walk_unregister(&m->history);
}

void
smtpCheckHistoryTable_objects(sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        sc_list_object(cb, ud, entry_oid, OID_LENGTH(entry_oid), columns[i].mib_name,
                       columns[i].number);
}
