/*
 * tex_names.c: which nodes the derivation names, and how a node prints.
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
 * matrix products between stations are passed through (TEX_K_PASS): their
 * rules compose into the line of the station below, so that "through v"
 * reads u(∂L/∂v)ᵀ rather than a transpose of a product. An op that is
 * neither (K⁻¹ under tr(K⁻¹YYᵀ)) gets a line of its own (TEX_K_AUX),
 * ∂L/∂K⁻¹ = −½YYᵀ.
 *
 * Names are the same in every part of the document: the printer's namer
 * (tex_namer) maps a node to its station name, a placeholder to its ∂L/∂·,
 * a long elementwise derivative to f′(a) (swish′(z₁)), and, in values, the
 * adjoint of an earlier line to its ∂L/∂· when it is long; which of them
 * apply depends on what is printed (the TEX_M_* modes). What the document
 * knows of a node is its tex_node, by node id.
 */
#include "tex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

void tex_list_push(tex_list *l, const sg_expr *e)
{
    SG_GROW(l->v, l->n, l->cap, SG_GROW_MAX, "nodes in a list of the derivation");
    l->v[l->n++] = e;
}

void tex_list_push_unique(tex_list *l, const sg_expr *e)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == e)
            return;
    tex_list_push(l, e);
}

/*
 * The nodes of e in the order of its text, each once (a shared node is not
 * walked again), without recursion: what factors_with() and step_inputs()
 * look through, at the cost of e's DAG. With seqs, also through the bodies
 * and initial values of the recurrences e reads.
 */
void tex_dag_nodes(tex_doc *x, const sg_expr *e, int seqs, tex_list *out)
{
    sg_idmap seen; /* sized by e's DAG, not by every node made */
    tex_list stack = {NULL, 0, 0};
    int k;
    sg_idmap_init(&seen, x->ctx);
    tex_list_push(&stack, e);
    while (stack.n > 0) {
        const sg_expr *t = stack.v[--stack.n];
        if (sg_idmap_find(&seen, t) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&seen, t);
        tex_list_push(out, t);
        if (seqs && (t->op == SG_OP_AT || t->op == SG_OP_SEQSTEP) && t->seq >= 0) {
            const sg_seq *q = sg_seq_get(x->ctx, t->seq);
            if (q->body)
                tex_list_push(&stack, q->body);
            if (q->init)
                tex_list_push(&stack, q->init);
        }
        for (k = t->nkids - 1; k >= 0; k--) /* the first kid on top: walked first */
            tex_list_push(&stack, t->kid[k]);
    }
    free(stack.v);
    sg_idmap_free(&seen);
}

/* ---- node information ------------------------------------------------------- */

tex_node *tex_node_of(tex_doc *x, const sg_expr *e)
{
    if (e->id >= x->nni) {
        unsigned old = x->nni;
        SG_GROW(x->ni, e->id, x->nni, SG_GROW_MAX, "nodes");
        memset(x->ni + old, 0, (x->nni - old) * sizeof *x->ni);
    }
    x->ni[e->id].node = e;
    return &x->ni[e->id];
}

const char *tex_namer(void *arg, const sg_expr *e)
{
    tex_doc *x = arg;
    const tex_node *n;
    if (e->id >= x->nni)
        return NULL;
    n = &x->ni[e->id];
    if (n->ph)
        return n->ph;
    if (n->fwd && (x->mode == TEX_M_FORM || x->mode == TEX_M_FWD ||
                   ((x->mode == TEX_M_VALUE || x->mode == TEX_M_CLOSED) && n->heavy) ||
                   (x->mode == TEX_M_BOX && n->boxed)))
        return n->fwd;
    if (n->fp && x->mode != TEX_M_FWD)
        return n->fp;
    if (n->adj && x->mode == TEX_M_VALUE && e != x->hide)
        return n->adj;
    if (n->boxname && x->mode == TEX_M_BOX && e != x->hide)
        return n->boxname;
    return NULL;
}

