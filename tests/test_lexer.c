/*
 * test_lexer.c: the token stream: every operator in each of its spellings,
 * every declaration form, numbers, names, keywords by position, statement
 * ends, bars, and every error the lexer reports (message and LINE:COL).
 *
 * A token stream is written as its kinds, with NAME(x) and NUM(0.5) values
 * and a * after a token the lexer made up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "base/buf.h"
#include "lexer/lex.h"

static char tokens_out[1 << 18], errors_out[1 << 14];

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

/* the tokens of text (without the final EOF); the errors go to errors_out */
static const char *lexn(const char *text, size_t len)
{
    sg_src *src = sg_src_new("t.sg", text, len);
    sg_arena *arena = sg_arena_new();
    sg_lexer *lx = sg_lex_new(src, arena);
    sg_token t;
    sg_buf b;
    int n = 0;

    sg_buf_init(&b);
    for (;;) {
        sg_lex_next(lx, &t);
        if (t.kind == TK_YYEOF)
            break;
        if (n++)
            sg_buf_putc(&b, ' ');
        sg_buf_puts(&b, sg_lex_token_name(t.kind));
        if (t.kind == TK_NAME)
            sg_buf_printf(&b, "(%s)", t.name);
        else if (t.kind == TK_NUM || t.kind == TK_POWNUM)
            sg_buf_printf(&b, "(%g)", t.num);
        if (t.synthetic)
            sg_buf_putc(&b, '*');
        assert_true(n < 100000);
    }
    /* the end stays the end */
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_YYEOF);
    snprintf(tokens_out, sizeof tokens_out, "%s", sg_buf_str(&b));
    format_errors(src);
    sg_buf_free(&b);
    sg_lex_free(lx);
    sg_arena_free(arena);
    sg_src_free(src);
    return tokens_out;
}

static const char *lex(const char *text)
{
    return lexn(text, strlen(text));
}

#define TOKENS(text, want) assert_string_equal(lex(text), want)
#define NO_ERRORS() assert_string_equal(errors_out, "")
#define ERRORS(want) assert_string_equal(errors_out, want)

/* ---- operators -------------------------------------------------------------- */

static void test_binary_operators(void **state)
{
    (void)state;
    TOKENS("a + b", "NAME(a) PLUS NAME(b) END");
    TOKENS("a - b", "NAME(a) MINUS NAME(b) END");
    TOKENS("a \xe2\x88\x92 b", "NAME(a) MINUS NAME(b) END"); /* − */
    TOKENS("a * b", "NAME(a) STAR NAME(b) END");
    TOKENS("a \xc2\xb7 b", "NAME(a) CDOT NAME(b) END");      /* · */
    TOKENS("a \xe2\x8b\x85 b", "NAME(a) CDOT NAME(b) END");  /* ⋅ */
    TOKENS("a / b", "NAME(a) SLASH NAME(b) END");
    TOKENS("a \xe2\x8a\x99 b", "NAME(a) HADAMARD NAME(b) END"); /* ⊙ */
    TOKENS("a .* b", "NAME(a) HADAMARD NAME(b) END");
    TOKENS("a \xe2\x8a\x98 b", "NAME(a) HDIV NAME(b) END");  /* ⊘ */
    TOKENS("a ./ b", "NAME(a) HDIV NAME(b) END");
    TOKENS("a .^ b", "NAME(a) EPOW NAME(b) END");
    TOKENS("a ^ b", "NAME(a) CARET NAME(b) END");
    TOKENS("a = b, c", "NAME(a) ASSIGN NAME(b) COMMA NAME(c) END");
    TOKENS("a.*b./c.^d", "NAME(a) HADAMARD NAME(b) HDIV NAME(c) EPOW NAME(d) END");
    NO_ERRORS();
}

static void test_postfix_operators(void **state)
{
    (void)state;
    TOKENS("x\xe1\xb5\x80", "NAME(x) TRANSPOSE END"); /* ᵀ */
    TOKENS("L = x'", "NAME(L) ASSIGN NAME(x) TRANSPOSE END");
    /* a prime on the name a statement starts with is not a transpose but a
       name from another notation: its own message, and a made-up invalid
       token (?*) the parser fails the statement at silently */
    TOKENS("c' = x", "NAME(c) ?* ASSIGN NAME(x) END");
    ERRORS("1:2: c' cannot be a name: ' is the transpose; name it c_prime or c\xe2\x82\x82\n");
    TOKENS("L = x ** 2", "NAME(L) ASSIGN NAME(x) STAR ?* NUM(2) END");
    ERRORS("1:7: '**' is not an operator: write x^2 for a power (x.^2 entry by entry, x \xe2\x8a\x99 x)\n");
    TOKENS("x.T", "NAME(x) TRANSPOSE END");
    TOKENS("x^T", "NAME(x) TRANSPOSE END");
    TOKENS("x\xe2\x8a\xa4", "NAME(x) TRANSPOSE END"); /* ⊤ */
    TOKENS("(x)^T y", "LPAREN NAME(x) RPAREN TRANSPOSE NAME(y) END");
    TOKENS("x\xc2\xb2", "NAME(x) POWNUM(2) END");     /* ² */
    TOKENS("x\xc2\xb3", "NAME(x) POWNUM(3) END");     /* ³ */
    TOKENS("x\xe2\x81\xbb\xc2\xb9", "NAME(x) INVERSE END"); /* ⁻¹ */
    TOKENS("x^-1", "NAME(x) INVERSE END");
    TOKENS("x^\xe2\x88\x92" "1", "NAME(x) INVERSE END"); /* ^−1 */
    TOKENS("L = x''", "NAME(L) ASSIGN NAME(x) TRANSPOSE TRANSPOSE END");
    NO_ERRORS();
}

static void test_caret_that_is_a_power(void **state)
{
    (void)state;
    TOKENS("x^Tmax", "NAME(x) CARET NAME(Tmax) END");
    TOKENS("x^T2", "NAME(x) CARET NAME(T2) END");
    TOKENS("x^-12", "NAME(x) CARET MINUS NUM(12) END");
    TOKENS("x^-1.5", "NAME(x) CARET MINUS NUM(1.5) END");
    TOKENS("x^-1e2", "NAME(x) CARET MINUS NUM(100) END");
    TOKENS("x^2", "NAME(x) CARET NUM(2) END");
    TOKENS("x^-2", "NAME(x) CARET MINUS NUM(2) END");
    TOKENS("x^(-1)", "NAME(x) CARET LPAREN MINUS NUM(1) RPAREN END");
    TOKENS("x.^-1", "NAME(x) EPOW MINUS NUM(1) END");
    NO_ERRORS();
}

static void test_brackets(void **state)
{
    (void)state;
    TOKENS("(a)[b]{c}", "LPAREN NAME(a) RPAREN LBRACK NAME(b) RBRACK LBRACE NAME(c) RBRACE END");
    TOKENS("\xe2\x9f\xa8x, y\xe2\x9f\xa9", "LANGLE NAME(x) COMMA NAME(y) RANGLE END"); /* ⟨ ⟩ */
    TOKENS("1..T", "NUM(1) DOTDOT NAME(T) END");
    TOKENS("\xce\xa3_{t=1}^{T} x", /* Σ */
           "SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN NUM(1) RBRACE CARET LBRACE NAME(T) RBRACE "
           "NAME(x) END");
    TOKENS("\xe2\x88\x91_{t=1}^{T} x", /* ∑ */
           "SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN NUM(1) RBRACE CARET LBRACE NAME(T) RBRACE "
           "NAME(x) END");
    NO_ERRORS();
}

