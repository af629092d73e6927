/*
 * tex.h: the LaTeX derivation's parts (latex.h is their public face), and
 * the state they share.
 *
 * One document is printed by one tex_doc, passed to every part. What it
 * knows of each node is a tex_node (by node id): its role in the backward
 * pass (TEX_K_*), its name in the forward pass, its placeholder and ∂L/∂·.
 * What is printed decides which of those names a formula shows (TEX_M_*). A
 * backward pass over one formula is a tex_seg: the log's steps that push a
 * contribution (tex_edge), and what the segment knows of each node
 * (tex_segnode). The files, in the order the document uses them:
 *
 *   tex_names.c     which nodes are named, and how a node prints
 *   tex_text.c      text escaped for TeX, ops and rules, citations
 *   tex_layout.c    widths, line breaking, equations and tags
 *   tex_problem.c   the problem quoted, results named, the forward pass
 *   tex_graph.c     the computation graph (TikZ)
 *   tex_backward.c  a backward pass line by line, values in terms of lines above
 *   tex_bptt.c      backpropagation through time
 *   tex_jacobian.c  Jacobians, Hessians, the softmax family derived
 *   tex_index.c     index notation (--index), gradient-descent updates (--update)
 *   tex_vanish.c    vanishing and exploding gradients
 *   latex.c         the document: a gradient, symmetry notes, the driver
 *
 * Only these files ask symbolic/derive.h for expressions; none makes one.
 *
 * Ownership: the text, names and placeholders the parts make live in the
 * problem's arena (or its sg_deriv); the tables of a tex_doc and of a
 * tex_seg are malloc'd, freed by sg_latex_document() and tex_seg_free().
 */
#ifndef SG_TEX_H
#define SG_TEX_H

#include "../base/strmap.h"
#include "../symbolic/derive.h"
#include "../symbolic/props.h"
#include "formula.h"
#include "latex.h"

/* the roles of a node in the backward pass */
enum {
    TEX_K_NONE,    /* not in the derivation */
    TEX_K_STATION, /* a named intermediate: a line of its own, ∂L/∂u */
    TEX_K_AUX,     /* unnamed, but its rule is worth a line: ∂L/∂K⁻¹ */
    TEX_K_PASS,    /* its rule composes into the line below (ᵀ, sA, A + B, AB) */
    TEX_K_DIRECT,  /* its adjoint is a number (or cI): used as it is */
};

/* how the namer names nodes, by what is being printed */
enum {
    TEX_M_FORM,  /* a rule instantiated: every station, placeholders, f′ */
    TEX_M_VALUE, /* a value: heavy stations, f′, long adjoints of earlier lines */
    TEX_M_BOX,   /* a boxed result: heavy stations and f′ only */
    TEX_M_FWD,   /* the forward pass: every station */
    TEX_M_CLOSED, /* a closed form in the text: heavy stations and f′ */
};

/* rules beyond one per op: a scaling sA, and ‖A‖² = ⟨A, A⟩ */
enum { TEX_R_SCALE = SG_OP_COUNT, TEX_R_SQNORM, TEX_NRULES };

/* what the document knows of a node (tex_node_of()) */
typedef struct {
    const sg_expr *node;  /* the node this is about */
    const char *fwd;      /* its name in the forward pass: u, r, z_1, a_t, h_t */
    const char *base;     /* for a step's station: its name without the step, r */
    unsigned char heavy;  /* fwd names it in values too */
    unsigned char boxed;  /* and in boxed results */
    unsigned char kind;   /* TEX_K_* */
    unsigned char needed; /* a node of some backward pass */
    unsigned char owner;  /* a root, a user's definition, a recurrence's step */
    unsigned char line;   /* printed as a line in the current pass */
    int nparents;         /* distinct parents in the backward passes */
    const sg_expr *parent;
    const char *ph;       /* this node is a placeholder: it prints as ph */
    const char *delta;    /* the pre-activation of a numbered layer: its adjoint
                             is δ_k (\delta_{1} for h1 = tanh(W1x + b1)) */
    const char *partial;  /* ∂L/∂e in LaTeX, once its placeholder is made */
    sg_expr *phnode;      /* the placeholder of this node's adjoint */
    const char *fp;       /* this node is f′(a), printed so */
    const char *adj;      /* this node is the (long) adjoint of a line */
    const char *boxname;  /* in boxes, this repeated value prints as its line's ∂L/∂u */
    int region;           /* an owner's region_ops() + 1 (tex_names.c), once computed */
    /* the adjoint of a line already printed: values say it as lph (∂L/∂v),
       or as closed, its display form, when that is short */
    unsigned char lined;
    sg_expr *lph;
    sg_expr *closed;
} tex_node;

