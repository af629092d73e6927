/*
 * test_simplify.c: the simplifier. Each rewrite keeps the value (checked with
 * the interpreter on random inputs) and gives the printed form a person
 * writes; the gradients of the examples read like a course solution; random
 * expressions keep their values and simplify to a fixed point; deep DAGs do
 * not crash it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/formula.h"
#include "symbolic/diff.h"
#include "symbolic/eval.h"
#include "symbolic/simplify.h"

#define NSYM 16

typedef struct {
    sg_ctx *ctx;
    sg_dim m, n;
    long dims[4];
    double *vals[NSYM];
    const double *syms[NSYM];
    sg_expr *W, *A, *B, *M, *S, *x, *y, *u, *v, *p, *beta, *gamma;
    unsigned long rng;
} fixture;

static double uniform(fixture *f)
{
    f->rng = f->rng * 6364136223846793005ul + 1442695040888963407ul;
    return (double)((f->rng >> 11) & ((1ul << 52) - 1)) / (double)(1ul << 52) * 2 - 1;
}

static sg_expr *var(fixture *f, const char *name, sg_dim r, sg_dim c, unsigned props)
{
    sg_span sp = {0, 0};
    int sym = sg_sym_add(f->ctx, name, sg_shape_make(r, c), props, sp);
    long rows = sg_dim_get(f->ctx, r)->name ? f->dims[r] : 1;
    long cols = sg_dim_get(f->ctx, c)->name ? f->dims[c] : 1;
    long i, j;
    assert_true(sym < NSYM);
    f->vals[sym] = malloc((size_t)(rows * cols) * sizeof(double));
    for (i = 0; i < rows * cols; i++)
        f->vals[sym][i] = uniform(f);
    if (props & SG_PROP_SYMMETRIC)
        for (i = 0; i < rows; i++)
            for (j = 0; j < i; j++)
                f->vals[sym][i * cols + j] = f->vals[sym][j * cols + i];
    if (props & SG_PROP_SIMPLEX) {
        double s = 0;
        for (i = 0; i < rows * cols; i++)
            s += f->vals[sym][i] = fabs(f->vals[sym][i]) + 0.1;
        for (i = 0; i < rows * cols; i++)
            f->vals[sym][i] /= s;
    }
    f->syms[sym] = f->vals[sym];
    return sg_var(f->ctx, sym);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sg_ctx *c = sg_ctx_new();
    f->ctx = c;
    f->rng = 12345;
    f->m = sg_dim_named(c, "m");
    f->n = sg_dim_named(c, "n");
    f->dims[f->m] = 2;
    f->dims[f->n] = 3;
    f->W = var(f, "W", f->m, f->n, 0);
    f->A = var(f, "A", f->n, f->m, 0);
    f->B = var(f, "B", f->n, f->m, 0);
    f->M = var(f, "M", f->n, f->n, 0);
    f->S = var(f, "S", f->n, f->n, SG_PROP_SYMMETRIC);
    f->x = var(f, "x", f->n, SG_DIM_ONE, 0);
    f->y = var(f, "y", f->n, SG_DIM_ONE, 0);
    f->u = var(f, "u", f->m, SG_DIM_ONE, 0);
    f->v = var(f, "v", f->m, SG_DIM_ONE, 0);
    f->p = var(f, "p", f->n, SG_DIM_ONE, 0);
    f->beta = var(f, "beta", SG_DIM_ONE, SG_DIM_ONE, 0);
    f->gamma = var(f, "gamma", SG_DIM_ONE, SG_DIM_ONE, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int i;
    for (i = 0; i < NSYM; i++)
        free(f->vals[i]);
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* a and b have the same values, to rtol */
static void same_value(fixture *f, const sg_expr *a, const sg_expr *b, double rtol)
{
    sg_eval *ev = sg_eval_new(f->ctx, f->dims, f->syms);
    const double *va = sg_eval_expr(ev, a), *vb;
    long k, n;
    double big = 0;
    assert_true(sg_shape_eq(a->shape, b->shape));
    n = sg_eval_rows(ev, a->shape) * sg_eval_cols(ev, a->shape);
    assert_non_null(va);
    vb = sg_eval_expr(ev, b);
    assert_non_null(vb);
    for (k = 0; k < n; k++)
        if (fabs(va[k]) > big)
            big = fabs(va[k]);
    for (k = 0; k < n; k++)
        if (!(fabs(va[k] - vb[k]) <= rtol * (1 + big)))
            fail_msg("entry %ld: %.17g before, %.17g after", k, va[k], vb[k]);
    sg_eval_free(ev);
}

