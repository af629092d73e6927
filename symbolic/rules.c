/*
 * rules.c: the one table of derivative rules, and their builders.
 *
 * Each builder is the rule written with the DAG's constructors, in the
 * order the constructors are called (node ids follow that order, and the
 * reverse pass walks by id, so a builder is not to be "tidied" into
 * another order). Reverse builders take the adjoint Ȳ = g of y and return
 * the contribution to one kid; forward builders take the kids' Jacobians.
 *
 * The table is indexed by id. The Unicode texts are the ones the log has
 * always recorded (tests and printers read them); the TeX forms are the
 * same rules for the LaTeX printer. Cookbook numbers are the equations of
 * The Matrix Cookbook (Petersen and Pedersen, November 15, 2012) that state
 * the identity a rule comes from; a rule with no such equation has NULL
 * rather than a near miss.
 */
#include "rules.h"

#include "diff.h"

#include <assert.h>
#include <math.h>

/* ---- helpers -------------------------------------------------------------- */

static sg_expr *ones_col(sg_ctx *ctx, sg_dim p)
{
    return sg_ones(ctx, sg_shape_make(p, SG_DIM_ONE));
}

static sg_expr *ones_row(sg_ctx *ctx, sg_dim p)
{
    return sg_ones(ctx, sg_shape_make(SG_DIM_ONE, p));
}

static sg_expr *one_minus(sg_ctx *ctx, sg_expr *a)
{
    return sg_sub(ctx, sg_ones(ctx, a->shape), a);
}

/* has e a negative constant coefficient: (−1)·y, −2·A */
static int negated(const sg_expr *e)
{
    return e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0;
}

/*
 * a − b, with the positive term first when only −b is positive: for a
 * one-hot y the cross-entropy rule gives Ȳ = −y and 𝟙ᵀȲ = −1, and
 * softmax(z) − y reads better than −y + softmax(z).
 */
static sg_expr *minus(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_expr *nb = sg_neg(ctx, b);
    if (negated(a) && !negated(nb))
        return sg_add(ctx, nb, a);
    return sg_add(ctx, a, nb);
}

/* the length of vec(e) for e of shape s: rows·cols (of a vector, its length) */
static sg_dim len(sg_ctx *ctx, sg_shape s)
{
    return sg_shape_len(ctx, s);
}

/* vec(e), row by row: a column is itself, a row its transpose */
static sg_expr *vec(sg_ctx *ctx, sg_expr *e)
{
    return sg_vec(ctx, e);
}

/* L J for a non-scalar L by the mixed-product rule, (A ⊗ B)(C ⊗ D) = AC ⊗ BD,
   a plain matrix fitting as M ⊗ 1 or 1 ⊗ M next to a vector factor, and K
   taken off a product with a vector factor; else LJ */
static sg_expr *mixed_product(sg_ctx *ctx, sg_expr *L, sg_expr *J)
{
    sg_expr *l0 = NULL, *l1 = NULL, *j0 = NULL, *j1 = NULL;
    if (L->op == SG_OP_KRON)
        l0 = L->kid[0], l1 = L->kid[1];
    if (J->op == SG_OP_KRON)
        j0 = J->kid[0], j1 = J->kid[1];
    if (!l0 && J->op == SG_OP_MUL && J->kid[0]->op == SG_OP_KRON) /* M((A ⊗ B)R) */
        return sg_mul(ctx, mixed_product(ctx, L, J->kid[0]), J->kid[1]);
    if (l0 && j0 && l0->shape.cols == j0->shape.rows && l1->shape.cols == j1->shape.rows)
        return sg_kron(ctx, sg_mul(ctx, l0, j0), sg_mul(ctx, l1, j1));
    /* (P ⊗ Q)K_{q,p} = K_{Q rows, P rows}(Q ⊗ P), when that K is I (a vector factor) */
    if (l0 && J->op == SG_OP_COMMUTE && l1->shape.cols == J->dim &&
        l0->shape.cols == (sg_dim)J->off &&
        sg_commute(ctx, l1->shape.rows, l0->shape.rows)->op != SG_OP_COMMUTE)
        return sg_kron(ctx, l1, l0);
    if (l0 && !j0 && l1->shape.cols == SG_DIM_ONE && l0->shape.cols == J->shape.rows)
        return sg_kron(ctx, sg_mul(ctx, l0, J), l1); /* (A ⊗ b)M = AM ⊗ b */
    if (l0 && !j0 && l0->shape.cols == SG_DIM_ONE && l1->shape.cols == J->shape.rows)
        return sg_kron(ctx, l0, sg_mul(ctx, l1, J)); /* (a ⊗ B)M = a ⊗ BM */
    if (!l0 && j0 && j1->shape.rows == SG_DIM_ONE && L->shape.cols == j0->shape.rows)
        return sg_kron(ctx, sg_mul(ctx, L, j0), j1); /* M(A ⊗ bᵀ) = MA ⊗ bᵀ */
    if (!l0 && j0 && j0->shape.rows == SG_DIM_ONE && L->shape.cols == j1->shape.rows)
        return sg_kron(ctx, j0, sg_mul(ctx, L, j1)); /* M(aᵀ ⊗ B) = aᵀ ⊗ MB */
    return sg_mul(ctx, L, J);
}

/*
 * L J for a Jacobian J, by the mixed-product rule where a Kronecker product
 * is among them, so that J(AXB) is A ⊗ Bᵀ and not a product of two
 * (m·n)×(m·n) matrices, and (I ⊗ v)BX is BX ⊗ v. A scalar factor of J
 * comes out.
 */
static sg_expr *kmul(sg_ctx *ctx, sg_expr *L, sg_expr *J)
{
    sg_expr *s = NULL;
    if (J->op == SG_OP_MUL && sg_shape_is_scalar(J->kid[0]->shape) && J->kid[1]->op == SG_OP_KRON) {
        s = J->kid[0];
        J = J->kid[1];
    }
    J = sg_shape_is_scalar(L->shape) ? sg_mul(ctx, L, J) : mixed_product(ctx, L, J);
    return s ? sg_mul(ctx, s, J) : J;
}

static sg_expr *kadd(sg_ctx *ctx, sg_expr *a, sg_expr *b);
static sg_expr *kcommute(sg_ctx *ctx, sg_dim r, sg_dim c, sg_expr *J);

/*
 * K J for K = K_{r,c}, the commutation matrix of r×c matrices, into *out:
 * K_{c,r} K_{r,c} = I, and K(P ⊗ Q) = (Q ⊗ P)K_{p,q} for P r×p, Q c×q,
 * carried through sums and products (K(LR) = (KL)R, and a K that comes out
 * of L goes on into R), so that K cancels where it can: J of (XᵀB)ᵀ is
 * Bᵀ ⊗ I. 0 when K stays where it is.
 */
static int kcommute_into(sg_ctx *ctx, sg_dim r, sg_dim c, sg_expr *J, sg_expr **out)
{
    sg_expr *t, *k;
    if (sg_commute(ctx, r, c)->op != SG_OP_COMMUTE) {
        *out = J;
        return 1;
    }
    if (J->op == SG_OP_MUL && sg_shape_is_scalar(J->kid[0]->shape)) {
        *out = sg_mul(ctx, J->kid[0], kcommute(ctx, r, c, J->kid[1]));
        return 1;
    }
    if (J->op == SG_OP_ADD) {
        *out = kadd(ctx, kcommute(ctx, r, c, J->kid[0]), kcommute(ctx, r, c, J->kid[1]));
        return 1;
    }
    if (J->op == SG_OP_COMMUTE && J->dim == c && (sg_dim)J->off == r) {
        *out = sg_eye(ctx, J->shape.cols);
        return 1;
    }
    if (J->op == SG_OP_KRON && J->kid[0]->shape.rows == r && J->kid[1]->shape.rows == c) {
        *out = kmul(ctx, sg_kron(ctx, J->kid[1], J->kid[0]),
                    sg_commute(ctx, J->kid[0]->shape.cols, J->kid[1]->shape.cols));
        return 1;
    }
    if (J->op != SG_OP_MUL || !kcommute_into(ctx, r, c, J->kid[0], &t))
        return 0;
    k = t->op == SG_OP_MUL ? t->kid[1] : NULL;
    if (k && k->op == SG_OP_COMMUTE) /* (Q ⊗ P)K′ R: K′ goes on into R */
        *out = kmul(ctx, t->kid[0], kcommute(ctx, k->dim, (sg_dim)k->off, J->kid[1]));
    else
        *out = kmul(ctx, t, J->kid[1]);
    return 1;
}

