/*
 * latex.c: the derivation, as a homework solution in LaTeX: the document.
 *
 * The document is printed from the derivation log (symbolic/diff.h) and
 * nothing else: the log says which rule pushed which contribution from
 * which node to which child, where the contributions of several paths were
 * summed, and (for recurrences) how the adjoint sequence δ was assembled.
 * The tex_*.c files decide only how to show it (tex.h lists them); this
 * one puts the document together: the title, the problem, then per
 * derivation log its forward pass, graph and backward pass (or, for
 * recurrences, backpropagation through time, for Jacobians and Hessians
 * their lines), the total derivative where several paths add, each result
 * boxed, the symmetry a line uses said out loud, and the references.
 *
 * This file makes no expression: the forms, display forms, values said in
 * terms of the lines above, steps read one step later or at a fixed step,
 * and f′ are made by symbolic/derive.c through the document's sg_deriv,
 * which test_derive.c checks (the instantiated rules, fed the logged
 * adjoints, give back exactly the logged contributions).
 *
 * Sizes. Every list here grows with the problem (inputs of a node, paths,
 * pieces of δ, factors of a product); walks over a value look at each node
 * of its DAG once. The limits are the page's, and the text says when one
 * applies: a graph too large to draw is described in words, a formula of
 * more than PRINT_CAP nodes is elided with a marker, and of a symbol's
 * paths the first PATHS_LISTED are listed, then "…", of the first
 * MULTI_LISTED such symbols (the text says how many more). Text from outside
 * the problem (the input's file name) is escaped for TeX, never copied.
 */
#include "tex.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

/* ---- symmetry said out loud, and the seeds' content ---------------------------- */

static const char *why_symmetric(tex_doc *x, const sg_expr *a, const char *an)
{
    int i;
    if (a->op == SG_OP_VAR) {
        const sg_symbol *s = sg_sym_get(x->ctx, a->sym);
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
            tex_put_unbroken(&t, tex_user_text(x, d->expr)); /* running text: no break marks */
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
static void symmetry_notes(tex_doc *x, const tex_seg *s)
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
            if (!sg_props_symmetric(x->ctx, a))
                continue;
            slot = sg_idmap_add(&m, a);
            assert(slot == n0);
            mats[slot] = a;
            rs[3 * slot] = rs[3 * slot + 1] = rs[3 * slot + 2] = 0;
        }
        op = y->op == SG_OP_INV ? 0 : y->op == SG_OP_DET ? 1 : 2;
        r = x->cite[tex_rule_of(y, 0)];
        if (r)
            rs[3 * slot + op] = r;
    }
    for (i = 0; i < (int)m.n; i++) {
        const char *an = tex_str(x, mats[i], TEX_M_FORM, 1), *tags = NULL;
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
        if (!tex_plain_name(an))
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
static void centred_notes(tex_doc *x, const tex_seg *s)
{
    sg_buf *b = x->out;
    int i, k, summed = 0, n = 0;
    for (i = 0; i < s->ne && !summed; i++)
        summed = s->e[i].node->op == SG_OP_SUM || s->e[i].node->op == SG_OP_FILL;
    if (!summed)
        return;
    if (x->ncentred < 0) { /* the candidates, once a document: a pass per
                              segment over every definition is quadratic */
        x->centred = sg_xmalloc(((size_t)x->p->ndefs + 1) * sizeof *x->centred);
        x->ncentred = 0;
        for (i = 0; i < x->p->ndefs; i++) {
            const sg_def *d = &x->p->defs[i];
            if (d->name && d->expr && !tex_is_leaf(d->expr) && d->expr->name &&
                !strcmp(d->expr->name, d->name) && sg_expr_sums_to_zero(d->expr))
                x->centred[x->ncentred++] = i;
        }
    }
    for (k = 0; k < x->ncentred; k++) {
        const sg_def *d = &x->p->defs[x->centred[k]];
        const char *name;
        sg_buf t;
        if (!tex_in_seg(s, d->expr))
            continue;
        name = tex_name(x, d->name);
        sg_buf_init(&t);
        tex_put_unbroken(&t, tex_user_text(x, d->expr)); /* running text: no break marks */
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
static void seed_derivations(tex_doc *x, const tex_seg *s, int mark)
{
    int i, k;
    for (i = mark; i < x->ncited; i++) {
        int r = x->cited[i];
        if (!tex_softmax_bit((sg_op)r))
            continue;
        for (k = 0; k < s->ne && (int)s->e[k].node->op != r; k++)
            ;
        if (k < s->ne)
            tex_softmax_derivation(x, s->e[k].node, sg_arena_printf(x->ar, "(R%d)", i + 1), 1);
    }
}

/* ---- rules used ----------------------------------------------------------------- */

/* the rules cited since mark, listed (the list comes before the lines) */
static void doc_rules(tex_doc *x, int mark)
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
        sg_buf_printf(b, "  &%s \\tag*{%s}\\\\\n", tex_rule_tex(x, r),
                      tex_rule_tag(x, tex_cookbook_of(r), sg_arena_printf(x->ar, "(R%d)", i + 1)));
    }
    tex_end_align(b, start); /* not its first rule alone at a page foot */
}

/* ---- a gradient ------------------------------------------------------------------ */

/* the VAR node of the symbol called name */
const sg_expr *tex_var_named(tex_doc *x, const char *name)
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
static unsigned *box_names(tex_doc *x, const sg_result *const *res, int nres, int *n)
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
        const tex_node *a = &x->ni[x->lined[i]];
        const sg_expr *d;
        unsigned slot, n0 = m.n;
        if (!a->lph || !a->node || a->lph->id >= x->nni || !x->ni[a->lph->id].ph)
            continue;
        d = tex_simple(x, a->node);
        if (tex_is_leaf(d) || tex_shown_ops(x, d, 8, 1) < (x->ni[a->lph->id].delta ? 4 : 6))
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
            count_in(tex_simple(x, res[i]->display), 1, &m, count, &left);
    named = sg_xmalloc(((size_t)m.n + 1) * sizeof *named);
    *n = 0;
    for (i = 0; i < (int)m.n; i++)
        if (count[i] >= (layer[i] ? 1 : 2) && left >= 0) {
            tex_node_of(x, cand[i])->boxname = name[i];
            named[(*n)++] = cand[i]->id;
        }
    sg_idmap_free(&m);
    free((void *)cand);
    free((void *)name);
    free(layer);
    free(count);
    return named;
}

