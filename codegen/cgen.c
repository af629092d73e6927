/*
 * cgen.c: the C printer.
 *
 * The printer does not walk the expression tree; it schedules the DAG:
 *
 *  1. Plan. Each node reachable from a result gets a plan: how its value is
 *     produced (an input read in place, a scalar expression, a reduction
 *     loop, one entry at a time from its operands' entries, or a kernel call)
 *     and which nodes its code reads ("refs"; a kernel's operands are read
 *     through their transposes, so Wᵀ is the flag on a read of W).
 *  2. Decide storage. A non-scalar node gets a buffer ("is materialized")
 *     when a kernel computes it, when it is read more than once, when a
 *     kernel must read it from memory, or when it is a result; an
 *     elementwise node read once is fused into its reader's loop. A scalar
 *     becomes a C local unless it is a leaf or feeds one scalar expression.
 *  3. Mask. Each node gets the set of results that need it.
 *  4. Schedule. The statements (one per materialized node or scalar local,
 *     plus the copies into out) are ordered by list scheduling: any order
 *     that respects dependencies is valid, and among the ready statements one
 *     with the current mask is preferred, so that statements for the same
 *     results run together under one `if (out->A || out->B)`. Values are
 *     computed by the same statements whether or not derivatives are asked
 *     for, so they are bit-identical either way.
 *  5. Storage. Buffers live in `work`, in slots reused by liveness (a slot is
 *     reused by a node of the same symbolic size once its last reader has
 *     run). Offsets and the size are polynomials in the dimensions.
 *  6. Print: the body first (it tells which dimensions, inputs and kernels
 *     are used), then the declarations, then the kernels, in a fixed order.
 *
 * Linear algebra never forms an inverse it can avoid. Each matrix A under
 * an inverse, det or logdet gets one factorization, a node of the schedule
 * that the DAG does not have (the printer makes it, with an id past the
 * DAG's): Cholesky when A is provably symmetric positive definite (declared
 * so, or built as GGᵀ + λI with λ > 0 and the like), else LU with partial
 * pivoting. A copy of A (fused with whatever computes A) is factored in
 * place; A⁻¹B and BA⁻¹ are solves against the factor, det and logdet read
 * its pivots, tr(A⁻¹B) is the trace of a solve, and A⁻¹ itself (when a
 * gradient −A⁻ᵀȲA⁻ᵀ or a result needs it) is a solve against I. A singular
 * or indefinite A makes P_eval return an error code (see declarations()).
 *
 * With --check, a main() follows that checks every derivative against
 * central finite differences of what it differentiates (check_main()).
 *
 * Everything is indexed by node id or ordered by it, never by address, so
 * the output is byte-identical from run to run.
 */
#include "cgen.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lexer/arena.h"
#include "../lexer/buf.h"
#include "formula.h"
#include "templates.h"

/* ---- plans ----------------------------------------------------------------- */

enum {
    PL_NONE,
    /* 1×1 */
    PL_SLEAF, /* a constant, a dimension, a scalar input: an inline value */
    PL_SEXPR, /* arithmetic on scalars */
    PL_SRED,  /* a reduction of a non-scalar (variant RD_*) */
    /* non-scalar */
    PL_INPUT, /* an input, read in place */
    PL_EW,    /* entry by entry from the entries of its refs (variant EW_*) */
    PL_GEMV,  /* op(A) x */
    PL_GEMVT, /* a op(B) for a row a: (op(B)ᵀ aᵀ)ᵀ */
    PL_GEMM,  /* op(A) op(B) */
    PL_COLSUM, /* 𝟙ᵀ op(X) */
    PL_ROWSUM, /* op(X) 𝟙 */
    PL_COLWISE, /* softmax, logsoftmax, logsumexp of each column */
    PL_DIAGMUL, /* diag(op(A) op(B)) without the product */
    PL_FACTOR, /* the LU or Cholesky factors of a matrix (a node of its own) */
    PL_SOLVE   /* op(A)⁻¹ B or B op(A)⁻¹ from A's factors (variant SV_*) */
};

enum { /* PL_SRED */
    RD_SUM, RD_DOT, RD_NORM, RD_NORM1, RD_TRACE, RD_INNER, RD_LSE,
    RD_TRPROD, /* tr(XY) = Σᵢⱼ XᵢⱼYⱼᵢ, without the product */
    RD_DET, RD_LOGDET, /* from the factors: ref[0] is the factor node */
    RD_DIAGDOT /* Σᵢ vᵢXᵢᵢ: ⟨diag(v), X⟩ = tr(diag(v)X), without diag(v) */
};

enum { /* PL_SOLVE: ref[0] is the factor node, ref[1] is B (absent for SV_EYE) */
    SV_RIGHT = 1, /* B op(A)⁻¹, else op(A)⁻¹ B */
    SV_TRANS = 2, /* op(A) = Aᵀ */
    SV_EYE = 4    /* B = I: the inverse itself */
};

/*
 * A factorization is a node of the schedule like any other (it has a buffer,
 * a mask, a statement), but no node of the DAG stands for it: the printer
 * makes one, with this op, A as its kid and an id past the DAG's, in its own
 * arena. Every solve, inverse, det and logdet of A reads the one factor.
 */
#define OP_FACTOR SG_OP_COUNT

typedef struct {
    sg_expr *node;     /* the factor's node: op OP_FACTOR, kid A (never transposed) */
    int chol;          /* Cholesky (A is provably SPD), else LU with partial pivoting */
    int strict;        /* something other than det reads it: a singular A is an error */
    unsigned long *smask; /* the results whose readers make a singular A an error */
} factor;

enum { /* PL_EW */
    EW_PLAIN,    /* the op itself: leaves, +, ⊙, ⊘, .^, unary functions, ᵀ, fill, diag */
    EW_SCALE,    /* s A (s may be the second operand) */
    EW_SCALEDIV, /* (1/s) A printed as A / s: ref[0] is s */
    EW_OUTER,    /* u vᵀ with inner dimension 1 */
    EW_ROWSCALE, /* diag(v) X: ref[0] is v */
    EW_COLSCALE, /* X diag(v): ref[1] is v */
    EW_IDENT,    /* I X or X I */
    EW_ZERO      /* 0 X or X 0 */
};

enum { NEED_VAL, NEED_ADDR, NEED_CHEAP }; /* how a ref is read */

typedef struct {
    const sg_expr *e;
    unsigned char need;
    unsigned char trans; /* ADDR and CHEAP refs are read through transposes */
} ref;

typedef struct {
    const sg_expr *e;
    unsigned char plan, var, nref, reach;
    ref r[2];
    int uses;              /* reads of it, results included */
    unsigned char addr;    /* readers need it in memory: 1 (a kernel), 2 (cheap reads) */
    unsigned char inloop;  /* (scalar) read by a loop or by a non-scalar */
    unsigned char root;    /* some result's expression */
    unsigned char mat;     /* non-scalar with storage: a work slot or out->X */
    unsigned char local;   /* scalar held in a C local */
    unsigned char top;     /* that local is declared at the top of the function */
    int out;               /* the result whose out->X is its storage, else -1 */
    int item;              /* its statement, else -1 */
    int slot;              /* its work slot, else -1 */
    const char *cname;     /* its buffer or local */
    const char *fname;     /* the name it has in step comments */
} node;

/* ---- statements ------------------------------------------------------------ */

enum { IT_NODE, IT_OUTPUT };

typedef struct {
    int kind;
    const sg_expr *e; /* the node, or the root of the result */
    int res;          /* IT_OUTPUT */
    const unsigned long *mask;
    int *deps, ndeps, capdeps;
    int *succ, nsucc, capsucc;
    int pending, pos, block, done;
    unsigned key;
} item;

/* ---- size polynomials ------------------------------------------------------ */

typedef struct {
    long coef;
    int nd;
    sg_dim d[2]; /* named dimensions, sorted */
} mono;

typedef struct {
    mono *m;
    int n;
} poly;

typedef struct {
    poly size;
    int last; /* position of its current node's last reader */
} slot;

/* ---- the generator --------------------------------------------------------- */

#define K_MAX 32 /* room for the kernels of templates/ (K_COUNT below) */

typedef struct {
    const sg_problem *p;
    const sg_cgen_opts *o;
    const sg_ctx *ctx;
    sg_arena *ar;
    const char *real, *fsuf, *P, *PU; /* "double", "" or "f", prefix, PREFIX */
    int nres, nw;
    unsigned nnodes;
    node *ni;
    unsigned long *masks; /* nnodes × nw */
    unsigned long *omasks; /* nres × nw: one bit per result */
    unsigned long *full;
    item *it;
    int nit, capit;
    int *order; /* items in schedule order */
    slot *slots;
    int nslots, capslots;
    const char **taken;
    int ntaken, captaken;
    const char **dimname;  /* per dimension: its C name (named ones) */
    long *dimfix;          /* per dimension: fixed value, or 0 */
    unsigned char *dimused;
    const char **symname;  /* per symbol: its C local name */
    const char **fieldname; /* per symbol: its field in P_in */
    unsigned char *symused;
    int kernels[K_MAX];  /* by K_*: printed into the output */
    const char *tmpname; /* for an entry used twice in a loop body */
    const char *unsupported;
    unsigned nreal;      /* the DAG's nodes; ids from nreal to nnodes are factors */
    factor *fac;
    int nfac;
    int *fac_of;         /* by the id of A: its factor, or -1 */
    const sg_expr **topo; /* reached nodes, every node after the nodes it reads */
    unsigned ntopo;
    int hide_inv;        /* printing a solve's formula: its inverse prints as A⁻¹ */
} G;

