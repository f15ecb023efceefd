/* Unit tests for core/message.c: dot-stuffing, QP, RFC 2047, the DATA payload. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "cunit_main.h"
#include "message.h"
#include "probemail.h"

#define T_DATE 1795307177 /* Sun, 22 Nov 2026 00:26:17 UTC */

static const char *const two_rcpts[] = {"a@example.com", "b@example.org"};

/* ---- helpers ---- */

static void
check_dot_stuff(const char *in, size_t len, const char *want)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_dot_stuff(in, len, &b), 0);
    CU_ASSERT_EQUAL(b.len, strlen(want));
    CU_ASSERT_STRING_EQUAL(b.data ? b.data : "", want);
    smtpchk_buf_free(&b);
}

static void
check_qp(const char *in, const char *want)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_qp_encode(in, strlen(in), &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data ? b.data : "", want);
    smtpchk_buf_free(&b);
}

/* Longest line in s, lines ending in CRLF; false if a bare CR or LF shows up. */
static bool
max_line(const char *s, size_t len, size_t *longest)
{
    size_t cur = 0, max = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            max = cur > max ? cur : max;
            cur = 0;
            i++;
        } else if (s[i] == '\r' || s[i] == '\n') {
            return false;
        } else {
            cur++;
        }
    }
    *longest = cur > max ? cur : max;
    return true;
}

/* A small independent UTF-8 check, so the tests do not trust the code. */
static bool
utf8_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2
                 : (s[i] & 0xf0) == 0xe0 ? 3 : (s[i] & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || i + n > len)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

/*
 * Splits an RFC 2047 value folded with CRLF SP into encoded-words and
 * checks each: shape, <= 75 characters, line <= 76, decodes to whole
 * UTF-8 characters. The decoded concatenation must equal want.
 */
static void
check_encoded_words(const char *enc, size_t used, const char *want)
{
    smtpchk_buf dec;
    smtpchk_buf_init(&dec);
    const char *p = enc;
    size_t col = used, nwords = 0;
    for (;;) {
        const char *end = strstr(p, "\r\n ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        CU_ASSERT_FATAL(n >= 12);
        CU_ASSERT(n <= 75);
        CU_ASSERT(col + n <= 76 || (nwords == 0 && n <= 20));
        CU_ASSERT_FATAL(strncmp(p, "=?UTF-8?B?", 10) == 0);
        CU_ASSERT_FATAL(strncmp(p + n - 2, "?=", 2) == 0);
        size_t before = dec.len;
        CU_ASSERT_FATAL(smtpchk_base64_decode(p + 10, n - 12, &dec) == 0);
        CU_ASSERT(dec.len > before);
        CU_ASSERT(utf8_ok((const unsigned char *)dec.data + before, dec.len - before));
        nwords++;
        if (end == NULL)
            break;
        p = end + 3;
        col = 1;
    }
    CU_ASSERT_EQUAL(dec.len, strlen(want));
    CU_ASSERT(dec.data != NULL && memcmp(dec.data, want, strlen(want)) == 0);
    smtpchk_buf_free(&dec);
}

static void
base_spec(smtpchk_msgspec *s)
{
    memset(s, 0, sizeof(*s));
    s->from = "probe@example.net";
    s->to = two_rcpts;
    s->nto = 2;
    s->subject = "Test";
    s->body_html = "<p>Hello</p>";
    s->date = T_DATE;
    s->message_id = "<123@example.net>";
}

/* Builds and expects failure with the exact reason; out stays untouched. */
static void
check_build_error(const smtpchk_msgspec *spec, const char *want_err)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "x"), 0);
    char err[128] = "";
    CU_ASSERT_EQUAL(smtpchk_message_build(spec, &b, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, want_err);
    CU_ASSERT_EQUAL(b.len, 1u);
    CU_ASSERT_STRING_EQUAL(b.data, "x");
    smtpchk_buf_free(&b);
}

