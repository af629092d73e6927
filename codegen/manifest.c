/*
 * manifest.c: the generated API described for other languages (--manifest,
 * --python, --cdef).
 *
 * A wrapper of the generated C must know what its header says: the prefix,
 * the fields of P_dims, P_in and P_out in order, each one's shape, the
 * codes P_eval returns and the scalar type. This file says it as JSON
 * (docs/manifest.schema.json), read from the same plan the C is printed
 * from, so that the names are the C printer's own (renamed fields
 * included) and never a second guess. --python is built on the manifest:
 * the module (templates/python.py) carries it and the C, and reads every
 * name and shape from it.
 *
 * Decisions:
 *  - A shape is a list of dimensions as NumPy sees the array: [] a scalar,
 *    [n] a vector (n×1), [m, n] a matrix ([1, n] a row); each a dimension's
 *    name or a number. A sequence input x[t] is one array of its steps, so
 *    its shape starts with the number of steps, written as the dimension's
 *    name when it is exactly one (t = 1..T is "T"), as a number when it is
 *    constant, else as {"dim": "T", "plus": −1}.
 *  - Names: "name" is the user's, as the documents print it (β, ∂L/∂W₁),
 *    "c_name" the field's in the C. Results name what they differentiate
 *    by the inputs' "name".
 *  - The factorizations are listed so that a wrapper can say which matrix
 *    a code is about: "code" is the code its failure returns, or null when
 *    it returns none (a determinant of a singular matrix is 0, no error).
 *  - Strings are JSON-escaped UTF-8; the output is the same byte for byte
 *    for the same input and options, as the C is.
 *
 * The Python module is the template with the manifest and the C (printed
 * with its declarations inside, no header) put in as Python string
 * literals. The cffi block (--cdef) is the header's declarations with the
 * codes as constants (cgdecl.c prints it).
 */
#include "cg.h"

#include "../symbolic/check.h"

/* s as a JSON string */
static void json_str(sg_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    sg_buf_putc(b, '"');
    for (; *u; u++) {
        if (*u == '"' || *u == '\\')
            sg_buf_printf(b, "\\%c", *u);
        else if (*u == '\n')
            sg_buf_puts(b, "\\n");
        else if (*u < 0x20 || *u == 0x7F)
            sg_buf_printf(b, "\\u%04x", *u);
        else
            sg_buf_putc(b, (char)*u);
    }
    sg_buf_putc(b, '"');
}

/* a name as the documents print it: W1 → W₁, beta → β */
static const char *shown(cg_state *g, const char *name)
{
    sg_buf nb;
    const char *s;
    sg_buf_init(&nb);
    sg_fmt_name(&nb, name, 0);
    s = sg_arena_strdup(g->ar, sg_buf_str(&nb));
    sg_buf_free(&nb);
    return s;
}

/* one dimension of a shape: its name or its value */
static void json_dim(cg_state *g, sg_buf *b, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(g->ctx, d);
    if (di->name)
        json_str(b, g->dimfield[d]);
    else
        sg_buf_printf(b, "%ld", di->value);
}

/* the dimensions of s after those already written (*n of them) */
static void json_shape_dims(cg_state *g, sg_buf *b, sg_shape s, int n)
{
    if (sg_shape_is_scalar(s))
        return;
    if (n)
        sg_buf_puts(b, ", ");
    json_dim(g, b, s.rows);
    if (!cg_is_one(s.cols)) {
        sg_buf_puts(b, ", ");
        json_dim(g, b, s.cols);
    }
}

/* the number of steps lo..hi of a sequence: a name, a number or {dim, plus} */
static void json_steps(cg_state *g, sg_buf *b, const sg_seq *sq)
{
    sg_index count = sg_index_plus(sq->hi, 1 - sq->lo.off);
    if (sq->lo.dim >= 0) /* t from a dimension: not a count the C can print */
        count = sg_index_make(-1, 0);
    if (count.dim < 0)
        sg_buf_printf(b, "%ld", count.off);
    else if (count.off == 0)
        json_dim(g, b, count.dim);
    else {
        sg_buf_puts(b, "{\"dim\": ");
        json_dim(g, b, count.dim);
        sg_buf_printf(b, ", \"plus\": %ld}", count.off);
    }
}

