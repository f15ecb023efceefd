/*
 * The check schema: the one table of check settings (schema.h). Everything
 * that names, parses, checks, documents or offers a check setting reads
 * this table; nothing else lists them.
 */
#include "schema_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "history.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MEMBER_SIZE(type, m) ((unsigned char)sizeof(((type *)0)->m))
#define CHECK(m) .at = AT_CHECK, .off = offsetof(smtpchk_check, m), \
                 .size = MEMBER_SIZE(smtpchk_check, m)
#define ENTRY(m) .at = AT_ENTRY, .off = offsetof(smtpchk_config_entry, m), \
                 .size = MEMBER_SIZE(smtpchk_config_entry, m)
#define ALARM(m) ENTRY(alarms.m)
#define RUN(m) .at = AT_RUN, \
               .off = offsetof(smtpchk_fill, m) - offsetof(smtpchk_fill, max_in_flight), \
               .size = MEMBER_SIZE(smtpchk_fill, m)
#define CONTENT(m) .off2 = offsetof(smtpchk_check, m)

#define BOTH (SMTPCHK_IN_DEFAULTS | SMTPCHK_IN_CHECK)
#define IN_CHECK SMTPCHK_IN_CHECK
#define IN_DEFAULTS SMTPCHK_IN_DEFAULTS
#define T(x) SMTPCHK_ST_##x
#define S(x) SMTPCHK_SYN_##x
#define F(x) SMTPCHK_F_##x
/* Settings of one protocol: a user who writes them for another gets an
 * error (validate.c), not a silently ignored setting. */
#define SMTP_ONLY .protocols = SMTPCHK_PROTO_BIT(SMTPCHK_PROTO_SMTP)
#define IMAP_ONLY .protocols = SMTPCHK_PROTO_BIT(SMTPCHK_PROTO_IMAP)

/* ---- the values an ENUM accepts ---- */

static const char *
security_value(int v)
{
    return v >= SMTPCHK_SEC_NONE && v <= SMTPCHK_SEC_TLS
               ? smtpchk_security_name((smtpchk_security)v) : NULL;
}

/* TLS 1.0 and 1.1 are gone: OpenSSL 3 refuses them at its default
 * security level, so offering them would only fail later. */
static const char *
tls_version_value(int v)
{
    return v == TLS1_2_VERSION ? "1.2" : v == TLS1_3_VERSION ? "1.3" : NULL;
}

static const char *
mech_value(int v)
{
    return smtpchk_auth_mech_name((unsigned)v);
}

static const char *
mx_policy_value(int v)
{
    return v >= SMTPCHK_MX_ALL && v <= SMTPCHK_MX_PRIMARY
               ? smtpchk_mx_policy_name((smtpchk_mx_policy)v) : NULL;
}

static const char *
rt_protocol_value(int v)
{
    return v == SMTPCHK_PROTO_IMAP || v == SMTPCHK_PROTO_POP3
               ? smtpchk_protocol_name((smtpchk_protocol)v) : NULL;
}

static const enum_def rt_protocol_values = {SMTPCHK_PROTO_IMAP, SMTPCHK_PROTO_POP3, rt_protocol_value};

static const char *
protocol_value(int v)
{
    return v >= 0 && v < SMTPCHK_PROTO__COUNT ? smtpchk_protocol_name((smtpchk_protocol)v)
                                              : NULL;
}

static const enum_def protocol_values = {0, SMTPCHK_PROTO__COUNT - 1, protocol_value};
static const enum_def mx_policy_values = {SMTPCHK_MX_ALL, SMTPCHK_MX_PRIMARY, mx_policy_value};
static const enum_def security_values = {SMTPCHK_SEC_NONE, SMTPCHK_SEC_TLS, security_value};
static const enum_def tls_values = {TLS1_2_VERSION, TLS1_3_VERSION, tls_version_value};
static const enum_def mech_values = {SMTPCHK_AUTH_PLAIN, SMTPCHK_AUTH_CRAM_MD5, mech_value};

/* ---- defaults that depend on other values ---- */

