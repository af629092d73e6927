/*
 * rewrite.c: rewriting through the constructors.
 *
 * sg_expr_rebuild() applies a node's op to new kids, through the smart
 * constructors, so a rewritten expression is as canonical as one built
 * fresh. rewrite() walks a DAG bottom-up without recursion, each node once
 * (a memo by node id), asking a callback what a node becomes and rebuilding
 * the nodes it leaves alone from their kids' rewrites: shared
 * subexpressions stay shared. Shifting a recurrence's steps in time and
 * replacing one node by another are two such callbacks.
 */
#include "expr_impl.h"

#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

sg_expr *sg_expr_rebuild(sg_ctx *ctx, const sg_expr *e, sg_expr *a, sg_expr *b)
{
    if (e->nkids == 0 || (a == e->kid[0] && (e->nkids < 2 || b == e->kid[1])))
        return (sg_expr *)e;
    switch (e->op) {
    case SG_OP_ADD: return sg_add(ctx, a, b);
    case SG_OP_MUL: return sg_mul(ctx, a, b);
    case SG_OP_TRANSPOSE: return sg_transpose(ctx, a);
    case SG_OP_FILL: return sg_fill(ctx, a, e->shape);
    case SG_OP_SUM: return sg_sum(ctx, a);
    case SG_OP_TRACE: return sg_trace(ctx, a);
    case SG_OP_DOT: return sg_dot(ctx, a, b);
    case SG_OP_DIAG: return sg_diag(ctx, a);
    case SG_OP_DIAGV: return sg_diagv(ctx, a);
    case SG_OP_HADAMARD: return sg_hadamard(ctx, a, b);
    case SG_OP_HDIV: return sg_hdiv(ctx, a, b);
    case SG_OP_POW: return sg_pow(ctx, a, b);
    case SG_OP_SEQSUM: return sg_seqsum(ctx, a, e->lo, e->hi);
    case SG_OP_KRON: return sg_kron(ctx, a, b);
    case SG_OP_VEC: return sg_vec(ctx, a);
    default: return sg_unary(ctx, e->op, a);
    }
}

/* what a rewrite makes of node e by itself, or NULL to rebuild it from its
   kids' rewrites */
typedef sg_expr *(*rewrite_fn)(sg_ctx *ctx, sg_expr *e, const void *arg);

/* e rewritten bottom-up: each node once, without recursion */
static sg_expr *rewrite(sg_ctx *ctx, sg_expr *root, rewrite_fn fn, const void *arg)
{
    unsigned n = ctx->count;
    sg_expr **memo = sg_xmalloc(n * sizeof *memo), **stack, *r;
    int sp = 0, cap = 64, k;
    memset(memo, 0, n * sizeof *memo);
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = root;
    while (sp > 0) {
        sg_expr *e = stack[sp - 1];
        int pending = 0;
        if (memo[e->id]) {
            sp--;
            continue;
        }
        if ((r = fn(ctx, e, arg)) != NULL) {
            memo[e->id] = r;
            sp--;
            continue;
        }
        for (k = 0; k < e->nkids; k++)
            if (!memo[e->kid[k]->id]) {
                SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
                stack[sp++] = e->kid[k];
                pending = 1;
            }
        if (pending)
            continue;
        memo[e->id] = sg_expr_rebuild(ctx, e, memo[e->kid[0]->id],
                                      e->nkids > 1 ? memo[e->kid[1]->id] : NULL);
        sp--;
    }
    r = memo[root->id];
    free(memo);
    free(stack);
    return r;
}

static sg_expr *shift_one(sg_ctx *ctx, sg_expr *e, const void *arg)
{
    long by = *(const long *)arg;
    if (e->op == SG_OP_SEQSTEP)
        return sg_seqstep(ctx, e->seq, e->off + by);
    /* nothing to shift; a Σ's steps are its own */
    if (!sg_expr_varies(e) || e->op == SG_OP_SEQSUM)
        return e;
    return NULL;
}

sg_expr *sg_expr_shift(sg_ctx *ctx, sg_expr *e, long by)
{
    if (by == 0 || !sg_expr_varies(e))
        return e;
    return rewrite(ctx, e, shift_one, &by);
}

typedef struct {
    const sg_expr *from;
    sg_expr *to;
} replacement;

static sg_expr *replace_one(sg_ctx *ctx, sg_expr *e, const void *arg)
{
    const replacement *r = arg;
    (void)ctx;
    if (e == r->from)
        return r->to;
    if (e->id < r->from->id || e->nkids == 0) /* older nodes cannot contain it */
        return e;
    return NULL;
}

sg_expr *sg_expr_replace(sg_ctx *ctx, sg_expr *e, const sg_expr *from, sg_expr *to)
{
    replacement r;
    r.from = from;
    r.to = to;
    if (e->id < from->id)
        return e;
    return rewrite(ctx, e, replace_one, &r);
}
