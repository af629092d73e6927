/*
 * eval.c: a plain interpreter of the DAG, the reference every derivative
 * and every generated kernel is checked against.
 *
 * Each node is evaluated once per sg_eval and its values kept (by node id).
 * The walk is iterative, so a deep DAG cannot overflow the C stack. Numbers
 * are computed the stable way where it matters: softmax, logsoftmax and
 * logsumexp subtract each column's maximum; σ and softplus never overflow;
 * inverses and determinants go through Gaussian elimination with partial
 * pivoting.
 *
 * Sequences are computed by running their loops: a recurrence from its
 * initial value forwards (an adjoint one from its last step backwards), a Σ
 * over time step by step, each step kept. The body of a loop is evaluated in
 * a frame, one per loop, whose values hold for one step t only: nodes that
 * vary with t are computed in the frame and dropped when t moves on, while
 * invariant ones are computed once, in the evaluator's own table. Loops nest
 * only as deep as sequences read other sequences, never as long as T.
 *
 * The sizes come from the user's values, so each allocation is checked
 * against the limits below before it is made; past one, the values are
 * undefined and sg_eval_error() says which limit it was.
 */
#include "eval.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

enum { UNSEEN, PENDING, DONE };

/* a sequence's computed steps */
typedef struct {
    unsigned char state; /* UNSEEN, PENDING (its loop is running), DONE */
    long first, count;   /* steps first … first + count − 1 */
    double **step;       /* step[t − first]; NULL when undefined */
} seqval;

/*
 * What one evaluation may do, checked before each value is allocated: the
 * inputs are the user's (--eval n=100000 with an n×n node asks for 80 GB),
 * so a size past these is an error, not an attempt. Every number allocated
 * counts towards SG_EVAL_MAX_NUMBERS (values kept and values of loop steps
 * alike: a bound on memory and on time); products and factorizations count
 * their multiplications towards SG_EVAL_MAX_WORK.
 */
#define SG_EVAL_MAX_NUMBERS (1L << 27) /* 1 GiB of doubles */
#define SG_EVAL_MAX_WORK 4e9

struct sg_eval {
    const sg_ctx *ctx;
    const long *dims;
    const double *const *syms;
    double **val;          /* by node id; NULL when undefined */
    unsigned char *state;  /* by node id */
    unsigned cap;
    seqval *seq;           /* by sequence */
    int nseq;
    sg_seqgroups *groups;  /* the groups of the sequences, once a loop runs (remade
                              when sequences were added since) */
    long numbers;          /* numbers allocated so far */
    double work;           /* multiplications so far */
    char error[160];       /* why a limit stopped the evaluation ("" if none): at most
                              about 110 characters, since the counts in it are below 2⁶⁴ */
};

/* one loop's values at its current step t */
typedef struct {
    long t;
    sg_idmap ix;          /* the nodes the loop reached, numbered densely, so a
                             frame costs what its body reaches, not the DAG */
    double **val;         /* by number, for nodes that vary with t */
    unsigned char *state; /* by number: DONE when val holds this step's value */
    unsigned *done;       /* numbers set this step, to clear when t moves on */
    unsigned ndone, cap;
} frame;

sg_eval *sg_eval_new(const sg_ctx *ctx, const long *dims, const double *const *syms)
{
    sg_eval *ev = sg_xmalloc(sizeof *ev);
    ev->ctx = ctx;
    ev->dims = dims;
    ev->syms = syms;
    ev->val = NULL;
    ev->state = NULL;
    ev->cap = 0;
    ev->seq = NULL;
    ev->nseq = 0;
    ev->groups = NULL;
    ev->numbers = 0;
    ev->work = 0;
    ev->error[0] = '\0';
    return ev;
}

const char *sg_eval_error(const sg_eval *ev)
{
    return ev->error[0] ? ev->error : NULL;
}

/*
 * Room for n numbers taking `work` multiplications, or 0 (and the reason in
 * ev->error) when that passes a limit. Checked before anything is allocated.
 */
