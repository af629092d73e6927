/*
 * eval.h: numbers for expressions.
 *
 * A straightforward interpreter of the DAG, written for clarity rather than
 * speed: the finite-difference tests check every derivative rule with it,
 * --eval prints with it, and the C printer's output is cross-checked against
 * it. Values are memoized per node for one evaluation context.
 *
 * Ownership: the values returned belong to the sg_eval and live until
 * sg_eval_free().
 */
#ifndef SG_EVAL_H
#define SG_EVAL_H

#include "expr.h"

typedef struct sg_eval sg_eval;

/*
 * dims[d] is the value of dimension d for every named dimension (constant
 * dimensions are read from the context). syms[i] points to symbol i's values,
 * row-major. Both arrays are borrowed and must outlive the sg_eval.
 */
sg_eval *sg_eval_new(const sg_ctx *ctx, const long *dims, const double *const *syms);
void sg_eval_free(sg_eval *ev);

/* rows and cols of a shape under ev's dimensions */
long sg_eval_rows(const sg_eval *ev, sg_shape s);
long sg_eval_cols(const sg_eval *ev, sg_shape s);

/*
 * The values of e, row-major. Returns NULL when a value is undefined (a
 * singular matrix inverted, a determinant's log of a non-positive number
 * is NaN instead, as in C) or too large to compute (sg_eval_error).
 */
const double *sg_eval_expr(sg_eval *ev, const sg_expr *e);

/* the values of step t of sequence q (h[t]), row-major, or NULL as for
   sg_eval_expr(): out of the sequence's range, undefined, or too large */
const double *sg_eval_step(sg_eval *ev, int q, long t);

/*
 * NULL, or why sg_eval_expr() gave up: the values would have passed the
 * memory or time an evaluation may take ("--eval: the values are too large:
 * …"). From then on every value is NULL.
 */
const char *sg_eval_error(const sg_eval *ev);

#endif
