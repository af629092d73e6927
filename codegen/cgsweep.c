/*
 * cgsweep.c: row sweeps, planned and printed.
 *
 * One pass over the rows of a stored m×n matrix W does the work of several
 * statements: products y = Wv (yᵢ = W[i,:]·v), z = Wᵀu (z += uᵢ W[i,:]),
 * and entries by rows (row i of E from values at row i), so that a large W
 * is read from memory once for all of them. cg_sweeps() groups P_eval's
 * scheduled statements into sweeps (within a window of the schedule, when
 * nothing between them reads what they write); cg_emit_sweep() prints one,
 * led by its first member. Softmax and logsoftmax of one X pair into one
 * kernel call.
 */
#include "cg.h"

/* the results member k of w is for (the lead's item holds the sweep's) */
static const sg_mask *member_mask(const cg_state *g, const cg_sweep *w, int k)
{
    return k == 0 ? w->mask0 : g->sc->it[w->member[k]].mask;
}

/* W: a matrix stored in P_eval's memory (an input, or a buffer) */
static int sweepable(cg_state *g, const sg_expr *W)
{
    cg_node *n = cg_rec(g, W);
    return !cg_veclike(W) && (n->plan == PL_INPUT || (n->mat && n->plan != PL_LOOP));
}

/* what item t can do in a sweep, with the matrix it reads (*W) and its vector
   (*v: the v of Wv, the u of Wᵀu) */
static int sweep_kind(cg_state *g, const cg_item *t, const sg_expr **W, const cg_ref **v)
{
    cg_node *n;
    if (t->kind != IT_NODE)
        return SW_NONE;
    n = cg_rec_here(g, t->e);
    *W = NULL;
    *v = NULL;
    if (!n->mat || n->ext)
        return SW_NONE;
    switch (n->plan) {
    case PL_GEMV: /* op(W) x */
        *W = n->r[0].e;
        *v = &n->r[1];
        return sweepable(g, *W) ? (n->r[0].trans ? SW_AXPY : SW_DOT) : SW_NONE;
    case PL_GEMVT: /* a op(W) = (op(W)ᵀ aᵀ)ᵀ */
        *W = n->r[1].e;
        *v = &n->r[0];
        return sweepable(g, *W) ? (n->r[1].trans ? SW_DOT : SW_AXPY) : SW_NONE;
    case PL_EW:
        return cg_is_one(t->e->shape.rows) ? SW_NONE : SW_ROW;
    default:
        return SW_NONE;
    }
}

/* the member of sweep w that computes e, or -1 */
static int member_of(cg_state *g, const cg_sweep *w, const sg_expr *e)
{
    int k;
    for (k = 0; k < w->n; k++)
        if (g->sc->it[w->member[k]].e == e)
            return k;
    return -1;
}

enum { IX_0, IX_I, IX_J }; /* what a row or column index is at a sweep's row: 0, i, j */

static int row_reads(cg_state *g, const cg_sweep *w, const sg_expr *e, int ri, int rj, int *bound);

static int row_ref(cg_state *g, const cg_sweep *w, const cg_ref *r, int ri, int rj, int *bound)
{
    return r->trans ? row_reads(g, w, r->e, rj, ri, bound) : row_reads(g, w, r->e, ri, rj, bound);
}

/* entry k of a vector-like ref, as cg_vec_elem() reads it */
static int row_vec(cg_state *g, const cg_sweep *w, const cg_ref *r, int k, int *bound)
{
    int col = r->trans ? cg_is_one(r->e->shape.rows) : cg_is_one(r->e->shape.cols);
    return col ? row_ref(g, w, r, k, IX_0, bound) : row_ref(g, w, r, IX_0, k, bound);
}

/* can e's definition be computed at row i of sweep w, e's row index being
   ri and its column index rj? It reads what a member computes only at row i
   and only from a product Wv or what is made by rows (whose row i is ready
   there); *bound is set when it reads the row i of a member or entry i of the
   u of a member's Wᵀu */
