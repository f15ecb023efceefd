/* fields.c and record.c: the result-field table and named state records. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "cunit_main.h"
#include "fields.h"
#include "record.h"

/* A result with every stored field set to something other than its default. */
static void
sample(smtpchk_result *r)
{
    smtpchk_result_init(r);
    for (size_t i = 0; i < SMTPCHK_PHASE__COUNT; i++)
        r->phase_us[i] = 1000 * (int64_t)(i + 1) + 7;
    r->phase_us[SMTPCHK_PHASE_LOGIN] = -1;
    r->response_code = 535;
    r->error = SMTPCHK_ERR_AUTH_FAILED;
    r->failed_step = SMTPCHK_STEP_AUTH;
    r->enhanced_class = 5;
    r->enhanced_subject = 7;
    r->enhanced_detail = 8;
    snprintf(r->error_detail, sizeof(r->error_detail), "bad credentials 100%% = sure");
    snprintf(r->reply_text, sizeof(r->reply_text), "5.7.8 Error: authentication failed");
    snprintf(r->greeting, sizeof(r->greeting), "mx.example.net ESMTP \xc3\xa9t\xc3\xa9");
    snprintf(r->peer, sizeof(r->peer), "[::1]:25");
    r->caps = SMTPCHK_CAP_STARTTLS | SMTPCHK_CAP_AUTH;
    r->server_auth = SMTPCHK_AUTH_PLAIN;
    r->size_limit = 10240000;
    r->tls = true;
    snprintf(r->tls_version, sizeof(r->tls_version), "TLSv1.3");
    r->has_cert = true;
    r->cert_days_left = -3;
    snprintf(r->cert_subject, sizeof(r->cert_subject), "CN=mx.example.net");
}

static void
test_table_is_consistent(void)
{
    CU_ASSERT_TRUE(smtpchk_field_count() > 20);
    size_t durations = 0;
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        CU_ASSERT_PTR_EQUAL(smtpchk_field_find(f->name), f);
        CU_ASSERT_TRUE(strlen(f->doc) > 10);
        if (f->mib_column != 0)
            CU_ASSERT_PTR_EQUAL(smtpchk_field_by_column(f->mib_column), f);
        /* A column has its MIB name (tests/mib checks the pair); no name without one. */
        CU_ASSERT_EQUAL(f->mib_column != 0, f->mib_name != NULL);
        if (f->mib_name != NULL)
            CU_ASSERT_EQUAL(strncmp(f->mib_name, "smtpCheck", 9), 0);
        /* Only a duration has a microsecond column, named like its ms one. */
        CU_ASSERT_EQUAL(f->mib_us_column != 0, f->mib_us_name != NULL);
        if (f->mib_us_column != 0) {
            CU_ASSERT_EQUAL(f->type, SMTPCHK_FT_DURATION);
            CU_ASSERT_PTR_EQUAL(smtpchk_field_by_column(f->mib_us_column), f);
            char want[80];
            snprintf(want, sizeof(want), "%sUs", f->mib_name);
            CU_ASSERT_STRING_EQUAL(f->mib_us_name, want);
        }
        CU_ASSERT_TRUE(f->offset + f->size <= sizeof(smtpchk_result));
        durations += f->type == SMTPCHK_FT_DURATION;
    }
    /* Every phase is a field, in phase order, with both columns. */
    CU_ASSERT_EQUAL(durations, SMTPCHK_PHASE__COUNT);
    for (size_t p = 0; p < SMTPCHK_PHASE__COUNT; p++) {
        char name[32];
        snprintf(name, sizeof(name), "%s_time", smtpchk_phase_name((smtpchk_phase)p));
        const smtpchk_field *f = smtpchk_field_find(name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(f->offset, offsetof(smtpchk_result, phase_us) + p * sizeof(int64_t));
        CU_ASSERT_NOT_EQUAL(f->mib_column, 0);
        CU_ASSERT_NOT_EQUAL(f->mib_us_column, 0);
    }
    CU_ASSERT_PTR_NULL(smtpchk_field_at(smtpchk_field_count()));
    CU_ASSERT_PTR_NULL(smtpchk_field_find("nope"));
    CU_ASSERT_PTR_NULL(smtpchk_field_by_column(0));
}

