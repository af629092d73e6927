/*
 * test_latex.c: the LaTeX derivation printer. Names and escaping; a LaTeX
 * spelling and a local rule for every op; the instantiated rules against
 * the contributions diff.c logged (so that what a line shows is what was
 * derived); and whole documents: the autoencoder's two paths, total
 * derivative and box, the softmax Jacobian case by case, backpropagation
 * through time, --fragment, --index, determinism.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "codegen/formula.h"
#include "codegen/latex.h"
#include "base/arena.h"
#include "parser/parser.h"

/* ---- helpers ------------------------------------------------------------------- */

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
} parsed;

static void parse(parsed *q, const char *text)
{
    sg_program *prog;
    q->src = sg_src_new("test.sg", text, strlen(text));
    q->arena = sg_arena_new();
    prog = sg_parse(q->src, q->arena);
    q->p = sg_check(q->src, prog);
    if (!q->p || sg_src_nerrors(q->src))
        sg_src_print_errors(q->src, stderr);
    assert_non_null(q->p);
}

static void unparse(parsed *q)
{
    sg_problem_free(q->p);
    sg_arena_free(q->arena);
    sg_src_free(q->src);
}

/* the document for text (caller frees) */
static char *document(const char *text, int fragment, int index)
{
    parsed q;
    sg_latex_opts o;
    char *doc;
    parse(&q, text);
    memset(&o, 0, sizeof o);
    o.fragment = fragment;
    o.index = index;
    o.source = "test.sg";
    doc = sg_latex_document(q.p, &o, NULL);
    unparse(&q);
    return doc;
}

/* the whole document for text, titled from its leading comment as main.c
   does (caller frees) */
static char *titled(const char *text, int fragment)
{
    parsed q;
    sg_latex_opts o;
    char *doc;
    parse(&q, text);
    memset(&o, 0, sizeof o);
    o.fragment = fragment;
    o.source = "test.sg";
    o.text = q.src->text;
    doc = sg_latex_document(q.p, &o, NULL);
    unparse(&q);
    return doc;
}

static void expect_in(const char *doc, const char *needle)
{
    if (!strstr(doc, needle)) {
        fprintf(stderr, "not found: %s\n", needle);
        if (getenv("SG_TEST_DUMP"))
            fputs(doc, stderr);
        fail();
    }
}

static const char autoencoder[] = "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W, x\n";
static const char softmax_jac[] = "z ∈ ℝ^n\ns = softmax(z)\njacobian s wrt z\n";
static const char rnn[] = "x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0 ∈ ℝ^n\n"
                          "W_hh ∈ ℝ^{n×n}\nW_xh ∈ ℝ^{n×k}\nW_y ∈ ℝ^{p×n}\nh[0] = h0\n"
                          "h[t] = tanh(W_hh h[t−1] + W_xh x[t]) for t = 1..T\n"
                          "L = Σ_{t=1}^{T} ½‖W_y h[t] − y[t]‖²\n"
                          "grad L wrt W_hh, W_xh, W_y, h0\n";

/* ---- names, escaping, ops ----------------------------------------------------------- */

static void expect_name(const char *name, const char *tex)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_name(&b, name, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), tex);
    sg_buf_free(&b);
}

static void test_names(void **state)
{
    (void)state;
    expect_name("W1", "W_1");
    expect_name("W12", "W_{12}");
    expect_name("W_hh", "W_{hh}");
    expect_name("beta", "\\beta");
    expect_name("lambda", "\\lambda");
    expect_name("beta2", "\\beta_2");
    expect_name("Sigma", "\\Sigma");
    expect_name("omicron", "o");
    expect_name("x", "x");
    expect_name("h0", "h_0");
    expect_name("logits", "\\mathit{logits}");
    expect_name("x_in_1", "x_{in,1}");
    expect_name("W_alpha", "W_{\\alpha}");
}

static void test_escape(void **state)
{
    sg_buf b;
    (void)state;
    sg_buf_init(&b);
    sg_latex_escape(&b, "mlp_swish.sg 100% a&b #1 $x {y} ~ ^ \\");
    assert_string_equal(sg_buf_str(&b), "mlp\\_swish.sg 100\\% a\\&b \\#1 \\$x \\{y\\} "
                                        "\\textasciitilde{} \\textasciicircum{} \\textbackslash{}");
    sg_buf_free(&b);
    sg_latex_escape(&b, "β"); /* text mode stays ASCII for pdflatex */
    assert_string_equal(sg_buf_str(&b), "?");
    sg_buf_free(&b);
    /* a file name cannot end the line or the comment it is in, nor start a
       command: a newline, control bytes, bytes that are not UTF-8 */
    sg_latex_escape(&b, "a\n\\input{/etc/hostname}\r\\write18{touch x}%\t*\\?\?/\"'\x7f\x1b[31m"
                        "\xff\xc3(\xe2\x82");
    assert_string_equal(sg_buf_str(&b), "a?\\textbackslash{}input\\{/etc/hostname\\}?"
                                        "\\textbackslash{}write18\\{touch x\\}\\%?*"
                                        "\\textbackslash{}?\?/\"'??[31m?\?(?");
    sg_buf_free(&b);
}

/* the comment line of a document whose file name is hostile (the title
   is the problem's, not the file's) */
static void test_hostile_source(void **state)
{
    parsed q;
    sg_latex_opts o;
    char *doc;
    const char *s;
    int fragment;
    (void)state;
    for (fragment = 0; fragment < 2; fragment++) {
        parse(&q, autoencoder);
        memset(&o, 0, sizeof o);
        o.fragment = fragment;
        o.source = "x\n\\input{/etc/hostname}\n\\immediate\\write18{touch pwned}%\n\\end{document}";
        doc = sg_latex_document(q.p, &o, NULL);
        unparse(&q);
        s = strchr(doc, '\n') + 1; /* past the comment: */
        assert_null(strstr(s, "\\input{"));
        assert_null(strstr(s, "\\write18{"));
        assert_null(strstr(s, "\\immediate"));
        /* one \end{document}, the document's own, at the end */
        s = strstr(s, "\\end{document}");
        if (fragment)
            assert_null(s);
        else
            assert_string_equal(s, "\\end{document}\n");
        /* the comment is one line */
        expect_in(doc, fragment ? "% The derivation, written by symgrad from x?\\input{/etc/"
                                  "hostname}?\\immediate\\write18{touch pwned}%?\\end{document}; "
                                  "paste it"
                                : "% The derivation, written by symgrad from x?\\input{/etc/"
                                  "hostname}?\\immediate\\write18{touch pwned}%?\\end{document}.\n");
        free(doc);
    }
}

static void test_every_op(void **state)
{
    int op;
    (void)state;
    sg_buf b;
    for (op = 0; op < SG_OP_COUNT; op++) {
        const char *t = sg_latex_op((sg_op)op), *r;
        assert_non_null(t);
        assert_true(strlen(t) > 0);
        sg_buf_init(&b);
        assert_true(sg_latex_rule(&b, (sg_op)op));
        r = sg_buf_str(&b);
        assert_true(strlen(r) > 0);
        /* LaTeX, not Unicode: pdflatex reads ASCII */
        for (; *r; r++)
            assert_true((unsigned char)*r < 0x80);
        sg_buf_free(&b);
    }
    assert_null(sg_latex_op(SG_OP_COUNT));
    assert_string_equal(sg_latex_op(SG_OP_HADAMARD), "\\odot");
    /* made from the rule table: both kids of a product, = for its += */
    sg_buf_init(&b);
    assert_true(sg_latex_rule(&b, SG_OP_MUL));
    assert_string_equal(sg_buf_str(&b), "Y = AB \\;\\Rightarrow\\; \\bar A = \\bar Y B^\\top,\\ "
                                        "\\bar B = A^\\top \\bar Y");
    sg_buf_free(&b);
    sg_buf_init(&b);
    assert_true(sg_latex_rule(&b, SG_OP_SWISH));
    assert_non_null(strstr(sg_buf_str(&b), "\\sigma(z) + z\\sigma(z)(1 - \\sigma(z))"));
    sg_buf_free(&b);
}

