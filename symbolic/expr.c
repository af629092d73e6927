/*
 * expr.c: the smart constructors of the expression DAG.
 *
 * Every node is made through the unique table (unique.c), which looks
 * (op, shape, kids, payload) up first: equal expressions are one pointer.
 * The name a definition gives a node is not part of its identity. The
 * module's other files: ctx.c (the context's tables), unique.c (the unique
 * table), rewrite.c (rebuilding and rewriting), props.c (the proofs);
 * expr_impl.h lists what they share.
 *
 * The constructors apply only rewrites that are always valid and never make
 * the result larger, so that the DAG stays canonical enough for hash-consing
 * to find the sharing:
 *
 *   - constants fold; 0 + a → a; c₁a + c₂a → (c₁+c₂)a on one ADD;
 *   - a scalar factor always sits at the top of a product, with a constant
 *     coefficient outermost: c·(s·A). So −a is (−1)·a and −(−a) is a;
 *   - products of matrices are flattened into a chain of factors and
 *     re-associated by the matrix-chain dynamic program (Wᵀ(Wx), never
 *     (WᵀW)x), so the same sub-product is the same node everywhere. A
 *     product a definition names is one factor (the user's Q in KᵀQ); a
 *     transposed product is one factor: transposes are not pushed inwards,
 *     since they are free views in generated code and pushing them would
 *     duplicate work;
 *   - 1×1 forms of 0, 𝟙, I and fills are the scalar itself, so that a
 *     scalar has one canonical spelling;
 *   - numerically fragile compositions become the op that evaluates them
 *     stably, wherever the composition is built (so in derivatives too):
 *     log σ(x) → −softplus(−x), log(𝟙 + eˣ) → softplus(x), log(𝟙 + x) →
 *     log1p(x), eˣ − 𝟙 → expm1(x), log sum(exp x) → logsumexp(x),
 *     eˣ/sum(eˣ) → softmax(x), x − logsumexp(x) → logsoftmax(x), and
 *     σ(−x) → 𝟙 − σ(x) so that σ(x) is shared. Each is at its constructor
 *     with its identity. They keep values finite for logits in the
 *     thousands, where the naive forms give log 0 or ∞/∞;
 *   - declared properties: Sᵀ = S for a symmetric S, sum(y) = 1 for y ∈ Δ.
 *
 * Whether a node is provably symmetric is decided when it is made, from its
 * kids' flags (the proof is in props.c), and kept next to the node
 * (ex_node in expr_impl.h).
 */
#include "expr_impl.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "props.h"

/* a named dimension is assumed this large when ordering products */
#define NAMED_DIM_COST 1000.0
/* longer chains of factors are not re-associated (the DP is cubic) */
#define MAX_CHAIN 32
/* a product of two products with more factors keeps them on a tie (order_chain) */
#define KEEP_CHAIN 4

/* a scaling: s·A with s 1×1 (kid[0]) and A not 1×1 */
static int is_scaling(const sg_expr *e)
{
    return e->op == SG_OP_MUL && ex_is_scalar(e->kid[0]) && !ex_is_scalar(e);
}

/* a scaling the constructors may open to move its scalar out: not one a
   definition names (Q = 2WX stays Q in sum(Q), Qᵀ, Q ⊙ B, ⟨Q, B⟩, 3Q),
   as a named product is kept whole */
static int open_scaling(const sg_expr *e)
{
    return is_scaling(e) && !e->name;
}

/* out, the form a constructor built for a fragile composition; recorded
   when recording is on, so that the rewrite can be shown */
static sg_expr *rewrote(sg_ctx *ctx, sg_rewrite_kind kind, const sg_expr *a, const sg_expr *b,
                        sg_expr *out)
{
    if (!ctx->recording)
        return out;
    SG_GROW(ctx->rw, ctx->nrw, ctx->caprw, SG_GROW_MAX, "rewrites");
    ctx->rw[ctx->nrw].kind = kind;
    ctx->rw[ctx->nrw].a = a;
    ctx->rw[ctx->nrw].b = b;
    ctx->rw[ctx->nrw].out = out;
    ctx->nrw++;
    return out;
}

/* ---- leaves ------------------------------------------------------------- */

static sg_shape scalar_shape(void)
{
    return sg_shape_make(SG_DIM_ONE, SG_DIM_ONE);
}

sg_expr *sg_var(sg_ctx *ctx, int sym)
{
    return ex_intern(ctx, SG_OP_VAR, sg_sym_get(ctx, sym)->shape, NULL, NULL, 0, sym, -1);
}

sg_expr *sg_const(sg_ctx *ctx, double v)
{
    return ex_intern(ctx, SG_OP_CONST, scalar_shape(), NULL, NULL, v, -1, -1);
}

sg_expr *sg_dimval(sg_ctx *ctx, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(ctx, d);
    if (!di->name)
        return sg_const(ctx, (double)di->value);
    return ex_intern(ctx, SG_OP_DIMVAL, scalar_shape(), NULL, NULL, 0, -1, d);
}

sg_expr *sg_zero(sg_ctx *ctx, sg_shape s)
{
    if (sg_shape_is_scalar(s))
        return sg_const(ctx, 0);
    return ex_intern(ctx, SG_OP_ZERO, s, NULL, NULL, 0, -1, -1);
}

sg_expr *sg_ones(sg_ctx *ctx, sg_shape s)
{
    if (sg_shape_is_scalar(s))
        return sg_const(ctx, 1);
    return ex_intern(ctx, SG_OP_ONES, s, NULL, NULL, 0, -1, -1);
}

sg_expr *sg_eye(sg_ctx *ctx, sg_dim n)
{
    if (n == SG_DIM_ONE)
        return sg_const(ctx, 1);
    return ex_intern(ctx, SG_OP_EYE, sg_shape_make(n, n), NULL, NULL, 0, -1, -1);
}

/* ---- properties --------------------------------------------------------- */

int sg_expr_is_const(const sg_expr *e, double v)
{
    switch (e->op) {
    case SG_OP_CONST:
        return e->value == v;
    case SG_OP_FILL:
        return e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == v;
    case SG_OP_ZERO:
        return v == 0;
    case SG_OP_ONES:
        return v == 1;
    default:
        return 0;
    }
}

int sg_expr_is_zero(const sg_expr *e)
{
    return sg_expr_is_const(e, 0);
}

/* a product or transpose of leaves, at most 8 deep */
static int leaf_product(const sg_expr *e, int depth)
{
    int k;
    if (e->nkids == 0)
        return 1;
    if (depth > 8 || !(e->op == SG_OP_MUL || e->op == SG_OP_TRANSPOSE))
        return 0;
    for (k = 0; k < e->nkids; k++)
        if (!leaf_product(e->kid[k], depth + 1))
            return 0;
    return 1;
}

int sg_expr_ops(const sg_expr *e, int cap)
{
    int n, k;
    if (e->nkids == 0 || cap <= 0)
        return 0;
    n = 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += sg_expr_ops(e->kid[k], cap - n);
    return n;
}

int sg_expr_is_leaf_product(const sg_expr *e)
{
    return leaf_product(e, 0);
}

int sg_op_is_seq(sg_op op)
{
    return op == SG_OP_SEQSTEP || op == SG_OP_AT || op == SG_OP_SEQSUM;
}

int sg_op_is_elementwise_unary(sg_op op)
{
    return op >= SG_OP_EXP && op <= SG_OP_STEP;
}

