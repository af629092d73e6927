/*
 * tex_bptt.c: backpropagation through time.
 *
 * Recurrences (SEQ_* steps of the log) get the unrolled graph over three
 * steps, the body of the Σ and of the recurrence each as one step t (a
 * segment of its own, printed by tex_seg_lines), the sums over time, and
 * the recurrence for δ interval by interval: where each piece (the next
 * step back-propagated, the direct terms) applies. Values read at a fixed
 * step or one step later are made by symbolic/derive.c.
 */
#include "tex.h"

#include <stdlib.h>
#include <string.h>

/* ---- backpropagation through time ----------------------------------------------- */

/* e read at the fixed step idx: every h[t + k] becomes h[idx + k] */
static sg_expr *at_index(tex_doc *x, sg_expr *e, sg_index idx)
{
    return sg_deriv_at(x->dv, e, idx);
}

/* the step's stations at a fixed step, named: r_T for r_t */
static void name_at(tex_doc *x, sg_index idx)
{
    unsigned id, n = x->nni;
    for (id = 0; id < n; id++) {
        const sg_expr *e = x->ni[id].node;
        const char *base = x->ni[id].base;
        sg_expr *a;
        if (!e || !base || x->ni[id].kind != TEX_K_STATION || !sg_expr_varies(e))
            continue;
        a = at_index(x, (sg_expr *)e, idx);
        if (!tex_node_of(x, a)->fwd) {
            const char *i = tex_index(x, idx);
            tex_node_of(x, a)->fwd = strlen(i) == 1 ? sg_arena_printf(x->ar, "%s_%s", base, i)
                                            : sg_arena_printf(x->ar, "%s_{%s}", base, i);
            tex_node_of(x, a)->heavy = tex_node_of(x, e)->heavy;
            tex_node_of(x, a)->boxed = tex_node_of(x, e)->boxed;
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
const char *tex_range_text(tex_doc *x, sg_index lo, sg_index hi)
{
    if (sg_index_eq(sg_index_plus(lo, 1), hi))
        return sg_arena_printf(x->ar, "t = %s, %s", tex_index(x, lo), tex_index(x, hi));
    return sg_arena_printf(x->ar, "t = %s, \\dots, %s", tex_index(x, lo), tex_index(x, hi));
}

/* is adjoint sequence q the gradient with respect to an input sequence
   (∂L/∂x[t]: terms only)? */
static int input_adjoint(tex_doc *x, int q)
{
    const sg_seq *d = sg_seq_get(x->ctx, q);
    return d->of >= 0 && sg_seq_get(x->ctx, d->of)->kind == SG_SEQ_INPUT;
}

/* ∇_{x_t} L for input adjoint q, or ∇_{x_k} L at the fixed step *at */
static const char *input_grad(tex_doc *x, int q, const sg_index *at)
{
    int in = sg_seq_get(x->ctx, q)->of;
    return sg_arena_printf(x->ar, "\\nabla_{%s} %s", at ? tex_at(x, in, *at) : tex_step(x, in, 0),
                           x->fname);
}

/*
 * The recurrence of an adjoint sequence, interval by interval:
 * δ_T = W_yᵀ(W_y h_T − y_T), δ_t = W_yᵀ r_t + W_hhᵀ(…) for t = 1, …, T−1,
 * δ_0 = W_hhᵀ(…): where each piece (the next step back-propagated, the
 * direct terms) applies.
 */
static void delta_cases(tex_doc *x, int qd)
{
    const sg_seq *d = sg_seq_get(x->ctx, qd);
    sg_buf *b = x->out;
    sg_index first = sg_seq_first(x->ctx, qd), *pts;
    const sg_expr **pieces;
    int np = 0, i, j, k;
    size_t start;
    const char *dname;
    /* where a piece starts or stops: three, and two per direct term */
    pts = sg_xmalloc((3 + 2 * (size_t)d->nterms) * sizeof *pts);
    pieces = sg_xmalloc(((size_t)d->nterms + 1) * sizeof *pieces);
    pts[np++] = first;
    if (!input_adjoint(x, qd)) /* the body applies before the last step */
        pts[np++] = d->hi;
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
            if (!index_before(lo, d->terms[k].lo) && !index_before(d->terms[k].hi, hi))
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
            terms[k] = tex_value_text(x, e, TEX_M_CLOSED, 1);
        }
        dname = single ? tex_at(x, qd, lo) : tex_step(x, qd, 0);
        lhs = input_adjoint(x, qd) ? input_grad(x, qd, single ? &lo : NULL) : dname;
        parts[0] = npieces ? tex_join_sum(x, terms, npieces) : "0";
        tex_equation(x, b, lhs, "", parts, 1,
                 single ? "" : sg_arena_printf(x->ar, "$%s$", tex_range_text(x, lo, hi)));
    }
    tex_end_align(b, start);
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
static void factors_with(tex_doc *x, const sg_expr *e, const sg_expr *leaf, tex_list *out)
{
    tex_list all = {NULL, 0, 0};
    int i;
    tex_dag_nodes(x, e, 0, &all);
    for (i = 0; i < all.n; i++) {
        const sg_expr *m = all.v[i], *o;
        if (m->op != SG_OP_MUL)
            continue;
        o = m->kid[0] == leaf ? m->kid[1] : m->kid[1] == leaf ? m->kid[0] : NULL;
        if (o && o->op == SG_OP_TRANSPOSE)
            o = o->kid[0];
        if (o && o->op == SG_OP_VAR)
            tex_list_push_unique(out, o);
    }
    free(all.v);
}

/* the input sequences e reads at step t */
static void step_inputs(tex_doc *x, const sg_expr *e, tex_list *out)
{
    tex_list all = {NULL, 0, 0};
    int i;
    tex_dag_nodes(x, e, 0, &all);
    for (i = 0; i < all.n; i++) {
        const sg_expr *m = all.v[i];
        if (m->op == SG_OP_SEQSTEP && m->off == 0 &&
            sg_seq_get(x->ctx, m->seq)->kind == SG_SEQ_INPUT)
            tex_list_push_unique(out, m);
    }
    free(all.v);
}

static const char *names_of(tex_doc *x, const sg_expr *const *v, int n)
{
    sg_buf b;
    const char *s;
    int i;
    sg_buf_init(&b);
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "%s%s", i ? ", " : "", tex_str(x, v[i], TEX_M_FORM, 1));
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* the unrolled graph being drawn: what a step reads and feeds, and the
   names and sizes of its three columns t − 1, t, t + 1 */
typedef struct {
    tex_list hh;  /* the factors h[t−1] is multiplied by: W_hh */
    tex_list xh;  /* those of the first input: W_xh */
    tex_list in;  /* the step's inputs: x_t */
    tex_list yv;  /* those h_t is multiplied by in the loss term */
    tex_list out; /* the loss term's inputs: y_t */
    const sg_expr *lossst; /* the loss term's station that reads h_t, or NULL */
    const char *hn[3], *xn[3], *ln[3], *yn[3]; /* by column: h, x, loss term, y */
    const char *lhhs, *lxhs, *lyvs; /* the edges' labels, or NULL */
    double d, wy, hx;    /* the circles' size, the widest y, the tallest x */
    double dx, yoff, top, scale;
} unrolled;

/* what the step of sequence q reads and what the loss reads of it */
static void unrolled_parts(tex_doc *x, int q, const sg_expr *loss, unrolled *u)
{
    const sg_seq *h = sg_seq_get(x->ctx, q);
    const sg_expr *prev = sg_deriv_step(x->dv, q, -1), *now = sg_deriv_step(x->dv, q, 0);
    factors_with(x, h->body, prev, &u->hh);
    step_inputs(x, h->body, &u->in);
    if (u->in.n > 0)
        factors_with(x, h->body, u->in.v[0], &u->xh);
    if (loss) { /* the loss term's station that reads h_t, and its other inputs */
        const sg_expr *body = loss->op == SG_OP_SEQSUM ? loss->kid[0] : loss;
        unsigned id;
        for (id = 0; id < x->nni; id++) {
            const sg_expr *e = x->ni[id].node;
            if (e && x->ni[id].kind == TEX_K_STATION && sg_expr_varies(e) && e != h->body &&
                e->id > h->body->id && e->id <= body->id && x->ni[id].needed) {
                u->lossst = e;
                break;
            }
        }
        factors_with(x, body, now, &u->yv);
        step_inputs(x, body, &u->out);
    }
}

/* the names first, to size the drawing from them: circles as wide as
   their widest name, the steps far enough apart for the labels */
static void unrolled_names(tex_doc *x, int q, unrolled *u)
{
    long off;
    u->lhhs = u->hh.n ? names_of(x, u->hh.v, u->hh.n) : NULL;
    u->lxhs = u->xh.n ? names_of(x, u->xh.v, u->xh.n) : NULL;
    u->lyvs = u->yv.n ? names_of(x, u->yv.v, u->yv.n) : NULL;
    u->d = 0.8;
    u->wy = 0;
    u->hx = 0.65;
    for (off = -1; off <= 1; off++) {
        int c = (int)(off + 1);
        double bw, bh;
        u->hn[c] = tex_step(x, q, off);
        tex_gbox("value", u->hn[c], &bw, &bh);
        u->d = bw > u->d ? bw : u->d;
        u->xn[c] = u->in.n > 0 ? tex_str(x, sg_deriv_shift(x->dv, u->in.v[0], off), TEX_M_FORM, 1)
                               : NULL;
        if (u->xn[c]) {
            tex_gbox("input", u->xn[c], &bw, &bh);
            u->hx = bh > u->hx ? bh : u->hx;
        }
        u->ln[c] = u->lossst ? tex_str(x, sg_deriv_shift(x->dv, u->lossst, off), TEX_M_FORM, 1)
                             : NULL;
        if (u->ln[c]) {
            tex_gbox("value", u->ln[c], &bw, &bh);
            u->d = bw > u->d ? bw : u->d;
        }
        u->yn[c] = u->lossst && u->out.n > 0
                       ? tex_str(x, sg_deriv_shift(x->dv, u->out.v[0], off), TEX_M_FORM, 1)
                       : NULL;
        if (u->yn[c]) {
            tex_gbox("data", u->yn[c], &bw, &bh);
            u->wy = bw > u->wy ? bw : u->wy;
        }
    }
}

/* the columns' distance, y's offset, L's row and the scale the page needs */
static void unrolled_size(unrolled *u)
{
    double d = u->d, th, wide, tall;
    /* \footnotesize labels: above the h → h edge, left of the upward ones */
    u->dx = 3.6;
    if (u->lhhs && 0.8 * tex_label_size(u->lhhs, &th) + d + 0.6 > u->dx)
        u->dx = 0.8 * tex_label_size(u->lhhs, &th) + d + 0.6;
    if (u->lxhs && 0.8 * tex_label_size(u->lxhs, &th) + 0.6 > u->dx)
        u->dx = 0.8 * tex_label_size(u->lxhs, &th) + 0.6;
    if (u->lyvs && 0.8 * tex_label_size(u->lyvs, &th) + 0.6 > u->dx)
        u->dx = 0.8 * tex_label_size(u->lyvs, &th) + 0.6;
    u->yoff = d / 2 + 0.6 + u->wy / 2; /* y_t right of r_t, clear of r_{t+1} */
    if (u->yn[0] && u->yoff + u->wy / 2 + d / 2 + 0.5 > u->dx)
        u->dx = u->yoff + u->wy / 2 + d / 2 + 0.5;
    u->top = 3.6 + d / 2 + 1.2; /* L's row: the loss terms come up into it */
    wide = 2 * (u->dx + 3.0);
    tall = u->top + d / 2 + u->hx / 2 + 0.2;
    u->scale = TEX_GRAPH_WIDTH / wide < 1 ? TEX_GRAPH_WIDTH / wide : 1;
    if (TEX_GRAPH_HEIGHT / tall < u->scale)
        u->scale = TEX_GRAPH_HEIGHT / tall;
}

/* the edges of the unrolled graph: h → h labelled with W_hh, x → h, h → the
   loss term, y → the loss term, the loss terms into L */
static void unrolled_edges(tex_doc *x, sg_buf *b, const unrolled *u)
{
    int k, nhh = u->hh.n, nxh = u->xh.n, nyv = u->yv.n;
    sg_buf_printf(b, "  \\node (hl) at (%.2f,1.8) {$\\cdots$};\n  \\node (hr) at (%.2f,1.8) "
                     "{$\\cdots$};\n",
                  -(u->dx + 2.8), u->dx + 2.8);
    sg_buf_printf(b, "  \\draw[->, dashed] (hl) -- (h0);\n  \\draw[->, dashed] (h2) -- (hr);\n");
    /* an edge is labelled with the matrices it carries, when there are any */
    for (k = 0; k < 2; k++)
        sg_buf_printf(b, "  \\draw[->, thick, blue!70!black] (h%d) -- %s%s%s (h%d);\n", k,
                      nhh ? "node[lab, above] {$" : "", nhh ? u->lhhs : "", nhh ? "$}" : "",
                      k + 1);
    for (k = 0; k < 3; k++) {
        if (u->in.n > 0)
            sg_buf_printf(b, "  \\draw[->, thick, red!70!black] (x%d) -- %s%s%s (h%d);\n", k,
                          nxh ? "node[lab, left] {$" : "", nxh ? u->lxhs : "", nxh ? "$}" : "",
                          k);
        if (u->lossst) {
            sg_buf_printf(b, "  \\draw[->, thick, green!50!black] (h%d) -- %s%s%s (l%d);\n",
                          k, nyv ? "node[lab, left] {$" : "", nyv ? u->lyvs : "",
                          nyv ? "$}" : "", k);
            if (u->out.n > 0)
                sg_buf_printf(b, "  \\draw[->] (y%d) -- (l%d);\n", k, k);
        }
    }
    if (u->lossst) { /* the outer terms up, then across: clear of the y's */
        sg_buf_printf(b, "  \\node[result] (L) at (0,%.2f) {$%s$};\n", u->top, x->fname);
        sg_buf_puts(b, "  \\draw[->] (l0) |- (L);\n  \\draw[->] (l1) -- (L);\n"
                       "  \\draw[->] (l2) |- (L);\n");
        sg_buf_printf(b, "  \\node at (%.2f,%.2f) {$\\cdots$};\n  \\node at (%.2f,%.2f) "
                         "{$\\cdots$};\n",
                      -(u->dx + 1.6), u->top, u->dx + 1.6, u->top);
    }
}

/* the unrolled graph in TikZ */
static void draw_unrolled(tex_doc *x, sg_buf *b, const unrolled *u)
{
    long off;
    sg_buf_puts(b, "\\begin{center}\n\\begin{tikzpicture}[x=1cm, y=1cm, >=stealth, "
                   "rounded corners=2pt,");
    if (u->scale < 1)
        sg_buf_printf(b, " scale=%.3f, every node/.append style={transform shape},", u->scale);
    sg_buf_printf(b, "\n"
                     "  input/.style={draw, rectangle, rounded corners=2pt, minimum size=6.5mm, "
                     "inner sep=2pt},\n"
                     "  data/.style={input, draw=black!40, text=black!60},\n"
                     "  value/.style={draw, circle, minimum size=%.2fcm, inner sep=1pt},\n"
                     "  result/.style={value, double, thick},\n"
                     "  lab/.style={font=\\footnotesize, fill=white, inner sep=1pt}]\n",
                  u->d);
    for (off = -1; off <= 1; off++) {
        int c = (int)(off + 1);
        double px = u->dx * (double)off;
        sg_buf_printf(b, "  \\node[value] (h%d) at (%.2f,1.8) {$%s$};\n", c, px, u->hn[c]);
        if (u->xn[c])
            sg_buf_printf(b, "  \\node[input] (x%d) at (%.2f,0) {$%s$};\n", c, px, u->xn[c]);
        if (u->ln[c]) {
            sg_buf_printf(b, "  \\node[value] (l%d) at (%.2f,3.6) {$%s$};\n", c, px, u->ln[c]);
            if (u->yn[c])
                sg_buf_printf(b, "  \\node[data] (y%d) at (%.2f,3.6) {$%s$};\n", c,
                              px + u->yoff, u->yn[c]);
        }
    }
    unrolled_edges(x, b, u);
    sg_buf_puts(b, "\\end{tikzpicture}\n\\end{center}\n");
}

/* the shared matrices, in the order of the edges; a recurrence may have
   none (h_t = tanh(x_t + h_{t−1})) */
static void say_shared(tex_doc *x, sg_buf *b, const unrolled *u, const sg_expr *now)
{
    const char *grp[3];
    int ng = 0, k;
    if (u->hh.n)
        grp[ng++] = names_of(x, u->hh.v, u->hh.n);
    if (u->xh.n)
        grp[ng++] = names_of(x, u->xh.v, u->xh.n);
    if (u->yv.n)
        grp[ng++] = names_of(x, u->yv.v, u->yv.n);
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
                  tex_str(x, now, TEX_M_FORM, 1), x->fname);
}

/*
 * The recurrence unrolled over three steps, t − 1, t, t + 1: the inputs
 * below, the states in a row with the shared matrices on their edges, the
 * loss terms above, all into L.
 */
static void doc_unrolled(tex_doc *x, int q, const sg_expr *loss)
{
    unrolled u;
    memset(&u, 0, sizeof u);
    unrolled_parts(x, q, loss, &u);
    unrolled_names(x, q, &u);
    unrolled_size(&u);
    draw_unrolled(x, x->out, &u);
    say_shared(x, x->out, &u, sg_deriv_step(x->dv, q, 0));
    free(u.hh.v);
    free(u.xh.v);
    free(u.in.v);
    free(u.out.v);
    free(u.yv.v);
}

/* the body of a Σ over time, steps [k+1, end) of g after its SEQ_SUM step
   s: the loss as the user wrote it, then the backward pass of one term */
static void bptt_loss_terms(tex_doc *x, const sg_log *g, const sg_step *s, int k, int end)
{
    sg_buf *b = x->out;
    tex_seg sg;
    /* the loss as the user wrote it, ½ and all: L = cΣ_t … when it is
       that; else the sum, and what reaches it, as a derivative */
    const sg_expr *f = g->f, *a = s->adjoint;
    int whole = f == s->node ||
                (f->op == SG_OP_MUL && f->nkids == 2 && f->kid[1] == s->node &&
                 f->kid[0]->op == SG_OP_CONST && a && a->op == SG_OP_CONST &&
                 a->value == f->kid[0]->value);
    tex_seg_build(x, &sg, g, k + 1, end, s->node->kid[0], (sg_expr *)s->adjoint);
    sg.step = 1;
    if (whole)
        sg_buf_printf(b, "\\paragraph{The loss terms.} $%s = %s$ is a sum over "
                         "time; each term is differentiated at its step $t$, by $%s$.\n",
                      x->fname, tex_str(x, f, TEX_M_FWD, 0), tex_rule_tex(x, SG_OP_SEQSUM));
    else /* the sum said once: twice in one formula it runs off a narrow page */
        sg_buf_printf(b, "\\paragraph{The loss terms.} $%s$ is a sum over time, "
                         "and the derivative of $%s$ with respect to it is $%s$; each term is "
                         "differentiated at its step $t$, by $%s$.\n",
                      tex_str(x, s->node, TEX_M_FWD, 1), x->fname,
                      tex_value_text(x, a, TEX_M_VALUE, 0), tex_rule_tex(x, SG_OP_SEQSUM));
    tex_doc_backward(x, &sg, NULL, 0, NULL, 0, NULL);
    tex_seg_free(&sg);
}

/* one step of a recurrence, steps [k+1, end) of g after its SEQ_REC step
   s: its backward pass, then its adjoints named where the step body is
   read as h[t] and one step later */
static void bptt_step(tex_doc *x, const sg_log *g, const sg_step *s, int k, int end)
{
    sg_buf *b = x->out;
    tex_seg sg;
    const sg_seq *h = sg_seq_get(x->ctx, s->seq);
    int i;
    tex_seg_build(x, &sg, g, k + 1, end, s->node, (sg_expr *)s->adjoint);
    sg.step = 1;
    sg_buf_printf(b, "\\paragraph{One step of the recurrence.} $%s = %s$ is "
                     "differentiated once, from $\\partial %s/\\partial %s = %s$; what "
                     "it gives holds at every step $t$, and what reaches $%s$ goes into "
                     "$\\delta_{t-1}$.\n",
                  tex_step(x, s->seq, 0),
                  tex_str(x, s->node, TEX_M_FWD, 0), x->fname,
                  tex_step(x, s->seq, 0),
                  tex_value_text(x, s->adjoint, TEX_M_VALUE, 0),
                  tex_step(x, s->seq, -1));
    tex_doc_backward(x, &sg, NULL, 0, NULL, 0, NULL);
    /* its adjoints, where the step body is read as h[t] and one step later */
    for (i = 0; i < sg.norder; i++) {
        const sg_expr *c = sg.order[i], *a = tex_seg_at(&sg, c)->adj;
        sg_expr *r, *r1;
        const char *now, *next;
        if (!a || tex_is_leaf(c) || !sg_expr_varies(c) || !tex_node_of(x, c)->fwd)
            continue;
        r = sg_deriv_replace(x->dv, a, h->body, sg_deriv_step(x->dv, s->seq, 0));
        r1 = sg_deriv_shift(x->dv, r, 1);
        now = tex_adj_name(x, c); /* before tex_node_of(): placeholders move the table */
        next = tex_adj_name(x, sg_deriv_shift(x->dv, c, 1));
        if (!tex_node_of(x, r)->fwd && !tex_node_of(x, r)->adj)
            tex_node_of(x, r)->adj = now;
        if (!tex_node_of(x, r1)->fwd && !tex_node_of(x, r1)->adj)
            tex_node_of(x, r1)->adj = next;
    }
    tex_seg_free(&sg);
}

/* a SEQ_PUSH step: a value outside the loop gets the sum over time of
   what reached it (the reason said at the first of nsums) */
static void bptt_push(tex_doc *x, const sg_step *s, int *nsums)
{
    sg_buf *b = x->out;
    const char *to = tex_str(x, s->to, TEX_M_FORM, 1);
    size_t start;
    const char *parts[1];
    if (s->seq >= 0 && s->to == sg_seq_get(x->ctx, s->seq)->init) {
        sg_buf_printf(b, "\\paragraph{The initial state.} $%s$ is the state before the "
                         "first step, so its gradient is the last $\\delta$ of the "
                         "recurrence:\n",
                      to);
    } else if ((*nsums)++ == 0) {
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
    parts[0] = tex_value_text(x, s->contrib, TEX_M_VALUE, 1);
    tex_equation(x, b, sg_arena_printf(x->ar, "\\nabla_{%s} %s", to, x->fname), "", parts, 1,
                 tex_tag_of(x, NULL, 0, s->to->shape));
    tex_end_align(b, start);
}

/* the sequence steps of g from `first` on: a paragraph each */
static void bptt_steps(tex_doc *x, const sg_log *g, int first)
{
    sg_buf *b = x->out;
    int k, nsums = 0;
    for (k = first; k < g->nsteps; k++) {
        const sg_step *s = &g->steps[k];
        int end;
        for (end = k + 1; end < g->nsteps && g->steps[end].kind < SG_STEP_SEQ_SUM &&
                          g->steps[end].kind != SG_STEP_JACOBIAN;
             end++)
            ;
        switch (s->kind) {
        case SG_STEP_SEQ_SUM:
            bptt_loss_terms(x, g, s, k, end);
            k = end - 1;
            break;
        case SG_STEP_SEQ_REC:
            bptt_step(x, g, s, k, end);
            k = end - 1;
            break;
        case SG_STEP_SEQ_TERM:
            if (input_adjoint(x, s->adjseq)) {
                sg_buf_printf(b, "This gives $%s$ the term $%s$, at %s.\n\n",
                              input_grad(x, s->adjseq, NULL),
                              tex_value_text(x, s->contrib, TEX_M_VALUE, 0),
                              s->node->op == SG_OP_AT       ? "that one step"
                              : s->node->op == SG_OP_SEQSUM ? "every step of the sum"
                                                            : "every step of the recurrence");
                break;
            }
            sg_buf_printf(b, "This gives $\\delta_t$ the direct term $%s$, at %s.\n\n",
                          tex_value_text(x, s->contrib, TEX_M_VALUE, 0),
                          s->node->op == SG_OP_AT ? "that one step" : "every step of the sum");
            break;
        case SG_STEP_SEQ_PUSH:
            bptt_push(x, s, &nsums);
            break;
        case SG_STEP_SEQ_DELTA:
            if (!sg_seq_get(x->ctx, s->seq)->init) /* a gate: no step reads its own */
                sg_buf_printf(b, "\\paragraph{The adjoint of $%s$.} $%s$ reaches $%s$ only "
                                 "through the steps that read it at $t$; by the total "
                                 "derivative rule their contributions add:\n",
                              tex_step(x, s->seq, 0), tex_step(x, s->seq, 0), x->fname);
            else
                sg_buf_printf(b, "\\paragraph{The recurrence for $\\delta$.} $%s$ reaches $%s$ "
                                 "directly and, before the last step, through $%s$; by the "
                                 "total derivative rule the contributions add, and $\\delta$ "
                                 "runs backwards from the last step:\n",
                              tex_step(x, s->seq, 0), x->fname, tex_step(x, s->seq, 1));
            delta_cases(x, s->adjseq);
            break;
        default:
            break;
        }
    }
}

/* "for t = 1, …, T, starting from h_0 and c_0": the initial values of q's
   group (the recurrences computed with it) */
static void starting_from(tex_doc *x, int q)
{
    const sg_seq *h = sg_seq_get(x->ctx, q);
    sg_seqgroups *gr = sg_seqgroups_new(x->ctx);
    const int *m;
    const char **items;
    int n = sg_seqgroups_members(gr, q, &m), k, ni = 0;
    items = sg_arena_alloc(x->ar, (size_t)(n + 1) * sizeof *items);
    for (k = 0; k < n; k++) {
        const sg_seq *s = sg_seq_get(x->ctx, m[k]);
        if (s->init)
            items[ni++] = sg_arena_printf(x->ar, "$%s$", tex_at(x, m[k], sg_index_plus(s->lo, -1)));
    }
    sg_buf_printf(x->out, "for $%s$, starting from ", tex_range_text(x, h->lo, h->hi));
    tex_and_list(x->out, items, ni);
    sg_buf_puts(x->out, ".\n\n");
    sg_seqgroups_free(gr);
}

/* a recurrence's gradient: the forward pass, the unrolled graph, the sequence
   steps, the results boxed, and the vanishing and exploding gradients */
void tex_doc_bptt(tex_doc *x, const sg_log *g, const sg_result *const *res, int nres)
{
    sg_buf *b = x->out;
    const sg_expr **st, *loss = NULL;
    int nst, k, q = log_recurrence(g), first_seq, shown;
    size_t start;
    nst = tex_log_stations(x, g, &st);
    tex_doc_forward(x, g->f, st, nst);
    if (q >= 0)
        starting_from(x, q);
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
        tex_fit_pictures(b, mark);
    }
    sg_buf_puts(b, "\\subsection*{Backpropagation through time}\n");
    if (q >= 0) {
        const sg_seq *h = sg_seq_get(x->ctx, q);
        sg_buf_printf(b, "Write $\\delta_t = \\partial %s/\\partial %s \\in %s$. The state $%s$ "
                         "reaches $%s$ along two kinds of paths: directly, through the loss term "
                         "of step $t$, and through the next state $%s$.\n\n",
                      x->fname, tex_step(x, q, 0),
                      tex_shape(x, h->shape), tex_step(x, q, 0),
                      x->fname, tex_step(x, q, 1));
    }
    bptt_steps(x, g, first_seq);
    sg_buf_puts(b, "\\subsection*{Result}\n");
    for (k = 0; k < nres; k++) /* ∂L/∂x[t], interval by interval */
        if (sg_result_seq(res[k]) >= 0)
            delta_cases(x, sg_result_seq(res[k]));
    for (k = 0; k < nres && sg_result_seq(res[k]) >= 0; k++)
        ;
    if (k == nres) { /* nothing else */
        if (q >= 0)
            tex_doc_vanishing(x, g, q);
        return;
    }
    sg_buf_puts(b, "\\begin{align*}\n");
    start = b->len;
    for (k = 0, shown = 0; k < nres; k++) {
        const char *parts[1];
        if (sg_result_seq(res[k]) >= 0)
            continue;
        if (shown++ > 0 && x->o->index && shown % 4 == 1) {
            /* four results (eight lines) an align: a fragment's document,
               without \allowdisplaybreaks, cannot break one, and an LSTM's
               fifteen outgrow a page */
            tex_end_align(b, start);
            sg_buf_puts(b, "\\begin{align*}\n");
            start = b->len;
        }
        parts[0] = tex_boxed(x, tex_result_text(x, res[k]->display, NULL),
                             TEX_BOX_EMS(x) - tex_width(tex_result_tex(x, res[k])));
        tex_equation(x, b, tex_result_tex(x, res[k]), "", parts, 1, "");
        if (x->o->index)
            tex_index_line(x, b, res[k]);
    }
    tex_end_align(b, start);
    if (q >= 0)
        tex_doc_vanishing(x, g, q);
}
