/*
 * formula.c: expressions as text, the way they are written on paper.
 *
 * The printer walks the DAG as a tree and prints each node at one of six
 * precedence levels (sum < ⊙ and / < juxtaposition < negation < postfix <
 * atom; juxtaposition binds tighter than ⊙ on paper, and a product next to a
 * ⊙ is parenthesized anyway, so the text reads the same either way). A child is
 * printed into a scratch buffer first, and put in parentheses only when its
 * level is below what its parent's operator needs, so that the text has
 * exactly the parentheses the reading requires: Wᵀ(Wx) − x, not
 * ((Wᵀ)(Wx)) − x. Products keep the association of the DAG (the C printer
 * computes Wᵀ(Wx), and the formula says so); sums read left to right.
 *
 * The canonical forms of expr.c are undone for reading: (−1)·a prints as
 * −a, a + (−c)·b as a − cb, (1/s)·a as a/s, ⟨a, a⟩ as ‖a‖², ⟨a, b⟩ of
 * vectors as aᵀb.
 */
#include "formula.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* precedence levels: sums; ⊙ ⊘ and /; juxtaposition; −a; aᵀ a²; atoms */
enum { P_SUM = 1, P_OP, P_PROD, P_NEG, P_POST, P_ATOM };

/* marks where two factors were run together (Wx), so that the next
   juxtaposition sees x, not Wx, as the last word; removed before output */
#define JOIN '\001'


typedef struct {
    const sg_ctx *ctx;
    int ascii;
    sg_fmt_namer namer; /* NULL: nodes with a name print as it */
    void *arg;
} F;

static int pr(F *f, sg_buf *b, const sg_expr *e, int root);

/* ---- names and numbers --------------------------------------------------- */

static const char *const greek[][2] = {
    {"alpha", "α"},   {"beta", "β"},    {"gamma", "γ"},   {"delta", "δ"},
    {"epsilon", "ε"}, {"zeta", "ζ"},    {"eta", "η"},     {"theta", "θ"},
    {"iota", "ι"},    {"kappa", "κ"},   {"lambda", "λ"},  {"mu", "μ"},
    {"nu", "ν"},      {"xi", "ξ"},      {"omicron", "ο"}, {"pi", "π"},
    {"rho", "ρ"},     {"sigma", "σ"},   {"tau", "τ"},     {"upsilon", "υ"},
    {"phi", "φ"},     {"chi", "χ"},     {"psi", "ψ"},     {"omega", "ω"},
    {"Gamma", "Γ"},   {"Delta", "Δ"},   {"Theta", "Θ"},   {"Lambda", "Λ"},
    {"Xi", "Ξ"},      {"Pi", "Π"},      {"Sigma", "Σ"},   {"Upsilon", "Υ"},
    {"Phi", "Φ"},     {"Psi", "Ψ"},     {"Omega", "Ω"},
};

