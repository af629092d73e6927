/*
 * test_expr.c: the hash-consed DAG: interning, every constructor
 * simplification, product re-association, symmetry and shape strings; the
 * numerical-stability rewrites, structurally and by their values at logits
 * of ±1000 and ±30 against a long double reference; declared properties.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symbolic/diff.h"
#include "symbolic/eval.h"
#include "symbolic/expr.h"
#include "symbolic/props.h"

typedef struct {
    sg_ctx *ctx;
    sg_dim n, m, k;
    sg_expr *W, *x, *r, *A, *B, *C, *S, *K, *s, *t, *a, *b;
} fixture;

static sg_expr *var(sg_ctx *ctx, const char *name, sg_dim r, sg_dim c, unsigned props)
{
    sg_span sp = {0, 0};
    return sg_var(ctx, sg_sym_add(ctx, name, sg_shape_make(r, c), props, sp));
}

static int setup(void **state)
{
    fixture *f = malloc(sizeof *f);
    sg_ctx *ctx = sg_ctx_new();
    f->ctx = ctx;
    f->n = sg_dim_named(ctx, "n");
    f->m = sg_dim_named(ctx, "m");
    f->k = sg_dim_named(ctx, "k");
    f->W = var(ctx, "W", f->m, f->n, 0);
    f->x = var(ctx, "x", f->n, SG_DIM_ONE, 0);
    f->r = var(ctx, "r", f->m, SG_DIM_ONE, 0);
    f->A = var(ctx, "A", f->n, f->n, 0);
    f->B = var(ctx, "B", f->n, f->n, 0);
    f->C = var(ctx, "C", f->n, f->n, 0);
    f->S = var(ctx, "S", f->n, f->n, SG_PROP_SYMMETRIC);
    f->K = var(ctx, "K", f->n, f->n, SG_PROP_SPD);
    f->s = var(ctx, "s", SG_DIM_ONE, SG_DIM_ONE, 0);
    f->t = var(ctx, "t", SG_DIM_ONE, SG_DIM_ONE, 0);
    f->a = var(ctx, "a", f->n, SG_DIM_ONE, 0);
    f->b = var(ctx, "b", f->n, SG_DIM_ONE, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static sg_shape shp(sg_dim r, sg_dim c)
{
    return sg_shape_make(r, c);
}

/* ---- tables ------------------------------------------------------------- */

static void test_dims(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    assert_int_equal(sg_dim_const(ctx, 1), SG_DIM_ONE);
    assert_int_equal(sg_dim_named(ctx, "n"), f->n);
    assert_int_equal(sg_dim_find(ctx, "m"), f->m);
    assert_int_equal(sg_dim_find(ctx, "q"), -1);
    assert_int_equal(sg_dim_const(ctx, 7), sg_dim_const(ctx, 7));
    assert_int_not_equal(sg_dim_const(ctx, 7), sg_dim_const(ctx, 8));
    assert_int_equal(sg_dim_get(ctx, sg_dim_const(ctx, 7))->value, 7);
    assert_null(sg_dim_get(ctx, sg_dim_const(ctx, 7))->name);
    assert_string_equal(sg_dim_get(ctx, f->n)->name, "n");
    assert_int_equal(sg_dim_count(ctx), 6); /* 1, n, m, k, 7, 8 */
}

static void test_symbols(void **state)
{
    fixture *f = *state;
    assert_int_equal(sg_sym_find(f->ctx, "W"), 0);
    assert_int_equal(sg_sym_find(f->ctx, "nope"), -1);
    assert_int_equal(sg_sym_count(f->ctx), 12);
    assert_string_equal(sg_sym_get(f->ctx, f->K->sym)->name, "K");
    assert_int_equal(sg_sym_get(f->ctx, f->K->sym)->props, SG_PROP_SPD);
    assert_ptr_equal(sg_var(f->ctx, 0), f->W);
}

static void test_shapes(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_dim three = sg_dim_const(ctx, 3);
    assert_string_equal(sg_shape_str(ctx, shp(SG_DIM_ONE, SG_DIM_ONE), 0), "ℝ");
    assert_string_equal(sg_shape_str(ctx, shp(f->n, SG_DIM_ONE), 0), "ℝ^n");
    assert_string_equal(sg_shape_str(ctx, shp(f->m, f->n), 0), "ℝ^{m×n}");
    assert_string_equal(sg_shape_str(ctx, shp(SG_DIM_ONE, f->n), 0), "ℝ^{1×n}");
    assert_string_equal(sg_shape_str(ctx, shp(three, f->n), 0), "ℝ^{3×n}");
    assert_string_equal(sg_shape_str(ctx, shp(SG_DIM_ONE, SG_DIM_ONE), 1), "R");
    assert_string_equal(sg_shape_str(ctx, shp(three, SG_DIM_ONE), 1), "R^3");
    assert_string_equal(sg_shape_str(ctx, shp(f->m, f->n), 1), "R^(m x n)");
    assert_string_equal(sg_shape_str(ctx, shp(SG_DIM_ONE, f->n), 1), "R^(1 x n)");
    assert_true(sg_shape_is_scalar(shp(SG_DIM_ONE, SG_DIM_ONE)));
    assert_true(sg_shape_is_vector(shp(f->n, SG_DIM_ONE)));
    assert_false(sg_shape_is_vector(shp(SG_DIM_ONE, f->n)));
    assert_false(sg_shape_is_vector(shp(SG_DIM_ONE, SG_DIM_ONE)));
}

static void test_op_names(void **state)
{
    int op;
    (void)state;
    for (op = 0; op < SG_OP_COUNT; op++)
        assert_string_not_equal(sg_op_name((sg_op)op), "?");
    assert_string_equal(sg_op_name(SG_OP_SOFTMAX), "softmax");
    assert_string_equal(sg_op_name(SG_OP_ADD), "+");
    assert_string_equal(sg_op_name(SG_OP_TRANSPOSE), "ᵀ");
    assert_true(sg_op_is_elementwise_unary(SG_OP_EXP));
    assert_true(sg_op_is_elementwise_unary(SG_OP_STEP));
    assert_false(sg_op_is_elementwise_unary(SG_OP_NORM));
    assert_false(sg_op_is_elementwise_unary(SG_OP_SOFTMAX));
}

/* ---- interning ---------------------------------------------------------- */

static void test_hash_consing(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *e1 = sg_hadamard(ctx, sg_unary(ctx, SG_OP_EXP, f->a), f->b);
    sg_expr *e2 = sg_hadamard(ctx, sg_unary(ctx, SG_OP_EXP, f->a), f->b);
    unsigned before;
    assert_ptr_equal(e1, e2);
    assert_ptr_equal(sg_const(ctx, 2.5), sg_const(ctx, 2.5));
    assert_ptr_equal(sg_const(ctx, -0.0), sg_const(ctx, 0.0));
    assert_ptr_not_equal(sg_const(ctx, 2), sg_const(ctx, 3));
    assert_ptr_equal(sg_zero(ctx, shp(f->m, f->n)), sg_zero(ctx, shp(f->m, f->n)));
    assert_ptr_not_equal(sg_zero(ctx, shp(f->m, f->n)), sg_zero(ctx, shp(f->n, f->m)));
    assert_ptr_equal(sg_dimval(ctx, f->n), sg_dimval(ctx, f->n));
    /* the user's name is not part of a node's identity */
    e1->name = "u";
    assert_ptr_equal(sg_hadamard(ctx, sg_unary(ctx, SG_OP_EXP, f->a), f->b), e1);
    /* kids are older than parents */
    assert_true(e1->kid[0]->id < e1->id && e1->kid[1]->id < e1->id);
    before = sg_expr_count(ctx);
    sg_hadamard(ctx, sg_unary(ctx, SG_OP_EXP, f->a), f->b);
    assert_int_equal(sg_expr_count(ctx), before);
}

static void test_table_growth(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    enum { N = 5000 };
    sg_expr **e = test_malloc(N * sizeof *e);
    int i;
    for (i = 0; i < N; i++)
        e[i] = sg_mul(ctx, sg_const(ctx, i + 2), f->a);
    for (i = 0; i < N; i++)
        assert_ptr_equal(sg_mul(ctx, sg_const(ctx, i + 2), f->a), e[i]);
    test_free(e);
}

