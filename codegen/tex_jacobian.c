/*
 * tex_jacobian.c: Jacobians and Hessians, and the softmax family derived.
 *
 * Jacobian steps of the log (forward propagation) are lines J(a) = …, one
 * per station, each said in terms of the lines above; a Hessian is the
 * Jacobian of the gradient. What a course derives rather than cites is
 * derived: the softmax family's Jacobians (softmax, log-softmax,
 * logsumexp) from their definitions, entry by entry and then vectorised,
 * before a rule built on them is used, once per document.
 */
#include "tex.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- Jacobians and Hessians -------------------------------------------------------- */

/* the forward rules of jacobian.c, by the text the log records */
static const char *const jrules[][2] = {
    {"J(x) = I", "J(x) = I"},
    {"J(s) = (∇ₓs)ᵀ", "J(s) = (\\nabla_x s)^\\top \\text{ for a scalar } s"},
    {"J(a + b) = J(a) + J(b)", "J(a + b) = J(a) + J(b)"},
    {"J(aᵀ) = J(a)", "J(a^\\top) = J(a)"},
    {"J(s𝟙) = 𝟙 J(s)", "J(s\\mathbf{1}) = \\mathbf{1}J(s)"},
    {"J(s v) = s J(v) + v J(s)", "J(sv) = sJ(v) + vJ(s)"},
    {"J(A v) = A J(v)", "J(Av) = AJ(v)"},
    {"J(u M) = Mᵀ J(u)", "J(uM) = M^\\top J(u)"},
    {"J(a ⊙ b) = diag(b) J(a) + diag(a) J(b)",
     "J(a \\odot b) = \\operatorname{diag}(b)J(a) + \\operatorname{diag}(a)J(b)"},
    {"J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag((a ⊘ b) ⊘ b) J(b)",
     "J(a \\oslash b) = \\operatorname{diag}(\\mathbf{1} \\oslash b)J(a) - "
     "\\operatorname{diag}((a \\oslash b) \\oslash b)J(b)"},
    {"J(a.^p) = diag(p a.^(p−1)) J(a) + (a.^p ⊙ log a) J(p)",
     "J(a^{\\circ p}) = \\operatorname{diag}(p\\,a^{\\circ(p-1)})J(a) + (a^{\\circ p} \\odot "
     "\\log a)J(p)"},
    {"J(softmax(a)) = (diag(s) − ssᵀ) J(a), s = softmax(a)",
     "J(s) = (\\operatorname{diag}(s) - ss^\\top)J(a) \\text{ for } s = "
     "\\operatorname{softmax}(a)"},
    {"J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a)",
     "J(\\log\\operatorname{softmax}(a)) = (I - \\mathbf{1}\\operatorname{softmax}(a)^\\top)J(a)"},
    {"J(f(a)) = diag(f′(a)) J(a)",
     "J(f(a)) = \\operatorname{diag}(f'(a))J(a) \\text{ for an elementwise } f"},
    {"J(A B) = (I ⊗ Bᵀ) J(A) + (A ⊗ I) J(B)",
     "J(AB) = (I \\otimes B^\\top)J(A) + (A \\otimes I)J(B)"},
    {"J(Aᵀ) = K J(A), K the commutation matrix",
     "J(A^\\top) = K J(A) \\text{ for the commutation matrix } K"},
};

#define NJRULES (int)(sizeof jrules / sizeof jrules[0])

/* the rule table's entry (symbolic/rules.h) of each row of jrules: a step
   of the log names its rule by id */
static const sg_rule_id jids[NJRULES] = {
    SG_RULE_J_X,        SG_RULE_J_SCALAR,   SG_RULE_J_ADD,        SG_RULE_J_TRANSPOSE,
    SG_RULE_J_FILL,     SG_RULE_J_SCALE,    SG_RULE_J_MATVEC,     SG_RULE_J_ROWMAT,
    SG_RULE_J_HADAMARD, SG_RULE_J_HDIV,     SG_RULE_J_POW,        SG_RULE_J_SOFTMAX,
    SG_RULE_J_LOGSOFTMAX, SG_RULE_J_ELEMENTWISE, SG_RULE_J_MATMUL, SG_RULE_J_COMMUTE,
};

