/*
 * jacobian.c: Jacobians and Hessians in closed form, by forward propagation.
 *
 * The Jacobian of a vector f with respect to a vector x is built the way it
 * is derived on paper, from x towards f: J(x) = I, and each node that
 * depends on x gets J(node) = ∂vec(node)/∂x from its kids' Jacobians by the
 * rule of its op (J(Av) = A J(v), J(f(a)) = diag(f′(a)) J(a)), an entry of
 * the rule table (rules.c). Node ids grow
 * with creation and kids are older than parents, so visiting nodes by
 * increasing id sees every kid first.
 *
 * A matrix enters as its row-major flattening vec (entry (i, j) of an m×n
 * X is entry i·n + j, the C layout), so J(Y) for Y p×q is (p·q)×len(x),
 * and x may be a matrix too. Matrices carry their Jacobians in closed form
 * with Kronecker products: vec(AXB) = (A ⊗ Bᵀ) vec(X) gives J(AX) =
 * (A ⊗ I)J(X) and J(XB) = (I ⊗ Bᵀ)J(X), J(Xᵀ) = K J(X) with K the
 * commutation matrix, and J(f(A)) = diag(vec f′(A)) J(A); the rules
 * multiply Kronecker products by the mixed-product rule as they go, so the
 * Hessian of tr(XᵀBX) is (B + Bᵀ) ⊗ I and never a product with an
 * identity. What has no rule for a matrix (the column-wise softmax family,
 * diag, an inverse or a determinant on the way) makes the Jacobian fail
 * with a sentence naming the construct.
 *
 * Between a vector x and a vector f, no matrix that depends on x may lie
 * (the sentence says so, as it always has): those Jacobians stay products
 * of matrices the size of f and x, never of (n·n)-row Kronecker factors.
 *
 * A 1×1 node is where the rules stop: its Jacobian is its gradient
 * transposed, and reverse mode (diff.c) reaches x through anything in
 * closed form. So a node's kids are only asked for their Jacobians when the
 * node is not 1×1.
 *
 * A row vector is its own vec (the same entries), so rows travel like
 * columns: J(aᵀ) = J(a) and J(uM) = Mᵀ J(u) for a row u.
 *
 * Every J is built with the DAG's constructors, so identities vanish on the
 * way: for s = softmax(z), J(s) = diag(s)J(z) − s(sᵀJ(z)) with J(z) = I
 * is diag(s) − ssᵀ, and the Hessian of ‖Ax − b‖², the Jacobian of its
 * gradient 2Aᵀ(Ax − b), is 2AᵀA.
 */
#include "diff.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

#define REACHED 1u
#define DEP 2u  /* depends on x */
#define NEED 4u /* its Jacobian is asked for */

/* a vector of either orientation, or a scalar */
static int is_flat(sg_shape s)
{
    return s.rows == SG_DIM_ONE || s.cols == SG_DIM_ONE;
}

/* the length of vec(e): rows·cols */
static sg_dim len(sg_ctx *ctx, sg_shape s)
{
    return sg_shape_len(ctx, s);
}

static int by_id(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
}

/* how the sentences name a node */
static const char *name_of(sg_ctx *ctx, const sg_expr *e)
{
    if (e->op == SG_OP_VAR)
        return sg_sym_get(ctx, e->sym)->name;
    if (e->name)
        return e->name;
    return sg_arena_printf(sg_ctx_arena(ctx), "a %s node", sg_op_name(e->op));
}

/* why the Jacobian of node y cannot go through its matrix kid m (or y
   itself, a matrix): y has no rule for one */
static const char *matrix_why(sg_ctx *ctx, const sg_expr *y, const sg_expr *m, const char *xn)
{
    sg_arena *ar = sg_ctx_arena(ctx);
    const char *what = m->name ? sg_arena_printf(ar, "the matrix %s", m->name) : "a matrix";
    const char *construct;
    switch (y->op) {
    case SG_OP_DIAGV:
        construct = sg_arena_printf(ar, "diag(·), the diagonal of %s", what);
        break;
    case SG_OP_DIAG:
        construct = "diag(·), a diagonal matrix";
        break;
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        construct = sg_arena_printf(ar, "%s of the columns of %s", sg_op_name(y->op), what);
        break;
    case SG_OP_MUL:
        construct = sg_arena_printf(ar, "a product with %s", what);
        break;
    default:
        construct = sg_arena_printf(ar, "%s of %s", sg_op_name(y->op), what);
        break;
    }
    return sg_arena_printf(ar,
                           "it goes through %s that depends on %s; between %s and the result "
                           "a matrix may go through sums, products, transposes and elementwise "
                           "operations, and the Jacobian of this is not supported yet",
                           construct, xn, xn);
}

