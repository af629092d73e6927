/*
 * problem.c: the checker's driver, from the statements to the problem.
 *
 * sg_check() takes the statements in order (a name must be declared or
 * defined before it is used): declarations make symbols, dimensions and
 * input sequences; definitions are checked (check.c, check_seq.c) into
 * nodes of one DAG and named; requests (output, grad, jacobian, hessian)
 * become results, each asked once; an `answer` is checked like a
 * definition and implies its request when no statement made it (the
 * problem keeps the claims for --grade, symbolic/grade.h). Then the derivatives are taken, one
 * reverse sweep per function for all its gradients (with respect to an input
 * sequence x too: ∂L/∂x[t] at every step, a result whose expression is the
 * STEP of x's adjoint, sg_result_seq), and when a stability
 * rewrite of the σ family changed a function, its written form is built
 * and differentiated too, so that a derivation can show it as a course
 * does. Last, every result gets its display form (sg_simplify, under a
 * budget).
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
#include "../lexer/lex.h"
#include "simplify.h"

static void declare(ck_checker *c, const sg_stmt *s)
{
    sg_dim d[2] = {SG_DIM_ONE, SG_DIM_ONE};
    sg_shape shape;
    unsigned props = SG_PROP_NONE;
    int i;
    for (i = 0; i < s->ndims; i++)
        if (!ck_dim_of(c, &s->dims[i], &d[i]))
            return;
    switch (s->type) {
    case SG_TYPE_SCALAR: shape = sg_shape_make(SG_DIM_ONE, SG_DIM_ONE); break;
    case SG_TYPE_VECTOR: shape = sg_shape_make(d[0], SG_DIM_ONE); break;
    case SG_TYPE_MATRIX: shape = sg_shape_make(d[0], d[1]); break;
    case SG_TYPE_SYMMETRIC:
        shape = sg_shape_make(d[0], d[0]);
        props = SG_PROP_SYMMETRIC;
        break;
    case SG_TYPE_SPD:
        shape = sg_shape_make(d[0], d[0]);
        props = SG_PROP_SYMMETRIC | SG_PROP_SPD;
        break;
    default: /* Δ^C, or Δ^{C×N}: N columns each in Δ^C */
        shape = sg_shape_make(d[0], d[1]);
        props = SG_PROP_SIMPLEX;
        break;
    }
    if (s->index) {
        ck_declare_seq(c, s, shape, props);
        return;
    }
    for (i = 0; i < s->nnames; i++) {
        const sg_ident *n = &s->names[i];
        if (!ck_declarable(c, n))
            continue;
        ck_size_overflows(c, shape, n->span, n->name); /* declared all the same: uses stay quiet */
        sg_sym_add(c->ctx, n->name, shape, props, n->span);
    }
}

static void add_def(ck_checker *c, const char *name, sg_expr *e, sg_span span, const sg_ast *ast,
                    int rw_first)
{
    name = sg_arena_strdup(sg_ctx_arena(c->ctx), name);
    SG_GROW(c->defs, c->ndefs, c->capdefs, SG_GROW_MAX, "definitions");
    c->defs[c->ndefs].name = name;
    c->defs[c->ndefs].expr = e;
    c->defs[c->ndefs].span = span;
    c->defs[c->ndefs].ast = ast;
    c->defs[c->ndefs].rw_first = rw_first;
    c->defs[c->ndefs].rw_end = sg_rewrite_count(c->ctx);
    c->defs[c->ndefs].nuses = c->nuses;
    c->defs[c->ndefs].uses = NULL;
    c->defs[c->ndefs].written = NULL;
    c->defs[c->ndefs].derived_as_written = 0;
    if (c->nuses) {
        c->defs[c->ndefs].uses =
            sg_arena_alloc(sg_ctx_arena(c->ctx), (size_t)c->nuses * sizeof *c->uses);
        memcpy(c->defs[c->ndefs].uses, c->uses, (size_t)c->nuses * sizeof *c->uses);
    }
    c->nuses = 0;
    sg_strmap_put(&c->defnames, name, c->ndefs);
    c->ndefs++;
    /* the node prints under the user's name (a leaf keeps its own) */
    if (e && !e->name && e->op != SG_OP_VAR && e->op != SG_OP_CONST && e->op != SG_OP_DIMVAL)
        e->name = name;
}