const char *sg_op_name(sg_op op)
{
    static const char *const names[SG_OP_COUNT] = {
        [SG_OP_VAR] = "var",          [SG_OP_CONST] = "const",
        [SG_OP_DIMVAL] = "dim",       [SG_OP_ZERO] = "0",
        [SG_OP_ONES] = "𝟙",           [SG_OP_EYE] = "I",
        [SG_OP_ADD] = "+",            [SG_OP_MUL] = "·",
        [SG_OP_TRANSPOSE] = "ᵀ",      [SG_OP_FILL] = "fill",
        [SG_OP_SUM] = "sum",          [SG_OP_TRACE] = "tr",
        [SG_OP_DOT] = "⟨,⟩",          [SG_OP_DIAG] = "diag",
        [SG_OP_DIAGV] = "diagv",      [SG_OP_HADAMARD] = "⊙",
        [SG_OP_HDIV] = "⊘",           [SG_OP_POW] = ".^",
        [SG_OP_EXP] = "exp",          [SG_OP_LOG] = "log",
        [SG_OP_SQRT] = "sqrt",        [SG_OP_ABS] = "abs",
        [SG_OP_SIN] = "sin",          [SG_OP_COS] = "cos",
        [SG_OP_TANH] = "tanh",        [SG_OP_SIGMOID] = "σ",
        [SG_OP_RELU] = "relu",        [SG_OP_SWISH] = "swish",
        [SG_OP_SOFTPLUS] = "softplus", [SG_OP_LOG1P] = "log1p",
        [SG_OP_EXPM1] = "expm1",      [SG_OP_TAN] = "tan",
        [SG_OP_ARCSIN] = "arcsin",    [SG_OP_ARCCOS] = "arccos",
        [SG_OP_ARCTAN] = "arctan",    [SG_OP_SINH] = "sinh",
        [SG_OP_COSH] = "cosh",        [SG_OP_LOG2] = "log2",
        [SG_OP_ERF] = "erf",          [SG_OP_SIGN] = "sign",
        [SG_OP_STEP] = "step",        [SG_OP_NORM] = "norm",
        [SG_OP_NORM1] = "norm1",      [SG_OP_SOFTMAX] = "softmax",
        [SG_OP_LOGSOFTMAX] = "logsoftmax", [SG_OP_LOGSUMEXP] = "logsumexp",
        [SG_OP_INV] = "inv",          [SG_OP_DET] = "det",
        [SG_OP_LOGDET] = "logdet",
        [SG_OP_SEQSTEP] = "step of",  [SG_OP_AT] = "at",
        [SG_OP_SEQSUM] = "Σ",
        [SG_OP_KRON] = "⊗",           [SG_OP_VEC] = "vec",
        [SG_OP_COMMUTE] = "K",
    };
    if ((int)op < 0 || op >= SG_OP_COUNT || !names[op])
        return "?";
    return names[op];
}

/* σ(x) without overflow for either sign of x */
static double sigmoid(double x)
{
    double z;
    if (x >= 0)
        return 1 / (1 + exp(-x));
    z = exp(x);
    return z / (1 + z);
}

double sg_op_apply1(sg_op op, double x)
{
    switch (op) {
    case SG_OP_EXP: return exp(x);
    case SG_OP_LOG: return log(x);
    case SG_OP_SQRT: return sqrt(x);
    case SG_OP_ABS: return fabs(x);
    case SG_OP_SIN: return sin(x);
    case SG_OP_COS: return cos(x);
    case SG_OP_TANH: return tanh(x);
    case SG_OP_SIGMOID: return sigmoid(x);
    case SG_OP_RELU: return x > 0 ? x : 0;
    case SG_OP_SWISH: return x * sigmoid(x);
    /* log(1 + eˣ) = max(x, 0) + log1p(e^−|x|) */
    case SG_OP_SOFTPLUS: return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
    case SG_OP_LOG1P: return log1p(x);
    case SG_OP_EXPM1: return expm1(x);
    case SG_OP_TAN: return tan(x);
    case SG_OP_ARCSIN: return asin(x);
    case SG_OP_ARCCOS: return acos(x);
    case SG_OP_ARCTAN: return atan(x);
    case SG_OP_SINH: return sinh(x);
    case SG_OP_COSH: return cosh(x);
    case SG_OP_LOG2: return log2(x);
    case SG_OP_ERF: return erf(x);
    case SG_OP_SIGN: return (x > 0) - (x < 0);
    case SG_OP_STEP: return x > 0;
    default:
        assert(!"not an elementwise unary op");
        return 0;
    }
}

/* ---- scaling ------------------------------------------------------------ */

sg_expr *sg_fill(sg_ctx *ctx, sg_expr *s, sg_shape shape)
{
    assert(ex_is_scalar(s));
    if (sg_shape_is_scalar(shape))
        return s;
    if (sg_expr_is_const(s, 0))
        return sg_zero(ctx, shape);
    if (sg_expr_is_const(s, 1))
        return sg_ones(ctx, shape);
    return ex_mk1(ctx, SG_OP_FILL, shape, s);
}

/* a column vector n×1, n ≠ 1 */
static int is_column(const sg_expr *e)
{
    return sg_shape_is_vector(e->shape);
}

/* a symbol declared in Δ^C or Δ^{C×N}, or a step of an input sequence
   declared so (y[t] ∈ Δ^C): every column sums to 1 */
static int is_simplex(sg_ctx *ctx, const sg_expr *e)
{
    int sym = -1;
    if (e->op == SG_OP_VAR)
        sym = e->sym;
    else if ((e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) &&
             sg_seq_get(ctx, e->seq)->kind == SG_SEQ_INPUT)
        sym = sg_seq_get(ctx, e->seq)->sym;
    return sym >= 0 && (sg_sym_get(ctx, sym)->props & SG_PROP_SIMPLEX);
}

static int is_sum_of(const sg_expr *d, const sg_expr *a)
{
    return d->op == SG_OP_SUM && d->kid[0] == a;
}

/* is s = c/sum(a), or sum(a).^−1 (then c = 1), for a constant c? */
static int reciprocal_sum(const sg_expr *s, const sg_expr *a, double *c)
{
    if (s->op == SG_OP_HDIV && s->kid[0]->op == SG_OP_CONST && is_sum_of(s->kid[1], a)) {
        *c = s->kid[0]->value;
        return 1;
    }
    if (s->op == SG_OP_POW && is_sum_of(s->kid[0], a) && sg_expr_is_const(s->kid[1], -1)) {
        *c = 1;
        return 1;
    }
    return 0;
}

/* is e = c·t with a negative constant c? */
static int negated(const sg_expr *e)
{
    return e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0;
}

/* t when e = −t (the constructors' (−1)·t), else NULL */
static sg_expr *minus_of(const sg_expr *e)
{
    return negated(e) && e->kid[0]->value == -1 ? e->kid[1] : NULL;
}

/* is n the number of entries of shape s, as the constructors write it: the
   dimension of a vector, r·c of a matrix? */
static int is_numel(const sg_expr *n, sg_shape s)
{
    if (s.cols == SG_DIM_ONE || s.rows == SG_DIM_ONE) {
        sg_dim d = s.cols == SG_DIM_ONE ? s.rows : s.cols;
        return n->op == SG_OP_DIMVAL && n->dim == d;
    }
    return n->op == SG_OP_MUL && n->kid[0]->op == SG_OP_DIMVAL && n->kid[1]->op == SG_OP_DIMVAL &&
           ((n->kid[0]->dim == s.rows && n->kid[1]->dim == s.cols) ||
            (n->kid[0]->dim == s.cols && n->kid[1]->dim == s.rows));
}

/* is m = 1/N for the number of entries N of shape s? */
static int is_per_entry(const sg_expr *m, sg_shape s)
{
    return m->op == SG_OP_HDIV && sg_expr_is_const(m->kid[0], 1) && is_numel(m->kid[1], s);
}

/* is s = −mean(a): (−1)·(sum(a)/N), as the user writes it, or
   (−1)·((1/N)·sum(a)), as the simplifier does? */
static int is_minus_mean(const sg_expr *s, const sg_expr *a)
{
    const sg_expr *m = minus_of(s);
    if (!m)
        return 0;
    if (m->op == SG_OP_HDIV)
        return m->kid[0]->op == SG_OP_SUM && m->kid[0]->kid[0] == a && is_numel(m->kid[1], a->shape);
    if (m->op != SG_OP_MUL)
        return 0;
    return (is_per_entry(m->kid[0], a->shape) && m->kid[1]->op == SG_OP_SUM &&
            m->kid[1]->kid[0] == a) ||
           (is_per_entry(m->kid[1], a->shape) && m->kid[0]->op == SG_OP_SUM &&
            m->kid[0]->kid[0] == a);
}

/*
 * 𝟙ᵀe𝟙 = 0 provably: e is centred, a − mean(a)𝟙 (layer norm's c), or built
 * from centred values by what keeps a zero sum: a scaling (c/s), a
 * transpose, a sum of centred terms. The walk looks at most at *left nodes,
 * so a DAG whose sums share both kids costs no more than its size.
 */
static int sums_to_zero(const sg_expr *e, int *left)
{
    if (--*left < 0)
        return 0;
    switch (e->op) {
    case SG_OP_ZERO:
        return 1;
    case SG_OP_TRANSPOSE:
        return sums_to_zero(e->kid[0], left);
    case SG_OP_MUL: /* s·c for a 1×1 s */
        return ex_is_scalar(e->kid[0]) && !ex_is_scalar(e) && sums_to_zero(e->kid[1], left);
    case SG_OP_ADD:
        if (e->kid[1]->op == SG_OP_FILL && is_minus_mean(e->kid[1]->kid[0], e->kid[0]))
            return 1;
        if (e->kid[0]->op == SG_OP_FILL && is_minus_mean(e->kid[0]->kid[0], e->kid[1]))
            return 1;
        return sums_to_zero(e->kid[0], left) && sums_to_zero(e->kid[1], left);
    default:
        return 0;
    }
}