/* K_{r,c} J, with K moved in as far as it goes (kcommute_into) */
static sg_expr *kcommute(sg_ctx *ctx, sg_dim r, sg_dim c, sg_expr *J)
{
    sg_expr *out;
    return kcommute_into(ctx, r, c, J, &out) ? out : sg_mul(ctx, sg_commute(ctx, r, c), J);
}

/* A ⊗ C + B ⊗ C = (A + B) ⊗ C and A ⊗ B + A ⊗ C = A ⊗ (B + C), also with a
   common right factor (A ⊗ C)R + (B ⊗ C)R; else a + b */
static sg_expr *kadd(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    if (a->op == SG_OP_MUL && b->op == SG_OP_MUL && a->kid[1] == b->kid[1] &&
        a->kid[0]->op == SG_OP_KRON && b->kid[0]->op == SG_OP_KRON &&
        sg_shape_eq(a->kid[0]->shape, b->kid[0]->shape)) {
        sg_expr *l = kadd(ctx, a->kid[0], b->kid[0]);
        if (l->op == SG_OP_KRON)
            return kmul(ctx, l, a->kid[1]);
    }
    if (a->op == SG_OP_KRON && b->op == SG_OP_KRON) {
        if (a->kid[1] == b->kid[1] && sg_shape_eq(a->kid[0]->shape, b->kid[0]->shape))
            return sg_kron(ctx, sg_add(ctx, a->kid[0], b->kid[0]), a->kid[1]);
        if (a->kid[0] == b->kid[0] && sg_shape_eq(a->kid[1]->shape, b->kid[1]->shape))
            return sg_kron(ctx, a->kid[0], sg_add(ctx, a->kid[1], b->kid[1]));
    }
    return sg_add(ctx, a, b);
}

/* J(y) as a sum of terms, each kid's contribution added as it is made */
static sg_expr *plus(sg_ctx *ctx, sg_expr *acc, sg_expr *term)
{
    return acc ? sg_add(ctx, acc, term) : term;
}

/* ---- reverse builders: y's adjoint g pushed to kid k ------------------------ */

/* Y = A + B ⇒ Ā += Ȳ, B̄ += Ȳ */
static sg_expr *r_add(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)ctx, (void)y, (void)k;
    return g;
}

/* Y = sA ⇒ s̄ += ⟨Ȳ, A⟩ */
static sg_expr *r_scale_s(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_dot(ctx, g, y->kid[1]);
}

/* Y = sA ⇒ Ā += sȲ */
static sg_expr *r_scale_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, y->kid[0], g);
}

/* dY = (dA)B + A(dB) ⇒ ⟨Ȳ, dY⟩ = ⟨ȲBᵀ, dA⟩ + ⟨AᵀȲ, dB⟩ ⇒ Ā += ȲBᵀ */
static sg_expr *r_mul_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, sg_transpose(ctx, y->kid[1]));
}

/* … and B̄ += AᵀȲ */
static sg_expr *r_mul_b(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, sg_transpose(ctx, y->kid[0]), g);
}

/* Y = Aᵀ ⇒ Ā += Ȳᵀ */
static sg_expr *r_transpose(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)y, (void)k;
    return sg_transpose(ctx, g);
}

/* Y = s𝟙𝟙ᵀ ⇒ s̄ += Σᵢⱼ Ȳᵢⱼ */
static sg_expr *r_fill(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)y, (void)k;
    return sg_sum(ctx, g);
}

/* y = Σᵢⱼ Aᵢⱼ = 𝟙ᵀA𝟙 ⇒ Ā += ȳ𝟙𝟙ᵀ */
static sg_expr *r_sum(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_fill(ctx, g, y->kid[0]->shape);
}

/* d tr(A) = tr(I dA) ⇒ Ā += ȳI */
static sg_expr *r_trace(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, sg_eye(ctx, y->kid[0]->shape.rows));
}

/* y = ⟨A, B⟩ ⇒ Ā += ȳB (both kids land on A for ⟨A, A⟩ = ‖A‖²) */
static sg_expr *r_dot_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, y->kid[1]);
}

/* … and B̄ += ȳA */
static sg_expr *r_dot_b(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, y->kid[0]);
}

/* Y = diag(v) ⇒ v̄ += diag(Ȳ): only the diagonal of Ȳ reaches v */
static sg_expr *r_diag(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *s = sg_diagv(ctx, g);
    (void)k;
    return y->kid[0]->shape.cols == SG_DIM_ONE ? s : sg_transpose(ctx, s);
}

/* y = diag(A) ⇒ Ā += diag(ȳ) */
static sg_expr *r_diagv(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)y, (void)k;
    return sg_diag(ctx, g);
}

/* Y = A ⊙ B ⇒ Ā += Ȳ ⊙ B */
static sg_expr *r_hadamard_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, y->kid[1]);
}

/* … and B̄ += Ȳ ⊙ A */
static sg_expr *r_hadamard_b(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, y->kid[0]);
}

/* Y = A ⊘ B ⇒ Ā += Ȳ ⊘ B */
static sg_expr *r_hdiv_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hdiv(ctx, g, y->kid[1]);
}

/* … and B̄ += −Ȳ ⊙ A ⊘ B² = −(Ȳ ⊙ Y) ⊘ B */
static sg_expr *r_hdiv_b(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_neg(ctx, sg_hdiv(ctx, sg_hadamard(ctx, g, y), y->kid[1]));
}

/* Y = A.^p ⇒ Ā += p Ȳ ⊙ A.^(p−1) */
static sg_expr *r_pow_a(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0], *b = y->kid[1];
    sg_expr *s = sg_pow(ctx, a, sg_sub(ctx, b, sg_const(ctx, 1)));
    (void)k;
    return sg_mul(ctx, b, sg_hadamard(ctx, g, s));
}

/* … and p̄ += Σ Ȳ ⊙ A.^p ⊙ log A (nothing for a constant p) */
static sg_expr *r_pow_p(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0];
    (void)k;
    if (y->kid[1]->op == SG_OP_CONST)
        return sg_const(ctx, 0);
    return sg_sum(ctx, sg_hadamard(ctx, sg_hadamard(ctx, g, y), sg_unary(ctx, SG_OP_LOG, a)));
}

/* Y = exp(A) ⇒ Ā += Ȳ ⊙ Y */
static sg_expr *r_exp(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, y);
}

/* Y = log(A) ⇒ Ā += Ȳ ⊘ A */
static sg_expr *r_log(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hdiv(ctx, g, y->kid[0]);
}

/* Y = √A ⇒ Ā += Ȳ ⊘ 2Y */
static sg_expr *r_sqrt(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hdiv(ctx, g, sg_mul(ctx, sg_const(ctx, 2), y));
}

/*
 * Y = f(A) ⇒ Ā += Ȳ ⊙ f′(A) for an f whose derivative is another function
 * of the table: Y = |A| ⇒ Ā += Ȳ ⊙ sign(A), with abs′(0) = 0; sin′ = cos;
 * Y = max(A, 0) ⇒ Ā += Ȳ ⊙ step(A), with relu′(0) = 0; softplus′ = σ
 * (Y = log(𝟙 + exp(A))); sinh′ = cosh and cosh′ = sinh.
 */
static sg_expr *r_fprime(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_op fprime;
    (void)k;
    switch (y->op) {
    case SG_OP_ABS: fprime = SG_OP_SIGN; break;
    case SG_OP_SIN: fprime = SG_OP_COS; break;
    case SG_OP_RELU: fprime = SG_OP_STEP; break;
    case SG_OP_SOFTPLUS: fprime = SG_OP_SIGMOID; break;
    case SG_OP_SINH: fprime = SG_OP_COSH; break;
    case SG_OP_COSH: fprime = SG_OP_SINH; break;
    default: assert(!"no derivative function"); return NULL;
    }
    return sg_hadamard(ctx, g, sg_unary(ctx, fprime, y->kid[0]));
}

/* Y = cos(A) ⇒ Ā += −Ȳ ⊙ sin(A) */
static sg_expr *r_cos(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_neg(ctx, sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_SIN, y->kid[0])));
}

/* Y = tanh(A) ⇒ Ā += Ȳ ⊙ (𝟙 − Y ⊙ Y) */
static sg_expr *r_tanh(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, one_minus(ctx, sg_hadamard(ctx, y, y)));
}

/* Y = σ(A) ⇒ Ā += Ȳ ⊙ Y ⊙ (𝟙 − Y) */
static sg_expr *r_sigmoid(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, sg_hadamard(ctx, y, one_minus(ctx, y)));
}

