/* smtpCheckAlarmTable: each configured threshold and its state. */
#include "smtpcheck.h"

#include <stdlib.h>

#include "smtpcheck_oids.h"

typedef struct alarm_ref {
    sc_row *r;
    smtpchk_metric m;
} alarm_ref;

static sc_tdata alarms;

static int
alarm_column(netsnmp_variable_list *v, const alarm_ref *ref, unsigned col)
{
    const smtpchk_alarm *a = &ref->r->alarms.a[ref->m];
    u_long u;
    long i;
    u_char dt[11];
    switch (col) {
    case ACOL_RISING: u = a->rising; break;
    case ACOL_FALLING: u = a->falling; break;
    case ACOL_RAISED_COUNT:
        u = a->raised_count;
        snmp_set_var_typed_value(v, ASN_COUNTER, &u, sizeof(u));
        return 1;
    case ACOL_STATE:
        i = a->raised ? ALARM_RAISED : ALARM_ARMED;
        snmp_set_var_typed_value(v, ASN_INTEGER, &i, sizeof(i));
        return 1;
    case ACOL_VALUE:
        i = a->has_value ? (long)a->value : 0;
        snmp_set_var_typed_value(v, ASN_INTEGER, &i, sizeof(i));
        return 1;
    case ACOL_LAST_CHANGE:
        snmp_set_var_typed_value(v, ASN_OCTET_STR, dt,
                                 smtpcheck_date_and_time((time_t)a->last_change, dt));
        return 1;
    default:
        return 0;
    }
    snmp_set_var_typed_value(v, ASN_UNSIGNED, &u, sizeof(u));
    return 1;
}

static int
smtpCheckAlarmTable_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                            netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler;
    (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
        if (req->processed)
            continue;
        const alarm_ref *ref = netsnmp_tdata_extract_entry(req);
        netsnmp_table_request_info *ti = netsnmp_extract_table_info(req);
        if (ref == NULL || ti == NULL || !alarm_column(req->requestvb, ref, ti->colnum))
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

int
init_smtpCheckAlarmTable(void)
{
    static const oid table_oid[] = {SMTPCHECK_OID_ALARM_TABLE};
    return sc_tdata_register(&alarms, "smtpCheckAlarmTable", smtpCheckAlarmTable_handler,
                             table_oid, OID_LENGTH(table_oid), ACOL_RISING, ACOL__LAST, 1);
}

static void
free_ref(void *data)
{
    alarm_ref *ref = data;
    ref->r->alarm_rows[ref->m] = NULL;
    free(ref);
}

void
shutdown_smtpCheckAlarmTable(void)
{
    sc_tdata_unregister(&alarms, free_ref);
}

static void
drop(sc_row *r, int m)
{
    if (r->alarm_rows[m] == NULL || alarms.table == NULL)
        return;
    free(netsnmp_tdata_remove_and_delete_row(alarms.table, r->alarm_rows[m]));
    r->alarm_rows[m] = NULL;
}

static void
add(sc_row *r, int m)
{
    alarm_ref *ref = calloc(1, sizeof(*ref));
    netsnmp_tdata_row *row = netsnmp_tdata_create_row();
    if (ref == NULL || row == NULL) {
        free(ref);
        if (row != NULL)
            netsnmp_tdata_delete_row(row);
        return;
    }
    ref->r = r;
    ref->m = (smtpchk_metric)m;
    row->data = ref;
    u_long idx = r->index;
    long metric = m;
    netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
    netsnmp_tdata_row_add_index(row, ASN_INTEGER, &metric, sizeof(metric));
    if (netsnmp_tdata_add_row(alarms.table, row) != SNMPERR_SUCCESS) {
        free(netsnmp_tdata_delete_row(row));
        return;
    }
    r->alarm_rows[m] = row;
}

void
smtpCheckAlarmTable_sync(sc_row *r)
{
    if (alarms.table == NULL)
        return;
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++) {
        int want = r->alarms.a[m].configured;
        if (want && r->alarm_rows[m] == NULL)
            add(r, m);
        else if (!want)
            drop(r, m);
    }
}

void
smtpCheckAlarmTable_remove(sc_row *r)
{
    for (int m = 1; m < SMTPCHK_METRIC__COUNT; m++)
        drop(r, m);
}
