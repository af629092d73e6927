/*
 * tex_problem.c: the problem as given, and the forward pass.
 *
 * The Problem section quotes the user's definitions (quote.h) with what
 * the checker made of them: the rewrites the constructors made, each with
 * its reasons, and each sequence's recurrence. Results are named as a text
 * names them (∇_W L, ∂s/∂z, ∇²_x f) and written in closed form, or, when
 * that would fill more than a few lines, in terms of the adjoints the
 * backward pass named. The forward pass lists a function's stations, kids
 * first, each defined in terms of the ones before it with its shape.
 */
#include "tex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "quote.h"

/* ---- the problem ------------------------------------------------------------ */

/* a result in closed form; when that would fill more than a few lines, in
   terms of the adjoints the backward pass named (∂L/∂z_{99} h_{98}^\top):
   those of raw, the value as logged, when given */
const char *tex_result_text(tex_doc *x, const sg_expr *e, const sg_expr *raw)
{
    const char *closed;
    sg_expr *c = tex_simple(x, e);
    if (tex_shown_ops(x, c, 200, 1) < 200 && /* else too long anyway */
        tex_shown_size(x, c, TEX_M_BOX, TEX_VALUE_CAP, 1) <= TEX_VALUE_CAP) {
        const sg_expr *hide = x->hide;
        x->hide = c; /* a box is a formula, never just a name */
        closed = tex_print_value(x, c, TEX_M_BOX, 1);
        x->hide = hide;
        /* a few lines, if it can break into them */
        if (tex_width(closed) <= 4 * TEX_LINE_EMS(x) &&
            (tex_width(closed) <= TEX_LINE_EMS(x) - 8 || strchr(closed, SG_FMT_BREAK)))
            return closed;
    }
    return tex_value_text(x, raw ? raw : e, TEX_M_VALUE, 1);
}

/* "A, B and C" into b */
void tex_and_list(sg_buf *b, const char **items, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (i > 0)
            sg_buf_puts(b, i + 1 == n ? (n > 2 ? ", and " : " and ") : ", ");
        sg_buf_puts(b, items[i]);
    }
}

/* where a symbol lives: \mathbb{R}^{n}, \mathbb{S}^{n}_{++}, \Delta^{C} */
static const char *space_of(tex_doc *x, const sg_symbol *s)
{
    const char *n = tex_dim(x, s->shape.rows);
    if (s->props & SG_PROP_SPD)
        return sg_arena_printf(x->ar, "\\mathbb{S}^{%s}_{++}", n);
    if (s->props & SG_PROP_SYMMETRIC)
        return sg_arena_printf(x->ar, "\\mathbb{S}^{%s}", n);
    if ((s->props & SG_PROP_SIMPLEX) && s->shape.cols == SG_DIM_ONE)
        return sg_arena_printf(x->ar, "\\Delta^{%s}", n);
    if (s->props & SG_PROP_SIMPLEX) /* a batch: each column in Δ^C */
        return sg_arena_printf(x->ar, "\\Delta^{%s\\times %s}", n, tex_dim(x, s->shape.cols));
    return tex_shape(x, s->shape);
}

/* ∇_W L, ∂s/∂z, ∇²_x f: what a result is called in the text */
const char *tex_result_tex(tex_doc *x, const sg_result *r)
{
    const char *of = tex_name(x, r->of), *w = r->wrt ? tex_name(x, r->wrt) : "";
    if (sg_result_seq(r) >= 0) /* ∂L/∂x[t]: the step x_t */
        w = tex_step(x, sg_seq_get(x->ctx, sg_result_seq(r))->of, 0);
    switch (r->kind) {
    case SG_RES_GRAD:
        return sg_arena_printf(x->ar, "\\nabla_{%s} %s", w, of);
    case SG_RES_JACOBIAN:
        return sg_arena_printf(x->ar, x->inline_ ? "\\partial %s/\\partial %s"
                                                 : "\\frac{\\partial %s}{\\partial %s}", of, w);
    case SG_RES_HESSIAN:
        if (r->wrt2 && strcmp(r->wrt2, r->wrt) != 0)
            return sg_arena_printf(x->ar, "\\frac{\\partial^2 %s}{\\partial %s\\,\\partial %s}", of,
                                   w, tex_name(x, r->wrt2));
        return sg_arena_printf(x->ar, "\\nabla^2_{%s} %s", w, of);
    default:
        return of;
    }
}

