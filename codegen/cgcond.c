/*
 * cgcond.c: "which results were asked": the conditions of the blocks.
 *
 * A block of statements runs when one of the results that need it was
 * asked for: if (out->A || out->B). A test of more than NEED_MIN results is
 * a boolean local instead, declared once at the top of P_eval, each from
 * the largest test it contains (need2 = need1 || out->dW3), so that a deep
 * network's nested tests are not each a list of every later gradient; long
 * runs of nested tests become chains, one integer local per chain. In a
 * loop's body a block runs when one of its pieces does: a condition on t.
 */
#include "cg.h"

/* the steps at which piece pc runs: t >= 1, t < T, t == T - 1; NULL for all */
static const char *piece_cond(cg_state *g, const cg_piece *pc)
{
    const cg_loop *lp = &g->loops[g->sc->loop];
    sg_index zero = sg_index_make(-1, 0);
    const char *lo = cg_lin_c(g, 0, pc->lo, zero);
    if ((pc->from || pc->to) && sg_index_eq(pc->from ? pc->lo : lp->lo, pc->to ? pc->hi : lp->hi))
        return cg_fmt(g, "t == %s", cg_lin_c(g, 0, pc->from ? pc->lo : pc->hi, zero));
    if (pc->to) {
        const char *hi = pc->hi.dim >= 0 && pc->hi.off < 0
                             ? cg_fmt(g, "t < %s", cg_lin_c(g, 0, sg_index_plus(pc->hi, 1), zero))
                             : cg_fmt(g, "t <= %s", cg_lin_c(g, 0, pc->hi, zero));
        return pc->from ? cg_fmt(g, "t >= %s && %s", lo, hi) : hi;
    }
    return pc->from ? cg_fmt(g, "t >= %s", lo) : NULL;
}

/* the results in mask, spelled out: out->A || out->B (negated: !out->A && !out->B) */
static const char *out_list(cg_state *g, const sg_mask *mask, int negate)
{
    sg_buf b;
    const char *s;
    int r, first = 1;
    sg_buf_init(&b);
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        sg_buf_printf(&b, "%s%sout->%s", first ? "" : negate ? " && " : " || ",
                      negate ? "!" : "", g->resname[r]);
        first = 0;
    }
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/*
 * out->A || out->B for the results in mask. A test of more than NEED_MIN
 * results is a boolean local instead, declared once at the top of P_eval
 * (cg_need_decls()), so that a deep network's nested tests are not each a list
 * of every later gradient: the code stays linear in the number of results.
 */
#define NEED_MIN 4

/* the local for the test of mask (NULL for a short test), made on first use;
   named only when name is set */

/* the slot of needtab that holds mask's need, or the empty one it would take */
static unsigned need_slot(cg_state *g, const sg_mask *mask)
{
    unsigned i = sg_mask_hash(mask) & (g->needcap - 1);
    while (g->needtab[i] >= 0 && g->needs[g->needtab[i]].mask != mask)
        i = (i + 1) & (g->needcap - 1);
    return i;
}

static cg_needvar *need_of(cg_state *g, const sg_mask *mask, int name)
{
    int k;
    unsigned at, i;
    if (sg_mask_count(mask) <= NEED_MIN)
        return NULL;
    if (2 * ((unsigned)g->nneeds + 1) > g->needcap) { /* a larger table, refilled */
        if (!g->needcap)
            g->needcap = 64;
        while (2 * ((unsigned)g->nneeds + 1) > g->needcap)
            g->needcap *= 2;
        free(g->needtab);
        g->needtab = sg_xmalloc(g->needcap * sizeof *g->needtab);
        for (i = 0; i < g->needcap; i++)
            g->needtab[i] = -1;
        for (k = 0; k < g->nneeds; k++)
            g->needtab[need_slot(g, g->needs[k].mask)] = k;
    }
    at = need_slot(g, mask);
    k = g->needtab[at] >= 0 ? g->needtab[at] : g->nneeds;
    if (k == g->nneeds) {
        g->needtab[at] = k;
        SG_GROW(g->needs, g->nneeds, g->capneeds, SG_GROW_MAX, "tests of results held in locals");
        g->needs[k].mask = mask;
        g->needs[k].name = NULL;
        g->needs[k].neg = NULL;
        g->needs[k].count = sg_mask_count(mask);
        g->needs[k].index = k;
        g->needs[k].base = -1;
        g->needs[k].chain = -1;
        g->needs[k].pos = 0;
        g->nneeds++;
    }
    if (name && !g->needs[k].name)
        g->needs[k].name = cg_claim(g, cg_fmt(g, "need%d", k + 1));
    return &g->needs[k];
}

