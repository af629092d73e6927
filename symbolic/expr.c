/*
 * expr.c: the hash-consed expression DAG and its smart constructors.
 *
 * Every node is made by intern(), which looks (op, shape, kids, payload) up
 * in the unique table first: equal expressions are one pointer. The name a
 * definition gives a node is not part of its identity.
 *
 * The constructors apply only rewrites that are always valid and never make
 * the result larger, so that the DAG stays canonical enough for hash-consing
 * to find the sharing:
 *
 *   - constants fold; 0 + a → a; c₁a + c₂a → (c₁+c₂)a on one ADD;
 *   - a scalar factor always sits at the top of a product, with a constant
 *     coefficient outermost: c·(s·A). So −a is (−1)·a and −(−a) is a;
 *   - products of matrices are flattened into a chain of factors and
 *     re-associated by the matrix-chain dynamic program (Wᵀ(Wx), never
 *     (WᵀW)x), so the same sub-product is the same node everywhere. A
 *     transposed product is one factor: transposes are not pushed inwards,
 *     since they are free views in generated code and pushing them would
 *     duplicate work;
 *   - 1×1 forms of 0, 𝟙, I and fills are the scalar itself, so that a
 *     scalar has one canonical spelling.
 *
 * Whether a node is provably symmetric is decided when it is made, from its
 * kids' flags, and kept next to the node (struct node below).
 */
#include "expr.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the node as allocated: the public part, then what only expr.c keeps */
typedef struct {
    sg_expr e;
    unsigned flags;
} node;

#define F_SYM 1u /* provably symmetric */

struct sg_ctx {
    sg_arena *arena;
    sg_diminfo **dims; /* arena-allocated entries, so pointers stay valid */
    int ndims, dimcap;
    sg_symbol **syms;
    int nsyms, symcap;
    sg_expr **table; /* unique table: buckets chained through e->chain */
    unsigned tabsize, count;
};

/* a named dimension is assumed this large when ordering products */
#define NAMED_DIM_COST 1000.0
/* longer chains of factors are not re-associated (the DP is cubic) */
#define MAX_CHAIN 32

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
    free(ctx->table);
    free(ctx);
}

sg_arena *sg_ctx_arena(sg_ctx *ctx)
{
    return ctx->arena;
}

/* ---- dimensions and shapes ---------------------------------------------- */

