/*
 * Counters, alarm states and last results across module reloads (SIGHUP)
 * and agent restarts: smtpcheck-state.conf in Net-SNMP's persistent
 * directory, as named records (record.h) with a format version.
 */
#ifndef SMTPCHECK_PERSIST_H
#define SMTPCHECK_PERSIST_H

#include "smtpcheck_rows.h"

typedef struct sc_module sc_module;

/* Writes the state of every row and the globals, atomically, now (at
 * deinit and when Net-SNMP stores its data); ends a save in steps first. */
void smtpcheck_persist_save(sc_module *m);
/*
 * The same file written in steps, so that the main thread never formats
 * every row in one go (issue 13, defect 3): begin writes the globals,
 * each step at most max_rows rows (in index order, after the last one
 * written: rows added or removed meanwhile are simply met or not), and
 * the step that reaches the end renames the file into place. Each row is
 * written whole in one step. Returns 1 when the save is over (done or
 * failed), 0 when more steps are needed.
 */
int smtpcheck_persist_save_begin(sc_module *m);
int smtpcheck_persist_save_step(sc_module *m, size_t max_rows);
/* Drops a save in steps (its temporary file); no-op when none runs. */
void smtpcheck_persist_save_abort(sc_module *m);
/* Once per module instance: the load counters of smtpCheckGlobals. */
void smtpcheck_persist_load_globals(sc_module *m);
/* Reads the saved rows, to be restored into new rows until forget. */
void smtpcheck_persist_load(sc_module *m);
/* Restores r's saved state when the same check (index and name) had it. */
void smtpcheck_persist_restore(sc_module *m, sc_row *r);
void smtpcheck_persist_forget(sc_module *m);

#endif
