/*
 * cgsched.c: masks (pass 3) and list scheduling (pass 4).
 *
 * Mask. Each node gets the set of results that need it (in a loop's body:
 * the pieces of the loop), as interned sets of codegen/mask.h.
 *
 * Schedule. The statements (one per materialized node or scalar local,
 * plus the copies into out) are ordered by list scheduling: any order that
 * respects dependencies is valid, and among the ready statements one with
 * the current mask is preferred, so that statements for the same results
 * run together under one `if (out->A || out->B)`. Values are computed by the
 * same statements whether or not derivatives are asked for, so they are
 * bit-identical either way. The statements are then grouped into row sweeps
 * (cgsweep.c).
 */
#include "cg.h"

/* the expression of result r (P_eval), or of piece r (a loop's body) */
static const sg_expr *root_of(cg_state *g, int r)
{
    if (g->sc == &g->top)
        return cg_result_expr(g, r);
    return g->loops[g->sc->loop].pc[r].value;
}

const sg_mask *cg_top_mask(cg_state *g, const sg_expr *e)
{
    return g->top.masks[e->id];
}

/* a Σ fused into an adjoint's loop, which some results the loop runs for do
   not need: it runs only when they are asked for */
int cg_narrower(cg_state *g, const cg_loop *lp, const cg_piece *pc)
{
    return pc->kind == PC_SUM && lp->seq >= 0 &&
           cg_top_mask(g, pc->sum) != cg_top_mask(g, lp->e);
}

/* does a block of statements for these bits run unconditionally? In P_eval,
   when every result needs it; in a loop, when a piece that runs at every t does */
int cg_always(cg_state *g, const sg_mask *mask)
{
    int r;
    if (g->sc == &g->top)
        return mask == g->sc->full;
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        const cg_loop *lp = &g->loops[g->sc->loop];
        const cg_piece *pc = &lp->pc[r];
        if (!pc->from && !pc->to && !cg_narrower(g, lp, pc))
            return 1;
    }
    return 0;
}

/* the mask of e |= s; did it change? */
static int mask_merge(cg_state *g, const sg_expr *e, const sg_mask *s)
{
    cg_scope *sc = g->sc;
    const sg_mask *d = sc->masks[e->id];
    if (sg_mask_subset(s, d))
        return 0;
    sc->masks[e->id] = sg_mask_union(sc->mt, d, s);
    return 1;
}

/* the mask of result (or piece) r alone */
static const sg_mask *one_mask(cg_state *g, int r)
{
    return sg_mask_one(g->sc->mt, r);
}

/* every node needed by a bit needs what it reads. Mostly one pass, every
   reader before what it reads; a Σ fused into a loop adds reads to the loop
   after it was planned, so this goes on until nothing changes */
void cg_compute_masks(cg_state *g)
{
    int r, i, changed = 1;
    unsigned k;
    for (r = 0; r < g->sc->nbits; r++)
        mask_merge(g, root_of(g, r), one_mask(g, r));
    while (changed) {
        changed = 0;
        for (k = g->sc->ntopo; k-- > 0;) {
            cg_node *n = cg_rec_here(g, g->sc->topo[k]);
            for (i = 0; i < n->nref; i++)
                changed |= mask_merge(g, n->r[i].e, cg_mask_of(g, n->e));
            if (n->plan == PL_LOOP && !n->fused)
                for (i = 0; i < g->loops[n->loop].nreads; i++)
                    changed |= mask_merge(g, g->loops[n->loop].reads[i], cg_mask_of(g, n->e));
        }
    }
}

/* the results for which a factor's failure is an error: those of every reader
   but det of an LU factor */
void cg_strict_masks(cg_state *g)
{
    unsigned k;
    int i;
    for (i = 0; i < g->nfac; i++)
        g->fac[i].smask = NULL;
    for (k = 0; k < g->sc->ntopo; k++) {
        cg_node *n = cg_rec_here(g, g->sc->topo[k]);
        for (i = 0; i < n->nref; i++)
            if (n->r[i].e->op == OP_FACTOR) {
                cg_factor *f = cg_factor_at(g, n->r[i].e);
                if (f->chol || !(n->plan == PL_SRED && n->var == RD_DET))
                    f->smask = sg_mask_union(g->sc->mt, f->smask, cg_mask_of(g, n->e));
            }
        if (n->plan == PL_LOOP && !n->fused) /* a loop solves with it (never det) */
            for (i = 0; i < g->loops[n->loop].nreads; i++)
                if (g->loops[n->loop].reads[i]->op == OP_FACTOR) {
                    cg_factor *f = cg_factor_at(g, g->loops[n->loop].reads[i]);
                    f->smask = sg_mask_union(g->sc->mt, f->smask, cg_mask_of(g, n->e));
                }
    }
}

/* ---- 4. schedule ---------------------------------------------------------------- */

