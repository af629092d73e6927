/*
 * test_check.c: names, shapes and the checker's error messages.
 *
 * Each case is a small problem as a user writes it. Good problems must check
 * and give the expected result shapes; bad ones must give exactly the
 * expected first error, at the expected line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parser.h"
#include "symbolic/check.h"
#include "symbolic/eval.h"
#include "base/buf.h"

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
} run_t;

static run_t run(const char *text)
{
    run_t r;
    r.src = sg_src_new("t.sg", text, strlen(text));
    r.arena = sg_arena_new();
    r.p = sg_check(r.src, sg_parse(r.src, r.arena));
    return r;
}

static void done(run_t *r)
{
    sg_problem_free(r->p);
    sg_arena_free(r->arena);
    sg_src_free(r->src);
}

/* the first error, sorted by position, as "LINE:COL: MESSAGE" */
static char *first_error(const sg_src *src)
{
    static char buf[1024];
    unsigned best = 0, i, line, col;
    if (!src->ndiags)
        return NULL;
    for (i = 1; i < src->ndiags; i++)
        if (src->diags[i].span.begin < src->diags[best].span.begin)
            best = i;
    sg_src_linecol(src, src->diags[best].span.begin, &line, &col);
    snprintf(buf, sizeof buf, "%u:%u: %s", line, col, src->diags[best].msg);
    return buf;
}

/* text must fail with a first error at pos ("L:C") whose message contains msg */
static void fails(const char *text, const char *pos, const char *msg)
{
    run_t r = run(text);
    char *e = first_error(r.src);
    if (!e || strncmp(e, pos, strlen(pos)) || e[strlen(pos)] != ':' || !strstr(e, msg)) {
        print_error("input:\n%s\nexpected %s: …%s…\ngot      %s\n", text, pos, msg,
                    e ? e : "(no error)");
        done(&r);
        fail();
    }
    assert_null(r.p);
    done(&r);
}

static const sg_result *result(const sg_problem *p, const char *cname)
{
    int i;
    for (i = 0; i < p->nresults; i++)
        if (!strcmp(p->results[i].cname, cname))
            return &p->results[i];
    return NULL;
}

/* text must check, and result cname must have shape str */
static void shape_is(const char *text, const char *cname, const char *shape)
{
    run_t r = run(text);
    const sg_result *res;
    if (!r.p) {
        print_error("input:\n%s\nunexpected error %s\n", text, first_error(r.src));
        done(&r);
        fail();
    }
    res = result(r.p, cname);
    assert_non_null(res);
    assert_string_equal(sg_shape_str(r.p->ctx, res->expr->shape, 0), shape);
    done(&r);
}

/* results a and b of text are the same node (the DAG is hash-consed), or not */
static void same_node(const char *text, const char *a, const char *b, int same)
{
    run_t r = run(text);
    const sg_result *ra, *rb;
    if (!r.p) {
        print_error("input:\n%s\nunexpected error %s\n", text, first_error(r.src));
        done(&r);
        fail();
    }
    ra = result(r.p, a);
    rb = result(r.p, b);
    assert_non_null(ra);
    assert_non_null(rb);
    if ((ra->expr == rb->expr) != same) {
        print_error("input:\n%s\n%s and %s should %sbe the same\n", text, a, b, same ? "" : "not ");
        done(&r);
        fail();
    }
    done(&r);
}

static void test_autoencoder(void **state)
{
    run_t r = run("W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W, x\n");
    (void)state;
    assert_non_null(r.p);
    assert_int_equal(r.p->nresults, 3);
    assert_string_equal(r.p->results[0].cname, "L");
    assert_string_equal(r.p->results[1].cname, "dL_dW");
    assert_string_equal(r.p->results[2].cname, "dL_dx");
    assert_int_equal(r.p->results[1].kind, SG_RES_GRAD);
    assert_true(sg_shape_eq(r.p->results[1].expr->shape, sg_sym_get(r.p->ctx, 0)->shape));
    done(&r);
}

static void test_ascii_and_unicode_agree(void **state)
{
    run_t u = run("W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W\n");
    run_t a = run("W : matrix(m, n)\nx : vector(n)\nL = 0.5 * norm(W' * W * x - x)^2\n"
                  "grad L wrt W\n");
    (void)state;
    assert_non_null(u.p);
    assert_non_null(a.p);
    assert_int_equal(u.p->nresults, a.p->nresults);
    done(&u);
    done(&a);
}

static void test_juxtaposition_splits(void **state)
{
    (void)state;
    shape_is("W₂ ∈ ℝ^{c×h}\nh₁ ∈ ℝ^h\nz = W₂h₁\noutput z\n", "z", "ℝ^c");
    shape_is("X ∈ ℝ^{N×Q}\nβ ∈ ℝ\nK = XXᵀ + βI\noutput K\n", "K", "ℝ^{N×N}");
    shape_is("Y ∈ ℝ^{N×D}\nS = YYᵀ\noutput S\n", "S", "ℝ^{N×N}");
    shape_is("A ∈ ℝ^{p×m}\nX ∈ ℝ^{m×n}\nB ∈ ℝ^{n×n}\nC ∈ ℝ^{m×q}\nM = AXBXᵀC\noutput M\n", "M",
             "ℝ^{p×q}");
    fails("a, b, ab ∈ ℝ\nc = abb\noutput c\n", "2:5", "ambiguous name 'abb'");
    /* up to four readings are listed whole; past four the message says there are more */
    fails("a, aa ∈ ℝ\nc = aaa\noutput c\n", "2:5", "it reads as a a a, a aa or aa a; separate");
    fails("a, aa ∈ ℝ\nc = aaaa\noutput c\n", "2:5",
          "it reads as a a a a, a a aa, a aa a, aa a a, and in more ways; separate");
}

