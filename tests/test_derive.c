/*
 * test_derive.c: the expressions a derivation document shows
 * (symbolic/derive.h), each against what it claims, numerically where the
 * claim is about values.
 *
 * - A rule instantiated with the logged adjoint is the logged contribution
 *   (the same node): the lines print the rules diff.c applied.
 * - A rule instantiated with a stand-in, the stand-in then read as the
 *   logged adjoint, has the contribution's values.
 * - A display form has the values of what it displays, and is made once.
 * - f′ of each elementwise function matches central finite differences of
 *   the function.
 * - A step body read at a fixed step has the interpreter's value of that
 *   step, and one step later read one step earlier is the same node.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/formula.h"
#include "base/arena.h"
#include "parser/parser.h"
#include "symbolic/check.h"
#include "symbolic/derive.h"
#include "symbolic/diff.h"
#include "symbolic/eval.h"
#include "symbolic/props.h"

#define MAXSYMS 256
#define DIM 3

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
    long dims[16];
    double *vals[MAXSYMS]; /* every symbol, stand-ins too: DIM×DIM values */
    const double *syms[MAXSYMS];
} run;

static void start(run *r, const char *text, double lo, double hi)
{
    unsigned long rng = 12345;
    int i, k;
    memset(r, 0, sizeof *r);
    r->src = sg_src_new("t.sg", text, strlen(text));
    r->arena = sg_arena_new();
    r->p = sg_check(r->src, sg_parse(r->src, r->arena));
    if (!r->p || sg_src_nerrors(r->src))
        sg_src_print_errors(r->src, stderr);
    assert_non_null(r->p);
    for (i = 0; i < 16; i++)
        r->dims[i] = DIM;
    for (i = 0; i < MAXSYMS; i++) {
        r->vals[i] = malloc(DIM * DIM * sizeof(double));
        for (k = 0; k < DIM * DIM; k++) {
            rng = rng * 6364136223846793005ul + 1442695040888963407ul;
            r->vals[i][k] = lo + (hi - lo) * (double)(rng >> 11) / (double)(1ul << 53);
        }
        r->syms[i] = r->vals[i];
    }
}

static void stop(run *r)
{
    int i;
    for (i = 0; i < MAXSYMS; i++)
        free(r->vals[i]);
    sg_problem_free(r->p);
    sg_arena_free(r->arena);
    sg_src_free(r->src);
}

/* the largest difference between the values of a and b, relative to the
   largest entry of a */
static double gap(run *r, const sg_expr *a, const sg_expr *b)
{
    sg_eval *ev;
    const double *va, *vb;
    double *keep, big = 0, worst = 0;
    long n, k;
    assert_true(sg_sym_count(r->p->ctx) <= MAXSYMS);
    ev = sg_eval_new(r->p->ctx, r->dims, r->syms);
    n = sg_eval_rows(ev, a->shape) * sg_eval_cols(ev, a->shape);
    va = sg_eval_expr(ev, a);
    assert_non_null(va);
    keep = malloc((size_t)(n ? n : 1) * sizeof *keep);
    memcpy(keep, va, (size_t)n * sizeof *keep);
    vb = sg_eval_expr(ev, b);
    assert_non_null(vb);
    for (k = 0; k < n; k++) {
        if (fabs(keep[k]) > big)
            big = fabs(keep[k]);
        if (fabs(keep[k] - vb[k]) > worst)
            worst = fabs(keep[k] - vb[k]);
    }
    free(keep);
    sg_eval_free(ev);
    return worst / (1 + big);
}

