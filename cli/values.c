/* Result values as text (values.h). */
#include "values.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char *
cli_label(const smtpchk_check *c)
{
    return c->name != NULL ? c->name : smtpchk_check_target(c);
}

const char *
cli_state_word(int state)
{
    static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    return state >= ST_OK && state <= ST_UNKNOWN ? words[state] : "UNKNOWN";
}

double
cli_ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* The name of one bit of a set-typed field. */
static const char *
set_name(smtpchk_ftype type, unsigned bit)
{
    switch (type) {
    case SMTPCHK_FT_CAPS: return smtpchk_cap_name(bit);
    case SMTPCHK_FT_PHASES: return smtpchk_phase_name((smtpchk_phase)__builtin_ctz(bit));
    default: return smtpchk_auth_mech_name(bit);
    }
}

void
cli_set_names(const smtpchk_field *f, int64_t bits, void (*fn)(const char *, void *),
              void *ud)
{
    for (unsigned bit = 1; bit != 0 && bit <= (uint64_t)bits; bit <<= 1) {
        if (!(bits & bit))
            continue;
        const char *name = set_name(f->type, bit);
        if (name != NULL)
            fn(name, ud);
    }
}

typedef struct joined {
    char *buf;
    size_t len, used;
} joined;

static void
join_one(const char *name, void *ud)
{
    joined *j = ud;
    int n = snprintf(j->buf + j->used, j->len - j->used, "%s%s", j->used ? " " : "", name);
    if (n > 0 && (size_t)n < j->len - j->used)
        j->used += (size_t)n;
}

void
cli_value_text(const smtpchk_field *f, smtpchk_value v, char *buf, size_t len)
{
    joined j = {buf, len, 0};
    buf[0] = '\0';
    switch (f->type) {
    case SMTPCHK_FT_DURATION: snprintf(buf, len, "%.1f ms", cli_ms(v.i)); return;
    case SMTPCHK_FT_STATUS: smtpchk_status_text(v, buf, len); return;
    case SMTPCHK_FT_BOOL:
    case SMTPCHK_FT_OK: snprintf(buf, len, "%s", v.i ? "yes" : "no"); return;
    case SMTPCHK_FT_CAPS:
    case SMTPCHK_FT_MECHS:
    case SMTPCHK_FT_PHASES: cli_set_names(f, v.i, join_one, &j); return;
    case SMTPCHK_FT_TEXT:
    case SMTPCHK_FT_ERROR_NAME:
    case SMTPCHK_FT_STEP: snprintf(buf, len, "%s", v.s); return;
    default:
        snprintf(buf, len, "%" PRId64 "%s%s", v.i, f->unit ? " " : "", f->unit ? f->unit : "");
        return;
    }
}
