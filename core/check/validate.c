/*
 * The one validator. Every value of a check, from the check file, the
 * command line or code (smtpchk_check_validate), passes these checks;
 * each says its message twice: naming the field as its source does
 * ("\"from\"", "--from") and, for checks built in code, without names.
 */
#include "schema_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *const validate_threshold_keys[2] = {"rising", "falling"};

/* ---- what a string may hold ---- */

static bool
has_crlf(const char *s)
{
    return smtpchk_header_value_ok(s) != 0;
}

static bool
is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool
has_ctl(const char *s)
{
    for (; *s != '\0'; s++)
        if (is_ctl((unsigned char)*s))
            return true;
    return false;
}

static bool
has_space_or_ctl(const char *s)
{
    return strpbrk(s, " ") != NULL || has_ctl(s);
}

/* Brackets, spaces or control bytes would break MAIL FROM / RCPT TO. CR
 * and LF are left to has_crlf, which names them as injection. */
static bool
bare_address(const char *a)
{
    for (const char *p = a; *p != '\0'; p++)
        if (*p != '\r' && *p != '\n' && (strchr("<> \t", *p) != NULL || is_ctl((unsigned char)*p)))
            return false;
    return a[0] != '\0';
}

/* Exactly NOOP, RSET, HELP or "VRFY <argument>", one space, no control bytes. */
static bool
probe_ok(const char *p)
{
    static const char *const bare[] = {"NOOP", "RSET", "HELP"};
    for (size_t i = 0; i < NELEM(bare); i++)
        if (strcmp(p, bare[i]) == 0)
            return true;
    return strncmp(p, "VRFY ", 5) == 0 && p[5] != '\0' && p[5] != ' ' && !has_ctl(p);
}

static bool
too_long(const row *r, const char *s)
{
    return r->f.hi > 0 && (double)strlen(s) > r->f.hi;
}

/* ---- one string by syntax: 0, or -1 after saying why ---- */

static int
check_any(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (r->f.lo > 0 && s[0] == '\0')
        fill_say(f, r, item, true, "{} must not be empty", "no {}");
    else if (too_long(r, s))
        fill_say(f, r, item, true, "{} is longer than %.10g bytes", "{} is longer than %.10g bytes",
                 r->f.hi);
    else
        return 0;
    return -1;
}

/* Names, hosts and addresses are published (DisplayStrings, JSON): they
 * must be UTF-8 like everything else we publish. */
static int
not_utf8(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (smtpchk_utf8_ok(s) == 0)
        return 0;
    fill_say(f, r, item, true, "{} must be valid UTF-8", "bad {} (not UTF-8)");
    return -1;
}

static int
check_name(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (not_utf8(f, r, item, s) != 0)
        return -1;
    if (s[0] != '\0' && !too_long(r, s) && !has_ctl(s))
        return 0;
    fill_say(f, r, item, true, "{} must be %.10g to %.10g characters, without control characters",
             "bad {}", r->f.lo, r->f.hi);
    return -1;
}

static int
check_host(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (not_utf8(f, r, item, s) != 0)
        return -1;
    if (s[0] != '\0' && !too_long(r, s) && !has_space_or_ctl(s))
        return 0;
    fill_say(f, r, item, true, "{} must be a host name or address", "bad {}");
    return -1;
}

static int
check_hostname(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (not_utf8(f, r, item, s) != 0)
        return -1;
    if (has_crlf(s))
        fill_say(f, r, item, true, "{} contains CR or LF (header injection)", "bad {}");
    else if (s[0] == '\0' || too_long(r, s) || has_space_or_ctl(s))
        fill_say(f, r, item, true, "{} must be a host name without spaces", "bad {}");
    else
        return 0;
    return -1;
}