static void define(ck_checker *c, const sg_stmt *s)
{
    ck_val v;
    int ok_name, rw_first = sg_rewrite_count(c->ctx);
    if (s->index) {
        ck_define_seq(c, s);
        return;
    }
    /* the grammar gives a range only to an indexed step (r = x for … is a syntax error) */
    ok_name = ck_fresh(c, s->target.name, s->target.span, "defined");
    if (ok_name && !ck_is_c_identifier(s->target.name)) {
        ck_error(c, s->target.span, "'%s' cannot be used as a name in C; choose another",
                 s->target.name);
        ok_name = 0;
    }
    if (!s->expr) { /* its parse failed: remember the name so uses stay quiet */
        if (ok_name)
            add_def(c, s->target.name, NULL, s->target.span, NULL, rw_first);
        return;
    }
    c->nuses = 0;
    v = ck_need_size(c, ck_check(c, s->expr, CK_ANY));
    if (ok_name)
        add_def(c, s->target.name, v.st == CK_OK ? v.e : NULL, s->target.span, s->expr, rw_first);
    c->nuses = 0;
}

static sg_result *add_result(ck_checker *c, sg_result_kind kind, const char *cname)
{
    sg_result *r;
    if (sg_strmap_get(&c->resnames, cname) >= 0)
        return NULL; /* asked twice: once is enough */
    cname = sg_arena_strdup(sg_ctx_arena(c->ctx), cname); /* the map keeps the key */
    sg_strmap_put(&c->resnames, cname, c->nres);
    SG_GROW(c->res, c->nres, c->capres, SG_GROW_MAX, "results asked for");
    r = &c->res[c->nres++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->cname = cname;
    return r;
}

/* the defined value a request names; NULL (reported) when there is none */
static sg_expr *requested(ck_checker *c, const sg_ident *id, int *failed)
{
    int idx;
    ck_name_kind k = ck_lookup(c, id->name, &idx);
    *failed = 0;
    if (k == CK_DEF || k == CK_SEQ)
        ck_use(c, id->name);
    if (k == CK_DEF) {
        if (!c->defs[idx].expr)
            *failed = 1;
        return c->defs[idx].expr;
    }
    if (k == CK_SYM) {
        unsigned line, col;
        sg_src_linecol(c->src, sg_sym_get(c->ctx, idx)->span.begin, &line, &col);
        ck_error(c, id->span, "%s is an input (declared at line %u); only a definition can be "
                              "requested", id->name, line);
    } else if (k == CK_SEQ) {
        if (!ck_seq_bad(c, idx))
            ck_error(c, id->span, "%s is a sequence; request one of its steps through a definition "
                                  "(%sT = %s[%s])", id->name, id->name, id->name,
                     sg_index_str(c->ctx, sg_seq_get(c->ctx, idx)->hi, 0));
        *failed = 1;
    } else
        ck_undefined(c, id->span, id->name);
    return NULL;
}

/* a scalar or a column vector: what a Jacobian (not grad) is suggested for */
static int is_vector_or_scalar(sg_shape s)
{
    return s.cols == SG_DIM_ONE;
}

/* the symbols a derivative is taken with respect to; 0 when one is wrong */
static int wrt_ok(ck_checker *c, const sg_stmt *s)
{
    int i, idx, good = 1;
    for (i = 0; i < s->nnames; i++) {
        ck_name_kind k = ck_lookup(c, s->names[i].name, &idx);
        if (k == CK_SYM || k == CK_SEQ) {
            ck_use(c, s->names[i].name);
            ck_wrt_seen(c, s->names[i].name);
        }
        if (k == CK_SYM)
            continue;
        if (k == CK_SEQ && sg_seq_get(c->ctx, idx)->kind == SG_SEQ_INPUT) {
            if (s->kind == SG_STMT_GRAD)
                continue; /* ∂L/∂x[t] at every step: diff.c */
            ck_error(c, s->names[i].span, "%s is a sequence: a %s with respect to a sequence is "
                                          "not supported yet; `grad L wrt %s` gives ∂L/∂%s[t]",
                     s->names[i].name, s->kind == SG_STMT_JACOBIAN ? "Jacobian" : "Hessian",
                     s->names[i].name, s->names[i].name);
        } else if (k == CK_DEF && !c->defs[idx].expr)
            ; /* a failed definition or declaration: reported where it failed */
        else if (k == CK_DEF || k == CK_SEQ)
            ck_error(c, s->names[i].span, "%s is a %s; derivatives are taken with respect to "
                                          "declared symbols", s->names[i].name,
                     k == CK_DEF ? "definition" : "recurrence");
        else if (k == CK_DIM)
            ck_error(c, s->names[i].span, "%s is a dimension, not a symbol", s->names[i].name);
        else
            ck_undefined(c, s->names[i].span, s->names[i].name);
        good = 0;
    }
    return good;
}

/* a warning when this request (kind, target, with respect to) was made
   before; what follows the first adds nothing */
static void once(ck_checker *c, const char *kind, const char *target, const char *wrt,
                 sg_span at, const char *shown)
{
    const char *key = sg_arena_printf(sg_ctx_arena(c->ctx), "%s %s %s", kind, target,
                                      wrt ? wrt : "");
    int first = sg_strmap_get(&c->asked, key);
    unsigned line, col;
    if (first < 0) {
        sg_strmap_put(&c->asked, key, (int)at.begin);
        return;
    }
    sg_src_linecol(c->src, (unsigned)first, &line, &col);
    sg_src_warning(c->src, at, "%s is already requested at line %u", shown, line);
}

/* each variable of a grad, jacobian or hessian request, once */
static void asked_before(ck_checker *c, const sg_stmt *s)
{
    const char *kind = s->kind == SG_STMT_GRAD ? "grad" : s->kind == SG_STMT_JACOBIAN ? "jacobian"
                                                                                      : "hessian";
    int i;
    if (s->kind == SG_STMT_HESSIAN) {
        const char *x = s->names[0].name, *y = s->nnames > 1 ? s->names[1].name : x;
        once(c, kind, s->target.name, sg_arena_printf(sg_ctx_arena(c->ctx), "%s %s", x, y),
             s->span, sg_arena_printf(sg_ctx_arena(c->ctx), "the Hessian of %s", s->target.name));
        return;
    }
    for (i = 0; i < s->nnames; i++)
        once(c, kind, s->target.name, s->names[i].name, s->names[i].span,
             sg_arena_printf(sg_ctx_arena(c->ctx), "%s %s wrt %s", kind, s->target.name,
                             s->names[i].name));
}

/*
 * grad, jacobian, hessian, output: check the names now, so that errors come
 * in source order; the derivatives are taken after every value is known.
 */
static void request(ck_checker *c, const sg_stmt *s, sg_stmt **reqs, int *nreqs)
{
    sg_expr *f;
    int failed, i;
    if (s->kind == SG_STMT_OUTPUT) {
        for (i = 0; i < s->nnames; i++) {
            sg_result *r;
            f = requested(c, &s->names[i], &failed);
            if (!f)
                continue;
            once(c, "output", s->names[i].name, NULL, s->names[i].span,
                 sg_arena_printf(sg_ctx_arena(c->ctx), "output %s", s->names[i].name));
            if ((r = add_result(c, SG_RES_VALUE, s->names[i].name))) {
                r->of = s->names[i].name;
                r->expr = f;
            }
        }
        return;
    }
    if (s->kind != SG_STMT_GRAD && s->kind != SG_STMT_JACOBIAN && s->kind != SG_STMT_HESSIAN)
        return;
    f = requested(c, &s->target, &failed);
    if (f && s->kind != SG_STMT_JACOBIAN && !sg_shape_is_scalar(f->shape)) {
        ck_error(c, s->target.span, "%s needs a scalar, but %s is %s%s",
                 s->kind == SG_STMT_GRAD ? "grad" : "hessian", s->target.name,
                 ck_shape_str(c, f->shape),
                 is_vector_or_scalar(f->shape) ? ": use jacobian for a vector" : "");
        f = NULL;
    }
    if (s->kind == SG_STMT_HESSIAN && s->nnames > 2) {
        ck_error(c, s->names[2].span, "a Hessian is taken with respect to one variable (d²L/dx²) "
                                      "or two (d²L/dxdy)");
        f = NULL;
    }
    if (!wrt_ok(c, s) || !f)
        return;
    asked_before(c, s);
    {
        sg_result *r = add_result(c, SG_RES_VALUE, s->target.name);
        if (r) {
            r->of = s->target.name;
            r->expr = f;
        }
    }
    reqs[(*nreqs)++] = (sg_stmt *)s;
}

static sg_expr *var_named(ck_checker *c, const char *name)
{
    return sg_var(c->ctx, sg_sym_find(c->ctx, name));
}

/* one derivative result */
static sg_result *add_derivative(ck_checker *c, sg_result_kind kind, const char *cname,
                                 const char *of, const char *wrt, const char *wrt2, sg_expr *e,
                                 sg_log *log)
{
    sg_result *r = add_result(c, kind, cname);
    if (!r)
        return NULL;
    r->of = of;
    r->wrt = wrt;
    r->wrt2 = wrt2;
    r->expr = e;
    r->log = log;
    return r;
}

/*
 * Every gradient of one function, from all its `grad` requests: one reverse
 * sweep gives ∂f/∂x for every x at once, so `grad L wrt W1` … `grad L wrt
 * W1000` on a thousand lines cost one sweep, not a thousand (each sweep
 * walks all of f). The requests keep their own order in the results.
 */
typedef struct {
    int n, cap;     /* the variables of every request of f, in order */
    sg_expr **wrt;
    sg_expr **out;  /* ∂f/∂wrt[i], once swept */
    sg_expr **wout; /* the same from f's written form, or NULL */
    sg_log *log;    /* the sweep's rules, shared by the requests */
} grad_sweep;

/* the sweeps of the grad requests, one per function; at[q] is where request
   q's variables start in its sweep */
static grad_sweep *plan_sweeps(ck_checker *c, sg_stmt **reqs, int nreqs, int *at, int *which)
{
    sg_strmap of;
    grad_sweep *sw = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *sw);
    int q, i, nsw = 0;
    sg_strmap_init(&of);
    for (q = 0; q < nreqs; q++) {
        const sg_stmt *s = reqs[q];
        grad_sweep *g;
        if (s->kind != SG_STMT_GRAD)
            continue;
        if ((which[q] = sg_strmap_get(&of, s->target.name)) < 0) {
            which[q] = nsw;
            sg_strmap_put(&of, s->target.name, nsw);
            memset(&sw[nsw++], 0, sizeof *sw);
        }
        g = &sw[which[q]];
        if (s->nnames > 0)
            SG_GROW(g->wrt, g->n + s->nnames - 1, g->cap, SG_GROW_MAX,
                    "variables of one gradient");
        at[q] = g->n;
        for (i = 0; i < s->nnames; i++)
            g->wrt[g->n++] = var_named(c, s->names[i].name);
    }
    sg_strmap_free(&of);
    return sw;
}

