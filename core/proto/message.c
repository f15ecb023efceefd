/* The DATA payload: RFC 5322 headers, MIME QP bodies, dot-stuffing. */
#include "message.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "probe_headers.h"
#include "text.h"

#define LINE_MAX_OCTETS 998u  /* RFC 5322 2.1.1, excluding CRLF */
#define LINE_SOFT 78u         /* RFC 5322: SHOULD fold before this */
#define QP_LINE_MAX 76u       /* RFC 2045 6.7 */
#define EW_LINE_MAX 76u       /* RFC 2047 2: lines holding encoded-words */
#define EW_MAX 75u            /* RFC 2047 2: one encoded-word */
#define EW_OVERHEAD 12u       /* "=?UTF-8?B?" + "?=" */
#define EW_MIN 20u            /* holds one 4-byte character */
/* Longest address or id: keeps "Message-ID: " + value under 998. */
#define HDR_VALUE_MAX 900u
#define BOUNDARY_MAX 70u      /* RFC 2046 5.1.1 */
#define OOM_MSG "out of memory or message too large"

static const char qp_hex[] = "0123456789ABCDEF";

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Undoes partial appends so a failed call leaves out as it was. */
static void
buf_truncate(smtpchk_buf *b, size_t len)
{
    if (b->data != NULL && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

int
smtpchk_format_date(time_t t, char *out, size_t outlen)
{
    static const char *const days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (out == NULL || outlen == 0 || gmtime_r(&t, &tm) == NULL)
        return -1;
    /* RFC 5322 wants a 4-digit year and fixed English names. */
    if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
        return -1;
    int n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Printable ASCII without "=?" needs no RFC 2047 encoding. */
static bool
is_plain_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return false;
        if (c == '=' && i + 1 < len && s[i + 1] == '?')
            return false;
    }
    return true;
}

/* How many bytes of whole characters from s fit in max bytes. */
static size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (n < len) {
        size_t c = smtpchk_utf8_seq_len(p + n, len - n);
        if (c == 0 || n + c > max)
            break;
        n += c;
    }
    return n;
}

/* Longest encoded-word that may start at column col. */
static size_t
ew_room(size_t col)
{
    size_t room = col < EW_LINE_MAX ? EW_LINE_MAX - col : 0;
    if (room > EW_MAX)
        room = EW_MAX;
    return room < EW_MIN ? EW_MIN : room;
}

static int
append_encoded_word(const char *s, size_t n, smtpchk_buf *out)
{
    if (smtpchk_buf_append_str(out, "=?UTF-8?B?") != 0 ||
        smtpchk_base64_encode(s, n, out) != 0 ||
        smtpchk_buf_append_str(out, "?=") != 0)
        return -1;
    return 0;
}

static int
encode_words(const char *s, size_t len, size_t used, smtpchk_buf *out)
{
    size_t pos = 0, col = used;
    while (pos < len) {
        size_t raw = (ew_room(col) - EW_OVERHEAD) / 4 * 3;
        size_t n = utf8_prefix(s + pos, len - pos, raw);
        if (n == 0)
            return -1;
        if (pos > 0 && smtpchk_buf_append_str(out, "\r\n ") != 0)
            return -1;
        if (append_encoded_word(s + pos, n, out) != 0)
            return -1;
        pos += n;
        col = 1;
    }
    return 0;
}

int
smtpchk_rfc2047_encode(const char *utf8, size_t used, smtpchk_buf *out)
{
    if (utf8 == NULL || out == NULL || used > LINE_MAX_OCTETS - EW_MAX)
        return -1;
    size_t len = strlen(utf8);
    if (!smtpchk_utf8_valid(utf8, len))
        return -1;
    if (is_plain_text(utf8, len) && used + len <= LINE_MAX_OCTETS)
        return smtpchk_buf_append(out, utf8, len);
    size_t start = out->len;
    if (encode_words(utf8, len, used, out) != 0) {
        buf_truncate(out, start);
        return -1;
    }
    return 0;
}

/* Quoted-printable writer: one output line is collected, then flushed. */
typedef struct {
    smtpchk_buf *out;
    char line[QP_LINE_MAX + 4];
    size_t col;
} qp_writer;

static int
qp_flush(qp_writer *w, const char *brk)
{
    int rc = smtpchk_buf_append(w->out, w->line, w->col);
    if (rc == 0 && brk != NULL)
        rc = smtpchk_buf_append_str(w->out, brk);
    w->col = 0;
    return rc;
}

