/*
 * tex_index.c: results entry by entry (--index), and the updates (--update).
 *
 * A result in index notation, ∂L/∂W_ij = Σ_k …, written from its closed
 * form node by node (ix_expr): a product's shared index summed, a
 * transpose's indices swapped, a scaling chain's scalar factors collected
 * as a person writes them. Index letters come from a pool the problem
 * leaves free. --update adds each parameter's gradient-descent step,
 * vectorised and entry by entry in the same notation.
 */
#include "tex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- index notation (--index) ----------------------------------------------------- */

enum { I_SUM = 1, I_OP, I_PROD, I_NEG, I_POST, I_ATOM };

/* the index letters, in the order they are given out */
static const char *const ix_letters[] = {"i", "j", "k", "l", "p", "q", "a", "b", "c", "d",
                                         "e", "f", "g", "s"};
#define NIX_LETTERS (int)(sizeof ix_letters / sizeof ix_letters[0])

typedef struct {
    tex_doc *x;
    /* the letters the problem leaves free: at most all of ix_letters (a
       true bound); past them ix_fresh() makes k_{1}, k_{2}, … */
    const char *pool[NIX_LETTERS];
    int npool, next;
} ixs;

/* a fresh summation index */
static const char *ix_fresh(ixs *s)
{
    if (s->next < s->npool)
        return s->pool[s->next++];
    return sg_arena_printf(s->x->ar, "k_{%d}", s->next++ - s->npool + 1);
}

/* the entry (i, j) of a named matrix: W_{ik}, (W_1)_{ik}, x_i, s */
static const char *ix_entry(ixs *s, const char *name, const char *i, const char *j)
{
    if (!(i && *i) && !(j && *j))
        return name;
    return tex_entry(s->x, name, sg_arena_printf(s->x->ar, "%s%s", i ? i : "", j ? j : ""));
}

static int ix_expr(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j);

/* prints e's entry at least at level min, in parentheses if below */
static void ix_sub(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j, int min)
{
    sg_buf t;
    int p;
    sg_buf_init(&t);
    p = ix_expr(s, &t, e, i, j);
    if (p < min) /* \Bigl( lets a long entry break inside */
        sg_buf_printf(b, "%s%s%s", tex_tall(sg_buf_str(&t)) ? "\\Bigl(" : "(", sg_buf_str(&t),
                      tex_tall(sg_buf_str(&t)) ? "\\Bigr)" : ")");
    else
        sg_buf_puts(b, sg_buf_str(&t));
    sg_buf_free(&t);
}

/* juxtaposes into b with a space where a control word ends, and a \cdot
   between two numerals (2 and 1 side by side would read 21) */
static void ix_cat(sg_buf *b, const char *r)
{
    const char *l = sg_buf_str(b);
    if (*l) {
        size_t n = strlen(l), k = n;
        while (k > 0 && tex_is_alpha_c(l[k - 1]))
            k--;
        if (k < n && k > 0 && l[k - 1] == '\\')
            sg_buf_putc(b, ' ');
        else if (l[n - 1] >= '0' && l[n - 1] <= '9' && ((r[0] >= '0' && r[0] <= '9') || r[0] == '.'))
            sg_buf_puts(b, "\\cdot ");
    }
    sg_buf_puts(b, r);
}

/* every entry of e is 1: 𝟙, 𝟙ᵀ, 𝟙𝟙ᵀ (an outer product, not 𝟙ᵀ𝟙 = n), a
   fill of 1. As a factor of an entry it multiplies by 1, and is left out:
   (𝟙𝟙ᵀA)_{ij} = Σ_k A_{kj}, not Σ_k 11A_{kj} */
static int ix_ones(tex_doc *x, const sg_expr *e)
{
    if (tex_namer(x, e))
        return 0;
    switch (e->op) {
    case SG_OP_ONES:
        return 1;
    case SG_OP_CONST:
        return e->value == 1;
    case SG_OP_FILL: case SG_OP_TRANSPOSE:
        return ix_ones(x, e->kid[0]);
    case SG_OP_MUL:
        return e->kid[0]->shape.cols == SG_DIM_ONE && ix_ones(x, e->kid[0]) &&
               ix_ones(x, e->kid[1]);
    case SG_OP_HADAMARD:
        return ix_ones(x, e->kid[0]) && ix_ones(x, e->kid[1]);
    default:
        return 0;
    }
}

