/*
 * test_grow.c: the growth rule of every hand-grown array (base/grow.h):
 * doubling, a first capacity, the limit as a ceiling, and past the limit
 * the message and exit status 1 (run in a child process).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/grow.h"

static void test_doubling(void **state)
{
    (void)state;
    assert_int_equal(sg_grow_cap(1, 0, 8, 1000, "x"), 16);
    assert_int_equal(sg_grow_cap(17, 16, 8, 1000, "x"), 32);
    assert_int_equal(sg_grow_cap(100, 16, 8, 1000, "x"), 128);
    /* the limit is a ceiling, not a step past it */
    assert_int_equal(sg_grow_cap(600, 512, 8, 1000, "x"), 1000);
    assert_int_equal(sg_grow_cap(1000, 512, 8, 1000, "x"), 1000);
}

static void test_macro(void **state)
{
    int *v = NULL, n, cap = 0;
    (void)state;
    for (n = 0; n < 1000; n++) {
        SG_GROW(v, n, cap, SG_GROW_MAX, "numbers");
        v[n] = n;
    }
    assert_true(cap >= 1000 && cap <= 2048);
    for (n = 0; n < 1000; n++)
        assert_int_equal(v[n], n);
    free(v);
}

/* growing past the limit: "the problem is too large", exit 1 */
static void test_limit(void **state)
{
    int fd[2], status;
    char msg[256];
    ssize_t got;
    pid_t pid;
    (void)state;
    assert_int_equal(pipe(fd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int *v = NULL, n, cap = 0;
        dup2(fd[1], 2);
        for (n = 0; n < 100; n++)
            SG_GROW(v, n, cap, 40, "loop bodies");
        _exit(0);
    }
    close(fd[1]);
    got = read(fd[0], msg, sizeof msg - 1);
    close(fd[0]);
    assert_true(got > 0);
    msg[got] = '\0';
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_string_equal(msg, "symgrad: the problem is too large: more than 40 loop bodies\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubling),
        cmocka_unit_test(test_macro),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
