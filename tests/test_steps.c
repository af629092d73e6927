/*
 * test_steps.c: --steps, the derivation as plain text. Every step of a log
 * that carries a rule appears as a line with that rule (a three-layer MLP),
 * backpropagation through time and forward Jacobians are printed as the
 * log has them, symmetry is said where a rule's transpose is dropped, every line of every example keeps to 80 columns in both
 * alphabets, --ascii prints ASCII only, and the title comes from the
 * file's leading comment. A long dimension name prints whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/steps.h"
#include "base/arena.h"
#include "base/buf.h"
#include "parser/parser.h"

typedef struct {
    sg_src *src;
    sg_arena *ar;
    sg_problem *p;
    char *out;
} run;

static void steps_of(run *r, const char *name, const char *text, size_t len, int ascii)
{
    sg_steps_opts o;
    size_t n;
    r->src = sg_src_new(name, text, len);
    r->ar = sg_arena_new();
    r->p = sg_check(r->src, sg_parse(r->src, r->ar));
    if (!r->p || sg_src_nerrors(r->src))
        sg_src_print_errors(r->src, stderr);
    assert_non_null(r->p);
    memset(&o, 0, sizeof o);
    o.ascii = ascii;
    o.source = r->src->text;
    r->out = sg_steps_document(r->p, &o, &n);
    assert_non_null(r->out);
    assert_int_equal(strlen(r->out), n);
}

static void run_free(run *r)
{
    free(r->out);
    sg_problem_free(r->p);
    sg_arena_free(r->ar);
    sg_src_free(r->src);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *t;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    t = malloc((size_t)n + 1);
    assert_non_null(t);
    assert_int_equal(fread(t, 1, (size_t)n, f), (size_t)n);
    t[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return t;
}

/* the columns of a line on a terminal: characters, less combining marks */
static size_t columns(const char *s, size_t n)
{
    size_t i, c = 0;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80 || b == 0xCC || b == 0xCD)
            continue;
        c++;
    }
    return c;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    const char *p = hay;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += k;
    }
    return n;
}

static const char *const examples[] = {
    "examples/autoencoder.sg",   "examples/autoencoder_ascii.sg", "examples/gp_loglik.sg",
    "examples/least_squares.sg", "examples/logreg.sg",            "examples/mlp_swish.sg",
    "examples/rnn.sg",           "examples/softmax_jacobian.sg",  "tests/latex/attention.sg",
    "tests/latex/logistic.sg",   "tests/gencode/cgen/kron.sg",
};

/* every line of every example within 80 columns; ASCII only with --ascii */
static void test_width_and_alphabet(void **state)
{
    size_t i;
    int ascii;
    (void)state;
    for (i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        for (ascii = 0; ascii <= 1; ascii++) {
            size_t len;
            char *text = read_file(examples[i], &len);
            const char *l;
            run r;
            steps_of(&r, examples[i], text, len, ascii);
            for (l = r.out; *l;) {
                const char *e = strchr(l, '\n');
                size_t n = e ? (size_t)(e - l) : strlen(l), k;
                if (columns(l, n) > 80)
                    fail_msg("%s%s: a line of %zu columns: %.*s", examples[i],
                             ascii ? " (ASCII)" : "", columns(l, n), (int)n, l);
                for (k = 0; ascii && k < n; k++)
                    if ((unsigned char)l[k] >= 0x80 || (unsigned char)l[k] < 0x20)
                        fail_msg("%s (ASCII): a byte 0x%02x in: %.*s", examples[i],
                                 (unsigned char)l[k], (int)n, l);
                l = e ? e + 1 : l + n;
            }
            run_free(&r);
            free(text);
        }
    }
}

/* matrix Jacobians in ASCII: ⊗ as (x) in the rules, kron() and commutation()
   in the formulas, nothing left as '?' */
