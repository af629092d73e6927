/*
 * test_diff.c: every derivative rule, checked against central finite
 * differences of the interpreter, then whole problems (an autoencoder, an
 * MLP, a batch through softmax, a Gaussian-process-like loss).
 *
 * For an op g the scalar checked is f = ⟨C, g(X)⟩ with C a random input of
 * g's shape (f = g when g is 1×1), so every entry of the adjoint matters.
 * Inputs are random but deterministic, and kept away from kinks and domain
 * edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolic/diff.h"
#include "symbolic/eval.h"
#include "symbolic/expr.h"
#include "symbolic/props.h"

#define MAXSYMS 128

typedef struct {
    sg_ctx *ctx;
    long dims[16];
    double *vals[MAXSYMS];
    uint64_t rng;
    sg_dim n, m, p, N;
    int nchecked; /* entries compared so far */
} T;

static int setup(void **state)
{
    T *t = malloc(sizeof *t);
    memset(t, 0, sizeof *t);
    t->ctx = sg_ctx_new();
    t->rng = 0x9e3779b97f4a7c15ull;
    t->n = sg_dim_named(t->ctx, "n");
    t->m = sg_dim_named(t->ctx, "m");
    t->p = sg_dim_named(t->ctx, "p");
    t->N = sg_dim_named(t->ctx, "N");
    t->dims[t->n] = 3;
    t->dims[t->m] = 4;
    t->dims[t->p] = 5;
    t->dims[t->N] = 2;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    int i;
    for (i = 0; i < MAXSYMS; i++)
        if (t->vals[i])
            free(t->vals[i]);
    sg_ctx_free(t->ctx);
    free(t);
    return 0;
}

