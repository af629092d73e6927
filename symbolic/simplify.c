/*
 * simplify.c: results in the closed form a course solution prints.
 *
 * Differentiation builds each result for computing: products associated by
 * cost, one term per path, transposes of whole products. sg_simplify()
 * rewrites a result into the form a person writes, in two passes over its
 * DAG. Each pass visits the nodes in id order (kids are older than their
 * parents) and keeps one result per node, a computed table as in CUDD, so a
 * pass is linear in the DAG and never recurses along its depth:
 *
 *  1. The normal form. A linear region (sums, products, transposes that no
 *     other node shares) becomes a list of terms, each a constant times
 *     sorted scalar factors times ordered matrix factors. Transposes go to
 *     the leaves ((AB)ᵀ = BᵀAᵀ, (aᵀ)ᵀ = a, Sᵀ = S), except that a sum is
 *     kept the way round with fewer transposes ((UVᵀ − Y)ᵀ, not VUᵀ − Yᵀ)
 *     and a row as the transpose of a column. Like terms are collected, also
 *     up to a scalar (βA + γA = (β + γ)A), and zeros dropped; scalars go to
 *     the front; a 1×1 stretch of a product is one scalar (xᵀy = yᵀx = ⟨x, y⟩).
 *     A sum inside a product stays one factor, and so does a scaled sum (−r,
 *     not −WᵀWx + x): it is distributed only when that makes terms cancel and
 *     the sum shorter ((𝟙 − y) ⊙ p − y ⊙ (𝟙 − p) = p − y). ⊙ products are
 *     flattened and sorted, a chain of them once at its top (a ⊙ used once
 *     by a ⊙ is part of its region, like a sum in a sum); σ(−a) = 𝟙 − σ(a).
 *     Kronecker products that share a side are one: A ⊗ C + B ⊗ C =
 *     (A + B) ⊗ C.
 *     Terms are ordered positive first, then by degree, then by a structural
 *     order that never looks at ids, so that equal sums are one node. A sum shared by several nodes
 *     is inlined into the sums that use it only when it is short
 *     (MAX_INLINE terms); a longer one stays one term, so that a chain of
 *     sums each adding to the last stays linear in size.
 *  2. Factoring. A matrix factor common to the left or right of every term of
 *     a sum is pulled out with the scalars common to all terms
 *     (Wxrᵀ + Wrxᵀ = W(xrᵀ + rxᵀ)); common scalars alone come out of a sum
 *     inside a formula, and out of a whole result only when that shortens
 *     the text. Every other node is rebuilt as in pass 1 from its kids' new
 *     forms, so that the result is a fixed point: simplifying it again
 *     returns the same node.
 *
 * A pass's tables are indexed by a numbering of the nodes it reaches
 * (sg_idmap), not by node id: the printers simplify each value they show, and
 * tables sized by every node made would cost each small value the whole DAG.
 *
 * A node a definition names (z₁, h₁) is an atom: the result is written in
 * terms of it. Every node is made by expr.c's constructors, so results share
 * structure with everything already built. Nodes taller than MAX_HEIGHT are
 * only rebuilt from their simplified kids, which bounds the recursion inside
 * one region and the work on pathological inputs. Whatever is left of that
 * work is bounded by a BUDGET of comparisons and constructor calls: a result
 * that would take more (a product of a thousand scalars, each compared along
 * its depth) is displayed as differentiation built it.
 */
#include "simplify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

#define MAX_HEIGHT 2000 /* taller nodes are rebuilt from simplified kids only */
#define MAX_NEST 200   /* deeper products and ⊙ chains are taken as one factor */
#define MAX_EXPAND 16  /* a sum is distributed only when it has this few terms */
#define MAX_ROUNDS 8   /* rounds of distribution tried per sum */
#define MAX_INLINE 8   /* a shared sum with more terms stays one term of a sum */
#define MAX_CANCEL 64  /* quotients cancel in ⊙ chains and products this long at most */
#define SIZE_CAP 1e15  /* tree sizes saturate here */
/* the work one sg_simplify may do (structural comparisons and constructor
   calls): a result that needs more is displayed as it was built */
#define BUDGET 3000000ul

/* c · s₁…sₖ · F₁…Fₘ: the scalars commute and are kept sorted */
typedef struct {
    double c;
    sg_expr **s;
    int ns;
    sg_expr **f; /* none for a 1×1 term */
    int nf;
} term;

typedef struct {
    term *t;
    int n, cap;
} tlist;

typedef struct simplifier {
    sg_ctx *ctx;
    sg_arena *ar;         /* terms and lists: freed when sg_simplify returns */
    int phase;            /* 1: normal form, 2: factoring */
    /* The per-node tables are indexed by a dense numbering of the nodes they
       hold (sg_idmap), never by id: a pass's scratch is proportional to the
       nodes it reaches, so simplifying a small value in a large DAG costs
       the value's size, not the DAG's. */
    sg_idmap pass;        /* the nodes under the roots, numbered in this pass */
    unsigned npass;       /* room in the arrays below */
    unsigned char *root;  /* by pass number: a node being simplified (never an atom) */
    sg_expr **val;        /* by pass number: the pass's result, NULL until computed */
    unsigned *refs;       /* by pass number: edges from reachable parents */
    sg_expr **parent;     /* by pass number: the first such parent */
    int *height;          /* by pass number: longest path to a leaf or atom */
    sg_idmap aux;         /* any node, made in this call or not: both passes */
    unsigned naux;        /* room in the arrays below */
    double *size;         /* by aux number: tree sizes, 0 unknown */
    sg_expr **tr;         /* by aux number: transpose_atom's results in this
                             pass, NULL until computed */
    unsigned char *kept;  /* by aux number: a shared sum kept whole as a term
                             of the sums that use it (both passes) */
    unsigned long *ops;   /* structural comparison steps so far */
    unsigned long work0;  /* sg_ctx_work when sg_simplify started */
    unsigned long budget; /* the work this simplification may do */
    int gave_up;          /* the budget ran out: the result is e itself */
    /* the order sort_terms is sorting by */
    int (*tcmp)(struct simplifier *, const term *, const term *);
} simplifier;

static sg_expr *canon_sum(simplifier *st, tlist *l, sg_shape shape);
static sg_expr *factor_list(simplifier *st, tlist *l, sg_shape shape, int top);
static sg_expr *transpose_atom(simplifier *st, sg_expr *a);
static int term_of(simplifier *st, sg_expr *e, term *t, int depth);
static int expand_term(simplifier *st, const term *t, tlist *out, int cancelling);

/* ---- small helpers -------------------------------------------------------- */

/* has this simplification used up its BUDGET, or the DAG its SG_MAX_NODES?
   From then on comparisons take ids, a cheap order, since the result will be
   thrown away */
static int exhausted(const simplifier *st)
{
    return *st->ops + (sg_ctx_work(st->ctx) - st->work0) > st->budget ||
           sg_expr_count(st->ctx) > SG_MAX_NODES;
}

static int is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

/* e's number in this pass, SG_IDMAP_NONE when the pass did not reach it */
static unsigned pix(const simplifier *st, const sg_expr *e)
{
    return sg_idmap_find(&st->pass, e);
}

static int is_root(const simplifier *st, const sg_expr *e)
{
    unsigned i = pix(st, e);
    return i != SG_IDMAP_NONE && st->root[i];
}

/* the pass's tables for e, with the defaults of a node it did not reach */
static sg_expr *val_of(const simplifier *st, const sg_expr *e)
{
    unsigned i = pix(st, e);
    return i != SG_IDMAP_NONE ? st->val[i] : NULL;
}

static unsigned refs_of(const simplifier *st, const sg_expr *e)
{
    unsigned i = pix(st, e);
    return i != SG_IDMAP_NONE ? st->refs[i] : 0;
}

static int height_of(const simplifier *st, const sg_expr *e)
{
    unsigned i = pix(st, e);
    return i != SG_IDMAP_NONE ? st->height[i] : 0;
}

/* e's number in the tables of the whole call, given one if it had none */
static unsigned aux_ix(simplifier *st, const sg_expr *e)
{
    unsigned i = sg_idmap_add(&st->aux, e);
    if (i >= st->naux) {
        unsigned n = (unsigned)sg_grow_cap((size_t)i + 1, st->naux, sizeof *st->size, SG_GROW_MAX,
                                           "nodes in one simplification");
        st->size = sg_xrealloc(st->size, n * sizeof *st->size);
        st->tr = sg_xrealloc(st->tr, n * sizeof *st->tr);
        st->kept = sg_xrealloc(st->kept, n);
        memset(st->size + st->naux, 0, (n - st->naux) * sizeof *st->size);
        memset(st->tr + st->naux, 0, (n - st->naux) * sizeof *st->tr);
        memset(st->kept + st->naux, 0, n - st->naux);
        sg_ctx_scratch_add(st->ctx, (unsigned long)(n - st->naux) *
                                        (sizeof *st->size + sizeof *st->tr + 1));
        st->naux = n;
    }
    return i;
}

/* an atom because a definition names it (a node being simplified is not) */
static int named(const simplifier *st, const sg_expr *e)
{
    return e->name != NULL && !is_root(st, e);
}

static int is_kept(const simplifier *st, const sg_expr *e)
{
    unsigned i = sg_idmap_find(&st->aux, e);
    return i != SG_IDMAP_NONE && st->kept[i];
}

static void keep(simplifier *st, const sg_expr *e)
{
    unsigned i = aux_ix(st, e); /* may move st->kept */
    st->kept[i] = 1;
}

/* a sum whose terms are terms of the sums and products it is in */
static int is_sum(const simplifier *st, const sg_expr *e)
{
    return e->op == SG_OP_ADD && !named(st, e) && !is_kept(st, e);
}

