/*
 * The saved state, one record (record.h) a line:
 *
 *   format version=2
 *   globals loads=3 errors=1 last_load=1764000000
 *   row index=1 name=mx runs=120 failures=2 ... (row_keys below)
 *   result index=1 error_code=0 ... (every stored result field, fields.h)
 *   alarm index=1 metric=totalTime raised=1 count=1 ... (alarm_keys below)
 *   history index=1 seq=41 runs=WHEN.TOTAL.CONNECT.STATUS.CODE.ERROR.STEP,...
 *   window index=1 newest_5m=5880001 newest_2h=245000 buckets=0.1.12.12/4.12,...
 *   target index=1 target=2 mx=mx2.example address=::1 preference=10 ... error_code=0 ...
 *
 * A reader skips kinds and keys it does not know and keeps its defaults
 * for keys it does not find. A row's state goes back only to the check
 * with the same index and name: another check now at that index starts
 * afresh. A file without "format version=2" (version 1 was a hex dump of
 * memory) is ignored. Keys added later (last_success) need no new version:
 * an older module skips them, and a row written before them is mended in
 * mend_row. The history (history.h) is written HISTORY_CHUNK runs a
 * record, oldest first; the window sketch (window.h) as one record; an MX
 * check's targets of its last run (smtpCheckTargetTable) one record each,
 * in order: what the target is (target_keys, target_texts), then its
 * result as the "result" record has it.
 */
#include "smtpcheck_persist.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "smtpCheckTable.h"
#include "smtpcheck.h"
#include "smtpcheck_files.h"

#define STATE_FILE "smtpcheck-state.conf"
#define FORMAT_VERSION 2
#define MAX_RECORDS ((size_t)1024 * 1024)
#define HISTORY_CHUNK 200 /* runs a record: about 9 KiB, far below the line limit */
#define ENTRY_TEXT 64     /* one run as text, with room to spare */

/* ---- numbers by name: one table per struct ---- */

typedef enum num_kind { NUM_BOOL, NUM_INT, NUM_U32, NUM_U64, NUM_I64 } num_kind;

typedef struct num_key {
    const char *key;
    size_t offset;
    num_kind kind;
} num_key;

/* The comparison in sizeof is never evaluated: it makes a member whose
 * type is not `type` a compile error. */
#define NUM(key, T, member, type, kind) \
    {key, offsetof(T, member) + 0 * sizeof((type *)0 == &((T *)0)->member), kind}
#define BOOL_KEY(key, T, m) NUM(key, T, m, bool, NUM_BOOL)
#define INT_KEY(key, T, m) NUM(key, T, m, int, NUM_INT)
#define U32_KEY(key, T, m) NUM(key, T, m, uint32_t, NUM_U32)
#define U64_KEY(key, T, m) NUM(key, T, m, uint64_t, NUM_U64)
#define I64_KEY(key, T, m) NUM(key, T, m, int64_t, NUM_I64)

static const num_key globals_keys[] = {
    U32_KEY("loads", sc_globals, config_loads),
    U32_KEY("errors", sc_globals, config_errors),
    I64_KEY("last_load", sc_globals, last_load),
};

/* The row's own counters; index and name identify it. */
static const num_key row_keys[] = {
    U32_KEY("runs", sc_row, runs),
    U32_KEY("failures", sc_row, failures),
    U32_KEY("skipped", sc_row, skipped),
    U32_KEY("consecutive", sc_row, consecutive),
    I64_KEY("last_run", sc_row, last_run),
    I64_KEY("last_success", sc_row, last_success),
    BOOL_KEY("have_result", sc_row, have_result),
    U32_KEY("connect_min", sc_row, connect.min),
    U32_KEY("connect_max", sc_row, connect.max),
    U64_KEY("connect_sum", sc_row, connect.sum),
    U64_KEY("connect_count", sc_row, connect.count),
    U32_KEY("total_min", sc_row, total.min),
    U32_KEY("total_max", sc_row, total.max),
    U64_KEY("total_sum", sc_row, total.sum),
    U64_KEY("total_count", sc_row, total.count),
    U32_KEY("delivery_min", sc_row, delivery.min),
    U32_KEY("delivery_max", sc_row, delivery.max),
    U64_KEY("delivery_sum", sc_row, delivery.sum),
    U64_KEY("delivery_count", sc_row, delivery.count),
    U32_KEY("history_next", sc_row, history.next_seq),
};

