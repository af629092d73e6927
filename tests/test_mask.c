/*
 * test_mask.c: the C printer's interned sets (codegen/mask.c) against plain
 * bitsets: random unions, differences and subset tests at sizes around the
 * tree's word and level boundaries; interning (equal sets are one pointer);
 * iteration in order; and the growth the module exists for — R one-bit sets
 * and R nested prefixes in O(R log R) nodes, not R²/64 words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "codegen/mask.h"

/* a plain bitset of up to MAXB bits: the reference */
#define MAXB 1100
typedef struct {
    unsigned char b[MAXB];
} ref;

static unsigned long long rng = 88172645463325252ull;

static unsigned rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* m and r hold the same members, seen through every query */
static void same(const sg_mask *m, const ref *r, int nbits)
{
    int i, count = 0, next = -1;
    for (i = 0; i < nbits; i++) {
        assert_int_equal(sg_mask_has(m, i), r->b[i]);
        count += r->b[i];
    }
    assert_int_equal(sg_mask_count(m), count);
    /* the members in order */
    for (i = nbits - 1; i >= 0; i--)
        if (r->b[i]) {
            assert_int_equal(sg_mask_next(m, i), i);
            if (next >= 0)
                assert_int_equal(sg_mask_next(m, i + 1), next);
            next = i;
        }
    assert_int_equal(sg_mask_next(m, nbits), -1);
    if (next >= 0)
        assert_int_equal(sg_mask_next(m, 0), next);
    else
        assert_null(m);
}

/* a random set: a few members, a range, or a dense scatter */
static const sg_mask *random_set(sg_masks *t, ref *r, int nbits)
{
    const sg_mask *m = NULL;
    int i, kind = (int)(rnd() % 3), k;
    memset(r, 0, sizeof *r);
    if (nbits == 0)
        return NULL;
    if (kind == 0) {
        for (k = (int)(rnd() % 4); k > 0; k--) {
            i = (int)(rnd() % (unsigned)nbits);
            r->b[i] = 1;
            m = sg_mask_union(t, m, sg_mask_one(t, i));
        }
    } else if (kind == 1) {
        int lo = (int)(rnd() % (unsigned)nbits), hi = (int)(rnd() % (unsigned)nbits);
        for (i = lo; i <= hi; i++) {
            r->b[i] = 1;
            m = sg_mask_union(t, m, sg_mask_one(t, i));
        }
    } else {
        for (i = 0; i < nbits; i++)
            if (rnd() % 3 == 0) {
                r->b[i] = 1;
                m = sg_mask_union(t, sg_mask_one(t, i), m);
            }
    }
    return m;
}

static void test_against_bitsets(void **state)
{
    static const int sizes[] = {0, 1, 2, 63, 64, 65, 127, 128, 129, 200, 1024, 1025, MAXB};
    size_t s;
    (void)state;
    for (s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const int nbits = sizes[s];
        sg_masks *t = sg_masks_new(nbits);
        ref ra, rb, ru, rm, rf;
        int round, i;
        memset(&rf, 0, sizeof rf);
        for (i = 0; i < nbits; i++)
            rf.b[i] = 1;
        same(sg_mask_full(t), &rf, nbits);
        for (round = 0; round < 60; round++) {
            const sg_mask *a = random_set(t, &ra, nbits), *b = random_set(t, &rb, nbits);
            const sg_mask *u = sg_mask_union(t, a, b), *m = sg_mask_minus(t, a, b);
            int sub = 1;
            for (i = 0; i < nbits; i++) {
                ru.b[i] = (unsigned char)(ra.b[i] | rb.b[i]);
                rm.b[i] = (unsigned char)(ra.b[i] & !rb.b[i]);
                if (ra.b[i] && !rb.b[i])
                    sub = 0;
            }
            same(a, &ra, nbits);
            same(u, &ru, nbits);
            same(m, &rm, nbits);
            assert_int_equal(sg_mask_subset(a, b), sub);
            assert_true(sg_mask_subset(a, u) && sg_mask_subset(b, u) && sg_mask_subset(m, a));
            assert_true(sg_mask_subset(u, sg_mask_full(t)));
            /* interned: the same set built another way is the same pointer */
            assert_ptr_equal(sg_mask_union(t, b, a), u);
            assert_ptr_equal(sg_mask_union(t, m, sg_mask_union(t, a, b)), u);
            assert_ptr_equal(sg_mask_union(t, u, sg_mask_full(t)), sg_mask_full(t));
            assert_ptr_equal(sg_mask_minus(t, a, a), NULL);
            assert_true(sg_mask_hash(sg_mask_union(t, b, a)) == sg_mask_hash(u));
        }
        sg_masks_free(t);
    }
}

/* the growth pinned: R one-bit sets, and the R prefixes {0 … k}, each in
   O(log R) new nodes (a dense bitset would take R²/64 words for either) */
static void test_growth(void **state)
{
    const int R = 20000;
    sg_masks *t = sg_masks_new(R);
    const sg_mask *prefix = NULL;
    int r, levels = 0;
    (void)state;
    while ((64l << levels) < R)
        levels++;
    for (r = 0; r < R; r++) {
        prefix = sg_mask_union(t, prefix, sg_mask_one(t, r));
        assert_int_equal(sg_mask_count(prefix), r + 1);
    }
    assert_ptr_equal(prefix, sg_mask_full(t));
    /* one-bit sets: a leaf and a path each; prefixes: a path each */
    assert_true(sg_masks_nodes(t) <= (unsigned long)(2 * R * (levels + 1)));
    for (r = 0; r < R; r += 997)
        assert_int_equal(sg_mask_next(prefix, r), r);
    sg_masks_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_bitsets),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
