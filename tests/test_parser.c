/*
 * test_parser.c: every construct of the grammar, precedence and
 * associativity, every statement form, spans, the example problems of the
 * acceptance suite, error recovery, and every message the parser reports.
 *
 * A tree is compared through sg_ast_dump(), folded onto one line: a node
 * with operands is (KIND operands…), a name or number is itself. A program
 * is one line per statement.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "parser/parser.h"

static char program_out[1 << 16], errors_out[1 << 14];
static sg_src *last_src;
static sg_arena *last_arena;
static sg_program *last_prog;

/* ---- the dump on one line ----------------------------------------------------- */

/* fold the dump lines from *line on (at depth `depth`) into b */
static void fold(const char **line, int depth, sg_buf *b)
{
    const char *s = *line, *end = strchr(s, '\n');
    int first = 1;
    size_t n;
    s += 2 * depth;
    n = (size_t)(end - s);
    *line = end + 1;
    /* the children are the lines indented one step more */
    while (**line && strspn(*line, " ") == (size_t)(2 * depth + 2)) {
        if (first) {
            sg_buf_putc(b, '(');
            sg_buf_putn(b, s, n);
            first = 0;
        }
        sg_buf_putc(b, ' ');
        fold(line, depth + 1, b);
    }
    if (!first) {
        sg_buf_putc(b, ')');
    } else if (strncmp(s, "NAME ", 5) == 0 || strncmp(s, "NUM ", 4) == 0) {
        const char *sp = strchr(s, ' ');
        sg_buf_putn(b, sp + 1, n - (size_t)(sp + 1 - s));
    } else {
        sg_buf_putc(b, '(');
        sg_buf_putn(b, s, n);
        sg_buf_putc(b, ')');
    }
}

static void sexpr(const sg_ast *e, sg_buf *b)
{
    static char dump[1 << 16];
    const char *line = dump;
    if (!e) {
        sg_buf_puts(b, "NULL");
        return;
    }
    sg_ast_dump(e, dump, sizeof dump);
    fold(&line, 0, b);
}

static const char *type_name(sg_type_kind k)
{
    static const char *const names[] = {"SCALAR", "VECTOR", "MATRIX", "SYMMETRIC", "SPD",
                                        "ONEHOT"};
    return names[k];
}

static void idents(sg_buf *b, const sg_ident *v, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (v[i].name)
            sg_buf_printf(b, " %s", v[i].name);
        else
            sg_buf_printf(b, " %ld", v[i].value);
    }
}

static void stmt(const sg_stmt *s, sg_buf *b)
{
    static const char *const kinds[] = {"DECL", "DIM", "DEF", "GRAD", "JACOBIAN",
                                        "HESSIAN", "OUTPUT", "PREFIX", "ANSWER"};
    sg_buf_puts(b, kinds[s->kind]);
    switch (s->kind) {
    case SG_STMT_DECL:
        idents(b, s->names, s->nnames);
        if (s->index) {
            sg_buf_putc(b, '[');
            sexpr(s->index, b);
            sg_buf_putc(b, ']');
        }
        sg_buf_printf(b, " : %s", type_name(s->type));
        idents(b, s->dims, s->ndims);
        break;
    case SG_STMT_DEF:
        sg_buf_printf(b, " %s", s->target.name);
        if (s->index) {
            sg_buf_putc(b, '[');
            sexpr(s->index, b);
            sg_buf_putc(b, ']');
        }
        sg_buf_puts(b, " = ");
        sexpr(s->expr, b);
        break;
    case SG_STMT_GRAD: case SG_STMT_JACOBIAN: case SG_STMT_HESSIAN:
        sg_buf_printf(b, " %s wrt", s->target.name);
        idents(b, s->names, s->nnames);
        break;
    case SG_STMT_PREFIX:
        sg_buf_printf(b, " %s", s->target.name);
        break;
    case SG_STMT_ANSWER:
        sg_buf_printf(b, " d%s%s/d%s%s = ", s->order == 2 ? "2" : "", s->target.name,
                      s->names[0].name, s->order == 2 ? "2" : "");
        sexpr(s->expr, b);
        break;
    default:
        idents(b, s->names, s->nnames);
        break;
    }
    if (s->range_var.name) {
        sg_buf_printf(b, " for %s = ", s->range_var.name);
        sexpr(s->range_lo, b);
        sg_buf_puts(b, " .. ");
        sexpr(s->range_hi, b);
    }
}

static void format_errors(const sg_src *src)
{
    sg_buf b;
    unsigned i;
    sg_buf_init(&b);
    for (i = 0; i < src->ndiags; i++) {
        unsigned line, col;
        sg_src_linecol(src, src->diags[i].span.begin, &line, &col);
        sg_buf_printf(&b, "%u:%u: %s\n", line, col, src->diags[i].msg);
    }
    snprintf(errors_out, sizeof errors_out, "%s", sg_buf_str(&b));
    sg_buf_free(&b);
}

/* parse text; the program stays in last_prog until the next parse */
static const char *parsen(const char *text, size_t len)
{
    const sg_stmt *s;
    sg_buf b;
    if (last_src) {
        sg_arena_free(last_arena);
        sg_src_free(last_src);
    }
    last_src = sg_src_new("t.sg", text, len);
    last_arena = sg_arena_new();
    last_prog = sg_parse(last_src, last_arena);
    sg_buf_init(&b);
    for (s = last_prog->first; s; s = s->next) {
        stmt(s, &b);
        if (s->next)
            sg_buf_putc(&b, '\n');
    }
    snprintf(program_out, sizeof program_out, "%s", sg_buf_str(&b));
    sg_buf_free(&b);
    format_errors(last_src);
    return program_out;
}

static const char *parse(const char *text)
{
    return parsen(text, strlen(text));
}

/* the expression of `L = text` */
static const char *expr(const char *text)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof buf, "L = %s", text);
    parse(buf);
    assert_string_equal(errors_out, "");
    assert_non_null(last_prog->first);
    assert_null(last_prog->first->next);
    return program_out + strlen("DEF L = ");
}

static int teardown(void **state)
{
    (void)state;
    if (last_src) {
        sg_arena_free(last_arena);
        sg_src_free(last_src);
        last_src = NULL;
    }
    return 0;
}

#define EXPR(text, want) assert_string_equal(expr(text), want)
#define PROGRAM(text, want) assert_string_equal(parse(text), want)
#define NO_ERRORS() assert_string_equal(errors_out, "")
#define ERRORS(want) assert_string_equal(errors_out, want)

/* ---- atoms ------------------------------------------------------------------ */

static void test_atoms(void **state)
{
    (void)state;
    EXPR("2", "2");
    EXPR("0.5", "0.5");
    EXPR("\xc2\xbd", "0.5");
    EXPR("x", "x");
    EXPR("W\xe2\x82\x81", "W1");
    EXPR("\xce\xb2", "beta");
    EXPR("I", "I");
    EXPR("\xf0\x9d\x9f\x99", "ones");
    EXPR("(x)", "x");
    EXPR("((x))", "x");
    EXPR("\xe2\x80\x96x\xe2\x80\x96", "(NORM x)");
    EXPR("\xe2\x80\x96x\xe2\x80\x96\xe2\x82\x81", "(NORM1 x)");
    EXPR("|x|", "(BARS x)");
    EXPR("\xe2\x9f\xa8x, y\xe2\x9f\xa9", "(INNER x y)");
    EXPR("h[t]", "(INDEX h t)");
    EXPR("h[t \xe2\x88\x92 1]", "(INDEX h (SUB t 1))");
}

