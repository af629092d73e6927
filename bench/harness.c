/*
 * bench/harness.c: times the C implementations of every benchmark problem.
 *
 *   harness OUTDIR [PROBLEM...]
 *
 * For each problem and size: fills the inputs deterministically, runs the
 * generated code (symgrad), the plain hand-written C (bench/baselines) and the
 * OpenBLAS version (bench/blas), checks that every implementation agrees with
 * the generated code (normwise relative difference ≤ 1e-9 on every output)
 * and only then times each one, value alone (gradient pointers NULL) and value
 * with gradients. A measurement is the median over BENCH_BATCHES (default 5)
 * batches of the per-call time of a batch; a batch repeats the call until it
 * lasts at least BENCH_MIN_BATCH seconds (default 0.2), after one untimed
 * call. The implementations of a problem and size take turns batch by batch
 * (time_impls), so that a drift of the machine falls on all of them. Also
 * measures the memory bandwidth (STREAM copy and triad) in the same run.
 *
 * Writes OUTDIR/c_results.tsv (lines: time, check, bw, bound, note) and, for
 * bench/torch_bench.py, OUTDIR/data/<problem>_<size>.{meta,bin}: the inputs and
 * the generated code's outputs.
 *
 * Which parts exist is decided at compile time by bench/run.sh:
 * HAVE_AE, HAVE_MLP, HAVE_MLPB, HAVE_GP (symgrad generated the problem),
 * HAVE_MLPB_BLAS (symgrad --blas worked), HAVE_BLAS (OpenBLAS is installed),
 * HAVE_AE_DIM, HAVE_MLP_DIM (symgrad --dim for the tiny sizes: every dimension
 * fixed when generating, prefixes ae_dim and mlp_dim; timed as symgrad_dim),
 * HAVE_QFH, HAVE_LRH, HAVE_MFH (the Hessians of bench/problems/NAME_hess.sg,
 * timed as mode "hess": the Hessian alone), HAVE_GEMM, HAVE_GEMMNT (one product
 * P = AB or ABᵀ, bench/problems/gemm*.sg, timed as mode "prod").
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baselines/baselines.h"
#if HAVE_BLAS
#include "blas/blas_impl.h"
#endif
#if HAVE_AE
#include "autoencoder.h"
#endif
#if HAVE_AE_DIM
#include "ae_dim.h"
#endif
#if HAVE_MLP
#include "mlp_swish.h"
#endif
#if HAVE_MLP_DIM
#include "mlp_dim.h"
#endif
#if HAVE_MLPB
#include "mlp_batch.h"
#endif
#if HAVE_MLPB_BLAS
#include "mlp_batch_blas.h"
#endif
#if HAVE_GP
#include "gp_loglik.h"
#endif

#define MAXA 8
#define MAXI 4
#define TOL 1e-9

typedef struct problem problem;
/* out[0] is the value L; out[1..] the gradients, all NULL for the value alone */
typedef int (*eval_fn)(const problem *p, double *const *out, void *work);
typedef size_t (*work_fn)(const problem *p); /* bytes */

typedef struct {
    const char *name; /* symgrad, symgrad_blas, symgrad_dim, hand, blas */
    eval_fn eval;
    work_fn work;
} impl;

struct problem {
    const char *name;
    char size[64];
    double xsize; /* the abscissa of the plot */
    long d[4];
    int nin;
    const char *in_name[MAXA];
    size_t in_len[MAXA];
    double *in[MAXA];
    int nout;
    const char *out_name[MAXA];
    size_t out_len[MAXA];
    int nimpl;
    impl impls[MAXI];
    /* NULL for a gradient problem (out[0] is L, timed as "value" and "grad");
     * else the one mode ("hess", "prod") in which every output is computed and
     * timed, and there is no value alone (out[0] is the Hessian or product) */
    const char *mode;
};

static FILE *tsv;
static double min_batch = 0.2;
static int nbatches = 5;

/* ---- utilities --------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xalloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = 64;
    bytes = (bytes + 63) / 64 * 64;
    if (posix_memalign(&p, 64, bytes) != 0) {
        fprintf(stderr, "harness: out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    memset(p, 0, bytes);
    return p;
}

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(const char *s, int k)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    rng_state = h + (uint64_t)k * 0x632be59bd9b4e019ull;
}

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static double *add_in(problem *p, const char *name, size_t len, double lo, double hi)
{
    int k = p->nin++;
    size_t i;
    p->in_name[k] = name;
    p->in_len[k] = len;
    p->in[k] = xalloc(sizeof(double) * len);
    rng_seed(p->name, k);
    for (i = 0; i < len; i++)
        p->in[k][i] = uniform(lo, hi);
    return p->in[k];
}

/* a rows×cols matrix whose columns are one-hot (a vector when cols = 1) */
static void add_onehot(problem *p, const char *name, long rows, long cols)
{
    double *y = add_in(p, name, (size_t)(rows * cols), 0, 0);
    long j;
    for (j = 0; j < cols; j++)
        y[(long)(rng_next() % (uint64_t)rows) * cols + j] = 1.0;
}

static void add_out(problem *p, const char *name, size_t len)
{
    p->out_name[p->nout] = name;
    p->out_len[p->nout] = len;
    p->nout++;
}

static void add_impl(problem *p, const char *name, eval_fn eval, work_fn work)
{
    p->impls[p->nimpl].name = name;
    p->impls[p->nimpl].eval = eval;
    p->impls[p->nimpl].work = work;
    p->nimpl++;
}

/* normwise relative difference max|a−b| / max|b|; NaN (or an output left
 * unwritten, which stays NaN) gives +inf */
