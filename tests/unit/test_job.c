/*
 * Tests for one job (core/engine/job.c) driven by hand, as the engine's
 * loop would, against a server socket of the test's own on 127.0.0.1:
 * what it does with the readiness and the time an event is given.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "clock.h"
#include "cunit_main.h"
#include "job.h"
#include "resolve.h"

#define WAIT_MS 5000

typedef struct rig {
    int listener, srv;
    smtpchk_check *check;
    smtpchk_resolver *resolver;
    smtpchk_job *job;
} rig;

static void
no_sockets(void *ud, int fd, int readable, int writable)
{
    (void)ud, (void)fd, (void)readable, (void)writable;
}

static uint16_t
listen_local(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CU_ASSERT_FATAL(*fd >= 0);
    CU_ASSERT_FATAL(bind(*fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CU_ASSERT_FATAL(listen(*fd, 4) == 0);
    CU_ASSERT_FATAL(getsockname(*fd, (struct sockaddr *)&a, &len) == 0);
    return ntohs(a.sin_port);
}

static void
wait_for(int fd, short ev)
{
    struct pollfd p = {.fd = fd, .events = ev};
    CU_ASSERT_FATAL(poll(&p, 1, WAIT_MS) == 1);
}

/* A job connecting to the rig's listener, accepted there (rig.srv). */
static void
rig_start(rig *r)
{
    char err[160];
    uint16_t port = listen_local(&r->listener);
    r->check = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->check);
    r->check->host = strdup("127.0.0.1");
    r->check->port = port;
    r->check->ehlo_name = strdup("probe.test");
    r->check->timeout_ms = 30000;
    r->check->step_timeout_ms = 30000;
    r->resolver = smtpchk_resolver_new(no_sockets, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->resolver);
    smtpchk_job_env env = {.resolver = r->resolver, .tls = NULL, .default_ehlo = "probe.test"};
    r->job = smtpchk_job_new(r->check, &env, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->job);
    smtpchk_job_start(r->job);
    CU_ASSERT_FATAL(smtpchk_job_fd(r->job) >= 0);
    r->srv = accept(r->listener, NULL, NULL);
    CU_ASSERT_FATAL(r->srv >= 0);
    wait_for(smtpchk_job_fd(r->job), POLLOUT);
}

static void
rig_free(rig *r)
{
    smtpchk_job_free(r->job);
    smtpchk_resolver_free(r->resolver);
    smtpchk_check_free(r->check);
    close(r->srv);
    close(r->listener);
}

static void
srv_say(rig *r, const char *line)
{
    CU_ASSERT_FATAL(write(r->srv, line, strlen(line)) == (ssize_t)strlen(line));
}

/* The next command the server got starts with want. */
static void
srv_expect(rig *r, const char *want)
{
    char buf[256];
    wait_for(r->srv, POLLIN);
    ssize_t n = read(r->srv, buf, sizeof(buf) - 1);
    CU_ASSERT_FATAL(n > 0);
    buf[n] = '\0';
    CU_ASSERT_EQUAL(strncmp(buf, want, strlen(want)), 0);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until fd's receive queue holds n bytes. */
static void
wait_queued(int fd, size_t n)
{
    int have = 0;
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        if (ioctl(fd, FIONREAD, &have) == 0 && (size_t)have >= n)
            return;
        sleep_ms(10);
    }
    CU_FAIL_FATAL("the server's bytes did not all arrive");
}

/*
 * A reply the job reads late (the engine was busy with others) is timed
 * by when its event was seen, the time the job is given, not by when it
 * was read; and the next phase starts when its command left.
 */