static void test_calls(void **state)
{
    (void)state;
    EXPR("f(x)", "(CALL f x)");
    EXPR("dot(x, y)", "(CALL dot x y)");
    EXPR("f(a, b + c, d)", "(CALL f a (ADD b c) d)");
    EXPR("log(softmax(z))", "(CALL log (CALL softmax z))");
    EXPR("\xcf\x83(Xw)", "(CALL sigma Xw)");
    EXPR("sum(x)", "(CALL sum x)");
    EXPR("ones(n)", "(CALL ones n)");
    EXPR("eye(n)", "(CALL eye n)");
    EXPR("I(n)", "(CALL I n)");
    EXPR("norm1(x)", "(CALL norm1 x)");
    EXPR("W(x + b)", "(CALL W (ADD x b))");
    /* with a space, a product; the checker decides */
    EXPR("W (x + b)", "(JUX W (ADD x b))");
    EXPR("(W)(x)", "(JUX W x)");
}

static void test_calls_on_bars(void **state)
{
    (void)state;
    EXPR("log|K|", "(CALL log (BARS K))");
    EXPR("log |K|", "(CALL log (BARS K))");
    EXPR("f\xe2\x80\x96x\xe2\x80\x96", "(CALL f (NORM x))");
    EXPR("f\xe2\x80\x96x\xe2\x80\x96\xe2\x82\x81", "(CALL f (NORM1 x))");
    EXPR("log|K|\xc2\xb2", "(POW (CALL log (BARS K)) 2)");
    EXPR("2|x|", "(JUX 2 (BARS x))");
    EXPR("(a)|x|", "(JUX a (BARS x))");
    EXPR("x\xe1\xb5\x80|y|", "(JUX (TRANSPOSE x) (BARS y))");
}

static void test_sum_over(void **state)
{
    (void)state;
    EXPR("sum(t = 1..T, x[t])", "(SUMOVER t 1 T (INDEX x t))");
    EXPR("\xce\xa3_{t=1}^{T} x[t]", "(SUMOVER t 1 T (INDEX x t))");
    EXPR("\xce\xa3_{t=1}^T x[t]", "(SUMOVER t 1 T (INDEX x t))");
    EXPR("\xce\xa3_{t=2}^{T-1} x[t]", "(SUMOVER t 2 (SUB T 1) (INDEX x t))");
    EXPR("\xce\xa3_{t=1}^10 x[t]", "(SUMOVER t 1 10 (INDEX x t))");
    EXPR("\xe2\x88\x91_{t=1}^{T} x[t]", "(SUMOVER t 1 T (INDEX x t))");
    /* the body is a product: Σ a b + c is (Σ a b) + c */
    EXPR("\xce\xa3_{t=1}^{T} a b + c", "(ADD (SUMOVER t 1 T (JUX a b)) c)");
    EXPR("\xce\xa3_{t=1}^{T} a * b / c - d",
         "(SUB (SUMOVER t 1 T (DIV (MUL a b) c)) d)");
    EXPR("c + \xce\xa3_{t=1}^{T} a", "(ADD c (SUMOVER t 1 T a))");
    EXPR("\xc2\xbd \xce\xa3_{t=1}^{T} a", "(JUX 0.5 (SUMOVER t 1 T a))");
    EXPR("2 * \xce\xa3_{t=1}^{T} a", "(MUL 2 (SUMOVER t 1 T a))");
    EXPR("\xe2\x88\x92\xce\xa3_{t=1}^{T} a", "(NEG (SUMOVER t 1 T a))");
    EXPR("\xce\xa3_{t=1}^{T} \xce\xa3_{s=1}^{t} x b",
         "(SUMOVER t 1 T (SUMOVER s 1 t (JUX x b)))");
    EXPR("\xce\xa3_{t=1}^{T} a \xce\xa3_{s=1}^{t} b",
         "(SUMOVER t 1 T (JUX a (SUMOVER s 1 t b)))");
    EXPR("(\xce\xa3_{t=1}^{T} a)\xc2\xb2", "(POW (SUMOVER t 1 T a) 2)");
}

/* ---- postfix and powers ------------------------------------------------------- */

static void test_postfix(void **state)
{
    (void)state;
    EXPR("x\xe1\xb5\x80", "(TRANSPOSE x)");
    EXPR("x'", "(TRANSPOSE x)");
    EXPR("x.T", "(TRANSPOSE x)");
    EXPR("x^T", "(TRANSPOSE x)");
    EXPR("x\xc2\xb2", "(POW x 2)");
    EXPR("x\xc2\xb3", "(POW x 3)");
    EXPR("A\xe2\x81\xbb\xc2\xb9", "(INVERSE A)");
    EXPR("A^-1", "(INVERSE A)");
    EXPR("A\xe1\xb5\x80\xe2\x81\xbb\xc2\xb9", "(INVERSE (TRANSPOSE A))");
    EXPR("(A + B)'", "(TRANSPOSE (ADD A B))");
    EXPR("f(x)\xc2\xb2", "(POW (CALL f x) 2)");
    EXPR("h[t]\xe1\xb5\x80", "(TRANSPOSE (INDEX h t))");
    EXPR("x''", "(TRANSPOSE (TRANSPOSE x))");
}

static void test_powers(void **state)
{
    (void)state;
    EXPR("x^2", "(POW x 2)");
    EXPR("x^n", "(POW x n)");
    EXPR("x^-2", "(POW x (NEG 2))");
    EXPR("x^(a + b)", "(POW x (ADD a b))");
    EXPR("x^2^3", "(POW (POW x 2) 3)");
    EXPR("x^2 y", "(JUX (POW x 2) y)");
    EXPR("x^f(y)", "(POW x (CALL f y))");
    EXPR("x^|y|", "(POW x (BARS y))");
    EXPR("x.^2", "(EPOW x 2)");
    EXPR("x.^-1", "(EPOW x (NEG 1))");
    EXPR("x.^2 y", "(JUX (EPOW x 2) y)");
    EXPR("a * x.^2", "(MUL a (EPOW x 2))");
    EXPR("a \xe2\x8a\x99 x.^p", "(HADAMARD a (EPOW x p))");
    EXPR("\xe2\x80\x96x\xe2\x80\x96\xc2\xb2", "(POW (NORM x) 2)");
    EXPR("norm(r)^2", "(POW (CALL norm r) 2)");
}

/* ---- unary, products, sums ---------------------------------------------------- */

static void test_unary(void **state)
{
    (void)state;
    EXPR("-x", "(NEG x)");
    EXPR("\xe2\x88\x92x", "(NEG x)");
    EXPR("+x", "(POS x)");
    EXPR("--x", "(NEG (NEG x))");
    EXPR("-x\xc2\xb2", "(NEG (POW x 2))");
    EXPR("-x\xe1\xb5\x80", "(NEG (TRANSPOSE x))");
    EXPR("a * -b", "(MUL a (NEG b))");
    EXPR("a / -b", "(DIV a (NEG b))");
}