/* a rewrite of the σ family: log σ(x) = −softplus(−x) and its kin */
static int sigmoid_rewrite(sg_rewrite_kind k)
{
    return k == SG_RW_LOG_SIGMOID || k == SG_RW_LOG_1M_SIGMOID || k == SG_RW_SIGMOID_NEG ||
           k == SG_RW_LOGISTIC || k == SG_RW_SOFTPLUS_DIFF;
}

/*
 * The written forms: each definition that a rewrite of the σ family changed,
 * or that names one that has a written form, is built again from its text
 * with those rewrites off. The logistic loss −(y log p + (1 − y) log(1 − p))
 * with p = σ(z) is computed as softplus(z) − yz, whose derivation never
 * shows σ′ = p(1 − p); its written form keeps log p, so that the documents
 * derive what the user wrote (differentiate() below). Both forms are the
 * same function, so their gradients are equal (test_check checks it); only
 * the stable one is ever computed. Problems with sequences keep one form:
 * differentiating twice would give each recurrence two adjoint sequences.
 */
static void written_forms(ck_checker *c)
{
    int i, j, k;
    if (sg_seq_count(c->ctx) > 0)
        return;
    ck_forget(c); /* ck_check()'s memo holds the stable forms: the written ones are new */
    c->as_written = 1;
    sg_ctx_as_written(c->ctx, 1);
    for (i = 0; i < c->ndefs && !c->too_large; i++) {
        ck_def *d = &c->defs[i];
        int need = 0;
        ck_val v;
        if (!d->expr || !d->ast)
            continue;
        for (k = d->rw_first; k < d->rw_end && !need; k++)
            need = sigmoid_rewrite(sg_rewrite_get(c->ctx, k)->kind);
        for (j = 0; j < d->nuses && !need; j++)
            need = c->defs[d->uses[j]].written != NULL;
        if (!need)
            continue;
        c->nuses = 0;
        v = ck_need_size(c, ck_check(c, d->ast, CK_ANY));
        c->nuses = 0;
        if (v.st != CK_OK || v.e == d->expr || !sg_shape_eq(v.e->shape, d->expr->shape))
            continue;
        d->written = v.e;
        if (!v.e->name && v.e->op != SG_OP_VAR && v.e->op != SG_OP_CONST &&
            v.e->op != SG_OP_DIMVAL)
            v.e->name = d->name;
    }
    sg_ctx_as_written(c->ctx, 0);
    c->as_written = 0;
    if (c->too_large) { /* outgrown while quiet: report it now */
        c->too_large = 0;
        (void)ck_too_large(c, c->defs[i < c->ndefs ? i : c->ndefs - 1].span);
    }
}

