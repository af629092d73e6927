/*
 * diff.c: reverse-mode differentiation over the expression DAG.
 *
 * The gradient of a 1×1 f is built the way it is derived on paper. Node ids
 * grow with creation and kids are always older than their parents, so
 * sorting the nodes reachable from f by id, newest first, is a topological
 * order from f down to the leaves. Each node's adjoint Ȳ = ∂f/∂Y (shaped
 * like Y) is the sum of the contributions its parents pushed to it (the
 * total derivative: one term per path), and it is complete by the time the
 * node is visited. The node then pushes one contribution to each kid by the
 * rule of its op, an entry of the rule table (rules.c). Every contribution
 * is built with the DAG's constructors, so it is simplified and shared with
 * everything already built.
 *
 * Only kids from which some requested node can be reached receive anything:
 * adjoints of constants and of unrelated inputs are never built.
 *
 * Recurrences (backpropagation through time, in closed form). The graph the
 * pass walks has one more kind of vertex, a recurrence h: its parents are the
 * AT h[k] leaves and the Σs whose bodies read h[t + off]; its children are
 * its initial value and the invariant nodes of its step body (W_hh in
 * tanh(W_hh h[t−1] + …)). A Σ's children are likewise the invariant nodes of
 * its body and the recurrences it reads. Ids alone no longer order these
 * (two sequences may share a step body), so the walk is a topological sort
 * that prefers newer ids. In this order, parents first:
 *
 *   - a Σ with adjoint s̄ differentiates its body once, with seed s̄ and its
 *     STEP leaves as leaves: what reaches an invariant node Z is the same
 *     expression at every step, so Z̄ += Σ_t (it) over the Σ's range; what
 *     reaches h[t + off] becomes a term of δh over the shifted range;
 *   - an AT h[k] with adjoint Ā becomes a term of δh on the range k..k;
 *   - h, once all its terms are in, gets δh, whose body is ∇_{h[t]} of
 *     ⟨δh[t+1], body(t+1)⟩: the step body differentiated with seed δh[t]
 *     at STEP(h, −1), then read one step later. Its invariant nodes get
 *     Σ_t ∇⟨δh[t], body(t)⟩ and its initial value δh[lo−1].
 *
 * Wherever a per-step result holds the step body itself (tanh′ is written
 * with tanh), it is replaced by h[t], its value: 𝟙 − h[t] ⊙ h[t].
 *
 * Input sequences (∂L/∂x[t], asked as `grad L wrt x`). A wanted input x is a
 * vertex like a recurrence, reached the same ways (an AT x[k], a Σ or a step
 * body reading x[t + off]), so its terms come in as δh's do; having no body,
 * it needs nothing more: its adjoint δx is a BACKWARD sequence whose `of` is
 * x, with a zero body and only the terms, δx[t] = Σₖ [loₖ ≤ t ≤ hiₖ] termₖ(t).
 * Its lo is one past x's, so that its steps (lo − 1 … hi) are exactly x's,
 * and every step no term covers is 0. The gradient handed back is the STEP
 * δx[t] (sg_diff_grad), which stands for the whole sequence.
 */
#include "diff.h"
#include "rules.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

typedef struct {
    sg_expr **terms;
    int n, cap;
} contribs;

#define REACHED 1u
#define NEEDED 2u /* a requested node is reachable from here */
#define WANTED 4u /* a requested node */

sg_log *sg_log_new(sg_ctx *ctx)
{
    return sg_arena_alloc(sg_ctx_arena(ctx), sizeof(sg_log));
}

sg_step *sg_log_step(sg_ctx *ctx, sg_log *log)
{
    sg_step *s;
    if (log->nsteps == log->cap) { /* in the arena: a derivation lives as long as its nodes */
        int cap = (int)sg_grow_cap((size_t)log->nsteps + 1, (size_t)log->cap, sizeof(sg_step),
                                   SG_GROW_MAX, "steps of one derivation");
        sg_step *steps = sg_arena_alloc(sg_ctx_arena(ctx), (size_t)cap * sizeof *steps);
        if (log->nsteps)
            memcpy(steps, log->steps, (size_t)log->nsteps * sizeof *steps);
        log->steps = steps;
        log->cap = cap;
    }
    s = &log->steps[log->nsteps++];
    memset(s, 0, sizeof *s);
    s->seq = s->adjseq = s->term = -1;
    return s;
}

void sg_step_rule(sg_step *st, sg_rule_id id)
{
    st->rule_id = id;
    st->rule = sg_rule_get(id)->text;
}