/* the factors of an unnamed product chain, left to right, into f */
static void chain_factors(tex_doc *x, const sg_expr *e, tex_list *f)
{
    int k;
    for (k = 0; k < 2; k++) {
        const sg_expr *c = e->kid[k];
        if (tex_is_matmul(c) && !tex_namer(x, c))
            chain_factors(x, c, f);
        else
            tex_list_push(f, c);
    }
}

/* the index of a dimension: none for 1 */
static const char *ix_of(sg_dim d, const char *idx)
{
    return d == SG_DIM_ONE ? NULL : idx;
}

/*
 * A scaling chain c·(d·(… y)) entry by entry, its scalar factors as a
 * person writes them (formula.c does the same for whole expressions): the
 * numbers multiplied out, a repeated factor a power, the divisors under one
 * fraction bar, then y's entry: \frac{\sum_l c_l r_l}{ns^{2}}c_k, not
 * \frac{1}{s}\frac{1}{s}\frac{1}{n}(…)c_k. Returns 0 (nothing printed) when
 * there is nothing to collect.
 */
typedef struct {
    const sg_expr *e;
    int pow;
} ixfactor;

static int ix_reciprocal_of(tex_doc *x, const sg_expr *e, const sg_expr **den)
{
    if (tex_namer(x, e) || !tex_is_scalar(e))
        return 0;
    if (e->op == SG_OP_HDIV && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == 1) {
        *den = e->kid[1];
        return 1;
    }
    if (e->op == SG_OP_POW && e->kid[1]->op == SG_OP_CONST && e->kid[1]->value == -1) {
        *den = e->kid[0];
        return 1;
    }
    return 0;
}

typedef struct {
    ixfactor *v;
    int n, cap;
} ixfactors;

static void ix_factor_add(ixfactors *f, const sg_expr *e, int pow, int *merged)
{
    int k;
    for (k = 0; k < f->n; k++)
        if (f->v[k].e == e) {
            f->v[k].pow += pow;
            *merged = 1;
            return;
        }
    SG_GROW(f->v, f->n, f->cap, SG_GROW_MAX, "factors of a product");
    f->v[f->n].e = e;
    f->v[f->n].pow = pow;
    f->n++;
}

/* a scalar factor g on a side (1: numerator, −1: denominator) of the chain:
   numbers into *c, quotients split (a few levels; deeper, a factor whole) */
static void ix_scalar_add(tex_doc *x, ixfactors *v, double *c, const sg_expr *g, int side, int depth,
                          int *merged)
{
    const sg_expr *d;
    if (!tex_namer(x, g) && depth < 8) {
        if (g->op == SG_OP_CONST && (side > 0 || g->value != 0)) {
            *c = side > 0 ? *c * g->value : *c / g->value;
            return;
        }
        if (ix_reciprocal_of(x, g, &d)) {
            ix_scalar_add(x, v, c, d, -side, depth + 1, merged);
            return;
        }
        if (g->op == SG_OP_HDIV && tex_is_scalar(g)) {
            ix_scalar_add(x, v, c, g->kid[0], side, depth + 1, merged);
            ix_scalar_add(x, v, c, g->kid[1], -side, depth + 1, merged);
            return;
        }
        if (g->op == SG_OP_MUL && tex_is_scalar(g)) {
            ix_scalar_add(x, v, c, g->kid[0], side, depth + 1, merged);
            ix_scalar_add(x, v, c, g->kid[1], side, depth + 1, merged);
            return;
        }
    }
    ix_factor_add(v, g, side, merged);
}

static void ix_number(sg_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        sg_buf_printf(b, "%.0f", v);
    else
        sg_buf_printf(b, "%.15g", v);
}

