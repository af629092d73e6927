/*
 * latex.c: the derivation, as a homework solution in LaTeX.
 *
 * The document is printed from the derivation log (symbolic/diff.h) and
 * nothing else: the log says which rule pushed which contribution from
 * which node to which child, where the contributions of several paths were
 * summed, and (for recurrences) how the adjoint sequence δ was assembled.
 * This file decides only how to show it.
 *
 * Named intermediates. The log walks the DAG the C printer computes from,
 * one op per node, down to transposes and scalings. A solution names fewer
 * things: the user's definitions (z₁, h₁, K), nodes shared by several
 * parents, and, inside a definition with two or more real ops, the layer-
 * level values a person would name: a sum (r = v − x), a nonlinearity, the
 * pre-activation of one (a_t), and the links of a product chain that the
 * same symbol enters twice (u = Wx, v = Wᵀu). These are the "stations";
 * their names come from the user or from a short pool (u, v, w, …; r for a
 * difference, a for a pre-activation). Transposes, scalings, sums and
 * matrix products between stations are passed through: their rules compose
 * into the line of the station below, so that "through v" reads u(∂L/∂v)ᵀ
 * rather than a transpose of a product. An op that is neither (K⁻¹ under
 * tr(K⁻¹YYᵀ)) gets a line of its own, ∂L/∂K⁻¹ = −½YYᵀ.
 *
 * The local rule of a line is written out by instantiating the op's rule
 * with a placeholder for the parent's adjoint (a stand-in that prints as
 * ∂L/∂v), so that (Wᵀ)ᵀ prints W; the value beside it is the contribution
 * the log recorded, in display form. This file makes no expression: the
 * forms, display forms, values said in terms of the lines above, steps read
 * one step later or at a fixed step, and f′ are made by symbolic/derive.c,
 * which test_derive.c checks (the instantiated rules, fed the logged
 * adjoints, give back exactly the logged contributions).
 *
 * Names are the same in every part of the document: the printer's namer maps
 * a node to its station name, a placeholder to its ∂L/∂·, a long elementwise
 * derivative to f′(a) (swish′(z₁)), and, in values, the adjoint of an
 * earlier line to its ∂L/∂· when it is long. Boxed results are in closed
 * form, naming only the user's definitions and intermediates whose formula
 * is long (r = WᵀWx − x); one that would fill more than a few lines is
 * written with the named adjoints instead.
 *
 * Recurrences (SEQ_* steps) get the unrolled graph, the body of the Σ and of
 * the recurrence each as one step t, the sums over time and the recurrence
 * for δ interval by interval; Jacobian steps are lines J(a) = …, with the
 * softmax case by case; a Hessian is the Jacobian of the gradient.
 *
 * Layout: every equation is a line of an align* with the rules and the
 * shape in its \tag*. The formula printer marks where a sum or ⊙ may break;
 * a line wider than LINE_EMS (estimated by width(), calibrated against TeX)
 * breaks at the shallowest usable mark, and a long boxed result becomes a
 * boxed aligned block. The left column stays narrow (labels go right of the
 * alignment point) so that no column pushes a line off the page.
 *
 * Sizes. Every list here grows with the problem (inputs of a node, paths,
 * pieces of δ, factors of a product); walks over a value look at each node
 * of its DAG once. The limits are the page's, and the text says when one
 * applies: a graph too large to draw is described in words, a formula of
 * more than PRINT_CAP nodes is elided with a marker, and of a symbol's
 * paths the first PATHS_LISTED are listed, then "…", of the first
 * MULTI_LISTED such symbols (the text says how many more). Text from outside the
 * problem (the input's file name) is escaped for TeX, never copied.
 */
#include "latex.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/strmap.h"
#include "../symbolic/derive.h"
#include "formula.h"
#include "graph.h"
#include "quote.h"
#include "templates.h"

/* the roles of a node in the backward pass */
enum {
    K_NONE,    /* not in the derivation */
    K_STATION, /* a named intermediate: a line of its own, ∂L/∂u */
    K_AUX,     /* unnamed, but its rule is worth a line: ∂L/∂K⁻¹ */
    K_PASS,    /* its rule composes into the line below (ᵀ, sA, A + B, AB) */
    K_DIRECT,  /* its adjoint is a number (or cI): used as it is */
};

/* how the namer names nodes, by what is being printed */
enum {
    M_FORM,  /* a rule instantiated: every station, placeholders, f′ */
    M_VALUE, /* a value: heavy stations, f′, long adjoints of earlier lines */
    M_BOX,   /* a boxed result: heavy stations and f′ only */
    M_FWD,   /* the forward pass: every station */
    M_CLOSED, /* a closed form in the text: heavy stations and f′ */
};

/* rules beyond one per op: a scaling sA, and ‖A‖² = ⟨A, A⟩ */
enum { R_SCALE = SG_OP_COUNT, R_SQNORM, NRULES };

typedef struct {
    const sg_expr *node;  /* the node this is about */
    const char *fwd;      /* its name in the forward pass: u, r, z_1, a_t, h_t */
    const char *base;     /* for a step's station: its name without the step, r */
    unsigned char heavy;  /* fwd names it in values too */
    unsigned char boxed;  /* and in boxed results */
    unsigned char kind;   /* K_* */
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
    int region;           /* an owner's region_ops() + 1, once computed */
    /* the adjoint of a line already printed: values say it as lph (∂L/∂v),
       or as closed, its display form, when that is short */
    unsigned char lined;
    sg_expr *lph;
    sg_expr *closed;
} info;

typedef struct {
    const sg_problem *p;
    sg_ctx *ctx;
    sg_deriv *dv;              /* every expression the document shows is made there */
    sg_arena *ar;
    const sg_latex_opts *o;
    sg_buf *out;
    info *ni;
    unsigned nni;
    int nsyms0;                /* the user's symbols; placeholders come after */
    int mode;                  /* M_* */
    const sg_expr *hide;       /* prints as its formula, not its adjoint name */
    const char *fname;         /* the differentiated quantity: L */
    int cite[NRULES];          /* citation number of each rule used, 0 if none */
    const char *rtex[NRULES];  /* each rule's TeX, once made (rule_tex) */
    int cited[NRULES];         /* the rules in order of first citation */
    int ncited;
    const char **used;         /* names given out */
    int nused, capused;
    sg_strmap taken;           /* those and the definitions' names (taken()) */
    sg_idmap defs;             /* the definitions' nodes (doc_forward()) */
    unsigned char *wrtsym;     /* by symbol: a result is with respect to it */
    long form_left;            /* g_form() calls left for this line (FORM_EDGES) */
    int ndefs_in;              /* set once they are in defs */
    int *defix;                /* by number in defs: the first definition of the node */
    unsigned *dstamp;          /* by definition: the derivation that listed it */
    unsigned dstampnow;
    int ntaken_defs;           /* set once the definitions are in taken */
    int fresh;
    int inline_;               /* result_tex for running text */
    unsigned *lined;           /* ids of the nodes marked lined, to unmark */
    int nlined, caplined;
    int closed_ok;             /* subst(): lined adjoints may be said in closed form */
    /* the seeds' content: what the document has derived or cited once */
    int softmax_derived;       /* SG_OP_* bit of each softmax-family Jacobian derived */
    int cookbook;              /* a Matrix Cookbook equation is cited */
} X;

/* a list of nodes that grows as it is filled (free(l->v) when done) */
typedef struct {
    const sg_expr **v;
    int n, cap;
} elist;

static void elist_push(elist *l, const sg_expr *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = sg_xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = e;
}

static void elist_push_unique(elist *l, const sg_expr *e)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == e)
            return;
    elist_push(l, e);
}

/*
 * The nodes of e in the order of its text, each once (a shared node is not
 * walked again), without recursion: what factors_with() and step_inputs()
 * look through, at the cost of e's DAG.
 */
static void dag_nodes(X *x, const sg_expr *e, elist *out)
{
    sg_idmap seen; /* sized by e's DAG, not by every node made */
    elist stack = {NULL, 0, 0};
    int k;
    sg_idmap_init(&seen, x->ctx);
    elist_push(&stack, e);
    while (stack.n > 0) {
        const sg_expr *t = stack.v[--stack.n];
        if (sg_idmap_find(&seen, t) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&seen, t);
        elist_push(out, t);
        for (k = t->nkids - 1; k >= 0; k--) /* the first kid on top: walked first */
            elist_push(&stack, t->kid[k]);
    }
    free(stack.v);
    sg_idmap_free(&seen);
}

/* ---- node information ------------------------------------------------------- */

static info *ni(X *x, const sg_expr *e)
{
    if (e->id >= x->nni) {
        unsigned n = x->nni ? x->nni : 64;
        while (n <= e->id)
            n *= 2;
        x->ni = sg_xrealloc(x->ni, n * sizeof *x->ni);
        memset(x->ni + x->nni, 0, (n - x->nni) * sizeof *x->ni);
        x->nni = n;
    }
    x->ni[e->id].node = e;
    return &x->ni[e->id];
}

static const char *namer(void *arg, const sg_expr *e)
{
    X *x = arg;
    const info *n;
    if (e->id >= x->nni)
        return NULL;
    n = &x->ni[e->id];
    if (n->ph)
        return n->ph;
    if (n->fwd && (x->mode == M_FORM || x->mode == M_FWD ||
                   ((x->mode == M_VALUE || x->mode == M_CLOSED) && n->heavy) ||
                   (x->mode == M_BOX && n->boxed)))
        return n->fwd;
    if (n->fp && x->mode != M_FWD)
        return n->fp;
    if (n->adj && x->mode == M_VALUE && e != x->hide)
        return n->adj;
    if (n->boxname && x->mode == M_BOX && e != x->hide)
        return n->boxname;
    return NULL;
}

static int name_level(void *arg, const sg_expr *e)
{
    const char *s = namer(arg, e);
    if (s && strncmp(s, "\\frac", 5) == 0)
        return SG_FMT_PROD; /* (∂L/∂v)ᵀ */
    if (s && strchr(s, '^'))
        return SG_FMT_POST; /* δ^{(h)}_t: a transpose needs parentheses */
    return SG_FMT_ATOM;
}

/*
 * The nodes of the tree e prints as in mode (a name or a leaf is one), up
 * to a little over cap: what printing it costs. A value differentiation
 * built is a DAG, and its tree can be exponentially larger than it (the
 * adjoint of x in a chain of squares x_i = x_{i-1}x_{i-1}); the work here is
 * bounded by cap, whatever the DAG.
 */
static int size_rec(X *x, const sg_expr *e, int cap, int root)
{
    int n = 1, k;
    if (cap <= 1 || e->nkids == 0 || (!root && namer(x, e)))
        return 1;
    for (k = 0; k < e->nkids && n <= cap; k++)
        n += size_rec(x, e->kid[k], cap - n, 0);
    return n;
}

static int shown_size(X *x, const sg_expr *e, int mode, int cap, int named_root)
{
    int saved = x->mode, n;
    x->mode = mode;
    n = size_rec(x, e, cap, !named_root);
    x->mode = saved;
    return n;
}

/* the most nodes one printed formula may have; a longer one (which the
   choices below avoid: it would have to be a DAG printed as a tree) is
   elided, with a marker saying so */
#define PRINT_CAP 2000
#define ELIDED "\\text{[a formula too long to print]}"

/* e in LaTeX, named as mode says; returns its level */
static int texp(X *x, sg_buf *b, const sg_expr *e, int mode, int named_root, int breaks)
{
    sg_fmt_style st;
    int saved = x->mode, p;
    if (shown_size(x, e, mode, PRINT_CAP, named_root) > PRINT_CAP) {
        sg_buf_puts(b, ELIDED);
        return SG_FMT_ATOM;
    }
    memset(&st, 0, sizeof st);
    st.alphabet = SG_FMT_LATEX;
    st.namer = namer;
    st.arg = x;
    st.level = name_level;
    st.breaks = breaks;
    st.named_root = named_root;
    x->mode = mode;
    p = sg_fmt_expr_style(b, x->ctx, e, &st);
    x->mode = saved;
    return p;
}

/* the same as a string in the arena */
static const char *texs(X *x, const sg_expr *e, int mode, int named_root)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    texp(x, &b, e, mode, named_root, 0);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the same with break marks, for the parts of an equation */
static const char *texb(X *x, const sg_expr *e, int mode, int named_root)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    texp(x, &b, e, mode, named_root, 1);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* e as a factor of a product: parenthesized below product level */
static const char *factor(X *x, const sg_expr *e, int mode)
{
    sg_buf b;
    const char *s;
    int p;
    sg_buf_init(&b);
    p = texp(x, &b, e, mode, 1, 0);
    if (p < SG_FMT_PROD || p == SG_FMT_NEG)
        s = sg_arena_printf(x->ar, "\\left(%s\\right)", sg_buf_str(&b));
    else
        s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* e as the user wrote it: only definitions named */
static const char *user_text(X *x, const sg_expr *e)
{
    sg_buf b;
    const char *s;
    sg_fmt_style st;
    memset(&st, 0, sizeof st);
    st.alphabet = SG_FMT_LATEX;
    st.breaks = 1;
    sg_buf_init(&b);
    sg_fmt_expr_style(&b, x->ctx, e, &st);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

static const char *name_tex(X *x, const char *name)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    sg_fmt_name(&b, name, SG_FMT_LATEX);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* dimension d (q < 0), h_{t+off} of sequence q, or its fixed step h_{at}
   (at not NULL): as a formula prints them */
static const char *ref_tex(X *x, sg_dim d, int q, long off, const sg_index *at)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    if (q < 0)
        sg_fmt_dim(&b, x->ctx, d, SG_FMT_LATEX);
    else
        sg_fmt_seq_ref(&b, x->ctx, q, off, at, SG_FMT_LATEX);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

static const char *dim_tex(X *x, sg_dim d)
{
    return ref_tex(x, d, -1, 0, NULL);
}

static const char *step_tex(X *x, int q, long off)
{
    return ref_tex(x, 0, q, off, NULL);
}

static const char *at_tex(X *x, int q, sg_index at)
{
    return ref_tex(x, 0, q, 0, &at);
}

/* \mathbb{R}^{m\times n} */
static const char *shape_tex(X *x, sg_shape s)
{
    const char *r = dim_tex(x, s.rows);
    const char *c = dim_tex(x, s.cols);
    if (sg_shape_is_scalar(s))
        return "\\mathbb{R}";
    if (s.cols == SG_DIM_ONE)
        return sg_arena_printf(x->ar, "\\mathbb{R}^{%s}", r);
    return sg_arena_printf(x->ar, "\\mathbb{R}^{%s\\times %s}", r, c);
}

/* ---- text ------------------------------------------------------------------ */

/*
 * Text from outside the problem (a file name) as TeX text: every byte that
 * means something to TeX is escaped, and what pdflatex without inputenc
 * options cannot set (control bytes, a newline among them, and anything
 * beyond ASCII) becomes '?', one per UTF-8 character. Nothing in s can end
 * the group, the comment or the line it is put in, or start a command.
 */
void sg_latex_escape(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p++;
        switch (c) {
        case '\\': sg_buf_puts(out, "\\textbackslash{}"); break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            sg_buf_putc(out, '\\');
            sg_buf_putc(out, (char)c);
            break;
        case '^': sg_buf_puts(out, "\\textasciicircum{}"); break;
        case '~': sg_buf_puts(out, "\\textasciitilde{}"); break;
        default:
            if (c >= 0xC2 && c <= 0xF4) { /* a UTF-8 lead byte: its continuation bytes too */
                int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
                while (more-- > 0 && (*p & 0xC0) == 0x80)
                    p++;
            }
            sg_buf_putc(out, c < 0x20 || c >= 0x7F ? '?' : (char)c);
            break;
        }
    }
}

/* the Unicode a problem's comments are written in, as TeX math: what the
   language itself spells (LANGUAGE.md) and the punctuation of prose */
static const char *const uni_tex[][2] = {
    {"α", "\\alpha"}, {"β", "\\beta"}, {"γ", "\\gamma"}, {"δ", "\\delta"},
    {"ε", "\\varepsilon"}, {"ϵ", "\\epsilon"}, {"ζ", "\\zeta"}, {"η", "\\eta"},
    {"θ", "\\theta"}, {"ϑ", "\\vartheta"}, {"ι", "\\iota"}, {"κ", "\\kappa"},
    {"λ", "\\lambda"}, {"μ", "\\mu"}, {"ν", "\\nu"}, {"ξ", "\\xi"}, {"ο", "o"}, {"π", "\\pi"},
    {"ρ", "\\rho"}, {"ϱ", "\\varrho"}, {"σ", "\\sigma"}, {"τ", "\\tau"}, {"υ", "\\upsilon"},
    {"φ", "\\varphi"}, {"ϕ", "\\phi"}, {"χ", "\\chi"}, {"ψ", "\\psi"}, {"ω", "\\omega"},
    {"Γ", "\\Gamma"}, {"Δ", "\\Delta"}, {"Θ", "\\Theta"}, {"Λ", "\\Lambda"}, {"Ξ", "\\Xi"},
    {"Π", "\\Pi"}, {"Σ", "\\Sigma"}, {"Υ", "\\Upsilon"}, {"Φ", "\\Phi"}, {"Ψ", "\\Psi"},
    {"Ω", "\\Omega"}, {"ᵀ", "^\\top"}, {"⁻", "^-"}, {"⁺", "^+"}, {"⁰", "^0"}, {"¹", "^1"},
    {"²", "^2"}, {"³", "^3"}, {"⁴", "^4"}, {"⁵", "^5"}, {"⁶", "^6"}, {"⁷", "^7"}, {"⁸", "^8"},
    {"⁹", "^9"}, {"₀", "_0"}, {"₁", "_1"}, {"₂", "_2"}, {"₃", "_3"}, {"₄", "_4"}, {"₅", "_5"},
    {"₆", "_6"}, {"₇", "_7"}, {"₈", "_8"}, {"₉", "_9"}, {"₊", "_+"}, {"−", "-"},
    {"×", "\\times"}, {"·", "\\cdot"}, {"⋅", "\\cdot"}, {"⊙", "\\odot"}, {"⊘", "\\oslash"},
    {"∘", "\\circ"}, {"⊗", "\\otimes"}, {"∈", "\\in"}, {"ℝ", "\\mathbb{R}"},
    {"𝕊", "\\mathbb{S}"}, {"𝟙", "\\mathbf{1}"}, {"‖", "\\|"}, {"⟨", "\\langle"},
    {"⟩", "\\rangle"}, {"½", "\\tfrac{1}{2}"}, {"∇", "\\nabla"}, {"∂", "\\partial"},
    {"∑", "\\sum"}, {"∏", "\\prod"}, {"√", "\\surd"}, {"≤", "\\le"}, {"≥", "\\ge"},
    {"≠", "\\ne"}, {"≈", "\\approx"}, {"→", "\\to"}, {"↦", "\\mapsto"}, {"∞", "\\infty"},
    {"ℓ", "\\ell"}, {"′", "'"}, {"…", "\\dots"}, {"⋯", "\\cdots"},
};

/* prose punctuation beyond ASCII, as TeX text */
static const char *const uni_text[][2] = {
    {"–", "--"}, {"—", "---"}, {"‘", "`"}, {"’", "'"}, {"“", "``"}, {"”", "''"},
    {"\xC2\xA0", "~"},
};

/*
 * A problem's prose (its leading comment) as TeX text: like
 * sg_latex_escape(), with what the language writes in Unicode (Wᵀ, β, ‖r‖²,
 * 𝟙, −) set as math, and |, <, > (which the default font sets as other
 * glyphs) too; any other character beyond ASCII is '?'. A long run with no
 * space may break after its punctuation.
 */
void sg_latex_text(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t i, n;
        int done = 0;
        if (*p == '|' || *p == '<' || *p == '>') {
            sg_buf_printf(out, "$%c$", (char)*p);
            p++;
            continue;
        }
        if (*p < 0x80) {
            char one[2];
            one[0] = *p == '\t' ? ' ' : (char)*p; /* a tab between words is a space */
            p++;
            one[1] = '\0';
            sg_latex_escape(out, one);
            /* a line may break after a , ; = / ] ) that no space follows:
               "x=[1,2];y=[3,4]" is one word to TeX, and would run off the
               page */
            if (strchr(",;=/])", one[0]) && *p && *p != ' ' && *p != '\t')
                sg_buf_puts(out, "\\allowbreak{}");
            continue;
        }
        for (i = 0; i < sizeof uni_tex / sizeof uni_tex[0] && !done; i++) {
            n = strlen(uni_tex[i][0]);
            if (!strncmp((const char *)p, uni_tex[i][0], n)) {
                sg_buf_printf(out, "$%s$", uni_tex[i][1]);
                p += n;
                done = 1;
            }
        }
        for (i = 0; i < sizeof uni_text / sizeof uni_text[0] && !done; i++) {
            n = strlen(uni_text[i][0]);
            if (!strncmp((const char *)p, uni_text[i][0], n)) {
                sg_buf_puts(out, uni_text[i][1]);
                p += n;
                done = 1;
            }
        }
        if (!done) { /* one '?' for the character (its continuation bytes too) */
            unsigned char c = *p++;
            if (c >= 0xC2 && c <= 0xF4) {
                int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
                while (more-- > 0 && (*p & 0xC0) == 0x80)
                    p++;
            }
            sg_buf_putc(out, '?');
        }
    }
}

/*
 * The leading comment of a problem's text: the comment lines before its
 * first statement (blank lines before them skipped), each without its '#'
 * and the blanks around it, joined by single spaces. A blank line, an empty
 * comment line or a statement ends it. Returns the bytes appended to out.
 */
size_t sg_latex_leading_comment(sg_buf *out, const char *text)
{
    const char *p = text;
    size_t start = out->len;
    int any = 0;
    while (p && *p) {
        const char *eol = strchr(p, '\n'), *q = p, *end;
        if (!eol)
            eol = p + strlen(p);
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f' || *q == '\v'))
            q++;
        if (q == eol) { /* a blank line */
            if (any)
                break;
            p = *eol ? eol + 1 : eol;
            continue;
        }
        if (*q != '#')
            break;
        q++;
        end = eol;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        while (end > q && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        if (q == end) /* an empty comment line ends the paragraph */
            break;
        if (any)
            sg_buf_putc(out, ' ');
        sg_buf_putn(out, q, (size_t)(end - q));
        any = 1;
        p = *eol ? eol + 1 : eol;
    }
    return out->len - start;
}

/* text in a TeX comment: a newline (or any control byte) would end it, so
   those become '?', as does what is not ASCII; TeX reads nothing else of a
   comment */
static void comment_text(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++)
        sg_buf_putc(out, *p < 0x20 || *p >= 0x7F ? '?' : (char)*p);
}

static const char *const number_words[] = {"no", "one", "two", "three", "four", "five",
                                           "six", "seven", "eight", "nine", "ten"};

static const char *count_word(X *x, int n)
{
    if (n >= 0 && n < (int)(sizeof number_words / sizeof number_words[0]))
        return number_words[n];
    return sg_arena_printf(x->ar, "%d", n);
}

static void index_line(X *x, sg_buf *b, const sg_result *r);
static int is_alpha_c(char c);

/* LaTeX that stands taller than a line: its parentheses grow with it */
static int tall(const char *s)
{
    return strstr(s, "\\frac{") || strstr(s, "\\sum") || strstr(s, "\\left(");
}

/* ---- ops and rules ------------------------------------------------------------ */

const char *sg_latex_op(sg_op op)
{
    static const char *const tex[SG_OP_COUNT] = {
        [SG_OP_VAR] = "X",                   [SG_OP_CONST] = "c",
        [SG_OP_DIMVAL] = "n",                [SG_OP_ZERO] = "0",
        [SG_OP_ONES] = "\\mathbf{1}",         [SG_OP_EYE] = "I",
        [SG_OP_ADD] = "+",                   [SG_OP_MUL] = "AB",
        [SG_OP_TRANSPOSE] = "^\\top",         [SG_OP_FILL] = "s\\mathbf{1}\\mathbf{1}^\\top",
        [SG_OP_SUM] = "\\operatorname{sum}",  [SG_OP_TRACE] = "\\operatorname{tr}",
        [SG_OP_DOT] = "\\langle\\cdot,\\cdot\\rangle", [SG_OP_DIAG] = "\\operatorname{diag}",
        [SG_OP_DIAGV] = "\\operatorname{diag}", [SG_OP_HADAMARD] = "\\odot",
        [SG_OP_HDIV] = "\\oslash",            [SG_OP_POW] = "^{\\circ p}",
        [SG_OP_EXP] = "\\exp",                [SG_OP_LOG] = "\\log",
        [SG_OP_SQRT] = "\\sqrt{\\cdot}",      [SG_OP_ABS] = "\\lvert\\cdot\\rvert",
        [SG_OP_SIN] = "\\sin",                [SG_OP_COS] = "\\cos",
        [SG_OP_TANH] = "\\tanh",              [SG_OP_SIGMOID] = "\\sigma",
        [SG_OP_RELU] = "\\operatorname{relu}", [SG_OP_SWISH] = "\\operatorname{swish}",
        [SG_OP_SOFTPLUS] = "\\operatorname{softplus}", [SG_OP_LOG1P] = "\\operatorname{log1p}",
        [SG_OP_EXPM1] = "\\operatorname{expm1}", [SG_OP_SIGN] = "\\operatorname{sign}",
        [SG_OP_STEP] = "\\operatorname{step}", [SG_OP_NORM] = "\\lVert\\cdot\\rVert",
        [SG_OP_NORM1] = "\\lVert\\cdot\\rVert_{1}", [SG_OP_SOFTMAX] = "\\operatorname{softmax}",
        [SG_OP_LOGSOFTMAX] = "\\log\\operatorname{softmax}",
        [SG_OP_LOGSUMEXP] = "\\operatorname{logsumexp}",
        [SG_OP_INV] = "^{-1}",                [SG_OP_DET] = "\\det",
        [SG_OP_LOGDET] = "\\log\\lvert\\cdot\\rvert", [SG_OP_SEQSTEP] = "h_{t}",
        [SG_OP_AT] = "h_{k}",                 [SG_OP_SEQSUM] = "\\sum_{t}",
    };
    return (int)op >= 0 && op < SG_OP_COUNT && tex[op] ? tex[op] : NULL;
}

#define TO " \\;\\Rightarrow\\; "
#define YB "\\bar Y"

/* what a leaf is to the backward pass: no rule of the table, a sentence */
static const char *const leaves[SG_OP_COUNT] = {
    [SG_OP_VAR] = "X \\text{ an input:}\\quad \\nabla_X L = \\bar X, \\text{ summed over its paths}",
    [SG_OP_CONST] = "c \\text{ a number: nothing to propagate}",
    [SG_OP_DIMVAL] = "n \\text{ a dimension: a number}",
    [SG_OP_ZERO] = "0 \\text{: nothing to propagate}",
    [SG_OP_ONES] = "\\mathbf{1} \\text{: nothing to propagate}",
    [SG_OP_EYE] = "I \\text{: nothing to propagate}",
};

/* what a course adds to a rule: the scalar derivative of an elementwise
   function, and that softmax's rule acts column by column */
static const char *const remark[SG_OP_COUNT] = {
    [SG_OP_EXP] = ",\\quad \\exp'(z) = \\exp(z)",
    [SG_OP_LOG] = ",\\quad \\log'(z) = 1/z",
    [SG_OP_SQRT] = ",\\quad (\\sqrt{z})' = \\frac{1}{2\\sqrt{z}}",
    [SG_OP_ABS] = ",\\quad \\lvert z\\rvert' = \\operatorname{sign}(z)",
    [SG_OP_SIN] = ",\\quad \\sin'(z) = \\cos(z)",
    [SG_OP_COS] = ",\\quad \\cos'(z) = -\\sin(z)",
    [SG_OP_TANH] = ",\\quad \\tanh'(z) = 1 - \\tanh^2(z)",
    [SG_OP_SIGMOID] = ",\\quad \\sigma'(z) = \\sigma(z)(1 - \\sigma(z))",
    [SG_OP_RELU] = ",\\quad \\operatorname{relu}'(z) = [z > 0]",
    [SG_OP_SWISH] = ",\\quad \\operatorname{swish}'(z) = \\sigma(z) + z\\sigma(z)(1 - \\sigma(z))",
    [SG_OP_SOFTPLUS] = ",\\quad \\operatorname{softplus}'(z) = \\sigma(z)",
    [SG_OP_SIGN] = " \\text{ (taken as 0 at the jump)}",
    [SG_OP_STEP] = " \\text{ (taken as 0 at the jump)}",
    [SG_OP_SOFTMAX] = " \\text{ (per column)}",
};

/*
 * The local rule r (an op, R_SCALE or R_SQNORM) in the adjoint notation
 * \bar Y = ∂L/∂Y, from the rule table's entries (symbolic/rules.c), the
 * ones diff.c applied: their common left side, then each kid's part, with
 * = for the table's += (a line shows a contribution), and the remark a
 * course adds. Into out; 0 when r has no rule.
 */
static int rule_tex_into(sg_buf *out, int r)
{
    static const char to[] = " \\;\\Rightarrow\\; ", pe[] = " \\mathrel{+}= ";
    int id, n = 0;
    if (r >= 0 && r < SG_OP_COUNT && leaves[r]) {
        sg_buf_puts(out, leaves[r]);
        return 1;
    }
    if (r == SG_OP_SEQSUM || r == SG_OP_SEQSTEP || r == SG_OP_AT) { /* through time */
        sg_buf_puts(out, sg_rule_get(r == SG_OP_SEQSUM    ? SG_RULE_SEQ_SUM
                                     : r == SG_OP_SEQSTEP ? SG_RULE_SEQ_REC
                                                          : SG_RULE_SEQ_TERM_AT)->tex);
        return 1;
    }
    for (id = SG_RULE_NONE + 1; id < SG_RULE_COUNT; id++) {
        const sg_rule *e = sg_rule_get((sg_rule_id)id);
        const char *arrow, *plus;
        int mine;
        if (!e || e->kind != SG_RULE_REVERSE)
            continue;
        if (r == R_SCALE)
            mine = id == SG_RULE_SCALE_S || id == SG_RULE_SCALE_A;
        else if (r == R_SQNORM)
            mine = id == SG_RULE_SQNORM;
        else
            mine = (int)e->op == r && id != SG_RULE_SCALE_S && id != SG_RULE_SCALE_A &&
                   id != SG_RULE_SQNORM;
        if (!mine || !(arrow = strstr(e->tex, to)))
            continue;
        if (n++ == 0)
            sg_buf_putn(out, e->tex, (size_t)(arrow - e->tex) + strlen(to));
        else
            sg_buf_puts(out, ",\\ ");
        arrow += strlen(to);
        if ((plus = strstr(arrow, pe)) != NULL) {
            sg_buf_putn(out, arrow, (size_t)(plus - arrow));
            sg_buf_puts(out, " = ");
            sg_buf_puts(out, plus + strlen(pe));
        } else {
            sg_buf_puts(out, arrow);
        }
    }
    if (n && r < SG_OP_COUNT && remark[r])
        sg_buf_puts(out, remark[r]);
    return n > 0;
}

/* the same in the document's arena, made once per rule */
static const char *rule_tex(X *x, int r)
{
    if (!x->rtex[r]) {
        sg_buf b;
        sg_buf_init(&b);
        x->rtex[r] = rule_tex_into(&b, r) ? sg_arena_strdup(x->ar, sg_buf_str(&b)) : "";
        sg_buf_free(&b);
    }
    return x->rtex[r];
}

int sg_latex_rule(sg_buf *out, sg_op op)
{
    return (int)op >= 0 && op < SG_OP_COUNT && rule_tex_into(out, op);
}

/* cites rule r: its number in the list of rules used */
static int cite(X *x, int r)
{
    if (!x->cite[r]) {
        x->cited[x->ncited++] = r;
        x->cite[r] = x->ncited;
    }
    return x->cite[r];
}

/* the rule a log step used */
static int rule_of(const sg_expr *node, int merged)
{
    if (merged)
        return R_SQNORM;
    if (node->op == SG_OP_MUL && sg_shape_is_scalar(node->kid[0]->shape))
        return R_SCALE;
    return node->op;
}

/* ---- rules instantiated ------------------------------------------------------- */

/* has e a negative constant coefficient: (−1)·y, −2·A */
static int negated(const sg_expr *e)
{
    return e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0;
}

/* ---- which nodes are named ------------------------------------------------------- */

static int is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

static int is_leaf(const sg_expr *e)
{
    return e->nkids == 0;
}

/* a matrix product (not a scaling) */
static int is_matmul(const sg_expr *e)
{
    return e->op == SG_OP_MUL && !is_scalar(e->kid[0]);
}

/* softmax and the elementwise functions: what a pre-activation feeds */
static int is_nonlinear(sg_op op)
{
    return sg_op_is_elementwise_unary(op) || op == SG_OP_SOFTMAX || op == SG_OP_LOGSOFTMAX ||
           op == SG_OP_LOGSUMEXP;
}

/* an op nobody names: ᵀ, a scaling, a fill, a division by a constant */
static int is_trivial(X *x, const sg_expr *e)
{
    switch (e->op) {
    case SG_OP_TRANSPOSE: case SG_OP_FILL:
        return 1;
    case SG_OP_MUL:
        return is_scalar(e->kid[0]);
    case SG_OP_HDIV:
        return is_scalar(e->kid[1]) && !ni(x, e->kid[1])->needed;
    default:
        return is_leaf(e);
    }
}

/* the logs of the problem's results, each once, in result order */
static int has_seed(const sg_log *l)
{
    return l->nsteps > 0 && l->steps[0].kind == SG_STEP_SEED;
}

/* a parent–child edge of a backward pass */
typedef struct {
    unsigned parent, child;
} pedge;

typedef struct {
    pedge *e;
    int n, cap;
} pedges;

static void edge_add(X *x, pedges *l, const sg_expr *parent, const sg_expr *child)
{
    ni(x, parent)->needed = 1;
    ni(x, child)->needed = 1;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->e = sg_xrealloc(l->e, (size_t)l->cap * sizeof *l->e);
    }
    l->e[l->n].parent = parent->id;
    l->e[l->n].child = child->id;
    l->n++;
    if (!ni(x, child)->parent)
        ni(x, child)->parent = parent;
}

static int by_edge(const void *pa, const void *pb)
{
    const pedge *a = pa, *b = pb;
    if (a->child != b->child)
        return a->child < b->child ? -1 : 1;
    return a->parent < b->parent ? -1 : a->parent > b->parent ? 1 : 0;
}

