/*
 * tex_backward.c: a backward pass, line by line.
 *
 * A segment (tex_seg) is the steps of one backward pass over one formula:
 * the whole gradient of a function without sequences, or the body of a Σ
 * over time or of a recurrence. Its lines are one per station (and per
 * TEX_K_AUX node), each the sum of the contributions that reach it.
 *
 * The local rule of a line is written out by instantiating the op's rule
 * with a placeholder for the parent's adjoint (a stand-in that prints as
 * ∂L/∂v), so that (Wᵀ)ᵀ prints W; the value beside it is the contribution
 * the log recorded, in display form. Rules of passed-through nodes compose
 * into the line below (g_form). Once a line is printed, later values say
 * its adjoint by its ∂L/∂· when it is long, or by its display form when
 * that is short (tex_said): the page reads top to bottom, each line in
 * terms of the ones above. Where several paths reach a node, the sum is
 * handed to the Total section (tex_sums).
 */
#include "tex.h"

#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- a backward pass ----------------------------------------------------------- */

void tex_seg_free(tex_seg *s)
{
    free(s->e);
    free(s->v);
    sg_idmap_free(&s->m);
    free(s->nextin);
    free(s->order);
}

/* a node no step of the segment names */
static const tex_segnode seg_none = {NULL, TEX_K_NONE, 0, -1, -1};

/* what the segment knows of e */
const tex_segnode *tex_seg_at(const tex_seg *s, const sg_expr *e)
{
    unsigned i = sg_idmap_find(&s->m, e);
    return i == SG_IDMAP_NONE ? &seg_none : &s->v[i];
}

/* the same, numbering e if the segment did not know it */
tex_segnode *tex_seg_slot(tex_seg *s, const sg_expr *e)
{
    unsigned n0 = s->m.n, i = sg_idmap_add(&s->m, e);
    if (i >= s->cap) {
        unsigned old = s->cap;
        SG_GROW(s->v, i, s->cap, SG_GROW_MAX, "nodes in one backward pass");
        sg_ctx_scratch_add(s->m.ctx, (unsigned long)(s->cap - old) * sizeof *s->v);
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
    if (tex_is_scalar(a) || a->op == SG_OP_EYE || a->op == SG_OP_FILL || a->op == SG_OP_ONES)
        return 1;
    return a->op == SG_OP_MUL && tex_is_scalar(a->kid[0]) && !sg_expr_ops(a->kid[0], 3) &&
           (a->kid[1]->op == SG_OP_EYE || a->kid[1]->op == SG_OP_ONES);
}

int tex_in_seg(const tex_seg *s, const sg_expr *e)
{
    return sg_idmap_find(&s->m, e) != SG_IDMAP_NONE;
}

/* the steps [from, to) of log g as a segment rooted at root */
void tex_seg_build(tex_doc *x, tex_seg *s, const sg_log *g, int from, int to, const sg_expr *root,
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
            tex_edge *last = s->ne > 0 ? &s->e[s->ne - 1] : NULL;
            tex_seg_slot(s, st->node)->adj = st->adjoint;
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
            tex_seg_slot(s, st->node)->adj = st->adjoint;
        }
    }
    /* the edges into each node, as a list in edge order */
    s->nextin = sg_xmalloc(((size_t)s->ne + 1) * sizeof *s->nextin);
    for (i = 0; i < s->ne; i++) {
        tex_segnode *t = tex_seg_slot(s, s->e[i].to);
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
            if (tex_seg_at(s, e)->kind)
                continue;
            if (e == root || tex_is_leaf(e))
                kind = TEX_K_STATION;
            else if (tex_node_of(x, e)->kind == TEX_K_STATION)
                kind = TEX_K_STATION;
            else if (tex_is_trivial(x, e) || e->op == SG_OP_ADD || tex_is_matmul(e))
                kind = TEX_K_PASS;
            else if (e->op == SG_OP_TRACE && tex_is_matmul(e->kid[0]))
                kind = TEX_K_AUX; /* tr(AB): its own line, then AB's */
            else if (direct_adjoint(tex_seg_at(s, e)->adj))
                kind = TEX_K_DIRECT;
            else
                kind = TEX_K_AUX;
            /* a body's invariant nodes are its leaves */
            if (sg_expr_varies(root) && !sg_expr_varies(e) && e != root)
                kind = TEX_K_STATION;
            tex_seg_slot(s, e)->kind = kind;
        }
    }
}