static void test_products(void **state)
{
    (void)state;
    EXPR("2x", "(JUX 2 x)");
    EXPR("W x", "(JUX W x)");
    EXPR("Wx", "Wx");
    EXPR("a b c", "(JUX (JUX a b) c)");
    EXPR("a * b", "(MUL a b)");
    EXPR("a \xc2\xb7 b", "(MUL a b)");
    EXPR("a \xe2\x8b\x85 b", "(MUL a b)");
    EXPR("a / b", "(DIV a b)");
    EXPR("a \xe2\x8a\x99 b", "(HADAMARD a b)");
    EXPR("a .* b", "(HADAMARD a b)");
    EXPR("a \xe2\x8a\x98 b", "(HDIV a b)");
    EXPR("a ./ b", "(HDIV a b)");
    /* one level, left to right */
    EXPR("a * b / c", "(DIV (MUL a b) c)");
    EXPR("a / b c", "(JUX (DIV a b) c)");
    EXPR("a b / c", "(DIV (JUX a b) c)");
    EXPR("a \xe2\x8a\x99 b \xc2\xb7 c", "(MUL (HADAMARD a b) c)");
    EXPR("W\xe1\xb5\x80W x", "(JUX (JUX (TRANSPOSE W) W) x)");
    EXPR("b\xf0\x9d\x9f\x99\xe1\xb5\x80", "(JUX b (TRANSPOSE ones))");
    EXPR("\xf0\x9d\x9f\x99\xe1\xb5\x80x", "(JUX (TRANSPOSE ones) x)");
    EXPR("(a + b)(c + d)", "(JUX (ADD a b) (ADD c d))");
    EXPR("2(x)", "(JUX 2 x)");
}

static void test_juxtaposition_takes_no_sign(void **state)
{
    (void)state;
    EXPR("a -b", "(SUB a b)");
    EXPR("a +b", "(ADD a b)");
    /* −yᵀ log(s) is (−yᵀ) log(s) */
    EXPR("\xe2\x88\x92y\xe1\xb5\x80 log(s)", "(JUX (NEG (TRANSPOSE y)) (CALL log s))");
    /* −D/2 log|K| is ((−D)/2) log|K| */
    EXPR("\xe2\x88\x92" "D/2 log|K|", "(JUX (DIV (NEG D) 2) (CALL log (BARS K)))");
}

static void test_sums(void **state)
{
    (void)state;
    EXPR("a + b", "(ADD a b)");
    EXPR("a - b", "(SUB a b)");
    EXPR("a \xe2\x88\x92 b", "(SUB a b)");
    EXPR("a - b + c", "(ADD (SUB a b) c)");
    EXPR("a + b c", "(ADD a (JUX b c))");
    EXPR("a * b + c / d", "(ADD (MUL a b) (DIV c d))");
    EXPR("-a + b", "(ADD (NEG a) b)");
    EXPR("a + -b", "(ADD a (NEG b))");
    EXPR("(a + b) c", "(JUX (ADD a b) c)");
    EXPR("\xe2\x80\x96" "a + b\xe2\x80\x96 c", "(JUX (NORM (ADD a b)) c)");
}

static void test_multiline_expressions(void **state)
{
    (void)state;
    EXPR("a +\n  b", "(ADD a b)");
    EXPR("(a\n + b)", "(ADD a b)");
    EXPR("f(a,\n  b)", "(CALL f a b)");
    EXPR("a *  # why\n  b", "(MUL a b)");
}

/* ---- statements --------------------------------------------------------------- */

static void test_declarations(void **state)
{
    (void)state;
    PROGRAM("\xce\xb2 \xe2\x88\x88 \xe2\x84\x9d\n"
            "x \xe2\x88\x88 \xe2\x84\x9d^n\n"
            "W \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n}\n"
            "V \xe2\x88\x88 \xe2\x84\x9d^{m x n}\n"
            "S \xe2\x88\x88 \xf0\x9d\x95\x8a^n\n"
            "K \xe2\x88\x88 \xf0\x9d\x95\x8a\xe2\x82\x8a\xe2\x82\x8a^n\n"
            "y \xe2\x88\x88 \xce\x94^C\n",
            "DECL beta : SCALAR\n"
            "DECL x : VECTOR n\n"
            "DECL W : MATRIX m n\n"
            "DECL V : MATRIX m n\n"
            "DECL S : SYMMETRIC n\n"
            "DECL K : SPD n\n"
            "DECL y : ONEHOT C");
    NO_ERRORS();
    PROGRAM("beta : scalar\n"
            "x : vector(n)\n"
            "W : matrix(m, n)\n"
            "S : symmetric(n)\n"
            "K : spd(n)\n"
            "y : onehot(C)\n"
            "V in R^(m x n)\n"
            "z in R\n"
            "u : R^n\n",
            "DECL beta : SCALAR\n"
            "DECL x : VECTOR n\n"
            "DECL W : MATRIX m n\n"
            "DECL S : SYMMETRIC n\n"
            "DECL K : SPD n\n"
            "DECL y : ONEHOT C\n"
            "DECL V : MATRIX m n\n"
            "DECL z : SCALAR\n"
            "DECL u : VECTOR n");
    NO_ERRORS();
}

static void test_declaration_variants(void **state)
{
    (void)state;
    PROGRAM("x, y, z \xe2\x88\x88 \xe2\x84\x9d^n", "DECL x y z : VECTOR n");
    PROGRAM("W \xe2\x88\x88 \xe2\x84\x9d^{3\xc3\x97" "4}", "DECL W : MATRIX 3 4");
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^10", "DECL x : VECTOR 10");
    /* a batch of simplex columns: Δ^{C×N}, Δ^(C×N), onehot(C, N) */
    PROGRAM("Y ∈ Δ^{C×N}", "DECL Y : ONEHOT C N");
    PROGRAM("Y ∈ Δ^(C×3)", "DECL Y : ONEHOT C 3");
    PROGRAM("Y : onehot(C, N)", "DECL Y : ONEHOT C N");
    PROGRAM("y ∈ Δ^{C}", "DECL y : ONEHOT C");
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^{n}", "DECL x : VECTOR n");
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^(n)", "DECL x : VECTOR n");
    PROGRAM("W \xe2\x88\x88 \xe2\x84\x9d^(m\xc3\x97n)", "DECL W : MATRIX m n");
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^T", "DECL x : VECTOR T");
    PROGRAM("S \xe2\x88\x88 \xf0\x9d\x95\x8a^{n}", "DECL S : SYMMETRIC n");
    PROGRAM("x : vector(2147483647)", "DECL x : VECTOR 2147483647");
    PROGRAM("dim n, m", "DIM n m");
    PROGRAM("dim D", "DIM D");
    NO_ERRORS();
}

static void test_sequence_declarations(void **state)
{
    (void)state;
    PROGRAM("x[t] \xe2\x88\x88 \xe2\x84\x9d^k for t = 1..T", "DECL x[t] : VECTOR k for t = 1 .. T");
    PROGRAM("x[t] : matrix(m, n) for t = 0..T-1",
            "DECL x[t] : MATRIX m n for t = 0 .. (SUB T 1)");
    PROGRAM("x[t] \xe2\x88\x88 \xe2\x84\x9d", "DECL x[t] : SCALAR");
    NO_ERRORS();
}

static void test_definitions(void **state)
{
    (void)state;
    PROGRAM("r = W\xe1\xb5\x80W x \xe2\x88\x92 x", "DEF r = (SUB (JUX (JUX (TRANSPOSE W) W) x) x)");
    PROGRAM("h[0] = h0", "DEF h[0] = h0");
    PROGRAM("h[t] = tanh(W h[t\xe2\x88\x92" "1]) for t = 1..T",
            "DEF h[t] = (CALL tanh (JUX W (INDEX h (SUB t 1)))) for t = 1 .. T");
    PROGRAM("a = 1; b = 2\nc = 3", "DEF a = 1\nDEF b = 2\nDEF c = 3");
    NO_ERRORS();
}

static void test_requests(void **state)
{
    (void)state;
    PROGRAM("grad L wrt W, x\n"
            "jacobian s wrt z\n"
            "hessian f wrt x\n"
            "hessian f wrt x, y\n"
            "output r, s\n"
            "output L\n"
            "prefix autoencoder\n",
            "GRAD L wrt W x\n"
            "JACOBIAN s wrt z\n"
            "HESSIAN f wrt x\n"
            "HESSIAN f wrt x y\n"
            "OUTPUT r s\n"
            "OUTPUT L\n"
            "PREFIX autoencoder");
    NO_ERRORS();
    PROGRAM("grad L\xe2\x82\x81 wrt W\xe2\x82\x81, \xce\xb2", "GRAD L1 wrt W1 beta");
    NO_ERRORS();
}

