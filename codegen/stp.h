/*
 * stp.h: the parts of the --steps derivation (steps.h is their public
 * face), and the state they share.
 *
 * One document is printed by one stp_doc, passed to every part: by node id,
 * each node's printed name (its own, the user's, or a fresh one), what it
 * is to the derivation (STP_F_*), and which log's steps read it; the names
 * given out; the formula nodes the document may still print. The files:
 *
 *   stp_text.c     columns on a terminal, ASCII, lines broken to the width
 *   stp_names.c    formulas in the document's names; which nodes are named
 *   stp_problem.c  the title, the problem as the checker holds it, the forward pass
 *   steps.c        each log's steps one rule per line, and the document
 *
 * None of them makes an expression: every formula is a node of the
 * problem's DAG or of its logs, written by formula.c.
 *
 * Ownership: an stp_doc's tables and the names it makes (owned[], mine[])
 * are malloc'd and freed by sg_steps_document(); a formula stp_fmt()
 * returns is the caller's (free()).
 */
#ifndef SG_STP_H
#define SG_STP_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/strmap.h"
#include "formula.h"
#include "steps.h"
#include "../symbolic/props.h"

#define STP_WIDTH 80 /* the default width */
#define STP_CONT 4   /* the extra indentation of a broken line's continuation */
/* the most formula nodes one document prints (stp_names.c says why) */
#define STP_STEPS_NODES 250000L

/* what a node is to the derivation (bits of stp_doc.flag) */
enum {
    STP_F_STATION = 1, /* a step's node, or a node a step contributes to */
    STP_F_ADDEND = 2,  /* a kid of an unnamed sum */
    STP_F_SCALED = 4,  /* a 1×1 kid of a scaling by a number (½‖r‖²) */
    STP_F_ARG = 8,     /* the argument of a nonlinear function: a pre-activation */
    STP_F_BACK = 16,   /* a station of the reverse pass (not only of a Jacobian's) */
    STP_F_PARTIAL = 32, /* a sum that is a kid of a sum: a partial sum */
};

/* the document being printed */
typedef struct {
    const sg_problem *p;
    const sg_ctx *ctx;
    int ascii, width;
    unsigned n;            /* node ids are below n */
    const char **name;     /* by id: the printed name, or NULL */
    unsigned char *owned;  /* by id: name[id] is ours to free */
    unsigned char *fresh;  /* by id: name[id] is a fresh name */
    unsigned char *jac;    /* by id: name[id] is a Jacobian's, J₁ (not in boxes) */
    int njac;              /* Jacobians named so far */
    unsigned char *flag;   /* by id: STP_F_* bits */
    unsigned *mark;        /* by id: stamp of the log that has a TOTAL for it */
    int *total;            /* by id, with mark: that TOTAL step's index */
    const sg_expr **owner; /* by id: the node whose whole gradient it was printed as */
    unsigned *amark;       /* by id: stamp of the log whose steps read it as an adjoint */
    int *alast;            /* by id, with amark: the last such step */
    unsigned stamp;
    const char **used;     /* fresh names taken, raw */
    int nused, capused, pool;
    sg_strmap taken;       /* those and the definitions' names (stp_taken()) */
    long left;             /* formula nodes the document may still print */
    int defs_in;           /* set once the definitions are in taken */
    char **mine;           /* the fresh names made up past the pool, to free */
    int nmine, capmine;
    int cont;              /* the extra indentation of a continuation line */
    int boxing;            /* printing a boxed result */
    const sg_expr *naming; /* while printing a whole gradient: whose it is */
    const sg_expr *parent; /* and the node whose rule gave it, if a rule did */
    int at;                /* and the step's index */
    sg_buf out;
} stp_doc;

/* ---- stp_text.c: columns, ASCII, lines broken to the width */
size_t stp_cols(const char *s);          /* the columns s takes on a terminal */
void stp_spaces(sg_buf *b, size_t n);    /* n spaces */
/* text of the rule table (or of the source) in the output's alphabet */
void stp_put_text(stp_doc *s, sg_buf *b, const char *t);
/* t as lines within the width, the first after indent columns; returns how many */
int stp_split_lines(stp_doc *s, const char *t, size_t indent, char **store, char ***lines);
/* one line of the derivation: a formula after indent, a rule at the right margin */
void stp_emit(stp_doc *s, size_t indent, const char *left, const char *right);

/* ---- stp_names.c: formulas in the document's names, and which nodes are named */
/* the formula printer's namer: a node's printed name, or NULL */
const char *stp_namer(void *arg, const sg_expr *e);
/* a step's formula, within the document's budget (level: its precedence) */
char *stp_fmt(stp_doc *s, const sg_expr *e, int named_root, int *level);
/* the same with the user's names only, for a line of the problem */
char *stp_fmt_user(stp_doc *s, const sg_expr *e, size_t written);
/* e as the operand of ∂: its name, or its formula, parenthesized */
void stp_put_operand(stp_doc *s, sg_buf *b, const sg_expr *e);
void stp_put_parens(sg_buf *b, const char *t, int wrap); /* t, in ( ) when wrap */
const char *stp_d_sym(const stp_doc *s);  /* "∂" (ASCII "d") */
/* ∂f/∂e */
void stp_put_partial(stp_doc *s, sg_buf *b, const sg_expr *f, const sg_expr *e);
/* a sequence's name: δh (ASCII delta_h) */
void stp_put_seq_name(stp_doc *s, sg_buf *b, int q);
void stp_put_index(stp_doc *s, sg_buf *b, sg_index i); /* a sequence index: T, t-1 */
int stp_taken(stp_doc *s, const char *name); /* a name given out or defined */
void stp_use(stp_doc *s, const char *name);  /* gives a name out */
void stp_keep(stp_doc *s, char *name);       /* a made-up name, freed with the document */
int stp_is_leaf(const sg_expr *e);          /* no kids */
/* the operators e's formula shows, down to names and leaves, up to cap */
int stp_shown_ops(stp_doc *s, const sg_expr *e, int cap, int root);
int stp_is_nonlinear(sg_op op);             /* an elementwise function (not a scaling) */
/* the stations of the logs, the long ones named; returns them, kids first */
const sg_expr **stp_name_stations(stp_doc *s, const sg_log **logs, int nlogs, int *nstations);

/* ---- stp_problem.c: the title, the problem, the forward pass */
void stp_title(stp_doc *s, const char *src); /* the source's leading comment */
/* t = lo..hi (Unicode: t = lo, …, hi) */
void stp_put_range(stp_doc *s, sg_buf *b, sg_index lo, sg_index hi, int down);
void stp_doc_problem(stp_doc *s);            /* the problem as the checker holds it */
/* the fresh names, and the user's definitions that read them */
void stp_doc_forward(stp_doc *s, const sg_expr **st, int nst);
/* each answer as written beside the derived result, and its verdict */
void stp_doc_answers(stp_doc *s, const char *const *verdicts);

/* ---- steps.c: the logs, and the document */
/* lhs op value, then the rule; lhs op name = value when value gets its name here */
void stp_line(stp_doc *s, size_t indent, const char *lhs, const char *op, const sg_expr *value,
              const char *tail, sg_rule_id rule);

#endif
