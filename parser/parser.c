/*
 * parser.c: sg_parse(), and what the grammar's actions call.
 *
 * The grammar (parser.y) is kept free of C beyond one call per action; what
 * those calls need to do — grow lists in the arena, check a dimension,
 * append a statement, word a syntax error — lives here, where it is compiled
 * with the project's warnings.
 */
#include "parser.h"

#include <math.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/grow.h"
#include "../base/suggest.h"
#include "actions.h"
#include "grammar.h"

/* ---- lists ------------------------------------------------------------------ */

/* room for element n of a list of `elem`-byte elements in the arena: a full
   list is copied into one twice as large (the old array stays in the arena:
   lists are short), up to the limit of base/grow.h */
static void *list_room(sg_parser *p, void *v, int n, int *cap, size_t elem, const char *what)
{
    void *grown;
    if (n < *cap)
        return v;
    *cap = (int)sg_grow_cap((size_t)n + 1, (size_t)*cap, elem, SG_GROW_MAX, what);
    grown = sg_arena_alloc(p->arena, (size_t)*cap * elem);
    if (n)
        memcpy(grown, v, (size_t)n * elem);
    return grown;
}

sg_ast_vec sg_parse_args(sg_parser *p, const sg_ast_vec *list, sg_ast *e)
{
    sg_ast_vec v = {NULL, 0, 0};
    if (list)
        v = *list;
    v.v = list_room(p, v.v, v.n, &v.cap, sizeof *v.v, "arguments in one call");
    v.v[v.n++] = e;
    return v;
}

sg_ident_vec sg_parse_names(sg_parser *p, const sg_ident_vec *list, const char *name,
                            sg_span span)
{
    sg_ident_vec v = {NULL, 0, 0};
    if (list)
        v = *list;
    v.v = list_room(p, v.v, v.n, &v.cap, sizeof *v.v, "names in one list");
    v.v[v.n].name = name;
    v.v[v.n].value = 0;
    v.v[v.n].span = span;
    v.n++;
    return v;
}

/* ---- declarations ----------------------------------------------------------- */

sg_ident sg_parse_dim_name(sg_span span, const char *name)
{
    sg_ident d;
    d.name = name;
    d.value = 0;
    d.span = span;
    return d;
}

sg_ident sg_parse_dim_num(sg_parser *p, sg_span span, double v)
{
    sg_ident d;
    d.name = NULL;
    d.value = 1; /* what the checker sees after an error */
    d.span = span;
    if (v < 1 || v != floor(v))
        sg_src_error(p->src, span, "a dimension must be a positive integer or a name");
    else if (v > (double)SG_MAX_DIM)
        sg_src_error(p->src, span, "a dimension must be at most %ld", SG_MAX_DIM);
    else
        d.value = (long)v;
    return d;
}

sg_typedecl sg_parse_type(sg_type_kind kind, const sg_ident *d0, const sg_ident *d1)
{
    sg_typedecl t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    if (d0)
        t.dims[t.ndims++] = *d0;
    if (d1)
        t.dims[t.ndims++] = *d1;
    return t;
}

sg_range sg_parse_range(const char *var, sg_span var_span, sg_ast *lo, sg_ast *hi)
{
    sg_range r;
    r.var.name = var;
    r.var.value = 0;
    r.var.span = var_span;
    r.lo = lo;
    r.hi = hi;
    return r;
}

/* ---- expressions ------------------------------------------------------------ */

/* (e) is e, spanning the parentheses too, so that an operation on it spans
   all of its text, and marked grouped, so that a postfix after it applies to
   all of e even when the checker splits a name inside it: (Ax)ᵀ is (A x)ᵀ */
sg_ast *sg_parse_paren(sg_ast *e, sg_span span)
{
    e->span = span;
    e->grouped = 1;
    return e;
}

sg_ast *sg_parse_call1(sg_parser *p, sg_span span, const char *name, sg_span name_span,
                       sg_ast *arg)
{
    sg_ast **args = sg_arena_alloc(p->arena, sizeof *args);
    args[0] = arg;
    return sg_ast_call(p->arena, span, name, name_span, args, 1);
}

sg_ast *sg_parse_norm2(sg_parser *p, sg_span span, sg_ast *arg)
{
    sg_ast *e = sg_ast_unary(p->arena, SG_AST_NORM, span, arg);
    e->symbol = 1;
    return e;
}

sg_ast *sg_parse_root(sg_parser *p, sg_span span, sg_span root_span, sg_ast *arg)
{
    sg_ast *e = sg_parse_call1(p, span, "sqrt", root_span, arg);
    e->symbol = 1;
    return e;
}