/* xorshift64*: deterministic on every platform */
static double urand(T *t)
{
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (double)((t->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double uniform(T *t, double lo, double hi)
{
    return lo + (hi - lo) * urand(t);
}

static long rows(T *t, sg_shape s)
{
    const sg_diminfo *d = sg_dim_get(t->ctx, s.rows);
    return d->name ? t->dims[s.rows] : d->value;
}

static long cols(T *t, sg_shape s)
{
    const sg_diminfo *d = sg_dim_get(t->ctx, s.cols);
    return d->name ? t->dims[s.cols] : d->value;
}

/*
 * A new input symbol with entries uniform in [lo, hi]; with sgn, the
 * magnitude is drawn from [lo, hi] and the sign at random (away from 0).
 */
static sg_expr *input_ex(T *t, sg_shape s, unsigned props, double lo, double hi, int sgn)
{
    sg_span sp = {0, 0};
    char name[16];
    int sym;
    long r = rows(t, s), c = cols(t, s), i, j;
    double *v;
    snprintf(name, sizeof name, "in%d", sg_sym_count(t->ctx));
    sym = sg_sym_add(t->ctx, name, s, props, sp);
    assert_true(sym < MAXSYMS);
    v = malloc((size_t)(r * c) * sizeof *v);
    for (i = 0; i < r * c; i++) {
        v[i] = uniform(t, lo, hi);
        if (sgn && urand(t) < 0.5)
            v[i] = -v[i];
    }
    if (props & (SG_PROP_SYMMETRIC | SG_PROP_SPD))
        for (i = 0; i < r; i++)
            for (j = 0; j < i; j++)
                v[j * c + i] = v[i * c + j];
    t->vals[sym] = v;
    return sg_var(t->ctx, sym);
}

static sg_expr *input(T *t, sg_dim r, sg_dim c, double lo, double hi)
{
    return input_ex(t, sg_shape_make(r, c), 0, lo, hi, 0);
}

/* a square matrix near a·I: well conditioned, det of sign(a)ⁿ */
static sg_expr *near_identity(T *t, sg_dim n, double a, unsigned props)
{
    sg_expr *e = input_ex(t, sg_shape_make(n, n), props, -0.3, 0.3, 0);
    double *v = t->vals[e->sym];
    long k = rows(t, e->shape), i;
    for (i = 0; i < k; i++)
        v[i * k + i] += a;
    return e;
}

static double value(T *t, sg_expr *f)
{
    sg_eval *ev = sg_eval_new(t->ctx, t->dims, (const double *const *)t->vals);
    const double *v = sg_eval_expr(ev, f);
    double r;
    assert_non_null(v);
    r = v[0];
    sg_eval_free(ev);
    return r;
}

/* ∇ₓf by sg_diff_grad against central differences, entry by entry */
static void check_grad(T *t, sg_expr *f, sg_expr *x)
{
    sg_expr *g;
    sg_log *log = sg_log_new(t->ctx);
    sg_eval *ev;
    const double *gv;
    double *xv = t->vals[x->sym];
    long n = rows(t, x->shape) * cols(t, x->shape), i;

    assert_true(sg_shape_is_scalar(f->shape));
    assert_int_equal(x->op, SG_OP_VAR);
    sg_diff_grad(t->ctx, f, 1, &x, &g, log);
    assert_true(sg_shape_eq(g->shape, x->shape));
    assert_true(log->nsteps >= 1);
    assert_int_equal(log->steps[0].kind, SG_STEP_SEED);

    ev = sg_eval_new(t->ctx, t->dims, (const double *const *)t->vals);
    gv = sg_eval_expr(ev, g);
    assert_non_null(gv);
    for (i = 0; i < n; i++) {
        double x0 = xv[i], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1);
        double fp, fm, fd, tol, hh;
        xv[i] = x0 + h;
        fp = value(t, f);
        hh = xv[i];
        xv[i] = x0 - h;
        fm = value(t, f);
        hh -= xv[i]; /* the step actually taken */
        xv[i] = x0;
        fd = (fp - fm) / hh;
        /* relative 1e-6, plus the rounding error of the difference itself */
        tol = 1e-6 * (fabs(gv[i]) > 1 ? fabs(gv[i]) : 1) +
              16 * DBL_EPSILON * (fabs(fp) > fabs(fm) ? fabs(fp) : fabs(fm)) / hh;
        if (!(fabs(fd - gv[i]) <= tol))
            fail_msg("∂f/∂%s[%ld]: rule %.12g, central difference %.12g",
                     sg_sym_get(t->ctx, x->sym)->name, i, gv[i], fd);
        t->nchecked++;
    }
    sg_eval_free(ev);
}

/* f = ⟨C, g⟩ for a random constant C (f = g when g is 1×1) */
static sg_expr *probe(T *t, sg_expr *g)
{
    if (sg_shape_is_scalar(g->shape))
        return g;
    return sg_dot(t->ctx, input_ex(t, g->shape, 0, -1, 1, 0), g);
}

static void check_op(T *t, sg_expr *g, sg_expr *x)
{
    check_grad(t, probe(t, g), x);
}

static sg_shape shp(sg_dim r, sg_dim c)
{
    return sg_shape_make(r, c);
}

/* ---- linear structure --------------------------------------------------- */

static void test_add(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->n, t->m, -1, 1), *Y = input(t, t->n, t->m, -1, 1);
    sg_expr *g = sg_add(c, X, Y);
    check_op(t, g, X);
    check_op(t, g, Y);
    check_op(t, sg_sub(c, X, sg_mul(c, sg_const(c, 3), Y)), Y);
    check_op(t, sg_add(c, X, X), X);
    check_op(t, sg_neg(c, X), X);
}

static void test_mul(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *A = input(t, t->m, t->n, -1, 1), *B = input(t, t->n, t->N, -1, 1);
    sg_expr *S = input(t, t->n, t->n, -1, 1), *x = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *g = sg_mul(c, A, B);
    check_op(t, g, A);
    check_op(t, g, B);
    check_op(t, sg_mul(c, S, S), S); /* both factors land on S */
    check_op(t, sg_mul(c, sg_mul(c, sg_transpose(c, A), A), x), A);
    check_op(t, sg_mul(c, sg_transpose(c, x), x), x); /* xᵀx: 1×1 product */
    check_op(t, sg_mul(c, x, sg_transpose(c, x)), x); /* outer product */
}

static void test_scaling(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *s = input(t, SG_DIM_ONE, SG_DIM_ONE, -2, 2), *u = input(t, SG_DIM_ONE, SG_DIM_ONE, -2, 2);
    sg_expr *X = input(t, t->n, t->m, -1, 1);
    sg_expr *g = sg_mul(c, s, X);
    check_op(t, g, s);
    check_op(t, g, X);
    check_op(t, sg_mul(c, s, u), s);
    check_op(t, sg_mul(c, s, s), s);
    check_op(t, sg_mul(c, s, sg_mul(c, u, X)), u);
    check_op(t, sg_div(c, X, s), s);
    check_op(t, sg_div(c, u, s), s);
}

static void test_transpose(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->n, t->m, -1, 1);
    check_op(t, sg_transpose(c, X), X);
    check_op(t, sg_mul(c, sg_transpose(c, sg_mul(c, X, sg_transpose(c, X))), X), X);
}

