/*
 * test_cgen.c: the C printer, end to end.
 *
 * Each test builds a problem with the expr.h constructors and sg_diff_grad,
 * prints it as C, and compiles what was printed: with gcc (-std=c99 -Wall
 * -Wextra -pedantic -Werror, under AddressSanitizer and UBSan), with clang
 * and with g++ as C++. A generated driver fills the inputs with the numbers
 * the test chose, allocates exactly P_work_size bytes (so that ASan catches a
 * write past it) filled with NaNs (so that a read of a buffer never written
 * shows), calls P_eval once for the values alone and once for the requested
 * results, checks that the values agree bit for bit, and prints every result.
 * The test compares them with sg_eval, the DAG interpreter.
 *
 * The linear algebra (factors, solves, inverses, det, logdet) is checked the
 * same way, and its errors (a singular matrix, one that is not positive
 * definite) by the code P_eval returns. The --check main() is compiled and
 * run as a user would, on right derivatives (it must exit 0) and on a wrong
 * one (it must not).
 *
 * Recurrences come from .sg text, through the parser and the checker: the
 * acceptance RNN for T = 1, 2, 5 and 10 000 (loops, never unrolled: the C
 * for T = 5 and T = 10 000 fixed with --dim differs in the constants only;
 * a loss-only call does not run the backward loop), and problems that
 * exercise the corners: a loss at the last step, scalar sequences, Σs over
 * ranges that are empty for small T, two and stacked recurrences, solves
 * inside a step, steps that are matrices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/cgen.h"
#include "cli/evalprint.h"
#include "codegen/formula.h"
#include "parser/parser.h"
#include "symbolic/eval.h"

#define MAXS 16
#define MAXR 16

typedef struct {
    sg_ctx *ctx;
    sg_result res[MAXR];
    int nres;
    long dimval[16];           /* by dimension index */
    const char *kind[MAXS];    /* by symbol: how to fill it */
    double *in[MAXS];
    const char *prefix;
    sg_problem *parsed;        /* a problem read from .sg text (load()): it owns ctx */
    sg_src *src;
    sg_arena *arena;
    const char *cin[MAXS];     /* by symbol: its field in P_in when not its name */
    const char *cout[MAXR];    /* by result: its field in P_out when not its cname */
    const char *cdim[16];      /* by dimension: its field in P_dims when not its name */
} prob;

/* the flags the generated C compiles cleanly with (docs/GENERATED_C.md) */
#define STRICT "-std=c99 -Wall -Wextra -pedantic -Wconversion -Wsign-conversion " \
               "-Wdouble-promotion -Wfloat-equal -Werror"

static char tmpdir[256];
static char workdir[512]; /* tmpdir/PREFIX: one folder per problem */

/* ---- building problems ------------------------------------------------------ */

static void prob_init(prob *p, const char *prefix)
{
    memset(p, 0, sizeof *p);
    p->ctx = sg_ctx_new();
    p->prefix = prefix;
}

static void prob_free(prob *p)
{
    int i;
    for (i = 0; i < MAXS; i++)
        free(p->in[i]);
    if (p->parsed) {
        sg_problem_free(p->parsed);
        sg_arena_free(p->arena);
        sg_src_free(p->src);
    } else {
        sg_ctx_free(p->ctx);
    }
}

/* a problem as a user writes it, through the parser and the checker, with
   dims "T=5 n=3" */
static void load(prob *p, const char *prefix, const char *text, const char *dims)
{
    char name[64];
    long v;
    int n, i;
    memset(p, 0, sizeof *p);
    p->prefix = prefix;
    p->src = sg_src_new("t.sg", text, strlen(text));
    p->arena = sg_arena_new();
    p->parsed = sg_check(p->src, sg_parse(p->src, p->arena));
    if (!p->parsed) {
        for (i = 0; i < (int)p->src->ndiags; i++)
            print_error("%s\n", p->src->diags[i].msg);
        fail_msg("the problem does not check");
    }
    p->ctx = p->parsed->ctx;
    assert_true(p->parsed->nresults <= MAXR);
    for (i = 0; i < p->parsed->nresults; i++)
        p->res[p->nres++] = p->parsed->results[i];
    while (sscanf(dims, " %63[^=]=%ld%n", name, &v, &n) == 2) {
        int d = sg_dim_find(p->ctx, name);
        assert_true(d >= 0 && d < 16);
        p->dimval[d] = v;
        dims += n;
    }
}

static sg_dim dim(prob *p, const char *name, long value)
{
    sg_dim d = sg_dim_named(p->ctx, name);
    p->dimval[d] = value;
    return d;
}

static sg_expr *var_p(prob *p, const char *name, sg_dim r, sg_dim c, const char *kind,
                      unsigned props)
{
    sg_span sp = {0, 0};
    int s = sg_sym_add(p->ctx, name, sg_shape_make(r, c), props, sp);
    p->kind[s] = kind;
    return sg_var(p->ctx, s);
}

static sg_expr *var(prob *p, const char *name, sg_dim r, sg_dim c, const char *kind)
{
    return var_p(p, name, r, c, kind, 0);
}

static sg_expr *named(sg_expr *e, const char *name)
{
    if (!e->name && e->op != SG_OP_VAR && e->op != SG_OP_CONST && e->op != SG_OP_DIMVAL)
        e->name = name;
    return e;
}

static void value(prob *p, const char *name, sg_expr *e)
{
    sg_result *r = &p->res[p->nres++];
    memset(r, 0, sizeof *r);
    r->kind = SG_RES_VALUE;
    r->cname = name;
    r->of = name;
    r->expr = named(e, name);
}

/* a derivative result of any kind, its expression built by the test */
static void deriv(prob *p, sg_result_kind kind, const char *cname, const char *of,
                  const char *wrt, const char *wrt2, sg_expr *e)
{
    sg_result *r = &p->res[p->nres++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->cname = cname;
    r->of = of;
    r->wrt = wrt;
    r->wrt2 = wrt2;
    r->expr = e;
}

/* ∂f/∂x for each named symbol x, as results dF_dX */
static void grad(prob *p, const char *f, sg_expr *fe, int n, ...)
{
    sg_expr *wrt[8], *out[8];
    const char *names[8];
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        names[i] = va_arg(ap, const char *);
        wrt[i] = sg_var(p->ctx, sg_sym_find(p->ctx, names[i]));
    }
    va_end(ap);
    sg_diff_grad(p->ctx, fe, n, wrt, out, NULL);
    for (i = 0; i < n; i++) {
        sg_result *r = &p->res[p->nres++];
        memset(r, 0, sizeof *r);
        r->kind = SG_RES_GRAD;
        r->cname = sg_arena_printf(sg_ctx_arena(p->ctx), "d%s_d%s", f, names[i]);
        r->of = f;
        r->wrt = names[i];
        r->expr = out[i];
    }
}

static sg_problem problem_of(prob *p)
{
    sg_problem pr;
    memset(&pr, 0, sizeof pr);
    pr.ctx = p->ctx;
    pr.prefix = p->prefix;
    pr.results = p->res;
    pr.nresults = p->nres;
    return pr;
}

/* ---- inputs -------------------------------------------------------------------- */

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

static long rows_of(prob *p, sg_shape s)
{
    const sg_diminfo *di = sg_diminfo_of(p->ctx, s.rows);
    return di->name ? p->dimval[s.rows] : di->value;
}

static long cols_of(prob *p, sg_shape s)
{
    const sg_diminfo *di = sg_diminfo_of(p->ctx, s.cols);
    return di->name ? p->dimval[s.cols] : di->value;
}

/* the steps input s holds: hi − lo + 1 for a sequence, else 1 */
static long steps_of(prob *p, int s)
{
    const sg_symbol *sym = sg_sym(p->ctx, s);
    const sg_seq *q;
    long lo, hi;
    if (sym->seq < 0)
        return 1;
    q = sg_seq_of(p->ctx, sym->seq);
    lo = (q->lo.dim >= 0 ? p->dimval[q->lo.dim] : 0) + q->lo.off;
    hi = (q->hi.dim >= 0 ? p->dimval[q->hi.dim] : 0) + q->hi.off;
    return hi >= lo ? hi - lo + 1 : 0;
}

/* the entries of input s: all its steps */
static long input_len(prob *p, int s)
{
    sg_shape sh = sg_sym(p->ctx, s)->shape;
    return rows_of(p, sh) * cols_of(p, sh) * steps_of(p, s);
}

/* SPD: AAᵀ/n + I; NEGDEF: its negative; SYM: (A + Aᵀ)/2; SIMPLEX: positive, sum 1 */
static void fill_structured(double *v, long r, long c, const char *k, uint64_t *st, int single)
{
    double *a = malloc(sizeof *a * (size_t)(r * c)), sum = 0;
    long i, j, l;
    for (i = 0; i < r * c; i++) {
        a[i] = 2.0 * uniform(st) - 1.0;
        sum += a[i] + 1.1;
    }
    for (i = 0; i < r; i++)
        for (j = 0; j < c; j++) {
            double x;
            if (!strcmp(k, "SYM")) {
                x = 0.5 * (a[i * c + j] + a[j * c + i]);
            } else if (!strcmp(k, "SIMPLEX")) {
                x = (a[i * c + j] + 1.1) / sum;
            } else {
                for (x = i == j ? 1.0 : 0.0, l = 0; l < c; l++)
                    x += a[i * c + l] * a[j * c + l] / (double)c;
                if (!strcmp(k, "NEGDEF"))
                    x = -x;
            }
            v[i * c + j] = single ? (double)(float)x : x;
        }
    free(a);
}

static void fill_inputs(prob *p, int single)
{
    int s;
    for (s = 0; s < sg_nsyms(p->ctx); s++) {
        sg_shape sh = sg_sym(p->ctx, s)->shape;
        long len = input_len(p, s), i;
        uint64_t st = 1000003ull * (uint64_t)(s + 1);
        const char *k = p->kind[s] ? p->kind[s] : "RAND";
        free(p->in[s]);
        p->in[s] = malloc(sizeof(double) * (size_t)(len ? len : 1));
        if (!strcmp(k, "SPD") || !strcmp(k, "NEGDEF") || !strcmp(k, "SYM") ||
            !strcmp(k, "SIMPLEX")) {
            fill_structured(p->in[s], rows_of(p, sh), cols_of(p, sh), k, &st, single);
            continue;
        }
        for (i = 0; i < len; i++) {
            double u = uniform(&st), v;
            if (!strcmp(k, "POS"))
                v = 0.5 + u;
            else if (!strcmp(k, "PROB"))
                v = 0.1 + 0.8 * u;
            else if (!strcmp(k, "ONEHOT"))
                v = i == 1 % len ? 1.0 : 0.0;
            else
                v = 2.0 * u - 1.0;
            p->in[s][i] = single ? (double)(float)v : v;
        }
    }
}

/* ---- files and processes -------------------------------------------------------- */

static void write_file(const char *name, const char *text)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", workdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void append_file(const char *name, const char *text)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", workdir, name);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

static int have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* ---- the driver -------------------------------------------------------------------- */

/* result r's field in P_out */
#define RESF(p, r) ((p)->cout[r] ? (p)->cout[r] : (p)->res[r].cname)

/*
 * The driver's argv[1] says which results to ask for ("1011": one character
 * per result); it first computes the values alone, then those.
 * argv[1] = "edims" calls P_eval with the first fixed dimension off by one
 * and expects P_EDIMS.
 */
static char *driver_source(prob *p, const char *P, const char *PU, int single,
                           const char *include, const char *edim)
{
    sg_buf b;
    const char *T = single ? "float" : "double";
    int s, r, d;
    sg_buf_init(&b);
    sg_buf_printf(&b, "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
                      "#include \"%s\"\n\n",
                  include);
    for (s = 0; s < sg_nsyms(p->ctx); s++) {
        long len = input_len(p, s), i;
        sg_buf_printf(&b, "static const %s in_%d[%ld] = {", T, s, len ? len : 1);
        for (i = 0; i < len; i++)
            sg_buf_printf(&b, "%s%.17g", i ? ", " : "", p->in[s][i]);
        sg_buf_puts(&b, "};\n");
    }
    for (r = 0; r < p->nres; r++) {
        sg_shape sh = p->res[r].expr->shape;
        long len = rows_of(p, sh) * cols_of(p, sh);
        sg_buf_printf(&b, "static %s res_%d[%ld];\n", T, r, len ? len : 1);
        if (p->res[r].kind == SG_RES_VALUE)
            sg_buf_printf(&b, "static %s first_%d[%ld];\n", T, r, len ? len : 1);
    }
    sg_buf_printf(&b, "\nint main(int argc, char **argv)\n{\n"
                      "    %s_dims dims;\n    %s_in in;\n    %s_out out;\n"
                      "    size_t bytes;\n    void *work;\n    int rc;\n"
                      "    const char *want = argc > 1 ? argv[1] : \"\";\n"
                      "    memset(&dims, 0, sizeof dims);\n    memset(&in, 0, sizeof in);\n",
                  P, P, P);
    for (d = 0; d < sg_ndims(p->ctx); d++)
        if (sg_diminfo_of(p->ctx, d)->name)
            sg_buf_printf(&b, "    dims.%s = %ld;\n",
                          p->cdim[d] ? p->cdim[d] : sg_diminfo_of(p->ctx, d)->name, p->dimval[d]);
    for (s = 0; s < sg_nsyms(p->ctx); s++)
        sg_buf_printf(&b, "    in.%s = in_%d;\n", p->cin[s] ? p->cin[s] : sg_sym(p->ctx, s)->name,
                      s);
    sg_buf_printf(&b, "    bytes = %s_work_size(&dims);\n"
                      "    work = malloc(bytes ? bytes : 1);\n"
                      "    if (!strcmp(want, \"edims\")) {\n",
                  P);
    if (edim)
        sg_buf_printf(&b, "        dims.%s++;\n        memset(&out, 0, sizeof out);\n"
                          "        out.%s = res_0;\n"
                          "        rc = %s_eval(&dims, &in, &out, work);\n"
                          "        free(work);\n        return rc == %s_EDIMS ? 0 : 1;\n",
                      edim, RESF(p, 0), P, PU);
    sg_buf_puts(&b, "    }\n");
    /* "touchMASK": what MASK asks for, printing how many bytes of work the call
       wrote (work starts as 0xff bytes; the NaN pattern is never computed) */
    sg_buf_puts(&b, "    if (!strncmp(want, \"touch\", 5)) {\n        const char *m = want + 5;\n"
                    "        size_t k, n = 0;\n        memset(&out, 0, sizeof out);\n"
                    "        memset(work, 0xff, bytes);\n");
    for (r = 0; r < p->nres; r++)
        sg_buf_printf(&b, "        if ((int)strlen(m) > %d && m[%d] == '1')\n"
                          "            out.%s = res_%d;\n",
                      r, r, RESF(p, r), r);
    sg_buf_printf(&b, "        rc = %s_eval(&dims, &in, &out, work);\n"
                      "        for (k = 0; k < bytes; k++)\n"
                      "            n += ((unsigned char *)work)[k] != 0xff;\n"
                      "        printf(\"%%lu\\n\", (unsigned long)n);\n"
                      "        free(work);\n        return rc;\n    }\n",
                  P);
    /* "rc" and "rcMASK": everything, or what MASK asks for, printing the code
       P_eval returns */
    sg_buf_puts(&b, "    if (!strncmp(want, \"rc\", 2)) {\n        const char *m = want + 2;\n"
                    "        memset(&out, 0, sizeof out);\n");
    for (r = 0; r < p->nres; r++)
        sg_buf_printf(&b, "        if (!*m || ((int)strlen(m) > %d && m[%d] == '1'))\n"
                          "            out.%s = res_%d;\n",
                      r, r, RESF(p, r), r);
    sg_buf_printf(&b, "        rc = %s_eval(&dims, &in, &out, work);\n"
                      "        printf(\"%%d\\n\", rc);\n        free(work);\n        return 0;\n    }\n",
                  P);
    /* values alone */
    sg_buf_puts(&b, "    memset(&out, 0, sizeof out);\n    memset(work, 0xff, bytes);\n");
    for (r = 0; r < p->nres; r++)
        if (p->res[r].kind == SG_RES_VALUE)
            sg_buf_printf(&b, "    out.%s = first_%d;\n", RESF(p, r), r);
    sg_buf_printf(&b, "    rc = %s_eval(&dims, &in, &out, work);\n"
                      "    if (rc != %s_OK) return 10 + rc;\n",
                  P, PU);
    /* what argv[1] asks for */
    sg_buf_puts(&b, "    memset(&out, 0, sizeof out);\n    memset(work, 0xff, bytes);\n");
    for (r = 0; r < p->nres; r++)
        sg_buf_printf(&b, "    if ((int)strlen(want) > %d && want[%d] == '1') out.%s = res_%d;\n",
                      r, r, RESF(p, r), r);
    sg_buf_printf(&b, "    rc = %s_eval(&dims, &in, &out, work);\n"
                      "    if (rc != %s_OK) return 20 + rc;\n",
                  P, PU);
    for (r = 0; r < p->nres; r++) {
        sg_shape sh = p->res[r].expr->shape;
        long len = rows_of(p, sh) * cols_of(p, sh);
        if (p->res[r].kind == SG_RES_VALUE)
            sg_buf_printf(&b, "    if (out.%s && memcmp(first_%d, res_%d, sizeof res_%d)) {\n"
                              "        fprintf(stderr, \"%s differs with derivatives\\n\");\n"
                              "        return 30;\n    }\n",
                          RESF(p, r), r, r, r, RESF(p, r));
        sg_buf_printf(&b, "    if (out.%s) {\n        int i;\n        printf(\"%d\");\n"
                          "        for (i = 0; i < %ld; i++) printf(\" %%.17g\", (double)res_%d[i]);\n"
                          "        printf(\"\\n\");\n    }\n",
                      RESF(p, r), r, len, r);
    }
    sg_buf_puts(&b, "    free(work);\n    return 0;\n}\n");
    return sg_buf_take(&b, NULL);
}

