/*
 * cgloop.c: loops over t (pass 1b).
 *
 * Recurrences become loops over t, never unrolled: the code is the same
 * size for any T. Each sequence the results read (a recurrence h, an
 * adjoint δh) is a node of the schedule whose statement is its loop and
 * whose buffer holds every step, (hi − lo + 2)·(size of a step) numbers; a
 * Σ over time is a loop into its sum. A loop's body is scheduled like
 * P_eval's body (a scope of its own, built by the same passes): its nodes
 * are those that vary with t, computed into temporaries that one step
 * reuses at the next; STEP leaves read the stored steps in place through
 * pointers (h_prev = h + (t − 1)*n); whatever does not vary with t is
 * computed once, before the loop, as a node of P_eval. An adjoint's loop
 * runs t from hi down to lo − 1: δ[t] = 0, then each piece whose range
 * holds t adds to it, each under its condition on t (the pieces are the
 * bits of the body's masks, as the results are P_eval's). A Σ whose body
 * reads an adjoint at t or later is summed by that adjoint's loop as it
 * goes (fused), so the gradients accumulate on the way back. The work is
 * O(T·n): the stored steps, and one step's temporaries per loop.
 *
 * A loop's body is a schedule of its own (a scope): the nodes that vary with
 * t, planned as everywhere else, whose STEP leaves read the stored steps in
 * place. What does not vary is read from outside: it is a node of P_eval's
 * schedule, computed once before the loop (the loop depends on it), and so
 * is every sequence the body reads. A loop has pieces, the bits of its
 * scope: a recurrence stores its body into h[t]; an adjoint adds its body
 * (for t < hi) and each of its terms (where their ranges hold t) into δ[t];
 * a Σ adds its body into its sum.
 *
 * A gradient with respect to an input sequence x (∂L/∂x[t]) is the loop of
 * x's adjoint δx, whose steps are x's: the result's node is δx's sequence
 * node (cg_result_expr), so its buffer is out->dL_dx itself, laid out as x,
 * and the loop sets every step to 0 before adding the terms that hold there.
 */
#include "cg.h"

static int varies(cg_state *g, const sg_expr *e)
{
    (void)g;
    if ((int)e->op == OP_SEQ)
        return 0;
    if (e->op == OP_FACTOR)
        return varies(g, e->kid[0]);
    return sg_expr_varies(e);
}

/* the node of sequence q's group (not an input's), made on first use */
static sg_expr *seq_node(cg_state *g, int q)
{
    q = g->groups->group[q];
    if (!g->seqnode[q]) {
        sg_expr *f = sg_arena_alloc(g->ar, sizeof *f);
        memset(f, 0, sizeof *f);
        f->op = (sg_op)OP_SEQ;
        f->shape = sg_seq_get(g->ctx, q)->shape;
        f->seq = q;
        f->id = g->nreal + g->nla + (unsigned)q;
        assert(f->id < g->nnodes);
        g->seqnode[q] = f;
    }
    return g->seqnode[q];
}

const sg_expr *cg_seq_member(cg_state *g, int q)
{
    sg_expr *f = sg_arena_alloc(g->ar, sizeof *f);
    *f = *seq_node(g, q);
    f->seq = q;
    f->shape = sg_seq_get(g->ctx, q)->shape;
    return f;
}

/* is q in the group loop lp runs? */
static int in_loop(cg_state *g, const cg_loop *lp, int q)
{
    return lp->seq >= 0 && g->groups->group[q] == lp->seq;
}

const sg_expr *cg_result_expr(cg_state *g, int r)
{
    const sg_result *res = &g->p->results[r];
    int q = sg_result_seq(res);
    return q >= 0 ? seq_node(g, q) : res->expr;
}

static int is_input_seq(cg_state *g, int q)
{
    return sg_seq_get(g->ctx, q)->kind == SG_SEQ_INPUT;
}

void cg_scope_init(cg_state *g, cg_scope *sc, int loop)
{
    unsigned i;
    memset(sc, 0, sizeof *sc);
    sc->loop = loop;
    sc->ni = sg_xmalloc((g->nnodes + 1) * sizeof *sc->ni);
    memset(sc->ni, 0, (g->nnodes + 1) * sizeof *sc->ni);
    for (i = 0; i < g->nnodes; i++) {
        sc->ni[i].out = -1;
        sc->ni[i].slot = -1;
        sc->ni[i].item = -1;
        sc->ni[i].loop = -1;
    }
    sc->topo = sg_xmalloc((g->nnodes + 1) * sizeof *sc->topo);
}