static int afford(sg_eval *ev, double n, double work)
{
    if (ev->error[0])
        return 0;
    if (n > (double)(SG_EVAL_MAX_NUMBERS - ev->numbers)) {
        snprintf(ev->error, sizeof ev->error,
                 "--eval: the values are too large: %.0f numbers more, past the limit of %ld "
                 "(1 GiB)",
                 n, SG_EVAL_MAX_NUMBERS);
        return 0;
    }
    if (ev->work + work > SG_EVAL_MAX_WORK) {
        snprintf(ev->error, sizeof ev->error,
                 "--eval: the values take too long to compute: more than %.0e multiplications",
                 SG_EVAL_MAX_WORK);
        return 0;
    }
    ev->numbers += (long)n;
    ev->work += work;
    return 1;
}

void sg_eval_free(sg_eval *ev)
{
    unsigned i;
    if (!ev)
        return;
    for (i = 0; i < ev->cap; i++)
        free(ev->val[i]);
    for (i = 0; i < (unsigned)ev->nseq; i++) {
        long t;
        for (t = 0; t < ev->seq[i].count; t++)
            free(ev->seq[i].step[t]);
        free(ev->seq[i].step);
    }
    free(ev->seq);
    sg_seqgroups_free(ev->groups);
    free(ev->val);
    free(ev->state);
    free(ev);
}

static long dim_value(const sg_eval *ev, sg_dim d)
{
    return sg_dim_value(ev->ctx, d, ev->dims);
}

long sg_eval_rows(const sg_eval *ev, sg_shape s)
{
    return dim_value(ev, s.rows);
}

long sg_eval_cols(const sg_eval *ev, sg_shape s)
{
    return dim_value(ev, s.cols);
}

/* the node table grows as new nodes (adjoints) are made after sg_eval_new */
static void reserve(sg_eval *ev, unsigned id)
{
    unsigned n;
    if (id < ev->cap)
        return;
    n = (unsigned)sg_grow_cap((size_t)id + 1, ev->cap, sizeof *ev->val, SG_GROW_MAX, "nodes");
    ev->val = sg_xrealloc(ev->val, n * sizeof *ev->val);
    ev->state = sg_xrealloc(ev->state, n);
    memset(ev->val + ev->cap, 0, (n - ev->cap) * sizeof *ev->val);
    memset(ev->state + ev->cap, UNSEEN, n - ev->cap);
    ev->cap = n;
}

/* ---- dense kernels ------------------------------------------------------ */

/*
 * LU factorization with partial pivoting of the n×n a, in place. Returns the
 * sign of the permutation, or 0 when a pivot vanishes (singular to working
 * precision, relative to the largest entry).
 */
static int lu(double *a, long n, long *perm)
{
    long i, j, k;
    int sign = 1;
    double big = 0;
    for (i = 0; i < n * n; i++)
        if (fabs(a[i]) > big)
            big = fabs(a[i]);
    for (i = 0; i < n; i++)
        perm[i] = i;
    for (k = 0; k < n; k++) {
        long piv = k;
        for (i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > fabs(a[piv * n + k]))
                piv = i;
        if (fabs(a[piv * n + k]) <= (double)n * DBL_EPSILON * big)
            return 0;
        if (piv != k) {
            long t = perm[k];
            perm[k] = perm[piv];
            perm[piv] = t;
            for (j = 0; j < n; j++) {
                double u = a[k * n + j];
                a[k * n + j] = a[piv * n + j];
                a[piv * n + j] = u;
            }
            sign = -sign;
        }
        for (i = k + 1; i < n; i++) {
            double m = a[i * n + k] /= a[k * n + k];
            for (j = k + 1; j < n; j++)
                a[i * n + j] -= m * a[k * n + j];
        }
    }
    return sign;
}

