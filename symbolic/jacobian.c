/*
 * jacobian.c: Jacobians and Hessians in closed form, by forward propagation.
 *
 * The Jacobian of a vector f with respect to a vector x is built the way it
 * is derived on paper, from x towards f: J(x) = I, and each node that
 * depends on x gets J(node) = ∂vec(node)/∂x from its kids' Jacobians by the
 * rule of its op (J(Av) = A J(v), J(f(a)) = diag(f′(a)) J(a)). Node ids grow
 * with creation and kids are older than parents, so visiting nodes by
 * increasing id sees every kid first.
 *
 * Only vectors can carry a Jacobian this way: the Jacobian of a matrix with
 * respect to a vector is a third-order tensor. A 1×1 node is where that
 * stops being a problem: its Jacobian is its gradient transposed, and
 * reverse mode (diff.c) reaches x through any matrices in closed form. So a
 * node's kids are only asked for their Jacobians when the node is not 1×1,
 * and a matrix asked for one makes the whole Jacobian fail, with a sentence
 * naming the construct.
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

#define REACHED 1u
#define DEP 2u  /* depends on x */
#define NEED 4u /* its Jacobian is asked for */

/* a vector of either orientation, or a scalar: what has a vec */
static int is_flat(sg_shape s)
{
    return s.rows == SG_DIM_ONE || s.cols == SG_DIM_ONE;
}

/* the length of vec(e) for a flat e */
static sg_dim len(sg_shape s)
{
    return s.cols == SG_DIM_ONE ? s.rows : s.cols;
}

/* vec(e) for a flat e: a column */
static sg_expr *vec(sg_ctx *ctx, sg_expr *e)
{
    return e->shape.cols == SG_DIM_ONE ? e : sg_transpose(ctx, e);
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
        return sg_sym(ctx, e->sym)->name;
    if (e->name)
        return e->name;
    return sg_arena_printf(sg_ctx_arena(ctx), "a %s node", sg_op_name(e->op));
}

/* why the Jacobian of a flat node y cannot go through its matrix kid m */
static const char *matrix_why(sg_ctx *ctx, const sg_expr *y, const sg_expr *m, const char *xn)
{
    sg_arena *ar = sg_ctx_arena(ctx);
    const char *what = m->name ? sg_arena_printf(ar, "the matrix %s", m->name) : "a matrix";
    const char *construct;
    switch (y->op) {
    case SG_OP_DIAGV:
        construct = sg_arena_printf(ar, "diag(·), the diagonal of %s", what);
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
                           "it goes through %s that depends on %s; only vectors and scalars "
                           "may lie between %s and the result (the derivative of a matrix "
                           "with respect to a vector is not a matrix)",
                           construct, xn, xn);
}

/* J(y) as a sum of terms, each kid's contribution added as it is made */
static sg_expr *plus(sg_ctx *ctx, sg_expr *acc, sg_expr *term)
{
    return acc ? sg_add(ctx, acc, term) : term;
}

/*
 * J(y) for a flat, non-1×1 y from its kids' Jacobians (Ja, Jb; NULL for a kid
 * that does not depend on x), and the identity used: len(y)×len(x).
 */
