/*
 * check.c: names, shapes and expressions, from the syntax tree to the DAG.
 *
 * One pass over the statements, in order, because a name must be declared or
 * defined before it is used. Each definition's expression is checked
 * bottom-up into a DAG node; an error is recorded in the source's diagnostics
 * and the walk goes on with the value marked as failed, so that one mistake
 * gives one message and every independent mistake is still reported.
 *
 * Shapes flow both ways. Most nodes know their shape from their operands, but
 * I and 𝟙 take theirs from context (XXᵀ + βI, (𝟙 − y)ᵀ log(𝟙 − p)). Checking
 * is therefore bidirectional: check() takes the shape the context wants, with
 * unknown dimensions left open, and a subtree that still cannot know its size
 * answers POLY instead of a node. Its parent, once the other operand has told
 * it the size, checks that subtree again with the wanted shape. Only subtrees
 * free of errors answer POLY, so checking one twice never reports twice.
 *
 * A name that is neither declared nor defined may be a product written as on
 * paper: `Wx` is `W x` when exactly one split into known names exists, and a
 * postfix operator after it binds to the last part (`YYᵀ` is `Y Yᵀ`); after a
 * parenthesised group it binds to the group (`(YY)ᵀ` is `(Y Y)ᵀ`).
 *
 * Sequences. `x[t] ∈ ℝ^k for t = 1..T` declares an input sequence; `h[0] =
 * h0` starts a recurrence and `h[t] = … h[t−1] … for t = 1..T` gives its
 * step. The body of a step or of a Σ over time is checked inside a loop (the
 * variable, its range, the recurrence being defined): there x[t + c] is a
 * STEP leaf, checked to stay in x's range for every t of the loop, and a
 * step may read only the step before its own. Outside loops h[T] is an AT
 * leaf, and h[0] is the initial value itself. Ranges and indices are compared
 * symbolically (T − 1 ≤ T, 1 ≤ T since dimensions are ≥ 1): an index that
 * could leave its sequence's range for some T is an error.
 */
#include "check.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/cident.h"
#include "../lexer/lex.h"
#include "../base/strmap.h"
#include "../base/grow.h"
#include "simplify.h"

/* what a name stands for */
typedef enum { N_NONE, N_SYM, N_DEF, N_DIM, N_FUNC, N_SEQ } name_kind;

typedef struct {
    const char *name;
    sg_expr *expr;   /* NULL when its definition failed: uses stay silent */
    sg_span span;
    const sg_ast *ast;   /* as written */
    int rw_first, rw_end; /* the rewrites recorded while building expr */
    int *uses, nuses; /* the earlier definitions its text names (arena) */
    sg_expr *written; /* expr with the σ family as written (sg_ctx_as_written),
                         when one of those rewrites changed it; else NULL */
    int derived_as_written; /* a result's log differentiates a function that
                               reads written (mark_written_derived) */
} def_t;

typedef struct {
    sg_src *src;
    sg_ctx *ctx;
    def_t *defs;
    int ndefs, capdefs;
    sg_strmap defnames; /* name → index in defs */
    int *uses;          /* the definitions the one being checked names */
    int nuses, capuses;
    sg_strmap resnames; /* result name → index in res: a request asked twice is one */
    sg_result *res;
    int nres, capres;
    const char *prefix;
    unsigned char *seqbad; /* by sequence: its definition failed, uses stay silent */
    int capseqbad;
    /* the loop whose body is being checked (a Σ or a step); var NULL outside */
    struct {
        const char *var;
        sg_index lo, hi;
        int self; /* a step: the recurrence it defines; −1 in a Σ */
    } loop;
    struct memo *memo; /* check()'s answers, by subtree and wanted shape */
    unsigned nmemo, capmemo;
    int depth;         /* check() calls under way */
    int depth_reported;
    int too_large;     /* the DAG outgrew SG_MAX_NODES (reported once) */
    int size_reported; /* a value's size overflowed (reported once) */
    int as_written;    /* building the written forms: names read defs[].written */
} C;

/* check() calls nested at most: the parser bounds the nesting at
   SG_PARSE_MAX_DEPTH levels, and a flat chain is checked a level at a time */
#define MAX_CHECK_DEPTH 4000

/* the result of checking a subtree */
enum { OK, ERR, POLY };
typedef struct {
    int st;
    sg_expr *e;      /* OK */
    sg_span poly;    /* POLY: where the I or 𝟙 of unknown size is */
    int poly_ones;   /* POLY: it is a 𝟙 (else an I) */
} val;

/* the shape a context wants; -1 where it does not know */
typedef struct {
    sg_dim r, c;
} want;

static const want ANY = {-1, -1};

static val ok(sg_expr *e)
{
    val v = {OK, e, {0, 0}, 0};
    return v;
}

static val err(void)
{
    val v = {ERR, NULL, {0, 0}, 0};
    return v;
}

static val poly(sg_span at, int ones)
{
    val v = {POLY, NULL, at, ones};
    v.poly = at;
    return v;
}

/* ---- names ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    sg_op op;
    int nargs; /* -1: one or two */
} func_t;

/* SG_OP_COUNT marks functions that are not a single op */
static const func_t funcs[] = {
    {"exp", SG_OP_EXP, 1},         {"log", SG_OP_LOG, 1},
    {"sqrt", SG_OP_SQRT, 1},       {"abs", SG_OP_ABS, 1},
    {"sin", SG_OP_SIN, 1},         {"cos", SG_OP_COS, 1},
    {"tanh", SG_OP_TANH, 1},       {"sigmoid", SG_OP_SIGMOID, 1},
    {"sigma", SG_OP_SIGMOID, 1},   {"relu", SG_OP_RELU, 1},
    {"swish", SG_OP_SWISH, 1},     {"softplus", SG_OP_SOFTPLUS, 1},
    {"log1p", SG_OP_LOG1P, 1},     {"expm1", SG_OP_EXPM1, 1},
    {"softmax", SG_OP_SOFTMAX, 1}, {"logsoftmax", SG_OP_LOGSOFTMAX, 1},
    {"logsumexp", SG_OP_LOGSUMEXP, 1},
    {"norm", SG_OP_NORM, 1},       {"norm1", SG_OP_NORM1, 1},
    {"sum", SG_OP_SUM, 1},         {"mean", SG_OP_COUNT, 1},
    {"tr", SG_OP_TRACE, 1},        {"trace", SG_OP_TRACE, 1},
    {"det", SG_OP_DET, 1},         {"logdet", SG_OP_LOGDET, 1},
    {"inv", SG_OP_INV, 1},         {"diag", SG_OP_COUNT, 1},
    {"dot", SG_OP_DOT, 2},         {"eye", SG_OP_EYE, 1},
    {"ones", SG_OP_ONES, -1},
};

static const func_t *find_func(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (!strcmp(funcs[i].name, name))
            return &funcs[i];
    return NULL;
}

static int find_def(const C *c, const char *name)
{
    return sg_strmap_get(&c->defnames, name);
}

/* what name means here; *idx is the symbol, definition, dimension or sequence */
static name_kind lookup(const C *c, const char *name, int *idx)
{
    int i;
    if ((i = sg_seq_find(c->ctx, name)) >= 0) { /* before its symbol, for an input */
        *idx = i;
        return N_SEQ;
    }
    if ((i = sg_sym_find(c->ctx, name)) >= 0) {
        *idx = i;
        return N_SYM;
    }
    if ((i = find_def(c, name)) >= 0) {
        *idx = i;
        return N_DEF;
    }
    if ((i = sg_dim_find(c->ctx, name)) >= 0) {
        *idx = i;
        return N_DIM;
    }
    if (find_func(name))
        return N_FUNC;
    return N_NONE;
}

/* a name that can be part of a juxtaposed product: a value, or I */
static int is_part(const C *c, const char *s, size_t n)
{
    char buf[256];
    int idx;
    name_kind k;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strcmp(buf, "I"))
        return 1;
    k = lookup(c, buf, &idx);
    return k == N_SYM || k == N_DEF || k == N_DIM;
}

/* the readings an ambiguous name's message lists; one more is counted, so
   that the message can say there are more */
#define MAX_READINGS 4

/* one reading of a name as a product: part i is name[cut[i] .. cut[i+1]) */
typedef struct {
    int n;       /* how many parts */
    size_t *cut; /* n + 1 offsets (heap: a name may have SG_LEX_MAX_NAME parts) */
} split_t;

static void free_splits(split_t *sp, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(sp[i].cut);
}

/*
 * The ways to write name as a concatenation of at least two known names, up
 * to MAX_READINGS + 1 of them, shortest first part first; out == NULL only
 * counts them. Polynomial whatever the name: part[] asks each substring once
 * whether it is a known name, and ways[i] counts the splits of name[i..]
 * (capped), so the enumeration only enters a prefix that can be completed:
 * each reading costs O(len²) steps, never a search of dead ends (`aaaa…a`
 * with a and aa known has exponentially many readings and prefixes).
 */
static int split_name(const C *c, const char *name, split_t *out)
{
    size_t len = strlen(name), i, j, w = len + 1;
    unsigned char *part;
    int *ways, nout = 0, total = 0;
    size_t *cut, *next;
    int depth;

    if (len > SG_LEX_MAX_NAME || len < 2)
        return 0;
    part = sg_xmalloc(w * w);
    ways = sg_xmalloc(w * sizeof *ways);
    ways[len] = 1;
    for (i = len; i-- > 0;) {
        ways[i] = 0;
        for (j = i + 1; j <= len; j++) {
            part[i * w + j] = ways[j] && !(i == 0 && j == len) && is_part(c, name + i, j - i);
            if (part[i * w + j] && (ways[i] += ways[j]) > MAX_READINGS + 1)
                ways[i] = MAX_READINGS + 1;
        }
    }
    total = ways[0];
    if (!out || !total) {
        free(part);
        free(ways);
        return total;
    }
    /* depth-first, in order: cut[d] ends part d − 1; next[d] is the next end
       to try for part d − 1 */
    cut = sg_xmalloc((w + 1) * sizeof *cut);
    next = sg_xmalloc((w + 1) * sizeof *next);
    cut[0] = 0;
    next[1] = 1;
    depth = 1;
    while (depth > 0 && nout < total) {
        size_t start = cut[depth - 1], end = next[depth]++;
        if (end > len) {
            depth--;
            continue;
        }
        if (!part[start * w + end])
            continue;
        cut[depth] = end;
        if (end == len) {
            out[nout].n = depth;
            out[nout].cut = sg_xmalloc((size_t)(depth + 1) * sizeof *out[nout].cut);
            memcpy(out[nout].cut, cut, (size_t)(depth + 1) * sizeof *cut);
            nout++;
            continue;
        }
        depth++;
        next[depth] = end + 1;
    }
    free(cut);
    free(next);
    free(part);
    free(ways);
    return nout;
}

/* ---- messages ------------------------------------------------------------- */

static const char *shape_str(C *c, sg_shape s)
{
    return sg_shape_str(c->ctx, s, 0);
}

/* a dimension as written: "n" or "3" */
static const char *dim_str(C *c, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(c->ctx, d);
    if (di->name)
        return di->name;
    return sg_arena_printf(sg_ctx_arena(c->ctx), "%ld", di->value);
}

/* the source text of a span, for messages; elided when long */
static const char *text_of(C *c, sg_span sp)
{
    size_t n = sp.end > sp.begin ? sp.end - sp.begin : 0;
    if (n > 24)
        return sg_arena_printf(sg_ctx_arena(c->ctx), "%.*s…", 20, c->src->text + sp.begin);
    return sg_arena_strndup(sg_ctx_arena(c->ctx), c->src->text + sp.begin, n);
}

