/*
 * steps.c: the derivation as plain text, for the terminal (--steps).
 *
 * A printer of what the checker and differentiation recorded, nothing
 * more: the problem's definitions and sequences, the logs of its results
 * (symbolic/diff.h) and their display forms. It builds no expression and
 * simplifies nothing; every formula is a node of the problem's DAG written
 * by formula.c. The parts it is made of are listed in stp.h; this file
 * prints the logs and puts the document together.
 *
 * Lines. A node's local rules follow its definition, one rule per line:
 * the instantiated contribution at the left, the rule's table text (with
 * its Matrix Cookbook equation) at the right, or on the next line when
 * both do not fit. A contribution is "=" when it is the whole gradient of
 * its target, "+=" when another path adds to it; the total derivative line
 * follows where they add. Inside the body of a Σ over time or of a
 * recurrence, what goes to a value outside the body is one term per step
 * ("at t:"), summed by the line that pushes it out.
 */
#include "steps.h"

#include "stp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a log ------------------------------------------------------------------------ */

/* the rule's table text, and its Cookbook equation */
static char *rule_text(stp_doc *s, sg_rule_id id)
{
    const sg_rule *r = sg_rule_get(id);
    sg_buf b;
    sg_buf_init(&b);
    if (r && r->text && *r->text) {
        stp_put_text(s, &b, r->text);
        if (r->cookbook)
            sg_buf_printf(&b, "  [Cookbook %s]", r->cookbook);
    }
    return sg_buf_take(&b, NULL);
}