int sg_expr_sums_to_zero(const sg_expr *e)
{
    int left = 64;
    return !ex_is_scalar(e) && sums_to_zero(e, &left);
}

/* is e = t/d for a 1×1 t and a constant d ≠ 0? */
static int is_const_quotient(const sg_expr *e)
{
    return e->op == SG_OP_HDIV && ex_is_scalar(e) && e->kid[1]->op == SG_OP_CONST &&
           e->kid[1]->value != 0;
}

/*
 * s·a for a 1×1 s. Keeps the canonical form: a constant coefficient is the
 * outermost factor, symbolic scalars are gathered into one kid[0], and
 * fills absorb their scale.
 */
static sg_expr *scale(sg_ctx *ctx, sg_expr *s, sg_expr *a)
{
    assert(ex_is_scalar(s));
    if (ex_is_scalar(a) && a->op == SG_OP_CONST && s->op != SG_OP_CONST) {
        sg_expr *t = s;
        s = a;
        a = t;
    }
    if (s->op == SG_OP_CONST) {
        double c = s->value;
        if (c == 0)
            return sg_zero(ctx, a->shape);
        if (c == 1)
            return a;
        switch (a->op) {
        case SG_OP_CONST:
            return sg_const(ctx, c * a->value);
        case SG_OP_ZERO:
            return a;
        case SG_OP_ONES:
            return sg_fill(ctx, s, a->shape);
        case SG_OP_FILL:
            return sg_fill(ctx, scale(ctx, s, a->kid[0]), a->shape);
        case SG_OP_MUL:
            /* 2Q, not 4WX, for Q = 2WX; but the negation of a named −t is t,
               so that sg_neg(sg_neg(e)) is e and a rewrite that takes out a
               sign (σ(−x) = 𝟙 − σ(x)) ends: kept, −(−t) was −1·(−t) again */
            if (a->name && !(c < 0 && a->kid[0]->op == SG_OP_CONST && a->kid[0]->value < 0))
                break;
            if (a->kid[0]->op == SG_OP_CONST)
                return scale(ctx, sg_const(ctx, c * a->kid[0]->value), a->kid[1]);
            if (is_const_quotient(a->kid[0])) /* c·((t/d)A) = (c/d)·(tA): 2(λ/2)w = λw */
                return scale(ctx, sg_const(ctx, c / a->kid[0]->kid[1]->value),
                             scale(ctx, a->kid[0]->kid[0], a->kid[1]));
            break;
        case SG_OP_HDIV:
            if (is_const_quotient(a) && !a->name) /* c(t/d) = (c/d)t */
                return scale(ctx, sg_const(ctx, c / a->kid[1]->value), a->kid[0]);
            break;
        default:
            break;
        }
        return ex_mk2(ctx, SG_OP_MUL, a->shape, s, a);
    }
    if (s->op == SG_OP_MUL && s->kid[0]->op == SG_OP_CONST) /* (c t)·a = c·(t a) */
        return scale(ctx, s->kid[0], scale(ctx, s->kid[1], a));
    {
        /* eˣ/sum(eˣ) = softmax(x) for a vector x: evaluated without the
           overflow of eˣ (sg_div builds a/s as (1/s)·a; s⁻¹ is s.^−1) */
        double c;
        if (is_column(a) && a->op == SG_OP_EXP && reciprocal_sum(s, a, &c))
            return rewrote(ctx, SG_RW_SOFTMAX, a->kid[0], NULL,
                           scale(ctx, sg_const(ctx, c), sg_unary(ctx, SG_OP_SOFTMAX, a->kid[0])));
    }
    switch (a->op) {
    case SG_OP_ZERO:
        return a;
    case SG_OP_ONES:
        return sg_fill(ctx, s, a->shape);
    case SG_OP_FILL:
        return sg_fill(ctx, scale(ctx, s, a->kid[0]), a->shape);
    case SG_OP_MUL:
        if (a->name)
            break;
        if (a->kid[0]->op == SG_OP_CONST) /* s·(c A) = c·(s A) */
            return scale(ctx, a->kid[0], scale(ctx, s, a->kid[1]));
        if (open_scaling(a)) /* s·(t A) = (s t)·A */
            return scale(ctx, scale(ctx, s, a->kid[0]), a->kid[1]);
        break;
    default:
        break;
    }
    return ex_mk2(ctx, SG_OP_MUL, a->shape, s, a);
}

/* strips scalings off e, multiplying them into *s; a fill becomes s·𝟙 */
static sg_expr *take_scalar(sg_ctx *ctx, sg_expr *e, sg_expr **s)
{
    for (;;) {
        sg_expr *t;
        if (is_scaling(e)) {
            t = e->kid[0];
            e = e->kid[1];
        } else if (e->op == SG_OP_FILL) {
            t = e->kid[0];
            e = sg_ones(ctx, e->shape);
        } else {
            return e;
        }
        *s = *s ? scale(ctx, *s, t) : t;
    }
}

/* ---- products: flattening and the matrix-chain order -------------------- */

typedef struct {
    sg_expr **f;
    int n, cap;
} chain;

static void chain_push(chain *c, sg_expr *e)
{
    SG_GROW(c->f, c->n, c->cap, SG_GROW_MAX, "factors in one product");
    c->f[c->n++] = e;
}

/*
 * The factors of a product e, left to right, appended to c; a transposed
 * product is one factor; with names, so is a product a definition names
 * (S = KᵀQ keeps the user's Q = W_qX whole, so every printer can call it
 * Q), and *kept says one was. 0, with c as it was, when there are more than
 * EX_MAX_FLAT: e is then one factor to its caller. Without recursion: a chain
 * of definitions (B₂ = B₁A, B₃ = B₂A, …) makes a product as deep as it is
 * long, and flattening each link whole would be quadratic.
 */
static int flatten(chain *c, sg_expr *e, int names, int *kept)
{
    sg_expr *stack[EX_MAX_FLAT + 2];
    int sp = 0, n0 = c->n;
    stack[sp++] = e;
    while (sp > 0) {
        e = stack[--sp];
        if (e->op == SG_OP_MUL && !ex_is_scalar(e->kid[0]) && names && e->name)
            *kept = 1;
        if (e->op == SG_OP_MUL && !ex_is_scalar(e->kid[0]) && !(names && e->name)) {
            /* each pending entry holds at least one factor */
            if (c->n - n0 + sp + 2 > EX_MAX_FLAT) {
                c->n = n0;
                return 0;
            }
            stack[sp++] = e->kid[1];
            stack[sp++] = e->kid[0];
        } else {
            if (c->n - n0 == EX_MAX_FLAT) {
                c->n = n0;
                return 0;
            }
            chain_push(c, e);
        }
    }
    return 1;
}

static double dim_cost(const sg_ctx *ctx, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(ctx, d);
    return di->name ? NAMED_DIM_COST : (double)di->value;
}

/* L R where neither is 1×1, L and R already canonical */
static sg_expr *product2(sg_ctx *ctx, sg_expr *l, sg_expr *r)
{
    sg_expr *s = NULL, *p;
    if (ex_is_scalar(l))
        return scale(ctx, l, r);
    if (ex_is_scalar(r))
        return scale(ctx, r, l);
    l = take_scalar(ctx, l, &s);
    r = take_scalar(ctx, r, &s);
    p = ex_mk2(ctx, SG_OP_MUL, sg_shape_make(l->shape.rows, r->shape.cols), l, r);
    return s ? scale(ctx, s, p) : p;
}

static sg_expr *build_chain(sg_ctx *ctx, sg_expr **f, const int *split, int n, int i, int j)
{
    int k;
    if (i == j)
        return f[i];
    k = split[i * n + j];
    return product2(ctx, build_chain(ctx, f, split, n, i, k),
                    build_chain(ctx, f, split, n, k + 1, j));
}