/* 1/s for a 1×1 s */
static int is_recip(const sg_expr *e)
{
    return e->op == SG_OP_HDIV && is_scalar(e) && e->kid[0]->op == SG_OP_CONST &&
           e->kid[0]->value == 1;
}

static int linear_op(sg_op op)
{
    return op == SG_OP_ADD || op == SG_OP_MUL || op == SG_OP_TRANSPOSE;
}

static sg_shape flip(sg_shape s)
{
    return sg_shape_make(s.cols, s.rows);
}

static sg_expr **nodes(simplifier *st, int n)
{
    return sg_arena_alloc(st->ar, (size_t)(n > 0 ? n : 1) * sizeof(sg_expr *));
}

/* memcpy of n nodes, where n may be 0 and src NULL */
static void copy_nodes(sg_expr **dst, sg_expr *const *src, int n)
{
    if (n > 0)
        memcpy(dst, src, (size_t)n * sizeof *dst);
}

/* ---- a structural order ----------------------------------------------------- */

/* classes in reading order: x before f(x) before products before sums */
static int rank(const simplifier *st, const sg_expr *e)
{
    if (named(st, e))
        return 1;
    switch (e->op) {
    case SG_OP_VAR: case SG_OP_SEQSTEP: case SG_OP_AT: return 0;
    case SG_OP_DIMVAL: return 2;
    case SG_OP_CONST: return 3;
    case SG_OP_EYE: case SG_OP_ONES: case SG_OP_FILL: case SG_OP_ZERO: return 4;
    case SG_OP_SUM: case SG_OP_TRACE: case SG_OP_DOT: case SG_OP_NORM: case SG_OP_NORM1:
    case SG_OP_DET: case SG_OP_LOGDET: case SG_OP_DIAG: case SG_OP_DIAGV: case SG_OP_SEQSUM:
        return 6;
    case SG_OP_MUL: return 7;
    case SG_OP_HADAMARD: case SG_OP_HDIV: case SG_OP_POW: return 8;
    case SG_OP_ADD: return 9;
    default: return 5; /* functions */
    }
}

static int cmp_num(double a, double b)
{
    return a < b ? -1 : a > b;
}

static int cmp_index(sg_index a, sg_index b)
{
    if (a.dim != b.dim)
        return a.dim < b.dim ? -1 : 1;
    return a.off < b.off ? -1 : a.off > b.off;
}

/*
 * A total order that depends only on structure, never on ids (which depend
 * on the order nodes happened to be made), so that the same terms always
 * sort the same way. Equal structure is one node, so the walk follows a
 * single path down to the first difference: a loop, not a recursion.
 */
static int cmp_node(const simplifier *st, const sg_expr *a, const sg_expr *b)
{
    for (;;) {
        const sg_expr *ba, *bb;
        int i;
        if (a == b)
            return 0;
        if (++*st->ops > BUDGET && exhausted(st))
            return a->id < b->id ? -1 : 1;
        /* xᵀ sorts right after x */
        ba = a->op == SG_OP_TRANSPOSE && !named(st, a) ? a->kid[0] : a;
        bb = b->op == SG_OP_TRANSPOSE && !named(st, b) ? b->kid[0] : b;
        if (ba == bb)
            return (a != ba) - (b != bb);
        a = ba;
        b = bb;
        if (rank(st, a) != rank(st, b))
            return rank(st, a) < rank(st, b) ? -1 : 1;
        if (named(st, a)) {
            int r = strcmp(a->name, b->name);
            return r ? r : a->id < b->id ? -1 : 1;
        }
        if (a->op != b->op)
            return a->op < b->op ? -1 : 1;
        if (a->op == SG_OP_VAR && a->sym != b->sym)
            return a->sym < b->sym ? -1 : 1;
        if (a->op == SG_OP_CONST && a->value != b->value)
            return cmp_num(a->value, b->value);
        if (a->op == SG_OP_DIMVAL && a->dim != b->dim)
            return a->dim < b->dim ? -1 : 1;
        if (a->seq != b->seq) /* h[t − 1], h[T], Σ_{t=1}^{T} */
            return a->seq < b->seq ? -1 : 1;
        if (a->off != b->off)
            return a->off < b->off ? -1 : 1;
        if (a->op == SG_OP_AT && !sg_index_eq(a->at, b->at))
            return cmp_index(a->at, b->at);
        if (a->op == SG_OP_SEQSUM && !sg_index_eq(a->lo, b->lo))
            return cmp_index(a->lo, b->lo);
        if (a->op == SG_OP_SEQSUM && !sg_index_eq(a->hi, b->hi))
            return cmp_index(a->hi, b->hi);
        if (a->shape.rows != b->shape.rows)
            return a->shape.rows < b->shape.rows ? -1 : 1;
        if (a->shape.cols != b->shape.cols)
            return a->shape.cols < b->shape.cols ? -1 : 1;
        for (i = 0; i < a->nkids && a->kid[i] == b->kid[i]; i++)
            ;
        if (i == a->nkids) /* not reached: equal structure is one node */
            return a->id < b->id ? -1 : 1;
        a = a->kid[i];
        b = b->kid[i];
    }
}

/* scalar factors: reciprocals first, so that (1/N)·β·X prints as βX/N */
static int cmp_scalar(const simplifier *st, const sg_expr *a, const sg_expr *b)
{
    if (is_recip(a) != is_recip(b))
        return is_recip(a) ? -1 : 1;
    return cmp_node(st, a, b);
}

static int cmp_seq(const simplifier *st, sg_expr *const *a, int na, sg_expr *const *b, int nb)
{
    int i, r;
    for (i = 0; i < na && i < nb; i++)
        if ((r = cmp_node(st, a[i], b[i])) != 0)
            return r;
    return na < nb ? -1 : na > nb;
}

/* like terms have equal keys: the same factors and scalars */
static int cmp_key(simplifier *st, const term *a, const term *b)
{
    int r;
    if (a->nf != b->nf)
        return a->nf < b->nf ? -1 : 1;
    if ((r = cmp_seq(st, a->f, a->nf, b->f, b->nf)) != 0)
        return r;
    if (a->ns != b->ns)
        return a->ns < b->ns ? -1 : 1;
    return cmp_seq(st, a->s, a->ns, b->s, b->ns);
}

static double term_size(simplifier *st, const term *t);

/*
 * Reading order: positive terms first (a − b, not −b + a), then higher
 * degree (Xᵀdiag(w)X/N + λI); of scalar terms the larger first (a loss
 * before its regularizer).
 */
static int cmp_display(simplifier *st, const term *a, const term *b)
{
    int r;
    if ((a->c > 0) != (b->c > 0))
        return a->c > 0 ? -1 : 1;
    if (a->nf != b->nf)
        return a->nf > b->nf ? -1 : 1;
    if (a->nf == 0 && (r = cmp_num(term_size(st, b), term_size(st, a))) != 0)
        return r;
    if ((r = cmp_seq(st, a->f, a->nf, b->f, b->nf)) != 0)
        return r;
    if (a->ns != b->ns)
        return a->ns > b->ns ? -1 : 1;
    if ((r = cmp_seq(st, a->s, a->ns, b->s, b->ns)) != 0)
        return r;
    return cmp_num(fabs(a->c), fabs(b->c));
}

typedef int (*term_cmp)(simplifier *, const term *, const term *);

/*
 * A stable merge sort of n elements of the given size: qsort has no context
 * argument and is not stable. Bottom-up, so a ⊙ chain of a thousand factors
 * is sorted in n log n comparisons with no recursion.
 */
typedef int (*elem_cmp)(simplifier *, const void *, const void *);

static void sort_stable(simplifier *st, void *base, int n, size_t size, elem_cmp cmp)
{
    char *v = base, *tmp;
    int width, i;
    if (n < 2)
        return;
    tmp = sg_xmalloc((size_t)n * size);
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            int mid = i + width < n ? i + width : n;
            int hi = i + 2 * width < n ? i + 2 * width : n, a = i, b = mid, k = i;
            while (a < mid && b < hi) {
                int take_b = cmp(st, v + (size_t)b * size, v + (size_t)a * size) < 0;
                memcpy(tmp + (size_t)k++ * size, v + (size_t)(take_b ? b++ : a++) * size, size);
            }
            memcpy(tmp + (size_t)k * size, v + (size_t)a * size, (size_t)(mid - a) * size);
            k += mid - a;
            memcpy(tmp + (size_t)k * size, v + (size_t)b * size, (size_t)(hi - b) * size);
        }
        memcpy(v, tmp, (size_t)n * size);
    }
    free(tmp);
}

static int cmp_term_elems(simplifier *st, const void *a, const void *b)
{
    return st->tcmp(st, a, b);
}

static void sort_terms(simplifier *st, term *t, int n, term_cmp cmp)
{
    term_cmp outer = st->tcmp; /* a comparison may simplify, and sort */
    st->tcmp = cmp;
    sort_stable(st, t, n, sizeof *t, cmp_term_elems);
    st->tcmp = outer;
}

static int cmp_node_elems(simplifier *st, const void *a, const void *b)
{
    return cmp_node(st, *(sg_expr *const *)a, *(sg_expr *const *)b);
}

static void sort_nodes(simplifier *st, sg_expr **v, int n)
{
    sort_stable(st, v, n, sizeof *v, cmp_node_elems);
}

/* ---- tree sizes: what "shorter" means ------------------------------------- */

