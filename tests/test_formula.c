/*
 * test_formula.c: the formula printer, Unicode and ASCII: precedence and
 * parentheses, flat product chains, the canonical forms undone for reading
 * (−a, a − b, a/s, ‖a‖², aᵀb), names, numbers, and --formulas for a whole
 * problem with its shared subexpressions named, and as lines that say what
 * each defines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/evalprint.h"
#include "codegen/formula.h"
#include "base/arena.h"
#include "parser/parser.h"
#include "symbolic/simplify.h"

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
    sg_expr *Wt = sg_transpose(c, f->W), *WtW, *N = sg_dimval(c, f->n);
    /* Wᵀ(Wx) prints flat: the association is the C printer's business */
    expect(c, sg_mul(c, Wt, sg_mul(c, f->W, f->x)), "WᵀWx", "W' * W * x");
    expect(c, sg_sub(c, sg_mul(c, Wt, sg_mul(c, f->W, f->x)), f->x), "WᵀWx − x",
           "W' * W * x - x");
    /* either association */
    WtW = sg_mul(c, Wt, f->W);
    expect(c, sg_mul(c, WtW, f->Whh), "WᵀW W_hh", "W' * W * W_hh");
    expect(c, sg_mul(c, f->Whh, WtW), "W_hh WᵀW", "W_hh * W' * W");
    /* a scaling runs on too, a sum keeps its parentheses */
    expect(c, sg_mul(c, f->beta, sg_mul(c, f->W, f->x)), "βWx", "beta * W * x");
    expect(c, sg_mul(c, f->W, sg_add(c, f->x, f->y)), "W(x + y)", "W * (x + y)");
    expect(c, sg_mul(c, sg_transpose(c, f->x), sg_mul(c, f->Whh, f->y)), "xᵀ W_hh y",
           "x' * W_hh * y");
    /* (1/n)·β·x and 2·(1/n)·x */
    expect(c, sg_mul(c, sg_hdiv(c, sg_const(c, 1), N), sg_mul(c, f->beta, f->x)), "βx/n",
           "beta * x / n");
    expect(c, sg_mul(c, sg_const(c, 2), sg_div(c, sg_mul(c, f->W, f->x), N)), "2Wx/n",
           "2 * W * x / n");
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
    /* a quotient broadcast by 𝟙 keeps its parentheses, with or without a sign
       (sum(x)/n𝟙 read as sum(x)/(n𝟙)) */
    {
        sg_expr *N = sg_dimval(c, f->n), *q = sg_div(c, sg_sum(c, f->x), N);
        expect(c, sg_fill(c, q, f->x->shape), "(sum(x)/n)𝟙", "(sum(x) / n) * ones(n)");
        expect(c, sg_sub(c, f->x, sg_fill(c, q, f->x->shape)), "x − (sum(x)/n)𝟙",
               "x - (sum(x) / n) * ones(n)");
        expect(c, sg_fill(c, sg_neg(c, q), f->x->shape), "−(sum(x)/n)𝟙",
               "-(sum(x) / n) * ones(n)");
    }
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
           "x ⊙ (WᵀWy)", "x .* (W' * W * y)");
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

/* LaTeX of e */
static void expect_latex(const sg_ctx *ctx, const sg_expr *e, const char *tex)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_expr(&b, ctx, e, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), tex);
    sg_buf_free(&b);
}

/* scalar factors as a person writes them: one fraction bar, powers for
   repeats, a − b for a + (−b) (the layer norm's 1/s 1/s 1/n and x + (−μ𝟙)) */