static void test_fill_sum_trace(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *s = input(t, SG_DIM_ONE, SG_DIM_ONE, -2, 2), *X = input(t, t->n, t->m, -1, 1);
    sg_expr *A = input(t, t->n, t->n, -1, 1), *B = input(t, t->n, t->n, -1, 1);
    check_op(t, sg_fill(c, s, shp(t->n, t->m)), s);
    check_op(t, sg_fill(c, sg_mul(c, s, s), shp(t->n, t->m)), s);
    check_op(t, sg_sum(c, X), X);
    check_op(t, sg_sum(c, sg_hadamard(c, X, X)), X);
    check_op(t, sg_trace(c, A), A);
    check_op(t, sg_trace(c, sg_mul(c, A, B)), A);
    check_op(t, sg_trace(c, sg_mul(c, A, B)), B);
}

static void test_dot(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->n, t->m, -1, 1), *Y = input(t, t->n, t->m, -1, 1);
    check_op(t, sg_dot(c, X, Y), X);
    check_op(t, sg_dot(c, X, Y), Y);
    check_op(t, sg_dot(c, X, X), X); /* ‖X‖² */
}

static void test_diag(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *v = input(t, t->n, SG_DIM_ONE, -1, 1), *A = input(t, t->n, t->n, -1, 1);
    sg_expr *w = input(t, SG_DIM_ONE, t->n, -1, 1);
    check_op(t, sg_diag(c, v), v);
    check_op(t, sg_diag(c, w), w);
    check_op(t, sg_diagv(c, A), A);
    check_op(t, sg_mul(c, sg_diag(c, v), A), v);
}

/* ---- elementwise binary ------------------------------------------------- */

static void test_hadamard_hdiv(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->n, t->m, -1, 1), *Y = input(t, t->n, t->m, 0.5, 2);
    check_op(t, sg_hadamard(c, X, Y), X);
    check_op(t, sg_hadamard(c, X, Y), Y);
    check_op(t, sg_hadamard(c, X, X), X);
    check_op(t, sg_hdiv(c, X, Y), X);
    check_op(t, sg_hdiv(c, X, Y), Y);
    check_op(t, sg_hdiv(c, Y, Y), Y);
}

static void test_pow(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input_ex(t, shp(t->n, t->m), 0, 0.2, 1.5, 1);
    sg_expr *P = input(t, t->n, t->m, 0.5, 2);
    sg_expr *p = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 3);
    check_op(t, sg_pow(c, X, sg_const(c, 3)), X);
    check_op(t, sg_pow(c, X, sg_const(c, 2)), X);
    check_op(t, sg_pow(c, X, sg_const(c, -1)), X);
    check_op(t, sg_pow(c, P, sg_const(c, 2.5)), P);
    check_op(t, sg_pow(c, P, p), P);
    check_op(t, sg_pow(c, P, p), p);
}

/* ---- elementwise unary -------------------------------------------------- */

typedef struct {
    sg_op op;
    double lo, hi;
    int sgn; /* magnitudes in [lo, hi], random sign */
} unary_case;

