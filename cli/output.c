/* Result printing: the human table, JSON, and the Nagios status line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define NPHASES SMTPCHK_PHASE__COUNT

static const char *const cap_names[] = {"SIZE", "STARTTLS", "AUTH", "PIPELINING", "8BITMIME",
                                        "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING"};

static int64_t
phase_us(const smtpchk_result *r, size_t i)
{
    return r->phase_us[i];
}

static const char *const state_words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

int
cli_state(const cli *o, const smtpchk_result *r)
{
    if (r->error == SMTPCHK_ERR_CONFIG || r->error == SMTPCHK_ERR_INTERNAL)
        return ST_UNKNOWN;
    if (r->error != SMTPCHK_OK)
        return ST_CRITICAL;
    double total = (double)r->phase_us[SMTPCHK_PHASE_TOTAL] / 1e6; /* seconds */
    int st = ST_OK;
    if (cli_range_alert(&o->crit, total) ||
        (o->cert_crit >= 0 && r->has_cert && r->cert_days_left < o->cert_crit))
        return ST_CRITICAL;
    if (cli_range_alert(&o->warn, total) ||
        (o->cert_warn >= 0 && r->has_cert && r->cert_days_left < o->cert_warn))
        st = ST_WARNING;
    return st;
}

static const char *
label(const smtpchk_check *c)
{
    return c->name != NULL ? c->name : c->host;
}

/* ---- human ------------------------------------------------------------- */

void
output_human(const cli *o, const smtpchk_check *c, const smtpchk_result *r)
{
    printf("%s  %s port %u, security %s%s%s\n", label(c), c->host,
           (unsigned)smtpchk_check_port(c), smtpchk_security_name(c->security),
           r->peer[0] ? ", connected to " : "", r->peer);
    printf("  %-10s %10s\n", "phase", "time");
    for (size_t i = 0; i < NPHASES; i++) {
        int64_t us = phase_us(r, i);
        if (us < 0)
            printf("  %-10s %10s\n", smtpchk_phase_name((smtpchk_phase)i), "-");
        else
            printf("  %-10s %7.1f ms\n", smtpchk_phase_name((smtpchk_phase)i), (double)us / 1000.0);
    }
    if (r->greeting[0])
        printf("  greeting: %s\n", r->greeting);
    if (r->tls)
        printf("  TLS: %s %s\n", r->tls_version, r->tls_cipher);
    if (r->has_cert)
        printf("  certificate: %s (issuer %s), %d days left\n", r->cert_subject,
               r->cert_issuer, r->cert_days_left);
    if (r->auth_mech[0])
        printf("  AUTH: %s\n", r->auth_mech);
    if (r->queue_reply[0])
        printf("  queued: %s\n", r->queue_reply);
    for (size_t i = 0; i < r->nprobes; i++)
        printf("  probe %s: %d\n", c->probes[i], r->probe_codes[i]);
    int st = cli_state(o, r);
    if (r->error == SMTPCHK_OK)
        printf("%s: every step passed (response code 0)\n", state_words[st]);
    else
        printf("%s: %s at %s: %s (response code %d)%s%s\n", state_words[st],
               smtpchk_error_name(r->error), smtpchk_step_name(r->failed_step),
               r->error_detail, r->response_code, r->reply_text[0] ? "; server said: " : "",
               r->reply_text);
}

/* ---- JSON -------------------------------------------------------------- */