/* the placeholder for e's adjoint: a symbol that prints as ∂L/∂e */
static sg_expr *placeholder(tex_doc *x, const sg_expr *e, const sg_expr *adj)
{
    tex_node *n = tex_node_of(x, e);
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
        p = tex_print(x, &b, e, TEX_M_FORM, 0, 0);
        if (p < SG_FMT_POST) {
            what = sg_arena_strdup(x->ar, sg_buf_str(&b));
            sg_buf_free(&b);
            sg_buf_init(&b);
            sg_buf_printf(&b, "(%s)", what);
        }
    }
    text = sg_arena_printf(x->ar, "\\frac{\\partial %s}{\\partial %s}", x->fname, sg_buf_str(&b));
    sg_buf_free(&b);
    ph = sg_deriv_standin(x->dv, e->shape, adj && sg_props_symmetric(x->ctx, adj));
    n = tex_node_of(x, e);
    n->phnode = ph;
    n->partial = text;
    delta = n->delta;
    if (delta) /* a layer's: δ_k wherever it is read */
        text = delta;
    n = tex_node_of(x, ph); /* may move the table: e's info is fetched again below */
    n->ph = text;
    n->delta = delta;
    return ph;
}

/* ∂L/∂e in LaTeX (δ_k for a layer's pre-activation) */
const char *tex_adj_name(tex_doc *x, const sg_expr *e)
{
    return tex_node_of(x, placeholder(x, e, NULL))->ph;
}

/* the left side of e's line, and the name it gets there: ∂L/∂a, then = δ₁
   for a layer's pre-activation (which its later lines read as δ₁) */
static const char *line_lhs(tex_doc *x, const sg_expr *e, const char **named)
{
    (void)placeholder(x, e, NULL);
    *named = tex_node_of(x, e)->delta;
    return *named ? tex_node_of(x, e)->partial : tex_adj_name(x, e);
}

