/*
 * check_impl.h: what the checker's files share, and no other module reads.
 * The checker (sg_check in check.h) is three files:
 *
 *   check.c      names and shapes: expressions from the syntax tree to the
 *                DAG, bidirectionally (a wanted shape in, a value out)
 *   check_seq.c  sequences: indices, the Σ over time, a sequence's
 *                declaration and its recurrence's start and step
 *   problem.c    the problem: statements in order, the results asked for,
 *                the derivatives, the written forms, sg_check itself
 *
 * Ownership: the checker's state lives for one sg_check() call; what it
 * makes belongs to the problem's context.
 */
#ifndef SG_CHECK_IMPL_H
#define SG_CHECK_IMPL_H

#include "check.h"

#include "../base/strmap.h"

/* what a name stands for */
typedef enum { CK_NONE, CK_SYM, CK_DEF, CK_DIM, CK_FUNC, CK_SEQ } ck_name_kind;

struct ck_colfn {
    sg_span span;     /* the call */
    sg_span arg;      /* its argument */
    const char *fname;
    sg_shape shape;   /* the argument's */
};

typedef struct {
    const char *name;
    sg_expr *expr;   /* NULL when its definition failed: uses stay silent */
    sg_span span;
    const sg_ast *ast;   /* as written */
    int rw_first, rw_end; /* the rewrites recorded while building expr */
    int *uses, nuses; /* the earlier definitions its text names (arena) */
    sg_expr *written; /* expr with the σ family as written (sg_ctx_as_written),
                         when one of those rewrites changed it; else NULL */
    int derived_as_written; /* a result's log differentiates a function that
                               reads written (mark_written_derived) */
} ck_def;

typedef struct {
    sg_src *src;
    sg_ctx *ctx;
    ck_def *defs;
    int ndefs, capdefs;
    sg_strmap defnames; /* name → index in defs */
    int *uses;          /* the definitions the one being checked names */
    int nuses, capuses;
    sg_strmap resnames; /* result name → index in res: a request asked twice is one */
    sg_strmap usednames; /* the names an expression, a request or another step reads */
    sg_strmap asked;     /* each request as "kind target wrt": where it was first made */
    sg_strmap wrtnames;  /* the names some derivative is taken with respect to */
    struct ck_colfn *colfns; /* softmax, logsoftmax, logsumexp of a matrix: column-wise */
    int ncolfns, capcolfns;
    sg_result *res;
    int nres, capres;
    const char *prefix;
    unsigned char *seqbad; /* by sequence: its definition failed, uses stay silent */
    int capseqbad;
    /* reads h[t − 1] of a recurrence whose step comes further down (a gated
       cell: c[t] reads h[t − 1], h[t] reads c[t]), checked once every step is in */
    struct ck_ahead *ahead;
    int nahead, capahead;
    int nsteps; /* the steps defined so far: a sequence's order within a step */
    /* the loop whose body is being checked (a Σ or a step); var NULL outside */
    struct {
        const char *var;
        sg_index lo, hi;
        int self; /* a step: the recurrence it defines; −1 in a Σ */
    } loop;
    struct memo *memo; /* ck_check()'s answers, by subtree and wanted shape */
    unsigned nmemo, capmemo;
    int depth;         /* ck_check() calls under way */
    int depth_reported;
    int too_large;     /* the DAG outgrew SG_MAX_NODES (reported once) */
    int size_reported; /* a value's size overflowed (reported once) */
    int as_written;    /* building the written forms: names read defs[].written */
    /* the answers (problem.c): the statement, its checked claim (NULL when it
       failed) and whether the function it differentiates is known */
    struct ck_answer {
        const sg_stmt *stmt;
        sg_expr *expr;
        int known;
    } *answers;
    int nanswers, capanswers;
} ck_checker;