static void push(contribs *c, sg_expr *e)
{
    SG_GROW(c->terms, c->n, c->cap, SG_GROW_MAX, "terms of one adjoint");
    c->terms[c->n++] = e;
}

/*
 * Ȳ ⊙ f′(A) for Y = f(A) elementwise: the rule table's entry for f. Shared
 * by the reverse rules (any Ȳ) and the forward Jacobian rule (Ȳ = 𝟙 gives
 * f′(A)), so that each function has one derivative.
 */
sg_expr *sg_diff_elementwise(sg_ctx *ctx, sg_expr *y, sg_expr *g, const char **text)
{
    sg_rule_id id;
    sg_expr *c;
    assert(sg_op_is_elementwise_unary(y->op));
    c = sg_rule_contrib(ctx, y, 0, g, &id);
    *text = sg_rule_get(id)->text;
    return c;
}

/* ---- the pass ------------------------------------------------------------- */

/* a list of vertices of the graph a pass walks */
typedef struct {
    int *v;
    int n, cap;
} vlist;

/* a contribution to δh found before δh exists */
typedef struct {
    int seq; /* h: a member of the vertex's group */
    sg_expr *value;
    sg_index lo, hi;
    const sg_expr *from;
} pterm;

typedef struct {
    pterm *t;
    int n, cap;
} ptlist;

/*
 * A vertex: a node, or a group of recurrences (one recurrence, or those
 * that read each other round a cycle: sg_seq_groups), named by its leader q. Vertices are numbered densely in
 * the order the pass reaches them (sg_idmap, node id → key 2·id, recurrence
 * q → 2q + 1), so a pass costs what it reaches, not every node the context
 * ever made: 20 000 small gradients in one problem take 20 000 small passes.
 */
typedef struct {
    sg_expr *node;     /* the node, or NULL for a group of recurrences */
    int seq;           /* the group's leader, when node is NULL */
    unsigned flags;    /* REACHED, NEEDED, WANTED */
    unsigned mark;     /* for frontier() */
    vlist kids;        /* its children, once found */
    contribs acc;      /* a node: the terms of its adjoint */
    sg_expr *adj;      /* a node: its adjoint, once complete */
    ptlist pending;    /* a group: the terms of its members' adjoints */
} vertex;

typedef struct {
    sg_ctx *ctx;
    sg_log *log;
    int S;            /* sequences when the pass began */
    sg_seqgroups *groups; /* of the sequences < S (the outer pass; else NULL) */
    int inner;        /* a body: invariant nodes (and STEP leaves) are leaves */
    sg_expr *root;
    sg_idmap ix;      /* node or recurrence → vertex number */
    vertex *vx;       /* by vertex number; moves when it grows */
    int nv, cap;
    unsigned stamp;
} pass;

static void vpush(vlist *l, int v)
{
    SG_GROW(l->v, l->n, l->cap, SG_GROW_MAX, "children of one node");
    l->v[l->n++] = v;
}

/* the members of the group led by q, in rank order: *m[0..n) */
static int members(const pass *p, int q, const int **m)
{
    return sg_seqgroups_members(p->groups, q, m);
}

static void pass_init(pass *p, sg_ctx *ctx, sg_log *log, int inner)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->log = log;
    p->inner = inner;
    p->S = sg_seq_count(ctx);
    if (!inner)
        p->groups = sg_seqgroups_new(ctx);
    sg_idmap_init(&p->ix, ctx);
}

static void pass_free(pass *p)
{
    int v;
    for (v = 0; v < p->nv; v++) {
        free(p->vx[v].kids.v);
        free(p->vx[v].acc.terms);
        free(p->vx[v].pending.t);
    }
    free(p->vx);
    sg_seqgroups_free(p->groups);
    sg_idmap_free(&p->ix);
}

/* the leader of recurrence q's group */
static int lead(const pass *p, int q)
{
    return p->groups && q < p->S ? p->groups->group[q] : q;
}

/* the vertex of key (2·id or 2q + 1), made when it is new */
static int vertex_of(pass *p, unsigned key)
{
    unsigned v = sg_idmap_add_key(&p->ix, key);
    if ((int)v == p->nv) {
        if (p->nv == p->cap) {
            int old = p->cap;
            SG_GROW(p->vx, p->nv, p->cap, SG_GROW_MAX, "nodes in one differentiation");
            sg_ctx_scratch_add(p->ctx, (unsigned long)(p->cap - old) * sizeof *p->vx);
        }
        memset(&p->vx[p->nv], 0, sizeof *p->vx);
        p->vx[p->nv].seq = -1;
        p->nv++;
    }
    return (int)v;
}