/* a postfix after a parenthesised group applies to the whole group, however
   a name inside it splits: (Ax)ᵀ is (A x)ᵀ, not (A xᵀ) ("cannot multiply");
   after a bare name it binds to the last part (Wxᵀ is W xᵀ) */
static void test_postfix_on_split_group(void **state)
{
    static const char *const post[] = {"ᵀ", "'", "⁻¹", "²", "^2", "^(-1)"};
    size_t i;
    char buf[512];
    (void)state;
    shape_is("A ∈ ℝ^{3×n}\nx ∈ ℝ^n\nv = (Ax)ᵀ\noutput v\n", "v", "ℝ^{1×3}");
    shape_is("A ∈ ℝ^{3×n}\nx ∈ ℝ^n\nv = ((Ax))'\noutput v\n", "v", "ℝ^{1×3}");
    shape_is("A ∈ ℝ^{3×n}\nx ∈ ℝ^n\nv = ((Ax)ᵀ)ᵀ\noutput v\n", "v", "ℝ^3");
    shape_is("A ∈ ℝ^{n×m}\nB ∈ ℝ^{m×n}\nC = (AB)⁻¹\noutput C\n", "C", "ℝ^{n×n}");
    shape_is("A ∈ ℝ^{n×m}\nB ∈ ℝ^{m×n}\nC = (AB)^-1\noutput C\n", "C", "ℝ^{n×n}");
    shape_is("A ∈ ℝ^{n×m}\nB ∈ ℝ^{m×n}\nC = (AB)'\noutput C\n", "C", "ℝ^{n×n}");
    shape_is("A ∈ ℝ^{n×m}\nB ∈ ℝ^{m×n}\nD ∈ ℝ^{n×n}\nC = (D(AB))ᵀ\noutput C\n", "C",
             "ℝ^{n×n}");
    shape_is("A ∈ ℝ^{n×m}\nB ∈ ℝ^{m×n}\nD ∈ ℝ^{n×n}\nC = (D(AB)ᵀ)ᵀ\noutput C\n", "C",
             "ℝ^{n×n}");
    /* each postfix, on scalars (where both readings have a shape): the group
       reads as the spaced group, the bare name as its last part */
    for (i = 0; i < sizeof post / sizeof *post; i++) {
        snprintf(buf, sizeof buf,
                 "w, x ∈ ℝ\nu = (wx)%s\nv = (w x)%s\ny = ((wx))%s\nz = w x%s\noutput u, v, y, z\n",
                 post[i], post[i], post[i], post[i]);
        same_node(buf, "u", "v", 1);
        same_node(buf, "y", "v", 1);
        if (strcmp(post[i], "ᵀ") && strcmp(post[i], "'"))
            same_node(buf, "u", "z", 0);
    }
    same_node("w, x ∈ ℝ\nu = wx²\nz = w x²\noutput u, z\n", "u", "z", 1);
    fails("A ∈ ℝ^{3×n}\nx ∈ ℝ^n\nv = Axᵀ\noutput v\n", "3:5", "cannot multiply A");
    /* a transpose of either factor that fits is named, parenthesized as needed */
    fails("A ∈ ℝ^{m×n}\nB ∈ ℝ^{p×n}\nv = sum(AB)\noutput v\n", "3:9",
          "cannot multiply A (ℝ^{m×n}) by B (ℝ^{p×n}): inner dimensions n and p differ "
          "(ABᵀ would fit: a transpose?)");
    fails("A ∈ ℝ^{m×n}\nx, y ∈ ℝ^m\nv = sum(A(x + y))\noutput v\n", "3:9",
          "cannot multiply A (ℝ^{m×n}) by x + y (ℝ^m): inner dimensions n and m differ "
          "(Aᵀ(x + y) would fit: a transpose?)");
}

static void test_context_sizes(void **state)
{
    (void)state;
    shape_is("y, p ∈ ℝ^N\nL = (𝟙 − y)ᵀ log(𝟙 − p)\noutput L\n", "L", "ℝ");
    shape_is("W ∈ ℝ^{H×D}\nX ∈ ℝ^{D×N}\nb ∈ ℝ^H\nZ = WX + b𝟙ᵀ\noutput Z\n", "Z", "ℝ^{H×N}");
    shape_is("A ∈ ℝ^{n×n}\nB = A + I\noutput B\n", "B", "ℝ^{n×n}");
    shape_is("x ∈ ℝ^n\ns = 𝟙ᵀx\noutput s\n", "s", "ℝ");
    shape_is("A ∈ ℝ^{n×n}\nB = A + 2I(n)\noutput B\n", "B", "ℝ^{n×n}");
    fails("x ∈ ℝ^n\nL = sum(𝟙)\noutput L\n", "2:9", "cannot tell the size of 𝟙");
    fails("A ∈ ℝ^{m×n}\nB = A + I\noutput B\n", "2:9", "I is square");
}

