/* Spawning and stopping the Python fake SMTP server (see fakeserver.h). */
#include "fakeserver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FAKESMTP
#define FAKESMTP "tests/fake/fakesmtp.py"
#endif
#ifndef PYTHON3
#define PYTHON3 "/usr/bin/python3"
#endif

extern char **environ;

#define FAKESERVER_START_S 30 /* how long a server may take to listen */

void
fakeserver_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int
read_port(const char *path, uint16_t *port)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    unsigned p = 0;
    int ok = fscanf(f, "%u", &p) == 1 && p > 0 && p < 65536;
    fclose(f);
    if (!ok)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* Waits (bounded) for the child to exit; 1 = reaped. */
static int
reap(pid_t pid, long max_ms)
{
    for (long waited = 0; waited <= max_ms; waited += 10) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return 1;
        sleep_ms(10);
    }
    return 0;
}

static void
cleanup_files(fakeserver *fs)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/port", fs->dir);
    unlink(path);
    rmdir(fs->dir);
}

int
fakeserver_start(fakeserver *fs, const char *scenario_json)
{
    memset(fs, 0, sizeof(*fs));
    snprintf(fs->dir, sizeof(fs->dir), "/tmp/fakesmtp.XXXXXX");
    if (mkdtemp(fs->dir) == NULL)
        return -1;
    char port_file[128];
    snprintf(port_file, sizeof(port_file), "%s/port", fs->dir);
    char *argv[] = {(char *)PYTHON3,     (char *)FAKESMTP,      (char *)"--host",
                    (char *)"127.0.0.1", (char *)"--port",      (char *)"0",
                    (char *)"--port-file", port_file,           (char *)"--scenario",
                    (char *)scenario_json, NULL};
    fakeserver_raise_nofile(); /* the child inherits the limit */
    pid_t parent = getpid();
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls here. The server dies with us, even
         * if we are killed (a test timeout must not leave it running). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        execve(PYTHON3, argv, environ);
        _exit(127);
    }
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        rmdir(fs->dir);
        return -1;
    }
    fs->pid = pid;
    fs->owner = parent;
    /* Python starts in a fraction of a second, but on a busy machine it may
     * take several: wait by the clock, generously. */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (read_port(port_file, &fs->port) == 0)
            return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) { /* died before listening */
            fs->pid = 0;
            cleanup_files(fs);
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > FAKESERVER_START_S)
            break;
        sleep_ms(10);
    }
    fakeserver_stop(fs);
    return -1;
}

void
fakeserver_stop(fakeserver *fs)
{
    if (fs->pid > 0 && fs->owner != getpid()) { /* a forked copy: not ours */
        memset(fs, 0, sizeof(*fs));
        return;
    }
    if (fs->pid > 0) {
        kill(fs->pid, SIGTERM);
        if (!reap(fs->pid, 3000)) {
            kill(fs->pid, SIGKILL);
            reap(fs->pid, 3000);
        }
        fs->pid = 0;
    }
    if (fs->dir[0] != '\0')
        cleanup_files(fs);
    fs->dir[0] = '\0';
    fs->port = 0;
}