static void test_one_fraction(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *N = sg_dimval(c, f->n), *rs = sg_hdiv(c, sg_const(c, 1), f->s);
    sg_expr *rn = sg_hdiv(c, sg_const(c, 1), N), *e, *q;
    /* (1/s)((1/s)((1/n)x)): x/(ns²) */
    e = sg_mul(c, rs, sg_mul(c, rs, sg_mul(c, rn, f->x)));
    expect(c, e, "x/(ns²)", "x / (n * s^2)");
    expect_latex(c, e, "\\frac{x}{ns^{2}}");
    /* a scalar quotient of a quotient: (((β/s)/s)/n)·x, and its half */
    q = sg_hdiv(c, sg_hdiv(c, sg_hdiv(c, f->beta, f->s), f->s), N);
    expect_latex(c, sg_mul(c, q, f->x), "\\frac{\\beta}{ns^{2}}x");
    expect_latex(c, sg_mul(c, sg_const(c, 0.5), sg_mul(c, q, f->x)), "\\frac{\\beta}{2ns^{2}}x");
    expect(c, sg_mul(c, q, f->x), "βx/(ns²)", "beta * x / (n * s^2)");
    /* a repeated factor is a power; a factor over itself is gone */
    expect(c, sg_mul(c, f->s, sg_mul(c, f->s, f->x)), "s²x", "s^2 * x");
    expect_latex(c, sg_mul(c, f->beta, sg_mul(c, rs, sg_mul(c, f->s, f->x))), "\\beta x");
    /* a square of a square is a fourth power; forty levels of squares print
       in linear time and text (the DAG is walked once per level) */
    q = sg_mul(c, f->s, f->s);
    expect(c, sg_mul(c, sg_mul(c, q, q), f->x), "s⁴x", "s^4 * x");
    {
        sg_buf b;
        int k;
        q = f->s;
        for (k = 0; k < 40; k++)
            q = sg_mul(c, q, q);
        sg_buf_init(&b);
        sg_fmt_expr(&b, c, sg_mul(c, q, f->x), SG_FMT_LATEX);
        assert_true(b.len < 2000);
        assert_non_null(strstr(sg_buf_str(&b), "^{64}"));
        sg_buf_free(&b);
        expect(c, q, "((((((s¹⁶)⁶⁴)⁶⁴)⁶⁴)⁶⁴)⁶⁴)⁶⁴", "((((((s^16)^64)^64)^64)^64)^64)^64");
    }
    /* a numerator that holds a fraction: the fraction goes first, one level */
    e = sg_mul(c, rn, sg_mul(c, sg_sum(c, sg_add(c, f->x, sg_mul(c, rs, f->y))), f->z));
    expect_latex(c, e, "\\frac{1}{n}\\left(\\mathbf{1}^\\top\\left(x + \\frac{y}{s}\\right)\\right)z");
    /* a + (−t): a − t, whatever t is (a quotient broadcast by 𝟙 in parentheses) */
    e = sg_add(c, f->x, sg_fill(c, sg_neg(c, sg_div(c, sg_sum(c, f->y), N)), f->x->shape));
    expect(c, e, "x − (sum(y)/n)𝟙", "x - (sum(y) / n) * ones(n)");
    /* a sum alone above the bar needs no parentheses; after a fraction it does */
    expect_latex(c, sg_div(c, sg_add(c, f->s, f->beta), N), "\\frac{s + \\beta}{n}");
    expect_latex(c, sg_mul(c, rn, sg_mul(c, sg_add(c, f->beta, rs), f->x)),
                 "\\frac{1}{n}\\left(\\beta + \\frac{1}{s}\\right)x");
    /* unchanged: a number alone divides as written */
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
    expect(c, sg_sub(c, f->y, sg_ones(c, v)), "y − 𝟙", "y - ones(n)");
    expect(c, sg_sub(c, f->y, sg_fill(c, sg_const(c, 2), v)), "y − 2𝟙", "y - 2 * ones(n)");
    expect(c, sg_fill(c, sg_const(c, -1), v), "−𝟙", "-ones(n)");
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
    /* LaTeX */
    sg_fmt_result_name(&b, &r, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "\\frac{\\partial s}{\\partial z}");
    sg_buf_free(&b);
    r.kind = SG_RES_HESSIAN;
    r.of = "L";
    r.wrt = "W1";
    r.wrt2 = NULL;
    sg_fmt_result_name(&b, &r, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "\\frac{\\partial^2 L}{\\partial W_1^2}");
    sg_buf_free(&b);
}