static void expect_tex(const sg_ctx *ctx, const sg_expr *e, const char *tex)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_expr(&b, ctx, e, SG_FMT_LATEX);
    assert_string_equal(sg_buf_str(&b), tex);
    sg_buf_free(&b);
}

/* the formula printer's LaTeX alphabet */
static void test_alphabet(void **state)
{
    sg_ctx *c = sg_ctx_new();
    sg_span sp = {0, 0};
    sg_dim m = sg_dim_named(c, "m"), n = sg_dim_named(c, "n");
    sg_expr *W = sg_var(c, sg_sym_add(c, "W", sg_shape_make(m, n), 0, sp));
    sg_expr *x = sg_var(c, sg_sym_add(c, "x", sg_shape_make(n, SG_DIM_ONE), 0, sp));
    sg_expr *b = sg_var(c, sg_sym_add(c, "beta", sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), 0, sp));
    sg_expr *r = sg_sub(c, sg_mul(c, sg_transpose(c, W), sg_mul(c, W, x)), x);
    (void)state;
    expect_tex(c, r, "W^\\top Wx - x");
    expect_tex(c, sg_mul(c, sg_const(c, 0.5), sg_dot(c, r, r)),
               "\\tfrac{1}{2}\\lVert W^\\top Wx - x\\rVert^{2}");
    expect_tex(c, sg_unary(c, SG_OP_SIGMOID, x), "\\sigma(x)");
    expect_tex(c, sg_hadamard(c, x, sg_unary(c, SG_OP_TANH, x)), "x \\odot \\tanh(x)");
    expect_tex(c, sg_mul(c, b, x), "\\beta x");
    expect_tex(c, sg_div(c, x, sg_dimval(c, n)), "\\frac{x}{n}");
    expect_tex(c, sg_sub(c, sg_ones(c, x->shape), x), "\\mathbf{1} - x");
    expect_tex(c, sg_unary(c, SG_OP_INV, sg_mul(c, W, sg_transpose(c, W))), "(WW^\\top)^{-1}");
    expect_tex(c, sg_unary(c, SG_OP_LOGDET, sg_mul(c, W, sg_transpose(c, W))),
               "\\log\\lvert WW^\\top\\rvert");
    expect_tex(c, sg_dot(c, x, sg_unary(c, SG_OP_EXP, x)), "x^\\top\\exp(x)");
    expect_tex(c, sg_pow(c, x, sg_const(c, 3)), "x^{\\circ 3}");
    sg_ctx_free(c);
}

/* ---- problems of the tests below ------------------------------------------------------ */

static const char *const rule_problems[] = {
    autoencoder,
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
    rnn,
};

/* ---- documents ---------------------------------------------------------------------- */

static void test_autoencoder(void **state)
{
    char *doc = document(autoencoder, 0, 0);
    (void)state;
    expect_in(doc, "\\documentclass");
    expect_in(doc, "\\usepackage{amsmath}");
    expect_in(doc, "\\begin{tikzpicture}");
    expect_in(doc, "\\end{document}");
    /* the forward pass, named as a person would */
    expect_in(doc, "  u &= Wx \\tag*{$[\\in \\mathbb{R}^{m}]$}");
    expect_in(doc, "  v &= W^\\top u \\tag*{$[\\in \\mathbb{R}^{n}]$}");
    expect_in(doc, "  r &= v - x \\tag*{$[\\in \\mathbb{R}^{n}]$}");
    /* one rule per line, with the shape */
    expect_in(doc, "\\frac{\\partial L}{\\partial r} &= r \\tag*{");
    expect_in(doc, "\\frac{\\partial L}{\\partial u} &= W\\frac{\\partial L}{\\partial v} = Wr");
    /* W's two paths, each with its contribution */
    expect_in(doc, "$W$ has two paths to $L$");
    expect_in(doc, "&\\text{through } v\\text{:}\\quad u\\left(\\frac{\\partial L}{\\partial v}"
                   "\\right)^\\top = Wxr^\\top");
    expect_in(doc, "&\\text{through } u\\text{:}\\quad \\frac{\\partial L}{\\partial u}x^\\top = "
                   "Wrx^\\top");
    /* the total derivative, and the result boxed in closed form */
    expect_in(doc, "by the total derivative rule, their contributions add");
    expect_in(doc, "\\nabla_{W} L &= Wrx^\\top + Wxr^\\top = \\boxed{W(xr^\\top + rx^\\top)}");
    expect_in(doc, "\\boxed{W^\\top Wr - r}");
    free(doc);
}

static void test_fragment(void **state)
{
    char *doc = document(autoencoder, 1, 0);
    (void)state;
    assert_null(strstr(doc, "\\documentclass"));
    assert_null(strstr(doc, "\\begin{document}"));
    assert_null(strstr(doc, "\\end{document}"));
    expect_in(doc, "\\subsection*{Backward pass}");
    expect_in(doc, "\\boxed{W(xr^\\top + rx^\\top)}");
    free(doc);
}

static void test_softmax_jacobian(void **state)
{
    char *doc = document(softmax_jac, 0, 0);
    (void)state;
    expect_in(doc, "J(s) &= (\\operatorname{diag}(s) - ss^\\top)J(z) = \\operatorname{diag}(s) - "
                   "ss^\\top");
    expect_in(doc, "s_{i}(1 - s_{i}), & i = j");
    expect_in(doc, "-s_{i}s_{j}, & i \\ne j");
    expect_in(doc, "\\boxed{\\operatorname{diag}(s) - ss^\\top}");
    free(doc);
}

static void test_cross_entropy(void **state)
{
    char *doc = document(rule_problems[1], 0, 0);
    (void)state;
    expect_in(doc, "= \\operatorname{softmax}(z_2) - y");
    expect_in(doc, "\\mathbf{1}^\\top y = 1$ for $y \\in \\Delta^{C}$");
    /* the elementwise derivative named, and defined among the rules */
    expect_in(doc, "\\operatorname{swish}'(z_1)");
    expect_in(doc, "\\operatorname{swish}'(z) = \\sigma(z) + z\\sigma(z)(1 - \\sigma(z))");
    free(doc);
}

static void test_bptt(void **state)
{
    char *doc = document(rnn, 0, 0);
    (void)state;
    expect_in(doc, "\\subsection*{Computation graph, unrolled}");
    expect_in(doc, "{$h_{t-1}$}");
    expect_in(doc, "{$h_{t+1}$}");
    expect_in(doc, "\\subsection*{Backpropagation through time}");
    expect_in(doc, "\\delta_t = \\partial L/\\partial h_t");
    expect_in(doc, "\\delta_T &= W_y^\\top r_T");
    expect_in(doc, "\\delta_t &= W_y^\\top r_t + W_{hh}^\\top(\\delta_{t+1} \\odot (\\mathbf{1} - "
                   "h_{t+1} \\odot h_{t+1}))");
    expect_in(doc, "its gradient is the sum of the per-step contributions");
    expect_in(doc, "\\nabla_{h_0} L &= \\boxed{\\delta_0}");
    free(doc);
}

static void test_index(void **state)
{
    char *doc = document(autoencoder, 0, 1);
    (void)state;
    expect_in(doc, "\\frac{\\partial L}{\\partial W_{ij}} &= \\sum_{k} W_{ik}(x_{k}r_{j} + "
                   "r_{k}x_{j})");
    free(doc);
    doc = document(softmax_jac, 0, 1);
    expect_in(doc, "\\frac{\\partial s_{i}}{\\partial z_{j}} &= [i = j]\\,s_{i} - s_{i}s_{j}");
    free(doc);
}

