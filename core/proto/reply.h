/*
 * Sans-I/O SMTP reply parser (RFC 5321 4.2). Feed bytes; it reports a
 * complete reply, a need for more, or a sticky error. Limits live on
 * the parser. Bytes after a complete reply are left unconsumed.
 */
#ifndef SMTPCHK_REPLY_H
#define SMTPCHK_REPLY_H

#include <stddef.h>

#define SMTPCHK_REPLY_MAX_LINE 2048   /* octets, CRLF included */
#define SMTPCHK_REPLY_MAX_LINES 128
#define SMTPCHK_REPLY_MAX_TEXT 65536  /* all lines' text together */

typedef enum smtpchk_parse_status {
    SMTPCHK_PARSE_NEED_MORE = 0,
    SMTPCHK_PARSE_COMPLETE = 1,
    SMTPCHK_PARSE_ERROR = 2
} smtpchk_parse_status;

typedef struct smtpchk_reply {
    int code;                 /* 200..599 */
    size_t nlines;
    const char *lines[SMTPCHK_REPLY_MAX_LINES]; /* text after "DDD-"/"DDD ", NUL-terminated */
    int enh_class, enh_subject, enh_detail;     /* from the first line; -1 = none */
} smtpchk_reply;

typedef struct smtpchk_reply_parser smtpchk_reply_parser;

/* 0 for either limit means the default above. */
smtpchk_reply_parser *smtpchk_reply_parser_new(size_t max_line, size_t max_lines);
void smtpchk_reply_parser_free(smtpchk_reply_parser *p);

/*
 * Consumes bytes up to the end of one complete reply. *consumed says how
 * many were used. After COMPLETE, the reply is valid until the next feed
 * or reset; after ERROR, the parser stays in error until reset.
 */
smtpchk_parse_status smtpchk_reply_parser_feed(smtpchk_reply_parser *p,
                                               const char *buf, size_t len,
                                               size_t *consumed);
const smtpchk_reply *smtpchk_reply_parser_reply(const smtpchk_reply_parser *p);
const char *smtpchk_reply_parser_error(const smtpchk_reply_parser *p);
/* True while part of a reply has been fed but it is not complete. */
int smtpchk_reply_parser_partial(const smtpchk_reply_parser *p);
void smtpchk_reply_parser_reset(smtpchk_reply_parser *p);

/* Parses "X.Y.Z " at the start of s (X in 2,4,5). Returns the length
 * matched including one trailing space, or 0 when there is none. */
size_t smtpchk_parse_enhanced(const char *s, int *cls, int *subj, int *detail);

/* Copies text into out (size outlen), replacing control bytes with '?'
 * and cutting at outlen-1. For publishing server text safely. */
void smtpchk_sanitize(const char *text, char *out, size_t outlen);

#endif
