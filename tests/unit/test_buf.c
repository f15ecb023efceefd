/* buf.c: appends, the cap, and that dropped bytes do not linger. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "buf.h"
#include "cunit_main.h"

static const char secret[] = "AHVzZXIAc2VjcmV0LXBhc3N3b3Jk"; /* AUTH PLAIN payload */

static int
holds(const smtpchk_buf *b, const char *needle)
{
    return memmem(b->data, b->cap, needle, strlen(needle)) != NULL;
}

static void
test_append_and_cap(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    b.max = 8;
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "abcd"), 0);
    CU_ASSERT_EQUAL(smtpchk_buf_appendf(&b, "%d", 1234), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "abcd1234");
    CU_ASSERT_EQUAL(smtpchk_buf_append_str(&b, "x"), -1);
    CU_ASSERT_STRING_EQUAL(b.data, "abcd1234");
    smtpchk_buf_free(&b);
    CU_ASSERT_PTR_NULL(b.data);
}

static void
test_consume_wipes_what_was_sent(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    smtpchk_buf_appendf(&b, "AUTH PLAIN %s\r\n", secret);
    smtpchk_buf_append_str(&b, "QUIT\r\n");
    smtpchk_buf_consume(&b, strlen(secret) + 13);
    CU_ASSERT_STRING_EQUAL(b.data, "QUIT\r\n");
    CU_ASSERT_FALSE(holds(&b, "c2VjcmV0")); /* nowhere in the allocation */
    smtpchk_buf_consume(&b, 100);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_FALSE(holds(&b, "QUIT"));
    smtpchk_buf_free(&b);
}

static void
test_clear_wipes(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    smtpchk_buf_append_str(&b, secret);
    smtpchk_buf_clear(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_STRING_EQUAL(b.data, "");
    CU_ASSERT_FALSE(holds(&b, "c2VjcmV0"));
    smtpchk_buf_free(&b);
}

static void
test_growth_keeps_content(void)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    smtpchk_buf_append_str(&b, secret);
    for (int i = 0; i < 200; i++)
        CU_ASSERT_EQUAL_FATAL(smtpchk_buf_append_str(&b, "0123456789"), 0);
    CU_ASSERT_EQUAL(b.len, strlen(secret) + 2000);
    CU_ASSERT_EQUAL(strncmp(b.data, secret, strlen(secret)), 0);
    smtpchk_buf_wipe(&b);
}

void
register_tests(void)
{
    SUITE_ADD("buf", TEST(test_append_and_cap), TEST(test_consume_wipes_what_was_sent),
              TEST(test_clear_wipes), TEST(test_growth_keeps_content));
}