static void test_sigma_upper_limit_T(void **state)
{
    (void)state;
    /* ^T right after the subscript of Σ is the upper limit T */
    TOKENS("\xce\xa3_{t=1}^T x",
           "SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN NUM(1) RBRACE CARET NAME(T) NAME(x) END");
    TOKENS("\xce\xa3_{t=1}^N x",
           "SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN NUM(1) RBRACE CARET NAME(N) NAME(x) END");
    /* anywhere else ^T is a transpose */
    TOKENS("{x}^T", "LBRACE NAME(x) RBRACE TRANSPOSE END");
    NO_ERRORS();
}

static void test_call_paren_only_right_after_a_name(void **state)
{
    (void)state;
    TOKENS("f(x)", "NAME(f) CALL_LPAREN NAME(x) RPAREN END");
    TOKENS("f (x)", "NAME(f) LPAREN NAME(x) RPAREN END");
    TOKENS("2(x)", "NUM(2) LPAREN NAME(x) RPAREN END");
    TOKENS("(x)(y)", "LPAREN NAME(x) RPAREN LPAREN NAME(y) RPAREN END");
    TOKENS("x\xe1\xb5\x80(y)", "NAME(x) TRANSPOSE LPAREN NAME(y) RPAREN END");
    TOKENS("sum(t = 1..T, x)",
           "NAME(sum) CALL_LPAREN NAME(t) ASSIGN NUM(1) DOTDOT NAME(T) COMMA NAME(x) RPAREN END");
    NO_ERRORS();
}

/* ---- declarations ----------------------------------------------------------- */

static void test_declarations_unicode(void **state)
{
    (void)state;
    TOKENS("\xce\xb2 \xe2\x88\x88 \xe2\x84\x9d", "NAME(beta) ELEM REALS END"); /* β ∈ ℝ */
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^n", "NAME(x) ELEM REALS CARET NAME(n) END");
    TOKENS("W \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n}", /* ℝ^{m×n} */
           "NAME(W) ELEM REALS CARET LBRACE NAME(m) TIMES NAME(n) RBRACE END");
    TOKENS("W \xe2\x88\x88 \xe2\x84\x9d^{m x n}",
           "NAME(W) ELEM REALS CARET LBRACE NAME(m) TIMES NAME(n) RBRACE END");
    TOKENS("W \xe2\x88\x88 \xe2\x84\x9d^{3\xc3\x97" "4}",
           "NAME(W) ELEM REALS CARET LBRACE NUM(3) TIMES NUM(4) RBRACE END");
    TOKENS("S \xe2\x88\x88 \xf0\x9d\x95\x8a^n", "NAME(S) ELEM SYMSET CARET NAME(n) END"); /* 𝕊 */
    TOKENS("K \xe2\x88\x88 \xf0\x9d\x95\x8a\xe2\x82\x8a\xe2\x82\x8a^n", /* 𝕊₊₊ */
           "NAME(K) ELEM SPDSET CARET NAME(n) END");
    TOKENS("y \xe2\x88\x88 \xce\x94^C", "NAME(y) ELEM SIMPLEX CARET NAME(C) END"); /* Δ */
    TOKENS("x, y \xe2\x88\x88 \xe2\x84\x9d^n",
           "NAME(x) COMMA NAME(y) ELEM REALS CARET NAME(n) END");
    NO_ERRORS();
}

static void test_declarations_ascii(void **state)
{
    (void)state;
    TOKENS("beta : scalar", "NAME(beta) COLON SCALAR END");
    TOKENS("x : vector(n)", "NAME(x) COLON VECTOR LPAREN NAME(n) RPAREN END");
    TOKENS("W : matrix(m, n)",
           "NAME(W) COLON MATRIX LPAREN NAME(m) COMMA NAME(n) RPAREN END");
    TOKENS("S : symmetric(n)", "NAME(S) COLON SYMMETRIC LPAREN NAME(n) RPAREN END");
    TOKENS("K : spd(n)", "NAME(K) COLON SPD LPAREN NAME(n) RPAREN END");
    TOKENS("y : onehot(C)", "NAME(y) COLON ONEHOT LPAREN NAME(C) RPAREN END");
    TOKENS("W in R^(m x n)",
           "NAME(W) IN REALS CARET LPAREN NAME(m) TIMES NAME(n) RPAREN END");
    TOKENS("x in R", "NAME(x) IN REALS END");
    TOKENS("x : R^n", "NAME(x) COLON REALS CARET NAME(n) END");
    TOKENS("dim n, m", "DIM NAME(n) COMMA NAME(m) END");
    NO_ERRORS();
}

static void test_declaration_words_are_names_elsewhere(void **state)
{
    (void)state;
    TOKENS("L = R x scalar", "NAME(L) ASSIGN NAME(R) NAME(x) NAME(scalar) END");
    TOKENS("vector(n)", "NAME(vector) CALL_LPAREN NAME(n) RPAREN END");
    /* and the declaration ends with its statement */
    TOKENS("x : R; L = R x",
           "NAME(x) COLON REALS END NAME(L) ASSIGN NAME(R) NAME(x) END");
    /* in a type, T is a dimension, not a transpose */
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^T", "NAME(x) ELEM REALS CARET NAME(T) END");
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^-1", "NAME(x) ELEM REALS CARET MINUS NUM(1) END");
    NO_ERRORS();
}

static void test_sequence_declaration(void **state)
{
    (void)state;
    TOKENS("x[t] \xe2\x88\x88 \xe2\x84\x9d^k for t = 1..T",
           "NAME(x) LBRACK NAME(t) RBRACK ELEM REALS CARET NAME(k) FOR NAME(t) ASSIGN NUM(1) "
           "DOTDOT NAME(T) END");
    /* after `for`, x is a name again */
    TOKENS("h[x] : vector(n) for x = 1..T",
           "NAME(h) LBRACK NAME(x) RBRACK COLON VECTOR LPAREN NAME(n) RPAREN FOR NAME(x) "
           "ASSIGN NUM(1) DOTDOT NAME(T) END");
    TOKENS("h[t] = tanh(h[t\xe2\x88\x92" "1]) for t = 1..T",
           "NAME(h) LBRACK NAME(t) RBRACK ASSIGN NAME(tanh) CALL_LPAREN NAME(h) LBRACK NAME(t) "
           "MINUS NUM(1) RBRACK RPAREN FOR NAME(t) ASSIGN NUM(1) DOTDOT NAME(T) END");
    NO_ERRORS();
}

/* ---- numbers ---------------------------------------------------------------- */

static void test_numbers(void **state)
{
    (void)state;
    TOKENS("2 0.5 .5 1e-3 2.5E+4 10e2",
           "NUM(2) NUM(0.5) NUM(0.5) NUM(0.001) NUM(25000) NUM(1000) END");
    TOKENS("2x", "NUM(2) NAME(x) END");
    TOKENS("2e", "NUM(2) NAME(e) END"); /* no exponent without digits */
    TOKENS("1e-3x", "NUM(0.001) NAME(x) END");
    TOKENS("1.5..2", "NUM(1.5) DOTDOT NUM(2) END");
    TOKENS("0.5.5", "NUM(0.5) NUM(0.5) END");
    TOKENS("1e-400", "NUM(0) END"); /* underflow is zero */
    NO_ERRORS();
}

