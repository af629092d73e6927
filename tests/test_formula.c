/*
 * test_formula.c: the formula printer, Unicode and ASCII: precedence and
 * parentheses, the canonical forms undone for reading (−a, a − b, a/s, ‖a‖²,
 * aᵀb), names, numbers, and --formulas for a whole problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "codegen/formula.h"

typedef struct {
    sg_ctx *ctx;
    sg_dim m, n;
    sg_expr *W, *x, *y, *z, *A, *B, *s, *beta, *W1, *Whh;
} fixture;

static sg_expr *var(sg_ctx *ctx, const char *name, sg_dim r, sg_dim c)
{
    sg_span sp = {0, 0};
    return sg_var(ctx, sg_sym_add(ctx, name, sg_shape_make(r, c), 0, sp));
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sg_ctx *c = sg_ctx_new();
    f->ctx = c;
    f->m = sg_dim_named(c, "m");
    f->n = sg_dim_named(c, "n");
    f->W = var(c, "W", f->m, f->n);
    f->x = var(c, "x", f->n, SG_DIM_ONE);
    f->y = var(c, "y", f->n, SG_DIM_ONE);
    f->z = var(c, "z", f->n, SG_DIM_ONE);
    f->A = var(c, "A", f->m, f->n);
    f->B = var(c, "B", f->m, f->n);
    f->s = var(c, "s", SG_DIM_ONE, SG_DIM_ONE);
    f->beta = var(c, "beta", SG_DIM_ONE, SG_DIM_ONE);
    f->W1 = var(c, "W1", f->m, f->n);
    f->Whh = var(c, "W_hh", f->n, f->n);
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

/* e printed in Unicode and in ASCII */
static void expect(const sg_ctx *ctx, const sg_expr *e, const char *uni, const char *ascii)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_expr(&b, ctx, e, 0);
    assert_string_equal(sg_buf_str(&b), uni);
    sg_buf_free(&b);
    sg_fmt_expr(&b, ctx, e, 1);
    assert_string_equal(sg_buf_str(&b), ascii);
    sg_buf_free(&b);
}

static void test_products(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *Wt = sg_transpose(c, f->W);
    /* Wᵀ(Wx): the association of the DAG, with the parentheses it needs */
    expect(c, sg_mul(c, Wt, sg_mul(c, f->W, f->x)), "Wᵀ(Wx)", "W' * (W * x)");
    expect(c, sg_sub(c, sg_mul(c, Wt, sg_mul(c, f->W, f->x)), f->x), "Wᵀ(Wx) − x",
           "W' * (W * x) - x");
    /* long names stand apart, single letters run together */
    expect(c, sg_mul(c, f->Whh, f->x), "W_hh x", "W_hh * x");
    expect(c, sg_mul(c, f->W1, f->x), "W₁x", "W1 * x");
    expect(c, sg_transpose(c, sg_mul(c, f->W, f->x)), "(Wx)ᵀ", "(W * x)'");
    expect(c, sg_mul(c, sg_add(c, f->A, f->B), f->x), "(A + B)x", "(A + B) * x");
}

static void test_signs(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    expect(c, sg_neg(c, f->x), "−x", "-x");
    expect(c, sg_sub(c, f->x, sg_mul(c, sg_const(c, 2), f->y)), "x − 2y", "x - 2 * y");
    expect(c, sg_add(c, sg_neg(c, f->x), f->y), "−x + y", "-x + y");
    expect(c, sg_sub(c, f->x, sg_add(c, f->y, f->z)), "x − (y + z)", "x - (y + z)");
    expect(c, sg_neg(c, sg_add(c, f->x, f->y)), "−(x + y)", "-(x + y)");
    expect(c, sg_mul(c, sg_const(c, -3), f->x), "−3x", "-3 * x");
}

