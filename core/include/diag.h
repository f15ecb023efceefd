/*
 * Diagnostics of a check file or a command line: "file:line: error: text"
 * or "file:line: warning: text", kept in file order. The check-file loader
 * fills them; the CLI prints them, the SNMP module logs them.
 */
#ifndef SMTPCHK_DIAG_H
#define SMTPCHK_DIAG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct smtpchk_diag smtpchk_diag;

smtpchk_diag *smtpchk_diag_new(void);
void smtpchk_diag_free(smtpchk_diag *d);
/* All messages, or only the errors when errors_only is non-zero. */
size_t smtpchk_diag_count(const smtpchk_diag *d, int errors_only);
/* Message i (0 <= i < count(d, 0)); NULL when out of range. Owned by d. */
const char *smtpchk_diag_message(const smtpchk_diag *d, size_t i);
bool smtpchk_diag_is_error(const smtpchk_diag *d, size_t i);

/*
 * Appends "file:line: error|warning: text" ("file: ..." when line <= 0).
 * Best effort: a message lost to lack of memory is still counted by the
 * caller's own error count. d may be NULL.
 */
void smtpchk_diag_add(smtpchk_diag *d, const char *file, int line, bool error, const char *text);
/* Sorts the messages from index start on by line, stably. */
void smtpchk_diag_sort_from(smtpchk_diag *d, size_t start);

#endif
