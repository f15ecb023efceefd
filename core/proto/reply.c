#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct smtpchk_reply_parser {
    size_t max_line;
    size_t max_lines;
    char line[SMTPCHK_REPLY_MAX_LINE + 1]; /* current line being read */
    size_t line_len;
    char *text;               /* all complete lines' text, NUL-separated */
    size_t text_len;
    size_t line_off[SMTPCHK_REPLY_MAX_LINES];
    int code;                 /* code of the reply in progress; 0 = none yet */
    int complete;
    char error[128];
    smtpchk_reply reply;
};

smtpchk_reply_parser *
smtpchk_reply_parser_new(size_t max_line, size_t max_lines)
{
    smtpchk_reply_parser *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->text = malloc(SMTPCHK_REPLY_MAX_TEXT);
    if (p->text == NULL) {
        free(p);
        return NULL;
    }
    if (max_line == 0 || max_line > SMTPCHK_REPLY_MAX_LINE)
        max_line = SMTPCHK_REPLY_MAX_LINE;
    if (max_lines == 0 || max_lines > SMTPCHK_REPLY_MAX_LINES)
        max_lines = SMTPCHK_REPLY_MAX_LINES;
    p->max_line = max_line;
    p->max_lines = max_lines;
    smtpchk_reply_parser_reset(p);
    return p;
}

void
smtpchk_reply_parser_free(smtpchk_reply_parser *p)
{
    if (p == NULL)
        return;
    free(p->text);
    free(p);
}

void
smtpchk_reply_parser_reset(smtpchk_reply_parser *p)
{
    p->line_len = 0;
    p->text_len = 0;
    p->code = 0;
    p->complete = 0;
    p->error[0] = '\0';
    memset(&p->reply, 0, sizeof(p->reply));
}

static smtpchk_parse_status
parser_fail(smtpchk_reply_parser *p, const char *msg)
{
    snprintf(p->error, sizeof(p->error), "%s", msg);
    return SMTPCHK_PARSE_ERROR;
}

size_t
smtpchk_parse_enhanced(const char *s, int *cls, int *subj, int *detail)
{
    if (s[0] != '2' && s[0] != '4' && s[0] != '5')
        return 0;
    if (s[1] != '.')
        return 0;
    const char *q = s + 2;
    int parts[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        while (q[n] >= '0' && q[n] <= '9' && n < 3) {
            parts[i] = parts[i] * 10 + (q[n] - '0');
            n++;
        }
        if (n == 0 || (q[n] >= '0' && q[n] <= '9'))
            return 0;
        q += n;
        if (i == 0) {
            if (*q != '.')
                return 0;
            q++;
        }
    }
    if (*q != ' ' && *q != '\0')
        return 0;
    *cls = s[0] - '0';
    *subj = parts[0];
    *detail = parts[1];
    return (size_t)(q - s) + (*q == ' ');
}

