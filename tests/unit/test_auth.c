/* Unit tests for core/auth.c: base64, mechanism lists, PLAIN, CRAM-MD5. */
#include <string.h>

#include "auth.h"
#include "cunit_main.h"
#include "smtpchk.h"

/* Encodes in and checks the exact text, then decodes it back. */
static void
check_round_trip(const char *in, size_t len, const char *want)
{
    smtpchk_buf enc, dec;
    smtpchk_buf_init(&enc);
    smtpchk_buf_init(&dec);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_encode(in, len, &enc), 0);
    CU_ASSERT_EQUAL(enc.len, strlen(want));
    CU_ASSERT_STRING_EQUAL(enc.data ? enc.data : "", want);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_decode(want, strlen(want), &dec), 0);
    CU_ASSERT_EQUAL_FATAL(dec.len, len);
    if (len > 0)
        CU_ASSERT(memcmp(dec.data, in, len) == 0);
    smtpchk_buf_free(&enc);
    smtpchk_buf_free(&dec);
}

/* RFC 4648 section 10 vectors: every padding case. */
static void
test_base64_rfc4648_vectors(void)
{
    check_round_trip("", 0, "");
    check_round_trip("f", 1, "Zg==");
    check_round_trip("fo", 2, "Zm8=");
    check_round_trip("foo", 3, "Zm9v");
    check_round_trip("foob", 4, "Zm9vYg==");
    check_round_trip("fooba", 5, "Zm9vYmE=");
    check_round_trip("foobar", 6, "Zm9vYmFy");
}

static void
test_base64_binary_and_nul(void)
{
    static const char bin[] = {'\0', '\xff', '\xfe', '\0', 'a'};
    check_round_trip(bin, sizeof(bin), "AP/+AGE=");
}

/* Crosses the internal chunk size: 3000 bytes -> 4000 characters. */
static void
test_base64_long_round_trip(void)
{
    unsigned char raw[3001];
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (unsigned char)(i * 7 + 3);
    smtpchk_buf enc, dec;
    smtpchk_buf_init(&enc);
    smtpchk_buf_init(&dec);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_encode(raw, sizeof(raw), &enc), 0);
    CU_ASSERT_EQUAL(enc.len, 4004u);
    CU_ASSERT_PTR_NULL(strchr(enc.data, '\n'));
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_decode(enc.data, enc.len, &dec), 0);
    CU_ASSERT_EQUAL_FATAL(dec.len, sizeof(raw));
    CU_ASSERT(memcmp(dec.data, raw, sizeof(raw)) == 0);
    smtpchk_buf_free(&enc);
    smtpchk_buf_free(&dec);
}

static void
test_base64_appends(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "AUTH PLAIN "), 0);
    CU_ASSERT_EQUAL(smtpchk_base64_encode("foo", 3, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "AUTH PLAIN Zm9v");
    CU_ASSERT_EQUAL(smtpchk_base64_decode("YmFy", 4, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "AUTH PLAIN Zm9vbar");
    smtpchk_buf_free(&b);
}

static void
check_rejected(const char *in)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "keep"), 0);
    CU_ASSERT_EQUAL(smtpchk_base64_decode(in, strlen(in), &b), -1);
    /* A failed decode leaves the buffer as it was. */
    CU_ASSERT_STRING_EQUAL(b.data, "keep");
    CU_ASSERT_EQUAL(b.len, 4u);
    smtpchk_buf_free(&b);
}

static void
test_base64_rejects_bad_input(void)
{
    check_rejected("Zm9");       /* length not a multiple of 4 */
    check_rejected("Zg");        /* missing padding */
    check_rejected("Zg=");       /* short padding */
    check_rejected("Z===");      /* three pad characters */
    check_rejected("====");
    check_rejected("Zg==Zg=="); /* padding in the middle */
    check_rejected("Zm=v");
    check_rejected("Zm9v!A==");  /* invalid character */
    check_rejected("Zm9v Zm9v"); /* embedded space */
    check_rejected(" Zm9v");     /* leading space */
    check_rejected("Zm9v\r\n");  /* trailing line break */
    check_rejected("Zm-_");      /* base64url alphabet */
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_base64_decode("Zm9v\0Zm9", 8, &b), -1);
    CU_ASSERT_EQUAL(smtpchk_base64_decode(NULL, 4, &b), -1);
    CU_ASSERT_EQUAL(smtpchk_base64_encode(NULL, 1, &b), -1);
    CU_ASSERT_EQUAL(b.len, 0u);
    smtpchk_buf_free(&b);
}

static void
test_base64_respects_buffer_cap(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    b.max = 10;
    CU_ASSERT_EQUAL(smtpchk_base64_encode("foobar", 6, &b), 0);
    CU_ASSERT_EQUAL(smtpchk_base64_encode("foobar", 6, &b), -1);
    CU_ASSERT_STRING_EQUAL(b.data, "Zm9vYmFy");
    smtpchk_buf_free(&b);
}

