/*
 * The smtpcheck Net-SNMP module's state: one sc_module, made by
 * init_smtpcheck and freed by deinit_smtpcheck. Net-SNMP hands it to
 * every handler (reginfo->my_reg_void), alarm and callback (their client
 * argument); module/ keeps no other mutable static. Only the main thread
 * touches it (Net-SNMP has no locks): the check engine runs in its own
 * thread and hands results over through one fd (smtpcheck_engine.h).
 */
#ifndef SMTPCHECK_MODULE_H
#define SMTPCHECK_MODULE_H

#include <stdbool.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "engine.h"
#include "smtpcheck_files.h"
#include "smtpcheck_globals.h"
#include "smtpcheck_tdata.h"
#include "smtpcheck_walk.h"

struct sc_saved; /* smtpcheck_persist.c */

typedef struct sc_module sc_module;

/* A save of the state in steps (smtpcheck_persist.h). */
typedef struct sc_save {
    bool on;
    sc_file_writer w;
    unsigned last_index;      /* the last row written */
    size_t rows, steps;       /* written so far, for the debug log */
    long longest_us;          /* the longest step so far (debug log) */
} sc_save;

struct sc_module {
    /* smtpcheck.c */
    unsigned save_alarm;
    unsigned save_step_alarm; /* while a save in steps runs */
    bool dirty; /* results since the last save began */
    /* smtpcheck_persist.c */
    sc_save save;
    /* smtpcheck_engine.c */
    smtpchk_engine *engine; /* NULL until a check file loaded */
    unsigned start_alarm;
    bool start_missed; /* the start alarm ran before there was an engine */
    bool fd_registered;
    /* smtpcheck_conf.c */
    bool have_checks;    /* a configuration is applied in this instance */
    bool globals_loaded; /* the load counters were restored */
    /* smtpcheck_globals.c */
    sc_globals globals;
    netsnmp_handler_registration *globals_reg;
    /* smtpCheckTable.c, smtpCheckAlarmTable.c */
    sc_tdata checks, alarms;
    /* smtpCheckHistoryTable.c, smtpCheckStatsTable.c: served from the rows */
    sc_walk history, stats, targets; /* + smtpCheckTargetTable.c */
    /* smtpcheck_persist.c: where the saved state of each row is, by index
     * (the file stays open until it is restored, and each row's records
     * are read when it is: never the whole file in memory at once) */
    struct sc_saved *saved;
    size_t nsaved;
    FILE *saved_file;
    char *saved_line;
};

/* dlmod's entry points; smtpcheck-agentx calls them too. */
void init_smtpcheck(void);
void deinit_smtpcheck(void);
/* The instance, for what Net-SNMP calls without a client argument (the
 * snmpd.conf token's parser) and for smtpcheck-agentx. NULL outside
 * init_smtpcheck .. deinit_smtpcheck. */
sc_module *smtpcheck_instance(void);

#endif
