/*
 * grade.c: an answer against the derivative symgrad derived (grade.h).
 *
 * Formulas first: the answer is built through the same constructors as the
 * derivative, so an answer written the way symgrad canonicalizes is the
 * very node; else the difference is simplified (within a budget), and a 0
 * settles it.
 *
 * Numbers next, with the interpreter (eval.c), at two sizes of the
 * dimensions (SG_GRADE_SIZES): every named dimension gets a small value of
 * its own (3, 4, 5, …: a transposed square or a swapped dimension shows),
 * then each 2 more (an n written as 3 shows). Every input is drawn as its
 * declaration allows, as --check's template draws them (spd as AAᵀ/n + I,
 * symmetric as (A + Aᵀ)/2, each column of a Δ a point of the simplex, the
 * rest uniform in [−1, 1]), at SG_GRADE_POINTS points from fixed seeds, so
 * that a verdict is the same on every run. Where the derivative has no
 * value (a log or a √ of a negative entry) the point is drawn again with
 * positive entries. The points are generic: a formula right only at
 * special points (x = 0, W = I, W symmetric) fails. Two values agree when
 * their largest difference is within GRADE_TOL of the larger of their
 * largest entries.
 *
 * A wrong answer is tried against the usual mistakes, in this order, each
 * a candidate compared at the same points:
 *
 *   - a constant factor (least squares over every entry and point, then
 *     checked), the sign among them;
 *   - the answer transposed, or one factor of it (a kid of one node);
 *   - one ⊙ made a product, or one product a ⊙;
 *   - the last step's term alone of a sum over time;
 *   - a strict subset of the paths, the contributions the derivation log's
 *     total-derivative step of the variable (SG_STEP_TOTAL) sums, grouped
 *     by the node they come through, or a multiple of one;
 *   - one term of the answer off by a factor (its terms fitted to the
 *     derivative by least squares; a dimension named when the factor is
 *     one: D/2).
 *
 * The first that fits is the diagnosis; none fitting, the entries that
 * differ most at the first point.
 */
#include "grade.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "simplify.h"

/* two values agree within this, relative to their scale */
#define GRADE_TOL 1e-8
/* draws tried to find the points where the derivative has a value */
#define GRADE_DRAWS (4 * SG_GRADE_POINTS)
/* the answer's nodes tried as a transposed factor or a swapped ⊙ */
#define GRADE_MAX_CANDIDATES 400
/* the work one simplification may do (sg_simplify_all) */
#define GRADE_SIMPLIFY_BUDGET 2000000ul
/* the terms of an answer fitted one coefficient each */
#define GRADE_MAX_TERMS 8
/* the contributions whose subsets are tried as missing paths (2^n sums) */
#define GRADE_MAX_PATHS 12

typedef struct {
    sg_problem *p;
    sg_ctx *ctx;
    const sg_expr *derived; /* the derivative */
    long *dims;             /* by dimension: its value */
    int nsyms;
    double **inputs[SG_GRADE_POINTS]; /* by point, by symbol: the values drawn */
    double *want[SG_GRADE_POINTS];    /* by point: the derivative's values */
    int npoints;
    long n;                 /* entries of the derivative */
    double *scratch;        /* n entries */
} grader;

/* e simplified within GRADE_SIMPLIFY_BUDGET (past it, e as built) */
static sg_expr *simplified(sg_ctx *ctx, sg_expr *e)
{
    sg_expr *out;
    sg_simplify_all(ctx, &e, 1, &out, GRADE_SIMPLIFY_BUDGET);
    return out;
}

/* ---- points ------------------------------------------------------------------ */

