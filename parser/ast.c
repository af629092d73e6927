/*
 * ast.c: the syntax tree's constructors and its dump.
 *
 * A constructor only allocates and fills in: the grammar has already decided
 * what the node is, and the span it is given (or the span joining its
 * operands) is the source text it stands for.
 */
#include "ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static sg_ast *node(sg_arena *a, sg_ast_kind k, sg_span span)
{
    sg_ast *e = sg_arena_alloc(a, sizeof *e);
    e->kind = k;
    e->span = span;
    return e;
}

sg_ast *sg_ast_num(sg_arena *a, sg_span span, double v)
{
    sg_ast *e = node(a, SG_AST_NUM, span);
    e->num = v;
    return e;
}

sg_ast *sg_ast_name(sg_arena *a, sg_span span, const char *name)
{
    sg_ast *e = node(a, SG_AST_NAME, span);
    e->name = name;
    e->name_span = span;
    return e;
}

sg_ast *sg_ast_unary(sg_arena *a, sg_ast_kind k, sg_span span, sg_ast *x)
{
    sg_ast *e = node(a, k, span);
    e->a = x;
    return e;
}

sg_ast *sg_ast_binary(sg_arena *a, sg_ast_kind k, sg_ast *x, sg_ast *y)
{
    sg_ast *e = node(a, k, sg_span_join(x->span, y->span));
    e->a = x;
    e->b = y;
    return e;
}

sg_ast *sg_ast_call(sg_arena *a, sg_span span, const char *name, sg_span name_span,
                    sg_ast **args, int nargs)
{
    sg_ast *e = node(a, SG_AST_CALL, span);
    e->name = name;
    e->name_span = name_span;
    e->args = args;
    e->nargs = nargs;
    return e;
}

sg_ast *sg_ast_index(sg_arena *a, sg_span span, const char *name, sg_span name_span,
                     sg_ast *i)
{
    sg_ast *e = node(a, SG_AST_INDEX, span);
    e->name = name;
    e->name_span = name_span;
    e->args = sg_arena_alloc(a, sizeof *e->args);
    e->args[0] = i;
    e->nargs = 1;
    return e;
}

sg_ast *sg_ast_inner(sg_arena *a, sg_span span, sg_ast *x, sg_ast *y)
{
    sg_ast *e = node(a, SG_AST_INNER, span);
    e->a = x;
    e->b = y;
    return e;
}

sg_ast *sg_ast_power(sg_arena *a, sg_ast *x, double p, sg_span p_span)
{
    return sg_ast_binary(a, SG_AST_POW, x, sg_ast_num(a, p_span, p));
}

sg_ast *sg_ast_sumover(sg_arena *a, sg_span span, const char *var, sg_span var_span,
                       sg_ast *lo, sg_ast *hi, sg_ast *body)
{
    sg_ast *e = node(a, SG_AST_SUMOVER, span);
    e->name = var;
    e->name_span = var_span;
    e->args = sg_arena_alloc(a, 2 * sizeof *e->args);
    e->args[0] = lo;
    e->args[1] = hi;
    e->nargs = 2;
    e->a = body;
    return e;
}

/*
 * The chain an operator belongs to: a + b − c, a b · c (matrix products) and
 * a ⊙ b ⊙ c are written flat and read left-associatively, so the grammar
 * makes them left-leaning trees as deep as they are long. Such a chain is
 * one level, however long: every pass walks it in a loop. 0: not a chain
 * operator.
 */
int sg_ast_chain(sg_ast_kind k)
{
    switch (k) {
    case SG_AST_ADD: case SG_AST_SUB:
        return 1;
    case SG_AST_MUL: case SG_AST_JUX:
        return 2;
    case SG_AST_HADAMARD:
        return 3;
    default:
        return 0;
    }
}

const char *sg_ast_kind_name(sg_ast_kind k)
{
    static const char *const names[] = {
        [SG_AST_NUM] = "NUM",
        [SG_AST_NAME] = "NAME",
        [SG_AST_CALL] = "CALL",
        [SG_AST_INDEX] = "INDEX",
        [SG_AST_NEG] = "NEG",
        [SG_AST_POS] = "POS",
        [SG_AST_ADD] = "ADD",
        [SG_AST_SUB] = "SUB",
        [SG_AST_MUL] = "MUL",
        [SG_AST_JUX] = "JUX",
        [SG_AST_DIV] = "DIV",
        [SG_AST_HADAMARD] = "HADAMARD",
        [SG_AST_HDIV] = "HDIV",
        [SG_AST_EPOW] = "EPOW",
        [SG_AST_POW] = "POW",
        [SG_AST_TRANSPOSE] = "TRANSPOSE",
        [SG_AST_INVERSE] = "INVERSE",
        [SG_AST_NORM] = "NORM",
        [SG_AST_NORM1] = "NORM1",
        [SG_AST_BARS] = "BARS",
        [SG_AST_INNER] = "INNER",
        [SG_AST_SUMOVER] = "SUMOVER",
    };
    if ((unsigned)k < sizeof names / sizeof names[0] && names[k])
        return names[k];
    return "?";
}

/* a bounded writer: what does not fit is dropped, the text stays terminated */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (o->len + 1 >= o->cap)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

/* recursive, but never deeper than the buffer allows: the indentation of
   depth d takes 2d bytes, so a full buffer stops it at √cap levels */
static void dump(const sg_ast *e, int depth, out_t *o)
{
    int i;
    if (o->len + 1 >= o->cap)
        return;
    put(o, "%*s", 2 * depth, "");
    if (!e) {
        put(o, "(null)\n");
        return;
    }
    put(o, "%s", sg_ast_kind_name(e->kind));
    if (e->kind == SG_AST_NUM)
        put(o, " %g", e->num);
    else if (e->name)
        put(o, " %s", e->name);
    put(o, "\n");
    for (i = 0; i < e->nargs; i++)
        dump(e->args[i], depth + 1, o);
    if (e->a)
        dump(e->a, depth + 1, o);
    if (e->b)
        dump(e->b, depth + 1, o);
}

void sg_ast_dump(const sg_ast *e, char *buf, size_t cap)
{
    out_t o;
    if (!cap)
        return;
    o.buf = buf;
    o.cap = cap;
    o.len = 0;
    buf[0] = '\0';
    dump(e, 0, &o);
}
