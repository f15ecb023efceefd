/* smtpCheckTable: one row per configured check (netsnmp_tdata, read-only). */
#include "smtpcheck.h"

#include <string.h>

#include "smtpcheck_oids.h"

static sc_tdata checks;

static void
set_u32(netsnmp_variable_list *v, u_char type, uint32_t x)
{
    u_long val = x;
    snmp_set_var_typed_value(v, type, &val, sizeof(val));
}

static void
set_int(netsnmp_variable_list *v, long x)
{
    snmp_set_var_typed_value(v, ASN_INTEGER, &x, sizeof(x));
}

static void
set_str(netsnmp_variable_list *v, const char *s)
{
    snmp_set_var_typed_value(v, ASN_OCTET_STR, s, strlen(s));
}

static uint32_t
enhanced(const smtpchk_result *x)
{
    if (x->enhanced_class < 0)
        return 0;
    return ((uint32_t)x->enhanced_class * 1000 + (uint32_t)x->enhanced_subject) * 1000 +
           (uint32_t)x->enhanced_detail;
}

static void
set_time(netsnmp_variable_list *v, const sc_row *r, int64_t us)
{
    set_u32(v, ASN_GAUGE, r->have_result ? sc_ms(us) : 0);
}

/* Columns that describe the check or its counters. */
static int
column_describe(netsnmp_variable_list *v, const sc_row *r, unsigned col)
{
    u_char dt[11];
    switch (col) {
    case COL_NAME: set_str(v, r->name); return 1;
    case COL_HOST: set_str(v, r->host); return 1;
    case COL_PORT: set_u32(v, ASN_UNSIGNED, r->port); return 1;
    case COL_SECURITY: set_int(v, r->security); return 1;
    case COL_STATUS: set_int(v, sc_row_status(r)); return 1;
    case COL_INTERVAL: set_u32(v, ASN_UNSIGNED, r->interval_s); return 1;
    case COL_LAST_RUN:
        snmp_set_var_typed_value(v, ASN_OCTET_STR, dt, smtpcheck_date_and_time(r->last_run, dt));
        return 1;
    case COL_RUNS: set_u32(v, ASN_COUNTER, r->runs); return 1;
    case COL_FAILURES: set_u32(v, ASN_COUNTER, r->failures); return 1;
    case COL_SKIPPED_RUNS: set_u32(v, ASN_COUNTER, r->skipped); return 1;
    case COL_CONSECUTIVE_FAILURES: set_u32(v, ASN_GAUGE, r->consecutive); return 1;
    case COL_MIN_CONNECT_TIME: set_u32(v, ASN_GAUGE, r->connect.min); return 1;
    case COL_AVG_CONNECT_TIME: set_u32(v, ASN_GAUGE, sc_stat_avg(&r->connect)); return 1;
    case COL_MAX_CONNECT_TIME: set_u32(v, ASN_GAUGE, r->connect.max); return 1;
    case COL_MIN_TOTAL_TIME: set_u32(v, ASN_GAUGE, r->total.min); return 1;
    case COL_AVG_TOTAL_TIME: set_u32(v, ASN_GAUGE, sc_stat_avg(&r->total)); return 1;
    case COL_MAX_TOTAL_TIME: set_u32(v, ASN_GAUGE, r->total.max); return 1;
    }
    return 0;
}