/* l r as one product: a space where a control word would run into r */
static const char *jux(tex_doc *x, const char *l, const char *r)
{
    size_t n = strlen(l), i = n;
    while (i > 0 && ((l[i - 1] >= 'a' && l[i - 1] <= 'z') || (l[i - 1] >= 'A' && l[i - 1] <= 'Z')))
        i--;
    if (i < n && i > 0 && l[i - 1] == '\\')
        return sg_arena_printf(x->ar, "%s %s", l, r);
    return sg_arena_printf(x->ar, "%s%s", l, r);
}

/* "J(Xw)", J(∂L/∂h_1) for a long node of a gradient */
static const char *jname(tex_doc *x, const sg_expr *e)
{
    const char *t = tex_str(x, e, TEX_M_VALUE, 1);
    if (strstr(t, "\\frac") || strstr(t, "\\sum"))
        return sg_arena_printf(x->ar, "J\\left(%s\\right)", t);
    return sg_arena_printf(x->ar, "J(%s)", t);
}

/*
 * After the line of J(e): its value j is said from now on as the backward
 * pass says an adjoint (name_adjoint()), by its closed form where that is
 * short, else by the name J(e). A Jacobian logged as a DAG (J(v ⊙ v) reads
 * J(v) twice) is then printed line by line in terms of the lines above, not
 * as its tree, which doubles with every level.
 */
static void name_jacobian(tex_doc *x, const sg_expr *e, const sg_expr *j)
{
    sg_expr *closed, *ph;
    const char *text, *name;
    tex_list phs = {NULL, 0, 0};
    int lng, budget = 400;
    if (!j || tex_is_leaf(j) || j->name || (j->id < x->nni && (x->ni[j->id].lined ||
                                                          x->ni[j->id].ph || x->ni[j->id].fwd)))
        return;
    closed = tex_said(x, j, 1);
    text = tex_value_text(x, j, TEX_M_VALUE, 0);
    lng = tex_width(text) >= 20 || tex_shown_size(x, closed, TEX_M_VALUE, 60, 1) > 60;
    if (!lng) { /* not closed: it names lines above */
        tex_phs_in(x, closed, &phs, &budget);
        lng = phs.n > 0;
        free(phs.v);
    }
    name = jname(x, e);
    ph = sg_deriv_standin(x->dv, j->shape, 0);
    tex_node_of(x, ph)->ph = name;
    tex_line_adjoint(x, j, ph, lng ? NULL : closed);
}

/* diag(a) of a vector, diag(vec(A)) of a matrix, with a's form given */
static const char *jdiag(const tex_doc *x, const sg_expr *a, const char *form)
{
    if (a->shape.rows == SG_DIM_ONE || a->shape.cols == SG_DIM_ONE)
        return sg_arena_printf(x->ar, "\\operatorname{diag}(%s)", form);
    return sg_arena_printf(x->ar, "\\operatorname{diag}(\\operatorname{vec}(%s))", form);
}

/* J(AB) with a matrix among A, B, AB: (I ⊗ Bᵀ)J(A) + (A ⊗ I)J(B), into t */
static void jac_matmul(tex_doc *x, sg_buf *t, const sg_expr *e, int ja, int jb)
{
    const sg_expr *a = e->kid[0], *b = e->kid[1];
    if (ja)
        sg_buf_printf(t, "(I \\otimes %s)%s",
                      tex_factor(x, sg_deriv_transpose(x->dv, b), TEX_M_FORM), jname(x, a));
    if (ja && jb)
        sg_buf_puts(t, "\002 + ");
    if (jb)
        sg_buf_printf(t, "(%s \\otimes I)%s", tex_factor(x, a, TEX_M_FORM), jname(x, b));
}