static int
check_address(smtpchk_fill *f, const row *r, long item, const char *s)
{
    const char *bare = item >= 0 ? "{} must hold bare addresses (no spaces or angle brackets)"
                                 : "{} must be a bare address (no spaces or angle brackets)";
    if (not_utf8(f, r, item, s) != 0)
        return -1;
    if (!bare_address(s) || too_long(r, s))
        fill_say(f, r, item, true, bare, "bad {} (header injection?)");
    else if (has_crlf(s))
        fill_say(f, r, item, true, "{} contains CR or LF (header injection)",
                 "bad {} (header injection?)");
    else
        return 0;
    return -1;
}

static int
check_utf8(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (smtpchk_utf8_ok(s) == 0)
        return check_any(f, r, item, s);
    fill_say(f, r, item, true, "{} must be valid UTF-8", "the subject and bodies must be UTF-8");
    return -1;
}

static int
check_header(smtpchk_fill *f, const row *r, long item, const char *s)
{
    if (!has_crlf(s))
        return check_utf8(f, r, item, s);
    fill_say(f, r, item, true, "{} contains CR or LF (header injection)",
             "CR or LF in the {} (header injection)");
    return -1;
}

static int
check_probe(smtpchk_fill *f, const row *r, long item, const char *s)
{
    char sh[64];
    if (probe_ok(s))
        return 0;
    fill_say(
        f, r, item, true, "probe \"%s\" is not allowed (NOOP, RSET, HELP or \"VRFY <address>\")",
        "probe must be NOOP, RSET, HELP or \"VRFY <address>\"", smtpchk_shown(s, sh, sizeof(sh)));
    return -1;
}

static int
check_mechanism(smtpchk_fill *f, const row *r, long item, const char *s)
{
    char sh[64], names[64];
    int bit;
    if (schema_value_of(r->values, s, strlen(s), &bit) == 0)
        return 0;
    schema_values_text(r->values, false, names, sizeof(names));
    fill_say(f, r, item, true, "unknown AUTH mechanism \"%s\" (%s)",
             "unknown AUTH mechanism \"%s\" (%s)", smtpchk_shown(s, sh, sizeof(sh)), names);
    return -1;
}

/* One "1.2.3.4", "1.2.3.4:53", "::1" or "[::1]:53" (what c-ares takes). */
static bool
dns_server_ok(const char *s, size_t len)
{
    char buf[64], port[8] = "";
    unsigned char a[16];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *addr = buf, *colon = strrchr(buf, ':');
    if (buf[0] == '[') {
        char *end = strchr(buf, ']');
        if (end == NULL || (end[1] != '\0' && end[1] != ':'))
            return false;
        if (end[1] == ':')
            snprintf(port, sizeof(port), "%s", end + 2);
        *end = '\0';
        addr++;
    } else if (colon != NULL && strchr(buf, ':') == colon) {
        *colon = '\0';
        snprintf(port, sizeof(port), "%s", colon + 1);
    }
    if (inet_pton(AF_INET, addr, a) != 1 && inet_pton(AF_INET6, addr, a) != 1)
        return false;
    char *end = port;
    long p = port[0] ? strtol(port, &end, 10) : 53;
    return *end == '\0' && p >= 1 && p <= 65535;
}

static int
check_dns_servers(smtpchk_fill *f, const row *r, long item, const char *s)
{
    bool ok = s[0] != '\0' && !too_long(r, s);
    for (const char *p = s; ok; p++) {
        size_t n = strcspn(p, ",");
        ok = dns_server_ok(p, n);
        p += n;
        if (*p == '\0')
            break;
    }
    if (ok)
        return 0;
    fill_say(f, r, item, true, "{} must be IP[:port] addresses separated by commas",
             "bad {}");
    return -1;
}

typedef int (*syntax_check)(smtpchk_fill *f, const row *r, long item, const char *s);

