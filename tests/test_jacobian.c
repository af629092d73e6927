/*
 * test_jacobian.c: sg_diff_jacobian. Every forward rule is checked against
 * central finite differences of the interpreter's values (column j of J is
 * (f(x + heⱼ) − f(x − heⱼ))/2h), Hessians against finite differences of
 * the gradient, and the closed forms the constructors should produce are
 * pinned structurally: diag(s) − ssᵀ for softmax, 2AᵀA for least squares,
 * λI + Xᵀdiag(p ⊙ (𝟙 − p))X/N for logistic regression. Matrices enter by
 * their row-major vec: J(AXB) = A ⊗ Bᵀ, J(Xᵀ) = K, the Hessian of tr(XᵀBX)
 * is (B + Bᵀ) ⊗ I and that of ‖AX − C‖² is 2(AᵀA ⊗ I), each also against
 * finite differences. Then the cases that have no Jacobian here, with the
 * sentence that says why.
 *
 * Deep chains (x ⊙ x + x nested, a tanh network, a quadratic map with a
 * matrix per level) must give Hessians, and simplified displays of them,
 * whose size and construction work grow linearly with the depth.
 *
 * Inputs are random but deterministic (xorshift64*), and kept away from
 * kinks and domain edges.
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
#include "symbolic/simplify.h"

#define MAXSYMS 160

typedef struct {
    sg_ctx *ctx;
    long dims[16];
    double *vals[MAXSYMS];
    uint64_t rng;
    sg_dim n, m, p, N;
} T;

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    t->ctx = sg_ctx_new();
    t->rng = 0x2545f4914f6cdd1dull;
    t->n = sg_dim_named(t->ctx, "n");
    t->m = sg_dim_named(t->ctx, "m");
    t->p = sg_dim_named(t->ctx, "p");
    t->N = sg_dim_named(t->ctx, "N");
    t->dims[t->n] = 3;
    t->dims[t->m] = 4;
    t->dims[t->p] = 5;
    t->dims[t->N] = 6;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    int i;
    for (i = 0; i < MAXSYMS; i++)
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

static long dimv(T *t, sg_dim d)
{
    return sg_dim_value(t->ctx, d, t->dims);
}

static long numel(T *t, sg_shape s)
{
    return dimv(t, s.rows) * dimv(t, s.cols);
}

static sg_shape shp(sg_dim r, sg_dim c)
{
    return sg_shape_make(r, c);
}

/*
 * A new input with entries uniform in [lo, hi]; with sgn, the magnitude is
 * drawn from [lo, hi] and the sign at random.
 */
static sg_expr *input_ex(T *t, sg_shape s, double lo, double hi, int sgn)
{
    sg_span sp = {0, 0};
    char name[16];
    int sym;
    long n = numel(t, s), i;
    double *v;
    snprintf(name, sizeof name, "in%d", sg_sym_count(t->ctx));
    sym = sg_sym_add(t->ctx, name, s, 0, sp);
    assert_true(sym < MAXSYMS);
    v = malloc((size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
        v[i] = lo + (hi - lo) * urand(t);
        if (sgn && urand(t) < 0.5)
            v[i] = -v[i];
    }
    t->vals[sym] = v;
    return sg_var(t->ctx, sym);
}

static sg_expr *input(T *t, sg_dim r, sg_dim c, double lo, double hi)
{
    return input_ex(t, shp(r, c), lo, hi, 0);
}

static sg_eval *evaluator(T *t)
{
    return sg_eval_new(t->ctx, t->dims, (const double *const *)t->vals);
}

/* the values of e, copied (n of them) */
static double *values(T *t, sg_expr *e, long n)
{
    sg_eval *ev = evaluator(t);
    const double *v = sg_eval_expr(ev, e);
    double *r = malloc((size_t)n * sizeof *r);
    assert_non_null(v);
    memcpy(r, v, (size_t)n * sizeof *r);
    sg_eval_free(ev);
    return r;
}

/*
 * The p×q matrix jac (row-major) against central differences of f's values
 * with respect to the input x, column by column.
 */
static void compare_fd(T *t, const double *jac, sg_expr *f, sg_expr *x, const char *what)
{
    long p = numel(t, f->shape), q = numel(t, x->shape), i, j;
    double *xv = t->vals[x->sym];
    assert_int_equal(x->op, SG_OP_VAR);
    for (j = 0; j < q; j++) {
        double x0 = xv[j], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1), hh;
        double *fp, *fm;
        xv[j] = x0 + h;
        fp = values(t, f, p);
        hh = xv[j];
        xv[j] = x0 - h;
        fm = values(t, f, p);
        hh -= xv[j]; /* the step actually taken */
        xv[j] = x0;
        for (i = 0; i < p; i++) {
            double fd = (fp[i] - fm[i]) / hh, a = jac[i * q + j];
            double big = fabs(fp[i]) > fabs(fm[i]) ? fabs(fp[i]) : fabs(fm[i]);
            /* relative 1e-6, plus the rounding error of the difference itself */
            double tol = 1e-6 * (fabs(a) > 1 ? fabs(a) : 1) + 16 * DBL_EPSILON * big / hh;
            if (!(fabs(fd - a) <= tol))
                fail_msg("%s[%ld,%ld]: rule %.12g, central difference %.12g", what, i, j, a, fd);
        }
        free(fp);
        free(fm);
    }
}