/* Adds one token; a soft break first if it would not fit. */
static int
qp_put(qp_writer *w, const char *tok, size_t n, bool at_eol)
{
    /* Mid-line tokens must leave room for the soft-break '='. */
    size_t limit = at_eol ? QP_LINE_MAX : QP_LINE_MAX - 1;
    if (w->col + n > limit && qp_flush(w, "=\r\n") != 0)
        return -1;
    memcpy(w->line + w->col, tok, n);
    w->col += n;
    return 0;
}

/* Length of the line break at in[i] (LF or CRLF), or 0. */
static size_t
line_break_len(const char *in, size_t len, size_t i)
{
    if (in[i] == '\n')
        return 1;
    if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
        return 2;
    return 0;
}

static size_t
qp_token(unsigned char c, bool at_eol, char tok[3])
{
    bool literal = (c >= 33 && c <= 126 && c != '=') ||
                   ((c == ' ' || c == '\t') && !at_eol);
    if (literal) {
        tok[0] = (char)c;
        return 1;
    }
    tok[0] = '=';
    tok[1] = qp_hex[c >> 4];
    tok[2] = qp_hex[c & 0x0f];
    return 3;
}

int
smtpchk_qp_encode(const char *in, size_t len, smtpchk_buf *out)
{
    if ((in == NULL && len > 0) || out == NULL)
        return -1;
    qp_writer w = {.out = out, .col = 0};
    size_t start = out->len;
    int rc = 0;
    size_t i = 0;
    while (i < len && rc == 0) {
        size_t brk = line_break_len(in, len, i);
        if (brk > 0) {
            rc = qp_flush(&w, "\r\n");
            i += brk;
            continue;
        }
        bool at_eol = i + 1 == len || line_break_len(in, len, i + 1) > 0;
        char tok[3];
        size_t n = qp_token((unsigned char)in[i], at_eol, tok);
        rc = qp_put(&w, tok, n, at_eol);
        i++;
    }
    if (rc == 0)
        rc = qp_flush(&w, NULL);
    if (rc != 0)
        buf_truncate(out, start);
    return rc;
}

static int
dot_stuff_run(const char *in, size_t len, smtpchk_buf *out)
{
    size_t i = 0, run = 0;
    bool bol = true;
    while (i < len) {
        char c = in[i];
        if (bol && c == '.') {
            /* Emit up to here plus one extra dot; the original follows. */
            if (smtpchk_buf_append(out, in + run, i - run) != 0 ||
                smtpchk_buf_append(out, ".", 1) != 0)
                return -1;
            run = i;
        }
        bol = false;
        if (c == '\r' || c == '\n') {
            if (smtpchk_buf_append(out, in + run, i - run) != 0 ||
                smtpchk_buf_append(out, "\r\n", 2) != 0)
                return -1;
            i += (c == '\r' && i + 1 < len && in[i + 1] == '\n') ? 2 : 1;
            run = i;
            bol = true;
            continue;
        }
        i++;
    }
    return smtpchk_buf_append(out, in + run, len - run);
}

int
smtpchk_dot_stuff(const char *in, size_t len, smtpchk_buf *out)
{
    if ((in == NULL && len > 0) || out == NULL)
        return -1;
    size_t start = out->len;
    if (dot_stuff_run(in, len, out) != 0) {
        buf_truncate(out, start);
        return -1;
    }
    return 0;
}

/* ---- message_build ---- */

/* Checks one address-like header value. */
static int
check_field(const char *value, const char *name, char *err, size_t errlen)
{
    if (value == NULL || value[0] == '\0') {
        set_err(err, errlen, "missing %s", name);
        return -1;
    }
    if (smtpchk_header_value_ok(value) != 0) {
        set_err(err, errlen, "header injection: CR/LF in %s", name);
        return -1;
    }
    if (strlen(value) > HDR_VALUE_MAX) {
        set_err(err, errlen, "%s too long", name);
        return -1;
    }
    return 0;
}

/* A round trip's token or check tag: the characters of probe_headers.h. */
static int
check_probe_value(const char *value, const char *name, char *err, size_t errlen)
{
    if (value != NULL && smtpchk_probe_value_ok(value))
        return 0;
    set_err(err, errlen, "bad %s", name);
    return -1;
}

static bool
is_bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || strchr("'()+_,-./:=? ", c) != NULL;
}

