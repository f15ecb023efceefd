/*
 * The check file (libconfig syntax, docs/config.md): defaults, one
 * smtpchk_check per entry, schedules and alarm settings. Loading is all
 * or nothing, and reports every problem it finds with file:line. What
 * each key means and allows is the schema's (schema.h). Nothing in a
 * check file makes the loader block, hang or exit: the file and every
 * file it names are read by one reader that refuses FIFOs, devices and
 * directories before reading, and caps every size.
 */
#ifndef SMTPCHK_CONFIG_H
#define SMTPCHK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm.h"
#include "diag.h"
#include "smtpchk.h"

typedef struct smtpchk_config_entry {
    smtpchk_check *check;     /* owned; index, name, password and body set */
    uint32_t interval_ms;
    uint32_t jitter_ms;       /* random start offset in [0, jitter_ms] */
    uint32_t history;         /* runs kept in the result history; 0 = none */
    smtpchk_alarm_cfg alarms;
    char *password_file;      /* resolved path, or NULL; owned */
    char *body_html_file;     /* resolved path, or NULL; owned */
    char *body_text_file;     /* resolved path, or NULL; owned */
    char *rt_password_file;   /* the round trip's; resolved path, or NULL; owned */
    int line;                 /* line of the entry in the file */
} smtpchk_config_entry;

typedef struct smtpchk_config {
    char *path;               /* as given to the loader */
    smtpchk_config_entry *entries; /* sorted by check->index */
    size_t n;
    uint32_t max_in_flight;
    uint32_t max_per_server;
} smtpchk_config;

typedef struct smtpchk_config_opts {
    /*
     * Read password_file and body_html_file, and check that ca_file and
     * ca_dir are readable. Off only to check a file meant for another
     * machine (and in tests): passwords and file bodies then stay NULL.
     */
    bool read_files;
    /*
     * Where the file came from, when loading a saved copy of it: relative
     * paths in it resolve against this file's directory. NULL = path.
     */
    const char *origin;
} smtpchk_config_opts;

/*
 * Loads path. Returns 0 and sets *out, or -1 with *out NULL; every
 * problem found is appended to diags (which may be NULL), sorted by line.
 * Warnings alone do not fail. Relative paths in the file (password_file,
 * the body files, ca_file, ca_dir) are relative to the directory of path;
 * @include is refused. smtpchk_config_load reads files (read_files = true).
 */
int smtpchk_config_load(const char *path, smtpchk_config **out, smtpchk_diag *diags);
int smtpchk_config_load_opts(const char *path, const smtpchk_config_opts *opts,
                             smtpchk_config **out, smtpchk_diag *diags);
/* Frees everything and wipes the passwords. NULL is a no-op. */
void smtpchk_config_free(smtpchk_config *cfg);
/* Frees one entry's check and paths and zeroes it. NULL is a no-op. */
void smtpchk_config_entry_clear(smtpchk_config_entry *e);

/* Entry lookups; NULL when absent. The entry lives as long as cfg. */
const smtpchk_config_entry *smtpchk_config_find(const smtpchk_config *cfg, const char *name);
const smtpchk_config_entry *smtpchk_config_find_index(const smtpchk_config *cfg,
                                                      unsigned index);

#endif