static int vnode(pass *p, sg_expr *e)
{
    int v = vertex_of(p, 2 * e->id);
    p->vx[v].node = e;
    return v;
}

/* the vertex of recurrence q's group */
static int vseq(pass *p, int q)
{
    int v = vertex_of(p, 2 * (unsigned)lead(p, q) + 1);
    p->vx[v].seq = lead(p, q);
    return v;
}

/* the flags of e's vertex; none when the pass has not reached it */
static unsigned node_flags(const pass *p, const sg_expr *e)
{
    unsigned v = sg_idmap_find_key(&p->ix, 2 * e->id);
    return v == SG_IDMAP_NONE ? 0 : p->vx[v].flags;
}

static unsigned seq_flags(const pass *p, int q)
{
    unsigned v = sg_idmap_find_key(&p->ix, 2 * (unsigned)lead(p, q) + 1);
    return v == SG_IDMAP_NONE ? 0 : p->vx[v].flags;
}

/* one more contribution to vertex v's adjoint */
static void add_term(pass *p, int v, sg_expr *e)
{
    push(&p->vx[v].acc, e);
}

static int is_rec(const pass *p, int q)
{
    return q < p->S && sg_seq_get(p->ctx, q)->kind == SG_SEQ_FORWARD;
}

/* a sequence whose adjoint this pass builds: a recurrence, or a wanted input */
static int has_adjoint(const pass *p, int q)
{
    return is_rec(p, q) || (q < p->S && sg_seq_get(p->ctx, q)->kind == SG_SEQ_INPUT &&
                            (seq_flags(p, q) & WANTED));
}

/*
 * Under a body: its invariant nodes that are not under another one (inv),
 * and its STEP leaves (steps), as vertices. An invariant body is its own
 * frontier.
 */
static void frontier(pass *p, sg_expr *body, vlist *inv, vlist *steps)
{
    vlist stack = {NULL, 0, 0};
    int k, vb = vnode(p, body);
    p->stamp++;
    vpush(&stack, vb);
    p->vx[vb].mark = p->stamp;
    while (stack.n > 0) {
        int v = stack.v[--stack.n];
        sg_expr *e = p->vx[v].node;
        if (!sg_expr_varies(e)) {
            vpush(inv, v);
            continue;
        }
        if (e->op == SG_OP_SEQSTEP) {
            vpush(steps, v);
            continue;
        }
        for (k = 0; k < e->nkids; k++) {
            int c = vnode(p, e->kid[k]);
            if (p->vx[c].mark != p->stamp) {
                p->vx[c].mark = p->stamp;
                vpush(&stack, c);
            }
        }
    }
    free(stack.v);
}

/* the children of vertex v, into p->vx[v].kids */
static void find_kids(pass *p, int v)
{
    vlist out = {NULL, 0, 0}, inv = {NULL, 0, 0}, steps = {NULL, 0, 0};
    sg_expr *e, *body;
    int i;
    if (!p->vx[v].node) { /* a group: its initial values and its bodies' frontiers */
        const int *m;
        int nm = members(p, p->vx[v].seq, &m), k;
        if (!sg_seq_get(p->ctx, p->vx[v].seq)->body)
            goto done; /* a wanted input: a leaf */
        for (k = 0; k < nm; k++) {
            const sg_seq *q = sg_seq_get(p->ctx, m[k]);
            if (q->init)
                vpush(&out, vnode(p, q->init));
            frontier(p, q->body, &inv, &steps);
        }
        v = vseq(p, p->vx[v].seq); /* frontier may have moved p->vx */
        goto found;
    } else {
        e = p->vx[v].node;
        if (e->op == SG_OP_SEQSTEP || (p->inner && e != p->root && !sg_expr_varies(e)))
            goto done; /* a leaf of the body */
        if (!p->inner && e->op == SG_OP_AT) {
            if (has_adjoint(p, e->seq))
                vpush(&out, vseq(p, e->seq));
            goto done;
        }
        if (p->inner || e->op != SG_OP_SEQSUM) {
            for (i = 0; i < e->nkids; i++)
                vpush(&out, vnode(p, e->kid[i]));
            goto done;
        }
        body = e->kid[0];
    }
    frontier(p, body, &inv, &steps);
found:
    for (i = 0; i < inv.n; i++)
        vpush(&out, inv.v[i]);
    for (i = 0; i < steps.n; i++) {
        int q = p->vx[steps.v[i]].node->seq, j, vq;
        if (!has_adjoint(p, q) || (!p->vx[v].node && p->vx[v].seq == lead(p, q)))
            continue; /* an input not wanted, or a step of the group itself */
        vq = vseq(p, q);
        for (j = 0; j < out.n && out.v[j] != vq; j++)
            ;
        if (j == out.n)
            vpush(&out, vq);
    }
    free(inv.v);
    free(steps.v);
done:
    p->vx[v].kids = out;
}

