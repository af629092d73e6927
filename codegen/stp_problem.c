/*
 * stp_problem.c: the title, the problem, and the forward pass.
 *
 * The title is the source's leading comment. The problem is printed as the
 * checker holds it: the user's definitions and sequences quoted from the
 * source where they read the same (quote.h), with the rewrites the
 * constructors made and their reasons; then the fresh names the derivation
 * gives, each with its formula, and the user's definitions that read them.
 */
#include "stp.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"

/* ---- the problem --------------------------------------------------------------- */

/* the leading comment of the source: its title */
void stp_title(stp_doc *s, const char *src)
{
    const char *l = src;
    int any = 0;
    while (l && *l) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        char *line;
        if (n == 0 || l[0] != '#')
            break;
        line = sg_xmalloc(n + 1);
        memcpy(line, l, n);
        line[n] = '\0';
        if (strncmp(line, "# symgrad:", 10) != 0) {
            const char *t = line + 1;
            while (*t == ' ')
                t++;
            if (*t) {
                sg_buf tb;
                sg_buf_init(&tb);
                stp_put_text(s, &tb, t);
                s->cont = 0; /* a title's lines go on flush left */
                stp_emit(s, 0, sg_buf_str(&tb), NULL);
                s->cont = STP_CONT;
                sg_buf_free(&tb);
                any = 1;
            }
        }
        free(line);
        l = e ? e + 1 : NULL;
    }
    if (any)
        sg_buf_putc(&s->out, '\n');
}

static void put_dim(stp_doc *s, sg_buf *b, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(s->ctx, d);
    if (di->name)
        sg_fmt_name(b, di->name, s->ascii);
    else
        sg_buf_printf(b, "%ld", di->value);
}

/* W ∈ ℝ^{m×n} (ASCII: W : matrix(m, n)), as the language writes a declaration */
static void put_decl(stp_doc *s, sg_buf *b, const sg_symbol *y, const char *name, sg_shape sh)
{
    sg_dim r = sh.rows, c = sh.cols;
    sg_fmt_name(b, name, s->ascii);
    if (s->ascii) {
        const char *kind = y->props & SG_PROP_SPD         ? "spd"
                           : y->props & SG_PROP_SYMMETRIC ? "symmetric"
                           : y->props & SG_PROP_SIMPLEX   ? "onehot"
                           : sg_shape_is_scalar(sh)       ? "scalar"
                           : c == SG_DIM_ONE              ? "vector"
                                                          : "matrix";
        sg_buf_printf(b, " : %s", kind);
        if (!strcmp(kind, "scalar"))
            return;
        sg_buf_putc(b, '(');
        put_dim(s, b, r);
        if (!strcmp(kind, "matrix") || (!strcmp(kind, "onehot") && c != SG_DIM_ONE)) {
            sg_buf_puts(b, ", ");
            put_dim(s, b, c);
        }
        sg_buf_putc(b, ')');
        return;
    }
    sg_buf_puts(b, " ∈ ");
    if ((y->props & (SG_PROP_SPD | SG_PROP_SYMMETRIC)) ||
        ((y->props & SG_PROP_SIMPLEX) && c == SG_DIM_ONE)) {
        sg_buf_puts(b, y->props & SG_PROP_SPD         ? "𝕊₊₊^"
                       : y->props & SG_PROP_SYMMETRIC ? "𝕊^"
                                                      : "Δ^");
        put_dim(s, b, r);
        return;
    }
    sg_buf_puts(b, y->props & SG_PROP_SIMPLEX ? "Δ" : "ℝ"); /* Δ^{C×N}: columns */
    if (sg_shape_is_scalar(sh))
        return;
    if (c == SG_DIM_ONE) {
        sg_buf t;
        sg_buf_init(&t);
        put_dim(s, &t, r);
        sg_buf_printf(b, stp_cols(sg_buf_str(&t)) == 1 ? "^%s" : "^{%s}", sg_buf_str(&t));
        sg_buf_free(&t);
        return;
    }
    sg_buf_puts(b, "^{");
    put_dim(s, b, r);
    sg_buf_puts(b, "×");
    put_dim(s, b, c);
    sg_buf_putc(b, '}');
}