static sg_expr *rule(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, const char **text,
                     const char **why)
{
    sg_expr *a = y->kid[0], *b = y->nkids > 1 ? y->kid[1] : NULL;
    sg_expr *r = NULL, *s, *t;
    sg_dim p = len(y->shape);

    switch (y->op) {
    case SG_OP_ADD:
        /* d(a + b) = da + db ⇒ J(a + b) = J(a) + J(b) */
        *text = "J(a + b) = J(a) + J(b)";
        if (Ja)
            r = plus(ctx, r, Ja);
        if (Jb)
            r = plus(ctx, r, Jb);
        return r;
    case SG_OP_TRANSPOSE:
        /* vec(aᵀ) = vec(a) for a vector ⇒ J(aᵀ) = J(a) */
        *text = "J(aᵀ) = J(a)";
        return Ja;
    case SG_OP_FILL:
        /* s𝟙 ⇒ d(s𝟙) = 𝟙 ds ⇒ J(s𝟙) = 𝟙 J(s) */
        *text = "J(s𝟙) = 𝟙 J(s)";
        return sg_mul(ctx, sg_ones(ctx, sg_shape_make(p, SG_DIM_ONE)), Ja);
    case SG_OP_MUL:
        if (sg_shape_is_scalar(a->shape)) {
            /* d(s v) = s dv + v ds ⇒ J(s v) = s J(v) + vec(v) J(s) */
            *text = "J(s v) = s J(v) + v J(s)";
            if (Jb)
                r = plus(ctx, r, sg_mul(ctx, a, Jb));
            if (Ja)
                r = plus(ctx, r, sg_mul(ctx, vec(ctx, b), Ja));
            return r;
        }
        if (Jb && !Ja && b->shape.cols == SG_DIM_ONE) {
            /* d(A v) = A dv ⇒ J(A v) = A J(v) */
            *text = "J(A v) = A J(v)";
            return sg_mul(ctx, a, Jb);
        }
        if (Ja && !Jb && a->shape.rows == SG_DIM_ONE) {
            /* vec(u M) = (u M)ᵀ = Mᵀ uᵀ for a row u ⇒ J(u M) = Mᵀ J(u) */
            *text = "J(u M) = Mᵀ J(u)";
            return sg_mul(ctx, sg_transpose(ctx, b), Ja);
        }
        break; /* a matrix factor depending on x: found before we get here */
    case SG_OP_HADAMARD:
        /* d(a ⊙ b) = b ⊙ da + a ⊙ db ⇒ J(a ⊙ b) = diag(b) J(a) + diag(a) J(b) */
        *text = "J(a ⊙ b) = diag(b) J(a) + diag(a) J(b)";
        if (Ja)
            r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, b), Ja));
        if (Jb)
            r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, a), Jb));
        return r;
    case SG_OP_HDIV:
        /* y = a ⊘ b ⇒ dy = da ⊘ b − (y ⊘ b) ⊙ db
           ⇒ J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag(y ⊘ b) J(b) */
        *text = "J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag((a ⊘ b) ⊘ b) J(b)";
        if (Ja) {
            s = sg_hdiv(ctx, sg_ones(ctx, b->shape), b);
            r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, s), Ja));
        }
        if (Jb)
            r = plus(ctx, r, sg_neg(ctx, sg_mul(ctx, sg_diag(ctx, sg_hdiv(ctx, y, b)), Jb)));
        return r;
    case SG_OP_POW:
        /* y = a.^p ⇒ dy = p a.^(p−1) ⊙ da + y ⊙ log(a) dp
           ⇒ J(a.^p) = diag(p a.^(p−1)) J(a) + vec(y ⊙ log a) J(p) */
        *text = "J(a.^p) = diag(p a.^(p−1)) J(a) + (a.^p ⊙ log a) J(p)";
        if (Ja) {
            s = sg_mul(ctx, b, sg_pow(ctx, a, sg_sub(ctx, b, sg_const(ctx, 1))));
            r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, s), Ja));
        }
        if (Jb) {
            t = sg_hadamard(ctx, y, sg_unary(ctx, SG_OP_LOG, a));
            r = plus(ctx, r, sg_mul(ctx, vec(ctx, t), Jb));
        }
        return r;
    case SG_OP_SOFTMAX:
        /* s = softmax(a) ⇒ ds = s ⊙ da − s (sᵀda) ⇒ J(s) = (diag(s) − ssᵀ) J(a),
           built as diag(s)J(a) − s(sᵀJ(a)): p·q work, and diag(s) − ssᵀ itself
           when J(a) = I */
        *text = "J(softmax(a)) = (diag(s) − ssᵀ) J(a), s = softmax(a)";
        s = sg_mul(ctx, sg_diag(ctx, y), Ja);
        t = sg_mul(ctx, y, sg_mul(ctx, sg_transpose(ctx, y), Ja));
        return sg_sub(ctx, s, t);
    case SG_OP_LOGSOFTMAX:
        /* y = a − 𝟙 logsumexp(a) ⇒ dy = da − 𝟙 softmax(a)ᵀda
           ⇒ J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a), built as
           J(a) − 𝟙(softmax(a)ᵀJ(a)) */
        *text = "J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a)";
        s = sg_transpose(ctx, sg_unary(ctx, SG_OP_SOFTMAX, a));
        t = sg_mul(ctx, sg_ones(ctx, sg_shape_make(p, SG_DIM_ONE)), sg_mul(ctx, s, Ja));
        return sg_sub(ctx, Ja, t);
    default:
        if (sg_op_is_elementwise_unary(y->op)) {
            /* y = f(a) ⇒ dy = f′(a) ⊙ da ⇒ J(f(a)) = diag(f′(a)) J(a), with f′
               the reverse rule's Ȳ ⊙ f′(A) at Ȳ = 𝟙 */
            const char *unused;
            *text = "J(f(a)) = diag(f′(a)) J(a)";
            s = sg_diff_elementwise(ctx, y, sg_ones(ctx, y->shape), &unused);
            return sg_mul(ctx, sg_diag(ctx, s), Ja);
        }
        break;
    }
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
        unsigned n = t->cap ? 2 * t->cap : 64;
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

