/* smtpCheckHistoryTable: the last runs of each check (smtpcheck_walk.h). */
#ifndef SMTPCHECKHISTORYTABLE_H
#define SMTPCHECKHISTORYTABLE_H

#include "smtpcheck_walk.h"

/* Registered with sc_walk_register; its columns: sc_walk_objects. */
extern const sc_walk_spec smtpCheckHistoryTable_spec;

#endif