/* the document being printed */
typedef struct {
    const sg_problem *p;
    sg_ctx *ctx;
    sg_deriv *dv;              /* every expression the document shows is made there */
    sg_arena *ar;
    const sg_latex_opts *o;
    double line_ems;           /* TEX_LINE_EMS: set by sg_latex_document() */
    sg_buf *out;
    tex_node *ni;
    unsigned nni;
    int nsyms0;                /* the user's symbols; placeholders come after */
    int mode;                  /* TEX_M_* */
    const sg_expr *hide;       /* prints as its formula, not its adjoint name */
    const char *fname;         /* the differentiated quantity: L */
    int cite[TEX_NRULES];          /* citation number of each rule used, 0 if none */
    const char *rtex[TEX_NRULES];  /* each rule's TeX, once made (tex_rule_tex()) */
    int cited[TEX_NRULES];         /* the rules in order of first citation */
    int ncited;
    const char **used;         /* names given out */
    int nused, capused;
    sg_strmap taken;               /* those and the definitions' names (tex_taken()) */
    sg_idmap defs;             /* the definitions' nodes (tex_doc_forward()) */
    unsigned char *wrtsym;     /* by symbol: a result is with respect to it */
    long form_left;            /* g_form() calls left for this line (tex_backward.c) */
    int ndefs_in;              /* set once they are in defs */
    int *defix;                /* by number in defs: the first definition of the node */
    unsigned *dstamp;          /* by definition: the derivation that listed it */
    unsigned dstampnow;
    int ntaken_defs;           /* set once the definitions are in taken */
    int fresh;
    int inline_;               /* tex_result_tex() for running text */
    unsigned *lined;           /* ids of the nodes marked lined, to unmark */
    int nlined, caplined;
    int closed_ok;             /* subst() (tex_backward.c): lined adjoints may be said closed */
    /* the seeds' content: what the document has derived or cited once */
    int softmax_derived;       /* SG_OP_* bit of each softmax-family Jacobian derived */
    int cookbook;              /* a Matrix Cookbook equation is cited */
    int *centred;              /* the definitions centred_notes() may name (latex.c) */
    int ncentred;              /* their number, −1 until found */
    /* by node id, for every graph of the document (tex_graph.c), so that a
       graph costs its own nodes, not the context's: marks of tex_inputs_of()
       with gstamp, and each node's graph index + 1 (0 again after a graph) */
    unsigned *gseen, gstamp;
    int *gidx;
    size_t ngseen;
} tex_doc;

/* a list of nodes that grows as it is filled (free(l->v) when done) */
typedef struct {
    const sg_expr **v;
    int n, cap;
} tex_list;

/* the widest the right side of a line of an align may be, in ems (the
   document's 6.5in text at 11pt is 42 wide, a default article's 345pt at
   10pt, where a fragment goes, 34.5; the left side and the tag need the
   rest), and a boxed result's (TEX_BOX_EMS less its left side). Set once
   per document by sg_latex_document(). */
#define TEX_LINE_EMS(x) ((x)->line_ems)
#define TEX_BOX_EMS(x) ((x)->line_ems + 8.0)

/* a step of the log that pushes a contribution: node's rule, for its kid */
typedef struct {
    const sg_expr *node;
    int kid;
    const sg_expr *to;
    const sg_expr *contrib;
    int merged; /* both kids of ⟨A, A⟩: one edge, 2ȳA */
} tex_edge;

/* what the Total section says about a target */
typedef struct {
    const sg_expr *target;
    int n;                 /* contributions */
    const char **labels;   /* where each came through */
    const char **values;
    const sg_expr **vals;  /* the contributions themselves */
    const char **forms;    /* each as its rule reads, in terms of the lines above */
    int shared;            /* two of them go through the same line's adjoint */
    const sg_expr *adj;    /* their sum, as logged */
} tex_sums;

/*
 * A segment of a log: the steps of one backward pass over one formula. The
 * whole gradient of a function without sequences is one segment; with
 * sequences, so is the body of each Σ over time and of each recurrence (the
 * steps after its SEQ_SUM or SEQ_REC).
 */
/* a segment's facts about one node */
typedef struct {
    const sg_expr *adj;     /* the logged adjoint */
    unsigned char kind;     /* TEX_K_* in this segment */
    int nin;                /* the edges into it */
    int firstin, lastin;    /* the first and last edge into it, −1 */
} tex_segnode;

