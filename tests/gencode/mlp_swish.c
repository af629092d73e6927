/* examples/mlp_swish.sg: L = −yᵀlog softmax(W₂ swish(W₁x + b₁) + b₂) and its gradients */
#include "mlp_swish.h"
#define PFX mlp
#define DIMS(F) F(D) F(H) F(C)
#define INPUTS(F)                                                                                 \
    F(x, VEC, D, 1, RND) F(W1, MAT, H, D, RND) F(b1, VEC, H, 1, RND) F(W2, MAT, C, H, RND)         \
    F(b2, VEC, C, 1, RND) F(y, VEC, C, 1, SIMPLEX)
#define OUTPUTS(F) F(L, 1) F(dL_dW1, H * D) F(dL_db1, H) F(dL_dW2, C * H) F(dL_db2, C)
#define DIM_SETS {4, 3, 2}, {1, 1, 1}, {2, 5, 3}, {80, 60, 10}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    size_t j;
    double mx, se, ys, lse;
    /* H = 0: z₂ = b₂, L = logsumexp(b₂) − yᵀb₂ (Σy = 1), ∂L/∂b₂ = softmax(b₂) − y */
    dv[DIM_D] = 2, dv[DIM_H] = 0, dv[DIM_C] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "H = 0");
    check(run(&v, ALL) == 0, "returns 0");
    mx = v.in[IN_b2][0];
    for (j = 1; j < 3; j++)
        mx = v.in[IN_b2][j] > mx ? v.in[IN_b2][j] : mx;
    for (se = 0, ys = 0, j = 0; j < 3; j++)
        se += exp(v.in[IN_b2][j] - mx), ys += v.in[IN_y][j] * v.in[IN_b2][j];
    lse = mx + log(se);
    check_value(v.out[OUT_L], 0, lse - ys, "L");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_dL_db2], j, exp(v.in[IN_b2][j] - lse) - v.in[IN_y][j], "dL_db2");
    values_free(&v);
    /* C = 0: no classes, L = −(a sum over nothing) = 0, every gradient 0 */
    dv[DIM_D] = 2, dv[DIM_H] = 3, dv[DIM_C] = 0;
    values_init(&v, dv, 2);
    set_context(dv, "C = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    for (j = 0; j < 6; j++)
        check_value(v.out[OUT_dL_dW1], j, 0, "dL_dW1");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_dL_db1], j, 0, "dL_db1");
    values_free(&v);
    /* D = 0: z₁ = b₁; ∂L/∂b₁ is what it is with x: compare with D = 1, x = 0 */
    {
        struct values w;
        dv[DIM_D] = 0, dv[DIM_H] = 3, dv[DIM_C] = 2;
        values_init(&v, dv, 3);
        dv[DIM_D] = 1;
        values_init(&w, dv, 3);
        memcpy(w.in[IN_b1], v.in[IN_b1], 3 * sizeof(double));
        memcpy(w.in[IN_W2], v.in[IN_W2], 6 * sizeof(double));
        memcpy(w.in[IN_b2], v.in[IN_b2], 2 * sizeof(double));
        memcpy(w.in[IN_y], v.in[IN_y], 2 * sizeof(double));
        w.in[IN_x][0] = 0;
        set_context(dv, "D = 0 against D = 1, x = 0");
        check(run(&v, ALL) == 0 && run(&w, ALL) == 0, "returns 0");
        check_value(v.out[OUT_L], 0, w.out[OUT_L][0], "L");
        for (j = 0; j < 3; j++)
            check_value(v.out[OUT_dL_db1], j, w.out[OUT_dL_db1][j], "dL_db1");
        for (j = 0; j < 6; j++)
            check_value(v.out[OUT_dL_dW2], j, w.out[OUT_dL_dW2][j], "dL_dW2");
        values_free(&w);
        values_free(&v);
    }
    /* logits in the thousands: L and the gradients stay finite */
    dv[DIM_D] = 2, dv[DIM_H] = 2, dv[DIM_C] = 3;
    values_init(&v, dv, 4);
    v.in[IN_b2][0] = 3000, v.in[IN_b2][1] = -3000;
    set_context(dv, "b2 = (3000, -3000, ·)");
    check(run(&v, ALL) == 0, "returns 0");
    check(isfinite(v.out[OUT_L][0]) && v.out[OUT_L][0] > 0, "L is finite and positive");
    for (j = 0; j < 3; j++)
        check(isfinite(v.out[OUT_dL_db2][j]), "dL_db2 is finite");
    values_free(&v);
    /* a +∞ logit for a class of probability < 1: L = +∞ (or NaN: ∞ − ∞ on the way) */
    values_init(&v, dv, 5);
    v.in[IN_b2][2] = HUGE_VAL;
    set_context(dv, "b2[2] = inf");
    check(run(&v, ALL) == 0, "returns 0");
    check(!isfinite(v.out[OUT_L][0]) && !(v.out[OUT_L][0] < 0), "L is +inf or NaN");
    values_free(&v);
}