/* ---- leaves ------------------------------------------------------------- */

static void test_leaves(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_shape one = shp(SG_DIM_ONE, SG_DIM_ONE);
    sg_expr *e;
    /* the 1×1 forms of 0, 𝟙, I are constants */
    assert_ptr_equal(sg_zero(ctx, one), sg_const(ctx, 0));
    assert_ptr_equal(sg_ones(ctx, one), sg_const(ctx, 1));
    assert_ptr_equal(sg_eye(ctx, SG_DIM_ONE), sg_const(ctx, 1));
    assert_ptr_equal(sg_dimval(ctx, sg_dim_const(ctx, 4)), sg_const(ctx, 4));
    e = sg_dimval(ctx, f->n);
    assert_int_equal(e->op, SG_OP_DIMVAL);
    assert_int_equal(e->dim, f->n);
    e = sg_eye(ctx, f->n);
    assert_int_equal(e->op, SG_OP_EYE);
    assert_true(sg_shape_eq(e->shape, shp(f->n, f->n)));
    assert_true(sg_expr_is_zero(sg_zero(ctx, shp(f->n, f->m))));
    assert_true(sg_expr_is_const(sg_ones(ctx, shp(f->n, f->m)), 1));
    assert_true(sg_expr_is_const(sg_fill(ctx, sg_const(ctx, 3), shp(f->n, f->m)), 3));
    assert_false(sg_expr_is_const(f->s, 3));
}

/* ---- sums --------------------------------------------------------------- */

static void test_add(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *z = sg_zero(ctx, f->a->shape), *e;
    sg_expr *two = sg_const(ctx, 2), *three = sg_const(ctx, 3);

    assert_ptr_equal(sg_add(ctx, z, f->a), f->a);
    assert_ptr_equal(sg_add(ctx, f->a, z), f->a);
    assert_ptr_equal(sg_add(ctx, two, three), sg_const(ctx, 5));
    /* a + a = 2a */
    e = sg_add(ctx, f->a, f->a);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[0], two);
    assert_ptr_equal(e->kid[1], f->a);
    /* 2a + 3a = 5a, 2a + a = 3a */
    assert_ptr_equal(sg_add(ctx, sg_mul(ctx, two, f->a), sg_mul(ctx, three, f->a)),
                     sg_mul(ctx, sg_const(ctx, 5), f->a));
    assert_ptr_equal(sg_add(ctx, sg_mul(ctx, two, f->a), f->a), sg_mul(ctx, three, f->a));
    /* a − a = 0 */
    assert_ptr_equal(sg_sub(ctx, f->a, f->a), z);
    /* operand order is kept */
    e = sg_add(ctx, f->b, f->a);
    assert_int_equal(e->op, SG_OP_ADD);
    assert_ptr_equal(e->kid[0], f->b);
    assert_ptr_equal(e->kid[1], f->a);
    assert_ptr_not_equal(e, sg_add(ctx, f->a, f->b));
    /* fills add */
    assert_ptr_equal(sg_add(ctx, sg_ones(ctx, f->a->shape), sg_ones(ctx, f->a->shape)),
                     sg_fill(ctx, two, f->a->shape));
}

static void test_neg_sub(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *e = sg_neg(ctx, f->a);
    /* −a is (−1)·a */
    assert_int_equal(e->op, SG_OP_MUL);
    assert_true(sg_expr_is_const(e->kid[0], -1));
    assert_ptr_equal(e->kid[1], f->a);
    assert_ptr_equal(sg_neg(ctx, e), f->a);
    assert_ptr_equal(sg_neg(ctx, sg_const(ctx, 2)), sg_const(ctx, -2));
    /* a − b = a + (−1)b */
    e = sg_sub(ctx, f->a, f->b);
    assert_int_equal(e->op, SG_OP_ADD);
    assert_ptr_equal(e->kid[0], f->a);
    assert_ptr_equal(e->kid[1], sg_neg(ctx, f->b));
    /* a − (−b) = a + b */
    assert_ptr_equal(sg_sub(ctx, f->a, sg_neg(ctx, f->b)), sg_add(ctx, f->a, f->b));
}

/* ---- products ----------------------------------------------------------- */

static void test_scaling(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *two = sg_const(ctx, 2), *e;

    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 1), f->A), f->A);
    assert_ptr_equal(sg_mul(ctx, f->A, sg_const(ctx, 1)), f->A);
    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 0), f->W), sg_zero(ctx, f->W->shape));
    assert_ptr_equal(sg_mul(ctx, two, sg_const(ctx, 3)), sg_const(ctx, 6));
    /* the scalar is kid[0] whichever side it was written */
    e = sg_mul(ctx, f->A, f->s);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[0], f->s);
    assert_ptr_equal(e->kid[1], f->A);
    /* a constant factor of two scalars comes first */
    e = sg_mul(ctx, f->s, two);
    assert_ptr_equal(e->kid[0], two);
    /* s(tA) = (st)A */
    e = sg_mul(ctx, f->s, sg_mul(ctx, f->t, f->A));
    assert_ptr_equal(e->kid[1], f->A);
    assert_ptr_equal(e->kid[0], sg_mul(ctx, f->s, f->t));
    /* s(2A) = 2(sA): the constant stays outermost */
    e = sg_mul(ctx, f->s, sg_mul(ctx, two, f->A));
    assert_ptr_equal(e->kid[0], two);
    assert_ptr_equal(e->kid[1], sg_mul(ctx, f->s, f->A));
    /* 2(3A) = 6A */
    assert_ptr_equal(sg_mul(ctx, two, sg_mul(ctx, sg_const(ctx, 3), f->A)),
                     sg_mul(ctx, sg_const(ctx, 6), f->A));
    /* s·𝟙 is a fill */
    e = sg_mul(ctx, f->s, sg_ones(ctx, f->W->shape));
    assert_int_equal(e->op, SG_OP_FILL);
    assert_ptr_equal(e->kid[0], f->s);
}

static void test_products(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *I = sg_eye(ctx, f->n), *e;

    assert_ptr_equal(sg_mul(ctx, I, f->A), f->A);
    assert_ptr_equal(sg_mul(ctx, f->A, I), f->A);
    assert_ptr_equal(sg_mul(ctx, f->W, I), f->W);
    assert_ptr_equal(sg_mul(ctx, f->W, sg_zero(ctx, shp(f->n, f->n))),
                     sg_zero(ctx, f->W->shape));
    /* A(sB) = s(AB) */
    e = sg_mul(ctx, f->A, sg_mul(ctx, f->s, f->B));
    assert_ptr_equal(e->kid[0], f->s);
    assert_ptr_equal(e->kid[1], sg_mul(ctx, f->A, f->B));
    /* (2A)(3B) = 6(AB) */
    e = sg_mul(ctx, sg_mul(ctx, sg_const(ctx, 2), f->A), sg_mul(ctx, sg_const(ctx, 3), f->B));
    assert_ptr_equal(e, sg_mul(ctx, sg_const(ctx, 6), sg_mul(ctx, f->A, f->B)));
    /* (sI)(tI) = (st)I, (2I)A = 2A */
    assert_ptr_equal(sg_mul(ctx, sg_mul(ctx, f->s, I), sg_mul(ctx, f->t, I)),
                     sg_mul(ctx, sg_mul(ctx, f->s, f->t), I));
    assert_ptr_equal(sg_mul(ctx, sg_mul(ctx, sg_const(ctx, 2), I), f->A),
                     sg_mul(ctx, sg_const(ctx, 2), f->A));
    /* 𝟙ᵀa = aᵀ𝟙 = sum(a) */
    assert_ptr_equal(sg_mul(ctx, sg_ones(ctx, shp(SG_DIM_ONE, f->n)), f->a), sg_sum(ctx, f->a));
    assert_ptr_equal(sg_mul(ctx, sg_transpose(ctx, f->a), sg_ones(ctx, f->a->shape)),
                     sg_sum(ctx, f->a));
    /* 𝟙ᵀ𝟙 = n */
    e = sg_mul(ctx, sg_ones(ctx, shp(SG_DIM_ONE, f->n)), sg_ones(ctx, shp(f->n, SG_DIM_ONE)));
    assert_ptr_equal(e, sg_dimval(ctx, f->n));
    /* 𝟙ₙ𝟙ₙᵀA stays a chain of cheap products: 𝟙(𝟙ᵀA) */
    e = sg_mul(ctx, sg_mul(ctx, sg_ones(ctx, shp(f->n, SG_DIM_ONE)),
                           sg_ones(ctx, shp(SG_DIM_ONE, f->n))),
               f->A);
    assert_ptr_equal(e->kid[0], sg_ones(ctx, shp(f->n, SG_DIM_ONE)));
}

