/*
 * test_quote.c: the problem quoted as written (codegen/quote.c and the
 * Problem section of the LaTeX derivation), the stability rewrites the
 * constructors record and the document shows as a step with its reason,
 * and a user's named product kept whole so that every printer names it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/formula.h"
#include "codegen/latex.h"
#include "codegen/quote.h"
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
    q->src = sg_src_new("test.sg", text, strlen(text));
    q->arena = sg_arena_new();
    q->p = sg_check(q->src, sg_parse(q->src, q->arena));
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

/* the whole document for text (caller frees) */
static char *document(const char *text)
{
    parsed q;
    sg_latex_opts o;
    char *doc;
    parse(&q, text);
    memset(&o, 0, sizeof o);
    o.fragment = 1;
    o.source = "test.sg";
    doc = sg_latex_document(q.p, &o, NULL);
    unparse(&q);
    return doc;
}

/* the Problem section of the document for text (caller frees) */
static char *problem(const char *text)
{
    char *doc = document(text), *from, *to;
    from = strstr(doc, "\\subsection*{Problem}");
    assert_non_null(from);
    to = strstr(from, "\\subsection*{Forward pass}");
    if (!to)
        to = strstr(from, "\\subsection*");
    if (to && to != from)
        *to = '\0';
    memmove(doc, from, strlen(from) + 1);
    return doc;
}

static void expect_in(const char *doc, const char *needle)
{
    if (!strstr(doc, needle)) {
        fprintf(stderr, "not found: %s\nin:\n%s\n", needle, doc);
        fail();
    }
}

static void expect_not_in(const char *doc, const char *needle)
{
    if (strstr(doc, needle)) {
        fprintf(stderr, "found: %s\nin:\n%s\n", needle, doc);
        fail();
    }
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (; (s = strstr(s, needle)) != NULL; s += strlen(needle))
        n++;
    return n;
}

static const char attention[] = "X ∈ ℝ^{d×n}\nW_q ∈ ℝ^{k×d}\nW_k ∈ ℝ^{k×d}\nW_v ∈ ℝ^{d×d}\n"
                                "Y ∈ ℝ^{d×n}\nQ = W_q X\nK = W_k X\nV = W_v X\n"
                                "S = KᵀQ/sqrt(k)\nA = softmax(S)\nO = V A\nL = ½‖O − Y‖²\n"
                                "grad L wrt W_q, W_k, W_v, X\n";
static const char logistic[] = "x ∈ ℝ^D\nw ∈ ℝ^D\nb ∈ ℝ\ny ∈ ℝ\nz = wᵀx + b\np = σ(z)\n"
                               "L = −(y log(p) + (1 − y) log(1 − p))\ngrad L wrt w, b\n";
static const char layernorm[] = "x ∈ ℝ^n\ny ∈ ℝ^n\nε ∈ ℝ\nμ = sum(x)/n\nc = x − μ𝟙\n"
                                "s = sqrt(‖c‖²/n + ε)\nz = c/s\nL = ½‖z − y‖²\ngrad L wrt x\n";

/* ---- the problem as written ------------------------------------------------------ */

/* attention: the user's Q, S as a fraction, softmax by name */
static void test_attention_quoted(void **state)
{
    char *t = problem(attention);
    (void)state;
    expect_in(t, "Q &= W_q X\\\\");
    expect_in(t, "S &= \\frac{K^\\top Q}{\\sqrt{k}}\\\\");
    expect_in(t, "A &= \\operatorname{softmax}(S)\\\\");
    expect_in(t, "O &= V A\\\\");
    expect_in(t, "L &= \\tfrac{1}{2}\\lVert O - Y\\rVert^{2}");
    expect_not_in(t, "\\intertext"); /* nothing was rewritten */
    free(t);
}

/* the user's Q is a factor of S in the DAG, so the derivation names it:
   a line for ∂L/∂Q, and no W_q X written out after the forward pass */
static void test_attention_names_q(void **state)
{
    char *doc = document(attention), *back;
    (void)state;
    back = strstr(doc, "\\subsection*{Backward pass}");
    assert_non_null(back);
    expect_in(back, "\\frac{\\partial L}{\\partial Q} &=");
    expect_in(back, "through $Q$");
    expect_not_in(back, "W_qX");
    expect_not_in(doc, "K^\\top W_qX");
    free(doc);
}