/* the title is the author's: the leading comment, split at its colon;
   without one, what is derived; never "Derivation: file.sg" */
static void test_title(void **state)
{
    char *doc;
    sg_buf b;
    (void)state;
    doc = titled("# Linear autoencoder: reconstruction loss of x through W and Wᵀ\n"
                 "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²  # not this one\ngrad L wrt W\n", 0);
    expect_in(doc, "\\begin{document}\n\\section*{Linear autoencoder}\n"
                   "Reconstruction loss of x through W and W$^\\top$.\n\n\\subsection*{Problem}");
    assert_null(strstr(doc, "not this one"));
    assert_null(strstr(doc, "Derivation"));
    free(doc);
    /* several lines are one paragraph; no colon, no split; a statement ends it */
    doc = titled("\n  # Vanilla RNN over T steps,\n# trained by BPTT\nx ∈ ℝ^n\n# later\n"
                 "L = ‖x‖²\ngrad L wrt x\n", 0);
    expect_in(doc, "\\section*{Vanilla RNN over T steps, trained by BPTT}\n\\subsection*{Problem}");
    assert_null(strstr(doc, "later"));
    free(doc);
    /* a colon after one word is not a title's end; a word after the colon is
       capitalized, a formula (diag(s)) is not */
    doc = titled("# f: ℝⁿ → ℝ, the norm\nx ∈ ℝ^n\nf = ‖x‖²\ngrad f wrt x\n", 0);
    expect_in(doc, "\\section*{f: $\\mathbb{R}$? $\\to$ $\\mathbb{R}$, the norm}");
    free(doc);
    doc = titled("# The Jacobian of softmax: diag(s) − ssᵀ\n" "z ∈ ℝ^n\ns = softmax(z)\n"
                 "jacobian s wrt z\n", 0);
    expect_in(doc, "\\section*{The Jacobian of softmax}\ndiag(s) $-$ ss$^\\top$.\n");
    free(doc);
    /* TeX in a comment is text: nothing of it is live */
    doc = titled("# 100% $\\input{x}$ & #1 {a_b} ~^ <|> – “q” ½β\t\x01☃\nx ∈ ℝ^n\nf = ‖x‖²\n"
                 "grad f wrt x\n", 0);
    expect_in(doc, "\\section*{100\\% \\$\\textbackslash{}input\\{x\\}\\$ \\& \\#1 \\{a\\_b\\} "
                   "\\textasciitilde{}\\textasciicircum{} $<$$|$$>$ -- ``q'' "
                   "$\\tfrac{1}{2}$$\\beta$ ??}");
    free(doc);
    /* a run with no space may break after its punctuation */
    doc = titled("# x=[1,2];y=3 z\nx ∈ ℝ^n\nf = ‖x‖²\ngrad f wrt x\n", 0);
    expect_in(doc, "\\section*{x=\\allowbreak{}[1,\\allowbreak{}2]\\allowbreak{};\\allowbreak{}"
                   "y=\\allowbreak{}3 z}");
    free(doc);
    /* no comment: what is derived, said once per value */
    doc = titled("W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nb ∈ ℝ^m\nL = ‖Wx + b‖²\ngrad L wrt W, b\n"
                 "hessian L wrt x\ngrad L wrt x\n", 0);
    expect_in(doc, "\\section*{Gradient of $L$ with respect to $W$, $b$, and $x$; Hessian of $L$ "
                   "with respect to $x$}");
    free(doc);
    doc = titled(softmax_jac, 0);
    expect_in(doc, "\\section*{Jacobian of $s$ with respect to $z$}");
    free(doc);
    doc = titled("x ∈ ℝ^n\nf = ‖x‖²\ngrad f wrt x\nhessian f wrt x\n", 0);
    expect_in(doc, "\\section*{Gradient and Hessian of $f$ with respect to $x$}");
    free(doc);
    doc = titled(autoencoder, 1); /* a fragment has no title */
    assert_null(strstr(doc, "\\section"));
    free(doc);
    /* the leading comment alone */
    sg_buf_init(&b);
    assert_int_equal(sg_latex_leading_comment(&b, "x ∈ ℝ^n\n# late\n"), 0);
    assert_int_equal(sg_latex_leading_comment(&b, "#\n# after an empty line\n"), 0);
    assert_int_equal(sg_latex_leading_comment(&b, ""), 0);
    assert_int_equal(sg_latex_leading_comment(&b, "#  a  \r\n#\tb\n\n# c\n"), 3);
    assert_string_equal(sg_buf_str(&b), "a b");
    sg_buf_free(&b);
}

/* nothing a TA would strike out: no path counting where nothing adds, no
   "seed", no talk of the log; the loss as written, ½ and all */
static void test_no_boilerplate(void **state)
{
    static const char *const bad[] = {"along one path,", "along one path each", "seed",
                                      "no contributions add", "The log of the derivation"};
    const char *problems[4];
    size_t i, k;
    (void)state;
    problems[0] = autoencoder;
    problems[1] = softmax_jac;
    problems[2] = rnn;
    problems[3] = "A ∈ ℝ^{m×n}\nb ∈ ℝ^m\nx ∈ ℝ^n\nf = ‖Ax − b‖²\ngrad f wrt x\nhessian f wrt x\n";
    for (i = 0; i < 4; i++) {
        char *doc = document(problems[i], 0, 0);
        for (k = 0; k < sizeof bad / sizeof bad[0]; k++)
            if (strstr(doc, bad[k])) {
                fprintf(stderr, "problem %zu says: %s\n", i, bad[k]);
                fail();
            }
        if (i == 2)
            expect_in(doc, "\\paragraph{The loss terms.} $L = \\tfrac{1}{2}\\sum_{t=1}^{T} "
                           "\\lVert r_t\\rVert^{2}$ is a sum over time;");
        free(doc);
    }
}

/* no equation alone at a page foot: the first row of an align stays with
   the second, the last with the one before, a broken equation together */
static void test_no_orphans(void **state)
{
    char *doc = document("A ∈ ℝ^{m×n}\nb ∈ ℝ^m\nx ∈ ℝ^n\nf = ‖Ax − b‖²\ngrad f wrt x\n", 0, 0);
    (void)state;
    expect_in(doc, "\\frac{\\partial f}{\\partial r} &= 2r \\tag*{(R1)\\quad $[\\in "
                   "\\mathbb{R}^{m}]$}\\\\*\n");
    free(doc);
    doc = document(rnn, 0, 0);
    /* three rows: the first and the last kept with the middle one */
    expect_in(doc, "\\delta_T &= W_y^\\top r_T\\\\*\n");
    expect_in(doc, "\\tag*{$t = 1, \\dots, T-1$}\\\\*\n  \\delta_0 &= ");
    free(doc);
}

/* a fragment says what it needs first, and its graph fits any line width */
static void test_fragment_fits(void **state)
{
    char *doc = document(autoencoder, 1, 1);
    (void)state;
    assert_int_equal(strncmp(doc, "% The derivation, written by symgrad from test.sg; paste it "
                                  "into a document that loads amsmath, amssymb and tikz "
                                  "(\\usepackage{amsmath,amssymb,tikz}).\n", 118), 0);
    /* its lines may stretch (what the preamble does for a whole document),
       in a group of its own */
    expect_in(doc, "tikz (\\usepackage{amsmath,amssymb,tikz}).\n\\begingroup\\emergencystretch=3em"
                   "\\relax\n");
    assert_string_equal(doc + strlen(doc) - 10, "\\endgroup\n");
    expect_in(doc, "{\\setbox0\\hbox{%\n\\begin{tikzpicture}");
    expect_in(doc, "\\end{tikzpicture}}%\n\\ifdim\\wd0>\\linewidth\\resizebox{\\linewidth}{!}"
                   "{\\box0}\\else\\box0\\fi}\n");
    free(doc);
}