static sg_expr *jacobian(T *t, sg_expr *f, sg_expr *x, sg_log *log)
{
    const char *why = "unset";
    sg_expr *J = sg_diff_jacobian(t->ctx, f, x, log, &why);
    if (!J)
        fail_msg("no Jacobian: %s", why);
    assert_null(why);
    /* len(f)×len(x), a matrix by its row-major vec */
    assert_true(J->shape.rows == sg_shape_len(t->ctx, f->shape));
    assert_true(J->shape.cols == sg_shape_len(t->ctx, x->shape));
    return J;
}

/* J(f) wrt the input x by sg_diff_jacobian, against central differences */
static sg_expr *check_jac(T *t, sg_expr *f, sg_expr *x)
{
    sg_log *log = sg_log_new(t->ctx);
    sg_expr *J = jacobian(t, f, x, log);
    double *jv = values(t, J, numel(t, J->shape));
    sg_step *last;
    compare_fd(t, jv, f, x, "J");
    free(jv);
    /* the log ends with f's own Jacobian, unless f does not depend on x */
    if (!sg_expr_is_zero(J)) {
        assert_true(log->nsteps >= 1);
        assert_ptr_equal(log->f, f);
        last = &log->steps[log->nsteps - 1];
        assert_int_equal(last->kind, SG_STEP_JACOBIAN);
        assert_ptr_equal(last->node, f);
        assert_ptr_equal(last->contrib, J);
        assert_non_null(last->rule);
    }
    return J;
}

static sg_expr *grad(T *t, sg_expr *L, sg_expr *x)
{
    sg_expr *g;
    sg_diff_grad(t->ctx, L, 1, &x, &g, NULL);
    return g;
}

/* ∂²L/∂x∂y = J(∇ₓL) wrt y, against central differences of the gradient */
static sg_expr *check_hess(T *t, sg_expr *L, sg_expr *x, sg_expr *y)
{
    sg_expr *g = grad(t, L, x), *H = jacobian(t, g, y, NULL);
    double *hv = values(t, H, numel(t, H->shape));
    assert_true(sg_shape_is_scalar(L->shape));
    compare_fd(t, hv, g, y, "H");
    free(hv);
    return H;
}

/* a and b have equal values (both n of them), to rounding */
static void same_values(T *t, sg_expr *a, sg_expr *b)
{
    long n = numel(t, a->shape), i;
    double *u = values(t, a, n), *v = values(t, b, n);
    assert_true(sg_shape_eq(a->shape, b->shape));
    for (i = 0; i < n; i++)
        if (!(fabs(u[i] - v[i]) <= 1e-12 * (1 + fabs(v[i]))))
            fail_msg("entry %ld: %.17g against the closed form's %.17g", i, u[i], v[i]);
    free(u);
    free(v);
}

/* ---- the softmax family ------------------------------------------------- */

static void test_softmax(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *z = input(t, t->p, SG_DIM_ONE, -2, 2), *A = input(t, t->p, t->n, -1, 1);
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *b = input(t, t->p, SG_DIM_ONE, -1, 1);
    sg_expr *s = sg_unary(c, SG_OP_SOFTMAX, z), *J, *u;

    /* J = diag(s) − ssᵀ: DIAG(s) + (−1)·(s sᵀ), s the softmax node itself */
    J = check_jac(t, s, z);
    assert_int_equal(J->op, SG_OP_ADD);
    assert_int_equal(J->kid[0]->op, SG_OP_DIAG);
    assert_ptr_equal(J->kid[0]->kid[0], s);
    assert_int_equal(J->kid[1]->op, SG_OP_MUL);
    assert_true(sg_expr_is_const(J->kid[1]->kid[0], -1));
    assert_int_equal(J->kid[1]->kid[1]->op, SG_OP_MUL);
    assert_ptr_equal(J->kid[1]->kid[1]->kid[0], s);
    assert_ptr_equal(J->kid[1]->kid[1]->kid[1], sg_transpose(c, s));
    assert_ptr_equal(J, sg_sub(c, sg_diag(c, s), sg_mul(c, s, sg_transpose(c, s))));

    /* with respect to the logits as an inner node: the same form */
    u = sg_add(c, sg_mul(c, A, x), b);
    s = sg_unary(c, SG_OP_SOFTMAX, u);
    assert_ptr_equal(jacobian(t, s, u, NULL),
                     sg_sub(c, sg_diag(c, s), sg_mul(c, s, sg_transpose(c, s))));
    /* through the affine map: (diag(s) − ssᵀ)A */
    J = check_jac(t, s, x);
    same_values(t, J, sg_mul(c, sg_sub(c, sg_diag(c, s), sg_mul(c, s, sg_transpose(c, s))), A));
    check_jac(t, sg_unary(c, SG_OP_SOFTMAX, sg_mul(c, sg_const(c, 3), u)), b);
}

static void test_logsoftmax(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *z = input(t, t->p, SG_DIM_ONE, -2, 2), *A = input(t, t->p, t->n, -1, 1);
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *J = check_jac(t, sg_unary(c, SG_OP_LOGSOFTMAX, z), z);
    /* I − 𝟙 softmax(z)ᵀ */
    sg_expr *ones = sg_ones(c, z->shape);
    assert_ptr_equal(J, sg_sub(c, sg_eye(c, t->p),
                               sg_mul(c, ones, sg_transpose(c, sg_unary(c, SG_OP_SOFTMAX, z)))));
    check_jac(t, sg_unary(c, SG_OP_LOGSOFTMAX, sg_mul(c, A, x)), x);
    /* log∘softmax is logsoftmax, and x − logsumexp(x) too */
    check_jac(t, sg_unary(c, SG_OP_LOG, sg_unary(c, SG_OP_SOFTMAX, sg_mul(c, A, x))), x);
    check_jac(t, sg_sub(c, z, sg_fill(c, sg_unary(c, SG_OP_LOGSUMEXP, z), z->shape)), z);
}