static void test_answers(void **state)
{
    (void)state;
    PROGRAM("answer \xe2\x88\x82L/\xe2\x88\x82W = W\n"
            "answer dL/dW\xe2\x82\x81 = 2\n"
            "answer \xe2\x88\x82\xc2\xb2L/\xe2\x88\x82w\xc2\xb2 = I\n"
            "answer d2L/dw2 = I\n",
            "ANSWER dL/dW = W\n"
            "ANSWER dL/dW1 = 2\n"
            "ANSWER d2L/dw2 = I\n"
            "ANSWER d2L/dw2 = I");
    NO_ERRORS();
}

static void test_keywords_as_names(void **state)
{
    (void)state;
    PROGRAM("grad = 2 output\noutput \xe2\x88\x88 \xe2\x84\x9d\nprefix, dim : scalar\n"
            "grad output wrt grad",
            "DEF grad = (JUX 2 output)\nDECL output : SCALAR\nDECL prefix dim : SCALAR\n"
            "GRAD output wrt grad");
    NO_ERRORS();
}

static void test_empty_programs(void **state)
{
    (void)state;
    PROGRAM("", "");
    PROGRAM("\n\n", "");
    PROGRAM("# nothing but a comment", "");
    PROGRAM("# one\n;;\n  # two\n", "");
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d", "DECL x : SCALAR"); /* no newline at the end */
    NO_ERRORS();
    parse("");
    assert_null(last_prog->first);
}

/* ---- the problems of the acceptance suite ------------------------------------- */

static void test_autoencoder(void **state)
{
    (void)state;
    PROGRAM("# Linear autoencoder reconstruction loss\n"
            "prefix autoencoder\n"
            "W \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n}\n"
            "x \xe2\x88\x88 \xe2\x84\x9d^n\n"
            "L = \xc2\xbd\xe2\x80\x96W\xe1\xb5\x80Wx \xe2\x88\x92 x\xe2\x80\x96\xc2\xb2\n"
            "grad L wrt W, x\n",
            "PREFIX autoencoder\n"
            "DECL W : MATRIX m n\n"
            "DECL x : VECTOR n\n"
            "DEF L = (JUX 0.5 (POW (NORM (SUB (JUX (TRANSPOSE W) Wx) x)) 2))\n"
            "GRAD L wrt W x");
    NO_ERRORS();
}

static void test_autoencoder_ascii(void **state)
{
    (void)state;
    PROGRAM("# The same loss, spelled in ASCII\n"
            "prefix ae\n"
            "W : matrix(m, n)\n"
            "x : vector(n)\n"
            "r = W' * W * x - x\n"
            "L = 0.5 * norm(r)^2\n"
            "grad L wrt W\n",
            "PREFIX ae\n"
            "DECL W : MATRIX m n\n"
            "DECL x : VECTOR n\n"
            "DEF r = (SUB (MUL (MUL (TRANSPOSE W) W) x) x)\n"
            "DEF L = (MUL 0.5 (POW (CALL norm r) 2))\n"
            "GRAD L wrt W");
    NO_ERRORS();
}

static void test_gp_loglik(void **state)
{
    (void)state;
    PROGRAM("prefix gp\n"
            "X \xe2\x88\x88 \xe2\x84\x9d^{N\xc3\x97Q}\n"
            "Y \xe2\x88\x88 \xe2\x84\x9d^{N\xc3\x97" "D}\n"
            "\xce\xb2 \xe2\x88\x88 \xe2\x84\x9d\n"
            "K = XX\xe1\xb5\x80 + \xce\xb2I\n"
            "L = \xe2\x88\x92" "D/2 log|K| \xe2\x88\x92 \xc2\xbd tr(K\xe2\x81\xbb\xc2\xb9YY\xe1\xb5\x80)\n"
            "grad L wrt X, \xce\xb2\n",
            "PREFIX gp\n"
            "DECL X : MATRIX N Q\n"
            "DECL Y : MATRIX N D\n"
            "DECL beta : SCALAR\n"
            "DEF K = (ADD (TRANSPOSE XX) betaI)\n"
            "DEF L = (SUB (JUX (DIV (NEG D) 2) (CALL log (BARS K))) "
            "(JUX 0.5 (CALL tr (JUX (INVERSE K) (TRANSPOSE YY)))))\n"
            "GRAD L wrt X beta");
    NO_ERRORS();
}

static void test_least_squares(void **state)
{
    (void)state;
    PROGRAM("prefix lsq\n"
            "A \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n}\n"
            "b \xe2\x88\x88 \xe2\x84\x9d^m\n"
            "x \xe2\x88\x88 \xe2\x84\x9d^n\n"
            "f = \xe2\x80\x96" "Ax \xe2\x88\x92 b\xe2\x80\x96\xc2\xb2\n"
            "grad f wrt x\n"
            "hessian f wrt x\n",
            "PREFIX lsq\n"
            "DECL A : MATRIX m n\n"
            "DECL b : VECTOR m\n"
            "DECL x : VECTOR n\n"
            "DEF f = (POW (NORM (SUB Ax b)) 2)\n"
            "GRAD f wrt x\n"
            "HESSIAN f wrt x");
    NO_ERRORS();
}

static void test_logreg(void **state)
{
    (void)state;
    PROGRAM("prefix logreg\n"
            "X \xe2\x88\x88 \xe2\x84\x9d^{N\xc3\x97" "D}\n"
            "y \xe2\x88\x88 \xe2\x84\x9d^N\n"
            "w \xe2\x88\x88 \xe2\x84\x9d^D\n"
            "\xce\xbb \xe2\x88\x88 \xe2\x84\x9d\n"
            "p = \xcf\x83(Xw)\n"
            "L = \xe2\x88\x92(y\xe1\xb5\x80 log(p) + (\xf0\x9d\x9f\x99 \xe2\x88\x92 y)\xe1\xb5\x80 "
            "log(\xf0\x9d\x9f\x99 \xe2\x88\x92 p)) / N + \xce\xbb/2 \xe2\x80\x96w\xe2\x80\x96\xc2\xb2\n"
            "grad L wrt w\n"
            "hessian L wrt w\n",
            "PREFIX logreg\n"
            "DECL X : MATRIX N D\n"
            "DECL y : VECTOR N\n"
            "DECL w : VECTOR D\n"
            "DECL lambda : SCALAR\n"
            "DEF p = (CALL sigma Xw)\n"
            "DEF L = (ADD (DIV (NEG (ADD (JUX (TRANSPOSE y) (CALL log p)) "
            "(JUX (TRANSPOSE (SUB ones y)) (CALL log (SUB ones p))))) N) "
            "(JUX (DIV lambda 2) (POW (NORM w) 2)))\n"
            "GRAD L wrt w\n"
            "HESSIAN L wrt w");
    NO_ERRORS();
}