static void test_reassociation(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *Wt = sg_transpose(ctx, f->W), *rt = sg_transpose(ctx, f->r);
    sg_expr *u = sg_mul(ctx, f->W, f->x), *e, *ab;

    /* WᵀWx = Wᵀ(Wx), sharing u = Wx */
    e = sg_mul(ctx, sg_mul(ctx, Wt, f->W), f->x);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[0], Wt);
    assert_ptr_equal(e->kid[1], u);
    /* W x rᵀ = (Wx)rᵀ */
    e = sg_mul(ctx, f->W, sg_mul(ctx, f->x, rt));
    assert_ptr_equal(e->kid[0], u);
    assert_ptr_equal(e->kid[1], rt);
    /* equal costs keep left-to-right in a short chain: A(BC) is built (AB)C */
    ab = sg_mul(ctx, f->A, f->B);
    e = sg_mul(ctx, f->A, sg_mul(ctx, f->B, f->C));
    assert_ptr_equal(e->kid[0], ab);
    assert_ptr_equal(e->kid[1], f->C);
    /* in a longer one the two products are kept as they came, shared:
       A(B(C(AB))) stays A·(B(C(AB))), so a product grown one factor at a
       time (a forward Jacobian through many layers) adds one node per
       factor, not a new chain */
    e = sg_mul(ctx, f->B, sg_mul(ctx, f->C, ab));
    assert_ptr_equal(sg_mul(ctx, f->A, e)->kid[0], f->A);
    assert_ptr_equal(sg_mul(ctx, f->A, e)->kid[1], e);
    {
        unsigned n0 = sg_expr_count(ctx);
        sg_expr *p = f->C;
        int i;
        for (i = 0; i < 50; i++)
            p = sg_mul(ctx, i % 2 ? f->B : f->A, p);
        assert_true(sg_expr_count(ctx) - n0 <= 60);
    }
    /* a transposed product is one factor: (AB)ᵀ x stays (AB)ᵀ x although
       Bᵀ(Aᵀx) would be cheaper */
    e = sg_mul(ctx, sg_transpose(ctx, ab), f->a);
    assert_int_equal(e->kid[0]->op, SG_OP_TRANSPOSE);
    assert_ptr_equal(e->kid[0]->kid[0], ab);
    assert_ptr_equal(e->kid[1], f->a);
    /* xᵀ y scalars inside a chain: a(bᵀa) → (bᵀa)a */
    e = sg_mul(ctx, sg_mul(ctx, f->a, sg_transpose(ctx, f->b)), f->a);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[0], sg_mul(ctx, sg_transpose(ctx, f->b), f->a));
    assert_ptr_equal(e->kid[1], f->a);
}

static void test_long_chain(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *e = f->a;
    int i;
    /* A(A(…(Aa))): past the DP's limit products are built left to right */
    for (i = 0; i < 100; i++)
        e = sg_mul(ctx, f->A, e);
    assert_true(sg_shape_eq(e->shape, f->a->shape));
    e = sg_transpose(ctx, f->a);
    for (i = 0; i < 100; i++)
        e = sg_mul(ctx, e, f->A);
    assert_true(sg_shape_eq(e->shape, shp(SG_DIM_ONE, f->n)));
    /* a long chain times a long chain is their product as they came, but
       𝟙𝟙 = n𝟙 where they meet is still taken: (A⋯A𝟙)(𝟙A⋯A) = n A⋯A𝟙A⋯A */
    {
        sg_expr *one = sg_ones(ctx, shp(f->n, f->n)), *l = one, *r = one, *p;
        for (i = 0; i < 40; i++) {
            l = sg_mul(ctx, f->A, l);
            r = sg_mul(ctx, r, f->B);
        }
        p = sg_mul(ctx, sg_mul(ctx, f->C, f->A), r);
        assert_ptr_equal(p->kid[1], r); /* kept as it came */
        p = sg_mul(ctx, l, r);
        assert_int_equal(p->op, SG_OP_MUL);
        assert_ptr_equal(p->kid[0], sg_dimval(ctx, f->n));
    }
}

/* ---- transposes and symmetry -------------------------------------------- */

static void test_transpose(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *Wt = sg_transpose(ctx, f->W), *e;

    assert_int_equal(Wt->op, SG_OP_TRANSPOSE);
    assert_true(sg_shape_eq(Wt->shape, shp(f->n, f->m)));
    assert_ptr_equal(sg_transpose(ctx, Wt), f->W);
    assert_ptr_equal(sg_transpose(ctx, f->s), f->s);
    assert_ptr_equal(sg_transpose(ctx, f->S), f->S);
    assert_ptr_equal(sg_transpose(ctx, f->K), f->K);
    assert_ptr_equal(sg_transpose(ctx, sg_eye(ctx, f->n)), sg_eye(ctx, f->n));
    assert_ptr_equal(sg_transpose(ctx, sg_zero(ctx, f->W->shape)), sg_zero(ctx, Wt->shape));
    assert_ptr_equal(sg_transpose(ctx, sg_ones(ctx, f->a->shape)),
                     sg_ones(ctx, shp(SG_DIM_ONE, f->n)));
    e = sg_transpose(ctx, sg_fill(ctx, f->s, f->W->shape));
    assert_int_equal(e->op, SG_OP_FILL);
    assert_true(sg_shape_eq(e->shape, Wt->shape));
    /* products are not pushed into */
    e = sg_transpose(ctx, sg_mul(ctx, f->A, f->B));
    assert_int_equal(e->op, SG_OP_TRANSPOSE);
    e = sg_transpose(ctx, sg_unary(ctx, SG_OP_EXP, f->A));
    assert_int_equal(e->op, SG_OP_TRANSPOSE);
    /* (sA)ᵀ = s Aᵀ */
    e = sg_transpose(ctx, sg_mul(ctx, f->s, f->W));
    assert_ptr_equal(e, sg_mul(ctx, f->s, Wt));
}

