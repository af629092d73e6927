/*
 * cg.h: the C printer's internals, pass by pass.
 *
 * cgen.c (the public API of cgen.h) runs the passes on one cg_state, in
 * the order this header lists them: each file below is one pass, and its
 * section says what it gives the others. Helpers used by one file are
 * static there.
 *
 * The state, by role:
 *   cg_state    one plan of one problem: the schedules, the names given out,
 *               the kernels used; built by sg_cgen_plan_new(), printed from
 *   cg_scope    a schedule: P_eval's body, or the body of one loop over t
 *   cg_node     a node's record in a scope: its plan, refs, storage, names
 *   cg_item     a statement of a scope: a node's, or a copy into out
 *   cg_loop     a loop over t and its pieces (cg_piece: what a step stores
 *               or adds)
 *   cg_factor   the LU or Cholesky factorization of a matrix
 *   cg_sweep    one pass over a matrix's rows for several statements
 *   cg_slot     a work slot, sized by a polynomial (cg_poly of cg_mono)
 *   cg_needvar  a test of which results were asked, held in a local
 *   cg_cx, cg_ix  a C expression with its precedence; an entry's index
 */
#ifndef SG_CG_H
#define SG_CG_H

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/cident.h"
#include "../base/grow.h"
#include "../base/strmap.h"
#include "cgen.h"
#include "formula.h"
#include "mask.h"
#include "templates.h"
#include "../symbolic/props.h"

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
    PL_SYRK,  /* op(A) diag(d) op(A)ᵀ or op(A) op(A)ᵀ: the lower triangle, mirrored */
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
} cg_factor;

enum { /* PL_EW */
    EW_PLAIN,    /* the op itself: leaves, +, ⊙, ⊘, .^, unary functions, ᵀ, fill, diag */
    EW_SCALE,    /* s A (s may be the second operand) */
    EW_SCALEDIV, /* (1/s) A printed as A / s: ref[0] is s */
    EW_OUTER,    /* u vᵀ with inner dimension 1 */
    EW_ROWSCALE, /* diag(v) X: ref[0] is v */
    EW_COLSCALE, /* X diag(v): ref[1] is v */
    EW_IDENT,    /* I X or X I */
    EW_ZERO,     /* 0 X or X 0 */
    EW_PERMROWS, /* K X for the commutation matrix K: X's rows permuted; ref[0] is X */
    EW_PERMCOLS  /* X K: X's columns permuted; ref[0] is X */
};

enum { NEED_VAL, NEED_ADDR, NEED_CHEAP }; /* how a ref is read */

/* a read of a node by another's code */
typedef struct {
    const sg_expr *e;
    unsigned char need;
    unsigned char trans; /* ADDR and CHEAP refs are read through transposes */
} cg_ref;

/* a node's record in a schedule (cg_scope), by node id: how it is computed
   (plan PL_*, its variant, what it reads) and where it lives */
typedef struct {
    const sg_expr *e;
    unsigned char plan, var, nref, reach;
    cg_ref r[2];
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
} cg_node;

/* ---- statements ------------------------------------------------------------ */

enum { IT_NODE, IT_OUTPUT };

/* a statement: a node's (computed into its storage) or a result's copy into out */
typedef struct {
    int kind;
    const sg_expr *e; /* the node, or the root of the result */
    int res;          /* IT_OUTPUT */
    const sg_mask *mask;
    int *deps, ndeps, capdeps;
    int *succ, nsucc, capsucc;
    int pending, pos, block, done;
    unsigned key;
    unsigned char own; /* in a loop: reads a step made at this t (listed in g->now) */
    int sweep;         /* the sweep it leads (it prints the whole sweep), else -1 */
    int lead;          /* a sweep's other member: the item that prints it, else -1 */
} cg_item;

/* ---- size polynomials ------------------------------------------------------ */

/* the named dimensions of a monomial: at most 3 (rows, columns, and a
   sequence's step count: T·m·n), one to spare; mono_times() asserts it */
#define MONO_DIMS 8

typedef struct {
    long coef;
    int nd;
    sg_dim d[MONO_DIMS]; /* named dimensions, sorted */
} cg_mono;

typedef struct {
    cg_mono *m;
    int n, cap;
} cg_poly;

