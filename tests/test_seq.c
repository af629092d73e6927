/*
 * test_seq.c: sequences, recurrences and backpropagation through time.
 *
 * Whole problems, as a user writes them, go through the parser and the
 * checker; L and every requested gradient are then evaluated with the
 * interpreter. The acceptance RNN is compared with the reference values of
 * the acceptance case (computed elsewhere, independently); every other
 * problem has each gradient entry compared with a central difference of L.
 * The closed forms are checked too: δh[t] reads δh[t+1] and h[t+1] (never
 * the step body again), ∇_W L is a Σ over time, ∂L/∂h₀ is δh[0].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parser.h"
#include "symbolic/check.h"
#include "symbolic/eval.h"

#define MAXSYMS 64
#define MAXDIMS 32

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
    long dims[MAXDIMS];
    double *vals[MAXSYMS];
    long len[MAXSYMS];
} run_t;

static void done(run_t *r)
{
    int i;
    for (i = 0; i < MAXSYMS; i++)
        free(r->vals[i]);
    sg_problem_free(r->p);
    sg_arena_free(r->arena);
    sg_src_free(r->src);
    free(r);
}

static void print_errors(const sg_src *src)
{
    unsigned i, line, col;
    for (i = 0; i < src->ndiags; i++) {
        sg_src_linecol(src, src->diags[i].span.begin, &line, &col);
        print_error("%u:%u: %s\n", line, col, src->diags[i].msg);
    }
}

/* splitmix64, as the acceptance driver fills its inputs */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static long dim_value(const run_t *r, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(r->p->ctx, d);
    return di->name ? r->dims[d] : di->value;
}

static long index_value(const run_t *r, sg_index i)
{
    return (i.dim < 0 ? 0 : dim_value(r, i.dim)) + i.off;
}

/*
 * text checked, with dims "T=4 k=2 …" and every symbol filled with the
 * acceptance driver's RAND stream: the k-th symbol in declaration order from
 * seed 1000003·(k+1), uniform in [−1, 1). A sequence input holds all its
 * steps, one after another.
 */
static run_t *load(const char *text, const char *dims)
{
    run_t *r = calloc(1, sizeof *r);
    int i;
    char name[64];
    long v;
    int n;
    r->src = sg_src_new("t.sg", text, strlen(text));
    r->arena = sg_arena_new();
    r->p = sg_check(r->src, sg_parse(r->src, r->arena));
    if (!r->p) {
        print_errors(r->src);
        fail_msg("the problem does not check");
    }
    while (sscanf(dims, " %63[^=]=%ld%n", name, &v, &n) == 2) {
        int d = sg_dim_find(r->p->ctx, name);
        assert_true(d >= 0 && d < MAXDIMS);
        r->dims[d] = v;
        dims += n;
    }
    assert_true(sg_sym_count(r->p->ctx) <= MAXSYMS);
    for (i = 0; i < sg_sym_count(r->p->ctx); i++) {
        const sg_symbol *s = sg_sym_get(r->p->ctx, i);
        uint64_t seed = 1000003ull * (uint64_t)(i + 1);
        long len = dim_value(r, s->shape.rows) * dim_value(r, s->shape.cols), j;
        if (s->seq >= 0) {
            const sg_seq *q = sg_seq_get(r->p->ctx, s->seq);
            len *= index_value(r, q->hi) - index_value(r, q->lo) + 1;
        }
        r->len[i] = len;
        r->vals[i] = malloc((size_t)(len ? len : 1) * sizeof(double));
        for (j = 0; j < len; j++)
            r->vals[i][j] = 2.0 * uniform(&seed) - 1.0;
    }
    return r;
}

static const sg_result *result(const run_t *r, const char *cname)
{
    int i;
    for (i = 0; i < r->p->nresults; i++)
        if (!strcmp(r->p->results[i].cname, cname))
            return &r->p->results[i];
    fail_msg("no result %s", cname);
    return NULL;
}

static const double *eval(run_t *r, sg_eval **ev, const sg_expr *e)
{
    const double *v;
    *ev = sg_eval_new(r->p->ctx, r->dims, (const double *const *)r->vals);
    v = sg_eval_expr(*ev, e);
    assert_non_null(v);
    return v;
}

static double value(run_t *r, const sg_expr *f)
{
    sg_eval *ev;
    double v = eval(r, &ev, f)[0];
    sg_eval_free(ev);
    return v;
}

/* the values of gradient g: for ∂L/∂x[t], every step of x's adjoint one
   after another, as x holds its steps (into *all, freed by the caller) */
static const double *grad_values(run_t *r, sg_eval **ev, const sg_result *g, double **all)
{
    int q = sg_result_seq(g);
    const sg_seq *d;
    long t, lo, hi, n, k = 0;
    *all = NULL;
    if (q < 0)
        return eval(r, ev, g->expr);
    *ev = sg_eval_new(r->p->ctx, r->dims, (const double *const *)r->vals);
    d = sg_seq_get(r->p->ctx, q);
    lo = index_value(r, d->lo) - 1; /* the steps of x */
    hi = index_value(r, d->hi);
    n = dim_value(r, d->shape.rows) * dim_value(r, d->shape.cols);
    *all = malloc((size_t)((hi - lo + 1) * n + 1) * sizeof **all);
    for (t = lo; t <= hi; t++) {
        const double *v = sg_eval_step(*ev, q, t);
        assert_non_null(v);
        memcpy(*all + k, v, (size_t)n * sizeof **all);
        k += n;
    }
    return *all;
}

