/*
 * derive.c: the expressions a derivation document shows (derive.h).
 *
 * Three caches, each keyed by node through an sg_idmap (sized by what a
 * document asks about, not by every node of the context): the display form
 * of a node, and per call of sg_deriv_substitute() and sg_deriv_at() the
 * node each visited node became, so that a DAG whose tree is exponential
 * (a value used twice at every level) is rewritten in time linear in the
 * DAG. Both rewrites stop at a depth of MAX_DEPTH: deeper, a node is kept as
 * it is, which a printer then shows by its name or as "…".
 */
#include "derive.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

#include "diff.h"
#include "simplify.h"

#define DISPLAY_OPS 400 /* values this large are displayed as built */
#define MAX_DEPTH 5000  /* a rewrite keeps nodes deeper than this whole */

/* node → node, by an idmap numbering; grows with what it is asked about */
typedef struct {
    sg_idmap ids;
    sg_expr **to;
    unsigned cap;
} nodemap;

struct sg_deriv {
    sg_ctx *ctx;
    nodemap display;
    nodemap memo; /* the current substitute() or at() call's */
};

static void nm_init(nodemap *m, sg_ctx *ctx)
{
    sg_idmap_init(&m->ids, ctx);
    m->to = NULL;
    m->cap = 0;
}

static void nm_free(nodemap *m)
{
    sg_idmap_free(&m->ids);
    free(m->to);
    m->to = NULL;
    m->cap = 0;
}

static sg_expr *nm_get(const nodemap *m, const sg_expr *e)
{
    unsigned i = sg_idmap_find(&m->ids, e);
    return i == SG_IDMAP_NONE ? NULL : m->to[i];
}

static void nm_put(nodemap *m, const sg_expr *e, sg_expr *to)
{
    unsigned i = sg_idmap_add(&m->ids, e);
    if (i >= m->cap) {
        unsigned old = m->cap;
        SG_GROW(m->to, i, m->cap, SG_GROW_MAX, "nodes in one derivation");
        memset(m->to + old, 0, (m->cap - old) * sizeof *m->to);
        sg_ctx_scratch_add(m->ids.ctx, (unsigned long)(m->cap - old) * sizeof *m->to);
    }
    m->to[i] = to;
}

sg_deriv *sg_deriv_new(sg_ctx *ctx)
{
    sg_deriv *d = sg_xmalloc(sizeof *d);
    d->ctx = ctx;
    nm_init(&d->display, ctx);
    nm_init(&d->memo, ctx);
    return d;
}

void sg_deriv_free(sg_deriv *d)
{
    if (!d)
        return;
    nm_free(&d->display);
    nm_free(&d->memo);
    free(d);
}

/* a fresh memo for one rewrite call */
static void memo_reset(sg_deriv *d)
{
    nm_free(&d->memo);
    nm_init(&d->memo, d->ctx);
}

sg_expr *sg_deriv_standin(sg_deriv *d, sg_shape shape, int symmetric)
{
    sg_span none = {0, 0};
    /* "\001" is no name a problem can write: the user's symbols are safe */
    int sym = sg_sym_add(d->ctx, "\001", shape, symmetric ? SG_PROP_SYMMETRIC : 0, none);
    return sg_var(d->ctx, sym);
}

sg_expr *sg_deriv_rule(sg_deriv *d, const sg_expr *cy, int k, sg_expr *g, int merged)
{
    sg_expr *y = (sg_expr *)cy;
    if (merged)
        return sg_rule_get(SG_RULE_SQNORM)->reverse(d->ctx, y, 0, g);
    if (y->nkids == 0 || sg_rule_for(y, k) == SG_RULE_NONE)
        return NULL;
    return sg_rule_contrib(d->ctx, y, k, g, NULL);
}

sg_expr *sg_deriv_total(sg_deriv *d, const sg_expr *const *c, int n)
{
    sg_expr *sum = (sg_expr *)c[0];
    int i;
    assert(n >= 1);
    for (i = 1; i < n; i++)
        sum = sg_add(d->ctx, sum, (sg_expr *)c[i]);
    return sum;
}

