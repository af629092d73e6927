/*
 * formula.c: expressions as text, the way they are written on paper.
 *
 * The printer walks the DAG as a tree and prints each node at one of six
 * precedence levels (sum < ⊙ and / < juxtaposition < negation < postfix <
 * atom; juxtaposition binds tighter than ⊙ on paper, and a product next to a
 * ⊙ is parenthesized anyway, so the text reads the same either way). A child is
 * printed into a scratch buffer first, and put in parentheses only when its
 * level is below what its parent's operator needs, so that the text has
 * exactly the parentheses the reading requires: WᵀWx − x, not
 * ((Wᵀ)(Wx)) − x. A chain of matrix products prints flat, WᵀWx whether the
 * DAG holds Wᵀ(Wx) or (WᵀW)x: the product is associative, and the order the C
 * printer computes it in is not for reading. Sums read left to right.
 *
 * The canonical forms of expr.c are undone for reading: (−1)·a prints as
 * −a, a + (−c)·b as a − cb, (1/s)·a as a/s, c·(1/s)·t·a as cta/s, ⟨a, a⟩ as
 * ‖a‖², ⟨a, b⟩ of vectors as aᵀb. A Kronecker product prints as A ⊗ B at
 * ⊙'s level (ASCII kron(A, B)), the commutation matrix as K_{m,n}, and a
 * product dimension (the length of a matrix's vec) as mn (ASCII m*n).
 *
 * Three alphabets share the one walk: Unicode, ASCII and LaTeX (for the
 * derivation printer, latex.c and tex_*.c: W^\top x, \lVert r\rVert^{2}, \frac{a}{N},
 * h_{t-1}). Each place that writes a symbol picks the spelling of the
 * alphabet; the structure, and so the parentheses, are the same in all three.
 * The words themselves (names, numbers, the spacing between juxtaposed
 * factors) are spelled by fmt_words.c.
 *
 * What prints as a name is the caller's: a node's own name (a definition),
 * or a namer's. fmt_problem.c decides it for --formulas, the C printer for
 * its comments; fmt_rewrite.c prints the identities of the stability
 * rewrites.
 */
#include "formula.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "fmt_words.h"


/* precedence levels: sums; ⊙ ⊘ and /; juxtaposition; −a; aᵀ a²; atoms */
enum {
    P_SUM = SG_FMT_SUM,
    P_OP = SG_FMT_OP,
    P_PROD = SG_FMT_PROD,
    P_NEG = SG_FMT_NEG,
    P_POST = SG_FMT_POST,
    P_ATOM = SG_FMT_ATOM
};

/* marks where two factors were run together (Wx), so that the next
   juxtaposition sees x, not Wx, as the last word; removed before output */
#define JOIN SG_FMT_JOIN


/* the printer's state for one formula: the alphabet, who names nodes,
   and how many nodes it may still print */
typedef struct {
    const sg_ctx *ctx;
    int ascii;          /* the ASCII alphabet */
    int tex;            /* the LaTeX alphabet */
    sg_fmt_namer namer; /* NULL: nodes with a name print as it */
    void *arg;
    int (*level)(void *arg, const sg_expr *e); /* of a name the namer gave */
    int breaks;         /* mark the top-level sum's break points */
    const sg_expr *top; /* the sum whose terms are top-level, while printing it */
    long left;          /* nodes still to print before the rest is elided */
} printer;

/*
 * The most nodes one formula prints. A DAG printed as a tree can be
 * exponentially larger than the DAG (xₖ = 2xₖ₋₁ ⊙ xₖ₋₁ with the scalars
 * pulled out, so no name stops it); past this the rest prints as "…".
 * A sum of 20,000 distinct terms is about 40,000 nodes, under it.
 */
#define PRINT_NODES 100000L

static int pr(printer *f, sg_buf *b, const sg_expr *e, int root);

static void f_init(printer *f, const sg_ctx *ctx, int alphabet, sg_fmt_namer namer, void *arg)
{
    memset(f, 0, sizeof *f);
    f->ctx = ctx;
    f->ascii = alphabet == SG_FMT_ASCII;
    f->tex = alphabet == SG_FMT_LATEX;
    f->namer = namer;
    f->arg = arg;
    f->left = PRINT_NODES;
}

/* a number's text, in LaTeX 1.5 \cdot 10^{-7} for 1.5e-07 */
static void pr_num_text(printer *f, sg_buf *b, double v)
{
    char s[FMT_NUM_TEXT], *e;
    fmt_num_text(s, sizeof s, v);
    if (f->tex && (e = strchr(s, 'e')) != NULL) {
        long x = strtol(e + 1, NULL, 10);
        *e = '\0';
        if (strcmp(s, "1") != 0)
            sg_buf_printf(b, "%s \\cdot ", s);
        sg_buf_printf(b, "10^{%ld}", x);
        return;
    }
    sg_buf_puts(b, s);
}

/* a nonnegative number; returns P_ATOM */
static int pr_num(printer *f, sg_buf *b, double v)
{
    static const struct {
        double v;
        const char *uni, *tex;
    } fractions[] = {{0.5, "½", "\\tfrac{1}{2}"}, {0.25, "¼", "\\tfrac{1}{4}"},
                     {0.75, "¾", "\\tfrac{3}{4}"}};
    /* the constants π and the ones derivatives bring (erf′ = (2/√π)e^{−x²},
       log₂′ = 1/(x log(2))) by name, not as 17 digits: the double each is (π
       is what the checker makes of π; the others what the rules fold). A
       quotient is printed in parentheses, so that it is one factor wherever
       it stands (a coefficient is juxtaposed with what it scales) */
    static const struct {
        double v;
        const char *uni, *ascii, *tex;
        int level; /* 2π is a product: parenthesized after a / */
    } constants[] = {
        {3.141592653589793, "π", "pi", "\\pi", P_ATOM},
        {6.283185307179586, "2π", "2pi", "2\\pi", P_PROD},
        {1.1283791670955126, "(2/√π)", "(2/sqrt(pi))", "\\frac{2}{\\sqrt{\\pi}}", P_ATOM},
        {1.4426950408889634, "(1/log(2))", "(1/log(2))", "\\frac{1}{\\ln 2}", P_ATOM},
        {0.6931471805599453, "log(2)", "log(2)", "\\ln 2", P_ATOM},
        /* a Gaussian's normalizer, folded: ½log(2π), log(2π), √(2π), 1/√(2π) */
        {0.9189385332046727, "½log(2π)", "0.5 * log(2pi)", "\\tfrac{1}{2}\\ln(2\\pi)", P_PROD},
        {1.8378770664093453, "log(2π)", "log(2pi)", "\\ln(2\\pi)", P_ATOM},
        {2.5066282746310002, "√(2π)", "sqrt(2pi)", "\\sqrt{2\\pi}", P_ATOM},
        {0.3989422804014327, "(1/√(2π))", "(1/sqrt(2pi))", "\\frac{1}{\\sqrt{2\\pi}}", P_ATOM},
    };
    size_t i;
    if (!f->ascii)
        for (i = 0; i < sizeof fractions / sizeof fractions[0]; i++)
            if (v == fractions[i].v) {
                sg_buf_puts(b, f->tex ? fractions[i].tex : fractions[i].uni);
                return P_ATOM;
            }
    if (isinf(v)) {
        sg_buf_puts(b, f->ascii ? "inf" : f->tex ? "\\infty" : "∞");
        return P_ATOM;
    }
    for (i = 0; i < sizeof constants / sizeof constants[0]; i++)
        if (v == constants[i].v) {
            sg_buf_puts(b, f->tex ? constants[i].tex : f->ascii ? constants[i].ascii
                                                               : constants[i].uni);
            return constants[i].level;
        }
    pr_num_text(f, b, v);
    return P_ATOM;
}

static const char *minus(printer *f)
{
    return f->ascii || f->tex ? "-" : "−";
}

/* a signed number */
static int pr_const(printer *f, sg_buf *b, double v)
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

static int is_leaf(const sg_expr *e)
{
    return e->nkids == 0;
}

/* the name e prints as, or NULL to print its formula */
static const char *name_of(printer *f, const sg_expr *e, int root)
{
    if (root)
        return NULL;
    if (f->namer)
        return f->namer(f->arg, e);
    return e->name;
}