/* ---- elementwise -------------------------------------------------------- */

typedef struct {
    sg_op op;
    double lo, hi;
    int sgn; /* magnitudes in [lo, hi], random sign */
} unary_case;

static void test_elementwise(void **state)
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
    sg_expr *A = input(t, t->n, t->n, -1, 1);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unary_case *u = &cases[i];
        sg_expr *x = input_ex(t, shp(t->n, SG_DIM_ONE), u->lo, u->hi, u->sgn);
        sg_expr *s = input_ex(t, shp(SG_DIM_ONE, SG_DIM_ONE), u->lo, u->hi, u->sgn);
        sg_expr *fx = sg_unary(c, u->op, x), *J;
        J = check_jac(t, fx, x);
        /* diag(f′(x)) with the derivative the reverse rule uses: for Ȳ = 𝟙 */
        if (!sg_expr_is_zero(J)) {
            const char *rule;
            sg_expr *d = sg_diff_elementwise(c, fx, sg_ones(c, fx->shape), &rule);
            assert_ptr_equal(J, sg_diag(c, d));
        }
        /* composed: a Jacobian that is not the identity reaches the op */
        check_jac(t, sg_hadamard(c, fx, fx), x);
        check_jac(t, sg_mul(c, A, sg_unary(c, u->op, sg_hadamard(c, x, x))), x);
        /* a scalar function of a scalar, and a vector function of a scalar */
        check_jac(t, sg_unary(c, u->op, s), s);
        check_jac(t, sg_unary(c, u->op, sg_mul(c, s, sg_hadamard(c, x, x))), s);
        seen[u->op] = 1;
    }
    for (i = 0; i < SG_OP_COUNT; i++)
        if (sg_op_is_elementwise_unary((sg_op)i) && !seen[i])
            fail_msg("no finite-difference case for %s", sg_op_name((sg_op)i));
}

static void test_hadamard_hdiv_pow(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, 0.5, 2), *A = input(t, t->n, t->n, -1, 1);
    sg_expr *B = input(t, t->n, t->n, 0.2, 1), *v = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *Ax = sg_mul(c, A, x), *Bx = sg_mul(c, B, x); /* Bx > 0 */
    sg_expr *s = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 1.5);

    check_jac(t, sg_hadamard(c, Ax, x), x);
    check_jac(t, sg_hadamard(c, v, x), x); /* diag(v) */
    assert_ptr_equal(jacobian(t, sg_hadamard(c, v, x), x, NULL), sg_diag(c, v));
    check_jac(t, sg_hdiv(c, Ax, Bx), x);
    check_jac(t, sg_hdiv(c, v, Bx), x);
    check_jac(t, sg_hdiv(c, Ax, v), x);
    check_jac(t, sg_hdiv(c, x, x), x); /* 𝟙 */
    check_jac(t, sg_pow(c, Bx, sg_const(c, 3)), x);
    check_jac(t, sg_pow(c, x, sg_const(c, -1)), x);
    check_jac(t, sg_pow(c, x, sg_const(c, 2.5)), x);
    check_jac(t, sg_pow(c, x, s), x);
    /* an exponent that depends on x: J(p) is a row */
    check_jac(t, sg_pow(c, Bx, sg_dot(c, x, x)), x);
    /* with respect to the exponent, a scalar: J is a column */
    check_jac(t, sg_pow(c, x, s), s);
    check_jac(t, sg_hdiv(c, sg_mul(c, s, x), sg_pow(c, x, s)), s);
}

/* ---- linear structure --------------------------------------------------- */

static void test_linear(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *A = input(t, t->m, t->n, -1, 1);
    sg_expr *B = input(t, t->p, t->m, -1, 1), *C = input(t, t->m, t->p, -1, 1);
    sg_expr *b = input(t, t->m, SG_DIM_ONE, -1, 1), *s = input(t, SG_DIM_ONE, SG_DIM_ONE, 1, 2);
    sg_expr *Ax = sg_mul(c, A, x), *J, *row;

    /* J(x) = I */
    assert_ptr_equal(check_jac(t, x, x), sg_eye(c, t->n));
    /* J(Ax + b) = A, J(BAx) = BA */
    assert_ptr_equal(check_jac(t, sg_add(c, Ax, b), x), A);
    J = check_jac(t, sg_mul(c, B, sg_add(c, Ax, b)), x);
    assert_ptr_equal(J, sg_mul(c, B, A));
    check_jac(t, sg_sub(c, sg_mul(c, sg_transpose(c, A), Ax), x), x); /* AᵀA − I */
    /* a row on the way: (xᵀAᵀ C)ᵀ = CᵀAx, J = CᵀA */
    row = sg_mul(c, sg_transpose(c, Ax), C);
    assert_int_equal(row->shape.rows, SG_DIM_ONE);
    J = check_jac(t, sg_transpose(c, row), x);
    same_values(t, J, sg_mul(c, sg_transpose(c, C), A));
    /* scalings: a constant, a scalar input, a scalar that depends on x */
    check_jac(t, sg_mul(c, sg_const(c, -3), Ax), x);
    assert_ptr_equal(check_jac(t, sg_mul(c, s, Ax), x), sg_mul(c, s, A));
    check_jac(t, sg_mul(c, s, Ax), s); /* J wrt a scalar: the column Ax */
    /* a fill of a scalar that depends on x: 𝟙 J(s) */
    check_jac(t, sg_fill(c, sg_dot(c, x, x), b->shape), x);
    check_jac(t, sg_add(c, Ax, sg_fill(c, sg_sum(c, x), b->shape)), x);
    /* f does not depend on x: a zero p×q */
    J = jacobian(t, sg_mul(c, B, b), x, NULL);
    assert_ptr_equal(J, sg_zero(c, shp(t->p, t->n)));
}