static void test_vulgar_fractions(void **state)
{
    sg_src *src;
    sg_arena *arena;
    sg_lexer *lx;
    sg_token t;
    const double want[] = {0.5, 1.0 / 3, 2.0 / 3, 0.25, 0.75, 0.2, 1.0 / 6, 0.125};
    int i;
    const char *text = "\xc2\xbd \xe2\x85\x93 \xe2\x85\x94 \xc2\xbc \xc2\xbe "
                       "\xe2\x85\x95 \xe2\x85\x99 \xe2\x85\x9b"; /* ½ ⅓ ⅔ ¼ ¾ ⅕ ⅙ ⅛ */
    (void)state;
    src = sg_src_new("t.sg", text, strlen(text));
    arena = sg_arena_new();
    lx = sg_lex_new(src, arena);
    for (i = 0; i < 8; i++) {
        sg_lex_next(lx, &t);
        assert_int_equal(t.kind, TK_NUM);
        assert_true(t.num == want[i]);
    }
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_END);
    assert_int_equal(sg_src_nerrors(src), 0);
    sg_lex_free(lx);
    sg_arena_free(arena);
    sg_src_free(src);
    TOKENS("\xc2\xbdx", "NUM(0.5) NAME(x) END");
}

static void test_number_too_large(void **state)
{
    (void)state;
    TOKENS("L = 1e999", "NAME(L) ASSIGN NUM(0) END");
    ERRORS("1:5: number too large\n");
}

/* ---- names ------------------------------------------------------------------ */

static void test_subscript_digits(void **state)
{
    (void)state;
    TOKENS("W\xe2\x82\x81 W1 h\xe2\x82\x81\xe2\x82\x80 x\xe2\x82\x80\xe2\x82\x89",
           "NAME(W1) NAME(W1) NAME(h10) NAME(x09) END");
    TOKENS("W_hh W_y x_1", "NAME(W_hh) NAME(W_y) NAME(x_1) END");
    TOKENS("W\xe2\x82\x82h\xe2\x82\x81", "NAME(W2h1) END"); /* W₂h₁: split later */
    NO_ERRORS();
}

static void test_greek_lowercase(void **state)
{
    (void)state;
    /* α β γ δ ε ζ η θ ι κ λ μ */
    TOKENS("\xce\xb1 \xce\xb2 \xce\xb3 \xce\xb4 \xce\xb5 \xce\xb6 \xce\xb7 \xce\xb8 \xce\xb9 "
           "\xce\xba \xce\xbb \xce\xbc",
           "NAME(alpha) NAME(beta) NAME(gamma) NAME(delta) NAME(epsilon) NAME(zeta) NAME(eta) "
           "NAME(theta) NAME(iota) NAME(kappa) NAME(lambda) NAME(mu) END");
    /* ν ξ ο π ρ σ ς τ υ φ χ ψ ω */
    TOKENS("\xce\xbd \xce\xbe \xce\xbf \xcf\x80 \xcf\x81 \xcf\x83 \xcf\x82 \xcf\x84 \xcf\x85 "
           "\xcf\x86 \xcf\x87 \xcf\x88 \xcf\x89",
           "NAME(nu) NAME(xi) NAME(omicron) NAME(pi) NAME(rho) NAME(sigma) NAME(sigma) "
           "NAME(tau) NAME(upsilon) NAME(phi) NAME(chi) NAME(psi) NAME(omega) END");
    /* the variants ϵ ϑ ϕ ϱ */
    TOKENS("\xcf\xb5 \xcf\x91 \xcf\x95 \xcf\xb1",
           "NAME(epsilon) NAME(theta) NAME(phi) NAME(rho) END");
    NO_ERRORS();
}

static void test_greek_capitals(void **state)
{
    (void)state;
    /* Α Β Γ Ε Ζ Η Θ Ι Κ Λ Μ Ν Ξ Ο Π Ρ Τ Υ Φ Χ Ψ Ω */
    TOKENS("\xce\x91 \xce\x92 \xce\x93 \xce\x95 \xce\x96 \xce\x97 \xce\x98 \xce\x99 \xce\x9a "
           "\xce\x9b \xce\x9c \xce\x9d \xce\x9e \xce\x9f \xce\xa0 \xce\xa1 \xce\xa4 \xce\xa5 "
           "\xce\xa6 \xce\xa7 \xce\xa8 \xce\xa9",
           "NAME(Alpha) NAME(Beta) NAME(Gamma) NAME(Epsilon) NAME(Zeta) NAME(Eta) NAME(Theta) "
           "NAME(Iota) NAME(Kappa) NAME(Lambda) NAME(Mu) NAME(Nu) NAME(Xi) NAME(Omicron) "
           "NAME(Pi) NAME(Rho) NAME(Tau) NAME(Upsilon) NAME(Phi) NAME(Chi) NAME(Psi) "
           "NAME(Omega) END");
    NO_ERRORS();
}

static void test_sigma_and_delta_are_not_letters(void **state)
{
    (void)state;
    TOKENS("\xce\xa3x", "SIGMA NAME(x) END");
    /* a Σ that starts no sum is a name of its own (see test_sigma_as_a_name) */
    TOKENS("x\xce\xa3", "NAME(x) NAME(Sigma) END");
    TOKENS("x\xce\xa3_", "NAME(x) SIGMA UNDERSCORE END");
    /* Δ is the simplex only as a declaration's set, Δ^…; elsewhere a name,
       and it starts one as any Greek letter does: ΔW, Δ₁ (Delta1) */
    TOKENS("\xce\x94 x\xce\x94", "NAME(Delta) NAME(x) NAME(Delta) END");
    TOKENS("\xce\x94W \xce\x94\xe2\x82\x81", "NAME(DeltaW) NAME(Delta1) END");
    TOKENS("y \xe2\x88\x88 \xce\x94^n", "NAME(y) ELEM SIMPLEX CARET NAME(n) END");
    TOKENS("\xce\x94 \xe2\x88\x88 \xce\x94^n", "NAME(Delta) ELEM SIMPLEX CARET NAME(n) END");
    TOKENS("\xce\x94 \xe2\x88\x88 \xe2\x84\x9d", "NAME(Delta) ELEM REALS END");
    NO_ERRORS();
}

static void test_greek_in_names(void **state)
{
    (void)state;
    TOKENS("\xce\xb2I \xce\xbb\xe2\x82\x81 x\xce\xb1", "NAME(betaI) NAME(lambda1) NAME(xalpha) END");
    TOKENS("\xcf\x83(x)", "NAME(sigma) CALL_LPAREN NAME(x) RPAREN END");
    NO_ERRORS();
}

static void test_ones_and_eye(void **state)
{
    (void)state;
    TOKENS("\xf0\x9d\x9f\x99", "NAME(ones) END"); /* 𝟙 */
    TOKENS("b\xf0\x9d\x9f\x99\xe1\xb5\x80", "NAME(b) NAME(ones) TRANSPOSE END"); /* b𝟙ᵀ */
    TOKENS("\xf0\x9d\x9f\x99x", "NAME(ones) NAME(x) END");
    TOKENS("I ones eye", "NAME(I) NAME(ones) NAME(eye) END");
    NO_ERRORS();
}