/*
 * The order of the walk, as a preference: newer first. Nodes are ordered by
 * id (kids are older), and a recurrence sits just above its initial value
 * and step body. That is only a preference, not a topological order: hash
 * consing shares bodies, so g[t] = tanh(h[t−1]) defined below h[t] =
 * tanh(h[t−1]) + b has an older body than h, which it reads. topo_order
 * below is the order; among the vertices it may take next it takes the one
 * with the largest key, so where the keys are in order they are the order.
 */
static long key_of(const pass *p, int v)
{
    const int *g;
    unsigned m = 0;
    int n, k;
    if (p->vx[v].node)
        return 2 * (long)p->vx[v].node->id;
    n = members(p, p->vx[v].seq, &g);
    if (!sg_seq_get(p->ctx, p->vx[v].seq)->body)
        return -1; /* an input: no kids, so anywhere after its parents */
    for (k = 0; k < n; k++) {
        const sg_seq *q = sg_seq_get(p->ctx, g[k]);
        if (q->body->id > m)
            m = q->body->id;
        if (q->init && q->init->id > m)
            m = q->init->id;
    }
    return 2 * (long)m + 1;
}

typedef struct {
    long key;
    long tie; /* among equal keys (recurrences sharing a body): the later one */
    int v;
} keyed;

static keyed keyed_of(const pass *p, int v)
{
    keyed x;
    x.key = key_of(p, v);
    x.tie = p->vx[v].node ? (long)p->vx[v].node->id : (long)p->vx[v].seq;
    x.v = v;
    return x;
}

/* a before b in the walk */
static int before(const keyed *a, const keyed *b)
{
    return a->key != b->key ? a->key > b->key : a->tie > b->tie;
}