static char *text(const sg_ctx *ctx, const sg_expr *e, int ascii)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_expr(&b, ctx, e, ascii);
    return sg_buf_take(&b, NULL);
}

/* e simplifies to the same value, printed uni (and ascii when not NULL),
   and simplifying again changes nothing */
static sg_expr *expect(fixture *f, sg_expr *e, const char *uni, const char *ascii)
{
    sg_expr *s = sg_simplify(f->ctx, e);
    char *t = text(f->ctx, s, 0);
    same_value(f, e, s, 1e-12);
    if (strcmp(t, uni) != 0)
        fail_msg("simplified to \"%s\", expected \"%s\"", t, uni);
    free(t);
    if (ascii) {
        t = text(f->ctx, s, 1);
        assert_string_equal(t, ascii);
        free(t);
    }
    assert_ptr_equal(sg_simplify(f->ctx, s), s);
    return s;
}

static sg_expr *T(fixture *f, sg_expr *a)
{
    return sg_transpose(f->ctx, a);
}

static sg_expr *mul(fixture *f, sg_expr *a, sg_expr *b)
{
    return sg_mul(f->ctx, a, b);
}

static sg_expr *add(fixture *f, sg_expr *a, sg_expr *b)
{
    return sg_add(f->ctx, a, b);
}

static sg_expr *sub(fixture *f, sg_expr *a, sg_expr *b)
{
    return sg_sub(f->ctx, a, b);
}

static sg_expr *num(fixture *f, double c)
{
    return sg_const(f->ctx, c);
}

static void test_transposes(void **state)
{
    fixture *f = *state;
    /* (AB)ᵀ = BᵀAᵀ */
    expect(f, T(f, mul(f, f->W, f->x)), "xᵀWᵀ", "x' * W'");
    expect(f, T(f, mul(f, f->A, f->W)), "WᵀAᵀ", "W' * A'");
    /* (A + B)ᵀ = Aᵀ + Bᵀ, written the way round with fewer transposes */
    expect(f, T(f, add(f, f->A, f->B)), "(A + B)ᵀ", "(A + B)'");
    expect(f, add(f, T(f, f->A), T(f, f->B)), "(A + B)ᵀ", "(A + B)'");
    expect(f, T(f, add(f, f->M, mul(f, T(f, f->W), T(f, f->A)))), "AW + Mᵀ", "A * W + M'");
    expect(f, T(f, sub(f, mul(f, f->A, f->W), f->M)), "(AW − M)ᵀ", NULL);
    /* (sA)ᵀ = sAᵀ, (aᵀ)ᵀ = a */
    expect(f, T(f, mul(f, f->beta, T(f, mul(f, f->A, f->W)))), "βAW", "beta * A * W");
    /* Sᵀ = S for a symmetric S */
    expect(f, T(f, mul(f, f->S, f->x)), "xᵀS", "x' * S");
    expect(f, T(f, mul(f, T(f, f->W), mul(f, f->W, f->S))), "SWᵀW", NULL);
    /* a row of terms is the transpose of a column: (Wx − y)ᵀ */
    expect(f, sub(f, mul(f, T(f, f->x), T(f, f->W)), T(f, f->u)), "(Wx − u)ᵀ", "(W * x - u)'");
}

static void test_like_terms(void **state)
{
    fixture *f = *state;
    sg_expr *Wx = mul(f, f->W, f->x);
    /* c₁t + c₂t = (c₁ + c₂)t across a nesting the constructors do not see */
    expect(f, add(f, add(f, Wx, f->u), mul(f, num(f, 2), Wx)), "3Wx + u", "3 * W * x + u");
    /* terms equal up to a transpose */
    expect(f, add(f, T(f, mul(f, T(f, f->x), T(f, f->W))), Wx), "2Wx", "2 * W * x");
    /* zero terms dropped */
    expect(f, add(f, add(f, Wx, f->u), sg_neg(f->ctx, Wx)), "u", "u");
    expect(f, sub(f, add(f, f->x, f->y), add(f, f->y, f->x)), "0", "0");
    /* terms equal up to a scalar coefficient: βA + γA = (β + γ)A */
    expect(f, add(f, mul(f, f->beta, f->A), mul(f, f->gamma, f->A)), "(β + γ)A", NULL);
    /* xᵀy = yᵀx = ⟨x, y⟩ */
    expect(f, add(f, mul(f, T(f, f->x), f->y), mul(f, T(f, f->y), f->x)), "2xᵀy", "2 * x' * y");
    /* scalars to the front, a/2 as ½a */
    expect(f, mul(f, f->W, mul(f, sg_div(f->ctx, f->beta, num(f, 2)), f->x)), "½βWx",
           "0.5 * beta * W * x");
}