/* the LaTeX alphabet: the same structure, TeX's spelling */
static void test_latex_alphabet(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_buf b;
    sg_expr *z1 = sg_add(c, sg_mul(c, f->W1, f->x), sg_mul(c, f->W, f->y));
    z1->name = "z1";
    sg_buf_init(&b);
    sg_fmt_expr(&b, c, sg_unary(c, SG_OP_SWISH, z1), SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "\\operatorname{swish}(z_1)");
    sg_buf_free(&b);
    sg_fmt_expr(&b, c, z1, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "W_1x + Wy");
    sg_buf_free(&b);
    sg_fmt_expr(&b, c, sg_mul(c, f->Whh, sg_transpose(c, f->Whh)), SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "W_{hh}W_{hh}^\\top");
    sg_buf_free(&b);
    sg_fmt_expr(&b, c, sg_hdiv(c, f->x, sg_add(c, f->y, f->z)), SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "x \\oslash (y + z)");
    sg_buf_free(&b);
    sg_fmt_expr(&b, c, sg_mul(c, sg_const(c, 0.25), sg_dot(c, f->x, f->y)), SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "\\tfrac{1}{4}x^\\top y");
    sg_buf_free(&b);
    sg_fmt_expr(&b, c, sg_mul(c, sg_const(c, 2), sg_const(c, 3)), SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), "6");
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
    assert_non_null(strstr(text, "r = WᵀWx − x\nL = ½‖r‖²\n∂L/∂W = "));
    assert_non_null(strstr(text, "\n∂L/∂x = "));
    again = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, again);
    free(text);
    free(again);
    text = sg_fmt_problem(&p, 1, NULL);
    assert_non_null(strstr(text, "r = W' * W * x - x\nL = 0.5 * norm(r)^2\ndL/dW = "));
    assert_non_null(strstr(text, "\ndL/dx = "));
    free(text);
}

static void grad_result(sg_result *r, const char *cname, const char *wrt, sg_expr *e)
{
    memset(r, 0, sizeof *r);
    r->kind = SG_RES_GRAD;
    r->cname = cname;
    r->of = "L";
    r->wrt = wrt;
    r->expr = e;
}

/* L = ½‖r‖² and its gradients with respect to wrt[0] and wrt[1] (named
   name[0], name[1], their fields cname[0], cname[1]), each simplified for
   display, as the problem p over res (room for 3) */
static void half_square_problem(sg_ctx *c, sg_expr *r, sg_expr *wrt[2], const char *const name[2],
                                const char *const cname[2], sg_result *res, sg_problem *p)
{
    sg_expr *L = sg_mul(c, sg_const(c, 0.5), sg_dot(c, r, r)), *out[2];
    int i;
    L->name = "L";
    sg_diff_grad(c, L, 2, wrt, out, NULL);
    memset(res, 0, 3 * sizeof *res);
    res[0].kind = SG_RES_VALUE;
    res[0].cname = res[0].of = "L";
    res[0].expr = L;
    grad_result(&res[1], cname[0], name[0], out[0]);
    grad_result(&res[2], cname[1], name[1], out[1]);
    for (i = 0; i < 3; i++)
        res[i].display = sg_simplify(c, res[i].expr);
    memset(p, 0, sizeof *p);
    p->ctx = c;
    p->results = res;
    p->nresults = 3;
}

/* ½‖WᵀWx − x‖² with nothing named: --formulas names r itself */
static void test_shared_names(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const char *const name[2] = {"W", "x"}, *const cname[2] = {"dL_dW", "dL_dx"};
    sg_expr *r, *wrt[2];
    sg_result res[3];
    sg_problem p;
    char *text;
    int i;
    r = sg_sub(c, sg_mul(c, sg_transpose(c, f->W), sg_mul(c, f->W, f->x)), f->x);
    wrt[0] = f->W;
    wrt[1] = f->x;
    half_square_problem(c, r, wrt, name, cname, res, &p);
    text = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, "r = WᵀWx − x\n"
                              "L = ½‖r‖²\n"
                              "∂L/∂W = W(xrᵀ + rxᵀ)\n"
                              "∂L/∂x = WᵀWr − r\n");
    free(text);
    text = sg_fmt_problem(&p, 1, NULL);
    assert_string_equal(text, "r = W' * W * x - x\n"
                              "L = 0.5 * norm(r)^2\n"
                              "dL/dW = W * (x * r' + r * x')\n"
                              "dL/dx = W' * W * r - r\n");
    free(text);
    /* without display forms, the compute forms print */
    for (i = 0; i < 3; i++)
        res[i].display = NULL;
    text = sg_fmt_problem(&p, 0, NULL);
    assert_non_null(strstr(text, "r = WᵀWx − x\nL = ½‖r‖²\n"));
    free(text);
}