/* Columns from the last result. */
static int
column_result(netsnmp_variable_list *v, const sc_row *r, unsigned col)
{
    const smtpchk_result *x = &r->last;
    const int64_t *t = x->phase_us;
    switch (col) {
    case COL_CONNECT_TIME: set_time(v, r, t[SMTPCHK_PHASE_CONNECT]); return 1;
    case COL_LOGIN_TIME: set_time(v, r, t[SMTPCHK_PHASE_LOGIN]); return 1;
    case COL_DNS_TIME: set_time(v, r, t[SMTPCHK_PHASE_DNS]); return 1;
    case COL_TLS_TIME: set_time(v, r, t[SMTPCHK_PHASE_TLS]); return 1;
    case COL_GREETING_TIME: set_time(v, r, t[SMTPCHK_PHASE_GREETING]); return 1;
    case COL_EHLO_TIME: set_time(v, r, t[SMTPCHK_PHASE_EHLO]); return 1;
    case COL_TRANSFER_TIME: set_time(v, r, t[SMTPCHK_PHASE_TRANSFER]); return 1;
    case COL_QUIT_TIME: set_time(v, r, t[SMTPCHK_PHASE_QUIT]); return 1;
    case COL_TOTAL_TIME: set_time(v, r, t[SMTPCHK_PHASE_TOTAL]); return 1;
    case COL_RESPONSE_CODE: set_int(v, r->have_result ? x->response_code : 0); return 1;
    case COL_ERROR_CODE: set_int(v, x->error); return 1;
    case COL_FAILED_STEP: set_int(v, x->failed_step); return 1;
    case COL_ENHANCED_STATUS: set_u32(v, ASN_UNSIGNED, enhanced(x)); return 1;
    case COL_LAST_REPLY_TEXT: set_str(v, x->reply_text); return 1;
    case COL_GREETING: set_str(v, x->greeting); return 1;
    case COL_MAX_MESSAGE_SIZE:
        set_u32(v, ASN_GAUGE, x->size_limit > UINT32_MAX ? UINT32_MAX : (uint32_t)x->size_limit);
        return 1;
    case COL_TLS_VERSION: set_str(v, x->tls_version); return 1;
    case COL_TLS_CIPHER: set_str(v, x->tls_cipher); return 1;
    case COL_CERT_DAYS_LEFT: set_int(v, x->has_cert ? x->cert_days_left : 0); return 1;
    case COL_ERROR_DETAIL: set_str(v, x->error_detail); return 1;
    case COL_QUEUE_REPLY: set_str(v, x->queue_reply); return 1;
    }
    return 0;
}

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
        if (r == NULL || ti == NULL ||
            (!column_describe(req->requestvb, r, ti->colnum) &&
             !column_result(req->requestvb, r, ti->colnum)))
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

int
init_smtpCheckTable(void)
{
    static const oid table_oid[] = {SMTPCHECK_OID_TABLE};
    return sc_tdata_register(&checks, "smtpCheckTable", smtpCheckTable_handler, table_oid,
                             OID_LENGTH(table_oid), COL_NAME, COL__LAST, 0);
}

static void
free_row(void *data)
{
    sc_row *r = data;
    smtpCheckAlarmTable_remove(r);
    sc_row_free(r);
}

void
shutdown_smtpCheckTable(void)
{
    sc_tdata_unregister(&checks, free_row);
}

int
smtpCheckTable_add(sc_row *r)
{
    netsnmp_tdata_row *row = netsnmp_tdata_create_row();
    if (row == NULL)
        return -1;
    row->data = r;
    u_long idx = r->index;
    netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
    if (netsnmp_tdata_add_row(checks.table, row) != SNMPERR_SUCCESS) {
        netsnmp_tdata_delete_row(row);
        return -1;
    }
    r->row = row;
    return 0;
}

void
smtpCheckTable_remove(sc_row *r)
{
    smtpCheckAlarmTable_remove(r);
    if (r->row != NULL)
        netsnmp_tdata_remove_and_delete_row(checks.table, r->row);
    r->row = NULL;
}

sc_row *
smtpCheckTable_find(unsigned index)
{
    oid idx = index;
    netsnmp_tdata_row *row = netsnmp_tdata_row_get_byoid(checks.table, &idx, 1);
    return row != NULL ? row->data : NULL;
}

sc_row *
smtpCheckTable_first(void)
{
    netsnmp_tdata_row *row = checks.table ? netsnmp_tdata_row_first(checks.table) : NULL;
    return row != NULL ? row->data : NULL;
}

sc_row *
smtpCheckTable_next(sc_row *r)
{
    netsnmp_tdata_row *row = netsnmp_tdata_row_next(checks.table, r->row);
    return row != NULL ? row->data : NULL;
}