static void test_symmetric(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *Wt = sg_transpose(ctx, f->W), *At = sg_transpose(ctx, f->A);
    sg_expr *WWt = sg_mul(ctx, f->W, Wt), *WtW = sg_mul(ctx, Wt, f->W);
    sg_expr *ASAt = sg_mul(ctx, sg_mul(ctx, f->A, f->S), At);

    assert_true(sg_props_symmetric(ctx, f->S));
    assert_true(sg_props_symmetric(ctx, f->K));
    assert_false(sg_props_symmetric(ctx, f->A));
    assert_false(sg_props_symmetric(ctx, f->W));
    assert_true(sg_props_symmetric(ctx, sg_eye(ctx, f->n)));
    assert_true(sg_props_symmetric(ctx, sg_ones(ctx, shp(f->n, f->n))));
    assert_false(sg_props_symmetric(ctx, sg_ones(ctx, shp(f->n, f->m))));
    assert_true(sg_props_symmetric(ctx, f->s));
    assert_true(sg_props_symmetric(ctx, WWt));
    assert_true(sg_props_symmetric(ctx, WtW));
    assert_true(sg_props_symmetric(ctx, ASAt));
    assert_false(sg_props_symmetric(ctx, sg_mul(ctx, f->A, f->S)));
    assert_true(sg_props_symmetric(ctx, sg_mul(ctx, f->S, f->S)));
    assert_false(sg_props_symmetric(ctx, sg_mul(ctx, f->S, f->K)));
    assert_true(sg_props_symmetric(ctx, sg_add(ctx, f->S, WtW)));
    assert_false(sg_props_symmetric(ctx, sg_add(ctx, f->S, f->A)));
    assert_true(sg_props_symmetric(ctx, sg_mul(ctx, f->s, f->S)));
    assert_true(sg_props_symmetric(ctx, sg_hadamard(ctx, f->S, f->K)));
    assert_true(sg_props_symmetric(ctx, sg_unary(ctx, SG_OP_TANH, f->S)));
    assert_true(sg_props_symmetric(ctx, sg_unary(ctx, SG_OP_INV, f->K)));
    assert_true(sg_props_symmetric(ctx, sg_diag(ctx, f->a)));
    assert_false(sg_props_symmetric(ctx, sg_unary(ctx, SG_OP_SOFTMAX, f->S)));
    assert_false(sg_props_symmetric(ctx, sg_unary(ctx, SG_OP_INV, f->A)));
    /* so their transposes are themselves */
    assert_ptr_equal(sg_transpose(ctx, WWt), WWt);
    assert_ptr_equal(sg_transpose(ctx, ASAt), ASAt);
    assert_ptr_equal(sg_transpose(ctx, sg_unary(ctx, SG_OP_INV, f->K)),
                     sg_unary(ctx, SG_OP_INV, f->K));
}

/* ---- elementwise and reductions ----------------------------------------- */

static void test_elementwise(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_shape sh = f->W->shape;
    sg_expr *ones = sg_ones(ctx, sh), *zero = sg_zero(ctx, sh);
    sg_expr *fill = sg_fill(ctx, f->s, sh), *e;

    assert_ptr_equal(sg_hadamard(ctx, ones, f->W), f->W);
    assert_ptr_equal(sg_hadamard(ctx, f->W, ones), f->W);
    assert_ptr_equal(sg_hadamard(ctx, f->W, zero), zero);
    assert_ptr_equal(sg_hadamard(ctx, fill, f->W), sg_mul(ctx, f->s, f->W));
    assert_ptr_equal(sg_hdiv(ctx, f->W, ones), f->W);
    assert_ptr_equal(sg_hdiv(ctx, zero, f->W), zero);
    assert_ptr_equal(sg_pow(ctx, f->W, sg_const(ctx, 1)), f->W);
    assert_ptr_equal(sg_pow(ctx, f->W, sg_const(ctx, 0)), ones);
    assert_ptr_equal(sg_pow(ctx, sg_const(ctx, 2), sg_const(ctx, 3)), sg_const(ctx, 8));
    /* fill of a constant stays a fill; of 0 and 1, the leaves */
    e = sg_fill(ctx, sg_const(ctx, 2), sh);
    assert_int_equal(e->op, SG_OP_FILL);
    assert_ptr_equal(sg_fill(ctx, sg_const(ctx, 0), sh), zero);
    assert_ptr_equal(sg_fill(ctx, sg_const(ctx, 1), sh), ones);
    assert_ptr_equal(sg_fill(ctx, f->s, shp(SG_DIM_ONE, SG_DIM_ONE)), f->s);
    /* constants fold through functions */
    assert_ptr_equal(sg_unary(ctx, SG_OP_EXP, sg_const(ctx, 0)), sg_const(ctx, 1));
    assert_ptr_equal(sg_unary(ctx, SG_OP_EXP, zero), ones);
    assert_ptr_equal(sg_unary(ctx, SG_OP_RELU, sg_const(ctx, -2)), sg_const(ctx, 0));
    assert_ptr_equal(sg_unary(ctx, SG_OP_SIGMOID, zero), sg_fill(ctx, sg_const(ctx, 0.5), sh));
    e = sg_unary(ctx, SG_OP_TANH, fill);
    assert_int_equal(e->op, SG_OP_FILL);
    assert_ptr_equal(e->kid[0], sg_unary(ctx, SG_OP_TANH, f->s));
    /* log∘exp, log∘softmax */
    assert_ptr_equal(sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_EXP, f->W)), f->W);
    e = sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SOFTMAX, f->W));
    assert_int_equal(e->op, SG_OP_LOGSOFTMAX);
    assert_ptr_equal(e->kid[0], f->W);
    /* (sA)⊙B = s(A⊙B) */
    e = sg_hadamard(ctx, sg_mul(ctx, f->s, f->A), f->B);
    assert_ptr_equal(e, sg_mul(ctx, f->s, sg_hadamard(ctx, f->A, f->B)));
    /* shapes */
    e = sg_unary(ctx, SG_OP_LOGSUMEXP, f->W);
    assert_true(sg_shape_eq(e->shape, shp(SG_DIM_ONE, f->n)));
    assert_true(sg_shape_eq(sg_unary(ctx, SG_OP_SOFTMAX, f->W)->shape, sh));
    assert_true(sg_shape_is_scalar(sg_unary(ctx, SG_OP_NORM, f->W)->shape));
    assert_true(sg_shape_is_scalar(sg_unary(ctx, SG_OP_LOGDET, f->A)->shape));
    /* columns of one entry */
    assert_ptr_equal(sg_unary(ctx, SG_OP_SOFTMAX, sg_transpose(ctx, f->a)),
                     sg_ones(ctx, shp(SG_DIM_ONE, f->n)));
}

static void test_reductions(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_shape sh = f->W->shape;
    sg_expr *e;
    sg_expr *mn = sg_mul(ctx, sg_dimval(ctx, f->m), sg_dimval(ctx, f->n));

    assert_ptr_equal(sg_sum(ctx, sg_zero(ctx, sh)), sg_const(ctx, 0));
    assert_ptr_equal(sg_sum(ctx, sg_fill(ctx, f->s, sh)), sg_mul(ctx, f->s, mn));
    assert_ptr_equal(sg_sum(ctx, sg_ones(ctx, sh)), mn);
    assert_ptr_equal(sg_sum(ctx, f->s), f->s);
    assert_ptr_equal(sg_sum(ctx, sg_fill(ctx, sg_const(ctx, 2),
                                         shp(sg_dim_const(ctx, 3), sg_dim_const(ctx, 4)))),
                     sg_const(ctx, 24));
    assert_ptr_equal(sg_trace(ctx, sg_eye(ctx, f->n)), sg_dimval(ctx, f->n));
    assert_ptr_equal(sg_trace(ctx, sg_transpose(ctx, f->A)), sg_trace(ctx, f->A));
    assert_ptr_equal(sg_dot(ctx, f->W, sg_zero(ctx, sh)), sg_const(ctx, 0));
    assert_ptr_equal(sg_dot(ctx, f->W, sg_ones(ctx, sh)), sg_sum(ctx, f->W));
    assert_ptr_equal(sg_dot(ctx, f->s, f->t), sg_mul(ctx, f->s, f->t));
    /* ‖a‖² is ⟨a, a⟩, and √⟨a, a⟩ is ‖a‖ */
    e = sg_pow(ctx, sg_unary(ctx, SG_OP_NORM, f->a), sg_const(ctx, 2));
    assert_int_equal(e->op, SG_OP_DOT);
    assert_ptr_equal(e->kid[0], f->a);
    assert_ptr_equal(e->kid[1], f->a);
    assert_ptr_equal(sg_unary(ctx, SG_OP_SQRT, e), sg_unary(ctx, SG_OP_NORM, f->a));
    /* diag */
    assert_ptr_equal(sg_diagv(ctx, sg_diag(ctx, f->a)), f->a);
    assert_ptr_equal(sg_diag(ctx, sg_ones(ctx, f->a->shape)), sg_eye(ctx, f->n));
    assert_ptr_equal(sg_diagv(ctx, sg_eye(ctx, f->n)), sg_ones(ctx, f->a->shape));
    /* linear algebra */
    assert_ptr_equal(sg_unary(ctx, SG_OP_INV, sg_unary(ctx, SG_OP_INV, f->A)), f->A);
    assert_ptr_equal(sg_unary(ctx, SG_OP_INV, sg_eye(ctx, f->n)), sg_eye(ctx, f->n));
    assert_ptr_equal(sg_unary(ctx, SG_OP_LOGDET, sg_eye(ctx, f->n)), sg_const(ctx, 0));
    assert_ptr_equal(sg_unary(ctx, SG_OP_DET, sg_transpose(ctx, f->A)),
                     sg_unary(ctx, SG_OP_DET, f->A));
    /* a/s */
    e = sg_div(ctx, f->s, f->t);
    assert_int_equal(e->op, SG_OP_HDIV);
    assert_ptr_equal(sg_div(ctx, f->W, sg_const(ctx, 2)), sg_mul(ctx, sg_const(ctx, 0.5), f->W));
}