/* nodes in e printed as a tree; a named node counts 1 */
static double tree_size(simplifier *st, sg_expr *e)
{
    sg_expr **stack;
    int sp = 0, cap = 64;
    unsigned ie = aux_ix(st, e); /* aux_ix may move st->size: index first */
    if (st->size[ie] > 0)
        return st->size[ie];
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    while (sp > 0) {
        sg_expr *x = stack[sp - 1];
        double s = 1;
        int i, pending = 0;
        unsigned ix = aux_ix(st, x);
        if (st->size[ix] > 0) {
            sp--;
            continue;
        }
        for (i = 0; i < x->nkids && !named(st, x); i++) {
            unsigned ik = aux_ix(st, x->kid[i]);
            if (st->size[ik] > 0) {
                s += st->size[ik];
                continue;
            }
            SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
            stack[sp++] = x->kid[i];
            pending = 1;
        }
        if (pending)
            continue;
        st->size[ix] = s < SIZE_CAP ? s : SIZE_CAP;
        sp--;
    }
    free(stack);
    return st->size[ie];
}

/*
 * A term's size, its constant left out: moving a constant into a sum or out
 * of it is not what makes a formula shorter (pass 2 pulls it out again).
 */
static double term_size(simplifier *st, const term *t)
{
    double s = t->nf + t->ns > 0 ? t->nf + t->ns - 1 : 1;
    int i;
    for (i = 0; i < t->nf; i++)
        s += tree_size(st, t->f[i]);
    for (i = 0; i < t->ns; i++)
        s += tree_size(st, t->s[i]);
    return s;
}

static double list_size(simplifier *st, const tlist *l)
{
    double s = l->n > 1 ? l->n - 1 : 0;
    int i;
    for (i = 0; i < l->n; i++)
        s += term_size(st, &l->t[i]);
    return s;
}

/* ---- terms -------------------------------------------------------------- */

static term unit(void)
{
    term t;
    t.c = 1;
    t.s = t.f = NULL;
    t.ns = t.nf = 0;
    return t;
}

static tlist decompose(simplifier *st, sg_expr *e);

static tlist transpose_list(simplifier *st, const tlist *l);

/*
 * Appends t. 1·(a + b) is the terms a and b, and 1·(a + b)ᵀ the terms aᵀ
 * and bᵀ: a sum is never a term of a sum.
 */
static void push(simplifier *st, tlist *l, const term *t)
{
    sg_expr *one = t->ns + t->nf == 1 ? (t->ns ? t->s[0] : t->f[0]) : NULL;
    if (t->c == 0)
        return;
    if (one && t->c == 1 && !named(st, one) &&
        (is_sum(st, one) || (one->op == SG_OP_TRANSPOSE && is_sum(st, one->kid[0])))) {
        tlist m = decompose(st, one->op == SG_OP_TRANSPOSE ? one->kid[0] : one);
        int i;
        if (one->op == SG_OP_TRANSPOSE)
            m = transpose_list(st, &m);
        for (i = 0; i < m.n; i++)
            push(st, l, &m.t[i]);
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 4;
        term *nt = sg_arena_alloc(st->ar, (size_t)cap * sizeof *nt);
        if (l->n)
            memcpy(nt, l->t, (size_t)l->n * sizeof *nt);
        l->t = nt;
        l->cap = cap;
    }
    l->t[l->n++] = *t;
}

static void append(simplifier *st, tlist *l, const tlist *m)
{
    int i;
    for (i = 0; i < m->n; i++)
        push(st, l, &m->t[i]);
}

/* a single atom as a term */
static term atom(simplifier *st, sg_expr *e)
{
    term t = unit();
    /* ⟨a, b⟩ = ⟨b, a⟩: one order, whatever order the kids took meanwhile */
    if (e->op == SG_OP_DOT && !named(st, e) && cmp_node(st, e->kid[0], e->kid[1]) > 0)
        e = sg_dot(st->ctx, e->kid[1], e->kid[0]);
    if (e->op == SG_OP_CONST) {
        t.c = e->value;
    } else if (is_scalar(e)) {
        t.s = nodes(st, 1);
        t.s[0] = e;
        t.ns = 1;
    } else {
        t.f = nodes(st, 1);
        t.f[0] = e;
        t.nf = 1;
    }
    return t;
}

/*
 * A 1×1 product of matrix factors as one scalar factor, in the orientation
 * that sorts first (xᵀAy = yᵀAᵀx), and a product of two vectors as their
 * inner product, so that xᵀy, yᵀx and ⟨x, y⟩ are one node.
 */
static sg_expr *chain_atom(simplifier *st, sg_expr **f, int k)
{
    sg_expr **g, **h, *a, *b, *e;
    int i;
    if (k == 1)
        return f[0];
    g = nodes(st, k);
    for (i = 0; i < k; i++)
        g[i] = transpose_atom(st, f[k - 1 - i]);
    h = cmp_seq(st, g, k, f, k) < 0 ? g : f;
    if (k == 2 && h[1]->shape.cols == SG_DIM_ONE) {
        a = transpose_atom(st, h[0]);
        b = h[1];
        return cmp_node(st, a, b) <= 0 ? sg_dot(st->ctx, a, b) : sg_dot(st->ctx, b, a);
    }
    for (e = h[0], i = 1; i < k; i++)
        e = sg_mul(st->ctx, e, h[i]);
    return e;
}

static term mul_term(simplifier *st, const term *a, const term *b);

/* x · (1/x) = 1 among a term's scalars: p(1 − p) · (1 − y)/(1 − p) is
   p(1 − y). A display form, where x ≠ 0 wherever the quotient is defined */
static void cancel_quotients(term *t)
{
    int i, j, k, w;
    if (t->ns > MAX_CANCEL) /* each scalar against each: a long product stays */
        return;
    for (i = 0; i < t->ns; i++) {
        if (!is_recip(t->s[i]))
            continue;
        for (j = 0; j < t->ns && (j == i || t->s[j] != t->s[i]->kid[1]); j++)
            ;
        if (j == t->ns)
            continue;
        for (k = w = 0; k < t->ns; k++) /* drop both, keeping the order */
            if (k != i && k != j)
                t->s[w++] = t->s[k];
        t->ns = w;
        i = -1; /* from the start: the indices moved */
    }
}

/* t times the scalar x, which may itself be a product or a constant */
static term mul_scalar(simplifier *st, const term *t, sg_expr *x)
{
    term u;
    if (!term_of(st, x, &u, 0))
        u.c = 0;
    return mul_term(st, t, &u);
}

static sg_expr *build_term(simplifier *st, const term *t, sg_shape shape);

/* the canonical product AC, a side of a merged Kronecker product */
static sg_expr *kron_factor(simplifier *st, sg_expr *a, sg_expr *c)
{
    term u = atom(st, a), v = atom(st, c), p = mul_term(st, &u, &v);
    return build_term(st, &p, sg_shape_make(a->shape.rows, c->shape.cols));
}

/* a b, for terms whose shapes fit */

static term mul_term(simplifier *st, const term *a, const term *b)
{
    term t;
    int i = 0, j = 0, k = 0, eyes = 0;
    t.c = a->c * b->c;
    t.ns = a->ns + b->ns;
    t.s = nodes(st, t.ns);
    while (i < a->ns || j < b->ns) /* merge the sorted scalars */
        if (j == b->ns || (i < a->ns && cmp_scalar(st, a->s[i], b->s[j]) <= 0))
            t.s[k++] = a->s[i++];
        else
            t.s[k++] = b->s[j++];
    cancel_quotients(&t);
    t.f = nodes(st, a->nf + b->nf);
    t.nf = 0;
    for (i = 0; i < a->nf + b->nf; i++)
        eyes += (i < a->nf ? a->f[i] : b->f[i - a->nf])->op == SG_OP_EYE;
    for (i = 0; i < a->nf + b->nf; i++) {
        sg_expr *f = i < a->nf ? a->f[i] : b->f[i - a->nf];
        /* IA = AI = A */
        if (f->op != SG_OP_EYE || (eyes == a->nf + b->nf && t.nf == 0))
            t.f[t.nf++] = f;
    }
    /* (A ⊗ B)(C ⊗ D) = AC ⊗ BD where AC and BD conform (the mixed-product
       property): (I ⊗ Uᵀ)(I ⊗ U) = I ⊗ UᵀU, never two large factors */
    for (i = 0; i + 1 < t.nf; i++) {
        sg_expr *x = t.f[i], *y = t.f[i + 1];
        if (x->op != SG_OP_KRON || y->op != SG_OP_KRON ||
            x->kid[0]->shape.cols != y->kid[0]->shape.rows ||
            x->kid[1]->shape.cols != y->kid[1]->shape.rows)
            continue;
        t.f[i] = sg_kron(st->ctx, kron_factor(st, x->kid[0], y->kid[0]),
                         kron_factor(st, x->kid[1], y->kid[1]));
        memmove(t.f + i + 1, t.f + i + 2, (size_t)(t.nf - i - 2) * sizeof *t.f);
        t.nf--;
        i--; /* the product may meet the next factor too */
    }
    /* a 1×1 stretch of the chain is a scalar and moves to the front:
       p(uᵀv)wᵀ = (uᵀv)pwᵀ */
    for (i = 0; i < t.nf; i++) {
        sg_expr *x;
        if (t.f[i]->shape.rows != SG_DIM_ONE)
            continue;
        for (j = i; j < t.nf && t.f[j]->shape.cols != SG_DIM_ONE; j++)
            ;
        if (j == t.nf)
            break;
        x = chain_atom(st, t.f + i, j - i + 1);
        memmove(t.f + i, t.f + j + 1, (size_t)(t.nf - j - 1) * sizeof *t.f);
        t.nf -= j - i + 1;
        if (x->op == SG_OP_MUL && !named(st, x) && !is_scalar(x->kid[0])) {
            term u = atom(st, x); /* already a canonical chain: not split again */
            return mul_term(st, &t, &u);
        }
        return mul_scalar(st, &t, x);
    }
    return t;
}