/* e prints as −(c·x) with c > 0 (x NULL: e is the constant −c) */
static int negative(printer *f, const sg_expr *e, int root, double *c, const sg_expr **x)
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
static const sg_expr *reciprocal(printer *f, const sg_expr *e)
{
    if (name_of(f, e, 0) || !is_scalar(e))
        return NULL;
    if (e->op == SG_OP_HDIV && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == 1)
        return e->kid[1];
    if (e->op == SG_OP_POW && e->kid[1]->op == SG_OP_CONST && e->kid[1]->value == -1)
        return e->kid[0];
    return NULL;
}

/* LaTeX that stands taller than a line: its parentheses grow with it */
static int tall(const char *s)
{
    return strstr(s, "\\frac{") || strstr(s, "\\sum") || strstr(s, "\\left(") ||
           strstr(s, "\\Bigl(");
}

/* (s) in the alphabet; in LaTeX sized to a tall s, with \Bigl( when s holds
   break marks (\left…\right could not break across lines) */
static void parens(printer *f, sg_buf *b, const char *s)
{
    int big = f->tex && tall(s), breakable = big && strchr(s, SG_FMT_BREAK) && strlen(s) > 160;
    sg_buf_puts(b, breakable ? "\\Bigl(" : big ? "\\left(" : "(");
    sg_buf_puts(b, s);
    sg_buf_puts(b, breakable ? "\\Bigr)" : big ? "\\right)" : ")");
}

/* the printed t (level p) appended to b, in parentheses when wrap, and
   freed; returns the level it has there */
static int put_sub(printer *f, sg_buf *b, sg_buf *t, int p, int wrap)
{
    if (wrap) {
        parens(f, b, sg_buf_str(t));
        p = P_ATOM;
    } else {
        sg_buf_puts(b, sg_buf_str(t));
    }
    sg_buf_free(t);
    return p;
}

/* prints e, in parentheses when its level is below min */
static int sub(printer *f, sg_buf *b, const sg_expr *e, int min)
{
    sg_buf t;
    int p;
    sg_buf_init(&t);
    p = pr(f, &t, e, 0);
    return put_sub(f, b, &t, p, p < min);
}

/* l r as juxtaposed factors (sg_fmt_juxtapose) */
static void juxtapose(printer *f, sg_buf *b, const char *l, const char *r)
{
    sg_buf_puts(b, l);
    sg_fmt_juxtapose(b, r, f->tex ? SG_FMT_LATEX : f->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE);
}

/*
 * e as the right factor of a product: another product runs on flat (WᵀWx),
 * but a negation or a number in front would read wrong (W(−x), W(2x)).
 */
static int sub_right(printer *f, sg_buf *b, const sg_expr *e)
{
    sg_buf t;
    int p;
    sg_buf_init(&t);
    p = pr(f, &t, e, 0);
    return put_sub(f, b, &t, p,
                   (p < P_PROD && !(e->op == SG_OP_SEQSUM && !name_of(f, e, 0))) || p == P_NEG ||
                       (!name_of(f, e, 0) && e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST));
}

/* l r as a product, flat: l at product level, r as a right factor */
static int pr_product(printer *f, sg_buf *b, const sg_expr *l, const sg_expr *r)
{
    sg_buf lb, rb;
    sg_buf_init(&lb);
    sg_buf_init(&rb);
    sub(f, &lb, l, P_PROD);
    sub_right(f, &rb, r);
    juxtapose(f, b, sg_buf_str(&lb), sg_buf_str(&rb));
    sg_buf_free(&lb);
    sg_buf_free(&rb);
    return P_PROD;
}

/*
 * s when e is (1/s)·y or ((1/s)·t)·y, with *t (or NULL) and *y set: such a
 * scaling prints as ty/s.
 */
static const sg_expr *over(printer *f, const sg_expr *e, const sg_expr **t, const sg_expr **y)
{
    const sg_expr *a, *s;
    if (e->op != SG_OP_MUL || name_of(f, e, 0) || !is_scalar(e->kid[0]))
        return NULL;
    a = e->kid[0];
    *y = e->kid[1];
    *t = NULL;
    if ((s = reciprocal(f, a)) != NULL)
        return s;
    if (a->op == SG_OP_MUL && !name_of(f, a, 0) && is_scalar(a->kid[1]) &&
        (s = reciprocal(f, a->kid[0])) != NULL) {
        *t = a->kid[1];
        return s;
    }
    return NULL;
}

/* \frac{num}{den}: a fraction is one symbol on the page, but a postfix
   operator after it still wants parentheses */
static int pr_frac(printer *f, sg_buf *b, const char *num, const sg_expr *den)
{
    sg_buf_printf(b, "\\frac{%s}{", num);
    pr(f, b, den, 0);
    sg_buf_putc(b, '}');
    return P_PROD;
}

/* the scale c t in front of a quotient, into the empty out: c (when it is
   not 1, or with one when there is no t) and t, juxtaposed */
static void pr_coef(printer *f, sg_buf *out, double c, const sg_expr *t, int one)
{
    if (c != 1 || (one && !t))
        pr_num(f, out, c);
    if (t) {
        sg_buf tb;
        sg_buf_init(&tb);
        sub(f, &tb, t, P_PROD);
        if (c != 1) {
            sg_buf x;
            sg_buf_init(&x);
            juxtapose(f, &x, sg_buf_str(out), sg_buf_str(&tb));
            sg_buf_free(out);
            *out = x;
        } else {
            sg_buf_puts(out, sg_buf_str(&tb));
        }
        sg_buf_free(&tb);
    }
}

/* c t y / s, for a constant c > 0 (1: none) and t possibly NULL */
static int pr_over(printer *f, sg_buf *b, double c, const sg_expr *t, const sg_expr *y,
                   const sg_expr *s)
{
    sg_buf num;
    sg_buf_init(&num);
    if (c == 1 && !t) {
        if (f->tex)
            pr(f, &num, y, 0);
        else
            sub(f, &num, y, P_OP);
    } else {
        sg_buf nb, yb;
        sg_buf_init(&nb);
        sg_buf_init(&yb);
        pr_coef(f, &nb, c, t, 0);
        sub_right(f, &yb, y);
        juxtapose(f, &num, sg_buf_str(&nb), sg_buf_str(&yb));
        sg_buf_free(&nb);
        sg_buf_free(&yb);
    }
    if (f->tex) {
        int p;
        if (!(is_leaf(y) || name_of(f, y, 0))) { /* \frac{1}{N}X^\top(p - y) */
            sg_buf sc, yb;
            sg_buf_init(&sc);
            sg_buf_init(&yb);
            pr_coef(f, &sc, c, t, 1);
            pr_frac(f, &yb, sg_buf_str(&sc), s);
            sg_buf_free(&sc);
            sg_buf_init(&sc);
            sub_right(f, &sc, y);
            juxtapose(f, b, sg_buf_str(&yb), sg_buf_str(&sc));
            sg_buf_free(&sc);
            sg_buf_free(&yb);
            sg_buf_free(&num);
            return P_PROD;
        }
        p = pr_frac(f, b, sg_buf_str(&num), s);
        sg_buf_free(&num);
        return p;
    }
    sg_buf_puts(b, sg_buf_str(&num));
    sg_buf_free(&num);
    sg_buf_puts(b, f->ascii ? " / " : "/");
    sub(f, b, s, P_POST);
    return P_OP;
}

static int pr_sprod(printer *f, sg_buf *b, const sg_expr *e, double c0);

/* c·x for a constant c > 0 (x may be NULL: just c) */
static int pr_scaled(printer *f, sg_buf *b, double c, const sg_expr *x, int min)
{
    sg_buf nb, xb;
    const sg_expr *t, *y, *s;
    int p;
    if (!x)
        return pr_num(f, b, c);
    if (((x->op == SG_OP_MUL && is_scalar(x->kid[0])) ||
         (x->op == SG_OP_HDIV && is_scalar(x->kid[1]))) && !name_of(f, x, 0) &&
        (p = pr_sprod(f, b, x, c)) != 0)
        return p;
    if ((s = over(f, x, &t, &y)) != NULL)
        return pr_over(f, b, c, t, y, s);
    if (c == 1)
        return sub(f, b, x, min);
    sg_buf_init(&nb);
    sg_buf_init(&xb);
    pr_num(f, &nb, c);
    sub_right(f, &xb, x);
    juxtapose(f, b, sg_buf_str(&nb), sg_buf_str(&xb));
    sg_buf_free(&nb);
    sg_buf_free(&xb);
    p = P_PROD;
    return p;
}