static int new_item(cg_state *g, int kind, const sg_expr *e, int res)
{
    cg_item *t;
    SG_GROW(g->sc->it, g->sc->nit, g->sc->capit, SG_GROW_MAX, "statements");
    t = &g->sc->it[g->sc->nit];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->e = e;
    t->res = res;
    t->pos = -1;
    t->sweep = -1;
    t->lead = -1;
    return g->sc->nit++;
}

/* v appended to a; the callers keep the lists free of duplicates (a scan
   here made a node read by k items cost k²) */
static void push_int(int **a, int *n, int *cap, int v)
{
    SG_GROW(*a, *n, *cap, SG_GROW_MAX, "dependencies of one statement");
    (*a)[(*n)++] = v;
}

/* the statements whose results e's code reads, looking through fused nodes */
/* item v among t's dependencies, once: seen[v] holds the stamp of the item
   whose list has it */
static void push_dep(cg_item *t, int *seen, int stamp, int v)
{
    if (seen[v] == stamp)
        return;
    seen[v] = stamp;
    push_int(&t->deps, &t->ndeps, &t->capdeps, v);
}

static void deps_of(cg_state *g, cg_item *t, int *seen, int stamp, const sg_expr *e, int self)
{
    cg_node *n = cg_rec_here(g, e);
    int i;
    if (n->plan == PL_STEP && !n->ext && e->off == 0 &&
        g->groups->group[e->seq] == g->loops[g->sc->loop].seq) {
        int k; /* c[t], δ[t]: once every piece of it has run */
        for (k = 0; k < g->nnow && g->now[k] != e->seq; k++)
            ;
        if (k == g->nnow) {
            SG_GROW(g->now, g->nnow, g->capnow, SG_GROW_MAX, "sequences one step reads");
            g->now[g->nnow++] = e->seq;
        }
        t->own = 1;
    }
    if (n->ext || n->plan == PL_STEP) /* computed before the loop, or stored */
        return;
    if (!self && n->item >= 0) {
        push_dep(t, seen, stamp, n->item);
        return;
    }
    for (i = 0; i < n->nref; i++)
        deps_of(g, t, seen, stamp, n->r[i].e, 0);
    if (n->plan == PL_LOOP && !n->fused)
        for (i = 0; i < g->loops[n->loop].nreads; i++)
            deps_of(g, t, seen, stamp, g->loops[n->loop].reads[i], 0);
}

/* piece or result r is computed in place: no statement copies it */
static int in_place(cg_state *g, int r)
{
    cg_node *n = cg_rec_here(g, root_of(g, r));
    return n->reach && !n->ext && n->out == r;
}

/* a binary heap of items, the smallest key on top */
typedef struct {
    int *v, n, cap;
} heap;

static void heap_push(heap *h, const cg_item *it, int i)
{
    int k;
    SG_GROW(h->v, h->n, h->cap, SG_GROW_MAX, "statements ready at once");
    for (k = h->n++; k > 0 && it[h->v[(k - 1) / 2]].key > it[i].key; k = (k - 1) / 2)
        h->v[k] = h->v[(k - 1) / 2];
    h->v[k] = i;
}

static int heap_pop(heap *h, const cg_item *it)
{
    int top = h->v[0], last = h->v[--h->n], k = 0, c;
    while ((c = 2 * k + 1) < h->n) {
        if (c + 1 < h->n && it[h->v[c + 1]].key < it[h->v[c]].key)
            c++;
        if (it[last].key <= it[h->v[c]].key)
            break;
        h->v[k] = h->v[c];
        k = c;
    }
    if (h->n > 0)
        h->v[k] = last;
    return top;
}

/*
 * List scheduling: among the statements whose inputs are ready, one for the
 * same results as the last one (so that they share a block), else the one
 * with the smallest key (the order of the DAG). The ready statements wait in
 * a heap per set of results and in one for all, so that this is n log n.
 */