static term transpose_term(simplifier *st, const term *t)
{
    term u = *t;
    int i;
    if (t->nf == 0)
        return u;
    u.f = nodes(st, t->nf);
    for (i = 0; i < t->nf; i++) /* (AB)ᵀ = BᵀAᵀ */
        u.f[i] = transpose_atom(st, t->f[t->nf - 1 - i]);
    return u;
}

static tlist transpose_list(simplifier *st, const tlist *l)
{
    tlist r = {NULL, 0, 0};
    int i;
    for (i = 0; i < l->n; i++) {
        term t = transpose_term(st, &l->t[i]);
        push(st, &r, &t);
    }
    return r;
}

/*
 * The term e is (e not a sum): products flattened, scalars gathered, s𝟙 as
 * s·𝟙, transposed products turned around. Returns 0 when e is zero. Deeper
 * than MAX_NEST, the rest of a product is one factor.
 */
static int term_of(simplifier *st, sg_expr *e, term *t, int depth)
{
    term a, b;
    if (named(st, e) || depth > MAX_NEST || is_kept(st, e)) {
        *t = atom(st, e);
        return 1;
    }
    switch (e->op) {
    case SG_OP_CONST:
        *t = unit();
        t->c = e->value;
        return e->value != 0;
    case SG_OP_ZERO:
        return 0;
    case SG_OP_FILL: /* s𝟙 */
        if (!term_of(st, e->kid[0], &a, depth + 1))
            return 0;
        b = atom(st, sg_ones(st->ctx, e->shape));
        *t = mul_term(st, &a, &b);
        return t->c != 0;
    case SG_OP_MUL:
        if (!term_of(st, e->kid[0], &a, depth + 1) || !term_of(st, e->kid[1], &b, depth + 1))
            return 0;
        *t = mul_term(st, &a, &b);
        return t->c != 0;
    case SG_OP_TRANSPOSE:
        if (e->kid[0]->op == SG_OP_MUL && !named(st, e->kid[0])) {
            if (!term_of(st, e->kid[0], &a, depth + 1))
                return 0;
            *t = transpose_term(st, &a);
            return 1;
        }
        break;
    default:
        break;
    }
    *t = atom(st, e);
    return 1;
}

/* the terms of e: a sum's terms left to right, else e's one term */
static tlist decompose(simplifier *st, sg_expr *e)
{
    tlist l = {NULL, 0, 0};
    sg_expr **stack;
    int sp = 0, cap = 16;
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    while (sp > 0) {
        sg_expr *x = stack[--sp];
        term t;
        if (is_sum(st, x)) {
            SG_GROW(stack, sp + 1, cap, SG_GROW_MAX, "nodes on one walk's stack");
            stack[sp++] = x->kid[1];
            stack[sp++] = x->kid[0];
        } else if (term_of(st, x, &t, 0)) {
            push(st, &l, &t);
        }
    }
    free(stack);
    return l;
}

/* the node of a term: c · (1/d) · s₁ ⋯ sₖ · F₁ ⋯ Fₘ */
static sg_expr *build_term(simplifier *st, const term *t, sg_shape shape)
{
    sg_ctx *ctx = st->ctx;
    sg_expr *m = NULL, *s = NULL;
    int i;
    if (t->c == 0)
        return sg_zero(ctx, shape);
    /* right to left: a chain grown on the left (A J, forward Jacobians,
       Aᵀ(Bᵀg), gradients) finds the product of its tail made already */
    for (i = t->nf - 1; i >= 0; i--)
        m = m ? sg_mul(ctx, t->f[i], m) : t->f[i];
    for (i = t->ns - 1; i >= 0; i--)
        s = s ? sg_mul(ctx, t->s[i], s) : t->s[i];
    if (s)
        m = m ? sg_mul(ctx, s, m) : s;
    if (!m)
        m = sg_const(ctx, 1);
    if (t->c != 1)
        m = sg_mul(ctx, sg_const(ctx, t->c), m);
    return m;
}

/* left to right, the order the terms are in */
static sg_expr *build_sum(simplifier *st, const tlist *l, sg_shape shape)
{
    sg_expr *e = NULL;
    int i;
    for (i = 0; i < l->n; i++) {
        sg_expr *x = build_term(st, &l->t[i], shape);
        e = e ? sg_add(st->ctx, e, x) : x;
    }
    return e ? e : sg_zero(st->ctx, shape);
}

/* a list as one term: a single term stays itself, a sum becomes one factor */
static int opaque(simplifier *st, tlist *l, sg_shape shape, term *t)
{
    sg_expr *e;
    tlist m;
    if (l->n == 1) {
        *t = l->t[0];
        return 1;
    }
    if (l->n == 0)
        return 0;
    e = canon_sum(st, l, shape);
    m = decompose(st, e);
    if (m.n == 0)
        return 0;
    *t = m.n == 1 ? m.t[0] : atom(st, e);
    return 1;
}

/* ---- collecting, distributing -------------------------------------------- */

/*
 * Collects like terms (c₁t + c₂t = (c₁ + c₂)t) and drops zeros; terms with
 * the same matrix factors and different scalars share one scalar sum
 * (βA + γA = (β + γ)A). Returns how many terms cancelled.
 */
static int collect(simplifier *st, tlist *l)
{
    int i, j, n = 0, cancelled = 0;
    sort_terms(st, l->t, l->n, cmp_key);
    for (i = 0; i < l->n; i = j) {
        double c = l->t[i].c;
        for (j = i + 1; j < l->n && cmp_key(st, &l->t[i], &l->t[j]) == 0; j++)
            c += l->t[j].c;
        if (c == 0) {
            cancelled += j - i > 1;
            continue;
        }
        l->t[n] = l->t[i];
        l->t[n++].c = c;
    }
    l->n = n;
    /* runs of equal factors with different scalars */
    for (i = 0, n = 0; i < l->n; i = j) {
        for (j = i + 1; j < l->n && l->t[i].nf > 0 && l->t[j].nf == l->t[i].nf &&
                        cmp_seq(st, l->t[i].f, l->t[i].nf, l->t[j].f, l->t[j].nf) == 0;
             j++)
            ;
        if (j - i > 1) {
            tlist sc = {NULL, 0, 0};
            term g = unit(), u;
            int k;
            for (k = i; k < j; k++) {
                u = l->t[k];
                u.f = NULL;
                u.nf = 0;
                push(st, &sc, &u);
            }
            g.f = l->t[i].f;
            g.nf = l->t[i].nf;
            g = mul_scalar(st, &g, canon_sum(st, &sc, sg_shape_make(SG_DIM_ONE, SG_DIM_ONE)));
            if (g.c != 0)
                l->t[n++] = g;
            else
                cancelled++;
        } else {
            l->t[n++] = l->t[i];
        }
    }
    l->n = n;
    return cancelled;
}

/*
 * The hadamard factors of e, sums included, with scalings moved into *coef.
 * A ⊙ node is flattened the first time it is reached (seen) and is one
 * factor after that: xₖ = xₖ₋₁ ⊙ xₖ₋₁ written out is 2ᵏ factors of x₀, and
 * 20 such lines took the printers' stacks; now it is k + 1 factors.
 */
static int hadamard_factors(simplifier *st, sg_expr *e, int tr, term *coef, sg_expr ***out, int *n,
                            int *cap, int depth, sg_idmap *seen)
{
    sg_expr *x = e;
    while (!named(st, x) && depth < MAX_NEST) {
        term u;
        if (x->op == SG_OP_HADAMARD && sg_idmap_find(seen, x) == SG_IDMAP_NONE) {
            sg_idmap_add(seen, x);
            if (!hadamard_factors(st, x->kid[0], tr, coef, out, n, cap, depth + 1, seen))
                return 0;
            x = x->kid[1];
        } else if (x->op == SG_OP_TRANSPOSE && x->kid[0]->op == SG_OP_HADAMARD &&
                   !named(st, x->kid[0])) { /* (A ⊙ B)ᵀ = Aᵀ ⊙ Bᵀ */
            tr = !tr;
            x = x->kid[0];
        } else if (x->op == SG_OP_MUL && is_scalar(x->kid[0]) && !is_scalar(x)) {
            if (!term_of(st, x->kid[0], &u, 0))
                return 0;
            *coef = mul_term(st, coef, &u);
            x = x->kid[1];
        } else if (x->op == SG_OP_FILL) { /* A ⊙ s𝟙 = sA */
            if (!term_of(st, x->kid[0], &u, 0))
                return 0;
            *coef = mul_term(st, coef, &u);
            return 1;
        } else {
            break;
        }
        depth++;
    }
    if (sg_expr_is_zero(x))
        return 0;
    if (x->op == SG_OP_ONES) /* A ⊙ 𝟙 = A */
        return 1;
    SG_GROW(*out, *n, *cap, SG_GROW_MAX, "factors in one product");
    (*out)[(*n)++] = tr ? sg_transpose(st->ctx, x) : x;
    return 1;
}

/*
 * A₁ ⊙ … ⊙ Aₖ in canonical form: nested ⊙ flattened, scalars outside
 * ((sA) ⊙ B = s(A ⊙ B)), 𝟙 dropped, factors sorted (⊙ commutes), and
 * Aᵀ ⊙ Bᵀ = (A ⊙ B)ᵀ.
 */