static void error(C *c, sg_span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void error(C *c, sg_span at, const char *fmt, ...)
{
    va_list ap;
    sg_buf b;
    if (c->as_written) /* checked once already: the same text, the same errors */
        return;
    sg_buf_init(&b);
    va_start(ap, fmt);
    sg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    sg_src_error(c->src, at, "%s", sg_buf_str(&b));
    sg_buf_free(&b);
}

/* ---- shapes --------------------------------------------------------------- */

static sg_shape shape_of(const val *v)
{
    return v->e->shape;
}

static int is_scalar(const val *v)
{
    return sg_shape_is_scalar(v->e->shape);
}

static want want_of(sg_shape s)
{
    want w;
    w.r = s.rows;
    w.c = s.cols;
    return w;
}

static want want_t(want w)
{
    want t;
    t.r = w.c;
    t.c = w.r;
    return t;
}

/* I sized by the context */
static val make_eye(C *c, want w, sg_span at)
{
    sg_dim n = w.r >= 0 ? w.r : w.c;
    if (n < 0)
        return poly(at, 0);
    if (w.r >= 0 && w.c >= 0 && w.r != w.c) {
        sg_shape s = sg_shape_make(w.r, w.c);
        error(c, at, "I is square, but here it would have to be %s", shape_str(c, s));
        return err();
    }
    return ok(sg_eye(c->ctx, n));
}

/* 𝟙 sized by the context: a column unless the context says otherwise */
static val make_ones(C *c, want w, sg_span at)
{
    if (w.r < 0)
        return poly(at, 1);
    return ok(sg_ones(c->ctx, sg_shape_make(w.r, w.c >= 0 ? w.c : SG_DIM_ONE)));
}

/* ---- expressions ---------------------------------------------------------- */

static val check(C *c, const sg_ast *a, want w);
static val check_index(C *c, const sg_ast *a);
static val check_sumover(C *c, const sg_ast *a, want w);

/* can a value of shape sa multiply one of shape sb (a scalar scales)? */
static int product_fits(sg_shape sa, sg_shape sb)
{
    return sg_shape_is_scalar(sa) || sg_shape_is_scalar(sb) || sa.cols == sb.rows;
}

/* the shape of a product that fits */
static sg_shape product_shape(sg_shape sa, sg_shape sb)
{
    if (sg_shape_is_scalar(sa))
        return sb;
    if (sg_shape_is_scalar(sb))
        return sa;
    return sg_shape_make(sa.rows, sb.cols);
}

/* why ta (sa) cannot multiply tb (sb); at is the whole product */
static void product_error(C *c, sg_span at, sg_shape sa, sg_shape sb, const char *ta,
                          const char *tb)
{
    if (sa.cols == SG_DIM_ONE && sb.cols == SG_DIM_ONE)
        error(c, at,
              "cannot multiply two column vectors, %s (%s) and %s (%s): write %sᵀ%s for "
              "their inner product or %s ⊙ %s for the elementwise product",
              ta, shape_str(c, sa), tb, shape_str(c, sb), ta, tb, ta, tb);
    else
        error(c, at, "cannot multiply %s (%s) by %s (%s): inner dimensions %s and %s differ", ta,
              shape_str(c, sa), tb, shape_str(c, sb), dim_str(c, sa.cols), dim_str(c, sb.rows));
}

/* a · b for checked operands; span is the whole product, for errors */
static val mul_vals(C *c, val a, val b, sg_span at, const char *ta, const char *tb)
{
    if (a.st != OK || b.st != OK)
        return a.st == ERR || b.st == ERR ? err() : (a.st == POLY ? a : b);
    if (product_fits(shape_of(&a), shape_of(&b)))
        return ok(sg_mul(c->ctx, a.e, b.e));
    product_error(c, at, shape_of(&a), shape_of(&b), ta, tb);
    return err();
}

/* the wanted shape of one factor of a product, given the shape of the other */
static want want_beside(sg_shape other, int other_is_left, want w)
{
    want f = ANY;
    if (sg_shape_is_scalar(other))
        return w; /* scaling */
    if (other_is_left) {
        f.r = other.cols;
        f.c = w.c;
    } else {
        f.r = w.r;
        f.c = other.rows;
    }
    return f;
}

/* the same, given the other factor's value (ANY when it has none) */
static want factor_want(const val *other, int other_is_left, want w)
{
    if (other->st != OK)
        return ANY;
    return want_beside(other->e->shape, other_is_left, w);
}

/* product: juxtaposition, *, · */
static val check_product(C *c, const sg_ast *a, want w)
{
    val va = check(c, a->a, ANY), vb = check(c, a->b, ANY);
    if (va.st == ERR || vb.st == ERR)
        return err();
    if (va.st == POLY && vb.st == POLY) {
        want wa = {w.r, -1};
        va = check(c, a->a, wa);
        if (va.st == OK)
            vb = check(c, a->b, factor_want(&va, 1, w));
    } else if (va.st == POLY) {
        va = check(c, a->a, factor_want(&vb, 0, w));
    } else if (vb.st == POLY) {
        vb = check(c, a->b, factor_want(&va, 1, w));
    }
    return mul_vals(c, va, vb, a->span, text_of(c, a->a->span), text_of(c, a->b->span));
}

static const char *binop_name(sg_ast_kind k)
{
    switch (k) {
    case SG_AST_ADD: return "add";
    case SG_AST_SUB: return "subtract";
    case SG_AST_HADAMARD: return "multiply elementwise (⊙)";
    default: return "divide elementwise (⊘)";
    }
}

/* + − ⊙ ⊘ take equal shapes, or a scalar on either side, broadcast */
static int elementwise_fits(sg_shape sa, sg_shape sb)
{
    return sg_shape_is_scalar(sa) || sg_shape_is_scalar(sb) || sg_shape_eq(sa, sb);
}

/* why the operands of `a` (a + − ⊙ ⊘ node) do not fit */
static void elementwise_error(C *c, const sg_ast *a, sg_shape sa, sg_shape sb)
{
    error(c, a->span, "cannot %s %s (%s) and %s (%s): the shapes differ", binop_name(a->kind),
          text_of(c, a->a->span), shape_str(c, sa), text_of(c, a->b->span), shape_str(c, sb));
}

/* a + b, a − b, a ⊙ b, a ⊘ b (op the AST kind) for operands that fit */
static sg_expr *elementwise(sg_ctx *x, sg_ast_kind op, sg_expr *a, sg_expr *b)
{
    int sa = sg_shape_is_scalar(a->shape), sb = sg_shape_is_scalar(b->shape);
    if (sa && !sb) {
        switch (op) {
        case SG_AST_ADD: return sg_add(x, sg_fill(x, a, b->shape), b);
        case SG_AST_SUB: return sg_sub(x, sg_fill(x, a, b->shape), b);
        case SG_AST_HADAMARD: return sg_mul(x, a, b);
        default: return sg_hdiv(x, sg_fill(x, a, b->shape), b);
        }
    }
    if (sb && !sa) {
        switch (op) {
        case SG_AST_ADD: return sg_add(x, a, sg_fill(x, b, a->shape));
        case SG_AST_SUB: return sg_sub(x, a, sg_fill(x, b, a->shape));
        case SG_AST_HADAMARD: return sg_mul(x, b, a);
        default: return sg_div(x, a, b);
        }
    }
    switch (op) {
    case SG_AST_ADD: return sg_add(x, a, b);
    case SG_AST_SUB: return sg_sub(x, a, b);
    case SG_AST_HADAMARD: return sa ? sg_mul(x, a, b) : sg_hadamard(x, a, b);
    default: return sa ? sg_div(x, a, b) : sg_hdiv(x, a, b);
    }
}

/* + − ⊙ ⊘: equal shapes, or a scalar on either side broadcast */
static val check_elementwise(C *c, const sg_ast *a, want w)
{
    val va = check(c, a->a, w), vb = check(c, a->b, w);
    if (va.st == ERR || vb.st == ERR)
        return err();
    if (va.st == POLY && vb.st == OK && !is_scalar(&vb))
        va = check(c, a->a, want_of(vb.e->shape));
    else if (vb.st == POLY && va.st == OK && !is_scalar(&va))
        vb = check(c, a->b, want_of(va.e->shape));
    if (va.st != OK || vb.st != OK)
        return va.st == ERR || vb.st == ERR ? err() : (va.st == POLY ? va : vb);
    if (!elementwise_fits(va.e->shape, vb.e->shape)) {
        elementwise_error(c, a, va.e->shape, vb.e->shape);
        return err();
    }
    return ok(elementwise(c->ctx, a->kind, va.e, vb.e));
}

/* ---- flat chains ------------------------------------------------------------ */

/*
 * A chain of more than CHAIN_FLAT operands written flat (a + b − c …, a b c …,
 * a ⊙ b ⊙ …: see sg_ast_chain) is checked in a loop rather than through
 * check()'s recursion into its left operand, and its value is built as a
 * balanced tree of runs of CHAIN_FLAT operands. Built left to right, as a
 * shorter chain is, the DAG would be as deep as the chain is long, and the
 * passes after us recurse over the DAG.
 *
 * The loop follows check_elementwise() and check_product() step by step:
 * the same operands checked with the same wants, the same messages at the
 * same places. Instead of a value it carries the shape of each prefix and
 * the list of operand values the prefix is made of (links in a scratch
 * arena), because a prefix may be checked again with another want (an I or
 * 𝟙 sized by the operand after it): the list says which values the final
 * value is made of.
 */
#define CHAIN_FLAT 64

typedef struct link link;
struct link {
    const link *prev; /* the operands before this one; NULL for the first */
    sg_expr *e;       /* this operand's value */
};

/* a prefix of a chain, as check() would answer for it */
typedef struct {
    int st;
    sg_shape shape;   /* OK */
    const link *used; /* OK: its last operand */
    sg_span poly;     /* POLY, as in val */
    int poly_ones;
} pre;

typedef struct {
    const sg_ast **term; /* term[0] the first operand, term[i] = node[i]->b */
    const sg_ast **node; /* node[i] (i ≥ 1): the operator before term[i];
                            node[i]->a is the prefix up to term[i − 1] */
    int n;               /* operands */
    pre *any;            /* products: prefix k checked with ANY (k < nany) */
    int nany;
    sg_arena *scratch;
} chain_t;

static pre pre_ok(chain_t *ch, const link *prev, sg_expr *e, sg_shape shape)
{
    link *l = sg_arena_alloc(ch->scratch, sizeof *l);
    pre p;
    memset(&p, 0, sizeof p);
    l->prev = prev;
    l->e = e;
    p.st = OK;
    p.shape = shape;
    p.used = l;
    return p;
}

/* a POLY or ERR value as a prefix */
static pre pre_not(val v)
{
    pre p;
    memset(&p, 0, sizeof p);
    p.st = v.st;
    p.poly = v.poly;
    p.poly_ones = v.poly_ones;
    return p;
}

static pre pre_err(void)
{
    return pre_not(err());
}

/* the first operand checked with w */
static pre first_operand(C *c, chain_t *ch, want w)
{
    val v = check(c, ch->term[0], w);
    return v.st == OK ? pre_ok(ch, NULL, v.e, v.e->shape) : pre_not(v);
}

/* one more level of recursion between prefixes; 0 (reported) past the limit */
static int deeper(C *c, sg_span at)
{
    if (c->depth < MAX_CHECK_DEPTH) {
        c->depth++;
        return 1;
    }
    if (!c->depth_reported)
        error(c, at, "expression too deep to check (more than %d levels)", MAX_CHECK_DEPTH);
    c->depth_reported = 1;
    return 0;
}

static int same_want(want a, want b)
{
    return a.r == b.r && a.c == b.c;
}

/*
 * Prefix 0..k of a + − or ⊙ chain checked with w, as check_elementwise().
 * A prefix that is still POLY (I, 𝟙 of no known size) when an operand of a
 * known shape comes is checked again wanting that shape; not again with a
 * want it was checked with already (w itself, or one that left it POLY
 * before), which gives the same answer: each of those checks once looped
 * over the operands checking again, 2ⁿ checks for `W II x + x + … + x`.
 */
static pre sum_prefix(C *c, chain_t *ch, int k, want w)
{
    pre acc = first_operand(c, ch, w);
    want tried = w;
    int i;
    for (i = 1; i <= k; i++) {
        val vb = check(c, ch->term[i], w);
        if (acc.st == ERR || vb.st == ERR) {
            acc = pre_err();
            continue;
        }
        if (acc.st == POLY && vb.st == OK && !is_scalar(&vb) &&
            !same_want(want_of(vb.e->shape), tried)) {
            if (!deeper(c, ch->node[i]->span)) {
                acc = pre_err();
                continue;
            }
            tried = want_of(vb.e->shape);
            acc = sum_prefix(c, ch, i - 1, tried);
            c->depth--;
        } else if (vb.st == POLY && acc.st == OK && !sg_shape_is_scalar(acc.shape)) {
            vb = check(c, ch->term[i], want_of(acc.shape));
        }
        if (acc.st != OK || vb.st != OK) {
            if (acc.st == ERR || vb.st == ERR)
                acc = pre_err();
            else if (acc.st == OK)
                acc = pre_not(vb);
            continue;
        }
        if (!elementwise_fits(acc.shape, vb.e->shape)) {
            elementwise_error(c, ch->node[i], acc.shape, vb.e->shape);
            acc = pre_err();
            continue;
        }
        acc = pre_ok(ch, acc.used, vb.e,
                     sg_shape_is_scalar(acc.shape) ? vb.e->shape : acc.shape);
    }
    return acc;
}

static pre prod_prefix(C *c, chain_t *ch, int k, want w);

/* prefix k of a product checked again, with another want */
static pre prod_again(C *c, chain_t *ch, int k, want w)
{
    pre p;
    if (!deeper(c, ch->node[k + 1]->span))
        return pre_err();
    p = prod_prefix(c, ch, k, w);
    c->depth--;
    return p;
}

/* prefix 0..k of a product chain checked with w, as check_product(); the
   prefixes checked with ANY are remembered (ch->any), as check()'s memo would */
static pre prod_prefix(C *c, chain_t *ch, int k, want w)
{
    pre va;
    val vb;
    if (k == 0)
        return first_operand(c, ch, w);
    if (w.r < 0 && w.c < 0 && k < ch->nany)
        return ch->any[k];
    va = prod_prefix(c, ch, k - 1, ANY);
    vb = check(c, ch->term[k], ANY);
    if (va.st == ERR || vb.st == ERR)
        return pre_err();
    if (va.st == POLY && vb.st == POLY) {
        want wa = {w.r, -1};
        va = prod_again(c, ch, k - 1, wa);
        if (va.st == OK)
            vb = check(c, ch->term[k], want_beside(va.shape, 1, w));
    } else if (va.st == POLY) {
        va = prod_again(c, ch, k - 1, want_beside(vb.e->shape, 0, w));
    } else if (vb.st == POLY) {
        vb = check(c, ch->term[k], want_beside(va.shape, 1, w));
    }
    if (va.st != OK || vb.st != OK)
        return va.st == ERR || vb.st == ERR ? pre_err() : va.st == POLY ? va : pre_not(vb);
    if (!product_fits(va.shape, vb.e->shape)) {
        product_error(c, ch->node[k]->span, va.shape, vb.e->shape,
                      text_of(c, ch->node[k]->a->span), text_of(c, ch->term[k]->span));
        return pre_err();
    }
    return pre_ok(ch, va.used, vb.e, product_shape(va.shape, vb.e->shape));
}

/* run r of the operands (CHAIN_FLAT of them), left to right as a short
   chain is built; a run after the first starts with its operand's sign */
static sg_expr *chain_run(C *c, const chain_t *ch, sg_expr **e, int r, int product)
{
    int lo = r * CHAIN_FLAT, hi = lo + CHAIN_FLAT < ch->n ? lo + CHAIN_FLAT : ch->n, i;
    sg_expr *acc = e[lo];
    if (lo > 0 && ch->node[lo]->kind == SG_AST_SUB)
        acc = sg_neg(c->ctx, acc);
    for (i = lo + 1; i < hi; i++)
        acc = product ? sg_mul(c->ctx, acc, e[i]) : elementwise(c->ctx, ch->node[i]->kind, acc, e[i]);
    return acc;
}

/* runs lo..hi as a balanced tree: depth log₂ of their number */
static sg_expr *chain_runs(C *c, const chain_t *ch, sg_expr **e, int lo, int hi, int product)
{
    int mid = lo + (hi - lo) / 2;
    sg_expr *l, *r;
    if (lo == hi)
        return chain_run(c, ch, e, lo, product);
    l = chain_runs(c, ch, e, lo, mid, product);
    r = chain_runs(c, ch, e, mid + 1, hi, product);
    if (product)
        return sg_mul(c->ctx, l, r);
    return elementwise(c->ctx, ch->node[1]->kind == SG_AST_HADAMARD ? SG_AST_HADAMARD : SG_AST_ADD,
                       l, r);
}

/* the number of operands of the chain topped by a, counted up to max + 1 */
static int chain_length(const sg_ast *a, int max)
{
    int chain = sg_ast_chain(a->kind), n = 1;
    for (; a && sg_ast_chain(a->kind) == chain && n <= max; a = a->a)
        n++;
    return n;
}

/* a chain of more than CHAIN_FLAT operands (see above) */
static val check_chain(C *c, const sg_ast *a, want w)
{
    int chain = sg_ast_chain(a->kind), n = chain_length(a, INT_MAX), i, k;
    int product = chain == sg_ast_chain(SG_AST_MUL);
    const sg_ast *e;
    sg_expr **ops;
    const link *l;
    chain_t ch;
    pre p;
    val v;

    ch.n = n;
    ch.term = sg_xmalloc((size_t)n * sizeof *ch.term);
    ch.node = sg_xmalloc((size_t)n * sizeof *ch.node);
    ch.any = NULL;
    ch.nany = 0;
    ch.scratch = sg_arena_new();
    for (e = a, i = n - 1; i > 0; e = e->a, i--) {
        ch.node[i] = e;
        ch.term[i] = e->b;
    }
    ch.node[0] = NULL;
    ch.term[0] = e;
    if (product) {
        ch.any = sg_xmalloc((size_t)n * sizeof *ch.any);
        for (k = 0; k < n - 1; k++) {
            ch.any[k] = prod_prefix(c, &ch, k, ANY);
            ch.nany = k + 1;
        }
        p = prod_prefix(c, &ch, n - 1, w);
    } else {
        p = sum_prefix(c, &ch, n - 1, w);
    }
    if (p.st == OK) {
        ops = sg_xmalloc((size_t)n * sizeof *ops);
        for (l = p.used, i = n; l; l = l->prev)
            ops[--i] = l->e;
        v = ok(chain_runs(c, &ch, ops, 0, (n - 1) / CHAIN_FLAT, product));
        free(ops);
    } else {
        v.st = p.st;
        v.e = NULL;
        v.poly = p.poly;
        v.poly_ones = p.poly_ones;
    }
    free(ch.term);
    free(ch.node);
    free(ch.any);
    sg_arena_free(ch.scratch);
    return v;
}

/* a value that must have a known size: reports a POLY as an error */
static val need_size(C *c, val v)
{
    if (v.st == POLY) {
        if (v.poly_ones)
            error(c, v.poly, "cannot tell the size of 𝟙 here: write ones(n)");
        else
            error(c, v.poly, "cannot tell the size of I here: write I(n)");
        return err();
    }
    return v;
}

static val need_scalar(C *c, const sg_ast *a, val v, const char *what)
{
    v = need_size(c, v);
    if (v.st == OK && !is_scalar(&v)) {
        error(c, a->span, "%s must be a scalar, but %s is %s", what, text_of(c, a->span),
              shape_str(c, v.e->shape));
        return err();
    }
    return v;
}

/* a constant exponent, for messages and the ‖e‖² rule */
static int is_num(const sg_ast *a, double v)
{
    return a && a->kind == SG_AST_NUM && a->num == v;
}

/* xᵀ, x², x^p, x⁻¹ applied to a checked operand */
static val apply_postfix(C *c, const sg_ast *post, val v)
{
    sg_ctx *x = c->ctx;
    if (v.st != OK)
        return v.st == POLY && post->kind == SG_AST_TRANSPOSE ? v : need_size(c, v);
    switch (post->kind) {
    case SG_AST_TRANSPOSE:
        return ok(sg_transpose(x, v.e));
    case SG_AST_INVERSE:
        if (is_scalar(&v))
            return ok(sg_pow(x, v.e, sg_const(x, -1)));
        if (v.e->shape.rows != v.e->shape.cols) {
            error(c, post->span, "only a square matrix has an inverse, but %s is %s",
                  text_of(c, post->a->span), shape_str(c, v.e->shape));
            return err();
        }
        return ok(sg_unary(x, SG_OP_INV, v.e));
    case SG_AST_POW:
    case SG_AST_EPOW: {
        val p = need_scalar(c, post->b, check(c, post->b, ANY), "an exponent");
        if (p.st != OK)
            return p;
        if (post->kind == SG_AST_POW && !is_scalar(&v)) {
            if (post->a->kind == SG_AST_NORM && is_num(post->b, 2))
                return v; /* handled by the caller */
            error(c, post->span,
                  "%s is %s, not a scalar: write %s.^%s for the elementwise power, or a product",
                  text_of(c, post->a->span), shape_str(c, v.e->shape), text_of(c, post->a->span),
                  text_of(c, post->b->span));
            return err();
        }
        return ok(sg_pow(x, v.e, p.e));
    }
    default:
        return v;
    }
}

/* the error for a name with several readings: all of them, as they read */
static val ambiguous(C *c, const sg_ast *a, const split_t *sp, int n)
{
    sg_buf b;
    int r, p, more = n > MAX_READINGS;
    sg_buf_init(&b);
    if (more)
        n = MAX_READINGS;
    for (r = 0; r < n; r++) {
        sg_buf_puts(&b, r ? (r == n - 1 && !more ? " or " : ", ") : "");
        for (p = 0; p < sp[r].n; p++) {
            if (p)
                sg_buf_putc(&b, ' ');
            sg_buf_putn(&b, a->name + sp[r].cut[p], sp[r].cut[p + 1] - sp[r].cut[p]);
        }
    }
    if (more)
        sg_buf_puts(&b, ", and in more ways");
    error(c, a->name_span, "ambiguous name '%s': it reads as %s; separate the factors with spaces",
          a->name, sg_buf_str(&b));
    sg_buf_free(&b);
    return err();
}

static val check_name(C *c, const sg_ast *a, want w, const sg_ast *post);

/* the product a name reads as, left to right; the postfix binds to the last part */
static val product_of_parts(C *c, const sg_ast *a, want w, const sg_ast *post, const split_t *sp)
{
    val acc = err();
    int i;
    for (i = 0; i < sp->n; i++) {
        char part[SG_LEX_MAX_NAME + 1];
        size_t len = sp->cut[i + 1] - sp->cut[i];
        int last = i == sp->n - 1;
        sg_ast leaf = *a;
        val v;
        want pw = ANY;
        memcpy(part, a->name + sp->cut[i], len);
        part[len] = '\0';
        leaf.kind = SG_AST_NAME;
        leaf.name = part;
        if (!strcmp(part, "I")) {
            /* I takes its size from its neighbours */
            if (i > 0 && acc.st == OK && !is_scalar(&acc))
                pw.r = pw.c = acc.e->shape.cols;
            else if (last)
                pw = w;
        }
        v = check_name(c, &leaf, pw, NULL);
        if (last && post)
            v = apply_postfix(c, post, v);
        if (i == 0) {
            acc = v;
            continue;
        }
        acc = mul_vals(c, acc, v, a->span,
                       sg_arena_strndup(sg_ctx_arena(c->ctx), a->name, sp->cut[i]),
                       sg_arena_strdup(sg_ctx_arena(c->ctx), part));
        if (acc.st == ERR)
            return acc;
    }
    return acc;
}

/*
 * A name, possibly with a postfix operator `post` written after it. A name
 * that is not known is tried as a juxtaposed product of known names.
 */
static val check_name(C *c, const sg_ast *a, want w, const sg_ast *post)
{
    int idx, n;
    split_t sp[MAX_READINGS + 1];
    name_kind k = lookup(c, a->name, &idx);
    val acc;
    switch (k) {
    case N_SYM:
        acc = ok(sg_var(c->ctx, idx));
        return post ? apply_postfix(c, post, acc) : acc;
    case N_DEF:
        SG_GROW(c->uses, c->nuses, c->capuses, SG_GROW_MAX, "uses of definitions");
        c->uses[c->nuses++] = idx;
        if (!c->defs[idx].expr)
            return err();
        acc = ok(c->as_written && c->defs[idx].written ? c->defs[idx].written : c->defs[idx].expr);
        return post ? apply_postfix(c, post, acc) : acc;
    case N_DIM:
        acc = ok(sg_dimval(c->ctx, idx));
        return post ? apply_postfix(c, post, acc) : acc;
    case N_SEQ:
        if (idx < c->capseqbad && c->seqbad[idx])
            return err();
        error(c, a->span, "%s is a sequence: write %s[t] for its step t, or a fixed step like %s[%s]",
              a->name, a->name, a->name, sg_index_str(c->ctx, sg_seq_of(c->ctx, idx)->hi, 0));
        return err();
    case N_FUNC:
        if (!strcmp(a->name, "ones")) {
            acc = make_ones(c, w, a->span);
            return post ? apply_postfix(c, post, acc) : acc;
        }
        error(c, a->span, "%s is a function: write %s(…)", a->name, a->name);
        return err();
    case N_NONE:
        break;
    }
    if (c->loop.var && !strcmp(a->name, c->loop.var)) {
        error(c, a->span, "%s is the index of the loop: it can only be used inside [ ] for now",
              a->name);
        return err();
    }
    if (!strcmp(a->name, "I")) {
        acc = make_eye(c, w, a->span);
        return post ? apply_postfix(c, post, acc) : acc;
    }
    n = split_name(c, a->name, sp);
    if (n == 0) {
        error(c, a->name_span, "undefined name '%s'", a->name);
        return err();
    }
    acc = n > 1 ? ambiguous(c, a, sp, n) : product_of_parts(c, a, w, post, &sp[0]);
    free_splits(sp, n);
    return acc;
}

/* is the call f(e) or f‖e‖ really the product of a value f and an atom? */
static int call_is_product(const C *c, const sg_ast *call)
{
    int idx;
    name_kind k = lookup(c, call->name, &idx);
    if (call->nargs != 1)
        return 0;
    if (k == N_SYM || k == N_DEF || k == N_DIM)
        return 1;
    return k == N_NONE && strcmp(call->name, "I") && split_name(c, call->name, NULL) > 0;
}

/* a number written as a dimension, I(3) or ones(2, 3): reported unless it is
   one (the range is tested before the cast, which is undefined outside it) */
static int dim_num_ok(C *c, const sg_ast *d)
{
    if (d->num < 1 || d->num != floor(d->num)) {
        error(c, d->span, "a dimension must be a positive integer");
        return 0;
    }
    if (d->num > (double)SG_MAX_DIM) {
        error(c, d->span, "a dimension must be at most %ld", SG_MAX_DIM);
        return 0;
    }
    return 1;
}

/* f(args), f|e|, f‖e‖ — or, when f is a value, a product */
static val check_call(C *c, const sg_ast *a, want w)
{
    int idx, i;
    name_kind k = lookup(c, a->name, &idx);
    const func_t *f;
    val v, args[2];
    sg_ctx *x = c->ctx;
    if (k == N_SEQ) {
        sg_ast name = *a;
        name.kind = SG_AST_NAME;
        name.span = a->name_span;
        return check_name(c, &name, w, NULL);
    }
    if (k == N_SYM || k == N_DEF || k == N_DIM || (k == N_NONE && strcmp(a->name, "I"))) {
        sg_ast name = *a;
        if (a->nargs != 1) {
            if (k == N_NONE)
                error(c, a->name_span, "unknown function '%s'", a->name);
            else
                error(c, a->name_span, "%s is not a function", a->name);
            return err();
        }
        if (k == N_NONE && !split_name(c, a->name, NULL)) {
            error(c, a->name_span, "unknown function '%s'", a->name);
            return err();
        }
        name.kind = SG_AST_NAME;
        name.span = a->name_span;
        v = check_name(c, &name, ANY, NULL);
        args[0] = check(c, a->args[0], ANY);
        if (args[0].st == POLY && v.st == OK)
            args[0] = check(c, a->args[0], factor_want(&v, 1, w));
        return mul_vals(c, v, args[0], a->span, text_of(c, a->name_span),
                        text_of(c, a->args[0]->span));
    }
    f = find_func(a->name);
    if (!strcmp(a->name, "I") || (f && f->op == SG_OP_EYE)) {
        const sg_ast *d = a->nargs == 1 ? a->args[0] : NULL;
        if (!d || !(d->kind == SG_AST_NUM || (d->kind == SG_AST_NAME &&
                                              lookup(c, d->name, &idx) == N_DIM))) {
            error(c, a->span, "%s(n) takes one dimension: a name or a positive integer",
                  a->name);
            return err();
        }
        if (d->kind == SG_AST_NUM) {
            if (!dim_num_ok(c, d))
                return err();
            return ok(sg_eye(x, sg_dim_const(x, (long)d->num)));
        }
        return ok(sg_eye(x, idx));
    }
    if (f->op == SG_OP_ONES) {
        sg_dim dd[2] = {SG_DIM_ONE, SG_DIM_ONE};
        if (a->nargs < 1 || a->nargs > 2) {
            error(c, a->span, "ones takes one or two dimensions: ones(n) or ones(m, n)");
            return err();
        }
        for (i = 0; i < a->nargs; i++) {
            const sg_ast *d = a->args[i];
            if (d->kind == SG_AST_NUM) {
                if (!dim_num_ok(c, d))
                    return err();
                dd[i] = sg_dim_const(x, (long)d->num);
            } else if (d->kind == SG_AST_NAME && lookup(c, d->name, &idx) == N_DIM)
                dd[i] = idx;
            else {
                error(c, d->span, "a dimension must be a name or a positive integer");
                return err();
            }
        }
        return ok(sg_ones(x, sg_shape_make(dd[0], dd[1])));
    }
    if (a->nargs != f->nargs) {
        error(c, a->span, "%s takes %d argument%s, not %d", a->name, f->nargs,
              f->nargs == 1 ? "" : "s", a->nargs);
        return err();
    }
    if (f->op == SG_OP_DOT) {
        args[0] = check(c, a->args[0], ANY);
        args[1] = check(c, a->args[1], ANY);
        if (args[0].st == POLY && args[1].st == OK)
            args[0] = check(c, a->args[0], want_of(args[1].e->shape));
        if (args[1].st == POLY && args[0].st == OK)
            args[1] = check(c, a->args[1], want_of(args[0].e->shape));
        args[0] = need_size(c, args[0]);
        args[1] = need_size(c, args[1]);
        if (args[0].st != OK || args[1].st != OK)
            return err();
        if (!sg_shape_eq(args[0].e->shape, args[1].e->shape)) {
            error(c, a->span, "the inner product needs equal shapes, not %s and %s",
                  shape_str(c, args[0].e->shape), shape_str(c, args[1].e->shape));
            return err();
        }
        return ok(sg_dot(x, args[0].e, args[1].e));
    }
    /* one argument; elementwise functions pass the wanted shape through */
    if (sg_op_is_elementwise_unary(f->op)) {
        v = check(c, a->args[0], w);
        if (v.st != OK)
            return v;
        /* log|K| and log(det K): the log-determinant, computed from a factor */
        if (f->op == SG_OP_LOG && v.e->op == SG_OP_DET)
            return ok(sg_unary(x, SG_OP_LOGDET, v.e->kid[0]));
        return ok(sg_unary(x, f->op, v.e));
    }
    v = need_size(c, check(c, a->args[0], ANY));
    if (v.st != OK)
        return v;
    switch (f->op) {
    case SG_OP_SUM: return ok(sg_sum(x, v.e));
    case SG_OP_NORM:
    case SG_OP_NORM1:
    case SG_OP_SOFTMAX:
    case SG_OP_LOGSOFTMAX:
    case SG_OP_LOGSUMEXP:
        return ok(sg_unary(x, f->op, v.e));
    default:
        break;
    }
    if (!strcmp(f->name, "mean")) {
        sg_expr *n = sg_mul(x, sg_dimval(x, v.e->shape.rows), sg_dimval(x, v.e->shape.cols));
        return ok(sg_div(x, sg_sum(x, v.e), n));
    }
    if (!strcmp(f->name, "diag")) {
        if (v.e->shape.cols == SG_DIM_ONE && v.e->shape.rows != SG_DIM_ONE)
            return ok(sg_diag(x, v.e));
        if (v.e->shape.rows == v.e->shape.cols && !is_scalar(&v))
            return ok(sg_diagv(x, v.e));
        error(c, a->span, "diag takes a vector or a square matrix, not %s",
              shape_str(c, v.e->shape));
        return err();
    }
    /* tr, det, logdet, inv: square matrices */
    if (v.e->shape.rows != v.e->shape.cols) {
        error(c, a->span, "%s needs a square matrix, but %s is %s", a->name,
              text_of(c, a->args[0]->span), shape_str(c, v.e->shape));
        return err();
    }
    if (f->op == SG_OP_TRACE)
        return ok(sg_trace(x, v.e));
    if (is_scalar(&v)) {
        if (f->op == SG_OP_INV)
            return ok(sg_pow(x, v.e, sg_const(x, -1)));
        if (f->op == SG_OP_DET)
            return v;
        return ok(sg_unary(x, SG_OP_LOG, sg_unary(x, SG_OP_ABS, v.e)));
    }
    return ok(sg_unary(x, f->op, v.e));
}

/* ---- sequences ------------------------------------------------------------- */

static int dim_of(C *c, const sg_ident *id, sg_dim *out);

/* a whole number as written: 0, 1, 12 (−1 through NEG) */
static int whole(const sg_ast *a, long *v)
{
    int neg = 0;
    if (a->kind == SG_AST_NEG) {
        a = a->a;
        neg = 1;
    }
    if (a->kind != SG_AST_NUM || a->num > 1e12 || a->num != (double)(long)a->num)
        return 0;
    *v = neg ? -(long)a->num : (long)a->num;
    return 1;
}

/* t, T or 3: 1 when read, 0 when an error was reported, −1 when it is not
   an index at all. A new dimension name is made one when intro is set */
static int index_base(C *c, const sg_ast *a, int intro, int *rel, sg_index *out)
{
    long v;
    int idx;
    name_kind k;
    *rel = 0;
    if (whole(a, &v)) {
        *out = sg_index_make(-1, v);
        return 1;
    }
    if (a->kind != SG_AST_NAME)
        return -1;
    if (c->loop.var && !strcmp(a->name, c->loop.var)) {
        *rel = 1;
        *out = sg_index_make(-1, 0);
        return 1;
    }
    k = lookup(c, a->name, &idx);
    if (k == N_DIM) {
        *out = sg_index_make(idx, 0);
        return 1;
    }
    if (k == N_NONE && intro) {
        sg_ident id;
        sg_dim d;
        id.name = a->name;
        id.value = 0;
        id.span = a->span;
        if (!dim_of(c, &id, &d))
            return 0;
        *out = sg_index_make(d, 0);
        return 1;
    }
    if (k == N_NONE && c->loop.var)
        error(c, a->span, "'%s' is not the index of the loop around it (%s)", a->name, c->loop.var);
    else if (k == N_NONE)
        error(c, a->span,
              "undefined index '%s': a sequence is indexed by the variable of a Σ or a step "
              "around it, or by a fixed step like h[T]",
              a->name);
    else
        error(c, a->span, "%s is %s, not an index", a->name,
              k == N_SYM   ? "a declared symbol"
              : k == N_DEF ? "a definition"
              : k == N_SEQ ? "a sequence"
                           : "a function");
    return 0;
}

/* an index as written: t, t − 1, t + 1, T, T − 1, 0; *rel when it is
   relative to the loop variable (then out->off is the offset). 0 when an
   error was reported */
static int parse_index(C *c, const sg_ast *a, int intro, int *rel, sg_index *out)
{
    long v;
    int r;
    if ((a->kind == SG_AST_ADD || a->kind == SG_AST_SUB) && whole(a->b, &v)) {
        r = index_base(c, a->a, intro, rel, out);
        if (r > 0)
            out->off += a->kind == SG_AST_ADD ? v : -v;
    } else if (a->kind == SG_AST_ADD && whole(a->a, &v)) {
        r = index_base(c, a->b, intro, rel, out);
        if (r > 0)
            out->off += v;
    } else {
        r = index_base(c, a, intro, rel, out);
    }
    if (r < 0) {
        error(c, a->span, "an index is written t, t − 1, t + 1, a dimension (T), T − 1 or a "
                          "whole number");
        return 0;
    }
    return r;
}

/* lo..hi as a range that runs forwards (or is empty) for every T */
static int range_ok(C *c, sg_index lo, sg_index hi, sg_span at)
{
    if (sg_index_provably_le(sg_index_plus(lo, -1), hi))
        return 1;
    error(c, at, "the range %s..%s may run backwards: its end must not be below its start "
                 "minus one, whatever the dimensions",
          sg_index_str(c->ctx, lo, 0), sg_index_str(c->ctx, hi, 0));
    return 0;
}

static int seq_bad(const C *c, int q)
{
    return q < c->capseqbad && c->seqbad[q];
}

static void set_seq_bad(C *c, int q)
{
    if (q >= c->capseqbad) {
        int old = c->capseqbad;
        SG_GROW(c->seqbad, q, c->capseqbad, SG_GROW_MAX, "sequences");
        memset(c->seqbad + old, 0, (size_t)(c->capseqbad - old));
    }
    c->seqbad[q] = 1;
}

/* h[t − 1], x[t], h[T], h[0] */
static val check_index(C *c, const sg_ast *a)
{
    int q, rel;
    sg_index idx, first, last;
    const sg_seq *sq;
    const char *var = c->loop.var ? c->loop.var : "t";
    name_kind k = lookup(c, a->name, &q);
    if (k != N_SEQ) {
        if (k == N_NONE)
            error(c, a->name_span, "undefined name '%s'", a->name);
        else
            error(c, a->name_span, "%s is not a sequence: only a sequence takes an index [ ]",
                  a->name);
        return err();
    }
    if (!parse_index(c, a->args[0], 0, &rel, &idx) || seq_bad(c, q))
        return err();
    sq = sg_seq_of(c->ctx, q);
    first = sg_seq_first(c->ctx, q);
    last = sq->hi;
    if (q == c->loop.self) {
        if (rel && idx.off == -1)
            return ok(sg_seq_step(c->ctx, q, -1));
        if (rel && idx.off >= 0)
            error(c, a->args[0]->span, "a step of %s may only use earlier steps (%s[%s−1])",
                  a->name, a->name, var);
        else
            error(c, a->args[0]->span, "a step of %s may only use the step just before it, %s[%s−1]",
                  a->name, a->name, var);
        return err();
    }
    if (!rel && sq->kind == SG_SEQ_FORWARD && sg_index_eq(idx, first))
        return ok(sq->init); /* h[0] is the initial value itself */
    if (sq->kind == SG_SEQ_FORWARD && !sq->body) {
        error(c, a->span, "%s is used before its step %s[t] = … is defined", a->name, a->name);
        return err();
    }
    if (rel ? !(sg_index_provably_le(first, sg_index_plus(c->loop.lo, idx.off)) &&
                sg_index_provably_le(sg_index_plus(c->loop.hi, idx.off), last))
            : !(sg_index_provably_le(first, idx) && sg_index_provably_le(idx, last))) {
        error(c, a->args[0]->span, "index out of range: %s is defined for %s = %s..%s", a->name,
              var, sg_index_str(c->ctx, first, 0), sg_index_str(c->ctx, last, 0));
        return err();
    }
    return ok(rel ? sg_seq_step(c->ctx, q, idx.off) : sg_seq_at(c->ctx, q, idx));
}

/* Σ_{t=lo}^{hi} body, sum(t = lo..hi, body) */
static val check_sumover(C *c, const sg_ast *a, want w)
{
    int rel, idx;
    sg_index lo, hi;
    val v;
    if (c->loop.var) {
        error(c, a->span, "a Σ inside a Σ or a step is not supported yet");
        return err();
    }
    if (lookup(c, a->name, &idx) != N_NONE || !strcmp(a->name, "I")) {
        error(c, a->name_span, "the index %s is already a name; choose another", a->name);
        return err();
    }
    if (!parse_index(c, a->args[0], 0, &rel, &lo) || !parse_index(c, a->args[1], 0, &rel, &hi))
        return err();
    /* a range that may be empty for some T (Σ_{t=2}^{T−1}) is fine, one that
       always runs backwards is a mistake */
    if (sg_index_provably_le(sg_index_plus(hi, 2), lo)) {
        error(c, a->args[1]->span, "the range %s..%s runs backwards", sg_index_str(c->ctx, lo, 0),
              sg_index_str(c->ctx, hi, 0));
        return err();
    }
    c->loop.var = a->name;
    c->loop.lo = lo;
    c->loop.hi = hi;
    c->loop.self = -1;
    v = need_size(c, check(c, a->a, w));
    c->loop.var = NULL;
    c->loop.self = -1;
    if (v.st != OK)
        return v;
    return ok(sg_seq_sum(c->ctx, v.e, lo, hi));
}

static val check_node(C *c, const sg_ast *a, want w)
{
    sg_ctx *x = c->ctx;
    val v;
    switch (a->kind) {
    case SG_AST_NUM:
        return ok(sg_const(x, a->num));
    case SG_AST_NAME:
        return check_name(c, a, w, NULL);
    case SG_AST_CALL:
        return check_call(c, a, w);
    case SG_AST_INDEX:
        return check_index(c, a);
    case SG_AST_SUMOVER:
        return check_sumover(c, a, w);
    case SG_AST_NEG:
        v = check(c, a->a, w);
        return v.st == OK ? ok(sg_neg(x, v.e)) : v;
    case SG_AST_POS:
        return check(c, a->a, w);
    case SG_AST_ADD:
    case SG_AST_SUB:
    case SG_AST_HADAMARD:
    case SG_AST_HDIV:
        if (sg_ast_chain(a->kind) && chain_length(a, 2) > 2)
            return check_chain(c, a, w);
        return check_elementwise(c, a, w);
    case SG_AST_MUL:
    case SG_AST_JUX:
        if (chain_length(a, 2) > 2)
            return check_chain(c, a, w);
        return check_product(c, a, w);
    case SG_AST_DIV: {
        val vb;
        v = check(c, a->a, w);
        vb = need_scalar(c, a->b, check(c, a->b, ANY), "a divisor");
        if (vb.st == OK && v.st == OK)
            return ok(sg_div(x, v.e, vb.e));
        if (vb.st == ERR || v.st == ERR)
            return err();
        return v;
    }
    case SG_AST_TRANSPOSE:
    case SG_AST_INVERSE:
    case SG_AST_POW:
    case SG_AST_EPOW: {
        want inner = a->kind == SG_AST_TRANSPOSE ? want_t(w) : w;
        if (a->kind == SG_AST_POW && a->a->kind == SG_AST_NORM && is_num(a->b, 2)) {
            /* ‖e‖² is ⟨e, e⟩ */
            v = need_size(c, check(c, a->a->a, ANY));
            return v.st == OK ? ok(sg_dot(x, v.e, v.e)) : v;
        }
        /* a postfix binds to the last part of a juxtaposed name (Wxᵀ is W xᵀ),
           but to the whole of a group: (Wx)ᵀ is (W x)ᵀ */
        if (a->a->kind == SG_AST_NAME && !a->a->grouped)
            return check_name(c, a->a, inner, a);
        if (a->a->kind == SG_AST_CALL && !a->a->grouped && call_is_product(c, a->a)) {
            /* α‖W‖², W(x)ᵀ: a value times an atom; the postfix binds to the atom */
            sg_ast name = *a->a, post = *a, jux = *a, atom = *a->a->args[0];
            name.kind = SG_AST_NAME;
            name.span = a->a->name_span;
            name.args = NULL;
            name.nargs = 0;
            atom.grouped = 1; /* written in the call's ( ): D(AB)ᵀ is D (A B)ᵀ */
            post.a = &atom;
            post.span = sg_span_join(post.a->span, a->span);
            jux.kind = SG_AST_JUX;
            jux.a = &name;
            jux.b = &post;
            return check(c, &jux, w);
        }
        return apply_postfix(c, a, check(c, a->a, inner));
    }
    case SG_AST_NORM:
    case SG_AST_NORM1:
        v = need_size(c, check(c, a->a, ANY));
        return v.st == OK ? ok(sg_unary(x, a->kind == SG_AST_NORM ? SG_OP_NORM : SG_OP_NORM1, v.e))
                          : v;
    case SG_AST_BARS:
        v = need_size(c, check(c, a->a, ANY));
        if (v.st != OK)
            return v;
        if (is_scalar(&v))
            return ok(sg_unary(x, SG_OP_ABS, v.e));
        if (v.e->shape.rows == v.e->shape.cols)
            return ok(sg_unary(x, SG_OP_DET, v.e));
        error(c, a->span, "|%s| of %s: write abs(%s) for the elementwise absolute value or ‖%s‖ "
              "for the norm (|A| is the determinant of a square matrix)",
              text_of(c, a->a->span), shape_str(c, v.e->shape), text_of(c, a->a->span),
              text_of(c, a->a->span));
        return err();
    case SG_AST_INNER: {
        sg_ast call = *a;
        sg_ast *args[2];
        args[0] = a->a;
        args[1] = a->b;
        call.kind = SG_AST_CALL;
        call.name = "dot";
        call.args = args;
        call.nargs = 2;
        return check_call(c, &call, w);
    }
    }
    return err();
}

/*
 * check() remembers its answer for each (subtree, wanted shape). A subtree
 * that answers POLY is checked again once its sibling tells the size, and
 * that second check checks its own POLY subtrees again: without the memo,
 * `𝟙 W W W …` takes 2ⁿ steps. A subtree is checked in one context only (its
 * statement, its loop), and its answer does not change, errors included:
 * the memo also keeps an error from being reported twice.
 */
struct memo {
    const sg_ast *a; /* NULL: an empty slot */
    want w;
    val v;
};

static unsigned memo_slot(const C *c, const sg_ast *a, want w)
{
    size_t h = (size_t)a / sizeof(void *);
    unsigned i = (unsigned)(h * 2654435761u) ^ (unsigned)(w.r * 31 + w.c) * 40503u;
    for (i &= c->capmemo - 1;; i = (i + 1) & (c->capmemo - 1)) {
        const struct memo *m = &c->memo[i];
        if (!m->a || (m->a == a && m->w.r == w.r && m->w.c == w.c))
            return i;
    }
}

static void memo_grow(C *c)
{
    struct memo *old = c->memo;
    unsigned n = c->capmemo, i;
    c->capmemo = n ? 2 * n : 256;
    c->memo = sg_xmalloc(c->capmemo * sizeof *c->memo);
    memset(c->memo, 0, c->capmemo * sizeof *c->memo);
    for (i = 0; i < n; i++)
        if (old[i].a)
            c->memo[memo_slot(c, old[i].a, old[i].w)] = old[i];
    free(old);
}

/*
 * Does a value of this shape take more bytes than a size_t counts? Only
 * constant dimensions can tell here (each at most SG_MAX_DIM, so the entries
 * fit 64 bits); the C printer checks the sizes with --dim values fixed.
 * Reported once, at `at`, for the value named `what` (NULL: as written there).
 */
static int size_overflows(C *c, sg_shape s, sg_span at, const char *what)
{
    const sg_diminfo *r = sg_diminfo_of(c->ctx, s.rows), *k = sg_diminfo_of(c->ctx, s.cols);
    unsigned long long n;
    if (r->name || k->name)
        return 0;
    n = (unsigned long long)r->value * (unsigned long long)k->value;
    if (n <= (unsigned long long)((size_t)-1 / sizeof(double)))
        return 0;
    if (!c->size_reported)
        error(c, at, "%s is %s: its size in bytes overflows a size_t",
              what ? what : text_of(c, at), shape_str(c, s));
    c->size_reported = 1;
    return 1;
}

/* has the DAG outgrown SG_MAX_NODES? Reported once, at `at` */
static int too_large(C *c, sg_span at)
{
    if (sg_expr_count(c->ctx) <= SG_MAX_NODES)
        return 0;
    if (!c->too_large)
        error(c, at, "the problem is too large: more than %u expression nodes", SG_MAX_NODES);
    c->too_large = 1;
    return 1;
}

static val check(C *c, const sg_ast *a, want w)
{
    val v;
    unsigned i;
    if (c->capmemo) {
        i = memo_slot(c, a, w);
        if (c->memo[i].a)
            return c->memo[i].v;
    }
    if (c->depth >= MAX_CHECK_DEPTH) {
        /* only a chain of factors that all wait for their size from the
           context (I I … I) gets here: real nesting is limited by the parser */
        if (!c->depth_reported)
            error(c, a->span, "expression too deep to check (more than %d levels)",
                  MAX_CHECK_DEPTH);
        c->depth_reported = 1;
        return err();
    }
    c->depth++;
    v = check_node(c, a, w);
    c->depth--;
    if (too_large(c, a->span))
        v = err();
    else if (v.st == OK && size_overflows(c, v.e->shape, a->span, NULL))
        v = err();
    if (2 * (c->nmemo + 1) > c->capmemo)
        memo_grow(c);
    i = memo_slot(c, a, w);
    c->memo[i].a = a;
    c->memo[i].w = w;
    c->memo[i].v = v;
    c->nmemo++;
    return v;
}

/* ---- statements ----------------------------------------------------------- */

/* a name the generated C can use as it is: an identifier, not a C keyword */
static int is_c_identifier(const char *s)
{
    return sg_cident_is(s) && !sg_cident_c99_keyword(s);
}

/* a name about to be declared or defined must be new */
static int fresh(C *c, const char *name, sg_span at, const char *what)
{
    int idx;
    unsigned line, col;
    name_kind k = lookup(c, name, &idx);
    if (k == N_SYM || k == N_DEF || k == N_SEQ) {
        sg_span prev = k == N_SYM   ? sg_sym(c->ctx, idx)->span
                       : k == N_DEF ? c->defs[idx].span
                                    : sg_seq_of(c->ctx, idx)->span;
        sg_src_linecol(c->src, prev.begin, &line, &col);
        error(c, at, "%s is already %s at line %u", name,
              k == N_SYM || (k == N_SEQ && sg_seq_of(c->ctx, idx)->kind == SG_SEQ_INPUT)
                  ? "declared"
                  : "defined",
              line);
        return 0;
    }
    if (k == N_DIM) {
        error(c, at, "%s is a dimension; it cannot also be %s", name, what);
        return 0;
    }
    if (!strcmp(name, "I") || !strcmp(name, "ones")) {
        error(c, at, "%s is the built-in %s; it cannot also be %s", name,
              !strcmp(name, "I") ? "identity matrix" : "all-ones 𝟙", what);
        return 0;
    }
    return 1;
}

static int dim_of(C *c, const sg_ident *id, sg_dim *out)
{
    int idx;
    name_kind k;
    if (!id->name) {
        if (id->value < 1) {
            error(c, id->span, "a dimension must be a positive integer or a name");
            return 0;
        }
        *out = sg_dim_const(c->ctx, id->value);
        return 1;
    }
    k = lookup(c, id->name, &idx);
    if (k == N_SYM || k == N_DEF || k == N_SEQ) {
        error(c, id->span, "%s is %s, not a dimension", id->name,
              k == N_SYM ? "a declared symbol" : k == N_DEF ? "a definition" : "a sequence");
        return 0;
    }
    if (!is_c_identifier(id->name)) {
        error(c, id->span, "'%s' cannot be a dimension name", id->name);
        return 0;
    }
    *out = sg_dim_named(c->ctx, id->name);
    return 1;
}

/* the range of `for t = lo..hi` after a sequence's index, which must be t;
   new dimension names become dimensions. 0 when an error was reported */
static int stmt_range(C *c, const sg_stmt *s, sg_index *lo, sg_index *hi)
{
    int rel, idx;
    const char *var = s->range_var.name;
    if (s->index->kind != SG_AST_NAME || strcmp(s->index->name, var)) {
        error(c, s->index->span, "the step is written %s[%s], with %s the variable of its range",
              s->target.name ? s->target.name : s->names[0].name, var, var);
        return 0;
    }
    if (lookup(c, var, &idx) != N_NONE || !strcmp(var, "I")) {
        error(c, s->range_var.span, "the index %s is already a name; choose another", var);
        return 0;
    }
    return parse_index(c, s->range_lo, 1, &rel, lo) && parse_index(c, s->range_hi, 1, &rel, hi) &&
           range_ok(c, *lo, *hi, s->range_hi->span);
}

/* x[t] ∈ ℝ^k for t = 1..T */
static void declare_seq(C *c, const sg_stmt *s, sg_shape shape, unsigned props)
{
    sg_index lo, hi;
    int i;
    if (!s->range_var.name) {
        error(c, s->index->span, "a sequence needs its range: write `for %s = 1..T` after the type",
              s->index->kind == SG_AST_NAME ? s->index->name : "t");
        return;
    }
    if (!stmt_range(c, s, &lo, &hi))
        return;
    for (i = 0; i < s->nnames; i++) {
        const sg_ident *n = &s->names[i];
        if (!fresh(c, n->name, n->span, "declared"))
            continue;
        if (!is_c_identifier(n->name)) {
            error(c, n->span, "'%s' cannot be used as a name in C; choose another", n->name);
            continue;
        }
        sg_seq_add_input(c->ctx, n->name, shape, props, lo, hi, n->span);
    }
}

static void declare(C *c, const sg_stmt *s)
{
    sg_dim d[2] = {SG_DIM_ONE, SG_DIM_ONE};
    sg_shape shape;
    unsigned props = SG_PROP_NONE;
    int i;
    for (i = 0; i < s->ndims; i++)
        if (!dim_of(c, &s->dims[i], &d[i]))
            return;
    switch (s->type) {
    case SG_TYPE_SCALAR: shape = sg_shape_make(SG_DIM_ONE, SG_DIM_ONE); break;
    case SG_TYPE_VECTOR: shape = sg_shape_make(d[0], SG_DIM_ONE); break;
    case SG_TYPE_MATRIX: shape = sg_shape_make(d[0], d[1]); break;
    case SG_TYPE_SYMMETRIC:
        shape = sg_shape_make(d[0], d[0]);
        props = SG_PROP_SYMMETRIC;
        break;
    case SG_TYPE_SPD:
        shape = sg_shape_make(d[0], d[0]);
        props = SG_PROP_SYMMETRIC | SG_PROP_SPD;
        break;
    default:
        shape = sg_shape_make(d[0], SG_DIM_ONE);
        props = SG_PROP_SIMPLEX;
        break;
    }
    if (s->index) {
        declare_seq(c, s, shape, props);
        return;
    }
    for (i = 0; i < s->nnames; i++) {
        const sg_ident *n = &s->names[i];
        if (!fresh(c, n->name, n->span, "declared"))
            continue;
        if (!is_c_identifier(n->name)) {
            error(c, n->span, "'%s' cannot be used as a name in C; choose another", n->name);
            continue;
        }
        size_overflows(c, shape, n->span, n->name); /* declared all the same: uses stay quiet */
        sg_sym_add(c->ctx, n->name, shape, props, n->span);
    }
}

static void add_def(C *c, const char *name, sg_expr *e, sg_span span, const sg_ast *ast,
                    int rw_first)
{
    name = sg_arena_strdup(sg_ctx_arena(c->ctx), name);
    SG_GROW(c->defs, c->ndefs, c->capdefs, SG_GROW_MAX, "definitions");
    c->defs[c->ndefs].name = name;
    c->defs[c->ndefs].expr = e;
    c->defs[c->ndefs].span = span;
    c->defs[c->ndefs].ast = ast;
    c->defs[c->ndefs].rw_first = rw_first;
    c->defs[c->ndefs].rw_end = sg_nrewrites(c->ctx);
    c->defs[c->ndefs].nuses = c->nuses;
    c->defs[c->ndefs].uses = NULL;
    c->defs[c->ndefs].written = NULL;
    c->defs[c->ndefs].derived_as_written = 0;
    if (c->nuses) {
        c->defs[c->ndefs].uses =
            sg_arena_alloc(sg_ctx_arena(c->ctx), (size_t)c->nuses * sizeof *c->uses);
        memcpy(c->defs[c->ndefs].uses, c->uses, (size_t)c->nuses * sizeof *c->uses);
    }
    c->nuses = 0;
    sg_strmap_put(&c->defnames, name, c->ndefs);
    c->ndefs++;
    /* the node prints under the user's name (a leaf keeps its own) */
    if (e && !e->name && e->op != SG_OP_VAR && e->op != SG_OP_CONST && e->op != SG_OP_DIMVAL)
        e->name = name;
}

/* h[0] = e: a recurrence starts */
static void define_init(C *c, const sg_stmt *s)
{
    const char *name = s->target.name;
    int rel, q;
    sg_index at;
    val v = err();
    if (!fresh(c, name, s->target.span, "defined"))
        return;
    if (!is_c_identifier(name)) {
        error(c, s->target.span, "'%s' cannot be used as a name in C; choose another", name);
        return;
    }
    if (!parse_index(c, s->index, 0, &rel, &at))
        return;
    if (s->expr)
        v = need_size(c, check(c, s->expr, ANY));
    q = sg_seq_add(c->ctx, name, SG_SEQ_FORWARD,
                   v.st == OK ? v.e->shape : sg_shape_make(SG_DIM_ONE, SG_DIM_ONE),
                   sg_index_plus(at, 1), sg_index_plus(at, 1), s->target.span);
    if (v.st == OK)
        sg_seq_mut(c->ctx, q)->init = v.e;
    else
        set_seq_bad(c, q);
}

/* h[t] = e for t = lo..hi: its step */
static void define_step(C *c, const sg_stmt *s)
{
    const char *name = s->target.name;
    int q = -1;
    unsigned line, col;
    sg_index lo, hi;
    const sg_seq *sq;
    val v;
    name_kind k = lookup(c, name, &q);
    if (!stmt_range(c, s, &lo, &hi))
        return;
    if (k != N_SEQ && k != N_NONE) {
        fresh(c, name, s->target.span, "defined");
        return;
    }
    if (k == N_NONE) {
        error(c, s->target.span, "%s has no initial value: write %s[%s] = …", name, name,
              sg_index_str(c->ctx, sg_index_plus(lo, -1), 0));
        if (is_c_identifier(name)) /* known from here on, so that its uses stay quiet */
            set_seq_bad(c, sg_seq_add(c->ctx, name, SG_SEQ_FORWARD,
                                      sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), lo, hi,
                                      s->target.span));
        return;
    }
    sq = sg_seq_of(c->ctx, q);
    sg_src_linecol(c->src, sq->span.begin, &line, &col);
    if (sq->kind == SG_SEQ_INPUT) {
        error(c, s->target.span, "%s is an input sequence (declared at line %u); it cannot be defined",
              name, line);
        return;
    }
    if (sq->body || (seq_bad(c, q) && sq->init)) {
        error(c, s->target.span, "%s already has its step", name);
        return;
    }
    if (!sg_index_eq(sg_index_plus(lo, -1), sg_index_plus(sq->lo, -1))) {
        error(c, s->range_lo->span,
              "the steps of %s start right after its initial value %s[%s]: write %s = %s..%s", name,
              name, sg_index_str(c->ctx, sg_index_plus(sq->lo, -1), 0), s->range_var.name,
              sg_index_str(c->ctx, sq->lo, 0), sg_index_str(c->ctx, hi, 0));
        return;
    }
    if (!s->expr || seq_bad(c, q)) {
        set_seq_bad(c, q);
        return;
    }
    sg_seq_mut(c->ctx, q)->hi = hi;
    c->loop.var = s->range_var.name;
    c->loop.lo = lo;
    c->loop.hi = hi;
    c->loop.self = q;
    v = need_size(c, check(c, s->expr, want_of(sq->shape)));
    c->loop.var = NULL;
    c->loop.self = -1;
    if (v.st == OK && !sg_shape_eq(v.e->shape, sq->shape)) {
        error(c, s->expr->span, "the step of %s is %s, but its initial value %s[%s] is %s", name,
              shape_str(c, v.e->shape), name, sg_index_str(c->ctx, sg_index_plus(sq->lo, -1), 0),
              shape_str(c, sq->shape));
        v = err();
    }
    if (v.st != OK) {
        set_seq_bad(c, q);
        return;
    }
    sg_seq_mut(c->ctx, q)->body = v.e;
}