/* every gradient result against central differences of its scalar */
static int check_grads(run_t *r)
{
    int i, checked = 0;
    for (i = 0; i < r->p->nresults; i++) {
        const sg_result *g = &r->p->results[i];
        const sg_expr *f;
        const double *gv;
        sg_eval *ev;
        double *xv, *all;
        long j;
        int sym;
        if (g->kind != SG_RES_GRAD)
            continue;
        f = result(r, g->of)->expr;
        sym = sg_sym_find(r->p->ctx, g->wrt);
        xv = r->vals[sym];
        gv = grad_values(r, &ev, g, &all);
        for (j = 0; j < r->len[sym]; j++) {
            double x0 = xv[j], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1), fp, fm, hh, fd, tol;
            xv[j] = x0 + h;
            fp = value(r, f);
            hh = xv[j];
            xv[j] = x0 - h;
            fm = value(r, f);
            hh -= xv[j];
            xv[j] = x0;
            fd = (fp - fm) / hh;
            tol = 1e-6 * (fabs(gv[j]) > 1 ? fabs(gv[j]) : 1) +
                  64 * DBL_EPSILON * (fabs(fp) > fabs(fm) ? fabs(fp) : fabs(fm)) / hh;
            if (!(fabs(fd - gv[j]) <= tol))
                fail_msg("%s[%ld]: closed form %.12g, central difference %.12g", g->cname, j,
                         gv[j], fd);
            checked++;
        }
        sg_eval_free(ev);
        free(all);
    }
    return checked;
}

/* the recurrence's adjoint sequence, by name */
static const sg_seq *seq_named(const run_t *r, const char *name)
{
    int q = sg_seq_find(r->p->ctx, name);
    if (q < 0)
        fail_msg("no sequence %s", name);
    return sg_seq_get(r->p->ctx, q);
}

/* does e contain a node with op (and, for STEP, that sequence and offset)? */
static int contains(const run_t *r, const sg_expr *e, sg_op op, const char *seq, long off)
{
    int k;
    if (e->op == op) {
        if (op != SG_OP_SEQSTEP)
            return 1;
        if (!strcmp(sg_seq_get(r->p->ctx, e->seq)->name, seq) && e->off == off)
            return 1;
    }
    for (k = 0; k < e->nkids; k++)
        if (contains(r, e->kid[k], op, seq, off))
            return 1;
    return 0;
}

/* ---- the acceptance case -------------------------------------------------- */

static const char rnn[] =
    "# Vanilla RNN over T steps, squared error at every step\n"
    "prefix rnn\n"
    "x[t] ∈ ℝ^k for t = 1..T\n"
    "y[t] ∈ ℝ^p for t = 1..T\n"
    "h0 ∈ ℝ^n\n"
    "W_hh ∈ ℝ^{n×n}\n"
    "W_xh ∈ ℝ^{n×k}\n"
    "W_y ∈ ℝ^{p×n}\n"
    "h[0] = h0\n"
    "h[t] = tanh(W_hh h[t−1] + W_xh x[t]) for t = 1..T\n"
    "L = Σ_{t=1}^{T} ½‖W_y h[t] − y[t]‖²\n"
    "grad L wrt W_hh, W_xh, W_y, h0\n";

/* the reference values of the acceptance case, rnn_bptt/expected.txt */
static const char rnn_expected[] =
    "L 1 3.5274215003557088\n"
    "dL_dW_hh 9 0.44039940019029838 0.035533143667023148 -1.0180288010107692 "
    "0.11820688224964837 0.70847344958254532 -0.27125987851962041 -0.056722069413496057 "
    "0.85699734623168511 -0.43433197025316683\n"
    "dL_dW_xh 6 0.61267650945209318 -1.2409540391151301 -0.06063333613405486 "
    "-0.49156731853125885 -0.99573031857956329 0.17978520547046223\n"
    "dL_dW_y 9 -1.5777415643424111 0.7835034446565543 1.6863360101756193 "
    "-0.10631287979014266 0.20587768070871137 1.4675443224970788 -0.23730253584071853 "
    "-0.085425025072229765 0.5369624071243575\n"
    "dL_dh0 3 0.18658006196463708 0.26434684998652591 0.067561126748633044\n";

/* a whole file, or NULL */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    s[n] = '\0';
    fclose(f);
    return s;
}

/* the case's file, from $SHARED (default ../shared) when it is there */
static char *case_file(const char *name)
{
    char path[512];
    const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
    snprintf(path, sizeof path, "%s/acceptance/cases/rnn_bptt/%s", shared, name);
    return slurp(path);
}

static void test_acceptance_rnn(void **state)
{
    char *problem = case_file("problem.sg"), *expected = case_file("expected.txt");
    const char *text = expected ? expected : rnn_expected, *s;
    run_t *r;
    char name[64];
    int n, compared = 0;
    long count, i;
    (void)state;
    /* the case as it is in the acceptance suite; the copy here when the
       suite is not next to the source */
    if (problem)
        assert_string_equal(problem, rnn);
    r = load(rnn, "T=4 k=2 p=3 n=3");
    for (s = text; sscanf(s, "%63s %ld%n", name, &count, &n) == 2;) {
        const sg_result *res = result(r, name);
        sg_eval *ev;
        const double *v = eval(r, &ev, res->expr);
        s += n;
        for (i = 0; i < count; i++) {
            double want = strtod(s, (char **)&s);
            if (!(fabs(v[i] - want) <= 1e-10 * fabs(want)))
                fail_msg("%s[%ld]: %.17g, the reference %.17g", name, i, v[i], want);
            compared++;
        }
        sg_eval_free(ev);
    }
    assert_int_equal(compared, 1 + 9 + 6 + 9 + 3);
    /* and by central differences, as every other problem here */
    assert_int_equal(check_grads(r), 9 + 6 + 9 + 3);
    done(r);
    free(problem);
    free(expected);
}