static sg_expr *canon_hadamard(simplifier *st, sg_expr *const *in, int nin, sg_shape shape)
{
    sg_expr **f = NULL, *h;
    term coef = unit();
    int n = 0, cap = 0, i, alltr;
    sg_idmap seen;
    sg_idmap_init(&seen, st->ctx);
    for (i = 0; i < nin; i++)
        if (!hadamard_factors(st, in[i], 0, &coef, &f, &n, &cap, 0, &seen) || coef.c == 0) {
            free(f);
            sg_idmap_free(&seen);
            return sg_zero(st->ctx, shape);
        }
    sg_idmap_free(&seen);
    for (i = 0; i < n && n <= MAX_CANCEL; i++) {
        /* x ⊙ (a ⊘ x) = a and a ⊘ a = 𝟙: display forms, where x has no
           zero entry wherever the quotient is defined */
        int j;
        sg_expr *r;
        term t;
        if (f[i]->op != SG_OP_HDIV || named(st, f[i]))
            continue;
        if (f[i]->kid[0] == f[i]->kid[1]) { /* a ⊘ a = 𝟙 */
            f[i] = f[--n];
        } else {
            for (j = 0; j < n && (j == i || f[j] != f[i]->kid[1]); j++)
                ;
            if (j == n)
                continue;
            f[i] = f[i]->kid[0];
            f[j] = f[--n];
        }
        /* the rest, in canonical form again, times the scalars */
        r = canon_hadamard(st, f, n, shape);
        free(f);
        if (!term_of(st, r, &t, 0))
            return sg_zero(st->ctx, shape);
        t = mul_term(st, &coef, &t);
        return build_term(st, &t, shape);
    }
    alltr = n >= 2;
    for (i = 0; i < n; i++)
        alltr &= f[i]->op == SG_OP_TRANSPOSE && !named(st, f[i]);
    if (alltr) {
        for (i = 0; i < n; i++)
            f[i] = f[i]->kid[0];
        h = sg_transpose(st->ctx, canon_hadamard(st, f, n, flip(shape)));
    } else {
        sort_nodes(st, f, n);
        h = n ? f[0] : sg_ones(st->ctx, shape);
        for (i = 1; i < n; i++)
            h = sg_hadamard(st->ctx, h, f[i]);
    }
    free(f);
    {
        term t = atom(st, h);
        tlist ex = {NULL, 0, 0};
        t = mul_term(st, &coef, &t);
        /* p ⊙ (𝟙 − p) ⊙ ((𝟙 − y) ⊘ (𝟙 − p) − y ⊘ p) = p − y: distributed
           where a quotient cancels (each time one fewer, so this ends) */
        if (h->op == SG_OP_HADAMARD && expand_term(st, &t, &ex, 1))
            return canon_sum(st, &ex, shape);
        return build_term(st, &t, shape);
    }
}

/* is one of the terms of the sum p a quotient by a scalar of t other than
   t->s[skip] (a scalar one), or (vector) a ⊘ f with f one of fs other than
   fs[skip]? Distributing over p then cancels it */
static int cancels_scalar(const term *t, int skip, const tlist *p)
{
    int j, k, m;
    for (j = 0; j < p->n; j++)
        for (k = 0; k < p->t[j].ns; k++)
            if (is_recip(p->t[j].s[k]))
                for (m = 0; m < t->ns; m++)
                    if (m != skip && t->s[m] == p->t[j].s[k]->kid[1])
                        return 1;
    return 0;
}

static int cancels_hadamard(sg_expr *const *fs, int n, int skip, const tlist *p)
{
    int j, m;
    for (j = 0; j < p->n; j++) {
        const sg_expr *q = p->t[j].nf == 1 ? p->t[j].f[0] : NULL;
        if (!q || q->op != SG_OP_HDIV)
            continue;
        for (m = 0; m < n; m++)
            if (m != skip && fs[m] == q->kid[1])
                return 1;
    }
    return 0;
}

/*
 * The terms of t with one sum in it distributed: a scalar sum, a sum among
 * the matrix factors, or a sum inside a ⊙ factor. Returns 0 when t has none
 * (or one too long to try). With cancelling, only a sum that holds a
 * quotient by another factor of t is distributed:
 * p(1 − p)((1 − y)/(1 − p) − y/p) = (1 − y)p − (1 − p)y, and the same with
 * ⊙ and ⊘, so that the next round gives p − y.
 */
static int expand_term(simplifier *st, const term *t, tlist *out, int cancelling)
{
    int i, j, k;
    for (i = 0; i < t->ns; i++)
        if (is_sum(st, t->s[i])) {
            tlist p = decompose(st, t->s[i]);
            term rest = *t;
            if (p.n > MAX_EXPAND) {
                if (cancelling)
                    continue;
                return 0;
            }
            if (cancelling && !cancels_scalar(t, i, &p))
                continue;
            rest.s = nodes(st, t->ns);
            for (j = k = 0; j < t->ns; j++)
                if (j != i)
                    rest.s[k++] = t->s[j];
            rest.ns = k;
            for (j = 0; j < p.n; j++) {
                term u = mul_term(st, &rest, &p.t[j]);
                push(st, out, &u);
            }
            return 1;
        }
    for (i = 0; i < t->nf; i++) {
        sg_expr *f = t->f[i], **hf = NULL;
        term pre = *t, suf = unit(), hc = unit();
        tlist p = {NULL, 0, 0};
        int nh = 0, hcap = 0, sum = -1;
        pre.nf = i;
        suf.f = t->f + i + 1;
        suf.nf = t->nf - i - 1;
        if (is_sum(st, f) && !cancelling) {
            p = decompose(st, f);
        } else if (f->op == SG_OP_HADAMARD && !named(st, f)) {
            /* (A + B) ⊙ C = A ⊙ C + B ⊙ C */
            sg_idmap seen;
            int ok;
            sg_idmap_init(&seen, st->ctx);
            ok = hadamard_factors(st, f, 0, &hc, &hf, &nh, &hcap, 0, &seen);
            sg_idmap_free(&seen);
            if (ok)
                for (j = 0; j < nh && sum < 0; j++)
                    if (is_sum(st, hf[j])) {
                        tlist q;
                        if (!cancelling) {
                            sum = j;
                            break;
                        }
                        q = decompose(st, hf[j]);
                        if (q.n <= MAX_EXPAND && cancels_hadamard(hf, nh, j, &q))
                            sum = j;
                    }
            if (sum >= 0) {
                tlist q = decompose(st, hf[sum]);
                for (j = 0; j < q.n && q.n <= MAX_EXPAND; j++) {
                    tlist r;
                    hf[sum] = build_term(st, &q.t[j], f->shape);
                    r = decompose(st, canon_hadamard(st, hf, nh, f->shape));
                    for (k = 0; k < r.n; k++) {
                        term u = mul_term(st, &hc, &r.t[k]);
                        push(st, &p, &u);
                    }
                }
                if (q.n > MAX_EXPAND)
                    p.n = MAX_EXPAND + 1;
            }
            free(hf);
            if (sum < 0)
                continue;
        } else {
            continue;
        }
        if (p.n > MAX_EXPAND)
            return 0;
        for (j = 0; j < p.n; j++) {
            term u = mul_term(st, &pre, &p.t[j]);
            u = mul_term(st, &u, &suf);
            push(st, out, &u);
        }
        return 1;
    }
    return 0;
}