static double reldiff(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (d != d)
            return INFINITY;
        if (d > num)
            num = d;
        if (fabs(b[i]) > den)
            den = fabs(b[i]);
    }
    if (den == 0)
        return num == 0 ? 0 : INFINITY;
    return num / den;
}

static void fill_nan(double **o, const problem *p)
{
    int k;
    size_t i;
    for (k = 0; k < p->nout; k++)
        for (i = 0; i < p->out_len[k]; i++)
            o[k][i] = NAN;
}

/* ---- timing ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the calls of a batch of im: enough for it to last at least min_batch seconds */
static long calibrate(const problem *p, const impl *im, double *const *o, void *w)
{
    double t0, dt;
    long calls = 1, c;
    im->eval(p, o, w); /* warm-up */
    for (;;) {
        t0 = now();
        for (c = 0; c < calls; c++)
            im->eval(p, o, w);
        dt = now() - t0;
        if (dt >= min_batch)
            return calls;
        if (dt < min_batch / 100)
            calls *= 10;
        else
            calls = (long)(calls * (min_batch * 1.1 / dt)) + 1;
    }
}

/* the per-call time of one batch of im, after one untimed call: the batch
   before it was another implementation's, whose data the caches now hold */
static double batch_time(const problem *p, const impl *im, double *const *o, void *w,
                         long calls)
{
    double t0;
    long c;
    im->eval(p, o, w);
    t0 = now();
    for (c = 0; c < calls; c++)
        im->eval(p, o, w);
    return (now() - t0) / (double)calls;
}

/*
 * Times every implementation of p that checked ok (ok[i]) in one mode (its
 * outputs o[i]), the batches interleaved: round b runs one batch of each, in
 * an order that turns by one each round, so that every implementation meets
 * the same states of a shared machine (which drifts by ±20% over minutes) and
 * none is always first. Writes a time line per implementation: the median,
 * least and largest of its batches.
 */
static void time_impls(const problem *p, const int *ok, double *o[MAXI][MAXA], void **w,
                       const char *mode)
{
    double t[MAXI][64];
    long calls[MAXI];
    int b, j, i, nb = nbatches > 64 ? 64 : nbatches;
    for (i = 0; i < p->nimpl; i++)
        if (ok[i])
            calls[i] = calibrate(p, &p->impls[i], o[i], w[i]);
    for (b = 0; b < nb; b++)
        for (j = 0; j < p->nimpl; j++) {
            i = (b + j) % p->nimpl;
            if (ok[i])
                t[i][b] = batch_time(p, &p->impls[i], o[i], w[i], calls[i]);
        }
    for (i = 0; i < p->nimpl; i++) {
        double med;
        if (!ok[i])
            continue;
        qsort(t[i], (size_t)nb, sizeof t[i][0], cmp_double);
        med = nb % 2 ? t[i][nb / 2] : 0.5 * (t[i][nb / 2 - 1] + t[i][nb / 2]);
        fprintf(tsv, "time\t%s\t%s\t%.17g\t%s\t%s\t%.6e\t%.6e\t%.6e\t%ld\t%d\n", p->name,
                p->size, p->xsize, p->impls[i].name, mode, med, t[i][0], t[i][nb - 1], calls[i],
                nb);
        fflush(tsv);
        fprintf(stderr, "  time  %-12s %-10s %-13s %-5s %.4e s  (%ld calls x %d)\n", p->name,
                p->size, p->impls[i].name, mode, med, calls[i], nb);
    }
}

/* ---- the driver -------------------------------------------------------- */

static void write_data(const char *dir, const problem *p, double *const *ref)
{
    char path[4096];
    FILE *f;
    int k;
    snprintf(path, sizeof path, "%s/data/%s_%s.meta", dir, p->name, p->size);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "problem %s\nsize %s\nxsize %.17g\n", p->name, p->size, p->xsize);
    for (k = 0; k < 4; k++)
        fprintf(f, "dim %ld\n", p->d[k]);
    for (k = 0; k < p->nin; k++)
        fprintf(f, "in %s %zu\n", p->in_name[k], p->in_len[k]);
    for (k = 0; k < p->nout; k++)
        fprintf(f, "out %s %zu\n", p->out_name[k], p->out_len[k]);
    fclose(f);
    snprintf(path, sizeof path, "%s/data/%s_%s.bin", dir, p->name, p->size);
    f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    for (k = 0; k < p->nin; k++)
        fwrite(p->in[k], sizeof(double), p->in_len[k], f);
    for (k = 0; k < p->nout; k++)
        fwrite(ref[k], sizeof(double), p->out_len[k], f);
    fclose(f);
}