typedef struct {
    const sg_expr *root;
    sg_expr *seed;          /* stands for the root's adjoint: 1, ½, δ_t */
    tex_edge *e;
    int ne;
    /* what the segment knows of each node its steps name, by the node's
       sg_idmap number: sized by the segment, not by every node made, since
       a document builds one segment per backward pass and per step body */
    sg_idmap m;
    tex_segnode *v;
    unsigned cap;
    int *nextin;            /* by edge: the next edge into the same node, −1 */
    const sg_expr **order;  /* the nodes that get lines, in order */
    int norder;
    int step;               /* a body at one step t: its leaves get "to W:" lines */
} tex_seg;

/* the most nodes a value shows before it is said by names instead */
#define TEX_VALUE_CAP 400

/* the drawing's room: a default article's text width (345pt) and most of a
   page's height; a larger layout is drawn smaller, down to GRAPH_SCALE, and
   past that described in words, since its labels would be too small to read */
#define TEX_GRAPH_WIDTH 12.0
#define TEX_GRAPH_HEIGHT 18.0

/* ---- tex_names.c: node information, printing, and which nodes are named */
void tex_list_push(tex_list *l, const sg_expr *e);        /* appends e */
void tex_list_push_unique(tex_list *l, const sg_expr *e); /* appends e unless it is there */
/* e's nodes in the order of its text, each once, without recursion (seqs:
   and those of the recurrences it reads) */
void tex_dag_nodes(tex_doc *x, const sg_expr *e, int seqs, tex_list *out);
/* what the document knows of node e (grown on demand) */
tex_node *tex_node_of(tex_doc *x, const sg_expr *e);
/* the formula printer's namer: e's name in the current mode (TEX_M_*), or NULL */
const char *tex_namer(void *arg, const sg_expr *e);
/* the nodes e prints as in mode, up to a little over cap */
int tex_shown_size(tex_doc *x, const sg_expr *e, int mode, int cap, int named_root);
/* e in LaTeX into b, named as mode says; returns its level */
int tex_print(tex_doc *x, sg_buf *b, const sg_expr *e, int mode, int named_root, int breaks);
/* the same as a string in the arena */
const char *tex_str(tex_doc *x, const sg_expr *e, int mode, int named_root);
/* the same with break marks, for the parts of an equation */
const char *tex_str_breaks(tex_doc *x, const sg_expr *e, int mode, int named_root);
/* e as a factor of a product: parenthesized below product level */
const char *tex_factor(tex_doc *x, const sg_expr *e, int mode);
/* e as the user wrote it: only definitions named */
const char *tex_user_text(tex_doc *x, const sg_expr *e);
const char *tex_name(tex_doc *x, const char *name); /* a user's name in LaTeX */
const char *tex_dim(tex_doc *x, sg_dim d);          /* a dimension in LaTeX */
const char *tex_step(tex_doc *x, int q, long off);  /* h_{t+off} of sequence q */
const char *tex_at(tex_doc *x, int q, sg_index at); /* sequence q's fixed step h_{at} */
const char *tex_shape(tex_doc *x, sg_shape s);      /* \mathbb{R}^{m\times n} */
int tex_negated(const sg_expr *e);                  /* a negative constant coefficient */
int tex_is_scalar(const sg_expr *e);                /* 1×1 */
int tex_is_leaf(const sg_expr *e);                  /* no kids: a symbol or a constant */
int tex_is_matmul(const sg_expr *e);                /* a matrix product (not a scaling) */
/* an op nobody names: ᵀ, a scaling, a fill, a division by a constant */
int tex_is_trivial(tex_doc *x, const sg_expr *e);
/* whether log l starts with a seed step */
int tex_has_seed(const sg_log *l);
/* the nodes of every backward pass, their parents, and the owners */
void tex_find_needed(tex_doc *x, const sg_log **logs, int nlogs);
/* whether name s is given out or a definition's */
int tex_taken(tex_doc *x, const char *s);
/* the operations e shows, up to cap */
int tex_shown_ops(tex_doc *x, const sg_expr *e, int cap, int root);
/* f′ in LaTeX: \operatorname{swish}', \tanh' */
const char *tex_prime_of(tex_doc *x, sg_op op);
/* the stations, named, and the long elementwise derivatives */
void tex_name_nodes(tex_doc *x);

