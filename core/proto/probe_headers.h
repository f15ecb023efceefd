/*
 * The headers that mark smtpcheck's round-trip test mails: the SMTP side
 * writes them, the IMAP/POP3 FIND session looks for them. One place, so
 * the two cannot drift.
 *
 *   X-Smtpcheck-Token: <token>   unique per test mail (also in its Message-ID)
 *   X-Smtpcheck-Check: <check>   the same for every test mail of one check
 *
 * Values are 1..SMTPCHK_PROBE_VALUE_MAX characters of
 * SMTPCHK_PROBE_VALUE_CHARS, so they go into an IMAP quoted string and a
 * header line without escaping. In the header a value is written between
 * SMTPCHK_PROBE_OPEN and SMTPCHK_PROBE_CLOSE ("X-Smtpcheck-Check: <7>"):
 * IMAP SEARCH HEADER matches substrings, and "<7>" is no substring of
 * "<17>", so one check never finds (and deletes) another's mails.
 */
#ifndef SMTPCHK_PROBE_HEADERS_H
#define SMTPCHK_PROBE_HEADERS_H

#include <stddef.h>

#define SMTPCHK_PROBE_TOKEN_HEADER "X-Smtpcheck-Token"
#define SMTPCHK_PROBE_CHECK_HEADER "X-Smtpcheck-Check"
#define SMTPCHK_PROBE_OPEN "<"
#define SMTPCHK_PROBE_CLOSE ">"
#define SMTPCHK_PROBE_VALUE_MAX 128
#define SMTPCHK_PROBE_VALUE_CHARS \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_@+="

/* 1 when s is a valid token or check value (see above). */
int smtpchk_probe_value_ok(const char *s);

#endif