static void test_signs_and_order(void **state)
{
    fixture *f = *state;
    /* positive terms first: a − b, not −b + a */
    expect(f, add(f, sg_neg(f->ctx, f->y), f->x), "x − y", "x - y");
    expect(f, add(f, sg_neg(f->ctx, f->x), mul(f, f->M, f->y)), "My − x", "M * y - x");
    /* higher degree first */
    expect(f, add(f, mul(f, f->beta, sg_eye(f->ctx, f->n)), mul(f, T(f, f->W), f->W)),
           "WᵀW + βI", "W' * W + beta * eye(n)");
    /* a scaled sum is distributed when terms cancel: W − (W + Aᵀ) */
    expect(f, sub(f, add(f, f->W, T(f, f->B)), add(f, f->W, T(f, f->A))), "(B − A)ᵀ", "(B - A)'");
    /* and stays whole otherwise: no −MMx + My + Mx − y */
    expect(f, add(f, sg_neg(f->ctx, sub(f, mul(f, f->M, f->x), f->y)),
                  mul(f, f->M, sub(f, mul(f, f->M, f->x), f->y))),
           "M(Mx − y) − (Mx − y)", "M * (M * x - y) - (M * x - y)");
}

static void test_factoring(void **state)
{
    fixture *f = *state;
    /* Aᵀu + Aᵀv = Aᵀ(u + v) */
    expect(f, add(f, mul(f, T(f, f->W), f->u), mul(f, T(f, f->W), f->v)), "Wᵀ(u + v)",
           "W' * (u + v)");
    /* Wxyᵀ + Wyxᵀ = W(xyᵀ + yxᵀ) */
    expect(f,
           add(f, mul(f, f->W, mul(f, f->x, T(f, f->y))), mul(f, mul(f, f->W, f->y), T(f, f->x))),
           "W(xyᵀ + yxᵀ)", "W * (x * y' + y * x')");
    /* a common right factor, with the common scalars */
    expect(f, sub(f, mul(f, f->beta, mul(f, f->A, f->W)), mul(f, f->beta, mul(f, f->B, f->W))),
           "β(A − B)W", "beta * (A - B) * W");
    /* a factor that would leave a term empty stays: WᵀWx − x, not (WᵀW − I)x */
    expect(f, sub(f, mul(f, T(f, f->W), mul(f, f->W, f->x)), f->x), "WᵀWx − x", NULL);
    /* a common constant only when that shortens */
    expect(f, add(f, mul(f, num(f, 0.1), f->x), mul(f, num(f, 0.1), f->y)), "0.1(x + y)",
           "0.1 * (x + y)");
    expect(f, add(f, mul(f, num(f, 0.5), f->x), mul(f, num(f, 0.5), f->y)), "½x + ½y", NULL);
    expect(f, add(f, mul(f, num(f, 2), f->x), mul(f, num(f, 2), f->y)), "2x + 2y", NULL);
}

