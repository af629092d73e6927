/*
 * seqgroup.c: which sequences are computed together, step by step.
 *
 * A step body reads other sequences at t (a step defined above it) or at
 * t − 1 (any recurrence, even one whose step comes further down). In a
 * gated cell the reads go round: c[t] = f[t] ⊙ c[t−1] + i[t] ⊙ g[t] reads
 * the gates, the gates read h[t−1], h[t] = o[t] ⊙ tanh(c[t]) reads c. Such
 * sequences cannot be computed one after the other, each over all of t:
 * they are one loop over t whose step runs each body in turn. The same holds
 * for their adjoints, running back: δh[t] reads δf[t+1], δc[t] reads δh[t].
 *
 * The groups are the strongly connected components of the graph "body of
 * a reads b" over the sequences that are not inputs (Tarjan's algorithm,
 * iterative so that a long chain of sequences cannot overflow the C stack).
 * A sequence that reads no one in a cycle is a group of its own. Within a
 * group a step runs the bodies in rank order (sg_seq_rank): forwards in the
 * order the steps are defined, which puts a step after every step it reads
 * at t (the checker allows a read at t only of a step defined above); the
 * adjoints in the reverse order, since δb[t] reads δa[t] when a[t] reads b[t].
 */
#include "expr.h"

#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

typedef struct {
    int *to;
    int n, cap;
} edges;

/* the sequences e's STEP leaves read (not inputs), once each, into out;
   seen (by node) and added (by sequence) hold `mark` once visited */
static void reads_of(const sg_ctx *ctx, const sg_expr *e, int *seen, int *added, int mark,
                     edges *out)
{
    const sg_expr **stack;
    int sp = 0, cap = 64, k;
    if (!e)
        return;
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    while (sp > 0) {
        const sg_expr *x = stack[--sp];
        if (x->op == SG_OP_SEQSTEP) {
            if (sg_seq_get(ctx, x->seq)->kind != SG_SEQ_INPUT && added[x->seq] != mark) {
                SG_GROW(out->to, out->n, out->cap, SG_GROW_MAX, "reads of one step");
                out->to[out->n++] = x->seq;
                added[x->seq] = mark;
            }
            continue;
        }
        if (!sg_expr_varies(x))
            continue;
        for (k = 0; k < x->nkids; k++)
            if (seen[x->kid[k]->id] != mark) {
                seen[x->kid[k]->id] = mark;
                SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
                stack[sp++] = x->kid[k];
            }
    }
    free(stack);
}

/* every sequence's out-edges, as lists */
static edges *graph_of(const sg_ctx *ctx, int S)
{
    edges *g = sg_xmalloc((size_t)(S + 1) * sizeof *g);
    size_t n = (size_t)sg_expr_count(ctx) + 1;
    int *seen, *added;
    int q, i;
    memset(g, 0, (size_t)(S + 1) * sizeof *g);
    for (q = 0; q < S && sg_seq_get(ctx, q)->kind == SG_SEQ_INPUT; q++)
        ;
    if (q == S) /* no sequence is computed: no reads to walk (and no pass over
                   the whole context per derivation, which many requests made
                   quadratic) */
        return g;
    seen = sg_xmalloc(n * sizeof *seen);
    added = sg_xmalloc((size_t)(S + 1) * sizeof *added);
    memset(seen, 0, n * sizeof *seen);
    memset(added, 0, (size_t)(S + 1) * sizeof *added);
    for (q = 0; q < S; q++) {
        const sg_seq *sq = sg_seq_get(ctx, q);
        if (sq->kind == SG_SEQ_INPUT)
            continue;
        reads_of(ctx, sq->body, seen, added, q + 1, &g[q]);
        for (i = 0; i < sq->nterms; i++)
            reads_of(ctx, sq->terms[i].value, seen, added, q + 1, &g[q]);
    }
    free(seen);
    free(added);
    return g;
}