static void test_kron_ascii(void **state)
{
    static const char text[] = "X ∈ ℝ^{m×n}\nA ∈ ℝ^{p×m}\nD ∈ ℝ^{n×q}\nB ∈ ℝ^{m×m}\n"
                               "Z = (AXD)ᵀ\nf = tr(XᵀBX)\njacobian Z wrt X\nhessian f wrt X\n";
    run r;
    (void)state;
    steps_of(&r, "kron.sg", text, strlen(text), 1);
    assert_null(strchr(r.out, '?'));
    assert_non_null(strstr(r.out, "J(A B) = (I (x) B') J(A) + (A (x) I) J(B)"));
    assert_non_null(strstr(r.out, "kron(D', A) * commutation(m,n)"));
    assert_non_null(strstr(r.out, "kron(B + B', eye(n))"));
    run_free(&r);
}

static const char mlp3[] = "# A three-layer tanh MLP\n"
                           "x ∈ ℝ^D\n"
                           "W1 ∈ ℝ^{H×D}\n"
                           "W2 ∈ ℝ^{H×H}\n"
                           "W3 ∈ ℝ^{C×H}\n"
                           "b1 ∈ ℝ^H\n"
                           "y ∈ ℝ^C\n"
                           "z1 = W1x + b1\n"
                           "h1 = tanh(z1)\n"
                           "z2 = W2h1\n"
                           "h2 = tanh(z2)\n"
                           "z3 = W3h2\n"
                           "L = ½‖z3 − y‖²\n"
                           "grad L wrt W1, b1, W2, W3, x\n";

/*
 * Each step of the log that carries a rule is a line that cites it: as
 * many lines with a rule's text as such steps, less the two a ‖A‖² folds
 * into one, and each rule used is there.
 */
static void test_every_rule_step(void **state)
{
    run r;
    const sg_log *g;
    const sg_expr *folded = NULL;
    size_t want = 0, got = 0;
    int i, id;
    (void)state;
    steps_of(&r, "mlp3.sg", mlp3, strlen(mlp3), 0);
    g = r.p->results[r.p->nresults - 1].log;
    assert_non_null(g);
    for (i = 0; i < g->nsteps; i++) {
        const sg_step *st = &g->steps[i];
        sg_rule_id id1 = st->rule_id;
        if (st->kind == SG_STEP_SEED || st->rule_id == SG_RULE_NONE ||
            (st->kind == SG_STEP_TOTAL && st->node == folded))
            continue;
        want++;
        if (st->rule_id == SG_RULE_DOT_A && i + 1 < g->nsteps &&
            g->steps[i + 1].rule_id == SG_RULE_DOT_B && st->node->kid[0] == st->node->kid[1]) {
            /* dot.A, dot.B and their total: one ‖A‖² line */
            folded = st->node->kid[0];
            id1 = SG_RULE_SQNORM;
            i++;
        }
        if (!strstr(r.out, sg_rule_get(id1)->text))
            fail_msg("rule %s (step %d) is not printed", sg_rule_get(id1)->name, i);
    }
    for (id = SG_RULE_NONE + 1; id < SG_RULE_COUNT; id++) {
        const sg_rule *rule = sg_rule_get((sg_rule_id)id);
        if (rule->text && *rule->text)
            got += count(r.out, rule->text);
    }
    assert_true(want >= 13);
    assert_int_equal(got, want);
    /* the layers' adjoints are named as courses name them, and used */
    assert_non_null(strstr(r.out, "∂L/∂h₂ = δh₂ = W₃ᵀ(z₃ − y)"));
    assert_non_null(strstr(r.out, "∂L/∂z₂ = δ₂ = δh₂ ⊙ (𝟙 − h₂ ⊙ h₂)"));
    assert_non_null(strstr(r.out, "∂L/∂W₂ = δ₂h₁ᵀ"));
    assert_non_null(strstr(r.out, "∂L/∂b₁ = δ₁"));
    /* the Cookbook is cited where the table has the equation */
    assert_non_null(strstr(r.out, "Y = AB ⇒ Ā += ȲBᵀ  [Cookbook (37)]"));
    /* x gets its gradient along one path: "=", never "+=" */
    assert_non_null(strstr(r.out, "∂L/∂x = "));
    assert_null(strstr(r.out, "∂L/∂x += "));
    /* the title is the leading comment */
    assert_int_equal(strncmp(r.out, "A three-layer tanh MLP\n\nProblem\n", 32), 0);
    run_free(&r);
}

