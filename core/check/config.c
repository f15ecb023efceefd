/*
 * The check file loader. It walks the libconfig tree once, fills one
 * check per entry through the schema (schema.h: the same checks as the
 * command line) and reports every problem instead of stopping at the
 * first, so that one run of --check-config shows them all. The schema
 * says what each key is; this file knows only the file's shape: groups,
 * lists, line numbers, and checks that must differ from each other.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "checkfile.h"
#include "schema_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_MAX 32 /* longer keys get no suggestion */
#define MAX_KEYS 80

typedef struct loader {
    const char *path;
    char *dir; /* directory of the file; NULL = the current one */
    bool read_files;
    smtpchk_diag *diags;
    size_t errors;
    const config_setting_t *grp; /* defaults or the check being filled */
    /* The keys known at the top of a group of one scope (known_keys), made
     * once for all the checks instead of once per check. */
    unsigned top_scope;       /* 0 = not made yet */
    size_t top_n;
    char top_keys[MAX_KEYS][KEY_MAX + 1];
} loader;

/* ---- reporting ---- */

static void
report_at(loader *ld, const config_setting_t *s, bool error, const char *msg)
{
    const char *file = s != NULL ? config_setting_source_file(s) : NULL;
    int line = s != NULL ? (int)config_setting_source_line(s) : 0;
    smtpchk_diag_add(ld->diags, file != NULL ? file : ld->path, line, error, msg);
    ld->errors += error;
}

__attribute__((format(printf, 3, 4))) static int
bad(loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    report_at(ld, s, true, msg);
    return -1;
}

static const config_setting_t *
member(const config_setting_t *grp, const char *key)
{
    return grp == NULL ? NULL : config_setting_get_member(grp, key);
}

/* The deepest setting on the way to key (and its item) in g. */
static const config_setting_t *
locate(const config_setting_t *g, const smtpchk_setting *fld, long item)
{
    char part[KEY_MAX + 1];
    for (const char *k = fld != NULL ? fld->key : ""; *k != '\0' && g != NULL;) {
        size_t n = strcspn(k, ".");
        snprintf(part, sizeof(part), "%.*s", (int)n, k);
        const config_setting_t *m = member(g, part);
        if (m == NULL)
            return g;
        g = m;
        k += n + (k[n] == '.');
    }
    if (item < 0 || g == NULL)
        return g;
    const config_setting_t *at = NULL;
    if (config_setting_is_group(g)) /* a threshold: 0 rising, 1 falling */
        at = member(g, validate_threshold_keys[item]);
    else if (config_setting_is_aggregate(g))
        at = config_setting_get_elem(g, (unsigned)item);
    return at != NULL ? at : g;
}

static void
on_report(void *ud, const smtpchk_setting *fld, long item, bool error, const char *msg)
{
    loader *ld = ud;
    report_at(ld, locate(ld->grp, fld, item), error, msg);
}

/* ---- unknown keys ---- */

static size_t
min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance, case-insensitive; SIZE_MAX for long strings. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > KEY_MAX || lb > KEY_MAX)
        return SIZE_MAX;
    size_t d[KEY_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        d[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = d[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            d[j] = min3(d[j] + 1, d[j - 1] + 1, prev + cost);
            prev = up;
        }
    }
    return d[lb];
}

/* The closest valid key, or one the typo is a prefix of ("password"). */
static const char *
suggest(const char *key, char keys[][KEY_MAX + 1], size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, keys[i]);
        if (d < best_d) {
            best_d = d;
            best = keys[i];
        }
    }
    if (best != NULL && best_d <= 2 && best_d < klen)
        return best;
    for (size_t i = 0; klen >= 4 && i < n; i++)
        if (strncmp(keys[i], key, klen) == 0)
            return keys[i];
    return NULL;
}

static size_t
add_key(char keys[][KEY_MAX + 1], size_t n, const char *k, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(keys[i]) == len && strncmp(keys[i], k, len) == 0)
            return n;
    snprintf(keys[n], KEY_MAX + 1, "%.*s", (int)len, k);
    return n + 1;
}