/* the left side of r's line in the Total section: its name, or for a
   Hessian (which stands for the gradient it differentiates) ∇ₓf */
static const char *total_lhs(tex_doc *x, const sg_result *r)
{
    if (r->kind != SG_RES_HESSIAN)
        return tex_result_tex(x, r);
    return sg_arena_printf(x->ar, "\\nabla_{%s} %s", tex_name(x, r->wrt), x->fname);
}

/* the Total section: each result reached, its paths summed, boxed (the
   gradient a Hessian differentiates is not a result: summed, not boxed) */
static void doc_total(tex_doc *x, const sg_result *const *res, int nres, const tex_sums *sm,
                      const sg_expr *root)
{
    sg_buf *b = x->out;
    const char **single = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *single);
    const char *of = tex_gname(x, root);
    int i, multi = 0, nsingle = 0, nnamed;
    unsigned *named = box_names(x, res, nres, &nnamed);
    for (i = 0; i < nres; i++)
        multi |= sm[i].n > 1;
    sg_buf_printf(b, "\\subsection*{%s}\n", multi ? "Total derivative" : "Result");
    for (i = 0; i < nres; i++) {
        const sg_result *r = res[i];
        const char *parts[2], *wrt = tex_name(x, r->wrt);
        const char **v;
        size_t start;
        int k;
        if (sm[i].n <= 1) {
            single[nsingle++] = sg_arena_printf(x->ar, "$%s$", wrt);
            continue;
        }
        sg_buf_printf(b, "$%s$ reaches $%s$ along %s paths, ", wrt, of, tex_count_word(x, sm[i].n));
        tex_list_labels(b, sm[i].labels, sm[i].n);
        sg_buf_puts(b, "; by the total derivative rule, their contributions add:\n");
        v = sg_arena_alloc(x->ar, (size_t)sm[i].n * sizeof *v);
        for (k = 0; k < sm[i].n; k++) /* a shared adjoint: said once, by name */
            v[k] = sm[i].shared ? sm[i].forms[k] : tex_value_text(x, sm[i].vals[k], TEX_M_BOX, 1);
        parts[0] = tex_join_sum(x, v, sm[i].n);
        parts[1] = tex_boxed(x, tex_result_text(x, r->display, sm[i].adj), TEX_BOX_EMS(x) - tex_width(tex_result_tex(x, r)));
        sg_buf_puts(b, "\\begin{align*}\n");
        start = b->len;
        tex_equation(x, b, total_lhs(x, r), "", parts, r->kind == SG_RES_HESSIAN ? 1 : 2, "");
        if (x->o->index && r->kind != SG_RES_HESSIAN) /* the Hessian's: with its result */
            tex_index_line(x, b, r);
        tex_end_align(b, start);
    }
    if (nsingle > 0) {
        size_t start;
        /* one path: the last line of the backward pass is the gradient, and
           needs no sentence; only where other symbols needed the total
           derivative, which ones did not */
        if (multi) {
            tex_and_list(b, single, nsingle);
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
            parts[0] = tex_boxed(x, tex_result_text(x, res[i]->display, sm[i].n == 1 ? sm[i].vals[0] : NULL),
                             TEX_BOX_EMS(x) - tex_width(tex_result_tex(x, res[i])));
            if (res[i]->kind == SG_RES_HESSIAN && sm[i].n == 1)
                parts[0] = tex_value_text(x, sm[i].vals[0], TEX_M_BOX, 1);
            tex_equation(x, b, total_lhs(x, res[i]), "", parts, 1, "");
            if (x->o->index && res[i]->kind != SG_RES_HESSIAN)
                tex_index_line(x, b, res[i]);
        }
        tex_end_align(b, start);
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
void tex_fit_pictures(sg_buf *b, size_t from)
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
void tex_doc_backward(tex_doc *x, tex_seg *s, const sg_expr *const *targets, int nt, tex_sums *sm,
                         int defer, const char *intro)
{
    sg_buf lines, *saved = x->out;
    int mark = x->ncited;
    size_t start;
    sg_buf_init(&lines);
    sg_buf_puts(&lines, "\\begin{align*}\n");
    start = lines.len;
    tex_seg_lines(x, s, &lines, targets, nt, sm, defer);
    tex_end_align(&lines, start);
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

static void doc_gradient(tex_doc *x, const sg_log *g, const sg_result *const *res, int nres)
{
    tex_seg s;
    const sg_expr **st, **targets, **multi;
    tex_sums *sm;
    int nst, i, nmulti = 0, stop = first_jacobian(g);
    size_t mark;
    nst = tex_log_stations(x, g, &st);
    targets = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *targets);
    multi = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *multi);
    sm = sg_arena_alloc(x->ar, (size_t)(nres + 1) * sizeof *sm);
    for (i = 0; i < nres; i++)
        targets[i] = tex_var_named(x, res[i]->wrt);
    tex_seg_build(x, &s, g, 0, stop, g->f, (sg_expr *)g->steps[0].adjoint); /* the seed, 1 */
    for (i = 0; i < nres; i++) {
        if (tex_seg_at(&s, targets[i])->nin > 1)
            multi[nmulti++] = targets[i];
    }
    tex_doc_forward(x, g->f, st, nst);
    sg_buf_puts(x->out, "\\subsection*{Computation graph}\n");
    mark = x->out->len;
    tex_doc_graph(x, &s, st, nst, g->f, multi, nmulti);
    tex_fit_pictures(x->out, mark);
    sg_buf_puts(x->out, "\\subsection*{Backward pass}\n");
    tex_doc_backward(x, &s, targets, nres, sm, 1,
                 sg_arena_printf(x->ar, "Starting from $\\partial %s/\\partial %s = 1$, each line "
                                        "applies the local rule of one step of the forward pass "
                                        "(cited at the right, before the shape).\n",
                                 x->fname, x->fname));
    doc_total(x, res, nres, sm, g->f);
    tex_seg_free(&s);
}

