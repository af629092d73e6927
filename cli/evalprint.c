/*
 * evalprint.c: --eval. A small recursive-descent reader for nested lists of
 * numbers, the dimension bookkeeping, and a printer for the values the
 * interpreter (symbolic/eval.c) computes. The interpreter is independent of
 * the C printer, which is what makes --eval a cross-check of generated code.
 *
 * A sequence input x[t] is a list of its steps, each written as a value of
 * its own: x=[[1,2],[3,4],[5,6]] is x[1..3] ∈ ℝ² (T = 3); a sequence of
 * numbers is a flat list. The steps of every recurrence are printed one per
 * line, h[0] = …, h[1] = …, after the definitions.
 */
#include "evalprint.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "../lexer/lex.h"
#include "../symbolic/eval.h"

typedef struct {
    double *v;
    long n, cap;
    long rows, cols; /* rows = 0 for a number; a vector is rows×1 */
} value_t;

typedef struct {
    const char *s;
    const char *spec; /* all of VALUES, for a caret under a mistake */
    sg_buf *err;
} reader;

/*
 * Up to max characters (max < 0: all) of the user's text into a message:
 * a character of UTF-8 as it is, a control byte or a byte that is not UTF-8
 * as \xNN, so that a message can neither move the terminal's cursor nor
 * end in half a character.
 */
static void put_shown(sg_buf *b, const char *text, int max)
{
    const unsigned char *s = (const unsigned char *)text;
    int n;
    for (n = 0; *s && (max < 0 || n < max); n++) {
        int len = *s < 0x80 ? 1 : *s >= 0xC2 && *s <= 0xDF ? 2 : *s >= 0xE0 && *s <= 0xEF ? 3
                : *s >= 0xF0 && *s <= 0xF4 ? 4 : 0, k;
        for (k = 1; k < len; k++)
            if ((s[k] & 0xC0) != 0x80)
                len = 0;
        if (len == 0 || *s < 0x20 || *s == 0x7F) {
            sg_buf_printf(b, "\\x%02X", *s);
            s++;
        } else {
            sg_buf_putn(b, (const char *)s, (size_t)len);
            s += len;
        }
    }
}

static void skip_space(reader *r)
{
    while (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r')
        r->s++;
}

static void push(value_t *val, double x)
{
    SG_GROW(val->v, val->n, val->cap, SG_GROW_MAX, "numbers in an --eval value");
    val->v[val->n++] = x;
}

/* code points of the text s[0..n) as put_shown shows it */
static int shown_width(const char *s, size_t n)
{
    sg_buf t;
    char *c = sg_xmalloc(n + 1);
    int w = 0;
    const char *p;
    memcpy(c, s, n);
    c[n] = '\0';
    sg_buf_init(&t);
    put_shown(&t, c, -1);
    for (p = sg_buf_str(&t); *p; p++)
        w += ((unsigned char)*p & 0xC0) != 0x80;
    sg_buf_free(&t);
    free(c);
    return w;
}

/* under the message, the line of VALUES that holds at, and a caret under
   its n bytes, as a diagnostic in a file shows it */
static void point_at(reader *r, const char *at, size_t n)
{
    const char *line = at, *end = at;
    int col, k, len;
    while (line > r->spec && line[-1] != '\n')
        line--;
    while (*end && *end != '\n')
        end++;
    col = shown_width(line, (size_t)(at - line));
    len = shown_width(at, n);
    sg_buf_puts(r->err, "\n    ");
    {
        char *text = sg_xmalloc((size_t)(end - line) + 1);
        memcpy(text, line, (size_t)(end - line));
        text[end - line] = '\0';
        put_shown(r->err, text, -1);
        free(text);
    }
    sg_buf_puts(r->err, "\n    ");
    for (k = 0; k < col; k++)
        sg_buf_putc(r->err, ' ');
    sg_buf_putc(r->err, '^');
    for (k = 1; k < len; k++)
        sg_buf_putc(r->err, '~');
}

static int number(reader *r, value_t *val)
{
    char *end;
    double x;
    errno = 0;
    x = strtod(r->s, &end);
    if (end == r->s) {
        sg_buf_puts(r->err, "--eval: expected a number at '");
        put_shown(r->err, r->s, 20);
        sg_buf_putc(r->err, '\'');
        point_at(r, r->s, 1);
        return -1;
    }
    if (errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL)) {
        sg_buf_printf(r->err, "--eval: %.*s is too large for a double (at most about 1.8e308)",
                      (int)(end - r->s), r->s);
        point_at(r, r->s, (size_t)(end - r->s));
        return -1;
    }
    r->s = end;
    push(val, x);
    return 0;
}