/* a smaller node is named when it occurs in three formulas: ½‖AᵀB − W_hh‖² */
static void test_three_places(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    static const char *const name[2] = {"A", "B"}, *const cname[2] = {"dL_dA", "dL_dB"};
    sg_expr *r, *wrt[2];
    sg_result res[3];
    sg_problem p;
    char *text;
    r = sg_sub(c, sg_mul(c, sg_transpose(c, f->A), f->B), f->Whh);
    wrt[0] = f->A;
    wrt[1] = f->B;
    half_square_problem(c, r, wrt, name, cname, res, &p);
    text = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, "r = AᵀB − W_hh\n"
                              "L = ½‖r‖²\n"
                              "∂L/∂A = Brᵀ\n"
                              "∂L/∂B = Ar\n");
    free(text);
}

/* fresh names avoid symbols, in printing order, each after what it uses */
static void test_fresh_names(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_span sp = {0, 0};
    sg_expr *q, *t, *small, *rsym;
    sg_result res[4];
    sg_problem p;
    char *text;
    rsym = sg_var(c, sg_sym_add(c, "r", sg_shape_make(f->n, SG_DIM_ONE), 0, sp));
    q = sg_sub(c, sg_mul(c, sg_transpose(c, f->W), sg_mul(c, f->W, f->x)), rsym);
    t = sg_hadamard(c, sg_unary(c, SG_OP_TANH, q), sg_unary(c, SG_OP_SIGMOID, q));
    small = sg_sub(c, sg_unary(c, SG_OP_SOFTMAX, f->z), f->y); /* too short for a name */
    grad_result(&res[0], "a", "x", t);
    grad_result(&res[1], "b", "y", sg_mul(c, t, sg_transpose(c, f->y)));
    grad_result(&res[2], "c", "z", small);
    grad_result(&res[3], "d", "W", sg_mul(c, small, sg_transpose(c, f->x)));
    memset(&p, 0, sizeof p);
    p.ctx = c;
    p.results = res;
    p.nresults = 4;
    text = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, "u = WᵀWx − r\n"
                              "v = tanh(u) ⊙ σ(u)\n"
                              "∂L/∂x = v\n"
                              "∂L/∂y = vyᵀ\n"
                              "∂L/∂z = softmax(z) − y\n"
                              "∂L/∂W = (softmax(z) − y)xᵀ\n");
    free(text);
}

/* sequences: h[t], h[T], Σ over time, and the recurrences they come from */
static void test_sequences(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_span sp = {0, 0};
    sg_dim T = sg_dim_named(c, "T");
    sg_shape v = sg_shape_make(f->n, SG_DIM_ONE);
    sg_index one = sg_index_make(-1, 1), last = sg_index_make(T, 0);
    int x = sg_seq_add_input(c, "x", v, 0, one, last, sp);
    int h = sg_seq_add(c, "h", SG_SEQ_FORWARD, v, one, last, sp);
    sg_seq *hs = sg_seq_get_mut(c, h);
    sg_expr *ht = sg_seqstep(c, h, 0), *L;
    sg_result res;
    sg_problem p;
    char *text;
    hs->init = f->z;
    hs->body = sg_unary(c, SG_OP_TANH, sg_add(c, sg_mul(c, f->Whh, sg_seqstep(c, h, -1)),
                                              sg_seqstep(c, x, 0)));
    L = sg_mul(c, sg_const(c, 0.5), sg_seqsum(c, sg_dot(c, ht, ht), one, last));
    expect(c, L, "½ Σ_{t=1}^{T} ‖h[t]‖²", "0.5 * sum(t = 1..T, norm(h[t])^2)");
    expect(c, sg_at(c, h, last), "h[T]", "h[T]");
    memset(&res, 0, sizeof res);
    res.kind = SG_RES_VALUE;
    res.cname = res.of = "L";
    res.expr = L;
    memset(&p, 0, sizeof p);
    p.ctx = c;
    p.results = &res;
    p.nresults = 1;
    text = sg_fmt_problem(&p, 0, NULL);
    assert_string_equal(text, "h[0] = z\n"
                              "h[t] = tanh(W_hh h[t−1] + x[t]), t = 1, …, T\n"
                              "L = ½ Σ_{t=1}^{T} ‖h[t]‖²\n");
    free(text);
    text = sg_fmt_problem(&p, 1, NULL);
    assert_string_equal(text, "h[0] = z\n"
                              "h[t] = tanh(W_hh * h[t-1] + x[t]) for t = 1..T\n"
                              "L = 0.5 * sum(t = 1..T, norm(h[t])^2)\n");
    free(text);
}