/*
 * The classic matrix-chain dynamic program: cost(i..j) is the cheapest way
 * to multiply factors i..j, an (a×b)(b×c) product costing a·b·c. Among
 * equally cheap splits the last one wins, which keeps left-to-right order
 * ((AB)C) on ties.
 *
 * The chain is the product of two nodes that exist already, a (factors
 * 0..keep−1) and b (factors keep..n−1). For a chain longer than KEEP_CHAIN,
 * when splitting there is as cheap as the best order, the result is a·b
 * itself: one new node, and a and b stay shared. Re-associating a tie
 * instead would rebuild the whole chain, and a chain grown one factor at a
 * time (forward Jacobians through a deep network, J(hₖ) = DₖWₖJ(hₖ₋₁))
 * would make a new node per factor per step: quadratic in the depth.
 * Returns NULL in that case, for the caller to build a·b. A short chain
 * costs a few nodes to rebuild, and left to right on ties reads and runs
 * well there ((K⁻¹Y)Yᵀ solves for the thin factor).
 */
static sg_expr *order_chain(sg_ctx *ctx, sg_expr **f, int n, int keep)
{
    double *cost, *w;
    int *split, len, i, j, k;
    sg_expr *e;
    if (n == 1)
        return f[0];
    cost = sg_xmalloc((size_t)n * n * sizeof *cost);
    split = sg_xmalloc((size_t)n * n * sizeof *split);
    w = sg_xmalloc((size_t)(n + 1) * sizeof *w);
    w[0] = dim_cost(ctx, f[0]->shape.rows);
    for (i = 0; i < n; i++) {
        w[i + 1] = dim_cost(ctx, f[i]->shape.cols);
        cost[i * n + i] = 0;
    }
    for (len = 2; len <= n; len++)
        for (i = 0; i + len - 1 < n; i++) {
            j = i + len - 1;
            cost[i * n + j] = HUGE_VAL;
            for (k = j - 1; k >= i; k--) {
                double c = cost[i * n + k] + cost[(k + 1) * n + j] + w[i] * w[k + 1] * w[j + 1];
                if (c < cost[i * n + j]) {
                    cost[i * n + j] = c;
                    split[i * n + j] = k;
                }
            }
        }
    if (keep > 0 && keep < n && n > KEEP_CHAIN &&
        cost[(keep - 1)] + cost[keep * n + n - 1] + w[0] * w[keep] * w[n] <= cost[n - 1])
        e = NULL;
    else
        e = build_chain(ctx, f, split, n, 0, n - 1);
    free(cost);
    free(split);
    free(w);
    return e;
}

/* the cost of the cheapest order of a chain of factors (order_chain's
   program, without building anything) */
static double chain_cost(const sg_ctx *ctx, sg_expr **f, int n)
{
    double *cost, *w, best;
    int len, i, j, k;
    if (n <= 1)
        return 0;
    cost = sg_xmalloc((size_t)n * n * sizeof *cost);
    w = sg_xmalloc((size_t)(n + 1) * sizeof *w);
    w[0] = dim_cost(ctx, f[0]->shape.rows);
    for (i = 0; i < n; i++) {
        w[i + 1] = dim_cost(ctx, f[i]->shape.cols);
        cost[i * n + i] = 0;
    }
    for (len = 2; len <= n; len++)
        for (i = 0; i + len - 1 < n; i++) {
            j = i + len - 1;
            cost[i * n + j] = HUGE_VAL;
            for (k = j - 1; k >= i; k--) {
                double c = cost[i * n + k] + cost[(k + 1) * n + j] + w[i] * w[k + 1] * w[j + 1];
                if (c < cost[i * n + j])
                    cost[i * n + j] = c;
            }
        }
    best = cost[n - 1];
    free(cost);
    free(w);
    return best;
}

/*
 * The factors of a·b into in: a product a definition names is kept whole
 * (the user's Q in KᵀQ stays Q for every printer) unless multiplying
 * through it is strictly cheaper than computing it and then the chain
 * (M = AB then Mx is A(Bx), and M is not computed). Both chains are short
 * when they are reordered at all.
 */
/* the cost of a chain whose named products are kept whole: its order's,
   plus computing each of them */
static double named_cost(const sg_ctx *ctx, const chain *in)
{
    double c = chain_cost(ctx, in->f, in->n);
    int i, kept;
    for (i = 0; i < in->n; i++) {
        chain f = {NULL, 0, 0};
        sg_expr *e = in->f[i];
        if (!(e->op == SG_OP_MUL && !ex_is_scalar(e->kid[0]) && e->name))
            continue;
        if (flatten(&f, e, 0, &kept) && f.n <= MAX_CHAIN)
            c += chain_cost(ctx, f.f, f.n);
        else
            c = HUGE_VAL; /* too long to compare: kept as written */
        free(f.f);
    }
    return c;
}

static void factors_of(sg_ctx *ctx, chain *in, sg_expr *a, sg_expr *b, int *keep)
{
    chain flat = {NULL, 0, 0};
    int kept = 0, flat_keep, i;
    if (!flatten(in, a, 1, &kept))
        chain_push(in, a);
    *keep = in->n;
    if (!flatten(in, b, 1, &kept))
        chain_push(in, b);
    if (!kept || in->n > MAX_CHAIN)
        return;
    if (!flatten(&flat, a, 0, &kept))
        chain_push(&flat, a);
    flat_keep = flat.n;
    if (!flatten(&flat, b, 0, &kept))
        chain_push(&flat, b);
    if (flat.n <= MAX_CHAIN && chain_cost(ctx, flat.f, flat.n) < named_cost(ctx, in)) {
        in->n = 0;
        for (i = 0; i < flat.n; i++)
            chain_push(in, flat.f[i]);
        *keep = flat_keep;
    }
    free(flat.f);
}

/* the factors flatten() would take from e: e itself past EX_MAX_FLAT */
static unsigned factors(const sg_expr *e)
{
    unsigned n = ((const ex_node *)e)->nfac;
    return n > EX_MAX_FLAT ? 1 : n;
}

/*
 * Would the chain of a b be longer than MAX_CHAIN with no factor to drop
 * (no I, no 𝟙𝟙 where a meets b)? Then it is a b as it came (matmul).
 */
static int long_pair(const sg_expr *a, const sg_expr *b)
{
    const sg_expr *l = a, *r = b;
    if (factors(a) + factors(b) <= MAX_CHAIN || a->op == SG_OP_EYE || b->op == SG_OP_EYE)
        return 0;
    if (factors(a) > 1)
        while (l->op == SG_OP_MUL && !ex_is_scalar(l->kid[0]))
            l = l->kid[1];
    if (factors(b) > 1)
        while (r->op == SG_OP_MUL && !ex_is_scalar(r->kid[0]))
            r = r->kid[0];
    return !(l->op == SG_OP_ONES && r->op == SG_OP_ONES);
}

/* 𝟙_{k×C} Y = 𝟙_{k×N} and Yᵀ𝟙_{C×k} = 𝟙_{N×k} for a declared Y ∈ Δ^{C×N}
   (𝟙ᵀY = 𝟙ᵀ: each column sums to 1), for prev f in a chain; else NULL */
static sg_expr *ones_through_simplex(sg_ctx *ctx, const sg_expr *prev, const sg_expr *f)
{
    if ((prev->op == SG_OP_ONES && is_simplex(ctx, f)) ||
        (f->op == SG_OP_ONES && prev->op == SG_OP_TRANSPOSE && is_simplex(ctx, prev->kid[0])))
        return sg_ones(ctx, sg_shape_make(prev->shape.rows, f->shape.cols));
    return NULL;
}