static const char *const problems[] = {
    "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W, x\n",
    "x ∈ ℝ^D\nW₁ ∈ ℝ^{H×D}\nb₁ ∈ ℝ^H\nW₂ ∈ ℝ^{C×H}\nb₂ ∈ ℝ^C\ny ∈ Δ^C\nz₁ = W₁x + b₁\n"
    "h₁ = swish(z₁)\nz₂ = W₂h₁ + b₂\nL = −yᵀ log(softmax(z₂))\ngrad L wrt W₁, b₁, W₂, b₂\n",
    "X ∈ ℝ^{N×Q}\nY ∈ ℝ^{N×D}\nβ ∈ ℝ\nK = XXᵀ + βI\nL = −D/2 log|K| − ½ tr(K⁻¹YYᵀ)\n"
    "grad L wrt X, β\n",
    "X ∈ ℝ^{N×D}\ny ∈ ℝ^N\nw ∈ ℝ^D\nλ ∈ ℝ\np = σ(Xw)\n"
    "L = −(yᵀ log(p) + (𝟙 − y)ᵀ log(𝟙 − p)) / N + λ/2 ‖w‖²\ngrad L wrt w\n",
    "x ∈ ℝ^n\nA ∈ ℝ^{n×n}\nf = sum(exp(x) + log(x) + sqrt(x) + abs(x) + sin(x) + cos(x) + tanh(x)"
    " + σ(x) + relu(x) + softplus(x) + log1p(x) + x ⊙ x + x ⊘ (x ⊙ x) + x.^3) + ‖x‖ + ‖x‖₁"
    " + det(A) + logsumexp(x) + sum(softmax(x) ⊙ x) + sum(diag(diag(A) ⊙ x)) + tr(inv(A))"
    " + sum(x) * xᵀx\ngrad f wrt x, A\n",
};

/* every RULE step of every log of the problem, with the ⟨A, A⟩ pair once */
typedef void (*step_fn)(run *r, sg_deriv *d, const sg_step *s, int *checked);

static void each_rule(step_fn fn, int *checked)
{
    size_t i;
    for (i = 0; i < sizeof problems / sizeof problems[0]; i++) {
        run r;
        sg_deriv *d;
        int k, j;
        start(&r, problems[i], 0.2, 0.9);
        d = sg_deriv_new(r.p->ctx);
        for (j = 0; j < r.p->nresults; j++) {
            const sg_log *g = r.p->results[j].log;
            if (!g || (j > 0 && r.p->results[j - 1].log == g))
                continue;
            for (k = 0; k < g->nsteps; k++)
                if (g->steps[k].kind == SG_STEP_RULE)
                    fn(&r, d, &g->steps[k], checked);
        }
        sg_deriv_free(d);
        stop(&r);
    }
}

static void rule_is_logged(run *r, sg_deriv *d, const sg_step *s, int *checked)
{
    sg_expr *f = sg_deriv_rule(d, s->node, s->kid, (sg_expr *)s->adjoint, 0);
    if (f != s->contrib) {
        sg_buf b;
        sg_buf_init(&b);
        sg_fmt_expr(&b, r->p->ctx, s->node, 0);
        fprintf(stderr, "rule of %s (kid %d, %s) differs\n", sg_buf_str(&b), s->kid, s->rule);
        sg_buf_free(&b);
    }
    assert_ptr_equal(f, s->contrib);
    ++*checked;
}

static void test_rules_match_log(void **state)
{
    int checked = 0;
    (void)state;
    each_rule(rule_is_logged, &checked);
    assert_true(checked > 80);
}

/* the stand-in of the current step, read as its adjoint */
typedef struct {
    const sg_expr *standin;
    sg_expr *adjoint;
} reading;

static sg_expr *read_standin(void *arg, const sg_expr *e)
{
    const reading *rd = arg;
    return e == rd->standin ? rd->adjoint : NULL;
}

static void standin_form_has_value(run *r, sg_deriv *d, const sg_step *s, int *checked)
{
    reading rd;
    sg_expr *g = sg_deriv_standin(d, s->adjoint->shape, sg_props_symmetric(r->p->ctx, s->adjoint));
    sg_expr *f = sg_deriv_rule(d, s->node, s->kid, g, 0), *back;
    assert_non_null(f);
    rd.standin = g;
    rd.adjoint = (sg_expr *)s->adjoint;
    back = sg_deriv_substitute(d, f, read_standin, &rd);
    if (gap(r, s->contrib, back) > 1e-12) {
        sg_buf b;
        sg_buf_init(&b);
        sg_fmt_expr(&b, r->p->ctx, f, 0);
        fail_msg("the form %s of rule %s has other values", sg_buf_str(&b), s->rule);
    }
    ++*checked;
}

static void test_standin_forms(void **state)
{
    int checked = 0;
    (void)state;
    each_rule(standin_form_has_value, &checked);
    assert_true(checked > 80);
}

static void display_has_value(run *r, sg_deriv *d, const sg_step *s, int *checked)
{
    sg_expr *v = sg_deriv_display(d, s->contrib);
    assert_ptr_equal(sg_deriv_display(d, s->contrib), v); /* made once */
    assert_true(gap(r, s->contrib, v) < 1e-10);
    ++*checked;
}