/* logistic regression: the cross-entropy as written, then the rewrite as
   one visible step with its reason and identities */
static void test_logistic_rewrite_shown(void **state)
{
    char *t = problem(logistic);
    const char *quote, *why, *form;
    (void)state;
    expect_in(t, "p &= \\sigma(z)\\\\");
    quote = strstr(t, "L &= -(y\\log(p) + (1 - y)\\log(1 - p))\\\\");
    why = strstr(t, "\\intertext{\\sloppy For numerical stability, with $\\log\\sigma(z) = "
                    "-\\operatorname{softplus}(-z)$ and $\\log(1 - \\sigma(z)) = "
                    "-\\operatorname{softplus}(z)$, $L$ is evaluated as below. It is the same "
                    "function: the derivation differentiates $L$ as written.}");
    form = strstr(t, "L &= -(-y\\operatorname{softplus}(-z) - (1 - y)\\operatorname{softplus}(z))");
    assert_non_null(quote);
    assert_non_null(why);
    assert_non_null(form);
    assert_true(quote < why && why < form); /* written, why (and that the derivation
                                               reads what was written), what is evaluated */
    assert_int_equal(count(t, "\\intertext"), 1);
    free(t);
}

/* the batch form: the logs, then the softplus terms combined, each reason once */
static void test_batch_logistic_reasons(void **state)
{
    char *t = problem("X ∈ ℝ^{N×D}\ny ∈ ℝ^N\nw ∈ ℝ^D\nλ ∈ ℝ\np = σ(Xw)\n"
                      "L = −(yᵀ log(p) + (𝟙 − y)ᵀ log(𝟙 − p)) / N + λ/2 ‖w‖²\n"
                      "grad L wrt w\n");
    (void)state;
    expect_in(t, "p &= \\sigma(X w)\\\\");
    expect_in(t, "L &= -\\frac{y^\\top\\log(p) + (\\mathbf{1} - y)^\\top\\log(\\mathbf{1} - p)}"
                 "{N} + \\frac{\\lambda}{2}\\lVert w\\rVert^{2}");
    expect_in(t, "$\\log(\\mathbf{1} - \\sigma(Xw)) = -\\operatorname{softplus}(Xw)$");
    expect_in(t, "; to combine the softplus terms, with $\\operatorname{softplus}(-Xw) = "
                 "\\operatorname{softplus}(Xw) - Xw$");
    assert_int_equal(count(t, "For numerical stability"), 1);
    free(t);
}

/* layer norm: x − μ𝟙 as written (not x + (−μ𝟙)), c/s a fraction, sum by name */
static void test_layernorm_quoted(void **state)
{
    char *t = problem(layernorm);
    (void)state;
    expect_in(t, "\\mu &= \\frac{\\operatorname{sum}(x)}{n}\\\\");
    expect_in(t, "c &= x - \\mu\\mathbf{1}\\\\");
    expect_in(t, "s &= \\sqrt{\\frac{\\lVert c\\rVert^{2}}{n} + \\varepsilon}\\\\");
    expect_in(t, "z &= \\frac{c}{s}\\\\");
    expect_not_in(t, "+ (-");
    free(t);
}

/* every definition appears, in order: one nothing reads, and one that is
   the same value as another (hash-consing merged them) */
static void test_every_definition(void **state)
{
    char *t = problem("W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nu = Wx\nv = W x\nunused = 3x\n"
                      "L = ½‖v‖²\ngrad L wrt x\n");
    const char *u, *v, *n, *l;
    (void)state;
    u = strstr(t, "u &= W x\\\\");
    v = strstr(t, "v &= W x\\\\");
    n = strstr(t, "\\mathit{unused} &= 3x\\\\");
    l = strstr(t, "L &= \\tfrac{1}{2}\\lVert v\\rVert^{2}");
    assert_non_null(u);
    assert_non_null(v);
    assert_non_null(n);
    assert_non_null(l);
    assert_true(u < v && v < n && n < l);
    free(t);
}

