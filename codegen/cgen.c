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
 * Recurrences become loops over t, never unrolled: the code is the same
 * size for any T. Each sequence the results read (a recurrence h, an
 * adjoint δh) is a node of the schedule whose statement is its loop and
 * whose buffer holds every step, (hi − lo + 2)·(size of a step) numbers; a
 * Σ over time is a loop into its sum. A loop's body is scheduled like
 * P_eval's body (a scope of its own, built by the same passes): its nodes
 * are those that vary with t, computed into temporaries that one step
 * reuses at the next; STEP leaves read the stored steps in place through
 * pointers (h_prev = h + (t − 1)*n); whatever does not vary with t is
 * computed once, before the loop, as a node of P_eval. An adjoint's loop
 * runs t from hi down to lo − 1: δ[t] = 0, then each piece whose range
 * holds t adds to it, each under its condition on t (the pieces are the
 * bits of the body's masks, as the results are P_eval's). A Σ whose body
 * reads an adjoint at t or later is summed by that adjoint's loop as it
 * goes (fused), so the gradients accumulate on the way back. The work is
 * O(T·n): the stored steps, and one step's temporaries per loop.
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

#include "../base/strmap.h"

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/cident.h"
#include "formula.h"
#include "mask.h"
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
    PL_SOLVE,  /* op(A)⁻¹ B or B op(A)⁻¹ from A's factors (variant SV_*) */
    /* sequences */
    PL_LOOP,   /* a loop over t: a recurrence's steps, or a Σ over time */
    PL_AT,     /* h[k]: one stored step, read in place */
    PL_STEP    /* h[t + off] in a loop body, read in place */
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

/*
 * A recurrence's (or an adjoint's) stored steps are a node of the schedule
 * too: the loop that computes them is its statement, its buffer holds every
 * step, and the loops and fixed steps (h[T]) that read it depend on it. It
 * has this op, the sequence in seq and an id past the factors'.
 */
#define OP_SEQ (SG_OP_COUNT + 1)

typedef struct {
    sg_expr *node;     /* the factor's node: op OP_FACTOR, kid A (never transposed) */
    int chol;          /* Cholesky (A is provably SPD), else LU with partial pivoting */
    int strict;        /* something other than det reads it: a singular A is an error */
    const sg_mask *smask; /* the results whose readers make a singular A an error */
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
    unsigned char ext;     /* in a loop body: invariant, computed outside the loop */
    unsigned char fromloop; /* read from inside a loop: computed once, before it */
    unsigned char fused;   /* a Σ summed by an adjoint's loop (PL_LOOP, loop is that one) */
    unsigned char rowvar;  /* a vector only its sweep reads, at row i: a scalar there, no buffer */
    int loop;              /* PL_LOOP: its loop */
} node;

/* ---- statements ------------------------------------------------------------ */

enum { IT_NODE, IT_OUTPUT };

typedef struct {
    int kind;
    const sg_expr *e; /* the node, or the root of the result */
    int res;          /* IT_OUTPUT */
    const sg_mask *mask;
    int *deps, ndeps, capdeps;
    int *succ, nsucc, capsucc;
    int pending, pos, block, done;
    unsigned key;
    unsigned char own; /* in an adjoint's loop: reads the step being made */
    int sweep;         /* the sweep it leads (it prints the whole sweep), else -1 */
    int lead;          /* a sweep's other member: the item that prints it, else -1 */
} item;

/* ---- size polynomials ------------------------------------------------------ */

#define MONO_DIMS 4 /* a stored sequence of matrices is T·m·n */

typedef struct {
    long coef;
    int nd;
    sg_dim d[MONO_DIMS]; /* named dimensions, sorted */
} mono;

typedef struct {
    mono *m;
    int n;
} poly;

typedef struct {
    poly size;
    int last; /* position of its current node's last reader */
} slot;

/* ---- schedules and loops ---------------------------------------------------- */

/*
 * A schedule of statements: P_eval's body, or the body of one loop over t.
 * Its bits are the results (P_eval) or the pieces of the loop (what one
 * step adds or stores, each under its own condition on t); every node it
 * computes has a record here, by id. A loop body's records say only ext for
 * the invariant nodes it reads: those live in P_eval's schedule (N() looks
 * there), computed once before the loop.
 */
typedef struct scope {
    int loop;              /* its loop, or -1 for P_eval's body */
    int nbits;             /* results or pieces */
    node *ni;              /* by node id */
    /* which bits need each node, by id: a set of mt (mask.h: interned, NULL
       for none), so that a deep network's nodes, most of which share their
       layer's mask, and a problem's thousands of one-result masks cost a few
       tree nodes each, not a bitset of every result */
    sg_masks *mt;
    const sg_mask **masks;
    const sg_mask *full;
    item *it;
    int nit, capit;
    int *order;            /* items in schedule order */
    slot *slots;
    int nslots, capslots;
    const sg_expr **topo;  /* reached nodes, every node after the nodes it reads */
    unsigned ntopo;
} scope;

enum { /* what a piece of a loop does with its value at step t */
    PC_STORE, /* h[t] = value */
    PC_ADD,   /* δ[t] += value (δ[t] set to 0 first) */
    PC_SUM    /* Σ += value */
};

typedef struct {
    int kind;
    const sg_expr *value;
    const sg_expr *sum;   /* PC_SUM: the Σ it accumulates into */
    sg_index lo, hi;      /* it runs when lo ≤ t (if from) and t ≤ hi (if to): */
    unsigned char from, to; /*   the bounds the loop's own range does not imply */
    const char *name;     /* what it computes, for comments: "h[t]", "δh[t]" */
} piece;

typedef struct {
    const sg_expr *e;     /* its node: a Σ, or a sequence's (OP_SEQ) */
    int seq;              /* the recurrence it runs, or -1 for a Σ */
    sg_index lo, hi;      /* t runs over lo..hi (down from hi for an adjoint) */
    int down;
    piece *pc;
    int npc;
    scope *body;
    const sg_expr **reads; /* the nodes outside it that it reads, sequences included */
    int nreads, capreads;
    poly temps;           /* the work of one step: the body's slots */
    int region;           /* the top-level slot holding temps, or -1 */
    const sg_expr **sums; /* an adjoint's: the Σs fused into it (summed at each step) */
    int nsums;
} loopinfo;

/* the C name of a pointer to one step of a sequence inside a loop: x_t, h_prev */
typedef struct {
    int seq;
    long off;
    const char *name;
    unsigned char used; /* by the loop being printed */
} stepname;

/* ---- the generator --------------------------------------------------------- */

/*
 * One pass over the rows of a stored m×n matrix W doing the work of several
 * statements (sweeps()): products y = Wv (yᵢ = W[i,:]·v), z = Wᵀu (z += uᵢ
 * W[i,:]), and entries by rows (row i of E from values at row i), so that a
 * large W is read from memory once for all of them.
 */
enum { SW_NONE, SW_DOT, SW_AXPY, SW_ROW };

typedef struct {
    const sg_expr *W;     /* NULL: elementwise statements only, done a row at a time */
    sg_dim rows;          /* the loop's count: W's rows, or the statements' */
    int *member;          /* items, in the order the body does them (the first leads) */
    unsigned char *kind;  /* SW_* of each */
    int n, cap;
    const sg_mask *mask;  /* the results any member is for */
    int pair;             /* softmax and logsoftmax of one X: one kernel call for both */
} sweep;

/* a test of which results are asked for, held in a local (out_cond()) */
typedef struct {
    const sg_mask *mask; /* a set of P_eval's scope */
    const char *name; /* NULL until named; in a chain "group1 <= 5" */
    const char *neg;  /* its negation, for a chain's "group1 > 5" */
    int count, index;
    int base;         /* the largest test it contains (by index), or -1 */
    int chain, pos;   /* its chain and place in it (1, 2, …), or chain -1 */
} needvar;

/* a kernel call that needs packing room (sg_gemm_pack(m, n, k), …): by K_* */
typedef struct {
    int kind;
    sg_dim d[3];
} packreq;

#define K_MAX 40 /* room for the kernels of templates/ (K_COUNT below) */