/* every 1×1 node on the way gets (∇ₓs)ᵀ */
static void test_scalar_nodes(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *A = input(t, t->m, t->n, -1, 1);
    sg_expr *v = input(t, t->m, SG_DIM_ONE, -1, 1), *w = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *u = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 1.5);
    sg_expr *Ax = sg_mul(c, A, x), *nx = sg_dot(c, x, x), *ex, *f, *J;

    /* v‖x‖²: J = 2 v xᵀ */
    J = check_jac(t, sg_mul(c, nx, v), x);
    same_values(t, J, sg_mul(c, sg_const(c, 2), sg_mul(c, v, sg_transpose(c, x))));
    /* (Ax)‖x‖²: both factors depend on x */
    check_jac(t, sg_mul(c, nx, Ax), x);
    /* exp(x)/sum(exp(x)) is built as softmax(x) */
    ex = sg_unary(c, SG_OP_EXP, x);
    f = sg_div(c, ex, sg_sum(c, ex));
    assert_ptr_equal(f, sg_unary(c, SG_OP_SOFTMAX, x));
    check_jac(t, f, x);
    /* a scalar through a matrix is fine: only its gradient is needed */
    f = sg_mul(c, sg_unary(c, SG_OP_NORM, sg_mul(c, x, sg_transpose(c, w))), x);
    check_jac(t, f, x);
    check_jac(t, sg_mul(c, sg_unary(c, SG_OP_LOGDET, sg_add(c, sg_mul(c, sg_const(c, 4),
                                                                         sg_eye(c, t->n)),
                                                            sg_mul(c, x, sg_transpose(c, x)))),
                        x),
              x);
    /* a scalar f: J = (∇ₓf)ᵀ, a row */
    f = sg_unary(c, SG_OP_LOGSUMEXP, Ax);
    J = check_jac(t, f, x);
    assert_ptr_equal(J, sg_transpose(c, grad(t, f, x)));
    /* scalar f and scalar x */
    f = sg_mul(c, sg_unary(c, SG_OP_SIN, u), sg_mul(c, u, u));
    check_jac(t, f, u);
}

/* ---- Hessians ----------------------------------------------------------- */

static void test_hessian_least_squares(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *A = input(t, t->m, t->n, -1, 1), *x = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *b = input(t, t->m, SG_DIM_ONE, -1, 1);
    sg_expr *r = sg_sub(c, sg_mul(c, A, x), b);
    sg_expr *L = sg_pow(c, sg_unary(c, SG_OP_NORM, r), sg_const(c, 2)), *H;
    sg_expr *At = sg_transpose(c, A);

    /* ∇ = 2Aᵀ(Ax − b), H = 2AᵀA: MUL(2, MUL(Aᵀ, A)) */
    assert_ptr_equal(grad(t, L, x), sg_mul(c, sg_const(c, 2), sg_mul(c, At, r)));
    H = check_hess(t, L, x, x);
    assert_int_equal(H->op, SG_OP_MUL);
    assert_true(sg_expr_is_const(H->kid[0], 2));
    assert_ptr_equal(H->kid[1], sg_mul(c, At, A));
    assert_true(sg_props_symmetric(c, H));
    /* ½‖Ax − b‖² + ‖x‖²: AᵀA + 2I */
    L = sg_add(c, sg_mul(c, sg_const(c, 0.5), L), sg_dot(c, x, x));
    H = check_hess(t, L, x, x);
    same_values(t, H, sg_add(c, sg_mul(c, At, A), sg_mul(c, sg_const(c, 2), sg_eye(c, t->n))));
}

static void test_hessian_logreg(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    /* L = −(yᵀlog(p) + (𝟙 − y)ᵀlog(𝟙 − p))/N + λ/2‖w‖², p = σ(Xw) */
    sg_expr *X = input(t, t->N, t->n, -1, 1), *w = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *y = input(t, t->N, SG_DIM_ONE, 0, 1), *lam = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 1);
    sg_expr *ones = sg_ones(c, y->shape), *Xw = sg_mul(c, X, w);
    sg_expr *p = sg_unary(c, SG_OP_SIGMOID, Xw), *Xt = sg_transpose(c, X);
    sg_expr *ll = sg_add(c, sg_mul(c, sg_transpose(c, y), sg_unary(c, SG_OP_LOG, p)),
                         sg_mul(c, sg_transpose(c, sg_sub(c, ones, y)),
                                sg_unary(c, SG_OP_LOG, sg_sub(c, ones, p))));
    sg_expr *L = sg_add(c, sg_div(c, sg_neg(c, ll), sg_dimval(c, t->N)),
                        sg_mul(c, sg_div(c, lam, sg_const(c, 2)),
                               sg_pow(c, sg_unary(c, SG_OP_NORM, w), sg_const(c, 2))));
    sg_expr *H, *D, *closed;

    H = check_hess(t, L, w, w);
    /* λI + (Xᵀ diag(p ⊙ (𝟙 − p)) X)/N, exactly as the constructors build it */
    D = sg_diag(c, sg_hadamard(c, p, sg_sub(c, ones, p)));
    closed = sg_add(c, sg_mul(c, lam, sg_eye(c, t->n)),
                    sg_div(c, sg_mul(c, Xt, sg_mul(c, D, X)), sg_dimval(c, t->N)));
    assert_ptr_equal(H, closed);
    assert_true(sg_props_symmetric(c, H));
    /* and the gradient is λw + Xᵀ(p − y)/N in value */
    same_values(t, grad(t, L, w),
                sg_add(c, sg_mul(c, lam, w),
                       sg_div(c, sg_mul(c, Xt, sg_sub(c, p, y)), sg_dimval(c, t->N))));
    /* mixed: ∂²L/∂w∂λ = w, ∂²L/∂λ∂w = wᵀ */
    assert_ptr_equal(check_hess(t, L, w, lam), w);
    check_hess(t, L, lam, w);
}

