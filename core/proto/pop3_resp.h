/*
 * Sans-I/O POP3 response reader (RFC 1939 3, RFC 2449, RFC 5034). Feed
 * bytes; it reports one complete response, a need for more, or a sticky
 * error. Before each command the session says what may come: a status
 * line only, a status line and (after +OK) a multi-line body ending in
 * ".", or also a SASL continuation ("+ ..."). Body lines are
 * dot-unstuffed. Limits (line, body lines, body octets) live on the
 * reader; passing one is an error, never an unbounded buffer.
 */
#ifndef SMTPCHK_POP3_RESP_H
#define SMTPCHK_POP3_RESP_H

#include <stddef.h>

#include "reply.h"

#define SMTPCHK_POP3_MAX_LINE 4096      /* octets, CRLF included (RFC 2449 allows 512 for status) */
#define SMTPCHK_POP3_MAX_LINES 8192     /* lines of one body */
#define SMTPCHK_POP3_MAX_BODY 262144    /* octets of one body */

typedef enum smtpchk_pop3_status {
    SMTPCHK_POP3_OK,
    SMTPCHK_POP3_ERR,
    SMTPCHK_POP3_CONT          /* "+" [SP base64]: a SASL challenge */
} smtpchk_pop3_status;

typedef enum smtpchk_pop3_expect {
    SMTPCHK_POP3_EXPECT_LINE,  /* +OK or -ERR */
    SMTPCHK_POP3_EXPECT_MULTI, /* +OK and a body, or -ERR */
    SMTPCHK_POP3_EXPECT_SASL   /* +OK, -ERR or a continuation */
} smtpchk_pop3_expect;

typedef struct smtpchk_pop3_resp {
    smtpchk_pop3_status status;
    const char *line;          /* the status line, without CRLF */
    const char *text;          /* after "+OK " / "-ERR " / "+ " */
    size_t nlines;             /* body lines (MULTI after +OK) */
} smtpchk_pop3_resp;

typedef struct smtpchk_pop3_reader smtpchk_pop3_reader;

smtpchk_pop3_reader *smtpchk_pop3_reader_new(void);
void smtpchk_pop3_reader_free(smtpchk_pop3_reader *r);
/* What the next response may be; call before the command is sent. */
void smtpchk_pop3_reader_expect(smtpchk_pop3_reader *r, smtpchk_pop3_expect e);
smtpchk_parse_status smtpchk_pop3_reader_feed(smtpchk_pop3_reader *r, const char *buf, size_t len,
                                              size_t *consumed);
const smtpchk_pop3_resp *smtpchk_pop3_reader_resp(const smtpchk_pop3_reader *r);
/* The body line after prev (NULL for the first); NULL after the last. */
const char *smtpchk_pop3_reader_line(const smtpchk_pop3_reader *r, const char *prev);
const char *smtpchk_pop3_reader_error(const smtpchk_pop3_reader *r);
int smtpchk_pop3_reader_partial(const smtpchk_pop3_reader *r);

#endif