/* the nodes of every backward pass, their parents, and the owners */
static void find_needed(X *x, const sg_log **logs, int nlogs)
{
    pedges l = {NULL, 0, 0};
    int i, k;
    for (i = 0; i < nlogs; i++) {
        const sg_log *g = logs[i];
        int seed = has_seed(g);
        if (g->f) {
            ni(x, g->f)->needed = 1;
            ni(x, g->f)->owner = 1;
        }
        for (k = 0; k < g->nsteps; k++) {
            const sg_step *s = &g->steps[k];
            switch (s->kind) {
            case SG_STEP_RULE:
                edge_add(x, &l, s->node, s->node->kid[s->kid]);
                break;
            case SG_STEP_SEQ_SUM:
                edge_add(x, &l, s->node, s->node->kid[0]);
                break;
            case SG_STEP_SEQ_REC:
                ni(x, s->node)->needed = 1;
                ni(x, s->node)->owner = 1;
                break;
            case SG_STEP_JACOBIAN:
                if (!seed) { /* a Jacobian alone: its nodes are the function's */
                    int j;
                    ni(x, s->node)->needed = 1;
                    for (j = 0; j < s->node->nkids; j++)
                        if (ni(x, s->node->kid[j])->needed)
                            edge_add(x, &l, s->node, s->node->kid[j]);
                }
                break;
            default:
                if (s->node)
                    ni(x, s->node)->needed = 1;
                break;
            }
        }
    }
    /* distinct parents */
    if (l.n > 0)
        qsort(l.e, (size_t)l.n, sizeof *l.e, by_edge);
    for (i = 0; i < l.n; i++)
        if (i == 0 || l.e[i].child != l.e[i - 1].child || l.e[i].parent != l.e[i - 1].parent)
            x->ni[l.e[i].child].nparents++;
    free(l.e);
}

/* the non-trivial ops of an owner's formula, down to names and leaves */
static int region_ops(X *x, const sg_expr *owner)
{
    elist stack = {NULL, 0, 0};
    sg_idmap seen; /* sized by the region, not by every node made */
    int count = 0, k;
    sg_idmap_init(&seen, x->ctx);
    elist_push(&stack, owner);
    while (stack.n > 0) {
        const sg_expr *e = stack.v[--stack.n];
        for (k = 0; k < e->nkids; k++) {
            const sg_expr *c = e->kid[k];
            if (sg_idmap_find(&seen, c) != SG_IDMAP_NONE || c->name || is_leaf(c) ||
                (c->id < x->nni && x->ni[c->id].owner))
                continue;
            sg_idmap_add(&seen, c);
            if (!is_trivial(x, c))
                count++;
            elist_push(&stack, c);
        }
    }
    free(stack.v);
    sg_idmap_free(&seen);
    return count;
}

/* the owner whose formula e is part of */
static const sg_expr *owner_of(X *x, const sg_expr *e)
{
    int guard = 0;
    while (e && !ni(x, e)->owner && !e->name && guard++ < 100000)
        e = ni(x, e)->parent;
    return e;
}

/* a link of a product chain that its sibling's symbol also enters: Wx in Wᵀ(Wx) */
static int split_link(X *x, const sg_expr *e)
{
    const sg_expr *p = ni(x, e)->parent, *sib;
    if (!p || !is_matmul(e) || !is_matmul(p) || p->name || ni(x, p)->owner)
        return 0;
    sib = p->kid[0] == e ? p->kid[1] : p->kid[0];
    return ni(x, sib)->needed;
}

/* does a split link hang below the chain top e? */
static int chain_split(X *x, const sg_expr *e, int depth)
{
    int k;
    if (depth > 64)
        return 0;
    for (k = 0; k < e->nkids; k++) {
        const sg_expr *c = e->kid[k];
        if (is_matmul(c) && !c->name && ni(x, c)->needed &&
            (split_link(x, c) || chain_split(x, c, depth + 1)))
            return 1;
    }
    return 0;
}

/* is e, a needed node, a named intermediate? */
static int is_station(X *x, const sg_expr *e)
{
    const info *n = ni(x, e);
    const sg_expr *owner, *parent = n->parent;
    int owns = n->owner, nparents = n->nparents; /* n may move below */
    if (is_leaf(e))
        return 0;
    if (owns || e->name)
        return 1;
    if (is_trivial(x, e))
        return 0;
    if (nparents >= 2 && !is_scalar(e))
        return 1;
    owner = owner_of(x, e);
    if (owner && !ni(x, owner)->region)
        ni(x, owner)->region = region_ops(x, owner) + 1;
    if (!owner || ni(x, owner)->region - 1 < 2 || is_scalar(e) || e->op == SG_OP_INV)
        return 0;
    if (is_matmul(e)) {
        if (split_link(x, e))
            return 1;
        if (parent && is_matmul(parent) && !parent->name && !ni(x, parent)->owner)
            return 0; /* an inner link */
        return chain_split(x, e, 0) || (parent && is_nonlinear(parent->op));
    }
    if (e->op == SG_OP_ADD)
        return !(parent && parent->op == SG_OP_ADD && !parent->name && !ni(x, parent)->owner);
    return e->op != SG_OP_SEQSUM;
}

static void use_name(X *x, const char *s)
{
    if (x->nused == x->capused) {
        x->capused = x->capused ? 2 * x->capused : 32;
        x->used = sg_xrealloc(x->used, (size_t)x->capused * sizeof *x->used);
    }
    x->used[x->nused++] = s;
    sg_strmap_put(&x->taken, s, 1);
}

static int taken(X *x, const char *s)
{
    int i;
    if (sg_sym_find(x->ctx, s) >= 0 || sg_dim_find(x->ctx, s) >= 0 || sg_seq_find(x->ctx, s) >= 0)
        return 1;
    if (!x->ntaken_defs) { /* a map, not a scan: a name for each of 10,000 nodes */
        for (i = 0; i < x->p->ndefs; i++)
            if (x->p->defs[i].name)
                sg_strmap_put(&x->taken, x->p->defs[i].name, 1);
        x->ntaken_defs = 1;
    }
    return sg_strmap_get(&x->taken, s) >= 0;
}

/* a fresh name: the preferred one if free, else the next of the pool */
static const char *fresh_name(X *x, const char *prefer)
{
    static const char *const pool[] = {"u", "v", "w", "q", "a", "b", "c", "d", "g", "s"};
    const char *s;
    if (prefer && !taken(x, prefer)) {
        use_name(x, prefer);
        return prefer;
    }
    for (;;) {
        int k = x->fresh++;
        if (k < (int)(sizeof pool / sizeof pool[0]))
            s = pool[k];
        else
            s = sg_arena_printf(x->ar, "u%d", k + 1 - (int)(sizeof pool / sizeof pool[0]));
        if (!taken(x, s)) {
            use_name(x, s);
            return s;
        }
    }
}

/* base with the time index joined to its subscript: a → a_{t+1}, z_1 → z_{1,t} */
static const char *with_index(X *x, const char *base, long off)
{
    char idx[32];
    size_t n = strlen(base);
    if (off > 0)
        snprintf(idx, sizeof idx, "t+%ld", off);
    else if (off < 0)
        snprintf(idx, sizeof idx, "t-%ld", -off);
    else
        snprintf(idx, sizeof idx, "t");
    if (n > 3 && base[n - 1] == '}' && strstr(base, "_{"))
        return sg_arena_printf(x->ar, "%.*s,%s}", (int)(n - 1), base, idx);
    if (n >= 2 && base[n - 2] == '_')
        return sg_arena_printf(x->ar, "%.*s_{%c,%s}", (int)(n - 2), base, base[n - 1], idx);
    return sg_arena_printf(x->ar, off ? "%s_{%s}" : "%s_%s", base, idx);
}

/* names a step-varying node, and its neighbours in time: a_t, a_{t+1}, a_{t-1} */
static void name_varying(X *x, sg_expr *e, const char *base, int heavy, int boxed)
{
    long off;
    for (off = -1; off <= 1; off++) {
        sg_expr *s = off ? sg_deriv_shift(x->dv, e, off) : e;
        info *n = ni(x, s);
        if (!n->fwd) {
            n->fwd = with_index(x, base, off);
            n->base = base;
            n->heavy = (unsigned char)heavy;
            n->boxed = (unsigned char)boxed;
        }
    }
}

/* a pure product of leaves (Wx, WᵀWx): its formula is as short as a name */
static int light(const sg_expr *e, int depth)
{
    int k;
    if (is_leaf(e))
        return 1;
    if (depth > 8 || !(e->op == SG_OP_MUL || e->op == SG_OP_TRANSPOSE))
        return 0;
    for (k = 0; k < e->nkids; k++)
        if (!light(e->kid[k], depth + 1))
            return 0;
    return 1;
}

/* the same, stopping at named nodes: what e's formula shows */
static int shown_ops_in(X *x, const sg_expr *e, int cap, int root, long *visits)
{
    int n = 0, k;
    if (is_leaf(e) || cap <= 0)
        return 0;
    if (--*visits < 0) /* a tree of trivial nodes 2ᵏ wide: as long as the cap */
        return cap;
    if (!root && (e->name || (e->id < x->nni && (x->ni[e->id].fwd || x->ni[e->id].fp))))
        return 0;
    n = is_trivial(x, e) ? 0 : 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += shown_ops_in(x, e->kid[k], cap - n, 0, visits);
    return n;
}

/* the operations e shows, up to cap; the walk visits at most 8·cap + 64
   nodes, since trivial ones (scalings, transposes) count none */
static int shown_ops(X *x, const sg_expr *e, int cap, int root)
{
    long visits = 8L * cap + 64;
    return shown_ops_in(x, e, cap, root, &visits);
}

/* the name a fresh station would like: r for a difference, a for a
   pre-activation */
static const char *preferred(X *x, const sg_expr *e)
{
    const sg_expr *parent = ni(x, e)->parent;
    if (e->op == SG_OP_ADD &&
        (negated(e->kid[1]) || (e->kid[1]->op == SG_OP_FILL && e->kid[1]->kid[0]->op == SG_OP_CONST &&
                                e->kid[1]->kid[0]->value < 0)))
        return "r";
    if (parent && is_nonlinear(parent->op))
        return "a";
    return NULL;
}

/* f′ in LaTeX: \operatorname{swish}', \tanh' */
static const char *prime_of(X *x, sg_op op)
{
    const char *t = sg_latex_op(op);
    if (!t || strchr(t, '{') != strrchr(t, '{') || strstr(t, "cdot"))
        return "f'";
    return sg_arena_printf(x->ar, "%s'", t);
}

/* the ops of e's formula down to the user's names: how long it would print
   without the names this file makes up */
static int user_ops(X *x, const sg_expr *e, int cap, int root)
{
    int n = 0, k;
    if (is_leaf(e) || cap <= 0 || (!root && e->name))
        return 0;
    n = is_trivial(x, e) ? 0 : 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += user_ops(x, e->kid[k], cap - n, 0);
    return n;
}

/* the digits a source name ends in (h1, z2; "" if none) */
static const char *last_digits(const char *name)
{
    size_t n = strlen(name);
    while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
        n--;
    return n > 0 ? name + n : "";
}

/*
 * Courses number the adjoints of a network's layers: δ₁ = ∂L/∂z₁ for the
 * pre-activation z₁ of h₁ = tanh(z₁), δ₂ for h₂'s. A station that is the
 * argument of a nonlinear function, read by nothing else, gets δ_k, with k
 * the number that ends the layer's name (or its own, z₁), when no other
 * layer has k and it does not vary with time (a recurrence has its δ_t).
 */
static void layer_deltas(X *x)
{
    unsigned id, n = x->nni;
    sg_strmap used;
    sg_strmap_init(&used);
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node, *p = x->ni[id].parent;
        const char *k = "";
        if (!e || x->ni[id].kind != K_STATION || is_leaf(e) || sg_expr_varies(e) ||
            x->ni[id].nparents != 1 || !p || !is_nonlinear(p->op) || p->kid[0] != e)
            continue;
        if (p->name)
            k = last_digits(p->name);
        if (!*k && e->name)
            k = last_digits(e->name);
        if (!*k || sg_strmap_get(&used, k) >= 0)
            continue;
        sg_strmap_put(&used, k, 1);
        x->ni[id].delta = sg_arena_printf(x->ar, "\\delta_{%s}", k);
    }
    sg_strmap_free(&used);
}

/* the stations, named, and the long elementwise derivatives */
static void name_nodes(X *x)
{
    unsigned id, n;
    int q, i;
    /* the user's definitions print under their names wherever they occur */
    for (i = 0; i < x->p->ndefs; i++) {
        const sg_expr *e = x->p->defs[i].expr;
        if (e && x->p->defs[i].name && !is_leaf(e) && e->name &&
            !strcmp(e->name, x->p->defs[i].name)) {
            ni(x, e)->fwd = name_tex(x, e->name);
            ni(x, e)->heavy = 1;
            ni(x, e)->boxed = 1;
        }
    }
    n = x->nni;
    for (q = 0; q < sg_nseqs(x->ctx); q++) {
        const sg_seq *s = sg_seq_of(x->ctx, q);
        if (s->kind == SG_SEQ_FORWARD && s->body && s->body->id < x->nni &&
            x->ni[s->body->id].needed) {
            /* a recurrence's step prints as h_t, one step later as h_{t+1} */
            const char *now = step_tex(x, q, 0);
            const char *next = step_tex(x, q, 1);
            sg_expr *later = sg_deriv_shift(x->dv, s->body, 1);
            ni(x, s->body)->fwd = now;
            ni(x, s->body)->heavy = ni(x, s->body)->boxed = 1;
            if (!ni(x, later)->fwd) {
                ni(x, later)->fwd = next;
                ni(x, later)->heavy = ni(x, later)->boxed = 1;
            }
        }
    }
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node;
        const char *base;
        int heavy, boxed;
        if (!e || !x->ni[id].needed || is_leaf(e) || !is_station(x, e))
            continue;
        x->ni[id].kind = K_STATION;
        if (x->ni[id].fwd)
            continue;
        if (e->name) {
            base = name_tex(x, e->name);
            heavy = boxed = 1;
        } else {
            base = name_tex(x, fresh_name(x, preferred(x, e)));
            heavy = !light(e, 0);
            /* a name of ours stays in a box only for a long column or
               matrix: a row vector (u = rᵀS⁻¹) is a transpose nobody names,
               and the box shows it written out */
            boxed = user_ops(x, e, 4, 1) >= 3 &&
                    !(e->shape.rows == SG_DIM_ONE && e->shape.cols != SG_DIM_ONE);
        }
        if (sg_expr_varies(e)) {
            name_varying(x, (sg_expr *)e, base, heavy, boxed);
        } else {
            x->ni[id].fwd = base;
            x->ni[id].heavy = (unsigned char)heavy;
            x->ni[id].boxed = (unsigned char)boxed;
        }
    }
    layer_deltas(x);
    /* an elementwise derivative longer than its name: swish′(z₁) */
    for (id = 0; id < n; id++) {
        sg_expr *e = (sg_expr *)x->ni[id].node, *d;
        if (!e || !x->ni[id].needed || !sg_op_is_elementwise_unary(e->op))
            continue;
        d = sg_deriv_fprime(x->dv, e);
        if (shown_ops(x, d, 10, 1) < 4 || ni(x, d)->fp)
            continue;
        ni(x, d)->fp = sg_arena_printf(x->ar, "%s(%s)", prime_of(x, e->op),
                                       texs(x, e->kid[0], M_FORM, 1));
    }
}

/* ---- equations --------------------------------------------------------------- */

/* the width of LaTeX math, in ems, roughly: enough to decide where to break */
static double width_of(const char *s, size_t n);