/* ---- whole problems from text: many inputs, deep shared chains ----------------------- */

/* --formulas of a problem's text, and the nodes of the DAG it prints (its
   definitions and results, each node once); the caller frees */
static char *formulas_of(const char *text, long *dag)
{
    sg_src *src = sg_src_new("test.sg", text, strlen(text));
    sg_arena *ar = sg_arena_new();
    sg_problem *p = sg_check(src, sg_parse(src, ar));
    unsigned char *seen;
    const sg_expr **stack;
    char *out;
    long n = 0;
    int i, top = 0;
    if (!p || sg_src_nerrors(src))
        sg_src_print_errors(src, stderr);
    assert_non_null(p);
    seen = calloc(sg_expr_count(p->ctx) + 1, 1);
    stack = malloc((sg_expr_count(p->ctx) + 1) * 2 * sizeof *stack);
    assert_non_null(seen);
    assert_non_null(stack);
    for (i = 0; i < p->nresults + p->ndefs; i++) {
        const sg_expr *e = i < p->nresults ? p->results[i].display : p->defs[i - p->nresults].expr;
        if (e)
            stack[top++] = e;
        while (top > 0) {
            const sg_expr *t = stack[--top];
            int k;
            if (seen[t->id])
                continue;
            seen[t->id] = 1;
            n++;
            for (k = 0; k < t->nkids; k++)
                if (!seen[t->kid[k]->id])
                    stack[top++] = t->kid[k];
        }
    }
    free(seen);
    free(stack);
    out = sg_fmt_problem(p, 0, NULL);
    sg_problem_free(p);
    sg_arena_free(ar);
    sg_src_free(src);
    if (dag)
        *dag = n;
    return out;
}

/* 19 and 100 inputs into one sum, ⊙ chain and product: every one printed */
static void test_many_inputs(void **state)
{
    static const char *const ops[] = {" + ", " ⊙ ", " "};
    int o, k, n, i;
    (void)state;
    for (o = 0; o < 3; o++)
        for (k = 0; k < 2; k++) {
            sg_buf b;
            char *text;
            n = k ? 100 : 19;
            sg_buf_init(&b);
            sg_buf_puts(&b, "x ∈ ℝ^n\n");
            for (i = 0; i < n; i++)
                sg_buf_printf(&b, "a%d ∈ ℝ^%s\n", i, o == 2 ? "{n×n}" : "n");
            sg_buf_puts(&b, "L = sum(");
            for (i = 0; i < n; i++)
                sg_buf_printf(&b, "a%d%s", i, ops[o]);
            sg_buf_puts(&b, "x)\ngrad L wrt a0, x\n");
            text = formulas_of(sg_buf_str(&b), NULL);
            assert_non_null(strstr(text, k ? "a₉₉" : "a₁₈"));
            assert_non_null(strstr(text, "\n∂L/∂a₀ = "));
            assert_non_null(strstr(text, "\n∂L/∂x = "));
            free(text);
            sg_buf_free(&b);
        }
}

/*
 * Chains whose levels use the level below twice: v_i = v_{i−1} ⊙ v_{i−1} +
 * v_{i−1} (grad), x_i = x_{i−1}x_{i−1} + i, x_i = x_{i−1} + x_{i−1}ᵀ. The
 * tree of such a DAG doubles per level; --formulas prints each shared node
 * once, by name, so its text is linear in the DAG it is given: at most 16
 * bytes a node (measured 6 to 15). The ⊙ chain's display DAG grows faster
 * than its depth (94, 207, 745 nodes at 10, 20, 40: simplify spreads the
 * sums), the others linearly, and so does their text: at most 3× per
 * doubling (measured 2.0 to 2.5, the names' subscripts growing too), where
 * a printer of trees would grow 2^10× and more.
 */