static int row_def(cg_state *g, const cg_sweep *w, const sg_expr *e, int ri, int rj, int *bound)
{
    cg_node *n = cg_rec(g, e);
    int i;
    if (n->plan != PL_EW)
        return 0;
    switch (n->var) {
    case EW_OUTER:
        return row_ref(g, w, &n->r[0], ri, IX_0, bound) && row_ref(g, w, &n->r[1], IX_0, rj, bound);
    case EW_ROWSCALE:
        return row_vec(g, w, &n->r[0], ri, bound) && row_ref(g, w, &n->r[1], ri, rj, bound);
    case EW_COLSCALE:
        return row_ref(g, w, &n->r[0], ri, rj, bound) && row_vec(g, w, &n->r[1], rj, bound);
    case EW_ZERO:
        return 1;
    case EW_PERMROWS: case EW_PERMCOLS: /* another row or column */
        return 0;
    default:
        break;
    }
    if (n->var == EW_PLAIN)
        switch (e->op) {
        case SG_OP_ZERO: case SG_OP_ONES: case SG_OP_EYE: case SG_OP_FILL:
            return 1;
        case SG_OP_TRANSPOSE:
            return row_reads(g, w, e->kid[0], rj, ri, bound);
        case SG_OP_DIAG:
            return row_vec(g, w, &n->r[0], ri, bound);
        case SG_OP_DIAGV:
            return row_reads(g, w, e->kid[0], ri, ri, bound);
        case SG_OP_KRON: case SG_OP_VEC: case SG_OP_COMMUTE: /* other indices */
            return 0;
        default:
            break;
        }
    for (i = 0; i < n->nref; i++)
        if (!row_reads(g, w, n->r[i].e, ri, rj, bound))
            return 0;
    return 1;
}

static int row_reads(cg_state *g, const cg_sweep *w, const sg_expr *e, int ri, int rj, int *bound)
{
    int k, at;
    if (cg_scalar(e))
        return 1;
    if (!cg_stored(g, e))
        return row_def(g, w, e, ri, rj, bound);
    /* a stored vector is read at its one index; a matrix by both */
    at = cg_is_one(e->shape.cols) ? ri : cg_is_one(e->shape.rows) ? rj : -1;
    k = member_of(g, w, e);
    if (k >= 0) { /* y of Wv, or what is made by rows: row i is ready at row i */
        if (w->kind[k] == SW_AXPY || (at >= 0 ? at != IX_I : ri != IX_I))
            return 0;
        *bound = 1;
        return 1;
    }
    for (k = 0; k < w->n; k++)
        if (w->kind[k] == SW_AXPY && at == IX_I) {
            cg_node *m = cg_rec_here(g, g->sc->it[w->member[k]].e);
            const cg_ref *u = m->plan == PL_GEMV ? &m->r[1] : &m->r[0];
            if (u->e == e)
                *bound = 1;
        }
    return 1;
}

static void sweep_add(cg_sweep *w, int it, int kind)
{
    SG_GROW(w->member, w->n, w->cap, SG_GROW_MAX, "statements in one sweep");
    SG_GROW(w->kind, w->n, w->capkind, SG_GROW_MAX, "statements in one sweep");
    w->member[w->n] = it;
    w->kind[w->n++] = (unsigned char)kind;
}

/* where item i runs: a sweep's member runs at the place of its sweep */
static int eff_pos(const cg_scope *sc, int i)
{
    return sc->it[i].lead >= 0 ? sc->it[sc->it[i].lead].pos : sc->it[i].pos;
}

/* may item b join sweep w, which runs at position at? Whatever it reads
   outside the sweep is ready by then, and what it reads inside it is there at
   the row it is at */
static int sweep_fits(cg_state *g, const cg_sweep *w, int at, int bi, int kind, const sg_expr *W,
                      const cg_ref *v)
{
    const cg_item *b = &g->sc->it[bi];
    int d, k, bound = 0;
    for (d = 0; d < b->ndeps; d++) {
        int in = 0;
        for (k = 0; k < w->n; k++)
            in |= w->member[k] == b->deps[d];
        if (!in && eff_pos(g->sc, b->deps[d]) >= at)
            return 0;
    }
    switch (kind) {
    case SW_DOT: /* its v is complete before the sweep */
        return w->W && W == w->W && member_of(g, w, v->e) < 0;
    case SW_AXPY: /* its u is complete, or a vector the sweep makes entry i by entry i */
        k = member_of(g, w, v->e);
        return w->W && W == w->W && (k < 0 || w->kind[k] != SW_AXPY);
    default: /* entries of a row: as many rows as the sweep, reading its values at row i */
        return b->e->shape.rows == w->rows &&
               row_def(g, w, b->e, IX_I, cg_is_one(b->e->shape.cols) ? IX_0 : IX_J, &bound) &&
               bound;
    }
}

/* does a statement that runs up to position pos, or one of sweep w's, read b? */
static int read_until(cg_state *g, const cg_sweep *w, int bi, int pos)
{
    const cg_scope *sc = g->sc;
    int k, j;
    for (k = 0; k < sc->it[bi].nsucc; k++) {
        const int s = sc->it[bi].succ[k];
        for (j = 0; j < w->n; j++)
            if (w->member[j] == s)
                return 1;
        if (eff_pos(sc, s) <= pos)
            return 1;
    }
    return 0;
}

static int in_sweep(const cg_sweep *w, int it)
{
    int k;
    for (k = 0; k < w->n; k++)
        if (w->member[k] == it)
            return 1;
    return 0;
}