static sg_dim dim_add(sg_ctx *ctx, const char *name, long value)
{
    sg_diminfo *d;
    if (ctx->ndims == ctx->dimcap) {
        ctx->dimcap = ctx->dimcap ? 2 * ctx->dimcap : 16;
        ctx->dims = sg_xrealloc(ctx->dims, (size_t)ctx->dimcap * sizeof *ctx->dims);
    }
    d = sg_arena_alloc(ctx->arena, sizeof *d);
    d->name = name ? sg_arena_strdup(ctx->arena, name) : NULL;
    d->value = value;
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

int sg_dim_find(const sg_ctx *ctx, const char *name)
{
    int i;
    for (i = 0; i < ctx->ndims; i++)
        if (ctx->dims[i]->name && strcmp(ctx->dims[i]->name, name) == 0)
            return i;
    return -1;
}

int sg_ndims(const sg_ctx *ctx)
{
    return ctx->ndims;
}

const sg_diminfo *sg_diminfo_of(const sg_ctx *ctx, sg_dim d)
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

static const char *dim_str(sg_ctx *ctx, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(ctx, d);
    return di->name ? di->name : sg_arena_printf(ctx->arena, "%ld", di->value);
}

const char *sg_shape_str(sg_ctx *ctx, sg_shape s, int ascii)
{
    const char *R = ascii ? "R" : "ℝ";
    if (sg_shape_is_scalar(s))
        return R;
    if (s.cols == SG_DIM_ONE)
        return sg_arena_printf(ctx->arena, "%s^%s", R, dim_str(ctx, s.rows));
    if (ascii)
        return sg_arena_printf(ctx->arena, "R^(%s x %s)", dim_str(ctx, s.rows),
                               dim_str(ctx, s.cols));
    return sg_arena_printf(ctx->arena, "ℝ^{%s×%s}", dim_str(ctx, s.rows), dim_str(ctx, s.cols));
}

/* ---- symbols ------------------------------------------------------------ */

int sg_sym_add(sg_ctx *ctx, const char *name, sg_shape shape, unsigned props, sg_span span)
{
    sg_symbol *s;
    if (ctx->nsyms == ctx->symcap) {
        ctx->symcap = ctx->symcap ? 2 * ctx->symcap : 16;
        ctx->syms = sg_xrealloc(ctx->syms, (size_t)ctx->symcap * sizeof *ctx->syms);
    }
    s = sg_arena_alloc(ctx->arena, sizeof *s);
    s->name = sg_arena_strdup(ctx->arena, name);
    s->shape = shape;
    s->props = props;
    s->span = span;
    ctx->syms[ctx->nsyms] = s;
    return ctx->nsyms++;
}

int sg_sym_find(const sg_ctx *ctx, const char *name)
{
    int i;
    for (i = 0; i < ctx->nsyms; i++)
        if (strcmp(ctx->syms[i]->name, name) == 0)
            return i;
    return -1;
}

int sg_nsyms(const sg_ctx *ctx)
{
    return ctx->nsyms;
}

const sg_symbol *sg_sym(const sg_ctx *ctx, int i)
{
    assert(i >= 0 && i < ctx->nsyms);
    return ctx->syms[i];
}

/* ---- the unique table ---------------------------------------------------- */

static int is_scalar(const sg_expr *e)
{
    return sg_shape_is_scalar(e->shape);
}

/* a scaling: s·A with s 1×1 (kid[0]) and A not 1×1 */
static int is_scaling(const sg_expr *e)
{
    return e->op == SG_OP_MUL && is_scalar(e->kid[0]) && !is_scalar(e);
}

static int sym_flag(const sg_expr *e)
{
    return (((const node *)e)->flags & F_SYM) != 0;
}

static unsigned mix(unsigned h, unsigned v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

static unsigned hash_of(sg_op op, sg_shape s, const sg_expr *a, const sg_expr *b, double value,
                        int sym, sg_dim dim)
{
    uint64_t bits;
    unsigned h = (unsigned)op * 2654435761u;
    memcpy(&bits, &value, sizeof bits);
    h = mix(h, (unsigned)s.rows);
    h = mix(h, (unsigned)s.cols);
    h = mix(h, a ? a->id + 1 : 0);
    h = mix(h, b ? b->id + 1 : 0);
    h = mix(h, (unsigned)bits);
    h = mix(h, (unsigned)(bits >> 32));
    h = mix(h, (unsigned)sym);
    h = mix(h, (unsigned)dim);
    return h;
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

/* is the product whose flattened factors are f[0..n) provably symmetric?
   It is when it reads the same transposed: F₁…Fₖ with Fᵢ = Fₖ₊₁₋ᵢᵀ and a
   symmetric middle (A Aᵀ, AᵀA, A S Aᵀ, S S). */
static int transposes(const sg_expr *x, const sg_expr *y)
{
    return (y->op == SG_OP_TRANSPOSE && y->kid[0] == x) ||
           (x->op == SG_OP_TRANSPOSE && x->kid[0] == y) || (x == y && sym_flag(x));
}

#define MAX_SYM_FACTORS 64

static void collect_factors(const sg_expr *e, const sg_expr **f, int *n)
{
    if (*n > MAX_SYM_FACTORS)
        return;
    if (e->op == SG_OP_MUL && !is_scalar(e->kid[0])) {
        collect_factors(e->kid[0], f, n);
        collect_factors(e->kid[1], f, n);
    } else if (*n < MAX_SYM_FACTORS) {
        f[*n] = e;
        ++*n;
    } else {
        *n = MAX_SYM_FACTORS + 1; /* too long to tell */
    }
}

static int product_is_symmetric(const sg_expr *e)
{
    const sg_expr *f[MAX_SYM_FACTORS];
    int n = 0, i;
    collect_factors(e, f, &n);
    if (n > MAX_SYM_FACTORS)
        return 0;
    for (i = 0; i < n / 2; i++)
        if (!transposes(f[i], f[n - 1 - i]))
            return 0;
    return n % 2 == 0 || sym_flag(f[n / 2]);
}

static int calc_symmetric(const sg_ctx *ctx, const sg_expr *e)
{
    if (e->shape.rows != e->shape.cols)
        return 0;
    if (is_scalar(e))
        return 1;
    switch (e->op) {
    case SG_OP_VAR:
        return (sg_sym(ctx, e->sym)->props & (SG_PROP_SYMMETRIC | SG_PROP_SPD)) != 0;
    case SG_OP_ZERO: case SG_OP_ONES: case SG_OP_EYE: case SG_OP_FILL: case SG_OP_DIAG:
        return 1;
    case SG_OP_ADD: case SG_OP_HADAMARD: case SG_OP_HDIV:
        return sym_flag(e->kid[0]) && sym_flag(e->kid[1]);
    case SG_OP_MUL:
        if (is_scalar(e->kid[0]))
            return sym_flag(e->kid[1]);
        return product_is_symmetric(e);
    case SG_OP_TRANSPOSE: case SG_OP_POW: case SG_OP_INV:
        return sym_flag(e->kid[0]);
    default:
        return sg_op_is_elementwise_unary(e->op) && sym_flag(e->kid[0]);
    }
}

static sg_expr *intern(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b,
                       double value, int sym, sg_dim dim)
{
    unsigned h;
    sg_expr *e;
    node *n;
    if (value == 0)
        value = 0; /* one zero: −0 is +0 */
    h = hash_of(op, s, a, b, value, sym, dim);
    for (e = ctx->table[h & (ctx->tabsize - 1)]; e; e = e->chain)
        if (e->hash == h && e->op == op && sg_shape_eq(e->shape, s) && e->kid[0] == a &&
            e->kid[1] == b && memcmp(&e->value, &value, sizeof value) == 0 && e->sym == sym &&
            e->dim == dim)
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
    e->value = value;
    e->sym = sym;
    e->dim = dim;
    e->id = ctx->count++;
    e->hash = h;
    e->chain = ctx->table[h & (ctx->tabsize - 1)];
    ctx->table[h & (ctx->tabsize - 1)] = e;
    if (calc_symmetric(ctx, e))
        n->flags |= F_SYM;
    return e;
}

static sg_expr *mk1(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a)
{
    return intern(ctx, op, s, a, NULL, 0, -1, -1);
}

static sg_expr *mk2(sg_ctx *ctx, sg_op op, sg_shape s, sg_expr *a, sg_expr *b)
{
    return intern(ctx, op, s, a, b, 0, -1, -1);
}

unsigned sg_expr_count(const sg_ctx *ctx)
{
    return ctx->count;
}

/* ---- leaves ------------------------------------------------------------- */

static sg_shape scalar_shape(void)
{
    return sg_shape_make(SG_DIM_ONE, SG_DIM_ONE);
}

sg_expr *sg_var(sg_ctx *ctx, int sym)
{
    return intern(ctx, SG_OP_VAR, sg_sym(ctx, sym)->shape, NULL, NULL, 0, sym, -1);
}

sg_expr *sg_const(sg_ctx *ctx, double v)
{
    return intern(ctx, SG_OP_CONST, scalar_shape(), NULL, NULL, v, -1, -1);
}

sg_expr *sg_dimval(sg_ctx *ctx, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(ctx, d);
    if (!di->name)
        return sg_const(ctx, (double)di->value);
    return intern(ctx, SG_OP_DIMVAL, scalar_shape(), NULL, NULL, 0, -1, d);
}

sg_expr *sg_zero(sg_ctx *ctx, sg_shape s)
{
    if (sg_shape_is_scalar(s))
        return sg_const(ctx, 0);
    return intern(ctx, SG_OP_ZERO, s, NULL, NULL, 0, -1, -1);
}

sg_expr *sg_ones(sg_ctx *ctx, sg_shape s)
{
    if (sg_shape_is_scalar(s))
        return sg_const(ctx, 1);
    return intern(ctx, SG_OP_ONES, s, NULL, NULL, 0, -1, -1);
}

sg_expr *sg_eye(sg_ctx *ctx, sg_dim n)
{
    if (n == SG_DIM_ONE)
        return sg_const(ctx, 1);
    return intern(ctx, SG_OP_EYE, sg_shape_make(n, n), NULL, NULL, 0, -1, -1);
}

/* ---- properties --------------------------------------------------------- */

int sg_expr_is_const(const sg_expr *e, double v)
{
    switch (e->op) {
    case SG_OP_CONST:
        return e->value == v;
    case SG_OP_FILL:
        return e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == v;
    case SG_OP_ZERO:
        return v == 0;
    case SG_OP_ONES:
        return v == 1;
    default:
        return 0;
    }
}

int sg_expr_is_zero(const sg_expr *e)
{
    return sg_expr_is_const(e, 0);
}

int sg_expr_is_symmetric(const sg_ctx *ctx, const sg_expr *e)
{
    (void)ctx;
    return sym_flag(e);
}

int sg_op_is_elementwise_unary(sg_op op)
{
    return op >= SG_OP_EXP && op <= SG_OP_STEP;
}

const char *sg_op_name(sg_op op)
{
    static const char *const names[SG_OP_COUNT] = {
        [SG_OP_VAR] = "var",          [SG_OP_CONST] = "const",
        [SG_OP_DIMVAL] = "dim",       [SG_OP_ZERO] = "0",
        [SG_OP_ONES] = "𝟙",           [SG_OP_EYE] = "I",
        [SG_OP_ADD] = "+",            [SG_OP_MUL] = "·",
        [SG_OP_TRANSPOSE] = "ᵀ",      [SG_OP_FILL] = "fill",
        [SG_OP_SUM] = "sum",          [SG_OP_TRACE] = "tr",
        [SG_OP_DOT] = "⟨,⟩",          [SG_OP_DIAG] = "diag",
        [SG_OP_DIAGV] = "diagv",      [SG_OP_HADAMARD] = "⊙",
        [SG_OP_HDIV] = "⊘",           [SG_OP_POW] = ".^",
        [SG_OP_EXP] = "exp",          [SG_OP_LOG] = "log",
        [SG_OP_SQRT] = "sqrt",        [SG_OP_ABS] = "abs",
        [SG_OP_SIN] = "sin",          [SG_OP_COS] = "cos",
        [SG_OP_TANH] = "tanh",        [SG_OP_SIGMOID] = "σ",
        [SG_OP_RELU] = "relu",        [SG_OP_SWISH] = "swish",
        [SG_OP_SOFTPLUS] = "softplus", [SG_OP_LOG1P] = "log1p",
        [SG_OP_EXPM1] = "expm1",      [SG_OP_SIGN] = "sign",
        [SG_OP_STEP] = "step",        [SG_OP_NORM] = "norm",
        [SG_OP_NORM1] = "norm1",      [SG_OP_SOFTMAX] = "softmax",
        [SG_OP_LOGSOFTMAX] = "logsoftmax", [SG_OP_LOGSUMEXP] = "logsumexp",
        [SG_OP_INV] = "inv",          [SG_OP_DET] = "det",
        [SG_OP_LOGDET] = "logdet",
    };
    if ((int)op < 0 || op >= SG_OP_COUNT || !names[op])
        return "?";
    return names[op];
}

/* σ(x) without overflow for either sign of x */
static double sigmoid(double x)
{
    double z;
    if (x >= 0)
        return 1 / (1 + exp(-x));
    z = exp(x);
    return z / (1 + z);
}

double sg_op_apply1(sg_op op, double x)
{
    switch (op) {
    case SG_OP_EXP: return exp(x);
    case SG_OP_LOG: return log(x);
    case SG_OP_SQRT: return sqrt(x);
    case SG_OP_ABS: return fabs(x);
    case SG_OP_SIN: return sin(x);
    case SG_OP_COS: return cos(x);
    case SG_OP_TANH: return tanh(x);
    case SG_OP_SIGMOID: return sigmoid(x);
    case SG_OP_RELU: return x > 0 ? x : 0;
    case SG_OP_SWISH: return x * sigmoid(x);
    /* log(1 + eˣ) = max(x, 0) + log1p(e^−|x|) */
    case SG_OP_SOFTPLUS: return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
    case SG_OP_LOG1P: return log1p(x);
    case SG_OP_EXPM1: return expm1(x);
    case SG_OP_SIGN: return (x > 0) - (x < 0);
    case SG_OP_STEP: return x > 0;
    default:
        assert(!"not an elementwise unary op");
        return 0;
    }
}

/* ---- scaling ------------------------------------------------------------ */

sg_expr *sg_fill(sg_ctx *ctx, sg_expr *s, sg_shape shape)
{
    assert(is_scalar(s));
    if (sg_shape_is_scalar(shape))
        return s;
    if (sg_expr_is_const(s, 0))
        return sg_zero(ctx, shape);
    if (sg_expr_is_const(s, 1))
        return sg_ones(ctx, shape);
    return mk1(ctx, SG_OP_FILL, shape, s);
}

/*
 * s·a for a 1×1 s. Keeps the canonical form: a constant coefficient is the
 * outermost factor, symbolic scalars are gathered into one kid[0], and
 * fills absorb their scale.
 */
static sg_expr *scale(sg_ctx *ctx, sg_expr *s, sg_expr *a)
{
    assert(is_scalar(s));
    if (is_scalar(a) && a->op == SG_OP_CONST && s->op != SG_OP_CONST) {
        sg_expr *t = s;
        s = a;
        a = t;
    }
    if (s->op == SG_OP_CONST) {
        double c = s->value;
        if (c == 0)
            return sg_zero(ctx, a->shape);
        if (c == 1)
            return a;
        switch (a->op) {
        case SG_OP_CONST:
            return sg_const(ctx, c * a->value);
        case SG_OP_ZERO:
            return a;
        case SG_OP_ONES:
            return sg_fill(ctx, s, a->shape);
        case SG_OP_FILL:
            return sg_fill(ctx, scale(ctx, s, a->kid[0]), a->shape);
        case SG_OP_MUL:
            if (a->kid[0]->op == SG_OP_CONST)
                return scale(ctx, sg_const(ctx, c * a->kid[0]->value), a->kid[1]);
            break;
        default:
            break;
        }
        return mk2(ctx, SG_OP_MUL, a->shape, s, a);
    }
    if (s->op == SG_OP_MUL && s->kid[0]->op == SG_OP_CONST) /* (c t)·a = c·(t a) */
        return scale(ctx, s->kid[0], scale(ctx, s->kid[1], a));
    switch (a->op) {
    case SG_OP_ZERO:
        return a;
    case SG_OP_ONES:
        return sg_fill(ctx, s, a->shape);
    case SG_OP_FILL:
        return sg_fill(ctx, scale(ctx, s, a->kid[0]), a->shape);
    case SG_OP_MUL:
        if (a->kid[0]->op == SG_OP_CONST) /* s·(c A) = c·(s A) */
            return scale(ctx, a->kid[0], scale(ctx, s, a->kid[1]));
        if (is_scaling(a)) /* s·(t A) = (s t)·A */
            return scale(ctx, scale(ctx, s, a->kid[0]), a->kid[1]);
        break;
    default:
        break;
    }
    return mk2(ctx, SG_OP_MUL, a->shape, s, a);
}

/* strips scalings off e, multiplying them into *s; a fill becomes s·𝟙 */
static sg_expr *take_scalar(sg_ctx *ctx, sg_expr *e, sg_expr **s)
{
    for (;;) {
        sg_expr *t;
        if (is_scaling(e)) {
            t = e->kid[0];
            e = e->kid[1];
        } else if (e->op == SG_OP_FILL) {
            t = e->kid[0];
            e = sg_ones(ctx, e->shape);
        } else {
            return e;
        }
        *s = *s ? scale(ctx, *s, t) : t;
    }
}

/* ---- products: flattening and the matrix-chain order -------------------- */

typedef struct {
    sg_expr **f;
    int n, cap;
} chain;

static void chain_push(chain *c, sg_expr *e)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->f = sg_xrealloc(c->f, (size_t)c->cap * sizeof *c->f);
    }
    c->f[c->n++] = e;
}

/* the factors of a product, left to right; a transposed product is one factor */
static void flatten(chain *c, sg_expr *e)
{
    if (e->op == SG_OP_MUL && !is_scalar(e->kid[0])) {
        flatten(c, e->kid[0]);
        flatten(c, e->kid[1]);
    } else {
        chain_push(c, e);
    }
}

static double dim_cost(const sg_ctx *ctx, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(ctx, d);
    return di->name ? NAMED_DIM_COST : (double)di->value;
}

/* L R where neither is 1×1, L and R already canonical */
static sg_expr *product2(sg_ctx *ctx, sg_expr *l, sg_expr *r)
{
    sg_expr *s = NULL, *p;
    if (is_scalar(l))
        return scale(ctx, l, r);
    if (is_scalar(r))
        return scale(ctx, r, l);
    l = take_scalar(ctx, l, &s);
    r = take_scalar(ctx, r, &s);
    p = mk2(ctx, SG_OP_MUL, sg_shape_make(l->shape.rows, r->shape.cols), l, r);
    return s ? scale(ctx, s, p) : p;
}

static sg_expr *build_chain(sg_ctx *ctx, sg_expr **f, const int *split, int n, int i, int j)
{
    int k;
    if (i == j)
        return f[i];
    k = split[i * n + j];
    return product2(ctx, build_chain(ctx, f, split, n, i, k),
                    build_chain(ctx, f, split, n, k + 1, j));
}

/*
 * The classic matrix-chain dynamic program: cost(i..j) is the cheapest way
 * to multiply factors i..j, an (a×b)(b×c) product costing a·b·c. Among
 * equally cheap splits the last one wins, which keeps left-to-right order
 * ((AB)C) on ties.
 */
static sg_expr *order_chain(sg_ctx *ctx, sg_expr **f, int n)
{
    double *cost, *w;
    int *split, len, i, j, k;
    sg_expr *e;
    if (n == 1)
        return f[0];
    cost = sg_xmalloc((size_t)n * n * sizeof *cost);
    split = sg_xmalloc((size_t)n * n * sizeof *split);
    w = sg_xmalloc((size_t)(n + 1) * sizeof *w);
    w[0] = dim_cost(ctx, f[0]->shape.rows);
    for (i = 0; i < n; i++) {
        w[i + 1] = dim_cost(ctx, f[i]->shape.cols);
        cost[i * n + i] = 0;
    }
    for (len = 2; len <= n; len++)
        for (i = 0; i + len - 1 < n; i++) {
            j = i + len - 1;
            cost[i * n + j] = HUGE_VAL;
            for (k = j - 1; k >= i; k--) {
                double c = cost[i * n + k] + cost[(k + 1) * n + j] + w[i] * w[k + 1] * w[j + 1];
                if (c < cost[i * n + j]) {
                    cost[i * n + j] = c;
                    split[i * n + j] = k;
                }
            }
        }
    e = build_chain(ctx, f, split, n, 0, n - 1);
    free(cost);
    free(split);
    free(w);
    return e;
}

/* a b for non-scalar a, b with a.cols = b.rows */
static sg_expr *matmul(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    sg_shape shape = sg_shape_make(a->shape.rows, b->shape.cols);
    sg_expr *s = NULL, *e;
    chain in = {NULL, 0, 0}, out = {NULL, 0, 0};
    int i;

    assert(a->shape.cols == b->shape.rows);
    if (sg_expr_is_zero(a) || sg_expr_is_zero(b))
        return sg_zero(ctx, shape);
    if (a->op == SG_OP_EYE)
        return b;
    if (b->op == SG_OP_EYE)
        return a;
    a = take_scalar(ctx, a, &s);
    b = take_scalar(ctx, b, &s);
    if (sg_shape_is_scalar(shape) && (a->op == SG_OP_ONES || b->op == SG_OP_ONES)) {
        e = sg_sum(ctx, a->op == SG_OP_ONES ? b : a); /* 𝟙ᵀv = vᵀ𝟙 = sum(v) */
        return s ? scale(ctx, s, e) : e;
    }
    flatten(&in, a);
    flatten(&in, b);
    /* 𝟙_{a×k} 𝟙_{k×b} = k 𝟙_{a×b}; an outer product 𝟙ₐ𝟙ᵦᵀ is left alone,
       since 𝟙(𝟙ᵀA) is cheaper than 𝟙_{a×b}A */
    for (i = 0; i < in.n; i++) {
        sg_expr *f = in.f[i];
        if (f->op == SG_OP_EYE) /* left over from (sI)A */
            continue;
        while (f && out.n > 0 && f->op == SG_OP_ONES && out.f[out.n - 1]->op == SG_OP_ONES &&
               f->shape.rows != SG_DIM_ONE) {
            sg_expr *prev = out.f[--out.n];
            sg_expr *k = sg_dimval(ctx, f->shape.rows);
            s = s ? scale(ctx, s, k) : k;
            f = sg_ones(ctx, sg_shape_make(prev->shape.rows, f->shape.cols));
            if (is_scalar(f))
                f = NULL;
        }
        if (f)
            chain_push(&out, f);
    }
    if (out.n == 0) /* 𝟙ᵀ𝟙 (already in s), or only identities */
        e = sg_shape_is_scalar(shape) ? sg_const(ctx, 1) : sg_eye(ctx, shape.rows);
    else if (out.n > MAX_CHAIN) /* too long to reorder: left to right */
        for (e = out.f[0], i = 1; i < out.n; i++)
            e = product2(ctx, e, out.f[i]);
    else
        e = order_chain(ctx, out.f, out.n);
    free(in.f);
    free(out.f);
    return s ? scale(ctx, s, e) : e;
}

sg_expr *sg_mul(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    if (is_scalar(a))
        return scale(ctx, a, b);
    if (is_scalar(b))
        return scale(ctx, b, a);
    return matmul(ctx, a, b);
}

/* ---- sums --------------------------------------------------------------- */

/* e = c·t with c a constant (c = 1 when e has no constant coefficient) */
static sg_expr *split_coef(sg_expr *e, double *c)
{
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST) {
        *c = e->kid[0]->value;
        return e->kid[1];
    }
    *c = 1;
    return e;
}