static void test_unary(void **state)
{
    static const unary_case cases[] = {
        {SG_OP_EXP, -1, 1, 0},        {SG_OP_LOG, 0.5, 2, 0},
        {SG_OP_SQRT, 0.5, 2, 0},      {SG_OP_ABS, 0.2, 1.5, 1},
        {SG_OP_SIN, -2, 2, 0},        {SG_OP_COS, -2, 2, 0},
        {SG_OP_TANH, -2, 2, 0},       {SG_OP_SIGMOID, -3, 3, 0},
        {SG_OP_RELU, 0.2, 1.5, 1},    {SG_OP_SWISH, -3, 3, 0},
        {SG_OP_SOFTPLUS, -3, 3, 0},   {SG_OP_LOG1P, -0.5, 2, 0},
        {SG_OP_EXPM1, -1, 1, 0},      {SG_OP_SIGN, 0.2, 1.5, 1},
        {SG_OP_STEP, 0.2, 1.5, 1},    {SG_OP_TAN, -1, 1, 0},
        {SG_OP_ARCSIN, -0.8, 0.8, 0}, {SG_OP_ARCCOS, -0.8, 0.8, 0},
        {SG_OP_ARCTAN, -2, 2, 0},     {SG_OP_SINH, -2, 2, 0},
        {SG_OP_COSH, -2, 2, 0},       {SG_OP_LOG2, 0.5, 2, 0},
        {SG_OP_ERF, -2, 2, 0},
    };
    T *t = *state;
    sg_ctx *c = t->ctx;
    size_t i;
    int seen[SG_OP_COUNT] = {0};
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unary_case *u = &cases[i];
        sg_expr *X = input_ex(t, shp(t->n, t->m), 0, u->lo, u->hi, u->sgn);
        sg_expr *s = input_ex(t, shp(SG_DIM_ONE, SG_DIM_ONE), 0, u->lo, u->hi, u->sgn);
        check_op(t, sg_unary(c, u->op, X), X);
        check_op(t, sg_unary(c, u->op, s), s);
        /* composed, so that the adjoint reaching the op is not a constant */
        check_op(t, sg_hadamard(c, sg_unary(c, u->op, X), sg_unary(c, u->op, X)), X);
        seen[u->op] = 1;
    }
    for (i = 0; i < SG_OP_COUNT; i++)
        if (sg_op_is_elementwise_unary((sg_op)i) && !seen[i])
            fail_msg("no finite-difference case for %s", sg_op_name((sg_op)i));
}

/* ---- norms and the softmax family ------------------------------------------ */

static void test_norms(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input_ex(t, shp(t->n, t->m), 0, 0.2, 1.5, 1);
    sg_expr *x = input_ex(t, shp(t->n, SG_DIM_ONE), 0, 0.2, 1.5, 1);
    check_op(t, sg_unary(c, SG_OP_NORM, X), X);
    check_op(t, sg_unary(c, SG_OP_NORM, x), x);
    check_op(t, sg_unary(c, SG_OP_NORM1, X), X);
    check_op(t, sg_mul(c, sg_unary(c, SG_OP_NORM, x), sg_unary(c, SG_OP_NORM1, x)), x);
    check_op(t, sg_pow(c, sg_unary(c, SG_OP_NORM, X), sg_const(c, 2)), X);
}

static void test_softmax_family(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *Z = input(t, t->p, t->N, -2, 2), *z = input(t, t->p, SG_DIM_ONE, -2, 2);
    sg_op ops[] = {SG_OP_SOFTMAX, SG_OP_LOGSOFTMAX, SG_OP_LOGSUMEXP};
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        check_op(t, sg_unary(c, ops[i], Z), Z); /* column-wise on a matrix */
        check_op(t, sg_unary(c, ops[i], z), z);
        check_op(t, sg_unary(c, ops[i], sg_mul(c, sg_const(c, 3), Z)), Z);
    }
    /* log∘softmax is logsoftmax, and its gradient matches the composition */
    check_op(t, sg_unary(c, SG_OP_LOG, sg_unary(c, SG_OP_SOFTMAX, Z)), Z);
}

/* ---- linear algebra ----------------------------------------------------- */

static void test_linalg(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *A = near_identity(t, t->n, 3, 0), *Bn = near_identity(t, t->n, -3, 0);
    sg_expr *K = near_identity(t, t->n, 3, SG_PROP_SPD);
    sg_op ops[] = {SG_OP_INV, SG_OP_DET, SG_OP_LOGDET};
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        check_op(t, sg_unary(c, ops[i], A), A);
        check_op(t, sg_unary(c, ops[i], Bn), Bn); /* det < 0 for n = 3 */
        check_op(t, sg_unary(c, ops[i], K), K);
        check_op(t, sg_unary(c, ops[i], sg_mul(c, A, A)), A);
    }
    assert_true(value(t, sg_unary(c, SG_OP_DET, Bn)) < 0);
}