static const syntax_check syntax_checks[SMTPCHK_SYN__COUNT] = {
    [SMTPCHK_SYN_NAME] = check_name,         [SMTPCHK_SYN_HOST] = check_host,
    [SMTPCHK_SYN_HOSTNAME] = check_hostname, [SMTPCHK_SYN_ADDRESS] = check_address,
    [SMTPCHK_SYN_HEADER] = check_header,     [SMTPCHK_SYN_TEXT] = check_utf8,
    [SMTPCHK_SYN_PROBE] = check_probe,       [SMTPCHK_SYN_MECHANISM] = check_mechanism,
    [SMTPCHK_SYN_DNS_SERVERS] = check_dns_servers,
};

static int
check_string(smtpchk_fill *f, const row *r, long item, const char *s)
{
    syntax_check fn = syntax_checks[r->f.syntax];
    return (fn != NULL ? fn : check_any)(f, r, item, s);
}

/* ---- one value by type ---- */

int
validate_resolve(const row *r, fvalue *v)
{
    int x = 0;
    if (r->f.type == SMTPCHK_ST_ENUM) {
        if (v->s == NULL || schema_value_of(r->values, v->s, strlen(v->s), &x) != 0)
            return -1;
        v->i = x;
        return 0;
    }
    if (r->f.type != SMTPCHK_ST_LIST || r->values == NULL || v->items == NULL)
        return 0;
    v->i = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (schema_value_of(r->values, v->items[i], strlen(v->items[i]), &x) != 0)
            return -1;
        v->i |= x;
    }
    return 0;
}

static int
check_enum(smtpchk_fill *f, const row *r, fvalue *v)
{
    char names[128];
    if (v->s == NULL && r->values->name((int)v->i) != NULL)
        return 0; /* read back from memory: a number, no name */
    if (v->s != NULL && validate_resolve(r, v) == 0)
        return 0;
    schema_values_text(r->values, true, names, sizeof(names));
    fill_say(f, r, -1, true, "{} must be %s", "bad {}", names);
    return -1;
}

/* A stored mechanism mask: something allowed, nothing unknown. */
static int
check_mask(smtpchk_fill *f, const row *r, const fvalue *v)
{
    unsigned all = 0;
    for (int x = r->values->first; x <= r->values->last; x++)
        all |= r->values->name(x) != NULL ? (unsigned)x : 0;
    if (v->i != 0 && ((unsigned)v->i & ~all) == 0)
        return 0;
    fill_say(f, r, -1, true, "{} must not be empty", "no AUTH mechanism allowed");
    return -1;
}

static int
check_list(smtpchk_fill *f, const row *r, fvalue *v)
{
    int rc = 0;
    if (r->values != NULL && v->items == NULL)
        return check_mask(f, r, v);
    if ((double)v->n > r->f.hi) {
        fill_say(f, r, -1, true, "{} has more than %.10g entries", "{} has more than %.10g entries",
                 r->f.hi);
        return -1;
    }
    if ((double)v->n < r->f.lo) {
        fill_say(f, r, -1, true, "{} must not be empty", "no {}");
        return -1;
    }
    for (size_t i = 0; i < v->n; i++)
        rc |= check_string(f, r, (long)i, v->items[i]);
    if (rc == 0)
        validate_resolve(r, v);
    return rc;
}

static int
check_path(smtpchk_fill *f, const row *r, const char *s)
{
    if (s[0] != '\0')
        return 0;
    fill_say(f, r, -1, true, "{} must not be empty", "no {}");
    return -1;
}

static int
check_part(smtpchk_fill *f, const row *r, long item, long long ms)
{
    if (ms >= (long long)r->f.lo && ms <= (long long)r->f.hi)
        return 0;
    fill_say(f, r, item, true, "\"%s\" must be between %.10g and %.10g",
             "{} must be between %.10g and %.10g", validate_threshold_keys[item], r->f.lo, r->f.hi);
    return -1;
}

