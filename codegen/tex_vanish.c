/*
 * tex_vanish.c: a recurrence's vanishing and exploding gradients.
 *
 * Derived, not cited, from the recurrence's own step: the step Jacobian
 * ∂h_t/∂h_{t−1} read off the lines of one step (the path from the step
 * body down to h[t−1], one factor per rule), its product over steps, and
 * the bound through the norms of its factors, with f′'s bound for the
 * step's nonlinearity. The step's formulas are re-indexed from t to j by
 * rewriting their TeX (retime).
 */
#include "tex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vanishing and exploding gradients ------------------------------------------ */

/* s with the loop's step index t, in every subscript, read as idx:
   h_t → h_j, h_{t-1} → h_{j-1}, z_{1,t} → z_{1,j} (the printers write
   steps relative to t, formula.c's pr_step and with_index above); the
   names in prot (a user's W_t) are copied as they are */
static const char *retime_raw(tex_doc *x, const char *s, const char *idx, const char *const *prot,
                              int nprot)
{
    sg_buf b;
    const char *r;
    size_t i, n = strlen(s);
    int p;
    sg_buf_init(&b);
    for (i = 0; i < n; i++) {
        for (p = 0; p < nprot; p++) {
            size_t m = strlen(prot[p]);
            if ((i == 0 || !tex_is_alpha_c(s[i - 1])) && !strncmp(s + i, prot[p], m) &&
                !tex_is_alpha_c(s[i + m]) && s[i + m] != '{' && !(s[i + m] >= '0' && s[i + m] <= '9'))
                break;
        }
        if (p < nprot) {
            sg_buf_puts(&b, prot[p]);
            i += strlen(prot[p]) - 1;
            continue;
        }
        sg_buf_putc(&b, s[i]);
        if (s[i] != '_' || (i > 0 && s[i - 1] == '\\'))
            continue;
        if (s[i + 1] == 't' && !tex_is_alpha_c(s[i + 2]) && !(s[i + 2] >= '0' && s[i + 2] <= '9')) {
            sg_buf_printf(&b, strlen(idx) == 1 ? "%s" : "{%s}", idx);
            i++;
        } else if (s[i + 1] == '{') { /* a group: a standalone t in it */
            int depth = 0;
            size_t k;
            for (k = i + 1; k < n; k++) {
                char c = s[k], pc = s[k - 1], q = s[k + 1];
                if (c == '{')
                    depth++;
                else if (c == '}')
                    depth--;
                if (c == 't' && depth == 1 && (pc == '{' || pc == ',' || pc == ' ') &&
                    (q == '}' || q == '+' || q == '-' || q == ','))
                    sg_buf_puts(&b, idx);
                else
                    sg_buf_putc(&b, c);
                if (depth == 0)
                    break;
            }
            i = k;
        }
    }
    r = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/* retime_raw, the user's own names that carry a subscript t (W_t) kept */
static const char *retime(tex_doc *x, const char *s, const char *idx)
{
    const char **prot = sg_arena_alloc(x->ar, ((size_t)x->nsyms0 + (size_t)x->p->ndefs + 1) *
                                                  sizeof *prot);
    int i, n = 0;
    for (i = 0; i < x->nsyms0 + x->p->ndefs; i++) {
        const char *raw = i < x->nsyms0 ? sg_sym_get(x->ctx, i)->name
                                        : x->p->defs[i - x->nsyms0].name;
        const char *t;
        if (!raw || (i < x->nsyms0 && sg_sym_get(x->ctx, i)->seq >= 0))
            continue; /* a sequence's name takes the step index: x_t */
        t = tex_name(x, raw);
        if (strcmp(retime_raw(x, t, "j", NULL, 0), t))
            prot[n++] = t;
    }
    return retime_raw(x, s, idx, prot, n);
}

/* sup |f′| of an elementwise f, in TeX and as a number; NULL when f′ is
   unbounded (exp, log, √) */
static const char *fprime_bound(sg_op op, double *v)
{
    switch (op) {
    case SG_OP_TANH: case SG_OP_RELU: case SG_OP_SOFTPLUS: case SG_OP_SIN: case SG_OP_COS:
    case SG_OP_ABS: case SG_OP_ARCTAN:
        *v = 1;
        return "1";
    case SG_OP_ERF: /* erf′(z) = (2/√π) e^{−z²}, largest at 0 */
        *v = 1.1284;
        return "\\tfrac{2}{\\sqrt{\\pi}}";
    case SG_OP_SIGMOID:
        *v = 0.25;
        return "\\tfrac{1}{4}";
    case SG_OP_SWISH: /* swish′(z) = σ(z)(1 + z(1 − σ(z))), largest at z ≈ 2.40 */
        *v = 1.0998;
        return "1.0998";
    case SG_OP_STEP: case SG_OP_SIGN:
        *v = 0;
        return "0";
    default:
        return NULL;
    }
}

/* one factor of the step Jacobian ∂h_t/∂h_{t−1} = F_1 F_2 ⋯ */
typedef struct {
    const char *tex;   /* diag(𝟙 − h_t ⊙ h_t), W_hh, 2 */
    const char *why;   /* diag(tanh′(a_t)): what it is, or NULL */
    const char *norm;  /* its spectral norm, or a bound of it, in TeX */
    const char *gamma; /* the bound of an elementwise f′ it uses, or NULL */
    double gv;
    sg_op f;           /* that f; SG_OP_COUNT for none */
    int rule;          /* the rule it comes from, cited */
    int bounded;       /* its norm has a bound independent of the step */
} jfactor;

/* the derivative f′ an elementwise step's rule multiplied its adjoint by,
   as the log recorded it: contrib = g ⊙ f′ */
static const sg_expr *logged_fprime(tex_doc *x, const sg_expr *y, const sg_expr *g, const sg_expr *c)
{
    if (c->op == SG_OP_HADAMARD && c->kid[0] == g)
        return c->kid[1];
    if (c->op == SG_OP_HADAMARD && c->kid[1] == g)
        return c->kid[0];
    /* simplified past recognition: the rule's own derivative, as jac_form */
    return sg_deriv_fprime(x->dv, y);
}

/* the step Jacobian as the page shows it */
typedef struct {
    jfactor *f;        /* its factors, right to left */
    int nf;
    const char *ht, *hp; /* h_t and h_{t−1} in TeX */
    const char *kk, *jj; /* the free letters for an earlier step and a product's index */
    const char *hk;      /* h_k */
    const char *Jt;      /* the factors, left to right, or NULL: not a chain */
    const char *J;       /* the same with f′ named, or NULL */
} step_jac;

/* the factor of edge e (into the node below it) in fc; 0 when e's rule
   is not a factor of a chain (the step Jacobian is then not printed) */
static int factor_of_edge(tex_doc *x, const tex_seg *sg, const tex_edge *e, jfactor *fc)
{
    const sg_expr *y = e->node;
    memset(fc, 0, sizeof *fc);
    fc->f = SG_OP_COUNT;
    fc->bounded = 1;
    fc->rule = x->cite[tex_rule_of(y, e->merged)];
    if (y->op == SG_OP_ADD) {
        fc->tex = NULL; /* the identity */
    } else if (y->op == SG_OP_MUL && tex_is_scalar(y->kid[0]) && e->kid == 1) {
        fc->tex = tex_factor(x, y->kid[0], TEX_M_FORM);
        fc->norm = sg_arena_printf(x->ar, "\\lvert %s\\rvert", fc->tex);
        fc->bounded = !sg_expr_varies(y->kid[0]);
    } else if (y->op == SG_OP_MUL && e->kid == 1 && !tex_is_scalar(y)) {
        fc->tex = tex_factor(x, y->kid[0], TEX_M_FORM);
        fc->norm = sg_arena_printf(x->ar, "\\lVert %s\\rVert_2", fc->tex);
        fc->bounded = !sg_expr_varies(y->kid[0]);
    } else if (y->op == SG_OP_HADAMARD) {
        const char *d = tex_str(x, y->kid[1 - e->kid], TEX_M_FORM, 1);
        fc->tex = sg_arena_printf(x->ar, "\\operatorname{diag}(%s)", d);
        fc->norm = sg_arena_printf(x->ar, "\\max_i \\lvert %s\\rvert", tex_entry(x, d, "i"));
        fc->bounded = !sg_expr_varies(y->kid[1 - e->kid]);
    } else if (sg_op_is_elementwise_unary(y->op) && y->op != SG_OP_SEQSTEP) {
        const sg_expr *d = logged_fprime(x, y, tex_seg_at(sg, y)->adj, e->contrib);
        const char *a = tex_str(x, y->kid[0], TEX_M_FORM, 1);
        fc->f = y->op;
        fc->tex = sg_arena_printf(x->ar, "\\operatorname{diag}(%s)", tex_value_text(x, d, TEX_M_CLOSED, 0));
        fc->why = sg_arena_printf(x->ar, "\\operatorname{diag}(%s(%s))", tex_prime_of(x, y->op), a);
        fc->gamma = fprime_bound(y->op, &fc->gv);
        fc->norm = sg_arena_printf(x->ar, "\\max_i \\lvert %s(%s)\\rvert",
                                   tex_prime_of(x, y->op), tex_entry(x, a, "i"));
        fc->bounded = fc->gamma != NULL;
    } else {
        return 0;
    }
    return 1;
}

/* up from h[t−1] (prev) to the body, one edge at a time: the factors right
   to left into sj; Jt and J, the step Jacobian, when that is a chain */
static void step_factors(tex_doc *x, const tex_seg *sg, const sg_expr *prev, const sg_expr *body,
                         step_jac *sj)
{
    const sg_expr *c;
    int chain = 1;
    sg_buf jb, wb;
    int i, any = 0;
    for (c = prev; c != body && chain;) {
        const tex_segnode *n = tex_seg_at(sg, c);
        const tex_edge *e;
        if (n->nin != 1) {
            chain = 0;
            break;
        }
        e = &sg->e[n->firstin];
        if (!factor_of_edge(x, sg, e, &sj->f[sj->nf])) {
            chain = 0;
            break;
        }
        if (sj->f[sj->nf].tex)
            sj->nf++;
        c = e->node;
    }
    /* J_t: the step Jacobian, its factors in order from the body down */
    sg_buf_init(&jb);
    sg_buf_init(&wb);
    for (i = sj->nf - 1; chain && i >= 0; i--) {
        const jfactor *f = &sj->f[i];
        if (jb.len && (f->tex[0] != '\\' || tex_is_alpha_c(f->tex[1])) &&
            tex_is_alpha_c(jb.data[jb.len - 1]))
            sg_buf_putc(&jb, ' ');
        sg_buf_puts(&jb, f->tex);
        sg_buf_puts(&wb, f->why ? f->why : f->tex);
        any |= f->why != NULL;
    }
    sj->Jt = chain && jb.len ? sg_arena_strdup(x->ar, sg_buf_str(&jb)) : NULL;
    sj->J = chain && any ? sg_arena_strdup(x->ar, sg_buf_str(&wb)) : NULL;
    sg_buf_free(&jb);
    sg_buf_free(&wb);
}

/* the step Jacobian read off the lines of one step (or named J_t), then
   the product over steps by the chain rule; into: what reaches h[t−1] */
static void say_product(tex_doc *x, sg_buf *b, const step_jac *sj, const char *into)
{
    const char *ht = sj->ht, *hp = sj->hp, *hk = sj->hk, *kk = sj->kk, *jj = sj->jj, *Jj;
    if (sj->Jt) {
        sg_buf tags; /* every factor's rule: "R3, R1" */
        int i;
        sg_buf_printf(b, "read off the lines of one step above: what reaches $%s$ is "
                         "$(\\partial %s/\\partial %s)^\\top\\delta_t", hp, ht, hp);
        if (into)
            sg_buf_printf(b, " = %s", into);
        sg_buf_puts(b, "$, one factor per rule, so\n\\begin{align*}\n");
        sg_buf_printf(b, "  \\frac{\\partial %s}{\\partial %s} &= %s%s%s", ht, hp,
                      sj->J ? sj->J : "", sj->J ? " = " : "", sj->Jt);
        sg_buf_init(&tags);
        for (i = sj->nf - 1; i >= 0; i--)
            if (sj->f[i].rule)
                sg_buf_printf(&tags, "%sR%d", tags.len ? ", " : "", sj->f[i].rule);
        if (tags.len)
            sg_buf_printf(b, " \\tag*{(%s)}", sg_buf_str(&tags));
        sg_buf_free(&tags);
        sg_buf_puts(b, "\n\\end{align*}\n");
        Jj = retime(x, sj->Jt, jj);
    } else {
        sg_buf_printf(b, "$J_t = \\partial %s/\\partial %s$, the Jacobian of one step (what "
                         "reaches $%s$ in the lines of one step above is $J_t^\\top\\delta_t",
                      ht, hp, hp);
        if (into)
            sg_buf_printf(b, " = %s", into);
        sg_buf_puts(b, "$),\n");
        Jj = NULL;
    }
    sg_buf_printf(b, "and so, by the chain rule, for $%s < t$\n\\begin{align*}\n", kk);
    sg_buf_printf(b, "  \\frac{\\partial %s}{\\partial %s} &= \\frac{\\partial %s}{\\partial %s}"
                     "\\,\\frac{\\partial %s}{\\partial %s} \\cdots \\frac{\\partial %s}"
                     "{\\partial %s} = \\prod_{%s=%s+1}^{t} %s",
                  ht, hk, ht, hp, hp, retime(x, ht, "t-2") /* h_{t-2} */, retime(x, ht,
                  sg_arena_printf(x->ar, "%s+1", kk)), hk, jj, kk,
                  Jj ? Jj : sg_arena_printf(x->ar, "J_{%s}", jj));
    sg_buf_puts(b, "\n\\end{align*}\n");
    sg_buf_printf(b, "with the factor of step $t$ on the left and that of step $%s+1$ on the "
                     "right.\n", kk);
}

/* what a bound (a constant, with the f′ bounds' product gprod of ng
   factors) says: vanishing below 1, exploding above; cst, the whole
   constant, when no matrix is in the step (bound NULL) */
static void say_decay(tex_doc *x, sg_buf *b, const step_jac *sj, const char *bound,
                      const char *cst, double gprod, int ng)
{
    const char *kk = sj->kk;
    if (bound && gprod > 0) {
        const jfactor *last = &sj->f[sj->nf - 1]; /* a bound: some factor */
        const char *thr = gprod < 1 && ng ? sg_arena_printf(x->ar, "%g", 1 / gprod) : "1";
        sg_buf_printf(b, "If $%s < %s$, the bound decays geometrically in the distance "
                         "$t - %s$: what the loss at step $t$ contributes to $\\delta_{%s}$ "
                         "shrinks exponentially, and the gradient carries almost nothing "
                         "from far-away steps (vanishing gradients)",
                      bound, thr, kk, kk);
        if (ng && gprod <= 1)
            sg_buf_printf(b, "; each factor $%s$ can only shrink it further, most where "
                             "the units saturate", last->f != SG_OP_COUNT
                             ? retime(x, last->why ? last->why : last->tex, sj->jj)
                             : "\\operatorname{diag}(\\cdot)");
        sg_buf_printf(b, ". If $%s > %s$, the bound grows exponentially in $t - %s$ and "
                         "the product may grow with it, where the states stay out of "
                         "saturation along the largest singular direction (exploding "
                         "gradients, which is why gradients are clipped); a bound that "
                         "grows allows this but does not force it.\n\n",
                      bound, thr, kk);
    } else if (gprod > 0) { /* no matrix in the step: the f′ bounds alone */
        sg_buf_printf(b, "The step has no matrix: the bound is $(%s)^{t-%s}$, so %s.\n\n",
                      cst, kk, gprod < 1 ? "the gradient from far-away steps vanishes "
                      "geometrically, whatever the states" : gprod == 1 ? "the gradient "
                      "cannot explode, and it vanishes wherever the units saturate"
                      : "it may grow geometrically (exploding gradients) where the units "
                      "stay near the largest slope");
    } else {
        sg_buf_puts(b, "Every factor of the step Jacobian is zero almost everywhere, so "
                       "the gradient does not flow back through the states at all.\n\n");
    }
}

/* every factor bounded independently of the step: the bound
   ‖∂h_t/∂h_k‖ ≤ c^{t−k}, its constant from the norms (nb, each factor's;
   cb, the constant's; gb, the f′ bounds said), then what it says */
static void say_bound(tex_doc *x, sg_buf *b, const step_jac *sj, const char *nb, const char *cst,
                      const char *gb, double gprod, int ng, int gt1, int ndiag)
{
    const char *bound = NULL;
    int i, nf = sj->nf;
    /* one norm takes its power without parentheses */
    int bare = nf == 1 && !ng;
    sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative%s"
                     "%s%s%s, so\n\\begin{align*}\n",
                  ndiag ? ", and $\\lVert\\operatorname{diag}(d)\\rVert_2 = \\max_i "
                  "\\lvert d_i\\rvert$; " : "; ", ng ? "with " : "", gb,
                  ng ? "" : "every factor is the same at every step");
    sg_buf_printf(b, "  \\left\\lVert \\frac{\\partial %s}{\\partial %s}\\right\\rVert_2 "
                     "&\\le \\prod_{%s=%s+1}^{t} %s\\\\\n  &\\le %s%s%s^{t-%s}",
                  sj->ht, sj->hk, sj->jj, sj->kk, nb, bare ? "" : "\\bigl(", cst,
                  bare ? "" : "\\bigr)", sj->kk);
    /* the constant without the f′ bounds, when they are at most 1 */
    if (ng && !gt1) {
        sg_buf mb;
        sg_buf_init(&mb);
        for (i = nf - 1; i >= 0; i--)
            if (!sj->f[i].gamma) {
                if (mb.len)
                    sg_buf_puts(&mb, " \\, ");
                sg_buf_puts(&mb, sj->f[i].norm);
            }
        if (mb.len) {
            bound = sg_arena_strdup(x->ar, sg_buf_str(&mb));
            sg_buf_printf(b, nf - ng == 1 ? " \\le %s^{t-%s}" : " \\le \\bigl(%s\\bigr)^{t-%s}",
                          bound, sj->kk);
        }
        sg_buf_free(&mb);
    } else {
        bound = cst;
    }
    sg_buf_puts(b, "\n\\end{align*}\n");
    say_decay(x, b, sj, bound, cst, gprod, ng);
}