static const char *fmt(G *g, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static const char *fmt(G *g, const char *f, ...)
{
    va_list ap;
    sg_buf b;
    char *s;
    sg_buf_init(&b);
    va_start(ap, f);
    sg_buf_vprintf(&b, f, ap);
    va_end(ap);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

static node *N(G *g, const sg_expr *e)
{
    return &g->ni[e->id];
}

static int scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

static int is_one(sg_dim d)
{
    return d == SG_DIM_ONE;
}

/* one of its dimensions is 1: its entries are in the same order transposed */
static int veclike(const sg_expr *e)
{
    return is_one(e->shape.rows) || is_one(e->shape.cols);
}

/* ---- bitsets ---------------------------------------------------------------- */

static unsigned long *mask_of(G *g, const sg_expr *e)
{
    return g->masks + (size_t)e->id * (size_t)g->nw;
}

static void bs_or(unsigned long *d, const unsigned long *s, int nw)
{
    int i;
    for (i = 0; i < nw; i++)
        d[i] |= s[i];
}

static int bs_eq(const unsigned long *a, const unsigned long *b, int nw)
{
    return memcmp(a, b, (size_t)nw * sizeof *a) == 0;
}

static int bs_has(const unsigned long *a, int bit)
{
    return (a[bit / (8 * (int)sizeof *a)] >> (bit % (8 * (int)sizeof *a))) & 1ul;
}

static void bs_set(unsigned long *a, int bit)
{
    a[bit / (8 * (int)sizeof *a)] |= 1ul << (bit % (8 * (int)sizeof *a));
}

/* ---- 1. plans ---------------------------------------------------------------- */

static void add_ref(node *n, const sg_expr *e, int need)
{
    int t = 0;
    if (need != NEED_VAL)
        while (e->op == SG_OP_TRANSPOSE) {
            e = e->kid[0];
            t ^= 1;
        }
    n->r[n->nref].e = e;
    n->r[n->nref].need = (unsigned char)need;
    n->r[n->nref].trans = (unsigned char)t;
    n->nref++;
}

static int is_leaf_value(const sg_expr *e);

/* ---- linear algebra ----------------------------------------------------------- */

/* e without its transposes; *t flips once for each */
static const sg_expr *strip_t(const sg_expr *e, int *t)
{
    while (e->op == SG_OP_TRANSPOSE) {
        e = e->kid[0];
        *t ^= 1;
    }
    return e;
}

/* e is op(A)⁻¹ for a square non-scalar A: A itself, and *t set when op(A) = Aᵀ
   ((A⁻¹)ᵀ = (Aᵀ)⁻¹, so every transpose on the way counts) */
static int inverse_of(const sg_expr *e, const sg_expr **A, int *t)
{
    int u = 0;
    e = strip_t(e, &u);
    if (e->op != SG_OP_INV || scalar(e))
        return 0;
    *A = strip_t(e->kid[0], &u);
    *t = u;
    return 1;
}

/* provably > 0 (pos) or ≥ 0 (!pos), entry by entry */
static int signed_ok(const sg_expr *e, int pos)
{
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    switch (e->op) {
    case SG_OP_CONST:
        return pos ? e->value > 0 : e->value >= 0;
    case SG_OP_DIMVAL: case SG_OP_ONES: case SG_OP_EXP: case SG_OP_SIGMOID: case SG_OP_SOFTPLUS:
        return 1;
    case SG_OP_ZERO: case SG_OP_ABS: case SG_OP_RELU: case SG_OP_STEP: case SG_OP_NORM:
    case SG_OP_NORM1:
        return !pos;
    case SG_OP_SQRT: case SG_OP_FILL: case SG_OP_TRANSPOSE:
        return signed_ok(a, pos);
    case SG_OP_DOT:
        return !pos && a == b;
    case SG_OP_HADAMARD: case SG_OP_HDIV:
        return signed_ok(a, pos) && signed_ok(b, e->op == SG_OP_HDIV || pos);
    case SG_OP_MUL: /* a scaling, or a product of scalars */
        return scalar(a) && signed_ok(a, pos) && signed_ok(b, pos);
    case SG_OP_ADD:
        return (signed_ok(a, pos) && signed_ok(b, 0)) || (signed_ok(a, 0) && signed_ok(b, pos));
    case SG_OP_POW:
        return signed_ok(a, pos) || (!pos && b->op == SG_OP_CONST && fmod(b->value, 2) == 0);
    default:
        return 0;
    }
}

static int is_transpose_of(const sg_ctx *ctx, const sg_expr *a, const sg_expr *b)
{
    return (a->op == SG_OP_TRANSPOSE && a->kid[0] == b) ||
           (b->op == SG_OP_TRANSPOSE && b->kid[0] == a) ||
           (a == b && sg_expr_is_symmetric(ctx, a));
}

static int definite(const sg_ctx *ctx, const sg_expr *e, int strict);

/* G M Gᵀ with M positive semidefinite (or absent) */
static int gram(const sg_ctx *ctx, const sg_expr *e)
{
    enum { MAXF = 8 };
    const sg_expr *f[MAXF + 1], *stack[2 * MAXF + 2];
    int n = 0, sp = 0, i;
    stack[sp++] = e;
    while (sp > 0) { /* the factors of the product, left to right */
        const sg_expr *x = stack[--sp];
        if (x->op == SG_OP_MUL && !scalar(x->kid[0]) && sp + 2 <= 2 * MAXF + 2) {
            stack[sp++] = x->kid[1];
            stack[sp++] = x->kid[0];
        } else if (n < MAXF) {
            f[n++] = x;
        } else {
            return 0;
        }
    }
    if (n < 2)
        return 0;
    for (i = 0; i < n / 2; i++)
        if (!is_transpose_of(ctx, f[i], f[n - 1 - i]))
            return 0;
    return n % 2 == 0 || definite(ctx, f[n / 2], 0);
}

/* provably positive definite (strict) or semidefinite (!strict), and symmetric:
   what decides between a Cholesky and an LU factor */
static int definite(const sg_ctx *ctx, const sg_expr *e, int strict)
{
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    if (e->shape.rows != e->shape.cols)
        return 0;
    switch (e->op) {
    case SG_OP_VAR:
        return (sg_sym(ctx, e->sym)->props & SG_PROP_SPD) != 0;
    case SG_OP_EYE:
        return 1;
    case SG_OP_ZERO: case SG_OP_ONES:
        return !strict;
    case SG_OP_FILL:
        return !strict && signed_ok(a, 0);
    case SG_OP_DIAG:
        return signed_ok(a, strict);
    case SG_OP_TRANSPOSE: case SG_OP_INV:
        return definite(ctx, a, strict);
    case SG_OP_ADD:
        return (definite(ctx, a, strict) && definite(ctx, b, 0)) ||
               (definite(ctx, a, 0) && definite(ctx, b, strict));
    case SG_OP_MUL:
        if (scalar(a))
            return signed_ok(a, strict) && definite(ctx, b, strict);
        return !strict && gram(ctx, e);
    default:
        return 0;
    }
}

/* the factor of A (untransposed), made on first use */
static factor *factor_of(G *g, const sg_expr *a)
{
    int k = g->fac_of[a->id];
    if (k < 0) {
        sg_expr *f = sg_arena_alloc(g->ar, sizeof *f);
        memset(f, 0, sizeof *f);
        f->op = OP_FACTOR;
        f->shape = a->shape;
        f->nkids = 1;
        f->kid[0] = (sg_expr *)a;
        f->id = g->nreal + (unsigned)g->nfac;
        assert(f->id < g->nnodes);
        k = g->fac_of[a->id] = g->nfac++;
        g->fac[k].node = f;
        g->fac[k].chol = definite(g->ctx, a, 1);
        g->fac[k].strict = g->fac[k].chol; /* Cholesky cannot go on past a bad pivot */
    }
    return &g->fac[k];
}

static factor *factor_at(G *g, const sg_expr *f)
{
    return &g->fac[g->fac_of[f->kid[0]->id]];
}

/* X = op(A)⁻¹ B, B op(A)⁻¹ or op(A)⁻¹ (variant SV_*) */
static void plan_solve(G *g, node *n, const sg_expr *A, int t, int var, const sg_expr *B)
{
    factor *f = factor_of(g, A);
    f->strict = 1;
    n->plan = PL_SOLVE;
    n->var = (unsigned char)(var | (t ? SV_TRANS : 0));
    add_ref(n, f->node, NEED_ADDR);
    if (B)
        add_ref(n, B, NEED_VAL);
}

static void plan_scalar(G *g, node *n)
{
    const sg_expr *e = n->e, *a = e->nkids ? e->kid[0] : NULL, *A;
    int i, t = 0;
    switch (e->op) {
    case SG_OP_CONST: case SG_OP_DIMVAL: case SG_OP_VAR: case SG_OP_ZERO: case SG_OP_ONES:
    case SG_OP_EYE:
        n->plan = PL_SLEAF;
        return;
    default:
        break;
    }
    /* an op on 1×1 operands is arithmetic */
    if (e->nkids > 0 && scalar(a) && (e->nkids < 2 || scalar(e->kid[1]))) {
        n->plan = PL_SEXPR;
        if (e->op == SG_OP_MUL && a->op == SG_OP_HDIV && a->kid[0]->op == SG_OP_CONST &&
            a->kid[0]->value == 1) { /* (1/s) b = b / s */
            n->var = EW_SCALEDIV;
            add_ref(n, a->kid[1], NEED_VAL);
            add_ref(n, e->kid[1], NEED_VAL);
            return;
        }
        for (i = 0; i < e->nkids; i++)
            add_ref(n, e->kid[i], NEED_VAL);
        return;
    }
    n->plan = PL_SRED;
    /* a diagonal matrix in a reduction: only its diagonal counts */
    if ((e->op == SG_OP_SUM || e->op == SG_OP_TRACE) && a->op == SG_OP_DIAG) {
        n->var = RD_SUM;
        add_ref(n, a->kid[0], NEED_VAL);
        return;
    }
    if (e->op == SG_OP_DOT || (e->op == SG_OP_TRACE && a->op == SG_OP_MUL && !scalar(a->kid[0]))) {
        const sg_expr *x = e->op == SG_OP_DOT ? a : a->kid[0];
        const sg_expr *y = e->op == SG_OP_DOT ? e->kid[1] : a->kid[1];
        if (x->op == SG_OP_DIAG || y->op == SG_OP_DIAG) {
            n->var = RD_DIAGDOT;
            add_ref(n, (x->op == SG_OP_DIAG ? x : y)->kid[0], NEED_VAL);
            add_ref(n, x->op == SG_OP_DIAG ? y : x, NEED_VAL);
            return;
        }
    }
    switch (e->op) {
    case SG_OP_SUM:
        n->var = RD_SUM;
        add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_DOT:
        n->var = RD_DOT;
        if (a->op == SG_OP_EYE || e->kid[1]->op == SG_OP_EYE) { /* ⟨A, I⟩ = tr A */
            n->var = RD_TRACE;
            add_ref(n, a->op == SG_OP_EYE ? e->kid[1] : a, NEED_VAL);
            return;
        }
        add_ref(n, a, NEED_VAL);
        add_ref(n, e->kid[1], NEED_VAL);
        return;
    case SG_OP_NORM:
        n->var = RD_NORM;
        add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_NORM1:
        n->var = RD_NORM1;
        add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_TRACE:
        n->var = RD_TRACE;
        if (a->op == SG_OP_MUL && !scalar(a->kid[0]) && !scalar(a->kid[1]) && !a->name &&
            !inverse_of(a->kid[0], &A, &t) && !inverse_of(a->kid[1], &A, &t)) {
            /* tr(A⁻¹B) is the trace of a solve: the product is never formed */
            n->var = RD_TRPROD;
            add_ref(n, a->kid[0], NEED_VAL);
            add_ref(n, a->kid[1], NEED_VAL);
            return;
        }
        add_ref(n, a, NEED_VAL);
        return;
    case SG_OP_MUL: /* (1×k)(k×1) */
        n->var = RD_INNER;
        if (a->op == SG_OP_ONES) {
            n->var = RD_SUM;
            add_ref(n, e->kid[1], NEED_VAL);
        } else if (e->kid[1]->op == SG_OP_ONES) {
            n->var = RD_SUM;
            add_ref(n, a, NEED_VAL);
        } else {
            add_ref(n, a, NEED_VAL);
            add_ref(n, e->kid[1], NEED_VAL);
        }
        return;
    case SG_OP_LOGSUMEXP:
        n->var = RD_LSE;
        add_ref(n, a, NEED_ADDR);
        return;
    case SG_OP_DET: case SG_OP_LOGDET: { /* det Aᵀ = det A */
        factor *f = factor_of(g, strip_t(a, &t));
        n->var = e->op == SG_OP_DET ? RD_DET : RD_LOGDET;
        if (e->op == SG_OP_LOGDET) /* log 0 */
            f->strict = 1;
        add_ref(n, f->node, NEED_ADDR);
        return;
    }
    default:
        g->unsupported = "an operation the C printer does not know";
        break;
    }
    n->plan = PL_SLEAF; /* unsupported: keeps the walk going */
}

static void plan_mul(G *g, node *n)
{
    const sg_expr *e = n->e, *a = e->kid[0], *b = e->kid[1], *A;
    int t;
    n->plan = PL_EW;
    if (scalar(a) || scalar(b)) {
        const sg_expr *s = scalar(a) ? a : b, *x = scalar(a) ? b : a;
        if (s->op == SG_OP_HDIV && s->kid[0]->op == SG_OP_CONST && s->kid[0]->value == 1) {
            n->var = EW_SCALEDIV;
            add_ref(n, s->kid[1], NEED_VAL);
            add_ref(n, x, NEED_VAL);
        } else {
            n->var = EW_SCALE;
            add_ref(n, a, NEED_VAL);
            add_ref(n, b, NEED_VAL);
        }
        return;
    }
    if (a->op == SG_OP_ZERO || b->op == SG_OP_ZERO) {
        n->var = EW_ZERO;
        return;
    }
    if (a->op == SG_OP_EYE || b->op == SG_OP_EYE) {
        n->var = EW_IDENT;
        add_ref(n, a->op == SG_OP_EYE ? b : a, NEED_VAL);
        return;
    }
    if (is_one(a->shape.cols)) { /* u vᵀ: each entry is read many times */
        n->var = EW_OUTER;
        add_ref(n, a, NEED_CHEAP);
        add_ref(n, b, NEED_CHEAP);
        return;
    }
    if (a->op == SG_OP_DIAG) {
        n->var = EW_ROWSCALE;
        add_ref(n, a->kid[0], NEED_CHEAP);
        add_ref(n, b, NEED_VAL);
        return;
    }
    if (b->op == SG_OP_DIAG) {
        n->var = EW_COLSCALE;
        add_ref(n, a, NEED_VAL);
        add_ref(n, b->kid[0], NEED_CHEAP);
        return;
    }
    if (inverse_of(a, &A, &t)) { /* op(A)⁻¹B: solve op(A) X = B */
        plan_solve(g, n, A, t, 0, b);
        return;
    }
    if (inverse_of(b, &A, &t)) { /* B op(A)⁻¹: solve op(A)ᵀ Xᵀ = Bᵀ */
        plan_solve(g, n, A, t, SV_RIGHT, a);
        return;
    }
    if (a->op == SG_OP_ONES && is_one(a->shape.rows)) {
        n->plan = PL_COLSUM;
        add_ref(n, b, NEED_ADDR);
        return;
    }
    if (b->op == SG_OP_ONES && is_one(b->shape.cols)) {
        n->plan = PL_ROWSUM;
        add_ref(n, a, NEED_ADDR);
        return;
    }
    n->plan = is_one(e->shape.cols) ? PL_GEMV : is_one(e->shape.rows) ? PL_GEMVT : PL_GEMM;
    add_ref(n, a, NEED_ADDR);
    add_ref(n, b, NEED_ADDR);
}

static void plan_node(G *g, node *n)
{
    const sg_expr *e = n->e;
    int i;
    if (scalar(e)) {
        plan_scalar(g, n);
        return;
    }
    switch (e->op) {
    case SG_OP_VAR:
        n->plan = PL_INPUT;
        return;
    case SG_OP_MUL:
        plan_mul(g, n);
        return;
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        n->plan = PL_COLWISE;
        add_ref(n, e->kid[0], NEED_ADDR);
        return;
    case SG_OP_INV: { /* wanted itself: solve op(A) X = I */
        const sg_expr *A = NULL;
        int t = 0;
        inverse_of(e, &A, &t);
        plan_solve(g, n, A, t, SV_EYE, NULL);
        return;
    }
    case OP_FACTOR: /* a copy of A, factored in place */
        n->plan = PL_FACTOR;
        add_ref(n, e->kid[0], NEED_VAL);
        return;
    case SG_OP_DIAGV: { /* diag(AB) = (Σₚ AᵢₚBₚᵢ)ᵢ: n products, not n² */
        const sg_expr *m = e->kid[0], *A, *x, *y;
        int t;
        if (m->op == SG_OP_MUL && !scalar(m->kid[0]) && !scalar(m->kid[1]) &&
            !is_one(m->kid[0]->shape.cols)) {
            x = m->kid[0];
            y = m->kid[1];
            if (!inverse_of(x, &A, &t) && !inverse_of(y, &A, &t) && x->op != SG_OP_DIAG &&
                y->op != SG_OP_DIAG && !is_leaf_value(x) && !is_leaf_value(y)) {
                n->plan = PL_DIAGMUL;
                add_ref(n, x, NEED_ADDR);
                add_ref(n, y, NEED_ADDR);
                return;
            }
        }
        break;
    }
    default:
        break;
    }
    n->plan = PL_EW;
    n->var = EW_PLAIN;
    for (i = 0; i < e->nkids; i++)
        add_ref(n, e->kid[i], NEED_VAL);
}

/* plans every node reachable from e, counting reads */
static void reach(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    int i;
    if (n->reach)
        return;
    n->reach = 1;
    n->e = e;
    plan_node(g, n);
    for (i = 0; i < n->nref; i++) {
        node *k = N(g, n->r[i].e);
        reach(g, n->r[i].e);
        k->uses++;
        if (n->r[i].need == NEED_ADDR)
            k->addr |= 1;
        else if (n->r[i].need == NEED_CHEAP)
            k->addr |= 2;
        if (scalar(n->r[i].e) && (n->plan != PL_SEXPR))
            k->inloop = 1;
    }
    g->topo[g->ntopo++] = e;
}

/* ---- 2. storage decisions ----------------------------------------------------- */

static int is_leaf_value(const sg_expr *e)
{
    return e->op == SG_OP_ZERO || e->op == SG_OP_ONES || e->op == SG_OP_EYE ||
           e->op == SG_OP_FILL;
}

/* readable in place: an input or a buffer */
static int stored(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    return n->plan == PL_INPUT || n->mat;
}

/* a view costs nothing to read twice: ᵀ, diag, I·X of something stored */
static int cheap_view(G *g, node *n)
{
    int i;
    if (n->plan != PL_EW)
        return 0;
    if (is_leaf_value(n->e))
        return 1;
    if (!(n->var == EW_IDENT || n->var == EW_ZERO ||
          (n->var == EW_PLAIN && (n->e->op == SG_OP_TRANSPOSE || n->e->op == SG_OP_DIAG ||
                                  n->e->op == SG_OP_DIAGV))))
        return 0;
    for (i = 0; i < n->nref; i++)
        if (!scalar(n->r[i].e) && !stored(g, n->r[i].e) && !cheap_view(g, N(g, n->r[i].e)))
            return 0;
    return 1;
}

static void decide(G *g)
{
    unsigned id;
    for (id = 0; id < g->nnodes; id++) {
        node *n = &g->ni[id];
        if (!n->reach)
            continue;
        if (scalar(n->e)) {
            n->local = n->plan == PL_SRED ||
                       (n->plan == PL_SEXPR && (n->uses > 1 || n->inloop));
            continue;
        }
        switch (n->plan) {
        case PL_INPUT:
            break;
        case PL_EW:
            /* leaves and views are cheap to read again; a kernel needs memory */
            n->mat = n->root || (n->addr & 1) ||
                     ((n->addr & 2 || n->uses > 1) && !cheap_view(g, n));
            break;
        default:
            n->mat = 1;
            break;
        }
    }
}

/* ---- 3. masks ------------------------------------------------------------------ */

static void compute_masks(G *g)
{
    int r, i;
    unsigned k;
    for (r = 0; r < g->nres; r++)
        bs_set(mask_of(g, g->p->results[r].expr), r);
    for (k = g->ntopo; k-- > 0;) { /* every reader before what it reads */
        node *n = N(g, g->topo[k]);
        for (i = 0; i < n->nref; i++)
            bs_or(mask_of(g, n->r[i].e), mask_of(g, n->e), g->nw);
    }
}

/* the results for which a factor's failure is an error: those of every reader
   but det of an LU factor */
static void strict_masks(G *g)
{
    unsigned k;
    int i;
    for (i = 0; i < g->nfac; i++) {
        g->fac[i].smask = sg_arena_alloc(g->ar, (size_t)g->nw * sizeof *g->fac[i].smask);
        memset(g->fac[i].smask, 0, (size_t)g->nw * sizeof *g->fac[i].smask);
    }
    for (k = 0; k < g->ntopo; k++) {
        node *n = N(g, g->topo[k]);
        for (i = 0; i < n->nref; i++)
            if (n->r[i].e->op == OP_FACTOR) {
                factor *f = factor_at(g, n->r[i].e);
                if (f->chol || !(n->plan == PL_SRED && n->var == RD_DET))
                    bs_or(f->smask, mask_of(g, n->e), g->nw);
            }
    }
}

/* ---- 4. schedule ---------------------------------------------------------------- */

static int new_item(G *g, int kind, const sg_expr *e, int res)
{
    item *t;
    if (g->nit == g->capit) {
        g->capit = g->capit ? 2 * g->capit : 64;
        g->it = sg_xrealloc(g->it, (size_t)g->capit * sizeof *g->it);
    }
    t = &g->it[g->nit];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->e = e;
    t->res = res;
    t->pos = -1;
    return g->nit++;
}

static void push_int(int **a, int *n, int *cap, int v)
{
    int i;
    for (i = 0; i < *n; i++)
        if ((*a)[i] == v)
            return;
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        *a = sg_xrealloc(*a, (size_t)*cap * sizeof **a);
    }
    (*a)[(*n)++] = v;
}

/* the statements whose results e's code reads, looking through fused nodes */
static void deps_of(G *g, item *t, const sg_expr *e, int self)
{
    node *n = N(g, e);
    int i;
    if (!self && n->item >= 0) {
        push_int(&t->deps, &t->ndeps, &t->capdeps, n->item);
        return;
    }
    for (i = 0; i < n->nref; i++)
        deps_of(g, t, n->r[i].e, 0);
}

static void schedule(G *g)
{
    unsigned id;
    int r, i, k, pos = 0, block = -1;
    const unsigned long *cur = NULL;
    for (id = 0; id < g->nnodes; id++) {
        node *n = &g->ni[id];
        n->item = -1;
        if (n->reach && (n->mat || n->local)) {
            n->item = new_item(g, IT_NODE, n->e, n->out);
            g->it[n->item].mask = mask_of(g, n->e);
            g->it[n->item].key = 2 * id;
        }
    }
    for (r = 0; r < g->nres; r++) {
        const sg_expr *root = g->p->results[r].expr;
        if (N(g, root)->out == r)
            continue;
        i = new_item(g, IT_OUTPUT, root, r);
        g->it[i].mask = g->omasks + (size_t)r * (size_t)g->nw;
        g->it[i].key = 2 * root->id + 1;
    }
    for (i = 0; i < g->nit; i++) {
        item *t = &g->it[i];
        if (t->kind == IT_NODE)
            deps_of(g, t, t->e, 1);
        else
            deps_of(g, t, t->e, 0);
        t->pending = t->ndeps;
        for (k = 0; k < t->ndeps; k++) {
            item *d = &g->it[t->deps[k]];
            push_int(&d->succ, &d->nsucc, &d->capsucc, i);
        }
    }
    g->order = sg_xmalloc((size_t)(g->nit + 1) * sizeof *g->order);
    for (pos = 0; pos < g->nit; pos++) {
        int best = -1, same = 0;
        for (i = 0; i < g->nit; i++) {
            item *t = &g->it[i];
            int s;
            if (t->done || t->pending)
                continue;
            s = cur && bs_eq(t->mask, cur, g->nw);
            if (best < 0 || (s && !same) || (s == same && t->key < g->it[best].key)) {
                best = i;
                same = s;
            }
        }
        assert(best >= 0);
        if (!cur || !bs_eq(g->it[best].mask, cur, g->nw))
            block++;
        cur = g->it[best].mask;
        g->it[best].done = 1;
        g->it[best].pos = pos;
        g->it[best].block = block;
        g->order[pos] = best;
        for (k = 0; k < g->it[best].nsucc; k++)
            g->it[g->it[best].succ[k]].pending--;
    }
    /* a local read outside the block that computes it is declared at the top */
    for (i = 0; i < g->nit; i++) {
        item *t = &g->it[i];
        for (k = 0; k < t->ndeps; k++) {
            item *d = &g->it[t->deps[k]];
            node *n = N(g, d->e);
            if (d->kind == IT_NODE && n->local && d->block != t->block &&
                !bs_eq(d->mask, g->full, g->nw))
                n->top = 1;
        }
    }
}

/* ---- 5. storage: sizes, slots, names ---------------------------------------------- */

static void poly_add_mono(poly *p, mono m)
{
    int i;
    for (i = 0; i < p->n; i++)
        if (p->m[i].nd == m.nd && (m.nd < 1 || p->m[i].d[0] == m.d[0]) &&
            (m.nd < 2 || p->m[i].d[1] == m.d[1])) {
            p->m[i].coef += m.coef;
            return;
        }
    p->m = sg_xrealloc(p->m, (size_t)(p->n + 1) * sizeof *p->m);
    p->m[p->n++] = m;
}

static mono size_mono(G *g, sg_shape s)
{
    mono m;
    sg_dim d[2];
    int i;
    m.coef = 1;
    m.nd = 0;
    d[0] = s.rows;
    d[1] = s.cols;
    for (i = 0; i < 2; i++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d[i]);
        if (di->name)
            m.d[m.nd++] = d[i];
        else
            m.coef *= di->value;
    }
    if (m.nd == 2 && m.d[0] > m.d[1]) {
        sg_dim t = m.d[0];
        m.d[0] = m.d[1];
        m.d[1] = t;
    }
    return m;
}