/* splitmix64, as templates/check.c: uniform in [0, 1) */
static double uniform(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

/* an r×c value as its declaration allows (see the essay); positive: the
   unconstrained entries in [0.5, 1.5] */
static void fill(double *v, long r, long c, unsigned props, int positive, unsigned long long *s)
{
    long i, j, l, n = r * c;
    double *a = sg_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *a), sum;
    for (i = 0; i < n; i++)
        a[i] = (props & SG_PROP_SIMPLEX) ? 0.1 + uniform(s)
               : positive && !(props & SG_PROP_SPD) ? 0.5 + uniform(s)
                                                   : 2 * uniform(s) - 1;
    for (i = 0; i < r; i++)
        for (j = 0; j < c; j++) {
            double x = a[i * c + j];
            if ((props & SG_PROP_SPD) && r == c)
                for (x = i == j ? 1 : 0, l = 0; l < c; l++)
                    x += a[i * c + l] * a[j * c + l] / (double)r;
            else if ((props & SG_PROP_SYMMETRIC) && r == c)
                x = 0.5 * (a[i * c + j] + a[j * c + i]);
            else if (props & SG_PROP_SIMPLEX) {
                for (sum = 0, l = 0; l < r; l++)
                    sum += a[l * c + j];
                x /= sum;
            }
            v[i * c + j] = x;
        }
    free(a);
}

static long dim_value(const grader *g, sg_dim d)
{
    const sg_diminfo *info = sg_dim_get(g->ctx, d);
    return info->name ? g->dims[d] : info->value;
}

static long index_value(const grader *g, sg_index i)
{
    return (i.dim >= 0 ? dim_value(g, i.dim) : 0) + i.off;
}

/* every input drawn for point k from seed */
static double **draw(grader *g, unsigned long long seed, int positive)
{
    double **in = sg_xmalloc((size_t)(g->nsyms + 1) * sizeof *in);
    int i;
    for (i = 0; i < g->nsyms; i++) {
        const sg_symbol *sym = sg_sym_get(g->ctx, i);
        long r = dim_value(g, sym->shape.rows), c = dim_value(g, sym->shape.cols), steps = 1, t;
        if (sym->seq >= 0) {
            const sg_seq *q = sg_seq_get(g->ctx, sym->seq);
            steps = index_value(g, q->hi) - index_value(g, q->lo) + 1;
            if (steps < 0)
                steps = 0;
        }
        in[i] = sg_xmalloc((size_t)(r * c * steps + 1) * sizeof **in);
        for (t = 0; t < steps; t++)
            fill(in[i] + t * r * c, r, c, sym->props, positive, &seed);
    }
    return in;
}

static void free_inputs(grader *g, double **in)
{
    int i;
    for (i = 0; in && i < g->nsyms; i++)
        free(in[i]);
    free(in);
}

/* e's values at point k into out (g->n entries); 0 when it has none there */
static int values_at(grader *g, int k, double **in, const sg_expr *e, double *out)
{
    sg_eval *ev = sg_eval_new(g->ctx, g->dims, (const double *const *)in);
    const double *v = sg_eval_expr(ev, e);
    long j;
    int defined = v != NULL;
    (void)k;
    for (j = 0; defined && j < g->n; j++) {
        out[j] = v[j];
        if (!isfinite(v[j]))
            defined = 0;
    }
    sg_eval_free(ev);
    return defined;
}

/* the points where the derivative has a value; their count */
static int draw_points(grader *g)
{
    int d;
    for (d = 0; d < GRADE_DRAWS && g->npoints < SG_GRADE_POINTS; d++) {
        int k = g->npoints, positive;
        for (positive = 0; positive < 2; positive++) {
            double **in = draw(g, 0x5eedull + 7919ull * (unsigned long long)d, positive);
            g->want[k] = sg_xmalloc((size_t)(g->n + 1) * sizeof **g->want);
            if (values_at(g, k, in, g->derived, g->want[k])) {
                g->inputs[k] = in;
                g->npoints++;
                break;
            }
            free(g->want[k]);
            g->want[k] = NULL;
            free_inputs(g, in);
        }
    }
    return g->npoints;
}

/* ---- comparing --------------------------------------------------------------- */

/* the relative distance of a from b at one point: max |a − b| over the
   larger of their largest entries (0 when both are 0) */
static double distance(const double *a, const double *b, long n)
{
    double diff = 0, scale = 0;
    long j;
    for (j = 0; j < n; j++) {
        double d = fabs(a[j] - b[j]);
        if (d > diff || isnan(d))
            diff = isnan(d) ? INFINITY : d;
        if (fabs(a[j]) > scale)
            scale = fabs(a[j]);
        if (fabs(b[j]) > scale)
            scale = fabs(b[j]);
    }
    return diff == 0 ? 0 : scale == 0 ? INFINITY : diff / scale;
}