/* the forward rule of step st, instantiated: A J(v), diag(f′(a)) J(a) */
static const char *jac_form(tex_doc *x, const sg_expr *e, const sg_idmap *hasj, const sg_expr *wrt,
                            sg_rule_id rule)
{
    const sg_expr *a = e->nkids > 0 ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    int ja = a && sg_idmap_find(hasj, a) != SG_IDMAP_NONE;
    int jb = b && sg_idmap_find(hasj, b) != SG_IDMAP_NONE;
    sg_buf t;
    const char *s;
    if (e == wrt || tex_is_scalar(e))
        return NULL;
    sg_buf_init(&t);
    switch (e->op) {
    case SG_OP_ADD:
        if (ja)
            sg_buf_puts(&t, jname(x, a));
        if (ja && jb)
            sg_buf_puts(&t, "\002 + ");
        if (jb)
            sg_buf_puts(&t, jname(x, b));
        break;
    case SG_OP_TRANSPOSE:
        if (rule == SG_RULE_J_COMMUTE)
            sg_buf_puts(&t, "K");
        sg_buf_puts(&t, jname(x, a));
        break;
    case SG_OP_FILL:
        sg_buf_printf(&t, "\\mathbf{1}%s", jname(x, a));
        break;
    case SG_OP_MUL:
        if (rule == SG_RULE_J_MATMUL) {
            jac_matmul(x, &t, e, ja, jb);
        } else if (tex_is_scalar(a)) {
            if (jb)
                sg_buf_puts(&t, jux(x, tex_factor(x, a, TEX_M_FORM), jname(x, b)));
            if (ja && jb)
                sg_buf_puts(&t, "\002 + ");
            if (ja)
                sg_buf_puts(&t, jux(x, tex_factor(x, b, TEX_M_FORM), jname(x, a)));
        } else if (jb) {
            sg_buf_puts(&t, jux(x, tex_factor(x, a, TEX_M_FORM), jname(x, b)));
        } else {
            sg_buf_puts(&t, jux(x, tex_factor(x, sg_deriv_transpose(x->dv, b), TEX_M_FORM),
                                jname(x, a)));
        }
        break;
    case SG_OP_HADAMARD:
        if (ja)
            sg_buf_printf(&t, "%s%s", jdiag(x, b, tex_str(x, b, TEX_M_FORM, 1)), jname(x, a));
        if (ja && jb)
            sg_buf_puts(&t, "\002 + ");
        if (jb)
            sg_buf_printf(&t, "%s%s", jdiag(x, a, tex_str(x, a, TEX_M_FORM, 1)), jname(x, b));
        break;
    case SG_OP_SOFTMAX:
        sg_buf_printf(&t, "(\\operatorname{diag}(%s) - %s%s^\\top)%s", tex_str(x, e, TEX_M_FORM, 1),
                      tex_str(x, e, TEX_M_FORM, 1), tex_str(x, e, TEX_M_FORM, 1), jname(x, a));
        break;
    case SG_OP_LOGSOFTMAX:
        sg_buf_printf(&t, "(I - \\mathbf{1}\\operatorname{softmax}(%s)^\\top)%s",
                      tex_str(x, a, TEX_M_FORM, 1), jname(x, a));
        break;
    default:
        if (sg_op_is_elementwise_unary(e->op)) {
            const sg_expr *d = sg_deriv_fprime(x->dv, e);
            sg_buf_printf(&t, "%s%s", jdiag(x, d, tex_str(x, d, TEX_M_FORM, 1)), jname(x, a));
        }
        break;
    }
    s = t.len ? sg_arena_strdup(x->ar, sg_buf_str(&t)) : NULL;
    sg_buf_free(&t);
    return s;
}

/* v_i for a name v: x_i, (z_1)_i */
const char *tex_entry(tex_doc *x, const char *v, const char *i)
{
    const char *t = v;
    int word = 0;
    if (*t == '\\') { /* one control word (\theta) is one symbol */
        for (t++; tex_is_alpha_c(*t); t++)
            ;
        word = *t == '\0';
    }
    if (!word && (strchr(v, '_') || strchr(v, '^') || strchr(v, '\\') || strchr(v, '(')))
        return sg_arena_printf(x->ar, "(%s)_{%s}", v, i);
    return sg_arena_printf(x->ar, "%s_{%s}", v, i);
}

/* is the LaTeX a plain name (s, z_2, \beta), fit to index? */
int tex_plain_name(const char *t)
{
    if (!strncmp(t, "\\mathit{", 8))
        return 1;
    for (; *t; t++)
        if (*t == '(' || *t == ' ' || *t == '^' || (*t == '\\' && strncmp(t, "\\beta", 5) &&
                                                   strncmp(t, "\\alpha", 6)))
            return 0;
    return 1;
}

/* the softmax family's Jacobians among g's steps from `from` on, derived
   first, numbered as the list of rules will be: at most two, since each of
   J_SOFTMAX and J_LOGSOFTMAX is listed once; returns how many */