static void test_hessian_mixed(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *y = input(t, t->m, SG_DIM_ONE, -1, 1);
    sg_expr *A = input(t, t->n, t->m, -1, 1), *B = input(t, t->n, t->m, -1, 1);
    sg_expr *s = input(t, SG_DIM_ONE, SG_DIM_ONE, 0.5, 1.5);
    sg_expr *By = sg_mul(c, B, y), *L, *H;

    /* L = xᵀAy + sum(σ(x ⊙ By)) + s‖x‖²‖y‖² + log(1 + s²)·sum(exp y) */
    L = sg_mul(c, sg_transpose(c, x), sg_mul(c, A, y));
    L = sg_add(c, L, sg_sum(c, sg_unary(c, SG_OP_SIGMOID, sg_hadamard(c, x, By))));
    L = sg_add(c, L, sg_mul(c, s, sg_mul(c, sg_dot(c, x, x), sg_dot(c, y, y))));
    L = sg_add(c, L, sg_mul(c, sg_unary(c, SG_OP_LOG, sg_add(c, sg_const(c, 1), sg_mul(c, s, s))),
                            sg_sum(c, sg_unary(c, SG_OP_EXP, y))));
    H = check_hess(t, L, x, y); /* n×m */
    assert_true(sg_shape_eq(H->shape, shp(t->n, t->m)));
    check_hess(t, L, y, x);     /* m×n */
    check_hess(t, L, x, x);
    check_hess(t, L, y, y);
    check_hess(t, L, s, s);     /* 1×1 */
    check_hess(t, L, s, y);     /* 1×m */
    check_hess(t, L, y, s);     /* m×1 */
    /* the Hessian of xᵀAy in x, y is A */
    assert_ptr_equal(check_hess(t, sg_mul(c, sg_transpose(c, x), sg_mul(c, A, y)), x, y), A);
}

/* f has no Jacobian with respect to x, and why says part */
static void expect_null(T *t, sg_expr *f, sg_expr *x, const char *part)
{
    const char *why = NULL;
    assert_null(sg_diff_jacobian(t->ctx, f, x, NULL, &why));
    assert_non_null(why);
    if (!strstr(why, part))
        fail_msg("\"%s\" does not mention \"%s\"", why, part);
}

/* ---- matrices, by their row-major vec ----------------------------------- */

static void test_matrix_linear(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->m, t->n, -1, 1), *A = input(t, t->p, t->m, -1, 1);
    sg_expr *B = input(t, t->n, t->N, -1, 1), *v = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *u = input(t, t->m, SG_DIM_ONE, -1, 1), *s = input(t, SG_DIM_ONE, SG_DIM_ONE, 1, 2);
    sg_expr *C = input(t, t->m, t->n, 0.5, 1.5), *Xt = sg_transpose(c, X), *J;

    /* J(X) = I of m·n, J(AX) = A ⊗ I, J(XB) = I ⊗ Bᵀ, J(AXB) = A ⊗ Bᵀ */
    assert_ptr_equal(check_jac(t, X, X), sg_eye(c, sg_dim_product(c, t->m, t->n)));
    assert_ptr_equal(check_jac(t, sg_mul(c, A, X), X), sg_kron(c, A, sg_eye(c, t->n)));
    assert_ptr_equal(check_jac(t, sg_mul(c, X, B), X),
                     sg_kron(c, sg_eye(c, t->m), sg_transpose(c, B)));
    assert_ptr_equal(check_jac(t, sg_mul(c, A, sg_mul(c, X, B)), X),
                     sg_kron(c, A, sg_transpose(c, B)));
    /* J(Xᵀ) = K_{m,n}; J((AXB)ᵀ) = K(A ⊗ Bᵀ) = (Bᵀ ⊗ A)K, one K */
    J = check_jac(t, Xt, X);
    assert_int_equal(J->op, SG_OP_COMMUTE);
    assert_ptr_equal(J, sg_commute(c, t->m, t->n));
    assert_ptr_equal(check_jac(t, sg_transpose(c, sg_mul(c, A, sg_mul(c, X, B))), X),
                     sg_mul(c, sg_kron(c, sg_transpose(c, B), A), J));
    check_jac(t, sg_mul(c, Xt, sg_transpose(c, A)), X);
    check_jac(t, sg_mul(c, Xt, X), X);
    /* y = Xv: I ⊗ vᵀ; the row uᵀX: uᵀ ⊗ I; J wrt v of Xv is X */
    assert_ptr_equal(check_jac(t, sg_mul(c, X, v), X), sg_kron(c, sg_eye(c, t->m),
                                                               sg_transpose(c, v)));
    check_jac(t, sg_mul(c, sg_transpose(c, u), X), X);
    assert_ptr_equal(check_jac(t, sg_mul(c, X, v), v), X);
    /* elementwise: diag(vec f′(A)) J(A); ⊙, ⊘, .^, sums, scalings, a fill */
    check_jac(t, sg_unary(c, SG_OP_SIGMOID, sg_mul(c, A, X)), X);
    check_jac(t, sg_unary(c, SG_OP_TANH, sg_add(c, X, C)), X);
    check_jac(t, sg_hadamard(c, X, C), X);
    check_jac(t, sg_hadamard(c, X, C), C);
    check_jac(t, sg_hadamard(c, X, X), X);
    check_jac(t, sg_hdiv(c, X, C), C);
    check_jac(t, sg_pow(c, C, sg_const(c, 3)), C);
    check_jac(t, sg_pow(c, C, s), s);
    check_jac(t, sg_sub(c, sg_mul(c, s, X), sg_mul(c, sg_dot(c, X, X), C)), X);
    check_jac(t, sg_mul(c, s, X), s);
    check_jac(t, sg_fill(c, sg_sum(c, X), shp(t->p, t->m)), X);
    /* a scalar of a matrix: vec(∇f)ᵀ */
    J = check_jac(t, sg_unary(c, SG_OP_NORM, sg_mul(c, A, X)), X);
    assert_true(J->shape.rows == SG_DIM_ONE);
    /* f does not depend on X */
    assert_true(sg_expr_is_zero(jacobian(t, sg_mul(c, A, C), X, NULL)));
    /* no rule: said by its construct */
    expect_null(t, sg_diag(c, sg_mul(c, X, v)), X, "diag(·), a diagonal matrix that depends on");
    expect_null(t, sg_unary(c, SG_OP_LOGSOFTMAX, X), X, "logsoftmax of the columns of a matrix");
}