/* ---- stability rewrites -------------------------------------------------- */

static void test_stable_logs(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_shape sh = f->a->shape;
    sg_expr *ones = sg_ones(ctx, sh), *one = sg_const(ctx, 1), *a = f->a, *s = f->s;
    sg_expr *sig = sg_unary(ctx, SG_OP_SIGMOID, a), *ea = sg_unary(ctx, SG_OP_EXP, a);
    sg_expr *e;
#define U(op, x) sg_unary(ctx, SG_OP_##op, x)

    /* log σ(x) = −softplus(−x) */
    assert_ptr_equal(U(LOG, sig), sg_neg(ctx, U(SOFTPLUS, sg_neg(ctx, a))));
    assert_ptr_equal(U(LOG, U(SIGMOID, s)), sg_neg(ctx, U(SOFTPLUS, sg_neg(ctx, s))));
    /* σ(−x) = 𝟙 − σ(x), σ(−2x) = 𝟙 − σ(2x) */
    assert_ptr_equal(U(SIGMOID, sg_neg(ctx, a)), sg_sub(ctx, ones, sig));
    assert_ptr_equal(U(SIGMOID, sg_mul(ctx, sg_const(ctx, -2), a)),
                     sg_sub(ctx, ones, U(SIGMOID, sg_mul(ctx, sg_const(ctx, 2), a))));
    assert_ptr_equal(U(SIGMOID, sg_neg(ctx, s)), sg_sub(ctx, one, U(SIGMOID, s)));
    assert_int_equal(U(SIGMOID, sg_mul(ctx, sg_const(ctx, 2), a))->op, SG_OP_SIGMOID);
    /* log(𝟙 − σ(x)) = log σ(−x) = −softplus(x) */
    assert_ptr_equal(U(LOG, sg_sub(ctx, ones, sig)), sg_neg(ctx, U(SOFTPLUS, a)));
    assert_ptr_equal(U(LOG, U(SIGMOID, sg_neg(ctx, a))), sg_neg(ctx, U(SOFTPLUS, a)));
    assert_ptr_equal(U(LOG, sg_sub(ctx, one, U(SIGMOID, s))), sg_neg(ctx, U(SOFTPLUS, s)));
    /* log(𝟙 + eˣ) = softplus(x), either order, scalars too */
    assert_ptr_equal(U(LOG, sg_add(ctx, ones, ea)), U(SOFTPLUS, a));
    assert_ptr_equal(U(LOG, sg_add(ctx, ea, ones)), U(SOFTPLUS, a));
    assert_ptr_equal(U(LOG, sg_add(ctx, one, U(EXP, s))), U(SOFTPLUS, s));
    /* log(𝟙 + x) = log1p(x), log(1 − s) = log1p(−s) */
    assert_ptr_equal(U(LOG, sg_add(ctx, ones, a)), U(LOG1P, a));
    assert_ptr_equal(U(LOG, sg_add(ctx, a, ones)), U(LOG1P, a));
    assert_ptr_equal(U(LOG, sg_add(ctx, one, s)), U(LOG1P, s));
    assert_ptr_equal(U(LOG, sg_add(ctx, s, one)), U(LOG1P, s));
    assert_ptr_equal(U(LOG, sg_sub(ctx, one, s)), U(LOG1P, sg_neg(ctx, s)));
    /* log(2𝟙 + x) is left alone */
    e = U(LOG, sg_add(ctx, sg_fill(ctx, sg_const(ctx, 2), sh), a));
    assert_int_equal(e->op, SG_OP_LOG);
    /* eˣ − 𝟙 = expm1(x), 𝟙 − eˣ = −expm1(x) */
    assert_ptr_equal(sg_sub(ctx, ea, ones), U(EXPM1, a));
    assert_ptr_equal(sg_add(ctx, sg_neg(ctx, ones), ea), U(EXPM1, a));
    assert_ptr_equal(sg_sub(ctx, U(EXP, s), one), U(EXPM1, s));
    assert_ptr_equal(sg_sub(ctx, ones, ea), sg_neg(ctx, U(EXPM1, a)));
    /* log sum(eˣ) = logsumexp(x), for a column, a row (𝟙ᵀeˣ too), not a matrix */
    e = U(LOG, sg_sum(ctx, ea));
    assert_int_equal(e->op, SG_OP_LOGSUMEXP);
    assert_ptr_equal(e->kid[0], a);
    assert_true(sg_shape_is_scalar(e->shape));
    assert_ptr_equal(U(LOG, sg_mul(ctx, sg_ones(ctx, shp(SG_DIM_ONE, f->n)), ea)), e);
    assert_ptr_equal(U(LOG, sg_sum(ctx, U(EXP, sg_transpose(ctx, a)))), e);
    assert_int_equal(U(LOG, sg_sum(ctx, U(EXP, f->W)))->op, SG_OP_LOG);
#undef U
}

static void test_stable_softmax(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *a = f->a, *ea = sg_unary(ctx, SG_OP_EXP, a), *se = sg_sum(ctx, ea);
    sg_expr *sm = sg_unary(ctx, SG_OP_SOFTMAX, a), *lsm = sg_unary(ctx, SG_OP_LOGSOFTMAX, a);
    sg_expr *lse = sg_unary(ctx, SG_OP_LOGSUMEXP, a), *W = f->W, *e;
    sg_shape col = shp(f->m, SG_DIM_ONE);

    /* eˣ/sum(eˣ) = softmax(x), however the division is spelled */
    assert_ptr_equal(sg_div(ctx, ea, se), sm);
    assert_ptr_equal(sg_hdiv(ctx, ea, sg_fill(ctx, se, a->shape)), sm);
    assert_ptr_equal(sg_mul(ctx, sg_pow(ctx, se, sg_const(ctx, -1)), ea), sm);
    assert_ptr_equal(sg_div(ctx, sg_mul(ctx, sg_const(ctx, 2), ea), se),
                     sg_mul(ctx, sg_const(ctx, 2), sm));
    /* per column: exp(X) ⊘ 𝟙(𝟙ᵀexp(X)) */
    e = sg_unary(ctx, SG_OP_EXP, W);
    e = sg_hdiv(ctx, e, sg_mul(ctx, sg_ones(ctx, col),
                               sg_mul(ctx, sg_ones(ctx, shp(SG_DIM_ONE, f->m)), e)));
    assert_ptr_equal(e, sg_unary(ctx, SG_OP_SOFTMAX, W));
    /* not the same x: a plain scaling */
    e = sg_div(ctx, ea, sg_sum(ctx, sg_unary(ctx, SG_OP_EXP, f->b)));
    assert_int_equal(e->op, SG_OP_MUL);
    /* x − 𝟙 logsumexp(x) = logsoftmax(x), either order; per column for a matrix */
    assert_ptr_equal(sg_sub(ctx, a, sg_fill(ctx, lse, a->shape)), lsm);
    assert_ptr_equal(sg_add(ctx, sg_neg(ctx, sg_fill(ctx, lse, a->shape)), a), lsm);
    assert_ptr_equal(sg_sub(ctx, a, sg_mul(ctx, sg_ones(ctx, a->shape), lse)), lsm);
    e = sg_mul(ctx, sg_ones(ctx, col), sg_unary(ctx, SG_OP_LOGSUMEXP, W));
    assert_ptr_equal(sg_sub(ctx, W, e), sg_unary(ctx, SG_OP_LOGSOFTMAX, W));
    assert_int_equal(sg_sub(ctx, f->b, sg_fill(ctx, lse, a->shape))->op, SG_OP_ADD);
}