static int ix_scaled(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    tex_doc *x = s->x;
    const sg_expr *y;
    ixfactors f = {NULL, 0, 0};
    ixfactor *v;
    int n, k, merged = 0, nden = 0, neg, bare = 0;
    double c = 1;
    sg_buf num, den, yb;
    for (y = e; y->op == SG_OP_MUL && !tex_namer(x, y) && tex_is_scalar(y->kid[0]); y = y->kid[1])
        ix_scalar_add(x, &f, &c, y->kid[0], 1, 0, &merged);
    if (tex_is_scalar(y)) { /* a product of scalars: the last one a factor too */
        ix_scalar_add(x, &f, &c, y, 1, 0, &merged);
        y = NULL;
    }
    v = f.v;
    n = f.n;
    for (k = 0; k < n; k++)
        nden += v[k].pow < 0;
    if (!nden && !merged) {
        free(v);
        return 0;
    }
    sg_buf_init(&num);
    sg_buf_init(&den);
    sg_buf_init(&yb);
    neg = c < 0;
    c = fabs(c);
    if (nden && c < 1 && 1 / c == floor(1 / c) && 1 / c < 1e9) { /* ½x/s is x/(2s) */
        ix_number(&den, 1 / c);
        c = 1;
    }
    if (c != 1)
        ix_number(&num, c);
    for (k = 0; k < 2 * n; k++) { /* dimensions first: ns^2, not s^2n */
        const ixfactor *q = &v[k % n];
        sg_buf *t = q->pow > 0 ? &num : &den;
        int p = q->pow > 0 ? q->pow : -q->pow, alone = 1, m;
        sg_buf fb;
        if (p == 0 || (k < n) != (q->e->op == SG_OP_DIMVAL))
            continue;
        /* alone above or below the bar, a sum needs no parentheses */
        for (m = 0; m < n; m++)
            if (&v[m] != q && v[m].pow != 0 && (v[m].pow > 0) == (q->pow > 0))
                alone = 0;
        if (q->pow > 0 && (c != 1 || !nden)) /* the body follows the bar */
            alone = 0;
        if (q->pow < 0 && den.len)
            alone = 0;
        sg_buf_init(&fb);
        if (alone && p == 1 && q->pow > 0)
            bare = ix_expr(s, &fb, q->e, NULL, NULL) < I_PROD;
        else if (alone && p == 1)
            ix_expr(s, &fb, q->e, NULL, NULL);
        else
            ix_sub(s, &fb, q->e, NULL, NULL, p > 1 ? I_ATOM : I_PROD);
        if (p > 1)
            sg_buf_printf(&fb, "^{%d}", p);
        ix_cat(t, sg_buf_str(&fb));
        sg_buf_free(&fb);
    }
    if (y)
        ix_sub(s, &yb, y, i, j, I_PROD);
    if (neg)
        sg_buf_puts(b, "-");
    if (den.len && strstr(sg_buf_str(&num), "\\frac")) /* one fraction level */
        sg_buf_printf(b, "\\frac{1}{%s}%s%s%s", sg_buf_str(&den), bare ? "\\Bigl(" : "",
                      sg_buf_str(&num), bare ? "\\Bigr)" : "");
    else if (den.len)
        sg_buf_printf(b, "\\frac{%s}{%s}", num.len ? sg_buf_str(&num) : "1", sg_buf_str(&den));
    else if (num.len)
        sg_buf_puts(b, sg_buf_str(&num));
    else if (!y)
        sg_buf_puts(b, "1");
    if (yb.len)
        ix_cat(b, sg_buf_str(&yb));
    sg_buf_free(&num);
    sg_buf_free(&den);
    sg_buf_free(&yb);
    free(v);
    return neg ? I_NEG : I_PROD;
}

/* e = a·c, a 1×1: a scaling, its entry (i, j) */
static int ix_scalar_times(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    tex_doc *x = s->x;
    const sg_expr *a = e->kid[0], *c = e->kid[1];
    sg_buf t;
    int k;
    if ((k = ix_scaled(s, b, e, i, j)) != 0)
        return k;
    if (a->op == SG_OP_CONST && a->value == -1) {
        sg_buf_puts(b, "-");
        ix_sub(s, b, c, i, j, I_PROD);
        return I_NEG;
    }
    if (ix_ones(x, c)) /* s𝟙𝟙ᵀ: each entry is s */
        return ix_expr(s, b, a, NULL, NULL);
    if (ix_ones(x, a))
        return ix_expr(s, b, c, i, j);
    sg_buf_init(&t);
    ix_sub(s, &t, a, NULL, NULL, I_PROD);
    sg_buf_puts(b, sg_buf_str(&t));
    sg_buf_free(&t);
    sg_buf_init(&t);
    ix_sub(s, &t, c, i, j, I_PROD);
    ix_cat(b, sg_buf_str(&t));
    sg_buf_free(&t);
    return I_PROD;
}