/* ---- the document ---------------------------------------------------------------- */

/* "Gradient of $L$ with respect to $W$ and $b$": what the problem asks for,
   the title of a problem that has no leading comment. A value's gradients
   are said once, and requests of the same value with respect to the same
   names together ("Gradient and Hessian of …"); requests apart by "; " */
static const char *derived_title(tex_doc *x)
{
    const sg_problem *p = x->p;
    int nr = p->nresults, n = 0, i, j;
    const char **kinds = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *kinds);
    const char **what = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *what);
    const char **wrt = sg_arena_alloc(x->ar, (size_t)(nr + 2) * sizeof *wrt);
    int *next = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *next);
    sg_strmap last, said; /* by value: its first gradient; by text: its entry of what */
    sg_buf b;
    const char *r;
    /* next[i]: the next gradient of result i's value after it, −1 for none
       (a value's gradients are said together, with its first, which last
       maps the value to); tail[j]: the last of value j's so far */
    int *tail = sg_arena_alloc(x->ar, (size_t)(nr + 1) * sizeof *tail);
    sg_strmap_init(&last);
    for (i = 0; i < nr; i++) {
        next[i] = -1;
        if (p->results[i].kind != SG_RES_GRAD)
            continue;
        j = sg_strmap_get(&last, p->results[i].of);
        if (j < 0) {
            sg_strmap_put(&last, p->results[i].of, i);
            tail[i] = i;
        } else {
            next[tail[j]] = i;
            tail[j] = i;
        }
    }
    sg_strmap_init(&said);
    for (i = 0; i < nr; i++) {
        const sg_result *res = &p->results[i];
        const char *kind, *w;
        int nw = 0;
        sg_buf t;
        if (res->kind == SG_RES_VALUE)
            continue;
        if (res->kind == SG_RES_GRAD) {
            if (sg_strmap_get(&last, res->of) != i) /* said with the value's first gradient */
                continue;
            for (j = i; j >= 0; j = next[j])
                wrt[nw++] = sg_arena_printf(x->ar, "$%s$", tex_name(x, p->results[j].wrt));
        } else {
            wrt[nw++] = sg_arena_printf(x->ar, "$%s$", tex_name(x, res->wrt));
            if (res->wrt2 && strcmp(res->wrt2, res->wrt))
                wrt[nw++] = sg_arena_printf(x->ar, "$%s$", tex_name(x, res->wrt2));
        }
        kind = res->kind == SG_RES_GRAD ? "gradient" : res->kind == SG_RES_JACOBIAN ? "Jacobian"
                                                                                  : "Hessian";
        sg_buf_init(&t);
        sg_buf_printf(&t, "of $%s$ with respect to ", tex_name(x, res->of));
        tex_and_list(&t, wrt, nw);
        w = sg_arena_strdup(x->ar, sg_buf_str(&t));
        sg_buf_free(&t);
        j = sg_strmap_get(&said, w);
        if (j >= 0) {
            if (!strstr(kinds[j], kind))
                kinds[j] = sg_arena_printf(x->ar, "%s and %s", kinds[j], kind);
            continue;
        }
        sg_strmap_put(&said, w, n);
        kinds[n] = kind;
        what[n++] = w;
    }
    sg_strmap_free(&last);
    sg_strmap_free(&said);
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
static void doc_title(tex_doc *x)
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

