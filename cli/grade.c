/*
 * grade.c: --grade, the front end of symbolic/grade.h.
 *
 * One line per answer, in the order written, as a compiler words a
 * diagnostic: `FILE:LINE: ∂L/∂W: right (equal as formulas)`, or `wrong:`
 * and the diagnosis in a TA's words. With --reveal a second line gives the
 * derived formula; without it nothing here prints the right answer, so
 * that an instructor can hand the verdicts out. All the mathematics is
 * symbolic/grade.c's; this file only words it.
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>

#include "../base/buf.h"
#include "../codegen/formula.h"
#include "../symbolic/grade.h"

/* "gradient", "Jacobian", "Hessian" */
static const char *noun(const sg_result *r)
{
    return r->kind == SG_RES_JACOBIAN ? "Jacobian" : r->kind == SG_RES_HESSIAN ? "Hessian"
                                                                               : "gradient";
}

/* a factor as a person writes it: ½, 2, −1/3, else 3 significant digits */
static void put_factor(sg_buf *b, double c, int ascii)
{
    int q;
    for (q = 1; q <= 12; q++) {
        double pq = c * q;
        if (fabs(pq - floor(pq + 0.5)) < 1e-6 * q) {
            long n = (long)floor(pq + 0.5);
            sg_buf_puts(b, n < 0 ? (ascii ? "-" : "−") : "");
            if (n < 0)
                n = -n;
            if (q == 2 && n == 1 && !ascii)
                sg_buf_puts(b, "½");
            else if (q == 1)
                sg_buf_printf(b, "%ld", n);
            else
                sg_buf_printf(b, "%ld/%d", n, q);
            return;
        }
    }
    sg_buf_printf(b, "%.3g", c);
}

/* a term's factor: D/2, 3, ½ */
static void put_scaled(sg_buf *b, const sg_problem *p, const sg_verdict *v, int ascii)
{
    if (v->factor_dim < 0) {
        put_factor(b, v->factor, ascii);
        return;
    }
    if (v->factor < 1 && fabs(1 / v->factor - floor(1 / v->factor + 0.5)) < 1e-9) {
        sg_fmt_dim(b, p->ctx, v->factor_dim, ascii);
        sg_buf_printf(b, "/%.0f", 1 / v->factor);
        return;
    }
    if (v->factor != 1)
        put_factor(b, v->factor, ascii);
    sg_fmt_dim(b, p->ctx, v->factor_dim, ascii);
}

/* a node as the derivation names it: "u = Wx" for a defined u, else "Wx" */
static void put_node(sg_buf *b, const sg_problem *p, const sg_expr *e, int ascii)
{
    if (!e) {
        sg_buf_puts(b, "another path");
        return;
    }
    sg_fmt_expr(b, p->ctx, e, ascii);
}

/* "you have the path through Wx; W is also reached through …, which
   contributes …" */
static void put_paths(sg_buf *b, const sg_problem *p, const sg_result *r, const sg_verdict *v,
                      int ascii)
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
        put_node(b, p, v->paths[i].via, ascii);
    }
    if (v->factor != 1) {
        sg_buf_puts(b, " (times ");
        put_factor(b, v->factor, ascii);
        sg_buf_puts(b, ")");
    }
    sg_buf_puts(b, "; ");
    sg_fmt_name(b, r->wrt, ascii);
    sg_buf_puts(b, " is also reached through ");
    for (i = 0, n = 0; i < v->npaths; i++) {
        if (v->have[i])
            continue;
        sg_buf_puts(b, n++ ? ", and through " : "");
        put_node(b, p, v->paths[i].via, ascii);
        sg_buf_puts(b, ", which contributes ");
        sg_fmt_expr(b, p->ctx, v->paths[i].contrib, ascii);
    }
}

/* a number as the formulas print it: −0.5, not -0.5 */
static void put_number(sg_buf *b, double x)
{
    sg_buf_printf(b, "%s%.6g", x < 0 ? "−" : "", fabs(x));
}

/* the entries that differ most: "[1, 2]: yours 0.5, the gradient's 0.25" */
static void put_entries(sg_buf *b, const sg_result *r, const sg_verdict *v)
{
    int e;
    sg_buf_printf(b, "none of the usual mistakes fits; at a random point the entries that "
                     "differ most are");
    for (e = 0; e < v->nentries; e++) {
        sg_buf_printf(b, "%s [%ld, %ld]: yours ", e ? ";" : "", v->row[e] + 1, v->col[e] + 1);
        put_number(b, v->answer[e]);
        sg_buf_printf(b, ", the %s's ", noun(r));
        put_number(b, v->derived[e]);
    }
}

/* "W₂ should be W₂ᵀ" */
static void put_fix(sg_buf *b, const sg_problem *p, const sg_verdict *v, int ascii)
{
    sg_fmt_expr(b, p->ctx, v->node, ascii);
    sg_buf_puts(b, " should be ");
    sg_fmt_expr(b, p->ctx, v->fixed, ascii);
}