static void test_mlp_swish(void **state)
{
    (void)state;
    PROGRAM("prefix mlp\n"
            "x \xe2\x88\x88 \xe2\x84\x9d^D\n"
            "W\xe2\x82\x81 \xe2\x88\x88 \xe2\x84\x9d^{H\xc3\x97" "D}\n"
            "b\xe2\x82\x81 \xe2\x88\x88 \xe2\x84\x9d^H\n"
            "W\xe2\x82\x82 \xe2\x88\x88 \xe2\x84\x9d^{C\xc3\x97H}\n"
            "b\xe2\x82\x82 \xe2\x88\x88 \xe2\x84\x9d^C\n"
            "y \xe2\x88\x88 \xce\x94^C\n"
            "z\xe2\x82\x81 = W\xe2\x82\x81x + b\xe2\x82\x81\n"
            "h\xe2\x82\x81 = swish(z\xe2\x82\x81)\n"
            "z\xe2\x82\x82 = W\xe2\x82\x82h\xe2\x82\x81 + b\xe2\x82\x82\n"
            "L = \xe2\x88\x92y\xe1\xb5\x80 log(softmax(z\xe2\x82\x82))\n"
            "grad L wrt W\xe2\x82\x81, b\xe2\x82\x81, W\xe2\x82\x82, b\xe2\x82\x82\n",
            "PREFIX mlp\n"
            "DECL x : VECTOR D\n"
            "DECL W1 : MATRIX H D\n"
            "DECL b1 : VECTOR H\n"
            "DECL W2 : MATRIX C H\n"
            "DECL b2 : VECTOR C\n"
            "DECL y : ONEHOT C\n"
            "DEF z1 = (ADD W1x b1)\n"
            "DEF h1 = (CALL swish z1)\n"
            "DEF z2 = (ADD W2h1 b2)\n"
            "DEF L = (JUX (NEG (TRANSPOSE y)) (CALL log (CALL softmax z2)))\n"
            "GRAD L wrt W1 b1 W2 b2");
    NO_ERRORS();
}

static void test_rnn_bptt(void **state)
{
    (void)state;
    PROGRAM("# Vanilla RNN over T steps, squared error at every step\n"
            "prefix rnn\n"
            "x[t] \xe2\x88\x88 \xe2\x84\x9d^k for t = 1..T\n"
            "y[t] \xe2\x88\x88 \xe2\x84\x9d^p for t = 1..T\n"
            "h0 \xe2\x88\x88 \xe2\x84\x9d^n\n"
            "W_hh \xe2\x88\x88 \xe2\x84\x9d^{n\xc3\x97n}\n"
            "W_xh \xe2\x88\x88 \xe2\x84\x9d^{n\xc3\x97k}\n"
            "W_y \xe2\x88\x88 \xe2\x84\x9d^{p\xc3\x97n}\n"
            "h[0] = h0\n"
            "h[t] = tanh(W_hh h[t\xe2\x88\x92" "1] + W_xh x[t]) for t = 1..T\n"
            "L = \xce\xa3_{t=1}^{T} \xc2\xbd\xe2\x80\x96W_y h[t] \xe2\x88\x92 y[t]\xe2\x80\x96\xc2\xb2\n"
            "grad L wrt W_hh, W_xh, W_y, h0\n",
            "PREFIX rnn\n"
            "DECL x[t] : VECTOR k for t = 1 .. T\n"
            "DECL y[t] : VECTOR p for t = 1 .. T\n"
            "DECL h0 : VECTOR n\n"
            "DECL W_hh : MATRIX n n\n"
            "DECL W_xh : MATRIX n k\n"
            "DECL W_y : MATRIX p n\n"
            "DEF h[0] = h0\n"
            "DEF h[t] = (CALL tanh (ADD (JUX W_hh (INDEX h (SUB t 1))) (JUX W_xh (INDEX x t)))) "
            "for t = 1 .. T\n"
            "DEF L = (SUMOVER t 1 T (JUX 0.5 (POW (NORM (SUB (JUX W_y (INDEX h t)) "
            "(INDEX y t))) 2)))\n"
            "GRAD L wrt W_hh W_xh W_y h0");
    NO_ERRORS();
}

static void test_softmax_jacobian(void **state)
{
    (void)state;
    PROGRAM("prefix smax\nz \xe2\x88\x88 \xe2\x84\x9d^n\ns = softmax(z)\njacobian s wrt z\n",
            "PREFIX smax\nDECL z : VECTOR n\nDEF s = (CALL softmax z)\nJACOBIAN s wrt z");
    NO_ERRORS();
}

static void test_acceptance_errors(void **state)
{
    (void)state;
    /* err_bad_utf8: the bytes are reported and skipped */
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xff\xfe x\nS = x\n",
            "DECL x : VECTOR n\nDEF L = x\nDEF S = x");
    ERRORS("2:5: invalid UTF-8 byte 0xFF\n");
    /* err_unclosed_norm: one error, at the norm that does not close */
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xc2\xbd\xe2\x80\x96x\xe2\x80\x96\xc2\xb2 + "
            "\xe2\x80\x96x\ngrad L wrt x\n",
            "DECL x : VECTOR n\nDEF L = (ADD (JUX 0.5 (POW (NORM x) 2)) (NORM x))\n"
            "GRAD L wrt x");
    ERRORS("2:13: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
    /* the others parse: their errors are the checker's */
    PROGRAM("A \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n}\nx \xe2\x88\x88 \xe2\x84\x9d^n\nv = Ax\n"
            "grad v wrt x\n",
            "DECL A : MATRIX m n\nDECL x : VECTOR n\nDEF v = Ax\nGRAD v wrt x");
    NO_ERRORS();
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xe2\x80\x96x \xe2\x88\x92 z\xe2\x80\x96\xc2\xb2\n",
            "DECL x : VECTOR n\nDEF L = (POW (NORM (SUB x z)) 2)");
    NO_ERRORS();
}

/* ---- spans -------------------------------------------------------------------- */

static void assert_span(sg_span s, unsigned begin, unsigned end)
{
    assert_int_equal(s.begin, begin);
    assert_int_equal(s.end, end);
}

static void test_expression_spans(void **state)
{
    const sg_ast *e;
    (void)state;
    /*        0123456789012345678 */
    parse("L = a + f(b) * (c)");
    e = last_prog->first->expr;
    assert_span(e->span, 4, 18);        /* the whole sum */
    assert_span(e->a->span, 4, 5);      /* a */
    assert_span(e->b->span, 8, 18);     /* f(b) * (c), with the parentheses */
    assert_span(e->b->a->span, 8, 12);  /* f(b) */
    assert_span(e->b->a->name_span, 8, 9);
    assert_span(e->b->b->span, 15, 18); /* (c) */
    assert_span(e->b->b->name_span, 16, 17);

    /* L = −‖x‖²: ‖ is 3 bytes, ² 2 */
    parse("L = \xe2\x88\x92\xe2\x80\x96x\xe2\x80\x96\xc2\xb2");
    e = last_prog->first->expr;
    assert_span(e->span, 4, 16);       /* −‖x‖² */
    assert_span(e->a->span, 7, 16);    /* ‖x‖² */
    assert_span(e->a->a->span, 7, 14); /* ‖x‖ */
    assert_span(e->a->b->span, 14, 16); /* ² */

    parse("L = log|K| + h[t] + \xe2\x9f\xa8x, y\xe2\x9f\xa9");
    e = last_prog->first->expr;
    assert_span(e->a->a->span, 4, 10);      /* log|K| */
    assert_span(e->a->a->name_span, 4, 7);
    assert_span(e->a->a->args[0]->span, 7, 10);
    assert_span(e->a->b->span, 13, 17);     /* h[t] */
    assert_span(e->a->b->name_span, 13, 14);
    assert_span(e->b->span, 20, 30);        /* ⟨x, y⟩ */

    parse("L = sum(t = 1..T, x)");
    e = last_prog->first->expr;
    assert_span(e->span, 4, 20);
    assert_span(e->name_span, 8, 9);
    parse("L = \xce\xa3_{t=1}^{T} x y + 1");
    e = last_prog->first->expr;
    assert_span(e->a->span, 4, 20); /* Σ…x y */
    assert_span(e->a->name_span, 8, 9);
    parse("L = x\xe1\xb5\x80 + A^-1 + B^T");
    e = last_prog->first->expr;
    assert_span(e->a->a->span, 4, 8);
    assert_span(e->a->b->span, 11, 15);
    assert_span(e->b->span, 18, 21);
}

