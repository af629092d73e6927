/*
 * grade.c: --grade, the front end of symbolic/grade.h.
 *
 * One line per answer, in the order written, as a compiler words a
 * diagnostic: `FILE:LINE: ∂L/∂W: right (equal as formulas)`, or `wrong:`
 * and the diagnosis in a TA's words. With --reveal a second line gives the
 * derived formula; without it nothing here prints the right answer, so
 * that an instructor can hand the verdicts out. All the mathematics is
 * symbolic/grade.c's; this file only words it.
 *
 * The same words go into the Answers section of --steps and --latex
 * (cli_verdicts), so every piece is written in an alphabet: Unicode,
 * ASCII, or LaTeX (formulas in $…$, and no character a plain pdflatex
 * cannot set).
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../codegen/formula.h"
#include "../symbolic/grade.h"

/* "gradient", "Jacobian", "Hessian" */
static const char *noun(const sg_result *r)
{
    return r->kind == SG_RES_JACOBIAN ? "Jacobian" : r->kind == SG_RES_HESSIAN ? "Hessian"
                                                                               : "gradient";
}

/* one symbol of the words in the alphabet al */
static void put_sym(sg_buf *b, int al, const char *unicode, const char *ascii, const char *latex)
{
    sg_buf_puts(b, al == SG_FMT_LATEX ? latex : al == SG_FMT_ASCII ? ascii : unicode);
}

static void math_open(sg_buf *b, int al)
{
    if (al == SG_FMT_LATEX)
        sg_buf_putc(b, '$');
}

/* a formula in the words */
static void put_math(sg_buf *b, const sg_problem *p, const sg_expr *e, int al)
{
    math_open(b, al);
    sg_fmt_expr(b, p->ctx, e, al);
    math_open(b, al);
}

static void put_name(sg_buf *b, const char *name, int al)
{
    math_open(b, al);
    sg_fmt_name(b, name, al);
    math_open(b, al);
}

static void put_result_name(sg_buf *b, const sg_result *r, int al)
{
    math_open(b, al);
    sg_fmt_result_name(b, r, al);
    math_open(b, al);
}

/* ℝ^{m×n}, ℝ^n, ℝ (LaTeX: $\mathbb{R}^{m\times n}$) */
static void put_shape(sg_buf *b, const sg_problem *p, sg_shape s, int al)
{
    if (al != SG_FMT_LATEX) {
        sg_buf_puts(b, sg_shape_str(p->ctx, s, al == SG_FMT_ASCII));
        return;
    }
    sg_buf_puts(b, "$\\mathbb{R}");
    if (!sg_shape_is_scalar(s)) {
        sg_buf_puts(b, "^{");
        sg_fmt_dim(b, p->ctx, s.rows, al);
        if (s.cols != SG_DIM_ONE) {
            sg_buf_puts(b, "\\times ");
            sg_fmt_dim(b, p->ctx, s.cols, al);
        }
        sg_buf_putc(b, '}');
    }
    sg_buf_putc(b, '$');
}

/* a factor as a person writes it: ½, 2, −1/3, else 3 significant digits */
static void put_factor(sg_buf *b, double c, int al)
{
    int q;
    for (q = 1; q <= 12; q++) {
        double pq = c * q;
        if (fabs(pq - floor(pq + 0.5)) < 1e-6 * q) {
            long n = (long)floor(pq + 0.5);
            math_open(b, al);
            if (n < 0)
                put_sym(b, al, "−", "-", "-");
            n = n < 0 ? -n : n;
            if (q == 2 && n == 1 && al != SG_FMT_ASCII)
                put_sym(b, al, "½", "1/2", "\\frac{1}{2}");
            else if (q == 1)
                sg_buf_printf(b, "%ld", n);
            else
                sg_buf_printf(b, al == SG_FMT_LATEX ? "\\frac{%ld}{%d}" : "%ld/%d", n, q);
            math_open(b, al);
            return;
        }
    }
    math_open(b, al);
    sg_buf_printf(b, "%.3g", c);
    math_open(b, al);
}

/* a term's factor: D/2, 3, ½ */
static void put_scaled(sg_buf *b, const sg_problem *p, const sg_verdict *v, int al)
{
    if (v->factor_dim < 0) {
        put_factor(b, v->factor, al);
        return;
    }
    math_open(b, al);
    if (v->factor < 1 && fabs(1 / v->factor - floor(1 / v->factor + 0.5)) < 1e-9) {
        sg_fmt_dim(b, p->ctx, v->factor_dim, al);
        sg_buf_printf(b, "/%.0f", 1 / v->factor);
    } else {
        if (v->factor != 1)
            sg_buf_printf(b, "%g", v->factor);
        sg_fmt_dim(b, p->ctx, v->factor_dim, al);
    }
    math_open(b, al);
}

/* a number as the formulas print it: −0.5, not -0.5 */
static void put_number(sg_buf *b, double x, int al)
{
    math_open(b, al);
    if (x < 0)
        put_sym(b, al, "−", "-", "-");
    sg_buf_printf(b, "%.6g", fabs(x));
    math_open(b, al);
}