static int pr_call(printer *f, sg_buf *b, const char *fn, const sg_expr *a)
{
    sg_buf t;
    sg_buf_puts(b, fn);
    sg_buf_init(&t);
    pr(f, &t, a, 0);
    parens(f, b, sg_buf_str(&t));
    sg_buf_free(&t);
    return P_ATOM;
}

/* l op r for ⊙ ⊘ and scalar division: a product on the right is parenthesized */
static int pr_binop(printer *f, sg_buf *b, const sg_expr *l, const char *op, const sg_expr *r)
{
    sub(f, b, l, P_OP);
    if (f->breaks && op[0] == ' ') /* a line may break before ⊙ and ⊘ too */
        sg_buf_putc(b, SG_FMT_BREAK);
    sg_buf_puts(b, op);
    sub(f, b, r, P_NEG);
    return P_OP;
}

static int pr_pow(printer *f, sg_buf *b, const sg_expr *a, const sg_expr *p)
{
    int scalar = is_scalar(a);
    sub(f, b, a, P_ATOM);
    if (f->tex) { /* a^{2}, and the Hadamard power x^{\circ 2} */
        sg_buf_puts(b, scalar ? "^{" : "^{\\circ ");
        if (p->op == SG_OP_CONST && !name_of(f, p, 0)) {
            if (p->value < 0)
                sg_buf_putc(b, '-');
            pr_num_text(f, b, fabs(p->value));
        } else {
            pr(f, b, p, 0);
        }
        sg_buf_putc(b, '}');
        return P_POST;
    }
    if (!f->ascii && scalar && p->op == SG_OP_CONST && fmt_superscript(b, p->value))
        return P_POST;
    sg_buf_puts(b, scalar ? "^" : ".^");
    if (p->op == SG_OP_CONST && !name_of(f, p, 0)) { /* 0.5, not ½, as an exponent */
        char num[FMT_NUM_TEXT];
        fmt_num_text(num, sizeof num, fabs(p->value));
        sg_buf_printf(b, p->value < 0 ? "(%s%s)" : "%s%s", p->value < 0 ? minus(f) : "", num);
    } else {
        sub(f, b, p, P_ATOM);
    }
    return P_POST;
}

/* a dimension: its name, or its size */
static int pr_dim(printer *f, sg_buf *b, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(f->ctx, d);
    if (di->factor[0] >= 0) { /* a product: mn (ASCII m*n) */
        pr_dim(f, b, di->factor[0]);
        if (f->ascii)
            sg_buf_putc(b, '*');
        pr_dim(f, b, di->factor[1]);
    } else if (di->name)
        sg_fmt_name(b, di->name, f->tex ? SG_FMT_LATEX : f->ascii);
    else
        sg_buf_printf(b, "%ld", di->value);
    return P_ATOM;
}

/* the ones vector or matrix of a shape: 𝟙, 𝟙ᵀ, 𝟙𝟙ᵀ (ASCII: ones(n), …) */
static int pr_ones(printer *f, sg_buf *b, sg_shape s)
{
    const char *one = f->tex ? "\\mathbf{1}" : "𝟙", *t = f->tex ? "^\\top" : "ᵀ";
    if (f->ascii) {
        sg_buf_puts(b, "ones(");
        if (s.rows == SG_DIM_ONE) {
            pr_dim(f, b, s.cols);
            sg_buf_puts(b, ")'");
            return P_POST;
        }
        pr_dim(f, b, s.rows);
        if (s.cols != SG_DIM_ONE) {
            sg_buf_puts(b, ", ");
            pr_dim(f, b, s.cols);
        }
        sg_buf_putc(b, ')');
        return P_ATOM;
    }
    if (s.rows == SG_DIM_ONE) {
        sg_buf_printf(b, "%s%s", one, t);
        return P_POST;
    }
    if (s.cols == SG_DIM_ONE) {
        sg_buf_puts(b, one);
        return P_ATOM;
    }
    sg_buf_printf(b, "%s%s%s", one, one, t);
    return P_PROD;
}

/* c𝟙 for a fill of the constant c·sign: 2𝟙, −𝟙 */
static int pr_fill(printer *f, sg_buf *b, const sg_expr *e, int sign)
{
    double c = e->kid[0]->value * sign;
    sg_buf nb, ob;
    if (c < 0)
        sg_buf_puts(b, minus(f));
    if (fabs(c) == 1) {
        pr_ones(f, b, e->shape);
        return c < 0 ? P_NEG : P_PROD;
    }
    sg_buf_init(&nb);
    sg_buf_init(&ob);
    pr_num(f, &nb, fabs(c));
    pr_ones(f, &ob, e->shape);
    juxtapose(f, b, sg_buf_str(&nb), sg_buf_str(&ob));
    sg_buf_free(&nb);
    sg_buf_free(&ob);
    return c < 0 ? P_NEG : P_PROD;
}

static int is_const_fill(printer *f, const sg_expr *e)
{
    return e->op == SG_OP_FILL && !name_of(f, e, 0) && e->kid[0]->op == SG_OP_CONST &&
           !name_of(f, e->kid[0], 0);
}

/* the sum e's terms print at the top level too (a break may go between them) */
static int sub_term(printer *f, sg_buf *b, const sg_expr *e, int top)
{
    const sg_expr *saved = f->top;
    int p;
    if (top && e->op == SG_OP_ADD && !name_of(f, e, 0))
        f->top = e;
    p = sub(f, b, e, P_SUM);
    f->top = saved;
    return p;
}

/* the right term of the sum s, with its operator: a − 𝟙, a − cx, a + y */
static void pr_add_right(printer *f, sg_buf *b, const sg_expr *s, int top)
{
    double c;
    const sg_expr *x;
    sg_buf rb;
    const char *brk = f->breaks ? "\002" : ""; /* latex.c breaks where TeX allows */
    const char *op_minus = f->ascii || f->tex ? " - " : " − ";
    if (is_const_fill(f, s->kid[1]) && s->kid[1]->kid[0]->value < 0) { /* a − 𝟙 */
        sg_buf_printf(b, "%s%s", brk, op_minus);
        pr_fill(f, b, s->kid[1], -1);
        return;
    }
    if (negative(f, s->kid[1], 0, &c, &x)) {
        sg_buf_printf(b, "%s%s", brk, op_minus);
        pr_scaled(f, b, c, x, P_OP);
        return;
    }
    sg_buf_init(&rb);
    sub_term(f, &rb, s->kid[1], top);
    /* a + (−t) is a − t: a term that prints with a leading minus reads as
       the negation of the rest (unary minus binds looser than a product and
       an exponent, and a sum is associative), so the minus becomes the
       operator */
    if (strncmp(sg_buf_str(&rb), minus(f), strlen(minus(f))) == 0)
        sg_buf_printf(b, "%s%s%s", brk, op_minus, sg_buf_str(&rb) + strlen(minus(f)));
    else
        sg_buf_printf(b, "%s + %s", brk, sg_buf_str(&rb));
    sg_buf_free(&rb);
}

/*
 * a + b + c + …: a sum leans left, and its depth is its number of terms, so
 * the unnamed sums down its left side are printed in a loop, first term
 * first, into one buffer (recursing there overflowed the stack at 10,000
 * terms, and copied each prefix once more per level).
 */
static int pr_add(printer *f, sg_buf *b, const sg_expr *e)
{
    int top = f->breaks && f->top == e;
    const sg_expr **spine = NULL, *x = e;
    size_t cap = 0;
    int n = 0, i;
    while (x->op == SG_OP_ADD && (x == e || !name_of(f, x, 0))) {
        SG_GROW(spine, n, cap, SG_GROW_MAX, "terms in one sum");
        spine[n++] = x;
        x = x->kid[0];
    }
    sub_term(f, b, x, top);
    for (i = n - 1; i >= 0; i--)
        pr_add_right(f, b, spine[i], top);
    free((void *)spine);
    return P_SUM;
}