/* δh[t] = W_yᵀ(W_y h[t] − y[t]) + W_hhᵀ((𝟙 − h[t+1] ⊙ h[t+1]) ⊙ δh[t+1]) */
static void test_closed_form(void **state)
{
    run_t *r = load(rnn, "T=4 k=2 p=3 n=3");
    const sg_seq *d = seq_named(r, "δh"), *h = seq_named(r, "h");
    const sg_expr *gW = result(r, "dL_dW_hh")->expr, *gh0 = result(r, "dL_dh0")->expr;
    (void)state;
    assert_int_equal(d->kind, SG_SEQ_BACKWARD);
    assert_int_equal(sg_seq_find(r->p->ctx, h->name), d->of);
    assert_true(sg_index_eq(d->lo, h->lo) && sg_index_eq(d->hi, h->hi));
    /* the next step back-propagated, with h[t+1] for tanh(…) at t + 1 */
    assert_true(contains(r, d->body, SG_OP_SEQSTEP, "δh", 1));
    assert_true(contains(r, d->body, SG_OP_SEQSTEP, "h", 1));
    assert_false(contains(r, d->body, SG_OP_TANH, NULL, 0));
    assert_false(contains(r, d->body, SG_OP_SEQSTEP, "x", 1));
    /* the loss at every step 1..T: one term */
    assert_int_equal(d->nterms, 1);
    assert_true(sg_index_eq(d->terms[0].lo, sg_index_make(-1, 1)));
    assert_true(sg_index_eq(d->terms[0].hi, h->hi));
    assert_true(contains(r, d->terms[0].value, SG_OP_SEQSTEP, "h", 0));
    assert_true(contains(r, d->terms[0].value, SG_OP_SEQSTEP, "y", 0));
    assert_non_null(d->display);
    assert_non_null(d->terms[0].display);
    /* ∇_{W_hh} L = Σ_{t=1}^{T} ((𝟙 − h[t] ⊙ h[t]) ⊙ δh[t]) h[t−1]ᵀ */
    assert_int_equal(gW->op, SG_OP_SEQSUM);
    assert_true(sg_index_eq(gW->lo, h->lo) && sg_index_eq(gW->hi, h->hi));
    assert_true(contains(r, gW, SG_OP_SEQSTEP, "h", -1));
    assert_true(contains(r, gW, SG_OP_SEQSTEP, "δh", 0));
    assert_false(contains(r, gW, SG_OP_TANH, NULL, 0));
    /* ∂L/∂h₀ = δh[0] */
    assert_int_equal(gh0->op, SG_OP_AT);
    assert_string_equal(sg_seq_get(r->p->ctx, gh0->seq)->name, "δh");
    assert_true(sg_index_eq(gh0->at, sg_index_make(-1, 0)));
    done(r);
}

/* the derivation log says how δh came about */
static void test_log(void **state)
{
    run_t *r = load(rnn, "T=3 k=2 p=3 n=3");
    const sg_log *log = result(r, "dL_dW_hh")->log;
    int i, seen[SG_STEP_SEQ_PUSH + 1] = {0};
    (void)state;
    assert_non_null(log);
    for (i = 0; i < log->nsteps; i++)
        seen[log->steps[i].kind]++;
    assert_int_equal(log->steps[0].kind, SG_STEP_SEED);
    assert_int_equal(seen[SG_STEP_SEQ_SUM], 1);
    assert_int_equal(seen[SG_STEP_SEQ_REC], 1);
    assert_int_equal(seen[SG_STEP_SEQ_TERM], 1);
    assert_int_equal(seen[SG_STEP_SEQ_DELTA], 1);
    /* W_y from the Σ; W_hh, W_xh from the step; h₀ = δh[0] */
    assert_int_equal(seen[SG_STEP_SEQ_PUSH], 4);
    for (i = 0; i < log->nsteps; i++)
        if (log->steps[i].kind == SG_STEP_SEQ_DELTA) {
            assert_string_equal(sg_seq_get(r->p->ctx, log->steps[i].adjseq)->name, "δh");
            assert_string_equal(sg_seq_get(r->p->ctx, log->steps[i].seq)->name, "h");
        }
    done(r);
}

/* ---- gradients by central differences ------------------------------------- */

static void test_vanilla(void **state)
{
    run_t *r = load(rnn, "T=6 k=3 p=2 n=4");
    (void)state;
    assert_int_equal(check_grads(r), 16 + 12 + 8 + 4);
    done(r);
}

static void test_last_step_loss(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\ny ∈ ℝ^p\nh0 ∈ ℝ^n\n"
                    "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nV ∈ ℝ^{p×n}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                    "L = ½‖V h[T] − y‖²\n"
                    "grad L wrt W, U, V, h0\n",
                    "T=5 k=2 p=3 n=3");
    const sg_seq *d = seq_named(r, "δh");
    (void)state;
    /* ∂L/∂h[T] = Vᵀ(V h[T] − y), on the one step T */
    assert_int_equal(d->nterms, 1);
    assert_true(sg_index_eq(d->terms[0].lo, d->hi) && sg_index_eq(d->terms[0].hi, d->hi));
    assert_int_equal(check_grads(r), 9 + 6 + 9 + 3);
    done(r);
}

static void test_leaky(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nα ∈ ℝ\n"
                    "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
                    "h[0] = h0\n"
                    "h[t] = (1 − α)h[t−1] + α tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                    "L = Σ_{t=1}^{T} ½‖h[t] − y[t]‖²\n"
                    "grad L wrt α, W, U, h0\n",
                    "T=5 k=2 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 1 + 9 + 6 + 3);
    done(r);
}

