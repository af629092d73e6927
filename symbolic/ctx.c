/*
 * ctx.c: the context's tables: dimensions (and the shapes made of them),
 * symbols, sequences, the stability rewrites recorded, and the count of
 * per-pass scratch.
 *
 * Each table is an array of arena-allocated entries with a name → index
 * map next to it, so that an index or a pointer handed out stays valid as
 * the table grows. Dimension 0 is the constant 1 (SG_DIM_ONE), made with
 * the context. A product of dimensions with a name among them (m·n, the
 * length of vec(X) for X m×n, in the shapes of Kronecker products) is an
 * entry of its own, nameless, that keeps its two factors; a product of
 * numbers is a number. The nodes themselves live in the unique table (unique.c).
 */
#include "expr_impl.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- context ------------------------------------------------------------ */

sg_ctx *sg_ctx_new(void)
{
    sg_ctx *ctx = sg_xmalloc(sizeof *ctx);
    memset(ctx, 0, sizeof *ctx);
    ctx->arena = sg_arena_new();
    ctx->tabsize = 1024;
    ctx->table = sg_xmalloc(ctx->tabsize * sizeof *ctx->table);
    memset(ctx->table, 0, ctx->tabsize * sizeof *ctx->table);
    sg_dim_const(ctx, 1); /* SG_DIM_ONE */
    return ctx;
}

void sg_ctx_free(sg_ctx *ctx)
{
    if (!ctx)
        return;
    sg_arena_free(ctx->arena);
    free(ctx->dims);
    free(ctx->syms);
    free(ctx->seqs);
    sg_strmap_free(&ctx->dimnames);
    sg_strmap_free(&ctx->symnames);
    sg_strmap_free(&ctx->seqnames);
    free(ctx->table);
    free(ctx->rw);
    free(ctx);
}

void sg_ctx_record_rewrites(sg_ctx *ctx, int on)
{
    ctx->recording = on;
}

void sg_ctx_as_written(sg_ctx *ctx, int on)
{
    ctx->as_written = on;
}

int sg_rewrite_count(const sg_ctx *ctx)
{
    return ctx->nrw;
}

const sg_rewrite *sg_rewrite_get(const sg_ctx *ctx, int i)
{
    assert(i >= 0 && i < ctx->nrw);
    return &ctx->rw[i];
}

sg_arena *sg_ctx_arena(sg_ctx *ctx)
{
    return ctx->arena;
}

/* ---- dimensions and shapes ---------------------------------------------- */

static sg_dim dim_add(sg_ctx *ctx, const char *name, long value)
{
    sg_diminfo *d;
    SG_GROW(ctx->dims, ctx->ndims, ctx->dimcap, SG_GROW_MAX, "dimensions");
    d = sg_arena_alloc(ctx->arena, sizeof *d);
    d->name = name ? sg_arena_strdup(ctx->arena, name) : NULL;
    d->value = value;
    d->factor[0] = d->factor[1] = -1;
    if (d->name)
        sg_strmap_put(&ctx->dimnames, d->name, ctx->ndims);
    ctx->dims[ctx->ndims] = d;
    return ctx->ndims++;
}

sg_dim sg_dim_named(sg_ctx *ctx, const char *name)
{
    int i = sg_dim_find(ctx, name);
    return i >= 0 ? i : dim_add(ctx, name, 0);
}

sg_dim sg_dim_const(sg_ctx *ctx, long value)
{
    int i;
    assert(value > 0);
    for (i = 0; i < ctx->ndims; i++)
        if (!ctx->dims[i]->name && ctx->dims[i]->value == value)
            return i;
    return dim_add(ctx, NULL, value);
}

sg_dim sg_dim_product(sg_ctx *ctx, sg_dim a, sg_dim b)
{
    const sg_diminfo *da = sg_dim_get(ctx, a), *db = sg_dim_get(ctx, b);
    sg_dim d;
    int i;
    if (a == SG_DIM_ONE || b == SG_DIM_ONE)
        return a == SG_DIM_ONE ? b : a;
    if (!da->name && da->value && !db->name && db->value) {
        if (da->value > LONG_MAX / db->value)
            sg_too_large(LONG_MAX, "entries in one dimension");
        return sg_dim_const(ctx, da->value * db->value);
    }
    for (i = 0; i < ctx->ndims; i++)
        if (ctx->dims[i]->factor[0] == a && ctx->dims[i]->factor[1] == b)
            return i;
    d = dim_add(ctx, NULL, 0);
    ctx->dims[d]->factor[0] = a;
    ctx->dims[d]->factor[1] = b;
    return d;
}

int sg_dim_is_product(const sg_ctx *ctx, sg_dim d)
{
    return sg_dim_get(ctx, d)->factor[0] >= 0;
}