/*
 * A product of scalars, as a person writes it: every scalar factor of e
 * (through scalings, scalar quotients, reciprocals and integer powers),
 * the numbers multiplied out, a factor met again a power (s·s is s², s/s
 * nothing), and what divides in one denominator under one fraction bar:
 * (1/s)(1/s)(1/n)cᵀr c is cᵀr c/(ns²), never a fraction in a fraction. At
 * most one factor is not a scalar (the body: c), and it comes last.
 */
typedef struct {
    const sg_expr *e;
    int pow; /* > 0: in the numerator; < 0: in the denominator */
} scalar_factor;

typedef struct {
    double c;            /* the number in front, its sign included */
    scalar_factor *v;
    int n;
    size_t cap;
    const sg_expr *body; /* the one factor that is not a scalar, or NULL */
    int bad;             /* not a product of this kind (two bodies) */
    int merged;          /* a factor was met twice (a power now) */
    int den_bar;         /* the numerator is alone above a fraction bar */
    int visits;          /* nodes walked: a DAG shares, its tree can be exponential */
} scalar_product;

#define SPROD_DEPTH 200   /* deeper, a factor stays whole (no recursion past it) */
#define SPROD_VISITS 4096 /* more, and the product prints the ordinary way */

static void sp_add(scalar_product *p, const sg_expr *e, int pow)
{
    int i;
    for (i = 0; i < p->n; i++)
        if (p->v[i].e == e) {
            p->v[i].pow += pow;
            p->merged = 1;
            return;
        }
    /* one factor a visit: never past the visits a product may take */
    SG_GROW(p->v, p->n, p->cap, SPROD_VISITS, "factors in one product");
    p->v[p->n].e = e;
    p->v[p->n].pow = pow;
    p->n++;
}

/* an integer power −9..9 (not 0), or 0 */
static int small_power(const sg_expr *x)
{
    if (x->op != SG_OP_CONST || x->value != floor(x->value) || fabs(x->value) > 9)
        return 0;
    return (int)x->value;
}

/* the largest power a collected factor gets: a square of a square … of a
   DAG (x₁ = x₀x₀, x₂ = x₁x₁, …) is walked once per level, not once per
   path, and past this power the base stays a factor of its own */
#define SPROD_POWER 64

/* e into p as a factor to the power side (negative: a divisor) */
static void sp_collect(printer *f, scalar_product *p, const sg_expr *e, int side, int depth)
{
    const sg_expr *s;
    int k;
    if (++p->visits > SPROD_VISITS) {
        p->bad = 1;
        return;
    }
    /* e itself is printed whole at depth 0 (its name, if any, is the left side) */
    if ((depth == 0 || !name_of(f, e, 0)) && depth < SPROD_DEPTH) {
        if (e->op == SG_OP_CONST && (side > 0 || e->value != 0)) {
            p->c *= pow(e->value, side);
            return;
        }
        if (e->op == SG_OP_MUL && is_scalar(e->kid[0]) && (side == 1 || is_scalar(e))) {
            if (e->kid[0] == e->kid[1] && abs(2 * side) <= SPROD_POWER) { /* a·a is a² */
                p->merged = 1;
                sp_collect(f, p, e->kid[0], 2 * side, depth + 1);
                return;
            }
            if (e->kid[0] != e->kid[1]) {
                sp_collect(f, p, e->kid[0], side, depth + 1);
                sp_collect(f, p, e->kid[1], side, depth + 1);
                return;
            }
        }
        if (is_scalar(e) && (s = reciprocal(f, e)) != NULL) {
            sp_collect(f, p, s, -side, depth + 1);
            return;
        }
        if (e->op == SG_OP_HDIV && is_scalar(e->kid[1]) && (side == 1 || is_scalar(e))) {
            sp_collect(f, p, e->kid[0], side, depth + 1);
            sp_collect(f, p, e->kid[1], -side, depth + 1);
            return;
        }
        if (e->op == SG_OP_POW && is_scalar(e) && (k = small_power(e->kid[1])) != 0 &&
            !name_of(f, e->kid[1], 0) && abs(side * k) <= SPROD_POWER) {
            sp_collect(f, p, e->kid[0], side * k, depth + 1);
            return;
        }
    }
    if (!is_scalar(e)) {
        if (p->body || side != 1)
            p->bad = 1;
        p->body = e;
        return;
    }
    sp_add(p, e, side);
}

/* an inner product (𝟙ᵀv, uᵀv, xᵀAy): in front of a vector it is put in
   parentheses, (𝟙ᵀv)z, as pr_mul() does */
static int inner_product(printer *f, const sg_expr *a)
{
    return f->tex && is_scalar(a) && !name_of(f, a, 0) &&
           ((a->op == SG_OP_MUL && !is_scalar(a->kid[0])) ||
            (a->op == SG_OP_SUM && a->kid[0]->shape.cols == SG_DIM_ONE) ||
            (a->op == SG_OP_DOT && a->kid[0] != a->kid[1] && a->kid[0]->shape.cols == SG_DIM_ONE));
}

/* the factors on one side (sign +1 numerator, −1 denominator), juxtaposed:
   dimensions and other atoms first (ns², not s²n), a power as x^k; an
   inner product in parentheses when a vector follows (body) */
static void sp_side(printer *f, sg_buf *out, const scalar_product *p, int sign, int body)
{
    int pass, i, n = 0;
    for (i = 0; i < p->n; i++)
        n += p->v[i].pow * sign > 0;
    /* alone between the braces of \frac, a sum needs no parentheses */
    if (f->tex && !body && n == 1 && !out->len && !(sign > 0 && !p->den_bar)) {
        for (i = 0; i < p->n; i++)
            if (p->v[i].pow * sign == 1) {
                pr(f, out, p->v[i].e, 0);
                return;
            }
    }
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < p->n; i++) {
            const scalar_factor *v = &p->v[i];
            int k = v->pow * sign;
            sg_buf t;
            if (k <= 0 || (pass == 0) != (v->e->op == SG_OP_DIMVAL))
                continue;
            sg_buf_init(&t);
            if (k == 1 && body && inner_product(f, v->e)) {
                sg_buf in;
                sg_buf_init(&in);
                pr(f, &in, v->e, 0);
                parens(f, &t, sg_buf_str(&in));
                sg_buf_free(&in);
            } else if (k == 1) {
                sub(f, &t, v->e, P_PROD);
            } else {
                sub(f, &t, v->e, P_ATOM);
                if (f->tex)
                    sg_buf_printf(&t, "^{%d}", k);
                else if (f->ascii)
                    sg_buf_printf(&t, "^%d", k);
                else if (!fmt_superscript(&t, k))
                    fmt_sup_digits(&t, k); /* ⁶⁴: a digit at a time */
            }
            if (out->len) {
                sg_buf j;
                sg_buf_init(&j);
                juxtapose(f, &j, sg_buf_str(out), sg_buf_str(&t));
                out->len = 0;
                sg_buf_puts(out, sg_buf_str(&j));
                sg_buf_free(&j);
            } else {
                sg_buf_puts(out, sg_buf_str(&t));
            }
            sg_buf_free(&t);
        }
}

/* the printed parts of a product of scalars: the number in front (its
   magnitude, when it is not moved into the denominator), the numerator's
   factors, the denominator's and the body */
typedef struct {
    double c;
    int nden; /* factors in the denominator */
    sg_buf num, den, body;
} sp_text;

/* no denominator: s·s·x prints s²x */
static int sp_print_plain(printer *f, sg_buf *b, const scalar_product *p, sg_buf *num,
                          const sg_buf *bb)
{
    if (!num->len)
        sg_buf_puts(num, p->body ? "" : "1");
    if (num->len && bb->len)
        juxtapose(f, b, sg_buf_str(num), sg_buf_str(bb));
    else
        sg_buf_printf(b, "%s%s", sg_buf_str(num), sg_buf_str(bb));
    return P_PROD;
}

/* LaTeX, a numerator that holds a fraction itself: one fraction level,
   \frac{1}{n}\mathbf{1}^\top(r - \frac{a}{s}), the factors after it */