/* the masks, once the bits (results, or a loop's pieces) are known */
void cg_scope_bits(cg_state *g, cg_scope *sc, int nbits)
{
    sc->nbits = nbits;
    sc->mt = sg_masks_new(nbits);
    sc->masks = sg_xmalloc(((size_t)g->nnodes + 1) * sizeof *sc->masks);
    memset(sc->masks, 0, ((size_t)g->nnodes + 1) * sizeof *sc->masks);
    sc->full = sg_mask_full(sc->mt);
}

void cg_scope_free(cg_scope *sc)
{
    int i;
    for (i = 0; i < sc->nit; i++) {
        free(sc->it[i].deps);
        free(sc->it[i].succ);
    }
    for (i = 0; i < sc->nslots; i++)
        free(sc->slots[i].size.m);
    free(sc->it);
    free(sc->order);
    free(sc->slots);
    free(sc->ni);
    free(sc->masks);
    sg_masks_free(sc->mt);
    free(sc->topo);
}

/* a node the loop reads from outside, once */
static void loop_read(cg_loop *lp, const sg_expr *e)
{
    int i;
    for (i = 0; i < lp->nreads; i++)
        if (lp->reads[i] == e)
            return;
    SG_GROW(lp->reads, lp->nreads, lp->capreads, SG_GROW_MAX, "nodes read by one loop");
    lp->reads[lp->nreads++] = e;
}

static cg_piece *add_piece(cg_loop *lp, int kind, const sg_expr *value, const char *name)
{
    cg_piece *pc;
    SG_GROW(lp->pc, lp->npc, lp->cappc, SG_GROW_MAX, "pieces of one loop");
    pc = &lp->pc[lp->npc++];
    memset(pc, 0, sizeof *pc);
    pc->kind = kind;
    pc->value = value;
    pc->name = name;
    pc->seq = -1;
    return pc;
}

/* a piece that runs for t in lo..hi, inside a loop over lp->lo..lp->hi */
static void piece_range(cg_loop *lp, cg_piece *pc, sg_index lo, sg_index hi)
{
    pc->lo = lo;
    pc->hi = hi;
    pc->from = !sg_index_provably_le(lo, lp->lo);
    pc->to = !sg_index_provably_le(lp->hi, hi);
}

/* the pieces of member q of a group's loop: h[t] = body (and h[lo − 1] =
   init, before the loop), or δ[t] += the body (t < hi) and each term */
static void member_pieces(cg_state *g, cg_loop *lp, int q)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    sg_index first = sg_seq_first(g->ctx, q);
    const char *name;
    cg_piece *pc;
    int i;
    sg_buf nb;
    sg_buf_init(&nb);
    sg_fmt_name(&nb, sq->name, 0);
    sg_buf_puts(&nb, "[t]");
    name = sg_arena_strdup(g->ar, sg_buf_str(&nb));
    sg_buf_free(&nb);
    if (!sg_index_provably_le(cg_seq_origin(g, q), sq->hi)) /* the buffer could have no step */
        cg_unsupported(g, "a recurrence over a range that may be empty is not supported "
                          "by the C printer", &sq->span);
    if (sq->kind == SG_SEQ_FORWARD && (!sg_index_eq(sq->lo, lp->lo) || !sg_index_eq(sq->hi, lp->hi)))
        cg_unsupported(g, "recurrences that read each other over different ranges are not "
                          "supported by the C printer", &sq->span);
    if (!sq->body) {
        cg_unsupported(g, "a recurrence without a definition", &sq->span);
    } else if (sq->kind == SG_SEQ_FORWARD) {
        pc = add_piece(lp, PC_STORE, sq->body, name);
        pc->seq = q;
        piece_range(lp, pc, sq->lo, sq->hi);
        if (sq->init)
            loop_read(lp, sq->init);
    } else {
        if (!sg_expr_is_zero(sq->body)) { /* the next step back-propagated, for t < hi */
            pc = add_piece(lp, PC_ADD, sq->body, name);
            pc->seq = q;
            piece_range(lp, pc, first, sg_index_plus(sq->hi, -1));
        }
        for (i = 0; i < sq->nterms; i++)
            if (!sg_expr_is_zero(sq->terms[i].value)) {
                pc = add_piece(lp, PC_ADD, sq->terms[i].value, name);
                pc->seq = q;
                piece_range(lp, pc, sq->terms[i].lo, sq->terms[i].hi);
            }
    }
}

/* n's loop: its pieces, and its body planned in a scope of its own. A
   group's loop runs its members' pieces in rank order at each t */