static int softmax_first(tex_doc *x, const sg_log *g, int from, const char **predone,
                         const sg_expr **prenode)
{
    int order[NJRULES], mark[NJRULES], norder = 0, npredone = 0, j, k;
    const sg_expr *first[NJRULES];
    memset(mark, 0, sizeof mark);
    for (k = from; k < g->nsteps; k++) {
        const sg_step *st = &g->steps[k];
        if (st->kind != SG_STEP_JACOBIAN)
            continue;
        for (j = 0; j < NJRULES && jids[j] != st->rule_id; j++)
            ;
        if (j < NJRULES && !mark[j]) {
            mark[j] = 1;
            first[norder] = st->node;
            order[norder++] = j;
        }
    }
    for (j = 0; j < norder; j++)
        if ((jids[order[j]] == SG_RULE_J_SOFTMAX && first[j]->op == SG_OP_SOFTMAX) ||
            (jids[order[j]] == SG_RULE_J_LOGSOFTMAX && first[j]->op == SG_OP_LOGSOFTMAX)) {
            predone[npredone] = sg_arena_printf(x->ar, "(J%d)", j + 1);
            prenode[npredone++] = first[j];
        }
    return npredone;
}

/* what the lines of a Jacobian used: the rules cited (mark: by rule, its
   number; jcited, in order), and whether an elementwise f or a merge of two
   paths needs a word */
typedef struct {
    int mark[NJRULES], jcited[NJRULES], njcited;
    int elementwise, merges;
} jac_used;

/* one line per Jacobian step of g from `from` on, into lines (an align*
   body): J(a) = its rule instantiated = its value, the rule at the right */
static void jacobian_lines(tex_doc *x, const sg_log *g, int from, const sg_expr *wrt,
                           sg_buf *lines, jac_used *u)
{
    sg_idmap hasj; /* the nodes whose Jacobian has a line: sized by them */
    unsigned n = sg_expr_count(x->ctx);
    int k;
    sg_idmap_init(&hasj, x->ctx);
    for (k = from; k < g->nsteps; k++) {
        const sg_step *st = &g->steps[k];
        const char *parts[2], *form, *value, *tag;
        int np = 0, j;
        if (st->kind != SG_STEP_JACOBIAN)
            continue;
        for (j = 0; j < NJRULES && jids[j] != st->rule_id; j++)
            ;
        assert(j == NJRULES || !strcmp(jrules[j][0], sg_rule_get(jids[j])->text));
        if (j < NJRULES && !u->mark[j]) {
            u->mark[j] = ++u->njcited;
            u->jcited[u->njcited - 1] = j;
        }
        form = tex_fits(x, jac_form(x, st->node, &hasj, wrt, st->rule_id));
        value = tex_value_text(x, st->contrib, TEX_M_VALUE, 1);
        if (form)
            parts[np++] = form;
        if (!form || strcmp(form, value))
            parts[np++] = value;
        tag = tex_tag_of(x, NULL, 0, st->contrib->shape);
        if (j < NJRULES)
            tag = sg_arena_printf(x->ar, "(J%d)\\quad %s", u->mark[j], tag);
        tex_equation(x, lines, jname(x, st->node), "", parts, np, tag);
        name_jacobian(x, st->node, st->contrib);
        if (st->node->id <= n)
            sg_idmap_add(&hasj, st->node);
        if (sg_op_is_elementwise_unary(st->node->op))
            u->elementwise = 1;
        if (st->node->nkids == 2 && (st->node->op == SG_OP_ADD || st->node->op == SG_OP_HADAMARD ||
                                     st->node->op == SG_OP_MUL) &&
            sg_idmap_find(&hasj, st->node->kid[0]) != SG_IDMAP_NONE &&
            sg_idmap_find(&hasj, st->node->kid[1]) != SG_IDMAP_NONE)
            u->merges++;
    }
    sg_idmap_free(&hasj);
}

