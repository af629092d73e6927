/*
 * props.c: the proofs of symmetry, positive (semi)definiteness and sign.
 *
 * Each proof is a structural induction over the DAG: a rule per op saying
 * when the property of a node follows from properties of its kids (a sum of
 * a positive definite and a semidefinite matrix is positive definite, eˣ is
 * positive, …). What no rule covers is "not proven", which is always safe.
 *
 * Every property is decided once per node, as it is interned
 * (ex_props_of), and kept in the node's flags: the rules read the kids'
 * flags and never walk further, except into a product. So a question costs
 * one flag test, however the DAG shares its nodes (a proof that recursed,
 * trying both "definite" and "semidefinite" for each kid of a sum, took 2ⁿ
 * steps for (A₁ + … + Aₙ)⁻¹). Into a product: a product of
 * matrices is one flat chain of factors F₁…Fₖ (expr.c re-associates them by
 * cost, so the tree's shape says nothing), and it is symmetric when it reads
 * the same transposed, Fᵢ = Fₖ₊₁₋ᵢᵀ with a symmetric middle (AAᵀ, AᵀA, ASAᵀ,
 * SS); it is positive semidefinite when it reads the same transposed with a
 * semidefinite middle (the Gram rule: GGᵀ, G M Gᵀ).
 *
 * Both rules stop at MAX_FACTORS factors and answer "not proven" past it.
 * The bound is what keeps them cheap, not a loss: the factors are found by
 * walking the product's tree, which is a DAG, so a chain of definitions
 * B₁ = AA, B₂ = B₁B₁, … makes k definitions a product of 2ᵏ leaves; and
 * symmetry is asked of every product as it is interned, so its walk must
 * cost a bounded amount however long the chain. A longer product only keeps
 * its transposes (the constructors) or gets an LU factor instead of a
 * Cholesky one (the generated C): correct either way. The walk uses no
 * recursion, since a chain of definitions makes a product as deep as it is
 * long.
 *
 * Sign is entry by entry: exp, σ, softplus, cosh, 𝟙 and dimensions are
 * positive, |x|, relu, step, arccos and norms non-negative, √, sinh,
 * arcsin, arctan, erf and sign keep their argument's sign, and the rules
 * for +, ⊙, ÷, scaling and powers combine them.
 */
#include "props.h"

#include <math.h>

#include "expr_impl.h"

/* a product with more factors is not proven symmetric or semidefinite */
#define MAX_FACTORS 64

static int scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

/* the factors of the product e into f, left to right: their number, or
   MAX_FACTORS + 1 when there are more; without recursion, since a chain of
   definitions (B₂ = B₁A, …) makes a product as deep as it is long */
static int collect_factors(const sg_expr *e, const sg_expr **f)
{
    const sg_expr *stack[MAX_FACTORS + 2];
    int sp = 0, n = 0;
    stack[sp++] = e;
    while (sp > 0) {
        e = stack[--sp];
        if (e->op == SG_OP_MUL && !scalar(e->kid[0])) {
            /* each pending entry holds at least one factor */
            if (n + sp + 2 > MAX_FACTORS)
                return MAX_FACTORS + 1;
            stack[sp++] = e->kid[1];
            stack[sp++] = e->kid[0];
        } else {
            if (n == MAX_FACTORS)
                return MAX_FACTORS + 1;
            f[n++] = e;
        }
    }
    return n;
}

/* F₁…Fₖ reads the same transposed but for its middle factor (k odd) */
static int mirrored(const sg_ctx *ctx, const sg_expr *const *f, int n)
{
    int i;
    for (i = 0; i < n / 2; i++)
        if (!sg_props_transposes(ctx, f[i], f[n - 1 - i]))
            return 0;
    return 1;
}

static int product_is_symmetric(const sg_ctx *ctx, const sg_expr *e)
{
    const sg_expr *f[MAX_FACTORS];
    int n = collect_factors(e, f);
    if (n > MAX_FACTORS || !mirrored(ctx, f, n))
        return 0;
    return n % 2 == 0 || sg_props_symmetric(ctx, f[n / 2]);
}

static int symmetric_rule(const sg_ctx *ctx, const sg_expr *e)
{
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    if (e->shape.rows != e->shape.cols)
        return 0;
    if (scalar(e))
        return 1;
    switch (e->op) {
    case SG_OP_VAR:
        return (sg_sym_get(ctx, e->sym)->props & (SG_PROP_SYMMETRIC | SG_PROP_SPD)) != 0;
    case SG_OP_ZERO: case SG_OP_ONES: case SG_OP_EYE: case SG_OP_FILL: case SG_OP_DIAG:
        return 1;
    case SG_OP_ADD: case SG_OP_HADAMARD: /* X + Xᵀ and X ⊙ Xᵀ too */
        return (sg_props_symmetric(ctx, a) && sg_props_symmetric(ctx, b)) ||
               sg_props_transposes(ctx, a, b);
    case SG_OP_HDIV: case SG_OP_KRON: /* (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ */
        return sg_props_symmetric(ctx, a) && sg_props_symmetric(ctx, b);
    case SG_OP_MUL:
        if (scalar(a))
            return sg_props_symmetric(ctx, b);
        return product_is_symmetric(ctx, e);
    case SG_OP_TRANSPOSE: case SG_OP_POW: case SG_OP_INV: case SG_OP_SEQSUM:
        return sg_props_symmetric(ctx, a);
    default:
        return sg_op_is_elementwise_unary(e->op) && sg_props_symmetric(ctx, a);
    }
}