/* The window sketch's newest bucket numbers; its buckets are text. */
static const num_key window_keys[] = {
    U32_KEY("newest_5m", smtpchk_window, newest[SMTPCHK_WINDOW_1H]),
    U32_KEY("newest_2h", smtpchk_window, newest[SMTPCHK_WINDOW_24H]),
};

/* One alarm's state; its thresholds come from the check file. */
static const num_key alarm_keys[] = {
    BOOL_KEY("raised", smtpchk_alarm, raised),
    U32_KEY("count", smtpchk_alarm, raised_count),
    I64_KEY("last_change", smtpchk_alarm, last_change),
    BOOL_KEY("has_value", smtpchk_alarm, has_value),
    I64_KEY("value", smtpchk_alarm, value),
};

/* What an MX check's target is; its result is the result fields. */
static const num_key target_keys[] = {
    INT_KEY("preference", smtpchk_target, preference),
    INT_KEY("family", smtpchk_target, family),
    BOOL_KEY("via_cname", smtpchk_target, via_cname),
};

typedef struct text_key {
    const char *key;
    size_t offset, size;
} text_key;

#define TEXT_KEY(key, T, m) {key, offsetof(T, m), sizeof(((T *)0)->m)}

static const text_key target_texts[] = {
    TEXT_KEY("mx", smtpchk_target, mx),
    TEXT_KEY("address", smtpchk_target, address),
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static long long
num_read(const void *base, const num_key *k)
{
    const char *p = (const char *)base + k->offset;
    bool b;
    int i;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    switch (k->kind) {
    case NUM_BOOL: memcpy(&b, p, sizeof(b)); return b;
    case NUM_INT: memcpy(&i, p, sizeof(i)); return i;
    case NUM_U32: memcpy(&u32, p, sizeof(u32)); return u32;
    case NUM_U64: memcpy(&u64, p, sizeof(u64)); return u64 > LLONG_MAX ? LLONG_MAX : (long long)u64;
    default: memcpy(&i64, p, sizeof(i64)); return i64;
    }
}

static void
num_write(void *base, const num_key *k, long long v)
{
    char *p = (char *)base + k->offset;
    bool b = v != 0;
    int i = (int)v;
    uint32_t u32 = (uint32_t)v;
    uint64_t u64 = (uint64_t)v;
    int64_t i64 = v;
    switch (k->kind) {
    case NUM_BOOL: memcpy(p, &b, sizeof(b)); break;
    case NUM_INT: memcpy(p, &i, sizeof(i)); break;
    case NUM_U32: memcpy(p, &u32, sizeof(u32)); break;
    case NUM_U64: memcpy(p, &u64, sizeof(u64)); break;
    default: memcpy(p, &i64, sizeof(i64)); break;
    }
}

static void
num_range(num_kind kind, long long *lo, long long *hi)
{
    *lo = kind == NUM_I64 ? LLONG_MIN : kind == NUM_INT ? INT_MIN : 0;
    *hi = kind == NUM_BOOL ? 1 : kind == NUM_INT ? INT_MAX : kind == NUM_U32 ? UINT32_MAX
                                                                             : LLONG_MAX;
}

static void
put_nums(FILE *f, const num_key *keys, size_t n, const void *base)
{
    for (size_t i = 0; i < n; i++)
        smtpchk_record_put_int(f, keys[i].key, num_read(base, &keys[i]));
}

/* Sets each key rec has (and that fits its type); the rest stay. */
static void
get_nums(const smtpchk_record *rec, const num_key *keys, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        long long lo, hi, v;
        num_range(keys[i].kind, &lo, &hi);
        if (smtpchk_record_get_int(rec, keys[i].key, lo, hi, &v) == 0)
            num_write(base, &keys[i], v);
    }
}

/* ---- writing ---- */