static int by_count(const void *x, const void *y)
{
    const cg_needvar *a = x, *b = y;
    if (a->count != b->count)
        return a->count - b->count;
    return a->index - b->index;
}

/* the largest test need k contains, among those with fewer results, or -1 */
static int need_base(cg_state *g, int k)
{
    int j, best = -1;
    /* the needs are sorted by count (by_count): from k down, the first that
       fits has the most results; the lowest index of that count wins */
    for (j = k - 1; j >= 0; j--) {
        if (g->needs[j].count >= g->needs[k].count)
            continue;
        if (best >= 0 && g->needs[j].count < g->needs[best].count)
            break;
        if (sg_mask_subset(g->needs[j].mask, g->needs[k].mask))
            best = j;
    }
    return best;
}

/*
 * The tests of P_eval's blocks, numbered from the fewest results up. A run of
 * CHAIN_MIN or more tests each built on the one before (a deep network's,
 * one per layer) is a chain: one int local says the first test of the run
 * that holds (group1 <= 37), rather than a boolean local each, which keeps
 * the compiler from carrying hundreds of them through the function.
 */
#define CHAIN_MIN 8

void cg_need_names(cg_state *g)
{
    int pos, k, *len, *tail;
    for (pos = 0; pos < g->top.nit; pos++) {
        const cg_item *t = &g->top.it[g->top.order[pos]];
        if (t->lead < 0 && t->mask != g->top.full)
            need_of(g, t->mask, 0);
    }
    for (k = 0; k < g->nfac; k++) { /* the tests of emit_factor() in P_eval */
        const cg_node *f = &g->top.ni[g->fac[k].node->id];
        if (g->fac[k].strict && g->fac[k].smask && f->reach && !f->ext && f->item >= 0 &&
            g->fac[k].smask != cg_top_mask(g, g->fac[k].node))
            need_of(g, g->fac[k].smask, 0);
    }
    if (g->nneeds > 1) {
        qsort(g->needs, (size_t)g->nneeds, sizeof *g->needs, by_count);
        free(g->needtab); /* stale: need_of refills it */
        g->needtab = NULL;
        g->needcap = 0;
    }
    len = sg_xmalloc((size_t)(g->nneeds + 1) * sizeof *len);
    tail = sg_xmalloc((size_t)(g->nneeds + 1) * sizeof *tail);
    for (k = 0; k < g->nneeds; k++) { /* chains: a test extends its base's, when last */
        cg_needvar *v = &g->needs[k];
        v->index = k;
        v->base = need_base(g, k);
        if (v->base >= 0 && tail[g->needs[v->base].chain] == v->base) {
            v->chain = g->needs[v->base].chain;
        } else {
            v->chain = g->nchains++;
            len[v->chain] = 0;
        }
        v->pos = ++len[v->chain];
        tail[v->chain] = k;
    }
    g->chains = sg_xmalloc((size_t)(g->nchains + 1) * sizeof *g->chains);
    for (k = 0; k < g->nchains; k++)
        g->chains[k] = len[k] >= CHAIN_MIN ? cg_claim(g, cg_fmt(g, "group%d", k + 1)) : NULL;
    for (k = 0; k < g->nneeds; k++) {
        cg_needvar *v = &g->needs[k];
        if (g->chains[v->chain]) {
            v->name = cg_fmt(g, "%s <= %d", g->chains[v->chain], v->pos);
            v->neg = cg_fmt(g, "%s > %d", g->chains[v->chain], v->pos);
        } else {
            v->chain = -1;
            need_of(g, v->mask, 1);
        }
    }
    free(len);
    free(tail);
}

const char *cg_out_cond(cg_state *g, const sg_mask *mask, int negate)
{
    const cg_needvar *v = negate ? NULL : need_of(g, mask, 1);
    const sg_mask *rest;
    const char *s;
    int k, best = -1;
    if (v)
        return v->name;
    if (!negate)
        return out_list(g, mask, 0);
    /* none asked for: !need9 && !out->L, with the largest local it contains */
    for (k = 0; k < g->nneeds; k++)
        if (g->needs[k].name && (best < 0 || g->needs[k].count > g->needs[best].count) &&
            sg_mask_subset(g->needs[k].mask, mask))
            best = k;
    if (best < 0)
        return out_list(g, mask, 1);
    rest = sg_mask_minus(g->top.mt, mask, g->needs[best].mask);
    s = cg_fmt(g, g->needs[best].neg ? "%s" : "!%s",
               g->needs[best].neg ? g->needs[best].neg : g->needs[best].name);
    if (sg_mask_count(rest))
        s = cg_fmt(g, "%s && %s", s, out_list(g, rest, 1));
    return s;
}

