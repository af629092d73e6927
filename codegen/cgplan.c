/*
 * cgplan.c: the plans (pass 1) and the storage decisions (pass 2).
 *
 * Plan. Each node reachable from a result gets a plan: how its value is
 * produced (an input read in place, a scalar expression, a reduction loop,
 * one entry at a time from its operands' entries, or a kernel call) and
 * which nodes its code reads ("refs"; a kernel's operands are read through
 * their transposes, so Wᵀ is the flag on a read of W).
 *
 * Decide storage. A non-scalar node gets a buffer ("is materialized") when a
 * kernel computes it, when it is read more than once, when a kernel must
 * read it from memory, or when it is a result; an elementwise node read once
 * is fused into its reader's loop. A scalar becomes a C local unless it is a
 * leaf or feeds one scalar expression.
 *
 * Linear algebra never forms an inverse it can avoid. Each matrix A under
 * an inverse, det or logdet gets one factorization, a node of the schedule
 * that the DAG does not have (the printer makes it, with an id past the
 * DAG's): Cholesky when A is provably symmetric positive definite (declared
 * so, or built as GGᵀ + λI with λ > 0 and the like), else LU with partial
 * pivoting. A copy of A (fused with whatever computes A) is factored in
 * place; A⁻¹B and BA⁻¹ are solves against the factor, det and logdet read
 * its pivots, tr(A⁻¹B) is the trace of a solve, and A⁻¹ itself (when a
 * gradient −A⁻ᵀȲA⁻ᵀ or a result needs it) is a solve against I. A singular
 * or indefinite A makes P_eval return an error code (emit_factor() in
 * cgemit.c; the codes are declared by cgdecl.c).
 */
#include "cg.h"

