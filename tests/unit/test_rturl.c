/* cli/rturl.c: the --roundtrip URL, split into the round trip's settings. */
#include <string.h>

#include "cunit_main.h"
#include "rturl.h"

static void
test_full(void)
{
    cli_rturl u;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(cli_rturl_parse("imaps://probe%40example.net@mail.example.net:1993/Probe%20Box",
                                          &u, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(u.protocol, "imap");
    CU_ASSERT_STRING_EQUAL(u.security, "tls");
    CU_ASSERT_STRING_EQUAL(u.user, "probe@example.net");
    CU_ASSERT_STRING_EQUAL(u.host, "mail.example.net");
    CU_ASSERT_STRING_EQUAL(u.port, "1993");
    CU_ASSERT_STRING_EQUAL(u.mailbox, "Probe Box");
}

static void
test_short_forms(void)
{
    cli_rturl u;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(cli_rturl_parse("pop3://u@a@127.0.0.1", &u, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(u.protocol, "pop3");
    CU_ASSERT_STRING_EQUAL(u.security, "");
    CU_ASSERT_STRING_EQUAL(u.user, "u@a"); /* the last @ ends the user */
    CU_ASSERT_STRING_EQUAL(u.host, "127.0.0.1");
    CU_ASSERT_STRING_EQUAL(u.port, "");
    CU_ASSERT_STRING_EQUAL(u.mailbox, "");
    CU_ASSERT_EQUAL_FATAL(cli_rturl_parse("imap://[::1]:143/", &u, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(u.host, "::1");
    CU_ASSERT_STRING_EQUAL(u.port, "143");
    CU_ASSERT_STRING_EQUAL(u.user, "");
    CU_ASSERT_STRING_EQUAL(u.mailbox, "");
    CU_ASSERT_EQUAL_FATAL(cli_rturl_parse("pop3s://[::1]", &u, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(u.host, "::1");
    CU_ASSERT_STRING_EQUAL(u.security, "tls");
}

static void
test_refused(void)
{
    static const char *const bad[] = {
        "",  "imap:/h", "http://h", "IMAP://h", "imap://", "imap://u@", "imap://h:", "imap://h:x",
        "imap://h:123456", "imap://[::1", "imap://[::1]x", "imap://h/%4", "imap://h/%zz",
        "imap://u%0a@h", "imap://h/a%00b", "pop3://:110",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cli_rturl u;
        char err[128] = "";
        int rc = cli_rturl_parse(bad[i], &u, err, sizeof(err));
        if (rc == 0)
            fprintf(stderr, "\n  accepted: %s\n", bad[i]);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_NOT_EQUAL(err[0], '\0');
    }
}

void
register_tests(void)
{
    SUITE_ADD("rturl", TEST(test_full), TEST(test_short_forms), TEST(test_refused));
}