const char *tex_index(tex_doc *x, sg_index i)
{
    char buf[64];
    const char *d;
    if (i.dim < 0)
        return sg_arena_printf(x->ar, "%ld", i.off);
    d = tex_dim(x, i.dim);
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
    tex_doc *x;
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

/* ast as the user wrote it, breaks marked, the first upto definitions
   known */
static const char *quote_ast(tex_doc *x, known_names *k, const sg_ast *ast, int upto)
{
    sg_quote_opts qo;
    sg_buf b;
    const char *s;
    memset(&qo, 0, sizeof qo);
    qo.text = x->p->text;
    qo.known = quote_known;
    qo.arg = k;
    qo.breaks = 1;
    qo.alphabet = SG_FMT_LATEX;
    k->upto = upto;
    sg_buf_init(&b);
    sg_quote(&b, ast, &qo);
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* definition i as the user wrote it: from its syntax tree when the problem
   kept it, else its value */
static const char *quoted(tex_doc *x, known_names *k, int i)
{
    const sg_def *d = &x->p->defs[i];
    if (!d->ast)
        return tex_user_text(x, d->expr);
    return quote_ast(x, k, d->ast, i);
}

/* the statement that defines sequence name's first value (step = 0) or its
   step (step = 1), as written; NULL when the problem did not keep it */
static const sg_stmt *seq_stmt(tex_doc *x, const char *name, int step)
{
    const sg_stmt *s;
    for (s = x->p->prog ? x->p->prog->first : NULL; s; s = s->next)
        if (s->kind == SG_STMT_DEF && s->index && s->expr && !strcmp(s->target.name, name) &&
            !s->range_var.name == !step)
            return s;
    return NULL;
}

/* where recurrence q stands in the problem: at its step (gates and coupled
   cells read in the order written, not in the order of their initial values) */
static unsigned seq_place(tex_doc *x, int q)
{
    const sg_stmt *s = seq_stmt(x, sg_seq_get(x->ctx, q)->name, 1);
    return s ? s->span.begin : sg_seq_get(x->ctx, q)->span.begin;
}

typedef struct {
    unsigned at;
    int q;
} placed;

static int by_place(const void *pa, const void *pb)
{
    const placed *a = pa, *b = pb;
    return a->at != b->at ? (a->at < b->at ? -1 : 1) : (a->q < b->q ? -1 : a->q > b->q);
}

/* the right side of a recurrence's statement as written (the definitions
   above it known), else the value */
static const char *quoted_stmt(tex_doc *x, known_names *k, const sg_stmt *s, const sg_expr *value)
{
    int i;
    if (!s)
        return tex_user_text(x, value);
    for (i = 0; i < x->p->ndefs && x->p->defs[i].span.begin < s->span.begin; i++)
        ;
    return quote_ast(x, k, s->expr, i);
}

static void problem_rewrites(tex_doc *x, sg_buf *b, const char *lhs, const sg_expr *value,
                             const unsigned char *pick, int from, int to, int written);
static int rewrites_in(tex_doc *x, const sg_expr *value, unsigned char *pick);

/* h_0 = …, h_t = f(h_{t-1}) for t = 1, …, T: a recurrence as the user wrote it */
static void problem_recurrence(tex_doc *x, known_names *k, sg_buf *b, int q)
{
    const sg_seq *sq = sg_seq_get(x->ctx, q);
    const char *parts[1];
    if (sq->init) {
        const char *first = tex_at(x, q, sg_index_plus(sq->lo, -1));
        parts[0] = quoted_stmt(x, k, seq_stmt(x, sq->name, 0), sq->init);
        if (strcmp(first, parts[0]) != 0)
            tex_equation(x, b, first, "", parts, 1, "");
    }
    parts[0] = quoted_stmt(x, k, seq_stmt(x, sq->name, 1), sq->body);
    tex_equation(x, b, tex_step(x, q, 0), "", parts, 1,
             sg_arena_printf(x->ar, "$%s$", tex_range_text(x, sq->lo, sq->hi)));
    {
        /* its rewrites: those of no definition that its step's value holds */
        unsigned char *pick = sg_xmalloc((size_t)sg_rewrite_count(x->ctx) + 1);
        if (rewrites_in(x, sq->body, pick) > 0)
            problem_rewrites(x, b, tex_step(x, q, 0), sq->body, pick, 0,
                             sg_rewrite_count(x->ctx), 0);
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
static void problem_rewrites(tex_doc *x, sg_buf *b, const char *lhs, const sg_expr *value,
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
    parts[0] = tex_user_text(x, value);
    tex_equation(x, b, lhs, "", parts, 1, "");
}

/* the rewrites made outside every definition (in recurrences) whose result
   is in value's DAG, marked in pick (nrw entries) */
static int rewrites_in(tex_doc *x, const sg_expr *value, unsigned char *pick)
{
    tex_list nodes = {NULL, 0, 0};
    sg_idmap in;
    int i, j, nrw = sg_rewrite_count(x->ctx), n = 0;
    memset(pick, 0, (size_t)nrw + 1);
    if (!value || nrw == 0)
        return 0;
    tex_dag_nodes(x, value, 0, &nodes);
    sg_idmap_init(&in, x->ctx);
    for (i = 0; i < nodes.n; i++)
        sg_idmap_add(&in, nodes.v[i]);
    for (i = 0; i < nrw; i++)
        pick[i] = sg_idmap_find(&in, sg_rewrite_get(x->ctx, i)->out) != SG_IDMAP_NONE;
    for (j = 0; j < x->p->ndefs; j++)
        for (i = x->p->defs[j].rw_first; i < x->p->defs[j].rw_end; i++)
            pick[i] = 0;
    for (i = 0; i < nrw; i++)
        n += pick[i];
    sg_idmap_free(&in);
    free(nodes.v);
    return n;
}

void tex_doc_problem(tex_doc *x)
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
        const sg_symbol *s = sg_sym_get(x->ctx, i);
        if (s->seq >= 0) {
            const sg_seq *q = sg_seq_get(x->ctx, s->seq);
            items[n++] = sg_arena_printf(
                x->ar, "$%s \\in %s$ for $t = %s, \\dots, %s$",
                tex_step(x, s->seq, 0), space_of(x, s),
                tex_index(x, q->lo), tex_index(x, q->hi));
        } else {
            items[n++] = sg_arena_printf(x->ar, "$%s \\in %s$", tex_name(x, s->name),
                                         space_of(x, s));
        }
    }
    if (n > 0) {
        sg_buf_puts(b, "Given ");
        tex_and_list(b, items, n);
        sg_buf_puts(b, ", and\n");
    }
    sg_buf_puts(b, "\\begin{align*}\n");
    {
        size_t start = b->len;
        /* the recurrences in the order their steps are written */
        placed *seqs = sg_xmalloc(((size_t)sg_seq_count(x->ctx) + 1) * sizeof *seqs);
        int nseqs = 0, j = 0, q;
        for (q = 0; q < sg_seq_count(x->ctx); q++) {
            const sg_seq *sq = sg_seq_get(x->ctx, q);
            if (sq->kind != SG_SEQ_FORWARD || !sq->body)
                continue;
            seqs[nseqs].at = seq_place(x, q);
            seqs[nseqs++].q = q;
        }
        qsort(seqs, (size_t)nseqs, sizeof *seqs, by_place);
        for (i = 0; i < x->p->ndefs; i++) {
            const sg_def *d = &x->p->defs[i];
            const char *parts[1];
            if (!d->expr || !d->name)
                continue;
            for (; j < nseqs && seqs[j].at < d->span.begin; j++) /* written before d */
                problem_recurrence(x, &known, b, seqs[j].q);
            parts[0] = quoted(x, &known, i);
            tex_equation(x, b, tex_name(x, d->name), "", parts, 1, "");
            problem_rewrites(x, b, tex_name(x, d->name), d->expr, NULL, d->rw_first, d->rw_end,
                             d->derived_as_written);
        }
        for (; j < nseqs; j++)
            problem_recurrence(x, &known, b, seqs[j].q);
        free(seqs);
        tex_end_align(b, start);
    }
    sg_strmap_free(&known.defs);
    for (i = 0; i < x->p->nresults; i++) {
        const sg_result *r = &x->p->results[i];
        if (r->kind == SG_RES_VALUE)
            continue;
        x->inline_ = 1;
        items[nres++] = sg_arena_printf(x->ar, "$%s$", tex_result_tex(x, r));
        x->inline_ = 0;
    }
    sg_buf_puts(b, "find ");
    tex_and_list(b, items, nres);
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
int tex_log_stations(tex_doc *x, const sg_log *g, const sg_expr ***out)
{
    const sg_expr **list = sg_arena_alloc(x->ar, (size_t)(2 * g->nsteps + 2) * sizeof *list);
    int n = 0, k, seed = tex_has_seed(g);
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
            if (v[j] && !tex_is_leaf(v[j]) && tex_node_of(x, v[j])->kind == TEX_K_STATION)
                list[n++] = v[j];
    }
    n = sort_unique(list, n);
    *out = list;
    return n;
}

/* is c where a graph node's formula stops: a station or an input symbol */
static int graph_leaf(tex_doc *x, const sg_expr *c)
{
    return c->op == SG_OP_VAR || c->op == SG_OP_SEQSTEP || c->op == SG_OP_AT ||
           (c->id < x->nni && x->ni[c->id].kind == TEX_K_STATION);
}

/*
 * The stations and input symbols e's formula is written in, into in, each
 * once, in the order of the text. The walk keeps its own stack and marks
 * what it saw with stamp (seen[] is indexed by node id, stamp new for each
 * call), so a long sum costs no C stack and a shared subexpression is
 * walked once: the work is the DAG's, not the tree's.
 */
void tex_inputs_of(tex_doc *x, const sg_expr *e, tex_list *in, unsigned *seen, unsigned stamp)
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
            tex_list_push(in, c);
            continue;
        }
        SG_GROW(st, n, cap, SG_GROW_MAX, "nested subexpressions");
        st[n].e = c;
        st[n++].k = 0;
    }
    free(st);
}