/* "f's node id/name": the key of the gradient of f with respect to name */
static const char *grad_key(tex_doc *x, const sg_expr *f, const char *name)
{
    return sg_arena_printf(x->ar, "%u/%s", f ? f->id : 0u, name ? name : "");
}

/* the problem's derivation logs and the results each answers */
typedef struct {
    const sg_log **logs;
    int nlogs;
    int *which;       /* by result: its log, or −1 */
    int *first;       /* the results of log i: byres[first[i] .. first[i + 1]) */
    int *byres;
    sg_strmap gradof; /* "f/name" → the log that first has that gradient */
} doc_logs;

static void doc_logs_of(tex_doc *x, doc_logs *d)
{
    const sg_problem *p = x->p;
    int i, j;
    d->logs = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *d->logs);
    d->which = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *d->which);
    d->nlogs = sg_problem_logs(p, d->logs, d->which);
    /* which log first has the gradient of a function f wrt a name */
    sg_strmap_init(&d->gradof);
    for (j = 0; j < p->nresults; j++)
        if (d->which[j] >= 0 && p->results[j].kind == SG_RES_GRAD)
            sg_strmap_put(&d->gradof, grad_key(x, d->logs[d->which[j]]->f, p->results[j].wrt),
                          d->which[j]);
    /* the results of each log, in order: byres[first[i] .. first[i + 1]) */
    d->first = sg_xmalloc((size_t)(d->nlogs + 2) * sizeof *d->first);
    d->byres = sg_xmalloc((size_t)(p->nresults + 1) * sizeof *d->byres);
    memset(d->first, 0, (size_t)(d->nlogs + 2) * sizeof *d->first);
    for (j = 0; j < p->nresults; j++)
        if (d->which[j] >= 0)
            d->first[d->which[j] + 2]++;
    for (i = 0; i < d->nlogs; i++)
        d->first[i + 2] += d->first[i + 1];
    for (j = 0; j < p->nresults; j++)
        if (d->which[j] >= 0)
            d->byres[d->first[d->which[j] + 1]++] = j;
}

static void doc_logs_free(doc_logs *d)
{
    free(d->logs);
    free(d->which);
    free(d->first);
    free(d->byres);
    sg_strmap_free(&d->gradof);
}

/* the first comment line, then the preamble and the title, or (a
   fragment) the group its lines stretch in */