/* the bound: the spectral norm is submultiplicative */
static void say_norms(tex_doc *x, sg_buf *b, const step_jac *sj)
{
    const char *ht = sj->ht, *hk = sj->hk, *kk = sj->kk, *jj = sj->jj;
    const jfactor *f = sj->f;
    sg_buf nb, cb, gb;
    int i, ng = 0, gt1 = 0, ndiag = 0, all_bounded = 1;
    double gprod = 1;
    if (!sj->Jt) {
        sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative, so "
                         "$\\lVert \\partial %s/\\partial %s\\rVert_2 \\le \\prod_{%s=%s+1}^{t} "
                         "\\lVert J_{%s}\\rVert_2 \\le (\\max_%s \\lVert J_%s\\rVert_2)^{t-%s}$: "
                         "below 1 the gradient from far-away steps vanishes geometrically, above "
                         "1 it may explode.\n\n",
                      ht, hk, jj, kk, jj, jj, jj, kk);
        return;
    }
    sg_buf_init(&nb);
    sg_buf_init(&cb);
    sg_buf_init(&gb);
    for (i = sj->nf - 1; i >= 0; i--) {
        ndiag += !strncmp(f[i].tex, "\\operatorname{diag}", 19);
        if (nb.len)
            sg_buf_puts(&nb, "\\,");
        sg_buf_puts(&nb, retime(x, f[i].norm, jj));
        if (!f[i].bounded)
            all_bounded = 0;
        else if (f[i].gamma) {
            sg_buf_printf(&gb, "%s$\\max_z \\lvert %s(z)\\rvert = %s$", ng ? ", " : "",
                          tex_prime_of(x, f[i].f), f[i].gamma);
            gprod *= f[i].gv;
            gt1 |= f[i].gv > 1;
            ng++;
        } else {
            if (cb.len)
                sg_buf_puts(&cb, " \\, ");
            sg_buf_puts(&cb, f[i].norm);
        }
    }
    for (i = sj->nf - 1; i >= 0; i--) /* the f′ bounds after the norms */
        if (f[i].bounded && f[i].gamma)
            sg_buf_printf(&cb, "%s\\max\\lvert %s\\rvert", cb.len ? " \\cdot " : "",
                          tex_prime_of(x, f[i].f));
    if (all_bounded) {
        say_bound(x, b, sj, sg_buf_str(&nb), sg_buf_str(&cb), sg_buf_str(&gb), gprod, ng, gt1,
                  ndiag);
    } else {
        sg_buf_printf(b, "The spectral norm $\\lVert\\cdot\\rVert_2$ is submultiplicative, so\n"
                         "\\begin{align*}\n  \\left\\lVert \\frac{\\partial %s}{\\partial %s}"
                         "\\right\\rVert_2 &\\le \\prod_{%s=%s+1}^{t} %s\n\\end{align*}\n",
                      ht, hk, jj, kk, sg_buf_str(&nb));
        sg_buf_puts(b, "A factor here has no bound that holds at every step, so the product "
                       "is bounded step by step only: where the factors' norms stay below 1 "
                       "it vanishes geometrically, where they stay above 1 it may explode.\n\n");
    }
    sg_buf_free(&nb);
    sg_buf_free(&cb);
    sg_buf_free(&gb);
}

