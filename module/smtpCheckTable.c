/*
 * smtpCheckTable: one row per configured check (netsnmp_tdata, read-only).
 * Its columns come from two tables: the module's own (below: what the
 * check is and its counters) and the result-field table (fields.h), whose
 * mib_column rows give the columns of the last result. The numbers are the
 * MIB's; tests/mib compares every one with snmptranslate.
 */
#include "smtpCheckTable.h"

#include <string.h>

#include "fields.h"
#include "smtpCheckAlarmTable.h"
#include "smtpcheck.h"
#include "smtpcheck_tdata.h"
#include "smtpcheck_varbind.h"

typedef struct column {
    const char *mib_name;
    void (*get)(netsnmp_variable_list *v, const sc_row *r); /* a computed column */
    size_t offset;   /* else a 32-bit member of sc_row at offset, */
    unsigned number; /* smtpCheckEntry.<number> */
    u_char type;     /* of this SNMP type */
} column;

static const oid table_oid[] = {SMTPCHECK_OID_TABLE};
static const oid entry_oid[] = {SMTPCHECK_OID_ENTRY};

/* ---- the module's own columns ---- */

static void
get_name(netsnmp_variable_list *v, const sc_row *r)
{
    sc_set_text(v, sc_row_name(r), 64); /* the MIB's SIZE, as the schema's */
}

static void
get_host(netsnmp_variable_list *v, const sc_row *r)
{
    sc_set_text(v, sc_row_host(r), 255);
}

static void
get_status(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_INTEGER, sc_row_status(r));
}

static void
get_last_run(netsnmp_variable_list *v, const sc_row *r)
{
    sc_set_date_and_time(v, r->last_run);
}

static void
get_last_success(netsnmp_variable_list *v, const sc_row *r)
{
    sc_set_date_and_time(v, r->last_success);
}

static void
get_last_run_unix(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_UNSIGNED, (long)sc_unix_u32(r->last_run));
}

static void
get_last_success_unix(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_UNSIGNED, (long)sc_unix_u32(r->last_success));
}

static void
get_avg_connect(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_GAUGE, sc_stat_avg(&r->connect));
}

static void
get_avg_total(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_GAUGE, sc_stat_avg(&r->total));
}

static void
get_avg_delivery(netsnmp_variable_list *v, const sc_row *r)
{
    snmp_set_var_typed_integer(v, ASN_GAUGE, sc_stat_avg(&r->delivery));
}

/* Every 32-bit member a column reads. */
_Static_assert(sizeof(((sc_row *)0)->port) == 4 && sizeof(((sc_row *)0)->security) == 4 &&
                   sizeof(((sc_row *)0)->protocol) == 4 &&
                   sizeof(((sc_row *)0)->interval_s) == 4 && sizeof(((sc_row *)0)->runs) == 4 &&
                   sizeof(((sc_row *)0)->connect.min) == 4,
               "32-bit members");

#define MEMBER(type_, m) .type = (type_), .offset = offsetof(sc_row, m)
#define COMPUTED(fn) .get = (fn)

static const column columns[] = {
    {.number = 1, .mib_name = "smtpCheckIndex", COMPUTED(NULL)}, /* not-accessible */
    {.number = 2, .mib_name = "smtpCheckName", COMPUTED(get_name)},
    {.number = 3, .mib_name = "smtpCheckHost", COMPUTED(get_host)},
    {.number = 4, .mib_name = "smtpCheckPort", MEMBER(ASN_UNSIGNED, port)},
    {.number = 5, .mib_name = "smtpCheckSecurity", MEMBER(ASN_INTEGER, security)},
    {.number = 6, .mib_name = "smtpCheckStatus", COMPUTED(get_status)},
    {.number = 26, .mib_name = "smtpCheckLastRun", COMPUTED(get_last_run)},
    {.number = 27, .mib_name = "smtpCheckRuns", MEMBER(ASN_COUNTER, runs)},
    {.number = 28, .mib_name = "smtpCheckFailures", MEMBER(ASN_COUNTER, failures)},
    {.number = 29, .mib_name = "smtpCheckSkippedRuns", MEMBER(ASN_COUNTER, skipped)},
    {.number = 30, .mib_name = "smtpCheckConsecutiveFailures", MEMBER(ASN_GAUGE, consecutive)},
    {.number = 31, .mib_name = "smtpCheckMinConnectTime", MEMBER(ASN_GAUGE, connect.min)},
    {.number = 32, .mib_name = "smtpCheckAvgConnectTime", COMPUTED(get_avg_connect)},
    {.number = 33, .mib_name = "smtpCheckMaxConnectTime", MEMBER(ASN_GAUGE, connect.max)},
    {.number = 34, .mib_name = "smtpCheckMinTotalTime", MEMBER(ASN_GAUGE, total.min)},
    {.number = 35, .mib_name = "smtpCheckAvgTotalTime", COMPUTED(get_avg_total)},
    {.number = 36, .mib_name = "smtpCheckMaxTotalTime", MEMBER(ASN_GAUGE, total.max)},
    {.number = 38, .mib_name = "smtpCheckInterval", MEMBER(ASN_UNSIGNED, interval_s)},
    {.number = 51, .mib_name = "smtpCheckLastRunUnix", COMPUTED(get_last_run_unix)},
    {.number = 52, .mib_name = "smtpCheckLastSuccessUnix", COMPUTED(get_last_success_unix)},
    {.number = 53, .mib_name = "smtpCheckLastSuccess", COMPUTED(get_last_success)},
    {.number = 54, .mib_name = "smtpCheckProtocol", MEMBER(ASN_INTEGER, protocol)},
    {.number = 57, .mib_name = "smtpCheckMinDeliveryTime", MEMBER(ASN_GAUGE, delivery.min)},
    {.number = 58, .mib_name = "smtpCheckAvgDeliveryTime", COMPUTED(get_avg_delivery)},
    {.number = 59, .mib_name = "smtpCheckMaxDeliveryTime", MEMBER(ASN_GAUGE, delivery.max)},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* A member column: a 32-bit value, signed for INTEGER, unsigned else. */
static void
get_member(netsnmp_variable_list *v, const column *c, const sc_row *r)
{
    const char *at = (const char *)r + c->offset;
    if (c->type == ASN_INTEGER) {
        int32_t i;
        memcpy(&i, at, sizeof(i));
        snmp_set_var_typed_integer(v, c->type, i);
    } else {
        uint32_t u;
        memcpy(&u, at, sizeof(u));
        snmp_set_var_typed_integer(v, c->type, (long)u);
    }
}

static const column *
column_find(unsigned number)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (columns[i].number == number)
            return &columns[i];
    return NULL;
}