/* t = lo..hi (Unicode: t = lo, …, hi) */
void stp_put_range(stp_doc *s, sg_buf *b, sg_index lo, sg_index hi, int down)
{
    sg_buf_puts(b, s->ascii ? " for t = " : ", t = ");
    stp_put_index(s, b, lo);
    sg_buf_puts(b, s->ascii ? (down ? " down to " : "..") : ", …, ");
    stp_put_index(s, b, hi);
}

/* the names known where a definition is written (quote.h): a symbol, a
   dimension, a sequence, I and 𝟙, or a definition above it */
typedef struct {
    stp_doc *s;
    sg_strmap *defs;
} quote_names;

static int quote_known(void *arg, const char *name, size_t n)
{
    quote_names *k = arg;
    char buf[256]; /* a name has at most SG_LEX_MAX_NAME bytes */
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return !strcmp(buf, "I") || !strcmp(buf, "ones") || sg_sym_find(k->s->ctx, buf) >= 0 ||
           sg_dim_find(k->s->ctx, buf) >= 0 || sg_seq_find(k->s->ctx, buf) >= 0 ||
           sg_strmap_get(k->defs, buf) >= 0;
}

/*
 * The stability rewrites the constructors made in definition d, as a
 * visible step under it: the identities, grouped by their reason, and the
 * definition as it is evaluated ("for numerical stability, with
 * log σ(z) = −softplus(−z), L is evaluated as  L = …").
 */
static void problem_rewrites(stp_doc *s, const sg_def *d)
{
    const char *reason[3];
    const sg_rewrite **seen;
    int j, n = 0, r, first = 1, from = d->rw_first, to = d->rw_end;
    sg_buf b;
    char *t;
    if (to <= from)
        return;
    reason[0] = "for numerical stability";
    reason[1] = s->ascii ? "so that sigmoid is computed once" : "so that σ is computed once";
    reason[2] = "to combine the softplus terms";
    seen = sg_xmalloc((size_t)(to - from) * sizeof *seen);
    n = sg_fmt_rewrites_shown(s->ctx, from, to, NULL, seen);
    if (n == 0) {
        free(seen);
        return;
    }
    sg_buf_init(&b);
    for (r = 0; r < 3; r++) {
        int m = 0, k = 0;
        for (j = 0; j < n; j++)
            m += sg_fmt_rewrite_reason(seen[j]->kind) == r;
        if (m == 0)
            continue;
        sg_buf_puts(&b, first ? "" : "; ");
        sg_buf_puts(&b, reason[r]);
        sg_buf_puts(&b, ", with ");
        first = 0;
        for (j = 0; j < n; j++) {
            if (sg_fmt_rewrite_reason(seen[j]->kind) != r)
                continue;
            if (k > 0)
                sg_buf_puts(&b, k + 1 == m ? " and " : ", ");
            sg_fmt_rewrite(&b, s->ctx, seen[j], s->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE);
            k++;
        }
    }
    sg_buf_puts(&b, ", ");
    sg_fmt_name(&b, d->name, s->ascii);
    sg_buf_puts(&b, " is evaluated as");
    stp_emit(s, 4, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    free(seen);
    sg_buf_init(&b);
    sg_fmt_name(&b, d->name, s->ascii);
    sg_buf_puts(&b, " = ");
    t = stp_fmt_user(s, d->expr, d->ast ? d->ast->span.end - d->ast->span.begin : 0);
    sg_buf_puts(&b, t);
    free(t);
    stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    if (d->derived_as_written)
        stp_emit(s, 4, "the same function: the derivation below differentiates it as written", NULL);
}

/* a line of the problem: a definition or a recurrence, where it was written */
typedef struct {
    unsigned at;
    int def, seq; /* the one it is; the other −1 */
    int step;     /* a recurrence's: its step (1) or its initial value (0) */
} problem_line;

static int by_place(const void *pa, const void *pb)
{
    const problem_line *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->def != b->def)
        return a->def < b->def ? -1 : 1;
    return a->seq != b->seq ? (a->seq < b->seq ? -1 : 1) : (a->step < b->step ? -1 : 1);
}

/* the statement that defines sequence name's first value (step = 0) or its
   step (step = 1); NULL when the problem did not keep it */
static const sg_stmt *seq_stmt(const stp_doc *s, const char *name, int step)
{
    const sg_stmt *st;
    for (st = s->p->prog ? s->p->prog->first : NULL; st; st = st->next)
        if (st->kind == SG_STMT_DEF && st->index && st->expr && !strcmp(st->target.name, name) &&
            !st->range_var.name == !step)
            return st;
    return NULL;
}

