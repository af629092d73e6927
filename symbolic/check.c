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
 * The checker's other files: check_seq.c (sequences), problem.c (the
 * statements and the problem); check_impl.h lists what they share.
 */
#include "check_impl.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/cident.h"
#include "../base/grow.h"
#include "../base/suggest.h"
#include "../lexer/lex.h"
#include "simplify.h"

/* ck_check() calls nested at most: the parser bounds the nesting at
   SG_PARSE_MAX_DEPTH levels, and a flat chain is checked a level at a time */
#define MAX_CHECK_DEPTH 4000

/* π, which an undeclared `π` (or `pi`) stands for (C99 has no M_PI) */
#define PI 3.14159265358979323846

ck_val ck_ok(sg_expr *e)
{
    ck_val v = {CK_OK, e, {0, 0}, 0};
    return v;
}

ck_val ck_err(void)
{
    ck_val v = {CK_ERR, NULL, {0, 0}, 0};
    return v;
}

ck_val ck_poly(sg_span at, int ones)
{
    ck_val v = {CK_POLY, NULL, at, ones};
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
    {"log2", SG_OP_LOG2, 1},       {"tan", SG_OP_TAN, 1},
    {"arcsin", SG_OP_ARCSIN, 1},   {"arccos", SG_OP_ARCCOS, 1},
    {"arctan", SG_OP_ARCTAN, 1},   {"sinh", SG_OP_SINH, 1},
    {"cosh", SG_OP_COSH, 1},       {"erf", SG_OP_ERF, 1},
    {"sign", SG_OP_SIGN, 1},       {"step", SG_OP_STEP, 1},
    {"softmax", SG_OP_SOFTMAX, 1}, {"logsoftmax", SG_OP_LOGSOFTMAX, 1},
    {"logsumexp", SG_OP_LOGSUMEXP, 1},
    {"norm", SG_OP_NORM, 1},       {"norm1", SG_OP_NORM1, 1},
    {"sum", SG_OP_SUM, 1},         {"mean", SG_OP_COUNT, 1},
    {"tr", SG_OP_TRACE, 1},        {"trace", SG_OP_TRACE, 1},
    {"det", SG_OP_DET, 1},         {"logdet", SG_OP_LOGDET, 1},
    {"inv", SG_OP_INV, 1},         {"diag", SG_OP_COUNT, 1},
    {"dot", SG_OP_DOT, 2},         {"eye", SG_OP_EYE, 1},
    {"max", SG_OP_COUNT, 2},       {"min", SG_OP_COUNT, 2},
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

static int find_def(const ck_checker *c, const char *name)
{
    return sg_strmap_get(&c->defnames, name);
}

/* what name means here; *idx is the symbol, definition, dimension or sequence */
ck_name_kind ck_lookup(const ck_checker *c, const char *name, int *idx)
{
    int i;
    if ((i = sg_seq_find(c->ctx, name)) >= 0) { /* before its symbol, for an input */
        *idx = i;
        return CK_SEQ;
    }
    if ((i = sg_sym_find(c->ctx, name)) >= 0) {
        *idx = i;
        return CK_SYM;
    }
    if ((i = find_def(c, name)) >= 0) {
        *idx = i;
        return CK_DEF;
    }
    if ((i = sg_dim_find(c->ctx, name)) >= 0) {
        *idx = i;
        return CK_DIM;
    }
    if (find_func(name))
        return CK_FUNC;
    return CK_NONE;
}

static const char *spelling(const ck_checker *c, sg_span at, const char *name);

/* a declared or defined name as its declaration spells it (λ for lambda) */
static const char *as_declared(const ck_checker *c, const char *name)
{
    int i;
    if (!name)
        return NULL;
    if ((i = sg_sym_find(c->ctx, name)) >= 0)
        return spelling(c, sg_sym_get(c->ctx, i)->span, name);
    if ((i = sg_strmap_get(&c->defnames, name)) >= 0)
        return spelling(c, c->defs[i].span, name);
    return name;
}

/* the name closest to name among the functions (with funcs_first, offered
   first) and what the problem declares or defines, for "did you mean";
   NULL when none is close */
static const char *closest_name(const ck_checker *c, const char *name, int funcs_first)
{
    sg_suggest sug;
    size_t k;
    int i, pass;
    sg_suggest_init(&sug, name);
    for (pass = 0; pass < 2; pass++) {
        if (pass == !funcs_first) {
            for (k = 0; k < sizeof funcs / sizeof funcs[0]; k++)
                sg_suggest_offer(&sug, funcs[k].name);
            continue;
        }
        for (i = 0; i < sg_sym_count(c->ctx); i++)
            sg_suggest_offer(&sug, sg_sym_get(c->ctx, i)->name);
        for (i = 0; i < c->ndefs; i++)
            sg_suggest_offer(&sug, c->defs[i].name);
        for (i = 0; i < sg_seq_count(c->ctx); i++)
            sg_suggest_offer(&sug, sg_seq_get(c->ctx, i)->name);
        for (i = 0; i < sg_dim_count(c->ctx); i++)
            sg_suggest_offer(&sug, sg_dim_get(c->ctx, i)->name);
    }
    return as_declared(c, sg_suggest_best(&sug));
}

/* the name as the user spelt it at span (λ, not the lambda it reads as),
   or name when the span is not the name's text */
static const char *spelling(const ck_checker *c, sg_span at, const char *name)
{
    const char *s = c->src->text + at.begin;
    size_t n = at.end - at.begin;
    if (at.end <= at.begin || at.end > c->src->len || n > SG_LEX_MAX_NAME ||
        memchr(s, '\n', n))
        return name;
    return sg_arena_strndup(sg_ctx_arena(c->ctx), s, n);
}

/* whether the name is one letter as written (λ, x): a value, not a function */
static int one_letter(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int n = 0;
    for (; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n == 1;
}

void ck_undefined(ck_checker *c, sg_span at, const char *name)
{
    const char *as = spelling(c, at, name);
    /* β reads as beta, which is not one edit from det: the written length counts */
    const char *near = closest_name(c, one_letter(as) ? as : name, 0);
    if (near)
        ck_error(c, at, "undefined name '%s'; did you mean '%s'?", as, near);
    else
        ck_error(c, at, "undefined name '%s'", as);
}

void ck_use(ck_checker *c, const char *name)
{
    /* the map keeps the key: a copy, since a part of a split name is on the stack */
    if (sg_strmap_get(&c->usednames, name) < 0)
        sg_strmap_put(&c->usednames, sg_arena_strdup(sg_ctx_arena(c->ctx), name), 1);
}

static const char *dim_str(ck_checker *c, sg_dim d);
static const char *text_of(ck_checker *c, sg_span sp);

void ck_colfn_seen(ck_checker *c, const sg_ast *call, sg_shape arg)
{
    struct ck_colfn *f;
    if (arg.cols == SG_DIM_ONE || arg.rows == SG_DIM_ONE || c->as_written)
        return;
    SG_GROW(c->colfns, c->ncolfns, c->capcolfns, SG_GROW_MAX, "softmax calls");
    f = &c->colfns[c->ncolfns++];
    f->span = call->span;
    f->arg = call->nargs > 0 ? call->args[0]->span : call->span;
    f->fname = call->name;
    f->shape = arg;
}

void ck_wrt_seen(ck_checker *c, const char *name)
{
    if (sg_strmap_get(&c->wrtnames, name) < 0)
        sg_strmap_put(&c->wrtnames, sg_arena_strdup(sg_ctx_arena(c->ctx), name), 1);
}

/*
 * softmax(Z) of a matrix normalises each column. When Z's rows are the rows
 * of a data matrix (an input nothing is differentiated with respect to,
 * X ∈ ℝ^{N×D} in softmax(XW)), the columns run across the batch: one
 * distribution per column of N examples, seldom what was meant. A matrix of
 * Z's own shape (labels Y) says nothing either way.
 */
static void warn_batch_softmax(ck_checker *c, const struct ck_colfn *f)
{
    int i;
    for (i = 0; i < sg_sym_count(c->ctx); i++) {
        const sg_symbol *s = sg_sym_get(c->ctx, i);
        if (s->seq >= 0 || s->shape.rows != f->shape.rows || s->shape.cols == f->shape.cols ||
            s->shape.cols == SG_DIM_ONE || sg_strmap_get(&c->wrtnames, s->name) >= 0)
            continue;
        sg_src_warning(c->src, f->span, "%s normalises each column, across the %s rows that %s "
                                        "(%s) holds its examples in; for one distribution per "
                                        "row, write %s((%s)ᵀ)ᵀ",
                       spelling(c, f->span, f->fname), dim_str(c, f->shape.rows),
                       spelling(c, s->span, s->name), ck_shape_str(c, s->shape),
                       f->fname, text_of(c, f->arg));
        return;
    }
}

void ck_warn_unused(ck_checker *c)
{
    int i;
    for (i = 0; i < c->ncolfns; i++)
        warn_batch_softmax(c, &c->colfns[i]);
    for (i = 0; i < sg_sym_count(c->ctx); i++) {
        const sg_symbol *sym = sg_sym_get(c->ctx, i);
        if (sg_strmap_get(&c->usednames, sym->name) < 0)
            sg_src_warning(c->src, sym->span, "%s is declared but never used",
                           spelling(c, sym->span, sym->name));
    }
    for (i = 0; i < c->ndefs; i++)
        if (sg_strmap_get(&c->usednames, c->defs[i].name) < 0)
            sg_src_warning(c->src, c->defs[i].span, "%s is defined but never used",
                           spelling(c, c->defs[i].span, c->defs[i].name));
    for (i = 0; i < sg_seq_count(c->ctx); i++) {
        const sg_seq *q = sg_seq_get(c->ctx, i);
        if (q->kind != SG_SEQ_INPUT && sg_strmap_get(&c->usednames, q->name) < 0)
            sg_src_warning(c->src, q->span, "%s is defined but never used",
                           spelling(c, q->span, q->name));
    }
}

/* f(…) or f‖…‖ where f is neither a function nor a value */
static void unknown_function(ck_checker *c, sg_span at, const char *name)
{
    const char *as = spelling(c, at, name);
    const char *near = closest_name(c, one_letter(as) ? as : name, 1);
    if (near)
        ck_error(c, at, "unknown function '%s'; did you mean '%s'?", as, near);
    else if (one_letter(as))
        ck_error(c, at, "undefined name '%s': declare it, e.g. '%s ∈ ℝ'", as, as);
    else
        ck_error(c, at, "unknown function '%s'", as);
}

/* a name that can be part of a juxtaposed product: a value, or I */
static int is_part(const ck_checker *c, const char *s, size_t n)
{
    char buf[SG_LEX_MAX_NAME + 1]; /* a part of a name, which the lexer bounds */
    int idx;
    ck_name_kind k;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strcmp(buf, "I") || !strcmp(buf, "pi"))
        return 1;
    k = ck_lookup(c, buf, &idx);
    return k == CK_SYM || k == CK_DEF || k == CK_DIM;
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
static int split_name(const ck_checker *c, const char *name, split_t *out)
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

const char *ck_shape_str(ck_checker *c, sg_shape s)
{
    return sg_shape_str(c->ctx, s, 0);
}

/* a dimension as written: "n" or "3" */
static const char *dim_str(ck_checker *c, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(c->ctx, d);
    if (di->name)
        return di->name;
    return sg_arena_printf(sg_ctx_arena(c->ctx), "%ld", di->value);
}

/* the source text of a span, for messages; elided when long */
static const char *text_of(ck_checker *c, sg_span sp)
{
    size_t n = sp.end > sp.begin ? sp.end - sp.begin : 0;
    if (n > 24)
        return sg_arena_printf(sg_ctx_arena(c->ctx), "%.*s…", 20, c->src->text + sp.begin);
    return sg_arena_strndup(sg_ctx_arena(c->ctx), c->src->text + sp.begin, n);
}

void ck_error(ck_checker *c, sg_span at, const char *fmt, ...)
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

static sg_shape shape_of(const ck_val *v)
{
    return v->e->shape;
}

static int is_scalar(const ck_val *v)
{
    return sg_shape_is_scalar(v->e->shape);
}

ck_want ck_want_of(sg_shape s)
{
    ck_want w;
    w.r = s.rows;
    w.c = s.cols;
    return w;
}

static ck_want want_t(ck_want w)
{
    ck_want t;
    t.r = w.c;
    t.c = w.r;
    return t;
}

/* I sized by the context */
static ck_val make_eye(ck_checker *c, ck_want w, sg_span at)
{
    sg_dim n = w.r >= 0 ? w.r : w.c;
    if (n < 0)
        return ck_poly(at, 0);
    if (w.r >= 0 && w.c >= 0 && w.r != w.c) {
        sg_shape s = sg_shape_make(w.r, w.c);
        ck_error(c, at, "I is square, but here it would have to be %s", ck_shape_str(c, s));
        return ck_err();
    }
    return ck_ok(sg_eye(c->ctx, n));
}

/* 𝟙 sized by the context: a column unless the context says otherwise */
static ck_val make_ones(ck_checker *c, ck_want w, sg_span at)
{
    if (w.r < 0)
        return ck_poly(at, 1);
    return ck_ok(sg_ones(c->ctx, sg_shape_make(w.r, w.c >= 0 ? w.c : SG_DIM_ONE)));
}

/* ---- expressions ---------------------------------------------------------- */


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

/* the text t of an operand, as the operand of a postfix ᵀ in a fix-it: a
   name or a bracketed group as it is, anything else in parentheses ((Wx)ᵀ,
   since Wxᵀ would transpose x alone) */
static const char *transposable(ck_checker *c, const char *t)
{
    int idx;
    size_t n = strlen(t);
    if ((n > 1 && t[0] == '(' && t[n - 1] == ')') ||
        ck_lookup(c, sg_lex_normalize(sg_ctx_arena(c->ctx), t, n), &idx) != CK_NONE)
        return t;
    return sg_arena_printf(sg_ctx_arena(c->ctx), "(%s)", t);
}

/* an exponent as it can follow .^ in a fix-it: x² suggests x.^2, not x.^² */
static const char *exponent_text(ck_checker *c, const sg_ast *b)
{
    if (b->kind == SG_AST_NUM)
        return sg_arena_printf(sg_ctx_arena(c->ctx), "%.17g", b->num);
    if (b->kind == SG_AST_NEG && b->a->kind == SG_AST_NUM)
        return sg_arena_printf(sg_ctx_arena(c->ctx), "(-%.17g)", b->a->num);
    return text_of(c, b->span);
}

/* why ta (sa) cannot multiply tb (sb); at is the whole product */
static void product_error(ck_checker *c, sg_span at, sg_shape sa, sg_shape sb, const char *ta,
                          const char *tb)
{
    if (sa.cols == SG_DIM_ONE && sb.cols == SG_DIM_ONE)
        ck_error(c, at, "cannot multiply two column vectors, %s (%s) and %s (%s): write %sᵀ%s for "
                        "their inner product or %s ⊙ %s for the elementwise product", ta,
                 ck_shape_str(c, sa), tb, ck_shape_str(c, sb), transposable(c, ta), tb, ta, tb);
    else if (sa.rows == sb.rows || sa.cols == sb.cols) /* a transpose fits: say so */
        ck_error(c, at, "cannot multiply %s (%s) by %s (%s): inner dimensions %s and %s differ "
                        "(%s%s%s would fit: a transpose?)", ta, ck_shape_str(c, sa), tb,
                 ck_shape_str(c, sb), dim_str(c, sa.cols), dim_str(c, sb.rows),
                 sa.rows == sb.rows ? transposable(c, ta) : ta,
                 sa.rows == sb.rows ? "ᵀ" : "",
                 sa.rows == sb.rows ? transposable(c, tb)
                                    : sg_arena_printf(sg_ctx_arena(c->ctx), "%sᵀ",
                                                      transposable(c, tb)));
    else
        ck_error(c, at, "cannot multiply %s (%s) by %s (%s): inner dimensions %s and %s differ", ta,
                 ck_shape_str(c, sa), tb, ck_shape_str(c, sb), dim_str(c, sa.cols),
                 dim_str(c, sb.rows));
}

/* a · b for checked operands; span is the whole product, for errors */
static ck_val mul_vals(ck_checker *c, ck_val a, ck_val b, sg_span at, const char *ta,
                       const char *tb)
{
    if (a.st != CK_OK || b.st != CK_OK)
        return a.st == CK_ERR || b.st == CK_ERR ? ck_err() : (a.st == CK_POLY ? a : b);
    if (product_fits(shape_of(&a), shape_of(&b)))
        return ck_ok(sg_mul(c->ctx, a.e, b.e));
    product_error(c, at, shape_of(&a), shape_of(&b), ta, tb);
    return ck_err();
}

/* the wanted shape of one factor of a product, given the shape of the other */
static ck_want want_beside(sg_shape other, int other_is_left, ck_want w)
{
    ck_want f = CK_ANY;
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

/* the same, given the other factor's value (CK_ANY when it has none) */
static ck_want factor_want(const ck_val *other, int other_is_left, ck_want w)
{
    if (other->st != CK_OK)
        return CK_ANY;
    return want_beside(other->e->shape, other_is_left, w);
}

/* product: juxtaposition, *, · */
static ck_val check_product(ck_checker *c, const sg_ast *a, ck_want w)
{
    ck_val va = ck_check(c, a->a, CK_ANY), vb = ck_check(c, a->b, CK_ANY);
    if (va.st == CK_ERR || vb.st == CK_ERR)
        return ck_err();
    if (va.st == CK_POLY && vb.st == CK_POLY) {
        ck_want wa = {w.r, -1};
        va = ck_check(c, a->a, wa);
        if (va.st == CK_OK)
            vb = ck_check(c, a->b, factor_want(&va, 1, w));
    } else if (va.st == CK_POLY) {
        va = ck_check(c, a->a, factor_want(&vb, 0, w));
    } else if (vb.st == CK_POLY) {
        vb = ck_check(c, a->b, factor_want(&va, 1, w));
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

/* why the operands of `a` (a + − ⊙ ⊘ node) do not fit; a vector beside a
   matrix it could be broadcast over (a bias over a batch, XW + b) gets the
   product with 𝟙 that writes the broadcast */
static void elementwise_error(ck_checker *c, const sg_ast *a, sg_shape sa, sg_shape sb)
{
    int a_vec = sa.cols == SG_DIM_ONE, b_vec = sb.cols == SG_DIM_ONE;
    const char *ta = text_of(c, a->a->span), *tb = text_of(c, a->b->span);
    const char *v = a_vec ? ta : tb;
    sg_shape m = a_vec ? sb : sa, vs = a_vec ? sa : sb;
    if (a_vec != b_vec && m.cols != SG_DIM_ONE && (vs.rows == m.cols || vs.rows == m.rows)) {
        ck_error(c, a->span, "cannot %s %s (%s) and %s (%s): the shapes differ; to use %s in "
                             "every %s, write %s",
                 binop_name(a->kind), ta, ck_shape_str(c, sa), tb, ck_shape_str(c, sb), v,
                 vs.rows == m.cols ? "row" : "column",
                 sg_arena_printf(sg_ctx_arena(c->ctx), vs.rows == m.cols ? "𝟙%sᵀ" : "%s𝟙ᵀ",
                                 transposable(c, v)));
        return;
    }
    ck_error(c, a->span, "cannot %s %s (%s) and %s (%s): the shapes differ", binop_name(a->kind),
             ta, ck_shape_str(c, sa), tb, ck_shape_str(c, sb));
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
static ck_val check_elementwise(ck_checker *c, const sg_ast *a, ck_want w)
{
    ck_val va = ck_check(c, a->a, w), vb = ck_check(c, a->b, w);
    if (va.st == CK_ERR || vb.st == CK_ERR)
        return ck_err();
    if (va.st == CK_POLY && vb.st == CK_OK && !is_scalar(&vb))
        va = ck_check(c, a->a, ck_want_of(vb.e->shape));
    else if (vb.st == CK_POLY && va.st == CK_OK && !is_scalar(&va))
        vb = ck_check(c, a->b, ck_want_of(va.e->shape));
    if (va.st != CK_OK || vb.st != CK_OK)
        return va.st == CK_ERR || vb.st == CK_ERR ? ck_err() : (va.st == CK_POLY ? va : vb);
    if (!elementwise_fits(va.e->shape, vb.e->shape)) {
        elementwise_error(c, a, va.e->shape, vb.e->shape);
        return ck_err();
    }
    return ck_ok(elementwise(c->ctx, a->kind, va.e, vb.e));
}

/* ---- flat chains ------------------------------------------------------------ */

/*
 * A chain of more than CHAIN_FLAT operands written flat (a + b − c …, a b c …,
 * a ⊙ b ⊙ …: see sg_ast_chain) is checked in a loop rather than through
 * ck_check()'s recursion into its left operand, and its value is built as a
 * balanced tree of runs of CHAIN_FLAT operands. Built left to right, as a
 * shorter chain is, the DAG would be as deep as the chain is long, and the
 * passes after us recurse over the DAG.
 *
 * The loop follows check_elementwise() and check_product() step by step:
 * the same operands checked with the same wants, the same messages at the
 * same places. Instead of a value it carries the shape of each prefix and
 * the list of operand values the prefix is made of (links in a scratch
 * arena), because a prefix may be checked again with another ck_want (an I or
 * 𝟙 sized by the operand after it): the list says which values the final
 * value is made of.
 */
#define CHAIN_FLAT 64

typedef struct link link;
struct link {
    const link *prev; /* the operands before this one; NULL for the first */
    sg_expr *e;       /* this operand's value */
};

/* a prefix of a chain, as ck_check() would answer for it */
typedef struct {
    int st;
    sg_shape shape;   /* CK_OK */
    const link *used; /* CK_OK: its last operand */
    sg_span poly;     /* CK_POLY, as in ck_val */
    int poly_ones;
} pre;

typedef struct {
    const sg_ast **term; /* term[0] the first operand, term[i] = node[i]->b */
    const sg_ast **node; /* node[i] (i ≥ 1): the operator before term[i];
                            node[i]->a is the prefix up to term[i − 1] */
    int n;               /* operands */
    pre *any;            /* products: prefix k checked with CK_ANY (k < nany) */
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
    p.st = CK_OK;
    p.shape = shape;
    p.used = l;
    return p;
}

/* a CK_POLY or CK_ERR value as a prefix */
static pre pre_not(ck_val v)
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
    return pre_not(ck_err());
}

/* the first operand checked with w */
static pre first_operand(ck_checker *c, chain_t *ch, ck_want w)
{
    ck_val v = ck_check(c, ch->term[0], w);
    return v.st == CK_OK ? pre_ok(ch, NULL, v.e, v.e->shape) : pre_not(v);
}

/* one more level of recursion between prefixes; 0 (reported) past the limit */
static int deeper(ck_checker *c, sg_span at)
{
    if (c->depth < MAX_CHECK_DEPTH) {
        c->depth++;
        return 1;
    }
    if (!c->depth_reported)
        ck_error(c, at, "expression too deep to check (more than %d levels)", MAX_CHECK_DEPTH);
    c->depth_reported = 1;
    return 0;
}

static int same_want(ck_want a, ck_want b)
{
    return a.r == b.r && a.c == b.c;
}

/*
 * Prefix 0..k of a + − or ⊙ chain checked with w, as check_elementwise().
 * A prefix that is still CK_POLY (I, 𝟙 of no known size) when an operand of a
 * known shape comes is checked again wanting that shape; not again with a
 * ck_want it was checked with already (w itself, or one that left it CK_POLY
 * before), which gives the same answer: each of those checks once looped
 * over the operands checking again, 2ⁿ checks for `W II x + x + … + x`.
 */
static pre sum_prefix(ck_checker *c, chain_t *ch, int k, ck_want w)
{
    pre acc = first_operand(c, ch, w);
    ck_want tried = w;
    int i;
    for (i = 1; i <= k; i++) {
        ck_val vb = ck_check(c, ch->term[i], w);
        if (acc.st == CK_ERR || vb.st == CK_ERR) {
            acc = pre_err();
            continue;
        }
        if (acc.st == CK_POLY && vb.st == CK_OK && !is_scalar(&vb) &&
            !same_want(ck_want_of(vb.e->shape), tried)) {
            if (!deeper(c, ch->node[i]->span)) {
                acc = pre_err();
                continue;
            }
            tried = ck_want_of(vb.e->shape);
            acc = sum_prefix(c, ch, i - 1, tried);
            c->depth--;
        } else if (vb.st == CK_POLY && acc.st == CK_OK && !sg_shape_is_scalar(acc.shape)) {
            vb = ck_check(c, ch->term[i], ck_want_of(acc.shape));
        }
        if (acc.st != CK_OK || vb.st != CK_OK) {
            if (acc.st == CK_ERR || vb.st == CK_ERR)
                acc = pre_err();
            else if (acc.st == CK_OK)
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

static pre prod_prefix(ck_checker *c, chain_t *ch, int k, ck_want w);

/* prefix k of a product checked again, with another ck_want */
static pre prod_again(ck_checker *c, chain_t *ch, int k, ck_want w)
{
    pre p;
    if (!deeper(c, ch->node[k + 1]->span))
        return pre_err();
    p = prod_prefix(c, ch, k, w);
    c->depth--;
    return p;
}

/* prefix 0..k of a product chain checked with w, as check_product(); the
   prefixes checked with CK_ANY are remembered (ch->any), as ck_check()'s memo would */
static pre prod_prefix(ck_checker *c, chain_t *ch, int k, ck_want w)
{
    pre va;
    ck_val vb;
    if (k == 0)
        return first_operand(c, ch, w);
    if (w.r < 0 && w.c < 0 && k < ch->nany)
        return ch->any[k];
    va = prod_prefix(c, ch, k - 1, CK_ANY);
    vb = ck_check(c, ch->term[k], CK_ANY);
    if (va.st == CK_ERR || vb.st == CK_ERR)
        return pre_err();
    if (va.st == CK_POLY && vb.st == CK_POLY) {
        ck_want wa = {w.r, -1};
        va = prod_again(c, ch, k - 1, wa);
        if (va.st == CK_OK)
            vb = ck_check(c, ch->term[k], want_beside(va.shape, 1, w));
    } else if (va.st == CK_POLY) {
        va = prod_again(c, ch, k - 1, want_beside(vb.e->shape, 0, w));
    } else if (vb.st == CK_POLY) {
        vb = ck_check(c, ch->term[k], want_beside(va.shape, 1, w));
    }
    if (va.st != CK_OK || vb.st != CK_OK)
        return va.st == CK_ERR || vb.st == CK_ERR ? pre_err() : va.st == CK_POLY ? va : pre_not(vb);
    if (!product_fits(va.shape, vb.e->shape)) {
        product_error(c, ch->node[k]->span, va.shape, vb.e->shape,
                      text_of(c, ch->node[k]->a->span), text_of(c, ch->term[k]->span));
        return pre_err();
    }
    return pre_ok(ch, va.used, vb.e, product_shape(va.shape, vb.e->shape));
}

/* run r of the operands (CHAIN_FLAT of them), left to right as a short
   chain is built; a run after the first starts with its operand's sign */
static sg_expr *chain_run(ck_checker *c, const chain_t *ch, sg_expr **e, int r, int product)
{
    int lo = r * CHAIN_FLAT, hi = lo + CHAIN_FLAT < ch->n ? lo + CHAIN_FLAT : ch->n, i;
    sg_expr *acc = e[lo];
    if (lo > 0 && ch->node[lo]->kind == SG_AST_SUB)
        acc = sg_neg(c->ctx, acc);
    for (i = lo + 1; i < hi; i++)
        acc =
            product ? sg_mul(c->ctx, acc, e[i]) : elementwise(c->ctx, ch->node[i]->kind, acc, e[i]);
    return acc;
}

/* runs lo..hi as a balanced tree: depth log₂ of their number */
static sg_expr *chain_runs(ck_checker *c, const chain_t *ch, sg_expr **e, int lo, int hi,
                           int product)
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
static ck_val check_chain(ck_checker *c, const sg_ast *a, ck_want w)
{
    int chain = sg_ast_chain(a->kind), n = chain_length(a, INT_MAX), i, k;
    int product = chain == sg_ast_chain(SG_AST_MUL);
    const sg_ast *e;
    sg_expr **ops;
    const link *l;
    chain_t ch;
    pre p;
    ck_val v;

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
            ch.any[k] = prod_prefix(c, &ch, k, CK_ANY);
            ch.nany = k + 1;
        }
        p = prod_prefix(c, &ch, n - 1, w);
    } else {
        p = sum_prefix(c, &ch, n - 1, w);
    }
    if (p.st == CK_OK) {
        ops = sg_xmalloc((size_t)n * sizeof *ops);
        for (l = p.used, i = n; l; l = l->prev)
            ops[--i] = l->e;
        v = ck_ok(chain_runs(c, &ch, ops, 0, (n - 1) / CHAIN_FLAT, product));
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

/* a value that must have a known size: reports a CK_POLY as an error */
ck_val ck_need_size(ck_checker *c, ck_val v)
{
    if (v.st == CK_POLY) {
        if (v.poly_ones)
            ck_error(c, v.poly, "cannot tell the size of 𝟙 here: write ones(n)");
        else
            ck_error(c, v.poly, "cannot tell the size of I here: write I(n)");
        return ck_err();
    }
    return v;
}

/* whether a factor follows a's text at once, on its line (x in xᵀAx / xᵀx) */
static int juxtaposed_after(const ck_checker *c, const sg_ast *a)
{
    const unsigned char *p = (const unsigned char *)c->src->text + a->span.end;
    while (*p == ' ' || *p == '\t')
        p++;
    return (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '(' || *p >= 0xC0;
}

static ck_val need_scalar(ck_checker *c, const sg_ast *a, ck_val v, const char *what)
{
    v = ck_need_size(c, v);
    if (v.st == CK_OK && !is_scalar(&v) && !strcmp(what, "a divisor") && juxtaposed_after(c, a)) {
        /* xᵀAx / xᵀx reads (xᵀAx / xᵀ) x: / takes only what stands right after it */
        ck_error(c, a->span, "%s must be a scalar, but %s is %s: / divides by %s alone, not by the "
                             "product after it; put the whole divisor in parentheses", what,
                 text_of(c, a->span), ck_shape_str(c, v.e->shape), text_of(c, a->span));
        return ck_err();
    }
    if (v.st == CK_OK && !is_scalar(&v)) {
        ck_error(c, a->span, "%s must be a scalar, but %s is %s", what, text_of(c, a->span),
                 ck_shape_str(c, v.e->shape));
        return ck_err();
    }
    return v;
}

/* a constant exponent, for messages and the ‖e‖² rule */
static int is_num(const sg_ast *a, double v)
{
    return a && a->kind == SG_AST_NUM && a->num == v;
}

/* xᵀ, x², x^p, x⁻¹ applied to a checked operand */
static ck_val apply_postfix(ck_checker *c, const sg_ast *post, ck_val v)
{
    sg_ctx *x = c->ctx;
    if (v.st != CK_OK)
        return v.st == CK_POLY && post->kind == SG_AST_TRANSPOSE ? v : ck_need_size(c, v);
    switch (post->kind) {
    case SG_AST_TRANSPOSE:
        return ck_ok(sg_transpose(x, v.e));
    case SG_AST_INVERSE:
        if (is_scalar(&v))
            return ck_ok(sg_pow(x, v.e, sg_const(x, -1)));
        if (v.e->shape.rows != v.e->shape.cols) {
            ck_error(c, post->span, "only a square matrix has an inverse, but %s is %s",
                     text_of(c, post->a->span), ck_shape_str(c, v.e->shape));
            return ck_err();
        }
        return ck_ok(sg_unary(x, SG_OP_INV, v.e));
    case SG_AST_POW:
    case SG_AST_EPOW: {
        ck_val p = need_scalar(c, post->b, ck_check(c, post->b, CK_ANY), "an exponent");
        if (p.st != CK_OK)
            return p;
        if (post->kind == SG_AST_POW && !is_scalar(&v)) {
            if (post->a->kind == SG_AST_NORM && is_num(post->b, 2))
                return v; /* handled by the caller */
            ck_error(c, post->span, "%s is %s, not a scalar: write %s.^%s for the elementwise "
                                    "power, or a product", text_of(c, post->a->span),
                     ck_shape_str(c, v.e->shape), text_of(c, post->a->span),
                     exponent_text(c, post->b));
            return ck_err();
        }
        return ck_ok(sg_pow(x, v.e, p.e));
    }
    default:
        return v;
    }
}

/* the error for a name with several readings: all of them, as they read */
static ck_val ambiguous(ck_checker *c, const sg_ast *a, const split_t *sp, int n)
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
    ck_error(c, a->name_span, "ambiguous name '%s': it reads as %s; separate the factors with "
                              "spaces", a->name, sg_buf_str(&b));
    sg_buf_free(&b);
    return ck_err();
}

static ck_val check_name(ck_checker *c, const sg_ast *a, ck_want w, const sg_ast *post);

/* the product a name reads as, left to right; the postfix binds to the last part */
static ck_val product_of_parts(ck_checker *c, const sg_ast *a, ck_want w, const sg_ast *post,
                               const split_t *sp)
{
    ck_val acc = ck_err();
    int i;
    for (i = 0; i < sp->n; i++) {
        char part[SG_LEX_MAX_NAME + 1];
        size_t len = sp->cut[i + 1] - sp->cut[i];
        int last = i == sp->n - 1;
        sg_ast leaf = *a;
        ck_val v;
        ck_want pw = CK_ANY;
        memcpy(part, a->name + sp->cut[i], len);
        part[len] = '\0';
        leaf.kind = SG_AST_NAME;
        leaf.name = part;
        if (!strcmp(part, "I")) {
            /* I takes its size from its neighbours */
            if (i > 0 && acc.st == CK_OK && !is_scalar(&acc))
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
        if (acc.st == CK_ERR)
            return acc;
    }
    return acc;
}

/*
 * A name, possibly with a postfix operator `post` written after it. A name
 * that is not known is tried as a juxtaposed product of known names.
 */
static ck_val check_name(ck_checker *c, const sg_ast *a, ck_want w, const sg_ast *post)
{
    int idx, n;
    split_t sp[MAX_READINGS + 1];
    ck_name_kind k = ck_lookup(c, a->name, &idx);
    ck_val acc;
    if (k == CK_SYM || k == CK_DEF)
        ck_use(c, a->name);
    switch (k) {
    case CK_SYM:
        acc = ck_ok(sg_var(c->ctx, idx));
        return post ? apply_postfix(c, post, acc) : acc;
    case CK_DEF:
        SG_GROW(c->uses, c->nuses, c->capuses, SG_GROW_MAX, "uses of definitions");
        c->uses[c->nuses++] = idx;
        if (!c->defs[idx].expr)
            return ck_err();
        acc =
            ck_ok(c->as_written && c->defs[idx].written ? c->defs[idx].written : c->defs[idx].expr);
        return post ? apply_postfix(c, post, acc) : acc;
    case CK_DIM:
        acc = ck_ok(sg_dimval(c->ctx, idx));
        return post ? apply_postfix(c, post, acc) : acc;
    case CK_SEQ:
        if (idx < c->capseqbad && c->seqbad[idx])
            return ck_err();
        ck_error(c, a->span, "%s is a sequence: write %s[t] for its step t, or a fixed step like "
                             "%s[%s]", a->name, a->name, a->name,
                 sg_index_str(c->ctx, sg_seq_get(c->ctx, idx)->hi, 0));
        return ck_err();
    case CK_FUNC:
        if (!strcmp(a->name, "ones")) {
            acc = make_ones(c, w, a->span);
            return post ? apply_postfix(c, post, acc) : acc;
        }
        ck_error(c, a->span, "%s is a function: write %s(…)", a->name, a->name);
        return ck_err();
    case CK_NONE:
        break;
    }
    if (c->loop.var && !strcmp(a->name, c->loop.var)) {
        ck_error(c, a->span, "%s is the index of the loop: it can only be used inside [ ] for now",
                 a->name);
        return ck_err();
    }
    if (!strcmp(a->name, "I")) {
        acc = make_eye(c, w, a->span);
        return post ? apply_postfix(c, post, acc) : acc;
    }
    if (!strcmp(a->name, "pi")) { /* π, unless declared */
        acc = ck_ok(sg_const(c->ctx, PI));
        return post ? apply_postfix(c, post, acc) : acc;
    }
    n = split_name(c, a->name, sp);
    if (n == 0) {
        ck_undefined(c, a->name_span, a->name);
        return ck_err();
    }
    acc = n > 1 ? ambiguous(c, a, sp, n) : product_of_parts(c, a, w, post, &sp[0]);
    free_splits(sp, n);
    return acc;
}

/* is the call f(e) or f‖e‖ really the product of a value f and an atom? */
static int call_is_product(const ck_checker *c, const sg_ast *call)
{
    int idx;
    ck_name_kind k = ck_lookup(c, call->name, &idx);
    if (call->nargs != 1 || call->symbol) /* √e is sqrt whatever is declared */
        return 0;
    if (k == CK_SYM || k == CK_DEF || k == CK_DIM)
        return 1;
    return k == CK_NONE && strcmp(call->name, "I") &&
           (!strcmp(call->name, "pi") || split_name(c, call->name, NULL) > 0);
}

/* a number written as a dimension, I(3) or ones(2, 3): reported unless it is
   one (the range is tested before the cast, which is undefined outside it) */
static int dim_num_ok(ck_checker *c, const sg_ast *d)
{
    if (d->num < 1 || d->num != floor(d->num)) {
        ck_error(c, d->span, "a dimension must be a positive integer");
        return 0;
    }
    if (d->num > (double)SG_MAX_DIM) {
        ck_error(c, d->span, "a dimension must be at most %ld", SG_MAX_DIM);
        return 0;
    }
    return 1;
}

/* f(e) where f is a value (or a name that splits into values): f · e */
static ck_val call_as_product(ck_checker *c, const sg_ast *a, ck_want w, ck_name_kind k)
{
    sg_ast name = *a;
    ck_val v, arg;
    if (a->nargs != 1) {
        if (k == CK_NONE)
            unknown_function(c, a->name_span, a->name);
        else
            ck_error(c, a->name_span, "%s is not a function", a->name);
        return ck_err();
    }
    if (k == CK_NONE && strcmp(a->name, "pi") && !split_name(c, a->name, NULL)) {
        unknown_function(c, a->name_span, a->name);
        return ck_err();
    }
    name.kind = SG_AST_NAME;
    name.span = a->name_span;
    v = check_name(c, &name, CK_ANY, NULL);
    arg = ck_check(c, a->args[0], CK_ANY);
    if (arg.st == CK_POLY && v.st == CK_OK)
        arg = ck_check(c, a->args[0], factor_want(&v, 1, w));
    return mul_vals(c, v, arg, a->span, text_of(c, a->name_span), text_of(c, a->args[0]->span));
}

/* I(n), eye(n) */
static ck_val call_eye(ck_checker *c, const sg_ast *a)
{
    const sg_ast *d = a->nargs == 1 ? a->args[0] : NULL;
    int idx;
    if (!d || !(d->kind == SG_AST_NUM ||
                (d->kind == SG_AST_NAME && ck_lookup(c, d->name, &idx) == CK_DIM))) {
        ck_error(c, a->span, "%s(n) takes one dimension: a name or a positive integer", a->name);
        return ck_err();
    }
    if (d->kind == SG_AST_NUM) {
        if (!dim_num_ok(c, d))
            return ck_err();
        return ck_ok(sg_eye(c->ctx, sg_dim_const(c->ctx, (long)d->num)));
    }
    return ck_ok(sg_eye(c->ctx, idx));
}

/* ones(n), ones(m, n) */
static ck_val call_ones(ck_checker *c, const sg_ast *a)
{
    sg_dim dd[2] = {SG_DIM_ONE, SG_DIM_ONE};
    int i, idx;
    if (a->nargs < 1 || a->nargs > 2) {
        ck_error(c, a->span, "ones takes one or two dimensions: ones(n) or ones(m, n)");
        return ck_err();
    }
    for (i = 0; i < a->nargs; i++) {
        const sg_ast *d = a->args[i];
        if (d->kind == SG_AST_NUM) {
            if (!dim_num_ok(c, d))
                return ck_err();
            dd[i] = sg_dim_const(c->ctx, (long)d->num);
        } else if (d->kind == SG_AST_NAME && ck_lookup(c, d->name, &idx) == CK_DIM)
            dd[i] = idx;
        else {
            ck_error(c, d->span, "a dimension must be a name or a positive integer");
            return ck_err();
        }
    }
    return ck_ok(sg_ones(c->ctx, sg_shape_make(dd[0], dd[1])));
}

/* dot(a, b) */
static ck_val call_dot(ck_checker *c, const sg_ast *a)
{
    ck_val args[2];
    args[0] = ck_check(c, a->args[0], CK_ANY);
    args[1] = ck_check(c, a->args[1], CK_ANY);
    if (args[0].st == CK_POLY && args[1].st == CK_OK)
        args[0] = ck_check(c, a->args[0], ck_want_of(args[1].e->shape));
    if (args[1].st == CK_POLY && args[0].st == CK_OK)
        args[1] = ck_check(c, a->args[1], ck_want_of(args[0].e->shape));
    args[0] = ck_need_size(c, args[0]);
    args[1] = ck_need_size(c, args[1]);
    if (args[0].st != CK_OK || args[1].st != CK_OK)
        return ck_err();
    if (!sg_shape_eq(args[0].e->shape, args[1].e->shape)) {
        ck_error(c, a->span, "the inner product needs equal shapes, not %s and %s",
                 ck_shape_str(c, args[0].e->shape), ck_shape_str(c, args[1].e->shape));
        return ck_err();
    }
    return ck_ok(sg_dot(c->ctx, args[0].e, args[1].e));
}

/*
 * max(a, b) and min(a, b), elementwise, with a scalar on either side
 * broadcast as + broadcasts it. They are not ops of their own: each is
 * written with relu, whose kink they share,
 *     max(a, b) = b + relu(a − b),    min(a, b) = b − relu(b − a),
 * so that every pass after us (derivatives, values, C, formulas, TeX,
 * steps) already knows them. The derivative with respect to a is
 * step(a − b) for max and step(b − a) for min, and with respect to b its
 * complement; step(0) = 0, so at a tie (a = b) the derivative goes to the
 * second argument, b. The values are fmax's and fmin's on finite numbers;
 * since relu(NaN) = 0 (in eval.c and in the C alike), a NaN as a gives b
 * and a NaN as b gives NaN, and an infinite a − b where both are infinite,
 * or b infinite and a finite on the side it loses (max(1, −∞)), gives NaN.
 */
static ck_val call_maxmin(ck_checker *c, const sg_ast *a, ck_want w)
{
    sg_ctx *x = c->ctx;
    int is_max = !strcmp(a->name, "max");
    ck_val va = ck_check(c, a->args[0], w), vb = ck_check(c, a->args[1], w);
    sg_expr *kink;
    if (va.st == CK_POLY && vb.st == CK_OK && !is_scalar(&vb))
        va = ck_check(c, a->args[0], ck_want_of(vb.e->shape));
    else if (vb.st == CK_POLY && va.st == CK_OK && !is_scalar(&va))
        vb = ck_check(c, a->args[1], ck_want_of(va.e->shape));
    va = ck_need_size(c, va);
    vb = ck_need_size(c, vb);
    if (va.st != CK_OK || vb.st != CK_OK)
        return ck_err();
    if (!elementwise_fits(va.e->shape, vb.e->shape)) {
        ck_error(c, a->span, "%s takes equal shapes, or a scalar on either side, not %s and %s",
                 a->name, ck_shape_str(c, va.e->shape), ck_shape_str(c, vb.e->shape));
        return ck_err();
    }
    kink = sg_unary(x, SG_OP_RELU, is_max ? elementwise(x, SG_AST_SUB, va.e, vb.e)
                                          : elementwise(x, SG_AST_SUB, vb.e, va.e));
    return ck_ok(elementwise(x, is_max ? SG_AST_ADD : SG_AST_SUB, vb.e, kink));
}

/* f(e) for a function f of one argument; elementwise functions pass the
   wanted shape through */
static ck_val call_unary(ck_checker *c, const sg_ast *a, const func_t *f, ck_want w)
{
    sg_ctx *x = c->ctx;
    ck_val v;
    if (sg_op_is_elementwise_unary(f->op)) {
        v = ck_check(c, a->args[0], w);
        if (v.st != CK_OK)
            return v;
        /* log|K| and log(det K): the log-determinant, computed from a factor */
        if (f->op == SG_OP_LOG && v.e->op == SG_OP_DET)
            return ck_ok(sg_unary(x, SG_OP_LOGDET, v.e->kid[0]));
        return ck_ok(sg_unary(x, f->op, v.e));
    }
    v = ck_need_size(c, ck_check(c, a->args[0], CK_ANY));
    if (v.st != CK_OK)
        return v;
    switch (f->op) {
    case SG_OP_SUM: return ck_ok(sg_sum(x, v.e));
    case SG_OP_NORM:
    case SG_OP_NORM1:
    case SG_OP_SOFTMAX:
    case SG_OP_LOGSOFTMAX:
    case SG_OP_LOGSUMEXP:
        if (f->op != SG_OP_NORM && f->op != SG_OP_NORM1)
            ck_colfn_seen(c, a, v.e->shape);
        return ck_ok(sg_unary(x, f->op, v.e));
    default:
        break;
    }
    if (!strcmp(f->name, "mean")) {
        sg_expr *n = sg_mul(x, sg_dimval(x, v.e->shape.rows), sg_dimval(x, v.e->shape.cols));
        return ck_ok(sg_div(x, sg_sum(x, v.e), n));
    }
    if (!strcmp(f->name, "diag")) {
        if (v.e->shape.cols == SG_DIM_ONE && v.e->shape.rows != SG_DIM_ONE)
            return ck_ok(sg_diag(x, v.e));
        if (v.e->shape.rows == v.e->shape.cols && !is_scalar(&v))
            return ck_ok(sg_diagv(x, v.e));
        ck_error(c, a->span, "diag takes a vector or a square matrix, not %s",
                 ck_shape_str(c, v.e->shape));
        return ck_err();
    }
    /* tr, det, logdet, inv: square matrices */
    if (v.e->shape.rows != v.e->shape.cols) {
        ck_error(c, a->span, "%s needs a square matrix, but %s is %s", a->name,
                 text_of(c, a->args[0]->span), ck_shape_str(c, v.e->shape));
        return ck_err();
    }
    if (f->op == SG_OP_TRACE)
        return ck_ok(sg_trace(x, v.e));
    if (is_scalar(&v)) {
        if (f->op == SG_OP_INV)
            return ck_ok(sg_pow(x, v.e, sg_const(x, -1)));
        if (f->op == SG_OP_DET)
            return v;
        return ck_ok(sg_unary(x, SG_OP_LOG, sg_unary(x, SG_OP_ABS, v.e)));
    }
    return ck_ok(sg_unary(x, f->op, v.e));
}

/* f(args), f|e|, f‖e‖ — or, when f is a value, a product */
static ck_val check_call(ck_checker *c, const sg_ast *a, ck_want w)
{
    int idx;
    ck_name_kind k = ck_lookup(c, a->name, &idx);
    const func_t *f;
    if (a->symbol) { /* √e */
        k = CK_FUNC;
    } else if (k == CK_SEQ) {
        sg_ast name = *a;
        name.kind = SG_AST_NAME;
        name.span = a->name_span;
        return check_name(c, &name, w, NULL);
    }
    if (k == CK_SYM || k == CK_DEF || k == CK_DIM || (k == CK_NONE && strcmp(a->name, "I")))
        return call_as_product(c, a, w, k);
    f = find_func(a->name);
    if (!strcmp(a->name, "I") || (f && f->op == SG_OP_EYE))
        return call_eye(c, a);
    if (f->op == SG_OP_ONES)
        return call_ones(c, a);
    if (a->nargs != f->nargs) {
        ck_error(c, a->span, "%s takes %d argument%s, not %d", a->name, f->nargs,
                 f->nargs == 1 ? "" : "s", a->nargs);
        return ck_err();
    }
    if (f->op == SG_OP_DOT)
        return call_dot(c, a);
    if (f->op == SG_OP_COUNT && f->nargs == 2)
        return call_maxmin(c, a, w);
    return call_unary(c, a, f, w);
}

/* the e of ‖e‖₂ (a: the norm), which must not be a matrix: its spectral
   norm is not a function symgrad has */
static ck_val norm2_arg(ck_checker *c, const sg_ast *a, ck_val v)
{
    if (v.st != CK_OK || !a->symbol || v.e->shape.rows == SG_DIM_ONE ||
        v.e->shape.cols == SG_DIM_ONE)
        return v;
    ck_error(c, a->span, "‖·‖₂ of a matrix is its spectral norm, which symgrad does not have: "
                         "%s is %s; write ‖%s‖_F or ‖%s‖ for the Frobenius norm",
             text_of(c, a->a->span), ck_shape_str(c, v.e->shape), text_of(c, a->a->span),
             text_of(c, a->a->span));
    return ck_err();
}

/* eᵀ, e⁻¹, e^p, e.^p; ‖e‖² is ⟨e, e⟩ */
static ck_val check_postfix(ck_checker *c, const sg_ast *a, ck_want w)
{
    ck_val v;
    ck_want inner = a->kind == SG_AST_TRANSPOSE ? want_t(w) : w;
    if (a->kind == SG_AST_POW && a->a->kind == SG_AST_NORM && is_num(a->b, 2)) {
        /* ‖e‖² is ⟨e, e⟩ */
        v = norm2_arg(c, a->a, ck_need_size(c, ck_check(c, a->a->a, CK_ANY)));
        return v.st == CK_OK ? ck_ok(sg_dot(c->ctx, v.e, v.e)) : v;
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
        return ck_check(c, &jux, w);
    }
    return apply_postfix(c, a, ck_check(c, a->a, inner));
}

/* |e|: abs of a scalar, det of a square matrix */
static ck_val check_bars(ck_checker *c, const sg_ast *a)
{
    sg_ctx *x = c->ctx;
    ck_val v;
    v = ck_need_size(c, ck_check(c, a->a, CK_ANY));
    if (v.st != CK_OK)
        return v;
    if (is_scalar(&v))
        return ck_ok(sg_unary(x, SG_OP_ABS, v.e));
    if (v.e->shape.rows == v.e->shape.cols)
        return ck_ok(sg_unary(x, SG_OP_DET, v.e));
    ck_error(c, a->span, "|%s| of %s: write abs(%s) for the elementwise absolute value or ‖%s‖ "
                         "for the norm (|A| is the determinant of a square matrix)",
             text_of(c, a->a->span), ck_shape_str(c, v.e->shape), text_of(c, a->a->span),
             text_of(c, a->a->span));
    return ck_err();
}

static ck_val check_node(ck_checker *c, const sg_ast *a, ck_want w)
{
    sg_ctx *x = c->ctx;
    ck_val v;
    switch (a->kind) {
    case SG_AST_NUM:
        return ck_ok(sg_const(x, a->num));
    case SG_AST_NAME:
        return check_name(c, a, w, NULL);
    case SG_AST_CALL:
        return check_call(c, a, w);
    case SG_AST_INDEX:
        return ck_check_index(c, a);
    case SG_AST_SUMOVER:
        return ck_check_sumover(c, a, w);
    case SG_AST_NEG:
        v = ck_check(c, a->a, w);
        return v.st == CK_OK ? ck_ok(sg_neg(x, v.e)) : v;
    case SG_AST_POS:
        return ck_check(c, a->a, w);
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
        ck_val vb;
        v = ck_check(c, a->a, w);
        vb = need_scalar(c, a->b, ck_check(c, a->b, CK_ANY), "a divisor");
        if (vb.st == CK_OK && v.st == CK_OK)
            return ck_ok(sg_div(x, v.e, vb.e));
        if (vb.st == CK_ERR || v.st == CK_ERR)
            return ck_err();
        return v;
    }
    case SG_AST_TRANSPOSE:
    case SG_AST_INVERSE:
    case SG_AST_POW:
    case SG_AST_EPOW:
        return check_postfix(c, a, w);
    case SG_AST_NORM:
    case SG_AST_NORM1:
        v = norm2_arg(c, a, ck_need_size(c, ck_check(c, a->a, CK_ANY)));
        return v.st == CK_OK
                   ? ck_ok(sg_unary(x, a->kind == SG_AST_NORM ? SG_OP_NORM : SG_OP_NORM1, v.e))
                   : v;
    case SG_AST_BARS:
        return check_bars(c, a);
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
    return ck_err();
}

/*
 * ck_check() remembers its answer for each (subtree, wanted shape). A subtree
 * that answers CK_POLY is checked again once its sibling tells the size, and
 * that second check checks its own CK_POLY subtrees again: without the memo,
 * `𝟙 W W W …` takes 2ⁿ steps. A subtree is checked in one context only (its
 * statement, its loop), and its answer does not change, errors included:
 * the memo also keeps an error from being reported twice.
 */
struct memo {
    const sg_ast *a; /* NULL: an empty slot */
    ck_want w;
    ck_val v;
};

void ck_forget(ck_checker *c)
{
    if (c->capmemo)
        memset(c->memo, 0, c->capmemo * sizeof *c->memo);
    c->nmemo = 0;
}

static unsigned memo_slot(const ck_checker *c, const sg_ast *a, ck_want w)
{
    size_t h = (size_t)a / sizeof(void *);
    unsigned i = (unsigned)(h * 2654435761u) ^ (unsigned)(w.r * 31 + w.c) * 40503u;
    for (i &= c->capmemo - 1;; i = (i + 1) & (c->capmemo - 1)) {
        const struct memo *m = &c->memo[i];
        if (!m->a || (m->a == a && m->w.r == w.r && m->w.c == w.c))
            return i;
    }
}

static void memo_grow(ck_checker *c)
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
int ck_size_overflows(ck_checker *c, sg_shape s, sg_span at, const char *what)
{
    const sg_diminfo *r = sg_dim_get(c->ctx, s.rows), *k = sg_dim_get(c->ctx, s.cols);
    unsigned long long n;
    if (r->name || k->name)
        return 0;
    n = (unsigned long long)r->value * (unsigned long long)k->value;
    if (n <= (unsigned long long)((size_t)-1 / sizeof(double)))
        return 0;
    if (!c->size_reported)
        ck_error(c, at, "%s is %s: its size in bytes overflows a size_t",
                 what ? what : text_of(c, at), ck_shape_str(c, s));
    c->size_reported = 1;
    return 1;
}

/* has the DAG outgrown SG_MAX_NODES? Reported once, at `at` */
int ck_too_large(ck_checker *c, sg_span at)
{
    if (sg_expr_count(c->ctx) <= SG_MAX_NODES)
        return 0;
    if (!c->too_large)
        ck_error(c, at, "the problem is too large: more than %u expression nodes", SG_MAX_NODES);
    c->too_large = 1;
    return 1;
}

ck_val ck_check(ck_checker *c, const sg_ast *a, ck_want w)
{
    ck_val v;
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
            ck_error(c, a->span, "expression too deep to check (more than %d levels)",
                     MAX_CHECK_DEPTH);
        c->depth_reported = 1;
        return ck_err();
    }
    c->depth++;
    v = check_node(c, a, w);
    c->depth--;
    if (ck_too_large(c, a->span))
        v = ck_err();
    else if (v.st == CK_OK && ck_size_overflows(c, v.e->shape, a->span, NULL))
        v = ck_err();
    if (2 * (c->nmemo + 1) > c->capmemo)
        memo_grow(c);
    i = memo_slot(c, a, w);
    c->memo[i].a = a;
    c->memo[i].w = w;
    c->memo[i].v = v;
    c->nmemo++;
    return v;
}

/* ---- names in statements ---------------------------------------------------- */

/* a name the generated C can use as it is: an identifier, not a C keyword */
int ck_is_c_identifier(const char *s)
{
    return sg_cident_is(s) && !sg_cident_c99_keyword(s);
}

/* a name about to be declared or defined must be new */
int ck_fresh(ck_checker *c, const char *name, sg_span at, const char *what)
{
    int idx;
    unsigned line, col;
    ck_name_kind k = ck_lookup(c, name, &idx);
    if (k == CK_SYM || k == CK_DEF || k == CK_SEQ) {
        sg_span prev = k == CK_SYM   ? sg_sym_get(c->ctx, idx)->span
                       : k == CK_DEF ? c->defs[idx].span
                                    : sg_seq_get(c->ctx, idx)->span;
        sg_src_linecol(c->src, prev.begin, &line, &col);
        ck_error(c, at, "%s is already %s at line %u", name,
                 k == CK_SYM || (k == CK_SEQ && sg_seq_get(c->ctx, idx)->kind == SG_SEQ_INPUT)
                     ? "declared"
                     : "defined",
                 line);
        return 0;
    }
    if (k == CK_DIM) {
        ck_error(c, at, "%s is a dimension; it cannot also be %s", name, what);
        return 0;
    }
    if (!strcmp(name, "I") || !strcmp(name, "ones")) {
        ck_error(c, at, "%s is the built-in %s; it cannot also be %s", name,
                 !strcmp(name, "I") ? "identity matrix" : "all-ones 𝟙", what);
        return 0;
    }
    return 1;
}

int ck_declarable(ck_checker *c, const sg_ident *n)
{
    if (!ck_fresh(c, n->name, n->span, "declared"))
        return 0;
    if (!ck_is_c_identifier(n->name)) {
        ck_error(c, n->span, "'%s' cannot be used as a name in C; choose another", n->name);
        return 0;
    }
    return 1;
}

int ck_dim_of(ck_checker *c, const sg_ident *id, sg_dim *out)
{
    int idx;
    ck_name_kind k;
    if (!id->name) {
        if (id->value < 1) {
            ck_error(c, id->span, "a dimension must be a positive integer or a name");
            return 0;
        }
        *out = sg_dim_const(c->ctx, id->value);
        return 1;
    }
    k = ck_lookup(c, id->name, &idx);
    if (k == CK_SYM || k == CK_DEF || k == CK_SEQ) {
        ck_error(c, id->span, "%s is %s, not a dimension", id->name,
                 k == CK_SYM   ? "a declared symbol" : k == CK_DEF ? "a definition" : "a sequence");
        return 0;
    }
    if (!ck_is_c_identifier(id->name)) {
        ck_error(c, id->span, "'%s' cannot be a dimension name", id->name);
        return 0;
    }
    *out = sg_dim_named(c->ctx, id->name);
    return 1;
}
