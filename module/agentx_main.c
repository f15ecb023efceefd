/*
 * smtpcheck-agentx: the same module as an AgentX subagent. Reconnects
 * when the master restarts, ignores SIGPIPE, re-reads the check file on
 * SIGHUP and exits cleanly on SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpcheck.h"

void init_smtpcheck(void);
void deinit_smtpcheck(void);

#define APP "smtpcheck-agentx"

static volatile sig_atomic_t stop, reload;

static void
on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void
on_hup(int sig)
{
    (void)sig;
    reload = 1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: " APP " [-x AGENTX_SOCKET] [-c CHECK_FILE] [-C SNMP_CONF]"
                    " [-L LOGFILE] [-D TOKENS]\n");
}

static int
parse_args(int argc, char **argv, const char **checks)
{
    int opt;
    while ((opt = getopt(argc, argv, "x:c:C:L:D:h")) != -1) {
        switch (opt) {
        case 'x':
            netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, optarg);
            break;
        case 'c': *checks = optarg; break;
        case 'C':
            netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OPTIONALCONFIG, optarg);
            break;
        case 'L': snmp_enable_filelog(optarg, 1); break;
        case 'D':
            debug_register_tokens(optarg);
            snmp_set_do_debugging(1);
            break;
        default: usage(); return -1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *checks = NULL;
    signal(SIGPIPE, SIG_IGN);
    snmp_enable_stderrlog();
    if (parse_args(argc, argv, &checks) != 0)
        return 2;
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    if (init_agent(APP) != 0) {
        snmp_log(LOG_ERR, APP ": cannot initialise the agent library\n");
        return 1;
    }
    /* Ping the master every 5 s, so a lost master is found and reconnected
     * quickly. After init_agent(), which sets its own default. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
    init_smtpcheck();
    init_snmp(APP);
    if (checks != NULL) {
        /* After init_snmp: its config read releases the token's value. */
        snprintf(smtpcheck_globals()->config_path, sizeof(smtpcheck_globals()->config_path),
                 "%s", checks);
        smtpcheck_conf_apply();
    }
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGHUP, on_hup);
    snmp_log(LOG_INFO, APP " started\n");
    while (!stop) {
        agent_check_and_process(1);
        if (reload) { /* the check file; -c FILE stays the file */
            reload = 0;
            smtpcheck_conf_apply();
        }
    }
    snmp_log(LOG_INFO, APP " stopping\n");
    deinit_smtpcheck();
    snmp_shutdown(APP);
    return 0;
}