static void heap_push(keyed *h, int *n, keyed x)
{
    int i = (*n)++;
    while (i > 0 && before(&x, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static keyed heap_pop(keyed *h, int *n)
{
    keyed top = h[0], x = h[--*n];
    int i = 0, c;
    while ((c = 2 * i + 1) < *n) {
        if (c + 1 < *n && before(&h[c + 1], &h[c]))
            c++;
        if (!before(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
    return top;
}

/*
 * order[0..n), the reached vertices, reordered parents first (Kahn's
 * algorithm): a vertex is taken once every parent that reaches it is, so a
 * recurrence has all its δ terms in before its rule runs. The checker
 * makes the graph acyclic (a step reads only sequences defined above it).
 */
static void topo_order(pass *p, int *order, int n)
{
    int *parents = sg_xmalloc((size_t)(p->nv + 1) * sizeof *parents);
    keyed *ready = sg_xmalloc((size_t)(n + 1) * sizeof *ready);
    int i, j, nready = 0, done = 0;
    for (i = 0; i < n; i++)
        parents[order[i]] = 0;
    for (i = 0; i < n; i++)
        for (j = 0; j < p->vx[order[i]].kids.n; j++)
            parents[p->vx[order[i]].kids.v[j]]++;
    for (i = 0; i < n; i++)
        if (parents[order[i]] == 0)
            heap_push(ready, &nready, keyed_of(p, order[i]));
    while (nready > 0) {
        int v = heap_pop(ready, &nready).v;
        order[done++] = v;
        for (j = 0; j < p->vx[v].kids.n; j++) {
            int k = p->vx[v].kids.v[j];
            if (--parents[k] == 0)
                heap_push(ready, &nready, keyed_of(p, k));
        }
    }
    assert(done == n); /* no cycle */
    free(parents);
    free(ready);
}

static sg_step *log_step(pass *p, sg_step_kind kind, const sg_expr *node)
{
    sg_step *st = sg_log_step(p->ctx, p->log);
    st->kind = kind;
    st->node = node;
    return st;
}

static void add_pending(pass *p, int q, sg_expr *value, sg_index lo, sg_index hi,
                        const sg_expr *from)
{
    ptlist *l;
    int vq;
    if (sg_expr_is_zero(value))
        return;
    vq = vseq(p, q); /* first: it may move p->vx */
    l = &p->vx[vq].pending;
    SG_GROW(l->t, l->n, l->cap, SG_GROW_MAX, "terms of one recurrence's adjoint");
    l->t[l->n].seq = q;
    l->t[l->n].value = value;
    l->t[l->n].lo = lo;
    l->t[l->n].hi = hi;
    l->t[l->n].from = from;
    l->n++;
}

static void add_contrib(pass *p, sg_expr *to, sg_expr *c)
{
    if (!sg_expr_is_zero(c))
        add_term(p, vnode(p, to), c);
}

static void run(pass *p, sg_expr *root, sg_expr *seed, int n, sg_expr *const *wrt, sg_expr **out);

/* the adjoints of wrt[0..n) in body, seeded with seed: one pass over the body */
static void body_grad(pass *outer, sg_expr *body, sg_expr *seed, int n, sg_expr *const *wrt,
                      sg_expr **out)
{
    pass p;
    pass_init(&p, outer->ctx, outer->log, 1);
    run(&p, body, seed, n, wrt, out);
    pass_free(&p);
}

/* the invariant frontier nodes of body that lead somewhere wanted, and the
   STEP leaves of recurrences that do, as one list of nodes */
static int wanted_under(pass *p, sg_expr *body, sg_expr ***list)
{
    vlist inv = {NULL, 0, 0}, steps = {NULL, 0, 0};
    int i, n = 0;
    frontier(p, body, &inv, &steps);
    *list = sg_xmalloc((size_t)(inv.n + steps.n + 1) * sizeof **list);
    for (i = 0; i < inv.n; i++)
        if (p->vx[inv.v[i]].flags & NEEDED)
            (*list)[n++] = p->vx[inv.v[i]].node;
    for (i = 0; i < steps.n; i++) {
        sg_expr *s = p->vx[steps.v[i]].node;
        if (has_adjoint(p, s->seq) && (seq_flags(p, s->seq) & NEEDED))
            (*list)[n++] = s;
    }
    free(inv.v);
    free(steps.v);
    return n;
}

/* Y = Σ_{t=lo}^{hi} B(t) ⇒ Z̄ += Σ_t ∂⟨Ȳ, B(t)⟩/∂Z for an invariant Z, and
   δh[t + off] += ∂⟨Ȳ, B(t)⟩/∂h[t + off] */
static void sum_rule(pass *p, sg_expr *s, sg_expr *g)
{
    sg_expr **w, **out;
    int n = wanted_under(p, s->kid[0], &w), i;
    if (n > 0) {
        out = sg_xmalloc((size_t)n * sizeof *out);
        if (p->log) {
            sg_step *st = log_step(p, SG_STEP_SEQ_SUM, s);
            st->adjoint = g;
            sg_step_rule(st, SG_RULE_SEQ_SUM);
        }
        body_grad(p, s->kid[0], g, n, w, out);
        for (i = 0; i < n; i++) {
            if (w[i]->op == SG_OP_SEQSTEP) {
                /* the step read at t + off is δh's step u = t + off: u − off = t */
                long off = w[i]->off;
                add_pending(p, w[i]->seq, sg_expr_shift(p->ctx, out[i], -off),
                            sg_index_plus(s->lo, off), sg_index_plus(s->hi, off), s);
            } else {
                sg_expr *c = sg_seqsum(p->ctx, out[i], s->lo, s->hi);
                if (p->log) {
                    sg_step *st = log_step(p, SG_STEP_SEQ_PUSH, s);
                    st->adjoint = g;
                    st->to = w[i];
                    st->contrib = c;
                    sg_step_rule(st, SG_RULE_SEQ_SUM_PUSH);
                }
                add_contrib(p, w[i], c);
            }
        }
        free(out);
    }
    free(w);
}

/* "δh", or "δh_2" … when that is taken */
static const char *adjoint_name(sg_ctx *ctx, const char *name)
{
    sg_arena *ar = sg_ctx_arena(ctx);
    const char *s = sg_arena_printf(ar, "δ%s", name);
    int k;
    for (k = 2; sg_seq_find(ctx, s) >= 0; k++)
        s = sg_arena_printf(ar, "δ%s_%d", name, k);
    return s;
}

/* a term of δh (the adjoint d of recurrence q) into the table, logged */
static void put_term(pass *p, int d, const pterm *t)
{
    int term = sg_seq_get(p->ctx, d)->nterms;
    sg_seq_add_term(p->ctx, d, t->lo, t->hi, t->value);
    if (p->log) {
        sg_step *st = log_step(p, SG_STEP_SEQ_TERM, t->from);
        st->adjseq = d;
        st->term = term;
        st->contrib = t->value;
        sg_step_rule(st, t->from->op == SG_OP_AT ? SG_RULE_SEQ_TERM_AT : SG_RULE_SEQ_TERM_STEP);
    }
}

/*
 * Input sequence q, every contribution to its adjoint in (or none: then
 * every step is 0): δx, with x's steps (lo one past x's), a zero body and
 * the terms, as the STEP δx[t] that stands for the whole sequence.
 */
static sg_expr *input_rule(pass *p, int q)
{
    sg_ctx *ctx = p->ctx;
    unsigned v = sg_idmap_find_key(&p->ix, 2 * (unsigned)q + 1);
    ptlist none = {NULL, 0, 0}, pl = v == SG_IDMAP_NONE ? none : p->vx[v].pending;
    const sg_seq *x = sg_seq_get(ctx, q);
    int d = sg_seq_add(ctx, adjoint_name(ctx, x->name), SG_SEQ_BACKWARD, x->shape,
                       sg_index_plus(x->lo, 1), x->hi, x->span), i;
    sg_seq *dx = sg_seq_get_mut(ctx, d);
    dx->of = q;
    dx->body = sg_zero(ctx, dx->shape);
    for (i = 0; i < pl.n; i++)
        put_term(p, d, &pl.t[i]);
    return sg_seqstep(ctx, d, 0);
}

/*
 * Member q of a group whose adjoints d[0..nm) (of members m[0..nm)) exist
 * and hold every term from outside the group: δh's body, and what the step
 * gives to invariant nodes, to recurrences outside the group (pending terms)
 * and to the other members' adjoints (terms, straight into the table).
 */
static void member_rule(pass *p, const int *m, const int *d, int nm, int k)
{
    sg_ctx *ctx = p->ctx;
    int q = m[k], n, i, j;
    const sg_seq *h = sg_seq_get(ctx, q);
    sg_expr **w, **out, *own = sg_seqstep(ctx, q, 0), *body = NULL;
    sg_index lo = h->lo, hi = h->hi;
    n = wanted_under(p, h->body, &w);
    out = sg_xmalloc((size_t)(n + 1) * sizeof *out);
    if (p->log) {
        sg_step *st = log_step(p, SG_STEP_SEQ_REC, h->body);
        st->seq = q;
        st->adjseq = d[k];
        st->adjoint = sg_seqstep(ctx, d[k], 0);
        sg_step_rule(st, SG_RULE_SEQ_REC);
    }
    body_grad(p, h->body, sg_seqstep(ctx, d[k], 0), n, w, out);
    h = sg_seq_get(ctx, q); /* the table may have moved */
    for (i = 0; i < n; i++) {
        /* the step body is h[t] where it appears in its own derivative */
        sg_expr *g = sg_expr_replace(ctx, out[i], h->body, own);
        if (w[i]->op == SG_OP_SEQSTEP && w[i]->seq == q && w[i]->off == -1) {
            /* ∂⟨δ[t], body(t)⟩/∂h[t−1] read at t + 1: ∂L/∂h[t] through h[t+1] */
            body = sg_expr_shift(ctx, g, 1);
        } else if (w[i]->op == SG_OP_SEQSTEP && lead(p, w[i]->seq) == lead(p, q)) {
            /* another member read at t + off: a term of its adjoint */
            pterm t;
            for (j = 0; j < nm && m[j] != w[i]->seq; j++)
                ;
            assert(j < nm);
            t.seq = m[j];
            t.value = sg_expr_shift(ctx, g, -w[i]->off);
            t.lo = sg_index_plus(lo, w[i]->off);
            t.hi = sg_index_plus(hi, w[i]->off);
            t.from = h->body;
            if (!sg_expr_is_zero(t.value))
                put_term(p, d[j], &t);
        } else if (w[i]->op == SG_OP_SEQSTEP) {
            long off = w[i]->off; /* another recurrence read at t + off */
            add_pending(p, w[i]->seq, sg_expr_shift(ctx, g, -off), sg_index_plus(lo, off),
                        sg_index_plus(hi, off), h->body);
        } else {
            /* ∇_Z L = Σ_t ∇_Z ⟨δh[t], body(t)⟩ for an invariant Z */
            sg_expr *c = sg_seqsum(ctx, g, lo, hi);
            if (p->log) {
                sg_step *st = log_step(p, SG_STEP_SEQ_PUSH, h->body);
                st->seq = q;
                st->adjoint = sg_seqstep(ctx, d[k], 0);
                st->to = w[i];
                st->contrib = c;
                sg_step_rule(st, SG_RULE_SEQ_REC_PUSH);
            }
            add_contrib(p, w[i], c);
        }
    }
    if (!body)
        body = sg_zero(ctx, h->shape);
    sg_seq_get_mut(ctx, d[k])->body = body;
    if (p->log) {
        sg_step *st = log_step(p, SG_STEP_SEQ_DELTA, h->body);
        st->seq = q;
        st->adjseq = d[k];
        st->contrib = body;
        sg_step_rule(st, SG_RULE_SEQ_DELTA);
    }
    /* h[lo−1] = init ⇒ init̄ += δh[lo−1] */
    if (h->init && (node_flags(p, h->init) & NEEDED)) {
        sg_expr *c = sg_at(ctx, d[k], sg_index_plus(lo, -1));
        if (p->log) {
            sg_step *st = log_step(p, SG_STEP_SEQ_PUSH, h->init);
            st->seq = q;
            st->to = h->init;
            st->contrib = c;
            sg_step_rule(st, SG_RULE_SEQ_INIT);
        }
        add_contrib(p, h->init, c);
    }
    free(w);
    free(out);
}

/*
 * The group led by q, every contribution from outside in: an adjoint δh for
 * each member, then each member's step differentiated, the last step
 * first (δh[t] before δc[t] when h[t] reads c[t]).
 */
static void recurrence_rule(pass *p, int q)
{
    sg_ctx *ctx = p->ctx;
    int vq = vseq(p, q); /* first: it may move p->vx */
    ptlist pl = p->vx[vq].pending; /* complete: nothing from outside adds to it now */
    const int *m;
    int nm = members(p, q, &m), k, i, *d;
    if (pl.n == 0)
        return; /* no adjoint reaches the group */
    d = sg_xmalloc((size_t)nm * sizeof *d);
    for (k = nm - 1; k >= 0; k--) { /* made in the order they are computed */
        const sg_seq *h = sg_seq_get(ctx, m[k]);
        d[k] = sg_seq_add(ctx, adjoint_name(ctx, h->name), SG_SEQ_BACKWARD, h->shape, h->lo, h->hi,
                          h->span);
        sg_seq_get_mut(ctx, d[k])->of = m[k];
    }
    for (k = nm - 1; k >= 0; k--) {
        for (i = 0; i < pl.n; i++)
            if (pl.t[i].seq == m[k])
                put_term(p, d[k], &pl.t[i]);
        member_rule(p, m, d, nm, k);
    }
    free(d);
}

/* one node's adjoint g, pushed to its children by the rule of its op */
static void node_rule(pass *p, sg_expr *e, sg_expr *g)
{
    int k;
    if (!p->inner && e->op == SG_OP_SEQSUM) {
        sum_rule(p, e, g);
        return;
    }
    if (!p->inner && e->op == SG_OP_AT) {
        /* ∂L/∂h[k]: a one-step term of δh (or of δx, for a wanted input) */
        if (has_adjoint(p, e->seq))
            add_pending(p, e->seq, g, e->at, e->at, e);
        return;
    }
    if (e->nkids == 0 || e->op == SG_OP_AT || e->op == SG_OP_SEQSUM ||
        (p->inner && e != p->root && !sg_expr_varies(e)))
        return; /* a leaf here */
    for (k = 0; k < e->nkids; k++) {
        sg_rule_id id;
        sg_expr *contrib;
        if (!(node_flags(p, e->kid[k]) & NEEDED))
            continue;
        /* the rule of e's op for kid k, from the table */
        contrib = sg_rule_contrib(p->ctx, e, k, g, &id);
        assert(sg_shape_eq(contrib->shape, e->kid[k]->shape));
        if (p->log) {
            sg_step *st = log_step(p, SG_STEP_RULE, e);
            st->adjoint = g;
            st->kid = k;
            st->contrib = contrib;
            sg_step_rule(st, id);
        }
        add_contrib(p, e->kid[k], contrib);
    }
}

/* the input sequence a wanted VAR stands for (its symbol holds x's steps),
   or −1 */
static int input_of(const pass *p, const sg_expr *w)
{
    return !p->inner && w->op == SG_OP_VAR ? sg_sym_get(p->ctx, w->sym)->seq : -1;
}

static void run(pass *p, sg_expr *root, sg_expr *seed, int n, sg_expr *const *wrt, sg_expr **out)
{
    vlist order = {NULL, 0, 0}, stack = {NULL, 0, 0};
    int i, j, vr;

    p->root = root;
    for (i = 0; i < n; i++) {
        int q = input_of(p, wrt[i]);
        int v = q >= 0 ? vseq(p, q) : vnode(p, wrt[i]); /* first: it may move p->vx */
        p->vx[v].flags |= WANTED;
    }
    /* the vertices reachable from root, depth first */
    vr = vnode(p, root);
    p->vx[vr].flags |= REACHED;
    vpush(&stack, vr);
    while (stack.n > 0) {
        int v = stack.v[--stack.n];
        vpush(&order, v);
        find_kids(p, v);
        for (j = 0; j < p->vx[v].kids.n; j++) {
            int k = p->vx[v].kids.v[j];
            if (!(p->vx[k].flags & REACHED)) {
                p->vx[k].flags |= REACHED;
                vpush(&stack, k);
            }
        }
    }
    free(stack.v);
    topo_order(p, order.v, order.n);

    /* children before parents: which vertices lead to a requested node */
    for (i = order.n - 1; i >= 0; i--) {
        vertex *x = &p->vx[order.v[i]];
        if (x->flags & WANTED)
            x->flags |= NEEDED;
        for (j = 0; j < x->kids.n; j++)
            if (p->vx[x->kids.v[j]].flags & NEEDED)
                x->flags |= NEEDED;
    }

    if (p->log && !p->inner) {
        sg_step *st = log_step(p, SG_STEP_SEED, root);
        sg_step_rule(st, SG_RULE_SEED);
        p->log->f = root;
        st->adjoint = seed;
    }
    add_term(p, vr, seed);

    for (i = 0; i < order.n; i++) {
        int v = order.v[i];
        contribs c;
        sg_expr *e, *g;
        if (!(p->vx[v].flags & NEEDED))
            continue;
        if (sg_expr_count(p->ctx) > SG_MAX_NODES)
            break; /* sg_check reports it; what is left is not needed */
        if (!p->vx[v].node && !is_rec(p, p->vx[v].seq)) {
            sg_expr *dx = input_rule(p, p->vx[v].seq); /* a wanted input */
            p->vx[v].adj = dx;
            continue;
        }
        if (!p->vx[v].node) {
            recurrence_rule(p, p->vx[v].seq);
            continue;
        }
        e = p->vx[v].node;
        c = p->vx[v].acc; /* complete: its parents are done (vx may move below) */
        if (c.n == 0)
            continue;
        /* the total derivative: Ȳ is the sum over the paths to Y */
        g = c.terms[0];
        for (j = 1; j < c.n; j++)
            g = sg_add(p->ctx, g, c.terms[j]);
        p->vx[v].adj = g;
        if (p->log && c.n >= 2) {
            sg_step *st = log_step(p, SG_STEP_TOTAL, e);
            sg_step_rule(st, SG_RULE_TOTAL);
            const sg_expr **terms =
                sg_arena_alloc(sg_ctx_arena(p->ctx), (size_t)c.n * sizeof *terms);
            for (j = 0; j < c.n; j++)
                terms[j] = c.terms[j];
            st->adjoint = g;
            st->terms = terms;
            st->nterms = c.n;
        }
        if (!sg_expr_is_zero(g))
            node_rule(p, e, g);
    }

    for (i = 0; i < n; i++) {
        int q = input_of(p, wrt[i]);
        unsigned v = sg_idmap_find_key(&p->ix, q >= 0 ? 2 * (unsigned)q + 1 : 2 * wrt[i]->id);
        sg_expr *a = v == SG_IDMAP_NONE ? NULL : p->vx[v].adj;
        if (!a && q >= 0)
            a = input_rule(p, q); /* f does not read x: every step 0 */
        out[i] = a ? a : sg_zero(p->ctx, wrt[i]->shape);
    }
    free(order.v);
}

void sg_diff_grad(sg_ctx *ctx, sg_expr *f, int n, sg_expr *const *wrt, sg_expr **out,
                  sg_log *log)
{
    pass p;
    assert(sg_shape_is_scalar(f->shape));
    pass_init(&p, ctx, log, 0);
    run(&p, f, sg_const(ctx, 1), n, wrt, out);
    pass_free(&p);
}