/* names written as products, postfix on the last part, grouping kept */
static void test_split_names(void **state)
{
    char *t = problem("A ∈ ℝ^{n×n}\nY ∈ ℝ^{n×m}\nx ∈ ℝ^n\nβ ∈ ℝ\n"
                      "G = YYᵀ + βI\nr = (Ax)ᵀ(Ax)\nL = tr(G) + r\ngrad L wrt x, Y\n");
    (void)state;
    expect_in(t, "G &= Y Y^\\top + \\beta I\\\\");
    expect_in(t, "r &= (A x)^\\top(A x)\\\\");
    expect_in(t, "L &= \\operatorname{tr}(G) + r");
    free(t);
}

/* numbers as written, functions by their names, bars and norms */
static void test_numbers_and_functions(void **state)
{
    char *t = problem("K ∈ 𝕊₊₊^n\nx ∈ ℝ^n\na ∈ ℝ\n"
                      "u = 0.5x + ½x + 1e-3x + 2.5e4x\nq = ⟨x, u⟩ + ‖x‖₁ + abs(a)\n"
                      "L = log|K| + exp(q) + tanh(a) + a⁻¹ + (a + 1)²\ngrad L wrt x, a, K\n");
    (void)state;
    expect_in(t, "u &= 0.5x + \\tfrac{1}{2}x + 10^{-3}x + 2.5 \\cdot 10^{4}x\\\\");
    expect_in(t, "q &= \\langle x, u\\rangle + \\lVert x\\rVert_1 + \\lvert a\\rvert\\\\");
    expect_in(t, "L &= \\log\\lvert K\\rvert + \\exp(q) + \\tanh(a) + a^{-1} + (a + 1)^{2}");
    free(t);
    /* a sign before a fraction's bar, a superscript beside a norm */
    t = problem("D ∈ ℝ\nx ∈ ℝ^n\nW ∈ ℝ^{n×n}\nL = −D/2 ‖Wᵀx‖² + xᵀ(Wᵀ)⁻¹x\ngrad L wrt x\n");
    expect_in(t, "L &= -\\frac{D}{2}\\lVert W^\\top x\\rVert^{2} + x^\\top(W^\\top)^{-1}x");
    free(t);
}

/* parentheses the meaning needs, and the user's own */
static void test_parentheses(void **state)
{
    char *t = problem("a ∈ ℝ\nb ∈ ℝ\nc ∈ ℝ\nx ∈ ℝ^n\ny ∈ ℝ^n\n"
                      "u = a − (b − c) + (a)\nv = −(a + b)c\nw = (x ⊙ y)ᵀ(x − y)\n"
                      "L = u + v + w\ngrad L wrt a, x\n");
    (void)state;
    expect_in(t, "u &= a - (b - c) + (a)\\\\");
    expect_in(t, "v &= -(a + b)c\\\\");
    expect_in(t, "w &= (x \\odot y)^\\top(x - y)\\\\");
    free(t);
}

/* each stability rewrite of a definition, shown with its identity */
static void test_each_rewrite(void **state)
{
    static const struct {
        const char *def, *identity;
    } cases[] = {
        {"L = sum(log(𝟙 + exp(z)))", "$\\log(\\mathbf{1} + \\exp(z)) = \\operatorname{softplus}(z)$"},
        {"L = sum(log(𝟙 + z ⊙ z))", "= \\operatorname{log1p}("},
        {"L = log(sum(exp(z)))", "$\\log \\mathbf{1}^\\top\\exp(z) = \\operatorname{logsumexp}(z)$"},
        {"L = sum(exp(z) − 𝟙)", "$\\exp(z) - \\mathbf{1} = \\operatorname{expm1}(z)$"},
        {"s = exp(z)/sum(exp(z))\nL = sum(s ⊙ s)",
         "$\\frac{\\exp(z)}{\\mathbf{1}^\\top\\exp(z)} = \\operatorname{softmax}(z)$"},
    };
    size_t i;
    char src[256];
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t;
        snprintf(src, sizeof src, "z ∈ ℝ^n\n%s\ngrad L wrt z\n", cases[i].def);
        t = problem(src);
        expect_in(t, "\\intertext{\\sloppy For numerical stability, with ");
        expect_in(t, cases[i].identity);
        free(t);
    }
    /* logsoftmax is printed log softmax: no step that changes nothing */
    {
        char *t = problem("z ∈ ℝ^n\nL = sum(log(softmax(z)))\ngrad L wrt z\n");
        expect_in(t, "L &= \\operatorname{sum}(\\log(\\operatorname{softmax}(z)))");
        expect_not_in(t, "\\intertext");
        free(t);
    }
}