static const char *const subdigit[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
static const char *const supdigit[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};

void sg_fmt_name(sg_buf *out, const char *name, int ascii)
{
    size_t n = strlen(name), stem = n, i;
    if (ascii) {
        sg_buf_puts(out, name);
        return;
    }
    /* a run of digits after letters is a subscript: W1 → W₁ */
    while (stem > 0 && name[stem - 1] >= '0' && name[stem - 1] <= '9')
        stem--;
    if (stem == 0 || name[stem - 1] == '_')
        stem = n;
    for (i = 0; i < sizeof greek / sizeof greek[0]; i++)
        if (strlen(greek[i][0]) == stem && strncmp(name, greek[i][0], stem) == 0)
            break;
    if (i < sizeof greek / sizeof greek[0])
        sg_buf_puts(out, greek[i][1]);
    else
        sg_buf_putn(out, name, stem);
    for (i = stem; i < n; i++)
        sg_buf_puts(out, subdigit[name[i] - '0']);
}

/* the shortest %g that reads back as v, without an exponent when more
   digits avoid one (10, not 1e+01) */
static void num_text(char *s, size_t size, double v)
{
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(s, size, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    for (; strchr(s, 'e') && prec < 17; prec++)
        snprintf(s, size, "%.*g", prec + 1, v);
    if (strchr(s, 'e')) /* too large or too small for digits alone */
        for (prec = 1; prec <= 17; prec++) {
            snprintf(s, size, "%.*g", prec, v);
            if (strtod(s, NULL) == v)
                break;
        }
}

/* a nonnegative number; returns P_ATOM */
static int pr_num(F *f, sg_buf *b, double v)
{
    char s[40];
    if (!f->ascii) {
        if (v == 0.5) {
            sg_buf_puts(b, "½");
            return P_ATOM;
        }
        if (v == 0.25) {
            sg_buf_puts(b, "¼");
            return P_ATOM;
        }
        if (v == 0.75) {
            sg_buf_puts(b, "¾");
            return P_ATOM;
        }
    }
    if (isinf(v)) {
        sg_buf_puts(b, f->ascii ? "inf" : "∞");
        return P_ATOM;
    }
    num_text(s, sizeof s, v);
    sg_buf_puts(b, s);
    return P_ATOM;
}

static const char *minus(F *f)
{
    return f->ascii ? "-" : "−";
}

/* a signed number */
static int pr_const(F *f, sg_buf *b, double v)
{
    if (v < 0 || (v == 0 && signbit(v))) {
        sg_buf_puts(b, minus(f));
        pr_num(f, b, -v);
        return P_NEG;
    }
    return pr_num(f, b, v);
}

/* ---- structure helpers ----------------------------------------------------- */

static int is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

/* the name e prints as, or NULL to print its formula */
static const char *name_of(F *f, const sg_expr *e, int root)
{
    if (root)
        return NULL;
    if (f->namer)
        return f->namer(f->arg, e);
    return e->name;
}

/* e prints as −(c·x) with c > 0 (x NULL: e is the constant −c) */
static int negative(F *f, const sg_expr *e, int root, double *c, const sg_expr **x)
{
    if (name_of(f, e, root))
        return 0;
    if (e->op == SG_OP_CONST && e->value < 0) {
        *c = -e->value;
        *x = NULL;
        return 1;
    }
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0 &&
        !name_of(f, e->kid[0], 0)) {
        *c = -e->kid[0]->value;
        *x = e->kid[1];
        return 1;
    }
    return 0;
}

/* s when e is 1/s (as HDIV(1, s) or s^−1), else NULL */
static const sg_expr *reciprocal(F *f, const sg_expr *e)
{
    if (name_of(f, e, 0) || !is_scalar(e))
        return NULL;
    if (e->op == SG_OP_HDIV && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == 1)
        return e->kid[1];
    if (e->op == SG_OP_POW && e->kid[1]->op == SG_OP_CONST && e->kid[1]->value == -1)
        return e->kid[0];
    return NULL;
}

/* prints e, in parentheses when its level is below min */
static int sub(F *f, sg_buf *b, const sg_expr *e, int min)
{
    sg_buf t;
    int p;
    sg_buf_init(&t);
    p = pr(f, &t, e, 0);
    if (p < min) {
        sg_buf_putc(b, '(');
        sg_buf_puts(b, sg_buf_str(&t));
        sg_buf_putc(b, ')');
        p = P_ATOM;
    } else {
        sg_buf_puts(b, sg_buf_str(&t));
    }
    sg_buf_free(&t);
    return p;
}

/* is the UTF-8 sequence at s a letter that may be part of a name? */
static int name_char(const unsigned char *s, int *len)
{
    if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
        (s[0] >= '0' && s[0] <= '9') || s[0] == '_' || s[0] == '.') {
        *len = 1;
        return 1;
    }
    if ((s[0] == 0xCE && s[1] >= 0x91) || (s[0] == 0xCF && s[1] <= 0x89)) { /* Greek */
        *len = 2;
        return 1;
    }
    return 0;
}

/* the characters of the word that starts s (digits and letters) */
static int lead_word(const char *s, int *is_number)
{
    int n = 0, len;
    *is_number = s[0] >= '0' && s[0] <= '9';
    while (*s && name_char((const unsigned char *)s, &len)) {
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            *is_number = 0;
        s += len;
        n++;
    }
    return n;
}