static double group_width(const char **ps, const char *end)
{
    const char *s = *ps;
    int depth = 0;
    const char *start;
    double w;
    if (s >= end || *s != '{') { /* a single token */
        if (s < end && *s == '\\') {
            const char *t = s + 1;
            while (t < end && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
                t++;
            if (t == s + 1 && t < end)
                t++;
            w = width_of(s, (size_t)(t - s));
            *ps = t;
            return w;
        }
        *ps = s < end ? s + 1 : s;
        return s < end ? width_of(s, 1) : 0;
    }
    start = s + 1;
    for (; s < end; s++) {
        if (*s == '{')
            depth++;
        else if (*s == '}' && --depth == 0)
            break;
    }
    w = width_of(start, (size_t)(s - start));
    *ps = s < end ? s + 1 : s;
    return w;
}

static double width_of(const char *s, size_t n)
{
    const char *end = s + n;
    double w = 0;
    while (s < end) {
        if (*s == '\\') {
            const char *t = s + 1;
            size_t len;
            while (t < end && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
                t++;
            if (t == s + 1 && t < end)
                t++; /* \, \; \{ */
            len = (size_t)(t - s);
#define IS(word) (len == sizeof(word) - 1 && strncmp(s, word, len) == 0)
            if (IS("\\frac") || IS("\\tfrac")) {
                double a, b;
                const char *u = t;
                a = group_width(&u, end);
                b = group_width(&u, end);
                w += (IS("\\tfrac") ? 0.7 : 1.0) * (a > b ? a : b) + 0.3;
                s = u;
                continue;
            }
            if (IS("\\operatorname") || IS("\\mathit") || IS("\\text") || IS("\\mathrm")) {
                const char *u = t;
                const char *g = u;
                double inner;
                while (g < end && *g != '}')
                    g++;
                inner = (double)(g - u) * (IS("\\text") ? 0.5 : 0.5);
                (void)group_width(&u, end);
                w += inner + 0.2;
                s = u;
                continue;
            }
            if (IS("\\mathbf") || IS("\\mathbb") || IS("\\bar") || IS("\\boxed")) {
                const char *u = t;
                w += group_width(&u, end) + (IS("\\boxed") ? 0.8 : 0.1);
                s = u;
                continue;
            }
            if (IS("\\left") || IS("\\right") || IS("\\!") || IS("\\limits"))
                w += 0;
            else if (IS("\\,"))
                w += 0.17;
            else if (IS("\\;") || IS("\\ "))
                w += 0.28;
            else if (IS("\\quad"))
                w += 1;
            else if (IS("\\qquad"))
                w += 2;
            else if (IS("\\sum")) { /* display style: its limits stack */
                const char *u = t;
                double lim = 1.44;
                while (u < end && (*u == '_' || *u == '^')) {
                    double g;
                    u++;
                    g = 0.7 * group_width(&u, end);
                    if (g > lim)
                        lim = g;
                }
                w += lim + 0.2;
                s = u;
                continue;
            }
            else if (IS("\\odot") || IS("\\oslash") || IS("\\Rightarrow") || IS("\\cdot") ||
                     IS("\\times") || IS("\\in") || IS("\\ne") || IS("\\le"))
                w += 1.3;
            else if (IS("\\log") || IS("\\exp") || IS("\\sin") || IS("\\cos"))
                w += 1.6;
            else if (IS("\\tanh"))
                w += 2.1;
            else if (IS("\\top"))
                w += 0.6;
            else if (IS("\\partial"))
                w += 0.55;
            else if (IS("\\nabla"))
                w += 0.85;
            else
                w += 0.8;
#undef IS
            s = t;
            continue;
        }
        if (*s == '^' || *s == '_') {
            const char *u = s + 1;
            w += 0.7 * group_width(&u, end);
            s = u;
            continue;
        }
        if (*s == '{' || *s == '}' || *s == ' ' || *s == '&' || *s == SG_FMT_BREAK) {
            s++;
            continue;
        }
        if (*s == '+' || *s == '-' || *s == '=' || *s == '<' || *s == '>')
            w += 1.3;
        else if (*s == '(' || *s == ')' || *s == '[' || *s == ']' || *s == ',' || *s == '|')
            w += 0.4;
        else if (*s >= 'A' && *s <= 'Z')
            w += 0.75;
        else
            w += 0.52;
        s++;
    }
    return w;
}

static double width(const char *s)
{
    return width_of(s, strlen(s));
}

/* the widest the right side of a line of an align may be, in ems (the
   document's 6.5in text at 11pt is 42 wide, a default article's 345pt at
   10pt, where a fragment goes, 34.5; the left side and the tag need the
   rest), a boxed result's (BOX_EMS less its left side), and the widest a
   left side may be before it gets a line of its own. Set once per document
   by sg_latex_document(). */
static double line_ems = 30.0;
#define LINE_EMS line_ems
#define BOX_EMS (line_ems + 8.0)
#define LHS_EMS 6.5

/* s without its break marks */
static void put_unbroken(sg_buf *b, const char *s)
{
    for (; *s; s++)
        if (*s != SG_FMT_BREAK)
            sg_buf_putc(b, *s);
}

static void put_unbroken_n(sg_buf *b, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != SG_FMT_BREAK)
            sg_buf_putc(b, s[i]);
}

/* the break marks of s that TeX can break at: outside braces and \left…\right */
static void usable_marks(const char *s, unsigned char *ok)
{
    int depth = 0, left = 0;
    size_t i;
    for (i = 0; s[i]; i++) {
        ok[i] = 0;
        if (s[i] == '{')
            depth++;
        else if (s[i] == '}')
            depth--;
        else if (s[i] == '\\' && !strncmp(s + i, "\\left", 5) && !is_alpha_c(s[i + 5]))
            left++;
        else if (s[i] == '\\' && !strncmp(s + i, "\\right", 6) && !is_alpha_c(s[i + 6]))
            left--;
        else if (s[i] == SG_FMT_BREAK && depth == 0 && left == 0)
            ok[i] = 1;
    }
}

/*
 * s after "&= " on a line already indent ems wide: broken before a + or −
 * where the line would run over, each continuation indented (sep starts
 * each new line: "\\\\\n  &\\qquad " in an align).
 */
static void put_broken_sep(sg_buf *b, const char *s, double indent, double avail, const char *sep)
{
    size_t n = strlen(s), i, start = 0, *marks;
    unsigned char *ok = sg_xmalloc(n + 1);
    int *depth, nm = 0, d = 0, k;
    double used = indent;
    usable_marks(s, ok);
    marks = sg_xmalloc((n + 2) * sizeof *marks);
    depth = sg_xmalloc((n + 2) * sizeof *depth);
    /* the marks, with how deep in parentheses each lies */
    for (i = 0; i < n; i++) {
        if (s[i] == '(' || !strncmp(s + i, "\\Bigl(", 6))
            d++;
        else if (s[i] == ')' && d > 0)
            d--;
        if (ok[i]) {
            marks[nm] = i;
            depth[nm++] = d;
        }
    }
    marks[nm] = n;
    depth[nm] = -1;
    /* each line ends at the shallowest mark that fits, the last such */
    k = 0;
    while (start < n) {
        int best = -1, j;
        for (j = k; j <= nm; j++) {
            double w = width_of(s + start, marks[j] - start);
            if (used + w > avail && j > k)
                break;
            if (best < 0 || depth[j] <= depth[best] || j == nm)
                best = j;
            if (used + w > avail)
                break;
        }
        if (best < 0)
            best = nm;
        put_unbroken_n(b, s + start, marks[best] - start);
        if (best == nm)
            break;
        sg_buf_puts(b, sep);
        used = 4;
        start = marks[best] + 1;
        k = best + 1;
    }
    free(ok);
    free(marks);
    free(depth);
}

static void put_broken(sg_buf *b, const char *s, double indent)
{
    put_broken_sep(b, s, indent, LINE_EMS, "\\\\*\n  &\\qquad ");
}

/* a boxed result; a long one boxed over several lines */
static const char *boxed(X *x, const char *s, double avail)
{
    sg_buf b;
    const char *r;
    if (width(s) <= avail || !strchr(s, SG_FMT_BREAK))
        return sg_arena_printf(x->ar, "\\boxed{%s}", s);
    sg_buf_init(&b);
    sg_buf_puts(&b, "\\boxed{\\begin{aligned}[t]&");
    put_broken_sep(&b, s, 0, avail, "\\\\ &\\qquad ");
    sg_buf_puts(&b, "\\end{aligned}}");
    r = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/*
 * One equation of an align*: lhs &= parts[0] = parts[1] …, with tag at the
 * right margin. Parts that do not fit go on lines of their own, "&= part";
 * a part that alone is too wide breaks inside its outermost sum. lead
 * (may be "") is written after the & instead of "= " before the first part.
 */
static void equation(sg_buf *b, const char *lhs, const char *lead, const char **parts, int nparts,
                     const char *tag)
{
    double used;
    int i;
    if (!*lhs) { /* a labelled line: all of it right of the alignment point */
        sg_buf_printf(b, "  &%s", lead);
        used = width(lead);
    } else if (width(lhs) > LHS_EMS) { /* a long left side on a line of its own */
        sg_buf_printf(b, "  &%s\\\\*\n  &\\qquad %s", lhs, lead);
        used = 2 + width(lead);
    } else {
        sg_buf_printf(b, "  %s &%s", lhs, lead);
        used = width(lead);
    }
    for (i = 0; i < nparts; i++) {
        double w = width(parts[i]);
        if (i > 0 && used + w + 1.5 > LINE_EMS) {
            /* under a labelled line's formula, not under its label */
            sg_buf_puts(b, *lhs ? "\\\\*\n  &" : "\\\\*\n  &\\qquad\\qquad ");
            used = *lhs ? 1.5 : 5.5;
        }
        if (i > 0 || !*lead)
            sg_buf_puts(b, "= ");
        if (used + w + 1.5 > LINE_EMS)
            put_broken(b, parts[i], used + 1.5);
        else
            put_unbroken(b, parts[i]);
        used += w + 1.5;
        if (i + 1 < nparts)
            sg_buf_putc(b, ' ');
    }
    if (tag && *tag)
        sg_buf_printf(b, " \\tag*{%s}", tag);
    sg_buf_puts(b, "\\\\\n");
}

#define GLUED_ROWS 6 /* rows held together at most, by \\* (a page holds more) */

/*
 * Ends an align* body: the last \\ removed. The document allows page breaks
 * between display lines (\allowdisplaybreaks), but not everywhere: a line
 * that continues an equation (\\* in equation() and put_broken()) stays with
 * it, and no equation is left alone at a page foot or head: the first row
 * of the body stays with the second, and the last with the one before (the
 * first \\ and the last become \\*). TeX breaks no page just before a
 * display, so the text that introduces it stays with its first lines. A run
 * of more than GLUED_ROWS rows may break, so that no block outgrows a page.
 */
static void end_align(sg_buf *b, size_t start)
{
    size_t n = b->len, i, *at = NULL;
    unsigned char *star = NULL;
    int nsep = 0, cap = 0, k, run;
    sg_buf t;
    if (n >= start + 3 && strncmp(b->data + n - 3, "\\\\\n", 3) == 0) {
        b->len -= 3;
        b->data[b->len] = '\0';
        sg_buf_putc(b, '\n');
    }
    /* the row ends at the top level: "\\\n" and "\\*\n" (aligned inside
       \boxed breaks with "\\ ") */
    for (i = start; i + 2 < b->len; i++) {
        int st = b->data[i + 2] == '*' && i + 3 < b->len && b->data[i + 3] == '\n';
        if (b->data[i] == '\\' && b->data[i + 1] == '\\' && (b->data[i + 2] == '\n' || st) &&
            (i == start || b->data[i - 1] != '\\')) {
            if (nsep == cap) {
                cap = cap ? 2 * cap : 16;
                at = sg_xrealloc(at, (size_t)cap * sizeof *at);
                star = sg_xrealloc(star, (size_t)cap);
            }
            at[nsep] = i;
            star[nsep++] = (unsigned char)st;
            i += 2;
        }
    }
    if (nsep == 0) {
        sg_buf_puts(b, "\\end{align*}\n");
        return;
    }
    star[0] = star[nsep - 1] = 1;
    /* but no run of rows so long that it cannot go on one page: a break
       may come after every GLUED_ROWS rows, inside a long equation too */
    for (k = 0, run = 0; k < nsep; k++) {
        run = star[k] ? run + 1 : 0;
        if (run >= GLUED_ROWS && k > 0 && k + 1 < nsep) {
            star[k] = 0;
            run = 0;
        }
    }
    sg_buf_init(&t);
    sg_buf_putn(&t, b->data + start, b->len - start);
    b->len = start;
    for (i = 0, k = 0; i < t.len; i++) {
        if (k < nsep && i + start == at[k]) {
            int was = t.data[i + 2] == '*';
            sg_buf_puts(b, star[k] ? "\\\\*" : "\\\\");
            i += was ? 2 : 1; /* past the \\ and its star */
            k++;
            continue;
        }
        sg_buf_putc(b, t.data[i]);
    }
    sg_buf_free(&t);
    free(at);
    free(star);
    sg_buf_puts(b, "\\end{align*}\n");
}

/* a rule instantiated, or NULL when it is too wide and cannot break (its
   citation says which rule it was; the value follows) */
static const char *fits(const char *s)
{
    size_t n, i;
    unsigned char *ok;
    int any = 0;
    if (!s || width(s) <= LINE_EMS)
        return s;
    n = strlen(s);
    ok = sg_xmalloc(n + 1);
    usable_marks(s, ok);
    for (i = 0; i < n; i++)
        any |= ok[i];
    free(ok);
    return any ? s : NULL;
}

/* the tag of a line: the rules it used, and the shape at the margin */
static const char *tag_of(X *x, const int *rs, int nrs, sg_shape shape)
{
    sg_buf b;
    const char *s;
    int i, j;
    int no[NRULES], n = 0; /* distinct rules: at most NRULES */
    sg_buf_init(&b);
    for (i = 0; i < nrs; i++) {
        int c = cite(x, rs[i]), at;
        for (j = 0; j < n && no[j] != c; j++)
            ;
        if (j < n)
            continue;
        for (at = n++; at > 0 && no[at - 1] > c; at--)
            no[at] = no[at - 1];
        no[at] = c;
    }
    if (n > 0) {
        sg_buf_puts(&b, "(");
        for (i = 0; i < n; i++)
            sg_buf_printf(&b, "%sR%d", i ? ", " : "", no[i]);
        sg_buf_puts(&b, ")\\quad ");
    }
    sg_buf_printf(&b, "$[\\in %s]$", shape_tex(x, shape));
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* ---- a backward pass ----------------------------------------------------------- */

/* a step of the log that pushes a contribution: node's rule, for its kid */
typedef struct {
    const sg_expr *node;
    int kid;
    const sg_expr *to;
    const sg_expr *contrib;
    int merged; /* both kids of ⟨A, A⟩: one edge, 2ȳA */
} edge;

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
} sums;

/*
 * A segment of a log: the steps of one backward pass over one formula. The
 * whole gradient of a function without sequences is one segment; with
 * sequences, so is the body of each Σ over time and of each recurrence (the
 * steps after its SEQ_SUM or SEQ_REC).
 */
/* a segment's facts about one node */
typedef struct {
    const sg_expr *adj;     /* the logged adjoint */
    unsigned char kind;     /* K_* in this segment */
    int nin;                /* the edges into it */
    int firstin, lastin;    /* the first and last edge into it, −1 */
} segnode;

typedef struct {
    const sg_expr *root;
    sg_expr *seed;          /* stands for the root's adjoint: 1, ½, δ_t */
    edge *e;
    int ne;
    /* what the segment knows of each node its steps name, by the node's
       sg_idmap number: sized by the segment, not by every node made, since
       a document builds one segment per backward pass and per step body */
    sg_idmap m;
    segnode *v;
    unsigned cap;
    int *nextin;            /* by edge: the next edge into the same node, −1 */
    const sg_expr **order;  /* the nodes that get lines, in order */
    int norder;
    int step;               /* a body at one step t: its leaves get "to W:" lines */
} seg;

static void seg_free(seg *s)
{
    free(s->e);
    free(s->v);
    sg_idmap_free(&s->m);
    free(s->nextin);
    free(s->order);
}

/* a node no step of the segment names */
static const segnode seg_none = {NULL, K_NONE, 0, -1, -1};

/* what the segment knows of e */
static const segnode *sv(const seg *s, const sg_expr *e)
{
    unsigned i = sg_idmap_find(&s->m, e);
    return i == SG_IDMAP_NONE ? &seg_none : &s->v[i];
}

/* the same, numbering e if the segment did not know it */
static segnode *sw(seg *s, const sg_expr *e)
{
    unsigned n0 = s->m.n, i = sg_idmap_add(&s->m, e);
    if (i >= s->cap) {
        unsigned n = s->cap ? 2 * s->cap : 64;
        s->v = sg_xrealloc(s->v, n * sizeof *s->v);
        sg_ctx_scratch_add(s->m.ctx, (unsigned long)(n - s->cap) * sizeof *s->v);
        s->cap = n;
    }
    if (s->m.n > n0)
        s->v[i] = seg_none;
    return &s->v[i];
}

/* an adjoint that is used as it stands: a number, cI, c𝟙 */
static int direct_adjoint(const sg_expr *a)
{
    if (!a)
        return 0;
    if (is_scalar(a) || a->op == SG_OP_EYE || a->op == SG_OP_FILL || a->op == SG_OP_ONES)
        return 1;
    return a->op == SG_OP_MUL && is_scalar(a->kid[0]) && !sg_expr_ops(a->kid[0], 3) &&
           (a->kid[1]->op == SG_OP_EYE || a->kid[1]->op == SG_OP_ONES);
}

static int in_seg(const seg *s, const sg_expr *e)
{
    return sg_idmap_find(&s->m, e) != SG_IDMAP_NONE;
}

/* the steps [from, to) of log g as a segment rooted at root */
static void seg_build(X *x, seg *s, const sg_log *g, int from, int to, const sg_expr *root,
                      sg_expr *seed)
{
    int k, i;
    memset(s, 0, sizeof *s);
    s->root = root;
    s->seed = seed;
    sg_idmap_init(&s->m, x->ctx);
    s->e = sg_xmalloc((size_t)(to - from + 1) * sizeof *s->e);
    s->order = sg_xmalloc((size_t)(to - from + 1) * 2 * sizeof *s->order);
    for (k = from; k < to; k++) {
        const sg_step *st = &g->steps[k];
        if (st->kind == SG_STEP_RULE) {
            const sg_expr *c = st->node->kid[st->kid];
            edge *last = s->ne > 0 ? &s->e[s->ne - 1] : NULL;
            sw(s, st->node)->adj = st->adjoint;
            if (last && last->node == st->node && last->to == c && st->node->op == SG_OP_DOT) {
                const sg_expr *both[2];
                both[0] = last->contrib;
                both[1] = st->contrib;
                last->merged = 1; /* ⟨A, A⟩ */
                last->contrib = sg_deriv_total(x->dv, both, 2);
                continue;
            }
            s->e[s->ne].node = st->node;
            s->e[s->ne].kid = st->kid;
            s->e[s->ne].to = c;
            s->e[s->ne].contrib = st->contrib;
            s->e[s->ne].merged = 0;
            s->ne++;
        } else if ((st->kind == SG_STEP_TOTAL || st->kind == SG_STEP_SEED) && st->node) {
            sw(s, st->node)->adj = st->adjoint;
        }
    }
    /* the edges into each node, as a list in edge order */
    s->nextin = sg_xmalloc(((size_t)s->ne + 1) * sizeof *s->nextin);
    for (i = 0; i < s->ne; i++) {
        segnode *t = sw(s, s->e[i].to);
        s->nextin[i] = -1;
        if (t->lastin >= 0)
            s->nextin[t->lastin] = i;
        else
            t->firstin = i;
        t->nin++;
        t->lastin = i;
    }
    /* the roles in this pass */
    for (i = 0; i < s->ne; i++) {
        const sg_expr *v[2];
        int j;
        v[0] = s->e[i].node;
        v[1] = s->e[i].to;
        for (j = 0; j < 2; j++) {
            const sg_expr *e = v[j];
            unsigned char kind;
            if (sv(s, e)->kind)
                continue;
            if (e == root || is_leaf(e))
                kind = K_STATION;
            else if (ni(x, e)->kind == K_STATION)
                kind = K_STATION;
            else if (is_trivial(x, e) || e->op == SG_OP_ADD || is_matmul(e))
                kind = K_PASS;
            else if (e->op == SG_OP_TRACE && is_matmul(e->kid[0]))
                kind = K_AUX; /* tr(AB): its own line, then AB's */
            else if (direct_adjoint(sv(s, e)->adj))
                kind = K_DIRECT;
            else
                kind = K_AUX;
            /* a body's invariant nodes are its leaves */
            if (sg_expr_varies(root) && !sg_expr_varies(e) && e != root)
                kind = K_STATION;
            sw(s, e)->kind = kind;
        }
    }
}

/* the placeholder for e's adjoint: a symbol that prints as ∂L/∂e */
static sg_expr *placeholder(X *x, const sg_expr *e, const sg_expr *adj)
{
    info *n = ni(x, e);
    const char *text, *what, *delta;
    sg_buf b;
    sg_expr *ph;
    int p;
    if (n->phnode)
        return n->phnode;
    sg_buf_init(&b);
    if (n->fwd) {
        sg_buf_puts(&b, n->fwd);
    } else {
        p = texp(x, &b, e, M_FORM, 0, 0);
        if (p < SG_FMT_POST) {
            what = sg_arena_strdup(x->ar, sg_buf_str(&b));
            sg_buf_free(&b);
            sg_buf_init(&b);
            sg_buf_printf(&b, "(%s)", what);
        }
    }
    text = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", x->fname, sg_buf_str(&b));
    sg_buf_free(&b);
    ph = sg_deriv_standin(x->dv, e->shape, adj && sg_expr_is_symmetric(x->ctx, adj));
    n = ni(x, e);
    n->phnode = ph;
    n->partial = text;
    delta = n->delta;
    if (delta) /* a layer's: δ_k wherever it is read */
        text = delta;
    n = ni(x, ph); /* may move the table: e's info is fetched again below */
    n->ph = text;
    n->delta = delta;
    return ph;
}

/* ∂L/∂e in LaTeX (δ_k for a layer's pre-activation) */
static const char *adj_name(X *x, const sg_expr *e)
{
    return ni(x, placeholder(x, e, NULL))->ph;
}

/* the left side of e's line, and the name it gets there: ∂L/∂a, then = δ₁
   for a layer's pre-activation (which its later lines read as δ₁) */
static const char *line_lhs(X *x, const sg_expr *e, const char **named)
{
    (void)placeholder(x, e, NULL);
    *named = ni(x, e)->delta;
    return *named ? ni(x, e)->partial : adj_name(x, e);
}

/* the rules a line cites, each once: there are NRULES */
typedef struct {
    int r[NRULES];
    int n;
} cites;

static void cite_add(cites *c, int r)
{
    int i;
    for (i = 0; i < c->n; i++)
        if (c->r[i] == r)
            return;
    c->r[c->n++] = r;
}

static sg_expr *edge_form(X *x, seg *s, const edge *e, cites *c, int depth);

/* the edges one line's form may walk: the walk follows every path up to the
   line above, and xₖ = xₖ₋₁xₖ₋₁ has 2ᵏ of them; past this a node's adjoint
   stands for itself, as it does past a depth of 200 */
#define FORM_EDGES 4000

/* what stands for e's adjoint in the rules of the edges out of e */
static sg_expr *g_form(X *x, seg *s, const sg_expr *e, cites *c, int depth)
{
    sg_expr *sum = NULL;
    int i;
    if (e == s->root)
        return s->seed;
    if (--x->form_left < 0)
        return (sg_expr *)sv(s, e)->adj;
    switch (sv(s, e)->kind) {
    case K_STATION: case K_AUX:
        return placeholder(x, e, sv(s, e)->adj);
    case K_DIRECT: /* the rules that made the number */
        for (i = sv(s, e)->firstin; i >= 0 && depth < 200; i = s->nextin[i])
            (void)edge_form(x, s, &s->e[i], c, depth + 1);
        return (sg_expr *)sv(s, e)->adj;
    default:
        break;
    }
    if (depth > 200)
        return (sg_expr *)sv(s, e)->adj;
    for (i = sv(s, e)->firstin; i >= 0; i = s->nextin[i]) {
        const sg_expr *f[2];
        f[0] = sum;
        f[1] = edge_form(x, s, &s->e[i], c, depth + 1);
        sum = sum ? sg_deriv_total(x->dv, f, 2) : (sg_expr *)f[1];
    }
    return sum ? sum : (sg_expr *)sv(s, e)->adj;
}

/* the rule of an edge, instantiated with what stands for its node's adjoint */
static sg_expr *edge_form(X *x, seg *s, const edge *e, cites *c, int depth)
{
    sg_expr *g = g_form(x, s, e->node, c, depth);
    /* the rule table's builder, the one diff.c used (sg_deriv_rule): with
       g a placeholder it is the rule as a line reads, W ∂L/∂v */
    sg_expr *f = g ? sg_deriv_rule(x->dv, e->node, e->kid, g, e->merged) : NULL;
    cite_add(c, rule_of(e->node, e->merged));
    return f ? f : (sg_expr *)e->contrib;
}

/* the node a contribution came through: the line above it */
static const sg_expr *through(const seg *s, const sg_expr *e)
{
    int guard = 0;
    while (e != s->root && in_seg(s, e) && sv(s, e)->kind == K_PASS && guard++ < 1000) {
        if (!in_seg(s, e) || sv(s, e)->nin != 1)
            break;
        e = s->e[sv(s, e)->lastin].node;
    }
    return e;
}

/* the display form of a node (sg_deriv_display: computed once; a huge
   value is shown as built, in terms of named adjoints) */
static sg_expr *simple(X *x, const sg_expr *v)
{
    return sg_deriv_display(x->dv, v);
}

/* ---- values in terms of the lines above ---------------------------------------- */

/*
 * A logged value (a contribution, an adjoint) is a DAG that reaches back
 * through every adjoint above it. Printed as it is, or simplified as a
 * whole, it says again what the lines above said, and its text can grow with
 * the depth of the backward pass, or exponentially (an adjoint used twice,
 * as in x·x, is written out twice, at every level). So each line's adjoint,
 * once its line is printed, is "lined": values below substitute for it
 * either its closed form, when that is short, or its placeholder ∂L/∂v.
 * What a value prints is then its own rule applied to names already
 * introduced, and the document stays linear in the size of the problem.
 */

/* marks a, the adjoint of the line of e, as said: by ph, or by closed when
   that is short enough to repeat */
static void line_adjoint(X *x, const sg_expr *a, sg_expr *ph, sg_expr *closed)
{
    info *n = ni(x, a);
    if (n->lined || n->fwd || n->fp || n->ph || is_leaf(a) || a->name)
        return;
    n->lined = 1;
    n->lph = ph;
    n->closed = closed;
    if (x->nlined == x->caplined) {
        x->caplined = x->caplined ? 2 * x->caplined : 64;
        x->lined = sg_xrealloc(x->lined, (size_t)x->caplined * sizeof *x->lined);
    }
    x->lined[x->nlined++] = a->id;
}

/* a new function: the adjoints of the last one are not its adjoints */
static void unline_all(X *x)
{
    int i;
    for (i = 0; i < x->nlined; i++) {
        info *n = &x->ni[x->lined[i]];
        n->lined = 0;
        n->lph = n->closed = NULL;
    }
    x->nlined = 0;
}

/* what a lined adjoint in a value is said as (sg_deriv_substitute's
   callback): its closed form where short and closed_ok, else its
   placeholder; names and placeholders are kept whole */
static sg_expr *said_as(void *arg, const sg_expr *e)
{
    X *x = arg;
    const info *n;
    if (e->id >= x->nni)
        return NULL;
    n = &x->ni[e->id];
    if (n->lined)
        return x->closed_ok && n->closed ? n->closed : n->lph;
    if (n->ph || n->fwd || n->fp)
        return (sg_expr *)e;
    return NULL;
}

/* v with the lined adjoints in it substituted: by their closed forms where
   short (if closed_ok), else by their placeholders; each node once */
static sg_expr *subst(X *x, const sg_expr *v, int closed_ok)
{
    if (!v || x->nlined == 0)
        return (sg_expr *)v;
    x->closed_ok = closed_ok;
    return sg_deriv_substitute(x->dv, v, said_as, x);
}

/* the display form of v, said in terms of the lines above */
static sg_expr *said(X *x, const sg_expr *v, int closed_ok)
{
    return simple(x, subst(x, v, closed_ok));
}

/* the most nodes a value shows before it is said by names instead */
#define VALUE_CAP 400

static const char *print_value(X *x, const sg_expr *v, int mode, int breaks)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    texp(x, &b, v, mode, 1, breaks);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/*
 * A value as the page shows it: its display form, if simplification made
 * one (a value it leaves as built may repeat what the lines above said) and
 * that is at most a few lines; else the display form of the value with the
 * adjoints of the lines above in it said in closed form where short and as
 * ∂L/∂v where long; if that is still long, every one of them by its name.
 */
static const char *value_text(X *x, const sg_expr *v, int mode, int breaks)
{
    sg_expr *c = simple(x, v), *n;
    const char *t;
    if ((c != v || x->nlined == 0 || is_leaf(v)) &&
        shown_size(x, c, mode, VALUE_CAP, 1) <= VALUE_CAP) {
        t = print_value(x, c, mode, breaks);
        if (width(t) <= 4 * LINE_EMS || x->nlined == 0)
            return t;
    }
    c = said(x, v, 1);
    n = said(x, v, 0);
    if (c != n && shown_size(x, c, mode, VALUE_CAP, 1) <= VALUE_CAP) {
        t = print_value(x, c, mode, breaks);
        if (width(t) <= 4 * LINE_EMS)
            return t;
    }
    return print_value(x, n, mode, breaks);
}

/* a rule instantiated, as printed: as the rule reads, unless that leaves a
   transpose of a product ((∂L/∂v uᵀ)ᵀ), which the display form pushes to
   the leaves (u(∂L/∂v)ᵀ) */
static const char *form_text(X *x, sg_expr *f)
{
    const char *raw = texb(x, f, M_FORM, 1), *simple;
    if (!strstr(raw, ")^\\top") && !strstr(raw, "\\right)^\\top"))
        return raw;
    simple = texb(x, sg_deriv_display(x->dv, f), M_FORM, 1);
    return strlen(simple) <= strlen(raw) ? simple : raw;
}

/* the placeholders in e, each once, into out, looking at a few hundred
   nodes (budget) */
static void phs_in(X *x, const sg_expr *e, elist *out, int *budget)
{
    int k;
    if (--*budget < 0)
        return;
    if (e->id < x->nni && x->ni[e->id].ph) {
        elist_push_unique(out, e);
        return;
    }
    for (k = 0; k < e->nkids; k++)
        phs_in(x, e->kid[k], out, budget);
}

/* after e's line: its adjoint is said from now on by its closed form if that
   is short, else by its name ∂L/∂e */
static void name_adjoint(X *x, const sg_expr *e, const sg_expr *adj)
{
    sg_expr *v[2], *closed, *ph;
    elist ph1 = {NULL, 0, 0};
    const char *name, *text;
    int i, lng, budget;
    if (!adj)
        return;
    closed = said(x, adj, 1);
    text = value_text(x, adj, M_VALUE, 0);
    budget = 400;
    lng = width(text) >= 20 || shown_size(x, closed, M_VALUE, 60, 1) > 60 ||
          (shown_ops(x, adj, 4, 1) >= 3 && width(text) >= 11);
    if (!lng) { /* not closed: said by a name */
        phs_in(x, closed, &ph1, &budget);
        lng = ph1.n > 0;
        free(ph1.v);
    }
    ph = placeholder(x, e, adj);
    line_adjoint(x, adj, ph, lng ? NULL : closed);
    if (!lng)
        return;
    v[0] = (sg_expr *)adj;
    v[1] = simple(x, adj);
    name = ni(x, ph)->ph;
    for (i = 0; i < 2; i++) {
        info *n = ni(x, v[i]);
        if (!n->fwd && !n->fp && !n->ph && !n->adj)
            n->adj = name;
    }
}

/* the label of a contribution: "through v", told apart when two agree */
static const char *label_of(X *x, seg *s, const edge *e)
{
    const sg_expr *t = through(s, e->node);
    if (t == s->root && sv(s, e->node)->kind != K_PASS)
        t = e->node;
    return texs(x, t, M_FORM, 1);
}

/* a symbol declared in Δ^C that e reads, or NULL; e is an adjoint, a DAG
   whose tree can be exponentially larger, so each node is looked at once */
static const sg_expr *simplex_in(X *x, const sg_expr *e)
{
    elist all = {NULL, 0, 0};
    const sg_expr *found = NULL;
    int i;
    dag_nodes(x, e, &all);
    for (i = 0; i < all.n && !found; i++) {
        const sg_expr *v = all.v[i];
        if (v->op == SG_OP_VAR && v->sym < x->nsyms0 &&
            (sg_sym(x->ctx, v->sym)->props & SG_PROP_SIMPLEX))
            found = v;
    }
    free(all.v);
    return found;
}

/* after a softmax rule whose adjoint holds a y ∈ Δ: why 𝟙ᵀy went */
static void simplex_note(X *x, sg_buf *b, const seg *s, const sg_expr *c)
{
    int i;
    for (i = sv(s, c)->firstin; i >= 0; i = s->nextin[i]) {
        const edge *e = &s->e[i];
        const sg_expr *y;
        if (!(e->node->op == SG_OP_LOGSOFTMAX || e->node->op == SG_OP_SOFTMAX))
            continue;
        if (!sv(s, e->node)->adj || !(y = simplex_in(x, sv(s, e->node)->adj)))
            continue;
        sg_buf_printf(b, "\\intertext{since $\\mathbf{1}^\\top %s = 1$ for $%s \\in \\Delta^{%s}$ "
                         "(softmax with cross-entropy).}\n",
                      texs(x, y, M_FORM, 1), texs(x, y, M_FORM, 1),
                      dim_tex(x, y->shape.rows));
        return;
    }
}

/* values joined into a sum, a break allowed before each further term */
static const char *join_sum(X *x, const char **v, int n)
{
    sg_buf b;
    const char *s;
    int i;
    sg_buf_init(&b);
    for (i = 0; i < n; i++) {
        if (i > 0 && v[i][0] == '-')
            sg_buf_printf(&b, "%c - %s", SG_FMT_BREAK, v[i] + 1);
        else if (i > 0)
            sg_buf_printf(&b, "%c + %s", SG_FMT_BREAK, v[i]);
        else
            sg_buf_puts(&b, v[i]);
    }
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* "through v" and "through u", or "through v and through u and …" */
static void list_labels(sg_buf *b, const char **labels, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        const char *end = strchr(labels[i], '}');
        if (i > 0)
            sg_buf_puts(b, i + 1 == n ? (n > 2 ? ", and " : " and ") : ", ");
        if (!strncmp(labels[i], "\\text{the ", 10) && end) /* words as text, to break */
            sg_buf_printf(b, "through %.*s$%s$", (int)(end - labels[i] - 6), labels[i] + 6, end + 1);
        else
            sg_buf_printf(b, "through $%s$", labels[i]);
    }
}

/* do two of the contributions go through the adjoint of the same line? Their
   sum then says it once (∂L/∂v x + x∂L/∂v = 2x∂L/∂v), not twice in closed form */
static int shared_adjoint(X *x, const sg_expr *const *vals, int n)
{
    elist ph = {NULL, 0, 0};
    sg_idmap owner; /* placeholder → the first contribution it was found in */
    int *by = NULL, i, k, shared = 0, cap = 0;
    sg_idmap_init(&owner, x->ctx);
    for (i = 0; i < n && !shared; i++) {
        int budget = 400;
        ph.n = 0;
        phs_in(x, subst(x, vals[i], 0), &ph, &budget);
        for (k = 0; k < ph.n && !shared; k++) {
            unsigned o = sg_idmap_find(&owner, ph.v[k]);
            if (o != SG_IDMAP_NONE) {
                shared = by[o] != i;
                continue;
            }
            o = sg_idmap_add(&owner, ph.v[k]);
            if ((int)o >= cap) {
                cap = cap ? 2 * cap : 16;
                by = sg_xrealloc(by, (size_t)cap * sizeof *by);
            }
            by[o] = i;
        }
    }
    free(ph.v);
    free(by);
    sg_idmap_free(&owner);
    return shared;
}

static int is_line(const seg *s, const sg_expr *e)
{
    return in_seg(s, e) && (sv(s, e)->kind == K_STATION || sv(s, e)->kind == K_AUX);
}

/*
 * The lines of a segment into b (inside an align*): one per station and
 * auxiliary node, in the order their adjoints are complete, then one per
 * target (the inputs, or a body's leaves), each with its local rule and its
 * value. A node reached along several paths gets a line per path and, unless
 * it is a target whose sum the Total section states (defer), the sum.
 * out[i] receives what the Total section needs about targets[i].
 */
/* of labels[0..n): how often each occurs (dup) and which occurrence it is,
   from 1 (nth); by a map, not a scan: a sum of 10,000 terms gives x 10,000
   contributions */
static void count_labels(const char *const *labels, int n, int *dup, int *nth)
{
    sg_strmap m;
    int *count = sg_xmalloc(((size_t)n + 1) * sizeof *count), i, ndistinct = 0;
    sg_strmap_init(&m);
    for (i = 0; i < n; i++) {
        int k = sg_strmap_get(&m, labels[i]);
        if (k < 0) {
            k = ndistinct++;
            count[k] = 0;
            sg_strmap_put(&m, labels[i], k);
        }
        nth[i] = ++count[k];
    }
    for (i = 0; i < n; i++)
        dup[i] = count[sg_strmap_get(&m, labels[i])];
    free(count);
    sg_strmap_free(&m);
}

static void seg_lines(X *x, seg *s, sg_buf *b, const sg_expr *const *targets, int nt, sums *out,
                      int defer)
{
    const sg_expr **order;
    int norder = 0, i, k, *nth, *tix;
    sg_idmap inorder, targetix;
    /* nodes with lines: as their adjoints complete, then the targets (a
       target need not be reached: grad L wrt a symbol L does not read) */
    s->order = sg_xrealloc(s->order, ((size_t)2 * (size_t)s->ne + (size_t)nt + 1) * sizeof *s->order);
    order = s->order;
    sg_idmap_init(&inorder, x->ctx);
    for (i = 0; i < s->ne; i++) {
        const sg_expr *e = s->e[i].node;
        if (e == s->root || !is_line(s, e) || sg_idmap_find(&inorder, e) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&inorder, e);
        order[norder++] = e;
    }
    for (i = 0; i < nt; i++)
        if (sg_idmap_find(&inorder, targets[i]) == SG_IDMAP_NONE) {
            sg_idmap_add(&inorder, targets[i]);
            order[norder++] = targets[i];
        }
    sg_idmap_init(&targetix, x->ctx); /* target → its first index in targets */
    tix = sg_xmalloc(((size_t)nt + 1) * sizeof *tix);
    for (i = 0; i < nt; i++)
        if (sg_idmap_find(&targetix, targets[i]) == SG_IDMAP_NONE)
            tix[sg_idmap_add(&targetix, targets[i])] = i;
    for (i = 0; i < s->ne; i++) {
        const sg_expr *e = s->e[i].to;
        if (!is_line(s, e) || sg_idmap_find(&inorder, e) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&inorder, e);
        order[norder++] = e;
    }
    sg_idmap_free(&inorder);
    s->norder = norder;

    for (k = 0; k < norder; k++) {
        const sg_expr *c = order[k];
        const char **labels, **values, **forms;
        const sg_expr **vals;
        const char **as, **sq;
        int *dup, shared = 0;
        cites *cs;
        sg_shape shape = c->shape;
        int n = sv(s, c)->nin, t;
        unsigned ti = sg_idmap_find(&targetix, c);
        t = ti == SG_IDMAP_NONE ? nt : tix[ti];
        if (t < nt && out) {
            out[t].target = c;
            out[t].n = 0;
        }
        if (n == 0)
            continue;
        labels = sg_arena_alloc(x->ar, (size_t)n * sizeof *labels);
        values = sg_arena_alloc(x->ar, (size_t)n * sizeof *values);
        forms = sg_arena_alloc(x->ar, (size_t)n * sizeof *forms);
        vals = sg_arena_alloc(x->ar, (size_t)n * sizeof *vals);
        as = sg_arena_alloc(x->ar, (size_t)n * sizeof *as);
        sq = sg_arena_alloc(x->ar, (size_t)n * sizeof *sq);
        cs = sg_xmalloc((size_t)n * sizeof *cs);
        n = 0;
        for (i = sv(s, c)->firstin; i >= 0; i = s->nextin[i]) {
            const edge *e = &s->e[i];
            sg_expr *f;
            cs[n].n = 0;
            x->form_left = FORM_EDGES;
            f = edge_form(x, s, e, &cs[n], 0);
            forms[n] = fits(form_text(x, f));
            if (!forms[n])
                forms[n] = value_text(x, e->contrib, M_VALUE, 1);
            values[n] = value_text(x, e->contrib, M_VALUE, 1);
            vals[n] = e->contrib;
            labels[n] = label_of(x, s, e);
            /* what c entered its parent as: itself, or its transpose */
            as[n] = texs(x, is_trivial(x, e->node) && e->node->kid[0] == c ? e->node : c, M_FORM, 1);
            sq[n] = NULL;
            if (e->node->nkids == 2 && e->node->kid[0] == c && e->node->kid[1] == c && !e->merged) {
                /* the operands written out: the printer says x_1^2 for x_1x_1,
                   which has no first factor to point at */
                const char *kt = factor(x, c, M_FORM), *whole;
                if (e->node->op == SG_OP_MUL)
                    whole = sg_arena_printf(x->ar, "%s%s%s", kt, is_alpha_c(kt[strlen(kt) - 1]) &&
                                                                 kt[0] == '\\' ? "\\," : "", kt);
                else if (e->node->op == SG_OP_HADAMARD)
                    whole = sg_arena_printf(x->ar, "%s \\odot %s", kt, kt);
                else if (e->node->op == SG_OP_ADD)
                    whole = sg_arena_printf(x->ar, "%s + %s", kt, kt);
                else
                    whole = texs(x, e->node, M_FORM, 1);
                sq[n] = sg_arena_printf(x->ar, "\\text{the %s %s of }%s", e->kid ? "second" : "first",
                                        e->node->op == SG_OP_ADD ? "term" :
                                        e->node->op == SG_OP_MUL || e->node->op == SG_OP_HADAMARD ?
                                        "factor" : "operand",
                                        whole);
            }
            n++;
        }
        /* the same label twice: say what the symbol entered as (X, Xᵀ), or
           which operand of a square it was (x in xx) */
        dup = sg_xmalloc((size_t)n * sizeof *dup);
        nth = sg_xmalloc((size_t)n * sizeof *nth);
        count_labels(labels, n, dup, nth);
        for (i = 0; i < n; i++)
            if (dup[i] > 1)
                labels[i] = sq[i] ? sq[i] : sg_arena_printf(x->ar, "%s\\text{ as }%s", labels[i], as[i]);
        count_labels(labels, n, dup, nth);
        for (i = 0; i < n; i++)
            if (dup[i] > 1)
                labels[i] = sg_arena_printf(x->ar, "%s\\text{ (%d)}", labels[i], nth[i]);
        free(dup);
        free(nth);
        if (n == 1) {
            const char *parts[2];
            int np = 0;
            parts[np++] = forms[0];
            if (strcmp(forms[0], values[0]) != 0)
                parts[np++] = values[0];
            if (s->step && (is_leaf(c) || !sg_expr_varies(c)))
                equation(b, "",
                         sg_arena_printf(x->ar, "\\text{to } %s\\text{:}\\quad ", texs(x, c, M_FORM, 1)),
                         parts, np, tag_of(x, cs[0].r, cs[0].n, shape));
            else {
                const char *named, *lhs = line_lhs(x, c, &named), *all[3];
                int k2, na = 0;
                if (named)
                    all[na++] = named;
                for (k2 = 0; k2 < np; k2++)
                    all[na++] = parts[k2];
                equation(b, lhs, "", all, na, tag_of(x, cs[0].r, cs[0].n, shape));
            }
            simplex_note(x, b, s, c);
        } else {
            sg_buf tb;
            sg_buf_init(&tb);
            sg_buf_printf(&tb, "\\intertext{$%s$ is reached along %s paths, ",
                          texs(x, c, M_FORM, 1), count_word(x, n));
            list_labels(&tb, labels, n);
            sg_buf_puts(&tb, ":}\n");
            sg_buf_puts(b, sg_buf_str(&tb));
            sg_buf_free(&tb);
            for (i = 0; i < n; i++) {
                const char *parts[2];
                int np = 0;
                parts[np++] = forms[i];
                if (strcmp(forms[i], values[i]) != 0)
                    parts[np++] = values[i];
                equation(b, "",
                         sg_arena_printf(x->ar, "\\text{through } %s\\text{:}\\quad ", labels[i]),
                         parts, np, tag_of(x, cs[i].r, cs[i].n, shape));
            }
            if (n > 1)
                shared = shared_adjoint(x, vals, n);
            if (!(defer && t < nt)) {
                const char *parts[3];
                const sg_expr *a = sv(s, c)->adj;
                int np = 1;
                if (a && shared) {
                    /* in terms of the line above, then as short as it goes */
                    parts[0] = join_sum(x, forms, n);
                    parts[np] = print_value(x, said(x, a, 0), M_VALUE, 1);
                    np += strcmp(parts[np], parts[np - 1]) != 0;
                    parts[np] = value_text(x, a, M_VALUE, 1);
                    np += strcmp(parts[np], parts[np - 1]) != 0;
                } else {
                    parts[0] = join_sum(x, values, n);
                    parts[1] = a ? value_text(x, a, M_VALUE, 1) : parts[0];
                    np += strcmp(parts[0], parts[1]) != 0;
                }
                sg_buf_puts(b, "\\intertext{by the total derivative rule, they add:}\n");
                {
                    const char *named, *lhs = line_lhs(x, c, &named), *all[4];
                    int k2, na = 0;
                    if (named)
                        all[na++] = named;
                    for (k2 = 0; k2 < np; k2++)
                        all[na++] = parts[k2];
                    equation(b, lhs, "", all, na, tag_of(x, NULL, 0, shape));
                }
            }
        }
        if (t < nt && out) {
            out[t].n = n;
            out[t].labels = labels;
            out[t].values = values;
            out[t].vals = vals;
            out[t].forms = forms;
            out[t].shared = shared;
            out[t].adj = sv(s, c)->adj;
        }
        free(cs);
        if (in_seg(s, c))
            name_adjoint(x, c, sv(s, c)->adj);
    }
    free(tix);
    sg_idmap_free(&targetix);
}

/* ---- the problem ------------------------------------------------------------ */

/* a result in closed form; when that would fill more than a few lines, in
   terms of the adjoints the backward pass named (∂L/∂z_{99} h_{98}^\top):
   those of raw, the value as logged, when given */
static const char *result_text(X *x, const sg_expr *e, const sg_expr *raw)
{
    const char *closed;
    sg_expr *c = simple(x, e);
    if (shown_ops(x, c, 200, 1) < 200 && /* else too long anyway */
        shown_size(x, c, M_BOX, VALUE_CAP, 1) <= VALUE_CAP) {
        const sg_expr *hide = x->hide;
        x->hide = c; /* a box is a formula, never just a name */
        closed = print_value(x, c, M_BOX, 1);
        x->hide = hide;
        /* a few lines, if it can break into them */
        if (width(closed) <= 4 * LINE_EMS &&
            (width(closed) <= LINE_EMS - 8 || strchr(closed, SG_FMT_BREAK)))
            return closed;
    }
    return value_text(x, raw ? raw : e, M_VALUE, 1);
}

static const char *range_text(X *x, sg_index lo, sg_index hi);

/* "A, B and C" into b, of n items printed by each() */
static void and_list(sg_buf *b, const char **items, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (i > 0)
            sg_buf_puts(b, i + 1 == n ? (n > 2 ? ", and " : " and ") : ", ");
        sg_buf_puts(b, items[i]);
    }
}

/* where a symbol lives: \mathbb{R}^{n}, \mathbb{S}^{n}_{++}, \Delta^{C} */
static const char *space_of(X *x, const sg_symbol *s)
{
    const char *n = dim_tex(x, s->shape.rows);
    if (s->props & SG_PROP_SPD)
        return sg_arena_printf(x->ar, "\\mathbb{S}^{%s}_{++}", n);
    if (s->props & SG_PROP_SYMMETRIC)
        return sg_arena_printf(x->ar, "\\mathbb{S}^{%s}", n);
    if (s->props & SG_PROP_SIMPLEX)
        return sg_arena_printf(x->ar, "\\Delta^{%s}", n);
    return shape_tex(x, s->shape);
}

/* ∇_W L, ∂s/∂z, ∇²_x f: what a result is called in the text */
static const char *result_tex(X *x, const sg_result *r)
{
    const char *of = name_tex(x, r->of), *w = r->wrt ? name_tex(x, r->wrt) : "";
    switch (r->kind) {
    case SG_RES_GRAD:
        return sg_arena_printf(x->ar, "\\nabla_{%s} %s", w, of);
    case SG_RES_JACOBIAN:
        return sg_arena_printf(x->ar, x->inline_ ? "\\partial %s/\\partial %s"
                                                 : "\\frac{\\partial %s}{\\partial %s}", of, w);
    case SG_RES_HESSIAN:
        if (r->wrt2 && strcmp(r->wrt2, r->wrt) != 0)
            return sg_arena_printf(x->ar, "\\frac{\\partial^2 %s}{\\partial %s\\,\\partial %s}", of,
                                   w, name_tex(x, r->wrt2));
        return sg_arena_printf(x->ar, "\\nabla^2_{%s} %s", w, of);
    default:
        return of;
    }
}

static const char *index_tex(X *x, sg_index i)
{
    char buf[64];
    const char *d;
    if (i.dim < 0)
        return sg_arena_printf(x->ar, "%ld", i.off);
    d = dim_tex(x, i.dim);
    if (i.off == 0)
        return d;
    /* the magnitude as unsigned: −LONG_MIN is not a long; 64 holds any */
    snprintf(buf, sizeof buf, "%s%lu", i.off > 0 ? "+" : "-",
             i.off > 0 ? (unsigned long)i.off : 0UL - (unsigned long)i.off);
    return sg_arena_printf(x->ar, "%s%s", d, buf);
}


/* ---- the problem, quoted ------------------------------------------------------ */

/* what quote_known() asks: the names known where definition `upto` is */
typedef struct {
    X *x;
    sg_strmap defs; /* the user's definitions: name → index in p->defs */
    int upto;
} known_names;

/* a value where the definition is written: a symbol, a dimension, a
   sequence, I or 𝟙, or a definition above it (the checker's reading) */
static int quote_known(void *arg, const char *s, size_t n)
{
    known_names *k = arg;
    char buf[256]; /* a name has at most SG_LEX_MAX_NAME bytes */
    int d;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strcmp(buf, "I") || !strcmp(buf, "ones"))
        return 1;
    if (sg_sym_find(k->x->ctx, buf) >= 0 || sg_dim_find(k->x->ctx, buf) >= 0 ||
        sg_seq_find(k->x->ctx, buf) >= 0)
        return 1;
    d = sg_strmap_get(&k->defs, buf);
    return d >= 0 && d < k->upto;
}

/* definition i as the user wrote it: from its syntax tree when the problem
   kept it, else its value */