/* a Σ over part of the range, reading h one step back, and a fixed step */
static void test_sub_range(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nc ∈ ℝ^n\n"
                    "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
                    "h[0] = h0\n"
                    "h[t] = σ(W h[t−1] + U x[t]) for t = 1..T\n"
                    "L = Σ_{t=2}^{T−1} cᵀ(h[t] ⊙ h[t−1]) + ‖h[T−1]‖² + ⟨c, h[1]⟩\n"
                    "grad L wrt W, U, h0, c\n",
                    "T=6 k=2 n=3");
    const sg_seq *d = seq_named(r, "δh");
    (void)state;
    /* h[t] and h[t−1] of the Σ, and the two fixed steps */
    assert_int_equal(d->nterms, 4);
    assert_int_equal(check_grads(r), 9 + 6 + 3 + 3);
    done(r);
}

static void test_one_step(void **state)
{
    run_t *r = load(rnn, "T=1 k=2 p=3 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 9 + 6 + 9 + 3);
    done(r);
}

/* a sum that turns out empty (T = 1, Σ from 2) is 0, and so is its gradient */
static void test_empty_range(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
                    "L = Σ_{t=2}^{T} ‖h[t]‖² + ‖h[T]‖²\n"
                    "grad L wrt W, h0\n",
                    "T=1 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 9 + 3);
    done(r);
}

static void test_long_sequence(void **state)
{
    run_t *r = load(rnn, "T=1000 k=2 p=2 n=3");
    sg_eval *ev;
    const double *v;
    (void)state;
    /* the loops run 1000 steps forwards and back without deep recursion */
    v = eval(r, &ev, result(r, "dL_dW_hh")->expr);
    assert_true(isfinite(v[0]));
    sg_eval_free(ev);
    assert_int_equal(check_grads(r), 9 + 6 + 6 + 3);
    done(r);
}

/* two recurrences, each with its own adjoint, and parameters shared */
static void test_two_recurrences(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^n for t = 1..T\nh0, g0 ∈ ℝ^n\nW, V ∈ ℝ^{n×n}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
                    "g[0] = g0\n"
                    "g[t] = σ(V g[t−1] + W x[t]) for t = 1..T\n"
                    "L = Σ_{t=1}^{T} ⟨h[t], g[t]⟩ + ‖g[T]‖²\n"
                    "grad L wrt W, V, h0, g0\n",
                    "T=4 n=3");
    (void)state;
    seq_named(r, "δh");
    seq_named(r, "δg");
    assert_int_equal(check_grads(r), 9 + 9 + 3 + 3);
    done(r);
}

/* an LSTM as Goodfellow et al. write it: gates as per-step sequences, c and
   h coupled (c[t] reads h[t−1] through the gates, h[t] reads c[t]) */
static const char lstm[] =
    "x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0, c0 ∈ ℝ^n\n"
    "W_f, W_i, W_o, W_g ∈ ℝ^{n×k}\nU_f, U_i, U_o, U_g ∈ ℝ^{n×n}\n"
    "b_f, b_i, b_o, b_g ∈ ℝ^n\nV ∈ ℝ^{p×n}\n"
    "h[0] = h0\nc[0] = c0\n"
    "f[t] = σ(W_f x[t] + U_f h[t−1] + b_f) for t = 1..T\n"
    "i[t] = σ(W_i x[t] + U_i h[t−1] + b_i) for t = 1..T\n"
    "o[t] = σ(W_o x[t] + U_o h[t−1] + b_o) for t = 1..T\n"
    "g[t] = tanh(W_g x[t] + U_g h[t−1] + b_g) for t = 1..T\n"
    "c[t] = f[t] ⊙ c[t−1] + i[t] ⊙ g[t] for t = 1..T\n"
    "h[t] = o[t] ⊙ tanh(c[t]) for t = 1..T\n"
    "L = Σ_{t=1}^{T} ½‖V h[t] − y[t]‖²\n"
    "grad L wrt W_f, U_f, b_f, W_i, U_i, b_i, W_o, U_o, b_o, W_g, U_g, b_g, V, h0, c0\n";

static void test_lstm(void **state)
{
    run_t *r = load(lstm, "T=4 n=3 k=2 p=2");
    (void)state;
    assert_int_equal(sg_seq_first(r->p->ctx, sg_seq_find(r->p->ctx, "f")).off, 1);
    assert_null(seq_named(r, "f")->init);
    seq_named(r, "δc");
    seq_named(r, "δf");
    assert_int_equal(check_grads(r), 4 * (6 + 9 + 3) + 6 + 3 + 3);
    done(r);
}

/* a GRU: gates read h[t−1], h[t] reads them at t and itself at t − 1 */
static void test_gru(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW_z, W_r, W_h ∈ ℝ^{n×k}\n"
                    "U_z, U_r, U_h ∈ ℝ^{n×n}\nb_z, b_r, b_h ∈ ℝ^n\nv ∈ ℝ^n\n"
                    "h[0] = h0\n"
                    "z[t] = σ(W_z x[t] + U_z h[t−1] + b_z) for t = 1..T\n"
                    "r[t] = σ(W_r x[t] + U_r h[t−1] + b_r) for t = 1..T\n"
                    "n_h[t] = tanh(W_h x[t] + U_h (r[t] ⊙ h[t−1]) + b_h) for t = 1..T\n"
                    "h[t] = (1 − z[t]) ⊙ h[t−1] + z[t] ⊙ n_h[t] for t = 1..T\n"
                    "L = vᵀh[T] + Σ_{t=1}^{T} ‖h[t]‖²\n"
                    "grad L wrt W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h, h0, v\n",
                    "T=5 n=3 k=2");
    (void)state;
    assert_int_equal(check_grads(r), 3 * (6 + 9 + 3) + 3 + 3);
    done(r);
}

