/*
 * formula.h: expressions as text, the way they are written on paper.
 *
 * One printer, three alphabets: Unicode (Wᵀ(Wx) − x, ‖r‖², σ(z), ∂L/∂W),
 * ASCII (W' * (W * x) - x, norm(r)^2, sigmoid(z)) and LaTeX
 * (W^\top Wx - x, \lVert r\rVert^{2}, \sigma(z), for the derivation
 * printer). Nodes that carry a user's name (a definition) print as that name
 * unless they are the root. Parenthesizes by precedence only where needed.
 *
 * The `ascii` argument below is the alphabet: 0 (SG_FMT_UNICODE),
 * 1 (SG_FMT_ASCII) or SG_FMT_LATEX.
 *
 * Ownership: the text is appended to a caller's sg_buf.
 */
#ifndef SG_FORMULA_H
#define SG_FORMULA_H

#include "../base/buf.h"
#include "../symbolic/check.h"

enum { SG_FMT_UNICODE = 0, SG_FMT_ASCII = 1, SG_FMT_LATEX = 2 };

/* how tightly a printed expression binds, loosest first: a + b; a ⊙ b and
   a/b; ab; −a; aᵀ and a²; atoms */
enum { SG_FMT_SUM = 1, SG_FMT_OP, SG_FMT_PROD, SG_FMT_NEG, SG_FMT_POST, SG_FMT_ATOM };

/* with sg_fmt_style.breaks: where a line may break, before each + or − of
   a sum (the printer of the lines decides which are usable: not inside a
   \frac or \left…\right) */
#define SG_FMT_BREAK '\002'

void sg_fmt_expr(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii);

/*
 * The name a node prints as instead of its formula, or NULL to print the
 * formula. The C printer uses it to show a step in terms of the buffers and
 * locals it already computed (t3 = Wᵀt2 − x).
 */
typedef const char *(*sg_fmt_namer)(void *arg, const sg_expr *e);

/* sg_fmt_expr with the names decided by namer alone (e->name is ignored) */
void sg_fmt_expr_named(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int ascii,
                       sg_fmt_namer namer, void *arg);

/*
 * Everything at once: the alphabet, a namer, the level a named node prints
 * at (a name such as \frac{\partial L}{\partial v} is not an atom: (…)ᵀ
 * needs parentheses), break marks, and whether the root itself may print
 * as its name. Returns the level of the printed text.
 */
typedef struct {
    int alphabet;
    sg_fmt_namer namer;                        /* NULL: e->name */
    void *arg;
    int (*level)(void *arg, const sg_expr *e); /* NULL: names are atoms */
    int breaks;                                /* mark SG_FMT_BREAK */
    int named_root;                            /* the root may print as a name */
    /* NULL, or the nodes a whole document may still print, shared by its
       formulas and decreased by each: past it a formula prints as "…". One
       formula prints at most 100,000 nodes in any case (a DAG printed as a
       tree can be exponentially larger than the DAG). */
    long *left;
} sg_fmt_style;

int sg_fmt_expr_style(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, const sg_fmt_style *st);

/* a source name as printed: W1 → W₁, beta → β (ASCII: unchanged; LaTeX:
   W_1, \beta, W_hh → W_{hh}) */
void sg_fmt_name(sg_buf *out, const char *name, int ascii);

/* a dimension, and step h[t + off] of sequence q (or, with at, the fixed
   step h[at]), as a formula prints them, in an alphabet (SG_FMT_LATEX: n,
   h_{t+1}, h_{T}) */
void sg_fmt_dim(sg_buf *out, const sg_ctx *ctx, sg_dim d, int alphabet);
void sg_fmt_seq_ref(sg_buf *out, const sg_ctx *ctx, int q, long off, const sg_index *at,
                    int alphabet);

/* a step index as a formula prints it: k, T, T−1 (ASCII T-1) */
void sg_fmt_index(sg_buf *out, const sg_ctx *ctx, sg_index i, int alphabet);