/* Y = A ⊙ σ(A) ⇒ Ā += Ȳ ⊙ (σ(A) + A ⊙ σ(A) ⊙ (𝟙 − σ(A))) */
static sg_expr *r_swish(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0], *s, *t;
    (void)k;
    s = sg_unary(ctx, SG_OP_SIGMOID, a);
    t = sg_hadamard(ctx, sg_hadamard(ctx, a, s), one_minus(ctx, s));
    return sg_hadamard(ctx, g, sg_add(ctx, s, t));
}

/* Y = log(𝟙 + A) ⇒ Ā += Ȳ ⊘ (𝟙 + A) */
static sg_expr *r_log1p(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0];
    (void)k;
    return sg_hdiv(ctx, g, sg_add(ctx, sg_ones(ctx, a->shape), a));
}

/* Y = exp(A) − 𝟙 ⇒ Ā += Ȳ ⊙ (Y + 𝟙) */
static sg_expr *r_expm1(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, sg_add(ctx, y, sg_ones(ctx, y->shape)));
}

/* Y = tan(A) ⇒ Ā += Ȳ ⊙ (𝟙 + Y ⊙ Y): tan′ = 1 + tan² = sec² */
static sg_expr *r_tan(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hadamard(ctx, g, sg_add(ctx, sg_ones(ctx, y->shape), sg_hadamard(ctx, y, y)));
}

/* √(𝟙 − A ⊙ A), the denominator of arcsin′ and arccos′ */
static sg_expr *cosine_of_arcsin(sg_ctx *ctx, sg_expr *a)
{
    return sg_unary(ctx, SG_OP_SQRT, one_minus(ctx, sg_hadamard(ctx, a, a)));
}

/* Y = arcsin(A) ⇒ Ā += Ȳ ⊘ √(𝟙 − A ⊙ A) */
static sg_expr *r_arcsin(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hdiv(ctx, g, cosine_of_arcsin(ctx, y->kid[0]));
}

/* Y = arccos(A) ⇒ Ā += −Ȳ ⊘ √(𝟙 − A ⊙ A) */
static sg_expr *r_arccos(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_neg(ctx, sg_hdiv(ctx, g, cosine_of_arcsin(ctx, y->kid[0])));
}

/* Y = arctan(A) ⇒ Ā += Ȳ ⊘ (𝟙 + A ⊙ A) */
static sg_expr *r_arctan(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0];
    (void)k;
    return sg_hdiv(ctx, g, sg_add(ctx, sg_ones(ctx, a->shape), sg_hadamard(ctx, a, a)));
}

/* Y = log2(A) = log(A)/ln 2 ⇒ Ā += Ȳ ⊘ (A ln 2) */
static sg_expr *r_log2(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_hdiv(ctx, g, sg_mul(ctx, sg_const(ctx, log(2.0)), y->kid[0]));
}

/* Y = erf(A) ⇒ Ā += (2/√π) Ȳ ⊙ exp(−A ⊙ A) */
static sg_expr *r_erf(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0], *gauss;
    (void)k;
    gauss = sg_unary(ctx, SG_OP_EXP, sg_neg(ctx, sg_hadamard(ctx, a, a)));
    return sg_mul(ctx, sg_const(ctx, 2 / sqrt(acos(-1.0))), sg_hadamard(ctx, g, gauss));
}

/* sign′ = step′ = 0 (taken as 0 at the jump) */
static sg_expr *r_flat(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k, (void)g;
    return sg_zero(ctx, y->kid[0]->shape);
}

/* y = ‖A‖ ⇒ dy = ⟨A, dA⟩/‖A‖ ⇒ Ā += (ȳ/y) A */
static sg_expr *r_norm(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, sg_hdiv(ctx, g, y), y->kid[0]);
}

/* y = ‖A‖₁ ⇒ Ā += ȳ sign(A) */
static sg_expr *r_norm1(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, sg_unary(ctx, SG_OP_SIGN, y->kid[0]));
}

/* S = softmax(A), per column: dS = S ⊙ dA − S ⊙ 𝟙(𝟙ᵀ(S ⊙ dA))
   ⇒ Ā += S ⊙ (S̄ − 𝟙ₚ(𝟙ₚᵀ(S ⊙ S̄))) */
static sg_expr *r_softmax(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_dim p = y->kid[0]->shape.rows;
    sg_expr *s;
    (void)k;
    s = sg_mul(ctx, ones_col(ctx, p), sg_mul(ctx, ones_row(ctx, p), sg_hadamard(ctx, y, g)));
    return sg_hadamard(ctx, y, sg_sub(ctx, g, s));
}

/* Y = A − 𝟙 logsumexp(A) ⇒ Ā += Ȳ − softmax(A) ⊙ (𝟙ₚ(𝟙ₚᵀȲ)) */
static sg_expr *r_logsoftmax(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0], *s;
    sg_dim p = a->shape.rows;
    (void)k;
    s = sg_mul(ctx, ones_col(ctx, p), sg_mul(ctx, ones_row(ctx, p), g));
    return minus(ctx, g, sg_hadamard(ctx, sg_unary(ctx, SG_OP_SOFTMAX, a), s));
}

/* y = log 𝟙ᵀexp(A) (1×N) ⇒ Ā += softmax(A) ⊙ (𝟙ₚ ȳ) */
static sg_expr *r_logsumexp(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *a = y->kid[0], *s;
    (void)k;
    s = sg_mul(ctx, ones_col(ctx, a->shape.rows), g);
    return sg_hadamard(ctx, sg_unary(ctx, SG_OP_SOFTMAX, a), s);
}

/* Y = A⁻¹ ⇒ dY = −Y dA Y ⇒ Ā += −YᵀȲYᵀ */
static sg_expr *r_inv(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    sg_expr *t = sg_transpose(ctx, y);
    (void)k;
    return sg_neg(ctx, sg_mul(ctx, sg_mul(ctx, t, g), t));
}

/* d det A = det A tr(A⁻¹ dA) ⇒ Ā += ȳ det(A) A⁻ᵀ */
static sg_expr *r_det(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, sg_mul(ctx, g, y), sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, y->kid[0])));
}

/* d log|det A| = tr(A⁻¹ dA) ⇒ Ā += ȳ A⁻ᵀ */
static sg_expr *r_logdet(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, g, sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, y->kid[0])));
}

/* y = ⟨A, A⟩ = ‖A‖² ⇒ Ā += ȳA + ȳA = 2ȳA */
static sg_expr *r_sqnorm(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g)
{
    (void)k;
    return sg_mul(ctx, sg_mul(ctx, sg_const(ctx, 2), g), y->kid[0]);
}

/* ---- forward builders: J(y) from the kids' Jacobians ------------------------ */

/* dx = I dx */
static sg_expr *f_x(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    (void)y, (void)Ja, (void)Jb;
    return sg_eye(ctx, len(ctx, x->shape));
}

/* ds = ⟨∇ₓs, dx⟩ = (∇ₓs)ᵀ dx ⇒ J(s) = (∇ₓs)ᵀ (a row vector's vec is itself,
   so for a row x it is ∇ₓs; for a matrix X, vec(∇_X s)ᵀ) */
static sg_expr *f_scalar(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *g;
    (void)Ja, (void)Jb;
    sg_diff_grad(ctx, y, 1, &x, &g, NULL);
    if (x->shape.rows != SG_DIM_ONE && x->shape.cols != SG_DIM_ONE)
        return sg_transpose(ctx, vec(ctx, g));
    return x->shape.cols == SG_DIM_ONE ? sg_transpose(ctx, g) : g;
}

/* d(a + b) = da + db ⇒ J(a + b) = J(a) + J(b) */
static sg_expr *f_add(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *r = NULL;
    (void)y, (void)x;
    if (Ja)
        r = plus(ctx, r, Ja);
    if (Jb)
        r = r ? kadd(ctx, r, Jb) : Jb;
    return r;
}

/* vec(aᵀ) = vec(a) for a vector ⇒ J(aᵀ) = J(a) */
static sg_expr *f_transpose(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    (void)ctx, (void)y, (void)Jb, (void)x;
    return Ja;
}

/* d(s𝟙) = 𝟙 ds ⇒ J(s𝟙) = 𝟙 J(s) */
static sg_expr *f_fill(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    (void)Jb, (void)x;
    return sg_mul(ctx, sg_ones(ctx, sg_shape_make(len(ctx, y->shape), SG_DIM_ONE)), Ja);
}

/* d(s v) = s dv + v ds ⇒ J(s v) = s J(v) + vec(v) J(s) */
static sg_expr *f_scale(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *r = NULL;
    (void)x;
    if (Jb)
        r = plus(ctx, r, sg_mul(ctx, y->kid[0], Jb));
    if (Ja)
        r = plus(ctx, r, sg_mul(ctx, vec(ctx, y->kid[1]), Ja));
    return r;
}