static int is_fillish(const sg_expr *e)
{
    return e->op == SG_OP_FILL || e->op == SG_OP_ONES;
}

static sg_expr *fill_value(sg_ctx *ctx, sg_expr *e)
{
    return e->op == SG_OP_FILL ? e->kid[0] : sg_const(ctx, 1);
}

sg_expr *sg_add(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    double ca, cb;
    sg_expr *ta, *tb;
    assert(sg_shape_eq(a->shape, b->shape));
    if (sg_expr_is_zero(a))
        return b;
    if (sg_expr_is_zero(b))
        return a;
    if (a->op == SG_OP_CONST && b->op == SG_OP_CONST)
        return sg_const(ctx, a->value + b->value);
    if (is_fillish(a) && is_fillish(b))
        return sg_fill(ctx, sg_add(ctx, fill_value(ctx, a), fill_value(ctx, b)), a->shape);
    ta = split_coef(a, &ca);
    tb = split_coef(b, &cb);
    if (ta == tb) /* c₁t + c₂t = (c₁ + c₂)t */
        return scale(ctx, sg_const(ctx, ca + cb), ta);
    return mk2(ctx, SG_OP_ADD, a->shape, a, b);
}

sg_expr *sg_neg(sg_ctx *ctx, sg_expr *a)
{
    return scale(ctx, sg_const(ctx, -1), a);
}