typedef struct {
    cg_poly size;
    int last; /* position of its current node's last reader */
} cg_slot;

/* ---- schedules and loops ---------------------------------------------------- */

/*
 * A schedule of statements: P_eval's body, or the body of one loop over t.
 * Its bits are the results (P_eval) or the pieces of the loop (what one
 * step adds or stores, each under its own condition on t); every node it
 * computes has a record here, by id. A loop body's records say only ext for
 * the invariant nodes it reads: those live in P_eval's schedule (cg_rec() looks
 * there), computed once before the loop.
 */
typedef struct cg_scope {
    int loop;              /* its loop, or -1 for P_eval's body */
    int nbits;             /* results or pieces */
    cg_node *ni;           /* by node id */
    /* which bits need each node, by id: a set of mt (mask.h: interned, NULL
       for none), so that a deep network's nodes, most of which share their
       layer's mask, and a problem's thousands of one-result masks cost a few
       tree nodes each, not a bitset of every result */
    sg_masks *mt;
    const sg_mask **masks;
    const sg_mask *full;
    cg_item *it;
    int nit, capit;
    int *order;            /* items in schedule order */
    cg_slot *slots;
    int nslots, capslots;
    const sg_expr **topo;  /* reached nodes, every node after the nodes it reads */
    unsigned ntopo;
} cg_scope;

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
    int seq;              /* PC_STORE, PC_ADD: the sequence it makes; else −1 */
} cg_piece;

typedef struct {
    const sg_expr *e;     /* its node: a Σ, or a sequence's (OP_SEQ) */
    int seq;              /* the group of recurrences it runs (its leader), or -1 for a Σ */
    sg_index lo, hi;      /* t runs over lo..hi (down from hi for an adjoint) */
    int down;
    cg_piece *pc;
    int npc, cappc;
    cg_scope *body;
    const sg_expr **reads; /* the nodes outside it that it reads, sequences included */
    int nreads, capreads;
    cg_poly temps;        /* the work of one step: the body's slots */
    int region;           /* the top-level slot holding temps, or -1 */
    const sg_expr **sums; /* an adjoint's: the Σs fused into it (summed at each step) */
    int nsums, capsums;
} cg_loop;

/* the C name of a pointer to one step of a sequence inside a loop: x_t, h_prev */
typedef struct {
    int seq;
    long off;
    const char *name;
    unsigned char used; /* by the loop being printed */
    unsigned char made; /* the loop being printed writes this step (non-const) */
} cg_stepname;

/* ---- sweeps, tests of results, kernels, the state ------------------------ */

/*
 * One pass over the rows of a stored m×n matrix W doing the work of several
 * statements (cg_sweeps()): products y = Wv (yᵢ = W[i,:]·v), z = Wᵀu (z += uᵢ
 * W[i,:]), and entries by rows (row i of E from values at row i), so that a
 * large W is read from memory once for all of them.
 */
enum { SW_NONE, SW_DOT, SW_AXPY, SW_ROW };

typedef struct {
    const sg_expr *W;     /* NULL: elementwise statements only, done a row at a time */
    sg_dim rows;          /* the loop's count: W's rows, or the statements' */
    int *member;          /* items, in the order the body does them (the first leads) */
    unsigned char *kind;  /* SW_* of each */
    int n, cap, capkind;
    const sg_mask *mask;  /* the results any member is for */
    const sg_mask *mask0; /* the results the lead (member 0) is for: its item's
                             mask becomes the sweep's, so it is kept here */
    int pair;             /* softmax and logsoftmax of one X: one kernel call for both */
} cg_sweep;

/* a test of which results are asked for, held in a local (cg_out_cond()) */
typedef struct {
    const sg_mask *mask; /* a set of P_eval's scope */
    const char *name; /* NULL until named; in a chain "group1 <= 5" */
    const char *neg;  /* its negation, for a chain's "group1 > 5" */
    int count, index;
    int base;         /* the largest test it contains (by index), or -1 */
    int chain, pos;   /* its chain and place in it (1, 2, …), or chain -1 */
} cg_needvar;

/* a kernel call that needs packing room (sg_gemm_pack(m, n, k), …): by K_* */
typedef struct {
    int kind;
    sg_dim d[3];
} cg_packreq;