static int sp_print_tex_nested(printer *f, sg_buf *b, scalar_product *p, const sp_text *x)
{
    sg_buf fac, coef;
    sg_buf_init(&fac);
    sg_buf_init(&coef);
    if (x->c != 1)
        pr_num(f, &coef, x->c);
    p->den_bar = 0; /* the factors follow the fraction: a sum in parentheses */
    sp_side(f, &fac, p, 1, p->body != NULL);
    sg_buf_printf(b, "\\frac{%s}{%s}", coef.len ? sg_buf_str(&coef) : "1", sg_buf_str(&x->den));
    if (x->body.len) {
        sg_buf t;
        sg_buf_init(&t);
        juxtapose(f, &t, sg_buf_str(&fac), sg_buf_str(&x->body));
        sg_buf_free(&fac);
        fac = t;
    }
    {
        sg_buf t;
        sg_buf_init(&t);
        juxtapose(f, &t, "}", sg_buf_str(&fac));
        sg_buf_puts(b, sg_buf_str(&t) + 1);
        sg_buf_free(&t);
    }
    sg_buf_free(&fac);
    sg_buf_free(&coef);
    return P_PROD;
}

/* LaTeX: a body that is one symbol joins the numerator (\frac{r}{s}); a
   longer one follows the fraction (\frac{1}{s}(r - y)) */
static int sp_print_tex(printer *f, sg_buf *b, const scalar_product *p, sp_text *x)
{
    int inside = p->body && (is_leaf(p->body) || name_of(f, p->body, 0)) &&
                 !strstr(sg_buf_str(&x->body), "\\frac"), k;
    for (k = 0; k < p->n; k++) /* \frac{c^\top r}{s}c, not \frac{c^\top rc}{s} */
        if (p->v[k].pow > 0)
            inside = 0;
    if (inside) {
        if (x->num.len) {
            sg_buf j;
            sg_buf_init(&j);
            juxtapose(f, &j, sg_buf_str(&x->num), sg_buf_str(&x->body));
            x->num.len = 0;
            sg_buf_puts(&x->num, sg_buf_str(&j));
            sg_buf_free(&j);
        } else {
            sg_buf_puts(&x->num, sg_buf_str(&x->body));
        }
    }
    sg_buf_printf(b, "\\frac{%s}{%s}", x->num.len ? sg_buf_str(&x->num) : "1",
                  sg_buf_str(&x->den));
    if (p->body && !inside) {
        sg_buf t;
        sg_buf_init(&t);
        juxtapose(f, &t, "}", sg_buf_str(&x->body)); /* a fraction ends in } */
        sg_buf_puts(b, sg_buf_str(&t) + 1);
        sg_buf_free(&t);
    }
    return P_PROD;
}

/* Unicode and ASCII, one slash: cᵀr c/(ns²) */
static int sp_print_slash(printer *f, sg_buf *b, const scalar_product *p, const sp_text *x)
{
    const sg_expr *one = NULL; /* a denominator of one factor, to the first power */
    int i;
    for (i = 0; i < p->n; i++)
        if (p->v[i].pow < 0)
            one = x->nden == 1 && p->v[i].pow == -1 ? p->v[i].e : NULL;
    if (x->num.len && x->body.len)
        juxtapose(f, b, sg_buf_str(&x->num), sg_buf_str(&x->body));
    else if (x->num.len || x->body.len)
        sg_buf_printf(b, "%s%s", sg_buf_str(&x->num), sg_buf_str(&x->body));
    else
        sg_buf_putc(b, '1');
    sg_buf_puts(b, f->ascii ? " / " : "/");
    if (one)
        sub(f, b, one, P_POST);
    else
        parens(f, b, sg_buf_str(&x->den));
    return P_OP;
}

/* prints c0·e as one product over one denominator when that reads better
   than its tree (a denominator, or a factor met twice); returns its level,
   or 0 (nothing printed) when it is printed the ordinary way */
static int pr_sprod(printer *f, sg_buf *b, const sg_expr *e, double c0)
{
    scalar_product p;
    sp_text x;
    int i, prec;
    memset(&p, 0, sizeof p);
    p.c = c0;
    sp_collect(f, &p, e, 1, 0);
    x.nden = 0;
    for (i = 0; i < p.n; i++)
        if (p.v[i].pow < 0)
            x.nden++;
    if (p.bad || !(x.nden > 0 || p.merged) || p.c != p.c) {
        free(p.v);
        return 0;
    }
    x.c = fabs(p.c);
    sg_buf_init(&x.num);
    sg_buf_init(&x.den);
    sg_buf_init(&x.body);
    if (p.c < 0)
        sg_buf_puts(b, minus(f));
    if (x.nden > 0 && x.c < 1 && 1 / x.c == floor(1 / x.c) && 1 / x.c < 1e9) {
        pr_num(f, &x.den, 1 / x.c); /* ½x/s is x/(2s), one fraction */
        x.c = 1;
    }
    if (x.c != 1)
        pr_num(f, &x.num, x.c);
    /* the numerator's factors alone above the bar (not before a body that
       joins them: that one is a single symbol, and only with no factor) */
    p.den_bar = x.nden > 0;
    sp_side(f, &x.num, &p, 1, !x.nden && p.body);
    sp_side(f, &x.den, &p, -1, 0);
    if (p.body)
        sub_right(f, &x.body, p.body);
    if (!x.den.len)
        prec = sp_print_plain(f, b, &p, &x.num, &x.body);
    else if (f->tex && strstr(sg_buf_str(&x.num), "\\frac"))
        prec = sp_print_tex_nested(f, b, &p, &x);
    else if (f->tex)
        prec = sp_print_tex(f, b, &p, &x);
    else
        prec = sp_print_slash(f, b, &p, &x);
    sg_buf_free(&x.num);
    sg_buf_free(&x.den);
    sg_buf_free(&x.body);
    free(p.v);
    /* −a/b binds as its quotient does: (−sum(x)/n)𝟙, not −sum(x)/n𝟙 */
    return p.c < 0 && prec > P_OP ? P_NEG : prec;
}

static int pr_mul(printer *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *a = e->kid[0], *x = e->kid[1], *s, *t;
    double c;
    const sg_expr *y;
    int p;
    if (is_scalar(a) && (p = pr_sprod(f, b, e, 1)) != 0) /* cᵀr c/(ns²), s²x */
        return p;
    if (is_scalar(a) && negative(f, e, 1, &c, &y)) { /* −a, −2a */
        sg_buf_puts(b, minus(f));
        pr_scaled(f, b, c, y, P_OP);
        return P_NEG;
    }
    if ((s = over(f, e, &t, &y)) != NULL) /* x/s, tx/s */
        return pr_over(f, b, 1, t, y, s);
    if (is_scalar(a) && a->op == SG_OP_CONST && !name_of(f, a, 0))
        return pr_scaled(f, b, a->value, x, P_PROD);
    if (f->tex && is_scalar(a) && !is_scalar(x) && !name_of(f, a, 0) &&
        ((a->op == SG_OP_MUL && !is_scalar(a->kid[0])) ||
         (a->op == SG_OP_SUM && a->kid[0]->shape.cols == SG_DIM_ONE) ||
         (a->op == SG_OP_DOT && a->kid[0] != a->kid[1] && a->kid[0]->shape.cols == SG_DIM_ONE))) {
        /* (𝟙ᵀv)s: an inner product scaling a vector, in parentheses */
        sg_buf lb, rb;
        sg_buf_init(&lb);
        sg_buf_init(&rb);
        pr(f, &lb, a, 0);
        parens(f, &rb, sg_buf_str(&lb));
        sg_buf_free(&lb);
        sg_buf_init(&lb);
        sub_right(f, &lb, x);
        juxtapose(f, b, sg_buf_str(&rb), sg_buf_str(&lb));
        sg_buf_free(&lb);
        sg_buf_free(&rb);
        return P_PROD;
    }
    /* a scaling commutes, a(Wx) reads aWx; a product chain prints flat */
    return pr_product(f, b, a, x);
}

