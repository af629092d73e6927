/*
 * test_cgen.c: the C printer, in-process.
 *
 * Each test builds a problem with the expr.h constructors and sg_diff_grad
 * (or reads .sg text through the parser and the checker), prints it as C,
 * and checks what needs no compiler: every problem prints, the same bytes
 * every time and from two contexts; the text says what the plan decided
 * (one LU of K shared by every solve, the Cholesky factor of an spd matrix,
 * one pass over W's rows for several statements, the loops of a recurrence
 * never unrolled, the names C reserves renamed, the banner's bytes kept
 * inside its comment); the masks of which results need each statement grow
 * as R log R.
 *
 * Compiling what was printed (gcc and clang at the strict flags, g++ as
 * C++, under AddressSanitizer and UBSan, in both precisions, with --dim,
 * --blas and --check) and comparing its results with the interpreter is
 * tests/gencode/cgen.sh's, through ./symgrad as a user runs it: the same
 * problems are .sg files in tests/gencode/cgen/. Two compiles stay here,
 * where no command reaches: every kernel of the template table in both
 * precisions (sg_cgen_kernels), and --check's main() on a derivative that
 * is wrong on purpose (a .sg file cannot state a wrong derivative), which
 * must fail.
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
    const char *kind[MAXS];    /* by symbol: its fill (# gencode-fill: in its .sg twin) */
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

/* result r's field in P_out */
#define RESF(p, r) ((p)->cout[r] ? (p)->cout[r] : (p)->res[r].cname)

/* ---- printing ----------------------------------------------------------------------- */

typedef struct {
    int single;            /* --type float */
    const sg_dimfix *fixed;
    int nfixed;
    int inline_decls;      /* no header: the declarations in the .c */
    char **src;            /* when set, gets the generated .c (the caller frees it) */
    int blas;              /* --blas */
} opts;

/* prints p as C with these options: it is supported, prints a source and a
   header, and the same bytes every time */
static void check(prob *p, const opts *op)
{
    sg_problem pr = problem_of(p);
    sg_cgen_opts o;
    char *src, *hdr, *again;

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

    assert_null(sg_cgen_unsupported(&pr));
    src = sg_cgen_source(&pr, &o, NULL);
    hdr = sg_cgen_header(&pr, &o, NULL);
    assert_non_null(src);
    assert_non_null(hdr);
    again = sg_cgen_source(&pr, &o, NULL); /* byte-identical every time */
    assert_string_equal(src, again);
    free(again);
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
 * Prints p with --check's main(), builds it with gcc (the strict flags, no
 * sanitizers: tests/gencode/cgen.sh builds the right ones every way), runs
 * it, and returns its exit status with its output in out.
 */