/* e a matrix product: its entry (i, j), a sum over the indices between
   its factors */
static int ix_product(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    tex_doc *x = s->x;
    tex_list fl = {NULL, 0, 0};
    const sg_expr *const *f;
    const char **idx;
    int nf, any = 0, k, m;
    sg_buf over, body;
    chain_factors(x, e, &fl);
    f = fl.v;
    nf = fl.n;
    idx = sg_xmalloc(((size_t)nf + 1) * sizeof *idx); /* the indices between factors */
    idx[0] = i;
    for (k = 1; k < nf; k++)
        idx[k] = f[k]->shape.rows == SG_DIM_ONE ? NULL : ix_fresh(s);
    idx[nf] = j;
    /* a diagonal factor between two others ties their indices */
    for (k = 1; k + 1 < nf; k++)
        if ((f[k]->op == SG_OP_DIAG || f[k]->op == SG_OP_EYE) && idx[k + 1] && idx[k])
            for (m = nf; m > k; m--)
                if (idx[m] == idx[k + 1] && m != nf)
                    idx[m] = idx[k];
    sg_buf_init(&over);
    sg_buf_init(&body);
    for (k = 1; k < nf; k++) {
        for (m = 1; m < k && idx[m] != idx[k]; m++)
            ;
        if (idx[k] && m == k) {
            sg_buf_printf(&over, "%s%s", any ? "," : "\\sum_{", idx[k]);
            any = 1;
        }
    }
    if (any)
        sg_buf_puts(&over, "} ");
    for (k = 0; k < nf; k++) {
        sg_buf fb;
        const char *r = ix_of(f[k]->shape.rows, idx[k]);
        const char *q = ix_of(f[k]->shape.cols, idx[k + 1]);
        if (ix_ones(x, f[k])) /* a factor 1: its indices summed over all the same */
            continue;
        sg_buf_init(&fb);
        if ((f[k]->op == SG_OP_DIAG || f[k]->op == SG_OP_EYE) && r && q && r == q) {
            if (f[k]->op == SG_OP_DIAG)
                ix_sub(s, &fb, f[k]->kid[0], r, NULL, k + 1 < nf ? I_PROD : I_OP);
        } else {
            ix_sub(s, &fb, f[k], r, q, k + 1 < nf ? I_PROD : I_OP);
        }
        ix_cat(&body, sg_buf_str(&fb));
        sg_buf_free(&fb);
    }
    if (!sg_buf_str(&body)[0]) /* only ones: Σ_k 1 */
        sg_buf_puts(&body, "1");
    sg_buf_printf(b, "%s%s", sg_buf_str(&over), sg_buf_str(&body));
    sg_buf_free(&over);
    sg_buf_free(&body);
    free(idx);
    free(fl.v);
    return any ? I_OP : I_PROD;
}

/* e = ⟨a, c⟩, sum(a) or tr(a): a sum over a's indices */
static int ix_summed(ixs *s, sg_buf *b, const sg_expr *e)
{
    const sg_expr *a = e->kid[0], *c = e->nkids > 1 ? e->kid[1] : NULL;
    sg_buf t;
    const char *r = a->shape.rows == SG_DIM_ONE ? NULL : ix_fresh(s);
    const char *q = e->op == SG_OP_TRACE ? r : a->shape.cols == SG_DIM_ONE ? NULL : ix_fresh(s);
    sg_buf_printf(b, "\\sum_{%s%s%s} ", r ? r : "", r && q && q != r ? "," : "",
                  q && q != r ? q : "");
    if (e->op == SG_OP_DOT && a == c) {
        ix_sub(s, b, a, r, q, I_ATOM);
        sg_buf_puts(b, "^{2}");
    } else {
        ix_sub(s, b, a, r, q, I_POST);
        if (e->op == SG_OP_DOT) {
            sg_buf_init(&t);
            ix_sub(s, &t, c, r, q, I_POST);
            ix_cat(b, sg_buf_str(&t));
            sg_buf_free(&t);
        }
    }
    return I_OP;
}