/* σ(−x) = 𝟙 − σ(x): its own reason */
static void test_sigmoid_sharing(void **state)
{
    char *t = problem("z ∈ ℝ^n\nL = sum(σ(−z))\ngrad L wrt z\n");
    (void)state;
    expect_in(t, "L &= \\operatorname{sum}(\\sigma(-z))\\\\");
    expect_in(t, "\\intertext{\\sloppy So that $\\sigma$ is computed once, with $\\sigma(-z) = "
                 "\\mathbf{1} - \\sigma(z)$, $L$ is evaluated as below. It is the same function: "
                 "the derivation differentiates $L$ as written.}");
    free(t);
}

/* a recurrence's first value and step, as written */
static void test_recurrence_quoted(void **state)
{
    char *t = problem("x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
                      "h[0] = 2h0\nh[t] = ½ tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                      "L = Σ_{t=1}^{T} ‖h[t]‖²\ngrad L wrt W\n");
    (void)state;
    expect_in(t, "h_0 &= 2h_0\\\\");
    expect_in(t, "h_t &= \\tfrac{1}{2}\\tanh(W h_{t - 1} + U x_{t}) \\tag*{$t = 1, \\dots, T$}");
    expect_in(t, "L &= \\sum_{t=1}^{T} \\lVert h_{t}\\rVert^{2}");
    expect_not_in(t, "\\intertext");
    free(t);
    /* a rewrite in a recurrence's step is shown below the step */
    t = problem("x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nh[0] = h0\n"
                "h[t] = log(𝟙 + exp(W h[t−1] + U x[t])) for t = 1..T\nL = sum(h[T])\n"
                "grad L wrt W\n");
    expect_in(t, "h_t &= \\log(\\mathbf{1} + \\exp(W h_{t - 1} + U x_{t}))");
    expect_in(t, "\\intertext{\\sloppy For numerical stability, with $\\log(\\mathbf{1} + \\exp(Wh_{t-1} + "
                 "Ux_t)) = \\operatorname{softplus}(Wh_{t-1} + Ux_t)$, $h_t$ is evaluated as:}\n"
                 "  h_t &= \\operatorname{softplus}(Wh_{t-1} + Ux_t)\\\\");
    free(t);
}

/* ---- the symbolic side ------------------------------------------------------------ */

/* the constructors record their rewrites only while recording is on */
static void test_rewrites_recorded(void **state)
{
    sg_ctx *ctx = sg_ctx_new();
    int x = sg_sym_add(ctx, "x", sg_shape_make(sg_dim_named(ctx, "n"), SG_DIM_ONE), 0,
                       (sg_span){0, 0});
    sg_expr *vx = sg_var(ctx, x), *e;
    const sg_rewrite *r;
    (void)state;
    e = sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SIGMOID, vx));
    assert_int_equal(e->op, SG_OP_MUL); /* −softplus(−x) */
    assert_int_equal(sg_rewrite_count(ctx), 0);
    sg_ctx_record_rewrites(ctx, 1);
    /* log σ(−x): σ(−x) = 𝟙 − σ(x) first, then log(𝟙 − σ(x)) = −softplus(x) */
    e = sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SIGMOID, sg_neg(ctx, vx)));
    assert_int_equal(sg_rewrite_count(ctx), 2);
    r = sg_rewrite_get(ctx, 0);
    assert_int_equal(r->kind, SG_RW_SIGMOID_NEG);
    assert_ptr_equal(r->a, vx);
    r = sg_rewrite_get(ctx, 1);
    assert_int_equal(r->kind, SG_RW_LOG_1M_SIGMOID);
    assert_ptr_equal(r->a, vx);
    assert_ptr_equal(r->out, e);
    sg_ctx_record_rewrites(ctx, 0);
    {
        int before = sg_rewrite_count(ctx);
        (void)sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SIGMOID, sg_unary(ctx, SG_OP_SIN, vx)));
        assert_int_equal(sg_rewrite_count(ctx), before);
    }
    sg_ctx_free(ctx);
}

/* a product a definition names is one factor of the products built on it:
   KᵀQ keeps Q = W_q X, though (KᵀW_q)X is as cheap */
