/*
 * Unit tests for core/caps.c: EHLO keywords are exact, case-insensitive
 * tokens parsed one line at a time; line 0 (the domain) is never a keyword.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cunit_main.h"
#include "smtpchk.h"

/* Runs the text of a whole EHLO reply through the real reply parser. */
static void
parse_ehlo(const char *wire, smtpchk_caps *caps)
{
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t used = 0;
    CU_ASSERT_EQUAL_FATAL(smtpchk_reply_parser_feed(p, wire, strlen(wire), &used),
                          SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(used, strlen(wire));
    const smtpchk_reply *r = smtpchk_reply_parser_reply(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->code, 250);
    memset(caps, 0xA5, sizeof(*caps)); /* parse must clear it first */
    smtpchk_caps_parse(r, caps);
    smtpchk_reply_parser_free(p);
}

/* One keyword line on fresh caps. */
static smtpchk_caps
line_caps(const char *line)
{
    smtpchk_caps c;
    memset(&c, 0, sizeof(c));
    smtpchk_caps_parse_line(line, &c);
    return c;
}

static void
test_postfix_ehlo(void)
{
    static const char wire[] =
        "250-mail.example.org\r\n"
        "250-PIPELINING\r\n"
        "250-SIZE 10240000\r\n"
        "250-VRFY\r\n"
        "250-ETRN\r\n"
        "250-STARTTLS\r\n"
        "250-AUTH PLAIN LOGIN\r\n"
        "250-ENHANCEDSTATUSCODES\r\n"
        "250-8BITMIME\r\n"
        "250-DSN\r\n"
        "250-SMTPUTF8\r\n"
        "250 CHUNKING\r\n";
    smtpchk_caps c;
    parse_ehlo(wire, &c);
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_PIPELINING | SMTPCHK_CAP_SIZE | SMTPCHK_CAP_STARTTLS |
                                 SMTPCHK_CAP_AUTH | SMTPCHK_CAP_ENHANCEDSTATUSCODES |
                                 SMTPCHK_CAP_8BITMIME | SMTPCHK_CAP_SMTPUTF8 |
                                 SMTPCHK_CAP_CHUNKING);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_EQUAL(c.size, 10240000u);
}

static void
test_minimal_ehlo(void)
{
    smtpchk_caps c;
    parse_ehlo("250 mx.example.net greets you\r\n", &c);
    CU_ASSERT_EQUAL(c.flags, 0);
    CU_ASSERT_EQUAL(c.auth, 0);
    CU_ASSERT_EQUAL(c.size, 0);
}

static void
test_each_keyword(void)
{
    static const struct {
        const char *line;
        unsigned flag;
    } cases[] = {
        {"SIZE", SMTPCHK_CAP_SIZE},
        {"STARTTLS", SMTPCHK_CAP_STARTTLS},
        {"AUTH", SMTPCHK_CAP_AUTH},
        {"PIPELINING", SMTPCHK_CAP_PIPELINING},
        {"8BITMIME", SMTPCHK_CAP_8BITMIME},
        {"SMTPUTF8", SMTPCHK_CAP_SMTPUTF8},
        {"ENHANCEDSTATUSCODES", SMTPCHK_CAP_ENHANCEDSTATUSCODES},
        {"CHUNKING", SMTPCHK_CAP_CHUNKING},
        {"DSN", 0},
        {"VRFY", 0},
        {"ETRN", 0},
        {"BINARYMIME", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        smtpchk_caps c = line_caps(cases[i].line);
        CU_ASSERT_EQUAL(c.flags, cases[i].flag);
        CU_ASSERT_EQUAL(c.auth, 0);
        CU_ASSERT_EQUAL(c.size, 0);
    }
}

static void
test_case_insensitive(void)
{
    smtpchk_caps c;
    parse_ehlo("250-mx\r\n"
               "250-starttls\r\n"
               "250-Pipelining\r\n"
               "250-size 2048\r\n"
               "250-8bitmime\r\n"
               "250 auth plain cram-md5 Login\r\n",
               &c);
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_STARTTLS | SMTPCHK_CAP_PIPELINING | SMTPCHK_CAP_SIZE |
                                 SMTPCHK_CAP_8BITMIME | SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_ALL);
    CU_ASSERT_EQUAL(c.size, 2048u);
}