static void test_statement_spans(void **state)
{
    const sg_stmt *s;
    (void)state;
    /*     0123456789012345678901234567 */
    parse("x, y \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97" "3}  # c\nL = x + y\n");
    s = last_prog->first;
    assert_span(s->span, 0, 19);
    assert_span(s->names[0].span, 0, 1);
    assert_span(s->names[1].span, 3, 4);
    assert_span(s->dims[0].span, 14, 15);
    assert_span(s->dims[1].span, 17, 18);
    assert_int_equal(s->dims[1].value, 3);
    assert_null(s->dims[1].name);
    s = s->next;
    assert_span(s->span, 25, 34);
    assert_span(s->target.span, 25, 26);
    assert_span(s->expr->span, 29, 34);

    parse("grad L wrt W, x; prefix p\nh[t] = h[t-1] for t = 1..T");
    s = last_prog->first;
    assert_span(s->span, 0, 15);
    assert_span(s->target.span, 5, 6);
    assert_span(s->names[1].span, 14, 15);
    s = s->next;
    assert_span(s->span, 17, 25);
    assert_span(s->target.span, 24, 25);
    s = s->next;
    assert_span(s->span, 26, 52);
    assert_span(s->index->span, 28, 29);
    assert_span(s->range_var.span, 44, 45);
    assert_span(s->range_lo->span, 48, 49);
    assert_span(s->range_hi->span, 51, 52);

    parse("x[t] : vector(n) for t = 1..T");
    s = last_prog->first;
    assert_int_equal(s->nnames, 1);
    assert_string_equal(s->names[0].name, "x");
    assert_span(s->names[0].span, 0, 1);
    assert_span(s->span, 0, 29);
}

static void test_dump(void **state)
{
    char buf[256];
    (void)state;
    parse("L = f(x, 2) + \xe2\x80\x96y\xe2\x80\x96");
    sg_ast_dump(last_prog->first->expr, buf, sizeof buf);
    assert_string_equal(buf, "ADD\n"
                             "  CALL f\n"
                             "    NAME x\n"
                             "    NUM 2\n"
                             "  NORM\n"
                             "    NAME y\n");
    /* cut short, but terminated */
    sg_ast_dump(last_prog->first->expr, buf, 10);
    assert_string_equal(buf, "ADD\n  CAL");
    sg_ast_dump(NULL, buf, sizeof buf);
    assert_string_equal(buf, "(null)\n");
    sg_ast_dump(last_prog->first->expr, buf, 0); /* nothing written */
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(sg_ast_kind_name(SG_AST_NUM), "NUM");
    assert_string_equal(sg_ast_kind_name(SG_AST_JUX), "JUX");
    assert_string_equal(sg_ast_kind_name(SG_AST_SUMOVER), "SUMOVER");
    assert_string_equal(sg_ast_kind_name((sg_ast_kind)99), "?");
}

/* ---- errors ------------------------------------------------------------------- */

static void test_syntax_error_messages(void **state)
{
    (void)state;
    parse("L = )");
    ERRORS("1:5: unexpected ')', expected an expression\n");
    parse("L = x +;");
    ERRORS("1:8: unexpected ';', expected an expression\n");
    parse("L = x +");
    ERRORS("1:8: unexpected end of input, expected an expression\n");
    parse("L = x y,\n");
    ERRORS("1:8: unexpected ',', expected end of line\n");
    parse("x \xe2\x88\x88 \xe2\x84\x9d^n W\n");
    ERRORS("1:9: unexpected 'W', expected end of line\n");
    parse("x \xe2\x88\x88 \xe2\x84\x9d^{m,n}\n"); /* ℝ^{m,n}: a message of its own */
    ERRORS("1:9: dimensions are separated by \xc3\x97 (or x), not a comma: write "
           "\xe2\x84\x9d^{m\xc3\x97n}\n");
    parse("x \xe2\x88\x88 3\n");
    ERRORS("1:5: unexpected '3', expected a type\n");
    parse("x : vector n\n");
    ERRORS("1:12: unexpected 'n', expected '('\n");
    parse("= 3\n");
    ERRORS("1:1: unexpected '=', expected a statement\n");
    parse("grad L x\n");
    ERRORS("1:8: unexpected 'x', expected 'wrt'\n");
    parse("grad L wrt\n");
    ERRORS("2:1: unexpected end of input, expected a name\n");
    parse("prefix a b\n");
    ERRORS("1:10: unexpected 'b', expected end of line\n");
    parse("x \xe2\x88\x88 \xe2\x84\x9d^n for t = 1..T\n");
    ERRORS("1:9: unexpected 'for', expected end of line\n");
    parse("L\n");
    ERRORS("1:2: unexpected end of line\n");
    parse("L = (a b ]\n");
    ERRORS("1:10: unexpected ']', expected ')'\n");
    parse("L = \xe2\x9f\xa8x\xe2\x9f\xa9");
    ERRORS("1:7: unexpected '\xe2\x9f\xa9', expected ','\n");
    parse("L = x \xe2\x84\x9d\n");
    ERRORS("1:7: unexpected '\xe2\x84\x9d', expected end of line\n");
    parse("L = a\xe2\x88\x92\n;");
    ERRORS("2:1: unexpected ';', expected an expression\n");
    parse("x \xe2\x88\x88 \xe2\x84\x9d^n 123456789012345678901234567890\n");
    ERRORS("1:9: unexpected '12345678901234567890\xe2\x80\xa6', expected end of line\n");
    parse("x \xe2\x88\x88 \xe2\x84\x9d^n \xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1"
          "\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\n");
    ERRORS("1:9: unexpected '\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1"
           "\xce\xb1\xce\xb1\xe2\x80\xa6', expected end of line\n");
}

static void test_recovery_goes_on(void **state)
{
    (void)state;
    /* each statement is reported, even right after another error */
    PROGRAM("L = )\nM = )\nx \xe2\x88\x88 \xe2\x84\x9d\n", "DEF L = NULL\nDEF M = NULL\nDECL x : SCALAR");
    ERRORS("1:5: unexpected ')', expected an expression\n"
           "2:5: unexpected ')', expected an expression\n");
    PROGRAM("L = )\n)\nh[t] = )\n)\n", "DEF L = NULL\nDEF h[t] = NULL");
    ERRORS("1:5: unexpected ')', expected an expression\n"
           "2:1: unexpected ')', expected a statement\n"
           "3:8: unexpected ')', expected an expression\n"
           "4:1: unexpected ')', expected a statement\n");
    /* an error inside brackets ends the statement at its line */
    PROGRAM("L = f(a b ] c,\nM = 2\n", "DEF L = NULL\nDEF M = 2");
    ERRORS("1:11: unexpected ']', expected ',' or ')'\n");
    PROGRAM("h[t] = )\nh[t] \xe2\x88\x88 3\n) (\nr = 1",
            "DEF h[t] = NULL\nDEF r = 1");
    ERRORS("1:8: unexpected ')', expected an expression\n"
           "2:8: unexpected '3', expected a type\n"
           "3:1: unexpected ')', expected a statement\n");
}

