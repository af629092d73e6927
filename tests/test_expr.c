/*
 * test_expr.c: the hash-consed DAG: interning, every constructor
 * simplification, product re-association, symmetry and shape strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "symbolic/expr.h"

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
    assert_int_equal(sg_diminfo_of(ctx, sg_dim_const(ctx, 7))->value, 7);
    assert_null(sg_diminfo_of(ctx, sg_dim_const(ctx, 7))->name);
    assert_string_equal(sg_diminfo_of(ctx, f->n)->name, "n");
    assert_int_equal(sg_ndims(ctx), 6); /* 1, n, m, k, 7, 8 */
}

static void test_symbols(void **state)
{
    fixture *f = *state;
    assert_int_equal(sg_sym_find(f->ctx, "W"), 0);
    assert_int_equal(sg_sym_find(f->ctx, "nope"), -1);
    assert_int_equal(sg_nsyms(f->ctx), 12);
    assert_string_equal(sg_sym(f->ctx, f->K->sym)->name, "K");
    assert_int_equal(sg_sym(f->ctx, f->K->sym)->props, SG_PROP_SPD);
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
    /* equal costs keep left-to-right: A(BC) is built (AB)C */
    ab = sg_mul(ctx, f->A, f->B);
    e = sg_mul(ctx, f->A, sg_mul(ctx, f->B, f->C));
    assert_ptr_equal(e->kid[0], ab);
    assert_ptr_equal(e->kid[1], f->C);
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

    assert_true(sg_expr_is_symmetric(ctx, f->S));
    assert_true(sg_expr_is_symmetric(ctx, f->K));
    assert_false(sg_expr_is_symmetric(ctx, f->A));
    assert_false(sg_expr_is_symmetric(ctx, f->W));
    assert_true(sg_expr_is_symmetric(ctx, sg_eye(ctx, f->n)));
    assert_true(sg_expr_is_symmetric(ctx, sg_ones(ctx, shp(f->n, f->n))));
    assert_false(sg_expr_is_symmetric(ctx, sg_ones(ctx, shp(f->n, f->m))));
    assert_true(sg_expr_is_symmetric(ctx, f->s));
    assert_true(sg_expr_is_symmetric(ctx, WWt));
    assert_true(sg_expr_is_symmetric(ctx, WtW));
    assert_true(sg_expr_is_symmetric(ctx, ASAt));
    assert_false(sg_expr_is_symmetric(ctx, sg_mul(ctx, f->A, f->S)));
    assert_true(sg_expr_is_symmetric(ctx, sg_mul(ctx, f->S, f->S)));
    assert_false(sg_expr_is_symmetric(ctx, sg_mul(ctx, f->S, f->K)));
    assert_true(sg_expr_is_symmetric(ctx, sg_add(ctx, f->S, WtW)));
    assert_false(sg_expr_is_symmetric(ctx, sg_add(ctx, f->S, f->A)));
    assert_true(sg_expr_is_symmetric(ctx, sg_mul(ctx, f->s, f->S)));
    assert_true(sg_expr_is_symmetric(ctx, sg_hadamard(ctx, f->S, f->K)));
    assert_true(sg_expr_is_symmetric(ctx, sg_unary(ctx, SG_OP_TANH, f->S)));
    assert_true(sg_expr_is_symmetric(ctx, sg_unary(ctx, SG_OP_INV, f->K)));
    assert_true(sg_expr_is_symmetric(ctx, sg_diag(ctx, f->a)));
    assert_false(sg_expr_is_symmetric(ctx, sg_unary(ctx, SG_OP_SOFTMAX, f->S)));
    assert_false(sg_expr_is_symmetric(ctx, sg_unary(ctx, SG_OP_INV, f->A)));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dims, setup, teardown),
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
