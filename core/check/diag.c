/* Diagnostics: messages with their line, sorted into file order. */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct diag_msg {
    char *text;
    bool error;
    int line;
    size_t seq; /* insertion order, to keep the sort stable */
} diag_msg;

struct smtpchk_diag {
    diag_msg *v;
    size_t n, cap;
};

smtpchk_diag *
smtpchk_diag_new(void)
{
    return calloc(1, sizeof(smtpchk_diag));
}

void
smtpchk_diag_free(smtpchk_diag *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].text);
    free(d->v);
    free(d);
}

size_t
smtpchk_diag_count(const smtpchk_diag *d, int errors_only)
{
    if (d == NULL)
        return 0;
    if (!errors_only)
        return d->n;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].error;
    return n;
}

const char *
smtpchk_diag_message(const smtpchk_diag *d, size_t i)
{
    return d != NULL && i < d->n ? d->v[i].text : NULL;
}

bool
smtpchk_diag_is_error(const smtpchk_diag *d, size_t i)
{
    return d != NULL && i < d->n && d->v[i].error;
}

static int
grow(smtpchk_diag *d)
{
    if (d->n < d->cap)
        return 0;
    size_t cap = d->cap ? d->cap * 2 : 16;
    diag_msg *v = realloc(d->v, cap * sizeof(*v));
    if (v == NULL)
        return -1;
    d->v = v;
    d->cap = cap;
    return 0;
}

void
smtpchk_diag_add(smtpchk_diag *d, const char *file, int line, bool error, const char *text)
{
    char full[1024];
    const char *kind = error ? "error" : "warning";
    if (d == NULL || grow(d) != 0)
        return;
    if (line > 0)
        snprintf(full, sizeof(full), "%s:%d: %s: %s", file, line, kind, text);
    else
        snprintf(full, sizeof(full), "%s: %s: %s", file, kind, text);
    char *copy = strdup(full);
    if (copy == NULL)
        return;
    d->v[d->n] = (diag_msg){.text = copy, .error = error, .line = line, .seq = d->n};
    d->n++;
}

static int
cmp_diag(const void *a, const void *b)
{
    const diag_msg *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
smtpchk_diag_sort_from(smtpchk_diag *d, size_t start)
{
    if (d != NULL && d->n > start)
        qsort(d->v + start, d->n - start, sizeof(d->v[0]), cmp_diag);
}
