/*
 * props.h: what symgrad can prove about an expression's values.
 *
 * Three properties, each proved from the ops of the DAG and the properties
 * a declaration gives its symbols (sg_props), never from numbers:
 *
 *   - symmetry, Eᵀ = E (the constructors drop the transpose of a
 *     symmetric node, so they need it at once);
 *   - positive (semi)definiteness: what decides between a Cholesky and an
 *     LU factor in the generated C, and what the derivation may say;
 *   - sign, entry by entry: > 0 or ≥ 0.
 *
 * Each is decided once per node, when it is interned, and kept as a flag
 * next to the node: asking costs a flag test.
 *
 * Every answer is "proven" (1) or "not proven" (0): a 0 never means the
 * property is false, so a caller only ever loses an optimisation by it.
 *
 * Ownership: nothing is allocated that outlives a call.
 */
#ifndef SG_PROPS_H
#define SG_PROPS_H

#include "expr.h"

/* provably Eᵀ = E (the flag made when e was interned) */
int sg_props_symmetric(const sg_ctx *ctx, const sg_expr *e);
/* provably a = bᵀ (b = aᵀ, a = bᵀ, or a = b symmetric) */
int sg_props_transposes(const sg_ctx *ctx, const sg_expr *a, const sg_expr *b);
/* provably symmetric and positive definite (strict) or semidefinite (!strict) */
int sg_props_definite(const sg_ctx *ctx, const sg_expr *e, int strict);
/* provably > 0 (strict) or ≥ 0 (!strict), entry by entry */
int sg_props_signed(const sg_ctx *ctx, const sg_expr *e, int strict);

#endif