/* RFC 2046 5.1.1: 1..70 bchars, not ending in a space. */
static bool
boundary_valid(const char *b)
{
    size_t len = strlen(b);
    if (len == 0 || len > BOUNDARY_MAX || b[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_bchar((unsigned char)b[i]))
            return false;
    return true;
}

static int
check_recipients(const smtpchk_msgspec *spec, char *err, size_t errlen)
{
    if (spec->to == NULL || spec->nto == 0) {
        set_err(err, errlen, "no recipients");
        return -1;
    }
    for (size_t i = 0; i < spec->nto; i++)
        if (check_field(spec->to[i], "to", err, errlen) != 0)
            return -1;
    return 0;
}

static int
check_text(const char *s, const char *name, char *err, size_t errlen)
{
    if (s != NULL && !smtpchk_utf8_valid(s, strlen(s))) {
        set_err(err, errlen, "invalid UTF-8 in %s", name);
        return -1;
    }
    return 0;
}

int
smtpchk_message_check(const smtpchk_msgspec *spec, char *err, size_t errlen)
{
    if (check_field(spec->from, "from", err, errlen) != 0 ||
        check_recipients(spec, err, errlen) != 0 ||
        check_field(spec->message_id, "message_id", err, errlen) != 0 ||
        (spec->token != NULL && (check_probe_value(spec->token, "token", err, errlen) != 0 ||
                                 check_probe_value(spec->check_tag, "check_tag", err, errlen) != 0)))
        return -1;
    if (spec->subject != NULL && smtpchk_header_value_ok(spec->subject) != 0) {
        set_err(err, errlen, "header injection: CR/LF in subject");
        return -1;
    }
    char date[64];
    if (smtpchk_format_date(spec->date, date, sizeof(date)) != 0) {
        set_err(err, errlen, "date out of range");
        return -1;
    }
    if (spec->boundary != NULL && !boundary_valid(spec->boundary)) {
        set_err(err, errlen, "invalid MIME boundary");
        return -1;
    }
    if (check_text(spec->subject, "subject", err, errlen) != 0 ||
        check_text(spec->body_html, "body_html", err, errlen) != 0 ||
        check_text(spec->body_text, "body_text", err, errlen) != 0)
        return -1;
    return 0;
}

/* "To: a, b," folded at ", " so lines stay near 78 columns. */
static int
append_to(const smtpchk_msgspec *spec, smtpchk_buf *b)
{
    size_t col = 4;
    if (smtpchk_buf_append_str(b, "To: ") != 0)
        return -1;
    for (size_t i = 0; i < spec->nto; i++) {
        size_t n = strlen(spec->to[i]);
        if (i > 0) {
            bool fold = col + 2 + n > LINE_SOFT;
            if (smtpchk_buf_append_str(b, fold ? ",\r\n " : ", ") != 0)
                return -1;
            col = fold ? 1 : col + 2;
        }
        if (smtpchk_buf_append(b, spec->to[i], n) != 0)
            return -1;
        col += n;
    }
    return smtpchk_buf_append_str(b, "\r\n");
}

static int
append_headers(const smtpchk_msgspec *spec, smtpchk_buf *b)
{
    char date[64];
    if (smtpchk_format_date(spec->date, date, sizeof(date)) != 0)
        return -1;
    if (smtpchk_buf_appendf(b, "Date: %s\r\nFrom: %s\r\n", date, spec->from) != 0 ||
        append_to(spec, b) != 0 ||
        smtpchk_buf_append_str(b, "Subject: ") != 0 ||
        smtpchk_rfc2047_encode(spec->subject ? spec->subject : "", 9, b) != 0 ||
        smtpchk_buf_appendf(b, "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
                            spec->message_id) != 0)
        return -1;
    if (spec->token != NULL &&
        smtpchk_buf_appendf(b,
                            SMTPCHK_PROBE_TOKEN_HEADER ": " SMTPCHK_PROBE_OPEN "%s"
                            SMTPCHK_PROBE_CLOSE "\r\n" SMTPCHK_PROBE_CHECK_HEADER
                            ": " SMTPCHK_PROBE_OPEN "%s" SMTPCHK_PROBE_CLOSE "\r\n",
                            spec->token, spec->check_tag) != 0)
        return -1;
    return 0;
}

/* Content-Type, transfer encoding, blank line and the QP body. */
static int
append_part(const char *subtype, const smtpchk_buf *qp, smtpchk_buf *b)
{
    if (smtpchk_buf_appendf(b, "Content-Type: text/%s; charset=UTF-8\r\n"
                               "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                            subtype) != 0)
        return -1;
    return smtpchk_buf_append(b, qp->data ? qp->data : "", qp->len);
}

/* "=_smtpcheck_" + FNV-1a of the Message-ID: stable, and since QP always
 * encodes '=' as "=3D", no encoded line can start with "--=_". */
static void
derive_boundary(const char *message_id, char *out, size_t outlen)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)message_id; *p; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    snprintf(out, outlen, "=_smtpcheck_%016llx", (unsigned long long)h);
}

static bool
contains(const smtpchk_buf *hay, const char *needle)
{
    return hay->data != NULL && strstr(hay->data, needle) != NULL;
}

static int
append_multipart(const smtpchk_buf *text, const smtpchk_buf *html,
                 const char *bnd, smtpchk_buf *b)
{
    if (smtpchk_buf_appendf(b, "Content-Type: multipart/alternative;\r\n"
                               " boundary=\"%s\"\r\n\r\n"
                               "This is a multi-part message in MIME format.\r\n"
                               "\r\n--%s\r\n", bnd, bnd) != 0 ||
        append_part("plain", text, b) != 0 ||
        smtpchk_buf_appendf(b, "\r\n--%s\r\n", bnd) != 0 ||
        append_part("html", html, b) != 0 ||
        smtpchk_buf_appendf(b, "\r\n--%s--\r\n", bnd) != 0)
        return -1;
    return 0;
}

static int
encode_body(const char *s, smtpchk_buf *qp)
{
    return s == NULL ? 0 : smtpchk_qp_encode(s, strlen(s), qp);
}

static void
pick_boundary(const smtpchk_msgspec *spec, char *bnd, size_t len)
{
    if (spec->boundary != NULL)
        snprintf(bnd, len, "%s", spec->boundary);
    else
        derive_boundary(spec->message_id, bnd, len);
}

/* text/plain then text/html; the boundary must not occur in either. */
static int
append_alternative(const smtpchk_msgspec *spec, const smtpchk_buf *html,
                   smtpchk_buf *b, char *err, size_t errlen)
{
    char bnd[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 3];
    pick_boundary(spec, bnd, sizeof(bnd));
    snprintf(delim, sizeof(delim), "--%s", bnd);
    smtpchk_buf text;
    smtpchk_buf_init(&text);
    int rc = encode_body(spec->body_text, &text);
    if (rc != 0) {
        set_err(err, errlen, OOM_MSG);
    } else if (contains(&text, delim) || contains(html, delim)) {
        set_err(err, errlen, "MIME boundary occurs in the body");
        rc = -1;
    } else if (append_multipart(&text, html, bnd, b) != 0) {
        set_err(err, errlen, OOM_MSG);
        rc = -1;
    }
    smtpchk_buf_free(&text);
    return rc;
}

/* Sets err itself on failure. */
static int
append_body(const smtpchk_msgspec *spec, smtpchk_buf *b, char *err, size_t errlen)
{
    smtpchk_buf html;
    smtpchk_buf_init(&html);
    int rc = encode_body(spec->body_html, &html);
    if (rc == 0 && spec->body_text != NULL) {
        rc = append_alternative(spec, &html, b, err, errlen);
    } else {
        if (rc == 0)
            rc = append_part("html", &html, b);
        if (rc != 0)
            set_err(err, errlen, OOM_MSG);
    }
    smtpchk_buf_free(&html);
    return rc;
}

/* Dot-stuffs msg into out, then the final CRLF "." CRLF. */
static int
append_payload(const smtpchk_buf *msg, smtpchk_buf *out)
{
    size_t start = out->len;
    if (smtpchk_dot_stuff(msg->data, msg->len, out) != 0)
        return -1;
    bool crlf = out->len - start >= 2 &&
                memcmp(out->data + out->len - 2, "\r\n", 2) == 0;
    if (!crlf && smtpchk_buf_append_str(out, "\r\n") != 0)
        return -1;
    return smtpchk_buf_append_str(out, ".\r\n");
}

int
smtpchk_message_build(const smtpchk_msgspec *spec, smtpchk_buf *out,
                      char *err, size_t errlen)
{
    if (spec == NULL || out == NULL) {
        set_err(err, errlen, "no message");
        return -1;
    }
    if (smtpchk_message_check(spec, err, errlen) != 0)
        return -1;
    smtpchk_buf msg;
    smtpchk_buf_init(&msg);
    size_t start = out->len;
    /* The body part writes Content-Type and the blank line itself. */
    int rc = append_headers(spec, &msg);
    if (rc == 0)
        rc = append_body(spec, &msg, err, errlen); /* says why itself */
    else
        set_err(err, errlen, OOM_MSG);
    if (rc == 0) {
        rc = append_payload(&msg, out);
        if (rc != 0)
            set_err(err, errlen, OOM_MSG);
    }
    if (rc != 0)
        buf_truncate(out, start);
    smtpchk_buf_free(&msg);
    return rc;
}