static void test_elementwise(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_shape vec = sg_shape_make(f->n, SG_DIM_ONE);
    sg_expr *one = sg_ones(c, vec), *sp = sg_unary(c, SG_OP_SIGMOID, f->x), *h;
    /* (𝟙 − y) ⊙ p − y ⊙ (𝟙 − p) = p − y: distributed because terms cancel */
    h = sub(f, sg_hadamard(c, sub(f, one, f->y), f->p), sg_hadamard(c, f->y, sub(f, one, f->p)));
    expect(f, h, "p − y", "p - y");
    /* ... and not otherwise: σ(x) ⊙ (𝟙 − σ(x)) stays */
    expect(f, sg_hadamard(c, sub(f, one, sp), sp), "σ(x) ⊙ (𝟙 − σ(x))",
           "sigmoid(x) .* (ones(n) - sigmoid(x))");
    /* ⊙ commutes and scalars come out */
    expect(f, sg_hadamard(c, mul(f, f->beta, f->y), sg_hadamard(c, f->x, f->y)), "β(x ⊙ y ⊙ y)",
           NULL);
    /* σ(−a) = 𝟙 − σ(a) */
    expect(f, sg_unary(c, SG_OP_SIGMOID, sg_neg(c, f->x)), "𝟙 − σ(x)", "ones(n) - sigmoid(x)");
    expect(f, sg_unary(c, SG_OP_SIGMOID, sg_neg(c, f->beta)), "1 − σ(β)", "1 - sigmoid(beta)");
    /* f(sAᵀ) = f(sA)ᵀ, and Aᵀ ⊙ Bᵀ = (A ⊙ B)ᵀ */
    expect(f, sg_unary(c, SG_OP_TANH, T(f, f->W)), "tanh(W)ᵀ", "tanh(W)'");
    expect(f, sg_unary(c, SG_OP_TANH, mul(f, f->beta, T(f, f->W))), "tanh(βW)ᵀ", NULL);
    expect(f, sg_unary(c, SG_OP_SIGMOID, sg_neg(c, T(f, f->W))), "(𝟙𝟙ᵀ − σ(W))ᵀ", NULL);
    expect(f, sg_hadamard(c, T(f, f->A), T(f, f->B)), "(A ⊙ B)ᵀ", "(A .* B)'");
    /* ⟨I, A⟩ = tr(A) */
    expect(f, sg_dot(c, sg_eye(c, f->n), f->M), "tr(M)", "tr(M)");
}

/* forms another module produces must come through no longer than they went in */
static void test_keeps_closed_forms(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_shape col = sg_shape_make(f->m, SG_DIM_ONE);
    sg_expr *s = sg_unary(c, SG_OP_SOFTMAX, f->x), *X = f->W, *q, *D, *H;
    s->name = "s";
    expect(f, sub(f, sg_diag(c, s), mul(f, s, T(f, s))), "diag(s) − ssᵀ", "diag(s) - s * s'");
    /* Xᵀdiag(q ⊙ (𝟙 − q))X/N + βI, with X m×n */
    q = sg_unary(c, SG_OP_SIGMOID, mul(f, X, f->y));
    q->name = "q";
    D = sg_diag(c, sg_hadamard(c, q, sub(f, sg_ones(c, col), q)));
    H = add(f, sg_div(c, mul(f, T(f, X), mul(f, D, X)), sg_dimval(c, f->m)),
            mul(f, f->beta, sg_eye(c, f->n)));
    expect(f, H, "Wᵀ diag(q ⊙ (𝟙 − q))W/m + βI",
           "W' * diag(q .* (ones(m) - q)) * W / m + beta * eye(n)");
}

/* ½‖WᵀWx − x‖²: the gradients of a course solution */
static void test_autoencoder(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *W = f->M, *r, *L, *wrt[2], *out[2], *gW, *gx;
    char *t;
    r = sub(f, mul(f, T(f, W), mul(f, W, f->x)), f->x);
    L = mul(f, num(f, 0.5), sg_dot(c, r, r));
    wrt[0] = W;
    wrt[1] = f->x;
    sg_diff_grad(c, L, 2, wrt, out, NULL);
    gW = sg_simplify(c, out[0]);
    gx = sg_simplify(c, out[1]);
    same_value(f, out[0], gW, 1e-12);
    same_value(f, out[1], gx, 1e-12);
    r->name = "r"; /* only now: a named node is an atom to the simplifier */
    t = text(c, gW, 0);
    assert_string_equal(t, "M(xrᵀ + rxᵀ)");
    free(t);
    t = text(c, gx, 0);
    assert_string_equal(t, "MᵀMr − r");
    free(t);
    t = text(c, gW, 1);
    assert_string_equal(t, "M * (x * r' + r * x')");
    free(t);
    r->name = NULL;
}

