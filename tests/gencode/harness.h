/*
 * The test harness for the C symgrad generates (tests/gencode.sh): included
 * by one small driver per problem (tests/gencode/NAME.c) after the generated
 * header and these macros:
 *
 *   PFX              the problem's C prefix (autoencoder, gp, …)
 *   PFX_UP(s)        the prefix in capitals pasted to s (GP_##s)
 *   DIMS(F)          F(dim) for each field of PFX_dims
 *   INPUTS(F)        F(name, shape, rows, cols, gen) for each field of PFX_in:
 *                    shape SCALAR, VEC (rows), MAT (rows×cols) or SEQ (rows
 *                    steps of cols); rows and cols are expressions of the
 *                    dimensions; gen RND (uniform in [−1, 1]), POS ([0.5, 1.5]),
 *                    U01 ([0, 1]), SIMPLEX (positive, sums to 1), SPDGEN
 *                    (MMᵀ/n + I: symmetric positive definite) or DIAGDOM
 *                    (uniform in [−1, 1] plus 2 on the diagonal: invertible)
 *   OUTPUTS(F)       F(name, size) for each field of PFX_out, in order
 *   DIM_SETS         the initializers of dim_sets[][NDIM], normal sizes
 *   problem_checks() the problem's own checks (exact values for empty
 *                    dimensions, non-finite inputs, singular matrices)
 *   nonfinite_rc(i)  the code PFX_eval documents for a NaN or an infinity in
 *                    input i (0 when it just propagates)
 *
 * Every call (run()) copies the inputs into buffers of exactly their size,
 * gives each requested result a buffer of exactly its size filled with a
 * sentinel, and the work buffer is malloc(PFX_work_size(dims)) bytes: any
 * read or write past one of them is an error for AddressSanitizer and
 * valgrind, and a result left unwritten still holds the sentinel.
 *
 * Built with -DNULL_WHEN_EMPTY, an input or a work buffer of 0 bytes is
 * passed as a null pointer instead (what a caller that allocates nothing for
 * nothing does): no arithmetic on it may be undefined.
 *
 * Usage: DRIVER check          run the generic and the problem's checks
 *        DRIVER eval SEED DIMS run once at random inputs: print the inputs in
 *                              --eval syntax on the first line, then rc and
 *                              every result, for gencode.sh to compare with
 *                              symgrad --eval
 *        DRIVER rc DIMS        print what PFX_eval returns for these dims
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define API(s) CAT(PFX, s)
#define STR_(a) #a
#define STR(a) STR_(a)

#define SENTINEL (-7.25e77)
#ifndef NULL_WHEN_EMPTY
#define NULL_WHEN_EMPTY 0
#endif

enum {
#define F_(d) DIM_##d,
    DIMS(F_)
#undef F_
    NDIM
};
enum {
#define F_(name, shape, rows, cols, gen) IN_##name,
    INPUTS(F_)
#undef F_
    NIN
};
enum {
#define F_(name, size) OUT_##name,
    OUTPUTS(F_)
#undef F_
    NOUT
};
enum { SCALAR, VEC, MAT, SEQ };
enum { RND, POS, U01, SIMPLEX, SPDGEN, DIAGDOM };

static const char *const dim_names[NDIM + 1] = {
#define F_(d) #d,
    DIMS(F_)
#undef F_
    NULL};
static const char *const in_names[NIN] = {
#define F_(name, shape, rows, cols, gen) #name,
    INPUTS(F_)
#undef F_
};
static const char *const out_names[NOUT] = {
#define F_(name, size) #name,
    OUTPUTS(F_)
#undef F_
};
static const long dim_sets[][NDIM] = {DIM_SETS};
#define NSETS ((int)(sizeof dim_sets / sizeof dim_sets[0]))

/* the dimensions as locals named like the fields, for the size expressions */
#define DECLARE_DIMS(dv)                                                                          \
    DIMS(DECL_DIM_)                                                                               \
    (void)(dv)
#define DECL_DIM_(d)                                                                              \
    const long d = dv[DIM_##d];                                                                   \
    (void)d;

static void in_shape(const long *dv, int i, int *shape, long *rows, long *cols, int *gen)
{
    DECLARE_DIMS(dv);
    switch (i) {
#define F_(name, sh, r, c, g)                                                                     \
    case IN_##name:                                                                               \
        *shape = sh;                                                                              \
        *rows = r;                                                                                \
        *cols = c;                                                                                \
        *gen = g;                                                                                 \
        break;
        INPUTS(F_)
#undef F_
    default:
        abort();
    }
}

static size_t in_size(const long *dv, int i)
{
    int shape, gen;
    long r, c;
    in_shape(dv, i, &shape, &r, &c, &gen);
    return shape == SCALAR ? 1 : shape == VEC ? (size_t)r : (size_t)r * (size_t)c;
}

static size_t out_size(const long *dv, int o)
{
    DECLARE_DIMS(dv);
    switch (o) {
#define F_(name, size)                                                                            \
    case OUT_##name:                                                                              \
        return (size_t)(size);
        OUTPUTS(F_)
#undef F_
    default:
        abort();
    }
}

/* ---- checks ------------------------------------------------------------ */

static int checks, failures;
static char context[256]; /* what is being run, for the messages */

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s: %s [%s]\n", STR(PFX), what, context);
    }
}