/* the node a line's rules are about, once before them: its definition */
static void header(stp_doc *s, const sg_expr *node, const sg_expr **cur)
{
    sg_buf b;
    char *t;
    if (*cur == node)
        return;
    *cur = node;
    sg_buf_init(&b);
    if (stp_namer(s, node) && !stp_is_leaf(node)) {
        sg_buf_puts(&b, stp_namer(s, node));
        sg_buf_puts(&b, " = ");
    }
    t = stp_fmt(s, node, 0, NULL);
    sg_buf_puts(&b, t);
    free(t);
    stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/* a partial sum a + b of a longer unnamed sum a + b + c: its adjoint is the
   whole sum's, and its rules are the whole sum's, term by term */
static int is_spine(stp_doc *s, const sg_expr *e)
{
    return e->op == SG_OP_ADD && e->id < s->n && (s->flag[e->id] & STP_F_PARTIAL) && !stp_namer(s, e);
}

/* whether the log adds several contributions up for e (a TOTAL step) */
static int partial(const stp_doc *s, const sg_expr *e)
{
    return e && e->id < s->n && s->mark[e->id] == s->stamp;
}

/*
 * The whole gradient of kid, value, read again by later steps (at i) as
 * the adjoint their rules push on: when its formula is long, it gets a
 * name the way courses name them, δ₁ for a layer's pre-activation z₁, or
 * for the unnamed W₁x of h₁ = tanh(W₁x) (δa for a's, δh₂ for h₂'s), and the
 * lines after print the name. Returns whether it was named now.
 */
/* does a source name end in a digit (h1, z₂ as written h2)? */
static int ends_in_digit(const char *name)
{
    size_t n = strcspn(name, "[");
    return n > 1 && name[n - 1] >= '0' && name[n - 1] <= '9';
}

static int name_adjoint(stp_doc *s, int i, const sg_expr *kid, const sg_expr *value)
{
    const char *kn, *display;
    size_t n;
    char *raw;
    sg_buf b;
    int arg_of_layer;
    if (!kid || !value || value->id >= s->n || s->name[value->id] || value->name ||
        stp_is_leaf(value) || s->amark[value->id] != s->stamp || s->alast[value->id] <= i ||
        stp_shown_ops(s, value, 2, 1) < 2)
        return 0;
    kn = kid->nkids > 0 ? kid->name : NULL;
    /* h2 = tanh(W2h1): W2h1's is δ₂, as courses number a layer's, even
       where the pre-activation got a fresh name */
    arg_of_layer = !kn && s->parent && s->parent->name && stp_is_nonlinear(s->parent->op) &&
                   s->parent->kid[0] == kid && ends_in_digit(s->parent->name);
    if (arg_of_layer)
        kn = s->parent->name;
    else if (!kn && kid->id < s->n && s->fresh[kid->id])
        kn = s->name[kid->id]; /* a fresh name is plain ASCII, r or r[t] */
    if (!kn)
        return 0;
    n = strcspn(kn, "[");
    raw = sg_xmalloc(n + 8);
    memcpy(raw, kn, n);
    raw[n] = '\0';
    while (n > 0 && raw[n - 1] >= '0' && raw[n - 1] <= '9')
        n--;
    if (raw[n] && n > 0 && (arg_of_layer || (kid->id < s->n && (s->flag[kid->id] & STP_F_ARG)))) {
        /* z1 into f(z1): delta1, δ₁ */
        memmove(raw + 5, raw + n, strlen(raw + n) + 1);
        memcpy(raw, "delta", 5);
        display = NULL;
    } else { /* a: delta_a, δa; h2: delta_h2, δh₂ */
        memmove(raw + 6, raw, strlen(raw) + 1);
        memcpy(raw, "delta_", 6);
        display = raw + 6;
    }
    if (stp_taken(s, raw)) {
        free(raw);
        return 0;
    }
    stp_keep(s, raw);
    stp_use(s, raw);
    sg_buf_init(&b);
    if (display && !s->ascii) {
        sg_buf_puts(&b, "δ");
        sg_fmt_name(&b, display, 0);
    } else {
        sg_fmt_name(&b, raw, s->ascii);
    }
    if (sg_expr_varies(value))
        sg_buf_puts(&b, "[t]");
    s->name[value->id] = sg_buf_take(&b, NULL);
    s->owned[value->id] = 1;
    return 1;
}

/* lhs op value, then the rule; when the value gets its name here, lhs op
   name = value */
void stp_line(stp_doc *s, size_t indent, const char *lhs, const char *op, const sg_expr *value,
                 const char *tail, sg_rule_id rule)
{
    sg_buf b;
    char *v, *r = rule_text(s, rule);
    int named = s->naming && name_adjoint(s, s->at, s->naming, value);
    if (s->naming && value->id < s->n && !s->owner[value->id])
        s->owner[value->id] = s->naming; /* a Hessian's Jacobian steps say ∂(∂L/∂K)/∂x */
    v = stp_fmt(s, value, !named, NULL);
    sg_buf_init(&b);
    if (named)
        sg_buf_printf(&b, "%s %s %s = %s", lhs, op, s->name[value->id], v);
    else
        sg_buf_printf(&b, "%s %s %s", lhs, op, v);
    if (tail)
        sg_buf_puts(&b, tail);
    stp_emit(s, indent, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(v);
    free(r);
}

/* [1 ≤ t], [t < T], [t = k]: the steps a piece of δ[t] is part of (the
   piece's lo..hi within the whole lo..hi of δ) */
static void put_piece_range(stp_doc *s, sg_buf *b, sg_index lo, sg_index hi, sg_index all_lo,
                            sg_index all_hi)
{
    int from = !sg_index_provably_le(lo, all_lo), to = !sg_index_provably_le(all_hi, hi);
    if (!from && !to)
        return;
    sg_buf_puts(b, " [");
    if (sg_index_eq(lo, hi)) {
        sg_buf_puts(b, "t = ");
        stp_put_index(s, b, lo);
    } else if (!from && sg_index_eq(sg_index_plus(hi, 1), all_hi)) {
        sg_buf_puts(b, "t < ");
        stp_put_index(s, b, all_hi);
    } else {
        if (from) {
            stp_put_index(s, b, lo);
            sg_buf_puts(b, s->ascii ? " <= " : " ≤ ");
        }
        sg_buf_putc(b, 't');
        if (to) {
            sg_buf_puts(b, s->ascii ? " <= " : " ≤ ");
            stp_put_index(s, b, hi);
        }
    }
    sg_buf_putc(b, ']');
}

/* a piece of δ[t], parenthesized when it is a sum */
static void put_piece(stp_doc *s, sg_buf *b, const sg_expr *e)
{
    int level;
    char *t = stp_fmt(s, e, 1, &level);
    stp_put_parens(b, t, level <= SG_FMT_SUM);
    free(t);
}

/* δh[t] = body [t < T] + terms, t = T, …, 0: the adjoint recurrence */
static void seq_delta(stp_doc *s, const sg_step *st)
{
    const sg_seq *d = sg_seq_get(s->ctx, st->adjseq);
    sg_index first = sg_seq_first(s->ctx, st->adjseq);
    sg_buf b;
    char *r = rule_text(s, st->rule_id);
    int k, any = 0;
    sg_buf_init(&b);
    stp_put_seq_name(s, &b, st->adjseq);
    sg_buf_puts(&b, "[t] = ");
    if (st->contrib && !sg_expr_is_zero(st->contrib)) {
        put_piece(s, &b, st->contrib);
        put_piece_range(s, &b, first, sg_index_plus(d->hi, -1), first, d->hi);
        any = 1;
    }
    for (k = 0; k < d->nterms; k++) {
        if (any)
            sg_buf_printf(&b, "%c + ", SG_FMT_BREAK);
        put_piece(s, &b, d->terms[k].display ? d->terms[k].display : d->terms[k].value);
        put_piece_range(s, &b, d->terms[k].lo, d->terms[k].hi, first, d->hi);
        any = 1;
    }
    if (!any)
        sg_buf_putc(&b, '0');
    stp_put_range(s, &b, d->hi, first, 1);
    stp_emit(s, 2, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(r);
}

/* a result, boxed */
/* the terms of adjoint q that a result ∂L/∂x[t] holds, each with the steps
   it applies at, then its range: 2x[1] [t = 1] + a [t < T], t = 1, …, T */
static void seq_result(stp_doc *s, sg_buf *b, int q)
{
    const sg_seq *d = sg_seq_get(s->ctx, q);
    sg_index first = sg_index_plus(d->lo, -1);
    int k;
    for (k = 0; k < d->nterms; k++) {
        const sg_expr *v = d->terms[k].display ? d->terms[k].display : d->terms[k].value;
        char *t = stp_fmt(s, v, 1, NULL);
        int sum = v->op == SG_OP_ADD;
        sg_buf_puts(b, k ? (sum ? " + (" : " + ") : sum ? "(" : "");
        sg_buf_puts(b, t);
        sg_buf_puts(b, sum ? ")" : "");
        free(t);
        put_piece_range(s, b, d->terms[k].lo, d->terms[k].hi, first, d->hi);
    }
    if (d->nterms == 0)
        sg_buf_putc(b, '0');
    sg_buf_puts(b, s->ascii ? " for t = " : ", t = ");
    stp_put_index(s, b, first);
    sg_buf_puts(b, s->ascii ? ".." : ", …, ");
    stp_put_index(s, b, d->hi);
}

static void boxed(stp_doc *s, const sg_result *r)
{
    sg_buf b;
    char *t, *store, **lines;
    const sg_expr *e = r->display ? r->display : r->expr;
    int n, i;
    size_t w = 0, wi;
    const char *h = s->ascii ? "-" : "─", *v = s->ascii ? "|" : "│";
    sg_buf_init(&b);
    sg_fmt_result_name(&b, r, s->ascii);
    sg_buf_puts(&b, " = ");
    if (sg_result_seq(r) >= 0) {
        seq_result(s, &b, sg_result_seq(r));
    } else {
        s->boxing = 1;
        t = stp_fmt(s, e, 1, NULL); /* δ₁ where the lines named it so */
        s->boxing = 0;
        sg_buf_puts(&b, t);
        free(t);
    }
    /* the box takes 4 columns besides its 2 of indentation */
    s->width -= 4;
    n = stp_split_lines(s, sg_buf_str(&b), 2, &store, &lines);
    s->width += 4;
    for (i = 0; i < n; i++) {
        wi = (i ? STP_CONT : 0) + stp_cols(lines[i]);
        if (wi > w)
            w = wi;
    }
    stp_spaces(&s->out, 2);
    sg_buf_puts(&s->out, s->ascii ? "+" : "┌");
    for (wi = 0; wi < w + 2; wi++)
        sg_buf_puts(&s->out, h);
    sg_buf_puts(&s->out, s->ascii ? "+\n" : "┐\n");
    for (i = 0; i < n; i++) {
        size_t lead = i ? STP_CONT : 0;
        stp_spaces(&s->out, 2);
        sg_buf_printf(&s->out, "%s ", v);
        stp_spaces(&s->out, lead);
        sg_buf_puts(&s->out, lines[i]);
        stp_spaces(&s->out, w - lead - stp_cols(lines[i]));
        sg_buf_printf(&s->out, " %s\n", v);
    }
    stp_spaces(&s->out, 2);
    sg_buf_puts(&s->out, s->ascii ? "+" : "└");
    for (wi = 0; wi < w + 2; wi++)
        sg_buf_puts(&s->out, h);
    sg_buf_puts(&s->out, s->ascii ? "+\n" : "┘\n");
    free(store);
    free(lines);
    sg_buf_free(&b);
}

/* steps i and i + 1 push ⟨A, A⟩'s adjoint to A twice: the rule is ‖A‖²'s,
   and the value A's total when nothing else adds to it */
static int merged_total(const stp_doc *s, const sg_log *g, int i)
{
    const sg_step *a = &g->steps[i], *b;
    const sg_step *t;
    const sg_expr *kid;
    if (i + 1 >= g->nsteps || a->kind != SG_STEP_RULE || a->rule_id != SG_RULE_DOT_A)
        return -1;
    b = &g->steps[i + 1];
    if (b->kind != SG_STEP_RULE || b->node != a->node || b->rule_id != SG_RULE_DOT_B ||
        sg_rule_merged_for(a->node) != SG_RULE_SQNORM)
        return -1;
    kid = a->node->kid[0];
    if (!partial(s, kid))
        return -1;
    t = &g->steps[s->total[kid->id]];
    if (t->nterms != 2 || t->terms[0] != a->contrib || t->terms[1] != b->contrib)
        return -1;
    return s->total[kid->id];
}

/* the rules of A⁻¹, det A and log|det A| transpose A⁻¹; the line printed
   A⁻¹ itself when A is symmetric, and says so */
static void symmetric_note(stp_doc *s, sg_rule_id id, const sg_expr *a)
{
    sg_buf b, t;
    if ((id != SG_RULE_INV && id != SG_RULE_DET && id != SG_RULE_LOGDET) ||
        !sg_props_symmetric(s->ctx, a))
        return;
    sg_buf_init(&t);
    stp_put_operand(s, &t, a);
    sg_buf_init(&b);
    sg_buf_printf(&b, "since %s is symmetric, ", sg_buf_str(&t));
    if (s->ascii)
        sg_buf_printf(&b, "inv(%s)' = inv(%s)", sg_buf_str(&t), sg_buf_str(&t));
    else
        sg_buf_printf(&b, "%s⁻ᵀ = %s⁻¹", sg_buf_str(&t), sg_buf_str(&t));
    stp_emit(s, 6, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    sg_buf_free(&t);
}

/* t without formula.c's break marks */
static void drop_breaks(char *t)
{
    char *w = t;
    for (; *t; t++)
        if (*t != SG_FMT_BREAK)
            *w++ = *t;
    *w = '\0';
}

/* a log that sums a value or broadcasts a scalar (sum(A), s𝟙: 𝟙ᵀȲ𝟙) and
   passes through the user's definitions whose entries provably sum to zero
   (c = x − μ𝟙 with μ the mean of x; z = c/s): the boxes drop such sums, and
   this line says why */
static void centred_note(stp_doc *s, const sg_log *g)
{
    sg_buf b;
    int i, k, summed = 0, n = 0;
    for (i = 0; i < g->nsteps && !summed; i++)
        summed = g->steps[i].kind == SG_STEP_RULE && g->steps[i].node &&
                 (g->steps[i].node->op == SG_OP_SUM || g->steps[i].node->op == SG_OP_FILL);
    if (!summed)
        return;
    sg_buf_init(&b);
    for (i = 0; i < s->p->ndefs; i++) {
        const sg_def *d = &s->p->defs[i];
        char *t;
        if (!d->name || !d->expr || !d->expr->name || strcmp(d->expr->name, d->name) ||
            !sg_expr_sums_to_zero(d->expr))
            continue;
        for (k = 0; k < g->nsteps && g->steps[k].node != d->expr; k++)
            ;
        if (k == g->nsteps)
            continue;
        t = stp_fmt_user(s, d->expr, 0);
        drop_breaks(t); /* a sentence breaks at its spaces */
        if (n++ == 0)
            sg_buf_printf(&b, "since %s = %s takes the mean from every entry, %s%s%s = 0",
                          d->name, t, s->ascii ? "sum(" : "𝟙ᵀ", d->name, s->ascii ? ")" : "");
        else
            sg_buf_printf(&b, "; hence %s%s%s = 0 too, as %s = %s", s->ascii ? "sum(" : "𝟙ᵀ",
                          d->name, s->ascii ? ")" : "", d->name, t);
        free(t);
    }
    if (n) {
        sg_buf_puts(&b, ": the results drop sums of these");
        sg_buf_putc(&s->out, '\n');
        stp_emit(s, 2, sg_buf_str(&b), NULL);
    }
    sg_buf_free(&b);
}

/*
 * A Hessian's log derives the gradient first, then its Jacobian. When a
 * log printed above derived the same function's gradient with respect to
 * the same variable, its lines are not repeated: one line names the
 * gradient the Jacobian steps differentiate, and skip[] drops the rest.
 */
static void gradient_above(stp_doc *s, const sg_log *g, unsigned char *skip)
{
    const sg_result *hess = NULL, *grad = NULL;
    const sg_expr *root = NULL;
    int i, from = -1;
    sg_buf b;
    char *t;
    for (i = 0; i < s->p->nresults; i++)
        if (s->p->results[i].log == g && s->p->results[i].kind == SG_RES_HESSIAN)
            hess = &s->p->results[i];
    if (!hess)
        return;
    /* an earlier result's log: sg_problem_logs lists logs by first result */
    for (i = 0; i < s->p->nresults && &s->p->results[i] != hess && !grad; i++) {
        const sg_result *r = &s->p->results[i];
        if (r->kind == SG_RES_GRAD && r->log && r->log != g && r->log->f == g->f &&
            !strcmp(r->wrt, hess->wrt))
            grad = r;
    }
    for (i = 0; i < g->nsteps; i++)
        if (g->steps[i].kind == SG_STEP_JACOBIAN) {
            if (from < 0)
                from = i;
            root = g->steps[i].node;
        }
    if (!grad || from <= 0 || !root)
        return;
    memset(skip, 1, (size_t)from);
    sg_buf_init(&b);
    sg_fmt_result_name(&b, grad, s->ascii);
    t = stp_fmt(s, root, 1, NULL);
    sg_buf_printf(&b, " = %s, derived above, differentiated forward:", t);
    free(t);
    stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/*
 * A Jacobian that later steps read and whose formula is long gets a name,
 * J₁, J₂, …, so that the lines after it say diag(h) J₁ rather than its
 * formula again: written out, the lines of a Hessian nest the lines above
 * and double with every level. Boxes stay in closed form.
 */
static int name_jacobian(stp_doc *s, const unsigned char *read, int i, const sg_expr *value)
{
    static const char *const sub[] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
    char digits[24];
    sg_buf b;
    int k;
    if (!read[i] || value->id >= s->n || s->name[value->id] || value->name || stp_is_leaf(value) ||
        stp_shown_ops(s, value, 3, 1) < 3)
        return 0;
    snprintf(digits, sizeof digits, "%d", ++s->njac);
    sg_buf_init(&b);
    sg_buf_putc(&b, 'J');
    for (k = 0; digits[k]; k++) {
        if (s->ascii)
            sg_buf_putc(&b, digits[k]);
        else
            sg_buf_puts(&b, sub[digits[k] - '0']);
    }
    s->name[value->id] = sg_buf_take(&b, NULL);
    s->owned[value->id] = 1;
    s->jac[value->id] = 1;
    return 1;
}

/* read[i]: the Jacobian of step i is in the DAG of a later step's, found
   by one walk over the steps from the last, each node once */
static unsigned char *jacobians_read(const stp_doc *s, const sg_log *g)
{
    unsigned char *read = sg_xmalloc((size_t)g->nsteps + 1);
    sg_idmap seen;
    int i;
    memset(read, 0, (size_t)g->nsteps + 1);
    sg_idmap_init(&seen, (sg_ctx *)s->ctx);
    for (i = g->nsteps - 1; i >= 0; i--) {
        const sg_expr *c = g->steps[i].contrib;
        if (g->steps[i].kind != SG_STEP_JACOBIAN || !c)
            continue;
        read[i] = sg_idmap_find(&seen, c) != SG_IDMAP_NONE;
        sg_idmap_add_reachable(&seen, c);
    }
    sg_idmap_free(&seen);
    return read;
}

/* ∂h/∂x = J₁ = diag(𝟙 − h ⊙ h)W, with the rule at the right */
static void jacobian_line(stp_doc *s, const char *lhs, const sg_expr *value, sg_rule_id rule)
{
    sg_buf b;
    char *v = stp_fmt(s, value, 0, NULL), *r = rule_text(s, rule);
    sg_buf_init(&b);
    sg_buf_printf(&b, "%s = %s = %s", lhs, s->name[value->id], v);
    stp_emit(s, 2, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(v);
    free(r);
}

/* a walk over one log's steps */
typedef struct {
    const sg_log *g;
    const sg_expr *f;     /* the function differentiated: the last seed's */
    const sg_expr *cur;   /* the node whose rules follow its header, or NULL */
    const sg_expr *jx;    /* the variable of the Jacobian steps */
    unsigned char *skip;  /* by step: said already */
    unsigned char *jread; /* by step: its Jacobian is read by a later step */
    int inner;            /* in the body of a Σ over time or of a recurrence */
} log_walk;

/* marks, by node, the TOTAL step of g that sums it and the last step that
   reads it as an adjoint */
static void mark_log(stp_doc *s, const sg_log *g)
{
    int i;
    s->stamp++;
    for (i = 0; i < g->nsteps; i++) {
        const sg_step *st = &g->steps[i];
        if (st->kind == SG_STEP_TOTAL && st->node && st->node->id < s->n) {
            s->mark[st->node->id] = s->stamp;
            s->total[st->node->id] = i;
        }
        if (st->adjoint && st->adjoint->id < s->n) {
            s->amark[st->adjoint->id] = s->stamp;
            s->alast[st->adjoint->id] = i;
        }
    }
}

/* the results this log derives, as its heading */
static void log_heading(stp_doc *s, const sg_log *g)
{
    sg_buf b;
    int i, first = 1;
    sg_buf_init(&b);
    for (i = 0; i < s->p->nresults; i++) {
        if (s->p->results[i].log != g)
            continue;
        if (!first)
            sg_buf_puts(&b, ", ");
        sg_fmt_result_name(&b, &s->p->results[i], s->ascii);
        first = 0;
    }
    sg_buf_putc(&s->out, '\n');
    stp_emit(s, 0, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/* a RULE step i: its node's header, then the contribution to the kid */
static void rule_step(stp_doc *s, log_walk *w, int i, sg_buf *b)
{
    const sg_step *st = &w->g->steps[i];
    const sg_expr *kid;
    int t;
    if (st->kid < 0 || st->kid >= st->node->nkids || !st->contrib)
        return;
    kid = st->node->kid[st->kid];
    if (st->node->op == SG_OP_ADD && is_spine(s, kid) && st->contrib == st->adjoint)
        return; /* a + b of a + b + c: it has the sum's adjoint */
    if (is_spine(s, st->node)) {
        /* the sum's rule for one more of its terms: the whole sum
           is not written again for each (that is quadratic) */
        w->cur = NULL;
        stp_put_partial(s, b, w->f, kid);
        stp_line(s, 2, sg_buf_str(b), partial(s, kid) ? "+=" : "=", st->contrib, NULL,
                 st->rule_id);
        return;
    }
    header(s, st->node, &w->cur);
    if ((t = merged_total(s, w->g, i)) >= 0) {
        stp_put_partial(s, b, w->f, kid);
        s->naming = kid;
        s->at = t;
        stp_line(s, 4, sg_buf_str(b), "=", w->g->steps[t].adjoint, NULL, SG_RULE_SQNORM);
        s->naming = NULL;
        w->skip[i + 1] = 1;
        w->skip[t] = 1;
        return;
    }
    /* a value outside the body gets a term per step: the push or
       the δ recurrence below sums them */
    if (w->inner && (!sg_expr_varies(kid) || kid->op == SG_OP_SEQSTEP))
        sg_buf_puts(b, "at t: ");
    stp_put_partial(s, b, w->f, kid);
    if (partial(s, kid) || (w->inner && (!sg_expr_varies(kid) || kid->op == SG_OP_SEQSTEP))) {
        stp_line(s, 4, sg_buf_str(b), "+=", st->contrib, NULL, st->rule_id);
        symmetric_note(s, st->rule_id, kid);
        return;
    }
    s->naming = kid;
    s->parent = st->node;
    s->at = i;
    stp_line(s, 4, sg_buf_str(b), "=", st->contrib, NULL, st->rule_id);
    s->naming = s->parent = NULL;
    symmetric_note(s, st->rule_id, kid);
}

/* a JACOBIAN step i: ∂a/∂x = …, named J₁ when a later step reads it */
static void jacobian_step(stp_doc *s, log_walk *w, int i, sg_buf *b)
{
    const sg_step *st = &w->g->steps[i];
    if (st->rule_id == SG_RULE_J_X)
        w->jx = st->node;
    if (!st->contrib)
        return;
    sg_buf_puts(b, stp_d_sym(s));
    if (st->node->id < s->n && s->owner[st->node->id] && !stp_namer(s, st->node) &&
        st->rule_id != SG_RULE_J_X && !stp_is_leaf(st->node)) {
        /* a node of a gradient printed above: ∂(∂L/∂K)/∂x */
        sg_buf_putc(b, '(');
        stp_put_partial(s, b, w->f, s->owner[st->node->id]);
        sg_buf_putc(b, ')');
    } else {
        stp_put_operand(s, b, st->node);
    }
    sg_buf_putc(b, '/');
    sg_buf_puts(b, stp_d_sym(s));
    stp_put_operand(s, b, w->jx ? w->jx : st->node);
    if (name_jacobian(s, w->jread, i, st->contrib))
        jacobian_line(s, sg_buf_str(b), st->contrib, st->rule_id);
    else
        stp_line(s, 2, sg_buf_str(b), "=", st->contrib, NULL, st->rule_id);
    w->cur = NULL;
}

/* a SEQ_TERM step (of an adjoint sequence, with a contribution): a direct
   term of δ, with the steps it applies at; for the adjoint of an input x
   (terms only), a term of ∂f/∂x[t] */
static void term_step(stp_doc *s, const sg_expr *f, const sg_step *st, sg_buf *b)
{
    const sg_seq *d = sg_seq_get(s->ctx, st->adjseq);
    if (d->of >= 0 && sg_seq_get(s->ctx, d->of)->kind == SG_SEQ_INPUT && f) {
        sg_buf_puts(b, stp_d_sym(s));
        stp_put_operand(s, b, f);
        sg_buf_putc(b, '/');
        sg_buf_puts(b, stp_d_sym(s));
        stp_put_seq_name(s, b, d->of);
    } else {
        stp_put_seq_name(s, b, st->adjseq);
    }
    sg_buf_puts(b, "[t]");
    if (st->term >= 0 && st->term < d->nterms) {
        sg_buf tail;
        sg_buf_init(&tail);
        put_piece_range(s, &tail, d->terms[st->term].lo, d->terms[st->term].hi,
                        sg_seq_first(s->ctx, st->adjseq), d->hi);
        stp_line(s, 2, sg_buf_str(b), "+=", st->contrib, sg_buf_str(&tail), st->rule_id);
        sg_buf_free(&tail);
    } else {
        stp_line(s, 2, sg_buf_str(b), "+=", st->contrib, NULL, st->rule_id);
    }
}

/* a SEQ_PUSH step i: a value outside the loop gets the per-step terms */
static void push_step(stp_doc *s, log_walk *w, int i, sg_buf *b)
{
    const sg_step *st = &w->g->steps[i];
    if (!st->to || !st->contrib)
        return;
    stp_put_partial(s, b, w->f, st->to);
    if (partial(s, st->to)) {
        stp_line(s, 2, sg_buf_str(b), "+=", st->contrib, NULL, st->rule_id);
    } else {
        s->naming = st->to;
        s->at = i;
        stp_line(s, 2, sg_buf_str(b), "=", st->contrib, NULL, st->rule_id);
        s->naming = NULL;
    }
    w->cur = NULL;
}

/* step i of the log: its line or lines */
static void log_step(stp_doc *s, log_walk *w, int i, sg_buf *b)
{
    const sg_step *st = &w->g->steps[i];
    switch (st->kind) {
    case SG_STEP_SEED:
        w->f = st->node;
        w->inner = 0;
        stp_put_partial(s, b, w->f, w->f);
        stp_line(s, 2, sg_buf_str(b), "=", st->adjoint, NULL, SG_RULE_NONE);
        w->cur = NULL;
        break;
    case SG_STEP_RULE:
        rule_step(s, w, i, b);
        break;
    case SG_STEP_TOTAL:
        stp_put_partial(s, b, w->f, st->node);
        s->naming = st->node;
        s->at = i;
        stp_line(s, 2, sg_buf_str(b), "=", st->adjoint, NULL, SG_RULE_TOTAL);
        s->naming = NULL;
        w->cur = NULL;
        break;
    case SG_STEP_JACOBIAN:
        jacobian_step(s, w, i, b);
        break;
    case SG_STEP_SEQ_SUM: case SG_STEP_SEQ_REC:
        w->inner = 1;
        header(s, st->node, &w->cur);
        if (st->adjoint) {
            stp_put_partial(s, b, w->f,
                            st->kind == SG_STEP_SEQ_SUM ? st->node->kid[0] : st->node);
            stp_line(s, 4, sg_buf_str(b), "=", st->adjoint, NULL, st->rule_id);
        }
        break;
    case SG_STEP_SEQ_TERM:
        if (st->adjseq < 0 || !st->contrib)
            break;
        w->inner = 0;
        term_step(s, w->f, st, b);
        w->cur = NULL;
        break;
    case SG_STEP_SEQ_DELTA:
        w->inner = 0;
        if (st->adjseq >= 0)
            seq_delta(s, st);
        w->cur = NULL;
        break;
    case SG_STEP_SEQ_PUSH:
        w->inner = 0;
        push_step(s, w, i, b);
        break;
    }
}

/* one log: its heading, the gradient it reads when it is printed above, a
   line per step, the notes, and its results boxed */
static void doc_log(stp_doc *s, const sg_log *g)
{
    log_walk w;
    int i;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.f = g->f;
    w.skip = sg_xmalloc((size_t)g->nsteps + 1);
    w.jread = jacobians_read(s, g);
    memset(w.skip, 0, (size_t)g->nsteps + 1);
    mark_log(s, g);
    log_heading(s, g);
    gradient_above(s, g, w.skip);
    for (i = 0; i < g->nsteps; i++) {
        sg_buf b;
        if (w.skip[i] || !g->steps[i].node)
            continue;
        sg_buf_init(&b);
        log_step(s, &w, i, &b);
        sg_buf_free(&b);
    }
    free(w.skip);
    free(w.jread);
    centred_note(s, g);
    sg_buf_putc(&s->out, '\n');
    for (i = 0; i < s->p->nresults; i++)
        if (s->p->results[i].log == g)
            boxed(s, &s->p->results[i]);
}

char *sg_steps_document(const sg_problem *p, const sg_steps_opts *o, size_t *len)
{
    stp_doc s;
    const sg_log **logs;
    const sg_expr **st;
    int nlogs, nst = 0, i;
    unsigned id;

    memset(&s, 0, sizeof s);
    s.left = STP_STEPS_NODES;
    s.p = p;
    s.ctx = p->ctx;
    s.ascii = o && o->ascii;
    s.width = o && o->width > 20 ? o->width : STP_WIDTH;
    s.cont = STP_CONT;
    s.n = sg_expr_count(p->ctx);
    s.name = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.name);
    s.owned = sg_xmalloc((size_t)s.n + 1);
    s.fresh = sg_xmalloc((size_t)s.n + 1);
    s.jac = sg_xmalloc((size_t)s.n + 1);
    memset(s.jac, 0, (size_t)s.n + 1);
    s.flag = sg_xmalloc((size_t)s.n + 1);
    s.mark = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.mark);
    s.total = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.total);
    s.amark = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.amark);
    s.owner = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.owner);
    memset((void *)s.owner, 0, ((size_t)s.n + 1) * sizeof *s.owner);
    s.alast = sg_xmalloc(((size_t)s.n + 1) * sizeof *s.alast);
    memset(s.amark, 0, ((size_t)s.n + 1) * sizeof *s.amark);
    memset((void *)s.name, 0, ((size_t)s.n + 1) * sizeof *s.name);
    memset(s.owned, 0, (size_t)s.n + 1);
    memset(s.fresh, 0, (size_t)s.n + 1);
    memset(s.flag, 0, (size_t)s.n + 1);
    memset(s.mark, 0, ((size_t)s.n + 1) * sizeof *s.mark);
    sg_buf_init(&s.out);

    logs = sg_xmalloc(((size_t)p->nresults + 1) * sizeof *logs);
    nlogs = sg_problem_logs(p, logs, NULL);
    st = nlogs > 0 ? stp_name_stations(&s, logs, nlogs, &nst) : NULL;

    if (o && o->source)
        stp_title(&s, o->source);
    stp_doc_problem(&s);
    stp_doc_forward(&s, st, nst);
    for (i = 0; i < nlogs; i++)
        doc_log(&s, logs[i]);
    if (o && o->verdicts && p->nanswers > 0)
        stp_doc_answers(&s, o->verdicts);

    for (id = 0; id < s.n; id++)
        if (s.owned[id])
            free((char *)s.name[id]);
    free((void *)s.name);
    free(s.owned);
    free(s.fresh);
    free(s.jac);
    free(s.flag);
    free(s.mark);
    free(s.total);
    free(s.amark);
    free((void *)s.owner);
    free(s.alast);
    free((void *)s.used);
    sg_strmap_free(&s.taken);
    for (i = 0; i < s.nmine; i++)
        free(s.mine[i]);
    free(s.mine);
    free((void *)st);
    free((void *)logs);
    return sg_buf_take(&s.out, len);
}
