/*
 * stp_names.c: formulas in the document's names, and which nodes are named.
 *
 * The user's names print as themselves. An unnamed intermediate that the
 * derivation passes through and whose formula is long gets a fresh name (r
 * for a difference, a for a function's argument, else u, v, …; r[t] when it
 * varies with t), listed under "Forward pass", so that each line stays
 * short. A recurrence's step body prints as h[t]. What a node is to the
 * derivation (a station, an addend, a pre-activation: STP_F_*) decides whether
 * it is named. Formulas print through formula.c with a namer that says
 * these names, within the budgets below.
 */
#include "stp.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- names ------------------------------------------------------------------- */

const char *stp_namer(void *arg, const sg_expr *e)
{
    stp_doc *s = arg;
    if (e->id >= s->n)
        return NULL;
    /* a box keeps a name of ours only for a column or a matrix: a row
       vector (u = (x − μ)ᵀS⁻¹) is a transpose nobody names */
    if (s->boxing && s->fresh[e->id] && e->shape.rows == SG_DIM_ONE && e->shape.cols != SG_DIM_ONE)
        return NULL;
    if (s->boxing && s->jac[e->id]) /* a box is in closed form */
        return NULL;
    if (!s->name[e->id] && e->name && e->nkids > 0) {
        sg_buf b;
        sg_buf_init(&b);
        sg_fmt_name(&b, e->name, s->ascii);
        s->name[e->id] = sg_buf_take(&b, NULL);
        s->owned[e->id] = 1;
    }
    return s->name[e->id];
}

/*
 * The budgets of what one document prints, in formula nodes: a DAG printed
 * as a tree can be exponentially larger than the DAG (xₖ = 2xₖ₋₁ ⊙ xₖ₋₁ + xₖ₋₁
 * once the scalars are pulled out, or its Hessian's nested diag(·) sums), so
 * past a budget the rest of a formula prints as "…".
 *
 * - A step prints at most STEP_NODES: a line of a derivation is read, and
 *   the derivations of the examples stay under 200.
 * - A line of the problem restates what was written, so it prints at most
 *   PROBLEM_NODES plus PROBLEM_NODES_PER_BYTE per byte of its source (a sum
 *   of 20,000 terms prints whole); without this a 30-line chain of squares
 *   spent the document's budget on its problem and left "…" for every step.
 * - The document prints at most STP_STEPS_NODES (stp.h; s->left).
 */
#define STEP_NODES 2048L
#define PROBLEM_NODES 256L
#define PROBLEM_NODES_PER_BYTE 16L

/* e's formula in the output's alphabet, with break marks, printing at most
   cap nodes of the document's budget; named: with the namer's names (the
   fresh ones and the user's), else the problem as the checker holds it; as
   its name when named_root and it has one. *level (when not NULL) gets its
   precedence. */
static char *fmt_cap(stp_doc *s, const sg_expr *e, int named, int named_root, int *level, long cap)
{
    sg_fmt_style st;
    sg_buf b;
    long before;
    int l;
    if (cap > s->left)
        cap = s->left;
    before = cap;
    memset(&st, 0, sizeof st);
    st.alphabet = s->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE;
    if (named) {
        st.namer = stp_namer;
        st.arg = s;
    }
    st.breaks = 1;
    st.left = &cap;
    st.named_root = named_root;
    sg_buf_init(&b);
    l = sg_fmt_expr_style(&b, s->ctx, e, &st);
    s->left -= before - (cap > 0 ? cap : 0);
    if (level)
        *level = l;
    return sg_buf_take(&b, NULL);
}

/* a step's formula (see fmt_cap) */
char *stp_fmt(stp_doc *s, const sg_expr *e, int named_root, int *level)
{
    return fmt_cap(s, e, 1, named_root, level, STEP_NODES);
}

/* the same with the user's names only; written > 0: the bytes of source
   the line of the problem stands for */
char *stp_fmt_user(stp_doc *s, const sg_expr *e, size_t written)
{
    long cap = STEP_NODES;
    if (written > 0) {
        cap = LONG_MAX;
        if ((long)written < (LONG_MAX - PROBLEM_NODES) / PROBLEM_NODES_PER_BYTE)
            cap = PROBLEM_NODES + PROBLEM_NODES_PER_BYTE * (long)written;
    }
    return fmt_cap(s, e, 0, 0, NULL, cap);
}

/* e as the operand of ∂: its name, or its formula, parenthesized unless it
   binds as tightly as a postfix (∂L/∂Wᵀ, ∂L/∂(−x)) */
void stp_put_operand(stp_doc *s, sg_buf *b, const sg_expr *e)
{
    int level;
    char *t = stp_fmt(s, e, 1, &level);
    /* ASCII spells postfixes as operators, and Σ as a call with spaces:
       d(W'), d(norm(r)^2), d(sum(t = 1..T, e)) */
    stp_put_parens(b, t, level < (s->ascii ? SG_FMT_ATOM : SG_FMT_POST) ||
                             (s->ascii && strchr(t, ' ')));
    free(t);
}