static int mono_eq(mono a, mono b)
{
    return a.coef == b.coef && a.nd == b.nd && (a.nd < 1 || a.d[0] == b.d[0]) &&
           (a.nd < 2 || a.d[1] == b.d[1]);
}

static int mono_cmp(const void *x, const void *y)
{
    const mono *a = x, *b = y;
    int i;
    if (a->nd != b->nd)
        return b->nd - a->nd;
    for (i = 0; i < a->nd; i++)
        if (a->d[i] != b->d[i])
            return a->d[i] - b->d[i];
    return 0;
}

static const char *dim_c(G *g, sg_dim d, unsigned char *used);

/* the polynomial as C: m*n + 2*n + 3 ("0" when empty) */
static const char *poly_c(G *g, poly *p, unsigned char *used)
{
    sg_buf b;
    int i, first = 1;
    const char *s;
    sg_buf_init(&b);
    if (p->n > 1)
        qsort(p->m, (size_t)p->n, sizeof *p->m, mono_cmp);
    for (i = 0; i < p->n; i++) {
        mono m = p->m[i];
        int k;
        if (m.coef == 0)
            continue;
        if (!first)
            sg_buf_puts(&b, " + ");
        first = 0;
        if (m.coef != 1 || m.nd == 0)
            sg_buf_printf(&b, "%ld%s", m.coef, m.nd ? "*" : "");
        for (k = 0; k < m.nd; k++)
            sg_buf_printf(&b, "%s%s", k ? "*" : "", dim_c(g, m.d[k], used));
    }
    if (first)
        sg_buf_putc(&b, '0');
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

static int poly_eq(poly *a, poly *b)
{
    int i;
    if (a->n != b->n)
        return 0;
    qsort(a->m, (size_t)a->n, sizeof *a->m, mono_cmp);
    qsort(b->m, (size_t)b->n, sizeof *b->m, mono_cmp);
    for (i = 0; i < a->n; i++)
        if (!mono_eq(a->m[i], b->m[i]))
            return 0;
    return 1;
}

static int is_lu(G *g, const sg_expr *e)
{
    return e->op == OP_FACTOR && !factor_at(g, e)->chol;
}

/* the reals a node's buffer holds: its entries, and an LU factor's pivots */
static poly buffer_size(G *g, const sg_expr *e)
{
    poly p = {NULL, 0};
    poly_add_mono(&p, size_mono(g, e->shape));
    if (is_lu(g, e))
        poly_add_mono(&p, size_mono(g, sg_shape_make(e->shape.rows, SG_DIM_ONE)));
    return p;
}

/* adds every slot before slot s (all of them for s = nslots) to p */
static void slots_before(G *g, int s, poly *p)
{
    int k, i;
    for (k = 0; k < s; k++)
        for (i = 0; i < g->slots[k].size.n; i++)
            poly_add_mono(p, g->slots[k].size.m[i]);
}

static void allocate(G *g)
{
    int pos, k;
    int *last = sg_xmalloc((size_t)(g->nit + 1) * sizeof *last);
    for (k = 0; k < g->nit; k++)
        last[k] = g->it[k].pos;
    for (k = 0; k < g->nit; k++) {
        item *t = &g->it[k];
        int d;
        for (d = 0; d < t->ndeps; d++)
            if (last[t->deps[d]] < t->pos)
                last[t->deps[d]] = t->pos;
    }
    for (pos = 0; pos < g->nit; pos++) {
        int i = g->order[pos], s;
        item *t = &g->it[i];
        node *n = N(g, t->e);
        poly m;
        if (t->kind != IT_NODE || !n->mat || n->out >= 0)
            continue;
        m = buffer_size(g, t->e);
        for (s = 0; s < g->nslots; s++)
            if (g->slots[s].last < pos && poly_eq(&g->slots[s].size, &m))
                break;
        if (s == g->nslots) {
            if (g->nslots == g->capslots) {
                g->capslots = g->capslots ? 2 * g->capslots : 16;
                g->slots = sg_xrealloc(g->slots, (size_t)g->capslots * sizeof *g->slots);
            }
            g->slots[s].size = m;
            g->nslots++;
        } else {
            free(m.m);
        }
        g->slots[s].last = last[i];
        n->slot = s;
    }
    free(last);
}

/* C and C++ keywords: not even a field may be named so */
static const char *const keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex",
    "_Imaginary", "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool",
    "catch", "char16_t", "char32_t", "class", "compl", "concept", "consteval", "constexpr",
    "constinit", "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete",
    "dynamic_cast", "explicit", "export", "false", "friend", "mutable", "namespace", "new",
    "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
    "protected", "public", "reinterpret_cast", "requires", "static_assert", "static_cast",
    "template", "this", "thread_local", "throw", "true", "try", "typeid", "typename",
    "using", "virtual", "wchar_t", "xor", "xor_eq",
};

/* names a local must not take: <math.h>, <stddef.h>, the generated code's own */
static const char *const c_names[] = {
    "acos", "asin", "atan", "atan2", "cbrt", "ceil", "copysign", "cos", "cosh", "erf", "erfc",
    "exp", "exp2", "expm1", "fabs", "fdim", "floor", "fma", "fmax", "fmin", "fmod", "frexp",
    "gamma", "hypot", "ilogb", "j0", "j1", "jn", "ldexp", "lgamma", "llrint", "llround",
    "log", "log10", "log1p", "log2", "logb", "lrint", "lround", "modf", "nan", "nearbyint",
    "nextafter", "nexttoward", "pow", "remainder", "remquo", "rint", "round", "scalbln",
    "scalbn", "signbit", "sin", "sinh", "sqrt", "tan", "tanh", "tgamma", "trunc", "y0",
    "y1", "yn", "isnan", "isinf", "isfinite", "isnormal", "fpclassify", "NAN", "INFINITY",
    "HUGE_VAL", "HUGE_VALF", "NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t",
    "errno", "assert", "main",
    /* the generated code's own names (loops count with i and j) */
    "dims", "in", "out", "work", "scratch", "i", "j", "SG_RESTRICT",
};

static int reserved(G *g, const char *s)
{
    size_t i, n = strlen(s), plen = strlen(g->P);
    for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (!strcmp(s, keywords[i]))
            return 1;
    for (i = 0; i < sizeof c_names / sizeof c_names[0]; i++)
        if (!strcmp(s, c_names[i]))
            return 1;
    if (s[0] == 't' && n > 1 && strspn(s + 1, "0123456789") == n - 1)
        return 1; /* t1, t2, …: temporaries */
    if (!strncmp(s, "sg_", 3) || (!strncmp(s, g->P, plen) && s[plen] == '_') ||
        (!strncmp(s, g->PU, plen) && s[plen] == '_'))
        return 1;
    if (n >= 2 && s[0] == '_' && ((s[1] >= 'A' && s[1] <= 'Z') || s[1] == '_'))
        return 1;
    for (i = 0; i < (size_t)g->ntaken; i++)
        if (!strcmp(s, g->taken[i]))
            return 1;
    return 0;
}

static void take(G *g, const char *s)
{
    if (g->ntaken == g->captaken) {
        g->captaken = g->captaken ? 2 * g->captaken : 32;
        g->taken = sg_xrealloc(g->taken, (size_t)g->captaken * sizeof *g->taken);
    }
    g->taken[g->ntaken++] = s;
}

/* a C identifier from a user's name, renamed by appending _ while it clashes */
static const char *claim(G *g, const char *name)
{
    sg_buf b;
    const char *s;
    size_t i;
    sg_buf_init(&b);
    for (i = 0; name[i]; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (i > 0 && c >= '0' && c <= '9');
        sg_buf_putc(&b, ok ? c : '_');
    }
    if (b.len == 0)
        sg_buf_putc(&b, '_');
    while (reserved(g, sg_buf_str(&b)))
        sg_buf_putc(&b, '_');
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    take(g, s);
    return s;
}

/* a field name: only C and C++ keywords are renamed */
static const char *field(G *g, const char *name)
{
    size_t i;
    for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (!strcmp(name, keywords[i]))
            return fmt(g, "%s_", name);
    return name;
}

static void name_things(G *g)
{
    int d, s, pos, t = 0;
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
        if (di->name)
            g->dimname[d] = claim(g, di->name);
    }
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        g->fieldname[s] = field(g, sg_sym(g->ctx, s)->name);
        g->symname[s] = claim(g, sg_sym(g->ctx, s)->name);
    }
    for (pos = 0; pos < g->nit; pos++) {
        item *it = &g->it[g->order[pos]];
        node *n = N(g, it->e);
        sg_buf fb;
        if (it->kind != IT_NODE)
            continue;
        if (n->out >= 0) {
            n->cname = fmt(g, "out->%s", g->p->results[n->out].cname);
            continue;
        }
        if (it->e->op == OP_FACTOR) { /* K_lu, S_chol */
            const sg_expr *a = it->e->kid[0];
            const char *an = a->op == SG_OP_VAR ? sg_sym(g->ctx, a->sym)->name : a->name;
            const char *suf = factor_at(g, it->e)->chol ? "chol" : "lu";
            n->cname = an ? claim(g, fmt(g, "%s_%s", an, suf)) : fmt(g, "t%d", ++t);
            n->fname = n->cname;
            continue;
        }
        if (it->e->name) {
            n->cname = claim(g, it->e->name);
            if (!strcmp(n->cname, it->e->name)) {
                sg_buf_init(&fb);
                sg_fmt_name(&fb, it->e->name, 0);
                n->fname = sg_arena_strdup(g->ar, sg_buf_str(&fb));
                sg_buf_free(&fb);
            }
        } else {
            n->cname = fmt(g, "t%d", ++t);
        }
        if (!n->fname)
            n->fname = n->cname;
    }
    {
        static const char *const cands[] = {"e", "v", "u", "q", "z", "tmp"};
        size_t c;
        g->tmpname = NULL;
        for (c = 0; c < sizeof cands / sizeof cands[0] && !g->tmpname; c++)
            if (!reserved(g, cands[c]))
                g->tmpname = claim(g, cands[c]);
        if (!g->tmpname)
            g->tmpname = claim(g, "tmp");
    }
}