/* −yᵀ log softmax(W₂ tanh(W₁x)): softmax(z) − y, sum(y) kept where y is free */
static void test_cross_entropy(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *z = mul(f, f->M, f->x), *L, *g, *d;
    z->name = "z";
    L = sg_neg(c, mul(f, T(f, f->y), sg_unary(c, SG_OP_LOG, sg_unary(c, SG_OP_SOFTMAX, z))));
    sg_diff_grad(c, L, 1, &z, &g, NULL);
    d = sg_simplify(c, g);
    same_value(f, g, d, 1e-12);
    assert_ptr_equal(sg_simplify(c, d), d);
    {
        char *t = text(c, d, 0);
        /* with a one-hot y, expr.c folds sum(y) to 1 */
        if (strcmp(t, "sum(y) softmax(z) − y") != 0 && strcmp(t, "softmax(z) − y") != 0)
            fail_msg("got \"%s\"", t);
        free(t);
    }
}

/* ---- random expressions ------------------------------------------------------ */

enum { K_SCALAR, K_VEC, K_ROW, K_MAT, K_RECT };

static int pick(fixture *f, int n)
{
    int k = (int)((uniform(f) + 1) / 2 * n);
    return k < n ? k : n - 1;
}

static sg_expr *gen(fixture *f, int kind, int depth);

static sg_expr *leaf(fixture *f, int kind)
{
    sg_ctx *c = f->ctx;
    switch (kind) {
    case K_SCALAR:
        switch (pick(f, 4)) {
        case 0: return f->beta;
        case 1: return f->gamma;
        case 2: return num(f, (double)(pick(f, 5) - 2) / 2 + 0.25);
        default: return sg_dimval(c, f->n);
        }
    case K_VEC:
        switch (pick(f, 4)) {
        case 0: return f->x;
        case 1: return f->y;
        case 2: return f->p;
        default: return sg_ones(c, sg_shape_make(f->n, SG_DIM_ONE));
        }
    case K_ROW:
        return T(f, leaf(f, K_VEC));
    case K_MAT:
        switch (pick(f, 4)) {
        case 0: return f->M;
        case 1: return f->S;
        case 2: return sg_eye(c, f->n);
        default: return mul(f, f->A, f->W);
        }
    default:
        return pick(f, 2) ? f->W : T(f, f->A);
    }
}

static sg_expr *gen(fixture *f, int kind, int depth)
{
    sg_ctx *c = f->ctx;
    static const sg_op fns[] = {SG_OP_TANH, SG_OP_SIGMOID, SG_OP_SIN};
    int r;
    if (depth == 0)
        return leaf(f, kind);
    r = pick(f, 9);
    switch (r) {
    case 0: return add(f, gen(f, kind, depth - 1), gen(f, kind, depth - 1));
    case 1: return sub(f, gen(f, kind, depth - 1), gen(f, kind, depth - 1));
    case 2: return mul(f, gen(f, K_SCALAR, depth - 1), gen(f, kind, depth - 1));
    case 3: /* products */
        switch (kind) {
        case K_SCALAR: return mul(f, gen(f, K_ROW, depth - 1), gen(f, K_VEC, depth - 1));
        case K_VEC: return mul(f, gen(f, K_MAT, depth - 1), gen(f, K_VEC, depth - 1));
        case K_ROW: return mul(f, gen(f, K_ROW, depth - 1), gen(f, K_MAT, depth - 1));
        case K_MAT:
            if (pick(f, 2))
                return mul(f, gen(f, K_VEC, depth - 1), gen(f, K_ROW, depth - 1));
            return mul(f, gen(f, K_MAT, depth - 1), gen(f, K_MAT, depth - 1));
        default: return mul(f, gen(f, K_RECT, depth - 1), gen(f, K_MAT, depth - 1));
        }
    case 4: /* transposes */
        switch (kind) {
        case K_VEC: return T(f, gen(f, K_ROW, depth - 1));
        case K_ROW: return T(f, gen(f, K_VEC, depth - 1));
        case K_MAT: return T(f, gen(f, K_MAT, depth - 1));
        default: return gen(f, kind, depth - 1);
        }
    case 5:
        if (kind == K_SCALAR)
            return sg_dot(c, gen(f, K_VEC, depth - 1), gen(f, K_VEC, depth - 1));
        return sg_hadamard(c, gen(f, kind, depth - 1), gen(f, kind, depth - 1));
    case 6:
        return sg_unary(c, fns[pick(f, 3)], gen(f, kind, depth - 1));
    case 7:
        if (kind == K_SCALAR)
            return sg_sum(c, gen(f, K_VEC, depth - 1));
        return sg_neg(c, gen(f, kind, depth - 1));
    default:
        if (kind == K_SCALAR)
            return sg_trace(c, gen(f, K_MAT, depth - 1));
        if (kind == K_VEC) /* a sum of a few shared terms */
            return sub(f, mul(f, f->M, f->x), mul(f, gen(f, K_SCALAR, depth - 1), f->x));
        return gen(f, kind, depth - 1);
    }
}

