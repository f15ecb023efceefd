/* smtpCheckTable: one row per configured check (netsnmp_tdata, read-only). */
#ifndef SMTPCHECKTABLE_H
#define SMTPCHECKTABLE_H

#include "smtpcheck_oids.h"
#include "smtpcheck_rows.h"

typedef struct sc_module sc_module;

int init_smtpCheckTable(sc_module *m);
/* Unregisters the table, then frees every row (and its alarm rows). */
void shutdown_smtpCheckTable(sc_module *m);
int smtpCheckTable_add(sc_module *m, sc_row *r);
/* Takes r (and its alarm rows) out of the table; r stays the caller's. */
void smtpCheckTable_remove(sc_module *m, sc_row *r);
sc_row *smtpCheckTable_find(sc_module *m, unsigned index);
sc_row *smtpCheckTable_first(sc_module *m);
sc_row *smtpCheckTable_next(sc_module *m, sc_row *r);
/* The first row whose index is above index (0: the first row). */
sc_row *smtpCheckTable_after(sc_module *m, unsigned index);

/* Sets v to column col of r as a GET would; 0 when no such column. */
int smtpCheckTable_value(netsnmp_variable_list *v, const sc_row *r, unsigned col);
/* The number of the column the MIB calls mib_name; 0 when none. */
unsigned smtpCheckTable_column(const char *mib_name);
/* Every column, with its MIB name (smtpcheck-agentx --columns). */
void smtpCheckTable_objects(sc_object_cb *cb, void *ud);

#endif