static void
test_reply_timed_by_arrival(void)
{
    rig r;
    rig_start(&r);
    int64_t t_conn = smtpchk_now_us();
    smtpchk_job_io(r.job, POLLOUT, t_conn);
    srv_say(&r, "220 srv\r\n");
    wait_for(smtpchk_job_fd(r.job), POLLIN);
    int64_t t_greet = smtpchk_now_us();
    sleep_ms(100); /* the engine handles other events meanwhile */
    int64_t t_call = smtpchk_now_us();
    smtpchk_job_io(r.job, POLLIN | POLLOUT, t_greet);
    srv_expect(&r, "EHLO probe.test");
    srv_say(&r, "250 srv\r\n");
    wait_for(smtpchk_job_fd(r.job), POLLIN);
    int64_t t_ehlo = smtpchk_now_us();
    sleep_ms(100);
    smtpchk_job_io(r.job, POLLIN | POLLOUT, t_ehlo);
    srv_expect(&r, "QUIT");
    srv_say(&r, "221 bye\r\n");
    wait_for(smtpchk_job_fd(r.job), POLLIN);
    smtpchk_job_io(r.job, POLLIN | POLLOUT, smtpchk_now_us());
    CU_ASSERT_FATAL(smtpchk_job_done(r.job));
    const smtpchk_result *res = smtpchk_job_result(r.job);
    CU_ASSERT_EQUAL(res->error, SMTPCHK_OK);
    CU_ASSERT_EQUAL(res->phase_us[SMTPCHK_PHASE_GREETING], t_greet - t_conn);
    /* EHLO left after t_call: the 100 ms before it are the client's. */
    CU_ASSERT(res->phase_us[SMTPCHK_PHASE_EHLO] <= t_ehlo - t_call);
    rig_free(&r);
}

/*
 * The fd is edge-triggered: a connect reported together with readable
 * bytes (the greeting came before the loop looked) must read them now,
 * as no new edge will come for them.
 */
static void
test_connect_event_with_greeting(void)
{
    rig r;
    rig_start(&r);
    srv_say(&r, "220 srv\r\n");
    wait_for(smtpchk_job_fd(r.job), POLLIN);
    smtpchk_job_io(r.job, POLLOUT | POLLIN, smtpchk_now_us());
    srv_expect(&r, "EHLO probe.test");
    CU_ASSERT_FALSE(smtpchk_job_io_pending(r.job));
    rig_free(&r);
}

/*
 * A reply longer than the reads allowed per event (16 of 4 KiB) leaves
 * bytes unread with no edge to come for them: the job says so, and reads
 * on when called again without one.
 */
static void
test_read_cap_leaves_pending(void)
{
    rig r;
    rig_start(&r);
    smtpchk_job_io(r.job, POLLOUT, smtpchk_now_us());
    /* 127 lines of 516 octets and a last one: 65541 octets, within the
     * reply parser's limits (128 lines, 64 KiB of text). */
    static char line[516];
    memset(line, 'x', sizeof(line));
    memcpy(line, "220-", 4);
    memcpy(line + sizeof(line) - 2, "\r\n", 2);
    int sndbuf = 1 << 20;
    setsockopt(r.srv, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    for (int i = 0; i < 127; i++)
        CU_ASSERT_FATAL(write(r.srv, line, sizeof(line)) == (ssize_t)sizeof(line));
    srv_say(&r, "220 srv\r\n");
    wait_queued(smtpchk_job_fd(r.job), 127 * sizeof(line) + 9);
    smtpchk_job_io(r.job, POLLIN | POLLOUT, smtpchk_now_us());
    CU_ASSERT(smtpchk_job_io_pending(r.job));
    for (int i = 0; i < 20 && smtpchk_job_io_pending(r.job); i++)
        smtpchk_job_io(r.job, 0, 0);
    CU_ASSERT_FALSE(smtpchk_job_io_pending(r.job));
    srv_expect(&r, "EHLO probe.test");
    rig_free(&r);
}

void
register_tests(void)
{
    SUITE_ADD("job", TEST(test_reply_timed_by_arrival), TEST(test_connect_event_with_greeting),
              TEST(test_read_cap_leaves_pending));
}