static void test_shared_chains_linear(void **state)
{
    int shape, k, i;
    (void)state;
    for (shape = 0; shape < 3; shape++) {
        size_t len[3];
        for (k = 0; k < 3; k++) {
            int n = 10 << k;
            sg_buf b;
            char *text;
            long dag;
            sg_buf_init(&b);
            if (shape == 0) {
                sg_buf_puts(&b, "x ∈ ℝ^n\nv0 = tanh(x)\n");
                for (i = 1; i <= n; i++)
                    sg_buf_printf(&b, "v%d = v%d ⊙ v%d + v%d\n", i, i - 1, i - 1, i - 1);
                sg_buf_printf(&b, "L = sum(v%d)\ngrad L wrt x\n", n);
            } else if (shape == 1) {
                sg_buf_puts(&b, "x0 : scalar\n");
                for (i = 1; i < n; i++)
                    sg_buf_printf(&b, "x%d = x%d * x%d + %d\n", i, i - 1, i - 1, i);
                sg_buf_printf(&b, "grad x%d wrt x0\n", n - 1);
            } else {
                sg_buf_puts(&b, "x0 : matrix(m, m)\n");
                for (i = 1; i < n; i++)
                    sg_buf_printf(&b, "x%d = x%d + x%d'\n", i, i - 1, i - 1);
                sg_buf_printf(&b, "L = tr(x%d)\ngrad L wrt x0\n", n - 1);
            }
            text = formulas_of(sg_buf_str(&b), &dag);
            len[k] = strlen(text);
            if ((long)len[k] > 16 * dag) {
                fprintf(stderr, "shape %d, %d levels: %zu bytes for %ld nodes\n", shape, n, len[k],
                        dag);
                fail();
            }
            free(text);
            sg_buf_free(&b);
        }
        if (shape > 0 && (len[1] > 3 * len[0] || len[2] > 3 * len[1])) {
            fprintf(stderr, "shape %d: %zu, %zu, %zu bytes\n", shape, len[0], len[1], len[2]);
            fail();
        }
    }
}

/* --eval's messages quote the user's text: control bytes (an escape
   sequence, a newline) and bytes that are not UTF-8 come out as \xNN */
static void test_eval_messages(void **state)
{
    static const char *const specs[][2] = {
        {"x=\033[31m\n\\input", "--eval: expected a number at '\\x1B[31m\\x0A\\input'\n"
                                   "    x=\\x1B[31m\n"
                                   "      ^~~~"},
        {"x=[1 \033]", "--eval: expected ',' or ']' at '\\x1B]'"},
        {"\001xé=1", "--eval: \\x01xé is not an input or a dimension of this problem"},
        {"x=[1,\377]", "--eval: expected a number at '\\xFF]'\n"
                        "    x=[1,\\xFF]\n"
                        "         ^~~~"},
        /* an overflowing literal: the caret under it, on its line of VALUES */
        {"x=[1,\n 2, -1e400]", "--eval: -1e400 is too large for a double (at most about 1.8e308)\n"
                               "     2, -1e400]\n"
                               "        ^~~~~~"},
        {"q\033 1", "--eval: expected '=' after q\\x1B"},
    };
    const char *text = "x ∈ ℝ^n\nL = ‖x‖²\ngrad L wrt x\n";
    size_t i;
    (void)state;
    for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        sg_src *src = sg_src_new("test.sg", text, strlen(text));
        sg_arena *ar = sg_arena_new();
        sg_problem *p = sg_check(src, sg_parse(src, ar));
        sg_buf out, err;
        assert_non_null(p);
        sg_buf_init(&out);
        sg_buf_init(&err);
        assert_int_not_equal(sg_evalprint(p, specs[i][0], &out, &err), 0);
        assert_string_equal(sg_buf_str(&err), specs[i][1]);
        sg_buf_free(&out);
        sg_buf_free(&err);
        sg_problem_free(p);
        sg_arena_free(ar);
        sg_src_free(src);
    }
}

/* a recurrence's steps under --eval, named in full: a name of 181
   characters and its index (a 160-byte buffer cut them) */