/* a b for non-scalar a, b with a.cols = b.rows */
static sg_expr *matmul(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_shape shape = sg_shape_make(a->shape.rows, b->shape.cols);
    sg_expr *s = NULL, *e;
    chain in = {NULL, 0, 0}, out = {NULL, 0, 0};
    int i, keep;

    assert(a->shape.cols == b->shape.rows);
    if (sg_expr_is_zero(a) || sg_expr_is_zero(b))
        return sg_zero(ctx, shape);
    if (a->op == SG_OP_EYE)
        return b;
    if (b->op == SG_OP_EYE)
        return a;
    a = take_scalar(ctx, a, &s);
    b = take_scalar(ctx, b, &s);
    if (sg_shape_is_scalar(shape) && (a->op == SG_OP_ONES || b->op == SG_OP_ONES)) {
        e = sg_sum(ctx, a->op == SG_OP_ONES ? b : a); /* 𝟙ᵀv = vᵀ𝟙 = sum(v) */
        return s ? scale(ctx, s, e) : e;
    }
    if (long_pair(a, b)) {
        /* too long to reorder, and nothing to drop: as it came, without the
           walk along the chain that flattening it would take */
        ctx->lookups++;
        e = product2(ctx, a, b);
        return s ? scale(ctx, s, e) : e;
    }
    factors_of(ctx, &in, a, b, &keep);
    /* 𝟙_{a×k} 𝟙_{k×b} = k 𝟙_{a×b}; an outer product 𝟙ₐ𝟙ᵦᵀ is left alone,
       since 𝟙(𝟙ᵀA) is cheaper than 𝟙_{a×b}A */
    for (i = 0; i < in.n; i++) {
        sg_expr *f = in.f[i];
        sg_expr *through;
        if (f->op == SG_OP_EYE) /* left over from (sI)A */
            continue;
        if (out.n > 0 && (through = ones_through_simplex(ctx, out.f[out.n - 1], f))) {
            out.n--;
            f = ex_is_scalar(through) ? NULL : through; /* 𝟙ᵀy = 1 */
        }
        while (f && out.n > 0 && f->op == SG_OP_ONES && out.f[out.n - 1]->op == SG_OP_ONES &&
               f->shape.rows != SG_DIM_ONE) {
            sg_expr *prev = out.f[--out.n];
            sg_expr *k = sg_dimval(ctx, f->shape.rows);
            s = s ? scale(ctx, s, k) : k;
            f = sg_ones(ctx, sg_shape_make(prev->shape.rows, f->shape.cols));
            if (ex_is_scalar(f))
                f = NULL;
        }
        if (f)
            chain_push(&out, f);
    }
    if (out.n != in.n) /* a factor went: the chain is not a's and b's */
        keep = 0;
    /* the work of flattening and reordering, for the budgets of sg_ctx_work:
       the constructor calls alone would not show a long chain rebuilt */
    ctx->lookups += (unsigned long)in.n +
                    (out.n <= MAX_CHAIN ? (unsigned long)out.n * out.n * out.n / 6 : 0);
    if (out.n == 0) /* 𝟙ᵀ𝟙 (already in s), or only identities */
        e = sg_shape_is_scalar(shape) ? sg_const(ctx, 1) : sg_eye(ctx, shape.rows);
    else if (out.n > MAX_CHAIN && keep) /* too long to reorder: as it came */
        e = product2(ctx, a, b);
    else if (out.n > MAX_CHAIN) /* too long to reorder: left to right */
        for (e = out.f[0], i = 1; i < out.n; i++)
            e = product2(ctx, e, out.f[i]);
    else if (!(e = order_chain(ctx, out.f, out.n, keep))) /* a·b is as cheap */
        e = product2(ctx, a, b);
    free(in.f);
    free(out.f);
    return s ? scale(ctx, s, e) : e;
}

sg_expr *sg_mul(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    if (ex_is_scalar(a))
        return scale(ctx, a, b);
    if (ex_is_scalar(b))
        return scale(ctx, b, a);
    return matmul(ctx, a, b);
}

/* ---- sums --------------------------------------------------------------- */

/* e = c·t with c a constant (c = 1 when e has no constant coefficient) */
static sg_expr *split_coef(sg_expr *e, double *c)
{
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST) {
        *c = e->kid[0]->value;
        return e->kid[1];
    }
    *c = 1;
    return e;
}

static int is_fillish(const sg_expr *e)
{
    return e->op == SG_OP_FILL || e->op == SG_OP_ONES;
}

static sg_expr *fill_value(sg_ctx *ctx, sg_expr *e)
{
    return e->op == SG_OP_FILL ? e->kid[0] : sg_const(ctx, 1);
}

/* x when e is −logsumexp(x) broadcast over x's shape: −lse(x)𝟙 for a
   vector, −𝟙 logsumexp(X) (a row per column) for a matrix; else NULL */
static sg_expr *neg_lse_of(const sg_expr *e)
{
    const sg_expr *t;
    if (e->op == SG_OP_FILL) {
        t = minus_of(e->kid[0]);
        if (t && t->op == SG_OP_LOGSUMEXP && sg_shape_eq(t->kid[0]->shape, e->shape))
            return t->kid[0];
        return NULL;
    }
    t = minus_of(e);
    if (t && t->op == SG_OP_MUL && t->kid[0]->op == SG_OP_ONES &&
        t->kid[1]->op == SG_OP_LOGSUMEXP && sg_shape_eq(t->kid[1]->kid[0]->shape, e->shape))
        return t->kid[1]->kid[0];
    return NULL;
}

/*
 * a + b when it has a stable closed form (tried both ways round), else
 * NULL. Each one removes a cancellation that loses every digit for some
 * inputs.
 */
static sg_expr *stable_sum(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_expr *t;
    /* eˣ − 𝟙 = expm1(x): eˣ − 1 for |x| < 1e−16 is 0, expm1 is x */
    if (a->op == SG_OP_EXP && sg_expr_is_const(b, -1))
        return rewrote(ctx, SG_RW_EXPM1, a->kid[0], NULL,
                       sg_unary(ctx, SG_OP_EXPM1, a->kid[0]));
    /* 𝟙 − eˣ = −expm1(x) */
    if (sg_expr_is_const(a, 1) && (t = minus_of(b)) != NULL && t->op == SG_OP_EXP)
        return rewrote(ctx, SG_RW_EXPM1, t->kid[0], NULL,
                       sg_neg(ctx, sg_unary(ctx, SG_OP_EXPM1, t->kid[0])));
    /* x − 𝟙 logsumexp(x) = logsoftmax(x), per column: log(eˣ/𝟙ᵀeˣ) without
       computing either */
    if (neg_lse_of(b) == a)
        return rewrote(ctx, SG_RW_LOGSOFTMAX, a, NULL, sg_unary(ctx, SG_OP_LOGSOFTMAX, a));
    return NULL;
}

/* u and x when e = uᵀsoftplus(x) for vectors u, x (a row times a column,
   or ⟨u, softplus(x)⟩ either way round) */
static int weighted_softplus(sg_expr *e, sg_expr **u, sg_expr **x)
{
    sg_expr *l = e->nkids == 2 ? e->kid[0] : NULL, *r = e->nkids == 2 ? e->kid[1] : NULL;
    if (!l || !ex_is_scalar(e))
        return 0;
    if (e->op == SG_OP_MUL && l->op == SG_OP_TRANSPOSE && r->op == SG_OP_SOFTPLUS) {
        *u = l->kid[0];
        *x = r->kid[0];
    } else if (e->op == SG_OP_DOT && r->op == SG_OP_SOFTPLUS) {
        *u = l;
        *x = r->kid[0];
    } else if (e->op == SG_OP_DOT && l->op == SG_OP_SOFTPLUS) {
        *u = r;
        *x = l->kid[0];
    } else {
        return 0;
    }
    return is_column(*u);
}

/* is b = 𝟙 − a? */
static int complements(const sg_expr *a, const sg_expr *b)
{
    return b->op == SG_OP_ADD && b->kid[0]->op == SG_OP_ONES && minus_of(b->kid[1]) == a;
}

/*
 * uᵀsoftplus(−z) + (𝟙 − u)ᵀsoftplus(z) = 𝟙ᵀsoftplus(z) − uᵀz, or NULL:
 * softplus(−z) = softplus(z) − z. This is the logistic loss
 * −(yᵀlog σ(z) + (𝟙 − y)ᵀlog(𝟙 − σ(z))) once the logs are rewritten, in
 * the form with one softplus, whose gradient is σ(z) − y and whose Hessian
 * is diag(σ(z) ⊙ (𝟙 − σ(z))). The value is then exact to ulp(max |z|)
 * absolutely, not relatively, per example.
 */
static sg_expr *logistic_sum(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_expr *u1, *x1, *u2, *z;
    if (ctx->as_written || !weighted_softplus(a, &u1, &x1) || !weighted_softplus(b, &u2, &z))
        return NULL;
    if (minus_of(x1) != z || !(complements(u1, u2) || complements(u2, u1)))
        return NULL;
    /* ⟨u, z⟩ rather than uᵀz: a product chain would re-associate yᵀ(Xw) as
       (yᵀX)w and lose the z = Xw that softplus(z) shares */
    return rewrote(ctx, SG_RW_LOGISTIC, z, u1,
                   sg_sub(ctx, sg_sum(ctx, sg_unary(ctx, SG_OP_SOFTPLUS, z)), sg_dot(ctx, u1, z)));
}