/* ---- dot-stuffing and CRLF ---- */

static void
test_dot_stuff_leading_dots(void)
{
    check_dot_stuff(".", 1, "..");
    check_dot_stuff(".\r\n", 3, "..\r\n");
    check_dot_stuff("a\r\n.\r\nb", 7, "a\r\n..\r\nb");
    check_dot_stuff("..x", 3, "...x");
    check_dot_stuff(".a\r\n.b\r\n", 8, "..a\r\n..b\r\n");
    check_dot_stuff("a.b\r\nc.\r\n", 9, "a.b\r\nc.\r\n");
    check_dot_stuff(" .x", 3, " .x");
    check_dot_stuff("", 0, "");
}

static void
test_dot_stuff_normalises_line_ends(void)
{
    check_dot_stuff("a\nb\rc\r\nd", 8, "a\r\nb\r\nc\r\nd");
    check_dot_stuff("\n\n", 2, "\r\n\r\n");
    check_dot_stuff("\r\r\n", 3, "\r\n\r\n");
    check_dot_stuff("\n\r", 2, "\r\n\r\n");
    check_dot_stuff("x\r", 2, "x\r\n");
    check_dot_stuff("\n.\n", 3, "\r\n..\r\n");
    check_dot_stuff(".\r.\n.", 5, "..\r\n..\r\n..");
}

/* Counted input: an embedded NUL is just another byte. */
static void
test_dot_stuff_embedded_nul(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_dot_stuff(".\0\n.", 4, &b), 0);
    CU_ASSERT_EQUAL_FATAL(b.len, 7u);
    CU_ASSERT(memcmp(b.data, "..\0\r\n..", 7) == 0);
    smtpchk_buf_free(&b);
}

static void
test_dot_stuff_appends(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "pre"), 0);
    CU_ASSERT_EQUAL(smtpchk_dot_stuff(".x\n", 3, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "pre..x\r\n");
    CU_ASSERT_EQUAL(smtpchk_dot_stuff(NULL, 1, &b), -1);
    CU_ASSERT_STRING_EQUAL(b.data, "pre..x\r\n");
    smtpchk_buf_free(&b);
}

/* ---- quoted-printable ---- */

static void
test_qp_basic(void)
{
    check_qp("", "");
    check_qp("Hello, world!", "Hello, world!");
    check_qp("a=b", "a=3Db");
    check_qp("caf\xc3\xa9", "caf=C3=A9");
    check_qp("tab\tin", "tab\tin");
    check_qp("x\x7fy\x01", "x=7Fy=01");
    check_qp("bare\rcr", "bare=0Dcr");
}

static void
test_qp_line_breaks_and_trailing_space(void)
{
    check_qp("a\nb", "a\r\nb");
    check_qp("a\r\nb\r\n", "a\r\nb\r\n");
    check_qp("trailing \nnext", "trailing=20\r\nnext");
    check_qp("tab\t\r\nx", "tab=09\r\nx");
    check_qp("end ", "end=20");
    check_qp("two  \n", "two =20\r\n");
    check_qp(" \n \n", "=20\r\n=20\r\n");
}

static void
test_qp_soft_breaks(void)
{
    char in[200], want[300];
    /* Exactly 76 characters fit on one line. */
    memset(in, 'a', 76);
    in[76] = '\0';
    check_qp(in, in);
    /* 77: 75, soft break, then 2. */
    memset(in, 'a', 77);
    in[77] = '\0';
    snprintf(want, sizeof(want), "%.75s=\r\naa", in);
    check_qp(in, want);
    /* An escape never straddles a soft break. */
    memset(in, 'a', 74);
    in[74] = '=';
    in[75] = '\0';
    snprintf(want, sizeof(want), "%.74s=\r\n=3D", in);
    check_qp(in, want);
    /* Line breaks reset the column. */
    memset(in, 'b', 76);
    in[76] = '\n';
    memset(in + 77, 'c', 76);
    in[153] = '\0';
    snprintf(want, sizeof(want), "%.76s\r\n%.76s", in, in + 77);
    check_qp(in, want);
}

