/*
 * test_rules.c: the rule table (symbolic/rules.c), entry by entry.
 *
 * The table: every entry has its id, a name, its identity, its Unicode
 * text and its TeX, a Cookbook number that looks like one or none, and
 * the builder its kind calls for. Every op reverse mode can differentiate
 * has a rule for every kid.
 *
 * The builders, numerically: each reverse builder is handed a node
 * Y = op(kids) whose kids are inputs, on several shapes (1×1, 3×1, 2×3,
 * square ones for inv, det and log|det|), and a random adjoint Ȳ; its
 * contribution to kid X must be ∂⟨Ȳ, Y⟩/∂X by central differences. Each
 * forward builder is handed y = op(a, b) with a, b affine in x (so J(a) is
 * known exactly) and must give ∂vec(y)/∂x by central differences, for
 * both kids depending on x and for one only. The rules of the passes (seed,
 * total derivative, backpropagation through time) have no builder: a whole
 * recurrent problem is parsed and differentiated, every one of them must
 * appear in its log with the table's text, and its gradients must match
 * central differences.
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
#include "symbolic/diff.h"
#include "symbolic/eval.h"
#include "symbolic/rules.h"

#define MAXSYMS 512
#define MAXDIMS 32

typedef struct {
    sg_ctx *ctx;
    long dims[MAXDIMS];
    double *vals[MAXSYMS];
    uint64_t rng;
    sg_dim two, three;
} T;

/* entries compared with a central difference, over the whole run */
static long nchecked;

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    t->ctx = sg_ctx_new();
    t->rng = 0x9e3779b97f4a7c15ull;
    t->two = sg_dim_const(t->ctx, 2);
    t->three = sg_dim_const(t->ctx, 3);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    int i;
    for (i = 0; i < MAXSYMS; i++)
        free(t->vals[i]);
    sg_ctx_free(t->ctx);
    free(t);
    return 0;
}