/* a sub- or superscript that ends a factor: ᵀ ² ³ ¹ ⁻ ⁴…⁹ ₀…₉ */
static int is_mark(const unsigned char *s, size_t n)
{
    if (n == 2 && s[0] == 0xC2 && (s[1] == 0xB2 || s[1] == 0xB3 || s[1] == 0xB9))
        return 1;
    if (n == 3 && s[0] == 0xE2 && (s[1] == 0x81 || s[1] == 0x82))
        return 1;
    return n == 3 && s[0] == 0xE1 && s[1] == 0xB5 && s[2] == 0x80;
}

/* the characters of the word that ends s, after its sub- and superscripts */
static int tail_word(const char *s, size_t n, int *is_number)
{
    int count = 0, len;
    size_t i = n, j;
    *is_number = 0;
    for (;;) { /* skip the trailing marks */
        if (i == 0 || !((unsigned char)s[i - 1] & 0x80))
            break;
        j = i - 1;
        while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
            j--;
        if (name_char((const unsigned char *)s + j, &len))
            break;
        if ((i - j == 2 && (!strncmp(s + j, "½", 2) || !strncmp(s + j, "¼", 2) ||
                            !strncmp(s + j, "¾", 2)))) {
            *is_number = 1;
            return 1;
        }
        if (!is_mark((const unsigned char *)s + j, i - j))
            return 0; /* ) ‖ ⟩ | or a symbol: no word */
        i = j;
    }
    *is_number = 1;
    while (i > 0) {
        j = i - 1;
        while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
            j--;
        if (!name_char((const unsigned char *)s + j, &len))
            break;
        if (!((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
            *is_number = 0;
        count++;
        i = j;
    }
    if (count == 0)
        *is_number = 0;
    return count;
}

/*
 * Juxtaposes two printed factors. On paper single letters run together (Wx,
 * Wᵀ(Wx), 2x, ½‖r‖²) and longer names stand apart (yᵀ log(s), W_hh h).
 */
static void juxtapose(F *f, sg_buf *b, const char *l, const char *r)
{
    int lnum, rnum, lw, rw;
    sg_buf_puts(b, l);
    if (f->ascii) {
        sg_buf_puts(b, " * ");
    } else {
        lw = tail_word(l, strlen(l), &lnum);
        rw = lead_word(r, &rnum);
        /* a JOIN between run-together factors ends a word; finish() drops it */
        sg_buf_putc(b, (lw > 1 && !lnum) || rw > 1 || (lnum && rnum) ? ' ' : JOIN);
    }
    sg_buf_puts(b, r);
}

/* l r as a product: l at product level, r tighter (rmin) */
static int pr_product(F *f, sg_buf *b, const sg_expr *l, const sg_expr *r, int rmin)
{
    sg_buf lb, rb;
    sg_buf_init(&lb);
    sg_buf_init(&rb);
    sub(f, &lb, l, P_PROD);
    sub(f, &rb, r, rmin);
    juxtapose(f, b, sg_buf_str(&lb), sg_buf_str(&rb));
    sg_buf_free(&lb);
    sg_buf_free(&rb);
    return P_PROD;
}

/* c·x for a constant c > 0 (x may be NULL: just c) */
static int pr_scaled(F *f, sg_buf *b, double c, const sg_expr *x, int min)
{
    sg_buf nb, xb;
    int p;
    if (!x)
        return pr_num(f, b, c);
    if (c == 1)
        return sub(f, b, x, min);
    sg_buf_init(&nb);
    sg_buf_init(&xb);
    pr_num(f, &nb, c);
    sub(f, &xb, x, P_PROD);
    juxtapose(f, b, sg_buf_str(&nb), sg_buf_str(&xb));
    sg_buf_free(&nb);
    sg_buf_free(&xb);
    p = P_PROD;
    return p;
}

static int pr_call(F *f, sg_buf *b, const char *fn, const sg_expr *a)
{
    sg_buf_puts(b, fn);
    sg_buf_putc(b, '(');
    pr(f, b, a, 0);
    sg_buf_putc(b, ')');
    return P_ATOM;
}

/* l op r for ⊙ ⊘ and scalar division: a product on the right is parenthesized */
static int pr_binop(F *f, sg_buf *b, const sg_expr *l, const char *op, const sg_expr *r)
{
    sub(f, b, l, P_OP);
    sg_buf_puts(b, op);
    sub(f, b, r, P_NEG);
    return P_OP;
}

/* a superscript exponent for small integers, else NULL */
static int superscript(sg_buf *b, double p)
{
    int k;
    if (p != floor(p) || p < -9 || p > 9 || p == 0 || p == 1)
        return 0;
    k = (int)p;
    if (k < 0) {
        sg_buf_puts(b, "⁻");
        k = -k;
    }
    sg_buf_puts(b, supdigit[k]);
    return 1;
}

static int pr_pow(F *f, sg_buf *b, const sg_expr *a, const sg_expr *p)
{
    int scalar = is_scalar(a);
    sub(f, b, a, P_ATOM);
    if (!f->ascii && scalar && p->op == SG_OP_CONST && superscript(b, p->value))
        return P_POST;
    sg_buf_puts(b, scalar ? "^" : ".^");
    if (p->op == SG_OP_CONST && !name_of(f, p, 0)) { /* 0.5, not ½, as an exponent */
        char num[40];
        num_text(num, sizeof num, fabs(p->value));
        sg_buf_printf(b, p->value < 0 ? "(%s%s)" : "%s%s", p->value < 0 ? minus(f) : "", num);
    } else {
        sub(f, b, p, P_ATOM);
    }
    return P_POST;
}

/* the ones vector or matrix of a shape: 𝟙, 𝟙ᵀ, 𝟙𝟙ᵀ (ASCII: ones(n), …) */
static int pr_ones(F *f, sg_buf *b, sg_shape s)
{
    const sg_diminfo *r = sg_diminfo_of(f->ctx, s.rows), *c = sg_diminfo_of(f->ctx, s.cols);
    if (f->ascii) {
        char num[32];
        sg_buf_puts(b, "ones(");
        if (s.rows == SG_DIM_ONE) {
            snprintf(num, sizeof num, "%ld", c->value);
            sg_buf_puts(b, c->name ? c->name : num);
            sg_buf_puts(b, ")'");
            return P_POST;
        }
        snprintf(num, sizeof num, "%ld", r->value);
        sg_buf_puts(b, r->name ? r->name : num);
        if (s.cols != SG_DIM_ONE) {
            snprintf(num, sizeof num, "%ld", c->value);
            sg_buf_puts(b, ", ");
            sg_buf_puts(b, c->name ? c->name : num);
        }
        sg_buf_putc(b, ')');
        return P_ATOM;
    }
    if (s.rows == SG_DIM_ONE) {
        sg_buf_puts(b, "𝟙ᵀ");
        return P_POST;
    }
    if (s.cols == SG_DIM_ONE) {
        sg_buf_puts(b, "𝟙");
        return P_ATOM;
    }
    sg_buf_puts(b, "𝟙𝟙ᵀ");
    return P_PROD;
}

static int pr_dim(F *f, sg_buf *b, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(f->ctx, d);
    if (di->name)
        sg_fmt_name(b, di->name, f->ascii);
    else
        sg_buf_printf(b, "%ld", di->value);
    return P_ATOM;
}

static int pr_add(F *f, sg_buf *b, const sg_expr *e)
{
    double c;
    const sg_expr *x;
    sg_buf rb;
    sub(f, b, e->kid[0], P_SUM);
    if (negative(f, e->kid[1], 0, &c, &x)) {
        sg_buf_puts(b, f->ascii ? " - " : " − ");
        pr_scaled(f, b, c, x, P_OP);
        return P_SUM;
    }
    sg_buf_puts(b, " + ");
    sg_buf_init(&rb);
    sub(f, &rb, e->kid[1], P_SUM);
    if (strncmp(sg_buf_str(&rb), minus(f), strlen(minus(f))) == 0) {
        sg_buf_putc(b, '(');
        sg_buf_puts(b, sg_buf_str(&rb));
        sg_buf_putc(b, ')');
    } else {
        sg_buf_puts(b, sg_buf_str(&rb));
    }
    sg_buf_free(&rb);
    return P_SUM;
}

static int pr_mul(F *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *a = e->kid[0], *x = e->kid[1], *s;
    double c;
    const sg_expr *y;
    if (is_scalar(a) && negative(f, e, 1, &c, &y)) { /* −a, −2a */
        sg_buf_puts(b, minus(f));
        pr_scaled(f, b, c, y, P_OP);
        return P_NEG;
    }
    if (is_scalar(a) && (s = reciprocal(f, a)) != NULL) { /* x/s */
        sub(f, b, x, P_OP);
        sg_buf_puts(b, f->ascii ? " / " : "/");
        sub(f, b, s, P_POST);
        return P_OP;
    }
    if (is_scalar(a) && a->op == SG_OP_CONST && !name_of(f, a, 0))
        return pr_scaled(f, b, a->value, x, P_PROD);
    if (is_scalar(a) || is_scalar(x)) /* scaling commutes: a(Wx) reads aWx */
        return pr_product(f, b, a, x, P_PROD);
    return pr_product(f, b, a, x, P_POST);
}

static int pr_dot(F *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *x = e->kid[0], *y = e->kid[1];
    if (x == y) {
        if (f->ascii)
            pr_call(f, b, "norm", x);
        else {
            sg_buf_puts(b, "‖");
            pr(f, b, x, 0);
            sg_buf_puts(b, "‖");
        }
        sg_buf_puts(b, f->ascii ? "^2" : "²");
        return P_POST;
    }
    if (x->shape.cols == SG_DIM_ONE) { /* xᵀy */
        sg_buf lb, rb;
        sg_buf_init(&lb);
        sg_buf_init(&rb);
        sub(f, &lb, x, P_ATOM);
        sg_buf_puts(&lb, f->ascii ? "'" : "ᵀ");
        sub(f, &rb, y, P_POST);
        juxtapose(f, b, sg_buf_str(&lb), sg_buf_str(&rb));
        sg_buf_free(&lb);
        sg_buf_free(&rb);
        return P_PROD;
    }
    sg_buf_puts(b, f->ascii ? "dot(" : "⟨");
    pr(f, b, x, 0);
    sg_buf_puts(b, ", ");
    pr(f, b, y, 0);
    sg_buf_puts(b, f->ascii ? ")" : "⟩");
    return P_ATOM;
}

/* ‖a‖ ‖a‖₁ |a| log|a| in Unicode */
static int pr_bars(F *f, sg_buf *b, const char *open, const sg_expr *a, const char *close)
{
    sg_buf_puts(b, open);
    pr(f, b, a, 0);
    sg_buf_puts(b, close);
    return P_ATOM;
}

static int pr(F *f, sg_buf *b, const sg_expr *e, int root)
{
    const char *name = name_of(f, e, root);
    const sg_expr *a = e->nkids > 0 ? e->kid[0] : NULL;
    int u = !f->ascii;
    if (name) {
        if (f->namer)
            sg_buf_puts(b, name);
        else
            sg_fmt_name(b, name, f->ascii);
        return P_ATOM;
    }
    switch (e->op) {
    case SG_OP_VAR:
        sg_fmt_name(b, sg_sym(f->ctx, e->sym)->name, f->ascii);
        return P_ATOM;
    case SG_OP_CONST:
        return pr_const(f, b, e->value);
    case SG_OP_DIMVAL:
        return pr_dim(f, b, e->dim);
    case SG_OP_ZERO:
        sg_buf_putc(b, '0');
        return P_ATOM;
    case SG_OP_ONES:
        return pr_ones(f, b, e->shape);
    case SG_OP_EYE:
        if (u) {
            sg_buf_puts(b, "I");
            return P_ATOM;
        }
        sg_buf_puts(b, "eye(");
        pr_dim(f, b, e->shape.rows);
        sg_buf_putc(b, ')');
        return P_ATOM;
    case SG_OP_ADD:
        return pr_add(f, b, e);
    case SG_OP_MUL:
        return pr_mul(f, b, e);
    case SG_OP_TRANSPOSE:
        sub(f, b, a, P_ATOM);
        sg_buf_puts(b, u ? "ᵀ" : "'");
        return P_POST;
    case SG_OP_FILL: {
        sg_buf sb, ob;
        sg_buf_init(&sb);
        sg_buf_init(&ob);
        sub(f, &sb, a, P_PROD);
        pr_ones(f, &ob, e->shape);
        juxtapose(f, b, sg_buf_str(&sb), sg_buf_str(&ob));
        sg_buf_free(&sb);
        sg_buf_free(&ob);
        return P_PROD;
    }
    case SG_OP_SUM:
        return pr_call(f, b, "sum", a);
    case SG_OP_TRACE:
        return pr_call(f, b, "tr", a);
    case SG_OP_DOT:
        return pr_dot(f, b, e);
    case SG_OP_DIAG: case SG_OP_DIAGV:
        return pr_call(f, b, "diag", a);
    case SG_OP_HADAMARD:
        return pr_binop(f, b, a, u ? " ⊙ " : " .* ", e->kid[1]);
    case SG_OP_HDIV:
        if (is_scalar(e))
            return pr_binop(f, b, a, u ? "/" : " / ", e->kid[1]);
        return pr_binop(f, b, a, u ? " ⊘ " : " ./ ", e->kid[1]);
    case SG_OP_POW:
        return pr_pow(f, b, a, e->kid[1]);
    case SG_OP_SQRT:
        if (u) {
            sg_buf_puts(b, "√");
            sub(f, b, a, P_ATOM);
            return P_ATOM;
        }
        return pr_call(f, b, "sqrt", a);
    case SG_OP_ABS:
        if (u && is_scalar(a))
            return pr_bars(f, b, "|", a, "|");
        return pr_call(f, b, "abs", a);
    case SG_OP_SIGMOID:
        return pr_call(f, b, u ? "σ" : "sigmoid", a);
    case SG_OP_EXP: case SG_OP_LOG: case SG_OP_SIN: case SG_OP_COS: case SG_OP_TANH:
    case SG_OP_RELU: case SG_OP_SWISH: case SG_OP_SOFTPLUS: case SG_OP_LOG1P:
    case SG_OP_EXPM1: case SG_OP_SIGN: case SG_OP_STEP: case SG_OP_SOFTMAX:
    case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        return pr_call(f, b, sg_op_name(e->op), a);
    case SG_OP_NORM:
        return u ? pr_bars(f, b, "‖", a, "‖") : pr_call(f, b, "norm", a);
    case SG_OP_NORM1:
        return u ? pr_bars(f, b, "‖", a, "‖₁") : pr_call(f, b, "norm1", a);
    case SG_OP_INV:
        if (!u)
            return pr_call(f, b, "inv", a);
        sub(f, b, a, P_ATOM);
        sg_buf_puts(b, "⁻¹");
        return P_POST;
    case SG_OP_DET:
        return u ? pr_bars(f, b, "|", a, "|") : pr_call(f, b, "det", a);
    case SG_OP_LOGDET:
        return u ? pr_bars(f, b, "log|", a, "|") : pr_call(f, b, "logdet", a);
    default:
        sg_buf_puts(b, "?");
        return P_ATOM;
    }
}

/* appends the printed text of t to out without its JOIN marks */
static void finish(sg_buf *out, sg_buf *t)
{
    const char *s = sg_buf_str(t);
    for (; *s; s++)
        if (*s != JOIN)
            sg_buf_putc(out, *s);
    sg_buf_free(t);
}

void sg_fmt_expr(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii)
{
    sg_buf t;
    F f;
    f.ctx = ctx;
    f.ascii = ascii;
    f.namer = NULL;
    f.arg = NULL;
    sg_buf_init(&t);
    pr(&f, &t, e, 1);
    finish(out, &t);
}

void sg_fmt_expr_named(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii,
                       sg_fmt_namer namer, void *arg)
{
    sg_buf t;
    F f;
    f.ctx = ctx;
    f.ascii = ascii;
    f.namer = namer;
    f.arg = arg;
    sg_buf_init(&t);
    pr(&f, &t, e, 1);
    finish(out, &t);
}

void sg_fmt_result_name(sg_buf *out, const sg_result *r, int ascii)
{
    const char *d = ascii ? "d" : "∂";
    switch (r->kind) {
    case SG_RES_VALUE:
        sg_fmt_name(out, r->of ? r->of : r->cname, ascii);
        return;
    case SG_RES_GRAD: case SG_RES_JACOBIAN:
        sg_buf_puts(out, d);
        sg_fmt_name(out, r->of, ascii);
        sg_buf_printf(out, "/%s", d);
        sg_fmt_name(out, r->wrt, ascii);
        return;
    case SG_RES_HESSIAN:
        sg_buf_puts(out, d);
        sg_buf_puts(out, ascii ? "2" : "²");
        sg_fmt_name(out, r->of, ascii);
        sg_buf_printf(out, "/%s", d);
        sg_fmt_name(out, r->wrt, ascii);
        if (r->wrt2 && strcmp(r->wrt2, r->wrt) != 0) {
            sg_buf_puts(out, d);
            sg_fmt_name(out, r->wrt2, ascii);
        } else {
            sg_buf_puts(out, ascii ? "2" : "²");
        }
        return;
    }
}

/* ---- --formulas ------------------------------------------------------------ */

typedef struct {
    const sg_expr **list; /* named nodes to define, as found */
    int n, cap;
    unsigned char *seen;  /* by node id */
} defs;

/* finds the named nodes that e prints in terms of, and theirs in turn */
static void collect(defs *d, const sg_expr *e, int root)
{
    int i;
    if (d->seen[e->id] & (root ? 1 : 2))
        return;
    d->seen[e->id] |= root ? 1 : 2;
    if (e->name && !root) {
        if (!(d->seen[e->id] & 4)) {
            d->seen[e->id] |= 4;
            if (d->n == d->cap) {
                d->cap = d->cap ? 2 * d->cap : 16;
                d->list = sg_xrealloc(d->list, (size_t)d->cap * sizeof *d->list);
            }
            d->list[d->n++] = e;
            collect(d, e, 1);
        }
        return;
    }
    for (i = 0; i < e->nkids; i++)
        collect(d, e->kid[i], 0);
}

static int by_id(const void *a, const void *b)
{
    unsigned x = (*(const sg_expr *const *)a)->id, y = (*(const sg_expr *const *)b)->id;
    return x < y ? -1 : x > y;
}

char *sg_fmt_problem(const sg_problem *p, int ascii, size_t *len)
{
    sg_buf b;
    defs d;
    int i, j;
    sg_buf_init(&b);
    memset(&d, 0, sizeof d);
    d.seen = sg_xmalloc(sg_expr_count(p->ctx) + 1);
    memset(d.seen, 0, sg_expr_count(p->ctx) + 1);
    for (i = 0; i < p->nresults; i++)
        collect(&d, p->results[i].expr, 1);
    if (d.n > 1)
        qsort(d.list, (size_t)d.n, sizeof *d.list, by_id);
    for (i = 0; i < d.n; i++) {
        sg_fmt_name(&b, d.list[i]->name, ascii);
        sg_buf_puts(&b, " = ");
        sg_fmt_expr(&b, p->ctx, d.list[i], ascii);
        sg_buf_putc(&b, '\n');
    }
    for (i = 0; i < p->nresults; i++) {
        const sg_result *r = &p->results[i];
        int done = 0;
        if (r->kind == SG_RES_VALUE)
            for (j = 0; j < d.n; j++)
                if (d.list[j] == r->expr && r->of && !strcmp(d.list[j]->name, r->of))
                    done = 1;
        if (done)
            continue;
        sg_fmt_result_name(&b, r, ascii);
        sg_buf_puts(&b, " = ");
        sg_fmt_expr(&b, p->ctx, r->expr, ascii);
        sg_buf_putc(&b, '\n');
    }
    free(d.list);
    free(d.seen);
    return sg_buf_take(&b, len);
}