/* a per-step sequence read at t − 1 and at fixed steps, over a sub-range */
static void test_per_step(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^n for t = 1..T\nW ∈ ℝ^{n×n}\nh0 ∈ ℝ^n\n"
                    "a[t] = tanh(W x[t]) for t = 1..T\n"
                    "h[1] = h0\n"
                    "h[t] = h[t−1] ⊙ a[t] + a[t−1] for t = 2..T\n"
                    "L = Σ_{t=2}^{T} 𝟙ᵀh[t] + ‖a[1]‖² + a[T]ᵀh[T]\n"
                    "grad L wrt W, h0\n",
                    "T=4 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 9 + 3);
    done(r);
}

/*
 * A recurrence that reads another at t − 1 through a step body it shares
 * with it (hash-consing makes tanh(h[t−1]) one node): the reader's body is
 * as old as, or older than, the body of what it reads, so ids do not order
 * them. δg must be complete before δh is formed, which reads it.
 */
static void test_shared_step(void **state)
{
    static const struct {
        const char *text, *dims;
        int n;
    } cases[] = {
        /* the smith reproducer: g's step is h's */
        {"b ∈ ℝ^n\nh[0] = b\ng[0] = b\n"
         "h[t] = tanh(h[t−1]) for t = 1..T\n"
         "g[t] = tanh(h[t−1]) for t = 1..T\n"
         "L = Σ_{t=1}^{T} sum(g[t])\n"
         "grad L wrt b\n",
         "T=4 n=3", 3},
        /* g's step a part of h's, made first; a fixed step of h in the loss */
        {"b ∈ ℝ^n\nW ∈ ℝ^{n×n}\nh[0] = b\ng[0] = b\n"
         "h[t] = σ(W h[t−1]) + b for t = 1..T\n"
         "g[t] = σ(W h[t−1]) for t = 1..T\n"
         "L = Σ_{t=1}^{T} ‖g[t]‖² + sum(h[T])\n"
         "grad L wrt b, W\n",
         "T=4 n=3", 3 + 9},
        /* matrices as steps */
        {"H0 ∈ ℝ^{n×k}\nW ∈ ℝ^{n×n}\nH[0] = H0\nG[0] = H0\n"
         "H[t] = tanh(W H[t−1]) ⊙ H[t−1] for t = 1..T\n"
         "G[t] = tanh(W H[t−1]) for t = 1..T\n"
         "L = Σ_{t=1}^{T} sum(G[t] ⊙ G[t])\n"
         "grad L wrt W, H0\n",
         "T=3 n=3 k=2", 9 + 6},
        /* three: k reads g and h, g shares its step with a part of h's */
        {"b, c ∈ ℝ^n\nh[0] = b\ng[0] = c\nk[0] = b ⊙ c\n"
         "h[t] = sin(h[t−1]) + c for t = 1..T\n"
         "g[t] = sin(h[t−1]) for t = 1..T\n"
         "k[t] = sin(h[t−1]) ⊙ g[t−1] for t = 1..T\n"
         "L = Σ_{t=1}^{T} cᵀk[t] + ⟨g[T], h[T]⟩\n"
         "grad L wrt b, c\n",
         "T=4 n=3", 3 + 3},
        /* with an input sequence; g read at fixed steps only */
        {"x[t] ∈ ℝ^n for t = 1..T\nW ∈ ℝ^{n×n}\nh0 ∈ ℝ^n\nh[0] = h0\ng[0] = h0\n"
         "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
         "g[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
         "L = sum(g[T]) + ‖g[1]‖²\n"
         "grad L wrt W, h0\n",
         "T=3 n=3", 9 + 3},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_t *r = load(cases[i].text, cases[i].dims);
        assert_int_equal(check_grads(r), cases[i].n);
        done(r);
    }
}

/* a stacked RNN: the second layer reads the first */
static void test_stacked(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\nh0, g0 ∈ ℝ^n\nW, V, A ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                    "g[0] = g0\n"
                    "g[t] = tanh(V g[t−1] + A h[t]) for t = 1..T\n"
                    "L = Σ_{t=1}^{T} ½‖g[t]‖²\n"
                    "grad L wrt W, U, V, A, h0, g0\n",
                    "T=4 k=2 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 9 + 6 + 9 + 9 + 3 + 3);
    done(r);
}

/* definitions and scalars inside a step; a scalar recurrence; x[t+1] in a Σ */
static void test_mixed(void **state)
{
    run_t *r = load("x[t] ∈ ℝ for t = 1..T\nw[t] ∈ ℝ^n for t = 1..T\na, s0 ∈ ℝ\nB ∈ ℝ^{n×n}\n"
                    "M = B + Bᵀ + I\n"
                    "s[0] = s0\n"
                    "s[t] = tanh(a s[t−1] + x[t]) for t = 1..T\n"
                    "q[0] = w[1]\n"
                    "q[t] = M q[t−1] / (1 + ‖q[t−1]‖²) for t = 1..T\n"
                    "L = Σ_{t=1}^{T−1} s[t] x[t+1] + Σ_{t=0}^{T} ⟨w[T], q[t]⟩ + s[T]²\n"
                    "grad L wrt a, s0, B\n",
                    "T=4 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 1 + 1 + 9);
    done(r);
}

/* a Σ of what does not change with t is a product with the length */
static void test_invariant_sum(void **state)
{
    run_t *r = load("W ∈ ℝ^{n×n}\nx[t] ∈ ℝ^n for t = 1..T\n"
                    "L = Σ_{t=1}^{T} ‖W‖² + Σ_{t=2}^{T} sum(W x[t])\n"
                    "grad L wrt W\n",
                    "T=5 n=3");
    (void)state;
    assert_int_equal(check_grads(r), 9);
    done(r);
}

/* an invariant Σ inside a step, and a Σ and a fixed step in the same loss */
static void test_sum_in_step(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
                    "z = Σ_{t=1}^{T} W x[t]\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + z) for t = 1..T\n"
                    "L = ‖h[T]‖² sum(z) + Σ_{t=1}^{T} sum(h[t])\n"
                    "grad L wrt W, h0\n",
                    "T=3 n=3");
    const sg_seq *d = seq_named(r, "δh");
    int k;
    (void)state;
    /* what is printed is the simplified form of the same thing */
    assert_non_null(d->display);
    for (k = 0; k < d->nterms; k++)
        assert_non_null(d->terms[k].display);
    assert_int_equal(check_grads(r), 9 + 3);
    done(r);
    /* a Σ whose body the simplifier rewrites, in a term of δh */
    r = load("x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
             "z = Σ_{t=1}^{T} (W x[t] x[t]ᵀ W)ᵀ h0\n"
             "h[0] = h0\n"
             "h[t] = tanh(W h[t−1] + z) for t = 1..T\n"
             "L = ‖h[T]‖² sum(z)\n"
             "grad L wrt W, h0\n",
             "T=3 n=3");
    assert_int_equal(check_grads(r), 9 + 3);
    done(r);
}