long sg_dim_value(const sg_ctx *ctx, sg_dim d, const long *named)
{
    const sg_diminfo *di = sg_dim_get(ctx, d);
    if (di->factor[0] >= 0) /* factors are older: this recursion is shallow */
        return sg_dim_value(ctx, di->factor[0], named) * sg_dim_value(ctx, di->factor[1], named);
    return di->name ? named[d] : di->value;
}

sg_dim sg_shape_len(sg_ctx *ctx, sg_shape s)
{
    return sg_dim_product(ctx, s.rows, s.cols);
}

int sg_dim_find(const sg_ctx *ctx, const char *name)
{
    return sg_strmap_get(&ctx->dimnames, name);
}

int sg_dim_count(const sg_ctx *ctx)
{
    return ctx->ndims;
}

const sg_diminfo *sg_dim_get(const sg_ctx *ctx, sg_dim d)
{
    assert(d >= 0 && d < ctx->ndims);
    return ctx->dims[d];
}

sg_shape sg_shape_make(sg_dim rows, sg_dim cols)
{
    sg_shape s;
    s.rows = rows;
    s.cols = cols;
    return s;
}

int sg_shape_eq(sg_shape a, sg_shape b)
{
    return a.rows == b.rows && a.cols == b.cols;
}

int sg_shape_is_scalar(sg_shape s)
{
    return s.rows == SG_DIM_ONE && s.cols == SG_DIM_ONE;
}

int sg_shape_is_vector(sg_shape s)
{
    return s.rows != SG_DIM_ONE && s.cols == SG_DIM_ONE;
}

static const char *dim_str(sg_ctx *ctx, sg_dim d, int ascii)
{
    const sg_diminfo *di = sg_dim_get(ctx, d);
    if (di->factor[0] >= 0)
        return sg_arena_printf(ctx->arena, "%s%s%s", dim_str(ctx, di->factor[0], ascii),
                               ascii ? "*" : "·", dim_str(ctx, di->factor[1], ascii));
    return di->name ? di->name : sg_arena_printf(ctx->arena, "%ld", di->value);
}

const char *sg_shape_str(sg_ctx *ctx, sg_shape s, int ascii)
{
    const char *R = ascii ? "R" : "ℝ";
    if (sg_shape_is_scalar(s))
        return R;
    if (s.cols == SG_DIM_ONE)
        return sg_arena_printf(ctx->arena, "%s^%s", R, dim_str(ctx, s.rows, ascii));
    if (ascii)
        return sg_arena_printf(ctx->arena, "R^(%s x %s)", dim_str(ctx, s.rows, ascii),
                               dim_str(ctx, s.cols, ascii));
    return sg_arena_printf(ctx->arena, "ℝ^{%s×%s}", dim_str(ctx, s.rows, ascii),
                           dim_str(ctx, s.cols, ascii));
}

/* ---- symbols ------------------------------------------------------------ */

int sg_sym_add(sg_ctx *ctx, const char *name, sg_shape shape, unsigned props, sg_span span)
{
    sg_symbol *s;
    SG_GROW(ctx->syms, ctx->nsyms, ctx->symcap, SG_GROW_MAX, "symbols");
    s = sg_arena_alloc(ctx->arena, sizeof *s);
    s->name = sg_arena_strdup(ctx->arena, name);
    s->shape = shape;
    s->props = props;
    s->span = span;
    s->seq = -1;
    ctx->syms[ctx->nsyms] = s;
    sg_strmap_put(&ctx->symnames, s->name, ctx->nsyms);
    return ctx->nsyms++;
}

int sg_sym_find(const sg_ctx *ctx, const char *name)
{
    return sg_strmap_get(&ctx->symnames, name);
}

int sg_sym_count(const sg_ctx *ctx)
{
    return ctx->nsyms;
}

const sg_symbol *sg_sym_get(const sg_ctx *ctx, int i)
{
    assert(i >= 0 && i < ctx->nsyms);
    return ctx->syms[i];
}

/* ---- sequences ----------------------------------------------------------- */

sg_index sg_index_make(sg_dim dim, long off)
{
    sg_index i;
    i.dim = dim < 0 ? -1 : dim;
    i.off = off;
    return i;
}

sg_index sg_index_plus(sg_index i, long k)
{
    i.off += k;
    return i;
}

int sg_index_eq(sg_index a, sg_index b)
{
    return a.dim == b.dim && a.off == b.off;
}

int sg_index_provably_le(sg_index a, sg_index b)
{
    if (a.dim == b.dim)
        return a.off <= b.off;
    if (a.dim < 0) /* c ≤ T + d for every T ≥ 1 */
        return a.off <= 1 + b.off;
    return 0; /* T + c ≤ d, or two dimensions: T is unbounded */
}

