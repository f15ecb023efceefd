/* smtpCheckAlarmRaised / smtpCheckAlarmCleared: everything a receiver needs
 * is in the varbinds, so it never has to GET anything back. */
#include "smtpcheck.h"

#include <string.h>

#include "smtpcheck_oids.h"

static const oid snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

static void
add_column(netsnmp_variable_list **vars, unsigned col, unsigned index, u_char type,
           const void *val, size_t len)
{
    oid name[] = {SMTPCHECK_OID_ENTRY, col, index};
    snmp_varlist_add_variable(vars, name, OID_LENGTH(name), type, val, len);
}

static void
add_notif(netsnmp_variable_list **vars, unsigned which, u_char type, const void *val,
          size_t len)
{
    oid name[] = {SMTPCHECK_OID_NOTIF_OBJECTS, which, 0};
    snmp_varlist_add_variable(vars, name, OID_LENGTH(name), type, val, len);
}

void
smtpcheck_send_alarm(const sc_row *r, const smtpchk_alarm_event *ev)
{
    oid trap[] = {SMTPCHECK_OID_NOTIFICATIONS,
                  ev->raised ? NOTIFY_ALARM_RAISED : NOTIFY_ALARM_CLEARED};
    netsnmp_variable_list *vars = NULL;
    snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
                              trap, sizeof(trap));
    const smtpchk_result *x = &r->last;
    long metric = ev->metric, value = (long)ev->value, code = x->response_code;
    long err = x->error, step = x->failed_step;
    u_long threshold = ev->threshold;
    add_column(&vars, COL_NAME, r->index, ASN_OCTET_STR, r->name, strlen(r->name));
    add_notif(&vars, NOTIF_METRIC, ASN_INTEGER, &metric, sizeof(metric));
    add_notif(&vars, NOTIF_VALUE, ASN_INTEGER, &value, sizeof(value));
    add_notif(&vars, NOTIF_THRESHOLD, ASN_UNSIGNED, &threshold, sizeof(threshold));
    add_column(&vars, COL_ERROR_CODE, r->index, ASN_INTEGER, &err, sizeof(err));
    add_column(&vars, COL_RESPONSE_CODE, r->index, ASN_INTEGER, &code, sizeof(code));
    add_column(&vars, COL_FAILED_STEP, r->index, ASN_INTEGER, &step, sizeof(step));
    add_column(&vars, COL_LAST_REPLY_TEXT, r->index, ASN_OCTET_STR, x->reply_text,
               strlen(x->reply_text));
    DEBUGMSGTL(("smtpcheck:traps", "%s %s for check %u (%s): value %ld threshold %lu\n",
                ev->raised ? "raised" : "cleared", smtpchk_metric_name(ev->metric), r->index,
                r->name, value, threshold));
    send_v2trap(vars);
    snmp_free_varbind(vars);
}