/* ---- the pieces, by hand -------------------------------------------------- */

typedef struct {
    sg_ctx *ctx;
    sg_dim T, n;
    int x, h;     /* sequences */
    sg_expr *a, *h0, *body;
    long dims[8];
    const double *syms[8];
} pieces;

/* x[t] ∈ ℝ for t = 1..T; h[0] = h0; h[t] = a h[t−1] + x[t] */
static void make_pieces(pieces *p)
{
    sg_span sp = {0, 0};
    memset(p, 0, sizeof *p);
    p->ctx = sg_ctx_new();
    p->T = sg_dim_named(p->ctx, "T");
    p->n = sg_dim_named(p->ctx, "n");
    p->x = sg_seq_add_input(p->ctx, "x", sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), 0,
                            sg_index_make(-1, 1), sg_index_make(p->T, 0), sp);
    p->a = sg_var(p->ctx, sg_sym_add(p->ctx, "a", sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), 0, sp));
    p->h0 = sg_var(p->ctx, sg_sym_add(p->ctx, "h0", sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), 0, sp));
    p->h = sg_seq_add(p->ctx, "h", SG_SEQ_FORWARD, sg_shape_make(SG_DIM_ONE, SG_DIM_ONE),
                      sg_index_make(-1, 1), sg_index_make(p->T, 0), sp);
    p->body = sg_add(p->ctx, sg_mul(p->ctx, p->a, sg_seqstep(p->ctx, p->h, -1)),
                     sg_seqstep(p->ctx, p->x, 0));
    sg_seq_get_mut(p->ctx, p->h)->init = p->h0;
    sg_seq_get_mut(p->ctx, p->h)->body = p->body;
}

static void test_interning(void **state)
{
    pieces p;
    sg_ctx *c;
    sg_index one = sg_index_make(-1, 1), T;
    sg_expr *s, *e;
    (void)state;
    make_pieces(&p);
    c = p.ctx;
    T = sg_index_make(p.T, 0);
    assert_int_equal(sg_sym_get(c, sg_seq_get(c, p.x)->sym)->seq, p.x);
    assert_int_equal(sg_sym_get(c, 0)->seq, p.x);
    assert_int_equal(sg_sym_find(c, "a"), 1);
    assert_int_equal(sg_sym_get(c, 1)->seq, -1);
    /* leaves are one node per (sequence, offset) and per (sequence, index) */
    assert_ptr_equal(sg_seqstep(c, p.h, -1), sg_seqstep(c, p.h, -1));
    assert_ptr_not_equal(sg_seqstep(c, p.h, -1), sg_seqstep(c, p.h, 0));
    assert_ptr_not_equal(sg_seqstep(c, p.h, 0), sg_seqstep(c, p.x, 0));
    assert_ptr_equal(sg_at(c, p.h, T), sg_at(c, p.h, T));
    assert_ptr_not_equal(sg_at(c, p.h, T), sg_at(c, p.h, sg_index_plus(T, -1)));
    assert_ptr_not_equal(sg_at(c, p.h, one), sg_at(c, p.x, one));
    /* the range is part of a Σ */
    s = sg_seqsum(c, sg_seqstep(c, p.h, 0), one, T);
    assert_int_equal(s->op, SG_OP_SEQSUM);
    assert_ptr_equal(s, sg_seqsum(c, sg_seqstep(c, p.h, 0), one, T));
    assert_ptr_not_equal(s, sg_seqsum(c, sg_seqstep(c, p.h, 0), sg_index_make(-1, 2), T));
    /* only nodes under a STEP, outside a Σ, vary with t */
    assert_true(sg_expr_varies(p.body));
    assert_false(sg_expr_varies(s));
    assert_false(sg_expr_varies(sg_at(c, p.h, T)));
    assert_false(sg_expr_varies(p.a));
    assert_true(sg_op_is_seq(SG_OP_SEQSUM) && !sg_op_is_seq(SG_OP_STEP));
    /* Σ c·B = c·Σ B; Σ 0 = 0; an invariant body is scaled by the length */
    e = sg_seqsum(c, sg_mul(c, sg_const(c, 3), sg_seqstep(c, p.h, 0)), one, T);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[1], s);
    assert_true(sg_expr_is_zero(sg_seqsum(c, sg_const(c, 0), one, T)));
    e = sg_seqsum(c, p.a, sg_index_make(-1, 2), sg_index_make(-1, 4));
    assert_ptr_equal(e, sg_mul(c, sg_const(c, 3), p.a));
    e = sg_seqsum(c, p.a, one, T);
    assert_ptr_equal(e, sg_mul(c, sg_dimval(c, p.T), p.a));
    e = sg_seqsum(c, p.a, sg_index_make(-1, 3), T); /* T − 2 could be negative */
    assert_int_equal(e->op, SG_OP_SEQSUM);
    /* rewriting: a shift moves every STEP, but not the steps of an inner Σ */
    e = sg_expr_shift(c, sg_add(c, p.body, s), 1);
    assert_ptr_equal(e, sg_add(c, sg_add(c, sg_mul(c, p.a, sg_seqstep(c, p.h, 0)),
                                         sg_seqstep(c, p.x, 1)),
                               s));
    assert_ptr_equal(sg_expr_shift(c, p.a, 5), p.a);
    e = sg_expr_replace(c, sg_mul(c, p.body, p.body), p.body, sg_seqstep(c, p.h, 0));
    assert_ptr_equal(e, sg_mul(c, sg_seqstep(c, p.h, 0), sg_seqstep(c, p.h, 0)));
    assert_string_equal(sg_index_str(c, sg_index_plus(T, -1), 0), "T − 1");
    assert_string_equal(sg_index_str(c, sg_index_plus(T, 2), 1), "T + 2");
    assert_string_equal(sg_index_str(c, sg_index_make(-1, 0), 0), "0");
    assert_true(sg_index_provably_le(one, T));
    assert_false(sg_index_provably_le(sg_index_make(-1, 2), T));
    assert_true(sg_index_provably_le(sg_index_plus(T, -1), T));
    assert_false(sg_index_provably_le(T, sg_index_make(-1, 5)));
    sg_ctx_free(c);
}