static uint32_t
default_ms(const row *r)
{
    double s = 0;
    sscanf(r->f.def, "%lf", &s);
    return (uint32_t)(s * 1000.0 + 0.5);
}

static bool
given(const smtpchk_fill *f, const char *key)
{
    return (f->given & bit_of(smtpchk_schema_find_key(key))) != 0;
}

/* 10 s, but never beyond the whole check's deadline. */
static void
derive_step(smtpchk_fill *f)
{
    smtpchk_check *c = f->entry->check;
    uint32_t def = default_ms(row_of(smtpchk_schema_find_key("step_timeout")));
    if (!given(f, "step_timeout"))
        c->step_timeout_ms = c->timeout_ms < def ? c->timeout_ms : def;
}

/* A tenth of the interval, at most 30 s: checks with the same interval
 * do not all fire at once. */
static void
derive_jitter(smtpchk_fill *f)
{
    smtpchk_config_entry *e = f->entry;
    uint32_t cap = default_ms(row_of(smtpchk_schema_find_key("jitter")));
    uint32_t j = e->interval_ms / 10;
    if (!given(f, "jitter"))
        e->jitter_ms = j < cap ? j : cap;
}

/* ---- the table ---- */

static const row rows[] = {
    /* identity: the check file's own */
    {.f = {.key = "index", .type = T(INT), .scope = IN_CHECK,
           .flags = F(FILE_REQUIRED) | F(UNIQUE) | F(ZERO_UNSET), .lo = 1, .hi = 65535,
           .example = "1", .doc = "the SNMP row index (smtpCheckIndex): keep it stable"},
     CHECK(index)},
    {.f = {.key = "name", .type = T(STRING), .syntax = S(NAME), .scope = IN_CHECK,
           .flags = F(FILE_REQUIRED) | F(UNIQUE), .lo = 1, .hi = 64, .example = "mx1",
           .doc = "a label for output and smtpCheckName"},
     CHECK(name)},
    /* connection */
    {.f = {.key = "protocol", .option = "protocol", .arg = "PROTO", .type = T(ENUM),
           .scope = IN_CHECK, .def = "smtp", .example = "imap",
           .doc = "what is checked: an SMTP server, or a login to an IMAP or POP3 mailbox "
                  "(docs/config.md)"},
     CHECK(protocol), .values = &protocol_values},
    {.f = {.key = "host", .type = T(STRING), .syntax = S(HOST), .scope = IN_CHECK,
           .lo = 1, .hi = 255, .def_doc = "none: host or mx is required",
           .example = "mx1.example.net",
           .doc = "host name or IPv4/IPv6 address (the CLI's HOST arguments)"},
     CHECK(host)},
    {.f = {.key = "mx", .option = "mx", .arg = "DOMAIN", .type = T(STRING),
           .syntax = S(HOSTNAME), .scope = IN_CHECK, .lo = 1, .hi = 253,
           .def_doc = "none", .example = "example.org",
           .doc = "check every address of every MX of this domain, in preference order, "
                  "instead of one host (docs/config.md)", SMTP_ONLY},
     CHECK(mx)},
    {.f = {.key = "mx_policy", .option = "mx-policy", .arg = "POLICY", .type = T(ENUM),
           .scope = BOTH, .def = "all", .example = "any",
           .doc = "an MX check is OK when all its targets are, any one is, or every target "
                  "of the primary (lowest preference) MX is", SMTP_ONLY},
     CHECK(mx_policy), .values = &mx_policy_values, .noun = "MX policy"},
    {.f = {.key = "dns_servers", .option = "dns-server", .arg = "IP[:PORT]", .type = T(STRING),
           .syntax = S(DNS_SERVERS), .scope = BOTH, .lo = 1, .hi = 255,
           .def_doc = "the system's (/etc/resolv.conf)", .example = "192.0.2.53,[2001:db8::53]:5353",
           .doc = "DNS servers to ask instead of the system's, comma-separated IP[:port]"},
     CHECK(dns_servers)},
    {.f = {.key = "port", .option = "port", .short_opt = 'p', .arg = "N", .type = T(INT),
           .scope = IN_CHECK, .flags = F(ZERO_UNSET), .lo = 1, .hi = 65535,
           .def_doc = "by protocol and security: smtp 25 (tls 465), imap 143 (tls 993), "
                      "pop3 110 (tls 995)",
           .example = "25",
           .doc = "TCP port"},
     CHECK(port)},
    {.f = {.key = "security", .option = "security", .arg = "MODE", .type = T(ENUM),
           .scope = IN_CHECK, .def = "none", .example = "starttls",
           .doc = "plain, STARTTLS (never falls back to plain) or implicit TLS"},
     CHECK(security), .values = &security_values},
    {.f = {.key = "source", .option = "source", .arg = "ADDR", .type = T(STRING),
           .syntax = S(HOST), .scope = IN_CHECK, .lo = 1, .hi = 255, .def_doc = "any",
           .example = "127.0.0.1", .doc = "local address to connect from"},
     CHECK(source_addr), .noun = "source address"},
    {.f = {.key = "strict_quit", .option = "strict-quit", .type = T(BOOL), .scope = IN_CHECK,
           .flags = F(FLAG), .def = "false", .example = "true",
           .doc = "a missing 221 reply to QUIT fails the check (quitFailure)", SMTP_ONLY},
     CHECK(strict_quit)},
    {.f = {.key = "probe", .option = "probe", .arg = "CMD", .type = T(LIST),
           .syntax = S(PROBE), .scope = IN_CHECK, .flags = F(REPEAT), .hi = SMTPCHK_MAX_PROBES,
           .def_doc = "none", .example = "VRFY postmaster",
           .doc = "NOOP, RSET, HELP or \"VRFY <address>\" (exact case), sent after the login "
                  "and the test mail; their codes are recorded", SMTP_ONLY},
     CHECK(probes), .off2 = offsetof(smtpchk_check, nprobes)},
    {.f = {.key = "mailbox", .option = "mailbox", .arg = "NAME", .type = T(STRING),
           .syntax = S(NAME), .scope = IN_CHECK, .lo = 1, .hi = 255, .def_doc = "INBOX",
           .example = "Archive", .doc = "the IMAP mailbox to SELECT", IMAP_ONLY},
     CHECK(mailbox)},
    /* timing and EHLO: in defaults too */
    {.f = {.key = "interval", .type = T(SECONDS), .scope = BOTH, .lo = 1, .hi = 86400,
           .def = "60", .example = "300", .doc = "time between two starts of a check"},
     ENTRY(interval_ms)},
    {.f = {.key = "jitter", .type = T(SECONDS), .scope = BOTH, .lo = 0, .hi = 86400,
           .def = "30", .def_doc = "interval / 10, at most 30", .example = "5",
           .doc = "each run starts up to this much late, so that checks do not all fire at once"},
     ENTRY(jitter_ms), .derive = derive_jitter},
    {.f = {.key = "history", .type = T(INT), .scope = BOTH, .lo = 0,
           .hi = SMTPCHK_HISTORY_MAX, .def = "50", .example = "100",
           .doc = "runs kept in smtpCheckHistoryTable, oldest dropped first (0 = none)"},
     ENTRY(history)},
    {.f = {.key = "timeout", .option = "timeout", .arg = "S", .type = T(SECONDS),
           .scope = BOTH, .lo = 0.1, .hi = 3600, .def = "30", .example = "45",
           .doc = "deadline for the whole check"},
     CHECK(timeout_ms)},
    {.f = {.key = "step_timeout", .option = "step-timeout", .arg = "S", .type = T(SECONDS),
           .scope = BOTH, .lo = 0.1, .hi = 3600, .def = "10",
           .def_doc = "10, or timeout when lower", .example = "15.5",
           .doc = "deadline for each step (connect, TLS, each command)"},
     CHECK(step_timeout_ms), .derive = derive_step},
    {.f = {.key = "ehlo_name", .option = "ehlo-name", .arg = "NAME", .type = T(STRING),
           .syntax = S(HOSTNAME), .scope = BOTH, .lo = 1, .hi = 255,
           .def_doc = "this host's FQDN", .example = "probe.example.net",
           .doc = "name sent with EHLO/HELO", SMTP_ONLY},
     CHECK(ehlo_name), .noun = "EHLO name"},
    {.f = {.key = "max_in_flight", .option = "max-in-flight", .arg = "N", .type = T(INT),
           .scope = IN_DEFAULTS, .lo = 1, .hi = 100000, .def = "256", .example = "64",
           .doc = "checks running at the same time"},
     RUN(max_in_flight)},
    {.f = {.key = "max_per_server", .option = "max-per-server", .arg = "N", .type = T(INT),
           .scope = IN_DEFAULTS, .lo = 1, .hi = 100000, .def = "32", .example = "16",
           .doc = "checks running at the same time against one server (host as "
                  "written, and port); more wait, their deadlines not started"},
     RUN(max_per_server)},
    /* tls */
    {.f = {.key = "tls.verify", .option = "insecure", .type = T(BOOL), .scope = BOTH,
           .flags = F(FLAG), .def = "true", .example = "false",
           .doc = "verify the certificate chain and the host name (--insecure turns it off)"},
     CHECK(tls_verify)},
    {.f = {.key = "tls.ca_file", .option = "ca-file", .arg = "FILE", .type = T(PATH),
           .syntax = S(CA_FILE), .scope = BOTH, .def_doc = "the system store",
           .example = "/etc/ssl/certs/ca-certificates.crt", .doc = "PEM bundle of trusted CAs"},
     CHECK(ca_file)},
    {.f = {.key = "tls.ca_dir", .option = "ca-dir", .arg = "DIR", .type = T(PATH),
           .syntax = S(CA_DIR), .scope = BOTH, .def_doc = "the system store",
           .example = "/etc/ssl/certs", .doc = "hashed CA directory (c_rehash)"},
     CHECK(ca_dir)},
    {.f = {.key = "tls.min_version", .option = "tls-min", .arg = "VERSION", .type = T(ENUM),
           .scope = BOTH, .flags = F(ZERO_UNSET), .def_doc = "OpenSSL's default (1.2)",
           .example = "1.3", .doc = "oldest TLS version accepted"},
     CHECK(tls_min_version), .values = &tls_values, .noun = "TLS minimum version"},
    /* auth */
    {.f = {.key = "auth.user", .option = "user", .arg = "USER", .type = T(STRING),
           .scope = IN_CHECK, .flags = F(GROUP_REQUIRED), .lo = 1, .hi = 255,
           .example = "monitor",
           .doc = "log in as this user after EHLO (and STARTTLS); an IMAP or POP3 check "
                  "needs it"},
     CHECK(user)},
    {.f = {.key = "auth.password_file", .option = "password-file", .arg = "FILE",
           .type = T(PATH), .syntax = S(SECRET_FILE), .scope = IN_CHECK,
           .flags = F(GROUP_REQUIRED), .example = "/etc/smtpcheck/mx1.pw",
           .doc = "its first line is the password (the CLI also takes SMTPCHECK_PASSWORD)"},
     ENTRY(password_file), CONTENT(password), .noun = "password"},
    {.f = {.key = "auth.mechanisms", .option = "auth-mechs", .arg = "LIST", .type = T(LIST),
           .syntax = S(MECHANISM), .scope = IN_CHECK, .flags = F(SPLIT), .lo = 1, .hi = 8,
           .def = "PLAIN,LOGIN,CRAM-MD5", .example = "PLAIN,LOGIN",
           .doc = "allowed mechanisms; of those the server offers, the first in the "
                  "order of docs/cli.md is used"},
     CHECK(auth_mechs), .values = &mech_values},
    {.f = {.key = "auth.allow_insecure", .option = "allow-insecure-auth", .type = T(BOOL),
           .scope = IN_CHECK, .flags = F(FLAG), .def = "false", .example = "true",
           .doc = "allow AUTH on a connection without TLS"},
     CHECK(allow_insecure_auth)},
    /* mail */
    {.f = {.key = "mail.from", .option = "from", .arg = "ADDR", .type = T(STRING),
           .syntax = S(ADDRESS), .scope = IN_CHECK, .lo = 1, .hi = 255,
           .example = "probe@example.net", .doc = "envelope and header sender", SMTP_ONLY},
     CHECK(mail_from), .noun = "sender address"},
    {.f = {.key = "mail.to", .option = "to", .arg = "ADDR", .type = T(LIST),
           .syntax = S(ADDRESS), .scope = IN_CHECK, .flags = F(REPEAT), .hi = SMTPCHK_MAX_RCPT,
           .def_doc = "none: no test mail", .example = "ops@example.net",
           .doc = "recipients; a test mail is sent when there is one", SMTP_ONLY},
     CHECK(rcpt), .off2 = offsetof(smtpchk_check, nrcpt), .noun = "recipient address"},
    {.f = {.key = "mail.subject", .option = "subject", .arg = "TEXT", .type = T(STRING),
           .syntax = S(HEADER), .scope = IN_CHECK, .example = "SMTP probe",
           .doc = "Subject header (RFC 2047-encoded when not ASCII)", SMTP_ONLY},
     CHECK(subject), .noun = "subject"},
    {.f = {.key = "mail.body_html", .type = T(STRING), .syntax = S(TEXT), .scope = IN_CHECK,
           .hi = BODY_MAX, .example = "<p>probe</p>", .doc = "HTML body", SMTP_ONLY},
     CHECK(body_html)},
    {.f = {.key = "mail.body_html_file", .option = "body-file", .arg = "FILE",
           .type = T(PATH), .syntax = S(BODY_FILE), .scope = IN_CHECK,
           .example = "probe.html", .doc = "HTML body read from a file", SMTP_ONLY},
     ENTRY(body_html_file), CONTENT(body_html)},
    {.f = {.key = "mail.body_text", .type = T(STRING), .syntax = S(TEXT), .scope = IN_CHECK,
           .hi = BODY_MAX, .example = "probe", .doc = "plain-text alternative", SMTP_ONLY},
     CHECK(body_text)},
    {.f = {.key = "mail.body_text_file", .option = "text-file", .arg = "FILE",
           .type = T(PATH), .syntax = S(BODY_FILE), .scope = IN_CHECK,
           .example = "probe.txt", .doc = "plain-text alternative read from a file", SMTP_ONLY},
     ENTRY(body_text_file), CONTENT(body_text)},
    /* roundtrip: the test mail read back from a mailbox */
    {.f = {.key = "roundtrip.protocol", .option = "roundtrip-protocol", .arg = "PROTO",
           .type = T(ENUM), .scope = IN_CHECK,
           .flags = F(GROUP_REQUIRED) | F(ZERO_UNSET), .def_doc = "none: no round trip",
           .example = "imap",
           .doc = "read the test mail back over IMAP or POP3 and time its delivery "
                  "(the CLI's --roundtrip URL sets this group at once)", SMTP_ONLY},
     CHECK(rt.protocol), .values = &rt_protocol_values, .noun = "round-trip protocol"},
    {.f = {.key = "roundtrip.host", .option = "roundtrip-host", .arg = "HOST",
           .type = T(STRING), .syntax = S(HOST), .scope = IN_CHECK,
           .flags = F(GROUP_REQUIRED), .lo = 1, .hi = 255, .example = "imap.example.net",
           .doc = "the mailbox server's host name or address", SMTP_ONLY},
     CHECK(rt.host), .noun = "round-trip host"},
    {.f = {.key = "roundtrip.port", .option = "roundtrip-port", .arg = "N",
           .type = T(INT), .scope = IN_CHECK, .flags = F(ZERO_UNSET),
           .lo = 1, .hi = 65535, .def_doc = "143 or 993 (IMAP), 110 or 995 (POP3)",
           .example = "993", .doc = "the mailbox server's TCP port", SMTP_ONLY},
     CHECK(rt.port), .noun = "round-trip port"},
    {.f = {.key = "roundtrip.security", .option = "roundtrip-security", .arg = "MODE",
           .type = T(ENUM), .scope = IN_CHECK, .def = "none", .def_doc = "none, or tls for "
           "imaps:// and pop3s://", .example = "tls",
           .doc = "plain, STARTTLS (STLS for POP3) or implicit TLS to the mailbox server", SMTP_ONLY},
     CHECK(rt.security), .values = &security_values, .noun = "round-trip security"},
    {.f = {.key = "roundtrip.user", .option = "roundtrip-user", .arg = "USER",
           .type = T(STRING), .scope = IN_CHECK,
           .flags = F(GROUP_REQUIRED), .lo = 1, .hi = 255, .example = "probe",
           .doc = "the mailbox's user", SMTP_ONLY},
     CHECK(rt.user), .noun = "round-trip user"},
    {.f = {.key = "roundtrip.password_file", .option = "roundtrip-password-file", .arg = "FILE",
           .type = T(PATH), .syntax = S(SECRET_FILE), .scope = IN_CHECK,
           .flags = F(GROUP_REQUIRED), .example = "/etc/smtpcheck/probe-imap.pw",
           .doc = "its first line is the mailbox's password (same rules as auth.password_file)", SMTP_ONLY},
     ENTRY(rt_password_file), CONTENT(rt.password), .noun = "round-trip password"},
    {.f = {.key = "roundtrip.allow_insecure", .option = "roundtrip-allow-insecure",
           .type = T(BOOL), .scope = IN_CHECK, .flags = F(FLAG), .def = "false",
           .example = "true",
           .doc = "allow the mailbox login on a connection without TLS", SMTP_ONLY},
     CHECK(rt.allow_insecure_auth), .noun = "round-trip insecure login"},
    {.f = {.key = "roundtrip.mailbox", .option = "roundtrip-mailbox", .arg = "NAME",
           .type = T(STRING), .syntax = S(HEADER),
           .scope = IN_CHECK, .lo = 1, .hi = 255, .def_doc = "INBOX", .example = "INBOX",
           .doc = "the IMAP mailbox the test mail arrives in (POP3 has only one)", SMTP_ONLY},
     CHECK(rt.mailbox), .noun = "round-trip mailbox"},
    {.f = {.key = "roundtrip.timeout", .option = "roundtrip-timeout", .arg = "S",
           .type = T(SECONDS), .scope = IN_CHECK, .lo = 1, .hi = 3600, .def = "60",
           .example = "120",
           .doc = "how long after the final 250 the mail may take to arrive "
                  "(deliveryTimeout after it); the check's deadline grows by it", SMTP_ONLY},
     CHECK(rt.timeout_ms), .noun = "round-trip timeout"},
    /* alarms: the SNMP module's */
    {.f = {.key = "alarms.connect_time", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 3600000, .def_doc = "off", .example = "500", .doc = "TCP connect time"},
     ALARM(connect_time)},
    {.f = {.key = "alarms.login_time", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 3600000, .def_doc = "off", .example = "1000", .doc = "AUTH time"},
     ALARM(login_time)},
    {.f = {.key = "alarms.transfer_time", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 3600000, .def_doc = "off", .example = "2000",
           .doc = "MAIL FROM to the final 250 after DATA"},
     ALARM(transfer_time)},
    {.f = {.key = "alarms.total_time", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 3600000, .def_doc = "off", .example = "5000", .doc = "the whole check"},
     ALARM(total_time)},
    {.f = {.key = "alarms.on_error", .type = T(BOOL), .scope = IN_CHECK, .def = "false",
           .example = "true",
           .doc = "alarm on a non-zero response code or error code (sets both below)"},
     ALARM(on_response_code), .off2 = offsetof(smtpchk_config_entry, alarms.on_error_code)},
    {.f = {.key = "alarms.response_code", .type = T(BOOL), .scope = IN_CHECK,
           .def_doc = "on_error", .example = "true",
           .doc = "alarm on a non-zero response code (an SMTP reply ended the check)"},
     ALARM(on_response_code)},
    {.f = {.key = "alarms.error_code", .type = T(BOOL), .scope = IN_CHECK,
           .def_doc = "on_error", .example = "false",
           .doc = "alarm on a non-zero error code (docs/errors.md)"},
     ALARM(on_error_code)},
    {.f = {.key = "alarms.consecutive_failures", .type = T(INT), .scope = IN_CHECK, .lo = 1,
           .hi = 1000, .def = "1", .example = "3",
           .doc = "failed runs in a row before a code alarm is raised"},
     ALARM(consecutive_failures)},
    {.f = {.key = "alarms.cert_days", .type = T(INT), .scope = IN_CHECK, .lo = 0, .hi = 3650,
           .def = "-1", .def_doc = "off", .example = "14",
           .doc = "alarm when the certificate expires in fewer days than this"},
     ALARM(cert_days)},
    {.f = {.key = "alarms.availability", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 1000, .unit = "per mille", .def_doc = "off", .example = "995",
           .doc = "successful runs in the last hour: raised below falling, cleared at or "
                  "above rising"},
     ALARM(availability)},
    {.f = {.key = "alarms.delivery_time", .type = T(THRESHOLD), .scope = IN_CHECK, .lo = 1,
           .hi = 3600000, .def_doc = "off", .example = "30000",
           .doc = "round trip: the final 250 after DATA to the mail found in the mailbox"},
     ALARM(delivery_time)},
};