static void test_softplus_identities(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_span sp0 = {0, 0};
    sg_expr *a = f->a, *z = f->b, *ones = sg_ones(ctx, a->shape);
    sg_expr *y = sg_var(ctx, sg_sym_add(ctx, "y", a->shape, 0, sp0));
    sg_expr *sp = sg_unary(ctx, SG_OP_SOFTPLUS, a);
    sg_expr *spm = sg_unary(ctx, SG_OP_SOFTPLUS, sg_neg(ctx, a)), *two = sg_const(ctx, 2);
    sg_expr *p, *ll, *L, *e;

    /* softplus(x) − softplus(−x) = x */
    assert_ptr_equal(sg_sub(ctx, sp, spm), a);
    assert_ptr_equal(sg_sub(ctx, spm, sp), sg_neg(ctx, a));
    assert_ptr_equal(sg_sub(ctx, sg_mul(ctx, two, sp), sg_mul(ctx, two, spm)),
                     sg_mul(ctx, two, a));
    /* the logistic loss: −(yᵀlog σ(z) + (𝟙 − y)ᵀlog(𝟙 − σ(z))) = 𝟙ᵀsoftplus(z) − ⟨y, z⟩ */
    p = sg_unary(ctx, SG_OP_SIGMOID, z);
    ll = sg_add(ctx, sg_mul(ctx, sg_transpose(ctx, y), sg_unary(ctx, SG_OP_LOG, p)),
                sg_mul(ctx, sg_transpose(ctx, sg_sub(ctx, ones, y)),
                       sg_unary(ctx, SG_OP_LOG, sg_sub(ctx, ones, p))));
    L = sg_neg(ctx, ll);
    e = sg_sub(ctx, sg_sum(ctx, sg_unary(ctx, SG_OP_SOFTPLUS, z)), sg_dot(ctx, y, z));
    assert_ptr_equal(L, e);
    /* the other order, and inner products */
    ll = sg_add(ctx, sg_dot(ctx, sg_sub(ctx, ones, y),
                            sg_unary(ctx, SG_OP_LOG, sg_sub(ctx, ones, p))),
                sg_dot(ctx, sg_unary(ctx, SG_OP_LOG, p), y));
    assert_ptr_equal(sg_neg(ctx, ll), e);
    /* not complementary weights: two softpluses stay */
    ll = sg_add(ctx, sg_mul(ctx, sg_transpose(ctx, y), sg_unary(ctx, SG_OP_LOG, p)),
                sg_mul(ctx, sg_transpose(ctx, y), sg_unary(ctx, SG_OP_LOG, sg_sub(ctx, ones, p))));
    assert_int_equal(ll->op, SG_OP_ADD);
}

static void test_constant_coefficients(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *s = f->s, *e;
    /* c/s = c(1/s): −(−1/s) is 1/s */
    e = sg_hdiv(ctx, sg_const(ctx, -1), s);
    assert_ptr_equal(e, sg_neg(ctx, sg_hdiv(ctx, sg_const(ctx, 1), s)));
    assert_ptr_equal(sg_neg(ctx, e), sg_hdiv(ctx, sg_const(ctx, 1), s));
    e = sg_hdiv(ctx, sg_fill(ctx, sg_const(ctx, 3), f->a->shape), f->b);
    assert_ptr_equal(e, sg_mul(ctx, sg_const(ctx, 3),
                               sg_hdiv(ctx, sg_ones(ctx, f->a->shape), f->b)));
    /* c(t/d) = (c/d)t: 2(s/2) = s, 2((s/2)A) = sA; s/2 itself stays */
    e = sg_div(ctx, s, sg_const(ctx, 2));
    assert_int_equal(e->op, SG_OP_HDIV);
    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 2), e), s);
    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 2), sg_mul(ctx, e, f->A)), sg_mul(ctx, s, f->A));
    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 3), sg_mul(ctx, e, f->A)),
                     sg_mul(ctx, sg_const(ctx, 1.5), sg_mul(ctx, s, f->A)));
}

/* ---- declared properties ------------------------------------------------- */

/* Y ∈ Δ^{m×n}, each column in the simplex: 𝟙ᵀY = 𝟙ᵀ, Yᵀ𝟙 = 𝟙, sum(Y) = n,
   and the batch cross-entropy gradient is exactly softmax(Z) − Y */
static void test_simplex_batch(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *Y = var(ctx, "Y", f->m, f->n, SG_PROP_SIMPLEX), *Z = f->W, *L, *g, *w[2];
    sg_expr *row_m = sg_ones(ctx, sg_shape_make(SG_DIM_ONE, f->m));
    sg_expr *row_n = sg_ones(ctx, sg_shape_make(SG_DIM_ONE, f->n));
    sg_expr *col_m = sg_ones(ctx, sg_shape_make(f->m, SG_DIM_ONE));

    assert_ptr_equal(sg_mul(ctx, row_m, Y), row_n);
    assert_ptr_equal(sg_mul(ctx, sg_transpose(ctx, Y), col_m), sg_transpose(ctx, row_n));
    assert_ptr_equal(sg_mul(ctx, sg_mul(ctx, row_m, Y), f->x), sg_sum(ctx, f->x));
    assert_ptr_equal(sg_mul(ctx, sg_ones(ctx, sg_shape_make(f->k, f->m)), Y),
                     sg_ones(ctx, sg_shape_make(f->k, f->n)));
    assert_ptr_equal(sg_sum(ctx, Y), sg_dimval(ctx, f->n));
    /* 𝟙ᵀW is no simplex: it stays */
    assert_int_equal(sg_mul(ctx, row_m, f->W)->op, SG_OP_MUL);
    /* A ⊙ 𝟙𝟙ᵀ = A */
    assert_ptr_equal(sg_hadamard(ctx, f->W, sg_mul(ctx, col_m, row_n)), f->W);
    /* L = −sum(Y ⊙ log softmax(Z)) ⇒ ∂L/∂Z = softmax(Z) − Y */
    L = sg_neg(ctx, sg_sum(ctx, sg_hadamard(ctx, Y, sg_unary(ctx, SG_OP_LOG,
                                                             sg_unary(ctx, SG_OP_SOFTMAX, Z)))));
    sg_diff_grad(ctx, L, 1, &Z, &g, NULL);
    assert_ptr_equal(g, sg_sub(ctx, sg_unary(ctx, SG_OP_SOFTMAX, Z), Y));
    /* undeclared: softmax(Z) ⊙ (𝟙𝟙ᵀV) − V */
    w[0] = var(ctx, "V", f->m, f->n, 0);
    L = sg_neg(ctx, sg_sum(ctx, sg_hadamard(ctx, w[0], sg_unary(ctx, SG_OP_LOG,
                                                                sg_unary(ctx, SG_OP_SOFTMAX, Z)))));
    sg_diff_grad(ctx, L, 1, &Z, &w[1], NULL);
    assert_ptr_not_equal(w[1], sg_sub(ctx, sg_unary(ctx, SG_OP_SOFTMAX, Z), w[0]));
}

