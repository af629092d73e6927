/*
 * cgcheck.c: --check: a main() that compares derivatives with finite
 * differences.
 *
 * With --check, a main() follows P_eval that checks every derivative
 * against central finite differences of what it differentiates:
 * dimensions fixed by --dim, else 3, 4, 5, …; inputs random as declared
 * (symmetric, positive definite, …); a second derivative against finite
 * differences of the first. It exits 1 on a mismatch.
 */
#include "cg.h"

/* the value result named name (of kind), or -1 */
static int result_of(cg_state *g, sg_result_kind kind, const char *of, const char *wrt)
{
    int r;
    if (!g->results_in) { /* a map, not a scan per result: --check of 20,000 results */
        for (r = 0; r < g->nres; r++) {
            const sg_result *x = &g->p->results[r];
            const char *xof = x->of ? x->of : x->cname;
            sg_strmap_put(&g->results, cg_fmt(g, "%d|%s", (int)x->kind, xof), r);
            if (x->wrt)
                sg_strmap_put(&g->results, cg_fmt(g, "%d|%s|%s", (int)x->kind, xof, x->wrt), r);
        }
        g->results_in = 1;
    }
    if (!of)
        return -1;
    return sg_strmap_get(&g->results, wrt ? cg_fmt(g, "%d|%s|%s", (int)kind, of, wrt)
                                          : cg_fmt(g, "%d|%s", (int)kind, of));
}

/* how sg_check_fill fills a symbol, and which directions move it */
static int fill_kind(cg_state *g, int s)
{
    unsigned props = sg_sym_get(g->ctx, s)->props;
    sg_shape sh = sg_sym_get(g->ctx, s)->shape;
    if (props & SG_PROP_SPD)
        return 2;
    if ((props & SG_PROP_SYMMETRIC) && sh.rows == sh.cols)
        return 1;
    if (props & SG_PROP_SIMPLEX)
        return 3;
    return 0;
}

/* how many steps input s holds with the dimensions dv: hi − lo + 1 for a
   sequence, else 1 */
static long steps_of(cg_state *g, int s, const long *dv)
{
    const sg_symbol *sym = sg_sym_get(g->ctx, s);
    const sg_seq *sq;
    long lo, hi;
    if (sym->seq < 0)
        return 1;
    sq = sg_seq_get(g->ctx, sym->seq);
    lo = (sq->lo.dim >= 0 ? dv[sq->lo.dim] : 0) + sq->lo.off;
    hi = (sq->hi.dim >= 0 ? dv[sq->hi.dim] : 0) + sq->hi.off;
    return hi >= lo ? hi - lo + 1 : 0;
}

static void templ(cg_state *g, sg_buf *b, const char *name)
{
    const char *t = sg_template(name);
    assert(t != NULL);
    cg_expand(g, b, t ? t : "");
    sg_buf_putc(b, '\n');
}

/* what main() checks, and how: decided before it is printed */
typedef struct {
    long *dv;           /* by dimension: its value in the check */
    long maxp;          /* the largest result a difference is taken of */
    int *how;           /* by result: 0 skip, 1 FD, 2 FD² */
    int *fres;          /* by result: the result it is a difference of */
    int *ysym, *xsym;   /* by result: the inputs it is taken along */
    const char **why;   /* by result: why it is not checked */
    int any_fd, any_fd2, any_sym, any_simplex;
    const char *tol, *h1, *h2;
    sg_buf dims;        /* "n = 3, m = 4" */
} check_plan;

#define ROWS(sh) dv[(sh).rows]
#define NUMEL(sh) (dv[(sh).rows] * dv[(sh).cols])

/* the numbers result r holds: every step of a sequence for ∂L/∂x[t] */
static long result_numel(cg_state *g, int r, const long *dv)
{
    const sg_result *x = &g->p->results[r];
    long n = NUMEL(x->expr->shape);
    return sg_result_seq(x) >= 0 ? n * steps_of(g, sg_sym_find(g->ctx, x->wrt), dv) : n;
}