/* d(A v) = A dv ⇒ J(A v) = A J(v) */
static sg_expr *f_matvec(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    (void)Ja, (void)x;
    return kmul(ctx, y->kid[0], Jb);
}

/* vec(u M) = (u M)ᵀ = Mᵀ uᵀ for a row u ⇒ J(u M) = Mᵀ J(u) */
static sg_expr *f_rowmat(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    (void)Jb, (void)x;
    return kmul(ctx, sg_transpose(ctx, y->kid[1]), Ja);
}

/* vec(dA B) = (I ⊗ Bᵀ) vec(dA) and vec(A dB) = (A ⊗ I) vec(dB), row by row
   ⇒ J(AB) = (I ⊗ Bᵀ) J(A) + (A ⊗ I) J(B): for a matrix among A, B and AB */
static sg_expr *f_matmul(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *a = y->kid[0], *b = y->kid[1], *r = NULL;
    (void)x;
    if (Ja)
        r = plus(ctx, r, kmul(ctx, sg_kron(ctx, sg_eye(ctx, a->shape.rows), sg_transpose(ctx, b)),
                              Ja));
    if (Jb)
        r = plus(ctx, r, kmul(ctx, sg_kron(ctx, a, sg_eye(ctx, b->shape.cols)), Jb));
    return r;
}

/* vec(Aᵀ) = K vec(A) for A m×n, K the commutation matrix ⇒ J(Aᵀ) = K J(A) */
static sg_expr *f_commute(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *a = y->kid[0];
    (void)Jb, (void)x;
    return kcommute(ctx, a->shape.rows, a->shape.cols, Ja);
}

/* d(a ⊙ b) = b ⊙ da + a ⊙ db ⇒ J(a ⊙ b) = diag(b) J(a) + diag(a) J(b) */
static sg_expr *f_hadamard(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *r = NULL;
    (void)x;
    if (Ja)
        r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, vec(ctx, y->kid[1])), Ja));
    if (Jb)
        r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, vec(ctx, y->kid[0])), Jb));
    return r;
}

/* y = a ⊘ b ⇒ dy = da ⊘ b − (y ⊘ b) ⊙ db
   ⇒ J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag(y ⊘ b) J(b) */
static sg_expr *f_hdiv(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *b = y->kid[1], *r = NULL, *s;
    (void)x;
    if (Ja) {
        s = sg_hdiv(ctx, sg_ones(ctx, b->shape), b);
        r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, vec(ctx, s)), Ja));
    }
    if (Jb)
        r = plus(ctx, r,
                 sg_neg(ctx, sg_mul(ctx, sg_diag(ctx, vec(ctx, sg_hdiv(ctx, y, b))), Jb)));
    return r;
}

/* y = a.^p ⇒ dy = p a.^(p−1) ⊙ da + y ⊙ log(a) dp
   ⇒ J(a.^p) = diag(p a.^(p−1)) J(a) + vec(y ⊙ log a) J(p) */
static sg_expr *f_pow(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *a = y->kid[0], *b = y->kid[1], *r = NULL, *s, *t;
    (void)x;
    if (Ja) {
        s = sg_mul(ctx, b, sg_pow(ctx, a, sg_sub(ctx, b, sg_const(ctx, 1))));
        r = plus(ctx, r, sg_mul(ctx, sg_diag(ctx, vec(ctx, s)), Ja));
    }
    if (Jb) {
        t = sg_hadamard(ctx, y, sg_unary(ctx, SG_OP_LOG, a));
        r = plus(ctx, r, sg_mul(ctx, vec(ctx, t), Jb));
    }
    return r;
}

/* s = softmax(a) ⇒ ds = s ⊙ da − s (sᵀda) ⇒ J(s) = (diag(s) − ssᵀ) J(a),
   built as diag(s)J(a) − s(sᵀJ(a)): p·q work, and diag(s) − ssᵀ itself
   when J(a) = I */
static sg_expr *f_softmax(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *s, *t;
    (void)Jb, (void)x;
    s = sg_mul(ctx, sg_diag(ctx, y), Ja);
    t = sg_mul(ctx, y, sg_mul(ctx, sg_transpose(ctx, y), Ja));
    return sg_sub(ctx, s, t);
}

/* y = a − 𝟙 logsumexp(a) ⇒ dy = da − 𝟙 softmax(a)ᵀda
   ⇒ J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a), built as
   J(a) − 𝟙(softmax(a)ᵀJ(a)) */
static sg_expr *f_logsoftmax(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *s, *t;
    (void)Jb, (void)x;
    s = sg_transpose(ctx, sg_unary(ctx, SG_OP_SOFTMAX, y->kid[0]));
    t = sg_mul(ctx, sg_ones(ctx, sg_shape_make(len(ctx, y->shape), SG_DIM_ONE)),
               sg_mul(ctx, s, Ja));
    return sg_sub(ctx, Ja, t);
}

/* y = f(a) ⇒ dy = f′(a) ⊙ da ⇒ J(f(a)) = diag(f′(a)) J(a), with f′ the
   reverse rule's Ȳ ⊙ f′(A) at Ȳ = 𝟙: one derivative per function */
static sg_expr *f_elementwise(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb, sg_expr *x)
{
    sg_expr *s;
    (void)Jb, (void)x;
    s = sg_rule_contrib(ctx, y, 0, sg_ones(ctx, y->shape), NULL);
    return sg_mul(ctx, sg_diag(ctx, vec(ctx, s)), Ja);
}

/* ---- the table ---------------------------------------------------------------- */

#define TO " \\;\\Rightarrow\\; "
#define PE " \\mathrel{+}= "
#define YB "\\bar Y"

#define REV(ID, OP, K, NAME, MATH, TEXT, TEX, CB, FN) \
    [ID] = {ID, SG_RULE_REVERSE, OP, K, NAME, MATH, TEXT, TEX, CB, FN, NULL}
#define FWD(ID, OP, NAME, MATH, TEXT, TEX, CB, FN) \
    [ID] = {ID, SG_RULE_FORWARD, OP, -1, NAME, MATH, TEXT, TEX, CB, NULL, FN}
#define PASS(ID, NAME, MATH, TEXT, TEX) \
    [ID] = {ID, SG_RULE_PASS, SG_OP_COUNT, -1, NAME, MATH, TEXT, TEX, NULL, NULL, NULL}