static int pr_dot(printer *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *x = e->kid[0], *y = e->kid[1];
    if (x == y) {
        if (f->ascii)
            pr_call(f, b, "norm", x);
        else {
            sg_buf_puts(b, f->tex ? "\\lVert " : "‖");
            pr(f, b, x, 0);
            sg_buf_puts(b, f->tex ? "\\rVert" : "‖");
        }
        sg_buf_puts(b, f->ascii ? "^2" : f->tex ? "^{2}" : "²");
        return P_POST;
    }
    if (x->shape.cols == SG_DIM_ONE) { /* xᵀy */
        sg_buf lb, rb;
        sg_buf_init(&lb);
        sg_buf_init(&rb);
        sub(f, &lb, x, P_ATOM);
        sg_buf_puts(&lb, f->ascii ? "'" : f->tex ? "^\\top" : "ᵀ");
        sub_right(f, &rb, y);
        juxtapose(f, b, sg_buf_str(&lb), sg_buf_str(&rb));
        sg_buf_free(&lb);
        sg_buf_free(&rb);
        return P_PROD;
    }
    if (f->tex) { /* ⟨a, b⟩, grown to tall contents */
        sg_buf t;
        int big;
        sg_buf_init(&t);
        pr(f, &t, x, 0);
        sg_buf_puts(&t, ", ");
        pr(f, &t, y, 0);
        big = tall(sg_buf_str(&t)) && !strchr(sg_buf_str(&t), SG_FMT_BREAK);
        sg_buf_printf(b, "%s%s%s", big ? "\\left\\langle " : "\\langle ", sg_buf_str(&t),
                      big ? "\\right\\rangle" : "\\rangle");
        sg_buf_free(&t);
        return P_ATOM;
    }
    sg_buf_puts(b, f->ascii ? "dot(" : "⟨");
    pr(f, b, x, 0);
    sg_buf_puts(b, ", ");
    pr(f, b, y, 0);
    sg_buf_puts(b, f->ascii ? ")" : "⟩");
    return P_ATOM;
}

/* ‖a‖ ‖a‖₁ |a| log|a| in Unicode and LaTeX */
static int pr_bars(printer *f, sg_buf *b, const char *open, const sg_expr *a, const char *close)
{
    sg_buf_puts(b, open);
    pr(f, b, a, 0);
    sg_buf_puts(b, close);
    return P_ATOM;
}

/* a between bars, {LaTeX, Unicode} × {open, close}, and in ASCII a call
   of fn: ‖a‖₁, norm1(a) */
static int pr_enclosed(printer *f, sg_buf *b, const sg_expr *a, const char *const bars[2][2],
                       const char *fn)
{
    if (f->ascii)
        return pr_call(f, b, fn, a);
    return pr_bars(f, b, bars[!f->tex][0], a, bars[!f->tex][1]);
}

/* ---- sequences ---------------------------------------------------------- */

/* "δ" starts the name of an adjoint sequence */
static const char delta_utf8[] = "δ";

/* the number of adjoint sequences: with one, LaTeX calls it plain δ */
static int adjoint_seqs(const sg_ctx *ctx)
{
    int q, n = 0;
    for (q = 0; q < sg_seq_count(ctx); q++)
        if (sg_seq_get(ctx, q)->kind == SG_SEQ_BACKWARD)
            n++;
    return n;
}

/* a sequence's name: δh (ASCII: delta_h; LaTeX: \delta, or \delta^{(h)}
   when there are several) */
static void pr_seq_name(printer *f, sg_buf *b, int q)
{
    const char *name = sg_seq_get(f->ctx, q)->name;
    if (f->tex && strncmp(name, delta_utf8, strlen(delta_utf8)) == 0) {
        sg_buf_puts(b, "\\delta");
        if (adjoint_seqs(f->ctx) > 1) {
            sg_buf_puts(b, "^{(");
            sg_fmt_name(b, name + strlen(delta_utf8), SG_FMT_LATEX);
            sg_buf_puts(b, ")}");
        }
        return;
    }
    if (strncmp(name, delta_utf8, strlen(delta_utf8)) == 0) { /* δh̃: δ and h's own spelling */
        sg_buf_puts(b, f->ascii ? "delta_" : delta_utf8);
        name += strlen(delta_utf8);
    }
    sg_fmt_name(b, name, f->tex ? SG_FMT_LATEX : f->ascii);
}

/* k, T, T−1, T+1 */
static void pr_index(printer *f, sg_buf *b, sg_index i)
{
    if (i.dim < 0) {
        sg_buf_printf(b, "%ld", i.off);
        return;
    }
    pr_dim(f, b, i.dim);
    if (i.off > 0)
        sg_buf_printf(b, "+%ld", i.off);
    else if (i.off < 0)
        sg_buf_printf(b, "%s%lu", minus(f), 0UL - (unsigned long)i.off); /* −LONG_MIN */
}

/*
 * A step of a sequence in LaTeX: the index joins the name's own subscript,
 * h_{t-1}, h_{1,t}, \delta_{t+1}; idx is the index's text. A name with a
 * superscript (\delta^{(h)}) is a postfix form: a transpose after it needs
 * parentheses.
 */
static int pr_tex_step(printer *f, sg_buf *b, int q, const char *idx)
{
    sg_buf nb;
    const char *s, *us;
    int p;
    sg_buf_init(&nb);
    pr_seq_name(f, &nb, q);
    s = sg_buf_str(&nb);
    us = strrchr(s, '_');
    p = strchr(s, '^') ? P_POST : P_ATOM;
    if (us && us[1] == '{' && s[strlen(s) - 1] == '}') { /* h_{ab} → h_{ab,t} */
        sg_buf_putn(b, s, strlen(s) - 1);
        sg_buf_printf(b, ",%s}", idx);
    } else if (us && us[1] && us[2] == '\0') { /* h_1 → h_{1,t} */
        sg_buf_putn(b, s, (size_t)(us - s));
        sg_buf_printf(b, "_{%c,%s}", us[1], idx);
    } else if (strlen(idx) == 1) {
        sg_buf_printf(b, "%s_%s", s, idx);
    } else {
        sg_buf_printf(b, "%s_{%s}", s, idx);
    }
    sg_buf_free(&nb);
    return p;
}

/* h[t], h[t−1], δh[t+1]: a step relative to the loop's t */
/* h[t + off] of sequence q */
static int pr_step_of(printer *f, sg_buf *b, int q, long off)
{
    if (f->tex) {
        char idx[3 * sizeof(unsigned long) + 3]; /* "t-", the digits of an unsigned long, NUL */
        if (off > 0)
            snprintf(idx, sizeof idx, "t+%ld", off);
        else if (off < 0) /* the magnitude as unsigned: −LONG_MIN is not a long */
            snprintf(idx, sizeof idx, "t-%lu", 0UL - (unsigned long)off);
        else
            snprintf(idx, sizeof idx, "t");
        return pr_tex_step(f, b, q, idx);
    }
    pr_seq_name(f, b, q);
    sg_buf_puts(b, "[t");
    if (off > 0)
        sg_buf_printf(b, "+%ld", off);
    else if (off < 0)
        sg_buf_printf(b, "%s%lu", minus(f), 0UL - (unsigned long)off);
    sg_buf_putc(b, ']');
    return P_ATOM;
}

static int pr_step(printer *f, sg_buf *b, const sg_expr *e)
{
    return pr_step_of(f, b, e->seq, e->off);
}

/* h[T], h[0]: a fixed step of sequence q */
static int pr_at_of(printer *f, sg_buf *b, int q, sg_index at)
{
    sg_buf ib;
    int p = P_ATOM;
    if (f->tex) {
        sg_buf_init(&ib);
        pr_index(f, &ib, at);
        p = pr_tex_step(f, b, q, sg_buf_str(&ib));
        sg_buf_free(&ib);
        return p;
    }
    pr_seq_name(f, b, q);
    sg_buf_putc(b, '[');
    pr_index(f, b, at);
    sg_buf_putc(b, ']');
    return p;
}

static int pr_at(printer *f, sg_buf *b, const sg_expr *e)
{
    return pr_at_of(f, b, e->seq, e->at);
}

/* Σ_{t=1}^{T} body (ASCII: sum(t = 1..T, body)); as the last factor of a
   product it needs no parentheses, since it reaches to the end anyway */
static int pr_seqsum(printer *f, sg_buf *b, const sg_expr *e)
{
    if (f->ascii) {
        sg_buf_puts(b, "sum(t = ");
        pr_index(f, b, e->lo);
        sg_buf_puts(b, "..");
        pr_index(f, b, e->hi);
        sg_buf_puts(b, ", ");
        pr(f, b, e->kid[0], 0);
        sg_buf_putc(b, ')');
        return P_ATOM;
    }
    sg_buf_puts(b, f->tex ? "\\sum_{t=" : "Σ_{t=");
    pr_index(f, b, e->lo);
    sg_buf_puts(b, "}^{");
    pr_index(f, b, e->hi);
    sg_buf_puts(b, "} ");
    sub(f, b, e->kid[0], P_PROD);
    return P_OP;
}

