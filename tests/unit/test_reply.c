/*
 * Unit tests for core/reply.c: the reply parser, enhanced status codes
 * and text sanitising. Every feed comes from a heap buffer of exactly the
 * input's length, so ASan catches any read past the end (the same idea
 * as picohttpparser's guard page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "reply.h"

/* ---- helpers ------------------------------------------------------------ */

/* Feeds len bytes of in from a heap copy of exactly len bytes. */
static smtpchk_parse_status
feed_exact(smtpchk_reply_parser *p, const char *in, size_t len, size_t *consumed)
{
    char *copy = malloc(len > 0 ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    if (len > 0)
        memcpy(copy, in, len);
    smtpchk_parse_status st = smtpchk_reply_parser_feed(p, copy, len, consumed);
    free(copy);
    return st;
}

static smtpchk_parse_status
feed_str(smtpchk_reply_parser *p, const char *in, size_t *consumed)
{
    return feed_exact(p, in, strlen(in), consumed);
}

static smtpchk_reply_parser *
new_parser(void)
{
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

/* A reply copied out of the parser, so it outlives the next feed. */
typedef struct {
    int code;
    size_t nlines;
    char lines[8][64];
    int enh_class, enh_subject, enh_detail;
} reply_copy;

static void
copy_reply(const smtpchk_reply *r, reply_copy *out)
{
    memset(out, 0, sizeof(*out));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_FATAL(r->nlines <= 8);
    out->code = r->code;
    out->nlines = r->nlines;
    for (size_t i = 0; i < r->nlines; i++) {
        CU_ASSERT_FATAL(strlen(r->lines[i]) < sizeof(out->lines[i]));
        snprintf(out->lines[i], sizeof(out->lines[i]), "%s", r->lines[i]);
    }
    out->enh_class = r->enh_class;
    out->enh_subject = r->enh_subject;
    out->enh_detail = r->enh_detail;
}

static int
same_reply(const reply_copy *a, const reply_copy *b)
{
    if (a->code != b->code || a->nlines != b->nlines || a->enh_class != b->enh_class ||
        a->enh_subject != b->enh_subject || a->enh_detail != b->enh_detail)
        return 0;
    for (size_t i = 0; i < a->nlines; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            return 0;
    return 1;
}

/* Parses one whole reply that must complete using every byte. */
static const smtpchk_reply *
parse_whole(smtpchk_reply_parser *p, const char *in)
{
    size_t used = 0;
    CU_ASSERT_EQUAL_FATAL(feed_str(p, in, &used), SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(used, strlen(in));
    const smtpchk_reply *r = smtpchk_reply_parser_reply(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

/* Expects in (len bytes) to be rejected, with a message and no reply. */
static void
check_rejected(const char *in, size_t len)
{
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_exact(p, in, len, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used <= len);
    CU_ASSERT_PTR_NOT_NULL(smtpchk_reply_parser_error(p));
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
    smtpchk_reply_parser_free(p);
}

static void
check_rejected_str(const char *in)
{
    check_rejected(in, strlen(in));
}

static const char multi[] =
    "250-mx.example.net Hello\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250 2.0.0 DSN\r\n";

/* ---- well-formed replies ------------------------------------------------ */

static void
test_single_line(void)
{
    smtpchk_reply_parser *p = new_parser();
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_error(p));
    const smtpchk_reply *r = parse_whole(p, "220 mx.example.net ESMTP ready\r\n");
    CU_ASSERT_EQUAL(r->code, 220);
    CU_ASSERT_EQUAL(r->nlines, 1);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "mx.example.net ESMTP ready");
    CU_ASSERT_EQUAL(r->enh_class, -1);
    CU_ASSERT_EQUAL(r->enh_subject, -1);
    CU_ASSERT_EQUAL(r->enh_detail, -1);
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_error(p));
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 0);
    smtpchk_reply_parser_free(p);
}

static void
test_multi_line(void)
{
    smtpchk_reply_parser *p = new_parser();
    const smtpchk_reply *r = parse_whole(p, multi);
    CU_ASSERT_EQUAL(r->code, 250);
    CU_ASSERT_EQUAL_FATAL(r->nlines, 4);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "mx.example.net Hello");
    CU_ASSERT_STRING_EQUAL(r->lines[1], "PIPELINING");
    CU_ASSERT_STRING_EQUAL(r->lines[2], "SIZE 10240000");
    CU_ASSERT_STRING_EQUAL(r->lines[3], "2.0.0 DSN");
    /* Only the first line is looked at for an enhanced code. */
    CU_ASSERT_EQUAL(r->enh_class, -1);
    smtpchk_reply_parser_free(p);
}

static void
test_code_only_line(void)
{
    smtpchk_reply_parser *p = new_parser();
    const smtpchk_reply *r = parse_whole(p, "250\r\n");
    CU_ASSERT_EQUAL(r->code, 250);
    CU_ASSERT_EQUAL_FATAL(r->nlines, 1);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "");
    r = parse_whole(p, "354 \r\n");
    CU_ASSERT_EQUAL(r->code, 354);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "");
    /* A code-only line also ends a multi-line reply. */
    r = parse_whole(p, "250-first\r\n250\r\n");
    CU_ASSERT_EQUAL(r->code, 250);
    CU_ASSERT_EQUAL_FATAL(r->nlines, 2);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "first");
    CU_ASSERT_STRING_EQUAL(r->lines[1], "");
    smtpchk_reply_parser_free(p);
}