/* --index: a ones vector or 𝟙𝟙ᵀ is a factor 1 of an entry, left out; never
   the numeral 11 (a matrix softmax not fused with cross-entropy gives
   𝟙𝟙ᵀ) */
static void test_index_ones(void **state)
{
    char *doc;
    const char *line;
    (void)state;
    doc = document("Z ∈ ℝ^{p×N}\nB ∈ ℝ^{p×N}\nA = softmax(Z)\nL = sum(A ⊙ B)\ngrad L wrt Z\n", 1, 1);
    expect_in(doc, "\\frac{\\partial L}{\\partial Z_{ij}} &= A_{ij}\\Bigl(B_{ij} - "
                   "\\Bigl(\\sum_{k} B_{kj}A_{kj}\\Bigr)\\Bigr)");
    /* no entry-by-entry line holds the numeral (the graph's coordinates may) */
    for (line = strstr(doc, "(entry by entry)"); line; line = strstr(line + 1, "(entry by entry)")) {
        const char *bol = line;
        while (bol > doc && bol[-1] != '\n')
            bol--;
        assert_true(strstr(bol, "11") == NULL || strstr(bol, "11") > line);
    }
    assert_non_null(strstr(doc, "(entry by entry)"));
    free(doc);
    doc = document("A ∈ ℝ^{n×n}\nB ∈ ℝ^{n×n}\nL = sum((ones(n) ones(n)ᵀ A) ⊙ B)\n"
                   "grad L wrt A\n", 0, 1);
    expect_in(doc, "\\frac{\\partial L}{\\partial A_{ij}} &= \\sum_{k} B_{kj} \\tag*{\\text{(entry "
                   "by entry)}}");
    free(doc);
    doc = document("x ∈ ℝ^n\nc ∈ ℝ\nL = c ones(n)ᵀ x + sum(x ⊙ ones(n))\ngrad L wrt x\n", 0, 1);
    line = strstr(doc, "\\frac{\\partial L}{\\partial x_{i}} &= ");
    assert_non_null(line);
    assert_null(strstr(line, "1c"));
    assert_null(strstr(line, "c1"));
    free(doc);
}

/* the algebra as a person writes it, on layer norm and the Gaussian NLL:
   x − μ𝟙, not x + (−μ𝟙); 1/(ns²), not 1/s 1/s 1/n; one fraction level;
   no zero term; no internal row vector in a box */
static void test_readable_algebra(void **state)
{
    char *doc;
    (void)state;
    doc = document("x ∈ ℝ^n\ny ∈ ℝ^n\nε ∈ ℝ\nμ = sum(x)/n\nc = x − μ𝟙\n"
                   "s = sqrt(‖c‖²/n + ε)\nz = c/s\nL = ½‖z − y‖²\ngrad L wrt x\n", 0, 0);
    expect_in(doc, "  c &= x - \\mu\\mathbf{1}\\\\");
    expect_in(doc, "  z &= \\frac{c}{s}\\\\");
    expect_in(doc, "\\frac{\\partial L}{\\partial s} &= -\\frac{r^\\top c}{s^{2}}");
    /* 𝟙ᵀc = 𝟙ᵀz = 0: the box has no term that is identically zero, and the
       document says why */
    expect_in(doc, "\\boxed{\\frac{1}{s}\\left(z + \\frac{\\mathbf{1}^\\top y}{n}\\mathbf{1} - y - "
                   "\\frac{c^\\top(z - y)}{ns^{2}}c\\right)}");
    expect_in(doc, "Since $c = x - \\mu\\mathbf{1}$ takes the mean from every entry, "
                   "$\\mathbf{1}^\\top c = 0$; hence $\\mathbf{1}^\\top z = 0$ too");
    assert_null(strstr(doc, "\\frac{\\frac"));
    assert_null(strstr(doc, "+ (-"));
    assert_null(strstr(doc, "+ \\left(-"));
    assert_null(strstr(doc, "\\frac{1}{s}\\frac{1}{s}"));
    free(doc);
    doc = document("x ∈ ℝ^d\nμ ∈ ℝ^d\nS ∈ 𝕊₊₊^d\nL = ½ log|S| + ½ (x − μ)ᵀ S⁻¹ (x − μ)\n"
                   "grad L wrt μ, S\n", 0, 0);
    expect_in(doc, "\\boxed{\\tfrac{1}{2}S^{-1} - \\tfrac{1}{2}S^{-1}(x - \\mu)(x - \\mu)^\\top "
                   "S^{-1}}");
    expect_in(doc, "\\nabla_{\\mu} L &= \\boxed{-S^{-1}(x - \\mu)}");
    free(doc);
    /* entry by entry too: one bar, powers (h_i h_i is h_i^2) */
    doc = document("x ∈ ℝ^n\ny ∈ ℝ^n\nε ∈ ℝ\nμ = sum(x)/n\nc = x − μ𝟙\n"
                   "s = sqrt(‖c‖²/n + ε)\nz = c/s\nL = ½‖z − y‖²\ngrad L wrt x\n", 1, 1);
    expect_in(doc, "\\frac{\\partial L}{\\partial x_{i}} &= \\frac{1}{s}\\Bigl(z_{i} + "
                   "\\frac{\\sum_{j} y_{j}}{n} - y_{i} - "
                   "\\frac{\\sum_{k} c_{k}(z_{k} - y_{k})}{ns^{2}}c_{i}\\Bigr)");
    assert_null(strstr(doc, "\\frac{1}{s}\\frac{1}{s}"));
    free(doc);
    doc = document("x ∈ ℝ^n\nW ∈ ℝ^{n×n}\nh = tanh(W x)\nL = sum(h)\ngrad L wrt W\n", 1, 1);
    expect_in(doc, "(1 - h_{i}^{2})x_{j} \\tag*{\\text{(entry by entry)}}");
    free(doc);
}

/* a long value a box would repeat is written by the name its line gave it
   (attention's ∂L/∂S, read twice in ∇_X L and once in ∇_{W_q} L and
   ∇_{W_k} L), and a layer's adjoint by its δ; a box is never only a name
   (an MLP's ∇_{b₁} L) */
static void test_box_names(void **state)
{
    char *doc;
    const char *box;
    (void)state;
    doc = document("X ∈ ℝ^{d×n}\nW_q ∈ ℝ^{k×d}\nW_k ∈ ℝ^{k×d}\nW_v ∈ ℝ^{d×d}\nY ∈ ℝ^{d×n}\n"
                   "Q = W_q X\nK = W_k X\nV = W_v X\nS = KᵀQ/sqrt(k)\nA = softmax(S)\nO = V A\n"
                   "L = ½‖O − Y‖²\ngrad L wrt W_q, W_k, W_v, X\n", 0, 0);
    expect_in(doc, "\\nabla_{W_q} L &= \\boxed{\\frac{1}{\\sqrt{k}}K\\frac{\\partial L}{\\partial S}X^\\top}");
    box = strstr(doc, "\\boxed");
    assert_non_null(box);
    assert_null(strstr(box, "\\mathbf{1}\\mathbf{1}^\\top")); /* softmax's backward step, not again */
    free(doc);
    doc = document("x ∈ ℝ^D\ny ∈ ℝ^C\nW₁ ∈ ℝ^{H×D}\nb₁ ∈ ℝ^H\nW₂ ∈ ℝ^{H×H}\nb₂ ∈ ℝ^H\n"
                   "W₃ ∈ ℝ^{C×H}\nb₃ ∈ ℝ^C\nh₁ = tanh(W₁x + b₁)\nh₂ = tanh(W₂h₁ + b₂)\n"
                   "p = W₃h₂ + b₃\nL = ½‖p − y‖²\ngrad L wrt W₁, b₁, W₂\n", 0, 0);
    assert_null(strstr(doc, "\\boxed{\\frac{\\partial L}{\\partial a}}"));
    /* a layer's adjoint is δ₁ (its pre-activation a feeds h₁), in its line,
       the lines below and the boxes */
    expect_in(doc, "\\frac{\\partial L}{\\partial a} &= \\delta_{1} = \\frac{\\partial L}{\\partial h_1} \\odot");
    expect_in(doc, "\\frac{\\partial L}{\\partial W_1} &= \\delta_{1}x^\\top");
    expect_in(doc, "\\nabla_{W_1} L &= \\boxed{\\delta_{1}x^\\top}");
    expect_in(doc, "\\nabla_{b_1} L &= \\boxed{W_2^\\top\\delta_{2} \\odot (\\mathbf{1} - h_1 \\odot h_1)}");
    free(doc);
}