/* the item that makes u (the u of a Wᵀu) a vector entry by entry, free to
   join a sweep over W's rows, or -1 */
static int row_producer(cg_state *g, const cg_sweep *w, const cg_ref *u)
{
    const cg_node *n = cg_rec_here(g, u->e);
    const cg_item *p;
    int bound = 0;
    if (n->item < 0 || n->ext || !cg_veclike(u->e) || u->e->shape.rows != w->rows)
        return -1;
    p = &g->sc->it[n->item];
    if (p->kind != IT_NODE || p->lead >= 0 || p->sweep >= 0 || n->plan != PL_EW || n->root)
        return -1;
    return row_def(g, w, u->e, IX_I, IX_0, &bound) ? n->item : -1;
}

/* is member k of w (a vector) read by its sweep alone, and not a result? */
static int read_only_in(cg_state *g, const cg_sweep *w, int k)
{
    const cg_item *t = &g->sc->it[w->member[k]];
    const cg_node *n = cg_rec_here(g, t->e);
    int s, j, in;
    if (n->root || n->out >= 0 || !cg_veclike(t->e) || t->nsucc == 0)
        return 0;
    for (s = 0; s < t->nsucc; s++) {
        for (in = 0, j = 0; j < w->n; j++)
            in |= w->member[j] == t->succ[s] && j > k;
        if (!in)
            return 0;
    }
    return 1;
}

/* a softmax and a logsoftmax of the same X: the later joins the earlier (it reads
   only X, ready there), and one kernel call makes both (sg_softmax2) */
static void softmax_pairs(cg_state *g)
{
    cg_scope *sc = g->sc;
    int pos, q;
    for (pos = 0; pos < sc->nit; pos++) {
        cg_item *t = &sc->it[sc->order[pos]];
        const cg_node *n = cg_rec_here(g, t->e);
        cg_sweep w;
        if (t->kind != IT_NODE || t->lead >= 0 || t->sweep >= 0 || n->plan != PL_COLWISE ||
            n->out >= 0 || (t->e->op != SG_OP_SOFTMAX && t->e->op != SG_OP_LOGSOFTMAX))
            continue;
        for (q = pos + 1; q < sc->nit; q++) {
            cg_item *b = &sc->it[sc->order[q]];
            const cg_node *m = cg_rec_here(g, b->e);
            if (b->kind == IT_NODE && b->lead < 0 && b->sweep < 0 && m->plan == PL_COLWISE &&
                m->out < 0 && b->e->op != t->e->op &&
                (b->e->op == SG_OP_SOFTMAX || b->e->op == SG_OP_LOGSOFTMAX) &&
                m->r[0].e == n->r[0].e && m->r[0].trans == n->r[0].trans)
                break;
        }
        if (q == sc->nit)
            continue;
        memset(&w, 0, sizeof w);
        w.pair = 1;
        w.rows = t->e->shape.rows;
        sweep_add(&w, sc->order[pos], SW_NONE);
        sweep_add(&w, sc->order[q], SW_NONE);
        w.mask0 = sc->it[w.member[0]].mask;
        w.mask = sg_mask_union(sc->mt, w.mask0, sc->it[w.member[1]].mask);
        sc->it[w.member[1]].lead = w.member[0];
        t->sweep = g->nsweeps;
        t->mask = w.mask;
        SG_GROW(g->sweeps, g->nsweeps, g->capsweeps, SG_GROW_MAX, "sweeps");
        g->sweeps[g->nsweeps++] = w;
    }
}

/*
 * Finds P_eval's sweeps on the schedule: a product Wv or Wᵀu of a stored
 * matrix gathers the later products of the same W, and the statements that
 * write entries by rows from what the sweep computes (∂L/∂W = qxᵀ + urᵀ), as
 * long as they can all run at its place. The members move next to it, and
 * their blocks merge into one for the results any of them is for.
 */
/* how far apart on the schedule two statements of one sweep may be: bounds
   the search, so that a long P_eval is scheduled in linear time */
#define SWEEP_WINDOW 256