static void
test_enhanced_status(void)
{
    smtpchk_reply_parser *p = new_parser();
    const smtpchk_reply *r = parse_whole(p, "535 5.7.8 Error: authentication failed\r\n");
    CU_ASSERT_EQUAL(r->code, 535);
    CU_ASSERT_EQUAL(r->enh_class, 5);
    CU_ASSERT_EQUAL(r->enh_subject, 7);
    CU_ASSERT_EQUAL(r->enh_detail, 8);
    /* The text keeps the code: callers show the whole line. */
    CU_ASSERT_STRING_EQUAL(r->lines[0], "5.7.8 Error: authentication failed");

    r = parse_whole(p, "250 2.1.0 Ok\r\n");
    CU_ASSERT_EQUAL(r->enh_class, 2);
    CU_ASSERT_EQUAL(r->enh_subject, 1);
    CU_ASSERT_EQUAL(r->enh_detail, 0);

    r = parse_whole(p, "452 4.123.456\r\n"); /* three digits each, no text */
    CU_ASSERT_EQUAL(r->enh_class, 4);
    CU_ASSERT_EQUAL(r->enh_subject, 123);
    CU_ASSERT_EQUAL(r->enh_detail, 456);

    r = parse_whole(p, "550-5.1.1 first line\r\n550 5.7.1 second line\r\n");
    CU_ASSERT_EQUAL(r->enh_class, 5);
    CU_ASSERT_EQUAL(r->enh_subject, 1);
    CU_ASSERT_EQUAL(r->enh_detail, 1);
    smtpchk_reply_parser_free(p);
}

/* A class that disagrees with the reply code's first digit is ignored. */
static void
test_enhanced_class_mismatch(void)
{
    static const char *const inputs[] = {
        "250 5.0.0 looks like a failure\r\n",
        "550 2.0.0 looks like success\r\n",
        "450 5.7.1 wrong class\r\n",
        "354 2.0.0 no class 3 exists\r\n",
    };
    smtpchk_reply_parser *p = new_parser();
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        const smtpchk_reply *r = parse_whole(p, inputs[i]);
        CU_ASSERT_EQUAL(r->enh_class, -1);
        CU_ASSERT_EQUAL(r->enh_subject, -1);
        CU_ASSERT_EQUAL(r->enh_detail, -1);
    }
    smtpchk_reply_parser_free(p);
}

static void
test_enhanced_malformed(void)
{
    static const char *const inputs[] = {
        "550 5.7 too short\r\n",    "550 5.7.1000 four digits\r\n",
        "550 5..1 empty\r\n",       "550 5.7.1x glued\r\n",
        "550 5.7.1.2 four parts\r\n", "550 55.7.1 two-digit class\r\n",
        "550 x5.7.1 prefixed\r\n",
    };
    smtpchk_reply_parser *p = new_parser();
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        const smtpchk_reply *r = parse_whole(p, inputs[i]);
        CU_ASSERT_EQUAL(r->code, 550);
        CU_ASSERT_EQUAL(r->enh_class, -1);
    }
    smtpchk_reply_parser_free(p);
}