static const char *quoted(X *x, known_names *k, int i)
{
    const sg_def *d = &x->p->defs[i];
    sg_quote_opts qo;
    sg_buf b;
    const char *s;
    if (!d->ast)
        return user_text(x, d->expr);
    memset(&qo, 0, sizeof qo);
    qo.text = x->p->text;
    qo.known = quote_known;
    qo.arg = k;
    qo.breaks = 1;
    qo.alphabet = SG_FMT_LATEX;
    k->upto = i;
    sg_buf_init(&b);
    sg_quote(&b, d->ast, &qo);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the statement that defines sequence name's first value (step = 0) or its
   step (step = 1), as written; NULL when the problem did not keep it */
static const sg_stmt *seq_stmt(X *x, const char *name, int step)
{
    const sg_stmt *s;
    for (s = x->p->prog ? x->p->prog->first : NULL; s; s = s->next)
        if (s->kind == SG_STMT_DEF && s->index && s->expr && !strcmp(s->target.name, name) &&
            !s->range_var.name == !step)
            return s;
    return NULL;
}

/* the right side of a recurrence's statement as written (the definitions
   above it known), else the value */
static const char *quoted_stmt(X *x, known_names *k, const sg_stmt *s, const sg_expr *value)
{
    sg_quote_opts qo;
    sg_buf b;
    const char *t;
    int i;
    if (!s)
        return user_text(x, value);
    for (i = 0; i < x->p->ndefs && x->p->defs[i].span.begin < s->span.begin; i++)
        ;
    memset(&qo, 0, sizeof qo);
    qo.text = x->p->text;
    qo.known = quote_known;
    qo.arg = k;
    qo.breaks = 1;
    qo.alphabet = SG_FMT_LATEX;
    k->upto = i;
    sg_buf_init(&b);
    sg_quote(&b, s->expr, &qo);
    t = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return t;
}

static void problem_rewrites(X *x, sg_buf *b, const char *lhs, const sg_expr *value,
                             const unsigned char *pick, int from, int to, int written);
static int rewrites_in(X *x, const sg_expr *value, unsigned char *pick);

/* h_0 = …, h_t = f(h_{t-1}) for t = 1, …, T: a recurrence as the user wrote it */
static void problem_recurrence(X *x, known_names *k, sg_buf *b, int q)
{
    const sg_seq *sq = sg_seq_of(x->ctx, q);
    const char *parts[1];
    if (sq->init) {
        const char *first = at_tex(x, q, sg_index_plus(sq->lo, -1));
        parts[0] = quoted_stmt(x, k, seq_stmt(x, sq->name, 0), sq->init);
        if (strcmp(first, parts[0]) != 0)
            equation(b, first, "", parts, 1, "");
    }
    parts[0] = quoted_stmt(x, k, seq_stmt(x, sq->name, 1), sq->body);
    equation(b, step_tex(x, q, 0), "", parts, 1,
             sg_arena_printf(x->ar, "$%s$", range_text(x, sq->lo, sq->hi)));
    {
        /* its rewrites: those of no definition that its step's value holds */
        unsigned char *pick = sg_xmalloc((size_t)sg_nrewrites(x->ctx) + 1);
        if (rewrites_in(x, sq->body, pick) > 0)
            problem_rewrites(x, b, step_tex(x, q, 0), sq->body, pick, 0,
                             sg_nrewrites(x->ctx), 0);
        free(pick);
    }
}



/*
 * The rewrites the constructors made in a definition (rewrite i for each i
 * with pick[i]), as one visible step below it: the reasons, each with its
 * identities, then the form of the value that is evaluated (and, unless
 * written says the derivation differentiates the form the user wrote,
 * differentiated), under the definition's name lhs. Nothing when none was
 * made.
 */
static void problem_rewrites(X *x, sg_buf *b, const char *lhs, const sg_expr *value,
                             const unsigned char *pick, int from, int to, int written)
{
    static const char *const reason[] = {"for numerical stability",
                                         "so that $\\sigma$ is computed once",
                                         "to combine the softplus terms"};
    const sg_rewrite **seen;
    int i, j, n = 0, r, first = 1;
    const char *parts[1];
    if (!value || to <= from)
        return;
    seen = sg_xmalloc((size_t)(to - from) * sizeof *seen);
    n = sg_fmt_rewrites_shown(x->ctx, from, to, pick, seen);
    if (n == 0) {
        free(seen);
        return;
    }
    sg_buf_puts(b, "\\intertext{\\sloppy "); /* its identities are long unbreakable math */
    for (r = 0; r < 3; r++) {
        int m = 0;
        for (j = 0; j < n; j++)
            if (sg_fmt_rewrite_reason(seen[j]->kind) == r)
                m++;
        if (m == 0)
            continue;
        if (!first)
            sg_buf_puts(b, "; ");
        if (first) {
            /* the reason, capitalized: it starts the sentence */
            sg_buf_putc(b, (char)(reason[r][0] - 'a' + 'A'));
            sg_buf_puts(b, reason[r] + 1);
        } else {
            sg_buf_puts(b, reason[r]);
        }
        first = 0;
        sg_buf_puts(b, ", with ");
        for (j = 0, i = 0; j < n; j++) {
            if (sg_fmt_rewrite_reason(seen[j]->kind) != r)
                continue;
            if (i > 0)
                sg_buf_puts(b, i + 1 == m ? " and " : ", ");
            sg_buf_putc(b, '$');
            sg_fmt_rewrite(b, x->ctx, seen[j], SG_FMT_LATEX);
            sg_buf_putc(b, '$');
            i++;
        }
    }
    if (written) /* the derivation reads the form above */
        sg_buf_printf(b, ", $%s$ is evaluated as below. It is the same function: the "
                         "derivation differentiates $%s$ as written.}\n", lhs, lhs);
    else
        sg_buf_printf(b, ", $%s$ is evaluated as:}\n", lhs);
    free(seen);
    parts[0] = user_text(x, value);
    equation(b, lhs, "", parts, 1, "");
}

/* the rewrites made outside every definition (in recurrences) whose result
   is in value's DAG, marked in pick (nrw entries) */
static int rewrites_in(X *x, const sg_expr *value, unsigned char *pick)
{
    elist nodes = {NULL, 0, 0};
    sg_idmap in;
    int i, j, nrw = sg_nrewrites(x->ctx), n = 0;
    memset(pick, 0, (size_t)nrw + 1);
    if (!value || nrw == 0)
        return 0;
    dag_nodes(x, value, &nodes);
    sg_idmap_init(&in, x->ctx);
    for (i = 0; i < nodes.n; i++)
        sg_idmap_add(&in, nodes.v[i]);
    for (i = 0; i < nrw; i++)
        pick[i] = sg_idmap_find(&in, sg_rewrite_at(x->ctx, i)->out) != SG_IDMAP_NONE;
    for (j = 0; j < x->p->ndefs; j++)
        for (i = x->p->defs[j].rw_first; i < x->p->defs[j].rw_end; i++)
            pick[i] = 0;
    for (i = 0; i < nrw; i++)
        n += pick[i];
    sg_idmap_free(&in);
    free(nodes.v);
    return n;
}

static void doc_problem(X *x)
{
    sg_buf *b = x->out;
    const char **items;
    int i, n = 0, nres = 0;
    known_names known;
    known.x = x;
    known.upto = 0;
    sg_strmap_init(&known.defs);
    for (i = 0; i < x->p->ndefs; i++)
        if (x->p->defs[i].name && sg_strmap_get(&known.defs, x->p->defs[i].name) < 0)
            sg_strmap_put(&known.defs, x->p->defs[i].name, i);
    items = sg_arena_alloc(x->ar, (size_t)(x->nsyms0 + x->p->nresults + 1) * sizeof *items);
    sg_buf_puts(b, "\\subsection*{Problem}\n");
    for (i = 0; i < x->nsyms0; i++) {
        const sg_symbol *s = sg_sym(x->ctx, i);
        if (s->seq >= 0) {
            const sg_seq *q = sg_seq_of(x->ctx, s->seq);
            items[n++] = sg_arena_printf(
                x->ar, "$%s \\in %s$ for $t = %s, \\dots, %s$",
                step_tex(x, s->seq, 0), space_of(x, s),
                index_tex(x, q->lo), index_tex(x, q->hi));
        } else {
            items[n++] = sg_arena_printf(x->ar, "$%s \\in %s$", name_tex(x, s->name),
                                         space_of(x, s));
        }
    }
    if (n > 0) {
        sg_buf_puts(b, "Given ");
        and_list(b, items, n);
        sg_buf_puts(b, ", and\n");
    }
    sg_buf_puts(b, "\\begin{align*}\n");
    {
        size_t start = b->len;
        unsigned char *done = sg_xmalloc((size_t)sg_nseqs(x->ctx) + 1);
        memset(done, 0, (size_t)sg_nseqs(x->ctx) + 1);
        for (i = 0; i <= x->p->ndefs; i++) {
            const sg_def *d = i < x->p->ndefs ? &x->p->defs[i] : NULL;
            const char *parts[1];
            int q;
            for (q = 0; d && q < sg_nseqs(x->ctx); q++) { /* recurrences written before d */
                const sg_seq *sq = sg_seq_of(x->ctx, q);
                if (sq->kind == SG_SEQ_FORWARD && sq->body && !done[q] &&
                    sq->span.begin < d->span.begin && d->expr) {
                    done[q] = 1;
                    problem_recurrence(x, &known, b, q);
                }
            }
            if (d && d->expr && d->name) {
                parts[0] = quoted(x, &known, i);
                equation(b, name_tex(x, d->name), "", parts, 1, "");
                problem_rewrites(x, b, name_tex(x, d->name), d->expr, NULL, d->rw_first,
                                 d->rw_end, d->derived_as_written);
                continue;
            }
            /* a recurrence, where it was defined (the rest at the end) */
            for (q = 0; q < sg_nseqs(x->ctx); q++) {
                const sg_seq *sq = sg_seq_of(x->ctx, q);
                if (sq->kind != SG_SEQ_FORWARD || !sq->body || done[q] ||
                    (d && (!d->name || strcmp(d->name, sq->name))))
                    continue;
                done[q] = 1;
                problem_recurrence(x, &known, b, q);
            }
        }
        free(done);
        end_align(b, start);
    }
    sg_strmap_free(&known.defs);
    for (i = 0; i < x->p->nresults; i++) {
        const sg_result *r = &x->p->results[i];
        if (r->kind == SG_RES_VALUE)
            continue;
        x->inline_ = 1;
        items[nres++] = sg_arena_printf(x->ar, "$%s$", result_tex(x, r));
        x->inline_ = 0;
    }
    sg_buf_puts(b, "find ");
    and_list(b, items, nres);
    sg_buf_puts(b, ".\n\n");
}

/* ---- the forward pass --------------------------------------------------------- */

static int by_id(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
}

/* list[0..n) sorted by id, each node once: the new length */
static int sort_unique(const sg_expr **list, int n)
{
    int i, m = 0;
    if (n > 1)
        qsort(list, (size_t)n, sizeof *list, by_id);
    for (i = 0; i < n; i++)
        if (m == 0 || list[m - 1] != list[i])
            list[m++] = list[i];
    return m;
}


/* the stations of log g's function, kids first */
static int log_stations(X *x, const sg_log *g, const sg_expr ***out)
{
    const sg_expr **list = sg_arena_alloc(x->ar, (size_t)(2 * g->nsteps + 2) * sizeof *list);
    int n = 0, k, seed = has_seed(g);
    for (k = 0; k < g->nsteps; k++) {
        const sg_step *s = &g->steps[k];
        const sg_expr *v[2] = {NULL, NULL};
        int j;
        if (s->kind == SG_STEP_RULE) {
            v[0] = s->node;
            v[1] = s->node->kid[s->kid];
        } else if (s->kind == SG_STEP_SEQ_SUM) {
            v[0] = s->node->kid[0];
        } else if (s->kind == SG_STEP_SEQ_REC || s->kind == SG_STEP_SEED ||
                   (s->kind == SG_STEP_JACOBIAN && !seed)) {
            v[0] = s->node;
        }
        for (j = 0; j < 2; j++)
            if (v[j] && !is_leaf(v[j]) && ni(x, v[j])->kind == K_STATION)
                list[n++] = v[j];
    }
    n = sort_unique(list, n);
    *out = list;
    return n;
}

/* is c where a graph node's formula stops: a station or an input symbol */
static int graph_leaf(X *x, const sg_expr *c)
{
    return c->op == SG_OP_VAR || c->op == SG_OP_SEQSTEP || c->op == SG_OP_AT ||
           (c->id < x->nni && x->ni[c->id].kind == K_STATION);
}

/*
 * The stations and input symbols e's formula is written in, into in, each
 * once, in the order of the text. The walk keeps its own stack and marks
 * what it saw with stamp (seen[] is indexed by node id, stamp new for each
 * call), so a long sum costs no C stack and a shared subexpression is
 * walked once: the work is the DAG's, not the tree's.
 */
static void inputs_of(X *x, const sg_expr *e, elist *in, unsigned *seen, unsigned stamp)
{
    typedef struct {
        const sg_expr *e;
        int k;
    } frame;
    frame *st = NULL;
    int n = 0, cap = 0;
    in->n = 0;
    st = sg_xmalloc(8 * sizeof *st);
    cap = 8;
    st[n].e = e;
    st[n++].k = 0;
    while (n > 0) {
        frame *f = &st[n - 1];
        const sg_expr *c;
        if (f->k == f->e->nkids) {
            n--;
            continue;
        }
        c = f->e->kid[f->k++];
        if (seen[c->id] == stamp)
            continue;
        seen[c->id] = stamp;
        if (graph_leaf(x, c)) {
            elist_push(in, c);
            continue;
        }
        if (n == cap) {
            cap *= 2;
            st = sg_xrealloc(st, (size_t)cap * sizeof *st);
        }
        st[n].e = c;
        st[n++].k = 0;
    }
    free(st);
}

/* the nodes f reads, through the bodies and initial values of the
   recurrences it reads too, each once */
static void reached_from(X *x, const sg_expr *f, elist *out)
{
    sg_idmap seen;
    elist stack = {NULL, 0, 0};
    int k;
    sg_idmap_init(&seen, x->ctx);
    elist_push(&stack, f);
    while (stack.n > 0) {
        const sg_expr *t = stack.v[--stack.n];
        if (sg_idmap_find(&seen, t) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&seen, t);
        elist_push(out, t);
        for (k = 0; k < t->nkids; k++)
            elist_push(&stack, t->kid[k]);
        if ((t->op == SG_OP_AT || t->op == SG_OP_SEQSTEP) && t->seq >= 0) {
            const sg_seq *q = sg_seq_of(x->ctx, t->seq);
            if (q->body)
                elist_push(&stack, q->body);
            if (q->init)
                elist_push(&stack, q->init);
        }
    }
    free(stack.v);
    sg_idmap_free(&seen);
}

static void doc_forward(X *x, const sg_expr *f, const sg_expr **st, int nst)
{
    sg_buf *b = x->out;
    size_t start;
    int i, anyseq = 0;
    sg_buf_puts(b, "\\subsection*{Forward pass}\n");
    {   /* the user's other definitions that f reads, where they fall: of a
           problem with 10,000 functions, each derivation shows its own */
        elist reach = {NULL, 0, 0};
        const sg_expr **all;
        int *todo, ntodo = 0, n = 0, d;
        unsigned k;
        if (!x->ndefs_in) {
            sg_idmap_init(&x->defs, x->ctx);
            x->defix = sg_xmalloc(((size_t)x->p->ndefs + 1) * sizeof *x->defix);
            x->dstamp = sg_xmalloc(((size_t)x->p->ndefs + 1) * sizeof *x->dstamp);
            for (d = 0; d < x->p->ndefs; d++) {
                x->dstamp[d] = 0;
                if (x->p->defs[d].expr && sg_idmap_find(&x->defs, x->p->defs[d].expr) ==
                                              SG_IDMAP_NONE)
                    x->defix[sg_idmap_add(&x->defs, x->p->defs[d].expr)] = d;
            }
            x->ndefs_in = 1;
        }
        /* what f reads, and what the text of f's definition names, as written
           (L = −log p names p where the DAG reads softplus(−u)) */
        reached_from(x, f, &reach);
        todo = sg_xmalloc(((size_t)x->p->ndefs + 1) * sizeof *todo);
        x->dstampnow++;
        k = sg_idmap_find(&x->defs, f);
        if (k != SG_IDMAP_NONE) {
            x->dstamp[x->defix[k]] = x->dstampnow;
            todo[ntodo++] = x->defix[k];
        }
        for (i = 0; i < ntodo; i++)
            for (d = 0; d < x->p->defs[todo[i]].nuses; d++) {
                int u = x->p->defs[todo[i]].uses[d];
                if (x->dstamp[u] != x->dstampnow) {
                    x->dstamp[u] = x->dstampnow;
                    todo[ntodo++] = u;
                }
            }
        all = sg_arena_alloc(x->ar, (size_t)(nst + reach.n + ntodo + 1) * sizeof *all);
        for (i = 0; i < nst; i++)
            all[n++] = st[i];
        for (i = 0; i < reach.n; i++)
            if (sg_idmap_find(&x->defs, reach.v[i]) != SG_IDMAP_NONE)
                all[n++] = reach.v[i];
        for (i = 0; i < ntodo; i++)
            if (x->p->defs[todo[i]].expr)
                all[n++] = x->p->defs[todo[i]].expr;
        for (i = d = 0; i < n; i++) { /* the definitions among them the pass shows */
            const sg_expr *e = all[i];
            if (i < nst || (!is_leaf(e) && e->id < x->nni && x->ni[e->id].fwd && !sg_expr_varies(e)))
                all[d++] = e;
        }
        n = d;
        free(reach.v);
        free(todo);
        n = sort_unique(all, n);
        st = all;
        nst = n;
    }
    for (i = 0; i < nst; i++)
        anyseq |= sg_expr_varies(st[i]);
    if (anyseq)
        sg_buf_puts(b, "At each step $t$, with the intermediates named and their shapes at the "
                       "right:\n");
    else
        sg_buf_puts(b, "The intermediates, named, with their shapes at the right:\n");
    sg_buf_puts(b, "\\begin{align*}\n");
    start = b->len;
    for (i = 0; i < nst; i++) {
        const char *parts[1];
        const char *lhs = ni(x, st[i])->fwd;
        parts[0] = texb(x, st[i], M_FWD, 0);
        equation(b, lhs, "", parts, 1, sg_arena_printf(x->ar, "$[\\in %s]$",
                                                       shape_tex(x, st[i]->shape)));
    }
    end_align(b, start);
}

/* ---- the computation graph ------------------------------------------------------ */

/* a node of the drawn graph; its inputs are edges, numbered by slot */
typedef struct {
    const sg_expr *e;
    int nin, capin;
    int *in;      /* indices of its inputs among the graph's nodes, an edge each */
    int *no;      /* each edge's number, when it is a path's of a multi-path symbol */
    int mi;       /* its index among the multi-path symbols, or −1 */
} gnode;

/* the readers of each node, the graph read backwards: the edges (node j,
   slot k) out of node i are rj[at[i]..at[i+1]), rk[…] */
typedef struct {
    int *at, *rj, *rk;
} greaders;

/* the drawing's room: a default article's text width (345pt) and most of a
   page's height; a larger layout is drawn smaller, down to GRAPH_SCALE, and
   past that described in words, since its labels would be too small to read */
#define GRAPH_WIDTH 12.0
#define GRAPH_HEIGHT 18.0
#define GRAPH_SCALE 0.5
/* the paths listed for a symbol reached along several, and their most edges */
#define PATHS_LISTED 8
/* the symbols reached along several paths whose paths are listed */
#define MULTI_LISTED 20
#define PATH_EDGES 60

/* colors for the paths of the symbols reached along several */
static const char *const path_colors[] = {"blue!70!black", "red!70!black", "green!50!black",
                                          "orange!80!black", "violet"};
/* and, past five symbols, the same colors dashed, then dotted */
static const char *const path_dashes[] = {"", ", dashed", ", densely dotted"};
/* the same, in words */
static const char *const path_names[] = {"blue", "red", "green", "orange", "violet"};
static const char *const path_dash_words[] = {"", "dashed ", "dotted "};

static void gnode_add_input(gnode *g, int from)
{
    if (g->nin == g->capin) {
        g->capin = g->capin ? 2 * g->capin : 4;
        g->in = sg_xrealloc(g->in, (size_t)g->capin * sizeof *g->in);
        g->no = sg_xrealloc(g->no, (size_t)g->capin * sizeof *g->no);
    }
    g->no[g->nin] = 0;
    g->in[g->nin++] = from;
}

static void greaders_build(greaders *r, const gnode *gn, int ngn)
{
    int i, k, *fill;
    r->at = sg_xmalloc(((size_t)ngn + 1) * sizeof *r->at);
    memset(r->at, 0, ((size_t)ngn + 1) * sizeof *r->at);
    for (i = 0; i < ngn; i++)
        for (k = 0; k < gn[i].nin; k++)
            r->at[gn[i].in[k] + 1]++;
    for (i = 0; i < ngn; i++)
        r->at[i + 1] += r->at[i];
    r->rj = sg_xmalloc(((size_t)r->at[ngn] + 1) * sizeof *r->rj);
    r->rk = sg_xmalloc(((size_t)r->at[ngn] + 1) * sizeof *r->rk);
    fill = sg_xmalloc(((size_t)ngn + 1) * sizeof *fill);
    memcpy(fill, r->at, (size_t)ngn * sizeof *fill);
    for (i = 0; i < ngn; i++) /* by reader, then slot: the order of the old scan */
        for (k = 0; k < gn[i].nin; k++) {
            int at = fill[gn[i].in[k]]++;
            r->rj[at] = i;
            r->rk[at] = k;
        }
    free(fill);
}

static void greaders_free(greaders *r)
{
    free(r->at);
    free(r->rj);
    free(r->rk);
}

/* the paths from node i to the root (index root), as lists of edges
   (node, input slot) in pairs, up to cap; dist[] prunes what cannot reach
   the root within PATH_EDGES */
static int paths_from(const greaders *r, int i, int root, int *stack, int depth, int **paths,
                      int *lens, int cap, int np, const int *dist)
{
    int a;
    if (np >= cap) /* enough to list: count_paths() counts them */
        return np;
    if (i == root) {
        paths[np] = sg_xmalloc((size_t)(2 * depth + 1) * sizeof **paths);
        memcpy(paths[np], stack, (size_t)(2 * depth) * sizeof *stack);
        lens[np] = depth;
        return np + 1;
    }
    if (depth >= PATH_EDGES)
        return np;
    for (a = r->at[i]; a < r->at[i + 1]; a++) {
        int j = r->rj[a];
        /* only toward the root: every step taken is on a path that reaches
           it within PATH_EDGES, so the walk ends after cap paths */
        if (dist[j] < PATH_EDGES && depth + 1 + dist[j] <= PATH_EDGES) {
            stack[2 * depth] = j;
            stack[2 * depth + 1] = r->rk[a];
            np = paths_from(r, j, root, stack, depth + 1, paths, lens, cap, np, dist);
        }
    }
    return np;
}

/* the number of paths from node i to the root (there can be 2^n of them),
   and in dist[i] the length of the shortest (ngn + 1: none); the graph is
   one level per station, so the recursion is as deep as the longest chain
   of stations */
static double count_paths(const greaders *r, int ngn, int i, int root, double *memo, int *dist)
{
    int a;
    double n = 0;
    if (i == root) {
        dist[i] = 0;
        return 1;
    }
    if (memo[i] >= 0)
        return memo[i];
    memo[i] = 0; /* no cycles, but never loop */
    dist[i] = ngn + 1;
    for (a = r->at[i]; a < r->at[i + 1]; a++) {
        int j = r->rj[a];
        n += count_paths(r, ngn, j, root, memo, dist);
        if (dist[j] + 1 < dist[i])
            dist[i] = dist[j] + 1;
    }
    memo[i] = n;
    return n;
}
/* a count of paths in words: "two", "1024", "about 3.3 \times 10^{150}" */
static const char *paths_word(X *x, double n)
{
    int e = 0;
    if (n < 1e9)
        return count_word(x, (int)n);
    if (!(n < 1e300)) /* or infinite */
        return "more than $10^{300}$";
    while (n >= 10) {
        n /= 10;
        e++;
    }
    return sg_arena_printf(x->ar, "about $%.1f\\times 10^{%d}$", n, e);
}

/* the name of a graph node */
static const char *gname(X *x, const sg_expr *e)
{
    const info *n = e->id < x->nni ? &x->ni[e->id] : NULL;
    if (n && n->fwd)
        return n->fwd;
    return texs(x, e, M_FWD, 0);
}

/* is e differentiated with respect to? */
static int is_wrt(X *x, const sg_expr *e)
{
    int t;
    if (e->op != SG_OP_VAR)
        return 0;
    if (!x->wrtsym) { /* once: a flag per symbol, not a scan per node */
        int n = sg_nsyms(x->ctx), k;
        x->wrtsym = sg_xmalloc((size_t)n + 1);
        memset(x->wrtsym, 0, (size_t)n + 1);
        for (t = 0; t < x->p->nresults; t++) {
            const sg_result *r = &x->p->results[t];
            if (r->wrt && (k = sg_sym_find(x->ctx, r->wrt)) >= 0 && k < n)
                x->wrtsym[k] = 1;
            if (r->wrt2 && (k = sg_sym_find(x->ctx, r->wrt2)) >= 0 && k < n)
                x->wrtsym[k] = 1;
        }
    }
    return e->sym >= 0 && e->sym < sg_nsyms(x->ctx) && x->wrtsym[e->sym];
}

/*
 * The width of a node's TeX text at 11pt, in cm, a little generous: the
 * layout reserves it, and the node is drawn at least this big. A glyph is
 * counted 0.2 cm (a capital 0.25), a sub- or superscript 0.7 of that; a
 * command is a glyph (\lambda) unless it only styles what follows.
 */
static double tex_width(const char *s, double *height)
{
    static const char *const styling[] = {"operatorname", "mathrm", "mathit", "mathbf",
                                          "boldsymbol", "mathcal", "mathsf", "mathtt", "text",
                                          "bar", "hat", "tilde", "vec", "mathbb", "left",
                                          "right", "top"};
    double w = 0, scale = 1;
    int depth = 0, scdepth = -1, pending = 0;
    *height = 0.4;
    while (*s) {
        double glyph = 0;
        if (*s == '\\') {
            size_t n = 0, q;
            int style = 0;
            s++;
            while (s[n] >= 'a' && s[n] <= 'z') /* (and A-Z) */
                n++;
            while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))
                n++;
            for (q = 0; q < sizeof styling / sizeof *styling; q++)
                style |= strlen(styling[q]) == n && !strncmp(s, styling[q], n);
            glyph = style ? 0 : n ? 0.22 : 0.1;
            if (!strncmp(s, "top", 3) && n == 3)
                glyph = 0.2;
            s += n ? n : 1;
        } else if (*s == '_' || *s == '^') {
            pending = 1;
            *height = 0.55;
            s++;
            continue;
        } else if (*s == '{') {
            depth++;
            if (pending) {
                scdepth = depth;
                scale = 0.7;
                pending = 0;
            }
            s++;
            continue;
        } else if (*s == '}') {
            if (depth == scdepth) {
                scdepth = -1;
                scale = 1;
            }
            depth--;
            s++;
            continue;
        } else if (*s == ' ') {
            s++;
            continue;
        } else {
            glyph = (*s >= 'A' && *s <= 'Z') ? 0.25 : 0.2;
            if ((unsigned char)*s >= 0x80) /* a UTF-8 sequence, one glyph */
                while ((unsigned char)s[1] >= 0x80 && ((unsigned char)s[1] & 0xC0) == 0x80)
                    s++;
            s++;
        }
        w += glyph * (pending ? 0.7 : scale);
        pending = 0;
    }
    return w;
}

/* the TikZ style of a graph node */
static const char *gstyle(X *x, const sg_expr *e, const sg_expr *root, int station)
{
    return e == root ? "result" : station ? "value" : is_wrt(x, e) ? "input" : "data";
}

/* a value whose name is wider than this is drawn as a pill, not a circle
   that would dwarf its neighbours */
#define PILL_TEXT 0.6

/* the box a node is drawn in, as TikZ makes it from the styles below;
   returns whether a value is a pill */
static int gbox(const char *style, const char *tex, double *w, double *h)
{
    double th, tw = tex_width(tex, &th);
    if ((style[0] == 'v' || style[0] == 'r') && tw > PILL_TEXT) {
        *w = tw + 0.35;
        *h = 0.75;
        if (style[0] == 'r') { /* double and thick */
            *w += 0.12;
            *h += 0.12;
        }
        return 1;
    }
    if (style[0] == 'v' || style[0] == 'r') { /* a circle round the text */
        double d = sqrt(tw * tw + th * th) + 0.08;
        if (d < 0.75)
            d = 0.75;
        if (style[0] == 'r')
            d += 0.12;
        *w = *h = d;
    } else {
        *w = tw + 0.16 < 0.65 ? 0.65 : tw + 0.16;
        *h = th + 0.16 < 0.65 ? 0.65 : th + 0.16;
    }
    return 0;
}

/* the inputs first in the order they are declared (a layer's order starts
   from it), then by first use */
static int by_decl(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    long ka = a->op == SG_OP_VAR ? (long)a->sym : 1000000000L + (long)a->id;
    long kb = b->op == SG_OP_VAR ? (long)b->sym : 1000000000L + (long)b->id;
    if (ka != kb)
        return (ka > kb) - (ka < kb);
    return (a->id > b->id) - (a->id < b->id);
}

/* an edge's route as a TikZ path: straight in the columns, S-curves with
   horizontal ends across the gaps */
static void print_route(sg_buf *b, const sg_gedge *ed, const sg_gnode *a, int from, int to)
{
    int i = 1;
    if (ed->lw > 0 && fabs(ed->py[1] - a->y) <= 0.4 * a->h) {
        /* a numbered edge leaves the box's side at its label's height,
           horizontally (the layout's first piece, from the center, is
           inside the box) */
        sg_buf_printf(b, "(n%d.east |- 0,%.2f) -- (%.2f,%.2f)", from, ed->py[1], ed->px[1],
                      ed->py[1]);
        i = 2;
    } else {
        sg_buf_printf(b, "(n%d)", from);
    }
    for (; i < ed->npts; i++) {
        if (ed->curve[i]) {
            double xm = (ed->px[i - 1] + ed->px[i]) / 2;
            sg_buf_printf(b, " .. controls (%.2f,%.2f) and (%.2f,%.2f) ..", xm, ed->py[i - 1],
                          xm, ed->py[i]);
        } else {
            sg_buf_puts(b, " --");
        }
        if (i == ed->npts - 1)
            sg_buf_printf(b, " (n%d)", to);
        else
            sg_buf_printf(b, " (%.2f,%.2f)", ed->px[i], ed->py[i]);
    }
}

/* a contribution to kid that came through station st, by node ids */
typedef struct {
    unsigned kid, st;
} idpair;

static int by_pair(const void *pa, const void *pb)
{
    const idpair *a = pa, *b = pb;
    if (a->kid != b->kid)
        return a->kid < b->kid ? -1 : 1;
    return a->st < b->st ? -1 : a->st > b->st;
}

/* how many of pairs[0..n) (sorted) are (kid, st): two binary searches, so
   a symbol read by 10,000 stations costs 10,000 log steps, not 10,000² */