sg_ast *sg_parse_sum(sg_parser *p, sg_span span, const char *fn, sg_span fn_span,
                     const char *var, sg_span var_span, sg_ast *lo, sg_ast *hi,
                     sg_ast *body)
{
    if (strcmp(fn, "sum") != 0)
        sg_src_error(p->src, fn_span,
                     "only sum takes a range: sum(%s = lo..hi, e), not %s(…)", var, fn);
    return sg_ast_sumover(p->arena, span, var, var_span, lo, hi, body);
}

/* is e deeper than `budget` levels? (recursing at most `budget` deep: the
   left operand of a chain continues the chain at the same level) */
static int too_deep(const sg_ast *e, int budget)
{
    int i;
    while (e) {
        int chain = sg_ast_chain(e->kind);
        if (budget == 0)
            return 1;
        for (i = 0; i < e->nargs; i++)
            if (too_deep(e->args[i], budget - 1))
                return 1;
        if (e->b && too_deep(e->b, budget - 1))
            return 1;
        if (!(chain && e->a && sg_ast_chain(e->a->kind) == chain))
            budget--;
        e = e->a;
    }
    return 0;
}

/* e, or NULL after reporting it when it is too deep for the passes after us */
static sg_ast *shallow(sg_parser *p, sg_ast *e)
{
    if (e && too_deep(e, SG_PARSE_MAX_DEPTH)) {
        sg_src_error(p->src, e->span, "expression nested too deeply (more than %d levels)",
                     SG_PARSE_MAX_DEPTH);
        return NULL;
    }
    return e;
}

/* ---- statements ------------------------------------------------------------- */

static sg_stmt *stmt(sg_parser *p, sg_stmt_kind kind, sg_span span)
{
    sg_stmt *s = sg_arena_alloc(p->arena, sizeof *s);
    s->kind = kind;
    s->span = span;
    *p->tail = s;
    p->tail = &s->next;
    return s;
}

static void set_names(sg_stmt *s, const sg_ident_vec *names)
{
    if (names) {
        s->names = names->v;
        s->nnames = names->n;
    }
}

static void set_range(sg_parser *p, sg_stmt *s, const sg_range *range)
{
    if (range) {
        s->range_var = range->var;
        s->range_lo = shallow(p, range->lo);
        s->range_hi = shallow(p, range->hi);
    }
}

void sg_parse_decl(sg_parser *p, sg_span span, const sg_ident_vec *names, const char *seq,
                   sg_span seq_span, sg_ast *index, const sg_typedecl *type,
                   const sg_range *range)
{
    sg_stmt *s = stmt(p, SG_STMT_DECL, span);
    if (names) {
        set_names(s, names);
    } else { /* x[t] ∈ …: one name, the sequence */
        sg_ident_vec one = sg_parse_names(p, NULL, seq, seq_span);
        set_names(s, &one);
    }
    s->type = type->kind;
    s->dims[0] = type->dims[0];
    s->dims[1] = type->dims[1];
    s->ndims = type->ndims;
    s->index = shallow(p, index);
    set_range(p, s, range);
}

void sg_parse_def(sg_parser *p, sg_span span, const char *name, sg_span name_span,
                  sg_ast *index, sg_ast *e, const sg_range *range)
{
    sg_stmt *s = stmt(p, SG_STMT_DEF, span);
    s->target.name = name;
    s->target.span = name_span;
    s->index = shallow(p, index);
    s->expr = shallow(p, e);
    set_range(p, s, range);
}

void sg_parse_decl_failed(sg_parser *p, const sg_ident_vec *names)
{
    int i;
    for (i = 0; i < names->n; i++)
        sg_parse_def(p, names->v[i].span, names->v[i].name, names->v[i].span, NULL, NULL, NULL);
}

void sg_parse_request(sg_parser *p, sg_stmt_kind kind, sg_span span, const char *name,
                      sg_span name_span, const sg_ident_vec *wrt)
{
    sg_stmt *s = stmt(p, kind, span);
    s->target.name = name;
    s->target.span = name_span;
    set_names(s, wrt);
    if (kind == SG_STMT_HESSIAN && wrt->n > 2)
        sg_src_error(p->src, wrt->v[2].span,
                     "a Hessian is taken with respect to one or two variables");
}

void sg_parse_list(sg_parser *p, sg_stmt_kind kind, sg_span span, const sg_ident_vec *names)
{
    set_names(stmt(p, kind, span), names);
}

void sg_parse_prefix(sg_parser *p, sg_span span, const char *name, sg_span name_span)
{
    sg_stmt *s = stmt(p, SG_STMT_PREFIX, span);
    s->target.name = name;
    s->target.span = name_span;
}

static sg_ident ident(const char *name, sg_span span)
{
    sg_ident id;
    id.name = name;
    id.value = 0;
    id.span = span;
    return id;
}