static void
test_parse_enhanced_direct(void)
{
    int c = -1, s = -1, d = -1;
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("2.0.0 Ok", &c, &s, &d), 6);
    CU_ASSERT_EQUAL(c, 2);
    CU_ASSERT_EQUAL(s, 0);
    CU_ASSERT_EQUAL(d, 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("5.7.8", &c, &s, &d), 5);
    CU_ASSERT_EQUAL(c, 5);
    CU_ASSERT_EQUAL(s, 7);
    CU_ASSERT_EQUAL(d, 8);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("4.999.999 x", &c, &s, &d), 10);
    CU_ASSERT_EQUAL(s, 999);
    CU_ASSERT_EQUAL(d, 999);

    c = s = d = 42;
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("3.0.0 Ok", &c, &s, &d), 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("2.0.0x", &c, &s, &d), 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("2.1000.0", &c, &s, &d), 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("2.0", &c, &s, &d), 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("", &c, &s, &d), 0);
    CU_ASSERT_EQUAL(smtpchk_parse_enhanced("Ok", &c, &s, &d), 0);
    /* Outputs are untouched on failure. */
    CU_ASSERT_EQUAL(c, 42);
    CU_ASSERT_EQUAL(s, 42);
    CU_ASSERT_EQUAL(d, 42);
}

/* ---- split feeds --------------------------------------------------------- */

static void
test_split_at_every_position(void)
{
    size_t len = strlen(multi);
    reply_copy whole, piece;
    smtpchk_reply_parser *p = new_parser();
    copy_reply(parse_whole(p, multi), &whole);
    CU_ASSERT_EQUAL(whole.nlines, 4);

    for (size_t cut = 1; cut < len; cut++) {
        size_t used = 0;
        smtpchk_reply_parser_reset(p);
        CU_ASSERT_EQUAL_FATAL(feed_exact(p, multi, cut, &used), SMTPCHK_PARSE_NEED_MORE);
        CU_ASSERT_EQUAL(used, cut);
        CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
        CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 1);
        CU_ASSERT_EQUAL_FATAL(feed_exact(p, multi + cut, len - cut, &used),
                              SMTPCHK_PARSE_COMPLETE);
        CU_ASSERT_EQUAL(used, len - cut);
        copy_reply(smtpchk_reply_parser_reply(p), &piece);
        CU_ASSERT(same_reply(&whole, &piece));
    }
    smtpchk_reply_parser_free(p);
}

static void
test_one_byte_at_a_time(void)
{
    size_t len = strlen(multi);
    reply_copy whole, bytewise;
    smtpchk_reply_parser *p = new_parser();
    copy_reply(parse_whole(p, multi), &whole);
    smtpchk_reply_parser_reset(p);

    for (size_t i = 0; i < len; i++) {
        size_t used = 0;
        smtpchk_parse_status st = feed_exact(p, multi + i, 1, &used);
        CU_ASSERT_EQUAL(used, 1);
        if (i + 1 < len) {
            CU_ASSERT_EQUAL_FATAL(st, SMTPCHK_PARSE_NEED_MORE);
        } else {
            CU_ASSERT_EQUAL_FATAL(st, SMTPCHK_PARSE_COMPLETE);
        }
    }
    copy_reply(smtpchk_reply_parser_reply(p), &bytewise);
    CU_ASSERT(same_reply(&whole, &bytewise));
    smtpchk_reply_parser_free(p);
}

static void
test_two_replies_back_to_back(void)
{
    static const char two[] = "250 first\r\n251-second a\r\n251 second b\r\n";
    size_t len = strlen(two);
    smtpchk_reply_parser *p = new_parser();
    char *buf = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf, two, len);

    size_t used = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_feed(p, buf, len, &used), SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(used, strlen("250 first\r\n"));
    const smtpchk_reply *r = smtpchk_reply_parser_reply(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->code, 250);
    CU_ASSERT_EQUAL(r->nlines, 1);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "first");

    size_t used2 = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_feed(p, buf + used, len - used, &used2),
                    SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(used + used2, len);
    r = smtpchk_reply_parser_reply(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->code, 251);
    CU_ASSERT_EQUAL_FATAL(r->nlines, 2);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "second a");
    CU_ASSERT_STRING_EQUAL(r->lines[1], "second b");
    free(buf);
    smtpchk_reply_parser_free(p);
}

