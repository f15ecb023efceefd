/*
 * --json: always one array of result objects, whatever the number of
 * checks. The keys are the check's identity, the verdict, every result
 * field of fields.h (durations as "<name>_ms" in milliseconds) and the
 * probes. docs/cli.md documents them; a test keeps the two in step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "values.h"

/* A JSON string that is valid UTF-8 whatever s holds (a host name from
 * argv can be anything): a stray byte becomes U+FFFD. */
static void
json_str(const char *s)
{
    if (s == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = smtpchk_utf8_seq_len(p + i, len - i);
        if (n == 0)
            fputs("\\ufffd", stdout);
        else if (p[i] == '"' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] == 0x7f)
            printf("\\u%04x", p[i]);
        else
            fwrite(p + i, 1, n, stdout);
        i += n ? n : 1;
    }
    putchar('"');
}

static void
json_key(const char *k, const char *suffix)
{
    printf(", \"%s%s\": ", k, suffix);
}

typedef struct list_ctx {
    const char *sep;
} list_ctx;

static void
json_list_item(const char *name, void *ud)
{
    list_ctx *l = ud;
    fputs(l->sep, stdout);
    json_str(name);
    l->sep = ", ";
}

static void
json_value(const smtpchk_field *f, smtpchk_value v)
{
    char buf[32];
    list_ctx l = {""};
    if (!v.present && f->type != SMTPCHK_FT_CAPS && f->type != SMTPCHK_FT_MECHS) {
        fputs("null", stdout);
        return;
    }
    switch (f->type) {
    case SMTPCHK_FT_DURATION: printf("%.3f", cli_ms(v.i)); return;
    case SMTPCHK_FT_BOOL:
    case SMTPCHK_FT_OK: fputs(v.i ? "true" : "false", stdout); return;
    case SMTPCHK_FT_TEXT:
    case SMTPCHK_FT_ERROR_NAME:
    case SMTPCHK_FT_STEP: json_str(v.s); return;
    case SMTPCHK_FT_STATUS:
        smtpchk_status_text(v, buf, sizeof(buf));
        json_str(buf);
        return;
    case SMTPCHK_FT_CAPS:
    case SMTPCHK_FT_MECHS:
    case SMTPCHK_FT_PHASES:
        putchar('[');
        cli_set_names(f, v.i, json_list_item, &l);
        putchar(']');
        return;
    default: printf("%" PRId64, v.i); return;
    }
}

static void
json_fields(const smtpchk_result *r)
{
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *f = smtpchk_field_at(i);
        json_key(f->name, f->type == SMTPCHK_FT_DURATION ? "_ms" : "");
        json_value(f, smtpchk_field_get(f, r));
    }
}

static void
json_probes(const smtpchk_check *c, const smtpchk_result *r)
{
    json_key("probes", "");
    putchar('[');
    for (size_t i = 0; i < c->nprobes; i++) {
        printf("%s{\"command\": ", i ? ", " : "");
        json_str(c->probes[i]);
        printf(", \"code\": %d}", i < r->nprobes ? r->probe_codes[i] : -1);
    }
    putchar(']');
}

/* An MX check's targets: where each is, its verdict and its fields. */
static void
json_targets(const cli *o, const smtpchk_check *c, const cli_mx *mx)
{
    json_key("targets", "");
    putchar('[');
    for (size_t i = 0; mx != NULL && i < mx->n; i++) {
        const smtpchk_target *t = &mx->t[i];
        fputs(i ? ", {\"exchanger\": " : "{\"exchanger\": ", stdout);
        json_str(t->mx);
        json_key("preference", "");
        printf("%d", t->preference);
        json_key("family", "");
        json_str(t->family == 2 ? "ipv6" : t->family == 1 ? "ipv4" : NULL);
        json_key("address", "");
        json_str(t->address[0] ? t->address : NULL);
        json_key("via_cname", "");
        fputs(t->via_cname ? "true" : "false", stdout);
        json_key("state", "");
        json_str(cli_state_word(cli_state(o, &t->result)));
        json_fields(&t->result);
        json_probes(c, &t->result);
        putchar('}');
    }
    putchar(']');
}

static void
json_one(const cli *o, const smtpchk_check *c, const smtpchk_result *r, const cli_mx *mx)
{
    fputs("{\"name\": ", stdout);
    json_str(c->name);
    json_key("host", "");
    json_str(smtpchk_check_target(c));
    json_key("mx", "");
    json_str(c->mx);
    json_key("mx_policy", "");
    json_str(c->mx != NULL ? smtpchk_mx_policy_name(c->mx_policy) : NULL);
    json_key("port", "");
    printf("%u", (unsigned)smtpchk_check_port(c));
    json_key("security", "");
    json_str(smtpchk_security_name(c->security));
    json_key("protocol", "");
    json_str(smtpchk_protocol_name(c->protocol));
    json_key("state", "");
    json_str(cli_state_word(cli_state(o, r)));
    json_fields(r);
    json_probes(c, r);
    json_targets(o, c, mx);
    putchar('}');
}

void
output_json(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        fputs(i > 0 ? ",\n" : "", stdout);
        json_one(o, c[i], &r[i], o->mx != NULL ? &o->mx[i] : NULL);
    }
    fputs("]\n", stdout);
}