static void define_seq(C *c, const sg_stmt *s)
{
    if (s->range_var.name)
        define_step(c, s);
    else
        define_init(c, s);
}

static void define(C *c, const sg_stmt *s)
{
    val v;
    int ok_name, rw_first = sg_nrewrites(c->ctx);
    if (s->index) {
        define_seq(c, s);
        return;
    }
    /* the grammar gives a range only to an indexed step (r = x for … is a syntax error) */
    ok_name = fresh(c, s->target.name, s->target.span, "defined");
    if (ok_name && !is_c_identifier(s->target.name)) {
        error(c, s->target.span, "'%s' cannot be used as a name in C; choose another",
              s->target.name);
        ok_name = 0;
    }
    if (!s->expr) { /* its parse failed: remember the name so uses stay quiet */
        if (ok_name)
            add_def(c, s->target.name, NULL, s->target.span, NULL, rw_first);
        return;
    }
    c->nuses = 0;
    v = need_size(c, check(c, s->expr, ANY));
    if (ok_name)
        add_def(c, s->target.name, v.st == OK ? v.e : NULL, s->target.span, s->expr, rw_first);
    c->nuses = 0;
}

static sg_result *add_result(C *c, sg_result_kind kind, const char *cname)
{
    sg_result *r;
    if (sg_strmap_get(&c->resnames, cname) >= 0)
        return NULL; /* asked twice: once is enough */
    cname = sg_arena_strdup(sg_ctx_arena(c->ctx), cname); /* the map keeps the key */
    sg_strmap_put(&c->resnames, cname, c->nres);
    SG_GROW(c->res, c->nres, c->capres, SG_GROW_MAX, "results asked for");
    r = &c->res[c->nres++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->cname = cname;
    return r;
}

/* the defined value a request names; NULL (reported) when there is none */
static sg_expr *requested(C *c, const sg_ident *id, int *failed)
{
    int idx;
    name_kind k = lookup(c, id->name, &idx);
    *failed = 0;
    if (k == N_DEF) {
        if (!c->defs[idx].expr)
            *failed = 1;
        return c->defs[idx].expr;
    }
    if (k == N_SYM) {
        unsigned line, col;
        sg_src_linecol(c->src, sg_sym(c->ctx, idx)->span.begin, &line, &col);
        error(c, id->span, "%s is an input (declared at line %u); only a definition can be requested",
              id->name, line);
    } else if (k == N_SEQ) {
        if (!seq_bad(c, idx))
            error(c, id->span,
                  "%s is a sequence; request one of its steps through a definition (%sT = %s[%s])",
                  id->name, id->name, id->name,
                  sg_index_str(c->ctx, sg_seq_of(c->ctx, idx)->hi, 0));
        *failed = 1;
    } else
        error(c, id->span, "undefined name '%s'", id->name);
    return NULL;
}

/* a scalar or a column vector: what Jacobians take and give */
static int is_vector_or_scalar(sg_shape s)
{
    return s.cols == SG_DIM_ONE;
}

/* the symbols a derivative is taken with respect to; 0 when one is wrong */
static int wrt_ok(C *c, const sg_stmt *s, int vectors_only)
{
    int i, idx, good = 1;
    for (i = 0; i < s->nnames; i++) {
        name_kind k = lookup(c, s->names[i].name, &idx);
        if (k == N_SYM) {
            sg_shape sh = sg_sym(c->ctx, idx)->shape;
            if (vectors_only && !is_vector_or_scalar(sh)) {
                error(c, s->names[i].span,
                      "%s is %s: a %s is taken with respect to a scalar or a vector",
                      s->names[i].name, shape_str(c, sh),
                      s->kind == SG_STMT_JACOBIAN ? "Jacobian" : "Hessian");
                good = 0;
            }
            continue;
        }
        if (k == N_SEQ && sg_seq_of(c->ctx, idx)->kind == SG_SEQ_INPUT)
            error(c, s->names[i].span,
                  "%s is a sequence: derivatives with respect to a sequence are not supported yet",
                  s->names[i].name);
        else if (k == N_DEF || k == N_SEQ)
            error(c, s->names[i].span,
                  "%s is a %s; derivatives are taken with respect to declared symbols",
                  s->names[i].name, k == N_DEF ? "definition" : "recurrence");
        else if (k == N_DIM)
            error(c, s->names[i].span, "%s is a dimension, not a symbol", s->names[i].name);
        else
            error(c, s->names[i].span, "undefined name '%s'", s->names[i].name);
        good = 0;
    }
    return good;
}

/*
 * grad, jacobian, hessian, output: check the names now, so that errors come
 * in source order; the derivatives are taken after every value is known.
 */
static void request(C *c, const sg_stmt *s, sg_stmt **reqs, int *nreqs)
{
    sg_expr *f;
    int failed, i;
    if (s->kind == SG_STMT_OUTPUT) {
        for (i = 0; i < s->nnames; i++) {
            sg_result *r;
            f = requested(c, &s->names[i], &failed);
            if (!f)
                continue;
            if ((r = add_result(c, SG_RES_VALUE, s->names[i].name))) {
                r->of = s->names[i].name;
                r->expr = f;
            }
        }
        return;
    }
    if (s->kind != SG_STMT_GRAD && s->kind != SG_STMT_JACOBIAN && s->kind != SG_STMT_HESSIAN)
        return;
    f = requested(c, &s->target, &failed);
    if (f && s->kind == SG_STMT_JACOBIAN && !is_vector_or_scalar(f->shape)) {
        error(c, s->target.span,
              "jacobian needs a scalar or a vector, but %s is %s", s->target.name,
              shape_str(c, f->shape));
        f = NULL;
    } else if (f && s->kind != SG_STMT_JACOBIAN && !sg_shape_is_scalar(f->shape)) {
        error(c, s->target.span, "%s needs a scalar, but %s is %s%s",
              s->kind == SG_STMT_GRAD ? "grad" : "hessian", s->target.name,
              shape_str(c, f->shape),
              is_vector_or_scalar(f->shape) ? ": use jacobian for a vector" : "");
        f = NULL;
    }
    if (s->kind == SG_STMT_HESSIAN && s->nnames > 2) {
        error(c, s->names[2].span,
              "a Hessian is taken with respect to one variable (d²L/dx²) or two (d²L/dxdy)");
        f = NULL;
    }
    if (!wrt_ok(c, s, s->kind != SG_STMT_GRAD) || !f)
        return;
    {
        sg_result *r = add_result(c, SG_RES_VALUE, s->target.name);
        if (r) {
            r->of = s->target.name;
            r->expr = f;
        }
    }
    reqs[(*nreqs)++] = (sg_stmt *)s;
}

static sg_expr *var_named(C *c, const char *name)
{
    return sg_var(c->ctx, sg_sym_find(c->ctx, name));
}

/* one derivative result */
static sg_result *add_derivative(C *c, sg_result_kind kind, const char *cname, const char *of,
                                 const char *wrt, const char *wrt2, sg_expr *e, sg_log *log)
{
    sg_result *r = add_result(c, kind, cname);
    if (!r)
        return NULL;
    r->of = of;
    r->wrt = wrt;
    r->wrt2 = wrt2;
    r->expr = e;
    r->log = log;
    return r;
}

/*
 * Every gradient of one function, from all its `grad` requests: one reverse
 * sweep gives ∂f/∂x for every x at once, so `grad L wrt W1` … `grad L wrt
 * W1000` on a thousand lines cost one sweep, not a thousand (each sweep
 * walks all of f). The requests keep their own order in the results.
 */
typedef struct {
    int n, cap;     /* the variables of every request of f, in order */
    sg_expr **wrt;
    sg_expr **out;  /* ∂f/∂wrt[i], once swept */
    sg_expr **wout; /* the same from f's written form, or NULL */
    sg_log *log;    /* the sweep's rules, shared by the requests */
} grad_sweep;

/* the sweeps of the grad requests, one per function; at[q] is where request
   q's variables start in its sweep */
static grad_sweep *plan_sweeps(C *c, sg_stmt **reqs, int nreqs, int *at, int *which)
{
    sg_strmap of;
    grad_sweep *sw = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *sw);
    int q, i, nsw = 0;
    sg_strmap_init(&of);
    for (q = 0; q < nreqs; q++) {
        const sg_stmt *s = reqs[q];
        grad_sweep *g;
        if (s->kind != SG_STMT_GRAD)
            continue;
        if ((which[q] = sg_strmap_get(&of, s->target.name)) < 0) {
            which[q] = nsw;
            sg_strmap_put(&of, s->target.name, nsw);
            memset(&sw[nsw++], 0, sizeof *sw);
        }
        g = &sw[which[q]];
        if (s->nnames > 0)
            SG_GROW(g->wrt, g->n + s->nnames - 1, g->cap, SG_GROW_MAX,
                    "variables of one gradient");
        at[q] = g->n;
        for (i = 0; i < s->nnames; i++)
            g->wrt[g->n++] = var_named(c, s->names[i].name);
    }
    sg_strmap_free(&of);
    return sw;
}