typedef struct {
    const sg_problem *p;
    const sg_cgen_opts *o;
    const sg_ctx *ctx;
    sg_arena *ar;
    const char *real, *fsuf, *P, *PU; /* "double", "" or "f", prefix, PREFIX */
    int nres;
    unsigned nnodes;
    scope top;           /* P_eval's body */
    scope *sc;           /* the schedule being planned or printed */
    loopinfo *loops;
    int nloops, caploops;
    sg_expr **seqnode;   /* by sequence: its OP_SEQ node (not for an input), made on first use */
    const char **seqbuf; /* by sequence: the C name of its steps (the input, or its buffer) */
    stepname *steps;
    int nsteps, capsteps;
    int ntemp;           /* t1, t2, …: temporaries named so far */
    sg_strmap taken; /* the C names given out so far */
    sg_strmap results; /* "kind|of" and "kind|of|wrt" → the first such result */
    int results_in;    /* set once results is filled */
    const char **dimname;  /* per dimension: its C name (named ones) */
    long *dimfix;          /* per dimension: fixed value, or 0 */
    unsigned char *dimused;
    const char **symname;  /* per symbol: its C local name */
    const char **fieldname; /* per symbol: its field in P_in */
    const char **dimfield; /* per dimension: its field in P_dims (named ones) */
    const char **resname;  /* per result: its field in P_out */
    unsigned char *symused;
    int kernels[K_MAX];  /* by K_*: printed into the output */
    packreq *packs;      /* what the kernels called need of work's packing room */
    int npacks, cappacks;
    needvar *needs;      /* the tests of results held in locals */
    int nneeds, capneeds;
    int *needtab;        /* needs by mask: a hash table of indices, -1 empty */
    unsigned needcap;    /* its size, a power of two at least twice nneeds */
    const char **chains; /* by chain: the local that says which of its tests hold */
    int nchains;
    sweep *sweeps;       /* P_eval's passes over the rows of a matrix */
    int nsweeps, capsweeps;
    const char *rowname; /* the pointer to a sweep's row */
    const sg_expr **solves; /* the DAG's A⁻¹W products (reassociated_solve()) */
    int nsolves, capsolves;
    const char *tmpname; /* for an entry used twice in a loop body */
    const char *unsupported;
    unsigned nreal;      /* the DAG's nodes; then the factors, then the sequences */
    unsigned nla;        /* room for factors: ids nreal … nreal + nla − 1 */
    factor *fac;
    int nfac;
    int *fac_of;         /* by the id of A: its factor, or -1 */
    int hide_inv;        /* printing a solve's formula: its inverse prints as A⁻¹ */
    char *formulas;      /* sg_fmt_problem's text: the loops' comments come from it */
    int fusing;          /* planning a Σ fused into an adjoint's loop: it may read δ[t] */
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

/* the record of e in the schedule being planned (in a loop body: ext for
   what lives outside) */
static node *L(G *g, const sg_expr *e)
{
    return &g->sc->ni[e->id];
}

/* the record that says how e is computed and read: in a loop body, an
   invariant node's is P_eval's */
static node *N(G *g, const sg_expr *e)
{
    node *n = &g->sc->ni[e->id];
    if (g->sc != &g->top && (!n->reach || n->ext))
        return &g->top.ni[e->id];
    return n;
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

/* ---- masks ------------------------------------------------------------------ */

static const sg_mask *mask_of(G *g, const sg_expr *e)
{
    return g->sc->masks[e->id];
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

/* for B = U Wᵀ and a symmetric A: the DAG's node A⁻¹W, else NULL */
static const sg_expr *reassociated_solve(G *g, const sg_expr *B, const sg_expr *A)
{
    const sg_expr *W, *inv;
    int k, t = 0;
    if (B->op != SG_OP_MUL || scalar(B->kid[0]) || scalar(B->kid[1]) ||
        !sg_expr_is_symmetric(g->ctx, A))
        return NULL;
    W = B->kid[1];
    if (W->op == SG_OP_TRANSPOSE)
        W = W->kid[0];
    else if (!sg_expr_is_symmetric(g->ctx, W))
        return NULL;
    for (k = 0; k < g->nsolves; k++)
        if (g->solves[k]->kid[1] == W && inverse_of(g->solves[k]->kid[0], &inv, &t) && inv == A)
            return g->solves[k];
    return NULL;
}

static void plan_mul(G *g, node *n)
{
    const sg_expr *e = n->e, *a = e->kid[0], *b = e->kid[1], *A, *X;
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
    if (inverse_of(b, &A, &t) && (X = reassociated_solve(g, a, A))) {
        /* (U Wᵀ)A⁻¹ = U (A⁻¹W)ᵀ for a symmetric A, and A⁻¹W is solved already:
           a product instead of a solve for each of U's rows */
        n->plan = is_one(e->shape.cols) ? PL_GEMV : is_one(e->shape.rows) ? PL_GEMVT : PL_GEMM;
        n->var = 1;
        add_ref(n, a->kid[0], NEED_ADDR);
        add_ref(n, X, NEED_ADDR);
        n->r[1].trans ^= 1;
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

/* ---- 1b. loops over t ----------------------------------------------------------- */

/*
 * A loop's body is a schedule of its own (a scope): the nodes that vary with
 * t, planned as everywhere else, whose STEP leaves read the stored steps in
 * place. What does not vary is read from outside: it is a node of P_eval's
 * schedule, computed once before the loop (the loop depends on it), and so
 * is every sequence the body reads. A loop has pieces, the bits of its
 * scope: a recurrence stores its body into h[t]; an adjoint adds its body
 * (for t < hi) and each of its terms (where their ranges hold t) into δ[t];
 * a Σ adds its body into its sum.
 */

static int varies(G *g, const sg_expr *e)
{
    (void)g;
    if ((int)e->op == OP_SEQ)
        return 0;
    if (e->op == OP_FACTOR)
        return varies(g, e->kid[0]);
    return sg_expr_varies(e);
}

/* sequence q's node (not an input's), made on first use */
static sg_expr *seq_node(G *g, int q)
{
    if (!g->seqnode[q]) {
        sg_expr *f = sg_arena_alloc(g->ar, sizeof *f);
        memset(f, 0, sizeof *f);
        f->op = (sg_op)OP_SEQ;
        f->shape = sg_seq_of(g->ctx, q)->shape;
        f->seq = q;
        f->id = g->nreal + g->nla + (unsigned)q;
        assert(f->id < g->nnodes);
        g->seqnode[q] = f;
    }
    return g->seqnode[q];
}

static int is_input_seq(G *g, int q)
{
    return sg_seq_of(g->ctx, q)->kind == SG_SEQ_INPUT;
}

static void scope_init(G *g, scope *sc, int loop)
{
    unsigned i;
    memset(sc, 0, sizeof *sc);
    sc->loop = loop;
    sc->ni = sg_xmalloc((g->nnodes + 1) * sizeof *sc->ni);
    memset(sc->ni, 0, (g->nnodes + 1) * sizeof *sc->ni);
    for (i = 0; i < g->nnodes; i++) {
        sc->ni[i].out = -1;
        sc->ni[i].slot = -1;
        sc->ni[i].item = -1;
        sc->ni[i].loop = -1;
    }
    sc->topo = sg_xmalloc((g->nnodes + 1) * sizeof *sc->topo);
}

/* the masks, once the bits (results, or a loop's pieces) are known */
static void scope_bits(G *g, scope *sc, int nbits)
{
    sc->nbits = nbits;
    sc->mt = sg_masks_new(nbits);
    sc->masks = sg_xmalloc(((size_t)g->nnodes + 1) * sizeof *sc->masks);
    memset(sc->masks, 0, ((size_t)g->nnodes + 1) * sizeof *sc->masks);
    sc->full = sg_mask_full(sc->mt);
}

static void scope_free(scope *sc)
{
    int i;
    for (i = 0; i < sc->nit; i++) {
        free(sc->it[i].deps);
        free(sc->it[i].succ);
    }
    for (i = 0; i < sc->nslots; i++)
        free(sc->slots[i].size.m);
    free(sc->it);
    free(sc->order);
    free(sc->slots);
    free(sc->ni);
    free(sc->masks);
    sg_masks_free(sc->mt);
    free(sc->topo);
}

/* a node the loop reads from outside, once */
static void loop_read(loopinfo *lp, const sg_expr *e)
{
    int i;
    for (i = 0; i < lp->nreads; i++)
        if (lp->reads[i] == e)
            return;
    if (lp->nreads == lp->capreads) {
        lp->capreads = lp->capreads ? 2 * lp->capreads : 8;
        lp->reads = sg_xrealloc(lp->reads, (size_t)lp->capreads * sizeof *lp->reads);
    }
    lp->reads[lp->nreads++] = e;
}

static piece *add_piece(loopinfo *lp, int kind, const sg_expr *value, const char *name)
{
    piece *pc;
    lp->pc = sg_xrealloc(lp->pc, (size_t)(lp->npc + 1) * sizeof *lp->pc);
    pc = &lp->pc[lp->npc++];
    memset(pc, 0, sizeof *pc);
    pc->kind = kind;
    pc->value = value;
    pc->name = name;
    return pc;
}

/* a piece that runs for t in lo..hi, inside a loop over lp->lo..lp->hi */
static void piece_range(loopinfo *lp, piece *pc, sg_index lo, sg_index hi)
{
    pc->lo = lo;
    pc->hi = hi;
    pc->from = !sg_index_provably_le(lo, lp->lo);
    pc->to = !sg_index_provably_le(lp->hi, hi);
}

static void reach(G *g, const sg_expr *e);

/* n's loop: its pieces, and its body planned in a scope of its own */
static void build_loop(G *g, node *n)
{
    const sg_expr *e = n->e;
    scope *saved = g->sc;
    loopinfo *lp;
    int k, i;
    sg_buf nb;
    if (g->nloops == g->caploops) {
        g->caploops = g->caploops ? 2 * g->caploops : 8;
        g->loops = sg_xrealloc(g->loops, (size_t)g->caploops * sizeof *g->loops);
    }
    k = g->nloops++;
    lp = &g->loops[k];
    memset(lp, 0, sizeof *lp);
    lp->e = e;
    lp->seq = -1;
    lp->region = -1;
    n->plan = PL_LOOP;
    n->loop = k;
    sg_buf_init(&nb);
    if ((int)e->op == OP_SEQ) {
        const sg_seq *sq = sg_seq_of(g->ctx, e->seq);
        sg_index first = sg_index_plus(sq->lo, -1);
        lp->seq = e->seq;
        sg_fmt_name(&nb, sq->name, 0);
        sg_buf_puts(&nb, "[t]");
        if (!sg_index_provably_le(first, sq->hi)) /* the buffer could have no step */
            g->unsupported = "a recurrence over a range that may be empty is not supported "
                             "by the C printer";
        if (!sq->body || (sq->kind == SG_SEQ_FORWARD && !sq->init)) {
            g->unsupported = "a recurrence without a definition";
        } else if (sq->kind == SG_SEQ_FORWARD) {
            lp->lo = sq->lo;
            lp->hi = sq->hi;
            add_piece(lp, PC_STORE, sq->body, sg_arena_strdup(g->ar, sg_buf_str(&nb)));
            loop_read(lp, sq->init);
        } else {
            piece *pc;
            lp->lo = first;
            lp->hi = sq->hi;
            lp->down = 1;
            if (!sg_expr_is_zero(sq->body)) { /* the next step back-propagated, for t < hi */
                pc = add_piece(lp, PC_ADD, sq->body, sg_arena_strdup(g->ar, sg_buf_str(&nb)));
                piece_range(lp, pc, first, sg_index_plus(sq->hi, -1));
            }
            for (i = 0; i < sq->nterms; i++)
                if (!sg_expr_is_zero(sq->terms[i].value)) {
                    pc = add_piece(lp, PC_ADD, sq->terms[i].value,
                                   sg_arena_strdup(g->ar, sg_buf_str(&nb)));
                    piece_range(lp, pc, sq->terms[i].lo, sq->terms[i].hi);
                }
        }
    } else {
        piece *pc;
        lp->lo = e->lo;
        lp->hi = e->hi;
        pc = add_piece(lp, PC_SUM, e->kid[0], NULL);
        pc->sum = e;
    }
    sg_buf_free(&nb);
    lp->body = sg_xmalloc(sizeof *lp->body);
    scope_init(g, lp->body, k);
    g->sc = lp->body;
    for (i = 0; i < g->loops[k].npc; i++) {
        const sg_expr *v = g->loops[k].pc[i].value;
        node *r = L(g, v);
        reach(g, v);
        r->uses++;
        if (!r->ext && g->loops[k].pc[i].kind == PC_STORE)
            r->root = 1; /* stored, in place when nothing else reads it */
    }
    g->sc = saved;
}

/* does e contain the node x (not looking into the sequences it reads)? */
static int contains(const sg_expr *e, const sg_expr *x, unsigned char *seen)
{
    int i;
    if (e == x)
        return 1;
    if (seen[e->id])
        return 0;
    seen[e->id] = 1;
    for (i = 0; i < e->nkids; i++)
        if (contains(e->kid[i], x, seen))
            return 1;
    return 0;
}

/*
 * The adjoint whose loop can sum the Σ e as it goes, or −1: e's body reads
 * that adjoint at t or later (made already when the loop, running down, is
 * at t), recurrences and inputs, and nothing else computed by a loop (no
 * fixed step, no other Σ); its range lies in the loop's; the adjoint does
 * not read e. So ∇_W L = Σ_t δh[t]h[t−1]ᵀ is summed while δh is made.
 */
static int fusable(G *g, const sg_expr *e)
{
    const sg_expr **stack = sg_xmalloc((g->nreal + 1) * sizeof *stack);
    unsigned char *seen = sg_xmalloc(g->nreal + 1);
    int sp = 0, q = -1, ok = 1, k;
    memset(seen, 0, g->nreal + 1);
    stack[sp++] = e->kid[0];
    seen[e->kid[0]->id] = 1;
    while (sp > 0 && ok) {
        const sg_expr *x = stack[--sp];
        if (x->op == SG_OP_SEQSTEP) {
            if (sg_seq_of(g->ctx, x->seq)->kind == SG_SEQ_BACKWARD) {
                ok = (q < 0 || q == x->seq) && x->off >= 0;
                q = x->seq;
            }
        } else if (x->op == SG_OP_AT || x->op == SG_OP_SEQSUM) {
            ok = 0;
        } else {
            for (k = 0; k < x->nkids; k++)
                if (!seen[x->kid[k]->id]) {
                    seen[x->kid[k]->id] = 1;
                    stack[sp++] = x->kid[k];
                }
        }
    }
    if (ok && q >= 0) {
        const sg_seq *sq = sg_seq_of(g->ctx, q);
        ok = sg_index_provably_le(sg_index_plus(sq->lo, -1), e->lo) &&
             sg_index_provably_le(e->hi, sq->hi);
        memset(seen, 0, g->nreal + 1);
        if (ok && sq->body)
            ok = !contains(sq->body, e, seen);
        for (k = 0; ok && k < sq->nterms; k++)
            ok = !contains(sq->terms[k].value, e, seen);
    }
    free(stack);
    free(seen);
    return ok ? q : -1;
}

/* the Σ of n becomes a piece of its adjoint's loop (built by now) */
static void fuse_sum(G *g, node *n)
{
    const sg_expr *e = n->e, *body = e->kid[0];
    int k = L(g, n->r[0].e)->loop, first, i;
    scope *saved = g->sc;
    loopinfo *lp = &g->loops[k];
    piece *pc = add_piece(lp, PC_SUM, body, NULL);
    pc->sum = e;
    piece_range(lp, pc, e->lo, e->hi);
    lp->sums = sg_xrealloc(lp->sums, (size_t)(lp->nsums + 1) * sizeof *lp->sums);
    lp->sums[lp->nsums++] = e;
    n->loop = k;
    first = lp->nreads;
    g->sc = lp->body;
    g->fusing = 1;
    reach(g, body);
    L(g, body)->uses++;
    g->fusing = 0;
    g->sc = saved;
    for (i = first; i < g->loops[k].nreads; i++) { /* what the body reads besides */
        const sg_expr *x = g->loops[k].reads[i];
        reach(g, x);
        L(g, x)->uses++;
        L(g, x)->fromloop = 1;
    }
}

/* plans e if it is a node of a sequence (a loop, a fixed step, a step); 0 if not */
static int plan_seq(G *g, node *n)
{
    const sg_expr *e = n->e;
    int q;
    if (e->op == SG_OP_SEQSUM && g->sc == &g->top && (q = fusable(g, e)) >= 0) {
        n->plan = PL_LOOP; /* summed by the adjoint's loop: fuse_sum, once it is built */
        n->fused = 1;
        add_ref(n, seq_node(g, q), NEED_ADDR);
        return 1;
    }
    if ((int)e->op == OP_SEQ || e->op == SG_OP_SEQSUM) {
        if (g->sc != &g->top)
            g->unsupported = "a loop inside a loop";
        else
            build_loop(g, n);
        return 1;
    }
    if (e->op == SG_OP_AT) {
        n->plan = PL_AT;
        if (!is_input_seq(g, e->seq))
            add_ref(n, seq_node(g, e->seq), NEED_ADDR);
        return 1;
    }
    if (e->op == SG_OP_SEQSTEP) {
        q = e->seq;
        n->plan = PL_STEP;
        if (g->sc == &g->top) {
            g->unsupported = "a step h[t] outside a loop over t";
        } else {
            loopinfo *lp = &g->loops[g->sc->loop];
            const sg_seq *sq = sg_seq_of(g->ctx, q);
            if (q == lp->seq) { /* its own steps: those it has made already */
                if (lp->down ? e->off < (g->fusing ? 0 : 1) : e->off >= 0)
                    g->unsupported = "a recurrence that reads a step it has not made yet";
            } else if (sq->kind != SG_SEQ_INPUT) {
                loop_read(lp, seq_node(g, q));
            }
        }
        return 1;
    }
    return 0;
}

/* plans every node reachable from e, counting reads; in a loop's body, what
   does not vary with t is read from outside */
static void reach(G *g, const sg_expr *e)
{
    node *n = L(g, e);
    int i;
    if (n->reach)
        return;
    n->reach = 1;
    n->e = e;
    if (g->sc != &g->top && !varies(g, e)) {
        n->ext = 1;
        loop_read(&g->loops[g->sc->loop], e);
        return;
    }
    if (!plan_seq(g, n))
        plan_node(g, n);
    for (i = 0; i < n->nref; i++) {
        node *k = L(g, n->r[i].e);
        reach(g, n->r[i].e);
        k->uses++;
        if (n->r[i].need == NEED_ADDR)
            k->addr |= 1;
        else if (n->r[i].need == NEED_CHEAP)
            k->addr |= 2;
        if (scalar(n->r[i].e) && (n->plan != PL_SEXPR))
            k->inloop = 1;
    }
    if (n->fused)
        fuse_sum(g, n);
    else if (n->plan == PL_LOOP) /* what its body reads: computed before it, once */
        for (i = 0; i < g->loops[n->loop].nreads; i++) {
            const sg_expr *x = g->loops[n->loop].reads[i];
            node *k = L(g, x);
            reach(g, x);
            k->uses++;
            k->fromloop = 1;
        }
    g->sc->topo[g->sc->ntopo++] = e;
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
    return n->plan == PL_INPUT || n->plan == PL_AT || n->plan == PL_STEP || n->mat;
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

/*
 * How a loop body reads e, which it does not compute (ext): the body's own
 * record of it holds the need (a kernel in the body needs e in memory, addr
 * bit 1), but e is stored or not by P_eval's record, decided here.
 */
static unsigned loop_addr(G *g, const sg_expr *e)
{
    unsigned a = 0;
    int k;
    for (k = 0; k < g->nloops; k++) {
        const node *x = &g->loops[k].body->ni[e->id];
        if (x->reach && x->ext)
            a |= x->addr;
    }
    return a;
}

static void decide(G *g)
{
    unsigned id;
    for (id = 0; id < g->nnodes; id++) {
        node *n = &g->sc->ni[id];
        if (!n->reach || n->ext)
            continue;
        if (g->sc == &g->top && n->fromloop)
            n->addr |= loop_addr(g, n->e); /* a kernel in the loop reads it in place */
        if (n->plan == PL_LOOP) { /* a Σ into a local or a buffer; a sequence's steps */
            n->mat = (int)n->e->op == OP_SEQ || !scalar(n->e);
            n->local = !n->mat;
            n->top = n->local && n->fused; /* 0 before the loop that sums it */
            continue;
        }
        if (n->plan == PL_AT || n->plan == PL_STEP) /* read in place */
            continue;
        if (scalar(n->e)) {
            n->local = n->plan == PL_SRED ||
                       (n->plan == PL_SEXPR && (n->uses > 1 || n->inloop || n->fromloop));
            continue;
        }
        switch (n->plan) {
        case PL_INPUT:
            break;
        case PL_EW:
            /* leaves and views are cheap to read again; a kernel needs memory; a
               loop reads what it does not compute at every step */
            n->mat = n->root || (n->addr & 1) ||
                     ((n->addr & 2 || n->uses > 1 || n->fromloop) && !cheap_view(g, n));
            break;
        default:
            n->mat = 1;
            break;
        }
    }
}

/* ---- 3. masks ------------------------------------------------------------------ */

/* the expression of result r (P_eval), or of piece r (a loop's body) */
static const sg_expr *root_of(G *g, int r)
{
    if (g->sc == &g->top)
        return g->p->results[r].expr;
    return g->loops[g->sc->loop].pc[r].value;
}

static const sg_mask *top_mask(G *g, const sg_expr *e)
{
    return g->top.masks[e->id];
}

/* a Σ fused into an adjoint's loop, which some results the loop runs for do
   not need: it runs only when they are asked for */
static int narrower(G *g, const loopinfo *lp, const piece *pc)
{
    return pc->kind == PC_SUM && lp->seq >= 0 &&
           top_mask(g, pc->sum) != top_mask(g, lp->e);
}

/* does a block of statements for these bits run unconditionally? In P_eval,
   when every result needs it; in a loop, when a piece that runs at every t does */
static int always(G *g, const sg_mask *mask)
{
    int r;
    if (g->sc == &g->top)
        return mask == g->sc->full;
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        const loopinfo *lp = &g->loops[g->sc->loop];
        const piece *pc = &lp->pc[r];
        if (!pc->from && !pc->to && !narrower(g, lp, pc))
            return 1;
    }
    return 0;
}

/* the mask of e |= s; did it change? */
static int mask_merge(G *g, const sg_expr *e, const sg_mask *s)
{
    scope *sc = g->sc;
    const sg_mask *d = sc->masks[e->id];
    if (sg_mask_subset(s, d))
        return 0;
    sc->masks[e->id] = sg_mask_union(sc->mt, d, s);
    return 1;
}

/* the mask of result (or piece) r alone */
static const sg_mask *one_mask(G *g, int r)
{
    return sg_mask_one(g->sc->mt, r);
}

/* every node needed by a bit needs what it reads. Mostly one pass, every
   reader before what it reads; a Σ fused into a loop adds reads to the loop
   after it was planned, so this goes on until nothing changes */
static void compute_masks(G *g)
{
    int r, i, changed = 1;
    unsigned k;
    for (r = 0; r < g->sc->nbits; r++)
        mask_merge(g, root_of(g, r), one_mask(g, r));
    while (changed) {
        changed = 0;
        for (k = g->sc->ntopo; k-- > 0;) {
            node *n = L(g, g->sc->topo[k]);
            for (i = 0; i < n->nref; i++)
                changed |= mask_merge(g, n->r[i].e, mask_of(g, n->e));
            if (n->plan == PL_LOOP && !n->fused)
                for (i = 0; i < g->loops[n->loop].nreads; i++)
                    changed |= mask_merge(g, g->loops[n->loop].reads[i], mask_of(g, n->e));
        }
    }
}

/* the results for which a factor's failure is an error: those of every reader
   but det of an LU factor */
static void strict_masks(G *g)
{
    unsigned k;
    int i;
    for (i = 0; i < g->nfac; i++)
        g->fac[i].smask = NULL;
    for (k = 0; k < g->sc->ntopo; k++) {
        node *n = L(g, g->sc->topo[k]);
        for (i = 0; i < n->nref; i++)
            if (n->r[i].e->op == OP_FACTOR) {
                factor *f = factor_at(g, n->r[i].e);
                if (f->chol || !(n->plan == PL_SRED && n->var == RD_DET))
                    f->smask = sg_mask_union(g->sc->mt, f->smask, mask_of(g, n->e));
            }
        if (n->plan == PL_LOOP && !n->fused) /* a loop solves with it (never det) */
            for (i = 0; i < g->loops[n->loop].nreads; i++)
                if (g->loops[n->loop].reads[i]->op == OP_FACTOR) {
                    factor *f = factor_at(g, g->loops[n->loop].reads[i]);
                    f->smask = sg_mask_union(g->sc->mt, f->smask, mask_of(g, n->e));
                }
    }
}

/* ---- 4. schedule ---------------------------------------------------------------- */

static int new_item(G *g, int kind, const sg_expr *e, int res)
{
    item *t;
    if (g->sc->nit == g->sc->capit) {
        g->sc->capit = g->sc->capit ? 2 * g->sc->capit : 64;
        g->sc->it = sg_xrealloc(g->sc->it, (size_t)g->sc->capit * sizeof *g->sc->it);
    }
    t = &g->sc->it[g->sc->nit];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->e = e;
    t->res = res;
    t->pos = -1;
    t->sweep = -1;
    t->lead = -1;
    return g->sc->nit++;
}

/* v appended to a; the callers keep the lists free of duplicates (a scan
   here made a node read by k items cost k²) */
static void push_int(int **a, int *n, int *cap, int v)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        *a = sg_xrealloc(*a, (size_t)*cap * sizeof **a);
    }
    (*a)[(*n)++] = v;
}

/* the statements whose results e's code reads, looking through fused nodes */
/* item v among t's dependencies, once: seen[v] holds the stamp of the item
   whose list has it */
static void push_dep(item *t, int *seen, int stamp, int v)
{
    if (seen[v] == stamp)
        return;
    seen[v] = stamp;
    push_int(&t->deps, &t->ndeps, &t->capdeps, v);
}

static void deps_of(G *g, item *t, int *seen, int stamp, const sg_expr *e, int self)
{
    node *n = L(g, e);
    int i;
    if (n->plan == PL_STEP && !n->ext && e->off == 0 && e->seq == g->loops[g->sc->loop].seq)
        t->own = 1; /* δ[t]: once every piece has added to it */
    if (n->ext || n->plan == PL_STEP) /* computed before the loop, or stored */
        return;
    if (!self && n->item >= 0) {
        push_dep(t, seen, stamp, n->item);
        return;
    }
    for (i = 0; i < n->nref; i++)
        deps_of(g, t, seen, stamp, n->r[i].e, 0);
    if (n->plan == PL_LOOP && !n->fused)
        for (i = 0; i < g->loops[n->loop].nreads; i++)
            deps_of(g, t, seen, stamp, g->loops[n->loop].reads[i], 0);
}

/* piece or result r is computed in place: no statement copies it */
static int in_place(G *g, int r)
{
    node *n = L(g, root_of(g, r));
    return n->reach && !n->ext && n->out == r;
}

/* a binary heap of items, the smallest key on top */
typedef struct {
    int *v, n, cap;
} heap;

static void heap_push(heap *h, const item *it, int i)
{
    int k;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->v = sg_xrealloc(h->v, (size_t)h->cap * sizeof *h->v);
    }
    for (k = h->n++; k > 0 && it[h->v[(k - 1) / 2]].key > it[i].key; k = (k - 1) / 2)
        h->v[k] = h->v[(k - 1) / 2];
    h->v[k] = i;
}

static int heap_pop(heap *h, const item *it)
{
    int top = h->v[0], last = h->v[--h->n], k = 0, c;
    while ((c = 2 * k + 1) < h->n) {
        if (c + 1 < h->n && it[h->v[c + 1]].key < it[h->v[c]].key)
            c++;
        if (it[last].key <= it[h->v[c]].key)
            break;
        h->v[k] = h->v[c];
        k = c;
    }
    if (h->n > 0)
        h->v[k] = last;
    return top;
}

/*
 * List scheduling: among the statements whose inputs are ready, one for the
 * same results as the last one (so that they share a block), else the one
 * with the smallest key (the order of the DAG). The ready statements wait in
 * a heap per set of results and in one for all, so that this is n log n.
 */
static void order_items(G *g)
{
    scope *sc = g->sc;
    int *cls = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *cls), *tab, tabsize = 16;
    heap all = {NULL, 0, 0}, *byclass;
    int i, k, pos, nclass = 0, cur = -1, block = -1;
    while (tabsize < 2 * sc->nit)
        tabsize *= 2;
    tab = sg_xmalloc((size_t)tabsize * sizeof *tab);
    for (i = 0; i < tabsize; i++)
        tab[i] = -1;
    for (i = 0; i < sc->nit; i++) { /* the classes: items with equal masks */
        unsigned h = sg_mask_hash(sc->it[i].mask);
        for (k = (int)(h & (unsigned)(tabsize - 1)); tab[k] >= 0; k = (k + 1) & (tabsize - 1))
            if (sc->it[tab[k]].mask == sc->it[i].mask)
                break;
        if (tab[k] < 0) {
            tab[k] = i;
            cls[i] = nclass++;
        } else {
            cls[i] = cls[tab[k]];
        }
    }
    byclass = sg_xmalloc((size_t)(nclass + 1) * sizeof *byclass);
    memset(byclass, 0, (size_t)(nclass + 1) * sizeof *byclass);
    for (i = 0; i < sc->nit; i++)
        if (!sc->it[i].pending) {
            heap_push(&all, sc->it, i);
            heap_push(&byclass[cls[i]], sc->it, i);
        }
    for (pos = 0; pos < sc->nit; pos++) {
        int best = -1;
        if (cur >= 0 && byclass[cur].n > 0)
            best = heap_pop(&byclass[cur], sc->it);
        while (best < 0 && all.n > 0) {
            best = heap_pop(&all, sc->it);
            if (sc->it[best].done)
                best = -1;
        }
        if (best < 0) { /* a cycle: a loop reads what needs the loop done */
            g->unsupported = "a recurrence that reads a fixed step of itself (or of a later "
                             "loop) is not supported by the C printer";
            break;
        }
        if (cls[best] != cur) { /* from the heap of all: the smallest of its class too */
            block++;
            assert(byclass[cls[best]].v[0] == best);
            heap_pop(&byclass[cls[best]], sc->it);
        }
        cur = cls[best];
        sc->it[best].done = 1;
        sc->it[best].pos = pos;
        sc->it[best].block = block;
        sc->order[pos] = best;
        for (k = 0; k < sc->it[best].nsucc; k++) {
            const int s = sc->it[best].succ[k];
            if (--sc->it[s].pending == 0) {
                heap_push(&all, sc->it, s);
                heap_push(&byclass[cls[s]], sc->it, s);
            }
        }
    }
    for (i = 0; i < nclass; i++)
        free(byclass[i].v);
    free(byclass);
    free(all.v);
    free(tab);
    free(cls);
}

static void sweeps(G *g);

static void schedule(G *g)
{
    unsigned id;
    int r, i, k, *seen;
    for (id = 0; id < g->nnodes; id++) {
        node *n = &g->sc->ni[id];
        n->item = -1;
        if (n->reach && !n->ext && !n->fused && (n->mat || n->local)) {
            n->item = new_item(g, IT_NODE, n->e, n->out);
            g->sc->it[n->item].mask = mask_of(g, n->e);
            g->sc->it[n->item].key = 2 * id;
        }
    }
    for (r = 0; r < g->sc->nbits; r++) {
        const sg_expr *root = root_of(g, r);
        if (in_place(g, r))
            continue;
        i = new_item(g, IT_OUTPUT, root, r);
        g->sc->it[i].mask = one_mask(g, r);
        g->sc->it[i].key = 2 * root->id + 1;
    }
    seen = sg_xmalloc(((size_t)g->sc->nit + 1) * sizeof *seen);
    for (i = 0; i < g->sc->nit; i++)
        seen[i] = -1;
    for (i = 0; i < g->sc->nit; i++) {
        item *t = &g->sc->it[i];
        deps_of(g, t, seen, i, t->e, t->kind == IT_NODE);
        if (t->own) /* what reads δ[t] waits for every piece of it */
            for (k = 0; k < g->sc->nit; k++)
                if (g->sc->it[k].kind == IT_OUTPUT &&
                    g->loops[g->sc->loop].pc[g->sc->it[k].res].kind == PC_ADD)
                    push_dep(t, seen, i, k);
        t->pending = t->ndeps;
        for (k = 0; k < t->ndeps; k++) { /* i grows: each d gets i once */
            item *d = &g->sc->it[t->deps[k]];
            push_int(&d->succ, &d->nsucc, &d->capsucc, i);
        }
    }
    free(seen);
    g->sc->order = sg_xmalloc((size_t)(g->sc->nit + 1) * sizeof *g->sc->order);
    order_items(g);
    if (g->sc == &g->top && !g->unsupported)
        sweeps(g);
    /* a local read outside the block that computes it is declared at the top */
    for (i = 0; i < g->sc->nit; i++) {
        item *t = &g->sc->it[i];
        for (k = 0; k < t->ndeps; k++) {
            item *d = &g->sc->it[t->deps[k]];
            node *n = L(g, d->e);
            if (d->kind == IT_NODE && n->local && d->block != t->block && !always(g, d->mask))
                n->top = 1;
        }
    }
}

/* ---- sweeps: one pass over a matrix's rows for several statements ------------------ */

/* W: a matrix stored in P_eval's memory (an input, or a buffer) */
static int sweepable(G *g, const sg_expr *W)
{
    node *n = N(g, W);
    return !veclike(W) && (n->plan == PL_INPUT || (n->mat && n->plan != PL_LOOP));
}

/* what item t can do in a sweep, with the matrix it reads (*W) and its vector
   (*v: the v of Wv, the u of Wᵀu) */
static int sweep_kind(G *g, const item *t, const sg_expr **W, const ref **v)
{
    node *n;
    if (t->kind != IT_NODE)
        return SW_NONE;
    n = L(g, t->e);
    *W = NULL;
    *v = NULL;
    if (!n->mat || n->ext)
        return SW_NONE;
    switch (n->plan) {
    case PL_GEMV: /* op(W) x */
        *W = n->r[0].e;
        *v = &n->r[1];
        return sweepable(g, *W) ? (n->r[0].trans ? SW_AXPY : SW_DOT) : SW_NONE;
    case PL_GEMVT: /* a op(W) = (op(W)ᵀ aᵀ)ᵀ */
        *W = n->r[1].e;
        *v = &n->r[0];
        return sweepable(g, *W) ? (n->r[1].trans ? SW_DOT : SW_AXPY) : SW_NONE;
    case PL_EW:
        return is_one(t->e->shape.rows) ? SW_NONE : SW_ROW;
    default:
        return SW_NONE;
    }
}

/* the member of sweep w that computes e, or -1 */
static int member_of(G *g, const sweep *w, const sg_expr *e)
{
    int k;
    for (k = 0; k < w->n; k++)
        if (g->sc->it[w->member[k]].e == e)
            return k;
    return -1;
}

enum { IX_0, IX_I, IX_J }; /* what a row or column index is at a sweep's row: 0, i, j */

static int row_reads(G *g, const sweep *w, const sg_expr *e, int ri, int rj, int *bound);

static int row_ref(G *g, const sweep *w, const ref *r, int ri, int rj, int *bound)
{
    return r->trans ? row_reads(g, w, r->e, rj, ri, bound) : row_reads(g, w, r->e, ri, rj, bound);
}

/* entry k of a vector-like ref, as vec_elem() reads it */
static int row_vec(G *g, const sweep *w, const ref *r, int k, int *bound)
{
    int col = r->trans ? is_one(r->e->shape.rows) : is_one(r->e->shape.cols);
    return col ? row_ref(g, w, r, k, IX_0, bound) : row_ref(g, w, r, IX_0, k, bound);
}

/* can e's definition be computed at row i of sweep w, e's row index being
   ri and its column index rj? It reads what a member computes only at row i
   and only from a product Wv or what is made by rows (whose row i is ready
   there); *bound is set when it reads the row i of a member or entry i of the
   u of a member's Wᵀu */
static int row_def(G *g, const sweep *w, const sg_expr *e, int ri, int rj, int *bound)
{
    node *n = N(g, e);
    int i;
    if (n->plan != PL_EW)
        return 0;
    switch (n->var) {
    case EW_OUTER:
        return row_ref(g, w, &n->r[0], ri, IX_0, bound) && row_ref(g, w, &n->r[1], IX_0, rj, bound);
    case EW_ROWSCALE:
        return row_vec(g, w, &n->r[0], ri, bound) && row_ref(g, w, &n->r[1], ri, rj, bound);
    case EW_COLSCALE:
        return row_ref(g, w, &n->r[0], ri, rj, bound) && row_vec(g, w, &n->r[1], rj, bound);
    case EW_ZERO:
        return 1;
    default:
        break;
    }
    if (n->var == EW_PLAIN)
        switch (e->op) {
        case SG_OP_ZERO: case SG_OP_ONES: case SG_OP_EYE: case SG_OP_FILL:
            return 1;
        case SG_OP_TRANSPOSE:
            return row_reads(g, w, e->kid[0], rj, ri, bound);
        case SG_OP_DIAG:
            return row_vec(g, w, &n->r[0], ri, bound);
        case SG_OP_DIAGV:
            return row_reads(g, w, e->kid[0], ri, ri, bound);
        default:
            break;
        }
    for (i = 0; i < n->nref; i++)
        if (!row_reads(g, w, n->r[i].e, ri, rj, bound))
            return 0;
    return 1;
}

static int row_reads(G *g, const sweep *w, const sg_expr *e, int ri, int rj, int *bound)
{
    int k, at;
    if (scalar(e))
        return 1;
    if (!stored(g, e))
        return row_def(g, w, e, ri, rj, bound);
    /* a stored vector is read at its one index; a matrix by both */
    at = is_one(e->shape.cols) ? ri : is_one(e->shape.rows) ? rj : -1;
    k = member_of(g, w, e);
    if (k >= 0) { /* y of Wv, or what is made by rows: row i is ready at row i */
        if (w->kind[k] == SW_AXPY || (at >= 0 ? at != IX_I : ri != IX_I))
            return 0;
        *bound = 1;
        return 1;
    }
    for (k = 0; k < w->n; k++)
        if (w->kind[k] == SW_AXPY && at == IX_I) {
            node *m = L(g, g->sc->it[w->member[k]].e);
            const ref *u = m->plan == PL_GEMV ? &m->r[1] : &m->r[0];
            if (u->e == e)
                *bound = 1;
        }
    return 1;
}

static void sweep_add(sweep *w, int it, int kind)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 4;
        w->member = sg_xrealloc(w->member, (size_t)w->cap * sizeof *w->member);
        w->kind = sg_xrealloc(w->kind, (size_t)w->cap * sizeof *w->kind);
    }
    w->member[w->n] = it;
    w->kind[w->n++] = (unsigned char)kind;
}