/* the rules a line cites, each once: there are TEX_NRULES */
typedef struct {
    int r[TEX_NRULES];
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

static sg_expr *edge_form(tex_doc *x, tex_seg *s, const tex_edge *e, cites *c, int depth);

/* the edges one line's form may walk: the walk follows every path up to the
   line above, and xₖ = xₖ₋₁xₖ₋₁ has 2ᵏ of them; past this a node's adjoint
   stands for itself, as it does past a depth of 200 */
#define FORM_EDGES 4000

/* what stands for e's adjoint in the rules of the edges out of e */
static sg_expr *g_form(tex_doc *x, tex_seg *s, const sg_expr *e, cites *c, int depth)
{
    sg_expr *sum = NULL;
    int i;
    if (e == s->root)
        return s->seed;
    if (--x->form_left < 0)
        return (sg_expr *)tex_seg_at(s, e)->adj;
    switch (tex_seg_at(s, e)->kind) {
    case TEX_K_STATION: case TEX_K_AUX:
        return placeholder(x, e, tex_seg_at(s, e)->adj);
    case TEX_K_DIRECT: /* the rules that made the number */
        for (i = tex_seg_at(s, e)->firstin; i >= 0 && depth < 200; i = s->nextin[i])
            (void)edge_form(x, s, &s->e[i], c, depth + 1);
        return (sg_expr *)tex_seg_at(s, e)->adj;
    default:
        break;
    }
    if (depth > 200)
        return (sg_expr *)tex_seg_at(s, e)->adj;
    for (i = tex_seg_at(s, e)->firstin; i >= 0; i = s->nextin[i]) {
        const sg_expr *f[2];
        f[0] = sum;
        f[1] = edge_form(x, s, &s->e[i], c, depth + 1);
        sum = sum ? sg_deriv_total(x->dv, f, 2) : (sg_expr *)f[1];
    }
    return sum ? sum : (sg_expr *)tex_seg_at(s, e)->adj;
}

/* the rule of an edge, instantiated with what stands for its node's adjoint */
static sg_expr *edge_form(tex_doc *x, tex_seg *s, const tex_edge *e, cites *c, int depth)
{
    sg_expr *g = g_form(x, s, e->node, c, depth);
    /* the rule table's builder, the one diff.c used (sg_deriv_rule): with
       g a placeholder it is the rule as a line reads, W ∂L/∂v */
    sg_expr *f = g ? sg_deriv_rule(x->dv, e->node, e->kid, g, e->merged) : NULL;
    cite_add(c, tex_rule_of(e->node, e->merged));
    return f ? f : (sg_expr *)e->contrib;
}

/* the node a contribution came through: the line above it */
const sg_expr *tex_through(const tex_seg *s, const sg_expr *e)
{
    int guard = 0;
    while (e != s->root && tex_in_seg(s, e) && tex_seg_at(s, e)->kind == TEX_K_PASS && guard++ < 1000) {
        if (!tex_in_seg(s, e) || tex_seg_at(s, e)->nin != 1)
            break;
        e = s->e[tex_seg_at(s, e)->lastin].node;
    }
    return e;
}

/* the display form of a node (sg_deriv_display: computed once; a huge
   value is shown as built, in terms of named adjoints) */
sg_expr *tex_simple(tex_doc *x, const sg_expr *v)
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
void tex_line_adjoint(tex_doc *x, const sg_expr *a, sg_expr *ph, sg_expr *closed)
{
    tex_node *n = tex_node_of(x, a);
    if (n->lined || n->fwd || n->fp || n->ph || tex_is_leaf(a) || a->name)
        return;
    n->lined = 1;
    n->lph = ph;
    n->closed = closed;
    SG_GROW(x->lined, x->nlined, x->caplined, SG_GROW_MAX, "adjoints said by their lines");
    x->lined[x->nlined++] = a->id;
}

/* a new function: the adjoints of the last one are not its adjoints */
void tex_unline_all(tex_doc *x)
{
    int i;
    for (i = 0; i < x->nlined; i++) {
        tex_node *n = &x->ni[x->lined[i]];
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
    tex_doc *x = arg;
    const tex_node *n;
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
static sg_expr *subst(tex_doc *x, const sg_expr *v, int closed_ok)
{
    if (!v || x->nlined == 0)
        return (sg_expr *)v;
    x->closed_ok = closed_ok;
    return sg_deriv_substitute(x->dv, v, said_as, x);
}

/* the display form of v, said in terms of the lines above */
sg_expr *tex_said(tex_doc *x, const sg_expr *v, int closed_ok)
{
    return tex_simple(x, subst(x, v, closed_ok));
}

const char *tex_print_value(tex_doc *x, const sg_expr *v, int mode, int breaks)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    tex_print(x, &b, v, mode, 1, breaks);
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
const char *tex_value_text(tex_doc *x, const sg_expr *v, int mode, int breaks)
{
    sg_expr *c = tex_simple(x, v), *n;
    const char *t;
    if ((c != v || x->nlined == 0 || tex_is_leaf(v)) &&
        tex_shown_size(x, c, mode, TEX_VALUE_CAP, 1) <= TEX_VALUE_CAP) {
        t = tex_print_value(x, c, mode, breaks);
        if (tex_width(t) <= 4 * TEX_LINE_EMS(x) || x->nlined == 0)
            return t;
    }
    c = tex_said(x, v, 1);
    n = tex_said(x, v, 0);
    if (c != n && tex_shown_size(x, c, mode, TEX_VALUE_CAP, 1) <= TEX_VALUE_CAP) {
        t = tex_print_value(x, c, mode, breaks);
        if (tex_width(t) <= 4 * TEX_LINE_EMS(x))
            return t;
    }
    return tex_print_value(x, n, mode, breaks);
}

/* a rule instantiated, as printed: as the rule reads, unless that leaves a
   transpose of a product ((∂L/∂v uᵀ)ᵀ), which the display form pushes to
   the leaves (u(∂L/∂v)ᵀ) */
static const char *form_text(tex_doc *x, sg_expr *f)
{
    const char *raw = tex_str_breaks(x, f, TEX_M_FORM, 1), *simple;
    if (!strstr(raw, ")^\\top") && !strstr(raw, "\\right)^\\top"))
        return raw;
    simple = tex_str_breaks(x, sg_deriv_display(x->dv, f), TEX_M_FORM, 1);
    return strlen(simple) <= strlen(raw) ? simple : raw;
}

/* the placeholders in e, each once, into out, looking at a few hundred
   nodes (budget) */
void tex_phs_in(tex_doc *x, const sg_expr *e, tex_list *out, int *budget)
{
    int k;
    if (--*budget < 0)
        return;
    if (e->id < x->nni && x->ni[e->id].ph) {
        tex_list_push_unique(out, e);
        return;
    }
    for (k = 0; k < e->nkids; k++)
        tex_phs_in(x, e->kid[k], out, budget);
}

/* after e's line: its adjoint is said from now on by its closed form if that
   is short, else by its name ∂L/∂e */
static void name_adjoint(tex_doc *x, const sg_expr *e, const sg_expr *adj)
{
    sg_expr *v[2], *closed, *ph;
    tex_list ph1 = {NULL, 0, 0};
    const char *name, *text;
    int i, lng, budget;
    if (!adj)
        return;
    closed = tex_said(x, adj, 1);
    text = tex_value_text(x, adj, TEX_M_VALUE, 0);
    budget = 400;
    lng = tex_width(text) >= 20 || tex_shown_size(x, closed, TEX_M_VALUE, 60, 1) > 60 ||
          (tex_shown_ops(x, adj, 4, 1) >= 3 && tex_width(text) >= 11);
    if (!lng) { /* not closed: said by a name */
        tex_phs_in(x, closed, &ph1, &budget);
        lng = ph1.n > 0;
        free(ph1.v);
    }
    ph = placeholder(x, e, adj);
    tex_line_adjoint(x, adj, ph, lng ? NULL : closed);
    if (!lng)
        return;
    v[0] = (sg_expr *)adj;
    v[1] = tex_simple(x, adj);
    name = tex_node_of(x, ph)->ph;
    for (i = 0; i < 2; i++) {
        tex_node *n = tex_node_of(x, v[i]);
        if (!n->fwd && !n->fp && !n->ph && !n->adj)
            n->adj = name;
    }
}

/* the label of a contribution: "through v", told apart when two agree */
static const char *label_of(tex_doc *x, tex_seg *s, const tex_edge *e)
{
    const sg_expr *t = tex_through(s, e->node);
    if (t == s->root && tex_seg_at(s, e->node)->kind != TEX_K_PASS)
        t = e->node;
    return tex_str(x, t, TEX_M_FORM, 1);
}

/* a symbol declared in Δ^C or Δ^{C×N} that e reads, or NULL; e is an adjoint, a DAG
   whose tree can be exponentially larger, so each node is looked at once */
static const sg_expr *simplex_in(tex_doc *x, const sg_expr *e)
{
    tex_list all = {NULL, 0, 0};
    const sg_expr *found = NULL;
    int i;
    tex_dag_nodes(x, e, 0, &all);
    for (i = 0; i < all.n && !found; i++) {
        const sg_expr *v = all.v[i];
        if (v->op == SG_OP_VAR && v->sym < x->nsyms0 &&
            (sg_sym_get(x->ctx, v->sym)->props & SG_PROP_SIMPLEX))
            found = v;
    }
    free(all.v);
    return found;
}

/* after a softmax rule whose adjoint holds a y ∈ Δ: why 𝟙ᵀy went */
static void simplex_note(tex_doc *x, sg_buf *b, const tex_seg *s, const sg_expr *c)
{
    int i;
    for (i = tex_seg_at(s, c)->firstin; i >= 0; i = s->nextin[i]) {
        const tex_edge *e = &s->e[i];
        const sg_expr *y;
        if (!(e->node->op == SG_OP_LOGSOFTMAX || e->node->op == SG_OP_SOFTMAX))
            continue;
        if (!tex_seg_at(s, e->node)->adj || !(y = simplex_in(x, tex_seg_at(s, e->node)->adj)))
            continue;
        if (y->shape.cols != SG_DIM_ONE) { /* a batch: 𝟙ᵀY = 𝟙ᵀ */
            sg_buf_printf(b, "\\intertext{since $\\mathbf{1}^\\top %s = \\mathbf{1}^\\top$ for $%s "
                             "\\in \\Delta^{%s\\times %s}$ (softmax with cross-entropy, each "
                             "column).}\n",
                          tex_str(x, y, TEX_M_FORM, 1), tex_str(x, y, TEX_M_FORM, 1),
                          tex_dim(x, y->shape.rows), tex_dim(x, y->shape.cols));
            return;
        }
        sg_buf_printf(b, "\\intertext{since $\\mathbf{1}^\\top %s = 1$ for $%s \\in \\Delta^{%s}$ "
                         "(softmax with cross-entropy).}\n",
                      tex_str(x, y, TEX_M_FORM, 1), tex_str(x, y, TEX_M_FORM, 1),
                      tex_dim(x, y->shape.rows));
        return;
    }
}

/* values joined into a sum, a break allowed before each further term */
const char *tex_join_sum(tex_doc *x, const char **v, int n)
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
void tex_list_labels(sg_buf *b, const char **labels, int n)
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
static int shared_adjoint(tex_doc *x, const sg_expr *const *vals, int n)
{
    tex_list ph = {NULL, 0, 0};
    sg_idmap owner; /* placeholder → the first contribution it was found in */
    int *by = NULL, i, k, shared = 0, cap = 0;
    sg_idmap_init(&owner, x->ctx);
    for (i = 0; i < n && !shared; i++) {
        int budget = 400;
        ph.n = 0;
        tex_phs_in(x, subst(x, vals[i], 0), &ph, &budget);
        for (k = 0; k < ph.n && !shared; k++) {
            unsigned o = sg_idmap_find(&owner, ph.v[k]);
            if (o != SG_IDMAP_NONE) {
                shared = by[o] != i;
                continue;
            }
            o = sg_idmap_add(&owner, ph.v[k]);
            SG_GROW(by, o, cap, SG_GROW_MAX, "placeholders in a sum");
            by[o] = i;
        }
    }
    free(ph.v);
    free(by);
    sg_idmap_free(&owner);
    return shared;
}

static int is_line(const tex_seg *s, const sg_expr *e)
{
    return tex_in_seg(s, e) && (tex_seg_at(s, e)->kind == TEX_K_STATION || tex_seg_at(s, e)->kind == TEX_K_AUX);
}

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

/* the nodes with lines into s->order: as their adjoints complete, then the
   targets (a target need not be reached: grad L wrt a symbol L does not
   read), then the other nodes the steps reach */
static void line_order(tex_doc *x, tex_seg *s, const sg_expr *const *targets, int nt)
{
    const sg_expr **order;
    int norder = 0, i;
    sg_idmap inorder;
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
    for (i = 0; i < s->ne; i++) {
        const sg_expr *e = s->e[i].to;
        if (!is_line(s, e) || sg_idmap_find(&inorder, e) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&inorder, e);
        order[norder++] = e;
    }
    sg_idmap_free(&inorder);
    s->norder = norder;
}

/* the contributions to one node c, one per path (edge into it) */
typedef struct {
    int n;
    const char **labels; /* where each came through */
    const char **values; /* each as logged, in display form */
    const char **forms;  /* each as its rule reads */
    const sg_expr **vals;
    const char **as;     /* what c entered its parent as: itself, or its transpose */
    const char **sq;     /* c as an operand of a square (x in xx), or NULL */
    cites *cs;           /* the rules each used */
} line_paths;

/* c as the first or second operand of e, a square (x_1x_1): the operands
   written out, since the printer says x_1^2, which has no first factor to
   point at */
static const char *square_operand(tex_doc *x, const tex_edge *e, const sg_expr *c)
{
    const char *kt = tex_factor(x, c, TEX_M_FORM), *whole;
    if (e->node->op == SG_OP_MUL)
        whole = sg_arena_printf(x->ar, "%s%s%s", kt, tex_is_alpha_c(kt[strlen(kt) - 1]) &&
                                                     kt[0] == '\\' ? "\\," : "", kt);
    else if (e->node->op == SG_OP_HADAMARD)
        whole = sg_arena_printf(x->ar, "%s \\odot %s", kt, kt);
    else if (e->node->op == SG_OP_ADD)
        whole = sg_arena_printf(x->ar, "%s + %s", kt, kt);
    else
        whole = tex_str(x, e->node, TEX_M_FORM, 1);
    return sg_arena_printf(x->ar, "\\text{the %s %s of }%s", e->kid ? "second" : "first",
                           e->node->op == SG_OP_ADD ? "term" :
                           e->node->op == SG_OP_MUL || e->node->op == SG_OP_HADAMARD ?
                           "factor" : "operand",
                           whole);
}

/* the n contributions to c, each as its rule reads and as logged, with
   where it came through; the labels made distinct */
static void line_paths_of(tex_doc *x, tex_seg *s, const sg_expr *c, int n, line_paths *p)
{
    int i, *dup, *nth;
    p->labels = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->labels);
    p->values = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->values);
    p->forms = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->forms);
    p->vals = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->vals);
    p->as = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->as);
    p->sq = sg_arena_alloc(x->ar, (size_t)n * sizeof *p->sq);
    p->cs = sg_xmalloc((size_t)n * sizeof *p->cs);
    n = 0;
    for (i = tex_seg_at(s, c)->firstin; i >= 0; i = s->nextin[i]) {
        const tex_edge *e = &s->e[i];
        sg_expr *f;
        p->cs[n].n = 0;
        x->form_left = FORM_EDGES;
        f = edge_form(x, s, e, &p->cs[n], 0);
        p->forms[n] = tex_fits(x, form_text(x, f));
        if (!p->forms[n])
            p->forms[n] = tex_value_text(x, e->contrib, TEX_M_VALUE, 1);
        p->values[n] = tex_value_text(x, e->contrib, TEX_M_VALUE, 1);
        p->vals[n] = e->contrib;
        p->labels[n] = label_of(x, s, e);
        /* what c entered its parent as: itself, or its transpose */
        p->as[n] = tex_str(x, tex_is_trivial(x, e->node) && e->node->kid[0] == c ? e->node : c, TEX_M_FORM, 1);
        p->sq[n] = NULL;
        if (e->node->nkids == 2 && e->node->kid[0] == c && e->node->kid[1] == c && !e->merged)
            p->sq[n] = square_operand(x, e, c);
        n++;
    }
    p->n = n;
    /* the same label twice: say what the symbol entered as (X, Xᵀ), or
       which operand of a square it was (x in xx) */
    dup = sg_xmalloc((size_t)n * sizeof *dup);
    nth = sg_xmalloc((size_t)n * sizeof *nth);
    count_labels(p->labels, n, dup, nth);
    for (i = 0; i < n; i++)
        if (dup[i] > 1)
            p->labels[i] = p->sq[i] ? p->sq[i]
                                    : sg_arena_printf(x->ar, "%s\\text{ as }%s", p->labels[i], p->as[i]);
    count_labels(p->labels, n, dup, nth);
    for (i = 0; i < n; i++)
        if (dup[i] > 1)
            p->labels[i] = sg_arena_printf(x->ar, "%s\\text{ (%d)}", p->labels[i], nth[i]);
    free(dup);
    free(nth);
}