/* The fill's bit masks have one bit per row. */
_Static_assert(NELEM(rows) <= 64, "more than 64 schema rows: widen smtpchk_fill's masks");

static const struct {
    const char *group, *title;
} groups[] = {
    {"", "Connection"}, {"tls", "TLS"}, {"auth", "AUTH"}, {"mail", "Test mail"},
    {"roundtrip", "Round trip (IMAP/POP3)"},
    {"alarms", "Alarms (SNMP module)"},
};

static const char *const type_names[SMTPCHK_ST__COUNT] = {
    "integer", "seconds", "bool", "string", "string", "path", "list of strings", "threshold",
};

static const char *const syntax_names[SMTPCHK_SYN__COUNT] = {
    "any", "name", "host", "hostname", "address", "header", "text", "probe", "mechanism",
    "secret-file", "body-file", "ca-file", "ca-dir", "dns-servers",
};

static const char *const flag_names[] = {
    "required", "file-required", "group-required", "unique", "repeat", "split", "flag",
    "zero-unset",
};
_Static_assert(1u << (NELEM(flag_names) - 1) == SMTPCHK_F__LAST, "a flag without a name");

const char *
smtpchk_schema_flag_name(unsigned bit)
{
    for (size_t i = 0; i < NELEM(flag_names); i++)
        if (bit == 1u << i)
            return flag_names[i];
    return NULL;
}

