/* Tables served from the check rows by OID arithmetic (smtpcheck_walk.h). */
#include "smtpcheck_walk.h"

#include <string.h>

#include "smtpCheckTable.h"
#include "smtpcheck.h"
#include "smtpcheck_varbind.h"

/* A position in the table: column, check index, sub-index. */
typedef struct pos {
    unsigned col;
    const sc_row *r;
    uint32_t sub;
} pos;

static int
two_indexes(const sc_walk_spec *s)
{
    return s->next_sub != NULL;
}

/* The first sub-index of r after `after` (one-index tables: the row itself). */
static uint32_t
sub_after(const sc_walk_spec *s, const sc_row *r, uint32_t after)
{
    if (!two_indexes(s))
        return after == 0; /* 1: the row; 0: nothing after it */
    return s->next_sub(r, after);
}

/* The first entry of a row at or after r (its first sub-index); r NULL = none. */
static int
first_from(sc_module *m, const sc_walk_spec *s, const sc_row *r, pos *p)
{
    for (; r != NULL; r = smtpCheckTable_next(m, (sc_row *)r)) {
        uint32_t sub = sub_after(s, r, 0);
        if (sub != 0) {
            p->r = r;
            p->sub = sub;
            return 1;
        }
    }
    return 0;
}

/* The first entry after (idx, sub) in column order; have_sub = 0 means
 * "before every sub-index of idx". */
static int
next_in_column(sc_module *m, const sc_walk_spec *s, u_long idx, int have_sub, u_long sub, pos *p)
{
    const sc_row *r = idx <= UINT32_MAX ? smtpCheckTable_find(m, (unsigned)idx) : NULL;
    if (r != NULL && two_indexes(s) && sub < UINT32_MAX) {
        uint32_t next = sub_after(s, r, have_sub ? (uint32_t)sub : 0);
        if (next != 0) {
            p->r = r;
            p->sub = next;
            return 1;
        }
    }
    return idx < UINT32_MAX && first_from(m, s, smtpCheckTable_after(m, (unsigned)idx), p);
}

/* GETNEXT: the entry after name, in (column, index, sub-index) order. */
static int
walk_next(sc_module *m, const sc_walk_spec *s, const oid *name, size_t len, pos *p)
{
    size_t e = s->entry_len;
    int c = snmp_oid_compare(name, len < e ? len : e, s->entry_oid, e);
    if (c > 0)
        return 0; /* past the table */
    int from_start = c < 0 || len <= e || name[e] < s->min_col;
    unsigned col = from_start ? s->min_col : (unsigned)(name[e] > s->max_col ? s->max_col + 1 : name[e]);
    for (; col <= s->max_col; col++, from_start = 1) {
        p->col = col;
        if (from_start || len <= e + 1) {
            if (first_from(m, s, smtpCheckTable_first(m), p))
                return 1;
            continue;
        }
        /* One index: always after name[e + 1]; two: after its sub-index. */
        int have_sub = two_indexes(s) && len > e + 2;
        u_long idx = name[e + 1];
        if (!two_indexes(s) ? next_in_column(m, s, idx, 0, UINT32_MAX, p)
                            : next_in_column(m, s, idx, have_sub, have_sub ? name[e + 2] : 0, p))
            return 1;
    }
    return 0;
}

/* GET: the entry name names exactly. */
static int
walk_exact(sc_module *m, const sc_walk_spec *s, const oid *name, size_t len, pos *p)
{
    size_t e = s->entry_len, want = e + 2 + (size_t)two_indexes(s);
    if (len != want || snmp_oid_compare(name, e, s->entry_oid, e) != 0 || name[e + 1] > UINT32_MAX)
        return 0;
    p->col = (unsigned)(name[e] <= s->max_col ? name[e] : 0);
    p->r = smtpCheckTable_find(m, (unsigned)name[e + 1]);
    p->sub = two_indexes(s) ? (name[e + 2] <= UINT32_MAX ? (uint32_t)name[e + 2] : 0) : 1;
    return p->col >= s->min_col && p->r != NULL && p->sub != 0;
}

static void
set_name(netsnmp_variable_list *v, const sc_walk_spec *s, const pos *p)
{
    oid name[MAX_OID_LEN];
    size_t e = s->entry_len;
    memcpy(name, s->entry_oid, e * sizeof(oid));
    name[e] = p->col;
    name[e + 1] = p->r->index;
    name[e + 2] = p->sub;
    snmp_set_var_objid(v, name, e + 2 + (size_t)two_indexes(s));
}

static void
answer(sc_walk *w, netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req)
{
    const sc_walk_spec *s = w->spec;
    netsnmp_variable_list *v = req->requestvb;
    pos p = {0};
    if (reqinfo->mode == MODE_GET) {
        if (!walk_exact(w->m, s, v->name, v->name_length, &p) || !s->get(v, p.r, p.sub, p.col))
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
        return;
    }
    /* GETNEXT: nothing set past the end, so snmpd moves to the next subtree. */
    while (walk_next(w->m, s, v->name, v->name_length, &p)) {
        set_name(v, s, &p);
        if (s->get(v, p.r, p.sub, p.col))
            return;
    }
}

static int
sc_walk_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler;
    sc_walk *w = reginfo->my_reg_void;
    if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req != NULL; req = req->next)
        if (!req->processed)
            answer(w, reqinfo, req);
    return SNMP_ERR_NOERROR;
}

int
sc_walk_register(sc_walk *w, sc_module *m, const sc_walk_spec *spec)
{
    w->spec = spec;
    w->m = m;
    /* Registered at the table (entry minus its last arc). */
    w->reg = netsnmp_create_handler_registration(spec->name, sc_walk_handler, spec->entry_oid,
                                                 spec->entry_len - 1, HANDLER_CAN_RONLY);
    if (w->reg == NULL)
        return -1;
    w->reg->my_reg_void = w;
    if (netsnmp_register_handler(w->reg) != SNMPERR_SUCCESS) {
        w->reg = NULL; /* freed by the failed registration */
        return -1;
    }
    return 0;
}

void
sc_walk_unregister(sc_walk *w)
{
    if (w->reg != NULL)
        netsnmp_unregister_handler(w->reg);
    w->reg = NULL;
}

void
sc_walk_objects(const sc_walk_spec *spec, sc_object_cb *cb, void *ud)
{
    for (size_t i = 0; i < spec->ncolumns; i++) {
        const sc_walk_column *c =
            (const sc_walk_column *)((const char *)spec->columns + i * spec->column_size);
        sc_list_object(cb, ud, spec->entry_oid, spec->entry_len, c->mib_name, c->number);
    }
}