sg_expr *sg_diff_jacobian(sg_ctx *ctx, sg_expr *f, sg_expr *x, sg_log *log, const char **why)
{
    jtab tab, *t = &tab;
    sg_expr **order = NULL, **stack = NULL, *result = NULL;
    int cap = 0;
    const char *xn = name_of(ctx, x);
    int norder = 0, sp = 0, i, k;
    sg_dim q;

    *why = NULL;
    if (!is_flat(x->shape)) {
        *why = sg_arena_printf(sg_ctx_arena(ctx),
                               "%s is a matrix; a Jacobian is taken with respect to a scalar "
                               "or a vector",
                               xn);
        return NULL;
    }
    if (!is_flat(f->shape)) {
        *why = sg_arena_printf(sg_ctx_arena(ctx),
                               "%s is a matrix; a Jacobian is taken of a scalar or a vector",
                               name_of(ctx, f));
        return NULL;
    }
    q = len(x->shape);
    if (log && !log->f)
        log->f = f;

    memset(t, 0, sizeof *t);
    sg_idmap_init(&t->m, ctx);

    /* the nodes reachable from f; x is a leaf (what is upstream of it is
       held). order and stack hold each reached node once: they grow with
       the numbering */
    i = (int)jnum(t, f); /* jnum may move t->flags: number first */
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
            if ((int)t->cap > cap) {
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
    /* what a Σ over time or a step depends on is in the sequences, not its
       kids: the Jacobian rules cannot see through it */
    for (i = 0; i < norder; i++)
        if (sg_op_is_seq(order[i]->op)) {
            *why = "it goes through a sequence (a Σ over time or a recurrence); Jacobians and "
                   "Hessians through sequences are not supported yet";
            goto done;
        }

    /* kids first: which nodes depend on x */
    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i];
        if (e == x)
            FLAGS(t, e) |= DEP;
        else
            for (k = 0; k < e->nkids; k++)
                if (FLAGS(t, e->kid[k]) & DEP)
                    FLAGS(t, e) |= DEP;
    }
    if (!(FLAGS(t, f) & DEP)) {
        result = sg_zero(ctx, sg_shape_make(len(f->shape), q));
        goto done;
    }

    /* parents first: whose Jacobians are asked for. A 1×1 node asks nothing
       of its kids (its gradient reaches x by itself); a flat node cannot use
       the Jacobian of a matrix */
    FLAGS(t, f) |= NEED;
    for (i = norder - 1; i >= 0; i--) {
        sg_expr *e = order[i];
        if (!(FLAGS(t, e) & NEED) || e == x || sg_shape_is_scalar(e->shape))
            continue;
        for (k = 0; k < e->nkids; k++) {
            sg_expr *kid = e->kid[k];
            if (!(FLAGS(t, kid) & DEP))
                continue;
            if (!is_flat(kid->shape)) {
                *why = matrix_why(ctx, e, kid, xn);
                goto done;
            }
            FLAGS(t, kid) |= NEED;
        }
    }

    /* kids first: the Jacobians */
    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i], *j;
        const char *text = NULL;
        if (!(FLAGS(t, e) & NEED))
            continue;
        if (sg_expr_count(ctx) > SG_MAX_NODES) { /* sg_check reports it */
            *why = "the problem is too large";
            goto done;
        }
        if (e == x) {
            /* dx = I dx */
            text = "J(x) = I";
            j = sg_eye(ctx, q);
        } else if (sg_shape_is_scalar(e->shape)) {
            /* ds = ⟨∇ₓs, dx⟩ = (∇ₓs)ᵀ dx ⇒ J(s) = (∇ₓs)ᵀ (a row vector's vec
               is itself, so for a row x it is ∇ₓs) */
            sg_expr *g;
            text = "J(s) = (∇ₓs)ᵀ";
            sg_diff_grad(ctx, e, 1, &x, &g, NULL);
            j = x->shape.cols == SG_DIM_ONE ? sg_transpose(ctx, g) : g;
        } else {
            sg_expr *a = e->kid[0], *b = e->nkids > 1 ? e->kid[1] : NULL;
            j = rule(ctx, e, a ? t->J[sg_idmap_find(&t->m, a)] : NULL,
                     b ? t->J[sg_idmap_find(&t->m, b)] : NULL, &text, why);
            if (!j)
                goto done;
        }
        assert(sg_shape_eq(j->shape, sg_shape_make(len(e->shape), q)));
        t->J[sg_idmap_find(&t->m, e)] = j;
        if (log) {
            sg_step *st = sg_log_step(ctx, log);
            st->kind = SG_STEP_JACOBIAN;
            st->node = e;
            st->contrib = j;
            st->rule = text;
        }
    }
    result = t->J[sg_idmap_find(&t->m, f)];

done:
    free(t->flags);
    free(t->J);
    sg_idmap_free(&t->m);
    free(order);
    return result;
}