sg_expr *sg_add(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    double ca, cb;
    sg_expr *ta, *tb, *e;
    assert(sg_shape_eq(a->shape, b->shape));
    if (sg_expr_is_zero(a))
        return b;
    if (sg_expr_is_zero(b))
        return a;
    if (a->op == SG_OP_CONST && b->op == SG_OP_CONST)
        return sg_const(ctx, a->value + b->value);
    if (is_fillish(a) && is_fillish(b))
        return sg_fill(ctx, sg_add(ctx, fill_value(ctx, a), fill_value(ctx, b)), a->shape);
    if ((e = stable_sum(ctx, a, b)) != NULL || (e = stable_sum(ctx, b, a)) != NULL)
        return e;
    ta = split_coef(a, &ca);
    tb = split_coef(b, &cb);
    if (ta == tb) /* c₁t + c₂t = (c₁ + c₂)t */
        return scale(ctx, sg_const(ctx, ca + cb), ta);
    if (ca == cb && ((e = logistic_sum(ctx, ta, tb)) != NULL ||
                     (e = logistic_sum(ctx, tb, ta)) != NULL))
        return scale(ctx, sg_const(ctx, ca), e);
    /* c·softplus(u) − c·softplus(−u) = c·u, since softplus(u) − softplus(−u)
       = log((1 + eᵘ)/(1 + e⁻ᵘ)) = u */
    if (ca == -cb && !ctx->as_written && ta->op == SG_OP_SOFTPLUS && tb->op == SG_OP_SOFTPLUS &&
        (minus_of(tb->kid[0]) == ta->kid[0] || minus_of(ta->kid[0]) == tb->kid[0]))
        return rewrote(ctx, SG_RW_SOFTPLUS_DIFF, ta->kid[0], NULL,
                       scale(ctx, sg_const(ctx, ca), ta->kid[0]));
    return ex_mk2(ctx, SG_OP_ADD, a->shape, a, b);
}

sg_expr *sg_neg(sg_ctx *ctx, sg_expr *a)
{
    return scale(ctx, sg_const(ctx, -1), a);
}

sg_expr *sg_sub(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    return sg_add(ctx, a, sg_neg(ctx, b));
}

/* ---- elementwise binary ------------------------------------------------- */

/* 𝟙ₐ𝟙ᵦᵀ, the outer product matmul keeps unmultiplied (the 𝟙𝟙ᵀY of a
   softmax's adjoint once 𝟙ᵀY = 𝟙ᵀ) */
static int is_ones_outer(const sg_expr *e)
{
    return e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_ONES && e->kid[1]->op == SG_OP_ONES &&
           e->kid[0]->shape.cols == SG_DIM_ONE;
}

sg_expr *sg_hadamard(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    assert(sg_shape_eq(a->shape, b->shape));
    if (ex_is_scalar(a))
        return sg_mul(ctx, a, b);
    if (sg_expr_is_zero(a))
        return a;
    if (sg_expr_is_zero(b))
        return b;
    if (a->op == SG_OP_ONES || is_ones_outer(a)) /* 𝟙 ⊙ B = 𝟙𝟙ᵀ ⊙ B = B */
        return b;
    if (b->op == SG_OP_ONES || is_ones_outer(b))
        return a;
    if (a->op == SG_OP_FILL)
        return scale(ctx, a->kid[0], b);
    if (b->op == SG_OP_FILL)
        return scale(ctx, b->kid[0], a);
    if (open_scaling(a)) /* (sA)⊙B = s(A⊙B) */
        return scale(ctx, a->kid[0], sg_hadamard(ctx, a->kid[1], b));
    if (open_scaling(b))
        return scale(ctx, b->kid[0], sg_hadamard(ctx, a, b->kid[1]));
    return ex_mk2(ctx, SG_OP_HADAMARD, a->shape, a, b);
}

sg_expr *sg_hdiv(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_expr *c;
    assert(sg_shape_eq(a->shape, b->shape));
    if (a->op == SG_OP_CONST && b->op == SG_OP_CONST)
        return sg_const(ctx, a->value / b->value);
    if (sg_expr_is_const(b, 1))
        return a;
    if (sg_expr_is_zero(a))
        return a;
    if (!ex_is_scalar(b) && b->op == SG_OP_FILL) /* A ⊘ s𝟙 = (1/s)A */
        return scale(ctx, sg_hdiv(ctx, sg_const(ctx, 1), b->kid[0]), a);
    if (a->op == SG_OP_MUL && !a->name && (is_scaling(a) || a->kid[0]->op == SG_OP_CONST))
        return scale(ctx, a->kid[0], sg_hdiv(ctx, a->kid[1], b));
    if (b->op == SG_OP_MUL && b->kid[0]->op == SG_OP_CONST && b->kid[0]->value != 0)
        return scale(ctx, sg_const(ctx, 1 / b->kid[0]->value), sg_hdiv(ctx, a, b->kid[1]));
    /* a constant numerator is a coefficient, kept outermost like every
       other: c/s = c(1/s), c𝟙 ⊘ B = c(𝟙 ⊘ B), so that −(−1/N) is 1/N */
    c = a->op == SG_OP_CONST                                  ? a
        : a->op == SG_OP_FILL && a->kid[0]->op == SG_OP_CONST ? a->kid[0]
                                                              : NULL;
    if (c && c->value != 1)
        return scale(ctx, c, sg_hdiv(ctx, sg_ones(ctx, a->shape), b));
    /* exp(X) ⊘ 𝟙(𝟙ᵀexp(X)) = softmax(X), per column (a vector's 𝟙ᵀeˣ is a
       scalar, and eˣ ⊘ sum(eˣ)𝟙 is a scaling: see scale) */
    if (a->op == SG_OP_EXP && b->op == SG_OP_MUL && b->kid[0]->op == SG_OP_ONES &&
        b->kid[1]->op == SG_OP_MUL && b->kid[1]->kid[0]->op == SG_OP_ONES &&
        b->kid[1]->kid[1] == a)
        return rewrote(ctx, SG_RW_SOFTMAX, a->kid[0], NULL, sg_unary(ctx, SG_OP_SOFTMAX, a->kid[0]));
    return ex_mk2(ctx, SG_OP_HDIV, a->shape, a, b);
}

sg_expr *sg_div(sg_ctx *ctx, sg_expr *a, sg_expr *s)
{
    assert(ex_is_scalar(s));
    if (ex_is_scalar(a))
        return sg_hdiv(ctx, a, s);
    return scale(ctx, sg_hdiv(ctx, sg_const(ctx, 1), s), a);
}

sg_expr *sg_pow(sg_ctx *ctx, sg_expr *a, sg_expr *p)
{
    assert(ex_is_scalar(p));
    if (sg_expr_is_const(p, 1))
        return a;
    if (sg_expr_is_const(p, 0))
        return sg_ones(ctx, a->shape);
    if (a->op == SG_OP_CONST && p->op == SG_OP_CONST)
        return sg_const(ctx, pow(a->value, p->value));
    if (a->op == SG_OP_ONES)
        return a;
    if (a->op == SG_OP_FILL)
        return sg_fill(ctx, sg_pow(ctx, a->kid[0], p), a->shape);
    if (a->op == SG_OP_ZERO && p->op == SG_OP_CONST && p->value > 0)
        return a;
    if (a->op == SG_OP_NORM && sg_expr_is_const(p, 2)) /* ‖a‖² = ⟨a, a⟩ */
        return sg_dot(ctx, a->kid[0], a->kid[0]);
    return ex_mk2(ctx, SG_OP_POW, a->shape, a, p);
}

/* ---- linear structure --------------------------------------------------- */

sg_expr *sg_transpose(sg_ctx *ctx, sg_expr *a)
{
    sg_shape t = sg_shape_make(a->shape.cols, a->shape.rows);
    if (a->op == SG_OP_TRANSPOSE)
        return a->kid[0];
    if (sg_props_symmetric(ctx, a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, t);
    case SG_OP_ONES:
        return sg_ones(ctx, t);
    case SG_OP_FILL:
        return sg_fill(ctx, a->kid[0], t);
    default:
        break;
    }
    if (open_scaling(a)) /* (sA)ᵀ = s Aᵀ: keeps the scalar outermost */
        return scale(ctx, a->kid[0], sg_transpose(ctx, a->kid[1]));
    return ex_mk1(ctx, SG_OP_TRANSPOSE, t, a);
}

static sg_expr *reduce(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    return ex_mk1(ctx, op, scalar_shape(), a);
}

/* rows·cols of a shape, as a product of dimension values */
static sg_expr *numel(sg_ctx *ctx, sg_shape s)
{
    return sg_mul(ctx, sg_dimval(ctx, s.rows), sg_dimval(ctx, s.cols));
}

