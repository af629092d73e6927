/*
 * derive.h: the expressions a derivation document shows.
 *
 * A document (codegen/latex.c and tex_*.c) shows the derivation log (diff.h) as lines a
 * course solution writes: a rule instantiated with stand-ins for the
 * adjoints of the lines above (∂L/∂u = W ∂L/∂v), its value in display form
 * (= Wr), a value said in terms of the lines already printed, a step of a
 * recurrence one step later or at a fixed step, f′ of a nonlinearity. Every
 * such expression is made here, in the problem's DAG, by the constructors,
 * the rule table and the simplifier, so that the printers make none: they
 * decide which lines to show and how to write them, and ask for the
 * expressions they print.
 *
 * Each call is the algebra of one step of a derivation, with a contract a
 * test can check numerically (tests/test_derive.c): a rule's form with its
 * stand-in read as the logged adjoint is the logged contribution; a display
 * form has the value it was made from; a value read at a fixed step is the
 * value at that step.
 *
 * Ownership: the expressions live in the problem's context; the sg_deriv
 * holds only its caches, freed by sg_deriv_free().
 */
#ifndef SG_DERIVE_H
#define SG_DERIVE_H

#include "expr.h"
#include "rules.h"

typedef struct sg_deriv sg_deriv;

sg_deriv *sg_deriv_new(sg_ctx *ctx);
void sg_deriv_free(sg_deriv *d);

/*
 * A stand-in: a variable of the given shape that stands for an adjoint ∂f/∂u
 * or a Jacobian J(u) in a rule's form, so that the constructors write the
 * form as the rule reads (W ∂L/∂v, (Wᵀ)ᵀ = W). It is never one of the
 * user's symbols (its name is not a name a problem can write); the printer's
 * namer prints it. symmetric: what it stands for is symmetric, so that
 * (∂L/∂K)ᵀ is ∂L/∂K.
 */
sg_expr *sg_deriv_standin(sg_deriv *d, sg_shape shape, int symmetric);

/*
 * The reverse rule of y's op for its kid k, instantiated with the adjoint g:
 * the rule table's builder (rules.h), the one diff.c used, so that with g the
 * logged adjoint of y it is the logged contribution. merged: both kids of
 * ⟨A, A⟩ at once (2ȳA). NULL where the table has no rule for y and k.
 */
sg_expr *sg_deriv_rule(sg_deriv *d, const sg_expr *y, int k, sg_expr *g, int merged);

/* the total derivative rule: the contributions c[0], …, c[n−1] of n ≥ 1
   paths add */
sg_expr *sg_deriv_total(sg_deriv *d, const sg_expr *const *c, int n);

/* f′(a) for an elementwise y = f(a), as the reverse rule writes it (the
   same derivative diff.c multiplies by): tanh′(a) = 𝟙 − y ⊙ y */
sg_expr *sg_deriv_fprime(sg_deriv *d, const sg_expr *y);

/* aᵀ, as a forward rule's form needs it: J(vᵀb) = bᵀJ(v) */
sg_expr *sg_deriv_transpose(sg_deriv *d, const sg_expr *a);

/*
 * The display form of v: sg_simplify(), once per node. A value of DISPLAY_OPS
 * operations or more (its tree, counted up to that) is shown as it was
 * built: printers say it in terms of named lines anyway, and simplifying
 * each of a thousand such values would be quadratic.
 */
sg_expr *sg_deriv_display(sg_deriv *d, const sg_expr *v);

/*
 * v with some of its nodes replaced, each node of its DAG looked at once:
 * fn(arg, e) returns the replacement of e, e itself to keep e whole, or
 * NULL to look inside it (a leaf or a named node is then kept whole). The
 * rest is rebuilt by the constructors.
 */
typedef sg_expr *(*sg_deriv_subst_fn)(void *arg, const sg_expr *e);
sg_expr *sg_deriv_substitute(sg_deriv *d, const sg_expr *v, sg_deriv_subst_fn fn, void *arg);

/* time: e at step t + by (every h[t + k] read as h[t + k + by]); e at the
   fixed step at (h[t + k] read as h[at + k]); e with the node from read as
   to (a step body read as h[t]) */
sg_expr *sg_deriv_shift(sg_deriv *d, const sg_expr *e, long by);
sg_expr *sg_deriv_at(sg_deriv *d, const sg_expr *e, sg_index at);
sg_expr *sg_deriv_replace(sg_deriv *d, const sg_expr *e, const sg_expr *from, const sg_expr *to);

/* the nodes a document looks names up by: h[t + off] and h[at] of sequence
   q, and the variable of symbol sym */
const sg_expr *sg_deriv_step(sg_deriv *d, int q, long off);
const sg_expr *sg_deriv_seq_at(sg_deriv *d, int q, sg_index at);
const sg_expr *sg_deriv_var(sg_deriv *d, int sym);

#endif
