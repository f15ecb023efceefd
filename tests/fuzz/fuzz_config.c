/*
 * The check-file loader: any bytes load or are refused with diagnostics,
 * never a crash, a hang or a leak; a loaded configuration is sound
 * (sorted unique indexes, every check valid) and every refusal says why.
 * Files the check names are not read (read_files = false).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
check_loaded(const smtpchk_config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        const smtpchk_check *c = cfg->entries[i].check;
        if (c == NULL || c->host == NULL || c->name == NULL || c->index == 0)
            abort();
        if (i > 0 && cfg->entries[i - 1].check->index >= c->index)
            abort(); /* sorted, no duplicate */
        if (c->step_timeout_ms > c->timeout_ms || c->timeout_ms == 0)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/fuzz_config.%d.conf", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    smtpchk_diag *d = smtpchk_diag_new();
    smtpchk_config *cfg = NULL;
    smtpchk_config_opts opts = {.read_files = false};
    int rc = smtpchk_config_load_opts(path, &opts, &cfg, d);
    if (rc == 0)
        check_loaded(cfg);
    else if (cfg != NULL || smtpchk_diag_count(d, 1) == 0)
        abort(); /* a refusal always says why */
    smtpchk_config_free(cfg);
    smtpchk_diag_free(d);
    unlink(path);
    return 0;
}