/* e's entry (i, j) in index notation into b (i or j NULL: that dimension
   is 1); returns its level (I_*), for the parentheses around it */
static int ix_expr(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    tex_doc *x = s->x;
    const char *name = tex_namer(x, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *c = e->nkids > 1 ? e->kid[1] : NULL;
    sg_buf t;
    if (name || e->op == SG_OP_VAR || e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) {
        sg_buf_puts(b, ix_entry(s, name ? name : tex_str(x, e, TEX_M_BOX, 1), i, j));
        return I_ATOM;
    }
    switch (e->op) {
    case SG_OP_CONST: case SG_OP_DIMVAL:
        sg_buf_puts(b, tex_str(x, e, TEX_M_BOX, 1));
        return e->op == SG_OP_CONST && e->value < 0 ? I_NEG : I_ATOM;
    case SG_OP_ZERO:
        sg_buf_puts(b, "0");
        return I_ATOM;
    case SG_OP_ONES:
        sg_buf_puts(b, "1");
        return I_ATOM;
    case SG_OP_EYE:
        sg_buf_printf(b, "[%s = %s]", i, j);
        return I_ATOM;
    case SG_OP_FILL:
        return ix_expr(s, b, a, NULL, NULL);
    case SG_OP_TRANSPOSE:
        return ix_expr(s, b, a, j, i);
    case SG_OP_ADD:
        ix_sub(s, b, a, i, j, I_SUM);
        sg_buf_init(&t);
        ix_sub(s, &t, c, i, j, I_SUM);
        if (sg_buf_str(&t)[0] == '-')
            sg_buf_printf(b, "\002 - %s", sg_buf_str(&t) + 1);
        else
            sg_buf_printf(b, "\002 + %s", sg_buf_str(&t));
        sg_buf_free(&t);
        return I_SUM;
    case SG_OP_MUL:
        if (tex_is_scalar(a))
            return ix_scalar_times(s, b, e, i, j);
        return ix_product(s, b, e, i, j);
    case SG_OP_HADAMARD:
        if (a == c) { /* h_i h_i is h_i^2 */
            ix_sub(s, b, a, i, j, I_ATOM);
            sg_buf_puts(b, "^{2}");
            return I_POST;
        }
        if (ix_ones(x, a))
            return ix_expr(s, b, c, i, j);
        if (ix_ones(x, c))
            return ix_expr(s, b, a, i, j);
        ix_sub(s, b, a, i, j, I_PROD);
        sg_buf_init(&t);
        ix_sub(s, &t, c, i, j, I_PROD);
        ix_cat(b, sg_buf_str(&t));
        sg_buf_free(&t);
        return I_PROD;
    case SG_OP_HDIV:
        sg_buf_puts(b, "\\frac{");
        ix_expr(s, b, a, i, j);
        sg_buf_puts(b, "}{");
        ix_expr(s, b, c, tex_is_scalar(c) ? NULL : i, tex_is_scalar(c) ? NULL : j);
        sg_buf_puts(b, "}");
        return I_PROD;
    case SG_OP_POW:
        ix_sub(s, b, a, i, j, I_ATOM);
        sg_buf_printf(b, "^{%s}", tex_str(x, c, TEX_M_BOX, 1));
        return I_POST;
    case SG_OP_DOT: case SG_OP_SUM: case SG_OP_TRACE:
        return ix_summed(s, b, e);
    case SG_OP_DIAG:
        sg_buf_printf(b, "[%s = %s]\\,", i, j);
        ix_sub(s, b, a, i, NULL, I_POST);
        return I_PROD;
    case SG_OP_DIAGV:
        ix_sub(s, b, a, i, i, I_POST);
        return I_POST;
    case SG_OP_SEQSUM:
        sg_buf_printf(b, "\\sum_{t=%s}^{%s} ", tex_index(x, e->lo), tex_index(x, e->hi));
        ix_sub(s, b, a, i, j, I_PROD);
        return I_OP;
    default:
        if (sg_op_is_elementwise_unary(e->op) && e->op != SG_OP_SQRT && e->op != SG_OP_ABS) {
            sg_buf_printf(b, "%s(", tex_fn_name(e->op));
            ix_expr(s, b, a, i, j);
            sg_buf_puts(b, ")");
            return I_ATOM;
        }
        /* softmax(z)_i, (K^{-1})_{ij}: entries of a whole */
        sg_buf_puts(b, ix_entry(s, tex_str(x, e, TEX_M_BOX, 1), i, j));
        return I_ATOM;
    }
}

/* the index form of a result, as one more line of its align */
void tex_index_line(tex_doc *x, sg_buf *b, const sg_result *r)
{
    ixs s;
    sg_buf t;
    const char *lhs, *parts[1], *i, *j;
    const char *of = tex_name(x, r->of), *w = r->wrt ? tex_name(x, r->wrt) : "";
    sg_shape sh = r->display->shape;
    int k, saved;
    /* entry by entry, a long result (its tree perhaps exponential in its
       DAG) would not fit in the three lines allowed below anyway */
    if (tex_shown_size(x, r->display, TEX_M_BOX, 300, 1) > 300)
        return;
    memset(&s, 0, sizeof s);
    s.x = x;
    for (k = 0; k < NIX_LETTERS; k++)
        if (sg_sym_find(x->ctx, ix_letters[k]) < 0 && sg_dim_find(x->ctx, ix_letters[k]) < 0)
            s.pool[s.npool++] = ix_letters[k];
    i = sh.rows == SG_DIM_ONE ? NULL : s.pool[s.next++];
    j = sh.cols == SG_DIM_ONE ? NULL : s.pool[s.next++];
    if (r->kind == SG_RES_GRAD)
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", of,
                              ix_entry(&s, w, i, j));
    else if (r->kind == SG_RES_JACOBIAN)
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", ix_entry(&s, of, i, NULL),
                              ix_entry(&s, w, j, NULL));
    else
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial^2 %s}{\\partial %s\\,\\partial %s}", of,
                              ix_entry(&s, w, i, NULL),
                              ix_entry(&s, r->wrt2 ? tex_name(x, r->wrt2) : w, j, NULL));
    sg_buf_init(&t);
    saved = x->mode;
    x->mode = TEX_M_BOX; /* the namer's, for the entries' names */
    ix_expr(&s, &t, r->display, i, j);
    x->mode = saved;
    parts[0] = sg_arena_strdup(x->ar, sg_buf_str(&t));
    sg_buf_free(&t);
    if (tex_width(parts[0]) > 3 * TEX_LINE_EMS(x))
        return; /* entry by entry it would not read better */
    tex_equation(x, b, lhs, "", parts, 1, "\\text{(entry by entry)}");
}