/* layers written h₁ = tanh(W₁x) without a name for W₁x: δ₁ is still its
   gradient, and the weights' gradients read δ₁xᵀ */
static void test_layer_deltas(void **state)
{
    static const char text[] = "x, y ∈ ℝ^n\n"
                               "W1, W2, W3 ∈ ℝ^{n×n}\n"
                               "h1 = tanh(W1x)\n"
                               "h2 = tanh(W2h1)\n"
                               "h3 = tanh(W3h2)\n"
                               "L = ½‖h3 − y‖²\n"
                               "grad L wrt W1, W2, W3\n";
    run r;
    (void)state;
    steps_of(&r, "deep.sg", text, strlen(text), 0);
    assert_non_null(strstr(r.out, "∂L/∂(W₃h₂) = δ₃ = (h₃ − y) ⊙ (𝟙 − h₃ ⊙ h₃)"));
    assert_non_null(strstr(r.out, "∂L/∂(W₂h₁) = δ₂ = W₃ᵀδ₃ ⊙ (𝟙 − h₂ ⊙ h₂)"));
    assert_non_null(strstr(r.out, "│ ∂L/∂W₁ = δ₁xᵀ │"));
    assert_non_null(strstr(r.out, "│ ∂L/∂W₂ = δ₂h₁ᵀ │"));
    run_free(&r);
}

/* backpropagation through time as the log records it */
static void test_bptt(void **state)
{
    size_t len;
    char *text = read_file("examples/rnn.sg", &len);
    run r;
    (void)state;
    steps_of(&r, "rnn.sg", text, len, 0);
    assert_non_null(strstr(r.out, "  h[t] = tanh(W_hh h[t−1] + W_xh x[t]), t = 1, …, T\n"));
    assert_non_null(strstr(r.out, "    ∂L/∂h[t] = δh[t]\n"));
    assert_non_null(strstr(r.out, "at t: ∂L/∂W_y += "));
    assert_non_null(strstr(r.out, "  ∂L/∂W_y = Σ_{t=1}^{T} "));
    assert_non_null(strstr(r.out, "  δh[t] = W_hhᵀ (δh[t+1] ⊙ (𝟙 − h[t+1] ⊙ h[t+1])) [t < T]"));
    assert_non_null(strstr(r.out, ", t = T, …, 0\n"));
    assert_non_null(strstr(r.out, "  ∂L/∂h₀ = δh[0]"));
    assert_non_null(strstr(r.out, "│ ∂L/∂h₀ = δh[0] │"));
    run_free(&r);
    free(text);
}

/* a Jacobian forward from its variable; a Hessian's after its gradient,
   which is not derived twice */
static void test_jacobian_hessian(void **state)
{
    size_t len;
    char *text = read_file("examples/softmax_jacobian.sg", &len);
    run r;
    const char *grad, *jac;
    (void)state;
    steps_of(&r, "softmax_jacobian.sg", text, len, 0);
    assert_non_null(strstr(r.out, "  ∂z/∂z = I "));
    assert_non_null(strstr(r.out, "  ∂s/∂z = diag(s) − ssᵀ "));
    assert_non_null(strstr(r.out, "J(softmax(a)) = (diag(s) − ssᵀ) J(a)"));
    run_free(&r);
    free(text);
    text = read_file("examples/least_squares.sg", &len);
    steps_of(&r, "least_squares.sg", text, len, 0);
    /* the gradient was derived above: named, not derived again */
    grad = strstr(r.out, "∂²f/∂x²\n  ∂f/∂x = 2Aᵀr, derived above, differentiated forward:\n");
    assert_non_null(grad);
    jac = strstr(grad, "  ∂x/∂x = I ");
    assert_non_null(jac);
    assert_non_null(strstr(jac, "│ ∂²f/∂x² = 2AᵀA │"));
    run_free(&r);
    free(text);
    /* the variable's own line is ∂x/∂x, even where x is an adjoint above; a
       Jacobian the next lines read is named J₁, and the box is closed */
    {
        static const char nested[] = "x ∈ ℝ^n\nW ∈ ℝ^{n×n}\nh = tanh(Wx)\n"
                                     "L = ½‖h‖² + sum(h ⊙ h ⊙ x)\nhessian L wrt x\n";
        const char *box;
        steps_of(&r, "n.sg", nested, sizeof nested - 1, 0);
        assert_non_null(strstr(r.out, "\n  ∂x/∂x = I "));
        assert_null(strstr(r.out, "∂(∂L/∂(h ⊙ h))/∂x"));
        assert_non_null(strstr(r.out, "  ∂h/∂x = J₁ = diag(𝟙 − h ⊙ h)W "));
        assert_non_null(strstr(r.out, "  ∂(½h)/∂x = ½J₁ "));
        box = strstr(r.out, "│ ∂²L/∂x² = ");
        assert_non_null(box);
        assert_null(strstr(box, "J₁"));
        run_free(&r);
        steps_of(&r, "n.sg", nested, sizeof nested - 1, 1);
        assert_non_null(strstr(r.out, " = J1 = "));
        run_free(&r);
    }
    /* asked alone, a Hessian derives its gradient first */
    {
        static const char alone[] = "A ∈ ℝ^{m×n}\nb ∈ ℝ^m\nx ∈ ℝ^n\nf = ‖Ax − b‖²\nhessian f wrt x\n";
        steps_of(&r, "h.sg", alone, sizeof alone - 1, 0);
        grad = strstr(r.out, "∂²f/∂x²\n  ∂f/∂f = 1\n");
        assert_non_null(grad);
        assert_null(strstr(r.out, "derived above"));
        assert_non_null(strstr(grad, "  ∂x/∂x = I "));
        run_free(&r);
    }
}

