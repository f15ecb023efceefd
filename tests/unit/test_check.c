/* check.c and errors.c: defaults, copies, validation (the schema's
 * smtpchk_check_validate), the error table. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "schema.h"
#include "smtpchk.h"

static void
test_defaults_and_ports(void)
{
    smtpchk_check *c = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->security, SMTPCHK_SEC_NONE);
    CU_ASSERT_TRUE(c->tls_verify);
    CU_ASSERT_EQUAL(c->timeout_ms, 30000);
    CU_ASSERT_EQUAL(c->step_timeout_ms, 10000);
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 25);
    c->security = SMTPCHK_SEC_STARTTLS;
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 25);
    c->security = SMTPCHK_SEC_TLS;
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 465);
    c->port = 2525;
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 2525);
    smtpchk_check_free(c);
    smtpchk_check_free(NULL);
}

static smtpchk_check *
valid(void)
{
    smtpchk_check *c = smtpchk_check_new();
    c->host = strdup("mx.example.net");
    return c;
}

static void
expect_invalid(smtpchk_check *c, const char *msg)
{
    char err[200] = "";
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), -1);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  got: %s\n want: %s\n", err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
    smtpchk_check_free(c);
}

static void
test_validate(void)
{
    char err[200];
    smtpchk_check *c = valid();
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), 0);
    smtpchk_check_free(c);

    c = smtpchk_check_new();
    expect_invalid(c, "no host");
    c = valid();
    c->user = strdup("u");
    expect_invalid(c, "a user is set but no password");
    c = valid();
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->rcpt, &c->nrcpt, "a@b"), 0);
    expect_invalid(c, "recipients are set but no sender (from)");
    c = valid();
    c->mail_from = strdup("a@b>\r\nRCPT TO:<evil@x");
    expect_invalid(c, "bad sender address (header injection?)");
    c = valid();
    c->subject = strdup("hi\r\nBcc: x@y");
    expect_invalid(c, "CR or LF in the subject (header injection)");
    c = valid();
    c->body_html = strdup("caf\xe9");
    expect_invalid(c, "the subject and bodies must be UTF-8");
    c = valid();
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->probes, &c->nprobes, "DATA"), 0);
    expect_invalid(c, "probe must be NOOP, RSET, HELP or \"VRFY <address>\"");
    c = valid();
    c->ehlo_name = strdup("two words");
    expect_invalid(c, "bad EHLO name");
}

/*
 * The rules the CLI, the check file and this function once disagreed on:
 * one validator now, so a check built in code gets the same verdicts.
 */
static void
test_validate_one_rule(void)
{
    char err[200];
    smtpchk_check *c = valid();
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->probes, &c->nprobes, "VRFY  postmaster"), 0); /* two spaces */
    expect_invalid(c, "probe must be NOOP, RSET, HELP or \"VRFY <address>\"");
    c = valid();
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->probes, &c->nprobes, "VRFY postmaster"), 0);
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), 0);
    smtpchk_check_free(c);
    c = valid();
    c->tls_min_version = 0x0302; /* TLS 1.1 */
    expect_invalid(c, "bad TLS minimum version");
    c = valid();
    c->timeout_ms = 50;
    c->step_timeout_ms = 50;
    expect_invalid(c, "timeout must be between 0.1 and 3600 seconds");
    c = valid();
    c->step_timeout_ms = c->timeout_ms + 1;
    expect_invalid(c, "step_timeout must not exceed timeout");
    c = valid();
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->rcpt, &c->nrcpt, "a\tb@example.net"), 0);
    c->mail_from = strdup("a@example.net");
    expect_invalid(c, "bad recipient address (header injection?)");
    c = valid();
    c->auth_mechs = 0;
    expect_invalid(c, "no AUTH mechanism allowed");
}

static void
test_dup_is_deep(void)
{
    smtpchk_check *c = valid();
    c->password = strdup("secret");
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->rcpt, &c->nrcpt, "a@b"), 0);
    CU_ASSERT_EQUAL_FATAL(smtpchk_check_list_add(&c->probes, &c->nprobes, "NOOP"), 0);
    smtpchk_check *d = smtpchk_check_dup(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_EQUAL(d->host, c->host);
    CU_ASSERT_STRING_EQUAL(d->host, c->host);
    CU_ASSERT_PTR_NOT_EQUAL(d->password, c->password);
    CU_ASSERT_STRING_EQUAL(d->rcpt[0], "a@b");
    CU_ASSERT_PTR_NOT_EQUAL(d->probes[0], c->probes[0]);
    smtpchk_check_free(c); /* d must stand on its own (ASan checks) */
    CU_ASSERT_STRING_EQUAL(d->password, "secret");
    smtpchk_check_free(d);
}

/* Two owners from four threads each dropping and taking shares: the
 * last free of all frees it once (ASan and TSan builds check). */
static void *
share_churn(void *arg)
{
    smtpchk_check *c = arg;
    for (int i = 0; i < 10000; i++)
        smtpchk_check_free(smtpchk_check_share(c));
    smtpchk_check_free(c);
    return NULL;
}

static void
test_share(void)
{
    smtpchk_check *c = valid();
    c->password = strdup("secret");
    CU_ASSERT_PTR_EQUAL(smtpchk_check_share(c), c);
    smtpchk_check_free(c); /* one owner left: still readable */
    CU_ASSERT_STRING_EQUAL(c->password, "secret");
    smtpchk_check *d = smtpchk_check_dup(smtpchk_check_share(c));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->shares, 0); /* a copy is its own */
    smtpchk_check_free(d);
    smtpchk_check_free(c);
    CU_ASSERT_STRING_EQUAL(c->host, "mx.example.net"); /* still the second owner's */
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        smtpchk_check_share(c);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, share_churn, c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(c->shares, 0);
    smtpchk_check_free(c);
}

static void
test_error_table(void)
{
    /* The numbers are published in the MIB: they never change. */
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(SMTPCHK_OK), "ok");
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(2), "connectionRefused");
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(19), "authenticationFailed");
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(21), "recipientRejected");
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(26), "internalError");
    CU_ASSERT_STRING_EQUAL(smtpchk_error_name(SMTPCHK_ERR__COUNT), "unknown");
    for (int i = 0; i < SMTPCHK_ERR__COUNT; i++) {
        CU_ASSERT_STRING_NOT_EQUAL(smtpchk_error_name(i), "unknown");
        CU_ASSERT_TRUE(strlen(smtpchk_error_description(i)) > 10);
        for (int j = 0; j < i; j++)
            CU_ASSERT_STRING_NOT_EQUAL(smtpchk_error_name(i), smtpchk_error_name(j));
    }
    CU_ASSERT_STRING_EQUAL(smtpchk_step_name(SMTPCHK_STEP_RCPT), "rcpt");
    CU_ASSERT_STRING_EQUAL(smtpchk_step_name(SMTPCHK_STEP__COUNT), "unknown");
    smtpchk_security s;
    CU_ASSERT_EQUAL(smtpchk_security_parse("STARTTLS", &s), 0);
    CU_ASSERT_EQUAL(s, SMTPCHK_SEC_STARTTLS);
    CU_ASSERT_EQUAL(smtpchk_security_parse("ssl", &s), -1);
}

void
register_tests(void)
{
    SUITE_ADD("check", TEST(test_defaults_and_ports), TEST(test_validate),
              TEST(test_validate_one_rule),
              TEST(test_dup_is_deep), TEST(test_share), TEST(test_error_table));
}
