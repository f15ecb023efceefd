/*
 * core/check/schema.c, fill.c, validate.c: the table is well formed, its
 * defaults are smtpchk_check_new's, every example passes, and a value is
 * judged the same whatever names its messages use. Every test walks the
 * table: no field is listed here by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "schema.h"

#define NFIELDS smtpchk_schema_count()

typedef struct messages {
    char last[512];
    size_t errors, warnings;
} messages;

static void
keep(void *ud, const smtpchk_setting *f, long item, bool error, const char *msg)
{
    messages *m = ud;
    (void)f;
    (void)item;
    snprintf(m->last, sizeof(m->last), "%s", msg);
    if (error)
        m->errors++;
    else
        m->warnings++;
}

/* A fill of a fresh entry that keeps its messages in m. */
static void
start(smtpchk_fill *f, smtpchk_config_entry *e, messages *m, smtpchk_naming naming)
{
    memset(e, 0, sizeof(*e));
    memset(m, 0, sizeof(*m));
    CU_ASSERT_EQUAL_FATAL(smtpchk_fill_init(f, e, SMTPCHK_IN_DEFAULTS | SMTPCHK_IN_CHECK), 0);
    f->naming = naming;
    f->report = keep;
    f->ud = m;
}

static bool
same_group(const smtpchk_setting *a, const smtpchk_setting *b)
{
    size_t la = smtpchk_schema_group_len(a);
    return la == smtpchk_schema_group_len(b) && strncmp(a->key, b->key, la) == 0;
}

/* ---- the table ---- */

static void
test_names_unique(void)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const smtpchk_setting *a = smtpchk_schema_field(i);
        CU_ASSERT_PTR_EQUAL(smtpchk_schema_find_key(a->key), a);
        if (a->option != NULL)
            CU_ASSERT_PTR_EQUAL(smtpchk_schema_find_option(a->option), a);
        for (size_t j = 0; j < i; j++) {
            const smtpchk_setting *b = smtpchk_schema_field(j);
            CU_ASSERT_FALSE(a->short_opt != 0 && a->short_opt == b->short_opt);
        }
    }
    CU_ASSERT_PTR_NULL(smtpchk_schema_find_key("nope"));
    CU_ASSERT_PTR_NULL(smtpchk_schema_find_option(NULL));
    CU_ASSERT_PTR_NULL(smtpchk_schema_field(NFIELDS));
}

/* The loader and the docs enter each group once: rows of a group are
 * together, and the top-level keys come first. */
static void
test_groups_contiguous(void)
{
    for (size_t i = 1; i < NFIELDS; i++) {
        const smtpchk_setting *a = smtpchk_schema_field(i - 1), *b = smtpchk_schema_field(i);
        if (same_group(a, b))
            continue;
        CU_ASSERT_PTR_NOT_NULL(smtpchk_schema_group_title(b->key, smtpchk_schema_group_len(b)));
        CU_ASSERT_TRUE(smtpchk_schema_group_len(b) > 0);
        for (size_t j = 0; j + 1 < i; j++)
            CU_ASSERT_FALSE(same_group(smtpchk_schema_field(j), b));
    }
}

static void
test_rows_complete(void)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const smtpchk_setting *f = smtpchk_schema_field(i);
        CU_ASSERT_TRUE(f->doc != NULL && f->doc[0] != '\0');
        CU_ASSERT_PTR_NOT_NULL(f->example);
        CU_ASSERT_TRUE(f->scope != 0);
        CU_ASSERT_TRUE(f->option == NULL || (f->flags & SMTPCHK_F_FLAG) || f->arg != NULL);
        if (f->flags & SMTPCHK_F_FLAG)
            CU_ASSERT_EQUAL(f->type, SMTPCHK_ST_BOOL);
        if (f->flags & (SMTPCHK_F_REPEAT | SMTPCHK_F_SPLIT))
            CU_ASSERT_EQUAL(f->type, SMTPCHK_ST_LIST);
        if (f->type == SMTPCHK_ST_ENUM)
            CU_ASSERT_PTR_NOT_NULL(smtpchk_schema_value_name(f, 1));
    }
    for (size_t i = 0; i < smtpchk_schema_rule_count(); i++) {
        CU_ASSERT_PTR_NOT_NULL(smtpchk_schema_find_key(smtpchk_schema_rule(i)->first));
        CU_ASSERT_PTR_NOT_NULL(smtpchk_schema_find_key(smtpchk_schema_rule(i)->second));
    }
}

/* The table's defaults are what smtpchk_check_new gives a check built in
 * code: both say the same, or this fails. */
static void
test_defaults_agree(void)
{
    smtpchk_config_entry e;
    smtpchk_fill f;
    messages m;
    start(&f, &e, &m, SMTPCHK_NAME_KEY);
    smtpchk_check *fresh = smtpchk_check_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
    CU_ASSERT_EQUAL(memcmp(e.check, fresh, sizeof(*fresh)), 0);
    char err[200];
    fresh->host = strdup("mx.example.net");
    CU_ASSERT_EQUAL(smtpchk_check_validate(fresh, err, sizeof(err)), 0);
    smtpchk_check_free(fresh);
    smtpchk_config_entry_clear(&e);
}