/* a rewrite of the σ family: log σ(x) = −softplus(−x) and its kin */
static int sigmoid_rewrite(sg_rewrite_kind k)
{
    return k == SG_RW_LOG_SIGMOID || k == SG_RW_LOG_1M_SIGMOID || k == SG_RW_SIGMOID_NEG ||
           k == SG_RW_LOGISTIC || k == SG_RW_SOFTPLUS_DIFF;
}

/*
 * The written forms: each definition that a rewrite of the σ family changed,
 * or that names one that has a written form, is built again from its text
 * with those rewrites off. The logistic loss −(y log p + (1 − y) log(1 − p))
 * with p = σ(z) is computed as softplus(z) − yz, whose derivation never
 * shows σ′ = p(1 − p); its written form keeps log p, so that the documents
 * derive what the user wrote (differentiate() below). Both forms are the
 * same function, so their gradients are equal (test_check checks it); only
 * the stable one is ever computed. Problems with sequences keep one form:
 * differentiating twice would give each recurrence two adjoint sequences.
 */
static void written_forms(C *c)
{
    int i, j, k;
    if (sg_nseqs(c->ctx) > 0)
        return;
    /* check()'s memo holds the stable forms: the written ones are new */
    if (c->capmemo)
        memset(c->memo, 0, c->capmemo * sizeof *c->memo);
    c->nmemo = 0;
    c->as_written = 1;
    sg_ctx_as_written(c->ctx, 1);
    for (i = 0; i < c->ndefs && !c->too_large; i++) {
        def_t *d = &c->defs[i];
        int need = 0;
        val v;
        if (!d->expr || !d->ast)
            continue;
        for (k = d->rw_first; k < d->rw_end && !need; k++)
            need = sigmoid_rewrite(sg_rewrite_at(c->ctx, k)->kind);
        for (j = 0; j < d->nuses && !need; j++)
            need = c->defs[d->uses[j]].written != NULL;
        if (!need)
            continue;
        c->nuses = 0;
        v = need_size(c, check(c, d->ast, ANY));
        c->nuses = 0;
        if (v.st != OK || v.e == d->expr || !sg_shape_eq(v.e->shape, d->expr->shape))
            continue;
        d->written = v.e;
        if (!v.e->name && v.e->op != SG_OP_VAR && v.e->op != SG_OP_CONST &&
            v.e->op != SG_OP_DIMVAL)
            v.e->name = d->name;
    }
    sg_ctx_as_written(c->ctx, 0);
    c->as_written = 0;
    if (c->too_large) { /* outgrown while quiet: report it now */
        c->too_large = 0;
        (void)too_large(c, c->defs[i < c->ndefs ? i : c->ndefs - 1].span);
    }
}