static void test_simplex(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_span sp = {0, 0};
    sg_expr *y = sg_var(ctx, sg_sym_add(ctx, "y", f->a->shape, SG_PROP_SIMPLEX, sp));
    sg_expr *one = sg_const(ctx, 1), *ones = sg_ones(ctx, y->shape), *z = f->b, *L, *g;

    /* y ∈ Δ: sum(y) = ⟨y, 𝟙⟩ = 𝟙ᵀy = yᵀ𝟙 = 1 */
    assert_ptr_equal(sg_sum(ctx, y), one);
    assert_ptr_equal(sg_dot(ctx, y, ones), one);
    assert_ptr_equal(sg_mul(ctx, sg_transpose(ctx, ones), y), one);
    assert_ptr_equal(sg_mul(ctx, sg_transpose(ctx, y), ones), one);
    assert_ptr_equal(sg_sum(ctx, sg_mul(ctx, sg_const(ctx, 3), y)), sg_const(ctx, 3));
    assert_int_equal(sg_sum(ctx, f->a)->op, SG_OP_SUM);
    /* so the cross-entropy gradient is softmax(z) − y, positive term first */
    L = sg_neg(ctx, sg_mul(ctx, sg_transpose(ctx, y),
                           sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SOFTMAX, z))));
    sg_diff_grad(ctx, L, 1, &z, &g, NULL);
    assert_ptr_equal(g, sg_sub(ctx, sg_unary(ctx, SG_OP_SOFTMAX, z), y));
    assert_int_equal(g->op, SG_OP_ADD);
    assert_ptr_equal(g->kid[0], sg_unary(ctx, SG_OP_SOFTMAX, z));
    /* without the declaration: sum(a) softmax(z) − a */
    L = sg_neg(ctx, sg_mul(ctx, sg_transpose(ctx, f->a),
                           sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SOFTMAX, z))));
    sg_diff_grad(ctx, L, 1, &z, &g, NULL);
    assert_ptr_equal(g, sg_sub(ctx, sg_mul(ctx, sg_sum(ctx, f->a), sg_unary(ctx, SG_OP_SOFTMAX, z)),
                               f->a));
}

/* ---- values at logits in the thousands ------------------------------------ */

/*
 * The stable forms, evaluated by sg_eval at logits of ±1000 and ±30 where
 * the naive forms give log 0 or ∞/∞, against a long double reference that
 * is naive but does not overflow there (exp(1000) ≈ 2e434 is a long double).
 */
typedef struct {
    sg_ctx *ctx;
    const double *syms[64];
    long dims[16];
    sg_eval *ev;
} num;

static sg_expr *num_input(num *u, const char *name, long r, long c, unsigned props,
                          const double *v)
{
    sg_span sp = {0, 0};
    sg_shape s = shp(sg_dim_const(u->ctx, r), c == 1 ? SG_DIM_ONE : sg_dim_const(u->ctx, c));
    int sym = sg_sym_add(u->ctx, name, s, props, sp);
    assert_true(sym < 64);
    u->syms[sym] = v;
    return sg_var(u->ctx, sym);
}

/* e's n values are finite and within tol of want */
static void near(num *u, sg_expr *e, const long double *want, long n, double tol, const char *what)
{
    const double *v = sg_eval_expr(u->ev, e);
    long i;
    assert_non_null(v);
    for (i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            fail_msg("%s[%ld] = %g, not finite", what, i, v[i]);
        if (!(fabsl((long double)v[i] - want[i]) <= tol))
            fail_msg("%s[%ld]: %.17g, reference %.17Lg (tolerance %g)", what, i, v[i],
                     want[i], tol);
    }
}

static sg_expr *grad_of(sg_ctx *ctx, sg_expr *L, sg_expr *x)
{
    sg_expr *g;
    sg_diff_grad(ctx, L, 1, &x, &g, NULL);
    return g;
}

static long double sigmoidl(long double z)
{
    return 1 / (1 + expl(-z));
}

enum { NX = 8, DX = 2, C = 5 };

static void test_stable_values(void **state)
{
    fixture *f = *state;
    num u;
    sg_ctx *ctx = f->ctx;
    /* logits ±1000 and ±30, labels right and wrong */
    static const double X[NX * DX] = {1000, 0.25, -1000, -0.5, 30, 0.125, -30, 1,
                                      1000, -0.75, -1000, 0.5, 30, -1, -30, 0.25};
    static const double y[NX] = {1, 1, 1, 1, 0, 0, 0, 0};
    static const double w[DX] = {1, 0.5};
    static const double zc[C] = {1000, -1000, 30, -30, 999};
    static const double yc[C] = {0, 1, 0, 0, 0}, yq[C] = {0.25, 0.25, 0, 0.5, 0};
    sg_expr *Xv, *yv, *wv, *zv, *ycv, *yqv, *ones, *p, *L, *g, *e;
    long double z[NX], Lr = 0, gr[DX] = {0, 0}, scale = 0, gscale[DX] = {0, 0};
    long double lse = 0, sm[C], Lc, gc[C], t;
    long i, j;
    const double eps = DBL_EPSILON;

    if (LDBL_MAX_EXP < 16384)
        skip(); /* the reference needs exp(1000) as a long double */
    memset(&u, 0, sizeof u);
    u.ctx = ctx;
    Xv = num_input(&u, "Xs", NX, DX, 0, X);
    yv = num_input(&u, "ys", NX, 1, 0, y);
    wv = num_input(&u, "ws", DX, 1, 0, w);
    zv = num_input(&u, "zs", C, 1, 0, zc);
    ycv = num_input(&u, "yc", C, 1, SG_PROP_SIMPLEX, yc);
    yqv = num_input(&u, "yq", C, 1, SG_PROP_SIMPLEX, yq);
    u.ev = sg_eval_new(ctx, u.dims, u.syms);

    /* logistic: L = −(yᵀlog σ(Xw) + (𝟙 − y)ᵀlog(𝟙 − σ(Xw)))/N, ∇_w L = Xᵀ(σ(Xw) − y)/N */
    for (i = 0; i < NX; i++) {
        z[i] = (long double)X[i * DX] * w[0] + (long double)X[i * DX + 1] * w[1];
        Lr += y[i] * log1pl(expl(-z[i])) + (1 - y[i]) * log1pl(expl(z[i]));
        scale += fabsl(z[i]) + 1;
        for (j = 0; j < DX; j++) {
            gr[j] += X[i * DX + j] * (sigmoidl(z[i]) - y[i]);
            gscale[j] += fabsl((long double)X[i * DX + j]);
        }
    }
    Lr /= NX;
    for (j = 0; j < DX; j++)
        gr[j] /= NX;
    ones = sg_ones(ctx, yv->shape);
    p = sg_unary(ctx, SG_OP_SIGMOID, sg_mul(ctx, Xv, wv));
    L = sg_add(ctx, sg_mul(ctx, sg_transpose(ctx, yv), sg_unary(ctx, SG_OP_LOG, p)),
               sg_mul(ctx, sg_transpose(ctx, sg_sub(ctx, ones, yv)),
                      sg_unary(ctx, SG_OP_LOG, sg_sub(ctx, ones, p))));
    L = sg_div(ctx, sg_neg(ctx, L), sg_const(ctx, NX));
    near(&u, L, &Lr, 1, 8 * eps * (double)(scale / NX), "logistic L");
    g = grad_of(ctx, L, wv);
    t = gscale[0] > gscale[1] ? gscale[0] : gscale[1];
    near(&u, g, gr, DX, 8 * eps * (double)(t / NX), "logistic ∇L");
    /* each term on its own: log σ(z) and log(𝟙 − σ(z)) */
    {
        long double ls[NX], l1s[NX];
        for (i = 0; i < NX; i++) {
            ls[i] = -log1pl(expl(-z[i]));
            l1s[i] = -log1pl(expl(z[i]));
        }
        near(&u, sg_unary(ctx, SG_OP_LOG, p), ls, NX, 8 * eps * 1000, "log σ(z)");
        near(&u, sg_unary(ctx, SG_OP_LOG, sg_sub(ctx, ones, p)), l1s, NX, 8 * eps * 1000,
             "log(𝟙 − σ(z))");
    }

    /* log Σ exp, −yᵀlog softmax(z) for a one-hot and a soft y */
    for (i = 0; i < C; i++)
        lse += expl(zc[i]);
    lse = logl(lse);
    for (i = 0; i < C; i++)
        sm[i] = expl(zc[i] - lse);
    e = sg_unary(ctx, SG_OP_LOG, sg_sum(ctx, sg_unary(ctx, SG_OP_EXP, zv)));
    near(&u, e, &lse, 1, 8 * eps * 1000, "log Σ exp");
    near(&u, grad_of(ctx, e, zv), sm, C, 4 * eps, "∇ log Σ exp");
    for (j = 0; j < 2; j++) {
        const double *yy = j ? yq : yc;
        sg_expr *yvv = j ? yqv : ycv;
        Lc = 0;
        for (i = 0; i < C; i++) {
            Lc -= yy[i] * (zc[i] - lse);
            gc[i] = sm[i] - yy[i];
        }
        L = sg_neg(ctx, sg_mul(ctx, sg_transpose(ctx, yvv),
                               sg_unary(ctx, SG_OP_LOG, sg_unary(ctx, SG_OP_SOFTMAX, zv))));
        near(&u, L, &Lc, 1, 8 * eps * 2000, "cross-entropy");
        near(&u, grad_of(ctx, L, zv), gc, C, 4 * eps, "∇ cross-entropy");
    }

    /* Σ log(𝟙 + eᶻ) = Σ softplus(z), ∇ = σ(z) */
    t = 0;
    for (i = 0; i < C; i++) {
        t += log1pl(expl(zc[i]));
        gc[i] = sigmoidl(zc[i]);
    }
    e = sg_sum(ctx, sg_unary(ctx, SG_OP_LOG, sg_add(ctx, sg_ones(ctx, zv->shape),
                                                   sg_unary(ctx, SG_OP_EXP, zv))));
    near(&u, e, &t, 1, 8 * eps * 2000, "Σ log(𝟙 + eᶻ)");
    near(&u, grad_of(ctx, e, zv), gc, C, 4 * eps, "∇ Σ log(𝟙 + eᶻ)");
    sg_eval_free(u.ev);
}