/* A⁻¹ into out from the LU factors: solve LU x = P eⱼ column by column */
static void lu_inverse(const double *lu_, const long *perm, long n, double *out)
{
    double *x = sg_xmalloc((size_t)n * sizeof *x);
    long i, j, k;
    for (j = 0; j < n; j++) {
        for (i = 0; i < n; i++)
            x[i] = perm[i] == j;
        for (i = 0; i < n; i++)
            for (k = 0; k < i; k++)
                x[i] -= lu_[i * n + k] * x[k];
        for (i = n - 1; i >= 0; i--) {
            for (k = i + 1; k < n; k++)
                x[i] -= lu_[i * n + k] * x[k];
            x[i] /= lu_[i * n + i];
        }
        for (i = 0; i < n; i++)
            out[i * n + j] = x[i];
    }
    free(x);
}

/* det and log|det| of the n×n a */
static void determinant(const double *a, long n, double *det, double *logabs)
{
    double *m = sg_xmalloc((size_t)(n * n) * sizeof *m);
    long *perm = sg_xmalloc((size_t)n * sizeof *perm);
    long i;
    int sign;
    memcpy(m, a, (size_t)(n * n) * sizeof *m);
    sign = lu(m, n, perm);
    if (sign == 0) {
        /* singular to working precision: the exact answer of an exact zero
           pivot, and what the C kernels report */
        *det = 0;
        *logabs = -HUGE_VAL;
    } else {
        double d = sign, l = 0;
        for (i = 0; i < n; i++) {
            d *= m[i * n + i];
            l += log(fabs(m[i * n + i]));
        }
        *det = d;
        *logabs = l;
    }
    free(m);
    free(perm);
}

/* ---- one node ----------------------------------------------------------- */

/* charges what computing e costs: its n = r×c values (and an LU's
   scratch), and its multiplications: a product r×ac by ac×c, an LU of
   ar×ar. 0 when a limit is passed (afford) */
static int afford_node(sg_eval *ev, const sg_expr *e, long r, long c, long ar, long ac)
{
    int factors = e->op == SG_OP_INV || e->op == SG_OP_DET || e->op == SG_OP_LOGDET;
    double work = (double)r * (double)c;
    double scratch = factors ? (double)ar * (double)ar + (double)ar : 0;
    if (e->op == SG_OP_MUL && !(ar == 1 && ac == 1))
        work = (double)r * (double)c * (double)ac;
    else if (factors)
        work = (double)ar * (double)ar * (double)ar * (e->op == SG_OP_INV ? 2 : 1);
    return afford(ev, (double)r * (double)c + scratch, work);
}

/* ‖a‖₂ of n values, scaled so that squaring cannot overflow */
static double norm2(const double *a, long n)
{
    double big = 0, s = 0;
    long i;
    for (i = 0; i < n; i++)
        if (fabs(a[i]) > big)
            big = fabs(a[i]);
    if (big > 0)
        for (i = 0; i < n; i++)
            s += (a[i] / big) * (a[i] / big);
    return big * sqrt(s);
}

/* softmax, logsoftmax or logsumexp of each column of the ar×ac a, into y;
   each column's max is subtracted first */
static void columnwise(sg_op op, const double *a, long ar, long ac, double *y)
{
    long i, j;
    for (j = 0; j < ac; j++) {
        double m = -HUGE_VAL, s = 0, lse;
        for (i = 0; i < ar; i++)
            if (a[i * ac + j] > m)
                m = a[i * ac + j];
        for (i = 0; i < ar; i++)
            s += exp(a[i * ac + j] - m);
        lse = m + log(s);
        if (op == SG_OP_LOGSUMEXP)
            y[j] = lse;
        else
            for (i = 0; i < ar; i++)
                y[i * ac + j] = op == SG_OP_SOFTMAX ? exp(a[i * ac + j] - m) / s
                                                    : (a[i * ac + j] - m) - log(s);
    }
}

/* y = a⁻¹ for the r×r a, through an LU factor; 0 when a is singular */
static int invert(const double *a, long r, double *y)
{
    double *m = sg_xmalloc((size_t)(r * r) * sizeof *m);
    long *perm = sg_xmalloc((size_t)r * sizeof *perm);
    int ok;
    memcpy(m, a, (size_t)(r * r) * sizeof *m);
    ok = lu(m, r, perm) != 0;
    if (ok)
        lu_inverse(m, perm, r, y);
    free(m);
    free(perm);
    return ok;
}