/* ---- lookups ---- */

size_t
smtpchk_schema_count(void)
{
    return NELEM(rows);
}

const row *
schema_row(size_t i)
{
    return i < NELEM(rows) ? &rows[i] : NULL;
}

const smtpchk_setting *
smtpchk_schema_field(size_t i)
{
    return i < NELEM(rows) ? &rows[i].f : NULL;
}

size_t
smtpchk_schema_index(const smtpchk_setting *f)
{
    return (size_t)(row_of(f) - rows);
}

const smtpchk_setting *
smtpchk_schema_find_key(const char *key)
{
    for (size_t i = 0; key != NULL && i < NELEM(rows); i++)
        if (strcmp(rows[i].f.key, key) == 0)
            return &rows[i].f;
    return NULL;
}

const smtpchk_setting *
smtpchk_schema_find_option(const char *option)
{
    for (size_t i = 0; option != NULL && i < NELEM(rows); i++)
        if (rows[i].f.option != NULL && strcmp(rows[i].f.option, option) == 0)
            return &rows[i].f;
    return NULL;
}

const char *
smtpchk_schema_leaf(const smtpchk_setting *f)
{
    const char *dot = strrchr(f->key, '.');
    return dot != NULL ? dot + 1 : f->key;
}

size_t
smtpchk_schema_group_len(const smtpchk_setting *f)
{
    const char *dot = strrchr(f->key, '.');
    return dot != NULL ? (size_t)(dot - f->key) : 0;
}

