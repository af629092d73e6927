/*
 * fmt_problem.c: --formulas, the problem as a page of formulas.
 *
 * sg_fmt_problem prints each result's display form and names what they
 * share: a node that a definition names prints as its name, and so does a
 * larger unnamed node that occurs twice or more in the printed text, under a
 * fresh name (r = WᵀWx − x). The definitions come first, each after the
 * names it uses; then the recurrences of the sequences the results read, as
 * they are written on paper; then the results. A gradient with respect to an
 * input sequence holds every step of x's adjoint: it prints as that
 * adjoint's terms under its own name, in the order of t
 * (∂J/∂u[t] = σ(v_cᵀ u[t]) v_c, t = 1, …, K), not as a line δu[t] of its own.
 *
 * The formulas themselves are formula.c's: this file decides only which
 * nodes print as names, what the fresh names are, and the order of the
 * lines. The work goes in steps: collect what the results print, choose
 * what prints as a name (choose_names), order the definitions
 * (order_definitions), give the fresh names (give_names), print the page.
 *
 * The page is kept as lines, each recorded as it ends with what it defines
 * (a definition, a sequence's first step or its step at t, a result):
 * sg_fmt_problem_lines hands them out, so that the C printer takes its
 * loop comments from there instead of searching the text, and
 * sg_fmt_problem is the same text without them.
 */
#include "formula.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "../base/strmap.h"

static int is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

/* a shared node prints as a name when its formula has at least MIN_OPS
   operators (r = WᵀWx − x; softmax(z₂) − y reads better inline), or one
   fewer and it occurs in three places inside other formulas (r = UVᵀ − Y
   in L, ∂L/∂U and ∂L/∂V) */
#define MIN_OPS 3
#define OPS_CAP 1000

/* fresh names, in order, before r₁, r₂, … */
static const char *const pool[] = {"r", "u", "v", "q"};

/* what prints as a name, and the name */
typedef struct {
    const sg_problem *p;
    int ascii;
    unsigned n;          /* nodes have ids below n */
    const char **name;   /* by id: the printed name, NULL for a formula */
    unsigned char *def;  /* by id: 1 a definition printed, 2 a fresh one */
    unsigned char *seqs; /* by sequence: 1 when its recurrence prints */
} naming;

static const char *lookup_name(void *arg, const sg_expr *e)
{
    naming *nm = arg;
    return e->id < nm->n ? nm->name[e->id] : NULL;
}

/* an unnamed matrix product: it runs on flat inside another (WᵀWx) */
static int is_chain(const sg_expr *e)
{
    return e->op == SG_OP_MUL && !e->name && !is_scalar(e->kid[0]);
}

/* the operators that make e worth a name: −x, xᵀ and 2x add none */
static int own_ops(const sg_expr *e)
{
    if (e->nkids == 0 || e->op == SG_OP_TRANSPOSE || e->op == SG_OP_FILL)
        return 0;
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST)
        return 0;
    return 1;
}

/* the kids e prints (‖a‖² prints a once) */
static int printed_kids(const sg_expr *e)
{
    return e->op == SG_OP_DOT && e->kid[0] == e->kid[1] ? 1 : e->nkids;
}

