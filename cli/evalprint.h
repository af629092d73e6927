/*
 * evalprint.h: --eval, numbers for a hand computation.
 *
 * Parses values for the inputs (and dimensions) written as on a blackboard,
 *     W=[[1,2],[3,4]]; x=[1,1]; n=2; beta=0.5
 * (a matrix is a list of rows, a vector a flat list, a scalar a number, a
 * sequence x[t] the list of its steps, x=[[1,2],[3,4]] for T = 2;
 * dimensions not given are read off the shapes of the values), evaluates
 * every definition, every step of every recurrence (h[0], h[1], …) and
 * every result with the reference interpreter, and prints each as
 * `name = value`, one per line, results under their C names.
 *
 * Ownership: text is appended to the caller's buffers.
 */
#ifndef SG_EVALPRINT_H
#define SG_EVALPRINT_H

#include "../base/buf.h"
#include "../symbolic/check.h"

/* 0 on success; otherwise a message in err (the caller exits with status 2) */
int sg_evalprint(const sg_problem *p, const char *spec, sg_buf *out, sg_buf *err);

#endif