static void order_items(cg_state *g)
{
    cg_scope *sc = g->sc;
    int *cls = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *cls), *tab, tabsize = 16;
    heap all = {NULL, 0, 0}, *byclass;
    int i, k, pos, nclass = 0, cur = -1, block = -1;
    while (tabsize < 2 * sc->nit)
        tabsize *= 2;
    tab = sg_xmalloc((size_t)tabsize * sizeof *tab);
    for (i = 0; i < tabsize; i++)
        tab[i] = -1;
    for (i = 0; i < sc->nit; i++) { /* the classes: items with equal masks */
        unsigned h = sg_mask_hash(sc->it[i].mask);
        for (k = (int)(h & (unsigned)(tabsize - 1)); tab[k] >= 0; k = (k + 1) & (tabsize - 1))
            if (sc->it[tab[k]].mask == sc->it[i].mask)
                break;
        if (tab[k] < 0) {
            tab[k] = i;
            cls[i] = nclass++;
        } else {
            cls[i] = cls[tab[k]];
        }
    }
    byclass = sg_xmalloc((size_t)(nclass + 1) * sizeof *byclass);
    memset(byclass, 0, (size_t)(nclass + 1) * sizeof *byclass);
    for (i = 0; i < sc->nit; i++)
        if (!sc->it[i].pending) {
            heap_push(&all, sc->it, i);
            heap_push(&byclass[cls[i]], sc->it, i);
        }
    for (pos = 0; pos < sc->nit; pos++) {
        int best = -1;
        if (cur >= 0 && byclass[cur].n > 0)
            best = heap_pop(&byclass[cur], sc->it);
        while (best < 0 && all.n > 0) {
            best = heap_pop(&all, sc->it);
            if (sc->it[best].done)
                best = -1;
        }
        if (best < 0) { /* a cycle: a loop reads what needs the loop done */
            cg_unsupported(g, "a recurrence that reads a fixed step of itself (or of a later "
                              "loop) is not supported by the C printer", NULL);
            break;
        }
        if (cls[best] != cur) { /* from the heap of all: the smallest of its class too */
            block++;
            assert(byclass[cls[best]].v[0] == best);
            heap_pop(&byclass[cls[best]], sc->it);
        }
        cur = cls[best];
        sc->it[best].done = 1;
        sc->it[best].pos = pos;
        sc->it[best].block = block;
        sc->order[pos] = best;
        for (k = 0; k < sc->it[best].nsucc; k++) {
            const int s = sc->it[best].succ[k];
            if (--sc->it[s].pending == 0) {
                heap_push(&all, sc->it, s);
                heap_push(&byclass[cls[s]], sc->it, s);
            }
        }
    }
    for (i = 0; i < nclass; i++)
        free(byclass[i].v);
    free(byclass);
    free(all.v);
    free(tab);
    free(cls);
}

/* item i (t) reads steps made at this t (g->now): it waits for the pieces
   that make them, copies or made in place */
static void now_deps(cg_state *g, cg_item *t, int *seen, int i)
{
    const cg_loop *lp = &g->loops[g->sc->loop];
    int j, r;
    for (j = 0; j < g->nnow; j++)
        for (r = 0; r < lp->npc; r++) {
            int k;
            if (lp->pc[r].seq != g->now[j])
                continue;
            if (in_place(g, r))
                k = cg_rec_here(g, lp->pc[r].value)->item;
            else
                for (k = 0; k < g->sc->nit; k++)
                    if (g->sc->it[k].kind == IT_OUTPUT && g->sc->it[k].res == r)
                        break;
            if (k >= 0 && k < g->sc->nit && k != i)
                push_dep(t, seen, i, k);
        }
}

void cg_schedule(cg_state *g)
{
    unsigned id;
    int r, i, k, *seen;
    for (id = 0; id < g->nnodes; id++) {
        cg_node *n = &g->sc->ni[id];
        n->item = -1;
        if (n->reach && !n->ext && !n->fused && (n->mat || n->local)) {
            n->item = new_item(g, IT_NODE, n->e, n->out);
            g->sc->it[n->item].mask = cg_mask_of(g, n->e);
            g->sc->it[n->item].key = 2 * id;
        }
    }
    for (r = 0; r < g->sc->nbits; r++) {
        const sg_expr *root = root_of(g, r);
        if (in_place(g, r))
            continue;
        i = new_item(g, IT_OUTPUT, root, r);
        g->sc->it[i].mask = one_mask(g, r);
        g->sc->it[i].key = 2 * root->id + 1;
    }
    seen = sg_xmalloc(((size_t)g->sc->nit + 1) * sizeof *seen);
    for (i = 0; i < g->sc->nit; i++)
        seen[i] = -1;
    for (i = 0; i < g->sc->nit; i++) {
        cg_item *t = &g->sc->it[i];
        g->nnow = 0;
        deps_of(g, t, seen, i, t->e, t->kind == IT_NODE);
        if (t->own) /* what reads c[t] or δ[t] waits for every piece of it */
            now_deps(g, t, seen, i);
        t = &g->sc->it[i];
        t->pending = t->ndeps;
        for (k = 0; k < t->ndeps; k++) { /* i grows: each d gets i once */
            cg_item *d = &g->sc->it[t->deps[k]];
            push_int(&d->succ, &d->nsucc, &d->capsucc, i);
        }
    }
    free(seen);
    g->sc->order = sg_xmalloc((size_t)(g->sc->nit + 1) * sizeof *g->sc->order);
    order_items(g);
    if (g->sc == &g->top && !g->unsupported)
        cg_sweeps(g);
    /* a local read outside the block that computes it is declared at the top */
    for (i = 0; i < g->sc->nit; i++) {
        cg_item *t = &g->sc->it[i];
        for (k = 0; k < t->ndeps; k++) {
            cg_item *d = &g->sc->it[t->deps[k]];
            cg_node *n = cg_rec_here(g, d->e);
            if (d->kind == IT_NODE && n->local && d->block != t->block && !cg_always(g, d->mask))
                n->top = 1;
        }
    }
}