/* is a term with t's key in l other than l->t[skip]? (l sorted by key) */
static int has_key(simplifier *st, const tlist *l, const term *t, int skip)
{
    int lo = 0, hi = l->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, r = cmp_key(st, &l->t[mid], t);
        if (r == 0)
            return mid != skip;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

/* could distributing term i (into e) cancel anything? */
static int may_cancel(simplifier *st, const tlist *l, int i, const tlist *e)
{
    int j, k;
    for (j = 0; j < e->n; j++) {
        if (has_key(st, l, &e->t[j], i))
            return 1;
        for (k = 0; k < j; k++)
            if (cmp_key(st, &e->t[j], &e->t[k]) == 0)
                return 1;
    }
    return 0;
}

/*
 * Distributes products over sums only where that makes terms cancel and
 * the text shorter: (𝟙 − y) ⊙ p − y ⊙ (𝟙 − p) = p − y, but WᵀWr − r
 * stays (merging alone is not enough: pass 2 would pull the factors out
 * again). Every sum at once, then one term at a time (only those whose
 * pieces meet a like term). Each round taken makes the sum strictly
 * shorter, so this ends.
 */
static void distribute(simplifier *st, tlist *l)
{
    int round, i, j;
    for (round = 0; round < MAX_ROUNDS; round++) {
        double size = list_size(st, l);
        tlist all = {NULL, 0, 0}, *ex;
        int any = 0, taken = 0;
        for (i = 0; i < l->n; i++) {
            tlist e = {NULL, 0, 0};
            if (expand_term(st, &l->t[i], &e, 1)) {
                append(st, &all, &e);
                any++;
            } else {
                push(st, &all, &l->t[i]);
            }
        }
        if (any) {
            collect(st, &all);
            *l = all;
            continue;
        }
        all.n = 0;
        /* l comes collected, so sorted by key */
        ex = sg_arena_alloc(st->ar, (size_t)(l->n > 0 ? l->n : 1) * sizeof *ex);
        for (i = 0; i < l->n; i++) {
            memset(&ex[i], 0, sizeof ex[i]);
            if (expand_term(st, &l->t[i], &ex[i], 0)) {
                append(st, &all, &ex[i]);
                any++;
            } else {
                ex[i].n = -1;
                push(st, &all, &l->t[i]);
            }
        }
        if (!any)
            return;
        if (collect(st, &all) > 0 && list_size(st, &all) < size) {
            *l = all;
            continue;
        }
        for (i = 0; i < l->n && any > 1 && !taken; i++) {
            tlist one = {NULL, 0, 0};
            if (ex[i].n < 0 || !may_cancel(st, l, i, &ex[i]))
                continue;
            for (j = 0; j < l->n; j++)
                if (j == i)
                    append(st, &one, &ex[i]);
                else
                    push(st, &one, &l->t[j]);
            if (collect(st, &one) > 0 && list_size(st, &one) < size) {
                *l = one;
                taken = 1;
            }
        }
        if (!taken)
            return;
    }
}

/* the transposes the terms print with */
static int transposes(const simplifier *st, const tlist *l)
{
    int i, j, n = 0;
    for (i = 0; i < l->n; i++)
        for (j = 0; j < l->t[i].nf; j++) {
            const sg_expr *f = l->t[i].f[j];
            n += (f->op == SG_OP_TRANSPOSE && !named(st, f)) ||
                 (f->op == SG_OP_ONES && f->shape.rows == SG_DIM_ONE);
        }
    return n;
}

/* eᵀ with the transpose pushed through a product, (W(a + b))ᵀ = (a + b)ᵀWᵀ */
static sg_expr *transposed(simplifier *st, sg_expr *e, sg_shape shape)
{
    term u;
    if (!term_of(st, sg_transpose(st->ctx, e), &u, 0))
        return sg_zero(st->ctx, shape);
    return build_term(st, &u, shape);
}

/* which side two Kronecker products share (1: the right, B ⊗ C and A ⊗ C;
   0: the left), or −1 */
static int kron_side(const sg_expr *x, const sg_expr *y)
{
    if (x->kid[1] == y->kid[1] && sg_shape_eq(x->kid[0]->shape, y->kid[0]->shape))
        return 1;
    if (x->kid[0] == y->kid[0] && sg_shape_eq(x->kid[1]->shape, y->kid[1]->shape))
        return 0;
    return -1;
}

/* c(A ⊗ C) + d(B ⊗ C) = (cA + dB) ⊗ C, and the same on the left: terms that
   are one Kronecker product each and share a side become one */
static void merge_kron(simplifier *st, tlist *l)
{
    int i, j, n = 0, side;
    for (i = 0; i < l->n; i++) {
        term *a = &l->t[i];
        for (j = i + 1; j < l->n && a->nf == 1 && a->f[0]->op == SG_OP_KRON; j++) {
            term *b = &l->t[j], u = *a, v = *b;
            sg_expr *x = a->f[0], *y = b->f[0], *sum;
            if (b->c == 0 || b->nf != 1 || y->op != SG_OP_KRON || (side = kron_side(x, y)) < 0)
                continue;
            u.f = nodes(st, 1);
            v.f = nodes(st, 1);
            u.f[0] = x->kid[side ? 0 : 1];
            v.f[0] = y->kid[side ? 0 : 1];
            sum = sg_add(st->ctx, build_term(st, &u, u.f[0]->shape),
                         build_term(st, &v, v.f[0]->shape));
            *a = unit();
            a->f = nodes(st, 1);
            a->f[0] = side ? sg_kron(st->ctx, sum, x->kid[1]) : sg_kron(st->ctx, x->kid[0], sum);
            a->nf = 1;
            b->c = 0;
        }
    }
    for (i = 0; i < l->n; i++)
        if (l->t[i].c != 0)
            l->t[n++] = l->t[i];
    l->n = n;
}

/*
 * The canonical node of a sum of terms: collected, distributed where that
 * cancels, ordered for reading. A row of two or more terms is written as the
 * transpose of a column, (Wx − y)ᵀ, so that it is the same sum as its column.
 */
static sg_expr *canon_terms(simplifier *st, tlist *l, sg_shape shape)
{
    collect(st, l);
    merge_kron(st, l);
    distribute(st, l);
    if (l->n >= 2 && shape.cols != SG_DIM_ONE) {
        /* a matrix sum is written the way round with fewer transposes:
           (UVᵀ − Y)ᵀ, not VUᵀ − Yᵀ, so that UVᵀ − Y stays one shared node */
        tlist t = transpose_list(st, l);
        if (shape.rows == SG_DIM_ONE || transposes(st, &t) < transposes(st, l))
            return transposed(st, canon_sum(st, &t, flip(shape)), shape);
    }
    sort_terms(st, l->t, l->n, cmp_display);
    return build_sum(st, l, shape);
}

/* canon_terms, and in pass 2 factored like every other sum */
static sg_expr *canon_sum(simplifier *st, tlist *l, sg_shape shape)
{
    sg_expr *e = canon_terms(st, l, shape);
    if (st->phase == 2 && is_sum(st, e)) {
        tlist m = decompose(st, e);
        return factor_list(st, &m, e->shape, 0);
    }
    return e;
}

/* a node a constructor returned, in canonical form */
static sg_expr *canon_node(simplifier *st, sg_expr *e)
{
    tlist l;
    if (named(st, e) || !linear_op(e->op))
        return e;
    l = decompose(st, e);
    return canon_sum(st, &l, e->shape);
}

/*
 * aᵀ for an atom a: (aᵀ)ᵀ = a and Sᵀ = S by sg_transpose; a matrix sum is
 * turned term by term, (A + B)ᵀ = Aᵀ + Bᵀ, unless that adds transposes
 * (canon_sum decides); a column sum r stays whole as rᵀ, which reads better
 * than its terms transposed and keeps r shared.
 */
static sg_expr *transpose_atom(simplifier *st, sg_expr *a)
{
    tlist l, t;
    sg_expr *r;
    unsigned ia;
    if (!is_sum(st, a) || a->shape.cols == SG_DIM_ONE)
        return sg_transpose(st->ctx, a);
    /* once per sum and pass: a sum inside a sum's terms is transposed again
       each time the outer one is (canon_terms counts the transposes both
       ways round), so without the table nested sums take exponential work */
    ia = aux_ix(st, a);
    if (st->tr[ia])
        return st->tr[ia];
    l = decompose(st, a);
    t = transpose_list(st, &l);
    r = canon_sum(st, &t, flip(a->shape)); /* may grow st->tr */
    st->tr[ia] = r;
    return r;
}

/* ---- the passes ------------------------------------------------------------ */

static sg_expr *kid_val(simplifier *st, sg_expr *e, int i)
{
    return i < e->nkids ? val_of(st, e->kid[i]) : NULL;
}

/*
 * Is e folded into its only parent's region instead of being simplified on
 * its own? In the normal form, any linear node used once by a linear parent;
 * in factoring, a sum that is a term of its parent sum, and a product a
 * factor of its parent product.
 */
static int interior(const simplifier *st, const sg_expr *e)
{
    const sg_expr *p;
    if (named(st, e) || refs_of(st, e) != 1 || is_root(st, e) || is_kept(st, e))
        return 0;
    p = st->parent[pix(st, e)]; /* refs 1: e was reached */
    if (named(st, p) || height_of(st, p) > MAX_HEIGHT)
        return 0;
    /* a ⊙ inside a ⊙, in both passes: the top of the chain flattens it
       (hadamard_region); each link made its own sorted form would rebuild
       the chain under it again, quadratic in its length */
    if (e->op == SG_OP_HADAMARD && p->op == SG_OP_HADAMARD)
        return 1;
    if (st->phase == 1)
        return linear_op(e->op) && linear_op(p->op);
    /* a product inside a product too: each link of a chain made its own
       form would flatten the chain under it again, quadratic in its length */
    return (e->op == SG_OP_ADD && p->op == SG_OP_ADD) ||
           (e->op == SG_OP_MUL && p->op == SG_OP_MUL);
}

static tlist region(simplifier *st, sg_expr *e);

/*
 * Does v, the form of a kid that several nodes share, stay whole in them: a
 * sum of more than MAX_INLINE terms (l) as one term of a sum, a product of
 * more than MAX_INLINE factors as one factor of a product?
 */
static int stays_whole(const simplifier *st, const sg_expr *v, const tlist *l)
{
    if (named(st, v))
        return 0;
    if (v->op == SG_OP_ADD)
        return l->n > MAX_INLINE;
    return v->op == SG_OP_MUL && l->n == 1 && l->t[0].c == 1 && l->t[0].ns == 0 &&
           l->t[0].nf > MAX_INLINE;
}

/*
 * The terms of kid k. A sum or product that several nodes share stays
 * whole when it is long: inlining it into every node that uses it would
 * copy it once per use, and a chain of sums each adding to the last (a
 * Hessian built level by level, Jₖ = Aₖ + Jₖ₋₁) or of products each
 * multiplying the last (Jₖ = DₖWₖJₖ₋₁) would grow quadratically with its
 * length, in size or in the work of rebuilding it.
 */
static tlist sub_terms(simplifier *st, sg_expr *k)
{
    sg_expr *v;
    tlist l;
    if (interior(st, k))
        return region(st, k);
    v = val_of(st, k);
    l = decompose(st, v);
    if ((refs_of(st, k) > 1 || is_kept(st, k)) && stays_whole(st, v, &l)) {
        term t;
        keep(st, v);
        t = atom(st, v);
        l.n = 0;
        push(st, &l, &t);
    }
    return l;
}

/*
 * The terms of the linear region under e (normal form). A product of sums
 * keeps each sum as one factor: r(Wx)ᵀ, not WᵀWx(Wx)ᵀ − x(Wx)ᵀ; only a
 * coefficient of exactly 1 lets a sum through.
 */
static tlist region(simplifier *st, sg_expr *e)
{
    tlist a = sub_terms(st, e->kid[0]), b, r = {NULL, 0, 0};
    term ta, tb, t;
    switch (e->op) {
    case SG_OP_ADD:
        b = sub_terms(st, e->kid[1]);
        append(st, &a, &b);
        return a;
    case SG_OP_MUL:
        b = sub_terms(st, e->kid[1]);
        if (a.n == 1 && a.t[0].c == 1 && a.t[0].ns == 0 && a.t[0].nf == 0)
            return b;
        if (!opaque(st, &a, e->kid[0]->shape, &ta) || !opaque(st, &b, e->kid[1]->shape, &tb))
            return r;
        t = mul_term(st, &ta, &tb);
        push(st, &r, &t);
        return r;
    default: /* (A + B)ᵀ = Aᵀ + Bᵀ, (AB)ᵀ = BᵀAᵀ */
        return transpose_list(st, &a);
    }
}

/*
 * f(a) for an elementwise f, in canonical form: f(sAᵀ) = f(sA)ᵀ, so that
 * transposes stay outside (σ(W)ᵀ ⊙ Aᵀ = (σ(W) ⊙ A)ᵀ), and σ(−a) = 𝟙 − σ(a).
 */
static sg_expr *elementwise(simplifier *st, sg_op op, sg_expr *a, sg_shape shape)
{
    sg_ctx *ctx = st->ctx;
    tlist l;
    if (!is_scalar(a) && !named(st, a) && (l = decompose(st, a)).n == 1 && l.t[0].nf == 1 &&
        l.t[0].f[0]->op == SG_OP_TRANSPOSE && !named(st, l.t[0].f[0])) {
        term t = l.t[0];
        t.f = nodes(st, 1);
        t.f[0] = l.t[0].f[0]->kid[0];
        return sg_transpose(ctx, elementwise(st, op, build_term(st, &t, flip(shape)), flip(shape)));
    }
    if (op == SG_OP_SIGMOID && a->op == SG_OP_MUL && !named(st, a) &&
        a->kid[0]->op == SG_OP_CONST && a->kid[0]->value < 0) {
        tlist m = {NULL, 0, 0};
        sg_expr *p = canon_node(st, sg_mul(ctx, sg_const(ctx, -a->kid[0]->value), a->kid[1]));
        term t = atom(st, elementwise(st, SG_OP_SIGMOID, p, shape)), one = unit();
        t.c = -1;
        if (!is_scalar(a))
            one = atom(st, sg_ones(ctx, shape));
        push(st, &m, &one);
        push(st, &m, &t);
        return canon_sum(st, &m, shape);
    }
    return canon_node(st, sg_unary(ctx, op, a));
}

/*
 * The canonical form of the ⊙ chain whose top is e: the forms of the nodes
 * under its interior ⊙ links, left to right, flattened and sorted together
 * once (canon_hadamard). Without recursion: a chain of definitions makes a
 * ⊙ as deep as it is long.
 */
static sg_expr *hadamard_region(simplifier *st, sg_expr *e)
{
    sg_expr **stack, **in, *r;
    int sp = 0, nin = 0, cap = 16, incap = 16;
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    in = sg_xmalloc((size_t)incap * sizeof *in);
    stack[sp++] = e;
    while (sp > 0) {
        sg_expr *x = stack[--sp];
        if (x == e || interior(st, x)) { /* interior: a ⊙ under a ⊙ */
            SG_GROW(stack, sp + 1, cap, SG_GROW_MAX, "nodes on one walk's stack");
            stack[sp++] = x->kid[1];
            stack[sp++] = x->kid[0];
        } else {
            SG_GROW(in, nin, incap, SG_GROW_MAX, "factors in one product");
            in[nin++] = val_of(st, x);
        }
    }
    r = canon_hadamard(st, in, nin, e->shape);
    free(stack);
    free(in);
    return r;
}

/* pass 1: the normal form of e, from its kids' */
static sg_expr *normal(simplifier *st, sg_expr *e)
{
    sg_ctx *ctx = st->ctx;
    sg_expr *a = kid_val(st, e, 0), *b = kid_val(st, e, 1), *in[2];
    if (named(st, e) || e->nkids == 0)
        return e;
    if (height_of(st, e) > MAX_HEIGHT)
        return sg_expr_rebuild(st->ctx, e, a, b);
    if (linear_op(e->op)) {
        tlist l = region(st, e);
        return canon_sum(st, &l, e->shape);
    }
    switch (e->op) {
    case SG_OP_HADAMARD:
        return hadamard_region(st, e);
    case SG_OP_DOT: /* ⟨a, b⟩ = ⟨b, a⟩; ⟨I, A⟩ = tr(A) */
        if (a->op == SG_OP_EYE || b->op == SG_OP_EYE)
            return canon_node(st, sg_trace(ctx, a->op == SG_OP_EYE ? b : a));
        if (a->shape.cols == SG_DIM_ONE) {
            /* ⟨a, b⟩ = aᵀb, the same chain as a row times a column */
            tlist la = decompose(st, a), lb = decompose(st, b), r = {NULL, 0, 0};
            tlist lt = transpose_list(st, &la);
            term ta, tb, t;
            if (!opaque(st, &lt, flip(a->shape), &ta) || !opaque(st, &lb, b->shape, &tb))
                return sg_const(ctx, 0);
            t = mul_term(st, &ta, &tb);
            push(st, &r, &t);
            return canon_sum(st, &r, e->shape);
        }
        in[0] = sg_dot(ctx, a, b);
        if (in[0]->op == SG_OP_DOT && cmp_node(st, in[0]->kid[0], in[0]->kid[1]) > 0)
            in[0] = sg_dot(ctx, in[0]->kid[1], in[0]->kid[0]);
        return canon_node(st, in[0]);
    case SG_OP_SUM: /* 𝟙ᵀ(a + s·c) = 𝟙ᵀa for a centred c (c = x − mean(x)𝟙) */
        if (!is_scalar(a) && !named(st, a) && is_sum(st, a)) {
            tlist l = decompose(st, a), kept = {NULL, 0, 0};
            int i;
            for (i = 0; i < l.n; i++)
                if (!(l.t[i].nf == 1 && sg_expr_sums_to_zero(l.t[i].f[0])))
                    push(st, &kept, &l.t[i]);
            if (kept.n < l.n)
                return canon_node(st, sg_sum(ctx, canon_sum(st, &kept, a->shape)));
        }
        break;
    case SG_OP_HDIV: /* a/b = a·(1/b) for scalars, so that λ/2 is ½λ */
        if (a == b && !is_scalar(e)) /* a ⊘ a = 𝟙, where it is defined */
            return sg_ones(ctx, e->shape);
        if (is_scalar(e) && !sg_expr_is_const(a, 1))
            return canon_node(st, sg_mul(ctx, a, sg_hdiv(ctx, sg_const(ctx, 1), b)));
        break;
    default:
        break;
    }
    if (sg_op_is_elementwise_unary(e->op))
        return elementwise(st, e->op, a, e->shape);
    return canon_node(st, sg_expr_rebuild(st->ctx, e, a, b));
}

/* the common scalar factors of all terms (a sorted multiset intersection) */
static int common_scalars(simplifier *st, const tlist *l, sg_expr **out)
{
    int n = l->t[0].ns, i, j, k, m;
    copy_nodes(out, l->t[0].s, n);
    for (i = 1; i < l->n; i++) {
        const term *t = &l->t[i];
        for (j = k = m = 0; j < n && k < t->ns;) {
            int r = cmp_scalar(st, out[j], t->s[k]);
            if (r == 0) {
                out[m++] = out[j++];
                k++;
            } else if (r < 0) {
                j++;
            } else {
                k++;
            }
        }
        n = m;
    }
    return n;
}

/* t without the scalars in common[0..n) (which t has) */
static void drop_scalars(simplifier *st, term *t, sg_expr *const *common, int n)
{
    sg_expr **s = nodes(st, t->ns);
    int j, k = 0, m = 0;
    for (j = 0; j < t->ns; j++)
        if (k < n && t->s[j] == common[k])
            k++;
        else
            s[m++] = t->s[j];
    t->s = s;
    t->ns = m;
}

/* rough printed length of a scalar factor, for "only when it shortens" */
static double text_len(simplifier *st, const sg_expr *e)
{
    if (named(st, e))
        return (double)strlen(e->name);
    switch (e->op) {
    case SG_OP_VAR: return (double)strlen(sg_sym_get(st->ctx, e->sym)->name);
    case SG_OP_DIMVAL: return (double)strlen(sg_dim_get(st->ctx, e->dim)->name);
    default: return 2 * tree_size(st, (sg_expr *)e);
    }
}

static double const_len(double c)
{
    char s[40]; /* %.17g of a double: 24 characters at most */
    int prec;
    if (fabs(c) == 0.5 || fabs(c) == 0.25 || fabs(c) == 0.75) /* ½ ¼ ¾ */
        return 1;
    for (prec = 1; prec < 17; prec++) {
        sprintf(s, "%.*g", prec, fabs(c));
        if (strtod(s, NULL) == fabs(c))
            break;
    }
    return (double)strlen(s);
}

/*
 * Σ cᵢ Π sᵢ P Mᵢ Q = g Π s P (Σ (cᵢ/g) Π sᵢ' Mᵢ) Q, with P and Q the longest
 * left and right matrix factors every term has (each term keeping one), g
 * and s the coefficient and scalars they share. With no common matrix
 * factor, the scalars come out of a sum inside another formula, which has
 * its parentheses anyway ((½A − ½B)X = ½(A − B)X), and out of a whole
 * result (top) only when that makes the text shorter.
 */
static sg_expr *factor_list(simplifier *st, tlist *l, sg_shape shape, int top)
{
    sg_expr **common;
    int i, p, q, minf, nc, neg = 1;
    double g, len = 0;
    term outer = unit();
    tlist inner = {NULL, 0, 0};
    sg_shape ishape = shape;
    /* terms whose factors just took their final form may be alike, and so
       may what is left inside: β(a + b) + β(b + c) = β(a + 2b + c) */
    collect(st, l);
    distribute(st, l);
    if (l->n < 2)
        return build_sum(st, l, shape);
    sort_terms(st, l->t, l->n, cmp_display);
    if (shape.cols != SG_DIM_ONE) { /* the way round canon_terms picks */
        tlist t = transpose_list(st, l);
        if (shape.rows == SG_DIM_ONE || transposes(st, &t) < transposes(st, l))
            return transposed(st, factor_list(st, &t, flip(shape), 0), shape);
    }
    minf = l->t[0].nf;
    g = fabs(l->t[0].c);
    for (i = 0; i < l->n; i++) {
        if (l->t[i].nf < minf)
            minf = l->t[i].nf;
        if (fabs(l->t[i].c) != g)
            g = 1;
        neg &= l->t[i].c < 0;
    }
    for (p = 0; p < minf - 1; p++) {
        for (i = 1; i < l->n && l->t[i].f[p] == l->t[0].f[p]; i++)
            ;
        if (i < l->n)
            break;
    }
    for (q = 0; p + q < minf - 1; q++) {
        const term *t0 = &l->t[0];
        for (i = 1; i < l->n && l->t[i].f[l->t[i].nf - 1 - q] == t0->f[t0->nf - 1 - q]; i++)
            ;
        if (i < l->n)
            break;
    }
    common = nodes(st, l->t[0].ns);
    nc = common_scalars(st, l, common);
    if (p + q == 0 && nc == 0 && g == 1 && !neg)
        return build_sum(st, l, shape);
    if (p + q == 0 && top) { /* the scalars alone: worth their parentheses? */
        for (i = 0; i < nc; i++)
            len += text_len(st, common[i]);
        if (g != 1)
            len += const_len(g);
        if (len * (l->n - 1) <= 2)
            return build_sum(st, l, shape);
    }
    if (neg)
        g = -g;
    for (i = 0; i < l->n; i++) {
        term t = l->t[i];
        t.c /= g;
        drop_scalars(st, &t, common, nc);
        if (p) /* a term of scalars alone has no factors (f NULL) */
            t.f += p;
        t.nf -= p + q;
        push(st, &inner, &t);
    }
    if (p + q > 0)
        ishape = sg_shape_make(inner.t[0].f[0]->shape.rows,
                               inner.t[0].f[inner.t[0].nf - 1]->shape.cols);
    outer.c = g;
    outer.s = common;
    outer.ns = nc;
    outer.f = nodes(st, p + q + 1);
    copy_nodes(outer.f, l->t[0].f, p);
    {
        sg_expr *in = factor_list(st, &inner, ishape, 0);
        const term *t0 = &l->t[0];
        if (is_scalar(in)) { /* u(aᵀb + cᵀd): the middle is a scalar */
            if (q) /* t0->f is NULL when t0 has no factors */
                copy_nodes(outer.f + p, t0->f + t0->nf - q, q);
            outer.nf = p + q;
            outer = mul_scalar(st, &outer, in);
        } else {
            outer.f[p] = in;
            if (q)
                copy_nodes(outer.f + p + 1, t0->f + t0->nf - q, q);
            outer.nf = p + q + 1;
        }
    }
    return build_term(st, &outer, shape);
}

/*
 * pass 2: e with its sums factored. Every other node is put together again
 * as in pass 1 from its kids' new forms, so that the result is its own
 * normal form and simplifying it again changes nothing.
 */
static sg_expr *factored(simplifier *st, sg_expr *e)
{
    sg_expr **stack;
    tlist l = {NULL, 0, 0};
    int sp = 0, cap = 16;
    if (e->op != SG_OP_ADD || named(st, e) || height_of(st, e) > MAX_HEIGHT)
        return normal(st, e);
    /* the terms of the whole sum, each from its factored form */
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    while (sp > 0) {
        sg_expr *x = stack[--sp];
        if (x != e && is_kept(st, x) &&
            (val_of(st, x)->op == SG_OP_ADD || val_of(st, x)->op == SG_OP_MUL)) {
            /* a long shared sum or product stays whole (sub_terms), in its
               new form */
            term t;
            keep(st, val_of(st, x));
            t = atom(st, val_of(st, x));
            push(st, &l, &t);
        } else if (x == e || is_sum(st, x)) {
            SG_GROW(stack, sp + 1, cap, SG_GROW_MAX, "nodes on one walk's stack");
            stack[sp++] = x->kid[1];
            stack[sp++] = x->kid[0];
        } else {
            tlist m = decompose(st, val_of(st, x));
            append(st, &l, &m);
        }
    }
    free(stack);
    return factor_list(st, &l, e->shape, is_root(st, e));
}

static int by_id(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* numbers e in this pass, growing the pass's tables to hold it */
static unsigned reach(simplifier *st, const sg_expr *e)
{
    unsigned n0 = st->pass.n, i = sg_idmap_add(&st->pass, e);
    if (i >= st->npass) {
        unsigned n = (unsigned)sg_grow_cap((size_t)i + 1, st->npass, sizeof *st->val, SG_GROW_MAX,
                                           "nodes in one simplification");
        st->root = sg_xrealloc(st->root, n);
        st->val = sg_xrealloc(st->val, n * sizeof *st->val);
        st->refs = sg_xrealloc(st->refs, n * sizeof *st->refs);
        st->parent = sg_xrealloc(st->parent, n * sizeof *st->parent);
        st->height = sg_xrealloc(st->height, n * sizeof *st->height);
        sg_ctx_scratch_add(st->ctx, (unsigned long)(n - st->npass) *
                                        (1 + sizeof *st->val + sizeof *st->refs +
                                         sizeof *st->parent + sizeof *st->height));
        st->npass = n;
    }
    if (st->pass.n > n0) { /* new */
        st->root[i] = 0;
        st->val[i] = NULL;
        st->refs[i] = 0;
        st->parent[i] = NULL;
        st->height[i] = 0;
    }
    return i;
}

/* one pass over the DAG under the roots, kids before parents: out[i] is the
   pass's result for roots[i] */
static void run(simplifier *st, sg_expr *const *roots, int nroots, sg_expr **out, int phase)
{
    sg_expr **order = NULL, **stack = NULL;
    int norder = 0, sp = 0, cap = 0, i, k;

    st->phase = phase;
    if (st->naux) /* the sums' forms differ between the passes */
        memset(st->tr, 0, st->naux * sizeof *st->tr);
    sg_idmap_init(&st->pass, st->ctx);
    st->npass = 0;
    st->root = NULL;
    st->val = NULL;
    st->refs = NULL;
    st->parent = NULL;
    st->height = NULL;

    /* the nodes under the roots, not looking inside named ones: order and
       stack hold each reached node once, so they grow with pass.n */
    for (i = 0; i < nroots; i++)
        if (roots[i]) {
            unsigned ir = reach(st, roots[i]); /* may move st->root */
            st->root[ir] = 1;
        }
    cap = (int)st->npass;
    order = sg_xmalloc((size_t)cap * sizeof *order);
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    for (i = 0; i < nroots; i++) {
        if (!roots[i] || st->val[pix(st, roots[i])] == roots[i])
            continue;
        stack[sp++] = roots[i];
        st->val[pix(st, roots[i])] = roots[i]; /* seen, until the pass proper */
        while (sp > 0) {
            sg_expr *e = stack[--sp];
            order[norder++] = e;
            if (named(st, e))
                continue;
            for (k = 0; k < e->nkids; k++) {
                sg_expr *kid = e->kid[k];
                unsigned ik = reach(st, kid);
                if ((int)st->npass > cap) {
                    cap = (int)st->npass;
                    order = sg_xrealloc(order, (size_t)cap * sizeof *order);
                    stack = sg_xrealloc(stack, (size_t)cap * sizeof *stack);
                }
                if (st->refs[ik]++ == 0)
                    st->parent[ik] = e;
                if (st->val[ik] != kid) {
                    st->val[ik] = kid;
                    stack[sp++] = kid;
                }
            }
        }
    }
    sg_ctx_scratch_add(st->ctx, 2ul * (unsigned long)cap * sizeof *order);
    for (i = 0; i < norder; i++)
        st->val[pix(st, order[i])] = NULL;
    qsort(order, (size_t)norder, sizeof *order, by_id);
    for (i = 0; i < norder; i++) {
        sg_expr *e = order[i];
        int h = 0;
        if (!named(st, e))
            for (k = 0; k < e->nkids; k++)
                if (height_of(st, e->kid[k]) + 1 > h)
                    h = height_of(st, e->kid[k]) + 1;
        st->height[pix(st, e)] = h;
    }
    for (i = 0; i < norder && !st->gave_up; i++) {
        sg_expr *e = order[i];
        if (exhausted(st))
            st->gave_up = 1;
        else if (!interior(st, e))
            st->val[pix(st, e)] = phase == 1 ? normal(st, e) : factored(st, e);
    }
    for (i = 0; i < nroots; i++)
        out[i] = st->gave_up || !roots[i] ? roots[i] : val_of(st, roots[i]);
    free(st->root);
    free(st->val);
    free(st->refs);
    free(st->parent);
    free(st->height);
    sg_idmap_free(&st->pass);
    free(order);
    free(stack);
}

void sg_simplify_all(sg_ctx *ctx, sg_expr *const *e, int n, sg_expr **out, unsigned long budget)
{
    simplifier st;
    unsigned long ops = 0;
    sg_expr **mid = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *mid);
    int i;
    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    sg_idmap_init(&st.aux, ctx);
    st.ar = sg_arena_new();
    st.ops = &ops;
    st.work0 = sg_ctx_work(ctx);
    st.budget = budget;
    run(&st, e, n, mid, 1);
    if (!st.gave_up)
        run(&st, mid, n, out, 2);
    for (i = 0; i < n; i++)
        if (st.gave_up)
            out[i] = e[i];
    free(mid);
    free(st.size);
    free(st.tr);
    free(st.kept);
    sg_idmap_free(&st.aux);
    sg_arena_free(st.ar);
    sg_ctx_charge(ctx, ops);
}

sg_expr *sg_simplify(sg_ctx *ctx, sg_expr *e)
{
    sg_expr *r;
    sg_simplify_all(ctx, &e, 1, &r, BUDGET);
    return r;
}