static int by_id_desc(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

/* a name the formulas already use: an input's, a dimension's, a definition's,
   or one given out before (in `used`) */
static int name_taken(const sg_problem *p, const sg_strmap *used, const char *s)
{
    return sg_sym_find(p->ctx, s) >= 0 || sg_dim_find(p->ctx, s) >= 0 ||
           sg_strmap_get(used, s) >= 0;
}

/* the smallest of the heap h[0..n) goes, and the rest stays a heap */
static int heap_pop(int *h, int *n)
{
    int top = h[0], i = 0, last = h[--*n];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

static void heap_push(int *h, int *n, int v)
{
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static int deps_of(naming *nm, const sg_expr *d, unsigned *seen, unsigned stamp,
                   const sg_expr **stack, const sg_expr **deps);

/*
 * The definitions in printing order, each after those it uses and otherwise
 * oldest first (Kahn's, with the ready ones in a heap by age): order[i] is
 * an index into defs.
 */
static void order_defs(naming *nm, const sg_expr **defs, int ndefs, unsigned *stamp,
                       const sg_expr **stack, const sg_expr **deps, int *order)
{
    int *index = sg_xmalloc((nm->n + 1) * sizeof *index);
    int *indeg = sg_xmalloc(((size_t)ndefs + 1) * sizeof *indeg);
    int *first = sg_xmalloc(((size_t)ndefs + 2) * sizeof *first);
    int *heap = sg_xmalloc(((size_t)ndefs + 1) * sizeof *heap);
    int *users = NULL, nusers = 0, nheap = 0, done = 0, i, j, k;
    size_t capusers = 0, capfrom = 0;
    unsigned char *out = sg_xmalloc((size_t)ndefs + 1);
    unsigned gen = 0;
    int *from = NULL; /* the def each entry of users depends on */
    for (j = 0; j < ndefs; j++)
        index[defs[j]->id] = j;
    memset(out, 0, (size_t)ndefs + 1);
    /* edges d → j for each definition d that j uses */
    for (j = 0; j < ndefs; j++) {
        int nd = deps_of(nm, defs[j], stamp, ++gen, stack, deps);
        indeg[j] = nd;
        for (k = 0; k < nd; k++) {
            SG_GROW(users, nusers, capusers, SG_GROW_MAX, "uses of definitions in definitions");
            SG_GROW(from, nusers, capfrom, SG_GROW_MAX, "uses of definitions in definitions");
            from[nusers] = index[deps[k]->id];
            users[nusers++] = j;
        }
    }
    /* users grouped by the definition they use (a counting sort) */
    {
        int *by = sg_xmalloc(((size_t)nusers + 1) * sizeof *by);
        memset(first, 0, ((size_t)ndefs + 2) * sizeof *first);
        for (k = 0; k < nusers; k++)
            first[from[k] + 2]++;
        for (j = 0; j < ndefs; j++)
            first[j + 2] += first[j + 1];
        for (k = 0; k < nusers; k++)
            by[first[from[k] + 1]++] = users[k];
        free(users);
        users = by;
    }
    for (j = 0; j < ndefs; j++)
        if (indeg[j] == 0)
            heap_push(heap, &nheap, j);
    while (done < ndefs) {
        if (nheap == 0) { /* not reached: definitions form a DAG */
            for (j = 0; out[j]; j++)
                ;
            heap_push(heap, &nheap, j);
            indeg[j] = 0;
        }
        j = heap_pop(heap, &nheap);
        out[j] = 1;
        order[done++] = j;
        for (i = first[j]; i < first[j + 1]; i++)
            if (--indeg[users[i]] == 0 && !out[users[i]])
                heap_push(heap, &nheap, users[i]);
    }
    free(index);
    free(indeg);
    free(first);
    free(heap);
    free(users);
    free(from);
    free(out);
}

static const sg_expr *shown(const sg_result *r)
{
    return r->display ? r->display : r->expr;
}

/*
 * Decides what prints as a name. Parents come before kids in id order, so
 * when a node is reached, every place it prints is known: occ counts them
 * (a named node's body prints once, in its definition), unit those where it
 * stands as a factor of its own rather than inside a flat chain. How much
 * a node's formula holds depends in turn on which of its kids got names
 * (v = 1/u is not worth a name once u = ‖r‖ has one), so the choice is
 * repeated with the last one's names until it settles.
 */
static void choose_names(naming *nm, const sg_expr **order, int norder, const unsigned *roots)
{
    unsigned *occ = sg_xmalloc(nm->n * sizeof *occ), *unit = sg_xmalloc(nm->n * sizeof *unit);
    int *ops = sg_xmalloc(nm->n * sizeof *ops);
    unsigned char *prev = sg_xmalloc(nm->n);
    int i, k, round, changed = 1;
    memset(prev, 0, nm->n);
    for (round = 0; round < 4 && changed; round++) {
        memset(occ, 0, nm->n * sizeof *occ);
        memset(unit, 0, nm->n * sizeof *unit);
        for (i = norder - 1; i >= 0; i--) { /* kids first */
            const sg_expr *e = order[i];
            int o = own_ops(e);
            for (k = 0; k < printed_kids(e); k++)
                if (!e->kid[k]->name && !prev[e->kid[k]->id])
                    o += ops[e->kid[k]->id];
            ops[e->id] = o < OPS_CAP ? o : OPS_CAP;
        }
        changed = 0;
        for (i = 0; i < norder; i++) { /* parents first */
            const sg_expr *e = order[i];
            unsigned total = occ[e->id] + roots[e->id], mult = total;
            nm->def[e->id] = 0;
            if (total == 0)
                continue;
            if (e->name) {
                if (occ[e->id] > 0) {
                    nm->def[e->id] = 1;
                    mult = 1;
                }
            } else if (own_ops(e) && occ[e->id] > 0 && !sg_expr_varies(e) &&
                       (prev[e->id] || /* once named, kept: naming a kid shrinks its
                                          parent, which must not then lose its name
                                          and print its tree twice again */
                        (ops[e->id] >= MIN_OPS && unit[e->id] + roots[e->id] >= 2) ||
                        (ops[e->id] == MIN_OPS - 1 && unit[e->id] >= 3))) {
                nm->def[e->id] = 2;
                mult = 1;
            }
            changed |= (nm->def[e->id] == 2) != prev[e->id];
            prev[e->id] = nm->def[e->id] == 2;
            for (k = 0; k < printed_kids(e); k++) {
                const sg_expr *kid = e->kid[k];
                occ[kid->id] += mult;
                /* Wᵀ(Wx) and β(Wx) print WᵀWx, βWx: Wx is not a factor of its own */
                if (!(is_chain(kid) && (is_chain(e) || (k == 1 && is_scalar(e->kid[0]) &&
                                                        e->op == SG_OP_MUL && !e->name))))
                    unit[kid->id] += mult;
            }
        }
    }
    free(occ);
    free(unit);
    free(ops);
    free(prev);
}

/* the definitions d's body prints in terms of, into deps (stamped seen) */
static int deps_of(naming *nm, const sg_expr *d, unsigned *seen, unsigned stamp,
                   const sg_expr **stack, const sg_expr **deps)
{
    int sp = 0, n = 0, k;
    stack[sp++] = d;
    while (sp > 0) {
        const sg_expr *e = stack[--sp];
        for (k = 0; k < e->nkids; k++) {
            const sg_expr *kid = e->kid[k];
            if (seen[kid->id] == stamp)
                continue;
            seen[kid->id] = stamp;
            if (nm->def[kid->id])
                deps[n++] = kid;
            else
                stack[sp++] = kid;
        }
    }
    return n;
}

/* e is printed as a whole formula once more */
static void add_root(const sg_expr *e, unsigned *roots, unsigned char *seen,
                     const sg_expr **stack, int *sp)
{
    roots[e->id]++;
    if (!seen[e->id]) {
        seen[e->id] = 1;
        stack[(*sp)++] = e;
    }
}

/* one piece of a recurrence, then the steps it is part of: "[t < T]" */
static void fmt_piece(sg_buf *b, const sg_ctx *ctx, const sg_expr *e, int ascii, naming *nm,
                      sg_index lo, sg_index hi, sg_index all_lo, sg_index all_hi, int alone)
{
    int from = !sg_index_provably_le(lo, all_lo), to = !sg_index_provably_le(all_hi, hi);
    int sum = e->op == SG_OP_ADD && !lookup_name(nm, e) && (!alone || from || to);
    if (sum)
        sg_buf_putc(b, '(');
    sg_fmt_expr_named(b, ctx, e, ascii, lookup_name, nm);
    if (sum)
        sg_buf_putc(b, ')');
    if (!from && !to)
        return;
    sg_buf_puts(b, " [");
    if (sg_index_eq(lo, hi)) {
        sg_buf_puts(b, "t = ");
        sg_fmt_index(b, ctx, lo, ascii);
    } else if (!from && sg_index_eq(sg_index_plus(hi, 1), all_hi)) {
        sg_buf_puts(b, "t < ");
        sg_fmt_index(b, ctx, all_hi, ascii);
    } else {
        if (from) {
            sg_fmt_index(b, ctx, lo, ascii);
            sg_buf_puts(b, ascii ? " <= " : " ≤ ");
        }
        sg_buf_putc(b, 't');
        if (to) {
            sg_buf_puts(b, ascii ? " <= " : " ≤ ");
            sg_fmt_index(b, ctx, hi, ascii);
        }
    }
    sg_buf_putc(b, ']');
}

/* the page being written: its text, and its lines as they end */
typedef struct {
    sg_buf text;
    size_t start;      /* where the line being written starts */
    sg_fmt_line *line; /* their text pointers are set when the text is final */
    int n, cap;
} page;

/* ends the line being written: its newline, and a record of what it defines */
static void page_end_line(page *pg, sg_fmt_line_kind kind, int seq, int result,
                          const sg_expr *e)
{
    sg_fmt_line *l;
    SG_GROW(pg->line, pg->n, pg->cap, SG_GROW_MAX, "lines of formulas");
    l = &pg->line[pg->n++];
    l->text = NULL;
    l->len = pg->text.len - pg->start;
    l->kind = kind;
    l->seq = seq;
    l->result = result;
    l->expr = e;
    sg_buf_putc(&pg->text, '\n');
    pg->start = pg->text.len;
}

enum { SEQ_INIT = 1, SEQ_STEP = 2 }; /* the parts of a recurrence fmt_seq prints */

/*
 * A recurrence, the way it is written on paper:
 *   h[0] = h₀
 *   h[t] = tanh(W_hh h[t−1] + W_xh x[t]), t = 1, …, T
 *   δh[t] = W_hhᵀ(δh[t+1] ⊙ …) [t < T] + W_yᵀ(W_y h[t] − y[t]) [1 ≤ t], t = T, …, 0
 * (ASCII: "for t = 1..T", "for t = T down to 0").
 */
static void fmt_adjoint(sg_buf *b, const sg_ctx *ctx, int q, int ascii, naming *nm);

static void fmt_seq(page *pg, const sg_ctx *ctx, int q, int ascii, naming *nm, int parts)
{
    sg_buf *b = &pg->text;
    const sg_seq *s = sg_seq_get(ctx, q);
    sg_index first = sg_seq_first(ctx, q);
    const char *sep = ascii ? " for t = " : ", t = ";
    if (s->kind == SG_SEQ_INPUT || !s->body)
        return;
    if (s->kind == SG_SEQ_FORWARD) {
        if (s->init && (parts & SEQ_INIT)) {
            sg_fmt_seq_name(b, ctx, q, ascii);
            sg_buf_putc(b, '[');
            sg_fmt_index(b, ctx, first, ascii);
            sg_buf_puts(b, "] = ");
            sg_fmt_expr_named(b, ctx, s->init, ascii, lookup_name, nm);
            page_end_line(pg, SG_FMT_LINE_SEQ_INIT, q, -1, NULL);
        }
        if (!(parts & SEQ_STEP))
            return;
        sg_fmt_seq_name(b, ctx, q, ascii);
        sg_buf_puts(b, "[t] = ");
        sg_fmt_expr_named(b, ctx, s->display ? s->display : s->body, ascii, lookup_name, nm);
        sg_buf_puts(b, sep);
        sg_fmt_index(b, ctx, s->lo, ascii);
        sg_buf_puts(b, ascii ? ".." : ", …, ");
        sg_fmt_index(b, ctx, s->hi, ascii);
        page_end_line(pg, SG_FMT_LINE_SEQ_STEP, q, -1, NULL);
        return;
    }
    sg_fmt_seq_name(b, ctx, q, ascii);
    sg_buf_puts(b, "[t] = ");
    fmt_adjoint(b, ctx, q, ascii, nm);
    sg_buf_puts(b, sep);
    sg_fmt_index(b, ctx, s->hi, ascii);
    sg_buf_puts(b, ascii ? " down to " : ", …, ");
    sg_fmt_index(b, ctx, first, ascii);
    page_end_line(pg, SG_FMT_LINE_SEQ_STEP, q, -1, NULL);
}

/*
 * A result that holds every step of adjoint q (∂L/∂x[t] for an input x),
 * in the order of t, as its terms are not a recurrence:
 *   ∂J/∂u[t] = σ(v_cᵀ u[t]) v_c, t = 1, …, K
 */
static void fmt_seq_result(page *pg, const sg_ctx *ctx, int i, int ascii, naming *nm)
{
    sg_buf *b = &pg->text;
    const sg_result *r = &nm->p->results[i];
    int q = sg_result_seq(r);
    const sg_seq *s = sg_seq_get(ctx, q);
    sg_fmt_result_name(b, r, ascii);
    sg_buf_puts(b, " = ");
    fmt_adjoint(b, ctx, q, ascii, nm);
    sg_buf_puts(b, ascii ? " for t = " : ", t = ");
    sg_fmt_index(b, ctx, sg_index_plus(s->lo, -1), ascii);
    sg_buf_puts(b, ascii ? ".." : ", …, ");
    sg_fmt_index(b, ctx, s->hi, ascii);
    page_end_line(pg, SG_FMT_LINE_RESULT, q, i, r->expr);
}

/* is sequence q printed as a result (∂L/∂x[t]) rather than on a line of its own? */
static int held_by_result(const sg_problem *p, int q)
{
    int i;
    for (i = 0; i < p->nresults; i++)
        if (sg_result_seq(&p->results[i]) == q)
            return 1;
    return 0;
}

/* the right side of an adjoint δ[t] = [t < hi]·body(t) + Σₖ [loₖ ≤ t ≤ hiₖ]·termₖ(t),
   for t = hi down to lo − 1 */
static void fmt_adjoint(sg_buf *b, const sg_ctx *ctx, int q, int ascii, naming *nm)
{
    const sg_seq *s = sg_seq_get(ctx, q);
    sg_index first = sg_seq_first(ctx, q);
    int k, any = 0;
    if (!sg_expr_is_zero(s->display ? s->display : s->body)) {
        fmt_piece(b, ctx, s->display ? s->display : s->body, ascii, nm, first,
                  sg_index_plus(s->hi, -1), first, s->hi, s->nterms == 0);
        any = 1;
    }
    for (k = 0; k < s->nterms; k++) {
        if (any)
            sg_buf_puts(b, " + ");
        fmt_piece(b, ctx, s->terms[k].display ? s->terms[k].display : s->terms[k].value, ascii,
                  nm, s->terms[k].lo, s->terms[k].hi, first, s->hi,
                  s->nterms == 1 && sg_expr_is_zero(s->display ? s->display : s->body));
        any = 1;
    }
    if (!any)
        sg_buf_putc(b, '0');
}


/*
 * Every node the results print, named ones' bodies included, and the
 * recurrences of the sequences they read (marked in nm->seqs), into order;
 * roots[id] counts the places a node is printed as a whole formula. Returns
 * how many.
 */
static int collect_printed(naming *nm, const sg_expr **order, unsigned *roots)
{
    const sg_problem *p = nm->p;
    unsigned char *seen = sg_xmalloc(nm->n + 1);
    const sg_expr **stack = sg_xmalloc((nm->n + 1) * sizeof *stack);
    int norder = 0, sp = 0, i, k;
    memset(seen, 0, nm->n + 1);
    for (i = 0; i < p->nresults; i++)
        add_root(shown(&p->results[i]), roots, seen, stack, &sp);
    while (sp > 0) {
        const sg_expr *e = stack[--sp];
        order[norder++] = e;
        if ((e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) && !nm->seqs[e->seq]) {
            const sg_seq *q = sg_seq_get(p->ctx, e->seq);
            nm->seqs[e->seq] = 1;
            if (q->init)
                add_root(q->init, roots, seen, stack, &sp);
            if (q->body)
                add_root(q->display ? q->display : q->body, roots, seen, stack, &sp);
            for (k = 0; k < q->nterms; k++)
                add_root(q->terms[k].display ? q->terms[k].display : q->terms[k].value, roots,
                         seen, stack, &sp);
        }
        for (k = 0; k < e->nkids; k++)
            if (!seen[e->kid[k]->id]) {
                seen[e->kid[k]->id] = 1;
                stack[sp++] = e->kid[k];
            }
    }
    free(seen);
    free(stack);
    return norder;
}

/* the definitions among order[0..norder) (parents first), each after those
   it uses (Kahn's, oldest first), into order[0..); returns how many */
static int order_definitions(naming *nm, const sg_expr **order, int norder)
{
    const sg_expr **defs = sg_xmalloc(((size_t)norder + 1) * sizeof *defs);
    const sg_expr **deps = sg_xmalloc(((size_t)norder + 1) * sizeof *deps);
    const sg_expr **stack = sg_xmalloc((nm->n + 1) * sizeof *stack);
    unsigned *stamp = sg_xmalloc((nm->n + 1) * sizeof *stamp);
    int ndefs = 0, *pick, i;
    memset(stamp, 0, (nm->n + 1) * sizeof *stamp);
    for (i = norder - 1; i >= 0; i--)
        if (nm->def[order[i]->id])
            defs[ndefs++] = order[i];
    pick = sg_xmalloc(((size_t)ndefs + 1) * sizeof *pick);
    order_defs(nm, defs, ndefs, stamp, stack, deps, pick);
    for (i = 0; i < ndefs; i++)
        order[i] = defs[pick[i]];
    free(pick);
    free(defs);
    free(deps);
    free(stack);
    free(stamp);
    return ndefs;
}

/* the names of defs[0..ndefs) (in printing order), as printed: the user's,
   then fresh ones in printing order, each one no input, dimension or
   definition already has */
static void give_names(naming *nm, const sg_expr **defs, int ndefs)
{
    const sg_problem *p = nm->p;
    char **owned = sg_xmalloc(((size_t)ndefs + 1) * sizeof *owned);
    unsigned fresh = 0;
    sg_strmap used;
    int i;
    sg_strmap_init(&used);
    for (i = 0; i < p->ndefs; i++)
        if (p->defs[i].name)
            sg_strmap_put(&used, p->defs[i].name, i);
    for (i = 0; i < ndefs; i++)
        if (defs[i]->name)
            sg_strmap_put(&used, defs[i]->name, i);
    for (i = 0; i < ndefs; i++) {
        const sg_expr *e = defs[i];
        sg_buf t;
        const char *s = e->name;
        char num[4 + 3 * sizeof fresh]; /* "r", the digits of an unsigned, NUL */
        if (!s) {
            do {
                if (fresh < sizeof pool / sizeof pool[0]) {
                    s = pool[fresh];
                } else {
                    snprintf(num, sizeof num, "r%u",
                             fresh + 1 - (unsigned)(sizeof pool / sizeof pool[0]));
                    s = num;
                }
                fresh++;
            } while (name_taken(p, &used, s));
            owned[i] = sg_xmalloc(strlen(s) + 1);
            strcpy(owned[i], s);
            sg_strmap_put(&used, owned[i], i);
        } else {
            owned[i] = NULL;
        }
        sg_buf_init(&t);
        sg_fmt_name(&t, owned[i] ? owned[i] : s, nm->ascii);
        nm->name[e->id] = sg_buf_take(&t, NULL);
    }
    sg_strmap_free(&used);
    for (i = 0; i < ndefs; i++)
        free(owned[i]);
    free(owned);
}

/* the lines: the definitions, the recurrences, the results */
/*
 * The sequences in index order, but recurrences that read each other (a
 * group, sg_seq_groups) as a block where the leader stands: every initial
 * value, then the steps in the order they run (c[0], h[0], f[t], …, h[t]).
 */
static void print_seqs(page *pg, naming *nm)
{
    const sg_ctx *ctx = nm->p->ctx;
    sg_seqgroups *g = sg_seqgroups_new(ctx);
    int i, j, k, n;
    for (i = 0; i < g->n; i++) {
        const int *m;
        n = sg_seqgroups_members(g, i, &m);
        if (sg_seq_get(ctx, i)->kind != SG_SEQ_FORWARD || n == 1) {
            if (nm->seqs[i] && !held_by_result(nm->p, i))
                fmt_seq(pg, ctx, i, nm->ascii, nm, SEQ_INIT | SEQ_STEP);
            continue;
        }
        if (g->group[i] != i)
            continue; /* printed with its leader */
        for (j = i; j < g->n; j++)
            if (g->group[j] == i && nm->seqs[j])
                fmt_seq(pg, ctx, j, nm->ascii, nm, SEQ_INIT);
        for (k = 0; k < n; k++)
            if (nm->seqs[m[k]])
                fmt_seq(pg, ctx, m[k], nm->ascii, nm, SEQ_STEP);
    }
    sg_seqgroups_free(g);
}

static void print_page(page *pg, naming *nm, const sg_expr **defs, int ndefs)
{
    const sg_problem *p = nm->p;
    sg_buf *b = &pg->text;
    int i;
    for (i = 0; i < ndefs; i++) {
        sg_buf_puts(b, nm->name[defs[i]->id]);
        sg_buf_puts(b, " = ");
        sg_fmt_expr_named(b, p->ctx, defs[i], nm->ascii, lookup_name, nm);
        page_end_line(pg, SG_FMT_LINE_DEF, -1, -1, defs[i]);
    }
    print_seqs(pg, nm);
    for (i = 0; i < p->nresults; i++) {
        const sg_result *r = &p->results[i];
        const sg_expr *e = shown(r);
        if (r->kind == SG_RES_VALUE && r->expr->name && r->expr->id < nm->n &&
            nm->def[r->expr->id] && r->of && !strcmp(r->expr->name, r->of))
            continue; /* printed among the definitions */
        if (sg_result_seq(r) >= 0) {
            fmt_seq_result(pg, p->ctx, i, nm->ascii, nm);
            continue;
        }
        sg_fmt_result_name(b, r, nm->ascii);
        sg_buf_puts(b, " = ");
        if (nm->name[e->id])
            sg_buf_puts(b, nm->name[e->id]);
        else
            sg_fmt_expr_named(b, p->ctx, e, nm->ascii, lookup_name, nm);
        page_end_line(pg, SG_FMT_LINE_RESULT, -1, i, e);
    }
}

void sg_fmt_problem_lines(sg_fmt_lines *out, const sg_problem *p, int ascii)
{
    naming nm;
    page pg;
    const sg_expr **order;
    unsigned *roots;
    int norder, ndefs, i;
    size_t at = 0;

    nm.p = p;
    nm.ascii = ascii;
    nm.n = sg_expr_count(p->ctx);
    nm.name = sg_xmalloc((nm.n + 1) * sizeof *nm.name);
    nm.def = sg_xmalloc(nm.n + 1);
    nm.seqs = sg_xmalloc((size_t)sg_seq_count(p->ctx) + 1);
    memset(nm.name, 0, (nm.n + 1) * sizeof *nm.name);
    memset(nm.def, 0, nm.n + 1);
    memset(nm.seqs, 0, (size_t)sg_seq_count(p->ctx) + 1);
    order = sg_xmalloc((nm.n + 1) * sizeof *order);
    roots = sg_xmalloc((nm.n + 1) * sizeof *roots);
    memset(roots, 0, (nm.n + 1) * sizeof *roots);

    norder = collect_printed(&nm, order, roots);
    qsort(order, (size_t)norder, sizeof *order, by_id_desc);
    choose_names(&nm, order, norder, roots);
    ndefs = order_definitions(&nm, order, norder);
    give_names(&nm, order, ndefs);

    memset(&pg, 0, sizeof pg);
    sg_buf_init(&pg.text);
    print_page(&pg, &nm, order, ndefs);
    out->text = sg_buf_take(&pg.text, &out->len);
    out->line = pg.line;
    out->n = pg.n;
    for (i = 0; i < pg.n; i++) { /* the lines stand one after another */
        pg.line[i].text = out->text + at;
        at += pg.line[i].len + 1;
    }

    for (i = 0; i < ndefs; i++)
        free((char *)nm.name[order[i]->id]);
    free(nm.name);
    free(nm.def);
    free(nm.seqs);
    free(order);
    free(roots);
}

void sg_fmt_lines_free(sg_fmt_lines *f)
{
    free(f->text);
    free(f->line);
    memset(f, 0, sizeof *f);
}

const sg_fmt_line *sg_fmt_seq_line(const sg_fmt_lines *f, int q, int at_t)
{
    sg_fmt_line_kind want = at_t ? SG_FMT_LINE_SEQ_STEP : SG_FMT_LINE_SEQ_INIT;
    int i;
    for (i = 0; i < f->n; i++)
        if ((f->line[i].kind == want || (at_t && f->line[i].kind == SG_FMT_LINE_RESULT)) &&
            f->line[i].seq == q)
            return &f->line[i];
    return NULL;
}

char *sg_fmt_problem(const sg_problem *p, int ascii, size_t *len)
{
    sg_fmt_lines f;
    char *text;
    sg_fmt_problem_lines(&f, p, ascii);
    text = f.text;
    if (len)
        *len = f.len;
    free(f.line);
    return text;
}