/* The keys of group (a prefix of the schema's keys) in this scope. */
static size_t
known_keys(const char *group, unsigned scope, char keys[][KEY_MAX + 1])
{
    size_t n = 0, glen = strlen(group);
    for (size_t i = 0; i < smtpchk_schema_count() && n < MAX_KEYS; i++) {
        const smtpchk_setting *f = smtpchk_schema_field(i);
        size_t flen = smtpchk_schema_group_len(f);
        if (!(f->scope & scope) || strncmp(f->key, group, glen) != 0)
            continue;
        if (glen == 0 && flen > 0)
            n = add_key(keys, n, f->key, flen); /* a group */
        else if (flen == glen && (glen == 0 || f->key[glen] == '.'))
            n = add_key(keys, n, smtpchk_schema_leaf(f), strlen(smtpchk_schema_leaf(f)));
    }
    return n;
}

static void
check_keys(loader *ld, const config_setting_t *grp, char keys[][KEY_MAX + 1], size_t n)
{
    int len = config_setting_length(grp);
    for (int i = 0; i < len; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *key = config_setting_name(s);
        bool known = false;
        for (size_t j = 0; key != NULL && j < n && !known; j++)
            known = strcmp(key, keys[j]) == 0;
        if (key == NULL || known)
            continue;
        const char *hint = suggest(key, keys, n);
        if (hint != NULL)
            bad(ld, s, "unknown key \"%s\" (did you mean \"%s\"?)", key, hint);
        else
            bad(ld, s, "unknown key \"%s\"", key);
    }
}

static void
check_group_keys(loader *ld, const config_setting_t *grp, const char *group, unsigned scope)
{
    if (group[0] == '\0' && scope != 0) {
        if (ld->top_scope != scope) {
            ld->top_n = known_keys("", scope, ld->top_keys);
            ld->top_scope = scope;
        }
        check_keys(ld, grp, ld->top_keys, ld->top_n);
        return;
    }
    char keys[MAX_KEYS][KEY_MAX + 1];
    check_keys(ld, grp, keys, known_keys(group, scope, keys));
}

/* ---- one setting into a value of its field's type ---- */

static bool
is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static int
list_value(smtpchk_fill *f, const smtpchk_setting *fld, const config_setting_t *s, fvalue *v,
           const char **items)
{
    int t = config_setting_type(s), rc = 0;
    if (t == CONFIG_TYPE_STRING) {
        items[0] = config_setting_get_string(s);
        v->n = 1;
    } else if (t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) {
        v->n = (size_t)config_setting_length(s);
        for (size_t i = 0; i < v->n && (double)i < fld->hi; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            items[i] = config_setting_get_string(e);
            if (items[i] == NULL) {
                fill_type_error(f, fld, (long)i);
                rc = -1;
            }
        }
    } else {
        fill_type_error(f, fld, -1);
        return -1;
    }
    v->items = items; /* never NULL: that would mean a stored mask */
    return rc;
}

static int
threshold_part(loader *ld, const config_setting_t *g, const char *key, long long *out)
{
    const config_setting_t *s = member(g, key);
    if (s == NULL)
        return 0;
    if (!is_int(s))
        return bad(ld, s, "\"%s\" must be an integer", key);
    *out = config_setting_get_int64(s);
    return 1;
}

static int
threshold_value(loader *ld, const config_setting_t *s, fvalue *v)
{
    char keys[2][KEY_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < NELEM(keys); i++)
        n = add_key(keys, n, validate_threshold_keys[i], strlen(validate_threshold_keys[i]));
    check_keys(ld, s, keys, n);
    v->falling = -1;
    int hr = threshold_part(ld, s, validate_threshold_keys[0], &v->rising);
    int hf = threshold_part(ld, s, validate_threshold_keys[1], &v->falling);
    if (hr == 0)
        bad(ld, s, "missing \"%s\"", validate_threshold_keys[0]);
    return hr > 0 && hf >= 0 ? 0 : -1;
}

/* A number, bool or string of the field's type; -1 for another type. */
static int
scalar_value(const smtpchk_setting *fld, const config_setting_t *s, fvalue *v)
{
    int t = config_setting_type(s);
    switch (fld->type) {
    case SMTPCHK_ST_INT:
        v->i = config_setting_get_int64(s);
        return is_int(s) ? 0 : -1;
    case SMTPCHK_ST_SECONDS:
        v->d = is_int(s) ? (double)config_setting_get_int64(s) : config_setting_get_float(s);
        return is_int(s) || t == CONFIG_TYPE_FLOAT ? 0 : -1;
    case SMTPCHK_ST_BOOL:
        v->i = config_setting_get_bool(s);
        return t == CONFIG_TYPE_BOOL ? 0 : -1;
    case SMTPCHK_ST_ENUM: /* another type is just not one of the names */
        v->i = -1;
        v->s = config_setting_get_string(s);
        return 0;
    default: return (v->s = config_setting_get_string(s)) != NULL ? 0 : -1;
    }
}