/* c's line: ∂L/∂c (and its name, when it has one) = parts[0] = … */
static void named_line(tex_doc *x, sg_buf *b, const sg_expr *c, const char **parts, int np,
                       const char *tag)
{
    const char *named, *lhs = line_lhs(x, c, &named), *all[4];
    int k, na = 0;
    if (named)
        all[na++] = named;
    for (k = 0; k < np; k++)
        all[na++] = parts[k];
    tex_equation(x, b, lhs, "", all, na, tag);
}

/* a contribution's parts: its form, and its value when that differs */
static int form_and_value(const line_paths *p, int i, const char **parts)
{
    int np = 0;
    parts[np++] = p->forms[i];
    if (strcmp(p->forms[i], p->values[i]) != 0)
        parts[np++] = p->values[i];
    return np;
}

/* the line of c reached along one path */
static void one_path_line(tex_doc *x, tex_seg *s, sg_buf *b, const sg_expr *c, const line_paths *p)
{
    const char *parts[2];
    int np = form_and_value(p, 0, parts);
    const char *tag = tex_tag_of(x, p->cs[0].r, p->cs[0].n, c->shape);
    if (s->step && (tex_is_leaf(c) || !sg_expr_varies(c)))
        tex_equation(x, b, "",
                     sg_arena_printf(x->ar, "\\text{to } %s\\text{:}\\quad ", tex_str(x, c, TEX_M_FORM, 1)),
                     parts, np, tag);
    else
        named_line(x, b, c, parts, np, tag);
    simplex_note(x, b, s, c);
}

