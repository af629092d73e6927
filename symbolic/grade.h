/*
 * grade.h: grading an answer (`answer ∂L/∂W = e`) against the derivative
 * symgrad derived, for --grade.
 *
 * A verdict says how it was decided: equal as formulas (the same
 * hash-consed node, or a difference that simplifies to 0), or agreeing
 * numerically at SG_GRADE_POINTS random points drawn as the declarations
 * allow, at each of SG_GRADE_SIZES sizes of the dimensions. A wrong answer gets the diagnosis a TA would try first: the wrong
 * shape, a constant factor (the sign among them), the answer transposed or
 * one factor of it, a ⊙ where a product was meant or the reverse, a missing
 * path (some of the contributions the derivation log sums), the last step
 * alone of a sum over time, one term off by a factor, and otherwise
 * the entries that differ most at one point. Printing is cli/'s.
 *
 * Ownership: the verdict's nodes live in the problem's context; its arrays
 * are freed with sg_verdict_free().
 */
#ifndef SG_GRADE_H
#define SG_GRADE_H

#include "check.h"

/* the random points an answer is compared at, for each of SG_GRADE_SIZES
   sizes of the dimensions */
#define SG_GRADE_POINTS 6
#define SG_GRADE_SIZES 2
/* the entries of a DIFFER verdict */
#define SG_GRADE_ENTRIES 3

typedef enum {
    SG_VERDICT_FORMULA,    /* right: equal as formulas */
    SG_VERDICT_NUMERIC,    /* right: agrees at `points` points, worst relative error `worst` */
    SG_VERDICT_SHAPE,      /* wrong: shaped `got`, the derivative `want` */
    SG_VERDICT_FACTOR,     /* wrong: `factor` times the derivative (−1: the sign) */
    SG_VERDICT_TRANSPOSE,  /* wrong: `node` (the answer itself, or a factor) wants a ᵀ */
    SG_VERDICT_SWAP,       /* wrong: `node`, a ⊙ (or a product), is right as the other */
    SG_VERDICT_PATH,       /* wrong: the sum of the paths in `have`, not of all */
    SG_VERDICT_LAST_STEP,  /* wrong: the last term alone of `node`, a Σ over time */
    SG_VERDICT_TERM,       /* wrong: the answer's term `node` wants `factor` (times
                              dimension factor_dim when it is ≥ 0) */
    SG_VERDICT_DIFFER,     /* wrong: the largest differing entries at one point */
    SG_VERDICT_SIZES,      /* wrong: right at the first size of the dimensions only */
    SG_VERDICT_NO_VALUE,   /* wrong: no value at a point where the derivative has one */
    SG_VERDICT_UNDEFINED,  /* not graded: no point where both have values (`why`) */
} sg_verdict_kind;

/* one path by which the variable reaches the function: the derivation's
   sum of contributions, term by term */
typedef struct {
    const sg_expr *via;     /* the node the contribution comes through (u = Wx) */
    const sg_expr *contrib; /* what it contributes, simplified for reading */
} sg_grade_path;

typedef struct {
    sg_verdict_kind kind;
    int right;              /* FORMULA and NUMERIC */
    int points;             /* NUMERIC: the points compared at, every size's */
    double worst;           /* NUMERIC: the worst relative error */
    double factor;          /* FACTOR, TERM; PATH: the answer is factor times the
                               sum of its paths (1 mostly) */
    int factor_dim;         /* TERM: the factor is `factor` times this dimension; or −1 */
    sg_shape got, want;     /* SHAPE */
    int transposed_fits;    /* SHAPE: the answer's transpose has the right shape */
    const sg_expr *node;    /* TRANSPOSE, SWAP: the answer's node; TRANSPOSE of the
                               whole answer: the answer itself */
    const sg_expr *fixed;   /* TRANSPOSE of a factor, SWAP: what that node should be */
    sg_grade_path *paths;   /* PATH: every path; have[i] marks the answer's */
    unsigned char *have;
    int npaths;
    /* DIFFER: the entries (row, col) where answer and derivative differ most */
    int nentries;
    long row[SG_GRADE_ENTRIES], col[SG_GRADE_ENTRIES];
    double answer[SG_GRADE_ENTRIES], derived[SG_GRADE_ENTRIES];
    long *dims;             /* DIFFER: by dimension, its value at that point */
    const char *why;        /* UNDEFINED */
} sg_verdict;

/* answer i of p, graded (p's context gets the candidate nodes) */
void sg_grade(sg_problem *p, int i, sg_verdict *v);
void sg_verdict_free(sg_verdict *v);

#endif