/* t into b, in parentheses when wrap */
void stp_put_parens(sg_buf *b, const char *t, int wrap)
{
    if (wrap)
        sg_buf_putc(b, '(');
    sg_buf_puts(b, t);
    if (wrap)
        sg_buf_putc(b, ')');
}

const char *stp_d_sym(const stp_doc *s)
{
    return s->ascii ? "d" : "∂";
}

/* ∂f/∂e */
void stp_put_partial(stp_doc *s, sg_buf *b, const sg_expr *f, const sg_expr *e)
{
    sg_buf_puts(b, stp_d_sym(s));
    stp_put_operand(s, b, f);
    sg_buf_putc(b, '/');
    sg_buf_puts(b, stp_d_sym(s));
    stp_put_operand(s, b, e);
}

/* a sequence's name: δh (ASCII delta_h) */
void stp_put_seq_name(stp_doc *s, sg_buf *b, int q)
{
    const char *name = sg_seq_get(s->ctx, q)->name;
    static const char delta[] = "δ";
    if (s->ascii && strncmp(name, delta, strlen(delta)) == 0) {
        sg_buf_puts(b, "delta_");
        name += strlen(delta);
    }
    sg_fmt_name(b, name, s->ascii);
}

void stp_put_index(stp_doc *s, sg_buf *b, sg_index i)
{
    /* measured: a dimension's name may be as long as any name */
    int n = sg_index_snprint(NULL, 0, s->ctx, i, s->ascii);
    char *t = sg_xmalloc((size_t)n + 1);
    sg_index_snprint(t, (size_t)n + 1, s->ctx, i, s->ascii);
    sg_buf_puts(b, t);
    free(t);
}

int stp_taken(stp_doc *s, const char *name)
{
    int i;
    if (sg_sym_find(s->ctx, name) >= 0 || sg_dim_find(s->ctx, name) >= 0 ||
        sg_seq_find(s->ctx, name) >= 0)
        return 1;
    if (!s->defs_in) { /* a map, not a scan: a name for each of 10,000 layers */
        for (i = 0; i < s->p->ndefs; i++)
            if (s->p->defs[i].name)
                sg_strmap_put(&s->taken, s->p->defs[i].name, 1);
        s->defs_in = 1;
    }
    return sg_strmap_get(&s->taken, name) >= 0;
}

void stp_use(stp_doc *s, const char *name)
{
    SG_GROW(s->used, s->nused, s->capused, SG_GROW_MAX, "names given out");
    s->used[s->nused++] = name;
    sg_strmap_put(&s->taken, name, 1);
}

/* a fresh name, the preferred one when it is free; in the context's arena */
static const char *fresh_name(stp_doc *s, const char *prefer)
{
    static const char *const pool[] = {"u", "v", "w", "q", "b", "c", "d", "g", "s"};
    const char *t;
    if (prefer && !stp_taken(s, prefer)) {
        stp_use(s, prefer);
        return prefer;
    }
    for (;;) {
        int k = s->pool++;
        char num[32];
        if (k < (int)(sizeof pool / sizeof pool[0])) {
            t = pool[k];
        } else {
            snprintf(num, sizeof num, "u%d", k + 1 - (int)(sizeof pool / sizeof pool[0]));
            t = num;
        }
        if (!stp_taken(s, t)) {
            if (t == num) {
                char *c = sg_xmalloc(strlen(num) + 1);
                strcpy(c, num);
                stp_keep(s, c);
                t = c;
            }
            stp_use(s, t);
            return t;
        }
    }
}

/* name, made up here, is the document's to free */
void stp_keep(stp_doc *s, char *name)
{
    SG_GROW(s->mine, s->nmine, s->capmine, SG_GROW_MAX, "names made up");
    s->mine[s->nmine++] = name;
}

int stp_is_leaf(const sg_expr *e)
{
    return e->nkids == 0 || e->op == SG_OP_AT || e->op == SG_OP_SEQSTEP;
}

/* a scaling by a number: −x, ½‖r‖² */
static int is_number_scale(const sg_expr *e)
{
    return e->op == SG_OP_MUL && sg_shape_is_scalar(e->kid[0]->shape) &&
           e->kid[0]->op == SG_OP_CONST;
}

/* a node whose formula says as much as a name would: a transpose, a
   broadcast, a scaling by a number, a Σ over time */
static int is_trivial(const sg_expr *e)
{
    return stp_is_leaf(e) || e->op == SG_OP_TRANSPOSE || e->op == SG_OP_FILL || is_number_scale(e) ||
           e->op == SG_OP_SEQSUM;
}

/* the operators e's formula shows, down to names and leaves, up to cap */
int stp_shown_ops(stp_doc *s, const sg_expr *e, int cap, int root)
{
    int n, k;
    if (stp_is_leaf(e) || cap <= 0)
        return 0;
    if (!root && (e->name || (e->id < s->n && s->name[e->id])))
        return 0;
    n = is_trivial(e) ? 0 : 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += stp_shown_ops(s, e->kid[k], cap - n, 0);
    return n;
}