const char *
smtpchk_schema_group_title(const char *group, size_t len)
{
    for (size_t i = 0; i < NELEM(groups); i++)
        if (strlen(groups[i].group) == len && strncmp(groups[i].group, group, len) == 0)
            return groups[i].title;
    return NULL;
}

const char *
smtpchk_stype_name(smtpchk_stype t)
{
    return (unsigned)t < SMTPCHK_ST__COUNT ? type_names[t] : "unknown";
}

const char *
smtpchk_syntax_name(smtpchk_syntax s)
{
    return (unsigned)s < SMTPCHK_SYN__COUNT ? syntax_names[s] : "unknown";
}

/* ---- enum values ---- */

const char *
smtpchk_schema_value_name(const smtpchk_setting *f, size_t i)
{
    const enum_def *v = row_of(f)->values;
    for (int x = v != NULL ? v->first : 1; v != NULL && x <= v->last; x++) {
        const char *name = v->name(x);
        if (name != NULL && i-- == 0)
            return name;
    }
    return NULL;
}

int
schema_value_of(const enum_def *v, const char *name, size_t len, int *out)
{
    for (int x = v->first; x <= v->last; x++) {
        const char *n = v->name(x);
        if (n != NULL && strlen(n) == len && strncasecmp(n, name, len) == 0) {
            *out = x;
            return 0;
        }
    }
    return -1;
}