static void test_normalize(void **state)
{
    sg_arena *a = sg_arena_new();
    (void)state;
    assert_string_equal(sg_lex_normalize(a, "W\xe2\x82\x81", 4), "W1");
    assert_string_equal(sg_lex_normalize(a, "\xce\x9b", 2), "Lambda");
    assert_string_equal(sg_lex_normalize(a, "\xce\xbf\xce\xbf", 4), "omicronomicron");
    assert_string_equal(sg_lex_normalize(a, "x", 1), "x");
    /* ο ϵ υ ο: 8 bytes become 28 */
    assert_string_equal(sg_lex_normalize(a, "\xce\xbf\xcf\xb5\xcf\x85\xce\xbf", 8),
                        "omicronepsilonupsilonomicron");
    assert_string_equal(sg_lex_normalize(a, "", 0), "");
    sg_arena_free(a);
}

/* names up to SG_LEX_MAX_NAME characters, normalized: β counts as "beta" */
static void test_long_name(void **state)
{
    char text[4 * SG_LEX_MAX_NAME];
    int i;
    (void)state;
    memset(text, 'a', SG_LEX_MAX_NAME);
    text[SG_LEX_MAX_NAME] = '\0';
    lex(text);
    NO_ERRORS();
    text[SG_LEX_MAX_NAME] = 'b';
    text[SG_LEX_MAX_NAME + 1] = '\0';
    lex(text);
    ERRORS("1:1: name too long: more than 200 characters\n");
    /* 50 β written, 200 characters normalized; one more is too many */
    memset(text, 0, sizeof text);
    for (i = 0; i < 50; i++)
        memcpy(text + 2 * i, "\xce\xb2", 2);
    lex(text);
    NO_ERRORS();
    text[100] = 'x';
    lex(text);
    ERRORS("1:1: name too long: more than 200 characters\n");
}

/* ---- keywords --------------------------------------------------------------- */

static void test_statement_keywords(void **state)
{
    (void)state;
    TOKENS("grad L wrt W, x", "GRAD NAME(L) WRT NAME(W) COMMA NAME(x) END");
    TOKENS("jacobian s wrt z", "JACOBIAN NAME(s) WRT NAME(z) END");
    TOKENS("hessian L wrt x, y", "HESSIAN NAME(L) WRT NAME(x) COMMA NAME(y) END");
    TOKENS("output r, s", "OUTPUT NAME(r) COMMA NAME(s) END");
    TOKENS("prefix autoencoder", "PREFIX NAME(autoencoder) END");
    TOKENS("dim n", "DIM NAME(n) END");
    NO_ERRORS();
}

static void test_keywords_are_names_elsewhere(void **state)
{
    (void)state;
    TOKENS("grad = 3", "NAME(grad) ASSIGN NUM(3) END");
    TOKENS("output \xe2\x88\x88 \xe2\x84\x9d", "NAME(output) ELEM REALS END");
    TOKENS("dim, n : scalar", "NAME(dim) COMMA NAME(n) COLON SCALAR END");
    TOKENS("L = grad x + dim", "NAME(L) ASSIGN NAME(grad) NAME(x) PLUS NAME(dim) END");
    TOKENS("prefix", "NAME(prefix) END");
    TOKENS("L = wrt", "NAME(L) ASSIGN NAME(wrt) END");
    TOKENS("grad L wrt wrt", "GRAD NAME(L) WRT NAME(wrt) END");
    TOKENS("output r wrt", "OUTPUT NAME(r) NAME(wrt) END");
    TOKENS("in = 2", "NAME(in) ASSIGN NUM(2) END");
    TOKENS("L = a in b", "NAME(L) ASSIGN NAME(a) NAME(in) NAME(b) END");
    TOKENS("L = for", "NAME(L) ASSIGN NAME(for) END");
    TOKENS("L = f(x for t)", "NAME(L) ASSIGN NAME(f) CALL_LPAREN NAME(x) NAME(for) NAME(t) "
                             "RPAREN END");
    TOKENS("x for t", "NAME(x) NAME(for) NAME(t) END");
    NO_ERRORS();
}

/* answer: a keyword before ∂ or a name; ∂ a token of its own */
static void test_answer(void **state)
{
    (void)state;
    TOKENS("answer \xe2\x88\x82L/\xe2\x88\x82W = W",
           "ANSWER PARTIAL NAME(L) SLASH PARTIAL NAME(W) ASSIGN NAME(W) END");
    TOKENS("answer dL/dW = W", "ANSWER NAME(dL) SLASH NAME(dW) ASSIGN NAME(W) END");
    TOKENS("answer \xe2\x88\x82\xc2\xb2L/\xe2\x88\x82w\xc2\xb2 = I",
           "ANSWER PARTIAL POWNUM(2) NAME(L) SLASH PARTIAL NAME(w) POWNUM(2) ASSIGN NAME(I) END");
    TOKENS("answer = 3", "NAME(answer) ASSIGN NUM(3) END");
    TOKENS("L = answer", "NAME(L) ASSIGN NAME(answer) END");
    NO_ERRORS();
}

static void test_for_after_a_definition(void **state)
{
    (void)state;
    TOKENS("L = a for t = 1..T",
           "NAME(L) ASSIGN NAME(a) FOR NAME(t) ASSIGN NUM(1) DOTDOT NAME(T) END");
    TOKENS("x[t] \xe2\x88\x88 \xe2\x84\x9d for t = 1..T",
           "NAME(x) LBRACK NAME(t) RBRACK ELEM REALS FOR NAME(t) ASSIGN NUM(1) DOTDOT "
           "NAME(T) END");
    TOKENS("x[t] : scalar for t = 1..T",
           "NAME(x) LBRACK NAME(t) RBRACK COLON SCALAR FOR NAME(t) ASSIGN NUM(1) DOTDOT "
           "NAME(T) END");
    TOKENS("x[t] \xe2\x88\x88 \xe2\x84\x9d^{m\xc3\x97n} for t = 1..T",
           "NAME(x) LBRACK NAME(t) RBRACK ELEM REALS CARET LBRACE NAME(m) TIMES NAME(n) RBRACE "
           "FOR NAME(t) ASSIGN NUM(1) DOTDOT NAME(T) END");
    NO_ERRORS();
}

/* ---- statement ends --------------------------------------------------------- */

static void test_newline_and_semicolon_end_statements(void **state)
{
    (void)state;
    TOKENS("a = 1\nb = 2\n", "NAME(a) ASSIGN NUM(1) END NAME(b) ASSIGN NUM(2) END");
    TOKENS("a = 1; b = 2", "NAME(a) ASSIGN NUM(1) END NAME(b) ASSIGN NUM(2) END");
    TOKENS("a = 1\r\nb = 2\r\n", "NAME(a) ASSIGN NUM(1) END NAME(b) ASSIGN NUM(2) END");
    TOKENS("a = 1", "NAME(a) ASSIGN NUM(1) END"); /* no newline at the end */
    NO_ERRORS();
}

static void test_empty_statements(void **state)
{
    (void)state;
    TOKENS("", "");
    TOKENS("\n\n\n", "");
    TOKENS(";;\n;", "");
    TOKENS("# only a comment", "");
    TOKENS("# one\n\n  # two\n", "");
    TOKENS("\n\na = 1 # a comment\n\n;; b\n", "NAME(a) ASSIGN NUM(1) END NAME(b) END");
    TOKENS("   \t  ", "");
    NO_ERRORS();
}

