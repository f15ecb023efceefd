/*
 * An MX check's plan, sans I/O: the MX answer parsed and put in
 * preference order (RFC 5321 5.1), a null MX (RFC 7505) told apart, and
 * the exchangers' addresses expanded into targets. No sockets, no clock:
 * the unit tests feed it DNS answers and addresses.
 */
#ifndef SMTPCHK_MX_H
#define SMTPCHK_MX_H

#include <stddef.h>

#include "resolve.h"
#include "smtpchk.h"

typedef struct smtpchk_mx {
    char host[256];           /* without a trailing dot */
    int preference;
} smtpchk_mx;

typedef struct smtpchk_mx_list {
    size_t n;
    size_t dropped;           /* records beyond SMTPCHK_MX_MAX */
    smtpchk_mx mx[SMTPCHK_MX_MAX];
} smtpchk_mx_list;

typedef enum smtpchk_mx_kind {
    SMTPCHK_MXK_LIST,         /* exchangers to check, in order */
    SMTPCHK_MXK_NONE,         /* no MX record: the domain itself (implicit MX) */
    SMTPCHK_MXK_NULL,         /* "0 .": the domain accepts no mail */
    SMTPCHK_MXK_BAD           /* an answer that does not parse */
} smtpchk_mx_kind;

/* Parses a DNS answer to an MX query (wire format) into l, in order. */
smtpchk_mx_kind smtpchk_mx_parse(const unsigned char *abuf, int alen, smtpchk_mx_list *l);
/* Adds one record (answer order). Beyond SMTPCHK_MX_MAX the list keeps
 * those of the lowest preference; dropped counts the others. */
void smtpchk_mx_add(smtpchk_mx_list *l, const char *host, int preference);
/* Does name end with the root's dot? Not when the dot is escaped ("a\\."):
 * c-ares writes a dot inside a label that way. */
int smtpchk_mx_root_dot(const char *name, size_t len);
/*
 * Sorts by preference, ties in answer order (a stable sort: RFC 5321
 * asks for a random order among equals, but a stable one keeps each
 * target's index from one run to the next while DNS is unchanged).
 * A null MX alone gives NULL; beside other records it is dropped.
 */
smtpchk_mx_kind smtpchk_mx_order(smtpchk_mx_list *l);

/* Appends one target per address in a (at most SMTPCHK_TARGETS_MAX in
 * ts); returns the new count. Results are reset to "not run". */
size_t smtpchk_mx_add_targets(smtpchk_target *ts, size_t n, const char *mx, int preference,
                              const smtpchk_addrs *a);

#endif