/* the dimensions: the fixed ones, and 3, 4, 5, … (distinct) for the others */
static void check_dims(cg_state *g, check_plan *c)
{
    int nd = sg_dim_count(g->ctx), d, next = 3;
    long *dv = c->dv;
    for (d = 0; d < nd; d++) {
        const sg_diminfo *di = sg_dim_get(g->ctx, d);
        dv[d] = di->name ? g->dimfix[d] : di->value;
    }
    for (d = 0; d < nd; d++) {
        const sg_diminfo *di = sg_dim_get(g->ctx, d);
        int k, clash;
        if (!di->name)
            continue;
        if (!dv[d]) {
            do {
                clash = 0;
                for (k = 0; k < nd; k++)
                    clash |= sg_dim_get(g->ctx, k)->name && dv[k] == next;
                if (clash)
                    next++;
            } while (clash);
            dv[d] = next++;
        }
        sg_buf_printf(&c->dims, "%s%s = %ld", c->dims.len ? ", " : "", di->name, dv[d]);
    }
    for (d = 0; d < nd; d++) /* the products, of the values above */
        if (sg_dim_is_product(g->ctx, d))
            dv[d] = sg_dim_value(g->ctx, d, dv);
}

/* what each derivative is compared with */
static void check_compare(cg_state *g, check_plan *c)
{
    const long *dv = c->dv;
    int r, s;
    for (r = 0; r < g->nres; r++) {
        const sg_result *x = &g->p->results[r];
        const char *wrt2 = x->wrt2 ? x->wrt2 : x->wrt;
        c->how[r] = 0;
        c->why[r] = NULL;
        c->xsym[r] = x->wrt ? sg_sym_find(g->ctx, x->wrt) : -1;
        c->ysym[r] = x->kind == SG_RES_HESSIAN && wrt2 ? sg_sym_find(g->ctx, wrt2) : c->xsym[r];
        if (x->kind == SG_RES_VALUE)
            continue;
        c->fres[r] = result_of(g, SG_RES_VALUE, x->of, NULL);
        if (c->xsym[r] < 0 || c->ysym[r] < 0) {
            c->why[r] = cg_fmt(g, "%s is not an input", c->xsym[r] < 0 ? x->wrt : wrt2);
            continue;
        }
        if (steps_of(g, c->xsym[r], dv) != 1 && fill_kind(g, c->xsym[r])) {
            /* its moves keep one matrix in the simplex, not each step */
            c->why[r] = cg_fmt(g, "each step of %s is in a simplex", x->wrt);
            continue;
        }
        if (x->kind == SG_RES_HESSIAN) {
            int gr = result_of(g, SG_RES_GRAD, x->of, x->wrt);
            if (gr >= 0) {
                c->fres[r] = gr;
                c->how[r] = 1;
            } else if (c->fres[r] >= 0 && cg_scalar(g->p->results[c->fres[r]].expr)) {
                c->how[r] = 2;
            }
        } else if (c->fres[r] >= 0) {
            c->how[r] = 1;
        }
        if (!c->how[r]) {
            c->why[r] = cg_fmt(g, "%s is not a result", x->of);
            continue;
        }
        if (c->how[r] == 1 && NUMEL(g->p->results[c->fres[r]].expr->shape) > c->maxp)
            c->maxp = NUMEL(g->p->results[c->fres[r]].expr->shape);
        c->any_fd |= c->how[r] == 1;
        c->any_fd2 |= c->how[r] == 2;
        for (s = 0; s < 2; s++) {
            int k = fill_kind(g, s ? c->ysym[r] : c->xsym[r]);
            c->any_sym |= k == 1 || k == 2;
            c->any_simplex |= k == 3;
        }
    }

}

