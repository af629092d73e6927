/*
 * check.h: from the syntax tree to a problem: names, shapes, expressions,
 * derivatives.
 *
 * sg_check() resolves every name (splitting `Wx` into `W x` where exactly
 * one split exists), infers and checks every shape (with unification for
 * I, 𝟙 and 0), builds each definition as a DAG node, and differentiates what
 * is requested. Every error is recorded in src in the format of LANGUAGE.md;
 * checking goes on after an error so that all of them are reported.
 *
 * Ownership: the problem owns its context (and so every node); free it with
 * sg_problem_free().
 */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include "../parser/ast.h"
#include "diff.h"
#include "expr.h"

typedef enum {
    SG_RES_VALUE,    /* a defined value: L, s, r */
    SG_RES_GRAD,     /* dL_dW: shaped like W */
    SG_RES_JACOBIAN, /* ds_dz: p×q, rows and columns flattened row-major */
    SG_RES_HESSIAN,  /* d2L_dx2, d2L_dxdy */
} sg_result_kind;

typedef struct {
    sg_result_kind kind;
    const char *cname; /* the C field name: "L", "dL_dW", "ds_dz", "d2L_dxdy" */
    const char *of;    /* the value, or the differentiated name */
    const char *wrt, *wrt2; /* what it is differentiated with respect to */
    sg_expr *expr;     /* the result (for a Jacobian, already the p×q matrix),
                          in the form the C printer computes it */
    sg_expr *display;  /* the same value simplified for reading (sg_simplify):
                          what --formulas and --latex print */
    sg_log *log;       /* GRAD, JACOBIAN, HESSIAN: the derivation; NULL for values.
                          For a gradient of a function a stability rewrite of
                          the σ family changed (log σ(z) = −softplus(−z)), the
                          derivation of the function as the user wrote it, so
                          that the documents show σ′ = σ(1 − σ) */
    sg_expr *written;  /* then: the gradient that derivation gives, equal to
                          expr as a function (test_check); else NULL */
} sg_result;

typedef struct {
    const char *name;
    sg_expr *expr;
    sg_span span;
    /* the expression as written (in the parse arena: valid while it is),
       and the stability rewrites the constructors made while building expr:
       sg_rewrite_get(ctx, i) for rw_first <= i < rw_end (duplicates possible) */
    const sg_ast *ast;
    int rw_first, rw_end;
    /* the definitions (indices into sg_problem.defs) its text names, as
       written: L = −log p names p even where the DAG reads softplus(−u) */
    const int *uses;
    int nuses;
    /* expr with the σ family as written (sg_ctx_as_written) when one of
       those rewrites changed it, else NULL; derived_as_written when a
       derivation (a result's log) differentiates a function that reads it */
    sg_expr *written;
    int derived_as_written;
} sg_def;

/* answer ∂L/∂W = e: a claimed derivative, for --grade (symbolic/grade.h) */
typedef struct {
    int result;        /* the index in sg_problem.results of the derivative it claims */
    sg_expr *expr;     /* the claim, checked like a definition */
    const sg_ast *ast; /* as written (in the parse arena: valid while it is) */
    sg_span span;      /* the statement */
    sg_span head;      /* ∂L/∂W (or dL/dW) as written */
    int order;         /* 1, or 2 for a Hessian */
} sg_answer;

typedef struct {
    sg_ctx *ctx;
    const char *prefix;   /* from a `prefix` statement, else NULL */
    const char *text;     /* the source text the spans index (src->text:
                             valid while src is), for quoting numbers */
    const sg_program *prog; /* the program as written (in the parse arena:
                               valid while it is), for quoting recurrences */
    sg_def *defs;         /* in the order written */
    int ndefs;
    sg_result *results;   /* values first, then derivatives, in request order */
    int nresults;
    sg_answer *answers;   /* the `answer` statements, in the order written */
    int nanswers;
} sg_problem;

/*
 * The derivations of p's results, each once, in the order of their first
 * result, into logs (room for p->nresults); their count. With which (room for
 * p->nresults, or NULL), which[i] is the index in logs of result i's log, or
 * −1 for a value. Linear: 20,000 requests are 20,000 derivations.
 */
int sg_problem_logs(const sg_problem *p, const sg_log **logs, int *which);

/* the sequence whose every step result r holds (∂L/∂x[t] for an input
   sequence x: r->expr is the STEP δx[t] of x's adjoint), or −1 */
int sg_result_seq(const sg_result *r);

/* NULL when any error was recorded in src */
sg_problem *sg_check(sg_src *src, const sg_program *prog);
void sg_problem_free(sg_problem *p);

#endif
