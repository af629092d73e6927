/* examples/gru.sg: z, r read h[t−1]; h̃[t] = tanh(W_h x[t] + U_h(r[t] ⊙ h[t−1]) + b_h);
   h[t] = (1 − z[t]) ⊙ h[t−1] + z[t] ⊙ h̃[t]; L = Σ_t ½‖V h[t] − y[t]‖² */
#include "gru.h"
#define PFX gru
#define DIMS(F) F(k) F(T) F(p) F(n)
#define INPUTS(F)                                                                                 \
    F(x, SEQ, T, k, RND) F(y, SEQ, T, p, RND) F(h0, VEC, n, 1, RND) F(W_z, MAT, n, k, RND)         \
    F(W_r, MAT, n, k, RND) F(W_h, MAT, n, k, RND) F(U_z, MAT, n, n, RND) F(U_r, MAT, n, n, RND)    \
    F(U_h, MAT, n, n, RND) F(b_z, VEC, n, 1, RND) F(b_r, VEC, n, 1, RND) F(b_h, VEC, n, 1, RND)    \
    F(V, MAT, p, n, RND)
#define OUTPUTS(F)                                                                                \
    F(L, 1) F(dL_dW_z, n * k) F(dL_dU_z, n * n) F(dL_db_z, n) F(dL_dW_r, n * k) F(dL_dU_r, n * n)  \
    F(dL_db_r, n) F(dL_dW_h, n * k) F(dL_dU_h, n * n) F(dL_db_h, n) F(dL_dV, p * n) F(dL_dh0, n)
#define DIM_SETS {2, 3, 1, 2}, {1, 1, 1, 1}, {3, 2, 2, 4}, {3, 7, 2, 3}, {10, 30, 5, 40}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

static double sigmoid(double z)
{
    return 1 / (1 + exp(-z));
}

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    size_t j;
    /* T = 0: no steps, L = 0 and every gradient 0 */
    dv[DIM_k] = 2, dv[DIM_T] = 0, dv[DIM_p] = 2, dv[DIM_n] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "T = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    for (j = 0; j < 9; j++)
        check_value(v.out[OUT_dL_dU_h], j, 0, "dL_dU_h");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_dL_dh0], j, 0, "dL_dh0");
    values_free(&v);
    /* T = 1 by hand, every size 1 */
    dv[DIM_k] = 1, dv[DIM_T] = 1, dv[DIM_p] = 1, dv[DIM_n] = 1;
    values_init(&v, dv, 2);
    set_context(dv, "T = 1 by hand");
    check(run(&v, ALL) == 0, "returns 0");
    {
        const double x = v.in[IN_x][0], h0 = v.in[IN_h0][0];
        const double z = sigmoid(v.in[IN_W_z][0] * x + v.in[IN_U_z][0] * h0 + v.in[IN_b_z][0]);
        const double r = sigmoid(v.in[IN_W_r][0] * x + v.in[IN_U_r][0] * h0 + v.in[IN_b_r][0]);
        const double ht = tanh(v.in[IN_W_h][0] * x + v.in[IN_U_h][0] * r * h0 + v.in[IN_b_h][0]);
        const double h1 = (1 - z) * h0 + z * ht;
        const double e = v.in[IN_V][0] * h1 - v.in[IN_y][0], dh = e * v.in[IN_V][0];
        check_value(v.out[OUT_L], 0, 0.5 * e * e, "L");
        check(close_to(v.out[OUT_dL_dV][0], e * h1, 1e-14), "dL_dV = e h1");
        check(close_to(v.out[OUT_dL_db_z][0], dh * (ht - h0) * z * (1 - z), 1e-14), "dL_db_z");
        check(close_to(v.out[OUT_dL_db_h][0], dh * z * (1 - ht * ht), 1e-14), "dL_db_h");
    }
    values_free(&v);
}