/* the comment, the templates and the function main() runs P_eval through */
static void check_preamble(cg_state *g, sg_buf *b, const check_plan *c)
{
    const char *P = g->P, *T = g->real;
    int r;
    sg_buf_printf(b, "/* ---- --check "
                     "------------------------------------------------------------------ */\n\n");
    sg_buf_printf(b, "/*\n * main() checks every derivative %s_eval computes against central "
                     "finite\n * differences of the result it differentiates (a Hessian: of "
                     "the gradient, or\n * second differences of the value), at inputs drawn "
                     "at random as their\n * declarations allow, with a fixed seed%s%s. It "
                     "prints each one's worst relative\n * error and exits 1 when one exceeds "
                     "%s.\n",
                  P, c->dims.len ? ", for " : "", sg_buf_str(&c->dims), c->tol);
    if (c->any_sym)
        sg_buf_puts(b, " * A symmetric input moves S_ab and S_ba together, which keeps it "
                       "symmetric (and\n * positive definite): the derivative along that "
                       "direction is G_ab + G_ba (G_aa\n * on the diagonal) for the "
                       "unstructured gradient G, whichever triangle the\n * code reads.\n");
    if (c->any_simplex)
        sg_buf_puts(b, " * A simplex input moves e_a - e_last, which keeps its sum 1: the "
                       "derivative\n * along it is G_a - G_last.\n");
    sg_buf_puts(b, " */\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n");
    templ(g, b, "check.c");
    if (c->any_fd || c->any_fd2)
        templ(g, b, "check_fd.c");
    if (c->any_fd)
        templ(g, b, "check_jacobian.c");
    if (c->any_fd2)
        templ(g, b, "check_hessian.c");

    sg_buf_printf(b, "typedef struct {\n    %s_dims dims;\n    %s_in in;\n    void *work;\n"
                     "} sg_check_state;\n\n",
                  P, P);
    if (c->any_fd || c->any_fd2) {
        sg_buf_printf(b, "/* %s_eval computing result k alone, into dst */\n"
                         "static int sg_check_run(void *arg, int k, %s *dst)\n{\n"
                         "    sg_check_state *c = (sg_check_state *)arg;\n    %s_out out;\n"
                         "    memset(&out, 0, sizeof out);\n    switch (k) {\n",
                      P, T, P);
        for (r = 0; r < g->nres; r++)
            sg_buf_printf(b, "    case %d:\n        out.%s = dst;\n        break;\n", r,
                          g->resname[r]);
        sg_buf_printf(b, "    default:\n        break;\n    }\n"
                         "    return %s_eval(&c->dims, &c->in, &out, c->work);\n}\n\n",
                      P);
    }

}

/* main()'s locals, the dimensions, and the inputs' and results' memory */
static void check_setup(cg_state *g, sg_buf *b, const check_plan *c)
{
    const char *P = g->P, *T = g->real;
    int nd = sg_dim_count(g->ctx), ns = sg_sym_count(g->ctx), d, s, r;
    const long *dv = c->dv;
    sg_buf_printf(b, "int main(void)\n{\n    sg_check_state sg_c;\n    %s_out sg_o;\n"
                     "    %s *sg_x[%d], *sg_r[%d], *sg_fp, *sg_fm;\n"
                     "%s"
                     "    int sg_rc = 0, sg_bad = 0, sg_k, sg_try;\n\n"
                     "    memset(&sg_c, 0, sizeof sg_c);\n    memset(&sg_o, 0, sizeof sg_o);\n",
                  P, T, ns ? ns : 1, g->nres ? g->nres : 1,
                  c->any_fd || c->any_fd2 ? "    double sg_err;\n" : "");
    for (d = 0; d < nd; d++)
        if (sg_dim_get(g->ctx, d)->name)
            sg_buf_printf(b, "    sg_c.dims.%s = %ld;\n", g->dimfield[d],
                          dv[d]);
    for (s = 0; s < ns; s++) {
        sg_buf_printf(b, "    sg_x[%d] = sg_check_alloc(%ld);\n", s,
                      NUMEL(sg_sym_get(g->ctx, s)->shape) * steps_of(g, s, dv));
        sg_buf_printf(b, "    sg_c.in.%s = sg_x[%d];\n", g->fieldname[s], s);
    }
    if (!ns)
        sg_buf_puts(b, "    (void)sg_check_fill;\n");
    for (r = 0; r < g->nres; r++) {
        sg_buf_printf(b, "    sg_r[%d] = sg_check_alloc(%ld);\n", r, result_numel(g, r, dv));
        sg_buf_printf(b, "    sg_o.%s = sg_r[%d];\n", g->resname[r], r);
    }
    sg_buf_printf(b, "    sg_fp = sg_check_alloc(%ld);\n    sg_fm = sg_check_alloc(%ld);\n",
                  c->maxp, c->maxp);
    sg_buf_printf(b,
                  "    sg_c.work = malloc(%s_work_size(&sg_c.dims) + 1);\n"
                  "    if (!sg_c.work) {\n        fprintf(stderr, \"check: out of memory\\n\");\n"
                  "        return 2;\n    }\n\n",
                  P);
}

