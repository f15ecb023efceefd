/* Result values as text, for every output format (fields.h drives them). */
#ifndef SMTPCHECK_VALUES_H
#define SMTPCHECK_VALUES_H

#include <stddef.h>

#include "fields.h"
#include "smtpchk.h"

/* The name outputs show for a check: its name, else its host. */
const char *cli_label(const smtpchk_check *c);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *cli_state_word(int state);
double cli_ms(int64_t us);
/* A present value in words: "12.3 ms", "5.7.8", "STARTTLS AUTH", "yes". */
void cli_value_text(const smtpchk_field *f, smtpchk_value v, char *buf, size_t len);
/* Calls fn(name, ud) for each bit of a capability or mechanism set. */
void cli_set_names(const smtpchk_field *f, int64_t bits, void (*fn)(const char *, void *),
                   void *ud);

#endif