sg_expr *sg_sub(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    return sg_add(ctx, a, sg_neg(ctx, b));
}

/* ---- elementwise binary ------------------------------------------------- */

sg_expr *sg_hadamard(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    assert(sg_shape_eq(a->shape, b->shape));
    if (is_scalar(a))
        return sg_mul(ctx, a, b);
    if (sg_expr_is_zero(a))
        return a;
    if (sg_expr_is_zero(b))
        return b;
    if (a->op == SG_OP_ONES)
        return b;
    if (b->op == SG_OP_ONES)
        return a;
    if (a->op == SG_OP_FILL)
        return scale(ctx, a->kid[0], b);
    if (b->op == SG_OP_FILL)
        return scale(ctx, b->kid[0], a);
    if (is_scaling(a)) /* (sA)⊙B = s(A⊙B) */
        return scale(ctx, a->kid[0], sg_hadamard(ctx, a->kid[1], b));
    if (is_scaling(b))
        return scale(ctx, b->kid[0], sg_hadamard(ctx, a, b->kid[1]));
    return mk2(ctx, SG_OP_HADAMARD, a->shape, a, b);
}

sg_expr *sg_hdiv(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    assert(sg_shape_eq(a->shape, b->shape));
    if (a->op == SG_OP_CONST && b->op == SG_OP_CONST)
        return sg_const(ctx, a->value / b->value);
    if (sg_expr_is_const(b, 1))
        return a;
    if (sg_expr_is_zero(a))
        return a;
    if (!is_scalar(b) && b->op == SG_OP_FILL) /* A ⊘ s𝟙 = (1/s)A */
        return scale(ctx, sg_hdiv(ctx, sg_const(ctx, 1), b->kid[0]), a);
    if (a->op == SG_OP_MUL && (is_scaling(a) || a->kid[0]->op == SG_OP_CONST))
        return scale(ctx, a->kid[0], sg_hdiv(ctx, a->kid[1], b));
    if (b->op == SG_OP_MUL && b->kid[0]->op == SG_OP_CONST && b->kid[0]->value != 0)
        return scale(ctx, sg_const(ctx, 1 / b->kid[0]->value), sg_hdiv(ctx, a, b->kid[1]));
    return mk2(ctx, SG_OP_HDIV, a->shape, a, b);
}