/* after a list's element: 1 past a ',', 0 at the ']', -1 (reported) else */
static int separator(reader *r)
{
    skip_space(r);
    if (*r->s == ',') {
        r->s++;
        return 1;
    }
    if (*r->s == ']')
        return 0;
    sg_buf_puts(r->err, "--eval: expected ',' or ']' at '");
    put_shown(r->err, r->s, 20);
    sg_buf_putc(r->err, '\'');
    return -1;
}

/* one row of a matrix: [a, b, …]; every row as long as the first */
static int row(reader *r, value_t *val)
{
    long len = 0;
    int sep;
    r->s++; /* [ */
    for (;;) {
        skip_space(r);
        if (number(r, val))
            return -1;
        len++;
        if ((sep = separator(r)) < 0)
            return -1;
        if (!sep)
            break;
    }
    r->s++; /* ] */
    if (val->cols && val->cols != len) {
        sg_buf_puts(r->err, "--eval: the rows of a matrix differ in length");
        return -1;
    }
    val->cols = len;
    return 0;
}

/* a vector [a, b, …] or a matrix as a list of rows [[…], […]] */
static int list(reader *r, value_t *val)
{
    int rows_mode = -1, sep;
    long count = 0;
    r->s++; /* [ */
    for (;;) {
        int is_row;
        skip_space(r);
        is_row = *r->s == '[';
        if (rows_mode >= 0 && rows_mode != is_row) {
            sg_buf_puts(r->err, "--eval: a list holds numbers (a vector) or rows (a matrix), not both");
            return -1;
        }
        rows_mode = is_row;
        if (is_row ? row(r, val) : number(r, val))
            return -1;
        count++;
        if ((sep = separator(r)) < 0)
            return -1;
        if (!sep)
            break;
    }
    r->s++; /* ] */
    val->rows = count;
    if (!rows_mode)
        val->cols = 1;
    return 0;
}

/*
 * the steps of a sequence: [s, s, …], each step a number, a vector [a, b]
 * or a matrix [[a, b], [c, d]], all of one shape; *count gets their number
 * and val the shape of one step
 */
static int steps(reader *r, value_t *val, long *count)
{
    *count = 0;
    r->s++; /* [ */
    for (;;) {
        value_t one;
        long i;
        int sep;
        skip_space(r);
        if (*r->s == ']' && *count == 0)
            break;
        memset(&one, 0, sizeof one);
        if (*r->s == '[' ? list(r, &one) : number(r, &one)) {
            free(one.v);
            return -1;
        }
        if (*count > 0 && (one.rows != val->rows || one.cols != val->cols)) {
            sg_buf_puts(r->err, "--eval: the steps of a sequence differ in shape");
            free(one.v);
            return -1;
        }
        val->rows = one.rows;
        val->cols = one.cols;
        for (i = 0; i < one.n; i++)
            push(val, one.v[i]);
        free(one.v);
        (*count)++;
        if ((sep = separator(r)) < 0)
            return -1;
        if (!sep)
            break;
    }
    r->s++; /* ] */
    return 0;
}

static int find_dim(const sg_ctx *ctx, const char *name)
{
    return sg_dim_find(ctx, name);
}

/* unify dimension d with the value n; -1 and a message on a conflict */
static int bind(const sg_ctx *ctx, long *dims, sg_dim d, long n, const char *who, sg_buf *err)
{
    const sg_diminfo *di = sg_dim_get(ctx, d);
    if (!di->name) {
        if (di->value != n) {
            sg_buf_printf(err, "--eval: %s has %ld where its declaration says %ld", who, n, di->value);
            return -1;
        }
        return 0;
    }
    if (dims[d] && dims[d] != n) {
        sg_buf_printf(err, "--eval: %s makes %s = %ld, but it is %ld elsewhere", who, di->name, n,
                      dims[d]);
        return -1;
    }
    dims[d] = n;
    return 0;
}