static void doc_opening(tex_doc *x)
{
    const sg_latex_opts *o = x->o;
    sg_buf *out = x->out;
    sg_buf_puts(out, "% The derivation, written by symgrad");
    if (o->source) {
        sg_buf_puts(out, " from ");
        tex_comment_text(out, o->source);
    }
    /* a fragment says what the document it goes into must load */
    sg_buf_puts(out, o->fragment ? "; paste it into a document that loads amsmath, amssymb and "
                                   "tikz (\\usepackage{amsmath,amssymb,tikz}).\n"
                                 : ".\n");
    if (!o->fragment) {
        const char *pre = sg_template("preamble.tex");
        sg_buf_puts(out, "% Compile with pdflatex; it needs amsmath, amssymb and tikz only.\n");
        sg_buf_puts(out, pre ? pre : "\\documentclass{article}\n\\usepackage{amsmath,amssymb,tikz}\n");
        sg_buf_puts(out, "\\begin{document}\n");
        doc_title(x);
    } else {
        /* what the preamble does for a whole document, for the fragment
           alone: its lines stretch rather than run into the margin */
        sg_buf_puts(out, "\\begingroup\\emergencystretch=3em\\relax\n");
    }
}

/* the derivation of log i: its gradients (through time, for a recurrence),
   its Hessian or its Jacobian */
static void doc_derivation(tex_doc *x, const doc_logs *d, int i)
{
    const sg_log *g = d->logs[i];
    const sg_result **res =
        sg_arena_alloc(x->ar, (size_t)(d->first[i + 1] - d->first[i] + 1) * sizeof *res);
    const sg_result *hess = NULL, *jac = NULL;
    int nres = 0, q;
    for (q = d->first[i]; q < d->first[i + 1]; q++) {
        const sg_result *r = &x->p->results[d->byres[q]];
        if (r->kind == SG_RES_GRAD)
            res[nres++] = r;
        else if (r->kind == SG_RES_HESSIAN)
            hess = r;
        else if (r->kind == SG_RES_JACOBIAN && !jac)
            jac = r;
    }
    if (g->f && g->f->name)
        x->fname = tex_name(x, g->f->name);
    tex_unline_all(x);
    if (tex_has_seed(g)) {
        if (nres == 0 && hess) { /* the gradient the Hessian differentiates,
                                    unless an earlier derivation shows it */
            int k = sg_strmap_get(&d->gradof, grad_key(x, g->f, hess->wrt));
            if (k < 0 || k >= i)
                res[nres++] = hess;
        }
        if (nres > 0) {
            if (has_seq_steps(g))
                tex_doc_bptt(x, g, res, nres);
            else
                doc_gradient(x, g, res, nres);
        }
        if (hess)
            tex_doc_jacobian(x, g, first_jacobian(g), hess, 1);
    } else if (jac) {
        tex_doc_jacobian(x, g, 0, jac, 0);
    }
}

/* what the document kept, freed (what it made lives in the context) */
static void doc_free(tex_doc *x)
{
    free(x->ni);
    free(x->used);
    sg_strmap_free(&x->taken);
    sg_idmap_free(&x->defs);
    free(x->defix);
    free(x->wrtsym);
    free(x->dstamp);
    free(x->lined);
    free(x->centred);
    free(x->gseen);
    free(x->gidx);
    sg_deriv_free(x->dv);
}

char *sg_latex_document(const sg_problem *p, const sg_latex_opts *o, size_t *len)
{
    tex_doc x;
    sg_buf out;
    doc_logs d;
    int i;
    memset(&x, 0, sizeof x);
    sg_buf_init(&out);
    x.line_ems = o->fragment ? 24.0 : 30.0; /* the lines of a default article */
    x.p = p;
    x.ctx = p->ctx;
    x.dv = sg_deriv_new(p->ctx);
    x.ar = sg_ctx_arena(p->ctx);
    x.o = o;
    x.out = &out;
    x.nsyms0 = sg_sym_count(p->ctx);
    x.fname = "L";
    x.ncentred = -1;
    doc_logs_of(&x, &d);
    tex_find_needed(&x, d.logs, d.nlogs);
    tex_name_nodes(&x);
    doc_opening(&x);
    tex_doc_problem(&x);
    for (i = 0; i < d.nlogs; i++)
        doc_derivation(&x, &d, i);
    if (o->update)
        tex_doc_updates(&x);
    if (o->verdicts && p->nanswers > 0)
        tex_doc_answers(&x, o->verdicts);
    tex_doc_references(&x);
    sg_buf_puts(&out, o->fragment ? "\\endgroup\n" : "\\end{document}\n");
    doc_logs_free(&d);
    doc_free(&x);
    return sg_buf_take(&out, len);
}