/* random expressions keep their values and simplify to a fixed point */
static void test_random(void **state)
{
    fixture *f = *state;
    int i;
    for (i = 0; i < 600; i++) {
        int kind = i % 5, depth = 1 + i % 6;
        sg_expr *e = gen(f, kind, depth), *s = sg_simplify(f->ctx, e), *s2;
        same_value(f, e, s, 1e-10);
        s2 = sg_simplify(f->ctx, s);
        if (s2 != s) {
            char *a = text(f->ctx, s, 0), *b = text(f->ctx, s2, 0);
            fail_msg("case %d: not a fixed point: \"%s\" then \"%s\"", i, a, b);
        }
    }
}

/* the same random expressions under a gradient, as differentiation builds them */
static void test_random_gradients(void **state)
{
    fixture *f = *state;
    int i;
    for (i = 0; i < 200; i++) {
        sg_expr *L = gen(f, K_SCALAR, 1 + i % 5), *wrt[3], *out[3];
        int k;
        wrt[0] = f->x;
        wrt[1] = f->M;
        wrt[2] = f->beta;
        sg_diff_grad(f->ctx, L, 3, wrt, out, NULL);
        for (k = 0; k < 3; k++) {
            sg_expr *s = sg_simplify(f->ctx, out[k]), *s2;
            same_value(f, out[k], s, 1e-10);
            s2 = sg_simplify(f->ctx, s);
            if (s2 != s) {
                char *a = text(f->ctx, s, 0), *b = text(f->ctx, s2, 0);
                fail_msg("case %d.%d: not a fixed point: \"%s\" then \"%s\"", i, k, a, b);
            }
        }
    }
}

/* 10000 levels deep: no recursion along the depth, no quadratic blowup */
static void test_deep(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *sum = f->x, *prod = f->x, *fn = f->x, *mix = f->x, *s;
    int i;
    for (i = 0; i < 10000; i++) {
        sum = add(f, sum, mul(f, num(f, (double)(i % 7) - 3), i % 2 ? f->y : f->p));
        fn = sg_unary(c, i % 2 ? SG_OP_TANH : SG_OP_SIN, fn);
        mix = i % 3 ? add(f, mix, f->y) : sg_unary(c, SG_OP_TANH, mix);
    }
    for (i = 0; i < 10000; i++)
        prod = mul(f, i % 2 ? f->S : T(f, f->M), sg_unary(c, SG_OP_TANH, prod));
    s = sg_simplify(c, sum);
    same_value(f, sum, s, 1e-9);
    s = sg_simplify(c, fn);
    same_value(f, fn, s, 1e-12);
    s = sg_simplify(c, mix);
    assert_non_null(s);
    s = sg_simplify(c, prod);
    assert_non_null(s);
}

/* the entries of e, summed, at the fixture's values */
static double entry_sum(fixture *f, const sg_expr *e)
{
    sg_eval *ev = sg_eval_new(f->ctx, f->dims, f->syms);
    const double *v = sg_eval_expr(ev, e);
    long k, n = sg_eval_rows(ev, e->shape) * sg_eval_cols(ev, e->shape);
    double s = 0;
    assert_non_null(v);
    for (k = 0; k < n; k++)
        s += v[k];
    sg_eval_free(ev);
    return s;
}

/*
 * Layer norm's c = x − μ𝟙 (μ the mean of x) sums to zero, and so does
 * every scaling, transpose and sum of such values: sum() of one is 0 when
 * built, and the simplifier drops such terms from a sum's argument
 * (𝟙ᵀ(y + βc) = 𝟙ᵀy). Each claim is checked against the interpreter, and
 * the near misses (the mean of another vector, a plus sign, a product) are
 * not taken for centred.
 */