/* Every example is a valid value (files are not opened here). */
static void
test_examples_accepted(void)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const smtpchk_setting *fld = smtpchk_schema_field(i);
        if (fld->type == SMTPCHK_ST_THRESHOLD)
            continue; /* a group: no text form */
        smtpchk_config_entry e;
        smtpchk_fill f;
        messages m;
        start(&f, &e, &m, SMTPCHK_NAME_KEY);
        bool flag = fld->flags & SMTPCHK_F_FLAG;
        int rc = smtpchk_fill_text(&f, fld, flag ? NULL : fld->example);
        if (rc != 0)
            fprintf(stderr, "\n  %s = %s: %s\n", fld->key, fld->example, m.last);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(m.errors, 0);
        smtpchk_config_entry_clear(&e);
    }
}

/* The same value is refused for the same reason whatever the front-end:
 * the check file's message and the command line's differ in the name. */
static void
test_one_message_two_namings(void)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const smtpchk_setting *fld = smtpchk_schema_field(i);
        if (fld->option == NULL || fld->type == SMTPCHK_ST_BOOL)
            continue;
        smtpchk_config_entry e1, e2;
        smtpchk_fill f1, f2;
        messages m1, m2;
        start(&f1, &e1, &m1, SMTPCHK_NAME_KEY);
        start(&f2, &e2, &m2, SMTPCHK_NAME_OPTION);
        int r1 = smtpchk_fill_text(&f1, fld, "\x01 bad <value>");
        int r2 = smtpchk_fill_text(&f2, fld, "\x01 bad <value>");
        CU_ASSERT_EQUAL(r1, r2);
        char key[64], opt[64];
        snprintf(key, sizeof(key), "\"%s\"", smtpchk_schema_leaf(fld));
        snprintf(opt, sizeof(opt), "--%s", fld->option);
        const char *k = strstr(m1.last, key), *o = strstr(m2.last, opt);
        if (k != NULL && o != NULL) /* the rest of the message is the same */
            CU_ASSERT_STRING_EQUAL(k + strlen(key), o + strlen(opt));
        smtpchk_config_entry_clear(&e1);
        smtpchk_config_entry_clear(&e2);
    }
}

/* ---- filling ---- */

static const smtpchk_setting *
key(const char *k)
{
    const smtpchk_setting *f = smtpchk_schema_find_key(k);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    return f;
}

static void
test_derived_defaults(void)
{
    smtpchk_config_entry e;
    smtpchk_fill f;
    messages m;
    start(&f, &e, &m, SMTPCHK_NAME_OPTION);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("timeout"), "5"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("interval"), "120"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("host"), "mx.example.net"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_finish(&f), 0);
    CU_ASSERT_EQUAL(e.check->step_timeout_ms, 5000); /* never above the deadline */
    CU_ASSERT_EQUAL(e.jitter_ms, 12000);             /* a tenth of the interval */
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("interval"), "3600"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_finish(&f), 0);
    CU_ASSERT_EQUAL(e.jitter_ms, 30000); /* at most 30 s */
    smtpchk_config_entry_clear(&e);
}

/* Fills host and then the key/value pairs (NULL-terminated), finishes;
 * returns the errors and keeps the last message. */
static size_t
try_fill(messages *m, const char *const *kv)
{
    smtpchk_config_entry e;
    smtpchk_fill f;
    start(&f, &e, m, SMTPCHK_NAME_OPTION);
    smtpchk_fill_text(&f, key("host"), "mx.example.net");
    for (size_t i = 0; kv[i] != NULL && kv[i + 1] != NULL; i += 2)
        smtpchk_fill_text(&f, key(kv[i]), kv[i + 1]);
    f.here = f.given;
    size_t errors = smtpchk_fill_finish(&f);
    smtpchk_config_entry_clear(&e);
    return errors;
}

#define TRY(m, ...) try_fill((m), (const char *const[]){__VA_ARGS__, NULL})

static void
test_rules(void)
{
    messages m;
    CU_ASSERT_EQUAL(TRY(&m, "step_timeout", "20", "timeout", "5"), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "--step-timeout must not exceed --timeout");
    CU_ASSERT_EQUAL(TRY(&m, "mail.to", "a@example.net"), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "missing --from (required when --to is not empty)");
    CU_ASSERT_EQUAL(TRY(&m, "mail.to", "a@example.net", "mail.from", "b@example.net"), 0);
    CU_ASSERT_EQUAL(TRY(&m, "auth.user", "u"), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "missing --password-file");
    CU_ASSERT_EQUAL(TRY(&m, "auth.mechanisms", "PLAIN"), 2); /* user and password */
    CU_ASSERT_EQUAL(TRY(&m, "mail.body_html", "<p>", "mail.body_html_file", "b.html"), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "\"body_html\" and --body-file are mutually exclusive");
}