static const sg_rule table[SG_RULE_COUNT] = {
    [SG_RULE_NONE] = {SG_RULE_NONE, SG_RULE_PASS, SG_OP_COUNT, -1, "none", "", "", "", NULL, NULL,
                      NULL},

    REV(SG_RULE_ADD_A, SG_OP_ADD, 0, "add.A", "d(A + B) = dA + dB", "Y = A + B ⇒ Ā += Ȳ",
        "Y = A + B" TO "\\bar A" PE YB, "(35)", r_add),
    REV(SG_RULE_ADD_B, SG_OP_ADD, 1, "add.B", "d(A + B) = dA + dB", "Y = A + B ⇒ B̄ += Ȳ",
        "Y = A + B" TO "\\bar B" PE YB, "(35)", r_add),
    REV(SG_RULE_SCALE_S, SG_OP_MUL, 0, "scale.s", "d(sA) = (ds)A + s dA", "Y = sA ⇒ s̄ += ⟨Ȳ, A⟩",
        "Y = sA" TO "\\bar s" PE "\\langle " YB ", A\\rangle", NULL, r_scale_s),
    REV(SG_RULE_SCALE_A, SG_OP_MUL, 1, "scale.A", "d(sA) = (ds)A + s dA", "Y = sA ⇒ Ā += sȲ",
        "Y = sA" TO "\\bar A" PE "s" YB, NULL, r_scale_a),
    REV(SG_RULE_MUL_A, SG_OP_MUL, 0, "mul.A", "d(AB) = (dA)B + A(dB)", "Y = AB ⇒ Ā += ȲBᵀ",
        "Y = AB" TO "\\bar A" PE YB " B^\\top", "(37)", r_mul_a),
    REV(SG_RULE_MUL_B, SG_OP_MUL, 1, "mul.B", "d(AB) = (dA)B + A(dB)", "Y = AB ⇒ B̄ += AᵀȲ",
        "Y = AB" TO "\\bar B" PE "A^\\top " YB, "(37)", r_mul_b),
    REV(SG_RULE_TRANSPOSE, SG_OP_TRANSPOSE, 0, "transpose", "d(Aᵀ) = (dA)ᵀ", "Y = Aᵀ ⇒ Ā += Ȳᵀ",
        "Y = A^\\top" TO "\\bar A" PE YB "^\\top", "(44)", r_transpose),
    REV(SG_RULE_FILL, SG_OP_FILL, 0, "fill", "d(s𝟙𝟙ᵀ) = (ds)𝟙𝟙ᵀ", "Y = s𝟙𝟙ᵀ ⇒ s̄ += sum(Ȳ)",
        "Y = s\\mathbf{1}\\mathbf{1}^\\top" TO "\\bar s" PE "\\textstyle\\sum_{ij} " YB "_{ij}",
        NULL, r_fill),
    REV(SG_RULE_SUM, SG_OP_SUM, 0, "sum", "d sum(A) = 𝟙ᵀ(dA)𝟙", "y = sum(A) ⇒ Ā += ȳ𝟙𝟙ᵀ",
        "y = \\textstyle\\sum_{ij} A_{ij}" TO "\\bar A" PE "\\bar y\\,\\mathbf{1}\\mathbf{1}^\\top",
        "(70)", r_sum),
    REV(SG_RULE_TRACE, SG_OP_TRACE, 0, "trace", "d tr(A) = tr(dA)", "y = tr(A) ⇒ Ā += ȳI",
        "y = \\operatorname{tr}(A)" TO "\\bar A" PE "\\bar y\\, I", "(99)", r_trace),
    REV(SG_RULE_DOT_A, SG_OP_DOT, 0, "dot.A", "d⟨A, B⟩ = ⟨dA, B⟩ + ⟨A, dB⟩",
        "y = ⟨A, B⟩ ⇒ Ā += ȳB", "y = \\langle A, B\\rangle" TO "\\bar A" PE "\\bar y B", "(103)",
        r_dot_a),
    REV(SG_RULE_DOT_B, SG_OP_DOT, 1, "dot.B", "d⟨A, B⟩ = ⟨dA, B⟩ + ⟨A, dB⟩",
        "y = ⟨A, B⟩ ⇒ B̄ += ȳA", "y = \\langle A, B\\rangle" TO "\\bar B" PE "\\bar y A", "(103)",
        r_dot_b),
    REV(SG_RULE_DIAG, SG_OP_DIAG, 0, "diag", "d diag(v) = diag(dv)", "Y = diag(v) ⇒ v̄ += diag(Ȳ)",
        "Y = \\operatorname{diag}(v)" TO "\\bar v" PE "\\operatorname{diag}(" YB ")", NULL, r_diag),
    REV(SG_RULE_DIAGV, SG_OP_DIAGV, 0, "diagv", "d diag(A) = diag(dA)",
        "y = diag(A) ⇒ Ā += diag(ȳ)",
        "y = \\operatorname{diag}(A)" TO "\\bar A" PE "\\operatorname{diag}(\\bar y)", NULL,
        r_diagv),
    REV(SG_RULE_HADAMARD_A, SG_OP_HADAMARD, 0, "hadamard.A", "d(A ⊙ B) = dA ⊙ B + A ⊙ dB",
        "Y = A ⊙ B ⇒ Ā += Ȳ ⊙ B", "Y = A \\odot B" TO "\\bar A" PE YB " \\odot B", "(38)",
        r_hadamard_a),
    REV(SG_RULE_HADAMARD_B, SG_OP_HADAMARD, 1, "hadamard.B", "d(A ⊙ B) = dA ⊙ B + A ⊙ dB",
        "Y = A ⊙ B ⇒ B̄ += Ȳ ⊙ A", "Y = A \\odot B" TO "\\bar B" PE YB " \\odot A", "(38)",
        r_hadamard_b),
    REV(SG_RULE_HDIV_A, SG_OP_HDIV, 0, "hdiv.A", "d(A ⊘ B) = dA ⊘ B − (A ⊘ B) ⊙ dB ⊘ B",
        "Y = A ⊘ B ⇒ Ā += Ȳ ⊘ B", "Y = A \\oslash B" TO "\\bar A" PE YB " \\oslash B", NULL,
        r_hdiv_a),
    REV(SG_RULE_HDIV_B, SG_OP_HDIV, 1, "hdiv.B", "d(A ⊘ B) = dA ⊘ B − (A ⊘ B) ⊙ dB ⊘ B",
        "Y = A ⊘ B ⇒ B̄ += −(Ȳ ⊙ Y) ⊘ B",
        "Y = A \\oslash B" TO "\\bar B" PE "-(" YB " \\odot Y) \\oslash B", NULL, r_hdiv_b),
    REV(SG_RULE_POW_A, SG_OP_POW, 0, "pow.A", "d(A.^p) = p A.^(p−1) ⊙ dA + A.^p ⊙ log(A) dp",
        "Y = A.^p ⇒ Ā += p Ȳ ⊙ A.^(p−1)",
        "Y = A^{\\circ p}" TO "\\bar A" PE "p\\, " YB " \\odot A^{\\circ (p-1)}", NULL, r_pow_a),
    REV(SG_RULE_POW_P, SG_OP_POW, 1, "pow.p", "d(A.^p) = p A.^(p−1) ⊙ dA + A.^p ⊙ log(A) dp",
        "Y = A.^p ⇒ p̄ += sum(Ȳ ⊙ Y ⊙ log A)",
        "Y = A^{\\circ p}" TO "\\bar p" PE "\\textstyle\\sum_{ij} (" YB
        " \\odot Y \\odot \\log A)_{ij}",
        NULL, r_pow_p),
    REV(SG_RULE_EXP, SG_OP_EXP, 0, "exp", "d exp(A) = exp(A) ⊙ dA", "Y = exp(A) ⇒ Ā += Ȳ ⊙ Y",
        "Y = \\exp(A)" TO "\\bar A" PE YB " \\odot Y", NULL, r_exp),
    REV(SG_RULE_LOG, SG_OP_LOG, 0, "log", "d log(A) = dA ⊘ A", "Y = log(A) ⇒ Ā += Ȳ ⊘ A",
        "Y = \\log(A)" TO "\\bar A" PE YB " \\oslash A", NULL, r_log),
    REV(SG_RULE_SQRT, SG_OP_SQRT, 0, "sqrt", "d√A = dA ⊘ 2√A", "Y = √A ⇒ Ā += Ȳ ⊘ 2Y",
        "Y = \\sqrt{A}" TO "\\bar A" PE YB " \\oslash 2Y", NULL, r_sqrt),
    REV(SG_RULE_ABS, SG_OP_ABS, 0, "abs", "d|A| = sign(A) ⊙ dA", "Y = |A| ⇒ Ā += Ȳ ⊙ sign(A)",
        "Y = \\lvert A\\rvert" TO "\\bar A" PE YB " \\odot \\operatorname{sign}(A)", NULL,
        r_fprime),
    REV(SG_RULE_SIN, SG_OP_SIN, 0, "sin", "d sin(A) = cos(A) ⊙ dA",
        "Y = sin(A) ⇒ Ā += Ȳ ⊙ cos(A)", "Y = \\sin(A)" TO "\\bar A" PE YB " \\odot \\cos(A)", NULL,
        r_fprime),
    REV(SG_RULE_COS, SG_OP_COS, 0, "cos", "d cos(A) = −sin(A) ⊙ dA",
        "Y = cos(A) ⇒ Ā += −Ȳ ⊙ sin(A)", "Y = \\cos(A)" TO "\\bar A" PE "-" YB " \\odot \\sin(A)",
        NULL, r_cos),
    REV(SG_RULE_TANH, SG_OP_TANH, 0, "tanh", "d tanh(A) = (𝟙 − tanh(A) ⊙ tanh(A)) ⊙ dA",
        "Y = tanh(A) ⇒ Ā += Ȳ ⊙ (𝟙 − Y ⊙ Y)",
        "Y = \\tanh(A)" TO "\\bar A" PE YB " \\odot (\\mathbf{1} - Y \\odot Y)", NULL, r_tanh),
    REV(SG_RULE_SIGMOID, SG_OP_SIGMOID, 0, "sigmoid", "d σ(A) = σ(A) ⊙ (𝟙 − σ(A)) ⊙ dA",
        "Y = σ(A) ⇒ Ā += Ȳ ⊙ Y ⊙ (𝟙 − Y)",
        "Y = \\sigma(A)" TO "\\bar A" PE YB " \\odot Y \\odot (\\mathbf{1} - Y)", NULL, r_sigmoid),
    REV(SG_RULE_RELU, SG_OP_RELU, 0, "relu", "d relu(A) = step(A) ⊙ dA",
        "Y = relu(A) ⇒ Ā += Ȳ ⊙ step(A)",
        "Y = \\operatorname{relu}(A)" TO "\\bar A" PE YB " \\odot \\operatorname{step}(A)", NULL,
        r_fprime),
    REV(SG_RULE_SWISH, SG_OP_SWISH, 0, "swish",
        "d(A ⊙ σ(A)) = (σ(A) + A ⊙ σ(A) ⊙ (𝟙 − σ(A))) ⊙ dA",
        "Y = A ⊙ σ(A) ⇒ Ā += Ȳ ⊙ (σ(A) + A ⊙ σ(A) ⊙ (𝟙 − σ(A)))",
        "Y = \\operatorname{swish}(A)" TO "\\bar A" PE YB " \\odot \\operatorname{swish}'(A)",
        NULL, r_swish),
    REV(SG_RULE_SOFTPLUS, SG_OP_SOFTPLUS, 0, "softplus", "d log(𝟙 + exp(A)) = σ(A) ⊙ dA",
        "Y = softplus(A) ⇒ Ā += Ȳ ⊙ σ(A)",
        "Y = \\operatorname{softplus}(A)" TO "\\bar A" PE YB " \\odot \\sigma(A)", NULL,
        r_fprime),
    REV(SG_RULE_LOG1P, SG_OP_LOG1P, 0, "log1p", "d log(𝟙 + A) = dA ⊘ (𝟙 + A)",
        "Y = log(𝟙 + A) ⇒ Ā += Ȳ ⊘ (𝟙 + A)",
        "Y = \\log(\\mathbf{1} + A)" TO "\\bar A" PE YB " \\oslash (\\mathbf{1} + A)", NULL,
        r_log1p),
    REV(SG_RULE_EXPM1, SG_OP_EXPM1, 0, "expm1", "d(exp(A) − 𝟙) = exp(A) ⊙ dA",
        "Y = exp(A) − 𝟙 ⇒ Ā += Ȳ ⊙ (Y + 𝟙)",
        "Y = \\exp(A) - \\mathbf{1}" TO "\\bar A" PE YB " \\odot (Y + \\mathbf{1})", NULL, r_expm1),
    REV(SG_RULE_TAN, SG_OP_TAN, 0, "tan", "d tan(A) = (𝟙 + tan(A) ⊙ tan(A)) ⊙ dA",
        "Y = tan(A) ⇒ Ā += Ȳ ⊙ (𝟙 + Y ⊙ Y)",
        "Y = \\tan(A)" TO "\\bar A" PE YB " \\odot (\\mathbf{1} + Y \\odot Y)", NULL, r_tan),
    REV(SG_RULE_ARCSIN, SG_OP_ARCSIN, 0, "arcsin", "d arcsin(A) = dA ⊘ √(𝟙 − A ⊙ A)",
        "Y = arcsin(A) ⇒ Ā += Ȳ ⊘ √(𝟙 − A ⊙ A)",
        "Y = \\arcsin(A)" TO "\\bar A" PE YB " \\oslash \\sqrt{\\mathbf{1} - A \\odot A}", NULL,
        r_arcsin),
    REV(SG_RULE_ARCCOS, SG_OP_ARCCOS, 0, "arccos", "d arccos(A) = −dA ⊘ √(𝟙 − A ⊙ A)",
        "Y = arccos(A) ⇒ Ā += −Ȳ ⊘ √(𝟙 − A ⊙ A)",
        "Y = \\arccos(A)" TO "\\bar A" PE "-" YB " \\oslash \\sqrt{\\mathbf{1} - A \\odot A}",
        NULL, r_arccos),
    REV(SG_RULE_ARCTAN, SG_OP_ARCTAN, 0, "arctan", "d arctan(A) = dA ⊘ (𝟙 + A ⊙ A)",
        "Y = arctan(A) ⇒ Ā += Ȳ ⊘ (𝟙 + A ⊙ A)",
        "Y = \\arctan(A)" TO "\\bar A" PE YB " \\oslash (\\mathbf{1} + A \\odot A)", NULL,
        r_arctan),
    REV(SG_RULE_SINH, SG_OP_SINH, 0, "sinh", "d sinh(A) = cosh(A) ⊙ dA",
        "Y = sinh(A) ⇒ Ā += Ȳ ⊙ cosh(A)", "Y = \\sinh(A)" TO "\\bar A" PE YB " \\odot \\cosh(A)",
        NULL, r_fprime),
    REV(SG_RULE_COSH, SG_OP_COSH, 0, "cosh", "d cosh(A) = sinh(A) ⊙ dA",
        "Y = cosh(A) ⇒ Ā += Ȳ ⊙ sinh(A)", "Y = \\cosh(A)" TO "\\bar A" PE YB " \\odot \\sinh(A)",
        NULL, r_fprime),
    REV(SG_RULE_LOG2, SG_OP_LOG2, 0, "log2", "d log2(A) = dA ⊘ (A ln 2)",
        "Y = log2(A) ⇒ Ā += Ȳ ⊘ (A ln 2)",
        "Y = \\log_2(A)" TO "\\bar A" PE YB " \\oslash (A \\ln 2)", NULL, r_log2),
    REV(SG_RULE_ERF, SG_OP_ERF, 0, "erf", "d erf(A) = (2/√π) exp(−A ⊙ A) ⊙ dA",
        "Y = erf(A) ⇒ Ā += (2/√π) Ȳ ⊙ exp(−A ⊙ A)",
        "Y = \\operatorname{erf}(A)" TO "\\bar A" PE "\\tfrac{2}{\\sqrt{\\pi}}\\, " YB
        " \\odot \\exp(-A \\odot A)",
        NULL, r_erf),
    REV(SG_RULE_SIGN, SG_OP_SIGN, 0, "sign", "d sign(A) = 0 away from 0", "Y = sign(A) ⇒ Ā += 0",
        "Y = \\operatorname{sign}(A)" TO "\\bar A" PE "0", NULL, r_flat),
    REV(SG_RULE_STEP, SG_OP_STEP, 0, "step", "d step(A) = 0 away from 0", "Y = step(A) ⇒ Ā += 0",
        "Y = \\operatorname{step}(A)" TO "\\bar A" PE "0", NULL, r_flat),
    REV(SG_RULE_NORM, SG_OP_NORM, 0, "norm", "d‖A‖ = ⟨A, dA⟩/‖A‖", "y = ‖A‖ ⇒ Ā += (ȳ/y) A",
        "y = \\lVert A\\rVert" TO "\\bar A" PE "(\\bar y / y)\\, A", NULL, r_norm),
    REV(SG_RULE_NORM1, SG_OP_NORM1, 0, "norm1", "d‖A‖₁ = ⟨sign(A), dA⟩",
        "y = ‖A‖₁ ⇒ Ā += ȳ sign(A)",
        "y = \\lVert A\\rVert_1" TO "\\bar A" PE "\\bar y \\operatorname{sign}(A)", NULL, r_norm1),
    REV(SG_RULE_SOFTMAX, SG_OP_SOFTMAX, 0, "softmax",
        "dS = S ⊙ dA − S ⊙ 𝟙(𝟙ᵀ(S ⊙ dA)), per column",
        "S = softmax(A) ⇒ Ā += S ⊙ (S̄ − 𝟙(𝟙ᵀ(S ⊙ S̄)))",
        "S = \\operatorname{softmax}(A)" TO "\\bar A" PE "S \\odot (\\bar S - "
        "\\mathbf{1}(\\mathbf{1}^\\top (S \\odot \\bar S)))",
        NULL, r_softmax),
    REV(SG_RULE_LOGSOFTMAX, SG_OP_LOGSOFTMAX, 0, "logsoftmax",
        "dY = dA − 𝟙(𝟙ᵀ(softmax(A) ⊙ dA)), per column",
        "Y = logsoftmax(A) ⇒ Ā += Ȳ − softmax(A) ⊙ (𝟙(𝟙ᵀȲ))",
        "Y = \\log\\operatorname{softmax}(A)" TO "\\bar A" PE YB " - \\operatorname{softmax}(A) "
        "\\odot (\\mathbf{1}(\\mathbf{1}^\\top " YB "))",
        NULL, r_logsoftmax),
    REV(SG_RULE_LOGSUMEXP, SG_OP_LOGSUMEXP, 0, "logsumexp",
        "dy = 𝟙ᵀ(softmax(A) ⊙ dA), per column", "y = logsumexp(A) ⇒ Ā += softmax(A) ⊙ (𝟙ȳ)",
        "y = \\operatorname{logsumexp}(A)" TO "\\bar A" PE "\\operatorname{softmax}(A) \\odot "
        "(\\mathbf{1}\\bar y)",
        NULL, r_logsumexp),
    REV(SG_RULE_INV, SG_OP_INV, 0, "inv", "d(A⁻¹) = −A⁻¹(dA)A⁻¹", "Y = A⁻¹ ⇒ Ā += −YᵀȲYᵀ",
        "Y = A^{-1}" TO "\\bar A" PE "-Y^\\top " YB " Y^\\top", "(59)", r_inv),
    REV(SG_RULE_DET, SG_OP_DET, 0, "det", "d det A = det A tr(A⁻¹ dA)", "y = det A ⇒ Ā += ȳ y A⁻ᵀ",
        "y = \\det A" TO "\\bar A" PE "\\bar y\\, y\\, A^{-\\top}", "(49)", r_det),
    REV(SG_RULE_LOGDET, SG_OP_LOGDET, 0, "logdet", "d log|det A| = tr(A⁻¹ dA)",
        "y = log|det A| ⇒ Ā += ȳ A⁻ᵀ",
        "y = \\log\\lvert\\det A\\rvert" TO "\\bar A" PE "\\bar y\\, A^{-\\top}", "(57)", r_logdet),
    REV(SG_RULE_SQNORM, SG_OP_DOT, 0, "sqnorm", "d⟨A, A⟩ = 2⟨A, dA⟩",
        "y = ‖A‖² = ⟨A, A⟩ ⇒ Ā += 2ȳA",
        "y = \\lVert A\\rVert^2 = \\langle A, A\\rangle" TO "\\bar A" PE "2\\bar y A", "(115)",
        r_sqnorm),

    PASS(SG_RULE_SEED, "seed", "∂f/∂f = 1", "∂f/∂f = 1", "\\bar f = 1"),
    PASS(SG_RULE_TOTAL, "total", "df = Σ over the paths from Y of their contributions",
         "Ȳ = the sum of the contributions of the paths to Y",
         "\\bar Y = \\textstyle\\sum_{\\text{paths } P \\text{ to } Y} \\bar Y_P"),
    PASS(SG_RULE_SEQ_SUM, "seq.sum", "d Σ_t B(t) = Σ_t dB(t)",
         "Y = Σ_t B(t) ⇒ each step's B(t) is differentiated with the seed Ȳ",
         "Y = \\textstyle\\sum_t B_t" TO "\\bar B_t = " YB " \\text{ at every } t"),
    PASS(SG_RULE_SEQ_SUM_PUSH, "seq.sum.push", "d Σ_t B(t) = Σ_t dB(t)",
         "Y = Σ_t B(t) ⇒ Z̄ += Σ_t ∇_Z ⟨Ȳ, B(t)⟩",
         "Y = \\textstyle\\sum_t B_t" TO "\\bar Z" PE "\\textstyle\\sum_t \\nabla_Z \\langle " YB
         ", B_t\\rangle"),
    PASS(SG_RULE_SEQ_TERM_AT, "seq.term.at", "∂L/∂h[k] for the one step k read",
         "∂L/∂h[k] directly, at the one step k",
         "y = h_k" TO "\\delta_k" PE "\\bar y"),
    PASS(SG_RULE_SEQ_TERM_STEP, "seq.term.step", "∂L/∂h[t] for every step t read",
         "∂L/∂h[t] directly, at every step t read",
         "y_t = h_t" TO "\\delta_t" PE "\\bar y_t"),
    PASS(SG_RULE_SEQ_REC, "seq.rec", "dh[t] = ∂f/∂h[t−1] dh[t−1] + ∂f/∂W dW",
         "h[t] = f(h[t−1]) ⇒ ∂⟨δh[t], f⟩ is differentiated once, for every t",
         "h_t = f(h_{t-1})" TO "\\nabla \\langle \\delta_t, f(h_{t-1})\\rangle "
         "\\text{ for every } t"),
    PASS(SG_RULE_SEQ_REC_PUSH, "seq.rec.push", "dh[t] = ∂f/∂h[t−1] dh[t−1] + ∂f/∂W dW",
         "h[t] = f(W, h[t−1]) for every t ⇒ W̄ += Σ_t ∇_W ⟨δh[t], f⟩",
         "h_t = f(W, h_{t-1})" TO "\\bar W" PE "\\textstyle\\sum_t \\nabla_W \\langle \\delta_t, "
         "f\\rangle"),
    PASS(SG_RULE_SEQ_DELTA, "seq.delta", "dL = Σ_t ⟨∂L/∂h[t], dh[t]⟩",
         "δh[t] = ∂L/∂h[t] = (direct terms at t) + ∇_{h[t]} ⟨δh[t+1], h[t+1]⟩ for t < "
         "the last step: backpropagation through time",
         "\\delta_t = \\frac{\\partial L}{\\partial h_t} + \\nabla_{h_t} \\langle \\delta_{t+1}, "
         "h_{t+1}\\rangle"),
    PASS(SG_RULE_SEQ_INIT, "seq.init", "h[lo−1] = h₀ ⇒ dh[lo−1] = dh₀",
         "h[lo−1] = h₀ ⇒ h̄₀ += δh[lo−1]", "h_{lo-1} = h_0" TO "\\bar h_0" PE "\\delta_{lo-1}"),

    FWD(SG_RULE_J_X, SG_OP_COUNT, "J.x", "dx = I dx", "J(x) = I", "J(x) = I", NULL, f_x),
    FWD(SG_RULE_J_SCALAR, SG_OP_COUNT, "J.scalar", "ds = ⟨∇ₓs, dx⟩", "J(s) = (∇ₓs)ᵀ",
        "J(s) = (\\nabla_x s)^\\top \\text{ for a scalar } s", NULL, f_scalar),
    FWD(SG_RULE_J_ADD, SG_OP_ADD, "J.add", "d(a + b) = da + db", "J(a + b) = J(a) + J(b)",
        "J(a + b) = J(a) + J(b)", "(35)", f_add),
    FWD(SG_RULE_J_TRANSPOSE, SG_OP_TRANSPOSE, "J.transpose", "vec(aᵀ) = vec(a) for a vector",
        "J(aᵀ) = J(a)", "J(a^\\top) = J(a)", NULL, f_transpose),
    FWD(SG_RULE_J_FILL, SG_OP_FILL, "J.fill", "d(s𝟙) = 𝟙 ds", "J(s𝟙) = 𝟙 J(s)",
        "J(s\\mathbf{1}) = \\mathbf{1}J(s)", NULL, f_fill),
    FWD(SG_RULE_J_SCALE, SG_OP_MUL, "J.scale", "d(s v) = s dv + v ds", "J(s v) = s J(v) + v J(s)",
        "J(sv) = sJ(v) + vJ(s)", NULL, f_scale),
    FWD(SG_RULE_J_MATVEC, SG_OP_MUL, "J.matvec", "d(A v) = A dv", "J(A v) = A J(v)",
        "J(Av) = AJ(v)", NULL, f_matvec),
    FWD(SG_RULE_J_ROWMAT, SG_OP_MUL, "J.rowmat", "vec(u M) = Mᵀ uᵀ for a row u",
        "J(u M) = Mᵀ J(u)", "J(uM) = M^\\top J(u)", NULL, f_rowmat),
    FWD(SG_RULE_J_HADAMARD, SG_OP_HADAMARD, "J.hadamard", "d(a ⊙ b) = b ⊙ da + a ⊙ db",
        "J(a ⊙ b) = diag(b) J(a) + diag(a) J(b)",
        "J(a \\odot b) = \\operatorname{diag}(b)J(a) + \\operatorname{diag}(a)J(b)", "(38)",
        f_hadamard),
    FWD(SG_RULE_J_HDIV, SG_OP_HDIV, "J.hdiv", "d(a ⊘ b) = da ⊘ b − (a ⊘ b) ⊙ db ⊘ b",
        "J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag((a ⊘ b) ⊘ b) J(b)",
        "J(a \\oslash b) = \\operatorname{diag}(\\mathbf{1} \\oslash b)J(a) - "
        "\\operatorname{diag}((a \\oslash b) \\oslash b)J(b)",
        NULL, f_hdiv),
    FWD(SG_RULE_J_POW, SG_OP_POW, "J.pow", "d(a.^p) = p a.^(p−1) ⊙ da + a.^p ⊙ log(a) dp",
        "J(a.^p) = diag(p a.^(p−1)) J(a) + (a.^p ⊙ log a) J(p)",
        "J(a^{\\circ p}) = \\operatorname{diag}(p\\,a^{\\circ(p-1)})J(a) + (a^{\\circ p} \\odot "
        "\\log a)J(p)",
        NULL, f_pow),
    FWD(SG_RULE_J_SOFTMAX, SG_OP_SOFTMAX, "J.softmax", "ds = s ⊙ da − s(sᵀda)",
        "J(softmax(a)) = (diag(s) − ssᵀ) J(a), s = softmax(a)",
        "J(s) = (\\operatorname{diag}(s) - ss^\\top)J(a) \\text{ for } s = "
        "\\operatorname{softmax}(a)",
        NULL, f_softmax),
    FWD(SG_RULE_J_LOGSOFTMAX, SG_OP_LOGSOFTMAX, "J.logsoftmax", "dy = da − 𝟙 softmax(a)ᵀda",
        "J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a)",
        "J(\\log\\operatorname{softmax}(a)) = "
        "(I - \\mathbf{1}\\operatorname{softmax}(a)^\\top)J(a)",
        NULL, f_logsoftmax),
    FWD(SG_RULE_J_MATMUL, SG_OP_MUL, "J.matmul", "vec(A dX B) = (A ⊗ Bᵀ) vec(dX), row by row",
        "J(A B) = (I ⊗ Bᵀ) J(A) + (A ⊗ I) J(B)",
        "J(AB) = (I \\otimes B^\\top)J(A) + (A \\otimes I)J(B)", NULL, f_matmul),
    FWD(SG_RULE_J_COMMUTE, SG_OP_TRANSPOSE, "J.commute", "vec(Aᵀ) = K vec(A)",
        "J(Aᵀ) = K J(A), K the commutation matrix",
        "J(A^\\top) = K J(A) \\text{ for the commutation matrix } K", NULL, f_commute),
    FWD(SG_RULE_J_ELEMENTWISE, SG_OP_COUNT, "J.elementwise", "d f(a) = f′(a) ⊙ da",
        "J(f(a)) = diag(f′(a)) J(a)",
        "J(f(a)) = \\operatorname{diag}(f'(a))J(a) \\text{ for an elementwise } f", NULL,
        f_elementwise),
};

