/* smtpCheckAlarmTable: each configured threshold and its state. */
#include "smtpCheckAlarmTable.h"

#include <stdlib.h>

#include "smtpcheck.h"
#include "smtpcheck_tdata.h"
#include "smtpcheck_varbind.h"

/* smtpCheckAlarmState values. */
enum { ALARM_ARMED = 1, ALARM_RAISED = 2 };

typedef struct alarm_ref {
    sc_row *r;
    smtpchk_metric m;
} alarm_ref;

typedef struct column {
    unsigned number; /* smtpCheckAlarmEntry.<number> */
    const char *mib_name;
    void (*get)(netsnmp_variable_list *v, const smtpchk_alarm *a); /* NULL: an index */
} column;

static const oid table_oid[] = {SMTPCHECK_OID_ALARM_TABLE};
static const oid entry_oid[] = {SMTPCHECK_OID_ALARM_ENTRY};

static void
get_rising(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    snmp_set_var_typed_integer(v, ASN_UNSIGNED, a->rising);
}

static void
get_falling(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    snmp_set_var_typed_integer(v, ASN_UNSIGNED, a->falling);
}

static void
get_state(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    snmp_set_var_typed_integer(v, ASN_INTEGER, a->raised ? ALARM_RAISED : ALARM_ARMED);
}

static void
get_value(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    snmp_set_var_typed_integer(v, ASN_INTEGER, a->has_value ? (long)a->value : 0);
}

static void
get_raised_count(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    snmp_set_var_typed_integer(v, ASN_COUNTER, a->raised_count);
}

static void
get_last_change(netsnmp_variable_list *v, const smtpchk_alarm *a)
{
    sc_set_date_and_time(v, a->last_change);
}

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const column columns[] = {
    {1, "smtpCheckAlarmMetric", NULL}, /* not-accessible */
    {2, "smtpCheckAlarmRising", get_rising},
    {3, "smtpCheckAlarmFalling", get_falling},
    {4, "smtpCheckAlarmState", get_state},
    {5, "smtpCheckAlarmValue", get_value},
    {6, "smtpCheckAlarmRaisedCount", get_raised_count},
    {7, "smtpCheckAlarmLastChange", get_last_change},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static const column *
column_find(unsigned number)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (columns[i].number == number && columns[i].get != NULL)
            return &columns[i];
    return NULL;
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
        const column *c = ti != NULL ? column_find(ti->colnum) : NULL;
        const smtpchk_alarm *a = ref != NULL ? sc_row_alarm(ref->r, ref->m) : NULL;
        if (a != NULL && c != NULL)
            c->get(req->requestvb, a);
        else
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

int
init_smtpCheckAlarmTable(sc_module *m)
{
    sc_tdata_spec spec = {.name = "smtpCheckAlarmTable",
                          .handler = smtpCheckAlarmTable_handler,
                          .table_oid = table_oid,
                          .table_oid_len = OID_LENGTH(table_oid),
                          .min_col = UINT32_MAX,
                          .with_metric = 1,
                          .data = m};
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (columns[i].get != NULL) {
            spec.min_col = columns[i].number < spec.min_col ? columns[i].number : spec.min_col;
            spec.max_col = columns[i].number > spec.max_col ? columns[i].number : spec.max_col;
        }
    return sc_tdata_register(&m->alarms, &spec);
}

static void
free_ref(void *data, void *ud)
{
    (void)ud;
    alarm_ref *ref = data;
    if (ref->r->alarms != NULL)
        ref->r->alarms->rows[ref->m] = NULL;
    free(ref);
}

void
shutdown_smtpCheckAlarmTable(sc_module *m)
{
    sc_tdata_unregister(&m->alarms, free_ref, NULL);
}

void
smtpCheckAlarmTable_objects(sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        sc_list_object(cb, ud, entry_oid, OID_LENGTH(entry_oid), columns[i].mib_name,
                       columns[i].number);
}

static void
drop(sc_module *m, sc_row *r, int metric)
{
    if (r->alarms == NULL || r->alarms->rows[metric] == NULL || m->alarms.table == NULL)
        return;
    free(netsnmp_tdata_remove_and_delete_row(m->alarms.table, r->alarms->rows[metric]));
    r->alarms->rows[metric] = NULL;
}

static void
add(sc_module *m, sc_row *r, int metric)
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
    ref->m = (smtpchk_metric)metric;
    row->data = ref;
    u_long idx = r->index;
    long metric_index = metric;
    netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
    netsnmp_tdata_row_add_index(row, ASN_INTEGER, &metric_index, sizeof(metric_index));
    if (netsnmp_tdata_add_row(m->alarms.table, row) != SNMPERR_SUCCESS) {
        free(netsnmp_tdata_delete_row(row));
        return;
    }
    r->alarms->rows[metric] = row;
}

void
smtpCheckAlarmTable_sync(sc_module *m, sc_row *r)
{
    if (m->alarms.table == NULL)
        return;
    for (int metric = 1; metric < SMTPCHK_METRIC__COUNT; metric++) {
        int want = sc_row_alarm(r, metric) != NULL;
        if (want && r->alarms->rows[metric] == NULL)
            add(m, r, metric);
        else if (!want)
            drop(m, r, metric);
    }
    sc_row_alarms_trim(r); /* the last metric gone: its state goes too */
}

void
smtpCheckAlarmTable_remove(sc_module *m, sc_row *r)
{
    for (int metric = 1; metric < SMTPCHK_METRIC__COUNT; metric++)
        drop(m, r, metric);
}