int stp_is_nonlinear(sg_op op)
{
    return sg_op_is_elementwise_unary(op) || op == SG_OP_SOFTMAX || op == SG_OP_LOGSOFTMAX ||
           op == SG_OP_LOGSUMEXP;
}

static int negated(const sg_expr *e)
{
    return is_number_scale(e) && e->kid[0]->value < 0;
}

static void flag_node(stp_doc *s, const sg_expr *e, unsigned char f)
{
    if (e && e->id < s->n)
        s->flag[e->id] |= f;
}

static int by_id(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* the differentiated function of one of the logs: it keeps its own name */
static int is_log_f(const sg_log **logs, int nlogs, const sg_expr *e)
{
    int i;
    for (i = 0; i < nlogs; i++)
        if (logs[i]->f == e)
            return 1;
    return 0;
}

/*
 * The names: a recurrence's body is h[t]; each station whose formula shows
 * two operators or more, and is neither a partial sum, nor a product of
 * leaves, nor a 1×1 value scaled by a number, gets a fresh one. Kids come
 * before parents (ids grow), so a formula is measured with its kids' names.
 */
const sg_expr **stp_name_stations(stp_doc *s, const sg_log **logs, int nlogs, int *nstations)
{
    const sg_expr **st;
    int n = 0, cap = 16, i, j, q;
    st = sg_xmalloc((size_t)cap * sizeof *st);
    for (i = 0; i < nlogs; i++) {
        for (j = 0; j < logs[i]->nsteps; j++) {
            const sg_step *x = &logs[i]->steps[j];
            const sg_expr *v[3] = {x->node, NULL, x->to};
            int k;
            if (x->kind == SG_STEP_RULE && x->node && x->kid >= 0 && x->kid < x->node->nkids) {
                const sg_expr *y = x->node, *kid = y->kid[x->kid];
                v[1] = kid;
                if (y->op == SG_OP_ADD && !y->name)
                    flag_node(s, kid, STP_F_ADDEND);
                if (y->op == SG_OP_ADD && kid->op == SG_OP_ADD)
                    flag_node(s, kid, STP_F_PARTIAL);
                if (is_number_scale(y) && sg_shape_is_scalar(kid->shape))
                    flag_node(s, kid, STP_F_SCALED);
                if (stp_is_nonlinear(y->op))
                    flag_node(s, kid, STP_F_ARG);
            }
            for (k = 0; k < 3; k++) {
                if (!v[k] || v[k]->id >= s->n)
                    continue;
                if (x->kind != SG_STEP_JACOBIAN)
                    s->flag[v[k]->id] |= STP_F_BACK;
                if (s->flag[v[k]->id] & STP_F_STATION)
                    continue;
                s->flag[v[k]->id] |= STP_F_STATION;
                SG_GROW(st, n, cap, SG_GROW_MAX, "stations");
                st[n++] = v[k];
            }
        }
    }
    qsort((void *)st, (size_t)n, sizeof *st, by_id);
    for (q = 0; q < sg_seq_count(s->ctx); q++) {
        const sg_seq *h = sg_seq_get(s->ctx, q);
        sg_buf b;
        if (h->kind != SG_SEQ_FORWARD || !h->body || h->body->id >= s->n || s->name[h->body->id])
            continue;
        sg_buf_init(&b);
        stp_put_seq_name(s, &b, q);
        sg_buf_puts(&b, "[t]");
        s->name[h->body->id] = sg_buf_take(&b, NULL);
        s->owned[h->body->id] = 1;
    }
    for (i = 0; i < n; i++) {
        const sg_expr *e = st[i];
        unsigned char f = s->flag[e->id];
        const char *base, *prefer = NULL;
        sg_buf b;
        if (!(f & STP_F_BACK) || e->name || s->name[e->id] || is_trivial(e) || sg_expr_is_leaf_product(e) ||
            (f & (STP_F_ADDEND | STP_F_PARTIAL)) || is_log_f(logs, nlogs, e) ||
            (f & STP_F_SCALED) || stp_shown_ops(s, e, 2, 1) < 2)
            continue;
        if (e->op == SG_OP_ADD && (negated(e->kid[1]) || (e->kid[1]->op == SG_OP_FILL &&
                                                          e->kid[1]->kid[0]->op == SG_OP_CONST &&
                                                          e->kid[1]->kid[0]->value < 0)))
            prefer = "r";
        else if (f & STP_F_ARG)
            prefer = "a";
        base = fresh_name(s, prefer);
        sg_buf_init(&b);
        sg_fmt_name(&b, base, s->ascii);
        if (sg_expr_varies(e))
            sg_buf_puts(&b, "[t]");
        s->name[e->id] = sg_buf_take(&b, NULL);
        s->owned[e->id] = 1;
        s->fresh[e->id] = 1;
    }
    *nstations = n;
    return st;
}