/* One record per HISTORY_CHUNK runs: seq is the first one's number. */
static void
write_history(FILE *f, const sc_row *r)
{
    const smtpchk_history *h = &r->history;
    char text[ENTRY_TEXT];
    uint32_t seq = smtpchk_history_next(h, 0);
    for (uint32_t i = 0; seq != 0; i++, seq = smtpchk_history_next(h, seq)) {
        if (i % HISTORY_CHUNK == 0) {
            if (i > 0)
                smtpchk_record_end(f);
            smtpchk_record_begin(f, "history");
            smtpchk_record_put_int(f, "index", r->index);
            smtpchk_record_put_int(f, "seq", seq);
            fputs(" runs=", f);
        }
        smtpchk_history_entry_format(smtpchk_history_get(h, seq), text, sizeof(text));
        fprintf(f, "%s%s", i % HISTORY_CHUNK ? "," : "", text); /* digits, '.', '-' */
    }
    if (h->n > 0)
        smtpchk_record_end(f);
}

static void
write_window(FILE *f, const sc_row *r)
{
    size_t need = smtpchk_window_format(&r->window, NULL, 0);
    char *text = need > 0 ? malloc(need + 1) : NULL;
    if (text == NULL)
        return;
    smtpchk_window_format(&r->window, text, need + 1);
    smtpchk_record_begin(f, "window");
    smtpchk_record_put_int(f, "index", r->index);
    put_nums(f, window_keys, NKEYS(window_keys), &r->window);
    smtpchk_record_put(f, "buckets", text);
    smtpchk_record_end(f);
    free(text);
}

static void
write_targets(FILE *f, const sc_row *r)
{
    for (uint32_t i = 0; i < r->ntargets; i++) {
        const smtpchk_target *t = &r->targets[i];
        smtpchk_record_begin(f, "target");
        smtpchk_record_put_int(f, "index", r->index);
        smtpchk_record_put_int(f, "target", i + 1);
        for (size_t k = 0; k < NKEYS(target_texts); k++)
            smtpchk_record_put(f, target_texts[k].key, (const char *)t + target_texts[k].offset);
        put_nums(f, target_keys, NKEYS(target_keys), t);
        smtpchk_record_put_result(f, &t->result);
        smtpchk_record_end(f);
    }
}

static void
write_row(FILE *f, const sc_row *r)
{
    smtpchk_record_begin(f, "row");
    smtpchk_record_put_int(f, "index", r->index);
    smtpchk_record_put(f, "name", sc_row_name(r));
    put_nums(f, row_keys, NKEYS(row_keys), r);
    smtpchk_record_end(f);
    if (r->have_result) {
        smtpchk_record_begin(f, "result");
        smtpchk_record_put_int(f, "index", r->index);
        smtpchk_result last;
        sc_row_last(r, &last);
        smtpchk_record_put_result(f, &last);
        smtpchk_record_end(f);
    }
    for (int metric = 1; metric < SMTPCHK_METRIC__COUNT; metric++) {
        const smtpchk_alarm *a = sc_row_alarm(r, metric);
        if (a == NULL)
            continue;
        smtpchk_record_begin(f, "alarm");
        smtpchk_record_put_int(f, "index", r->index);
        smtpchk_record_put(f, "metric", smtpchk_metric_name((smtpchk_metric)metric));
        put_nums(f, alarm_keys, NKEYS(alarm_keys), a);
        smtpchk_record_end(f);
    }
    write_history(f, r);
    write_window(f, r);
    write_targets(f, r);
}

int
smtpcheck_persist_save_begin(sc_module *m)
{
    sc_save *s = &m->save;
    smtpcheck_persist_save_abort(m);
    if (smtpcheck_file_begin(&s->w, STATE_FILE) != 0)
        return 1;
    s->on = true;
    s->last_index = 0;
    s->rows = s->steps = 0;
    s->longest_us = 0;
    fprintf(s->w.f, "# smtpcheck state: counters and alarm states. Written by the module.\n");
    smtpchk_record_begin(s->w.f, "format");
    smtpchk_record_put_int(s->w.f, "version", FORMAT_VERSION);
    smtpchk_record_end(s->w.f);
    smtpchk_record_begin(s->w.f, "globals");
    put_nums(s->w.f, globals_keys, NKEYS(globals_keys), &m->globals);
    smtpchk_record_end(s->w.f);
    return 0;
}