/* the written form of the definition a request names, or NULL */
static sg_expr *written_of(C *c, const char *name)
{
    int idx;
    return lookup(c, name, &idx) == N_DEF ? c->defs[idx].written : NULL;
}

/* the written forms some derivation differentiates: those reachable from
   the function of a log that differentiates a written form, found by one
   walk from all of them (each node once) */
static void mark_written_derived(C *c)
{
    sg_idmap seen;
    int i, any = 0;
    for (i = 0; i < c->ndefs && !any; i++)
        any = c->defs[i].written != NULL;
    if (!any)
        return;
    sg_idmap_init(&seen, c->ctx);
    for (i = 0; i < c->nres; i++)
        if (c->res[i].written && c->res[i].log && c->res[i].log->f)
            sg_idmap_add_reachable(&seen, c->res[i].log->f);
    for (i = 0; i < c->ndefs; i++)
        c->defs[i].derived_as_written =
            c->defs[i].written && sg_idmap_find(&seen, c->defs[i].written) != SG_IDMAP_NONE;
    sg_idmap_free(&seen);
}

/* the derivatives, after every value: INTERFACE.md orders results that way */
static void differentiate(C *c, sg_stmt **reqs, int nreqs)
{
    int q, i;
    sg_arena *ar = sg_ctx_arena(c->ctx);
    int *at = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *at);
    int *which = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *which);
    grad_sweep *sw = plan_sweeps(c, reqs, nreqs, at, which);
    int nsw = 0;
    for (q = 0; q < nreqs; q++)
        if (reqs[q]->kind == SG_STMT_GRAD && which[q] + 1 > nsw)
            nsw = which[q] + 1;
    for (q = 0; q < nreqs && !c->too_large; q++) {
        const sg_stmt *s = reqs[q];
        int failed, n = s->nnames;
        const char *of = s->target.name;
        sg_expr *f = requested(c, &s->target, &failed);
        sg_log *log;
        if (s->kind == SG_STMT_GRAD) {
            grad_sweep *g = &sw[which[q]];
            if (!g->log) { /* the first request of f sweeps for all of them */
                sg_expr *fw = written_of(c, of);
                g->log = sg_log_new(c->ctx);
                g->out = sg_arena_alloc(ar, (size_t)g->n * sizeof *g->out);
                sg_diff_grad(c->ctx, f, g->n, g->wrt, g->out, g->log);
                if (fw && !too_large(c, s->target.span)) {
                    /* the documents derive the function as written */
                    g->log = sg_log_new(c->ctx);
                    g->wout = sg_arena_alloc(ar, (size_t)g->n * sizeof *g->wout);
                    sg_diff_grad(c->ctx, fw, g->n, g->wrt, g->wout, g->log);
                }
            }
            if (too_large(c, s->target.span))
                goto done;
            for (i = 0; i < n; i++) {
                sg_result *r = add_derivative(c, SG_RES_GRAD,
                                              sg_arena_printf(ar, "d%s_d%s", of, s->names[i].name),
                                              of, s->names[i].name, NULL, g->out[at[q] + i], g->log);
                if (r && g->wout)
                    r->written = g->wout[at[q] + i];
            }
            continue;
        }
        log = sg_log_new(c->ctx);
        if (s->kind == SG_STMT_JACOBIAN) {
            for (i = 0; i < n; i++) {
                const char *why = NULL;
                sg_expr *j = sg_diff_jacobian(c->ctx, f, var_named(c, s->names[i].name), log, &why);
                if (too_large(c, s->names[i].span))
                    goto done;
                if (!j) {
                    error(c, s->names[i].span, "cannot take the Jacobian of %s with respect to %s: %s",
                          of, s->names[i].name, why ? why : "unsupported");
                    continue;
                }
                add_derivative(c, SG_RES_JACOBIAN,
                               sg_arena_printf(ar, "d%s_d%s", of, s->names[i].name), of,
                               s->names[i].name, NULL, j, log);
            }
        } else {
            /* the Hessian is the Jacobian of the gradient */
            const char *x = s->names[0].name, *y = n > 1 ? s->names[1].name : x;
            sg_expr *vx = var_named(c, x), *g, *h, *fw = written_of(c, of);
            const char *why = NULL;
            if (fw) {
                /* the documents derive the gradient as written; the
                   Hessian is the Jacobian of the stable one */
                sg_expr *gw;
                sg_diff_grad(c->ctx, fw, 1, &vx, &gw, log);
                sg_diff_grad(c->ctx, f, 1, &vx, &g, NULL);
            } else {
                sg_diff_grad(c->ctx, f, 1, &vx, &g, log);
            }
            h = too_large(c, s->target.span)
                    ? NULL
                    : sg_diff_jacobian(c->ctx, g, var_named(c, y), log, &why);
            if (too_large(c, s->target.span))
                goto done;
            if (!h) {
                error(c, s->target.span, "cannot take the Hessian of %s: %s", of,
                      why ? why : "unsupported");
                continue;
            }
            add_derivative(c, SG_RES_HESSIAN,
                           n > 1 ? sg_arena_printf(ar, "d2%s_d%sd%s", of, x, y)
                                 : sg_arena_printf(ar, "d2%s_d%s2", of, x),
                           of, x, n > 1 ? y : NULL, h, log);
        }
    }