/* "a", "b" or "c". */
void
schema_values_text(const enum_def *v, bool quoted, char *buf, size_t len)
{
    const char *q = quoted ? "\"" : "";
    size_t n = 0, used = 0, total = 0;
    for (int x = v->first; x <= v->last; x++)
        total += v->name(x) != NULL;
    buf[0] = '\0';
    for (int x = v->first; x <= v->last && used < len; x++) {
        const char *name = v->name(x);
        if (name == NULL)
            continue;
        const char *sep = n == 0 ? "" : n + 1 == total ? " or " : ", ";
        used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s", sep, q, name, q);
        n++;
    }
}

/* ---- docs ---- */

void
smtpchk_schema_protocols_text(const smtpchk_setting *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (f->protocols == 0) {
        snprintf(buf, len, "all");
        return;
    }
    for (int p = 0; p < SMTPCHK_PROTO__COUNT && used < len; p++)
        if (f->protocols & SMTPCHK_PROTO_BIT(p))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                                     smtpchk_protocol_name((smtpchk_protocol)p));
}

void
smtpchk_schema_describe(const smtpchk_setting *f, char *buf, size_t len)
{
    const row *r = row_of(f);
    buf[0] = '\0';
    if (r->values != NULL) {
        schema_values_text(r->values, f->type == SMTPCHK_ST_ENUM, buf, len);
        return;
    }
    switch (f->type) {
    case SMTPCHK_ST_INT: snprintf(buf, len, "%.10g..%.10g", f->lo, f->hi); break;
    case SMTPCHK_ST_SECONDS: snprintf(buf, len, "%.10g..%.10g s", f->lo, f->hi); break;
    case SMTPCHK_ST_THRESHOLD:
        snprintf(buf, len, "%.10g..%.10g %s", f->lo, f->hi, f->unit ? f->unit : "ms");
        break;
    case SMTPCHK_ST_LIST: snprintf(buf, len, "at most %.10g", f->hi); break;
    case SMTPCHK_ST_STRING:
        if (f->lo > 0)
            snprintf(buf, len, "%.10g..%.10g bytes", f->lo, f->hi);
        else if (f->hi > 0)
            snprintf(buf, len, "at most %.10g bytes", f->hi);
        break;
    default: break;
    }
}

/* ---- user text in messages ---- */

const char *
smtpchk_shown(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = s[i];
        if (ch < 0x20 || ch == 0x7f)
            buf[i] = '?';
    }
    buf[i] = '\0';
    if (s[i] != '\0' && len > 4)
        memcpy(buf + len - 4, "...", 4);
    return buf;
}