/* group[q]: the least index in q's strongly connected component */
static void components(const sg_ctx *ctx, int *group)
{
    int S = sg_seq_count(ctx), q, sp = 0, csp = 0, counter = 0;
    edges *g = graph_of(ctx, S);
    int *index = sg_xmalloc((size_t)(S + 1) * sizeof *index);
    int *low = sg_xmalloc((size_t)(S + 1) * sizeof *low);
    int *onstack = sg_xmalloc((size_t)(S + 1) * sizeof *onstack);
    int *stack = sg_xmalloc((size_t)(S + 1) * sizeof *stack);
    int *call = sg_xmalloc((size_t)(S + 1) * sizeof *call); /* the DFS: vertex */
    int *edge = sg_xmalloc((size_t)(S + 1) * sizeof *edge); /* and its next edge */
    for (q = 0; q < S; q++) {
        index[q] = -1;
        onstack[q] = 0;
        group[q] = q;
    }
    for (q = 0; q < S; q++) {
        if (index[q] >= 0)
            continue;
        call[csp] = q;
        edge[csp++] = 0;
        index[q] = low[q] = counter++;
        stack[sp++] = q;
        onstack[q] = 1;
        while (csp > 0) {
            int v = call[csp - 1];
            if (edge[csp - 1] < g[v].n) {
                int w = g[v].to[edge[csp - 1]++];
                if (index[w] < 0) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    onstack[w] = 1;
                    call[csp] = w;
                    edge[csp++] = 0;
                } else if (onstack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            csp--;
            if (csp > 0 && low[v] < low[call[csp - 1]])
                low[call[csp - 1]] = low[v];
            if (low[v] == index[v]) { /* v roots a component: its leader is its least index */
                int lead = v, k = sp, w;
                do
                    lead = stack[--k] < lead ? stack[k] : lead;
                while (stack[k] != v);
                do {
                    w = stack[--sp];
                    onstack[w] = 0;
                    group[w] = lead;
                } while (w != v);
            }
        }
    }
    for (q = 0; q < S; q++)
        free(g[q].to);
    free(g);
    free(index);
    free(low);
    free(onstack);
    free(stack);
    free(call);
    free(edge);
}

long sg_seq_rank(const sg_ctx *ctx, int q)
{
    const sg_seq *sq = sg_seq_get(ctx, q);
    if (sq->kind == SG_SEQ_BACKWARD && sq->of >= 0)
        return -(long)sg_seq_get(ctx, sq->of)->order;
    return sq->order;
}

/* the groups, each one's members together in rank order */
typedef struct {
    int group, q;
    long rank;
} ranked;

static int by_group_rank(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->q < b->q ? -1 : a->q > b->q;
}

sg_seqgroups *sg_seqgroups_new(const sg_ctx *ctx)
{
    sg_seqgroups *g = sg_xmalloc(sizeof *g);
    int q, S = sg_seq_count(ctx);
    ranked *r = sg_xmalloc((size_t)(S + 1) * sizeof *r);
    g->n = S;
    g->group = sg_xmalloc((size_t)(S + 1) * sizeof *g->group);
    g->byrank = sg_xmalloc((size_t)(S + 1) * sizeof *g->byrank);
    g->start = sg_xmalloc((size_t)(S + 1) * sizeof *g->start);
    components(ctx, g->group);
    for (q = 0; q < S; q++) {
        r[q].group = g->group[q];
        r[q].q = q;
        r[q].rank = sg_seq_rank(ctx, q);
    }
    qsort(r, (size_t)S, sizeof *r, by_group_rank);
    for (q = S - 1; q >= 0; q--) {
        g->byrank[q] = r[q].q;
        g->start[r[q].group] = q;
    }
    free(r);
    return g;
}

int sg_seqgroups_members(const sg_seqgroups *g, int q, const int **m)
{
    int i = g->start[g->group[q]], n = 0;
    *m = g->byrank + i;
    while (i + n < g->n && g->group[g->byrank[i + n]] == g->group[q])
        n++;
    return n;
}

void sg_seqgroups_free(sg_seqgroups *g)
{
    if (!g)
        return;
    free(g->group);
    free(g->byrank);
    free(g->start);
    free(g);
}
