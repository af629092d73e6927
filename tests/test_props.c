/*
 * test_props.c: the proofs of symmetry, definiteness and sign (props.c),
 * each claim checked twice: against the answer worked out by hand, and in
 * numbers, on random instances evaluated with the interpreter (a claimed
 * symmetric value equals its transpose, a claimed definite one has a
 * Cholesky factor, a claimed signed one has its sign in every entry).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symbolic/eval.h"
#include "symbolic/expr.h"
#include "symbolic/props.h"

#define N 3
#define TRIALS 25

typedef struct {
    sg_ctx *ctx;
    sg_dim n;
    sg_expr *A, *B, *S, *x, *s; /* A, B ∈ ℝ^{3×3}, S ∈ 𝕊₊₊³, x ∈ ℝ³, s ∈ ℝ */
    double vA[N * N], vB[N * N], vS[N * N], vx[N], vs[1];
    const double *syms[8];
    long dims[4];
    unsigned long seed;
} fixture;

static sg_expr *input(fixture *f, const char *name, sg_shape shape, unsigned props, double *v)
{
    sg_span sp = {0, 0};
    int sym = sg_sym_add(f->ctx, name, shape, props, sp);
    f->syms[sym] = v;
    return sg_var(f->ctx, sym);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sg_shape sq;
    f->ctx = sg_ctx_new();
    f->n = sg_dim_const(f->ctx, N);
    sq = sg_shape_make(f->n, f->n);
    f->A = input(f, "A", sq, SG_PROP_NONE, f->vA);
    f->B = input(f, "B", sq, SG_PROP_NONE, f->vB);
    f->S = input(f, "S", sq, SG_PROP_SYMMETRIC | SG_PROP_SPD, f->vS);
    f->x = input(f, "x", sg_shape_make(f->n, SG_DIM_ONE), SG_PROP_NONE, f->vx);
    f->s = input(f, "s", sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), SG_PROP_NONE, f->vs);
    f->seed = 12345;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* uniform in [−2, 2): a small LCG, so that the runs repeat */
static double rnd(fixture *f)
{
    f->seed = f->seed * 6364136223846793005ul + 1442695040888963407ul;
    return (double)((f->seed >> 33) % 100000) / 25000.0 - 2;
}

/* fresh values for every input; S = MMᵀ + I/10 is positive definite, as declared */
static void draw(fixture *f)
{
    double M[N * N];
    int i, j, k;
    for (i = 0; i < N * N; i++) {
        f->vA[i] = rnd(f);
        f->vB[i] = rnd(f);
        M[i] = rnd(f);
    }
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            double v = i == j ? 0.1 : 0;
            for (k = 0; k < N; k++)
                v += M[i * N + k] * M[j * N + k];
            f->vS[i * N + j] = v;
        }
    for (i = 0; i < N; i++)
        f->vx[i] = rnd(f);
    f->vs[0] = rnd(f);
}

/* a Cholesky factorization of the n×n v + shift·I: every pivot > 0 */
static int cholesky(const double *v, int n, double shift)
{
    double L[N * N];
    int i, j, k;
    for (i = 0; i < n; i++)
        for (j = 0; j <= i; j++) {
            double sum = v[i * n + j] + (i == j ? shift : 0);
            for (k = 0; k < j; k++)
                sum -= L[i * n + k] * L[j * n + k];
            if (i == j) {
                if (!(sum > 0))
                    return 0;
                L[i * n + i] = sqrt(sum);
            } else {
                L[i * n + j] = sum / L[j * n + j];
            }
        }
    return 1;
}

/* the largest entry of v, for relative tolerances */
static double scale_of(const double *v, long n)
{
    double m = 1;
    long i;
    for (i = 0; i < n; i++)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}

/* every claim props.c makes about e, checked on TRIALS random instances */
static void check_numbers(fixture *f, const sg_expr *e)
{
    int sym = sg_props_symmetric(f->ctx, e), pd = sg_props_definite(f->ctx, e, 1),
        psd = sg_props_definite(f->ctx, e, 0), pos = sg_props_signed(f->ctx, e, 1),
        nonneg = sg_props_signed(f->ctx, e, 0), trial;
    /* the strict claims imply the weak ones */
    assert_true(!pd || psd);
    assert_true(!pos || nonneg);
    assert_true(!psd || sym);
    for (trial = 0; trial < TRIALS; trial++) {
        sg_eval *ev;
        const double *v;
        long r, c, i, j;
        double tol;
        draw(f);
        ev = sg_eval_new(f->ctx, f->dims, f->syms);
        v = sg_eval_expr(ev, e);
        assert_non_null(v);
        r = sg_eval_rows(ev, e->shape);
        c = sg_eval_cols(ev, e->shape);
        tol = 1e-9 * scale_of(v, r * c);
        for (i = 0; i < r * c; i++) {
            if (pos && !(v[i] > 0))
                fail_msg("claimed > 0: entry %ld is %g (trial %d)", i, v[i], trial);
            if (nonneg && !(v[i] >= 0))
                fail_msg("claimed ≥ 0: entry %ld is %g (trial %d)", i, v[i], trial);
        }
        if (sym)
            for (i = 0; i < r; i++)
                for (j = 0; j < i; j++)
                    if (!(fabs(v[i * c + j] - v[j * c + i]) <= tol))
                        fail_msg("claimed symmetric: (%ld,%ld) is %g, (%ld,%ld) is %g", i, j,
                                 v[i * c + j], j, i, v[j * c + i]);
        if (pd && !cholesky(v, (int)r, 0))
            fail_msg("claimed positive definite: no Cholesky factor (trial %d)", trial);
        /* semidefinite: a factor once the rounding is shifted away */
        if (psd && !cholesky(v, (int)r, tol))
            fail_msg("claimed positive semidefinite: no Cholesky factor (trial %d)", trial);
        sg_eval_free(ev);
    }
}