/* a node a path comes through (NULL: the derivation names none) */
static void put_node(sg_buf *b, const sg_problem *p, const sg_expr *e, int al)
{
    if (!e)
        sg_buf_puts(b, "another path");
    else
        put_math(b, p, e, al);
}

/* "you have the path through Wx; W is also reached through …, which
   contributes …" */
static void put_paths(sg_buf *b, const sg_problem *p, const sg_result *r, const sg_verdict *v,
                      int al)
{
    int i, n = 0;
    sg_buf_puts(b, "a missing path: you have the path");
    for (i = 0; i < v->npaths; i++)
        n += v->have[i];
    sg_buf_puts(b, n > 1 ? "s through " : " through ");
    for (i = 0, n = 0; i < v->npaths; i++) {
        if (!v->have[i])
            continue;
        sg_buf_puts(b, n++ ? " and " : "");
        put_node(b, p, v->paths[i].via, al);
    }
    if (v->factor != 1) {
        sg_buf_puts(b, " (times ");
        put_factor(b, v->factor, al);
        sg_buf_puts(b, ")");
    }
    sg_buf_puts(b, "; ");
    put_name(b, r->wrt, al);
    sg_buf_puts(b, " is also reached through ");
    for (i = 0, n = 0; i < v->npaths; i++) {
        if (v->have[i])
            continue;
        sg_buf_puts(b, n++ ? ", and through " : "");
        put_node(b, p, v->paths[i].via, al);
        sg_buf_puts(b, ", which contributes ");
        put_math(b, p, v->paths[i].contrib, al);
    }
}

/* the entries that differ most: "at a random point (m = 3, n = 4) …
   [1, 2]: yours 0.5, the gradient's 0.25" */
static void put_entries(sg_buf *b, const sg_problem *p, const sg_result *r, const sg_verdict *v,
                        int al)
{
    int e, d, any = 0;
    sg_buf_puts(b, "none of the usual mistakes fits; at a random point");
    for (d = 0; v->dims && d < sg_dim_count(p->ctx); d++) {
        if (!sg_dim_get(p->ctx, d)->name)
            continue;
        sg_buf_puts(b, any++ ? ", " : " (");
        math_open(b, al);
        sg_fmt_dim(b, p->ctx, d, al);
        sg_buf_printf(b, " = %ld", v->dims[d]);
        math_open(b, al);
    }
    sg_buf_puts(b, any ? ")" : "");
    sg_buf_puts(b, " the entries that differ most are");
    for (e = 0; e < v->nentries; e++) {
        sg_buf_printf(b, "%s [%ld, %ld]: yours ", e ? ";" : "", v->row[e] + 1, v->col[e] + 1);
        put_number(b, v->answer[e], al);
        sg_buf_printf(b, ", the %s's ", noun(r));
        put_number(b, v->derived[e], al);
    }
}

/* "W₂ should be W₂ᵀ" */
static void put_fix(sg_buf *b, const sg_problem *p, const sg_verdict *v, int al)
{
    put_math(b, p, v->node, al);
    sg_buf_puts(b, " should be ");
    put_math(b, p, v->fixed, al);
}

/* "your ∂L/∂W is ℝ^{n×m}, the gradient has W's shape ℝ^{m×n}: a transpose?" */
static void put_shapes(sg_buf *b, const sg_problem *p, const sg_result *r, const sg_verdict *v,
                       int al)
{
    sg_buf_puts(b, "your ");
    put_result_name(b, r, al);
    sg_buf_puts(b, " is ");
    put_shape(b, p, v->got, al);
    sg_buf_printf(b, ", the %s ", noun(r));
    if (r->kind == SG_RES_GRAD) {
        sg_buf_puts(b, "has ");
        put_name(b, r->wrt, al);
        sg_buf_puts(b, "'s shape ");
    } else {
        sg_buf_puts(b, "is ");
    }
    put_shape(b, p, v->want, al);
    sg_buf_puts(b, v->transposed_fits ? ": a transpose?" : "");
}

/* "the last step alone: your answer is the term of t = T only; …" */
static void put_last_step(sg_buf *b, const sg_problem *p, const sg_result *r,
                          const sg_verdict *v, int al)
{
    sg_buf_puts(b, "the last step alone: your answer is the term of ");
    math_open(b, al);
    sg_buf_puts(b, "t = ");
    sg_fmt_index(b, p->ctx, v->node->hi, al);
    math_open(b, al);
    sg_buf_printf(b, " only; the %s sums over ", noun(r));
    math_open(b, al);
    sg_buf_puts(b, "t = ");
    sg_fmt_index(b, p->ctx, v->node->lo, al);
    sg_buf_puts(b, ", ");
    put_sym(b, al, "…", "...", "\\dots");
    sg_buf_puts(b, ", ");
    sg_fmt_index(b, p->ctx, v->node->hi, al);
    math_open(b, al);
}