static void test_eval_by_hand(void **state)
{
    pieces p;
    sg_ctx *c;
    static const double x[] = {1, 2, 3}, a = 2, h0 = 1;
    sg_index T;
    sg_eval *ev;
    const double *v;
    (void)state;
    make_pieces(&p);
    c = p.ctx;
    T = sg_index_make(p.T, 0);
    p.dims[p.T] = 3;
    p.syms[0] = x;
    p.syms[1] = &a;
    p.syms[2] = &h0;
    ev = sg_eval_new(c, p.dims, p.syms);
    /* h = 1, 3, 8, 19 */
    v = sg_eval_expr(ev, sg_at(c, p.h, T));
    assert_non_null(v);
    assert_true(v[0] == 19);
    v = sg_eval_expr(ev, sg_at(c, p.h, sg_index_make(-1, 0)));
    assert_true(v[0] == 1);
    v = sg_eval_expr(ev, sg_seqsum(c, sg_seqstep(c, p.h, 0), sg_index_make(-1, 1), T));
    assert_true(v[0] == 30);
    v = sg_eval_expr(ev, sg_seqsum(c, sg_mul(c, sg_seqstep(c, p.h, -1), sg_seqstep(c, p.x, 0)),
                                    sg_index_make(-1, 2), T));
    assert_true(v[0] == 3 * 2 + 8 * 3);
    v = sg_eval_expr(ev, sg_at(c, p.x, sg_index_make(-1, 2)));
    assert_true(v[0] == 2);
    /* a step has no value outside a loop */
    assert_null(sg_eval_expr(ev, p.body));
    sg_eval_free(ev);
    sg_ctx_free(c);
}

/* a body's STEP leaves are ordinary leaves to sg_diff_grad */
/* ---- gradients with respect to an input sequence (∂L/∂x[t]) ------------- */

/* the adjoint of input x that result cname holds: a sequence over x's steps */
static const sg_seq *input_adjoint(const run_t *r, const char *cname, const char *x)
{
    int q = sg_result_seq(result(r, cname));
    const sg_seq *d, *in = seq_named(r, x);
    assert_true(q >= 0);
    d = sg_seq_get(r->p->ctx, q);
    assert_int_equal(d->kind, SG_SEQ_BACKWARD);
    assert_string_equal(sg_seq_get(r->p->ctx, d->of)->name, x);
    assert_true(sg_index_eq(sg_seq_first(r->p->ctx, q), in->lo) && sg_index_eq(d->hi, in->hi));
    assert_true(sg_expr_is_zero(d->body)); /* terms only */
    return d;
}

/* saliency: ∂L/∂x[t] through the step h[t] = tanh(W_hh h[t−1] + W_xh x[t]) */
static void test_wrt_input_rnn(void **state)
{
    static const char text[] = "x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0 ∈ ℝ^n\n"
                               "W_hh ∈ ℝ^{n×n}\nW_xh ∈ ℝ^{n×k}\nW_y ∈ ℝ^{p×n}\n"
                               "h[0] = h0\n"
                               "h[t] = tanh(W_hh h[t−1] + W_xh x[t]) for t = 1..T\n"
                               "L = Σ_{t=1}^{T} ½‖W_y h[t] − y[t]‖²\n"
                               "grad L wrt x, W_hh\n";
    run_t *r = load(text, "T=5 k=3 p=2 n=4");
    const sg_seq *d = input_adjoint(r, "dL_dx", "x");
    (void)state;
    /* one term from the step body, at every step, reading δh[t] */
    assert_int_equal(d->nterms, 1);
    assert_true(contains(r, d->terms[0].value, SG_OP_SEQSTEP, "δh", 0));
    assert_int_equal(check_grads(r), 5 * 3 + 16);
    done(r);
    r = load(text, "T=1 k=2 p=2 n=3");
    assert_int_equal(check_grads(r), 2 + 9);
    done(r);
}