/* y = a ⊗ b for a ar×ac, b br×bc: entry (i·br + k, j·bc + l) is a_ij b_kl */
static void kron(const double *a, long ar, long ac, const double *b, long br, long bc, double *y)
{
    long i, j, k, l, c = ac * bc;
    for (i = 0; i < ar; i++)
        for (k = 0; k < br; k++)
            for (j = 0; j < ac; j++)
                for (l = 0; l < bc; l++)
                    y[(i * br + k) * c + j * bc + l] = a[i * ac + j] * b[k * bc + l];
}

/* values of node e from its kids' values a and b; NULL when undefined */
static double *eval_node(sg_eval *ev, const sg_expr *e, const double *a, const double *b)
{
    long r = sg_eval_rows(ev, e->shape), c = sg_eval_cols(ev, e->shape);
    long n = r * c, i, j, k;
    long ar = 0, ac = 0;
    double *y;

    if (e->nkids >= 1) {
        ar = sg_eval_rows(ev, e->kid[0]->shape);
        ac = sg_eval_cols(ev, e->kid[0]->shape);
        if (!a)
            return NULL;
    }
    if (e->nkids == 2 && !b)
        return NULL;
    if (!afford_node(ev, e, r, c, ar, ac))
        return NULL;
    y = sg_xmalloc((size_t)(n ? n : 1) * sizeof *y);

    switch (e->op) {
    case SG_OP_VAR:
        if (!ev->syms[e->sym]) { /* no values given for this input */
            free(y);
            return NULL;
        }
        memcpy(y, ev->syms[e->sym], (size_t)n * sizeof *y);
        break;
    case SG_OP_CONST:
        y[0] = e->value;
        break;
    case SG_OP_DIMVAL:
        y[0] = (double)dim_value(ev, e->dim);
        break;
    case SG_OP_ZERO: case SG_OP_ONES:
        for (i = 0; i < n; i++)
            y[i] = e->op == SG_OP_ONES;
        break;
    case SG_OP_EYE:
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                y[i * c + j] = i == j;
        break;
    case SG_OP_ADD:
        for (i = 0; i < n; i++)
            y[i] = a[i] + b[i];
        break;
    case SG_OP_MUL:
        if (ar == 1 && ac == 1) { /* scaling */
            for (i = 0; i < n; i++)
                y[i] = a[0] * b[i];
        } else {
            for (i = 0; i < r; i++)
                for (j = 0; j < c; j++) {
                    double s = 0;
                    for (k = 0; k < ac; k++)
                        s += a[i * ac + k] * b[k * c + j];
                    y[i * c + j] = s;
                }
        }
        break;
    case SG_OP_TRANSPOSE:
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                y[i * c + j] = a[j * ac + i];
        break;
    case SG_OP_FILL:
        for (i = 0; i < n; i++)
            y[i] = a[0];
        break;
    case SG_OP_SUM:
        y[0] = 0;
        for (i = 0; i < ar * ac; i++)
            y[0] += a[i];
        break;
    case SG_OP_TRACE:
        y[0] = 0;
        for (i = 0; i < ar; i++)
            y[0] += a[i * ac + i];
        break;
    case SG_OP_DOT:
        y[0] = 0;
        for (i = 0; i < ar * ac; i++)
            y[0] += a[i] * b[i];
        break;
    case SG_OP_DIAG:
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                y[i * c + j] = i == j ? a[i] : 0;
        break;
    case SG_OP_DIAGV:
        for (i = 0; i < r; i++)
            y[i] = a[i * ac + i];
        break;
    case SG_OP_HADAMARD:
        for (i = 0; i < n; i++)
            y[i] = a[i] * b[i];
        break;
    case SG_OP_HDIV:
        for (i = 0; i < n; i++)
            y[i] = a[i] / b[i];
        break;
    case SG_OP_POW:
        for (i = 0; i < n; i++)
            y[i] = pow(a[i], b[0]);
        break;
    case SG_OP_NORM:
        y[0] = norm2(a, ar * ac);
        break;
    case SG_OP_NORM1:
        y[0] = 0;
        for (i = 0; i < ar * ac; i++)
            y[0] += fabs(a[i]);
        break;
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        columnwise(e->op, a, ar, ac, y);
        break;
    case SG_OP_INV:
        if (!invert(a, r, y)) {
            free(y);
            return NULL;
        }
        break;
    case SG_OP_DET: case SG_OP_LOGDET:
        {
            double det, logabs;
            determinant(a, ar, &det, &logabs);
            y[0] = e->op == SG_OP_DET ? det : logabs;
        }
        break;
    case SG_OP_KRON:
        kron(a, ar, ac, b, sg_eval_rows(ev, e->kid[1]->shape), sg_eval_cols(ev, e->kid[1]->shape),
             y);
        break;
    case SG_OP_VEC: /* row-major: the entries in the order they are stored */
        memcpy(y, a, (size_t)n * sizeof *y);
        break;
    case SG_OP_COMMUTE: /* 1 at (j·m + i, i·n + j) */
        {
            long m = dim_value(ev, e->dim), nn = dim_value(ev, (sg_dim)e->off);
            memset(y, 0, (size_t)n * sizeof *y);
            for (i = 0; i < m; i++)
                for (j = 0; j < nn; j++)
                    y[(j * m + i) * c + i * nn + j] = 1;
        }
        break;
    case SG_OP_SEQSTEP: case SG_OP_AT: case SG_OP_SEQSUM: /* by seq_node */
        free(y);
        return NULL;
    default:
        assert(sg_op_is_elementwise_unary(e->op));
        for (i = 0; i < n; i++)
            y[i] = sg_op_apply1(e->op, a[i]);
        break;
    }
    return y;
}