/* the diagnosis of a wrong answer */
static void put_wrong(sg_buf *b, const sg_problem *p, const sg_answer *a, const sg_verdict *v,
                      int al)
{
    const sg_result *r = &p->results[a->result];
    switch (v->kind) {
    case SG_VERDICT_SHAPE: put_shapes(b, p, r, v, al); break;
    case SG_VERDICT_FACTOR:
        if (fabs(v->factor + 1) < 1e-6) {
            sg_buf_printf(b, "the sign: your answer is minus the %s", noun(r));
            break;
        }
        sg_buf_puts(b, "off by a constant factor: your answer is ");
        put_factor(b, v->factor, al);
        sg_buf_printf(b, fabs(v->factor) < 1 ? " of the %s" : " times the %s", noun(r));
        break;
    case SG_VERDICT_TRANSPOSE:
        if (v->node == a->expr) {
            sg_buf_printf(b, "a transpose: your answer is the %s transposed", noun(r));
            break;
        }
        sg_buf_puts(b, "a transposed factor: your ");
        put_fix(b, p, v, al);
        break;
    case SG_VERDICT_SWAP:
        if (v->node->op == SG_OP_HADAMARD)
            put_sym(b, al, "⊙", ".*", "$\\odot$");
        sg_buf_puts(b, v->node->op == SG_OP_HADAMARD ? " where a product was meant: your "
                                                     : "a product where ");
        if (v->node->op != SG_OP_HADAMARD) {
            put_sym(b, al, "⊙", ".*", "$\\odot$");
            sg_buf_puts(b, " was meant: your ");
        }
        put_fix(b, p, v, al);
        break;
    case SG_VERDICT_TERM:
        sg_buf_puts(b, "a term off by a factor: your ");
        put_math(b, p, v->node, al);
        sg_buf_puts(b, " should be ");
        put_scaled(b, p, v, al);
        sg_buf_puts(b, " times that");
        break;
    case SG_VERDICT_LAST_STEP: put_last_step(b, p, r, v, al); break;
    case SG_VERDICT_PATH: put_paths(b, p, r, v, al); break;
    case SG_VERDICT_UNDEFINED: sg_buf_printf(b, "not graded: %s", v->why); break;
    case SG_VERDICT_NO_VALUE:
        sg_buf_printf(b, "your answer has no value at a random point where the %s has one (a log "
                         "or a root of a negative number, a singular inverse?)", noun(r));
        break;
    case SG_VERDICT_SIZES:
        sg_buf_puts(b, "right at one size of the dimensions only, not at another: is a "
                       "dimension written as a number?");
        break;
    default: put_entries(b, p, r, v, al); break;
    }
}

/* answer i's verdict in words, "right (…)" or "wrong: …"; 1 when wrong */
static int put_verdict(sg_buf *b, sg_problem *p, int i, int al)
{
    sg_verdict v;
    int wrong;
    sg_grade(p, i, &v);
    if (v.kind == SG_VERDICT_FORMULA) {
        sg_buf_puts(b, "right (equal as formulas)");
    } else if (v.kind == SG_VERDICT_NUMERIC) {
        sg_buf_printf(b, "right (agrees numerically at %d random points; worst relative "
                         "error ", v.points);
        math_open(b, al);
        sg_buf_printf(b, "%.1e", v.worst);
        math_open(b, al);
        sg_buf_putc(b, ')');
    } else {
        sg_buf_puts(b, "wrong: ");
        put_wrong(b, p, &p->answers[i], &v, al);
    }
    wrong = !v.right;
    sg_verdict_free(&v);
    return wrong;
}

int cli_grade(sg_problem *p, const sg_src *src, const cli_options *o, sg_buf *out)
{
    int i, wrong = 0;
    for (i = 0; i < p->nanswers; i++) {
        const sg_result *r = &p->results[p->answers[i].result];
        unsigned line, col;
        sg_src_linecol(src, p->answers[i].span.begin, &line, &col);
        sg_buf_printf(out, "%s:%u: ", src->name, line);
        sg_fmt_result_name(out, r, SG_FMT_UNICODE);
        sg_buf_puts(out, ": ");
        wrong += put_verdict(out, p, i, SG_FMT_UNICODE);
        sg_buf_putc(out, '\n');
        if (o->reveal) {
            sg_buf_printf(out, "    the %s: ", noun(r));
            sg_fmt_result_name(out, r, SG_FMT_UNICODE);
            sg_buf_puts(out, " = ");
            sg_fmt_expr(out, p->ctx, r->display ? r->display : r->expr, SG_FMT_UNICODE);
            sg_buf_putc(out, '\n');
        }
    }
    return wrong;
}

char **cli_verdicts(sg_problem *p, int alphabet)
{
    char **v;
    int i;
    if (p->nanswers == 0)
        return NULL;
    v = sg_xmalloc((size_t)p->nanswers * sizeof *v);
    for (i = 0; i < p->nanswers; i++) {
        sg_buf b;
        sg_buf_init(&b);
        put_verdict(&b, p, i, alphabet);
        v[i] = sg_buf_take(&b, NULL);
    }
    return v;
}

void cli_verdicts_free(sg_problem *p, char **v)
{
    int i;
    for (i = 0; v && i < p->nanswers; i++)
        free(v[i]);
    free(v);
}
