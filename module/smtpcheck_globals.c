/* smtpCheckGlobals: the check file and how its loads went. */
#include "smtpcheck.h"

#include <string.h>

#include "smtpcheck_oids.h"

static netsnmp_handler_registration *reg;
static sc_globals *globals;

static int
global_value(netsnmp_variable_list *v, unsigned which)
{
    u_long u;
    u_char dt[11];
    switch (which) {
    case GLOBAL_CONFIG_FILE:
        /* DisplayString: at most 255 octets are published. */
        snmp_set_var_typed_value(v, ASN_OCTET_STR, globals->config_path,
                                 strnlen(globals->config_path, 255));
        return 1;
    case GLOBAL_CONFIG_LOADS:
        u = globals->config_loads;
        snmp_set_var_typed_value(v, ASN_COUNTER, &u, sizeof(u));
        return 1;
    case GLOBAL_CONFIG_ERRORS:
        u = globals->config_errors;
        snmp_set_var_typed_value(v, ASN_COUNTER, &u, sizeof(u));
        return 1;
    case GLOBAL_IN_FLIGHT:
        u = smtpcheck_in_flight(); /* now, not as of the last result */
        snmp_set_var_typed_value(v, ASN_GAUGE, &u, sizeof(u));
        return 1;
    case GLOBAL_LAST_LOAD:
        snmp_set_var_typed_value(v, ASN_OCTET_STR, dt,
                                 smtpcheck_date_and_time(globals->last_load, dt));
        return 1;
    }
    return 0;
}

static int
smtpcheck_globals_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler;
    (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
        netsnmp_variable_list *v = req->requestvb;
        /* The scalar group helper hands us <group>.<n>.0 */
        unsigned which = v->name_length >= 2 ? (unsigned)v->name[v->name_length - 2] : 0;
        if (!global_value(v, which))
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
}

int
init_smtpcheck_globals(sc_globals *g)
{
    static const oid group_oid[] = {SMTPCHECK_OID_GLOBALS};
    globals = g;
    reg = netsnmp_create_handler_registration("smtpCheckGlobals", smtpcheck_globals_handler,
                                              group_oid, OID_LENGTH(group_oid),
                                              HANDLER_CAN_RONLY);
    if (reg == NULL)
        return -1;
    return netsnmp_register_scalar_group(reg, GLOBAL_CONFIG_FILE, GLOBAL__LAST) ==
                   SNMPERR_SUCCESS
               ? 0
               : -1;
}

void
shutdown_smtpcheck_globals(void)
{
    if (reg != NULL)
        netsnmp_unregister_handler(reg);
    reg = NULL;
}