static void test_continuation_in_brackets(void **state)
{
    (void)state;
    TOKENS("a = (1\n+ 2)\n", "NAME(a) ASSIGN LPAREN NUM(1) PLUS NUM(2) RPAREN END");
    TOKENS("a = f(x,\ny)\n",
           "NAME(a) ASSIGN NAME(f) CALL_LPAREN NAME(x) COMMA NAME(y) RPAREN END");
    TOKENS("a = h[\nt]\n", "NAME(a) ASSIGN NAME(h) LBRACK NAME(t) RBRACK END");
    TOKENS("W \xe2\x88\x88 \xe2\x84\x9d^{m\n\xc3\x97 n}\n",
           "NAME(W) ELEM REALS CARET LBRACE NAME(m) TIMES NAME(n) RBRACE END");
    TOKENS("a = \xe2\x9f\xa8x\n, y\xe2\x9f\xa9\n", "NAME(a) ASSIGN LANGLE NAME(x) COMMA NAME(y) RANGLE END");
    TOKENS("a = (1 # comment\n+ 2)", "NAME(a) ASSIGN LPAREN NUM(1) PLUS NUM(2) RPAREN END");
    NO_ERRORS();
}

static void test_continuation_after_binary_operator(void **state)
{
    static const char *const ops[] = {
        "+", "-", "\xe2\x88\x92", "*", "\xc2\xb7", "\xe2\x8b\x85", "/", "\xe2\x8a\x99", ".*",
        "\xe2\x8a\x98", "./", ".^", "^", "=", ",",
    };
    size_t i;
    char text[64];
    const char *end;
    (void)state;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        snprintf(text, sizeof text, "a %s\n  b\n", ops[i]);
        lex(text);
        /* one statement: its only END is the last token */
        end = strstr(tokens_out, " END");
        assert_non_null(end);
        assert_string_equal(end, " END");
        assert_non_null(strstr(tokens_out, "NAME(b) END"));
        NO_ERRORS();
    }
    TOKENS("x \xe2\x88\x88\n \xe2\x84\x9d", "NAME(x) ELEM REALS END");
    TOKENS("x :\n scalar", "NAME(x) COLON SCALAR END");
    TOKENS("x in\n R", "NAME(x) IN REALS END");
    TOKENS("grad L wrt\n x", "GRAD NAME(L) WRT NAME(x) END");
    TOKENS("L = a +  # comment\n b", "NAME(L) ASSIGN NAME(a) PLUS NAME(b) END");
    TOKENS("L = a\n+ b", "NAME(L) ASSIGN NAME(a) END PLUS NAME(b) END");
    TOKENS("L = a \xe1\xb5\x80\nb", "NAME(L) ASSIGN NAME(a) TRANSPOSE END NAME(b) END");
    NO_ERRORS();
}

/* ---- bars ------------------------------------------------------------------- */

static void test_bars(void **state)
{
    (void)state;
    TOKENS("\xe2\x80\x96x\xe2\x80\x96", "NORM_OPEN NAME(x) NORM_CLOSE END");
    TOKENS("\xe2\x88\xa5x\xe2\x88\xa5", "NORM_OPEN NAME(x) NORM_CLOSE END"); /* ∥ */
    TOKENS("|x|", "BAR_OPEN NAME(x) BAR_CLOSE END");
    TOKENS("\xe2\x80\x96x\xe2\x80\x96\xe2\x82\x81", "NORM_OPEN NAME(x) NORM1_CLOSE END"); /* ‖x‖₁ */
    TOKENS("log|K|", "NAME(log) BAR_OPEN NAME(K) BAR_CLOSE END");
    TOKENS("\xe2\x80\x96\xe2\x80\x96x\xe2\x80\x96\xe2\x80\x96",
           "NORM_OPEN NORM_OPEN NAME(x) NORM_CLOSE NORM_CLOSE END");
    TOKENS("|x||y|", "BAR_OPEN NAME(x) BAR_CLOSE BAR_OPEN NAME(y) BAR_CLOSE END");
    TOKENS("\xe2\x80\x96x\xe2\x80\x96\xe2\x80\x96y\xe2\x80\x96",
           "NORM_OPEN NAME(x) NORM_CLOSE NORM_OPEN NAME(y) NORM_CLOSE END");
    TOKENS("\xe2\x80\x96|x|\xe2\x80\x96", "NORM_OPEN BAR_OPEN NAME(x) BAR_CLOSE NORM_CLOSE END");
    TOKENS("|\xe2\x80\x96x\xe2\x80\x96 y|",
           "BAR_OPEN NORM_OPEN NAME(x) NORM_CLOSE NAME(y) BAR_CLOSE END");
    TOKENS("\xe2\x80\x96x\xe1\xb5\x80\xe2\x80\x96\xc2\xb2",
           "NORM_OPEN NAME(x) TRANSPOSE NORM_CLOSE POWNUM(2) END");
    TOKENS("\xe2\x80\x96(x)\xe2\x80\x96 \xe2\x80\x96h[t]\xe2\x80\x96 |2|",
           "NORM_OPEN LPAREN NAME(x) RPAREN NORM_CLOSE NORM_OPEN NAME(h) LBRACK NAME(t) RBRACK "
           "NORM_CLOSE BAR_OPEN NUM(2) BAR_CLOSE END");
    TOKENS("\xe2\x80\x96x\xc2\xb2\xe2\x80\x96 |x\xe2\x81\xbb\xc2\xb9|",
           "NORM_OPEN NAME(x) POWNUM(2) NORM_CLOSE BAR_OPEN NAME(x) INVERSE BAR_CLOSE END");
    TOKENS("\xe2\x80\x96\xe2\x9f\xa8x, y\xe2\x9f\xa9\xe2\x80\x96",
           "NORM_OPEN LANGLE NAME(x) COMMA NAME(y) RANGLE NORM_CLOSE END");
    /* a bar after an operator opens */
    TOKENS("|x + |y||", "BAR_OPEN NAME(x) PLUS BAR_OPEN NAME(y) BAR_CLOSE BAR_CLOSE END");
    NO_ERRORS();
}

static void test_unclosed_norm(void **state)
{
    (void)state;
    /* the case of the acceptance suite: one error, at the second ‖ */
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xc2\xbd\xe2\x80\x96x\xe2\x80\x96\xc2\xb2 + "
           "\xe2\x80\x96x\ngrad L wrt x\n",
           "NAME(x) ELEM REALS CARET NAME(n) END "
           "NAME(L) ASSIGN NUM(0.5) NORM_OPEN NAME(x) NORM_CLOSE POWNUM(2) PLUS NORM_OPEN "
           "NAME(x) NORM_CLOSE* END "
           "GRAD NAME(L) WRT NAME(x) END");
    ERRORS("2:13: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
}

