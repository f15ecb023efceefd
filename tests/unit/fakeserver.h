/*
 * Spawns tests/fake/fakesmtp.py from C tests: one process per server,
 * bound to 127.0.0.1 on a kernel-chosen port.
 */
#ifndef FAKESERVER_H
#define FAKESERVER_H

#include <stdint.h>
#include <sys/types.h>

typedef struct fakeserver {
    pid_t pid;                /* 0 = not running */
    pid_t owner;              /* the process that started it */
    uint16_t port;
    char dir[64];             /* temporary directory holding the port file */
} fakeserver;

/* Starts a server with the given scenario (JSON text) and waits (at most
 * 30 s) for it to listen. Returns 0, or -1 with nothing left running. */
int fakeserver_start(fakeserver *fs, const char *scenario_json);
/* SIGTERM, then SIGKILL after 3 s; reaps it and removes its files. In a
 * forked copy of the owner it only forgets the server. The server gets
 * SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG). */
void fakeserver_stop(fakeserver *fs);

/* Raises RLIMIT_NOFILE's soft limit to the hard limit (children inherit it). */
void fakeserver_raise_nofile(void);

#endif
