/*
 * steps.c: the derivation as plain text, for the terminal (--steps).
 *
 * A printer of what the checker and differentiation recorded, nothing
 * more: the problem's definitions and sequences, the logs of its results
 * (symbolic/diff.h) and their display forms. It builds no expression and
 * simplifies nothing; every formula is a node of the problem's DAG written
 * by formula.c.
 *
 * What it decides is how to say it:
 *   - names. The user's names print as themselves. An unnamed intermediate
 *     that the derivation passes through and whose formula is long gets a
 *     fresh name (r for a difference, a for a function's argument, else u,
 *     v, …; r[t] when it varies with t), listed under "Forward pass", so that
 *     each line stays short. A recurrence's step body prints as h[t].
 *   - lines. A node's local rules follow its definition, one rule per line:
 *     the instantiated contribution at the left, the rule's table text
 *     (with its Matrix Cookbook equation) at the right, or on the next line
 *     when both do not fit. A contribution is "=" when it is the whole
 *     gradient of its target, "+=" when another path adds to it; the total
 *     derivative line follows where they add. Inside the body of a Σ over
 *     time or of a recurrence, what goes to a value outside the body is one
 *     term per step ("at t:"), summed by the line that pushes it out.
 *   - width. Lines keep to 80 columns: a long formula breaks before a + or
 *     − of its top-level sum (formula.c marks them), else at a space, and
 *     goes on indented.
 *
 * --ascii prints formula.c's ASCII alphabet; the rule table holds Unicode
 * text only, so its rules are transliterated here, symbol by symbol.
 */
#include "steps.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/strmap.h"
#include "formula.h"
#include "quote.h"

#define WIDTH 80
#define CONT 4 /* the extra indentation of a broken line's continuation */

/* what a node is to the derivation (bits of S.flag) */
enum {
    F_STATION = 1, /* a step's node, or a node a step contributes to */
    F_ADDEND = 2,  /* a kid of an unnamed sum */
    F_SCALED = 4,  /* a 1×1 kid of a scaling by a number (½‖r‖²) */
    F_ARG = 8,     /* the argument of a nonlinear function: a pre-activation */
    F_BACK = 16,   /* a station of the reverse pass (not only of a Jacobian's) */
    F_PARTIAL = 32, /* a sum that is a kid of a sum: a partial sum */
};

typedef struct {
    const sg_problem *p;
    const sg_ctx *ctx;
    int ascii, width;
    unsigned n;            /* node ids are below n */
    const char **name;     /* by id: the printed name, or NULL */
    unsigned char *owned;  /* by id: name[id] is ours to free */
    unsigned char *fresh;  /* by id: name[id] is a fresh name */
    unsigned char *jac;    /* by id: name[id] is a Jacobian's, J₁ (not in boxes) */
    int njac;              /* Jacobians named so far */
    unsigned char *flag;   /* by id: F_ */
    unsigned *mark;        /* by id: stamp of the log that has a TOTAL for it */
    int *total;            /* by id, with mark: that TOTAL step's index */
    const sg_expr **owner; /* by id: the node whose whole gradient it was printed as */
    unsigned *amark;       /* by id: stamp of the log whose steps read it as an adjoint */
    int *alast;            /* by id, with amark: the last such step */
    unsigned stamp;
    const char **used;     /* fresh names taken, raw */
    int nused, capused, pool;
    sg_strmap taken;       /* those and the definitions' names (taken()) */
    long left;             /* formula nodes the document may still print */
    int defs_in;           /* set once the definitions are in taken */
    char **mine;           /* the fresh names made up past the pool, to free */
    int nmine;
    int cont;              /* the extra indentation of a continuation line */
    int boxing;            /* printing a boxed result */
    const sg_expr *naming; /* while printing a whole gradient: whose it is */
    const sg_expr *parent; /* and the node whose rule gave it, if a rule did */
    int at;                /* and the step's index */
    sg_buf out;
} S;

/* ---- text ------------------------------------------------------------------ */

/* the columns s takes on a terminal: one per character, none for a
   combining mark (the macron of B̄) or formula.c's marks */
static size_t cols_n(const char *s, size_t n)
{
    size_t i, c = 0;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80 || b == 0xCC || b == 0xCD || b == (unsigned char)SG_FMT_BREAK ||
            b == 1)
            continue;
        c++;
    }
    return c;
}

static size_t cols(const char *s)
{
    return cols_n(s, strlen(s));
}

static void spaces(sg_buf *b, size_t n)
{
    while (n-- > 0)
        sg_buf_putc(b, ' ');
}

/* Unicode spellings the rule table uses, in ASCII; a letter followed by a
   combining macron (B̄) becomes Bbar */
static const char *const ascii_of[][2] = {
    {"⇒", "=>"},   {"ᵀ", "'"},      {"⊙", ".*"},   {"⊘", "./"},       {"⟨", "<"},
    {"⟩", ">"},    {"‖", "||"},     {"²", "^2"},   {"¹", "^1"},       {"⁻", "^-"},
    {"∂", "d"},    {"∇", "grad"},  {"Σ", "sum"},  {"δ", "delta_"},   {"σ", "sigmoid"},
    {"−", "-"},    {"𝟙", "1"},      {"√", "sqrt"}, {"′", "'"},        {"₀", "0"},
    {"₁", "1"},    {"ₓ", "x"},      {"…", "..."},  {"≤", "<="},       {"×", "x"},
    {"ℝ", "R"},    {"Ā", "Abar"},   {"Ȳ", "Ybar"}, {"ȳ", "ybar"},     {"½", "1/2"},
    {"∈", ":"},    {"⋅", "*"},      {"·", "*"},    {"ℓ", "l"},        {"β", "beta"},
};