/* ---- C expressions ------------------------------------------------------------------ */

enum { C_COND = 1, C_ADD, C_MUL, C_UNARY, C_ATOM };

typedef struct {
    const char *s;
    int p;
} cx;

static cx mkcx(const char *s, int p)
{
    cx c;
    c.s = s;
    c.p = p;
    return c;
}

static const char *par(G *g, cx c, int min)
{
    return c.p < min ? fmt(g, "(%s)", c.s) : c.s;
}

static cx bin(G *g, cx a, const char *op, cx b, int p)
{
    return mkcx(fmt(g, "%s %s %s", par(g, a, p), op, par(g, b, p + 1)), p);
}

static cx neg(G *g, cx a)
{
    const char *s = par(g, a, C_UNARY);
    return mkcx(s[0] == '-' ? fmt(g, "-(%s)", s) : fmt(g, "-%s", s), C_UNARY);
}

static cx call(G *g, const char *fn, cx a)
{
    return mkcx(fmt(g, "%s(%s)", fn, a.s), C_ATOM);
}

/* a math.h function: exp, or expf for float */
static const char *mathfn(G *g, const char *fn)
{
    return fmt(g, "%s%s", fn, g->fsuf);
}

/* the shortest decimal that reads back as v (in the output's precision) */
static const char *lit_text(G *g, double v)
{
    char s[48];
    int prec;
    if (isnan(v))
        return "NAN";
    if (isinf(v))
        return g->o->use_float ? "HUGE_VALF" : "HUGE_VAL";
    for (prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (g->o->use_float ? (float)strtod(s, NULL) == (float)v : strtod(s, NULL) == v)
            break;
    }
    /* 10.0, not 1e+01: more digits when they avoid the exponent */
    if (strchr(s, 'e') && fabs(v) >= 1 && fabs(v) < 1e16) {
        char t[48];
        snprintf(t, sizeof t, "%.17g", v);
        if (!strchr(t, 'e')) {
            for (; prec <= 17; prec++) {
                snprintf(s, sizeof s, "%.*g", prec, v);
                if (!strchr(s, 'e'))
                    break;
            }
        }
    }
    if (!strpbrk(s, ".e"))
        strcat(s, ".0");
    return fmt(g, "%s%s", s, g->fsuf);
}

static cx lit(G *g, double v)
{
    if (v < 0 && !isnan(v))
        return mkcx(fmt(g, "-%s", lit_text(g, -v)), C_UNARY);
    return mkcx(lit_text(g, v), C_ATOM);
}

static const char *dim_c(G *g, sg_dim d, unsigned char *used)
{
    const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
    if (!di->name)
        return fmt(g, "%ld", di->value);
    if (used)
        used[d] = 1;
    return g->dimname[d];
}

static const char *D(G *g, sg_dim d)
{
    return dim_c(g, d, g->dimused);
}

/* the number of entries of a shape, as a C expression: m*n, n, 3*n */
static const char *len_c(G *g, sg_shape s)
{
    const sg_diminfo *r = sg_diminfo_of(g->ctx, s.rows), *c = sg_diminfo_of(g->ctx, s.cols);
    if (!r->name && !c->name)
        return fmt(g, "%ld", r->value * c->value);
    if (is_one(s.rows) || is_one(s.cols))
        return D(g, is_one(s.rows) ? s.cols : s.rows);
    return fmt(g, "%s*%s", D(g, s.rows), D(g, s.cols));
}

/* how a loop indexes: flat (one index over every entry) or by row and column */
typedef struct {
    int flat;
    const char *i, *j;
} ix;

static ix mkix(int flat, const char *i, const char *j)
{
    ix x;
    x.flat = flat;
    x.i = i;
    x.j = j;
    return x;
}

static ix swap(ix x)
{
    return x.flat ? x : mkix(0, x.j, x.i);
}

static cx sval(G *g, const sg_expr *e);
static cx elem(G *g, const sg_expr *e, ix x);

/* the entry x of a node that lives in memory */
static cx read_stored(G *g, const sg_expr *e, ix x)
{
    node *n = N(g, e);
    const char *base, *idx;
    if (n->plan == PL_INPUT) {
        g->symused[e->sym] = 1;
        base = g->symname[e->sym];
    } else {
        base = n->cname;
    }
    if (x.flat)
        idx = x.i;
    else if (is_one(e->shape.rows) && is_one(e->shape.cols))
        idx = "0";
    else if (is_one(e->shape.cols))
        idx = x.i;
    else if (is_one(e->shape.rows))
        idx = x.j;
    else if (!strcmp(x.i, "0"))
        idx = x.j;
    else if (!strcmp(x.j, "0"))
        idx = fmt(g, "%s*%s", x.i, dim_c(g, e->shape.cols, g->dimused));
    else
        idx = fmt(g, "%s*%s + %s", x.i, dim_c(g, e->shape.cols, g->dimused), x.j);
    return mkcx(fmt(g, "%s[%s]", base, idx), C_ATOM);
}

/* a ref's entry, through the transpose it was read with */
static cx ref_elem(G *g, const ref *r, ix x)
{
    return elem(g, r->e, r->trans ? swap(x) : x);
}

/* entry k of a vector-like ref (a column or a row) */
static cx vec_elem(G *g, const ref *r, const char *k)
{
    int col = r->trans ? is_one(r->e->shape.rows) : is_one(r->e->shape.cols);
    return ref_elem(g, r, col ? mkix(0, k, "0") : mkix(0, "0", k));
}

/* c·x with c < 0 not stored: x is what to subtract (scaled by −c) */
static int negated(G *g, const sg_expr *e, double *c, const sg_expr **x)
{
    node *n = N(g, e);
    if (n->mat || n->local)
        return 0;
    if (e->op == SG_OP_CONST && e->value < 0) {
        *c = -e->value;
        *x = NULL;
        return 1;
    }
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0 &&
        (n->plan == PL_SEXPR || (n->plan == PL_EW && n->var == EW_SCALE))) {
        *c = -e->kid[0]->value;
        *x = e->kid[1];
        return 1;
    }
    return 0;
}

static int simple(cx c)
{
    return c.p == C_ATOM && !strchr(c.s, '(');
}

static cx power(G *g, cx a, const sg_expr *p)
{
    if (p->op == SG_OP_CONST) {
        double v = p->value;
        if (v == 1)
            return a;
        if (v == 2 && simple(a))
            return bin(g, a, "*", a, C_MUL);
        if (v == 3 && simple(a))
            return bin(g, bin(g, a, "*", a, C_MUL), "*", a, C_MUL);
        if (v == -1)
            return bin(g, lit(g, 1), "/", a, C_MUL);
        if (v == -2 && simple(a))
            return bin(g, lit(g, 1), "/", bin(g, a, "*", a, C_MUL), C_MUL);
        if (v == 0.5)
            return call(g, mathfn(g, "sqrt"), a);
        if (v == -0.5)
            return bin(g, lit(g, 1), "/", call(g, mathfn(g, "sqrt"), a), C_MUL);
    }
    return mkcx(fmt(g, "%s(%s, %s)", mathfn(g, "pow"), a.s, sval(g, p).s), C_ATOM);
}

enum { K_RESTRICT, K_SIGMOID, K_SWISH, K_SOFTPLUS, K_RELU, K_STEP, K_SIGN, K_SUM, K_DOT,
       K_GEMV, K_GEMM, K_GER, K_COLSUM, K_ROWSUM, K_SOFTMAX, K_LOGSOFTMAX, K_LOGSUMEXP,
       K_DIAGMUL, K_LU, K_LU_SOLVE, K_LU_DET, K_LU_LOGDET, K_CHOL, K_CHOL_SOLVE, K_CHOL_DET,
       K_CHOL_LOGDET, K_COUNT };

typedef char kernel_room[K_COUNT <= K_MAX ? 1 : -1]; /* K_MAX is large enough */

static const char *const kernel_file[K_COUNT] = {
    "restrict.h", "sigmoid.c", "swish.c", "softplus.c", "relu.c", "step.c", "sign.c",
    "sum.c", "dot.c", "gemv.c", "gemm.c", "ger.c", "colsum.c", "rowsum.c", "softmax.c",
    "logsoftmax.c", "logsumexp.c", "diagmul.c", "lu.c", "lu_solve.c", "lu_det.c",
    "lu_logdet.c", "chol.c", "chol_solve.c", "chol_det.c", "chol_logdet.c",
};

static void use_kernel(G *g, int k)
{
    g->kernels[k] = 1;
    switch (k) {
    case K_SWISH:
        g->kernels[K_SIGMOID] = 1;
        break;
    case K_GEMV: case K_GEMM:
        g->kernels[K_DOT] = 1;
        g->kernels[K_RESTRICT] = 1;
        break;
    case K_ROWSUM:
        g->kernels[K_SUM] = 1;
        g->kernels[K_RESTRICT] = 1;
        break;
    case K_SUM: case K_DOT: case K_GER: case K_COLSUM: case K_SOFTMAX: case K_LOGSOFTMAX:
    case K_LOGSUMEXP: case K_DIAGMUL: case K_LU_SOLVE: case K_LU_DET: case K_LU_LOGDET:
    case K_CHOL_SOLVE: case K_CHOL_DET: case K_CHOL_LOGDET:
        g->kernels[K_RESTRICT] = 1;
        break;
    default:
        break;
    }
}

static cx unary(G *g, sg_op op, cx a)
{
    switch (op) {
    case SG_OP_EXP: return call(g, mathfn(g, "exp"), a);
    case SG_OP_LOG: return call(g, mathfn(g, "log"), a);
    case SG_OP_SQRT: return call(g, mathfn(g, "sqrt"), a);
    case SG_OP_ABS: return call(g, mathfn(g, "fabs"), a);
    case SG_OP_SIN: return call(g, mathfn(g, "sin"), a);
    case SG_OP_COS: return call(g, mathfn(g, "cos"), a);
    case SG_OP_TANH: return call(g, mathfn(g, "tanh"), a);
    case SG_OP_LOG1P: return call(g, mathfn(g, "log1p"), a);
    case SG_OP_EXPM1: return call(g, mathfn(g, "expm1"), a);
    case SG_OP_SIGMOID: use_kernel(g, K_SIGMOID); return call(g, "sg_sigmoid", a);
    case SG_OP_SWISH: use_kernel(g, K_SWISH); return call(g, "sg_swish", a);
    case SG_OP_SOFTPLUS: use_kernel(g, K_SOFTPLUS); return call(g, "sg_softplus", a);
    case SG_OP_RELU: use_kernel(g, K_RELU); return call(g, "sg_relu", a);
    case SG_OP_STEP: use_kernel(g, K_STEP); return call(g, "sg_step", a);
    case SG_OP_SIGN: use_kernel(g, K_SIGN); return call(g, "sg_sign", a);
    default:
        assert(!"not an elementwise function");
        return a;
    }
}

/* a + b, or a − |c|x when b is a negated term */
static cx add_terms(G *g, cx a, const sg_expr *b, cx (*get)(G *, const sg_expr *, ix), ix x)
{
    double c;
    const sg_expr *t;
    if (negated(g, b, &c, &t)) {
        cx rhs = t ? get(g, t, x) : lit(g, c);
        if (t && c != 1)
            rhs = bin(g, lit(g, c), "*", rhs, C_MUL);
        return bin(g, a, "-", rhs, C_ADD);
    }
    return bin(g, a, "+", get(g, b, x), C_ADD);
}

static cx elem_x(G *g, const sg_expr *e, ix x)
{
    return elem(g, e, x);
}

static cx sval_x(G *g, const sg_expr *e, ix x)
{
    (void)x;
    return sval(g, e);
}

static cx sval_def(G *g, const sg_expr *e);

/* the value of a scalar node: its local, or its expression */
static cx sval(G *g, const sg_expr *e)
{
    if (N(g, e)->local)
        return mkcx(N(g, e)->cname, C_ATOM);
    return sval_def(g, e);
}

/* the expression that computes a scalar node */
static cx sval_def(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    ix none = mkix(1, "0", "0");
    switch (e->op) {
    case SG_OP_CONST:
        return lit(g, e->value);
    case SG_OP_DIMVAL:
        return mkcx(fmt(g, "(%s)%s", g->real, dim_c(g, e->dim, g->dimused)), C_UNARY);
    case SG_OP_VAR:
        g->symused[e->sym] = 1;
        return mkcx(g->symname[e->sym], C_ATOM);
    case SG_OP_ZERO:
        return lit(g, 0);
    case SG_OP_ONES: case SG_OP_EYE:
        return lit(g, 1);
    default:
        break;
    }
    assert(n->plan == PL_SEXPR);
    if (n->var == EW_SCALEDIV) /* (1/s) b */
        return bin(g, sval(g, n->r[1].e), "/", sval(g, n->r[0].e), C_MUL);
    switch (e->op) {
    case SG_OP_ADD:
        return add_terms(g, sval(g, a), b, sval_x, none);
    case SG_OP_MUL: case SG_OP_HADAMARD: case SG_OP_DOT:
        if (a->op == SG_OP_CONST && a->value == -1)
            return neg(g, sval(g, b));
        return bin(g, sval(g, a), "*", sval(g, b), C_MUL);
    case SG_OP_HDIV:
        return bin(g, sval(g, a), "/", sval(g, b), C_MUL);
    case SG_OP_POW:
        return power(g, sval(g, a), b);
    case SG_OP_TRANSPOSE: case SG_OP_FILL: case SG_OP_SUM: case SG_OP_TRACE: case SG_OP_DIAG:
    case SG_OP_DIAGV: case SG_OP_LOGSUMEXP: case SG_OP_DET:
        return sval(g, a);
    case SG_OP_NORM: case SG_OP_NORM1:
        return call(g, mathfn(g, "fabs"), sval(g, a));
    case SG_OP_SOFTMAX:
        return lit(g, 1);
    case SG_OP_LOGSOFTMAX:
        return lit(g, 0);
    case SG_OP_INV:
        return bin(g, lit(g, 1), "/", sval(g, a), C_MUL);
    case SG_OP_LOGDET:
        return call(g, mathfn(g, "log"), call(g, mathfn(g, "fabs"), sval(g, a)));
    default:
        return unary(g, e->op, sval(g, a));
    }
}

/* entry x of I */
static cx eye_elem(G *g, ix x)
{
    if (!strcmp(x.i, x.j)) /* read on the diagonal, as by tr or diag */
        return lit(g, 1);
    return mkcx(fmt(g, "(%s == %s ? %s : %s)", x.i, x.j, lit(g, 1).s, lit(g, 0).s), C_ATOM);
}