/* the results of need k that its base does not have: out->dW3 (NULL: none) */
static const char *need_rest(cg_state *g, int k, int base)
{
    const sg_mask *rest =
        sg_mask_minus(g->top.mt, g->needs[k].mask, base >= 0 ? g->needs[base].mask : NULL);
    return sg_mask_count(rest) ? out_list(g, rest, 0) : NULL;
}

/* the test of need k from its base: need1 || out->dW3 */
static const char *need_def(cg_state *g, int k, int base)
{
    const char *rest = need_rest(g, k, base);
    if (base < 0)
        return rest;
    return rest ? cg_fmt(g, "%s || %s", g->needs[base].name, rest) : g->needs[base].name;
}

/* the tests cg_out_cond() made locals, each from the largest one it contains
   (need2 = need1 || out->dW3), and the chains of cg_need_names() */
void cg_need_decls(cg_state *g, sg_buf *b)
{
    int *order, k, j, c, n = 0;
    if (!g->nneeds)
        return;
    order = sg_xmalloc((size_t)g->nneeds * sizeof *order);
    for (k = 0; k < g->nneeds; k++) { /* the ones made while printing: their bases now */
        if (g->needs[k].chain < 0)
            g->needs[k].base = need_base(g, k);
        order[n++] = k;
    }
    for (k = 1; k < n; k++) /* by count, stable */
        for (j = k; j > 0 && g->needs[order[j - 1]].count > g->needs[order[j]].count; j--) {
            const int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    sg_buf_puts(b, "\n    /* which groups of results are asked for */\n");
    for (k = 0; k < n; k++) {
        const cg_needvar *v = &g->needs[order[k]];
        if (v->chain < 0) {
            cg_line(b, 1, "const int %s = %s;", v->name, need_def(g, order[k], v->base));
            continue;
        }
        if (v->pos != 1)
            continue;
        /* a chain: the first of its tests that holds, its last test's results first */
        c = v->chain;
        for (j = g->nneeds - 1; j >= 0 && g->needs[j].chain != c; j--)
            ;
        cg_line(b, 1, "int %s = %d; /* %s <= k: the k-th of these tests holds */", g->chains[c],
                g->needs[j].pos + 1, g->chains[c]);
        for (; j >= 0; j--) {
            const cg_needvar *m = &g->needs[j];
            if (m->chain != c)
                continue;
            cg_line(b, 1, "if (%s)",
                    m->pos == 1 ? need_def(g, j, m->base) : need_rest(g, j, m->base));
            cg_line(b, 2, "%s = %d;", g->chains[c], m->pos);
        }
    }
    free(order);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/*
 * if (out->A || out->B); in a loop, when one of its pieces runs: their
 * steps, grouped, and the results a fused Σ is for,
 *     t < T || (t >= 1 && (out->dL_dW || out->dL_dU))
 */
const char *cg_condition(cg_state *g, const sg_mask *mask, int negate)
{
    const cg_loop *lp;
    unsigned char *done;
    const char **group;
    sg_buf b;
    const char *s;
    int r, k, ngroups = 0;
    if (g->sc == &g->top)
        return cg_out_cond(g, mask, negate);
    assert(!negate);
    lp = &g->loops[g->sc->loop];
    done = sg_xmalloc((size_t)g->sc->nbits + 1);
    memset(done, 0, (size_t)g->sc->nbits + 1);
    group = sg_xmalloc(((size_t)g->sc->nbits + 1) * sizeof *group);
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        const char *range, *res, *grp;
        const sg_mask *rm = NULL;
        int all = 0;
        if (done[r])
            continue;
        range = piece_cond(g, &lp->pc[r]);
        for (k = r; k >= 0;
             k = sg_mask_next(mask, k + 1)) /* the pieces that run at the same steps */
            if (!done[k] && same_str(range, piece_cond(g, &lp->pc[k]))) {
                done[k] = 1;
                if (cg_narrower(g, lp, &lp->pc[k]))
                    rm = sg_mask_union(g->top.mt, rm, cg_top_mask(g, lp->pc[k].sum));
                else
                    all = 1;
            }
        res = all ? NULL : cg_out_cond(g, rm, 0);
        if (range && res)
            grp = cg_fmt(g, strstr(res, "||") ? "%s && (%s)" : "%s && %s", range, res);
        else
            grp = range ? range : res;
        assert(grp != NULL); /* cg_always() said so */
        group[ngroups++] = grp;
    }
    sg_buf_init(&b);
    for (k = 0; k < ngroups; k++)
        sg_buf_printf(&b, ngroups > 1 && strstr(group[k], "&&") ? "%s(%s)" : "%s%s",
                      k ? " || " : "", group[k]);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    free(done);
    free(group);
    return s;
}