static void
test_mech_names(void)
{
    CU_ASSERT_STRING_EQUAL(smtpchk_auth_mech_name(SMTPCHK_AUTH_PLAIN), "PLAIN");
    CU_ASSERT_STRING_EQUAL(smtpchk_auth_mech_name(SMTPCHK_AUTH_LOGIN), "LOGIN");
    CU_ASSERT_STRING_EQUAL(smtpchk_auth_mech_name(SMTPCHK_AUTH_CRAM_MD5), "CRAM-MD5");
    CU_ASSERT_PTR_NULL(smtpchk_auth_mech_name(0));
    CU_ASSERT_PTR_NULL(smtpchk_auth_mech_name(SMTPCHK_AUTH_ALL));
    CU_ASSERT_PTR_NULL(smtpchk_auth_mech_name(1u << 5));

    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("plain", 5), SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("Login", 5), SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("cram-md5", 8), SMTPCHK_AUTH_CRAM_MD5);
    /* Only the first len bytes count, and they must be the whole name. */
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("PLAIN LOGIN", 5), SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("PLAI", 4), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("PLAINX", 6), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("XOAUTH2", 7), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name("", 0), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_mech_from_name(NULL, 5), 0u);
}

static void
check_list(const char *list, unsigned want)
{
    unsigned mask = 0xdead;
    char err[128] = "";
    CU_ASSERT_EQUAL(smtpchk_auth_parse_list(list, &mask, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(mask, want);
    CU_ASSERT_STRING_EQUAL(err, "");
}

static void
test_parse_list(void)
{
    check_list("PLAIN", SMTPCHK_AUTH_PLAIN);
    check_list("PLAIN,LOGIN", SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);
    check_list("plain login", SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);
    check_list(" cram-md5 , Plain,,login ", SMTPCHK_AUTH_ALL);
    check_list("LOGIN\tLOGIN", SMTPCHK_AUTH_LOGIN);
    check_list("CRAM-MD5", SMTPCHK_AUTH_CRAM_MD5);
}

static void
check_list_error(const char *list, const char *want_err)
{
    unsigned mask = 0xdead;
    char err[128] = "";
    CU_ASSERT_EQUAL(smtpchk_auth_parse_list(list, &mask, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(mask, 0xdeadu);
    CU_ASSERT_STRING_EQUAL(err, want_err);
}

static void
test_parse_list_errors(void)
{
    check_list_error("PLAIN,XOAUTH2,FOO", "unknown AUTH mechanism \"XOAUTH2\"");
    check_list_error("digest-md5", "unknown AUTH mechanism \"digest-md5\"");
    check_list_error("PLAIN;LOGIN", "unknown AUTH mechanism \"PLAIN;LOGIN\"");
    check_list_error("", "empty AUTH mechanism list");
    check_list_error(" , ,", "empty AUTH mechanism list");
    check_list_error(NULL, "no AUTH mechanism list");

    /* A tiny or absent error buffer is never overrun. */
    unsigned mask = 0;
    char small[8];
    CU_ASSERT_EQUAL(smtpchk_auth_parse_list("BOGUS", &mask, small, sizeof(small)), -1);
    CU_ASSERT_STRING_EQUAL(small, "unknown");
    CU_ASSERT_EQUAL(smtpchk_auth_parse_list("BOGUS", &mask, NULL, 0), -1);

    /* Long names are quoted back truncated. */
    char longname[300];
    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char err[256];
    CU_ASSERT_EQUAL(smtpchk_auth_parse_list(longname, &mask, err, sizeof(err)), -1);
    CU_ASSERT(strlen(err) < 100);
}

/* Without TLS (allow_insecure_auth): the password stays off the wire. */
static void
test_choose_plaintext(void)
{
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL, SMTPCHK_AUTH_ALL, false),
                    SMTPCHK_AUTH_CRAM_MD5);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN,
                                        SMTPCHK_AUTH_ALL, false),
                    SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL,
                                        SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN, false),
                    SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL, SMTPCHK_AUTH_LOGIN, false),
                    SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_CRAM_MD5,
                                        SMTPCHK_AUTH_ALL, false),
                    SMTPCHK_AUTH_CRAM_MD5);
    /* Empty intersection. */
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_LOGIN, SMTPCHK_AUTH_PLAIN, false), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(0, SMTPCHK_AUTH_ALL, false), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL, 0, false), 0u);
    /* Unknown bits are ignored. */
    CU_ASSERT_EQUAL(smtpchk_auth_choose(0xf0u, 0xf0u, false), 0u);
}

/* Inside TLS: the fewest round trips (issue 13, defect 6): PLAIN (1),
 * then CRAM-MD5 (2), then LOGIN (2 or 3). */