static void test_named_product_kept(void **state)
{
    sg_ctx *ctx = sg_ctx_new();
    sg_dim n = sg_dim_named(ctx, "n"), d = sg_dim_named(ctx, "d"), k = sg_dim_named(ctx, "k");
    sg_expr *W = sg_var(ctx, sg_sym_add(ctx, "W", sg_shape_make(k, d), 0, (sg_span){0, 0}));
    sg_expr *X = sg_var(ctx, sg_sym_add(ctx, "X", sg_shape_make(d, n), 0, (sg_span){0, 0}));
    sg_expr *K = sg_var(ctx, sg_sym_add(ctx, "K", sg_shape_make(k, n), 0, (sg_span){0, 0}));
    sg_expr *Q = sg_mul(ctx, W, X), *S;
    (void)state;
    S = sg_mul(ctx, sg_transpose(ctx, K), Q);
    assert_ptr_not_equal(S->kid[1], Q); /* unnamed: re-associated, (KᵀW)X */
    Q->name = "Q";
    S = sg_mul(ctx, sg_transpose(ctx, K), Q);
    assert_ptr_equal(S->kid[1], Q);
    sg_ctx_free(ctx);
}

/* but not when multiplying through it is cheaper: M = AB, then Mx is
   A(Bx) (two matrix-vector products; M itself is never computed) */
static void test_named_product_through(void **state)
{
    sg_ctx *ctx = sg_ctx_new();
    sg_dim n = sg_dim_named(ctx, "n");
    sg_expr *A = sg_var(ctx, sg_sym_add(ctx, "A", sg_shape_make(n, n), 0, (sg_span){0, 0}));
    sg_expr *B = sg_var(ctx, sg_sym_add(ctx, "B", sg_shape_make(n, n), 0, (sg_span){0, 0}));
    sg_expr *x = sg_var(ctx, sg_sym_add(ctx, "x", sg_shape_make(n, SG_DIM_ONE), 0,
                                        (sg_span){0, 0}));
    sg_expr *M = sg_mul(ctx, A, B), *y;
    (void)state;
    M->name = "M";
    y = sg_mul(ctx, M, x);
    assert_ptr_equal(y->kid[0], A);
    assert_ptr_equal(y->kid[1], sg_mul(ctx, B, x));
    sg_ctx_free(ctx);
}

/* every printer names it: --formulas too */
static void test_formulas_name_q(void **state)
{
    parsed q;
    size_t len;
    char *f;
    (void)state;
    parse(&q, attention);
    f = sg_fmt_problem(q.p, 0, &len);
    expect_in(f, "KᵀQ");
    expect_not_in(f, "KᵀW_q");
    free(f);
    unparse(&q);
}

/* the quoter alone: without source text numbers come from their values,
   and without known() every name is one value */
static void test_quote_alone(void **state)
{
    parsed q;
    sg_quote_opts o;
    sg_buf b;
    (void)state;
    parse(&q, "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nr = ½ WᵀWx\nL = sum(r)\ngrad L wrt x\n");
    assert_non_null(q.p->defs[0].ast);
    memset(&o, 0, sizeof o);
    o.alphabet = SG_FMT_LATEX;
    sg_buf_init(&b);
    sg_quote(&b, q.p->defs[0].ast, &o);
    assert_string_equal(sg_buf_str(&b), "0.5W^\\top\\mathit{Wx}");
    sg_buf_free(&b);
    unparse(&q);
}

/* a declared symbol or dimension, I or 𝟙 (what --steps knows before the
   first definition) */
static int declared(void *arg, const char *name, size_t n)
{
    const sg_problem *p = arg;
    char buf[256];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return !strcmp(buf, "I") || !strcmp(buf, "ones") || sg_sym_find(p->ctx, buf) >= 0 ||
           sg_dim_find(p->ctx, buf) >= 0;
}

/* the problem of --steps: each definition quoted in the text alphabets,
   as --formulas spells them; the definitions above it known */
