/*
 * test_eval.c: the interpreter's numbers on cases worked out by hand, and
 * its stable forms on inputs that would overflow the naive ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parser.h"
#include "symbolic/check.h"
#include "symbolic/eval.h"
#include "symbolic/expr.h"

typedef struct {
    sg_ctx *ctx;
    sg_dim two, n;
    long dims[8];
    const double *syms[16];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_new();
    f->two = sg_dim_const(f->ctx, 2);
    f->n = sg_dim_named(f->ctx, "n");
    f->dims[f->n] = 3;
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

static sg_expr *input(fixture *f, sg_dim r, sg_dim c, const double *v)
{
    sg_span sp = {0, 0};
    int sym = sg_sym_add(f->ctx, sg_sym_count(f->ctx) ? "b" : "a", sg_shape_make(r, c), 0, sp);
    assert_true(sym < (int)(sizeof f->syms / sizeof f->syms[0]));
    f->syms[sym] = v;
    return sg_var(f->ctx, sym);
}

static void expect(fixture *f, const sg_expr *e, const double *want, int n, double tol)
{
    sg_eval *ev = sg_eval_new(f->ctx, f->dims, f->syms);
    const double *v = sg_eval_expr(ev, e);
    int i;
    assert_non_null(v);
    for (i = 0; i < n; i++)
        if (!(fabs(v[i] - want[i]) <= tol * (1 + fabs(want[i]))))
            fail_msg("entry %d: got %.17g, want %.17g", i, v[i], want[i]);
    sg_eval_free(ev);
}

static void test_linear_algebra(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const double A[] = {4, 7, 2, 6};    /* det 10 */
    static const double S[] = {1, 2, 2, 4};    /* singular */
    static const double inv[] = {0.6, -0.7, -0.2, 0.4};
    sg_expr *a = input(f, f->two, f->two, A), *s = input(f, f->two, f->two, S);
    double d = 10, l = log(10.0), tr = 10;
    sg_eval *ev;

    expect(f, sg_unary(c, SG_OP_INV, a), inv, 4, 1e-14);
    expect(f, sg_unary(c, SG_OP_DET, a), &d, 1, 1e-14);
    expect(f, sg_unary(c, SG_OP_LOGDET, a), &l, 1, 1e-14);
    expect(f, sg_trace(c, a), &tr, 1, 0);
    /* a singular matrix has no inverse: NULL, and so has anything using it */
    ev = sg_eval_new(c, f->dims, f->syms);
    assert_null(sg_eval_expr(ev, sg_unary(c, SG_OP_INV, s)));
    assert_null(sg_eval_expr(ev, sg_add(c, sg_unary(c, SG_OP_INV, s), a)));
    assert_true(sg_eval_expr(ev, sg_unary(c, SG_OP_DET, s))[0] == 0);
    assert_true(isinf(sg_eval_expr(ev, sg_unary(c, SG_OP_LOGDET, s))[0]));
    sg_eval_free(ev);
}

static void test_products(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const double A[] = {1, 2, 3, 4, 5, 6}; /* 2×3 */
    static const double x[] = {1, -1, 2};
    static const double Ax[] = {5, 11};
    static const double AtA_x[] = {49, 65, 81}; /* Aᵀ(Ax) */
    static const double At[] = {1, 4, 2, 5, 3, 6};
    sg_expr *a = input(f, f->two, f->n, A), *v = input(f, f->n, SG_DIM_ONE, x);
    double n = 3, nrm = sqrt(91.0), sum = 21;

    expect(f, sg_mul(c, a, v), Ax, 2, 0);
    expect(f, sg_mul(c, sg_mul(c, sg_transpose(c, a), a), v), AtA_x, 3, 0);
    expect(f, sg_transpose(c, a), At, 6, 0);
    expect(f, sg_dimval(c, f->n), &n, 1, 0);
    expect(f, sg_unary(c, SG_OP_NORM, a), &nrm, 1, 1e-15);
    expect(f, sg_sum(c, a), &sum, 1, 0);
}

