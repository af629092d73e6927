/*
 * latex.h: the derivation, as a homework solution in LaTeX.
 *
 * sg_latex_document() prints what differentiation did, from the derivation
 * log each result carries (symbolic/diff.h): the problem, the forward pass
 * with named intermediates and their shapes, the computation graph (TikZ),
 * the backward pass one local rule per line, the total derivative wherever
 * a symbol is reached along several paths, and each result boxed in its
 * simplified closed form. Recurrences get backpropagation through time
 * (the unrolled graph, the recurrence for δ, the sum over time), Jacobians
 * forward propagation (softmax case by case), Hessians the Jacobian of the
 * gradient. Nothing is derived again: every value printed is one the log
 * recorded, or its display form. What a course derives rather than cites is
 * derived: the softmax family's Jacobians from their definitions before a
 * rule uses them, and a recurrence's vanishing and exploding gradients from
 * its own step; each matrix identity cites The Matrix Cookbook, and
 * `update` adds each parameter's gradient-descent step.
 *
 * The document needs pdflatex and the standard packages amsmath, amssymb
 * and tikz only; its preamble is templates/preamble.tex.
 *
 * Ownership: the returned text is the caller's (free()); the intermediate
 * names and placeholders the printer makes live in the problem's context.
 */
#ifndef SG_LATEX_H
#define SG_LATEX_H

#include "../base/buf.h"
#include "../symbolic/check.h"

typedef struct {
    int fragment;       /* the body only, for pasting into a document */
    int index;          /* also each result entry by entry: ∂L/∂W_ij = Σ_k … */
    int update;         /* also each parameter's gradient-descent update,
                           vectorised and entry by entry */
    const char *source; /* the input's name, for the first comment line; NULL: none */
    const char *text;   /* the input's text, for the title (its leading comment);
                           NULL or no comment: the title says what is derived */
    const char *const *verdicts; /* by answer (p->answers): its verdict in LaTeX words
                                    (cli/grade.c); NULL: no Answers section */
} sg_latex_opts;

/* the whole document (or fragment); NUL-terminated, length in *len */
char *sg_latex_document(const sg_problem *p, const sg_latex_opts *o, size_t *len);

/* how an op is written in LaTeX: "\odot", "\operatorname{tr}", "^{-1}" */
const char *sg_latex_op(sg_op op);

/* the op's local rule (reverse mode), one LaTeX line, into out: for
   SG_OP_MUL "Y = AB \Rightarrow \bar A = \bar Y B^\top,\ \bar B = A^\top \bar Y",
   made from the rule table's entries (symbolic/rules.h); for a leaf, what it
   is to the backward pass. Returns 0 (nothing written) for an op without. */
int sg_latex_rule(sg_buf *out, sg_op op);

/* text for LaTeX's text mode (a file name): \ { } $ & # ^ _ % ~ escaped,
   control bytes (a newline too) and each non-ASCII character as '?' */
void sg_latex_escape(sg_buf *out, const char *text);

/* prose (a problem's leading comment) as TeX text: escaped as by
   sg_latex_escape(), with the language's Unicode (Wᵀ, β, ‖r‖², 𝟙, −) set as
   math, prose dashes and quotes as TeX's; other non-ASCII characters '?' */
void sg_latex_text(sg_buf *out, const char *text);

/* the comment lines that open a problem's text, without their '#', joined
   by spaces (a blank or empty comment line ends them); appended to out,
   returns how many bytes */
size_t sg_latex_leading_comment(sg_buf *out, const char *text);

#endif