/* the worst distance of e from the derivative over the points (∞: e has
   no value at one) */
static double worst(grader *g, const sg_expr *e)
{
    double w = 0;
    int k;
    for (k = 0; k < g->npoints; k++) {
        double d;
        if (!values_at(g, k, g->inputs[k], e, g->scratch))
            return INFINITY;
        d = distance(g->scratch, g->want[k], g->n);
        if (d > w)
            w = d;
    }
    return w;
}

/* the worst distance of ans from the candidate derivative cand over the
   points (∞ where either has no value) */
static double worst_from(grader *g, const sg_expr *ans, const sg_expr *cand)
{
    double w = 0, *want = sg_xmalloc((size_t)(g->n + 1) * sizeof *want);
    int k;
    for (k = 0; k < g->npoints && w <= GRADE_TOL; k++) {
        if (!values_at(g, k, g->inputs[k], cand, want) ||
            !values_at(g, k, g->inputs[k], ans, g->scratch))
            w = INFINITY;
        else
            w = fmax(w, distance(g->scratch, want, g->n));
    }
    free(want);
    return w;
}

static int agrees(grader *g, const sg_expr *e)
{
    return e && sg_shape_eq(e->shape, g->derived->shape) && worst(g, e) <= GRADE_TOL;
}

/* ---- the diagnoses ----------------------------------------------------------- */

/* the answer is c times the derivative: c by least squares, then checked */
static int factor(grader *g, const sg_expr *ans, double *c)
{
    double num = 0, den = 0, w = 0;
    int k;
    long j;
    for (k = 0; k < g->npoints; k++) {
        if (!values_at(g, k, g->inputs[k], ans, g->scratch))
            return 0;
        for (j = 0; j < g->n; j++) {
            num += g->scratch[j] * g->want[k][j];
            den += g->want[k][j] * g->want[k][j];
        }
    }
    if (den == 0 || fabs(num / den) < 1e-12)
        return 0;
    *c = num / den;
    for (k = 0; k < g->npoints; k++) {
        double d, *scaled = sg_xmalloc((size_t)(g->n + 1) * sizeof *scaled);
        values_at(g, k, g->inputs[k], ans, g->scratch);
        for (j = 0; j < g->n; j++)
            scaled[j] = *c * g->want[k][j];
        d = distance(g->scratch, scaled, g->n);
        free(scaled);
        if (d > w)
            w = d;
    }
    return w <= 1e-6;
}

/* the answer's distinct nodes, in creation order, at most
   GRADE_MAX_CANDIDATES: the places a mistake may sit */
static int nodes_of(sg_ctx *ctx, sg_expr *e, sg_expr **out)
{
    sg_idmap seen;
    sg_expr **stack = sg_xmalloc(GRADE_MAX_CANDIDATES * 2 * sizeof *stack);
    int n = 0, top = 0, i;
    sg_idmap_init(&seen, ctx);
    stack[top++] = e;
    while (top > 0 && n < GRADE_MAX_CANDIDATES) {
        sg_expr *x = stack[--top];
        if (sg_idmap_find(&seen, x) != SG_IDMAP_NONE)
            continue;
        sg_idmap_add(&seen, x);
        out[n++] = x;
        for (i = 0; i < x->nkids && top < 2 * GRADE_MAX_CANDIDATES; i++)
            stack[top++] = x->kid[i];
    }
    sg_idmap_free(&seen);
    free(stack);
    return n;
}

/* a square node whose transpose is another value (not a symmetric input) */
static int transposable(const sg_expr *x)
{
    if (x->shape.rows != x->shape.cols || sg_shape_is_scalar(x->shape))
        return 0;
    return x->op != SG_OP_EYE && x->op != SG_OP_ZERO && x->op != SG_OP_ONES &&
           x->op != SG_OP_DIAG && x->op != SG_OP_FILL;
}

/* x with its ⊙ made a product, or its product a ⊙, when the shapes allow;
   else NULL */