/* the written form of the definition a request names, or NULL */
static sg_expr *written_of(ck_checker *c, const char *name)
{
    int idx;
    return ck_lookup(c, name, &idx) == CK_DEF ? c->defs[idx].written : NULL;
}

/* the written forms some derivation differentiates: those reachable from
   the function of a log that differentiates a written form, found by one
   walk from all of them (each node once) */
static void mark_written_derived(ck_checker *c)
{
    sg_idmap seen;
    int i, any = 0;
    for (i = 0; i < c->ndefs && !any; i++)
        any = c->defs[i].written != NULL;
    if (!any)
        return;
    sg_idmap_init(&seen, c->ctx);
    for (i = 0; i < c->nres; i++)
        if (c->res[i].written && c->res[i].log && c->res[i].log->f)
            sg_idmap_add_reachable(&seen, c->res[i].log->f);
    for (i = 0; i < c->ndefs; i++)
        c->defs[i].derived_as_written =
            c->defs[i].written && sg_idmap_find(&seen, c->defs[i].written) != SG_IDMAP_NONE;
    sg_idmap_free(&seen);
}

/* ---- answers ------------------------------------------------------------------ */

/* the shape of the derivative an answer claims (∂f/∂x of order `order`),
   or CK_ANY when the request will be refused anyway */