static int
check_threshold(smtpchk_fill *f, const row *r, const fvalue *v)
{
    if (check_part(f, r, 0, v->rising) != 0 || (v->falling >= 0 && check_part(f, r, 1, v->falling)))
        return -1;
    if (v->falling < 0 || v->rising >= v->falling)
        return 0;
    fill_say(f, r, 1, true, "\"rising\" (%lld) must not be below \"falling\" (%lld)",
             "{}: rising (%lld) must not be below falling (%lld)", v->rising, v->falling);
    return -1;
}

static int
check_number(smtpchk_fill *f, const row *r, const fvalue *v)
{
    if (r->f.type == SMTPCHK_ST_SECONDS && !(v->d >= r->f.lo && v->d <= r->f.hi))
        fill_say(f, r, -1, true, "{} must be between %.10g and %.10g seconds",
                 "{} must be between %.10g and %.10g seconds", (double)r->f.lo,
                 (double)r->f.hi);
    else if (r->f.type == SMTPCHK_ST_INT && ((double)v->i < r->f.lo || (double)v->i > r->f.hi))
        fill_say(f, r, -1, true, "{} must be between %lld and %lld",
                 "{} must be between %lld and %lld", (long long)r->f.lo, (long long)r->f.hi);
    else
        return 0;
    return -1;
}

int
validate_value(smtpchk_fill *f, const row *r, fvalue *v)
{
    switch (r->f.type) {
    case SMTPCHK_ST_INT:
    case SMTPCHK_ST_SECONDS: return check_number(f, r, v);
    case SMTPCHK_ST_BOOL: return 0;
    case SMTPCHK_ST_ENUM: return check_enum(f, r, v);
    case SMTPCHK_ST_STRING: return check_string(f, r, -1, v->s);
    case SMTPCHK_ST_PATH: return check_path(f, r, v->s);
    case SMTPCHK_ST_LIST: return check_list(f, r, v);
    case SMTPCHK_ST_THRESHOLD: return check_threshold(f, r, v);
    default: return -1;
    }
}

/* ---- fields that need others ---- */

static bool
group_given(const smtpchk_fill *f, const row *r)
{
    size_t glen = smtpchk_schema_group_len(&r->f);
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *o = schema_row(i);
        bool same =
            smtpchk_schema_group_len(&o->f) == glen && strncmp(o->f.key, r->f.key, glen) == 0;
        if (same && ((f->given | f->groups) & bit_of(&o->f)))
            return true;
    }
    return false;
}

/* FILE_REQUIRED keys are the check file's (an SNMP row needs them), so
 * they are due where fields are named by key. */
static bool
required(const smtpchk_fill *f, const row *r)
{
    unsigned fl = r->f.flags;
    if (fl & SMTPCHK_F_REQUIRED)
        return true;
    if ((fl & SMTPCHK_F_FILE_REQUIRED) && f->naming == SMTPCHK_NAME_KEY)
        return true;
    return (fl & SMTPCHK_F_GROUP_REQUIRED) && group_given(f, r);
}

/* A check names a host or an MX domain: one of them (the rules' table
 * forbids both), so host is required only without mx. */
static bool
needs_host(const smtpchk_fill *f, const row *r)
{
    if (strcmp(r->f.key, "host") != 0)
        return false; /* before the look-up: this runs for every row of every check */
    const row *mx = row_of(smtpchk_schema_find_key("mx"));
    return !(f->bad & bit_of(&mx->f)) && !fill_is_set(f, mx);
}

void
validate_required(smtpchk_fill *f)
{
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *r = schema_row(i);
        if (!(f->bad & bit_of(&r->f)) && (required(f, r) || needs_host(f, r)) &&
            !fill_is_set(f, r))
            fill_say(f, r, -1, true, "missing {}", "no {}");
    }
}

/* ---- settings of one protocol ---- */

/* Written for this check (a check built in code: set and without a
 * default). A default inherited from the file's defaults group (say an
 * ehlo_name) is not the check's own, so an IMAP check ignores it. */
