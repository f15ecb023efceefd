/* smtpCheckAlarmRaised / smtpCheckAlarmCleared. */
#ifndef SMTPCHECK_TRAPS_H
#define SMTPCHECK_TRAPS_H

#include "smtpcheck_oids.h"
#include "smtpcheck_rows.h"

/* Sends the notification for one alarm event of r (its last result). */
void smtpcheck_send_alarm(const sc_row *r, const smtpchk_alarm_event *ev);
/* The notifications and their own objects (smtpcheck-agentx --columns). */
void smtpcheck_traps_objects(sc_object_cb *cb, void *ud);
/* The varbinds after snmpTrapOID.0, in the order they are sent. */
void smtpcheck_traps_varbinds(void (*fn)(const char *mib_name, void *ud), void *ud);

#endif