/* where item i runs: a sweep's member runs at the place of its sweep */
static int eff_pos(const scope *sc, int i)
{
    return sc->it[i].lead >= 0 ? sc->it[sc->it[i].lead].pos : sc->it[i].pos;
}

/* may item b join sweep w, which runs at position at? Whatever it reads
   outside the sweep is ready by then, and what it reads inside it is there at
   the row it is at */
static int sweep_fits(G *g, const sweep *w, int at, int bi, int kind, const sg_expr *W,
                      const ref *v)
{
    const item *b = &g->sc->it[bi];
    int d, k, bound = 0;
    for (d = 0; d < b->ndeps; d++) {
        int in = 0;
        for (k = 0; k < w->n; k++)
            in |= w->member[k] == b->deps[d];
        if (!in && eff_pos(g->sc, b->deps[d]) >= at)
            return 0;
    }
    switch (kind) {
    case SW_DOT: /* its v is complete before the sweep */
        return w->W && W == w->W && member_of(g, w, v->e) < 0;
    case SW_AXPY: /* its u is complete, or a vector the sweep makes entry i by entry i */
        k = member_of(g, w, v->e);
        return w->W && W == w->W && (k < 0 || w->kind[k] != SW_AXPY);
    default: /* entries of a row: as many rows as the sweep, reading its values at row i */
        return b->e->shape.rows == w->rows &&
               row_def(g, w, b->e, IX_I, is_one(b->e->shape.cols) ? IX_0 : IX_J, &bound) &&
               bound;
    }
}

/* does a statement that runs up to position pos, or one of sweep w's, read b? */
static int read_until(G *g, const sweep *w, int bi, int pos)
{
    const scope *sc = g->sc;
    int k, j;
    for (k = 0; k < sc->it[bi].nsucc; k++) {
        const int s = sc->it[bi].succ[k];
        for (j = 0; j < w->n; j++)
            if (w->member[j] == s)
                return 1;
        if (eff_pos(sc, s) <= pos)
            return 1;
    }
    return 0;
}

static int in_sweep(const sweep *w, int it)
{
    int k;
    for (k = 0; k < w->n; k++)
        if (w->member[k] == it)
            return 1;
    return 0;
}

/* the item that makes u (the u of a Wᵀu) a vector entry by entry, free to
   join a sweep over W's rows, or -1 */
static int row_producer(G *g, const sweep *w, const ref *u)
{
    const node *n = L(g, u->e);
    const item *p;
    int bound = 0;
    if (n->item < 0 || n->ext || !veclike(u->e) || u->e->shape.rows != w->rows)
        return -1;
    p = &g->sc->it[n->item];
    if (p->kind != IT_NODE || p->lead >= 0 || p->sweep >= 0 || n->plan != PL_EW || n->root)
        return -1;
    return row_def(g, w, u->e, IX_I, IX_0, &bound) ? n->item : -1;
}

/* is member k of w (a vector) read by its sweep alone, and not a result? */
static int read_only_in(G *g, const sweep *w, int k)
{
    const item *t = &g->sc->it[w->member[k]];
    const node *n = L(g, t->e);
    int s, j, in;
    if (n->root || n->out >= 0 || !veclike(t->e) || t->nsucc == 0)
        return 0;
    for (s = 0; s < t->nsucc; s++) {
        for (in = 0, j = 0; j < w->n; j++)
            in |= w->member[j] == t->succ[s] && j > k;
        if (!in)
            return 0;
    }
    return 1;
}

/* a softmax and a logsoftmax of the same X: the later joins the earlier (it reads
   only X, ready there), and one kernel call makes both (sg_softmax2) */
static void softmax_pairs(G *g)
{
    scope *sc = g->sc;
    int pos, q;
    for (pos = 0; pos < sc->nit; pos++) {
        item *t = &sc->it[sc->order[pos]];
        const node *n = L(g, t->e);
        sweep w;
        if (t->kind != IT_NODE || t->lead >= 0 || t->sweep >= 0 || n->plan != PL_COLWISE ||
            n->out >= 0 || (t->e->op != SG_OP_SOFTMAX && t->e->op != SG_OP_LOGSOFTMAX))
            continue;
        for (q = pos + 1; q < sc->nit; q++) {
            item *b = &sc->it[sc->order[q]];
            const node *m = L(g, b->e);
            if (b->kind == IT_NODE && b->lead < 0 && b->sweep < 0 && m->plan == PL_COLWISE &&
                m->out < 0 && b->e->op != t->e->op &&
                (b->e->op == SG_OP_SOFTMAX || b->e->op == SG_OP_LOGSOFTMAX) &&
                m->r[0].e == n->r[0].e && m->r[0].trans == n->r[0].trans)
                break;
        }
        if (q == sc->nit)
            continue;
        memset(&w, 0, sizeof w);
        w.pair = 1;
        w.rows = t->e->shape.rows;
        sweep_add(&w, sc->order[pos], SW_NONE);
        sweep_add(&w, sc->order[q], SW_NONE);
        w.mask = sg_mask_union(sc->mt, sc->it[w.member[0]].mask, sc->it[w.member[1]].mask);
        sc->it[w.member[1]].lead = w.member[0];
        t->sweep = g->nsweeps;
        t->mask = w.mask;
        if (g->nsweeps == g->capsweeps) {
            g->capsweeps = g->capsweeps ? 2 * g->capsweeps : 4;
            g->sweeps = sg_xrealloc(g->sweeps, (size_t)g->capsweeps * sizeof *g->sweeps);
        }
        g->sweeps[g->nsweeps++] = w;
    }
}

/*
 * Finds P_eval's sweeps on the schedule: a product Wv or Wᵀu of a stored
 * matrix gathers the later products of the same W, and the statements that
 * write entries by rows from what the sweep computes (∂L/∂W = qxᵀ + urᵀ), as
 * long as they can all run at its place. The members move next to it, and
 * their blocks merge into one for the results any of them is for.
 */
/* how far apart on the schedule two statements of one sweep may be: bounds
   the search, so that a long P_eval is scheduled in linear time */
#define SWEEP_WINDOW 256

static void sweeps(G *g)
{
    scope *sc = g->sc;
    int pos, q, k, u, n = 0, block = -1;
    int *order = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *order);
    /* each item's sweep_kind, its matrix and vector, computed once */
    int *kinds = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *kinds);
    const sg_expr **mats = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *mats);
    const ref **vecs = sg_xmalloc((size_t)(sc->nit + 1) * sizeof *vecs);
    const sg_mask *cur = NULL;
    int first = 1;
    for (k = 0; k < sc->nit; k++) {
        mats[k] = NULL;
        vecs[k] = NULL;
        kinds[k] = sweep_kind(g, &sc->it[k], &mats[k], &vecs[k]);
    }
    for (pos = 0; pos < 2 * sc->nit; pos++) { /* the passes over matrices first */
        item *t = &sc->it[sc->order[pos % sc->nit]];
        const sg_expr *W = mats[sc->order[pos % sc->nit]];
        const ref *v = vecs[sc->order[pos % sc->nit]];
        int kind = kinds[sc->order[pos % sc->nit]], lo, hi;
        sweep w;
        if (t->lead >= 0 || t->sweep >= 0 || kind == SW_NONE ||
            (pos < sc->nit) != (kind != SW_ROW))
            continue;
        memset(&w, 0, sizeof w);
        w.W = kind == SW_ROW ? NULL : W;
        w.rows = kind == SW_ROW ? t->e->shape.rows : W->shape.rows;
        if (kind == SW_AXPY && (u = row_producer(g, &w, v)) >= 0) {
            /* Wᵀu with u made entry by entry just before: u joins, and leads */
            sweep_add(&w, u, SW_ROW);
            t = &sc->it[u];
            if (!sweep_fits(g, &w, t->pos, sc->order[pos % sc->nit], kind, W, v)) {
                w.n = 0;
                t = &sc->it[sc->order[pos % sc->nit]];
            }
        }
        if (w.n == 0 || sc->order[pos % sc->nit] != w.member[0])
            sweep_add(&w, sc->order[pos % sc->nit], kind);
        /* sweep_fits wants the same matrix, or a row-wise item as tall: the
           others are not even asked */
        lo = t->pos - SWEEP_WINDOW > 0 ? t->pos - SWEEP_WINDOW : 0;
        hi = t->pos + 1 + SWEEP_WINDOW < sc->nit ? t->pos + 1 + SWEEP_WINDOW : sc->nit;
        for (q = t->pos + 1; q < hi; q++) {
            const int bi = sc->order[q], kb = kinds[bi];
            if (kb != SW_NONE && (kb == SW_ROW ? sc->it[bi].e->shape.rows == w.rows
                                               : w.W && mats[bi] == w.W) &&
                sc->it[bi].lead < 0 && sc->it[bi].sweep < 0 && !in_sweep(&w, bi) &&
                sweep_fits(g, &w, t->pos, bi, kb, mats[bi], vecs[bi]))
                sweep_add(&w, bi, kb);
        }
        for (q = t->pos - 1; q >= lo; q--) { /* earlier ones that can wait for it */
            const int bi = sc->order[q], kb = kinds[bi];
            if (kb != SW_NONE && (kb == SW_ROW ? sc->it[bi].e->shape.rows == w.rows
                                               : w.W && mats[bi] == w.W) &&
                sc->it[bi].lead < 0 && sc->it[bi].sweep < 0 && !in_sweep(&w, bi) &&
                !read_until(g, &w, bi, t->pos) &&
                sweep_fits(g, &w, t->pos, bi, kb, mats[bi], vecs[bi]))
                sweep_add(&w, bi, kb);
        }
        if (w.n < 2) {
            free(w.member);
            free(w.kind);
            continue;
        }
        w.mask = NULL;
        for (k = 0; k < w.n; k++) {
            w.mask = sg_mask_union(sc->mt, w.mask, sc->it[w.member[k]].mask);
            if (k > 0)
                sc->it[w.member[k]].lead = w.member[0];
        }
        t->sweep = g->nsweeps;
        t->mask = w.mask;
        for (k = 0; k < w.n; k++) /* vectors only the sweep reads: scalars in its loop */
            if ((w.kind[k] == SW_DOT || w.kind[k] == SW_ROW) &&
                sc->it[w.member[k]].mask == w.mask && read_only_in(g, &w, k))
                L(g, sc->it[w.member[k]].e)->rowvar = 1;
        if (g->nsweeps == g->capsweeps) {
            g->capsweeps = g->capsweeps ? 2 * g->capsweeps : 4;
            g->sweeps = sg_xrealloc(g->sweeps, (size_t)g->capsweeps * sizeof *g->sweeps);
        }
        g->sweeps[g->nsweeps++] = w;
    }
    free(kinds);
    free(mats);
    free((void *)vecs);
    softmax_pairs(g);
    if (!g->nsweeps) {
        free(order);
        return;
    }
    /* the members right after the item that prints them; blocks again */
    for (pos = 0; pos < sc->nit; pos++) {
        item *t = &sc->it[sc->order[pos]];
        if (t->lead >= 0)
            continue;
        order[n++] = sc->order[pos];
        if (t->sweep >= 0)
            for (k = 1; k < g->sweeps[t->sweep].n; k++)
                order[n++] = g->sweeps[t->sweep].member[k];
    }
    assert(n == sc->nit);
    for (pos = 0; pos < n; pos++) {
        item *t = &sc->it[order[pos]];
        sc->order[pos] = order[pos];
        t->pos = pos;
        if (t->lead >= 0) {
            t->block = sc->it[t->lead].block;
            continue;
        }
        if (first || t->mask != cur)
            block++;
        cur = t->mask;
        first = 0;
        t->block = block;
    }
    free(order);
}

/* ---- 5. storage: sizes, slots, names ---------------------------------------------- */

