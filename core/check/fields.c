/* The result-field table (fields.h) and typed access to a result by it. */
#include "fields.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define OFF(m) offsetof(smtpchk_result, m)
#define SZ(m) sizeof(((smtpchk_result *)0)->m)
#define ALWAYS (-1L)

/* Storage the generic accessors rely on. */
_Static_assert(sizeof(smtpchk_error) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(smtpchk_step) == sizeof(int), "enum stored as int");
_Static_assert(OFF(enhanced_subject) == OFF(enhanced_class) + sizeof(int), "status layout");
_Static_assert(OFF(enhanced_detail) == OFF(enhanced_subject) + sizeof(int), "status layout");

/* A published field's smtpCheckEntry column: its number and MIB name. */
#define COL(number, mib_suffix) .mib_column = (number), .mib_name = "smtpCheck" mib_suffix
#define NOCOL .mib_column = 0
/* A duration's microsecond column. */
#define USCOL(number, mib_suffix) .mib_us_column = (number), .mib_us_name = "smtpCheck" mib_suffix

#define PHASE(name_, ph, col, uscol, doc_)                                              \
    {.name = (name_), .type = SMTPCHK_FT_DURATION, .unit = "us",                       \
     .offset = OFF(phase_us[ph]), .size = sizeof(int64_t), .present_if = ALWAYS, col,  \
     uscol, .flags = SMTPCHK_FF_PERFDATA, .doc = (doc_)}
#define FIELD(name_, type_, unit_, member, present, col, flags_, doc_)                   \
    {.name = (name_), .type = (type_), .unit = (unit_), .offset = OFF(member),         \
     .size = SZ(member), .present_if = (present), col, .flags = (flags_), .doc = (doc_)}