/* a equals b: both NaN, the same infinity, or within rel·max(1, |b|) */
static int close_to(double a, double b, double rel)
{
    if (isnan(b))
        return isnan(a) != 0;
    if (isinf(b))
        return a == b;
    return fabs(a - b) <= rel * (fabs(b) > 1 ? fabs(b) : 1);
}

static void check_value(const double *got, size_t i, double want, const char *name)
{
    char msg[200];
    snprintf(msg, sizeof msg, "%s[%lu] = %.17g, expected %.17g", name, (unsigned long)i, got[i],
             want);
    check(close_to(got[i], want, 1e-12), msg);
}

/* ---- inputs ------------------------------------------------------------ */

static unsigned long rng_state = 1;
static double uniform(void) /* in [0, 1) */
{
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (double)((rng_state >> 11) & ((1UL << 53) - 1)) / 9007199254740992.0;
}

struct values {
    long dv[NDIM];
    double *in[NIN];
    double *out[NOUT]; /* the results of the last run, one array each */
};

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p && bytes) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void values_init(struct values *v, const long *dv, unsigned long seed)
{
    int i, o;
    size_t j, n;
    memcpy(v->dv, dv, sizeof v->dv);
    rng_state = seed * 2654435761UL + 12345;
    for (i = 0; i < NIN; i++) {
        int shape, gen;
        long r, c;
        double sum = 0;
        in_shape(dv, i, &shape, &r, &c, &gen);
        n = in_size(dv, i);
        v->in[i] = (double *)xmalloc(n * sizeof(double) + 1);
        for (j = 0; j < n; j++) {
            double u = uniform();
            v->in[i][j] = gen == RND || gen == SPDGEN || gen == DIAGDOM ? 2 * u - 1 : gen == POS ? 0.5 + u : gen == U01 ? u : 0.1 + u;
            sum += v->in[i][j];
        }
        if (gen == SIMPLEX)
            for (j = 0; j < n; j++)
                v->in[i][j] /= sum;
        if (gen == DIAGDOM)
            for (j = 0; j < (size_t)r; j++)
                v->in[i][j * (size_t)r + j] += 2;
        if (gen == SPDGEN) { /* M Mᵀ/r + I, M the random entries just drawn */
            double *m = (double *)xmalloc(n * sizeof(double) + 1);
            size_t a, b, q, rr = (size_t)r;
            memcpy(m, v->in[i], n * sizeof(double));
            for (a = 0; a < rr; a++)
                for (b = 0; b < rr; b++) {
                    double t = a == b ? 1 : 0;
                    for (q = 0; q < rr; q++)
                        t += m[a * rr + q] * m[b * rr + q] / (double)rr;
                    v->in[i][a * rr + b] = t;
                }
            free(m);
        }
    }
    for (o = 0; o < NOUT; o++)
        v->out[o] = (double *)xmalloc(out_size(dv, o) * sizeof(double) + 1);
}

static void values_free(struct values *v)
{
    int i;
    for (i = 0; i < NIN; i++)
        free(v->in[i]);
    for (i = 0; i < NOUT; i++)
        free(v->out[i]);
}

/* ---- one call of PFX_eval ---------------------------------------------- */

/*
 * Runs PFX_eval on v's inputs for the results in mask (bit o for output o):
 * everything in buffers of exactly its size. Copies the results into v->out
 * (the others are filled with the sentinel) and returns the code.
 */