static void test_functions(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *sm = sg_unary(c, SG_OP_SOFTMAX, f->z);
    expect(c, sg_unary(c, SG_OP_SIGMOID, f->z), "σ(z)", "sigmoid(z)");
    expect(c, sm, "softmax(z)", "softmax(z)");
    expect(c, sg_hadamard(c, f->x, f->y), "x ⊙ y", "x .* y");
    expect(c, sg_hdiv(c, f->x, f->y), "x ⊘ y", "x ./ y");
    /* −yᵀ log(s) */
    expect(c, sg_neg(c, sg_mul(c, sg_transpose(c, f->y), sg_unary(c, SG_OP_LOG, f->x))),
           "−yᵀ log(x)", "-y' * log(x)");
    expect(c, sg_unary(c, SG_OP_NORM1, f->x), "‖x‖₁", "norm1(x)");
    expect(c, sg_unary(c, SG_OP_NORM, sg_sub(c, f->x, f->y)), "‖x − y‖", "norm(x - y)");
    expect(c, sg_unary(c, SG_OP_SQRT, f->s), "√s", "sqrt(s)");
    expect(c, sg_unary(c, SG_OP_ABS, f->s), "|s|", "abs(s)");
    expect(c, sg_unary(c, SG_OP_ABS, f->x), "abs(x)", "abs(x)");
    expect(c, sg_trace(c, f->Whh), "tr(W_hh)", "tr(W_hh)");
    expect(c, sg_unary(c, SG_OP_INV, f->Whh), "W_hh⁻¹", "inv(W_hh)");
    expect(c, sg_unary(c, SG_OP_LOGDET, f->Whh), "log|W_hh|", "logdet(W_hh)");
    expect(c, sg_unary(c, SG_OP_DET, f->Whh), "|W_hh|", "det(W_hh)");
    /* a ⊙ next to a product is parenthesized */
    expect(c, sg_mul(c, sg_hadamard(c, f->x, f->y), sg_transpose(c, f->z)), "(x ⊙ y)zᵀ",
           "(x .* y) * z'");
    expect(c, sg_hadamard(c, f->x, sg_mul(c, sg_transpose(c, f->W), sg_mul(c, f->W, f->y))),
           "x ⊙ (Wᵀ(Wy))", "x .* (W' * (W * y))");
}

static void test_norms_and_dots(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *r = sg_sub(c, f->x, f->y);
    expect(c, sg_mul(c, sg_const(c, 0.5), sg_dot(c, r, r)), "½‖x − y‖²", "0.5 * norm(x - y)^2");
    expect(c, sg_dot(c, f->x, f->y), "xᵀy", "x' * y");
    expect(c, sg_dot(c, f->A, f->B), "⟨A, B⟩", "dot(A, B)");
    expect(c, sg_dot(c, sg_add(c, f->x, f->z), f->y), "(x + z)ᵀy", "(x + z)' * y");
}

static void test_powers_and_division(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *N = sg_dimval(c, f->n);
    expect(c, sg_pow(c, f->s, sg_const(c, 2)), "s²", "s^2");
    expect(c, sg_pow(c, f->s, sg_const(c, -1)), "s⁻¹", "s^(-1)");
    expect(c, sg_pow(c, f->x, sg_const(c, 3)), "x.^3", "x.^3");
    expect(c, sg_pow(c, f->x, sg_const(c, 0.5)), "x.^0.5", "x.^0.5");
    expect(c, sg_div(c, f->x, N), "x/n", "x / n");
    expect(c, sg_div(c, f->s, N), "s/n", "s / n");
    expect(c, sg_mul(c, sg_div(c, f->beta, sg_const(c, 2)), sg_dot(c, f->x, f->x)),
           "(β/2)‖x‖²", "(beta / 2) * norm(x)^2");
}

static void test_numbers(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    expect(c, sg_const(c, 10), "10", "10");
    expect(c, sg_const(c, 0.1), "0.1", "0.1");
    expect(c, sg_const(c, 1e-5), "1e-05", "1e-05");
    expect(c, sg_const(c, 0.25), "¼", "0.25");
    expect(c, sg_const(c, -2.5), "−2.5", "-2.5");
    expect(c, sg_mul(c, sg_const(c, 2), f->x), "2x", "2 * x");
    expect(c, sg_mul(c, sg_const(c, 2), sg_unary(c, SG_OP_LOG, f->x)), "2 log(x)",
           "2 * log(x)");
}

static void test_leaves(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_shape v = sg_shape_make(f->n, SG_DIM_ONE);
    expect(c, sg_sub(c, sg_ones(c, v), f->y), "𝟙 − y", "ones(n) - y");
    expect(c, sg_add(c, f->Whh, sg_mul(c, f->beta, sg_eye(c, f->n))), "W_hh + βI",
           "W_hh + beta * eye(n)");
    expect(c, sg_dimval(c, f->n), "n", "n");
    expect(c, f->beta, "β", "beta");
}