static void test_eval_long_sequence(void **state)
{
    char name[200], want[220];
    sg_buf text, out, err;
    sg_src *src;
    sg_arena *ar;
    sg_problem *p;
    (void)state;
    memset(name, 'a', 181);
    name[0] = 'h';
    name[181] = '\0';
    sg_buf_init(&text);
    sg_buf_printf(&text, "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×k}\n%s[0] = h0\n"
                         "%s[t] = tanh(%s[t−1] + W x[t]) for t = 1..T\n"
                         "L = Σ_{t=1}^{T} sum(%s[t])\ngrad L wrt W\n", name, name, name, name);
    src = sg_src_new("test.sg", sg_buf_str(&text), text.len);
    ar = sg_arena_new();
    p = sg_check(src, sg_parse(src, ar));
    assert_non_null(p);
    sg_buf_init(&out);
    sg_buf_init(&err);
    assert_int_equal(sg_evalprint(p, "x=[[1],[2]]; h0=[0]; W=[[1]]", &out, &err), 0);
    snprintf(want, sizeof want, "\n%s[2] = 0.99204557", name);
    assert_non_null(strstr(sg_buf_str(&out), want));
    sg_buf_free(&out);
    sg_buf_free(&err);
    sg_buf_free(&text);
    sg_problem_free(p);
    sg_arena_free(ar);
    sg_src_free(src);
}

/* ---- --formulas as lines, each with what it defines ---------------------------------- */

/* the line that defines sequence q at t (at_t) or at its first step, found
   the way the C printer found it in the text before sg_fmt_seq_line: the
   first line that starts with the name and '[', followed by "t] = " or not */
static const char *searched_seq_line(const sg_problem *p, const char *text, int q, int at_t,
                                     int ascii, size_t *len)
{
    sg_buf pre;
    const char *s, *r = NULL;
    sg_buf_init(&pre);
    if (ascii)
        sg_fmt_seq_name(&pre, p->ctx, q, ascii);
    else
        sg_fmt_name(&pre, sg_seq_get(p->ctx, q)->name, 0);
    sg_buf_putc(&pre, '[');
    for (s = text; *s && !r;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n > pre.len && !strncmp(s, sg_buf_str(&pre), pre.len) &&
            (strncmp(s + pre.len, "t] = ", 5) == 0) == at_t) {
            r = s;
            *len = n;
        }
        s += n + (nl ? 1 : 0);
    }
    sg_buf_free(&pre);
    return r;
}

/* does line l start with s? */
static int line_starts(const sg_fmt_line *l, const char *s)
{
    return l->len >= strlen(s) && !strncmp(l->text, s, strlen(s));
}

/* the lines of p's --formulas in one alphabet: the text's lines, in order,
   each tagged with what it defines; returns the sequence lines */
static int check_lines_of(const sg_problem *p, int ascii)
{
    sg_fmt_lines f;
    size_t len, at = 0, n;
    char *text = sg_fmt_problem(p, ascii, &len);
    int i, q, at_t, nseq = 0;
    sg_fmt_problem_lines(&f, p, ascii);
    assert_int_equal(f.len, len);
    assert_memory_equal(f.text, text, len + 1);
    for (i = 0; i < f.n; i++) { /* line i is the text's line i */
        const sg_fmt_line *l = &f.line[i];
        sg_buf b;
        assert_ptr_equal(l->text, f.text + at);
        assert_null(memchr(l->text, '\n', l->len));
        assert_int_equal(text[at + l->len], '\n');
        at += l->len + 1;
        sg_buf_init(&b);
        switch (l->kind) {
        case SG_FMT_LINE_DEF:
            assert_int_equal(l->seq, -1);
            assert_non_null(l->expr);
            assert_non_null(strstr(l->text, " = "));
            break;
        case SG_FMT_LINE_SEQ_INIT: case SG_FMT_LINE_SEQ_STEP:
            assert_true(l->seq >= 0 && l->seq < sg_seq_count(p->ctx));
            sg_fmt_seq_name(&b, p->ctx, l->seq, ascii);
            sg_buf_putc(&b, '[');
            assert_true(line_starts(l, sg_buf_str(&b)));
            assert_int_equal(!strncmp(l->text + b.len, "t] = ", 5),
                             l->kind == SG_FMT_LINE_SEQ_STEP);
            nseq++;
            break;
        case SG_FMT_LINE_RESULT:
            assert_true(l->result >= 0 && l->result < p->nresults);
            assert_ptr_equal(l->expr, p->results[l->result].display
                                          ? p->results[l->result].display
                                          : p->results[l->result].expr);
            sg_fmt_result_name(&b, &p->results[l->result], ascii);
            sg_buf_puts(&b, " = ");
            assert_true(line_starts(l, sg_buf_str(&b)));
            break;
        }
        sg_buf_free(&b);
    }
    assert_int_equal(at, len);
    for (q = 0; q < sg_seq_count(p->ctx); q++) /* the line for a loop, without a search */
        for (at_t = 0; at_t <= 1; at_t++) {
            const sg_fmt_line *l = sg_fmt_seq_line(&f, q, at_t);
            const char *s = searched_seq_line(p, text, q, at_t, ascii, &n);
            if (!s) {
                assert_null(l);
                continue;
            }
            assert_non_null(l);
            assert_ptr_equal(l->text, f.text + (s - text));
            assert_int_equal(l->len, n);
        }
    free(text);
    sg_fmt_lines_free(&f);
    return nseq;
}