const char *cg_fmt(cg_state *g, const char *f, ...)
{
    va_list ap;
    sg_buf b;
    char *s;
    sg_buf_init(&b);
    va_start(ap, f);
    sg_buf_vprintf(&b, f, ap);
    va_end(ap);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the record of e in the schedule being planned (in a loop body: ext for
   what lives outside) */
cg_node *cg_rec_here(cg_state *g, const sg_expr *e)
{
    return &g->sc->ni[e->id];
}

/* the record that says how e is computed and read: in a loop body, an
   invariant node's is P_eval's */
cg_node *cg_rec(cg_state *g, const sg_expr *e)
{
    cg_node *n = &g->sc->ni[e->id];
    if (g->sc != &g->top && (!n->reach || n->ext))
        return &g->top.ni[e->id];
    return n;
}

int cg_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

int cg_is_one(sg_dim d)
{
    return d == SG_DIM_ONE;
}

/* one of its dimensions is 1: its entries are in the same order transposed */
int cg_veclike(const sg_expr *e)
{
    return cg_is_one(e->shape.rows) || cg_is_one(e->shape.cols);
}

/* ---- masks ------------------------------------------------------------------ */

const sg_mask *cg_mask_of(cg_state *g, const sg_expr *e)
{
    return g->sc->masks[e->id];
}

/* ---- 1. plans ---------------------------------------------------------------- */

void cg_add_ref(cg_node *n, const sg_expr *e, int need)
{
    int t = 0;
    if (need != NEED_VAL)
        while (e->op == SG_OP_TRANSPOSE) {
            e = e->kid[0];
            t ^= 1;
        }
    n->r[n->nref].e = e;
    n->r[n->nref].need = (unsigned char)need;
    n->r[n->nref].trans = (unsigned char)t;
    n->nref++;
}

static int is_leaf_value(const sg_expr *e);

/* ---- linear algebra ----------------------------------------------------------- */

/* e without its transposes; *t flips once for each */
static const sg_expr *strip_t(const sg_expr *e, int *t)
{
    while (e->op == SG_OP_TRANSPOSE) {
        e = e->kid[0];
        *t ^= 1;
    }
    return e;
}

/* e is op(A)⁻¹ for a square non-scalar A: A itself, and *t set when op(A) = Aᵀ
   ((A⁻¹)ᵀ = (Aᵀ)⁻¹, so every transpose on the way counts) */
static int inverse_of(const sg_expr *e, const sg_expr **A, int *t)
{
    int u = 0;
    e = strip_t(e, &u);
    if (e->op != SG_OP_INV || cg_scalar(e))
        return 0;
    *A = strip_t(e->kid[0], &u);
    *t = u;
    return 1;
}

/* the factor of A (untransposed), made on first use */
static cg_factor *factor_of(cg_state *g, const sg_expr *a)
{
    int k = g->fac_of[a->id];
    if (k < 0) {
        sg_expr *f = sg_arena_alloc(g->ar, sizeof *f);
        memset(f, 0, sizeof *f);
        f->op = OP_FACTOR;
        f->shape = a->shape;
        f->nkids = 1;
        f->kid[0] = (sg_expr *)a;
        f->id = g->nreal + (unsigned)g->nfac;
        assert(f->id < g->nnodes);
        k = g->fac_of[a->id] = g->nfac++;
        g->fac[k].node = f;
        g->fac[k].chol = sg_props_definite(g->ctx, a, 1);
        g->fac[k].strict = g->fac[k].chol; /* Cholesky cannot go on past a bad pivot */
    }
    return &g->fac[k];
}

cg_factor *cg_factor_at(cg_state *g, const sg_expr *f)
{
    return &g->fac[g->fac_of[f->kid[0]->id]];
}

/* X = op(A)⁻¹ B, B op(A)⁻¹ or op(A)⁻¹ (variant SV_*) */
static void plan_solve(cg_state *g, cg_node *n, const sg_expr *A, int t, int var, const sg_expr *B)
{
    cg_factor *f = factor_of(g, A);
    f->strict = 1;
    n->plan = PL_SOLVE;
    n->var = (unsigned char)(var | (t ? SV_TRANS : 0));
    cg_add_ref(n, f->node, NEED_ADDR);
    if (B)
        cg_add_ref(n, B, NEED_VAL);
}

static void plan_scalar(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e, *a = e->nkids ? e->kid[0] : NULL, *A;
    int i, t = 0;
    switch (e->op) {
    case SG_OP_CONST: case SG_OP_DIMVAL: case SG_OP_VAR: case SG_OP_ZERO: case SG_OP_ONES:
    case SG_OP_EYE:
        n->plan = PL_SLEAF;
        return;
    default:
        break;
    }
    /* an op on 1×1 operands is arithmetic */
    if (e->nkids > 0 && cg_scalar(a) && (e->nkids < 2 || cg_scalar(e->kid[1]))) {
        n->plan = PL_SEXPR;
        if (e->op == SG_OP_MUL && a->op == SG_OP_HDIV && a->kid[0]->op == SG_OP_CONST &&
            a->kid[0]->value == 1) { /* (1/s) b = b / s */
            n->var = EW_SCALEDIV;
            cg_add_ref(n, a->kid[1], NEED_VAL);
            cg_add_ref(n, e->kid[1], NEED_VAL);
            return;
        }
        for (i = 0; i < e->nkids; i++)
            cg_add_ref(n, e->kid[i], NEED_VAL);
        return;
    }
    n->plan = PL_SRED;
    /* a diagonal matrix in a reduction: only its diagonal counts */
    if ((e->op == SG_OP_SUM || e->op == SG_OP_TRACE) && a->op == SG_OP_DIAG) {
        n->var = RD_SUM;
        cg_add_ref(n, a->kid[0], NEED_VAL);
        return;
    }
    if (e->op == SG_OP_DOT ||
        (e->op == SG_OP_TRACE && a->op == SG_OP_MUL && !cg_scalar(a->kid[0]))) {
        const sg_expr *x = e->op == SG_OP_DOT ? a : a->kid[0];
        const sg_expr *y = e->op == SG_OP_DOT ? e->kid[1] : a->kid[1];
        if (x->op == SG_OP_DIAG || y->op == SG_OP_DIAG) {
            n->var = RD_DIAGDOT;
            cg_add_ref(n, (x->op == SG_OP_DIAG ? x : y)->kid[0], NEED_VAL);
            cg_add_ref(n, x->op == SG_OP_DIAG ? y : x, NEED_VAL);
            return;
        }
    }
    switch (e->op) {
    case SG_OP_SUM:
        n->var = RD_SUM;
        cg_add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_DOT:
        n->var = RD_DOT;
        if (a->op == SG_OP_EYE || e->kid[1]->op == SG_OP_EYE) { /* ⟨A, I⟩ = tr A */
            n->var = RD_TRACE;
            cg_add_ref(n, a->op == SG_OP_EYE ? e->kid[1] : a, NEED_VAL);
            return;
        }
        cg_add_ref(n, a, NEED_VAL);
        cg_add_ref(n, e->kid[1], NEED_VAL);
        return;
    case SG_OP_NORM:
        n->var = RD_NORM;
        cg_add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_NORM1:
        n->var = RD_NORM1;
        cg_add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_TRACE:
        n->var = RD_TRACE;
        if (a->op == SG_OP_MUL && !cg_scalar(a->kid[0]) && !cg_scalar(a->kid[1]) && !a->name &&
            !inverse_of(a->kid[0], &A, &t) && !inverse_of(a->kid[1], &A, &t)) {
            /* tr(A⁻¹B) is the trace of a solve: the product is never formed */
            n->var = RD_TRPROD;
            cg_add_ref(n, a->kid[0], NEED_VAL);
            cg_add_ref(n, a->kid[1], NEED_VAL);
            return;
        }
        cg_add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_MUL: /* (1×k)(k×1) */
        n->var = RD_INNER;
        if (a->op == SG_OP_ONES) {
            n->var = RD_SUM;
            cg_add_ref(n, e->kid[1], NEED_VAL);
        } else if (e->kid[1]->op == SG_OP_ONES) {
            n->var = RD_SUM;
            cg_add_ref(n, a, NEED_VAL);
        } else {
            cg_add_ref(n, a, NEED_VAL);
            cg_add_ref(n, e->kid[1], NEED_VAL);
        }
        return;
    case SG_OP_LOGSUMEXP:
        n->var = RD_LSE;
        cg_add_ref(n, a, NEED_ADDR);
        return;
    case SG_OP_DET: case SG_OP_LOGDET: { /* det Aᵀ = det A */
        cg_factor *f = factor_of(g, strip_t(a, &t));
        n->var = e->op == SG_OP_DET ? RD_DET : RD_LOGDET;
        if (e->op == SG_OP_LOGDET) /* log 0 */
            f->strict = 1;
        cg_add_ref(n, f->node, NEED_ADDR);
        return;
    }
    default:
        cg_unsupported(g, "an operation the C printer does not know", NULL);
        break;
    }
    n->plan = PL_SLEAF; /* unsupported: keeps the walk going */
}

/* for B = U Wᵀ and a symmetric A: the DAG's node A⁻¹W, else NULL */
static const sg_expr *reassociated_solve(cg_state *g, const sg_expr *B, const sg_expr *A)
{
    const sg_expr *W, *inv;
    int k, t = 0;
    if (B->op != SG_OP_MUL || cg_scalar(B->kid[0]) || cg_scalar(B->kid[1]) ||
        !sg_props_symmetric(g->ctx, A))
        return NULL;
    W = B->kid[1];
    if (W->op == SG_OP_TRANSPOSE)
        W = W->kid[0];
    else if (!sg_props_symmetric(g->ctx, W))
        return NULL;
    for (k = 0; k < g->nsolves; k++)
        if (g->solves[k]->kid[1] == W && inverse_of(g->solves[k]->kid[0], &inv, &t) && inv == A)
            return g->solves[k];
    return NULL;
}

/* a and b are op(X) and op(X)ᵀ for one non-scalar X */
static int transposes(const sg_expr *a, const sg_expr *b)
{
    int ta = 0, tb = 0;
    return strip_t(a, &ta) == strip_t(b, &tb) && ta != tb && !cg_is_one(a->shape.rows) &&
           !cg_is_one(a->shape.cols);
}

/*
 * a b is op(X) diag(d) op(X)ᵀ, written (op(X) diag(d)) op(X)ᵀ or op(X) (diag(d)
 * op(X)ᵀ), or op(X) op(X)ᵀ: one symmetric pass (PL_SYRK: ref[0] is op(X),
 * ref[1] d when there is one), with no copy of X diag(d) and half the work
 */
static int plan_syrk(cg_node *n, const sg_expr *a, const sg_expr *b)
{
    const sg_expr *x = a, *d = NULL;
    if (a->op == SG_OP_MUL && a->kid[1]->op == SG_OP_DIAG && transposes(a->kid[0], b)) {
        x = a->kid[0];
        d = a->kid[1]->kid[0];
    } else if (b->op == SG_OP_MUL && b->kid[0]->op == SG_OP_DIAG && transposes(a, b->kid[1])) {
        d = b->kid[0]->kid[0];
    } else if (!transposes(a, b)) {
        return 0;
    }
    n->plan = PL_SYRK;
    cg_add_ref(n, x, NEED_ADDR);
    if (d)
        cg_add_ref(n, d, NEED_ADDR);
    return 1;
}

static void plan_mul(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e, *a = e->kid[0], *b = e->kid[1], *A, *X;
    int t;
    n->plan = PL_EW;
    if (cg_scalar(a) || cg_scalar(b)) {
        const sg_expr *s = cg_scalar(a) ? a : b, *x = cg_scalar(a) ? b : a;
        if (s->op == SG_OP_HDIV && s->kid[0]->op == SG_OP_CONST && s->kid[0]->value == 1) {
            n->var = EW_SCALEDIV;
            cg_add_ref(n, s->kid[1], NEED_VAL);
            cg_add_ref(n, x, NEED_VAL);
        } else {
            n->var = EW_SCALE;
            cg_add_ref(n, a, NEED_VAL);
            cg_add_ref(n, b, NEED_VAL);
        }
        return;
    }
    if (a->op == SG_OP_ZERO || b->op == SG_OP_ZERO) {
        n->var = EW_ZERO;
        return;
    }
    if (a->op == SG_OP_EYE || b->op == SG_OP_EYE) {
        n->var = EW_IDENT;
        cg_add_ref(n, a->op == SG_OP_EYE ? b : a, NEED_VAL);
        return;
    }
    if (a->op == SG_OP_COMMUTE || b->op == SG_OP_COMMUTE) { /* a permutation, never formed */
        n->var = a->op == SG_OP_COMMUTE ? EW_PERMROWS : EW_PERMCOLS;
        cg_add_ref(n, a->op == SG_OP_COMMUTE ? b : a, NEED_VAL);
        return;
    }
    if (cg_is_one(a->shape.cols)) { /* u vᵀ: each entry is read many times */
        n->var = EW_OUTER;
        cg_add_ref(n, a, NEED_CHEAP);
        cg_add_ref(n, b, NEED_CHEAP);
        return;
    }
    if (a->op == SG_OP_DIAG) {
        n->var = EW_ROWSCALE;
        cg_add_ref(n, a->kid[0], NEED_CHEAP);
        cg_add_ref(n, b, NEED_VAL);
        return;
    }
    if (b->op == SG_OP_DIAG) {
        n->var = EW_COLSCALE;
        cg_add_ref(n, a, NEED_VAL);
        cg_add_ref(n, b->kid[0], NEED_CHEAP);
        return;
    }
    if (inverse_of(a, &A, &t)) { /* op(A)⁻¹B: solve op(A) X = B */
        plan_solve(g, n, A, t, 0, b);
        return;
    }
    if (inverse_of(b, &A, &t) && (X = reassociated_solve(g, a, A))) {
        /* (U Wᵀ)A⁻¹ = U (A⁻¹W)ᵀ for a symmetric A, and A⁻¹W is solved already:
           a product instead of a solve for each of U's rows */
        n->plan = cg_is_one(e->shape.cols)   ? PL_GEMV
                  : cg_is_one(e->shape.rows) ? PL_GEMVT
                                             : PL_GEMM;
        n->var = 1;
        if (n->plan == PL_GEMM && a->kid[0] == X) { /* (A⁻¹W)(A⁻¹W)ᵀ: symmetric */
            n->plan = PL_SYRK;
            cg_add_ref(n, X, NEED_ADDR);
            return;
        }
        cg_add_ref(n, a->kid[0], NEED_ADDR);
        cg_add_ref(n, X, NEED_ADDR);
        n->r[1].trans ^= 1;
        return;
    }
    if (inverse_of(b, &A, &t)) { /* B op(A)⁻¹: solve op(A)ᵀ Xᵀ = Bᵀ */
        plan_solve(g, n, A, t, SV_RIGHT, a);
        return;
    }
    if (a->op == SG_OP_ONES && cg_is_one(a->shape.rows)) {
        n->plan = PL_COLSUM;
        cg_add_ref(n, b, NEED_ADDR);
        return;
    }
    if (b->op == SG_OP_ONES && cg_is_one(b->shape.cols)) {
        n->plan = PL_ROWSUM;
        cg_add_ref(n, a, NEED_ADDR);
        return;
    }
    if (plan_syrk(n, a, b))
        return;
    n->plan = cg_is_one(e->shape.cols) ? PL_GEMV : cg_is_one(e->shape.rows) ? PL_GEMVT : PL_GEMM;
    cg_add_ref(n, a, NEED_ADDR);
    cg_add_ref(n, b, NEED_ADDR);
}

void cg_plan_node(cg_state *g, cg_node *n)
{
    const sg_expr *e = n->e;
    int i;
    if (cg_scalar(e)) {
        plan_scalar(g, n);
        return;
    }
    switch (e->op) {
    case SG_OP_VAR:
        n->plan = PL_INPUT;
        return;
    case SG_OP_MUL:
        plan_mul(g, n);
        return;
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        n->plan = PL_COLWISE;
        cg_add_ref(n, e->kid[0], NEED_ADDR);
        return;
    case SG_OP_INV: { /* wanted itself: solve op(A) X = I */
        const sg_expr *A = NULL;
        int t = 0;
        inverse_of(e, &A, &t);
        plan_solve(g, n, A, t, SV_EYE, NULL);
        return;
    }
    case OP_FACTOR: /* a copy of A, factored in place */
        n->plan = PL_FACTOR;
        cg_add_ref(n, e->kid[0], NEED_VAL);
        return;
    case SG_OP_DIAGV: { /* diag(AB) = (Σₚ AᵢₚBₚᵢ)ᵢ: n products, not n² */
        const sg_expr *m = e->kid[0], *A, *x, *y;
        int t;
        if (m->op == SG_OP_MUL && !cg_scalar(m->kid[0]) && !cg_scalar(m->kid[1]) &&
            !cg_is_one(m->kid[0]->shape.cols)) {
            x = m->kid[0];
            y = m->kid[1];
            if (!inverse_of(x, &A, &t) && !inverse_of(y, &A, &t) && x->op != SG_OP_DIAG &&
                y->op != SG_OP_DIAG && !is_leaf_value(x) && !is_leaf_value(y)) {
                n->plan = PL_DIAGMUL;
                cg_add_ref(n, x, NEED_ADDR);
                cg_add_ref(n, y, NEED_ADDR);
                return;
            }
        }
        break;
    }
    default:
        break;
    }
    n->plan = PL_EW;
    n->var = EW_PLAIN;
    for (i = 0; i < e->nkids; i++)
        cg_add_ref(n, e->kid[i], NEED_VAL);
}

/* ---- 2. storage decisions ----------------------------------------------------- */

static int is_leaf_value(const sg_expr *e)
{
    return e->op == SG_OP_ZERO || e->op == SG_OP_ONES || e->op == SG_OP_EYE ||
           e->op == SG_OP_FILL;
}

/* readable in place: an input or a buffer */
int cg_stored(cg_state *g, const sg_expr *e)
{
    cg_node *n = cg_rec(g, e);
    return n->plan == PL_INPUT || n->plan == PL_AT || n->plan == PL_STEP || n->mat;
}

/* a view costs nothing to read twice: ᵀ, diag, I·X of something stored */
static int cheap_view(cg_state *g, cg_node *n)
{
    int i;
    if (n->plan != PL_EW)
        return 0;
    if (is_leaf_value(n->e))
        return 1;
    if (!(n->var == EW_IDENT || n->var == EW_ZERO ||
          (n->var == EW_PLAIN && (n->e->op == SG_OP_TRANSPOSE || n->e->op == SG_OP_DIAG ||
                                  n->e->op == SG_OP_DIAGV))))
        return 0;
    for (i = 0; i < n->nref; i++)
        if (!cg_scalar(n->r[i].e) && !cg_stored(g, n->r[i].e) &&
            !cheap_view(g, cg_rec(g, n->r[i].e)))
            return 0;
    return 1;
}

/*
 * How a loop body reads e, which it does not compute (ext): the body's own
 * record of it holds the need (a kernel in the body needs e in memory, addr
 * bit 1), but e is stored or not by P_eval's record, decided here.
 */
static unsigned loop_addr(cg_state *g, const sg_expr *e)
{
    unsigned a = 0;
    int k;
    for (k = 0; k < g->nloops; k++) {
        const cg_node *x = &g->loops[k].body->ni[e->id];
        if (x->reach && x->ext)
            a |= x->addr;
    }
    return a;
}

void cg_decide(cg_state *g)
{
    unsigned id;
    for (id = 0; id < g->nnodes; id++) {
        cg_node *n = &g->sc->ni[id];
        if (!n->reach || n->ext)
            continue;
        if (g->sc == &g->top && n->fromloop)
            n->addr |= loop_addr(g, n->e); /* a kernel in the loop reads it in place */
        if (n->plan == PL_LOOP) { /* a Σ into a local or a buffer; a sequence's steps */
            n->mat = (int)n->e->op == OP_SEQ || !cg_scalar(n->e);
            n->local = !n->mat;
            n->top = n->local && n->fused; /* 0 before the loop that sums it */
            continue;
        }
        if (n->plan == PL_AT || n->plan == PL_STEP) /* read in place */
            continue;
        if (cg_scalar(n->e)) {
            n->local = n->plan == PL_SRED ||
                       (n->plan == PL_SEXPR && (n->uses > 1 || n->inloop || n->fromloop));
            continue;
        }
        switch (n->plan) {
        case PL_INPUT:
            break;
        case PL_EW:
            /* leaves and views are cheap to read again; a kernel needs memory; a
               loop reads what it does not compute at every step */
            n->mat = n->root || (n->addr & 1) ||
                     ((n->addr & 2 || n->uses > 1 || n->fromloop) && !cheap_view(g, n));
            break;
        default:
            n->mat = 1;
            break;
        }
    }
}