static bool
written_here(const smtpchk_fill *f, const row *r)
{
    if (f->naming == NAME_SUMMARY)
        return r->f.def == NULL && fill_is_set(f, r);
    return (f->here & bit_of(&r->f)) != 0;
}

void
validate_protocol(smtpchk_fill *f)
{
    smtpchk_protocol p = f->entry->check->protocol;
    const row *proto = row_of(smtpchk_schema_find_key("protocol"));
    const char *name = smtpchk_protocol_name(p);
    if (f->bad & bit_of(&proto->f))
        return;
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *r = schema_row(i);
        char only[32];
        if (r->f.protocols == 0 || (r->f.protocols & SMTPCHK_PROTO_BIT(p)) ||
            (f->bad & bit_of(&r->f)) || !written_here(f, r))
            continue;
        smtpchk_schema_protocols_text(&r->f, only, sizeof(only));
        fill_say(f, r, -1, true, "{} is for protocol \"%s\" only, not \"%s\"",
                 "{} is for protocol \"%s\" only, not \"%s\"", only, name);
    }
    const row *user = row_of(smtpchk_schema_find_key("auth.user"));
    char uname[96];
    fill_name(f, user, uname, sizeof(uname));
    if (p != SMTPCHK_PROTO_SMTP && !(f->bad & bit_of(&user->f)) && !fill_is_set(f, user))
        fill_say(f, user, -1, true, "missing %s (protocol \"%s\" logs in to a mailbox)",
                 "missing %s (protocol \"%s\" logs in to a mailbox)", uname, name);
}

/* ---- rules between two fields: the one table ---- */

static const smtpchk_rule rules[] = {
    {SMTPCHK_RULE_NOT_ABOVE, "step_timeout", "timeout", NULL},
    {SMTPCHK_RULE_NOT_ABOVE, "jitter", "interval", NULL},
    {SMTPCHK_RULE_REQUIRES, "auth.user", "auth.password_file", "a user is set but no password"},
    {SMTPCHK_RULE_REQUIRES, "mail.to", "mail.from", "recipients are set but no sender (from)"},
    {SMTPCHK_RULE_EXCLUSIVE, "mail.body_html_file", "mail.body_html", NULL},
    {SMTPCHK_RULE_EXCLUSIVE, "mail.body_text_file", "mail.body_text", NULL},
    {SMTPCHK_RULE_EXCLUSIVE, "mx", "host", "a domain (mx) and a host are both set"},
    {SMTPCHK_RULE_REQUIRES, "roundtrip.protocol", "mail.to",
     "a round trip is set but no recipient (to): no test mail to read back"},
};

/* %1$s is the first field, %2$s the second. */
static const char *const rule_messages[] = {
    [SMTPCHK_RULE_NOT_ABOVE] = "%1$s must not exceed %2$s",
    [SMTPCHK_RULE_REQUIRES] = "missing %2$s (required when %1$s is not empty)",
    [SMTPCHK_RULE_EXCLUSIVE] = "%2$s and %1$s are mutually exclusive",
};

static const char *const rule_kind_names[] = {"not-above", "requires", "exclusive"};

size_t
smtpchk_schema_rule_count(void)
{
    return NELEM(rules);
}

const smtpchk_rule *
smtpchk_schema_rule(size_t i)
{
    return i < NELEM(rules) ? &rules[i] : NULL;
}

const char *
smtpchk_rule_kind_name(smtpchk_rule_kind k)
{
    return (unsigned)k < NELEM(rule_kind_names) ? rule_kind_names[k] : "unknown";
}

static double
number(const smtpchk_fill *f, const row *r)
{
    fvalue v;
    fill_get(f, r, &v);
    return r->f.type == SMTPCHK_ST_SECONDS ? v.d : (double)v.i;
}