/* ---- gradient-descent updates (--update) --------------------------------------- */

/* the learning rate's letter: η unless the problem uses it */
static const char *rate_name(tex_doc *x)
{
    static const char *const tex[] = {"\\eta", "\\alpha", "\\gamma", "\\lambda"},
                             *const names[][2] = {{"eta", "η"}, {"alpha", "α"}, {"gamma", "γ"},
                                                  {"lambda", "λ"}};
    int i;
    for (i = 0; i < 4; i++)
        if (!tex_taken(x, names[i][0]) && !tex_taken(x, names[i][1]))
            return tex[i];
    return "\\eta'";
}

/* η times a closed form: in parentheses when it is a sum */
static const char *times_rate(tex_doc *x, const char *eta, const sg_expr *e, const char *text)
{
    int sum = e->op == SG_OP_ADD || tex_negated(e) || (e->op == SG_OP_CONST && e->value < 0);
    return sum ? sg_arena_printf(x->ar, "%s\\bigl(%s\\bigr)", eta, text)
               : sg_arena_printf(x->ar, "%s\\,%s", eta, text);
}

/*
 * Each parameter the gradient was asked for, one step of gradient descent:
 * vectorised, W ← W − η∇_W L with ∇_W L in closed form, and entry by entry,
 * W_ij ← W_ij − η ∂L/∂W_ij with ∂L/∂W_ij in index notation (as --index
 * writes it).
 */