static void test_problem_lines(void **state)
{
    static const struct {
        const char *text;
        int seqlines; /* in each alphabet */
    } cases[] = {
        /* examples/rnn.sg: h[0], h[t] and δh[t] */
        {"prefix rnn\nx[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0 ∈ ℝ^n\n"
         "W_hh ∈ ℝ^{n×n}\nW_xh ∈ ℝ^{n×k}\nW_y ∈ ℝ^{p×n}\nh[0] = h0\n"
         "h[t] = tanh(W_hh h[t−1] + W_xh x[t]) for t = 1..T\n"
         "L = Σ_{t=1}^{T} ½‖W_y h[t] − y[t]‖²\ngrad L wrt W_hh, W_xh, W_y, h0\n",
         3},
        /* tests/latex/rnn_sigmoid.sg */
        {"u[t] ∈ ℝ^m for t = 1..T\ns0 ∈ ℝ^d\nA ∈ ℝ^{d×d}\nB ∈ ℝ^{d×m}\ns[0] = s0\n"
         "s[t] = σ(A s[t−1] + B u[t]) for t = 1..T\nE = Σ_{t=1}^{T} ½‖s[t]‖²\ngrad E wrt A, B\n",
         3},
        /* two recurrences and their adjoints, a fixed step in the loss */
        {"x[t] ∈ ℝ^n for t = 1..T\nh0, g0 ∈ ℝ^n\nW, V ∈ ℝ^{n×n}\nh[0] = h0\n"
         "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\ng[0] = g0\n"
         "g[t] = σ(V g[t−1] + W x[t]) for t = 1..T\n"
         "L = Σ_{t=1}^{T} ⟨h[t], g[t]⟩ + ‖g[T]‖²\ngrad L wrt W, V, h0, g0\n",
         6},
        /* a subscripted name (h1 prints h₁), a recurrence read at fixed steps
           only, definitions and a value among the results */
        {"x[t] ∈ ℝ^n for t = 1..T\nW ∈ ℝ^{n×n}\nb ∈ ℝ^n\nh1[0] = b\ng[0] = b\n"
         "h1[t] = tanh(W h1[t−1] + x[t]) for t = 1..T\n"
         "g[t] = tanh(W h1[t−1] + x[t]) for t = 1..T\n"
         "r = W b − b\nL = sum(g[T]) + ‖g[1]‖² + ‖r‖²\noutput L, r\ngrad L wrt W, b\n",
         -1},
        /* no sequence at all */
        {"W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nr = Wᵀ(W x) − x\nL = ‖r‖² + sum(r)\ngrad L wrt W, x\n", 0},
    };
    size_t i;
    int ascii;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        sg_src *src = sg_src_new("test.sg", cases[i].text, strlen(cases[i].text));
        sg_arena *ar = sg_arena_new();
        sg_problem *p = sg_check(src, sg_parse(src, ar));
        if (!p || sg_src_nerrors(src))
            sg_src_print_errors(src, stderr);
        assert_non_null(p);
        for (ascii = 0; ascii <= 1; ascii++) {
            int n = check_lines_of(p, ascii);
            if (cases[i].seqlines >= 0)
                assert_int_equal(n, cases[i].seqlines);
            else
                assert_true(n > 0);
        }
        sg_problem_free(p);
        sg_arena_free(ar);
        sg_src_free(src);
    }
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
        cmocka_unit_test_setup_teardown(test_latex_alphabet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_problem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequences, setup, teardown),
        cmocka_unit_test(test_many_inputs),
        cmocka_unit_test(test_shared_chains_linear),
        cmocka_unit_test(test_eval_messages),
        cmocka_unit_test_setup_teardown(test_one_fraction, setup, teardown),
        cmocka_unit_test(test_eval_long_sequence),
        cmocka_unit_test(test_problem_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
