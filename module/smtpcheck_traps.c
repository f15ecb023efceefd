/*
 * smtpCheckAlarmRaised / smtpCheckAlarmCleared: everything a receiver needs
 * is in the varbinds, so it never has to GET anything back. The varbinds,
 * in the order of the MIB's OBJECTS clause: the check's name, the
 * notification objects below, every result field flagged SMTPCHK_FF_TRAP
 * (fields.h), in table order, as smtpCheckTable serves it, then the
 * context columns below. The order is on the wire: new varbinds are only
 * ever appended.
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

/* Appended later (so after the result fields): which server, and why in
 * words, so a receiver names the check, the server and the reason from
 * the notification alone. */
static const char *const context_columns[] = {
    "smtpCheckHost",
    "smtpCheckPort",
    "smtpCheckErrorDetail",
};
#define NCONTEXT_COLUMNS (sizeof(context_columns) / sizeof(context_columns[0]))

static const notification raised = {1, "smtpCheckAlarmRaised"};
static const notification cleared = {2, "smtpCheckAlarmCleared"};

/*
 * The one order of the varbinds, walked to send a notification and to
 * list it (smtpcheck-agentx --notification-varbinds, which tests/mib
 * compares with the MIB's OBJECTS clause).
 */
typedef struct varbind_visitor {
    void (*column)(void *ud, const char *mib_name, unsigned col);
    void (*notif)(void *ud, const notif_object *o);
    void *ud;
} varbind_visitor;

static void
walk_varbinds(const varbind_visitor *v)
{
    v->column(v->ud, "smtpCheckName", smtpCheckTable_column("smtpCheckName"));
    for (size_t i = 0; i < NNOTIF_OBJECTS; i++)
        v->notif(v->ud, &notif_objects[i]);
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if ((f->flags & SMTPCHK_FF_TRAP) && f->mib_column != 0)
            v->column(v->ud, f->mib_name, f->mib_column);
    }
    for (size_t i = 0; i < NCONTEXT_COLUMNS; i++)
        v->column(v->ud, context_columns[i], smtpCheckTable_column(context_columns[i]));
}

static void
add_column(netsnmp_variable_list **vars, const sc_row *r, unsigned col)
{
    oid name[] = {SMTPCHECK_OID_ENTRY, col, r->index};
    netsnmp_variable_list *v =
        snmp_varlist_add_variable(vars, name, OID_LENGTH(name), ASN_NULL, NULL, 0);
    if (v != NULL && !smtpCheckTable_value(v, r, col))
        snmp_log(LOG_ERR, "smtpcheck: no smtpCheckEntry column %u for a notification\n", col);
}

typedef struct send_ctx {
    netsnmp_variable_list *vars;
    const sc_row *r;
    const smtpchk_alarm_event *ev;
} send_ctx;

static void
send_column(void *ud, const char *mib_name, unsigned col)
{
    send_ctx *c = ud;
    (void)mib_name;
    add_column(&c->vars, c->r, col);
}

static void
send_notif(void *ud, const notif_object *o)
{
    send_ctx *c = ud;
    oid name[] = {SMTPCHECK_OID_NOTIF_OBJECTS, o->number, 0};
    netsnmp_variable_list *v =
        snmp_varlist_add_variable(&c->vars, name, OID_LENGTH(name), ASN_NULL, NULL, 0);
    if (v != NULL)
        snmp_set_var_typed_integer(v, o->type, o->get(c->ev));
}

void
smtpcheck_send_alarm(const sc_row *r, const smtpchk_alarm_event *ev)
{
    const notification *n = ev->raised ? &raised : &cleared;
    oid trap[] = {SMTPCHECK_OID_NOTIFICATIONS, n->number};
    send_ctx c = {.r = r, .ev = ev};
    snmp_varlist_add_variable(&c.vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
                              trap, sizeof(trap));
    varbind_visitor v = {send_column, send_notif, &c};
    walk_varbinds(&v);
    DEBUGMSGTL(("smtpcheck:traps", "%s %s for check %u (%s): value %lld threshold %u\n",
                n->mib_name, smtpchk_metric_name(ev->metric), r->index, sc_row_name(r),
                (long long)ev->value, ev->threshold));
    send_v2trap(c.vars);
    snmp_free_varbind(c.vars);
}

typedef struct list_ctx {
    void (*fn)(const char *mib_name, void *ud);
    void *ud;
} list_ctx;

static void
list_column(void *ud, const char *mib_name, unsigned col)
{
    list_ctx *l = ud;
    (void)col;
    l->fn(mib_name, l->ud);
}

static void
list_notif(void *ud, const notif_object *o)
{
    list_ctx *l = ud;
    l->fn(o->mib_name, l->ud);
}

void
smtpcheck_traps_varbinds(void (*fn)(const char *mib_name, void *ud), void *ud)
{
    list_ctx l = {fn, ud};
    varbind_visitor v = {list_column, list_notif, &l};
    walk_varbinds(&v);
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