static void test_dimensions_as_scalars(void **state)
{
    (void)state;
    shape_is("x ∈ ℝ^D\nL = D/2 ‖x‖²\noutput L\n", "L", "ℝ");
    shape_is("x ∈ ℝ^n\nL = mean(x)\noutput L\n", "L", "ℝ");
}

static void test_shape_errors(void **state)
{
    (void)state;
    fails("W ∈ ℝ^{m×n}\nb ∈ ℝ^m\nL = ‖Wb‖²\ngrad L wrt W\n", "3:6", "ℝ^{m×n}");
    fails("W ∈ ℝ^{m×n}\nb ∈ ℝ^m\nL = ‖Wb‖²\ngrad L wrt W\n", "3:6", "ℝ^m");
    fails("x, y ∈ ℝ^n\nL = sum(xy)\noutput L\n", "2:9", "xᵀy");
    fails("x ∈ ℝ^n\ny ∈ ℝ^m\nz = x + y\noutput z\n", "3:5", "cannot add");
    fails("x ∈ ℝ^n\ny ∈ ℝ^m\nz = x ⊙ y\noutput z\n", "3:5", "the shapes differ");
    fails("x, y ∈ ℝ^n\nz = x / y\noutput z\n", "2:9", "a divisor must be a scalar, but y is ℝ^n");
    fails("x ∈ ℝ^n\nL = x^(2x)\noutput L\n", "2:7",
          "an exponent must be a scalar, but (2x) is ℝ^n");
    fails("x ∈ ℝ^n\nz = x²\noutput z\n", "2:5", ".^");
    fails("A ∈ ℝ^{n×m}\nL = A^2\noutput L\n", "2:5",
          "A is ℝ^{n×m}, not a scalar: write A.^2 for the elementwise power, or a product");
    fails("x ∈ ℝ^n\nz = |x|\noutput z\n", "2:5", "abs(x)");
    fails("A ∈ ℝ^{m×n}\nt = tr(A)\noutput t\n", "2:5",
          "tr needs a square matrix, but A is ℝ^{m×n}");
    fails("A ∈ ℝ^{m×n}\nt = det(A)\noutput t\n", "2:5",
          "det needs a square matrix, but A is ℝ^{m×n}");
    fails("A ∈ ℝ^{m×n}\nB = A + I(A)\noutput B\n", "2:9",
          "I(n) takes one dimension: a name or a positive integer");
    fails("A ∈ ℝ^{m×n}\nB = A + I(2, 3)\noutput B\n", "2:9",
          "I(n) takes one dimension: a name or a positive integer");
    fails("x ∈ ℝ^n\nL = sum(eye(x))\noutput L\n", "2:9",
          "eye(n) takes one dimension: a name or a positive integer");
    fails("x ∈ ℝ^n\ny ∈ ℝ^m\nt = ⟨x, y⟩\noutput t\n", "3:5", "equal shapes");
}

static void test_name_errors(void **state)
{
    (void)state;
    fails("x ∈ ℝ^n\nL = ‖x − z‖²\ngrad L wrt x\n", "2:10", "undefined name 'z'");
    fails("x ∈ ℝ^n\nx ∈ ℝ^m\n", "2:1", "already declared");
    fails("x ∈ ℝ^n\nr = x\nr = x\noutput r\n", "3:1", "already defined");
    fails("x ∈ ℝ^n\nn ∈ ℝ\n", "2:1", "n is a dimension; it cannot also be declared");
    fails("x ∈ ℝ^n\nn = ‖x‖²\n", "2:1", "n is a dimension; it cannot also be defined");
    fails("I ∈ ℝ\n", "1:1", "I is the built-in identity matrix; it cannot also be declared");
    fails("x ∈ ℝ^n\nones = x\noutput ones\n", "2:1",
          "ones is the built-in all-ones 𝟙; it cannot also be defined");
    fails("A ∈ ℝ^{m×n}\nB ∈ ℝ^{A×n}\n", "2:8", "A is a declared symbol, not a dimension");
    fails("x ∈ ℝ^n\nr = x\nB : matrix(m, r)\n", "3:15", "r is a definition, not a dimension");
    fails("x ∈ ℝ^int\n", "1:7", "'int' cannot be a dimension name");
    fails("x : vector(double)\n", "1:12", "'double' cannot be a dimension name");
    fails("double ∈ ℝ^n\n", "1:1", "'double' cannot be used as a name in C; choose another");
    fails("x ∈ ℝ^n\nwhile = ‖x‖²\noutput while\n", "2:1",
          "'while' cannot be used as a name in C; choose another");
    fails("x ∈ ℝ^n\nL = x(x, x)\noutput L\n", "2:5", "x is not a function");
    fails("x ∈ ℝ^n\nL = exp\noutput L\n", "2:5", "exp is a function");
    fails("x ∈ ℝ^n\nL = foo(x)\noutput L\n", "2:5", "unknown function 'foo'");
    fails("x ∈ ℝ^n\nL = sum(x, x)\noutput L\n", "2:5", "sum takes 1 argument, not 2");
}

