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

/* --formulas: every requested result, one per line, "name = formula" */
char *sg_fmt_problem(const sg_problem *p, int ascii, size_t *len);

#endif
