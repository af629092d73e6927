/* examples/rnn.sg: h[t] = tanh(W_hh h[t−1] + W_xh x[t]), L = Σ_t ½‖W_y h[t] − y[t]‖² */
#include "rnn.h"
#define PFX rnn
#define DIMS(F) F(k) F(T) F(p) F(n)
#define INPUTS(F)                                                                                 \
    F(x, SEQ, T, k, RND) F(y, SEQ, T, p, RND) F(h0, VEC, n, 1, RND) F(W_hh, MAT, n, n, RND)        \
    F(W_xh, MAT, n, k, RND) F(W_y, MAT, p, n, RND)
#define OUTPUTS(F) F(L, 1) F(dL_dW_hh, n * n) F(dL_dW_xh, n * k) F(dL_dW_y, p * n) F(dL_dh0, n)
#define DIM_SETS {2, 3, 1, 2}, {1, 1, 1, 1}, {3, 2, 2, 4}, {3, 7, 2, 3}, {10, 40, 5, 70}
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
    double yy;
    /* T = 0: no steps, L = 0 and every gradient 0 */
    dv[DIM_k] = 2, dv[DIM_T] = 0, dv[DIM_p] = 2, dv[DIM_n] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "T = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    for (j = 0; j < 9; j++)
        check_value(v.out[OUT_dL_dW_hh], j, 0, "dL_dW_hh");
    for (j = 0; j < 6; j++)
        check_value(v.out[OUT_dL_dW_xh], j, 0, "dL_dW_xh");
    for (j = 0; j < 6; j++)
        check_value(v.out[OUT_dL_dW_y], j, 0, "dL_dW_y");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_dL_dh0], j, 0, "dL_dh0");
    values_free(&v);
    /* n = 0: no state, W_y h[t] = 0, L = ½ Σ_t ‖y[t]‖² */
    dv[DIM_k] = 2, dv[DIM_T] = 4, dv[DIM_p] = 3, dv[DIM_n] = 0;
    values_init(&v, dv, 2);
    set_context(dv, "n = 0");
    check(run(&v, ALL) == 0, "returns 0");
    for (yy = 0, j = 0; j < 12; j++)
        yy += v.in[IN_y][j] * v.in[IN_y][j];
    check_value(v.out[OUT_L], 0, 0.5 * yy, "L");
    values_free(&v);
    /* p = 0: nothing observed, L = 0, every gradient 0 */
    dv[DIM_k] = 2, dv[DIM_T] = 3, dv[DIM_p] = 0, dv[DIM_n] = 2;
    values_init(&v, dv, 3);
    set_context(dv, "p = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    for (j = 0; j < 4; j++)
        check_value(v.out[OUT_dL_dW_hh], j, 0, "dL_dW_hh");
    for (j = 0; j < 4; j++)
        check_value(v.out[OUT_dL_dW_xh], j, 0, "dL_dW_xh");
    for (j = 0; j < 2; j++)
        check_value(v.out[OUT_dL_dh0], j, 0, "dL_dh0");
    values_free(&v);
    /* T = 1 by hand: h₁ = tanh(W_hh h₀ + W_xh x₁), L = ½‖W_y h₁ − y₁‖² (k = p = n = 1) */
    dv[DIM_k] = 1, dv[DIM_T] = 1, dv[DIM_p] = 1, dv[DIM_n] = 1;
    values_init(&v, dv, 4);
    set_context(dv, "T = 1 by hand");
    check(run(&v, ALL) == 0, "returns 0");
    {
        const double h1 = tanh(v.in[IN_W_hh][0] * v.in[IN_h0][0] + v.in[IN_W_xh][0] * v.in[IN_x][0]);
        const double r = v.in[IN_W_y][0] * h1 - v.in[IN_y][0];
        const double dz = r * v.in[IN_W_y][0] * (1 - h1 * h1);
        check_value(v.out[OUT_L], 0, 0.5 * r * r, "L");
        check(close_to(v.out[OUT_dL_dW_y][0], r * h1, 1e-14), "dL_dW_y = r h1");
        check(close_to(v.out[OUT_dL_dW_hh][0], dz * v.in[IN_h0][0], 1e-14), "dL_dW_hh");
        check(close_to(v.out[OUT_dL_dW_xh][0], dz * v.in[IN_x][0], 1e-14), "dL_dW_xh");
        check(close_to(v.out[OUT_dL_dh0][0], dz * v.in[IN_W_hh][0], 1e-14), "dL_dh0");
    }
    values_free(&v);
    /* x = ±∞ saturates tanh: h stays finite, so L does */
    dv[DIM_k] = 2, dv[DIM_T] = 3, dv[DIM_p] = 2, dv[DIM_n] = 2;
    values_init(&v, dv, 5);
    v.in[IN_x][0] = HUGE_VAL;
    set_context(dv, "x[1][0] = inf");
    check(run(&v, 1u << OUT_L) == 0, "returns 0");
    check(isfinite(v.out[OUT_L][0]), "L is finite");
    values_free(&v);
}
