/* This host's fully qualified name, the default EHLO name. */
#ifndef SMTPCHK_FQDN_H
#define SMTPCHK_FQDN_H

/* Found without DNS; computed once, thread-safe. Never NULL. */
const char *smtpchk_default_ehlo(void);

#endif