static void test_request_errors(void **state)
{
    (void)state;
    fails("A ∈ ℝ^{m×n}\nx ∈ ℝ^n\nv = Ax\ngrad v wrt x\n", "4:6", "grad needs a scalar");
    /* a matrix is taken by its row-major vec; what has no rule says which construct */
    fails("W ∈ ℝ^{n×m}\nS = softmax(W)\njacobian S wrt W\n", "3:16",
          "cannot take the Jacobian of S with respect to W: it goes through softmax of the "
          "columns of a matrix that depends on W");
    fails("W ∈ ℝ^{n×n}\nL = sum(W⁻¹)\nhessian L wrt W\n", "3:9",
          "cannot take the Hessian of L: it goes through inv of");
    fails("x ∈ ℝ^n\nL = ‖x‖²\ngrad L wrt y\n", "3:12", "undefined name 'y'");
    fails("x ∈ ℝ^n\nL = ‖x‖²\ngrad L wrt n\n", "3:12", "dimension");
    fails("x ∈ ℝ^n\nL = ‖x‖²\ngrad M wrt x\n", "3:6", "undefined name 'M'");
    fails("x ∈ ℝ^n\noutput x\n", "2:8", "only a definition can be requested");
    fails("x ∈ ℝ^n\nL = ‖x‖²\n", "3:1", "nothing is requested");
    fails("prefix 9x\nx ∈ ℝ^n\n", "1:8", "");
}

static void test_all_errors_reported(void **state)
{
    run_t r = run("x ∈ ℝ^n\na = x + q\nb = x ⊙ w\noutput a, b\n");
    (void)state;
    assert_null(r.p);
    assert_int_equal(sg_src_nerrors(r.src), 2);
    done(&r);
}

static void test_failed_recurrence_stays_quiet(void **state)
{
    /* a recurrence without its initial value, or whose step failed */
    run_t r = run("x[t] ∈ ℝ^n for t = 1..T\nh[t] = x[t] for t = 1..T\nL = sum(h[T]) + sum(h)\n"
                  "output L\n");
    run_t s = run("x[t] ∈ ℝ^n for t = 1..T\nh[0] = q\nh[t] = h[t−1] for t = 1..T\n"
                  "g[0] = x[1]\ng[t] = g[t−1] + z for t = 1..T\n"
                  "L = sum(h[T]) + sum(g[T]) + Σ_{t=1}^{T} sum(g[t])\noutput L\n");
    (void)state;
    assert_null(r.p);
    assert_int_equal(sg_src_nerrors(r.src), 1);
    assert_null(s.p);
    assert_int_equal(sg_src_nerrors(s.src), 2);
    done(&r);
    done(&s);
}

static void test_failed_definition_stays_quiet(void **state)
{
    /* a use of a name whose definition failed is not a second error */
    run_t r = run("x ∈ ℝ^n\na = x + q\nL = ‖a‖²\ngrad L wrt x\n");
    (void)state;
    assert_null(r.p);
    assert_int_equal(sg_src_nerrors(r.src), 1);
    done(&r);
}

/* ---- sequences ------------------------------------------------------------ */

#define RNN_HEAD "x[t] ∈ ℝ^k for t = 1..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\n"

static void test_sequences(void **state)
{
    (void)state;
    shape_is(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                      "L = Σ_{t=1}^{T} ‖h[t]‖²\ngrad L wrt W, U, h0\n",
             "dL_dW", "ℝ^{n×n}");
    shape_is(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                      "s = sum(t = 1..T, h[t])\noutput s\n",
             "s", "ℝ^n");
    /* h[0] is the initial value; x over 0..T−1 read at t − 1 */
    shape_is("x[t] : vector(k) for t = 0..T-1\nh0 ∈ ℝ^n\nU ∈ ℝ^{n×k}\n"
             "h[0] = h0\nh[t] = tanh(h[t-1] + U x[t-1]) for t = 1..T\n"
             "L = norm(h[T])^2 + norm(h[0])^2\ngrad L wrt h0\n",
             "dL_dh0", "ℝ^n");
}