void cg_sweeps(cg_state *g)
{
    cg_scope *sc = g->sc;
    int pos, q, k, u, n = 0, block = -1;
    int *order = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *order);
    /* each item's sweep_kind, its matrix and vector, computed once */
    int *kinds = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *kinds);
    const sg_expr **mats = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *mats);
    const cg_ref **vecs = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *vecs);
    const sg_mask *cur = NULL;
    int first = 1;
    for (k = 0; k < sc->nit; k++) {
        mats[k] = NULL;
        vecs[k] = NULL;
        kinds[k] = sweep_kind(g, &sc->it[k], &mats[k], &vecs[k]);
    }
    for (pos = 0; pos < 2 * sc->nit; pos++) { /* the passes over matrices first */
        cg_item *t = &sc->it[sc->order[pos % sc->nit]];
        const sg_expr *W = mats[sc->order[pos % sc->nit]];
        const cg_ref *v = vecs[sc->order[pos % sc->nit]];
        int kind = kinds[sc->order[pos % sc->nit]], lo, hi;
        cg_sweep w;
        if (t->lead >= 0 || t->sweep >= 0 || kind == SW_NONE ||
            (pos < sc->nit) != (kind != SW_ROW))
            continue;
        memset(&w, 0, sizeof w);
        w.W = kind == SW_ROW ? NULL : W;
        w.rows = kind == SW_ROW ? t->e->shape.rows : W->shape.rows;
        if (kind == SW_AXPY && (u = row_producer(g, &w, v)) >= 0) {
            /* Wᵀu with u made entry by entry just before: u joins, and leads */
            sweep_add(&w, u, SW_ROW);
            t = &sc->it[u];
            if (!sweep_fits(g, &w, t->pos, sc->order[pos % sc->nit], kind, W, v)) {
                w.n = 0;
                t = &sc->it[sc->order[pos % sc->nit]];
            }
        }
        if (w.n == 0 || sc->order[pos % sc->nit] != w.member[0])
            sweep_add(&w, sc->order[pos % sc->nit], kind);
        /* sweep_fits wants the same matrix, or a row-wise item as tall: the
           others are not even asked */
        lo = t->pos - SWEEP_WINDOW > 0 ? t->pos - SWEEP_WINDOW : 0;
        hi = t->pos + 1 + SWEEP_WINDOW < sc->nit ? t->pos + 1 + SWEEP_WINDOW : sc->nit;
        for (q = t->pos + 1; q < hi; q++) {
            const int bi = sc->order[q], kb = kinds[bi];
            if (kb != SW_NONE && (kb == SW_ROW ? sc->it[bi].e->shape.rows == w.rows
                                               : w.W && mats[bi] == w.W) &&
                sc->it[bi].lead < 0 && sc->it[bi].sweep < 0 && !in_sweep(&w, bi) &&
                sweep_fits(g, &w, t->pos, bi, kb, mats[bi], vecs[bi]))
                sweep_add(&w, bi, kb);
        }
        for (q = t->pos - 1; q >= lo; q--) { /* earlier ones that can wait for it */
            const int bi = sc->order[q], kb = kinds[bi];
            if (kb != SW_NONE && (kb == SW_ROW ? sc->it[bi].e->shape.rows == w.rows
                                               : w.W && mats[bi] == w.W) &&
                sc->it[bi].lead < 0 && sc->it[bi].sweep < 0 && !in_sweep(&w, bi) &&
                !read_until(g, &w, bi, t->pos) &&
                sweep_fits(g, &w, t->pos, bi, kb, mats[bi], vecs[bi]))
                sweep_add(&w, bi, kb);
        }
        if (w.n < 2) {
            free(w.member);
            free(w.kind);
            continue;
        }
        w.mask = NULL;
        w.mask0 = sc->it[w.member[0]].mask;
        for (k = 0; k < w.n; k++) {
            w.mask = sg_mask_union(sc->mt, w.mask, sc->it[w.member[k]].mask);
            if (k > 0)
                sc->it[w.member[k]].lead = w.member[0];
        }
        t->sweep = g->nsweeps;
        t->mask = w.mask;
        for (k = 0; k < w.n; k++) /* vectors only the sweep reads: scalars in its loop */
            if ((w.kind[k] == SW_DOT || w.kind[k] == SW_ROW) &&
                member_mask(g, &w, k) == w.mask && read_only_in(g, &w, k))
                cg_rec_here(g, sc->it[w.member[k]].e)->rowvar = 1;
        SG_GROW(g->sweeps, g->nsweeps, g->capsweeps, SG_GROW_MAX, "sweeps");
        g->sweeps[g->nsweeps++] = w;
    }
    free(kinds);
    free(mats);
    free((void *)vecs);
    softmax_pairs(g);
    if (!g->nsweeps) {
        free(order);
        return;
    }
    /* the members right after the item that prints them; blocks again */
    for (pos = 0; pos < sc->nit; pos++) {
        cg_item *t = &sc->it[sc->order[pos]];
        if (t->lead >= 0)
            continue;
        order[n++] = sc->order[pos];
        if (t->sweep >= 0)
            for (k = 1; k < g->sweeps[t->sweep].n; k++)
                order[n++] = g->sweeps[t->sweep].member[k];
    }
    assert(n == sc->nit);
    for (pos = 0; pos < n; pos++) {
        cg_item *t = &sc->it[order[pos]];
        sc->order[pos] = order[pos];
        t->pos = pos;
        if (t->lead >= 0) {
            t->block = sc->it[t->lead].block;
            continue;
        }
        if (first || t->mask != cur)
            block++;
        cur = t->mask;
        first = 0;
        t->block = block;
    }
    free(order);
}