/* the entry x of a non-scalar node, computed from its refs (not read from its buffer) */
static cx elem_def(G *g, const sg_expr *e, ix x)
{
    node *n = N(g, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    switch (n->var) {
    case EW_SCALE: {
        const sg_expr *s = scalar(a) ? a : b, *m = scalar(a) ? b : a;
        if (s->op == SG_OP_CONST && s->value == -1)
            return neg(g, elem(g, m, x));
        if (s == a)
            return bin(g, sval(g, s), "*", elem(g, m, x), C_MUL);
        return bin(g, elem(g, m, x), "*", sval(g, s), C_MUL);
    }
    case EW_SCALEDIV:
        return bin(g, elem(g, n->r[1].e, x), "/", sval(g, n->r[0].e), C_MUL);
    case EW_OUTER: {
        cx u = ref_elem(g, &n->r[0], mkix(0, x.i, "0"));
        cx v = ref_elem(g, &n->r[1], mkix(0, "0", x.j));
        if (n->r[0].e->op == SG_OP_ONES)
            return v;
        if (n->r[1].e->op == SG_OP_ONES)
            return u;
        return bin(g, u, "*", v, C_MUL);
    }
    case EW_ROWSCALE:
        return bin(g, vec_elem(g, &n->r[0], x.i), "*", elem(g, n->r[1].e, x), C_MUL);
    case EW_COLSCALE:
        return bin(g, elem(g, n->r[0].e, x), "*", vec_elem(g, &n->r[1], x.j), C_MUL);
    case EW_IDENT:
        return elem(g, n->r[0].e, x);
    case EW_ZERO:
        return lit(g, 0);
    default:
        break;
    }
    switch (e->op) {
    case SG_OP_ZERO:
        return lit(g, 0);
    case SG_OP_ONES:
        return lit(g, 1);
    case SG_OP_EYE:
        return eye_elem(g, x);
    case SG_OP_FILL:
        return sval(g, a);
    case SG_OP_ADD:
        return add_terms(g, elem(g, a, x), b, elem_x, x);
    case SG_OP_HADAMARD:
        return bin(g, elem(g, a, x), "*", elem(g, b, x), C_MUL);
    case SG_OP_HDIV:
        return bin(g, elem(g, a, x), "/", elem(g, b, x), C_MUL);
    case SG_OP_POW:
        return power(g, elem(g, a, x), b);
    case SG_OP_TRANSPOSE:
        return elem(g, a, swap(x));
    case SG_OP_DIAG:
        if (!strcmp(x.i, x.j))
            return vec_elem(g, &n->r[0], x.i);
        return mkcx(fmt(g, "(%s == %s ? %s : %s)", x.i, x.j, vec_elem(g, &n->r[0], x.i).s,
                        lit(g, 0).s),
                    C_ATOM);
    case SG_OP_DIAGV:
        return elem(g, a, mkix(0, x.i, x.i));
    default:
        return unary(g, e->op, elem(g, a, x));
    }
}

static cx elem(G *g, const sg_expr *e, ix x)
{
    if (scalar(e))
        return sval(g, e);
    if (stored(g, e))
        return read_stored(g, e, x);
    return elem_def(g, e, x);
}

/* can the entries of e (as computed, or as read) be walked with one flat index? */
static int flat_def(G *g, const sg_expr *e);

static int flat_ok(G *g, const sg_expr *e)
{
    if (scalar(e) || stored(g, e))
        return 1;
    return flat_def(g, e);
}

static int flat_def(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    int i;
    if (n->plan != PL_EW)
        return 1;
    switch (n->var) {
    case EW_OUTER: case EW_ROWSCALE: case EW_COLSCALE:
        return 0;
    default:
        break;
    }
    if (n->var == EW_PLAIN) {
        switch (e->op) {
        case SG_OP_EYE: case SG_OP_DIAG: case SG_OP_DIAGV:
            return 0;
        case SG_OP_TRANSPOSE:
            if (!veclike(e))
                return 0;
            break;
        default:
            break;
        }
    }
    for (i = 0; i < n->nref; i++)
        if (!flat_ok(g, n->r[i].e))
            return 0;
    return 1;
}

/* ---- 6. printing ------------------------------------------------------------------- */

static void indent(sg_buf *b, int level)
{
    int i;
    for (i = 0; i < level; i++)
        sg_buf_puts(b, "    ");
}

static void line(sg_buf *b, int level, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void line(sg_buf *b, int level, const char *f, ...)
{
    va_list ap;
    indent(b, level);
    va_start(ap, f);
    sg_buf_vprintf(b, f, ap);
    va_end(ap);
    sg_buf_putc(b, '\n');
}

/* text for a comment: no */
static const char *comment_safe(G *g, const char *s)
{
    sg_buf b;
    const char *r;
    if (!strstr(s, "*/"))
        return s;
    sg_buf_init(&b);
    for (; *s; s++) {
        sg_buf_putc(&b, *s);
        if (s[0] == '*' && s[1] == '/')
            sg_buf_putc(&b, ' ');
    }
    r = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

static int is_lu(G *g, const sg_expr *e);

/* m×n, n, 1×n */
static const char *shape_text(G *g, sg_shape s)
{
    const char *r = dim_c(g, s.rows, NULL), *c = dim_c(g, s.cols, NULL);
    const sg_diminfo *ri = sg_diminfo_of(g->ctx, s.rows), *ci = sg_diminfo_of(g->ctx, s.cols);
    r = ri->name ? ri->name : r;
    c = ci->name ? ci->name : c;
    if (sg_shape_is_scalar(s))
        return "scalar";
    if (is_one(s.cols))
        return r;
    return fmt(g, "%s×%s", r, c);
}

/* what a node's buffer holds: its shape, and an LU factor's pivots */
static const char *buffer_text(G *g, const sg_expr *e)
{
    if (is_lu(g, e))
        return fmt(g, "%s and %s pivots", shape_text(g, e->shape),
                   shape_text(g, sg_shape_make(e->shape.rows, SG_DIM_ONE)));
    return shape_text(g, e->shape);
}

/* the name of e's buffer or local, if it has one (not out->X) */
static const char *stored_name(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    if (!n->reach || n->out >= 0 || !(n->mat || n->local))
        return NULL;
    return n->fname;
}

static const char *namer(void *arg, const sg_expr *e)
{
    G *g = arg;
    const char *s = stored_name(g, e);
    if (e->op == SG_OP_INV && g->hide_inv) /* a solve never reads the inverse */
        return NULL;
    if (!s && e->id < g->nreal && g->fac_of[e->id] >= 0 && e->name) {
        sg_buf b; /* a factored matrix lives in its factor: it keeps its name */
        sg_buf_init(&b);
        sg_fmt_name(&b, e->name, 0);
        s = sg_arena_strdup(g->ar, sg_buf_str(&b));
        sg_buf_free(&b);
    }
    return s;
}

static const char *formula(G *g, const sg_expr *e)
{
    sg_buf b;
    const char *s;
    if (e->op == OP_FACTOR) { /* "the LU factors of K = XXᵀ + βI" */
        const sg_expr *a = e->kid[0];
        const char *what = factor_at(g, e)->chol ? "the Cholesky factor of" : "the LU factors of";
        if (a->name && a->op != SG_OP_VAR && !stored_name(g, a))
            return fmt(g, "%s %s = %s", what, namer(g, a), formula(g, a));
        return fmt(g, "%s %s", what, stored_name(g, a) ? stored_name(g, a) : formula(g, a));
    }
    g->hide_inv = N(g, e)->plan == PL_SOLVE;
    sg_buf_init(&b);
    sg_fmt_expr_named(&b, g->ctx, e, 0, namer, g);
    s = comment_safe(g, sg_arena_strdup(g->ar, sg_buf_str(&b)));
    sg_buf_free(&b);
    g->hide_inv = 0;
    return s;
}

static const char *result_name(G *g, int r)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    sg_fmt_result_name(&b, &g->p->results[r], 0);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* for (…) loops over a shape; returns the level of the body */
static int open_loops(G *g, sg_buf *b, int lv, sg_shape s, int flat, ix *x, int brace)
{
    const char *br = brace ? " {" : "";
    if (flat) {
        line(b, lv, "for (long i = 0; i < %s; i++)%s", len_c(g, s), br);
        *x = mkix(1, "i", "i");
        return lv + 1;
    }
    *x = mkix(0, is_one(s.rows) ? "0" : "i", is_one(s.cols) ? "0" : "j");
    if (!is_one(s.rows))
        line(b, lv++, "for (long i = 0; i < %s; i++)%s", dim_c(g, s.rows, g->dimused),
             is_one(s.cols) ? br : "");
    if (!is_one(s.cols))
        line(b, lv++, "for (long j = 0; j < %s; j++)%s", dim_c(g, s.cols, g->dimused), br);
    return lv;
}

/* the pointer to a ref's data */
static const char *ptr(G *g, const sg_expr *e)
{
    node *n = N(g, e);
    if (n->plan == PL_INPUT) {
        g->symused[e->sym] = 1;
        return g->symname[e->sym];
    }
    assert(n->mat);
    return n->cname;
}


/* a kernel call computing node n into dest */
static void emit_kernel(G *g, sg_buf *b, int lv, node *n, const char *dest)
{
    const sg_expr *e = n->e;
    const ref *A = &n->r[0], *B = n->nref > 1 ? &n->r[1] : NULL;
    switch (n->plan) {
    case PL_GEMV: /* op(A) x: A stored rows×cols */
        use_kernel(g, K_GEMV);
        line(b, lv, "sg_gemv(%s, %s, %d, %s, %s, %s);", D(g, A->e->shape.rows),
             D(g, A->e->shape.cols), A->trans, ptr(g, A->e), ptr(g, B->e), dest);
        return;
    case PL_GEMVT: /* a op(B) = (op(B)ᵀ aᵀ)ᵀ */
        use_kernel(g, K_GEMV);
        line(b, lv, "sg_gemv(%s, %s, %d, %s, %s, %s);", D(g, B->e->shape.rows),
             D(g, B->e->shape.cols), !B->trans, ptr(g, B->e), ptr(g, A->e), dest);
        return;
    case PL_GEMM:
        use_kernel(g, K_GEMM);
        line(b, lv, "sg_gemm(%s, %s, %s, %d, %s, %d, %s, %s);", D(g, e->shape.rows),
             D(g, e->shape.cols), D(g, n->e->kid[0]->shape.cols), A->trans, ptr(g, A->e),
             B->trans, ptr(g, B->e), dest);
        return;
    case PL_COLSUM: /* 𝟙ᵀX: colsum of X, or rowsum of the stored Xᵀ */
        use_kernel(g, A->trans ? K_ROWSUM : K_COLSUM);
        line(b, lv, "sg_%s(%s, %s, %s, %s);", A->trans ? "rowsum" : "colsum",
             D(g, A->e->shape.rows), D(g, A->e->shape.cols), ptr(g, A->e), dest);
        return;
    case PL_ROWSUM:
        use_kernel(g, A->trans ? K_COLSUM : K_ROWSUM);
        line(b, lv, "sg_%s(%s, %s, %s, %s);", A->trans ? "colsum" : "rowsum",
             D(g, A->e->shape.rows), D(g, A->e->shape.cols), ptr(g, A->e), dest);
        return;
    case PL_COLWISE: {
        const sg_expr *x = e->kid[0];
        const char *fn = e->op == SG_OP_SOFTMAX      ? "softmax"
                         : e->op == SG_OP_LOGSOFTMAX ? "logsoftmax"
                                                     : "logsumexp";
        /* entry (i, j) of op(X) is X[i*rs + j*cs] */
        const char *rs = A->trans ? "1" : D(g, A->e->shape.cols);
        const char *cs = A->trans ? D(g, A->e->shape.cols) : "1";
        use_kernel(g, e->op == SG_OP_SOFTMAX      ? K_SOFTMAX
                      : e->op == SG_OP_LOGSOFTMAX ? K_LOGSOFTMAX
                                                  : K_LOGSUMEXP);
        line(b, lv, "sg_%s(%s, %s, %s, %s, %s, %s);", fn, D(g, x->shape.rows),
             D(g, x->shape.cols), ptr(g, A->e), rs, cs, dest);
        return;
    }
    case PL_DIAGMUL: /* diag(op(A) op(B)), op(A) n×k */
        use_kernel(g, K_DIAGMUL);
        line(b, lv, "sg_diagmul(%s, %s, %d, %s, %d, %s, %s);", D(g, e->shape.rows),
             D(g, e->kid[0]->kid[0]->shape.cols), A->trans, ptr(g, A->e), B->trans,
             ptr(g, B->e), dest);
        return;
    default:
        assert(!"not a kernel");
    }
}

/* the entries of src (of I when src is NULL) into n's buffer */
static void emit_copy(G *g, sg_buf *b, int lv, node *n, const sg_expr *src)
{
    ix x;
    int body = open_loops(g, b, lv, n->e->shape, src && flat_ok(g, src), &x, 0);
    cx v = src ? elem(g, src, x) : eye_elem(g, x);
    line(b, body, "%s = %s;", read_stored(g, n->e, x).s, v.s);
}

static const char *condition(G *g, const unsigned long *mask, int negate);

/* A's factors: a copy of A (fused with whatever computes it), factored in place */
static void emit_factor(G *g, sg_buf *b, int lv, node *n)
{
    const factor *f = factor_at(g, n->e);
    const char *fn = f->chol ? "chol" : "lu";
    line(b, lv, "/* %s = %s  (%s) */", n->fname, formula(g, n->e), buffer_text(g, n->e));
    emit_copy(g, b, lv, n, n->e->kid[0]);
    use_kernel(g, f->chol ? K_CHOL : K_LU);
    if (f->strict) { /* unless only det wants it for these results */
        int all = bs_eq(f->smask, mask_of(g, n->e), g->nw);
        line(b, lv, "if (sg_%s(%s, %s)%s%s%s)", fn, D(g, n->e->shape.rows), n->cname,
             all ? "" : " && (", all ? "" : condition(g, f->smask, 0), all ? "" : ")");
        line(b, lv + 1, "return %s_%s;", g->PU, f->chol ? "ENOTSPD" : "ESINGULAR");
    } else {
        line(b, lv, "sg_%s(%s, %s); /* only det reads it: singular is det 0, no error */", fn,
             D(g, n->e->shape.rows), n->cname);
    }
}

/* X = op(A)⁻¹B, B op(A)⁻¹ or op(A)⁻¹: B copied into X, solved in place */
static void emit_solve(G *g, sg_buf *b, int lv, node *n)
{
    const sg_expr *e = n->e, *fe = n->r[0].e;
    const factor *f = factor_at(g, fe);
    const char *nn = D(g, fe->shape.rows), *k, *rs, *cs;
    int trans = (n->var & SV_TRANS) != 0;
    emit_copy(g, b, lv, n, n->var & SV_EYE ? NULL : n->r[1].e);
    if (n->var & SV_RIGHT) { /* Xᵀ = op(A)⁻ᵀBᵀ: X's columns are the unknowns */
        k = D(g, e->shape.rows);
        rs = "1";
        cs = nn;
        trans ^= 1;
    } else {
        k = D(g, e->shape.cols);
        rs = k;
        cs = "1";
    }
    use_kernel(g, f->chol ? K_CHOL_SOLVE : K_LU_SOLVE);
    if (f->chol)
        line(b, lv, "sg_chol_solve(%s, %s, %s, %s, %s, %s);", nn, ptr(g, fe), k, n->cname, rs,
             cs);
    else
        line(b, lv, "sg_lu_solve(%s, %s, %d, %s, %s, %s, %s);", nn, ptr(g, fe), trans, k,
             n->cname, rs, cs);
}

/* the statement of a materialized non-scalar node */
static void emit_mat(G *g, sg_buf *b, int lv, node *n)
{
    const char *name = n->out >= 0 ? result_name(g, n->out) : n->fname;
    if (n->plan == PL_FACTOR) {
        emit_factor(g, b, lv, n);
        return;
    }
    line(b, lv, "/* %s = %s  (%s) */", name, formula(g, n->e), shape_text(g, n->e->shape));
    if (n->plan == PL_SOLVE) {
        emit_solve(g, b, lv, n);
        return;
    }
    if (n->plan == PL_EW) {
        ix x;
        int flat = flat_def(g, n->e);
        int body = open_loops(g, b, lv, n->e->shape, flat, &x, 0);
        cx v = elem_def(g, n->e, x);
        line(b, body, "%s = %s;", read_stored(g, n->e, x).s, v.s);
        return;
    }
    emit_kernel(g, b, lv, n, n->cname);
}

/* e without its transposes, when they leave its entries in the same order
   (all: the order does not matter to a sum) */
static const sg_expr *untransposed(const sg_expr *e, int all)
{
    while (e->op == SG_OP_TRANSPOSE && (all || veclike(e)))
        e = e->kid[0];
    return e;
}

/* a reduction into a scalar local */
static void emit_red(G *g, sg_buf *b, int lv, node *n, const char *decl)
{
    const sg_expr *a = n->r[0].e, *c = n->nref > 1 ? n->r[1].e : NULL;
    const sg_expr *sa = untransposed(a, n->var == RD_SUM || n->var == RD_NORM);
    const sg_expr *sc = c ? untransposed(c, 0) : NULL;
    const char *t = n->cname;
    ix x;
    int body;
    cx v;
    switch (n->var) {
    case RD_SUM:
        if (stored(g, sa)) {
            use_kernel(g, K_SUM);
            line(b, lv, "%s%s = sg_sum(%s, %s);", decl, t, len_c(g, a->shape), ptr(g, sa));
            return;
        }
        break;
    case RD_DOT: case RD_INNER: case RD_NORM:
        if (stored(g, sa) && (n->var == RD_NORM || stored(g, sc))) {
            const char *pa = ptr(g, sa), *pc = n->var == RD_NORM ? pa : ptr(g, sc);
            const char *len = len_c(g, a->shape);
            use_kernel(g, K_DOT);
            if (n->var == RD_NORM)
                line(b, lv, "%s%s = %s(sg_dot(%s, %s, %s));", decl, t, mathfn(g, "sqrt"), len,
                     pa, pc);
            else
                line(b, lv, "%s%s = sg_dot(%s, %s, %s);", decl, t, len, pa, pc);
            return;
        }
        break;
    case RD_DET: case RD_LOGDET: {
        int chol = factor_at(g, a)->chol, det = n->var == RD_DET;
        use_kernel(g, chol ? (det ? K_CHOL_DET : K_CHOL_LOGDET) : det ? K_LU_DET : K_LU_LOGDET);
        line(b, lv, "%s%s = sg_%s_%s(%s, %s);", decl, t, chol ? "chol" : "lu",
             det ? "det" : "logdet", D(g, a->shape.rows), ptr(g, a));
        return;
    }
    case RD_LSE:
        use_kernel(g, K_LOGSUMEXP);
        line(b, lv, "%s%s = %s;", decl, t, lit(g, 0).s);
        line(b, lv, "sg_logsumexp(%s, 1, %s, %s, %s, &%s);", D(g, n->e->kid[0]->shape.rows),
             ptr(g, a),
             n->r[0].trans ? "1" : D(g, a->shape.cols), n->r[0].trans ? D(g, a->shape.cols) : "1",
             t);
        return;
    default:
        break;
    }
    /* a loop */
    line(b, lv, "%s%s = %s;", decl, t, lit(g, 0).s);
    switch (n->var) {
    case RD_TRACE:
        line(b, lv, "for (long i = 0; i < %s; i++)", D(g, a->shape.rows));
        line(b, lv + 1, "%s += %s;", t, elem(g, a, mkix(0, "i", "i")).s);
        return;
    case RD_INNER:
        line(b, lv, "for (long i = 0; i < %s; i++)", D(g, a->shape.cols));
        v = bin(g, elem(g, a, mkix(0, "0", "i")), "*", elem(g, c, mkix(0, "i", "0")), C_MUL);
        line(b, lv + 1, "%s += %s;", t, v.s);
        return;
    case RD_DIAGDOT:
        line(b, lv, "for (long i = 0; i < %s; i++)", D(g, c->shape.rows));
        v = bin(g, vec_elem(g, &n->r[0], "i"), "*", elem(g, c, mkix(0, "i", "i")), C_MUL);
        line(b, lv + 1, "%s += %s;", t, v.s);
        return;
    case RD_TRPROD:
        body = open_loops(g, b, lv, a->shape, 0, &x, 0);
        v = bin(g, elem(g, a, x), "*", elem(g, c, swap(x)), C_MUL);
        line(b, body, "%s += %s;", t, v.s);
        return;
    default:
        break;
    }
    body = open_loops(g, b, lv, a->shape, flat_ok(g, a) && (!c || flat_ok(g, c)), &x,
                      n->var == RD_NORM);
    switch (n->var) {
    case RD_SUM:
        line(b, body, "%s += %s;", t, elem(g, a, x).s);
        return;
    case RD_DOT:
        v = bin(g, elem(g, a, x), "*", elem(g, c, x), C_MUL);
        line(b, body, "%s += %s;", t, v.s);
        return;
    case RD_NORM1:
        line(b, body, "%s += %s;", t, call(g, mathfn(g, "fabs"), elem(g, a, x)).s);
        return;
    case RD_NORM:
        line(b, body, "const %s %s = %s;", g->real, g->tmpname, elem(g, a, x).s);
        line(b, body, "%s += %s * %s;", t, g->tmpname, g->tmpname);
        line(b, body - 1, "}");
        line(b, lv, "%s = %s(%s);", t, mathfn(g, "sqrt"), t);
        return;
    default:
        assert(!"not a reduction");
    }
}

static void emit_local(G *g, sg_buf *b, int lv, node *n)
{
    const char *decl = n->top ? "" : fmt(g, "%s ", g->real);
    line(b, lv, "/* %s = %s */", n->fname, formula(g, n->e));
    if (n->plan == PL_SRED) {
        emit_red(g, b, lv, n, decl);
        return;
    }
    line(b, lv, "%s%s = %s;", decl, n->cname, sval_def(g, n->e).s);
}

static void emit_output(G *g, sg_buf *b, int lv, item *t)
{
    const sg_expr *e = t->e;
    const char *cname = g->p->results[t->res].cname;
    if (scalar(e)) {
        if (!N(g, e)->local)
            line(b, lv, "/* %s = %s */", result_name(g, t->res), formula(g, e));
        line(b, lv, "*out->%s = %s;", cname, sval(g, e).s);
        return;
    }
    if (strcmp(result_name(g, t->res), N(g, e)->fname ? N(g, e)->fname : "")) {
        sg_buf f;
        sg_buf_init(&f);
        sg_fmt_expr_named(&f, g->ctx, e, 0, namer, g);
        line(b, lv, "/* %s = %s */", result_name(g, t->res),
             N(g, e)->fname ? N(g, e)->fname : comment_safe(g, sg_buf_str(&f)));
        sg_buf_free(&f);
    }
    line(b, lv, "for (long i = 0; i < %s; i++)", len_c(g, e->shape));
    line(b, lv + 1, "out->%s[i] = %s[i];", cname, ptr(g, e));
}

/* if (out->A || out->B) */
static const char *condition(G *g, const unsigned long *mask, int negate)
{
    sg_buf b;
    const char *s;
    int r, first = 1;
    sg_buf_init(&b);
    for (r = 0; r < g->nres; r++)
        if (bs_has(mask, r)) {
            sg_buf_printf(&b, "%s%sout->%s", first ? "" : negate ? " && " : " || ",
                          negate ? "!" : "", g->p->results[r].cname);
            first = 0;
        }
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

static void emit_body(G *g, sg_buf *b)
{
    int pos, open = 0, lv = 1, prev = -1;
    for (pos = 0; pos < g->nit; pos++) {
        item *t = &g->it[g->order[pos]];
        if (t->block != prev) {
            if (open)
                line(b, 1, "}");
            if (prev >= 0)
                sg_buf_putc(b, '\n');
            open = !bs_eq(t->mask, g->full, g->nw);
            if (open)
                line(b, 1, "if (%s) {", condition(g, t->mask, 0));
            lv = open ? 2 : 1;
            prev = t->block;
        }
        if (t->kind == IT_OUTPUT)
            emit_output(g, b, lv, t);
        else if (N(g, t->e)->mat)
            emit_mat(g, b, lv, N(g, t->e));
        else
            emit_local(g, b, lv, N(g, t->e));
    }
    if (open)
        line(b, 1, "}");
}

/* ---- declarations ---------------------------------------------------------------- */

static void banner(G *g, sg_buf *b, const char *what)
{
    const sg_cgen_opts *o = g->o;
    int r;
    sg_buf_printf(b, "/*\n * %s: %s ", comment_safe(g, g->P), what);
    for (r = 0; r < g->nres; r++)
        sg_buf_printf(b, "%s%s", r == 0 ? "" : r == g->nres - 1 ? " and " : ", ",
                      result_name(g, r));
    sg_buf_printf(b, " in %s precision.\n", g->o->use_float ? "single" : "double");
    sg_buf_printf(b, " * generated by symgrad %s from %s; do not edit\n",
                  o->version ? o->version : "", comment_safe(g, o->source_name ? o->source_name
                                                                            : "<stdin>"));
    if (o->command)
        sg_buf_printf(b, " * command: %s\n", comment_safe(g, o->command));
    sg_buf_puts(b, " */\n");
}

/* pads the line that starts at from so that a comment after it starts at
   column w + 1 (at least one space) */
static void pad(sg_buf *b, size_t from, size_t w)
{
    do
        sg_buf_putc(b, ' ');
    while (b->len - from < w + 1);
}

static void declarations(G *g, sg_buf *b)
{
    const char *P = g->P, *PU = g->PU, *T = g->real;
    int d, s, r, any = 0;
    size_t w = 0, start;
    sg_buf_printf(b, "/* the codes %s_eval returns */\n", P);
    sg_buf_printf(b, "#define %s_OK 0         /* success */\n", PU);
    sg_buf_printf(b, "#define %s_ESINGULAR 1  /* a matrix to invert or factor is singular */\n",
                  PU);
    sg_buf_printf(b, "#define %s_ENOTSPD 2    /* a matrix to factor by Cholesky is not positive "
                     "definite */\n",
                  PU);
    sg_buf_printf(b, "#define %s_EDIMS 3      /* dims differs from a dimension fixed when "
                     "generating */\n",
                  PU);
    if (g->nfac) {
        int lu = 0, chol = 0, k;
        for (k = 0; k < g->nfac; k++) {
            lu |= !g->fac[k].chol;
            chol |= g->fac[k].chol;
        }
        sg_buf_puts(b, "/*\n");
        if (lu)
            sg_buf_printf(b, " * Singular: the LU factorization (partial pivoting) meets a pivot "
                             "|u_kk| <= n*eps*max|a_ij|,\n"
                             " * eps the machine epsilon of %s (an exact 0 included). A "
                             "determinant alone is not\n"
                             " * an error: a singular matrix has det 0.\n",
                          T);
        if (chol)
            sg_buf_puts(b, " * Not positive definite: the Cholesky factorization of a matrix "
                           "declared (or built)\n"
                           " * positive definite meets a pivot <= 0; it reads the lower "
                           "triangle only.\n");
        sg_buf_puts(b, " * The results are unspecified when an error is returned.\n */\n");
    }
    sg_buf_putc(b, '\n');

    sg_buf_puts(b, "/* the dimensions */\ntypedef struct {\n");
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
        if (!di->name)
            continue;
        any = 1;
        start = b->len;
        sg_buf_printf(b, "    long %s;", field(g, di->name));
        if (g->dimfix[d]) {
            pad(b, start, 20);
            sg_buf_printf(b, "/* must be %ld */", g->dimfix[d]);
        }
        sg_buf_putc(b, '\n');
    }
    if (!any)
        sg_buf_puts(b, "    long unused; /* the problem has no dimensions */\n");
    sg_buf_printf(b, "} %s_dims;\n\n", P);

    sg_buf_printf(b, "/* the inputs, row-major; a sequence holds its steps one after another */\n"
                     "typedef struct {\n");
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        size_t l = strlen(T) + strlen(g->fieldname[s]) + 12;
        if (l > w)
            w = l;
    }
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        start = b->len;
        sg_buf_printf(b, "    const %s *%s;", T, g->fieldname[s]);
        pad(b, start, w);
        sg_buf_printf(b, "/* %s */\n", shape_text(g, sg_sym(g->ctx, s)->shape));
    }
    if (sg_nsyms(g->ctx) == 0)
        sg_buf_puts(b, "    int unused; /* the problem has no inputs */\n");
    sg_buf_printf(b, "} %s_in;\n\n", P);

    sg_buf_puts(b, "/* the results; a NULL pointer skips the result and the work only it needs */\n"
                   "typedef struct {\n");
    w = 0;
    for (r = 0; r < g->nres; r++) {
        size_t l = strlen(T) + strlen(g->p->results[r].cname) + 6;
        if (l > w)
            w = l;
    }
    for (r = 0; r < g->nres; r++) {
        start = b->len;
        sg_buf_printf(b, "    %s *%s;", T, g->p->results[r].cname);
        pad(b, start, w);
        sg_buf_printf(b, "/* %s, %s */\n", result_name(g, r),
                      shape_text(g, g->p->results[r].expr->shape));
    }
    sg_buf_printf(b, "} %s_out;\n\n", P);

    sg_buf_printf(b, "/* the bytes of scratch memory %s_eval needs for these dimensions */\n", P);
    sg_buf_printf(b, "size_t %s_work_size(const %s_dims *dims);\n\n", P, P);
    sg_buf_printf(b, "/*\n * Computes the results whose pointers in out are not NULL, and only "
                     "the work they\n * need. work holds at least %s_work_size(dims) bytes, "
                     "aligned for %s.\n * Returns %s_OK",
                  P, T, PU);
    {
        const char *why[3];
        int nfix = 0, n = 0, k, lu = 0, chol = 0;
        for (d = 0; d < sg_ndims(g->ctx); d++)
            nfix += g->dimfix[d] != 0;
        for (k = 0; k < g->nfac; k++) {
            lu |= !g->fac[k].chol && g->fac[k].strict;
            chol |= g->fac[k].chol;
        }
        if (nfix)
            why[n++] = fmt(g, "%s_EDIMS when dims differs from a fixed dimension", PU);
        if (lu)
            why[n++] = fmt(g, "%s_ESINGULAR when a matrix it solves with is singular", PU);
        if (chol)
            why[n++] = fmt(g, "%s_ENOTSPD when a matrix it factors by Cholesky is not "
                              "positive definite", PU);
        for (k = 0; k < n; k++) /* on one line when it is the only one */
            sg_buf_printf(b, "%s%s%s", n == 1 ? ", " : ",\n * ", k == n - 1 ? "or " : "", why[k]);
    }
    sg_buf_printf(b, ".\n */\nint %s_eval(const %s_dims *dims, const %s_in *in, %s_out *out, "
                     "void *work);\n",
                  P, P, P, P);
}

static void header_text(G *g, sg_buf *b, int guard)
{
    if (guard) {
        sg_buf_printf(b, "#ifndef %s_H\n#define %s_H\n\n", g->PU, g->PU);
        sg_buf_puts(b, "#include <stddef.h>\n\n");
    }
    sg_buf_puts(b, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    declarations(g, b);
    sg_buf_puts(b, "\n#ifdef __cplusplus\n}\n#endif\n");
    if (guard)
        sg_buf_puts(b, "\n#endif\n");
}

/* a template with @real@, @restrict@ and @exp@ … filled in */
static void expand(G *g, sg_buf *b, const char *text)
{
    while (*text) {
        const char *at = strchr(text, '@'), *end;
        if (!at) {
            sg_buf_puts(b, text);
            return;
        }
        sg_buf_putn(b, text, (size_t)(at - text));
        end = strchr(at + 1, '@');
        if (!end) {
            sg_buf_puts(b, at);
            return;
        }
        if (end - at - 1 == 4 && !strncmp(at + 1, "real", 4))
            sg_buf_puts(b, g->real);
        else if (end - at - 1 == 8 && !strncmp(at + 1, "restrict", 8))
            sg_buf_puts(b, "SG_RESTRICT");
        else if (end - at - 1 == 3 && !strncmp(at + 1, "eps", 3)) /* the machine epsilon */
            sg_buf_puts(b, g->fsuf[0] ? "1.1920929e-07f" : "2.220446049250313e-16");
        else { /* a math function */
            sg_buf_putn(b, at + 1, (size_t)(end - at - 1));
            sg_buf_puts(b, g->fsuf);
        }
        text = end + 1;
    }
}

/* ---- the generator's life ------------------------------------------------------------ */

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

/* how many inverses, dets and logdets are reachable from e: a bound on the factors */
static unsigned count_la(const sg_expr *e, unsigned char *seen)
{
    unsigned c = 0;
    int i;
    if (seen[e->id])
        return 0;
    seen[e->id] = 1;
    for (i = 0; i < e->nkids; i++)
        c += count_la(e->kid[i], seen);
    return c + (e->op == SG_OP_INV || e->op == SG_OP_DET || e->op == SG_OP_LOGDET);
}

static G *prepare(const sg_problem *p, const sg_cgen_opts *o)
{
    G *g = sg_xmalloc(sizeof *g);
    int r, i;
    char *pu;
    unsigned nla = 0;
    memset(g, 0, sizeof *g);
    g->p = p;
    g->o = o;
    g->ctx = p->ctx;
    g->ar = sg_arena_new();
    if (sg_nseqs(p->ctx) > 0) { /* the loops over t are a later version's */
        g->unsupported = "recurrences are not supported by the C printer yet";
        return g;
    }
    g->real = o->use_float ? "float" : "double";
    g->fsuf = o->use_float ? "f" : "";
    g->P = o->prefix ? o->prefix : p->prefix ? p->prefix : "sg";
    pu = sg_arena_strdup(g->ar, g->P);
    upper(pu);
    g->PU = pu;
    g->nres = p->nresults;
    g->nw = (g->nres + 8 * (int)sizeof(unsigned long) - 1) / (8 * (int)sizeof(unsigned long));
    if (g->nw == 0)
        g->nw = 1;
    g->nreal = sg_expr_count(p->ctx);
    {
        unsigned char *seen = sg_xmalloc(g->nreal + 1);
        memset(seen, 0, g->nreal + 1);
        for (r = 0; r < g->nres; r++)
            nla += count_la(p->results[r].expr, seen);
        free(seen);
    }
    g->nnodes = g->nreal + nla; /* room for a factor per inverse, det, logdet */
    g->fac = sg_xmalloc((nla + 1) * sizeof *g->fac);
    g->fac_of = sg_xmalloc((g->nreal + 1) * sizeof *g->fac_of);
    for (i = 0; i < (int)g->nreal; i++)
        g->fac_of[i] = -1;
    g->topo = sg_xmalloc((g->nnodes + 1) * sizeof *g->topo);
    g->ni = sg_xmalloc((g->nnodes + 1) * sizeof *g->ni);
    memset(g->ni, 0, (g->nnodes + 1) * sizeof *g->ni);
    for (i = 0; i < (int)g->nnodes; i++) {
        g->ni[i].out = -1;
        g->ni[i].slot = -1;
        g->ni[i].item = -1;
    }
    g->masks = sg_xmalloc(((size_t)g->nnodes + 1) * (size_t)g->nw * sizeof *g->masks);
    memset(g->masks, 0, ((size_t)g->nnodes + 1) * (size_t)g->nw * sizeof *g->masks);
    g->omasks = sg_xmalloc(((size_t)g->nres + 1) * (size_t)g->nw * sizeof *g->omasks);
    memset(g->omasks, 0, ((size_t)g->nres + 1) * (size_t)g->nw * sizeof *g->omasks);
    g->full = sg_xmalloc((size_t)g->nw * sizeof *g->full);
    memset(g->full, 0, (size_t)g->nw * sizeof *g->full);
    for (r = 0; r < g->nres; r++) {
        bs_set(g->omasks + (size_t)r * (size_t)g->nw, r);
        bs_set(g->full, r);
    }
    i = sg_ndims(p->ctx) + 1;
    g->dimname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimname);
    g->dimfix = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimfix);
    g->dimused = sg_arena_alloc(g->ar, (size_t)i);
    i = sg_nsyms(p->ctx) + 1;
    g->symname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->symname);
    g->fieldname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->fieldname);
    g->symused = sg_arena_alloc(g->ar, (size_t)i);
    for (i = 0; i < o->nfixed; i++) {
        int d = sg_dim_find(p->ctx, o->fixed[i].name);
        if (d >= 0 && o->fixed[i].value > 0)
            g->dimfix[d] = o->fixed[i].value;
    }

    for (r = 0; r < g->nres; r++)
        reach(g, p->results[r].expr);
    for (r = 0; r < g->nres; r++) {
        node *n = N(g, p->results[r].expr);
        n->root = 1;
        n->uses++;
    }
    decide(g);
    for (r = 0; r < g->nres; r++) { /* a root read by its result alone is computed in place */
        node *n = N(g, p->results[r].expr);
        if (n->mat && n->uses == 1)
            n->out = r;
    }
    compute_masks(g);
    strict_masks(g);
    schedule(g);
    allocate(g);
    name_things(g);
    return g;
}

