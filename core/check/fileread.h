/*
 * The one reader for the files a check names (password, bodies, CA) and
 * for the check file itself. snmpd runs it on SIGHUP in its only thread,
 * so it must never block, hang or read without bound:
 *  - open() with O_NONBLOCK, so that a FIFO cannot block the open;
 *  - fstat() and refuse anything but a regular file before reading a byte
 *    (a FIFO, a device such as /dev/zero, a directory, a socket);
 *  - a size cap, one exact allocation, read() only (no stdio buffers);
 *  - secrets are wiped (OPENSSL_cleanse) when freed.
 */
#ifndef SMTPCHK_FILEREAD_H
#define SMTPCHK_FILEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum smtpchk_fread_status {
    SMTPCHK_FREAD_OK,
    SMTPCHK_FREAD_ERRNO,       /* open, fstat or read failed: errno in err */
    SMTPCHK_FREAD_NOT_REGULAR, /* a FIFO, device, directory or socket */
    SMTPCHK_FREAD_TOO_BIG      /* larger than max bytes */
} smtpchk_fread_status;

enum {
    SMTPCHK_FREAD_SECRET = 1u << 0, /* wipe the buffer when freed */
    SMTPCHK_FREAD_HEAD = 1u << 1,   /* too big: still read the first max bytes */
    SMTPCHK_FREAD_PROBE = 1u << 2   /* only check that it is a readable regular file */
};

typedef struct smtpchk_fread {
    char *data; /* len bytes plus a NUL; NULL when nothing was read */
    size_t len;
    size_t cap;     /* the allocation, wiped for secrets */
    mode_t mode;    /* st_mode, once fstat succeeded */
    long long size; /* st_size */
    int err;        /* errno for SMTPCHK_FREAD_ERRNO */
    bool secret;
} smtpchk_fread;

/* Reads path (see above). out is always initialised; free it with
 * smtpchk_fread_free whatever the status. */
smtpchk_fread_status smtpchk_fread_file(const char *path, size_t max, unsigned flags,
                                        smtpchk_fread *out);
void smtpchk_fread_free(smtpchk_fread *f);
/* A directory that can be opened (without blocking). 0, or -1 with errno
 * (ENOTDIR when it is something else). */
int smtpchk_fread_dir(const char *path);
/* "a FIFO", "a directory", "a device", "a socket": what a mode is. */
const char *smtpchk_fread_kind(mode_t mode);

#endif
