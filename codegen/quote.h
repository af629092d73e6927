/*
 * quote.h: a definition as the user wrote it, in LaTeX, Unicode or ASCII.
 *
 * The DAG a definition becomes is not what was written: products are
 * re-associated, constants collected, and fragile compositions replaced by
 * the ops that evaluate them stably (log σ(z) by −softplus(−z)). A
 * derivation states its problem in the user's own terms, so the problem is
 * printed from the syntax tree (parser/ast.h): the user's names, functions
 * (σ, log, softmax), operators, grouping and numbers (½ stays ½), typeset
 * as on paper (a / b is a fraction, aᵀ a superscript) for --latex, and in
 * the alphabets of --formulas for --steps (Unicode: ‖x‖², Wᵀ, ⊙; ASCII:
 * norm(x)^2, W', .*, with * between factors and inv(A) for A⁻¹).
 *
 * A name that is neither a value nor a function is a product written as on
 * paper (`Wx`); known() says which names are values, and the unique split
 * the checker accepted is printed as its factors (W x), a postfix binding
 * to the last one (`YYᵀ` is Y Yᵀ).
 *
 * Ownership: nothing is kept; the text is appended to out.
 */
#ifndef SG_QUOTE_H
#define SG_QUOTE_H

#include "../base/buf.h"
#include "../parser/ast.h"

typedef struct {
    /* the source text the spans index: numbers are quoted from it (½, 1e-3);
       NULL: from their values */
    const char *text;
    /* whether the n bytes at name are a value here (a symbol, an earlier
       definition, a dimension, I); NULL: every name is */
    int (*known)(void *arg, const char *name, size_t n);
    void *arg;
    int breaks;   /* mark SG_FMT_BREAK before each + and − of the top-level sum */
    int alphabet; /* SG_FMT_UNICODE (0), SG_FMT_ASCII or SG_FMT_LATEX */
} sg_quote_opts;

/* e as written, in o->alphabet */
void sg_quote(sg_buf *out, const sg_ast *e, const sg_quote_opts *o);

#endif
