/*
 * Filling a check through the schema: defaults, text from the command
 * line, storing checked values. validate.c decides what is valid and
 * namedfile.c reads the files a check names; this file only moves values
 * in and out.
 */
#include "schema_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- where a field lives ---- */

void *
fill_at(const smtpchk_fill *f, const row *r, size_t off)
{
    switch (r->at) {
    case AT_CHECK: return (char *)f->entry->check + off;
    case AT_ENTRY: return (char *)f->entry + off;
    default: return (char *)&((smtpchk_fill *)f)->max_in_flight + off;
    }
}

void *
fill_at2(const smtpchk_fill *f, const row *r)
{
    if (r->f.type == SMTPCHK_ST_PATH)
        return (char *)f->entry->check + r->off2;
    return fill_at(f, r, r->off2);
}

static char **
str_at(const smtpchk_fill *f, const row *r)
{
    return fill_at(f, r, r->off);
}

/* ---- messages ---- */

void
fill_name(const smtpchk_fill *f, const row *r, char *buf, size_t len)
{
    const char *leaf = smtpchk_schema_leaf(&r->f);
    if (f->naming == SMTPCHK_NAME_OPTION && r->f.option != NULL)
        snprintf(buf, len, "--%s", r->f.option);
    else if (f->naming == NAME_SUMMARY)
        snprintf(buf, len, "%s", r->noun != NULL ? r->noun : leaf);
    else if (f->naming == SMTPCHK_NAME_OPTION && r->noun != NULL)
        snprintf(buf, len, "%s", r->noun); /* set by a URL (--roundtrip), not an option */
    else
        snprintf(buf, len, "\"%s\"", leaf);
}

static void
emit(smtpchk_fill *f, const row *r, long item, bool error, const char *msg)
{
    if (error) {
        f->errors++;
        if (r != NULL)
            f->bad |= bit_of(&r->f);
    }
    if (f->report != NULL)
        f->report(f->ud, r != NULL ? &r->f : NULL, item, error, msg);
}

