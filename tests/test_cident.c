/*
 * test_cident.c: the one C-identifier rule (base/cident.h) and its two
 * keyword sets: C99's, which the checker refuses as names, and every C,
 * GNU C and C++ keyword, which the C printer renames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/cident.h"

static void test_spelling(void **state)
{
    static const char *const yes[] = {"W", "W1", "_x", "dL_dW", "a_1_b", "x0"};
    static const char *const no[] = {"", "1W", "a-b", "a b", "β", "x'", "h[t]"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(sg_cident_is(yes[i]));
    for (i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(sg_cident_is(no[i]));
    assert_false(sg_cident_is(NULL));
}

static void test_keywords(void **state)
{
    (void)state;
    /* C99's: refused as names */
    assert_true(sg_cident_c99_keyword("int"));
    assert_true(sg_cident_c99_keyword("restrict"));
    assert_true(sg_cident_c99_keyword("_Bool"));
    assert_false(sg_cident_c99_keyword("new"));
    assert_false(sg_cident_c99_keyword("bool"));
    /* every C, GNU C and C++ keyword: renamed in the generated code */
    assert_true(sg_cident_keyword("int"));
    assert_true(sg_cident_keyword("new"));
    assert_true(sg_cident_keyword("class"));
    assert_true(sg_cident_keyword("typeof"));
    assert_true(sg_cident_keyword("nullptr"));
    assert_false(sg_cident_keyword("W"));
    assert_false(sg_cident_keyword("integer"));
    assert_false(sg_cident_keyword("Int"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spelling),
        cmocka_unit_test(test_keywords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