static sg_expr *swapped(sg_ctx *ctx, sg_expr *x)
{
    sg_expr *a, *b;
    if (x->nkids != 2)
        return NULL;
    a = x->kid[0];
    b = x->kid[1];
    if (x->op == SG_OP_HADAMARD && a->shape.cols == b->shape.rows &&
        sg_shape_eq(sg_shape_make(a->shape.rows, b->shape.cols), x->shape))
        return sg_mul(ctx, a, b);
    if (x->op == SG_OP_MUL && !sg_shape_is_scalar(a->shape) && !sg_shape_is_scalar(b->shape) &&
        sg_shape_eq(a->shape, b->shape) && sg_shape_eq(a->shape, x->shape))
        return sg_hadamard(ctx, a, b);
    return NULL;
}

/* the answer with kid k of its node x transposed there alone (x's other
   uses and the kid's elsewhere unchanged), or NULL when the kid is not
   transposable */
static sg_expr *kid_transposed(sg_ctx *ctx, sg_expr *ans, sg_expr *x, int k)
{
    sg_expr *kids[2];
    if (k >= x->nkids || !transposable(x->kid[k]) || x->op == SG_OP_TRANSPOSE)
        return NULL;
    kids[0] = x->kid[0];
    kids[1] = x->nkids > 1 ? x->kid[1] : NULL;
    kids[k] = sg_transpose(ctx, kids[k]);
    return sg_expr_replace(ctx, ans, x, sg_expr_rebuild(ctx, x, kids[0], kids[1]));
}

/* a transposed factor, or a ⊙ for a product: the first node of the answer
   whose change makes it right */
static int one_change(grader *g, sg_expr *ans, sg_verdict *v)
{
    sg_expr **nodes = sg_xmalloc(GRADE_MAX_CANDIDATES * sizeof *nodes);
    int n = nodes_of(g->ctx, ans, nodes), i, k, found = 0;
    for (i = 0; i < n && !found; i++)
        for (k = 0; k < 2 && !found; k++)
            if (agrees(g, kid_transposed(g->ctx, ans, nodes[i], k))) {
                v->kind = SG_VERDICT_TRANSPOSE;
                v->node = nodes[i]->kid[k];
                v->fixed = sg_transpose(g->ctx, nodes[i]->kid[k]);
                found = 1;
            }
    for (i = 0; i < n && !found; i++) {
        sg_expr *s = swapped(g->ctx, nodes[i]);
        if (s && agrees(g, sg_expr_replace(g->ctx, ans, nodes[i], s))) {
            v->kind = SG_VERDICT_SWAP;
            v->node = nodes[i];
            v->fixed = s;
            found = 1;
        }
    }
    free(nodes);
    return found;
}

/* e read at step t: its STEP leaves made ATs (a Σ inside keeps its own t) */
static sg_expr *at_step(sg_ctx *ctx, sg_expr *e, sg_index t)
{
    if (e->op == SG_OP_SEQSTEP)
        return sg_at(ctx, e->seq, sg_index_plus(t, e->off));
    if (e->nkids == 0 || e->op == SG_OP_SEQSUM)
        return e;
    return sg_expr_rebuild(ctx, e, at_step(ctx, e->kid[0], t),
                           e->nkids > 1 ? at_step(ctx, e->kid[1], t) : NULL);
}

/* e with each Σ over time its last term alone (the first Σ met in *sum),
   or NULL when e has no Σ or is too large to rebuild as a tree */
static sg_expr *last_terms(sg_ctx *ctx, sg_expr *e, const sg_expr **sum)
{
    sg_expr *a, *b;
    if (sg_expr_ops(e, GRADE_MAX_CANDIDATES) >= GRADE_MAX_CANDIDATES)
        return NULL;
    if (e->op == SG_OP_SEQSUM) {
        if (!*sum)
            *sum = e;
        return at_step(ctx, e->kid[0], e->hi);
    }
    if (e->nkids == 0)
        return NULL;
    a = last_terms(ctx, e->kid[0], sum);
    b = e->nkids > 1 ? last_terms(ctx, e->kid[1], sum) : NULL;
    if (!a && !b)
        return NULL;
    return sg_expr_rebuild(ctx, e, a ? a : e->kid[0], e->nkids > 1 ? (b ? b : e->kid[1]) : NULL);
}

/* the answer is the last step's term of a sum over time alone */
static int last_step(grader *g, const sg_expr *ans, sg_verdict *v)
{
    const sg_expr *sum = NULL;
    sg_expr *last = last_terms(g->ctx, (sg_expr *)g->derived, &sum);
    if (!last || worst_from(g, ans, last) > GRADE_TOL)
        return 0;
    v->kind = SG_VERDICT_LAST_STEP;
    v->node = sum;
    return 1;
}

