/*
 * smtpCheckAlarmRaised / smtpCheckAlarmCleared: everything a receiver needs
 * is in the varbinds, so it never has to GET anything back. The varbinds,
 * in the order of the MIB's OBJECTS clause: the check's name, the
 * notification objects below, then every result field flagged
 * SMTPCHK_FF_TRAP (fields.h), in table order, as smtpCheckTable serves it.
 */
#include "smtpcheck_traps.h"

#include "fields.h"
#include "smtpCheckTable.h"
#include "smtpcheck_varbind.h"

typedef struct notif_object {
    unsigned number; /* smtpCheckNotifObjects.<number>.0 */
    const char *mib_name;
    u_char type;
    long (*get)(const smtpchk_alarm_event *ev);
} notif_object;

typedef struct notification {
    unsigned number; /* smtpCheckNotifications.<number> */
    const char *mib_name;
} notification;

static const oid snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const oid notifications_oid[] = {SMTPCHECK_OID_NOTIFICATIONS};
static const oid notif_objects_oid[] = {SMTPCHECK_OID_NOTIF_OBJECTS};

static long
get_metric(const smtpchk_alarm_event *ev)
{
    return ev->metric;
}

static long
get_value(const smtpchk_alarm_event *ev)
{
    return (long)ev->value;
}

static long
get_threshold(const smtpchk_alarm_event *ev)
{
    return (long)ev->threshold;
}

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const notif_object notif_objects[] = {
    {1, "smtpCheckNotifMetric", ASN_INTEGER, get_metric},
    {2, "smtpCheckNotifValue", ASN_INTEGER, get_value},
    {3, "smtpCheckNotifThreshold", ASN_UNSIGNED, get_threshold},
};
#define NNOTIF_OBJECTS (sizeof(notif_objects) / sizeof(notif_objects[0]))

static const notification raised = {1, "smtpCheckAlarmRaised"};
static const notification cleared = {2, "smtpCheckAlarmCleared"};

static void
add_column(netsnmp_variable_list **vars, const sc_row *r, unsigned col)
{
    oid name[] = {SMTPCHECK_OID_ENTRY, col, r->index};
    netsnmp_variable_list *v =
        snmp_varlist_add_variable(vars, name, OID_LENGTH(name), ASN_NULL, NULL, 0);
    if (v != NULL && !smtpCheckTable_value(v, r, col))
        snmp_log(LOG_ERR, "smtpcheck: no smtpCheckEntry column %u for a notification\n", col);
}

static void
add_notif_objects(netsnmp_variable_list **vars, const smtpchk_alarm_event *ev)
{
    for (size_t i = 0; i < NNOTIF_OBJECTS; i++) {
        oid name[] = {SMTPCHECK_OID_NOTIF_OBJECTS, notif_objects[i].number, 0};
        netsnmp_variable_list *v =
            snmp_varlist_add_variable(vars, name, OID_LENGTH(name), ASN_NULL, NULL, 0);
        if (v != NULL)
            snmp_set_var_typed_integer(v, notif_objects[i].type, notif_objects[i].get(ev));
    }
}

static void
add_trap_fields(netsnmp_variable_list **vars, const sc_row *r)
{
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if ((f->flags & SMTPCHK_FF_TRAP) && f->mib_column != 0)
            add_column(vars, r, f->mib_column);
    }
}

void
smtpcheck_send_alarm(const sc_row *r, const smtpchk_alarm_event *ev)
{
    const notification *n = ev->raised ? &raised : &cleared;
    oid trap[] = {SMTPCHECK_OID_NOTIFICATIONS, n->number};
    netsnmp_variable_list *vars = NULL;
    snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
                              trap, sizeof(trap));
    add_column(&vars, r, smtpCheckTable_column("smtpCheckName"));
    add_notif_objects(&vars, ev);
    add_trap_fields(&vars, r);
    DEBUGMSGTL(("smtpcheck:traps", "%s %s for check %u (%s): value %lld threshold %u\n",
                n->mib_name, smtpchk_metric_name(ev->metric), r->index, r->name,
                (long long)ev->value, ev->threshold));
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

void
smtpcheck_traps_objects(sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < NNOTIF_OBJECTS; i++)
        sc_list_object(cb, ud, notif_objects_oid, OID_LENGTH(notif_objects_oid),
                       notif_objects[i].mib_name, notif_objects[i].number);
    sc_list_object(cb, ud, notifications_oid, OID_LENGTH(notifications_oid), raised.mib_name,
                   raised.number);
    sc_list_object(cb, ud, notifications_oid, OID_LENGTH(notifications_oid), cleared.mib_name,
                   cleared.number);
}