/* with a matrix as the variable or the function: how it enters, a sentence */
static void jacobian_vec(tex_doc *x, const sg_log *g, const sg_result *r)
{
    int s = r->wrt ? sg_sym_find(x->ctx, r->wrt) : -1;
    sg_shape w = s >= 0 ? sg_sym_get(x->ctx, s)->shape : sg_shape_make(SG_DIM_ONE, SG_DIM_ONE);
    if ((w.rows == SG_DIM_ONE || w.cols == SG_DIM_ONE) &&
        (!g->f || g->f->shape.rows == SG_DIM_ONE || g->f->shape.cols == SG_DIM_ONE))
        return;
    sg_buf_puts(x->out, "A matrix enters by its row-major flattening $\\operatorname{vec}$ "
                        "(entry $(i,j)$ of an $m\\times n$ matrix is entry $in + j$), so "
                        "that $\\operatorname{vec}(AXB) = (A \\otimes B^\\top)"
                        "\\operatorname{vec}(X)$; $K_{m,n}$ is the commutation matrix, "
                        "$\\operatorname{vec}(X^\\top) = K_{m,n}\\operatorname{vec}(X)$.\n");
}

/* the Jacobian section's opening: the forward pass and graph (a Hessian:
   the gradient they are of), the softmax family derived, what J(a) is;
   returns the gradient's node whose name the lines change, or NULL */
static const sg_expr *jacobian_intro(tex_doc *x, const sg_log *g, int from, const sg_result *r,
                                     int hessian)
{
    sg_buf *b = x->out;
    const char *predone[2];
    const sg_expr *prenode[2], *groot = NULL;
    int k, npredone = softmax_first(x, g, from, predone, prenode);
    const char *w = tex_name(x, r->wrt);
    for (k = from; k < g->nsteps; k++)
        if (g->steps[k].kind == SG_STEP_JACOBIAN)
            groot = g->steps[k].node;
    if (!hessian) {
        const sg_expr **st;
        size_t pic;
        int nst = tex_log_stations(x, g, &st);
        tex_doc_forward(x, g->f, st, nst);
        sg_buf_puts(b, "\\subsection*{Computation graph}\n");
        pic = b->len;
        tex_doc_graph(x, NULL, st, nst, g->f, NULL, 0);
        tex_fit_pictures(b, pic);
        sg_buf_puts(b, "\\subsection*{Jacobian}\n");
        for (k = 0; k < npredone; k++)
            tex_softmax_derivation(x, prenode[k], predone[k], 0);
        sg_buf_printf(b, "Write $J(a) = \\partial a/\\partial %s$ for the Jacobian of an "
                         "intermediate $a$ with respect to $%s$: entry $(i,j)$ is $\\partial a_i/"
                         "\\partial %s$. It is propagated forward from $J(%s) = I$, one rule per "
                         "line, the rules cited at the right:\n",
                      w, w, tex_entry(x, w, "j"), w);
        jacobian_vec(x, g, r);
        return NULL;
    }
    sg_buf_puts(b, "\\subsection*{Hessian}\n");
    for (k = 0; k < npredone; k++)
        tex_softmax_derivation(x, prenode[k], predone[k], 0);
    sg_buf_printf(b, "The Hessian is the Jacobian of the gradient, $%s = J(\\nabla_{%s} %s)$, "
                     "with $\\nabla_{%s} %s = %s$ as derived above. Write $J(a) = "
                     "\\partial a/\\partial %s$ for the Jacobian of an intermediate $a$ of the "
                     "gradient (entry $(i,j)$ is $\\partial a_i/\\partial %s$); it is "
                     "propagated forward from $J(%s) = I$, one rule per line:\n",
                  tex_result_tex(x, r), w, x->fname, w,
                  x->fname, groot ? tex_value_text(x, groot, TEX_M_BOX, 0) : "",
                  w, tex_entry(x, w, "j"), w);
    jacobian_vec(x, g, r);
    return groot;
}

/* the result: the last line's value, said in terms of the lines above,
   but not as its own name J(y) */
static void jacobian_result(tex_doc *x, const sg_result *r)
{
    sg_buf *b = x->out;
    const char *parts[1];
    tex_node *rn;
    unsigned char lined;
    size_t start;
    sg_buf_puts(b, "\\subsection*{Result}\n\\begin{align*}\n");
    start = b->len;
    rn = tex_node_of(x, r->expr);
    lined = rn->lined;
    rn->lined = 0;
    parts[0] = tex_boxed(x, tex_result_text(x, r->display, r->expr), TEX_BOX_EMS(x) - tex_width(tex_result_tex(x, r)));
    tex_node_of(x, r->expr)->lined = lined;
    tex_equation(x, b, tex_result_tex(x, r), "", parts, 1, "");
    if (x->o->index)
        tex_index_line(x, b, r);
    tex_end_align(b, start);
}

