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
 * rule of its op. Every contribution is built with the DAG's constructors,
 * so it is simplified and shared with everything already built.
 *
 * Only kids from which some requested node can be reached receive anything:
 * adjoints of constants and of unrelated inputs are never built.
 */
#include "diff.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
    if (log->nsteps == log->cap) {
        int cap = log->cap ? 2 * log->cap : 32;
        sg_step *steps = sg_arena_alloc(sg_ctx_arena(ctx), (size_t)cap * sizeof *steps);
        if (log->nsteps)
            memcpy(steps, log->steps, (size_t)log->nsteps * sizeof *steps);
        log->steps = steps;
        log->cap = cap;
    }
    s = &log->steps[log->nsteps++];
    memset(s, 0, sizeof *s);
    return s;
}

static void push(contribs *c, sg_expr *e)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->terms = sg_xrealloc(c->terms, (size_t)c->cap * sizeof *c->terms);
    }
    c->terms[c->n++] = e;
}

static int by_id_desc(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

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

/*
 * Ȳ ⊙ f′(A) for Y = f(A) elementwise. Shared by the reverse rules (any Ȳ)
 * and the forward Jacobian rule (Ȳ = 𝟙 gives f′(A)), so that each function
 * has one derivative.
 */
sg_expr *sg_diff_elementwise(sg_ctx *ctx, sg_expr *y, sg_expr *g, const char **text)
{
    sg_expr *a = y->kid[0], *s, *t;

    switch (y->op) {
    case SG_OP_EXP:
        /* Y = exp(A) ⇒ Ā += Ȳ ⊙ Y */
        *text = "Y = exp(A) ⇒ Ā += Ȳ ⊙ Y";
        return sg_hadamard(ctx, g, y);
    case SG_OP_LOG:
        /* Y = log(A) ⇒ Ā += Ȳ ⊘ A */
        *text = "Y = log(A) ⇒ Ā += Ȳ ⊘ A";
        return sg_hdiv(ctx, g, a);
    case SG_OP_SQRT:
        /* Y = √A ⇒ Ā += Ȳ ⊘ 2Y */
        *text = "Y = √A ⇒ Ā += Ȳ ⊘ 2Y";
        return sg_hdiv(ctx, g, sg_mul(ctx, sg_const(ctx, 2), y));
    case SG_OP_ABS:
        /* Y = |A| ⇒ Ā += Ȳ ⊙ sign(A), with abs′(0) = 0 */
        *text = "Y = |A| ⇒ Ā += Ȳ ⊙ sign(A)";
        return sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_SIGN, a));
    case SG_OP_SIN:
        /* Y = sin(A) ⇒ Ā += Ȳ ⊙ cos(A) */
        *text = "Y = sin(A) ⇒ Ā += Ȳ ⊙ cos(A)";
        return sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_COS, a));
    case SG_OP_COS:
        /* Y = cos(A) ⇒ Ā += −Ȳ ⊙ sin(A) */
        *text = "Y = cos(A) ⇒ Ā += −Ȳ ⊙ sin(A)";
        return sg_neg(ctx, sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_SIN, a)));
    case SG_OP_TANH:
        /* Y = tanh(A) ⇒ Ā += Ȳ ⊙ (𝟙 − Y ⊙ Y) */
        *text = "Y = tanh(A) ⇒ Ā += Ȳ ⊙ (𝟙 − Y ⊙ Y)";
        return sg_hadamard(ctx, g, one_minus(ctx, sg_hadamard(ctx, y, y)));
    case SG_OP_SIGMOID:
        /* Y = σ(A) ⇒ Ā += Ȳ ⊙ Y ⊙ (𝟙 − Y) */
        *text = "Y = σ(A) ⇒ Ā += Ȳ ⊙ Y ⊙ (𝟙 − Y)";
        return sg_hadamard(ctx, g, sg_hadamard(ctx, y, one_minus(ctx, y)));
    case SG_OP_RELU:
        /* Y = max(A, 0) ⇒ Ā += Ȳ ⊙ step(A), with relu′(0) = 0 */
        *text = "Y = relu(A) ⇒ Ā += Ȳ ⊙ step(A)";
        return sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_STEP, a));
    case SG_OP_SWISH:
        /* Y = A ⊙ σ(A) ⇒ Ā += Ȳ ⊙ (σ(A) + A ⊙ σ(A) ⊙ (𝟙 − σ(A))) */
        *text = "Y = A ⊙ σ(A) ⇒ Ā += Ȳ ⊙ (σ(A) + A ⊙ σ(A) ⊙ (𝟙 − σ(A)))";
        s = sg_unary(ctx, SG_OP_SIGMOID, a);
        t = sg_hadamard(ctx, sg_hadamard(ctx, a, s), one_minus(ctx, s));
        return sg_hadamard(ctx, g, sg_add(ctx, s, t));
    case SG_OP_SOFTPLUS:
        /* Y = log(𝟙 + exp(A)) ⇒ Ā += Ȳ ⊙ σ(A) */
        *text = "Y = softplus(A) ⇒ Ā += Ȳ ⊙ σ(A)";
        return sg_hadamard(ctx, g, sg_unary(ctx, SG_OP_SIGMOID, a));
    case SG_OP_LOG1P:
        /* Y = log(𝟙 + A) ⇒ Ā += Ȳ ⊘ (𝟙 + A) */
        *text = "Y = log(𝟙 + A) ⇒ Ā += Ȳ ⊘ (𝟙 + A)";
        return sg_hdiv(ctx, g, sg_add(ctx, sg_ones(ctx, a->shape), a));
    case SG_OP_EXPM1:
        /* Y = exp(A) − 𝟙 ⇒ Ā += Ȳ ⊙ (Y + 𝟙) */
        *text = "Y = exp(A) − 𝟙 ⇒ Ā += Ȳ ⊙ (Y + 𝟙)";
        return sg_hadamard(ctx, g, sg_add(ctx, y, sg_ones(ctx, y->shape)));
    case SG_OP_SIGN:
        /* sign′ = 0 (taken as 0 at the jump) */
        *text = "Y = sign(A) ⇒ Ā += 0";
        return sg_zero(ctx, a->shape);
    case SG_OP_STEP:
        /* step′ = 0 (taken as 0 at the jump) */
        *text = "Y = step(A) ⇒ Ā += 0";
        return sg_zero(ctx, a->shape);
    default:
        assert(!"sg_diff_elementwise: not an elementwise unary op");
        *text = "";
        return sg_zero(ctx, a->shape);
    }
}

