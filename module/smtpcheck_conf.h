/*
 * snmpd.conf: `smtpcheckConfig /path/to/smtpcheck.conf`, and applying the
 * check file it names (rows, engine) after every config read.
 */
#ifndef SMTPCHECK_CONF_H
#define SMTPCHECK_CONF_H

typedef struct sc_module sc_module;

void smtpcheck_conf_init(sc_module *m);
void smtpcheck_conf_shutdown(sc_module *m);
/* Loads the check file; on success applies it. 0, or -1 (logged). */
int smtpcheck_conf_apply(sc_module *m);
/* Sets the check file (smtpcheck-agentx -c) and applies it. */
int smtpcheck_conf_use(sc_module *m, const char *path);

#endif