static ck_want claimed_shape(sg_shape f, sg_shape x, int order)
{
    if (!is_vector_or_scalar(x) && (order == 2 || !sg_shape_is_scalar(f)))
        return CK_ANY;
    if (order == 2)
        return ck_want_of(sg_shape_make(x.rows, x.rows));
    if (sg_shape_is_scalar(f))
        return ck_want_of(x);
    return is_vector_or_scalar(f) ? ck_want_of(sg_shape_make(f.rows, x.rows)) : CK_ANY;
}

/* answer ∂f/∂x = e: the claim checked like a definition, wanting the
   derivative's shape; its request is made once every statement is read */
static void answer(ck_checker *c, const sg_stmt *s)
{
    int failed, idx;
    sg_expr *f = requested(c, &s->target, &failed);
    ck_want w = CK_ANY;
    ck_val v = ck_err();
    struct ck_answer *a;
    if (f && ck_lookup(c, s->names[0].name, &idx) == CK_SYM)
        w = claimed_shape(f->shape, sg_sym_get(c->ctx, idx)->shape, s->order);
    c->nuses = 0;
    if (s->expr)
        v = ck_need_size(c, ck_check(c, s->expr, w));
    c->nuses = 0;
    SG_GROW(c->answers, c->nanswers, c->capanswers, SG_GROW_MAX, "answers");
    a = &c->answers[c->nanswers++];
    a->stmt = s;
    a->expr = v.st == CK_OK ? v.e : NULL;
    a->known = f != NULL;
}

/* the request an answer implies, when no statement asked it: a gradient for
   a scalar, a Jacobian for a vector, a Hessian for ∂² */
static void implied_requests(ck_checker *c, sg_stmt **reqs, int *nreqs)
{
    int i, idx;
    for (i = 0; i < c->nanswers; i++) {
        const sg_stmt *s = c->answers[i].stmt;
        sg_stmt *q;
        const char *kind, *wrt = s->names[0].name, *key;
        if (!c->answers[i].known)
            continue;
        ck_lookup(c, s->target.name, &idx);
        kind = s->order == 2 ? "hessian"
               : sg_shape_is_scalar(c->defs[idx].expr->shape) ? "grad" : "jacobian";
        key = s->order == 2 ? sg_arena_printf(sg_ctx_arena(c->ctx), "%s %s %s %s", kind,
                                              s->target.name, wrt, wrt)
                            : sg_arena_printf(sg_ctx_arena(c->ctx), "%s %s %s", kind,
                                              s->target.name, wrt);
        if (sg_strmap_get(&c->asked, key) >= 0)
            continue;
        q = sg_arena_alloc(sg_ctx_arena(c->ctx), sizeof *q);
        *q = *s;
        q->kind = s->order == 2 ? SG_STMT_HESSIAN : kind[0] == 'g' ? SG_STMT_GRAD
                                                                   : SG_STMT_JACOBIAN;
        q->span = s->head;
        request(c, q, reqs, nreqs);
    }
}

/* the answers, each with the result it claims (an answer whose request
   failed has been reported: it is left out) */
static void bind_answers(ck_checker *c, sg_problem *p)
{
    sg_arena *ar = sg_ctx_arena(c->ctx);
    int i;
    p->answers = sg_arena_alloc(ar, (size_t)(c->nanswers + 1) * sizeof *p->answers);
    p->nanswers = 0;
    for (i = 0; i < c->nanswers; i++) {
        const sg_stmt *s = c->answers[i].stmt;
        const char *of = s->target.name, *x = s->names[0].name;
        int r = sg_strmap_get(&c->resnames, s->order == 2 ? sg_arena_printf(ar, "d2%s_d%s2", of, x)
                                                          : sg_arena_printf(ar, "d%s_d%s", of, x));
        sg_answer *a;
        if (r < 0 || !c->answers[i].expr)
            continue;
        a = &p->answers[p->nanswers++];
        a->result = r;
        a->expr = c->answers[i].expr;
        a->ast = s->expr;
        a->span = s->span;
        a->head = s->head;
        a->order = s->order;
    }
}