/* the diagnosis of a wrong answer */
static void put_wrong(sg_buf *b, const sg_problem *p, const sg_answer *a, const sg_verdict *v,
                      int ascii)
{
    const sg_result *r = &p->results[a->result];
    switch (v->kind) {
    case SG_VERDICT_SHAPE:
        sg_buf_puts(b, "your ");
        sg_fmt_result_name(b, r, ascii);
        sg_buf_printf(b, " is %s, the %s ", sg_shape_str(p->ctx, v->got, ascii), noun(r));
        if (r->kind == SG_RES_GRAD) {
            sg_buf_puts(b, "has ");
            sg_fmt_name(b, r->wrt, ascii);
            sg_buf_puts(b, "'s shape ");
        } else {
            sg_buf_puts(b, "is ");
        }
        sg_buf_puts(b, sg_shape_str(p->ctx, v->want, ascii));
        sg_buf_puts(b, v->transposed_fits ? ": a transpose?" : "");
        break;
    case SG_VERDICT_FACTOR:
        if (fabs(v->factor + 1) < 1e-6) {
            sg_buf_printf(b, "the sign: your answer is minus the %s", noun(r));
            break;
        }
        sg_buf_puts(b, "off by a constant factor: your answer is ");
        put_factor(b, v->factor, ascii);
        sg_buf_printf(b, fabs(v->factor) < 1 ? " of the %s" : " times the %s", noun(r));
        break;
    case SG_VERDICT_TRANSPOSE:
        if (v->node == a->expr) {
            sg_buf_printf(b, "a transpose: your answer is the %s transposed", noun(r));
            break;
        }
        sg_buf_puts(b, "a transposed factor: your ");
        put_fix(b, p, v, ascii);
        break;
    case SG_VERDICT_SWAP:
        sg_buf_puts(b, v->node->op == SG_OP_HADAMARD ? "⊙ where a product was meant: your "
                                                     : "a product where ⊙ was meant: your ");
        put_fix(b, p, v, ascii);
        break;
    case SG_VERDICT_PATH:
        put_paths(b, p, r, v, ascii);
        break;
    case SG_VERDICT_TERM:
        sg_buf_puts(b, "a term off by a factor: your ");
        sg_fmt_expr(b, p->ctx, v->node, ascii);
        sg_buf_puts(b, " should be ");
        put_scaled(b, p, v, ascii);
        sg_buf_puts(b, " times that");
        break;
    case SG_VERDICT_LAST_STEP:
        sg_buf_puts(b, "the last step alone: your answer is the term of t = ");
        sg_fmt_index(b, p->ctx, v->node->hi, ascii);
        sg_buf_printf(b, " only; the %s sums over t = ", noun(r));
        sg_fmt_index(b, p->ctx, v->node->lo, ascii);
        sg_buf_puts(b, ", …, ");
        sg_fmt_index(b, p->ctx, v->node->hi, ascii);
        break;
    case SG_VERDICT_UNDEFINED:
        sg_buf_printf(b, "not graded: %s", v->why);
        break;
    default:
        put_entries(b, r, v);
        break;
    }
}

/* one verdict line (and with reveal the derived formula); 1 when wrong */
static int grade_one(sg_buf *b, sg_problem *p, const sg_src *src, int i, int ascii, int reveal)
{
    const sg_answer *a = &p->answers[i];
    const sg_result *r = &p->results[a->result];
    sg_verdict v;
    unsigned line, col;
    sg_grade(p, i, &v);
    sg_src_linecol(src, a->span.begin, &line, &col);
    sg_buf_printf(b, "%s:%u: ", src->name, line);
    sg_fmt_result_name(b, r, ascii);
    if (v.kind == SG_VERDICT_FORMULA)
        sg_buf_puts(b, ": right (equal as formulas)");
    else if (v.kind == SG_VERDICT_NUMERIC)
        sg_buf_printf(b, ": right (agrees numerically at %d random points; worst relative "
                         "error %.1e)", v.points, v.worst);
    else {
        sg_buf_puts(b, ": wrong: ");
        put_wrong(b, p, a, &v, ascii);
    }
    sg_buf_putc(b, '\n');
    if (reveal) {
        sg_buf_printf(b, "    the %s: ", noun(r));
        sg_fmt_result_name(b, r, ascii);
        sg_buf_puts(b, " = ");
        sg_fmt_expr(b, p->ctx, r->display ? r->display : r->expr, ascii);
        sg_buf_putc(b, '\n');
    }
    sg_verdict_free(&v);
    return !v.right;
}

int cli_grade(sg_problem *p, const sg_src *src, const cli_options *o, sg_buf *out)
{
    int i, wrong = 0;
    for (i = 0; i < p->nanswers; i++)
        wrong += grade_one(out, p, src, i, o->ascii, o->reveal);
    return wrong;
}