static void test_unclosed_bar(void **state)
{
    (void)state;
    TOKENS("L = |x", "NAME(L) ASSIGN BAR_OPEN NAME(x) BAR_CLOSE* END");
    ERRORS("1:5: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n");
    TOKENS("L = |x; M = 1", "NAME(L) ASSIGN BAR_OPEN NAME(x) BAR_CLOSE* END "
                             "NAME(M) ASSIGN NUM(1) END");
    ERRORS("1:5: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n");
    /* each open bar is reported, innermost closed first */
    TOKENS("L = |\xe2\x80\x96x", "NAME(L) ASSIGN BAR_OPEN NORM_OPEN NAME(x) NORM_CLOSE* BAR_CLOSE* END");
    ERRORS("1:5: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n"
           "1:6: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
}

static void test_norm_across_lines(void **state)
{
    (void)state;
    /* the line goes on, but the norm had to close on it: one error */
    TOKENS("L = \xe2\x80\x96x +\n y\xe2\x80\x96\n",
           "NAME(L) ASSIGN NORM_OPEN NAME(x) PLUS NAME(y) NORM_CLOSE END");
    ERRORS("1:5: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
    TOKENS("L = (\xe2\x80\x96x\n)\n",
           "NAME(L) ASSIGN LPAREN NORM_OPEN NAME(x) NORM_CLOSE* RPAREN END");
    ERRORS("1:6: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
}

static void test_bar_closed_by_bracket(void **state)
{
    (void)state;
    TOKENS("L = f(|x) + 1",
           "NAME(L) ASSIGN NAME(f) CALL_LPAREN BAR_OPEN NAME(x) BAR_CLOSE* RPAREN PLUS NUM(1) END");
    ERRORS("1:7: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n");
}

static void test_lone_bars(void **state)
{
    (void)state;
    TOKENS("\xe2\x80\x96", "NORM_OPEN NORM_CLOSE* END");
    ERRORS("1:1: unclosed \xe2\x80\x96 (a norm must close on the line where it opens)\n");
    TOKENS("|", "BAR_OPEN BAR_CLOSE* END");
    ERRORS("1:1: unclosed | (|\xe2\x80\xa6| must close on the line where it opens)\n");
}

static void test_norm1_bar_that_opens(void **state)
{
    (void)state;
    TOKENS("L = \xe2\x80\x96\xe2\x82\x81x\xe2\x80\x96", "NAME(L) ASSIGN NORM_OPEN NAME(x) NORM_CLOSE END");
    ERRORS("1:6: unexpected character '\xe2\x82\x81' (U+2081)\n");
}

/* ---- brackets left open ----------------------------------------------------- */

static void test_unclosed_brackets(void **state)
{
    (void)state;
    TOKENS("L = (a", "NAME(L) ASSIGN LPAREN NAME(a) RPAREN* END");
    ERRORS("1:5: unclosed '('\n");
    TOKENS("L = h[t", "NAME(L) ASSIGN NAME(h) LBRACK NAME(t) RBRACK* END");
    ERRORS("1:6: unclosed '['\n");
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^{n", "NAME(x) ELEM REALS CARET LBRACE NAME(n) RBRACE* END");
    ERRORS("1:7: unclosed '{'\n");
    TOKENS("L = \xe2\x9f\xa8x", "NAME(L) ASSIGN LANGLE NAME(x) RANGLE* END");
    ERRORS("1:5: unclosed '\xe2\x9f\xa8'\n");
    /* the outermost one only; `;` ends the statement too */
    TOKENS("L = f((a; M = 2\n",
           "NAME(L) ASSIGN NAME(f) CALL_LPAREN LPAREN NAME(a) RPAREN* RPAREN* END "
           "NAME(M) ASSIGN NUM(2) END");
    ERRORS("1:6: unclosed '('\n");
    /* a newline inside brackets does not end the statement; a bracket that
       swallowed later lines also fails the statement, with a made-up invalid
       token (?*) the parser reports nothing at, so the bracket is the one
       error (and L stays known, a failed definition) */
    TOKENS("L = (a\nM = 2\n", "NAME(L) ASSIGN LPAREN NAME(a) NAME(M) ASSIGN NUM(2) ?* RPAREN* END");
    ERRORS("1:5: unclosed '('\n");
}

static void test_stray_closers_and_mismatch(void **state)
{
    (void)state;
    TOKENS("L = a)", "NAME(L) ASSIGN NAME(a) RPAREN END");
    NO_ERRORS(); /* the grammar reports it */
    TOKENS("L = (a]\nM = 1",
           "NAME(L) ASSIGN LPAREN NAME(a) RBRACK NAME(M) ASSIGN NUM(1) ?* RPAREN* END");
    TOKENS("L = [(a]\nM = 1", "NAME(L) ASSIGN LBRACK LPAREN NAME(a) RBRACK END NAME(M) ASSIGN NUM(1) END");
    NO_ERRORS();
}

/* ---- characters ------------------------------------------------------------- */

static void test_stray_characters(void **state)
{
    (void)state;
    TOKENS("L = a ? b", "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:7: unexpected character '?'\n");
    TOKENS("L = $a ? b", "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:5: unexpected character '$'\n1:8: unexpected character '?'\n");
    TOKENS("L = \xe2\x84\xb5", "NAME(L) ASSIGN END"); /* ℵ */
    ERRORS("1:5: unexpected character '\xe2\x84\xb5' (U+2135)\n");
    TOKENS("L = a\x1b", "NAME(L) ASSIGN NAME(a) END");
    ERRORS("1:6: unexpected character U+001B\n");
    TOKENS("L = a . b", "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:7: unexpected character '.'\n");
    TOKENS("L = x.Tmax", "NAME(L) ASSIGN NAME(x) NAME(Tmax) END");
    ERRORS("1:6: unexpected character '.'\n");
    TOKENS("x \xe2\x82\x81", "NAME(x) END"); /* a subscript alone */
    ERRORS("1:3: unexpected character '\xe2\x82\x81' (U+2081)\n");
    TOKENS("L = a\xc2\xa0" "b", "NAME(L) ASSIGN NAME(a) NAME(b) END"); /* no-break space */
    ERRORS("1:6: unexpected character '\xc2\xa0' (U+00A0)\n");
    /* a run with nothing between is one error; a space ends it */
    TOKENS("L = a ???? b", "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:7: unexpected character '?', 4 in a row\n");
    TOKENS("L = a ?$` b ?", "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:7: unexpected character '?' and 2 more after it\n1:13: unexpected character '?'\n");
    TOKENS("L = \xe2\x84\xb5\xe2\x84\xb5 ? ?", "NAME(L) ASSIGN END");
    ERRORS("1:5: unexpected character '\xe2\x84\xb5' (U+2135), 2 in a row\n"
           "1:8: unexpected character '?'\n1:10: unexpected character '?'\n");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    assert_string_equal(lexn("L = a\0b\n\0", 9), "NAME(L) ASSIGN NAME(a) NAME(b) END");
    ERRORS("1:6: unexpected character U+0000\n2:1: unexpected character U+0000\n");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* err_bad_utf8 of the acceptance suite: the bytes are skipped */
    TOKENS("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xff\xfe x\nS = x\n",
           "NAME(x) ELEM REALS CARET NAME(n) END NAME(L) ASSIGN NAME(x) END "
           "NAME(S) ASSIGN NAME(x) END");
    ERRORS("2:5: invalid UTF-8 byte 0xFF\n");
    /* inside a name, a truncated sequence, in a comment */
    TOKENS("ab\xc3" "cd \xe2\x80 x # \xff\n", "NAME(ab) NAME(cd) NAME(x) END");
    ERRORS("1:3: invalid UTF-8 byte 0xC3\n1:7: invalid UTF-8 byte 0xE2\n"
           "1:14: invalid UTF-8 byte 0xFF\n");
    TOKENS("\xc0\x80", "");
    ERRORS("1:1: invalid UTF-8 byte 0xC0\n");
}

/* ---- after a syntax error --------------------------------------------------- */

static void test_syntax_error_ends_statement_at_newline(void **state)
{
    const char *text = "L = (a b ]\nM = 1\n";
    sg_src *src = sg_src_new("t.sg", text, strlen(text));
    sg_arena *arena = sg_arena_new();
    sg_lexer *lx = sg_lex_new(src, arena);
    sg_token t;
    int i;
    (void)state;
    for (i = 0; i < 6; i++) /* L = ( a b ] */
        sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_RBRACK);
    sg_lex_syntax_error(lx);
    sg_lex_next(lx, &t); /* the ( is not reported, and the line ends */
    assert_int_equal(t.kind, TK_RPAREN);
    assert_true(t.synthetic);
    assert_true(sg_lex_last_synthetic(lx));
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_END);
    assert_false(sg_lex_last_synthetic(lx));
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_NAME);
    assert_string_equal(t.name, "M");
    assert_int_equal(sg_src_nerrors(src), 0);
    sg_lex_free(lx);
    sg_arena_free(arena);
    sg_src_free(src);
}

static void test_syntax_error_on_end_keeps_next_statement(void **state)
{
    const char *text = "L =;\nM = (a\n+ b)\n";
    sg_src *src = sg_src_new("t.sg", text, strlen(text));
    sg_arena *arena = sg_arena_new();
    sg_lexer *lx = sg_lex_new(src, arena);
    sg_token t;
    (void)state;
    do /* the parser fails on END: the next statement goes on as usual */
        sg_lex_next(lx, &t);
    while (t.kind != TK_END);
    sg_lex_syntax_error(lx);
    sg_lex_next(lx, &t);
    assert_string_equal(t.name, "M");
    do
        sg_lex_next(lx, &t);
    while (t.kind != TK_END);
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_YYEOF);
    sg_lex_free(lx);
    sg_arena_free(arena);
    sg_src_free(src);
}