static void
json_str(const char *s)
{
    if (s == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void
json_key_str(const char *k, const char *v)
{
    printf("\"%s\": ", k);
    json_str(v);
    fputs(", ", stdout);
}

static void
json_key_int(const char *k, long long v)
{
    printf("\"%s\": %lld, ", k, v);
}

static void
json_key_bool(const char *k, bool v)
{
    printf("\"%s\": %s, ", k, v ? "true" : "false");
}

static void
json_timings(const smtpchk_result *r)
{
    for (size_t i = 0; i < NPHASES; i++) {
        int64_t us = phase_us(r, i);
        if (us < 0)
            printf("\"%s_time_ms\": null", smtpchk_phase_name((smtpchk_phase)i));
        else
            printf("\"%s_time_ms\": %.3f", smtpchk_phase_name((smtpchk_phase)i), (double)us / 1000.0);
        fputs(i + 1 < NPHASES ? ", " : "", stdout);
    }
}

static void
json_lists(const smtpchk_check *c, const smtpchk_result *r)
{
    fputs("\"capabilities\": [", stdout);
    const char *sep = "";
    for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
        if (r->caps & (1u << i)) {
            printf("%s\"%s\"", sep, cap_names[i]);
            sep = ", ";
        }
    fputs("], \"auth_mechanisms\": [", stdout);
    sep = "";
    for (unsigned m = 1; m <= SMTPCHK_AUTH_CRAM_MD5; m <<= 1)
        if (r->server_auth & m) {
            printf("%s\"%s\"", sep, smtpchk_auth_mech_name(m));
            sep = ", ";
        }
    fputs("], \"probes\": [", stdout);
    for (size_t i = 0; i < c->nprobes; i++) {
        printf("%s{\"command\": ", i ? ", " : "");
        json_str(c->probes[i]);
        printf(", \"code\": %d}", i < r->nprobes ? r->probe_codes[i] : -1);
    }
    fputs("], ", stdout);
}

static void
json_one(const cli *o, const smtpchk_check *c, const smtpchk_result *r)
{
    char enh[32];
    snprintf(enh, sizeof(enh), "%d.%d.%d", r->enhanced_class, r->enhanced_subject,
             r->enhanced_detail);
    fputs("{", stdout);
    json_key_str("name", c->name);
    json_key_str("host", c->host);
    json_key_int("port", smtpchk_check_port(c));
    json_key_str("security", smtpchk_security_name(c->security));
    json_key_bool("ok", r->error == SMTPCHK_OK);
    json_key_str("state", state_words[cli_state(o, r)]);
    json_key_int("response_code", r->response_code);
    json_key_int("error_code", r->error);
    json_key_str("error_name", smtpchk_error_name(r->error));
    json_key_str("failed_step", smtpchk_step_name(r->failed_step));
    json_key_str("error_detail", r->error_detail);
    json_key_str("enhanced_status", r->enhanced_class >= 0 ? enh : NULL);
    json_key_str("reply_text", r->reply_text);
    json_key_str("greeting", r->greeting);
    json_key_str("queue_reply", r->queue_reply);
    json_key_str("peer", r->peer);
    json_key_bool("tls", r->tls);
    json_key_str("tls_version", r->tls_version[0] ? r->tls_version : NULL);
    json_key_str("tls_cipher", r->tls_cipher[0] ? r->tls_cipher : NULL);
    json_key_str("tls_cert_subject", r->has_cert ? r->cert_subject : NULL);
    json_key_str("tls_cert_issuer", r->has_cert ? r->cert_issuer : NULL);
    if (r->has_cert)
        json_key_int("tls_cert_days_left", r->cert_days_left);
    else
        fputs("\"tls_cert_days_left\": null, ", stdout);
    json_key_int("size_limit", (long long)r->size_limit);
    json_lists(c, r);
    json_key_str("auth_mech", r->auth_mech[0] ? r->auth_mech : NULL);
    json_key_bool("used_helo", r->used_helo);
    json_key_bool("quit_clean", r->quit_clean);
    json_timings(r);
    fputs("}", stdout);
}

void
output_json(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n)
{
    int array = n != 1 || o->config != NULL;
    if (array)
        fputs("[", stdout);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputs(",\n", stdout);
        json_one(o, c[i], &r[i]);
    }
    fputs(array ? "]\n" : "\n", stdout);
}

/* ---- Nagios ------------------------------------------------------------ */

static void
perfdata(const cli *o, const char *prefix, const smtpchk_result *r)
{
    for (size_t i = 0; i < NPHASES; i++) {
        int64_t us = phase_us(r, i);
        /* Every timing, always: a phase that did not run is 'U'
         * (undetermined), so graphs keep the same labels. */
        if (us < 0)
            printf(" '%s%s_time'=U", prefix, smtpchk_phase_name((smtpchk_phase)i));
        else
            printf(" '%s%s_time'=%.3fms", prefix, smtpchk_phase_name((smtpchk_phase)i), (double)us / 1000.0);
        if (i == NPHASES - 1 && (o->warn.set || o->crit.set)) {
            /* the thresholds apply to the total; ranges in its unit, ms */
            char w[80], c[80];
            cli_range_format(&o->warn, 1000.0, w, sizeof(w));
            cli_range_format(&o->crit, 1000.0, c, sizeof(c));
            printf(";%s;%s", w, c);
        }
    }
    if (r->has_cert)
        printf(" '%scert_days_left'=%d", prefix, r->cert_days_left);
}

static void
nagios_summary(const smtpchk_check *c, const smtpchk_result *r)
{
    if (r->error == SMTPCHK_OK) {
        printf("%s: %.1f ms", label(c), (double)r->phase_us[SMTPCHK_PHASE_TOTAL] / 1000.0);
        if (r->tls)
            printf(", %s", r->tls_version);
        if (r->has_cert)
            printf(", certificate %d days left", r->cert_days_left);
        return;
    }
    printf("%s: %s at %s (response code %d): %s", label(c), smtpchk_error_name(r->error),
           smtpchk_step_name(r->failed_step), r->response_code,
           r->reply_text[0] ? r->reply_text : r->error_detail);
}

int
output_nagios(const cli *o, const smtpchk_check *const *c, const smtpchk_result *r, size_t n)
{
    int worst = ST_OK;
    for (size_t i = 0; i < n; i++) {
        int st = cli_state(o, &r[i]);
        worst = st > worst ? st : worst;
    }
    printf("SMTP %s - ", state_words[worst]);
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (n > 1 && cli_state(o, &r[i]) != worst)
            continue;
        fputs(sep, stdout);
        nagios_summary(c[i], &r[i]);
        sep = "; ";
    }
    fputs(" |", stdout);
    for (size_t i = 0; i < n; i++) {
        char prefix[80] = "";
        if (n > 1)
            snprintf(prefix, sizeof(prefix), "%s_", label(c[i]));
        perfdata(o, prefix, &r[i]);
    }
    putchar('\n');
    return worst;
}
