/*
 * Builds the test message sent after DATA: RFC 5322 headers, a MIME HTML
 * body (optionally multipart/alternative with a text part), CRLF line
 * ends, dot-stuffing, lines of at most 998 octets, and the final ".".
 * Pure: the date and Message-ID come in from the caller.
 */
#ifndef SMTPCHK_MESSAGE_H
#define SMTPCHK_MESSAGE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "text.h"

typedef struct smtpchk_msgspec {
    const char *from;             /* address, e.g. "probe@example.net" */
    const char *const *to;        /* addresses */
    size_t nto;
    const char *subject;          /* UTF-8; RFC 2047-encoded when not plain ASCII */
    const char *body_html;        /* UTF-8; NULL = empty body */
    const char *body_text;        /* optional plain-text alternative */
    time_t date;                  /* for the Date header (UTC) */
    const char *message_id;       /* full "<...@...>" value */
    const char *boundary;         /* MIME boundary when multipart; NULL = derive from message_id */
    const char *token;            /* round trip: the X-Smtpcheck-Token value; NULL = none */
    const char *check_tag;        /* with token: the X-Smtpcheck-Check value */
} smtpchk_msgspec;

/*
 * Checks spec as smtpchk_message_build does first: 0, or -1 with a reason
 * in err (CR/LF in a header value, invalid UTF-8, a bad date or boundary).
 * A spec that passes, with no boundary given, fails to build only when
 * memory or out's cap runs out (the derived boundary cannot occur in a
 * QP body), so a caller can tell a bad check from an internal error.
 */
int smtpchk_message_check(const smtpchk_msgspec *spec, char *err, size_t errlen);

/*
 * Appends the DATA payload to out, ending with "\r\n.\r\n". Returns 0,
 * or -1 with a reason in err (the checks above, a boundary found in a
 * body, no memory).
 */
int smtpchk_message_build(const smtpchk_msgspec *spec, smtpchk_buf *out,
                          char *err, size_t errlen);

/* Pieces, exposed for tests. Each appends to out and returns 0 or -1. */
/* RFC 2047 "B" encoded-words for a header value, folded with CRLF SP so
 * that no encoded-word exceeds 75 characters; plain ASCII passes as is.
 * `used` is how many columns the header name already takes ("Subject: "). */
int smtpchk_rfc2047_encode(const char *utf8, size_t used, smtpchk_buf *out);
/* Quoted-printable (RFC 2045) with soft breaks so lines stay <= 76; input
 * line breaks (LF or CRLF) become CRLF hard breaks. */
int smtpchk_qp_encode(const char *in, size_t len, smtpchk_buf *out);
/* CRLF normalisation (bare LF or CR -> CRLF) plus dot-stuffing. */
int smtpchk_dot_stuff(const char *in, size_t len, smtpchk_buf *out);
/* RFC 5322 date, e.g. "Sun, 22 Nov 2026 00:26:17 +0000". */
int smtpchk_format_date(time_t t, char *out, size_t outlen);

#endif