static void build_loop(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e;
    cg_scope *saved = g->sc;
    cg_loop *lp;
    int k, i;
    SG_GROW(g->loops, g->nloops, g->caploops, SG_GROW_MAX, "loops over t");
    k = g->nloops++;
    lp = &g->loops[k];
    memset(lp, 0, sizeof *lp);
    lp->e = e;
    lp->seq = -1;
    lp->region = -1;
    n->plan = PL_LOOP;
    n->loop = k;
    if ((int)e->op == OP_SEQ) {
        const sg_seq *sq = sg_seq_get(g->ctx, e->seq);
        const int *m;
        int nm = sg_seqgroups_members(g->groups, e->seq, &m);
        lp->seq = e->seq;
        lp->lo = sq->lo;
        lp->hi = sq->hi;
        if (sq->kind == SG_SEQ_BACKWARD) { /* down to the first step of any member */
            lp->down = 1;
            for (i = 0; i < nm; i++)
                if (!sg_index_provably_le(lp->lo, sg_seq_first(g->ctx, m[i])))
                    lp->lo = sg_seq_first(g->ctx, m[i]);
        }
        for (i = 0; i < nm; i++)
            member_pieces(g, lp, m[i]);
    } else {
        cg_piece *pc;
        lp->lo = e->lo;
        lp->hi = e->hi;
        pc = add_piece(lp, PC_SUM, e->kid[0], NULL);
        pc->sum = e;
    }
    lp->body = sg_xmalloc(sizeof *lp->body);
    cg_scope_init(g, lp->body, k);
    g->sc = lp->body;
    for (i = 0; i < g->loops[k].npc; i++) {
        const sg_expr *v = g->loops[k].pc[i].value;
        cg_node *r = cg_rec_here(g, v);
        cg_reach(g, v);
        r->uses++;
        if (!r->ext && g->loops[k].pc[i].kind == PC_STORE)
            r->root = 1; /* stored, in place when nothing else reads it */
    }
    g->sc = saved;
}

/* does e contain the node x (not looking into the sequences it reads)? */
static int contains(const sg_expr *e, const sg_expr *x, unsigned char *seen)
{
    int i;
    if (e == x)
        return 1;
    if (seen[e->id])
        return 0;
    seen[e->id] = 1;
    for (i = 0; i < e->nkids; i++)
        if (contains(e->kid[i], x, seen))
            return 1;
    return 0;
}

/*
 * The adjoint whose loop can sum the Σ e as it goes, or −1: e's body reads
 * that adjoint at t or later (made already when the loop, running down, is
 * at t), recurrences and inputs, and nothing else computed by a loop (no
 * fixed step, no other Σ); its range lies in the loop's; the adjoint does
 * not read e. So ∇_W L = Σ_t δh[t]h[t−1]ᵀ is summed while δh is made.
 */
static int fusable(cg_state *g, const sg_expr *e)
{
    const sg_expr **stack = sg_xmalloc((g->nreal + 1) * sizeof *stack);
    unsigned char *seen = sg_xmalloc(g->nreal + 1);
    int sp = 0, q = -1, ok = 1, k;
    memset(seen, 0, g->nreal + 1);
    stack[sp++] = e->kid[0];
    seen[e->kid[0]->id] = 1;
    while (sp > 0 && ok) {
        const sg_expr *x = stack[--sp];
        if (x->op == SG_OP_SEQSTEP) {
            if (sg_seq_get(g->ctx, x->seq)->kind == SG_SEQ_BACKWARD) {
                int lead = g->groups->group[x->seq]; /* one loop: one group */
                ok = (q < 0 || q == lead) && x->off >= 0;
                q = lead;
            }
        } else if (x->op == SG_OP_AT || x->op == SG_OP_SEQSUM) {
            ok = 0;
        } else {
            for (k = 0; k < x->nkids; k++)
                if (!seen[x->kid[k]->id]) {
                    seen[x->kid[k]->id] = 1;
                    stack[sp++] = x->kid[k];
                }
        }
    }
    if (ok && q >= 0) {
        const int *m;
        int nm = sg_seqgroups_members(g->groups, q, &m), j;
        memset(seen, 0, g->nreal + 1);
        for (j = 0; ok && j < nm; j++) {
            const sg_seq *sq = sg_seq_get(g->ctx, m[j]);
            ok = sg_index_provably_le(sg_seq_first(g->ctx, m[j]), e->lo) &&
                 sg_index_provably_le(e->hi, sq->hi);
            if (ok && sq->body)
                ok = !contains(sq->body, e, seen);
            for (k = 0; ok && k < sq->nterms; k++)
                ok = !contains(sq->terms[k].value, e, seen);
        }
    }
    free(stack);
    free(seen);
    return ok ? q : -1;
}