static int name_level(void *arg, const sg_expr *e)
{
    const char *s = tex_namer(arg, e);
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
static int size_rec(tex_doc *x, const sg_expr *e, int cap, int root)
{
    int n = 1, k;
    if (cap <= 1 || e->nkids == 0 || (!root && tex_namer(x, e)))
        return 1;
    for (k = 0; k < e->nkids && n <= cap; k++)
        n += size_rec(x, e->kid[k], cap - n, 0);
    return n;
}

int tex_shown_size(tex_doc *x, const sg_expr *e, int mode, int cap, int named_root)
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
int tex_print(tex_doc *x, sg_buf *b, const sg_expr *e, int mode, int named_root, int breaks)
{
    sg_fmt_style st;
    int saved = x->mode, p;
    if (tex_shown_size(x, e, mode, PRINT_CAP, named_root) > PRINT_CAP) {
        sg_buf_puts(b, ELIDED);
        return SG_FMT_ATOM;
    }
    memset(&st, 0, sizeof st);
    st.alphabet = SG_FMT_LATEX;
    st.namer = tex_namer;
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
static const char *print_str(tex_doc *x, const sg_expr *e, int mode, int named_root, int breaks)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    tex_print(x, &b, e, mode, named_root, breaks);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

const char *tex_str(tex_doc *x, const sg_expr *e, int mode, int named_root)
{
    return print_str(x, e, mode, named_root, 0);
}

/* the same with break marks, for the parts of an equation */
const char *tex_str_breaks(tex_doc *x, const sg_expr *e, int mode, int named_root)
{
    return print_str(x, e, mode, named_root, 1);
}

/* e as a factor of a product: parenthesized below product level */
const char *tex_factor(tex_doc *x, const sg_expr *e, int mode)
{
    sg_buf b;
    const char *s;
    int p;
    sg_buf_init(&b);
    p = tex_print(x, &b, e, mode, 1, 0);
    if (p < SG_FMT_PROD || p == SG_FMT_NEG)
        s = sg_arena_printf(x->ar, "\\left(%s\\right)", sg_buf_str(&b));
    else
        s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* e as the user wrote it: only definitions named */
const char *tex_user_text(tex_doc *x, const sg_expr *e)
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

const char *tex_name(tex_doc *x, const char *name)
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
static const char *ref_tex(tex_doc *x, sg_dim d, int q, long off, const sg_index *at)
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

const char *tex_dim(tex_doc *x, sg_dim d)
{
    return ref_tex(x, d, -1, 0, NULL);
}

const char *tex_step(tex_doc *x, int q, long off)
{
    return ref_tex(x, 0, q, off, NULL);
}

const char *tex_at(tex_doc *x, int q, sg_index at)
{
    return ref_tex(x, 0, q, 0, &at);
}

/* \mathbb{R}^{m\times n} */
const char *tex_shape(tex_doc *x, sg_shape s)
{
    const char *r = tex_dim(x, s.rows);
    const char *c = tex_dim(x, s.cols);
    if (sg_shape_is_scalar(s))
        return "\\mathbb{R}";
    if (s.cols == SG_DIM_ONE)
        return sg_arena_printf(x->ar, "\\mathbb{R}^{%s}", r);
    return sg_arena_printf(x->ar, "\\mathbb{R}^{%s\\times %s}", r, c);
}

/* ---- rules instantiated ------------------------------------------------------- */

/* has e a negative constant coefficient: (−1)·y, −2·A */
int tex_negated(const sg_expr *e)
{
    return e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0;
}

/* ---- which nodes are named ------------------------------------------------------- */

int tex_is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

int tex_is_leaf(const sg_expr *e)
{
    return e->nkids == 0;
}

/* a matrix product (not a scaling) */
int tex_is_matmul(const sg_expr *e)
{
    return e->op == SG_OP_MUL && !tex_is_scalar(e->kid[0]);
}

/* softmax and the elementwise functions: what a pre-activation feeds */
static int is_nonlinear(sg_op op)
{
    return sg_op_is_elementwise_unary(op) || op == SG_OP_SOFTMAX || op == SG_OP_LOGSOFTMAX ||
           op == SG_OP_LOGSUMEXP;
}

/* an op nobody names: ᵀ, a scaling, a fill, a division by a constant */
int tex_is_trivial(tex_doc *x, const sg_expr *e)
{
    switch (e->op) {
    case SG_OP_TRANSPOSE: case SG_OP_FILL:
        return 1;
    case SG_OP_MUL:
        return tex_is_scalar(e->kid[0]);
    case SG_OP_HDIV:
        return tex_is_scalar(e->kid[1]) && !tex_node_of(x, e->kid[1])->needed;
    default:
        return tex_is_leaf(e);
    }
}

/* the logs of the problem's results, each once, in result order */
int tex_has_seed(const sg_log *l)
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

static void edge_add(tex_doc *x, pedges *l, const sg_expr *parent, const sg_expr *child)
{
    tex_node_of(x, parent)->needed = 1;
    tex_node_of(x, child)->needed = 1;
    SG_GROW(l->e, l->n, l->cap, SG_GROW_MAX, "edges in the backward passes");
    l->e[l->n].parent = parent->id;
    l->e[l->n].child = child->id;
    l->n++;
    if (!tex_node_of(x, child)->parent)
        tex_node_of(x, child)->parent = parent;
}

static int by_edge(const void *pa, const void *pb)
{
    const pedge *a = pa, *b = pb;
    if (a->child != b->child)
        return a->child < b->child ? -1 : 1;
    return a->parent < b->parent ? -1 : a->parent > b->parent ? 1 : 0;
}

/* the nodes of every backward pass, their parents, and the owners */
void tex_find_needed(tex_doc *x, const sg_log **logs, int nlogs)
{
    pedges l = {NULL, 0, 0};
    int i, k;
    for (i = 0; i < nlogs; i++) {
        const sg_log *g = logs[i];
        int seed = tex_has_seed(g);
        if (g->f) {
            tex_node_of(x, g->f)->needed = 1;
            tex_node_of(x, g->f)->owner = 1;
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
                tex_node_of(x, s->node)->needed = 1;
                tex_node_of(x, s->node)->owner = 1;
                break;
            case SG_STEP_JACOBIAN:
                if (!seed) { /* a Jacobian alone: its nodes are the function's */
                    int j;
                    tex_node_of(x, s->node)->needed = 1;
                    for (j = 0; j < s->node->nkids; j++)
                        if (tex_node_of(x, s->node->kid[j])->needed)
                            edge_add(x, &l, s->node, s->node->kid[j]);
                }
                break;
            default:
                if (s->node)
                    tex_node_of(x, s->node)->needed = 1;
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
static int region_ops(tex_doc *x, const sg_expr *owner)
{
    tex_list stack = {NULL, 0, 0};
    sg_idmap seen; /* sized by the region, not by every node made */
    int count = 0, k;
    sg_idmap_init(&seen, x->ctx);
    tex_list_push(&stack, owner);
    while (stack.n > 0) {
        const sg_expr *e = stack.v[--stack.n];
        for (k = 0; k < e->nkids; k++) {
            const sg_expr *c = e->kid[k];
            if (sg_idmap_find(&seen, c) != SG_IDMAP_NONE || c->name || tex_is_leaf(c) ||
                (c->id < x->nni && x->ni[c->id].owner))
                continue;
            sg_idmap_add(&seen, c);
            if (!tex_is_trivial(x, c))
                count++;
            tex_list_push(&stack, c);
        }
    }
    free(stack.v);
    sg_idmap_free(&seen);
    return count;
}

/* the owner whose formula e is part of */
static const sg_expr *owner_of(tex_doc *x, const sg_expr *e)
{
    int guard = 0;
    while (e && !tex_node_of(x, e)->owner && !e->name && guard++ < 100000)
        e = tex_node_of(x, e)->parent;
    return e;
}

/* a link of a product chain that its sibling's symbol also enters: Wx in Wᵀ(Wx) */
static int split_link(tex_doc *x, const sg_expr *e)
{
    const sg_expr *p = tex_node_of(x, e)->parent, *sib;
    if (!p || !tex_is_matmul(e) || !tex_is_matmul(p) || p->name || tex_node_of(x, p)->owner)
        return 0;
    sib = p->kid[0] == e ? p->kid[1] : p->kid[0];
    return tex_node_of(x, sib)->needed;
}

/* does a split link hang below the chain top e? */
static int chain_split(tex_doc *x, const sg_expr *e, int depth)
{
    int k;
    if (depth > 64)
        return 0;
    for (k = 0; k < e->nkids; k++) {
        const sg_expr *c = e->kid[k];
        if (tex_is_matmul(c) && !c->name && tex_node_of(x, c)->needed &&
            (split_link(x, c) || chain_split(x, c, depth + 1)))
            return 1;
    }
    return 0;
}

/* is e, a needed node, a named intermediate? */
static int is_station(tex_doc *x, const sg_expr *e)
{
    const tex_node *n = tex_node_of(x, e);
    const sg_expr *owner, *parent = n->parent;
    int owns = n->owner, nparents = n->nparents; /* n may move below */
    if (tex_is_leaf(e))
        return 0;
    if (owns || e->name)
        return 1;
    if (tex_is_trivial(x, e))
        return 0;
    if (nparents >= 2 && !tex_is_scalar(e))
        return 1;
    owner = owner_of(x, e);
    if (owner && !tex_node_of(x, owner)->region)
        tex_node_of(x, owner)->region = region_ops(x, owner) + 1;
    if (!owner || tex_node_of(x, owner)->region - 1 < 2 || tex_is_scalar(e) || e->op == SG_OP_INV)
        return 0;
    if (tex_is_matmul(e)) {
        if (split_link(x, e))
            return 1;
        if (parent && tex_is_matmul(parent) && !parent->name && !tex_node_of(x, parent)->owner)
            return 0; /* an inner link */
        return chain_split(x, e, 0) || (parent && is_nonlinear(parent->op));
    }
    if (e->op == SG_OP_ADD)
        return !(parent && parent->op == SG_OP_ADD && !parent->name && !tex_node_of(x, parent)->owner);
    return e->op != SG_OP_SEQSUM;
}

static void use_name(tex_doc *x, const char *s)
{
    SG_GROW(x->used, x->nused, x->capused, SG_GROW_MAX, "names given out");
    x->used[x->nused++] = s;
    sg_strmap_put(&x->taken, s, 1);
}

int tex_taken(tex_doc *x, const char *s)
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
static const char *fresh_name(tex_doc *x, const char *prefer)
{
    static const char *const pool[] = {"u", "v", "w", "q", "a", "b", "c", "d", "g", "s"};
    const char *s;
    if (prefer && !tex_taken(x, prefer)) {
        use_name(x, prefer);
        return prefer;
    }
    for (;;) {
        int k = x->fresh++;
        if (k < (int)(sizeof pool / sizeof pool[0]))
            s = pool[k];
        else
            s = sg_arena_printf(x->ar, "u%d", k + 1 - (int)(sizeof pool / sizeof pool[0]));
        if (!tex_taken(x, s)) {
            use_name(x, s);
            return s;
        }
    }
}

/* base with the time index joined to its subscript: a → a_{t+1}, z_1 → z_{1,t} */
static const char *with_index(tex_doc *x, const char *base, long off)
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
static void name_varying(tex_doc *x, sg_expr *e, const char *base, int heavy, int boxed)
{
    long off;
    for (off = -1; off <= 1; off++) {
        sg_expr *s = off ? sg_deriv_shift(x->dv, e, off) : e;
        tex_node *n = tex_node_of(x, s);
        if (!n->fwd) {
            n->fwd = with_index(x, base, off);
            n->base = base;
            n->heavy = (unsigned char)heavy;
            n->boxed = (unsigned char)boxed;
        }
    }
}

/* the same, stopping at named nodes: what e's formula shows */
static int shown_ops_in(tex_doc *x, const sg_expr *e, int cap, int root, long *visits)
{
    int n = 0, k;
    if (tex_is_leaf(e) || cap <= 0)
        return 0;
    if (--*visits < 0) /* a tree of trivial nodes 2ᵏ wide: as long as the cap */
        return cap;
    if (!root && (e->name || (e->id < x->nni && (x->ni[e->id].fwd || x->ni[e->id].fp))))
        return 0;
    n = tex_is_trivial(x, e) ? 0 : 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += shown_ops_in(x, e->kid[k], cap - n, 0, visits);
    return n;
}

/* the operations e shows, up to cap; the walk visits at most 8·cap + 64
   nodes, since trivial ones (scalings, transposes) count none */
int tex_shown_ops(tex_doc *x, const sg_expr *e, int cap, int root)
{
    long visits = 8L * cap + 64;
    return shown_ops_in(x, e, cap, root, &visits);
}

/* the name a fresh station would like: r for a difference, a for a
   pre-activation */
static const char *preferred(tex_doc *x, const sg_expr *e)
{
    const sg_expr *parent = tex_node_of(x, e)->parent;
    if (e->op == SG_OP_ADD &&
        (tex_negated(e->kid[1]) || (e->kid[1]->op == SG_OP_FILL && e->kid[1]->kid[0]->op == SG_OP_CONST &&
                                e->kid[1]->kid[0]->value < 0)))
        return "r";
    if (parent && is_nonlinear(parent->op))
        return "a";
    return NULL;
}

/* f′ in LaTeX: \operatorname{swish}', \tanh' */
const char *tex_prime_of(tex_doc *x, sg_op op)
{
    const char *t = sg_latex_op(op);
    if (!t || strchr(t, '{') != strrchr(t, '{') || strstr(t, "cdot"))
        return "f'";
    return sg_arena_printf(x->ar, "%s'", t);
}

/* the ops of e's formula down to the user's names: how long it would print
   without the names this file makes up */
static int user_ops(tex_doc *x, const sg_expr *e, int cap, int root)
{
    int n = 0, k;
    if (tex_is_leaf(e) || cap <= 0 || (!root && e->name))
        return 0;
    n = tex_is_trivial(x, e) ? 0 : 1;
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
static void layer_deltas(tex_doc *x)
{
    unsigned id, n = x->nni;
    sg_strmap used;
    sg_strmap_init(&used);
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node, *p = x->ni[id].parent;
        const char *k = "";
        if (!e || x->ni[id].kind != TEX_K_STATION || tex_is_leaf(e) || sg_expr_varies(e) ||
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
void tex_name_nodes(tex_doc *x)
{
    unsigned id, n;
    int q, i;
    /* the user's definitions print under their names wherever they occur */
    for (i = 0; i < x->p->ndefs; i++) {
        const sg_expr *e = x->p->defs[i].expr;
        if (e && x->p->defs[i].name && !tex_is_leaf(e) && e->name &&
            !strcmp(e->name, x->p->defs[i].name)) {
            tex_node_of(x, e)->fwd = tex_name(x, e->name);
            tex_node_of(x, e)->heavy = 1;
            tex_node_of(x, e)->boxed = 1;
        }
    }
    n = x->nni;
    for (q = 0; q < sg_seq_count(x->ctx); q++) {
        const sg_seq *s = sg_seq_get(x->ctx, q);
        if (s->kind == SG_SEQ_FORWARD && s->body && s->body->id < x->nni &&
            x->ni[s->body->id].needed) {
            /* a recurrence's step prints as h_t, one step later as h_{t+1} */
            const char *now = tex_step(x, q, 0);
            const char *next = tex_step(x, q, 1);
            sg_expr *later = sg_deriv_shift(x->dv, s->body, 1);
            tex_node_of(x, s->body)->fwd = now;
            tex_node_of(x, s->body)->heavy = tex_node_of(x, s->body)->boxed = 1;
            if (!tex_node_of(x, later)->fwd) {
                tex_node_of(x, later)->fwd = next;
                tex_node_of(x, later)->heavy = tex_node_of(x, later)->boxed = 1;
            }
        }
    }
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node;
        const char *base;
        int heavy, boxed;
        if (!e || !x->ni[id].needed || tex_is_leaf(e) || !is_station(x, e))
            continue;
        x->ni[id].kind = TEX_K_STATION;
        if (x->ni[id].fwd)
            continue;
        if (e->name) {
            base = tex_name(x, e->name);
            heavy = boxed = 1;
        } else {
            base = tex_name(x, fresh_name(x, preferred(x, e)));
            heavy = !sg_expr_is_leaf_product(e);
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
        if (tex_shown_ops(x, d, 10, 1) < 4 || tex_node_of(x, d)->fp)
            continue;
        tex_node_of(x, d)->fp = sg_arena_printf(x->ar, "%s(%s)", tex_prime_of(x, e->op),
                                       tex_str(x, e->kid[0], TEX_M_FORM, 1));
    }
}