/* the same named dimensions */
static int mono_like(const mono *a, const mono *b)
{
    int i;
    if (a->nd != b->nd)
        return 0;
    for (i = 0; i < a->nd; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static void poly_add_mono(poly *p, mono m)
{
    int i;
    for (i = 0; i < p->n; i++)
        if (mono_like(&p->m[i], &m)) {
            p->m[i].coef += m.coef;
            return;
        }
    p->m = sg_xrealloc(p->m, (size_t)(p->n + 1) * sizeof *p->m);
    p->m[p->n++] = m;
}

/* m times the dimension d (named or a constant) */
static mono mono_times(G *g, mono m, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
    int i;
    if (!di->name) {
        m.coef *= di->value;
        return m;
    }
    assert(m.nd < MONO_DIMS);
    for (i = m.nd; i > 0 && m.d[i - 1] > d; i--) /* sorted */
        m.d[i] = m.d[i - 1];
    m.d[i] = d;
    m.nd++;
    return m;
}

static mono size_mono(G *g, sg_shape s)
{
    mono m;
    memset(&m, 0, sizeof m);
    m.coef = 1;
    m.nd = 0;
    return mono_times(g, mono_times(g, m, s.rows), s.cols);
}

static int mono_eq(mono a, mono b)
{
    return a.coef == b.coef && mono_like(&a, &b);
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
        sg_buf_puts(&b, "0");
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the monomial m as size_t arithmetic that saturates at SIZE_MAX instead of
   wrapping: sg_size_mul(sg_size_mul(2, (size_t)m), (size_t)n) */
static const char *mono_sat(G *g, const mono *m, unsigned char *used)
{
    const char *s = m->coef != 1 || m->nd == 0 ? fmt(g, "%ld", m->coef) : NULL;
    int k;
    for (k = 0; k < m->nd; k++) {
        const char *d = fmt(g, "(size_t)%s", dim_c(g, m->d[k], used));
        s = s ? fmt(g, "sg_size_mul(%s, %s)", s, d) : d;
    }
    return s;
}

/*
 * The polynomial's value when every dimension in it is known when
 * generating: 1 with *v set, 0 when one is not known, -1 when the value
 * passes `limit`.
 */
static long known_dim(G *g, sg_dim d);
static int poly_value(G *g, const poly *p, unsigned long long limit, unsigned long long *v)
{
    unsigned long long total = 0;
    int i, k;
    for (i = 0; i < p->n; i++) {
        unsigned long long t = (unsigned long long)(p->m[i].coef < 0 ? 0 : p->m[i].coef);
        for (k = 0; k < p->m[i].nd; k++) {
            long d = known_dim(g, p->m[i].d[k]);
            if (d <= 0)
                return 0;
            if (t && (unsigned long long)d > limit / t)
                return -1;
            t *= (unsigned long long)d;
        }
        if (t > limit - total)
            return -1;
        total += t;
    }
    *v = total;
    return 1;
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

/* the steps sequence q stores (lo − 1 … hi): hi − lo + 2, each of size m */
static poly seq_steps(G *g, int q, mono m)
{
    const sg_seq *sq = sg_seq_of(g->ctx, q);
    poly p = {NULL, 0};
    mono c = m;
    c.coef *= sq->hi.off - sq->lo.off + 2;
    poly_add_mono(&p, c);
    if (sq->hi.dim >= 0)
        poly_add_mono(&p, mono_times(g, m, sq->hi.dim));
    if (sq->lo.dim >= 0) {
        c = mono_times(g, m, sq->lo.dim);
        c.coef = -c.coef;
        poly_add_mono(&p, c);
    }
    return p;
}

/* the reals a node's buffer holds: its entries, and an LU factor's pivots;
   every step of a sequence */
static poly buffer_size(G *g, const sg_expr *e)
{
    poly p = {NULL, 0};
    if ((int)e->op == OP_SEQ)
        return seq_steps(g, e->seq, size_mono(g, e->shape));
    poly_add_mono(&p, size_mono(g, e->shape));
    if (is_lu(g, e))
        poly_add_mono(&p, size_mono(g, sg_shape_make(e->shape.rows, SG_DIM_ONE)));
    return p;
}

/* adds every slot of sc before slot s (all of them for s = nslots) to p */
static void slots_before(const scope *sc, int s, poly *p)
{
    int k, i;
    for (k = 0; k < s; k++)
        for (i = 0; i < sc->slots[k].size.n; i++)
            poly_add_mono(p, sc->slots[k].size.m[i]);
}

/* a slot of size m (taken over) free at pos, then busy until last */
static int take_slot(scope *sc, poly m, int pos, int last)
{
    int s;
    for (s = 0; s < sc->nslots; s++)
        if (sc->slots[s].last < pos && poly_eq(&sc->slots[s].size, &m))
            break;
    if (s == sc->nslots) {
        if (sc->nslots == sc->capslots) {
            sc->capslots = sc->capslots ? 2 * sc->capslots : 16;
            sc->slots = sg_xrealloc(sc->slots, (size_t)sc->capslots * sizeof *sc->slots);
        }
        sc->slots[s].size = m;
        sc->nslots++;
    } else {
        free(m.m);
    }
    sc->slots[s].last = last;
    return s;
}

static void allocate(G *g)
{
    int pos, k;
    int *last = sg_xmalloc((size_t)(g->sc->nit + 1) * sizeof *last);
    for (k = 0; k < g->sc->nit; k++)
        last[k] = g->sc->it[k].pos;
    for (k = 0; k < g->sc->nit; k++) {
        item *t = &g->sc->it[k];
        int d;
        for (d = 0; d < t->ndeps; d++)
            if (last[t->deps[d]] < t->pos)
                last[t->deps[d]] = t->pos;
    }
    for (pos = 0; pos < g->sc->nit; pos++) {
        int i = g->sc->order[pos];
        item *t = &g->sc->it[i];
        node *n = L(g, t->e);
        if (t->kind != IT_NODE)
            continue;
        if (n->mat && n->out < 0 && !n->rowvar) /* a sweep's members are written all along it */
            n->slot = take_slot(g->sc, buffer_size(g, t->e),
                                t->lead >= 0 ? g->sc->it[t->lead].pos : pos, last[i]);
        if (n->plan == PL_LOOP) /* the Σs it sums: its readers read them too */
            for (k = 0; k < g->loops[n->loop].nsums; k++) {
                node *m = L(g, g->loops[n->loop].sums[k]);
                if (m->mat && m->out < 0)
                    m->slot = take_slot(g->sc, buffer_size(g, m->e), pos, last[i]);
            }
        if (n->plan == PL_LOOP && g->loops[n->loop].temps.n) { /* the work of one step */
            loopinfo *lp = &g->loops[n->loop];
            poly m = {NULL, 0};
            slots_before(lp->body, lp->body->nslots, &m);
            lp->region = take_slot(g->sc, m, pos, pos);
        }
    }
    free(last);
}

/*
 * ---- names in the generated code (docs/GENERATED_C.md) ----
 *
 * A user's name is written in C as itself whenever it can be (W₁ → W1 and
 * β → beta are the checker's spelling); otherwise by one rule:
 *
 *  1. spelling: a byte that is not an ASCII letter, digit or _ becomes _, a
 *     run of _ becomes one _, and a name that does not start with a letter
 *     gets a v in front. So no name starts with _ or holds __ (reserved to
 *     the implementation in C and C++).
 *  2. a name that is reserved (below), or already given to another name in
 *     the same scope, is renamed to the first of  N_, N_2, N_3, …  (N_ is N
 *     when N already ends in _) that is neither.
 *
 * Reserved: the C99/C11/C23 and C++ keywords; the macros gcc and clang
 * predefine in their gnu modes (linux, unix, i386, …); the macros and types
 * of the headers the generated code includes (NULL, NAN, EOF, errno, size_t,
 * uint8_t, …); names that start with symgrad's own prefixes sg_ and SG_, or
 * with the problem's P_ and PU_ (PU the prefix in capitals: PU_OK is a
 * macro); and in a function's body also the functions it may call (exp,
 * sqrtf, …) and its own locals (dims, in, out, work, i, j, t, t1, t2, …).
 *
 * The rule always terminates: the names reserved by a prefix are reserved
 * only because symgrad's own names start so, and none of those ends in _ or
 * in _ and digits, so a name that does (N_, N_2, …) is not reserved by a
 * prefix; spelling never leaves a leading _ or a __; so of N_, N_2, N_3, …
 * only the finitely many listed names and the finitely many taken ones are
 * refused. It is deterministic: names are given in a fixed order (the
 * problem's declarations, then the schedule), so the output is the same byte
 * for byte on every run.
 */

/* macros and types: a field is spelt after -> or ., but a macro replaces it
   all the same, and a type name cannot be declared a field in C++. The
   macros gcc and clang predefine in their default gnu modes (gcc -dM -E on
   x86, i386, sparc, mips, …), the macros and types of the headers the
   generated code includes (<math.h>, <stddef.h>; <stdio.h>, <stdlib.h> with
   --check; <stdint.h> for the streaming stores; the C standard's names and
   those glibc defines besides, from gcc -dM -E) and the complex.h macros a
   program that includes the header may have defined */
static const char *const macros[] = {
    /* predefined in gnu modes */
    "linux", "unix", "i386", "i486", "i586", "i686", "sun", "sparc", "mips", "vax", "hppa",
    "MIPSEB", "MIPSEL", "R3000", "R4000", "pyr", "ns32000", "m68k", "mc68000", "arm",
    /* <stddef.h>, <stdint.h> */
    "NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t", "wchar_t", "wint_t",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "int_least8_t",
    "int_least16_t", "int_least32_t", "int_least64_t", "uint_least8_t", "uint_least16_t",
    "uint_least32_t", "uint_least64_t", "int_fast8_t", "int_fast16_t", "int_fast32_t",
    "int_fast64_t", "uint_fast8_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t",
    "INT8_C", "INT16_C", "INT32_C", "INT64_C", "UINT8_C", "UINT16_C", "UINT32_C", "UINT64_C",
    "INTMAX_C", "UINTMAX_C", "INT8_MAX", "INT8_MIN", "INT16_MAX", "INT16_MIN", "INT32_MAX",
    "INT32_MIN", "INT64_MAX", "INT64_MIN", "UINT8_MAX", "UINT16_MAX", "UINT32_MAX",
    "UINT64_MAX", "INTMAX_MAX", "INTMAX_MIN", "UINTMAX_MAX", "INTPTR_MAX", "INTPTR_MIN",
    "UINTPTR_MAX", "INT_FAST8_MAX", "INT_FAST8_MIN", "INT_FAST16_MAX", "INT_FAST16_MIN",
    "INT_FAST32_MAX", "INT_FAST32_MIN", "INT_FAST64_MAX", "INT_FAST64_MIN",
    "INT_LEAST8_MAX", "INT_LEAST8_MIN", "INT_LEAST16_MAX", "INT_LEAST16_MIN",
    "INT_LEAST32_MAX", "INT_LEAST32_MIN", "INT_LEAST64_MAX", "INT_LEAST64_MIN",
    "UINT_FAST8_MAX", "UINT_FAST16_MAX", "UINT_FAST32_MAX", "UINT_FAST64_MAX",
    "UINT_LEAST8_MAX", "UINT_LEAST16_MAX", "UINT_LEAST32_MAX", "UINT_LEAST64_MAX",
    "PTRDIFF_MAX", "PTRDIFF_MIN", "SIZE_MAX", "SIG_ATOMIC_MAX", "SIG_ATOMIC_MIN",
    "WCHAR_MAX", "WCHAR_MIN", "WINT_MAX", "WINT_MIN",
    /* <math.h> */
    "NAN", "INFINITY", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "FP_INFINITE", "FP_NAN",
    "FP_NORMAL", "FP_SUBNORMAL", "FP_ZERO", "FP_FAST_FMA", "FP_FAST_FMAF", "FP_FAST_FMAL",
    "FP_ILOGB0", "FP_ILOGBNAN", "MATH_ERRNO", "MATH_ERREXCEPT", "math_errhandling",
    "float_t", "double_t", "fpclassify", "isfinite", "isinf", "isnan", "isnormal", "signbit",
    "isgreater", "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered",
    "M_E", "M_LOG2E", "M_LOG10E", "M_LN2", "M_LN10", "M_PI", "M_PI_2", "M_PI_4", "M_1_PI",
    "M_2_PI", "M_2_SQRTPI", "M_SQRT2", "M_SQRT1_2",
    /* <stdio.h>, <stdlib.h> and what glibc's define besides */
    "EOF", "BUFSIZ", "FILE", "fpos_t", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "L_ctermid",
    "P_tmpdir", "TMP_MAX", "SEEK_CUR", "SEEK_END", "SEEK_SET", "stdin", "stdout", "stderr",
    "EXIT_FAILURE", "EXIT_SUCCESS", "RAND_MAX", "MB_CUR_MAX", "div_t", "ldiv_t", "lldiv_t",
    "va_list", "va_arg", "va_copy", "va_end", "va_start", "alloca", "BIG_ENDIAN",
    "LITTLE_ENDIAN", "PDP_ENDIAN", "BYTE_ORDER", "FD_CLR", "FD_ISSET", "FD_SET", "FD_SETSIZE",
    "FD_ZERO", "NFDBITS", "WCONTINUED", "WEXITED", "WEXITSTATUS", "WIFCONTINUED",
    "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "WNOHANG", "WNOWAIT", "WSTOPPED", "WSTOPSIG",
    "WTERMSIG", "WUNTRACED", "be16toh", "be32toh", "be64toh", "htobe16", "htobe32",
    "htobe64", "htole16", "htole32", "htole64", "le16toh", "le32toh", "le64toh",
    /* <errno.h>, <assert.h>, <complex.h>, <stdbool.h>: a program that includes the
       header may have included them first */
    "errno", "assert", "NDEBUG", "complex", "imaginary", "I",
};

/* the functions a body may call: <math.h> (each also with f and l, see
   libm()), <stdlib.h>, and main */
static const char *const functions[] = {
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "copysign",
    "cos", "cosh", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fdim", "floor", "fma",
    "fmax", "fmin", "fmod", "frexp", "gamma", "hypot", "ilogb", "j0", "j1", "jn", "ldexp",
    "lgamma", "llrint", "llround", "log", "log10", "log1p", "log2", "logb", "lrint",
    "lround", "modf", "nan", "nearbyint", "nextafter", "nexttoward", "pow", "remainder",
    "remquo", "rint", "round", "scalbln", "scalbn", "sin", "sinh", "sqrt", "tan", "tanh",
    "tgamma", "trunc", "y0", "y1", "yn", "abs", "labs", "malloc", "calloc", "realloc",
    "free", "abort", "exit", "printf", "fprintf", "main",
};

/* the locals of the generated functions: P_eval's and P_work_size's
   arguments, the loops' counters, the kernels' packing room */
static const char *const locals[] = {"dims", "in", "out", "work", "scratch", "pack", "i", "j"};

static int listed(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}
#define LISTED(s, list) listed(s, list, sizeof list / sizeof list[0])

/* a <math.h> function, with or without its f or l */
static int libm(const char *s)
{
    char base[32];
    size_t n = strlen(s);
    if (LISTED(s, functions))
        return 1;
    if (n < 2 || n >= sizeof base || (s[n - 1] != 'f' && s[n - 1] != 'l'))
        return 0;
    memcpy(base, s, n - 1);
    base[n - 1] = '\0';
    return LISTED(base, functions);
}

/* s ends in _ or in _ and digits: the renamed forms, reserved by no prefix */
static int renamed_form(const char *s)
{
    size_t n = strlen(s), k = n;
    while (k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9')
        k--;
    return k > 0 && s[k - 1] == '_';
}

static int starts(const char *s, const char *p)
{
    size_t n = strlen(p);
    return !strncmp(s, p, n) && s[n] == '_';
}

/* whether s may not be used: local says as a name in a function's body (else
   as a field) */
static int reserved_name(G *g, const char *s, int local)
{
    size_t n = strlen(s);
    if (sg_cident_keyword(s) || LISTED(s, macros)) /* C, GNU C and C++ keywords */
        return 1;
    if (!renamed_form(s) && (starts(s, "sg") || starts(s, "SG") || starts(s, g->P) ||
                             starts(s, g->PU)))
        return 1;
    if (n >= 2 && s[0] == '_' && ((s[1] >= 'A' && s[1] <= 'Z') || s[1] == '_'))
        return 1; /* not from spell(), but from nowhere else either */
    if (strstr(s, "__"))
        return 1;
    if (!local)
        return 0;
    if (libm(s) || LISTED(s, locals))
        return 1;
    if (s[0] == 't' && n > 1 && strspn(s + 1, "0123456789") == n - 1)
        return 1; /* t1, t2, …: temporaries */
    if (g->nloops && !strcmp(s, "t"))
        return 1; /* the loops over time count with t */
    return 0;
}

static int reserved(G *g, const char *s)
{
    return reserved_name(g, s, 1) || sg_strmap_get(&g->taken, s) >= 0;
}

/* rule 1: the name spelt as a C identifier */
static void spell(sg_buf *b, const char *name)
{
    size_t i;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        sg_buf_putc(b, 'v');
    for (i = 0; name[i]; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!ok && b->len > 0 && b->data[b->len - 1] == '_')
            continue;
        sg_buf_putc(b, ok ? c : '_');
    }
}

/* rules 1 and 2: the C name of name among the names in map (local: a
   function's body, else a struct's fields); the name is added to map */
static const char *allocate_name(G *g, sg_strmap *map, const char *name, int local)
{
    sg_buf b;
    const char *s;
    size_t stem;
    unsigned long k;
    sg_buf_init(&b);
    spell(&b, name);
    if (reserved_name(g, sg_buf_str(&b), local) || sg_strmap_get(map, sg_buf_str(&b)) >= 0) {
        if (b.data[b.len - 1] != '_')
            sg_buf_putc(&b, '_');
        stem = b.len;
        for (k = 2; reserved_name(g, sg_buf_str(&b), local) || sg_strmap_get(map, sg_buf_str(&b)) >= 0;
             k++) {
            b.len = stem;
            sg_buf_printf(&b, "%lu", k);
        }
    }
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    sg_strmap_put(map, s, 0);
    return s;
}

/* a local of P_eval or P_work_size */
static const char *claim(G *g, const char *name)
{
    return allocate_name(g, &g->taken, name, 1);
}

/* the C name of a sequence's steps: δh → dh */
static const char *seq_cname(G *g, int q)
{
    const char *name = sg_seq_of(g->ctx, q)->name;
    if (!strncmp(name, "δ", strlen("δ")))
        return claim(g, fmt(g, "d%s", name + strlen("δ")));
    return claim(g, name);
}

/* the buffers and locals of a schedule's statements, in the order they run;
   a loop's own as the loop comes */
static void name_scope(G *g, scope *sc)
{
    int pos;
    for (pos = 0; pos < sc->nit; pos++) {
        item *it = &sc->it[sc->order[pos]];
        node *n = &sc->ni[it->e->id];
        sg_buf fb;
        if (it->kind != IT_NODE)
            continue;
        if (n->out >= 0 && sc == &g->top) {
            n->cname = fmt(g, "out->%s", g->resname[n->out]);
        } else if (n->out >= 0) { /* a recurrence's step, in place: named when printed */
            n->fname = g->loops[sc->loop].pc[n->out].name;
        } else if ((int)it->e->op == OP_SEQ) {
            n->cname = g->seqbuf[it->e->seq] = seq_cname(g, it->e->seq);
            sg_buf_init(&fb);
            sg_fmt_name(&fb, sg_seq_of(g->ctx, it->e->seq)->name, 0);
            n->fname = sg_arena_strdup(g->ar, sg_buf_str(&fb));
            sg_buf_free(&fb);
        } else if (it->e->op == OP_FACTOR) { /* K_lu, S_chol */
            const sg_expr *a = it->e->kid[0];
            const char *an = a->op == SG_OP_VAR ? sg_sym(g->ctx, a->sym)->name : a->name;
            const char *suf = factor_at(g, it->e)->chol ? "chol" : "lu";
            n->cname = an ? claim(g, fmt(g, "%s_%s", an, suf)) : fmt(g, "t%d", ++g->ntemp);
            n->fname = n->cname;
        } else if (it->e->name) {
            n->cname = claim(g, it->e->name);
            if (!strcmp(n->cname, it->e->name)) {
                sg_buf_init(&fb);
                sg_fmt_name(&fb, it->e->name, 0);
                n->fname = sg_arena_strdup(g->ar, sg_buf_str(&fb));
                sg_buf_free(&fb);
            }
        } else {
            n->cname = fmt(g, "t%d", ++g->ntemp);
        }
        if (!n->fname)
            n->fname = n->cname;
        if (n->plan == PL_LOOP) { /* the Σs it sums, its step's temporaries */
            loopinfo *lp = &g->loops[n->loop];
            int k;
            for (k = 0; k < lp->nsums; k++) {
                node *m = &sc->ni[lp->sums[k]->id];
                m->cname = m->out >= 0 ? fmt(g, "out->%s", g->resname[m->out])
                                       : fmt(g, "t%d", ++g->ntemp);
                m->fname = m->cname;
            }
            name_scope(g, lp->body);
        }
    }
}

static void name_things(G *g)
{
    int d, s, k;
    sg_strmap fields[3]; /* P_dims's, P_in's, P_out's */
    for (k = 0; k < 3; k++)
        sg_strmap_init(&fields[k]);
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
        if (di->name) {
            g->dimfield[d] = allocate_name(g, &fields[0], di->name, 0);
            g->dimname[d] = claim(g, di->name);
        }
    }
    for (s = 0; s < sg_nsyms(g->ctx); s++)
        g->fieldname[s] = allocate_name(g, &fields[1], sg_sym(g->ctx, s)->name, 0);
    for (k = 0; k < g->nres; k++)
        g->resname[k] = allocate_name(g, &fields[2], g->p->results[k].cname, 0);
    for (k = 0; k < 3; k++)
        sg_strmap_free(&fields[k]);
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        g->symname[s] = claim(g, sg_sym(g->ctx, s)->name);
        if (sg_sym(g->ctx, s)->seq >= 0) /* an input sequence's steps are the input */
            g->seqbuf[sg_sym(g->ctx, s)->seq] = g->symname[s];
    }
    name_scope(g, &g->top);
    for (k = 0; k < g->nsweeps && !g->rowname; k++) /* a sweep's row of W */
        if (g->sweeps[k].W)
            g->rowname = claim(g, "row");
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

/* ---- sequences in C ---- */

/* (t) + a − b as C: "t - 1", "T", "T - 1", "0" */
static const char *lin_c(G *g, int t, sg_index a, sg_index b)
{
    sg_buf s;
    const char *r;
    long c = a.off - b.off;
    int da = a.dim >= 0, db = b.dim >= 0;
    if (da && db && a.dim == b.dim)
        da = db = 0;
    sg_buf_init(&s);
    if (t)
        sg_buf_putc(&s, 't');
    if (da)
        sg_buf_printf(&s, "%s%s", s.len ? " + " : "", D(g, a.dim));
    if (db)
        sg_buf_printf(&s, "%s%s", s.len ? " - " : "-", D(g, b.dim));
    if (c != 0 || !s.len) {
        if (!s.len)
            sg_buf_printf(&s, "%ld", c);
        else
            sg_buf_printf(&s, " %c %ld", c < 0 ? '-' : '+', c < 0 ? -c : c);
    }
    r = sg_arena_strdup(g->ar, sg_buf_str(&s));
    sg_buf_free(&s);
    return r;
}

/* a step index k as an offset into a buffer of steps of shape sh: k*n, (t - 1)*n;
   NULL for 0 */
static const char *scaled(G *g, const char *k, sg_shape sh)
{
    const char *len = len_c(g, sh);
    if (!strcmp(k, "0"))
        return NULL;
    if (!strcmp(len, "1"))
        return k;
    if (!strchr(k, ' ') && k[0] != '-')
        return fmt(g, "%s*%s", k, len);
    return fmt(g, "(%s)*%s", k, len);
}

/* the C name of sequence q's steps: the input, or its buffer */
static const char *seq_base(G *g, int q)
{
    const sg_seq *sq = sg_seq_of(g->ctx, q);
    if (sq->kind == SG_SEQ_INPUT) {
        g->symused[sq->sym] = 1;
        return g->symname[sq->sym];
    }
    return g->seqbuf[q];
}

/* the pointer to step t + off of sequence q in a loop: x_t, h_prev, dh_next */
static stepname *step_ptr(G *g, int q, long off)
{
    const char *base = seq_base(g, q), *name;
    int i;
    for (i = 0; i < g->nsteps; i++)
        if (g->steps[i].seq == q && g->steps[i].off == off)
            return &g->steps[i];
    if (off == 0)
        name = fmt(g, "%s_t", base);
    else if (off == -1 || off == 1)
        name = fmt(g, "%s_%s", base, off < 0 ? "prev" : "next");
    else
        name = fmt(g, "%s_t%c%ld", base, off < 0 ? 'm' : 'p', off < 0 ? -off : off);
    if (g->nsteps == g->capsteps) {
        g->capsteps = g->capsteps ? 2 * g->capsteps : 8;
        g->steps = sg_xrealloc(g->steps, (size_t)g->capsteps * sizeof *g->steps);
    }
    g->steps[g->nsteps].seq = q;
    g->steps[g->nsteps].off = off;
    g->steps[g->nsteps].name = claim(g, name);
    g->steps[g->nsteps].used = 0;
    return &g->steps[g->nsteps++];
}

/* can step t + off of q be pointed at for every t of the loop? (a pointer
   may not even be formed outside its buffer, one past its end aside) */
static int ptr_ok(G *g, const loopinfo *lp, int q, long off)
{
    const sg_seq *sq = sg_seq_of(g->ctx, q);
    return sg_index_provably_le(sg_seq_first(g->ctx, q), sg_index_plus(lp->lo, off)) &&
           sg_index_provably_le(sg_index_plus(lp->hi, off), sg_index_plus(sq->hi, 1));
}

/* where a stored node's entries are: *base, from entry *off (NULL: 0) on */
static void stored_at(G *g, const sg_expr *e, const char **base, const char **off)
{
    node *n = N(g, e);
    *off = NULL;
    if (n->plan == PL_INPUT) {
        g->symused[e->sym] = 1;
        *base = g->symname[e->sym];
    } else if (n->plan == PL_AT) {
        *base = seq_base(g, e->seq);
        *off = scaled(g, lin_c(g, 0, e->at, sg_seq_first(g->ctx, e->seq)), e->shape);
    } else if (n->plan == PL_STEP) {
        const loopinfo *lp = &g->loops[g->sc->loop];
        if (ptr_ok(g, lp, e->seq, e->off)) {
            stepname *sp = step_ptr(g, e->seq, e->off);
            sp->used = 1;
            *base = sp->name;
        } else { /* indexed from the start at every use */
            *base = seq_base(g, e->seq);
            *off = scaled(g, lin_c(g, 1, sg_index_make(-1, e->off), sg_seq_first(g->ctx, e->seq)),
                          e->shape);
        }
    } else {
        *base = n->cname;
    }
}

/* entry x of a row-major array of shape s that starts at entry off of base */
static cx entry(G *g, const char *base, const char *off, sg_shape s, ix x)
{
    const char *idx;
    if (x.flat)
        idx = x.i;
    else if (is_one(s.rows) && is_one(s.cols))
        idx = "0";
    else if (is_one(s.cols))
        idx = x.i;
    else if (is_one(s.rows))
        idx = x.j;
    else if (!strcmp(x.i, "0"))
        idx = x.j;
    else if (!strcmp(x.j, "0"))
        idx = fmt(g, "%s*%s", x.i, dim_c(g, s.cols, g->dimused));
    else
        idx = fmt(g, "%s*%s + %s", x.i, dim_c(g, s.cols, g->dimused), x.j);
    if (off)
        idx = strcmp(idx, "0") ? fmt(g, "%s + %s", off, idx) : off;
    return mkcx(fmt(g, "%s[%s]", base, idx), C_ATOM);
}

/* the entry x of a node that lives in memory */
static cx read_stored(G *g, const sg_expr *e, ix x)
{
    const char *base, *off;
    if (N(g, e)->rowvar) /* entry i, in its sweep's loop */
        return mkcx(N(g, e)->cname, C_ATOM);
    stored_at(g, e, &base, &off);
    return entry(g, base, off, e->shape, x);
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

enum { K_RESTRICT, K_VECTORIZE, K_SIGMOID, K_SWISH, K_SOFTPLUS, K_RELU, K_STEP, K_SIGN, K_SUM,
       K_DOT, K_AXPY, K_GEMV, K_GEMM_SMALL, K_GEMM, K_GEMM_CALL, K_TRSM, K_TRSM_INVERSE, K_GER, K_COLSUM, K_ROWSUM, K_SOFTMAX, K_SOFTMAX2,
       K_LOGSOFTMAX, K_LOGSUMEXP, K_DIAGMUL, K_LU, K_LU_SWAP, K_LU_SOLVE, K_LU_INVERSE, K_LU_DET,
       K_LU_LOGDET, K_CHOL, K_CHOL_SOLVE, K_CHOL_INVERSE, K_CHOL_DET, K_CHOL_LOGDET, K_STREAM, K_DOT4, K_AXPY4, K_COUNT };

typedef char kernel_room[K_COUNT <= K_MAX ? 1 : -1]; /* K_MAX is large enough */

/* in the order they are printed: a kernel after the kernels it calls */
static const char *const kernel_file[K_COUNT] = {
    "restrict.h", "vectorize.h", "sigmoid.c", "swish.c", "softplus.c", "relu.c", "step.c",
    "sign.c", "sum.c", "dot.c", "axpy.c", "gemv.c", "gemm_small.c", "gemm.c", "gemm_call.c",
    "trsm.c", "trsm_inverse.c", "ger.c", "colsum.c", "rowsum.c", "softmax.c", "softmax2.c", "logsoftmax.c",
    "logsumexp.c", "diagmul.c", "lu.c", "lu_swap.c", "lu_solve.c", "lu_inverse.c", "lu_det.c", "lu_logdet.c",
    "chol.c", "chol_solve.c", "chol_inverse.c", "chol_det.c", "chol_logdet.c", "stream.c",
    "dot4.c", "axpy4.c",
};

/* kernel k's template: with --blas, the products call CBLAS */
static const char *kernel_name(const G *g, int k)
{
    if (g->o && g->o->blas && k == K_GEMM)
        return "gemm_blas.c";
    if (g->o && g->o->blas && k == K_GEMV)
        return "gemv_blas.c";
    return kernel_file[k];
}

static void use_kernel(G *g, int k)
{
    g->kernels[k] = 1;
    g->kernels[K_RESTRICT] = 1;
    switch (k) {
    case K_SWISH:
        g->kernels[K_SIGMOID] = 1;
        break;
    case K_GEMV:
        g->kernels[K_DOT] = 1;
        break;
    case K_GEMM:
        use_kernel(g, K_GEMM_SMALL);
        break;
    case K_GEMM_SMALL:
        g->kernels[K_DOT] = 1;
        break;
    case K_TRSM: case K_GEMM_CALL:
        use_kernel(g, K_GEMM);
        break;
    case K_LU_SOLVE: case K_LU_INVERSE:
        use_kernel(g, K_LU_SWAP);
        use_kernel(g, k == K_LU_INVERSE ? K_TRSM_INVERSE : K_TRSM);
        break;
    case K_CHOL_INVERSE:
        use_kernel(g, K_TRSM_INVERSE);
        break;
    case K_TRSM_INVERSE: case K_LU: case K_CHOL: case K_CHOL_SOLVE:
        use_kernel(g, K_TRSM);
        break;
    case K_ROWSUM:
        g->kernels[K_SUM] = 1;
        break;
    default:
        break;
    }
}

/* a kernel that needs packing room in work: how much, by pack_text() */
static void need_pack(G *g, int kind, sg_dim a, sg_dim b, sg_dim c)
{
    int i;
    for (i = 0; i < g->npacks; i++)
        if (g->packs[i].kind == kind && g->packs[i].d[0] == a && g->packs[i].d[1] == b &&
            g->packs[i].d[2] == c)
            return;
    if (g->npacks == g->cappacks) {
        g->cappacks = g->cappacks ? 2 * g->cappacks : 8;
        g->packs = sg_xrealloc(g->packs, (size_t)g->cappacks * sizeof *g->packs);
    }
    g->packs[g->npacks].kind = kind;
    g->packs[g->npacks].d[0] = a;
    g->packs[g->npacks].d[1] = b;
    g->packs[g->npacks].d[2] = c;
    g->npacks++;
}

/* the reals that packing requirement k needs, as C */
static const char *pack_text(G *g, const packreq *k, unsigned char *used)
{
    switch (k->kind) {
    case K_GEMM:
        return fmt(g, "sg_gemm_pack(%s, %s, %s)", dim_c(g, k->d[0], used),
                   dim_c(g, k->d[1], used), dim_c(g, k->d[2], used));
    case K_TRSM:
        return fmt(g, "sg_trsm_pack(%s, %s)", dim_c(g, k->d[0], used), dim_c(g, k->d[1], used));
    case K_LU:
        return fmt(g, "sg_lu_pack(%s)", dim_c(g, k->d[0], used));
    default:
        return fmt(g, "sg_chol_pack(%s)", dim_c(g, k->d[0], used));
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
    if (n->plan == PL_AT || n->plan == PL_STEP) /* one step of a scalar sequence */
        return read_stored(g, e, mkix(1, "0", "0"));
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
/* does elem() write e as its own sum, a + b, in place (not read, not a scalar,
   not one of elem_def's special forms)? */
static int inline_add(G *g, const sg_expr *e)
{
    if (e->op != SG_OP_ADD || scalar(e) || stored(g, e))
        return 0;
    switch (N(g, e)->var) {
    case EW_SCALE: case EW_SCALEDIV: case EW_OUTER: case EW_ROWSCALE: case EW_COLSCALE:
    case EW_IDENT: case EW_ZERO:
        return 0;
    default:
        return 1;
    }
}

/*
 * a + b + c + …, a left-deep chain of sums written in place, in one buffer.
 * Term by term (add_terms(), bin()) each prefix would be a new string: a sum
 * of 10,000 terms made 10,000 prefixes, gigabytes. The text is the same.
 */
static cx add_chain(G *g, const sg_expr *e, ix x)
{
    const sg_expr **spine = NULL, *cur = e;
    int n = 0, cap = 0, k;
    sg_buf b;
    cx acc;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            spine = sg_xrealloc((void *)spine, (size_t)cap * sizeof *spine);
        }
        spine[n++] = cur;
        if (!inline_add(g, cur->kid[0]))
            break;
        cur = cur->kid[0];
    }
    acc = elem(g, cur->kid[0], x);
    if (n == 1) {
        free((void *)spine);
        return add_terms(g, acc, e->kid[1], elem_x, x);
    }
    sg_buf_init(&b);
    sg_buf_puts(&b, par(g, acc, C_ADD));
    for (k = n - 1; k >= 0; k--) { /* as add_terms() */
        const sg_expr *bk = spine[k]->kid[1], *t;
        double c;
        if (negated(g, bk, &c, &t)) {
            cx rhs = t ? elem(g, t, x) : lit(g, c);
            if (t && c != 1)
                rhs = bin(g, lit(g, c), "*", rhs, C_MUL);
            sg_buf_printf(&b, " - %s", par(g, rhs, C_ADD + 1));
        } else {
            sg_buf_printf(&b, " + %s", par(g, elem(g, bk, x), C_ADD + 1));
        }
    }
    acc = mkcx(sg_arena_strdup(g->ar, sg_buf_str(&b)), C_ADD);
    sg_buf_free(&b);
    free((void *)spine);
    return acc;
}

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
        return add_chain(g, e, x);
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

/* the length of the well-formed UTF-8 character at s (1 for ASCII), or 0 */
static size_t utf8_char(const unsigned char *s)
{
    size_t n, i;
    unsigned c = s[0];
    unsigned long cp;
    if (c < 0x80)
        return 1;
    n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n)
        return 0;
    cp = c & (0x7Fu >> n);
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0; /* overlong, a surrogate, past U+10FFFF */
    return n;
}

/*
 * Text for a comment, from anywhere (a file name, the command line, a
 * formula): whatever its bytes, it stays one line of the comment. A control
 * byte, a byte of ill-formed UTF-8 and a backslash are written \xHH (so no
 * line ends in a backslash, which would splice the next one to it), the
 * star-slash that would end the comment and the slash-star -Wcomment warns
 * of get a space between their two characters, and the second ? of ?? is
 * written \x3F (no trigraph: ??/ is a backslash where trigraphs are on).
 */
static const char *comment_safe(G *g, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    sg_buf b;
    const char *r;
    size_t i, n;
    for (i = 0; u[i]; i += n) {
        n = utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '\\' || (u[i] == '?' && u[i + 1] == '?') ||
            (u[i] == '*' && u[i + 1] == '/') || (u[i] == '/' && u[i + 1] == '*'))
            break;
    }
    if (!u[i])
        return s;
    sg_buf_init(&b);
    for (i = 0; u[i]; i += n) {
        n = utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '\\') {
            sg_buf_printf(&b, "\\x%02X", u[i]);
            n = 1;
        } else if (u[i] == '?' && u[i + 1] == '?') {
            sg_buf_puts(&b, "?\\x3F");
            n = 2;
        } else {
            sg_buf_putn(&b, (const char *)u + i, n);
            if ((u[i] == '*' && u[i + 1] == '/') || (u[i] == '/' && u[i + 1] == '*'))
                sg_buf_putc(&b, ' ');
        }
    }
    r = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

int sg_cgen_include_ok(const char *name)
{
    const unsigned char *u = (const unsigned char *)name;
    size_t i, n;
    if (!*name)
        return 0;
    for (i = 0; u[i]; i += n) {
        n = utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '"' || u[i] == '\\' || u[i] == '\'' ||
            u[i] == '/')
            return 0;
    }
    return 1;
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

/* k as printed: T − 1, 0 */
static const char *index_text(G *g, sg_index k)
{
    char s[128];
    sg_index_snprint(s, sizeof s, g->ctx, k, 0);
    return fmt(g, "%s", s);
}

/* what a node's buffer holds: its shape, and an LU factor's pivots; a
   sequence's steps */
static const char *buffer_text(G *g, const sg_expr *e)
{
    if ((int)e->op == OP_SEQ) {
        const sg_seq *sq = sg_seq_of(g->ctx, e->seq);
        sg_index first = sg_index_plus(sq->lo, -1), count = sg_index_plus(sq->hi, 1 - first.off);
        const char *nsteps = first.dim < 0 ? index_text(g, count) : "the steps";
        if (scalar(e))
            return fmt(g, "%s numbers", nsteps);
        return fmt(g, "%s steps of %s", nsteps, shape_text(g, e->shape));
    }
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
    if ((int)e->op == OP_SEQ) { /* h[0], …, h[T] */
        const sg_seq *sq = sg_seq_of(g->ctx, e->seq);
        const char *name = N(g, e)->fname;
        return fmt(g, "%s[%s], …, %s[%s]", name, index_text(g, sg_index_plus(sq->lo, -1)), name,
                   index_text(g, sq->hi));
    }
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

/* what bit r of the schedule being printed stands for: a result, or a piece */
static const char *out_name(G *g, int r)
{
    if (g->sc == &g->top)
        return result_name(g, r);
    return g->loops[g->sc->loop].pc[r].name;
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
    const char *base, *off;
    assert(stored(g, e));
    stored_at(g, e, &base, &off);
    return off ? fmt(g, "%s + %s", base, off) : base;
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
    case PL_GEMM: { /* op(A) op(B), op(A) m×k */
        const sg_dim k = A->trans ? A->e->shape.rows : A->e->shape.cols;
        use_kernel(g, K_GEMM_CALL);
        need_pack(g, K_GEMM, e->shape.rows, e->shape.cols, k);
        line(b, lv, "sg_gemm(%s, %s, %s, %d, %s, %d, %s, %s, pack);", D(g, e->shape.rows),
             D(g, e->shape.cols), D(g, k), A->trans, ptr(g, A->e), B->trans, ptr(g, B->e),
             dest);
        return;
    }
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

static const char *condition(G *g, const sg_mask *mask, int negate);

/* A's factors: a copy of A (fused with whatever computes it), factored in place */
static void emit_factor(G *g, sg_buf *b, int lv, node *n)
{
    const factor *f = factor_at(g, n->e);
    const char *fn = f->chol ? "chol" : "lu";
    line(b, lv, "/* %s = %s  (%s) */", n->fname, formula(g, n->e), buffer_text(g, n->e));
    emit_copy(g, b, lv, n, n->e->kid[0]);
    use_kernel(g, f->chol ? K_CHOL : K_LU);
    need_pack(g, f->chol ? K_CHOL : K_LU, n->e->shape.rows, 0, 0);
    if (f->strict) { /* unless only det wants it for these results (in a loop: always) */
        int all = g->sc != &g->top || f->smask == mask_of(g, n->e);
        const char *cond = all ? "" : condition(g, f->smask, 0);
        const int paren = strstr(cond, "||") != NULL;
        line(b, lv, "if (sg_%s(%s, %s, pack)%s%s%s%s)", fn, D(g, n->e->shape.rows), n->cname,
             all ? "" : " && ", paren ? "(" : "", cond, paren ? ")" : "");
        line(b, lv + 1, "return %s_%s;", g->PU, f->chol ? "ENOTSPD" : "ESINGULAR");
    } else {
        line(b, lv, "sg_%s(%s, %s, pack); /* only det reads it: singular is det 0, no error */",
             fn, D(g, n->e->shape.rows), n->cname);
    }
}

/* X = op(A)⁻¹B, B op(A)⁻¹ or op(A)⁻¹: B copied into X, solved in place */
static void emit_solve(G *g, sg_buf *b, int lv, node *n)
{
    const sg_expr *e = n->e, *fe = n->r[0].e;
    const factor *f = factor_at(g, fe);
    const int right = (n->var & SV_RIGHT) != 0, trans = (n->var & SV_TRANS) != 0;
    /* the right-hand sides: X's columns, or its rows for B op(A)⁻¹ */
    const sg_dim k = right ? e->shape.rows : e->shape.cols;
    need_pack(g, K_TRSM, fe->shape.rows, k, 0);
    if (n->var & SV_EYE) { /* the inverse itself */
        use_kernel(g, f->chol ? K_CHOL_INVERSE : K_LU_INVERSE);
        if (f->chol) /* A is symmetric: op(A)⁻¹ = A⁻¹ */
            line(b, lv, "sg_chol_inverse(%s, %s, %s, pack);", D(g, fe->shape.rows), ptr(g, fe),
                 n->cname);
        else
            line(b, lv, "sg_lu_inverse(%s, %s, %d, %s, pack);", D(g, fe->shape.rows), ptr(g, fe),
                 trans, n->cname);
        return;
    }
    use_kernel(g, f->chol ? K_CHOL_SOLVE : K_LU_SOLVE);
    emit_copy(g, b, lv, n, n->r[1].e);
    if (f->chol) /* A is symmetric: op(A) = A */
        line(b, lv, "sg_chol_solve(%s, %s, %d, %s, %s, pack);", D(g, fe->shape.rows),
             ptr(g, fe), right, D(g, k), n->cname);
    else
        line(b, lv, "sg_lu_solve(%s, %s, %d, %d, %s, %s, pack);", D(g, fe->shape.rows),
             ptr(g, fe), trans, right, D(g, k), n->cname);
}

/* a stored node's name, or its formula in parentheses */
static const char *ref_name(G *g, const sg_expr *e)
{
    const char *s = stored_name(g, e);
    return s ? s : fmt(g, "(%s)", formula(g, e));
}

/* the statement of a materialized non-scalar node */
static void emit_loop(G *g, sg_buf *b, int lv, node *n, const char *decl);

static void emit_mat(G *g, sg_buf *b, int lv, node *n)
{
    const char *name = n->out >= 0 ? out_name(g, n->out) : n->fname;
    if (n->plan == PL_LOOP) {
        emit_loop(g, b, lv, n, "");
        return;
    }
    if (n->plan == PL_FACTOR) {
        emit_factor(g, b, lv, n);
        return;
    }
    if ((n->plan == PL_GEMM || n->plan == PL_GEMV || n->plan == PL_GEMVT) && n->var == 1)
        line(b, lv, "/* %s = %s = %s %sᵀ, the inverse being symmetric  (%s) */", name,
             formula(g, n->e), ref_name(g, n->r[0].e), ref_name(g, n->r[1].e),
             shape_text(g, n->e->shape));
    else
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
    if (n->plan == PL_LOOP) {
        emit_loop(g, b, lv, n, decl);
        return;
    }
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
    const char *cname = g->resname[t->res];
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
    line(b, lv + 1, "out->%s[i] = %s;", cname, read_stored(g, e, mkix(1, "i", "i")).s);
}

/* the steps at which piece pc runs: t >= 1, t < T, t == T - 1; NULL for all */
static const char *piece_cond(G *g, const piece *pc)
{
    const loopinfo *lp = &g->loops[g->sc->loop];
    sg_index zero = sg_index_make(-1, 0);
    const char *lo = lin_c(g, 0, pc->lo, zero);
    if ((pc->from || pc->to) && sg_index_eq(pc->from ? pc->lo : lp->lo, pc->to ? pc->hi : lp->hi))
        return fmt(g, "t == %s", lin_c(g, 0, pc->from ? pc->lo : pc->hi, zero));
    if (pc->to) {
        const char *hi = pc->hi.dim >= 0 && pc->hi.off < 0
                             ? fmt(g, "t < %s", lin_c(g, 0, sg_index_plus(pc->hi, 1), zero))
                             : fmt(g, "t <= %s", lin_c(g, 0, pc->hi, zero));
        return pc->from ? fmt(g, "t >= %s && %s", lo, hi) : hi;
    }
    return pc->from ? fmt(g, "t >= %s", lo) : NULL;
}

/* the results in mask, spelled out: out->A || out->B (negated: !out->A && !out->B) */
static const char *out_list(G *g, const sg_mask *mask, int negate)
{
    sg_buf b;
    const char *s;
    int r, first = 1;
    sg_buf_init(&b);
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        sg_buf_printf(&b, "%s%sout->%s", first ? "" : negate ? " && " : " || ",
                      negate ? "!" : "", g->resname[r]);
        first = 0;
    }
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/*
 * out->A || out->B for the results in mask. A test of more than NEED_MIN
 * results is a boolean local instead, declared once at the top of P_eval
 * (need_decls()), so that a deep network's nested tests are not each a list
 * of every later gradient: the code stays linear in the number of results.
 */
#define NEED_MIN 4

/* the local for the test of mask (NULL for a short test), made on first use;
   named only when name is set */

/* the slot of needtab that holds mask's need, or the empty one it would take */
static unsigned need_slot(G *g, const sg_mask *mask)
{
    unsigned i = sg_mask_hash(mask) & (g->needcap - 1);
    while (g->needtab[i] >= 0 && g->needs[g->needtab[i]].mask != mask)
        i = (i + 1) & (g->needcap - 1);
    return i;
}

static needvar *need_of(G *g, const sg_mask *mask, int name)
{
    int k;
    unsigned at, i;
    if (sg_mask_count(mask) <= NEED_MIN)
        return NULL;
    if (2 * ((unsigned)g->nneeds + 1) > g->needcap) { /* a larger table, refilled */
        if (!g->needcap)
            g->needcap = 64;
        while (2 * ((unsigned)g->nneeds + 1) > g->needcap)
            g->needcap *= 2;
        free(g->needtab);
        g->needtab = sg_xmalloc(g->needcap * sizeof *g->needtab);
        for (i = 0; i < g->needcap; i++)
            g->needtab[i] = -1;
        for (k = 0; k < g->nneeds; k++)
            g->needtab[need_slot(g, g->needs[k].mask)] = k;
    }
    at = need_slot(g, mask);
    k = g->needtab[at] >= 0 ? g->needtab[at] : g->nneeds;
    if (k == g->nneeds) {
        g->needtab[at] = k;
        if (g->nneeds == g->capneeds) {
            g->capneeds = g->capneeds ? 2 * g->capneeds : 16;
            g->needs = sg_xrealloc(g->needs, (size_t)g->capneeds * sizeof *g->needs);
        }
        g->needs[k].mask = mask;
        g->needs[k].name = NULL;
        g->needs[k].neg = NULL;
        g->needs[k].count = sg_mask_count(mask);
        g->needs[k].index = k;
        g->needs[k].base = -1;
        g->needs[k].chain = -1;
        g->needs[k].pos = 0;
        g->nneeds++;
    }
    if (name && !g->needs[k].name)
        g->needs[k].name = claim(g, fmt(g, "need%d", k + 1));
    return &g->needs[k];
}

static int by_count(const void *x, const void *y)
{
    const needvar *a = x, *b = y;
    if (a->count != b->count)
        return a->count - b->count;
    return a->index - b->index;
}

/* the largest test need k contains, among those with fewer results, or -1 */
static int need_base(G *g, int k)
{
    int j, best = -1;
    /* the needs are sorted by count (by_count): from k down, the first that
       fits has the most results; the lowest index of that count wins */
    for (j = k - 1; j >= 0; j--) {
        if (g->needs[j].count >= g->needs[k].count)
            continue;
        if (best >= 0 && g->needs[j].count < g->needs[best].count)
            break;
        if (sg_mask_subset(g->needs[j].mask, g->needs[k].mask))
            best = j;
    }
    return best;
}

/*
 * The tests of P_eval's blocks, numbered from the fewest results up. A run of
 * CHAIN_MIN or more tests each built on the one before (a deep network's,
 * one per layer) is a chain: one int local says the first test of the run
 * that holds (group1 <= 37), rather than a boolean local each, which keeps
 * the compiler from carrying hundreds of them through the function.
 */
#define CHAIN_MIN 8

static void need_names(G *g)
{
    int pos, k, *len, *tail;
    for (pos = 0; pos < g->top.nit; pos++) {
        const item *t = &g->top.it[g->top.order[pos]];
        if (t->lead < 0 && t->mask != g->top.full)
            need_of(g, t->mask, 0);
    }
    for (k = 0; k < g->nfac; k++) { /* the tests of emit_factor() in P_eval */
        const node *f = &g->top.ni[g->fac[k].node->id];
        if (g->fac[k].strict && g->fac[k].smask && f->reach && !f->ext && f->item >= 0 &&
            g->fac[k].smask != top_mask(g, g->fac[k].node))
            need_of(g, g->fac[k].smask, 0);
    }
    if (g->nneeds > 1) {
        qsort(g->needs, (size_t)g->nneeds, sizeof *g->needs, by_count);
        free(g->needtab); /* stale: need_of refills it */
        g->needtab = NULL;
        g->needcap = 0;
    }
    len = sg_xmalloc((size_t)(g->nneeds + 1) * sizeof *len);
    tail = sg_xmalloc((size_t)(g->nneeds + 1) * sizeof *tail);
    for (k = 0; k < g->nneeds; k++) { /* chains: a test extends its base's, when last */
        needvar *v = &g->needs[k];
        v->index = k;
        v->base = need_base(g, k);
        if (v->base >= 0 && tail[g->needs[v->base].chain] == v->base) {
            v->chain = g->needs[v->base].chain;
        } else {
            v->chain = g->nchains++;
            len[v->chain] = 0;
        }
        v->pos = ++len[v->chain];
        tail[v->chain] = k;
    }
    g->chains = sg_xmalloc((size_t)(g->nchains + 1) * sizeof *g->chains);
    for (k = 0; k < g->nchains; k++)
        g->chains[k] = len[k] >= CHAIN_MIN ? claim(g, fmt(g, "group%d", k + 1)) : NULL;
    for (k = 0; k < g->nneeds; k++) {
        needvar *v = &g->needs[k];
        if (g->chains[v->chain]) {
            v->name = fmt(g, "%s <= %d", g->chains[v->chain], v->pos);
            v->neg = fmt(g, "%s > %d", g->chains[v->chain], v->pos);
        } else {
            v->chain = -1;
            need_of(g, v->mask, 1);
        }
    }
    free(len);
    free(tail);
}

static const char *out_cond(G *g, const sg_mask *mask, int negate)
{
    const needvar *v = negate ? NULL : need_of(g, mask, 1);
    const sg_mask *rest;
    const char *s;
    int k, best = -1;
    if (v)
        return v->name;
    if (!negate)
        return out_list(g, mask, 0);
    /* none asked for: !need9 && !out->L, with the largest local it contains */
    for (k = 0; k < g->nneeds; k++)
        if (g->needs[k].name && (best < 0 || g->needs[k].count > g->needs[best].count) &&
            sg_mask_subset(g->needs[k].mask, mask))
            best = k;
    if (best < 0)
        return out_list(g, mask, 1);
    rest = sg_mask_minus(g->top.mt, mask, g->needs[best].mask);
    s = fmt(g, g->needs[best].neg ? "%s" : "!%s",
            g->needs[best].neg ? g->needs[best].neg : g->needs[best].name);
    if (sg_mask_count(rest))
        s = fmt(g, "%s && %s", s, out_list(g, rest, 1));
    return s;
}

/* the results of need k that its base does not have: out->dW3 (NULL: none) */
static const char *need_rest(G *g, int k, int base)
{
    const sg_mask *rest =
        sg_mask_minus(g->top.mt, g->needs[k].mask, base >= 0 ? g->needs[base].mask : NULL);
    return sg_mask_count(rest) ? out_list(g, rest, 0) : NULL;
}

/* the test of need k from its base: need1 || out->dW3 */
static const char *need_def(G *g, int k, int base)
{
    const char *rest = need_rest(g, k, base);
    if (base < 0)
        return rest;
    return rest ? fmt(g, "%s || %s", g->needs[base].name, rest) : g->needs[base].name;
}

/* the tests out_cond() made locals, each from the largest one it contains
   (need2 = need1 || out->dW3), and the chains of need_names() */
static void need_decls(G *g, sg_buf *b)
{
    int *order, k, j, c, n = 0;
    if (!g->nneeds)
        return;
    order = sg_xmalloc((size_t)g->nneeds * sizeof *order);
    for (k = 0; k < g->nneeds; k++) { /* the ones made while printing: their bases now */
        if (g->needs[k].chain < 0)
            g->needs[k].base = need_base(g, k);
        order[n++] = k;
    }
    for (k = 1; k < n; k++) /* by count, stable */
        for (j = k; j > 0 && g->needs[order[j - 1]].count > g->needs[order[j]].count; j--) {
            const int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    sg_buf_puts(b, "\n    /* which groups of results are asked for */\n");
    for (k = 0; k < n; k++) {
        const needvar *v = &g->needs[order[k]];
        if (v->chain < 0) {
            line(b, 1, "const int %s = %s;", v->name, need_def(g, order[k], v->base));
            continue;
        }
        if (v->pos != 1)
            continue;
        /* a chain: the first of its tests that holds, its last test's results first */
        c = v->chain;
        for (j = g->nneeds - 1; j >= 0 && g->needs[j].chain != c; j--)
            ;
        line(b, 1, "int %s = %d; /* %s <= k: the k-th of these tests holds */", g->chains[c],
             g->needs[j].pos + 1, g->chains[c]);
        for (; j >= 0; j--) {
            const needvar *m = &g->needs[j];
            if (m->chain != c)
                continue;
            line(b, 1, "if (%s)", m->pos == 1 ? need_def(g, j, m->base)
                                              : need_rest(g, j, m->base));
            line(b, 2, "%s = %d;", g->chains[c], m->pos);
        }
    }
    free(order);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/*
 * if (out->A || out->B); in a loop, when one of its pieces runs: their
 * steps, grouped, and the results a fused Σ is for,
 *     t < T || (t >= 1 && (out->dL_dW || out->dL_dU))
 */
static const char *condition(G *g, const sg_mask *mask, int negate)
{
    const loopinfo *lp;
    unsigned char *done;
    const char **group;
    sg_buf b;
    const char *s;
    int r, k, ngroups = 0;
    if (g->sc == &g->top)
        return out_cond(g, mask, negate);
    assert(!negate);
    lp = &g->loops[g->sc->loop];
    done = sg_xmalloc((size_t)g->sc->nbits + 1);
    memset(done, 0, (size_t)g->sc->nbits + 1);
    group = sg_xmalloc(((size_t)g->sc->nbits + 1) * sizeof *group);
    for (r = sg_mask_next(mask, 0); r >= 0; r = sg_mask_next(mask, r + 1)) {
        const char *range, *res, *grp;
        const sg_mask *rm = NULL;
        int all = 0;
        if (done[r])
            continue;
        range = piece_cond(g, &lp->pc[r]);
        for (k = r; k >= 0; k = sg_mask_next(mask, k + 1)) /* the pieces that run at the same steps */
            if (!done[k] && same_str(range, piece_cond(g, &lp->pc[k]))) {
                done[k] = 1;
                if (narrower(g, lp, &lp->pc[k]))
                    rm = sg_mask_union(g->top.mt, rm, top_mask(g, lp->pc[k].sum));
                else
                    all = 1;
            }
        res = all ? NULL : out_cond(g, rm, 0);
        if (range && res)
            grp = fmt(g, strstr(res, "||") ? "%s && (%s)" : "%s && %s", range, res);
        else
            grp = range ? range : res;
        assert(grp != NULL); /* always() said so */
        group[ngroups++] = grp;
    }
    sg_buf_init(&b);
    for (k = 0; k < ngroups; k++)
        sg_buf_printf(&b, ngroups > 1 && strstr(group[k], "&&") ? "%s(%s)" : "%s%s",
                      k ? " || " : "", group[k]);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    free(done);
    free(group);
    return s;
}

/* what one step of a loop does with a piece's value: h[t] = v, δh[t] += v, Σ += v */
static void emit_piece(G *g, sg_buf *b, int lv, item *t)
{
    const loopinfo *lp = &g->loops[g->sc->loop];
    const piece *pc = &lp->pc[t->res];
    const sg_expr *v = pc->value;
    const char *op = pc->kind == PC_STORE ? "=" : "+=", *name = pc->name, *own = NULL;
    ix x;
    int body;
    if (pc->kind == PC_SUM) {
        node *s = N(g, pc->sum); /* P_eval's: the sum lives outside the loop */
        name = s->out >= 0 ? result_name(g, s->out) : s->fname;
    } else {
        own = step_ptr(g, lp->seq, 0)->name;
    }
    line(b, lv, "/* %s %s %s */", name, op, formula(g, v));
    if (scalar(v)) {
        if (pc->kind == PC_SUM)
            line(b, lv, "%s += %s;", N(g, pc->sum)->cname, sval(g, v).s);
        else
            line(b, lv, "%s[0] %s %s;", own, op, sval(g, v).s);
        return;
    }
    body = open_loops(g, b, lv, v->shape, flat_ok(g, v), &x, 0);
    line(b, body, "%s %s %s;",
         pc->kind == PC_SUM ? read_stored(g, pc->sum, x).s : entry(g, own, NULL, v->shape, x).s, op,
         elem(g, v, x).s);
}

/* the entry k of a stored vector-like node: v[k] */
static cx vec_at(G *g, const sg_expr *e, const char *k)
{
    return read_stored(g, e, is_one(e->shape.cols) ? mkix(0, k, "0") : mkix(0, "0", k));
}

/* a longer P_eval keeps -O2's own vectorizer (see vectorize.h), and its sweeps their
   plain form (sg_dot and sg_axpy a row at a time, ordinary stores): gcc's time grows
   faster than the function with each loop it vectorizes or kernel it inlines */
#define VEC_MAX_STATEMENTS 64

static int long_eval(const G *g)
{
    return g->top.nit > VEC_MAX_STATEMENTS;
}

/* a dimension's value when it is known when generating (a number or --dim), else 0 */
static long known_dim(G *g, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(g->ctx, d);
    return di->name ? g->dimfix[d] : di->value;
}

/* member k of w makes row i of an output matrix, which can be written by sg_stream
   (when large, decided at run time); not when its size is known and small */
static int streamed(G *g, const sweep *w, int k)
{
    const sg_expr *e = g->sc->it[w->member[k]].e;
    const node *n = L(g, e);
    const long r = known_dim(g, e->shape.rows), c = known_dim(g, e->shape.cols);
    return !long_eval(g) && w->kind[k] == SW_ROW && n->out >= 0 && !n->rowvar &&
           !is_one(e->shape.cols) &&
           !is_one(e->shape.rows) && !(r > 0 && c > 0 && (double)r * (double)c < 131072.0);
}

/* one member of a sweep, at row i; the row of W is at g->rowname */
static void emit_sweep_member(G *g, sg_buf *b, int lv, const sweep *w, int k)
{
    const item *t = &g->sc->it[w->member[k]];
    node *n = L(g, t->e);
    const char *len = w->W ? D(g, w->W->shape.cols) : NULL;
    const int cond = t->mask != w->mask;
    const char *name = n->out >= 0 ? out_name(g, n->out) : n->fname;
    if (cond) {
        line(b, lv++, "if (%s) {", condition(g, t->mask, 0));
    }
    line(b, lv, "/* %s = %s  (%s) */", name, formula(g, t->e), shape_text(g, t->e->shape));
    if (w->kind[k] == SW_DOT && long_eval(g)) { /* yᵢ = W[i,:]·v */
        const ref *v = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        use_kernel(g, K_DOT);
        line(b, lv, "%s%s = sg_dot(%s, %s, %s);", n->rowvar ? fmt(g, "const %s ", g->real) : "",
             vec_at(g, t->e, "i").s, len, g->rowname, ptr(g, v->e));
    } else if (w->kind[k] == SW_DOT) { /* yᵢ = W[i,:]·v, four rows at a time */
        const ref *v = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        use_kernel(g, K_DOT);
        use_kernel(g, K_DOT4);
        line(b, lv, "if (i %% 4 == 0 && i + 3 < %s) /* four rows side by side: see sg_dot4 */",
             D(g, w->rows));
        line(b, lv + 1, "sg_dot4(%s, %s, %s, %s, sg_d%d);", len, g->rowname, len, ptr(g, v->e),
             w->member[k]);
        line(b, lv, "%s%s = (i | 3) < %s ? sg_d%d[i %% 4] : sg_dot(%s, %s, %s);",
             n->rowvar ? fmt(g, "const %s ", g->real) : "", vec_at(g, t->e, "i").s,
             D(g, w->rows), w->member[k], len, g->rowname, ptr(g, v->e));
    } else if (w->kind[k] == SW_AXPY && long_eval(g)) { /* z += uᵢ W[i,:] */
        const ref *u = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        use_kernel(g, K_AXPY);
        line(b, lv, "sg_axpy(%s, %s, %s, %s);", len, vec_at(g, u->e, "i").s, g->rowname,
             n->cname);
    } else if (w->kind[k] == SW_AXPY) { /* z += uᵢ W[i,:], four rows at a time */
        const ref *u = n->plan == PL_GEMV ? &n->r[1] : &n->r[0];
        use_kernel(g, K_AXPY);
        use_kernel(g, K_AXPY4);
        line(b, lv, "sg_a%d[i %% 4] = %s; /* four rows at a time: one pass over %s for them */",
             w->member[k], vec_at(g, u->e, "i").s, n->cname);
        line(b, lv, "if (i %% 4 == 3)");
        line(b, lv + 1, "sg_axpy4(%s, sg_a%d, %s - 3*%s, %s, %s);", len, w->member[k], g->rowname,
             len, len, n->cname);
    } else if (is_one(t->e->shape.cols)) { /* entry i */
        ix x = mkix(0, "i", "0");
        line(b, lv, "%s%s = %s;", n->rowvar ? fmt(g, "const %s ", g->real) : "",
             read_stored(g, t->e, x).s, elem_def(g, t->e, x).s);
    } else if (streamed(g, w, k)) { /* row i of a large output */
        ix x = mkix(0, "i", "j");
        const char *cols = D(g, t->e->shape.cols);
        use_kernel(g, K_STREAM);
        line(b, lv, "if (SG_STREAM_BIG(%s)) /* larger than the caches: see sg_stream */",
             len_c(g, t->e->shape));
        line(b, lv + 1, "for (long sg_jb = 0; sg_jb < %s; sg_jb += SG_CHUNK) {", cols);
        line(b, lv + 2, "%s sg_chunk[SG_CHUNK];", g->real);
        line(b, lv + 2, "const long sg_nj = %s - sg_jb < SG_CHUNK ? %s - sg_jb : SG_CHUNK;", cols,
             cols);
        line(b, lv + 2, "for (long j = sg_jb; j < sg_jb + sg_nj; j++)");
        line(b, lv + 3, "sg_chunk[j - sg_jb] = %s;", elem_def(g, t->e, x).s);
        line(b, lv + 2, "sg_stream(sg_nj, sg_chunk, %s + i*%s + sg_jb);", ptr(g, t->e), cols);
        line(b, lv + 1, "}");
        line(b, lv, "else");
        line(b, lv + 1, "for (long j = 0; j < %s; j++)", cols);
        line(b, lv + 2, "%s = %s;", read_stored(g, t->e, x).s, elem_def(g, t->e, x).s);
    } else { /* row i */
        ix x = mkix(0, "i", "j");
        line(b, lv, "for (long j = 0; j < %s; j++)", D(g, t->e->shape.cols));
        line(b, lv + 1, "%s = %s;", read_stored(g, t->e, x).s, elem_def(g, t->e, x).s);
    }
    if (cond)
        line(b, --lv, "}");
}

/* the member of w that is σ(X) when member k is swish(X), or swish(X) when it
   is σ(X), both made by rows: they share one exponential; else -1 */
static int sigmoid_twin(G *g, const sweep *w, int k)
{
    const sg_expr *e = g->sc->it[w->member[k]].e, *f;
    int j;
    if (w->kind[k] != SW_ROW || (e->op != SG_OP_SWISH && e->op != SG_OP_SIGMOID))
        return -1;
    for (j = 0; j < w->n; j++) {
        f = g->sc->it[w->member[j]].e;
        if (j != k && w->kind[j] == SW_ROW && f->kid[0] == e->kid[0] &&
            ((e->op == SG_OP_SWISH && f->op == SG_OP_SIGMOID) ||
             (e->op == SG_OP_SIGMOID && f->op == SG_OP_SWISH)))
            return j;
    }
    return -1;
}

/* swish(X) = X ⊙ σ(X) and σ(X) at row i of a sweep, from one σ per entry */
static void emit_swish_pair(G *g, sg_buf *b, int lv, const sweep *w, int k, int k2)
{
    const item *ta = &g->sc->it[w->member[k]], *tb = &g->sc->it[w->member[k2]];
    const item *sw = ta->e->op == SG_OP_SWISH ? ta : tb, *sg = sw == ta ? tb : ta;
    const node *nsw = L(g, sw->e), *nsg = L(g, sg->e);
    const int vec = is_one(sw->e->shape.cols);
    const ix x = vec ? mkix(0, "i", "0") : mkix(0, "i", "j");
    const sg_mask *both = sg_mask_union(g->sc->mt, sw->mask, sg->mask);
    const int open = both != w->mask, cw = sw->mask != both, cs = sg->mask != both;
    cx xv;
    /* a member kept per row (rowvar: one value of the row loop, read by the
       members after it) is a local of the loop, set inside the block below:
       declared here (it was assigned undeclared, smith p30599) */
    if (nsw->rowvar)
        line(b, lv, "%s %s = 0;", g->real, nsw->cname);
    if (nsg->rowvar)
        line(b, lv, "%s %s = 0;", g->real, nsg->cname);
    if (open)
        line(b, lv++, "if (%s) {", condition(g, both, 0));
    line(b, lv, "/* %s = %s and %s = %s: one σ for both  (%s) */",
         nsw->out >= 0 ? out_name(g, nsw->out) : nsw->fname, formula(g, sw->e),
         nsg->out >= 0 ? out_name(g, nsg->out) : nsg->fname, formula(g, sg->e),
         shape_text(g, sw->e->shape));
    if (vec)
        line(b, lv++, "{");
    else
        line(b, lv++, "for (long j = 0; j < %s; j++) {", D(g, sw->e->shape.cols));
    use_kernel(g, K_SIGMOID);
    xv = elem(g, sw->e->kid[0], x);
    line(b, lv, "const %s %s = sg_sigmoid(%s);", g->real, g->tmpname, xv.s);
    if (cw)
        line(b, lv, "if (%s)", condition(g, sw->mask, 0));
    line(b, lv + cw, "%s = %s * %s;", read_stored(g, sw->e, x).s, par(g, xv, C_MUL), g->tmpname);
    if (cs)
        line(b, lv, "if (%s)", condition(g, sg->mask, 0));
    line(b, lv + cs, "%s = %s;", read_stored(g, sg->e, x).s, g->tmpname);
    line(b, --lv, "}");
    if (open)
        line(b, --lv, "}");
}
/* a sweep: the sums z = Wᵀu set to 0, then one loop over W's rows for every member */
static void emit_sweep(G *g, sg_buf *b, int lv, const sweep *w)
{
    const char *m = D(g, w->rows);
    int k;
    if (w->pair) { /* softmax and logsoftmax from one set of exponentials */
        node *s0 = L(g, g->sc->it[w->member[0]].e), *s1 = L(g, g->sc->it[w->member[1]].e);
        node *sm = s0->e->op == SG_OP_SOFTMAX ? s0 : s1, *ls = sm == s0 ? s1 : s0;
        const ref *A = &sm->r[0];
        const sg_expr *x = sm->e->kid[0];
        line(b, lv, "/* %s = %s and %s = %s  (%s) */", sm->fname, formula(g, sm->e), ls->fname,
             formula(g, ls->e), shape_text(g, sm->e->shape));
        use_kernel(g, K_SOFTMAX2);
        line(b, lv, "sg_softmax2(%s, %s, %s, %s, %s, %s, %s);", D(g, x->shape.rows),
             D(g, x->shape.cols), ptr(g, A->e), A->trans ? "1" : D(g, A->e->shape.cols),
             A->trans ? D(g, A->e->shape.cols) : "1", sm->cname, ls->cname);
        return;
    }
    if (w->W)
        line(b, lv, "/* one pass over the rows of %s for %d statements */", formula(g, w->W), w->n);
    else
        line(b, lv, "/* %d statements a row at a time: one pass over their memory */", w->n);
    for (k = 0; k < w->n; k++) {
        const item *t = &g->sc->it[w->member[k]];
        if (w->kind[k] == SW_AXPY) {
            int cond = t->mask != w->mask;
            if (cond)
                line(b, lv, "if (%s)", condition(g, t->mask, 0));
            line(b, lv + cond, "for (long i = 0; i < %s; i++)", len_c(g, t->e->shape));
            line(b, lv + cond + 1, "%s = %s;", vec_at(g, t->e, "i").s, lit(g, 0).s);
        }
    }
    /* zeroed, though every element is written before it is read: gcc -O1 cannot
       tell that (i | 3) < n follows a sg_dot4 at i & ~3 when n is a literal < 4,
       and warns "may be used uninitialized" (four stores, outside the loop) */
    for (k = 0; k < w->n && !long_eval(g); k++)
        if (w->kind[k] == SW_DOT) /* the four rows' products, from sg_dot4 */
            line(b, lv, "%s sg_d%d[4] = {0};", g->real, w->member[k]);
        else if (w->kind[k] == SW_AXPY) /* the scales of the last rows, for sg_axpy4 */
            line(b, lv, "%s sg_a%d[4] = {0};", g->real, w->member[k]);
    line(b, lv, "for (long i = 0; i < %s; i++) {", m);
    if (w->W)
        line(b, lv + 1, "const %s *%s = %s + i*%s;", g->real, g->rowname, ptr(g, w->W),
             D(g, w->W->shape.cols));
    for (k = 0; k < w->n; k++) {
        const int k2 = sigmoid_twin(g, w, k);
        if (k2 >= 0 && k2 < k)
            continue; /* done with its twin */
        if (k2 >= 0)
            emit_swish_pair(g, b, lv + 1, w, k, k2);
        else
            emit_sweep_member(g, b, lv + 1, w, k);
    }
    line(b, lv, "}");
    for (k = 0; k < w->n && !long_eval(g); k++) /* the last m % 4 rows of each Wᵀu */
        if (w->kind[k] == SW_AXPY) {
            const item *t = &g->sc->it[w->member[k]];
            const int cond = t->mask != w->mask;
            if (cond)
                line(b, lv, "if (%s)", condition(g, t->mask, 0));
            line(b, lv + cond, "for (long i = %s - %s %% 4; i < %s; i++) /* the rows left of %s */",
                 m, m, m, L(g, t->e)->cname);
            line(b, lv + cond + 1, "sg_axpy(%s, sg_a%d[i %% 4], %s + i*%s, %s);",
                 D(g, w->W->shape.cols), w->member[k], ptr(g, w->W), D(g, w->W->shape.cols),
                 L(g, t->e)->cname);
        }
    for (k = 0; k < w->n; k++)
        if (sigmoid_twin(g, w, k) < 0 && streamed(g, w, k)) {
            line(b, lv, "if (SG_STREAM_BIG(%s))", len_c(g, g->sc->it[w->member[k]].e->shape));
            line(b, lv + 1, "sg_stream_end();");
        }
}

/* the statements of the schedule being printed, at level lv0 */
static void emit_body(G *g, sg_buf *b, int lv0)
{
    int pos, open = 0, lv = lv0, prev = -1;
    if (g->sc != &g->top) /* a loop's locals read across its blocks */
        for (pos = 0; pos < g->sc->nit; pos++) {
            item *t = &g->sc->it[g->sc->order[pos]];
            node *n = L(g, t->e);
            if (t->kind == IT_NODE && n->local && n->top)
                line(b, lv0, "%s %s = %s; /* %s */", g->real, n->cname, lit(g, 0).s,
                     formula(g, t->e));
        }
    for (pos = 0; pos < g->sc->nit; pos++) {
        item *t = &g->sc->it[g->sc->order[pos]];
        if (t->block != prev) {
            if (open)
                line(b, lv0, "}");
            if (prev >= 0)
                sg_buf_putc(b, '\n');
            open = !always(g, t->mask);
            if (open)
                line(b, lv0, "if (%s) {", condition(g, t->mask, 0));
            lv = open ? lv0 + 1 : lv0;
            prev = t->block;
        }
        if (t->lead >= 0) /* printed by its sweep */
            continue;
        if (t->sweep >= 0)
            emit_sweep(g, b, lv, &g->sweeps[t->sweep]);
        else if (t->kind == IT_OUTPUT && g->sc == &g->top)
            emit_output(g, b, lv, t);
        else if (t->kind == IT_OUTPUT)
            emit_piece(g, b, lv, t);
        else if (L(g, t->e)->mat)
            emit_mat(g, b, lv, L(g, t->e));
        else
            emit_local(g, b, lv, L(g, t->e));
    }
    if (open)
        line(b, lv0, "}");
}


/* the end of what vectorize.h started */
static const char vec_pop[] = "#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER)\n"
                              "#pragma GCC pop_options\n#endif\n";

/* the longest formula line in a comment, in bytes */
#define MAX_COMMENT 1000

/* the first n bytes of s for a comment: cut at a character boundary past
   MAX_COMMENT (--formulas has it all) */
static const char *comment_line(G *g, const char *s, size_t n)
{
    size_t k = n;
    if (k > MAX_COMMENT) {
        k = MAX_COMMENT;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
    }
    return fmt(g, "%s%s", comment_safe(g, sg_arena_strndup(g->ar, s, k)), k < n ? " …" : "");
}

/* the line of the formulas (--formulas) that defines sequence q at its
   first step (h[0] = h₀) or at t; NULL if there is none */
static const char *seq_line(G *g, int q, int at_t)
{
    sg_buf pre;
    const char *s, *r = NULL;
    sg_buf_init(&pre);
    sg_fmt_name(&pre, sg_seq_of(g->ctx, q)->name, 0);
    sg_buf_putc(&pre, '[');
    for (s = g->formulas; s && *s && !r;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n > pre.len && !strncmp(s, sg_buf_str(&pre), pre.len) &&
            (strncmp(s + pre.len, "t] = ", 5) == 0) == at_t)
            r = comment_line(g, s, n);
        s += n + (nl ? 1 : 0);
    }
    sg_buf_free(&pre);
    return r;
}

static int by_seq_off(const void *x, const void *y)
{
    const stepname *a = *(const stepname *const *)x, *b = *(const stepname *const *)y;
    if (a->seq != b->seq)
        return a->seq - b->seq;
    return a->off < b->off ? -1 : a->off > b->off;
}

/*
 * A loop over t:
 *     h[0] = init; for t = lo … hi: h[t] = body(t)
 *     for t = hi down to lo − 1: δ[t] = 0; δ[t] += each piece that runs at t
 *     Σ = 0; for t = lo … hi: Σ += body(t)
 * Its body is printed first: that tells which step pointers it reads.
 */
static void emit_loop(G *g, sg_buf *b, int lv, node *n, const char *decl)
{
    loopinfo *lp = &g->loops[n->loop];
    scope *outer = g->sc;
    sg_index zero = sg_index_make(-1, 0);
    stepname **used;
    sg_buf body;
    const char *own = NULL, *c;
    int i, k, nused = 0, at;
    ix x;
    if (lp->seq >= 0) {
        const sg_seq *sq = sg_seq_of(g->ctx, lp->seq);
        if (sq->kind == SG_SEQ_FORWARD) { /* h[lo − 1] = init */
            c = seq_line(g, lp->seq, 0);
            line(b, lv, "/* %s */", c ? c : fmt(g, "%s[%s] = %s", n->fname,
                                                 index_text(g, sg_index_plus(sq->lo, -1)),
                                                 formula(g, sq->init)));
            if (scalar(sq->init)) {
                line(b, lv, "%s[0] = %s;", n->cname, sval(g, sq->init).s);
            } else {
                at = open_loops(g, b, lv, sq->shape, flat_ok(g, sq->init), &x, 0);
                line(b, at, "%s = %s;", entry(g, n->cname, NULL, sq->shape, x).s,
                     elem(g, sq->init, x).s);
            }
        }
        for (k = 0; k < lp->nsums; k++) { /* the Σs it sums as it goes: 0 first */
            const sg_expr *se = lp->sums[k];
            node *m = N(g, se);
            int part = top_mask(g, se) != top_mask(g, n->e);
            line(b, lv, "/* %s = %s, summed below */", m->out >= 0 ? result_name(g, m->out) : m->fname,
                 formula(g, se));
            if (m->local)
                continue; /* a local, declared 0 */
            if (part)
                line(b, lv, "if (%s)", out_cond(g, top_mask(g, se), 0));
            at = open_loops(g, b, lv + part, se->shape, 1, &x, 0);
            line(b, at, "%s = %s;", read_stored(g, se, x).s, lit(g, 0).s);
        }
        c = seq_line(g, lp->seq, 1);
        line(b, lv, "/* %s */", c ? c : fmt(g, "%s[t] = %s", n->fname, formula(g, sq->body)));
    } else { /* Σ = 0 */
        line(b, lv, "/* %s = %s */", n->out >= 0 ? result_name(g, n->out) : n->fname,
             formula(g, n->e));
        if (n->local) {
            line(b, lv, "%s%s = %s;", decl, n->cname, lit(g, 0).s);
        } else {
            at = open_loops(g, b, lv, n->e->shape, 1, &x, 0);
            line(b, at, "%s = %s;", read_stored(g, n->e, x).s, lit(g, 0).s);
        }
    }

    /* the body, with the step it makes (in place when nothing else reads it) */
    for (i = 0; i < g->nsteps; i++)
        g->steps[i].used = 0;
    if (lp->seq >= 0) {
        stepname *sp = step_ptr(g, lp->seq, 0);
        sp->used = 1;
        own = sp->name;
        for (k = 0; k < lp->npc; k++) {
            node *r = &lp->body->ni[lp->pc[k].value->id];
            if (r->reach && !r->ext && r->out >= 0)
                r->cname = own;
        }
    }
    sg_buf_init(&body);
    g->sc = lp->body;
    emit_body(g, &body, lv + 1);
    g->sc = outer;

    if (lp->down)
        line(b, lv, "for (long t = %s; t >= %s; t--) {", lin_c(g, 0, lp->hi, zero),
             lin_c(g, 0, lp->lo, zero));
    else
        line(b, lv, "for (long t = %s; t <= %s; t++) {", lin_c(g, 0, lp->lo, zero),
             lin_c(g, 0, lp->hi, zero));
    used = sg_xmalloc((size_t)(g->nsteps + 1) * sizeof *used);
    for (i = 0; i < g->nsteps; i++)
        if (g->steps[i].used)
            used[nused++] = &g->steps[i];
    qsort(used, (size_t)nused, sizeof *used, by_seq_off);
    for (i = 0; i < nused; i++) {
        const stepname *sp = used[i];
        const char *off = scaled(g, lin_c(g, 1, sg_index_make(-1, sp->off),
                                          sg_seq_first(g->ctx, sp->seq)),
                                 sg_seq_of(g->ctx, sp->seq)->shape);
        line(b, lv + 1, "%s%s *const %s = %s%s%s;", sp->name == own ? "" : "const ", g->real,
             sp->name, seq_base(g, sp->seq), off ? " + " : "", off ? off : "");
    }
    free(used);
    if (lp->down) { /* δ[t] = 0, then each piece that runs at t adds to it */
        const sg_shape sh = sg_seq_of(g->ctx, lp->seq)->shape;
        if (sg_shape_is_scalar(sh)) {
            line(b, lv + 1, "%s[0] = %s;", own, lit(g, 0).s);
        } else {
            at = open_loops(g, b, lv + 1, sh, 1, &x, 0);
            line(b, at, "%s = %s;", entry(g, own, NULL, sh, x).s, lit(g, 0).s);
        }
    }
    sg_buf_puts(b, sg_buf_str(&body));
    sg_buf_free(&body);
    line(b, lv, "}");
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
    sg_buf_puts(b, " * Generated code, including the kernels copied from symgrad's templates, "
                   "is yours to use, modify and distribute without conditions.\n");
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

/* what input s holds: its shape, or a sequence's steps: x[1], …, x[T]  (T steps of k) */
static const char *input_text(G *g, int s)
{
    const sg_symbol *sym = sg_sym(g->ctx, s);
    const sg_seq *sq;
    sg_buf nb;
    const char *name, *count;
    if (sym->seq < 0)
        return shape_text(g, sym->shape);
    sq = sg_seq_of(g->ctx, sym->seq);
    sg_buf_init(&nb);
    sg_fmt_name(&nb, sym->name, 0);
    name = sg_arena_strdup(g->ar, sg_buf_str(&nb));
    sg_buf_free(&nb);
    count = sq->lo.dim < 0 ? index_text(g, sg_index_plus(sq->hi, 1 - sq->lo.off)) : "the";
    return fmt(g, "%s[%s], …, %s[%s]  (%s %s)", name, index_text(g, sq->lo), name,
               index_text(g, sq->hi), count,
               sg_shape_is_scalar(sym->shape) ? "numbers"
                                              : fmt(g, "steps of %s", shape_text(g, sym->shape)));
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
        sg_buf_printf(b, "    long %s;", g->dimfield[d]);
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
        size_t l = strlen(T) + strlen(g->fieldname[s]) + 13; /* "    const T *name;" */
        if (l > w)
            w = l;
    }
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        start = b->len;
        sg_buf_printf(b, "    const %s *%s;", T, g->fieldname[s]);
        pad(b, start, w);
        sg_buf_printf(b, "/* %s */\n", input_text(g, s));
    }
    if (sg_nsyms(g->ctx) == 0)
        sg_buf_puts(b, "    int unused; /* the problem has no inputs */\n");
    sg_buf_printf(b, "} %s_in;\n\n", P);

    sg_buf_puts(b, "/* the results; a NULL pointer skips the result and the work only it needs */\n"
                   "typedef struct {\n");
    w = 0;
    for (r = 0; r < g->nres; r++) {
        size_t l = strlen(T) + strlen(g->resname[r]) + 7; /* "    T *name;" */
        if (l > w)
            w = l;
    }
    for (r = 0; r < g->nres; r++) {
        start = b->len;
        sg_buf_printf(b, "    %s *%s;", T, g->resname[r]);
        pad(b, start, w);
        sg_buf_printf(b, "/* %s, %s */\n", result_name(g, r),
                      shape_text(g, g->p->results[r].expr->shape));
    }
    sg_buf_printf(b, "} %s_out;\n\n", P);

    sg_buf_printf(b, "/* the bytes of scratch memory %s_eval needs for these dimensions */\n", P);
    sg_buf_printf(b, "size_t %s_work_size(const %s_dims *dims);\n\n", P, P);
    sg_buf_printf(b, "/*\n * Computes the results whose pointers in out are not NULL, and only "
                     "the work they\n * need. work holds at least %s_work_size(dims) bytes, "
                     "aligned for %s.\n"
                     " * No result may overlap an input, another result or work: results are "
                     "written\n * while inputs are still read (as BLAS's C in C = AB + C may "
                     "not overlap A or B).\n * Inputs may overlap one another.\n"
                     " * Returns %s_OK",
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
        else if (end - at - 1 == 1 && at[1] == 'b') /* a BLAS name: cblas_dgemm, cblas_sgemm */
            sg_buf_puts(b, g->fsuf[0] ? "s" : "d");
        else if (end - at - 1 == 4 && !strncmp(at + 1, "simd", 4)) /* _mm_stream_pd, _ps */
            sg_buf_puts(b, g->fsuf[0] ? "ps" : "pd");
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

/* how many inverses, dets and logdets are reachable from e (through the
   sequences it reads too): a bound on the factors */
static unsigned count_la(G *g, const sg_ctx *ctx, const sg_expr *e, unsigned char *seen,
                         unsigned char *seqseen)
{
    unsigned c = 0;
    int i;
    if (seen[e->id])
        return 0;
    seen[e->id] = 1;
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_INV && !scalar(e->kid[0])) {
        if (g->nsolves == g->capsolves) { /* A⁻¹W, for reassociated_solve() */
            g->capsolves = g->capsolves ? 2 * g->capsolves : 8;
            g->solves = sg_xrealloc(g->solves, (size_t)g->capsolves * sizeof *g->solves);
        }
        g->solves[g->nsolves++] = e;
    }
    for (i = 0; i < e->nkids; i++)
        c += count_la(g, ctx, e->kid[i], seen, seqseen);
    if ((e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) && !seqseen[e->seq]) {
        const sg_seq *q = sg_seq_of(ctx, e->seq);
        seqseen[e->seq] = 1;
        if (q->init)
            c += count_la(g, ctx, q->init, seen, seqseen);
        if (q->body)
            c += count_la(g, ctx, q->body, seen, seqseen);
        for (i = 0; i < q->nterms; i++)
            c += count_la(g, ctx, q->terms[i].value, seen, seqseen);
    }
    return c + (e->op == SG_OP_INV || e->op == SG_OP_DET || e->op == SG_OP_LOGDET);
}

static G *prepare(const sg_problem *p, const sg_cgen_opts *o)
{
    G *g = sg_xmalloc(sizeof *g);
    int r, i, k, nseqs = sg_nseqs(p->ctx);
    char *pu;
    memset(g, 0, sizeof *g);
    g->p = p;
    g->o = o;
    g->ctx = p->ctx;
    g->ar = sg_arena_new();
    g->sc = &g->top;
    g->real = o->use_float ? "float" : "double";
    g->fsuf = o->use_float ? "f" : "";
    g->P = o->prefix ? o->prefix : p->prefix ? p->prefix : "sg";
    pu = sg_arena_strdup(g->ar, g->P);
    upper(pu);
    g->PU = pu;
    g->nres = p->nresults;
    g->nreal = sg_expr_count(p->ctx);
    {
        unsigned char *seen = sg_xmalloc(g->nreal + 1), *seqseen = sg_xmalloc((size_t)nseqs + 1);
        memset(seen, 0, g->nreal + 1);
        memset(seqseen, 0, (size_t)nseqs + 1);
        for (r = 0; r < g->nres; r++)
            g->nla += count_la(g, p->ctx, p->results[r].expr, seen, seqseen);
        free(seen);
        free(seqseen);
    }
    /* room for a factor per inverse, det, logdet; a node per sequence */
    g->nnodes = g->nreal + g->nla + (unsigned)nseqs;
    g->fac = sg_xmalloc((g->nla + 1) * sizeof *g->fac);
    g->fac_of = sg_xmalloc((g->nreal + 1) * sizeof *g->fac_of);
    for (i = 0; i < (int)g->nreal; i++)
        g->fac_of[i] = -1;
    g->seqnode = sg_arena_alloc(g->ar, ((size_t)nseqs + 1) * sizeof *g->seqnode);
    memset(g->seqnode, 0, ((size_t)nseqs + 1) * sizeof *g->seqnode);
    g->seqbuf = sg_arena_alloc(g->ar, ((size_t)nseqs + 1) * sizeof *g->seqbuf);
    memset(g->seqbuf, 0, ((size_t)nseqs + 1) * sizeof *g->seqbuf);
    scope_init(g, &g->top, -1);
    scope_bits(g, &g->top, g->nres);
    i = sg_ndims(p->ctx) + 1;
    g->dimname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimname);
    g->dimfix = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimfix);
    g->dimused = sg_arena_alloc(g->ar, (size_t)i);
    i = sg_nsyms(p->ctx) + 1;
    g->symname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->symname);
    g->fieldname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->fieldname);
    g->dimfield = sg_arena_alloc(g->ar, ((size_t)sg_ndims(p->ctx) + 1) * sizeof *g->dimfield);
    g->resname = sg_arena_alloc(g->ar, ((size_t)g->nres + 1) * sizeof *g->resname);
    g->symused = sg_arena_alloc(g->ar, (size_t)i);
    for (i = 0; i < o->nfixed; i++) {
        int d = sg_dim_find(p->ctx, o->fixed[i].name);
        if (d >= 0 && o->fixed[i].value > 0)
            g->dimfix[d] = o->fixed[i].value;
    }

    /* 1. plans: P_eval's, and each loop's as the results reach it */
    for (r = 0; r < g->nres; r++)
        reach(g, p->results[r].expr);
    if (g->unsupported)
        return g;
    for (r = 0; r < g->nres; r++) {
        node *n = N(g, p->results[r].expr);
        n->root = 1;
        n->uses++;
    }
    /* 2. storage: a loop's body reads what P_eval stores */
    decide(g);
    for (r = 0; r < g->nres; r++) { /* a root read by its result alone is computed in place */
        node *n = N(g, p->results[r].expr);
        if (n->mat && n->uses == 1)
            n->out = r;
    }
    for (k = 0; k < g->nloops; k++) {
        loopinfo *lp = &g->loops[k];
        g->sc = lp->body;
        scope_bits(g, lp->body, lp->npc);
        decide(g);
        for (r = 0; r < lp->npc; r++) { /* a step read by nothing else: made in place */
            node *n = L(g, lp->pc[r].value);
            if (lp->pc[r].kind == PC_STORE && n->reach && !n->ext && n->mat && n->uses == 1)
                n->out = r;
        }
        compute_masks(g);
        g->sc = &g->top;
    }
    /* 3. masks, 4. schedules, 5. work: each loop's step before P_eval's */
    compute_masks(g);
    strict_masks(g);
    for (k = 0; k < g->nloops && !g->unsupported; k++) {
        loopinfo *lp = &g->loops[k];
        g->sc = lp->body;
        schedule(g);
        if (!g->unsupported) {
            allocate(g);
            slots_before(lp->body, lp->body->nslots, &lp->temps);
        }
        g->sc = &g->top;
    }
    if (g->unsupported)
        return g;
    schedule(g);
    if (g->unsupported)
        return g;
    allocate(g);
    name_things(g);
    return g;
}

static void release(G *g)
{
    int k;
    for (k = 0; k < g->nloops; k++) {
        if (g->loops[k].body)
            scope_free(g->loops[k].body);
        free(g->loops[k].body);
        free(g->loops[k].pc);
        free(g->loops[k].reads);
        free(g->loops[k].sums);
        free(g->loops[k].temps.m);
    }
    free(g->loops);
    free(g->steps);
    scope_free(&g->top);
    sg_strmap_free(&g->taken);
    sg_strmap_free(&g->results);
    free(g->fac);
    free(g->fac_of);
    free(g->packs);
    free(g->needs);
    free(g->needtab);
    free(g->chains);
    for (k = 0; k < g->nsweeps; k++) {
        free(g->sweeps[k].member);
        free(g->sweeps[k].kind);
    }
    free(g->sweeps);
    free(g->solves);
    free(g->formulas);
    sg_arena_free(g->ar);
    free(g);
}

static char *source(const sg_problem *p, const sg_cgen_opts *o, size_t *len, char **why);

char *sg_cgen_source(const sg_problem *p, const sg_cgen_opts *o, size_t *len)
{
    char *why = NULL, *text = source(p, o, len, &why);
    free(why);
    return text;
}

char *sg_cgen_why(const sg_problem *p, const sg_cgen_opts *o)
{
    char *why = NULL;
    size_t len;
    free(source(p, o, &len, &why));
    return why;
}

size_t sg_cgen_masks(const sg_problem *p, const sg_cgen_opts *o)
{
    G *g = prepare(p, o);
    size_t n = sg_masks_nodes(g->top.mt);
    int k;
    for (k = 0; k < g->nloops; k++)
        if (g->loops[k].body)
            n += sg_masks_nodes(g->loops[k].body->mt);
    release(g);
    return n;
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
    const char *expr, **packs = sg_arena_alloc(g->ar, (size_t)(g->npacks + 1) * sizeof *packs);
    int d, k, any = 0, nterms = 0, mul = 0;
    const char **terms;
    slots_before(&g->top, g->top.nslots, &total);
    expr = poly_c(g, &total, used);
    terms = sg_arena_alloc(g->ar, (size_t)(total.n + 1) * sizeof *terms);
    for (k = 0; k < g->npacks; k++)
        packs[k] = pack_text(g, &g->packs[k], used);
    for (k = 0; k < total.n; k++) /* each a sum of products that saturates */
        if (total.m[k].coef != 0) {
            terms[nterms] = mono_sat(g, &total.m[k], used);
            mul |= strstr(terms[nterms++], "sg_size_mul") != NULL;
        }
    if (nterms)
        sg_buf_printf(b, "/* a+b%s, or SIZE_MAX when the true value is larger */\n"
                         "static size_t sg_size_add(size_t a, size_t b)\n{\n"
                         "    return a > (size_t)-1 - b ? (size_t)-1 : a + b;\n}\n\n",
                      mul ? " and a*b" : "");
    if (mul)
        sg_buf_puts(b, "static size_t sg_size_mul(size_t a, size_t b)\n{\n"
                       "    return b && a > (size_t)-1 / b ? (size_t)-1 : a * b;\n}\n\n");
    sg_buf_printf(b, "/* %d buffer%s of %s: see the top of %s_eval */\n", g->sc->nslots,
                  g->sc->nslots == 1 ? "" : "s", g->real, g->P);
    sg_buf_printf(b, "size_t %s_work_size(const %s_dims *dims)\n{\n", g->P, g->P);
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        if (!used[d])
            continue;
        any |= !g->dimfix[d];
        if (g->dimfix[d])
            line(b, 1, "const long %s = %ld;", g->dimname[d], g->dimfix[d]);
        else
            line(b, 1, "const long %s = dims->%s;", g->dimname[d], g->dimfield[d]);
    }
    if (!any)
        line(b, 1, "(void)dims;");
    if (g->npacks == 1) {
        line(b, 1, "const size_t pack = (size_t)%s; /* for the kernels to pack blocks */",
             packs[0]);
    } else if (g->npacks > 1) {
        line(b, 1, "size_t pack = 0; /* for the kernels to pack blocks: the most any needs */");
        for (k = 0; k < g->npacks; k++) {
            line(b, 1, "if ((size_t)%s > pack)", packs[k]);
            line(b, 2, "pack = (size_t)%s;", packs[k]);
        }
    }
    if (nterms == 0 && !g->npacks) {
        line(b, 1, "return 0;");
    } else if (nterms == 0) {
        line(b, 1, "return sizeof(%s) * pack;", g->real);
    } else {
        /* counted in size_t that saturates: never a wrapped size, and no
           floating point in the function */
        line(b, 1, "size_t reals = %s; /* %s%s */", g->npacks ? "pack" : "0", expr,
             g->npacks ? " + pack" : "");
        for (k = 0; k < nterms; k++)
            line(b, 1, "reals = sg_size_add(reals, %s);", terms[k]);
        line(b, 1, "if (reals > (size_t)-1 / sizeof(%s))", g->real);
        line(b, 2, "return (size_t)-1; /* more bytes than a size_t counts */");
        line(b, 1, "return sizeof(%s) * reals;", g->real);
    }
    sg_buf_puts(b, "}\n");
    free(total.m);
}