static void test_deterministic(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof rule_problems / sizeof rule_problems[0]; i++) {
        char *a = document(rule_problems[i], 0, 1), *b = document(rule_problems[i], 0, 1);
        assert_string_equal(a, b);
        /* pdflatex reads ASCII: nothing else may reach the page */
        {
            const char *s;
            for (s = a; *s; s++)
                if ((unsigned char)*s >= 0x80) {
                    fprintf(stderr, "non-ASCII at: %.40s\n", s);
                    fail();
                }
        }
        free(a);
        free(b);
    }
}

/* ---- deep chains: the document stays linear in the problem ------------------------ */

/* a chain of n statements of one shape: x_i = x_{i-1} x_{i-1} + i (0), a tanh
   layer with a shared matrix (1), x_i = x_{i-1} + x_{i-1}ᵀ (2), the caller frees */
static char *chain_text(int shape, int n)
{
    size_t cap = (size_t)n * 64 + 256, len = 0;
    char *t = malloc(cap);
    int i;
    assert_non_null(t);
    if (shape == 0)
        len += (size_t)snprintf(t + len, cap - len, "x0 : scalar\n");
    else if (shape == 1)
        len += (size_t)snprintf(t + len, cap - len, "W : matrix(m, m)\nx0 : vector(m)\n");
    else
        len += (size_t)snprintf(t + len, cap - len, "x0 : matrix(m, m)\n");
    for (i = 1; i < n; i++) {
        if (shape == 0)
            len += (size_t)snprintf(t + len, cap - len, "x%d = x%d * x%d + %d\n", i, i - 1, i - 1, i);
        else if (shape == 1)
            len += (size_t)snprintf(t + len, cap - len, "x%d = tanh(W * x%d)\n", i, i - 1);
        else
            len += (size_t)snprintf(t + len, cap - len, "x%d = x%d + x%d'\n", i, i - 1, i - 1);
    }
    if (shape == 0)
        snprintf(t + len, cap - len, "grad x%d wrt x0\n", n - 1);
    else if (shape == 1)
        snprintf(t + len, cap - len, "L = sum(x%d)\ngrad L wrt W, x0\n", n - 1);
    else
        snprintf(t + len, cap - len, "L = tr(x%d)\ngrad L wrt x0\n", n - 1);
    return t;
}

/*
 * The adjoint of x_0 in a chain of squares is a DAG of 2n nodes whose tree
 * has 2^n leaves: printed as built it took 232 MB at n = 25. Every line now
 * says its value in terms of the adjoints above it, so the document grows by
 * a bounded amount per statement: at most 3 KB here (about 1.1 KB measured),
 * where an exponential printer is past it by n = 20.
 */
static void test_deep_chains_linear(void **state)
{
    int shape;
    (void)state;
    for (shape = 0; shape < 3; shape++) {
        char *t100 = chain_text(shape, 100), *t200 = chain_text(shape, 200);
        char *d100 = document(t100, 0, 0), *d200 = document(t200, 0, 0);
        size_t n100 = strlen(d100), n200 = strlen(d200);
        if (n200 > 200 * 3000 || n200 > 2.5 * n100) {
            fprintf(stderr, "shape %d: %zu bytes at n = 100, %zu at n = 200\n", shape, n100, n200);
            fail();
        }
        assert_null(strstr(d200, "too long to print"));
        free(t100);
        free(t200);
        free(d100);
        free(d200);
    }
}

/* v_i = v_{i−1} ⊙ v_{i−1} + v_{i−1}: each level uses the one below twice (its
   tree doubles per level, its DAG does not), with grad and jacobian */
static char *twice_text(int n, int jacobian)
{
    sg_buf b;
    int i;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x ∈ ℝ^n\nv0 = tanh(x)\n");
    for (i = 1; i <= n; i++)
        sg_buf_printf(&b, "v%d = v%d ⊙ v%d + v%d\n", i, i - 1, i - 1, i - 1);
    sg_buf_printf(&b, "L = sum(v%d)\ngrad L wrt x\n", n);
    if (jacobian)
        sg_buf_printf(&b, "jacobian v%d wrt x\n", n);
    return sg_buf_take(&b, NULL);
}

/*
 * The document of a chain that uses each level twice grows linearly with
 * its depth: measured 16.4, 30.2 and 60.3 KB at 10, 20 and 40 levels (with
 * the Jacobian of a 4-level chain's top as well, 4 and 8 levels, since its
 * symbolic side is what grows there). A printer that wrote a shared node out
 * as its tree would double per level.
 */
static void test_twice_chain_linear(void **state)
{
    size_t len[3];
    int k;
    (void)state;
    for (k = 0; k < 3; k++) {
        char *t = twice_text(10 << k, 0), *doc = document(t, 0, 1);
        len[k] = strlen(doc);
        assert_null(strstr(doc, "too long to print"));
        free(doc);
        free(t);
    }
    if (len[1] > 2.5 * len[0] || len[2] > 2.5 * len[1] || len[2] > 40 * 3000) {
        fprintf(stderr, "%zu, %zu, %zu bytes at 10, 20, 40 levels\n", len[0], len[1], len[2]);
        fail();
    }
    for (k = 0; k < 2; k++) {
        char *t = twice_text(4 << k, 1), *doc = document(t, 0, 0);
        len[k] = strlen(doc);
        free(doc);
        free(t);
    }
    if (len[1] > 2.5 * len[0]) {
        fprintf(stderr, "jacobian: %zu, %zu bytes at 4, 8 levels\n", len[0], len[1]);
        fail();
    }
}

/* ---- no fixed-size limits: many inputs, paths, pieces, factors ----------------------- */

/* n inputs a0 … a(n−1) into one node: L = sum(a0 op a1 op … op x), vectors
   for + and ⊙, matrices for the product (op " "); the caller frees */
static char *many_inputs(const char *op, int n)
{
    sg_buf b;
    int i, matrices = !strcmp(op, " ");
    sg_buf_init(&b);
    sg_buf_puts(&b, "x ∈ ℝ^n\n");
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "a%d ∈ ℝ^%s\n", i, matrices ? "{n×n}" : "n");
    sg_buf_puts(&b, "L = sum(");
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "a%d%s", i, op);
    sg_buf_puts(&b, "x)\ngrad L wrt a0, x\n");
    return sg_buf_take(&b, NULL);
}

/* how many times needle occurs in s */
static int count_of(const char *s, const char *needle)
{
    int n = 0;
    while ((s = strstr(s, needle)) != NULL) {
        n++;
        s += strlen(needle);
    }
    return n;
}