/* the Kronecker structure of matrix Jacobians, entry by entry, row-major */
static void test_kron(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const double A[] = {1, 2, 3, 4, 5, 6}; /* 2×n, n = 3 */
    static const double B[] = {1, -1, 2, 0};      /* 2×2 */
    /* A ⊗ B, 4×6: entry (2i + k, 2j + l) is A_ij B_kl */
    static const double AB[] = {1,  -1, 2,  -2, 3,  -3, 2, 0, 4,  0, 6,  0,
                                4,  -4, 5,  -5, 6,  -6, 8, 0, 10, 0, 12, 0};
    /* K_{2,3}, 6×6: vec(Aᵀ) = K vec(A) */
    static const double At[] = {1, 4, 2, 5, 3, 6};
    sg_expr *a = input(f, f->two, f->n, A), *b = input(f, f->two, f->two, B), *K;
    sg_dim six = sg_dim_product(c, f->two, f->n);

    expect(f, sg_kron(c, a, b), AB, 24, 0);
    expect(f, sg_vec(c, a), A, 6, 0);
    K = sg_commute(c, f->two, f->n);
    assert_int_equal(K->op, SG_OP_COMMUTE);
    expect(f, sg_mul(c, K, sg_vec(c, a)), At, 6, 0);
    /* a product dimension: n·2 is 6 here, and a product of numbers is a number */
    assert_true(sg_dim_is_product(c, six));
    assert_int_equal(sg_dim_value(c, six, f->dims), 6);
    assert_int_equal(sg_dim_product(c, f->two, f->two), sg_dim_const(c, 4));
    assert_int_equal(sg_dim_product(c, SG_DIM_ONE, f->n), f->n);
    /* I ⊗ I = I, 0 ⊗ B = 0, a scalar comes out, K of a vector is I */
    assert_ptr_equal(sg_kron(c, sg_eye(c, f->two), sg_eye(c, f->n)), sg_eye(c, six));
    assert_true(sg_expr_is_zero(sg_kron(c, sg_zero(c, a->shape), b)));
    assert_ptr_equal(sg_kron(c, sg_mul(c, sg_const(c, 2), a), b),
                     sg_mul(c, sg_const(c, 2), sg_kron(c, a, b)));
    assert_ptr_equal(sg_commute(c, f->n, SG_DIM_ONE), sg_eye(c, f->n));
}

static void test_softmax_columns(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    /* 2×2, columns (0, log 3) and (1000, 1000): the second would overflow */
    static double Z[] = {0, 1000, 0, 1000};
    double sm[4], lsm[4], lse[2];
    sg_expr *z;
    Z[2] = log(3.0);
    z = input(f, f->two, f->two, Z);
    sm[0] = 0.25, sm[2] = 0.75, sm[1] = sm[3] = 0.5;
    lsm[0] = log(0.25), lsm[2] = log(0.75), lsm[1] = lsm[3] = log(0.5);
    lse[0] = log(4.0), lse[1] = 1000 + log(2.0);
    expect(f, sg_unary(c, SG_OP_SOFTMAX, z), sm, 4, 1e-15);
    expect(f, sg_unary(c, SG_OP_LOGSOFTMAX, z), lsm, 4, 1e-15);
    expect(f, sg_unary(c, SG_OP_LOGSUMEXP, z), lse, 2, 1e-15);
}

static void test_stable_scalars(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const double x[] = {-1000, 1000};
    sg_expr *v = input(f, f->two, SG_DIM_ONE, x);
    static const double sig[] = {0, 1}, sp[] = {0, 1000}, relu[] = {0, 1000};
    static const double sgn[] = {-1, 1}, step[] = {0, 1};
    expect(f, sg_unary(c, SG_OP_SIGMOID, v), sig, 2, 0);
    expect(f, sg_unary(c, SG_OP_SOFTPLUS, v), sp, 2, 0);
    expect(f, sg_unary(c, SG_OP_RELU, v), relu, 2, 0);
    expect(f, sg_unary(c, SG_OP_SIGN, v), sgn, 2, 0);
    expect(f, sg_unary(c, SG_OP_STEP, v), step, 2, 0);
    /* at the kinks: relu(0) = sign(0) = step(0) = 0 */
    assert_true(sg_op_apply1(SG_OP_RELU, 0) == 0);
    assert_true(sg_op_apply1(SG_OP_SIGN, 0) == 0);
    assert_true(sg_op_apply1(SG_OP_STEP, 0) == 0);
    assert_true(sg_op_apply1(SG_OP_SWISH, -1000) == 0);
}

