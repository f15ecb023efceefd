/*
 * The files a check names: the password file (its first line), the body
 * files (UTF-8, at most 1 MiB) and the CA file and directory (opened to
 * see that they are there). All through the one reader (fileread.h), so
 * that a FIFO, a device or a directory is refused before any read.
 */
#include "schema_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "fileread.h"
#include "text.h"

static const struct {
    smtpchk_syntax syntax;
    const char *what;
} file_kinds[] = {
    {SMTPCHK_SYN_SECRET_FILE, "password file"},
    {SMTPCHK_SYN_BODY_FILE, "body file"},
    {SMTPCHK_SYN_CA_FILE, "CA file"},
    {SMTPCHK_SYN_CA_DIR, "CA directory"},
};

static const char *
file_what(const row *r)
{
    for (size_t i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++)
        if (file_kinds[i].syntax == r->f.syntax)
            return file_kinds[i].what;
    return "file";
}

/* Reports a refusal of the reader; 0 when it read the file. */
static int
file_refused(smtpchk_fill *f, const row *r, smtpchk_fread_status st, const smtpchk_fread *fr,
             const char *path, const char *limit)
{
    char sh[SHOWN_MAX];
    const char *what = file_what(r);
    smtpchk_shown(path, sh, sizeof(sh));
    if (st == SMTPCHK_FREAD_ERRNO)
        fill_say(f, r, -1, true, "cannot read %s \"%s\": %s", "cannot read %s \"%s\": %s", what, sh,
                 strerror(fr->err));
    else if (st == SMTPCHK_FREAD_NOT_REGULAR)
        fill_say(f, r, -1, true, "%s \"%s\" is not a regular file",
                 "%s \"%s\" is not a regular file", what, sh);
    else if (st == SMTPCHK_FREAD_TOO_BIG)
        fill_say(f, r, -1, true, "%s \"%s\" is larger than %s", "%s \"%s\" is larger than %s", what,
                 sh, limit);
    return st == SMTPCHK_FREAD_OK ? 0 : -1;
}

static void
replace_secret(char **dst, char *value)
{
    if (*dst != NULL)
        OPENSSL_cleanse(*dst, strlen(*dst));
    free(*dst);
    *dst = value;
}

/* The first line, without CR/LF; the buffer is wiped by the reader. */
static int
take_password(smtpchk_fill *f, const row *r, const smtpchk_fread *fr, const char *sh)
{
    char *nl = memchr(fr->data, '\n', fr->len);
    size_t line = nl != NULL ? (size_t)(nl - fr->data) : fr->len;
    if (line > 0 && fr->data[line - 1] == '\r')
        line--;
    const char *why = line > SECRET_MAX                      ? "the password is too long"
                      : line == 0                            ? "is empty"
                      : memchr(fr->data, '\0', line) != NULL ? "contains a NUL byte"
                                                             : NULL;
    if (why != NULL) {
        const char *fmt =
            line > SECRET_MAX ? "password file \"%s\": %s" : "password file \"%s\" %s";
        fill_say(f, r, -1, true, fmt, fmt, sh, why);
        return -1;
    }
    char *pw = strndup(fr->data, line);
    if (pw == NULL) {
        fill_say(f, r, -1, true, "out of memory", "out of memory");
        return -1;
    }
    replace_secret(fill_at2(f, r), pw);
    return 0;
}

/* Only the first line counts, so only its first bytes are read. */
static void
read_secret(smtpchk_fill *f, const row *r, const char *path)
{
    smtpchk_fread fr;
    char sh[SHOWN_MAX];
    smtpchk_shown(path, sh, sizeof(sh));
    smtpchk_fread_status st =
        smtpchk_fread_file(path, SECRET_MAX + 2, SMTPCHK_FREAD_SECRET | SMTPCHK_FREAD_HEAD, &fr);
    if (st == SMTPCHK_FREAD_TOO_BIG)
        st = SMTPCHK_FREAD_OK;
    if (file_refused(f, r, st, &fr, path, "") == 0) {
        /* Group-readable is how snmpd's user reads it (docs/snmp.md). */
        if (fr.mode & S_IROTH)
            fill_say(f, r, -1, false, "password file \"%s\" is readable by others (mode %04o)",
                     "password file \"%s\" is readable by others (mode %04o)", sh,
                     (unsigned)(fr.mode & 07777));
        take_password(f, r, &fr, sh);
    }
    smtpchk_fread_free(&fr);
}

static void
read_body(smtpchk_fill *f, const row *r, const char *path)
{
    smtpchk_fread fr;
    char sh[SHOWN_MAX];
    smtpchk_fread_status st = smtpchk_fread_file(path, BODY_MAX, 0, &fr);
    if (file_refused(f, r, st, &fr, path, "1 MiB") == 0) {
        if (strlen(fr.data) != fr.len || !smtpchk_utf8_valid(fr.data, fr.len)) {
            fill_say(f, r, -1, true, "body file \"%s\" is not valid UTF-8",
                     "body file \"%s\" is not valid UTF-8", smtpchk_shown(path, sh, sizeof(sh)));
        } else {
            char **dst = fill_at2(f, r);
            free(*dst);
            *dst = fr.data; /* the exact allocation becomes the body */
            fr.data = NULL;
        }
    }
    smtpchk_fread_free(&fr);
}

static void
look_at_ca(smtpchk_fill *f, const row *r, const char *path)
{
    smtpchk_fread fr = {0};
    smtpchk_fread_status st = SMTPCHK_FREAD_OK;
    if (r->f.syntax == SMTPCHK_SYN_CA_FILE)
        st = smtpchk_fread_file(path, 0, SMTPCHK_FREAD_PROBE, &fr);
    else if (smtpchk_fread_dir(path) != 0)
        st = SMTPCHK_FREAD_ERRNO, fr.err = errno;
    file_refused(f, r, st, &fr, path, "");
    smtpchk_fread_free(&fr);
}

void
namedfile_read(smtpchk_fill *f, const row *r, const char *path)
{
    if (r->f.syntax == SMTPCHK_SYN_SECRET_FILE)
        read_secret(f, r, path);
    else if (r->f.syntax == SMTPCHK_SYN_BODY_FILE)
        read_body(f, r, path);
    else
        look_at_ca(f, r, path);
}