static void run_problem(const char *dir, problem *p)
{
    double *o[MAXI][MAXA], *vo[MAXA]; /* full outputs per impl; value-only views */
    void *w[MAXI];
    int ok[MAXI];
    int i, k, rc;

    for (i = 0; i < p->nimpl; i++) {
        for (k = 0; k < p->nout; k++)
            o[i][k] = xalloc(sizeof(double) * p->out_len[k]);
        w[i] = xalloc(p->impls[i].work(p));
    }

    /* the reference: the generated code (impls[0]) */
    fill_nan(o[0], p);
    rc = p->impls[0].eval(p, o[0], w[0]);
    if (rc != 0) {
        fprintf(tsv, "check\t%s\t%s\t%s\tinf\tERROR\treturned %d\n", p->name, p->size,
                p->impls[0].name, rc);
        fprintf(stderr, "  %s %s: %s returned %d, problem skipped\n", p->name, p->size,
                p->impls[0].name, rc);
        goto done;
    }
    write_data(dir, p, o[0]);

    /* check every implementation, value + gradients and value alone */
    for (i = 0; i < p->nimpl; i++) {
        double worst = 0, r, Lfull;
        const char *worst_name = "-";
        char detail[256];
        if (i > 0) {
            fill_nan(o[i], p);
            rc = p->impls[i].eval(p, o[i], w[i]);
        } else
            rc = 0;
        for (k = 0; rc == 0 && k < p->nout; k++) {
            r = reldiff(o[i][k], o[0][k], p->out_len[k]);
            if (!(r <= worst)) {
                worst = r;
                worst_name = p->out_name[k];
            }
        }
        if (p->mode) { /* no value alone: every output at once */
            ok[i] = rc == 0 && worst <= TOL;
            if (rc != 0)
                snprintf(detail, sizeof detail, "returned %d", rc);
            else
                snprintf(detail, sizeof detail, "worst output %s", worst_name);
            fprintf(tsv, "check\t%s\t%s\t%s\t%.3g\t%s\t%s\n", p->name, p->size,
                    p->impls[i].name, rc ? INFINITY : worst, ok[i] ? "ok" : "MISMATCH", detail);
            fflush(tsv);
            fprintf(stderr, "  check %-12s %-10s %-13s rel %.2e %s\n", p->name, p->size,
                    p->impls[i].name, rc ? INFINITY : worst,
                    ok[i] ? "ok" : "MISMATCH (not timed)");
            continue;
        }
        /* the value alone must give the same L */
        Lfull = o[i][0][0];
        vo[0] = o[i][0];
        for (k = 1; k < p->nout; k++)
            vo[k] = NULL;
        o[i][0][0] = NAN;
        if (rc == 0)
            rc = p->impls[i].eval(p, vo, w[i]);
        if (rc == 0) {
            r = reldiff(o[i][0], &Lfull, 1);
            if (!(r <= worst)) {
                worst = r;
                worst_name = "L (value alone)";
            }
        }
        o[i][0][0] = Lfull;
        ok[i] = rc == 0 && worst <= TOL;
        if (rc != 0)
            snprintf(detail, sizeof detail, "returned %d", rc);
        else
            snprintf(detail, sizeof detail, "worst output %s", worst_name);
        fprintf(tsv, "check\t%s\t%s\t%s\t%.3g\t%s\t%s\n", p->name, p->size, p->impls[i].name,
                rc ? INFINITY : worst, ok[i] ? "ok" : "MISMATCH", detail);
        fflush(tsv);
        fprintf(stderr, "  check %-12s %-10s %-13s rel %.2e %s\n", p->name, p->size,
                p->impls[i].name, rc ? INFINITY : worst, ok[i] ? "ok" : "MISMATCH (not timed)");
    }

    /* time, the implementations interleaved (time_impls): every output, or
       the value alone (the gradients' pointers NULL) and then everything */
    if (p->mode)
        time_impls(p, ok, o, w, p->mode);
    else {
        double *v[MAXI][MAXA];
        for (i = 0; i < p->nimpl; i++) {
            v[i][0] = o[i][0];
            for (k = 1; k < p->nout; k++)
                v[i][k] = NULL;
        }
        time_impls(p, ok, v, w, "value");
        time_impls(p, ok, o, w, "grad");
    }

done:
    for (i = 0; i < p->nimpl; i++) {
        for (k = 0; k < p->nout; k++)
            free(o[i][k]);
        free(w[i]);
    }
    for (k = 0; k < p->nin; k++)
        free(p->in[k]);
}

/* ---- memory bandwidth: STREAM copy and triad --------------------------- */

static void stream(void)
{
    const char *e = getenv("BENCH_STREAM_MB");
    size_t n = (size_t)(e ? atol(e) : 256) * 1024 * 1024 / sizeof(double), i;
    double *a = xalloc(n * sizeof(double)), *b = xalloc(n * sizeof(double)),
           *c = xalloc(n * sizeof(double));
    double best_copy = 1e30, best_triad = 1e30, best_read = 1e30, best_read4 = 1e30, t0, dt,
           s = 0;
    int rep;
    for (i = 0; i < n; i++) {
        a[i] = 1.0;
        b[i] = 2.0;
        c[i] = 0.0;
    }
    for (rep = 0; rep < 10; rep++) {
        t0 = now();
        for (i = 0; i < n; i++)
            c[i] = a[i];
        dt = now() - t0;
        if (dt < best_copy)
            best_copy = dt;
        t0 = now();
        for (i = 0; i < n; i++)
            a[i] = b[i] + 3.0 * c[i];
        dt = now() - t0;
        if (dt < best_triad)
            best_triad = dt;
        t0 = now();
        {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (i = 0; i + 3 < n; i += 4) {
                s0 += a[i];
                s1 += a[i + 1];
                s2 += a[i + 2];
                s3 += a[i + 3];
            }
            s += s0 + s1 + s2 + s3;
        }
        dt = now() - t0;
        if (dt < best_read)
            best_read = dt;
        /* the same sum, the array read as four quarters side by side: more reads in
           flight (the generated code reads four rows of a matrix so, sg_dot4) */
        t0 = now();
        {
            const size_t q = n / 4;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (i = 0; i < q; i++) {
                s0 += a[i];
                s1 += a[q + i];
                s2 += a[2 * q + i];
                s3 += a[3 * q + i];
            }
            s += s0 + s1 + s2 + s3;
        }
        dt = now() - t0;
        if (dt < best_read4)
            best_read4 = dt;
    }
    /* STREAM's byte counts: copy 16, triad 24 bytes per element (no write-allocate) */
    fprintf(tsv, "bw\tcopy\t%.6e\n", 16.0 * (double)n / best_copy);
    fprintf(tsv, "bw\ttriad\t%.6e\n", 24.0 * (double)n / best_triad);
    fprintf(tsv, "bw\tread\t%.6e\n", 8.0 * (double)n / best_read);
    fprintf(tsv, "bw\tread4\t%.6e\n", 8.0 * (double)(n / 4 * 4) / best_read4);
    fprintf(tsv, "bw\tarray_mb\t%zu\n", n * sizeof(double) / (1024 * 1024));
    fprintf(stderr,
            "  stream: copy %.2f GB/s, triad %.2f GB/s, read %.2f GB/s, read in 4 streams %.2f "
            "GB/s (check %g)\n",
            16e-9 * (double)n / best_copy, 24e-9 * (double)n / best_triad,
            8e-9 * (double)n / best_read, 8e-9 * (double)(n / 4 * 4) / best_read4,
            s > 0 ? 1.0 : 0.0);
    free(a);
    free(b);
    free(c);
}