/* s in ASCII: the table above, then '?' for any other non-ASCII character */
static void put_ascii(sg_buf *b, const char *s)
{
    while (*s) {
        size_t i, n;
        unsigned char c = (unsigned char)*s;
        if (c < 0x80) {
            sg_buf_putc(b, *s++);
            continue;
        }
        if (c == 0xCC && (unsigned char)s[1] == 0x84) { /* a combining macron */
            sg_buf_puts(b, "bar");
            s += 2;
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                sg_buf_putc(b, ' ');
            continue;
        }
        for (i = 0; i < sizeof ascii_of / sizeof ascii_of[0]; i++) {
            n = strlen(ascii_of[i][0]);
            if (strncmp(s, ascii_of[i][0], n) == 0)
                break;
        }
        if (i < sizeof ascii_of / sizeof ascii_of[0]) {
            sg_buf_puts(b, ascii_of[i][1]);
            s += n;
            /* Ybar B, not YbarB */
            if (strstr(ascii_of[i][1], "bar") && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
                sg_buf_putc(b, ' ');
            continue;
        }
        sg_buf_putc(b, '?');
        for (s++; ((unsigned char)*s & 0xC0) == 0x80; s++)
            ;
    }
}

/* text of the rule table (or of the source) in the output's alphabet */
static void put_text(S *s, sg_buf *b, const char *t)
{
    if (s->ascii)
        put_ascii(b, t);
    else
        sg_buf_puts(b, t);
}

/*
 * t as lines: the first after `indent` columns, the others after indent +
 * CONT, each within the width where it can be. A line breaks at the last
 * break mark that fits, else at the last space that does; a piece with
 * neither stays whole. Returns the lines in *lines (pointers into a copy
 * the caller frees through *store) and their number.
 */
static int split_lines(S *s, const char *t, size_t indent, char **store, char ***lines)
{
    size_t len = strlen(t), i, start = 0;
    char *c = sg_xmalloc(len + 1), **v = NULL;
    int n = 0, cap = 0;
    memcpy(c, t, len + 1);
    *store = c;
    while (start <= len) {
        size_t avail = (size_t)s->width > indent + (n ? (size_t)s->cont : 0) + 10
                           ? (size_t)s->width - indent - (n ? (size_t)s->cont : 0)
                           : 10;
        size_t w = 0, mark = 0, space = 0, end = len;
        for (i = start; i < len; i++) {
            unsigned char b = (unsigned char)c[i];
            if (b == (unsigned char)SG_FMT_BREAK && i > start)
                mark = i;
            else if (b == ' ' && i > start)
                space = i;
            w += cols_n(c + i, 1);
            if (w > avail && (mark || space)) {
                end = mark ? mark : space;
                break;
            }
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 4;
            v = sg_xrealloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = c + start;
        if (end >= len)
            break;
        c[end] = '\0';
        start = end + 1;
        while (start < len && (c[start] == ' ' || c[start] == SG_FMT_BREAK))
            start++;
    }
    /* the marks left inside lines are not text */
    for (i = 0; i < (size_t)n; i++) {
        char *r = v[i], *w = v[i];
        for (; *r; r++)
            if (*r != SG_FMT_BREAK)
                *w++ = *r;
        *w = '\0';
    }
    *lines = v;
    return n;
}

/*
 * One line of the derivation: left (a formula, with break marks) after
 * indent columns, and right (a rule) flush with the right margin when it
 * fits after the last line of left, else on a line of its own.
 */
static void emit(S *s, size_t indent, const char *left, const char *right)
{
    char *store, **lines;
    int n = split_lines(s, left, indent, &store, &lines), i;
    size_t last = 0;
    for (i = 0; i < n; i++) {
        spaces(&s->out, indent + (i ? (size_t)s->cont : 0));
        sg_buf_puts(&s->out, lines[i]);
        last = indent + (i ? (size_t)s->cont : 0) + cols(lines[i]);
        if (i + 1 < n)
            sg_buf_putc(&s->out, '\n');
    }
    if (right && *right) {
        size_t rw = cols(right);
        if (last + 3 + rw <= (size_t)s->width) {
            spaces(&s->out, (size_t)s->width - last - rw);
        } else if (indent + CONT + rw <= (size_t)s->width) {
            sg_buf_putc(&s->out, '\n');
            spaces(&s->out, (size_t)s->width - rw);
        } else {
            /* a rule longer than a line: broken at spaces, under the formula */
            char *rs, **rl;
            int rn = split_lines(s, right, indent + CONT, &rs, &rl), k;
            for (k = 0; k < rn; k++) {
                sg_buf_putc(&s->out, '\n');
                spaces(&s->out, indent + CONT + (k ? CONT : 0));
                sg_buf_puts(&s->out, rl[k]);
            }
            free(rs);
            free(rl);
            right = NULL;
        }
        if (right)
            sg_buf_puts(&s->out, right);
    }
    sg_buf_putc(&s->out, '\n');
    free(store);
    free(lines);
}

/* ---- names ------------------------------------------------------------------- */

static const char *namer(void *arg, const sg_expr *e)
{
    S *s = arg;
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
 * - The document prints at most STEPS_NODES (s->left).
 */
#define STEPS_NODES 250000L
#define STEP_NODES 2048L
#define PROBLEM_NODES 256L
#define PROBLEM_NODES_PER_BYTE 16L

/* e's formula in the output's alphabet, with break marks, printing at most
   cap nodes of the document's budget; named: with the namer's names (the
   fresh ones and the user's), else the problem as the checker holds it; as
   its name when named_root and it has one. *level (when not NULL) gets its
   precedence. */
static char *fmt_cap(S *s, const sg_expr *e, int named, int named_root, int *level, long cap)
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
        st.namer = namer;
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
static char *fmt(S *s, const sg_expr *e, int named_root, int *level)
{
    return fmt_cap(s, e, 1, named_root, level, STEP_NODES);
}

/* the same with the user's names only; written > 0: the bytes of source
   the line of the problem stands for */
static char *fmt_user(S *s, const sg_expr *e, size_t written)
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
static void put_operand(S *s, sg_buf *b, const sg_expr *e)
{
    int level;
    char *t = fmt(s, e, 1, &level);
    /* ASCII spells postfixes as operators, and Σ as a call with spaces:
       d(W'), d(norm(r)^2), d(sum(t = 1..T, e)) */
    if (level < (s->ascii ? SG_FMT_ATOM : SG_FMT_POST) || (s->ascii && strchr(t, ' '))) {
        sg_buf_putc(b, '(');
        sg_buf_puts(b, t);
        sg_buf_putc(b, ')');
    } else {
        sg_buf_puts(b, t);
    }
    free(t);
}

static const char *d_sym(const S *s)
{
    return s->ascii ? "d" : "∂";
}

/* ∂f/∂e */
static void put_partial(S *s, sg_buf *b, const sg_expr *f, const sg_expr *e)
{
    sg_buf_puts(b, d_sym(s));
    put_operand(s, b, f);
    sg_buf_putc(b, '/');
    sg_buf_puts(b, d_sym(s));
    put_operand(s, b, e);
}

/* a sequence's name: δh (ASCII delta_h) */
static void put_seq_name(S *s, sg_buf *b, int q)
{
    const char *name = sg_seq_of(s->ctx, q)->name;
    static const char delta[] = "δ";
    if (s->ascii && strncmp(name, delta, strlen(delta)) == 0) {
        sg_buf_puts(b, "delta_");
        name += strlen(delta);
    }
    sg_fmt_name(b, name, s->ascii);
}

static void put_index(S *s, sg_buf *b, sg_index i)
{
    char t[96];
    sg_index_snprint(t, sizeof t, s->ctx, i, s->ascii);
    sg_buf_puts(b, t);
}

static int taken(S *s, const char *name)
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

static void use(S *s, const char *name)
{
    if (s->nused == s->capused) {
        s->capused = s->capused ? 2 * s->capused : 16;
        s->used = sg_xrealloc((void *)s->used, (size_t)s->capused * sizeof *s->used);
    }
    s->used[s->nused++] = name;
    sg_strmap_put(&s->taken, name, 1);
}

/* a fresh name, the preferred one when it is free; in the context's arena */
static const char *fresh_name(S *s, const char *prefer)
{
    static const char *const pool[] = {"u", "v", "w", "q", "b", "c", "d", "g", "s"};
    const char *t;
    if (prefer && !taken(s, prefer)) {
        use(s, prefer);
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
        if (!taken(s, t)) {
            if (t == num) {
                char *c = sg_xmalloc(strlen(num) + 1);
                strcpy(c, num);
                s->mine = sg_xrealloc(s->mine, (size_t)(s->nmine + 1) * sizeof *s->mine);
                s->mine[s->nmine++] = c;
                t = c;
            }
            use(s, t);
            return t;
        }
    }
}

static int is_leaf(const sg_expr *e)
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
    return is_leaf(e) || e->op == SG_OP_TRANSPOSE || e->op == SG_OP_FILL || is_number_scale(e) ||
           e->op == SG_OP_SEQSUM;
}

/* a product of leaves and their transposes (Wx, WᵀWx): short as it is */
static int light(const sg_expr *e, int depth)
{
    int k;
    if (is_leaf(e))
        return 1;
    if (depth > 8 || !(e->op == SG_OP_MUL || e->op == SG_OP_TRANSPOSE))
        return 0;
    for (k = 0; k < e->nkids; k++)
        if (!light(e->kid[k], depth + 1))
            return 0;
    return 1;
}

/* the operators e's formula shows, down to names and leaves, up to cap */
static int shown_ops(S *s, const sg_expr *e, int cap, int root)
{
    int n, k;
    if (is_leaf(e) || cap <= 0)
        return 0;
    if (!root && (e->name || (e->id < s->n && s->name[e->id])))
        return 0;
    n = is_trivial(e) ? 0 : 1;
    for (k = 0; k < e->nkids && n < cap; k++)
        n += shown_ops(s, e->kid[k], cap - n, 0);
    return n;
}

static int is_nonlinear(sg_op op)
{
    return sg_op_is_elementwise_unary(op) || op == SG_OP_SOFTMAX || op == SG_OP_LOGSOFTMAX ||
           op == SG_OP_LOGSUMEXP;
}

static int negated(const sg_expr *e)
{
    return is_number_scale(e) && e->kid[0]->value < 0;
}

static void flag_node(S *s, const sg_expr *e, unsigned char f)
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
static const sg_expr **name_stations(S *s, const sg_log **logs, int nlogs, int *nstations)
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
                    flag_node(s, kid, F_ADDEND);
                if (y->op == SG_OP_ADD && kid->op == SG_OP_ADD)
                    flag_node(s, kid, F_PARTIAL);
                if (is_number_scale(y) && sg_shape_is_scalar(kid->shape))
                    flag_node(s, kid, F_SCALED);
                if (is_nonlinear(y->op))
                    flag_node(s, kid, F_ARG);
            }
            for (k = 0; k < 3; k++) {
                if (!v[k] || v[k]->id >= s->n)
                    continue;
                if (x->kind != SG_STEP_JACOBIAN)
                    s->flag[v[k]->id] |= F_BACK;
                if (s->flag[v[k]->id] & F_STATION)
                    continue;
                s->flag[v[k]->id] |= F_STATION;
                if (n == cap) {
                    cap *= 2;
                    st = sg_xrealloc((void *)st, (size_t)cap * sizeof *st);
                }
                st[n++] = v[k];
            }
        }
    }
    qsort((void *)st, (size_t)n, sizeof *st, by_id);
    for (q = 0; q < sg_nseqs(s->ctx); q++) {
        const sg_seq *h = sg_seq_of(s->ctx, q);
        sg_buf b;
        if (h->kind != SG_SEQ_FORWARD || !h->body || h->body->id >= s->n || s->name[h->body->id])
            continue;
        sg_buf_init(&b);
        put_seq_name(s, &b, q);
        sg_buf_puts(&b, "[t]");
        s->name[h->body->id] = sg_buf_take(&b, NULL);
        s->owned[h->body->id] = 1;
    }
    for (i = 0; i < n; i++) {
        const sg_expr *e = st[i];
        unsigned char f = s->flag[e->id];
        const char *base, *prefer = NULL;
        sg_buf b;
        if (!(f & F_BACK) || e->name || s->name[e->id] || is_trivial(e) || light(e, 0) ||
            (f & (F_ADDEND | F_PARTIAL)) || is_log_f(logs, nlogs, e) ||
            (f & F_SCALED) || shown_ops(s, e, 2, 1) < 2)
            continue;
        if (e->op == SG_OP_ADD && (negated(e->kid[1]) || (e->kid[1]->op == SG_OP_FILL &&
                                                          e->kid[1]->kid[0]->op == SG_OP_CONST &&
                                                          e->kid[1]->kid[0]->value < 0)))
            prefer = "r";
        else if (f & F_ARG)
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

/* ---- the problem --------------------------------------------------------------- */

/* the leading comment of the source: its title */
static void title(S *s, const char *src)
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
                put_text(s, &tb, t);
                s->cont = 0; /* a title's lines go on flush left */
                emit(s, 0, sg_buf_str(&tb), NULL);
                s->cont = CONT;
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

static void put_dim(S *s, sg_buf *b, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(s->ctx, d);
    if (di->name)
        sg_fmt_name(b, di->name, s->ascii);
    else
        sg_buf_printf(b, "%ld", di->value);
}

/* W ∈ ℝ^{m×n} (ASCII: W : matrix(m, n)), as the language writes a declaration */
static void put_decl(S *s, sg_buf *b, const sg_symbol *y, const char *name, sg_shape sh)
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
        if (!strcmp(kind, "matrix")) {
            sg_buf_puts(b, ", ");
            put_dim(s, b, c);
        }
        sg_buf_putc(b, ')');
        return;
    }
    sg_buf_puts(b, " ∈ ");
    if (y->props & (SG_PROP_SPD | SG_PROP_SYMMETRIC | SG_PROP_SIMPLEX)) {
        sg_buf_puts(b, y->props & SG_PROP_SPD         ? "𝕊₊₊^"
                       : y->props & SG_PROP_SYMMETRIC ? "𝕊^"
                                                      : "Δ^");
        put_dim(s, b, r);
        return;
    }
    sg_buf_puts(b, "ℝ");
    if (sg_shape_is_scalar(sh))
        return;
    if (c == SG_DIM_ONE) {
        sg_buf t;
        sg_buf_init(&t);
        put_dim(s, &t, r);
        sg_buf_printf(b, cols(sg_buf_str(&t)) == 1 ? "^%s" : "^{%s}", sg_buf_str(&t));
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
static void put_range(S *s, sg_buf *b, sg_index lo, sg_index hi, int down)
{
    sg_buf_puts(b, s->ascii ? " for t = " : ", t = ");
    put_index(s, b, lo);
    sg_buf_puts(b, s->ascii ? (down ? " down to " : "..") : ", …, ");
    put_index(s, b, hi);
}

/* the names known where a definition is written (quote.h): a symbol, a
   dimension, a sequence, I and 𝟙, or a definition above it */
typedef struct {
    S *s;
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
static void problem_rewrites(S *s, const sg_def *d)
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
    emit(s, 4, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    free(seen);
    sg_buf_init(&b);
    sg_fmt_name(&b, d->name, s->ascii);
    sg_buf_puts(&b, " = ");
    t = fmt_user(s, d->expr, d->ast ? d->ast->span.end - d->ast->span.begin : 0);
    sg_buf_puts(&b, t);
    free(t);
    emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    if (d->derived_as_written)
        emit(s, 4, "the same function: the derivation below differentiates it as written", NULL);
}

/* a line of the problem: a definition or a recurrence, where it was written */
typedef struct {
    unsigned at;
    int def, seq; /* the one it is; the other −1 */
} problem_line;

static int by_place(const void *pa, const void *pb)
{
    const problem_line *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->def != b->def ? (a->def < b->def ? -1 : 1) : (a->seq < b->seq ? -1 : 1);
}

/* the statement that defines sequence name's first value (step = 0) or its
   step (step = 1); NULL when the problem did not keep it */
static const sg_stmt *seq_stmt(const S *s, const char *name, int step)
{
    const sg_stmt *st;
    for (st = s->p->prog ? s->p->prog->first : NULL; st; st = st->next)
        if (st->kind == SG_STMT_DEF && st->index && st->expr && !strcmp(st->target.name, name) &&
            !st->range_var.name == !step)
            return st;
    return NULL;
}

/* the definitions and forward recurrences, in the order of their text */
static problem_line *problem_order(const S *s, int *n)
{
    int i, m = 0, nseqs = sg_nseqs(s->ctx);
    problem_line *v = sg_xmalloc(((size_t)s->p->ndefs + (size_t)nseqs + 1) * sizeof *v);
    for (i = 0; i < s->p->ndefs; i++) {
        if (!s->p->defs[i].name || !s->p->defs[i].expr)
            continue;
        v[m].at = s->p->defs[i].span.begin;
        v[m].def = i;
        v[m++].seq = -1;
    }
    for (i = 0; i < nseqs; i++) {
        const sg_seq *h = sg_seq_of(s->ctx, i);
        const sg_stmt *st;
        if (h->kind != SG_SEQ_FORWARD || !h->body)
            continue;
        st = seq_stmt(s, h->name, 0);
        if (!st)
            st = seq_stmt(s, h->name, 1);
        v[m].at = st ? st->span.begin : UINT_MAX;
        v[m].def = -1;
        v[m++].seq = i;
    }
    qsort(v, (size_t)m, sizeof *v, by_place);
    *n = m;
    return v;
}

/* ast (a right side as written) into b, the definitions in defs known */
static void quote_into(S *s, sg_buf *b, sg_strmap *defs, const sg_ast *ast)
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
static void problem_def(S *s, sg_strmap *defs, int i)
{
    const sg_def *d = &s->p->defs[i];
    sg_buf b;
    sg_buf_init(&b);
    sg_fmt_name(&b, d->name, s->ascii);
    sg_buf_puts(&b, " = ");
    if (d->ast) {
        quote_into(s, &b, defs, d->ast);
    } else {
        char *t = fmt_user(s, d->expr, 0);
        sg_buf_puts(&b, t);
        free(t);
    }
    emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    sg_strmap_put(defs, d->name, i);
    problem_rewrites(s, d);
}

/* recurrence q: h[0] = …, h[t] = … for its range, as written */
static void problem_seq(S *s, sg_strmap *defs, int q)
{
    const sg_seq *h = sg_seq_of(s->ctx, q);
    const sg_stmt *st;
    sg_buf b;
    char *t;
    if (h->init) {
        sg_buf_init(&b);
        put_seq_name(s, &b, q);
        sg_buf_putc(&b, '[');
        put_index(s, &b, sg_index_plus(h->lo, -1));
        sg_buf_puts(&b, "] = ");
        if ((st = seq_stmt(s, h->name, 0)) != NULL) {
            quote_into(s, &b, defs, st->expr);
        } else {
            t = fmt_user(s, h->init, 0);
            sg_buf_puts(&b, t);
            free(t);
        }
        emit(s, 2, sg_buf_str(&b), NULL);
        sg_buf_free(&b);
    }
    sg_buf_init(&b);
    put_seq_name(s, &b, q);
    sg_buf_puts(&b, "[t] = ");
    if ((st = seq_stmt(s, h->name, 1)) != NULL) {
        quote_into(s, &b, defs, st->expr);
    } else {
        t = fmt_user(s, h->body, 0);
        sg_buf_puts(&b, t);
        free(t);
    }
    put_range(s, &b, h->lo, h->hi, 0);
    emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

static void doc_problem(S *s)
{
    sg_buf b;
    sg_strmap defs;
    problem_line *order;
    int i, k, n, any = 0;
    sg_buf_puts(&s->out, "Problem\n");
    /* the inputs, as declared */
    sg_buf_init(&b);
    for (i = 0; i < sg_nsyms(s->ctx); i++) {
        const sg_symbol *y = sg_sym(s->ctx, i);
        if (any)
            sg_buf_printf(&b, ",%c ", SG_FMT_BREAK);
        any = 1;
        if (y->seq >= 0) {
            const sg_seq *x = sg_seq_of(s->ctx, y->seq);
            sg_buf t;
            sg_buf_init(&t);
            put_seq_name(s, &t, y->seq);
            sg_buf_puts(&t, "[t]");
            put_decl(s, &b, y, sg_buf_str(&t), x->shape);
            sg_buf_free(&t);
            put_range(s, &b, x->lo, x->hi, 0);
        } else {
            put_decl(s, &b, y, y->name, y->shape);
        }
    }
    if (any)
        emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    /* the definitions and the recurrences, in the order written, as written */
    sg_strmap_init(&defs);
    order = problem_order(s, &n);
    for (k = 0; k < n; k++) {
        if (order[k].def >= 0)
            problem_def(s, &defs, order[k].def);
        else
            problem_seq(s, &defs, order[k].seq);
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
        emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/* the fresh names, and the user's definitions that read them */
static void doc_forward(S *s, const sg_expr **st, int nst)
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
            if (!e->name || is_leaf(e) || !namer(s, e))
                continue;
            t = fmt(s, e, 0, NULL);
            u = fmt_user(s, e, 0);
            same = !strcmp(t, u);
            free(u);
            if (same) {
                free(t);
                continue;
            }
        } else {
            t = fmt(s, e, 0, NULL);
        }
        if (!any)
            sg_buf_puts(&s->out, "\nForward pass\n");
        any = 1;
        sg_buf_init(&b);
        sg_buf_puts(&b, s->name[e->id]);
        sg_buf_puts(&b, " = ");
        sg_buf_puts(&b, t);
        free(t);
        emit(s, 2, sg_buf_str(&b), NULL);
        sg_buf_free(&b);
    }
}

/* ---- a log ------------------------------------------------------------------------ */

/* the rule's table text, and its Cookbook equation */
static char *rule_text(S *s, sg_rule_id id)
{
    const sg_rule *r = sg_rule_get(id);
    sg_buf b;
    sg_buf_init(&b);
    if (r && r->text && *r->text) {
        put_text(s, &b, r->text);
        if (r->cookbook)
            sg_buf_printf(&b, "  [Cookbook %s]", r->cookbook);
    }
    return sg_buf_take(&b, NULL);
}

/* the node a line's rules are about, once before them: its definition */
static void header(S *s, const sg_expr *node, const sg_expr **cur)
{
    sg_buf b;
    char *t;
    if (*cur == node)
        return;
    *cur = node;
    sg_buf_init(&b);
    if (namer(s, node) && !is_leaf(node)) {
        sg_buf_puts(&b, namer(s, node));
        sg_buf_puts(&b, " = ");
    }
    t = fmt(s, node, 0, NULL);
    sg_buf_puts(&b, t);
    free(t);
    emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/* a partial sum a + b of a longer unnamed sum a + b + c: its adjoint is the
   whole sum's, and its rules are the whole sum's, term by term */
static int is_spine(S *s, const sg_expr *e)
{
    return e->op == SG_OP_ADD && e->id < s->n && (s->flag[e->id] & F_PARTIAL) && !namer(s, e);
}

/* whether the log adds several contributions up for e (a TOTAL step) */
static int partial(const S *s, const sg_expr *e)
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

static int name_adjoint(S *s, int i, const sg_expr *kid, const sg_expr *value)
{
    const char *kn, *display;
    size_t n;
    char *raw;
    sg_buf b;
    int arg_of_layer;
    if (!kid || !value || value->id >= s->n || s->name[value->id] || value->name ||
        is_leaf(value) || s->amark[value->id] != s->stamp || s->alast[value->id] <= i ||
        shown_ops(s, value, 2, 1) < 2)
        return 0;
    kn = kid->nkids > 0 ? kid->name : NULL;
    /* h2 = tanh(W2h1): W2h1's is δ₂, as courses number a layer's, even
       where the pre-activation got a fresh name */
    arg_of_layer = !kn && s->parent && s->parent->name && is_nonlinear(s->parent->op) &&
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
    if (raw[n] && n > 0 && (arg_of_layer || (kid->id < s->n && (s->flag[kid->id] & F_ARG)))) {
        /* z1 into f(z1): delta1, δ₁ */
        memmove(raw + 5, raw + n, strlen(raw + n) + 1);
        memcpy(raw, "delta", 5);
        display = NULL;
    } else { /* a: delta_a, δa; h2: delta_h2, δh₂ */
        memmove(raw + 6, raw, strlen(raw) + 1);
        memcpy(raw, "delta_", 6);
        display = raw + 6;
    }
    if (taken(s, raw)) {
        free(raw);
        return 0;
    }
    s->mine = sg_xrealloc(s->mine, (size_t)(s->nmine + 1) * sizeof *s->mine);
    s->mine[s->nmine++] = raw;
    use(s, raw);
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
static void line(S *s, size_t indent, const char *lhs, const char *op, const sg_expr *value,
                 const char *tail, sg_rule_id rule)
{
    sg_buf b;
    char *v, *r = rule_text(s, rule);
    int named = s->naming && name_adjoint(s, s->at, s->naming, value);
    if (s->naming && value->id < s->n && !s->owner[value->id])
        s->owner[value->id] = s->naming; /* a Hessian's Jacobian steps say ∂(∂L/∂K)/∂x */
    v = fmt(s, value, !named, NULL);
    sg_buf_init(&b);
    if (named)
        sg_buf_printf(&b, "%s %s %s = %s", lhs, op, s->name[value->id], v);
    else
        sg_buf_printf(&b, "%s %s %s", lhs, op, v);
    if (tail)
        sg_buf_puts(&b, tail);
    emit(s, indent, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(v);
    free(r);
}

/* [1 ≤ t], [t < T], [t = k]: the steps a piece of δ[t] is part of (the
   piece's lo..hi within the whole lo..hi of δ) */
static void put_piece_range(S *s, sg_buf *b, sg_index lo, sg_index hi, sg_index all_lo,
                            sg_index all_hi)
{
    int from = !sg_index_provably_le(lo, all_lo), to = !sg_index_provably_le(all_hi, hi);
    if (!from && !to)
        return;
    sg_buf_puts(b, " [");
    if (sg_index_eq(lo, hi)) {
        sg_buf_puts(b, "t = ");
        put_index(s, b, lo);
    } else if (!from && sg_index_eq(sg_index_plus(hi, 1), all_hi)) {
        sg_buf_puts(b, "t < ");
        put_index(s, b, all_hi);
    } else {
        if (from) {
            put_index(s, b, lo);
            sg_buf_puts(b, s->ascii ? " <= " : " ≤ ");
        }
        sg_buf_putc(b, 't');
        if (to) {
            sg_buf_puts(b, s->ascii ? " <= " : " ≤ ");
            put_index(s, b, hi);
        }
    }
    sg_buf_putc(b, ']');
}

/* a piece of δ[t], parenthesized when it is a sum */
static void put_piece(S *s, sg_buf *b, const sg_expr *e)
{
    int level;
    char *t = fmt(s, e, 1, &level);
    if (level <= SG_FMT_SUM) {
        sg_buf_putc(b, '(');
        sg_buf_puts(b, t);
        sg_buf_putc(b, ')');
    } else {
        sg_buf_puts(b, t);
    }
    free(t);
}

/* δh[t] = body [t < T] + terms, t = T, …, 0: the adjoint recurrence */
static void seq_delta(S *s, const sg_step *st)
{
    const sg_seq *d = sg_seq_of(s->ctx, st->adjseq);
    sg_index first = sg_index_plus(d->lo, -1);
    sg_buf b;
    char *r = rule_text(s, st->rule_id);
    int k, any = 0;
    sg_buf_init(&b);
    put_seq_name(s, &b, st->adjseq);
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
    put_range(s, &b, d->hi, first, 1);
    emit(s, 2, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(r);
}

/* a result, boxed */
static void boxed(S *s, const sg_result *r)
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
    s->boxing = 1;
    t = fmt(s, e, 1, NULL); /* δ₁ where the lines named it so */
    s->boxing = 0;
    sg_buf_puts(&b, t);
    free(t);
    /* the box takes 4 columns besides its 2 of indentation */
    s->width -= 4;
    n = split_lines(s, sg_buf_str(&b), 2, &store, &lines);
    s->width += 4;
    for (i = 0; i < n; i++) {
        wi = (i ? CONT : 0) + cols(lines[i]);
        if (wi > w)
            w = wi;
    }
    spaces(&s->out, 2);
    sg_buf_puts(&s->out, s->ascii ? "+" : "┌");
    for (wi = 0; wi < w + 2; wi++)
        sg_buf_puts(&s->out, h);
    sg_buf_puts(&s->out, s->ascii ? "+\n" : "┐\n");
    for (i = 0; i < n; i++) {
        size_t lead = i ? CONT : 0;
        spaces(&s->out, 2);
        sg_buf_printf(&s->out, "%s ", v);
        spaces(&s->out, lead);
        sg_buf_puts(&s->out, lines[i]);
        spaces(&s->out, w - lead - cols(lines[i]));
        sg_buf_printf(&s->out, " %s\n", v);
    }
    spaces(&s->out, 2);
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
static int merged_total(const S *s, const sg_log *g, int i)
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
static void symmetric_note(S *s, sg_rule_id id, const sg_expr *a)
{
    sg_buf b, t;
    if ((id != SG_RULE_INV && id != SG_RULE_DET && id != SG_RULE_LOGDET) ||
        !sg_expr_is_symmetric(s->ctx, a))
        return;
    sg_buf_init(&t);
    put_operand(s, &t, a);
    sg_buf_init(&b);
    sg_buf_printf(&b, "since %s is symmetric, ", sg_buf_str(&t));
    if (s->ascii)
        sg_buf_printf(&b, "inv(%s)' = inv(%s)", sg_buf_str(&t), sg_buf_str(&t));
    else
        sg_buf_printf(&b, "%s⁻ᵀ = %s⁻¹", sg_buf_str(&t), sg_buf_str(&t));
    emit(s, 6, sg_buf_str(&b), NULL);
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
static void centred_note(S *s, const sg_log *g)
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
        t = fmt_user(s, d->expr, 0);
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
        emit(s, 2, sg_buf_str(&b), NULL);
    }
    sg_buf_free(&b);
}

/*
 * A Hessian's log derives the gradient first, then its Jacobian. When a
 * log printed above derived the same function's gradient with respect to
 * the same variable, its lines are not repeated: one line names the
 * gradient the Jacobian steps differentiate, and skip[] drops the rest.
 */
static void gradient_above(S *s, const sg_log *g, unsigned char *skip)
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
    t = fmt(s, root, 1, NULL);
    sg_buf_printf(&b, " = %s, derived above, differentiated forward:", t);
    free(t);
    emit(s, 2, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
}

/*
 * A Jacobian that later steps read and whose formula is long gets a name,
 * J₁, J₂, …, so that the lines after it say diag(h) J₁ rather than its
 * formula again: written out, the lines of a Hessian nest the lines above
 * and double with every level. Boxes stay in closed form.
 */
static int name_jacobian(S *s, const unsigned char *read, int i, const sg_expr *value)
{
    static const char *const sub[] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
    char digits[24];
    sg_buf b;
    int k;
    if (!read[i] || value->id >= s->n || s->name[value->id] || value->name || is_leaf(value) ||
        shown_ops(s, value, 3, 1) < 3)
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
static unsigned char *jacobians_read(const S *s, const sg_log *g)
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
static void jacobian_line(S *s, const char *lhs, const sg_expr *value, sg_rule_id rule)
{
    sg_buf b;
    char *v = fmt(s, value, 0, NULL), *r = rule_text(s, rule);
    sg_buf_init(&b);
    sg_buf_printf(&b, "%s = %s = %s", lhs, s->name[value->id], v);
    emit(s, 2, sg_buf_str(&b), r);
    sg_buf_free(&b);
    free(v);
    free(r);
}

static void doc_log(S *s, const sg_log *g)
{
    const sg_expr *cur = NULL, *jx = NULL, *f = g->f;
    unsigned char *skip = sg_xmalloc((size_t)g->nsteps + 1);
    unsigned char *jread = jacobians_read(s, g);
    int i, inner = 0, first;
    sg_buf b;

    memset(skip, 0, (size_t)g->nsteps + 1);
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

    /* the results this log derives */
    sg_buf_init(&b);
    first = 1;
    for (i = 0; i < s->p->nresults; i++) {
        if (s->p->results[i].log != g)
            continue;
        if (!first)
            sg_buf_puts(&b, ", ");
        sg_fmt_result_name(&b, &s->p->results[i], s->ascii);
        first = 0;
    }
    sg_buf_putc(&s->out, '\n');
    emit(s, 0, sg_buf_str(&b), NULL);
    sg_buf_free(&b);
    gradient_above(s, g, skip);

    for (i = 0; i < g->nsteps; i++) {
        const sg_step *st = &g->steps[i];
        int t;
        if (skip[i] || !st->node)
            continue;
        sg_buf_init(&b);
        switch (st->kind) {
        case SG_STEP_SEED:
            f = st->node;
            inner = 0;
            put_partial(s, &b, f, f);
            line(s, 2, sg_buf_str(&b), "=", st->adjoint, NULL, SG_RULE_NONE);
            cur = NULL;
            break;
        case SG_STEP_RULE: {
            const sg_expr *kid;
            if (st->kid < 0 || st->kid >= st->node->nkids || !st->contrib)
                break;
            kid = st->node->kid[st->kid];
            if (st->node->op == SG_OP_ADD && is_spine(s, kid) && st->contrib == st->adjoint)
                break; /* a + b of a + b + c: it has the sum's adjoint */
            if (is_spine(s, st->node)) {
                /* the sum's rule for one more of its terms: the whole sum
                   is not written again for each (that is quadratic) */
                cur = NULL;
                put_partial(s, &b, f, kid);
                line(s, 2, sg_buf_str(&b), partial(s, kid) ? "+=" : "=", st->contrib, NULL,
                     st->rule_id);
                break;
            }
            header(s, st->node, &cur);
            if ((t = merged_total(s, g, i)) >= 0) {
                put_partial(s, &b, f, kid);
                s->naming = kid;
                s->at = t;
                line(s, 4, sg_buf_str(&b), "=", g->steps[t].adjoint, NULL, SG_RULE_SQNORM);
                s->naming = NULL;
                skip[i + 1] = 1;
                skip[t] = 1;
                break;
            }
            /* a value outside the body gets a term per step: the push or
               the δ recurrence below sums them */
            if (inner && (!sg_expr_varies(kid) || kid->op == SG_OP_SEQSTEP))
                sg_buf_puts(&b, "at t: ");
            put_partial(s, &b, f, kid);
            if (partial(s, kid) || (inner && (!sg_expr_varies(kid) || kid->op == SG_OP_SEQSTEP))) {
                line(s, 4, sg_buf_str(&b), "+=", st->contrib, NULL, st->rule_id);
                symmetric_note(s, st->rule_id, kid);
                break;
            }
            s->naming = kid;
            s->parent = st->node;
            s->at = i;
            line(s, 4, sg_buf_str(&b), "=", st->contrib, NULL, st->rule_id);
            s->naming = s->parent = NULL;
            symmetric_note(s, st->rule_id, kid);
            break;
        }
        case SG_STEP_TOTAL:
            put_partial(s, &b, f, st->node);
            s->naming = st->node;
            s->at = i;
            line(s, 2, sg_buf_str(&b), "=", st->adjoint, NULL, SG_RULE_TOTAL);
            s->naming = NULL;
            cur = NULL;
            break;
        case SG_STEP_JACOBIAN:
            if (st->rule_id == SG_RULE_J_X)
                jx = st->node;
            if (!st->contrib)
                break;
            sg_buf_puts(&b, d_sym(s));
            if (st->node->id < s->n && s->owner[st->node->id] && !namer(s, st->node) &&
                st->rule_id != SG_RULE_J_X && !is_leaf(st->node)) {
                /* a node of a gradient printed above: ∂(∂L/∂K)/∂x */
                sg_buf_putc(&b, '(');
                put_partial(s, &b, f, s->owner[st->node->id]);
                sg_buf_putc(&b, ')');
            } else {
                put_operand(s, &b, st->node);
            }
            sg_buf_putc(&b, '/');
            sg_buf_puts(&b, d_sym(s));
            put_operand(s, &b, jx ? jx : st->node);
            if (name_jacobian(s, jread, i, st->contrib))
                jacobian_line(s, sg_buf_str(&b), st->contrib, st->rule_id);
            else
                line(s, 2, sg_buf_str(&b), "=", st->contrib, NULL, st->rule_id);
            cur = NULL;
            break;
        case SG_STEP_SEQ_SUM:
            inner = 1;
            header(s, st->node, &cur);
            if (st->adjoint) {
                put_partial(s, &b, f, st->node->kid[0]);
                line(s, 4, sg_buf_str(&b), "=", st->adjoint, NULL, st->rule_id);
            }
            break;
        case SG_STEP_SEQ_REC:
            inner = 1;
            header(s, st->node, &cur);
            if (st->adjoint) {
                put_partial(s, &b, f, st->node);
                line(s, 4, sg_buf_str(&b), "=", st->adjoint, NULL, st->rule_id);
            }
            break;
        case SG_STEP_SEQ_TERM: {
            const sg_seq *d;
            if (st->adjseq < 0 || !st->contrib)
                break;
            inner = 0;
            d = sg_seq_of(s->ctx, st->adjseq);
            put_seq_name(s, &b, st->adjseq);
            sg_buf_puts(&b, "[t]");
            if (st->term >= 0 && st->term < d->nterms) {
                sg_buf tail;
                sg_buf_init(&tail);
                put_piece_range(s, &tail, d->terms[st->term].lo, d->terms[st->term].hi,
                                sg_index_plus(d->lo, -1), d->hi);
                line(s, 2, sg_buf_str(&b), "+=", st->contrib, sg_buf_str(&tail), st->rule_id);
                sg_buf_free(&tail);
            } else {
                line(s, 2, sg_buf_str(&b), "+=", st->contrib, NULL, st->rule_id);
            }
            cur = NULL;
            break;
        }
        case SG_STEP_SEQ_DELTA:
            inner = 0;
            if (st->adjseq >= 0)
                seq_delta(s, st);
            cur = NULL;
            break;
        case SG_STEP_SEQ_PUSH:
            inner = 0;
            if (!st->to || !st->contrib)
                break;
            put_partial(s, &b, f, st->to);
            if (partial(s, st->to)) {
                line(s, 2, sg_buf_str(&b), "+=", st->contrib, NULL, st->rule_id);
            } else {
                s->naming = st->to;
                s->at = i;
                line(s, 2, sg_buf_str(&b), "=", st->contrib, NULL, st->rule_id);
                s->naming = NULL;
            }
            cur = NULL;
            break;
        }
        sg_buf_free(&b);
    }
    free(skip);
    free(jread);
    centred_note(s, g);

    sg_buf_putc(&s->out, '\n');
    for (i = 0; i < s->p->nresults; i++)
        if (s->p->results[i].log == g)
            boxed(s, &s->p->results[i]);
}

char *sg_steps_document(const sg_problem *p, const sg_steps_opts *o, size_t *len)
{
    S s;
    const sg_log **logs;
    const sg_expr **st;
    int nlogs, nst = 0, i;
    unsigned id;

    memset(&s, 0, sizeof s);
    s.left = STEPS_NODES;
    s.p = p;
    s.ctx = p->ctx;
    s.ascii = o && o->ascii;
    s.width = o && o->width > 20 ? o->width : WIDTH;
    s.cont = CONT;
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
    st = nlogs > 0 ? name_stations(&s, logs, nlogs, &nst) : NULL;

    if (o && o->source)
        title(&s, o->source);
    doc_problem(&s);
    doc_forward(&s, st, nst);
    for (i = 0; i < nlogs; i++)
        doc_log(&s, logs[i]);

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
