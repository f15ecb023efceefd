/* The module's own files in Net-SNMP's persistent directory. */
#include "smtpcheck_files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

int
smtpcheck_file_path(char *buf, size_t len, const char *name)
{
    const char *dir = get_persistent_directory();
    if (dir == NULL)
        return -1;
    mkdirhier(dir, NETSNMP_AGENT_DIRECTORY_MODE, 0);
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* chown to snmpd's -u/-g user while still root; a no-op otherwise. */
static void
give_to_agent_user(const char *path)
{
    /* While snmpd is still root (before -u/-g take effect), what we write
     * must stay readable for the user it becomes: a SIGHUP re-reads it as
     * that user. */
    int uid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_USERID);
    int gid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_GROUPID);
    if (geteuid() == 0 && (uid > 0 || gid > 0) &&
        chown(path, uid > 0 ? (uid_t)uid : (uid_t)-1, gid > 0 ? (gid_t)gid : (gid_t)-1) != 0)
        snmp_log(LOG_WARNING, "smtpcheck: cannot give %s to uid %d: %s\n", path, uid,
                 strerror(errno));
}

int
smtpcheck_file_begin(sc_file_writer *w, const char *name)
{
    w->f = NULL;
    if (smtpcheck_file_path(w->path, sizeof(w->path), name) != 0)
        return -1;
    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", w->path);
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    w->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (w->f == NULL) {
        snmp_log(LOG_WARNING, "smtpcheck: cannot write %s: %s\n", w->tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

int
smtpcheck_file_end(sc_file_writer *w, int ok)
{
    int bad = !ok || ferror(w->f);
    bad |= fclose(w->f) != 0;
    w->f = NULL;
    if (!bad)
        give_to_agent_user(w->tmp);
    if (bad || rename(w->tmp, w->path) != 0) {
        if (ok)
            snmp_log(LOG_WARNING, "smtpcheck: cannot save %s\n", w->path);
        unlink(w->tmp);
        return -1;
    }
    return 0;
}

/* The read bit that applies to uid/gid for a file of st. */
static mode_t
read_bit(const struct stat *st, int uid, int gid)
{
    if (st->st_uid == (uid_t)uid)
        return S_IRUSR;
    if (gid > 0 && st->st_gid == (gid_t)gid)
        return S_IRGRP;
    return S_IROTH;
}

void
smtpcheck_warn_unreadable(const char *path, const char *what)
{
    int uid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_USERID);
    int gid = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_GROUPID);
    struct stat st;
    if (path == NULL || geteuid() != 0 || uid <= 0 || stat(path, &st) != 0)
        return; /* it stays root, or the load reported the file already */
    if (st.st_mode & read_bit(&st, uid, gid))
        return;
    snmp_log(LOG_WARNING,
             "smtpcheck: %s %s is not readable by uid %d gid %d, which snmpd runs as after "
             "start-up: a reload will keep the last good configuration instead of reading "
             "it (make it root:<that group>, mode 0640)\n",
             what, path, uid, gid);
}