/* what a declaration says of a symbol's values */
static const char *kind_of(unsigned props)
{
    return props & SG_PROP_SPD         ? "spd"
           : props & SG_PROP_SYMMETRIC ? "symmetric"
           : props & SG_PROP_SIMPLEX   ? "simplex"
                                       : "matrix";
}

/* the shape of symbol s as one array (a sequence's steps first) */
static void json_sym_shape(cg_state *g, sg_buf *b, int s)
{
    const sg_symbol *sym = sg_sym_get(g->ctx, s);
    sg_buf_putc(b, '[');
    if (sym->seq >= 0) {
        json_steps(g, b, sg_seq_get(g->ctx, sym->seq));
        json_shape_dims(g, b, sym->shape, 1);
    } else {
        json_shape_dims(g, b, sym->shape, 0);
    }
    sg_buf_putc(b, ']');
}

static void json_inputs(cg_state *g, sg_buf *b)
{
    int s, ns = sg_sym_count(g->ctx);
    sg_buf_puts(b, "  \"inputs\": [");
    for (s = 0; s < ns; s++) {
        const sg_symbol *sym = sg_sym_get(g->ctx, s);
        sg_buf_puts(b, s ? ",\n    {\"name\": " : "\n    {\"name\": ");
        json_str(b, shown(g, sym->name));
        sg_buf_puts(b, ", \"c_name\": ");
        json_str(b, g->fieldname[s]);
        sg_buf_printf(b, ", \"index\": %d, \"kind\": \"%s\", \"shape\": ", s,
                      sym->seq >= 0 ? "sequence" : kind_of(sym->props));
        json_sym_shape(g, b, s);
        if (sym->seq >= 0) {
            const sg_seq *sq = sg_seq_get(g->ctx, sym->seq);
            sg_buf_printf(b, ", \"step_kind\": \"%s\", \"step_shape\": [", kind_of(sym->props));
            json_shape_dims(g, b, sym->shape, 0);
            sg_buf_puts(b, "], \"range\": {\"from\": ");
            json_str(b, cg_index_text(g, sq->lo));
            sg_buf_puts(b, ", \"to\": ");
            json_str(b, cg_index_text(g, sq->hi));
            sg_buf_puts(b, "}");
        }
        sg_buf_putc(b, '}');
    }
    sg_buf_puts(b, ns ? "\n  ],\n" : "],\n");
}

static const char *const result_kinds[] = {"value", "grad", "jacobian", "hessian"};

static void json_results(cg_state *g, sg_buf *b)
{
    int r;
    sg_buf_puts(b, "  \"results\": [");
    for (r = 0; r < g->nres; r++) {
        const sg_result *res = &g->p->results[r];
        int seq = sg_result_seq(res);
        sg_buf_puts(b, r ? ",\n    {\"name\": " : "\n    {\"name\": ");
        json_str(b, cg_result_name(g, r));
        sg_buf_puts(b, ", \"c_name\": ");
        json_str(b, g->resname[r]);
        sg_buf_printf(b, ", \"index\": %d, \"kind\": \"%s\", \"of\": ", r,
                      result_kinds[res->kind]);
        json_str(b, shown(g, res->of));
        sg_buf_puts(b, ", \"wrt\": [");
        if (res->wrt)
            json_str(b, shown(g, res->wrt));
        if (res->kind == SG_RES_HESSIAN) { /* ∂²L/∂x² is with respect to x twice */
            sg_buf_puts(b, ", ");
            json_str(b, shown(g, res->wrt2 ? res->wrt2 : res->wrt));
        }
        sg_buf_puts(b, "], \"shape\": ");
        if (seq >= 0) { /* laid out as the input sequence */
            json_sym_shape(g, b, sg_sym_find(g->ctx, res->wrt));
        } else {
            sg_buf_putc(b, '[');
            json_shape_dims(g, b, res->expr->shape, 0);
            sg_buf_putc(b, ']');
        }
        sg_buf_putc(b, '}');
    }
    sg_buf_puts(b, g->nres ? "\n  ],\n" : "],\n");
}