/* ---- spans ------------------------------------------------------------------ */

static void test_spans(void **state)
{
    const char *text = "W\xe2\x82\x81 = \xc2\xbd\xe2\x80\x96x\xe2\x80\x96\xc2\xb2 ^T\n";
    sg_src *src = sg_src_new("t.sg", text, strlen(text));
    sg_arena *arena = sg_arena_new();
    sg_lexer *lx = sg_lex_new(src, arena);
    static const unsigned want[][2] = {
        {0, 4}, {5, 6}, {7, 9}, {9, 12}, {12, 13}, {13, 16}, {16, 18}, {19, 21}, {21, 22},
    };
    sg_token t;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        sg_lex_next(lx, &t);
        assert_int_equal(t.span.begin, want[i][0]);
        assert_int_equal(t.span.end, want[i][1]);
    }
    assert_int_equal(t.kind, TK_END);
    sg_lex_next(lx, &t);
    assert_int_equal(t.kind, TK_YYEOF);
    assert_int_equal(t.span.begin, strlen(text));
    sg_lex_free(lx);
    sg_arena_free(arena);
    sg_src_free(src);
}

static void test_token_names(void **state)
{
    (void)state;
    assert_string_equal(sg_lex_token_name(TK_NORM_OPEN), "NORM_OPEN");
    assert_string_equal(sg_lex_token_name(TK_YYEOF), "EOF");
    assert_string_equal(sg_lex_token_name(-5), "?");
    assert_string_equal(sg_lex_token_name(100000), "?");
    assert_string_equal(sg_lex_token_text(TK_END), "end of line");
    assert_string_equal(sg_lex_token_text(TK_NAME), "a name");
    assert_string_equal(sg_lex_token_text(TK_NORM_CLOSE), "'\xe2\x80\x96'");
    assert_string_equal(sg_lex_token_text(TK_NAME_ALONE), "a token");
}

/* ---- the notations students type (√ π ℓ ℝⁿ ‖·‖₂ ‖·‖_F ||·|| @ Σ) ------------------ */

static void test_root_and_script_l(void **state)
{
    (void)state;
    TOKENS("√x", "ROOT NAME(x) END");
    TOKENS("√(a + b)", "ROOT LPAREN NAME(a) PLUS NAME(b) RPAREN END");
    TOKENS("a√b", "NAME(a) ROOT NAME(b) END");
    TOKENS("ℓ = ℓ₁ + xℓ", "NAME(ell) ASSIGN NAME(ell1) PLUS NAME(xell) END");
    TOKENS("π", "NAME(pi) END");
    NO_ERRORS();
    assert_string_equal(sg_lex_token_text(TK_ROOT), "'√'");
}

static void test_dimensions_in_superscript(void **state)
{
    (void)state;
    TOKENS("x ∈ ℝⁿ", "NAME(x) ELEM REALS CARET NAME(n) END");
    TOKENS("W ∈ ℝᵐˣⁿ", "NAME(W) ELEM REALS CARET LBRACE NAME(m) TIMES NAME(n) RBRACE END");
    TOKENS("b ∈ ℝ³", "NAME(b) ELEM REALS CARET NUM(3) END");
    TOKENS("A ∈ ℝᴺˣ¹⁰", "NAME(A) ELEM REALS CARET LBRACE NAME(N) TIMES NUM(10) RBRACE END");
    TOKENS("A ∈ ℝᵀˣᵈ", "NAME(A) ELEM REALS CARET LBRACE NAME(T) TIMES NAME(d) RBRACE END");
    TOKENS("S ∈ 𝕊ⁿ", "NAME(S) ELEM SYMSET CARET NAME(n) END");
    TOKENS("K ∈ 𝕊₊₊ᵈ", "NAME(K) ELEM SPDSET CARET NAME(d) END");
    TOKENS("y ∈ Δᵏ", "NAME(y) ELEM SIMPLEX CARET NAME(k) END");
    TOKENS("S ∈ 𝕊ᵐˣⁿ", "NAME(S) ELEM SYMSET CARET NAME(m) TIMES NAME(n) END");
    TOKENS("x[t] ∈ ℝᵏ for t = 1..T",
           "NAME(x) LBRACK NAME(t) RBRACK ELEM REALS CARET NAME(k) FOR NAME(t) ASSIGN NUM(1) "
           "DOTDOT NAME(T) END");
    NO_ERRORS();
    TOKENS("x ∈ ℝᵐⁿ", "NAME(x) ELEM REALS CARET NUM(1) END");
    ERRORS("1:6: a dimension in superscript is one letter or a number: ℝⁿ, ℝ³, ℝᵐˣⁿ (or "
           "write ℝ^{…})\n");
    TOKENS("x ∈ ℝᵐˣ", "NAME(x) ELEM REALS CARET NUM(1) END");
    ERRORS("1:6: a dimension in superscript is one letter or a number: ℝⁿ, ℝ³, ℝᵐˣⁿ (or "
           "write ℝ^{…})\n");
    TOKENS("x ∈ ℝᵐˣⁿˣᵏ", "NAME(x) ELEM REALS CARET NUM(1) END");
    TOKENS("x ∈ ℝ⁻¹", "NAME(x) ELEM REALS CARET NUM(1) END");
    ERRORS("1:6: a dimension in superscript is one letter or a number: ℝⁿ, ℝ³, ℝᵐˣⁿ (or "
           "write ℝ^{…})\n");
}