const sg_rule *sg_rule_get(sg_rule_id id)
{
    assert((int)id >= 0 && id < SG_RULE_COUNT);
    return &table[(int)id >= 0 && id < SG_RULE_COUNT ? id : SG_RULE_NONE];
}

/* the reverse rules by op and kid (a product's scaling is chosen below) */
static const sg_rule_id by_op[SG_OP_COUNT][2] = {
    [SG_OP_ADD] = {SG_RULE_ADD_A, SG_RULE_ADD_B},
    [SG_OP_MUL] = {SG_RULE_MUL_A, SG_RULE_MUL_B},
    [SG_OP_TRANSPOSE] = {SG_RULE_TRANSPOSE},
    [SG_OP_FILL] = {SG_RULE_FILL},
    [SG_OP_SUM] = {SG_RULE_SUM},
    [SG_OP_TRACE] = {SG_RULE_TRACE},
    [SG_OP_DOT] = {SG_RULE_DOT_A, SG_RULE_DOT_B},
    [SG_OP_DIAG] = {SG_RULE_DIAG},
    [SG_OP_DIAGV] = {SG_RULE_DIAGV},
    [SG_OP_HADAMARD] = {SG_RULE_HADAMARD_A, SG_RULE_HADAMARD_B},
    [SG_OP_HDIV] = {SG_RULE_HDIV_A, SG_RULE_HDIV_B},
    [SG_OP_POW] = {SG_RULE_POW_A, SG_RULE_POW_P},
    [SG_OP_EXP] = {SG_RULE_EXP},
    [SG_OP_LOG] = {SG_RULE_LOG},
    [SG_OP_SQRT] = {SG_RULE_SQRT},
    [SG_OP_ABS] = {SG_RULE_ABS},
    [SG_OP_SIN] = {SG_RULE_SIN},
    [SG_OP_COS] = {SG_RULE_COS},
    [SG_OP_TANH] = {SG_RULE_TANH},
    [SG_OP_SIGMOID] = {SG_RULE_SIGMOID},
    [SG_OP_RELU] = {SG_RULE_RELU},
    [SG_OP_SWISH] = {SG_RULE_SWISH},
    [SG_OP_SOFTPLUS] = {SG_RULE_SOFTPLUS},
    [SG_OP_LOG1P] = {SG_RULE_LOG1P},
    [SG_OP_EXPM1] = {SG_RULE_EXPM1},
    [SG_OP_TAN] = {SG_RULE_TAN},
    [SG_OP_ARCSIN] = {SG_RULE_ARCSIN},
    [SG_OP_ARCCOS] = {SG_RULE_ARCCOS},
    [SG_OP_ARCTAN] = {SG_RULE_ARCTAN},
    [SG_OP_SINH] = {SG_RULE_SINH},
    [SG_OP_COSH] = {SG_RULE_COSH},
    [SG_OP_LOG2] = {SG_RULE_LOG2},
    [SG_OP_ERF] = {SG_RULE_ERF},
    [SG_OP_SIGN] = {SG_RULE_SIGN},
    [SG_OP_STEP] = {SG_RULE_STEP},
    [SG_OP_NORM] = {SG_RULE_NORM},
    [SG_OP_NORM1] = {SG_RULE_NORM1},
    [SG_OP_SOFTMAX] = {SG_RULE_SOFTMAX},
    [SG_OP_LOGSOFTMAX] = {SG_RULE_LOGSOFTMAX},
    [SG_OP_LOGSUMEXP] = {SG_RULE_LOGSUMEXP},
    [SG_OP_INV] = {SG_RULE_INV},
    [SG_OP_DET] = {SG_RULE_DET},
    [SG_OP_LOGDET] = {SG_RULE_LOGDET},
};