/* Tokens must match whole: no prefix or substring matches. */
static void
test_exact_token(void)
{
    static const char *const near_misses[] = {
        "STARTTLSX", "XSTARTTLS", "START TLS", "STARTTL", "SIZEX 5", "XSIZE 5",
        "AUTHX PLAIN", "XAUTH PLAIN", "X-STARTTLS", "PIPELININGX", "CHUNKINGS",
        "8BITMIMEX", "SMTPUTF", "ENHANCEDSTATUSCODE",
    };
    for (size_t i = 0; i < sizeof(near_misses) / sizeof(near_misses[0]); i++) {
        smtpchk_caps c = line_caps(near_misses[i]);
        CU_ASSERT_EQUAL(c.flags, 0);
        CU_ASSERT_EQUAL(c.auth, 0);
        CU_ASSERT_EQUAL(c.size, 0);
        if (c.flags != 0)
            fprintf(stderr, "\n  matched: \"%s\"\n", near_misses[i]);
    }
    /* STARTTLS appearing only in a parameter is not the keyword. */
    smtpchk_caps c = line_caps("X-INFO STARTTLS SIZE AUTH");
    CU_ASSERT_EQUAL(c.flags, 0);
}

static void
test_auth_mechanisms(void)
{
    smtpchk_caps c = line_caps("AUTH PLAIN CRAM-MD5 XOAUTH2");
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_CRAM_MD5);

    c = line_caps("AUTH GSSAPI NTLM XOAUTH2 DIGEST-MD5 SCRAM-SHA-256");
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, 0);

    c = line_caps("AUTH");
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, 0);

    /* Mechanism names match whole too. */
    c = line_caps("AUTH PLAINX LOGINS CRAM-MD5-PLUS XPLAIN CRAM");
    CU_ASSERT_EQUAL(c.auth, 0);

    c = line_caps("AUTH  LOGIN\tPLAIN ");
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_PLAIN);
}

/* The pre-RFC 4954 "AUTH=" form some servers still send. */
static void
test_auth_equals_form(void)
{
    smtpchk_caps c = line_caps("AUTH=PLAIN LOGIN");
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);

    /* Both forms in one reply combine. */
    parse_ehlo("250-mx\r\n250-AUTH LOGIN\r\n250 AUTH=CRAM-MD5\r\n", &c);
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_AUTH);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_CRAM_MD5);
}

static void
test_size_values(void)
{
    smtpchk_caps c = line_caps("SIZE 52428800");
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_SIZE);
    CU_ASSERT_EQUAL(c.size, 52428800u);

    c = line_caps("SIZE 0"); /* RFC 1870: no fixed limit */
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_SIZE);
    CU_ASSERT_EQUAL(c.size, 0);

    c = line_caps("SIZE 18446744073709551615");
    CU_ASSERT_EQUAL(c.size, UINT64_MAX);
}

/* SIZE without a usable number: the flag is set, the size stays 0. */
static void
test_size_without_number(void)
{
    static const char *const lines[] = {
        "SIZE", "SIZE ", "SIZE junk", "SIZE 12junk", "SIZE -5", "SIZE +5",
        "SIZE 99999999999999999999999", "SIZE 0x100",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        smtpchk_caps c = line_caps(lines[i]);
        CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_SIZE);
        CU_ASSERT_EQUAL(c.size, 0);
        if (c.size != 0)
            fprintf(stderr, "\n  \"%s\" gave size %llu\n", lines[i],
                    (unsigned long long)c.size);
    }
}

/* The domain line is never parsed, whatever it says. */
static void
test_first_line_not_keyword(void)
{
    smtpchk_caps c;
    parse_ehlo("250 STARTTLS\r\n", &c);
    CU_ASSERT_EQUAL(c.flags, 0);

    parse_ehlo("250-AUTH PLAIN LOGIN\r\n250 SIZE 1000\r\n", &c);
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_SIZE);
    CU_ASSERT_EQUAL(c.auth, 0);
    CU_ASSERT_EQUAL(c.size, 1000u);
}

/* Line-wise parsing accumulates into existing caps. */
static void
test_parse_line_accumulates(void)
{
    smtpchk_caps c;
    memset(&c, 0, sizeof(c));
    smtpchk_caps_parse_line("STARTTLS", &c);
    smtpchk_caps_parse_line("AUTH LOGIN", &c);
    smtpchk_caps_parse_line("AUTH PLAIN", &c);
    smtpchk_caps_parse_line("SIZE 100", &c);
    CU_ASSERT_EQUAL(c.flags, SMTPCHK_CAP_STARTTLS | SMTPCHK_CAP_AUTH | SMTPCHK_CAP_SIZE);
    CU_ASSERT_EQUAL(c.auth, SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(c.size, 100u);
}

void
register_tests(void)
{
    SUITE_ADD("caps",
              TEST(test_postfix_ehlo),
              TEST(test_minimal_ehlo),
              TEST(test_each_keyword),
              TEST(test_case_insensitive),
              TEST(test_exact_token),
              TEST(test_auth_mechanisms),
              TEST(test_auth_equals_form),
              TEST(test_size_values),
              TEST(test_size_without_number),
              TEST(test_first_line_not_keyword),
              TEST(test_parse_line_accumulates));
}