/* ---- the result's columns, by field type ---- */

static uint32_t
clamp_u32(int64_t x)
{
    return x < 0 ? 0 : x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

/* TruthValue (SNMPv2-TC). */
enum { SC_TRUE = 1, SC_FALSE = 2 };

/* The SNMP type and number of a numeric field in column col; 0 when it
 * has none. */
static u_char
field_number(const smtpchk_field *f, unsigned col, smtpchk_value x, long *n)
{
    switch (f->type) {
    case SMTPCHK_FT_DURATION: /* ms, rounded; or whole us in the us column */
        *n = !x.present ? 0 : col == f->mib_us_column ? (long)clamp_u32(x.i) : sc_ms(x.i);
        return ASN_GAUGE;
    case SMTPCHK_FT_INT: /* e.g. no certificate: 0 */
        *n = x.present ? (long)x.i : 0;
        return ASN_INTEGER;
    case SMTPCHK_FT_BOOL:
        *n = x.present && x.i ? SC_TRUE : SC_FALSE;
        return ASN_INTEGER;
    case SMTPCHK_FT_ERROR:
    case SMTPCHK_FT_STEP:
        *n = (long)x.i;
        return ASN_INTEGER;
    case SMTPCHK_FT_STATUS:
        *n = x.present ? clamp_u32(x.i) : 0;
        return ASN_UNSIGNED;
    case SMTPCHK_FT_COUNT:
        *n = clamp_u32(x.i);
        return ASN_GAUGE;
    default:
        return 0;
    }
}

/* BITS: bit i of the set is bit 7 - i % 8 of octet i / 8 (RFC 2578 7.1.4). */
static void
set_bits(netsnmp_variable_list *v, int64_t set, size_t nbits)
{
    u_char octets[8] = {0};
    size_t len = 1; /* trailing zero octets are left out (one at least), so
                       a check without a round trip keeps its one octet */
    for (size_t i = 0; i < nbits && i < 8 * sizeof(octets); i++) {
        if (!(set & ((int64_t)1 << i)))
            continue;
        octets[i / 8] |= (u_char)(0x80u >> (i % 8));
        if (i / 8 + 1 > len)
            len = i / 8 + 1;
    }
    snmp_set_var_typed_value(v, ASN_OCTET_STR, octets, len);
}

/* Before the first result every field reads as absent: 0, "", false(2). */
static int
set_field(netsnmp_variable_list *v, const smtpchk_field *f, unsigned col, const sc_row *r)
{
    smtpchk_value x = {0};
    smtpchk_result last; /* x's text points into it */
    if (r->have_result) {
        sc_row_last(r, &last);
        x = smtpchk_field_get(f, &last);
    }
    if (f->type == SMTPCHK_FT_TEXT) {
        sc_set_text(v, x.present ? x.s : "", f->size);
        return 1;
    }
    if (f->type == SMTPCHK_FT_PHASES) {
        set_bits(v, x.i, SMTPCHK_PHASE_TOTAL);
        return 1;
    }
    long n = 0;
    u_char type = field_number(f, col, x, &n);
    if (type == 0)
        return 0; /* no SNMP type for it: not publishable */
    snmp_set_var_typed_integer(v, type, n);
    return 1;
}

int
smtpCheckTable_value(netsnmp_variable_list *v, const sc_row *r, unsigned col)
{
    const column *c = column_find(col);
    if (c != NULL && c->get != NULL) {
        c->get(v, r);
        return 1;
    }
    if (c != NULL && c->type != 0) {
        get_member(v, c, r);
        return 1;
    }
    const smtpchk_field *f = smtpchk_field_by_column(col);
    return c == NULL && f != NULL && set_field(v, f, col, r);
}

unsigned
smtpCheckTable_column(const char *mib_name)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (strcmp(columns[i].mib_name, mib_name) == 0)
            return columns[i].number;
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if (f->mib_column != 0 && strcmp(f->mib_name, mib_name) == 0)
            return f->mib_column;
        if (f->mib_us_column != 0 && strcmp(f->mib_us_name, mib_name) == 0)
            return f->mib_us_column;
    }
    return 0;
}