static void test_centred_sums(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_shape col = f->x->shape, mat = f->W->shape;
    sg_expr *mean_x = sg_div(c, sg_sum(c, f->x), sg_dimval(c, f->n));
    sg_expr *cx = sub(f, f->x, sg_fill(c, mean_x, col));
    sg_expr *mean_w = sg_div(c, sg_sum(c, f->W), mul(f, sg_dimval(c, f->m), sg_dimval(c, f->n)));
    sg_expr *cw = sub(f, f->W, sg_fill(c, mean_w, mat));
    sg_expr *z = sg_div(c, cx, f->beta);
    sg_expr *yes[5], *no[4];
    int i;
    yes[0] = cx;
    yes[1] = cw;
    yes[2] = z;
    yes[3] = T(f, cw);
    yes[4] = add(f, z, mul(f, f->gamma, cx));
    no[0] = sub(f, f->y, sg_fill(c, mean_x, col));     /* y − mean(x)𝟙 */
    no[1] = add(f, f->x, sg_fill(c, mean_x, col));     /* x + mean(x)𝟙 */
    no[2] = sg_hadamard(c, cx, f->y);                  /* c ⊙ y */
    no[3] = add(f, cx, f->y);                          /* c + y */
    for (i = 0; i < 5; i++) {
        assert_true(sg_expr_sums_to_zero(yes[i]));
        assert_true(fabs(entry_sum(f, yes[i])) < 1e-12);
        assert_true(sg_expr_is_const(sg_sum(c, yes[i]), 0));
    }
    for (i = 0; i < 4; i++) {
        assert_false(sg_expr_sums_to_zero(no[i]));
        assert_true(fabs(entry_sum(f, no[i])) > 1e-6);
        assert_int_equal(sg_sum(c, no[i])->op, SG_OP_SUM);
    }
    /* the simplifier: the centred terms of a summed sum drop out */
    expect(f, sg_sum(c, add(f, f->y, mul(f, f->beta, cx))), "sum(y)", "sum(y)");
    expect(f, sg_sum(c, sub(f, z, f->y)), "−sum(y)", "-sum(y)");
    expect(f, sg_sum(c, add(f, f->W, mul(f, sg_dot(c, f->x, f->y), cw))), "sum(W)", "sum(W)");
}

/*
 * A quotient cancels against a factor it divides (x · (1/x), x ⊙ (a ⊘ x)),
 * and a sum that holds such a quotient is distributed so that it can: the
 * logistic loss's written gradient σ′ · ∂L/∂p is p(1 − p)((1 − y)/(1 − p)
 * − y/p), which a course writes p − y; the same with ⊙ and ⊘ for vectors.
 * The values are checked with the interpreter (same_value, in expect()).
 */
static void test_quotients_cancel(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *p = f->beta, *y = f->gamma, *one = num(f, 1);
    sg_expr *q = sub(f, one, p);
    sg_expr *dp = sub(f, sg_hdiv(c, sub(f, one, y), q), sg_hdiv(c, y, p));
    sg_expr *ones = sg_ones(c, f->x->shape), *vq = sub(f, ones, f->p);
    sg_expr *vdp = sub(f, sg_hdiv(c, sub(f, ones, f->y), vq), sg_hdiv(c, f->y, f->p));
    expect(f, mul(f, mul(f, p, q), dp), "β − γ", "beta - gamma");
    expect(f, sg_hadamard(c, sg_hadamard(c, f->p, vq), vdp), "p − y", "p - y");
    /* a ⊘ a is 𝟙, alone or in a chain */
    expect(f, sg_hdiv(c, vq, vq), "𝟙", NULL);
    expect(f, sg_hadamard(c, f->y, sg_hdiv(c, f->p, f->p)), "y", "y");
    /* β cancels its quotient, 1 − β is not a factor: that one stays */
    expect(f, mul(f, mul(f, p, y), dp), "γ(β(1 − γ)/(1 − β) − γ)", NULL);
    /* no factor divides anything: nothing is distributed */
    expect(f, mul(f, mul(f, y, y), dp), "γ²((1 − γ)/(1 − β) − γ/β)", NULL);
}

/* (A ⊗ B)(C ⊗ D) = AC ⊗ BD when both products conform (the mixed-product
   property), checked by value; I·I is I, so (I ⊗ W)(I ⊗ A) = I ⊗ WA */