sg_expr *sg_sum(sg_ctx *ctx, sg_expr *a)
{
    if (ex_is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_const(ctx, 0);
    case SG_OP_ONES:
        return numel(ctx, a->shape);
    case SG_OP_FILL:
        return sg_mul(ctx, a->kid[0], numel(ctx, a->shape));
    case SG_OP_EYE:
        return sg_dimval(ctx, a->shape.rows);
    case SG_OP_TRANSPOSE:
        return sg_sum(ctx, a->kid[0]);
    case SG_OP_VAR: case SG_OP_SEQSTEP: case SG_OP_AT:
        /* y ∈ Δ (declared): 𝟙ᵀy = 1; Y ∈ Δ^{C×N}: sum(Y) = 𝟙ᵀY𝟙 = 𝟙ᵀ𝟙 = N */
        if (is_column(a) && is_simplex(ctx, a))
            return sg_const(ctx, 1);
        if (is_simplex(ctx, a))
            return sg_dimval(ctx, a->shape.cols);
        break;
    default:
        break;
    }
    if (sg_expr_sums_to_zero(a)) /* 𝟙ᵀ(x − mean(x)𝟙) = 0 */
        return sg_const(ctx, 0);
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_sum(ctx, a->kid[1]));
    return reduce(ctx, SG_OP_SUM, a);
}

sg_expr *sg_trace(sg_ctx *ctx, sg_expr *a)
{
    assert(a->shape.rows == a->shape.cols);
    if (ex_is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_const(ctx, 0);
    case SG_OP_EYE: case SG_OP_ONES:
        return sg_dimval(ctx, a->shape.rows);
    case SG_OP_FILL:
        return sg_mul(ctx, a->kid[0], sg_dimval(ctx, a->shape.rows));
    case SG_OP_TRANSPOSE:
        return sg_trace(ctx, a->kid[0]);
    default:
        break;
    }
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_trace(ctx, a->kid[1]));
    return reduce(ctx, SG_OP_TRACE, a);
}

sg_expr *sg_dot(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    assert(sg_shape_eq(a->shape, b->shape));
    if (ex_is_scalar(a))
        return sg_mul(ctx, a, b);
    if (sg_expr_is_zero(a) || sg_expr_is_zero(b))
        return sg_const(ctx, 0);
    if (a->op == SG_OP_ONES)
        return sg_sum(ctx, b);
    if (b->op == SG_OP_ONES)
        return sg_sum(ctx, a);
    if (a->op == SG_OP_FILL)
        return sg_mul(ctx, a->kid[0], sg_sum(ctx, b));
    if (b->op == SG_OP_FILL)
        return sg_mul(ctx, b->kid[0], sg_sum(ctx, a));
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_dot(ctx, a->kid[1], b));
    if (open_scaling(b))
        return sg_mul(ctx, b->kid[0], sg_dot(ctx, a, b->kid[1]));
    if (a->op == SG_OP_TRANSPOSE && b->op == SG_OP_TRANSPOSE) /* ⟨Aᵀ, Bᵀ⟩ = ⟨A, B⟩ */
        return sg_dot(ctx, a->kid[0], b->kid[0]);
    return ex_mk2(ctx, SG_OP_DOT, scalar_shape(), a, b);
}

sg_expr *sg_diag(sg_ctx *ctx, sg_expr *v)
{
    sg_dim n;
    assert(v->shape.cols == SG_DIM_ONE || v->shape.rows == SG_DIM_ONE);
    if (ex_is_scalar(v))
        return v;
    n = v->shape.cols == SG_DIM_ONE ? v->shape.rows : v->shape.cols;
    switch (v->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, sg_shape_make(n, n));
    case SG_OP_ONES:
        return sg_eye(ctx, n);
    case SG_OP_FILL:
        return sg_mul(ctx, v->kid[0], sg_eye(ctx, n));
    default:
        break;
    }
    if (open_scaling(v))
        return sg_mul(ctx, v->kid[0], sg_diag(ctx, v->kid[1]));
    return ex_mk1(ctx, SG_OP_DIAG, sg_shape_make(n, n), v);
}

sg_expr *sg_diagv(sg_ctx *ctx, sg_expr *a)
{
    sg_shape s = sg_shape_make(a->shape.rows, SG_DIM_ONE);
    assert(a->shape.rows == a->shape.cols);
    if (ex_is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, s);
    case SG_OP_EYE: case SG_OP_ONES:
        return sg_ones(ctx, s);
    case SG_OP_FILL:
        return sg_fill(ctx, a->kid[0], s);
    case SG_OP_TRANSPOSE:
        return sg_diagv(ctx, a->kid[0]);
    case SG_OP_DIAG:
        if (a->kid[0]->shape.cols == SG_DIM_ONE)
            return a->kid[0];
        return sg_transpose(ctx, a->kid[0]);
    default:
        break;
    }
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_diagv(ctx, a->kid[1]));
    return ex_mk1(ctx, SG_OP_DIAGV, s, a);
}

/* ---- the Kronecker structure of matrix Jacobians -------------------------- */

sg_expr *sg_kron(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_shape s = sg_shape_make(sg_dim_product(ctx, a->shape.rows, b->shape.rows),
                               sg_dim_product(ctx, a->shape.cols, b->shape.cols));
    if (ex_is_scalar(a) || ex_is_scalar(b)) /* s ⊗ B = sB */
        return sg_mul(ctx, a, b);
    if (sg_expr_is_zero(a) || sg_expr_is_zero(b))
        return sg_zero(ctx, s);
    if (a->op == SG_OP_EYE && b->op == SG_OP_EYE)
        return sg_eye(ctx, s.rows);
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_kron(ctx, a->kid[1], b));
    if (open_scaling(b))
        return sg_mul(ctx, b->kid[0], sg_kron(ctx, a, b->kid[1]));
    return ex_mk2(ctx, SG_OP_KRON, s, a, b);
}

sg_expr *sg_vec(sg_ctx *ctx, sg_expr *a)
{
    sg_shape s = sg_shape_make(sg_shape_len(ctx, a->shape), SG_DIM_ONE);
    if (a->shape.cols == SG_DIM_ONE)
        return a;
    if (a->shape.rows == SG_DIM_ONE)
        return sg_transpose(ctx, a);
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, s);
    case SG_OP_ONES:
        return sg_ones(ctx, s);
    case SG_OP_FILL:
        return sg_fill(ctx, a->kid[0], s);
    default:
        break;
    }
    if (open_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_vec(ctx, a->kid[1]));
    return ex_mk1(ctx, SG_OP_VEC, s, a);
}

sg_expr *sg_commute(sg_ctx *ctx, sg_dim m, sg_dim n)
{
    ex_payload p;
    if (m == SG_DIM_ONE || n == SG_DIM_ONE)
        return sg_eye(ctx, sg_dim_product(ctx, m, n));
    p = ex_plain(0, -1, m);
    p.off = n;
    return ex_intern_p(ctx, SG_OP_COMMUTE,
                       sg_shape_make(sg_dim_product(ctx, n, m), sg_dim_product(ctx, m, n)), NULL,
                       NULL, &p);
}

/* ---- unary functions ---------------------------------------------------- */

/* f(a) for a 1×1 a, where f is not elementwise */
static sg_expr *unary_scalar(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    switch (op) {
    case SG_OP_NORM: case SG_OP_NORM1:
        return sg_unary(ctx, SG_OP_ABS, a);
    case SG_OP_SOFTMAX:
        return sg_const(ctx, 1);
    case SG_OP_LOGSOFTMAX:
        return sg_const(ctx, 0);
    case SG_OP_LOGSUMEXP: case SG_OP_DET:
        return a;
    case SG_OP_INV:
        return sg_hdiv(ctx, sg_const(ctx, 1), a);
    case SG_OP_LOGDET:
        return sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_ABS, a));
    default:
        assert(!"not a unary op");
        return a;
    }
}

/* t when e = 𝟙 + t or t + 𝟙 (1 + t for a scalar), else NULL */
static sg_expr *one_plus_of(const sg_expr *e)
{
    if (e->op != SG_OP_ADD)
        return NULL;
    if (sg_expr_is_const(e->kid[0], 1))
        return e->kid[1];
    if (sg_expr_is_const(e->kid[1], 1))
        return e->kid[0];
    return NULL;
}