/*
 * The kernels of templates/, one line each, in the order they are printed
 * (a kernel after the kernels it calls): X(kind, template, its --blas
 * template, NULL for the same one or "" for none, and the kernels it calls,
 * up to two, K_NONE for none).
 * Adding a kernel is adding its line.
 */
#define CG_KERNELS(X) \
    X(K_RESTRICT,    "restrict.h",      NULL,           K_NONE,        K_NONE) \
    X(K_VECTORIZE,   "vectorize.h",     NULL,           K_NONE,        K_NONE) \
    X(K_EXPN,        "expn.c",          NULL,           K_NONE,        K_NONE) \
    X(K_SIGMOID,     "sigmoid.c",       NULL,           K_EXPN,        K_NONE) \
    X(K_SWISH,       "swish.c",         NULL,           K_SIGMOID,     K_NONE) \
    X(K_SOFTPLUS,    "softplus.c",      NULL,           K_NONE,        K_NONE) \
    X(K_RELU,        "relu.c",          NULL,           K_NONE,        K_NONE) \
    X(K_STEP,        "step.c",          NULL,           K_NONE,        K_NONE) \
    X(K_SIGN,        "sign.c",          NULL,           K_NONE,        K_NONE) \
    X(K_PAIRWISE,    "pairwise.c",      NULL,           K_NONE,        K_NONE) \
    X(K_SUM,         "sum.c",           NULL,           K_PAIRWISE,    K_NONE) \
    X(K_DOT,         "dot.c",           NULL,           K_PAIRWISE,    K_NONE) \
    X(K_DOT4,        "dot4.c",          NULL,           K_PAIRWISE,    K_NONE) \
    X(K_AXPY,        "axpy.c",          NULL,           K_NONE,        K_NONE) \
    X(K_GEMV,        "gemv.c",          "gemv_blas.c",  K_DOT,         K_DOT4) \
    X(K_GEMM_SMALL,  "gemm_small.c",    NULL,           K_DOT,         K_NONE) \
    X(K_GEMM_CORE,   "gemm.c",          "",             K_GEMM_SMALL,  K_NONE) \
    X(K_GEMM,        "gemm_ex.c",       "gemm_blas.c",  K_GEMM_CORE,   K_GEMM_SMALL) \
    X(K_GEMM_CALL,   "gemm_call.c",     NULL,           K_GEMM,        K_NONE) \
    X(K_MIRROR,      "mirror.c",        NULL,           K_NONE,        K_NONE) \
    X(K_SYMADD,      "symadd.c",        NULL,           K_NONE,        K_NONE) \
    X(K_SYRK,        "syrk.c",          "syrk_blas.c",  K_GEMM_CORE,   K_MIRROR) \
    X(K_TRSM,        "trsm.c",          NULL,           K_GEMM,        K_NONE) \
    X(K_TRSM_INVERSE, "trsm_inverse.c",  NULL,           K_TRSM,        K_NONE) \
    X(K_GER,         "ger.c",           NULL,           K_NONE,        K_NONE) \
    X(K_COLSUM,      "colsum.c",        NULL,           K_NONE,        K_NONE) \
    X(K_ROWSUM,      "rowsum.c",        NULL,           K_SUM,         K_NONE) \
    X(K_SOFTMAX,     "softmax.c",       NULL,           K_NONE,        K_NONE) \
    X(K_SOFTMAX2,    "softmax2.c",      NULL,           K_NONE,        K_NONE) \
    X(K_LOGSOFTMAX,  "logsoftmax.c",    NULL,           K_NONE,        K_NONE) \
    X(K_LOGSUMEXP,   "logsumexp.c",     NULL,           K_NONE,        K_NONE) \
    X(K_DIAGMUL,     "diagmul.c",       NULL,           K_NONE,        K_NONE) \
    X(K_LU,          "lu.c",            NULL,           K_TRSM,        K_NONE) \
    X(K_LU_SWAP,     "lu_swap.c",       NULL,           K_NONE,        K_NONE) \
    X(K_LU_SOLVE,    "lu_solve.c",      NULL,           K_LU_SWAP,     K_TRSM) \
    X(K_LU_INVERSE,  "lu_inverse.c",    NULL,           K_LU_SWAP,     K_TRSM_INVERSE) \
    X(K_LU_DET,      "lu_det.c",        NULL,           K_NONE,        K_NONE) \
    X(K_LU_LOGDET,   "lu_logdet.c",     NULL,           K_NONE,        K_NONE) \
    X(K_CHOL,        "chol.c",          NULL,           K_TRSM,        K_NONE) \
    X(K_CHOL_SOLVE,  "chol_solve.c",    NULL,           K_TRSM,        K_NONE) \
    X(K_CHOL_INVERSE, "chol_inverse.c",  NULL,           K_TRSM_INVERSE, K_NONE) \
    X(K_CHOL_DET,    "chol_det.c",      NULL,           K_NONE,        K_NONE) \
    X(K_CHOL_LOGDET, "chol_logdet.c",   NULL,           K_NONE,        K_NONE) \
    X(K_STREAM,      "stream.c",        NULL,           K_NONE,        K_NONE) \
    X(K_AXPY4,       "axpy4.c",         NULL,           K_NONE,        K_NONE)