int
smtpcheck_persist_save_step(sc_module *m, size_t max_rows)
{
    sc_save *s = &m->save;
    if (!s->on)
        return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sc_row *r = smtpCheckTable_after(m, s->last_index);
    s->steps++;
    for (size_t n = 0; r != NULL && n < max_rows; n++) {
        write_row(s->w.f, r);
        s->last_index = r->index;
        s->rows++;
        r = smtpCheckTable_next(m, r);
    }
    int rc = r != NULL ? 1 : smtpcheck_file_end(&s->w, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    s->longest_us = us > s->longest_us ? us : s->longest_us;
    if (r != NULL)
        return 0;
    s->on = false;
    DEBUGMSGTL(("smtpcheck:save", "%s %zu rows in %zu steps, the longest %ld us\n",
                rc == 0 ? "saved" : "failed:", s->rows, s->steps, s->longest_us));
    return 1;
}

void
smtpcheck_persist_save_abort(sc_module *m)
{
    if (m->save.on)
        smtpcheck_file_end(&m->save.w, 0);
    m->save.on = false;
}

void
smtpcheck_persist_save(sc_module *m)
{
    if (smtpcheck_persist_save_begin(m) == 0)
        smtpcheck_persist_save_step(m, SIZE_MAX);
}

/* ---- reading ---- */

/* A record of the state file. Only where it is stays in memory: at
 * 10,000 checks the parsed records took some 200 MB at once, which the
 * heap kept after the restore (issue 13). */
struct sc_saved {
    unsigned index;      /* 0: a record of no row */
    size_t seq;          /* its line order, among records of one index */
    long offset;         /* of its line in m->saved_file */
    smtpchk_record *rec; /* read back while its row is restored (load_range) */
};

static int
saved_cmp(const void *a, const void *b)
{
    const struct sc_saved *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
smtpcheck_persist_forget(sc_module *m)
{
    for (size_t i = 0; i < m->nsaved; i++)
        smtpchk_record_free(m->saved[i].rec);
    free(m->saved);
    m->saved = NULL;
    m->nsaved = 0;
    if (m->saved_file != NULL)
        fclose(m->saved_file);
    m->saved_file = NULL;
    free(m->saved_line);
    m->saved_line = NULL;
}

/* Where record rec, read at offset, is (it is not kept). */
static int
keep(sc_module *m, const smtpchk_record *rec, long offset, size_t *cap)
{
    if (m->nsaved == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        struct sc_saved *v = n <= MAX_RECORDS ? realloc(m->saved, n * sizeof(*v)) : NULL;
        if (v == NULL)
            return -1;
        m->saved = v;
        *cap = n;
    }
    long long index = 0;
    smtpchk_record_get_int(rec, "index", 1, UINT_MAX, &index);
    m->saved[m->nsaved] = (struct sc_saved){(unsigned)index, m->nsaved, offset, NULL};
    m->nsaved++;
    return 0;
}

/* The next line into buf (at most len - 1 bytes); longer lines are
 * skipped whole. Returns its length, or -1 at the end. */
static long
read_line(FILE *f, char *buf, size_t len)
{
    for (;;) {
        if (fgets(buf, (int)len, f) == NULL)
            return -1;
        size_t n = strlen(buf);
        if (n > 0 && (buf[n - 1] == '\n' || feof(f)))
            return (long)n;
        int c;
        while ((c = fgetc(f)) != EOF && c != '\n')
            ;
    }
}

#define LINE_LEN (SMTPCHK_RECORD_MAX_LINE + 2)

/* Where every record of the file is; returns the format version (0: none). */
static long long
read_records(sc_module *m, FILE *f)
{
    size_t cap = 0;
    long long version = 0;
    long n, at = ftell(f);
    for (; m->saved_line != NULL && (n = read_line(f, m->saved_line, LINE_LEN)) >= 0;
         at = ftell(f)) {
        smtpchk_record *rec = smtpchk_record_parse(m->saved_line, (size_t)n);
        if (rec == NULL)
            continue; /* a comment, a blank line, or not a record */
        if (strcmp(smtpchk_record_kind(rec), "format") == 0)
            smtpchk_record_get_int(rec, "version", 0, LLONG_MAX, &version);
        int full = keep(m, rec, at, &cap);
        smtpchk_record_free(rec);
        if (full != 0)
            break;
    }
    return version;
}

/* Reads the records [first, end) back (NULL: one that no longer reads). */
static void
load_range(sc_module *m, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++) {
        if (m->saved[i].rec != NULL)
            continue;
        long n = fseek(m->saved_file, m->saved[i].offset, SEEK_SET) == 0
                     ? read_line(m->saved_file, m->saved_line, LINE_LEN)
                     : -1;
        if (n >= 0)
            m->saved[i].rec = smtpchk_record_parse(m->saved_line, (size_t)n);
    }
}

static void
drop_range(sc_module *m, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++) {
        smtpchk_record_free(m->saved[i].rec);
        m->saved[i].rec = NULL;
    }
}

