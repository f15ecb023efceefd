/* The registration and teardown both read-only tdata tables share. */
#ifndef SMTPCHECK_TDATA_H
#define SMTPCHECK_TDATA_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

typedef struct sc_tdata {
    netsnmp_tdata *table;
    netsnmp_handler_registration *reg;
    netsnmp_table_registration_info *info; /* ours to free: the handler does not */
} sc_tdata;

/* What a table registers: its handler gets `data` as reginfo->my_reg_void. */
typedef struct sc_tdata_spec {
    const char *name;
    Netsnmp_Node_Handler *handler;
    const oid *table_oid;
    size_t table_oid_len;
    unsigned min_col, max_col;
    int with_metric; /* second index: smtpCheckAlarmMetric */
    void *data;
} sc_tdata_spec;

int sc_tdata_register(sc_tdata *t, const sc_tdata_spec *spec);
/* Unregisters the handler, then removes every row, giving its data to
 * free_data(data, ud). */
void sc_tdata_unregister(sc_tdata *t, void (*free_data)(void *data, void *ud), void *ud);

#endif
