/*
 * core/check/fileread.c: the one reader for the files a check names. A
 * FIFO, a device or a directory is refused before a byte is read (and a
 * FIFO without a writer must not block the open), sizes are capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "fileread.h"

static char dir[64];

static const char *
path_of(const char *name)
{
    static char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void
write_text(const char *name, const char *text, size_t len)
{
    int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* The scratch files, made by the first test and removed by the last. */
static void
setup(void)
{
    if (dir[0] != '\0')
        return;
    snprintf(dir, sizeof(dir), "/tmp/smtpchk-fileread-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    write_text("small", "hello\nworld\n", 12);
    CU_ASSERT_EQUAL_FATAL(mkfifo(path_of("fifo"), 0600), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(path_of("sub"), 0700), 0);
}

static void
test_cleanup(void)
{
    unlink(path_of("small"));
    unlink(path_of("fifo"));
    rmdir(path_of("sub"));
    CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static double
now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
test_regular(void)
{
    setup();
    smtpchk_fread f;
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("small"), 100, 0, &f), SMTPCHK_FREAD_OK);
    CU_ASSERT_EQUAL(f.len, 12);
    CU_ASSERT_EQUAL(f.cap, 13); /* one exact allocation */
    CU_ASSERT_STRING_EQUAL(f.data, "hello\nworld\n");
    CU_ASSERT_TRUE(S_ISREG(f.mode));
    smtpchk_fread_free(&f);
    CU_ASSERT_PTR_NULL(f.data);
    smtpchk_fread_free(NULL);
}

/* Nobody writes to the FIFO: a blocking open would never return. */
static void
test_refused_before_reading(void)
{
    setup();
    const char *paths[] = {path_of("fifo"), "/dev/zero", "/dev/null", path_of("sub")};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        smtpchk_fread f;
        double t0 = now_s();
        CU_ASSERT_EQUAL(smtpchk_fread_file(paths[i], 1 << 20, 0, &f), SMTPCHK_FREAD_NOT_REGULAR);
        CU_ASSERT_TRUE(now_s() - t0 < 1.0);
        CU_ASSERT_PTR_NULL(f.data);
        smtpchk_fread_free(&f);
    }
    CU_ASSERT_STRING_EQUAL(smtpchk_fread_kind(S_IFIFO), "a FIFO");
    CU_ASSERT_STRING_EQUAL(smtpchk_fread_kind(S_IFDIR), "a directory");
    CU_ASSERT_STRING_EQUAL(smtpchk_fread_kind(S_IFCHR), "a device");
}

static void
test_missing(void)
{
    setup();
    smtpchk_fread f;
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("none"), 10, 0, &f), SMTPCHK_FREAD_ERRNO);
    CU_ASSERT_EQUAL(f.err, ENOENT);
    smtpchk_fread_free(&f);
}

static void
test_size_cap(void)
{
    setup();
    smtpchk_fread f;
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("small"), 5, 0, &f), SMTPCHK_FREAD_TOO_BIG);
    CU_ASSERT_PTR_NULL(f.data); /* nothing read */
    CU_ASSERT_EQUAL(f.size, 12);
    smtpchk_fread_free(&f);
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("small"), 5, SMTPCHK_FREAD_HEAD, &f),
                    SMTPCHK_FREAD_TOO_BIG);
    CU_ASSERT_EQUAL(f.len, 5); /* only the head */
    CU_ASSERT_STRING_EQUAL(f.data, "hello");
    smtpchk_fread_free(&f);
}

static void
test_probe_and_secret(void)
{
    setup();
    smtpchk_fread f;
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("small"), 0, SMTPCHK_FREAD_PROBE, &f),
                    SMTPCHK_FREAD_OK);
    CU_ASSERT_PTR_NULL(f.data);
    smtpchk_fread_free(&f);
    CU_ASSERT_EQUAL(smtpchk_fread_file(path_of("small"), 100, SMTPCHK_FREAD_SECRET, &f),
                    SMTPCHK_FREAD_OK);
    CU_ASSERT_TRUE(f.secret);
    smtpchk_fread_free(&f); /* wiped, then freed: ASan sees the whole buffer written */
    CU_ASSERT_EQUAL(f.cap, 0);
}

static void
test_directory(void)
{
    setup();
    CU_ASSERT_EQUAL(smtpchk_fread_dir(path_of("sub")), 0);
    CU_ASSERT_EQUAL(smtpchk_fread_dir(path_of("small")), -1);
    CU_ASSERT_EQUAL(errno, ENOTDIR);
    CU_ASSERT_EQUAL(smtpchk_fread_dir(path_of("fifo")), -1); /* and does not block */
    CU_ASSERT_EQUAL(smtpchk_fread_dir(path_of("none")), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
}

void
register_tests(void)
{
    SUITE_ADD("fileread", TEST(test_regular), TEST(test_refused_before_reading), TEST(test_missing),
              TEST(test_size_cap), TEST(test_probe_and_secret), TEST(test_directory),
              TEST(test_cleanup));
}