sg_expr *sg_deriv_fprime(sg_deriv *d, const sg_expr *y)
{
    const char *rule;
    return sg_diff_elementwise(d->ctx, (sg_expr *)y, sg_ones(d->ctx, y->shape), &rule);
}

sg_expr *sg_deriv_transpose(sg_deriv *d, const sg_expr *a)
{
    return sg_transpose(d->ctx, (sg_expr *)a);
}

static int is_leaf(const sg_expr *e)
{
    return e->nkids == 0;
}

sg_expr *sg_deriv_display(sg_deriv *d, const sg_expr *v)
{
    sg_expr *r = nm_get(&d->display, v);
    if (!r) {
        r = sg_expr_ops(v, DISPLAY_OPS) >= DISPLAY_OPS ? (sg_expr *)v
                                                      : sg_simplify(d->ctx, (sg_expr *)v);
        nm_put(&d->display, v, r);
    }
    return r;
}

static sg_expr *subst_rec(sg_deriv *d, const sg_expr *e, sg_deriv_subst_fn fn, void *arg,
                          int depth)
{
    sg_expr *k[2] = {NULL, NULL}, *r;
    int i;
    if ((r = fn(arg, e)) != NULL)
        return r;
    if (is_leaf(e) || e->name || depth > MAX_DEPTH)
        return (sg_expr *)e;
    if ((r = nm_get(&d->memo, e)) != NULL)
        return r;
    for (i = 0; i < e->nkids && i < 2; i++)
        k[i] = subst_rec(d, e->kid[i], fn, arg, depth + 1);
    r = sg_expr_rebuild(d->ctx, e, k[0], k[1]);
    nm_put(&d->memo, e, r);
    return r;
}

sg_expr *sg_deriv_substitute(sg_deriv *d, const sg_expr *v, sg_deriv_subst_fn fn, void *arg)
{
    if (!v)
        return NULL;
    memo_reset(d);
    return subst_rec(d, v, fn, arg, 0);
}

sg_expr *sg_deriv_shift(sg_deriv *d, const sg_expr *e, long by)
{
    return sg_expr_shift(d->ctx, (sg_expr *)e, by);
}

static sg_expr *at_rec(sg_deriv *d, sg_expr *e, sg_index idx, int depth)
{
    sg_expr *r = e, *m;
    int k;
    if (e->op == SG_OP_SEQSTEP)
        return sg_at(d->ctx, e->seq, sg_index_plus(idx, e->off));
    if (e->op == SG_OP_SEQSUM || !sg_expr_varies(e) || depth > MAX_DEPTH)
        return e;
    if ((m = nm_get(&d->memo, e)) != NULL)
        return m;
    for (k = 0; k < e->nkids; k++) {
        sg_expr *c = at_rec(d, e->kid[k], idx, depth + 1);
        if (c != r->kid[k])
            r = sg_expr_replace(d->ctx, r, r->kid[k], c);
    }
    nm_put(&d->memo, e, r);
    return r;
}

sg_expr *sg_deriv_at(sg_deriv *d, const sg_expr *e, sg_index at)
{
    memo_reset(d);
    return at_rec(d, (sg_expr *)e, at, 0);
}

sg_expr *sg_deriv_replace(sg_deriv *d, const sg_expr *e, const sg_expr *from, const sg_expr *to)
{
    return sg_expr_replace(d->ctx, (sg_expr *)e, from, (sg_expr *)to);
}

const sg_expr *sg_deriv_step(sg_deriv *d, int q, long off)
{
    return sg_seqstep(d->ctx, q, off);
}

const sg_expr *sg_deriv_seq_at(sg_deriv *d, int q, sg_index at)
{
    return sg_at(d->ctx, q, at);
}

const sg_expr *sg_deriv_var(sg_deriv *d, int sym)
{
    return sg_var(d->ctx, sym);
}