static void print_number(sg_buf *out, double x)
{
    if (x == 0)
        x = 0; /* no -0 */
    sg_buf_printf(out, "%.10g", x);
}

static void print_value(sg_buf *out, const double *v, long rows, long cols)
{
    long i, j;
    if (rows == 1 && cols == 1) {
        print_number(out, v[0]);
        return;
    }
    if (cols == 1) {
        sg_buf_putc(out, '[');
        for (i = 0; i < rows * cols; i++) {
            if (i)
                sg_buf_puts(out, ", ");
            print_number(out, v[i]);
        }
        sg_buf_putc(out, ']');
        return;
    }
    sg_buf_putc(out, '[');
    for (i = 0; i < rows; i++) {
        sg_buf_puts(out, i ? ", [" : "[");
        for (j = 0; j < cols; j++) {
            if (j)
                sg_buf_puts(out, ", ");
            print_number(out, v[i * cols + j]);
        }
        sg_buf_putc(out, ']');
    }
    sg_buf_putc(out, ']');
}

/* 0, or -1 when the evaluation passed a limit (sg_eval_error) */
/* name = its values (v, of shape s), or -1 when the evaluation gave up */
static int print_values(sg_buf *out, sg_eval *ev, const char *name, const double *v, sg_shape s)
{
    long rows = sg_eval_rows(ev, s), cols = sg_eval_cols(ev, s);
    if (sg_eval_error(ev))
        return -1;
    sg_buf_printf(out, "%s = ", name);
    if (!v)
        sg_buf_puts(out, "undefined (a singular matrix)");
    else
        print_value(out, v, rows, cols);
    sg_buf_putc(out, '\n');
    return 0;
}

static int print_named(sg_buf *out, sg_eval *ev, const char *name, const sg_expr *e)
{
    return print_values(out, ev, name, sg_eval_expr(ev, e), e->shape);
}

/* what --eval's text gave: each input's value, each dimension's */
typedef struct {
    const sg_ctx *ctx;
    long *dims;      /* by dimension: its value, 0 while not known */
    value_t *vals;   /* by symbol */
    int *given;      /* by symbol: a value was read */
    long *count;     /* by symbol: a sequence's steps */
    sg_arena *ar;
    sg_buf *err;
} binding;

/* the value after "name =": a list of steps, a list, or a number */
static int read_value(reader *r, const binding *bd, int sym, const char *name, value_t *v)
{
    memset(v, 0, sizeof *v);
    if (sym >= 0 && sg_sym_get(bd->ctx, sym)->seq >= 0) { /* a list of steps */
        if (*r->s != '[') {
            sg_buf_printf(r->err, "--eval: %s is a sequence: give the list of its steps", name);
            return -1;
        }
        return steps(r, v, &bd->count[sym]);
    }
    return *r->s == '[' ? list(r, v) : number(r, v);
}

/* v, read for name: an input's value, or a dimension's */
static int bind_value(binding *bd, int sym, const char *name, value_t *v)
{
    int dim = find_dim(bd->ctx, name);
    if (sym >= 0) {
        if (bd->given[sym]) {
            sg_buf_printf(bd->err, "--eval: %s is given twice", name);
            return -1;
        }
        bd->given[sym] = 1;
        bd->vals[sym] = *v;
        v->v = NULL; /* bd owns it now */
        return 0;
    }
    if (dim >= 0 && v->rows == 0) {
        double x = v->v[0];
        if (x < 1 || x != floor(x) || x > 1e9) {
            sg_buf_printf(bd->err, "--eval: the dimension %s must be a positive integer", name);
            return -1;
        }
        return bind(bd->ctx, bd->dims, dim, (long)x, name, bd->err);
    }
    sg_buf_puts(bd->err, "--eval: ");
    put_shown(bd->err, name, -1);
    sg_buf_puts(bd->err, " is not an input or a dimension of this problem");
    return -1;
}

