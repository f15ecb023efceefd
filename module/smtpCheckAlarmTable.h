/* smtpCheckAlarmTable: each configured threshold and its state. */
#ifndef SMTPCHECKALARMTABLE_H
#define SMTPCHECKALARMTABLE_H

#include "smtpcheck_oids.h"
#include "smtpcheck_rows.h"

typedef struct sc_module sc_module;

int init_smtpCheckAlarmTable(sc_module *m);
void shutdown_smtpCheckAlarmTable(sc_module *m);
/* Adds or drops alarm rows to match the row's configured alarms. */
void smtpCheckAlarmTable_sync(sc_module *m, sc_row *r);
void smtpCheckAlarmTable_remove(sc_module *m, sc_row *r);
/* Every column, with its MIB name (smtpcheck-agentx --columns). */
void smtpCheckAlarmTable_objects(sc_object_cb *cb, void *ud);

#endif