/* log(1 + x) and eˣ − 1 keep every digit for tiny x */
static void test_stable_small(void **state)
{
    fixture *f = *state;
    num u;
    sg_ctx *ctx = f->ctx;
    static const double x[3] = {1e-12, -3e-17, 2.5e-9};
    long double l1p[3], em1[3];
    sg_expr *xv, *ones;
    long i;
    memset(&u, 0, sizeof u);
    u.ctx = ctx;
    xv = num_input(&u, "xs", 3, 1, 0, x);
    u.ev = sg_eval_new(ctx, u.dims, u.syms);
    ones = sg_ones(ctx, xv->shape);
    for (i = 0; i < 3; i++) {
        l1p[i] = log1pl(x[i]);
        em1[i] = expm1l(x[i]);
    }
    /* relative accuracy: the naive forms are off by up to 100% here */
    {
        const double *v = sg_eval_expr(u.ev, sg_unary(ctx, SG_OP_LOG, sg_add(ctx, ones, xv)));
        const double *w = sg_eval_expr(u.ev, sg_sub(ctx, sg_unary(ctx, SG_OP_EXP, xv), ones));
        assert_non_null(v);
        assert_non_null(w);
        for (i = 0; i < 3; i++) {
            assert_true(fabsl(v[i] - l1p[i]) <= 2 * DBL_EPSILON * fabsl(l1p[i]));
            assert_true(fabsl(w[i] - em1[i]) <= 2 * DBL_EPSILON * fabsl(em1[i]));
        }
    }
    sg_eval_free(u.ev);
}

/*
 * sg_idmap numbers nodes 0, 1, 2, … in the order they are added, finds each
 * again after it has grown many times, finds no node it was not given, and
 * charges sg_ctx_scratch with its tables: a size that follows the nodes
 * added, not the nodes made.
 */
static void test_idmap(void **state)
{
    fixture *f = *state;
    sg_ctx *c = f->ctx;
    sg_expr *e[3000], *other;
    sg_idmap m;
    unsigned long b0;
    int i;
    e[0] = f->x;
    for (i = 1; i < 3000; i++)
        e[i] = sg_unary(c, i % 2 ? SG_OP_TANH : SG_OP_EXP, e[i - 1]);
    other = sg_unary(c, SG_OP_SIN, f->x);
    b0 = sg_ctx_scratch(c);
    sg_idmap_init(&m, c);
    assert_int_equal(sg_idmap_find(&m, f->x), SG_IDMAP_NONE);
    for (i = 2999; i >= 0; i -= 2) /* every other one, from the newest */
        assert_int_equal(sg_idmap_add(&m, e[i]), (unsigned)(2999 - i) / 2);
    assert_int_equal(m.n, 1500);
    for (i = 0; i < 3000; i++)
        assert_int_equal(sg_idmap_find(&m, e[i]),
                         i % 2 ? (unsigned)(2999 - i) / 2 : SG_IDMAP_NONE);
    assert_int_equal(sg_idmap_add(&m, e[2999]), 0); /* already numbered */
    assert_int_equal(m.n, 1500);
    assert_int_equal(sg_idmap_find(&m, other), SG_IDMAP_NONE);
    /* at most half full: 4096 slots of two unsigned, and the smaller tables
       it grew through */
    assert_true(sg_ctx_scratch(c) - b0 <= 2ul * 4096 * 2 * sizeof(unsigned));
    assert_true(sg_ctx_scratch(c) - b0 >= 4096ul * 2 * sizeof(unsigned));
    sg_idmap_free(&m);
    assert_int_equal(sg_idmap_find(&m, e[2999]), SG_IDMAP_NONE);
}

/* a scaling a definition names stays whole, as a named product does:
   Q = 7A is Q in sum(Q), Qᵀ, Q ⊙ B, ⟨Q, B⟩, 3Q; the same scaling unnamed
   opens to move its scalar out */
static void test_named_scalings(void **state)
{
    fixture *f = *state;
    sg_ctx *ctx = f->ctx;
    sg_expr *q = sg_mul(ctx, sg_const(ctx, 7), f->A), *r = sg_mul(ctx, sg_const(ctx, 5), f->B), *e;
    /* unnamed: the scalar comes out */
    e = sg_sum(ctx, r);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e, sg_mul(ctx, sg_const(ctx, 5), sg_sum(ctx, f->B)));
    assert_ptr_equal(sg_mul(ctx, sg_const(ctx, 3), r), sg_mul(ctx, sg_const(ctx, 15), f->B));
    /* named */
    q->name = "Q";
    e = sg_sum(ctx, q);
    assert_int_equal(e->op, SG_OP_SUM);
    assert_ptr_equal(e->kid[0], q);
    e = sg_transpose(ctx, q);
    assert_int_equal(e->op, SG_OP_TRANSPOSE);
    assert_ptr_equal(e->kid[0], q);
    e = sg_hadamard(ctx, q, f->B);
    assert_int_equal(e->op, SG_OP_HADAMARD);
    e = sg_dot(ctx, q, f->B);
    assert_int_equal(e->op, SG_OP_DOT);
    e = sg_mul(ctx, sg_const(ctx, 3), q);
    assert_int_equal(e->op, SG_OP_MUL);
    assert_ptr_equal(e->kid[1], q);
    assert_true(e->kid[0]->op == SG_OP_CONST && e->kid[0]->value == 3);
    /* a named negation: −(−t) is t, and a rewrite that takes a sign out
       ends (σ(φ) for φ = −t named recursed without end: smith p8111) */
    {
        sg_expr *m = sg_neg(ctx, f->b), *w = sg_mul(ctx, sg_const(ctx, -3), f->s);
        m->name = "m";
        w->name = "w";
        assert_ptr_equal(sg_neg(ctx, m), f->b);
        assert_ptr_equal(sg_neg(ctx, sg_neg(ctx, m)), m);
        assert_ptr_equal(sg_neg(ctx, w), sg_mul(ctx, sg_const(ctx, 3), f->s));
        e = sg_unary(ctx, SG_OP_SIGMOID, m);
        assert_ptr_equal(e, sg_sub(ctx, sg_ones(ctx, f->b->shape), sg_unary(ctx, SG_OP_SIGMOID, f->b)));
        e = sg_unary(ctx, SG_OP_SIGMOID, w);
        assert_non_null(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_scalings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shapes, setup, teardown),
        cmocka_unit_test(test_op_names),
        cmocka_unit_test_setup_teardown(test_hash_consing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_neg_sub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scaling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_products, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reassociation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transpose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symmetric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elementwise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reductions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_softmax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softplus_identities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constant_coefficients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simplex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simplex_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_small, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