void tex_doc_updates(tex_doc *x)
{
    sg_buf *b = x->out;
    const char *eta = rate_name(x);
    int i, n = 0;
    size_t start = 0;
    for (i = 0; i < x->p->nresults; i++) {
        const sg_result *r = &x->p->results[i];
        const char *w, *of, *parts[2], *closed;
        int sym, saved;
        sg_shape sh;
        if (r->kind != SG_RES_GRAD || !r->wrt || !r->display)
            continue;
        sym = sg_sym_find(x->ctx, r->wrt);
        if (sym < 0 || sg_sym_get(x->ctx, sym)->seq >= 0)
            continue; /* a defined value or a sequence: not a parameter */
        if (n++ == 0) {
            sg_buf_printf(b, "\\subsection*{Gradient-descent updates}\n"
                             "One step of gradient descent with learning rate $%s > 0$ moves each "
                             "parameter against its gradient, all at once (every gradient is "
                             "evaluated before any parameter changes); vectorised, with the "
                             "gradients above in closed form, and entry by entry:\n"
                             "\\begin{align*}\n",
                          eta);
            start = b->len;
        } else { /* an align per parameter: a document without \allowdisplaybreaks
                    (where a fragment goes) cannot break one, and all of them
                    outgrow a page */
            tex_end_align(b, start);
            sg_buf_puts(b, "\\begin{align*}\n");
            start = b->len;
        }
        w = tex_name(x, r->wrt);
        of = tex_name(x, r->of);
        sh = r->display->shape;
        x->fname = of;
        closed = tex_result_text(x, r->display, NULL);
        parts[0] = sg_arena_printf(x->ar, "%s - %s\\nabla_{%s} %s", w, eta, w, of);
        parts[1] = sg_arena_printf(x->ar, "%s - %s", w, times_rate(x, eta, r->display, closed));
        tex_equation(x, b, w, "\\leftarrow ", parts, 2, "");
        if (sh.rows == SG_DIM_ONE && sh.cols == SG_DIM_ONE)
            continue; /* a scalar: the same line entry by entry */
        {
            ixs s;
            sg_buf t;
            const char *ii, *jj, *we, *rhs = NULL;
            int k;
            memset(&s, 0, sizeof s);
            s.x = x;
            for (k = 0; k < NIX_LETTERS; k++)
                if (sg_sym_find(x->ctx, ix_letters[k]) < 0 && sg_dim_find(x->ctx, ix_letters[k]) < 0)
                    s.pool[s.npool++] = ix_letters[k];
            ii = sh.rows == SG_DIM_ONE ? NULL : ix_fresh(&s);
            jj = sh.cols == SG_DIM_ONE ? NULL : ix_fresh(&s);
            we = ix_entry(&s, w, ii, jj);
            if (tex_shown_size(x, r->display, TEX_M_BOX, 300, 1) <= 300) {
                sg_buf_init(&t);
                saved = x->mode;
                x->mode = TEX_M_BOX;
                k = ix_expr(&s, &t, r->display, ii, jj);
                x->mode = saved;
                if (tex_width(sg_buf_str(&t)) <= 3 * TEX_LINE_EMS(x))
                    rhs = k <= I_SUM ? sg_arena_printf(x->ar, "%s\\bigl(%s\\bigr)", eta,
                                                       sg_buf_str(&t))
                                     : sg_arena_printf(x->ar, "%s\\,%s", eta, sg_buf_str(&t));
                sg_buf_free(&t);
            }
            parts[0] = sg_arena_printf(x->ar, "%s - %s\\frac{\\partial %s}{\\partial %s}", we, eta,
                                       of, we);
            parts[1] = rhs ? sg_arena_printf(x->ar, "%s - %s", we, rhs) : NULL;
            tex_equation(x, b, we, "\\leftarrow ", parts, rhs ? 2 : 1, "");
        }
    }
    if (n > 0) {
        tex_end_align(b, start);
        sg_buf_puts(b, "\n");
    }
}