/* ---- the problems ------------------------------------------------------ */

#if HAVE_AE
/* autoencoder: d = {m, n}; in W, x; out L, dL_dW, dL_dx */
static size_t hand_ae_work(const problem *p)
{
    return sizeof(double) * hand_autoencoder_work(p->d[0], p->d[1]);
}
static int hand_ae(const problem *p, double *const *o, void *w)
{
    return hand_autoencoder(p->d[0], p->d[1], p->in[0], p->in[1], o[0], o[1], o[2], w);
}
#if HAVE_BLAS
static size_t blas_ae_work(const problem *p)
{
    return sizeof(double) * blas_autoencoder_work(p->d[0], p->d[1]);
}
static int blas_ae(const problem *p, double *const *o, void *w)
{
    return blas_autoencoder(p->d[0], p->d[1], p->in[0], p->in[1], o[0], o[1], o[2], w);
}
#endif
/* the generated interface for prefix P (autoencoder, and ae_dim from symgrad --dim) */
#define SG_AE(P)                                                                            \
    static size_t sg_##P##_work(const problem *p)                                          \
    {                                                                                       \
        P##_dims d = {.m = p->d[0], .n = p->d[1]};                                          \
        return P##_work_size(&d);                                                           \
    }                                                                                       \
    static int sg_##P(const problem *p, double *const *o, void *w)                          \
    {                                                                                       \
        P##_dims d = {.m = p->d[0], .n = p->d[1]};                                          \
        P##_in in = {.W = p->in[0], .x = p->in[1]};                                         \
        P##_out out = {.L = o[0], .dL_dW = o[1], .dL_dx = o[2]};                            \
        return P##_eval(&d, &in, &out, w);                                                  \
    }
SG_AE(autoencoder)
#if HAVE_AE_DIM
SG_AE(ae_dim)
#endif

static void problem_ae(const char *dir, long m, long n)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "autoencoder";
    snprintf(p.size, sizeof p.size, "%ldx%ld", m, n);
    p.xsize = (double)m * (double)n;
    p.d[0] = m;
    p.d[1] = n;
    add_in(&p, "W", (size_t)(m * n), -1.0 / sqrt((double)n), 1.0 / sqrt((double)n));
    add_in(&p, "x", (size_t)n, -1.0, 1.0);
    add_out(&p, "L", 1);
    add_out(&p, "dL_dW", (size_t)(m * n));
    add_out(&p, "dL_dx", (size_t)n);
    add_impl(&p, "symgrad", sg_autoencoder, sg_autoencoder_work);
#if HAVE_AE_DIM
    if (m == TINY_AE_M && n == TINY_AE_N) /* the size it was generated for */
        add_impl(&p, "symgrad_dim", sg_ae_dim, sg_ae_dim_work);
#endif
    add_impl(&p, "hand", hand_ae, hand_ae_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_ae, blas_ae_work);
#endif
    if (m >= 1024) {
        /* the bytes it must move: W read once for the value. For the gradients W
         * is read twice: ∂L/∂W = W(xrᵀ + rxᵀ) needs r = WᵀWx − x, which needs all
         * of W, and W does not fit in the caches; then ∂L/∂W is written once
         * (24mn). 16mn (W read once) is kept for reference: no order of the
         * work reaches it while W is larger than the caches. */
        fprintf(tsv, "bound\t%s\t%s\tvalue\t%.17g\n", p.name, p.size, 8.0 * (double)(m * n));
        fprintf(tsv, "bound\t%s\t%s\tgrad\t%.17g\n", p.name, p.size, 24.0 * (double)(m * n));
        fprintf(tsv, "bound\t%s\t%s\tgrad_once\t%.17g\n", p.name, p.size,
                16.0 * (double)(m * n));
    }
    run_problem(dir, &p);
}
#endif