/* the additive terms of e (through its sums), at most cap; their count */
static int terms_of(sg_expr *e, sg_expr **out, int n, int cap)
{
    if (e->op == SG_OP_ADD) {
        n = terms_of(e->kid[0], out, n, cap);
        return terms_of(e->kid[1], out, n, cap);
    }
    if (n < cap)
        out[n] = e;
    return n + 1;
}

/* Gaussian elimination with partial pivoting of the k×k system a c = b
   (a row-major, overwritten); 0 when it is singular */
static int solve(double *a, double *b, double *c, int k)
{
    int i, j, l, piv;
    for (i = 0; i < k; i++) {
        for (piv = i, j = i + 1; j < k; j++)
            if (fabs(a[j * k + i]) > fabs(a[piv * k + i]))
                piv = j;
        if (fabs(a[piv * k + i]) < 1e-12 * (fabs(a[0]) + 1e-300))
            return 0;
        for (l = 0; l < k; l++) {
            double t = a[i * k + l];
            a[i * k + l] = a[piv * k + l];
            a[piv * k + l] = t;
        }
        c[0] = b[i], b[i] = b[piv], b[piv] = c[0];
        for (j = i + 1; j < k; j++) {
            double f = a[j * k + i] / a[i * k + i];
            for (l = i; l < k; l++)
                a[j * k + l] -= f * a[i * k + l];
            b[j] -= f * b[i];
        }
    }
    for (i = k; i-- > 0;) {
        for (c[i] = b[i], l = i + 1; l < k; l++)
            c[i] -= a[i * k + l] * c[l];
        c[i] /= a[i * k + i];
    }
    return 1;
}

/* the coefficients c with Σ c_i terms_i = the derivative, by least squares
   over every entry and point, and checked; 0 when none fit */
static int fit_terms(grader *g, sg_expr **terms, int k, double *c)
{
    double *a = sg_xmalloc((size_t)(k * k) * sizeof *a), b[GRADE_MAX_TERMS];
    double *v = sg_xmalloc((size_t)(k * g->n + 1) * sizeof *v), w = 0;
    int p, i, j, fits = 1;
    long e;
    memset(a, 0, (size_t)(k * k) * sizeof *a);
    memset(b, 0, sizeof b);
    for (p = 0; p < 2; p++) /* p = 0: the normal equations; p = 1: the check */
        for (i = 0; i < g->npoints && fits; i++) {
            for (j = 0; j < k && fits; j++)
                fits = values_at(g, i, g->inputs[i], terms[j], v + j * g->n);
            for (e = 0; e < g->n && fits; e++) {
                double sum = 0;
                for (j = 0; j < k; j++) {
                    int l;
                    for (l = 0; l < k && p == 0; l++)
                        a[j * k + l] += v[j * g->n + e] * v[l * g->n + e];
                    b[j] += p == 0 ? v[j * g->n + e] * g->want[i][e] : 0;
                    sum += c[j] * v[j * g->n + e];
                }
                g->scratch[e] = sum;
            }
            if (p == 1 && fits)
                w = fmax(w, distance(g->scratch, g->want[i], g->n));
            if (p == 0 && i + 1 == g->npoints && fits)
                fits = solve(a, b, c, k);
        }
    free(a);
    free(v);
    return fits && w <= 1e-6;
}

/* a positive dimension value times a simple fraction: D/2 */
static void name_factor(grader *g, double c, sg_verdict *v)
{
    static const double fractions[] = {1, 0.5, 2, 1.0 / 3, 0.25};
    int d, f;
    v->factor_dim = -1;
    for (f = 0; f < 5; f++)
        for (d = 0; d < sg_dim_count(g->ctx); d++)
            if (sg_dim_get(g->ctx, d)->name &&
                fabs(c - fractions[f] * (double)g->dims[d]) < 1e-9 * fabs(c)) {
                v->factor_dim = d;
                v->factor = fractions[f];
                return;
            }
}

/* one term of the answer off by a factor (a ½ or a D/2 forgotten): the
   answer's terms fitted to the derivative, all coefficients 1 but one */
