/*
 * The module's own files in Net-SNMP's persistent directory (the saved
 * state), each written whole or not at all; and whether snmpd's -u/-g
 * user will be able to read the files a check names.
 */
#ifndef SMTPCHECK_FILES_H
#define SMTPCHECK_FILES_H

#include <stddef.h>
#include <stdio.h>

/* <persistent directory>/<name>; 0, or -1 when it does not fit. */
int smtpcheck_file_path(char *buf, size_t len, const char *name);

/* A file being replaced: written to <path>.tmp, renamed over <path>, so a
 * reader never sees half a file. */
typedef struct sc_file_writer {
    char path[1024];
    char tmp[1040];
    FILE *f;
} sc_file_writer;

/* Opens <persistent directory>/<name>.tmp (mode 0600); 0 or -1 (logged). */
int smtpcheck_file_begin(sc_file_writer *w, const char *name);
/* Finishes it: renames it over the file when ok and every write went
 * well, else removes it. Returns 0 when the file was replaced. */
int smtpcheck_file_end(sc_file_writer *w, int ok);

/* While snmpd is still root and will drop to -u/-g: logs a warning when
 * path (what: "a password file") will not be readable by that user.
 * Judged by the mode bits for the uid and the -g group; NULL is fine. */
void smtpcheck_warn_unreadable(const char *path, const char *what);

#endif