#if HAVE_MLP
/* mlp_swish: d = {D, H, C}; in x, W1, b1, W2, b2, y; out L, dL_dW1, dL_db1, dL_dW2, dL_db2 */
static size_t hand_mlp1_work(const problem *p)
{
    return sizeof(double) * hand_mlp_work(p->d[0], p->d[1], p->d[2]);
}
static int hand_mlp1(const problem *p, double *const *o, void *w)
{
    return hand_mlp(p->d[0], p->d[1], p->d[2], p->in[0], p->in[1], p->in[2], p->in[3],
                    p->in[4], p->in[5], o[0], o[1], o[2], o[3], o[4], w);
}
#if HAVE_BLAS
static size_t blas_mlp1_work(const problem *p)
{
    return sizeof(double) * blas_mlp_work(p->d[0], p->d[1], p->d[2]);
}
static int blas_mlp1(const problem *p, double *const *o, void *w)
{
    return blas_mlp(p->d[0], p->d[1], p->d[2], p->in[0], p->in[1], p->in[2], p->in[3],
                    p->in[4], p->in[5], o[0], o[1], o[2], o[3], o[4], w);
}
#endif
/* the generated interface for prefix P (mlp, and mlp_dim from symgrad --dim) */
#define SG_MLP(P)                                                                           \
    static size_t sg_##P##_work(const problem *p)                                          \
    {                                                                                       \
        P##_dims d = {.D = p->d[0], .H = p->d[1], .C = p->d[2]};                            \
        return P##_work_size(&d);                                                           \
    }                                                                                       \
    static int sg_##P(const problem *p, double *const *o, void *w)                          \
    {                                                                                       \
        P##_dims d = {.D = p->d[0], .H = p->d[1], .C = p->d[2]};                            \
        P##_in in = {.x = p->in[0], .W1 = p->in[1], .b1 = p->in[2], .W2 = p->in[3],         \
                     .b2 = p->in[4], .y = p->in[5]};                                        \
        P##_out out = {.L = o[0], .dL_dW1 = o[1], .dL_db1 = o[2], .dL_dW2 = o[3],           \
                       .dL_db2 = o[4]};                                                     \
        return P##_eval(&d, &in, &out, w);                                                  \
    }
SG_MLP(mlp)
#if HAVE_MLP_DIM
SG_MLP(mlp_dim)
#endif

static void problem_mlp(const char *dir, long D, long H, long C)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "mlp_swish";
    snprintf(p.size, sizeof p.size, "%ld-%ld-%ld", D, H, C);
    p.xsize = (double)(H * D + C * H);
    p.d[0] = D;
    p.d[1] = H;
    p.d[2] = C;
    add_in(&p, "x", (size_t)D, 0.0, 1.0);
    add_in(&p, "W1", (size_t)(H * D), -1.0 / sqrt((double)D), 1.0 / sqrt((double)D));
    add_in(&p, "b1", (size_t)H, -0.1, 0.1);
    add_in(&p, "W2", (size_t)(C * H), -1.0 / sqrt((double)H), 1.0 / sqrt((double)H));
    add_in(&p, "b2", (size_t)C, -0.1, 0.1);
    add_onehot(&p, "y", C, 1);
    add_out(&p, "L", 1);
    add_out(&p, "dL_dW1", (size_t)(H * D));
    add_out(&p, "dL_db1", (size_t)H);
    add_out(&p, "dL_dW2", (size_t)(C * H));
    add_out(&p, "dL_db2", (size_t)C);
    add_impl(&p, "symgrad", sg_mlp, sg_mlp_work);
#if HAVE_MLP_DIM
    if (D == TINY_MLP_D && H == TINY_MLP_H && C == TINY_MLP_C) /* the size it was generated for */
        add_impl(&p, "symgrad_dim", sg_mlp_dim, sg_mlp_dim_work);
#endif
    add_impl(&p, "hand", hand_mlp1, hand_mlp1_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_mlp1, blas_mlp1_work);
#endif
    run_problem(dir, &p);
}
#endif

#if HAVE_MLPB
/* mlp_batch: d = {D, H, C, N}; in X, Y, W1, b1, W2, b2; out L, dL_dW1, dL_db1, dL_dW2, dL_db2 */
static size_t hand_mlpb_work(const problem *p)
{
    return sizeof(double) * hand_mlp_batch_work(p->d[0], p->d[1], p->d[2], p->d[3]);
}
static int hand_mlpb(const problem *p, double *const *o, void *w)
{
    return hand_mlp_batch(p->d[0], p->d[1], p->d[2], p->d[3], p->in[0], p->in[1], p->in[2],
                          p->in[3], p->in[4], p->in[5], o[0], o[1], o[2], o[3], o[4], w);
}
#if HAVE_BLAS
static size_t blas_mlpb_work(const problem *p)
{
    return sizeof(double) * blas_mlp_batch_work(p->d[0], p->d[1], p->d[2], p->d[3]);
}
static int blas_mlpb(const problem *p, double *const *o, void *w)
{
    return blas_mlp_batch(p->d[0], p->d[1], p->d[2], p->d[3], p->in[0], p->in[1], p->in[2],
                          p->in[3], p->in[4], p->in[5], o[0], o[1], o[2], o[3], o[4], w);
}
#endif
/* the generated interface for prefix P (mlpb, and mlpb_blas from symgrad --blas) */
#define SG_MLPB(P)                                                                          \
    static size_t sg_##P##_work(const problem *p)                                          \
    {                                                                                       \
        P##_dims d = {.D = p->d[0], .H = p->d[1], .C = p->d[2], .N = p->d[3]};              \
        return P##_work_size(&d);                                                           \
    }                                                                                       \
    static int sg_##P(const problem *p, double *const *o, void *w)                          \
    {                                                                                       \
        P##_dims d = {.D = p->d[0], .H = p->d[1], .C = p->d[2], .N = p->d[3]};              \
        P##_in in = {.X = p->in[0], .Y = p->in[1], .W1 = p->in[2], .b1 = p->in[3],          \
                     .W2 = p->in[4], .b2 = p->in[5]};                                       \
        P##_out out = {.L = o[0], .dL_dW1 = o[1], .dL_db1 = o[2], .dL_dW2 = o[3],           \
                       .dL_db2 = o[4]};                                                     \
        return P##_eval(&d, &in, &out, w);                                                  \
    }
SG_MLPB(mlpb)
#if HAVE_MLPB_BLAS
SG_MLPB(mlpb_blas)
#endif