static bool
violated(const smtpchk_fill *f, const smtpchk_rule *rule, const row *a, const row *b)
{
    switch (rule->kind) {
    case SMTPCHK_RULE_NOT_ABOVE: return number(f, a) > number(f, b);
    case SMTPCHK_RULE_REQUIRES: return fill_is_set(f, a) && !fill_is_set(f, b);
    case SMTPCHK_RULE_EXCLUSIVE: /* both written, though a file's content is stored in b */
        return (f->given & bit_of(&a->f)) && (f->given & bit_of(&b->f));
    }
    return false;
}

/* Known to this fill: a check built in code has no schedule. */
static bool
known(const smtpchk_fill *f, const row *r)
{
    return f->naming != NAME_SUMMARY || r->at == AT_CHECK || r->f.type == SMTPCHK_ST_PATH;
}

static bool
applies(const smtpchk_fill *f, const row *a, const row *b)
{
    uint64_t both = bit_of(&a->f) | bit_of(&b->f);
    if ((f->bad & both) || !known(f, a) || !known(f, b))
        return false;
    /* A group reports only a conflict it takes part in, so that a bad
     * default is reported once and not again for every check. */
    return f->naming == NAME_SUMMARY || (f->here & both) != 0;
}

/* The message names both fields and sits at the first one given here. */
static void
say_rule(smtpchk_fill *f, const smtpchk_rule *rule, const row *a, const row *b)
{
    char first[96], second[96], msg[256];
    fill_name(f, a, first, sizeof(first));
    fill_name(f, b, second, sizeof(second));
    const char *fmt = rule_messages[rule->kind];
    if (f->naming == NAME_SUMMARY && rule->summary != NULL)
        fmt = rule->summary;
    snprintf(msg, sizeof(msg), fmt, first, second);
    const row *at = (f->here & bit_of(&a->f)) || !(f->here & bit_of(&b->f)) ? a : b;
    fill_say(f, at, -1, true, "%s", "%s", msg);
}

void
validate_rules(smtpchk_fill *f)
{
    for (size_t i = 0; i < NELEM(rules); i++) {
        const row *a = row_of(smtpchk_schema_find_key(rules[i].first));
        const row *b = row_of(smtpchk_schema_find_key(rules[i].second));
        if (applies(f, a, b) && violated(f, &rules[i], a, b))
            say_rule(f, &rules[i], a, b);
    }
}

bool
validate_exclusive_given(const smtpchk_fill *f, const row *r)
{
    for (size_t i = 0; i < NELEM(rules); i++) {
        if (rules[i].kind != SMTPCHK_RULE_EXCLUSIVE)
            continue;
        const smtpchk_setting *a = smtpchk_schema_find_key(rules[i].first);
        const smtpchk_setting *b = smtpchk_schema_find_key(rules[i].second);
        const smtpchk_setting *other = a == &r->f ? b : b == &r->f ? a : NULL;
        if (other != NULL && (f->given & bit_of(other)))
            return true;
    }
    return false;
}

/* ---- checks built in code ---- */

typedef struct first_msg {
    char *err;
    size_t len;
    bool set;
} first_msg;

static void
keep_first(void *ud, const smtpchk_setting *fld, long item, bool error, const char *msg)
{
    first_msg *m = ud;
    (void)fld;
    (void)item;
    if (!error || m->set)
        return;
    snprintf(m->err, m->len, "%s", msg);
    m->set = true;
}

int
smtpchk_check_validate(const smtpchk_check *c, char *err, size_t errlen)
{
    smtpchk_config_entry e = {.check = (smtpchk_check *)c};
    first_msg m = {.err = err, .len = errlen};
    smtpchk_fill f = {.entry = &e,
                      .scope = SMTPCHK_IN_CHECK,
                      .naming = NAME_SUMMARY,
                      .report = keep_first,
                      .ud = &m};
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *r = schema_row(i);
        fvalue v;
        if (r->at == AT_CHECK && fill_get(&f, r, &v))
            validate_value(&f, r, &v);
    }
    validate_required(&f);
    validate_protocol(&f);
    validate_rules(&f);
    return f.errors == 0 ? 0 : -1;
}