/* the Σ of n becomes a piece of its adjoint's loop (built by now) */
static void fuse_sum(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e, *body = e->kid[0];
    int k = cg_rec_here(g, n->r[0].e)->loop, first, i;
    cg_scope *saved = g->sc;
    cg_loop *lp = &g->loops[k];
    cg_piece *pc = add_piece(lp, PC_SUM, body, NULL);
    pc->sum = e;
    piece_range(lp, pc, e->lo, e->hi);
    SG_GROW(lp->sums, lp->nsums, lp->capsums, SG_GROW_MAX, "sums fused into one loop");
    lp->sums[lp->nsums++] = e;
    n->loop = k;
    first = lp->nreads;
    g->sc = lp->body;
    g->fusing = 1;
    cg_reach(g, body);
    cg_rec_here(g, body)->uses++;
    g->fusing = 0;
    g->sc = saved;
    for (i = first; i < g->loops[k].nreads; i++) { /* what the body reads besides */
        const sg_expr *x = g->loops[k].reads[i];
        cg_reach(g, x);
        cg_rec_here(g, x)->uses++;
        cg_rec_here(g, x)->fromloop = 1;
    }
}

/* plans e if it is a node of a sequence (a loop, a fixed step, a step); 0 if not */
static int plan_seq(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e;
    int q;
    if (e->op == SG_OP_SEQSUM && g->sc == &g->top && (q = fusable(g, e)) >= 0) {
        n->plan = PL_LOOP; /* summed by the adjoint's loop: fuse_sum, once it is built */
        n->fused = 1;
        cg_add_ref(n, seq_node(g, q), NEED_ADDR);
        return 1;
    }
    if ((int)e->op == OP_SEQ || e->op == SG_OP_SEQSUM) {
        if (g->sc != &g->top)
            cg_unsupported(g, "a loop inside a loop", NULL);
        else
            build_loop(g, n);
        return 1;
    }
    if (e->op == SG_OP_AT) {
        n->plan = PL_AT;
        if (!is_input_seq(g, e->seq))
            cg_add_ref(n, seq_node(g, e->seq), NEED_ADDR);
        return 1;
    }
    if (e->op == SG_OP_SEQSTEP) {
        q = e->seq;
        n->plan = PL_STEP;
        if (g->sc == &g->top) {
            cg_unsupported(g, "a step h[t] outside a loop over t", &sg_seq_get(g->ctx, q)->span);
        } else {
            cg_loop *lp = &g->loops[g->sc->loop];
            const sg_seq *sq = sg_seq_get(g->ctx, q);
            if (in_loop(g, lp, q)) {
                /* its group's steps: those made already, before t or at t by a
                   piece that runs first (the schedule waits for it) */
                if (lp->down ? e->off < 0 : e->off > 0)
                    cg_unsupported(g, "a recurrence that reads a step it has not made yet",
                                   &sq->span);
            } else if (sq->kind != SG_SEQ_INPUT) {
                loop_read(lp, seq_node(g, q));
            }
        }
        return 1;
    }
    return 0;
}

/* plans every node reachable from e, counting reads; in a loop's body, what
   does not vary with t is read from outside */
void cg_reach(cg_state *g, const sg_expr *e)
{
    cg_node *n = cg_rec_here(g, e);
    int i;
    if (n->reach)
        return;
    n->reach = 1;
    n->e = e;
    if (g->sc != &g->top && !varies(g, e)) {
        n->ext = 1;
        loop_read(&g->loops[g->sc->loop], e);
        return;
    }
    if (!plan_seq(g, n))
        cg_plan_node(g, n);
    for (i = 0; i < n->nref; i++) {
        cg_node *k = cg_rec_here(g, n->r[i].e);
        cg_reach(g, n->r[i].e);
        k->uses++;
        if (n->r[i].need == NEED_ADDR)
            k->addr |= 1;
        else if (n->r[i].need == NEED_CHEAP)
            k->addr |= 2;
        if (cg_scalar(n->r[i].e) && (n->plan != PL_SEXPR))
            k->inloop = 1;
    }
    if (n->fused)
        fuse_sum(g, n);
    else if (n->plan == PL_LOOP) /* what its body reads: computed before it, once */
        for (i = 0; i < g->loops[n->loop].nreads; i++) {
            const sg_expr *x = g->loops[n->loop].reads[i];
            cg_node *k = cg_rec_here(g, x);
            cg_reach(g, x);
            k->uses++;
            k->fromloop = 1;
        }
    g->sc->topo[g->sc->ntopo++] = e;
}