/* the declaration of a buffer at offset o of scratch, and its comment */
typedef struct {
    const char *decl;
    scope *sc;
    const sg_expr *e;
} bufdecl;

static void add_decl(G *g, bufdecl *d, int *n, scope *sc, const sg_expr *e, const char *name,
                     poly *o)
{
    d[*n].decl = fmt(g, "    %s *const %s = scratch%s%s;", g->real, name, o->n ? " + " : "",
                     o->n ? poly_c(g, o, g->dimused) : "");
    d[*n].sc = sc;
    d[*n].e = e;
    (*n)++;
}

/* every buffer of P_eval, in the order they are first written; the
   temporaries of a loop's step after the loop's own */
static void buffer_decls(G *g, sg_buf *bufs)
{
    int pos, k, n = 0, cap = g->top.nit + 1;
    bufdecl *d;
    size_t w = 0;
    for (pos = 0; pos < g->top.nit; pos++) {
        node *m = &g->top.ni[g->top.it[pos].e->id];
        if (m->plan == PL_LOOP)
            cap += g->loops[m->loop].body->nit + g->loops[m->loop].nsums;
    }
    d = sg_xmalloc((size_t)cap * sizeof *d);
    for (pos = 0; pos < g->top.nit; pos++) {
        item *t = &g->top.it[g->top.order[pos]];
        node *m = &g->top.ni[t->e->id];
        poly o = {NULL, 0};
        if (t->kind != IT_NODE)
            continue;
        if (m->slot >= 0) {
            slots_before(&g->top, m->slot, &o);
            add_decl(g, d, &n, &g->top, t->e, m->cname, &o);
            free(o.m);
        }
        if (m->plan == PL_LOOP) /* the Σs it sums */
            for (k = 0; k < g->loops[m->loop].nsums; k++) {
                const sg_expr *se = g->loops[m->loop].sums[k];
                node *v = &g->top.ni[se->id];
                if (v->slot < 0)
                    continue;
                o.m = NULL;
                o.n = 0;
                slots_before(&g->top, v->slot, &o);
                add_decl(g, d, &n, &g->top, se, v->cname, &o);
                free(o.m);
            }
        if (m->plan == PL_LOOP && g->loops[m->loop].region >= 0) {
            scope *body = g->loops[m->loop].body;
            for (k = 0; k < body->nit; k++) {
                item *u = &body->it[body->order[k]];
                node *v = &body->ni[u->e->id];
                if (u->kind != IT_NODE || v->slot < 0)
                    continue;
                o.m = NULL;
                o.n = 0;
                slots_before(&g->top, g->loops[m->loop].region, &o);
                slots_before(body, v->slot, &o);
                add_decl(g, d, &n, body, u->e, v->cname, &o);
                free(o.m);
            }
        }
    }
    for (k = 0; k < n; k++)
        if (strlen(d[k].decl) > w)
            w = strlen(d[k].decl);
    for (k = 0; k < n; k++) {
        size_t start = bufs->len;
        sg_buf_puts(bufs, d[k].decl);
        pad(bufs, start, w);
        g->sc = d[k].sc;
        sg_buf_printf(bufs, "/* %s  (%s) */\n", formula(g, d[k].e), buffer_text(g, d[k].e));
        g->sc = &g->top;
    }
    free(d);
}