enum {
    K_NONE = -1,
#define CG_KERNEL_KIND(kind, file, blas, dep1, dep2) kind,
    CG_KERNELS(CG_KERNEL_KIND)
#undef CG_KERNEL_KIND
    K_COUNT
};

typedef struct {
    const sg_problem *p;
    const sg_cgen_opts *o;
    const sg_ctx *ctx;
    sg_arena *ar;
    const char *real, *fsuf, *P, *PU; /* "double", "" or "f", prefix, PREFIX */
    int nres;
    unsigned nnodes;
    cg_scope top;        /* P_eval's body */
    cg_scope *sc;        /* the schedule being planned or printed */
    cg_loop *loops;
    int nloops, caploops;
    int *now, nnow, capnow; /* scheduling a loop's item: the sequences of its group it
                               reads at the step being made (δ[t], c[t]) */
    sg_expr **seqnode;   /* by group leader: its OP_SEQ node (not for an input), made on first
                            use: one loop and one buffer for the group (sg_seqgroups) */
    sg_seqgroups *groups; /* the sequences computed together */
    const char **seqbuf; /* by sequence: the C name of its steps (the input, or its buffer) */
    cg_stepname *steps;
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
    int kernels[K_COUNT]; /* by K_*: printed into the output */
    cg_packreq *packs;   /* what the kernels called need of work's packing room */
    int npacks, cappacks;
    cg_needvar *needs;   /* the tests of results held in locals */
    int nneeds, capneeds;
    int *needtab;        /* needs by mask: a hash table of indices, -1 empty */
    unsigned needcap;    /* its size, a power of two at least twice nneeds */
    const char **chains; /* by chain: the local that says which of its tests hold */
    int nchains;
    cg_sweep *sweeps;    /* P_eval's passes over the rows of a matrix */
    int nsweeps, capsweeps;
    const char *rowname; /* the pointer to a sweep's row */
    const sg_expr **solves; /* the DAG's A⁻¹W products (reassociated_solve()) */
    int nsolves, capsolves;
    const char *tmpname; /* for an entry used twice in a loop body */
    const char *unsupported;
    sg_span unsupported_at;  /* the statement it comes from (a recurrence's), when known */
    int unsupported_has_at;
    unsigned nreal;      /* the DAG's nodes; then the factors, then the sequences */
    unsigned nla;        /* room for factors: ids nreal … nreal + nla − 1 */
    cg_factor *fac;
    int nfac;
    int *fac_of;         /* by the id of A: its factor, or -1 */
    int hide_inv;        /* printing a solve's formula: its inverse prints as A⁻¹ */
    sg_fmt_lines formulas; /* the --formulas lines: P_eval's and the loops' comments */
    int fusing;          /* planning a Σ fused into an adjoint's loop: it may read δ[t] */
} cg_state;

enum { C_COND = 1, C_ADD, C_MUL, C_UNARY, C_ATOM };

typedef struct {
    const char *s;
    int p;
} cg_cx;

/* how a loop indexes: flat (one index over every entry) or by row and column */
typedef struct {
    int flat;
    const char *i, *j;
} cg_ix;

/* a longer P_eval keeps -O2's own vectorizer (see vectorize.h), and its sweeps their
   plain form (sg_dot and sg_axpy a row at a time, ordinary stores): gcc's time grows
   faster than the function with each loop it vectorizes or kernel it inlines */
