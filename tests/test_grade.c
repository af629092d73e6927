/*
 * test_grade.c: answers and their verdicts (symbolic/grade.c).
 *
 * Each case is a small problem with answers: the answer binds to the result
 * it claims (an implied request included), and its verdict is the expected
 * kind, with the expected detail (the factor, the node, the paths).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "parser/parser.h"
#include "symbolic/check.h"
#include "symbolic/grade.h"

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

#define AE "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nr = WᵀWx − x\nL = ½‖r‖²\n"
#define AE_SQUARE "W ∈ ℝ^{n×n}\nx ∈ ℝ^n\nr = WᵀWx − x\nL = ½‖r‖²\n"

/* the verdict of the only answer of text */
static sg_verdict_kind verdict_of(const char *text, sg_verdict *v)
{
    run_t r = run(text);
    sg_verdict_kind k;
    assert_non_null(r.p);
    assert_int_equal(r.p->nanswers, 1);
    sg_grade(r.p, 0, v);
    k = v->kind;
    sg_verdict_free(v);
    done(&r);
    return k;
}

static void test_answer_binds_its_result(void **state)
{
    run_t r = run(AE "grad L wrt x\nanswer ∂L/∂W = W(xrᵀ + rxᵀ)\nanswer d2L/dx2 = 2I\n");
    (void)state;
    assert_non_null(r.p);
    assert_int_equal(r.p->nanswers, 2);
    /* the implied requests come after the explicit one */
    assert_string_equal(r.p->results[r.p->answers[0].result].cname, "dL_dW");
    assert_int_equal(r.p->results[r.p->answers[0].result].kind, SG_RES_GRAD);
    assert_string_equal(r.p->results[r.p->answers[1].result].cname, "d2L_dx2");
    assert_int_equal(r.p->answers[1].order, 2);
    done(&r);
}

static void test_answer_asked_twice_is_one_result(void **state)
{
    run_t r = run(AE "answer ∂L/∂x = WᵀWr − r\nanswer dL/dx = (WᵀW − I)r\n");
    int i, grads = 0;
    (void)state;
    assert_non_null(r.p);
    for (i = 0; i < r.p->nresults; i++)
        grads += r.p->results[i].kind == SG_RES_GRAD;
    assert_int_equal(grads, 1);
    assert_int_equal(r.p->answers[0].result, r.p->answers[1].result);
    assert_int_equal(sg_src_nwarnings(r.src), 0);
    done(&r);
}

static void test_right_answers(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE "answer ∂L/∂W = W(rxᵀ + xrᵀ)\n", &v), SG_VERDICT_FORMULA);
    assert_int_equal(verdict_of(AE "answer ∂L/∂x = WᵀW(WᵀWx) − 2WᵀWx + x\n", &v),
                     SG_VERDICT_NUMERIC);
    assert_int_equal(v.points, SG_GRADE_POINTS * SG_GRADE_SIZES);
    assert_true(v.worst < 1e-12);
    assert_true(v.right);
}

/* right at W symmetric only: random points are not symmetric */
static void test_special_points_fail(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE_SQUARE "answer ∂L/∂W = Wᵀ(xrᵀ + rxᵀ)\n", &v),
                     SG_VERDICT_TRANSPOSE);
    assert_false(v.right);
}

static void test_shape(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE "answer ∂L/∂W = (xrᵀ + rxᵀ)Wᵀ\n", &v), SG_VERDICT_SHAPE);
    assert_true(v.transposed_fits);
}

static void test_factor_and_sign(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE "answer ∂L/∂W = ½W(xrᵀ + rxᵀ)\n", &v), SG_VERDICT_FACTOR);
    assert_true(fabs(v.factor - 0.5) < 1e-9);
    assert_int_equal(verdict_of(AE "answer ∂L/∂x = r − WᵀWr\n", &v), SG_VERDICT_FACTOR);
    assert_true(fabs(v.factor + 1) < 1e-9);
}

static void test_transpose_and_swap(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE_SQUARE "answer ∂L/∂W = (W(xrᵀ + rxᵀ))ᵀ\n", &v),
                     SG_VERDICT_TRANSPOSE);
    assert_int_equal(verdict_of(AE_SQUARE "answer ∂L/∂W = W ⊙ (xrᵀ + rxᵀ)\n", &v),
                     SG_VERDICT_SWAP);
}

static void test_missing_path(void **state)
{
    run_t r = run(AE "answer ∂L/∂W = Wxrᵀ\n");
    sg_verdict v;
    int i, have = 0;
    (void)state;
    assert_non_null(r.p);
    sg_grade(r.p, 0, &v);
    assert_int_equal(v.kind, SG_VERDICT_PATH);
    assert_int_equal(v.npaths, 2);
    for (i = 0; i < v.npaths; i++) {
        have += v.have[i];
        assert_non_null(v.paths[i].via);
        assert_non_null(v.paths[i].contrib);
    }
    assert_int_equal(have, 1);
    sg_verdict_free(&v);
    done(&r);
}

static void test_term_factor_names_a_dimension(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(
        verdict_of("X ∈ ℝ^{N×Q}\nY ∈ ℝ^{N×D}\nβ ∈ ℝ\nK = XXᵀ + βI\n"
                   "L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ)\n"
                   "answer ∂L/∂β = ½ tr(K⁻¹YYᵀK⁻¹) − tr(K⁻¹)\n", &v),
        SG_VERDICT_TERM);
    assert_true(v.factor_dim >= 0);
    assert_true(fabs(v.factor - 0.5) < 1e-9);
}

static void test_last_step(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of("x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\n"
                                "h0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nV ∈ ℝ^{p×n}\n"
                                "h[0] = h0\nh[t] = tanh(W h[t−1] + U x[t]) for t = 1..T\n"
                                "L = Σ_{t=1}^{T} ½‖V h[t] − y[t]‖²\n"
                                "answer ∂L/∂V = (V h[T] − y[T])h[T]ᵀ\n", &v),
                     SG_VERDICT_LAST_STEP);
}

/* none of the usual mistakes: the entries that differ most */
/* right at n = 3 only: the second size of the dimensions finds it out */
static void test_dimension_written_as_a_number(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of("x ∈ ℝ^n\nL = n‖x‖²/2\nanswer ∂L/∂x = 3x\n", &v),
                     SG_VERDICT_SIZES);
    assert_false(v.right);
}

static void test_no_value(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of("x ∈ ℝ^n\nL = ½‖x‖²\nanswer ∂L/∂x = exp(log(x))\n", &v),
                     SG_VERDICT_NO_VALUE);
}

static void test_differ(void **state)
{
    sg_verdict v;
    (void)state;
    assert_int_equal(verdict_of(AE "answer ∂L/∂x = WᵀWr − r ⊙ x\n", &v), SG_VERDICT_DIFFER);
    assert_int_equal(v.nentries, SG_GRADE_ENTRIES);
    assert_true(fabs(v.answer[0] - v.derived[0]) >= fabs(v.answer[1] - v.derived[1]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_binds_its_result),
        cmocka_unit_test(test_answer_asked_twice_is_one_result),
        cmocka_unit_test(test_right_answers),
        cmocka_unit_test(test_special_points_fail),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_factor_and_sign),
        cmocka_unit_test(test_transpose_and_swap),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_term_factor_names_a_dimension),
        cmocka_unit_test(test_last_step),
        cmocka_unit_test(test_dimension_written_as_a_number),
        cmocka_unit_test(test_no_value),
        cmocka_unit_test(test_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
