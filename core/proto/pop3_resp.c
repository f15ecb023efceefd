/* POP3 response reader: the status line, then a dot-terminated body. */
#include "pop3_resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

typedef enum { RD_STATUS, RD_BODY, RD_COMPLETE, RD_ERROR } rd_state;

struct smtpchk_pop3_reader {
    smtpchk_pop3_expect expect;
    rd_state st;
    char line[SMTPCHK_POP3_MAX_LINE + 1];   /* the line being read */
    size_t len;
    int cr;
    char status[SMTPCHK_POP3_MAX_LINE + 1]; /* the status line of the response */
    smtpchk_buf body;                       /* body lines, each NUL-terminated */
    char err[96];
    smtpchk_pop3_resp resp;
};

smtpchk_pop3_reader *
smtpchk_pop3_reader_new(void)
{
    smtpchk_pop3_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    smtpchk_buf_init(&r->body);
    r->body.max = SMTPCHK_POP3_MAX_BODY + SMTPCHK_POP3_MAX_LINES;
    return r;
}

void
smtpchk_pop3_reader_free(smtpchk_pop3_reader *r)
{
    if (r == NULL)
        return;
    smtpchk_buf_free(&r->body);
    free(r);
}

static void
reset(smtpchk_pop3_reader *r)
{
    r->st = RD_STATUS;
    r->len = 0;
    r->cr = 0;
    smtpchk_buf_clear(&r->body);
    r->resp = (smtpchk_pop3_resp){.line = r->status, .text = ""};
}

void
smtpchk_pop3_reader_expect(smtpchk_pop3_reader *r, smtpchk_pop3_expect e)
{
    reset(r);
    r->expect = e;
}

static smtpchk_parse_status
error(smtpchk_pop3_reader *r, const char *msg)
{
    snprintf(r->err, sizeof(r->err), "%s", msg);
    r->st = RD_ERROR;
    return SMTPCHK_PARSE_ERROR;
}

/* "+OK", "-ERR", "+": the word, then the end or a space. */
static const char *
after_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(line, word, n) != 0 || (line[n] != '\0' && line[n] != ' '))
        return NULL;
    return line[n] == ' ' ? line + n + 1 : line + n;
}

static smtpchk_parse_status
status_line(smtpchk_pop3_reader *r)
{
    memcpy(r->status, r->line, r->len + 1);
    const char *t;
    if ((t = after_word(r->status, "+OK")) != NULL) {
        r->resp.status = SMTPCHK_POP3_OK;
    } else if ((t = after_word(r->status, "-ERR")) != NULL) {
        r->resp.status = SMTPCHK_POP3_ERR;
    } else if (r->expect == SMTPCHK_POP3_EXPECT_SASL && (t = after_word(r->status, "+")) != NULL) {
        r->resp.status = SMTPCHK_POP3_CONT;
    } else {
        return error(r, "malformed POP3 status line");
    }
    r->resp.text = t;
    if (r->resp.status == SMTPCHK_POP3_OK && r->expect == SMTPCHK_POP3_EXPECT_MULTI) {
        r->st = RD_BODY;
        return SMTPCHK_PARSE_NEED_MORE;
    }
    r->st = RD_COMPLETE;
    return SMTPCHK_PARSE_COMPLETE;
}

static smtpchk_parse_status
body_line(smtpchk_pop3_reader *r)
{
    if (strcmp(r->line, ".") == 0) {
        r->st = RD_COMPLETE;
        return SMTPCHK_PARSE_COMPLETE;
    }
    const char *l = r->line[0] == '.' ? r->line + 1 : r->line; /* RFC 1939 3: dot-unstuffing */
    if (r->resp.nlines >= SMTPCHK_POP3_MAX_LINES)
        return error(r, "multi-line response has too many lines");
    if (smtpchk_buf_append(&r->body, l, strlen(l) + 1) != 0)
        return error(r, "multi-line response too long");
    r->resp.nlines++;
    return SMTPCHK_PARSE_NEED_MORE;
}

static smtpchk_parse_status
octet(smtpchk_pop3_reader *r, char c)
{
    if (r->len + 1 >= SMTPCHK_POP3_MAX_LINE) /* room for the CRLF */
        return error(r, "line too long");
    if (c == '\0')
        return error(r, "NUL in a line");
    if (r->cr && c != '\n')
        return error(r, "bare CR in a line");
    if (c == '\n' && !r->cr)
        return error(r, "line not ended by CRLF");
    if (c == '\r') {
        r->cr = 1;
        return SMTPCHK_PARSE_NEED_MORE;
    }
    if (c != '\n') {
        r->line[r->len++] = c;
        return SMTPCHK_PARSE_NEED_MORE;
    }
    r->line[r->len] = '\0';
    smtpchk_parse_status st = r->st == RD_STATUS ? status_line(r) : body_line(r);
    r->len = 0;
    r->cr = 0;
    return st;
}

smtpchk_parse_status
smtpchk_pop3_reader_feed(smtpchk_pop3_reader *r, const char *buf, size_t len, size_t *consumed)
{
    size_t i = 0;
    *consumed = 0;
    if (r->st == RD_ERROR)
        return SMTPCHK_PARSE_ERROR;
    if (r->st == RD_COMPLETE) /* a second response to one command */
        return error(r, "more than one response to a command");
    smtpchk_parse_status st = SMTPCHK_PARSE_NEED_MORE;
    while (i < len && st == SMTPCHK_PARSE_NEED_MORE)
        st = octet(r, buf[i++]);
    *consumed = i;
    return st;
}

const smtpchk_pop3_resp *
smtpchk_pop3_reader_resp(const smtpchk_pop3_reader *r)
{
    return &r->resp;
}

const char *
smtpchk_pop3_reader_line(const smtpchk_pop3_reader *r, const char *prev)
{
    if (r->resp.nlines == 0)
        return NULL;
    if (prev == NULL)
        return r->body.data;
    const char *next = prev + strlen(prev) + 1;
    return next < r->body.data + r->body.len ? next : NULL;
}

const char *
smtpchk_pop3_reader_error(const smtpchk_pop3_reader *r)
{
    return r->err;
}

int
smtpchk_pop3_reader_partial(const smtpchk_pop3_reader *r)
{
    return r->st == RD_BODY || (r->st == RD_STATUS && (r->len > 0 || r->cr));
}
