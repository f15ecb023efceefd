/* IMAP response reader: lines, literal skipping, the first line's parts. */
#include "imap_resp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { RD_LINE, RD_LITERAL, RD_COMPLETE, RD_ERROR } rd_state;

struct smtpchk_imap_reader {
    size_t max_line, max_literal;
    rd_state st;
    char *first;              /* the first line of the response, max_line + 1 */
    char *work;               /* its parts, NUL-separated, max_line + 1 */
    size_t first_len;
    int first_done;
    size_t line_len;          /* octets of the current line so far */
    char tail[16];            /* the last octets of a line after a literal */
    size_t tail_n;
    int cr;                   /* the last octet was CR */
    size_t lit_left;
    size_t total;
    size_t nliterals;
    char err[128];
    smtpchk_imap_resp resp;
};

smtpchk_imap_reader *
smtpchk_imap_reader_new(size_t max_line, size_t max_literal)
{
    smtpchk_imap_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->max_line = max_line ? max_line : SMTPCHK_IMAP_MAX_LINE;
    r->max_literal = max_literal ? max_literal : SMTPCHK_IMAP_MAX_LITERAL;
    r->first = malloc(r->max_line + 1);
    r->work = malloc(r->max_line + 8); /* parts + their NULs */
    if (r->first == NULL || r->work == NULL) {
        smtpchk_imap_reader_free(r);
        return NULL;
    }
    return r;
}

void
smtpchk_imap_reader_free(smtpchk_imap_reader *r)
{
    if (r == NULL)
        return;
    free(r->first);
    free(r->work);
    free(r);
}

static void
reset(smtpchk_imap_reader *r)
{
    r->st = RD_LINE;
    r->first_len = r->line_len = r->lit_left = r->total = r->nliterals = r->tail_n = 0;
    r->first_done = r->cr = 0;
}

static smtpchk_parse_status
error(smtpchk_imap_reader *r, const char *msg)
{
    snprintf(r->err, sizeof(r->err), "%s", msg);
    r->st = RD_ERROR;
    return SMTPCHK_PARSE_ERROR;
}

static smtpchk_parse_status
error_n(smtpchk_imap_reader *r, const char *what, unsigned long long n, const char *unit)
{
    snprintf(r->err, sizeof(r->err), "%s %llu %s", what, n, unit);
    r->st = RD_ERROR;
    return SMTPCHK_PARSE_ERROR;
}

size_t
smtpchk_imap_token(const char **p, const char **tok)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    *tok = s;
    while (*s != '\0' && *s != ' ')
        s++;
    *p = s;
    return (size_t)(s - *tok);
}

static int
token_is(const char *tok, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(tok, word, n) == 0;
}

static smtpchk_imap_cond
cond_of(const char *tok, size_t n)
{
    static const struct {
        const char *word;
        smtpchk_imap_cond cond;
    } conds[] = {{"OK", SMTPCHK_IMAP_COND_OK},   {"NO", SMTPCHK_IMAP_COND_NO},
                 {"BAD", SMTPCHK_IMAP_COND_BAD}, {"BYE", SMTPCHK_IMAP_COND_BYE},
                 {"PREAUTH", SMTPCHK_IMAP_COND_PREAUTH}};
    for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
        if (token_is(tok, n, conds[i].word))
            return conds[i].cond;
    return SMTPCHK_IMAP_COND_NONE;
}

/* RFC 3501 tag: ASTRING-CHAR except "+". */
static int
tag_ok(const char *tok, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]+", c) != NULL)
            return 0;
    }
    return n > 0;
}

/* Copies n octets into the work area as one NUL-terminated part. */
static const char *
part(char **w, const char *s, size_t n)
{
    char *out = *w;
    memcpy(out, s, n);
    out[n] = '\0';
    *w = out + n + 1;
    return out;
}

/* resp-text: ["[" code "]" SP] text. -1 when a "[" is not closed. */
static int
parse_resp_text(smtpchk_imap_resp *p, char **w, const char *s)
{
    while (*s == ' ')
        s++;
    p->code = "";
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL)
            return -1;
        p->code = part(w, s + 1, (size_t)(end - s - 1));
        s = end + 1;
        while (*s == ' ')
            s++;
    }
    p->text = part(w, s, strlen(s));
    return 0;
}

static int
parse_untagged(smtpchk_imap_resp *p, char **w, const char *s)
{
    const char *tok;
    size_t n = smtpchk_imap_token(&s, &tok);
    if (n == 0)
        return -1;
    p->cond = cond_of(tok, n);
    if (p->cond != SMTPCHK_IMAP_COND_NONE)
        return parse_resp_text(p, w, s);
    if (isdigit((unsigned char)tok[0])) { /* "* 3 EXISTS": the name follows the number */
        n = smtpchk_imap_token(&s, &tok);
        if (n == 0)
            return -1;
    }
    char *atom = (char *)part(w, tok, n);
    for (char *a = atom; *a != '\0'; a++)
        *a = (char)toupper((unsigned char)*a);
    p->atom = atom;
    while (*s == ' ')
        s++;
    p->text = part(w, s, strlen(s));
    return 0;
}

