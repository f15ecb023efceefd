/*
 * The default EHLO name: this host's fully qualified name, found without
 * DNS (a lookup could block snmpd, and tests must send nothing off the
 * machine). In order: the host name if it has a dot; Debian's
 * /etc/mailname; the first dotted name on the host's line in /etc/hosts;
 * else the bare host name.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fqdn.h"

static char ehlo_name[256];
static pthread_once_t ehlo_once = PTHREAD_ONCE_INIT;

static int
first_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fgets(out, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    out[strcspn(out, " \t\r\n")] = '\0';
    return strchr(out, '.') != NULL ? 0 : -1;
}

/* Does the whitespace-separated line name `host`? Then its dotted alias. */
static int
hosts_line(char *line, const char *host, char *out, size_t len)
{
    line[strcspn(line, "#")] = '\0';
    const char *dotted = NULL;
    int match = 0;
    char *save = NULL;
    strtok_r(line, " \t\r\n", &save); /* the address */
    for (char *w = strtok_r(NULL, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        match |= strcmp(w, host) == 0;
        if (dotted == NULL && strchr(w, '.') != NULL)
            dotted = w;
    }
    if (!match || dotted == NULL)
        return -1;
    snprintf(out, len, "%s", dotted);
    return 0;
}

static int
from_hosts(const char *host, char *out, size_t len)
{
    FILE *f = fopen("/etc/hosts", "re");
    if (f == NULL)
        return -1;
    char line[1024];
    int rc = -1;
    while (rc != 0 && fgets(line, sizeof(line), f) != NULL)
        rc = hosts_line(line, host, out, len);
    fclose(f);
    return rc;
}

static void
find_ehlo(void)
{
    char host[200];
    if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0') {
        snprintf(ehlo_name, sizeof(ehlo_name), "localhost");
        return;
    }
    host[sizeof(host) - 1] = '\0';
    if (strchr(host, '.') != NULL || first_line("/etc/mailname", ehlo_name, sizeof(ehlo_name)) != 0)
        snprintf(ehlo_name, sizeof(ehlo_name), "%s", host);
    if (strchr(ehlo_name, '.') == NULL)
        from_hosts(host, ehlo_name, sizeof(ehlo_name));
}

const char *
smtpchk_default_ehlo(void)
{
    pthread_once(&ehlo_once, find_ehlo);
    return ehlo_name;
}