static void release(G *g)
{
    int i;
    for (i = 0; i < g->nit; i++) {
        free(g->it[i].deps);
        free(g->it[i].succ);
    }
    for (i = 0; i < g->nslots; i++)
        free(g->slots[i].size.m);
    free(g->it);
    free(g->order);
    free(g->slots);
    free(g->taken);
    free(g->ni);
    free(g->masks);
    free(g->omasks);
    free(g->full);
    free(g->fac);
    free(g->fac_of);
    free(g->topo);
    sg_arena_free(g->ar);
    free(g);
}

const char *sg_cgen_unsupported(const sg_problem *p)
{
    sg_cgen_opts o;
    G *g;
    const char *msg;
    memset(&o, 0, sizeof o);
    g = prepare(p, &o);
    msg = g->unsupported;
    release(g);
    return msg;
}

char *sg_cgen_kernels(int use_float, size_t *len)
{
    G g;
    sg_buf b;
    int k;
    memset(&g, 0, sizeof g);
    g.real = use_float ? "float" : "double";
    g.fsuf = use_float ? "f" : "";
    sg_buf_init(&b);
    for (k = 0; k < K_COUNT; k++) {
        expand(&g, &b, sg_template(kernel_file[k]));
        sg_buf_putc(&b, '\n');
    }
    return sg_buf_take(&b, len);
}

