/*
 * expr_impl.h: what the files of the expression module share, and no other
 * module reads: the node as allocated, the context's tables, and the unique
 * table's entry points. A table of contents of the module:
 *
 *   ctx.c      the context: dimensions, shapes, symbols, sequences, the
 *              rewrites recorded, per-pass scratch
 *   unique.c   the unique table (hash-consing: intern) and the dense
 *              numberings of reached nodes (sg_idmap)
 *   expr.c     the smart constructors: leaves, scaling, products, sums,
 *              elementwise and linear ops, unary functions, sequences
 *   rewrite.c  rebuilding a node from new kids, and the bottom-up rewrites
 *              made with it (shift, replace)
 *   props.c    the proofs of symmetry, definiteness and sign
 *
 * Ownership: as expr.h; everything here belongs to the context.
 */
#ifndef SG_EXPR_IMPL_H
#define SG_EXPR_IMPL_H

#include "expr.h"

#include "../base/strmap.h"

/* the node as allocated: the public part, then what only this module keeps */
typedef struct {
    sg_expr e;
    unsigned flags;
    unsigned nfac; /* the factors flatten() finds in it, at most EX_MAX_FLAT + 1 */
} ex_node;

#define EX_F_SYM 1u     /* provably symmetric */
#define EX_F_VARIES 2u  /* depends on the loop index t */
#define EX_F_POS 4u     /* provably > 0, entry by entry (implies EX_F_NONNEG) */
#define EX_F_NONNEG 8u  /* provably >= 0, entry by entry */
#define EX_F_PD 16u     /* provably symmetric positive definite (implies EX_F_PSD) */
#define EX_F_PSD 32u    /* provably symmetric positive semidefinite */
#define EX_F_PROPS (EX_F_SYM | EX_F_POS | EX_F_NONNEG | EX_F_PD | EX_F_PSD)

struct sg_ctx {
    sg_arena *arena;
    sg_diminfo **dims; /* arena-allocated entries, so pointers stay valid */
    int ndims, dimcap;
    sg_symbol **syms;
    int nsyms, symcap;
    sg_seq **seqs; /* arena-allocated entries, so pointers stay valid */
    int nseqs, seqcap;
    sg_strmap dimnames, symnames, seqnames; /* name → index in dims, syms, seqs */
    sg_expr **table; /* unique table: buckets chained through e->chain */
    unsigned tabsize, count;
    unsigned long lookups; /* ex_intern_p() calls: the work done, found or made */
    unsigned long scratch; /* bytes of per-pass scratch (sg_ctx_scratch) */
    sg_rewrite *rw;        /* the stability rewrites recorded (sg_rewrite_get) */
    int nrw, caprw, recording;
    int as_written;        /* the σ family's rewrites are off (sg_ctx_as_written) */
};

/* a product with more factors is one factor of the products built on it */
#define EX_MAX_FLAT 256

/* what a node holds besides its op, shape and kids: all of it is identity */
typedef struct {
    double value;
    int sym;
    sg_dim dim;
    int seq;
    long off;
    sg_index at, lo, hi;
} ex_payload;

/* ---- unique.c: the unique table ---- */

/* a payload with value, sym and dim and nothing else */
ex_payload ex_plain(double value, int sym, sg_dim dim);
/* the node (op, s, a, b, *p): found in the unique table, or made and flagged */
sg_expr *ex_intern_p(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b,
                     const ex_payload *p);
/* the same with a plain payload */
sg_expr *ex_intern(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b, double value,
                   int sym, sg_dim dim);
/* an op of one kid, of two kids, with no payload */
sg_expr *ex_mk1(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a);
sg_expr *ex_mk2(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b);
/* e is 1×1 */
int ex_is_scalar(const sg_expr *e);

/* ---- props.c ---- */

/* what the node e, whose kids are made and flagged, provably is: EX_F_SYM,
   EX_F_POS, EX_F_NONNEG, EX_F_PD, EX_F_PSD; asked once, as e is interned
   (e's flags keep the answer), and reading only its kids' flags (and the
   factors of a product, at most MAX_FACTORS of them) */
unsigned ex_props_of(const sg_ctx *ctx, const sg_expr *e);

#endif