#define VEC_MAX_STATEMENTS 64

/* ---- cgen.c: the driver (the public API is cgen.h's) */

/* the state a plan holds (for tests: test_sched.c reads the decisions) */
cg_state *cg_plan_state(sg_cgen_plan *pl);

/* ==== the passes, in the order cgen.c runs them ==== */

/* ---- cgplan.c: 1. plans: how each node is produced and what it reads; 2. storage decisions */

/* printf into the arena: a string that lives as long as the state */
const char *cg_fmt(cg_state *g, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* e's record in the schedule being planned (in a loop body: ext for what lives outside) */
cg_node *cg_rec_here(cg_state *g, const sg_expr *e);
/* e's record that says how it is computed and read (an invariant's is P_eval's) */
cg_node *cg_rec(cg_state *g, const sg_expr *e);
/* 1×1 */
/* the C printer cannot print the problem: why, and where when at is not NULL */
void cg_unsupported(cg_state *g, const char *why, const sg_span *at);
int cg_scalar(const sg_expr *e);
/* the dimension 1 */
int cg_is_one(sg_dim d);
/* one of its dimensions is 1: its entries are in the same order transposed */
int cg_veclike(const sg_expr *e);
/* the results (or pieces) that need e in the schedule being planned */
const sg_mask *cg_mask_of(cg_state *g, const sg_expr *e);
/* n reads e (as a value, in memory, or cheaply through a transpose) */
void cg_add_ref(cg_node *n, const sg_expr *e, int need);
/* the factor that factor node f stands for */
cg_factor *cg_factor_at(cg_state *g, const sg_expr *f);
/* how n is produced and what it reads (its plan) */
void cg_plan_node(cg_state *g, cg_node *n);
/* readable in place: an input or a buffer */
int cg_stored(cg_state *g, const sg_expr *e);
/* 2. which nodes get a buffer (materialised) or a C local */
void cg_decide(cg_state *g);

/* ---- cgloop.c: 1b. loops over t: a recurrence's or a Σ's loop, its body a scope of its own */

/* an empty schedule: P_eval's body (loop -1) or loop k's */
void cg_scope_init(cg_state *g, cg_scope *sc, int loop);
/* the masks, once the bits (results, or a loop's pieces) are known */
void cg_scope_bits(cg_state *g, cg_scope *sc, int nbits);
/* frees a schedule */
void cg_scope_free(cg_scope *sc);
/* plans every node reachable from e, counting reads; a sequence read starts its loop */
void cg_reach(cg_state *g, const sg_expr *e);
/* what result r computes: its expression, or for ∂L/∂x[t] the OP_SEQ node of
   the adjoint whose every step it holds */
const sg_expr *cg_result_expr(cg_state *g, int r);

/* ---- cgsched.c: 3. masks (which results need each node) and 4. list scheduling */

/* the results (P_eval's bits) that need e */
const sg_mask *cg_top_mask(cg_state *g, const sg_expr *e);
/* a fused Σ that some results its loop runs for do not need */
int cg_narrower(cg_state *g, const cg_loop *lp, const cg_piece *pc);
/* whether a block for these bits runs unconditionally */
int cg_always(cg_state *g, const sg_mask *mask);
/* 3. every node needed by a bit needs what it reads */
void cg_compute_masks(cg_state *g);
/* the results for which a factor's failure is an error */
void cg_strict_masks(cg_state *g);
/* 4. the statements and their order (list scheduling by mask) */
void cg_schedule(cg_state *g);

/* ---- cgsweep.c: row sweeps: one pass over a matrix's rows for several statements */

/* groups P_eval's statements into passes over a matrix's rows */
void cg_sweeps(cg_state *g);
/* a dimension's value known when generating (a number or --dim), else 0 */
long cg_known_dim(cg_state *g, sg_dim d);
/* prints a sweep: its sums set to 0, then one loop over the rows */
void cg_emit_sweep(cg_state *g, sg_buf *b, int lv, const cg_sweep *w);

/* ---- cgslots.c: 5. storage: size polynomials and work slots reused by liveness */

/* a size polynomial as C: m*n + 2*n + 3 */
const char *cg_poly_c(cg_state *g, cg_poly *p, unsigned char *used);
/* a monomial as size_t arithmetic that saturates at SIZE_MAX */
const char *cg_mono_sat(cg_state *g, const cg_mono *m, unsigned char *used);
/* a polynomial's value when every dimension is known: 1, 0 (unknown), -1 (past limit) */
int cg_poly_value(cg_state *g, const cg_poly *p, unsigned long long limit, unsigned long long *v);
/* e is an LU factor (it has pivots after its entries) */
int cg_is_lu(cg_state *g, const sg_expr *e);
/* adds every slot of sc before slot s (all of them for s = nslots) to p */
void cg_slots_before(const cg_scope *sc, int s, cg_poly *p);
/* adds where sequence q's steps start in its group's buffer (the members
   before it, in rank order) to p */
void cg_seq_offset(cg_state *g, int q, cg_poly *p);
/* where sequence q's array starts: step lo (an input), lo − 1 (the others) */
sg_index cg_seq_origin(cg_state *g, int q);
/* a stand-in for member q of a group's node, for the comments of its buffer */
const sg_expr *cg_seq_member(cg_state *g, int q);
/* 5. work slots by liveness, and their offsets */
void cg_allocate(cg_state *g);

/* ---- cgnames.c: C names: the spelling rule and the reserved names */

/* a local of P_eval or P_work_size */
const char *cg_claim(cg_state *g, const char *name);
/* the C names of dimensions, inputs, results, buffers and locals */
void cg_name_things(cg_state *g);

/* ---- cgexpr.c: C expressions: entries, scalars, indices, sequence steps */

/* c as text, in parentheses when it binds looser than min */
const char *cg_par(cg_state *g, cg_cx c, int min);
/* a op b at precedence p */
cg_cx cg_bin(cg_state *g, cg_cx a, const char *op, cg_cx b, int p);
/* −a */
cg_cx cg_neg(cg_state *g, cg_cx a);
/* fn(a) */
cg_cx cg_call(cg_state *g, const char *fn, cg_cx a);
/* a math.h function: exp, or expf for float */
const char *cg_mathfn(cg_state *g, const char *fn);
/* a literal of the real type */
cg_cx cg_lit(cg_state *g, double v);
/* a dimension as C, marking it used in used[] */
const char *cg_dim_c(cg_state *g, sg_dim d, unsigned char *used);
/* a dimension as C, marking it used by the function being printed */
const char *cg_dim(cg_state *g, sg_dim d);
/* the number of entries of a shape, as C: m*n, n, 3*n */
const char *cg_len_c(cg_state *g, sg_shape s);
/* an index: flat i, or row i and column j */
cg_ix cg_mkix(int flat, const char *i, const char *j);
/* the index of the transposed entry */
cg_ix cg_swap(cg_ix x);
/* (t) + a − b as C: "t - 1", "T", "T - 1", "0" */
const char *cg_lin_c(cg_state *g, int t, sg_index a, sg_index b);
/* a step index k as an offset into a buffer of steps of shape sh */
const char *cg_scaled(cg_state *g, const char *k, sg_shape sh);
/* the C name of sequence q's steps: the input, or its buffer */
const char *cg_seq_base(cg_state *g, int q);
/* the pointer to step t + off of sequence q in a loop: x_t, h_prev */
cg_stepname *cg_step_ptr(cg_state *g, int q, long off);
/* where a stored node's entries are: *base, from entry *off on */
void cg_stored_at(cg_state *g, const sg_expr *e, const char **base, const char **off);
/* entry x of a row-major array of shape s from entry off of base */
cg_cx cg_entry(cg_state *g, const char *base, const char *off, sg_shape s, cg_ix x);
/* entry x of a node that lives in memory */
cg_cx cg_read_stored(cg_state *g, const sg_expr *e, cg_ix x);
/* entry k of a vector-like ref */
cg_cx cg_vec_elem(cg_state *g, const cg_ref *r, const char *k);
/* the value of a scalar node: its local, or its expression */
cg_cx cg_sval(cg_state *g, const sg_expr *e);
/* the expression that computes a scalar node */
cg_cx cg_sval_def(cg_state *g, const sg_expr *e);
/* entry x of I */
cg_cx cg_eye_elem(cg_state *g, cg_ix x);
/* the expression for entry x of a non-scalar node */
cg_cx cg_elem_def(cg_state *g, const sg_expr *e, cg_ix x);
/* entry x of a node: read from memory, or its expression when fused */
cg_cx cg_elem(cg_state *g, const sg_expr *e, cg_ix x);
/* e and everything fused into it can be looped over flat */
int cg_flat_ok(cg_state *g, const sg_expr *e);
/* e's own entries can be computed by one flat loop */
int cg_flat_def(cg_state *g, const sg_expr *e);

/* ---- cgkernel.c: the kernels of templates/: the table, their dependencies, packing room */

/* kernel k's template file: with --blas, the products call CBLAS */
const char *cg_kernel_name(const cg_state *g, int k);
/* prints kernel k (and the kernels it calls) into the output */
void cg_use_kernel(cg_state *g, int k);
/* a kernel call that needs packing room in work */
void cg_need_pack(cg_state *g, int kind, sg_dim a, sg_dim b, sg_dim c);
/* the reals a packing requirement needs, as C */
const char *cg_pack_text(cg_state *g, const cg_packreq *k, unsigned char *used);
/* a template with @real@, @restrict@, @exp@ … filled in */
void cg_expand(cg_state *g, sg_buf *b, const char *text);

/* ---- cgcond.c: "which results were asked": if (out->A || …) and the need locals */

/* names the tests of results that conditions hold in locals */
void cg_need_names(cg_state *g);
/* out->A || out->B, or the local that holds it */
const char *cg_out_cond(cg_state *g, const sg_mask *mask, int negate);
/* declares the locals out_cond() uses */
void cg_need_decls(cg_state *g, sg_buf *b);
/* when a block runs: the results asked for, or a loop's steps */
const char *cg_condition(cg_state *g, const sg_mask *mask, int negate);

/* ---- cgemit.c: 6. printing: the statements of P_eval and of each loop */

/* one line of C at an indent level */
void cg_line(sg_buf *b, int level, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* the length of the well-formed UTF-8 character at s, or 0 */
size_t cg_utf8_char(const unsigned char *s);
/* text that stays a comment whatever its bytes */
const char *cg_comment_safe(cg_state *g, const char *s);
/* m×n, n, 1×n */
const char *cg_shape_text(cg_state *g, sg_shape s);
/* a sequence index as printed: T − 1, 0 */
const char *cg_index_text(cg_state *g, sg_index k);
/* what a node's buffer holds, for its comment */
const char *cg_buffer_text(cg_state *g, const sg_expr *e);
/* a node's formula, for its comment */
const char *cg_formula(cg_state *g, const sg_expr *e);
/* a result's name: L, ∂L/∂W */
const char *cg_result_name(cg_state *g, int r);
/* what bit r of the schedule being printed stands for: a result, or a piece */
const char *cg_out_name(cg_state *g, int r);
/* the pointer to a stored node's data */
const char *cg_ptr(cg_state *g, const sg_expr *e);
/* prints P_eval (first: it tells the kernels and packing room used) */
void cg_eval_fn(cg_state *g, sg_buf *out);

/* ---- cgdecl.c: declarations: the banner, the header text, P_work_size, the buffers */

/* the comment that opens the .c and the .h */
void cg_banner(cg_state *g, sg_buf *b, const char *what);
/* the declarations of INTERFACE.md: P_dims, P_in, P_out, the functions */
void cg_header_text(cg_state *g, sg_buf *b, int guard);
/* the declarations as cffi's cdef() reads them: the codes an enum, no #lines */
void cg_cdef_text(cg_state *g, sg_buf *b);
/* prints P_work_size */
void cg_work_size_fn(cg_state *g, sg_buf *b);
/* the pointers into work of every buffer of P_eval */
void cg_buffer_decls(cg_state *g, sg_buf *bufs);

/* ---- cgcheck.c: --check: a main() comparing derivatives with finite differences */

/* prints the --check main() */
void cg_check_main(cg_state *g, sg_buf *b);

/* ---- manifest.c: the API for other languages: JSON, a Python module */

/* the manifest (docs/manifest.schema.json) of a printed plan */
void cg_manifest_text(cg_state *g, sg_buf *b);
/* the Python module: templates/python.py with the manifest and source (the
   .c printed without a header) in it */
void cg_python_text(cg_state *g, sg_buf *b, const char *source);

#endif