/* courses number a layer's adjoint: δ₁ for h₁'s pre-activation, even where
   it has a name of ours (a) */
static void test_layer_deltas_biased(void **state)
{
    static const char mlp[] = "x ∈ ℝ^D\ny ∈ ℝ^C\nW1 ∈ ℝ^{H×D}\nb1 ∈ ℝ^H\nW2 ∈ ℝ^{C×H}\n"
                              "b2 ∈ ℝ^C\nh1 = tanh(W1 x + b1)\np = W2 h1 + b2\n"
                              "L = ½‖p − y‖²\ngrad L wrt W1, b1\n";
    run r;
    (void)state;
    steps_of(&r, "mlp.sg", mlp, sizeof mlp - 1, 0);
    assert_non_null(strstr(r.out, " = δ₁ = "));
    assert_non_null(strstr(r.out, "│ ∂L/∂W₁ = δ₁xᵀ │"));
    run_free(&r);
}

/* symmetry is used out loud: log|det K| and K⁻¹ give K⁻ᵀ, printed K⁻¹ */
static void test_symmetric(void **state)
{
    size_t len;
    char *text = read_file("examples/gp_loglik.sg", &len);
    run r;
    (void)state;
    steps_of(&r, "gp_loglik.sg", text, len, 0);
    assert_int_equal(count(r.out, "      since K is symmetric, K⁻ᵀ = K⁻¹\n"), 2);
    assert_non_null(strstr(r.out, "y = log|det A| ⇒ Ā += ȳ A⁻ᵀ  [Cookbook (57)]"));
    run_free(&r);
    steps_of(&r, "gp_loglik.sg", text, len, 1);
    assert_int_equal(count(r.out, "      since K is symmetric, inv(K)' = inv(K)\n"), 2);
    run_free(&r);
    free(text);
}

/* a result longer than a line: broken before a + of its sum, boxed whole */
static void test_long_result(void **state)
{
    static const char text[] =
        "x ∈ ℝ^n\n"
        "alpha_one_long_name, beta_two_long_name, gamma_three_long_name ∈ ℝ\n"
        "delta_four_long_name, epsilon_five_long_name ∈ ℝ\n"
        "L = alpha_one_long_name sum(exp(x)) + beta_two_long_name sum(sin(x)) + "
        "gamma_three_long_name sum(cos(x)) + delta_four_long_name sum(tanh(x)) + "
        "epsilon_five_long_name sum(log1p(x))\n"
        "grad L wrt x\n";
    run r;
    const char *box, *l;
    size_t w = 0, lines = 0;
    (void)state;
    steps_of(&r, "long.sg", text, strlen(text), 1);
    box = strstr(r.out, "  +---");
    assert_non_null(box);
    for (l = box; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        assert_true(n <= 80);
        if (w == 0)
            w = n;
        assert_int_equal(n, w); /* every line of the box equally wide */
        lines++;
        l = e ? e + 1 : l + n;
    }
    assert_true(lines >= 4); /* the top, two lines of the result at least, the bottom */
    run_free(&r);
}