/* how often op occurs in e (a small DAG, walked as a tree) */
static int count_op(const sg_expr *e, sg_op op)
{
    int k, n = e->op == op;
    for (k = 0; k < e->nkids; k++)
        n += count_op(e->kid[k], op);
    return n;
}

static int has_op(const sg_expr *e, sg_op op)
{
    return count_op(e, op) > 0;
}

static void test_matrix_hessians(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *X = input(t, t->m, t->n, -1, 1), *B = input(t, t->m, t->m, -1, 1);
    sg_expr *A = input(t, t->p, t->m, -1, 1), *C = input(t, t->p, t->n, -1, 1);
    sg_expr *v = input(t, t->n, SG_DIM_ONE, -1, 1), *Xt = sg_transpose(c, X);
    sg_expr *In = sg_eye(c, t->n), *L, *H, *R;

    /* the Matrix Cookbook: tr(XᵀBX) has the Hessian (B + Bᵀ) ⊗ I */
    L = sg_trace(c, sg_mul(c, Xt, sg_mul(c, B, X)));
    H = check_hess(t, L, X, X);
    assert_int_equal(H->op, SG_OP_KRON);
    assert_ptr_equal(H->kid[1], In);
    same_values(t, H->kid[0], sg_add(c, B, sg_transpose(c, B)));
    /* ‖AX − C‖²_F: 2(AᵀA ⊗ I) */
    R = sg_sub(c, sg_mul(c, A, X), C);
    L = sg_pow(c, sg_unary(c, SG_OP_NORM, R), sg_const(c, 2));
    H = check_hess(t, L, X, X);
    same_values(t, H, sg_mul(c, sg_const(c, 2),
                             sg_kron(c, sg_mul(c, sg_transpose(c, A), A), In)));
    assert_true(sg_expr_ops(H, 100) <= 5);
    /* mixed, with respect to X and v: L = vᵀXᵀBXv + sum(exp(Xv)) */
    L = sg_add(c, sg_mul(c, sg_transpose(c, v), sg_mul(c, Xt, sg_mul(c, B, sg_mul(c, X, v)))),
               sg_sum(c, sg_unary(c, SG_OP_EXP, sg_mul(c, X, v))));
    /* K(P ⊗ Q) = (Q ⊗ P)K and K_{n,m}K_{m,n} = I: no K is left in ∂²L/∂X∂v */
    H = check_hess(t, L, X, v);
    assert_false(has_op(H, SG_OP_COMMUTE));
    /* its display: A ⊗ I + B ⊗ I as (A + B) ⊗ I, equal in value, a fixed point */
    R = sg_simplify(c, H);
    same_values(t, R, H);
    assert_ptr_equal(sg_simplify(c, R), R);
    assert_true(sg_expr_ops(R, 1000) < sg_expr_ops(H, 1000));
    /* (I ⊗ v)BX = BX ⊗ v by the mixed product: (B + Bᵀ + diag(eʸ))X ⊗ v and
       (By + Bᵀy + eʸ) ⊗ I */
    assert_int_equal(count_op(R, SG_OP_KRON), 2);
    check_hess(t, L, v, X);
    check_hess(t, L, v, v);
    check_hess(t, L, X, X);
    /* a Hessian with respect to B, which L is linear in: 0 */
    assert_true(sg_expr_is_zero(check_hess(t, sg_trace(c, sg_mul(c, Xt, sg_mul(c, B, X))), B, B)));
}

/* ---- no Jacobian, and why ------------------------------------------------ */

