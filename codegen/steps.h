/*
 * steps.h: the derivation as plain text, for the terminal (--steps).
 *
 * The same derivation --latex typesets, as lines a student can check one
 * at a time: the problem as the checker holds it, names for the
 * intermediates, then per derivation log the seed and one local rule per
 * line (the node, the instantiated contribution, the rule's text from the
 * rule table with its Matrix Cookbook equation), the total derivative
 * where several paths add, backpropagation through time as the log records
 * it, and each result boxed in the closed form --formulas prints.
 *
 * Nothing is derived here: every formula printed is a node the problem
 * or its logs (symbolic/diff.h) hold, written by formula.c in the user's
 * names. Lines are kept to 80 columns, long formulas broken before a + or
 * − of a sum, else at a space.
 *
 * Ownership: the returned text is the caller's (free()).
 */
#ifndef SG_STEPS_H
#define SG_STEPS_H

#include <stddef.h>

#include "../symbolic/check.h"

typedef struct {
    int ascii;          /* formula.c's ASCII alphabet instead of Unicode */
    const char *source; /* the problem's text, for its leading comment (the
                           title); NULL: no title */
    int width;          /* the line width to keep to; 0: 80 */
    const char *const *verdicts; /* by answer (p->answers): its verdict in words
                                    (cli/grade.c); NULL: no Answers section */
} sg_steps_opts;

/* the whole derivation, NUL-terminated, its length in *len */
char *sg_steps_document(const sg_problem *p, const sg_steps_opts *o, size_t *len);

#endif