/* the result of checking a subtree */
enum { CK_OK, CK_ERR, CK_POLY };
typedef struct {
    int st;
    sg_expr *e;      /* CK_OK */
    sg_span poly;    /* CK_POLY: where the I or 𝟙 of unknown size is */
    int poly_ones;   /* CK_POLY: it is a 𝟙 (else an I) */
} ck_val;

/* the shape a context wants; -1 where it does not know */
typedef struct {
    sg_dim r, c;
} ck_want;

/* the wanted shape of a context that wants nothing in particular */
#define CK_ANY ((ck_want){-1, -1})

/* ---- check.c: names and shapes ---- */

/* the results of checking: a value, a failure (reported), an I or 𝟙 whose
   size the context must give */
ck_val ck_ok(sg_expr *e);
ck_val ck_err(void);
ck_val ck_poly(sg_span at, int ones);
/* reports an error at `at`, printf-style */
void ck_error(ck_checker *c, sg_span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* what a name stands for (its index in its table through *idx) */
ck_name_kind ck_lookup(const ck_checker *c, const char *name, int *idx);
/* "undefined name 'x'", with "did you mean 'X'?" when a declared or
   defined name is close */
void ck_undefined(ck_checker *c, sg_span at, const char *name);
/* name (a symbol, definition or sequence) is read: not unused */
void ck_use(ck_checker *c, const char *name);
/* the warnings of a problem without errors: declarations and definitions
   that nothing reads, a column-wise softmax over what looks like a batch of
   rows */
void ck_warn_unused(ck_checker *c);
/* a softmax-family call over a matrix, for the batch-of-rows warning */
void ck_colfn_seen(ck_checker *c, const sg_ast *call, sg_shape arg);
/* name is differentiated with respect to (a parameter, not data) */
void ck_wrt_seen(ck_checker *c, const char *name);
/* "ℝ^{m×n}", in the context's arena */
const char *ck_shape_str(ck_checker *c, sg_shape s);
/* the wanted shape that is exactly s */
ck_want ck_want_of(sg_shape s);
/* the node a subtree checks to, wanting shape w (memoized, depth-bounded) */
ck_val ck_check(ck_checker *c, const sg_ast *a, ck_want w);
/* forgets ck_check()'s answers, before the same text is checked again */
void ck_forget(ck_checker *c);
/* v, or an error when it is still an I or 𝟙 of unknown size */
ck_val ck_need_size(ck_checker *c, ck_val v);
/* a value of shape s would overflow a size: reported once; 1 then */
int ck_size_overflows(ck_checker *c, sg_shape s, sg_span at, const char *what);
/* the DAG outgrew SG_MAX_NODES: reported once; 1 then */
int ck_too_large(ck_checker *c, sg_span at);
/* a name the generated C can use as it is */
int ck_is_c_identifier(const char *s);
/* a name about to be declared or defined is new (else reported: 0) */
int ck_fresh(ck_checker *c, const char *name, sg_span at, const char *what);
/* a name being declared: new, and usable in C as it is (else reported: 0) */
int ck_declarable(ck_checker *c, const sg_ident *n);
/* the dimension a declaration names (made when new); 0 when reported */
int ck_dim_of(ck_checker *c, const sg_ident *id, sg_dim *out);

/* ---- check_seq.c: sequences ---- */

/* h[t − 1], x[t], h[T], h[0] */
ck_val ck_check_index(ck_checker *c, const sg_ast *a);
/* Σ_{t=lo}^{hi} body */
ck_val ck_check_sumover(ck_checker *c, const sg_ast *a, ck_want w);
/* the definition of sequence q failed: its uses stay silent */
int ck_seq_bad(const ck_checker *c, int q);
/* x[t] ∈ ℝ^k for t = lo..hi: an input sequence per name */
void ck_declare_seq(ck_checker *c, const sg_stmt *s, sg_shape shape, unsigned props);
/* h[0] = e, or h[t] = body for t = lo..hi */
void ck_define_seq(ck_checker *c, const sg_stmt *s);
/* after the last statement: every read of a step further down found its step */
void ck_seq_finish(ck_checker *c);

#endif
