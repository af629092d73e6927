/*
 * cgslots.c: storage (pass 5): sizes and work slots.
 *
 * Buffers live in `work`, in slots reused by liveness (a slot is reused by a
 * node of the same symbolic size once its last reader has run). Offsets and
 * the size are polynomials in the dimensions (cg_poly: a sum of monomials, a
 * coefficient times named dimensions), printed as C, or as size_t
 * arithmetic that saturates, or valued when every dimension is known when
 * generating. A loop's step temporaries are one region of P_eval's work.
 */
#include "cg.h"

/* the same named dimensions */
static int mono_like(const cg_mono *a, const cg_mono *b)
{
    int i;
    if (a->nd != b->nd)
        return 0;
    for (i = 0; i < a->nd; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static void poly_add_mono(cg_poly *p, cg_mono m)
{
    int i;
    for (i = 0; i < p->n; i++)
        if (mono_like(&p->m[i], &m)) {
            p->m[i].coef += m.coef;
            return;
        }
    SG_GROW(p->m, p->n, p->cap, SG_GROW_MAX, "terms in one size");
    p->m[p->n++] = m;
}

/* m times the dimension d (named or a constant) */
static cg_mono mono_times(cg_state *g, cg_mono m, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(g->ctx, d);
    int i;
    if (di->factor[0] >= 0) /* a product of dimensions */
        return mono_times(g, mono_times(g, m, di->factor[0]), di->factor[1]);
    if (!di->name) {
        m.coef *= di->value;
        return m;
    }
    assert(m.nd < MONO_DIMS);
    for (i = m.nd; i > 0 && m.d[i - 1] > d; i--) /* sorted */
        m.d[i] = m.d[i - 1];
    m.d[i] = d;
    m.nd++;
    return m;
}

static cg_mono size_mono(cg_state *g, sg_shape s)
{
    cg_mono m;
    memset(&m, 0, sizeof m);
    m.coef = 1;
    m.nd = 0;
    return mono_times(g, mono_times(g, m, s.rows), s.cols);
}

static int mono_eq(cg_mono a, cg_mono b)
{
    return a.coef == b.coef && mono_like(&a, &b);
}

static int mono_cmp(const void *x, const void *y)
{
    const cg_mono *a = x, *b = y;
    int i;
    if (a->nd != b->nd)
        return b->nd - a->nd;
    for (i = 0; i < a->nd; i++)
        if (a->d[i] != b->d[i])
            return a->d[i] - b->d[i];
    return 0;
}

/* the polynomial as C: m*n + 2*n + 3 ("0" when empty) */
const char *cg_poly_c(cg_state *g, cg_poly *p, unsigned char *used)
{
    sg_buf b;
    int i, first = 1;
    const char *s;
    sg_buf_init(&b);
    if (p->n > 1)
        qsort(p->m, (size_t)p->n, sizeof *p->m, mono_cmp);
    for (i = 0; i < p->n; i++) {
        cg_mono m = p->m[i];
        int k;
        if (m.coef == 0)
            continue;
        if (!first)
            sg_buf_puts(&b, " + ");
        first = 0;
        if (m.coef != 1 || m.nd == 0)
            sg_buf_printf(&b, "%ld%s", m.coef, m.nd ? "*" : "");
        for (k = 0; k < m.nd; k++)
            sg_buf_printf(&b, "%s%s", k ? "*" : "", cg_dim_c(g, m.d[k], used));
    }
    if (first)
        sg_buf_puts(&b, "0");
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the monomial m as size_t arithmetic that saturates at SIZE_MAX instead of
   wrapping: sg_size_mul(sg_size_mul(2, (size_t)m), (size_t)n) */
const char *cg_mono_sat(cg_state *g, const cg_mono *m, unsigned char *used)
{
    const char *s = m->coef != 1 || m->nd == 0 ? cg_fmt(g, "%ld", m->coef) : NULL;
    int k;
    for (k = 0; k < m->nd; k++) {
        const char *d = cg_fmt(g, "(size_t)%s", cg_dim_c(g, m->d[k], used));
        s = s ? cg_fmt(g, "sg_size_mul(%s, %s)", s, d) : d;
    }
    return s;
}

/*
 * The polynomial's value when every dimension in it is known when
 * generating: 1 with *v set, 0 when one is not known, -1 when the value
 * passes `limit`.
 */
int cg_poly_value(cg_state *g, const cg_poly *p, unsigned long long limit, unsigned long long *v)
{
    unsigned long long total = 0;
    int i, k;
    for (i = 0; i < p->n; i++) {
        unsigned long long t = (unsigned long long)(p->m[i].coef < 0 ? 0 : p->m[i].coef);
        for (k = 0; k < p->m[i].nd; k++) {
            long d = cg_known_dim(g, p->m[i].d[k]);
            if (d <= 0)
                return 0;
            if (t && (unsigned long long)d > limit / t)
                return -1;
            t *= (unsigned long long)d;
        }
        if (t > limit - total)
            return -1;
        total += t;
    }
    *v = total;
    return 1;
}

static int poly_eq(cg_poly *a, cg_poly *b)
{
    int i;
    if (a->n != b->n)
        return 0;
    qsort(a->m, (size_t)a->n, sizeof *a->m, mono_cmp);
    qsort(b->m, (size_t)b->n, sizeof *b->m, mono_cmp);
    for (i = 0; i < a->n; i++)
        if (!mono_eq(a->m[i], b->m[i]))
            return 0;
    return 1;
}

int cg_is_lu(cg_state *g, const sg_expr *e)
{
    return e->op == OP_FACTOR && !cg_factor_at(g, e)->chol;
}

/* the steps sequence q stores (lo − 1 … hi): hi − lo + 2, each of size m */
static cg_poly seq_steps(cg_state *g, int q, cg_mono m)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    cg_poly p = {NULL, 0, 0};
    cg_mono c = m;
    c.coef *= sq->hi.off - sq->lo.off + 2;
    poly_add_mono(&p, c);
    if (sq->hi.dim >= 0)
        poly_add_mono(&p, mono_times(g, m, sq->hi.dim));
    if (sq->lo.dim >= 0) {
        c = mono_times(g, m, sq->lo.dim);
        c.coef = -c.coef;
        poly_add_mono(&p, c);
    }
    return p;
}

/* the reals a node's buffer holds: its entries, and an LU factor's pivots;
   every step of a sequence */
static cg_poly buffer_size(cg_state *g, const sg_expr *e)
{
    cg_poly p = {NULL, 0, 0};
    if ((int)e->op == OP_SEQ) { /* a group's: every member's steps, one after another */
        const int *m;
        int n = sg_seqgroups_members(g->groups, e->seq, &m), k, i;
        for (k = 0; k < n; k++) {
            cg_poly s = seq_steps(g, m[k], size_mono(g, sg_seq_get(g->ctx, m[k])->shape));
            for (i = 0; i < s.n; i++)
                poly_add_mono(&p, s.m[i]);
            free(s.m);
        }
        return p;
    }
    poly_add_mono(&p, size_mono(g, e->shape));
    if (cg_is_lu(g, e))
        poly_add_mono(&p, size_mono(g, sg_shape_make(e->shape.rows, SG_DIM_ONE)));
    return p;
}

void cg_seq_offset(cg_state *g, int q, cg_poly *p)
{
    const int *m;
    int n = sg_seqgroups_members(g->groups, q, &m), k, i;
    for (k = 0; k < n && m[k] != q; k++) {
        cg_poly s = seq_steps(g, m[k], size_mono(g, sg_seq_get(g->ctx, m[k])->shape));
        for (i = 0; i < s.n; i++)
            poly_add_mono(p, s.m[i]);
        free(s.m);
    }
}

/* adds every slot of sc before slot s (all of them for s = nslots) to p */
void cg_slots_before(const cg_scope *sc, int s, cg_poly *p)
{
    int k, i;
    for (k = 0; k < s; k++)
        for (i = 0; i < sc->slots[k].size.n; i++)
            poly_add_mono(p, sc->slots[k].size.m[i]);
}

/* a slot of size m (taken over) free at pos, then busy until last */
static int take_slot(cg_scope *sc, cg_poly m, int pos, int last)
{
    int s;
    for (s = 0; s < sc->nslots; s++)
        if (sc->slots[s].last < pos && poly_eq(&sc->slots[s].size, &m))
            break;
    if (s == sc->nslots) {
        SG_GROW(sc->slots, sc->nslots, sc->capslots, SG_GROW_MAX, "work slots");
        sc->slots[s].size = m;
        sc->nslots++;
    } else {
        free(m.m);
    }
    sc->slots[s].last = last;
    return s;
}

void cg_allocate(cg_state *g)
{
    int pos, k;
    int *last = sg_xmalloc((size_t)(g->sc->nit + 1) * sizeof *last);
    for (k = 0; k < g->sc->nit; k++)
        last[k] = g->sc->it[k].pos;
    for (k = 0; k < g->sc->nit; k++) {
        cg_item *t = &g->sc->it[k];
        int d;
        for (d = 0; d < t->ndeps; d++)
            if (last[t->deps[d]] < t->pos)
                last[t->deps[d]] = t->pos;
    }
    for (pos = 0; pos < g->sc->nit; pos++) {
        int i = g->sc->order[pos];
        cg_item *t = &g->sc->it[i];
        cg_node *n = cg_rec_here(g, t->e);
        if (t->kind != IT_NODE)
            continue;
        if (n->mat && n->out < 0 && !n->rowvar) /* a sweep's members are written all along it */
            n->slot = take_slot(g->sc, buffer_size(g, t->e),
                                t->lead >= 0 ? g->sc->it[t->lead].pos : pos, last[i]);
        if (n->plan == PL_LOOP) /* the Σs it sums: its readers read them too */
            for (k = 0; k < g->loops[n->loop].nsums; k++) {
                cg_node *m = cg_rec_here(g, g->loops[n->loop].sums[k]);
                if (m->mat && m->out < 0)
                    m->slot = take_slot(g->sc, buffer_size(g, m->e), pos, last[i]);
            }
        if (n->plan == PL_LOOP && g->loops[n->loop].temps.n) { /* the work of one step */
            cg_loop *lp = &g->loops[n->loop];
            cg_poly m = {NULL, 0, 0};
            cg_slots_before(lp->body, lp->body->nslots, &m);
            lp->region = take_slot(g->sc, m, pos, pos);
        }
    }
    free(last);
}