/* ---- sequences ---------------------------------------------------------- */

static long numel(const sg_eval *ev, sg_shape s)
{
    return sg_eval_rows(ev, s) * sg_eval_cols(ev, s);
}

static long index_value(const sg_eval *ev, sg_index i)
{
    return (i.dim < 0 ? 0 : dim_value(ev, i.dim)) + i.off;
}

static double *copy_of(sg_eval *ev, const double *v, long n)
{
    double *y;
    if (!v || !afford(ev, (double)n, (double)n))
        return NULL;
    y = sg_xmalloc((size_t)(n ? n : 1) * sizeof *y);
    memcpy(y, v, (size_t)n * sizeof *y);
    return y;
}

static seqval *seq_slot(sg_eval *ev, int q)
{
    int n = sg_seq_count(ev->ctx);
    if (n > ev->nseq) { /* sequences made after sg_eval_new (adjoints) */
        ev->seq = sg_xrealloc(ev->seq, (size_t)n * sizeof *ev->seq);
        memset(ev->seq + ev->nseq, 0, (size_t)(n - ev->nseq) * sizeof *ev->seq);
        ev->nseq = n;
    }
    return &ev->seq[q];
}

static void run_seq(sg_eval *ev, int q);

/* step s of sequence q, running its loop first if need be; NULL when it
   is out of range, not computed (yet) or undefined. A loop that is running
   reads the steps it already made: h[t − 1], δ[t + 1] */
static const double *step_value(sg_eval *ev, int q, long s)
{
    const sg_seq *sq = sg_seq_get(ev->ctx, q);
    seqval *v;
    if (sq->kind == SG_SEQ_INPUT) {
        long lo = index_value(ev, sq->lo), hi = index_value(ev, sq->hi);
        const double *all = ev->syms[sq->sym];
        if (!all || s < lo || s > hi)
            return NULL;
        return all + (s - lo) * numel(ev, sq->shape);
    }
    v = seq_slot(ev, q);
    if (v->state == UNSEEN)
        run_seq(ev, q);
    v = seq_slot(ev, q);
    if (s < v->first || s >= v->first + v->count)
        return NULL;
    return v->step[s - v->first];
}