static void
test_choose_tls(void)
{
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL, SMTPCHK_AUTH_ALL, true),
                    SMTPCHK_AUTH_PLAIN);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_CRAM_MD5,
                                        SMTPCHK_AUTH_ALL, true),
                    SMTPCHK_AUTH_CRAM_MD5);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL,
                                        SMTPCHK_AUTH_LOGIN | SMTPCHK_AUTH_CRAM_MD5, true),
                    SMTPCHK_AUTH_CRAM_MD5);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_ALL, SMTPCHK_AUTH_LOGIN, true),
                    SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(SMTPCHK_AUTH_LOGIN, SMTPCHK_AUTH_PLAIN, true), 0u);
    CU_ASSERT_EQUAL(smtpchk_auth_choose(0xf0u, 0xf0u, true), 0u);
}

static void
test_plain_response(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_auth_plain_response("tim", "tanstaaftanstaaf", &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");

    /* Decodes back to NUL user NUL pass. */
    smtpchk_buf raw;
    smtpchk_buf_init(&raw);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_decode(b.data, b.len, &raw), 0);
    CU_ASSERT_EQUAL_FATAL(raw.len, 21u);
    CU_ASSERT(memcmp(raw.data, "\0tim\0tanstaaftanstaaf", 21) == 0);

    smtpchk_buf_clear(&b);
    CU_ASSERT_EQUAL(smtpchk_auth_plain_response("", "", &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "AAA=");
    CU_ASSERT_EQUAL(smtpchk_auth_plain_response(NULL, "x", &b), -1);
    CU_ASSERT_EQUAL(smtpchk_auth_plain_response("x", NULL, &b), -1);
    CU_ASSERT_STRING_EQUAL(b.data, "AAA=");
    smtpchk_buf_free(&raw);
    smtpchk_buf_wipe(&b);
}

#define RFC2195_CHALLENGE "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"

static void
test_cram_md5_rfc2195(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response(RFC2195_CHALLENGE,
                                                   strlen(RFC2195_CHALLENGE),
                                                   "tim", "tanstaaftanstaaf", &b),
                    0);
    CU_ASSERT_STRING_EQUAL(b.data, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");

    smtpchk_buf raw;
    smtpchk_buf_init(&raw);
    CU_ASSERT_EQUAL(smtpchk_base64_decode(b.data, b.len, &raw), 0);
    CU_ASSERT_STRING_EQUAL(raw.data, "tim b913a602c7eda7a495b4e6e7334d3890");
    smtpchk_buf_free(&raw);
    smtpchk_buf_wipe(&b);
}

/* RFC 2202 test case 2 (HMAC-MD5, key "Jefe"), through the CRAM path. */
static void
test_cram_md5_rfc2202(void)
{
    const char *data = "what do ya want for nothing?";
    smtpchk_buf chal, b, raw;
    smtpchk_buf_init(&chal);
    smtpchk_buf_init(&b);
    smtpchk_buf_init(&raw);
    CU_ASSERT_EQUAL_FATAL(smtpchk_base64_encode(data, strlen(data), &chal), 0);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response(chal.data, chal.len, "u", "Jefe", &b), 0);
    CU_ASSERT_EQUAL(smtpchk_base64_decode(b.data, b.len, &raw), 0);
    CU_ASSERT_STRING_EQUAL(raw.data, "u 750c783e6ab0b503eaa86e310a5db738");
    smtpchk_buf_free(&chal);
    smtpchk_buf_free(&raw);
    smtpchk_buf_wipe(&b);
}

static void
test_cram_md5_rejects(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response("not base64!", 11, "tim", "x", &b), -1);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response("PDE4", 3, "tim", "x", &b), -1);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response(NULL, 0, "tim", "x", &b), -1);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response("PDE4", 4, NULL, "x", &b), -1);
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response("PDE4", 4, "tim", NULL, &b), -1);
    CU_ASSERT_EQUAL(b.len, 0u);
    /* An empty challenge is refused (issue 7): an HMAC over nothing would
     * answer a question the server never asked. */
    CU_ASSERT_EQUAL(smtpchk_auth_cram_md5_response("", 0, "tim", "x", &b), -1);
    CU_ASSERT_EQUAL(b.len, 0u);
    smtpchk_buf_wipe(&b);
}

void
register_tests(void)
{
    SUITE_ADD("auth",
              TEST(test_base64_rfc4648_vectors),
              TEST(test_base64_binary_and_nul),
              TEST(test_base64_long_round_trip),
              TEST(test_base64_appends),
              TEST(test_base64_rejects_bad_input),
              TEST(test_base64_respects_buffer_cap),
              TEST(test_mech_names),
              TEST(test_parse_list),
              TEST(test_parse_list_errors),
              TEST(test_choose_plaintext), TEST(test_choose_tls),
              TEST(test_plain_response),
              TEST(test_cram_md5_rfc2195),
              TEST(test_cram_md5_rfc2202),
              TEST(test_cram_md5_rejects));
}
