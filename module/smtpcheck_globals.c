/* smtpCheckGlobals: the check file and how its loads went. */
#include "smtpcheck_globals.h"

#include "smtpcheck.h"
#include "smtpcheck_engine.h"
#include "smtpcheck_varbind.h"

typedef struct scalar {
    unsigned number; /* smtpCheckGlobals.<number>.0 */
    const char *mib_name;
    void (*get)(netsnmp_variable_list *v, sc_module *m);
} scalar;

static void
get_config_file(netsnmp_variable_list *v, sc_module *m)
{
    sc_set_text(v, m->globals.config_path, 255); /* DisplayString */
}

static void
get_config_loads(netsnmp_variable_list *v, sc_module *m)
{
    snmp_set_var_typed_integer(v, ASN_COUNTER, m->globals.config_loads);
}

static void
get_config_errors(netsnmp_variable_list *v, sc_module *m)
{
    snmp_set_var_typed_integer(v, ASN_COUNTER, m->globals.config_errors);
}

static void
get_in_flight(netsnmp_variable_list *v, sc_module *m)
{
    /* Now, not as of the last result. */
    snmp_set_var_typed_integer(v, ASN_GAUGE, smtpcheck_engine_in_flight(m));
}

static void
get_last_load(netsnmp_variable_list *v, sc_module *m)
{
    sc_set_date_and_time(v, m->globals.last_load);
}

static const oid group_oid[] = {SMTPCHECK_OID_GLOBALS};

/* The MIB's numbers: tests/mib compares each with snmptranslate. */
static const scalar scalars[] = {
    {1, "smtpCheckConfigFile", get_config_file},
    {2, "smtpCheckConfigLoads", get_config_loads},
    {3, "smtpCheckConfigErrors", get_config_errors},
    {4, "smtpCheckChecksInFlight", get_in_flight},
    {5, "smtpCheckConfigLastLoad", get_last_load},
};
#define NSCALARS (sizeof(scalars) / sizeof(scalars[0]))

static const scalar *
scalar_find(unsigned number)
{
    for (size_t i = 0; i < NSCALARS; i++)
        if (scalars[i].number == number)
            return &scalars[i];
    return NULL;
}

static int
smtpcheck_globals_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
        netsnmp_variable_list *v = req->requestvb;
        /* The scalar group helper hands us <group>.<n>.0 */
        const scalar *s = v->name_length >= 2 ? scalar_find((unsigned)v->name[v->name_length - 2])
                                              : NULL;
        if (s != NULL)
            s->get(v, reginfo->my_reg_void);
        else
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

int
init_smtpcheck_globals(sc_module *m)
{
    unsigned lo = scalars[0].number, hi = scalars[0].number;
    for (size_t i = 1; i < NSCALARS; i++) {
        lo = scalars[i].number < lo ? scalars[i].number : lo;
        hi = scalars[i].number > hi ? scalars[i].number : hi;
    }
    m->globals_reg = netsnmp_create_handler_registration(
        "smtpCheckGlobals", smtpcheck_globals_handler, group_oid, OID_LENGTH(group_oid),
        HANDLER_CAN_RONLY);
    if (m->globals_reg == NULL)
        return -1;
    m->globals_reg->my_reg_void = m;
    return netsnmp_register_scalar_group(m->globals_reg, lo, hi) == SNMPERR_SUCCESS ? 0 : -1;
}

void
shutdown_smtpcheck_globals(sc_module *m)
{
    if (m->globals_reg != NULL)
        netsnmp_unregister_handler(m->globals_reg);
    m->globals_reg = NULL;
}

void
smtpcheck_globals_objects(sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < NSCALARS; i++)
        sc_list_object(cb, ud, group_oid, OID_LENGTH(group_oid), scalars[i].mib_name,
                       scalars[i].number);
}
