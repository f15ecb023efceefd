/* Values and names as the SNMP tables and notifications need them. */
#ifndef SMTPCHECK_VARBIND_H
#define SMTPCHECK_VARBIND_H

#include <stdint.h>

#include "smtpcheck_oids.h"

/* DisplayString: the text, cut at max octets. */
void sc_set_text(netsnmp_variable_list *v, const char *s, size_t max);
/* DateAndTime (UTC, 11 octets); zero-length when t == 0. */
void sc_set_date_and_time(netsnmp_variable_list *v, int64_t t);
/* Calls cb with base.number: how each table lists its columns. */
void sc_list_object(sc_object_cb *cb, void *ud, const oid *base, size_t base_len,
                    const char *mib_name, unsigned number);

#endif