sg_rule_id sg_rule_for(const sg_expr *y, int k)
{
    if ((int)y->op < 0 || y->op >= SG_OP_COUNT || k < 0 || k >= y->nkids || k > 1)
        return SG_RULE_NONE;
    if (y->op == SG_OP_MUL && sg_shape_is_scalar(y->kid[0]->shape))
        return k == 0 ? SG_RULE_SCALE_S : SG_RULE_SCALE_A;
    return by_op[y->op][k];
}

/* a vector of either orientation, or a scalar */
static int flat(sg_shape s)
{
    return s.rows == SG_DIM_ONE || s.cols == SG_DIM_ONE;
}

sg_rule_id sg_rule_jacobian_for(const sg_expr *y, int has_a, int has_b)
{
    const sg_expr *a = y->nkids > 0 ? y->kid[0] : NULL, *b = y->nkids > 1 ? y->kid[1] : NULL;
    switch (y->op) {
    case SG_OP_ADD:
        return SG_RULE_J_ADD;
    case SG_OP_TRANSPOSE:
        return flat(a->shape) ? SG_RULE_J_TRANSPOSE : SG_RULE_J_COMMUTE;
    case SG_OP_FILL:
        return SG_RULE_J_FILL;
    case SG_OP_MUL:
        if (sg_shape_is_scalar(a->shape))
            return SG_RULE_J_SCALE;
        if (has_b && !has_a && b->shape.cols == SG_DIM_ONE)
            return SG_RULE_J_MATVEC;
        if (has_a && !has_b && a->shape.rows == SG_DIM_ONE)
            return SG_RULE_J_ROWMAT;
        return SG_RULE_J_MATMUL; /* a matrix among the factors or the product */
    case SG_OP_HADAMARD:
        return SG_RULE_J_HADAMARD;
    case SG_OP_HDIV:
        return SG_RULE_J_HDIV;
    case SG_OP_POW:
        return SG_RULE_J_POW;
    case SG_OP_SOFTMAX: /* of the columns: a vector's only */
        return flat(y->shape) ? SG_RULE_J_SOFTMAX : SG_RULE_NONE;
    case SG_OP_LOGSOFTMAX:
        return flat(y->shape) ? SG_RULE_J_LOGSOFTMAX : SG_RULE_NONE;
    default:
        return sg_op_is_elementwise_unary(y->op) ? SG_RULE_J_ELEMENTWISE : SG_RULE_NONE;
    }
}

sg_rule_id sg_rule_merged_for(const sg_expr *y)
{
    return y->op == SG_OP_DOT && y->kid[0] == y->kid[1] ? SG_RULE_SQNORM : SG_RULE_NONE;
}

sg_expr *sg_rule_contrib(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g, sg_rule_id *id)
{
    sg_rule_id r = sg_rule_for(y, k);
    if (id)
        *id = r;
    assert(table[r].reverse); /* a leaf or a Σ over time has no kid rule */
    if (!table[r].reverse)
        return k >= 0 && k < y->nkids ? sg_zero(ctx, y->kid[k]->shape) : NULL;
    return table[r].reverse(ctx, y, k, g);
}