/*
 * The RNN's vanishing and exploding gradients, for the recurrence q of log
 * g: the step Jacobian read off the lines of one step (the path from the
 * step body down to h[t−1], one factor per rule), its product over steps,
 * and the bound through the norms of its factors.
 */
void tex_doc_vanishing(tex_doc *x, const sg_log *g, int q)
{
    sg_buf *b = x->out;
    const sg_seq *h = sg_seq_get(x->ctx, q);
    const sg_expr *prev = sg_deriv_step(x->dv, q, -1);
    const sg_step *rec = NULL;
    static const char *const ks[] = {"k", "\\tau"}, *const js[] = {"j", "i", "m"};
    const char *into = NULL;
    step_jac sj;
    int k, end;
    tex_seg sg;
    if (h->kind != SG_SEQ_FORWARD || h->shape.cols != SG_DIM_ONE)
        return; /* a matrix state: its Jacobian is not a matrix of the page */
    for (k = 0; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_SEQ_REC && g->steps[k].seq == q) {
            rec = &g->steps[k];
            break;
        }
    if (!rec)
        return;
    for (end = k + 1; end < g->nsteps && g->steps[end].kind < SG_STEP_SEQ_SUM &&
                      g->steps[end].kind != SG_STEP_JACOBIAN;
         end++)
        ;
    tex_seg_build(x, &sg, g, k + 1, end, rec->node, (sg_expr *)rec->adjoint);
    if (tex_seg_at(&sg, prev)->nin == 0) { /* h[t] does not read h[t−1] */
        tex_seg_free(&sg);
        return;
    }
    memset(&sj, 0, sizeof sj);
    sj.f = sg_xmalloc(((size_t)sg.ne + 1) * sizeof *sj.f);
    step_factors(x, &sg, prev, rec->node, &sj);
    sj.ht = tex_step(x, q, 0);
    sj.hp = tex_str(x, prev, TEX_M_FORM, 1);
    sj.kk = tex_free_letter(x, ks, 2);
    sj.jj = tex_free_letter(x, js, 3);
    sj.hk = retime(x, sj.ht, sj.kk);
    {   /* what the lines of one step gave h[t−1] */
        const tex_segnode *n = tex_seg_at(&sg, prev);
        if (n->nin == 1)
            into = tex_value_text(x, sg.e[n->firstin].contrib, TEX_M_CLOSED, 0);
    }
    sg_buf_puts(b, "\\subsection*{Vanishing and exploding gradients}\n");
    sg_buf_printf(b, "Unrolling the recurrence for $\\delta$, $\\delta_{%s}$ collects the direct term "
                     "of every later step $t \\ge %s$, carried back to $%s$ by $(\\partial %s/"
                     "\\partial %s)^\\top$. That Jacobian is a product of one Jacobian per step, ",
                  sj.kk, sj.kk, sj.hk, sj.ht, sj.hk);
    say_product(x, b, &sj, into);
    say_norms(x, b, &sj);
    free(sj.f);
    tex_seg_free(&sg);
}