static int term_factor(grader *g, sg_expr *ans, sg_verdict *v)
{
    sg_expr *terms[GRADE_MAX_TERMS];
    double c[GRADE_MAX_TERMS];
    int k = terms_of(ans, terms, 0, GRADE_MAX_TERMS), i, off = -1;
    if (k < 2 || k > GRADE_MAX_TERMS || !fit_terms(g, terms, k, c))
        return 0;
    for (i = 0; i < k; i++)
        if (fabs(c[i] - 1) > 1e-6) {
            if (off >= 0 || fabs(c[i]) < 1e-6)
                return 0;
            off = i;
        }
    if (off < 0)
        return 0;
    v->kind = SG_VERDICT_TERM;
    v->node = terms[off];
    v->factor = c[off];
    name_factor(g, c[off], v);
    return 1;
}

/* the total-derivative step of the variable x in log, or NULL */
static const sg_step *total_of(const sg_log *log, const sg_expr *x)
{
    int i;
    for (i = 0; log && i < log->nsteps; i++)
        if (log->steps[i].kind == SG_STEP_TOTAL && log->steps[i].node == x)
            return &log->steps[i];
    return NULL;
}

/* the parent of x along which the adjoint contrib reached x (the RULE step
   that pushed it), or NULL */
static const sg_expr *pushed_by(const sg_log *log, const sg_expr *x, const sg_expr *contrib)
{
    int i;
    for (i = 0; i < log->nsteps; i++) {
        const sg_step *st = &log->steps[i];
        if (st->kind == SG_STEP_RULE && (!contrib || st->contrib == contrib) &&
            st->node->nkids > st->kid && st->node->kid[st->kid] == x)
            return st->node;
    }
    return NULL;
}

/* the node a contribution to x comes through, as a person names the path:
   through WᵀWx rather than through Wᵀ */
static const sg_expr *via_of(const sg_log *log, const sg_expr *x, const sg_expr *term)
{
    const sg_expr *via = pushed_by(log, x, term), *up;
    if (via && via->op == SG_OP_TRANSPOSE && (up = pushed_by(log, via, NULL)))
        return up;
    return via;
}

/* the paths by which x reaches the function: the contributions of its
   total-derivative step, those through one node summed (‖w‖² = ⟨w, w⟩
   gives two, along one path); their count, or 0 */
static int paths_of(grader *g, const sg_result *r, sg_grade_path **out)
{
    int sym = r->wrt ? sg_sym_find(g->ctx, r->wrt) : -1, n = 0, i, j;
    const sg_step *tot;
    sg_expr *x;
    sg_grade_path *paths;
    if (r->kind != SG_RES_GRAD || sym < 0)
        return 0;
    x = sg_var(g->ctx, sym);
    if (!(tot = total_of(r->log, x)) || tot->nterms > GRADE_MAX_PATHS)
        return 0;
    paths = sg_xmalloc((size_t)tot->nterms * sizeof *paths);
    for (i = 0; i < tot->nterms; i++) {
        const sg_expr *via = via_of(r->log, x, tot->terms[i]);
        for (j = 0; j < n && !(via && paths[j].via == via); j++)
            ;
        if (j < n) {
            paths[j].contrib = sg_add(g->ctx, (sg_expr *)paths[j].contrib,
                                      (sg_expr *)tot->terms[i]);
            continue;
        }
        paths[n].via = via;
        paths[n++].contrib = tot->terms[i];
    }
    *out = paths;
    return n;
}

/* the worst distance of the answer's values (got, by point) from c times
   the sum of the paths in mask (vals, by point and path), c fitted by least
   squares (*c; 1 when that fits too) */
static double subset_distance(grader *g, const double *got, double **vals, int m, unsigned mask,
                              double *sum, double *c)
{
    double w = 0, num = 0, den = 0;
    int k, j;
    long e;
    for (k = 0; k < g->npoints; k++)
        for (e = 0; e < g->n; e++) {
            double x = 0;
            for (j = 0; j < m; j++)
                if (mask & (1u << j))
                    x += vals[k * m + j][e];
            sum[k * g->n + e] = x;
            num += got[k * g->n + e] * x;
            den += x * x;
        }
    *c = den > 0 ? num / den : 1;
    if (fabs(*c - 1) < 1e-9)
        *c = 1;
    for (k = 0; k < g->npoints; k++) {
        for (e = 0; e < g->n; e++)
            sum[k * g->n + e] *= *c;
        w = fmax(w, distance(got + k * g->n, sum + k * g->n, g->n));
    }
    return fabs(*c) < 1e-9 ? INFINITY : w;
}