sg_expr *sg_div(sg_ctx *ctx, sg_expr *a, sg_expr *s)
{
    assert(is_scalar(s));
    if (is_scalar(a))
        return sg_hdiv(ctx, a, s);
    return scale(ctx, sg_hdiv(ctx, sg_const(ctx, 1), s), a);
}

sg_expr *sg_pow(sg_ctx *ctx, sg_expr *a, sg_expr *p)
{
    assert(is_scalar(p));
    if (sg_expr_is_const(p, 1))
        return a;
    if (sg_expr_is_const(p, 0))
        return sg_ones(ctx, a->shape);
    if (a->op == SG_OP_CONST && p->op == SG_OP_CONST)
        return sg_const(ctx, pow(a->value, p->value));
    if (a->op == SG_OP_ONES)
        return a;
    if (a->op == SG_OP_FILL)
        return sg_fill(ctx, sg_pow(ctx, a->kid[0], p), a->shape);
    if (a->op == SG_OP_ZERO && p->op == SG_OP_CONST && p->value > 0)
        return a;
    if (a->op == SG_OP_NORM && sg_expr_is_const(p, 2)) /* ‖a‖² = ⟨a, a⟩ */
        return sg_dot(ctx, a->kid[0], a->kid[0]);
    return mk2(ctx, SG_OP_POW, a->shape, a, p);
}