static int run(struct values *v, unsigned mask)
{
    API(_dims) d;
    API(_in) in;
    API(_out) out;
    double *ib[NIN], *ob[NOUT];
    size_t work_bytes;
    void *work;
    int i, rc;
    size_t j;
    const long *dv = v->dv;
#define F_(dim) d.dim = dv[DIM_##dim];
    DIMS(F_)
#undef F_
    for (i = 0; i < NIN; i++) {
        size_t n = in_size(dv, i);
        ib[i] = (NULL_WHEN_EMPTY & 1) && !n ? NULL : (double *)xmalloc(n * sizeof(double));
        if (n)
            memcpy(ib[i], v->in[i], n * sizeof(double));
    }
    for (i = 0; i < NOUT; i++) {
        size_t n = out_size(dv, i);
        ob[i] = (mask >> i) & 1 ? (double *)xmalloc(n * sizeof(double)) : NULL;
        for (j = 0; ob[i] && j < n; j++)
            ob[i][j] = SENTINEL;
    }
#define F_(name, shape, rows, cols, gen) in.name = ib[IN_##name];
    INPUTS(F_)
#undef F_
#define F_(name, size) out.name = ob[OUT_##name];
    OUTPUTS(F_)
#undef F_
    work_bytes = API(_work_size)(&d);
    work = (NULL_WHEN_EMPTY & 2) && !work_bytes ? NULL : xmalloc(work_bytes);
    rc = API(_eval)(&d, &in, &out, work);
    free(work);
    for (i = 0; i < NIN; i++) {
        size_t n = in_size(dv, i);
        for (j = 0; j < n; j++)
            if (memcmp(&ib[i][j], &v->in[i][j], sizeof(double)) != 0)
                break;
        check(j == n, "the inputs are left as they were");
        free(ib[i]);
    }
    for (i = 0; i < NOUT; i++) {
        size_t n = out_size(dv, i);
        for (j = 0; j < n; j++)
            v->out[i][j] = ob[i] ? ob[i][j] : SENTINEL;
        free(ob[i]);
    }
    return rc;
}

#define ALL ((1u << NOUT) - 1)

static void set_context(const long *dv, const char *what)
{
    int i;
    size_t len = 0;
    context[0] = 0;
    for (i = 0; i < NDIM; i++)
        len += (size_t)snprintf(context + len, sizeof context - len, "%s%s=%ld", i ? " " : "",
                                dim_names[i], dv[i]);
    if (what && len < sizeof context)
        snprintf(context + len, sizeof context - len, "; %s", what);
}

/* every requested result was written (holds no sentinel) */
static void check_written(const struct values *v, unsigned mask)
{
    int o;
    size_t j, n;
    for (o = 0; o < NOUT; o++) {
        char msg[120];
        if (!((mask >> o) & 1))
            continue;
        n = out_size(v->dv, o);
        for (j = 0; j < n && v->out[o][j] != SENTINEL; j++)
            ;
        snprintf(msg, sizeof msg, "every entry of %s is written", out_names[o]);
        check(j == n, msg);
    }
}

/* the subsets of the results check_subsets tries, into masks (room for
   MAX_MASKS): every one when there are at most 8 results; past that (an
   LSTM has 16: 65 536 subsets) none, each alone, each left out, and a fixed
   pseudo-random sample */
#define MAX_MASKS 320
static int subset_masks(unsigned *masks)
{
    unsigned m, x = 12345u;
    int n = 0, o;
    if (NOUT <= 8) {
        for (m = 0; m < ALL; m++)
            masks[n++] = m;
        return n;
    }
    masks[n++] = 0;
    for (o = 0; o < NOUT; o++) {
        masks[n++] = 1u << o;
        masks[n++] = ALL ^ (1u << o);
    }
    while (n < MAX_MASKS) {
        x = x * 1103515245u + 12345u;
        masks[n++] = (x >> 7) & ALL;
    }
    return n;
}

/* the generic checks at dimensions dv: every subset of the results (or a
   sample, subset_masks) gives the same numbers as all of them together, and
   each is written completely */
static void check_subsets(const long *dv, int want_rc)
{
    struct values all, some;
    unsigned mask, masks[MAX_MASKS];
    int o, rc, k, nmasks = subset_masks(masks);
    size_t j, n;
    char msg[160];
    values_init(&all, dv, 7);
    values_init(&some, dv, 7);
    set_context(dv, "all results");
    rc = run(&all, ALL);
    snprintf(msg, sizeof msg, "returns %d (got %d)", want_rc, rc);
    check(rc == want_rc, msg);
    if (rc == 0)
        check_written(&all, ALL);
    for (k = 0; k < nmasks; k++) {
        mask = masks[k];
        set_context(dv, NULL);
        snprintf(context + strlen(context), sizeof context - strlen(context), "; results mask %#x",
                 mask);
        rc = run(&some, mask);
        check(rc == want_rc || (mask == 0 && rc == 0), "the same code for any subset of results");
        if (rc != 0)
            continue;
        check_written(&some, mask);
        for (o = 0; o < NOUT; o++) {
            if (!((mask >> o) & 1))
                continue;
            n = out_size(dv, o);
            for (j = 0; j < n && close_to(some.out[o][j], all.out[o][j], 1e-13); j++)
                ;
            snprintf(msg, sizeof msg, "%s alone agrees with all results together", out_names[o]);
            check(j == n, msg);
        }
    }
    values_free(&all);
    values_free(&some);
}

static int nonfinite_rc(int input);