static void test_sequence_errors(void **state)
{
    (void)state;
    fails(RNN_HEAD "h[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n", "5:15",
          "h has no initial value: write h[0] = … above its step");
    /* a gate read at t before its step, or at t − 1 without a step below */
    fails(RNN_HEAD "h[0] = h0\na[t] = tanh(h[t]) for t = 1..T\n"
                   "h[t] = tanh(W a[t] + U x[t]) for t = 1..T\n", "6:13",
          "h is used before its step h[t] = … is defined: a step may read a step defined "
          "further down only at t−1");
    fails(RNN_HEAD "h[0] = h0\na[t] = tanh(h[t−1]) for t = 1..T\noutput a[T]\n", "6:13",
          "h[t−1] is read here, but h has no step: write h[t] = … for t = 1..T below");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 2..T\n", "6:40",
          "the steps of h start right after its initial value h[0]: write t = 1..T");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t] + U x[t]) for t = 1..T\n", "6:17",
          "a step of h may only use earlier steps (h[t−1])");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t+1] + U x[t]) for t = 1..T\n", "6:17",
          "a step of h may only use earlier steps (h[t−1])");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−2] + U x[t]) for t = 1..T\n", "6:17",
          "a step of h may only use the step just before it, h[t−1]");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t−1]) for t = 1..T\n", "6:28",
          "index out of range: x is defined for t = 1..T");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\nL = ‖h[T+1]‖²\n"
                   "grad L wrt W\n",
          "7:8", "index out of range: h is defined for t = 0..T");
    fails(RNN_HEAD "L = Σ_{t=1}^{T+1} ‖x[t]‖²\ngrad L wrt W\n", "5:22",
          "index out of range: x is defined for t = 1..T");
    fails(RNN_HEAD "L = sum(x)\noutput L\n", "5:9", "x is a sequence: write x[t] for its step t");
    fails(RNN_HEAD "L = Σ_{s=1}^{T} ‖x[t]‖²\noutput L\n", "5:20",
          "'t' is not the index of the loop around it (s)");
    fails(RNN_HEAD "L = ‖x[t]‖²\noutput L\n", "5:8", "undefined index 't'");
    fails(RNN_HEAD "L = Σ_{t=1}^{T} Σ_{s=1}^{T} ‖x[s]‖²\noutput L\n", "5:17",
          "a Σ inside a Σ or a step is not supported yet");
    fails(RNN_HEAD "L = Σ_{t=1}^{T} sum(x[t])\njacobian L wrt x\n", "6:16",
          "x is a sequence: a Jacobian with respect to a sequence is not supported yet; "
          "`grad L wrt x` gives ∂L/∂x[t]");
    fails(RNN_HEAD "L = Σ_{t=1}^{T} sum(x[t])\nhessian L wrt x\n", "6:15",
          "x is a sequence: a Hessian with respect to a sequence is not supported yet; "
          "`grad L wrt x` gives ∂L/∂x[t]");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\nL = sum(h[T])\n"
                   "grad L wrt h\n",
          "8:12", "h is a recurrence; derivatives are taken with respect to declared symbols");
    fails("x[t] ∈ ℝ^n\n", "1:3", "a sequence needs its range: write `for t = 1..T`");
    fails(RNN_HEAD "h[0] = h0\nh[t] = W for t = 1..T\n", "6:8",
          "the step of h is ℝ^{n×n}, but its initial value h[0] is ℝ^n");
    fails(RNN_HEAD "h[0] = h0\nL = sum(h[1])\nh[t] = tanh(W h[t−1]) for t = 1..T\noutput L\n",
          "6:9", "h is used before its step h[t] = … is defined");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1]) for t = 1..T\noutput h\n", "7:8",
          "h is a sequence; request one of its steps through a definition (hT = h[T])");
    fails(RNN_HEAD "L = sum(x[2t])\noutput L\n", "5:11", "an index is written t, t − 1");
    fails(RNN_HEAD "L = Σ_{t=3}^{1} sum(x[t])\noutput L\n", "5:14", "the range 3..1 runs backwards");
    fails("x[t] ∈ ℝ^n for t = 3..1\n", "1:23", "the range 3..1 may run backwards");
    fails(RNN_HEAD "L = sum(W[T])\noutput L\n", "5:9",
          "W is not a sequence: only a sequence takes an index [ ]");
    fails("y[t] ∈ ℝ^n for t = 1..T\nB ∈ ℝ^{y×n}\n", "2:8", "y is a sequence, not a dimension");
    fails("int[t] ∈ ℝ^n for t = 1..T\n", "1:1",
          "'int' cannot be used as a name in C; choose another");
    fails(RNN_HEAD "long[0] = h0\n", "5:1", "'long' cannot be used as a name in C; choose another");
    fails(RNN_HEAD "I[0] = h0\n", "5:1",
          "I is the built-in identity matrix; it cannot also be defined");
    fails(RNN_HEAD "L = Σ_{t=1}^{T} t sum(x[t])\noutput L\n", "5:17",
          "t is the index of the loop: it can only be used inside [ ] for now");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1]) for t = 1..T\nh[t] = W h[t−1] for t = 1..T\n",
          "7:1", "h already has its step");
    fails(RNN_HEAD "x[t] = U x[t] for t = 1..T\n", "5:1", "x is an input sequence");
    fails(RNN_HEAD "h[0] = h0\nh[s] = tanh(W h[s−1]) for t = 1..T\n", "6:3",
          "the step is written h[t], with t the variable of its range");
    fails(RNN_HEAD "h[0] = h0\nh[n] = tanh(W h[n−1]) for n = 1..T\n", "6:27",
          "the index n is already a name; choose another");
    fails(RNN_HEAD "h[0] = h0\nh0[t] = h0 for t = 1..T\n", "6:1", "h0 is already declared");
    fails(RNN_HEAD "L = sum(x(1))\noutput L\n", "5:9", "x is a sequence");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\ns = h[T]\n"
                   "jacobian s wrt h0\n",
          "8:16", "it goes through a sequence");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\nL = ‖h[T]‖²\n"
                   "hessian L wrt h0\n",
          "8:9", "cannot take the Hessian of L: it goes through a sequence");
    fails(RNN_HEAD "L = sum(x[W])\noutput L\n", "5:11", "W is a declared symbol, not an index");
    fails(RNN_HEAD "L = Σ_{x=1}^{T} sum(W)\noutput L\n", "5:8",
          "the index x is already a name; choose another");
    fails(RNN_HEAD "dim x\n", "5:5", "x is already a sequence");
    fails(RNN_HEAD "h[0] = h0\nh[t] = tanh(W h[0]) for t = 1..T\n", "6:17",
          "a step of h may only use the step just before it, h[t−1]");
    fails(RNN_HEAD "L = ‖x[t] − x[t−1]‖²\noutput L\n", "5:8", "undefined index 't'");
}