/*
 * J(y) for a flat, non-1×1 y from its kids' Jacobians (Ja, Jb; NULL for a kid
 * that does not depend on x), by the rule table's forward entry, and the
 * entry used: len(y)×len(x). NULL, with *why set, when there is none.
 */
static sg_expr *rule(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x,
                     sg_rule_id *id, const char **why)
{
    *id = sg_rule_jacobian_for(y, Ja != NULL, Jb != NULL);
    if (*id != SG_RULE_NONE)
        return sg_rule_get(*id)->forward(ctx, y, Ja, Jb, x);
    *why = sg_arena_printf(sg_ctx_arena(ctx), "there is no Jacobian rule for %s",
                           sg_op_name(y->op));
    return NULL;
}

/* the reached nodes' tables, by their number in m: sized by what f reaches,
   not by every node made, so k Jacobians of small functions cost their size */
typedef struct {
    sg_idmap m;
    unsigned cap;
    unsigned char *flags;
    sg_expr **J;
} jtab;

/* e's number, given one (with no flags and no Jacobian) if it had none */
static unsigned jnum(jtab *t, const sg_expr *e)
{
    unsigned n0 = t->m.n, i = sg_idmap_add(&t->m, e);
    if (i >= t->cap) {
        unsigned n = (unsigned)sg_grow_cap((size_t)i + 1, t->cap, sizeof *t->J, SG_GROW_MAX,
                                           "nodes in one Jacobian");
        t->flags = sg_xrealloc(t->flags, n);
        t->J = sg_xrealloc(t->J, n * sizeof *t->J);
        sg_ctx_scratch_add(t->m.ctx, (unsigned long)(n - t->cap) * (1 + sizeof *t->J));
        t->cap = n;
    }
    if (t->m.n > n0) {
        t->flags[i] = 0;
        t->J[i] = NULL;
    }
    return i;
}

/* the flags of a reached node (jnum numbered every one) */
#define FLAGS(t, e) ((t)->flags[sg_idmap_find(&(t)->m, (e))])

/* the nodes reachable from f, by increasing id (kids first), into *out;
   x is a leaf (what is upstream of it is held). order and stack hold each
   reached node once: they grow with the numbering */
static int reach_from(jtab *t, sg_expr *f, const sg_expr *x, sg_expr ***out)
{
    sg_expr **order, **stack;
    int cap, norder = 0, sp = 0, k;
    unsigned i = jnum(t, f); /* jnum may move t->flags: number first */
    t->flags[i] |= REACHED;
    cap = (int)t->cap;
    order = sg_xmalloc((size_t)cap * sizeof *order);
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = f;
    while (sp > 0) {
        sg_expr *e = stack[--sp];
        order[norder++] = e;
        if (e == x)
            continue;
        for (k = 0; k < e->nkids; k++) {
            unsigned ik = jnum(t, e->kid[k]);
            if ((int)t->cap > cap) { /* the numbering grew (with SG_GROW's limit) */
                cap = (int)t->cap;
                order = sg_xrealloc(order, (size_t)cap * sizeof *order);
                stack = sg_xrealloc(stack, (size_t)cap * sizeof *stack);
            }
            if (!(t->flags[ik] & REACHED)) {
                t->flags[ik] |= REACHED;
                stack[sp++] = e->kid[k];
            }
        }
    }
    free(stack);
    qsort(order, (size_t)norder, sizeof *order, by_id);
    *out = order;
    return norder;
}

/* kids first: which nodes depend on x */
static void mark_dependent(jtab *t, sg_expr **order, int norder, const sg_expr *x)
{
    int i, k;
    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i];
        if (e == x)
            FLAGS(t, e) |= DEP;
        else
            for (k = 0; k < e->nkids; k++)
                if (FLAGS(t, e->kid[k]) & DEP)
                    FLAGS(t, e) |= DEP;
    }
}

/* has e a forward rule for the kids of it that depend on x */
static int has_rule(jtab *t, const sg_expr *e)
{
    int ha = e->nkids > 0 && (FLAGS(t, e->kid[0]) & DEP);
    int hb = e->nkids > 1 && (FLAGS(t, e->kid[1]) & DEP);
    return sg_rule_jacobian_for(e, ha, hb) != SG_RULE_NONE;
}