static int pair_count(const idpair *pairs, int n, unsigned kid, unsigned st)
{
    idpair key;
    int lo = 0, hi = n, first;
    key.kid = kid;
    key.st = st;
    while (lo < hi) { /* the first not below key */
        int mid = lo + (hi - lo) / 2;
        if (by_pair(&pairs[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    first = lo;
    hi = n;
    while (lo < hi) { /* the first above key */
        int mid = lo + (hi - lo) / 2;
        if (by_pair(&pairs[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - first;
}

/*
 * The computation graph of a log's function, drawn left to right by the
 * layered layout of graph.h: inputs as boxes (grey: data, not
 * differentiated), each one column left of its first use; named
 * intermediates as circles, each one column right of its latest input; the
 * differentiated quantity doubled. An input entering a formula twice (X in
 * XXᵀ) has two edges. Each path from a symbol reached along several (multi)
 * to the root is drawn in the symbol's color along its whole length, its
 * first edges numbered, and the paths are listed. Everything here grows
 * with the graph; only the drawing has a limit, the page, past which the
 * text says what it would show.
 */
static void doc_graph(X *x, seg *sg, const sg_expr **st, int nst, const sg_expr *root,
                      const sg_expr *const *multi, int nmulti)
{
    sg_buf *b = x->out;
    gnode *gn;
    greaders rd;
    elist in = {NULL, 0, 0};
    int ngn = 0, capgn = nst + 8, i, j, k, m, iroot = -1, nedges = 0, drawn = 0, rc, nreach;
    int *gidx, *lix;
    unsigned *seen, nseen = sg_expr_count(x->ctx) + 1, stamp = 0;
    const sg_expr **thr = NULL;
    idpair *pairs = NULL;
    int npairs = 0;
    sg_graph g;
    int *eno;             /* each layout edge: its node, its slot */
    unsigned char *reach; /* [m * ngn + i]: multi[m] reaches node i */
    unsigned char *toroot;
    double scale = 1;
    int pills = 0; /* values drawn as pills */

    gn = sg_xmalloc((size_t)capgn * sizeof *gn);
    seen = sg_xmalloc((size_t)nseen * sizeof *seen);
    memset(seen, 0, (size_t)nseen * sizeof *seen);
    gidx = sg_xmalloc((size_t)nseen * sizeof *gidx); /* node id → graph index + 1 */
    memset(gidx, 0, (size_t)nseen * sizeof *gidx);
    if (sg) { /* the station each contribution came through, once, as
                 (kid, station) pairs sorted for counting */
        thr = sg_xmalloc(((size_t)sg->ne + 1) * sizeof *thr);
        pairs = sg_xmalloc(((size_t)sg->ne + 1) * sizeof *pairs);
        for (i = 0; i < sg->ne; i++) {
            thr[i] = through(sg, sg->e[i].node);
            if (thr[i]) {
                pairs[npairs].kid = sg->e[i].to->id;
                pairs[npairs].st = thr[i]->id;
                npairs++;
            }
        }
        qsort(pairs, (size_t)npairs, sizeof *pairs, by_pair);
    }
    /* nodes: the stations, then the inputs they read */
    for (i = 0; i < nst; i++) {
        memset(&gn[ngn], 0, sizeof gn[ngn]);
        gn[ngn].e = st[i];
        if (st[i]->id < nseen)
            gidx[st[i]->id] = ngn + 1;
        ngn++;
    }
    for (i = 0; i < nst; i++) {
        inputs_of(x, st[i], &in, seen, ++stamp);
        for (k = 0; k < in.n; k++) {
            const sg_expr *c = in.v[k];
            int mult = 0, t;
            if (sg) /* how many of the backward pass's contributions to c came through st[i] */
                mult = pair_count(pairs, npairs, c->id, st[i]->id);
            if (mult == 0)
                mult = 1;
            j = c->id < nseen ? gidx[c->id] - 1 : -1;
            if (j < 0) {
                if (ngn == capgn) {
                    capgn *= 2;
                    gn = sg_xrealloc(gn, (size_t)capgn * sizeof *gn);
                }
                memset(&gn[ngn], 0, sizeof gn[ngn]);
                gn[ngn].e = c;
                j = ngn++;
                if (c->id < nseen)
                    gidx[c->id] = j + 1;
            }
            for (t = 0; t < mult; t++)
                gnode_add_input(&gn[i], j);
        }
    }
    free(in.v);
    free(thr);
    free(pairs);
    free(seen);
    free(gidx);
    greaders_build(&rd, gn, ngn);
    for (i = 0; i < ngn; i++) {
        nedges += gn[i].nin;
        if (gn[i].e == root)
            iroot = i;
    }
    {   /* the edges of each multi-path symbol, numbered: one pass over the
           edges, with the symbol's node marked by its index in multi */
        int *mof = sg_xmalloc(((size_t)(ngn > nmulti ? ngn : nmulti) + 1) * sizeof *mof);
        int *no = sg_xmalloc(((size_t)nmulti + 1) * sizeof *no);
        sg_idmap mix;
        sg_idmap_init(&mix, x->ctx);
        for (m = 0; m < nmulti; m++) {
            no[m] = 0;
            if (sg_idmap_find(&mix, multi[m]) == SG_IDMAP_NONE)
                mof[sg_idmap_add(&mix, multi[m])] = m; /* numbered in the order added */
        }
        for (i = 0; i < ngn; i++) { /* mof: now by graph node */
            unsigned u = sg_idmap_find(&mix, gn[i].e);
            gn[i].mi = u == SG_IDMAP_NONE ? -1 : mof[u];
        }
        sg_idmap_free(&mix);
        for (i = 0; i < ngn; i++)
            mof[i] = gn[i].mi;
        for (i = 0; i < nst; i++)
            for (k = 0; k < gn[i].nin; k++)
                if (mof[gn[i].in[k]] >= 0)
                    gn[i].no[k] = ++no[mof[gn[i].in[k]]];
        free(mof);
        free(no);
    }
    /* the layout: the stations, then the inputs by declaration */
    memset(&g, 0, sizeof g);
    g.n = ngn;
    g.ne = nedges;
    g.node = sg_xmalloc(((size_t)ngn + 1) * sizeof *g.node);
    g.edge = sg_xmalloc(((size_t)nedges + 1) * sizeof *g.edge);
    eno = sg_xmalloc(2 * ((size_t)nedges + 1) * sizeof *eno);
    lix = sg_xmalloc(((size_t)ngn + 1) * sizeof *lix);
    {   /* the inputs sorted (their nodes are distinct), then each one's place */
        const sg_expr **ins = sg_xmalloc(((size_t)(ngn - nst) + 1) * sizeof *ins);
        for (i = nst; i < ngn; i++)
            ins[i - nst] = gn[i].e;
        if (ngn - nst > 1)
            qsort(ins, (size_t)(ngn - nst), sizeof *ins, by_decl);
        for (i = 0; i < nst; i++)
            lix[i] = i;
        for (i = nst; i < ngn; i++) {
            const sg_expr *const *at = bsearch(&gn[i].e, ins, (size_t)(ngn - nst), sizeof *ins,
                                               by_decl);
            lix[i] = nst + (int)(at - ins);
        }
        free(ins);
    }
    for (i = 0; i < ngn; i++) {
        sg_gnode *nd = &g.node[lix[i]];
        memset(nd, 0, sizeof *nd);
        gbox(gstyle(x, gn[i].e, root, i < nst), gname(x, gn[i].e), &nd->w, &nd->h);
    }
    j = 0;
    for (i = 0; i < nst; i++)
        for (k = 0; k < gn[i].nin; k++, j++) {
            sg_gedge *ed = &g.edge[j];
            memset(ed, 0, sizeof *ed);
            ed->from = lix[gn[i].in[k]];
            ed->to = lix[i];
            eno[2 * j] = i;
            eno[2 * j + 1] = k;
            if (gn[i].no[k] > 0) { /* the number, \scriptsize, as wide as the largest */
                int most = rd.at[gn[i].in[k] + 1] - rd.at[gn[i].in[k]];
                ed->lw = 0.1 + 0.15 * (most >= 10 ? 2 + (most >= 100) : 1);
                ed->lh = 0.3;
            }
        }
    {   /* a box with numbered edges is as tall as their labels stacked, so
           that they leave its side horizontally */
        int *nout = sg_xmalloc(((size_t)ngn + 1) * sizeof *nout);
        char *lab = sg_xmalloc((size_t)ngn + 1);
        memset(nout, 0, ((size_t)ngn + 1) * sizeof *nout);
        memset(lab, 0, (size_t)ngn + 1);
        for (j = 0; j < nedges; j++) {
            nout[g.edge[j].from]++;
            lab[g.edge[j].from] |= g.edge[j].lw > 0;
        }
        for (i = nst; i < ngn; i++) {
            sg_gnode *nd = &g.node[lix[i]];
            double need = (nout[lix[i]] - 1) * (0.3 + 0.06) + 0.3 + 0.1;
            if (lab[lix[i]] && need > nd->h)
                nd->h = need;
        }
        free(nout);
        free(lab);
    }
    rc = sg_graph_layout(&g, GRAPH_WIDTH / GRAPH_SCALE, GRAPH_HEIGHT / GRAPH_SCALE);
    if (rc == SG_GRAPH_OK) { /* each symbol's numbers top to bottom, as drawn */
        for (m = 0; m < nmulti; m++) {
            int no = 0;
            for (;;) {
                int best = -1;
                for (j = 0; j < nedges; j++) {
                    const sg_gedge *ed = &g.edge[j];
                    int to = eno[2 * j], slot = eno[2 * j + 1];
                    if (gn[gn[to].in[slot]].e != multi[m] || gn[to].no[slot] < 0)
                        continue;
                    if (best < 0 || ed->ly > g.edge[best].ly)
                        best = j;
                }
                if (best < 0)
                    break;
                gn[eno[2 * best]].no[eno[2 * best + 1]] = -++no; /* taken */
            }
        }
        for (i = 0; i < nst; i++)
            for (k = 0; k < gn[i].nin; k++)
                if (gn[i].no[k] < 0)
                    gn[i].no[k] = -gn[i].no[k];
        double sw = GRAPH_WIDTH / (g.x1 - g.x0), sh = GRAPH_HEIGHT / (g.y1 - g.y0);
        scale = sw < sh ? sw : sh;
        if (scale > 1)
            scale = 1;
        drawn = scale >= GRAPH_SCALE;
    }
    /* which edges lie on a path from a multi-path symbol to the root: from a
       node multi[m] reaches, into one that reaches the root */
    /* which nodes each multi-path symbol reaches, for its colour: only for
       a graph that is drawn, which the page keeps small (nmulti × ngn is
       quadratic in a problem of 10,000 symbols that is described in words) */
    nreach = drawn ? nmulti : 0;
    reach = sg_xmalloc((size_t)nreach * (size_t)ngn + 1);
    memset(reach, 0, (size_t)nreach * (size_t)ngn + 1);
    toroot = sg_xmalloc((size_t)ngn + 1);
    memset(toroot, 0, (size_t)ngn + 1);
    if (iroot >= 0) {
        toroot[iroot] = 1;
        for (i = nst - 1; i >= 0; i--) /* stations come kids first: readers later */
            for (k = 0; k < gn[i].nin && toroot[i]; k++)
                toroot[gn[i].in[k]] = 1;
    }
    for (m = 0; m < nreach; m++) {
        unsigned char *r = reach + (size_t)m * (size_t)ngn;
        for (i = 0; i < ngn; i++)
            r[i] = gn[i].e == multi[m];
        for (i = 0; i < nst; i++)
            for (k = 0; k < gn[i].nin; k++)
                if (r[gn[i].in[k]])
                    r[i] = 1;
    }
    if (!drawn) {
        double w = g.x1 - g.x0, h = g.y1 - g.y0;
        sg_buf_printf(b, "The graph has %d nodes and %d edges in %d layers: laid out, it needs "
                         "%s%.0f\\,cm by %.0f\\,cm, more than twice the %.0f\\,cm by "
                         "%.0f\\,cm a page gives it, so it is not drawn.\n",
                      ngn, nedges, g.nlayers, rc == SG_GRAPH_TOO_BIG ? "at least " : "", w, h,
                      GRAPH_WIDTH, GRAPH_HEIGHT);
    } else {
        sg_buf_puts(b, "\\begin{center}\n");
        sg_buf_printf(b, "\\begin{tikzpicture}[x=1cm, y=1cm, >=stealth, rounded corners=2pt,");
        if (scale < 1)
            sg_buf_printf(b, " scale=%.3f, every node/.append style={transform shape},", scale);
        sg_buf_puts(b, "\n"
                       "  input/.style={draw, rectangle, rounded corners=2pt, inner sep=2pt},\n"
                       "  data/.style={input, draw=black!40, text=black!60},\n"
                       "  value/.style={draw, circle, inner sep=1pt},\n"
                       "  result/.style={value, double, thick},\n"
                       "  pill/.style={rectangle, rounded corners=3.75mm},\n"
                       "  num/.style={fill=white, inner sep=1pt, font=\\scriptsize}]\n");
        for (i = 0; i < ngn; i++) {
            const sg_gnode *nd = &g.node[lix[i]];
            const char *style = gstyle(x, gn[i].e, root, i < nst);
            double bw, bh; /* (the layout's box is nd's; this says its shape) */
            int pill = gbox(style, gname(x, gn[i].e), &bw, &bh);
            pills |= pill;
            if (pill)
                sg_buf_printf(b, "  \\node[%s, pill, minimum width=%.2fcm, minimum height=%.2fcm]",
                              style, style[0] == 'r' ? nd->w - 0.12 : nd->w, 0.75);
            else if (style[0] == 'v' || style[0] == 'r')
                sg_buf_printf(b, "  \\node[%s, minimum size=%.2fcm]", style,
                              style[0] == 'r' ? nd->w - 0.12 : nd->w);
            else
                sg_buf_printf(b, "  \\node[%s, minimum width=%.2fcm, minimum height=%.2fcm]", style,
                              nd->w, nd->h);
            sg_buf_printf(b, " (n%d) at (%.2f,%.2f) {$%s$};\n", i, nd->x, nd->y, gname(x, gn[i].e));
        }
        for (j = 0; j < nedges; j++) {
            const sg_gedge *ed = &g.edge[j];
            int to = eno[2 * j], slot = eno[2 * j + 1], from = gn[to].in[slot], ns = 0, s;
            for (m = 0; m < nmulti; m++)
                ns += reach[(size_t)m * (size_t)ngn + from] && toroot[to];
            if (ns == 0) {
                sg_buf_puts(b, "  \\draw[->] ");
                print_route(b, ed, &g.node[lix[from]], from, to);
                sg_buf_puts(b, ";\n");
                continue;
            }
            /* on the paths of ns symbols: a stroke each, side by side */
            s = 0;
            for (m = 0; m < nmulti; m++) {
                if (!(reach[(size_t)m * (size_t)ngn + from] && toroot[to]))
                    continue;
                sg_buf_printf(b, "  \\draw[->, thick, %s%s", path_colors[m % 5],
                              path_dashes[(m / 5) % 3]);
                if (ns > 1)
                    sg_buf_printf(b, ", transform canvas={yshift=%.1fpt}",
                                  1.6 * ((ns - 1) / 2.0 - s));
                sg_buf_puts(b, "] ");
                print_route(b, ed, &g.node[lix[from]], from, to);
                sg_buf_puts(b, ";\n");
                s++;
            }
        }
        for (j = 0; j < nedges; j++) { /* the numbers, above the strokes */
            const sg_gedge *ed = &g.edge[j];
            int to = eno[2 * j], slot = eno[2 * j + 1], from = gn[to].in[slot];
            if (gn[to].no[slot] <= 0)
                continue;
            m = gn[from].mi >= 0 ? gn[from].mi : 0;
            sg_buf_printf(b, "  \\node[num, text=%s] at (%.2f,%.2f) {%d};\n",
                          path_colors[m % 5], ed->lx, ed->ly, gn[to].no[slot]);
        }
        sg_buf_puts(b, "\\end{tikzpicture}\n\\end{center}\n");
    }
    sg_graph_free(&g);
    free(g.node);
    free(g.edge);
    free(eno);
    free(lix);
    free(reach);
    free(toroot);
    /* the paths of the symbols reached along several: of the first
       MULTI_LISTED, each a walk of the graph */
    for (m = 0; m < nmulti && m < MULTI_LISTED && iroot >= 0; m++) {
        int *paths[PATHS_LISTED], lens[PATHS_LISTED], stack[2 * PATH_EDGES], np, p, from;
        double *memo, count;
        int *dist;
        for (from = 0; from < ngn && gn[from].e != multi[m]; from++)
            ;
        if (from == ngn)
            continue;
        memo = sg_xmalloc((size_t)ngn * sizeof *memo);
        dist = sg_xmalloc((size_t)ngn * sizeof *dist);
        for (p = 0; p < ngn; p++) {
            memo[p] = -1;
            dist[p] = ngn + 1;
        }
        count = count_paths(&rd, ngn, from, iroot, memo, dist);
        np = paths_from(&rd, from, iroot, stack, 0, paths, lens, PATHS_LISTED, 0, dist);
        for (p = 1; p < np; p++) { /* by the number of their first edge, stably */
            int q = p, *pp = paths[p], pl = lens[p];
            int key = gn[pp[0]].no[pp[1]];
            while (q > 0 && gn[paths[q - 1][0]].no[paths[q - 1][1]] > key) {
                paths[q] = paths[q - 1];
                lens[q] = lens[q - 1];
                q--;
            }
            paths[q] = pp;
            lens[q] = pl;
        }
        free(memo);
        free(dist);
        if (count < np)
            count = np;
        sg_buf_printf(b, "$%s$ has %s %s to $%s$", gname(x, multi[m]), paths_word(x, count),
                      count == 1 ? "path" : "paths", gname(x, root));
        if (drawn)
            sg_buf_printf(b, ", drawn in %s%s", path_dash_words[(m / 5) % 3], path_names[m % 5]);
        sg_buf_puts(b, np > 0 ? ": " : "");
        for (p = 0; p < np; p++) {
            int q;
            if (p > 0)
                sg_buf_puts(b, p + 1 == np || p == PATHS_LISTED - 1 ? " and " : ", ");
            sg_buf_printf(b, "$%s", gname(x, multi[m]));
            for (q = 0; q < lens[p]; q++) {
                int node = paths[p][2 * q], slot = paths[p][2 * q + 1];
                if (q == 0)
                    sg_buf_printf(b, " \\xrightarrow{%d} %s", gn[node].no[slot],
                                  gname(x, gn[node].e));
                else
                    sg_buf_printf(b, " \\to %s", gname(x, gn[node].e));
            }
            sg_buf_puts(b, "$");
            free(paths[p]);
        }
        sg_buf_puts(b, count > np && np > 0 ? ", \\dots.\n" : ".\n");
    }
    if (nmulti > MULTI_LISTED && iroot >= 0)
        sg_buf_printf(b, "The paths of the other %d symbols reached along several are not "
                         "listed.\n",
                      nmulti - MULTI_LISTED);
    if (drawn)
        sg_buf_printf(b, "Boxes are inputs (grey: data, not differentiated), %s the named "
                         "intermediates.\n\n",
                      pills ? "circles and pills" : "circles");
    else
        sg_buf_puts(b, "\n");
    greaders_free(&rd);
    for (i = 0; i < ngn; i++) {
        free(gn[i].in);
        free(gn[i].no);
    }
    free(gn);
}

/* the seeds' content (at the end of the file) */
static const char *cookbook_of(int r);
static const char *rule_tag(X *x, const char *cookbook, const char *label);
static void doc_references(X *x);
static void seed_derivations(X *x, const seg *s, int mark);
static void symmetry_notes(X *x, const seg *s);
static void centred_notes(X *x, const seg *s);
static void softmax_derivation(X *x, const sg_expr *e, const char *tag, int reverse);
static void doc_vanishing(X *x, const sg_log *g, int q);
static void doc_updates(X *x);

/* ---- rules used ----------------------------------------------------------------- */

/* the rules cited since mark, listed (the list comes before the lines) */
static void doc_rules(X *x, int mark)
{
    sg_buf *b = x->out;
    size_t start;
    int i;
    if (x->ncited <= mark)
        return;
    if (mark == 0)
        sg_buf_printf(b, "The local rules used, with $\\bar Y = \\partial %s/\\partial Y$ the "
                         "gradient with respect to an intermediate $Y$ (shaped like $Y$):\n",
                      x->fname);
    else
        sg_buf_puts(b, "Further rules used here:\n");
    sg_buf_puts(b, "\\begin{align*}\n");
    start = b->len;
    for (i = mark; i < x->ncited; i++) {
        int r = x->cited[i];
        sg_buf_printf(b, "  &%s \\tag*{%s}\\\\\n", rule_tex(x, r),
                      rule_tag(x, cookbook_of(r), sg_arena_printf(x->ar, "(R%d)", i + 1)));
    }
    end_align(b, start); /* not its first rule alone at a page foot */
}

/* ---- a gradient ------------------------------------------------------------------ */

/* the VAR node of the symbol called name */
static const sg_expr *var_named(X *x, const char *name)
{
    int s = name ? sg_sym_find(x->ctx, name) : -1;
    return s >= 0 ? sg_deriv_var(x->dv, s) : NULL;
}

static int first_jacobian(const sg_log *g)
{
    int k;
    for (k = 0; k < g->nsteps && g->steps[k].kind != SG_STEP_JACOBIAN; k++)
        ;
    return k;
}

/* occurrences of the candidates (numbered by m) in the tree of e below
   its root (a box is never just a name), each counted where it is met and
   not looked inside; at most *left nodes */
static void count_in(const sg_expr *e, int root, const sg_idmap *m, int *count, long *left)
{
    unsigned i;
    int k;
    if (--*left < 0)
        return;
    if (!root && (i = sg_idmap_find(m, e)) != SG_IDMAP_NONE) {
        count[i]++;
        return;
    }
    for (k = 0; k < e->nkids; k++)
        count_in(e->kid[k], 0, m, count, left);
}

/*
 * Boxes in closed form repeat a long value wherever a result reads it:
 * attention's ∂L/∂S = A ⊙ (Vᵀr − 𝟙𝟙ᵀ(A ⊙ Vᵀr)) comes twice in ∇_X L and
 * once in each of ∇_{W_q} L and ∇_{W_k} L. The display form of a line's
 * adjoint that is long and occurs twice or more in the boxes of a function
 * is written in them as its line's name, ∂L/∂S, which the lines define; a
 * layer's δ_k wherever it occurs and is not short, as courses write
 * ∇_{W₁} L = δ₁xᵀ (softmax(z₂) − y stays written out).
 * Returns the nodes so named (to unname after the boxes), their count in *n.
 */
static unsigned *box_names(X *x, const sg_result *const *res, int nres, int *n)
{
    sg_idmap m;
    const sg_expr **cand = sg_xmalloc(((size_t)x->nlined + 1) * sizeof *cand);
    const char **name = sg_xmalloc(((size_t)x->nlined + 1) * sizeof *name);
    unsigned char *layer = sg_xmalloc((size_t)x->nlined + 1);
    int *count, i;
    unsigned *named;
    long left = 200000;
    sg_idmap_init(&m, x->ctx);
    for (i = 0; i < x->nlined; i++) {
        const info *a = &x->ni[x->lined[i]];
        const sg_expr *d;
        unsigned slot, n0 = m.n;
        if (!a->lph || !a->node || a->lph->id >= x->nni || !x->ni[a->lph->id].ph)
            continue;
        d = simple(x, a->node);
        if (is_leaf(d) || shown_ops(x, d, 8, 1) < (x->ni[a->lph->id].delta ? 4 : 6))
            continue;
        slot = sg_idmap_add(&m, d);
        if (slot == n0) {
            cand[slot] = d;
            name[slot] = x->ni[a->lph->id].ph;
            layer[slot] = x->ni[a->lph->id].delta != NULL;
        }
    }
    count = sg_xmalloc(((size_t)m.n + 1) * sizeof *count);
    memset(count, 0, ((size_t)m.n + 1) * sizeof *count);
    for (i = 0; i < nres && m.n > 0; i++)
        if (res[i]->display)
            count_in(simple(x, res[i]->display), 1, &m, count, &left);
    named = sg_xmalloc(((size_t)m.n + 1) * sizeof *named);
    *n = 0;
    for (i = 0; i < (int)m.n; i++)
        if (count[i] >= (layer[i] ? 1 : 2) && left >= 0) {
            ni(x, cand[i])->boxname = name[i];
            named[(*n)++] = cand[i]->id;
        }
    sg_idmap_free(&m);
    free((void *)cand);
    free((void *)name);
    free(layer);
    free(count);
    return named;
}

/* the Total section: each result reached, its paths summed, boxed */
static void doc_total(X *x, const sg_result *const *res, int nres, const sums *sm,
                      const sg_expr *root)
{
    sg_buf *b = x->out;
    const char **single = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *single);
    const char *of = gname(x, root);
    int i, multi = 0, nsingle = 0, nnamed;
    unsigned *named = box_names(x, res, nres, &nnamed);
    for (i = 0; i < nres; i++)
        multi |= sm[i].n > 1;
    sg_buf_printf(b, "\\subsection*{%s}\n", multi ? "Total derivative" : "Result");
    for (i = 0; i < nres; i++) {
        const sg_result *r = res[i];
        const char *parts[2], *wrt = name_tex(x, r->wrt);
        const char **v;
        size_t start;
        int k;
        if (sm[i].n <= 1) {
            single[nsingle++] = sg_arena_printf(x->ar, "$%s$", wrt);
            continue;
        }
        sg_buf_printf(b, "$%s$ reaches $%s$ along %s paths, ", wrt, of, count_word(x, sm[i].n));
        list_labels(b, sm[i].labels, sm[i].n);
        sg_buf_puts(b, "; by the total derivative rule, their contributions add:\n");
        v = sg_arena_alloc(x->ar, (size_t)sm[i].n * sizeof *v);
        for (k = 0; k < sm[i].n; k++) /* a shared adjoint: said once, by name */
            v[k] = sm[i].shared ? sm[i].forms[k] : value_text(x, sm[i].vals[k], M_BOX, 1);
        parts[0] = join_sum(x, v, sm[i].n);
        parts[1] = boxed(x, result_text(x, r->display, sm[i].adj), BOX_EMS - width(result_tex(x, r)));
        sg_buf_puts(b, "\\begin{align*}\n");
        start = b->len;
        equation(b, result_tex(x, r), "", parts, 2, "");
        if (x->o->index)
            index_line(x, b, r);
        end_align(b, start);
    }
    if (nsingle > 0) {
        size_t start;
        /* one path: the last line of the backward pass is the gradient, and
           needs no sentence; only where other symbols needed the total
           derivative, which ones did not */
        if (multi) {
            and_list(b, single, nsingle);
            sg_buf_printf(b, " %s $%s$ along one path%s; in closed form:\n",
                          nsingle > 1 ? "reach" : "reaches", of, nsingle > 1 ? " each" : "");
        } else {
            sg_buf_puts(b, "In closed form:\n");
        }
        sg_buf_puts(b, "\\begin{align*}\n");
        start = b->len;
        for (i = 0; i < nres; i++) {
            const char *parts[1];
            if (sm[i].n > 1)
                continue;
            parts[0] = boxed(x, result_text(x, res[i]->display, sm[i].n == 1 ? sm[i].vals[0] : NULL),
                             BOX_EMS - width(result_tex(x, res[i])));
            equation(b, result_tex(x, res[i]), "", parts, 1, "");
            if (x->o->index)
                index_line(x, b, res[i]);
        }
        end_align(b, start);
    }
    for (i = 0; i < nnamed; i++)
        x->ni[named[i]].boxname = NULL;
    free(named);
}

/*
 * Each tikzpicture written to b since from, scaled down to the line width
 * when it is wider (and left as drawn when it fits, or empty): a graph laid
 * out for the document's 6.5in lines must fit a default article's 345pt
 * too, where --fragment is pasted. \resizebox is graphicx's, which tikz
 * loads.
 */
static void fit_pictures(sg_buf *b, size_t from)
{
    static const char open[] = "\\begin{tikzpicture}", close[] = "\\end{tikzpicture}";
    sg_buf t;
    const char *p, *q;
    if (from >= b->len || !strstr(b->data + from, open))
        return;
    sg_buf_init(&t);
    sg_buf_puts(&t, b->data + from);
    b->len = from;
    b->data[b->len] = '\0';
    for (p = t.data; (q = strstr(p, open)) != NULL;) {
        const char *e = strstr(q, close);
        if (!e)
            break;
        e += sizeof close - 1;
        sg_buf_putn(b, p, (size_t)(q - p));
        /* measured first: an empty picture (width 0) cannot be resized */
        sg_buf_puts(b, "{\\setbox0\\hbox{%\n");
        sg_buf_putn(b, q, (size_t)(e - q));
        sg_buf_puts(b, "}%\n\\ifdim\\wd0>\\linewidth\\resizebox{\\linewidth}{!}{\\box0}"
                       "\\else\\box0\\fi}");
        p = e;
    }
    sg_buf_puts(b, p);
    sg_buf_free(&t);
}

/* the backward pass of a segment: rules used, then the lines */
static void doc_backward(X *x, seg *s, const sg_expr *const *targets, int nt, sums *sm,
                         int defer, const char *intro)
{
    sg_buf lines, *saved = x->out;
    int mark = x->ncited;
    size_t start;
    sg_buf_init(&lines);
    sg_buf_puts(&lines, "\\begin{align*}\n");
    start = lines.len;
    seg_lines(x, s, &lines, targets, nt, sm, defer);
    end_align(&lines, start);
    x->out = saved;
    if (intro)
        sg_buf_puts(x->out, intro);
    seed_derivations(x, s, mark);
    doc_rules(x, mark);
    symmetry_notes(x, s);
    centred_notes(x, s);
    sg_buf_puts(x->out, sg_buf_str(&lines));
    sg_buf_free(&lines);
}

static void doc_gradient(X *x, const sg_log *g, const sg_result *const *res, int nres)
{
    seg s;
    const sg_expr **st, **targets, **multi;
    sums *sm;
    int nst, i, nmulti = 0, stop = first_jacobian(g);
    size_t mark;
    nst = log_stations(x, g, &st);
    targets = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *targets);
    multi = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *multi);
    sm = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *sm);
    for (i = 0; i < nres; i++)
        targets[i] = var_named(x, res[i]->wrt);
    seg_build(x, &s, g, 0, stop, g->f, (sg_expr *)g->steps[0].adjoint); /* the seed, 1 */
    for (i = 0; i < nres; i++) {
        if (sv(&s, targets[i])->nin > 1)
            multi[nmulti++] = targets[i];
    }
    doc_forward(x, g->f, st, nst);
    sg_buf_puts(x->out, "\\subsection*{Computation graph}\n");
    mark = x->out->len;
    doc_graph(x, &s, st, nst, g->f, multi, nmulti);
    fit_pictures(x->out, mark);
    sg_buf_puts(x->out, "\\subsection*{Backward pass}\n");
    doc_backward(x, &s, targets, nres, sm, 1,
                 sg_arena_printf(x->ar, "Starting from $\\partial %s/\\partial %s = 1$, each line "
                                        "applies the local rule of one step of the forward pass "
                                        "(cited at the right, before the shape).\n",
                                 x->fname, x->fname));
    doc_total(x, res, nres, sm, g->f);
    seg_free(&s);
}

/* ---- the document ---------------------------------------------------------------- */

/* "Gradient of $L$ with respect to $W$ and $b$": what the problem asks for,
   the title of a problem that has no leading comment. A value's gradients
   are said once, and requests of the same value with respect to the same
   names together ("Gradient and Hessian of …"); requests apart by "; " */
static const char *derived_title(X *x)
{
    const sg_problem *p = x->p;
    int nr = p->nresults, n = 0, i, j;
    const char **kinds = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *kinds);
    const char **what = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *what);
    const char **wrt = sg_arena_alloc(x->ar, (size_t)(nr + 2) * sizeof *wrt);
    sg_buf b;
    const char *r;
    for (i = 0; i < nr; i++) {
        const sg_result *res = &p->results[i];
        const char *kind, *w;
        int nw = 0;
        sg_buf t;
        if (res->kind == SG_RES_VALUE)
            continue;
        if (res->kind == SG_RES_GRAD) {
            for (j = 0; j < i; j++) /* said with the value's first gradient */
                if (p->results[j].kind == SG_RES_GRAD && !strcmp(p->results[j].of, res->of))
                    break;
            if (j < i)
                continue;
            for (j = i; j < nr; j++)
                if (p->results[j].kind == SG_RES_GRAD && !strcmp(p->results[j].of, res->of))
                    wrt[nw++] = sg_arena_printf(x->ar, "$%s$", name_tex(x, p->results[j].wrt));
        } else {
            wrt[nw++] = sg_arena_printf(x->ar, "$%s$", name_tex(x, res->wrt));
            if (res->wrt2 && strcmp(res->wrt2, res->wrt))
                wrt[nw++] = sg_arena_printf(x->ar, "$%s$", name_tex(x, res->wrt2));
        }
        kind = res->kind == SG_RES_GRAD ? "gradient" : res->kind == SG_RES_JACOBIAN ? "Jacobian"
                                                                                  : "Hessian";
        sg_buf_init(&t);
        sg_buf_printf(&t, "of $%s$ with respect to ", name_tex(x, res->of));
        and_list(&t, wrt, nw);
        w = sg_arena_strdup(x->ar, sg_buf_str(&t));
        sg_buf_free(&t);
        for (j = 0; j < n; j++)
            if (!strcmp(what[j], w))
                break;
        if (j < n) {
            if (!strstr(kinds[j], kind))
                kinds[j] = sg_arena_printf(x->ar, "%s and %s", kinds[j], kind);
            continue;
        }
        kinds[n] = kind;
        what[n++] = w;
    }
    if (n == 0)
        return "Derivation";
    sg_buf_init(&b);
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "%s%s %s", i ? "; " : "", kinds[i], what[i]);
    if (b.data[0] >= 'a' && b.data[0] <= 'z')
        b.data[0] = (char)(b.data[0] - 'a' + 'A');
    r = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/*
 * The title. A problem's leading comment is its author's title: "# Linear
 * autoencoder: reconstruction loss of x …" gives the title "Linear
 * autoencoder" and, below it, the sentence after the colon (a colon after
 * one word, as in "f: ℝⁿ → ℝ", does not split). Without a comment the
 * title says what is derived.
 */
static void doc_title(X *x)
{
    sg_buf *b = x->out, c;
    sg_buf_init(&c);
    if (x->o->text && sg_latex_leading_comment(&c, x->o->text) > 0) {
        char *s = c.data, *colon = strchr(s, ':'), *rest = NULL;
        if (colon && (colon[1] == ' ' || colon[1] == '\0') && memchr(s, ' ', (size_t)(colon - s))) {
            *colon = '\0';
            rest = colon + 1;
            while (*rest == ' ')
                rest++;
        }
        sg_buf_puts(b, "\\section*{");
        sg_latex_text(b, s);
        sg_buf_puts(b, "}\n");
        if (rest && *rest) {
            size_t n = strlen(rest);
            size_t w = strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            /* a sentence of its own now: a word (not diag(s), not x) capitalized */
            if (*rest >= 'a' && *rest <= 'z' && w >= 2 && (rest[w] == ' ' || rest[w] == ','))
                *rest = (char)(*rest - 'a' + 'A');
            sg_latex_text(b, rest);
            sg_buf_puts(b, strchr(".!?", rest[n - 1]) ? "\n\n" : ".\n\n");
        }
    } else {
        sg_buf_printf(b, "\\section*{%s}\n", derived_title(x));
    }
    sg_buf_free(&c);
}

static int has_seq_steps(const sg_log *g)
{
    int k;
    for (k = 0; k < g->nsteps; k++)
        if (g->steps[k].kind >= SG_STEP_SEQ_SUM)
            return 1;
    return 0;
}

static void doc_bptt(X *x, const sg_log *g, const sg_result *const *res, int nres);
static void doc_jacobian(X *x, const sg_log *g, int from, const sg_result *r, int hessian);

/* "f's node id/name": the key of the gradient of f with respect to name */
static const char *grad_key(X *x, const sg_expr *f, const char *name)
{
    return sg_arena_printf(x->ar, "%u/%s", f ? f->id : 0u, name ? name : "");
}

char *sg_latex_document(const sg_problem *p, const sg_latex_opts *o, size_t *len)
{
    X x;
    sg_buf out;
    const sg_log **logs;
    int nlogs, i, j, *which, *first, *byres;
    sg_strmap gradof;
    memset(&x, 0, sizeof x);
    sg_buf_init(&out);
    line_ems = o->fragment ? 24.0 : 30.0; /* the lines of a default article */
    x.p = p;
    x.ctx = p->ctx;
    x.dv = sg_deriv_new(p->ctx);
    x.ar = sg_ctx_arena(p->ctx);
    x.o = o;
    x.out = &out;
    x.nsyms0 = sg_nsyms(p->ctx);
    x.fname = "L";
    logs = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *logs);
    which = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *which);
    nlogs = sg_problem_logs(p, logs, which);
    /* which log first has the gradient of a function f wrt a name */
    sg_strmap_init(&gradof);
    for (j = 0; j < p->nresults; j++)
        if (which[j] >= 0 && p->results[j].kind == SG_RES_GRAD)
            sg_strmap_put(&gradof, grad_key(&x, logs[which[j]]->f, p->results[j].wrt), which[j]);
    /* the results of each log, in order: byres[first[i] .. first[i + 1]) */
    first = sg_xmalloc((size_t)(nlogs + 2) * sizeof *first);
    byres = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *byres);
    memset(first, 0, (size_t)(nlogs + 2) * sizeof *first);
    for (j = 0; j < p->nresults; j++)
        if (which[j] >= 0)
            first[which[j] + 2]++;
    for (i = 0; i < nlogs; i++)
        first[i + 2] += first[i + 1];
    for (j = 0; j < p->nresults; j++)
        if (which[j] >= 0)
            byres[first[which[j] + 1]++] = j;
    find_needed(&x, logs, nlogs);
    name_nodes(&x);

    sg_buf_puts(&out, "% The derivation, written by symgrad");
    if (o->source) {
        sg_buf_puts(&out, " from ");
        comment_text(&out, o->source);
    }
    /* a fragment says what the document it goes into must load */
    sg_buf_puts(&out, o->fragment ? "; paste it into a document that loads amsmath, amssymb and "
                                    "tikz (\\usepackage{amsmath,amssymb,tikz}).\n"
                                  : ".\n");
    if (!o->fragment) {
        const char *pre = sg_template("preamble.tex");
        sg_buf_puts(&out, "% Compile with pdflatex; it needs amsmath, amssymb and tikz only.\n");
        sg_buf_puts(&out, pre ? pre : "\\documentclass{article}\n\\usepackage{amsmath,amssymb,tikz}\n");
        sg_buf_puts(&out, "\\begin{document}\n");
        doc_title(&x);
    } else {
        /* what the preamble does for a whole document, for the fragment
           alone: its lines stretch rather than run into the margin */
        sg_buf_puts(&out, "\\begingroup\\emergencystretch=3em\\relax\n");
    }
    doc_problem(&x);
    for (i = 0; i < nlogs; i++) {
        const sg_log *g = logs[i];
        const sg_result **res =
            sg_arena_alloc(x.ar, (size_t)(first[i + 1] - first[i] + 1) * sizeof *res);
        const sg_result *hess = NULL, *jac = NULL;
        int nres = 0, q;
        for (q = first[i]; q < first[i + 1]; q++) {
            const sg_result *r = &p->results[byres[q]];
            if (r->kind == SG_RES_GRAD)
                res[nres++] = r;
            else if (r->kind == SG_RES_HESSIAN)
                hess = r;
            else if (r->kind == SG_RES_JACOBIAN && !jac)
                jac = r;
        }
        if (g->f && g->f->name)
            x.fname = name_tex(&x, g->f->name);
        unline_all(&x);
        if (has_seed(g)) {
            if (nres == 0 && hess) { /* the gradient the Hessian differentiates,
                                        unless an earlier derivation shows it */
                int k = sg_strmap_get(&gradof, grad_key(&x, g->f, hess->wrt));
                if (k < 0 || k >= i)
                    res[nres++] = hess;
            }
            if (nres > 0) {
                if (has_seq_steps(g))
                    doc_bptt(&x, g, res, nres);
                else
                    doc_gradient(&x, g, res, nres);
            }
            if (hess)
                doc_jacobian(&x, g, first_jacobian(g), hess, 1);
        } else if (jac) {
            doc_jacobian(&x, g, 0, jac, 0);
        }
    }
    if (o->update)
        doc_updates(&x);
    doc_references(&x);
    sg_buf_puts(&out, o->fragment ? "\\endgroup\n" : "\\end{document}\n");
    free(logs);
    free(which);
    free(first);
    free(byres);
    sg_strmap_free(&gradof);
    free(x.ni);
    free(x.used);
    sg_strmap_free(&x.taken);
    sg_idmap_free(&x.defs);
    free(x.defix);
    free(x.wrtsym);
    free(x.dstamp);
    free(x.lined);
    sg_deriv_free(x.dv);
    return sg_buf_take(&out, len);
}

/* ---- backpropagation through time ----------------------------------------------- */

/* e read at the fixed step idx: every h[t + k] becomes h[idx + k] */
static sg_expr *at_index(X *x, sg_expr *e, sg_index idx)
{
    return sg_deriv_at(x->dv, e, idx);
}

/* the step's stations at a fixed step, named: r_T for r_t */
static void name_at(X *x, sg_index idx)
{
    unsigned id, n = x->nni;
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node;
        const char *base = x->ni[id].base;
        sg_expr *a;
        if (!e || !base || x->ni[id].kind != K_STATION || !sg_expr_varies(e))
            continue;
        a = at_index(x, (sg_expr *)e, idx);
        if (!ni(x, a)->fwd) {
            const char *i = index_tex(x, idx);
            ni(x, a)->fwd = strlen(i) == 1 ? sg_arena_printf(x->ar, "%s_%s", base, i)
                                            : sg_arena_printf(x->ar, "%s_{%s}", base, i);
            ni(x, a)->heavy = ni(x, e)->heavy;
            ni(x, a)->boxed = ni(x, e)->boxed;
        }
    }
}