/* one "NAME = VALUE" at r (past the spaces and semicolons before it) */
static int read_assignment(reader *r, binding *bd)
{
    const char *start = r->s;
    char *name;
    int sym, rc;
    value_t v;
    while (*r->s && *r->s != '=' && *r->s != ' ' && *r->s != '\t' && *r->s != ';')
        r->s++;
    if (r->s == start) {
        sg_buf_puts(r->err, "--eval: expected NAME=VALUE at '");
        put_shown(r->err, start, 20);
        sg_buf_putc(r->err, '\'');
        return -1;
    }
    name = sg_lex_normalize(bd->ar, start, (size_t)(r->s - start));
    skip_space(r);
    if (*r->s != '=') {
        sg_buf_puts(r->err, "--eval: expected '=' after ");
        put_shown(r->err, name, -1);
        return -1;
    }
    r->s++;
    skip_space(r);
    sym = sg_sym_find(bd->ctx, name);
    rc = read_value(r, bd, sym, name, &v);
    if (!rc) {
        skip_space(r);
        if (*r->s && *r->s != ';') {
            sg_buf_puts(r->err, "--eval: expected ';' after the value of ");
            put_shown(r->err, name, -1);
            rc = -1;
        }
    }
    if (!rc)
        rc = bind_value(bd, sym, name, &v);
    free(v.v);
    return rc;
}

/* input i given, with a shape that fits its declaration; its dimensions bound */
static int check_input(binding *bd, int i)
{
    const sg_symbol *s = sg_sym_get(bd->ctx, i);
    value_t *v = &bd->vals[i];
    long rows = v->rows ? v->rows : 1, cols = v->cols ? v->cols : 1;
    sg_buf *err = bd->err;
    if (!bd->given[i]) {
        sg_buf_printf(err, "--eval: no value for %s", s->name);
        return -1;
    }
    if (v->rows == 0 && !sg_shape_is_scalar(s->shape)) {
        sg_buf_printf(err, "--eval: %s is %s, not a number", s->name,
                      sg_shape_str((sg_ctx *)bd->ctx, s->shape, 1));
        return -1;
    }
    if (s->shape.cols == SG_DIM_ONE && v->cols > 1) {
        sg_buf_printf(err, "--eval: %s is a vector; write it as a flat list", s->name);
        return -1;
    }
    if (bind(bd->ctx, bd->dims, s->shape.rows, rows, s->name, err) ||
        bind(bd->ctx, bd->dims, s->shape.cols, cols, s->name, err))
        return -1;
    if (s->seq >= 0) { /* steps lo..hi: T from their number when hi is T + c */
        const sg_seq *q = sg_seq_get(bd->ctx, s->seq);
        long fixed = q->lo.off - q->hi.off - 1 + bd->count[i];
        if (q->hi.dim >= 0 && q->lo.dim < 0 && fixed < 1) {
            sg_buf_printf(err, "--eval: %s has %ld steps, too few for its range", s->name,
                          bd->count[i]);
            return -1;
        }
        if (q->hi.dim >= 0 && q->lo.dim < 0 && bind(bd->ctx, bd->dims, q->hi.dim, fixed, s->name, err))
            return -1;
    }
    return 0;
}

/* a sequence's steps lo … hi, once every dimension is known */
static long seq_lo(const binding *bd, const sg_seq *q)
{
    return (q->lo.dim >= 0 ? bd->dims[q->lo.dim] : 0) + q->lo.off;
}

static long seq_hi(const binding *bd, const sg_seq *q)
{
    return (q->hi.dim >= 0 ? bd->dims[q->hi.dim] : 0) + q->hi.off;
}

/* every dimension known, every sequence as long as its range says */
static int check_complete(const binding *bd)
{
    int i;
    for (i = 1; i < sg_dim_count(bd->ctx); i++) {
        const sg_diminfo *di = sg_dim_get(bd->ctx, i);
        if (di->name && !bd->dims[i]) {
            sg_buf_printf(bd->err, "--eval: no value for the dimension %s (give %s=…)", di->name,
                          di->name);
            return -1;
        }
    }
    for (i = 0; i < sg_sym_count(bd->ctx); i++) {
        const sg_symbol *s = sg_sym_get(bd->ctx, i);
        if (s->seq >= 0) {
            const sg_seq *q = sg_seq_get(bd->ctx, s->seq);
            long lo = seq_lo(bd, q), hi = seq_hi(bd, q);
            if (bd->count[i] != (hi >= lo ? hi - lo + 1 : 0)) {
                sg_buf_printf(bd->err, "--eval: %s has %ld steps where its range holds %ld",
                              s->name, bd->count[i], hi >= lo ? hi - lo + 1 : 0);
                return -1;
            }
        }
    }
    return 0;
}