static void eval_fn(G *g, sg_buf *out)
{
    sg_buf body, bufs, checks;
    const char *line_start;
    int d, s, i, pos, any_dim = 0, any_sym = 0, any_array = 0, any_full = 0;

    need_names(g);
    sg_buf_init(&body);
    emit_body(g, &body, 1);

    /* the function's comment: what it computes */
    sg_buf_puts(out, "/*\n");
    for (line_start = g->formulas; *line_start;) {
        const char *nl = strchr(line_start, '\n');
        size_t n = nl ? (size_t)(nl - line_start) : strlen(line_start);
        sg_buf_printf(out, " *   %s\n", comment_line(g, line_start, n));
        line_start += n + (nl ? 1 : 0);
    }
    sg_buf_puts(out, " */\n");
    sg_buf_printf(out, "int %s_eval(const %s_dims *dims, const %s_in *in, %s_out *out, "
                       "void *work)\n{\n",
                  g->P, g->P, g->P, g->P);

    /* the buffers, printed first since their offsets may use dimensions too */
    sg_buf_init(&bufs);
    buffer_decls(g, &bufs);

    /* dimensions, inputs, the scratch memory, then the buffers in it */
    sg_buf_init(&checks);
    for (d = 0; d < sg_ndims(g->ctx); d++) {
        const char *f = sg_diminfo_of(g->ctx, d)->name ? g->dimfield[d]
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
        if (!sg_shape_is_scalar(sg_sym(g->ctx, s)->shape) || sg_sym(g->ctx, s)->seq >= 0)
            any_array = 1;
    }
    if (any_array || g->sc->nslots || g->npacks)
        line(out, 1, "static %s sg_empty[1]; /* for a NULL pointer to an empty array */", g->real);
    for (s = 0; s < sg_nsyms(g->ctx); s++) {
        if (!g->symused[s])
            continue;
        if (sg_shape_is_scalar(sg_sym(g->ctx, s)->shape) && sg_sym(g->ctx, s)->seq < 0)
            line(out, 1, "const %s %s = *in->%s;", g->real, g->symname[s], g->fieldname[s]);
        else
            line(out, 1, "const %s *%s = in->%s ? in->%s : sg_empty;", g->real, g->symname[s],
                 g->fieldname[s], g->fieldname[s]);
    }
    if (g->sc->nslots || g->npacks)
        line(out, 1, "%s *const scratch = work ? (%s *)work : sg_empty;", g->real, g->real);
    sg_buf_puts(out, sg_buf_str(&bufs));
    if (g->npacks) { /* after every buffer: P_work_size adds its size last */
        poly o = {NULL, 0};
        slots_before(&g->top, g->top.nslots, &o);
        line(out, 1, "%s *const pack = scratch%s%s; /* room for the kernels to pack blocks */",
             g->real, o.n ? " + " : "", o.n ? poly_c(g, &o, g->dimused) : "");
        free(o.m);
    }
    for (pos = 0; pos < g->sc->nit; pos++) {
        item *t = &g->sc->it[g->sc->order[pos]];
        node *n = N(g, t->e);
        if (t->kind == IT_NODE && n->local && n->top)
            line(out, 1, "%s %s = %s; /* %s */", g->real, n->cname, lit(g, 0).s, formula(g, t->e));
        if (t->kind == IT_NODE && n->plan == PL_LOOP) /* the Σs an adjoint's loop sums */
            for (i = 0; i < g->loops[n->loop].nsums; i++) {
                const sg_expr *se = g->loops[n->loop].sums[i];
                if (N(g, se)->local)
                    line(out, 1, "%s %s = %s; /* %s */", g->real, N(g, se)->cname, lit(g, 0).s,
                         formula(g, se));
            }
    }
    for (i = 0; i < g->sc->nit; i++)
        if (g->sc->it[i].mask == g->sc->full)
            any_full = 1;

    if (!any_dim || !any_sym || !(g->sc->nslots || g->npacks)) {
        sg_buf_putc(out, '\n');
        if (!any_dim)
            line(out, 1, "(void)dims;");
        if (!any_sym)
            line(out, 1, "(void)in;");
        if (!(g->sc->nslots || g->npacks))
            line(out, 1, "(void)work;");
    }
    if (checks.len) { /* the dimensions fixed when generating */
        sg_buf_putc(out, '\n');
        line(out, 1, "if (%s)", sg_buf_str(&checks));
        line(out, 2, "return %s_EDIMS;", g->PU);
    }
    need_decls(g, out);
    if (any_full) {
        sg_buf_putc(out, '\n');
        line(out, 1, "if (%s)", condition(g, g->sc->full, 1));
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
    if (!g->results_in) { /* a map, not a scan per result: --check of 20,000 results */
        for (r = 0; r < g->nres; r++) {
            const sg_result *x = &g->p->results[r];
            const char *xof = x->of ? x->of : x->cname;
            sg_strmap_put(&g->results, fmt(g, "%d|%s", (int)x->kind, xof), r);
            if (x->wrt)
                sg_strmap_put(&g->results, fmt(g, "%d|%s|%s", (int)x->kind, xof, x->wrt), r);
        }
        g->results_in = 1;
    }
    if (!of)
        return -1;
    return sg_strmap_get(&g->results, wrt ? fmt(g, "%d|%s|%s", (int)kind, of, wrt)
                                          : fmt(g, "%d|%s", (int)kind, of));
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

/* how many steps input s holds with the dimensions dv: hi − lo + 1 for a
   sequence, else 1 */
static long steps_of(G *g, int s, const long *dv)
{
    const sg_symbol *sym = sg_sym(g->ctx, s);
    const sg_seq *sq;
    long lo, hi;
    if (sym->seq < 0)
        return 1;
    sq = sg_seq_of(g->ctx, sym->seq);
    lo = (sq->lo.dim >= 0 ? dv[sq->lo.dim] : 0) + sq->lo.off;
    hi = (sq->hi.dim >= 0 ? dv[sq->hi.dim] : 0) + sq->hi.off;
    return hi >= lo ? hi - lo + 1 : 0;
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
    const char *h1 = g->o->use_float ? "5e-3" : "1e-6", *h2 = g->o->use_float ? "2e-1" : "2e-2";
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
                          g->resname[r]);
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
            sg_buf_printf(b, "    sg_c.dims.%s = %ld;\n", g->dimfield[d],
                          dv[d]);
    for (s = 0; s < ns; s++) {
        sg_buf_printf(b, "    sg_x[%d] = sg_check_alloc(%ld);\n", s,
                      NUMEL(sg_sym(g->ctx, s)->shape) * steps_of(g, s, dv));
        sg_buf_printf(b, "    sg_c.in.%s = sg_x[%d];\n", g->fieldname[s], s);
    }
    if (!ns)
        sg_buf_puts(b, "    (void)sg_check_fill;\n");
    for (r = 0; r < g->nres; r++) {
        sg_buf_printf(b, "    sg_r[%d] = sg_check_alloc(%ld);\n", r,
                      NUMEL(g->p->results[r].expr->shape));
        sg_buf_printf(b, "    sg_o.%s = sg_r[%d];\n", g->resname[r], r);
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
        long steps = steps_of(g, s, dv);
        if (k && steps != 1) /* each step as declared */
            sg_buf_printf(b, "        for (sg_k = 0; sg_k < %ld; sg_k++)\n"
                             "            sg_check_fill(sg_x[%d] + sg_k * %ld, %ld, %ld, %d, &sg_seed);\n",
                          steps, s, NUMEL(sh), ROWS(sh), dv[sh.cols], k);
        else /* every step at once: its steps are the rows of one matrix */
            sg_buf_printf(b, "        sg_check_fill(sg_x[%d], %ld, %ld, %s, &sg_seed);\n", s,
                          ROWS(sh) * steps, dv[sh.cols], k ? fmt(g, "%d", k) : "sg_try ? 4 : 0");
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
                          g->resname[fres[r]], sg_sym(g->ctx, ys)->name);
            sg_buf_printf(b, "        sg_err = sg_check_jacobian(sg_check_run, &sg_c, %d, %ld, "
                             "sg_x[%d], %ld, %ld, %d, sg_r[%d],\n"
                             "                                   %s, sg_fp, sg_fm);\n",
                          fres[r], NUMEL(g->p->results[fres[r]].expr->shape), ys, NUMEL(ysh),
                          ROWS(ysh), fill_kind(g, ys), r, h1);
            sg_buf_printf(b, "        sg_bad |= sg_check_report(\"%s\", sg_err, %s);\n", name, tol);
        } else {
            sg_shape xsh = sg_sym(g->ctx, xs)->shape, ysh = sg_sym(g->ctx, ys)->shape;
            sg_buf_printf(b, "        /* %s: second differences of %s along %s and %s */\n",
                          name, g->resname[fres[r]], sg_sym(g->ctx, xs)->name,
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

/*
 * With every dimension of the work size known when generating (numbers and
 * --dim values), is it more bytes than a size_t counts? The kernels' packing
 * room is bounded by a few blocks of the largest dimension, far below the
 * margin of half the range left here.
 */
static const char *work_overflow(G *g)
{
    poly total = {NULL, 0};
    unsigned long long v;
    const size_t real = g->o->use_float ? sizeof(float) : sizeof(double);
    const char *msg = NULL;
    unsigned char *used = sg_arena_alloc(g->ar, (size_t)sg_ndims(g->ctx) + 1);
    slots_before(&g->top, g->top.nslots, &total);
    if (poly_value(g, &total, (unsigned long long)((size_t)-1 / real / 2), &v) < 0)
        msg = fmt(g, "with the dimensions fixed by --dim, %s_work_size would be more bytes "
                  "than a size_t counts (%s reals of %s)", g->P, poly_c(g, &total, used),
                  g->real);
    free(total.m);
    return msg;
}

/* the .c file, or NULL with *why set (malloc'd) */
static char *source(const sg_problem *p, const sg_cgen_opts *o, size_t *len, char **why)
{
    G *g = prepare(p, o);
    sg_buf b, fns, evalf;
    int k;
    char *text;
    const char *msg = g->unsupported ? g->unsupported : work_overflow(g);
    if (!msg && o->header && !sg_cgen_include_ok(o->header))
        msg = "the header name cannot be written in #include \"…\"";
    if (msg) {
        *why = sg_xmalloc(strlen(msg) + 1);
        strcpy(*why, msg);
        release(g);
        return NULL;
    }
    /* the functions first: printing them tells which kernels are used */
    g->formulas = sg_fmt_problem(p, 0, NULL);
    sg_buf_init(&fns);
    sg_buf_init(&evalf);
    eval_fn(g, &evalf); /* first: it tells the kernels' packing room */
    work_size_fn(g, &fns);
    sg_buf_putc(&fns, '\n');
    sg_buf_puts(&fns, sg_buf_str(&evalf));
    sg_buf_free(&evalf);

    sg_buf_init(&b);
    banner(g, &b, "computes");
    sg_buf_putc(&b, '\n');
    if (o->header)
        sg_buf_printf(&b, "#include \"%s\"\n\n", o->header);
    sg_buf_puts(&b, "#include <math.h>\n#include <stddef.h>\n\n");
    if (o->blas) /* the program links a CBLAS of its choice */
        sg_buf_puts(&b, "#include <cblas.h>\n\n");
    if (g->kernels[K_STREAM]) /* the compiler's own header: no library */
        sg_buf_puts(&b, "/* non-temporal stores (sg_stream): x86 with SSE2, else plain stores */\n"
                        "#ifndef SG_HAVE_STREAM\n"
                        "#if defined(__SSE2__) && !defined(SG_NO_STREAM)\n"
                        "#define SG_HAVE_STREAM 1\n"
                        "#else\n"
                        "#define SG_HAVE_STREAM 0\n"
                        "#endif\n"
                        "#endif\n"
                        "#if SG_HAVE_STREAM\n"
                        "#include <immintrin.h>\n"
                        "#include <stdint.h>\n"
                        "#endif\n\n");
    if (!o->header) {
        header_text(g, &b, 0);
        sg_buf_putc(&b, '\n');
    }
    g->kernels[K_VECTORIZE] = 1; /* the loops of P_eval too */
    for (k = 0; k < K_COUNT; k++) /* the kernels used, in a fixed order */
        if (g->kernels[k]) {
            const char *t = sg_template(kernel_name(g, k));
            assert(t != NULL);
            expand(g, &b, t ? t : "");
            sg_buf_putc(&b, '\n');
        }
    if (g->top.nit > VEC_MAX_STATEMENTS)
        sg_buf_printf(&b, "/* P_eval has %d statements: its loops are left to -O2 alone, since gcc's\n"
                          "   compile time grows faster than the function with each vectorized "
                          "loop */\n%s\n",
                      g->top.nit, vec_pop);
    sg_buf_puts(&b, sg_buf_str(&fns));
    sg_buf_free(&fns);
    if (g->top.nit <= VEC_MAX_STATEMENTS) /* what vectorize.h pushed */
        sg_buf_printf(&b, "\n%s", vec_pop);
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