/* the derivatives, after every value: INTERFACE.md orders results that way */
static void differentiate(ck_checker *c, sg_stmt **reqs, int nreqs)
{
    int q, i;
    sg_arena *ar = sg_ctx_arena(c->ctx);
    int *at = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *at);
    int *which = sg_xmalloc((size_t)(nreqs > 0 ? nreqs : 1) * sizeof *which);
    grad_sweep *sw = plan_sweeps(c, reqs, nreqs, at, which);
    int nsw = 0;
    for (q = 0; q < nreqs; q++)
        if (reqs[q]->kind == SG_STMT_GRAD && which[q] + 1 > nsw)
            nsw = which[q] + 1;
    for (q = 0; q < nreqs && !c->too_large; q++) {
        const sg_stmt *s = reqs[q];
        int failed, n = s->nnames;
        const char *of = s->target.name;
        sg_expr *f = requested(c, &s->target, &failed);
        sg_log *log;
        if (s->kind == SG_STMT_GRAD) {
            grad_sweep *g = &sw[which[q]];
            if (!g->log) { /* the first request of f sweeps for all of them */
                sg_expr *fw = written_of(c, of);
                g->log = sg_log_new(c->ctx);
                g->out = sg_arena_alloc(ar, (size_t)g->n * sizeof *g->out);
                sg_diff_grad(c->ctx, f, g->n, g->wrt, g->out, g->log);
                if (fw && !ck_too_large(c, s->target.span)) {
                    /* the documents derive the function as written */
                    g->log = sg_log_new(c->ctx);
                    g->wout = sg_arena_alloc(ar, (size_t)g->n * sizeof *g->wout);
                    sg_diff_grad(c->ctx, fw, g->n, g->wrt, g->wout, g->log);
                }
            }
            if (ck_too_large(c, s->target.span))
                goto done;
            for (i = 0; i < n; i++) {
                sg_result *r = add_derivative(
                    c, SG_RES_GRAD, sg_arena_printf(ar, "d%s_d%s", of, s->names[i].name), of,
                    s->names[i].name, NULL, g->out[at[q] + i], g->log);
                if (r && g->wout)
                    r->written = g->wout[at[q] + i];
            }
            continue;
        }
        log = sg_log_new(c->ctx);
        if (s->kind == SG_STMT_JACOBIAN) {
            for (i = 0; i < n; i++) {
                const char *why = NULL;
                sg_expr *j = sg_diff_jacobian(c->ctx, f, var_named(c, s->names[i].name), log, &why);
                if (ck_too_large(c, s->names[i].span))
                    goto done;
                if (!j) {
                    ck_error(c, s->names[i].span, "cannot take the Jacobian of %s with respect to "
                                                  "%s: %s", of, s->names[i].name,
                             why ? why : "unsupported");
                    continue;
                }
                if (ck_size_overflows(c, j->shape, s->names[i].span,
                                      sg_arena_printf(ar, "the Jacobian of %s with respect to %s",
                                                      of, s->names[i].name))) /* (pq)×(mn) */
                    continue;
                add_derivative(c, SG_RES_JACOBIAN,
                               sg_arena_printf(ar, "d%s_d%s", of, s->names[i].name), of,
                               s->names[i].name, NULL, j, log);
            }
        } else {
            /* the Hessian is the Jacobian of the gradient */
            const char *x = s->names[0].name, *y = n > 1 ? s->names[1].name : x;
            sg_expr *vx = var_named(c, x), *g, *h, *fw = written_of(c, of);
            const char *why = NULL;
            if (fw) {
                /* the documents derive the gradient as written; the
                   Hessian is the Jacobian of the stable one */
                sg_expr *gw;
                sg_diff_grad(c->ctx, fw, 1, &vx, &gw, log);
                sg_diff_grad(c->ctx, f, 1, &vx, &g, NULL);
            } else {
                sg_diff_grad(c->ctx, f, 1, &vx, &g, log);
            }
            h = ck_too_large(c, s->target.span)
                    ? NULL
                    : sg_diff_jacobian(c->ctx, g, var_named(c, y), log, &why);
            if (ck_too_large(c, s->target.span))
                goto done;
            if (!h) {
                ck_error(c, s->target.span, "cannot take the Hessian of %s: %s", of,
                         why ? why : "unsupported");
                continue;
            }
            if (ck_size_overflows(c, h->shape, s->target.span,
                                  sg_arena_printf(ar, "the Hessian of %s", of))) /* (mn)×(mn) */
                continue;
            add_derivative(c, SG_RES_HESSIAN,
                           n > 1 ? sg_arena_printf(ar, "d2%s_d%sd%s", of, x, y)
                                 : sg_arena_printf(ar, "d2%s_d%s2", of, x),
                           of, x, n > 1 ? y : NULL, h, log);
        }
    }