void tex_doc_forward(tex_doc *x, const sg_expr *f, const sg_expr **st, int nst)
{
    sg_buf *b = x->out;
    size_t start;
    int i, anyseq = 0;
    sg_buf_puts(b, "\\subsection*{Forward pass}\n");
    {   /* the user's other definitions that f reads, where they fall: of a
           problem with 10,000 functions, each derivation shows its own */
        tex_list reach = {NULL, 0, 0};
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
        tex_dag_nodes(x, f, 1, &reach); /* and the recurrences f reads */
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
            if (i < nst || (!tex_is_leaf(e) && e->id < x->nni && x->ni[e->id].fwd && !sg_expr_varies(e)))
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
        const char *lhs = tex_node_of(x, st[i])->fwd;
        parts[0] = tex_str_breaks(x, st[i], TEX_M_FWD, 0);
        tex_equation(x, b, lhs, "", parts, 1, sg_arena_printf(x->ar, "$[\\in %s]$",
                                                       tex_shape(x, st[i]->shape)));
    }
    tex_end_align(b, start);
}

void tex_doc_answers(tex_doc *x, const char *const *verdicts)
{
    int i;
    known_names known;
    known.x = x;
    known.upto = x->p->ndefs;
    sg_strmap_init(&known.defs);
    for (i = 0; i < x->p->ndefs; i++)
        if (x->p->defs[i].name && sg_strmap_get(&known.defs, x->p->defs[i].name) < 0)
            sg_strmap_put(&known.defs, x->p->defs[i].name, i);
    sg_buf_puts(x->out, "\\subsection*{Answers}\n");
    for (i = 0; i < x->p->nanswers; i++) {
        const sg_answer *a = &x->p->answers[i];
        const sg_result *r = &x->p->results[a->result];
        unsigned line = 1, k;
        sg_quote_opts qo;
        memset(&qo, 0, sizeof qo);
        qo.text = x->p->text;
        qo.known = quote_known;
        qo.arg = &known;
        qo.alphabet = SG_FMT_LATEX;
        for (k = 0; x->p->text && k < a->span.begin && x->p->text[k]; k++)
            line += x->p->text[k] == '\n';
        sg_buf_printf(x->out, "\\begin{align*}\n\\text{yours (line %u):}\\quad ", line);
        sg_fmt_result_name(x->out, r, SG_FMT_LATEX);
        sg_buf_puts(x->out, " &= ");
        sg_quote(x->out, a->ast, &qo);
        sg_buf_puts(x->out, " \\\\\n\\text{derived:}\\quad ");
        sg_fmt_result_name(x->out, r, SG_FMT_LATEX);
        sg_buf_puts(x->out, " &= ");
        sg_fmt_expr(x->out, x->ctx, r->display ? r->display : r->expr, SG_FMT_LATEX);
        sg_buf_printf(x->out, "\n\\end{align*}\n\\noindent %s\n\n", verdicts[i]);
    }
    sg_strmap_free(&known.defs);
}