/* Converts s; 0, or -1 after reporting a value of the wrong type. */
static int
to_value(loader *ld, smtpchk_fill *f, const smtpchk_setting *fld, const config_setting_t *s,
         fvalue *v, const char **items)
{
    int rc;
    memset(v, 0, sizeof(*v));
    if (fld->type == SMTPCHK_ST_LIST)
        return list_value(f, fld, s, v, items);
    if (fld->type == SMTPCHK_ST_THRESHOLD && config_setting_is_group(s))
        return threshold_value(ld, s, v);
    rc = fld->type == SMTPCHK_ST_THRESHOLD ? -1 : scalar_value(fld, s, v);
    if (rc != 0)
        fill_type_error(f, fld, -1);
    return rc;
}

static void
take(loader *ld, smtpchk_fill *f, const smtpchk_setting *fld, const config_setting_t *s)
{
    const char *items[64];
    fvalue v;
    f->given |= bit_of(fld);
    f->here |= bit_of(fld);
    if (to_value(ld, f, fld, s, &v, items) == 0)
        fill_value(f, fld, &v);
    else
        f->bad |= bit_of(fld);
}

/* ---- one group: defaults or a check ---- */

/* The sub-group of fld in g, or NULL (reported when it is not a group). */
static const config_setting_t *
enter(loader *ld, smtpchk_fill *f, const config_setting_t *g, const smtpchk_setting *fld,
      unsigned scope)
{
    char group[KEY_MAX + 1];
    size_t glen = smtpchk_schema_group_len(fld);
    if (glen == 0)
        return g;
    snprintf(group, sizeof(group), "%.*s", (int)glen, fld->key);
    const config_setting_t *sub = member(g, group);
    if (sub == NULL)
        return NULL;
    if (!config_setting_is_group(sub)) {
        bad(ld, sub, "\"%s\" must be a group { ... }", group);
        return NULL;
    }
    check_group_keys(ld, sub, group, scope);
    smtpchk_fill_group(f, fld);
    return sub;
}

/* Fields come group by group (schema.h), so each group is entered once. */
static void
fill_group(loader *ld, const config_setting_t *g, smtpchk_fill *f, unsigned scope)
{
    const config_setting_t *sub = g;
    const smtpchk_setting *prev = NULL;
    ld->grp = g;
    check_group_keys(ld, g, "", scope);
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const smtpchk_setting *fld = smtpchk_schema_field(i);
        size_t glen = smtpchk_schema_group_len(fld);
        if (!(fld->scope & scope))
            continue;
        if (prev == NULL || glen != smtpchk_schema_group_len(prev) ||
            strncmp(fld->key, prev->key, glen) != 0)
            sub = enter(ld, f, g, fld, scope);
        prev = fld;
        const config_setting_t *s = member(sub, smtpchk_schema_leaf(fld));
        if (s != NULL)
            take(ld, f, fld, s);
    }
    smtpchk_fill_finish(f);
}

static void
fill_setup(loader *ld, smtpchk_fill *f)
{
    f->naming = SMTPCHK_NAME_KEY;
    f->report = on_report;
    f->ud = ld;
    f->dir = ld->dir;
    f->read_files = ld->read_files;
}

static void
parse_entry(loader *ld, const config_setting_t *g, const smtpchk_fill *defaults,
            smtpchk_config_entry *e)
{
    smtpchk_fill f;
    if (smtpchk_fill_copy(&f, defaults, e) != 0) {
        bad(ld, g, "out of memory");
        return;
    }
    f.scope = SMTPCHK_IN_CHECK;
    e->line = (int)config_setting_source_line(g);
    fill_group(ld, g, &f, SMTPCHK_IN_CHECK);
}

/* ---- the whole file ---- */