done:
    for (i = 0; i < nsw; i++)
        free(sw[i].wrt);
    free(sw);
    free(at);
    free(which);
}

/* the work all the displayed forms of a problem may take together */
#define DISPLAY_BUDGET 30000000ul

/* the forms for reading, all at once (they share most of their DAG), within
   DISPLAY_BUDGET: past it, values are shown as they were built */
static void displays(sg_ctx *ctx, sg_problem *p)
{
    int n = p->nresults, i, k;
    sg_expr **e, **out;
    for (i = 0; i < sg_nseqs(ctx); i++)
        n += 1 + sg_seq_mut(ctx, i)->nterms;
    e = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *e);
    out = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    n = 0;
    for (i = 0; i < p->nresults; i++)
        e[n++] = p->results[i].expr;
    for (i = 0; i < sg_nseqs(ctx); i++) {
        sg_seq *q = sg_seq_mut(ctx, i);
        e[n++] = q->body;
        for (k = 0; k < q->nterms; k++)
            e[n++] = q->terms[k].value;
    }
    sg_simplify_all(ctx, e, n, out, DISPLAY_BUDGET);
    n = 0;
    for (i = 0; i < p->nresults; i++)
        p->results[i].display = out[n++];
    for (i = 0; i < sg_nseqs(ctx); i++) {
        sg_seq *q = sg_seq_mut(ctx, i);
        q->display = out[n++];
        for (k = 0; k < q->nterms; k++)
            q->terms[k].display = out[n++];
    }
    free(e);
    free(out);
}

