/* The registration and teardown both read-only tdata tables share. */
#include "smtpcheck_tdata.h"

int
sc_tdata_register(sc_tdata *t, const sc_tdata_spec *s)
{
    /* A row's index values are a variable list of about 1.1 kB each (its
     * inline OID buffer); the row's index OID is all a read-only table
     * needs, so Net-SNMP frees them once the row is added. */
    t->table = netsnmp_tdata_create_table(s->name, TDATA_FLAG_NO_STORE_INDEXES);
    t->reg = netsnmp_create_handler_registration(s->name, s->handler, s->table_oid,
                                                 s->table_oid_len, HANDLER_CAN_RONLY);
    netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    if (t->table == NULL || t->reg == NULL || ti == NULL) {
        SNMP_FREE(ti);
        return -1;
    }
    t->reg->my_reg_void = s->data;
    /* smtpCheckIndex, then smtpCheckAlarmMetric for the alarm table. */
    if (s->with_metric)
        netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, ASN_INTEGER, 0);
    else
        netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
    ti->min_column = s->min_col;
    ti->max_column = s->max_col;
    t->info = ti;
    return netsnmp_tdata_register(t->reg, t->table, ti) == SNMPERR_SUCCESS ? 0 : -1;
}

void
sc_tdata_unregister(sc_tdata *t, void (*free_data)(void *data, void *ud), void *ud)
{
    /* Net-SNMP's order: the handler first, then the rows. */
    if (t->reg != NULL)
        netsnmp_unregister_handler(t->reg);
    t->reg = NULL;
    if (t->info != NULL)
        netsnmp_table_registration_info_free(t->info);
    t->info = NULL;
    if (t->table == NULL)
        return;
    netsnmp_tdata_row *row;
    while ((row = netsnmp_tdata_row_first(t->table)) != NULL)
        free_data(netsnmp_tdata_remove_and_delete_row(t->table, row), ud);
    netsnmp_tdata_delete_table(t->table);
    t->table = NULL;
}