static void problem_mlpb(const char *dir, long D, long H, long C, long N)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "mlp_batch";
    snprintf(p.size, sizeof p.size, "%ld-%ld-%ld_N%ld", D, H, C, N);
    p.xsize = (double)(H * D + C * H) * (double)N;
    p.d[0] = D;
    p.d[1] = H;
    p.d[2] = C;
    p.d[3] = N;
    add_in(&p, "X", (size_t)(D * N), 0.0, 1.0);
    add_onehot(&p, "Y", C, N);
    add_in(&p, "W1", (size_t)(H * D), -1.0 / sqrt((double)D), 1.0 / sqrt((double)D));
    add_in(&p, "b1", (size_t)H, -0.1, 0.1);
    add_in(&p, "W2", (size_t)(C * H), -1.0 / sqrt((double)H), 1.0 / sqrt((double)H));
    add_in(&p, "b2", (size_t)C, -0.1, 0.1);
    add_out(&p, "L", 1);
    add_out(&p, "dL_dW1", (size_t)(H * D));
    add_out(&p, "dL_db1", (size_t)H);
    add_out(&p, "dL_dW2", (size_t)(C * H));
    add_out(&p, "dL_db2", (size_t)C);
    add_impl(&p, "symgrad", sg_mlpb, sg_mlpb_work);
#if HAVE_MLPB_BLAS
    add_impl(&p, "symgrad_blas", sg_mlpb_blas, sg_mlpb_blas_work);
#endif
    add_impl(&p, "hand", hand_mlpb, hand_mlpb_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_mlpb, blas_mlpb_work);
#endif
    run_problem(dir, &p);
}
#endif

#if HAVE_GP
/* gp_loglik: d = {N, Q, D}; in X, Y, beta; out L, dL_dX, dL_dbeta */
static size_t hand_gp1_work(const problem *p)
{
    return sizeof(double) * hand_gp_work(p->d[0], p->d[1], p->d[2]);
}
static int hand_gp1(const problem *p, double *const *o, void *w)
{
    return hand_gp(p->d[0], p->d[1], p->d[2], p->in[0], p->in[1], p->in[2][0], o[0], o[1],
                   o[2], w);
}
#if HAVE_BLAS
static size_t blas_gp1_work(const problem *p)
{
    return sizeof(double) * blas_gp_work(p->d[0], p->d[1], p->d[2]);
}
static int blas_gp1(const problem *p, double *const *o, void *w)
{
    return blas_gp(p->d[0], p->d[1], p->d[2], p->in[0], p->in[1], p->in[2][0], o[0], o[1],
                   o[2], w);
}
#endif
static size_t sg_gp1_work(const problem *p)
{
    gp_dims d = {.N = p->d[0], .Q = p->d[1], .D = p->d[2]};
    return gp_work_size(&d);
}
static int sg_gp1(const problem *p, double *const *o, void *w)
{
    gp_dims d = {.N = p->d[0], .Q = p->d[1], .D = p->d[2]};
    gp_in in = {.X = p->in[0], .Y = p->in[1], .beta = p->in[2]};
    gp_out out = {.L = o[0], .dL_dX = o[1], .dL_dbeta = o[2]};
    return gp_eval(&d, &in, &out, w);
}

static void problem_gp(const char *dir, long N, long Q, long D)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "gp_loglik";
    snprintf(p.size, sizeof p.size, "N%ld_Q%ld_D%ld", N, Q, D);
    p.xsize = (double)N;
    p.d[0] = N;
    p.d[1] = Q;
    p.d[2] = D;
    add_in(&p, "X", (size_t)(N * Q), -0.5, 0.5);
    add_in(&p, "Y", (size_t)(N * D), -1.0, 1.0);
    add_in(&p, "beta", 1, 1.0, 1.0);
    add_out(&p, "L", 1);
    add_out(&p, "dL_dX", (size_t)(N * Q));
    add_out(&p, "dL_dbeta", 1);
    add_impl(&p, "symgrad", sg_gp1, sg_gp1_work);
    add_impl(&p, "hand", hand_gp1, hand_gp1_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_gp1, blas_gp1_work);
#endif
    run_problem(dir, &p);
}
#endif

/* ---- Hessians (Laue, Mitterreiter and Giesen, NeurIPS 2018) and products --
 * These problems have one mode: every output computed at once, timed as
 * "hess" or "prod" (no value alone). The generated code is asked for the
 * Hessian alone (out.L = NULL), as torch.autograd.functional.hessian and the
 * NumPy closed form compute it. A "work" line gives what the GFLOP/s or GB/s
 * of the report count: "flops" (a closed form counted as the dense general
 * products it is: 2·N·D² for Xᵀdiag(d)X, 2mnk for a product) or "bytes" (the
 * output written: bandwidth work). */
static void work_line(const problem *p, const char *kind, double v)
{
    fprintf(tsv, "work\t%s\t%s\t%s\t%.17g\n", p->name, p->size, kind, v);
}

