/*
 * The last good configuration, kept in memory across the module reload
 * that SIGHUP does. snmpd dlcloses and reloads smtpcheck.so on SIGHUP, so
 * the module's statics start afresh, but the heap does not: the kept
 * configuration (secrets included) stays where it is, and its address
 * rides in a slot of Net-SNMP's default store with a stamp of the code
 * that wrote it. A reload that cannot read the check file, or finds it
 * broken, applies the kept configuration instead: it never has to read a
 * root-only password file again as the unprivileged user snmpd became.
 */
#ifndef SMTPCHECK_KEPT_H
#define SMTPCHECK_KEPT_H

#include "config.h"

/* Takes cfg (NULL = none) and frees the configuration kept before. */
void smtpcheck_kept_set(smtpchk_config *cfg);
/* The kept configuration, borrowed; NULL when there is none, or when a
 * different build of the module kept it (its layout may differ). */
const smtpchk_config *smtpcheck_kept_get(void);
/* Frees what is kept, for a process that is ending (the subagent). */
void smtpcheck_kept_drop(void);

#endif
