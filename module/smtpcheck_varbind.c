/* Values and names as the SNMP tables and notifications need them. */
#include "smtpcheck_varbind.h"

#include <string.h>
#include <time.h>

void
sc_set_text(netsnmp_variable_list *v, const char *s, size_t max)
{
    snmp_set_var_typed_value(v, ASN_OCTET_STR, s, strnlen(s, max));
}

/* RFC 2579 DateAndTime with its zone: 11 octets, or 0 when t == 0. */
static size_t
date_and_time(int64_t t, u_char *buf)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t == 0 || gmtime_r(&tt, &tm) == NULL)
        return 0;
    int year = tm.tm_year + 1900;
    buf[0] = (u_char)(year >> 8);
    buf[1] = (u_char)year;
    buf[2] = (u_char)(tm.tm_mon + 1);
    buf[3] = (u_char)tm.tm_mday;
    buf[4] = (u_char)tm.tm_hour;
    buf[5] = (u_char)tm.tm_min;
    buf[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
    buf[7] = 0;
    buf[8] = '+';
    buf[9] = 0;
    buf[10] = 0;
    return 11;
}

void
sc_set_date_and_time(netsnmp_variable_list *v, int64_t t)
{
    u_char dt[11];
    snmp_set_var_typed_value(v, ASN_OCTET_STR, dt, date_and_time(t, dt));
}

void
sc_list_object(sc_object_cb *cb, void *ud, const oid *base, size_t base_len,
               const char *mib_name, unsigned number)
{
    oid name[MAX_OID_LEN];
    if (base_len >= MAX_OID_LEN)
        return;
    memcpy(name, base, base_len * sizeof(oid));
    name[base_len] = number;
    cb(ud, mib_name, name, base_len + 1);
}