typedef int (*claim_fn)(const sg_ctx *ctx, const sg_expr *e, int strict);

/* claim(e, 1) is `strict` and claim(e, 0) is `weak` for each of the n
   expressions, and every claim holds in numbers */
static void expect(fixture *f, claim_fn claim, sg_expr **e, size_t n, int strict, int weak)
{
    size_t i;
    for (i = 0; i < n; i++) {
        assert_int_equal(claim(f->ctx, e[i], 1) != 0, strict);
        assert_int_equal(claim(f->ctx, e[i], 0) != 0, weak);
        check_numbers(f, e[i]);
    }
}

static sg_expr *tr(fixture *f, sg_expr *a)
{
    return sg_transpose(f->ctx, a);
}

static sg_expr *mul(fixture *f, sg_expr *a, sg_expr *b)
{
    return sg_mul(f->ctx, a, b);
}

static sg_expr *unary(fixture *f, sg_op op, sg_expr *a)
{
    return sg_unary(f->ctx, op, a);
}

static sg_expr *eye(fixture *f)
{
    return sg_eye(f->ctx, f->n);
}

static void test_definite(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *AAt = mul(f, f->A, tr(f, f->A)), *AtA = mul(f, tr(f, f->A), f->A);
    sg_expr *ASAt = mul(f, f->A, mul(f, f->S, tr(f, f->A)));
    sg_expr *es = unary(f, SG_OP_EXP, f->s);
    sg_expr *pd[] = {
        f->S, eye(f), tr(f, f->S), unary(f, SG_OP_INV, f->S), sg_add(c, f->S, AAt),
        sg_add(c, AtA, eye(f)), sg_add(c, ASAt, eye(f)), mul(f, es, f->S),
        mul(f, sg_const(c, 2), sg_add(c, AAt, f->S)), sg_diag(c, unary(f, SG_OP_EXP, f->x)),
        sg_add(c, AAt, mul(f, es, eye(f))),
        sg_add(c, mul(f, f->B, mul(f, AAt, tr(f, f->B))), f->S),
    };
    sg_expr *psd[] = {
        AAt, AtA, ASAt, mul(f, AAt, AAt), sg_ones(c, sg_shape_make(f->n, f->n)),
        sg_zero(c, sg_shape_make(f->n, f->n)), sg_diag(c, unary(f, SG_OP_ABS, f->x)),
        mul(f, f->B, mul(f, AAt, tr(f, f->B))), mul(f, f->A, mul(f, f->B, mul(f, tr(f, f->B), tr(f, f->A)))),
        sg_fill(c, sg_pow(c, f->s, sg_const(c, 2)), sg_shape_make(f->n, f->n)),
    };
    sg_expr *neither[] = {
        f->A, sg_add(c, f->A, tr(f, f->A)), sg_neg(c, f->S), sg_sub(c, f->S, eye(f)),
        mul(f, f->s, f->S), mul(f, f->A, f->A), mul(f, f->S, f->A), sg_diag(c, f->x),
        mul(f, f->A, mul(f, f->B, tr(f, f->A))),
    };
    expect(f, sg_props_definite, pd, sizeof pd / sizeof *pd, 1, 1);
    expect(f, sg_props_definite, psd, sizeof psd / sizeof *psd, 0, 1);
    expect(f, sg_props_definite, neither, sizeof neither / sizeof *neither, 0, 0);
    /* a non-square matrix is never definite */
    assert_false(sg_props_definite(c, mul(f, f->x, tr(f, f->x)), 1));
}

/* the Gram rule holds for long products too (up to its bound, props.c) */
static void test_long_gram(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *g = f->S;
    int k;
    for (k = 0; k < 10; k++) /* A B A B … S … Bᵀ Aᵀ Bᵀ Aᵀ: 21 factors */
        g = mul(f, k % 2 ? f->A : f->B, mul(f, g, tr(f, k % 2 ? f->A : f->B)));
    assert_true(sg_props_symmetric(c, g));
    assert_true(sg_props_definite(c, g, 0));
    assert_true(sg_props_definite(c, sg_add(c, g, eye(f)), 1));
    for (; k < 40; k++) /* 81 factors: past the bound, not proven */
        g = mul(f, k % 2 ? f->A : f->B, mul(f, g, tr(f, k % 2 ? f->A : f->B)));
    assert_false(sg_props_symmetric(c, g));
    assert_false(sg_props_definite(c, g, 0));
}