/* Reads the state file into m->saved, sorted by index. */
static void
read_state(sc_module *m)
{
    char path[1024];
    smtpcheck_persist_forget(m);
    FILE *f = smtpcheck_file_path(path, sizeof(path), STATE_FILE) == 0 ? fopen(path, "re") : NULL;
    if (f == NULL)
        return;
    m->saved_file = f;
    m->saved_line = malloc(LINE_LEN);
    long long version = read_records(m, f);
    int empty = ftell(f) <= 0;
    if (version != FORMAT_VERSION) {
        if (!empty)
            snmp_log(LOG_WARNING, "smtpcheck: ignoring %s: not format version %d (an older "
                     "module wrote it); counters start afresh\n", path, FORMAT_VERSION);
        smtpcheck_persist_forget(m);
        return;
    }
    if (m->nsaved > 1)
        qsort(m->saved, m->nsaved, sizeof(*m->saved), saved_cmp);
}

/* The saved records of index: [*first, *end). */
static void
records_of(sc_module *m, unsigned index, size_t *first, size_t *end)
{
    size_t lo = 0, hi = m->nsaved;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->saved[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = *end = lo;
    while (*end < m->nsaved && m->saved[*end].index == index)
        (*end)++;
}

static int
is_kind(const struct sc_saved *s, const char *kind)
{
    return s->rec != NULL && strcmp(smtpchk_record_kind(s->rec), kind) == 0;
}

void
smtpcheck_persist_load_globals(sc_module *m)
{
    size_t first, end;
    read_state(m);
    records_of(m, 0, &first, &end); /* of no row */
    load_range(m, first, end);
    for (size_t i = first; i < end; i++)
        if (is_kind(&m->saved[i], "globals"))
            get_nums(m->saved[i].rec, globals_keys, NKEYS(globals_keys), &m->globals);
    smtpcheck_persist_forget(m);
}

void
smtpcheck_persist_load(sc_module *m)
{
    read_state(m);
    DEBUGMSGTL(("smtpcheck:persist", "%zu saved records\n", m->nsaved));
}

/* ---- restoring a row ---- */

static void
restore_alarm(sc_row *r, const smtpchk_record *rec)
{
    const char *name = smtpchk_record_get(rec, "metric");
    for (int metric = 1; name != NULL && metric < SMTPCHK_METRIC__COUNT; metric++) {
        /* An alarm no longer configured starts afresh. */
        if (sc_row_alarm(r, metric) != NULL &&
            strcmp(name, smtpchk_metric_name((smtpchk_metric)metric)) == 0)
            get_nums(rec, alarm_keys, NKEYS(alarm_keys), &r->alarms->set.a[metric]);
    }
}

/* A chunk of runs, numbered from its seq. A bad run ends the chunk. */
static void
restore_history(sc_row *r, const smtpchk_record *rec)
{
    long long seq;
    const char *runs = smtpchk_record_get(rec, "runs");
    if (runs == NULL || smtpchk_record_get_int(rec, "seq", 1, UINT32_MAX, &seq) != 0)
        return;
    for (const char *p = runs; *p != '\0'; seq++) {
        size_t len = strcspn(p, ",");
        smtpchk_history_entry e;
        if (seq > UINT32_MAX || smtpchk_history_entry_parse(p, len, &e) != 0)
            return;
        smtpchk_history_restore(&r->history, (uint32_t)seq, &e);
        p += len + (p[len] == ',');
    }
}

static void
restore_window(sc_row *r, const smtpchk_record *rec)
{
    const char *buckets = smtpchk_record_get(rec, "buckets");
    if (buckets == NULL)
        return;
    get_nums(rec, window_keys, NKEYS(window_keys), &r->window);
    if (smtpchk_window_parse(&r->window, buckets) != 0)
        memset(r->window.newest, 0, sizeof(r->window.newest));
}

/* The next target in order (target = ntargets + 1; others are skipped),
 * into room for cap of them. */
static void
restore_target(sc_row *r, const smtpchk_record *rec, size_t cap)
{
    long long n;
    if (r->ntargets == cap ||
        smtpchk_record_get_int(rec, "target", 1, SMTPCHK_TARGETS_MAX, &n) != 0 ||
        n != (long long)r->ntargets + 1)
        return;
    smtpchk_target *t = &r->targets[r->ntargets];
    memset(t, 0, sizeof(*t));
    for (size_t k = 0; k < NKEYS(target_texts); k++) {
        const char *v = smtpchk_record_get(rec, target_texts[k].key);
        snprintf((char *)t + target_texts[k].offset, target_texts[k].size, "%s", v ? v : "");
    }
    get_nums(rec, target_keys, NKEYS(target_keys), t);
    smtpchk_result_init(&t->result);
    smtpchk_record_get_result(rec, &t->result);
    r->ntargets++;
}

/* The last run's targets, unless a live run already gave some. */
static void
restore_targets(sc_module *m, sc_row *r, size_t first, size_t end)
{
    size_t cap = 0;
    for (size_t i = first; i < end && cap < SMTPCHK_TARGETS_MAX; i++)
        cap += is_kind(&m->saved[i], "target");
    if (r->targets != NULL || cap == 0 || (r->targets = calloc(cap, sizeof(*r->targets))) == NULL)
        return;
    for (size_t i = first; i < end; i++)
        if (is_kind(&m->saved[i], "target"))
            restore_target(r, m->saved[i].rec, cap);
    if (r->ntargets == 0) {
        free(r->targets);
        r->targets = NULL;
    }
}

static const smtpchk_record *
saved_row(sc_module *m, const sc_row *r, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++) {
        const char *name = smtpchk_record_get(m->saved[i].rec, "name");
        if (is_kind(&m->saved[i], "row") && name != NULL && strcmp(name, sc_row_name(r)) == 0)
            return m->saved[i].rec;
    }
    return NULL;
}