static int run_check_main(prob *p, char *out, size_t cap)
{
    sg_problem pr = problem_of(p);
    sg_cgen_opts o;
    char *src, cmd[700];
    const char *strict = STRICT;
    FILE *f;
    size_t n;
    int rc;
    memset(&o, 0, sizeof o);
    o.prefix = p->prefix;
    o.version = "test";
    o.source_name = "test.sg";
    o.check_main = 1;
    src = sg_cgen_source(&pr, &o, NULL);
    assert_non_null(src);
    snprintf(workdir, sizeof workdir, "%s/%s_check", tmpdir, p->prefix);
    assert_int_equal(sh("mkdir -p %s", workdir), 0);
    write_file("check.c", src);
    free(src);
    assert_int_equal(sh("cd %s && gcc %s -O1 check.c -o check -lm", workdir, strict), 0);
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

/* a wrong gradient fails --check's main(), which reports each derivative and
   says which it cannot redo (the right ones pass: tests/gencode/cgen.sh) */
static void test_check_main_broken(void **state)
{
    static char out[1 << 16];
    prob p;
    (void)state;
    prob_init(&p, "bad");
    structured(&p, 1);
    assert_int_equal(run_check_main(&p, out, sizeof out), 1);
    assert_non_null(strstr(out, "df_dx: worst relative error "));
    assert_int_equal(count(out, "worst relative error"), 8);
    assert_int_equal(count(out, "(too large)"), 1);
    assert_non_null(strstr(out, "df_dr: not checked (r is not an input)"));
    prob_free(&p);
}

/* random problems: every op, every shape, printed (seeds 1 to 4, compiled and compared
   with --eval, are tests/gencode/cgen/fz*.sg) */
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

/*
 * sg_expn (templates/expn.c), symgrad's own e^x for x ≤ 0 that loops of σ
 * vectorize, against libm's exp: within 1 ulp wherever e^x is normal, within
 * 1 of the smallest subnormal below, exactly 1 at 0 and 0 below −745, NaN for
 * NaN, no undefined behaviour for ±∞ or NaN; and σ against 1/(1 + e^−x).
 * Built at -O0 under UBSan and at -O2 -march=native with the loop over the
 * points vectorized, the two must agree bit for bit.
 */
static const char expn_main[] =
    "#include <stdio.h>\n"
    "#include <float.h>\n"
    "int main(void)\n"
    "{\n"
    "    static double x[200001], y[200001];\n"
    "    double worst = 0, sworst = 0;\n"
    "    long i;\n"
    "    for (i = 0; i <= 200000; i++)\n"
    "        x[i] = -750.0 * (double)i / 200000.0 - (i % 7) * 1e-9;\n"
    "    for (i = 0; i <= 200000; i++) /* vectorized at -O2 */\n"
    "        y[i] = sg_expn(x[i]);\n"
    "    for (i = 0; i <= 200000; i++) {\n"
    "        int ex;\n"
    "        double e = frexp(exp(x[i]), &ex), d;\n"
    "        double ulp = ldexp(1.0, ex - 53); /* the spacing of doubles at e */\n"
    "        e = exp(x[i]);\n"
    "        d = fabs(y[i] - e);\n"
    "        if (e < DBL_MIN)\n"
    "            ulp = 4.9406564584124654e-324;\n"
    "        if (d / ulp > worst)\n"
    "            worst = d / ulp;\n"
    "    }\n"
    "    for (i = 0; i <= 80000; i++) {\n"
    "        double t = -40.0 + (double)i / 1000.0, s = 1 / (1 + exp(-t));\n"
    "        double d = fabs(sg_sigmoid(t) - s) / s;\n"
    "        if (d > sworst)\n"
    "            sworst = d;\n"
    "    }\n"
    "    printf(\"%.17g %.3g %.3g\\n\", y[200000] + y[100000], worst, sworst);\n"
    "    return !(sg_expn(0) == 1 && sg_expn(-800) == 0 && sg_expn(-1e300) == 0 &&\n"
    "             sg_expn(-INFINITY) == 0 && sg_expn(INFINITY) == 1 && isnan(sg_sigmoid(NAN)) &&\n"
    "             isnan(sg_expn(NAN)) && sg_sigmoid(0) == 0.5 && worst <= 1 && sworst <= 4 * DBL_EPSILON);\n"
    "}\n";

/*
 * The kernel test program NAME.c in workdir built twice, at -O0 with flags0
 * (sanitizers, a plain path) and at -O2 -march=native with flags2 (the
 * vectorized path), each run once: both exit 0 and print the same first line,
 * the same bits.
 */
static void same_bits_both_builds(const char *name, const char *flags0, const char *flags2)
{
    char a[128], b[128], path[600];
    FILE *f;
    assert_int_equal(sh("cd %s && gcc -std=c99 -O0 -Wno-unused-function %s %s.c -o %s0 -lm && "
                        "./%s0 > out0.txt && gcc -std=c99 -O2 -march=native -Wno-unused-function "
                        "%s %s.c -o %s2 -lm && ./%s2 > out2.txt",
                        workdir, flags0, name, name, name, flags2, name, name, name),
                     0);
    snprintf(path, sizeof path, "%s/out0.txt", workdir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(a, sizeof a, f));
    fclose(f);
    snprintf(path, sizeof path, "%s/out2.txt", workdir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(b, sizeof b, f));
    fclose(f);
    assert_string_equal(a, b);
}

static void test_expn(void **state)
{
    char *k = sg_cgen_kernels(0, NULL);
    (void)state;
    snprintf(workdir, sizeof workdir, "%s", tmpdir);
    write_file("expn.c", "#include <math.h>\n");
    append_file("expn.c", k);
    append_file("expn.c", expn_main);
    free(k);
    /* vectorized or not, the same bits */
    same_bits_both_builds("expn", "-fsanitize=undefined,float-cast-overflow "
                                  "-fno-sanitize-recover=all", "");
}

/*
 * The reductions (templates/dot.c, dot4.c, sum.c, gemv.c), in double and in
 * float, for every length 0…70 and two long ones: each row of sg_dot4 and of
 * sg_gemv is sg_dot's result bit for bit; sg_dot and sg_sum are within
 * n·ε·Σ|terms| of the sum in long double, and Aᵀx too. Built at -O0 under
 * UBSan and at -O2 -march=native (the accumulators vectorized), the two print
 * the same bits.
 */
static const char dot_main[] =
    "#include <stdio.h>\n"
    "#include <float.h>\n"
    "static R A[4 * 1001], x[1001], y[1001], z[8];\n"
    "int main(void)\n"
    "{\n"
    "    static const long len[] = {784, 1001};\n"
    "    long n, i, j, t, bad = 0;\n"
    "    long double sum = 0;\n"
    "    for (i = 0; i < 4 * 1001; i++)\n"
    "        A[i] = (R)(((i * 7919) % 2003) - 1001) / (R)977;\n"
    "    for (i = 0; i < 1001; i++)\n"
    "        x[i] = (R)(((i * 104729) % 1999) - 999) / (R)1013;\n"
    "    for (t = 0; t < 73; t++) {\n"
    "        n = t < 71 ? t : len[t - 71];\n"
    "        sg_dot4(n, A, n, x, z);\n"
    "        sg_gemv(4, n, 0, A, x, z + 4);\n"
    "        for (i = 0; i < 4; i++) {\n"
    "            R d = sg_dot(n, A + i * n, x), s = sg_sum(n, A + i * n);\n"
    "            long double e = 0, ea = 0, f = 0, fa = 0;\n"
    "            for (j = 0; j < n; j++) {\n"
    "                e += (long double)A[i * n + j] * x[j];\n"
    "                ea += fabsl((long double)A[i * n + j] * x[j]);\n"
    "                f += A[i * n + j];\n"
    "                fa += fabsl((long double)A[i * n + j]);\n"
    "            }\n"
    "            bad += memcmp(&z[i], &d, sizeof d) != 0 || memcmp(&z[4 + i], &d, sizeof d) != 0;\n"
    "            bad += fabsl(d - e) > (n + 1) * EPS * ea || fabsl(s - f) > (n + 1) * EPS * fa;\n"
    "            sum += (long double)d + s;\n"
    "        }\n"
    "        sg_gemv(4, n, 1, A, x, y); /* y = Aᵀx[0..3] */\n"
    "        for (j = 0; j < n; j++) {\n"
    "            long double e = 0, ea = 0;\n"
    "            for (i = 0; i < 4; i++) {\n"
    "                e += (long double)A[i * n + j] * x[i];\n"
    "                ea += fabsl((long double)A[i * n + j] * x[i]);\n"
    "            }\n"
    "            bad += fabsl(y[j] - e) > 5 * EPS * ea;\n"
    "            sum += y[j];\n"
    "        }\n"
    "    }\n"
    "    printf(\"%.21Lg %ld\\n\", sum, bad);\n"
    "    return bad != 0;\n"
    "}\n";

static void test_reductions(void **state)
{
    int fl;
    (void)state;
    snprintf(workdir, sizeof workdir, "%s", tmpdir);
    for (fl = 0; fl <= 1; fl++) {
        char *k = sg_cgen_kernels(fl, NULL);
        write_file("dot.c", "#include <math.h>\n#include <string.h>\n");
        append_file("dot.c", fl ? "#define R float\n#define EPS FLT_EPSILON\n"
                                : "#define R double\n#define EPS DBL_EPSILON\n");
        append_file("dot.c", k);
        append_file("dot.c", dot_main);
        free(k);
        /* vectorized or not, the same bits */
        same_bits_both_builds("dot", "-fsanitize=undefined -fno-sanitize-recover=all", "");
    }
}

/*
 * sg_symadd (templates/symadd.c), C = s(X + Xᵀ), in double and in float, for
 * every n in 0…70 and 133, s = 1 and s = −0.375: every entry is
 * s·(X[j][i] + X[i][j]) bit for bit, C is exactly symmetric, and no entry
 * past n² is written. Built with SSE2's blocks (-O2 -march=native) and
 * without them (SG_NO_SSE2, -O0 under UBSan and ASan): the same bits.
 */
static const char symadd_main[] =
    "#include <stdio.h>\n"
    "static R X[133 * 133], C[133 * 133 + 8];\n"
    "int main(void)\n"
    "{\n"
    "    static const R sc[] = {1, (R)-0.375};\n"
    "    long n, i, j, t, k, bad = 0;\n"
    "    long double sum = 0;\n"
    "    for (i = 0; i < 133 * 133; i++)\n"
    "        X[i] = (R)(((i * 7919) % 2003) - 1001) / (R)977;\n"
    "    for (t = 0; t < 72; t++)\n"
    "        for (k = 0; k < 2; k++) {\n"
    "            n = t < 71 ? t : 133;\n"
    "            for (i = 0; i < 133 * 133 + 8; i++)\n"
    "                C[i] = (R)12345;\n"
    "            sg_symadd(n, sc[k], X, C);\n"
    "            for (i = 0; i < n; i++)\n"
    "                for (j = 0; j < n; j++) {\n"
    "                    R want = sc[k] * (X[j * n + i] + X[i * n + j]);\n"
    "                    bad += memcmp(&C[i * n + j], &want, sizeof want) != 0;\n"
    "                    bad += memcmp(&C[i * n + j], &C[j * n + i], sizeof want) != 0;\n"
    "                    sum += C[i * n + j] * (long double)(i + 2 * j + 1);\n"
    "                }\n"
    "            for (i = n * n; i < 133 * 133 + 8; i++)\n"
    "                bad += C[i] != (R)12345;\n"
    "        }\n"
    "    printf(\"%.21Lg %ld\\n\", sum, bad);\n"
    "    return bad != 0;\n"
    "}\n";

static void test_symadd(void **state)
{
    int fl;
    (void)state;
    snprintf(workdir, sizeof workdir, "%s", tmpdir);
    for (fl = 0; fl <= 1; fl++) {
        char *k = sg_cgen_kernels(fl, NULL);
        write_file("sym.c", "#include <math.h>\n#include <string.h>\n"
                            "#if defined(__SSE2__) && !defined(SG_NO_SSE2)\n"
                            "#define SG_HAVE_SSE2 1\n#include <emmintrin.h>\n"
                            "#else\n#define SG_HAVE_SSE2 0\n#endif\n");
        append_file("sym.c", fl ? "#define R float\n" : "#define R double\n");
        append_file("sym.c", k);
        append_file("sym.c", symadd_main);
        free(k);
        /* blocks or plain loop, the same bits */
        same_bits_both_builds("sym", "-DSG_NO_SSE2 -fsanitize=undefined,address "
                                     "-fno-sanitize-recover=all", "-Wall -Wextra");
        assert_int_equal(sh("grep -q 'sg_symadd_block' %s/sym.c", workdir), 0);
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
 * rule, N_ then N_2, N_3, …; tests/gencode/cgen/net.sg compiles the output in
 * strict C99 and in the gnu modes (where linux is a macro), runs it and checks
 * every result. Before the rule, net_bias with prefix net made the printer
 * loop forever.
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
        op.src = &src;
        snprintf(dims, sizeof dims, "T=%ld k=2 p=3 n=4", Ts[t]);
        load(&p, "rnn", text, dims);
        check(&p, &op);
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


/* the sweeps: the autoencoder reads W twice (Wx and Wᵀ(Wx) in one pass; Wr,
   Wᵀ(Wr) and ∂L/∂W in another, backwards) */
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
        cmocka_unit_test(test_expn),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_symadd),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_readable),
        cmocka_unit_test(test_supported),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rename_rule),
        cmocka_unit_test(test_reserved_names),
        cmocka_unit_test(test_banner_bytes),
        cmocka_unit_test(test_gp),
        cmocka_unit_test(test_lu),
        cmocka_unit_test(test_cholesky),
        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_check_main_broken),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_rnn_long),
        cmocka_unit_test(test_eval_sequences),
        cmocka_unit_test(test_packed_products),
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_deep_guards),
        cmocka_unit_test(test_masks_linear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