static void test_norm_spellings(void **state)
{
    (void)state;
    TOKENS("‖x‖₂", "NORM_OPEN NAME(x) NORM2_CLOSE END");
    TOKENS("‖x‖_2", "NORM_OPEN NAME(x) NORM2_CLOSE END");
    TOKENS("‖X‖_F", "NORM_OPEN NAME(X) NORM_CLOSE END");
    TOKENS("‖X‖_F²", "NORM_OPEN NAME(X) NORM_CLOSE POWNUM(2) END");
    TOKENS("‖x‖_1", "NORM_OPEN NAME(x) NORM1_CLOSE END");
    TOKENS("||x||", "NORM_OPEN NAME(x) NORM_CLOSE END");
    TOKENS("||x||^2", "NORM_OPEN NAME(x) NORM_CLOSE CARET NUM(2) END");
    TOKENS("||X||_F + ||x||_2 + ||x||_1", "NORM_OPEN NAME(X) NORM_CLOSE PLUS NORM_OPEN NAME(x) "
           "NORM2_CLOSE PLUS NORM_OPEN NAME(x) NORM1_CLOSE END");
    TOKENS("|| |x| ||", "NORM_OPEN BAR_OPEN NAME(x) BAR_CLOSE NORM_CLOSE END");
    /* || after an open |: the | closes, and the next one opens */
    TOKENS("|A||B|", "BAR_OPEN NAME(A) BAR_CLOSE BAR_OPEN NAME(B) BAR_CLOSE END");
    TOKENS("log|A||B|", "NAME(log) BAR_OPEN NAME(A) BAR_CLOSE BAR_OPEN NAME(B) BAR_CLOSE END");
    /* a subscript that is the start of a name is not the norm's */
    TOKENS("‖x‖_Fx", "NORM_OPEN NAME(x) NORM_CLOSE UNDERSCORE NAME(Fx) END");
    NO_ERRORS();
    TOKENS("L = ||x\n", "NAME(L) ASSIGN NORM_OPEN NAME(x) NORM_CLOSE* END");
    ERRORS("1:5: unclosed || (a norm must close on the line where it opens)\n");
    TOKENS("‖x||", "NORM_OPEN NAME(x) NORM_OPEN NORM_CLOSE* NORM_CLOSE* END");
    TOKENS("‖_F x‖", "NORM_OPEN NAME(x) NORM_CLOSE END");
    ERRORS("1:2: unexpected character '_'\n");
    assert_string_equal(sg_lex_token_text(TK_NORM2_CLOSE), "'‖₂'");
}

static void test_at_is_a_product(void **state)
{
    (void)state;
    TOKENS("A @ x", "NAME(A) AT NAME(x) END");
    TOKENS("A@B@x", "NAME(A) AT NAME(B) AT NAME(x) END");
    TOKENS("L = A @\n x", "NAME(L) ASSIGN NAME(A) AT NAME(x) END"); /* a binary operator */
    NO_ERRORS();
    assert_string_equal(sg_lex_token_text(TK_AT), "'@'");
}

static void test_sigma_as_a_name(void **state)
{
    (void)state;
    /* the summation sign until declared */
    TOKENS("L = Σ_{t=1}^T x[t]", "NAME(L) ASSIGN SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN NUM(1) "
           "RBRACE CARET NAME(T) NAME(x) LBRACK NAME(t) RBRACK END");
    TOKENS("Σ ∈ 𝕊₊₊^d\nL = xᵀΣx\ngrad L wrt Σ",
           "NAME(Sigma) ELEM SPDSET CARET NAME(d) END NAME(L) ASSIGN NAME(x) TRANSPOSE "
           "NAME(Sigma) NAME(x) END GRAD NAME(L) WRT NAME(Sigma) END");
    TOKENS("x, Σ : spd(d)\nΣ", "NAME(x) COMMA NAME(Sigma) COLON SPD LPAREN NAME(d) RPAREN END "
           "NAME(Sigma) END");
    TOKENS("Σ in R\nΣ", "NAME(Sigma) IN REALS END NAME(Sigma) END");
    TOKENS("Σ = XᵀX\nΣ(a)", "NAME(Sigma) ASSIGN NAME(X) TRANSPOSE NAME(X) END NAME(Sigma) "
           "CALL_LPAREN NAME(a) RPAREN END");
    TOKENS("Σ[t] ∈ ℝ\nΣ", "NAME(Sigma) LBRACK NAME(t) RBRACK ELEM REALS END NAME(Sigma) END");
    /* ∑ is always the sign; Σ elsewhere does not declare */
    TOKENS("Σ ∈ ℝ\nL = ∑_{t=1}^T Σ", "NAME(Sigma) ELEM REALS END NAME(L) ASSIGN SIGMA UNDERSCORE "
           "LBRACE NAME(t) ASSIGN NUM(1) RBRACE CARET NAME(T) NAME(Sigma) END");
    TOKENS("L = a, Σ = b\nΣ _", "NAME(L) ASSIGN NAME(a) COMMA NAME(Sigma) ASSIGN NAME(b) END SIGMA "
           "UNDERSCORE END");
    /* a Σ that is no sum is a name, undefined unless declared */
    TOKENS("L = xᵀΣx", "NAME(L) ASSIGN NAME(x) TRANSPOSE NAME(Sigma) NAME(x) END");
    TOKENS("Σ x", "SIGMA NAME(x) END");
    NO_ERRORS();
    TOKENS("Σ ∈ ℝ\nL = Σ_{t=1}^T x[t]",
           "NAME(Sigma) ELEM REALS END NAME(L) ASSIGN SIGMA UNDERSCORE LBRACE NAME(t) ASSIGN "
           "NUM(1) RBRACE CARET NAME(T) NAME(x) LBRACK NAME(t) RBRACK END");
    ERRORS("2:5: Σ is a name in this file (it is declared or defined): write ∑_{…} or "
           "sum(t = …) for a sum\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_operators),
        cmocka_unit_test(test_postfix_operators),
        cmocka_unit_test(test_caret_that_is_a_power),
        cmocka_unit_test(test_brackets),
        cmocka_unit_test(test_sigma_upper_limit_T),
        cmocka_unit_test(test_call_paren_only_right_after_a_name),
        cmocka_unit_test(test_declarations_unicode),
        cmocka_unit_test(test_declarations_ascii),
        cmocka_unit_test(test_declaration_words_are_names_elsewhere),
        cmocka_unit_test(test_sequence_declaration),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_vulgar_fractions),
        cmocka_unit_test(test_number_too_large),
        cmocka_unit_test(test_subscript_digits),
        cmocka_unit_test(test_greek_lowercase),
        cmocka_unit_test(test_greek_capitals),
        cmocka_unit_test(test_sigma_and_delta_are_not_letters),
        cmocka_unit_test(test_greek_in_names),
        cmocka_unit_test(test_ones_and_eye),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_long_name),
        cmocka_unit_test(test_statement_keywords),
        cmocka_unit_test(test_keywords_are_names_elsewhere),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_for_after_a_definition),
        cmocka_unit_test(test_newline_and_semicolon_end_statements),
        cmocka_unit_test(test_empty_statements),
        cmocka_unit_test(test_continuation_in_brackets),
        cmocka_unit_test(test_continuation_after_binary_operator),
        cmocka_unit_test(test_bars),
        cmocka_unit_test(test_unclosed_norm),
        cmocka_unit_test(test_unclosed_bar),
        cmocka_unit_test(test_norm_across_lines),
        cmocka_unit_test(test_bar_closed_by_bracket),
        cmocka_unit_test(test_lone_bars),
        cmocka_unit_test(test_norm1_bar_that_opens),
        cmocka_unit_test(test_unclosed_brackets),
        cmocka_unit_test(test_stray_closers_and_mismatch),
        cmocka_unit_test(test_stray_characters),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_syntax_error_ends_statement_at_newline),
        cmocka_unit_test(test_syntax_error_on_end_keeps_next_statement),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_token_names),
        cmocka_unit_test(test_root_and_script_l),
        cmocka_unit_test(test_dimensions_in_superscript),
        cmocka_unit_test(test_norm_spellings),
        cmocka_unit_test(test_at_is_a_product),
        cmocka_unit_test(test_sigma_as_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