/* the inputs at random as declared, and one run of P_eval at them */
static void check_inputs(cg_state *g, sg_buf *b, const check_plan *c)
{
    const char *P = g->P;
    int ns = sg_sym_count(g->ctx), s, r;
    const long *dv = c->dv;
    sg_buf_puts(b, "    /* the inputs as declared, uniform in [-1, 1] where nothing is; in [0.5, "
                   "1.5]\n       instead when the results are not all finite there (a log, a "
                   "sqrt) */\n");
    sg_buf_puts(b, "    for (sg_try = 0; sg_try < 2; sg_try++) {\n");
    if (ns)
        sg_buf_puts(b, "        unsigned long long sg_seed = 20240229ull;\n");
    for (s = 0; s < ns; s++) {
        sg_shape sh = sg_sym_get(g->ctx, s)->shape;
        int k = fill_kind(g, s);
        long steps = steps_of(g, s, dv);
        if (k && steps != 1) /* each step as declared */
            sg_buf_printf(
                b,
                "        for (sg_k = 0; sg_k < %ld; sg_k++)\n"
                "            sg_check_fill(sg_x[%d] + sg_k * %ld, %ld, %ld, %d, &sg_seed);\n",
                steps, s, NUMEL(sh), ROWS(sh), dv[sh.cols], k);
        else /* every step at once: its steps are the rows of one matrix */
            sg_buf_printf(b, "        sg_check_fill(sg_x[%d], %ld, %ld, %s, &sg_seed);\n", s,
                          ROWS(sh) * steps, dv[sh.cols], k ? cg_fmt(g, "%d", k) : "sg_try ? 4 : 0");
    }
    sg_buf_printf(b, "        sg_rc = %s_eval(&sg_c.dims, &sg_c.in, &sg_o, sg_c.work);\n"
                     "        if (sg_rc == %s_OK",
                  P, g->PU);
    for (r = 0; r < g->nres; r++)
        sg_buf_printf(b, " &&\n            sg_check_finite(sg_r[%d], %ld)", r,
                      result_numel(g, r, dv));
    sg_buf_puts(b, ")\n            break;\n    }\n");
    sg_buf_printf(b, "    if (sg_rc != %s_OK) {\n"
                     "        printf(\"%s_eval returned %%d at the check's inputs\\n\", sg_rc);\n"
                     "        sg_bad = 1;\n"
                     "    } else if (sg_try == 2) {\n"
                     "        printf(\"check: the results are not finite at the check's "
                     "inputs\\n\");\n"
                     "        sg_bad = 1;\n"
                     "    } else if (sg_try == 1) {\n"
                     "        printf(\"check: inputs in [0.5, 1.5], where every result is "
                     "finite\\n\");\n"
                     "    }\n",
                  g->PU, P);
}