/* the Jacobian (or Hessian) of result r, from log g's steps from `from` on:
   the opening, the rules used, the lines, the result boxed */
void tex_doc_jacobian(tex_doc *x, const sg_log *g, int from, const sg_result *r, int hessian)
{
    sg_buf *b = x->out, lines;
    const sg_expr *wrt = tex_var_named(x, r->wrt), *groot;
    const char *saved_fwd = NULL;
    jac_used u;
    int k;
    size_t start;
    memset(&u, 0, sizeof u);
    groot = jacobian_intro(x, g, from, r, hessian);
    if (groot) { /* the gradient prints as ∇_x f inside J(…) */
        saved_fwd = tex_node_of(x, groot)->fwd;
        tex_node_of(x, groot)->fwd = sg_arena_printf(x->ar, "\\nabla_{%s} %s", tex_name(x, r->wrt),
                                                     x->fname);
    }
    sg_buf_init(&lines);
    sg_buf_puts(&lines, "\\begin{align*}\n");
    start = lines.len;
    jacobian_lines(x, g, from, wrt, &lines, &u);
    tex_end_align(&lines, start);
    if (u.njcited > 0) {
        size_t jstart;
        sg_buf_puts(b, "\\begin{align*}\n");
        jstart = b->len;
        for (k = 0; k < u.njcited; k++)
            sg_buf_printf(b, "  &%s \\tag*{%s}\\\\\n", jrules[u.jcited[k]][1],
                          tex_rule_tag(x, sg_rule_get(jids[u.jcited[k]])->cookbook,
                                       sg_arena_printf(x->ar, "(J%d)", k + 1)));
        tex_end_align(b, jstart);
    }
    sg_buf_puts(b, sg_buf_str(&lines));
    sg_buf_free(&lines);
    if (u.elementwise)
        sg_buf_puts(b, "An elementwise $f$ acts on each entry alone: $\\partial f(a)_i/\\partial "
                       "a_j$ is $f'(a_i)$ when $i = j$ and $0$ when $i \\ne j$, which is the "
                       "matrix $\\operatorname{diag}(f'(a))$.\n\n");
    if (u.merges > 0) /* one path needs no word: nothing adds */
        sg_buf_printf(b, "Where $%s$ reaches a node along several paths, $J(a + b) = J(a) + J(b)$ "
                         "adds their contributions: the total derivative rule, forward.\n\n",
                      tex_name(x, r->wrt));
    if (groot)
        tex_node_of(x, groot)->fwd = saved_fwd;
    jacobian_result(x, r);
}

/* a function's LaTeX name: \tanh, \operatorname{swish} */
const char *tex_fn_name(sg_op op)
{
    const char *t = sg_latex_op(op);
    return t ? t : "f";
}

/* ---- the seeds' content ------------------------------------------------------------ */

/*
 * What a course derives rather than cites: the softmax family's Jacobians
 * from first principles, before a rule built on them is used; the RNN's
 * vanishing and exploding gradients, from the recurrence's own step; the
 * gradient-descent updates (--update); and the Matrix Cookbook for each
 * matrix identity, with the symmetry a line uses said out loud.
 */

/* the first of the letters that the problem leaves free; the last one
   (with a prime) when all are taken */
const char *tex_free_letter(tex_doc *x, const char *const *pref, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (!tex_taken(x, pref[i]))
            return pref[i];
    return sg_arena_printf(x->ar, "%s'", pref[n - 1]);
}

/* the bit of x->softmax_derived for a softmax-family op, 0 for another */
int tex_softmax_bit(sg_op op)
{
    return op == SG_OP_SOFTMAX ? 1 : op == SG_OP_LOGSOFTMAX ? 2 : op == SG_OP_LOGSUMEXP ? 4 : 0;
}

/* does e print as one name (a symbol, a named intermediate), fit to index? */
static int one_name(tex_doc *x, const sg_expr *e)
{
    if (e->op != SG_OP_VAR && !(e->id < x->nni && x->ni[e->id].fwd) && !e->name)
        return 0;
    return tex_plain_name(tex_str(x, e, TEX_M_FORM, 1));
}

/* \bar{v}, for the adjoint of a name in the derivations below */
static const char *bar_of(tex_doc *x, const char *v)
{
    return sg_arena_printf(x->ar, "\\bar{%s}", v);
}