/* the codes, and which ones P_eval can return (as its header says) */
static void json_codes(cg_state *g, sg_buf *b)
{
    static const char *const names[] = {"OK", "ESINGULAR", "ENOTSPD", "EDIMS"};
    static const char *const meaning[] = {
        "success", "a matrix to invert or factor is singular",
        "a matrix to factor by Cholesky is not positive definite",
        "dims differs from a dimension fixed when generating"};
    int returned[4] = {1, 0, 0, 0}, d, k;
    for (k = 0; k < g->nfac; k++) {
        returned[1] |= !g->fac[k].chol && g->fac[k].strict;
        returned[2] |= g->fac[k].chol;
    }
    for (d = 0; d < sg_dim_count(g->ctx); d++)
        returned[3] |= g->dimfix[d] != 0;
    sg_buf_puts(b, "  \"codes\": [");
    for (k = 0; k < 4; k++) {
        sg_buf_printf(b, "%s\n    {\"name\": \"%s\", \"c_name\": \"%s_%s\", \"value\": %d, "
                         "\"returned\": %s, \"meaning\": ",
                      k ? "," : "", names[k], g->PU, names[k], k, returned[k] ? "true" : "false");
        json_str(b, meaning[k]);
        sg_buf_putc(b, '}');
    }
    sg_buf_puts(b, "\n  ],\n");
}

/* the matrices factored, for the message of a code */
static void json_factors(cg_state *g, sg_buf *b)
{
    int k;
    sg_buf_puts(b, "  \"factorizations\": [");
    for (k = 0; k < g->nfac; k++) {
        const cg_factor *f = &g->fac[k];
        const sg_expr *a = f->node->kid[0];
        const char *code = f->chol ? "ENOTSPD" : f->strict ? "ESINGULAR" : NULL;
        sg_buf fb;
        sg_buf_puts(b, k ? ",\n    {\"matrix\": " : "\n    {\"matrix\": ");
        sg_buf_init(&fb);
        sg_fmt_expr(&fb, g->ctx, a, 0);
        json_str(b, a->name ? shown(g, a->name) : sg_buf_str(&fb));
        sg_buf_puts(b, ", \"formula\": ");
        json_str(b, sg_buf_str(&fb));
        sg_buf_free(&fb);
        sg_buf_printf(b, ", \"method\": \"%s\", \"code\": ", f->chol ? "cholesky" : "lu");
        if (code)
            json_str(b, code);
        else
            sg_buf_puts(b, "null");
        sg_buf_putc(b, '}');
    }
    sg_buf_puts(b, g->nfac ? "\n  ]\n" : "]\n");
}

void cg_manifest_text(cg_state *g, sg_buf *b)
{
    const sg_cgen_opts *o = g->o;
    int d, first = 1;
    sg_buf_puts(b, "{\n  \"symgrad\": ");
    json_str(b, o->version ? o->version : "");
    sg_buf_puts(b, ",\n  \"manifest\": 1,\n  \"source\": ");
    json_str(b, o->source_name ? o->source_name : "<stdin>");
    sg_buf_puts(b, ",\n  \"prefix\": ");
    json_str(b, g->P);
    sg_buf_printf(b, ",\n  \"scalar\": \"%s\",\n", g->real);
    sg_buf_printf(b, "  \"types\": {\"dims\": \"%s_dims\", \"in\": \"%s_in\", \"out\": "
                     "\"%s_out\"},\n  \"functions\": {\"eval\": \"%s_eval\", \"work_size\": "
                     "\"%s_work_size\"},\n",
                  g->P, g->P, g->P, g->P, g->P);
    sg_buf_puts(b, "  \"dims\": [");
    for (d = 0; d < sg_dim_count(g->ctx); d++) {
        const sg_diminfo *di = sg_dim_get(g->ctx, d);
        if (!di->name)
            continue;
        sg_buf_puts(b, first ? "\n    {\"name\": " : ",\n    {\"name\": ");
        json_str(b, shown(g, di->name));
        sg_buf_puts(b, ", \"c_name\": ");
        json_str(b, g->dimfield[d]);
        if (g->dimfix[d])
            sg_buf_printf(b, ", \"fixed\": %ld}", g->dimfix[d]);
        else
            sg_buf_puts(b, ", \"fixed\": null}");
        first = 0;
    }
    sg_buf_puts(b, first ? "],\n" : "\n  ],\n");
    json_inputs(g, b);
    json_results(g, b);
    json_codes(g, b);
    json_factors(g, b);
    sg_buf_puts(b, "}\n");
}