static void test_unclosed_reports_once(void **state)
{
    (void)state;
    /* the lexer reports the cause; the made-up closer does not fail again */
    PROGRAM("L = \xe2\x80\x96x +;", "DEF L = NULL");
    ERRORS("1:5: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
    PROGRAM("L = f(a,", "DEF L = NULL");
    ERRORS("1:6: unclosed '('\n");
    PROGRAM("L = (a", "DEF L = a");
    ERRORS("1:5: unclosed '('\n");
    PROGRAM("\xe2\x80\x96", "");
    ERRORS("1:1: unexpected '\xe2\x80\x96', expected a statement\n");
    PROGRAM("L = \xe2\x80\x96", "DEF L = NULL");
    ERRORS("1:5: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
    PROGRAM("L = |x| + |", "DEF L = NULL");
    ERRORS("1:11: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n");
    PROGRAM("L = (\xe2\x80\x96x)", "DEF L = (NORM x)");
    ERRORS("1:6: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
}

static void test_stray_characters_only(void **state)
{
    (void)state;
    PROGRAM("?\nL = 1 $\n", "DEF L = 1");
    ERRORS("1:1: unexpected character '?'\n2:7: unexpected character '$'\n");
    PROGRAM("L = \xe2\x80\x96\xe2\x82\x81x\xe2\x80\x96", "DEF L = (NORM x)");
    ERRORS("1:6: unexpected character '\xe2\x82\x81' (U+2081)\n");
}

static void test_nul_bytes_and_odd_input(void **state)
{
    (void)state;
    assert_string_equal(parsen("L = x\0\n\0M = y", 13), "DEF L = x\nDEF M = y");
    ERRORS("1:6: unexpected character U+0000\n2:1: unexpected character U+0000\n");
    assert_string_equal(parsen("\0", 1), "");
    ERRORS("1:1: unexpected character U+0000\n");
    PROGRAM("L = 1e999", "DEF L = 0");
    ERRORS("1:5: number too large\n");
}

static void test_dimension_errors(void **state)
{
    (void)state;
    PROGRAM("x \xe2\x88\x88 \xe2\x84\x9d^0", "DECL x : VECTOR 1");
    ERRORS("1:7: a dimension must be a positive integer or a name\n");
    PROGRAM("W \xe2\x88\x88 \xe2\x84\x9d^{-2\xc3\x97n}", "DECL W : MATRIX 1 n");
    ERRORS("1:8: a dimension must be a positive integer or a name\n");
    PROGRAM("x : vector(2.5)", "DECL x : VECTOR 1");
    ERRORS("1:12: a dimension must be a positive integer or a name\n");
    PROGRAM("x : matrix(n, -1)", "DECL x : MATRIX n 1");
    ERRORS("1:15: a dimension must be a positive integer or a name\n");
    PROGRAM("x : vector(2147483648)", "DECL x : VECTOR 1");
    ERRORS("1:12: a dimension must be at most 2147483647\n");
}

/* a syntax error inside a bracket opened on an earlier line: the bracket is
   the mistake, and the only error (what follows is the next statement) */
/* a statement that starts with a misspelt keyword: did you mean */
static void test_misspelt_keyword(void **state)
{
    (void)state;
    parse("L = 1\ngard L wrt x\n");
    ERRORS("2:1: unknown statement 'gard'; did you mean 'grad'?\n");
    parse("L = 1\nhesian L wrt x\n");
    ERRORS("2:1: unknown statement 'hesian'; did you mean 'hessian'?\n");
    parse("L = 1\n  ouptut L\n");
    ERRORS("2:3: unknown statement 'ouptut'; did you mean 'output'?\n");
    /* nothing like a keyword: the plain message */
    parse("L = 1\nfoo L wrt x\n");
    ERRORS("2:5: unexpected 'L'\n");
}

static void test_unclosed_bracket_across_lines(void **state)
{
    (void)state;
    parse("x = 1\nL = (x + 1\nM = x\n");
    ERRORS("2:5: unclosed '(': the statement runs on to line 3\n");
    /* one that swallows the rest of the file without a syntax error: the
       bracket alone, and the statement fails (its uses stay silent) */
    PROGRAM("x = 1\nL = log(x\ngrad L wrt x\n", "DEF x = 1\nDEF L = NULL");
    ERRORS("2:8: unclosed '('\n");
    /* on one line, the error alone */
    parse("L = (x + = 1)\n");
    ERRORS("1:10: unexpected '=', expected an expression\n");
}

static void test_semantic_errors_of_the_syntax(void **state)
{
    (void)state;
    PROGRAM("hessian f wrt a, b, c", "HESSIAN f wrt a b c");
    ERRORS("1:21: a Hessian is taken with respect to one or two variables\n");
    PROGRAM("L = f(t = 1..T, x)", "DEF L = (SUMOVER t 1 T x)");
    ERRORS("1:5: only sum takes a range: sum(t = lo..hi, e), not f(\xe2\x80\xa6)\n");
}

static void test_deep_nesting(void **state)
{
    size_t n = 10000, i;
    char *text = malloc(3 * n + 16), *p, *close;
    (void)state;
    /* lines stay below SG_SRC_MAX_LINE: a newline inside brackets continues */
    p = text + sprintf(text, "x = 1\nL = ");
    for (i = 0; i < n; i++) {
        *p++ = '(';
        if (i % 100 == 99)
            *p++ = '\n';
    }
    *p++ = 'x';
    close = p;
    for (i = 0; i < n; i++) {
        *p++ = ')';
        if (i % 100 == 99)
            *p++ = '\n';
    }
    *p = '\0';
    /* the parser's stack is full: an error, and what came before is kept */
    PROGRAM(text, "DEF x = 1");
    assert_non_null(strstr(errors_out, ": expression nested too deeply\n"));
    assert_int_equal(last_src->ndiags, 1);
    /* all open, no close */
    *close = '\0';
    parse(text);
    assert_non_null(strstr(errors_out, ": expression nested too deeply\n"));
    free(text);
}

/* head(x op x op … x): a flat chain of n operands, a line per 500 (a line
   break inside parentheses goes on) */
static char *flat_chain(const char *head, const char *operand, const char *op, size_t n)
{
    char *text = malloc(strlen(head) + n * (strlen(operand) + strlen(op) + 2) + 16), *p;
    size_t i;
    p = text + sprintf(text, "%s(%s", head, operand);
    for (i = 1; i < n; i++)
        p += sprintf(p, "%s%s%s", op, i % 500 == 0 ? "\n" : "", operand);
    strcpy(p, ")\n");
    return text;
}

static void test_deep_trees(void **state)
{
    size_t n = 2000, i;
    char *text = malloc(4 * n + 16);
    char *p;
    (void)state;
    /* nesting: −−…−x is 1001 levels */
    p = text + sprintf(text, "L = ");
    for (i = 0; i < 1000; i++)
        *p++ = '-';
    strcpy(p, "x\nM = 1");
    PROGRAM(text, "DEF L = NULL\nDEF M = 1");
    ERRORS("1:5: expression nested too deeply (more than 1000 levels)\n");
    /* just below the limit */
    text[4] = ' ';
    parse(text);
    NO_ERRORS();
    /* in a range or an index */
    p = text + sprintf(text, "h[t] = 1 for t = 1..");
    for (i = 0; i < 1000; i++)
        *p++ = '-';
    strcpy(p, "T");
    PROGRAM(text, "DEF h[t] = 1 for t = 1 .. NULL");
    ERRORS("1:21: expression nested too deeply (more than 1000 levels)\n");
    p = text + sprintf(text, "h[");
    for (i = 0; i < 1000; i++)
        p += sprintf(p, "-");
    strcpy(p, "t] = 1");
    PROGRAM(text, "DEF h = 1");
    ERRORS("1:3: expression nested too deeply (more than 1000 levels)\n");
    /* a chain nested in a chain is a level: x + (x + (… + x)) */
    p = text + sprintf(text, "L = x");
    for (i = 0; i < 1000; i++)
        p += sprintf(p, i % 100 == 99 ? "+(\nx" : "+(x");
    for (i = 0; i < 1000; i++)
        *p++ = ')';
    *p = '\0';
    parse(text);
    assert_non_null(strstr(errors_out, "expression nested too deeply (more than 1000 levels)"));
    free(text);
}

/* a flat chain of one operator is one level, however long */
static void test_flat_chains(void **state)
{
    static const struct {
        const char *op, *top;
    } chains[] = {
        {" + ", "ADD"}, {" - ", "SUB"}, {"*", "MUL"}, {" ", "JUX"}, {" ⊙ ", "HADAMARD"},
        {" · ", "MUL"},
    };
    size_t sizes[] = {1000, 10000, 100000}, k, j;
    (void)state;
    for (j = 0; j < sizeof chains / sizeof chains[0]; j++)
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            char *text = flat_chain("L = ", "x", chains[j].op, sizes[k]);
            parse(text);
            NO_ERRORS();
            assert_non_null(last_prog->first);
            assert_non_null(last_prog->first->expr);
            assert_string_equal(sg_ast_kind_name(last_prog->first->expr->kind), chains[j].top);
            free(text);
        }
    /* + and − mix in one chain; so do juxtaposition, * and · */
    parse("L = a + b - c + d - e\nM = a b * c · d e\n");
    NO_ERRORS();
    /* a chain of ⊘ or / is nesting, as before */
    {
        char *text = flat_chain("L = ", "x", " ⊘ ", 1002);
        parse(text);
        assert_non_null(strstr(errors_out, "expression nested too deeply (more than 1000 levels)"));
        free(text);
    }
}

static void test_many_lines(void **state)
{
    size_t n = 20000, i;
    char *text = malloc(16 * n);
    char *p = text;
    const sg_stmt *s;
    int count = 0;
    (void)state;
    for (i = 0; i < n; i++)
        p += sprintf(p, "x%zu = %zu\n", i, i);
    parse(text);
    NO_ERRORS();
    for (s = last_prog->first; s; s = s->next)
        count++;
    assert_int_equal(count, (int)n);
    free(text);
}

/* ---- the notations students type (√ π ℓ ℝⁿ ‖·‖₂ ‖·‖_F ||·|| @ Σ) ------------------ */

static void test_root(void **state)
{
    (void)state;
    EXPR("√x", "(CALL sqrt x)");
    EXPR("√(a + b)", "(CALL sqrt (ADD a b))");
    EXPR("√x y", "(JUX (CALL sqrt x) y)");
    EXPR("√x²", "(CALL sqrt (POW x 2))");
    EXPR("√xᵀ", "(CALL sqrt (TRANSPOSE x))");
    EXPR("2√x", "(JUX 2 (CALL sqrt x))");
    EXPR("a √b", "(JUX a (CALL sqrt b))");
    EXPR("−√x", "(NEG (CALL sqrt x))");
    EXPR("√√x", "(CALL sqrt (CALL sqrt x))");
    EXPR("√‖x‖", "(CALL sqrt (NORM x))");
    EXPR("a/√b", "(DIV a (CALL sqrt b))");
    parse("L = √\n");
    ERRORS("1:6: unexpected end of line, expected an expression\n");
}

static void test_norm_spellings(void **state)
{
    (void)state;
    EXPR("‖x‖₂", "(NORM x)");
    EXPR("‖X‖_F²", "(POW (NORM X) 2)");
    EXPR("||x||^2", "(POW (NORM x) 2)");
    EXPR("||x||₁", "(NORM1 x)");
    EXPR("f‖x‖₂", "(CALL f (NORM x))");
    EXPR("2||x||", "(JUX 2 (NORM x))");
}

static void test_at_is_a_product(void **state)
{
    (void)state;
    EXPR("A @ x", "(MUL A x)");
    EXPR("A @ B @ x", "(MUL (MUL A B) x)");
    EXPR("a + A @ xᵀ", "(ADD a (MUL A (TRANSPOSE x)))");
    EXPR("A @ x ⊙ y", "(HADAMARD (MUL A x) y)");
    EXPR("−A @ x", "(MUL (NEG A) x)");
    parse("L = A @ @ x\n");
    ERRORS("1:9: unexpected '@', expected an expression\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_atoms, teardown),
        cmocka_unit_test_teardown(test_calls, teardown),
        cmocka_unit_test_teardown(test_calls_on_bars, teardown),
        cmocka_unit_test_teardown(test_sum_over, teardown),
        cmocka_unit_test_teardown(test_postfix, teardown),
        cmocka_unit_test_teardown(test_powers, teardown),
        cmocka_unit_test_teardown(test_unary, teardown),
        cmocka_unit_test_teardown(test_products, teardown),
        cmocka_unit_test_teardown(test_juxtaposition_takes_no_sign, teardown),
        cmocka_unit_test_teardown(test_sums, teardown),
        cmocka_unit_test_teardown(test_multiline_expressions, teardown),
        cmocka_unit_test_teardown(test_declarations, teardown),
        cmocka_unit_test_teardown(test_declaration_variants, teardown),
        cmocka_unit_test_teardown(test_sequence_declarations, teardown),
        cmocka_unit_test_teardown(test_definitions, teardown),
        cmocka_unit_test_teardown(test_requests, teardown),
        cmocka_unit_test_teardown(test_answers, teardown),
        cmocka_unit_test_teardown(test_keywords_as_names, teardown),
        cmocka_unit_test_teardown(test_empty_programs, teardown),
        cmocka_unit_test_teardown(test_autoencoder, teardown),
        cmocka_unit_test_teardown(test_autoencoder_ascii, teardown),
        cmocka_unit_test_teardown(test_gp_loglik, teardown),
        cmocka_unit_test_teardown(test_least_squares, teardown),
        cmocka_unit_test_teardown(test_logreg, teardown),
        cmocka_unit_test_teardown(test_mlp_swish, teardown),
        cmocka_unit_test_teardown(test_rnn_bptt, teardown),
        cmocka_unit_test_teardown(test_softmax_jacobian, teardown),
        cmocka_unit_test_teardown(test_acceptance_errors, teardown),
        cmocka_unit_test_teardown(test_expression_spans, teardown),
        cmocka_unit_test_teardown(test_statement_spans, teardown),
        cmocka_unit_test_teardown(test_dump, teardown),
        cmocka_unit_test_teardown(test_kind_names, teardown),
        cmocka_unit_test_teardown(test_syntax_error_messages, teardown),
        cmocka_unit_test_teardown(test_recovery_goes_on, teardown),
        cmocka_unit_test_teardown(test_unclosed_reports_once, teardown),
        cmocka_unit_test_teardown(test_stray_characters_only, teardown),
        cmocka_unit_test_teardown(test_nul_bytes_and_odd_input, teardown),
        cmocka_unit_test_teardown(test_dimension_errors, teardown),
        cmocka_unit_test_teardown(test_semantic_errors_of_the_syntax, teardown),
        cmocka_unit_test_teardown(test_unclosed_bracket_across_lines, teardown),
        cmocka_unit_test_teardown(test_misspelt_keyword, teardown),
        cmocka_unit_test_teardown(test_deep_nesting, teardown),
        cmocka_unit_test_teardown(test_deep_trees, teardown),
        cmocka_unit_test_teardown(test_flat_chains, teardown),
        cmocka_unit_test_teardown(test_many_lines, teardown),
        cmocka_unit_test_teardown(test_root, teardown),
        cmocka_unit_test_teardown(test_norm_spellings, teardown),
        cmocka_unit_test_teardown(test_at_is_a_product, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