static void
test_values(void)
{
    smtpchk_result r;
    sample(&r);
    smtpchk_value v = smtpchk_field_get(smtpchk_field_find("connect_time"), &r);
    CU_ASSERT_TRUE(v.present);
    CU_ASSERT_EQUAL(v.i, 2007);
    v = smtpchk_field_get(smtpchk_field_find("login_time"), &r);
    CU_ASSERT_FALSE(v.present);
    v = smtpchk_field_get(smtpchk_field_find("enhanced_status"), &r);
    CU_ASSERT_EQUAL(v.i, 5007008);
    char buf[32];
    smtpchk_status_text(v, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "5.7.8");
    v = smtpchk_field_get(smtpchk_field_find("error_name"), &r);
    CU_ASSERT_STRING_EQUAL(v.s, "authenticationFailed");
    v = smtpchk_field_get(smtpchk_field_find("failed_step"), &r);
    CU_ASSERT_EQUAL(v.i, SMTPCHK_STEP_AUTH);
    CU_ASSERT_STRING_EQUAL(v.s, "auth");
    v = smtpchk_field_get(smtpchk_field_find("ok"), &r);
    CU_ASSERT_EQUAL(v.i, 0);
    v = smtpchk_field_get(smtpchk_field_find("tls_cert_days_left"), &r);
    CU_ASSERT_TRUE(v.present);
    CU_ASSERT_EQUAL(v.i, -3);
    r.has_cert = false;
    v = smtpchk_field_get(smtpchk_field_find("tls_cert_days_left"), &r);
    CU_ASSERT_FALSE(v.present); /* a plain check has no certificate, not 0 days */
    v = smtpchk_field_get(smtpchk_field_find("queue_reply"), &r);
    CU_ASSERT_FALSE(v.present);
    smtpchk_result_init(&r);
    v = smtpchk_field_get(smtpchk_field_find("enhanced_status"), &r);
    CU_ASSERT_FALSE(v.present);
}

/* phases_run: bit p when phase p ran, whatever its time; total left out. */
static void
test_phases_run(void)
{
    const smtpchk_field *f = smtpchk_field_find("phases_run");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->mib_column, 40);
    CU_ASSERT_TRUE(f->flags & SMTPCHK_FF_DERIVED);
    smtpchk_result r;
    sample(&r); /* every phase but login */
    smtpchk_value v = smtpchk_field_get(f, &r);
    CU_ASSERT_TRUE(v.present);
    CU_ASSERT_EQUAL(v.i, 0x1ff & ~(1 << SMTPCHK_PHASE_LOGIN));
    smtpchk_result_init(&r);
    CU_ASSERT_EQUAL(smtpchk_field_get(f, &r).i, 0);
    r.phase_us[SMTPCHK_PHASE_CONNECT] = 0; /* ran in under 1 us: still ran */
    r.phase_us[SMTPCHK_PHASE_TOTAL] = 5;
    CU_ASSERT_EQUAL(smtpchk_field_get(f, &r).i, 1 << SMTPCHK_PHASE_CONNECT);
    char buf[8];
    CU_ASSERT_EQUAL(smtpchk_field_format(f, &r, buf, sizeof(buf)), -1); /* not stored */
    /* The certificate flag is the CertSeen column. */
    const smtpchk_field *seen = smtpchk_field_find("tls_cert_seen");
    CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
    CU_ASSERT_EQUAL(seen->mib_column, 41);
    CU_ASSERT_PTR_EQUAL(smtpchk_field_by_column(41), seen);
    CU_ASSERT_EQUAL(smtpchk_field_get(seen, &r).i, 0);
    r.has_cert = true;
    CU_ASSERT_EQUAL(smtpchk_field_get(seen, &r).i, 1);
}

/* Writes r as one record and reads it back into a fresh result. */
static size_t
round_trip(const smtpchk_result *in, smtpchk_result *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    smtpchk_record_begin(f, "result");
    smtpchk_record_put_int(f, "index", 7);
    smtpchk_record_put_result(f, in);
    smtpchk_record_end(f);
    fclose(f);
    smtpchk_record *rec = smtpchk_record_parse(text, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(smtpchk_record_kind(rec), "result");
    smtpchk_result_init(out);
    size_t n = smtpchk_record_get_result(rec, out);
    smtpchk_record_free(rec);
    free(text);
    return n;
}

static void
test_result_round_trip(void)
{
    smtpchk_result in, out;
    sample(&in);
    size_t stored = 0;
    for (size_t i = 0; i < smtpchk_field_count(); i++)
        stored += !(smtpchk_field_at(i)->flags & SMTPCHK_FF_DERIVED);
    CU_ASSERT_EQUAL(round_trip(&in, &out), stored);
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        char a[300], b[300];
        smtpchk_field_format(f, &in, a, sizeof(a));
        smtpchk_field_format(f, &out, b, sizeof(b));
        if (!(f->flags & SMTPCHK_FF_DERIVED))
            CU_ASSERT_STRING_EQUAL(a, b);
    }
    CU_ASSERT_STRING_EQUAL(out.error_detail, in.error_detail);
    CU_ASSERT_STRING_EQUAL(out.greeting, in.greeting);
    CU_ASSERT_EQUAL(out.phase_us[SMTPCHK_PHASE_LOGIN], -1);
}

/* Packed and unpacked, a result is the same bytes (its texts' unused
 * tails zeroed), in far fewer bytes than the struct: every text cut. */
