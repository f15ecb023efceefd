/* smtpCheckHistoryTable: the last runs of each check (smtpcheck_walk.h). */
#ifndef SMTPCHECKHISTORYTABLE_H
#define SMTPCHECKHISTORYTABLE_H

#include "smtpcheck_oids.h"

typedef struct sc_module sc_module;

int init_smtpCheckHistoryTable(sc_module *m);
void shutdown_smtpCheckHistoryTable(sc_module *m);
/* Every column, with its MIB name (smtpcheck-agentx --columns). */
void smtpCheckHistoryTable_objects(sc_object_cb *cb, void *ud);

#endif