static void
test_partial_flag(void)
{
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 0);
    CU_ASSERT_EQUAL(feed_str(p, "25", &used), SMTPCHK_PARSE_NEED_MORE);
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 1);
    CU_ASSERT_EQUAL(feed_str(p, "0-a\r\n", &used), SMTPCHK_PARSE_NEED_MORE);
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 1); /* a whole line, not a reply */
    CU_ASSERT_EQUAL(feed_str(p, "250 b\r\n", &used), SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 0);
    smtpchk_reply_parser_reset(p);
    CU_ASSERT_EQUAL(smtpchk_reply_parser_partial(p), 0);
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
    smtpchk_reply_parser_free(p);
}

/* ---- malformed input ----------------------------------------------------- */

static void
test_bad_codes(void)
{
    check_rejected_str("600 too high\r\n");
    check_rejected_str("199 too low\r\n");
    check_rejected_str("099 too low\r\n");
    check_rejected_str("2x0 not digits\r\n");
    check_rejected_str("260 second digit above 5\r\n"); /* RFC 5321 4.2.1 */
    check_rejected_str("25\r\n");
    check_rejected_str("\r\n");
    check_rejected_str(" 250 leading space\r\n");
    check_rejected_str("OK\r\n");
}

static void
test_bad_separator(void)
{
    check_rejected_str("250x\r\n");
    check_rejected_str("250xhello\r\n");
    check_rejected_str("2500 four digits\r\n");
    check_rejected_str("250\thello\r\n");
    /* Also on a continuation line. */
    check_rejected_str("250-ok\r\n250_ok\r\n");
}

