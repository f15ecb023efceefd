/* The syntax errors of a check file that libconfig 1.5 would leak on. */
#ifndef SMTPCHK_CFGTOKENS_H
#define SMTPCHK_CFGTOKENS_H

#include <stddef.h>

/* 0 when libconfig may parse text; -1 with the line of a string where
 * the grammar allows none (or of what follows one where nothing may). */
int smtpchk_cfgtokens_check(const char *text, size_t len, int *line);

#endif