static void quote_text(const char *decls, const char *def, const char *unicode,
                       const char *ascii)
{
    char text[1024];
    parsed q;
    sg_quote_opts o;
    sg_buf b;
    int a;
    snprintf(text, sizeof text, "%s\nL = %s\noutput L\n", decls, def);
    parse(&q, text);
    for (a = 0; a < 2; a++) {
        const sg_def *d = &q.p->defs[q.p->ndefs - 1];
        assert_non_null(d->ast);
        memset(&o, 0, sizeof o);
        o.text = q.p->text;
        o.known = declared;
        o.arg = q.p;
        o.alphabet = a ? SG_FMT_ASCII : SG_FMT_UNICODE;
        sg_buf_init(&b);
        sg_quote(&b, d->ast, &o);
        if (strcmp(sg_buf_str(&b), a ? ascii : unicode) != 0) {
            fprintf(stderr, "quote of %s: got \"%s\", want \"%s\"\n", def, sg_buf_str(&b),
                    a ? ascii : unicode);
            fail();
        }
        sg_buf_free(&b);
    }
    unparse(&q);
}

static void test_quote_text(void **state)
{
    (void)state;
    quote_text("W ∈ ℝ^{m×n}\nx ∈ ℝ^n", "½‖WᵀWx − x‖²", "½‖WᵀWx − x‖²",
               "1/2 * norm(W' * W * x - x)^2");
    quote_text("W : matrix(m, n)\nx : vector(n)", "0.5 * norm(W' * W * x - x)^2",
               "0.5‖WᵀWx − x‖²", "0.5 * norm(W' * W * x - x)^2");
    quote_text("K ∈ 𝕊₊₊^n\nY ∈ ℝ^{n×d}", "−d/2 log|K| − ½ tr(K⁻¹YYᵀ)",
               "−d/2 log|K| − ½ tr(K⁻¹YYᵀ)", "-d/2 * log(|K|) - 1/2 * tr(inv(K) * Y * Y')");
    quote_text("z ∈ ℝ\ny ∈ ℝ", "−(y log(σ(z)) + (1 − y) log(1 − σ(z)))",
               "−(y log(σ(z)) + (1 − y) log(1 − σ(z)))",
               "-(y * log(sigmoid(z)) + (1 - y) * log(1 - sigmoid(z)))");
    quote_text("x ∈ ℝ^n\nk ∈ ℝ", "sum(x ⊙ x ⊘ (x + 1))/sqrt(k) + x.^3ᵀx + ⟨x, x⟩",
               "sum((x ⊙ x) ⊘ (x + 1))/√k + (x.^3)ᵀx + ⟨x, x⟩",
               "sum((x .* x) ./ (x + 1))/sqrt(k) + (x.^3)' * x + dot(x, x)");
    quote_text("x ∈ ℝ^n\nalpha_long ∈ ℝ", "alpha_long sum(exp(x)) + 2 ‖x‖₁ + sum(x) 3",
               "alpha_long sum(exp(x)) + 2‖x‖₁ + sum(x) · 3",
               "alpha_long * sum(exp(x)) + 2 * norm1(x) + sum(x) * 3");
    quote_text("x ∈ ℝ^n\nA ∈ ℝ^{n×n}\nc ∈ ℝ", "xᵀA⁻¹x + xᵀ(A + A)⁻¹x + c² + c^-2 + c^(1/2)",
               "xᵀA⁻¹x + xᵀ(A + A)⁻¹x + c² + c⁻² + c^(1/2)",
               "x' * inv(A) * x + x' * inv(A + A) * x + c^2 + c^(-2) + c^(1/2)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_quoted),
        cmocka_unit_test(test_quote_text),
        cmocka_unit_test(test_attention_names_q),
        cmocka_unit_test(test_logistic_rewrite_shown),
        cmocka_unit_test(test_batch_logistic_reasons),
        cmocka_unit_test(test_layernorm_quoted),
        cmocka_unit_test(test_every_definition),
        cmocka_unit_test(test_split_names),
        cmocka_unit_test(test_numbers_and_functions),
        cmocka_unit_test(test_parentheses),
        cmocka_unit_test(test_each_rewrite),
        cmocka_unit_test(test_sigmoid_sharing),
        cmocka_unit_test(test_recurrence_quoted),
        cmocka_unit_test(test_rewrites_recorded),
        cmocka_unit_test(test_named_product_kept),
        cmocka_unit_test(test_named_product_through),
        cmocka_unit_test(test_formulas_name_q),
        cmocka_unit_test(test_quote_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