int sg_index_snprint(char *buf, size_t cap, const sg_ctx *ctx, sg_index i, int ascii)
{
    const char *minus = ascii ? "-" : "−";
    const sg_diminfo *d;
    char dim[32]; /* a long in decimal: 20 characters at most */
    const char *dn;
    if (i.dim < 0)
        return snprintf(buf, cap, "%ld", i.off);
    d = sg_dim_get(ctx, i.dim);
    if (d->name) {
        dn = d->name;
    } else {
        snprintf(dim, sizeof dim, "%ld", d->value);
        dn = dim;
    }
    if (i.off == 0)
        return snprintf(buf, cap, "%s", dn);
    return snprintf(buf, cap, "%s %s %ld", dn, i.off < 0 ? minus : "+", i.off < 0 ? -i.off : i.off);
}

const char *sg_index_str(sg_ctx *ctx, sg_index i, int ascii)
{
    int n = sg_index_snprint(NULL, 0, ctx, i, ascii);
    char *s = sg_arena_alloc(ctx->arena, (size_t)n + 1);
    sg_index_snprint(s, (size_t)n + 1, ctx, i, ascii);
    return s;
}

int sg_seq_add(sg_ctx *ctx, const char *name, sg_seq_kind kind, sg_shape step, sg_index lo,
               sg_index hi, sg_span span)
{
    sg_seq *q;
    SG_GROW(ctx->seqs, ctx->nseqs, ctx->seqcap, SG_GROW_MAX, "sequences");
    q = sg_arena_alloc(ctx->arena, sizeof *q);
    memset(q, 0, sizeof *q);
    q->name = sg_arena_strdup(ctx->arena, name);
    q->kind = kind;
    q->shape = step;
    q->lo = lo;
    q->hi = hi;
    q->sym = -1;
    q->of = -1;
    q->span = span;
    ctx->seqs[ctx->nseqs] = q;
    sg_strmap_put(&ctx->seqnames, q->name, ctx->nseqs);
    if (kind == SG_SEQ_INPUT) {
        q->sym = sg_sym_add(ctx, name, step, SG_PROP_NONE, span);
        ctx->syms[q->sym]->seq = ctx->nseqs;
    }
    return ctx->nseqs++;
}

int sg_seq_add_input(sg_ctx *ctx, const char *name, sg_shape step, unsigned props, sg_index lo,
                     sg_index hi, sg_span span)
{
    int q = sg_seq_add(ctx, name, SG_SEQ_INPUT, step, lo, hi, span);
    ctx->syms[ctx->seqs[q]->sym]->props = props;
    return q;
}

int sg_seq_find(const sg_ctx *ctx, const char *name)
{
    return sg_strmap_get(&ctx->seqnames, name);
}

int sg_seq_count(const sg_ctx *ctx)
{
    return ctx->nseqs;
}

const sg_seq *sg_seq_get(const sg_ctx *ctx, int q)
{
    assert(q >= 0 && q < ctx->nseqs);
    return ctx->seqs[q];
}

sg_seq *sg_seq_get_mut(sg_ctx *ctx, int q)
{
    assert(q >= 0 && q < ctx->nseqs);
    return ctx->seqs[q];
}

void sg_seq_add_term(sg_ctx *ctx, int q, sg_index lo, sg_index hi, sg_expr *value)
{
    sg_seq *s = sg_seq_get_mut(ctx, q);
    sg_seq_term *t = sg_arena_alloc(ctx->arena, (size_t)(s->nterms + 1) * sizeof *t);
    if (s->nterms)
        memcpy(t, s->terms, (size_t)s->nterms * sizeof *t);
    t[s->nterms].lo = lo;
    t[s->nterms].hi = hi;
    t[s->nterms].value = value;
    t[s->nterms].display = NULL;
    s->terms = t;
    s->nterms++;
}

sg_index sg_seq_first(const sg_ctx *ctx, int q)
{
    const sg_seq *s = sg_seq_get(ctx, q);
    if (s->kind == SG_SEQ_BACKWARD && s->of >= 0)
        return sg_seq_first(ctx, s->of);
    return s->kind == SG_SEQ_INPUT || (s->kind == SG_SEQ_FORWARD && !s->init && s->body)
               ? s->lo
               : sg_index_plus(s->lo, -1);
}

/* ---- per-pass scratch ------------------------------------------------------ */

unsigned long sg_ctx_scratch(const sg_ctx *ctx)
{
    return ctx->scratch;
}

void sg_ctx_scratch_add(sg_ctx *ctx, unsigned long bytes)
{
    ctx->scratch += bytes;
}
