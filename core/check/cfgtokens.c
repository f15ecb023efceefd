/*
 * A token pass over a check file before libconfig parses it. libconfig 1.5
 * (Debian 12) leaks the string buffer when a syntax error comes with a
 * string: one where a string cannot start (`port "25";`, `{ "x" }`), or
 * right after one (`host = "mx" port = 25;`). Every bad HUP would cost
 * the agent that memory, so those errors are found here, with the same
 * "syntax error" libconfig would give, and libconfig never sees them.
 * Everything else is left to libconfig.
 */
#include "cfgtokens.h"

#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 64 /* deeper nesting is refused by the check-file rules anyway */

typedef struct lexer {
    const char *p, *end;
    int line;
    char stack[MAX_DEPTH];    /* '{' group (the file is one), '(' list, '[' array */
    int depth;
    char prev;                /* last token: one of "=:,;({[]})", 's' string, 'n' other */
} lexer;

static void
skip_to(lexer *lx, const char *stop, size_t n)
{
    while (lx->p < lx->end && (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, stop, n) != 0) {
        lx->line += *lx->p == '\n';
        lx->p++;
    }
    lx->p = (size_t)(lx->end - lx->p) >= n ? lx->p + n : lx->end;
}

/* Blanks and the three comment forms. */
static void
skip_space(lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->line += c == '\n';
            lx->p++;
        } else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
            skip_to(lx, "\n", 1);
            lx->line++;
        } else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            lx->p += 2;
            skip_to(lx, "*/", 2);
        } else {
            return;
        }
    }
}

static void
skip_string(lexer *lx)
{
    for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
        if (*lx->p == '\\' && lx->p + 1 < lx->end)
            lx->p++;
        lx->line += *lx->p == '\n';
    }
    if (lx->p < lx->end)
        lx->p++;
}

static char
context(const lexer *lx)
{
    return lx->depth > 0 ? lx->stack[lx->depth - 1] : '{';
}

/* May a string start after the previous token, here? */
static bool
string_may_start(const lexer *lx)
{
    if (lx->prev == '=' || lx->prev == ':' || lx->prev == 's')
        return true;
    return context(lx) != '{' && (lx->prev == '(' || lx->prev == '[' || lx->prev == ',');
}

static bool
may_follow_string(char c)
{
    return c == ';' || c == ',' || c == ')' || c == ']' || c == '}';
}

static void
track_nesting(lexer *lx, char c)
{
    if ((c == '{' || c == '(' || c == '[') && lx->depth < MAX_DEPTH)
        lx->stack[lx->depth++] = c;
    else if ((c == '}' || c == ')' || c == ']') && lx->depth > 0)
        lx->depth--;
}

/* Other tokens (names, numbers, booleans) run to a blank or punctuation. */
static void
skip_word(lexer *lx)
{
    while (lx->p < lx->end && strchr(" \t\r\n\f\v\"=:,;(){}[]#/", *lx->p) == NULL)
        lx->p++;
    if (lx->p < lx->end && *lx->p == '/' && (lx->p + 1 >= lx->end ||
                                             (lx->p[1] != '/' && lx->p[1] != '*')))
        lx->p++; /* a lone slash is no comment: let libconfig judge it */
}

int
smtpchk_cfgtokens_check(const char *text, size_t len, int *line)
{
    lexer lx = {.p = text, .end = text + len, .line = 1, .prev = ';'};
    for (skip_space(&lx); lx.p < lx.end; skip_space(&lx)) {
        char c = *lx.p;
        if (lx.prev == 's' && c != '"' && !may_follow_string(c))
            break;
        if (c == '"') {
            if (!string_may_start(&lx))
                break;
            skip_string(&lx);
            lx.prev = 's';
        } else if (strchr("=:,;(){}[]", c) != NULL) {
            track_nesting(&lx, c);
            lx.prev = c;
            lx.p++;
        } else {
            skip_word(&lx);
            lx.prev = 'n';
        }
    }
    *line = lx.line;
    return lx.p < lx.end ? -1 : 0;
}
