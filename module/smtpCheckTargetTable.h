/* smtpCheckTargetTable: the targets of each MX check (smtpcheck_walk.h). */
#ifndef SMTPCHECKTARGETTABLE_H
#define SMTPCHECKTARGETTABLE_H

#include "smtpcheck_walk.h"

/* Registered with sc_walk_register; its columns: sc_walk_objects. */
extern const sc_walk_spec smtpCheckTargetTable_spec;

#endif