/* the functions of libm, entry by entry: C99's own values, and known ones */
static void test_libm_functions(void **state)
{
    static const struct {
        sg_op op;
        double (*fn)(double);
        double x[3], known[3]; /* known: fn of x where NaN is not shown */
    } cases[] = {
        {SG_OP_TAN, tan, {-1.2, 0.7853981633974483, 0}, {NAN, 1, 0}},
        {SG_OP_ARCSIN, asin, {-0.5, 1, 0}, {-0.5235987755982989, 1.5707963267948966, 0}},
        {SG_OP_ARCCOS, acos, {-1, 0.5, 1}, {3.141592653589793, 1.0471975511965979, 0}},
        {SG_OP_ARCTAN, atan, {1, -1e9, 0}, {0.7853981633974483, NAN, 0}},
        {SG_OP_SINH, sinh, {0, -2, 1}, {0, -3.626860407847019, 1.1752011936438014}},
        {SG_OP_COSH, cosh, {0, -2, 1}, {1, 3.7621956910836314, 1.5430806348152437}},
        {SG_OP_LOG2, log2, {8, 0.5, 3}, {3, -1, 1.584962500721156}},
        {SG_OP_ERF, erf, {0, 1, -0.5}, {0, 0.8427007929497149, -0.5204998778130465}},
    };
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    size_t k;
    int i;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sg_span sp = {0, 0};
        int sym = sg_sym_add(c, sg_op_name(cases[k].op), sg_shape_make(f->n, SG_DIM_ONE), 0, sp);
        double libm[3];
        sg_eval *ev;
        const double *v;
        assert_true(sym < (int)(sizeof f->syms / sizeof f->syms[0]));
        f->syms[sym] = cases[k].x;
        for (i = 0; i < 3; i++)
            libm[i] = cases[k].fn(cases[k].x[i]);
        expect(f, sg_unary(c, cases[k].op, sg_var(c, sym)), libm, 3, 0);
        ev = sg_eval_new(c, f->dims, f->syms);
        v = sg_eval_expr(ev, sg_unary(c, cases[k].op, sg_var(c, sym)));
        for (i = 0; i < 3; i++)
            if (!isnan(cases[k].known[i]) && !(fabs(v[i] - cases[k].known[i]) <= 1e-15))
                fail_msg("%s(%g) is %.17g, not %.17g", sg_op_name(cases[k].op), cases[k].x[i],
                         v[i], cases[k].known[i]);
        sg_eval_free(ev);
        /* a constant argument folds to the same value */
        assert_true(sg_expr_is_const(sg_unary(c, cases[k].op, sg_const(c, cases[k].x[1])),
                                     libm[1]));
    }
    /* outside the domain, as libm: log2(0) = −∞, arcsin(2) is NaN */
    assert_true(isinf(sg_op_apply1(SG_OP_LOG2, 0)) && sg_op_apply1(SG_OP_LOG2, 0) < 0);
    assert_true(isnan(sg_op_apply1(SG_OP_ARCSIN, 2)));
}

/* the value of the output named cname of a checked problem, at its inputs */
static void expect_output(const sg_problem *p, const double *const *inputs, const char *cname,
                          const double *want, int n)
{
    long dims[8] = {0};
    sg_eval *ev;
    const double *v = NULL;
    int i;
    dims[sg_dim_find(p->ctx, "n")] = n;
    ev = sg_eval_new(p->ctx, dims, inputs);
    for (i = 0; i < p->nresults; i++)
        if (!strcmp(p->results[i].cname, cname))
            v = sg_eval_expr(ev, p->results[i].expr);
    assert_non_null(v);
    for (i = 0; i < n; i++)
        if (!(v[i] == want[i] || (isnan(v[i]) && isnan(want[i]))))
            fail_msg("%s[%d] is %.17g, not %.17g", cname, i, v[i], want[i]);
    sg_eval_free(ev);
}

/* max and min as the checker writes them (b + relu(a − b), b − relu(b − a)):
   exactly fmax and fmin on finite numbers, a scalar broadcast on either side;
   a NaN as the first argument gives the second, as the second gives NaN,
   which is what the C, computing the same relu, gives */