/* the longest path from e to a leaf, without recursion (kids have smaller ids) */
static int dag_depth(const sg_expr *e)
{
    size_t n = e->id + 1, d;
    const sg_expr **stack = malloc(sizeof *stack * 2 * n), **byid = calloc(n, sizeof *byid);
    int *depth = calloc(n, sizeof *depth), sp = 0, k, out;
    stack[sp++] = e;
    byid[e->id] = e;
    while (sp > 0) {
        const sg_expr *x = stack[--sp];
        for (k = 0; k < x->nkids; k++)
            if (!byid[x->kid[k]->id]) {
                byid[x->kid[k]->id] = x->kid[k];
                stack[sp++] = x->kid[k];
            }
    }
    for (d = 0; d < n; d++) /* every kid before its parent */
        for (k = 0; byid[d] && k < byid[d]->nkids; k++)
            if (depth[byid[d]->kid[k]->id] + 1 > depth[d])
                depth[d] = depth[byid[d]->kid[k]->id] + 1;
    out = depth[e->id];
    free(stack);
    free(byid);
    free(depth);
    return out;
}

/* head, then n operands op-joined (operand is a printf format taking the
   index from 1), a line per 200, then tail */
static char *long_chain(const char *head, const char *operand, const char *op, int n,
                        const char *tail)
{
    sg_buf b;
    int i;
    sg_buf_init(&b);
    sg_buf_puts(&b, head);
    for (i = 1; i <= n; i++) {
        if (i > 1)
            sg_buf_printf(&b, "%s%s", op, i % 200 == 0 ? "\n" : "");
        sg_buf_printf(&b, operand, i);
    }
    sg_buf_puts(&b, tail);
    return sg_buf_take(&b, NULL);
}

/* a long flat chain checks in a loop and builds a shallow DAG of the same value */
static void test_long_chains(void **state)
{
    static const int sizes[] = {100, 1000, 10000};
    size_t k;
    (void)state;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k], i;
        /* Σ ±sin(i a), signs alternating: the value, and a depth of about
           64 + log₂(n/64), not n */
        char *text = long_chain("a ∈ ℝ\nL = (", "sin(%d a)", " - ", n, ")\noutput L\n");
        run_t r = run(text);
        const sg_result *res;
        double want = 0, av = 0.3;
        const double *syms[1];
        long dims[4] = {0, 0, 0, 0};
        sg_eval *ev;
        assert_non_null(r.p);
        res = result(r.p, "L");
        assert_true(dag_depth(res->expr) < 64 + 40);
        for (i = 1; i <= n; i++)
            want += (i == 1 ? 1 : -1) * sin(i * av);
        syms[0] = &av;
        ev = sg_eval_new(r.p->ctx, dims, syms);
        assert_true(fabs(sg_eval_expr(ev, res->expr)[0] - want) < 1e-9 * n);
        sg_eval_free(ev);
        done(&r);
        free(text);

        /* a product of matrices, a ⊙ chain with a scalar in it, a sum of
           I sized by a later operand (the simplifier's display of a product
           takes time quadratic in its length: 1000 at most) */
        if (n > 1000)
            continue;
        text = long_chain("A ∈ ℝ^{n×n}\nx ∈ ℝ^n\ny = (", "A", " ", n < 300 ? n : 300, " x)\noutput y\n");
        shape_is(text, "y", "ℝ^n");
        free(text);
        text = long_chain("x ∈ ℝ^n\ns ∈ ℝ\ny = (s ⊙ ", "x", " ⊙ ", n, ")\noutput y\n");
        shape_is(text, "y", "ℝ^n");
        free(text);
        text = long_chain("A ∈ ℝ^{n×n}\nB = (2 + ", "I", " + ", n, " + A)\noutput B\n");
        shape_is(text, "B", "ℝ^{n×n}");
        free(text);
        text = long_chain("A ∈ ℝ^{n×n}\nx ∈ ℝ^n\ny = x + (", "I", " ", n, " x)\noutput y\n");
        shape_is(text, "y", "ℝ^n");
        free(text);
    }
    /* factors that all wait for their size are checked again one inside the
       other: past MAX_CHECK_DEPTH that is an error, not a crash */
    {
        char *text = long_chain("x ∈ ℝ^n\ny = x + (", "I", " ", 5000, " x)\noutput y\n");
        fails(text, "2:10", "expression too deep to check (more than 4000 levels)");
        free(text);
    }
}

/* errors inside a long chain: the message and place of a short one */
static void test_long_chain_errors(void **state)
{
    char *text;
    (void)state;
    /* operand 71 of x + x + … has another shape */
    text = long_chain("x ∈ ℝ^n\ny ∈ ℝ^m\nL = ", "x", " + ", 70, " + y + x\noutput L\n");
    fails(text, "3:5", "cannot add x + x + x + x + x + … (ℝ^n) and y (ℝ^m): the shapes differ");
    free(text);
    text = long_chain("A ∈ ℝ^{n×n}\nb ∈ ℝ^m\nL = ", "A", " ", 100, " b\noutput L\n");
    fails(text, "3:5", "cannot multiply A A A A A A A A A A … (ℝ^{n×n}) by b (ℝ^m): inner "
                       "dimensions n and m differ");
    free(text);
    /* errors in separate operands are all reported */
    {
        run_t r;
        text = long_chain("x ∈ ℝ^n\nL = sum(", "x", " ⊙ ", 100, " ⊙ u ⊙ x ⊙ v)\noutput L\n");
        r = run(text);
        assert_null(r.p);
        assert_int_equal(r.src->ndiags, 2);
        done(&r);
        free(text);
    }
}