/* the entry k of a stored vector-like node: v[k] */
static cg_cx vec_at(cg_state *g, const sg_expr *e, const char *k)
{
    return cg_read_stored(g, e, cg_is_one(e->shape.cols) ? cg_mkix(0, k, "0") : cg_mkix(0, "0", k));
}

static int long_eval(const cg_state *g)
{
    return g->top.nit > VEC_MAX_STATEMENTS;
}

/* a dimension's value when it is known when generating (a number or --dim), else 0 */
long cg_known_dim(cg_state *g, sg_dim d)
{
    return sg_dim_value(g->ctx, d, g->dimfix);
}

/* member k of w makes row i of an output matrix, which can be written by sg_stream
   (when large, decided at run time); not when its size is known and small */
static int streamed(cg_state *g, const cg_sweep *w, int k)
{
    const sg_expr *e = g->sc->it[w->member[k]].e;
    const cg_node *n = cg_rec_here(g, e);
    const long r = cg_known_dim(g, e->shape.rows), c = cg_known_dim(g, e->shape.cols);
    return !long_eval(g) && w->kind[k] == SW_ROW && n->out >= 0 && !n->rowvar &&
           !cg_is_one(e->shape.cols) &&
           !cg_is_one(e->shape.rows) && !(r > 0 && c > 0 && (double)r * (double)c < 131072.0);
}

/* one member of a sweep, at row i; the row of W is at g->rowname */
static void emit_sweep_member(cg_state *g, sg_buf *b, int lv, const cg_sweep *w, int k)
{
    const cg_item *t = &g->sc->it[w->member[k]];
    cg_node *n = cg_rec_here(g, t->e);
    const char *len = w->W ? cg_dim(g, w->W->shape.cols) : NULL;
    const sg_mask *mask = member_mask(g, w, k);
    const int cond = mask != w->mask;
    const char *name = n->out >= 0 ? cg_out_name(g, n->out) : n->fname;
    if (cond) {
        cg_line(b, lv++, "if (%s) {", cg_condition(g, mask, 0));
    }
    cg_line(b, lv, "/* %s = %s  (%s) */", name, cg_formula(g, t->e), cg_shape_text(g, t->e->shape));
    if (w->kind[k] == SW_DOT && long_eval(g)) { /* yᵢ = W[i,:]·v */
        const cg_ref *v = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        cg_use_kernel(g, K_DOT);
        cg_line(b, lv, "%s%s = sg_dot(%s, %s, %s);",
                n->rowvar ? cg_fmt(g, "const %s ", g->real) : "", vec_at(g, t->e, "i").s, len,
                g->rowname, cg_ptr(g, v->e));
    } else if (w->kind[k] == SW_DOT) { /* yᵢ = W[i,:]·v, four rows at a time */
        const cg_ref *v = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        cg_use_kernel(g, K_DOT);
        cg_use_kernel(g, K_DOT4);
        cg_line(b, lv, "if (i %% 4 == 0 && i + 3 < %s) /* four rows side by side: see sg_dot4 */",
                cg_dim(g, w->rows));
        cg_line(b, lv + 1, "sg_dot4(%s, %s, %s, %s, sg_d%d);", len, g->rowname, len,
                cg_ptr(g, v->e), w->member[k]);
        cg_line(b, lv, "%s%s = (i | 3) < %s ? sg_d%d[i %% 4] : sg_dot(%s, %s, %s);",
                n->rowvar ? cg_fmt(g, "const %s ", g->real) : "", vec_at(g, t->e, "i").s,
                cg_dim(g, w->rows), w->member[k], len, g->rowname, cg_ptr(g, v->e));
    } else if (w->kind[k] == SW_AXPY && long_eval(g)) { /* z += uᵢ W[i,:] */
        const cg_ref *u = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        cg_use_kernel(g, K_AXPY);
        cg_line(b, lv, "sg_axpy(%s, %s, %s, %s);", len, vec_at(g, u->e, "i").s, g->rowname,
                n->cname);
    } else if (w->kind[k] == SW_AXPY) { /* z += uᵢ W[i,:], four rows at a time */
        const cg_ref *u = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        cg_use_kernel(g, K_AXPY);
        cg_use_kernel(g, K_AXPY4);
        cg_line(b, lv, "sg_a%d[i %% 4] = %s; /* four rows at a time: one pass over %s for them */",
                w->member[k], vec_at(g, u->e, "i").s, n->cname);
        cg_line(b, lv, "if (i %% 4 == 3)");
        cg_line(b, lv + 1, "sg_axpy4(%s, sg_a%d, %s - 3*%s, %s, %s);", len, w->member[k],
                g->rowname, len, len, n->cname);
    } else if (cg_is_one(t->e->shape.cols)) { /* entry i */
        cg_ix x = cg_mkix(0, "i", "0");
        cg_line(b, lv, "%s%s = %s;", n->rowvar ? cg_fmt(g, "const %s ", g->real) : "",
                cg_read_stored(g, t->e, x).s, cg_elem_def(g, t->e, x).s);
    } else if (streamed(g, w, k)) { /* row i of a large output */
        cg_ix x = cg_mkix(0, "i", "j");
        const char *cols = cg_dim(g, t->e->shape.cols);
        cg_use_kernel(g, K_STREAM);
        cg_line(b, lv, "if (SG_STREAM_BIG(%s)) /* larger than the caches: see sg_stream */",
                cg_len_c(g, t->e->shape));
        cg_line(b, lv + 1, "for (long sg_jb = 0; sg_jb < %s; sg_jb += SG_CHUNK) {", cols);
        cg_line(b, lv + 2, "%s sg_chunk[SG_CHUNK];", g->real);
        cg_line(b, lv + 2, "const long sg_nj = %s - sg_jb < SG_CHUNK ? %s - sg_jb : SG_CHUNK;",
                cols, cols);
        cg_line(b, lv + 2, "for (long j = sg_jb; j < sg_jb + sg_nj; j++)");
        cg_line(b, lv + 3, "sg_chunk[j - sg_jb] = %s;", cg_elem_def(g, t->e, x).s);
        cg_line(b, lv + 2, "sg_stream(sg_nj, sg_chunk, %s + i*%s + sg_jb);", cg_ptr(g, t->e), cols);
        cg_line(b, lv + 1, "}");
        cg_line(b, lv, "else");
        cg_line(b, lv + 1, "for (long j = 0; j < %s; j++)", cols);
        cg_line(b, lv + 2, "%s = %s;", cg_read_stored(g, t->e, x).s, cg_elem_def(g, t->e, x).s);
    } else { /* row i */
        cg_ix x = cg_mkix(0, "i", "j");
        cg_line(b, lv, "for (long j = 0; j < %s; j++)", cg_dim(g, t->e->shape.cols));
        cg_line(b, lv + 1, "%s = %s;", cg_read_stored(g, t->e, x).s, cg_elem_def(g, t->e, x).s);
    }
    if (cond)
        cg_line(b, --lv, "}");
}

