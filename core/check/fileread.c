/* The one reader for files a check names; see fileread.h for the rules. */
#include "fileread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* O_NONBLOCK: a FIFO must not block the open; O_NOCTTY: a terminal must
 * not become ours. Neither changes how a regular file reads. */
#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

const char *
smtpchk_fread_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* Reads until EOF or cap bytes; -1 with errno on error. */
static ssize_t
read_upto(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len < cap) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        len += (size_t)r;
    }
    return (ssize_t)len;
}

static smtpchk_fread_status
fail_errno(smtpchk_fread *out, int err)
{
    out->err = err;
    return SMTPCHK_FREAD_ERRNO;
}

/* One exact allocation of what fstat announced (at most max): a file that
 * grows meanwhile is read as it was, and no growth leaves unwiped copies. */
static smtpchk_fread_status
read_body(int fd, size_t want, smtpchk_fread *out)
{
    out->cap = want + 1;
    if ((out->data = malloc(out->cap)) == NULL)
        return fail_errno(out, ENOMEM);
    ssize_t got = read_upto(fd, out->data, want);
    if (got < 0)
        return fail_errno(out, errno);
    out->len = (size_t)got;
    out->data[out->len] = '\0';
    return SMTPCHK_FREAD_OK;
}

static smtpchk_fread_status
read_open(int fd, size_t max, unsigned flags, smtpchk_fread *out)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail_errno(out, errno);
    out->mode = st.st_mode;
    out->size = (long long)st.st_size;
    if (!S_ISREG(st.st_mode))
        return SMTPCHK_FREAD_NOT_REGULAR;
    if (flags & SMTPCHK_FREAD_PROBE)
        return SMTPCHK_FREAD_OK;
    bool big = st.st_size < 0 || (unsigned long long)st.st_size > max;
    if (big && !(flags & SMTPCHK_FREAD_HEAD))
        return SMTPCHK_FREAD_TOO_BIG;
    smtpchk_fread_status s = read_body(fd, big ? max : (size_t)st.st_size, out);
    return s == SMTPCHK_FREAD_OK && big ? SMTPCHK_FREAD_TOO_BIG : s;
}

smtpchk_fread_status
smtpchk_fread_file(const char *path, size_t max, unsigned flags, smtpchk_fread *out)
{
    memset(out, 0, sizeof(*out));
    out->secret = (flags & SMTPCHK_FREAD_SECRET) != 0;
    int fd = open(path, OPEN_FLAGS);
    if (fd < 0)
        return fail_errno(out, errno);
    smtpchk_fread_status s = read_open(fd, max, flags, out);
    close(fd);
    return s;
}

void
smtpchk_fread_free(smtpchk_fread *f)
{
    if (f == NULL)
        return;
    if (f->data != NULL && f->secret)
        OPENSSL_cleanse(f->data, f->cap);
    free(f->data);
    f->data = NULL;
    f->len = f->cap = 0;
}

int
smtpchk_fread_dir(const char *path)
{
    int fd = open(path, OPEN_FLAGS | O_DIRECTORY);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}