/*
 * The contribution of node y (adjoint g) to its kid k, and the identity
 * used, for the derivation. NULL text never happens: every op has a rule.
 */
static sg_expr *rule(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g, const char **text)
{
    sg_expr *a = y->kid[0], *b = y->nkids > 1 ? y->kid[1] : NULL;
    sg_expr *s, *t;
    sg_dim p;

    switch (y->op) {
    case SG_OP_ADD:
        /* Y = A + B ⇒ Ā += Ȳ, B̄ += Ȳ */
        *text = k == 0 ? "Y = A + B ⇒ Ā += Ȳ" : "Y = A + B ⇒ B̄ += Ȳ";
        return g;
    case SG_OP_MUL:
        if (sg_shape_is_scalar(a->shape)) {
            /* Y = sA ⇒ s̄ += ⟨Ȳ, A⟩, Ā += sȲ */
            if (k == 0) {
                *text = "Y = sA ⇒ s̄ += ⟨Ȳ, A⟩";
                return sg_dot(ctx, g, b);
            }
            *text = "Y = sA ⇒ Ā += sȲ";
            return sg_mul(ctx, a, g);
        }
        /* Y = AB ⇒ Ā += ȲBᵀ, B̄ += AᵀȲ */
        if (k == 0) {
            *text = "Y = AB ⇒ Ā += ȲBᵀ";
            return sg_mul(ctx, g, sg_transpose(ctx, b));
        }
        *text = "Y = AB ⇒ B̄ += AᵀȲ";
        return sg_mul(ctx, sg_transpose(ctx, a), g);
    case SG_OP_TRANSPOSE:
        /* Y = Aᵀ ⇒ Ā += Ȳᵀ */
        *text = "Y = Aᵀ ⇒ Ā += Ȳᵀ";
        return sg_transpose(ctx, g);
    case SG_OP_FILL:
        /* Y = s𝟙𝟙ᵀ ⇒ s̄ += Σᵢⱼ Ȳᵢⱼ */
        *text = "Y = s𝟙𝟙ᵀ ⇒ s̄ += sum(Ȳ)";
        return sg_sum(ctx, g);
    case SG_OP_SUM:
        /* y = Σᵢⱼ Aᵢⱼ ⇒ Ā += ȳ𝟙𝟙ᵀ */
        *text = "y = sum(A) ⇒ Ā += ȳ𝟙𝟙ᵀ";
        return sg_fill(ctx, g, a->shape);
    case SG_OP_TRACE:
        /* d tr(A) = tr(I dA) ⇒ Ā += ȳI */
        *text = "y = tr(A) ⇒ Ā += ȳI";
        return sg_mul(ctx, g, sg_eye(ctx, a->shape.rows));
    case SG_OP_DOT:
        /* y = ⟨A, B⟩ ⇒ Ā += ȳB, B̄ += ȳA (both land on A for ⟨A, A⟩ = ‖A‖²) */
        if (k == 0) {
            *text = "y = ⟨A, B⟩ ⇒ Ā += ȳB";
            return sg_mul(ctx, g, b);
        }
        *text = "y = ⟨A, B⟩ ⇒ B̄ += ȳA";
        return sg_mul(ctx, g, a);
    case SG_OP_DIAG:
        /* Y = diag(v) ⇒ v̄ += diag(Ȳ): only the diagonal of Ȳ reaches v */
        *text = "Y = diag(v) ⇒ v̄ += diag(Ȳ)";
        s = sg_diagv(ctx, g);
        return a->shape.cols == SG_DIM_ONE ? s : sg_transpose(ctx, s);
    case SG_OP_DIAGV:
        /* y = diag(A) ⇒ Ā += diag(ȳ) */
        *text = "y = diag(A) ⇒ Ā += diag(ȳ)";
        return sg_diag(ctx, g);
    case SG_OP_HADAMARD:
        /* Y = A ⊙ B ⇒ Ā += Ȳ ⊙ B, B̄ += Ȳ ⊙ A */
        if (k == 0) {
            *text = "Y = A ⊙ B ⇒ Ā += Ȳ ⊙ B";
            return sg_hadamard(ctx, g, b);
        }
        *text = "Y = A ⊙ B ⇒ B̄ += Ȳ ⊙ A";
        return sg_hadamard(ctx, g, a);
    case SG_OP_HDIV:
        /* Y = A ⊘ B ⇒ Ā += Ȳ ⊘ B, B̄ += −Ȳ ⊙ A ⊘ B² = −(Ȳ ⊙ Y) ⊘ B */
        if (k == 0) {
            *text = "Y = A ⊘ B ⇒ Ā += Ȳ ⊘ B";
            return sg_hdiv(ctx, g, b);
        }
        *text = "Y = A ⊘ B ⇒ B̄ += −(Ȳ ⊙ Y) ⊘ B";
        return sg_neg(ctx, sg_hdiv(ctx, sg_hadamard(ctx, g, y), b));
    case SG_OP_POW:
        /* Y = A.^p ⇒ Ā += p Ȳ ⊙ A.^(p−1), p̄ += Σ Ȳ ⊙ A.^p ⊙ log A */
        if (k == 0) {
            *text = "Y = A.^p ⇒ Ā += p Ȳ ⊙ A.^(p−1)";
            s = sg_pow(ctx, a, sg_sub(ctx, b, sg_const(ctx, 1)));
            return sg_mul(ctx, b, sg_hadamard(ctx, g, s));
        }
        *text = "Y = A.^p ⇒ p̄ += sum(Ȳ ⊙ Y ⊙ log A)";
        if (b->op == SG_OP_CONST)
            return sg_const(ctx, 0);
        return sg_sum(ctx, sg_hadamard(ctx, sg_hadamard(ctx, g, y), sg_unary(ctx, SG_OP_LOG, a)));
    case SG_OP_EXP: case SG_OP_LOG: case SG_OP_SQRT: case SG_OP_ABS: case SG_OP_SIN:
    case SG_OP_COS: case SG_OP_TANH: case SG_OP_SIGMOID: case SG_OP_RELU: case SG_OP_SWISH:
    case SG_OP_SOFTPLUS: case SG_OP_LOG1P: case SG_OP_EXPM1: case SG_OP_SIGN: case SG_OP_STEP:
        return sg_diff_elementwise(ctx, y, g, text);
    case SG_OP_NORM:
        /* y = ‖A‖ ⇒ dy = ⟨A, dA⟩/‖A‖ ⇒ Ā += (ȳ/y) A */
        *text = "y = ‖A‖ ⇒ Ā += (ȳ/y) A";
        return sg_mul(ctx, sg_hdiv(ctx, g, y), a);
    case SG_OP_NORM1:
        /* y = ‖A‖₁ ⇒ Ā += ȳ sign(A) */
        *text = "y = ‖A‖₁ ⇒ Ā += ȳ sign(A)";
        return sg_mul(ctx, g, sg_unary(ctx, SG_OP_SIGN, a));
    case SG_OP_SOFTMAX:
        /* S = softmax(A), per column: dS = S ⊙ dA − S ⊙ 𝟙(𝟙ᵀ(S ⊙ dA))
           ⇒ Ā += S ⊙ (S̄ − 𝟙ₚ(𝟙ₚᵀ(S ⊙ S̄))) */
        *text = "S = softmax(A) ⇒ Ā += S ⊙ (S̄ − 𝟙(𝟙ᵀ(S ⊙ S̄)))";
        p = a->shape.rows;
        s = sg_mul(ctx, ones_col(ctx, p), sg_mul(ctx, ones_row(ctx, p), sg_hadamard(ctx, y, g)));
        return sg_hadamard(ctx, y, sg_sub(ctx, g, s));
    case SG_OP_LOGSOFTMAX:
        /* Y = A − 𝟙 logsumexp(A) ⇒ Ā += Ȳ − softmax(A) ⊙ (𝟙ₚ(𝟙ₚᵀȲ)) */
        *text = "Y = logsoftmax(A) ⇒ Ā += Ȳ − softmax(A) ⊙ (𝟙(𝟙ᵀȲ))";
        p = a->shape.rows;
        s = sg_mul(ctx, ones_col(ctx, p), sg_mul(ctx, ones_row(ctx, p), g));
        return minus(ctx, g, sg_hadamard(ctx, sg_unary(ctx, SG_OP_SOFTMAX, a), s));
    case SG_OP_LOGSUMEXP:
        /* y = log 𝟙ᵀexp(A) (1×N) ⇒ Ā += softmax(A) ⊙ (𝟙ₚ ȳ) */
        *text = "y = logsumexp(A) ⇒ Ā += softmax(A) ⊙ (𝟙ȳ)";
        s = sg_mul(ctx, ones_col(ctx, a->shape.rows), g);
        return sg_hadamard(ctx, sg_unary(ctx, SG_OP_SOFTMAX, a), s);
    case SG_OP_INV:
        /* Y = A⁻¹ ⇒ dY = −Y dA Y ⇒ Ā += −YᵀȲYᵀ */
        *text = "Y = A⁻¹ ⇒ Ā += −YᵀȲYᵀ";
        t = sg_transpose(ctx, y);
        return sg_neg(ctx, sg_mul(ctx, sg_mul(ctx, t, g), t));
    case SG_OP_DET:
        /* d det A = det A tr(A⁻¹ dA) ⇒ Ā += ȳ det(A) A⁻ᵀ */
        *text = "y = det A ⇒ Ā += ȳ y A⁻ᵀ";
        return sg_mul(ctx, sg_mul(ctx, g, y), sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, a)));
    case SG_OP_LOGDET:
        /* d log|det A| = tr(A⁻¹ dA) ⇒ Ā += ȳ A⁻ᵀ */
        *text = "y = log|det A| ⇒ Ā += ȳ A⁻ᵀ";
        return sg_mul(ctx, g, sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, a)));
    default:
        assert(!"rule: a leaf has no kids");
        *text = "";
        return sg_zero(ctx, y->kid[k]->shape);
    }
}

