/*
 * formula.h: expressions as text, the way they are written on paper.
 *
 * One printer, two alphabets: Unicode (Wᵀ(Wx) − x, ‖r‖², σ(z), ∂L/∂W) and
 * ASCII (W' * (W * x) - x, norm(r)^2, sigmoid(z)). Nodes that carry a user's
 * name (a definition) print as that name unless they are the root.
 * Parenthesizes by precedence only where needed.
 *
 * Ownership: the text is appended to a caller's sg_buf.
 */
#ifndef SG_FORMULA_H
#define SG_FORMULA_H

#include "../lexer/buf.h"
#include "../symbolic/check.h"

void sg_fmt_expr(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii);

/*
 * The name a node prints as instead of its formula, or NULL to print the
 * formula. The C printer uses it to show a step in terms of the buffers and
 * locals it already computed (t3 = Wᵀt2 − x).
 */
typedef const char *(*sg_fmt_namer)(void *arg, const sg_expr *e);

/* sg_fmt_expr with the names decided by namer alone (e->name is ignored) */
void sg_fmt_expr_named(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii,
                       sg_fmt_namer namer, void *arg);

/* a source name as printed: W1 → W₁, beta → β (ASCII: unchanged) */
void sg_fmt_name(sg_buf *out, const char *name, int ascii);

/* the name of a result: L, ∂L/∂W, ∂²L/∂x², ∂s/∂z (ASCII: dL/dW, d2L/dx2) */
void sg_fmt_result_name(sg_buf *out, const sg_result *r, int ascii);

/* --formulas: every requested result, one per line, "name = formula" */
char *sg_fmt_problem(const sg_problem *p, int ascii, size_t *len);

#endif