static void test_display(void **state)
{
    int checked = 0;
    (void)state;
    each_rule(display_has_value, &checked);
    assert_true(checked > 80);
}

/* f′ against (f(x + h) − f(x − h))/2h, entry by entry, for every
   elementwise function the language has */
static void test_fprime(void **state)
{
    static const char *const fns[] = {"exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "σ",
                                      "relu", "swish", "softplus", "log1p"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        char text[128];
        run r;
        sg_deriv *d;
        const sg_expr *y = NULL, *fp;
        sg_eval *ev;
        double worst = 0, h = 1e-5, *x;
        long k;
        int j;
        snprintf(text, sizeof text, "x ∈ ℝ^n\ny = %s(x)\noutput y\n", fns[i]);
        start(&r, text, 0.3, 1.7);
        for (j = 0; j < r.p->ndefs; j++)
            if (!strcmp(r.p->defs[j].name, "y"))
                y = r.p->defs[j].expr;
        assert_non_null(y);
        assert_true(sg_op_is_elementwise_unary(y->op));
        d = sg_deriv_new(r.p->ctx);
        fp = sg_deriv_fprime(d, y);
        x = r.vals[sg_sym_find(r.p->ctx, "x")];
        for (k = 0; k < DIM; k++) {
            double x0 = x[k], up, down, want, got;
            ev = sg_eval_new(r.p->ctx, r.dims, r.syms);
            got = sg_eval_expr(ev, fp)[k];
            sg_eval_free(ev);
            x[k] = x0 + h;
            ev = sg_eval_new(r.p->ctx, r.dims, r.syms);
            up = sg_eval_expr(ev, y)[k];
            sg_eval_free(ev);
            x[k] = x0 - h;
            ev = sg_eval_new(r.p->ctx, r.dims, r.syms);
            down = sg_eval_expr(ev, y)[k];
            sg_eval_free(ev);
            x[k] = x0;
            want = (up - down) / (2 * h);
            if (fabs(got - want) / (1 + fabs(want)) > worst)
                worst = fabs(got - want) / (1 + fabs(want));
        }
        if (worst > 1e-8)
            fail_msg("%s′ is off by %g", fns[i], worst);
        sg_deriv_free(d);
        stop(&r);
    }
}

/* a recurrence's step body read at a fixed step is that step; read one step
   later, then at k − 1, it is the body at k */
static void test_time(void **state)
{
    static const char rnn[] =
        "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nh[0] = h0\n"
        "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\nL = ½‖h[T]‖²\ngrad L wrt W\n";
    run r;
    sg_deriv *d;
    const sg_seq *h = NULL;
    sg_eval *ev;
    int q;
    long t;
    (void)state;
    start(&r, rnn, -0.5, 0.5);
    d = sg_deriv_new(r.p->ctx);
    for (q = 0; q < sg_seq_count(r.p->ctx); q++)
        if (!strcmp(sg_seq_get(r.p->ctx, q)->name, "h"))
            break;
    assert_true(q < sg_seq_count(r.p->ctx));
    h = sg_seq_get(r.p->ctx, q);
    for (t = 2; t <= DIM; t++) {
        sg_index at = sg_index_make(-1, t);
        sg_expr *v = sg_deriv_at(d, h->body, at);
        const double *step, *val;
        long k;
        assert_ptr_equal(sg_deriv_at(d, sg_deriv_shift(d, h->body, 1), sg_index_make(-1, t - 1)), v);
        ev = sg_eval_new(r.p->ctx, r.dims, r.syms);
        val = sg_eval_expr(ev, v);
        assert_non_null(val);
        step = sg_eval_step(ev, q, t);
        assert_non_null(step);
        for (k = 0; k < DIM; k++)
            assert_true(fabs(val[k] - step[k]) < 1e-14);
        sg_eval_free(ev);
    }
    assert_ptr_equal(sg_deriv_step(d, q, 0)->op, SG_OP_SEQSTEP);
    assert_ptr_equal(sg_deriv_replace(d, h->body, h->body, sg_deriv_step(d, q, 0)),
                     sg_deriv_step(d, q, 0));
    sg_deriv_free(d);
    stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_match_log),
        cmocka_unit_test(test_standin_forms),
        cmocka_unit_test(test_display),
        cmocka_unit_test(test_fprime),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