#if HAVE_QFH
#include "quadform_hess.h"
/* quadform_hess: d = {n}; in A, x; out H = A + Aᵀ */
static size_t sg_qfh_work(const problem *p)
{
    qfh_dims d = {.n = p->d[0]};
    return qfh_work_size(&d);
}
static int sg_qfh(const problem *p, double *const *o, void *w)
{
    qfh_dims d = {.n = p->d[0]};
    qfh_in in = {.A = p->in[0], .x = p->in[1]};
    qfh_out out = {.L = NULL, .d2L_dx2 = o[0]};
    return qfh_eval(&d, &in, &out, w);
}
static size_t no_work(const problem *p)
{
    (void)p;
    return 0;
}
static int hand_qfh(const problem *p, double *const *o, void *w)
{
    (void)w;
    return hand_quadform_hess(p->d[0], p->in[0], o[0]);
}
static void problem_qfh(const char *dir, long n)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "quadform_hess";
    p.mode = "hess";
    snprintf(p.size, sizeof p.size, "n%ld", n);
    p.xsize = (double)n;
    p.d[0] = n;
    add_in(&p, "A", (size_t)(n * n), -1.0, 1.0);
    add_in(&p, "x", (size_t)n, -1.0, 1.0);
    add_out(&p, "d2L_dx2", (size_t)(n * n));
    add_impl(&p, "symgrad", sg_qfh, sg_qfh_work);
    add_impl(&p, "hand", hand_qfh, no_work);
    work_line(&p, "bytes", 8.0 * (double)n * (double)n);
    run_problem(dir, &p);
}
#endif

#if HAVE_LRH
#include "logreg_hess.h"
/* logreg_hess: d = {N, D}; in X, y, w, lambda; out H = Xᵀdiag(p ⊙ (𝟙 − p))X/N + λI */
static size_t sg_lrh_work(const problem *p)
{
    lrh_dims d = {.N = p->d[0], .D = p->d[1]};
    return lrh_work_size(&d);
}
static int sg_lrh(const problem *p, double *const *o, void *w)
{
    lrh_dims d = {.N = p->d[0], .D = p->d[1]};
    lrh_in in = {.X = p->in[0], .y = p->in[1], .w = p->in[2], .lambda = p->in[3]};
    lrh_out out = {.L = NULL, .d2L_dw2 = o[0]};
    return lrh_eval(&d, &in, &out, w);
}
#if HAVE_BLAS
static size_t blas_lrh_work(const problem *p)
{
    return sizeof(double) * blas_logreg_hess_work(p->d[0], p->d[1]);
}
static int blas_lrh(const problem *p, double *const *o, void *w)
{
    return blas_logreg_hess(p->d[0], p->d[1], p->in[0], p->in[2], p->in[3][0], o[0], w);
}
#endif
static void problem_lrh(const char *dir, long N, long D, double lambda)
{
    problem p;
    double *y;
    long i;
    memset(&p, 0, sizeof p);
    p.name = "logreg_hess";
    p.mode = "hess";
    snprintf(p.size, sizeof p.size, "N%ld_D%ld", N, D);
    p.xsize = (double)N * (double)D * (double)D;
    p.d[0] = N;
    p.d[1] = D;
    add_in(&p, "X", (size_t)(N * D), -1.0, 1.0);
    y = add_in(&p, "y", (size_t)N, 0.0, 1.0);
    for (i = 0; i < N; i++) /* labels 0 and 1 */
        y[i] = y[i] < 0.5 ? 0.0 : 1.0;
    add_in(&p, "w", (size_t)D, -2.0 / sqrt((double)D), 2.0 / sqrt((double)D));
    add_in(&p, "lambda", 1, lambda, lambda);
    add_out(&p, "d2L_dw2", (size_t)(D * D));
    add_impl(&p, "symgrad", sg_lrh, sg_lrh_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_lrh, blas_lrh_work);
#endif
    work_line(&p, "flops", 2.0 * (double)N * (double)D * (double)D);
    run_problem(dir, &p);
}
#endif

#if HAVE_MFH
#include "mf_hess.h"
/* mf_hess: d = {m, k, n}; in T, U, V; out H = 2(I ⊗ VᵀV), (mk)×(mk) */
static size_t sg_mfh_work(const problem *p)
{
    mfh_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
    return mfh_work_size(&d);
}
static int sg_mfh(const problem *p, double *const *o, void *w)
{
    mfh_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
    mfh_in in = {.T = p->in[0], .U = p->in[1], .V = p->in[2]};
    mfh_out out = {.L = NULL, .d2L_dU2 = o[0]};
    return mfh_eval(&d, &in, &out, w);
}
#if HAVE_BLAS
static size_t blas_mfh_work(const problem *p)
{
    return sizeof(double) * blas_mf_hess_work(p->d[0], p->d[2], p->d[1]);
}
static int blas_mfh(const problem *p, double *const *o, void *w)
{
    return blas_mf_hess(p->d[0], p->d[2], p->d[1], p->in[2], o[0], w);
}
#endif
static void problem_mfh(const char *dir, long m, long k, long n)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "mf_hess";
    p.mode = "hess";
    snprintf(p.size, sizeof p.size, "m%ld_k%ld_n%ld", m, k, n);
    p.xsize = (double)(m * k) * (double)(m * k);
    p.d[0] = m;
    p.d[1] = k;
    p.d[2] = n;
    add_in(&p, "T", (size_t)(m * n), -1.0, 1.0);
    add_in(&p, "U", (size_t)(m * k), -1.0, 1.0);
    add_in(&p, "V", (size_t)(n * k), -1.0, 1.0);
    add_out(&p, "d2L_dU2", (size_t)(m * k) * (size_t)(m * k));
    add_impl(&p, "symgrad", sg_mfh, sg_mfh_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_mfh, blas_mfh_work);
#endif
    work_line(&p, "bytes", 8.0 * (double)(m * k) * (double)(m * k));
    run_problem(dir, &p);
}
#endif