/* the names a softmax-family derivation uses: z, its argument (a column of
   it, per column), s = softmax(z), y the function's value (not for
   softmax); each said when it is new. Returns z; s and y into *s, *y */
static const char *softmax_names(tex_doc *x, const sg_expr *e, const char **s, const char **y)
{
    static const char *const zs[] = {"z", "a", "v"}, *const ss[] = {"s", "p", "q"},
                             *const ys[] = {"y", "u", "w"};
    sg_buf *b = x->out;
    const sg_expr *a = e->kid[0];
    int percol = a->shape.cols != SG_DIM_ONE;
    const char *z = tex_str(x, a, TEX_M_FORM, 1), *out = tex_str(x, e, TEX_M_FORM, 1);
    *y = NULL;
    if (percol) { /* one column at a time: name the columns */
        const char *Z = z, *O = out;
        z = tex_free_letter(x, zs, 3);
        sg_buf_printf(b, "$%s$ acts on each column of $%s$ alone: take one column $%s$ of $%s$", 
                      sg_latex_op(e->op), Z, z, Z);
        *s = tex_free_letter(x, ss, 3);
        if (e->op == SG_OP_SOFTMAX) {
            sg_buf_printf(b, ", and the same column $%s$ of $%s$. ", *s, O);
        } else {
            sg_buf_puts(b, ". ");
        }
    } else {
        if (!one_name(x, a)) {
            const char *full = z;
            z = tex_free_letter(x, zs, 3);
            sg_buf_printf(b, "Write $%s = %s$. ", z, full);
        }
        if (e->op == SG_OP_SOFTMAX) {
            *s = out;
            if (!one_name(x, e)) {
                *s = tex_free_letter(x, ss, 3);
                sg_buf_printf(b, "Write $%s = \\operatorname{softmax}(%s)$. ", *s, z);
            }
        } else {
            *s = tex_free_letter(x, ss, 3);
        }
    }
    if (e->op != SG_OP_SOFTMAX) {
        *y = one_name(x, e) && !percol ? out : tex_free_letter(x, ys, 3);
        if (*y != out)
            sg_buf_printf(b, "Write $%s = %s(%s)$. ", *y, sg_latex_op(e->op), z);
    }
    return z;
}

/*
 * The Jacobian of e (softmax, log-softmax or logsumexp of a) derived from
 * the definition, entry by entry, then vectorised; tag cites the rule it
 * justifies: the forward rule J(s) = (diag(s) − ssᵀ)J(a), or (reverse) the
 * rule that pushes an adjoint back through it, shown to be Jᵀ times the
 * adjoint. Once per op in a document: the rule is cited once.
 */