/* the definitions and forward recurrences, in the order of their text */
static problem_line *problem_order(const stp_doc *s, int *n)
{
    int i, m = 0, nseqs = sg_seq_count(s->ctx);
    problem_line *v = sg_xmalloc(((size_t)s->p->ndefs + 2 * (size_t)nseqs + 1) * sizeof *v);
    for (i = 0; i < s->p->ndefs; i++) {
        if (!s->p->defs[i].name || !s->p->defs[i].expr)
            continue;
        v[m].at = s->p->defs[i].span.begin;
        v[m].def = i;
        v[m].step = 0;
        v[m++].seq = -1;
    }
    for (i = 0; i < nseqs; i++) {
        const sg_seq *h = sg_seq_get(s->ctx, i);
        const sg_stmt *st;
        int step;
        if (h->kind != SG_SEQ_FORWARD || !h->body)
            continue;
        for (step = h->init ? 0 : 1; step <= 1; step++) { /* each where it is written */
            st = seq_stmt(s, h->name, step);
            v[m].at = st ? st->span.begin : UINT_MAX;
            v[m].def = -1;
            v[m].step = step;
            v[m++].seq = i;
        }
    }
    qsort(v, (size_t)m, sizeof *v, by_place);
    *n = m;
    return v;
}

/* ast (a right side as written) into b, the definitions in defs known */
static void quote_into(stp_doc *s, sg_buf *b, sg_strmap *defs, const sg_ast *ast)
{
    sg_quote_opts qo;
    quote_names k;
    k.s = s;
    k.defs = defs;
    memset(&qo, 0, sizeof qo);
    qo.text = s->p->text;
    qo.known = quote_known;
    qo.arg = &k;
    qo.breaks = 1;
    qo.alphabet = s->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE;
    sg_quote(b, ast, &qo);
}

/* definition i as written, and its rewrites */
static void problem_def(stp_doc *s, sg_strmap *defs, int i)
{
    const sg_def *d = &s->p->defs[i];
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_name(&b, d->name, s->ascii);
    sg_buf_puts(&b, " = ");
    if (d->ast) {
        quote_into(s, &b, defs, d->ast);
    } else {
        char *t = stp_fmt_user(s, d->expr, 0);
        sg_buf_puts(&b, t);
        free(t);
    }
    stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    sg_strmap_put(defs, d->name, i);
    problem_rewrites(s, d);
}