sg_problem *sg_check(sg_src *src, const sg_program *prog)
{
    C c;
    const sg_stmt *s;
    sg_stmt **reqs;
    int nreqs = 0, nstmts = 0, i;
    sg_problem *p;
    memset(&c, 0, sizeof c);
    c.src = src;
    c.ctx = sg_ctx_new();
    sg_ctx_record_rewrites(c.ctx, 1); /* the definitions' rewrites, to be shown */
    c.loop.self = -1;
    for (s = prog ? prog->first : NULL; s; s = s->next)
        nstmts++;
    reqs = sg_xmalloc((size_t)(nstmts + 1) * sizeof *reqs);
    for (s = prog ? prog->first : NULL; s; s = s->next) {
        switch (s->kind) {
        case SG_STMT_PREFIX:
            if (!is_c_identifier(s->target.name))
                error(&c, s->target.span, "prefix '%s' is not a C identifier", s->target.name);
            else if (c.prefix && strcmp(c.prefix, s->target.name))
                error(&c, s->target.span, "the prefix is already '%s'", c.prefix);
            else
                c.prefix = s->target.name;
            break;
        case SG_STMT_DIM:
            for (i = 0; i < s->nnames; i++) {
                sg_dim d;
                int idx;
                name_kind k = lookup(&c, s->names[i].name, &idx);
                if (k == N_SYM || k == N_DEF || k == N_SEQ)
                    error(&c, s->names[i].span, "%s is already a %s", s->names[i].name,
                          k == N_SYM ? "declared symbol" : k == N_DEF ? "definition" : "sequence");
                else
                    dim_of(&c, &s->names[i], &d);
            }
            break;
        case SG_STMT_DECL:
            declare(&c, s);
            break;
        case SG_STMT_DEF:
            define(&c, s);
            break;
        default:
            request(&c, s, reqs, &nreqs);
            break;
        }
        if (c.too_large)
            break;
    }
    if (c.nres == 0 && sg_src_nerrors(src) == 0) {
        sg_span end = {(unsigned)src->len, (unsigned)src->len};
        error(&c, end, "nothing is requested: add `grad L wrt x`, `jacobian`, `hessian` or "
                       "`output` for the results to compute");
    }
    sg_ctx_record_rewrites(c.ctx, 0);
    if (sg_src_nerrors(src) == 0) {
        written_forms(&c);
        differentiate(&c, reqs, nreqs);
        mark_written_derived(&c);
    }
    free(reqs);
    free(c.memo);
    free(c.uses);
    if (sg_src_nerrors(src)) {
        free(c.defs);
        sg_strmap_free(&c.defnames);
        sg_strmap_free(&c.resnames);
        free(c.res);
        free(c.seqbad);
        sg_ctx_free(c.ctx);
        return NULL;
    }
    p = sg_xmalloc(sizeof *p);
    p->ctx = c.ctx;
    p->prefix = c.prefix ? sg_arena_strdup(sg_ctx_arena(c.ctx), c.prefix) : NULL;
    p->text = src->text;
    p->prog = prog;
    p->ndefs = 0;
    p->defs = sg_arena_alloc(sg_ctx_arena(c.ctx), (size_t)(c.ndefs + 1) * sizeof *p->defs);
    for (i = 0; i < c.ndefs; i++) {
        p->defs[p->ndefs].name = sg_arena_strdup(sg_ctx_arena(c.ctx), c.defs[i].name);
        p->defs[p->ndefs].expr = c.defs[i].expr;
        p->defs[p->ndefs].span = c.defs[i].span;
        p->defs[p->ndefs].ast = c.defs[i].ast;
        p->defs[p->ndefs].rw_first = c.defs[i].rw_first;
        p->defs[p->ndefs].rw_end = c.defs[i].rw_end;
        p->defs[p->ndefs].written = c.defs[i].written;
        p->defs[p->ndefs].derived_as_written = c.defs[i].derived_as_written;
        p->defs[p->ndefs].uses = c.defs[i].uses;
        p->defs[p->ndefs].nuses = c.defs[i].nuses;
        p->ndefs++;
    }
    p->nresults = c.nres;
    p->results = sg_arena_alloc(sg_ctx_arena(c.ctx), (size_t)(c.nres + 1) * sizeof *p->results);
    for (i = 0; i < c.nres; i++) {
        p->results[i] = c.res[i];
        p->results[i].cname = sg_arena_strdup(sg_ctx_arena(c.ctx), c.res[i].cname);
        p->results[i].of = p->results[i].of ? sg_arena_strdup(sg_ctx_arena(c.ctx), p->results[i].of) : NULL;
        p->results[i].wrt = p->results[i].wrt ? sg_arena_strdup(sg_ctx_arena(c.ctx), p->results[i].wrt) : NULL;
        p->results[i].wrt2 = p->results[i].wrt2 ? sg_arena_strdup(sg_ctx_arena(c.ctx), p->results[i].wrt2) : NULL;
    }
    displays(c.ctx, p);
    free(c.defs);
    sg_strmap_free(&c.defnames);
    sg_strmap_free(&c.resnames);
    free(c.res);
    free(c.seqbad);
    return p;
}

