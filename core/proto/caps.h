/* EHLO capability parsing: exact keyword tokens, one line at a time. */
#ifndef SMTPCHK_CAPS_H
#define SMTPCHK_CAPS_H

#include <stdint.h>

#include "reply.h"

typedef struct smtpchk_caps {
    unsigned flags;           /* SMTPCHK_CAP_* */
    unsigned auth;            /* SMTPCHK_AUTH_* offered */
    uint64_t size;            /* SIZE argument; 0 = none given */
} smtpchk_caps;

/* Parses the keyword lines of a 250 EHLO reply (line 0 is the domain). */
void smtpchk_caps_parse(const smtpchk_reply *r, smtpchk_caps *out);
/* Parses one keyword line ("SIZE 1000", "AUTH PLAIN LOGIN"). */
void smtpchk_caps_parse_line(const char *line, smtpchk_caps *caps);

#endif
