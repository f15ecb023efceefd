/*
 * smtpCheckTargetTable: one row per target of an MX check's last run,
 * indexed by (smtpCheckIndex, smtpCheckTargetIndex). Served from the
 * targets each row keeps (sc_row.targets): no Net-SNMP row per target,
 * and a run's end replaces them all, so rows follow DNS.
 */
#include "smtpCheckTargetTable.h"

#include "smtpcheck.h"
#include "smtpcheck_varbind.h"
#include "smtpcheck_walk.h"

typedef struct column {
    sc_walk_column c;
    void (*set)(netsnmp_variable_list *v, const smtpchk_target *t);
} column;

static const oid entry_oid[] = {SMTPCHECK_OID_TARGET_ENTRY};

static void
set_int(netsnmp_variable_list *v, u_char type, long value)
{
    snmp_set_var_typed_integer(v, type, value);
}

/* Microseconds as Gauge32: 0 for a phase that did not run, saturating. */
static long
gauge_us(int64_t us)
{
    return us < 0 ? 0 : us > (int64_t)UINT32_MAX ? (long)UINT32_MAX : (long)us;
}

static void
exchanger(netsnmp_variable_list *v, const smtpchk_target *t)
{
    sc_set_text(v, t->mx, sizeof(t->mx));
}

static void
preference(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->preference);
}

static void
family(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->family);
}

static void
address(netsnmp_variable_list *v, const smtpchk_target *t)
{
    sc_set_text(v, t->address, sizeof(t->address));
}

static void
via_cname(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->via_cname ? 1 : 2); /* TruthValue */
}

static void
status(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->result.error == SMTPCHK_OK ? SC_STATUS_OK : SC_STATUS_FAILED);
}

static void
error_code(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->result.error);
}

static void
failed_step(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->result.failed_step);
}

static void
response_code(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_INTEGER, t->result.response_code);
}

static void
dns_us(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_GAUGE, gauge_us(t->result.phase_us[SMTPCHK_PHASE_DNS]));
}

static void
connect_us(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_GAUGE, gauge_us(t->result.phase_us[SMTPCHK_PHASE_CONNECT]));
}

static void
total_us(netsnmp_variable_list *v, const smtpchk_target *t)
{
    set_int(v, ASN_GAUGE, gauge_us(t->result.phase_us[SMTPCHK_PHASE_TOTAL]));
}

static void
detail(netsnmp_variable_list *v, const smtpchk_target *t)
{
    sc_set_text(v, t->result.error == SMTPCHK_OK ? "" : t->result.error_detail,
                sizeof(t->result.error_detail));
}

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const column columns[] = {
    {{"smtpCheckTargetIndex", 1}, NULL},
    {{"smtpCheckTargetExchanger", 2}, exchanger},
    {{"smtpCheckTargetPreference", 3}, preference},
    {{"smtpCheckTargetAddressType", 4}, family},
    {{"smtpCheckTargetAddress", 5}, address},
    {{"smtpCheckTargetViaCname", 6}, via_cname},
    {{"smtpCheckTargetStatus", 7}, status},
    {{"smtpCheckTargetErrorCode", 8}, error_code},
    {{"smtpCheckTargetFailedStep", 9}, failed_step},
    {{"smtpCheckTargetResponseCode", 10}, response_code},
    {{"smtpCheckTargetDnsTimeUs", 11}, dns_us},
    {{"smtpCheckTargetConnectTimeUs", 12}, connect_us},
    {{"smtpCheckTargetTotalTimeUs", 13}, total_us},
    {{"smtpCheckTargetDetail", 14}, detail},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static uint32_t
next_target(const sc_row *r, uint32_t after)
{
    return after < r->ntargets ? after + 1 : 0;
}

static int
get(netsnmp_variable_list *v, const sc_row *r, uint32_t sub, unsigned col)
{
    if (sub < 1 || sub > r->ntargets || col < 1 || col > NCOLUMNS || columns[col - 1].set == NULL)
        return 0;
    columns[col - 1].set(v, &r->targets[sub - 1]);
    return 1;
}

const sc_walk_spec smtpCheckTargetTable_spec = {
    .name = "smtpCheckTargetTable",
    .entry_oid = entry_oid,
    .entry_len = OID_LENGTH(entry_oid),
    .min_col = 2,
    .max_col = NCOLUMNS,
    .next_sub = next_target,
    .get = get,
    SC_WALK_COLUMNS(columns),
};