static void test_names(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *z1 = sg_add(c, sg_mul(c, f->W1, f->x), sg_mul(c, f->W, f->y));
    sg_expr *h;
    sg_buf b;
    z1->name = "z1";
    h = sg_unary(c, SG_OP_TANH, z1);
    /* a named node prints as its name, except as the root */
    expect(c, h, "tanh(z₁)", "tanh(z1)");
    expect(c, z1, "W₁x + Wy", "W1 * x + W * y");
    sg_buf_init(&b);
    sg_fmt_name(&b, "beta2", 0);
    assert_string_equal(sg_buf_str(&b), "β₂");
    sg_buf_free(&b);
    sg_fmt_name(&b, "h0", 0);
    assert_string_equal(sg_buf_str(&b), "h₀");
    sg_buf_free(&b);
    sg_fmt_name(&b, "W_hh", 0);
    assert_string_equal(sg_buf_str(&b), "W_hh");
    sg_buf_free(&b);
}

static void test_result_names(void **state)
{
    sg_result r;
    sg_buf b;
    (void)state;
    memset(&r, 0, sizeof r);
    sg_buf_init(&b);
    r.kind = SG_RES_GRAD;
    r.of = "L";
    r.wrt = "W1";
    sg_fmt_result_name(&b, &r, 0);
    assert_string_equal(sg_buf_str(&b), "∂L/∂W₁");
    sg_buf_free(&b);
    sg_fmt_result_name(&b, &r, 1);
    assert_string_equal(sg_buf_str(&b), "dL/dW1");
    sg_buf_free(&b);
    r.kind = SG_RES_HESSIAN;
    r.wrt = "x";
    sg_fmt_result_name(&b, &r, 0);
    assert_string_equal(sg_buf_str(&b), "∂²L/∂x²");
    sg_buf_free(&b);
    sg_fmt_result_name(&b, &r, 1);
    assert_string_equal(sg_buf_str(&b), "d2L/dx2");
    sg_buf_free(&b);
    r.wrt2 = "y";
    sg_fmt_result_name(&b, &r, 0);
    assert_string_equal(sg_buf_str(&b), "∂²L/∂x∂y");
    sg_buf_free(&b);
    r.kind = SG_RES_JACOBIAN;
    r.of = "s";
    r.wrt = "z";
    sg_fmt_result_name(&b, &r, 1);
    assert_string_equal(sg_buf_str(&b), "ds/dz");
    sg_buf_free(&b);
}

/* --formulas: the named intermediates, then each result */
static void test_problem(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *r, *L, *wrt[2], *out[2];
    sg_result res[3];
    sg_problem p;
    char *text, *again;
    r = sg_sub(c, sg_mul(c, sg_transpose(c, f->W), sg_mul(c, f->W, f->x)), f->x);
    r->name = "r";
    L = sg_mul(c, sg_const(c, 0.5), sg_dot(c, r, r));
    L->name = "L";
    wrt[0] = f->W;
    wrt[1] = f->x;
    sg_diff_grad(c, L, 2, wrt, out, NULL);
    memset(res, 0, sizeof res);
    res[0].kind = SG_RES_VALUE;
    res[0].cname = res[0].of = "L";
    res[0].expr = L;
    res[1].kind = SG_RES_GRAD;
    res[1].cname = "dL_dW";
    res[1].of = "L";
    res[1].wrt = "W";
    res[1].expr = out[0];
    res[2].kind = SG_RES_GRAD;
    res[2].cname = "dL_dx";
    res[2].of = "L";
    res[2].wrt = "x";
    res[2].expr = out[1];
    memset(&p, 0, sizeof p);
    p.ctx = c;
    p.results = res;
    p.nresults = 3;
    text = sg_fmt_problem(&p, 0, NULL);
    assert_non_null(strstr(text, "r = Wᵀ(Wx) − x\nL = ½‖r‖²\n∂L/∂W = "));
    assert_non_null(strstr(text, "\n∂L/∂x = "));
    again = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, again);
    free(text);
    free(again);
    text = sg_fmt_problem(&p, 1, NULL);
    assert_non_null(strstr(text, "r = W' * (W * x) - x\nL = 0.5 * norm(r)^2\ndL/dW = "));
    assert_non_null(strstr(text, "\ndL/dx = "));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_products, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_norms_and_dots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_powers_and_division, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_problem, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