/* a name of many letters: its readings counted in polynomial time */
static void test_long_splits(void **state)
{
    char text[512];
    (void)state;
    /* with a and aa, aaaa…a has Fibonacci-many readings: found ambiguous at once */
    snprintf(text, sizeof text, "a, aa ∈ ℝ\nL = %.60s\noutput L\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    fails(text, "2:5", "ambiguous name 'aaaaaaaaaa");
    fails(text, "2:5", "it reads as a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                       "a a a a a a a a a a a a a a a a a a a a a a a a a, ");
    {
        char name[201];
        memset(name, 'a', 200);
        name[200] = '\0';
        snprintf(text, sizeof text, "a, aa ∈ ℝ\nL = %s\noutput L\n", name);
        fails(text, "2:5", "ambiguous name");
        /* one reading: 200 parts */
        snprintf(text, sizeof text, "a ∈ ℝ\nL = %s\noutput L\n", name);
        shape_is(text, "L", "ℝ");
        /* with ab and b: one reading of abab…ab (100 parts) */
        snprintf(text, sizeof text, "ab, b, c ∈ ℝ\nL = %.200s\noutput L\n",
                 "abababababababababababababababababababababababababababababababababababababababababab"
                 "abababababababababababababababababababababababababababababababababababababababababab"
                 "abababababababababababababababab");
        shape_is(text, "L", "ℝ");
    }
    /* a part that cannot be completed is no reading; none at all is undefined */
    fails("ab, b ∈ ℝ\nL = abba\noutput L\n", "2:5", "undefined name 'abba'");
}

/* grad requests of one function on separate lines share one reverse sweep:
   the DAG is the one a single `grad L wrt …` line builds, not one sweep per
   line (a thousand lines were a thousand walks of L), and the results keep
   the order of the requests */
static void test_grad_requests_share_a_sweep(void **state)
{
    static const char head[] = "W1, W2, W3 ∈ ℝ^{n×n}\nx ∈ ℝ^n\n"
                               "h1 = tanh(W1 x)\nh2 = tanh(W2 h1)\nh3 = tanh(W3 h2)\n"
                               "L = ‖h3‖²\nM = sum(h2)\n";
    char one[512], many[512];
    run_t a, b;
    int i;
    (void)state;
    snprintf(one, sizeof one, "%sgrad L wrt W3, W1, x\ngrad M wrt W2\ngrad L wrt W2\n", head);
    snprintf(many, sizeof many,
             "%sgrad L wrt W3\ngrad M wrt W2\ngrad L wrt W1\ngrad L wrt x\ngrad L wrt W2\n", head);
    a = run(one);
    b = run(many);
    assert_non_null(a.p);
    assert_non_null(b.p);
    assert_int_equal(sg_expr_count(a.p->ctx), sg_expr_count(b.p->ctx));
    assert_int_equal(a.p->nresults, b.p->nresults);
    {
        static const char *const order[] = {"L", "M", "dL_dW3", "dM_dW2", "dL_dW1", "dL_dx", "dL_dW2"};
        assert_int_equal(b.p->nresults, 7);
        for (i = 0; i < 7; i++)
            assert_string_equal(b.p->results[i].cname, order[i]);
    }
    /* one sweep per function: L's three lines share its log, M has its own */
    assert_ptr_equal(b.p->results[2].log, b.p->results[4].log);
    assert_ptr_equal(b.p->results[2].log, b.p->results[5].log);
    assert_ptr_equal(b.p->results[2].log, b.p->results[6].log);
    assert_ptr_not_equal(b.p->results[2].log, b.p->results[3].log);
    /* the same gradients, whichever line asked */
    for (i = 0; i < b.p->nresults; i++) {
        int j;
        for (j = 0; j < a.p->nresults; j++)
            if (!strcmp(a.p->results[j].cname, b.p->results[i].cname))
                break;
        assert_true(j < a.p->nresults);
        assert_ptr_equal(a.p->results[j].expr == NULL, b.p->results[i].expr == NULL);
    }
    done(&a);
    done(&b);
}

/* the largest relative difference between a and b at random inputs (every
   named dimension 3, inputs in (0.05, 0.95), which keeps logs defined) */
static double written_gap(const sg_problem *p, const sg_expr *a, const sg_expr *b)
{
    long dims[16];
    double *vals[32], gap = 0, big = 0;
    const double *syms[32];
    unsigned long rng = 7;
    int i, n = sg_sym_count(p->ctx);
    sg_eval *ev;
    const double *va, *vb;
    long k, m;
    assert_true(n <= 32 && sg_dim_count(p->ctx) <= 16);
    for (i = 0; i < sg_dim_count(p->ctx); i++)
        dims[i] = 3;
    for (i = 0; i < n; i++) {
        vals[i] = malloc(9 * sizeof(double));
        for (k = 0; k < 9; k++) {
            rng = rng * 6364136223846793005ul + 1442695040888963407ul;
            vals[i][k] = 0.05 + 0.9 * (double)(rng >> 11) / (double)(1ul << 53);
        }
        syms[i] = vals[i];
    }
    ev = sg_eval_new(p->ctx, dims, syms);
    va = sg_eval_expr(ev, a);
    assert_non_null(va);
    m = sg_eval_rows(ev, a->shape) * sg_eval_cols(ev, a->shape);
    {
        double *keep = malloc((size_t)m * sizeof *keep);
        memcpy(keep, va, (size_t)m * sizeof *keep);
        vb = sg_eval_expr(ev, b);
        assert_non_null(vb);
        for (k = 0; k < m; k++) {
            if (fabs(keep[k]) > big)
                big = fabs(keep[k]);
            if (fabs(keep[k] - vb[k]) > gap)
                gap = fabs(keep[k] - vb[k]);
        }
        free(keep);
    }
    sg_eval_free(ev);
    for (i = 0; i < n; i++)
        free(vals[i]);
    return gap / (big > 0 ? big : 1);
}

/* does e's DAG hold log σ(·)? */
static int has_log_sigmoid(const sg_expr *e, int depth)
{
    int k;
    if (depth > 60)
        return 0;
    if (e->op == SG_OP_LOG && e->kid[0]->op == SG_OP_SIGMOID)
        return 1;
    for (k = 0; k < e->nkids; k++)
        if (has_log_sigmoid(e->kid[k], depth + 1))
            return 1;
    return 0;
}

/*
 * A function a stability rewrite of the σ family changed gets a written
 * form: the documents derive −(y log p + (1 − y) log(1 − p)) with
 * p = σ(z), so that σ′ = p(1 − p) appears, while the C computes the
 * softplus form. The two gradients are the same function; a Hessian's log
 * derives the written gradient too; problems without such a rewrite, and
 * values no derivation reads, are left alone.
 */
static void test_written_forms(void **state)
{
    run_t r;
    const sg_result *g, *h;
    int i;
    (void)state;
    r = run("x ∈ ℝ^D\nw ∈ ℝ^D\nb ∈ ℝ\ny ∈ ℝ\nz = wᵀx + b\np = σ(z)\n"
            "L = −(y log(p) + (1 − y) log(1 − p))\nM = log(σ(b))\ngrad L wrt w, b\n");
    assert_non_null(r.p);
    for (i = 0; i < 2; i++) {
        g = result(r.p, i ? "dL_db" : "dL_dw");
        assert_non_null(g->written);
        assert_true(has_log_sigmoid(g->log->f, 0));
        assert_false(has_log_sigmoid(g->expr, 0));
        assert_true(written_gap(r.p, g->expr, g->written) < 1e-12);
    }
    for (i = 0; i < r.p->ndefs; i++) {
        const sg_def *d = &r.p->defs[i];
        if (!strcmp(d->name, "L"))
            assert_true(d->written && d->derived_as_written);
        else if (!strcmp(d->name, "M")) /* rewritten, but nothing derives it */
            assert_true(d->written && !d->derived_as_written);
        else
            assert_null(d->written);
    }
    done(&r);

    r = run("X ∈ ℝ^{N×D}\ny ∈ ℝ^N\nw ∈ ℝ^D\nq = log(σ(Xw))\n"
            "L = −(yᵀq + (𝟙 − y)ᵀlog(𝟙 − σ(Xw)))\ngrad L wrt w\nhessian L wrt w\n");
    assert_non_null(r.p);
    g = result(r.p, "dL_dw");
    h = result(r.p, "d2L_dw2");
    assert_non_null(g->written);
    assert_true(written_gap(r.p, g->expr, g->written) < 1e-12);
    assert_ptr_equal(h->log->f, g->log->f); /* the Hessian's derivation starts from it */
    assert_null(h->written);
    for (i = 0; i < r.p->ndefs; i++)
        assert_true(r.p->defs[i].derived_as_written);
    done(&r);

    r = run("W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W\n");
    assert_non_null(r.p);
    assert_null(result(r.p, "dL_dW")->written);
    assert_null(r.p->defs[0].written);
    done(&r);
}

/* log|A| inside other bars: the bar right after log opens, so |log|A||
   (and ‖log|A|x‖) close in the right order, with or without spaces */
static void test_log_bars_nest(void **state)
{
    static const char *const ok[] = {
        "A ∈ 𝕊₊₊^n\nL = |log|A||\ngrad L wrt A\n",
        "A ∈ 𝕊₊₊^n\nL = |log|A||*2\ngrad L wrt A\n",
        "A ∈ 𝕊₊₊^n\nL = | log|A| |\ngrad L wrt A\n",
        "A ∈ 𝕊₊₊^n\nx ∈ ℝ^n\nL = ‖log|A| x‖²\ngrad L wrt A\n",
        "A ∈ 𝕊₊₊^n\nL = log|A| + |log|A + A||\ngrad L wrt A\n",
    };
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof ok / sizeof *ok; i++) {
        run_t r = run(ok[i]);
        if (first_error(r.src))
            fail_msg("%s: %s", ok[i], first_error(r.src));
        assert_non_null(r.p);
        assert_int_equal(r.p->nresults, 2);
        done(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_ascii_and_unicode_agree),
        cmocka_unit_test(test_juxtaposition_splits),
        cmocka_unit_test(test_postfix_on_split_group),
        cmocka_unit_test(test_context_sizes),
        cmocka_unit_test(test_dimensions_as_scalars),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_name_errors),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_failed_definition_stays_quiet),
        cmocka_unit_test(test_failed_recurrence_stays_quiet),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_sequence_errors),
        cmocka_unit_test(test_long_chains),
        cmocka_unit_test(test_long_chain_errors),
        cmocka_unit_test(test_long_splits),
        cmocka_unit_test(test_grad_requests_share_a_sweep),
        cmocka_unit_test(test_log_bars_nest),
        cmocka_unit_test(test_written_forms),
    };
    return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