static void
restore_result(sc_row *r, const smtpchk_record *rec)
{
    smtpchk_result last;
    sc_row_last(r, &last);
    smtpchk_record_get_result(rec, &last);
    sc_row_set_last(r, &last);
}

/* A row saved before last_success was kept: its last run, when that
 * ended ok, is the last success known. */
static void
mend_row(const smtpchk_record *row, sc_row *r)
{
    if (smtpchk_record_get(row, "last_success") != NULL || !r->have_result)
        return;
    smtpchk_result last;
    sc_row_last(r, &last);
    if (last.error == SMTPCHK_OK)
        r->last_success = r->last_run;
}

static void
restore_range(sc_module *m, sc_row *r, size_t first, size_t end)
{
    const smtpchk_record *row = saved_row(m, r, first, end);
    if (row == NULL)
        return; /* new, or another check now has this index: start afresh */
    get_nums(row, row_keys, NKEYS(row_keys), r);
    r->skipped_base = r->skipped;
    uint32_t next_run = r->history.next_seq;
    for (size_t i = first; i < end; i++) {
        if (is_kind(&m->saved[i], "result"))
            restore_result(r, m->saved[i].rec);
        else if (is_kind(&m->saved[i], "alarm"))
            restore_alarm(r, m->saved[i].rec);
        else if (is_kind(&m->saved[i], "history"))
            restore_history(r, m->saved[i].rec);
        else if (is_kind(&m->saved[i], "window"))
            restore_window(r, m->saved[i].rec);
    }
    restore_targets(m, r, first, end);
    /* Runs kept whole; numbering goes on where it stopped (0: an older file). */
    if (next_run != 0)
        smtpchk_history_set_next(&r->history, next_run);
    mend_row(row, r);
    DEBUGMSGTL(("smtpcheck:persist", "restored check %u (%s): %u runs\n", r->index, sc_row_name(r),
                r->runs));
}

void
smtpcheck_persist_restore(sc_module *m, sc_row *r)
{
    size_t first, end;
    records_of(m, r->index, &first, &end);
    load_range(m, first, end);
    restore_range(m, r, first, end);
    drop_range(m, first, end);
}