/* ---- tex_text.c: text, ops and rules, citations, the Matrix Cookbook */
int tex_is_alpha_c(char c); /* an ASCII letter */
/* text in a TeX comment: control bytes and non-ASCII become '?' */
void tex_comment_text(sg_buf *out, const char *s);
/* a count in words: "no", "one", …, "ten", then digits */
const char *tex_count_word(tex_doc *x, int n);
/* LaTeX that stands taller than a line: its parentheses grow with it */
int tex_tall(const char *s);
/* rule r's local rule in LaTeX, made once per document */
const char *tex_rule_tex(tex_doc *x, int r);
/* cites rule r: its number in the list of rules used */
int tex_cite(tex_doc *x, int r);
/* the rule (an op, TEX_R_SCALE or TEX_R_SQNORM) a log step used */
int tex_rule_of(const sg_expr *node, int merged);
/* The Matrix Cookbook's equation for rule r, or NULL */
const char *tex_cookbook_of(int r);
/* a rule's tag in a list of rules: "Cookbook (37)\quad (R4)" */
const char *tex_rule_tag(tex_doc *x, const char *cookbook, const char *label);
/* the bibliography, when a Cookbook equation was cited */
void tex_doc_references(tex_doc *x);

/* ---- tex_layout.c: widths, line breaking, equations and their tags */
double tex_width(const char *s); /* the estimated width of LaTeX s, in ems */
void tex_put_unbroken(sg_buf *b, const char *s); /* s without its break marks */
/* a boxed result; a long one boxed over several lines */
const char *tex_boxed(tex_doc *x, const char *s, double avail);
/* one line of an align*: lhs &= parts[0] = parts[1] …, tag at the margin */
void tex_equation(tex_doc *x, sg_buf *b, const char *lhs, const char *lead, const char **parts,
                  int nparts, const char *tag);
/* ends an align body begun at start, gluing its short rows */
void tex_end_align(sg_buf *b, size_t start);
/* a rule instantiated, or NULL when it is too wide and cannot break */
const char *tex_fits(tex_doc *x, const char *s);
/* the tag of a line: the rules it used, and the shape at the margin */
const char *tex_tag_of(tex_doc *x, const int *rs, int nrs, sg_shape shape);

/* ---- tex_backward.c: a backward pass's segments and lines, values said by them */
void tex_seg_free(tex_seg *s);
/* what the segment knows of e */
const tex_segnode *tex_seg_at(const tex_seg *s, const sg_expr *e);
/* the same, numbering e if the segment did not know it */
tex_segnode *tex_seg_slot(tex_seg *s, const sg_expr *e);
/* whether the segment's steps name e */
int tex_in_seg(const tex_seg *s, const sg_expr *e);
/* the steps [from, to) of log g as a segment rooted at root */
void tex_seg_build(tex_doc *x, tex_seg *s, const sg_log *g, int from, int to, const sg_expr *root,
                   sg_expr *seed);
/* ∂L/∂e in LaTeX (δ_k for a layer's pre-activation) */
const char *tex_adj_name(tex_doc *x, const sg_expr *e);
/* the node a contribution came through: the line above it */
const sg_expr *tex_through(const tex_seg *s, const sg_expr *e);
/* the display form of a node, computed once */
sg_expr *tex_simple(tex_doc *x, const sg_expr *v);
/* marks a, the adjoint of the line of e, as said: by ph, or by closed */
void tex_line_adjoint(tex_doc *x, const sg_expr *a, sg_expr *ph, sg_expr *closed);
/* a new function: the adjoints of the last one are not its adjoints */
void tex_unline_all(tex_doc *x);
/* the display form of v, said in terms of the lines above */
sg_expr *tex_said(tex_doc *x, const sg_expr *v, int closed_ok);
/* v in LaTeX, elided past TEX_VALUE_CAP nodes */
const char *tex_print_value(tex_doc *x, const sg_expr *v, int mode, int breaks);
/* a value as the page shows it: display form, or as built when that is shorter */
const char *tex_value_text(tex_doc *x, const sg_expr *v, int mode, int breaks);
/* the placeholders in e, each once, into out, looking at budget nodes */
void tex_phs_in(tex_doc *x, const sg_expr *e, tex_list *out, int *budget);
/* values joined into a sum, a break allowed before each further term */
const char *tex_join_sum(tex_doc *x, const char **v, int n);
/* "through v" and "through u", or "through v and through u and …" */
void tex_list_labels(sg_buf *b, const char **labels, int n);
/* the lines of segment s for targets, the sums of several paths into out */
void tex_seg_lines(tex_doc *x, tex_seg *s, sg_buf *b, const sg_expr *const *targets, int nt,
                   tex_sums *out, int defer);