/* the member of w that is σ(X) when member k is swish(X), or swish(X) when it
   is σ(X), both made by rows: they share one exponential; else -1 */
static int sigmoid_twin(cg_state *g, const cg_sweep *w, int k)
{
    const sg_expr *e = g->sc->it[w->member[k]].e, *f;
    int j;
    if (w->kind[k] != SW_ROW || (e->op != SG_OP_SWISH && e->op != SG_OP_SIGMOID))
        return -1;
    for (j = 0; j < w->n; j++) {
        f = g->sc->it[w->member[j]].e;
        if (j != k && w->kind[j] == SW_ROW && f->kid[0] == e->kid[0] &&
            ((e->op == SG_OP_SWISH && f->op == SG_OP_SIGMOID) ||
             (e->op == SG_OP_SIGMOID && f->op == SG_OP_SWISH)))
            return j;
    }
    return -1;
}

/* the body of emit_swish_pair under the line head ("for (long j …) {" over
   row i's entries, or "{" for one entry): one σ, then the store of swish
   (w set) and of σ (s set), each under its condition wc or sc when not NULL */
static void swish_body(cg_state *g, sg_buf *b, int lv, const char *head, const cg_item *sw,
                       const cg_item *sg, cg_ix x, int w, const char *wc, int s, const char *sc)
{
    cg_cx xv;
    cg_line(b, lv++, "%s", head);
    xv = cg_elem(g, sw->e->kid[0], x);
    cg_line(b, lv, "const %s %s = sg_sigmoid(%s);", g->real, g->tmpname, xv.s);
    if (w && wc)
        cg_line(b, lv, "if (%s)", wc);
    if (w)
        cg_line(b, lv + !!wc, "%s = %s * %s;", cg_read_stored(g, sw->e, x).s,
                cg_par(g, xv, C_MUL), g->tmpname);
    if (s && sc)
        cg_line(b, lv, "if (%s)", sc);
    if (s)
        cg_line(b, lv + !!sc, "%s = %s;", cg_read_stored(g, sg->e, x).s, g->tmpname);
    cg_line(b, --lv, "}");
}

/* the loop over row i's entries j of emit_swish_pair, storing swish (w
   set) and σ (s set) */