/* a < b among the indices of one recurrence (dimensions taken large) */
static int index_before(sg_index a, sg_index b)
{
    if (sg_index_eq(a, b))
        return 0;
    if (sg_index_provably_le(a, b))
        return 1;
    if (sg_index_provably_le(b, a))
        return 0;
    if (a.dim != b.dim)
        return a.dim < b.dim;
    return a.off < b.off;
}

/* "t = 1, \dots, T-1" */
static const char *range_text(X *x, sg_index lo, sg_index hi)
{
    if (sg_index_eq(sg_index_plus(lo, 1), hi))
        return sg_arena_printf(x->ar, "t = %s, %s", index_tex(x, lo), index_tex(x, hi));
    return sg_arena_printf(x->ar, "t = %s, \\dots, %s", index_tex(x, lo), index_tex(x, hi));
}

/*
 * The recurrence of an adjoint sequence, interval by interval:
 * δ_T = W_yᵀ(W_y h_T − y_T), δ_t = W_yᵀ r_t + W_hhᵀ(…) for t = 1, …, T−1,
 * δ_0 = W_hhᵀ(…): where each piece (the next step back-propagated, the
 * direct terms) applies.
 */
static void delta_cases(X *x, int qd)
{
    const sg_seq *d = sg_seq_of(x->ctx, qd);
    sg_buf *b = x->out;
    sg_index first = sg_index_plus(d->lo, -1), *pts;
    const sg_expr **pieces;
    int np = 0, i, j, k;
    size_t start;
    const char *dname;
    /* where a piece starts or stops: three, and two per direct term */
    pts = sg_xmalloc((3 + 2 * (size_t)d->nterms) * sizeof *pts);
    pieces = sg_xmalloc(((size_t)d->nterms + 1) * sizeof *pieces);
    pts[np++] = first;
    pts[np++] = d->hi; /* the body applies before the last step */
    pts[np++] = sg_index_plus(d->hi, 1);
    for (k = 0; k < d->nterms; k++) {
        pts[np++] = d->terms[k].lo;
        pts[np++] = sg_index_plus(d->terms[k].hi, 1);
    }
    /* sort (stable), unique; an insertion sort, as index_before is an
       order only among the indices of one recurrence */
    for (i = 1; i < np; i++)
        for (j = i; j > 0 && index_before(pts[j], pts[j - 1]); j--) {
            sg_index t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    for (i = j = 0; i < np; i++)
        if (j == 0 || !sg_index_eq(pts[i], pts[j - 1]))
            pts[j++] = pts[i];
    np = j;
    sg_buf_puts(b, "\\begin{align*}\n");
    start = b->len;
    for (i = np - 2; i >= 0; i--) { /* from the last step back */
        sg_index lo = pts[i], hi = sg_index_plus(pts[i + 1], -1);
        int npieces = 0, single = sg_index_eq(lo, hi);
        const char *parts[2], *lhs, **terms;
        if (index_before(hi, first) || index_before(d->hi, lo))
            continue;
        for (k = 0; k < d->nterms; k++) /* the direct terms first */
            if (sg_index_provably_le(d->terms[k].lo, lo) && sg_index_provably_le(hi, d->terms[k].hi))
                pieces[npieces++] = d->terms[k].display ? d->terms[k].display : d->terms[k].value;
        if (sg_index_provably_le(first, lo) && sg_index_provably_le(hi, sg_index_plus(d->hi, -1)) &&
            d->body && !sg_expr_is_zero(d->body))
            pieces[npieces++] = d->display ? d->display : d->body;
        if (single)
            name_at(x, lo);
        terms = sg_arena_alloc(x->ar, (size_t)(npieces + 1) * sizeof *terms);
        for (k = 0; k < npieces; k++) {
            sg_expr *e = (sg_expr *)pieces[k];
            if (single)
                e = sg_deriv_display(x->dv, at_index(x, e, lo));
            terms[k] = value_text(x, e, M_CLOSED, 1);
        }
        dname = single ? at_tex(x, qd, lo) : step_tex(x, qd, 0);
        lhs = dname;
        parts[0] = npieces ? join_sum(x, terms, npieces) : "0";
        equation(b, lhs, "", parts, 1,
                 single ? "" : sg_arena_printf(x->ar, "$%s$", range_text(x, lo, hi)));
    }
    end_align(b, start);
    free(pts);
    free(pieces);
}

/* the first forward recurrence a log differentiates through */
static int log_recurrence(const sg_log *g)
{
    int k;
    for (k = 0; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_SEQ_REC)
            return g->steps[k].seq;
    return -1;
}

/* the VARs multiplied with leaf in e (W_hh with h[t−1]): the labels of an edge */
static void factors_with(X *x, const sg_expr *e, const sg_expr *leaf, elist *out)
{
    elist all = {NULL, 0, 0};
    int i;
    dag_nodes(x, e, &all);
    for (i = 0; i < all.n; i++) {
        const sg_expr *m = all.v[i], *o;
        if (m->op != SG_OP_MUL)
            continue;
        o = m->kid[0] == leaf ? m->kid[1] : m->kid[1] == leaf ? m->kid[0] : NULL;
        if (o && o->op == SG_OP_TRANSPOSE)
            o = o->kid[0];
        if (o && o->op == SG_OP_VAR)
            elist_push_unique(out, o);
    }
    free(all.v);
}

/* the input sequences e reads at step t */
static void step_inputs(X *x, const sg_expr *e, elist *out)
{
    elist all = {NULL, 0, 0};
    int i;
    dag_nodes(x, e, &all);
    for (i = 0; i < all.n; i++) {
        const sg_expr *m = all.v[i];
        if (m->op == SG_OP_SEQSTEP && m->off == 0 &&
            sg_seq_of(x->ctx, m->seq)->kind == SG_SEQ_INPUT)
            elist_push_unique(out, m);
    }
    free(all.v);
}

static const char *names_of(X *x, const sg_expr *const *v, int n)
{
    sg_buf b;
    const char *s;
    int i;
    sg_buf_init(&b);
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "%s%s", i ? ", " : "", texs(x, v[i], M_FORM, 1));
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/*
 * The recurrence unrolled over three steps, t − 1, t, t + 1: the inputs
 * below, the states in a row with the shared matrices on their edges, the
 * loss terms above, all into L.
 */
static void doc_unrolled(X *x, int q, const sg_expr *loss)
{
    sg_buf *b = x->out;
    const sg_seq *h = sg_seq_of(x->ctx, q);
    const sg_expr *prev = sg_deriv_step(x->dv, q, -1), *now = sg_deriv_step(x->dv, q, 0);
    elist lhh = {NULL, 0, 0}, lxh = {NULL, 0, 0}, lin = {NULL, 0, 0}, lout = {NULL, 0, 0};
    elist lyv = {NULL, 0, 0};
    const sg_expr *const *hh, *const *xh, *const *in, *const *out_in, *const *yv, *lossst = NULL;
    int nhh, nin, nxh, nyv, nout, k;
    long off;
    factors_with(x, h->body, prev, &lhh);
    step_inputs(x, h->body, &lin);
    if (lin.n > 0)
        factors_with(x, h->body, lin.v[0], &lxh);
    if (loss) { /* the loss term's station that reads h_t, and its other inputs */
        const sg_expr *body = loss->op == SG_OP_SEQSUM ? loss->kid[0] : loss;
        unsigned id;
        for (id = 0; id < x->nni; id++) {
            const sg_expr *e = x->ni[id].node;
            if (e && x->ni[id].kind == K_STATION && sg_expr_varies(e) && e != h->body &&
                e->id > h->body->id && e->id <= body->id && x->ni[id].needed) {
                lossst = e;
                break;
            }
        }
        factors_with(x, body, now, &lyv);
        step_inputs(x, body, &lout);
    }
    hh = lhh.v, nhh = lhh.n, xh = lxh.v, nxh = lxh.n, in = lin.v, nin = lin.n;
    yv = lyv.v, nyv = lyv.n, out_in = lout.v, nout = lout.n;
    {
        /* the names first, to size the drawing from them: circles as wide as
           their widest name, the steps far enough apart for the labels */
        const char *hn[3], *xn[3], *ln[3], *yn[3];
        const char *lhhs = nhh ? names_of(x, hh, nhh) : NULL, *lxhs = nxh ? names_of(x, xh, nxh)
                                                                          : NULL;
        const char *lyvs = nyv ? names_of(x, yv, nyv) : NULL;
        double d = 0.8, wy = 0, hx = 0.65, dx, yoff, wide, tall, scale, th, top;
        for (off = -1; off <= 1; off++) {
            int c = (int)(off + 1);
            double bw, bh;
            hn[c] = step_tex(x, q, off);
            gbox("value", hn[c], &bw, &bh);
            d = bw > d ? bw : d;
            xn[c] = nin > 0 ? texs(x, sg_deriv_shift(x->dv, in[0], off), M_FORM, 1)
                            : NULL;
            if (xn[c]) {
                gbox("input", xn[c], &bw, &bh);
                hx = bh > hx ? bh : hx;
            }
            ln[c] = lossst ? texs(x, sg_deriv_shift(x->dv, lossst, off), M_FORM, 1)
                           : NULL;
            if (ln[c]) {
                gbox("value", ln[c], &bw, &bh);
                d = bw > d ? bw : d;
            }
            yn[c] = lossst && nout > 0
                        ? texs(x, sg_deriv_shift(x->dv, out_in[0], off), M_FORM, 1)
                        : NULL;
            if (yn[c]) {
                gbox("data", yn[c], &bw, &bh);
                wy = bw > wy ? bw : wy;
            }
        }
        /* \footnotesize labels: above the h → h edge, left of the upward ones */
        dx = 3.6;
        if (lhhs && 0.8 * tex_width(lhhs, &th) + d + 0.6 > dx)
            dx = 0.8 * tex_width(lhhs, &th) + d + 0.6;
        if (lxhs && 0.8 * tex_width(lxhs, &th) + 0.6 > dx)
            dx = 0.8 * tex_width(lxhs, &th) + 0.6;
        if (lyvs && 0.8 * tex_width(lyvs, &th) + 0.6 > dx)
            dx = 0.8 * tex_width(lyvs, &th) + 0.6;
        yoff = d / 2 + 0.6 + wy / 2; /* y_t right of r_t, clear of r_{t+1} */
        if (yn[0] && yoff + wy / 2 + d / 2 + 0.5 > dx)
            dx = yoff + wy / 2 + d / 2 + 0.5;
        top = 3.6 + d / 2 + 1.2; /* L's row: the loss terms come up into it */
        wide = 2 * (dx + 3.0);
        tall = top + d / 2 + hx / 2 + 0.2;
        scale = GRAPH_WIDTH / wide < 1 ? GRAPH_WIDTH / wide : 1;
        if (GRAPH_HEIGHT / tall < scale)
            scale = GRAPH_HEIGHT / tall;
        sg_buf_puts(b, "\\begin{center}\n\\begin{tikzpicture}[x=1cm, y=1cm, >=stealth, "
                       "rounded corners=2pt,");
        if (scale < 1)
            sg_buf_printf(b, " scale=%.3f, every node/.append style={transform shape},", scale);
        sg_buf_printf(b, "\n"
                         "  input/.style={draw, rectangle, rounded corners=2pt, minimum size=6.5mm, "
                         "inner sep=2pt},\n"
                         "  data/.style={input, draw=black!40, text=black!60},\n"
                         "  value/.style={draw, circle, minimum size=%.2fcm, inner sep=1pt},\n"
                         "  result/.style={value, double, thick},\n"
                         "  lab/.style={font=\\footnotesize, fill=white, inner sep=1pt}]\n",
                      d);
        for (off = -1; off <= 1; off++) {
            int c = (int)(off + 1);
            double px = dx * (double)off;
            sg_buf_printf(b, "  \\node[value] (h%d) at (%.2f,1.8) {$%s$};\n", c, px, hn[c]);
            if (xn[c])
                sg_buf_printf(b, "  \\node[input] (x%d) at (%.2f,0) {$%s$};\n", c, px, xn[c]);
            if (ln[c]) {
                sg_buf_printf(b, "  \\node[value] (l%d) at (%.2f,3.6) {$%s$};\n", c, px, ln[c]);
                if (yn[c])
                    sg_buf_printf(b, "  \\node[data] (y%d) at (%.2f,3.6) {$%s$};\n", c,
                                  px + yoff, yn[c]);
            }
        }
        sg_buf_printf(b, "  \\node (hl) at (%.2f,1.8) {$\\cdots$};\n  \\node (hr) at (%.2f,1.8) "
                         "{$\\cdots$};\n",
                      -(dx + 2.8), dx + 2.8);
        sg_buf_printf(b, "  \\draw[->, dashed] (hl) -- (h0);\n  \\draw[->, dashed] (h2) -- (hr);\n");
        /* an edge is labelled with the matrices it carries, when there are any */
        for (k = 0; k < 2; k++)
            sg_buf_printf(b, "  \\draw[->, thick, blue!70!black] (h%d) -- %s%s%s (h%d);\n", k,
                          nhh ? "node[lab, above] {$" : "", nhh ? lhhs : "", nhh ? "$}" : "",
                          k + 1);
        for (k = 0; k < 3; k++) {
            if (nin > 0)
                sg_buf_printf(b, "  \\draw[->, thick, red!70!black] (x%d) -- %s%s%s (h%d);\n", k,
                              nxh ? "node[lab, left] {$" : "", nxh ? lxhs : "", nxh ? "$}" : "",
                              k);
            if (lossst) {
                sg_buf_printf(b, "  \\draw[->, thick, green!50!black] (h%d) -- %s%s%s (l%d);\n",
                              k, nyv ? "node[lab, left] {$" : "", nyv ? lyvs : "",
                              nyv ? "$}" : "", k);
                if (nout > 0)
                    sg_buf_printf(b, "  \\draw[->] (y%d) -- (l%d);\n", k, k);
            }
        }
        if (lossst) { /* the outer terms up, then across: clear of the y's */
            sg_buf_printf(b, "  \\node[result] (L) at (0,%.2f) {$%s$};\n", top, x->fname);
            sg_buf_puts(b, "  \\draw[->] (l0) |- (L);\n  \\draw[->] (l1) -- (L);\n"
                           "  \\draw[->] (l2) |- (L);\n");
            sg_buf_printf(b, "  \\node at (%.2f,%.2f) {$\\cdots$};\n  \\node at (%.2f,%.2f) "
                             "{$\\cdots$};\n",
                          -(dx + 1.6), top, dx + 1.6, top);
        }
    }
    sg_buf_puts(b, "\\end{tikzpicture}\n\\end{center}\n");
    {
        /* the shared matrices, in the order of the edges; a recurrence may
           have none (h_t = tanh(x_t + h_{t−1})) */
        const char *grp[3];
        int ng = 0;
        if (nhh)
            grp[ng++] = names_of(x, hh, nhh);
        if (nxh)
            grp[ng++] = names_of(x, xh, nxh);
        if (nyv)
            grp[ng++] = names_of(x, yv, nyv);
        if (ng) {
            for (k = 0; k < ng; k++)
                sg_buf_printf(b, "%s$%s$", k == 0 ? "The same " : k == ng - 1 ? " and " : ", ",
                              grp[k]);
            sg_buf_printf(b, " act at every step, so each reaches $%s$ along one path per step: "
                             "this is why their gradients are sums over time. Colored edges "
                             "carry the shared matrices; ", x->fname);
        } else {
            sg_buf_puts(b, "The same step is applied at every time; ");
        }
        sg_buf_printf(b, "$%s$ also reaches $%s$ through every later state.\n\n",
                      texs(x, now, M_FORM, 1), x->fname);
    }
    free(lhh.v);
    free(lxh.v);
    free(lin.v);
    free(lout.v);
    free(lyv.v);
}

static void doc_bptt(X *x, const sg_log *g, const sg_result *const *res, int nres)
{
    sg_buf *b = x->out;
    const sg_expr **st, *loss = NULL;
    int nst, k, q = log_recurrence(g), first_seq, nsums = 0;
    nst = log_stations(x, g, &st);
    doc_forward(x, g->f, st, nst);
    if (q >= 0) {
        const sg_seq *h = sg_seq_of(x->ctx, q);
        sg_buf_printf(b, "for $%s$, starting from $%s$.\n\n",
                      range_text(x, h->lo, h->hi),
                      at_tex(x, q, sg_index_plus(h->lo, -1)));
    }
    for (k = 0; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_SEQ_SUM && !loss)
            loss = g->steps[k].node;
    for (first_seq = 0; first_seq < g->nsteps && g->steps[first_seq].kind < SG_STEP_SEQ_SUM;
         first_seq++)
        ;
    if (q >= 0) {
        size_t mark;
        sg_buf_puts(b, "\\subsection*{Computation graph, unrolled}\n");
        mark = b->len;
        doc_unrolled(x, q, loss);
        fit_pictures(b, mark);
    }
    sg_buf_puts(b, "\\subsection*{Backpropagation through time}\n");
    if (q >= 0) {
        const sg_seq *h = sg_seq_of(x->ctx, q);
        sg_buf_printf(b, "Write $\\delta_t = \\partial %s/\\partial %s \\in %s$. The state $%s$ "
                         "reaches $%s$ along two kinds of paths: directly, through the loss term "
                         "of step $t$, and through the next state $%s$.\n\n",
                      x->fname, step_tex(x, q, 0),
                      shape_tex(x, h->shape), step_tex(x, q, 0),
                      x->fname, step_tex(x, q, 1));
    }
    for (k = first_seq; k < g->nsteps; k++) {
        const sg_step *s = &g->steps[k];
        int end;
        for (end = k + 1; end < g->nsteps && g->steps[end].kind < SG_STEP_SEQ_SUM &&
                          g->steps[end].kind != SG_STEP_JACOBIAN;
             end++)
            ;
        switch (s->kind) {
        case SG_STEP_SEQ_SUM: {
            seg sg;
            seg_build(x, &sg, g, k + 1, end, s->node->kid[0], (sg_expr *)s->adjoint);
            sg.step = 1;
            {
                /* the loss as the user wrote it, ½ and all: L = cΣ_t … when it
                   is that; else the sum, and what reaches it, as a derivative */
                const sg_expr *f = g->f, *a = s->adjoint;
                int whole = f == s->node ||
                            (f->op == SG_OP_MUL && f->nkids == 2 && f->kid[1] == s->node &&
                             f->kid[0]->op == SG_OP_CONST && a && a->op == SG_OP_CONST &&
                             a->value == f->kid[0]->value);
                if (whole)
                    sg_buf_printf(b, "\\paragraph{The loss terms.} $%s = %s$ is a sum over "
                                     "time; each term is differentiated at its step $t$, by $%s$.\n",
                                  x->fname, texs(x, f, M_FWD, 0), rule_tex(x, SG_OP_SEQSUM));
                else
                    sg_buf_printf(b, "\\paragraph{The loss terms.} $%s$ is a sum over time, "
                                     "and $\\partial %s/\\partial(%s) = %s$; each term is "
                                     "differentiated at its step $t$, by $%s$.\n",
                                  texs(x, s->node, M_FWD, 1), x->fname,
                                  texs(x, s->node, M_FWD, 1), value_text(x, a, M_VALUE, 0),
                                  rule_tex(x, SG_OP_SEQSUM));
            }
            doc_backward(x, &sg, NULL, 0, NULL, 0, NULL);
            seg_free(&sg);
            k = end - 1;
            break;
        }
        case SG_STEP_SEQ_REC: {
            seg sg;
            const sg_seq *h = sg_seq_of(x->ctx, s->seq);
            int i;
            seg_build(x, &sg, g, k + 1, end, s->node, (sg_expr *)s->adjoint);
            sg.step = 1;
            sg_buf_printf(b, "\\paragraph{One step of the recurrence.} $%s = %s$ is "
                             "differentiated once, from $\\partial %s/\\partial %s = %s$; what "
                             "it gives holds at every step $t$, and what reaches $%s$ goes into "
                             "$\\delta_{t-1}$.\n",
                          step_tex(x, s->seq, 0),
                          texs(x, s->node, M_FWD, 0), x->fname,
                          step_tex(x, s->seq, 0),
                          value_text(x, s->adjoint, M_VALUE, 0),
                          step_tex(x, s->seq, -1));
            doc_backward(x, &sg, NULL, 0, NULL, 0, NULL);
            /* its adjoints, where the step body is read as h[t] and one step later */
            for (i = 0; i < sg.norder; i++) {
                const sg_expr *c = sg.order[i], *a = sv(&sg, c)->adj;
                sg_expr *r, *r1;
                const char *now, *next;
                if (!a || is_leaf(c) || !sg_expr_varies(c) || !ni(x, c)->fwd)
                    continue;
                r = sg_deriv_replace(x->dv, a, h->body, sg_deriv_step(x->dv, s->seq, 0));
                r1 = sg_deriv_shift(x->dv, r, 1);
                now = adj_name(x, c); /* before ni(): placeholders move the table */
                next = adj_name(x, sg_deriv_shift(x->dv, c, 1));
                if (!ni(x, r)->fwd && !ni(x, r)->adj)
                    ni(x, r)->adj = now;
                if (!ni(x, r1)->fwd && !ni(x, r1)->adj)
                    ni(x, r1)->adj = next;
            }
            seg_free(&sg);
            k = end - 1;
            break;
        }
        case SG_STEP_SEQ_TERM:
            sg_buf_printf(b, "This gives $\\delta_t$ the direct term $%s$, at %s.\n\n",
                          value_text(x, s->contrib, M_VALUE, 0),
                          s->node->op == SG_OP_AT ? "that one step" : "every step of the sum");
            break;
        case SG_STEP_SEQ_PUSH: {
            const char *to = texs(x, s->to, M_FORM, 1);
            size_t start;
            const char *parts[1];
            if (s->seq >= 0 && s->to == sg_seq_of(x->ctx, s->seq)->init) {
                sg_buf_printf(b, "\\paragraph{The initial state.} $%s$ is the state before the "
                                 "first step, so its gradient is the last $\\delta$ of the "
                                 "recurrence:\n",
                              to);
            } else if (nsums++ == 0) {
                sg_buf_printf(b, "\\paragraph{A sum over time.} $%s$ is the same at every step: it "
                                 "reaches $%s$ along one path per step, so by the total "
                                 "derivative rule its gradient is the sum of the per-step "
                                 "contributions above:\n",
                              to, x->fname);
            } else { /* the reason once, not once per matrix */
                sg_buf_printf(b, "\\paragraph{A sum over time.} Likewise for $%s$:\n", to);
            }
            sg_buf_puts(b, "\\begin{align*}\n");
            start = b->len;
            parts[0] = value_text(x, s->contrib, M_VALUE, 1);
            equation(b, sg_arena_printf(x->ar, "\\nabla_{%s} %s", to, x->fname), "", parts, 1,
                     tag_of(x, NULL, 0, s->to->shape));
            end_align(b, start);
            break;
        }
        case SG_STEP_SEQ_DELTA: {
            sg_buf_printf(b, "\\paragraph{The recurrence for $\\delta$.} $%s$ reaches $%s$ "
                             "directly and, before the last step, through $%s$; by the total "
                             "derivative rule the contributions add, and $\\delta$ runs backwards "
                             "from the last step:\n",
                          step_tex(x, s->seq, 0), x->fname,
                          step_tex(x, s->seq, 1));
            delta_cases(x, s->adjseq);
            break;
        }
        default:
            break;
        }
    }
    sg_buf_puts(b, "\\subsection*{Result}\n\\begin{align*}\n");
    {
        size_t start = b->len;
        for (k = 0; k < nres; k++) {
            const char *parts[1];
            parts[0] = boxed(x, result_text(x, res[k]->display, NULL),
                             BOX_EMS - width(result_tex(x, res[k])));
            equation(b, result_tex(x, res[k]), "", parts, 1, "");
            if (x->o->index)
                index_line(x, b, res[k]);
        }
        end_align(b, start);
    }
    if (q >= 0)
        doc_vanishing(x, g, q);
}

/* ---- Jacobians and Hessians -------------------------------------------------------- */

/* the forward rules of jacobian.c, by the text the log records */
static const char *const jrules[][2] = {
    {"J(x) = I", "J(x) = I"},
    {"J(s) = (∇ₓs)ᵀ", "J(s) = (\\nabla_x s)^\\top \\text{ for a scalar } s"},
    {"J(a + b) = J(a) + J(b)", "J(a + b) = J(a) + J(b)"},
    {"J(aᵀ) = J(a)", "J(a^\\top) = J(a)"},
    {"J(s𝟙) = 𝟙 J(s)", "J(s\\mathbf{1}) = \\mathbf{1}J(s)"},
    {"J(s v) = s J(v) + v J(s)", "J(sv) = sJ(v) + vJ(s)"},
    {"J(A v) = A J(v)", "J(Av) = AJ(v)"},
    {"J(u M) = Mᵀ J(u)", "J(uM) = M^\\top J(u)"},
    {"J(a ⊙ b) = diag(b) J(a) + diag(a) J(b)",
     "J(a \\odot b) = \\operatorname{diag}(b)J(a) + \\operatorname{diag}(a)J(b)"},
    {"J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag((a ⊘ b) ⊘ b) J(b)",
     "J(a \\oslash b) = \\operatorname{diag}(\\mathbf{1} \\oslash b)J(a) - "
     "\\operatorname{diag}((a \\oslash b) \\oslash b)J(b)"},
    {"J(a.^p) = diag(p a.^(p−1)) J(a) + (a.^p ⊙ log a) J(p)",
     "J(a^{\\circ p}) = \\operatorname{diag}(p\\,a^{\\circ(p-1)})J(a) + (a^{\\circ p} \\odot "
     "\\log a)J(p)"},
    {"J(softmax(a)) = (diag(s) − ssᵀ) J(a), s = softmax(a)",
     "J(s) = (\\operatorname{diag}(s) - ss^\\top)J(a) \\text{ for } s = "
     "\\operatorname{softmax}(a)"},
    {"J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a)",
     "J(\\log\\operatorname{softmax}(a)) = (I - \\mathbf{1}\\operatorname{softmax}(a)^\\top)J(a)"},
    {"J(f(a)) = diag(f′(a)) J(a)",
     "J(f(a)) = \\operatorname{diag}(f'(a))J(a) \\text{ for an elementwise } f"},
};

#define NJRULES (int)(sizeof jrules / sizeof jrules[0])

/* the rule table's entry (symbolic/rules.h) of each row of jrules: a step
   of the log names its rule by id */
static const sg_rule_id jids[NJRULES] = {
    SG_RULE_J_X,        SG_RULE_J_SCALAR,   SG_RULE_J_ADD,        SG_RULE_J_TRANSPOSE,
    SG_RULE_J_FILL,     SG_RULE_J_SCALE,    SG_RULE_J_MATVEC,     SG_RULE_J_ROWMAT,
    SG_RULE_J_HADAMARD, SG_RULE_J_HDIV,     SG_RULE_J_POW,        SG_RULE_J_SOFTMAX,
    SG_RULE_J_LOGSOFTMAX, SG_RULE_J_ELEMENTWISE,
};

/* l r as one product: a space where a control word would run into r */
static const char *jux(X *x, const char *l, const char *r)
{
    size_t n = strlen(l), i = n;
    while (i > 0 && ((l[i - 1] >= 'a' && l[i - 1] <= 'z') || (l[i - 1] >= 'A' && l[i - 1] <= 'Z')))
        i--;
    if (i < n && i > 0 && l[i - 1] == '\\')
        return sg_arena_printf(x->ar, "%s %s", l, r);
    return sg_arena_printf(x->ar, "%s%s", l, r);
}

/* "J(Xw)", J(∂L/∂h_1) for a long node of a gradient */
static const char *jname(X *x, const sg_expr *e)
{
    const char *t = texs(x, e, M_VALUE, 1);
    if (strstr(t, "\\frac") || strstr(t, "\\sum"))
        return sg_arena_printf(x->ar, "J\\left(%s\\right)", t);
    return sg_arena_printf(x->ar, "J(%s)", t);
}

/*
 * After the line of J(e): its value j is said from now on as the backward
 * pass says an adjoint (name_adjoint()), by its closed form where that is
 * short, else by the name J(e). A Jacobian logged as a DAG (J(v ⊙ v) reads
 * J(v) twice) is then printed line by line in terms of the lines above, not
 * as its tree, which doubles with every level.
 */
static void name_jacobian(X *x, const sg_expr *e, const sg_expr *j)
{
    sg_expr *closed, *ph;
    const char *text, *name;
    elist phs = {NULL, 0, 0};
    int lng, budget = 400;
    if (!j || is_leaf(j) || j->name || (j->id < x->nni && (x->ni[j->id].lined ||
                                                          x->ni[j->id].ph || x->ni[j->id].fwd)))
        return;
    closed = said(x, j, 1);
    text = value_text(x, j, M_VALUE, 0);
    lng = width(text) >= 20 || shown_size(x, closed, M_VALUE, 60, 1) > 60;
    if (!lng) { /* not closed: it names lines above */
        phs_in(x, closed, &phs, &budget);
        lng = phs.n > 0;
        free(phs.v);
    }
    name = jname(x, e);
    ph = sg_deriv_standin(x->dv, j->shape, 0);
    ni(x, ph)->ph = name;
    line_adjoint(x, j, ph, lng ? NULL : closed);
}

/* the forward rule of step st, instantiated: A J(v), diag(f′(a)) J(a) */
static const char *jac_form(X *x, const sg_expr *e, const sg_idmap *hasj, const sg_expr *wrt)
{
    const sg_expr *a = e->nkids > 0 ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    int ja = a && sg_idmap_find(hasj, a) != SG_IDMAP_NONE;
    int jb = b && sg_idmap_find(hasj, b) != SG_IDMAP_NONE;
    sg_buf t;
    const char *s;
    if (e == wrt || is_scalar(e))
        return NULL;
    sg_buf_init(&t);
    switch (e->op) {
    case SG_OP_ADD:
        if (ja)
            sg_buf_puts(&t, jname(x, a));
        if (ja && jb)
            sg_buf_puts(&t, "\002 + ");
        if (jb)
            sg_buf_puts(&t, jname(x, b));
        break;
    case SG_OP_TRANSPOSE:
        sg_buf_puts(&t, jname(x, a));
        break;
    case SG_OP_FILL:
        sg_buf_printf(&t, "\\mathbf{1}%s", jname(x, a));
        break;
    case SG_OP_MUL:
        if (is_scalar(a)) {
            if (jb)
                sg_buf_puts(&t, jux(x, factor(x, a, M_FORM), jname(x, b)));
            if (ja && jb)
                sg_buf_puts(&t, "\002 + ");
            if (ja)
                sg_buf_puts(&t, jux(x, factor(x, b, M_FORM), jname(x, a)));
        } else if (jb) {
            sg_buf_puts(&t, jux(x, factor(x, a, M_FORM), jname(x, b)));
        } else {
            sg_buf_puts(&t, jux(x, factor(x, sg_deriv_transpose(x->dv, b), M_FORM),
                                jname(x, a)));
        }
        break;
    case SG_OP_HADAMARD:
        if (ja)
            sg_buf_printf(&t, "\\operatorname{diag}(%s)%s", texs(x, b, M_FORM, 1), jname(x, a));
        if (ja && jb)
            sg_buf_puts(&t, "\002 + ");
        if (jb)
            sg_buf_printf(&t, "\\operatorname{diag}(%s)%s", texs(x, a, M_FORM, 1), jname(x, b));
        break;
    case SG_OP_SOFTMAX:
        sg_buf_printf(&t, "(\\operatorname{diag}(%s) - %s%s^\\top)%s", texs(x, e, M_FORM, 1),
                      texs(x, e, M_FORM, 1), texs(x, e, M_FORM, 1), jname(x, a));
        break;
    case SG_OP_LOGSOFTMAX:
        sg_buf_printf(&t, "(I - \\mathbf{1}\\operatorname{softmax}(%s)^\\top)%s",
                      texs(x, a, M_FORM, 1), jname(x, a));
        break;
    default:
        if (sg_op_is_elementwise_unary(e->op)) {
            const sg_expr *d = sg_deriv_fprime(x->dv, e);
            sg_buf_printf(&t, "\\operatorname{diag}(%s)%s", texs(x, d, M_FORM, 1), jname(x, a));
        }
        break;
    }
    s = t.len ? sg_arena_strdup(x->ar, sg_buf_str(&t)) : NULL;
    sg_buf_free(&t);
    return s;
}

/* v_i for a name v: x_i, (z_1)_i */
static const char *entry(X *x, const char *v, const char *i)
{
    const char *t = v;
    int word = 0;
    if (*t == '\\') { /* one control word (\theta) is one symbol */
        for (t++; is_alpha_c(*t); t++)
            ;
        word = *t == '\0';
    }
    if (!word && (strchr(v, '_') || strchr(v, '^') || strchr(v, '\\') || strchr(v, '(')))
        return sg_arena_printf(x->ar, "(%s)_{%s}", v, i);
    return sg_arena_printf(x->ar, "%s_{%s}", v, i);
}

/* is the LaTeX a plain name (s, z_2, \beta), fit to index? */
static int plain_name(const char *t)
{
    if (!strncmp(t, "\\mathit{", 8))
        return 1;
    for (; *t; t++)
        if (*t == '(' || *t == ' ' || *t == '^' || (*t == '\\' && strncmp(t, "\\beta", 5) &&
                                                   strncmp(t, "\\alpha", 6)))
            return 0;
    return 1;
}

static void doc_jacobian(X *x, const sg_log *g, int from, const sg_result *r, int hessian)
{
    sg_buf *b = x->out, lines;
    const sg_expr *wrt = var_named(x, r->wrt), *groot = NULL, *softmax = NULL, *logsoftmax = NULL;
    sg_idmap hasj; /* the nodes whose Jacobian has a line: sized by them */
    const char *saved_fwd = NULL;
    int k, mark[NJRULES], jcited[NJRULES], njcited = 0, elementwise = 0, merges = 0;
    const char *predone[2];     /* the softmax family, derived before the rules */
    const sg_expr *prenode[2];
    int npredone = 0;
    size_t start;
    unsigned n = sg_expr_count(x->ctx);
    sg_idmap_init(&hasj, x->ctx);
    memset(mark, 0, sizeof mark);
    for (k = from; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_JACOBIAN)
            groot = g->steps[k].node;
    {   /* the softmax family derived first, numbered as the list below will be */
        int order[NJRULES], norder = 0, j;
        const sg_expr *first[NJRULES];
        for (k = from; k < g->nsteps; k++) {
            const sg_step *st = &g->steps[k];
            if (st->kind != SG_STEP_JACOBIAN)
                continue;
            for (j = 0; j < NJRULES && jids[j] != st->rule_id; j++)
                ;
            if (j < NJRULES && !mark[j]) {
                mark[j] = 1;
                first[norder] = st->node;
                order[norder++] = j;
            }
        }
        for (j = 0; j < norder; j++)
            if ((jids[order[j]] == SG_RULE_J_SOFTMAX && first[j]->op == SG_OP_SOFTMAX) ||
                (jids[order[j]] == SG_RULE_J_LOGSOFTMAX && first[j]->op == SG_OP_LOGSOFTMAX))
                predone[npredone++] = sg_arena_printf(x->ar, "(J%d)", j + 1),
                prenode[npredone - 1] = first[j];
        memset(mark, 0, sizeof mark);
    }
    if (!hessian) {
        const sg_expr **st;
        size_t pic;
        int nst = log_stations(x, g, &st);
        doc_forward(x, g->f, st, nst);
        sg_buf_puts(b, "\\subsection*{Computation graph}\n");
        pic = b->len;
        doc_graph(x, NULL, st, nst, g->f, NULL, 0);
        fit_pictures(b, pic);
        sg_buf_puts(b, "\\subsection*{Jacobian}\n");
        for (k = 0; k < npredone; k++)
            softmax_derivation(x, prenode[k], predone[k], 0);
        sg_buf_printf(b, "Write $J(a) = \\partial a/\\partial %s$ for the Jacobian of an "
                         "intermediate $a$ with respect to $%s$: entry $(i,j)$ is $\\partial a_i/"
                         "\\partial %s$. It is propagated forward from $J(%s) = I$, one rule per "
                         "line, the rules cited at the right:\n",
                      name_tex(x, r->wrt), name_tex(x, r->wrt),
                      entry(x, name_tex(x, r->wrt), "j"), name_tex(x, r->wrt));
    } else {
        sg_buf_puts(b, "\\subsection*{Hessian}\n");
        for (k = 0; k < npredone; k++)
            softmax_derivation(x, prenode[k], predone[k], 0);
        sg_buf_printf(b, "The Hessian is the Jacobian of the gradient, $%s = J(\\nabla_{%s} %s)$, "
                         "with $\\nabla_{%s} %s = %s$ as derived above. Write $J(a) = "
                         "\\partial a/\\partial %s$ for the Jacobian of an intermediate $a$ of the "
                         "gradient (entry $(i,j)$ is $\\partial a_i/\\partial %s$); it is "
                         "propagated forward from $J(%s) = I$, one rule per line:\n",
                      result_tex(x, r), name_tex(x, r->wrt), x->fname, name_tex(x, r->wrt),
                      x->fname, groot ? value_text(x, groot, M_BOX, 0) : "",
                      name_tex(x, r->wrt), entry(x, name_tex(x, r->wrt), "j"),
                      name_tex(x, r->wrt));
        if (groot) { /* the gradient prints as ∇_x f inside J(…) */
            saved_fwd = ni(x, groot)->fwd;
            ni(x, groot)->fwd = sg_arena_printf(x->ar, "\\nabla_{%s} %s", name_tex(x, r->wrt),
                                                x->fname);
        }
    }
    sg_buf_init(&lines);
    sg_buf_puts(&lines, "\\begin{align*}\n");
    start = lines.len;
    for (k = from; k < g->nsteps; k++) {
        const sg_step *st = &g->steps[k];
        const char *parts[2], *form, *value, *tag;
        int np = 0, j;
        if (st->kind != SG_STEP_JACOBIAN)
            continue;
        for (j = 0; j < NJRULES && jids[j] != st->rule_id; j++)
            ;
        assert(j == NJRULES || !strcmp(jrules[j][0], sg_rule_get(jids[j])->text));
        if (j < NJRULES && !mark[j]) {
            mark[j] = ++njcited;
            jcited[njcited - 1] = j;
        }
        form = fits(jac_form(x, st->node, &hasj, wrt));
        value = value_text(x, st->contrib, M_VALUE, 1);
        if (form)
            parts[np++] = form;
        if (!form || strcmp(form, value))
            parts[np++] = value;
        tag = tag_of(x, NULL, 0, st->contrib->shape);
        if (j < NJRULES)
            tag = sg_arena_printf(x->ar, "(J%d)\\quad %s", mark[j], tag);
        equation(&lines, jname(x, st->node), "", parts, np, tag);
        name_jacobian(x, st->node, st->contrib);
        if (st->node->id <= n)
            sg_idmap_add(&hasj, st->node);
        if (st->node->op == SG_OP_SOFTMAX && !softmax)
            softmax = st->node;
        if (st->node->op == SG_OP_LOGSOFTMAX && !logsoftmax)
            logsoftmax = st->node;
        if (sg_op_is_elementwise_unary(st->node->op))
            elementwise = 1;
        if (st->node->nkids == 2 && (st->node->op == SG_OP_ADD || st->node->op == SG_OP_HADAMARD ||
                                     st->node->op == SG_OP_MUL) &&
            sg_idmap_find(&hasj, st->node->kid[0]) != SG_IDMAP_NONE &&
            sg_idmap_find(&hasj, st->node->kid[1]) != SG_IDMAP_NONE)
            merges++;
    }
    end_align(&lines, start);
    if (njcited > 0) {
        size_t jstart;
        sg_buf_puts(b, "\\begin{align*}\n");
        jstart = b->len;
        for (k = 0; k < njcited; k++)
            sg_buf_printf(b, "  &%s \\tag*{%s}\\\\\n", jrules[jcited[k]][1],
                          rule_tag(x, sg_rule_get(jids[jcited[k]])->cookbook,
                                   sg_arena_printf(x->ar, "(J%d)", k + 1)));
        end_align(b, jstart);
    }
    sg_buf_puts(b, sg_buf_str(&lines));
    sg_buf_free(&lines);
    if (elementwise)
        sg_buf_puts(b, "An elementwise $f$ acts on each entry alone: $\\partial f(a)_i/\\partial "
                       "a_j$ is $f'(a_i)$ when $i = j$ and $0$ when $i \\ne j$, which is the "
                       "matrix $\\operatorname{diag}(f'(a))$.\n\n");
    if (merges > 0) /* one path needs no word: nothing adds */
        sg_buf_printf(b, "Where $%s$ reaches a node along several paths, $J(a + b) = J(a) + J(b)$ "
                         "adds their contributions: the total derivative rule, forward.\n\n",
                      name_tex(x, r->wrt));
    if (groot && hessian)
        ni(x, groot)->fwd = saved_fwd;
    sg_buf_puts(b, "\\subsection*{Result}\n\\begin{align*}\n");
    {
        const char *parts[1];
        info *rn;
        unsigned char lined;
        start = b->len;
        /* the result is the last line's value: said in terms of the lines
           above, but not as its own name J(y) */
        rn = ni(x, r->expr);
        lined = rn->lined;
        rn->lined = 0;
        parts[0] = boxed(x, result_text(x, r->display, r->expr), BOX_EMS - width(result_tex(x, r)));
        ni(x, r->expr)->lined = lined;
        equation(b, result_tex(x, r), "", parts, 1, "");
        if (x->o->index)
            index_line(x, b, r);
        end_align(b, start);
    }
    sg_idmap_free(&hasj);
}

static int is_alpha_c(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* a function's LaTeX name: \tanh, \operatorname{swish} */
static const char *tex_name_of_fn(sg_op op)
{
    const char *t = sg_latex_op(op);
    return t ? t : "f";
}

/* ---- index notation (--index) ----------------------------------------------------- */

enum { I_SUM = 1, I_OP, I_PROD, I_NEG, I_POST, I_ATOM };

/* the index letters, in the order they are given out */
static const char *const ix_letters[] = {"i", "j", "k", "l", "p", "q", "a", "b", "c", "d",
                                         "e", "f", "g", "s"};
#define NIX_LETTERS (int)(sizeof ix_letters / sizeof ix_letters[0])

typedef struct {
    X *x;
    const char *pool[NIX_LETTERS]; /* the letters the problem leaves free */
    int npool, next;
} ixs;

/* a fresh summation index */
static const char *ix_fresh(ixs *s)
{
    if (s->next < s->npool)
        return s->pool[s->next++];
    return sg_arena_printf(s->x->ar, "k_{%d}", s->next++ - s->npool + 1);
}

/* the entry (i, j) of a named matrix: W_{ik}, (W_1)_{ik}, x_i, s */
static const char *ix_entry(ixs *s, const char *name, const char *i, const char *j)
{
    if (!(i && *i) && !(j && *j))
        return name;
    return entry(s->x, name, sg_arena_printf(s->x->ar, "%s%s", i ? i : "", j ? j : ""));
}

static int ix_expr(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j);

/* prints e's entry at least at level min, in parentheses if below */
static void ix_sub(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j, int min)
{
    sg_buf t;
    int p;
    sg_buf_init(&t);
    p = ix_expr(s, &t, e, i, j);
    if (p < min) /* \Bigl( lets a long entry break inside */
        sg_buf_printf(b, "%s%s%s", tall(sg_buf_str(&t)) ? "\\Bigl(" : "(", sg_buf_str(&t),
                      tall(sg_buf_str(&t)) ? "\\Bigr)" : ")");
    else
        sg_buf_puts(b, sg_buf_str(&t));
    sg_buf_free(&t);
}

/* juxtaposes into b with a space where a control word ends, and a \cdot
   between two numerals (2 and 1 side by side would read 21) */
static void ix_cat(sg_buf *b, const char *r)
{
    const char *l = sg_buf_str(b);
    if (*l) {
        size_t n = strlen(l), k = n;
        while (k > 0 && is_alpha_c(l[k - 1]))
            k--;
        if (k < n && k > 0 && l[k - 1] == '\\')
            sg_buf_putc(b, ' ');
        else if (l[n - 1] >= '0' && l[n - 1] <= '9' && ((r[0] >= '0' && r[0] <= '9') || r[0] == '.'))
            sg_buf_puts(b, "\\cdot ");
    }
    sg_buf_puts(b, r);
}

/* every entry of e is 1: 𝟙, 𝟙ᵀ, 𝟙𝟙ᵀ (an outer product, not 𝟙ᵀ𝟙 = n), a
   fill of 1. As a factor of an entry it multiplies by 1, and is left out:
   (𝟙𝟙ᵀA)_{ij} = Σ_k A_{kj}, not Σ_k 11A_{kj} */
static int ix_ones(X *x, const sg_expr *e)
{
    if (namer(x, e))
        return 0;
    switch (e->op) {
    case SG_OP_ONES:
        return 1;
    case SG_OP_CONST:
        return e->value == 1;
    case SG_OP_FILL: case SG_OP_TRANSPOSE:
        return ix_ones(x, e->kid[0]);
    case SG_OP_MUL:
        return e->kid[0]->shape.cols == SG_DIM_ONE && ix_ones(x, e->kid[0]) &&
               ix_ones(x, e->kid[1]);
    case SG_OP_HADAMARD:
        return ix_ones(x, e->kid[0]) && ix_ones(x, e->kid[1]);
    default:
        return 0;
    }
}

/* the factors of an unnamed product chain, left to right, into f */
static void chain_factors(X *x, const sg_expr *e, elist *f)
{
    int k;
    for (k = 0; k < 2; k++) {
        const sg_expr *c = e->kid[k];
        if (is_matmul(c) && !namer(x, c))
            chain_factors(x, c, f);
        else
            elist_push(f, c);
    }
}

/* the index of a dimension: none for 1 */
static const char *ix_of(sg_dim d, const char *idx)
{
    return d == SG_DIM_ONE ? NULL : idx;
}

/*
 * A scaling chain c·(d·(… y)) entry by entry, its scalar factors as a
 * person writes them (formula.c does the same for whole expressions): the
 * numbers multiplied out, a repeated factor a power, the divisors under one
 * fraction bar, then y's entry: \frac{\sum_l c_l r_l}{ns^{2}}c_k, not
 * \frac{1}{s}\frac{1}{s}\frac{1}{n}(…)c_k. Returns 0 (nothing printed) when
 * there is nothing to collect.
 */
typedef struct {
    const sg_expr *e;
    int pow;
} ixfactor;

static int ix_reciprocal_of(X *x, const sg_expr *e, const sg_expr **den)
{
    if (namer(x, e) || !is_scalar(e))
        return 0;
    if (e->op == SG_OP_HDIV && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == 1) {
        *den = e->kid[1];
        return 1;
    }
    if (e->op == SG_OP_POW && e->kid[1]->op == SG_OP_CONST && e->kid[1]->value == -1) {
        *den = e->kid[0];
        return 1;
    }
    return 0;
}

typedef struct {
    ixfactor *v;
    int n, cap;
} ixfactors;

static void ix_factor_add(ixfactors *f, const sg_expr *e, int pow, int *merged)
{
    int k;
    for (k = 0; k < f->n; k++)
        if (f->v[k].e == e) {
            f->v[k].pow += pow;
            *merged = 1;
            return;
        }
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->v = sg_xrealloc(f->v, (size_t)f->cap * sizeof *f->v);
    }
    f->v[f->n].e = e;
    f->v[f->n].pow = pow;
    f->n++;
}

/* a scalar factor g on a side (1: numerator, −1: denominator) of the chain:
   numbers into *c, quotients split (a few levels; deeper, a factor whole) */
static void ix_scalar_add(X *x, ixfactors *v, double *c, const sg_expr *g, int side, int depth,
                          int *merged)
{
    const sg_expr *d;
    if (!namer(x, g) && depth < 8) {
        if (g->op == SG_OP_CONST && (side > 0 || g->value != 0)) {
            *c = side > 0 ? *c * g->value : *c / g->value;
            return;
        }
        if (ix_reciprocal_of(x, g, &d)) {
            ix_scalar_add(x, v, c, d, -side, depth + 1, merged);
            return;
        }
        if (g->op == SG_OP_HDIV && is_scalar(g)) {
            ix_scalar_add(x, v, c, g->kid[0], side, depth + 1, merged);
            ix_scalar_add(x, v, c, g->kid[1], -side, depth + 1, merged);
            return;
        }
        if (g->op == SG_OP_MUL && is_scalar(g)) {
            ix_scalar_add(x, v, c, g->kid[0], side, depth + 1, merged);
            ix_scalar_add(x, v, c, g->kid[1], side, depth + 1, merged);
            return;
        }
    }
    ix_factor_add(v, g, side, merged);
}

static void ix_number(sg_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        sg_buf_printf(b, "%.0f", v);
    else
        sg_buf_printf(b, "%.15g", v);
}

static int ix_scaled(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    X *x = s->x;
    const sg_expr *y;
    ixfactors f = {NULL, 0, 0};
    ixfactor *v;
    int n, k, merged = 0, nden = 0, neg, bare = 0;
    double c = 1;
    sg_buf num, den, yb;
    for (y = e; y->op == SG_OP_MUL && !namer(x, y) && is_scalar(y->kid[0]); y = y->kid[1])
        ix_scalar_add(x, &f, &c, y->kid[0], 1, 0, &merged);
    if (is_scalar(y)) { /* a product of scalars: the last one a factor too */
        ix_scalar_add(x, &f, &c, y, 1, 0, &merged);
        y = NULL;
    }
    v = f.v;
    n = f.n;
    for (k = 0; k < n; k++)
        nden += v[k].pow < 0;
    if (!nden && !merged) {
        free(v);
        return 0;
    }
    sg_buf_init(&num);
    sg_buf_init(&den);
    sg_buf_init(&yb);
    neg = c < 0;
    c = fabs(c);
    if (nden && c < 1 && 1 / c == floor(1 / c) && 1 / c < 1e9) { /* ½x/s is x/(2s) */
        ix_number(&den, 1 / c);
        c = 1;
    }
    if (c != 1)
        ix_number(&num, c);
    for (k = 0; k < 2 * n; k++) { /* dimensions first: ns^2, not s^2n */
        const ixfactor *q = &v[k % n];
        sg_buf *t = q->pow > 0 ? &num : &den;
        int p = q->pow > 0 ? q->pow : -q->pow, alone = 1, m;
        sg_buf fb;
        if (p == 0 || (k < n) != (q->e->op == SG_OP_DIMVAL))
            continue;
        /* alone above or below the bar, a sum needs no parentheses */
        for (m = 0; m < n; m++)
            if (&v[m] != q && v[m].pow != 0 && (v[m].pow > 0) == (q->pow > 0))
                alone = 0;
        if (q->pow > 0 && (c != 1 || !nden)) /* the body follows the bar */
            alone = 0;
        if (q->pow < 0 && den.len)
            alone = 0;
        sg_buf_init(&fb);
        if (alone && p == 1 && q->pow > 0)
            bare = ix_expr(s, &fb, q->e, NULL, NULL) < I_PROD;
        else if (alone && p == 1)
            ix_expr(s, &fb, q->e, NULL, NULL);
        else
            ix_sub(s, &fb, q->e, NULL, NULL, p > 1 ? I_ATOM : I_PROD);
        if (p > 1)
            sg_buf_printf(&fb, "^{%d}", p);
        ix_cat(t, sg_buf_str(&fb));
        sg_buf_free(&fb);
    }
    if (y)
        ix_sub(s, &yb, y, i, j, I_PROD);
    if (neg)
        sg_buf_puts(b, "-");
    if (den.len && strstr(sg_buf_str(&num), "\\frac")) /* one fraction level */
        sg_buf_printf(b, "\\frac{1}{%s}%s%s%s", sg_buf_str(&den), bare ? "\\Bigl(" : "",
                      sg_buf_str(&num), bare ? "\\Bigr)" : "");
    else if (den.len)
        sg_buf_printf(b, "\\frac{%s}{%s}", num.len ? sg_buf_str(&num) : "1", sg_buf_str(&den));
    else if (num.len)
        sg_buf_puts(b, sg_buf_str(&num));
    else if (!y)
        sg_buf_puts(b, "1");
    if (yb.len)
        ix_cat(b, sg_buf_str(&yb));
    sg_buf_free(&num);
    sg_buf_free(&den);
    sg_buf_free(&yb);
    free(v);
    return neg ? I_NEG : I_PROD;
}

static int ix_expr(ixs *s, sg_buf *b, const sg_expr *e, const char *i, const char *j)
{
    X *x = s->x;
    const char *name = namer(x, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *c = e->nkids > 1 ? e->kid[1] : NULL;
    sg_buf t;
    int k;
    if (name || e->op == SG_OP_VAR || e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) {
        sg_buf_puts(b, ix_entry(s, name ? name : texs(x, e, M_BOX, 1), i, j));
        return I_ATOM;
    }
    switch (e->op) {
    case SG_OP_CONST: case SG_OP_DIMVAL:
        sg_buf_puts(b, texs(x, e, M_BOX, 1));
        return e->op == SG_OP_CONST && e->value < 0 ? I_NEG : I_ATOM;
    case SG_OP_ZERO:
        sg_buf_puts(b, "0");
        return I_ATOM;
    case SG_OP_ONES:
        sg_buf_puts(b, "1");
        return I_ATOM;
    case SG_OP_EYE:
        sg_buf_printf(b, "[%s = %s]", i, j);
        return I_ATOM;
    case SG_OP_FILL:
        return ix_expr(s, b, a, NULL, NULL);
    case SG_OP_TRANSPOSE:
        return ix_expr(s, b, a, j, i);
    case SG_OP_ADD:
        ix_sub(s, b, a, i, j, I_SUM);
        sg_buf_init(&t);
        ix_sub(s, &t, c, i, j, I_SUM);
        if (sg_buf_str(&t)[0] == '-')
            sg_buf_printf(b, "\002 - %s", sg_buf_str(&t) + 1);
        else
            sg_buf_printf(b, "\002 + %s", sg_buf_str(&t));
        sg_buf_free(&t);
        return I_SUM;
    case SG_OP_MUL:
        if (is_scalar(a)) {
            if ((k = ix_scaled(s, b, e, i, j)) != 0)
                return k;
            if (a->op == SG_OP_CONST && a->value == -1) {
                sg_buf_puts(b, "-");
                ix_sub(s, b, c, i, j, I_PROD);
                return I_NEG;
            }
            if (ix_ones(x, c)) /* s𝟙𝟙ᵀ: each entry is s */
                return ix_expr(s, b, a, NULL, NULL);
            if (ix_ones(x, a))
                return ix_expr(s, b, c, i, j);
            sg_buf_init(&t);
            ix_sub(s, &t, a, NULL, NULL, I_PROD);
            sg_buf_puts(b, sg_buf_str(&t));
            sg_buf_free(&t);
            sg_buf_init(&t);
            ix_sub(s, &t, c, i, j, I_PROD);
            ix_cat(b, sg_buf_str(&t));
            sg_buf_free(&t);
            return I_PROD;
        } else {
            elist fl = {NULL, 0, 0};
            const sg_expr *const *f;
            const char **idx;
            int nf, any = 0, m;
            sg_buf over, body;
            chain_factors(x, e, &fl);
            f = fl.v;
            nf = fl.n;
            idx = sg_xmalloc(((size_t)nf + 1) * sizeof *idx); /* the indices between factors */
            idx[0] = i;
            for (k = 1; k < nf; k++)
                idx[k] = f[k]->shape.rows == SG_DIM_ONE ? NULL : ix_fresh(s);
            idx[nf] = j;
            /* a diagonal factor between two others ties their indices */
            for (k = 1; k + 1 < nf; k++)
                if ((f[k]->op == SG_OP_DIAG || f[k]->op == SG_OP_EYE) && idx[k + 1] && idx[k])
                    for (m = nf; m > k; m--)
                        if (idx[m] == idx[k + 1] && m != nf)
                            idx[m] = idx[k];
            sg_buf_init(&over);
            sg_buf_init(&body);
            for (k = 1; k < nf; k++) {
                for (m = 1; m < k && idx[m] != idx[k]; m++)
                    ;
                if (idx[k] && m == k) {
                    sg_buf_printf(&over, "%s%s", any ? "," : "\\sum_{", idx[k]);
                    any = 1;
                }
            }
            if (any)
                sg_buf_puts(&over, "} ");
            for (k = 0; k < nf; k++) {
                sg_buf fb;
                const char *r = ix_of(f[k]->shape.rows, idx[k]);
                const char *q = ix_of(f[k]->shape.cols, idx[k + 1]);
                if (ix_ones(x, f[k])) /* a factor 1: its indices summed over all the same */
                    continue;
                sg_buf_init(&fb);
                if ((f[k]->op == SG_OP_DIAG || f[k]->op == SG_OP_EYE) && r && q && r == q) {
                    if (f[k]->op == SG_OP_DIAG)
                        ix_sub(s, &fb, f[k]->kid[0], r, NULL, k + 1 < nf ? I_PROD : I_OP);
                } else {
                    ix_sub(s, &fb, f[k], r, q, k + 1 < nf ? I_PROD : I_OP);
                }
                ix_cat(&body, sg_buf_str(&fb));
                sg_buf_free(&fb);
            }
            if (!sg_buf_str(&body)[0]) /* only ones: Σ_k 1 */
                sg_buf_puts(&body, "1");
            sg_buf_printf(b, "%s%s", sg_buf_str(&over), sg_buf_str(&body));
            sg_buf_free(&over);
            sg_buf_free(&body);
            free(idx);
            free(fl.v);
            return any ? I_OP : I_PROD;
        }
    case SG_OP_HADAMARD:
        if (a == c) { /* h_i h_i is h_i^2 */
            ix_sub(s, b, a, i, j, I_ATOM);
            sg_buf_puts(b, "^{2}");
            return I_POST;
        }
        if (ix_ones(x, a))
            return ix_expr(s, b, c, i, j);
        if (ix_ones(x, c))
            return ix_expr(s, b, a, i, j);
        ix_sub(s, b, a, i, j, I_PROD);
        sg_buf_init(&t);
        ix_sub(s, &t, c, i, j, I_PROD);
        ix_cat(b, sg_buf_str(&t));
        sg_buf_free(&t);
        return I_PROD;
    case SG_OP_HDIV:
        sg_buf_puts(b, "\\frac{");
        ix_expr(s, b, a, i, j);
        sg_buf_puts(b, "}{");
        ix_expr(s, b, c, is_scalar(c) ? NULL : i, is_scalar(c) ? NULL : j);
        sg_buf_puts(b, "}");
        return I_PROD;
    case SG_OP_POW:
        ix_sub(s, b, a, i, j, I_ATOM);
        sg_buf_printf(b, "^{%s}", texs(x, c, M_BOX, 1));
        return I_POST;
    case SG_OP_DOT: case SG_OP_SUM: case SG_OP_TRACE: {
        const char *r = a->shape.rows == SG_DIM_ONE ? NULL : ix_fresh(s);
        const char *q = e->op == SG_OP_TRACE ? r : a->shape.cols == SG_DIM_ONE ? NULL : ix_fresh(s);
        sg_buf_printf(b, "\\sum_{%s%s%s} ", r ? r : "", r && q && q != r ? "," : "",
                      q && q != r ? q : "");
        if (e->op == SG_OP_DOT && a == c) {
            ix_sub(s, b, a, r, q, I_ATOM);
            sg_buf_puts(b, "^{2}");
        } else {
            ix_sub(s, b, a, r, q, I_POST);
            if (e->op == SG_OP_DOT) {
                sg_buf_init(&t);
                ix_sub(s, &t, c, r, q, I_POST);
                ix_cat(b, sg_buf_str(&t));
                sg_buf_free(&t);
            }
        }
        return I_OP;
    }
    case SG_OP_DIAG:
        sg_buf_printf(b, "[%s = %s]\\,", i, j);
        ix_sub(s, b, a, i, NULL, I_POST);
        return I_PROD;
    case SG_OP_DIAGV:
        ix_sub(s, b, a, i, i, I_POST);
        return I_POST;
    case SG_OP_SEQSUM:
        sg_buf_printf(b, "\\sum_{t=%s}^{%s} ", index_tex(x, e->lo), index_tex(x, e->hi));
        ix_sub(s, b, a, i, j, I_PROD);
        return I_OP;
    default:
        if (sg_op_is_elementwise_unary(e->op) && e->op != SG_OP_SQRT && e->op != SG_OP_ABS) {
            sg_buf_printf(b, "%s(", tex_name_of_fn(e->op));
            ix_expr(s, b, a, i, j);
            sg_buf_puts(b, ")");
            return I_ATOM;
        }
        /* softmax(z)_i, (K^{-1})_{ij}: entries of a whole */
        sg_buf_puts(b, ix_entry(s, texs(x, e, M_BOX, 1), i, j));
        return I_ATOM;
    }
}

/* the index form of a result, as one more line of its align */
static void index_line(X *x, sg_buf *b, const sg_result *r)
{
    ixs s;
    sg_buf t;
    const char *lhs, *parts[1], *i, *j;
    const char *of = name_tex(x, r->of), *w = r->wrt ? name_tex(x, r->wrt) : "";
    sg_shape sh = r->display->shape;
    int k, saved;
    /* entry by entry, a long result (its tree perhaps exponential in its
       DAG) would not fit in the three lines allowed below anyway */
    if (shown_size(x, r->display, M_BOX, 300, 1) > 300)
        return;
    memset(&s, 0, sizeof s);
    s.x = x;
    for (k = 0; k < NIX_LETTERS; k++)
        if (sg_sym_find(x->ctx, ix_letters[k]) < 0 && sg_dim_find(x->ctx, ix_letters[k]) < 0)
            s.pool[s.npool++] = ix_letters[k];
    i = sh.rows == SG_DIM_ONE ? NULL : s.pool[s.next++];
    j = sh.cols == SG_DIM_ONE ? NULL : s.pool[s.next++];
    if (r->kind == SG_RES_GRAD)
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", of,
                              ix_entry(&s, w, i, j));
    else if (r->kind == SG_RES_JACOBIAN)
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", ix_entry(&s, of, i, NULL),
                              ix_entry(&s, w, j, NULL));
    else
        lhs = sg_arena_printf(x->ar, "\\frac{\\partial^2 %s}{\\partial %s\\,\\partial %s}", of,
                              ix_entry(&s, w, i, NULL),
                              ix_entry(&s, r->wrt2 ? name_tex(x, r->wrt2) : w, j, NULL));
    sg_buf_init(&t);
    saved = x->mode;
    x->mode = M_BOX; /* the namer's, for the entries' names */
    ix_expr(&s, &t, r->display, i, j);
    x->mode = saved;
    parts[0] = sg_arena_strdup(x->ar, sg_buf_str(&t));
    sg_buf_free(&t);
    if (width(parts[0]) > 3 * LINE_EMS)
        return; /* entry by entry it would not read better */
    equation(b, lhs, "", parts, 1, "\\text{(entry by entry)}");
}

