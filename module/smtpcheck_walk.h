/*
 * Read-only tables served straight from the check rows, with no Net-SNMP
 * row of their own: indexed by smtpCheckIndex and, for a two-index table,
 * an Unsigned32 sub-index the row enumerates (a history's sequence
 * numbers). GET and GETNEXT are answered by OID arithmetic over
 * smtpCheckTable's sorted rows (O(log n) a request); snmpd turns GETBULK
 * into GETNEXTs. 10,000 checks with 50 history entries would cost half a
 * million tdata rows (about 200 bytes each) the other way.
 */
#ifndef SMTPCHECK_WALK_H
#define SMTPCHECK_WALK_H

#include <stdint.h>

#include "smtpcheck_oids.h"
#include "smtpcheck_rows.h"

typedef struct sc_module sc_module;

/* What every table's column starts with: its MIB name and number. */
typedef struct sc_walk_column {
    const char *mib_name;
    unsigned number; /* <entry>.<number> */
} sc_walk_column;

typedef struct sc_walk_spec {
    const char *name;
    const oid *entry_oid; /* the table's entry: columns are entry.col */
    size_t entry_len;
    unsigned min_col, max_col;
    /* Two-index tables: the first sub-index > after that r holds (after 0:
     * its first); 0 when none. NULL for a table of one index. */
    uint32_t (*next_sub)(const sc_row *r, uint32_t after);
    /* Sets v to column col of (r, sub); 0 when r holds no such entry. */
    int (*get)(netsnmp_variable_list *v, const sc_row *r, uint32_t sub, unsigned col);
    /* The table's columns: ncolumns structs of column_size bytes, each
     * starting with an sc_walk_column (smtpcheck-agentx --columns). */
    const void *columns;
    size_t ncolumns, column_size;
} sc_walk_spec;

/* A spec's columns, whatever the table's own column struct. */
#define SC_WALK_COLUMNS(a) .columns = (a), .ncolumns = sizeof(a) / sizeof((a)[0]), \
                           .column_size = sizeof((a)[0])

typedef struct sc_walk {
    const sc_walk_spec *spec;
    sc_module *m;
    netsnmp_handler_registration *reg;
} sc_walk;

int sc_walk_register(sc_walk *w, sc_module *m, const sc_walk_spec *spec);
void sc_walk_unregister(sc_walk *w);
/* Every column of the table, with its MIB name. */
void sc_walk_objects(const sc_walk_spec *spec, sc_object_cb *cb, void *ud);

#endif