static void swish_loop(cg_state *g, sg_buf *b, int lv, const cg_item *sw, const cg_item *sg,
                       cg_ix x, int w, int s)
{
    swish_body(g, b, lv, cg_fmt(g, "for (long j = 0; j < %s; j++) {", cg_dim(g, sw->e->shape.cols)),
               sw, sg, x, w, NULL, s, NULL);
}

/* swish(X) = X ⊙ σ(X) and σ(X) at row i of a sweep, from one σ per entry */
static void emit_swish_pair(cg_state *g, sg_buf *b, int lv, const cg_sweep *w, int k, int k2)
{
    const cg_item *ta = &g->sc->it[w->member[k]], *tb = &g->sc->it[w->member[k2]];
    const cg_item *sw = ta->e->op == SG_OP_SWISH ? ta : tb, *sg = sw == ta ? tb : ta;
    const cg_node *nsw = cg_rec_here(g, sw->e), *nsg = cg_rec_here(g, sg->e);
    const int vec = cg_is_one(sw->e->shape.cols);
    const cg_ix x = vec ? cg_mkix(0, "i", "0") : cg_mkix(0, "i", "j");
    const sg_mask *mw = member_mask(g, w, sw == ta ? k : k2);
    const sg_mask *ms = member_mask(g, w, sw == ta ? k2 : k);
    const sg_mask *both = sg_mask_union(g->sc->mt, mw, ms);
    const int open = both != w->mask, cw = mw != both, cs = ms != both;
    /* a member kept per row (rowvar: one value of the row loop, read by the
       members after it) is a local of the loop, set inside the block below:
       declared here (it was assigned undeclared, smith p30599) */
    if (nsw->rowvar)
        cg_line(b, lv, "%s %s = 0;", g->real, nsw->cname);
    if (nsg->rowvar)
        cg_line(b, lv, "%s %s = 0;", g->real, nsg->cname);
    if (open)
        cg_line(b, lv++, "if (%s) {", cg_condition(g, both, 0));
    cg_line(b, lv, "/* %s = %s and %s = %s: one σ for both  (%s) */",
            nsw->out >= 0 ? cg_out_name(g, nsw->out) : nsw->fname, cg_formula(g, sw->e),
            nsg->out >= 0 ? cg_out_name(g, nsg->out) : nsg->fname, cg_formula(g, sg->e),
            cg_shape_text(g, sw->e->shape));
    cg_use_kernel(g, K_SIGMOID);
    if (!vec) {
        /* a condition on the results asked for is decided once, before the
           loop over j, and each case has a loop of its own that stores only
           what it needs: gcc does not move such a condition out at -O2, its
           || keeps a loop from vectorizing, and a store under a condition
           becomes a masked store (vmaskmovpd), which costs a dozen cycles on
           AMD's processors */
        if (cw || cs) {
            cg_line(b, lv++, "{");
            if (cw)
                cg_line(b, lv, "const int sg_want_w = %s;", cg_condition(g, mw, 0));
            if (cs)
                cg_line(b, lv, "const int sg_want_s = %s;", cg_condition(g, ms, 0));
        }
        if (cw && cs) {
            cg_line(b, lv, "if (sg_want_w && sg_want_s)");
            swish_loop(g, b, lv + 1, sw, sg, x, 1, 1);
            cg_line(b, lv, "else if (sg_want_w)");
            swish_loop(g, b, lv + 1, sw, sg, x, 1, 0);
            cg_line(b, lv, "else");
            swish_loop(g, b, lv + 1, sw, sg, x, 0, 1);
        } else if (cw || cs) {
            cg_line(b, lv, "if (%s)", cw ? "sg_want_w" : "sg_want_s");
            swish_loop(g, b, lv + 1, sw, sg, x, 1, 1);
            cg_line(b, lv, "else");
            swish_loop(g, b, lv + 1, sw, sg, x, !cw, !cs);
        } else
            swish_loop(g, b, lv, sw, sg, x, 1, 1);
        if (cw || cs)
            cg_line(b, --lv, "}");
        if (open)
            cg_line(b, --lv, "}");
        return;
    }
    /* one entry: the conditions on the two stores themselves */
    swish_body(g, b, lv, "{", sw, sg, x, 1, cw ? cg_condition(g, mw, 0) : NULL, 1,
               cs ? cg_condition(g, ms, 0) : NULL);
    if (open)
        cg_line(b, --lv, "}");
}