/* parents first: whose Jacobians are asked for. A 1×1 node asks nothing
   of its kids (its gradient reaches x by itself); a matrix on the way
   carries its Jacobian as its vec's (⊗ in the rules), and a node that has
   no rule for a matrix fails (0, and *why names the construct) */
static int mark_needed(sg_ctx *ctx, jtab *t, sg_expr **order, int norder, sg_expr *f,
                       const sg_expr *x, const char *xn, const char **why)
{
    int i, k;
    FLAGS(t, f) |= NEED;
    for (i = norder - 1; i >= 0; i--) {
        sg_expr *e = order[i];
        if (!(FLAGS(t, e) & NEED) || e == x || sg_shape_is_scalar(e->shape))
            continue;
        for (k = 0; k < e->nkids; k++) {
            sg_expr *kid = e->kid[k];
            if (!(FLAGS(t, kid) & DEP))
                continue;
            if ((!is_flat(kid->shape) || !is_flat(e->shape)) && !has_rule(t, e)) {
                *why = matrix_why(ctx, e, is_flat(kid->shape) ? e : kid, xn);
                return 0;
            }
            FLAGS(t, kid) |= NEED;
        }
    }
    return 1;
}

/* kids first: the Jacobians of the nodes asked for, each logged; 0 when a
   rule has none (*why says why) */
static int propagate(sg_ctx *ctx, jtab *t, sg_expr **order, int norder, sg_expr *x,
                     sg_log *log, const char **why)
{
    sg_dim q = len(ctx, x->shape);
    int i;
    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i], *j;
        sg_rule_id id;
        if (!(FLAGS(t, e) & NEED))
            continue;
        if (sg_expr_count(ctx) > SG_MAX_NODES) { /* sg_check reports it */
            *why = "the problem is too large";
            return 0;
        }
        if (e == x || sg_shape_is_scalar(e->shape)) {
            /* J(x) = I; J(s) = (∇ₓs)ᵀ for a 1×1 s, whose gradient reaches x
               through anything (reverse mode) */
            id = e == x ? SG_RULE_J_X : SG_RULE_J_SCALAR;
            j = sg_rule_get(id)->forward(ctx, e, NULL, NULL, x);
        } else {
            sg_expr *a = e->kid[0], *b = e->nkids > 1 ? e->kid[1] : NULL;
            j = rule(ctx, e, a ? t->J[sg_idmap_find(&t->m, a)] : NULL,
                     b ? t->J[sg_idmap_find(&t->m, b)] : NULL, x, &id, why);
            if (!j)
                return 0;
        }
        assert(sg_shape_eq(j->shape, sg_shape_make(len(ctx, e->shape), q)));
        t->J[sg_idmap_find(&t->m, e)] = j;
        if (log) {
            sg_step *st = sg_log_step(ctx, log);
            st->kind = SG_STEP_JACOBIAN;
            st->node = e;
            st->contrib = j;
            sg_step_rule(st, id);
        }
    }
    return 1;
}

sg_expr *sg_diff_jacobian(sg_ctx *ctx, sg_expr *f, sg_expr *x, sg_log *log, const char **why)
{
    jtab tab, *t = &tab;
    sg_expr **order = NULL, *result = NULL;
    const char *xn = name_of(ctx, x);
    int norder, i;

    *why = NULL;
    if (log && !log->f)
        log->f = f;

    memset(t, 0, sizeof *t);
    sg_idmap_init(&t->m, ctx);
    norder = reach_from(t, f, x, &order);
    /* what a Σ over time or a step depends on is in the sequences, not its
       kids: the Jacobian rules cannot see through it */
    for (i = 0; i < norder; i++)
        if (sg_op_is_seq(order[i]->op)) {
            *why = "it goes through a sequence (a Σ over time or a recurrence); Jacobians and "
                   "Hessians through sequences are not supported yet";
            goto done;
        }
    mark_dependent(t, order, norder, x);
    if (!(FLAGS(t, f) & DEP))
        result = sg_zero(ctx, sg_shape_make(len(ctx, f->shape), len(ctx, x->shape)));
    else if (mark_needed(ctx, t, order, norder, f, x, xn, why) &&
             propagate(ctx, t, order, norder, x, log, why))
        result = t->J[sg_idmap_find(&t->m, f)];

done:
    free(t->flags);
    free(t->J);
    sg_idmap_free(&t->m);
    free(order);
    return result;
}