sg_deriv sg_parse_deriv(sg_parser *p, sg_span span, int order, const char *of, sg_span of_span,
                        const char *wrt, sg_span wrt_span)
{
    sg_deriv d;
    d.order = order;
    d.of = ident(of, of_span);
    d.wrt = ident(wrt, wrt_span);
    d.span = span;
    if (!order)
        sg_src_error(p->src, span, "a second derivative is written ∂²%s/∂%s²", of, wrt);
    return d;
}

/* dL/dW: L and W; d2L/dw2: L and w, order 2 */
sg_deriv sg_parse_deriv_ascii(sg_parser *p, sg_span span, const char *num, sg_span num_span,
                              const char *den, sg_span den_span)
{
    size_t nn = strlen(num), nd = strlen(den);
    int order = nn > 2 && num[0] == 'd' && num[1] == '2' ? 2 : 1;
    sg_span of_span = num_span, wrt_span = den_span;
    if (num[0] != 'd' || nn < 2 || den[0] != 'd' || nd < 2 ||
        (order == 2 && (nd < 3 || den[nd - 1] != '2'))) {
        sg_deriv bad;
        memset(&bad, 0, sizeof bad);
        bad.span = span;
        sg_src_error(p->src, span, "an answer names its derivative as ∂L/∂W, or in ASCII "
                                   "dL/dW (d2L/dw2 for a Hessian)");
        return bad;
    }
    of_span.begin += (unsigned)order;
    wrt_span.begin += 1;
    if (order == 2)
        wrt_span.end -= 1;
    return sg_parse_deriv(p, span, order, sg_arena_strdup(p->arena, num + order), of_span,
                          sg_arena_strndup(p->arena, den + 1, nd - (size_t)order), wrt_span);
}

void sg_parse_answer(sg_parser *p, sg_span span, const sg_deriv *d, sg_ast *e)
{
    sg_stmt *s;
    if (!d->order)
        return;
    s = stmt(p, SG_STMT_ANSWER, span);
    s->target = d->of;
    s->names = sg_arena_alloc(p->arena, sizeof *s->names);
    s->names[0] = d->wrt;
    s->nnames = 1;
    s->order = d->order;
    s->head = d->span;
    s->expr = shallow(p, e);
}

/* ---- syntax errors ---------------------------------------------------------- */

/* the unexpected token as written: 'x', end of line, end of input */
static void describe(sg_parser *p, sg_buf *b, int kind, sg_span at)
{
    const char *text = p->src->text + at.begin;
    unsigned n = at.end - at.begin, cut = n;
    if (kind == TK_YYEOF || (kind == TK_END && at.begin >= p->src->len)) {
        sg_buf_puts(b, "end of input");
        return;
    }
    if (kind == TK_END && *text != ';') {
        sg_buf_puts(b, "end of line");
        return;
    }
    if (n > 24) { /* a huge number or name: its start, cut at a character */
        cut = 20;
        while (cut > 0 && (text[cut] & 0xc0) == 0x80)
            cut--;
    }
    sg_buf_printf(b, "'%.*s%s'", (int)cut, text, cut < n ? "…" : "");
}

static int has(const int *kinds, int n, int kind)
{
    int i;
    for (i = 0; i < n; i++)
        if (kinds[i] == kind)
            return 1;
    return 0;
}

/* the operators that may follow an operand (a name: a call or an index) */
static int is_operator(int kind)
{
    switch (kind) {
    case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_AT: case TK_CDOT: case TK_SLASH:
    case TK_HADAMARD: case TK_HDIV: case TK_EPOW: case TK_CARET: case TK_TRANSPOSE:
    case TK_INVERSE: case TK_POWNUM: case TK_CALL_LPAREN: case TK_LBRACK:
        return 1;
    default:
        return 0;
    }
}

/* the tokens that may start an operand */
static int starts_operand(int kind)
{
    switch (kind) {
    case TK_NUM: case TK_NAME: case TK_LPAREN: case TK_NORM_OPEN: case TK_BAR_OPEN:
    case TK_LANGLE: case TK_MINUS: case TK_PLUS: case TK_SIGMA: case TK_ROOT:
        return 1;
    default:
        return 0;
    }
}

static int starts_type(int kind)
{
    switch (kind) {
    case TK_REALS: case TK_SYMSET: case TK_SPDSET: case TK_SIMPLEX: case TK_SCALAR:
    case TK_VECTOR: case TK_MATRIX: case TK_SYMMETRIC: case TK_SPD: case TK_ONEHOT:
        return 1;
    default:
        return 0;
    }
}

/*
 * What would have fitted, in words. Whole families are named at once: the
 * tokens that start a statement, a type or an expression. After a complete
 * operand, any operator or another factor would fit; naming them all says
 * nothing, so only the other tokens are listed (`(a b ]`: expected ')').
 */
