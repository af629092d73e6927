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
 */
#include "eval.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { UNSEEN, PENDING, DONE };

struct sg_eval {
    const sg_ctx *ctx;
    const long *dims;
    const double *const *syms;
    double **val;          /* by node id; NULL when undefined */
    unsigned char *state;  /* by node id */
    unsigned cap;
};

sg_eval *sg_eval_new(const sg_ctx *ctx, const long *dims, const double *const *syms)
{
    sg_eval *ev = sg_xmalloc(sizeof *ev);
    ev->ctx = ctx;
    ev->dims = dims;
    ev->syms = syms;
    ev->val = NULL;
    ev->state = NULL;
    ev->cap = 0;
    return ev;
}

void sg_eval_free(sg_eval *ev)
{
    unsigned i;
    if (!ev)
        return;
    for (i = 0; i < ev->cap; i++)
        free(ev->val[i]);
    free(ev->val);
    free(ev->state);
    free(ev);
}

static long dim_value(const sg_eval *ev, sg_dim d)
{
    const sg_diminfo *di = sg_diminfo_of(ev->ctx, d);
    return di->name ? ev->dims[d] : di->value;
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
    unsigned n = ev->cap ? ev->cap : 256;
    if (id < ev->cap)
        return;
    while (n <= id)
        n *= 2;
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

/* values of node e whose kids are all evaluated; NULL when undefined */
static double *eval_node(sg_eval *ev, const sg_expr *e)
{
    long r = sg_eval_rows(ev, e->shape), c = sg_eval_cols(ev, e->shape);
    long n = r * c, i, j, k;
    const double *a = NULL, *b = NULL;
    long ar = 0, ac = 0;
    double *y;

    if (e->nkids >= 1) {
        a = ev->val[e->kid[0]->id];
        ar = sg_eval_rows(ev, e->kid[0]->shape);
        ac = sg_eval_cols(ev, e->kid[0]->shape);
        if (!a)
            return NULL;
    }
    if (e->nkids == 2) {
        b = ev->val[e->kid[1]->id];
        if (!b)
            return NULL;
    }
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
        { /* scaled, so that squaring cannot overflow */
            double big = 0, s = 0;
            for (i = 0; i < ar * ac; i++)
                if (fabs(a[i]) > big)
                    big = fabs(a[i]);
            if (big > 0)
                for (i = 0; i < ar * ac; i++)
                    s += (a[i] / big) * (a[i] / big);
            y[0] = big * sqrt(s);
        }
        break;
    case SG_OP_NORM1:
        y[0] = 0;
        for (i = 0; i < ar * ac; i++)
            y[0] += fabs(a[i]);
        break;
    case SG_OP_SOFTMAX: case SG_OP_LOGSOFTMAX: case SG_OP_LOGSUMEXP:
        for (j = 0; j < ac; j++) { /* per column: subtract its max first */
            double m = -HUGE_VAL, s = 0, lse;
            for (i = 0; i < ar; i++)
                if (a[i * ac + j] > m)
                    m = a[i * ac + j];
            for (i = 0; i < ar; i++)
                s += exp(a[i * ac + j] - m);
            lse = m + log(s);
            if (e->op == SG_OP_LOGSUMEXP)
                y[j] = lse;
            else
                for (i = 0; i < ar; i++)
                    y[i * ac + j] = e->op == SG_OP_SOFTMAX ? exp(a[i * ac + j] - m) / s
                                                           : (a[i * ac + j] - m) - log(s);
        }
        break;
    case SG_OP_INV:
        {
            double *m = sg_xmalloc((size_t)n * sizeof *m);
            long *perm = sg_xmalloc((size_t)r * sizeof *perm);
            int ok;
            memcpy(m, a, (size_t)n * sizeof *m);
            ok = lu(m, r, perm) != 0;
            if (ok)
                lu_inverse(m, perm, r, y);
            free(m);
            free(perm);
            if (!ok) {
                free(y);
                return NULL;
            }
        }
        break;
    case SG_OP_DET: case SG_OP_LOGDET:
        {
            double det, logabs;
            determinant(a, ar, &det, &logabs);
            y[0] = e->op == SG_OP_DET ? det : logabs;
        }
        break;
    default:
        assert(sg_op_is_elementwise_unary(e->op));
        for (i = 0; i < n; i++)
            y[i] = sg_op_apply1(e->op, a[i]);
        break;
    }
    return y;
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
       with all its kids done */
    while (sp > 0) {
        const sg_expr *t = stack[sp - 1];
        int ready = 1;
        if (ev->state[t->id] == DONE) {
            sp--;
            continue;
        }
        for (k = 0; k < t->nkids; k++) {
            const sg_expr *kid = t->kid[k];
            reserve(ev, kid->id);
            if (ev->state[kid->id] != DONE) {
                ready = 0;
                if (sp == cap) {
                    cap *= 2;
                    stack = sg_xrealloc(stack, (size_t)cap * sizeof *stack);
                }
                stack[sp++] = kid;
            }
        }
        if (ready) {
            ev->val[t->id] = eval_node(ev, t);
            ev->state[t->id] = DONE;
            sp--;
        } else {
            ev->state[t->id] = PENDING;
        }
    }
    free(stack);
    return ev->val[e->id];
}