#if HAVE_GEMM || HAVE_GEMMNT
/* gemm: d = {m, k, n, tb}; in A (m×k), B (k×n, or n×k when tb); out P = AB or ABᵀ */
#if HAVE_GEMM
#include "gemm.h"
#endif
#if HAVE_GEMMNT
#include "gemm_nt.h"
#endif
static size_t sg_gemm_work(const problem *p)
{
#if HAVE_GEMMNT
    if (p->d[3]) {
        gemmnt_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
        return gemmnt_work_size(&d);
    }
#endif
#if HAVE_GEMM
    {
        gemm_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
        return gemm_work_size(&d);
    }
#else
    return 0;
#endif
}
static int sg_gemm(const problem *p, double *const *o, void *w)
{
#if HAVE_GEMMNT
    if (p->d[3]) {
        gemmnt_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
        gemmnt_in in = {.A = p->in[0], .B = p->in[1]};
        gemmnt_out out = {.P = o[0]};
        return gemmnt_eval(&d, &in, &out, w);
    }
#endif
#if HAVE_GEMM
    {
        gemm_dims d = {.m = p->d[0], .k = p->d[1], .n = p->d[2]};
        gemm_in in = {.A = p->in[0], .B = p->in[1]};
        gemm_out out = {.P = o[0]};
        return gemm_eval(&d, &in, &out, w);
    }
#else
    return -1;
#endif
}
#if HAVE_BLAS
static size_t blas_gemm_work(const problem *p)
{
    (void)p;
    return 0;
}
static int blas_gemm1(const problem *p, double *const *o, void *w)
{
    (void)w;
    return blas_gemm(p->d[0], p->d[2], p->d[1], 0, p->in[0], (int)p->d[3], p->in[1], o[0]);
}
#endif
/* tb: B is n×k and P = ABᵀ */
static void problem_gemm(const char *dir, long m, long k, long n, int tb)
{
    problem p;
    memset(&p, 0, sizeof p);
    p.name = "gemm";
    p.mode = "prod";
    snprintf(p.size, sizeof p.size, "m%ld_k%ld_n%ld_%s", m, k, n, tb ? "NT" : "NN");
    p.xsize = 2.0 * (double)m * (double)n * (double)k;
    p.d[0] = m;
    p.d[1] = k;
    p.d[2] = n;
    p.d[3] = tb;
    add_in(&p, "A", (size_t)(m * k), -1.0, 1.0);
    add_in(&p, "B", (size_t)(k * n), -1.0, 1.0);
    add_out(&p, "P", (size_t)(m * n));
    add_impl(&p, "symgrad", sg_gemm, sg_gemm_work);
#if HAVE_BLAS
    add_impl(&p, "blas", blas_gemm1, blas_gemm_work);
#endif
    work_line(&p, "flops", 2.0 * (double)m * (double)n * (double)k);
    run_problem(dir, &p);
}
#endif

static int wanted(int argc, char **argv, const char *name)
{
    int i;
    if (argc <= 2)
        return 1;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *e;
    const char *dir = argc > 1 ? argv[1] : "bench/build";

    if ((e = getenv("BENCH_MIN_BATCH")) != NULL)
        min_batch = atof(e);
    if ((e = getenv("BENCH_BATCHES")) != NULL)
        nbatches = atoi(e) < 1 ? 1 : atoi(e);
    snprintf(path, sizeof path, "%s/c_results.tsv", dir);
    tsv = fopen(path, "w");
    if (!tsv) {
        fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
        return 3;
    }
#if HAVE_BLAS
    blas_single_thread();
#endif
    fprintf(tsv, "note\tmin_batch\t%g\nnote\tbatches\t%d\n", min_batch, nbatches);

    if (wanted(argc, argv, "stream"))
        stream();
#if HAVE_AE
    if (wanted(argc, argv, "autoencoder")) {
        problem_ae(dir, 3, 5);
        problem_ae(dir, 256, 784);
        problem_ae(dir, 1024, 4096);
    }
#endif
#if HAVE_MLP
    if (wanted(argc, argv, "mlp_swish")) {
        problem_mlp(dir, 5, 4, 3);
        problem_mlp(dir, 784, 256, 10);
    }
#endif
#if HAVE_MLPB
    if (wanted(argc, argv, "mlp_batch"))
    {
        problem_mlpb(dir, 784, 512, 10, 16); /* N = 16 and 64 for the plot only */
        problem_mlpb(dir, 784, 512, 10, 64);
        problem_mlpb(dir, 784, 512, 10, 256);
    }
#endif
#if HAVE_GP
    if (wanted(argc, argv, "gp_loglik")) {
        problem_gp(dir, 128, 8, 4);
        problem_gp(dir, 256, 8, 4);
        problem_gp(dir, 512, 8, 4);
    }
#endif
#if HAVE_QFH
    if (wanted(argc, argv, "quadform_hess"))
        problem_qfh(dir, 500);
#endif
#if HAVE_LRH
    if (wanted(argc, argv, "logreg_hess"))
        problem_lrh(dir, 2000, 100, 0.1);
#endif
#if HAVE_MFH
    if (wanted(argc, argv, "mf_hess"))
        problem_mfh(dir, 100, 10, 100); /* the issue fixes m and k; n = 100 is ours */
#endif
    /* the default product kernel against cblas_dgemm: the batched MLP's two large
     * products (W₁X: 512×784 · 784×256; ∂L/∂W₁ = G₁Xᵀ: 512×256 · (784×256)ᵀ)
     * and a square one */
    if (wanted(argc, argv, "gemm")) {
#if HAVE_GEMM
        problem_gemm(dir, 512, 784, 256, 0);
#endif
#if HAVE_GEMMNT
        problem_gemm(dir, 512, 256, 784, 1);
#endif
#if HAVE_GEMM
        problem_gemm(dir, 1000, 1000, 1000, 0);
#endif
    }
    fclose(tsv);
    /* used only by the problems symgrad generated */
    (void)run_problem;
    (void)add_impl;
    (void)add_in;
    (void)add_out;
    (void)add_onehot;
    (void)work_line;
    return 0;
}