static void
parse_checks(loader *ld, const config_setting_t *root, const smtpchk_fill *defaults,
             smtpchk_config *cfg)
{
    const config_setting_t *list = member(root, "checks");
    int type = list != NULL ? config_setting_type(list) : CONFIG_TYPE_NONE;
    if (list != NULL && type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY) {
        bad(ld, list, "\"checks\" must be a list ( { ... }, ... )");
        return;
    }
    size_t n = list != NULL ? (size_t)config_setting_length(list) : 0;
    if (n == 0) {
        report_at(ld, list, false, "no checks defined");
        return;
    }
    if ((cfg->entries = calloc(n, sizeof(*cfg->entries))) == NULL) {
        bad(ld, list, "out of memory");
        return;
    }
    cfg->n = n;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            bad(ld, g, "each entry of \"checks\" must be a group { ... }");
        else
            parse_entry(ld, g, defaults, &cfg->entries[i]);
    }
}

static void
parse_defaults(loader *ld, const config_setting_t *root, smtpchk_fill *f)
{
    const config_setting_t *d = member(root, "defaults");
    if (d != NULL && !config_setting_is_group(d)) {
        bad(ld, d, "\"defaults\" must be a group { ... }");
        d = NULL;
    }
    if (d != NULL) {
        fill_group(ld, d, f, SMTPCHK_IN_DEFAULTS);
        return;
    }
    ld->grp = root;
    smtpchk_fill_finish(f);
}

/* ---- checks that must differ: index and name ---- */

typedef struct entry_ref {
    fvalue v;
    bool str; /* compare v.s, else v.i */
    const config_setting_t *g;
    size_t pos;
} entry_ref;

static int
cmp_value(const entry_ref *x, const entry_ref *y)
{
    if (x->str)
        return strcmp(x->v.s, y->v.s);
    return x->v.i < y->v.i ? -1 : x->v.i > y->v.i;
}

static int
cmp_ref(const void *a, const void *b)
{
    const entry_ref *x = a, *y = b;
    int c = cmp_value(x, y);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void
report_repeats(loader *ld, const row *r, const entry_ref *refs, size_t n)
{
    const char *leaf = smtpchk_schema_leaf(&r->f);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (cmp_value(&refs[i], &refs[first]) != 0) {
            first = i;
            continue;
        }
        char sh[64];
        unsigned line = config_setting_source_line(member(refs[first].g, leaf));
        if (refs[i].str)
            bad(ld, member(refs[i].g, leaf), "duplicate %s \"%s\" (first used on line %u)", leaf,
                smtpchk_shown(refs[i].v.s, sh, sizeof(sh)), line);
        else
            bad(ld, member(refs[i].g, leaf), "duplicate %s %lld (first used on line %u)", leaf,
                refs[i].v.i, line);
    }
}

/* Gathers the entries that have the field, sorts, reports repeats. */
static void
report_duplicates_of(loader *ld, const row *r, const config_setting_t *list,
                     const smtpchk_config *cfg, entry_ref *refs)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n; i++) {
        smtpchk_fill f = {.entry = &cfg->entries[i]};
        if (cfg->entries[i].check == NULL || !fill_get(&f, r, &refs[n].v))
            continue;
        refs[n].str = r->f.type == SMTPCHK_ST_STRING;
        refs[n].g = config_setting_get_elem(list, (unsigned)i);
        refs[n].pos = i;
        n++;
    }
    qsort(refs, n, sizeof(*refs), cmp_ref);
    report_repeats(ld, r, refs, n);
}

static void
report_duplicates(loader *ld, const config_setting_t *root, const smtpchk_config *cfg)
{
    entry_ref *refs = calloc(cfg->n + 1, sizeof(*refs));
    if (refs == NULL) {
        bad(ld, NULL, "out of memory");
        return;
    }
    for (size_t k = 0; k < smtpchk_schema_count(); k++)
        if (schema_row(k)->f.flags & SMTPCHK_F_UNIQUE)
            report_duplicates_of(ld, schema_row(k), member(root, "checks"), cfg, refs);
    free(refs);
}

static int
cmp_entry_index(const void *a, const void *b)
{
    const smtpchk_config_entry *x = a, *y = b;
    return x->check->index < y->check->index ? -1 : x->check->index > y->check->index;
}