static const smtpchk_field fields[] = {
    FIELD("ok", SMTPCHK_FT_OK, NULL, error, ALWAYS, NOCOL, SMTPCHK_FF_DERIVED,
          "true when every step got its expected reply"),
    FIELD("error_code", SMTPCHK_FT_ERROR, NULL, error, ALWAYS, COL(10, "ErrorCode"),
          SMTPCHK_FF_TRAP, "the outcome: 0 = ok, else an error code of docs/errors.md"),
    FIELD("error_name", SMTPCHK_FT_ERROR_NAME, NULL, error, ALWAYS, NOCOL, SMTPCHK_FF_DERIVED,
          "the error code's name, e.g. connectionRefused"),
    FIELD("response_code", SMTPCHK_FT_INT, NULL, response_code, ALWAYS, COL(9, "ResponseCode"),
          SMTPCHK_FF_TRAP, "0 = OK; else the SMTP reply code that ended the check; -1 = no reply"),
    FIELD("failed_step", SMTPCHK_FT_STEP, NULL, failed_step, ALWAYS, COL(11, "FailedStep"),
          SMTPCHK_FF_TRAP, "the step that failed (none when the check passed)"),
    FIELD("error_detail", SMTPCHK_FT_TEXT, NULL, error_detail, ALWAYS, COL(37, "ErrorDetail"), 0,
          "why the check failed, in words"),
    FIELD("enhanced_status", SMTPCHK_FT_STATUS, NULL, enhanced_class, ALWAYS,
          COL(19, "EnhancedStatus"), 0,
          "the RFC 3463 enhanced status code of the last reply, e.g. 5.7.8"),
    FIELD("reply_text", SMTPCHK_FT_TEXT, NULL, reply_text, ALWAYS, COL(20, "LastReplyText"),
          SMTPCHK_FF_TRAP, "the server's last reply text"),
    FIELD("greeting", SMTPCHK_FT_TEXT, NULL, greeting, ALWAYS, COL(21, "Greeting"),
          SMTPCHK_FF_HUMAN, "the server's 220 greeting"),
    FIELD("queue_reply", SMTPCHK_FT_TEXT, NULL, queue_reply, ALWAYS, COL(39, "QueueReply"),
          SMTPCHK_FF_HUMAN, "the server's final reply to the test mail (it names the queue ID)"),
    FIELD("queue_id", SMTPCHK_FT_TEXT, NULL, queue_id, ALWAYS, NOCOL, SMTPCHK_FF_HUMAN,
          "the queue ID named in the final reply to the test mail, e.g. 4Xb2Yz1aBcD"),
    FIELD("peer", SMTPCHK_FT_TEXT, NULL, peer, ALWAYS, NOCOL, 0,
          "the address and port connected to, e.g. [::1]:25"),
    FIELD("tls", SMTPCHK_FT_BOOL, NULL, tls, ALWAYS, NOCOL, 0,
          "true when the session was encrypted"),
    FIELD("tls_version", SMTPCHK_FT_TEXT, NULL, tls_version, ALWAYS, COL(23, "TlsVersion"),
          SMTPCHK_FF_HUMAN, "the TLS protocol version, e.g. TLSv1.3"),
    FIELD("tls_cipher", SMTPCHK_FT_TEXT, NULL, tls_cipher, ALWAYS, COL(24, "TlsCipher"),
          SMTPCHK_FF_HUMAN, "the TLS cipher suite"),
    FIELD("tls_cert_seen", SMTPCHK_FT_BOOL, NULL, has_cert, ALWAYS, COL(41, "CertSeen"), 0,
          "true when the server presented a certificate"),
    FIELD("tls_cert_subject", SMTPCHK_FT_TEXT, NULL, cert_subject, OFF(has_cert), NOCOL,
          SMTPCHK_FF_HUMAN, "the server certificate's subject"),
    FIELD("tls_cert_issuer", SMTPCHK_FT_TEXT, NULL, cert_issuer, OFF(has_cert), NOCOL,
          SMTPCHK_FF_HUMAN, "the server certificate's issuer"),
    FIELD("tls_cert_days_left", SMTPCHK_FT_INT, "days", cert_days_left, OFF(has_cert),
          COL(25, "CertDaysLeft"), SMTPCHK_FF_HUMAN | SMTPCHK_FF_PERFDATA,
          "whole days until the certificate expires; negative once expired"),
    FIELD("size_limit", SMTPCHK_FT_COUNT, "octets", size_limit, ALWAYS,
          COL(22, "MaxMessageSize"), 0,
          "the SIZE the server announced; 0 = none or unlimited"),
    FIELD("capabilities", SMTPCHK_FT_CAPS, NULL, caps, ALWAYS, NOCOL, 0,
          "the EHLO capabilities this client knows that the server announced"),
    FIELD("auth_mechanisms", SMTPCHK_FT_MECHS, NULL, server_auth, ALWAYS, NOCOL, 0,
          "the AUTH mechanisms the server offered"),
    FIELD("auth_mech", SMTPCHK_FT_TEXT, NULL, auth_mech, ALWAYS, NOCOL, SMTPCHK_FF_HUMAN,
          "the AUTH mechanism used"),
    FIELD("used_helo", SMTPCHK_FT_BOOL, NULL, used_helo, ALWAYS, NOCOL, 0,
          "true when EHLO was refused and HELO was used"),
    FIELD("quit_clean", SMTPCHK_FT_BOOL, NULL, quit_clean, ALWAYS, NOCOL, 0,
          "true when QUIT got its 221"),
    FIELD("phases_run", SMTPCHK_FT_PHASES, NULL, phase_us, ALWAYS, COL(40, "PhasesRun"),
          SMTPCHK_FF_DERIVED, "the phases that ran (their times below are not null)"),
    PHASE("dns_time", SMTPCHK_PHASE_DNS, COL(12, "DnsTime"), USCOL(42, "DnsTimeUs"),
          "resolving the host name"),
    PHASE("connect_time", SMTPCHK_PHASE_CONNECT, COL(7, "ConnectTime"),
          USCOL(43, "ConnectTimeUs"), "the TCP handshake"),
    PHASE("tls_time", SMTPCHK_PHASE_TLS, COL(13, "TlsTime"), USCOL(44, "TlsTimeUs"),
          "the TLS handshake (implicit TLS or STARTTLS)"),
    PHASE("greeting_time", SMTPCHK_PHASE_GREETING, COL(14, "GreetingTime"),
          USCOL(45, "GreetingTimeUs"), "from connected to the 220 greeting"),
    PHASE("ehlo_time", SMTPCHK_PHASE_EHLO, COL(15, "EhloTime"), USCOL(46, "EhloTimeUs"),
          "EHLO (and HELO), both of them with STARTTLS"),
    PHASE("login_time", SMTPCHK_PHASE_LOGIN, COL(8, "LoginTime"), USCOL(47, "LoginTimeUs"),
          "AUTH, from the command to 235"),
    PHASE("transfer_time", SMTPCHK_PHASE_TRANSFER, COL(16, "TransferTime"),
          USCOL(48, "TransferTimeUs"), "MAIL FROM to the reply after the mail"),
    PHASE("quit_time", SMTPCHK_PHASE_QUIT, COL(17, "QuitTime"), USCOL(49, "QuitTimeUs"),
          "QUIT to 221 or the close"),
    PHASE("delivery_time", SMTPCHK_PHASE_DELIVERY, COL(55, "DeliveryTime"),
          USCOL(56, "DeliveryTimeUs"),
          "round trip: from the final 250 after DATA to the first poll that found the mail"),
    PHASE("total_time", SMTPCHK_PHASE_TOTAL, COL(18, "TotalTime"), USCOL(50, "TotalTimeUs"),
          "the whole check, DNS to close"),
};

