/*
 * smtpcheck-agentx: the same module as an AgentX subagent. Reconnects
 * when the master restarts, ignores SIGPIPE, re-reads the check file on
 * SIGHUP and exits cleanly on SIGTERM or SIGINT. --columns lists every
 * object the module serves or sends, from the tables its handlers use
 * (tests/mib compares them with the MIB).
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "smtpCheckAlarmTable.h"
#include "smtpCheckHistoryTable.h"
#include "smtpCheckTargetTable.h"
#include "smtpCheckStatsTable.h"
#include "smtpCheckTable.h"
#include "smtpcheck.h"
#include "smtpcheck_conf.h"
#include "smtpcheck_globals.h"
#include "smtpcheck_kept.h"
#include "smtpcheck_traps.h"
#include "smtpcheck_version.h"

#define APP "smtpcheck-agentx"

/* SIGHUP, SIGTERM and SIGINT arrive through a signalfd that the agent
 * loop watches: no flags set from a handler, no static state. */
typedef struct agentx_loop {
    int sigfd;
    bool stop;
} agentx_loop;

static void
on_signal(int fd, void *data)
{
    agentx_loop *l = data;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo != SIGHUP)
            l->stop = true;
        else if (smtpcheck_instance() != NULL) /* the check file; -c FILE stays it */
            smtpcheck_conf_apply(smtpcheck_instance());
    }
}

static int
watch_signals(agentx_loop *l)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return l->sigfd >= 0 && register_readfd(l->sigfd, on_signal, l) == 0 ? 0 : -1;
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: " APP " [-x AGENTX_SOCKET] [-c CHECK_FILE] [-C SNMP_CONF] [-L LOGFILE]"
            " [-D TOKENS]\n"
            "       " APP " --columns | --notification-varbinds | --help | --version\n"
            "Serves SMTP-CHECK-MIB to a master snmpd over AgentX, running the checks of\n"
            "CHECK_FILE (smtpcheck.conf(5)). SIGHUP re-reads it; SIGTERM stops.\n"
            "  -x AGENTX_SOCKET  the master's AgentX address (default unix:/var/agentx/master)\n"
            "  -c CHECK_FILE     the check file (or smtpcheckConfig in an snmp config file)\n"
            "  -C SNMP_CONF      one more snmp-style config file to read\n"
            "  -L LOGFILE        log to this file (default: standard error)\n"
            "  -D TOKENS         debug output for these tokens, e.g. smtpcheck\n"
            "  --columns         every object served or sent: MIB name, number, OID\n"
            "  --notification-varbinds  the notifications' varbinds, in order\n"
            "  -h, --help        this text\n"
            "  -V, --version     the version\n"
            "See smtpcheck-agentx(8).\n");
}

/* "mibName number OID", one line per object. */
static void
print_object(void *ud, const char *mib_name, const oid *name, size_t len)
{
    FILE *out = ud;
    fprintf(out, "%s %lu ", mib_name, len ? (unsigned long)name[len - 1] : 0UL);
    for (size_t i = 0; i < len; i++)
        fprintf(out, ".%lu", (unsigned long)name[i]);
    fputc('\n', out);
}

static int
print_columns(void)
{
    smtpCheckTable_objects(print_object, stdout);
    smtpCheckAlarmTable_objects(print_object, stdout);
    smtpcheck_globals_objects(print_object, stdout);
    sc_walk_objects(&smtpCheckHistoryTable_spec, print_object, stdout);
    sc_walk_objects(&smtpCheckStatsTable_spec, print_object, stdout);
    sc_walk_objects(&smtpCheckTargetTable_spec, print_object, stdout);
    smtpcheck_traps_objects(print_object, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

static void
print_varbind(const char *mib_name, void *ud)
{
    int *first = ud;
    printf("%s%s", *first ? "" : ", ", mib_name);
    *first = 0;
}

static int
print_varbinds(void)
{
    int first = 1;
    smtpcheck_traps_varbinds(print_varbind, &first);
    putchar('\n');
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Returns -1 to run, else an exit status. */
static int
parse_args(int argc, char **argv, const char **checks)
{
    static const struct option longopts[] = {{"columns", no_argument, NULL, 'K'},
                                             {"notification-varbinds", no_argument, NULL, 'N'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "x:c:C:L:D:hV", longopts, NULL)) != -1) {
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
        case 'K': return print_columns();
        case 'N': return print_varbinds();
        case 'h': usage(stdout); return 0;
        case 'V': printf(APP " %s\n", SMTPCHECK_VERSION_FULL); return 0;
        default: usage(stderr); return 2;
        }
    }
    return -1;
}

int
main(int argc, char **argv)
{
    const char *checks = NULL;
    signal(SIGPIPE, SIG_IGN);
    snmp_enable_stderrlog();
    int rc = parse_args(argc, argv, &checks);
    if (rc >= 0)
        return rc;
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
    /* After init_snmp: its config read releases the token's value. */
    if (checks != NULL && smtpcheck_instance() != NULL)
        smtpcheck_conf_use(smtpcheck_instance(), checks);
    agentx_loop loop = {.sigfd = -1};
    if (watch_signals(&loop) != 0) {
        snmp_log(LOG_ERR, APP ": cannot watch signals\n");
        loop.stop = true;
    }
    snmp_log(LOG_INFO, APP " started\n");
    while (!loop.stop)
        agent_check_and_process(1);
    snmp_log(LOG_INFO, APP " stopping\n");
    if (loop.sigfd >= 0) {
        unregister_readfd(loop.sigfd);
        close(loop.sigfd);
    }
    deinit_smtpcheck();
    smtpcheck_kept_drop(); /* the process ends: nothing to keep */
    snmp_shutdown(APP);
    return 0;
}