/* log(a) in a form that cannot overflow or cancel, or NULL */
static sg_expr *stable_log(sg_ctx *ctx, sg_expr *a)
{
    sg_expr *t, *u;
    /* log σ(x) = −log(1 + e⁻ˣ) = −softplus(−x): log σ(−1000) is −1000, not log 0 */
    /* as written, log σ(x) and log(𝟙 − σ(x)) stay: a derivation shows σ′ */
    if (ctx->as_written && (a->op == SG_OP_SIGMOID ||
                            ((t = one_plus_of(a)) != NULL && (u = minus_of(t)) != NULL &&
                             u->op == SG_OP_SIGMOID)))
        return NULL;
    if (a->op == SG_OP_SIGMOID)
        return rewrote(ctx, SG_RW_LOG_SIGMOID, a->kid[0], NULL,
                       sg_neg(ctx, sg_unary(ctx, SG_OP_SOFTPLUS, sg_neg(ctx, a->kid[0]))));
    if ((t = one_plus_of(a)) != NULL) {
        /* log(𝟙 − σ(x)) = log σ(−x) = −softplus(x) */
        if ((u = minus_of(t)) != NULL && u->op == SG_OP_SIGMOID)
            return rewrote(ctx, SG_RW_LOG_1M_SIGMOID, u->kid[0], NULL,
                           sg_neg(ctx, sg_unary(ctx, SG_OP_SOFTPLUS, u->kid[0])));
        /* log(𝟙 + eˣ) = softplus(x): before log1p, which would still overflow in eˣ */
        if (t->op == SG_OP_EXP)
            return rewrote(ctx, SG_RW_LOG_1P_EXP, t->kid[0], NULL,
                           sg_unary(ctx, SG_OP_SOFTPLUS, t->kid[0]));
        /* log(𝟙 + x) = log1p(x): exact for |x| below the rounding of 1 + x */
        return rewrote(ctx, SG_RW_LOG1P, t, NULL, sg_unary(ctx, SG_OP_LOG1P, t));
    }
    /* log 𝟙ᵀeˣ = logsumexp(x) for a vector (a row is its transpose's) */
    if (a->op == SG_OP_SUM && a->kid[0]->op == SG_OP_EXP) {
        t = a->kid[0]->kid[0];
        if (is_column(t))
            return rewrote(ctx, SG_RW_LOG_SUM_EXP, t, NULL, sg_unary(ctx, SG_OP_LOGSUMEXP, t));
        if (t->shape.rows == SG_DIM_ONE)
            return rewrote(ctx, SG_RW_LOG_SUM_EXP, t, NULL,
                           sg_unary(ctx, SG_OP_LOGSUMEXP, sg_transpose(ctx, t)));
    }
    return NULL;
}

static sg_expr *elementwise(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    sg_expr *k = a->nkids ? a->kid[0] : NULL, *e;
    switch (a->op) {
    case SG_OP_CONST:
        return sg_const(ctx, sg_op_apply1(op, a->value));
    case SG_OP_ZERO:
        return sg_fill(ctx, sg_const(ctx, sg_op_apply1(op, 0)), a->shape);
    case SG_OP_ONES:
        return sg_fill(ctx, sg_const(ctx, sg_op_apply1(op, 1)), a->shape);
    case SG_OP_FILL:
        return sg_fill(ctx, sg_unary(ctx, op, k), a->shape);
    default:
        break;
    }
    switch (op) {
    case SG_OP_LOG:
        if (a->op == SG_OP_EXP) /* log eˣ = x */
            return k;
        if (a->op == SG_OP_SOFTMAX) /* evaluated stably as one op */
            return rewrote(ctx, SG_RW_LOG_SOFTMAX, k, NULL, sg_unary(ctx, SG_OP_LOGSOFTMAX, k));
        if ((e = stable_log(ctx, a)) != NULL)
            return e;
        break;
    case SG_OP_SIGMOID:
        /* σ(−x) = 𝟙 − σ(x) (and σ(c x) = 𝟙 − σ(−c x) for c < 0): the
           derivatives of log σ(x) and log(𝟙 − σ(x)) then share σ(x) */
        if (negated(a) && !ctx->as_written)
        {
            sg_expr *x = sg_neg(ctx, a);
            return rewrote(ctx, SG_RW_SIGMOID_NEG, x, NULL,
                           sg_sub(ctx, sg_ones(ctx, a->shape), sg_unary(ctx, op, x)));
        }
        break;
    case SG_OP_EXP:
        if (a->op == SG_OP_LOGSOFTMAX)
            return sg_unary(ctx, SG_OP_SOFTMAX, k);
        break;
    case SG_OP_ABS:
        if (a->op == SG_OP_ABS)
            return a;
        break;
    case SG_OP_SQRT:
        if (a->op == SG_OP_DOT && a->kid[0] == a->kid[1]) /* √⟨a, a⟩ = ‖a‖ */
            return sg_unary(ctx, SG_OP_NORM, k);
        break;
    default:
        break;
    }
    return ex_mk1(ctx, op, a->shape, a);
}

sg_expr *sg_unary(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    sg_expr *k = a->nkids ? a->kid[0] : NULL;
    if (sg_op_is_elementwise_unary(op))
        return elementwise(ctx, op, a);
    if (ex_is_scalar(a))
        return unary_scalar(ctx, op, a);
    switch (op) {
    case SG_OP_NORM: case SG_OP_NORM1:
        if (sg_expr_is_zero(a))
            return sg_const(ctx, 0);
        if (a->op == SG_OP_TRANSPOSE)
            return sg_unary(ctx, op, k);
        return reduce(ctx, op, a);
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        if (a->shape.rows == SG_DIM_ONE) /* columns of length 1 */
            return op == SG_OP_SOFTMAX      ? sg_ones(ctx, a->shape)
                   : op == SG_OP_LOGSOFTMAX ? sg_zero(ctx, a->shape)
                                            : a;
        return ex_mk1(ctx, op,
                      op == SG_OP_LOGSUMEXP ? sg_shape_make(SG_DIM_ONE, a->shape.cols) : a->shape,
                      a);
    case SG_OP_INV:
        assert(a->shape.rows == a->shape.cols);
        if (a->op == SG_OP_EYE)
            return a;
        if (a->op == SG_OP_INV)
            return k;
        return ex_mk1(ctx, op, a->shape, a);
    case SG_OP_DET: case SG_OP_LOGDET:
        assert(a->shape.rows == a->shape.cols);
        if (a->op == SG_OP_EYE)
            return sg_const(ctx, op == SG_OP_DET ? 1 : 0);
        if (a->op == SG_OP_TRANSPOSE)
            return sg_unary(ctx, op, k);
        return reduce(ctx, op, a);
    default:
        assert(!"sg_unary: not a unary op");
        return a;
    }
}

/* ---- sequences: leaves and Σ over time ------------------------------------ */

static ex_payload seq_payload(int seq, long off)
{
    ex_payload p = ex_plain(0, -1, -1);
    p.seq = seq;
    p.off = off;
    return p;
}

sg_expr *sg_seqstep(sg_ctx *ctx, int seq, long off)
{
    ex_payload p = seq_payload(seq, off);
    return ex_intern_p(ctx, SG_OP_SEQSTEP, sg_seq_get(ctx, seq)->shape, NULL, NULL, &p);
}

sg_expr *sg_at(sg_ctx *ctx, int seq, sg_index at)
{
    ex_payload p = seq_payload(seq, 0);
    p.at = sg_index_make(at.dim, at.off);
    return ex_intern_p(ctx, SG_OP_AT, sg_seq_get(ctx, seq)->shape, NULL, NULL, &p);
}

/* hi − lo + 1 as an expression when it is provably ≥ 0, else NULL */
static sg_expr *range_length(sg_ctx *ctx, sg_index lo, sg_index hi)
{
    if (lo.dim == hi.dim)
        return sg_const(ctx, (double)(hi.off - lo.off + 1 > 0 ? hi.off - lo.off + 1 : 0));
    if (lo.dim < 0 && sg_index_provably_le(sg_index_plus(lo, -1), hi))
        return sg_add(ctx, sg_dimval(ctx, hi.dim), sg_const(ctx, (double)(hi.off - lo.off + 1)));
    return NULL;
}

sg_expr *sg_seqsum(sg_ctx *ctx, sg_expr *body, sg_index lo, sg_index hi)
{
    ex_payload p = ex_plain(0, -1, -1);
    sg_expr *n;
    if (sg_expr_is_zero(body))
        return body;
    /* Σ c·B = c·Σ B for a constant c */
    if (body->op == SG_OP_MUL && body->kid[0]->op == SG_OP_CONST)
        return sg_mul(ctx, body->kid[0], sg_seqsum(ctx, body->kid[1], lo, hi));
    /* Σ_{t=lo}^{hi} B = (hi − lo + 1)·B when B is the same at every step */
    if (!sg_expr_varies(body) && (n = range_length(ctx, lo, hi)) != NULL)
        return sg_mul(ctx, n, body);
    p.lo = sg_index_make(lo.dim, lo.off);
    p.hi = sg_index_make(hi.dim, hi.off);
    return ex_intern_p(ctx, SG_OP_SEQSUM, body->shape, body, NULL, &p);
}