/* the sum of a strict subset of the paths, or a multiple of it (a path
   counted twice for two), is the answer: each path's values once, then
   every subset's sum */
static int missing_path(grader *g, const sg_result *r, const sg_expr *ans, sg_verdict *v)
{
    sg_grade_path *paths = NULL;
    int m = paths_of(g, r, &paths), k, j, found = 0, defined = m > 1;
    double **vals = sg_xmalloc((size_t)(m * g->npoints + 1) * sizeof *vals);
    double *sum = sg_xmalloc((size_t)(g->n * g->npoints + 1) * sizeof *sum);
    double *got = sg_xmalloc((size_t)(g->n * g->npoints + 1) * sizeof *got), c;
    unsigned mask;
    memset(vals, 0, (size_t)(m * g->npoints + 1) * sizeof *vals);
    for (k = 0; k < g->npoints && defined; k++) {
        if (!values_at(g, k, g->inputs[k], ans, got + k * g->n))
            defined = 0; /* the answer has no value: no subset is it */
        for (j = 0; j < m && defined; j++) {
            vals[k * m + j] = sg_xmalloc((size_t)(g->n + 1) * sizeof **vals);
            if (!values_at(g, k, g->inputs[k], paths[j].contrib, vals[k * m + j]))
                memset(vals[k * m + j], 0, (size_t)g->n * sizeof **vals);
        }
    }
    for (mask = 1; defined && mask + 1 < (1u << m) && !found; mask++) {
        if (subset_distance(g, got, vals, m, mask, sum, &c) > 1e-6)
            continue;
        found = 1;
        v->kind = SG_VERDICT_PATH;
        v->factor = c;
        v->npaths = m;
        v->paths = paths;
        v->have = sg_xmalloc((size_t)m);
        for (j = 0; j < m; j++) {
            v->paths[j].contrib = simplified(g->ctx, (sg_expr *)paths[j].contrib);
            v->have[j] = (mask >> j) & 1;
        }
    }
    for (j = 0; j < m * g->npoints; j++)
        free(vals[j]);
    if (!found)
        free(paths);
    free(vals);
    free(sum);
    free(got);
    return found;
}

/* the entries that differ most at the first point */
static void differ(grader *g, const sg_expr *ans, sg_verdict *v)
{
    long cols = dim_value(g, g->derived->shape.cols), j;
    int e;
    v->kind = SG_VERDICT_DIFFER;
    if (!values_at(g, 0, g->inputs[0], ans, g->scratch)) {
        v->kind = SG_VERDICT_NO_VALUE;
        return;
    }
    for (e = 0; e < SG_GRADE_ENTRIES; e++) {
        long best = -1;
        double bd = 0;
        for (j = 0; j < g->n; j++) {
            double d = fabs(g->scratch[j] - g->want[0][j]);
            int taken = 0, q;
            for (q = 0; q < e; q++)
                taken |= v->row[q] * cols + v->col[q] == j;
            if (!taken && (d > bd || (isnan(d) && best < 0))) {
                bd = d;
                best = j;
            }
        }
        if (best < 0)
            break;
        v->row[e] = best / cols;
        v->col[e] = best % cols;
        v->answer[e] = g->scratch[best];
        v->derived[e] = g->want[0][best];
        v->nentries++;
    }
    v->dims = sg_xmalloc((size_t)(sg_dim_count(g->ctx) + 1) * sizeof *v->dims);
    memcpy(v->dims, g->dims, (size_t)sg_dim_count(g->ctx) * sizeof *v->dims);
}

/* ---- the verdict ------------------------------------------------------------- */

