/* The last good configuration across module reloads (smtpcheck_kept.h). */
#include "smtpcheck_kept.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

/* The last void slot of the application store: nothing in snmpd uses
 * the application store's void slots. */
#define KEPT_SLOT (NETSNMP_DS_MAX_SUBIDS - 1)

typedef struct kept {
    char stamp[96];
    smtpchk_config *cfg;
} kept;

/* What a reader must match to trust the layout of what it finds. */
static void
make_stamp(char *buf, size_t len)
{
    snprintf(buf, len, "smtpcheck %s config %zu entry %zu check %zu", SMTPCHECK_VERSION,
             sizeof(smtpchk_config), sizeof(smtpchk_config_entry), sizeof(smtpchk_check));
}

static kept *
current(void)
{
    kept *k = netsnmp_ds_get_void(NETSNMP_DS_APPLICATION_ID, KEPT_SLOT);
    char stamp[sizeof(k->stamp)];
    make_stamp(stamp, sizeof(stamp));
    return k != NULL && strcmp(k->stamp, stamp) == 0 ? k : NULL;
}

void
smtpcheck_kept_set(smtpchk_config *cfg)
{
    kept *k = current();
    if (k == NULL && cfg == NULL)
        return;
    if (k == NULL) {
        /* Another build's record is left alone: its layout is unknown. */
        if ((k = calloc(1, sizeof(*k))) == NULL) {
            smtpchk_config_free(cfg);
            return;
        }
        make_stamp(k->stamp, sizeof(k->stamp));
        netsnmp_ds_set_void(NETSNMP_DS_APPLICATION_ID, KEPT_SLOT, k);
    }
    if (k->cfg != cfg)
        smtpchk_config_free(k->cfg);
    k->cfg = cfg;
}

const smtpchk_config *
smtpcheck_kept_get(void)
{
    kept *k = current();
    return k != NULL ? k->cfg : NULL;
}

void
smtpcheck_kept_drop(void)
{
    kept *k = current();
    if (k == NULL)
        return;
    smtpchk_config_free(k->cfg);
    free(k);
    netsnmp_ds_set_void(NETSNMP_DS_APPLICATION_ID, KEPT_SLOT, NULL);
}