/* the lines of c reached along several paths, a line each, then (unless
   the Total section states it: deferred) their sum; returns whether two
   go through the same line's adjoint */
static int several_paths_lines(tex_doc *x, tex_seg *s, sg_buf *b, const sg_expr *c,
                               const line_paths *p, int deferred)
{
    sg_buf tb;
    int i, n = p->n, shared;
    sg_buf_init(&tb);
    sg_buf_printf(&tb, "\\intertext{$%s$ is reached along %s paths, ",
                  tex_str(x, c, TEX_M_FORM, 1), tex_count_word(x, n));
    tex_list_labels(&tb, p->labels, n);
    sg_buf_puts(&tb, ":}\n");
    sg_buf_puts(b, sg_buf_str(&tb));
    sg_buf_free(&tb);
    for (i = 0; i < n; i++) {
        const char *parts[2];
        int np = form_and_value(p, i, parts);
        tex_equation(x, b, "",
                     sg_arena_printf(x->ar, "\\text{through } %s\\text{:}\\quad ", p->labels[i]),
                     parts, np, tex_tag_of(x, p->cs[i].r, p->cs[i].n, c->shape));
    }
    shared = shared_adjoint(x, p->vals, n);
    if (!deferred) {
        const char *parts[3];
        const sg_expr *a = tex_seg_at(s, c)->adj;
        int np = 1;
        if (a && shared) {
            /* in terms of the line above, then as short as it goes */
            parts[0] = tex_join_sum(x, p->forms, n);
            parts[np] = tex_print_value(x, tex_said(x, a, 0), TEX_M_VALUE, 1);
            np += strcmp(parts[np], parts[np - 1]) != 0;
            parts[np] = tex_value_text(x, a, TEX_M_VALUE, 1);
            np += strcmp(parts[np], parts[np - 1]) != 0;
        } else {
            parts[0] = tex_join_sum(x, p->values, n);
            parts[1] = a ? tex_value_text(x, a, TEX_M_VALUE, 1) : parts[0];
            np += strcmp(parts[0], parts[1]) != 0;
        }
        sg_buf_puts(b, "\\intertext{by the total derivative rule, they add:}\n");
        named_line(x, b, c, parts, np, tex_tag_of(x, NULL, 0, c->shape));
    }
    return shared;
}