static void
build(loader *ld, const config_t *lc, smtpchk_config *cfg)
{
    static const char *const top[] = {"defaults", "checks"};
    char keys[NELEM(top)][KEY_MAX + 1];
    size_t n = 0;
    const config_setting_t *root = config_root_setting(lc);
    for (size_t i = 0; i < NELEM(top); i++)
        n = add_key(keys, n, top[i], strlen(top[i]));
    check_keys(ld, root, keys, n);
    smtpchk_config_entry tmpl = {0};
    smtpchk_fill defaults;
    if (smtpchk_fill_init(&defaults, &tmpl, SMTPCHK_IN_DEFAULTS) != 0) {
        bad(ld, NULL, "out of memory");
    } else {
        fill_setup(ld, &defaults);
        parse_defaults(ld, root, &defaults);
        cfg->max_in_flight = defaults.max_in_flight;
        cfg->max_per_server = defaults.max_per_server;
        parse_checks(ld, root, &defaults, cfg);
        report_duplicates(ld, root, cfg);
    }
    smtpchk_config_entry_clear(&tmpl);
    if (ld->errors == 0 && cfg->n > 0)
        qsort(cfg->entries, cfg->n, sizeof(*cfg->entries), cmp_entry_index);
}

static int
read_config(loader *ld, config_t *lc)
{
    char *text = checkfile_read(ld->path, ld->diags, &ld->errors);
    if (text == NULL)
        return -1;
    int ok = config_read_string(lc, text) == CONFIG_TRUE;
    free(text);
    if (ok)
        return 0;
    const char *file = config_error_file(lc);
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", config_error_text(lc));
    smtpchk_diag_add(ld->diags, file != NULL ? file : ld->path, config_error_line(lc), true, msg);
    ld->errors++;
    return -1;
}

static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    return strndup(path, len);
}

static smtpchk_config *
config_new(const char *path)
{
    smtpchk_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    if ((cfg->path = strdup(path)) == NULL) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

int
smtpchk_config_load_opts(const char *path, const smtpchk_config_opts *opts, smtpchk_config **out,
                         smtpchk_diag *diags)
{
    *out = NULL;
    loader ld = {.path = path, .read_files = opts == NULL || opts->read_files, .diags = diags};
    size_t start = smtpchk_diag_count(diags, 0);
    const char *origin = opts != NULL && opts->origin != NULL ? opts->origin : path;
    ld.dir = dir_of(origin);
    smtpchk_config *cfg = config_new(path);
    if (cfg == NULL || (strchr(origin, '/') != NULL && ld.dir == NULL)) {
        smtpchk_diag_add(diags, path, 0, true, "out of memory");
        ld.errors++;
    } else {
        config_t lc;
        config_init(&lc);
        if (read_config(&ld, &lc) == 0)
            build(&ld, &lc, cfg);
        config_destroy(&lc);
    }
    free(ld.dir);
    smtpchk_diag_sort_from(diags, start);
    if (ld.errors > 0) {
        smtpchk_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

int
smtpchk_config_load(const char *path, smtpchk_config **out, smtpchk_diag *diags)
{
    smtpchk_config_opts opts = {.read_files = true};
    return smtpchk_config_load_opts(path, &opts, out, diags);
}

void
smtpchk_config_entry_clear(smtpchk_config_entry *e)
{
    if (e == NULL)
        return;
    smtpchk_fill f = {.entry = e};
    for (size_t i = 0; i < smtpchk_schema_count(); i++) {
        const row *r = schema_row(i);
        if (r->f.type == SMTPCHK_ST_PATH && r->at == AT_ENTRY)
            free(*(char **)fill_at(&f, r, r->off));
    }
    smtpchk_check_free(e->check);
    memset(e, 0, sizeof(*e));
}

void
smtpchk_config_free(smtpchk_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n; i++)
        smtpchk_config_entry_clear(&cfg->entries[i]);
    free(cfg->entries);
    free(cfg->path);
    free(cfg);
}

const smtpchk_config_entry *
smtpchk_config_find(const smtpchk_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->n; i++)
        if (strcmp(cfg->entries[i].check->name, name) == 0)
            return &cfg->entries[i];
    return NULL;
}

const smtpchk_config_entry *
smtpchk_config_find_index(const smtpchk_config *cfg, unsigned index)
{
    for (size_t i = 0; cfg != NULL && i < cfg->n; i++)
        if (cfg->entries[i].check->index == index)
            return &cfg->entries[i];
    return NULL;
}
