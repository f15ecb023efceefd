/* smtpCheckTargetTable: the targets of each MX check (smtpcheck_walk.h). */
#ifndef SMTPCHECKTARGETTABLE_H
#define SMTPCHECKTARGETTABLE_H

#include "smtpcheck_oids.h"

typedef struct sc_module sc_module;

int init_smtpCheckTargetTable(sc_module *m);
void shutdown_smtpCheckTargetTable(sc_module *m);
/* Every column, with its MIB name (smtpcheck-agentx --columns). */
void smtpCheckTargetTable_objects(sc_object_cb *cb, void *ud);

#endif