/* each derivative against its differences, then the memory freed */
static void check_results(cg_state *g, sg_buf *b, const check_plan *c)
{
    int ns = sg_sym_count(g->ctx), r;
    const long *dv = c->dv;
    sg_buf_puts(b, "    if (!sg_bad) {\n");
    if (!c->any_fd && !c->any_fd2)
        sg_buf_puts(b, "        printf(\"check: no derivative to check\\n\");\n");
    for (r = 0; r < g->nres; r++) {
        const sg_result *x = &g->p->results[r];
        const char *name = x->cname;
        int xs = c->xsym[r], ys = c->ysym[r];
        if (x->kind == SG_RES_VALUE)
            continue;
        if (!c->how[r]) {
            sg_buf_printf(b, "        printf(\"%s: not checked (%s)\\n\");\n", name,
                          cg_comment_safe(g, c->why[r]));
            continue;
        }
        if (c->how[r] == 1) {
            sg_shape ysh = sg_sym_get(g->ctx, ys)->shape;
            sg_buf_printf(b, "        /* %s: differences of %s along %s */\n", name,
                          g->resname[c->fres[r]], sg_sym_get(g->ctx, ys)->name);
            sg_buf_printf(b, "        sg_err = sg_check_jacobian(sg_check_run, &sg_c, %d, %ld, "
                             "sg_x[%d], %ld, %ld, %d, sg_r[%d],\n"
                             "                                   %s, sg_fp, sg_fm);\n",
                          c->fres[r], NUMEL(g->p->results[c->fres[r]].expr->shape), ys,
                          NUMEL(ysh) * steps_of(g, ys, dv), ROWS(ysh), fill_kind(g, ys), r, c->h1);
            sg_buf_printf(b, "        sg_bad |= sg_check_report(\"%s\", sg_err, %s);\n", name,
                          c->tol);
        } else {
            sg_shape xsh = sg_sym_get(g->ctx, xs)->shape, ysh = sg_sym_get(g->ctx, ys)->shape;
            sg_buf_printf(b, "        /* %s: second differences of %s along %s and %s */\n",
                          name, g->resname[c->fres[r]], sg_sym_get(g->ctx, xs)->name,
                          sg_sym_get(g->ctx, ys)->name);
            sg_buf_printf(b, "        sg_err = sg_check_hessian(sg_check_run, &sg_c, %d, sg_x[%d], "
                             "%ld, %ld, %d, sg_x[%d], %ld, %ld,\n"
                             "                                  %d, sg_r[%d], %s);\n",
                          c->fres[r], xs, NUMEL(xsh), ROWS(xsh), fill_kind(g, xs), ys, NUMEL(ysh),
                          ROWS(ysh), fill_kind(g, ys), r, c->h2);
            sg_buf_printf(b, "        sg_bad |= sg_check_report(\"%s\", sg_err, %s);\n", name,
                          c->tol);
        }
    }
    sg_buf_puts(b, "    }\n\n");
    sg_buf_printf(b, "    for (sg_k = 0; sg_k < %d; sg_k++)\n        free(sg_x[sg_k]);\n", ns);
    sg_buf_printf(b, "    for (sg_k = 0; sg_k < %d; sg_k++)\n        free(sg_r[sg_k]);\n",
                  g->nres);
    sg_buf_puts(b, "    free(sg_fp);\n    free(sg_fm);\n    free(sg_c.work);\n"
                   "    return sg_bad;\n}\n");
}

#undef ROWS
#undef NUMEL

void cg_check_main(cg_state *g, sg_buf *b)
{
    check_plan c;
    size_t n = (size_t)g->nres + 1;
    c.dv = sg_arena_alloc(g->ar, ((size_t)sg_dim_count(g->ctx) + 1) * sizeof *c.dv);
    c.maxp = 1;
    c.how = sg_arena_alloc(g->ar, n * sizeof *c.how);
    c.fres = sg_arena_alloc(g->ar, n * sizeof *c.fres);
    c.ysym = sg_arena_alloc(g->ar, n * sizeof *c.ysym);
    c.xsym = sg_arena_alloc(g->ar, n * sizeof *c.xsym);
    c.why = sg_arena_alloc(g->ar, n * sizeof *c.why);
    c.any_fd = c.any_fd2 = c.any_sym = c.any_simplex = 0;
    c.tol = g->o->use_float ? "1e-2" : "1e-5";
    c.h1 = g->o->use_float ? "5e-3" : "1e-6";
    c.h2 = g->o->use_float ? "2e-1" : "2e-2";
    sg_buf_init(&c.dims);
    check_dims(g, &c);
    check_compare(g, &c);
    check_preamble(g, b, &c);
    check_setup(g, b, &c);
    check_inputs(g, b, &c);
    check_results(g, b, &c);
    sg_buf_free(&c.dims);
}