void
smtpCheckTable_objects(sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        sc_list_object(cb, ud, entry_oid, OID_LENGTH(entry_oid), columns[i].mib_name,
                       columns[i].number);
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if (f->mib_column != 0)
            sc_list_object(cb, ud, entry_oid, OID_LENGTH(entry_oid), f->mib_name,
                           f->mib_column);
        if (f->mib_us_column != 0)
            sc_list_object(cb, ud, entry_oid, OID_LENGTH(entry_oid), f->mib_us_name,
                           f->mib_us_column);
    }
}

/* ---- the handler ---- */

static int
smtpCheckTable_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler;
    (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR; /* read-only: the helpers refuse SETs */
    for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
        if (req->processed)
            continue;
        const sc_row *r = netsnmp_tdata_extract_entry(req);
        netsnmp_table_request_info *ti = netsnmp_extract_table_info(req);
        if (r == NULL || ti == NULL || !smtpCheckTable_value(req->requestvb, r, ti->colnum))
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

static void
span_add(unsigned col, unsigned *lo, unsigned *hi)
{
    if (col == 0)
        return;
    *lo = col < *lo ? col : *lo;
    *hi = col > *hi ? col : *hi;
}

/* The accessible columns' span, from both tables. */
static void
column_span(unsigned *lo, unsigned *hi)
{
    *lo = UINT32_MAX;
    *hi = 0;
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (columns[i].get != NULL || columns[i].type != 0) /* accessible */
            span_add(columns[i].number, lo, hi);
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        span_add(smtpchk_field_at(i)->mib_column, lo, hi);
        span_add(smtpchk_field_at(i)->mib_us_column, lo, hi);
    }
}

int
init_smtpCheckTable(sc_module *m)
{
    sc_tdata_spec spec = {.name = "smtpCheckTable", .handler = smtpCheckTable_handler,
                          .table_oid = table_oid, .table_oid_len = OID_LENGTH(table_oid),
                          .data = m};
    column_span(&spec.min_col, &spec.max_col);
    return sc_tdata_register(&m->checks, &spec);
}

/* ---- rows ---- */

static void
free_row(void *data, void *m)
{
    sc_row *r = data;
    smtpCheckAlarmTable_remove(m, r);
    sc_row_free(r);
}

void
shutdown_smtpCheckTable(sc_module *m)
{
    sc_tdata_unregister(&m->checks, free_row, m);
}

int
smtpCheckTable_add(sc_module *m, sc_row *r)
{
    netsnmp_tdata_row *row = netsnmp_tdata_create_row();
    if (row == NULL)
        return -1;
    row->data = r;
    u_long idx = r->index;
    netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
    if (netsnmp_tdata_add_row(m->checks.table, row) != SNMPERR_SUCCESS) {
        netsnmp_tdata_delete_row(row);
        return -1;
    }
    r->row = row;
    return 0;
}

void
smtpCheckTable_remove(sc_module *m, sc_row *r)
{
    smtpCheckAlarmTable_remove(m, r);
    if (r->row != NULL)
        netsnmp_tdata_remove_and_delete_row(m->checks.table, r->row);
    r->row = NULL;
}

sc_row *
smtpCheckTable_find(sc_module *m, unsigned index)
{
    oid idx = index;
    netsnmp_tdata_row *row = netsnmp_tdata_row_get_byoid(m->checks.table, &idx, 1);
    return row != NULL ? row->data : NULL;
}

sc_row *
smtpCheckTable_first(sc_module *m)
{
    netsnmp_tdata_row *row = m->checks.table ? netsnmp_tdata_row_first(m->checks.table) : NULL;
    return row != NULL ? row->data : NULL;
}

sc_row *
smtpCheckTable_after(sc_module *m, unsigned index)
{
    oid idx = index;
    netsnmp_tdata_row *row = m->checks.table == NULL ? NULL
                             : index == 0 ? netsnmp_tdata_row_first(m->checks.table)
                                          : netsnmp_tdata_row_next_byoid(m->checks.table, &idx, 1);
    return row != NULL ? row->data : NULL;
}

sc_row *
smtpCheckTable_next(sc_module *m, sc_row *r)
{
    netsnmp_tdata_row *row = netsnmp_tdata_row_next(m->checks.table, r->row);
    return row != NULL ? row->data : NULL;
}