/*
 * A chain of scaled squares, xₖ = xₖ₋₁ ⊙ xₖ₋₁ · 2: the checker's DAG of each
 * line is a tree of 2ᵏ factors of x₀ once the scalars are pulled out. The
 * problem is quoted as written, a step prints at most a bounded formula,
 * and the derivation's steps still print (a problem printed from the DAG
 * took the whole document's budget and left "∂…/∂… = …").
 */
static void test_budgets(void **state)
{
    sg_buf b;
    run r;
    int k;
    const char *problem, *forward, *line;
    (void)state;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x0 ∈ ℝ^n\n");
    for (k = 1; k <= 30; k++)
        sg_buf_printf(&b, "x%d = x%d ⊙ x%d * 2\n", k, k - 1, k - 1);
    sg_buf_puts(&b, "L = sum(x30)\ngrad L wrt x0\n");
    steps_of(&r, "squares.sg", sg_buf_str(&b), strlen(sg_buf_str(&b)), 0);
    problem = strstr(r.out, "Problem\n");
    forward = strstr(r.out, "\n∂L/∂x₀\n");
    assert_non_null(problem);
    assert_non_null(forward);
    /* the problem as written, a line each (its DAG printed as a tree was
       5 MB, the whole document's budget) */
    assert_true((size_t)(forward - problem) < 2000);
    line = strstr(problem, "  x₃₀ = (x₂₉ ⊙ x₂₉) · 2\n");
    assert_non_null(line);
    /* the steps print their formulas: the seed and the first rule applied */
    assert_non_null(strstr(forward, "∂L/∂L = 1"));
    assert_non_null(strstr(forward, "∂L/∂x₃₀ = 𝟙"));
    /* a scaling the user named stays named: x₃₀ = 2(x₂₉ ⊙ x₂₉), not 2³⁰ factors */
    assert_non_null(strstr(forward, "  x₃₀ = 2(x₂₉ ⊙ x₂₉)\n"));
    assert_int_equal(count(forward, "∂…/∂…"), 0);
    /* the whole document stays bounded */
    assert_true(strlen(r.out) < 2000000);
    run_free(&r);
    sg_buf_free(&b);
}

/* a sequence's range in a dimension with a long name prints the name
   whole (a fixed buffer once cut it at 95 bytes) */
static void test_long_dimension(void **state)
{
    static const char text[] =
        "x[t] ∈ ℝ^k for t = 1..Tlongdimensionnamelongdimensionnamelongdimensionname"
        "longdimensionnamelongdimensionnamelongdimensionname\n"
        "h0 ∈ ℝ^k\n"
        "h[0] = h0\n"
        "h[t] = tanh(h[t−1] + x[t]) for t = 1..Tlongdimensionnamelongdimensionname"
        "longdimensionnamelongdimensionnamelongdimensionnamelongdimensionname\n"
        "L = ‖h[Tlongdimensionnamelongdimensionnamelongdimensionname"
        "longdimensionnamelongdimensionnamelongdimensionname]‖²\n"
        "grad L wrt h0\n";
    run r;
    (void)state;
    steps_of(&r, "long.sg", text, sizeof text - 1, 0);
    assert_non_null(strstr(r.out, "Tlongdimensionnamelongdimensionnamelongdimensionname"
                                  "longdimensionnamelongdimensionnamelongdimensionname,\n"));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_and_alphabet),
        cmocka_unit_test(test_kron_ascii),
        cmocka_unit_test(test_every_rule_step),
        cmocka_unit_test(test_layer_deltas),
        cmocka_unit_test(test_bptt),
        cmocka_unit_test(test_jacobian_hessian),
        cmocka_unit_test(test_layer_deltas_biased),
        cmocka_unit_test(test_symmetric),
        cmocka_unit_test(test_long_result),
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_long_dimension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
