/*
 * Sans-I/O IMAP4rev1 response reader (RFC 3501 7, 9). Feed bytes; it
 * reports one complete response, a need for more, or a sticky error.
 * A response is a line ending in CRLF; a line that ends in a literal
 * marker {n} (or {n+}) goes on after n octets of literal data. Literal
 * data is counted and skipped, never stored: this client asks for nothing
 * that comes in a literal. Limits (line, literal, whole response) live on
 * the reader; passing one is an error, never an unbounded buffer.
 */
#ifndef SMTPCHK_IMAP_RESP_H
#define SMTPCHK_IMAP_RESP_H

#include <stddef.h>

#include "reply.h"

#define SMTPCHK_IMAP_MAX_LINE 16384      /* octets of one line, CRLF included */
#define SMTPCHK_IMAP_MAX_LITERAL 65536   /* octets of one literal */
#define SMTPCHK_IMAP_MAX_RESPONSE 262144 /* all lines and literals of one response */

typedef enum smtpchk_imap_kind {
    SMTPCHK_IMAP_TAGGED,       /* tag SP (OK|NO|BAD) SP text */
    SMTPCHK_IMAP_UNTAGGED,     /* "* " ... */
    SMTPCHK_IMAP_CONTINUATION  /* "+" [SP text] */
} smtpchk_imap_kind;

typedef enum smtpchk_imap_cond {
    SMTPCHK_IMAP_COND_NONE = 0, /* untagged data (CAPABILITY, SEARCH, n EXISTS...) */
    SMTPCHK_IMAP_COND_OK,
    SMTPCHK_IMAP_COND_NO,
    SMTPCHK_IMAP_COND_BAD,
    SMTPCHK_IMAP_COND_BYE,
    SMTPCHK_IMAP_COND_PREAUTH
} smtpchk_imap_cond;

typedef struct smtpchk_imap_resp {
    smtpchk_imap_kind kind;
    smtpchk_imap_cond cond;
    const char *tag;          /* TAGGED: the tag; "" otherwise */
    const char *atom;         /* UNTAGGED data: its name, upper-cased ("CAPABILITY", "EXISTS") */
    const char *text;         /* the rest after the condition / data name, up to the first literal */
    const char *code;         /* resp-text-code inside [...] without brackets; "" = none */
    const char *line;         /* the whole first line, without CRLF */
    size_t nliterals;         /* literals skipped */
} smtpchk_imap_resp;

typedef struct smtpchk_imap_reader smtpchk_imap_reader;

/* 0 for a limit means the default above. */
smtpchk_imap_reader *smtpchk_imap_reader_new(size_t max_line, size_t max_literal);
void smtpchk_imap_reader_free(smtpchk_imap_reader *r);
/*
 * Consumes bytes up to the end of one complete response (*consumed says
 * how many). After COMPLETE the response is valid until the next feed;
 * after ERROR the reader stays in error.
 */
smtpchk_parse_status smtpchk_imap_reader_feed(smtpchk_imap_reader *r, const char *buf, size_t len,
                                              size_t *consumed);
const smtpchk_imap_resp *smtpchk_imap_reader_resp(const smtpchk_imap_reader *r);
const char *smtpchk_imap_reader_error(const smtpchk_imap_reader *r);
int smtpchk_imap_reader_partial(const smtpchk_imap_reader *r);

/* The next space-separated token of *p (advanced past it); its length, 0 at the end. */
size_t smtpchk_imap_token(const char **p, const char **tok);

#endif