static void test_kron_mixed_product(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *I = sg_eye(c, f->m);
    expect(f, mul(f, sg_kron(c, I, f->W), sg_kron(c, I, f->A)), "I ⊗ (WA)", NULL);
    expect(f, mul(f, sg_kron(c, f->M, f->W), sg_kron(c, f->S, f->A)), "MS ⊗ (WA)", NULL);
    /* a chain of three merges into one */
    expect(f, mul(f, mul(f, sg_kron(c, I, f->W), sg_kron(c, I, f->A)), sg_kron(c, I, f->W)),
           "I ⊗ (WAW)", NULL);
    /* the product conforms (m²×n by n×m) but its sides do not (W is m×n,
       vᵀ 1×m): kept as it is */
    expect(f, mul(f, sg_kron(c, f->W, f->u), sg_kron(c, T(f, f->v), f->x)), "(W ⊗ u)(vᵀ ⊗ x)",
           NULL);
}

/* the scratch bytes (sg_ctx_scratch) and the work (sg_ctx_work) one
   sg_simplify of e takes */
static void cost_of(fixture *f, sg_expr *e, unsigned long *bytes, unsigned long *work)
{
    unsigned long b0 = sg_ctx_scratch(f->ctx), w0 = sg_ctx_work(f->ctx);
    sg_expr *s = sg_simplify(f->ctx, e);
    assert_non_null(s);
    *bytes = sg_ctx_scratch(f->ctx) - b0;
    *work = sg_ctx_work(f->ctx) - w0;
}

/*
 * A small value in a large DAG costs its own size: the printers simplify
 * each of k values, and scratch sized by every node made (as the passes'
 * tables once were) made that O(k · DAG). The same root, simplified before
 * and after 60 000 unrelated nodes are made, takes the same scratch and the
 * same work.
 */
static void test_scratch_is_local(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *small = add(f, sg_hadamard(c, f->x, add(f, f->y, f->x)), mul(f, f->S, f->p));
    sg_expr *big = f->x;
    unsigned long b1, w1, b2, w2;
    int i;
    cost_of(f, small, &b1, &w1);
    for (i = 0; i < 20000; i++)
        big = add(f, sg_hadamard(c, big, f->y), mul(f, num(f, i), f->p));
    assert_true(sg_expr_count(c) > 60000);
    cost_of(f, small, &b2, &w2);
    assert_int_equal(b1, b2);
    assert_int_equal(w1, w2);
    assert_true(b2 < 16384); /* the old tables took ~40 bytes a node: 2.4 MB */
}

/* a ⊙ chain of n factors: factors cycle through a few vectors and functions
   of them, so that sorting has work to do */
static sg_expr *hadamard_chain(fixture *f, int n)
{
    sg_expr *leaf[6], *h;
    int i;
    leaf[0] = f->x;
    leaf[1] = f->y;
    leaf[2] = f->p;
    leaf[3] = sg_unary(f->ctx, SG_OP_TANH, f->x);
    leaf[4] = sg_unary(f->ctx, SG_OP_EXP, f->y);
    leaf[5] = sg_unary(f->ctx, SG_OP_SIN, f->p);
    h = leaf[0];
    for (i = 1; i < n; i++)
        h = sg_hadamard(f->ctx, h, leaf[(i * 5) % 6]);
    return h;
}

/*
 * A ⊙ chain is flattened and sorted once, at its top: each link given its
 * own sorted form rebuilt the chain under it again, quadratic in its length.
 * Doubling the chain about doubles the work (n log n), not quadruples it,
 * and the result is sorted and a fixed point.
 */
static void test_hadamard_chain_linear(void **state)
{
    fixture *f = *state;
    sg_expr *h1 = hadamard_chain(f, 1000), *h2 = hadamard_chain(f, 2000), *s, *x;
    unsigned long b1, w1, b2, w2;
    int n = 0, runs = 1;
    cost_of(f, h1, &b1, &w1);
    cost_of(f, h2, &b2, &w2);
    assert_true(w2 < 3 * w1);
    assert_true(b2 < 3 * b1);
    s = sg_simplify(f->ctx, h2);
    assert_ptr_equal(sg_simplify(f->ctx, s), s);
    /* the left-deep chain of 2000 sorted factors: each of the 6 in one run */
    for (x = s; x->op == SG_OP_HADAMARD; x = x->kid[0], n++)
        runs += (x->kid[0]->op == SG_OP_HADAMARD ? x->kid[0]->kid[1] : x->kid[0]) != x->kid[1];
    assert_int_equal(n, 1999);
    assert_int_equal(runs, 6);
    same_value(f, h2, s, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transposes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_centred_sums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotients_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_is_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hadamard_chain_linear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signs_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_factoring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elementwise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeps_closed_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autoencoder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_entropy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_gradients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kron_mixed_product, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