/* ---- the seeds' content ------------------------------------------------------------ */

/*
 * What a course derives rather than cites: the softmax family's Jacobians
 * from first principles, before a rule built on them is used; the RNN's
 * vanishing and exploding gradients, from the recurrence's own step; the
 * gradient-descent updates (--update); and the Matrix Cookbook for each
 * matrix identity, with the symmetry a line uses said out loud.
 */

/* the first of the letters that the problem leaves free; the last one
   (with a prime) when all are taken */
static const char *free_letter(X *x, const char *const *pref, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (!taken(x, pref[i]))
            return pref[i];
    return sg_arena_printf(x->ar, "%s'", pref[n - 1]);
}

/* the bit of x->softmax_derived for a softmax-family op, 0 for another */
static int softmax_bit(sg_op op)
{
    return op == SG_OP_SOFTMAX ? 1 : op == SG_OP_LOGSOFTMAX ? 2 : op == SG_OP_LOGSUMEXP ? 4 : 0;
}

/* does e print as one name (a symbol, a named intermediate), fit to index? */
static int one_name(X *x, const sg_expr *e)
{
    if (e->op != SG_OP_VAR && !(e->id < x->nni && x->ni[e->id].fwd) && !e->name)
        return 0;
    return plain_name(texs(x, e, M_FORM, 1));
}

/* \bar{v}, for the adjoint of a name in the derivations below */
static const char *bar_of(X *x, const char *v)
{
    return sg_arena_printf(x->ar, "\\bar{%s}", v);
}

/*
 * The Jacobian of e (softmax, log-softmax or logsumexp of a) derived from
 * the definition, entry by entry, then vectorised; tag cites the rule it
 * justifies: the forward rule J(s) = (diag(s) − ssᵀ)J(a), or (reverse) the
 * rule that pushes an adjoint back through it, shown to be Jᵀ times the
 * adjoint. Once per op in a document: the rule is cited once.
 */
static void softmax_derivation(X *x, const sg_expr *e, const char *tag, int reverse)
{
    static const char *const zs[] = {"z", "a", "v"}, *const ss[] = {"s", "p", "q"},
                             *const ys[] = {"y", "u", "w"};
    sg_buf *b = x->out;
    const sg_expr *a = e->kid[0];
    int percol = a->shape.cols != SG_DIM_ONE, bit = softmax_bit(e->op);
    const char *z = texs(x, a, M_FORM, 1), *out = texs(x, e, M_FORM, 1), *s, *y = NULL;
    const char *zi, *zj, *zk, *si, *sj, *yi, *sum;
    if (!bit || (x->softmax_derived & bit))
        return;
    x->softmax_derived |= bit;
    sg_buf_printf(b, "\\paragraph{The %s of $%s$, from first principles.} ",
                  e->op == SG_OP_LOGSUMEXP ? "gradient" : "Jacobian", sg_latex_op(e->op));
    if (percol) { /* one column at a time: name the columns */
        const char *Z = z, *O = out;
        z = free_letter(x, zs, 3);
        sg_buf_printf(b, "$%s$ acts on each column of $%s$ alone: take one column $%s$ of $%s$", 
                      sg_latex_op(e->op), Z, z, Z);
        s = free_letter(x, ss, 3);
        if (e->op == SG_OP_SOFTMAX) {
            sg_buf_printf(b, ", and the same column $%s$ of $%s$. ", s, O);
        } else {
            sg_buf_puts(b, ". ");
        }
    } else {
        if (!one_name(x, a)) {
            const char *full = z;
            z = free_letter(x, zs, 3);
            sg_buf_printf(b, "Write $%s = %s$. ", z, full);
        }
        if (e->op == SG_OP_SOFTMAX) {
            s = out;
            if (!one_name(x, e)) {
                s = free_letter(x, ss, 3);
                sg_buf_printf(b, "Write $%s = \\operatorname{softmax}(%s)$. ", s, z);
            }
        } else {
            s = free_letter(x, ss, 3);
        }
    }
    if (e->op != SG_OP_SOFTMAX) {
        y = one_name(x, e) && !percol ? out : free_letter(x, ys, 3);
        if (y != out)
            sg_buf_printf(b, "Write $%s = %s(%s)$. ", y, sg_latex_op(e->op), z);
    }
    zi = entry(x, z, "i"), zj = entry(x, z, "j"), zk = entry(x, z, "k");
    si = entry(x, s, "i"), sj = entry(x, s, "j");
    sum = sg_arena_printf(x->ar, "\\sum_k e^{%s}", zk);
    switch (e->op) {
    case SG_OP_SOFTMAX:
        sg_buf_printf(b,
                      "By definition $%s = e^{%s}/%s$. The numerator's derivative is "
                      "$\\partial e^{%s}/\\partial %s = [i = j]\\,e^{%s}$ and the denominator's is "
                      "$e^{%s}$, so the quotient rule gives\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = \\frac{[i = j]\\,e^{%s}%s - "
                      "e^{%s}e^{%s}}{\\bigl(%s\\bigr)^2} = [i = j]\\,%s - %s%s,\n\\]\n",
                      si, zi, sum, zi, zj, zi, zj, si, zj, zi, sum, zi, zj, sum, si, si, sj);
        sg_buf_printf(b,
                      "that is, case by case,\n\\[\n  \\frac{\\partial %s}{\\partial %s} = "
                      "\\begin{cases} %s(1 - %s), & i = j,\\\\ -%s%s, & i \\ne j. \\end{cases}\n"
                      "\\]\n"
                      "Vectorised: entry $(i,j)$ of $%s%s^\\top$ is $%s%s$, and "
                      "$\\operatorname{diag}(%s)$ adds $%s$ on the diagonal, so\n"
                      "\\[\n  J = \\frac{\\partial %s}{\\partial %s} = \\operatorname{diag}(%s) - "
                      "%s%s^\\top.\n\\]\n",
                      si, zj, si, si, si, sj, s, s, si, sj, s, si, s, z, s, s, s);
        if (reverse)
            sg_buf_printf(b,
                          "$J$ is symmetric, so an adjoint $%s = \\partial %s/\\partial %s$ flows "
                          "back as\n"
                          "\\[\n  %s = J^\\top %s = \\operatorname{diag}(%s)%s - %s(%s^\\top %s) = "
                          "%s \\odot (%s - \\mathbf{1}\\mathbf{1}^\\top(%s \\odot %s)),\n\\]\n"
                          "since $%s^\\top %s = \\mathbf{1}^\\top(%s \\odot %s)$: this is rule %s below%s.\n\n",
                          bar_of(x, s), x->fname, s, bar_of(x, z), bar_of(x, s), s, bar_of(x, s), s, s,
                          bar_of(x, s), s, bar_of(x, s), s, bar_of(x, s), s, bar_of(x, s), s,
                          bar_of(x, s), tag, percol ? ", column by column" : "");
        else
            sg_buf_printf(b, "This is rule %s, used below.\n\n", tag);
        break;
    case SG_OP_LOGSOFTMAX:
        yi = entry(x, y, "i");
        sg_buf_printf(b,
                      "By definition $%s = %s - \\log %s$, so, with $%s = "
                      "\\operatorname{softmax}(%s)$,\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = [i = j] - \\frac{e^{%s}}{%s} = "
                      "[i = j] - %s = \\begin{cases} 1 - %s, & i = j,\\\\ -%s, & i \\ne j. "
                      "\\end{cases}\n\\]\n"
                      "Vectorised: every row of $\\mathbf{1}%s^\\top$ is $%s^\\top$, so\n"
                      "\\[\n  J = \\frac{\\partial %s}{\\partial %s} = I - \\mathbf{1}%s^\\top.\n\\]\n",
                      yi, zi, sum, s, z, yi, zj, zj, sum, sj, si, sj, s, s, y, z, s);
        if (reverse)
            sg_buf_printf(b,
                          "An adjoint $%s = \\partial %s/\\partial %s$ flows back as\n"
                          "\\[\n  %s = J^\\top %s = %s - %s(\\mathbf{1}^\\top %s) = %s - %s \\odot "
                          "\\mathbf{1}\\mathbf{1}^\\top %s:\n\\]\n"
                          "this is rule %s below%s.\n\n",
                          bar_of(x, y), x->fname, y, bar_of(x, z), bar_of(x, y), bar_of(x, y), s,
                          bar_of(x, y),
                          bar_of(x, y), s, bar_of(x, y), tag, percol ? ", column by column" : "");
        else
            sg_buf_printf(b, "This is rule %s, used below.\n\n", tag);
        break;
    default: /* logsumexp */
        sg_buf_printf(b,
                      "By definition $%s = \\log %s$, so\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = \\frac{e^{%s}}{%s} = %s,\n\\]\n"
                      "with $%s = \\operatorname{softmax}(%s)$: the gradient of $%s$ is $%s$, and "
                      "an adjoint $%s$ flows back as $%s = %s\\,%s$ (rule %s below%s).\n\n",
                      y, sum, y, zj, zj, sum, sj, s, z, y, s, bar_of(x, y), bar_of(x, z),
                      bar_of(x, y), s, tag, percol ? ", column by column" : "");
        break;
    }
}