static void frame_init(frame *fr)
{
    memset(fr, 0, sizeof *fr);
    sg_idmap_init(&fr->ix, NULL);
}

/* e's number in the frame, growing the tables when it is new */
static unsigned frame_slot(frame *fr, const sg_expr *e)
{
    unsigned i = sg_idmap_add(&fr->ix, e);
    if (i >= fr->cap) {
        unsigned cap = (unsigned)sg_grow_cap((size_t)i + 1, fr->cap, sizeof *fr->val, SG_GROW_MAX,
                                             "nodes in one step");
        fr->val = sg_xrealloc(fr->val, (size_t)cap * sizeof *fr->val);
        fr->state = sg_xrealloc(fr->state, cap);
        fr->done = sg_xrealloc(fr->done, (size_t)cap * sizeof *fr->done);
        memset(fr->val + fr->cap, 0, (size_t)(cap - fr->cap) * sizeof *fr->val);
        memset(fr->state + fr->cap, UNSEEN, cap - fr->cap);
        fr->cap = cap;
    }
    return i;
}

/* forgets the values of the step just done */
static void frame_next(frame *fr, long t)
{
    unsigned i;
    for (i = 0; i < fr->ndone; i++) {
        free(fr->val[fr->done[i]]);
        fr->val[fr->done[i]] = NULL;
        fr->state[fr->done[i]] = UNSEEN;
    }
    fr->ndone = 0;
    fr->t = t;
}

static void frame_free(frame *fr)
{
    frame_next(fr, 0);
    free(fr->val);
    free(fr->state);
    free(fr->done);
    sg_idmap_free(&fr->ix);
}

static const double *kid_value(sg_eval *ev, frame *fr, const sg_expr *k)
{
    return sg_expr_varies(k) ? fr->val[sg_idmap_find(&fr->ix, k)] : ev->val[k->id];
}

/* e at the frame's step t (borrowed: valid until the frame moves on) */
static const double *step_expr(sg_eval *ev, frame *fr, const sg_expr *e)
{
    const sg_expr **stack;
    int sp = 0, cap = 64, k;
    unsigned ie;
    if (!sg_expr_varies(e))
        return sg_eval_expr(ev, e);
    ie = frame_slot(fr, e);
    if (fr->state[ie] == DONE)
        return fr->val[ie];
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    while (sp > 0) {
        const sg_expr *x = stack[sp - 1];
        unsigned ix = frame_slot(fr, x);
        int ready = 1;
        if (fr->state[ix] == DONE) {
            sp--;
            continue;
        }
        if (x->op == SG_OP_SEQSTEP) {
            fr->val[ix] = copy_of(ev, step_value(ev, x->seq, fr->t + x->off),
                                  numel(ev, x->shape));
        } else {
            for (k = 0; k < x->nkids; k++) {
                const sg_expr *kid = x->kid[k];
                unsigned ik;
                if (!sg_expr_varies(kid)) {
                    sg_eval_expr(ev, kid);
                    continue;
                }
                ik = frame_slot(fr, kid); /* may move fr->state */
                if (fr->state[ik] != DONE) {
                    ready = 0;
                    SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
                    stack[sp++] = kid;
                }
            }
            if (!ready)
                continue;
            fr->val[ix] = eval_node(ev, x, x->nkids > 0 ? kid_value(ev, fr, x->kid[0]) : NULL,
                                    x->nkids > 1 ? kid_value(ev, fr, x->kid[1]) : NULL);
        }
        fr->state[ix] = DONE;
        fr->done[fr->ndone++] = ix;
        sp--;
    }
    free(stack);
    return fr->val[ie];
}

/* acc += v (n entries); a NULL v makes acc undefined */
static int add_into(double *acc, const double *v, long n)
{
    long i;
    if (!v)
        return 0;
    for (i = 0; i < n; i++)
        acc[i] += v[i];
    return 1;
}