done:
    for (i = 0; i < nsw; i++)
        free(sw[i].wrt);
    free(sw);
    free(at);
    free(which);
}

/* the work all the displayed forms of a problem may take together */
#define DISPLAY_BUDGET 30000000ul

/* the forms for reading, all at once (they share most of their DAG), within
   DISPLAY_BUDGET: past it, values are shown as they were built */
static void displays(sg_ctx *ctx, sg_problem *p)
{
    int n = p->nresults, i, k;
    sg_expr **e, **out;
    for (i = 0; i < sg_seq_count(ctx); i++)
        n += 1 + sg_seq_get_mut(ctx, i)->nterms;
    e = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *e);
    out = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    n = 0;
    for (i = 0; i < p->nresults; i++)
        e[n++] = p->results[i].expr;
    for (i = 0; i < sg_seq_count(ctx); i++) {
        sg_seq *q = sg_seq_get_mut(ctx, i);
        e[n++] = q->body;
        for (k = 0; k < q->nterms; k++)
            e[n++] = q->terms[k].value;
    }
    sg_simplify_all(ctx, e, n, out, DISPLAY_BUDGET);
    n = 0;
    for (i = 0; i < p->nresults; i++)
        p->results[i].display = out[n++];
    for (i = 0; i < sg_seq_count(ctx); i++) {
        sg_seq *q = sg_seq_get_mut(ctx, i);
        q->display = out[n++];
        for (k = 0; k < q->nterms; k++)
            q->terms[k].display = out[n++];
    }
    free(e);
    free(out);
}

/* prefix NAME */
static void set_prefix(ck_checker *c, const sg_stmt *s)
{
    if (!ck_is_c_identifier(s->target.name))
        ck_error(c, s->target.span, "prefix '%s' is not a C identifier", s->target.name);
    else if (c->prefix && strcmp(c->prefix, s->target.name))
        ck_error(c, s->target.span, "the prefix is already '%s'", c->prefix);
    else
        c->prefix = s->target.name;
}

/* dim n, m */
static void declare_dims(ck_checker *c, const sg_stmt *s)
{
    int i;
    for (i = 0; i < s->nnames; i++) {
        sg_dim d;
        int idx;
        ck_name_kind k = ck_lookup(c, s->names[i].name, &idx);
        if (k == CK_SYM || k == CK_DEF || k == CK_SEQ)
            ck_error(c, s->names[i].span, "%s is already a %s", s->names[i].name,
                     k == CK_SYM   ? "declared symbol"
                     : k == CK_DEF ? "definition"
                                   : "sequence");
        else
            ck_dim_of(c, &s->names[i], &d);
    }
}

/* every statement in order; the requests are kept in reqs for the
   derivatives, which come once every definition is known */
static void statements(ck_checker *c, const sg_program *prog, sg_stmt **reqs, int *nreqs)
{
    const sg_stmt *s;
    for (s = prog ? prog->first : NULL; s; s = s->next) {
        switch (s->kind) {
        case SG_STMT_PREFIX: set_prefix(c, s); break;
        case SG_STMT_DIM: declare_dims(c, s); break;
        case SG_STMT_DECL: declare(c, s); break;
        case SG_STMT_DEF: define(c, s); break;
        case SG_STMT_ANSWER: answer(c, s); break;
        default: request(c, s, reqs, nreqs); break;
        }
        if (c->too_large)
            break;
    }
}

/* the problem the checker made: names, definitions and results copied to
   the context's arena */
static sg_problem *problem_of(ck_checker *c, sg_src *src, const sg_program *prog)
{
    sg_arena *ar = sg_ctx_arena(c->ctx);
    sg_problem *p = sg_xmalloc(sizeof *p);
    int i;
    p->ctx = c->ctx;
    p->prefix = c->prefix ? sg_arena_strdup(ar, c->prefix) : NULL;
    p->text = src->text;
    p->prog = prog;
    p->ndefs = 0;
    p->defs = sg_arena_alloc(ar, (size_t)(c->ndefs + 1) * sizeof *p->defs);
    for (i = 0; i < c->ndefs; i++) {
        p->defs[p->ndefs].name = sg_arena_strdup(ar, c->defs[i].name);
        p->defs[p->ndefs].expr = c->defs[i].expr;
        p->defs[p->ndefs].span = c->defs[i].span;
        p->defs[p->ndefs].ast = c->defs[i].ast;
        p->defs[p->ndefs].rw_first = c->defs[i].rw_first;
        p->defs[p->ndefs].rw_end = c->defs[i].rw_end;
        p->defs[p->ndefs].written = c->defs[i].written;
        p->defs[p->ndefs].derived_as_written = c->defs[i].derived_as_written;
        p->defs[p->ndefs].uses = c->defs[i].uses;
        p->defs[p->ndefs].nuses = c->defs[i].nuses;
        p->ndefs++;
    }
    p->nresults = c->nres;
    p->results = sg_arena_alloc(ar, (size_t)(c->nres + 1) * sizeof *p->results);
    for (i = 0; i < c->nres; i++) {
        sg_result *r = &p->results[i];
        *r = c->res[i];
        r->cname = sg_arena_strdup(ar, c->res[i].cname);
        r->of = r->of ? sg_arena_strdup(ar, r->of) : NULL;
        r->wrt = r->wrt ? sg_arena_strdup(ar, r->wrt) : NULL;
        r->wrt2 = r->wrt2 ? sg_arena_strdup(ar, r->wrt2) : NULL;
    }
    return p;
}