static void
test_mixed_codes(void)
{
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    static const char in[] = "250-one\r\n251 two\r\n";
    CU_ASSERT_EQUAL(feed_str(p, in, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT_EQUAL(used, strlen(in)); /* detected once the second line is whole */
    CU_ASSERT_PTR_NOT_NULL(smtpchk_reply_parser_error(p));
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
    smtpchk_reply_parser_free(p);
    check_rejected_str("250-one\r\n550 two\r\n");
}

static void
test_bare_lf(void)
{
    check_rejected_str("250 ok\n");
    check_rejected_str("250-ok\r\n250 ok\n");
    check_rejected_str("\n");
}

static void
test_bare_cr(void)
{
    check_rejected_str("250 o\rk\r\n");
    check_rejected_str("250 ok\r\r\n");
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_str(p, "250 ok\r", &used), SMTPCHK_PARSE_NEED_MORE);
    CU_ASSERT_EQUAL(feed_str(p, "X", &used), SMTPCHK_PARSE_ERROR);
    smtpchk_reply_parser_free(p);
}

static void
test_nul_byte(void)
{
    static const char in[] = "250 o\0k\r\n";
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_exact(p, in, sizeof(in) - 1, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT_EQUAL(used, 6); /* stops at the NUL */
    smtpchk_reply_parser_free(p);
    check_rejected("\0", 1);
}

/* Limit 16 octets with CRLF: "250 " + 10 characters + CRLF fits. */
static void
test_line_limit(void)
{
    static const char fits[] = "250 abcdefghij\r\n";
    static const char over[] = "250 abcdefghijk\r\n";
    CU_ASSERT_EQUAL_FATAL(strlen(fits), 16);
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(16, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const smtpchk_reply *r = parse_whole(p, fits);
    CU_ASSERT_STRING_EQUAL(r->lines[0], "abcdefghij");

    smtpchk_reply_parser_reset(p);
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_str(p, over, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used <= 16);
    CU_ASSERT_PTR_NOT_NULL(smtpchk_reply_parser_error(p));

    /* The limit applies to each line of a multi-line reply too. */
    smtpchk_reply_parser_reset(p);
    CU_ASSERT_EQUAL(feed_str(p, "250-abcdefghij\r\n250-abcdefghijk\r\n", &used),
                    SMTPCHK_PARSE_ERROR);
    smtpchk_reply_parser_free(p);
}

static void
test_line_limit_default(void)
{
    /* A line of exactly SMTPCHK_REPLY_MAX_LINE octets passes, one more fails. */
    size_t n = SMTPCHK_REPLY_MAX_LINE;
    char *line = malloc(n + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    memcpy(line, "250 ", 4);
    memset(line + 4, 'a', n - 6);
    memcpy(line + n - 2, "\r\n", 2);
    smtpchk_reply_parser *p = new_parser();
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_exact(p, line, n, &used), SMTPCHK_PARSE_COMPLETE);
    CU_ASSERT_EQUAL(used, n);
    CU_ASSERT_EQUAL(strlen(smtpchk_reply_parser_reply(p)->lines[0]), n - 6);

    memset(line + 4, 'a', n - 5);
    memcpy(line + n - 1, "\r\n", 2);
    smtpchk_reply_parser_reset(p);
    CU_ASSERT_EQUAL(feed_exact(p, line, n + 1, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used <= n);
    free(line);
    smtpchk_reply_parser_free(p);
}

static void
test_too_many_lines(void)
{
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(0, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const smtpchk_reply *r = parse_whole(p, "250-a\r\n250-b\r\n250 c\r\n");
    CU_ASSERT_EQUAL(r->nlines, 3);
    size_t used = 0;
    CU_ASSERT_EQUAL(feed_str(p, "250-a\r\n250-b\r\n250-c\r\n250 d\r\n", &used),
                    SMTPCHK_PARSE_ERROR);
    CU_ASSERT_PTR_NOT_NULL(smtpchk_reply_parser_error(p));
    smtpchk_reply_parser_free(p);
}

static void
test_error_is_sticky(void)
{
    smtpchk_reply_parser *p = new_parser();
    size_t used = 99;
    CU_ASSERT_EQUAL(feed_str(p, "2x0 bad\r\n", &used), SMTPCHK_PARSE_ERROR);
    const char *e = smtpchk_reply_parser_error(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char first[128];
    CU_ASSERT_FATAL(strlen(e) < sizeof(first));
    snprintf(first, sizeof(first), "%s", e);

    for (int i = 0; i < 3; i++) {
        used = 99;
        CU_ASSERT_EQUAL(feed_str(p, "250 fine\r\n", &used), SMTPCHK_PARSE_ERROR);
        CU_ASSERT_EQUAL(used, 0);
        CU_ASSERT_PTR_NULL(smtpchk_reply_parser_reply(p));
        CU_ASSERT_PTR_NOT_NULL_FATAL(smtpchk_reply_parser_error(p));
        CU_ASSERT_STRING_EQUAL(smtpchk_reply_parser_error(p), first);
    }
    smtpchk_reply_parser_reset(p);
    CU_ASSERT_PTR_NULL(smtpchk_reply_parser_error(p));
    const smtpchk_reply *r = parse_whole(p, "250 fine\r\n");
    CU_ASSERT_EQUAL(r->code, 250);
    smtpchk_reply_parser_free(p);
}

/* A hostile server streams 1 MiB with no CRLF: fail at the limit. */
static void
test_megabyte_without_crlf(void)
{
    size_t n = 1024 * 1024;
    char *big = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memcpy(big, "250 ", 4);
    memset(big + 4, 'x', n - 4);

    smtpchk_reply_parser *p = smtpchk_reply_parser_new(64, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t used = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_feed(p, big, n, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used > 0);
    CU_ASSERT(used <= 64);
    smtpchk_reply_parser_free(p);

    p = new_parser();
    used = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_feed(p, big, n, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used <= SMTPCHK_REPLY_MAX_LINE);
    smtpchk_reply_parser_free(p);
    free(big);
}

/* Limits above the compiled maximum are clamped, not trusted. */
static void
test_limits_clamped(void)
{
    smtpchk_reply_parser *p = smtpchk_reply_parser_new(SMTPCHK_REPLY_MAX_LINE * 4, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t n = SMTPCHK_REPLY_MAX_LINE + 100;
    char *line = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    memcpy(line, "250 ", 4);
    memset(line + 4, 'y', n - 6);
    memcpy(line + n - 2, "\r\n", 2);
    size_t used = 0;
    CU_ASSERT_EQUAL(smtpchk_reply_parser_feed(p, line, n, &used), SMTPCHK_PARSE_ERROR);
    CU_ASSERT(used <= SMTPCHK_REPLY_MAX_LINE);
    free(line);
    smtpchk_reply_parser_free(p);
    smtpchk_reply_parser_free(NULL);
}

/* ---- smtpchk_sanitize ---------------------------------------------------- */

static void
test_sanitize_control_bytes(void)
{
    char out[32];
    smtpchk_sanitize("a\tb\x01" "c\x7f" "d\x1b[31m", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a?b?c?d?[31m");
    smtpchk_sanitize("plain text", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "plain text");
    /* UTF-8 is printable and kept as it is. */
    smtpchk_sanitize("caf\xc3\xa9 \xe2\x82\xac", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "caf\xc3\xa9 \xe2\x82\xac");
    smtpchk_sanitize("", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "");
}

/* Published text is always valid UTF-8: stray bytes become '?'. */
static void
test_sanitize_invalid_utf8(void)
{
    char out[64];
    smtpchk_sanitize("220 caf\xe9 ESMTP", out, sizeof(out)); /* Latin-1 */
    CU_ASSERT_STRING_EQUAL(out, "220 caf? ESMTP");
    smtpchk_sanitize("\xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 \x80", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "?? ??? ????? ?"); /* overlong, surrogate, 5-byte, lone */
    smtpchk_sanitize("\xc3", out, sizeof(out)); /* a sequence cut by the server */
    CU_ASSERT_STRING_EQUAL(out, "?");
}

static void
test_sanitize_truncates(void)
{
    char out[5];
    smtpchk_sanitize("abcdefgh", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "abcd");
    smtpchk_sanitize("abcd", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "abcd");

    char one[1] = {'z'};
    smtpchk_sanitize("abc", one, sizeof(one));
    CU_ASSERT_EQUAL(one[0], '\0');

    char untouched[2] = {'q', 'q'};
    smtpchk_sanitize("abc", untouched, 0);
    CU_ASSERT_EQUAL(untouched[0], 'q');
}

static void
test_sanitize_utf8_cut(void)
{
    char out[5]; /* room for 4 bytes */
    /* 2-byte e-acute would be cut after its lead byte: drop it whole. */
    smtpchk_sanitize("abc\xc3\xa9z", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "abc");
    /* 3-byte euro sign cut after 2 of its bytes. */
    smtpchk_sanitize("ab\xe2\x82\xac", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "ab");
    smtpchk_sanitize("a\xe2\x82\xac" "b", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a\xe2\x82\xac"); /* exact fit, more follows */
    /* 4-byte emoji cut after 3 bytes. */
    smtpchk_sanitize("a\xf0\x9f\x98\x80", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a");
    smtpchk_sanitize("\xf0\x9f\x98\x80xyz", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "\xf0\x9f\x98\x80");
}

static void
test_sanitize_utf8_exact_fit(void)
{
    char out[5];
    smtpchk_sanitize("ab\xc3\xa9", out, sizeof(out)); /* the whole text fits */
    CU_ASSERT_STRING_EQUAL(out, "ab\xc3\xa9");
    smtpchk_sanitize("ab\xc3\xa9" "cd", out, sizeof(out)); /* char ends at the cut */
    CU_ASSERT_STRING_EQUAL(out, "ab\xc3\xa9");
    smtpchk_sanitize("\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "\xc3\xa9\xc3\xa9");
}

void
register_tests(void)
{
    SUITE_ADD("reply",
              TEST(test_single_line),
              TEST(test_multi_line),
              TEST(test_code_only_line),
              TEST(test_enhanced_status),
              TEST(test_enhanced_class_mismatch),
              TEST(test_enhanced_malformed),
              TEST(test_parse_enhanced_direct),
              TEST(test_split_at_every_position),
              TEST(test_one_byte_at_a_time),
              TEST(test_two_replies_back_to_back),
              TEST(test_partial_flag),
              TEST(test_bad_codes),
              TEST(test_bad_separator),
              TEST(test_mixed_codes),
              TEST(test_bare_lf),
              TEST(test_bare_cr),
              TEST(test_nul_byte),
              TEST(test_line_limit),
              TEST(test_line_limit_default),
              TEST(test_too_many_lines),
              TEST(test_error_is_sticky),
              TEST(test_megabyte_without_crlf),
              TEST(test_limits_clamped),
              TEST(test_sanitize_control_bytes),
              TEST(test_sanitize_invalid_utf8), TEST(test_sanitize_truncates),
              TEST(test_sanitize_utf8_cut),
              TEST(test_sanitize_utf8_exact_fit));
}