static void work_size_fn(G *g, sg_buf *b)
{
    poly total = {NULL, 0};
    unsigned char *used = sg_arena_alloc(g->ar, (size_t)sg_ndims(g->ctx) + 1);
    const char *expr;
    int d, any = 0;
    slots_before(g, g->nslots, &total);
    expr = poly_c(g, &total, used);
    sg_buf_printf(b, "/* %d buffer%s of %s: see the top of %s_eval */\n", g->nslots,
                  g->nslots == 1 ? "" : "s", g->real, g->P);
    sg_buf_printf(b, "size_t %s_work_size(const %s_dims *dims)\n{\n", g->P, g->P);
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        if (!used[d])
            continue;
        any |= !g->dimfix[d];
        if (g->dimfix[d])
            line(b, 1, "const size_t %s = %ld;", g->dimname[d], g->dimfix[d]);
        else
            line(b, 1, "const size_t %s = (size_t)dims->%s;", g->dimname[d],
                 field(g, sg_diminfo_of(g->ctx, d)->name));
    }
    if (!any)
        line(b, 1, "(void)dims;");
    if (total.n == 0)
        line(b, 1, "return 0;");
    else
        line(b, 1, "return sizeof(%s) * (%s);", g->real, expr);
    sg_buf_puts(b, "}\n");
    free(total.m);
}

/* the longest formula line in a comment, in bytes */
#define MAX_COMMENT 1000

static void eval_fn(G *g, sg_buf *out)
{
    sg_buf body, bufs, checks;
    char *formulas, *line_start;
    int d, s, i, pos, any_dim = 0, any_sym = 0, any_full = 0;

    sg_buf_init(&body);
    emit_body(g, &body);

    /* the function's comment: what it computes */
    formulas = sg_fmt_problem(g->p, 0, NULL);
    sg_buf_puts(out, "/*\n");
    for (line_start = formulas; *line_start;) {
        char *nl = strchr(line_start, '\n');
        size_t n = nl ? (size_t)(nl - line_start) : strlen(line_start), k = n;
        if (k > MAX_COMMENT) { /* cut at a character boundary; --formulas has it all */
            k = MAX_COMMENT;
            while (k > 0 && ((unsigned char)line_start[k] & 0xC0) == 0x80)
                k--;
        }
        sg_buf_puts(out, " *   ");
        sg_buf_puts(out, comment_safe(g, sg_arena_strndup(g->ar, line_start, k)));
        sg_buf_puts(out, k < n ? " …\n" : "\n");
        line_start += n + (nl ? 1 : 0);
    }
    free(formulas);
    sg_buf_puts(out, " */\n");
    sg_buf_printf(out, "int %s_eval(const %s_dims *dims, const %s_in *in, %s_out *out, "
                       "void *work)\n{\n",
                  g->P, g->P, g->P, g->P);

    /* the buffers, printed first since their offsets may use dimensions too */
    sg_buf_init(&bufs);
    {
        const char **decl = sg_xmalloc((size_t)(g->nit + 1) * sizeof *decl);
        size_t w = 0;
        for (pos = 0; pos < g->nit; pos++) {
            item *t = &g->it[g->order[pos]];
            node *n = N(g, t->e);
            decl[pos] = NULL;
            if (t->kind == IT_NODE && n->slot >= 0) {
                poly o = {NULL, 0};
                slots_before(g, n->slot, &o);
                decl[pos] = fmt(g, "    %s *const %s = scratch%s%s;", g->real, n->cname,
                                o.n ? " + " : "", o.n ? poly_c(g, &o, g->dimused) : "");
                if (strlen(decl[pos]) > w)
                    w = strlen(decl[pos]);
                free(o.m);
            }
        }
        for (pos = 0; pos < g->nit; pos++) {
            const sg_expr *e = g->it[g->order[pos]].e;
            size_t start = bufs.len;
            if (!decl[pos])
                continue;
            sg_buf_puts(&bufs, decl[pos]);
            pad(&bufs, start, w);
            sg_buf_printf(&bufs, "/* %s  (%s) */\n", formula(g, e), buffer_text(g, e));
        }
        free(decl);
    }

    /* dimensions, inputs, the scratch memory, then the buffers in it */
    sg_buf_init(&checks);
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        const char *f = sg_diminfo_of(g->ctx, d)->name ? field(g, sg_diminfo_of(g->ctx, d)->name)
                                                       : NULL;
        if (g->dimfix[d]) {
            sg_buf_printf(&checks, "%sdims->%s != %ld", checks.len ? " || " : "", f,
                          g->dimfix[d]);
            any_dim = 1;
        }
        if (!g->dimused[d])
            continue;
        any_dim = 1;
        if (g->dimfix[d])
            line(out, 1, "const long %s = %ld; /* fixed when generating */", g->dimname[d],
                 g->dimfix[d]);
        else
            line(out, 1, "const long %s = dims->%s;", g->dimname[d], f);
    }
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        if (!g->symused[s])
            continue;
        any_sym = 1;
        if (sg_shape_is_scalar(sg_sym(g->ctx, s)->shape))
            line(out, 1, "const %s %s = *in->%s;", g->real, g->symname[s], g->fieldname[s]);
        else
            line(out, 1, "const %s *%s = in->%s;", g->real, g->symname[s], g->fieldname[s]);
    }
    if (g->nslots)
        line(out, 1, "%s *const scratch = (%s *)work;", g->real, g->real);
    sg_buf_puts(out, sg_buf_str(&bufs));
    for (pos = 0; pos < g->nit; pos++) {
        item *t = &g->it[g->order[pos]];
        node *n = N(g, t->e);
        if (t->kind == IT_NODE && n->local && n->top)
            line(out, 1, "%s %s = %s; /* %s */", g->real, n->cname, lit(g, 0).s, formula(g, t->e));
    }
    for (i = 0; i < g->nit; i++)
        if (bs_eq(g->it[i].mask, g->full, g->nw))
            any_full = 1;

    if (!any_dim || !any_sym || !g->nslots) {
        sg_buf_putc(out, '\n');
        if (!any_dim)
            line(out, 1, "(void)dims;");
        if (!any_sym)
            line(out, 1, "(void)in;");
        if (!g->nslots)
            line(out, 1, "(void)work;");
    }
    if (checks.len) { /* the dimensions fixed when generating */
        sg_buf_putc(out, '\n');
        line(out, 1, "if (%s)", sg_buf_str(&checks));
        line(out, 2, "return %s_EDIMS;", g->PU);
    }
    if (any_full) {
        sg_buf_putc(out, '\n');
        line(out, 1, "if (%s)", condition(g, g->full, 1));
        line(out, 2, "return %s_OK;", g->PU);
    }
    sg_buf_putc(out, '\n');
    sg_buf_puts(out, sg_buf_str(&body));
    line(out, 1, "return %s_OK;", g->PU);
    sg_buf_puts(out, "}\n");
    sg_buf_free(&body);
    sg_buf_free(&bufs);
    sg_buf_free(&checks);
}

/* ---- --check: a main() that compares derivatives with finite differences ---------- */

/* the value result named name (of kind), or -1 */
static int result_of(G *g, sg_result_kind kind, const char *of, const char *wrt)
{
    int r;
    for (r = 0; r < g->nres; r++) {
        const sg_result *x = &g->p->results[r];
        const char *xof = x->of ? x->of : x->cname;
        if (x->kind == kind && of && !strcmp(xof, of) &&
            (!wrt || (x->wrt && !strcmp(x->wrt, wrt))))
            return r;
    }
    return -1;
}

/* how sg_check_fill fills a symbol, and which directions move it */
static int fill_kind(G *g, int s)
{
    unsigned props = sg_sym(g->ctx, s)->props;
    sg_shape sh = sg_sym(g->ctx, s)->shape;
    if (props & SG_PROP_SPD)
        return 2;
    if ((props & SG_PROP_SYMMETRIC) && sh.rows == sh.cols)
        return 1;
    if (props & SG_PROP_SIMPLEX)
        return 3;
    return 0;
}

static void templ(G *g, sg_buf *b, const char *name)
{
    const char *t = sg_template(name);
    assert(t != NULL);
    expand(g, b, t ? t : "");
    sg_buf_putc(b, '\n');
}