/* ---- the Matrix Cookbook, and symmetry said out loud ------------------------------ */

/* The Matrix Cookbook's equation for the identity of the printer's rule r
   (an op, R_SCALE or R_SQNORM): the rule table's entry for that op */
static const char *cookbook_of(int r)
{
    int id;
    if (r == R_SCALE)
        return sg_rule_get(SG_RULE_SCALE_A)->cookbook;
    if (r == R_SQNORM)
        return sg_rule_get(SG_RULE_SQNORM)->cookbook;
    for (id = SG_RULE_NONE + 1; id < SG_RULE_COUNT; id++) {
        const sg_rule *e = sg_rule_get((sg_rule_id)id);
        if (e && e->kind == SG_RULE_REVERSE && (int)e->op == r && e->cookbook)
            return e->cookbook;
    }
    return NULL;
}

/* the tag of a rule in a list of rules: "(R4)", with its Cookbook equation
   when it has one, "Cookbook (37)\quad (R4)" */
static const char *rule_tag(X *x, const char *cookbook, const char *label)
{
    if (!cookbook)
        return label;
    x->cookbook = 1;
    return sg_arena_printf(x->ar, "\\textrm{Cookbook %s}\\quad %s", cookbook, label);
}

/* the bibliography, when a Cookbook equation was cited */
static void doc_references(X *x)
{
    if (!x->cookbook)
        return;
    sg_buf_puts(x->out, "\\subsection*{References}\n"
                        "K.~B. Petersen and M.~S. Pedersen, \\emph{The Matrix Cookbook}, version of "
                        "November 15, 2012. ``Cookbook ($n$)'' at a rule cites its equation "
                        "($n$).\n\n");
}

/* "K = XXᵀ + βI is symmetric", "S is declared symmetric": why a is */
static const char *why_symmetric(X *x, const sg_expr *a, const char *an)
{
    int i;
    if (a->op == SG_OP_VAR) {
        const sg_symbol *s = sg_sym(x->ctx, a->sym);
        if (s->props & SG_PROP_SPD)
            return sg_arena_printf(x->ar, "$%s$ is declared symmetric positive definite", an);
        if (s->props & SG_PROP_SYMMETRIC)
            return sg_arena_printf(x->ar, "$%s$ is declared symmetric", an);
    }
    for (i = 0; i < x->p->ndefs; i++) {
        const sg_def *d = &x->p->defs[i];
        if (d->name && d->expr == a)
        {
            sg_buf t;
            const char *r;
            sg_buf_init(&t);
            put_unbroken(&t, user_text(x, d->expr)); /* running text: no break marks */
            r = sg_arena_printf(x->ar, "$%s = %s$ is symmetric", an, sg_buf_str(&t));
            sg_buf_free(&t);
            return r;
        }
    }
    return sg_arena_printf(x->ar, "$%s$ is symmetric", an);
}

/*
 * After the rules of a pass are listed: where a rule gives A⁻ᵀ (the inverse,
 * det, log|det|) and A is symmetric, the lines write A⁻¹; say why, once per
 * matrix, citing the rules that took its inverse-transpose. One pass over
 * the edges: the matrices numbered by an idmap, each with the rules seen.
 */
static void symmetry_notes(X *x, const seg *s)
{
    sg_buf *b = x->out;
    sg_idmap m;
    const sg_expr **mats = sg_xmalloc(((size_t)s->ne + 1) * sizeof *mats);
    int *rs = sg_xmalloc(((size_t)s->ne + 1) * 3 * sizeof *rs); /* 3 rules per matrix */
    unsigned n0;
    int i, k;
    sg_idmap_init(&m, x->ctx);
    for (i = 0; i < s->ne; i++) {
        const sg_expr *y = s->e[i].node, *a;
        unsigned slot;
        int r, op;
        if (y->op != SG_OP_INV && y->op != SG_OP_DET && y->op != SG_OP_LOGDET)
            continue;
        a = y->kid[0];
        n0 = m.n;
        slot = sg_idmap_find(&m, a);
        if (slot == SG_IDMAP_NONE) {
            if (!sg_expr_is_symmetric(x->ctx, a))
                continue;
            slot = sg_idmap_add(&m, a);
            assert(slot == n0);
            mats[slot] = a;
            rs[3 * slot] = rs[3 * slot + 1] = rs[3 * slot + 2] = 0;
        }
        op = y->op == SG_OP_INV ? 0 : y->op == SG_OP_DET ? 1 : 2;
        r = x->cite[rule_of(y, 0)];
        if (r)
            rs[3 * slot + op] = r;
    }
    for (i = 0; i < (int)m.n; i++) {
        const char *an = texs(x, mats[i], M_FORM, 1), *tags = NULL;
        int nt = 0, sorted[3];
        /* the rules in the order of their numbers */
        for (k = 0; k < 3; k++)
            if (rs[3 * i + k]) {
                int j = nt++;
                while (j > 0 && sorted[j - 1] > rs[3 * i + k]) {
                    sorted[j] = sorted[j - 1];
                    j--;
                }
                sorted[j] = rs[3 * i + k];
            }
        for (k = 0; k < nt; k++)
            tags = tags ? sg_arena_printf(x->ar, "%s%s(R%d)", tags, k + 1 == nt ? " and " : ", ",
                                          sorted[k])
                        : sg_arena_printf(x->ar, "(R%d)", sorted[k]);
        if (!plain_name(an))
            an = sg_arena_printf(x->ar, "(%s)", an);
        sg_buf_printf(b, "Since %s, $%s^{-\\top} = (%s^{-1})^\\top = %s^{-1}$: where %s %s "
                         "$%s^{-\\top}$, the lines below write $%s^{-1}$.\n\n",
                      why_symmetric(x, mats[i], an), an, an, an, tags ? tags : "the rules",
                      nt == 1 ? "gives" : "give", an, an);
    }
    sg_idmap_free(&m);
    free(mats);
    free(rs);
}

/*
 * After the rules of a pass that sums a matrix or broadcasts a scalar (the
 * rules of sum(A) and s𝟙 make 𝟙ᵀȲ𝟙): the user's definitions whose entries
 * provably sum to zero (c = x − μ𝟙 with μ the mean of x, and z = c/s built
 * from it), so that a reader sees why such sums leave the lines below.
 */
static void centred_notes(X *x, const seg *s)
{
    sg_buf *b = x->out;
    int i, summed = 0, n = 0;
    for (i = 0; i < s->ne && !summed; i++)
        summed = s->e[i].node->op == SG_OP_SUM || s->e[i].node->op == SG_OP_FILL;
    if (!summed)
        return;
    for (i = 0; i < x->p->ndefs; i++) {
        const sg_def *d = &x->p->defs[i];
        const char *name;
        sg_buf t;
        if (!d->name || !d->expr || is_leaf(d->expr) || !d->expr->name ||
            strcmp(d->expr->name, d->name) || !in_seg(s, d->expr) ||
            !sg_expr_sums_to_zero(d->expr))
            continue;
        name = name_tex(x, d->name);
        sg_buf_init(&t);
        put_unbroken(&t, user_text(x, d->expr)); /* running text: no break marks */
        if (n++ == 0)
            sg_buf_printf(b, "Since $%s = %s$ takes the mean from every entry, "
                             "$\\mathbf{1}^\\top %s = 0$", name, sg_buf_str(&t), name);
        else
            sg_buf_printf(b, "; hence $\\mathbf{1}^\\top %s = 0$ too, as $%s = %s$", name, name,
                          sg_buf_str(&t));
        sg_buf_free(&t);
    }
    if (n)
        sg_buf_puts(b, ". Sums of these drop out of the lines below.\n\n");
}

/* before the rules of a pass are listed: the softmax family's Jacobians
   derived, whose rules the list then states and the lines use */
static void seed_derivations(X *x, const seg *s, int mark)
{
    int i, k;
    for (i = mark; i < x->ncited; i++) {
        int r = x->cited[i];
        if (!softmax_bit((sg_op)r))
            continue;
        for (k = 0; k < s->ne && (int)s->e[k].node->op != r; k++)
            ;
        if (k < s->ne)
            softmax_derivation(x, s->e[k].node, sg_arena_printf(x->ar, "(R%d)", i + 1), 1);
    }
}

/* ---- vanishing and exploding gradients ------------------------------------------ */

/* s with the loop's step index t, in every subscript, read as idx:
   h_t → h_j, h_{t-1} → h_{j-1}, z_{1,t} → z_{1,j} (the printers write
   steps relative to t, formula.c's pr_step and with_index above); the
   names in prot (a user's W_t) are copied as they are */
static const char *retime_raw(X *x, const char *s, const char *idx, const char *const *prot,
                              int nprot)
{
    sg_buf b;
    const char *r;
    size_t i, n = strlen(s);
    int p;
    sg_buf_init(&b);
    for (i = 0; i < n; i++) {
        for (p = 0; p < nprot; p++) {
            size_t m = strlen(prot[p]);
            if ((i == 0 || !is_alpha_c(s[i - 1])) && !strncmp(s + i, prot[p], m) &&
                !is_alpha_c(s[i + m]) && s[i + m] != '{' && !(s[i + m] >= '0' && s[i + m] <= '9'))
                break;
        }
        if (p < nprot) {
            sg_buf_puts(&b, prot[p]);
            i += strlen(prot[p]) - 1;
            continue;
        }
        sg_buf_putc(&b, s[i]);
        if (s[i] != '_' || (i > 0 && s[i - 1] == '\\'))
            continue;
        if (s[i + 1] == 't' && !is_alpha_c(s[i + 2]) && !(s[i + 2] >= '0' && s[i + 2] <= '9')) {
            sg_buf_printf(&b, strlen(idx) == 1 ? "%s" : "{%s}", idx);
            i++;
        } else if (s[i + 1] == '{') { /* a group: a standalone t in it */
            int depth = 0;
            size_t k;
            for (k = i + 1; k < n; k++) {
                char c = s[k], pc = s[k - 1], q = s[k + 1];
                if (c == '{')
                    depth++;
                else if (c == '}')
                    depth--;
                if (c == 't' && depth == 1 && (pc == '{' || pc == ',' || pc == ' ') &&
                    (q == '}' || q == '+' || q == '-' || q == ','))
                    sg_buf_puts(&b, idx);
                else
                    sg_buf_putc(&b, c);
                if (depth == 0)
                    break;
            }
            i = k;
        }
    }
    r = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/* retime_raw, the user's own names that carry a subscript t (W_t) kept */
static const char *retime(X *x, const char *s, const char *idx)
{
    const char **prot = sg_arena_alloc(x->ar, ((size_t)x->nsyms0 + (size_t)x->p->ndefs + 1) *
                                                  sizeof *prot);
    int i, n = 0;
    for (i = 0; i < x->nsyms0 + x->p->ndefs; i++) {
        const char *raw = i < x->nsyms0 ? sg_sym(x->ctx, i)->name : x->p->defs[i - x->nsyms0].name;
        const char *t;
        if (!raw || (i < x->nsyms0 && sg_sym(x->ctx, i)->seq >= 0))
            continue; /* a sequence's name takes the step index: x_t */
        t = name_tex(x, raw);
        if (strcmp(retime_raw(x, t, "j", NULL, 0), t))
            prot[n++] = t;
    }
    return retime_raw(x, s, idx, prot, n);
}

/* sup |f′| of an elementwise f, in TeX and as a number; NULL when f′ is
   unbounded (exp, log, √) */
static const char *fprime_bound(sg_op op, double *v)
{
    switch (op) {
    case SG_OP_TANH: case SG_OP_RELU: case SG_OP_SOFTPLUS: case SG_OP_SIN: case SG_OP_COS:
    case SG_OP_ABS:
        *v = 1;
        return "1";
    case SG_OP_SIGMOID:
        *v = 0.25;
        return "\\tfrac{1}{4}";
    case SG_OP_SWISH: /* swish′(z) = σ(z)(1 + z(1 − σ(z))), largest at z ≈ 2.40 */
        *v = 1.0998;
        return "1.0998";
    case SG_OP_STEP: case SG_OP_SIGN:
        *v = 0;
        return "0";
    default:
        return NULL;
    }
}

/* one factor of the step Jacobian ∂h_t/∂h_{t−1} = F_1 F_2 ⋯ */
typedef struct {
    const char *tex;   /* diag(𝟙 − h_t ⊙ h_t), W_hh, 2 */
    const char *why;   /* diag(tanh′(a_t)): what it is, or NULL */
    const char *norm;  /* its spectral norm, or a bound of it, in TeX */
    const char *gamma; /* the bound of an elementwise f′ it uses, or NULL */
    double gv;
    sg_op f;           /* that f; SG_OP_COUNT for none */
    int rule;          /* the rule it comes from, cited */
    int bounded;       /* its norm has a bound independent of the step */
} jfactor;

/* the derivative f′ an elementwise step's rule multiplied its adjoint by,
   as the log recorded it: contrib = g ⊙ f′ */
static const sg_expr *logged_fprime(X *x, const sg_expr *y, const sg_expr *g, const sg_expr *c)
{
    if (c->op == SG_OP_HADAMARD && c->kid[0] == g)
        return c->kid[1];
    if (c->op == SG_OP_HADAMARD && c->kid[1] == g)
        return c->kid[0];
    /* simplified past recognition: the rule's own derivative, as jac_form */
    return sg_deriv_fprime(x->dv, y);
}

/*
 * The RNN's vanishing and exploding gradients, for the recurrence q of log
 * g: the step Jacobian read off the lines of one step (the path from the
 * step body down to h[t−1], one factor per rule), its product over steps,
 * and the bound through the norms of its factors.
 */
static void doc_vanishing(X *x, const sg_log *g, int q)
{
    sg_buf *b = x->out;
    const sg_seq *h = sg_seq_of(x->ctx, q);
    const sg_expr *prev = sg_deriv_step(x->dv, q, -1), *c;
    const sg_step *rec = NULL;
    static const char *const ks[] = {"k", "\\tau"}, *const js[] = {"j", "i", "m"};
    const char *ht, *hp, *hk, *kk, *jj, *J, *Jj, *Jt, *bound = NULL, *into = NULL;
    jfactor *f;
    int nf = 0, k, end, chain = 1, all_bounded = 1;
    double gprod = 1;
    seg sg;
    if (h->kind != SG_SEQ_FORWARD || h->shape.cols != SG_DIM_ONE)
        return; /* a matrix state: its Jacobian is not a matrix of the page */
    for (k = 0; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_SEQ_REC && g->steps[k].seq == q) {
            rec = &g->steps[k];
            break;
        }
    if (!rec)
        return;
    for (end = k + 1; end < g->nsteps && g->steps[end].kind < SG_STEP_SEQ_SUM &&
                      g->steps[end].kind != SG_STEP_JACOBIAN;
         end++)
        ;
    seg_build(x, &sg, g, k + 1, end, rec->node, (sg_expr *)rec->adjoint);
    if (sv(&sg, prev)->nin == 0) { /* h[t] does not read h[t−1] */
        seg_free(&sg);
        return;
    }
    f = sg_xmalloc(((size_t)sg.ne + 1) * sizeof *f);
    /* up from h[t−1] to the body, one edge at a time: the factors right to left */
    for (c = prev; c != rec->node && chain;) {
        const segnode *n = sv(&sg, c);
        const edge *e;
        const sg_expr *y;
        jfactor *fc = &f[nf];
        if (n->nin != 1) {
            chain = 0;
            break;
        }
        e = &sg.e[n->firstin];
        y = e->node;
        memset(fc, 0, sizeof *fc);
        fc->f = SG_OP_COUNT;
        fc->bounded = 1;
        fc->rule = x->cite[rule_of(y, e->merged)];
        if (y->op == SG_OP_ADD) {
            fc->tex = NULL; /* the identity */
        } else if (y->op == SG_OP_MUL && is_scalar(y->kid[0]) && e->kid == 1) {
            fc->tex = factor(x, y->kid[0], M_FORM);
            fc->norm = sg_arena_printf(x->ar, "\\lvert %s\\rvert", fc->tex);
            fc->bounded = !sg_expr_varies(y->kid[0]);
        } else if (y->op == SG_OP_MUL && e->kid == 1 && !is_scalar(y)) {
            fc->tex = factor(x, y->kid[0], M_FORM);
            fc->norm = sg_arena_printf(x->ar, "\\lVert %s\\rVert_2", fc->tex);
            fc->bounded = !sg_expr_varies(y->kid[0]);
        } else if (y->op == SG_OP_HADAMARD) {
            const char *d = texs(x, y->kid[1 - e->kid], M_FORM, 1);
            fc->tex = sg_arena_printf(x->ar, "\\operatorname{diag}(%s)", d);
            fc->norm = sg_arena_printf(x->ar, "\\max_i \\lvert %s\\rvert", entry(x, d, "i"));
            fc->bounded = !sg_expr_varies(y->kid[1 - e->kid]);
        } else if (sg_op_is_elementwise_unary(y->op) && y->op != SG_OP_SEQSTEP) {
            const sg_expr *d = logged_fprime(x, y, sv(&sg, y)->adj, e->contrib);
            const char *a = texs(x, y->kid[0], M_FORM, 1);
            fc->f = y->op;
            fc->tex = sg_arena_printf(x->ar, "\\operatorname{diag}(%s)", value_text(x, d, M_CLOSED, 0));
            fc->why = sg_arena_printf(x->ar, "\\operatorname{diag}(%s(%s))", prime_of(x, y->op), a);
            fc->gamma = fprime_bound(y->op, &fc->gv);
            fc->norm = sg_arena_printf(x->ar, "\\max_i \\lvert %s(%s)\\rvert",
                                       prime_of(x, y->op), entry(x, a, "i"));
            fc->bounded = fc->gamma != NULL;
        } else {
            chain = 0;
            break;
        }
        if (fc->tex)
            nf++;
        c = y;
    }
    ht = step_tex(x, q, 0);
    hp = texs(x, prev, M_FORM, 1);
    kk = free_letter(x, ks, 2);
    jj = free_letter(x, js, 3);
    hk = retime(x, ht, kk);
    {   /* what the lines of one step gave h[t−1] */
        const segnode *n = sv(&sg, prev);
        if (n->nin == 1)
            into = value_text(x, sg.e[n->firstin].contrib, M_CLOSED, 0);
    }
    sg_buf_puts(b, "\\subsection*{Vanishing and exploding gradients}\n");
    sg_buf_printf(b, "Unrolling the recurrence for $\\delta$, $\\delta_{%s}$ collects the direct term "
                     "of every later step $t \\ge %s$, carried back to $%s$ by $(\\partial %s/"
                     "\\partial %s)^\\top$. That Jacobian is a product of one Jacobian per step, ",
                  kk, kk, hk, ht, hk);
    /* J_t: the step Jacobian, its factors in order from the body down */
    {
        sg_buf jb, wb;
        int i, any = 0;
        sg_buf_init(&jb);
        sg_buf_init(&wb);
        for (i = nf - 1; chain && i >= 0; i--) {
            if (jb.len && (f[i].tex[0] != '\\' || is_alpha_c(f[i].tex[1])) &&
                is_alpha_c(jb.data[jb.len - 1]))
                sg_buf_putc(&jb, ' ');
            sg_buf_puts(&jb, f[i].tex);
            sg_buf_puts(&wb, f[i].why ? f[i].why : f[i].tex);
            any |= f[i].why != NULL;
        }
        Jt = chain && jb.len ? sg_arena_strdup(x->ar, sg_buf_str(&jb)) : NULL;
        J = chain && any ? sg_arena_strdup(x->ar, sg_buf_str(&wb)) : NULL;
        sg_buf_free(&jb);
        sg_buf_free(&wb);
    }
    if (Jt) {
        sg_buf_printf(b, "read off the lines of one step above: what reaches $%s$ is "
                         "$(\\partial %s/\\partial %s)^\\top\\delta_t", hp, ht, hp);
        if (into)
            sg_buf_printf(b, " = %s", into);
        sg_buf_puts(b, "$, one factor per rule, so\n\\begin{align*}\n");
        sg_buf_printf(b, "  \\frac{\\partial %s}{\\partial %s} &= %s%s%s", ht, hp,
                      J ? J : "", J ? " = " : "", Jt);
        {
            char tags[256];
            size_t cl = 0;
            int i;
            tags[0] = '\0';
            for (i = nf - 1; i >= 0; i--)
                if (f[i].rule && cl + 16 < sizeof tags)
                    cl += (size_t)snprintf(tags + cl, sizeof tags - cl, "%sR%d", cl ? ", " : "",
                                           f[i].rule);
            if (cl)
                sg_buf_printf(b, " \\tag*{(%s)}", tags);
        }
        sg_buf_puts(b, "\n\\end{align*}\n");
        Jj = retime(x, Jt, jj);
    } else {
        sg_buf_printf(b, "$J_t = \\partial %s/\\partial %s$, the Jacobian of one step (what "
                         "reaches $%s$ in the lines of one step above is $J_t^\\top\\delta_t",
                      ht, hp, hp);
        if (into)
            sg_buf_printf(b, " = %s", into);
        sg_buf_puts(b, "$),\n");
        Jj = NULL;
    }
    sg_buf_printf(b, "and so, by the chain rule, for $%s < t$\n\\begin{align*}\n", kk);
    sg_buf_printf(b, "  \\frac{\\partial %s}{\\partial %s} &= \\frac{\\partial %s}{\\partial %s}"
                     "\\,\\frac{\\partial %s}{\\partial %s} \\cdots \\frac{\\partial %s}"
                     "{\\partial %s} = \\prod_{%s=%s+1}^{t} %s",
                  ht, hk, ht, hp, hp, retime(x, ht, "t-2") /* h_{t-2} */, retime(x, ht,
                  sg_arena_printf(x->ar, "%s+1", kk)), hk, jj, kk,
                  Jj ? Jj : sg_arena_printf(x->ar, "J_{%s}", jj));
    sg_buf_puts(b, "\n\\end{align*}\n");
    sg_buf_printf(b, "with the factor of step $t$ on the left and that of step $%s+1$ on the "
                     "right.\n", kk);
    /* the bound: the spectral norm is submultiplicative */
    if (Jt) {
        sg_buf nb, cb, gb;
        int i, ng = 0, gt1 = 0, ndiag = 0;
        sg_buf_init(&nb);
        sg_buf_init(&cb);
        sg_buf_init(&gb);
        for (i = nf - 1; i >= 0; i--) {
            ndiag += !strncmp(f[i].tex, "\\operatorname{diag}", 19);
            if (nb.len)
                sg_buf_puts(&nb, "\\,");
            sg_buf_puts(&nb, retime(x, f[i].norm, jj));
            if (!f[i].bounded)
                all_bounded = 0;
            else if (f[i].gamma) {
                sg_buf_printf(&gb, "%s$\\max_z \\lvert %s(z)\\rvert = %s$", ng ? ", " : "",
                              prime_of(x, f[i].f), f[i].gamma);
                gprod *= f[i].gv;
                gt1 |= f[i].gv > 1;
                ng++;
            } else {
                if (cb.len)
                    sg_buf_puts(&cb, " \\, ");
                sg_buf_puts(&cb, f[i].norm);
            }
        }
        for (i = nf - 1; i >= 0; i--) /* the f′ bounds after the norms */
            if (f[i].bounded && f[i].gamma)
                sg_buf_printf(&cb, "%s\\max\\lvert %s\\rvert", cb.len ? " \\cdot " : "",
                              prime_of(x, f[i].f));
        if (all_bounded) {
            const char *cst = sg_buf_str(&cb);
            /* one norm takes its power without parentheses */
            int bare = nf == 1 && !ng;
            sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative%s"
                             "%s%s%s, so\n\\begin{align*}\n",
                          ndiag ? ", and $\\lVert\\operatorname{diag}(d)\\rVert_2 = \\max_i "
                          "\\lvert d_i\\rvert$; " : "; ", ng ? "with " : "", sg_buf_str(&gb),
                          ng ? "" : "every factor is the same at every step");
            sg_buf_printf(b, "  \\left\\lVert \\frac{\\partial %s}{\\partial %s}\\right\\rVert_2 "
                             "&\\le \\prod_{%s=%s+1}^{t} %s\\\\\n  &\\le %s%s%s^{t-%s}",
                          ht, hk, jj, kk, sg_buf_str(&nb), bare ? "" : "\\bigl(", cst, bare ? "" : "\\bigr)", kk);
            /* the constant without the f′ bounds, when they are at most 1 */
            if (ng && !gt1) {
                sg_buf mb;
                sg_buf_init(&mb);
                for (i = nf - 1; i >= 0; i--)
                    if (!f[i].gamma) {
                        if (mb.len)
                            sg_buf_puts(&mb, " \\, ");
                        sg_buf_puts(&mb, f[i].norm);
                    }
                if (mb.len) {
                    bound = sg_arena_strdup(x->ar, sg_buf_str(&mb));
                    sg_buf_printf(b, nf - ng == 1 ? " \\le %s^{t-%s}" : " \\le \\bigl(%s\\bigr)^{t-%s}",
                                  bound, kk);
                }
                sg_buf_free(&mb);
            } else {
                bound = cst;
            }
            sg_buf_puts(b, "\n\\end{align*}\n");
            if (bound && gprod > 0) {
                const char *thr = gprod < 1 && ng ? sg_arena_printf(x->ar, "%g", 1 / gprod) : "1";
                sg_buf_printf(b, "If $%s < %s$, the bound decays geometrically in the distance "
                                 "$t - %s$: what the loss at step $t$ contributes to $\\delta_{%s}$ "
                                 "shrinks exponentially, and the gradient carries almost nothing "
                                 "from far-away steps (vanishing gradients)",
                              bound, thr, kk, kk);
                if (ng && gprod <= 1)
                    sg_buf_printf(b, "; each factor $%s$ can only shrink it further, most where "
                                     "the units saturate", f[nf - 1].f != SG_OP_COUNT
                                     ? retime(x, f[nf - 1].why ? f[nf - 1].why : f[nf - 1].tex, jj)
                                     : "\\operatorname{diag}(\\cdot)");
                sg_buf_printf(b, ". If $%s > %s$, the bound grows exponentially in $t - %s$ and "
                                 "the product may grow with it, where the states stay out of "
                                 "saturation along the largest singular direction (exploding "
                                 "gradients, which is why gradients are clipped); a bound that "
                                 "grows allows this but does not force it.\n\n",
                              bound, thr, kk);
            } else if (gprod > 0) { /* no matrix in the step: the f′ bounds alone */
                sg_buf_printf(b, "The step has no matrix: the bound is $(%s)^{t-%s}$, so %s.\n\n",
                              cst, kk, gprod < 1 ? "the gradient from far-away steps vanishes "
                              "geometrically, whatever the states" : gprod == 1 ? "the gradient "
                              "cannot explode, and it vanishes wherever the units saturate"
                              : "it may grow geometrically (exploding gradients) where the units "
                              "stay near the largest slope");
            } else {
                sg_buf_puts(b, "Every factor of the step Jacobian is zero almost everywhere, so "
                               "the gradient does not flow back through the states at all.\n\n");
            }
        } else {
            sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative, so\n"
                             "\\begin{align*}\n  \\left\\lVert \\frac{\\partial %s}{\\partial %s}"
                             "\\right\\rVert_2 &\\le \\prod_{%s=%s+1}^{t} %s\n\\end{align*}\n",
                          ht, hk, jj, kk, sg_buf_str(&nb));
            sg_buf_puts(b, "A factor here has no bound that holds at every step, so the product "
                           "is bounded step by step only: where the factors' norms stay below 1 "
                           "it vanishes geometrically, where they stay above 1 it may explode.\n\n");
        }
        sg_buf_free(&nb);
        sg_buf_free(&cb);
        sg_buf_free(&gb);
    } else {
        sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative, so "
                         "$\\lVert \\partial %s/\\partial %s\\rVert_2 \\le \\prod_{%s=%s+1}^{t} "
                         "\\lVert J_{%s}\\rVert_2 \\le (\\max_%s \\lVert J_%s\\rVert_2)^{t-%s}$: "
                         "below 1 the gradient from far-away steps vanishes geometrically, above "
                         "1 it may explode.\n\n",
                      ht, hk, jj, kk, jj, jj, jj, kk);
    }
    free(f);
    seg_free(&sg);
}

/* ---- gradient-descent updates (--update) --------------------------------------- */

/* the learning rate's letter: η unless the problem uses it */
static const char *rate_name(X *x)
{
    static const char *const tex[] = {"\\eta", "\\alpha", "\\gamma", "\\lambda"},
                             *const names[][2] = {{"eta", "η"}, {"alpha", "α"}, {"gamma", "γ"},
                                                  {"lambda", "λ"}};
    int i;
    for (i = 0; i < 4; i++)
        if (!taken(x, names[i][0]) && !taken(x, names[i][1]))
            return tex[i];
    return "\\eta'";
}

/* η times a closed form: in parentheses when it is a sum */
static const char *times_rate(X *x, const char *eta, const sg_expr *e, const char *text)
{
    int sum = e->op == SG_OP_ADD || negated(e) || (e->op == SG_OP_CONST && e->value < 0);
    return sum ? sg_arena_printf(x->ar, "%s\\bigl(%s\\bigr)", eta, text)
               : sg_arena_printf(x->ar, "%s\\,%s", eta, text);
}

/*
 * Each parameter the gradient was asked for, one step of gradient descent:
 * vectorised, W ← W − η∇_W L with ∇_W L in closed form, and entry by entry,
 * W_ij ← W_ij − η ∂L/∂W_ij with ∂L/∂W_ij in index notation (as --index
 * writes it).
 */
static void doc_updates(X *x)
{
    sg_buf *b = x->out;
    const char *eta = rate_name(x);
    int i, n = 0;
    size_t start = 0;
    for (i = 0; i < x->p->nresults; i++) {
        const sg_result *r = &x->p->results[i];
        const char *w, *of, *parts[2], *closed;
        int sym, saved;
        sg_shape sh;
        if (r->kind != SG_RES_GRAD || !r->wrt || !r->display)
            continue;
        sym = sg_sym_find(x->ctx, r->wrt);
        if (sym < 0 || sg_sym(x->ctx, sym)->seq >= 0)
            continue; /* a defined value or a sequence: not a parameter */
        if (n++ == 0) {
            sg_buf_printf(b, "\\subsection*{Gradient-descent updates}\n"
                             "One step of gradient descent with learning rate $%s > 0$ moves each "
                             "parameter against its gradient, all at once (every gradient is "
                             "evaluated before any parameter changes); vectorised, with the "
                             "gradients above in closed form, and entry by entry:\n"
                             "\\begin{align*}\n",
                          eta);
            start = b->len;
        } else { /* an align per parameter: a document without \allowdisplaybreaks
                    (where a fragment goes) cannot break one, and all of them
                    outgrow a page */
            end_align(b, start);
            sg_buf_puts(b, "\\begin{align*}\n");
            start = b->len;
        }
        w = name_tex(x, r->wrt);
        of = name_tex(x, r->of);
        sh = r->display->shape;
        x->fname = of;
        closed = result_text(x, r->display, NULL);
        parts[0] = sg_arena_printf(x->ar, "%s - %s\\nabla_{%s} %s", w, eta, w, of);
        parts[1] = sg_arena_printf(x->ar, "%s - %s", w, times_rate(x, eta, r->display, closed));
        equation(b, w, "\\leftarrow ", parts, 2, "");
        if (sh.rows == SG_DIM_ONE && sh.cols == SG_DIM_ONE)
            continue; /* a scalar: the same line entry by entry */
        {
            ixs s;
            sg_buf t;
            const char *ii, *jj, *we, *rhs = NULL;
            int k;
            memset(&s, 0, sizeof s);
            s.x = x;
            for (k = 0; k < NIX_LETTERS; k++)
                if (sg_sym_find(x->ctx, ix_letters[k]) < 0 && sg_dim_find(x->ctx, ix_letters[k]) < 0)
                    s.pool[s.npool++] = ix_letters[k];
            ii = sh.rows == SG_DIM_ONE ? NULL : ix_fresh(&s);
            jj = sh.cols == SG_DIM_ONE ? NULL : ix_fresh(&s);
            we = ix_entry(&s, w, ii, jj);
            if (shown_size(x, r->display, M_BOX, 300, 1) <= 300) {
                sg_buf_init(&t);
                saved = x->mode;
                x->mode = M_BOX;
                k = ix_expr(&s, &t, r->display, ii, jj);
                x->mode = saved;
                if (width(sg_buf_str(&t)) <= 3 * LINE_EMS)
                    rhs = k <= I_SUM ? sg_arena_printf(x->ar, "%s\\bigl(%s\\bigr)", eta,
                                                       sg_buf_str(&t))
                                     : sg_arena_printf(x->ar, "%s\\,%s", eta, sg_buf_str(&t));
                sg_buf_free(&t);
            }
            parts[0] = sg_arena_printf(x->ar, "%s - %s\\frac{\\partial %s}{\\partial %s}", we, eta,
                                       of, we);
            parts[1] = rhs ? sg_arena_printf(x->ar, "%s - %s", we, rhs) : NULL;
            equation(b, we, "\\leftarrow ", parts, rhs ? 2 : 1, "");
        }
    }
    if (n > 0) {
        end_align(b, start);
        sg_buf_puts(b, "\n");
    }
}