/* ---- the machinery ------------------------------------------------------ */

static void test_unreached_and_log(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *y = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *W = input(t, t->m, t->n, -1, 1);
    sg_expr *f = sg_dot(c, x, x), *wrt[2] = {x, y}, *out[2];
    sg_expr *z, *L;
    sg_log *log = sg_log_new(c);
    int i, total = 0, rules = 0;

    sg_diff_grad(c, f, 2, wrt, out, log);
    /* ∇ₓ⟨x, x⟩ = x + x = 2x, y never reached */
    assert_ptr_equal(out[0], sg_mul(c, sg_const(c, 2), x));
    assert_ptr_equal(out[1], sg_zero(c, y->shape));
    assert_ptr_equal(log->f, f);
    assert_int_equal(log->steps[0].kind, SG_STEP_SEED);
    assert_ptr_equal(log->steps[0].node, f);
    for (i = 0; i < log->nsteps; i++) {
        sg_step *s = &log->steps[i];
        if (s->kind == SG_STEP_RULE) {
            rules++;
            assert_non_null(s->rule);
            assert_non_null(s->contrib);
            assert_ptr_equal(s->node, f);
        } else if (s->kind == SG_STEP_TOTAL) {
            total++;
            assert_ptr_equal(s->node, x);
            assert_int_equal(s->nterms, 2);
            assert_ptr_equal(s->adjoint, out[0]);
        }
    }
    assert_int_equal(rules, 2);
    assert_int_equal(total, 1);

    /* with respect to an inner node: ∂/∂z sum(exp z) = exp z, z = Wx held */
    z = sg_mul(c, W, x);
    L = sg_sum(c, sg_unary(c, SG_OP_EXP, z));
    sg_diff_grad(c, L, 1, &z, out, NULL);
    assert_ptr_equal(out[0], sg_unary(c, SG_OP_EXP, z));
    /* f itself */
    sg_diff_grad(c, L, 1, &L, out, NULL);
    assert_ptr_equal(out[0], sg_const(c, 1));
}

static void test_deep_and_long(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *A = near_identity(t, t->n, 0.8, 0);
    sg_expr *e = x;
    int i;
    /* a DAG 5000 deep: every walk is iterative */
    for (i = 0; i < 5000; i++)
        e = sg_unary(c, i % 2 ? SG_OP_SIN : SG_OP_TANH, sg_add(c, e, x));
    check_op(t, e, x);
    /* products of 12 and of 40 factors (past the re-association limit) */
    for (e = x, i = 0; i < 40; i++) {
        e = sg_mul(c, A, e);
        if (i == 11)
            check_op(t, e, A);
    }
    check_op(t, e, A);
    check_op(t, e, x);
}

/* ---- whole problems ----------------------------------------------------- */

static void test_autoencoder(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *W = input(t, t->m, t->n, -1, 1), *x = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *Wt = sg_transpose(c, W);
    /* L = ½‖WᵀWx − x‖² */
    sg_expr *r = sg_sub(c, sg_mul(c, sg_mul(c, Wt, W), x), x);
    sg_expr *L = sg_mul(c, sg_const(c, 0.5), sg_pow(c, sg_unary(c, SG_OP_NORM, r), sg_const(c, 2)));
    sg_expr *wrt[2] = {W, x}, *g[2], *closed;
    sg_eval *ev;
    const double *a, *b;
    long i, n = rows(t, W->shape) * cols(t, W->shape);

    check_grad(t, L, W);
    check_grad(t, L, x);
    /* ∇_W L = W(xrᵀ + rxᵀ) */
    sg_diff_grad(c, L, 2, wrt, g, NULL);
    closed = sg_mul(c, W, sg_add(c, sg_mul(c, x, sg_transpose(c, r)),
                                 sg_mul(c, r, sg_transpose(c, x))));
    ev = sg_eval_new(c, t->dims, (const double *const *)t->vals);
    a = sg_eval_expr(ev, g[0]);
    b = sg_eval_expr(ev, closed);
    for (i = 0; i < n; i++)
        assert_true(fabs(a[i] - b[i]) <= 1e-12 * (1 + fabs(b[i])));
    sg_eval_free(ev);
}

