/*
 * rawsmtp: the physical-limit reference of bench/run's P1.
 *
 *     rawsmtp HOST PORT COUNT CONCURRENCY
 *
 * COUNT plain SMTP sessions against HOST:PORT (an IPv4 literal), at most
 * CONCURRENCY at a time, each doing what a plain smtpcheck check does and
 * nothing more: connect, read the 220 greeting, EHLO, read the 250 reply,
 * QUIT, read the 221 reply, close. No parsing beyond "last line of a
 * reply starts with the expected code and a space", no timers. Prints the
 * number of sessions that got every expected reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "argnum.h"

#define MAX_CONC 1024

struct sess {
    int fd;
    int step;       /* 0 greeting, 1 EHLO reply, 2 QUIT reply */
    size_t len;
    char buf[4096];
};

static const char *const expect[] = {"220 ", "250 ", "221 "};
static const char *const next_cmd[] = {"EHLO bench.example\r\n", "QUIT\r\n", NULL};

static int open_one(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when buf holds a complete reply whose last line starts with want. */
static int reply_done(const struct sess *s, const char *want)
{
    size_t end = s->len, start;

    if (end < 2 || s->buf[end - 1] != '\n')
        return 0;
    start = end - 1;
    while (start > 0 && s->buf[start - 1] != '\n')
        start--;
    if (end - start < 5 || s->buf[start + 3] != ' ')
        return 0;
    return strncmp(s->buf + start, want, 4) == 0 ? 1 : -1;
}

/* Reads what is there; 1 = session over and ok, -1 = failed, 0 = going on. */
static int on_readable(struct sess *s)
{
    ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len);
    int done;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    s->len += (size_t)n;
    done = reply_done(s, expect[s->step]);
    if (done == 0)
        return s->len >= sizeof s->buf - 1 ? -1 : 0;
    if (done < 0)
        return -1;
    if (next_cmd[s->step] == NULL)
        return 1;
    if (write(s->fd, next_cmd[s->step], strlen(next_cmd[s->step])) < 0)
        return -1;
    s->step++;
    s->len = 0;
    return 0;
}

int main(int argc, char **argv)
{
    static struct sess sess[MAX_CONC];
    struct pollfd pfd[MAX_CONC];
    struct sockaddr_in sa = {.sin_family = AF_INET};
    long count, conc, started = 0, finished = 0, ok = 0;
    long long port, cnt, cc;

    if (argc != 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
        return fprintf(stderr, "usage: rawsmtp IPV4 PORT COUNT CONCURRENCY\n"), 2;
    if (bench_num(argv[2], 1, 65535, &port) != 0 || bench_num(argv[3], 1, LONG_MAX, &cnt) != 0 ||
        bench_num(argv[4], 1, MAX_CONC, &cc) != 0)
        return fprintf(stderr, "rawsmtp: bad PORT, COUNT or CONCURRENCY\n"), 2;
    sa.sin_port = htons((unsigned short)port);
    count = (long)cnt;
    conc = (long)cc;
    for (long i = 0; i < conc; i++)
        sess[i].fd = -1;
    while (finished < count) {
        for (long i = 0; i < conc; i++) {
            if (sess[i].fd < 0 && started < count) {
                sess[i] = (struct sess){.fd = open_one(&sa)};
                started++;
                if (sess[i].fd < 0)
                    finished++;
            }
            pfd[i] = (struct pollfd){.fd = sess[i].fd, .events = POLLIN};
        }
        if (poll(pfd, (nfds_t)conc, 10000) <= 0)
            break;
        for (long i = 0; i < conc; i++) {
            int r;

            if (sess[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = on_readable(&sess[i]);
            if (r == 0)
                continue;
            ok += r > 0;
            finished++;
            close(sess[i].fd);
            sess[i].fd = -1;
        }
    }
    printf("%ld\n", ok);
    return 0;
}