static void
test_lists_and_flags(void)
{
    smtpchk_config_entry e;
    smtpchk_fill f;
    messages m;
    start(&f, &e, &m, SMTPCHK_NAME_OPTION);
    const smtpchk_setting *to = key("mail.to");
    for (int i = 0; i < (int)to->hi; i++)
        CU_ASSERT_EQUAL(smtpchk_fill_text(&f, to, "a@example.net"), 0);
    CU_ASSERT_EQUAL(e.check->nrcpt, (size_t)to->hi);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, to, "a@example.net"), -1);
    CU_ASSERT_EQUAL(e.check->nrcpt, (size_t)to->hi);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("auth.mechanisms"), "plain, LOGIN"), 0);
    CU_ASSERT_EQUAL(e.check->auth_mechs, SMTPCHK_AUTH_PLAIN | SMTPCHK_AUTH_LOGIN);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("auth.mechanisms"), ""), -1);
    CU_ASSERT_STRING_EQUAL(m.last, "--auth-mechs must not be empty");
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("tls.verify"), NULL), 0);
    CU_ASSERT_FALSE(e.check->tls_verify); /* --insecure: the opposite of the default */
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("strict_quit"), NULL), 0);
    CU_ASSERT_TRUE(e.check->strict_quit);
    smtpchk_config_entry_clear(&e);
}

static void
test_describe(void)
{
    char buf[128];
    smtpchk_schema_describe(key("port"), buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "1..65535");
    smtpchk_schema_describe(key("tls.min_version"), buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "\"1.2\" or \"1.3\"");
    smtpchk_schema_describe(key("timeout"), buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "0.1..3600 s");
    CU_ASSERT_STRING_EQUAL(smtpchk_schema_leaf(key("auth.user")), "user");
    CU_ASSERT_STRING_EQUAL(smtpchk_stype_name(SMTPCHK_ST_SECONDS), "seconds");
    CU_ASSERT_STRING_EQUAL(smtpchk_syntax_name(SMTPCHK_SYN_ADDRESS), "address");
    CU_ASSERT_STRING_EQUAL(smtpchk_schema_flag_name(SMTPCHK_F_UNIQUE), "unique");
    CU_ASSERT_PTR_NULL(smtpchk_schema_flag_name(SMTPCHK_F__LAST << 1));
}

/* Settings of another protocol are refused, a mailbox check needs a user,
 * and the default port follows the protocol. */
static void
test_protocols(void)
{
    smtpchk_config_entry e;
    smtpchk_fill f;
    messages m;
    start(&f, &e, &m, SMTPCHK_NAME_OPTION);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("host"), "127.0.0.1"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("protocol"), "IMAP"), 0);
    CU_ASSERT_EQUAL(e.check->protocol, SMTPCHK_PROTO_IMAP);
    CU_ASSERT_EQUAL(smtpchk_check_port(e.check), 143);
    e.check->security = SMTPCHK_SEC_TLS;
    CU_ASSERT_EQUAL(smtpchk_check_port(e.check), 993);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("mailbox"), "Archive"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_finish(&f), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "missing --user (protocol \"imap\" logs in to a mailbox)");
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("probe"), "NOOP"), 0);
    f.errors = 0;
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("auth.user"), "u"), 0);
    CU_ASSERT_EQUAL(smtpchk_fill_text(&f, key("auth.password_file"), "pw"), 0); /* not read */
    CU_ASSERT_EQUAL(smtpchk_fill_finish(&f), 1);
    CU_ASSERT_STRING_EQUAL(m.last, "--probe is for protocol \"smtp\" only, not \"imap\"");
    smtpchk_config_entry_clear(&e);

    smtpchk_check *c = smtpchk_check_new();
    char err[200];
    c->host = strdup("mx.example.net");
    c->protocol = SMTPCHK_PROTO_POP3;
    CU_ASSERT_EQUAL(smtpchk_check_port(c), 110);
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "missing user (protocol \"pop3\" logs in to a mailbox)");
    c->user = strdup("u");
    c->password = strdup("p");
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), 0);
    c->mailbox = strdup("INBOX");
    CU_ASSERT_EQUAL(smtpchk_check_validate(c, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "mailbox is for protocol \"imap\" only, not \"pop3\"");
    smtpchk_check_free(c);
}

void
register_tests(void)
{
    SUITE_ADD("schema", TEST(test_names_unique), TEST(test_groups_contiguous),
              TEST(test_rows_complete), TEST(test_defaults_agree), TEST(test_examples_accepted),
              TEST(test_one_message_two_namings), TEST(test_derived_defaults), TEST(test_rules),
              TEST(test_lists_and_flags), TEST(test_describe), TEST(test_protocols));
}