static void test_mlp(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    /* x ∈ ℝ^m, h = swish(W₁x + b₁) ∈ ℝ^n, z = W₂h + b₂ ∈ ℝ^p,
       L = −yᵀ log softmax(z) */
    sg_expr *x = input(t, t->m, SG_DIM_ONE, -1, 1);
    sg_expr *W1 = input(t, t->n, t->m, -1, 1), *b1 = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *W2 = input(t, t->p, t->n, -1, 1), *b2 = input(t, t->p, SG_DIM_ONE, -1, 1);
    sg_expr *y = input(t, t->p, SG_DIM_ONE, 0, 1);
    sg_expr *h = sg_unary(c, SG_OP_SWISH, sg_add(c, sg_mul(c, W1, x), b1));
    sg_expr *z = sg_add(c, sg_mul(c, W2, h), b2);
    sg_expr *L = sg_neg(c, sg_mul(c, sg_transpose(c, y),
                                  sg_unary(c, SG_OP_LOG, sg_unary(c, SG_OP_SOFTMAX, z))));
    check_grad(t, L, W1);
    check_grad(t, L, b1);
    check_grad(t, L, W2);
    check_grad(t, L, b2);
    check_grad(t, L, x);
}

static void test_batch_softmax(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    /* X ∈ ℝ^{m×N} a batch of columns, Z = WX + b𝟙ᵀ ∈ ℝ^{p×N} */
    sg_expr *X = input(t, t->m, t->N, -1, 1), *W = input(t, t->p, t->m, -1, 1);
    sg_expr *b = input(t, t->p, SG_DIM_ONE, -1, 1), *Y = input(t, t->p, t->N, 0, 1);
    sg_expr *C = input(t, t->p, t->N, -1, 1);
    sg_expr *Z = sg_add(c, sg_mul(c, W, X), sg_mul(c, b, sg_ones(c, shp(SG_DIM_ONE, t->N))));
    sg_expr *L1 = sg_neg(c, sg_dot(c, Y, sg_unary(c, SG_OP_LOGSOFTMAX, Z)));
    sg_expr *L2 = sg_sum(c, sg_unary(c, SG_OP_LOGSUMEXP, Z));
    sg_expr *L3 = sg_dot(c, C, sg_unary(c, SG_OP_SOFTMAX, Z));
    sg_expr *L = sg_add(c, sg_add(c, L1, sg_mul(c, sg_const(c, 0.1), L2)), L3);
    check_grad(t, L, W);
    check_grad(t, L, X);
    check_grad(t, L, b);
}

static void test_gp_loss(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    /* K = AAᵀ + βI, L = ½ yᵀK⁻¹y + ½ log|K| + det(K)/100 */
    sg_expr *A = input(t, t->n, t->m, -1, 1), *y = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *beta = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 1.5);
    sg_expr *K = sg_add(c, sg_mul(c, A, sg_transpose(c, A)), sg_mul(c, beta, sg_eye(c, t->n)));
    sg_expr *Ki = sg_unary(c, SG_OP_INV, K);
    sg_expr *half = sg_const(c, 0.5);
    sg_expr *L = sg_add(c, sg_mul(c, half, sg_mul(c, sg_mul(c, sg_transpose(c, y), Ki), y)),
                        sg_mul(c, half, sg_unary(c, SG_OP_LOGDET, K)));
    L = sg_add(c, L, sg_mul(c, sg_const(c, 0.01), sg_unary(c, SG_OP_DET, K)));
    assert_true(sg_props_symmetric(c, K));
    assert_true(sg_props_symmetric(c, Ki));
    check_grad(t, L, A);
    check_grad(t, L, y);
    check_grad(t, L, beta);
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T_(test_add),           T_(test_mul),
        T_(test_scaling),       T_(test_transpose),
        T_(test_fill_sum_trace), T_(test_dot),
        T_(test_diag),          T_(test_hadamard_hdiv),
        T_(test_pow),           T_(test_unary),
        T_(test_norms),         T_(test_softmax_family),
        T_(test_linalg),        T_(test_unreached_and_log),
        T_(test_deep_and_long),
        T_(test_autoencoder),   T_(test_mlp),
        T_(test_batch_softmax), T_(test_gp_loss),
    };
#undef T_
    return cmocka_run_group_tests(tests, NULL, NULL);
}