/* CS224n negative sampling: ∂J/∂u[k] = σ(u[k]ᵀv_c)v_c */
static void test_wrt_input_negative_sampling(void **state)
{
    run_t *r = load("v_c ∈ ℝ^d\nu_o ∈ ℝ^d\nu[k] ∈ ℝ^d for k = 1..K\n"
                    "J = −log(σ(u_oᵀv_c)) − Σ_{k=1}^{K} log(σ(−u[k]ᵀv_c))\n"
                    "grad J wrt v_c, u_o, u\n",
                    "d=3 K=4");
    const sg_seq *d = input_adjoint(r, "dJ_du", "u");
    (void)state;
    assert_int_equal(d->nterms, 1);
    assert_true(sg_index_eq(d->terms[0].lo, sg_index_make(-1, 1)));
    assert_true(contains(r, d->terms[0].value, SG_OP_SIGMOID, NULL, 0));
    assert_int_equal(check_grads(r), 3 + 3 + 4 * 3);
    done(r);
}

/* fixed steps land at their steps only; a step read by a Σ and an AT gets
   both; T = 1 makes x[1] and x[T] one step */
static void test_wrt_input_fixed_steps(void **state)
{
    static const char text[] = "x[t] ∈ ℝ^k for t = 1..T\nc ∈ ℝ^k\n"
                               "L = ‖x[T]‖² + x[1]ᵀx[1] + Σ_{t=1}^{T} cᵀx[t]\n"
                               "grad L wrt x\n";
    run_t *r = load(text, "T=4 k=2");
    const sg_seq *d = input_adjoint(r, "dL_dx", "x");
    (void)state;
    assert_int_equal(d->nterms, 3);
    assert_int_equal(check_grads(r), 4 * 2);
    done(r);
    r = load(text, "T=1 k=3");
    assert_int_equal(check_grads(r), 3);
    done(r);
}

/* x read one step back, by a Σ and by a step, moves the terms one step
   earlier; x[0] is read by no step but by an AT */
static void test_wrt_input_shifted(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 0..T\na ∈ ℝ^k\nh0 ∈ ℝ^n\n"
                    "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + U x[t−1]) for t = 1..T\n"
                    "L = sum(h[T]) + Σ_{t=2}^{T} aᵀx[t−1] + ‖x[0]‖²\n"
                    "grad L wrt x, a\n",
                    "T=4 k=2 n=3");
    const sg_seq *d = input_adjoint(r, "dL_dx", "x");
    int k, shifted = 0;
    (void)state;
    for (k = 0; k < d->nterms; k++) /* the step's term covers 0..T − 1 */
        shifted |= sg_index_eq(d->terms[k].lo, sg_index_make(-1, 0)) &&
                   sg_index_eq(d->terms[k].hi, sg_index_plus(d->hi, -1));
    assert_true(shifted);
    assert_int_equal(check_grads(r), 5 * 2 + 2);
    done(r);
}

/* an input L does not read: every step 0 */
static void test_wrt_input_unread(void **state)
{
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\nc ∈ ℝ^k\nL = cᵀc\ngrad L wrt x\n",
                    "T=3 k=2");
    const sg_seq *d = input_adjoint(r, "dL_dx", "x");
    (void)state;
    assert_int_equal(d->nterms, 0);
    assert_int_equal(check_grads(r), 3 * 2);
    done(r);
}

static void test_grad_wrt_step(void **state)
{
    pieces p;
    sg_ctx *c;
    sg_expr *wrt[3], *out[3];
    static const double x[] = {1, 2, 3}, a = 2, h0 = 1, want[] = {32, 48, 16};
    sg_index two = sg_index_make(-1, 2);
    sg_eval *ev;
    int i;
    (void)state;
    make_pieces(&p);
    c = p.ctx;
    p.dims[p.T] = 3;
    p.syms[0] = x;
    p.syms[1] = &a;
    p.syms[2] = &h0;
    wrt[0] = sg_seqstep(c, p.h, -1);
    wrt[1] = p.a;
    wrt[2] = sg_seqstep(c, p.x, 0);
    /* f = (a h[t−1] + x[t])² at t = 2, where h[1] = 3, x[2] = 2, f′ = 8:
       ∂f/∂h[t−1] = 2·8·a, ∂f/∂a = 2·8·h[t−1], ∂f/∂x[t] = 2·8 */
    sg_diff_grad(c, sg_mul(c, p.body, p.body), 3, wrt, out, NULL);
    ev = sg_eval_new(c, p.dims, p.syms);
    for (i = 0; i < 3; i++) {
        const double *v = sg_eval_expr(ev, sg_seqsum(c, out[i], two, two));
        assert_non_null(v);
        assert_true(v[0] == want[i]);
    }
    sg_eval_free(ev);
    /* and an AT leaf is a node like any: its direct uses only */
    wrt[0] = sg_at(c, p.h, sg_index_make(p.T, 0));
    sg_diff_grad(c, sg_mul(c, p.a, wrt[0]), 1, wrt, out, NULL);
    assert_ptr_equal(out[0], p.a);
    sg_ctx_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance_rnn),
        cmocka_unit_test(test_closed_form),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_vanilla),
        cmocka_unit_test(test_last_step_loss),
        cmocka_unit_test(test_leaky),
        cmocka_unit_test(test_sub_range),
        cmocka_unit_test(test_one_step),
        cmocka_unit_test(test_empty_range),
        cmocka_unit_test(test_long_sequence),
        cmocka_unit_test(test_two_recurrences),
        cmocka_unit_test(test_stacked),
        cmocka_unit_test(test_shared_step),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_invariant_sum),
        cmocka_unit_test(test_sum_in_step),
        cmocka_unit_test(test_interning),
        cmocka_unit_test(test_eval_by_hand),
        cmocka_unit_test(test_grad_wrt_step),
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_per_step),
        cmocka_unit_test(test_wrt_input_rnn),
        cmocka_unit_test(test_wrt_input_negative_sampling),
        cmocka_unit_test(test_wrt_input_fixed_steps),
        cmocka_unit_test(test_wrt_input_shifted),
        cmocka_unit_test(test_wrt_input_unread),
    };
    return cmocka_run_group_tests_name("seq", tests, NULL, NULL);
}
