/* smtpCheckGlobals: the check file and how its loads went. */
#ifndef SMTPCHECK_GLOBALS_H
#define SMTPCHECK_GLOBALS_H

#include <stdint.h>

#include "smtpcheck_oids.h"

typedef struct sc_module sc_module;

typedef struct sc_globals {
    char config_path[1024];
    uint32_t config_loads, config_errors;
    int64_t last_load; /* wall clock seconds; 0 = never */
} sc_globals;

int init_smtpcheck_globals(sc_module *m);
void shutdown_smtpcheck_globals(sc_module *m);
/* Every scalar, with its MIB name (smtpcheck-agentx --columns). */
void smtpcheck_globals_objects(sc_object_cb *cb, void *ud);

#endif