static void
test_qp_lines_at_most_76(void)
{
    char in[4000];
    for (size_t i = 0; i < sizeof(in) - 1; i++)
        in[i] = "a =\t\xc3\xa9xyz.\n"[i % 11];
    in[sizeof(in) - 1] = '\0';
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_qp_encode(in, strlen(in), &b), 0);
    size_t longest = 0;
    CU_ASSERT(max_line(b.data, b.len, &longest));
    CU_ASSERT(longest <= 76);
    /* No line ends in whitespace, literal '=' only in escapes/soft breaks. */
    CU_ASSERT_PTR_NULL(strstr(b.data, " \r\n"));
    CU_ASSERT_PTR_NULL(strstr(b.data, "\t\r\n"));
    for (const char *p = strchr(b.data, '='); p != NULL; p = strchr(p + 1, '=')) {
        bool soft = p[1] == '\r' && p[2] == '\n';
        bool esc = strchr("0123456789ABCDEF", p[1]) && strchr("0123456789ABCDEF", p[2]);
        CU_ASSERT(soft || esc);
    }
    smtpchk_buf_free(&b);
}

/* ---- RFC 2047 ---- */

static void
test_rfc2047_ascii_unchanged(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_rfc2047_encode("smtpcheck probe 42 (ok?)", 9, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "smtpcheck probe 42 (ok?)");
    smtpchk_buf_clear(&b);
    CU_ASSERT_EQUAL(smtpchk_rfc2047_encode("", 9, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "");
    smtpchk_buf_free(&b);
}

static void
test_rfc2047_encodes_lookalikes(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    /* "=?" would be read as an encoded-word start. */
    CU_ASSERT_EQUAL(smtpchk_rfc2047_encode("a =?x", 9, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "=?UTF-8?B?YSA9P3g=?=");
    smtpchk_buf_clear(&b);
    CU_ASSERT_EQUAL(smtpchk_rfc2047_encode("a\tb", 9, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "=?UTF-8?B?YQli?=");
    smtpchk_buf_free(&b);
}

static void
test_rfc2047_arabic(void)
{
    const char *subj = "اختبار البريد";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_rfc2047_encode(subj, 9, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "=?UTF-8?B?2KfYrtiq2KjYp9ixINin2YTYqNix2YrYrw==?=");
    check_encoded_words(b.data, 9, subj);
    smtpchk_buf_free(&b);
}

static void
test_rfc2047_long_persian(void)
{
    const char *subj = "این یک موضوع بسیار طولانی برای آزمایش رمزگذاری "
                       "سرصفحه‌ها در پیام‌های ایمیل است و باید به چند کلمه "
                       "رمزگذاری‌شده تقسیم شود";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_rfc2047_encode(subj, 9, &b), 0);
    CU_ASSERT(strstr(b.data, "\r\n ") != NULL); /* folded: several words */
    check_encoded_words(b.data, 9, subj);
    /* 223 bytes: 39 fit after "Subject: ", then 45 per word. */
    size_t words = 1;
    for (const char *p = b.data; (p = strstr(p, "\r\n ")) != NULL; p += 3)
        words++;
    CU_ASSERT_EQUAL(words, 6u);
    smtpchk_buf_free(&b);
}

/* 4-byte characters at every offset and a header name of any width. */
static void
test_rfc2047_never_splits_characters(void)
{
    char subj[400];
    for (size_t shift = 0; shift < 4; shift++) {
        size_t n = 0;
        for (size_t k = 0; k < shift; k++)
            subj[n++] = 'x';
        for (size_t k = 0; k < 60; k++) {
            memcpy(subj + n, k % 3 ? "\xf0\x9f\x93\xa7" : "\xe2\x82\xac", k % 3 ? 4 : 3);
            n += k % 3 ? 4 : 3;
        }
        subj[n] = '\0';
        for (size_t used = 0; used <= 80; used += 10) {
            smtpchk_buf b;
            smtpchk_buf_init(&b);
            CU_ASSERT_EQUAL_FATAL(smtpchk_rfc2047_encode(subj, used, &b), 0);
            check_encoded_words(b.data, used, subj);
            smtpchk_buf_free(&b);
        }
    }
}

static void
test_rfc2047_long_ascii_stays_under_998(void)
{
    char subj[1200];
    memset(subj, 'a', sizeof(subj) - 1);
    subj[sizeof(subj) - 1] = '\0';
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_rfc2047_encode(subj, 9, &b), 0);
    check_encoded_words(b.data, 9, subj);
    smtpchk_buf_free(&b);
}

static void
test_rfc2047_rejects_invalid_utf8(void)
{
    static const char *const bad[] = {
        "\xc3\x28",         /* bad continuation */
        "abc\xff",          /* never valid */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* beyond U+10FFFF */
        "\xe2\x82",         /* truncated */
        "\x80",             /* lone continuation */
    };
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(smtpchk_rfc2047_encode(bad[i], 9, &b), -1);
    CU_ASSERT_EQUAL(smtpchk_rfc2047_encode(NULL, 9, &b), -1);
    CU_ASSERT_EQUAL(b.len, 0u);
    smtpchk_buf_free(&b);
}

/* ---- dates and header checks ---- */

static void
test_format_date(void)
{
    char d[64];
    CU_ASSERT_EQUAL(smtpchk_format_date(T_DATE, d, sizeof(d)), 0);
    CU_ASSERT_STRING_EQUAL(d, "Sun, 22 Nov 2026 00:26:17 +0000");
    CU_ASSERT_EQUAL(smtpchk_format_date(0, d, sizeof(d)), 0);
    CU_ASSERT_STRING_EQUAL(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    CU_ASSERT_EQUAL(smtpchk_format_date(951782400, d, sizeof(d)), 0);
    CU_ASSERT_STRING_EQUAL(d, "Tue, 29 Feb 2000 00:00:00 +0000");
    /* Year 10000 has no 4-digit form. */
    CU_ASSERT_EQUAL(smtpchk_format_date((time_t)253402300800LL, d, sizeof(d)), -1);
    CU_ASSERT_EQUAL(smtpchk_format_date((time_t)253402300799LL, d, sizeof(d)), 0);
    CU_ASSERT_STRING_EQUAL(d, "Fri, 31 Dec 9999 23:59:59 +0000");
    char small[10];
    CU_ASSERT_EQUAL(smtpchk_format_date(0, small, sizeof(small)), -1);
    CU_ASSERT_EQUAL(smtpchk_format_date(0, NULL, 0), -1);
}

static void
test_header_value_ok(void)
{
    CU_ASSERT_EQUAL(smtpchk_header_value_ok("plain value"), 0);
    CU_ASSERT_EQUAL(smtpchk_header_value_ok(""), 0);
    CU_ASSERT_EQUAL(smtpchk_header_value_ok("a\rb"), -1);
    CU_ASSERT_EQUAL(smtpchk_header_value_ok("a\nb"), -1);
    CU_ASSERT_EQUAL(smtpchk_header_value_ok("x\r\nBcc: y"), -1);
    CU_ASSERT_EQUAL(smtpchk_header_value_ok(NULL), -1);
}

static void
test_build_refuses_header_injection(void)
{
    static const char *const evil_cr[] = {"a@example.com", "b@example.org\rBcc: x"};
    static const char *const evil_lf[] = {"a@example.com\nBcc: x"};
    smtpchk_msgspec s;
    base_spec(&s);
    s.from = "probe@example.net\rBcc: x@evil";
    check_build_error(&s, "header injection: CR/LF in from");
    s.from = "probe@example.net\nBcc: x@evil";
    check_build_error(&s, "header injection: CR/LF in from");
    base_spec(&s);
    s.to = evil_cr;
    check_build_error(&s, "header injection: CR/LF in to");
    s.to = evil_lf;
    s.nto = 1;
    check_build_error(&s, "header injection: CR/LF in to");
    base_spec(&s);
    s.subject = "hi\rBcc: x";
    check_build_error(&s, "header injection: CR/LF in subject");
    s.subject = "hi\nBcc: x";
    check_build_error(&s, "header injection: CR/LF in subject");
    base_spec(&s);
    s.message_id = "<1@x>\r\nBcc: y";
    check_build_error(&s, "header injection: CR/LF in message_id");
}

static void
test_build_refuses_bad_spec(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.subject = "bad \xc3\x28";
    check_build_error(&s, "invalid UTF-8 in subject");
    base_spec(&s);
    s.body_html = "<p>\xff</p>";
    check_build_error(&s, "invalid UTF-8 in body_html");
    base_spec(&s);
    s.body_text = "\xed\xa0\x80";
    check_build_error(&s, "invalid UTF-8 in body_text");
    base_spec(&s);
    s.date = (time_t)253402300800LL;
    check_build_error(&s, "date out of range");
    base_spec(&s);
    s.nto = 0;
    check_build_error(&s, "no recipients");
    base_spec(&s);
    s.from = NULL;
    check_build_error(&s, "missing from");
    base_spec(&s);
    s.message_id = "";
    check_build_error(&s, "missing message_id");
    base_spec(&s);
    s.body_text = "text";
    s.boundary = "bad\"quote";
    check_build_error(&s, "invalid MIME boundary");
    s.boundary = "b1";
    s.body_text = "a\n--b1\nb";
    check_build_error(&s, "MIME boundary occurs in the body");
    char big[1000];
    memset(big, 'f', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    base_spec(&s);
    s.from = big;
    check_build_error(&s, "from too long");
    char err[64];
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_message_build(NULL, &b, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(smtpchk_message_build(&s, &b, NULL, 0), -1);
    smtpchk_buf_free(&b);
}

/* ---- whole messages ---- */

static void
test_build_single_part_exact(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_html = "<p>Hello</p>\n.\nBye=";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    char err[128] = "";
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(b.data,
                           "Date: Sun, 22 Nov 2026 00:26:17 +0000\r\n"
                           "From: probe@example.net\r\n"
                           "To: a@example.com, b@example.org\r\n"
                           "Subject: Test\r\n"
                           "Message-ID: <123@example.net>\r\n"
                           "MIME-Version: 1.0\r\n"
                           "Content-Type: text/html; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n"
                           "\r\n"
                           "<p>Hello</p>\r\n"
                           "..\r\n"
                           "Bye=3D\r\n"
                           ".\r\n");
    CU_ASSERT_STRING_EQUAL(err, "");
    smtpchk_buf_free(&b);
}

static void
test_build_empty_body_and_subject(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_html = NULL;
    s.subject = NULL;
    s.nto = 1;
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    CU_ASSERT(strstr(b.data, "\r\nTo: a@example.com\r\nSubject: \r\n") != NULL);
    const char *tail = "quoted-printable\r\n\r\n.\r\n";
    CU_ASSERT(b.len > strlen(tail) &&
              strcmp(b.data + b.len - strlen(tail), tail) == 0);
    smtpchk_buf_free(&b);
}

static void
test_build_multipart_exact(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_text = "Hello\n";
    s.boundary = "b1";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    const char *body = strstr(b.data, "MIME-Version: 1.0\r\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_STRING_EQUAL(body,
                           "MIME-Version: 1.0\r\n"
                           "Content-Type: multipart/alternative;\r\n"
                           " boundary=\"b1\"\r\n"
                           "\r\n"
                           "This is a multi-part message in MIME format.\r\n"
                           "\r\n"
                           "--b1\r\n"
                           "Content-Type: text/plain; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n"
                           "\r\n"
                           "Hello\r\n"
                           "\r\n"
                           "--b1\r\n"
                           "Content-Type: text/html; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n"
                           "\r\n"
                           "<p>Hello</p>\r\n"
                           "--b1--\r\n"
                           ".\r\n");
    smtpchk_buf_free(&b);
}

static void
test_build_multipart_derived_boundary(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_text = "a=b --=_smtpcheck_878d3a70c6a24c20";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    CU_ASSERT(strstr(b.data, " boundary=\"=_smtpcheck_878d3a70c6a24c20\"\r\n") != NULL);
    const char *text = strstr(b.data, "text/plain");
    const char *html = strstr(b.data, "text/html");
    CU_ASSERT(text != NULL && html != NULL && text < html);
    /* The body's look-alike was QP-encoded, so it cannot end a part. */
    CU_ASSERT(strstr(b.data, "a=3Db --=3D_smtpcheck_878d3a70c6a24c20\r\n") != NULL);
    const char *close = "\r\n--=_smtpcheck_878d3a70c6a24c20--\r\n.\r\n";
    CU_ASSERT(b.len > strlen(close) &&
              strcmp(b.data + b.len - strlen(close), close) == 0);
    smtpchk_buf_free(&b);
}

static void
test_build_long_line_body(void)
{
    static char body[5001];
    memset(body, 'x', sizeof(body) - 1);
    body[75] = '.'; /* starts a line after the first soft break */
    body[2000] = '=';
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_html = body;
    s.body_text = body;
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    size_t longest = 0;
    CU_ASSERT(max_line(b.data, b.len, &longest));
    CU_ASSERT(longest <= 998);
    CU_ASSERT(longest <= 78); /* QP and folding keep it far shorter */
    /* The end-of-data marker appears once, at the very end. */
    const char *eod = strstr(b.data, "\r\n.\r\n");
    CU_ASSERT(eod != NULL && eod == b.data + b.len - 5);
    smtpchk_buf_free(&b);
}

static void
test_build_folds_long_to_list(void)
{
    static const char *const many[] = {
        "first.recipient@example.com", "second.recipient@example.com",
        "third.recipient@example.com", "fourth.recipient@example.com",
        "fifth.recipient@example.com", "sixth.recipient@example.com",
    };
    smtpchk_msgspec s;
    base_spec(&s);
    s.to = many;
    s.nto = 6;
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    CU_ASSERT(strstr(b.data,
                     "To: first.recipient@example.com, second.recipient@example.com,\r\n"
                     " third.recipient@example.com, fourth.recipient@example.com,\r\n"
                     " fifth.recipient@example.com, sixth.recipient@example.com\r\n"
                     "Subject: ") != NULL);
    size_t longest = 0;
    CU_ASSERT(max_line(b.data, b.len, &longest));
    CU_ASSERT(longest <= 78);
    smtpchk_buf_free(&b);
}

static void
test_build_encoded_subject(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.subject = "اختبار البريد";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    CU_ASSERT(strstr(b.data, "\r\nSubject: =?UTF-8?B?2KfYrtiq2KjYp9ixINin2YTYqNix2YrYrw==?=\r\n"
                             "Message-ID: ") != NULL);
    smtpchk_buf_free(&b);
}

static void
test_build_appends_to_existing(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "KEEP"), 0);
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, NULL, 0), 0);
    CU_ASSERT(strncmp(b.data, "KEEPDate: ", 10) == 0);
    smtpchk_buf_free(&b);

    /* A cap too small for the message fails cleanly. */
    smtpchk_buf_init(&b);
    b.max = 100;
    char err[64] = "";
    CU_ASSERT_EQUAL(smtpchk_message_build(&s, &b, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "out of memory or message too large");
    CU_ASSERT_EQUAL(b.len, 0u);
    smtpchk_buf_free(&b);
}

/* The check refuses what build refuses, with the same reason; a spec it
 * accepts fails to build only when the buffer runs out (the session tells
 * configurationError from internalError this way). */
static void
test_check_before_build(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    char err[128] = "";
    CU_ASSERT_EQUAL(smtpchk_message_check(&s, err, sizeof(err)), 0);
    s.from = "probe@example.net\r\nBcc: x@example.org";
    CU_ASSERT_EQUAL(smtpchk_message_check(&s, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "header injection: CR/LF in from");
    check_build_error(&s, "header injection: CR/LF in from");
    base_spec(&s);
    s.subject = "caf\xe9";
    CU_ASSERT_EQUAL(smtpchk_message_check(&s, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "invalid UTF-8 in subject");
    check_build_error(&s, "invalid UTF-8 in subject");

    base_spec(&s);
    s.body_text = "--=_smtpcheck_\n=_ plain text"; /* multipart, derived boundary */
    CU_ASSERT_EQUAL(smtpchk_message_check(&s, err, sizeof(err)), 0);
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_message_build(&s, &b, err, sizeof(err)), 0);
    smtpchk_buf_free(&b);
    b.max = 100;
    CU_ASSERT_EQUAL(smtpchk_message_build(&s, &b, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "out of memory or message too large");
    smtpchk_buf_free(&b);
}

/* ---- the round trip's token, check tag and queue ID (probemail.c) ---- */

static void
test_build_probe_headers(void)
{
    smtpchk_msgspec s;
    base_spec(&s);
    s.body_html = "x";
    s.token = "1764700000.0123456789abcdef";
    s.check_tag = "mx1";
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    char err[128] = "";
    CU_ASSERT_EQUAL_FATAL(smtpchk_message_build(&s, &b, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "MIME-Version: 1.0\r\n"
                                          "X-Smtpcheck-Token: <1764700000.0123456789abcdef>\r\n"
                                          "X-Smtpcheck-Check: <mx1>\r\n"
                                          "Content-Type: "));
    smtpchk_buf_free(&b);
    s.check_tag = "a\r\nBcc: x@example.org"; /* never from a tag, but refused all the same */
    smtpchk_buf_init(&b);
    CU_ASSERT_EQUAL(smtpchk_message_build(&s, &b, err, sizeof(err)), -1);
    smtpchk_buf_free(&b);
}

static void
test_probe_token(void)
{
    const unsigned char rnd[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    char t[SMTPCHK_TOKEN_MAX];
    smtpchk_probe_token(1764700000, rnd, t);
    CU_ASSERT_STRING_EQUAL(t, "1764700000.0123456789abcdef");
    CU_ASSERT_TRUE(smtpchk_probe_token_valid(t, strlen(t)));
    static const char *const bad[] = {"", ".0123456789abcdef", "1.0123456789abcde",
                                      "1.0123456789abcdef0", "1.0123456789ABCDEF",
                                      "1-0123456789abcdef", "123456789012345678901.0123456789abcdef",
                                      "1.0123456789abcdeg"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_FALSE(smtpchk_probe_token_valid(bad[i], strlen(bad[i])));
    /* length bounds the read: a valid prefix is not enough */
    CU_ASSERT_FALSE(smtpchk_probe_token_valid(t, strlen(t) - 1));
}

static void
test_probe_tag(void)
{
    char tag[SMTPCHK_TAG_MAX];
    smtpchk_probe_tag("mx1.example.net", tag);
    CU_ASSERT_STRING_EQUAL(tag, "mx1.example.net");
    smtpchk_probe_tag("two words", tag); /* a space: hashed */
    CU_ASSERT_EQUAL(tag[0], 'h');
    CU_ASSERT_EQUAL(strlen(tag), 17);
    char again[SMTPCHK_TAG_MAX];
    smtpchk_probe_tag("two words", again);
    CU_ASSERT_STRING_EQUAL(tag, again); /* stable: older mails are found by it */
    smtpchk_probe_tag("two Words", again);
    CU_ASSERT_STRING_NOT_EQUAL(tag, again);
    smtpchk_probe_tag("pr\xc3\xbc" "fung", tag); /* not ASCII */
    CU_ASSERT_EQUAL(tag[0], 'h');
    char long_name[80];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[79] = '\0';
    smtpchk_probe_tag(long_name, tag);
    CU_ASSERT_EQUAL(strlen(tag), 17);
}

typedef struct {
    const char *text;
    const char *id; /* NULL = none */
} qid_case;

static void
test_queue_id(void)
{
    static const qid_case cases[] = {
        {"2.0.0 Ok: queued as 4Xb2Yz1aBcD", "4Xb2Yz1aBcD"},
        {"Ok: queued as 4Xb2Yz1aBcD", "4Xb2Yz1aBcD"},
        {"2.0.0 OK: QUEUED AS ABC123 more words", "ABC123"},
        {"OK id=1tQ5bD-000Abc-3x", "1tQ5bD-000Abc-3x"},
        {"2.0.0 4B2K0abc012345 Message accepted for delivery", "4B2K0abc012345"},
        {"4B2K0abc012345 Message accepted for delivery", "4B2K0abc012345"},
        {"2.0.0 Ok", NULL},
        {"", NULL},
        {"Ok: queued as ", NULL},
        {"Ok: queued as <bad>", NULL},
        {"Ok: queued as abc;rm", NULL},
        {"Ok: queued as 0123456789012345678901234567890123", NULL}, /* too long: refused, not cut */
        {"2.0.0 Message accepted for delivery", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char id[SMTPCHK_QUEUE_ID_MAX] = "junk";
        int rc = smtpchk_queue_id(cases[i].text, strlen(cases[i].text), id);
        if ((rc == 0) != (cases[i].id != NULL))
            fprintf(stderr, "\n  %s: rc %d id %s\n", cases[i].text, rc, id);
        CU_ASSERT_EQUAL(rc, cases[i].id != NULL ? 0 : -1);
        CU_ASSERT_STRING_EQUAL(id, cases[i].id != NULL ? cases[i].id : "");
    }
    /* The length bounds the read: the ID ends where the text does. */
    char id[SMTPCHK_QUEUE_ID_MAX];
    CU_ASSERT_EQUAL(smtpchk_queue_id("queued as ABCDEF", 13, id), 0);
    CU_ASSERT_STRING_EQUAL(id, "ABC");
}

void
register_tests(void)
{
    SUITE_ADD("message",
              TEST(test_dot_stuff_leading_dots),
              TEST(test_dot_stuff_normalises_line_ends),
              TEST(test_dot_stuff_embedded_nul),
              TEST(test_dot_stuff_appends),
              TEST(test_qp_basic),
              TEST(test_qp_line_breaks_and_trailing_space),
              TEST(test_qp_soft_breaks),
              TEST(test_qp_lines_at_most_76),
              TEST(test_rfc2047_ascii_unchanged),
              TEST(test_rfc2047_encodes_lookalikes),
              TEST(test_rfc2047_arabic),
              TEST(test_rfc2047_long_persian),
              TEST(test_rfc2047_never_splits_characters),
              TEST(test_rfc2047_long_ascii_stays_under_998),
              TEST(test_rfc2047_rejects_invalid_utf8),
              TEST(test_format_date),
              TEST(test_header_value_ok),
              TEST(test_build_refuses_header_injection),
              TEST(test_build_refuses_bad_spec),
              TEST(test_build_single_part_exact),
              TEST(test_build_empty_body_and_subject),
              TEST(test_build_multipart_exact),
              TEST(test_build_multipart_derived_boundary),
              TEST(test_build_long_line_body),
              TEST(test_build_folds_long_to_list),
              TEST(test_build_encoded_subject),
              TEST(test_build_appends_to_existing),
              TEST(test_check_before_build),
              TEST(test_build_probe_headers),
              TEST(test_probe_token),
              TEST(test_probe_tag),
              TEST(test_queue_id));
}
