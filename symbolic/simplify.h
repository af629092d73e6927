/*
 * simplify.h: results in the form a person writes them.
 *
 * The DAG that differentiation builds is shaped for computing: products
 * associated by cost (Wᵀ(Wx)), every path's contribution kept as its own
 * term. sg_simplify() rewrites a result into the closed form a course
 * solution prints: like terms collected, transposes pushed to the leaves,
 * scalars pulled to the front, zeros and identities dropped, common factors
 * pulled out of sums (Wxrᵀ + Wrxᵀ → W(xrᵀ + rxᵀ)). The value is unchanged;
 * the C printer keeps computing from the original.
 *
 * Ownership: the new nodes live in ctx like every other node.
 */
#ifndef SG_SIMPLIFY_H
#define SG_SIMPLIFY_H

#include "expr.h"

sg_expr *sg_simplify(sg_ctx *ctx, sg_expr *e);
/*
 * out[i] = e[i] simplified, for n values at once: what they share is
 * simplified once, so the work is linear in the DAG, not in the sum of the
 * values' sizes (a thousand gradients of a deep network share one backward
 * chain). The simplification may do `budget` work (constructor calls and
 * comparisons); past it, every out[i] is e[i] as built. NULL stays NULL.
 */
void sg_simplify_all(sg_ctx *ctx, sg_expr *const *e, int n, sg_expr **out,
                     unsigned long budget);

#endif