static void diagnose(grader *g, const sg_result *r, sg_expr *ans, sg_verdict *v)
{
    double c;
    if (factor(g, ans, &c)) {
        v->kind = SG_VERDICT_FACTOR;
        v->factor = c;
    } else if (transposable(ans) && agrees(g, sg_transpose(g->ctx, ans))) {
        v->kind = SG_VERDICT_TRANSPOSE;
        v->node = ans;
    } else if (!one_change(g, ans, v) && !last_step(g, ans, v) && !missing_path(g, r, ans, v) &&
               !term_factor(g, ans, v)) {
        differ(g, ans, v);
    }
}

/* the problem's dimensions given values by name: 3, 4, 5, 6, 3, … in set
   0, and each 2 more in set 1 (a 3 written for n is found out) */
static long *dimension_values(sg_ctx *ctx, int set)
{
    int nd = sg_dim_count(ctx), d, named = 0;
    long *dims = sg_xmalloc((size_t)(nd + 1) * sizeof *dims);
    for (d = 0; d < nd; d++)
        dims[d] = sg_dim_get(ctx, d)->name ? 3 + named++ % 4 + 2 * set
                                           : sg_dim_get(ctx, d)->value;
    return dims;
}

static int equal_as_formulas(sg_ctx *ctx, const sg_result *r, sg_expr *ans)
{
    if (ans == r->expr || ans == r->display)
        return 1;
    return sg_expr_is_zero(simplified(ctx, sg_sub(ctx, ans, r->expr))) ||
           (r->display && sg_expr_is_zero(simplified(ctx, sg_sub(ctx, ans, r->display))));
}

/* the numbers at one size of the dimensions (set): the answer against the
   derivative at the points, diagnosed when wrong */
static void numbers(sg_problem *p, const sg_result *r, sg_expr *ans, int set, sg_verdict *v)
{
    grader g;
    int k;
    double w;
    memset(&g, 0, sizeof g);
    g.p = p;
    g.ctx = p->ctx;
    g.derived = r->expr;
    g.dims = dimension_values(p->ctx, set);
    g.nsyms = sg_sym_count(p->ctx);
    g.n = dim_value(&g, r->expr->shape.rows) * dim_value(&g, r->expr->shape.cols);
    g.scratch = sg_xmalloc((size_t)(g.n + 1) * sizeof *g.scratch);
    if (draw_points(&g) < SG_GRADE_POINTS) {
        v->kind = SG_VERDICT_UNDEFINED;
        v->why = "the derivative has no value at the points drawn";
        v->right = 0;
    } else if ((w = worst(&g, ans)) <= GRADE_TOL) {
        v->points += g.npoints;
        v->worst = fmax(v->worst, w);
        v->kind = SG_VERDICT_NUMERIC;
        v->right = 1;
    } else if (v->right) { /* right at the sizes before: not these */
        v->right = 0;
        v->kind = SG_VERDICT_SIZES;
    } else {
        diagnose(&g, r, ans, v);
    }
    for (k = 0; k < g.npoints; k++) {
        free_inputs(&g, g.inputs[k]);
        free(g.want[k]);
    }
    free(g.scratch);
    free(g.dims);
}

void sg_grade(sg_problem *p, int i, sg_verdict *v)
{
    const sg_answer *a = &p->answers[i];
    const sg_result *r = &p->results[a->result];
    int set;
    memset(v, 0, sizeof *v);
    v->got = a->expr->shape;
    v->want = r->expr->shape;
    if (!sg_shape_eq(a->expr->shape, r->expr->shape)) {
        v->kind = SG_VERDICT_SHAPE;
        v->transposed_fits = a->expr->shape.rows == r->expr->shape.cols &&
                             a->expr->shape.cols == r->expr->shape.rows;
        return;
    }
    if (sg_result_seq(r) >= 0) {
        v->kind = SG_VERDICT_UNDEFINED;
        v->why = "answers for every step of a sequence are not graded yet";
        return;
    }
    if (equal_as_formulas(p->ctx, r, a->expr)) {
        v->kind = SG_VERDICT_FORMULA;
        v->right = 1;
        return;
    }
    for (set = 0; set < SG_GRADE_SIZES && (set == 0 || v->right); set++)
        numbers(p, r, a->expr, set, v);
}

void sg_verdict_free(sg_verdict *v)
{
    free(v->paths);
    free(v->have);
    free(v->dims);
    v->paths = NULL;
    v->have = NULL;
    v->dims = NULL;
}