/* ---- linear structure --------------------------------------------------- */

sg_expr *sg_transpose(sg_ctx *ctx, sg_expr *a)
{
    sg_shape t = sg_shape_make(a->shape.cols, a->shape.rows);
    if (a->op == SG_OP_TRANSPOSE)
        return a->kid[0];
    if (sym_flag(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, t);
    case SG_OP_ONES:
        return sg_ones(ctx, t);
    case SG_OP_FILL:
        return sg_fill(ctx, a->kid[0], t);
    default:
        break;
    }
    if (is_scaling(a)) /* (sA)ᵀ = s Aᵀ: keeps the scalar outermost */
        return scale(ctx, a->kid[0], sg_transpose(ctx, a->kid[1]));
    return mk1(ctx, SG_OP_TRANSPOSE, t, a);
}

static sg_expr *reduce(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    return mk1(ctx, op, scalar_shape(), a);
}

/* rows·cols of a shape, as a product of dimension values */
static sg_expr *numel(sg_ctx *ctx, sg_shape s)
{
    return sg_mul(ctx, sg_dimval(ctx, s.rows), sg_dimval(ctx, s.cols));
}

sg_expr *sg_sum(sg_ctx *ctx, sg_expr *a)
{
    if (is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_const(ctx, 0);
    case SG_OP_ONES:
        return numel(ctx, a->shape);
    case SG_OP_FILL:
        return sg_mul(ctx, a->kid[0], numel(ctx, a->shape));
    case SG_OP_EYE:
        return sg_dimval(ctx, a->shape.rows);
    case SG_OP_TRANSPOSE:
        return sg_sum(ctx, a->kid[0]);
    default:
        break;
    }
    if (is_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_sum(ctx, a->kid[1]));
    return reduce(ctx, SG_OP_SUM, a);
}