static void check_main(G *g, sg_buf *b)
{
    const char *P = g->P, *T = g->real;
    int nd = sg_ndims(g->ctx), ns = sg_nsyms(g->ctx), d, s, r, next = 3;
    long *dv = sg_arena_alloc(g->ar, (size_t)(nd + 1) * sizeof *dv), maxp = 1;
    int *how = sg_arena_alloc(g->ar, (size_t)(g->nres + 1) * sizeof *how); /* 0 skip, 1 FD, 2 FD² */
    int *fres = sg_arena_alloc(g->ar, (size_t)(g->nres + 1) * sizeof *fres);
    int *ysym = sg_arena_alloc(g->ar, (size_t)(g->nres + 1) * sizeof *ysym);
    int *xsym = sg_arena_alloc(g->ar, (size_t)(g->nres + 1) * sizeof *xsym);
    const char **why = sg_arena_alloc(g->ar, (size_t)(g->nres + 1) * sizeof *why);
    int any_fd = 0, any_fd2 = 0, any_sym = 0, any_simplex = 0;
    const char *tol = g->o->use_float ? "1e-2" : "1e-5";
    const char *h1 = g->o->use_float ? "5e-3" : "1e-6", *h2 = g->o->use_float ? "2e-2" : "1e-4";
    sg_buf dims;

    /* the dimensions: the fixed ones, and 3, 4, 5, … (distinct) for the others */
    sg_buf_init(&dims);
    for (d = 0; d < nd; d++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
        dv[d] = di->name ? g->dimfix[d] : di->value;
    }
    for (d = 0; d < nd; d++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
        int k, clash;
        if (!di->name)
            continue;
        if (!dv[d]) {
            do {
                clash = 0;
                for (k = 0; k < nd; k++)
                    clash |= sg_diminfo_of(g->ctx, k)->name && dv[k] == next;
                if (clash)
                    next++;
            } while (clash);
            dv[d] = next++;
        }
        sg_buf_printf(&dims, "%s%s = %ld", dims.len ? ", " : "", di->name, dv[d]);
    }
#define ROWS(sh) dv[(sh).rows]
#define NUMEL(sh) (dv[(sh).rows] * dv[(sh).cols])

    /* what each derivative is compared with */
    for (r = 0; r < g->nres; r++) {
        const sg_result *x = &g->p->results[r];
        const char *wrt2 = x->wrt2 ? x->wrt2 : x->wrt;
        how[r] = 0;
        why[r] = NULL;
        xsym[r] = x->wrt ? sg_sym_find(g->ctx, x->wrt) : -1;
        ysym[r] = x->kind == SG_RES_HESSIAN && wrt2 ? sg_sym_find(g->ctx, wrt2) : xsym[r];
        if (x->kind == SG_RES_VALUE)
            continue;
        fres[r] = result_of(g, SG_RES_VALUE, x->of, NULL);
        if (xsym[r] < 0 || ysym[r] < 0) {
            why[r] = fmt(g, "%s is not an input", xsym[r] < 0 ? x->wrt : wrt2);
            continue;
        }
        if (x->kind == SG_RES_HESSIAN) {
            int gr = result_of(g, SG_RES_GRAD, x->of, x->wrt);
            if (gr >= 0) {
                fres[r] = gr;
                how[r] = 1;
            } else if (fres[r] >= 0 && scalar(g->p->results[fres[r]].expr)) {
                how[r] = 2;
            }
        } else if (fres[r] >= 0) {
            how[r] = 1;
        }
        if (!how[r]) {
            why[r] = fmt(g, "%s is not a result", x->of);
            continue;
        }
        if (how[r] == 1 && NUMEL(g->p->results[fres[r]].expr->shape) > maxp)
            maxp = NUMEL(g->p->results[fres[r]].expr->shape);
        any_fd |= how[r] == 1;
        any_fd2 |= how[r] == 2;
        for (s = 0; s < 2; s++) {
            int k = fill_kind(g, s ? ysym[r] : xsym[r]);
            any_sym |= k == 1 || k == 2;
            any_simplex |= k == 3;
        }
    }

    sg_buf_printf(b, "/* ---- --check "
                     "------------------------------------------------------------------ */\n\n");
    sg_buf_printf(b, "/*\n * main() checks every derivative %s_eval computes against central "
                     "finite\n * differences of the result it differentiates (a Hessian: of "
                     "the gradient, or\n * second differences of the value), at inputs drawn "
                     "at random as their\n * declarations allow, with a fixed seed%s%s. It "
                     "prints each one's worst relative\n * error and exits 1 when one exceeds "
                     "%s.\n",
                  P, dims.len ? ", for " : "", sg_buf_str(&dims), tol);
    if (any_sym)
        sg_buf_puts(b, " * A symmetric input moves S_ab and S_ba together, which keeps it "
                       "symmetric (and\n * positive definite): the derivative along that "
                       "direction is G_ab + G_ba (G_aa\n * on the diagonal) for the "
                       "unstructured gradient G, whichever triangle the\n * code reads.\n");
    if (any_simplex)
        sg_buf_puts(b, " * A simplex input moves e_a - e_last, which keeps its sum 1: the "
                       "derivative\n * along it is G_a - G_last.\n");
    sg_buf_puts(b, " */\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n");
    templ(g, b, "check.c");
    if (any_fd || any_fd2)
        templ(g, b, "check_fd.c");
    if (any_fd)
        templ(g, b, "check_jacobian.c");
    if (any_fd2)
        templ(g, b, "check_hessian.c");

    sg_buf_printf(b, "typedef struct {\n    %s_dims dims;\n    %s_in in;\n    void *work;\n"
                     "} sg_check_state;\n\n",
                  P, P);
    if (any_fd || any_fd2) {
        sg_buf_printf(b, "/* %s_eval computing result k alone, into dst */\n"
                         "static int sg_check_run(void *arg, int k, %s *dst)\n{\n"
                         "    sg_check_state *c = (sg_check_state *)arg;\n    %s_out out;\n"
                         "    memset(&out, 0, sizeof out);\n    switch (k) {\n",
                      P, T, P);
        for (r = 0; r < g->nres; r++)
            sg_buf_printf(b, "    case %d:\n        out.%s = dst;\n        break;\n", r,
                          g->p->results[r].cname);
        sg_buf_printf(b, "    default:\n        break;\n    }\n"
                         "    return %s_eval(&c->dims, &c->in, &out, c->work);\n}\n\n",
                      P);
    }

    sg_buf_printf(b, "int main(void)\n{\n    sg_check_state sg_c;\n    %s_out sg_o;\n"
                     "    %s *sg_x[%d], *sg_r[%d], *sg_fp, *sg_fm;\n"
                     "%s"
                     "    int sg_rc = 0, sg_bad = 0, sg_k, sg_try;\n\n"
                     "    memset(&sg_c, 0, sizeof sg_c);\n    memset(&sg_o, 0, sizeof sg_o);\n",
                  P, T, ns ? ns : 1, g->nres ? g->nres : 1,
                  any_fd || any_fd2 ? "    double sg_err;\n" : "");
    for (d = 0; d < nd; d++)
        if (sg_diminfo_of(g->ctx, d)->name)
            sg_buf_printf(b, "    sg_c.dims.%s = %ld;\n", field(g, sg_diminfo_of(g->ctx, d)->name),
                          dv[d]);
    for (s = 0; s < ns; s++) {
        sg_buf_printf(b, "    sg_x[%d] = sg_check_alloc(%ld);\n", s,
                      NUMEL(sg_sym(g->ctx, s)->shape));
        sg_buf_printf(b, "    sg_c.in.%s = sg_x[%d];\n", g->fieldname[s], s);
    }
    if (!ns)
        sg_buf_puts(b, "    (void)sg_check_fill;\n");
    for (r = 0; r < g->nres; r++) {
        sg_buf_printf(b, "    sg_r[%d] = sg_check_alloc(%ld);\n", r,
                      NUMEL(g->p->results[r].expr->shape));
        sg_buf_printf(b, "    sg_o.%s = sg_r[%d];\n", g->p->results[r].cname, r);
    }
    sg_buf_printf(b, "    sg_fp = sg_check_alloc(%ld);\n    sg_fm = sg_check_alloc(%ld);\n", maxp,
                  maxp);
    sg_buf_printf(b, "    sg_c.work = malloc(%s_work_size(&sg_c.dims) + 1);\n"
                     "    if (!sg_c.work) {\n        fprintf(stderr, \"check: out of memory\\n\");\n"
                     "        return 2;\n    }\n\n",
                  P);
    sg_buf_puts(b, "    /* the inputs as declared, uniform in [-1, 1] where nothing is; in [0.5, "
                   "1.5]\n       instead when the results are not all finite there (a log, a "
                   "sqrt) */\n");
    sg_buf_puts(b, "    for (sg_try = 0; sg_try < 2; sg_try++) {\n");
    if (ns)
        sg_buf_puts(b, "        unsigned long long sg_seed = 20240229ull;\n");
    for (s = 0; s < ns; s++) {
        sg_shape sh = sg_sym(g->ctx, s)->shape;
        int k = fill_kind(g, s);
        sg_buf_printf(b, "        sg_check_fill(sg_x[%d], %ld, %ld, %s, &sg_seed);\n", s,
                      ROWS(sh), dv[sh.cols], k ? fmt(g, "%d", k) : "sg_try ? 4 : 0");
    }
    sg_buf_printf(b, "        sg_rc = %s_eval(&sg_c.dims, &sg_c.in, &sg_o, sg_c.work);\n"
                     "        if (sg_rc == %s_OK",
                  P, g->PU);
    for (r = 0; r < g->nres; r++)
        sg_buf_printf(b, " &&\n            sg_check_finite(sg_r[%d], %ld)", r,
                      NUMEL(g->p->results[r].expr->shape));
    sg_buf_puts(b, ")\n            break;\n    }\n");
    sg_buf_printf(b, "    if (sg_rc != %s_OK) {\n"
                     "        printf(\"%s_eval returned %%d at the check's inputs\\n\", sg_rc);\n"
                     "        sg_bad = 1;\n"
                     "    } else if (sg_try == 2) {\n"
                     "        printf(\"check: the results are not finite at the check's "
                     "inputs\\n\");\n"
                     "        sg_bad = 1;\n"
                     "    } else if (sg_try == 1) {\n"
                     "        printf(\"check: inputs in [0.5, 1.5], where every result is "
                     "finite\\n\");\n"
                     "    }\n",
                  g->PU, P);
    sg_buf_puts(b, "    if (!sg_bad) {\n");
    if (!any_fd && !any_fd2)
        sg_buf_puts(b, "        printf(\"check: no derivative to check\\n\");\n");
    for (r = 0; r < g->nres; r++) {
        const sg_result *x = &g->p->results[r];
        const char *name = x->cname;
        int xs = xsym[r], ys = ysym[r];
        if (x->kind == SG_RES_VALUE)
            continue;
        if (!how[r]) {
            sg_buf_printf(b, "        printf(\"%s: not checked (%s)\\n\");\n", name,
                          comment_safe(g, why[r]));
            continue;
        }
        if (how[r] == 1) {
            sg_shape ysh = sg_sym(g->ctx, ys)->shape;
            sg_buf_printf(b, "        /* %s: differences of %s along %s */\n", name,
                          g->p->results[fres[r]].cname, sg_sym(g->ctx, ys)->name);
            sg_buf_printf(b, "        sg_err = sg_check_jacobian(sg_check_run, &sg_c, %d, %ld, "
                             "sg_x[%d], %ld, %ld, %d, sg_r[%d],\n"
                             "                                   %s, sg_fp, sg_fm);\n",
                          fres[r], NUMEL(g->p->results[fres[r]].expr->shape), ys, NUMEL(ysh),
                          ROWS(ysh), fill_kind(g, ys), r, h1);
            sg_buf_printf(b, "        sg_bad |= sg_check_report(\"%s\", sg_err, %s);\n", name, tol);
        } else {
            sg_shape xsh = sg_sym(g->ctx, xs)->shape, ysh = sg_sym(g->ctx, ys)->shape;
            sg_buf_printf(b, "        /* %s: second differences of %s along %s and %s */\n",
                          name, g->p->results[fres[r]].cname, sg_sym(g->ctx, xs)->name,
                          sg_sym(g->ctx, ys)->name);
            sg_buf_printf(b, "        sg_err = sg_check_hessian(sg_check_run, &sg_c, %d, sg_x[%d], "
                             "%ld, %ld, %d, sg_x[%d], %ld, %ld,\n"
                             "                                  %d, sg_r[%d], %s);\n",
                          fres[r], xs, NUMEL(xsh), ROWS(xsh), fill_kind(g, xs), ys, NUMEL(ysh),
                          ROWS(ysh), fill_kind(g, ys), r, h2);
            sg_buf_printf(b, "        sg_bad |= sg_check_report(\"%s\", sg_err, %s);\n", name, tol);
        }
    }
    sg_buf_puts(b, "    }\n\n");
    sg_buf_printf(b, "    for (sg_k = 0; sg_k < %d; sg_k++)\n        free(sg_x[sg_k]);\n", ns);
    sg_buf_printf(b, "    for (sg_k = 0; sg_k < %d; sg_k++)\n        free(sg_r[sg_k]);\n",
                  g->nres);
    sg_buf_puts(b, "    free(sg_fp);\n    free(sg_fm);\n    free(sg_c.work);\n"
                   "    return sg_bad;\n}\n");
#undef ROWS
#undef NUMEL
    sg_buf_free(&dims);
}

char *sg_cgen_source(const sg_problem *p, const sg_cgen_opts *o, size_t *len)
{
    G *g = prepare(p, o);
    sg_buf b, fns;
    int k;
    char *text;
    if (g->unsupported) {
        release(g);
        return NULL;
    }
    /* the functions first: printing them tells which kernels are used */
    sg_buf_init(&fns);
    work_size_fn(g, &fns);
    sg_buf_putc(&fns, '\n');
    eval_fn(g, &fns);

    sg_buf_init(&b);
    banner(g, &b, "computes");
    sg_buf_putc(&b, '\n');
    if (o->header)
        sg_buf_printf(&b, "#include \"%s\"\n\n", o->header);
    sg_buf_puts(&b, "#include <math.h>\n#include <stddef.h>\n\n");
    if (!o->header) {
        header_text(g, &b, 0);
        sg_buf_putc(&b, '\n');
    }
    for (k = 0; k < K_COUNT; k++) /* the kernels used, in a fixed order */
        if (g->kernels[k]) {
            const char *t = sg_template(kernel_file[k]);
            assert(t != NULL);
            expand(g, &b, t ? t : "");
            sg_buf_putc(&b, '\n');
        }
    sg_buf_puts(&b, sg_buf_str(&fns));
    sg_buf_free(&fns);
    if (o->check_main) {
        sg_buf_putc(&b, '\n');
        check_main(g, &b);
    }
    text = sg_buf_take(&b, len);
    release(g);
    return text;
}

char *sg_cgen_header(const sg_problem *p, const sg_cgen_opts *o, size_t *len)
{
    G *g = prepare(p, o);
    sg_buf b;
    char *text;
    if (g->unsupported) {
        release(g);
        return NULL;
    }
    sg_buf_init(&b);
    banner(g, &b, "computes");
    sg_buf_putc(&b, '\n');
    header_text(g, &b, 1);
    text = sg_buf_take(&b, len);
    release(g);
    return text;
}