/* the members of q's group (sg_seqgroups), in rank order: *out[0..n) */
static int group_of(sg_eval *ev, int q, int **out)
{
    const int *m;
    int n;
    if (!ev->groups || ev->groups->n != sg_seq_count(ev->ctx)) {
        sg_seqgroups_free(ev->groups);
        ev->groups = sg_seqgroups_new(ev->ctx);
    }
    n = sg_seqgroups_members(ev->groups, q, &m);
    *out = sg_xmalloc((size_t)n * sizeof **out);
    memcpy(*out, m, (size_t)n * sizeof **out);
    return n;
}

/* member q's slot for steps lo − 1 … hi (for a per-step sequence, step
   lo − 1 is never made); 0 past a limit */
static int seq_begin(sg_eval *ev, int q)
{
    const sg_seq *sq = sg_seq_get(ev->ctx, q);
    long lo = index_value(ev, sq->lo), hi = index_value(ev, sq->hi);
    seqval *v = seq_slot(ev, q);
    v->state = PENDING;
    v->first = lo - 1;
    v->count = hi >= lo - 1 ? hi - lo + 2 : 0;
    if (!afford(ev, (double)v->count, (double)v->count))
        v->count = 0; /* past a limit: every step undefined, ev->error says why */
    v->step = sg_xmalloc((size_t)(v->count ? v->count : 1) * sizeof *v->step);
    memset(v->step, 0, (size_t)(v->count ? v->count : 1) * sizeof *v->step);
    return v->count > 0;
}

/* step t of forward member q: its initial value at lo − 1, its body after */
static int forward_step(sg_eval *ev, frame *fr, int q, long t)
{
    const sg_seq *sq = sg_seq_get(ev->ctx, q);
    long lo = index_value(ev, sq->lo), hi = index_value(ev, sq->hi), n = numel(ev, sq->shape);
    double *y;
    if (t == lo - 1 && sq->init)
        y = copy_of(ev, sg_eval_expr(ev, sq->init), n);
    else if (t >= lo && t <= hi)
        y = copy_of(ev, step_expr(ev, fr, sq->body), n);
    else
        return 1;
    seq_slot(ev, q)->step[t - (lo - 1)] = y;
    return y != NULL;
}

/* step t of adjoint q: [t < hi]·body(t) + the terms whose ranges hold t */
static int backward_step(sg_eval *ev, frame *fr, int q, long t)
{
    const sg_seq *sq = sg_seq_get(ev->ctx, q);
    long lo = index_value(ev, sq->lo), hi = index_value(ev, sq->hi), n = numel(ev, sq->shape);
    long first = index_value(ev, sg_seq_first(ev->ctx, q)), i;
    double *y;
    int bad = 0;
    if (t < first || t > hi)
        return 1;
    if (!afford(ev, (double)n, (double)n))
        return 0;
    y = sg_xmalloc((size_t)(n ? n : 1) * sizeof *y);
    for (i = 0; i < n; i++)
        y[i] = 0;
    if (t < hi)
        bad |= !add_into(y, step_expr(ev, fr, sq->body), n);
    for (i = 0; i < sq->nterms && !bad; i++)
        if (index_value(ev, sq->terms[i].lo) <= t && t <= index_value(ev, sq->terms[i].hi))
            bad |= !add_into(y, step_expr(ev, fr, sq->terms[i].value), n);
    if (bad) {
        free(y);
        return 0;
    }
    seq_slot(ev, q)->step[t - (lo - 1)] = y;
    return 1;
}

/*
 * Runs the loop of sequence q's group, keeping every step: one t at a
 * time, each member's step in rank order (c[t] before h[t] reads it;
 * δh[t] before δc[t]), forwards for recurrences, backwards for adjoints.
 */