/* Validates "DDD" + separator; returns the code or -1. */
static int
line_code(const char *l, size_t len, char *sep)
{
    if (len < 3)
        return -1;
    if (l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '5' ||
        l[2] < '0' || l[2] > '9')
        return -1;
    if (len == 3)
        *sep = ' ';
    else if (l[3] == '-' || l[3] == ' ')
        *sep = l[3];
    else
        return -1;
    return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

static void
finish_reply(smtpchk_reply_parser *p)
{
    smtpchk_reply *r = &p->reply;
    r->code = p->code;
    r->enh_class = r->enh_subject = r->enh_detail = -1;
    for (size_t i = 0; i < r->nlines; i++)
        r->lines[i] = p->text + p->line_off[i];
    int c, s, d;
    if (r->nlines > 0 && smtpchk_parse_enhanced(r->lines[0], &c, &s, &d) > 0 &&
        c == p->code / 100) {
        r->enh_class = c;
        r->enh_subject = s;
        r->enh_detail = d;
    }
    p->complete = 1;
}

/* One complete line (without CRLF) is in p->line. */
static smtpchk_parse_status
take_line(smtpchk_reply_parser *p)
{
    char sep = 0;
    int code = line_code(p->line, p->line_len, &sep);
    if (code < 0)
        return parser_fail(p, "malformed reply line");
    if (p->code != 0 && code != p->code)
        return parser_fail(p, "reply code changes within a multi-line reply");
    if (p->reply.nlines >= p->max_lines)
        return parser_fail(p, "too many lines in one reply");
    const char *txt = p->line_len > 4 ? p->line + 4 : "";
    size_t tlen = p->line_len > 4 ? p->line_len - 4 : 0;
    if (p->text_len + tlen + 1 > SMTPCHK_REPLY_MAX_TEXT)
        return parser_fail(p, "reply too long");
    p->line_off[p->reply.nlines++] = p->text_len;
    memcpy(p->text + p->text_len, txt, tlen);
    p->text_len += tlen;
    p->text[p->text_len++] = '\0';
    p->code = code;
    p->line_len = 0;
    if (sep == ' ') {
        finish_reply(p);
        return SMTPCHK_PARSE_COMPLETE;
    }
    return SMTPCHK_PARSE_NEED_MORE;
}

static smtpchk_parse_status
feed_byte(smtpchk_reply_parser *p, char ch)
{
    if (ch == '\0')
        return parser_fail(p, "NUL byte in reply");
    if (p->line_len > 0 && p->line[p->line_len - 1] == '\r') {
        if (ch != '\n')
            return parser_fail(p, "bare CR in reply");
        p->line_len--;
        p->line[p->line_len] = '\0';
        return take_line(p);
    }
    if (ch == '\n')
        return parser_fail(p, "bare LF in reply");
    if (p->line_len + 2 > p->max_line) /* room for the LF still to come */
        return parser_fail(p, "reply line too long");
    p->line[p->line_len++] = ch;
    return SMTPCHK_PARSE_NEED_MORE;
}

smtpchk_parse_status
smtpchk_reply_parser_feed(smtpchk_reply_parser *p, const char *buf, size_t len,
                          size_t *consumed)
{
    *consumed = 0;
    if (p->error[0] != '\0')
        return SMTPCHK_PARSE_ERROR;
    if (p->complete) {
        /* The previous reply was collected: start a new one. */
        smtpchk_reply_parser_reset(p);
    }
    for (size_t i = 0; i < len; i++) {
        smtpchk_parse_status st = feed_byte(p, buf[i]);
        if (st != SMTPCHK_PARSE_NEED_MORE) {
            *consumed = i + 1;
            return st;
        }
    }
    *consumed = len;
    return SMTPCHK_PARSE_NEED_MORE;
}

const smtpchk_reply *
smtpchk_reply_parser_reply(const smtpchk_reply_parser *p)
{
    return p->complete ? &p->reply : NULL;
}

const char *
smtpchk_reply_parser_error(const smtpchk_reply_parser *p)
{
    return p->error[0] != '\0' ? p->error : NULL;
}

int
smtpchk_reply_parser_partial(const smtpchk_reply_parser *p)
{
    return !p->complete && (p->line_len > 0 || p->reply.nlines > 0);
}

/*
 * Server text goes into JSON, SNMP DisplayStrings and logs: control bytes
 * become '?', and so does each byte that is not part of a well-formed
 * UTF-8 sequence (a Latin-1 greeting), so what we publish is always valid
 * UTF-8. A sequence that does not fit whole is cut before it.
 */
void
smtpchk_sanitize(const char *text, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text), i = 0, j = 0;
    while (i < len && j + 1 < outlen) {
        size_t n = smtpchk_utf8_seq_len(p + i, len - i);
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
            out[j++] = '?';
            i++;
            continue;
        }
        if (j + n >= outlen)
            break;
        memcpy(out + j, p + i, n);
        i += n;
        j += n;
    }
    out[j] = '\0';
}