/* Copies tmpl with "{}" replaced by name, as a printf format. */
static void
expand(const char *tmpl, const char *name, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = tmpl; *p != '\0' && o + 2 < len; p++) {
        if (p[0] == '{' && p[1] == '}') {
            for (const char *n = name; *n != '\0' && o + 3 < len; n++) {
                if (*n == '%')
                    out[o++] = '%';
                out[o++] = *n;
            }
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void
fill_vsay(smtpchk_fill *f, const row *r, long item, bool error, const char *keyed,
          const char *summary, va_list ap)
{
    char name[96] = "", fmt[256], msg[512];
    if (r != NULL)
        fill_name(f, r, name, sizeof(name));
    expand(f->naming == NAME_SUMMARY ? summary : keyed, name, fmt, sizeof(fmt));
    vsnprintf(msg, sizeof(msg), fmt, ap);
    emit(f, r, item, error, msg);
}

void
fill_say(smtpchk_fill *f, const row *r, long item, bool error, const char *keyed,
         const char *summary, ...)
{
    va_list ap;
    va_start(ap, summary);
    fill_vsay(f, r, item, error, keyed, summary, ap);
    va_end(ap);
}

/* ---- storing ---- */

static char *
resolve_path(const smtpchk_fill *f, const char *p)
{
    if (p[0] == '/' || f->dir == NULL)
        return strdup(p);
    size_t len = strlen(f->dir) + 1 + strlen(p) + 1;
    char *full = malloc(len);
    if (full != NULL)
        snprintf(full, len, "%s/%s", f->dir, p);
    return full;
}

static int
put_str(smtpchk_fill *f, const row *r, char **dst, char *copy)
{
    if (copy == NULL) {
        fill_say(f, r, -1, true, "out of memory", "out of memory");
        return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

static void
put_int(void *p, unsigned size, long long v)
{
    if (size == sizeof(uint16_t)) {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, sizeof(x));
    } else {
        int32_t x = (int32_t)v;
        memcpy(p, &x, sizeof(x));
    }
}

static long long
get_int(const void *p, unsigned size)
{
    if (size == sizeof(uint16_t)) {
        uint16_t x;
        memcpy(&x, p, sizeof(x));
        return x;
    }
    int32_t x;
    memcpy(&x, p, sizeof(x));
    return x;
}

/* Copies first: the new items may be the stored ones (an option given
 * again appends to them). */
static int
put_list(smtpchk_fill *f, const row *r, const fvalue *v)
{
    if (r->values != NULL) {
        *(unsigned *)fill_at(f, r, r->off) = (unsigned)v->i;
        return 0;
    }
    char ***items = fill_at(f, r, r->off), **fresh = NULL;
    size_t *n = fill_at(f, r, r->off2), nfresh = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (smtpchk_check_list_add(&fresh, &nfresh, v->items[i]) != 0) {
            while (nfresh > 0)
                free(fresh[--nfresh]);
            free(fresh);
            return put_str(f, r, NULL, NULL); /* reports the lack of memory */
        }
    }
    for (size_t i = 0; i < *n; i++)
        free((*items)[i]);
    free(*items);
    *items = fresh;
    *n = nfresh;
    return 0;
}

static int
put_path(smtpchk_fill *f, const row *r, const fvalue *v)
{
    char **dst = str_at(f, r);
    if (put_str(f, r, dst, resolve_path(f, v->s)) != 0)
        return -1;
    if (f->read_files && !validate_exclusive_given(f, r))
        namedfile_read(f, r, *dst);
    return 0;
}

/* Stores a value that validate_value accepted (or a default). */
static int
store(smtpchk_fill *f, const row *r, const fvalue *v)
{
    void *p = fill_at(f, r, r->off);
    switch (r->f.type) {
    case SMTPCHK_ST_INT:
    case SMTPCHK_ST_ENUM: put_int(p, r->size, v->i); return 0;
    case SMTPCHK_ST_SECONDS: *(uint32_t *)p = (uint32_t)(v->d * 1000.0 + 0.5); return 0;
    case SMTPCHK_ST_BOOL:
        *(bool *)p = v->i != 0;
        if (r->off2 != NO_OFF)
            *(bool *)fill_at2(f, r) = v->i != 0;
        return 0;
    case SMTPCHK_ST_STRING: return put_str(f, r, p, strdup(v->s));
    case SMTPCHK_ST_PATH: return put_path(f, r, v);
    case SMTPCHK_ST_LIST: return put_list(f, r, v);
    case SMTPCHK_ST_THRESHOLD:
        *(smtpchk_threshold *)p =
            (smtpchk_threshold){.set = true,
                                .rising_ms = (uint32_t)v->rising,
                                .falling_ms = (uint32_t)(v->falling < 0 ? v->rising : v->falling)};
        return 0;
    default: return -1;
    }
}

int
fill_value(smtpchk_fill *f, const smtpchk_setting *fld, fvalue *v)
{
    const row *r = row_of(fld);
    size_t errors = f->errors;
    f->given |= bit_of(fld);
    f->here |= bit_of(fld);
    if (validate_value(f, r, v) != 0)
        return -1;
    int rc = store(f, r, v);
    return f->errors > errors ? -1 : rc; /* the file it names may be refused */
}

/* ---- reading back ---- */

static bool
get_list(const smtpchk_fill *f, const row *r, fvalue *v)
{
    if (r->values != NULL) {
        v->i = *(unsigned *)fill_at(f, r, r->off);
        return true;
    }
    v->items = *(const char *const **)fill_at(f, r, r->off);
    v->n = *(size_t *)fill_at(f, r, r->off2);
    return v->n > 0;
}

bool
fill_get(const smtpchk_fill *f, const row *r, fvalue *v)
{
    memset(v, 0, sizeof(*v));
    const void *p = fill_at(f, r, r->off);
    switch (r->f.type) {
    case SMTPCHK_ST_INT:
    case SMTPCHK_ST_ENUM:
        v->i = get_int(p, r->size);
        return v->i != 0 || !(r->f.flags & SMTPCHK_F_ZERO_UNSET);
    case SMTPCHK_ST_SECONDS: v->d = *(const uint32_t *)p / 1000.0; return true;
    case SMTPCHK_ST_BOOL: v->i = *(const bool *)p; return true;
    case SMTPCHK_ST_STRING:
    case SMTPCHK_ST_PATH: v->s = *(char *const *)p; return v->s != NULL;
    case SMTPCHK_ST_LIST: return get_list(f, r, v);
    case SMTPCHK_ST_THRESHOLD:
        v->rising = ((const smtpchk_threshold *)p)->rising_ms;
        v->falling = ((const smtpchk_threshold *)p)->falling_ms;
        return ((const smtpchk_threshold *)p)->set;
    default: return false;
    }
}

bool
fill_is_set(const smtpchk_fill *f, const row *r)
{
    fvalue v;
    if (fill_get(f, r, &v))
        return true;
    /* A password may come without its file: the CLI's environment, or a
     * check built in code. */
    return r->f.syntax == SMTPCHK_SYN_SECRET_FILE && *(char **)fill_at2(f, r) != NULL;
}

/* ---- text: the command line, and the table's defaults ---- */

static int
parse_ll(const char *s, long long *out)
{
    char *end = NULL;
    if (s[0] == '\0' || isspace((unsigned char)s[0]))
        return -1;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
parse_double(const char *s, double *out)
{
    char *end = NULL;
    if (s[0] == '\0' || isspace((unsigned char)s[0]))
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    return errno != 0 || *end != '\0' || !isfinite(*out) ? -1 : 0;
}

static int
parse_bool(const row *r, const char *s, long long *out)
{
    if (s == NULL) { /* a flag: the opposite of the default */
        *out = r->f.def == NULL || strcmp(r->f.def, "true") != 0;
        return 0;
    }
    if (strcasecmp(s, "true") != 0 && strcasecmp(s, "false") != 0)
        return -1;
    *out = strcasecmp(s, "true") == 0;
    return 0;
}

/* "a,b c" into items; *buf owns the copy. */
static size_t
split(const char *s, char **buf, const char ***items)
{
    size_t n = 0;
    *items = NULL;
    if ((*buf = strdup(s)) == NULL || (*items = calloc(strlen(s) / 2 + 2, sizeof(char *))) == NULL)
        return 0;
    for (char *save = NULL, *t = strtok_r(*buf, ", \t", &save); t != NULL;
         t = strtok_r(NULL, ", \t", &save))
        (*items)[n++] = t;
    return n;
}

/* One more item after those stored (an option given again). */
static size_t
append(const smtpchk_fill *f, const row *r, const char *s, const char ***items)
{
    fvalue cur;
    size_t n = fill_get(f, r, &cur) ? cur.n : 0;
    if ((*items = calloc(n + 1, sizeof(char *))) == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        (*items)[i] = cur.items[i];
    (*items)[n] = s;
    return n + 1;
}

/* Text into a value; -1 when it is not of the field's type. */
static int
from_text(const smtpchk_fill *f, const row *r, const char *s, fvalue *v, char **buf,
          const char ***items)
{
    memset(v, 0, sizeof(*v));
    *buf = NULL;
    *items = NULL;
    v->s = s;
    switch (r->f.type) {
    case SMTPCHK_ST_INT: return parse_ll(s, &v->i);
    case SMTPCHK_ST_SECONDS: return parse_double(s, &v->d);
    case SMTPCHK_ST_BOOL: return parse_bool(r, s, &v->i);
    case SMTPCHK_ST_ENUM:
    case SMTPCHK_ST_STRING:
    case SMTPCHK_ST_PATH: return 0;
    case SMTPCHK_ST_LIST:
        v->n = r->f.flags & SMTPCHK_F_SPLIT ? split(s, buf, items) : append(f, r, s, items);
        v->items = *items;
        return *items == NULL ? -1 : 0;
    default: return -1;
    }
}

static const char *const type_errors[SMTPCHK_ST__COUNT] = {
    [SMTPCHK_ST_INT] = "{} must be an integer",
    [SMTPCHK_ST_SECONDS] = "{} must be a number of seconds",
    [SMTPCHK_ST_BOOL] = "{} must be true or false",
    [SMTPCHK_ST_ENUM] = "{} must be a string",
    [SMTPCHK_ST_STRING] = "{} must be a string",
    [SMTPCHK_ST_PATH] = "{} must be a string",
    [SMTPCHK_ST_LIST] = "{} must be a list of strings",
    [SMTPCHK_ST_THRESHOLD] = "{} must be a group { ... }",
};

void
fill_type_error(smtpchk_fill *f, const smtpchk_setting *fld, long item)
{
    const char *msg = type_errors[fld->type];
    f->given |= bit_of(fld);
    f->here |= bit_of(fld);
    fill_say(f, row_of(fld), item, true, msg, msg);
}

int
smtpchk_fill_text(smtpchk_fill *f, const smtpchk_setting *fld, const char *text)
{
    const row *r = row_of(fld);
    fvalue v;
    char *buf;
    const char **items;
    int rc;
    if (text == NULL && !(fld->flags & SMTPCHK_F_FLAG))
        text = "";
    if (from_text(f, r, text, &v, &buf, &items) != 0) {
        if (fld->type == SMTPCHK_ST_LIST)
            fill_say(f, r, -1, true, "out of memory", "out of memory");
        else
            fill_type_error(f, fld, -1);
        rc = -1;
    } else {
        rc = fill_value(f, fld, &v);
    }
    free(items);
    free(buf);
    return rc;
}

/* ---- starting, copying, finishing ---- */

static int
apply_default(smtpchk_fill *f, const row *r)
{
    fvalue v;
    char *buf;
    const char **items;
    int rc = from_text(f, r, r->f.def, &v, &buf, &items);
    if (rc == 0)
        rc = validate_resolve(r, &v) == 0 ? store(f, r, &v) : -1;
    free(items);
    free(buf);
    return rc;
}

int
smtpchk_fill_init(smtpchk_fill *f, smtpchk_config_entry *e, unsigned scope)
{
    memset(f, 0, sizeof(*f));
    f->entry = e;
    f->scope = scope;
    if ((e->check = smtpchk_check_new()) == NULL)
        return -1;
    for (size_t i = 0; i < smtpchk_schema_count(); i++)
        if (schema_row(i)->f.def != NULL && apply_default(f, schema_row(i)) != 0)
            return -1;
    return 0;
}

int
smtpchk_fill_copy(smtpchk_fill *dst, const smtpchk_fill *src, smtpchk_config_entry *e)
{
    *dst = *src;
    dst->entry = e;
    dst->here = dst->bad = dst->groups = 0;
    dst->errors = 0;
    *e = *src->entry;
    e->check = smtpchk_check_dup(src->entry->check);
    int bad = e->check == NULL;
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *r = schema_row(i);
        char **p = r->f.type == SMTPCHK_ST_PATH && r->at == AT_ENTRY ? str_at(dst, r) : NULL;
        if (p == NULL || *p == NULL)
            continue;
        *p = strdup(*p); /* NULL on failure: never src's string */
        bad |= *p == NULL;
    }
    return bad ? -1 : 0;
}

void
smtpchk_fill_group(smtpchk_fill *f, const smtpchk_setting *fld)
{
    f->groups |= bit_of(fld);
}

size_t
smtpchk_fill_finish(smtpchk_fill *f)
{
    for (size_t i = 0; i < smtpchk_schema_count(); i++)
        if (schema_row(i)->derive != NULL)
            schema_row(i)->derive(f);
    if (f->scope & SMTPCHK_IN_CHECK) {
        validate_required(f);
        validate_protocol(f);
    }
    validate_rules(f);
    return f->errors;
}