/* xorshift64*: deterministic on every platform */
static double urand(T *t)
{
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (double)((t->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static long extent(T *t, sg_dim d)
{
    return sg_dim_get(t->ctx, d)->value;
}

static long count(T *t, sg_shape s)
{
    return extent(t, s.rows) * extent(t, s.cols);
}

static sg_shape shp(sg_dim r, sg_dim c)
{
    return sg_shape_make(r, c);
}

/*
 * A new input with entries in [lo, hi]; with sgn, the magnitude in [lo, hi]
 * and the sign at random (away from 0).
 */
static sg_expr *input_ex(T *t, sg_shape s, double lo, double hi, int sgn)
{
    sg_span sp = {0, 0};
    char name[16];
    long n = count(t, s), i;
    int sym;
    snprintf(name, sizeof name, "in%d", sg_sym_count(t->ctx));
    sym = sg_sym_add(t->ctx, name, s, 0, sp);
    assert_true(sym < MAXSYMS);
    t->vals[sym] = malloc((size_t)n * sizeof(double));
    for (i = 0; i < n; i++) {
        t->vals[sym][i] = lo + (hi - lo) * urand(t);
        if (sgn && urand(t) < 0.5)
            t->vals[sym][i] = -t->vals[sym][i];
    }
    return sg_var(t->ctx, sym);
}

static sg_expr *input(T *t, sg_shape s, double lo, double hi)
{
    return input_ex(t, s, lo, hi, 0);
}

/* a square matrix near a·I: well conditioned, det of sign(a)ⁿ */
static sg_expr *near_identity(T *t, sg_dim n, double a)
{
    sg_expr *e = input(t, shp(n, n), -0.3, 0.3);
    long k = extent(t, n), i;
    for (i = 0; i < k; i++)
        t->vals[e->sym][i * k + i] += a;
    return e;
}

/* e's values, copied (the caller frees) */
static double *values(T *t, const sg_expr *e)
{
    sg_eval *ev = sg_eval_new(t->ctx, t->dims, (const double *const *)t->vals);
    const double *v = sg_eval_expr(ev, e);
    long n = count(t, e->shape);
    double *out = malloc((size_t)n * sizeof *out);
    assert_non_null(v);
    memcpy(out, v, (size_t)n * sizeof *out);
    sg_eval_free(ev);
    return out;
}

/* rule and fd within a relative 1e-6, plus the rounding error of a central
   difference of values of size big taken with step hh (ulps of them) */
static int agree(double rule, double fd, double big, double hh, double ulps)
{
    double tol = 1e-6 * (fabs(rule) > 1 ? fabs(rule) : 1) + ulps * DBL_EPSILON * big / hh;
    return fabs(rule - fd) <= tol;
}

/* ---- the table ------------------------------------------------------------------ */

static int looks_like_equation(const char *s)
{
    size_t n = strlen(s), i;
    if (n < 3 || s[0] != '(' || s[n - 1] != ')')
        return 0;
    for (i = 1; i + 1 < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void test_table(void **state)
{
    int i, j, nrev = 0, nfwd = 0, npass = 0, ncited = 0;
    (void)state;
    for (i = 0; i < SG_RULE_COUNT; i++) {
        const sg_rule *r = sg_rule_get((sg_rule_id)i);
        assert_int_equal(r->id, i);
        if (i == SG_RULE_NONE)
            continue;
        if (!r->name || !*r->name || !r->math || !*r->math || !r->text || !*r->text || !r->tex ||
            !*r->tex)
            fail_msg("rule %d (%s): a name, an identity, a text and a TeX form", i,
                     r->name ? r->name : "?");
        if (r->cookbook) {
            if (!looks_like_equation(r->cookbook))
                fail_msg("rule %s: Cookbook reference \"%s\"", r->name, r->cookbook);
            ncited++;
        }
        /* TeX that a printer can paste into math mode: no Unicode */
        for (j = 0; r->tex[j]; j++)
            if ((unsigned char)r->tex[j] >= 0x80)
                fail_msg("rule %s: non-ASCII TeX \"%s\"", r->name, r->tex);
        switch (r->kind) {
        case SG_RULE_REVERSE:
            nrev++;
            assert_non_null(r->reverse);
            assert_null(r->forward);
            assert_true(r->op < SG_OP_COUNT);
            assert_true(r->kid == 0 || r->kid == 1);
            break;
        case SG_RULE_FORWARD:
            nfwd++;
            assert_non_null(r->forward);
            assert_null(r->reverse);
            break;
        case SG_RULE_PASS:
            npass++;
            assert_null(r->reverse);
            assert_null(r->forward);
            break;
        }
        /* names are keys, texts tell the rules apart in the log */
        for (j = 1; j < i; j++) {
            const sg_rule *o = sg_rule_get((sg_rule_id)j);
            if (!strcmp(o->name, r->name) || !strcmp(o->text, r->text) || !strcmp(o->tex, r->tex))
                fail_msg("rules %s and %s share a name, text or TeX", o->name, r->name);
        }
    }
    assert_int_equal(nrev + nfwd + npass, SG_RULE_COUNT - 1);
    assert_true(ncited >= 10);
    print_message("    %d rules: %d reverse, %d forward, %d of the passes; %d cite the "
                  "Cookbook\n",
                  SG_RULE_COUNT - 1, nrev, nfwd, npass, ncited);
}

/* ---- reverse builders ---------------------------------------------------------------- */

/* the shapes each rule is tried on */
static sg_shape case_shape(T *t, int c)
{
    switch (c) {
    case 0:
        return shp(SG_DIM_ONE, SG_DIM_ONE);
    case 1:
        return shp(t->three, SG_DIM_ONE);
    default:
        return shp(t->two, t->three);
    }
}

static sg_dim case_square(T *t, int c)
{
    return c == 0 ? SG_DIM_ONE : c == 1 ? t->two : t->three;
}

/* the domain of an elementwise op's argument */
static sg_expr *unary_arg(T *t, sg_op op, sg_shape s)
{
    switch (op) {
    case SG_OP_LOG: case SG_OP_SQRT: case SG_OP_LOG2:
        return input(t, s, 0.5, 2);
    case SG_OP_LOG1P:
        return input(t, s, -0.5, 2);
    case SG_OP_ARCSIN: case SG_OP_ARCCOS: /* inside (−1, 1), away from its ends */
        return input(t, s, -0.8, 0.8);
    case SG_OP_TAN: /* inside (−π/2, π/2) */
        return input(t, s, -1.2, 1.2);
    case SG_OP_ABS: case SG_OP_RELU: case SG_OP_SIGN: case SG_OP_STEP:
        return input_ex(t, s, 0.2, 1.5, 1); /* away from the kink */
    default:
        return input(t, s, -2, 2);
    }
}

/*
 * Y = op(kids) with input kids, for reverse rule r on shape case c (0..2);
 * NULL when the case has no such node.
 */
static sg_expr *reverse_node(T *t, const sg_rule *r, int c)
{
    sg_ctx *x = t->ctx;
    sg_shape s = case_shape(t, c);
    sg_dim n = case_square(t, c);
    sg_expr *G;
    switch (r->id) {
    case SG_RULE_ADD_A: case SG_RULE_ADD_B:
        return sg_add(x, input(t, s, -1, 1), input(t, s, -1, 1));
    case SG_RULE_SCALE_S: case SG_RULE_SCALE_A:
        return sg_mul(x, input(t, shp(SG_DIM_ONE, SG_DIM_ONE), -2, 2), input(t, s, -1, 1));
    case SG_RULE_MUL_A: case SG_RULE_MUL_B:
        if (c == 0) /* an outer product */
            return sg_mul(x, input(t, shp(t->three, SG_DIM_ONE), -1, 1),
                          input(t, shp(SG_DIM_ONE, t->two), -1, 1));
        if (c == 1) /* a row times a matrix */
            return sg_mul(x, input(t, shp(SG_DIM_ONE, t->three), -1, 1),
                          input(t, shp(t->three, t->two), -1, 1));
        return sg_mul(x, input(t, shp(t->two, t->three), -1, 1),
                      input(t, shp(t->three, t->two), -1, 1));
    case SG_RULE_TRANSPOSE:
        return sg_transpose(x, input(t, s, -1, 1));
    case SG_RULE_FILL:
        return sg_fill(x, input(t, shp(SG_DIM_ONE, SG_DIM_ONE), -1, 1),
                       c == 0 ? case_shape(t, 2) : s);
    case SG_RULE_SUM:
        return sg_sum(x, input(t, s, -1, 1));
    case SG_RULE_TRACE:
        return sg_trace(x, input(t, shp(n, n), -1, 1));
    case SG_RULE_DOT_A: case SG_RULE_DOT_B:
        return sg_dot(x, input(t, s, -1, 1), input(t, s, -1, 1));
    case SG_RULE_SQNORM: /* ⟨A, A⟩ = ‖A‖² */
        G = input(t, s, -1, 1);
        return sg_dot(x, G, G);
    case SG_RULE_DIAG: /* of a column, or of a row */
        s = c == 2 ? shp(SG_DIM_ONE, t->three) : shp(case_square(t, c + 1), SG_DIM_ONE);
        return sg_diag(x, input(t, s, -1, 1));
    case SG_RULE_DIAGV:
        return sg_diagv(x, input(t, shp(n, n), -1, 1));
    case SG_RULE_HADAMARD_A: case SG_RULE_HADAMARD_B:
        return sg_hadamard(x, input(t, s, -1, 1), input(t, s, -1, 1));
    case SG_RULE_HDIV_A: case SG_RULE_HDIV_B:
        return sg_hdiv(x, input(t, s, -1, 1), input_ex(t, s, 0.5, 2, 1));
    case SG_RULE_POW_A: /* a constant power, then an input one */
        if (c < 2)
            return sg_pow(x, input(t, s, 0.5, 2), sg_const(x, c == 0 ? 3 : -1.5));
        /* fall through */
    case SG_RULE_POW_P:
        return sg_pow(x, input(t, s, 0.5, 2), input(t, shp(SG_DIM_ONE, SG_DIM_ONE), 0.5, 3));
    case SG_RULE_NORM:
        return sg_unary(x, SG_OP_NORM, input_ex(t, s, 0.2, 1.5, 1));
    case SG_RULE_NORM1:
        return sg_unary(x, SG_OP_NORM1, input_ex(t, s, 0.2, 1.5, 1));
    case SG_RULE_SOFTMAX: case SG_RULE_LOGSOFTMAX: case SG_RULE_LOGSUMEXP:
        /* column by column: a column, two columns of three */
        s = c == 0 ? shp(t->three, SG_DIM_ONE) : shp(t->three, t->two);
        return sg_unary(x, r->op, input(t, s, -2, 2));
    case SG_RULE_INV: case SG_RULE_DET: case SG_RULE_LOGDET:
        /* det < 0 on the 3×3 case (log|det| too) */
        return sg_unary(x, r->op, near_identity(t, n, c == 2 ? -3 : 3));
    default:
        if (sg_op_is_elementwise_unary(r->op))
            return sg_unary(x, r->op, unary_arg(t, r->op, s));
        return NULL;
    }
}

/*
 * r's contribution from Y to its kid k against ∂⟨Ȳ, Y⟩/∂X by central
 * differences, for a random Ȳ. 0 when the constructors did not make
 * the node r is for (a 1×1 transpose is its kid).
 */
static int check_reverse(T *t, const sg_rule *r, sg_expr *y, int k)
{
    sg_expr *kid, *G, *c;
    double *cv, *gv, *xv;
    long n, m, i, j;
    if (!y || y->op != r->op || k >= y->nkids || y->kid[k]->op != SG_OP_VAR)
        return 0;
    kid = y->kid[k];
    if (r->id == SG_RULE_SQNORM) { /* both kids at once: they are one input */
        assert_int_equal(sg_rule_merged_for(y), r->id);
    } else if (sg_rule_merged_for(y) != SG_RULE_NONE) {
        fail_msg("%s: kids of two inputs taken as one", r->name);
    } else if (sg_rule_for(y, k) != r->id)
        fail_msg("sg_rule_for(%s, %d) is %s, not %s", sg_op_name(y->op), k,
                 sg_rule_get(sg_rule_for(y, k))->name, r->name);
    G = input(t, y->shape, -1, 1);
    c = r->reverse(t->ctx, y, k, G);
    assert_non_null(c);
    assert_true(sg_shape_eq(c->shape, kid->shape));
    cv = values(t, c);
    gv = t->vals[G->sym];
    xv = t->vals[kid->sym];
    n = count(t, kid->shape);
    m = count(t, y->shape);
    for (i = 0; i < n; i++) {
        double x0 = xv[i], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1), fp = 0, fm = 0, hh, big;
        double *yv;
        xv[i] = x0 + h;
        hh = xv[i];
        yv = values(t, y);
        for (j = 0; j < m; j++)
            fp += gv[j] * yv[j];
        free(yv);
        xv[i] = x0 - h;
        hh -= xv[i];
        yv = values(t, y);
        for (j = 0; j < m; j++)
            fm += gv[j] * yv[j];
        free(yv);
        xv[i] = x0;
        big = fabs(fp) > fabs(fm) ? fabs(fp) : fabs(fm);
        if (!agree(cv[i], (fp - fm) / hh, big, hh, 16))
            fail_msg("%s, kid %d, entry %ld: rule %.12g, central difference %.12g", r->name, k, i,
                     cv[i], (fp - fm) / hh);
        nchecked++;
    }
    free(cv);
    return 1;
}

static void test_reverse(void **state)
{
    T *t = *state;
    int i, c, op, covered[SG_OP_COUNT] = {0}, total = 0;
    for (i = 0; i < SG_RULE_COUNT; i++) {
        const sg_rule *r = sg_rule_get((sg_rule_id)i);
        int ok = 0;
        if (r->kind != SG_RULE_REVERSE)
            continue;
        for (c = 0; c < 3; c++)
            ok += check_reverse(t, r, reverse_node(t, r, c), r->kid);
        /* two shapes at least: 1×1 alone says little about a transpose */
        if (ok < 2)
            fail_msg("rule %s: checked on %d shapes", r->name, ok);
        covered[r->op] = 1;
        total += ok;
    }
    /* every op with kids is differentiated by a rule of the table, but a Σ
       over time, which the pass itself takes apart (test_passes), and the
       Kronecker structure only Jacobians make (nothing differentiates them
       again: a Hessian is the Jacobian of a gradient, which has none) */
    for (op = 0; op < SG_OP_COUNT; op++) {
        switch ((sg_op)op) {
        case SG_OP_VAR: case SG_OP_CONST: case SG_OP_DIMVAL: case SG_OP_ZERO: case SG_OP_ONES:
        case SG_OP_EYE: case SG_OP_SEQSTEP: case SG_OP_AT: case SG_OP_SEQSUM: case SG_OP_KRON:
        case SG_OP_VEC: case SG_OP_COMMUTE:
            break;
        default:
            if (!covered[op])
                fail_msg("no reverse rule checked for %s", sg_op_name((sg_op)op));
        }
    }
    print_message("    reverse: %d nodes, %ld entries by central differences so far\n", total,
                  nchecked);
}

/* ---- forward builders ------------------------------------------------------------------ */

/* where an affine a = M x + c takes its values */
enum { AWAY_FROM_0, POSITIVE, SMALL };

/*
 * A p×1 vector affine in x: a = M x + c, so J(a) = M exactly. c moves it
 * into a domain: away from 0 with a random sign, positive, or small
 * (|a| < 0.6 for |x| ≤ 1, inside arcsin's (−1, 1) and tan's (−π/2, π/2)).
 */
static sg_expr *affine(T *t, sg_expr *x, sg_dim p, int domain, sg_expr **J)
{
    double m = domain == SMALL ? 0.1 : 0.2;
    sg_expr *M = input(t, shp(p, x->shape.rows), -m, m);
    sg_expr *c = domain == SMALL      ? input(t, shp(p, SG_DIM_ONE), -0.3, 0.3)
                 : domain == POSITIVE ? input(t, shp(p, SG_DIM_ONE), 1, 2)
                                      : input_ex(t, shp(p, SG_DIM_ONE), 1, 2, 1);
    *J = M;
    return sg_add(t->ctx, sg_mul(t->ctx, M, x), c);
}

/*
 * A q×k matrix affine in x (q×1, q > 1): A = x𝟙ᵀ + C, or with rows, the
 * k×q A = 𝟙xᵀ + C; vec(A) row by row, so J(A) = I ⊗ 𝟙 or 𝟙 ⊗ I exactly.
 */
static sg_expr *affine_matrix(T *t, sg_expr *x, sg_dim k, int rows, sg_expr **J)
{
    sg_ctx *c = t->ctx;
    sg_dim q = x->shape.rows;
    sg_expr *one = sg_ones(c, shp(k, SG_DIM_ONE)), *I = sg_eye(c, q);
    sg_expr *C = input(t, rows ? shp(k, q) : shp(q, k), -1, 1);
    *J = rows ? sg_kron(c, one, I) : sg_kron(c, I, one);
    return sg_add(c, rows ? sg_mul(c, one, sg_transpose(c, x)) : sg_mul(c, x, sg_transpose(c, one)),
                  C);
}

/* the domain of an elementwise op's argument, for affine() */
static int unary_domain(sg_op op)
{
    switch (op) {
    case SG_OP_LOG: case SG_OP_SQRT: case SG_OP_LOG1P: case SG_OP_LOG2:
        return POSITIVE;
    case SG_OP_ARCSIN: case SG_OP_ARCCOS: case SG_OP_TAN:
        return SMALL;
    default:
        return AWAY_FROM_0;
    }
}

/* a 1×1 affine in x: s = w x + c, J(s) = w */
static sg_expr *affine1(T *t, sg_expr *x, sg_expr **J)
{
    sg_expr *w = input(t, shp(SG_DIM_ONE, x->shape.rows), -0.3, 0.3);
    *J = w;
    return sg_add(t->ctx, sg_mul(t->ctx, w, x), input(t, shp(SG_DIM_ONE, SG_DIM_ONE), 1, 2));
}

/*
 * J(y) by rule r from Ja, Jb (the Jacobians of a and b, y's kids as built;
 * NULL for a kid that does not depend on x) against central differences of
 * vec(y) in x. 0 when the constructors made another node.
 */
static int check_forward(T *t, const sg_rule *r, sg_expr *y, sg_expr *a, sg_expr *Ja, sg_expr *b,
                         sg_expr *Jb, sg_expr *x)
{
    sg_expr *J, *s;
    double *jv, *xv = t->vals[x->sym];
    long p = count(t, y->shape), q = count(t, x->shape), i, j;
    if (r->id != SG_RULE_J_X && r->id != SG_RULE_J_SCALAR) {
        if (y->op != (r->op == SG_OP_COUNT ? y->op : r->op) || y->kid[0] == NULL)
            return 0;
        if (b && y->nkids > 1 && y->kid[0] == b && y->kid[1] == a) { /* commuted */
            s = a, a = b, b = s;
            s = Ja, Ja = Jb, Jb = s;
        }
        if (y->kid[0] != a || (b && (y->nkids < 2 || y->kid[1] != b)))
            return 0;
        if (sg_rule_jacobian_for(y, Ja != NULL, Jb != NULL) != r->id)
            fail_msg("sg_rule_jacobian_for(%s) is %s, not %s", sg_op_name(y->op),
                     sg_rule_get(sg_rule_jacobian_for(y, Ja != NULL, Jb != NULL))->name, r->name);
    }
    J = r->forward(t->ctx, y, Ja, Jb, x);
    assert_non_null(J);
    assert_int_equal(count(t, J->shape), p * q);
    assert_int_equal(extent(t, J->shape.cols), q);
    jv = values(t, J);
    for (j = 0; j < q; j++) {
        double x0 = xv[j], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1), hh;
        double *yp, *ym;
        xv[j] = x0 + h;
        hh = xv[j];
        yp = values(t, y);
        xv[j] = x0 - h;
        hh -= xv[j];
        ym = values(t, y);
        xv[j] = x0;
        for (i = 0; i < p; i++) {
            double big = fabs(yp[i]) > fabs(ym[i]) ? fabs(yp[i]) : fabs(ym[i]);
            if (!agree(jv[i * q + j], (yp[i] - ym[i]) / hh, big, hh, 16))
                fail_msg("%s: J[%ld][%ld] is %.12g, central difference %.12g", r->name, i, j,
                         jv[i * q + j], (yp[i] - ym[i]) / hh);
            nchecked++;
        }
        free(yp);
        free(ym);
    }
    free(jv);
    return 1;
}

/* rule r on x, with both kids depending on x (side 0) or only a (1) or b (2) */
static int forward_case(T *t, const sg_rule *r, sg_expr *x, int side)
{
    sg_ctx *c = t->ctx;
    sg_expr *a, *b, *Ja = NULL, *Jb = NULL, *M;
    sg_dim p = t->three;
    int ok = 0;
    sg_op op;
    switch (r->id) {
    case SG_RULE_J_X:
        return side == 0 && check_forward(t, r, x, NULL, NULL, NULL, NULL, x);
    case SG_RULE_J_SCALAR:
        a = affine(t, x, p, AWAY_FROM_0, &Ja);
        return side == 0 && check_forward(t, r, sg_dot(c, a, sg_unary(c, SG_OP_TANH, a)), NULL,
                                          NULL, NULL, NULL, x);
    case SG_RULE_J_TRANSPOSE: case SG_RULE_J_SOFTMAX: case SG_RULE_J_LOGSOFTMAX:
        if (side != 0)
            return 0;
        a = affine(t, x, p, AWAY_FROM_0, &Ja);
        op = r->id == SG_RULE_J_TRANSPOSE ? SG_OP_TRANSPOSE : r->op;
        return check_forward(t, r, op == SG_OP_TRANSPOSE ? sg_transpose(c, a) : sg_unary(c, op, a),
                             a, Ja, NULL, NULL, x);
    case SG_RULE_J_FILL:
        if (side != 0)
            return 0;
        a = affine1(t, x, &Ja);
        return check_forward(t, r, sg_fill(c, a, shp(p, SG_DIM_ONE)), a, Ja, NULL, NULL, x);
    case SG_RULE_J_MATVEC:
        if (side != 0)
            return 0;
        b = affine(t, x, p, AWAY_FROM_0, &Jb);
        M = input(t, shp(t->two, p), -1, 1);
        return check_forward(t, r, sg_mul(c, M, b), M, NULL, b, Jb, x);
    case SG_RULE_J_ROWMAT:
        if (side != 0)
            return 0;
        a = sg_transpose(c, affine(t, x, p, AWAY_FROM_0, &Ja)); /* J(aᵀ) = J(a) */
        M = input(t, shp(p, t->two), -1, 1);
        return check_forward(t, r, sg_mul(c, a, M), a, Ja, M, NULL, x);
    case SG_RULE_J_MATMUL: /* a matrix depends on x: a, b or both */
        if (x->shape.rows == SG_DIM_ONE)
            return 0;
        a = side == 2 ? input(t, shp(t->two, x->shape.rows), -1, 1)
                      : affine_matrix(t, x, t->two, 0, &Ja);
        b = side == 1 ? input(t, shp(t->two, p), -1, 1)
                      : affine_matrix(t, x, side == 0 ? t->two : p, side == 0, &Jb);
        return check_forward(t, r, sg_mul(c, a, b), a, Ja, b, Jb, x);
    case SG_RULE_J_COMMUTE: /* (tanh A)ᵀ, J(tanh A) by the elementwise rule; A q×2, q×3 */
        if (side == 2 || x->shape.rows == SG_DIM_ONE)
            return 0;
        a = affine_matrix(t, x, side == 0 ? t->two : p, 0, &Ja);
        M = sg_unary(c, SG_OP_TANH, a);
        Ja = sg_rule_get(SG_RULE_J_ELEMENTWISE)->forward(c, M, Ja, NULL, x);
        return check_forward(t, r, sg_transpose(c, M), M, Ja, NULL, NULL, x);
    case SG_RULE_J_ELEMENTWISE:
        if (side != 0)
            return 0;
        for (op = SG_OP_EXP; op < SG_OP_COUNT; op++) {
            if (!sg_op_is_elementwise_unary(op))
                continue;
            a = affine(t, x, p, unary_domain(op), &Ja);
            if (!check_forward(t, r, sg_unary(c, op, a), a, Ja, NULL, NULL, x))
                fail_msg("J(f(a)) not checked for %s", sg_op_name(op));
            ok++;
        }
        return ok > 0;
    default:
        break;
    }
    /* the binary rules: a and b depend on x, or one of them is an input */
    switch (r->id) {
    case SG_RULE_J_SCALE:
        a = side == 2 ? input(t, shp(SG_DIM_ONE, SG_DIM_ONE), 1, 2) : affine1(t, x, &Ja);
        b = side == 1 ? input(t, shp(p, SG_DIM_ONE), -1, 1) : affine(t, x, p, AWAY_FROM_0, &Jb);
        return check_forward(t, r, sg_mul(c, a, b), a, Ja, b, Jb, x);
    case SG_RULE_J_POW: /* a positive base; the power 1×1 */
        a = side == 2 ? input(t, shp(p, SG_DIM_ONE), 0.5, 2) : affine(t, x, p, POSITIVE, &Ja);
        b = side == 1 ? sg_const(c, 2.5) : affine1(t, x, &Jb);
        return check_forward(t, r, sg_pow(c, a, b), a, Ja, b, Jb, x);
    case SG_RULE_J_ADD: case SG_RULE_J_HADAMARD: case SG_RULE_J_HDIV:
        a = side == 2 ? input(t, shp(p, SG_DIM_ONE), -1, 1) : affine(t, x, p, AWAY_FROM_0, &Ja);
        b = side == 1 ? input_ex(t, shp(p, SG_DIM_ONE), 0.5, 2, 1)
                      : affine(t, x, p, AWAY_FROM_0, &Jb);
        return check_forward(t, r, r->op == SG_OP_ADD ? sg_add(c, a, b)
                                   : r->op == SG_OP_HADAMARD ? sg_hadamard(c, a, b)
                                                             : sg_hdiv(c, a, b),
                             a, Ja, b, Jb, x);
    default:
        fail_msg("no forward case for %s", r->name);
        return 0;
    }
}

static void test_forward(void **state)
{
    T *t = *state;
    int i, side, xc, total = 0;
    for (i = 0; i < SG_RULE_COUNT; i++) {
        const sg_rule *r = sg_rule_get((sg_rule_id)i);
        int ok = 0;
        if (r->kind != SG_RULE_FORWARD)
            continue;
        /* x of length 3, 2 and 1 (a scalar) */
        for (xc = 0; xc < 3; xc++) {
            sg_dim q = xc == 0 ? t->three : xc == 1 ? t->two : SG_DIM_ONE;
            for (side = 0; side < 3; side++)
                ok += forward_case(t, r, input(t, shp(q, SG_DIM_ONE), -1, 1), side);
        }
        if (ok < 3)
            fail_msg("rule %s: checked on %d cases", r->name, ok);
        total += ok;
    }
    print_message("    forward: %d cases, %ld entries by central differences so far\n", total,
                  nchecked);
}

/* ---- the passes' rules, through a whole problem ------------------------------------------ */

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
    long dims[MAXDIMS];
    double *vals[MAXSYMS];
    long len[MAXSYMS];
} run_t;

static long dim_value(const run_t *r, sg_dim d)
{
    const sg_diminfo *di = sg_dim_get(r->p->ctx, d);
    return di->name ? r->dims[d] : di->value;
}

static long index_value(const run_t *r, sg_index i)
{
    return (i.dim < 0 ? 0 : dim_value(r, i.dim)) + i.off;
}

/* text checked, with dims "T=4 n=2 …", every input uniform in [−1, 1) */
static run_t *load(const char *text, const char *dims)
{
    run_t *r = calloc(1, sizeof *r);
    uint64_t rng = 0x2545f4914f6cdd1dull;
    char name[64];
    long v, j;
    int i, n;
    r->src = sg_src_new("t.sg", text, strlen(text));
    r->arena = sg_arena_new();
    r->p = sg_check(r->src, sg_parse(r->src, r->arena));
    if (!r->p)
        fail_msg("the problem does not check: %s", r->src->ndiags ? r->src->diags[0].msg : "?");
    while (sscanf(dims, " %63[^=]=%ld%n", name, &v, &n) == 2) {
        int d = sg_dim_find(r->p->ctx, name);
        assert_true(d >= 0 && d < MAXDIMS);
        r->dims[d] = v;
        dims += n;
    }
    assert_true(sg_sym_count(r->p->ctx) <= MAXSYMS);
    for (i = 0; i < sg_sym_count(r->p->ctx); i++) {
        const sg_symbol *s = sg_sym_get(r->p->ctx, i);
        long len = dim_value(r, s->shape.rows) * dim_value(r, s->shape.cols);
        if (s->seq >= 0) {
            const sg_seq *q = sg_seq_get(r->p->ctx, s->seq);
            len *= index_value(r, q->hi) - index_value(r, q->lo) + 1;
        }
        r->len[i] = len;
        r->vals[i] = malloc((size_t)(len ? len : 1) * sizeof(double));
        for (j = 0; j < len; j++) {
            rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
            r->vals[i][j] = 2.0 * ((double)((rng * 2685821657736338717ull) >> 11) /
                                   9007199254740992.0) - 1.0;
        }
    }
    return r;
}

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

static double value(run_t *r, const sg_expr *f)
{
    sg_eval *ev = sg_eval_new(r->p->ctx, r->dims, (const double *const *)r->vals);
    const double *v = sg_eval_expr(ev, f);
    double out;
    assert_non_null(v);
    out = v[0];
    sg_eval_free(ev);
    return out;
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

/* every gradient against central differences of its scalar */
static void check_grads(run_t *r)
{
    int i;
    for (i = 0; i < r->p->nresults; i++) {
        const sg_result *g = &r->p->results[i];
        const sg_expr *f;
        const double *gv;
        sg_eval *ev;
        double *xv;
        long j;
        int sym;
        if (g->kind != SG_RES_GRAD)
            continue;
        f = result(r, g->of)->expr;
        sym = sg_sym_find(r->p->ctx, g->wrt);
        xv = r->vals[sym];
        ev = sg_eval_new(r->p->ctx, r->dims, (const double *const *)r->vals);
        gv = sg_eval_expr(ev, g->expr);
        assert_non_null(gv);
        for (j = 0; j < r->len[sym]; j++) {
            double x0 = xv[j], h = 1e-6 * (fabs(x0) > 1 ? fabs(x0) : 1), fp, fm, hh;
            xv[j] = x0 + h;
            fp = value(r, f);
            hh = xv[j];
            xv[j] = x0 - h;
            fm = value(r, f);
            hh -= xv[j];
            xv[j] = x0;
            /* a sum over steps: as test_seq.c, 64 ulps */
            if (!agree(gv[j], (fp - fm) / hh, fabs(fp) > fabs(fm) ? fabs(fp) : fabs(fm), hh, 64))
                fail_msg("%s[%ld]: closed form %.12g, central difference %.12g", g->cname, j,
                         gv[j], (fp - fm) / hh);
            nchecked++;
        }
        sg_eval_free(ev);
    }
}

/* each step's rule: an entry of the kind the step calls for, its text the table's */
static void check_log(const sg_log *log, int *seen)
{
    int i;
    for (i = 0; i < log->nsteps; i++) {
        const sg_step *st = &log->steps[i];
        const sg_rule *r = sg_rule_get(st->rule_id);
        assert_true(st->rule_id != SG_RULE_NONE);
        assert_ptr_equal(st->rule, r->text);
        switch (st->kind) {
        case SG_STEP_RULE:
            assert_int_equal(r->kind, SG_RULE_REVERSE);
            assert_int_equal(r->op, st->node->op);
            break;
        case SG_STEP_JACOBIAN:
            assert_int_equal(r->kind, SG_RULE_FORWARD);
            break;
        default:
            assert_int_equal(r->kind, SG_RULE_PASS);
            break;
        }
        seen[st->rule_id]++;
    }
}

static void test_passes(void **state)
{
    /* a Σ over time and a last step read (two kinds of δh terms), an initial
       value, parameters of the step, and V reached along two paths */
    run_t *r = load("x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0 ∈ ℝ^n\n"
                    "W ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nV ∈ ℝ^{p×n}\n"
                    "h[0] = h0\n"
                    "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                    "L = Σ_{t=1}^{T} ½‖V h[t] − y[t]‖² + ‖h[T]‖² + ‖V‖²\n"
                    "grad L wrt W, U, V, h0\n",
                    "T=4 k=2 p=2 n=3");
    run_t *j = load("z ∈ ℝ^n\nA ∈ ℝ^{n×n}\ns = softmax(A z) ⊙ exp(z)\nL = ⟨s, s⟩\n"
                    "jacobian s wrt z\nhessian L wrt z\n",
                    "n=3");
    int seen[SG_RULE_COUNT] = {0}, i;
    (void)state;
    for (i = 0; i < r->p->nresults; i++)
        if (r->p->results[i].log)
            check_log(r->p->results[i].log, seen);
    for (i = 0; i < j->p->nresults; i++)
        if (j->p->results[i].log)
            check_log(j->p->results[i].log, seen);
    for (i = 1; i < SG_RULE_COUNT; i++)
        if (sg_rule_get((sg_rule_id)i)->kind == SG_RULE_PASS && !seen[i])
            fail_msg("the rule %s never appears in the log", sg_rule_get((sg_rule_id)i)->name);
    assert_true(seen[SG_RULE_J_MATVEC] > 0 && seen[SG_RULE_J_SOFTMAX] > 0 &&
                seen[SG_RULE_J_HADAMARD] > 0 && seen[SG_RULE_J_ELEMENTWISE] > 0);
    check_grads(r);
    done(r);
    done(j);
    print_message("    %ld entries by central differences in all\n", nchecked);
}

/* max and min are no ops of their own but relu written by the checker
   (max(a, b) = b + relu(a − b), min(a, b) = b − relu(b − a)): their
   gradients, through both arguments, a scalar broadcast on either side and
   a matrix, against central differences; the fixed inputs are nowhere
   within 10⁻³ of a tie, so no difference straddles a kink */
static void test_maxmin(void **state)
{
    run_t *r = load("x, y ∈ ℝ^n\nX, Y ∈ ℝ^{n×m}\ns, c ∈ ℝ\n"
                    "L = sum(max(x, y) ⊙ min(y, x) ⊙ x) + sum(max(X, s) ⊙ min(c, Y)) +\n"
                    "    max(s, c) · min(c, 0.1) + ⟨min(x, s), max(c, y)⟩\n"
                    "grad L wrt x, y, X, Y, s, c\n",
                    "n=3 m=2");
    int i, j, k;
    (void)state;
    for (i = 0; i < sg_sym_count(r->p->ctx); i++)
        for (j = 0; j < r->len[i]; j++)
            for (k = 0; k <= i; k++) {
                long l, n = k == i ? j : r->len[k];
                for (l = 0; l < n; l++)
                    assert_true(fabs(r->vals[i][j] - r->vals[k][l]) > 1e-3);
                assert_true(fabs(r->vals[i][j]) > 1e-3 && fabs(r->vals[i][j] - 0.1) > 1e-3);
            }
    check_grads(r);
    done(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test_setup_teardown(test_reverse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
        cmocka_unit_test(test_passes),
        cmocka_unit_test(test_maxmin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