/* recurrence q: h[0] = … (step 0), or h[t] = … for its range (step 1), as written */
static void problem_seq(stp_doc *s, sg_strmap *defs, int q, int step)
{
    const sg_seq *h = sg_seq_get(s->ctx, q);
    const sg_stmt *st;
    sg_buf b;
    char *t;
    if (!step) {
        sg_buf_init(&b);
        stp_put_seq_name(s, &b, q);
        sg_buf_putc(&b, '[');
        stp_put_index(s, &b, sg_index_plus(h->lo, -1));
        sg_buf_puts(&b, "] = ");
        if ((st = seq_stmt(s, h->name, 0)) != NULL) {
            quote_into(s, &b, defs, st->expr);
        } else {
            t = stp_fmt_user(s, h->init, 0);
            sg_buf_puts(&b, t);
            free(t);
        }
        stp_emit(s, 2, sg_buf_str(&b), NULL);
        sg_buf_free(&b);
        return;
    }
    sg_buf_init(&b);
    stp_put_seq_name(s, &b, q);
    sg_buf_puts(&b, "[t] = ");
    if ((st = seq_stmt(s, h->name, 1)) != NULL) {
        quote_into(s, &b, defs, st->expr);
    } else {
        t = stp_fmt_user(s, h->body, 0);
        sg_buf_puts(&b, t);
        free(t);
    }
    stp_put_range(s, &b, h->lo, h->hi, 0);
    stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

void stp_doc_problem(stp_doc *s)
{
    sg_buf b;
    sg_strmap defs;
    problem_line *order;
    int i, k, n, any = 0;
    sg_buf_puts(&s->out, "Problem\n");
    /* the inputs, as declared */
    sg_buf_init(&b);
    for (i = 0; i < sg_sym_count(s->ctx); i++) {
        const sg_symbol *y = sg_sym_get(s->ctx, i);
        if (any)
            sg_buf_printf(&b, ",%c ", SG_FMT_BREAK);
        any = 1;
        if (y->seq >= 0) {
            const sg_seq *x = sg_seq_get(s->ctx, y->seq);
            sg_buf t;
            sg_buf_init(&t);
            stp_put_seq_name(s, &t, y->seq);
            sg_buf_puts(&t, "[t]");
            put_decl(s, &b, y, sg_buf_str(&t), x->shape);
            sg_buf_free(&t);
            stp_put_range(s, &b, x->lo, x->hi, 0);
        } else {
            put_decl(s, &b, y, y->name, y->shape);
        }
    }
    if (any)
        stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    /* the definitions and the recurrences, in the order written, as written */
    sg_strmap_init(&defs);
    order = problem_order(s, &n);
    for (k = 0; k < n; k++) {
        if (order[k].def >= 0)
            problem_def(s, &defs, order[k].def);
        else
            problem_seq(s, &defs, order[k].seq, order[k].step);
    }
    free(order);
    sg_strmap_free(&defs);
    /* what is asked */
    sg_buf_init(&b);
    any = 0;
    for (i = 0; i < s->p->nresults; i++) {
        const sg_result *r = &s->p->results[i];
        if (r->kind == SG_RES_VALUE)
            continue;
        sg_buf_puts(&b, any ? ", " : "find ");
        sg_fmt_result_name(&b, r, s->ascii);
        any = 1;
    }
    if (any)
        stp_emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/* the fresh names, and the user's definitions that read them */
void stp_doc_forward(stp_doc *s, const sg_expr **st, int nst)
{
    int i, any = 0;
    for (i = 0; i < nst; i++) {
        const sg_expr *e = st[i];
        sg_buf b;
        char *t;
        if (!s->fresh[e->id]) {
            /* a user's definition, when the fresh names shorten it */
            char *u;
            int same;
            if (!e->name || stp_is_leaf(e) || !stp_namer(s, e))
                continue;
            t = stp_fmt(s, e, 0, NULL);
            u = stp_fmt_user(s, e, 0);
            same = !strcmp(t, u);
            free(u);
            if (same) {
                free(t);
                continue;
            }
        } else {
            t = stp_fmt(s, e, 0, NULL);
        }
        if (!any)
            sg_buf_puts(&s->out, "\nForward pass\n");
        any = 1;
        sg_buf_init(&b);
        sg_buf_puts(&b, s->name[e->id]);
        sg_buf_puts(&b, " = ");
        sg_buf_puts(&b, t);
        free(t);
        stp_emit(s, 2, sg_buf_str(&b), NULL);
        sg_buf_free(&b);
    }
}

/* the line of the source a byte offset is on */
static unsigned line_of(const char *text, unsigned at)
{
    unsigned line = 1, i;
    for (i = 0; text && i < at && text[i]; i++)
        line += text[i] == '\n';
    return line;
}

void stp_doc_answers(stp_doc *s, const char *const *verdicts)
{
    int i;
    sg_strmap defs;
    sg_strmap_init(&defs);
    for (i = 0; i < s->p->ndefs; i++)
        if (s->p->defs[i].name)
            sg_strmap_put(&defs, s->p->defs[i].name, i);
    sg_buf_puts(&s->out, "\nAnswers\n");
    for (i = 0; i < s->p->nanswers; i++) {
        const sg_answer *a = &s->p->answers[i];
        const sg_result *r = &s->p->results[a->result];
        sg_buf b;
        size_t lead;
        sg_buf_init(&b);
        sg_buf_printf(&b, "line %u, yours:  ", line_of(s->p->text, a->span.begin));
        lead = b.len; /* "derived:" lines up with it, whatever the line's digits */
        sg_fmt_result_name(&b, r, s->ascii);
        sg_buf_puts(&b, " = ");
        quote_into(s, &b, &defs, a->ast);
        stp_emit(s, 2, sg_buf_str(&b), NULL);
        sg_buf_free(&b);
        sg_buf_init(&b);
        sg_buf_printf(&b, "%-*s", (int)lead, "derived:");
        sg_fmt_result_name(&b, r, s->ascii);
        sg_buf_puts(&b, " = ");
        sg_fmt_expr(&b, s->ctx, r->display ? r->display : r->expr, s->ascii);
        stp_emit(s, 2, sg_buf_str(&b), NULL);
        stp_emit(s, 2, verdicts[i], NULL);
        sg_buf_free(&b);
    }
    sg_strmap_free(&defs);
}
