/*
 * unique.c: the unique table, which makes every node (hash-consing), and the
 * dense numberings passes give the nodes they reach.
 *
 * ex_intern_p() looks (op, shape, kids, payload) up first: equal expressions
 * are one pointer, and the cost of a lookup is counted as the context's work
 * (sg_ctx_work), found or made. A node made is flagged at once: whether it
 * is provably symmetric (props.c decides, from its kids' flags), how many
 * factors a product flattens to, and whether it depends on the loop index
 * t. The table doubles when it is full; its buckets chain through e->chain.
 *
 * An sg_idmap numbers the nodes one pass reaches 0, 1, 2, … (open
 * addressing on the node id), so that a pass's tables are as large as what
 * it reaches, not as the whole context.
 */
#include "expr_impl.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- the unique table ---------------------------------------------------- */

int ex_is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

static unsigned mix(unsigned h, unsigned v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

ex_payload ex_plain(double value, int sym, sg_dim dim)
{
    ex_payload p;
    memset(&p, 0, sizeof p);
    p.value = value == 0 ? 0 : value; /* one zero: −0 is +0 */
    p.sym = sym;
    p.dim = dim;
    p.seq = -1;
    p.at = p.lo = p.hi = sg_index_make(-1, 0);
    return p;
}

static unsigned mix_index(unsigned h, sg_index i)
{
    h = mix(h, (unsigned)i.dim);
    h = mix(h, (unsigned)i.off);
    return mix(h, (unsigned)((unsigned long)i.off >> 16 >> 16));
}

static unsigned hash_of(sg_op op, sg_shape s, const sg_expr *a, const sg_expr *b,
                        const ex_payload *p)
{
    uint64_t bits;
    unsigned h = (unsigned)op * 2654435761u;
    memcpy(&bits, &p->value, sizeof bits);
    h = mix(h, (unsigned)s.rows);
    h = mix(h, (unsigned)s.cols);
    h = mix(h, a ? a->id + 1 : 0);
    h = mix(h, b ? b->id + 1 : 0);
    h = mix(h, (unsigned)bits);
    h = mix(h, (unsigned)(bits >> 32));
    h = mix(h, (unsigned)p->sym);
    h = mix(h, (unsigned)p->dim);
    if (p->seq >= 0 || op == SG_OP_SEQSUM) {
        h = mix(h, (unsigned)p->seq);
        h = mix(h, (unsigned)p->off);
        h = mix_index(h, p->at);
        h = mix_index(h, p->lo);
        h = mix_index(h, p->hi);
    }
    return h;
}

static int same_payload(const sg_expr *e, const ex_payload *p)
{
    return memcmp(&e->value, &p->value, sizeof p->value) == 0 && e->sym == p->sym &&
           e->dim == p->dim && e->seq == p->seq && e->off == p->off &&
           sg_index_eq(e->at, p->at) && sg_index_eq(e->lo, p->lo) && sg_index_eq(e->hi, p->hi);
}

static void grow_table(sg_ctx *ctx)
{
    unsigned n = ctx->tabsize * 2, i;
    sg_expr **t = sg_xmalloc(n * sizeof *t);
    memset(t, 0, n * sizeof *t);
    for (i = 0; i < ctx->tabsize; i++) {
        sg_expr *e = ctx->table[i], *next;
        for (; e; e = next) {
            next = e->chain;
            e->chain = t[e->hash & (n - 1)];
            t[e->hash & (n - 1)] = e;
        }
    }
    free(ctx->table);
    ctx->table = t;
    ctx->tabsize = n;
}

sg_expr *ex_intern_p(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b, const ex_payload *p)
{
    unsigned h;
    sg_expr *e;
    ex_node *n;
    ctx->lookups++;
    h = hash_of(op, s, a, b, p);
    for (e = ctx->table[h & (ctx->tabsize - 1)]; e; e = e->chain)
        if (e->hash == h && e->op == op && sg_shape_eq(e->shape, s) && e->kid[0] == a &&
            e->kid[1] == b && same_payload(e, p))
            return e;
    if (ctx->count >= ctx->tabsize)
        grow_table(ctx);
    n = sg_arena_alloc(ctx->arena, sizeof *n);
    e = &n->e;
    e->op = op;
    e->shape = s;
    e->nkids = a ? (b ? 2 : 1) : 0;
    e->kid[0] = a;
    e->kid[1] = b;
    e->value = p->value;
    e->sym = p->sym;
    e->dim = p->dim;
    e->seq = p->seq;
    e->off = p->off;
    e->at = p->at;
    e->lo = p->lo;
    e->hi = p->hi;
    e->id = ctx->count++;
    e->hash = h;
    e->chain = ctx->table[h & (ctx->tabsize - 1)];
    ctx->table[h & (ctx->tabsize - 1)] = e;
    n->flags |= ex_props_of(ctx, e);
    n->nfac = 1;
    if (op == SG_OP_MUL && !ex_is_scalar(a)) {
        unsigned f = (a->name ? 1 : ((ex_node *)a)->nfac) + (b->name ? 1 : ((ex_node *)b)->nfac);
        n->nfac = f > EX_MAX_FLAT ? EX_MAX_FLAT + 1 : f;
    }
    /* t is bound by a Σ: the sum itself is the same at every step */
    if (op == SG_OP_SEQSTEP ||
        (op != SG_OP_SEQSUM && ((a && (((ex_node *)a)->flags & EX_F_VARIES)) ||
                                (b && (((ex_node *)b)->flags & EX_F_VARIES)))))
        n->flags |= EX_F_VARIES;
    return e;
}

sg_expr *ex_intern(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b, double value, int sym,
                   sg_dim dim)
{
    ex_payload p = ex_plain(value, sym, dim);
    return ex_intern_p(ctx, op, s, a, b, &p);
}

sg_expr *ex_mk1(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a)
{
    return ex_intern(ctx, op, s, a, NULL, 0, -1, -1);
}

sg_expr *ex_mk2(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b)
{
    return ex_intern(ctx, op, s, a, b, 0, -1, -1);
}

unsigned sg_expr_count(const sg_ctx *ctx)
{
    return ctx->count;
}

unsigned long sg_ctx_work(const sg_ctx *ctx)
{
    return ctx->lookups;
}

void sg_ctx_charge(sg_ctx *ctx, unsigned long work)
{
    ctx->lookups += work;
}

int sg_expr_varies(const sg_expr *e)
{
    return (((const ex_node *)e)->flags & EX_F_VARIES) != 0;
}

/* ---- dense numberings of reached nodes ------------------------------------ */

void sg_idmap_init(sg_idmap *m, sg_ctx *ctx)
{
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
}

void sg_idmap_free(sg_idmap *m)
{
    free(m->key);
    free(m->ix);
    m->key = m->ix = NULL;
    m->cap = m->n = 0;
}

static unsigned idslot(unsigned id, unsigned cap)
{
    return (id * 2654435761u) & (cap - 1); /* Knuth's multiplicative hash */
}

unsigned sg_idmap_find_key(const sg_idmap *m, unsigned key)
{
    unsigned i;
    if (m->cap == 0)
        return SG_IDMAP_NONE;
    for (i = idslot(key, m->cap); m->key[i]; i = (i + 1) & (m->cap - 1))
        if (m->key[i] == key + 1)
            return m->ix[i];
    return SG_IDMAP_NONE;
}

unsigned sg_idmap_find(const sg_idmap *m, const sg_expr *e)
{
    return sg_idmap_find_key(m, e->id);
}

static void idmap_grow(sg_idmap *m)
{
    unsigned cap = m->cap ? 2 * m->cap : 64, i, j;
    unsigned *key = sg_xmalloc((size_t)cap * sizeof *key);
    unsigned *ix = sg_xmalloc((size_t)cap * sizeof *ix);
    memset(key, 0, (size_t)cap * sizeof *key);
    for (i = 0; i < m->cap; i++)
        if (m->key[i]) {
            for (j = idslot(m->key[i] - 1, cap); key[j]; j = (j + 1) & (cap - 1))
                ;
            key[j] = m->key[i];
            ix[j] = m->ix[i];
        }
    free(m->key);
    free(m->ix);
    m->key = key;
    m->ix = ix;
    m->cap = cap;
    if (m->ctx)
        m->ctx->scratch += (unsigned long)cap * 2 * sizeof *key;
}

unsigned sg_idmap_add_key(sg_idmap *m, unsigned key)
{
    unsigned i;
    assert(key < 0xffffffffu);
    if (2 * (m->n + 1) > m->cap)
        idmap_grow(m);
    for (i = idslot(key, m->cap); m->key[i]; i = (i + 1) & (m->cap - 1))
        if (m->key[i] == key + 1)
            return m->ix[i];
    m->key[i] = key + 1;
    m->ix[i] = m->n;
    return m->n++;
}

unsigned sg_idmap_add(sg_idmap *m, const sg_expr *e)
{
    return sg_idmap_add_key(m, e->id);
}

void sg_idmap_add_reachable(sg_idmap *m, const sg_expr *root)
{
    const sg_expr **stack;
    int sp = 0, cap = 64, k;
    if (sg_idmap_find(m, root) != SG_IDMAP_NONE)
        return;
    sg_idmap_add(m, root);
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = root;
    while (sp > 0) {
        const sg_expr *e = stack[--sp];
        for (k = 0; k < e->nkids; k++) {
            if (sg_idmap_find(m, e->kid[k]) != SG_IDMAP_NONE)
                continue;
            sg_idmap_add(m, e->kid[k]);
            SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
            stack[sp++] = e->kid[k];
        }
    }
    free((void *)stack);
}

