/* Reading a check file safely for libconfig (checkfile.h). */
#include "checkfile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtokens.h"
#include "fileread.h"
#include "schema_int.h"

typedef struct scan {
    const char *path;
    smtpchk_diag *d;
    size_t *errors;
} scan;

__attribute__((format(printf, 3, 4))) static void
refuse(const scan *sc, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    smtpchk_diag_add(sc->d, sc->path, line, true, msg);
    (*sc->errors)++;
}

/* libconfig takes "@include" after blanks at a line's start; this also
 * refuses it in comments and strings, where a refusal costs nothing. */
static bool
is_include(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
        p++;
    return (size_t)(end - p) >= 8 && memcmp(p, "@include", 8) == 0;
}

/* One line [p, end): 0 when libconfig may have it. */
static int
check_line(const scan *sc, int line, const char *p, const char *end)
{
    int bad = 0;
    if ((size_t)(end - p) > CHECK_LINE_MAX) {
        refuse(sc, line, "the line is longer than 1 MiB (split a long string: \"a\" \"b\")");
        bad = 1;
    }
    if (memchr(p, '\0', (size_t)(end - p)) != NULL) {
        refuse(sc, line, "a NUL byte");
        bad = 1;
    }
    if (is_include(p, end)) {
        refuse(sc, line, "@include is not supported: write the checks in this file");
        bad = 1;
    }
    return bad;
}

/* Checks every line; returns the number refused. */
static int
check_lines(const scan *sc, const char *text, size_t len)
{
    int bad = 0, line = 1;
    for (const char *p = text, *end = text + len; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        bad += check_line(sc, line, p, stop);
        p = stop + 1;
    }
    return bad;
}

/* Syntax errors libconfig would leak memory on: refused here instead. */
static int
check_tokens(const scan *sc, const char *text, size_t len)
{
    int line = 0;
    if (smtpchk_cfgtokens_check(text, len, &line) == 0)
        return 0;
    refuse(sc, line, "syntax error");
    return 1;
}

static int
line_at(const char *text, size_t off)
{
    int line = 1;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + off - p))) != NULL; p++)
        line++;
    return line;
}

char *
checkfile_read(const char *path, smtpchk_diag *d, size_t *errors)
{
    scan sc = {path, d, errors};
    smtpchk_fread f;
    smtpchk_fread_status st = smtpchk_fread_file(path, CHECK_FILE_MAX, SMTPCHK_FREAD_HEAD, &f);
    char *text = NULL;
    if (st == SMTPCHK_FREAD_ERRNO)
        refuse(&sc, 0, "cannot read the file: %s", strerror(f.err));
    else if (st == SMTPCHK_FREAD_NOT_REGULAR)
        refuse(&sc, 0, "not a regular file (%s)", smtpchk_fread_kind(f.mode));
    else if (st == SMTPCHK_FREAD_TOO_BIG && f.data != NULL)
        refuse(&sc, line_at(f.data, f.len), "the file is larger than 4 MiB (%lld bytes)", f.size);
    else if (st == SMTPCHK_FREAD_TOO_BIG)
        refuse(&sc, 0, "the file is larger than 4 MiB (%lld bytes)", f.size);
    else if (check_lines(&sc, f.data, f.len) == 0 && check_tokens(&sc, f.data, f.len) == 0) {
        text = f.data; /* the reader's exact allocation, handed over */
        f.data = NULL;
    }
    smtpchk_fread_free(&f);
    return text;
}