/* a sweep: the sums z = Wᵀu set to 0, then one loop over W's rows for every member */
void cg_emit_sweep(cg_state *g, sg_buf *b, int lv, const cg_sweep *w)
{
    const char *m = cg_dim(g, w->rows);
    int k;
    if (w->pair) { /* softmax and logsoftmax from one set of exponentials */
        cg_node *s0 = cg_rec_here(g, g->sc->it[w->member[0]].e),
                *s1 = cg_rec_here(g, g->sc->it[w->member[1]].e);
        cg_node *sm = s0->e->op == SG_OP_SOFTMAX ? s0 : s1, *ls = sm == s0 ? s1 : s0;
        const cg_ref *A = &sm->r[0];
        const sg_expr *x = sm->e->kid[0];
        cg_line(b, lv, "/* %s = %s and %s = %s  (%s) */", sm->fname, cg_formula(g, sm->e),
                ls->fname, cg_formula(g, ls->e), cg_shape_text(g, sm->e->shape));
        cg_use_kernel(g, K_SOFTMAX2);
        cg_line(b, lv, "sg_softmax2(%s, %s, %s, %s, %s, %s, %s);", cg_dim(g, x->shape.rows),
                cg_dim(g, x->shape.cols), cg_ptr(g, A->e),
                A->trans ? "1" : cg_dim(g, A->e->shape.cols),
                A->trans ? cg_dim(g, A->e->shape.cols) : "1", sm->cname, ls->cname);
        return;
    }
    if (w->W)
        cg_line(b, lv, "/* one pass over the rows of %s for %d statements */", cg_formula(g, w->W),
                w->n);
    else
        cg_line(b, lv, "/* %d statements a row at a time: one pass over their memory */", w->n);
    for (k = 0; k < w->n; k++) {
        const cg_item *t = &g->sc->it[w->member[k]];
        if (w->kind[k] == SW_AXPY) {
            int cond = member_mask(g, w, k) != w->mask;
            if (cond)
                cg_line(b, lv, "if (%s)", cg_condition(g, member_mask(g, w, k), 0));
            cg_line(b, lv + cond, "for (long i = 0; i < %s; i++)", cg_len_c(g, t->e->shape));
            cg_line(b, lv + cond + 1, "%s = %s;", vec_at(g, t->e, "i").s, cg_lit(g, 0).s);
        }
    }
    /* zeroed, though every element is written before it is read: gcc -O1 cannot
       tell that (i | 3) < n follows a sg_dot4 at i & ~3 when n is a literal < 4,
       and warns "may be used uninitialized" (four stores, outside the loop) */
    for (k = 0; k < w->n && !long_eval(g); k++)
        if (w->kind[k] == SW_DOT) /* the four rows' products, from sg_dot4 */
            cg_line(b, lv, "%s sg_d%d[4] = {0};", g->real, w->member[k]);
        else if (w->kind[k] == SW_AXPY) /* the scales of the last rows, for sg_axpy4 */
            cg_line(b, lv, "%s sg_a%d[4] = {0};", g->real, w->member[k]);
    cg_line(b, lv, "for (long i = 0; i < %s; i++) {", m);
    if (w->W)
        cg_line(b, lv + 1, "const %s *%s = %s + i*%s;", g->real, g->rowname, cg_ptr(g, w->W),
                cg_dim(g, w->W->shape.cols));
    for (k = 0; k < w->n; k++) {
        const int k2 = sigmoid_twin(g, w, k);
        if (k2 >= 0 && k2 < k)
            continue; /* done with its twin */
        if (k2 >= 0)
            emit_swish_pair(g, b, lv + 1, w, k, k2);
        else
            emit_sweep_member(g, b, lv + 1, w, k);
    }
    cg_line(b, lv, "}");
    for (k = 0; k < w->n && !long_eval(g); k++) /* the last m % 4 rows of each Wᵀu */
        if (w->kind[k] == SW_AXPY) {
            const cg_item *t = &g->sc->it[w->member[k]];
            const int cond = member_mask(g, w, k) != w->mask;
            if (cond)
                cg_line(b, lv, "if (%s)", cg_condition(g, member_mask(g, w, k), 0));
            cg_line(b, lv + cond,
                    "for (long i = %s - %s %% 4; i < %s; i++) /* the rows left of %s */", m, m, m,
                    cg_rec_here(g, t->e)->cname);
            cg_line(b, lv + cond + 1, "sg_axpy(%s, sg_a%d[i %% 4], %s + i*%s, %s);",
                    cg_dim(g, w->W->shape.cols), w->member[k], cg_ptr(g, w->W),
                    cg_dim(g, w->W->shape.cols), cg_rec_here(g, t->e)->cname);
        }
    for (k = 0; k < w->n; k++)
        if (sigmoid_twin(g, w, k) < 0 && streamed(g, w, k)) {
            cg_line(b, lv, "if (SG_STREAM_BIG(%s))", cg_len_c(g, g->sc->it[w->member[k]].e->shape));
            cg_line(b, lv + 1, "sg_stream_end();");
        }
}