static void test_signed(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *x = f->x, *ex = unary(f, SG_OP_EXP, x);
    sg_expr *ones = sg_ones(c, x->shape);
    sg_expr *pos[] = {
        ex, unary(f, SG_OP_SIGMOID, x), unary(f, SG_OP_SOFTPLUS, x), sg_const(c, 0.5),
        sg_dimval(c, f->n), sg_add(c, ex, unary(f, SG_OP_ABS, x)),
        sg_hdiv(c, ex, sg_add(c, ones, ex)), sg_hadamard(c, ex, unary(f, SG_OP_SIGMOID, x)),
        mul(f, unary(f, SG_OP_EXP, f->s), ex), unary(f, SG_OP_SQRT, ex),
        sg_pow(c, ex, f->s), tr(f, ex), unary(f, SG_OP_COSH, x), unary(f, SG_OP_SINH, ex),
        unary(f, SG_OP_ARCTAN, ex), unary(f, SG_OP_ERF, ex), unary(f, SG_OP_SIGN, ex),
        unary(f, SG_OP_ARCSIN, unary(f, SG_OP_SIGMOID, x)),
    };
    sg_expr *nonneg[] = {
        unary(f, SG_OP_ABS, x), unary(f, SG_OP_RELU, x), unary(f, SG_OP_STEP, x),
        unary(f, SG_OP_NORM, x), unary(f, SG_OP_NORM1, x), sg_dot(c, x, x),
        sg_pow(c, x, sg_const(c, 2)), sg_pow(c, x, sg_const(c, 4)), sg_zero(c, x->shape),
        sg_add(c, unary(f, SG_OP_RELU, x), unary(f, SG_OP_ABS, x)),
        sg_hdiv(c, unary(f, SG_OP_ABS, x), ex), unary(f, SG_OP_ARCCOS, unary(f, SG_OP_TANH, x)),
        unary(f, SG_OP_SINH, unary(f, SG_OP_ABS, x)), unary(f, SG_OP_SIGN, unary(f, SG_OP_RELU, x)),
    };
    sg_expr *neither[] = {
        x, f->s, sg_neg(c, ex), unary(f, SG_OP_TANH, x), sg_pow(c, x, sg_const(c, 3)),
        sg_sub(c, ex, ones), sg_hadamard(c, x, x), sg_hdiv(c, ex, x), sg_const(c, -1),
        unary(f, SG_OP_TAN, ex), unary(f, SG_OP_LOG2, ex), unary(f, SG_OP_SINH, x),
        unary(f, SG_OP_ERF, x), unary(f, SG_OP_SIGN, x), unary(f, SG_OP_ARCTAN, x),
    };
    expect(f, sg_props_signed, pos, sizeof pos / sizeof *pos, 1, 1);
    expect(f, sg_props_signed, nonneg, sizeof nonneg / sizeof *nonneg, 0, 1);
    expect(f, sg_props_signed, neither, sizeof neither / sizeof *neither, 0, 0);
}

static void test_symmetric(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *AAt = mul(f, f->A, tr(f, f->A));
    sg_expr *sym[] = {
        f->S, AAt, mul(f, f->S, f->S), sg_hadamard(c, f->S, AAt),
        unary(f, SG_OP_TANH, f->S), mul(f, f->A, mul(f, sg_add(c, f->S, AAt), tr(f, f->A))),
        /* X + Xᵀ, X ⊙ Xᵀ, and ⊗ of symmetric factors ((B + Bᵀ) ⊗ I, I ⊗ VᵀV) */
        sg_add(c, f->A, tr(f, f->A)), sg_hadamard(c, tr(f, f->A), f->A),
        sg_kron(c, sg_add(c, f->A, tr(f, f->A)), sg_eye(c, f->A->shape.rows)),
        sg_kron(c, f->S, AAt),
    };
    sg_expr *not_sym[] = {f->A, mul(f, f->S, f->A), mul(f, f->A, mul(f, f->B, tr(f, f->A))),
                          sg_add(c, f->A, tr(f, f->B)), sg_kron(c, f->A, f->S),
                          sg_kron(c, f->S, f->A)};
    size_t i;
    for (i = 0; i < sizeof sym / sizeof *sym; i++) {
        assert_true(sg_props_symmetric(c, sym[i]));
        check_numbers(f, sym[i]);
    }
    for (i = 0; i < sizeof not_sym / sizeof *not_sym; i++) {
        assert_false(sg_props_symmetric(c, not_sym[i]));
        check_numbers(f, not_sym[i]);
    }
    assert_true(sg_props_transposes(c, f->A, tr(f, f->A)));
    assert_true(sg_props_transposes(c, tr(f, f->A), f->A));
    assert_true(sg_props_transposes(c, f->S, f->S));
    assert_false(sg_props_transposes(c, f->A, f->A));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_definite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_gram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symmetric, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