/* Splits the first line (already without CRLF and literal marker) into parts. */
static int
parse_first(smtpchk_imap_reader *r)
{
    smtpchk_imap_resp *p = &r->resp;
    const char *s = r->first;
    char *w = r->work;
    *p = (smtpchk_imap_resp){.tag = "", .atom = "", .text = "", .code = "", .line = r->first};
    p->nliterals = r->nliterals;
    if (s[0] == '+') {
        if (s[1] != '\0' && s[1] != ' ')
            return -1;
        p->kind = SMTPCHK_IMAP_CONTINUATION;
        p->text = s[1] == ' ' ? s + 2 : "";
        return 0;
    }
    if (s[0] == '*' && s[1] == ' ') {
        p->kind = SMTPCHK_IMAP_UNTAGGED;
        return parse_untagged(p, &w, s + 2);
    }
    const char *tok;
    size_t n = smtpchk_imap_token(&s, &tok);
    if (!tag_ok(tok, n) || tok != r->first)
        return -1;
    p->kind = SMTPCHK_IMAP_TAGGED;
    p->tag = part(&w, tok, n);
    n = smtpchk_imap_token(&s, &tok);
    p->cond = cond_of(tok, n);
    if (p->cond != SMTPCHK_IMAP_COND_OK && p->cond != SMTPCHK_IMAP_COND_NO &&
        p->cond != SMTPCHK_IMAP_COND_BAD)
        return -1;
    return parse_resp_text(p, &w, s);
}

/* "{123}" or "{123+}" at the end of the line: its size, or -1 when none. */
static long long
literal_marker(const char *line, size_t len, size_t *marker_at)
{
    if (len < 3 || line[len - 1] != '}')
        return -1;
    size_t end = len - 1;
    if (line[end - 1] == '+')
        end--;
    size_t i = end;
    while (i > 0 && isdigit((unsigned char)line[i - 1]) && end - i < 12)
        i--;
    if (i == end || i == 0 || line[i - 1] != '{')
        return -1;
    *marker_at = i - 1;
    return strtoll(line + i, NULL, 10);
}

static smtpchk_parse_status
end_of_line(smtpchk_imap_reader *r)
{
    size_t at = 0;
    long long lit;
    if (!r->first_done) {
        r->first[r->first_len] = '\0';
        lit = literal_marker(r->first, r->first_len, &at);
        if (lit >= 0)
            r->first[at] = '\0';
        r->first_done = 1;
        if (parse_first(r) != 0)
            return error(r, "malformed response line");
    } else {
        lit = literal_marker(r->tail, r->tail_n, &at);
    }
    r->line_len = r->tail_n = 0;
    if (lit < 0) {
        r->st = RD_COMPLETE;
        return SMTPCHK_PARSE_COMPLETE;
    }
    if ((unsigned long long)lit > r->max_literal)
        return error_n(r, "literal of", (unsigned long long)lit, "octets is over the cap");
    r->total += (size_t)lit;
    if (r->total > SMTPCHK_IMAP_MAX_RESPONSE)
        return error_n(r, "response over", SMTPCHK_IMAP_MAX_RESPONSE, "octets");
    r->nliterals++;
    r->resp.nliterals = r->nliterals;
    r->lit_left = (size_t)lit;
    r->st = r->lit_left > 0 ? RD_LITERAL : RD_LINE;
    return SMTPCHK_PARSE_NEED_MORE;
}

/* Keeps a line's octet: the whole first line, else the tail. */
static void
keep(smtpchk_imap_reader *r, char c)
{
    if (!r->first_done) {
        r->first[r->first_len++] = c;
        return;
    }
    if (r->tail_n == sizeof(r->tail) - 1) {
        memmove(r->tail, r->tail + 1, r->tail_n - 1);
        r->tail_n--;
    }
    r->tail[r->tail_n++] = c;
}

/* One octet of a line. */
static smtpchk_parse_status
line_octet(smtpchk_imap_reader *r, char c)
{
    r->total++;
    if (++r->line_len > r->max_line)
        return error_n(r, "line longer than", r->max_line, "octets");
    if (r->total > SMTPCHK_IMAP_MAX_RESPONSE)
        return error_n(r, "response over", SMTPCHK_IMAP_MAX_RESPONSE, "octets");
    if (c == '\0')
        return error(r, "NUL in a response line");
    if (r->cr && c != '\n')
        return error(r, "bare CR in a response line");
    if (c == '\n' && !r->cr)
        return error(r, "line not ended by CRLF");
    if (c == '\n') {
        r->cr = 0;
        return end_of_line(r);
    }
    if (c == '\r')
        r->cr = 1;
    else
        keep(r, c);
    return SMTPCHK_PARSE_NEED_MORE;
}

smtpchk_parse_status
smtpchk_imap_reader_feed(smtpchk_imap_reader *r, const char *buf, size_t len, size_t *consumed)
{
    size_t i = 0;
    if (r->st == RD_COMPLETE)
        reset(r);
    *consumed = 0;
    if (r->st == RD_ERROR)
        return SMTPCHK_PARSE_ERROR;
    smtpchk_parse_status st = SMTPCHK_PARSE_NEED_MORE;
    while (i < len && st == SMTPCHK_PARSE_NEED_MORE) {
        if (r->st == RD_LITERAL) {
            size_t take = len - i < r->lit_left ? len - i : r->lit_left;
            i += take;
            r->lit_left -= take;
            if (r->lit_left == 0)
                r->st = RD_LINE;
            continue;
        }
        st = line_octet(r, buf[i++]);
    }
    *consumed = i;
    return st;
}

const smtpchk_imap_resp *
smtpchk_imap_reader_resp(const smtpchk_imap_reader *r)
{
    return &r->resp;
}

const char *
smtpchk_imap_reader_error(const smtpchk_imap_reader *r)
{
    return r->err;
}

int
smtpchk_imap_reader_partial(const smtpchk_imap_reader *r)
{
    return r->st == RD_LITERAL || (r->st == RD_LINE && (r->line_len > 0 || r->first_done));
}