void tex_softmax_derivation(tex_doc *x, const sg_expr *e, const char *tag, int reverse)
{
    sg_buf *b = x->out;
    int percol = e->kid[0]->shape.cols != SG_DIM_ONE, bit = tex_softmax_bit(e->op);
    const char *z, *s, *y;
    const char *zi, *zj, *zk, *si, *sj, *yi, *sum;
    if (!bit || (x->softmax_derived & bit))
        return;
    x->softmax_derived |= bit;
    sg_buf_printf(b, "\\paragraph{The %s of $%s$, from first principles.} ",
                  e->op == SG_OP_LOGSUMEXP ? "gradient" : "Jacobian", sg_latex_op(e->op));
    z = softmax_names(x, e, &s, &y);
    zi = tex_entry(x, z, "i"), zj = tex_entry(x, z, "j"), zk = tex_entry(x, z, "k");
    si = tex_entry(x, s, "i"), sj = tex_entry(x, s, "j");
    sum = sg_arena_printf(x->ar, "\\sum_k e^{%s}", zk);
    switch (e->op) {
    case SG_OP_SOFTMAX:
        sg_buf_printf(b,
                      "By definition $%s = e^{%s}/%s$. The numerator's derivative is "
                      "$\\partial e^{%s}/\\partial %s = [i = j]\\,e^{%s}$ and the denominator's is "
                      "$e^{%s}$, so the quotient rule gives\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = \\frac{[i = j]\\,e^{%s}%s - "
                      "e^{%s}e^{%s}}{\\bigl(%s\\bigr)^2} = [i = j]\\,%s - %s%s,\n\\]\n",
                      si, zi, sum, zi, zj, zi, zj, si, zj, zi, sum, zi, zj, sum, si, si, sj);
        sg_buf_printf(b,
                      "that is, case by case,\n\\[\n  \\frac{\\partial %s}{\\partial %s} = "
                      "\\begin{cases} %s(1 - %s), & i = j,\\\\ -%s%s, & i \\ne j. \\end{cases}\n"
                      "\\]\n"
                      "Vectorised: entry $(i,j)$ of $%s%s^\\top$ is $%s%s$, and "
                      "$\\operatorname{diag}(%s)$ adds $%s$ on the diagonal, so\n"
                      "\\[\n  J = \\frac{\\partial %s}{\\partial %s} = \\operatorname{diag}(%s) - "
                      "%s%s^\\top.\n\\]\n",
                      si, zj, si, si, si, sj, s, s, si, sj, s, si, s, z, s, s, s);
        if (reverse)
            sg_buf_printf(b,
                          "$J$ is symmetric, so an adjoint $%s = \\partial %s/\\partial %s$ flows "
                          "back as\n"
                          "\\[\n  %s = J^\\top %s = \\operatorname{diag}(%s)%s - %s(%s^\\top %s) = "
                          "%s \\odot (%s - \\mathbf{1}\\mathbf{1}^\\top(%s \\odot %s)),\n\\]\n"
                          "since $%s^\\top %s = \\mathbf{1}^\\top(%s \\odot %s)$: this is rule %s below%s.\n\n",
                          bar_of(x, s), x->fname, s, bar_of(x, z), bar_of(x, s), s, bar_of(x, s), s, s,
                          bar_of(x, s), s, bar_of(x, s), s, bar_of(x, s), s, bar_of(x, s), s,
                          bar_of(x, s), tag, percol ? ", column by column" : "");
        else
            sg_buf_printf(b, "This is rule %s, used below.\n\n", tag);
        break;
    case SG_OP_LOGSOFTMAX:
        yi = tex_entry(x, y, "i");
        sg_buf_printf(b,
                      "By definition $%s = %s - \\log %s$, so, with $%s = "
                      "\\operatorname{softmax}(%s)$,\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = [i = j] - \\frac{e^{%s}}{%s} = "
                      "[i = j] - %s = \\begin{cases} 1 - %s, & i = j,\\\\ -%s, & i \\ne j. "
                      "\\end{cases}\n\\]\n"
                      "Vectorised: every row of $\\mathbf{1}%s^\\top$ is $%s^\\top$, so\n"
                      "\\[\n  J = \\frac{\\partial %s}{\\partial %s} = I - \\mathbf{1}%s^\\top.\n\\]\n",
                      yi, zi, sum, s, z, yi, zj, zj, sum, sj, si, sj, s, s, y, z, s);
        if (reverse)
            sg_buf_printf(b,
                          "An adjoint $%s = \\partial %s/\\partial %s$ flows back as\n"
                          "\\[\n  %s = J^\\top %s = %s - %s(\\mathbf{1}^\\top %s) = %s - %s \\odot "
                          "\\mathbf{1}\\mathbf{1}^\\top %s:\n\\]\n"
                          "this is rule %s below%s.\n\n",
                          bar_of(x, y), x->fname, y, bar_of(x, z), bar_of(x, y), bar_of(x, y), s,
                          bar_of(x, y),
                          bar_of(x, y), s, bar_of(x, y), tag, percol ? ", column by column" : "");
        else
            sg_buf_printf(b, "This is rule %s, used below.\n\n", tag);
        break;
    default: /* logsumexp */
        sg_buf_printf(b,
                      "By definition $%s = \\log %s$, so\n"
                      "\\[\n  \\frac{\\partial %s}{\\partial %s} = \\frac{e^{%s}}{%s} = %s,\n\\]\n"
                      "with $%s = \\operatorname{softmax}(%s)$: the gradient of $%s$ is $%s$, and "
                      "an adjoint $%s$ flows back as $%s = %s\\,%s$ (rule %s below%s).\n\n",
                      y, sum, y, zj, zj, sum, sj, s, z, y, s, bar_of(x, y), bar_of(x, z),
                      bar_of(x, y), s, tag, percol ? ", column by column" : "");
        break;
    }
}