static void test_no_jacobian(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *W = input(t, t->m, t->n, -1, 1);
    sg_expr *v = input(t, t->n, SG_DIM_ONE, -1, 1);
    sg_expr *xxt = sg_mul(c, x, sg_transpose(c, x));
    const char *xn = sg_sym_get(c, x->sym)->name, *why = NULL;
    sg_expr *E;

    /* diag(xxᵀ) = x ⊙ x, but through the diagonal of a matrix */
    expect_null(t, sg_diagv(c, xxt), x, "diag(·)");
    expect_null(t, sg_diagv(c, xxt), x, xn);
    /* a column-wise op on a matrix that depends on x */
    E = sg_mul(c, x, sg_ones(c, shp(SG_DIM_ONE, t->m)));
    expect_null(t, sg_transpose(c, sg_unary(c, SG_OP_LOGSUMEXP, E)), x, "logsumexp of the columns");
    /* a matrix-valued function of x times a vector: the matrix carries its
       vec's Jacobian (⊗) between the vectors, against central differences */
    E = sg_unary(c, SG_OP_EXP, xxt);
    check_jac(t, sg_mul(c, E, v), x);
    check_jac(t, sg_mul(c, sg_hadamard(c, xxt, sg_mul(c, v, sg_transpose(c, v))), x), x);
    E->name = "E"; /* a definition names it */
    expect_null(t, sg_unary(c, SG_OP_TANH, sg_diagv(c, E)), x, "the diagonal of the matrix E");
    /* with matrices, what has no rule for one */
    expect_null(t, sg_unary(c, SG_OP_INV, E), x, "inv of the matrix E");
    expect_null(t, sg_unary(c, SG_OP_INV, E), x, "a matrix may go through sums, products");
    E->name = NULL;
    /* the column-wise softmax of a matrix */
    expect_null(t, sg_unary(c, SG_OP_SOFTMAX, W), W, "softmax of the columns");
    /* a matrix f, a matrix x: fine (row-major vec) */
    check_jac(t, sg_mul(c, W, x), W);
    /* why is cleared on success */
    assert_non_null(sg_diff_jacobian(c, sg_mul(c, W, x), x, NULL, &why));
    assert_null(why);
}

/* ---- the log ------------------------------------------------------------- */

static void test_log(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *A = input(t, t->n, t->n, -1, 1);
    sg_expr *s = sg_unary(c, SG_OP_SOFTMAX, sg_mul(c, A, x)), *L, *g, *J;
    sg_log *log = sg_log_new(c);
    const char *why;
    int i, jac = 0, others = 0;

    J = sg_diff_jacobian(c, s, x, log, &why);
    assert_non_null(J);
    assert_ptr_equal(log->f, s);
    /* x, Ax, softmax(Ax): one step each, kids first */
    assert_int_equal(log->nsteps, 3);
    assert_ptr_equal(log->steps[0].node, x);
    assert_ptr_equal(log->steps[0].contrib, sg_eye(c, t->n));
    assert_string_equal(log->steps[1].rule, "J(A v) = A J(v)");
    assert_ptr_equal(log->steps[1].contrib, A);
    assert_ptr_equal(log->steps[2].contrib, J);
    for (i = 0; i < log->nsteps; i++)
        assert_true(strlen(log->steps[i].rule) > 0);

    /* a Hessian's log: the gradient's steps, then the Jacobian's; f stays L */
    log = sg_log_new(c);
    L = sg_sum(c, sg_unary(c, SG_OP_LOGSOFTMAX, sg_mul(c, A, x)));
    sg_diff_grad(c, L, 1, &x, &g, log);
    assert_non_null(sg_diff_jacobian(c, g, x, log, &why));
    assert_ptr_equal(log->f, L);
    for (i = 0; i < log->nsteps; i++) {
        if (log->steps[i].kind == SG_STEP_JACOBIAN)
            jac++;
        else if (jac)
            fail_msg("a gradient step after the Jacobian's");
        else
            others++;
    }
    assert_true(jac > 0 && others > 0);
}

/* ---- deep chains: linear in the depth --------------------------------------- */

typedef enum { CHAIN_HADAMARD, CHAIN_TANH, CHAIN_MATRIX } chain_kind;

/*
 * L after k levels from x, each level a definition named as sg_check names
 * them: vᵢ = vᵢ₋₁ ⊙ vᵢ₋₁ + vᵢ₋₁ and L = sum(vₖ); hᵢ = tanh(Wᵢhᵢ₋₁ + bᵢ) and
 * L = sum(hₖ); vᵢ = Aᵢvᵢ₋₁ + vᵢ₋₁ ⊙ vᵢ₋₁ and L = ‖vₖ‖². Inputs keep every
 * level bounded (x ⊙ x + x maps [−0.9, −0.1] into [−0.25, 0)).
 */
static sg_expr *chain(T *t, chain_kind kind, int k, sg_expr **x)
{
    sg_ctx *c = t->ctx;
    sg_expr *v, *W, *b;
    int i;
    *x = v = input(t, t->n, SG_DIM_ONE, -0.9, -0.1);
    for (i = 1; i <= k; i++) {
        switch (kind) {
        case CHAIN_HADAMARD:
            v = sg_add(c, sg_hadamard(c, v, v), v);
            break;
        case CHAIN_TANH:
            W = input_ex(t, shp(t->n, t->n), -1, 1, 0);
            b = input(t, t->n, SG_DIM_ONE, -0.5, 0.5);
            v = sg_unary(c, SG_OP_TANH, sg_add(c, sg_mul(c, W, v), b));
            break;
        case CHAIN_MATRIX:
            W = input_ex(t, shp(t->n, t->n), -0.3, 0.3, 0);
            v = sg_add(c, sg_mul(c, W, v), sg_hadamard(c, v, v));
            break;
        }
        v->name = sg_arena_printf(sg_ctx_arena(c), "v%d", i);
    }
    return kind == CHAIN_MATRIX ? sg_dot(c, v, v) : sg_sum(c, v);
}