/*
 * More than 16 inputs into one node overflowed the graph's in[16] (heap
 * corruption at 19 summands), 256 inputs its list, 64 nodes a column. Now
 * all of them are in the graph, drawn up to a page's worth and described
 * past it, and the document is whole in every mode.
 */
static void test_many_inputs(void **state)
{
    static const char *const ops[] = {" + ", " ⊙ ", " "};
    static const int sizes[] = {19, 100};
    size_t o, k;
    (void)state;
    for (o = 0; o < 3; o++)
        for (k = 0; k < 2; k++) {
            char *t = many_inputs(ops[o], sizes[k]), *doc, *frag;
            char last[64];
            doc = document(t, 0, 0);
            frag = document(t, 1, 1);
            snprintf(last, sizeof last, "a_{%d}", sizes[k] - 1);
            expect_in(doc, last);
            expect_in(doc, "\\subsection*{Computation graph}");
            expect_in(doc, "\\nabla_{a_0} L &= \\boxed{");
            expect_in(doc, "\\end{document}\n");
            expect_in(frag, "\\nabla_{x} L &= \\boxed{");
            if (o == 0) { /* the sum u: one node, every summand (and x) an input of it */
                if (sizes[k] <= 19) {
                    expect_in(doc, "{$a_{18}$};");
                    assert_int_equal(count_of(doc, " -- (n0);"), sizes[k] + 1);
                } else {
                    expect_in(doc, "The graph has 103 nodes and 102 edges in 3 layers: laid "
                                   "out, it needs at least ");
                    expect_in(doc, "\\,cm, more than twice the 12\\,cm by 18\\,cm a page "
                                   "gives it, so it is not drawn.");
                    assert_null(strstr(doc, "tikzpicture"));
                }
            }
            free(doc);
            free(frag);
            free(t);
        }
}

/* x reached along 40 paths, through u_i = A_i x into one sum: 40 inputs into
   L, 40 numbered edges, eight paths listed */
static void test_many_paths(void **state)
{
    sg_buf b;
    char *doc;
    int i;
    (void)state;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x ∈ ℝ^n\n");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "A%d ∈ ℝ^{n×n}\n", i);
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "u%d = A%d x\n", i, i);
    sg_buf_puts(&b, "L = ");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "%ssum(u%d)", i ? " + " : "", i);
    sg_buf_puts(&b, "\ngrad L wrt x\n");
    doc = document(sg_buf_str(&b), 0, 1);
    expect_in(doc, "$x$ has 40 paths to $L$: $x \\xrightarrow{1} u_0 \\to L$, ");
    expect_in(doc, " and $x \\xrightarrow{8} u_7 \\to L$, \\dots.");
    expect_in(doc, "$x$ is reached along 40 paths");
    expect_in(doc, "through $u_{39}$");
    free(doc);
    sg_buf_free(&b);
}

/* δ with 45 pieces at single steps (the old list took 30, and the steps
   1 … 15 lost their direct terms), and 40 terms at every step (the old
   list took 32) */