/* sequence q's name: δh (ASCII delta_h; LaTeX \delta, or \delta^{(h)} when
   there are several adjoint sequences) */
void sg_fmt_seq_name(sg_buf *out, const sg_ctx *ctx, int q, int alphabet);

/* the name of a result: L, ∂L/∂W, ∂²L/∂x², ∂s/∂z (ASCII: dL/dW, d2L/dx2) */
void sg_fmt_result_name(sg_buf *out, const sg_result *r, int ascii);

/* --formulas: every requested result, one per line, "name = formula" */
char *sg_fmt_problem(const sg_problem *p, int ascii, size_t *len);

/*
 * The same text as lines, each with what it defines, for a reader that
 * wants one of them (the C printer's loop comments) without searching the
 * text. The lines are the text's, in order: text is line[0], '\n',
 * line[1], '\n', … byte for byte what sg_fmt_problem returns.
 */
typedef enum {
    SG_FMT_LINE_DEF,      /* a definition: the user's (p = σ(z)) or a fresh
                             name for a shared formula (r = WᵀWx − x) */
    SG_FMT_LINE_SEQ_INIT, /* a sequence's first step: h[0] = h₀ */
    SG_FMT_LINE_SEQ_STEP, /* a sequence's step at t: h[t] = …, t = 1, …, T */
    SG_FMT_LINE_RESULT    /* a result: ∂L/∂W = … */
} sg_fmt_line_kind;

typedef struct {
    const char *text;      /* the line, without its newline: text[0..len) */
    size_t len;
    sg_fmt_line_kind kind;
    int seq;               /* SEQ_INIT, SEQ_STEP: the sequence; RESULT: the sequence
                              whose every step it holds (∂L/∂x[t]); else −1 */
    int result;            /* RESULT: the index in p->results; else −1 */
    const sg_expr *expr;   /* DEF: the node the name stands for; RESULT: the
                              result as shown; else NULL */
} sg_fmt_line;

typedef struct {
    char *text;            /* the whole text (owned; the lines point into it) */
    size_t len;
    sg_fmt_line *line;     /* owned */
    int n;
} sg_fmt_lines;

/* --formulas of p as lines into out; sg_fmt_lines_free releases them */
void sg_fmt_problem_lines(sg_fmt_lines *out, const sg_problem *p, int ascii);
void sg_fmt_lines_free(sg_fmt_lines *f);

/* the line that defines sequence q at t (at_t) or at its first step
   (h[0] = h₀), or NULL when the text has none */
const sg_fmt_line *sg_fmt_seq_line(const sg_fmt_lines *f, int q, int at_t);

/* the identity a stability rewrite applies, instantiated, in an alphabet:
   log σ(z) = −softplus(−z), \log\sigma(z) = -\operatorname{softplus}(-z) */
void sg_fmt_rewrite(sg_buf *out, const sg_ctx *ctx, const sg_rewrite *r, int alphabet);

/* why a rewrite is made: 0 numerical stability, 1 so that σ is computed
   once, 2 to combine softplus terms */
int sg_fmt_rewrite_reason(sg_rewrite_kind k);

/*
 * r appended to b as the next factor of a product written by juxtaposition:
 * in Unicode single letters run together (Wx, 2x) and longer names stand
 * apart (y softplus(z)), with SG_FMT_JOIN where two factors ran together
 * (so that the next sees x, not Wx; the text's consumer drops it); in ASCII
 * " * "; in LaTeX a space only where a control word would run on.
 */
#define SG_FMT_JOIN '\001'
void sg_fmt_juxtapose(sg_buf *b, const char *r, int alphabet);

/* the rewrites from..to−1 (those pick marks, when pick is not NULL) a
   document shows, each once, into seen (room for to − from); returns how many */
int sg_fmt_rewrites_shown(const sg_ctx *ctx, int from, int to, const unsigned char *pick,
                          const sg_rewrite **seen);

#endif