sg_expr *sg_trace(sg_ctx *ctx, sg_expr *a)
{
    assert(a->shape.rows == a->shape.cols);
    if (is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_const(ctx, 0);
    case SG_OP_EYE: case SG_OP_ONES:
        return sg_dimval(ctx, a->shape.rows);
    case SG_OP_FILL:
        return sg_mul(ctx, a->kid[0], sg_dimval(ctx, a->shape.rows));
    case SG_OP_TRANSPOSE:
        return sg_trace(ctx, a->kid[0]);
    default:
        break;
    }
    if (is_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_trace(ctx, a->kid[1]));
    return reduce(ctx, SG_OP_TRACE, a);
}

sg_expr *sg_dot(sg_ctx *ctx, sg_expr *a, sg_expr *b)
{
    assert(sg_shape_eq(a->shape, b->shape));
    if (is_scalar(a))
        return sg_mul(ctx, a, b);
    if (sg_expr_is_zero(a) || sg_expr_is_zero(b))
        return sg_const(ctx, 0);
    if (a->op == SG_OP_ONES)
        return sg_sum(ctx, b);
    if (b->op == SG_OP_ONES)
        return sg_sum(ctx, a);
    if (a->op == SG_OP_FILL)
        return sg_mul(ctx, a->kid[0], sg_sum(ctx, b));
    if (b->op == SG_OP_FILL)
        return sg_mul(ctx, b->kid[0], sg_sum(ctx, a));
    if (is_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_dot(ctx, a->kid[1], b));
    if (is_scaling(b))
        return sg_mul(ctx, b->kid[0], sg_dot(ctx, a, b->kid[1]));
    if (a->op == SG_OP_TRANSPOSE && b->op == SG_OP_TRANSPOSE) /* ⟨Aᵀ, Bᵀ⟩ = ⟨A, B⟩ */
        return sg_dot(ctx, a->kid[0], b->kid[0]);
    return mk2(ctx, SG_OP_DOT, scalar_shape(), a, b);
}

sg_expr *sg_diag(sg_ctx *ctx, sg_expr *v)
{
    sg_dim n;
    assert(v->shape.cols == SG_DIM_ONE || v->shape.rows == SG_DIM_ONE);
    if (is_scalar(v))
        return v;
    n = v->shape.cols == SG_DIM_ONE ? v->shape.rows : v->shape.cols;
    switch (v->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, sg_shape_make(n, n));
    case SG_OP_ONES:
        return sg_eye(ctx, n);
    case SG_OP_FILL:
        return sg_mul(ctx, v->kid[0], sg_eye(ctx, n));
    default:
        break;
    }
    if (is_scaling(v))
        return sg_mul(ctx, v->kid[0], sg_diag(ctx, v->kid[1]));
    return mk1(ctx, SG_OP_DIAG, sg_shape_make(n, n), v);
}