/* the steps of sequence q (lo − 1 … hi for a recurrence, lo … hi for a
   per-step sequence, x's for the adjoint a result ∂L/∂x[t] holds) as
   name[t] = … */
static int print_steps(const binding *bd, sg_eval *ev, sg_buf *out, const char *name, int q)
{
    const sg_seq *sq = sg_seq_get(bd->ctx, q);
    sg_index first = sg_seq_first(bd->ctx, q);
    long hi = seq_hi(bd, sq), t;
    for (t = (first.dim >= 0 ? bd->dims[first.dim] : 0) + first.off; t <= hi; t++) {
        /* the name is as long as the user made it */
        const char *step = sg_arena_printf(bd->ar, "%s[%ld]", name, t);
        if (print_values(out, ev, step, sg_eval_step(ev, q, t), sq->shape))
            return -1;
    }
    return 0;
}

/* the definitions, each recurrence's steps, then the derivatives; -1 when
   the interpreter stopped at a limit (its message in err) */
static int print_all(const sg_problem *p, const binding *bd, sg_eval *ev, sg_buf *out)
{
    int i;
    for (i = 0; i < p->ndefs; i++)
        if (p->defs[i].expr && print_named(out, ev, p->defs[i].name, p->defs[i].expr))
            return -1;
    for (i = 0; i < sg_seq_count(bd->ctx); i++) /* each recurrence's steps */
        if (sg_seq_get(bd->ctx, i)->kind == SG_SEQ_FORWARD &&
            print_steps(bd, ev, out, sg_seq_get(bd->ctx, i)->name, i))
            return -1;
    for (i = 0; i < p->nresults; i++) {
        const sg_result *r = &p->results[i];
        if (r->kind == SG_RES_VALUE)
            continue;
        if (sg_result_seq(r) >= 0 ? print_steps(bd, ev, out, r->cname, sg_result_seq(r))
                                  : print_named(out, ev, r->cname, r->expr))
            return -1;
    }
    return 0;
}

int sg_evalprint(const sg_problem *p, const char *spec, sg_buf *out, sg_buf *err)
{
    const sg_ctx *ctx = p->ctx;
    int nsyms = sg_sym_count(ctx), ndims = sg_dim_count(ctx), i, rc = 0;
    const double **syms = sg_xmalloc((size_t)(nsyms + 1) * sizeof *syms);
    binding bd;
    reader r;

    bd.ctx = ctx;
    bd.dims = sg_xmalloc((size_t)(ndims + 1) * sizeof *bd.dims);
    bd.vals = sg_xmalloc((size_t)(nsyms + 1) * sizeof *bd.vals);
    bd.given = sg_xmalloc((size_t)(nsyms + 1) * sizeof *bd.given);
    bd.count = sg_xmalloc((size_t)(nsyms + 1) * sizeof *bd.count);
    bd.ar = sg_arena_new();
    bd.err = err;
    memset(bd.dims, 0, (size_t)(ndims + 1) * sizeof *bd.dims);
    memset(bd.vals, 0, (size_t)(nsyms + 1) * sizeof *bd.vals);
    memset(bd.given, 0, (size_t)(nsyms + 1) * sizeof *bd.given);
    memset(bd.count, 0, (size_t)(nsyms + 1) * sizeof *bd.count);
    r.s = r.spec = spec;
    r.err = err;
    for (;;) { /* name = value; … */
        skip_space(&r);
        while (*r.s == ';') {
            r.s++;
            skip_space(&r);
        }
        if (!*r.s || (rc = read_assignment(&r, &bd)) != 0)
            break;
    }
    for (i = 0; i < nsyms && !rc; i++) {
        rc = check_input(&bd, i);
        syms[i] = bd.vals[i].v;
    }
    if (!rc)
        rc = check_complete(&bd);
    if (!rc) {
        sg_eval *ev = sg_eval_new(ctx, bd.dims, syms);
        if ((rc = print_all(p, &bd, ev, out)) != 0)
            sg_buf_puts(err, sg_eval_error(ev));
        sg_eval_free(ev);
    }
    for (i = 0; i < nsyms; i++)
        free(bd.vals[i].v);
    free(bd.vals);
    free(syms);
    free(bd.given);
    free(bd.count);
    free(bd.dims);
    sg_arena_free(bd.ar);
    return rc ? -1 : 0;
}