static void test_many_delta_pieces(void **state)
{
    sg_buf b;
    char *doc;
    int i;
    (void)state;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x[t] ∈ ℝ^k for t = 1..60\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nh[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..60\nL = Σ_{t=1}^{60} sum(h[t])");
    for (i = 1; i <= 45; i++)
        sg_buf_printf(&b, " + sum(h[%d])", i);
    sg_buf_puts(&b, "\ngrad L wrt W, h0\n");
    doc = document(sg_buf_str(&b), 0, 0);
    expect_in(doc, "\\delta_1 &= \\mathbf{1} + \\mathbf{1} + W^\\top(\\delta_2 \\odot");
    expect_in(doc, "\\delta_{15} &= \\mathbf{1} + \\mathbf{1} + W^\\top(\\delta_{16} \\odot");
    expect_in(doc, "\\delta_0 &= W^\\top(\\delta_1 \\odot");
    assert_null(strstr(doc, "t = 0, \\dots, 15"));
    free(doc);
    sg_buf_free(&b);

    sg_buf_init(&b);
    sg_buf_puts(&b, "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "c%d ∈ ℝ^n\n", i);
    sg_buf_puts(&b, "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\nL = ");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "%sΣ_{t=1}^{T} ⟨c%d, h[t]⟩", i ? " + " : "", i);
    sg_buf_puts(&b, "\ngrad L wrt W, h0\n");
    doc = document(sg_buf_str(&b), 0, 0);
    expect_in(doc, "\\delta_T &= c_{39} + c_{38} + ");
    expect_in(doc, " + c_1 + c_0\\\\*\n");
    expect_in(doc, " + c_1 + c_0\\\\*\n  &\\qquad  + W^\\top(\\delta_{t+1} \\odot");
    free(doc);
    sg_buf_free(&b);
}

/* a product of 40 matrices: every factor in the result, with --index (whose
   chain of factors took 32) */
static void test_many_factors(void **state)
{
    sg_buf b;
    char *doc;
    int i;
    (void)state;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x ∈ ℝ^n\n");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "A%d ∈ ℝ^{n×n}\n", i);
    sg_buf_puts(&b, "y = ");
    for (i = 0; i < 40; i++)
        sg_buf_printf(&b, "A%d ", i);
    sg_buf_puts(&b, "x\nL = sum(y)\ngrad L wrt x\njacobian y wrt x\n");
    doc = document(sg_buf_str(&b), 0, 1);
    expect_in(doc, "\\boxed{A_{39}^\\top A_{38}^\\top ");
    expect_in(doc, "A_1^\\top A_0^\\top\\mathbf{1}}");
    expect_in(doc, "\\frac{\\partial y}{\\partial x} &= \\boxed{A_0A_1");
    free(doc);
    sg_buf_free(&b);
}

/* gradients with respect to a dozen symbols L does not read: each a line
   of its own (the list of lines was sized by the backward pass's steps) */
static void test_many_unread_targets(void **state)
{
    sg_buf b;
    char *doc;
    int i;
    (void)state;
    sg_buf_init(&b);
    sg_buf_puts(&b, "x ∈ ℝ^n\n");
    for (i = 0; i < 12; i++)
        sg_buf_printf(&b, "a%d ∈ ℝ^n\n", i);
    sg_buf_puts(&b, "L = sum(x)\ngrad L wrt x");
    for (i = 0; i < 12; i++)
        sg_buf_printf(&b, ", a%d", i);
    sg_buf_puts(&b, "\n");
    doc = document(sg_buf_str(&b), 0, 1);
    expect_in(doc, "\\nabla_{a_0} L &= \\boxed{0}");
    expect_in(doc, "\\nabla_{a_{11}} L &= \\boxed{0}");
    free(doc);
    sg_buf_free(&b);
}

/* the chain of six squares: each adjoint in terms of the one above it, and
   the two operands of a square told apart by position */
static void test_chain_by_name(void **state)
{
    char *t = chain_text(0, 6), *doc;
    (void)state;
    doc = document(t, 0, 0);
    expect_in(doc, "\\frac{\\partial x_5}{\\partial x_1} &= \\frac{\\partial x_5}{\\partial x_2}x_1 + "
                   "x_1\\frac{\\partial x_5}{\\partial x_2} = 2\\frac{\\partial x_5}{\\partial x_2}x_1");
    expect_in(doc, "\\frac{\\partial x_5}{\\partial x_2} &= \\frac{\\partial x_5}{\\partial x_3}x_2 + "
                   "x_2\\frac{\\partial x_5}{\\partial x_3} = 2\\frac{\\partial x_5}{\\partial x_3}x_2");
    expect_in(doc, "through the first factor of $x_4x_4$ and through the second factor of $x_4x_4$");
    expect_in(doc, "\\nabla_{x_0} x_5 &= \\frac{\\partial x_5}{\\partial x_1}x_0 + "
                   "x_0\\frac{\\partial x_5}{\\partial x_1}");
    expect_in(doc, "$x_0$ has 32 paths to $x_5$");
    /* no adjoint written out as the tree of its DAG */
    assert_null(strstr(doc, "(2x_4x_3 + 2x_3x_4)"));
    assert_null(strstr(doc, "\\text{ as }x_4x_4\\text{ as }"));
    free(doc);
    free(t);
}

/* ---- the seeds' content ------------------------------------------------------------ */

/* the document of text with --update (caller frees) */
static char *document_update(const char *text, int update)
{
    parsed q;
    sg_latex_opts o;
    char *doc;
    parse(&q, text);
    memset(&o, 0, sizeof o);
    o.update = update;
    o.source = "test.sg";
    doc = sg_latex_document(q.p, &o, NULL);
    unparse(&q);
    return doc;
}

/* a comes before b in doc, both present */
static void expect_before(const char *doc, const char *a, const char *b)
{
    const char *pa = strstr(doc, a), *pb = strstr(doc, b);
    expect_in(doc, a);
    expect_in(doc, b);
    if (pa >= pb) {
        fprintf(stderr, "not before: %s\n   and: %s\n", a, b);
        fail();
    }
}

static const char rnn_sigmoid[] = "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nU ∈ ℝ^{n×n}\nV ∈ ℝ^{n×k}\n"
                                  "h[0] = h0\nh[t] = σ(U h[t−1] + V x[t]) for t = 1..T\n"
                                  "L = Σ_{t=1}^{T} ½‖h[t]‖²\ngrad L wrt U\n";
static const char rnn_linear[] = "x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nh[0] = h0\n"
                                 "h[t] = W h[t−1] + x[t] for t = 1..T\n"
                                 "L = Σ_{t=1}^{T} ½‖h[t]‖²\ngrad L wrt W\n";
static const char softmax_grad[] = "z ∈ ℝ^n\ny ∈ ℝ^n\ns = softmax(z)\nL = yᵀs\ngrad L wrt z\n";

/* the softmax Jacobian derived entry by entry before a line uses its rule */
static void test_softmax_first_principles(void **state)
{
    char *doc = document(softmax_jac, 0, 0);
    (void)state;
    expect_before(doc, "\\paragraph{The Jacobian of $\\operatorname{softmax}$, from first principles.}",
                  "J(s) &= (\\operatorname{diag}(s)");
    expect_before(doc, "= [i = j]\\,s_{i} - s_{i}s_{j},", "s_{i}(1 - s_{i}), & i = j");
    expect_before(doc, "-s_{i}s_{j}, & i \\ne j", "J = \\frac{\\partial s}{\\partial z} = "
                                                 "\\operatorname{diag}(s) - ss^\\top.");
    expect_before(doc, "This is rule (J2), used below.", "J(s) &= (\\operatorname{diag}(s)");
    assert_int_equal(count_of(doc, "from first principles"), 1);
    free(doc);
    /* reverse mode: the rule shown to be Jᵀ times the adjoint, before the lines */
    doc = document(softmax_grad, 0, 0);
    expect_before(doc, "J = \\frac{\\partial s}{\\partial z} = \\operatorname{diag}(s) - ss^\\top.",
                  "\\frac{\\partial L}{\\partial z} &=");
    expect_in(doc, "\\bar{z} = J^\\top \\bar{s} = \\operatorname{diag}(s)\\bar{s} - s(s^\\top "
                   "\\bar{s}) = s \\odot (\\bar{s} - \\mathbf{1}\\mathbf{1}^\\top(s \\odot \\bar{s}))");
    expect_in(doc, "this is rule (R");
    free(doc);
    /* log-softmax in the cross-entropy: its own Jacobian, I − 𝟙sᵀ */
    doc = document(rule_problems[1], 0, 0);
    expect_before(doc, "J = \\frac{\\partial u}{\\partial z_2} = I - \\mathbf{1}s^\\top.",
                  "\\frac{\\partial L}{\\partial z_2} &=");
    expect_in(doc, "= [i = j] - s_{j} = \\begin{cases} 1 - s_{i}, & i = j,\\\\ -s_{j}, & i \\ne j.");
    free(doc);
    /* logsumexp: its gradient is softmax; an argument that is no name is named */
    doc = document("z ∈ ℝ^n\nW ∈ ℝ^{n×n}\nL = logsumexp(W z)\ngrad L wrt W, z\n", 0, 0);
    expect_before(doc, "\\paragraph{The gradient of $\\operatorname{logsumexp}$, from first "
                       "principles.} Write $a = Wz$. By definition $L = \\log \\sum_k e^{a_{k}}$",
                  "The local rules used");
    expect_in(doc, "\\frac{\\partial L}{\\partial a_{j}} = \\frac{e^{a_{j}}}{\\sum_k e^{a_{k}}} = "
                   "s_{j},");
    free(doc);
    /* absent where there is no softmax */
    doc = document(autoencoder, 0, 0);
    assert_null(strstr(doc, "first principles"));
    free(doc);
}

/* the RNN's vanishing and exploding gradients, from its own step */
static void test_vanishing(void **state)
{
    char *doc = document(rnn, 0, 0);
    (void)state;
    expect_before(doc, "\\subsection*{Result}", "\\subsection*{Vanishing and exploding gradients}");
    expect_in(doc, "\\frac{\\partial h_t}{\\partial h_{t-1}} &= \\operatorname{diag}(\\tanh'(a_t))"
                   "W_{hh} = \\operatorname{diag}(\\mathbf{1} - h_t \\odot h_t)W_{hh}");
    /* k is a dimension of this problem: the earlier step is τ */
    expect_in(doc, "= \\prod_{j=\\tau+1}^{t} \\operatorname{diag}(\\mathbf{1} - h_j \\odot h_j)"
                   "W_{hh}");
    expect_in(doc, "\\le \\bigl(\\lVert W_{hh}\\rVert_2 \\cdot \\max\\lvert \\tanh'\\rvert"
                   "\\bigr)^{t-\\tau} \\le \\lVert W_{hh}\\rVert_2^{t-\\tau}");
    expect_in(doc, "$\\max_z \\lvert \\tanh'(z)\\rvert = 1$");
    expect_in(doc, "If $\\lVert W_{hh}\\rVert_2 < 1$");
    expect_in(doc, "(vanishing gradients)");
    expect_in(doc, "If $\\lVert W_{hh}\\rVert_2 > 1$");
    expect_in(doc, "(exploding gradients");
    free(doc);
    /* another activation: its own derivative and bound */
    doc = document(rnn_sigmoid, 0, 0);
    expect_in(doc, "\\frac{\\partial h_t}{\\partial h_{t-1}} &= \\operatorname{diag}(\\sigma'(a_t))"
                   "U = \\operatorname{diag}(h_t \\odot (\\mathbf{1} - h_t))U");
    expect_in(doc, "$\\max_z \\lvert \\sigma'(z)\\rvert = \\tfrac{1}{4}$");
    expect_in(doc, "If $\\lVert U\\rVert_2 < 4$");
    assert_null(strstr(doc, "\\tanh"));
    free(doc);
    /* no activation: the matrix alone */
    doc = document(rnn_linear, 0, 0);
    expect_in(doc, "\\frac{\\partial h_t}{\\partial h_{t-1}} &= W \\tag*{");
    expect_in(doc, "\\prod_{j=k+1}^{t} W\n");
    expect_in(doc, "&\\le \\lVert W\\rVert_2^{t-k}");
    free(doc);
    /* a user's name with a subscript t is not a step: W_t stays W_t */
    doc = document("x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW_t ∈ ℝ^{n×n}\nh[0] = h0\n"
                   "h[t] = tanh(W_t h[t−1] + x[t]) for t = 1..T\n"
                   "L = Σ_{t=1}^{T} ½‖h[t]‖²\ngrad L wrt W_t\n", 0, 0);
    expect_in(doc, "\\prod_{j=k+1}^{t} \\operatorname{diag}(\\mathbf{1} - h_j \\odot h_j)W_t\n");
    expect_in(doc, "\\le \\lVert W_t\\rVert_2^{t-k}");
    assert_null(strstr(doc, "W_j"));
    free(doc);
    /* absent without a recurrence */
    doc = document(autoencoder, 0, 0);
    assert_null(strstr(doc, "Vanishing"));
    free(doc);
}

/* the Matrix Cookbook at the rules, the bibliography, symmetry said */
/* the Cookbook's Hessian of tr(XᵀBX) with respect to a matrix: (B + Bᵀ) ⊗ I,
   its rules cited, how a matrix enters said; the gradient it differentiates
   is summed as ∇_X f, not boxed as the Hessian (once, as the result) */
static void test_matrix_hessian(void **state)
{
    char *doc = document("X ∈ ℝ^{m×n}\nB ∈ ℝ^{m×m}\nf = tr(XᵀBX)\nhessian f wrt X\n", 0, 1);
    const char *box = "\\boxed{(B + B^\\top) \\otimes I}";
    (void)state;
    expect_in(doc, "\\nabla_{X} f &= B^\\top X + BX\n");
    expect_in(doc, "\\nabla^2_{X} f &= \\boxed{(B + B^\\top) \\otimes I}");
    assert_null(strstr(strstr(doc, box) + 1, box));
    expect_in(doc, "J(AB) = (I \\otimes B^\\top)J(A) + (A \\otimes I)J(B)");
    expect_in(doc, "J(A^\\top) = K J(A) \\text{ for the commutation matrix } K");
    expect_in(doc, "A matrix enters by its row-major flattening");
    expect_in(doc, "J(X^\\top) &= KJ(X) = K_{m,n}");
    free(doc);
}

static void test_cookbook(void **state)
{
    char *doc = document(rule_problems[2], 0, 0);
    (void)state;
    expect_in(doc, "\\log\\lvert\\det A\\rvert \\;\\Rightarrow\\; \\bar A = \\bar y\\, "
                   "A^{-\\top} \\tag*{\\textrm{Cookbook (57)}\\quad (R");
    expect_in(doc, "\\tag*{\\textrm{Cookbook (59)}\\quad (R");
    /* tr(K⁻¹YYᵀ) gets a line of its own: no line cites four rules */
    expect_in(doc, "\\frac{\\partial L}{\\partial K^{-1}} &= \\frac{\\partial L}{\\partial "
                   "\\operatorname{tr}(K^{-1}YY^\\top)}YY^\\top = -\\tfrac{1}{2}YY^\\top \\tag*{(R3, R4)");
    assert_null(strstr(doc, "(R1, R2, R3, R4)"));
    expect_in(doc, "\\subsection*{References}\nK.~B. Petersen and M.~S. Pedersen, \\emph{The "
                   "Matrix Cookbook}, version of November 15, 2012.");
    expect_before(doc, "Since $K = XX^\\top + \\beta I$ is symmetric, $K^{-\\top} = (K^{-1})^\\top "
                       "= K^{-1}$: where (R5) and (R6) give $K^{-\\top}$",
                  "\\frac{\\partial L}{\\partial K^{-1}} &=");
    free(doc);
    /* declared spd */
    doc = document("K ∈ 𝕊₊₊^n\nL = log|K|\ngrad L wrt K\n", 0, 0);
    expect_in(doc, "Since $K$ is declared symmetric positive definite, $K^{-\\top}");
    free(doc);
    /* a general matrix: A⁻ᵀ stays, nothing said */
    doc = document("A ∈ ℝ^{n×n}\nL = log|A|\ngrad L wrt A\n", 0, 0);
    assert_null(strstr(doc, "is symmetric"));
    expect_in(doc, "Cookbook (57)");
    free(doc);
    /* no matrix identity: no citation, no bibliography */
    doc = document("x ∈ ℝ\nL = tanh(x)\ngrad L wrt x\n", 0, 0);
    assert_null(strstr(doc, "Cookbook"));
    assert_null(strstr(doc, "References"));
    free(doc);
}

/* --update: each parameter's step, vectorised and entry by entry */
static void test_update(void **state)
{
    char *doc = document_update(rule_problems[1], 1);
    (void)state;
    expect_in(doc, "\\subsection*{Gradient-descent updates}");
    expect_in(doc, "W_2 &\\leftarrow W_2 - \\eta\\nabla_{W_2} L = W_2 - \\eta\\,"
                   "(\\operatorname{softmax}(z_2) - y)h_1^\\top\\\\");
    expect_in(doc, "(W_2)_{ij} &\\leftarrow (W_2)_{ij} - \\eta\\frac{\\partial L}{\\partial "
                   "(W_2)_{ij}} = (W_2)_{ij} - \\eta\\,((\\operatorname{softmax}(z_2))_{i} - y_{i})"
                   "(h_1)_{j}");
    expect_in(doc, "b_2 &\\leftarrow b_2 - \\eta\\nabla_{b_2} L = b_2 - \\eta\\bigl("
                   "\\operatorname{softmax}(z_2) - y\\bigr)");
    assert_int_equal(count_of(doc, "&\\leftarrow"), 8);
    free(doc);
    /* a scalar parameter: one line; η taken: another letter */
    doc = document_update("η ∈ ℝ\nx ∈ ℝ\nL = η*x*x\ngrad L wrt x\n", 1);
    expect_in(doc, "x &\\leftarrow x - \\alpha\\nabla_{x} L");
    assert_int_equal(count_of(doc, "&\\leftarrow"), 1);
    free(doc);
    /* the RNN: sums over time entry by entry; the sequence's initial state too */
    doc = document_update(rnn, 1);
    expect_in(doc, "W_{hh} &\\leftarrow W_{hh} - \\eta\\nabla_{W_{hh}} L");
    expect_in(doc, "(W_{hh})_{ij} &\\leftarrow (W_{hh})_{ij} - \\eta\\frac{\\partial L}{\\partial "
                   "(W_{hh})_{ij}}");
    free(doc);
    /* not asked for: absent */
    doc = document_update(rule_problems[1], 0);
    assert_null(strstr(doc, "Gradient-descent"));
    assert_null(strstr(doc, "\\leftarrow"));
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_hostile_source),
        cmocka_unit_test(test_every_op),
        cmocka_unit_test(test_alphabet),
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_fragment),
        cmocka_unit_test(test_softmax_jacobian),
        cmocka_unit_test(test_cross_entropy),
        cmocka_unit_test(test_bptt),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_no_boilerplate),
        cmocka_unit_test(test_no_orphans),
        cmocka_unit_test(test_fragment_fits),
        cmocka_unit_test(test_index_ones),
        cmocka_unit_test(test_readable_algebra),
        cmocka_unit_test(test_box_names),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_deep_chains_linear),
        cmocka_unit_test(test_chain_by_name),
        cmocka_unit_test(test_twice_chain_linear),
        cmocka_unit_test(test_many_inputs),
        cmocka_unit_test(test_many_paths),
        cmocka_unit_test(test_many_delta_pieces),
        cmocka_unit_test(test_many_factors),
        cmocka_unit_test(test_many_unread_targets),
        cmocka_unit_test(test_softmax_first_principles),
        cmocka_unit_test(test_vanishing),
        cmocka_unit_test(test_cookbook),
        cmocka_unit_test(test_matrix_hessian),
        cmocka_unit_test(test_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