/* the LaTeX spelling of a function's name */
static const char *tex_fn(sg_op op)
{
    switch (op) {
    case SG_OP_EXP: return "\\exp";
    case SG_OP_LOG: return "\\log";
    case SG_OP_SIN: return "\\sin";
    case SG_OP_COS: return "\\cos";
    case SG_OP_TANH: return "\\tanh";
    case SG_OP_SIGMOID: return "\\sigma";
    case SG_OP_RELU: return "\\operatorname{relu}";
    case SG_OP_SWISH: return "\\operatorname{swish}";
    case SG_OP_SOFTPLUS: return "\\operatorname{softplus}";
    case SG_OP_LOG1P: return "\\operatorname{log1p}";
    case SG_OP_EXPM1: return "\\operatorname{expm1}";
    case SG_OP_TAN: return "\\tan";
    case SG_OP_ARCSIN: return "\\arcsin";
    case SG_OP_ARCCOS: return "\\arccos";
    case SG_OP_ARCTAN: return "\\arctan";
    case SG_OP_SINH: return "\\sinh";
    case SG_OP_COSH: return "\\cosh";
    case SG_OP_LOG2: return "\\log_2";
    case SG_OP_ERF: return "\\operatorname{erf}";
    case SG_OP_SIGN: return "\\operatorname{sign}";
    case SG_OP_STEP: return "\\operatorname{step}";
    case SG_OP_SOFTMAX: return "\\operatorname{softmax}";
    case SG_OP_LOGSOFTMAX: return "\\log\\operatorname{softmax}";
    case SG_OP_LOGSUMEXP: return "\\operatorname{logsumexp}";
    case SG_OP_TRACE: return "\\operatorname{tr}";
    case SG_OP_DIAG: case SG_OP_DIAGV: return "\\operatorname{diag}";
    case SG_OP_SUM: return "\\operatorname{sum}";
    default: return "?";
    }
}

/* c𝟙 for a fill of any scalar c: s𝟙, (sum(x)/n)𝟙, −(sum(x)/n)𝟙 */
static int pr_fill_of(printer *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *a = e->kid[0];
    sg_buf sb, ob;
    double c;
    const sg_expr *y;
    int neg = !f->tex && negative(f, a, 0, &c, &y);
    if (is_const_fill(f, e))
        return pr_fill(f, b, e, 1);
    sg_buf_init(&sb);
    sg_buf_init(&ob);
    if (neg) {
        /* −(sum(x)/n)𝟙: the minus before the parentheses of a quotient,
           where a sum takes it as its operator (x − (sum(x)/n)𝟙) */
        sg_buf q;
        sg_buf_init(&q);
        if (pr_scaled(f, &q, c, y, P_PROD) < P_PROD)
            parens(f, &sb, sg_buf_str(&q));
        else
            sg_buf_puts(&sb, sg_buf_str(&q));
        sg_buf_free(&q);
        sg_buf_puts(b, minus(f));
    } else {
        sub(f, &sb, a, P_PROD);
    }
    pr_ones(f, &ob, e->shape);
    juxtapose(f, b, sg_buf_str(&sb), sg_buf_str(&ob));
    sg_buf_free(&sb);
    sg_buf_free(&ob);
    return neg ? P_NEG : P_PROD;
}

/* the sum of a's entries: sum(a), in LaTeX 𝟙ᵀa for a vector */
static int pr_sum(printer *f, sg_buf *b, const sg_expr *a)
{
    if (f->tex && a->shape.cols == SG_DIM_ONE) { /* 𝟙ᵀx */
        sg_buf xb;
        sg_buf_init(&xb);
        sub_right(f, &xb, a);
        juxtapose(f, b, "\\mathbf{1}^\\top", sg_buf_str(&xb));
        sg_buf_free(&xb);
        return P_PROD;
    }
    return pr_call(f, b, f->tex ? tex_fn(SG_OP_SUM) : "sum", a);
}

/* a ⊘ b, and a/b of scalars (one fraction with the other factors, when
   pr_sprod takes it) */
static int pr_hdiv(printer *f, sg_buf *b, const sg_expr *e)
{
    const sg_expr *a = e->kid[0];
    int u = !f->ascii && !f->tex, t = f->tex;
    if (is_scalar(e->kid[1])) {
        int q = pr_sprod(f, b, e, 1);
        if (q != 0)
            return q;
    }
    if (t && is_scalar(e)) {
        sg_buf nb;
        int p;
        sg_buf_init(&nb);
        pr(f, &nb, a, 0);
        p = pr_frac(f, b, sg_buf_str(&nb), e->kid[1]);
        sg_buf_free(&nb);
        return p;
    }
    if (is_scalar(e))
        return pr_binop(f, b, a, u ? "/" : " / ", e->kid[1]);
    return pr_binop(f, b, a, u ? " ⊘ " : t ? " \\oslash " : " ./ ", e->kid[1]);
}

/* √a (\sqrt{a}, sqrt(a)) */
static int pr_sqrt(printer *f, sg_buf *b, const sg_expr *a)
{
    if (f->tex) {
        sg_buf_puts(b, "\\sqrt{");
        pr(f, b, a, 0);
        sg_buf_putc(b, '}');
        return P_ATOM;
    }
    if (!f->ascii) {
        sg_buf_puts(b, "√");
        sub(f, b, a, P_ATOM);
        return P_ATOM;
    }
    return pr_call(f, b, "sqrt", a);
}

/* the bars of pr_enclosed: ‖a‖, ‖a‖₁, |a|, log|a| */
static const char *const norm_bars[2][2] = {{"\\lVert ", "\\rVert"}, {"‖", "‖"}};
static const char *const norm1_bars[2][2] = {{"\\lVert ", "\\rVert_{1}"}, {"‖", "‖₁"}};
static const char *const det_bars[2][2] = {{"\\lvert ", "\\rvert"}, {"|", "|"}};
static const char *const logdet_bars[2][2] = {{"\\log\\lvert ", "\\rvert"}, {"log|", "|"}};

/* A ⊗ B (LaTeX A \otimes B), binding as ⊙ does; ASCII kron(A, B) */
static int pr_kron(printer *f, sg_buf *b, const sg_expr *e)
{
    if (!f->ascii)
        return pr_binop(f, b, e->kid[0], f->tex ? " \\otimes " : " ⊗ ", e->kid[1]);
    sg_buf_puts(b, "kron(");
    pr(f, b, e->kid[0], 0);
    sg_buf_puts(b, ", ");
    pr(f, b, e->kid[1], 0);
    sg_buf_putc(b, ')');
    return P_ATOM;
}

/* the commutation matrix K_{m,n} of m×n matrices (ASCII: commutation(m, n)) */
static int pr_commute(printer *f, sg_buf *b, const sg_expr *e)
{
    sg_buf_puts(b, f->ascii ? "commutation(" : "K_{");
    pr_dim(f, b, e->dim);
    sg_buf_putc(b, ',');
    pr_dim(f, b, (sg_dim)e->off);
    sg_buf_putc(b, f->ascii ? ')' : '}');
    return P_ATOM;
}

/* e, in the alphabet and at the level its operator prints at; root: e is
   the formula itself, and prints whole even when it has a name */