/* ---- tex_problem.c: the problem (quoted), results' names, the forward pass */
/* a result in closed form, or in terms of the named adjoints when long */
const char *tex_result_text(tex_doc *x, const sg_expr *e, const sg_expr *raw);
/* "A, B and C" into b */
void tex_and_list(sg_buf *b, const char **items, int n);
/* ∇_W L, ∂s/∂z, ∇²_x f: what a result is called in the text */
const char *tex_result_tex(tex_doc *x, const sg_result *r);
/* a sequence index in LaTeX: T, t, T-1 */
const char *tex_index(tex_doc *x, sg_index i);
/* the Problem section */
void tex_doc_problem(tex_doc *x);
/* the Answers section: each answer as written beside the derived result,
   and its verdict */
void tex_doc_answers(tex_doc *x, const char *const *verdicts);
/* the stations of log g's function, kids first */
int tex_log_stations(tex_doc *x, const sg_log *g, const sg_expr ***out);
/* the stations and input symbols e's formula is written in, each once */
void tex_inputs_of(tex_doc *x, const sg_expr *e, tex_list *in, unsigned *seen, unsigned stamp);
/* the forward pass of function f: its stations st, defined */
void tex_doc_forward(tex_doc *x, const sg_expr *f, const sg_expr **st, int nst);

/* ---- tex_graph.c: the computation graph (TikZ) */
const char *tex_gname(tex_doc *x, const sg_expr *e); /* a graph node's name */
/* the width (and height) of a node's TeX text at 11pt, in cm */
double tex_label_size(const char *s, double *height);
/* the box TikZ draws for a node; returns whether it is a pill */
int tex_gbox(const char *style, const char *tex, double *w, double *h);
/* the computation graph of a log's function, the paths of multi coloured */
void tex_doc_graph(tex_doc *x, tex_seg *sg, const sg_expr **st, int nst, const sg_expr *root,
                   const sg_expr *const *multi, int nmulti);

/* ---- latex.c: the document: symmetry notes, a gradient, the driver */
/* the VAR node of the symbol called name */
const sg_expr *tex_var_named(tex_doc *x, const char *name);
/* each tikzpicture written to b since from, scaled down to the line width */
void tex_fit_pictures(sg_buf *b, size_t from);
/* the backward pass of a segment: rules used, then the lines */
void tex_doc_backward(tex_doc *x, tex_seg *s, const sg_expr *const *targets, int nt, tex_sums *sm,
                      int defer, const char *intro);

/* ---- tex_bptt.c: backpropagation through time */
/* "t = 1, \dots, T-1" */
const char *tex_range_text(tex_doc *x, sg_index lo, sg_index hi);
/* a recurrence's gradient: the unrolled graph, δ's recurrence, the sums over time */
void tex_doc_bptt(tex_doc *x, const sg_log *g, const sg_result *const *res, int nres);

/* ---- tex_jacobian.c: Jacobians, Hessians, the softmax family derived */
/* v_i for a name v: x_i, (z_1)_i */
const char *tex_entry(tex_doc *x, const char *v, const char *i);
/* is the LaTeX a plain name (s, z_2, \beta), fit to index? */
int tex_plain_name(const char *t);
/* the Jacobian (or Hessian) of result r from log g's steps from `from` on */
void tex_doc_jacobian(tex_doc *x, const sg_log *g, int from, const sg_result *r, int hessian);
/* a function's LaTeX name: \tanh, \operatorname{swish} */
const char *tex_fn_name(sg_op op);
/* the first of the letters pref that the problem leaves free */
const char *tex_free_letter(tex_doc *x, const char *const *pref, int n);
/* the bit of x->softmax_derived for a softmax-family op, 0 for another */
int tex_softmax_bit(sg_op op);
/* the softmax family's Jacobian, derived from its definition */
void tex_softmax_derivation(tex_doc *x, const sg_expr *e, const char *tag, int reverse);

/* ---- tex_index.c: index notation (--index) and gradient-descent updates (--update) */
/* the index form of a result, as one more line of its align */
void tex_index_line(tex_doc *x, sg_buf *b, const sg_result *r);
/* each parameter's gradient-descent step, vectorised and entry by entry */
void tex_doc_updates(tex_doc *x);

/* ---- tex_vanish.c: vanishing and exploding gradients */
/* the recurrence q's step Jacobian and its bound, from log g */
void tex_doc_vanishing(tex_doc *x, const sg_log *g, int q);

#endif
