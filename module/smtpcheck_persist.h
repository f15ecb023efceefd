/*
 * Counters, alarm states and last results across module reloads (SIGHUP)
 * and agent restarts: smtpcheck-state.conf in Net-SNMP's persistent
 * directory, as named records (record.h) with a format version.
 */
#ifndef SMTPCHECK_PERSIST_H
#define SMTPCHECK_PERSIST_H

#include "smtpcheck_rows.h"

typedef struct sc_module sc_module;

/* Writes the state of every row and the globals, atomically. */
void smtpcheck_persist_save(sc_module *m);
/* Once per module instance: the load counters of smtpCheckGlobals. */
void smtpcheck_persist_load_globals(sc_module *m);
/* Reads the saved rows, to be restored into new rows until forget. */
void smtpcheck_persist_load(sc_module *m);
/* Restores r's saved state when the same check (index and name) had it. */
void smtpcheck_persist_restore(sc_module *m, sc_row *r);
void smtpcheck_persist_forget(sc_module *m);

#endif