typedef struct {
    unsigned long nodes, work;           /* the Hessian: nodes made, work done */
    unsigned long disp_nodes, disp_work; /* its simplified display */
} cost;

/* what the Hessian of a k-level chain and its display take, in a new context */
static cost chain_cost(chain_kind kind, int k)
{
    void *state;
    T *t;
    sg_ctx *c;
    sg_expr *x, *L, *g, *H, *D;
    unsigned n0;
    unsigned long w0;
    cost r;
    setup(&state);
    t = state;
    c = t->ctx;
    L = chain(t, kind, k, &x);
    n0 = sg_expr_count(c);
    w0 = sg_ctx_work(c);
    sg_diff_grad(c, L, 1, &x, &g, NULL);
    H = jacobian(t, g, x, NULL);
    r.nodes = sg_expr_count(c) - n0;
    r.work = sg_ctx_work(c) - w0;
    n0 = sg_expr_count(c);
    w0 = sg_ctx_work(c);
    sg_simplify_all(c, &H, 1, &D, 30000000ul);
    r.disp_nodes = sg_expr_count(c) - n0;
    r.disp_work = sg_ctx_work(c) - w0;
    teardown(&state);
    return r;
}

static void check_linear(chain_kind kind, const char *what)
{
    static const int depth[] = {4, 8, 16, 32, 64};
    cost c[5];
    int i;
    for (i = 0; i < 5; i++) {
        c[i] = chain_cost(kind, depth[i]);
        print_message("%s depth %2d: Hessian %5lu nodes, work %7lu; display %5lu nodes, "
                      "work %8lu\n",
                      what, depth[i], c[i].nodes, c[i].work, c[i].disp_nodes, c[i].disp_work);
    }
    /* doubling the depth doubles the size, give or take the fixed part */
    for (i = 2; i < 5; i++) {
        assert_true(c[i].nodes < 3 * c[i - 1].nodes);
        assert_true(c[i].disp_nodes < 3 * c[i - 1].disp_nodes);
    }
    /* and the work, once products are longer than the window in which their
       order is optimized (32 factors: cubic work each, a constant) */
    assert_true(c[4].work < 3 * c[3].work);
    assert_true(c[4].disp_work < 3 * c[3].disp_work);
}

static void test_deep_hadamard(void **state)
{
    T *t = *state;
    sg_expr *x, *L = chain(t, CHAIN_HADAMARD, 4, &x), *H = check_hess(t, L, x, x), *D;
    sg_simplify_all(t->ctx, &H, 1, &D, 30000000ul);
    same_values(t, D, H);
    check_linear(CHAIN_HADAMARD, "x ⊙ x + x");
}

static void test_deep_tanh(void **state)
{
    T *t = *state;
    sg_expr *x, *L = chain(t, CHAIN_TANH, 4, &x), *H = check_hess(t, L, x, x), *D;
    sg_simplify_all(t->ctx, &H, 1, &D, 30000000ul);
    same_values(t, D, H);
    check_linear(CHAIN_TANH, "tanh(Wh + b)");
}

static void test_deep_matrix(void **state)
{
    T *t = *state;
    sg_expr *x, *L = chain(t, CHAIN_MATRIX, 4, &x), *H = check_hess(t, L, x, x), *D;
    sg_simplify_all(t->ctx, &H, 1, &D, 30000000ul);
    same_values(t, D, H);
    check_linear(CHAIN_MATRIX, "Av + v ⊙ v");
}

/*
 * A Jacobian's scratch is sized by the nodes its function reaches: the same
 * small Jacobian, taken before and after 30 000 unrelated nodes are made,
 * allocates the same bytes (sg_ctx_scratch), where tables indexed by id cost
 * every node made, once per Jacobian asked for.
 */
static void test_scratch_is_local(void **state)
{
    T *t = *state;
    sg_ctx *c = t->ctx;
    sg_expr *x = input(t, t->n, SG_DIM_ONE, -1, 1), *W = input(t, t->n, t->n, -1, 1);
    sg_expr *f = sg_hadamard(c, sg_unary(c, SG_OP_TANH, sg_mul(c, W, x)), x), *big = x;
    const char *why;
    unsigned long b0, b1, b2;
    int i;
    b0 = sg_ctx_scratch(c);
    assert_non_null(sg_diff_jacobian(c, f, x, NULL, &why));
    b1 = sg_ctx_scratch(c) - b0;
    for (i = 0; i < 10000; i++)
        big = sg_add(c, sg_hadamard(c, big, big), sg_mul(c, sg_const(c, i), x));
    assert_true(sg_expr_count(c) > 30000);
    b0 = sg_ctx_scratch(c);
    assert_non_null(sg_diff_jacobian(c, f, x, NULL, &why));
    b2 = sg_ctx_scratch(c) - b0;
    assert_true(b1 > 0);
    assert_int_equal(b1, b2);
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T_(test_softmax),           T_(test_logsoftmax),
        T_(test_elementwise),       T_(test_hadamard_hdiv_pow),
        T_(test_linear),            T_(test_scalar_nodes),
        T_(test_hessian_least_squares), T_(test_hessian_logreg),
        T_(test_hessian_mixed),     T_(test_no_jacobian),
        T_(test_matrix_linear),     T_(test_matrix_hessians),
        T_(test_log),
        T_(test_deep_hadamard),     T_(test_deep_tanh),
        T_(test_deep_matrix),       T_(test_scratch_is_local),
    };
#undef T_
    return cmocka_run_group_tests(tests, NULL, NULL);
}