int sg_props_symmetric(const sg_ctx *ctx, const sg_expr *e)
{
    (void)ctx;
    return (((const ex_node *)e)->flags & EX_F_SYM) != 0;
}

int sg_props_transposes(const sg_ctx *ctx, const sg_expr *a, const sg_expr *b)
{
    /* sX and sXᵀ: the same scalings on both sides (½cA and ½cAᵀ) */
    while (a->op == SG_OP_MUL && b->op == SG_OP_MUL && scalar(a->kid[0]) && a->kid[0] == b->kid[0]) {
        a = a->kid[1];
        b = b->kid[1];
    }
    return (b->op == SG_OP_TRANSPOSE && b->kid[0] == a) ||
           (a->op == SG_OP_TRANSPOSE && a->kid[0] == b) ||
           (a == b && sg_props_symmetric(ctx, a));
}

/* the sign rule of e's op, reading its kids' flags */
static int signed_rule(const sg_ctx *ctx, const sg_expr *e, int strict)
{
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    switch (e->op) {
    case SG_OP_CONST:
        return strict ? e->value > 0 : e->value >= 0;
    case SG_OP_DIMVAL: case SG_OP_ONES: case SG_OP_EXP: case SG_OP_SIGMOID: case SG_OP_SOFTPLUS:
    case SG_OP_COSH:
        return 1;
    case SG_OP_ZERO: case SG_OP_ABS: case SG_OP_RELU: case SG_OP_STEP: case SG_OP_NORM:
    case SG_OP_NORM1: case SG_OP_ARCCOS: /* arccos has its values in [0, π] */
        return !strict;
    case SG_OP_SQRT: case SG_OP_FILL: case SG_OP_TRANSPOSE:
    /* odd and non-decreasing: the argument's sign */
    case SG_OP_SINH: case SG_OP_ARCSIN: case SG_OP_ARCTAN: case SG_OP_ERF: case SG_OP_SIGN:
        return sg_props_signed(ctx, a, strict);
    case SG_OP_DOT:
        return !strict && a == b;
    case SG_OP_HADAMARD: case SG_OP_HDIV:
        return sg_props_signed(ctx, a, strict) &&
               sg_props_signed(ctx, b, e->op == SG_OP_HDIV || strict);
    case SG_OP_MUL: /* a scaling, or a product of scalars */
        return scalar(a) && sg_props_signed(ctx, a, strict) && sg_props_signed(ctx, b, strict);
    case SG_OP_ADD:
        return (sg_props_signed(ctx, a, strict) && sg_props_signed(ctx, b, 0)) ||
               (sg_props_signed(ctx, a, 0) && sg_props_signed(ctx, b, strict));
    case SG_OP_POW:
        return sg_props_signed(ctx, a, strict) ||
               (!strict && b->op == SG_OP_CONST && fmod(b->value, 2) == 0);
    default:
        return 0;
    }
}

/* G M Gᵀ with M positive semidefinite (or absent) */
static int gram(const sg_ctx *ctx, const sg_expr *e)
{
    const sg_expr *f[MAX_FACTORS];
    int n = collect_factors(e, f);
    if (n < 2 || n > MAX_FACTORS || !mirrored(ctx, f, n))
        return 0;
    return n % 2 == 0 || sg_props_definite(ctx, f[n / 2], 0);
}

/* the definiteness rule of e's op, reading its kids' flags */
static int definite_rule(const sg_ctx *ctx, const sg_expr *e, int strict)
{
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    if (e->shape.rows != e->shape.cols)
        return 0;
    switch (e->op) {
    case SG_OP_VAR:
        return (sg_sym_get(ctx, e->sym)->props & SG_PROP_SPD) != 0;
    case SG_OP_EYE:
        return 1;
    case SG_OP_ZERO: case SG_OP_ONES:
        return !strict;
    case SG_OP_FILL:
        return !strict && sg_props_signed(ctx, a, 0);
    case SG_OP_DIAG:
        return sg_props_signed(ctx, a, strict);
    case SG_OP_TRANSPOSE: case SG_OP_INV:
        return sg_props_definite(ctx, a, strict);
    case SG_OP_ADD:
        return (sg_props_definite(ctx, a, strict) && sg_props_definite(ctx, b, 0)) ||
               (sg_props_definite(ctx, a, 0) && sg_props_definite(ctx, b, strict));
    case SG_OP_MUL:
        if (scalar(a))
            return sg_props_signed(ctx, a, strict) && sg_props_definite(ctx, b, strict);
        return !strict && gram(ctx, e);
    default:
        return 0;
    }
}

static unsigned flags_of(const sg_expr *e)
{
    return ((const ex_node *)e)->flags;
}

int sg_props_signed(const sg_ctx *ctx, const sg_expr *e, int strict)
{
    (void)ctx;
    return (flags_of(e) & (strict ? EX_F_POS : EX_F_NONNEG)) != 0;
}

int sg_props_definite(const sg_ctx *ctx, const sg_expr *e, int strict)
{
    (void)ctx;
    return (flags_of(e) & (strict ? EX_F_PD : EX_F_PSD)) != 0;
}

unsigned ex_props_of(const sg_ctx *ctx, const sg_expr *e)
{
    unsigned f = 0;
    if (symmetric_rule(ctx, e))
        f |= EX_F_SYM;
    if (signed_rule(ctx, e, 1))
        f |= EX_F_POS | EX_F_NONNEG;
    else if (signed_rule(ctx, e, 0))
        f |= EX_F_NONNEG;
    if (definite_rule(ctx, e, 1))
        f |= EX_F_PD | EX_F_PSD;
    else if (definite_rule(ctx, e, 0))
        f |= EX_F_PSD;
    return f;
}
