/*
 * The check file's bytes, before libconfig sees them. libconfig 1.5 reads
 * files with stdio and flex: a FIFO blocks it, a directory pulled in with
 * @include makes flex call exit(2), and a long token costs it quadratic
 * time when read from a file. So the loader reads the file itself, with
 * the one reader (fileread.h), checks it line by line and hands libconfig
 * a string (config_read_string scans a string in linear time).
 */
#ifndef SMTPCHK_CHECKFILE_H
#define SMTPCHK_CHECKFILE_H

#include <stddef.h>

#include "diag.h"

/*
 * Returns the file's text (free() it), or NULL after adding an error to d
 * (which may be NULL) and counting it in *errors. Refused, each with its
 * file:line: a file that is not regular or larger than 4 MiB, a NUL byte,
 * a line longer than 1 MiB, and @include (the checks of a file are all in
 * that file, and the last good copy the SNMP module keeps is whole).
 */
char *checkfile_read(const char *path, smtpchk_diag *d, size_t *errors);

#endif