static int expected_words(const int *kinds, int n, const char **words, int max)
{
    int nw = 0, i, operand_done, expr, type;

    if (has(kinds, n, TK_GRAD)) {
        words[0] = "a statement";
        return 1;
    }
    operand_done = has(kinds, n, TK_TRANSPOSE) && has(kinds, n, TK_PLUS);
    expr = !operand_done && has(kinds, n, TK_NUM) && has(kinds, n, TK_NORM_OPEN);
    type = has(kinds, n, TK_REALS);
    if (expr)
        words[nw++] = "an expression";
    if (type)
        words[nw++] = "a type";
    for (i = 0; i < n; i++) {
        int k = kinds[i];
        if ((operand_done && (is_operator(k) || starts_operand(k))) ||
            (expr && starts_operand(k)) || (type && starts_type(k)) || k == TK_YYEOF)
            continue; /* named above, or too many to name; END comes before EOF */
        if (nw == max)
            return max + 1;
        words[nw++] = sg_lex_token_text(k);
    }
    return nw;
}

/* `gard L wrt x`: a statement that starts with a name close to a keyword
   and fails at its second token is that keyword misspelt; 1 when reported */
static int misspelt_keyword(sg_parser *p, sg_span at)
{
    static const char *const keywords[] = {"grad", "jacobian", "hessian", "output", "prefix",
                                           "dim"};
    const char *first = sg_lex_misspelt_keyword(p->lex);
    sg_suggest sug;
    size_t k;
    sg_span name;
    if (!first)
        return 0;
    sg_suggest_init(&sug, first);
    for (k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
        sg_suggest_offer(&sug, keywords[k]);
    if (!sg_suggest_best(&sug))
        return 0;
    /* the first name ends where the whitespace before `at` starts */
    name.end = at.begin;
    while (name.end > 0 && (p->src->text[name.end - 1] == ' ' || p->src->text[name.end - 1] == '\t'))
        name.end--;
    for (name.begin = name.end; name.begin > 0; name.begin--) {
        char ch = p->src->text[name.begin - 1];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == ';')
            break;
    }
    sg_src_error(p->src, name, "unknown statement '%s'; did you mean '%s'?", first,
                 sg_suggest_best(&sug));
    sg_lex_syntax_error(p->lex);
    return 1;
}

void sg_parse_syntax_error(sg_parser *p, sg_span at, int unexpected, const int *expected,
                           int nexpected)
{
    const char *words[4];
    int nw, i;
    sg_buf b;

    /* a made-up closing token fails only where the lexer reported why */
    if (sg_lex_last_synthetic(p->lex)) {
        sg_lex_syntax_error(p->lex);
        return;
    }
    /* inside a bracket left open on an earlier line, the bracket is the
       mistake: what follows it is another statement, not an error of its own */
    if (sg_lex_open_before(p->lex, at)) {
        sg_lex_syntax_error(p->lex);
        return;
    }
    if (misspelt_keyword(p, at))
        return;
    sg_buf_init(&b);
    sg_buf_puts(&b, "unexpected ");
    describe(p, &b, unexpected, at);
    nw = expected_words(expected, nexpected, words, 4);
    if (nw >= 1 && nw <= 4) {
        sg_buf_puts(&b, ", expected ");
        for (i = 0; i < nw; i++)
            sg_buf_printf(&b, "%s%s", i == 0 ? "" : i == nw - 1 ? " or " : ", ", words[i]);
    }
    sg_src_error(p->src, at, "%s", sg_buf_str(&b));
    sg_buf_free(&b);
    sg_lex_syntax_error(p->lex);
}

/* ---- the parser's other calls ----------------------------------------------- */

int sg_yylex(SG_YYSTYPE *value, sg_span *loc, sg_parser *p)
{
    sg_token t;
    sg_lex_next(p->lex, &t);
    *loc = t.span;
    if (t.kind == TK_NAME)
        value->str = t.name;
    else if (t.kind == TK_NUM || t.kind == TK_POWNUM)
        value->num = t.num;
    return t.kind;
}

/* bison's own errors: the parser's stack is full */
void sg_yyerror(sg_span *loc, sg_parser *p, const char *msg)
{
    (void)msg;
    sg_src_error(p->src, *loc, "expression nested too deeply");
}

sg_program *sg_parse(sg_src *src, sg_arena *arena)
{
    sg_parser p;
    p.src = src;
    p.arena = arena;
    p.lex = sg_lex_new(src, arena);
    p.prog = sg_arena_alloc(arena, sizeof *p.prog);
    p.tail = &p.prog->first;
    sg_yyparse(&p);
    sg_lex_free(p.lex);
    return p.prog;
}