size_t
smtpchk_field_count(void)
{
    return NELEM(fields);
}

const smtpchk_field *
smtpchk_field_at(size_t i)
{
    return i < NELEM(fields) ? &fields[i] : NULL;
}

const smtpchk_field *
smtpchk_field_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < NELEM(fields); i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

const smtpchk_field *
smtpchk_field_by_column(unsigned col)
{
    for (size_t i = 0; col != 0 && i < NELEM(fields); i++)
        if (fields[i].mib_column == col || fields[i].mib_us_column == col)
            return &fields[i];
    return NULL;
}

const char *
smtpchk_ftype_name(smtpchk_ftype t)
{
    static const char *const names[] = {
        "duration", "integer", "count", "boolean", "text", "error", "error-name",
        "boolean", "step", "enhanced-status", "capabilities", "mechanisms", "phases"};
    return (size_t)t < NELEM(names) ? names[t] : "unknown";
}

/* ---- raw storage ---- */

static const void *
at(const smtpchk_result *r, const smtpchk_field *f)
{
    return (const char *)r + f->offset;
}

static int
read_int(const smtpchk_result *r, size_t off)
{
    int v;
    memcpy(&v, (const char *)r + off, sizeof(v));
    return v;
}

static int64_t
read_i64(const smtpchk_result *r, const smtpchk_field *f)
{
    int64_t v;
    memcpy(&v, at(r, f), sizeof(v));
    return v;
}

static int64_t
encode_status(const smtpchk_result *r, const smtpchk_field *f)
{
    int c = read_int(r, f->offset), s = read_int(r, f->offset + sizeof(int)),
        d = read_int(r, f->offset + 2 * sizeof(int));
    if (c < 0 || s < 0 || d < 0)
        return -1;
    return ((int64_t)c * 1000 + s) * 1000 + d;
}

static bool
present(const smtpchk_field *f, const smtpchk_result *r)
{
    if (f->present_if < 0)
        return true;
    bool b;
    memcpy(&b, (const char *)r + f->present_if, sizeof(b));
    return b;
}

/* ---- get ---- */

/* Which phases ran: the total always "runs", so it is left out. */
static int64_t
phases_run(const smtpchk_result *r)
{
    int64_t bits = 0;
    for (int p = 0; p < SMTPCHK_PHASE_TOTAL; p++)
        if (r->phase_us[p] >= 0)
            bits |= (int64_t)1 << p;
    return bits;
}

static void
get_number(const smtpchk_field *f, const smtpchk_result *r, smtpchk_value *v)
{
    switch (f->type) {
    case SMTPCHK_FT_DURATION:
        v->i = read_i64(r, f);
        v->present = v->i >= 0;
        break;
    case SMTPCHK_FT_COUNT: {
        uint64_t u;
        memcpy(&u, at(r, f), sizeof(u));
        v->i = u > INT64_MAX ? INT64_MAX : (int64_t)u;
        break;
    }
    case SMTPCHK_FT_BOOL: {
        bool b;
        memcpy(&b, at(r, f), sizeof(b));
        v->i = b;
        break;
    }
    case SMTPCHK_FT_STATUS:
        v->i = encode_status(r, f);
        v->present = v->i >= 0;
        break;
    default: /* int-sized: INT, ERROR, STEP, sets */
        v->i = (int64_t)read_int(r, f->offset);
        break;
    }
}