void sg_problem_free(sg_problem *p)
{
    if (!p)
        return;
    sg_ctx_free(p->ctx);
    free(p);
}

/*
 * The derivations, each once, in the order of their first result, and in
 * which[i] the index in logs of result i's (−1: none). By a hash of the log
 * pointers, not a scan: 20,000 requests are 20,000 derivations.
 */
int sg_problem_logs(const sg_problem *p, const sg_log **logs, int *which)
{
    size_t cap = 16, h;
    const sg_log **key;
    int *ix, i, n = 0;
    while (cap < 2 * (size_t)p->nresults + 2)
        cap *= 2;
    key = sg_xmalloc(cap * sizeof *key);
    ix = sg_xmalloc(cap * sizeof *ix);
    memset((void *)key, 0, cap * sizeof *key);
    for (i = 0; i < p->nresults; i++) {
        const sg_log *l = p->results[i].log;
        if (which)
            which[i] = -1;
        if (!l)
            continue;
        h = ((size_t)l >> 4) * 2654435761u;
        for (h &= cap - 1; key[h] && key[h] != l; h = (h + 1) & (cap - 1))
            ;
        if (!key[h]) {
            key[h] = l;
            ix[h] = n;
            logs[n++] = l;
        }
        if (which)
            which[i] = ix[h];
    }
    free((void *)key);
    free(ix);
    return n;
}
