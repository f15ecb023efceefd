/*
 * tdata_baseline.so: bench/run P4's reference table, loaded into the same
 * snmpd as smtpcheck.so with dlmod. A plain netsnmp_tdata table of constant
 * rows, of the shape bench/run writes in snmpd.conf (generated from
 * smtpCheckEntry in the MIB, so that both tables carry the same varbinds):
 *
 *     benchTdataColumn NUMBER TYPE   one per column: i INTEGER, u Unsigned32,
 *                                    g Gauge32, c Counter32, s OCTET STRING
 *                                    (16 bytes), d DateAndTime (8 bytes)
 *     benchTdataRows N               then N rows, index 1..N
 *
 * registered at netSnmpPlaypen.4242 (.1.3.6.1.4.1.8072.9999.9999.4242),
 * entry .1. Timing a bulk walk of it against one of smtpCheckTable shows
 * how much of the walk is smtpcheck's handler.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "argnum.h"

#define MAX_COLS 64

void init_tdata_baseline(void);
void deinit_tdata_baseline(void);

static char col_type[MAX_COLS + 1];
static int min_col = MAX_COLS + 1, max_col;
static netsnmp_tdata *table;
static netsnmp_handler_registration *reg;
static const oid table_oid[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242, 1};
static const char text[16] = "constant-text-16";
static const u_char date[8] = {0x07, 0xea, 12, 2, 12, 0, 0, 0};

static void
set_value(netsnmp_variable_list *vb, char type, long row)
{
    long i = row;
    u_long u = (u_long)row;

    switch (type) {
    case 'i': snmp_set_var_typed_value(vb, ASN_INTEGER, &i, sizeof i); break;
    case 'u': snmp_set_var_typed_value(vb, ASN_UNSIGNED, &u, sizeof u); break;
    case 'g': snmp_set_var_typed_value(vb, ASN_GAUGE, &u, sizeof u); break;
    case 'c': snmp_set_var_typed_value(vb, ASN_COUNTER, &u, sizeof u); break;
    case 'd': snmp_set_var_typed_value(vb, ASN_OCTET_STR, date, sizeof date); break;
    default: snmp_set_var_typed_value(vb, ASN_OCTET_STR, text, sizeof text); break;
    }
}

static int
tdata_baseline_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *r,
                       netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
    (void)handler;
    (void)r;
    if (info->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *q = requests; q != NULL; q = q->next) {
        netsnmp_tdata_row *row = netsnmp_tdata_extract_row(q);
        netsnmp_table_request_info *ti = netsnmp_extract_table_info(q);

        if (row == NULL || ti == NULL || ti->colnum > MAX_COLS || !col_type[ti->colnum]) {
            netsnmp_set_request_error(info, q, SNMP_NOSUCHINSTANCE);
            continue;
        }
        set_value(q->requestvb, col_type[ti->colnum], (long)*row->indexes->val.integer);
    }
    return SNMP_ERR_NOERROR;
}

static void
parse_benchTdataColumn(const char *token, char *line)
{
    char num[12], type[8];
    long long c;
    int off = 0;

    (void)token;
    if (sscanf(line, "%11s %7s %n", num, type, &off) != 2 || line[off] != '\0' ||
        bench_num(num, 1, MAX_COLS, &c) != 0)
        return config_perror("benchTdataColumn NUMBER TYPE");
    int col = (int)c;
    col_type[col] = type[0];
    min_col = col < min_col ? col : min_col;
    max_col = col > max_col ? col : max_col;
}

static void
parse_benchTdataRows(const char *token, char *line)
{
    long long n = 0;
    netsnmp_table_registration_info *ti;

    (void)token;
    if (table != NULL || bench_num(line, 1, 10000000, &n) != 0 || max_col == 0)
        return config_perror("benchTdataRows N, once, after benchTdataColumn");
    table = netsnmp_tdata_create_table("benchTdata", 0);
    for (u_long i = 1; i <= (u_long)n; i++) {
        netsnmp_tdata_row *row = netsnmp_tdata_create_row();
        netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &i, sizeof i);
        netsnmp_tdata_add_row(table, row);
    }
    reg = netsnmp_create_handler_registration("benchTdata", tdata_baseline_handler, table_oid,
                                              OID_LENGTH(table_oid), HANDLER_CAN_RONLY);
    ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
    ti->min_column = (unsigned)min_col;
    ti->max_column = (unsigned)max_col;
    netsnmp_tdata_register(reg, table, ti);
}

void
init_tdata_baseline(void)
{
    snmpd_register_config_handler("benchTdataColumn", parse_benchTdataColumn, NULL,
                                  "NUMBER TYPE");
    snmpd_register_config_handler("benchTdataRows", parse_benchTdataRows, NULL, "N");
}

void
deinit_tdata_baseline(void)
{
    snmpd_unregister_config_handler("benchTdataColumn");
    snmpd_unregister_config_handler("benchTdataRows");
    if (reg != NULL)
        netsnmp_unregister_handler(reg);
    reg = NULL;
}