/* a NaN, +∞ or −∞ in one entry of one input: no undefined behaviour (the
   sanitizers abort), the documented code, and with a NaN some result NaN */
static void check_nonfinite(const long *dv)
{
    static const char *const kinds[3] = {"NaN", "+inf", "-inf"};
    int i, k, o, rc;
    size_t n, at, j;
    char msg[200];
    for (i = 0; i < NIN; i++) {
        n = in_size(dv, i);
        for (k = 0; k < 3; k++)
            for (at = 0; n && at < n; at += n > 1 ? n - 1 : 1) {
                struct values v;
                int any_nan = 0;
                values_init(&v, dv, 11);
                v.in[i][at] = k == 0 ? NAN : k == 1 ? HUGE_VAL : -HUGE_VAL;
                snprintf(msg, sizeof msg, "%s in %s[%lu]", kinds[k], in_names[i], (unsigned long)at);
                set_context(dv, msg);
                rc = run(&v, ALL);
                snprintf(msg, sizeof msg, "returns %d (got %d)", k == 0 || nonfinite_rc(i) ? nonfinite_rc(i) : 0,
                         rc);
                /* an infinity may or may not make a factored matrix singular */
                check(rc == nonfinite_rc(i) || (k != 0 && rc == 0), msg);
                if (rc == 0) {
                    check_written(&v, ALL);
                    for (o = 0; o < NOUT; o++)
                        for (j = 0; j < out_size(dv, o); j++)
                            any_nan |= isnan(v.out[o][j]) != 0;
                    if (k == 0)
                        check(any_nan, "a NaN in gives a NaN out");
                }
                values_free(&v);
            }
    }
}

static void problem_checks(void);

/* dims from the command line */
static void parse_dims(char **argv, long *dv)
{
    int i;
    for (i = 0; i < NDIM; i++)
        dv[i] = strtol(argv[i], NULL, 10);
}

static void print_number(double x)
{
    if (isnan(x))
        printf(" nan");
    else if (isinf(x))
        printf(x > 0 ? " inf" : " -inf");
    else
        printf(" %.17g", x);
}

int main(int argc, char **argv)
{
    int s, d, i, o;
    size_t j, n;
    if (argc == 2 && !strcmp(argv[1], "check")) {
        for (s = 0; s < NSETS; s++) {
            long dv[NDIM];
            check_subsets(dim_sets[s], 0);
            /* each dimension 0 in turn, then all of them */
            for (d = 0; d < NDIM; d++) {
                memcpy(dv, dim_sets[s], sizeof dv);
                dv[d] = 0;
                check_subsets(dv, 0);
            }
            memset(dv, 0, sizeof dv);
            if (s == 0)
                check_subsets(dv, 0);
            check_nonfinite(dim_sets[s]);
        }
        problem_checks();
        printf("%s: %d checks, %d failed\n", STR(PFX), checks, failures);
        return failures != 0;
    }
    if (argc == 3 + NDIM && !strcmp(argv[1], "eval")) {
        struct values v;
        long dv[NDIM];
        int rc;
        parse_dims(argv + 3, dv);
        values_init(&v, dv, strtoul(argv[2], NULL, 10));
        for (i = 0; i < NIN; i++) { /* the inputs in --eval syntax */
            int shape, gen;
            long r, c, a, b;
            const double *x = v.in[i];
            in_shape(dv, i, &shape, &r, &c, &gen);
            printf("%s%s=", i ? "; " : "", in_names[i]);
            if (shape == SCALAR)
                printf("%.17g", x[0]);
            else if (shape == VEC) {
                for (a = 0; a < r; a++)
                    printf("%s%.17g", a ? "," : "[", x[a]);
                printf("]");
            } else {
                for (a = 0; a < r; a++) {
                    printf("%s", a ? "," : "[");
                    for (b = 0; b < c; b++)
                        printf("%s%.17g", b ? "," : "[", x[a * c + b]);
                    printf("]");
                }
                printf("]");
            }
        }
        printf("\n");
        rc = run(&v, ALL);
        printf("rc = %d\n", rc);
        for (o = 0; o < NOUT; o++) {
            printf("%s =", out_names[o]);
            n = out_size(dv, o);
            for (j = 0; j < n; j++)
                print_number(v.out[o][j]);
            printf("\n");
        }
        values_free(&v);
        return failures != 0;
    }
    if (argc == 2 + NDIM && !strcmp(argv[1], "rc")) {
        struct values v;
        long dv[NDIM];
        parse_dims(argv + 2, dv);
        values_init(&v, dv, 1);
        printf("%d\n", run(&v, ALL));
        values_free(&v);
        return failures != 0;
    }
    fprintf(stderr, "usage: %s check | eval SEED DIMS… | rc DIMS…\n", argv[0]);
    return 2;
}