static void run_seq(sg_eval *ev, int q)
{
    int *m, nm = group_of(ev, q, &m), k, bad = 0, down = 0;
    long tlo = 0, thi = -1, t;
    frame fr;
    for (k = 0; k < nm; k++) {
        const sg_seq *sq = sg_seq_get(ev->ctx, m[k]);
        long lo = index_value(ev, sq->lo) - 1, hi = index_value(ev, sq->hi);
        bad |= !seq_begin(ev, m[k]);
        bad |= !sq->body;
        down = sq->kind == SG_SEQ_BACKWARD;
        tlo = k == 0 || lo < tlo ? lo : tlo;
        thi = k == 0 || hi > thi ? hi : thi;
    }
    frame_init(&fr);
    for (t = down ? thi : tlo; !bad && (down ? t >= tlo : t <= thi); t += down ? -1 : 1) {
        frame_next(&fr, t);
        for (k = 0; k < nm && !bad; k++)
            bad = !(down ? backward_step(ev, &fr, m[k], t) : forward_step(ev, &fr, m[k], t));
    }
    frame_free(&fr);
    for (k = 0; k < nm; k++) {
        seqval *v = seq_slot(ev, m[k]);
        if (bad) /* one undefined step makes the group undefined */
            for (t = 0; t < v->count; t++) {
                free(v->step[t]);
                v->step[t] = NULL;
            }
        v->state = DONE;
    }
    free(m);
}

/* the value of a SEQSTEP, AT or SEQSUM node outside any loop */
static double *seq_node(sg_eval *ev, const sg_expr *e)
{
    long n = numel(ev, e->shape), lo, hi, t;
    double *y;
    frame fr;
    int ok = 1;
    switch (e->op) {
    case SG_OP_AT:
        return copy_of(ev, step_value(ev, e->seq, index_value(ev, e->at)), n);
    case SG_OP_SEQSUM:
        lo = index_value(ev, e->lo);
        hi = index_value(ev, e->hi);
        if (!afford(ev, (double)n, (double)n))
            return NULL;
        y = sg_xmalloc((size_t)(n ? n : 1) * sizeof *y);
        for (t = 0; t < n; t++)
            y[t] = 0;
        frame_init(&fr);
        for (t = lo; t <= hi && ok; t++) {
            frame_next(&fr, t);
            ok = add_into(y, step_expr(ev, &fr, e->kid[0]), n);
        }
        frame_free(&fr);
        if (!ok) {
            free(y);
            return NULL;
        }
        return y;
    default: /* a step outside any loop has no t */
        return NULL;
    }
}

const double *sg_eval_step(sg_eval *ev, int q, long t)
{
    if (ev->error[0])
        return NULL;
    return step_value(ev, q, t);
}

const double *sg_eval_expr(sg_eval *ev, const sg_expr *e)
{
    const sg_expr **stack;
    int sp = 0, cap = 64, k;

    reserve(ev, e->id);
    if (ev->state[e->id] == DONE)
        return ev->val[e->id];
    stack = sg_xmalloc((size_t)cap * sizeof *stack);
    stack[sp++] = e;
    /* post-order without recursion: a node is computed when it is seen again
       with all its kids done. A Σ's kid is its body, evaluated by seq_node
       at every step, not here */
    while (sp > 0) {
        const sg_expr *t = stack[sp - 1];
        int ready = 1;
        reserve(ev, t->id);
        if (ev->state[t->id] == DONE) {
            sp--;
            continue;
        }
        if (sg_op_is_seq(t->op)) {
            double *v = seq_node(ev, t);
            reserve(ev, t->id);
            ev->val[t->id] = v;
            ev->state[t->id] = DONE;
            sp--;
            continue;
        }
        for (k = 0; k < t->nkids; k++) {
            const sg_expr *kid = t->kid[k];
            reserve(ev, kid->id);
            if (ev->state[kid->id] != DONE) {
                ready = 0;
                SG_GROW(stack, sp, cap, SG_GROW_MAX, "nodes on one walk's stack");
                stack[sp++] = kid;
            }
        }
        if (ready) {
            ev->val[t->id] = eval_node(ev, t, t->nkids > 0 ? ev->val[t->kid[0]->id] : NULL,
                                       t->nkids > 1 ? ev->val[t->kid[1]->id] : NULL);
            ev->state[t->id] = DONE;
            sp--;
        } else {
            ev->state[t->id] = PENDING;
        }
    }
    free(stack);
    return ev->val[e->id];
}