static void
test_result_pack(void)
{
    smtpchk_result in, out;
    memset(&in, 0, sizeof(in));
    sample(&in);
    memset(in.cert_issuer, 'x', sizeof(in.cert_issuer) - 1); /* a text at its limit */
    in.cert_issuer[sizeof(in.cert_issuer) - 1] = '\0';
    size_t len = 0;
    unsigned char *p = smtpchk_result_pack(&in, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t texts = 0, slack = 0;
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        if (f->type == SMTPCHK_FT_TEXT) {
            texts += f->size;
            slack += f->size - strlen((const char *)&in + f->offset) - 1;
        }
    }
    CU_ASSERT(texts > 0);
    CU_ASSERT_EQUAL(len, sizeof(in) - slack);
    memset(&out, 0xa5, sizeof(out));
    smtpchk_result_unpack(p, &out);
    CU_ASSERT_EQUAL(memcmp(&in, &out, sizeof(in)), 0);
    free(p);
    smtpchk_result_init(&in); /* no text at all */
    p = smtpchk_result_pack(&in, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT(len < 512);
    smtpchk_result_unpack(p, &out);
    CU_ASSERT_EQUAL(out.error_detail[0], '\0');
    CU_ASSERT_EQUAL(out.phase_us[SMTPCHK_PHASE_TOTAL], in.phase_us[SMTPCHK_PHASE_TOTAL]);
    free(p);
}

static void
test_record_tolerates_versions(void)
{
    /* An unknown field is skipped; a missing one keeps its default. */
    const char *line = "result index=3 future_field=x%20y response_code=250 "
                       "connect_time=1500 error_code=2\n";
    smtpchk_record *rec = smtpchk_record_parse(line, strlen(line));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(smtpchk_record_get(rec, "future_field"), "x y");
    long long idx = 0;
    CU_ASSERT_EQUAL(smtpchk_record_get_int(rec, "index", 1, 65535, &idx), 0);
    CU_ASSERT_EQUAL(idx, 3);
    CU_ASSERT_EQUAL(smtpchk_record_get_int(rec, "future_field", 0, 9, &idx), -1);
    smtpchk_result r;
    smtpchk_result_init(&r);
    CU_ASSERT_EQUAL(smtpchk_record_get_result(rec, &r), 3);
    CU_ASSERT_EQUAL(r.response_code, 250);
    CU_ASSERT_EQUAL(r.phase_us[SMTPCHK_PHASE_CONNECT], 1500);
    CU_ASSERT_EQUAL(r.error, SMTPCHK_ERR_CONN_REFUSED);
    CU_ASSERT_EQUAL(r.phase_us[SMTPCHK_PHASE_TOTAL], -1);
    smtpchk_record_free(rec);
}

static void
test_record_rejects_garbage(void)
{
    const char *bad[] = {
        "", "# comment", " result a=1", "result a", "result =1", "result a=1 b",
        "result a=%zz", "result a=%4", "result a=1\tb=2", "result a=\x01",
        "result a=1  =2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        smtpchk_record *rec = smtpchk_record_parse(bad[i], strlen(bad[i]));
        CU_ASSERT_PTR_NULL(rec);
        smtpchk_record_free(rec);
    }
    /* Values that do not fit a field leave it alone. */
    const char *line = "result error_code=999 connect_time=abc failed_step=-1 tls=2";
    smtpchk_record *rec = smtpchk_record_parse(line, strlen(line));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    smtpchk_result r;
    smtpchk_result_init(&r);
    CU_ASSERT_EQUAL(smtpchk_record_get_result(rec, &r), 0);
    CU_ASSERT_EQUAL(r.error, SMTPCHK_OK);
    smtpchk_record_free(rec);
}

/* "kind k0=v k1=v ..." with n pairs, each value val. */
static char *
record_line(size_t n, const char *val)
{
    size_t cap = 16 + n * (16 + strlen(val));
    char *line = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    size_t at = (size_t)snprintf(line, cap, "kind");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(line + at, cap - at, " k%zu=%s", i, val);
    return line;
}

/* The limits hold as they are written: pairs, line length; values decode
 * whole, the last of a key wins, and a bare kind is a record. */
static void
test_record_limits(void)
{
    char *line = record_line(SMTPCHK_RECORD_MAX_PAIRS, "%41%20b%25");
    smtpchk_record *rec = smtpchk_record_parse(line, strlen(line));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(smtpchk_record_get(rec, "k0"), "A b%");
    CU_ASSERT_STRING_EQUAL(smtpchk_record_get(rec, "k255"), "A b%");
    smtpchk_record_free(rec);
    free(line);
    line = record_line(SMTPCHK_RECORD_MAX_PAIRS + 1, "1");
    CU_ASSERT_PTR_NULL(smtpchk_record_parse(line, strlen(line)));
    free(line);

    size_t max = SMTPCHK_RECORD_MAX_LINE;
    line = malloc(max + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    memcpy(line, "kind v=", 7);
    memset(line + 7, 'x', max - 7);
    line[max] = '\n';
    line[max + 1] = '\0';
    rec = smtpchk_record_parse(line, max + 1); /* the newline is not counted */
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(strlen(smtpchk_record_get(rec, "v")), max - 7);
    smtpchk_record_free(rec);
    line[max] = 'x';
    CU_ASSERT_PTR_NULL(smtpchk_record_parse(line, max + 1));
    free(line);

    const char *twice = "row  a=1 b= a=%32  ";
    rec = smtpchk_record_parse(twice, strlen(twice));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(smtpchk_record_kind(rec), "row");
    CU_ASSERT_STRING_EQUAL(smtpchk_record_get(rec, "a"), "2");
    CU_ASSERT_STRING_EQUAL(smtpchk_record_get(rec, "b"), "");
    CU_ASSERT_PTR_NULL(smtpchk_record_get(rec, "c"));
    smtpchk_record_free(rec);
    rec = smtpchk_record_parse("format", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(smtpchk_record_kind(rec), "format");
    CU_ASSERT_PTR_NULL(smtpchk_record_get(rec, "version"));
    smtpchk_record_free(rec);
}

/* The SYNTAX INTEGER { name(n), ... } (or BITS) body of a textual
 * convention, or of an object when tc is "<name> OBJECT-TYPE". */
static char *
mib_enum(const char *tc)
{
    static char mib[200000];
    FILE *f = fopen(MIB_FILE, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(mib, 1, sizeof(mib) - 1, f);
    fclose(f);
    mib[n] = '\0';
    char head[80];
    snprintf(head, sizeof(head), strchr(tc, ' ') ? "\n%s" : "\n%s ::= TEXTUAL-CONVENTION", tc);
    char *p = strstr(mib, head);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    p = strstr(p, "SYNTAX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char *open = strchr(p, '{'), *close = strchr(p, '}');
    CU_ASSERT_FATAL(open != NULL && close != NULL && open < close);
    *close = '\0';
    return open + 1;
}

/* Every value of the enumeration is exactly name(i) for i in [lo, count). */
static void
expect_enum(const char *tc, int lo, int count, const char *(*name)(int))
{
    char *body = mib_enum(tc);
    int seen = 0;
    for (char *tok = strtok(body, " \t\r\n,"); tok != NULL; tok = strtok(NULL, " \t\r\n,")) {
        char word[64];
        int v;
        if (sscanf(tok, "%63[A-Za-z0-9](%d)", word, &v) != 2)
            continue;
        CU_ASSERT_TRUE(v >= lo && v < count);
        if (v >= lo && v < count && strcmp(word, name(v)) != 0)
            fprintf(stderr, "\n%s: %s(%d) in the MIB, %s in the code\n", tc, word, v, name(v));
        CU_ASSERT_STRING_EQUAL(word, v >= lo && v < count ? name(v) : "?");
        seen++;
    }
    CU_ASSERT_EQUAL(seen, count - lo);
}

static const char *error_name(int v) { return smtpchk_error_name((smtpchk_error)v); }
static const char *step_name(int v) { return smtpchk_step_name((smtpchk_step)v); }
static const char *metric_name(int v) { return smtpchk_metric_name((smtpchk_metric)v); }
static const char *security_name(int v) { return smtpchk_security_name((smtpchk_security)v); }
static const char *phase_name(int v) { return smtpchk_phase_name((smtpchk_phase)v); }

/* The MIB's enumerations are the core's tables, every value of them. */
static void
test_mib_enumerations_match_the_code(void)
{
    expect_enum("SmtpCheckError", 0, SMTPCHK_ERR__COUNT, error_name);
    expect_enum("SmtpCheckStep", 0, SMTPCHK_STEP__COUNT, step_name);
    expect_enum("SmtpCheckMetric", 1, SMTPCHK_METRIC__COUNT, metric_name);
    expect_enum("SmtpCheckSecurityMode", SMTPCHK_SEC_NONE, SMTPCHK_SEC_TLS + 1, security_name);
    /* smtpCheckPhasesRun's bits are the phases, the total left out. */
    expect_enum("smtpCheckPhasesRun OBJECT-TYPE", 0, SMTPCHK_PHASE_TOTAL, phase_name);
}

void
register_tests(void)
{
    SUITE_ADD("fields", TEST(test_table_is_consistent), TEST(test_values), TEST(test_phases_run),
              TEST(test_result_round_trip), TEST(test_result_pack), TEST(test_record_tolerates_versions),
              TEST(test_record_rejects_garbage), TEST(test_record_limits),
              TEST(test_mib_enumerations_match_the_code));
}
