/* Text predicates every layer shares. Pure. */
#ifndef SMTPCHK_TEXT_H
#define SMTPCHK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpchk.h"

/* True when s[0..len) is UTF-8 without overlong forms or surrogates. */
bool smtpchk_utf8_valid(const char *s, size_t len);
/* 0 when s is valid UTF-8, -1 otherwise (and for NULL). */
int smtpchk_utf8_ok(const char *s);
/* 0 when the value holds no CR or LF (no header injection), -1 otherwise. */
int smtpchk_header_value_ok(const char *value);

#endif