static void test_max_min(void **state)
{
    static const char text[] = "x, y ∈ ℝ^n\ns ∈ ℝ\n"
                               "u = max(x, y)\nv = min(x, y)\nw = max(s, x)\nz = min(x, s)\n"
                               "output u, v, w, z\n";
    static const double x[] = {1, -2, 3, 0.25, -0.5, NAN}, y[] = {0.5, 1, 3, -8, NAN, 2};
    static const double s = 0.25;
    const double *inputs[3];
    double want[4][6];
    sg_src *src = sg_src_new("t.sg", text, strlen(text));
    sg_arena *arena = sg_arena_new();
    sg_problem *p = sg_check(src, sg_parse(src, arena));
    int i;
    (void)state;
    assert_non_null(p);
    inputs[sg_sym_find(p->ctx, "x")] = x;
    inputs[sg_sym_find(p->ctx, "y")] = y;
    inputs[sg_sym_find(p->ctx, "s")] = &s;
    for (i = 0; i < 5; i++) { /* finite but for y[4]: the second argument's NaN */
        want[0][i] = isnan(y[i]) ? NAN : fmax(x[i], y[i]);
        want[1][i] = isnan(y[i]) ? NAN : fmin(x[i], y[i]);
        want[2][i] = fmax(s, x[i]);
        want[3][i] = fmin(x[i], s);
    }
    want[0][5] = want[1][5] = 2; /* the first argument's NaN */
    want[2][5] = NAN; /* max(s, NaN) */
    want[3][5] = s;   /* min(NaN, s) */
    expect_output(p, inputs, "u", want[0], 6);
    expect_output(p, inputs, "v", want[1], 6);
    expect_output(p, inputs, "w", want[2], 6);
    expect_output(p, inputs, "z", want[3], 6);
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
}

static void test_memo_after_growth(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const double x[] = {1, 2};
    sg_expr *v = input(f, f->two, SG_DIM_ONE, x), *e = v;
    sg_eval *ev = sg_eval_new(c, f->dims, f->syms);
    int i;
    /* nodes made after the sg_eval, and a deep chain: no recursion */
    for (i = 0; i < 100000; i++)
        e = sg_unary(c, SG_OP_SIN, e);
    assert_non_null(sg_eval_expr(ev, e));
    assert_ptr_equal(sg_eval_expr(ev, e), sg_eval_expr(ev, e));
    sg_eval_free(ev);
}

/* sizes from the user's values are checked before anything is allocated */
static void test_limits(void **state)
{
    fixture *f = *state;
    double *av = calloc(100000, sizeof *av);
    sg_expr *a = input(f, f->n, SG_DIM_ONE, av);
    sg_expr *outer = sg_mul(f->ctx, a, sg_transpose(f->ctx, a));
    sg_expr *big = sg_unary(f->ctx, SG_OP_SIN, outer), *sq;
    sg_eval *ev;
    /* n = 100000: an n×n value is 10¹⁰ numbers (80 GB) */
    f->dims[f->n] = 100000;
    ev = sg_eval_new(f->ctx, f->dims, f->syms);
    assert_null(sg_eval_error(ev));
    assert_null(sg_eval_expr(ev, sg_sum(f->ctx, big)));
    assert_non_null(sg_eval_error(ev));
    assert_non_null(strstr(sg_eval_error(ev), "--eval: the values are too large: "));
    /* and nothing after it is computed */
    assert_null(sg_eval_expr(ev, sg_const(f->ctx, 2)));
    sg_eval_free(ev);
    /* n = 3000: the values fit (9·10⁶ numbers), their product takes 2.7·10¹⁰
       multiplications */
    f->dims[f->n] = 3000;
    sq = sg_mul(f->ctx, big, sg_unary(f->ctx, SG_OP_COS, outer));
    ev = sg_eval_new(f->ctx, f->dims, f->syms);
    assert_null(sg_eval_expr(ev, sq));
    assert_non_null(strstr(sg_eval_error(ev), "--eval: the values take too long to compute"));
    sg_eval_free(ev);
    /* within the limits, no error */
    f->dims[f->n] = 30;
    ev = sg_eval_new(f->ctx, f->dims, f->syms);
    assert_non_null(sg_eval_expr(ev, sq));
    assert_null(sg_eval_error(ev));
    sg_eval_free(ev);
    free(av);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linear_algebra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_products, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kron, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_libm_functions, setup, teardown),
        cmocka_unit_test(test_max_min),
        cmocka_unit_test_setup_teardown(test_memo_after_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