/* s as the body of a Python """…""" string: backslashes doubled, and no
   two quotes in a row (nor one at the end) left unescaped */
static void py_str(sg_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            sg_buf_puts(b, "\\\\");
        else if (*s == '"' && (s[1] == '"' || s[1] == '\0'))
            sg_buf_puts(b, "\\\"");
        else
            sg_buf_putc(b, *s);
    }
}

void cg_python_text(cg_state *g, sg_buf *b, const char *source)
{
    const char *t = sg_template("python.py"), *at;
    sg_buf man;
    assert(t != NULL);
    sg_buf_init(&man);
    cg_manifest_text(g, &man);
    for (; t && *t; t = at + 1) { /* @manifest@, @source@, @banner@ */
        at = strchr(t, '@');
        if (!at) {
            sg_buf_puts(b, t);
            break;
        }
        sg_buf_putn(b, t, (size_t)(at - t));
        if (!strncmp(at, "@manifest@", 10)) {
            py_str(b, sg_buf_str(&man));
            at += 9;
        } else if (!strncmp(at, "@source@", 8)) {
            py_str(b, source);
            at += 7;
        } else if (!strncmp(at, "@banner@", 8)) {
            sg_buf banner;
            const char *line, *nl;
            sg_buf_init(&banner);
            cg_banner(g, &banner, "computes");
            for (line = sg_buf_str(&banner); (nl = strchr(line, '\n')); line = nl + 1) {
                if (!strncmp(line, "/*", 2) || !strncmp(line, " */", 3))
                    continue;
                sg_buf_puts(b, "#");
                sg_buf_putn(b, line + 2, (size_t)(nl - line - 2));
                sg_buf_putc(b, '\n');
            }
            sg_buf_free(&banner);
            at += 7;
        } else {
            sg_buf_putc(b, '@');
        }
    }
    sg_buf_free(&man);
}

/* ---- the public API (cgen.h) ---- */

/* one of the texts of a printable plan, printed after the source (printing
   names the buffers and marks the dimensions used) */
static char *plan_text(sg_cgen_plan *pl, size_t *len, int which)
{
    cg_state *g = cg_plan_state(pl);
    sg_buf b;
    char *src;
    size_t n;
    if (sg_cgen_plan_why(pl) || (which == 1 && g->o->header))
        return NULL;
    src = sg_cgen_plan_source(pl, &n);
    sg_buf_init(&b);
    if (which == 0)
        cg_manifest_text(g, &b);
    else if (which == 1)
        cg_python_text(g, &b, src);
    else
        cg_cdef_text(g, &b);
    free(src);
    return sg_buf_take(&b, len);
}

char *sg_cgen_plan_manifest(sg_cgen_plan *pl, size_t *len)
{
    return plan_text(pl, len, 0);
}

char *sg_cgen_plan_python(sg_cgen_plan *pl, size_t *len)
{
    return plan_text(pl, len, 1);
}

char *sg_cgen_plan_cdef(sg_cgen_plan *pl, size_t *len)
{
    return plan_text(pl, len, 2);
}