sg_expr *sg_diagv(sg_ctx *ctx, sg_expr *a)
{
    sg_shape s = sg_shape_make(a->shape.rows, SG_DIM_ONE);
    assert(a->shape.rows == a->shape.cols);
    if (is_scalar(a))
        return a;
    switch (a->op) {
    case SG_OP_ZERO:
        return sg_zero(ctx, s);
    case SG_OP_EYE: case SG_OP_ONES:
        return sg_ones(ctx, s);
    case SG_OP_FILL:
        return sg_fill(ctx, a->kid[0], s);
    case SG_OP_TRANSPOSE:
        return sg_diagv(ctx, a->kid[0]);
    case SG_OP_DIAG:
        if (a->kid[0]->shape.cols == SG_DIM_ONE)
            return a->kid[0];
        return sg_transpose(ctx, a->kid[0]);
    default:
        break;
    }
    if (is_scaling(a))
        return sg_mul(ctx, a->kid[0], sg_diagv(ctx, a->kid[1]));
    return mk1(ctx, SG_OP_DIAGV, s, a);
}

/* ---- unary functions ---------------------------------------------------- */

/* f(a) for a 1×1 a, where f is not elementwise */
static sg_expr *unary_scalar(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    switch (op) {
    case SG_OP_NORM: case SG_OP_NORM1:
        return sg_unary(ctx, SG_OP_ABS, a);
    case SG_OP_SOFTMAX:
        return sg_const(ctx, 1);
    case SG_OP_LOGSOFTMAX:
        return sg_const(ctx, 0);
    case SG_OP_LOGSUMEXP: case SG_OP_DET:
        return a;
    case SG_OP_INV:
        return sg_hdiv(ctx, sg_const(ctx, 1), a);
    case SG_OP_LOGDET:
        return sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_ABS, a));
    default:
        assert(!"not a unary op");
        return a;
    }
}

static sg_expr *elementwise(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    sg_expr *k = a->nkids ? a->kid[0] : NULL;
    switch (a->op) {
    case SG_OP_CONST:
        return sg_const(ctx, sg_op_apply1(op, a->value));
    case SG_OP_ZERO:
        return sg_fill(ctx, sg_const(ctx, sg_op_apply1(op, 0)), a->shape);
    case SG_OP_ONES:
        return sg_fill(ctx, sg_const(ctx, sg_op_apply1(op, 1)), a->shape);
    case SG_OP_FILL:
        return sg_fill(ctx, sg_unary(ctx, op, k), a->shape);
    default:
        break;
    }
    switch (op) {
    case SG_OP_LOG:
        if (a->op == SG_OP_EXP) /* log eˣ = x */
            return k;
        if (a->op == SG_OP_SOFTMAX) /* evaluated stably as one op */
            return sg_unary(ctx, SG_OP_LOGSOFTMAX, k);
        break;
    case SG_OP_EXP:
        if (a->op == SG_OP_LOGSOFTMAX)
            return sg_unary(ctx, SG_OP_SOFTMAX, k);
        break;
    case SG_OP_ABS:
        if (a->op == SG_OP_ABS)
            return a;
        break;
    case SG_OP_SQRT:
        if (a->op == SG_OP_DOT && a->kid[0] == a->kid[1]) /* √⟨a, a⟩ = ‖a‖ */
            return sg_unary(ctx, SG_OP_NORM, k);
        break;
    default:
        break;
    }
    return mk1(ctx, op, a->shape, a);
}

sg_expr *sg_unary(sg_ctx *ctx, sg_op op, sg_expr *a)
{
    sg_expr *k = a->nkids ? a->kid[0] : NULL;
    if (sg_op_is_elementwise_unary(op))
        return elementwise(ctx, op, a);
    if (is_scalar(a))
        return unary_scalar(ctx, op, a);
    switch (op) {
    case SG_OP_NORM: case SG_OP_NORM1:
        if (sg_expr_is_zero(a))
            return sg_const(ctx, 0);
        if (a->op == SG_OP_TRANSPOSE)
            return sg_unary(ctx, op, k);
        return reduce(ctx, op, a);
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        if (a->shape.rows == SG_DIM_ONE) /* columns of length 1 */
            return op == SG_OP_SOFTMAX      ? sg_ones(ctx, a->shape)
                   : op == SG_OP_LOGSOFTMAX ? sg_zero(ctx, a->shape)
                                            : a;
        return mk1(ctx, op,
                   op == SG_OP_LOGSUMEXP ? sg_shape_make(SG_DIM_ONE, a->shape.cols) : a->shape, a);
    case SG_OP_INV:
        assert(a->shape.rows == a->shape.cols);
        if (a->op == SG_OP_EYE)
            return a;
        if (a->op == SG_OP_INV)
            return k;
        return mk1(ctx, op, a->shape, a);
    case SG_OP_DET: case SG_OP_LOGDET:
        assert(a->shape.rows == a->shape.cols);
        if (a->op == SG_OP_EYE)
            return sg_const(ctx, op == SG_OP_DET ? 1 : 0);
        if (a->op == SG_OP_TRANSPOSE)
            return sg_unary(ctx, op, k);
        return reduce(ctx, op, a);
    default:
        assert(!"sg_unary: not a unary op");
        return a;
    }
}