void sg_diff_grad(sg_ctx *ctx, sg_expr *f, int n, sg_expr *const *wrt, sg_expr **out,
                  sg_log *log)
{
    unsigned N = sg_expr_count(ctx); /* nodes made from here on are adjoints */
    unsigned char *flags = sg_xmalloc(N);
    sg_expr **adj = sg_xmalloc(N * sizeof *adj);
    contribs *acc = sg_xmalloc(N * sizeof *acc);
    sg_expr **order = sg_xmalloc(N * sizeof *order);
    int norder = 0, sp = 0, i, j, k;

    assert(sg_shape_is_scalar(f->shape));
    memset(flags, 0, N);
    memset(adj, 0, N * sizeof *adj);
    memset(acc, 0, N * sizeof *acc);
    for (i = 0; i < n; i++) {
        assert(wrt[i]->id < N);
        flags[wrt[i]->id] |= WANTED;
    }

    /* the nodes reachable from f: order doubles as the DFS stack */
    {
        sg_expr **stack = sg_xmalloc(N * sizeof *stack);
        stack[sp++] = f;
        flags[f->id] |= REACHED;
        while (sp > 0) {
            sg_expr *e = stack[--sp];
            order[norder++] = e;
            for (k = 0; k < e->nkids; k++)
                if (!(flags[e->kid[k]->id] & REACHED)) {
                    flags[e->kid[k]->id] |= REACHED;
                    stack[sp++] = e->kid[k];
                }
        }
        free(stack);
    }
    qsort(order, (size_t)norder, sizeof *order, by_id_desc);

    /* kids before parents: which nodes lead to a requested one */
    for (i = norder - 1; i >= 0; i--) {
        sg_expr *e = order[i];
        if (flags[e->id] & WANTED)
            flags[e->id] |= NEEDED;
        for (k = 0; k < e->nkids; k++)
            if (flags[e->kid[k]->id] & NEEDED)
                flags[e->id] |= NEEDED;
    }

    if (log) {
        sg_step *st = sg_log_step(ctx, log);
        log->f = f;
        st->kind = SG_STEP_SEED;
        st->node = f;
        st->adjoint = sg_const(ctx, 1);
    }
    push(&acc[f->id], sg_const(ctx, 1));

    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i], *g;
        contribs *c = &acc[e->id];
        if (!(flags[e->id] & NEEDED) || c->n == 0)
            continue;
        /* the total derivative: Ȳ is the sum over the paths to Y */
        g = c->terms[0];
        for (j = 1; j < c->n; j++)
            g = sg_add(ctx, g, c->terms[j]);
        adj[e->id] = g;
        if (log && c->n >= 2) {
            sg_step *st = sg_log_step(ctx, log);
            const sg_expr **terms =
                sg_arena_alloc(sg_ctx_arena(ctx), (size_t)c->n * sizeof *terms);
            for (j = 0; j < c->n; j++)
                terms[j] = c->terms[j];
            st->kind = SG_STEP_TOTAL;
            st->node = e;
            st->adjoint = g;
            st->terms = terms;
            st->nterms = c->n;
        }
        if (sg_expr_is_zero(g))
            continue;
        for (k = 0; k < e->nkids; k++) {
            const char *text = NULL;
            sg_expr *contrib;
            if (!(flags[e->kid[k]->id] & NEEDED))
                continue;
            contrib = rule(ctx, e, k, g, &text);
            assert(sg_shape_eq(contrib->shape, e->kid[k]->shape));
            if (log) {
                sg_step *st = sg_log_step(ctx, log);
                st->kind = SG_STEP_RULE;
                st->node = e;
                st->adjoint = g;
                st->kid = k;
                st->contrib = contrib;
                st->rule = text;
            }
            if (!sg_expr_is_zero(contrib))
                push(&acc[e->kid[k]->id], contrib);
        }
    }

    for (i = 0; i < n; i++) {
        sg_expr *a = adj[wrt[i]->id];
        out[i] = a ? a : sg_zero(ctx, wrt[i]->shape);
    }
    for (i = 0; i < norder; i++)
        free(acc[order[i]->id].terms);
    free(flags);
    free(adj);
    free(acc);
    free(order);
}
