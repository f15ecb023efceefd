#include "heap.h"

#include <stdlib.h>

void
smtpchk_heap_init(smtpchk_heap *h)
{
    h->v = NULL;
    h->n = h->cap = 0;
}

void
smtpchk_heap_free(smtpchk_heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->pos = 0;
    free(h->v);
    smtpchk_heap_init(h);
}

static void
place(smtpchk_heap *h, size_t i, smtpchk_timer *t)
{
    h->v[i] = t;
    t->pos = i + 1;
}

static void
sift_up(smtpchk_heap *h, size_t i)
{
    smtpchk_timer *t = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent]->when <= t->when)
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void
sift_down(smtpchk_heap *h, size_t i)
{
    smtpchk_timer *t = h->v[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && h->v[child + 1]->when < h->v[child]->when)
            child++;
        if (t->when <= h->v[child]->when)
            break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, t);
}

int
smtpchk_heap_set(smtpchk_heap *h, smtpchk_timer *t, int64_t when)
{
    if (t->pos != 0) {
        int64_t old = t->when;
        t->when = when;
        if (when < old)
            sift_up(h, t->pos - 1);
        else
            sift_down(h, t->pos - 1);
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        smtpchk_timer **v = realloc(h->v, cap * sizeof(*v)); // NOLINT(bugprone-sizeof-expression): pointers
        if (v == NULL)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    t->when = when;
    place(h, h->n++, t);
    sift_up(h, h->n - 1);
    return 0;
}

void
smtpchk_heap_remove(smtpchk_heap *h, smtpchk_timer *t)
{
    if (t->pos == 0)
        return;
    size_t i = t->pos - 1;
    t->pos = 0;
    smtpchk_timer *last = h->v[--h->n];
    if (i == h->n)
        return;
    place(h, i, last);
    sift_up(h, i);
    sift_down(h, last->pos - 1);
}

smtpchk_timer *
smtpchk_heap_top(const smtpchk_heap *h)
{
    return h->n > 0 ? h->v[0] : NULL;
}
