/*
 * The one place in the code that says where SMTP-CHECK-MIB lives. Keep it
 * in step with `smtpCheckMIB ::= { netSnmpPlaypen 25 }` in the MIB; see
 * docs/mib.md for moving it to a registered enterprise number. Column and
 * scalar numbers live in the table of the file that serves them
 * (smtpCheckTable.c, smtpCheckAlarmTable.c, smtpcheck_globals.c,
 * smtpcheck_traps.c, smtpCheckHistoryTable.c, smtpCheckStatsTable.c,
 * smtpCheckTargetTable.c); tests/mib checks each against the MIB.
 */
#ifndef SMTPCHECK_OIDS_H
#define SMTPCHECK_OIDS_H

#include <stddef.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#define SMTPCHECK_MIB_ROOT 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 25

#define SMTPCHECK_OID_NOTIFICATIONS SMTPCHECK_MIB_ROOT, 0
#define SMTPCHECK_OID_OBJECTS SMTPCHECK_MIB_ROOT, 1
#define SMTPCHECK_OID_TABLE SMTPCHECK_OID_OBJECTS, 1
#define SMTPCHECK_OID_ENTRY SMTPCHECK_OID_TABLE, 1
#define SMTPCHECK_OID_ALARM_TABLE SMTPCHECK_OID_OBJECTS, 2
#define SMTPCHECK_OID_ALARM_ENTRY SMTPCHECK_OID_ALARM_TABLE, 1
#define SMTPCHECK_OID_GLOBALS SMTPCHECK_OID_OBJECTS, 3
#define SMTPCHECK_OID_NOTIF_OBJECTS SMTPCHECK_OID_OBJECTS, 4
#define SMTPCHECK_OID_HISTORY_TABLE SMTPCHECK_OID_OBJECTS, 5
#define SMTPCHECK_OID_HISTORY_ENTRY SMTPCHECK_OID_HISTORY_TABLE, 1
#define SMTPCHECK_OID_STATS_TABLE SMTPCHECK_OID_OBJECTS, 6
#define SMTPCHECK_OID_STATS_ENTRY SMTPCHECK_OID_STATS_TABLE, 1
#define SMTPCHECK_OID_TARGET_TABLE SMTPCHECK_OID_OBJECTS, 7
#define SMTPCHECK_OID_TARGET_ENTRY SMTPCHECK_OID_TARGET_TABLE, 1

/* Called once per object the module serves or sends (smtpcheck-agentx
 * --columns): its MIB name and OID, as the code builds it. */
typedef void sc_object_cb(void *ud, const char *mib_name, const oid *name, size_t len);

#endif
