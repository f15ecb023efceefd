/* smtpCheckStatsTable: each check's 1 h and 24 h figures (window.h). */
#ifndef SMTPCHECKSTATSTABLE_H
#define SMTPCHECKSTATSTABLE_H

#include "smtpcheck_oids.h"

typedef struct sc_module sc_module;

int init_smtpCheckStatsTable(sc_module *m);
void shutdown_smtpCheckStatsTable(sc_module *m);
/* Every column, with its MIB name (smtpcheck-agentx --columns). */
void smtpCheckStatsTable_objects(sc_object_cb *cb, void *ud);

#endif