/*
 * The lines of a segment into b (inside an align*): one per station and
 * auxiliary node, in the order their adjoints are complete, then one per
 * target (the inputs, or a body's leaves), each with its local rule and its
 * value. A node reached along several paths gets a line per path and, unless
 * it is a target whose sum the Total section states (defer), the sum.
 * out[i] receives what the Total section needs about targets[i].
 */
void tex_seg_lines(tex_doc *x, tex_seg *s, sg_buf *b, const sg_expr *const *targets, int nt,
                   tex_sums *out, int defer)
{
    int i, k, *tix;
    sg_idmap targetix;
    line_order(x, s, targets, nt);
    sg_idmap_init(&targetix, x->ctx); /* target → its first index in targets */
    tix = sg_xmalloc(((size_t)nt + 1) * sizeof *tix);
    for (i = 0; i < nt; i++)
        if (sg_idmap_find(&targetix, targets[i]) == SG_IDMAP_NONE)
            tix[sg_idmap_add(&targetix, targets[i])] = i;
    for (k = 0; k < s->norder; k++) {
        const sg_expr *c = s->order[k];
        line_paths p;
        int shared = 0, n = tex_seg_at(s, c)->nin, t;
        unsigned ti = sg_idmap_find(&targetix, c);
        t = ti == SG_IDMAP_NONE ? nt : tix[ti];
        if (t < nt && out) {
            out[t].target = c;
            out[t].n = 0;
        }
        if (n == 0)
            continue;
        line_paths_of(x, s, c, n, &p);
        if (p.n == 1)
            one_path_line(x, s, b, c, &p);
        else
            shared = several_paths_lines(x, s, b, c, &p, defer && t < nt);
        if (t < nt && out) {
            out[t].n = p.n;
            out[t].labels = p.labels;
            out[t].values = p.values;
            out[t].vals = p.vals;
            out[t].forms = p.forms;
            out[t].shared = shared;
            out[t].adj = tex_seg_at(s, c)->adj;
        }
        free(p.cs);
        if (tex_in_seg(s, c))
            name_adjoint(x, c, tex_seg_at(s, c)->adj);
    }
    free(tix);
    sg_idmap_free(&targetix);
}