/* ---- a CBLAS for --blas ------------------------------------------------------------- */

/*
 * The four CBLAS routines --blas calls, row-major only, as plain loops: the
 * generated code is built and checked against them without a BLAS installed.
 * Each call is counted in cblas_calls.txt, so that a test can tell the
 * library was used.
 */
static const char cblas_h[] =
    "#ifndef CBLAS_SHIM_H\n#define CBLAS_SHIM_H\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
    "enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };\n"
    "enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };\n"
    "void cblas_dgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, int, int,"
    " int, double, const double *, int, const double *, int, double, double *, int);\n"
    "void cblas_sgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, int, int,"
    " int, float, const float *, int, const float *, int, float, float *, int);\n"
    "void cblas_dgemv(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, int, int, double, const double *,"
    " int, const double *, int, double, double *, int);\n"
    "void cblas_sgemv(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, int, int, float, const float *,"
    " int, const float *, int, float, float *, int);\n"
    "#ifdef __cplusplus\n}\n#endif\n#endif\n";

static const char cblas_c[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"cblas.h\"\n"
    "static long calls;\n"
    "static void done(void)\n{\n    FILE *f = fopen(\"cblas_calls.txt\", \"w\");\n"
    "    if (f) {\n        fprintf(f, \"%ld\\n\", calls);\n        fclose(f);\n    }\n}\n"
    "static void count(enum CBLAS_ORDER o)\n{\n    if (o != CblasRowMajor)\n        abort();\n"
    "    if (calls++ == 0)\n        atexit(done);\n}\n"
    "#define GEMM(NAME, T)                                                              \\\n"
    "    void NAME(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,   \\\n"
    "              int m, int n, int k, T alpha, const T *A, int lda, const T *B, int ldb, \\\n"
    "              T beta, T *C, int ldc)                                               \\\n"
    "    {                                                                              \\\n"
    "        int i, j, p;                                                               \\\n"
    "        count(o);                                                                  \\\n"
    "        for (i = 0; i < m; i++)                                                    \\\n"
    "            for (j = 0; j < n; j++) {                                              \\\n"
    "                double s = 0;                                                      \\\n"
    "                for (p = 0; p < k; p++)                                            \\\n"
    "                    s += (double)(ta == CblasNoTrans ? A[i * lda + p] : A[p * lda + i]) \\\n"
    "                         * (double)(tb == CblasNoTrans ? B[p * ldb + j] : B[j * ldb + p]); \\\n"
    "                C[i * ldc + j] = (T)(alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j])); \\\n"
    "            }                                                                      \\\n"
    "    }\n"
    "GEMM(cblas_dgemm, double)\nGEMM(cblas_sgemm, float)\n"
    "#define GEMV(NAME, T)                                                              \\\n"
    "    void NAME(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE t, int m, int n, T alpha,      \\\n"
    "              const T *A, int lda, const T *x, int incx, T beta, T *y, int incy)     \\\n"
    "    {                                                                              \\\n"
    "        int i, j, len = t == CblasNoTrans ? m : n, inner = t == CblasNoTrans ? n : m; \\\n"
    "        count(o);                                                                  \\\n"
    "        for (i = 0; i < len; i++) {                                                \\\n"
    "            double s = 0;                                                          \\\n"
    "            for (j = 0; j < inner; j++)                                            \\\n"
    "                s += (double)(t == CblasNoTrans ? A[i * lda + j] : A[j * lda + i]) * x[j * incx]; \\\n"
    "            y[i * incy] = (T)(alpha * s + (beta == 0 ? 0 : beta * y[i * incy]));   \\\n"
    "        }                                                                          \\\n"
    "    }\n"
    "GEMV(cblas_dgemv, double)\nGEMV(cblas_sgemv, float)\n";

/* can gcc link a program against OpenBLAS's CBLAS? */
static int have_openblas(void)
{
    return sh("cd %s && printf '#include <cblas.h>\\nint main(void){double a=1,b=1,c=0;"
              "cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.0,&a,1,&b,1,0.0,&c,1);"
              "return c!=1;}\\n' > blastest.c && gcc blastest.c -o blastest -lopenblas "
              ">/dev/null 2>&1 && ./blastest",
              tmpdir) == 0;
}

/* ---- checking ---------------------------------------------------------------------- */

typedef struct {
    int single;            /* --type float */
    const sg_dimfix *fixed;
    int nfixed;
    int inline_decls;      /* no header: the declarations in the .c */
    const char *masks[8];  /* requests to try besides "everything" */
    double rtol;
    int rc_only;           /* only the code P_eval returns is checked: */
    int want_rc;           /*   this one, */
    const char *rc_mask;   /*   for this request (NULL: everything) */
    char **src;            /* when set, gets the generated .c (the caller frees it) */
    int blas;              /* --blas: built against cblas_shim (and OpenBLAS when there) */
} opts;

static void compare(prob *p, const char *output, const char *want, double rtol)
{
    const double *syms[MAXS];
    sg_eval *ev;
    const char *s = output;
    int s_i, r;
    for (s_i = 0; s_i < sg_nsyms(p->ctx); s_i++)
        syms[s_i] = p->in[s_i];
    ev = sg_eval_new(p->ctx, p->dimval, syms);
    for (r = 0; r < p->nres; r++) {
        sg_shape sh = p->res[r].expr->shape;
        long len = rows_of(p, sh) * cols_of(p, sh), i;
        const double *ref = sg_eval_expr(ev, p->res[r].expr);
        double scale = 1e-3, worst = 0;
        char *end;
        if (!((int)strlen(want) > r && want[r] == '1'))
            continue;
        assert_non_null(ref);
        assert_int_equal(strtol(s, &end, 10), r);
        s = end;
        for (i = 0; i < len; i++)
            if (fabs(ref[i]) > scale)
                scale = fabs(ref[i]);
        for (i = 0; i < len; i++) {
            double v = strtod(s, &end);
            assert_true(end != s);
            s = end;
            if (!(fabs(v - ref[i]) <= worst))
                worst = fabs(v - ref[i]);
            if (!(fabs(v - ref[i]) <= rtol * scale))
                fprintf(stderr, "%s[%ld]: got %.17g, want %.17g\n", p->res[r].cname, i, v,
                        ref[i]);
        }
        assert_true(worst <= rtol * scale);
        while (*s == ' ')
            s++;
        assert_true(*s == '\n');
        s++;
    }
    assert_true(*s == '\0');
    sg_eval_free(ev);
}

static char *run_driver(const char *arg)
{
    char cmd[600], *out = malloc(1 << 20);
    FILE *f;
    size_t n;
    int rc;
    snprintf(cmd, sizeof cmd, "cd %s && ./driver %s", workdir, arg);
    f = popen(cmd, "r");
    assert_non_null(f);
    n = fread(out, 1, (1 << 20) - 1, f);
    out[n] = '\0';
    rc = pclose(f);
    if (rc != 0)
        fprintf(stderr, "driver %s exited %d:\n%s\n", arg, rc, out);
    assert_int_equal(rc, 0);
    return out;
}

/* prints p as C, builds it every way, runs it and checks every result */
static void check(prob *p, const opts *op)
{
    sg_problem pr = problem_of(p);
    sg_cgen_opts o;
    char *src, *hdr, *again, *drv, all[MAXR + 1], *output;
    char P[64], PU[64];
    const char *strict = STRICT;
    int i, m;
    double rtol = op->rtol > 0 ? op->rtol : op->single ? 1e-4 : 1e-10;

    memset(&o, 0, sizeof o);
    o.prefix = p->prefix;
    o.use_float = op->single;
    o.header = op->inline_decls ? NULL : "gen.h";
    o.version = "test";
    o.command = "test_cgen";
    o.source_name = "test.sg";
    o.fixed = op->fixed;
    o.nfixed = op->nfixed;
    o.blas = op->blas;
    snprintf(P, sizeof P, "%s", p->prefix);
    snprintf(PU, sizeof PU, "%s", p->prefix);
    for (i = 0; PU[i]; i++)
        if (PU[i] >= 'a' && PU[i] <= 'z')
            PU[i] = (char)(PU[i] - 'a' + 'A');

    assert_null(sg_cgen_unsupported(&pr));
    src = sg_cgen_source(&pr, &o, NULL);
    hdr = sg_cgen_header(&pr, &o, NULL);
    assert_non_null(src);
    assert_non_null(hdr);
    again = sg_cgen_source(&pr, &o, NULL); /* byte-identical every time */
    assert_string_equal(src, again);
    free(again);

    snprintf(workdir, sizeof workdir, "%s/%s%s%s", tmpdir, p->prefix, op->single ? "_f" : "",
             op->blas ? "_blas" : "");
    assert_int_equal(sh("mkdir -p %s", workdir), 0);
    fill_inputs(p, op->single);
    if (op->blas) {
        write_file("cblas.h", cblas_h);
        write_file("cblas_shim.c", cblas_c);
    }
    write_file("gen.c", src);
    write_file("gen.h", hdr);
    drv = driver_source(p, P, PU, op->single, op->inline_decls ? "gen.c" : "gen.h",
                        op->nfixed ? op->fixed[0].name : NULL);
    write_file("driver.c", drv);
    free(drv);

    assert_int_equal(sh("cd %s && gcc %s -I. -c gen.c -o gen_gcc.o", workdir, strict), 0);
    if (have("clang"))
        assert_int_equal(sh("cd %s && clang %s -I. -c gen.c -o gen_clang.o", workdir, strict), 0);
    if (have("g++"))
        assert_int_equal(sh("cd %s && g++ -x c++ -Wall -Wextra -Werror -I. -c gen.c -o gen_cxx.o",
                            workdir),
                         0);
    assert_int_equal(sh("cd %s && gcc -std=c99 -Wall -Wextra -Werror -g -O1 -I. "
                        "-fsanitize=address,undefined -fno-sanitize-recover=all "
                        "driver.c %s %s -o driver -lm",
                        workdir, op->inline_decls ? "" : "gen.c", op->blas ? "cblas_shim.c" : ""),
                     0);

    if (op->rc_only) {
        char arg[MAXR + 3];
        snprintf(arg, sizeof arg, "rc%s", op->rc_mask ? op->rc_mask : "");
        output = run_driver(arg);
        assert_int_equal(atoi(output), op->want_rc);
        free(output);
        if (op->src)
            *op->src = src;
        else
            free(src);
        free(hdr);
        return;
    }
    for (i = 0; i < p->nres; i++)
        all[i] = '1';
    all[p->nres] = '\0';
    output = run_driver(all);
    compare(p, output, all, rtol);
    free(output);
    for (m = 0; m < 8 && op->masks[m]; m++) {
        output = run_driver(op->masks[m]);
        compare(p, output, op->masks[m], rtol);
        free(output);
    }
    if (op->nfixed)
        free(run_driver("edims"));
    if (op->blas) { /* the shim did the large products; then OpenBLAS, when there */
        char path[600];
        FILE *f;
        long calls = 0;
        snprintf(path, sizeof path, "%s/cblas_calls.txt", workdir);
        f = fopen(path, "r");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%ld", &calls), 1);
        fclose(f);
        assert_true(calls > 0);
        if (have_openblas()) {
            assert_int_equal(sh("cd %s && rm -f cblas.h && gcc -std=c99 -Wall -Wextra -Werror -g "
                                "-O1 driver.c %s -o driver -lopenblas -lm",
                                workdir, op->inline_decls ? "" : "gen.c"),
                             0);
            output = run_driver(all);
            compare(p, output, all, rtol);
            free(output);
        }
    }
    if (op->src)
        *op->src = src;
    else
        free(src);
    free(hdr);
}

/* how many times needle occurs in hay */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    const char *s;
    for (s = strstr(hay, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/*
 * Prints p with --check's main(), builds it as a user would (gcc and clang
 * strict, g++ as C++; gcc under ASan and UBSan), runs it, and returns its exit
 * status with its output in out.
 */
static int run_check_main_ex(prob *p, int single, const sg_dimfix *fixed, int nfixed, int blas,
                             char *out, size_t cap);

static int run_check_main(prob *p, int single, char *out, size_t cap)
{
    return run_check_main_ex(p, single, NULL, 0, 0, out, cap);
}

/* the same, with dimensions fixed and with --blas (built against cblas_shim) */
static int run_check_main_ex(prob *p, int single, const sg_dimfix *fixed, int nfixed, int blas,
                             char *out, size_t cap)
{
    sg_problem pr = problem_of(p);
    sg_cgen_opts o;
    char *src, *again, cmd[700];
    const char *strict = STRICT;
    FILE *f;
    size_t n;
    int rc;
    memset(&o, 0, sizeof o);
    o.prefix = p->prefix;
    o.use_float = single;
    o.version = "test";
    o.source_name = "test.sg";
    o.check_main = 1;
    o.fixed = fixed;
    o.nfixed = nfixed;
    o.blas = blas;
    src = sg_cgen_source(&pr, &o, NULL);
    assert_non_null(src);
    again = sg_cgen_source(&pr, &o, NULL);
    assert_string_equal(src, again);
    free(again);
    snprintf(workdir, sizeof workdir, "%s/%s_check%s%s%s", tmpdir, p->prefix, single ? "_f" : "",
             nfixed ? "_dims" : "", blas ? "_blas" : "");
    assert_int_equal(sh("mkdir -p %s", workdir), 0);
    write_file("check.c", src);
    if (blas) {
        write_file("cblas.h", cblas_h);
        write_file("cblas_shim.c", cblas_c);
    }
    free(src);
    assert_int_equal(sh("cd %s && gcc %s -I. -g -O1 -fsanitize=address,undefined "
                        "-fno-sanitize-recover=all -c check.c -o check.o && "
                        "gcc -std=c99 -Wall -Wextra -Werror -I. -g -O1 -fsanitize=address,undefined "
                        "-fno-sanitize-recover=all check.o %s -o check -lm",
                        workdir, strict, blas ? "cblas_shim.c" : ""),
                     0);
    if (have("clang"))
        assert_int_equal(sh("cd %s && clang %s -I. -c check.c -o check_clang.o", workdir, strict),
                         0);
    if (have("g++"))
        assert_int_equal(sh("cd %s && g++ -x c++ -Wall -Wextra -Werror -I. -c check.c "
                            "-o check_cxx.o",
                            workdir),
                         0);
    snprintf(cmd, sizeof cmd, "cd %s && ./check", workdir);
    f = popen(cmd, "r");
    assert_non_null(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    rc = pclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 100;
}

/* ---- problems -------------------------------------------------------------------------- */

/* L = ½‖WᵀWx − x‖², r named */
static void autoencoder(prob *p, long m, long n)
{
    sg_ctx *c = p->ctx;
    sg_dim dm = dim(p, "m", m), dn = dim(p, "n", n);
    sg_expr *W = var(p, "W", dm, dn, "RAND"), *x = var(p, "x", dn, SG_DIM_ONE, "RAND");
    sg_expr *r = named(sg_sub(c, sg_mul(c, sg_mul(c, sg_transpose(c, W), W), x), x), "r");
    sg_expr *L = sg_mul(c, sg_const(c, 0.5), sg_dot(c, r, r));
    value(p, "L", L);
    grad(p, "L", L, 2, "W", "x");
}

static void test_autoencoder(void **state)
{
    prob p;
    opts op;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "100";
    op.masks[1] = "010";
    op.masks[2] = "001";
    op.masks[3] = "011";
    prob_init(&p, "autoencoder");
    autoencoder(&p, 3, 5);
    check(&p, &op);
    prob_free(&p);
}

static void test_float(void **state)
{
    prob p;
    opts op;
    (void)state;
    memset(&op, 0, sizeof op);
    op.single = 1;
    op.masks[0] = "010";
    prob_init(&p, "ae");
    autoencoder(&p, 4, 3);
    check(&p, &op);
    prob_free(&p);
}

static void test_fixed_dims(void **state)
{
    prob p;
    opts op;
    sg_dimfix fix[2] = {{"n", 5}, {"m", 3}};
    (void)state;
    memset(&op, 0, sizeof op);
    op.fixed = fix;
    op.nfixed = 2;
    op.inline_decls = 1;
    op.masks[0] = "001";
    prob_init(&p, "fixed");
    autoencoder(&p, 3, 5);
    check(&p, &op);
    prob_free(&p);
}

/* z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂, L = −yᵀ log(softmax(z₂)) */
static void test_mlp(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim D, H, C;
    sg_expr *x, *W1, *b1, *W2, *b2, *y, *z1, *h1, *z2, *L;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "10000";
    op.masks[1] = "01000";
    op.masks[2] = "00010";
    op.masks[3] = "00001";
    prob_init(&p, "mlp");
    c = p.ctx;
    D = dim(&p, "D", 5);
    H = dim(&p, "H", 4);
    C = dim(&p, "C", 3);
    x = var(&p, "x", D, SG_DIM_ONE, "RAND");
    W1 = var(&p, "W1", H, D, "RAND");
    b1 = var(&p, "b1", H, SG_DIM_ONE, "RAND");
    W2 = var(&p, "W2", C, H, "RAND");
    b2 = var(&p, "b2", C, SG_DIM_ONE, "RAND");
    y = var(&p, "y", C, SG_DIM_ONE, "ONEHOT");
    z1 = named(sg_add(c, sg_mul(c, W1, x), b1), "z1");
    h1 = named(sg_unary(c, SG_OP_SWISH, z1), "h1");
    z2 = named(sg_add(c, sg_mul(c, W2, h1), b2), "z2");
    L = sg_neg(c, sg_mul(c, sg_transpose(c, y),
                         sg_unary(c, SG_OP_LOG, sg_unary(c, SG_OP_SOFTMAX, z2))));
    value(&p, "L", L);
    grad(&p, "L", L, 4, "W1", "b1", "W2", "b2");
    check(&p, &op);
    prob_free(&p);
}

/* column-wise softmax family on matrices, plain and transposed */
static void test_columnwise(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim pd, N;
    sg_expr *X, *A, *Z, *S, *T, *L;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "1100";
    op.masks[1] = "0001";
    prob_init(&p, "cw");
    c = p.ctx;
    pd = dim(&p, "p", 4);
    N = dim(&p, "N", 3);
    X = var(&p, "X", pd, N, "RAND");
    A = var(&p, "A", N, pd, "RAND");
    Z = var(&p, "Z", N, pd, "RAND");
    /* S = softmax(X) p×N; T = logsoftmax(Zᵀ) p×N (a transposed operand) */
    S = sg_unary(c, SG_OP_SOFTMAX, X);
    T = sg_unary(c, SG_OP_LOGSOFTMAX, sg_transpose(c, Z));
    /* L = Σ logsumexp(X) + ⟨Aᵀ, S⟩ + sum(T ⊙ S) + Σ logsumexp(Zᵀ) */
    L = sg_add(c, sg_sum(c, sg_unary(c, SG_OP_LOGSUMEXP, X)),
               sg_add(c, sg_dot(c, sg_transpose(c, A), S),
                      sg_add(c, sg_sum(c, sg_hadamard(c, T, S)),
                             sg_sum(c, sg_unary(c, SG_OP_LOGSUMEXP, sg_transpose(c, Z))))));
    value(&p, "S", S);
    value(&p, "T", T);
    value(&p, "L", L);
    grad(&p, "L", L, 1, "X");
    check(&p, &op);
    prob_free(&p);
}

/* every elementwise function, powers, ⊙ and ⊘ */
static void test_elementwise(void **state)
{
    static const sg_op ops[] = {SG_OP_EXP,   SG_OP_SIN,      SG_OP_COS,   SG_OP_TANH,
                                SG_OP_SIGMOID, SG_OP_RELU,   SG_OP_SWISH, SG_OP_SOFTPLUS,
                                SG_OP_EXPM1, SG_OP_ABS};
    static const sg_op pos_ops[] = {SG_OP_LOG, SG_OP_SQRT, SG_OP_LOG1P};
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n;
    sg_expr *x, *y, *acc, *L;
    size_t i;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "010";
    prob_init(&p, "ew");
    c = p.ctx;
    n = dim(&p, "n", 7);
    x = var(&p, "x", n, SG_DIM_ONE, "RAND");
    y = var(&p, "y", n, SG_DIM_ONE, "POS");
    acc = sg_hadamard(c, x, y);
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        acc = sg_add(c, acc, sg_mul(c, sg_const(c, (double)(i + 1)), sg_unary(c, ops[i], x)));
    for (i = 0; i < sizeof pos_ops / sizeof pos_ops[0]; i++)
        acc = sg_sub(c, acc, sg_unary(c, pos_ops[i], y));
    acc = sg_add(c, acc, sg_pow(c, x, sg_const(c, 3)));
    acc = sg_add(c, acc, sg_pow(c, y, sg_const(c, 0.5)));
    acc = sg_add(c, acc, sg_pow(c, y, sg_const(c, 1.5)));
    acc = sg_add(c, acc, sg_hdiv(c, x, y));
    L = sg_add(c, sg_sum(c, sg_hadamard(c, acc, acc)),
               sg_unary(c, SG_OP_NORM, sg_unary(c, SG_OP_TANH, x)));
    L = sg_add(c, L, sg_unary(c, SG_OP_NORM1, sg_unary(c, SG_OP_SIN, y)));
    value(&p, "L", L);
    grad(&p, "L", L, 2, "x", "y");
    check(&p, &op);
    prob_free(&p);
}

/* L = −(yᵀ log p + (𝟙 − y)ᵀ log(𝟙 − p))/N + λ/2 ‖w‖², p = σ(Xw) */
static void test_logreg(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim N, D;
    sg_expr *X, *y, *w, *lam, *pr, *one, *L;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "10";
    prob_init(&p, "logreg");
    c = p.ctx;
    N = dim(&p, "N", 6);
    D = dim(&p, "D", 3);
    X = var(&p, "X", N, D, "RAND");
    y = var(&p, "y", N, SG_DIM_ONE, "PROB");
    w = var(&p, "w", D, SG_DIM_ONE, "RAND");
    lam = var(&p, "lambda", SG_DIM_ONE, SG_DIM_ONE, "POS");
    pr = named(sg_unary(c, SG_OP_SIGMOID, sg_mul(c, X, w)), "p");
    one = sg_ones(c, sg_shape_make(N, SG_DIM_ONE));
    L = sg_add(c,
               sg_div(c,
                      sg_neg(c, sg_add(c, sg_mul(c, sg_transpose(c, y), sg_unary(c, SG_OP_LOG, pr)),
                                       sg_mul(c, sg_transpose(c, sg_sub(c, one, y)),
                                              sg_unary(c, SG_OP_LOG, sg_sub(c, one, pr))))),
                      sg_dimval(c, N)),
               sg_mul(c, sg_div(c, lam, sg_const(c, 2)), sg_dot(c, w, w)));
    value(&p, "L", L);
    grad(&p, "L", L, 1, "w");
    check(&p, &op);
    prob_free(&p);
}

/* products with every transpose, traces, diagonals, ones, outer products */
static void test_matrices(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n, m, k;
    sg_expr *A, *B, *C, *v, *u, *s, *L, *M, *one_m, *Dg;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "0100";
    op.masks[1] = "0010";
    op.masks[2] = "1000";
    prob_init(&p, "mat");
    c = p.ctx;
    n = dim(&p, "n", 4);
    m = dim(&p, "m", 3);
    k = dim(&p, "k", 5);
    A = var(&p, "A", n, m, "RAND");
    B = var(&p, "B", k, m, "RAND");
    C = var(&p, "C", n, n, "RAND");
    v = var(&p, "v", n, SG_DIM_ONE, "RAND");
    u = var(&p, "u", m, SG_DIM_ONE, "RAND");
    s = var(&p, "s", SG_DIM_ONE, SG_DIM_ONE, "POS");
    one_m = sg_ones(c, sg_shape_make(m, SG_DIM_ONE));
    /* M = diag(v) A Bᵀ (n×k): a row scaling, then a product with a transposed operand */
    Dg = sg_diag(c, sg_unary(c, SG_OP_TANH, v));
    M = named(sg_mul(c, sg_mul(c, Dg, A), sg_transpose(c, B)), "M");
    L = sg_add(c, sg_trace(c, sg_mul(c, sg_mul(c, C, A), sg_transpose(c, A))),
               sg_mul(c, s, sg_unary(c, SG_OP_NORM, M)));
    L = sg_add(c, L, sg_dot(c, sg_mul(c, A, one_m), v));              /* 𝟙ᵀ… row sums */
    L = sg_add(c, L, sg_dot(c, sg_mul(c, sg_transpose(c, v), A), sg_transpose(c, u)));
    L = sg_add(c, L, sg_sum(c, sg_unary(c, SG_OP_EXP, sg_mul(c, sg_mul(c, v, sg_transpose(c, u)),
                                                             sg_transpose(c, A)))));
    L = sg_add(c, L, sg_dot(c, sg_diagv(c, C), v));
    L = sg_add(c, L, sg_pow(c, sg_sum(c, sg_mul(c, sg_transpose(c, C), C)), sg_const(c, 2)));
    value(&p, "L", L);
    value(&p, "M", M);
    grad(&p, "L", L, 2, "A", "C");
    check(&p, &op);
    prob_free(&p);
}

/* odd shapes and leaves: a Jacobian-shaped result, fills, I, 𝟙, copies of
   inputs, zero gradients, constants */
static void test_edges(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n;
    sg_expr *x, *beta, *S, *s, *J, *V, *U, *L;
    sg_shape vec, mat;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "1000000";
    op.masks[1] = "0000100";
    op.masks[2] = "0000010";
    prob_init(&p, "edge");
    c = p.ctx;
    n = dim(&p, "n", 4);
    vec = sg_shape_make(n, SG_DIM_ONE);
    mat = sg_shape_make(n, n);
    x = var(&p, "x", n, SG_DIM_ONE, "RAND");
    beta = var(&p, "beta", SG_DIM_ONE, SG_DIM_ONE, "POS");
    S = var(&p, "S", n, n, "RAND");
    s = sg_unary(c, SG_OP_SOFTMAX, x);
    /* ∂s/∂x = diag(s) − s sᵀ */
    J = sg_sub(c, sg_diag(c, s), sg_mul(c, s, sg_transpose(c, s)));
    V = sg_sub(c, sg_add(c, x, sg_fill(c, beta, vec)), sg_div(c, x, sg_dimval(c, n)));
    U = sg_add(c, sg_mul(c, sg_ones(c, vec), sg_transpose(c, x)),
               sg_hadamard(c, S, sg_eye(c, n)));
    U = sg_add(c, U, sg_mul(c, sg_fill(c, beta, mat), sg_ones(c, mat)));
    L = sg_add(c, sg_mul(c, sg_const(c, 0.5), sg_dot(c, x, x)),
               sg_add(c, sg_pow(c, beta, sg_const(c, 2)), sg_const(c, 3)));
    value(&p, "J", J);
    value(&p, "V", V);
    value(&p, "U", U);
    value(&p, "L", L);
    grad(&p, "L", L, 3, "x", "beta", "S");
    check(&p, &op);
    prob_free(&p);
}

/* no dimensions, no buffers: scalars only */
static void test_scalars(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_expr *a, *b, *L;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "010";
    prob_init(&p, "sc");
    c = p.ctx;
    a = var(&p, "a", SG_DIM_ONE, SG_DIM_ONE, "POS");
    b = var(&p, "b", SG_DIM_ONE, SG_DIM_ONE, "RAND");
    L = sg_add(c, sg_mul(c, a, sg_unary(c, SG_OP_SIN, b)),
               sg_div(c, sg_unary(c, SG_OP_LOG, a), sg_add(c, b, sg_const(c, 2))));
    value(&p, "L", L);
    grad(&p, "L", L, 2, "a", "b");
    check(&p, &op);
    prob_free(&p);
}

/* ---- linear algebra ---------------------------------------------------------------------- */

/* the Gaussian-process log-likelihood of the acceptance case gp_loglik:
   K = XXᵀ + βI, L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ) */
static void gp(prob *p, long N, long Q, long D)
{
    sg_ctx *c = p->ctx;
    sg_dim dN = dim(p, "N", N), dQ = dim(p, "Q", Q), dD = dim(p, "D", D);
    sg_expr *X = var(p, "X", dN, dQ, "RAND"), *Y = var(p, "Y", dN, dD, "RAND");
    sg_expr *beta = var(p, "beta", SG_DIM_ONE, SG_DIM_ONE, "POS");
    sg_expr *K = named(sg_add(c, sg_mul(c, X, sg_transpose(c, X)), sg_mul(c, beta, sg_eye(c, dN))),
                       "K");
    sg_expr *L = sg_sub(c,
                        sg_mul(c, sg_mul(c, sg_const(c, -0.5), sg_dimval(c, dD)),
                               sg_unary(c, SG_OP_LOGDET, K)),
                        sg_mul(c, sg_const(c, 0.5),
                               sg_trace(c, sg_mul(c, sg_unary(c, SG_OP_INV, K),
                                                  sg_mul(c, Y, sg_transpose(c, Y))))));
    value(p, "L", L);
    grad(p, "L", L, 2, "X", "beta");
}

static void test_gp(void **state)
{
    prob p;
    opts op;
    char *src = NULL;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "100";
    op.masks[1] = "010";
    op.masks[2] = "001";
    op.src = &src;
    op.inline_decls = 1;
    prob_init(&p, "gp");
    gp(&p, 4, 2, 3);
    check(&p, &op);
    /* K is factored once, in place of K itself; every solve and the inverse the
       gradient needs use that factor; log|K| comes from its pivots */
    assert_int_equal(count(src, "sg_lu(N, K_lu, pack)"), 1);
    assert_non_null(strstr(src, "if (sg_lu(N, K_lu, pack))\n        return GP_ESINGULAR;"));
    assert_non_null(strstr(src, "= sg_lu_logdet(N, K_lu);"));
    assert_non_null(strstr(src, "sg_lu_solve(N, K_lu, 0, 0, D, "));  /* K⁻¹Y */
    assert_non_null(strstr(src, "sg_lu_inverse(N, K_lu, 0, "));      /* K⁻¹ */
    /* (K⁻¹YYᵀ)K⁻¹ = (K⁻¹Y)(K⁻¹Y)ᵀ, K being symmetric: no solve with N right-hand sides */
    assert_int_equal(count(src, "sg_lu_solve(N, K_lu, 0, 1, "), 0);
    assert_int_equal(count(src, "the inverse being symmetric"), 1);
    assert_int_equal(count(src, "sg_gemm(N, N, N"), 0);              /* no product with K⁻¹ */
    assert_non_null(strstr(src, "/* K_lu = the LU factors of K = t1 + βI  (N×N and N pivots) */"));
    assert_non_null(strstr(src, "n*eps*max|a_ij|"));
    free(src);
    prob_free(&p);
    /* in single precision too */
    memset(&op, 0, sizeof op);
    op.single = 1;
    prob_init(&p, "gpf");
    gp(&p, 5, 3, 2);
    check(&p, &op);
    prob_free(&p);
}

/* LU: inverses, solves from either side and transposed, det, logdet, tr(A⁻¹B) */
static void test_lu(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n, m;
    sg_expr *B, *C, *b, *A, *Ai, *L;
    char *src = NULL;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "1000000000";
    op.masks[1] = "0100000000";
    op.masks[2] = "0000000011";
    op.masks[3] = "0000000100";
    op.src = &src;
    prob_init(&p, "lu");
    c = p.ctx;
    n = dim(&p, "n", 4);
    m = dim(&p, "m", 3);
    B = var(&p, "B", n, n, "RAND");
    C = var(&p, "C", n, m, "RAND");
    b = var(&p, "b", n, SG_DIM_ONE, "RAND");
    A = named(sg_add(c, B, sg_mul(c, sg_const(c, 3), sg_eye(c, n))), "A");
    Ai = sg_unary(c, SG_OP_INV, A);
    value(&p, "Ai", Ai);                                             /* A⁻¹ itself */
    value(&p, "d", sg_unary(c, SG_OP_DET, A));                       /* det A */
    value(&p, "X1", sg_mul(c, Ai, C));                               /* A⁻¹C */
    value(&p, "X2", sg_mul(c, sg_transpose(c, C), Ai));              /* CᵀA⁻¹ */
    value(&p, "X3", sg_mul(c, sg_transpose(c, Ai), C));              /* A⁻ᵀC */
    value(&p, "X4", sg_mul(c, sg_transpose(c, C), sg_unary(c, SG_OP_INV, sg_transpose(c, A))));
    value(&p, "X5", sg_unary(c, SG_OP_INV, sg_transpose(c, B)));     /* another matrix */
    L = sg_add(c, sg_unary(c, SG_OP_LOGDET, A),
               sg_add(c, sg_trace(c, sg_mul(c, Ai, sg_mul(c, C, sg_transpose(c, C)))),
                      sg_mul(c, sg_transpose(c, b), sg_mul(c, Ai, b))));
    L = sg_add(c, L, sg_mul(c, sg_const(c, 0.1), sg_unary(c, SG_OP_DET, A)));
    value(&p, "L", L);
    grad(&p, "L", L, 2, "B", "b");
    assert_int_equal(p.nres, 10);
    check(&p, &op);
    /* det alone does not fail on a singular A */
    assert_int_equal(count(src, "if (sg_lu(n, A_lu, pack) && need"), 1); /* not for det */
    assert_int_equal(count(src, "if (sg_lu(n, B_lu, pack))"), 1);
    assert_non_null(strstr(src, "sg_lu_det(n, A_lu)"));
    free(src);
    prob_free(&p);
}

/* Cholesky: an input declared SPD, and a matrix built SPD (BBᵀ + I) */
static void test_cholesky(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n;
    sg_expr *S, *B, *x, *E, *L;
    char *src = NULL;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "10000";
    op.masks[1] = "01000";
    op.masks[2] = "00110";
    op.src = &src;
    prob_init(&p, "chol");
    c = p.ctx;
    n = dim(&p, "n", 5);
    S = var_p(&p, "S", n, n, "SPD", SG_PROP_SPD);
    B = var(&p, "B", n, n, "RAND");
    x = var(&p, "x", n, SG_DIM_ONE, "RAND");
    E = named(sg_add(c, sg_mul(c, B, sg_transpose(c, B)), sg_eye(c, n)), "E");
    L = sg_add(c, sg_unary(c, SG_OP_LOGDET, S),
               sg_mul(c, sg_transpose(c, x), sg_mul(c, sg_unary(c, SG_OP_INV, S), x)));
    L = sg_add(c, L, sg_mul(c, sg_const(c, 0.5), sg_unary(c, SG_OP_LOGDET, E)));
    L = sg_add(c, L, sg_trace(c, sg_mul(c, sg_unary(c, SG_OP_INV, E), S)));
    value(&p, "L", L);
    value(&p, "dS", sg_unary(c, SG_OP_DET, S));
    value(&p, "Ei", sg_unary(c, SG_OP_INV, E));
    grad(&p, "L", L, 2, "S", "x");
    check(&p, &op);
    assert_int_equal(count(src, "if (sg_chol(n, S_chol, pack))"), 1);
    assert_int_equal(count(src, "return CHOL_ENOTSPD;"), 2);
    assert_int_equal(count(src, "if (sg_chol(n, E_chol, pack))"), 1);
    assert_null(strstr(src, "sg_lu("));
    assert_non_null(strstr(src, "sg_chol_logdet(n, S_chol)"));
    assert_non_null(strstr(src, "sg_chol_det(n, S_chol)"));
    assert_non_null(strstr(src, "sg_chol_solve(n, "));
    free(src);
    prob_free(&p);
}

/* the codes: a singular matrix, one that is not positive definite, and a
   determinant (0) that is no error */
static void test_la_errors(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n;
    sg_expr *u, *v, *S, *A;
    (void)state;
    memset(&op, 0, sizeof op);
    op.rc_only = 1;
    op.want_rc = 1; /* ESINGULAR */
    prob_init(&p, "sing");
    c = p.ctx;
    n = dim(&p, "n", 4);
    u = var(&p, "u", n, SG_DIM_ONE, "RAND");
    v = var(&p, "v", n, SG_DIM_ONE, "RAND");
    A = named(sg_mul(c, u, sg_transpose(c, v)), "A"); /* rank 1 */
    value(&p, "L", sg_add(c, sg_unary(c, SG_OP_LOGDET, A),
                          sg_sum(c, sg_mul(c, sg_unary(c, SG_OP_INV, A), u))));
    grad(&p, "L", p.res[0].expr, 1, "u");
    check(&p, &op);
    prob_free(&p);

    memset(&op, 0, sizeof op);
    op.rc_only = 1;
    op.want_rc = 2; /* ENOTSPD */
    prob_init(&p, "notspd");
    c = p.ctx;
    n = dim(&p, "n", 3);
    S = var_p(&p, "S", n, n, "NEGDEF", SG_PROP_SPD);
    value(&p, "L", sg_unary(c, SG_OP_LOGDET, S));
    grad(&p, "L", p.res[0].expr, 1, "S");
    check(&p, &op);
    prob_free(&p);

    /* det of a singular matrix is 0, not an error; its inverse is one */
    prob_init(&p, "det0");
    c = p.ctx;
    n = dim(&p, "n", 4);
    u = var(&p, "u", n, SG_DIM_ONE, "RAND");
    v = var(&p, "v", n, SG_DIM_ONE, "RAND");
    A = sg_mul(c, u, sg_transpose(c, v));
    value(&p, "d", sg_unary(c, SG_OP_DET, A));
    value(&p, "Ai", sg_unary(c, SG_OP_INV, A));
    memset(&op, 0, sizeof op);
    op.rtol = 1e-6;
    p.nres = 1; /* d alone: its value is compared */
    check(&p, &op);
    p.nres = 2;
    op.rc_only = 1;
    op.want_rc = 1;
    op.rc_mask = "01";
    check(&p, &op);
    op.want_rc = 0; /* d alone, from the code that can compute both */
    op.rc_mask = "10";
    check(&p, &op);
    prob_free(&p);
}

/* diag(v) as scalings, in sums and as a result; diag(A) of products without them */
static void test_diag(void **state)
{
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n, m;
    sg_expr *X, *A, *v, *w, *s, *pr, *d, *H, *L;
    char *src = NULL, *line_;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "10000000";
    op.masks[1] = "01000000";
    op.masks[2] = "00000011";
    op.src = &src;
    prob_init(&p, "dg");
    c = p.ctx;
    n = dim(&p, "n", 5);
    m = dim(&p, "m", 3);
    X = var(&p, "X", n, m, "RAND");
    A = var(&p, "A", n, n, "RAND");
    v = var(&p, "v", n, SG_DIM_ONE, "RAND");
    w = var(&p, "w", m, SG_DIM_ONE, "RAND");
    s = var(&p, "s", SG_DIM_ONE, SG_DIM_ONE, "POS");
    /* a logistic-regression Hessian: Xᵀ diag(p ⊙ (𝟙 − p)) X / n + sI */
    pr = named(sg_unary(c, SG_OP_SIGMOID, sg_mul(c, X, w)), "p");
    d = sg_hadamard(c, pr, sg_sub(c, sg_ones(c, pr->shape), pr));
    H = sg_add(c, sg_div(c, sg_mul(c, sg_mul(c, sg_transpose(c, X), sg_diag(c, d)), X),
                         sg_dimval(c, n)),
               sg_mul(c, s, sg_eye(c, m)));
    value(&p, "H", H);
    value(&p, "D", sg_diag(c, v));                                      /* a result */
    value(&p, "J", sg_sub(c, sg_diag(c, pr), sg_mul(c, pr, sg_transpose(c, pr))));
    value(&p, "dAX", sg_diagv(c, sg_mul(c, A, sg_mul(c, X, sg_transpose(c, X)))));
    value(&p, "dXX", sg_diagv(c, sg_mul(c, sg_transpose(c, X), X)));    /* m */
    L = sg_add(c, sg_sum(c, sg_mul(c, sg_diag(c, sg_unary(c, SG_OP_EXP, v)), A)),
               sg_dot(c, sg_diagv(c, sg_mul(c, A, sg_transpose(c, A))), v));
    L = sg_add(c, L, sg_sum(c, sg_mul(c, sg_transpose(c, X), sg_diag(c, v))));
    L = sg_add(c, L, sg_trace(c, sg_mul(c, sg_diag(c, v), A)));
    value(&p, "L", L);
    grad(&p, "L", L, 2, "v", "A");
    check(&p, &op);
    assert_non_null(strstr(src, "sg_diagmul("));
    /* no temporary holds an n×n diagonal matrix (the result D does) */
    for (line_ = strstr(src, "*const t"); line_; line_ = strstr(line_ + 1, "*const t")) {
        const char *eol = strchr(line_, '\n');
        const char *dg = strstr(line_, "diag(");
        if (dg && dg < eol)
            assert_false(strstr(line_, "(n×n)") && strstr(line_, "(n×n)") < eol);
    }
    free(src);
    prob_free(&p);
}

/* ---- --check ------------------------------------------------------------------------------- */

/* L over an SPD S, a symmetric T (whose gradient is not symmetric) and a
   simplex y; s = softmax(z) with its Jacobian; f = ‖Ax − b‖² with its gradient
   and Hessians, one of them mixed */
static void structured(prob *p, int broken)
{
    sg_ctx *c = p->ctx;
    sg_dim n = dim(p, "n", 0), m = dim(p, "m", 0);
    sg_expr *S = var_p(p, "S", n, n, "SPD", SG_PROP_SPD);
    sg_expr *T = var_p(p, "T", n, n, "SYM", SG_PROP_SYMMETRIC);
    sg_expr *y = var_p(p, "y", n, SG_DIM_ONE, "SIMPLEX", SG_PROP_SIMPLEX);
    sg_expr *x = var(p, "x", n, SG_DIM_ONE, "RAND"), *z = var(p, "z", n, SG_DIM_ONE, "RAND");
    sg_expr *A = var(p, "A", m, n, "RAND"), *b = var(p, "b", m, SG_DIM_ONE, "RAND");
    sg_expr *L, *sm, *r, *f, *g;
    L = sg_add(c, sg_unary(c, SG_OP_LOGDET, S),
               sg_mul(c, sg_transpose(c, x), sg_mul(c, sg_unary(c, SG_OP_INV, S), z)));
    L = sg_add(c, L, sg_mul(c, sg_transpose(c, x), sg_mul(c, T, z)));
    L = sg_sub(c, L, sg_mul(c, sg_transpose(c, y), sg_unary(c, SG_OP_LOGSOFTMAX, z)));
    value(p, "L", L);
    sm = sg_unary(c, SG_OP_SOFTMAX, z);
    value(p, "s", sm);
    r = named(sg_sub(c, sg_mul(c, A, x), b), "r");
    f = sg_dot(c, r, r);
    value(p, "f", f);
    grad(p, "L", L, 4, "S", "T", "y", "z");
    /* ∂s/∂z = diag(s) − ssᵀ */
    deriv(p, SG_RES_JACOBIAN, "ds_dz", "s", "z", NULL,
          sg_sub(c, sg_diag(c, sm), sg_mul(c, sm, sg_transpose(c, sm))));
    g = sg_mul(c, sg_const(c, 2), sg_mul(c, sg_transpose(c, A), r));
    if (broken) /* a wrong gradient: off by 0.01 in every entry */
        g = sg_add(c, g, sg_fill(c, sg_const(c, 0.01), g->shape));
    deriv(p, SG_RES_GRAD, "df_dx", "f", "x", NULL, g);
    deriv(p, SG_RES_HESSIAN, "d2f_dx2", "f", "x", NULL,
          sg_mul(c, sg_const(c, 2), sg_mul(c, sg_transpose(c, A), A)));
    /* ∂²f/∂x∂b = −2Aᵀ: no gradient wrt b among the results, so second differences */
    deriv(p, SG_RES_HESSIAN, "d2f_dxdb", "f", "x", "b",
          sg_mul(c, sg_const(c, -2), sg_transpose(c, A)));
    /* a derivative the check cannot redo: with respect to a defined value */
    deriv(p, SG_RES_GRAD, "df_dr", "f", "r", NULL, sg_mul(c, sg_const(c, 2), r));
}

static void test_check_main(void **state)
{
    static char out[1 << 16];
    prob p;
    (void)state;
    prob_init(&p, "ae");
    autoencoder(&p, 3, 5);
    assert_int_equal(run_check_main(&p, 0, out, sizeof out), 0);
    assert_non_null(strstr(out, "dL_dW: worst relative error "));
    assert_non_null(strstr(out, "dL_dx: worst relative error "));
    prob_free(&p);

    prob_init(&p, "gp");
    gp(&p, 3, 4, 5);
    assert_int_equal(run_check_main(&p, 0, out, sizeof out), 0);
    assert_int_equal(run_check_main(&p, 1, out, sizeof out), 0);
    prob_free(&p);

    prob_init(&p, "st");
    structured(&p, 0);
    if (run_check_main(&p, 0, out, sizeof out) != 0)
        fprintf(stderr, "%s", out);
    assert_int_equal(count(out, "worst relative error"), 8);
    assert_null(strstr(out, "too large"));
    assert_non_null(strstr(out, "df_dr: not checked (r is not an input)"));
    assert_int_equal(run_check_main(&p, 1, out, sizeof out), 0);
    prob_free(&p);
}

static void test_check_main_broken(void **state)
{
    static char out[1 << 16];
    prob p;
    (void)state;
    prob_init(&p, "bad");
    structured(&p, 1);
    assert_int_equal(run_check_main(&p, 0, out, sizeof out), 1);
    assert_non_null(strstr(out, "df_dx: worst relative error "));
    assert_int_equal(count(out, "(too large)"), 1);
    prob_free(&p);
}

/* random problems: every op, every shape, compared with sg_eval */
static uint64_t fz;

static int rnd(int n)
{
    return (int)(splitmix64(&fz) % (uint64_t)n);
}

typedef struct {
    prob *p;
    sg_dim d[3]; /* 1, n, m */
    sg_expr *vars[8];
    int nvars;
} fuzzer;

static sg_expr *gen(fuzzer *f, sg_dim r, sg_dim c, int depth);

/* a well-conditioned square matrix of size d: C + 4I (C is 3×3 in [−1, 1], so
   diagonally dominant), an SPD AAᵀ + I, or an SPD input */
static sg_expr *invertible(fuzzer *f, sg_dim d)
{
    sg_ctx *ctx = f->p->ctx;
    sg_expr *A = f->vars[0]; /* m×n */
    if (d == f->d[1])
        return rnd(2) ? sg_add(ctx, f->vars[5], sg_mul(ctx, sg_const(ctx, 4), sg_eye(ctx, d)))
                      : f->vars[6];
    return sg_add(ctx, sg_mul(ctx, A, sg_transpose(ctx, A)), sg_eye(ctx, d));
}

static sg_expr *leaf(fuzzer *f, sg_dim r, sg_dim c)
{
    sg_ctx *ctx = f->p->ctx;
    int i, tries;
    sg_shape s = sg_shape_make(r, c);
    for (tries = 0; tries < 4; tries++) {
        i = rnd(f->nvars);
        if (sg_shape_eq(f->vars[i]->shape, s))
            return f->vars[i];
        if (f->vars[i]->shape.rows == c && f->vars[i]->shape.cols == r)
            return sg_transpose(ctx, f->vars[i]);
    }
    switch (rnd(5)) {
    case 0: return sg_ones(ctx, s);
    case 1: return r == c ? sg_eye(ctx, r) : sg_ones(ctx, s);
    case 2: return sg_fill(ctx, sg_const(ctx, 0.5 + rnd(4)), s);
    default:
        for (i = 0; i < f->nvars; i++)
            if (sg_shape_eq(f->vars[i]->shape, s))
                return f->vars[i];
        return sg_ones(ctx, s);
    }
}

static sg_expr *gen_scalar(fuzzer *f, int depth)
{
    sg_ctx *ctx = f->p->ctx;
    sg_dim a = f->d[1 + rnd(2)], b = f->d[rnd(3)];
    sg_expr *x;
    if (depth <= 0)
        return rnd(2) ? leaf(f, f->d[0], f->d[0]) : sg_const(ctx, 1.5);
    switch (rnd(11)) {
    case 9: return sg_unary(ctx, rnd(2) ? SG_OP_LOGDET : SG_OP_DET, invertible(f, a));
    case 10: /* tr(M⁻¹X) */
        return sg_trace(ctx, sg_mul(ctx, sg_unary(ctx, SG_OP_INV, invertible(f, a)),
                                    gen(f, a, a, depth - 1)));
    case 0: return sg_sum(ctx, gen(f, a, b, depth - 1));
    case 1: x = gen(f, a, b, depth - 1); return sg_dot(ctx, x, gen(f, a, b, depth - 1));
    case 2: return sg_unary(ctx, SG_OP_NORM, gen(f, a, b, depth - 1));
    case 3: return sg_trace(ctx, gen(f, a, a, depth - 1));
    case 4: return sg_mul(ctx, gen(f, f->d[0], a, depth - 1), gen(f, a, f->d[0], depth - 1));
    case 5: return sg_unary(ctx, SG_OP_LOGSUMEXP, gen(f, a, f->d[0], depth - 1));
    case 6: return sg_unary(ctx, SG_OP_NORM1, gen(f, a, b, depth - 1));
    case 7: return sg_mul(ctx, gen_scalar(f, depth - 1), gen_scalar(f, depth - 1));
    default: return sg_unary(ctx, SG_OP_TANH, gen_scalar(f, depth - 1));
    }
}

static sg_expr *gen(fuzzer *f, sg_dim r, sg_dim c, int depth)
{
    sg_ctx *ctx = f->p->ctx;
    sg_dim k = f->d[rnd(3)];
    static const sg_op un[] = {SG_OP_TANH, SG_OP_SIGMOID, SG_OP_SIN, SG_OP_SWISH,
                               SG_OP_SOFTPLUS, SG_OP_COS, SG_OP_RELU, SG_OP_ABS};
    if (r == f->d[0] && c == f->d[0])
        return gen_scalar(f, depth);
    if (depth <= 0)
        return leaf(f, r, c);
    switch (rnd(14)) {
    case 12: /* M⁻¹X, XM⁻¹, M⁻ᵀX */
        switch (r == f->d[0] ? 1 : c == f->d[0] ? 2 * rnd(2) : rnd(3)) {
        case 0:
            return sg_mul(ctx, sg_unary(ctx, SG_OP_INV, invertible(f, r)), gen(f, r, c, depth - 1));
        case 1:
            return sg_mul(ctx, gen(f, r, c, depth - 1), sg_unary(ctx, SG_OP_INV, invertible(f, c)));
        default:
            return sg_mul(ctx, sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, invertible(f, r))),
                          gen(f, r, c, depth - 1));
        }
    case 13:
        if (r == c && r != f->d[0])
            return sg_unary(ctx, SG_OP_INV, invertible(f, r));
        return leaf(f, r, c);
    case 0: return sg_add(ctx, gen(f, r, c, depth - 1), gen(f, r, c, depth - 1));
    case 1: return sg_sub(ctx, gen(f, r, c, depth - 1), gen(f, r, c, depth - 1));
    case 2: case 3: return sg_mul(ctx, gen(f, r, k, depth - 1), gen(f, k, c, depth - 1));
    case 4: return sg_hadamard(ctx, gen(f, r, c, depth - 1), gen(f, r, c, depth - 1));
    case 5: return sg_mul(ctx, gen_scalar(f, depth - 1), gen(f, r, c, depth - 1));
    case 6: return sg_transpose(ctx, gen(f, c, r, depth - 1));
    case 7: return sg_unary(ctx, un[rnd(8)], gen(f, r, c, depth - 1));
    case 8: return sg_unary(ctx, rnd(2) ? SG_OP_SOFTMAX : SG_OP_LOGSOFTMAX, gen(f, r, c, depth - 1));
    case 9:
        if (r == c)
            return sg_diag(ctx, gen(f, r, f->d[0], depth - 1));
        if (c == f->d[0])
            return sg_diagv(ctx, gen(f, r, r, depth - 1));
        return gen(f, r, c, depth - 1);
    case 10:
        if (r == f->d[0])
            return sg_unary(ctx, SG_OP_LOGSUMEXP, gen(f, k, c, depth - 1));
        return sg_hdiv(ctx, gen(f, r, c, depth - 1),
                       sg_add(ctx, sg_fill(ctx, sg_const(ctx, 3), sg_shape_make(r, c)),
                              sg_unary(ctx, SG_OP_SIN, gen(f, r, c, depth - 1))));
    default:
        return leaf(f, r, c);
    }
}

static void fuzz_one(uint64_t seed)
{
    static char prefix[32];
    prob p;
    opts op;
    fuzzer f;
    sg_expr *L, *V;
    int i;
    fz = seed * 0x9E3779B97F4A7C15ull + 1;
    snprintf(prefix, sizeof prefix, "fz%lu", (unsigned long)seed);
    prob_init(&p, prefix);
    memset(&op, 0, sizeof op);
    memset(&f, 0, sizeof f);
    f.p = &p;
    f.d[0] = SG_DIM_ONE;
    f.d[1] = dim(&p, "n", 3);
    f.d[2] = dim(&p, "m", 4);
    f.vars[f.nvars++] = var(&p, "A", f.d[2], f.d[1], "RAND");
    f.vars[f.nvars++] = var(&p, "B", f.d[1], f.d[2], "RAND");
    f.vars[f.nvars++] = var(&p, "x", f.d[1], SG_DIM_ONE, "RAND");
    f.vars[f.nvars++] = var(&p, "y", f.d[2], SG_DIM_ONE, "RAND");
    f.vars[f.nvars++] = var(&p, "s", SG_DIM_ONE, SG_DIM_ONE, "POS");
    f.vars[f.nvars++] = var(&p, "C", f.d[1], f.d[1], "RAND");
    f.vars[f.nvars++] = var_p(&p, "S", f.d[1], f.d[1], "SPD", SG_PROP_SPD);
    L = gen_scalar(&f, 4);
    V = gen(&f, f.d[1], f.d[2], 3);
    value(&p, "L", L);
    value(&p, "V", V);
    grad(&p, "L", L, 7, "A", "B", "x", "y", "s", "C", "S");
    op.masks[0] = "10000000";
    op.masks[1] = "01000000";
    op.masks[2] = "00100101";
    op.masks[3] = "00011010";
    for (i = 0; i < p.nres; i++) /* sg_eval has no NaN-free value here: skip the seed */
        ;
    check(&p, &op);
    prob_free(&p);
}

/* random problems over every op and shape; SG_FUZZ=N tries N more seeds */
static void test_random(void **state)
{
    uint64_t seed, extra = getenv("SG_FUZZ") ? strtoull(getenv("SG_FUZZ"), NULL, 10) : 0;
    (void)state;
    for (seed = 1; seed <= 4 + extra; seed++)
        fuzz_one(seed);
}

/* every kernel expands completely and compiles cleanly, in both precisions */
static void test_kernels(void **state)
{
    int single;
    (void)state;
    snprintf(workdir, sizeof workdir, "%s", tmpdir);
    for (single = 0; single < 2; single++) {
        char *k = sg_cgen_kernels(single, NULL);
        assert_null(strchr(k, '@'));
        write_file("kernels.c", "#include <math.h>\n");
        append_file("kernels.c", k);
        free(k);
        assert_int_equal(sh("cd %s && gcc -std=c99 -Wall -Wextra -pedantic -Werror "
                            "-Wno-unused-function -c kernels.c -o kernels.o",
                            workdir),
                         0);
        if (have("g++"))
            assert_int_equal(sh("cd %s && g++ -x c++ -Wall -Wextra -Werror "
                                "-Wno-unused-function -c kernels.c -o kernels.o",
                                workdir),
                             0);
    }
}

/* the same problem built twice, in two contexts, prints the same bytes */
static void test_deterministic(void **state)
{
    prob p, q;
    sg_problem a, b;
    sg_cgen_opts o;
    char *x, *y;
    (void)state;
    prob_init(&p, "det");
    prob_init(&q, "det");
    autoencoder(&p, 3, 5);
    autoencoder(&q, 3, 5);
    a = problem_of(&p);
    b = problem_of(&q);
    memset(&o, 0, sizeof o);
    o.prefix = "det";
    x = sg_cgen_source(&a, &o, NULL);
    y = sg_cgen_source(&b, &o, NULL);
    assert_string_equal(x, y);
    free(x);
    free(y);
    x = sg_cgen_header(&a, &o, NULL);
    y = sg_cgen_header(&b, &o, NULL);
    assert_string_equal(x, y);
    free(x);
    free(y);
    prob_free(&p);
    prob_free(&q);
}

/* the generated code reads like the formulas: names, steps, comments */
static void test_readable(void **state)
{
    prob p;
    sg_problem pr;
    sg_cgen_opts o;
    char *src, *hdr;
    (void)state;
    prob_init(&p, "autoencoder");
    autoencoder(&p, 3, 5);
    pr = problem_of(&p);
    memset(&o, 0, sizeof o);
    o.prefix = "autoencoder";
    o.header = "autoencoder.h";
    o.version = "9.9";
    o.source_name = "ae.sg";
    o.command = "symgrad ae.sg -o ae.c -H autoencoder.h";
    src = sg_cgen_source(&pr, &o, NULL);
    hdr = sg_cgen_header(&pr, &o, NULL);
    assert_non_null(strstr(src, "generated by symgrad 9.9 from ae.sg; do not edit"));
    assert_non_null(strstr(src, "command: symgrad ae.sg -o ae.c -H autoencoder.h"));
    assert_non_null(strstr(src, "#include \"autoencoder.h\""));
    assert_non_null(strstr(src, " *   L = ½‖r‖²\n"));
    assert_non_null(strstr(src, "/* t1 = Wx  (m) */"));
    assert_non_null(strstr(src, "double *const r = "));
    /* Wx and Wᵀ(Wx) in one pass over W's rows */
    assert_non_null(strstr(src, "/* one pass over the rows of W for 2 statements */"));
    assert_non_null(strstr(src, "        const double *row = W + i*n;\n"
                                "        /* t1 = Wx  (m) */\n"
                                "        if (i % 4 == 0 && i + 3 < m) /* four rows side by side: "
                                "see sg_dot4 */\n"
                                "            sg_dot4(n, row, n, x, sg_d0);\n"
                                "        t1[i] = (i | 3) < m ? sg_d0[i % 4] : sg_dot(n, row, x);\n"));
    assert_non_null(strstr(src, "if (out->L) {"));
    assert_non_null(strstr(src, "if (!out->L && !out->dL_dW && !out->dL_dx)"));
    assert_null(strstr(src, "sg_gemm")); /* Wᵀ(Wx), never (WᵀW)x */
    assert_null(strstr(src, "sg_softmax")); /* kernels only when used */
    assert_non_null(strstr(hdr, "#ifndef AUTOENCODER_H"));
    assert_non_null(strstr(hdr, "typedef struct {\n    long m;\n    long n;\n} autoencoder_dims;"));
    assert_non_null(strstr(hdr, "const double *W; /* m×n */"));
    assert_non_null(strstr(hdr, "double *dL_dW; /* ∂L/∂W, m×n */"));
    assert_non_null(strstr(hdr, "#define AUTOENCODER_OK 0"));
    assert_non_null(strstr(hdr, "#define AUTOENCODER_EDIMS 3"));
    assert_non_null(strstr(hdr, "extern \"C\""));
    free(src);
    free(hdr);
    prob_free(&p);
}

/* names that clash with C are renamed; the fields keep theirs unless they are keywords */
static void test_names(void **state)
{
    prob p;
    sg_problem pr;
    sg_cgen_opts o;
    opts op;
    sg_ctx *c;
    sg_dim n, k;
    sg_expr *x, *e, *t1, *L;
    char *src;
    (void)state;
    prob_init(&p, "names");
    c = p.ctx;
    n = dim(&p, "n", 3);
    k = dim(&p, "i", 2); /* a loop index */
    x = var(&p, "x", n, SG_DIM_ONE, "RAND");
    e = var(&p, "exp", n, k, "RAND"); /* a math function */
    t1 = named(sg_mul(c, sg_transpose(c, e), x), "t1"); /* a temporary's name */
    L = sg_dot(c, t1, t1);
    value(&p, "L", L);
    grad(&p, "L", L, 1, "x");
    pr = problem_of(&p);
    memset(&o, 0, sizeof o);
    o.prefix = "names";
    src = sg_cgen_source(&pr, &o, NULL);
    assert_non_null(strstr(src, "const long i_ = dims->i;"));
    assert_non_null(strstr(src, "const double *exp_ = in->exp ? in->exp : sg_empty;"));
    assert_non_null(strstr(src, "double *const t1_ = "));
    free(src);
    memset(&op, 0, sizeof op);
    check(&p, &op);
    prob_free(&p);
}

/*
 * Names that C, the headers, the compilers or symgrad itself reserve, in P_in,
 * P_out, P_dims and the body (docs/GENERATED_C.md): each renamed by the one
 * rule, N_ then N_2, N_3, …, the output compiled in strict C99 and in the gnu
 * modes (where linux is a macro), run, and every result checked. Before the
 * rule, net_bias with prefix net made the printer loop forever.
 */
static void test_reserved_names(void **state)
{
    static const char *const scalars[] = {"NET_OK", "SG_RESTRICT", "NULL", "errno", "int",
                                          "_Foo", "a__b", "a_b", "exp", "exp_", "M_PI",
                                          "M_PI_", "t1"};
    /* their fields in P_in, and their locals in net_eval */
    static const char *const fields[] = {"NET_OK_", "SG_RESTRICT_", "NULL_", "errno_", "int_",
                                         "v_Foo", "a_b", "a_b_", "exp", "exp_", "M_PI_",
                                         "M_PI_3", "t1"};
    static const char *const locals[] = {"NET_OK_", "SG_RESTRICT_", "NULL_", "errno_", "int_",
                                         "v_Foo", "a_b", "a_b_", "exp_", "exp_2", "M_PI_",
                                         "M_PI_3", "t1_"};
    prob p;
    opts op;
    sg_ctx *c;
    sg_dim n, lx;
    sg_expr *b, *sx, *x, *sum = NULL, *L, *E;
    sg_problem pr;
    sg_cgen_opts o;
    char *src, want[128];
    size_t k;
    int r;
    (void)state;
    prob_init(&p, "net");
    c = p.ctx;
    n = dim(&p, "n", 3);
    lx = dim(&p, "linux", 2); /* a macro in gcc's and clang's gnu modes */
    b = var(&p, "net_bias", n, SG_DIM_ONE, "RAND");
    sx = var(&p, "sg_x", n, SG_DIM_ONE, "RAND");
    x = var(&p, "x", lx, SG_DIM_ONE, "RAND");
    for (k = 0; k < sizeof scalars / sizeof scalars[0]; k++) {
        sg_expr *v = var(&p, scalars[k], SG_DIM_ONE, SG_DIM_ONE, "RAND");
        sum = sum ? sg_add(c, sum, v) : v;
    }
    E = sg_dot(c, x, x);
    L = sg_add(c, sg_mul(c, sum, sg_dot(c, b, sx)), E);
    value(&p, "L", L);
    value(&p, "EOF", E);
    grad(&p, "L", L, 5, "net_bias", "NULL", "M_PI_", "a__b", "x");
    p.cdim[lx] = "linux_";
    p.cin[0] = "net_bias_";
    p.cin[1] = "sg_x_";
    for (k = 0; k < sizeof scalars / sizeof scalars[0]; k++)
        p.cin[3 + k] = fields[k];
    p.cout[1] = "EOF_";
    p.cout[2] = "dL_dnet_bias";
    p.cout[5] = "dL_da_b";

    pr = problem_of(&p);
    memset(&o, 0, sizeof o);
    o.prefix = "net";
    src = sg_cgen_source(&pr, &o, NULL); /* terminates */
    assert_non_null(src);
    assert_non_null(strstr(src, "    long linux_;\n"));
    assert_non_null(strstr(src, "const long linux_ = dims->linux_;"));
    assert_non_null(strstr(src, "const double *net_bias_; "));
    assert_non_null(strstr(src, "const double *sg_x_; "));
    for (k = 0; k < sizeof scalars / sizeof scalars[0]; k++) {
        snprintf(want, sizeof want, "const double %s = *in->%s;", locals[k], fields[k]);
        if (!strstr(src, want))
            fail_msg("no '%s'", want);
        snprintf(want, sizeof want, "    const double *%s; ", fields[k]);
        if (!strstr(src, want))
            fail_msg("no '%s'", want);
    }
    for (r = 0; r < p.nres; r++) {
        snprintf(want, sizeof want, "    double *%s; ", RESF(&p, r));
        if (!strstr(src, want))
            fail_msg("no '%s'", want);
    }
    free(src);
    memset(&op, 0, sizeof op);
    check(&p, &op);
    /* the gnu modes, where linux and unix are macros */
    assert_int_equal(sh("cd %s && gcc -Wall -Wextra -Werror -I. -c gen.c -o gnu.o", workdir), 0);
    if (have("clang"))
        assert_int_equal(sh("cd %s && clang -Wall -Wextra -Werror -I. -c gen.c -o gnu.o", workdir),
                         0);
    prob_free(&p);
}

/* the renaming rule, on its own: reserved names of every kind */
static void test_rename_rule(void **state)
{
    static const char *const cases[][2] = {
        {"W1", "W1"}, {"beta", "beta"}, {"x_", "x_"}, /* the common case: unchanged */
        {"linux", "linux_"}, {"unix", "unix_"}, {"i386", "i386_"}, /* predefined */
        {"NAN", "NAN_"}, {"INFINITY", "INFINITY_"}, {"bool", "bool_"}, {"true", "true_"},
        {"false", "false_"}, {"EOF", "EOF_"}, {"assert", "assert_"}, {"size_t", "size_t_"},
        {"uint8_t", "uint8_t_"}, {"class", "class_"}, {"typeof", "typeof_"},
        {"sg_dot", "sg_dot_"}, {"SG_UNROLL", "SG_UNROLL_"}, {"SG_HAVE_STREAM", "SG_HAVE_STREAM_"},
        {"q_eval", "q_eval_"}, {"Q_OK", "Q_OK_"}, {"Q_H", "Q_H_"},
        {"a__b", "a_b"}, {"M_PI", "M_PI_"},
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        prob p;
        sg_problem pr;
        sg_cgen_opts o;
        char *src, want[128];
        sg_expr *v;
        prob_init(&p, "q");
        v = var(&p, cases[k][0], SG_DIM_ONE, SG_DIM_ONE, "RAND");
        value(&p, "L", sg_mul(p.ctx, v, v));
        pr = problem_of(&p);
        memset(&o, 0, sizeof o);
        o.prefix = "q";
        src = sg_cgen_source(&pr, &o, NULL);
        assert_non_null(src);
        snprintf(want, sizeof want, "const double *%s; ", cases[k][1]);
        if (!strstr(src, want))
            fail_msg("%s: no '%s' in P_in", cases[k][0], want);
        snprintf(want, sizeof want, "*in->%s", cases[k][1]);
        if (!strstr(src, want))
            fail_msg("%s: not read as '%s'", cases[k][0], want);
        free(src);
        prob_free(&p);
    }
}

/*
 * Bytes from file names and the command line in the banner: a newline, a
 * backslash-newline splice, the trigraph for a backslash, a star-slash, quotes, control
 * bytes and ill-formed UTF-8 stay inside one comment line; the #error they
 * carry is never code, even with -trigraphs.
 */
static void test_banner_bytes(void **state)
{
    static const char *const names[] = {
        "x*\\\n/#error pwned\n", "d?\?/\n#error pwned\n", "a*/ #error pwned /*",
        "q\"\\\\\x01\x7f\xff\xc3(/b.sg\\", "ok/ℓ.sg?\?/",
    };
    prob p;
    sg_problem pr;
    sg_cgen_opts o;
    size_t k;
    char *src, *end;
    (void)state;
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *line;
        prob_init(&p, "bn");
        value(&p, "L", var(&p, "x", SG_DIM_ONE, SG_DIM_ONE, "RAND"));
        pr = problem_of(&p);
        memset(&o, 0, sizeof o);
        o.prefix = "bn";
        o.source_name = names[k];
        o.command = names[k];
        o.version = "test";
        src = sg_cgen_source(&pr, &o, NULL);
        assert_non_null(src);
        /* the banner: 5 lines, closed on the sixth; nothing in it ends it before */
        end = strstr(src, "\n */\n");
        assert_non_null(end);
        for (line = src; line < end; line++) {
            assert_false(line[0] == '*' && line[1] == '/');
            assert_false(line[0] == '?' && line[1] == '?');
            assert_false(line[0] == '\\' && line[1] == '\n');
            assert_true(((unsigned char)line[0] >= 0x20 && line[0] != 0x7f) || line[0] == '\n');
        }
        assert_int_equal(count(src, "\n") - count(end, "\n"), 4);
        assert_non_null(strstr(src, " * Generated code, including the kernels copied from "
                                    "symgrad's templates, is yours to use, modify and "
                                    "distribute without conditions.\n"));
        snprintf(workdir, sizeof workdir, "%s/banner%d", tmpdir, (int)k);
        assert_int_equal(sh("mkdir -p %s", workdir), 0);
        write_file("gen.c", src);
        assert_int_equal(sh("cd %s && gcc -std=c99 -Wall -Wextra -Werror -trigraphs -c gen.c", workdir), 0);
        assert_int_equal(sh("cd %s && gcc -Wall -Wextra -Werror -c gen.c", workdir), 0);
        if (have("clang"))
            assert_int_equal(sh("cd %s && clang -std=c99 -Wall -Wextra -Werror -trigraphs "
                                "-Wno-trigraphs -c gen.c", workdir), 0);
        free(src);
        prob_free(&p);
    }
    /* what #include "…" can hold */
    assert_true(sg_cgen_include_ok("net.h"));
    assert_true(sg_cgen_include_ok("ℓ net-1.h"));
    assert_false(sg_cgen_include_ok(""));
    assert_false(sg_cgen_include_ok("a\"b.h"));
    assert_false(sg_cgen_include_ok("a\\b.h"));
    assert_false(sg_cgen_include_ok("a'b.h"));
    assert_false(sg_cgen_include_ok("a\nb.h"));
    assert_false(sg_cgen_include_ok("a\x7f.h"));
    assert_false(sg_cgen_include_ok("a\xff.h"));
    assert_false(sg_cgen_include_ok("d/a.h"));
}

/* every op of expr.h prints: the inverse, det and logdet too */
static void test_supported(void **state)
{
    prob p;
    sg_problem pr;
    sg_dim n;
    sg_expr *A;
    (void)state;
    prob_init(&p, "inv");
    n = dim(&p, "n", 3);
    A = var(&p, "A", n, n, "RAND");
    value(&p, "L", sg_add(p.ctx, sg_sum(p.ctx, sg_unary(p.ctx, SG_OP_INV, A)),
                          sg_add(p.ctx, sg_unary(p.ctx, SG_OP_DET, A),
                                 sg_unary(p.ctx, SG_OP_LOGDET, A))));
    pr = problem_of(&p);
    assert_null(sg_cgen_unsupported(&pr));
    prob_free(&p);
}

/* ---- recurrences: loops over t ------------------------------------------------------- */

/* the acceptance RNN, as in examples/rnn.sg */
static const char rnn_text[] =
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

/* examples/rnn.sg when the tests run from the source tree, else the copy above */
static char *rnn_source(void)
{
    FILE *f = fopen("examples/rnn.sg", "rb");
    char *text;
    long n;
    if (!f) {
        text = malloc(sizeof rnn_text);
        memcpy(text, rnn_text, sizeof rnn_text);
        return text;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)n + 1);
    n = (long)fread(text, 1, (size_t)n, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* the text between the first occurrence of from and the next of to */
static char *between(const char *src, const char *from, const char *to)
{
    const char *a = strstr(src, from), *b;
    char *s;
    assert_non_null(a);
    b = strstr(a + strlen(from), to);
    assert_non_null(b);
    s = malloc((size_t)(b - a) + 1);
    memcpy(s, a, (size_t)(b - a));
    s[b - a] = '\0';
    return s;
}

/* how many bytes of work a call for mask wrote (the driver of the last check) */
static long touched(const char *mask)
{
    char arg[64];
    char *out;
    long n;
    snprintf(arg, sizeof arg, "touch%s", mask);
    out = run_driver(arg);
    n = atol(out);
    free(out);
    return n;
}

/* the RNN for T = 1, 2, 5: every result, each alone, and some together */
static void test_rnn(void **state)
{
    static const long Ts[] = {1, 2, 5};
    char *text = rnn_source(), *src, *bwd;
    size_t t;
    (void)state;
    for (t = 0; t < sizeof Ts / sizeof Ts[0]; t++) {
        prob p;
        opts op;
        char dims[64];
        memset(&op, 0, sizeof op);
        op.masks[0] = "10000";
        op.masks[1] = "01000";
        op.masks[2] = "00100";
        op.masks[3] = "00010";
        op.masks[4] = "00001";
        op.masks[5] = "01101";
        op.src = &src;
        snprintf(dims, sizeof dims, "T=%ld k=2 p=3 n=4", Ts[t]);
        load(&p, "rnn", text, dims);
        check(&p, &op);
        /* a loss-only call runs no backward loop: δh, (T + 1)·n numbers, is
           not even written */
        assert_true(touched("10000") + (long)sizeof(double) * (Ts[t] + 1) * 4 <=
                    touched("11111"));
        prob_free(&p);
        if (t + 1 < sizeof Ts / sizeof Ts[0])
            free(src);
    }
    /* the loops, each under its recurrence; the gradients summed on the way back */
    assert_non_null(strstr(src, "    /* h[0] = h₀ */\n"));
    assert_non_null(strstr(src, "    /* h[t] = tanh(W_hh h[t−1] + W_xh x[t]), t = 1, …, T */\n"
                                "    for (long t = 1; t <= T; t++) {\n"));
    assert_non_null(strstr(src, "        const double *const h_prev = h + (t - 1)*n;\n"));
    assert_non_null(strstr(src, "        /* δh[t] = W_hhᵀ (δh[t+1] ⊙ (𝟙 − h[t+1] ⊙ h[t+1])) [t < T] + "
                                "W_yᵀ (W_y h[t] − y[t]) [1 ≤ t], t = T, …, 0 */\n"
                                "        for (long t = T; t >= 0; t--) {\n"));
    assert_non_null(strstr(src, "double *const h = scratch;"));
    bwd = between(src, "    if (out->dL_dW_hh || out->dL_dW_xh || out->dL_dh0) {\n", "\n    }\n\n");
    assert_non_null(strstr(bwd, "for (long t = T; t >= 0; t--)"));
    assert_non_null(strstr(bwd, "out->dL_dW_hh[i*n + j] +="));
    assert_non_null(strstr(bwd, "out->dL_dW_xh[i*k + j] +="));
    assert_non_null(strstr(bwd, "if (t >= 1 && (out->dL_dW_hh || out->dL_dW_xh)) {"));
    assert_null(strstr(bwd, "out->L"));
    free(bwd);
    /* never unrolled: T appears as a bound, not as a count of statements */
    assert_int_equal(count(src, "for (long t = "), 4);
    assert_non_null(strstr(src, "    size_t reals = 0; /* 2*T*n + 4*p + 6*n */\n"
                                "    reals = sg_size_add(reals, sg_size_mul(sg_size_mul(2, (size_t)T), (size_t)n));\n"));
    assert_non_null(strstr(src, "    return sizeof(double) * reals;\n"));
    free(src);
    free(text);
}

/* T = 10 000 under ASan and UBSan with exactly P_work_size bytes; the C for
   T = 5 and T = 10 000 fixed with --dim differs in the constants only */
static void test_rnn_long(void **state)
{
    char *text = rnn_source(), *a, *b, *sa, *sb, *la, *lb;
    sg_dimfix five = {"T", 5}, many = {"T", 10000};
    prob p;
    opts op;
    int diff = 0, na = 0, nb = 0;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "10000";
    op.masks[1] = "00001";
    load(&p, "rnn", text, "T=10000 k=2 p=3 n=3");
    check(&p, &op);
    prob_free(&p);

    memset(&op, 0, sizeof op);
    op.fixed = &five;
    op.nfixed = 1;
    op.src = &a;
    load(&p, "rnn", text, "T=5 k=2 p=3 n=3");
    check(&p, &op);
    prob_free(&p);
    op.fixed = &many;
    op.src = &b;
    load(&p, "rnn", text, "T=10000 k=2 p=3 n=3");
    check(&p, &op);
    prob_free(&p);
    /* line by line: the same lines but for the value of T */
    for (sa = a, sb = b; *sa || *sb;) {
        la = strchr(sa, '\n');
        lb = strchr(sb, '\n');
        if (!la || !lb)
            break;
        if (la - sa != lb - sb || strncmp(sa, sb, (size_t)(la - sa)))
            diff++;
        na++;
        nb++;
        sa = la + 1;
        sb = lb + 1;
    }
    assert_int_equal(count(a, "\n"), count(b, "\n"));
    assert_true(diff <= 5);
    assert_non_null(strstr(b, "const long T = 10000; /* fixed when generating */"));
    assert_non_null(strstr(b, "for (long t = 1; t <= T; t++) {"));
    (void)na;
    (void)nb;
    free(a);
    free(b);
    free(text);
}

static void test_rnn_float(void **state)
{
    char *text = rnn_source();
    prob p;
    opts op;
    (void)state;
    memset(&op, 0, sizeof op);
    op.single = 1;
    op.masks[0] = "01000";
    load(&p, "rnnf", text, "T=6 k=2 p=3 n=3");
    check(&p, &op);
    prob_free(&p);
    free(text);
}

/* --check's main() fills every step and checks every parameter's gradient */
static void test_rnn_check_main(void **state)
{
    static char out[1 << 16];
    char *text = rnn_source();
    prob p;
    (void)state;
    load(&p, "rnn", text, "");
    assert_int_equal(run_check_main(&p, 0, out, sizeof out), 0);
    assert_int_equal(count(out, "worst relative error"), 4);
    assert_int_equal(run_check_main(&p, 1, out, sizeof out), 0);
    prob_free(&p);
    free(text);
}

/* a problem read from text, checked for each T in Ts (0-terminated) */
static void check_seq(const char *prefix, const char *text, const char *dims, const long *Ts,
                      const char *mask)
{
    int i;
    for (i = 0; Ts[i]; i++) {
        prob p;
        opts op;
        char d[128];
        memset(&op, 0, sizeof op);
        op.masks[0] = mask;
        snprintf(d, sizeof d, "T=%ld %s", Ts[i], dims);
        load(&p, prefix, text, d);
        check(&p, &op);
        prob_free(&p);
    }
}

/* the loss at the last step only: δh[T] is its one term */
static void test_last_step_loss(void **state)
{
    static const long Ts[] = {1, 2, 5, 0};
    (void)state;
    check_seq("last",
              "x[t] ∈ ℝ^k for t = 1..T\ny ∈ ℝ^p\nh0 ∈ ℝ^n\n"
              "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nV ∈ ℝ^{p×n}\n"
              "h[0] = h0\n"
              "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
              "L = ½‖V h[T] − y‖²\n"
              "grad L wrt W, U, V, h0\n",
              "k=2 p=3 n=3", Ts, "10000");
}

/* a leaky update with a scalar α */
static void test_leaky(void **state)
{
    static const long Ts[] = {1, 5, 0};
    (void)state;
    check_seq("leaky",
              "x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nα ∈ ℝ\n"
              "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
              "h[0] = h0\n"
              "h[t] = (1 − α)h[t−1] + α tanh(W h[t−1] + U x[t]) for t = 1..T\n"
              "L = Σ_{t=1}^{T} ½‖h[t] − y[t]‖²\n"
              "grad L wrt α, W, U, h0\n",
              "k=2 n=3", Ts, "01000");
}

/* Σ over part of the range, h one step back, fixed steps: at T = 1 and 2 the
   Σ is empty and some terms never run */
static void test_sub_range_sum(void **state)
{
    static const long Ts[] = {1, 2, 3, 6, 0};
    (void)state;
    check_seq("sub",
              "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nc ∈ ℝ^n\n"
              "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
              "h[0] = h0\n"
              "h[t] = σ(W h[t−1] + U x[t]) for t = 1..T\n"
              "L = Σ_{t=2}^{T−1} cᵀ(h[t] ⊙ h[t−1]) + ‖h[T−1]‖² + ⟨c, h[1]⟩\n"
              "grad L wrt W, U, h0, c\n",
              "k=2 n=3", Ts, "00001");
}

/* two independent recurrences, sharing a parameter, each with its adjoint */
static void test_two_recurrences(void **state)
{
    static const long Ts[] = {1, 4, 0};
    (void)state;
    check_seq("two",
              "x[t] ∈ ℝ^n for t = 1..T\nh0, g0 ∈ ℝ^n\nW, V ∈ ℝ^{n×n}\n"
              "h[0] = h0\n"
              "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
              "g[0] = g0\n"
              "g[t] = σ(V g[t−1] + W x[t]) for t = 1..T\n"
              "L = Σ_{t=1}^{T} ⟨h[t], g[t]⟩ + ‖g[T]‖²\n"
              "grad L wrt W, V, h0, g0\n",
              "n=3", Ts, "00010");
}

/* a stacked RNN: the second layer reads the first, its adjoint the second's */
static void test_stacked(void **state)
{
    static const long Ts[] = {1, 4, 0};
    (void)state;
    check_seq("stacked",
              "x[t] ∈ ℝ^k for t = 1..T\nh0, g0 ∈ ℝ^n\nW, V, A ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"
              "h[0] = h0\n"
              "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
              "g[0] = g0\n"
              "g[t] = tanh(V g[t−1] + A h[t]) for t = 1..T\n"
              "L = Σ_{t=1}^{T} ½‖g[t]‖²\n"
              "grad L wrt W, U, V, A, h0, g0\n",
              "k=2 n=3", Ts, "0001001");
}

/* scalar sequences, a start from an input's step, x[t+1] in a Σ, a Σ from 0,
   a definition outside the loops */
static void test_mixed(void **state)
{
    static const long Ts[] = {1, 2, 4, 0};
    (void)state;
    check_seq("mixed",
              "x[t] ∈ ℝ for t = 1..T\nw[t] ∈ ℝ^n for t = 1..T\na, s0 ∈ ℝ\nB ∈ ℝ^{n×n}\n"
              "M = B + Bᵀ + I\n"
              "s[0] = s0\n"
              "s[t] = tanh(a s[t−1] + x[t]) for t = 1..T\n"
              "q[0] = w[1]\n"
              "q[t] = M q[t−1] / (1 + ‖q[t−1]‖²) for t = 1..T\n"
              "L = Σ_{t=1}^{T−1} s[t] x[t+1] + Σ_{t=0}^{T} ⟨w[T], q[t]⟩ + s[T]²\n"
              "grad L wrt a, s0, B\n",
              "n=3", Ts, "0100");
}

/* Σs of what does not vary, and an invariant Σ inside a step; a recurrence
   that reads the next step of another */
static void test_sums_outside(void **state)
{
    static const long Ts[] = {1, 3, 0};
    (void)state;
    check_seq("inv",
              "W ∈ ℝ^{n×n}\nx[t] ∈ ℝ^n for t = 1..T\n"
              "L = Σ_{t=1}^{T} ‖W‖² + Σ_{t=2}^{T} sum(W x[t])\n"
              "grad L wrt W\n",
              "n=3", Ts, "10");
    check_seq("instep",
              "x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
              "z = Σ_{t=1}^{T} W x[t]\n"
              "h[0] = h0\n"
              "h[t] = tanh(W h[t−1] + z) for t = 1..T\n"
              "L = ‖h[T]‖² sum(z) + Σ_{t=1}^{T} sum(h[t])\n"
              "grad L wrt W, h0\n",
              "n=3", Ts, "010");
    check_seq("ahead",
              "x[t] ∈ ℝ^n for t = 1..T\nh0, g0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
              "h[0] = h0\n"
              "h[t] = tanh(W h[t−1] + x[t]) for t = 1..T\n"
              "g[0] = g0\n"
              "g[t] = g[t−1] ⊙ h[t+1] for t = 1..T−1\n"
              "L = ‖g[T−1]‖² + Σ_{t=1}^{T} sum(h[t])\n"
              "grad L wrt W, h0, g0\n",
              "n=3", Ts, "0010");
}

/* a solve and a log-determinant at every step: a factor per step, in the
   step's work; matrices as steps */
static void test_algebra_in_steps(void **state)
{
    static const long Ts[] = {1, 3, 0};
    (void)state;
    check_seq("inv",
              "x[t] ∈ ℝ^n for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\n"
              "h[0] = h0\n"
              "h[t] = (I + diag(h[t−1] ⊙ h[t−1]))⁻¹ (W x[t]) for t = 1..T\n"
              "L = ‖h[T]‖² + Σ_{t=1}^{T} log(det(I + h[t] h[t]ᵀ))\n"
              "grad L wrt W, h0\n",
              "n=3", Ts, "010");
    check_seq("mat",
              "X[t] ∈ ℝ^{m×n} for t = 1..T\nH0 ∈ ℝ^{m×n}\nA ∈ ℝ^{m×m}\n"
              "H[0] = H0\n"
              "H[t] = tanh(A H[t−1] + X[t]) for t = 1..T\n"
              "L = Σ_{t=1}^{T} tr(H[t]ᵀ H[t]) + ‖H[T]‖²\n"
              "grad L wrt A, H0\n",
              "m=2 n=3", Ts, "001");
}

/*
 * A node that does not vary with t, read in place by a kernel at every step
 * of a loop (sg_gemv(…, diag(K⁻¹), …)): P_eval computes it before the loop
 * and must store it, even when it is a view it would otherwise read through
 * (the diagonal of a stored K⁻¹ or of an input). Each problem is compared
 * with the interpreter at two lengths, and its --check main() must pass.
 */
static void test_views_in_loops(void **state)
{
    static const struct {
        const char *text, *dims;
    } cases[] = {
        /* the smith reproducer: a vector view, on the right of a step's product */
        {"K : matrix(m, m)\nC : vector(m)\nx[t] : vector(m) for t = 1..T\n"
         "L = sum(t = 1..T, sum((K + x[t] C^T) diag(inv(K))))\n"
         "output L\n",
         "m=3"},
        /* its gradients: the adjoint's Σs read the view too */
        {"K : matrix(m, m)\nC : vector(m)\nx[t] : vector(m) for t = 1..T\n"
         "L = sum(t = 1..T, sum((K + x[t] C^T) diag(inv(K))))\n"
         "grad L wrt K, C\n",
         "m=3"},
        /* a diagonal matrix of an spd inverse's diagonal, on the left */
        {"K ∈ 𝕊₊₊^m\nC ∈ ℝ^m\nx[t] ∈ ℝ^m for t = 1..T\n"
         "L = Σ_{t=1}^{T} sum(diag(diag(K⁻¹)) (x[t] Cᵀ + K))\n"
         "grad L wrt C, K\n",
         "m=3"},
        /* the diagonal of an input, no inverse; a determinant beside */
        {"A ∈ ℝ^{m×m}\nx[t] ∈ ℝ^m for t = 1..T\n"
         "L = Σ_{t=1}^{T} sum((A + x[t]x[t]ᵀ) diag(A)) + log|A|\n"
         "grad L wrt A\n",
         "m=3"},
        /* a recurrence's step reads the view, and starts from it */
        {"K ∈ ℝ^{m×m}\nB ∈ ℝ^{m×n}\nx[t] ∈ ℝ^m for t = 1..T\n"
         "h[0] = diag(K⁻¹)\n"
         "h[t] = tanh((B Bᵀ + x[t] h[t−1]ᵀ) diag(K⁻¹)) for t = 1..T\n"
         "L = Σ_{t=1}^{T} sum(h[t]) + det(K)\n"
         "grad L wrt K, B\n",
         "m=3 n=2"},
        /* a named view read by the loop and by a Jacobian and a Hessian outside */
        {"K ∈ 𝕊₊₊^m\nC ∈ ℝ^m\nx[t] ∈ ℝ^m for t = 1..T\n"
         "d = diag(K⁻¹)\n"
         "L = Σ_{t=1}^{T} sum((K + x[t] Cᵀ) d) + logdet(K)\n"
         "u = d ⊙ σ(K C)\n"
         "M = Cᵀ K⁻¹ C + ‖d ⊙ C‖² + sum(exp(C))\n"
         "grad L wrt C\njacobian u wrt C\nhessian M wrt C\noutput L\n",
         "m=3"},
    };
    static const long Ts[] = {1, 3};
    static char out[1 << 16];
    size_t i;
    int k, s;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        for (k = 0; k < 2; k++) {
            prob p;
            opts op;
            char d[64];
            memset(&op, 0, sizeof op);
            snprintf(d, sizeof d, "T=%ld %s", Ts[k], cases[i].dims);
            load(&p, "views", cases[i].text, d);
            for (s = 0; s < sg_nsyms(p.ctx); s++)
                if (sg_sym(p.ctx, s)->props & SG_PROP_SPD)
                    p.kind[s] = "SPD";
            check(&p, &op);
            if (k == 1 && p.nres > 1) {
                assert_int_equal(run_check_main(&p, 0, out, sizeof out), 0);
                assert_true(count(out, "worst relative error") >= 1);
            }
            prob_free(&p);
        }
}

/* --eval takes a sequence as the list of its steps, and prints each step of
   a recurrence */
static void test_eval_sequences(void **state)
{
    prob p;
    sg_buf out, err;
    (void)state;
    load(&p, "rnn", rnn_text, "");
    sg_buf_init(&out);
    sg_buf_init(&err);
    assert_int_equal(sg_evalprint(p.parsed,
                                  "x=[[1,2],[3,4]]; y=[[1,0,0],[0,1,0]]; h0=[0,0,0]; "
                                  "W_hh=[[0,0,0],[0,0,0],[0,0,0]]; W_xh=[[1,0],[0,1],[0,0]]; "
                                  "W_y=[[1,0,0],[0,1,0],[0,0,1]]",
                                  &out, &err),
                     0);
    /* h[1] = tanh(W_xh x[1]) = tanh([1, 2, 0]) */
    assert_non_null(strstr(sg_buf_str(&out), "h[0] = [0, 0, 0]\n"));
    assert_non_null(strstr(sg_buf_str(&out), "h[1] = [0.761594156, 0.9640275801, 0]\n"));
    assert_non_null(strstr(sg_buf_str(&out), "h[2] = [0.9950547537, 0.9993292997, 0]\n"));
    assert_non_null(strstr(sg_buf_str(&out), "dL_dh0 = [0, 0, 0]\n")); /* W_hh = 0 */
    sg_buf_free(&out);
    sg_buf_free(&err);
    /* the steps must agree with each other and with T */
    sg_buf_init(&out);
    sg_buf_init(&err);
    assert_int_not_equal(sg_evalprint(p.parsed, "x=[[1,2],[3,4,5]]", &out, &err), 0);
    assert_string_equal(sg_buf_str(&err), "--eval: the steps of a sequence differ in shape");
    sg_buf_free(&err);
    sg_buf_init(&err);
    assert_int_not_equal(sg_evalprint(p.parsed, "T=3; x=[[1,2],[3,4]]", &out, &err), 0);
    assert_string_equal(sg_buf_str(&err), "--eval: x makes T = 2, but it is 3 elsewhere");
    sg_buf_free(&err);
    sg_buf_init(&err);
    assert_int_not_equal(sg_evalprint(p.parsed, "x=1", &out, &err), 0);
    assert_string_equal(sg_buf_str(&err), "--eval: x is a sequence: give the list of its steps");
    sg_buf_free(&out);
    sg_buf_free(&err);
    prob_free(&p);
}

/* ---- the kernels that make it fast ---------------------------------------------------- */

static const char mlpb_text[] =
    "X ∈ ℝ^{D×N}\nY ∈ ℝ^{C×N}\nW₁ ∈ ℝ^{H×D}\nb₁ ∈ ℝ^H\nW₂ ∈ ℝ^{C×H}\nb₂ ∈ ℝ^C\n"
    "Z₁ = W₁X + b₁𝟙ᵀ\nH₁ = swish(Z₁)\nZ₂ = W₂H₁ + b₂𝟙ᵀ\nL = −sum(Y ⊙ logsoftmax(Z₂))/N\n"
    "grad L wrt W₁, b₁, W₂, b₂\n";

/* the batched MLP with products large enough to be packed and tiled (gemm.c),
   in double and float, with every dimension fixed, and with --blas */
static void test_packed_products(void **state)
{
    static const sg_dimfix fix[4] = {{"D", 40}, {"H", 36}, {"C", 5}, {"N", 30}};
    int v;
    (void)state;
    for (v = 0; v < 5; v++) {
        prob p;
        opts op;
        char *src = NULL;
        memset(&op, 0, sizeof op);
        op.masks[0] = "10000";
        op.masks[1] = "01000";
        op.masks[2] = "00011";
        op.single = v == 1 || v == 4;
        op.blas = v >= 3;
        if (v == 2) {
            op.fixed = fix;
            op.nfixed = 4;
            op.inline_decls = 1;
        }
        op.src = &src;
        load(&p, v == 4 ? "mlpbf" : "mlpb", mlpb_text, "D=40 H=36 C=5 N=30");
        check(&p, &op);
        /* Z₁, swish(Z₁) and σ(Z₁) for the gradient: one pass, a row at a time */
        assert_non_null(strstr(src, "3 statements a row at a time"));
        if (op.blas)
            assert_non_null(strstr(src, op.single ? "cblas_sgemm(" : "cblas_dgemm("));
        else
            assert_non_null(strstr(src, "sg_gemm(H, N, D, 0, W1, 0, X, t1, pack);"));
        free(src);
        prob_free(&p);
    }
}

static const char gp_text[] =
    "X ∈ ℝ^{N×Q}\nY ∈ ℝ^{N×D}\nβ ∈ ℝ\nK = XXᵀ + βI\nL = −D/2 log|K| − ½ tr(K⁻¹YYᵀ)\n"
    "grad L wrt X, β\n";

static const char spd_text[] =
    "A ∈ 𝕊₊₊^n\nB ∈ ℝ^{n×n}\nx ∈ ℝ^n\nL = logdet(A) + xᵀA⁻¹x + tr(A⁻¹B)\n"
    "grad L wrt A, x, B\n";

/* blocked LU and Cholesky, solves and inverses past one block (SG_NB = 64),
   in double and float and through CBLAS */
static void test_blocked_factors(void **state)
{
    int v;
    (void)state;
    for (v = 0; v < 3; v++) {
        prob p;
        opts op;
        memset(&op, 0, sizeof op);
        op.masks[0] = "100";
        op.masks[1] = "010";
        op.single = v == 1;
        op.blas = v == 2;
        op.rtol = op.single ? 1e-3 : 1e-9;
        load(&p, v == 1 ? "gpbf" : "gpb", gp_text, "N=150 Q=3 D=2");
        p.kind[sg_sym_find(p.ctx, "beta")] = "POS";
        check(&p, &op);
        prob_free(&p);
        memset(&op, 0, sizeof op);
        op.masks[0] = "1000";
        op.masks[1] = "0100";
        op.masks[2] = "0011";
        op.single = v == 1;
        op.blas = v == 2;
        op.rtol = op.single ? 1e-3 : 1e-9;
        load(&p, v == 1 ? "spdbf" : "spdb", spd_text, "n=131");
        p.kind[sg_sym_find(p.ctx, "A")] = "SPD";
        check(&p, &op);
        prob_free(&p);
    }
}

/* the sweeps: the autoencoder reads W twice (Wx and Wᵀ(Wx) in one pass; Wr,
   Wᵀ(Wr) and ∂L/∂W in another, backwards), the results as sg_eval's */
static void test_sweeps(void **state)
{
    static const char deep_text[] =
        "dim n\nx : vector(n)\ny : vector(n)\nW1 : matrix(n, n)\nW2 : matrix(n, n)\n"
        "W3 : matrix(n, n)\nh1 = tanh(W1 * x)\nh2 = tanh(W2 * h1)\nh3 = tanh(W3 * h2)\n"
        "loss = 0.5 * norm(h3 - y)^2\ngrad loss wrt W1, W2, W3\n";
    prob p;
    opts op;
    char *src = NULL, *grads;
    (void)state;
    memset(&op, 0, sizeof op);
    op.masks[0] = "100";
    op.masks[1] = "010";
    op.masks[2] = "001";
    op.masks[3] = "110";
    op.src = &src;
    prob_init(&p, "sweep");
    autoencoder(&p, 37, 53);
    check(&p, &op);
    assert_int_equal(count(src, "const double *row = W + i*n;"), 2);
    assert_int_equal(count(src, "sg_gemv("), 0);
    grads = between(src, "/* one pass over the rows of W for 3 statements */", "\n    }\n");
    assert_non_null(strstr(grads, "for (long i = 0; i < m; i++) {"));
    assert_non_null(strstr(grads, "sg_axpy(n, "));
    assert_non_null(strstr(grads, "out->dL_dW[i*n + j] = "));
    free(grads);
    free(src);
    prob_free(&p);
    /* a deep network: each layer's Wᵀδ shares its pass over W with ∂L/∂W */
    memset(&op, 0, sizeof op);
    op.masks[0] = "1000";
    op.masks[1] = "0100";
    op.masks[2] = "0001";
    op.src = &src;
    load(&p, "deep", deep_text, "n=7");
    check(&p, &op);
    assert_non_null(strstr(src, "sg_axpy(n, "));
    assert_non_null(strstr(src, "out->dloss_dW2[i*n + j] = "));
    free(src);
    prob_free(&p);
}

/* a deep tanh network's tests of which results are asked for are one chain,
   each test the one before and a layer more: the C grows linearly with the layers */
/* the masks of which results need each statement (issue 11): interned trees
   (codegen/mask.c), so that their size grows as R log R with a deep
   network's layers and with a list of outputs; a bitset per distinct set
   grew as R², and a table of nodes × results did too */
static size_t masks_of(const char *text)
{
    sg_src *src = sg_src_new("t.sg", text, strlen(text));
    sg_arena *ar = sg_arena_new();
    sg_problem *p = sg_check(src, sg_parse(src, ar));
    sg_cgen_opts o;
    size_t n;
    assert_non_null(p);
    memset(&o, 0, sizeof o);
    n = sg_cgen_masks(p, &o);
    sg_problem_free(p);
    sg_arena_free(ar);
    sg_src_free(src);
    return n;
}

static char *deep_text(int layers)
{
    sg_buf b;
    size_t len;
    int i;
    sg_buf_init(&b);
    sg_buf_printf(&b, "x : vector(n)\ny : vector(n)\n");
    for (i = 1; i <= layers; i++)
        sg_buf_printf(&b, "W%d : matrix(n, n)\n", i);
    sg_buf_printf(&b, "h0 = x\n");
    for (i = 1; i <= layers; i++)
        sg_buf_printf(&b, "h%d = tanh(W%d * h%d)\n", i, i, i - 1);
    sg_buf_printf(&b, "loss = 0.5 * norm(h%d - y)^2\n", layers);
    for (i = 1; i <= layers; i++)
        sg_buf_printf(&b, "%sW%d%s", i % 50 == 1 ? "grad loss wrt " : ", ", i,
                      i % 50 == 0 || i == layers ? "\n" : "");
    return sg_buf_take(&b, &len);
}

static char *outputs_text(int n)
{
    sg_buf b;
    size_t len;
    int i;
    sg_buf_init(&b);
    sg_buf_printf(&b, "x : vector(n)\n");
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "d%d = %d x\n", i, i + 1);
    for (i = 0; i < n; i++)
        sg_buf_printf(&b, "output d%d\n", i);
    return sg_buf_take(&b, &len);
}

/* a path of a mask tree over r bits: its levels, 64 bits a leaf */
static size_t path_len(size_t r)
{
    size_t h = 1;
    while ((64u << (h - 1)) < r)
        h++;
    return h;
}

static void test_masks_linear(void **state)
{
    size_t m[3], r;
    int k;
    (void)state;
    /* a few paths of the tree per layer or output (R log R), and 4 × the
       size at most 8 × the nodes: R² would be 16 × */
    for (k = 0; k < 3; k++) {
        char *t = deep_text(100 << k);
        r = (size_t)100 << k;
        m[k] = masks_of(t);
        free(t);
        assert_true(m[k] <= 4 * r * path_len(r));
    }
    assert_true(m[2] <= 8 * m[0]);
    for (k = 0; k < 3; k++) {
        char *t = outputs_text(1000 << k);
        r = (size_t)1000 << k;
        m[k] = masks_of(t);
        free(t);
        assert_true(m[k] <= 4 * r * path_len(r));
    }
    assert_true(m[2] <= 8 * m[0]);
}

static void test_deep_guards(void **state)
{
    size_t len[2];
    int k;
    (void)state;
    for (k = 0; k < 2; k++) {
        const int layers = k ? 60 : 30;
        sg_buf b;
        sg_src *sgsrc;
        sg_arena *ar;
        sg_problem *pr;
        sg_cgen_opts o;
        char *src;
        int l;
        sg_buf_init(&b);
        sg_buf_puts(&b, "dim n\nx : vector(n)\ny : vector(n)\n");
        for (l = 1; l <= layers; l++)
            sg_buf_printf(&b, "W%d : matrix(n, n)\n", l);
        sg_buf_puts(&b, "h0 = x\n");
        for (l = 1; l <= layers; l++)
            sg_buf_printf(&b, "h%d = tanh(W%d * h%d)\n", l, l, l - 1);
        sg_buf_printf(&b, "loss = 0.5 * norm(h%d - y)^2\ngrad loss wrt W1", layers);
        for (l = 2; l <= layers; l++)
            sg_buf_printf(&b, ", W%d", l);
        sg_buf_puts(&b, "\n");
        sgsrc = sg_src_new("deep.sg", sg_buf_str(&b), b.len);
        ar = sg_arena_new();
        pr = sg_check(sgsrc, sg_parse(sgsrc, ar));
        assert_non_null(pr);
        memset(&o, 0, sizeof o);
        o.prefix = "deep";
        src = sg_cgen_source(pr, &o, &len[k]);
        assert_non_null(src);
        /* one int for the chain of nested tests, not a boolean per layer */
        assert_non_null(strstr(src, "    int group1 = "));
        assert_non_null(strstr(src, "    if (group1 <= "));
        assert_null(strstr(src, "const int need30 ="));
        free(src);
        sg_buf_free(&b);
        sg_problem_free(pr);
        sg_arena_free(ar);
        sg_src_free(sgsrc);
    }
    assert_true(len[1] < 2.2 * (double)len[0]); /* twice the layers, twice the C */
}

/* --check's finite differences on the new kernels' paths (sizes fixed so that the
   products are packed and the LU blocked): double, float, and --blas in both */
static void test_check_options(void **state)
{
    static char out[1 << 16];
    static const sg_dimfix mfix[4] = {{"D", 40}, {"H", 36}, {"C", 5}, {"N", 30}};
    static const sg_dimfix gfix[3] = {{"N", 70}, {"Q", 3}, {"D", 2}};
    int v;
    prob p;
    (void)state;
    for (v = 0; v < 4; v++) {
        const int single = v & 1, blas = v >> 1;
        load(&p, "mlpbc", mlpb_text, "D=40 H=36 C=5 N=30");
        if (run_check_main_ex(&p, single, mfix, 4, blas, out, sizeof out) != 0)
            fprintf(stderr, "%s", out);
        assert_null(strstr(out, "too large"));
        assert_int_equal(count(out, "worst relative error"), 4);
        prob_free(&p);
        if (single) /* float differences are too coarse for a 70×70 LU: see test_blocked_factors */
            continue;
        load(&p, "gpc", gp_text, "N=70 Q=3 D=2");
        p.kind[sg_sym_find(p.ctx, "beta")] = "POS";
        if (run_check_main_ex(&p, single, gfix, 3, blas, out, sizeof out) != 0)
            fprintf(stderr, "%s", out);
        assert_null(strstr(out, "too large"));
        assert_int_equal(count(out, "worst relative error"), 2);
        prob_free(&p);
    }
}

static int setup(void **state)
{
    char *d;
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/sg-cgen-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                             : "/tmp");
    d = mkdtemp(tmpdir);
    return d ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("SG_KEEP"))
        sh("rm -rf %s", tmpdir);
    else
        fprintf(stderr, "kept %s\n", tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_readable),
        cmocka_unit_test(test_supported),
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_fixed_dims),
        cmocka_unit_test(test_mlp),
        cmocka_unit_test(test_columnwise),
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_logreg),
        cmocka_unit_test(test_matrices),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rename_rule),
        cmocka_unit_test(test_reserved_names),
        cmocka_unit_test(test_banner_bytes),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_gp),
        cmocka_unit_test(test_lu),
        cmocka_unit_test(test_cholesky),
        cmocka_unit_test(test_la_errors),
        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_check_main),
        cmocka_unit_test(test_check_main_broken),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_rnn_long),
        cmocka_unit_test(test_rnn_float),
        cmocka_unit_test(test_rnn_check_main),
        cmocka_unit_test(test_last_step_loss),
        cmocka_unit_test(test_leaky),
        cmocka_unit_test(test_sub_range_sum),
        cmocka_unit_test(test_two_recurrences),
        cmocka_unit_test(test_stacked),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_sums_outside),
        cmocka_unit_test(test_algebra_in_steps),
        cmocka_unit_test(test_views_in_loops),
        cmocka_unit_test(test_eval_sequences),
        cmocka_unit_test(test_packed_products),
        cmocka_unit_test(test_blocked_factors),
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_deep_guards),
        cmocka_unit_test(test_masks_linear),
        cmocka_unit_test(test_check_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
