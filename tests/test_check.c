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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parser.h"
#include "symbolic/check.h"

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
    assert_true(sg_shape_eq(r.p->results[1].expr->shape, sg_sym(r.p->ctx, 0)->shape));
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
    fails("x, y ∈ ℝ^n\nz = x / y\noutput z\n", "2:9", "a divisor must be a scalar");
    fails("x ∈ ℝ^n\nz = x²\noutput z\n", "2:5", ".^");
    fails("x ∈ ℝ^n\nz = |x|\noutput z\n", "2:5", "abs(x)");
    fails("A ∈ ℝ^{m×n}\nt = tr(A)\noutput t\n", "2:5", "square");
    fails("x ∈ ℝ^n\ny ∈ ℝ^m\nt = ⟨x, y⟩\noutput t\n", "3:5", "equal shapes");
}

static void test_name_errors(void **state)
{
    (void)state;
    fails("x ∈ ℝ^n\nL = ‖x − z‖²\ngrad L wrt x\n", "2:10", "undefined name 'z'");
    fails("x ∈ ℝ^n\nx ∈ ℝ^m\n", "2:1", "already declared");
    fails("x ∈ ℝ^n\nr = x\nr = x\noutput r\n", "3:1", "already defined");
    fails("x ∈ ℝ^n\nn ∈ ℝ\n", "2:1", "dimension");
    fails("x ∈ ℝ^n\nL = exp\noutput L\n", "2:5", "exp is a function");
    fails("x ∈ ℝ^n\nL = foo(x)\noutput L\n", "2:5", "unknown function 'foo'");
    fails("x ∈ ℝ^n\nL = sum(x, x)\noutput L\n", "2:5", "sum takes 1 argument, not 2");
}

static void test_request_errors(void **state)
{
    (void)state;
    fails("A ∈ ℝ^{m×n}\nx ∈ ℝ^n\nv = Ax\ngrad v wrt x\n", "4:6", "grad needs a scalar");
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

static void test_failed_definition_stays_quiet(void **state)
{
    /* a use of a name whose definition failed is not a second error */
    run_t r = run("x ∈ ℝ^n\na = x + q\nL = ‖a‖²\ngrad L wrt x\n");
    (void)state;
    assert_null(r.p);
    assert_int_equal(sg_src_nerrors(r.src), 1);
    done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_ascii_and_unicode_agree),
        cmocka_unit_test(test_juxtaposition_splits),
        cmocka_unit_test(test_context_sizes),
        cmocka_unit_test(test_dimensions_as_scalars),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_name_errors),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_failed_definition_stays_quiet),
    };
    return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