/* the checker's own tables (what it made lives in the context) */
static void checker_free(ck_checker *c)
{
    free(c->memo);
    free(c->uses);
    free(c->defs);
    sg_strmap_free(&c->defnames);
    sg_strmap_free(&c->resnames);
    sg_strmap_free(&c->usednames);
    sg_strmap_free(&c->asked);
    sg_strmap_free(&c->wrtnames);
    free(c->colfns);
    free(c->res);
    free(c->seqbad);
    free(c->answers);
}

sg_problem *sg_check(sg_src *src, const sg_program *prog)
{
    ck_checker c;
    const sg_stmt *s;
    sg_stmt **reqs;
    int nreqs = 0, nstmts = 0;
    sg_problem *p;
    memset(&c, 0, sizeof c);
    c.src = src;
    c.ctx = sg_ctx_new();
    sg_ctx_record_rewrites(c.ctx, 1); /* the definitions' rewrites, to be shown */
    c.loop.self = -1;
    for (s = prog ? prog->first : NULL; s; s = s->next)
        nstmts++;
    reqs = sg_xmalloc((size_t)(2 * nstmts + 1) * sizeof *reqs); /* answers imply requests */
    statements(&c, prog, reqs, &nreqs);
    if (!c.too_large)
        implied_requests(&c, reqs, &nreqs);
    ck_seq_finish(&c);
    if (c.nres == 0 && sg_src_nerrors(src) == 0) {
        sg_span end = {(unsigned)src->len, (unsigned)src->len};
        ck_error(&c, end, "nothing is requested: add `grad L wrt x`, `jacobian`, `hessian` or "
                          "`output` for the results to compute");
    }
    sg_ctx_record_rewrites(c.ctx, 0);
    if (sg_src_nerrors(src) == 0)
        ck_warn_unused(&c);
    if (sg_src_nerrors(src) == 0) {
        written_forms(&c);
        differentiate(&c, reqs, nreqs);
        mark_written_derived(&c);
    }
    free(reqs);
    if (sg_src_nerrors(src)) {
        checker_free(&c);
        sg_ctx_free(c.ctx);
        return NULL;
    }
    p = problem_of(&c, src, prog);
    bind_answers(&c, p);
    displays(c.ctx, p);
    checker_free(&c);
    return p;
}

int sg_result_seq(const sg_result *r)
{
    return r->kind == SG_RES_GRAD && r->expr && r->expr->op == SG_OP_SEQSTEP ? r->expr->seq : -1;
}

void sg_problem_free(sg_problem *p)
{
    if (!p)
        return;
    sg_ctx_free(p->ctx);
    free(p);
}

/*
 * The derivations, each once, in the order of their first result, and in
 * which[i] the index in logs of result i's (−1: none). By a hash of the log
 * pointers, not a scan: 20,000 requests are 20,000 derivations.
 */
int sg_problem_logs(const sg_problem *p, const sg_log **logs, int *which)
{
    size_t cap = 16, h;
    const sg_log **key;
    int *ix, i, n = 0;
    while (cap < 2 * (size_t)p->nresults + 2)
        cap *= 2;
    key = sg_xmalloc(cap * sizeof *key);
    ix = sg_xmalloc(cap * sizeof *ix);
    memset((void *)key, 0, cap * sizeof *key);
    for (i = 0; i < p->nresults; i++) {
        const sg_log *l = p->results[i].log;
        if (which)
            which[i] = -1;
        if (!l)
            continue;
        h = ((size_t)l >> 4) * 2654435761u;
        for (h &= cap - 1; key[h] && key[h] != l; h = (h + 1) & (cap - 1))
            ;
        if (!key[h]) {
            key[h] = l;
            ix[h] = n;
            logs[n++] = l;
        }
        if (which)
            which[i] = ix[h];
    }
    free((void *)key);
    free(ix);
    return n;
}