smtpchk_value
smtpchk_field_get(const smtpchk_field *f, const smtpchk_result *r)
{
    smtpchk_value v = {.present = present(f, r)};
    switch (f->type) {
    case SMTPCHK_FT_TEXT:
        v.s = at(r, f);
        v.present = v.present && v.s[0] != '\0';
        return v;
    case SMTPCHK_FT_ERROR_NAME:
        v.i = read_int(r, f->offset);
        v.s = smtpchk_error_name((smtpchk_error)v.i);
        return v;
    case SMTPCHK_FT_OK:
        v.i = read_int(r, f->offset) == SMTPCHK_OK;
        return v;
    case SMTPCHK_FT_STEP:
        v.i = read_int(r, f->offset);
        v.s = smtpchk_step_name((smtpchk_step)v.i);
        return v;
    case SMTPCHK_FT_PHASES:
        v.i = phases_run(r);
        return v;
    default:
        if (v.present)
            get_number(f, r, &v); /* durations and status: absent when < 0 */
        return v;
    }
}

void
smtpchk_status_text(smtpchk_value v, char *buf, size_t len)
{
    if (!v.present || v.i < 0) {
        snprintf(buf, len, "%s", "");
        return;
    }
    snprintf(buf, len, "%" PRId64 ".%" PRId64 ".%" PRId64, v.i / 1000000, v.i / 1000 % 1000,
             v.i % 1000);
}

/* ---- text form, for the persisted state ---- */

int
smtpchk_field_format(const smtpchk_field *f, const smtpchk_result *r, char *buf, size_t len)
{
    if (f->flags & SMTPCHK_FF_DERIVED)
        return -1;
    if (f->type == SMTPCHK_FT_TEXT)
        return snprintf(buf, len, "%s", (const char *)at(r, f));
    smtpchk_value v = {0};
    get_number(f, r, &v);
    if (f->type == SMTPCHK_FT_COUNT) {
        uint64_t u;
        memcpy(&u, at(r, f), sizeof(u));
        return snprintf(buf, len, "%" PRIu64, u);
    }
    return snprintf(buf, len, "%" PRId64, v.i);
}

static int
parse_i64(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int
store_int(smtpchk_result *r, size_t off, int64_t v)
{
    int i = (int)v;
    memcpy((char *)r + off, &i, sizeof(i));
    return 0;
}

static int
store_status(smtpchk_result *r, const smtpchk_field *f, int64_t v)
{
    int parts[3] = {-1, -1, -1};
    if (v >= 0) {
        parts[0] = (int)(v / 1000000);
        parts[1] = (int)(v / 1000 % 1000);
        parts[2] = (int)(v % 1000);
    }
    memcpy((char *)r + f->offset, parts, sizeof(parts));
    return 0;
}

static int
store_number(const smtpchk_field *f, smtpchk_result *r, const char *text)
{
    int64_t v;
    switch (f->type) {
    case SMTPCHK_FT_DURATION:
        if (parse_i64(text, -1, INT64_MAX, &v) != 0)
            return -1;
        memcpy((char *)r + f->offset, &v, sizeof(v));
        return 0;
    case SMTPCHK_FT_COUNT: {
        char *end = NULL;
        errno = 0;
        unsigned long long u = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
            return -1;
        uint64_t x = u;
        memcpy((char *)r + f->offset, &x, sizeof(x));
        return 0;
    }
    case SMTPCHK_FT_BOOL: {
        if (parse_i64(text, 0, 1, &v) != 0)
            return -1;
        bool b = v != 0;
        memcpy((char *)r + f->offset, &b, sizeof(b));
        return 0;
    }
    case SMTPCHK_FT_STATUS:
        if (parse_i64(text, -1, 999999999, &v) != 0)
            return -1;
        return store_status(r, f, v);
    case SMTPCHK_FT_ERROR:
        return parse_i64(text, 0, SMTPCHK_ERR__COUNT - 1, &v) ? -1 : store_int(r, f->offset, v);
    case SMTPCHK_FT_STEP:
        return parse_i64(text, 0, SMTPCHK_STEP__COUNT - 1, &v) ? -1 : store_int(r, f->offset, v);
    default: /* INT and bit sets */
        return parse_i64(text, INT32_MIN, INT32_MAX, &v) ? -1 : store_int(r, f->offset, v);
    }
}

int
smtpchk_field_parse(const smtpchk_field *f, smtpchk_result *r, const char *text)
{
    if (f->flags & SMTPCHK_FF_DERIVED)
        return -1;
    if (f->type != SMTPCHK_FT_TEXT)
        return store_number(f, r, text);
    size_t len = strlen(text);
    if (len >= f->size)
        return -1;
    memcpy((char *)r + f->offset, text, len + 1);
    return 0;
}