static int pr(printer *f, sg_buf *b, const sg_expr *e, int root)
{
    const char *name;
    if (--f->left < 0) {
        if (f->left == -1)
            sg_buf_puts(b, f->ascii ? "..." : f->tex ? "\\dots" : "…");
        return P_ATOM;
    }
    name = name_of(f, e, root);
    const sg_expr *a = e->nkids > 0 ? e->kid[0] : NULL;
    int u = !f->ascii && !f->tex, t = f->tex;
    if (name) {
        if (f->namer) {
            sg_buf_puts(b, name);
            return f->level ? f->level(f->arg, e) : P_ATOM;
        }
        sg_fmt_name(b, name, t ? SG_FMT_LATEX : f->ascii);
        return P_ATOM;
    }
    switch (e->op) {
    case SG_OP_VAR:
        sg_fmt_name(b, sg_sym_get(f->ctx, e->sym)->name, t ? SG_FMT_LATEX : f->ascii);
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
        if (!f->ascii) {
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
        sg_buf_puts(b, u ? "ᵀ" : t ? "^\\top" : "'");
        return P_POST;
    case SG_OP_FILL:
        return pr_fill_of(f, b, e);
    case SG_OP_SUM:
        return pr_sum(f, b, a);
    case SG_OP_TRACE:
        return pr_call(f, b, t ? tex_fn(e->op) : "tr", a);
    case SG_OP_DOT:
        return pr_dot(f, b, e);
    case SG_OP_DIAG: case SG_OP_DIAGV:
        return pr_call(f, b, t ? tex_fn(e->op) : "diag", a);
    case SG_OP_HADAMARD:
        return pr_binop(f, b, a, u ? " ⊙ " : t ? " \\odot " : " .* ", e->kid[1]);
    case SG_OP_HDIV:
        return pr_hdiv(f, b, e);
    case SG_OP_POW:
        return pr_pow(f, b, a, e->kid[1]);
    case SG_OP_SQRT:
        return pr_sqrt(f, b, a);
    case SG_OP_ABS:
        if (t)
            return pr_bars(f, b, "\\lvert ", a, "\\rvert");
        if (u && is_scalar(a))
            return pr_bars(f, b, "|", a, "|");
        return pr_call(f, b, "abs", a);
    case SG_OP_SIGMOID:
        return pr_call(f, b, t ? tex_fn(e->op) : u ? "σ" : "sigmoid", a);
    case SG_OP_EXP: case SG_OP_LOG: case SG_OP_SIN: case SG_OP_COS: case SG_OP_TANH:
    case SG_OP_RELU: case SG_OP_SWISH: case SG_OP_SOFTPLUS: case SG_OP_LOG1P:
    case SG_OP_EXPM1: case SG_OP_SIGN: case SG_OP_STEP: case SG_OP_SOFTMAX:
    case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP: case SG_OP_TAN: case SG_OP_ARCSIN:
    case SG_OP_ARCCOS: case SG_OP_ARCTAN: case SG_OP_SINH: case SG_OP_COSH: case SG_OP_LOG2:
    case SG_OP_ERF:
        return pr_call(f, b, t ? tex_fn(e->op) : sg_op_name(e->op), a);
    case SG_OP_NORM:
        return pr_enclosed(f, b, a, norm_bars, "norm");
    case SG_OP_NORM1:
        return pr_enclosed(f, b, a, norm1_bars, "norm1");
    case SG_OP_INV:
        if (f->ascii)
            return pr_call(f, b, "inv", a);
        sub(f, b, a, P_ATOM);
        sg_buf_puts(b, t ? "^{-1}" : "⁻¹");
        return P_POST;
    case SG_OP_DET:
        return pr_enclosed(f, b, a, det_bars, "det");
    case SG_OP_LOGDET:
        return pr_enclosed(f, b, a, logdet_bars, "logdet");
    case SG_OP_SEQSTEP:
        return pr_step(f, b, e);
    case SG_OP_AT:
        return pr_at(f, b, e);
    case SG_OP_SEQSUM:
        return pr_seqsum(f, b, e);
    case SG_OP_KRON:
        return pr_kron(f, b, e);
    case SG_OP_VEC:
        return pr_call(f, b, t ? "\\operatorname{vec}" : "vec", a);
    case SG_OP_COMMUTE:
        return pr_commute(f, b, e);
    default:
        sg_buf_puts(b, "?");
        return P_ATOM;
    }
}

/* appends the printed text of t to out without its JOIN marks (and without
   its break marks, unless they were asked for) */
static void finish(sg_buf *out, sg_buf *t, int breaks)
{
    const char *s = sg_buf_str(t);
    for (; *s; s++)
        if (*s != JOIN && (*s != SG_FMT_BREAK || breaks))
            sg_buf_putc(out, *s);
    sg_buf_free(t);
}

void sg_fmt_expr(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii)
{
    sg_buf t;
    printer f;
    f_init(&f, ctx, ascii, NULL, NULL);
    sg_buf_init(&t);
    pr(&f, &t, e, 1);
    finish(out, &t, 0);
}

void sg_fmt_expr_named(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii,
                       sg_fmt_namer namer, void *arg)
{
    sg_buf t;
    printer f;
    f_init(&f, ctx, ascii, namer, arg);
    sg_buf_init(&t);
    pr(&f, &t, e, 1);
    finish(out, &t, 0);
}

int sg_fmt_expr_style(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, const sg_fmt_style *st)
{
    sg_buf t;
    printer f;
    int p;
    f_init(&f, ctx, st->alphabet, st->namer, st->arg);
    f.level = st->level;
    f.breaks = st->breaks;
    if (st->left && *st->left < f.left)
        f.left = *st->left > 0 ? *st->left : 0;
    if (f.breaks && e->op == SG_OP_ADD)
        f.top = e;
    sg_buf_init(&t);
    {
        long before = f.left;
        p = pr(&f, &t, e, st->named_root ? 0 : 1);
        if (st->left)
            *st->left -= before - (f.left > 0 ? f.left : 0);
    }
    finish(out, &t, st->breaks);
    return p;
}

void sg_fmt_dim(sg_buf *out, const sg_ctx *ctx, sg_dim d, int alphabet)
{
    printer f;
    f_init(&f, ctx, alphabet, NULL, NULL);
    (void)pr_dim(&f, out, d);
}

void sg_fmt_seq_ref(sg_buf *out, const sg_ctx *ctx, int q, long off, const sg_index *at,
                    int alphabet)
{
    printer f;
    sg_buf t;
    f_init(&f, ctx, alphabet, NULL, NULL);
    sg_buf_init(&t);
    if (at)
        (void)pr_at_of(&f, &t, q, *at);
    else
        (void)pr_step_of(&f, &t, q, off);
    finish(out, &t, 0);
}

void sg_fmt_index(sg_buf *out, const sg_ctx *ctx, sg_index i, int alphabet)
{
    printer f;
    f_init(&f, ctx, alphabet, NULL, NULL);
    pr_index(&f, out, i);
}

void sg_fmt_seq_name(sg_buf *out, const sg_ctx *ctx, int q, int alphabet)
{
    printer f;
    f_init(&f, ctx, alphabet, NULL, NULL);
    pr_seq_name(&f, out, q);
}

void sg_fmt_result_name(sg_buf *out, const sg_result *r, int ascii)
{
    const char *d = ascii == SG_FMT_ASCII ? "d" : "∂";
    if (ascii == SG_FMT_LATEX) {
        switch (r->kind) {
        case SG_RES_VALUE:
            sg_fmt_name(out, r->of ? r->of : r->cname, ascii);
            return;
        case SG_RES_GRAD: case SG_RES_JACOBIAN:
            sg_buf_puts(out, "\\frac{\\partial ");
            sg_fmt_name(out, r->of, ascii);
            sg_buf_puts(out, "}{\\partial ");
            sg_fmt_name(out, r->wrt, ascii);
            if (sg_result_seq(r) >= 0) /* every step of a sequence: ∂J/∂u[t] */
                sg_buf_puts(out, "[t]");
            sg_buf_putc(out, '}');
            return;
        case SG_RES_HESSIAN:
            sg_buf_puts(out, "\\frac{\\partial^2 ");
            sg_fmt_name(out, r->of, ascii);
            sg_buf_puts(out, "}{\\partial ");
            sg_fmt_name(out, r->wrt, ascii);
            if (r->wrt2 && strcmp(r->wrt2, r->wrt) != 0) {
                sg_buf_puts(out, "\\,\\partial ");
                sg_fmt_name(out, r->wrt2, ascii);
            } else {
                sg_buf_puts(out, "^2");
            }
            sg_buf_putc(out, '}');
            return;
        }
        return;
    }
    switch (r->kind) {
    case SG_RES_VALUE:
        sg_fmt_name(out, r->of ? r->of : r->cname, ascii);
        return;
    case SG_RES_GRAD: case SG_RES_JACOBIAN:
        sg_buf_puts(out, d);
        sg_fmt_name(out, r->of, ascii);
        sg_buf_printf(out, "/%s", d);
        sg_fmt_name(out, r->wrt, ascii);
        if (sg_result_seq(r) >= 0)
            sg_buf_puts(out, "[t]");
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

