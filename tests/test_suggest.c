/*
 * test_suggest.c: "did you mean" (base/suggest.h): the distance in half
 * edits, on code points, with swaps and case; the length rule; the first of
 * equally close candidates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/suggest.h"

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(sg_suggest_distance("sigmoid", "sigmoid"), 0);
    assert_int_equal(sg_suggest_distance("sigmoud", "sigmoid"), 2);   /* a substitution */
    assert_int_equal(sg_suggest_distance("stpes", "steps"), 2);       /* a swap is one edit */
    assert_int_equal(sg_suggest_distance("W", "w"), 1);               /* case: half an edit */
    assert_int_equal(sg_suggest_distance("β", "γ"), 2);               /* a code point, not bytes */
    assert_int_equal(sg_suggest_distance("", "abc"), 6);
    assert_int_equal(sg_suggest_distance("formula", "formulas"), 2);  /* an insertion */
}

static const char *best(const char *word, const char *const *cands, int n)
{
    sg_suggest s;
    int i;
    sg_suggest_init(&s, word);
    for (i = 0; i < n; i++)
        sg_suggest_offer(&s, cands[i]);
    return sg_suggest_best(&s);
}

static void test_choice(void **state)
{
    static const char *const names[] = {"weights", "w", "x", "sigmoid", "softmax", "W1"};
    (void)state;
    assert_string_equal(best("wieghts", names, 6), "weights");
    assert_string_equal(best("sigmoud", names, 6), "sigmoid");
    assert_string_equal(best("W", names, 6), "w");    /* case alone, even for one letter */
    assert_null(best("z", names, 6));                 /* one letter: only its case */
    assert_null(best("q1", names, 6));
    assert_string_equal(best("w1", names, 6), "W1");
    assert_null(best("frobnicate", names, 6));        /* nothing close for its length */
    assert_null(best("weights", names, 6));           /* the word itself is no suggestion */
}

static void test_ties(void **state)
{
    static const char *const ab[] = {"cat", "car"}, *const ba[] = {"car", "cat"};
    (void)state;
    /* equally close: the first offered */
    assert_string_equal(best("cas", ab, 2), "cat");
    assert_string_equal(best("cas", ba, 2), "car");
    /* a closer one later still wins */
    {
        static const char *const c[] = {"cbt", "cat"};
        assert_string_equal(best("Cat", c, 2), "cat");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
