/* smtpCheckStatsTable: each check's 1 h and 24 h figures (window.h). */
#ifndef SMTPCHECKSTATSTABLE_H
#define SMTPCHECKSTATSTABLE_H

#include "smtpcheck_walk.h"

/* Registered with sc_walk_register; its columns: sc_walk_objects. */
extern const sc_walk_spec smtpCheckStatsTable_spec;

#endif
